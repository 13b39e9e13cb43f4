// Reading folder references out of requests.
import { NS, attr, child, elementChildren, path, textOf, type Element } from '../../soap/xml.js';
import { schemaViolation } from '../errors.js';
import type { RequestContext } from '../operation.js';
import { FolderTree, type FolderIdInput } from './tree.js';
import { decodeFolderId, type DavStore, type FolderRef } from './folder-id.js';
import { FolderMissingError, type MailFolder } from '../../ports/mail-store.js';

export function parseFolderIdInput(el: Element): FolderIdInput {
  if (el.localName === 'FolderId') {
    const id = attr(el, 'Id');
    if (id === undefined) throw schemaViolation('FolderId needs an Id.');
    return { id, changeKey: attr(el, 'ChangeKey') };
  }
  if (el.localName === 'DistinguishedFolderId') {
    const id = attr(el, 'Id');
    if (!id) throw schemaViolation('DistinguishedFolderId needs an Id.');
    const mailbox = textOf(path(el, NS.types, 'Mailbox', 'EmailAddress'))?.trim();
    return { distinguished: id, mailbox: mailbox || undefined };
  }
  throw schemaViolation(`${el.localName} is not a folder id.`);
}

/** Every FolderId / DistinguishedFolderId directly under `container`, in order. */
export function parseFolderIds(container: Element | undefined, what: string): FolderIdInput[] {
  if (!container) throw schemaViolation(`${what} is required.`);
  const ids = elementChildren(container).map(parseFolderIdInput);
  if (ids.length === 0) throw schemaViolation(`${what} holds no folder id.`);
  return ids;
}

/** The single folder id inside an element such as ParentFolderId or ToFolderId. */
export function parseSingleFolderId(container: Element | undefined, what: string): FolderIdInput {
  return parseFolderIds(container, what)[0];
}

export function ownAddresses(ctx: RequestContext): string[] {
  return [ctx.user.email, ctx.user.login];
}

const DAV_DISTINGUISHED = new Set(['calendar', 'contacts', 'tasks', 'msgfolderroot', 'root']);

/** True when any of these folder references can name a CalDAV / CardDAV folder (or lists them). */
export function folderInputsNeedDav(inputs: FolderIdInput[]): boolean {
  return inputs.some((i) => ('distinguished' in i ? DAV_DISTINGUISHED.has(i.distinguished) : decodeFolderId(i.id)?.kind !== 'mail'));
}

/**
 * The folder tree. DAV collections are listed only when the request can touch them
 * (`dav`), so mail-only requests cost no CalDAV/CardDAV round trips.
 */
export async function loadTree(ctx: RequestContext, opts: { dav?: boolean } = {}): Promise<FolderTree> {
  const { mail, calendars, contacts } = ctx.mailbox;
  await mail.leaveFolder?.();
  const tree = opts.dav === false ? await FolderTree.load({ mail }) : await FolderTree.load({ mail, calendars, contacts });
  rememberPaths(ctx.user.login, tree);
  return tree;
}

// Where each user's folders were last seen (stable id → folder as listed): FolderIds and ItemIds
// carry only the stable id, and listing the whole hierarchy (LIST-STATUS opens every folder) to
// find one folder made every item request pay for the size of the mailbox. A hint is only a
// hint: the folder found at the path must still carry the id, or the whole tree is read.
const knownFolders = new Map<string, Map<string, MailFolder>>();
const MAX_HINTED_USERS = 10_000;

function rememberPaths(login: string, tree: FolderTree): void {
  const hints = new Map<string, MailFolder>();
  for (const mf of tree.mailFolders) if (mf.stableId) hints.set(mf.stableId, mf);
  knownFolders.delete(login);
  knownFolders.set(login, hints);
  if (knownFolders.size > MAX_HINTED_USERS) knownFolders.delete(knownFolders.keys().next().value!);
}

function rememberFolder(login: string, folder: MailFolder): void {
  if (folder.stableId) knownFolders.get(login)?.set(folder.stableId, folder);
}

/** The mail folder path a folder reference names without listing the hierarchy, when known. */
function hintedPath(login: string, input: FolderIdInput | FolderRef): string | undefined {
  if ('distinguished' in input) return input.distinguished.toLowerCase() === 'inbox' && !input.mailbox ? 'INBOX' : undefined;
  const ref = 'kind' in input ? input : decodeFolderId(input.id);
  if (!ref || ref.kind !== 'mail') return undefined;
  return ref.stableId ? knownFolders.get(login)?.get(ref.stableId)?.path : ref.path;
}

