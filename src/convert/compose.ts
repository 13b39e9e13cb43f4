// Properties → MIME (DESIGN.md §4: writes that change content rebuild the
// message). Uses nodemailer's MailComposer; pure apart from the composer's own
// buffering: no file or URL access (both are disabled), no network.

import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { encodeWord } from 'nodemailer/lib/mime-funcs/index.js';
import { htmlToText } from './body.js';
import type { Importance, MailAddress, Sensitivity } from './message-properties.js';

export interface ComposeAttachment {
  name: string;
  contentType: string;
  content: Buffer;
  /** Content-ID without angle brackets (brackets are stripped if given). */
  contentId?: string;
  /** Shown in the HTML body: the part goes into multipart/related beside the HTML. */
  isInline?: boolean;
}

export interface ComposeItemAttachment {
  /** The attached message, RFC 5322 (becomes a message/rfc822 part as is). */
  raw: Buffer;
  /** A file name for the part; readMessage names an unnamed one after its subject. */
  name?: string;
}

export interface ComposeInput {
  from?: MailAddress;
  sender?: MailAddress;
  to: MailAddress[];
  cc: MailAddress[];
  /** Written only when keepBcc is set (drafts, Sent Items copies). */
  bcc: MailAddress[];
  keepBcc?: boolean;
  replyTo: MailAddress[];
  subject: string;
  body: { type: 'HTML' | 'Text'; content: string };
  importance: Importance;
  sensitivity: Sensitivity;
  inReplyTo?: string;
  /** References as a header value ("<a> <b>") or a list of Message-IDs. */
  references?: string | string[];
  /** With or without angle brackets; generated when missing. */
  messageId?: string;
  /** The Date header; now when missing. */
  date?: Date;
  isReadReceiptRequested: boolean;
  isDeliveryReceiptRequested: boolean;
  /** Written as one Keywords header. */
  categories: string[];
  /** Further header fields (Thread-Index, X-…); fields composeMessage writes itself are ignored here. */
  extraHeaders: { name: string; value: string }[];
  attachments: ComposeAttachment[];
  itemAttachments: ComposeItemAttachment[];
  /**
   * For an HTML body, also write a text/plain alternative made with
   * htmlToText (what Outlook does). Default true.
   */
  textAlternative?: boolean;
}

// header fields composeMessage (or MailComposer) owns: extraHeaders cannot override or duplicate them
const OWN_HEADERS = new Set([
  'from', 'sender', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'date', 'message-id', 'in-reply-to', 'references', 'mime-version',
  'content-type', 'content-transfer-encoding', 'content-disposition', 'content-id', 'importance', 'x-priority', 'priority',
  'x-msmail-priority', 'sensitivity', 'disposition-notification-to', 'return-receipt-to', 'keywords',
]);

function addr(a: MailAddress): { name: string; address: string } | string {
  const name = a.name?.trim();
  return name ? { name, address: a.address.trim() } : a.address.trim();
}

function addrList(list: MailAddress[] | undefined): ({ name: string; address: string } | string)[] | undefined {
  const valid = (list ?? []).filter((a) => a && a.address && a.address.trim());
  return valid.length ? valid.map(addr) : undefined;
}

function formatForHeader(a: MailAddress): string {
  // a plain address is safe in any header; the display name is added by MailComposer elsewhere
  return `<${a.address.trim()}>`;
}

function cleanCid(cid: string): string {
  return cid.trim().replace(/^<|>$/g, '').trim();
}

