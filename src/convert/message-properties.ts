// MIME → the properties EWS serves for a Message (DESIGN.md §4). Pure: the raw
// message in, plain data out. mailparser decodes bodies and attachments; the
// header fields, part numbers, importance & co. are read here from the bytes so
// that they are the same whatever mailparser does with a broken message.
// readMessage never throws: a part it cannot read is left out.

import { parseAddressHeader, simpleParser, type Attachment as MpAttachment, type ParsedMail, type StructuredHeader } from 'mailparser';
import { htmlToText } from './body.js';
import { decodeCharset, decodeHeaderBytes, headerValue, headerValues, normalizeMessageId, type HeaderField } from './mime-headers.js';
import { decodeEntityBody, parseMimeStructure, type MimeEntity } from './mime-structure.js';

export interface MailAddress {
  name?: string;
  /** SMTP address as written in the header (an IDN domain is not decoded). */
  address: string;
}

export type Importance = 'Low' | 'Normal' | 'High';
export type Sensitivity = 'Normal' | 'Personal' | 'Private' | 'Confidential';

export interface MessageHeader {
  /** The field name as written. */
  name: string;
  /** Unfolded, RFC 2047 decoded, trimmed (may be empty). */
  value: string;
}

export interface ParsedAttachment {
  /**
   * Stable id: the IMAP part number of the part ("2", "1.2"; "1" for a message
   * that is a single attachment). "TEXT" for the smime.p7m that stands for a
   * whole clear-signed message (see readMessage).
   */
  id: string;
  name: string;
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
  /** Content-ID without angle brackets. */
  contentId?: string;
  /** Shown in the body (a cid: image the HTML refers to), not listed as an attachment by Outlook. */
  isInline: boolean;
  /** message/rfc822 (an EWS ItemAttachment); `content` is then the whole encapsulated message. */
  isMessage: boolean;
  /** Decoded content. */
  content: Buffer;
}

export interface CalendarPart {
  /** IMAP part number of the text/calendar part. */
  id: string;
  /** iCalendar METHOD (REQUEST, CANCEL, REPLY, …), upper case. */
  method?: string;
  /** The iCalendar text. */
  content: string;
}

export interface ParsedMessage {
  /**
   * PidTagMessageClass as Exchange would set it: IPM.Note,
   * IPM.Note.SMIME.MultipartSigned (clear-signed), IPM.Note.SMIME
   * (opaque-signed or encrypted), IPM.Schedule.Meeting.Request / .Canceled /
   * .Resp.Pos / .Resp.Neg / .Resp.Tent (an iMIP text/calendar alternative).
   */
  itemClass: string;
  subject?: string;
  from: MailAddress[];
  sender: MailAddress[];
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  /** Date header; undefined when missing or unreadable. */
  dateSent?: Date;
  /** Message-ID with angle brackets. */
  messageId?: string;
  /** In-Reply-To as written (unfolded). */
  inReplyTo?: string;
  /** References as written (unfolded, whitespace collapsed). */
  references?: string;
  importance: Importance;
  sensitivity: Sensitivity;
  /** Disposition-Notification-To (or the old X-Confirm-Reading-To) is present. */
  isReadReceiptRequested: boolean;
  /** Return-Receipt-To is present (MS-OXCMAIL: PidTagOriginatorDeliveryReportRequested). */
  isDeliveryReceiptRequested: boolean;
  /** Thread-Topic, else the subject without Re:/Fwd:-style prefixes. */
  conversationTopic: string;
  /** Thread-Index bytes, base64, when present and well-formed (≥ 22 bytes). */
  conversationIndex?: string;
  /** Keywords header values (comma-separated lists, every Keywords field), deduplicated. */
  categories: string[];
  textBody?: string;
  /** HTML with cid: references kept. */
  htmlBody?: string;
  attachments: ParsedAttachment[];
  /** Some attachment is not inline (Exchange's PidTagHasAttachments). */
  hasAttachments: boolean;
  /** Top-level header fields in order. */
  internetMessageHeaders: MessageHeader[];
  /** The raw header block as text (PidTagTransportMessageHeaders). */
  transportHeaders: string;
  /** The first 255 characters of the visible text, whitespace collapsed. */
  preview: string;
  /** Size of the raw message in bytes. */
  size: number;
  /** The iMIP text/calendar alternative of a meeting message; not listed in `attachments`. */
  calendar?: CalendarPart;
}

