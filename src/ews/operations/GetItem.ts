// GetItem: ids from any folders, one FETCH per folder, as deep as the shape
// needs; one response message per id, in request order.
import { x } from '../../soap/xml.js';
import { asEwsError, EwsError } from '../errors.js';
import { ok, respond, type ItemResult, type Operation } from '../operation.js';
import { loadTree, loadTreeFor, messagesChild } from '../folders/request.js';
import { canStream, loadMailItems, renderContext, streamMailItems } from '../items/load.js';
import { needsOf, renderMailItem, type MailItem } from '../items/mail-item.js';
import { associateMeetings } from '../items/meeting-message.js';
import { findRewritten, folderRefsOfItems, groupByFolder, itemErrorOf, itemNotFound, parseItemIds, resolveItem, type ResolvedItem, itemInputsNeedDav } from '../items/request.js';
import { parseItemShape } from '../items/shape.js';
import { resolveDavItem } from '../dav/resolve.js';
import { getDavItems } from '../dav/items.js';
import type { DavItemRef } from '../items/dav-item-id.js';
import type { EwsFolder } from '../folders/tree.js';

export const GetItem: Operation = {
  name: 'GetItem',
  async handle(req, ctx) {
    const shape = parseItemShape(messagesChild(req, 'ItemShape'));
    const ids = parseItemIds(messagesChild(req, 'ItemIds'), 'ItemIds');
    const refs = folderRefsOfItems(ids);
    const tree = refs ? await loadTreeFor(ctx, refs, { dav: itemInputsNeedDav(ids), counts: false }) : await loadTree(ctx, { dav: true });
    const davGroups = new Map<EwsFolder, { ref: DavItemRef; index: number }[]>();
    const resolved: (ResolvedItem | EwsError | 'dav')[] = ids.map((id, index) => {
      try {
        const dav = resolveDavItem(tree, id.id);
        if (dav) {
          davGroups.set(dav.folder, [...(davGroups.get(dav.folder) ?? []), { ref: dav.ref, index }]);
          return 'dav';
        }
        return resolveItem(tree, id);
      } catch (e) {
        const err = asEwsError(e);
        if (!err) throw e;
        return err;
      }
    });
    const results: ItemResult[] = resolved.map((r) => (r instanceof EwsError ? r : itemNotFound()));
    for (const [folder, entries] of davGroups) {
      try {
        const rendered = await getDavItems(ctx, folder, entries.map((e) => e.ref), shape);
        entries.forEach((e, i) => {
          const r = rendered[i];
          results[e.index] = r instanceof EwsError ? r : ok(x('m:Items', null, r));
        });
      } catch (e) {
        const err = asEwsError(e);
        if (!err) throw e;
        for (const { index } of entries) results[index] = err;
      }
    }
    const needs = needsOf(shape, false);
    const rc = renderContext(ctx.version, shape);
    // A rewritten message answers to the id the client holds (see STABLE_ID_HEADER).
    const itemAnswer = (item: MailItem, index: number, mime: Buffer | undefined) => ok(x('m:Items', null, renderMailItem({ ...item, id: ids[index].id }, rc, false, mime)));
    const mailBatches = [...groupByFolder<ResolvedItem>(resolved)].map(([folder, entries]) => ({ folder, entries }));
    type Entry = (typeof mailBatches)[number]['entries'][number];
    const loadBatch = async (folder: EwsFolder, entries: Entry[]) => {
      try {
        const load = async (batch: Entry[]) => {
          const loaded = await loadMailItems(ctx.mailbox.mail, folder, batch.map((e) => e.item.ref.uid), needs);
          // Meeting messages point at the calendar copy they concern (one CalDAV lookup each, only when asked for).
          if (needs.has('meeting')) await associateMeetings(ctx, loaded.items);
          const byUid = new Map(loaded.items.map((i) => [i.msg.uid, i]));
          const missing: Entry[] = [];
          for (const entry of batch) {
            const found = byUid.get(entry.item.ref.uid);
            if (!found || loaded.state.uidValidity !== entry.item.ref.uidValidity) {
              missing.push(entry);
              continue;
            }
            results[entry.index] = itemAnswer(found, entry.index, loaded.mime.get(found.msg.uid));
          }
          return missing;
        };
        const missing = await load(entries);
        if (!missing.length) return;
        // Only ids whose UID is gone pay for the search for their rewritten copy.
        const moved = await findRewritten(ctx, folder, missing.map((e) => ids[e.index].id));
        const again = missing.filter((e) => moved.has(ids[e.index].id)).map((e) => ({ ...e, item: { ...e.item, ref: { ...e.item.ref, uid: moved.get(ids[e.index].id)! } } }));
        if (again.length) await load(again);
      } catch (e) {
        const err = itemErrorOf(e);
        if (!err) throw e;
        for (const { index } of entries) results[index] = err;
      }
    };
    // Streaming pays when there is something to overlap: more whole messages than one FETCH reads.
    const count = mailBatches.reduce((n, b) => n + b.entries.length, 0);
    if (!shape.includeMimeContent || !canStream(needs) || count <= STREAM_FROM) {
      for (const { folder, entries } of mailBatches) await loadBatch(folder, entries);
      return respond('GetItem', results);
    }
    // Whole messages: one FETCH per folder, each message answered as soon as it has arrived, so
    // the client receives the first messages while Dovecot still sends the rest. The answer is
    // in request order; a message that arrives early waits for those before it.
    const answers: (ItemResult | Promise<ItemResult>)[] = [...results];
    const settle = new Map<number, { resolve: (r: ItemResult) => void; reject: (e: unknown) => void }>();
    for (const { entries } of mailBatches) {
      for (const { index } of entries) answers[index] = new Promise<ItemResult>((resolve, reject) => settle.set(index, { resolve, reject }));
    }
    const answer = (index: number, r: ItemResult) => {
      settle.get(index)?.resolve(r);
      settle.delete(index);
    };
    void (async () => {
      for (const { folder, entries } of mailBatches) {
        const byUid = new Map<number, Entry[]>();
        for (const e of entries) byUid.set(e.item.ref.uid, [...(byUid.get(e.item.ref.uid) ?? []), e]);
        try {
          await streamMailItems(ctx.mailbox.mail, folder, [...byUid.keys()], needs, (item, mime, state) => {
            for (const entry of byUid.get(item.msg.uid) ?? []) {
              if (state.uidValidity !== entry.item.ref.uidValidity) continue;
              answer(entry.index, itemAnswer(item, entry.index, mime));
            }
          });
          // What did not come back (gone, or rewritten under a new UID) takes the ordinary path.
          const missing = entries.filter((e) => settle.has(e.index));
          if (missing.length) await loadBatch(folder, missing);
          for (const { index } of missing) answer(index, results[index]);
        } catch (e) {
          const err = itemErrorOf(e);
          for (const { index } of entries) {
            if (err) answer(index, err);
            else settle.get(index)?.reject(e);
          }
        }
      }
    })();
    return respond('GetItem', answers);
  },
};

/** Whole messages are streamed from this many on (fewer are answered at once). */
const STREAM_FROM = 4;
