// Reading folder references out of requests.
import { NS, attr, child, elementChildren, path, textOf, type Element } from '../../soap/xml.js';
import { schemaViolation } from '../errors.js';
import type { RequestContext } from '../operation.js';
import { FolderTree, type FolderIdInput } from './tree.js';
import { decodeFolderId } from './folder-id.js';

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
  if (opts.dav === false) return FolderTree.load({ mail });
  return FolderTree.load({ mail, calendars, contacts });
}

export function messagesChild(op: Element, name: string): Element | undefined {
  return child(op, NS.messages, name);
}
