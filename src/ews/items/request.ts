// Reading item references out of requests and finding what they name.
import { attr, elementChildren, type Element } from '../../soap/xml.js';
import { EwsError, asEwsError, invalidIdMalformed, schemaViolation } from '../errors.js';
import { FolderMissingError } from '../../ports/mail-store.js';
import type { EwsFolder, FolderTree } from '../folders/tree.js';
import type { FolderRef } from '../folders/folder-id.js';
import { decodeItemId, type MailItemRef } from './item-id.js';
import { collectionOf, decodeDavItemId, encodeDavItemId } from './dav-item-id.js';
import type { RequestContext } from '../operation.js';

export interface ItemIdInput {
  id: string;
  changeKey?: string;
}

export function parseItemIds(container: Element | undefined, what: string): ItemIdInput[] {
  if (!container) throw schemaViolation(`${what} is required.`);
  return elementChildren(container).map(itemIdInputOf);
}

/**
 * One ItemId, OccurrenceItemId or RecurringMasterItemId. A calendar occurrence by InstanceIndex
 * becomes the series' id with "#i<n>" on the href, the master of an occurrence the href without
 * its "#…" (calendar-items.ts reads both); other ids pass through and are judged later.
 */
export function itemIdInputOf(el: Element): ItemIdInput {
  const changeKey = attr(el, 'ChangeKey');
  if (el.localName === 'OccurrenceItemId' || el.localName === 'RecurringMasterItemId') {
    const id = attr(el, el.localName === 'OccurrenceItemId' ? 'RecurringMasterId' : 'OccurrenceId');
    if (id === undefined) throw schemaViolation(`${el.localName} needs ${el.localName === 'OccurrenceItemId' ? 'RecurringMasterId' : 'OccurrenceId'}.`);
    const ref = decodeDavItemId(id);
    if (!ref || ref.store !== 'calendar') return { id, changeKey };
    const href = ref.href.replace(/#[^#/]*$/, '');
    if (el.localName === 'RecurringMasterItemId') return { id: encodeDavItemId({ ...ref, href }), changeKey };
    const index = Number(attr(el, 'InstanceIndex'));
    // 0 or less is a valid xs:int: the item's own error (out of the recurrence's range), not the request's
    if (!Number.isInteger(index)) throw schemaViolation('OccurrenceItemId needs an integer InstanceIndex.');
    if (index < 1) return { id: encodeDavItemId({ ...ref, href: `${href}#i0` }), changeKey };
    return { id: encodeDavItemId({ ...ref, href: `${href}#i${index}` }), changeKey };
  }
  const id = attr(el, 'Id');
  if (id === undefined) throw schemaViolation(`${el.localName} needs an Id.`);
  return { id, changeKey };
}

/**
 * The folders these item ids live in, as folder references, so a request can read just
 * those (loadTreeFor); undefined when an id is neither a mail nor a DAV item id (the whole
 * tree then judges it).
 */
export function folderRefsOfItems(ids: ItemIdInput[]): FolderRef[] | undefined {
  const refs: FolderRef[] = [];
  for (const { id } of ids) {
    const mail = decodeItemId(id);
    if (mail) {
      refs.push(mail.folder);
      continue;
    }
    const dav = decodeDavItemId(id);
    if (!dav) return undefined;
    refs.push({ kind: 'dav', store: dav.store, view: dav.view, href: collectionOf(dav.href) });
  }
  return refs;
}

/** True when any id is not a mail item id (a DAV item, or something malformed that the tree must judge). */
export function itemInputsNeedDav(ids: ItemIdInput[]): boolean {
  return ids.some((i) => !decodeItemId(i.id));
}

/**
 * IMAP messages are immutable: a content change stores a new message (new UID). It carries
 * the client's ItemId in this header, so the id a client holds keeps working, as on Exchange.
 */
export const STABLE_ID_HEADER = 'X-Ewsgate-Item-Id';

/** The UID a mail item id names now: its own, or the rewritten copy that carries the id. */
export async function currentUid(ctx: RequestContext, folder: EwsFolder, ref: MailItemRef, id: string): Promise<number | undefined> {
  const path = folder.mail!.path;
  const { messages } = await ctx.mailbox.mail.fetchMessages(path, [ref.uid], {});
  if (messages.length) return ref.uid;
  const { uids } = await ctx.mailbox.mail.searchMessages(path, { header: { [STABLE_ID_HEADER]: id } });
  return uids.length ? uids[uids.length - 1] : undefined;
}

/** Points every entry of the batches at its message's current UID (see STABLE_ID_HEADER). */
export async function relocate(ctx: RequestContext, batches: { folder: EwsFolder; entries: { item: ResolvedItem; index: number }[] }[], ids: ItemIdInput[]): Promise<void> {
  for (const { folder, entries } of batches) {
    const path = folder.mail!.path;
    const { messages } = await ctx.mailbox.mail.fetchMessages(path, entries.map((e) => e.item.ref.uid), {});
    const present = new Set(messages.map((m) => m.uid));
    const gone = entries.filter((e) => !present.has(e.item.ref.uid));
    if (!gone.length) continue;
    const moved = await findRewritten(ctx, folder, gone.map((e) => ids[e.index].id));
    for (const e of gone) {
      const uid = moved.get(ids[e.index].id);
      if (uid !== undefined) e.item = { ...e.item, ref: { ...e.item.ref, uid } };
    }
  }
}

/** The current UIDs of rewritten messages whose old UIDs are gone, by the id they carry (see STABLE_ID_HEADER). */
export async function findRewritten(ctx: RequestContext, folder: EwsFolder, ids: string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const id of ids) {
    const { uids } = await ctx.mailbox.mail.searchMessages(folder.mail!.path, { header: { [STABLE_ID_HEADER]: id } });
    if (uids.length) found.set(id, uids[uids.length - 1]);
  }
  return found;
}

export const itemNotFound = () => new EwsError('ErrorItemNotFound', 'The specified object was not found in the store.');

/** The EWS error for an item whose read failed: a folder gone meanwhile (another client deleted it) means its items are not found. */
export function itemErrorOf(e: unknown): EwsError | undefined {
  return e instanceof FolderMissingError ? itemNotFound() : asEwsError(e);
}

export interface ResolvedItem {
  ref: MailItemRef;
  folder: EwsFolder;
}

/** Decodes an ItemId and finds its folder; the UID itself is checked when it is fetched. */
export function resolveItem(tree: FolderTree, input: ItemIdInput): ResolvedItem {
  const ref = decodeItemId(input.id);
  if (!ref) throw invalidIdMalformed();
  const folder = tree.find(ref.folder);
  if (!folder || !folder.mail) throw itemNotFound();
  if (folder.mail.uidValidity && ref.uidValidity !== folder.mail.uidValidity) throw itemNotFound();
  return { ref, folder };
}

/** Groups resolved items by folder, keeping each input's index, so one FETCH serves a folder. */
export function groupByFolder<T extends { folder: EwsFolder }>(items: (T | EwsError | undefined | 'dav')[]): Map<EwsFolder, { item: T; index: number }[]> {
  const groups = new Map<EwsFolder, { item: T; index: number }[]>();
  items.forEach((item, index) => {
    if (!item || item === 'dav' || item instanceof EwsError) return;
    const list = groups.get(item.folder) ?? [];
    list.push({ item, index });
    groups.set(item.folder, list);
  });
  return groups;
}