export interface ReadMessageOptions {
  /**
   * How a clear-signed (multipart/signed) message is presented:
   * 'exchange' (default) as Exchange stores it (MS-OXOSMIME 2.1.3.1): the body
   * of the signed content, and exactly one attachment "smime.p7m" of type
   * multipart/signed holding the whole signed entity (Outlook verifies and
   * unpacks it; its inner attachments are not listed separately);
   * 'transparent': the MIME parts as they are (inner attachments and smime.p7s).
   */
  smime?: 'exchange' | 'transparent';
}

const PREVIEW_LENGTH = 255;

// ---------------------------------------------------------------------------
// Small readers, exported for tests and for callers that hold only headers

const SIMPLE_ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+$/;

/** Mailboxes of address fields (all fields given, groups flattened); unreadable entries are dropped. */
export function readAddresses(fields: HeaderField[]): MailAddress[] {
  if (!fields.length) return [];
  let parsed;
  try {
    parsed = parseAddressHeader(
      fields.map((f) => f.raw),
      { flatten: true, decodePunycode: false },
    );
  } catch {
    return [];
  }
  const out: MailAddress[] = [];
  const visit = (list: { name?: string; address?: string; group?: unknown[] }[]) => {
    for (const a of list) {
      if (Array.isArray(a.group)) visit(a.group as typeof list);
      const address = (a.address ?? '').trim().replace(/^[<\s]+|[>,;\s]+$/g, '');
      if (!SIMPLE_ADDRESS.test(address)) continue;
      const name = (a.name ?? '').replace(/\s+/g, ' ').trim();
      out.push(name && name !== address ? { name, address } : { address });
    }
  };
  visit(parsed.value);
  return out;
}

/** Importance from Importance, X-Priority, X-MSMail-Priority, Priority (first that is readable). */
export function readImportance(fields: HeaderField[]): Importance {
  const imp = headerValue(fields, 'importance')?.value.toLowerCase().trim();
  if (imp) {
    if (/^(?:high|urgent)\b/.test(imp)) return 'High';
    if (/^(?:low|non-urgent)\b/.test(imp)) return 'Low';
    if (/^normal\b/.test(imp)) return 'Normal';
  }
  const xp = headerValue(fields, 'x-priority')?.value.trim();
  const n = xp ? parseInt(xp, 10) : NaN;
  if (n >= 1 && n <= 5) return n < 3 ? 'High' : n > 3 ? 'Low' : 'Normal';
  const ms = headerValue(fields, 'x-msmail-priority')?.value.toLowerCase().trim();
  if (ms) {
    if (ms.startsWith('high')) return 'High';
    if (ms.startsWith('low')) return 'Low';
    if (ms.startsWith('normal')) return 'Normal';
  }
  const pr = headerValue(fields, 'priority')?.value.toLowerCase().trim();
  if (pr === 'urgent') return 'High';
  if (pr === 'non-urgent') return 'Low';
  return 'Normal';
}

/** Sensitivity header (RFC 2156): Personal, Private, Company-Confidential. */
export function readSensitivity(fields: HeaderField[]): Sensitivity {
  const v = headerValue(fields, 'sensitivity')?.value.toLowerCase().trim();
  switch (v) {
    case 'personal':
      return 'Personal';
    case 'private':
      return 'Private';
    case 'company-confidential':
    case 'confidential':
      return 'Confidential';
    default:
      return 'Normal';
  }
}

