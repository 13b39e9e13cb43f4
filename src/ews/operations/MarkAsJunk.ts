// MarkAsJunk: the $Junk / $NotJunk keywords (what IMAP clients and spam filters
// read) and, with MoveItem, a move to Junk Email or back to the Inbox.
import { attr, x, xsBool } from '../../soap/xml.js';
import { asEwsError, schemaViolation } from '../errors.js';
import { ok, respond, type ItemResult, type Operation } from '../operation.js';
import { loadTree, messagesChild } from '../folders/request.js';
import { encodeItemId } from '../items/item-id.js';
import { itemNotFound, parseItemIds, itemInputsNeedDav } from '../items/request.js';
import { resolveItemsNow } from '../items/resolve-many.js';

export const MarkAsJunk: Operation = {
  name: 'MarkAsJunk',
  async handle(req, ctx) {
    const junkBool = xsBool(attr(req, 'IsJunk'));
    const moveBool = xsBool(attr(req, 'MoveItem'));
    if (junkBool === undefined || moveBool === undefined) throw schemaViolation('IsJunk and MoveItem must be true or false.');
    const isJunk = String(junkBool);
    const move = String(moveBool);
    const ids = parseItemIds(messagesChild(req, 'ItemIds'), 'ItemIds');
    const store = ctx.mailbox.mail;
    const tree = await loadTree(ctx, { dav: itemInputsNeedDav(ids) });
    const dest = tree.distinguishedFolder(isJunk === 'true' ? 'junkemail' : 'inbox');
    const { errors, batches } = await resolveItemsNow(ctx, tree, ids);
    const results: ItemResult[] = errors.map((e) => e ?? itemNotFound());
    for (const { folder, entries } of batches) {
      const path = folder.mail!.path;
      try {
        const uids = entries.map((e) => e.item.ref.uid);
        const { messages } = await store.fetchMessages(path, uids, {});
        const present = new Set(messages.map((m) => m.uid));
        const found = uids.filter((u) => present.has(u));
        await store.changeFlags(path, found, { op: 'add', flags: [isJunk === 'true' ? '$Junk' : '$NotJunk'] });
        await store.changeFlags(path, found, { op: 'remove', flags: [isJunk === 'true' ? '$NotJunk' : '$Junk'] });
        let moved = new Map<number, number>();
        const moving = move === 'true' && dest?.mail && dest !== folder;
        if (moving) moved = await store.moveMessages(path, found, dest.mail!.path);
        const destState = moving ? await store.folderStatus(dest.mail!.path) : undefined;
        for (const { item, index } of entries) {
          if (!present.has(item.ref.uid)) continue;
          const newUid = moved.get(item.ref.uid);
          const destRef = dest?.ref.kind === 'mail' ? dest.ref : undefined;
          results[index] = ok(
            newUid && destRef && destState
              ? x('m:MovedItemId', { Id: encodeItemId({ folder: destRef, uidValidity: destState.uidValidity, uid: newUid }), ChangeKey: 'CQAAAA==' })
              : undefined,
          );
        }
      } catch (e) {
        const err = asEwsError(e);
        if (!err) throw e;
        for (const { index } of entries) results[index] = err;
      }
    }
    return respond('MarkAsJunk', results);
  },
};
