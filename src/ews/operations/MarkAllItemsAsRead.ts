// MarkAllItemsAsRead: one STORE over the whole folder.
import { textOf, xsBool } from '../../soap/xml.js';
import { schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { folderInputsNeedDav, loadTree, messagesChild, ownAddresses, parseFolderIds } from '../folders/request.js';

export const MarkAllItemsAsRead: Operation = {
  name: 'MarkAllItemsAsRead',
  async handle(req, ctx) {
    const readBool = xsBool(textOf(messagesChild(req, 'ReadFlag')));
    if (readBool === undefined) throw schemaViolation('ReadFlag must be true or false.');
    const readFlag = String(readBool);
    const ids = parseFolderIds(messagesChild(req, 'FolderIds'), 'FolderIds');
    const store = ctx.mailbox.mail;
    const tree = await loadTree(ctx, { dav: folderInputsNeedDav(ids) });
    const results = await eachItem(ids, async (id) => {
      const folder = tree.resolve(id, ownAddresses(ctx));
      if (folder.mail?.selectable && folder.mail.messages > 0) {
        const { uids } = await store.searchMessages(folder.mail.path, { seen: readFlag !== 'true' });
        await store.changeFlags(folder.mail.path, uids, { op: readFlag === 'true' ? 'add' : 'remove', flags: ['\\Seen'] });
      }
      return ok();
    });
    return respond('MarkAllItemsAsRead', results);
  },
};
