// SendItem: stored drafts go to the MTA as they are; with SaveItemToFolder the
// copy lands in SavedItemFolderId or Sent Items, and the draft leaves Drafts.
import { attr, xsBool } from '../../soap/xml.js';
import { asEwsError, schemaViolation } from '../errors.js';
import { ok, respond, type ItemResult, type Operation } from '../operation.js';
import { loadTree, messagesChild, ownAddresses, parseSingleFolderId } from '../folders/request.js';
import { itemNotFound, parseItemIds, itemInputsNeedDav } from '../items/request.js';
import { resolveItemsNow } from '../items/resolve-many.js';
import { sendMessage } from '../items/send.js';

export const SendItem: Operation = {
  name: 'SendItem',
  async handle(req, ctx) {
    const saveFlag = xsBool(attr(req, 'SaveItemToFolder') ?? 'true');
    if (saveFlag === undefined) throw schemaViolation('SaveItemToFolder must be true or false.');
    const save = String(saveFlag);
    const ids = parseItemIds(messagesChild(req, 'ItemIds'), 'ItemIds');
    const tree = await loadTree(ctx, { dav: itemInputsNeedDav(ids) });
    const savedEl = messagesChild(req, 'SavedItemFolderId');
    const copyTo =
      save === 'true'
        ? savedEl
          ? tree.resolve(parseSingleFolderId(savedEl, 'SavedItemFolderId'), ownAddresses(ctx))
          : tree.distinguishedFolder('sentitems')
        : undefined;
    const { errors, batches } = await resolveItemsNow(ctx, tree, ids);
    const results: ItemResult[] = errors.map((e) => e ?? itemNotFound());
    for (const { folder, entries } of batches) {
      const { messages } = await ctx.mailbox.mail.fetchMessages(
        folder.mail!.path,
        entries.map((e) => e.item.ref.uid),
        { source: true },
      );
      const byUid = new Map(messages.map((m) => [m.uid, m]));
      for (const { item, index } of entries) {
        const raw = byUid.get(item.ref.uid)?.source;
        if (!raw) continue;
        try {
          await sendMessage(ctx, tree, raw, { extraBcc: [], saveCopyTo: copyTo, draft: { folder, uid: item.ref.uid } });
          results[index] = ok();
        } catch (e) {
          const err = asEwsError(e);
          if (!err) throw e;
          results[index] = err;
        }
      }
    }
    return respond('SendItem', results);
  },
};
