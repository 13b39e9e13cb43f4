// The mailbox's folder hierarchy as EWS sees it: the IMAP folders under
// msgfolderroot, the distinguished ones resolved by SPECIAL-USE then by name, and
// virtual well-known folders wherever the backend has nothing. Built from one
// listing per request; never cached across requests, so it is never stale.
import { createHash } from 'node:crypto';
import type { MailFolder, MailStore } from '../../ports/mail-store.js';
import type { CalendarStore, DavCalendar } from '../../ports/calendar-store.js';
import type { AddressBook, ContactStore } from '../../ports/contact-store.js';
import { EwsError, folderNotFound, invalidIdMalformed } from '../errors.js';
import { DISTINGUISHED_FOLDERS, distinguished } from './distinguished.js';
import { decodeFolderId, encodeFolderId, type DavStore, type DavView, type FolderRef } from './folder-id.js';

export interface EwsFolder {
  id: string;
  ref: FolderRef;
  changeKey: string;
  parent?: EwsFolder;
  children: EwsFolder[];
  displayName: string;
  folderClass: string;
  distinguishedId?: string;
  totalCount: number;
  unreadCount: number;
  /** The IMAP folder behind it; none for virtual folders. */
  mail?: MailFolder;
  /** The CalDAV / CardDAV collection behind it, and which of its components the folder shows. */
  dav?: { store: DavStore; view: DavView; href: string; writable: boolean; syncToken?: string; ctag?: string };
  /** A well-known folder whose backend cannot be reached now: item operations answer ErrorMailboxStoreUnavailable. */
  unavailable?: boolean;
}

/** What the DAV servers list, or 'unavailable' when one does not answer. */
export interface DavListing {
  calendars?: DavCalendar[] | 'unavailable';
  addressBooks?: AddressBook[] | 'unavailable';
}

export interface FolderSources {
  mail: MailStore;
  calendars?: CalendarStore;
  contacts?: ContactStore;
}

/** A folder reference as requests carry it: FolderId, or DistinguishedFolderId with an optional mailbox. */
export type FolderIdInput = { id: string; changeKey?: string } | { distinguished: string; mailbox?: string };

export class FolderTree {
  readonly root: EwsFolder;
  readonly msgFolderRoot: EwsFolder;
  private readonly byStableId = new Map<string, EwsFolder>();
  private readonly byPath = new Map<string, EwsFolder>();
  private readonly byDistinguished = new Map<string, EwsFolder>();
  private readonly virtualByName = new Map<string, EwsFolder>();

  private readonly byDav = new Map<string, EwsFolder>();

  /** One listing of every backend, in parallel; a DAV server that does not answer leaves its folders unavailable, not missing. */
  static async load(sources: FolderSources | MailStore): Promise<FolderTree> {
    const src: FolderSources = 'listFolders' in sources ? { mail: sources } : sources;
    const [mail, calendars, addressBooks] = await Promise.all([
      src.mail.listFolders(),
      src.calendars ? src.calendars.listCalendars().catch(() => 'unavailable' as const) : undefined,
      src.contacts ? src.contacts.listAddressBooks().catch(() => 'unavailable' as const) : undefined,
    ]);
    return new FolderTree(mail, { calendars, addressBooks });
  }

  constructor(
    readonly mailFolders: MailFolder[],
    dav: DavListing = {},
  ) {
    this.root = this.virtual('root');
    this.msgFolderRoot = this.virtual('msgfolderroot');
    this.attach(this.msgFolderRoot, this.root);

    const backing = resolveDistinguished(mailFolders);
    const paths = new Set(mailFolders.map((f) => f.path));
    for (const mf of mailFolders) {
      const distinguishedId = backing.get(mf.path);
      const folder: EwsFolder = {
        ref: { kind: 'mail', stableId: mf.stableId, path: mf.path },
        id: '',
        changeKey: changeKeyOf(mf),
        children: [],
        displayName: mf.path === 'INBOX' ? 'Inbox' : mf.name,
        // IMAP keeps no folder class: the well-known mail folders are IPF.Note, the user's own
        // have none, as a folder created through EWS without a FolderClass has on Exchange
        // (exchangelib types a folder by it and refuses a mismatch).
        folderClass: distinguishedId ? 'IPF.Note' : '',
        distinguishedId,
        totalCount: mf.messages,
        unreadCount: mf.unseen,
        mail: mf,
      };
      folder.id = encodeFolderId(folder.ref);
      this.byPath.set(mf.path, folder);
      if (mf.stableId) this.byStableId.set(mf.stableId, folder);
      if (distinguishedId) this.byDistinguished.set(distinguishedId, folder);
    }
    for (const mf of mailFolders) {
      const folder = this.byPath.get(mf.path)!;
      const parent = mf.parentPath && paths.has(mf.parentPath) ? this.byPath.get(mf.parentPath)! : this.msgFolderRoot;
      this.attach(folder, parent);
    }
    this.addDav(dav);
    for (const def of DISTINGUISHED_FOLDERS) {
      if (def.absent || def.parent === null || this.byDistinguished.has(def.id)) continue;
      const folder = this.virtual(def.id);
      if ((def.id === 'calendar' || def.id === 'tasks') && dav.calendars === 'unavailable') folder.unavailable = true;
      if (def.id === 'contacts' && dav.addressBooks === 'unavailable') folder.unavailable = true;
      this.attach(folder, def.parent === 'root' ? this.root : this.msgFolderRoot);
    }
  }

