// Folder operations on CalDAV calendars / task lists and CardDAV address books:
// CreateFolder (MKCALENDAR / extended MKCOL), rename (PROPPATCH displayname),
// delete (DELETE of the collection) and EmptyFolder (DELETE of every object the
// folder shows). DAV collections all hang directly under msgfolderroot in our
// tree (tree.ts addDav), whatever parent the client named, so name collisions are
// checked there: that is where FindFolder will list the new folder.
import { collectionSegment } from '../../convert/collection-name.js';
import { ConflictError, CalendarMissingError, ObjectMissingError, ObjectRejectedError, type CalendarComponent, type CalendarStore } from '../../ports/calendar-store.js';
import { ContactForbiddenError, ContactMissingError, ContactRejectedError, type ContactStore } from '../../ports/contact-store.js';
import { x, type Xml } from '../../soap/xml.js';
import { EwsError, asEwsError, folderNotFound, storeUnavailable } from '../errors.js';
import type { RequestContext } from '../operation.js';
import { FolderTree, type EwsFolder } from './tree.js';
import type { DavView } from './folder-id.js';
import { refuseNameCollision } from './mutate.js';
import { validateFolderName } from './names.js';

/**
 * Which DAV collection a CreateFolder element asks for, or undefined for a mail folder.
 * The typed elements (CalendarFolder, TasksFolder, ContactsFolder) decide; a plain Folder
 * decides by its FolderClass, as Exchange types folders by class (IPF.Appointment.Birthday
 * is still a calendar).
 */
export function davViewForNewFolder(elementName: string, folderClass: string | undefined): DavView | undefined {
  const byElement: Record<string, DavView> = { CalendarFolder: 'VEVENT', TasksFolder: 'VTODO', ContactsFolder: 'VCARD' };
  if (byElement[elementName]) return byElement[elementName];
  if (!folderClass) return undefined;
  const cls = folderClass.toLowerCase();
  const under = (base: string) => cls === base || cls.startsWith(`${base}.`);
  if (under('ipf.appointment')) return 'VEVENT';
  if (under('ipf.task')) return 'VTODO';
  if (under('ipf.contact')) return 'VCARD';
  return undefined;
}

/** DAV display names may hold any character; only what no folder name may hold is refused. */
export function validateDavFolderName(raw: string | undefined): string {
  // '\u0000' as the "delimiter": control characters are refused anyway, so no other character is.
  return validateFolderName(raw, '\u0000');
}

function calendarsOf(ctx: RequestContext): CalendarStore {
  const s = ctx.mailbox.calendars;
  if (!s) throw new EwsError('ErrorInvalidOperation', 'This server has no calendar store: calendar and task folders cannot be changed.');
  return s;
}

function contactsOf(ctx: RequestContext): ContactStore {
  const s = ctx.mailbox.contacts;
  if (!s) throw new EwsError('ErrorInvalidOperation', 'This server has no address book store: contact folders cannot be changed.');
  return s;
}

/** The EWS answer for a DAV store's refusal; `failure` is the code for a refusal with no better one. */
function asDavFolderError(e: unknown, failure: 'ErrorFolderSave' | 'ErrorCannotDeleteObject'): unknown {
  if (e instanceof EwsError) return e;
  if (e instanceof ConflictError) return new EwsError('ErrorFolderExists', 'A folder with the specified name already exists.');
  if (e instanceof CalendarMissingError) return folderNotFound();
  if (e instanceof ContactForbiddenError || ((e instanceof ObjectRejectedError || e instanceof ContactRejectedError) && e.status === 403)) {
    return new EwsError('ErrorAccessDenied', 'The server does not allow this change to the folder.');
  }
  if (e instanceof ObjectRejectedError || e instanceof ContactRejectedError) return new EwsError(failure, e.message);
  return asEwsError(e) ?? e;
}

async function mapped<T>(failure: 'ErrorFolderSave' | 'ErrorCannotDeleteObject', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asDavFolderError(e, failure);
  }
}

/**
 * Creates the collection for a new DAV folder and answers its FolderId: the same id and
 * ChangeKey FindFolder / GetFolder then report, since both come from the tree's own builder.
 */
