// Item operations on DAV folders, by store: contacts (CardDAV) and calendars
// and tasks (CalDAV). Operations call these for DAV ids and folders; mail stays
// on its own path.
import type { Element, Xml } from '../../soap/xml.js';
import { EwsError } from '../errors.js';
import type { RequestContext } from '../operation.js';
import type { EwsFolder } from '../folders/tree.js';
import type { DavItemRef } from '../items/dav-item-id.js';
import type { ItemShape } from '../items/shape.js';
import type { SortField } from '../items/search.js';
import type { Page, Paging } from '../paging.js';
import type { Restriction } from '../restriction.js';
import { createContact, deleteContact, findContacts, getContacts, syncContacts, transferContact, updateContact } from './contact-items.js';
import { createCalendarObject, deleteCalendarObject, findCalendarItems, getCalendarItems, syncCalendar, updateCalendarObject } from './calendar-items.js';

/** The item element name Exchange answers for items of this folder (t:Message for mail). */
export function itemElementOf(folder: EwsFolder): string {
  if (folder.dav?.view === 'VCARD') return 't:Contact';
  if (folder.dav?.view === 'VEVENT') return 't:CalendarItem';
  if (folder.dav?.view === 'VTODO') return 't:Task';
  return 't:Message';
}

const notYet = (folder: EwsFolder) => new EwsError('ErrorInvalidOperation', `Items of "${folder.displayName}" (${folder.folderClass}) are not served by this server yet.`);

export function getDavItems(ctx: RequestContext, folder: EwsFolder, refs: DavItemRef[], shape: ItemShape): Promise<(Xml | EwsError)[]> {
  if (folder.dav?.store === 'contacts') return getContacts(ctx, folder, refs, shape);
  if (folder.dav?.store === 'calendar') return getCalendarItems(ctx, folder, refs, shape);
  throw notYet(folder);
}

export function findDavItems(ctx: RequestContext, folder: EwsFolder, q: { restriction?: Restriction; sort: SortField[]; paging: Paging; shape: ItemShape; calendarView?: Element }): Promise<Page<Xml>> {
  if (folder.dav?.store === 'contacts') return findContacts(ctx, folder, q);
  if (folder.dav?.store === 'calendar') return findCalendarItems(ctx, folder, q);
  throw notYet(folder);
}

export function createDavItem(ctx: RequestContext, folder: EwsFolder, el: Element): Promise<Xml> {
  if (folder.dav?.store === 'contacts' && (el.localName === 'Contact' || el.localName === 'DistributionList')) return createContact(ctx, folder, el);
  if (folder.dav?.store === 'contacts') throw new EwsError('ErrorObjectTypeChanged', `A ${el.localName} cannot be created in a contacts folder.`);
  if (folder.dav?.view === 'VEVENT' && el.localName === 'CalendarItem') return createCalendarObject(ctx, folder, el);
  if (folder.dav?.view === 'VTODO' && el.localName === 'Task') return createCalendarObject(ctx, folder, el);
  if (folder.dav?.store === 'calendar') throw new EwsError('ErrorObjectTypeChanged', `A ${el.localName} cannot be created in "${folder.displayName}".`);
  throw notYet(folder);
}

export function updateDavItem(ctx: RequestContext, folder: EwsFolder, ref: DavItemRef, updates: Element[], opts: { changeKey?: string; conflict: string }): Promise<Xml> {
  if (folder.dav?.store === 'contacts') return updateContact(ctx, folder, ref, updates, opts);
  if (folder.dav?.store === 'calendar') return updateCalendarObject(ctx, folder, ref, updates, opts);
  throw notYet(folder);
}

export function deleteDavItem(ctx: RequestContext, folder: EwsFolder, ref: DavItemRef, op?: Element): Promise<void> {
  if (folder.dav?.store === 'contacts') return deleteContact(ctx, folder, ref);
  if (folder.dav?.store === 'calendar') return deleteCalendarObject(ctx, folder, ref, op);
  throw notYet(folder);
}

export function transferDavItem(ctx: RequestContext, from: EwsFolder, to: EwsFolder, ref: DavItemRef, move: boolean): Promise<Xml> {
  if (from.dav?.store === 'contacts' && to.dav?.store === 'contacts') return transferContact(ctx, from, to, ref, move);
  throw new EwsError('ErrorMoveCopyFailed', `Items of "${from.displayName}" cannot be placed in "${to.displayName}".`);
}

export function syncDavItems(ctx: RequestContext, folder: EwsFolder, state: string | undefined, max: number, shape: ItemShape, ignore: Set<string>) {
  if (folder.dav?.store === 'contacts') return syncContacts(ctx, folder, state, max, shape, ignore);
  if (folder.dav?.store === 'calendar') return syncCalendar(ctx, folder, state, max, shape, ignore);
  throw notYet(folder);
}