  /**
   * Calendars become IPF.Appointment folders and, where they hold tasks, IPF.Task folders
   * (one collection may be both, as Radicale's default is); address books IPF.Contact folders.
   * The distinguished calendar / tasks / contacts are the first of each.
   */
  private addDav(dav: DavListing): void {
    // The default must not move when a client adds a collection: the conventional names first, then href order.
    const preferred = (c: DavCalendar) => (/\/(calendar|default|personal|home)\/?$/i.test(c.href) || /^(calendar|kalender|default)$/i.test(c.displayName) ? 0 : 1);
    const calendars = (Array.isArray(dav.calendars) ? dav.calendars : []).slice().sort((a, b) => preferred(a) - preferred(b) || (a.href < b.href ? -1 : a.href > b.href ? 1 : 0));
    const withEvents = calendars.filter((c) => c.components.includes('VEVENT'));
    const withTasks = calendars.filter((c) => c.components.includes('VTODO'));
    // A task-only list is the Tasks folder only when it is named as one: otherwise the first task list
    // a client creates would take Tasks over from the default calendar's tasks.
    const tasksNamed = (c: DavCalendar) => /\/(tasks?|todos?)\/?$/i.test(c.href) || /^(tasks|aufgaben|todo|to-do)$/i.test(c.displayName);
    const taskHome = withTasks.find((c) => !c.components.includes('VEVENT') && tasksNamed(c)) ?? withTasks[0];
    const add = (store: DavStore, view: DavView, href: string, name: string, folderClass: string, distinguishedId: string | undefined, extra: { writable: boolean; syncToken?: string; ctag?: string }) => {
      const ref: FolderRef = { kind: 'dav', store, view, href };
      const folder: EwsFolder = {
        ref,
        id: encodeFolderId(ref),
        changeKey: createHash('sha1').update(`${href}\0${extra.ctag ?? extra.syncToken ?? ''}`).digest('base64').slice(0, 16),
        children: [],
        displayName: name,
        folderClass,
        distinguishedId,
        totalCount: 0,
        unreadCount: 0,
        dav: { store, view, href, ...extra },
      };
      this.byDav.set(`${view} ${href}`, folder);
      if (distinguishedId) this.byDistinguished.set(distinguishedId, folder);
      this.attach(folder, this.msgFolderRoot);
    };
    for (const c of withEvents) add('calendar', 'VEVENT', c.href, c.displayName, 'IPF.Appointment', c === withEvents[0] ? 'calendar' : undefined, c);
    for (const c of withTasks) {
      const mixed = c.components.includes('VEVENT');
      const name = c === taskHome && mixed ? 'Tasks' : mixed ? `${c.displayName} (Tasks)` : c.displayName;
      add('calendar', 'VTODO', c.href, name, 'IPF.Task', c === taskHome ? 'tasks' : undefined, c);
    }
    const books = Array.isArray(dav.addressBooks) ? dav.addressBooks : [];
    for (const b of books) add('contacts', 'VCARD', b.href, b.displayName, 'IPF.Contact', b === books[0] ? 'contacts' : undefined, { writable: !b.readOnly, syncToken: b.syncToken, ctag: b.ctag });
  }

  /** Every folder below `from` (not itself), parents before children. */
  descendants(from: EwsFolder): EwsFolder[] {
    const out: EwsFolder[] = [];
    const walk = (f: EwsFolder) => {
      for (const c of f.children) {
        out.push(c);
        walk(c);
      }
    };
    walk(from);
    return out;
  }