export async function createDavFolder(ctx: RequestContext, tree: FolderTree, parent: EwsFolder, view: DavView, rawName: string | undefined): Promise<Xml> {
  const name = validateDavFolderName(rawName);
  const store = view === 'VCARD' ? 'contacts' : 'calendar';
  const calendars = store === 'calendar' ? calendarsOf(ctx) : undefined;
  const contacts = store === 'contacts' ? contactsOf(ctx) : undefined;
  // The well-known folder stands in for a DAV server that does not answer now.
  if (parent.unavailable) throw storeUnavailable();
  // A calendar may be made under another calendar or task folder (Outlook's "New Calendar" does so
  // under Calendar), but it lands beside it under msgfolderroot: collections do not nest in DAV.
  if (parent !== tree.msgFolderRoot && parent.dav?.store !== store) {
    throw new EwsError('ErrorInvalidOperation', `A ${view === 'VCARD' ? 'contacts' : view === 'VTODO' ? 'tasks' : 'calendar'} folder cannot be created in "${parent.displayName}".`);
  }
  refuseNameCollision(tree.msgFolderRoot, name);
  if (view === 'VCARD') {
    const book = await mapped('ErrorFolderSave', () => contacts!.createAddressBook(collectionSegment(name, 'contacts'), name));
    return folderIdElement(new FolderTree([], { addressBooks: [book] }), view, book.href);
  }
  const components: CalendarComponent[] = [view];
  const cal = await mapped('ErrorFolderSave', () => calendars!.createCalendar({ displayName: name, components }));
  return folderIdElement(new FolderTree([], { calendars: [cal] }), view, cal.href);
}

/** PROPPATCH of the collection's display name; the href, and so the FolderId, stays. */
export async function renameDavFolder(ctx: RequestContext, tree: FolderTree, folder: EwsFolder, rawName: string | undefined): Promise<Xml> {
  const dav = folder.dav!;
  let name = validateDavFolderName(rawName);
  refuseNameCollision(tree.msgFolderRoot, name, folder);
  // The task view of a calendar that also holds events is shown as "<name> (Tasks)": renaming it
  // to "X (Tasks)" means the collection is "X".
  if (dav.view === 'VTODO' && tree.find({ kind: 'dav', store: 'calendar', view: 'VEVENT', href: dav.href })) name = name.replace(/ \(Tasks\)$/, '') || name;
  if (dav.store === 'contacts') await mapped('ErrorFolderSave', () => contactsOf(ctx).renameAddressBook(dav.href, name));
  else await mapped('ErrorFolderSave', () => calendarsOf(ctx).updateCalendar(dav.href, { displayName: name }));
  if (dav.store === 'contacts') {
    const book = await mapped('ErrorFolderSave', () => contactsOf(ctx).getAddressBook(dav.href));
    return folderIdElement(new FolderTree([], { addressBooks: [book] }), dav.view, book.href);
  }
  const cal = await mapped('ErrorFolderSave', () => calendarsOf(ctx).getCalendar(dav.href));
  return folderIdElement(new FolderTree([], { calendars: [cal] }), dav.view, cal.href);
}

/**
 * Deletes the collection with everything in it. DAV servers have no dumpster and a calendar
 * cannot live in Deleted Items, so HardDelete, SoftDelete and MoveToDeletedItems all do this.
 */
export async function deleteDavFolder(ctx: RequestContext, folder: EwsFolder): Promise<void> {
  const dav = folder.dav!;
  if (dav.store === 'contacts') await mapped('ErrorCannotDeleteObject', () => contactsOf(ctx).deleteAddressBook(dav.href));
  else await mapped('ErrorCannotDeleteObject', () => calendarsOf(ctx).deleteCalendar(dav.href));
}

/**
 * Deletes every object the folder shows: only the events of a calendar that also holds tasks
 * (and the reverse), every card of an address book. An object another client removed meanwhile
 * is not an error.
 */
export async function emptyDavFolder(ctx: RequestContext, folder: EwsFolder): Promise<void> {
  const dav = folder.dav!;
  if (dav.store === 'contacts') {
    const store = contactsOf(ctx);
    const refs = await mapped('ErrorCannotDeleteObject', () => store.listObjects(dav.href));
    for (const r of refs) {
      await mapped('ErrorCannotDeleteObject', () => store.deleteObject(r.href).catch((e) => (e instanceof ContactMissingError ? undefined : Promise.reject(e))));
    }
    return;
  }
  const store = calendarsOf(ctx);
  const component = dav.view === 'VTODO' ? 'VTODO' : 'VEVENT';
  const objects = await mapped('ErrorCannotDeleteObject', () => store.queryObjects(dav.href, { component }));
  for (const o of objects) {
    await mapped('ErrorCannotDeleteObject', () => store.deleteObject(o.href).catch((e) => (e instanceof ObjectMissingError ? undefined : Promise.reject(e))));
  }
}

function folderIdElement(single: FolderTree, view: DavView, href: string): Xml {
  const f = single.find({ kind: 'dav', store: view === 'VCARD' ? 'contacts' : 'calendar', view, href });
  if (!f) throw new EwsError('ErrorFolderSave', 'The server did not keep the new collection with the components asked for.');
  return x('t:FolderId', { Id: f.id, ChangeKey: f.changeKey });
}

