// MoveItem and CopyItem share everything but the IMAP command: UIDPLUS tells the
// new UIDs, so the answer carries the new ItemIds (Apple's clients crash without them).
import { textOf, x, type Element } from '../../soap/xml.js';
import type { RequestContext } from '../operation.js';
import { asEwsError, EwsError } from '../errors.js';
import { ok, respond, type ItemResult } from '../operation.js';
import { folderInputsNeedDav, loadTree, messagesChild, ownAddresses, parseSingleFolderId } from '../folders/request.js';
import { changeKeyOf, encodeItemId } from './item-id.js';
import { itemInputsNeedDav, itemNotFound, parseItemIds } from './request.js';
import { resolveItemsNow } from './resolve-many.js';
import { itemElementOf, transferDavItem } from '../dav/items.js';

export async function transferItems(op: 'MoveItem' | 'CopyItem', req: Element, ctx: RequestContext) {
  const target = parseSingleFolderId(messagesChild(req, 'ToFolderId'), 'ToFolderId');
  const ids = parseItemIds(messagesChild(req, 'ItemIds'), 'ItemIds');
  const returnNewIds = textOf(messagesChild(req, 'ReturnNewItemIds'))?.trim() !== 'false';
  const store = ctx.mailbox.mail;
  const tree = await loadTree(ctx, { dav: itemInputsNeedDav(ids) || folderInputsNeedDav([target]) });
  const dest = tree.resolve(target, ownAddresses(ctx));
  const { errors, batches, dav } = await resolveItemsNow(ctx, tree, ids);
  const results: ItemResult[] = errors.map((e) => e ?? itemNotFound());
  for (const d of dav) {
    try {
      const id = await transferDavItem(ctx, d.folder, dest, d.ref, op === 'MoveItem');
      results[d.index] = ok(x('m:Items', null, returnNewIds ? x(itemElementOf(dest), null, id) : undefined));
    } catch (e) {
      const err = asEwsError(e);
      if (!err) throw e;
      results[d.index] = err;
    }
  }
  if (!batches.length) return respond(op, results);
  if (!dest.mail?.selectable) {
    const err = new EwsError('ErrorMoveCopyFailed', `Mail items cannot be placed in "${dest.displayName}".`);
    for (const { entries } of batches) for (const { index } of entries) results[index] = err;
    return respond(op, results);
  }
  const destStatus = await store.folderStatus(dest.mail.path);
  const destRef = dest.ref.kind === 'mail' ? dest.ref : { kind: 'mail' as const, path: dest.mail.path };
  for (const { folder, entries } of batches) {
    const path = folder.mail!.path;
    try {
      const uids = entries.map((e) => e.item.ref.uid);
      const map = op === 'MoveItem' ? await store.moveMessages(path, uids, dest.mail.path) : await store.copyMessages(path, uids, dest.mail.path);
      const fresh = map.size ? (await store.fetchMessages(dest.mail.path, [...map.values()], { flags: true })).messages : [];
      const keyOf = new Map(fresh.map((m) => [m.uid, changeKeyOf(m.modseq, m.uid)]));
      for (const { item, index } of entries) {
        const newUid = map.get(item.ref.uid);
        if (newUid === undefined && map.size > 0) {
          results[index] = itemNotFound();
          continue;
        }
        const idXml = newUid !== undefined && returnNewIds ? x('t:ItemId', { Id: encodeItemId({ folder: destRef, uidValidity: destStatus.uidValidity, uid: newUid }), ChangeKey: keyOf.get(newUid) ?? 'CQAAAA==' }) : undefined;
        results[index] = ok(x('m:Items', null, idXml ? x('t:Message', null, idXml) : undefined));
      }
    } catch (e) {
      const err = asEwsError(e);
      if (!err) throw e;
      for (const { index } of entries) results[index] = err;
    }
  }
  return respond(op, results);
}