  /** Resolves a request's folder reference, throwing the EwsError Exchange would answer. */
  resolve(input: FolderIdInput, ownAddresses: string[]): EwsFolder {
    if ('distinguished' in input) {
      const def = distinguished(input.distinguished);
      if (!def) throw new EwsError('ErrorInvalidRequest', `"${input.distinguished}" is not a distinguished folder id.`);
      if (input.mailbox && !ownAddresses.some((a) => a.toLowerCase() === input.mailbox!.toLowerCase())) {
        throw new EwsError('ErrorNonExistentMailbox', 'The SMTP address has no mailbox associated with it.');
      }
      if (def.absent) throw folderNotFound();
      const f = this.byDistinguished.get(def.id);
      if (!f) throw folderNotFound();
      return f;
    }
    const ref = decodeFolderId(input.id);
    if (!ref) throw invalidIdMalformed();
    const f = this.find(ref);
    if (!f) throw folderNotFound();
    return f;
  }

  find(ref: FolderRef): EwsFolder | undefined {
    if (ref.kind === 'virtual') return this.virtualByName.get(ref.name);
    if (ref.kind === 'dav') return this.byDav.get(`${ref.view} ${ref.href}`);
    if (ref.stableId) {
      const f = this.byStableId.get(ref.stableId);
      if (f) return f;
      // A folder with a stable id that no longer exists is gone, even if another took its path.
      if (this.byStableId.size > 0) return undefined;
    }
    return this.byPath.get(ref.path);
  }

  folderAtPath(path: string): EwsFolder | undefined {
    return this.byPath.get(path);
  }

  distinguishedFolder(id: string): EwsFolder | undefined {
    return this.byDistinguished.get(id);
  }

  all(): EwsFolder[] {
    return [this.root, ...this.descendants(this.root)];
  }

  /** The IMAP path a new child named `name` of `parent` gets. */
  childPath(parent: EwsFolder, name: string): string {
    if (parent === this.msgFolderRoot) return name;
    if (!parent.mail) throw new EwsError('ErrorInvalidOperation', `Folders cannot be created in "${parent.displayName}" on this server.`);
    return parent.mail.path + parent.mail.delimiter + name;
  }

  delimiter(): string {
    return this.mailFolders[0]?.delimiter ?? '/';
  }

  /** True when `a` is `b` or lies below it. */
  static isWithin(a: EwsFolder, b: EwsFolder): boolean {
    for (let f: EwsFolder | undefined = a; f; f = f.parent) if (f === b) return true;
    return false;
  }

  private virtual(name: string): EwsFolder {
    const def = distinguished(name)!;
    const ref: FolderRef = { kind: 'virtual', name };
    const folder: EwsFolder = {
      ref,
      id: encodeFolderId(ref),
      changeKey: 'AQAAAA==',
      children: [],
      displayName: def.displayName,
      folderClass: def.folderClass,
      distinguishedId: name,
      totalCount: 0,
      unreadCount: 0,
    };
    this.virtualByName.set(name, folder);
    this.byDistinguished.set(name, folder);
    return folder;
  }

  private attach(child: EwsFolder, parent: EwsFolder): void {
    child.parent = parent;
    parent.children.push(child);
  }
}

/** path → distinguished id, SPECIAL-USE attributes first, then well-known top-level names. */
function resolveDistinguished(folders: MailFolder[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const def of DISTINGUISHED_FOLDERS) {
    if (!def.specialUse) continue;
    const f = folders.find((m) => m.specialUse === def.specialUse && !out.has(m.path));
    if (f) {
      out.set(f.path, def.id);
      taken.add(def.id);
    }
  }
  for (const def of DISTINGUISHED_FOLDERS) {
    if (taken.has(def.id) || !def.names) continue;
    const names = def.names.map((n) => n.toLowerCase());
    const f = folders.find((m) => !m.parentPath && names.includes(m.path.toLowerCase()) && !out.has(m.path));
    if (f) {
      out.set(f.path, def.id);
      taken.add(def.id);
    }
  }
  return out;
}

/** A mail folder's ChangeKey; the same for GetFolder and for the answers of the writing operations. */
export function changeKeyOf(mf: MailFolder): string {
  return createHash('sha1').update(`${mf.stableId ?? ''}\0${mf.path}\0${mf.uidValidity}`).digest('base64').slice(0, 16);
}