const SUBJECT_PREFIX =
  /^\s*(?:re|fw|fwd|aw|wg|sv|vs|vb|antw|antwort|tr|rv|rif|ref|réf|odp|pd|enc|res|ynt|ilt|atb|vl|vá|továbbítás|回复|回覆|答复|转发|轉寄)\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*/i;

/** The subject without reply/forward prefixes (Re:, RE[2]:, Fwd:, AW:, WG:, SV:, TR:, …), repeated. */
export function normalizeSubject(subject: string): string {
  let s = subject;
  for (let i = 0; i < 20; i++) {
    const m = SUBJECT_PREFIX.exec(s);
    if (!m) break;
    s = s.slice(m[0].length);
  }
  return s.trim();
}

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };
const ZONES: Record<string, number> = { ut: 0, utc: 0, gmt: 0, z: 0, est: -300, edt: -240, cst: -360, cdt: -300, mst: -420, mdt: -360, pst: -480, pdt: -420 };

/** An RFC 5322 date (obsolete forms included); undefined when it cannot be read. */
export function parseMailDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const v = value.replace(/\([^)]*\)/g, ' ').replace(/\s+/g, ' ').trim();
  const m = /^(?:[A-Za-z]{2,9},?\s*)?(\d{1,2})[\s-]+([A-Za-z]{3})[a-z]*\.?[\s-]+(\d{2,4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([+-]\d{2}:?\d{2}|[A-Za-z]{1,5}))?/.exec(v);
  if (m) {
    const [, d, mon, y, hh, mm, ss, zone] = m;
    const month = MONTHS[mon.toLowerCase()];
    if (month !== undefined) {
      let year = parseInt(y, 10);
      if (y.length === 2) year += year < 50 ? 2000 : 1900;
      else if (y.length === 3) year += 1900;
      let offset = 0;
      if (zone) {
        const z = zone.replace(':', '');
        if (/^[+-]\d{4}$/.test(z)) offset = (z[0] === '-' ? -1 : 1) * (parseInt(z.slice(1, 3), 10) * 60 + parseInt(z.slice(3, 5), 10));
        else offset = ZONES[z.toLowerCase()] ?? 0;
      }
      const t = Date.UTC(year, month, parseInt(d, 10), parseInt(hh, 10), parseInt(mm, 10), ss ? parseInt(ss, 10) : 0) - offset * 60000;
      const date = new Date(t);
      if (!isNaN(date.getTime())) return date;
    }
  }
  const t = Date.parse(v);
  return isNaN(t) ? undefined : new Date(t);
}

/** Thread-Index as canonical base64, when it is base64 of at least 22 bytes. */
export function readConversationIndex(fields: HeaderField[]): string | undefined {
  const v = headerValue(fields, 'thread-index')?.value.replace(/\s+/g, '');
  if (!v || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return undefined;
  const bytes = Buffer.from(v, 'base64');
  return bytes.length >= 22 ? bytes.toString('base64') : undefined;
}

/** Keywords fields → categories. */
export function readCategories(fields: HeaderField[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of headerValues(fields, 'keywords')) {
    for (const k of f.value.split(',')) {
      const t = k.replace(/\s+/g, ' ').trim();
      if (t && !seen.has(t.toLowerCase())) {
        seen.add(t.toLowerCase());
        out.push(t);
      }
    }
  }
  return out;
}

/** Whitespace-collapsed first 255 characters (code points) of a text. */
export function makePreview(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  const cps = Array.from(collapsed);
  return cps.length <= PREVIEW_LENGTH ? collapsed : cps.slice(0, PREVIEW_LENGTH).join('').trimEnd();
}

// ---------------------------------------------------------------------------

interface Leaf {
  entity: MimeEntity;
  parent?: MimeEntity;
}

/** Leaf parts in document order, not descending into encapsulated messages (they are attachments). */
function topLevelLeaves(root: MimeEntity): Leaf[] {
  const out: Leaf[] = [];
  const visit = (e: MimeEntity, parent?: MimeEntity) => {
    if (e.contentType.startsWith('multipart/') && e.children.length) {
      for (const c of e.children) visit(c, e);
    } else out.push({ entity: e, parent });
  };
  visit(root);
  return out;
}

const MP_TEXT_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);

