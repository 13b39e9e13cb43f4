// DeleteItem: HardDelete and SoftDelete expunge exactly those UIDs (IMAP has no
// dumpster); MoveToDeletedItems moves them to Deleted Items, or expunges them
// when they are there already.
import { attr } from '../../soap/xml.js';
import { asEwsError, schemaViolation } from '../errors.js';
import { ok, respond, type ItemResult, type Operation } from '../operation.js';
import { loadTree, messagesChild } from '../folders/request.js';
import { itemNotFound, parseItemIds, itemInputsNeedDav } from '../items/request.js';
import { resolveItemsNow } from '../items/resolve-many.js';
import { deleteDavItem } from '../dav/items.js';

export const DeleteItem: Operation = {
  name: 'DeleteItem',
  async handle(req, ctx) {
    const deleteType = attr(req, 'DeleteType');
    if (deleteType !== 'HardDelete' && deleteType !== 'SoftDelete' && deleteType !== 'MoveToDeletedItems') {
      throw schemaViolation(`DeleteType "${deleteType ?? ''}" is not valid.`);
    }
    const ids = parseItemIds(messagesChild(req, 'ItemIds'), 'ItemIds');
    const store = ctx.mailbox.mail;
    const tree = await loadTree(ctx, { dav: itemInputsNeedDav(ids) });
    const { errors, batches, dav } = await resolveItemsNow(ctx, tree, ids);
    const results: ItemResult[] = errors.map((e) => e ?? ok());
    for (const d of dav) {
      try {
        await deleteDavItem(ctx, d.folder, d.ref, req);
      } catch (e) {
        const err = asEwsError(e);
        if (!err) throw e;
        results[d.index] = err;
      }
    }
    const trash = tree.distinguishedFolder('deleteditems');
    for (const { folder, entries } of batches) {
      const path = folder.mail!.path;
      try {
        const { messages } = await store.fetchMessages(
          path,
          entries.map((e) => e.item.ref.uid),
          {},
        );
        const present = new Set(messages.map((m) => m.uid));
        const uids = entries.filter((e) => present.has(e.item.ref.uid)).map((e) => e.item.ref.uid);
        for (const e of entries) if (!present.has(e.item.ref.uid)) results[e.index] = itemNotFound();
        if (deleteType === 'MoveToDeletedItems' && trash?.mail && trash !== folder) await store.moveMessages(path, uids, trash.mail.path);
        else await store.deleteMessages(path, uids);
      } catch (e) {
        const err = asEwsError(e);
        if (!err) throw e;
        for (const { index } of entries) results[index] = err;
      }
    }
    return respond('DeleteItem', results);
  },
};
