// Content changes to a stored message: the message is read back into compose
// input, the updates are applied, and the caller writes the new MIME (APPEND,
// then removes the old copy).
import type { Element } from '../../soap/xml.js';
import type { ComposeInput } from '../../convert/compose.js';
import type { ParsedMessage } from '../../convert/message-properties.js';
import { EwsError } from '../errors.js';
import type { AuthenticatedUser } from '../operation.js';
import type { PropertyPath } from '../properties/path.js';
import { valueElement } from './flag-updates.js';
import { messageInputOf } from './message-input.js';
import { STABLE_ID_HEADER } from './request.js';

export function composeInputOf(m: ParsedMessage): ComposeInput {
  const headerSkip = new Set(['from', 'sender', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'date', 'message-id', 'in-reply-to', 'references', 'mime-version', 'content-type', 'content-transfer-encoding', 'importance', 'x-priority', 'priority', 'sensitivity', 'keywords', 'disposition-notification-to', 'return-receipt-to']);
  return {
    from: m.from[0],
    sender: m.sender[0],
    to: m.to,
    cc: m.cc,
    bcc: m.bcc,
    keepBcc: true,
    replyTo: m.replyTo,
    subject: m.subject ?? '',
    body: m.htmlBody !== undefined ? { type: 'HTML', content: m.htmlBody } : { type: 'Text', content: m.textBody ?? '' },
    importance: m.importance,
    sensitivity: m.sensitivity,
    inReplyTo: m.inReplyTo,
    references: m.references,
    messageId: m.messageId,
    date: m.dateSent,
    isReadReceiptRequested: m.isReadReceiptRequested,
    isDeliveryReceiptRequested: m.isDeliveryReceiptRequested,
    categories: m.categories,
    extraHeaders: m.internetMessageHeaders.filter((h) => !headerSkip.has(h.name.toLowerCase()) && !h.name.toLowerCase().startsWith('content-')),
    attachments: m.attachments.filter((a) => !a.isMessage).map((a) => ({ name: a.name, contentType: a.contentType, content: a.content, contentId: a.contentId, isInline: a.isInline })),
    itemAttachments: m.attachments.filter((a) => a.isMessage).map((a) => ({ raw: a.content })),
  };
}

/** Marks the rebuilt message with the id clients know it by, unless an earlier rewrite already did. */
export function withStableId(input: ComposeInput, id: string): ComposeInput {
  if (input.extraHeaders.some((h) => h.name.toLowerCase() === STABLE_ID_HEADER.toLowerCase())) return input;
  return { ...input, extraHeaders: [...input.extraHeaders, { name: STABLE_ID_HEADER, value: id }] };
}

type Field = 'subject' | 'body' | 'to' | 'cc' | 'bcc' | 'from' | 'sender' | 'replyTo' | 'importance' | 'sensitivity' | 'isReadReceiptRequested' | 'isDeliveryReceiptRequested' | 'inReplyTo' | 'references';

const FIELDS: Record<string, Field> = {
  'item:Subject': 'subject',
  'item:Body': 'body',
  'message:ToRecipients': 'to',
  'message:CcRecipients': 'cc',
  'message:BccRecipients': 'bcc',
  'message:From': 'from',
  'message:Sender': 'sender',
  'message:ReplyTo': 'replyTo',
  'item:Importance': 'importance',
  'item:Sensitivity': 'sensitivity',
  'message:IsReadReceiptRequested': 'isReadReceiptRequested',
  'message:IsDeliveryReceiptRequested': 'isDeliveryReceiptRequested',
  'item:InReplyTo': 'inReplyTo',
  'message:References': 'references',
};

const LISTS = new Set<Field>(['to', 'cc', 'bcc', 'replyTo']);

/** Applies one content update; false when the path is not a content field this store can change. */
export function applyContentUpdate(input: ComposeInput, kind: string, path: PropertyPath, update: Element, user: AuthenticatedUser): boolean {
  if (path.kind !== 'field') return false;
  const field = FIELDS[path.uri];
  if (!field) return false;
  const target = input as unknown as Record<Field, unknown>;
  if (kind === 'DeleteItemField') {
    if (field === 'subject') input.subject = '';
    else if (field === 'body') input.body = { type: input.body.type, content: '' };
    else if (LISTS.has(field)) target[field] = [];
    else if (field === 'importance' || field === 'sensitivity') target[field] = 'Normal';
    else if (field === 'isReadReceiptRequested' || field === 'isDeliveryReceiptRequested') target[field] = false;
    else target[field] = undefined;
    return true;
  }
  const value = valueElement(update);
  if (!value) throw new EwsError('ErrorInvalidPropertySet', `${kind} needs the new value in an item element.`);
  const given = messageInputOf(value, user) as unknown as Record<Field, unknown>;
  if (kind === 'AppendToItemField') {
    if (LISTS.has(field)) target[field] = [...(target[field] as unknown[]), ...(given[field] as unknown[])];
    else if (field === 'body') input.body = { type: input.body.type, content: input.body.content + (given.body as ComposeInput['body']).content };
    else throw new EwsError('ErrorInvalidPropertyAppend', `${path.uri} cannot be appended to.`);
    return true;
  }
  if (field === 'from' && !given.from) throw new EwsError('ErrorInvalidPropertySet', 'From needs a mailbox.');
  target[field] = given[field];
  return true;
}