/** Builds the RFC 5322 message (CRLF line ends) for the given properties. */
export async function composeMessage(input: ComposeInput): Promise<Buffer> {
  const headers: { key: string; value: string | { prepared: true; value: string; foldLines: true } }[] = [];
  for (const h of input.extraHeaders ?? []) {
    const name = h.name?.trim();
    if (!name || !/^[\x21-\x39\x3b-\x7e]+$/.test(name) || OWN_HEADERS.has(name.toLowerCase())) continue;
    headers.push({ key: name, value: String(h.value ?? '').replace(/[\r\n]+/g, ' ') });
  }
  if (input.importance === 'High') {
    headers.push({ key: 'Importance', value: 'High' }, { key: 'X-Priority', value: '1 (Highest)' });
  } else if (input.importance === 'Low') {
    headers.push({ key: 'Importance', value: 'Low' }, { key: 'X-Priority', value: '5 (Lowest)' });
  }
  const sensitivity = { Personal: 'Personal', Private: 'Private', Confidential: 'Company-Confidential', Normal: undefined }[input.sensitivity];
  if (sensitivity) headers.push({ key: 'Sensitivity', value: sensitivity });
  const receiptTo = input.from ?? input.sender;
  if (input.isReadReceiptRequested && receiptTo?.address) headers.push({ key: 'Disposition-Notification-To', value: formatForHeader(receiptTo) });
  if (input.isDeliveryReceiptRequested && receiptTo?.address) headers.push({ key: 'Return-Receipt-To', value: formatForHeader(receiptTo) });
  const categories = (input.categories ?? []).map((c) => c.replace(/[,\r\n]+/g, ' ').trim()).filter(Boolean);
  // one encoded word per keyword: a comma inside an encoded word would not separate keywords for other readers
  if (categories.length) {
    const value = categories.map((c) => (/^[\x20-\x7e]*$/.test(c) ? c : encodeWord(c, 'Q', 52))).join(', ');
    headers.push({ key: 'Keywords', value: { prepared: true, value, foldLines: true } });
  }

  const isHtml = input.body?.type === 'HTML';
  const content = input.body?.content ?? '';
  const htmlLower = isHtml ? content.toLowerCase() : '';

  const attachments: NonNullable<MailComposer.Options['attachments']> = [];
  for (const a of input.attachments ?? []) {
    const cid = a.contentId ? cleanCid(a.contentId) : '';
    // only a part the HTML shows goes into multipart/related; a Content-ID on an
    // ordinary attachment (Outlook sets one on every attachment) stays a header
    const related = !!cid && isHtml && (a.isInline === true || htmlLower.includes('cid:' + cid.toLowerCase()));
    attachments.push({
      filename: a.name || 'attachment',
      contentType: a.contentType || 'application/octet-stream',
      content: a.content,
      contentDisposition: a.isInline ? 'inline' : 'attachment',
      ...(related ? { cid } : cid ? { headers: { 'Content-ID': `<${cid}>` } } : {}),
    });
  }
  for (const it of input.itemAttachments ?? []) {
    attachments.push({
      contentType: 'message/rfc822',
      content: it.raw,
      contentDisposition: 'attachment',
      ...(it.name ? { filename: it.name } : {}),
    });
  }

  let references: string | string[] | undefined = input.references;
  if (typeof references === 'string') references = references.trim() || undefined;
  else if (Array.isArray(references)) references = references.filter(Boolean).length ? references.filter(Boolean) : undefined;

  const options: MailComposer.Options = {
    from: input.from?.address ? addr(input.from) : undefined,
    sender: input.sender?.address ? addr(input.sender) : undefined,
    to: addrList(input.to),
    cc: addrList(input.cc),
    bcc: input.keepBcc ? addrList(input.bcc) : undefined,
    replyTo: addrList(input.replyTo),
    subject: input.subject || undefined,
    inReplyTo: input.inReplyTo?.trim() || undefined,
    references,
    messageId: input.messageId ? `<${input.messageId.trim().replace(/^<|>$/g, '')}>` : undefined,
    date: input.date,
    headers,
    attachments,
    newline: 'windows',
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (isHtml) {
    options.html = content;
    if (input.textAlternative !== false) options.text = htmlToText(content);
  } else {
    options.text = content;
  }

  const node = new MailComposer(options).compile();
  if (input.keepBcc) node.keepBcc = true;
  return node.build();
}