/**
 * The folder at `path` as last listed, when the session's connection still has that very folder
 * open (same path, same UIDVALIDITY: a folder deleted and made again, or another one renamed into
 * its place, has another), so it needs no LIST-STATUS. Its counts are as old as the listing.
 */
function openKnownFolder(ctx: RequestContext, path: string): MailFolder | undefined {
  const open = ctx.mailbox.mail.selectedFolder?.();
  if (!open || open.path !== path) return undefined;
  for (const f of knownFolders.get(ctx.user.login)?.values() ?? []) if (f.path === path) return f.uidValidity === open.uidValidity ? f : undefined;
  return undefined;
}

/**
 * A tree holding just the few mail folders these references name, each read with one
 * single-folder LIST-STATUS; the whole tree when one of them is not a plain mail folder
 * reference, is not where it was last seen, or no longer carries its stable id. With
 * `counts: false` (the caller shows no folder counts) a folder the session has open and
 * that was listed before costs no round trip at all.
 */
export async function loadTreeFor(ctx: RequestContext, inputs: (FolderIdInput | FolderRef)[], opts: { dav?: boolean; counts?: boolean } = {}): Promise<FolderTree> {
  const stores = davStoresOf(inputs);
  if (stores) return loadDavTree(ctx, stores);
  const paths = new Set<string>();
  for (const input of inputs) {
    const p = opts.dav ? undefined : hintedPath(ctx.user.login, input);
    if (p === undefined || paths.size > 4) return loadTree(ctx, opts);
    paths.add(p);
  }
  const folders: MailFolder[] = [];
  try {
    for (const p of paths) {
      const known = opts.counts === false ? openKnownFolder(ctx, p) : undefined;
      const folder = known ?? (await ctx.mailbox.mail.folderStatus(p));
      if (!known) rememberFolder(ctx.user.login, folder);
      folders.push(folder);
    }
  } catch (e) {
    if (e instanceof FolderMissingError) return loadTree(ctx, opts);
    throw e;
  }
  const tree = new FolderTree(folders);
  const stale = inputs.some((input) => {
    const ref = 'distinguished' in input ? undefined : 'kind' in input ? input : decodeFolderId(input.id);
    return ref?.kind === 'mail' && ref.stableId !== undefined && !tree.find(ref);
  });
  return stale ? loadTree(ctx, opts) : tree;
}

const CALENDAR_DISTINGUISHED = new Set(['calendar', 'tasks']);

/** The DAV stores these references name when every one of them is a calendar or address-book folder; else undefined. */
function davStoresOf(inputs: (FolderIdInput | FolderRef)[]): Set<DavStore> | undefined {
  if (!inputs.length) return undefined;
  const stores = new Set<DavStore>();
  for (const input of inputs) {
    if ('distinguished' in input) {
      const d = input.distinguished.toLowerCase();
      if (input.mailbox) return undefined;
      if (CALENDAR_DISTINGUISHED.has(d)) stores.add('calendar');
      else if (d === 'contacts') stores.add('contacts');
      else return undefined;
      continue;
    }
    const ref = 'kind' in input ? input : decodeFolderId(input.id);
    if (ref?.kind !== 'dav') return undefined;
    stores.add(ref.store);
  }
  return stores;
}

/**
 * A tree of just the calendars and/or address books, for requests that touch nothing else:
 * no IMAP LIST-STATUS and no listing of the other DAV store. A server that does not answer
 * leaves its folders unavailable, as in the whole tree.
 */
async function loadDavTree(ctx: RequestContext, stores: Set<DavStore>): Promise<FolderTree> {
  const { calendars, contacts } = ctx.mailbox;
  const [cals, books] = await Promise.all([
    stores.has('calendar') && calendars ? calendars.listCalendars().catch(() => 'unavailable' as const) : undefined,
    stores.has('contacts') && contacts ? contacts.listAddressBooks().catch(() => 'unavailable' as const) : undefined,
  ]);
  return new FolderTree([], { calendars: cals, addressBooks: books });
}

export function messagesChild(op: Element, name: string): Element | undefined {
  return child(op, NS.messages, name);
}
