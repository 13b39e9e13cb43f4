// Reading folder references out of requests.
import { NS, attr, child, elementChildren, path, textOf, type Element } from '../../soap/xml.js';
import { schemaViolation } from '../errors.js';
import type { RequestContext } from '../operation.js';
import { FolderTree, type FolderIdInput } from './tree.js';

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

export async function loadTree(ctx: RequestContext): Promise<FolderTree> {
  return FolderTree.load(ctx.mailbox.mail);
}

export function messagesChild(op: Element, name: string): Element | undefined {
  return child(op, NS.messages, name);
}
