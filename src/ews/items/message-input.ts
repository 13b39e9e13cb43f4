// A t:Message from a request (CreateItem without MimeContent) → the MIME a mail
// client would have written, via the compose conversion.
import { NS, attr, child, elementChildren, textOf, type Element, xsBool } from '../../soap/xml.js';
import { composeMessage, type ComposeInput } from '../../convert/compose.js';
import { EwsError } from '../errors.js';
import type { AuthenticatedUser } from '../operation.js';

interface Address {
  name?: string;
  address: string;
}

function mailboxes(list: Element | undefined): Address[] {
  if (!list) return [];
  return elementChildren(list)
    .map((m) => ({ name: textOf(child(m, NS.types, 'Name'))?.trim() || undefined, address: textOf(child(m, NS.types, 'EmailAddress'))?.trim() ?? '' }))
    .filter((a) => a.address);
}

function single(el: Element | undefined): Address | undefined {
  return mailboxes(el)[0];
}

export function messageInputOf(item: Element, user: AuthenticatedUser): ComposeInput {
  const t = (name: string) => textOf(child(item, NS.types, name))?.trim();
  const bodyEl = child(item, NS.types, 'Body');
  const bodyType = attr(bodyEl, 'BodyType') === 'HTML' ? 'HTML' : 'Text';
  const importance = t('Importance');
  const sensitivity = t('Sensitivity');
  const attachments: ComposeInput['attachments'] = [];
  const itemAttachments: ComposeInput['itemAttachments'] = [];
  const pendingItems: PendingItem[] = [];
  for (const a of elementChildren(child(item, NS.types, 'Attachments') ?? item).filter((c) => c.localName === 'FileAttachment' || c.localName === 'ItemAttachment')) {
    const name = textOf(child(a, NS.types, 'Name'))?.trim() || 'attachment';
    if (a.localName === 'FileAttachment') {
      attachments.push({
        name,
        contentType: textOf(child(a, NS.types, 'ContentType'))?.trim() || 'application/octet-stream',
        content: Buffer.from((textOf(child(a, NS.types, 'Content')) ?? '').replace(/\s+/g, ''), 'base64'),
        contentId: textOf(child(a, NS.types, 'ContentId'))?.trim() || undefined,
        isInline: xsBool(textOf(child(a, NS.types, 'IsInline'))) === true,
      });
    } else {
      const inner = elementChildren(a).find((c) => ['Message', 'Item', 'PostItem'].includes(c.localName ?? ''));
      const mime = textOf(child(inner, NS.types, 'MimeContent'));
      if (mime) itemAttachments.push({ raw: Buffer.from(mime.replace(/\s+/g, ''), 'base64'), name });
      else if (inner) pendingItems.push({ element: inner, name, index: itemAttachments.push({ raw: Buffer.alloc(0), name }) - 1 });
      else throw new EwsError('ErrorInvalidPropertySet', 'An ItemAttachment needs the attached item.');
    }
  }
  return {
    from: single(child(item, NS.types, 'From')) ?? { name: user.displayName, address: user.email },
    sender: single(child(item, NS.types, 'Sender')),
    to: mailboxes(child(item, NS.types, 'ToRecipients')),
    cc: mailboxes(child(item, NS.types, 'CcRecipients')),
    bcc: mailboxes(child(item, NS.types, 'BccRecipients')),
    keepBcc: true,
    replyTo: mailboxes(child(item, NS.types, 'ReplyTo')),
    subject: t('Subject') ?? '',
    body: { type: bodyType, content: textOf(bodyEl) ?? '' },
    importance: importance === 'High' || importance === 'Low' ? importance : 'Normal',
    sensitivity: sensitivity === 'Personal' || sensitivity === 'Private' || sensitivity === 'Confidential' ? sensitivity : 'Normal',
    inReplyTo: t('InReplyTo'),
    references: t('References'),
    isReadReceiptRequested: xsBool(t('IsReadReceiptRequested')) === true,
    isDeliveryReceiptRequested: xsBool(t('IsDeliveryReceiptRequested')) === true,
    categories: elementChildren(child(item, NS.types, 'Categories') ?? item).filter((c) => c.localName === 'String').map((c) => (c.textContent ?? '').trim()),
    extraHeaders: [],
    attachments,
    itemAttachments,
    [PENDING]: pendingItems,
  } as ComposeInput;
}

interface PendingItem {
  element: Element;
  name: string;
  index: number;
}

/** Item attachments given as properties (exchangelib) are composed before the message that holds them. */
const PENDING = Symbol('pending item attachments');

export async function composeFromItem(item: Element, user: AuthenticatedUser): Promise<Buffer> {
  return composeMessage(await completeInput(messageInputOf(item, user), user));
}

/** Composes the item attachments that came as properties; every other input passes through. */
export async function completeInput(input: ComposeInput, user: AuthenticatedUser): Promise<ComposeInput> {
  const pending = (input as unknown as Record<symbol, PendingItem[] | undefined>)[PENDING] ?? [];
  for (const p of pending) input.itemAttachments[p.index] = { raw: await composeFromItem(p.element, user), name: p.name };
  return input;
}
