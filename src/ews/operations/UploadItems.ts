// UploadItems: Data is an RFC 822 message (what ExportItems gives); CreateNew
// appends it, Update / UpdateOrCreate replace the named item (append, then remove the old copy).
import { NS, attr, child, elementChildren, textOf, x, xsBool } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { loadTree, messagesChild, ownAddresses } from '../folders/request.js';
import { itemNotFound, resolveItem } from '../items/request.js';
import { appendMessage } from '../items/send.js';

export const UploadItems: Operation = {
  name: 'UploadItems',
  async handle(req, ctx) {
    const items = elementChildren(
      messagesChild(req, 'Items') ??
        (() => {
          throw schemaViolation('Items is required.');
        })(),
    );
    const tree = await loadTree(ctx, { dav: false });
    const results = await eachItem(items, async (item) => {
      const action = attr(item, 'CreateAction');
      if (action !== 'CreateNew' && action !== 'Update' && action !== 'UpdateOrCreate') throw schemaViolation(`CreateAction "${action ?? ''}" is not valid.`);
      if (xsBool(attr(item, 'IsAssociated')) === true) throw new EwsError('ErrorInvalidOperation', 'Associated (FAI) items have no place in an IMAP store.');
      // ParentFolderId is itself the FolderId here (UploadItemType), not a wrapper around one.
      const parentId = attr(child(item, NS.types, 'ParentFolderId'), 'Id');
      if (!parentId) throw schemaViolation('Item needs a ParentFolderId.');
      const folder = tree.resolve({ id: parentId }, ownAddresses(ctx));
      const data = Buffer.from((textOf(child(item, NS.types, 'Data')) ?? '').replace(/\s+/g, ''), 'base64');
      if (!data.length) throw new EwsError('ErrorInvalidPropertySet', 'Data is empty.');
      const idEl = child(item, NS.types, 'ItemId');
      let replaced: { path: string; uid: number } | undefined;
      if (action !== 'CreateNew') {
        const id = attr(idEl, 'Id');
        if (!id) {
          if (action === 'Update') throw schemaViolation('Update needs an ItemId.');
        } else {
          try {
            const r = resolveItem(tree, { id });
            replaced = { path: r.folder.mail!.path, uid: r.ref.uid };
          } catch (e) {
            if (action === 'Update' || !(e instanceof EwsError)) throw e;
          }
          if (replaced) {
            const { messages } = await ctx.mailbox.mail.fetchMessages(replaced.path, [replaced.uid], {});
            if (!messages.length) {
              if (action === 'Update') throw itemNotFound();
              replaced = undefined;
            }
          }
        }
      }
      const newId = await appendMessage(ctx, folder, data, []);
      if (replaced) await ctx.mailbox.mail.deleteMessages(replaced.path, [replaced.uid]);
      return ok(newId ? x('m:ItemId', { Id: newId.id, ChangeKey: newId.changeKey }) : undefined);
    });
    return respond('UploadItems', results);
  },
};
