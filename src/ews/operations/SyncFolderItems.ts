// SyncFolderItems on mail. The state is self-contained and a few dozen bytes:
// UIDVALIDITY, the MODSEQ up to which the client has every change, and the
// highest UID it was given. An incremental run is one CHANGEDSINCE fetch (with
// QRESYNC's VANISHED for deletes) plus the UIDs above the last one handed out.
// Dovecot answers CHANGEDSINCE by reading every MODSEQ in the range, so the IMAP
// adapter asks it only about the UIDs its connection was told changed
// (adapters/imap/change-journal.ts): the cost follows the number of changes, not
// the folder size.
import { textOf, x, type Xml } from '../../soap/xml.js';
import { EwsError, schemaViolation, storeUnavailable } from '../errors.js';
import { syncDavItems } from '../dav/items.js';
import { ok, respond, type Operation } from '../operation.js';
import { folderInputsNeedDav, loadTreeFor, messagesChild, ownAddresses, parseSingleFolderId } from '../folders/request.js';
import { loadMailItems, renderContext } from '../items/load.js';
import { encodeItemId, type MailItemRef } from '../items/item-id.js';
import { needsOf, renderMailItem } from '../items/mail-item.js';
import { parseItemIds } from '../items/request.js';
import { parseItemShape } from '../items/shape.js';
import { openState, sealState } from '../sync/signed-state.js';

interface MailSyncState {
  /** FolderId the state belongs to. */
  f: string;
  /** UIDVALIDITY. */
  v: number;
  /** MODSEQ up to which every change was reported (decimal string). */
  m: string;
  /** Highest UID reported as created. */
  u: number;
}

const STATE_KIND = 'I1';
const invalidState = () => new EwsError('ErrorInvalidSyncStateData', 'Synchronization state data is corrupt or otherwise invalid.');

export const SyncFolderItems: Operation = {
  name: 'SyncFolderItems',
  async handle(req, ctx) {
    const shape = parseItemShape(messagesChild(req, 'ItemShape'));
    const maxText = textOf(messagesChild(req, 'MaxChangesReturned'))?.trim();
    const max = Number(maxText);
    if (!maxText || !Number.isInteger(max) || max < 1 || max > 512) throw schemaViolation('MaxChangesReturned must be a whole number from 1 to 512.');
    const ignore = new Set(messagesChild(req, 'Ignore') ? parseItemIds(messagesChild(req, 'Ignore'), 'Ignore').map((i) => i.id) : []);
    const stateText = textOf(messagesChild(req, 'SyncState'))?.trim();
    const syncFolder = parseSingleFolderId(messagesChild(req, 'SyncFolderId'), 'SyncFolderId');
    const tree = await loadTreeFor(ctx, [syncFolder], { dav: folderInputsNeedDav([syncFolder]) });
    const store = ctx.mailbox.mail;
    try {
      const folder = tree.resolve(parseSingleFolderId(messagesChild(req, 'SyncFolderId'), 'SyncFolderId'), ownAddresses(ctx));
      const rc = renderContext(ctx.version, shape);
      const done = (state: MailSyncState, changes: Xml[], last: boolean) =>
        respond('SyncFolderItems', [
          ok(
            x('m:SyncState', null, sealState(STATE_KIND, state, ctx.stateSecret)),
            x('m:IncludesLastItemInRange', null, String(last)),
            x('m:Changes', null, changes),
          ),
        ]);
      if (folder.unavailable) return respond('SyncFolderItems', [storeUnavailable()]);
      if (folder.dav) {
        const r = await syncDavItems(ctx, folder, stateText, max, shape, ignore);
        return respond('SyncFolderItems', [ok(x('m:SyncState', null, r.state), x('m:IncludesLastItemInRange', null, String(r.last)), x('m:Changes', null, r.changes))]);
      }
      if (!folder.mail?.selectable) return done({ f: folder.id, v: 0, m: '0', u: 0 }, [], true);
      const path = folder.mail.path;
      let prev: MailSyncState | undefined;
      if (stateText) {
        prev = openState<MailSyncState>(STATE_KIND, stateText, ctx.stateSecret);
        if (!prev || prev.f !== folder.id || typeof prev.u !== 'number' || !/^\d+$/.test(prev.m ?? '')) throw invalidState();
      }
      const needs = needsOf(shape, true);
      const changes: Xml[] = [];
      const itemIdOf = (uid: number, uidValidity: number) => encodeItemId({ folder: folder.ref as MailItemRef['folder'], uidValidity, uid });

      // Changes to what the client has: flags or content (Update) and expunges (Delete).
      let nextModseq = prev ? BigInt(prev.m) : 0n;
      let updatesComplete = true;
      let uidValidity = folder.mail.uidValidity;
      if (prev && prev.u > 0 && nextModseq > 0n) {
        const changed = await loadMailItems(store, folder, { from: 1, to: prev.u }, needs, { changedSince: nextModseq });
        uidValidity = changed.state.uidValidity;
        if (uidValidity !== prev.v) throw invalidState();
        for (const uid of changed.vanished) {
          const id = itemIdOf(uid, uidValidity);
          if (!ignore.has(id)) changes.push(x('t:Delete', null, x('t:ItemId', { Id: id })));
        }
        const byModseq = [...changed.items].sort((a, b) => ((a.msg.modseq ?? 0n) < (b.msg.modseq ?? 0n) ? -1 : 1));
        for (const item of byModseq) {
          if (changes.length >= max) {
            updatesComplete = false;
            break;
          }
          if (!ignore.has(item.id)) changes.push(x('t:Update', null, renderMailItem(item, rc, true, changed.mime.get(item.msg.uid))));
          nextModseq = item.msg.modseq ?? nextModseq;
        }
        if (updatesComplete) nextModseq = changed.state.highestModseq ?? nextModseq;
      } else if (prev && prev.v !== uidValidity && prev.v !== 0) {
        throw invalidState();
      }

      // Messages the client has never seen, oldest first.
      let highestUid = prev?.u ?? 0;
      let createsComplete = true;
      if (updatesComplete) {
        const fresh = await store.searchMessages(path, { uid: `${highestUid + 1}:*` });
        uidValidity = fresh.state.uidValidity;
        if (prev && prev.v !== 0 && prev.v !== uidValidity) throw invalidState();
        if (!prev || nextModseq === 0n) nextModseq = fresh.state.highestModseq ?? 0n;
        const newUids = fresh.uids.filter((u) => u > highestUid);
        const room = Math.max(0, max - changes.length);
        const batch = newUids.slice(0, room);
        createsComplete = batch.length === newUids.length;
        const loaded = await loadMailItems(store, folder, batch, needs);
        for (const item of loaded.items) {
          if (!ignore.has(item.id)) changes.push(x('t:Create', null, renderMailItem(item, rc, true, loaded.mime.get(item.msg.uid))));
        }
        if (batch.length) highestUid = batch[batch.length - 1];
      }
      const last = updatesComplete && createsComplete;
      return done({ f: folder.id, v: uidValidity, m: nextModseq.toString(), u: highestUid }, changes, last);
    } catch (e) {
      if (e instanceof EwsError) return respond('SyncFolderItems', [e]);
      throw e;
    }
  },
};