/** mailparser's rule: every leaf but text/plain, text/html (and delivery status) shown inline is an attachment. */
function looksLikeMpAttachment(e: MimeEntity): boolean {
  if (e.contentType.startsWith('multipart/')) return false;
  let disposition = e.disposition;
  if (disposition && disposition !== 'attachment' && disposition !== 'inline') disposition = 'attachment';
  return !MP_TEXT_TYPES.has(e.contentType) || (disposition ?? 'inline') !== 'inline';
}

function mpContentType(a: MpAttachment): string {
  const h = a.headers.get('content-type') as StructuredHeader | StructuredHeader[] | undefined;
  const v = Array.isArray(h) ? h[0]?.value : h?.value;
  return (v ?? '').toLowerCase();
}

const EXT_BY_TYPE: Record<string, string> = {
  'text/plain': 'txt',
  'text/html': 'htm',
  'text/calendar': 'ics',
  'text/csv': 'csv',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'application/pdf': 'pdf',
  'message/rfc822': 'eml',
  'message/global': 'eml',
};

/** Attachments read from our own tree, in mailparser's shape, for when mailparser failed. */
function fallbackAttachments(raw: Buffer, root: MimeEntity): MpAttachment[] {
  return topLevelLeaves(root)
    .filter((l) => looksLikeMpAttachment(l.entity))
    .map(({ entity: e }) => {
      const content = decodeEntityBody(raw, e);
      const headers = new Map([['content-type', { value: e.contentType, params: e.params }]]);
      return {
        type: 'attachment',
        content,
        contentType: e.contentType,
        partId: e.part,
        release: null,
        filename: e.dispositionParams.filename ?? e.params.name,
        contentDisposition: e.disposition,
        cid: e.contentId,
        headers,
        checksum: '',
        size: content.length,
      } as MpAttachment;
    });
}

function calendarItemClass(cal: CalendarPart): string | undefined {
  switch (cal.method) {
    case 'REQUEST':
      return 'IPM.Schedule.Meeting.Request';
    case 'CANCEL':
      return 'IPM.Schedule.Meeting.Canceled';
    case 'REPLY': {
      const ps = /PARTSTAT=([A-Z-]+)/i.exec(cal.content.replace(/\r?\n[ \t]/g, ''))?.[1]?.toUpperCase();
      if (ps === 'ACCEPTED') return 'IPM.Schedule.Meeting.Resp.Pos';
      if (ps === 'DECLINED') return 'IPM.Schedule.Meeting.Resp.Neg';
      if (ps === 'TENTATIVE') return 'IPM.Schedule.Meeting.Resp.Tent';
      return undefined;
    }
    default:
      return undefined;
  }
}

function isOpaqueSmime(e: MimeEntity): boolean {
  if (e.contentType === 'application/pkcs7-mime' || e.contentType === 'application/x-pkcs7-mime') return true;
  const name = e.dispositionParams.filename ?? e.params.name ?? '';
  return e.contentType === 'application/octet-stream' && /\.p7m$/i.test(name);
}

/**
 * Reads a raw RFC 5322 message into the properties EWS serves. Never throws:
 * whatever cannot be read is left out (see the fixture 10-broken-headers.eml).
 */
