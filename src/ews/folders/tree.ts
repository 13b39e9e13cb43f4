// The mailbox's folder hierarchy as EWS sees it: the IMAP folders under
// msgfolderroot, the distinguished ones resolved by SPECIAL-USE then by name, and
// virtual well-known folders wherever the backend has nothing. Built from one
// listing per request; never cached across requests, so it is never stale.
import { createHash } from 'node:crypto';
import type { MailFolder, MailStore } from '../../ports/mail-store.js';
import { EwsError, folderNotFound, invalidIdMalformed } from '../errors.js';
import { DISTINGUISHED_FOLDERS, distinguished } from './distinguished.js';
import { decodeFolderId, encodeFolderId, type FolderRef } from './folder-id.js';

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

  static async load(store: MailStore): Promise<FolderTree> {
    return new FolderTree(await store.listFolders());
  }

  constructor(readonly mailFolders: MailFolder[]) {
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
    for (const def of DISTINGUISHED_FOLDERS) {
      if (def.absent || def.parent === null || this.byDistinguished.has(def.id)) continue;
      const folder = this.virtual(def.id);
      this.attach(folder, def.parent === 'root' ? this.root : this.msgFolderRoot);
    }
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
