// ExportItems: each item's Data is its RFC 822 message, byte for byte (Exchange's
// own export stream is opaque MAPI; MIME is what an archiver can use anywhere).
import { base64Bytes, x } from '../../soap/xml.js';
import { asEwsError } from '../errors.js';
import { ok, respond, type ItemResult, type Operation } from '../operation.js';
import { loadTree, loadTreeFor, messagesChild } from '../folders/request.js';
import { changeKeyOf, decodeItemId } from '../items/item-id.js';
import { itemNotFound, parseItemIds, itemInputsNeedDav } from '../items/request.js';
import { resolveItemsNow } from '../items/resolve-many.js';

export const ExportItems: Operation = {
  name: 'ExportItems',
  async handle(req, ctx) {
    const ids = parseItemIds(messagesChild(req, 'ItemIds'), 'ItemIds');
    const tree = itemInputsNeedDav(ids) ? await loadTree(ctx, { dav: true }) : await loadTreeFor(ctx, ids.map((i) => decodeItemId(i.id)!.folder));
    const { errors, batches } = await resolveItemsNow(ctx, tree, ids);
    const results: ItemResult[] = errors.map((e) => e ?? itemNotFound());
    for (const { folder, entries } of batches) {
      try {
        const { messages } = await ctx.mailbox.mail.fetchMessages(
          folder.mail!.path,
          entries.map((e) => e.item.ref.uid),
          { source: true },
        );
        const byUid = new Map(messages.map((m) => [m.uid, m]));
        for (const { item, index } of entries) {
          const m = byUid.get(item.ref.uid);
          if (!m?.source) continue;
          results[index] = ok(x('m:ItemId', { Id: ids[index].id, ChangeKey: changeKeyOf(m.modseq, m.uid) }), x('m:Data', null, base64Bytes(m.source)));
        }
      } catch (e) {
        const err = asEwsError(e);
        if (!err) throw e;
        for (const { index } of entries) results[index] = err;
      }
    }
    return respond('ExportItems', results);
  },
};
