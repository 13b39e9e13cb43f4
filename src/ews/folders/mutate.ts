// Changes to the folder tree shared by UpdateFolder, MoveFolder, DeleteFolder and
// EmptyFolder: the guards Exchange applies and the IMAP steps behind them.
import type { MailStore } from '../../ports/mail-store.js';
import { EwsError } from '../errors.js';
import { FolderTree, changeKeyOf, type EwsFolder } from './tree.js';
import { encodeFolderId } from './folder-id.js';
import { x, type Xml } from '../../soap/xml.js';

export function requireMailFolder(f: EwsFolder, action: string): NonNullable<EwsFolder['mail']> {
  if (f.dav) throw new EwsError('ErrorInvalidOperation', `The folder "${f.displayName}" is a calendar, task list or address book and cannot be ${action} on this server.`);
  if (!f.mail) throw new EwsError('ErrorInvalidOperation', `The folder "${f.displayName}" cannot be ${action} on this server.`);
  return f.mail;
}

export function refuseDistinguished(f: EwsFolder, code: 'ErrorDeleteDistinguishedFolder' | 'ErrorMoveDistinguishedFolder' | 'ErrorCannotRenameDistinguishedFolder'): void {
  if (!f.distinguishedId) return;
  const text = {
    ErrorDeleteDistinguishedFolder: 'Distinguished folders cannot be deleted.',
    ErrorMoveDistinguishedFolder: 'Distinguished folders cannot be moved.',
    ErrorCannotRenameDistinguishedFolder: 'Distinguished folders cannot be renamed.',
  }[code];
  throw new EwsError(code === 'ErrorCannotRenameDistinguishedFolder' ? 'ErrorInvalidOperation' : code, text);
}

export function refuseNameCollision(parent: EwsFolder, name: string, except?: EwsFolder): void {
  if (parent.children.some((c) => c !== except && c.displayName.toLowerCase() === name.toLowerCase())) {
    throw new EwsError('ErrorFolderExists', 'A folder with the specified name already exists.');
  }
}

/** The FolderId element for a mail folder as it is now on the backend. */
export async function folderIdOf(store: MailStore, path: string): Promise<Xml> {
  const now = await store.folderStatus(path);
  return x('t:FolderId', { Id: encodeFolderId({ kind: 'mail', stableId: now.stableId, path }), ChangeKey: changeKeyOf(now) });
}

/** Renames `folder` to `name` under `parent` and answers its FolderId (kept across the rename where the backend has stable ids). */
export async function moveFolderTo(store: MailStore, tree: FolderTree, folder: EwsFolder, parent: EwsFolder, name: string): Promise<Xml> {
  const mail = requireMailFolder(folder, 'moved');
  if (FolderTree.isWithin(parent, folder)) throw new EwsError('ErrorMoveCopyFailed', 'A folder cannot be moved into itself or below itself.');
  refuseNameCollision(parent, name, folder);
  const to = tree.childPath(parent, name);
  if (to !== mail.path) await store.renameFolder(mail.path, to);
  return folderIdOf(store, to);
}

/** Deletes a folder and everything below it, deepest first (IMAP refuses parents with children). */
export async function deleteFolderTree(store: MailStore, tree: FolderTree, folder: EwsFolder): Promise<void> {
  const all = [folder, ...tree.descendants(folder)].reverse();
  for (const f of all) if (f.mail) await store.deleteFolder(f.mail.path);
}