export async function readMessage(raw: Buffer, options: ReadMessageOptions = {}): Promise<ParsedMessage> {
  const smimeMode = options.smime ?? 'exchange';
  let root: MimeEntity;
  try {
    root = parseMimeStructure(raw);
  } catch {
    root = { part: '1', headers: [], contentType: 'text/plain', params: {}, dispositionParams: {}, transferEncoding: '7bit', start: 0, bodyStart: 0, end: raw.length, children: [] };
  }
  const fields = root.headers;

  let mp: ParsedMail | undefined;
  try {
    mp = await simpleParser(raw, {
      keepCidLinks: true,
      skipHtmlToText: true,
      ignoreEmbedded: true,
      checksumAlgo: false,
    });
  } catch {
    mp = undefined;
  }

  // --- envelope-ish properties, from our own header parse
  const subjectField = headerValue(fields, 'subject');
  let subject = subjectField?.value;
  // an encoded word in a charset we cannot decode (ISO-8859-16, VISCII…): mailparser's iconv-lite may know it
  if (subject !== undefined && /=\?[^?]+\?[BbQq]\?/.test(subject) && mp?.subject && !/=\?[^?]+\?[BbQq]\?/.test(mp.subject)) subject = mp.subject;

  const references = headerValues(fields, 'references')
    .map((f) => f.value)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  const inReplyTo = headerValue(fields, 'in-reply-to')?.value.replace(/\s+/g, ' ').trim();
  const threadTopic = headerValue(fields, 'thread-topic')?.value.trim();

  // --- text and HTML
  let textBody = mp?.text || undefined;
  let htmlBody = typeof mp?.html === 'string' && mp.html ? mp.html : undefined;
  if (!mp) {
    // mailparser gave up (more than 1000 parts, a stream error): read the first bodies ourselves
    const bodies = topLevelLeaves(root).filter((l) => !looksLikeMpAttachment(l.entity));
    const decode = (e: MimeEntity) => {
      const bytes = decodeEntityBody(raw, e);
      return decodeCharset(bytes, e.params.charset ?? 'utf-8') ?? bytes.toString('utf8');
    };
    const t = bodies.find((l) => l.entity.contentType === 'text/plain');
    const h = bodies.find((l) => l.entity.contentType === 'text/html');
    textBody = t ? decode(t.entity) || undefined : undefined;
    htmlBody = h ? decode(h.entity) || undefined : undefined;
  }

  // --- attachments: mailparser's, matched to our part numbers. mailparser lists,
  // in document order, the leaf parts that are not inline text bodies; the same
  // rule over our tree gives the same sequence.
  const candidates = topLevelLeaves(root).filter((l) => looksLikeMpAttachment(l.entity));
  let cursor = 0;
  const matchLeaf = (a: MpAttachment): Leaf | undefined => {
    const ct = mpContentType(a) || 'text/plain';
    const next = candidates[cursor];
    if (next && (next.entity.contentType === ct || !a.partId || next.entity.part === a.partId)) {
      cursor++;
      return next;
    }
    // the two parsers split this message differently: trust mailparser's own number
    const k = candidates.findIndex((l, i) => i >= cursor && l.entity.part === a.partId);
    if (k >= 0) {
      cursor = k + 1;
      return candidates[k];
    }
    return undefined;
  };

  const htmlLower = htmlBody?.toLowerCase() ?? '';
  let attachments: ParsedAttachment[] = [];
  let calendar: CalendarPart | undefined;
  let counter = 0;
  for (const a of mp?.attachments ?? fallbackAttachments(raw, root)) {
    const leaf = matchLeaf(a);
    const e = leaf?.entity;
    const id = e?.part ?? a.partId ?? String(attachments.length + 1);
    const contentType = (a.contentType || e?.contentType || 'application/octet-stream').toLowerCase();

    // the iMIP part of a meeting message is the meeting, not an attachment
    // (an alternative of the body, or the whole message being text/calendar)
    if (contentType === 'text/calendar' && leaf && (leaf.parent === undefined || leaf.parent.contentType === 'multipart/alternative') && !calendar) {
      const content = decodeCharset(a.content, e?.params.charset ?? 'utf-8') ?? a.content.toString('utf8');
      const method = (e?.params.method ?? /^METHOD:(.*)$/im.exec(content)?.[1] ?? '').trim().toUpperCase() || undefined;
      calendar = { id, method, content };
      continue;
    }

    const isMessage = contentType === 'message/rfc822' || contentType === 'message/global';
    let name = a.filename?.trim();
    if (!name && isMessage && e?.message) name = headerValue(e.message.headers, 'subject')?.value.trim() || undefined;
    if (!name) name = `ATT${String(++counter).padStart(5, '0')}.${EXT_BY_TYPE[contentType] ?? 'bin'}`;
    const cid = a.cid?.trim() || e?.contentId || undefined;
    const referenced = !!cid && htmlLower.includes('cid:' + cid.toLowerCase());
    const isInline = !!cid && (referenced || (!!a.related && (a.contentDisposition ?? 'inline') !== 'attachment'));
    attachments.push({
      id,
      name,
      contentType,
      size: a.size ?? a.content.length,
      ...(cid ? { contentId: cid } : {}),
      isInline,
      isMessage,
      content: a.content,
    });
  }

  // --- S/MIME (MS-OXOSMIME)
  let itemClass = 'IPM.Note';
  if (root.contentType === 'multipart/signed') {
    itemClass = 'IPM.Note.SMIME.MultipartSigned';
    if (smimeMode === 'exchange') {
      const ctLine = `Content-Type: ${root.rawContentType ?? 'multipart/signed'}\r\n\r\n`;
      const content = Buffer.concat([Buffer.from(ctLine, 'utf8'), raw.subarray(root.bodyStart, root.end)]);
      attachments = [{ id: 'TEXT', name: 'smime.p7m', contentType: 'multipart/signed', size: content.length, isInline: false, isMessage: false, content }];
    }
  } else if (isOpaqueSmime(root)) {
    itemClass = 'IPM.Note.SMIME';
    textBody = undefined;
    htmlBody = undefined;
  } else if (calendar) {
    itemClass = calendarItemClass(calendar) ?? itemClass;
  }

  const internetMessageHeaders = fields.map((f) => ({ name: f.name, value: f.value }));
  const transportHeaders = decodeHeaderBytes(raw.subarray(root.start, root.bodyStart)).replace(/(?:\r?\n)+$/, '\r\n');

  let previewSource = textBody ?? '';
  if (!previewSource.trim() && htmlBody) {
    try {
      previewSource = htmlToText(htmlBody);
    } catch {
      previewSource = '';
    }
  }

  const dateField = headerValue(fields, 'date');
  return {
    itemClass,
    ...(subject !== undefined ? { subject } : {}),
    from: readAddresses(headerValues(fields, 'from').slice(0, 1)),
    sender: readAddresses(headerValues(fields, 'sender').slice(0, 1)),
    replyTo: readAddresses(headerValues(fields, 'reply-to').slice(0, 1)),
    to: readAddresses(headerValues(fields, 'to')),
    cc: readAddresses(headerValues(fields, 'cc')),
    bcc: readAddresses(headerValues(fields, 'bcc')),
    ...(dateField ? optional('dateSent', parseMailDate(dateField.value)) : {}),
    ...optional('messageId', normalizeMessageId(headerValue(fields, 'message-id')?.value)),
    ...optional('inReplyTo', inReplyTo || undefined),
    ...optional('references', references || undefined),
    importance: readImportance(fields),
    sensitivity: readSensitivity(fields),
    isReadReceiptRequested: headerValues(fields, 'disposition-notification-to').some((f) => f.value !== '') || !!headerValue(fields, 'x-confirm-reading-to')?.value,
    isDeliveryReceiptRequested: headerValues(fields, 'return-receipt-to').some((f) => f.value !== ''),
    conversationTopic: threadTopic || normalizeSubject(subject ?? ''),
    ...optional('conversationIndex', readConversationIndex(fields)),
    categories: readCategories(fields),
    ...optional('textBody', textBody),
    ...optional('htmlBody', htmlBody),
    attachments,
    hasAttachments: attachments.some((a) => !a.isInline),
    internetMessageHeaders,
    transportHeaders,
    preview: makePreview(previewSource),
    size: raw.length,
    ...optional('calendar', calendar),
  };
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
