// Reading item references out of requests and finding what they name.
import { attr, elementChildren, type Element } from '../../soap/xml.js';
import { EwsError, invalidIdMalformed, schemaViolation } from '../errors.js';
import type { EwsFolder, FolderTree } from '../folders/tree.js';
import { decodeItemId, type MailItemRef } from './item-id.js';

export interface ItemIdInput {
  id: string;
  changeKey?: string;
}

export function parseItemIds(container: Element | undefined, what: string): ItemIdInput[] {
  if (!container) throw schemaViolation(`${what} is required.`);
  return elementChildren(container).map((el) => {
    const id = attr(el, 'Id') ?? attr(el, 'RecurringMasterId');
    if (id === undefined) throw schemaViolation(`${el.localName} needs an Id.`);
    return { id, changeKey: attr(el, 'ChangeKey') };
  });
}

/** True when any id is not a mail item id (a DAV item, or something malformed that the tree must judge). */
export function itemInputsNeedDav(ids: ItemIdInput[]): boolean {
  return ids.some((i) => !decodeItemId(i.id));
}

export const itemNotFound = () => new EwsError('ErrorItemNotFound', 'The specified object was not found in the store.');

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
