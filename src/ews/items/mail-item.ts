// A mail item and its properties: one table answers FieldURI reads, extended
// (MAPI) reads, restrictions and sorting, and says what each property costs to
// fetch, so a request never pays for what its shape does not name.
import { hash } from 'node:crypto';
import { versionAtLeast, type ExchangeVersion } from '../../soap/envelope.js';
import { base64Bytes, x, type Xml, type XmlChild } from '../../soap/xml.js';
import type { FetchedMessage, MessageAddress } from '../../ports/mail-store.js';
import { renderExtendedProperty, type PropertyPath } from '../properties/path.js';
import type { EwsFolder } from '../folders/tree.js';
import { headerValue, importanceOf, sensitivityOf, type Header } from './headers.js';
import { encodeAttachmentId } from './attachment-id.js';
import type { MailItemRef } from './item-id.js';
import { attachments, hasAttachments } from './structure.js';
import type { ItemShape } from './shape.js';
import { AQS_TEXT_URI } from './aqs.js';
import { keywordToCategory } from './keywords.js';
import { meetingElement, meetingItemClass, meetingNeeds, renderMeetingFields, type MeetingData } from './meeting-message.js';
import { ownItemRights } from './effective-rights.js';

/** What a property costs: the FETCH items it needs. `body` means the decoded text/html sections. */
export type Need = 'flags' | 'internalDate' | 'size' | 'envelope' | 'structure' | 'headers' | 'body' | 'source'
  // meeting messages (meeting-message.ts): the iTIP part of each, or only of REPLYs (their ItemClass)
  | 'meeting' | 'meetingClass';

export interface MailItem {
  id: string;
  changeKey: string;
  ref: MailItemRef;
  folder: EwsFolder;
  msg: FetchedMessage;
  headers: Header[];
  /** Decoded body sections, when the shape needed them. */
  text?: string;
  html?: string;
  /** The iTIP part of a meeting message, when the shape needed it (meeting-message.ts). */
  meeting?: MeetingData;
}

export interface RenderContext {
  version: ExchangeVersion;
  shape: ItemShape;
  /** Converts between HTML and text for the requested BodyType. */
  body: (item: MailItem, type: 'Best' | 'HTML' | 'Text') => { type: 'HTML' | 'Text'; content: string };
}

interface MailProperty {
  uri: string;
  needs: Need[];
  /** Lowest schema version that knows the element. */
  since?: ExchangeVersion;
  render(item: MailItem, rc: RenderContext): XmlChild;
  /** The value as text, for restrictions and sorting. */
  value?(item: MailItem): string | undefined;
}

const SYSTEM_KEYWORDS = new Set(['$forwarded', '$mdnsent', '$junk', '$notjunk', 'nonjunk', 'junk', '$phishing', '$submitpending', '$submitted', '$hasattachment', '$hasnoattachment']);

/** The user's categories: keywords that are not system flags, decoded from their stored form. */
export function categoriesOf(flags: Set<string>): string[] {
  return [...flags].filter((f) => !f.startsWith('\\') && !SYSTEM_KEYWORDS.has(f.toLowerCase())).map(keywordToCategory);
}

/** The stored keywords behind the categories (to remove them). */
export function categoryKeywordsOf(flags: Set<string>): string[] {
  return [...flags].filter((f) => !f.startsWith('\\') && !SYSTEM_KEYWORDS.has(f.toLowerCase()));
}

export function isoDate(d: Date | undefined): string | undefined {
  if (!d || Number.isNaN(d.getTime())) return undefined;
  const iso = d.toISOString();
  // "2026-11-25T07:10:00.000Z" → "2026-11-25T07:10:00Z"; years beyond 9999 have a longer form
  return iso.length === 24 ? iso.slice(0, 19) + 'Z' : iso.replace(/\.\d{3}Z$/, 'Z');
}

function mailbox(a: MessageAddress): Xml {
  return x(
    't:Mailbox',
    null,
    x('t:Name', null, a.name ?? a.address ?? ''),
    x('t:EmailAddress', null, a.address ?? ''),
    x('t:RoutingType', null, 'SMTP'),
    x('t:MailboxType', null, 'OneOff'),
  );
}

function single(name: string, list: MessageAddress[] | undefined): Xml | undefined {
  return list && list.length ? x(name, null, mailbox(list[0])) : undefined;
}

function many(name: string, list: MessageAddress[] | undefined): Xml | undefined {
  return list && list.length ? x(name, null, list.map(mailbox)) : undefined;
}

function displayList(list: MessageAddress[] | undefined): string {
  return (list ?? []).map((a) => a.name || a.address || '').filter(Boolean).join('; ');
}

function conversationIdOf(item: MailItem): string {
  const refs = headerValue(item.headers, 'References')?.match(/<[^>]+>/g);
  const root = refs?.[0] ?? item.msg.envelope?.inReplyTo ?? item.msg.envelope?.messageId ?? item.id;
  return hash('sha1', root.trim(), 'base64'); // one-shot: a Hash object per item cost more than the rest of the id
}

const b = (v: boolean) => (v ? 'true' : 'false');
const flag = (item: MailItem, f: string) => item.msg.flags.has(f);

/** Message properties in the order of the schema's ItemType then MessageType sequence. */
const PROPERTIES: MailProperty[] = [
  { uri: 'item:ParentFolderId', needs: [], render: (i) => x('t:ParentFolderId', { Id: i.folder.id, ChangeKey: i.folder.changeKey }) },
  // meeting messages: from BODYSTRUCTURE (meeting-message.ts)
  { uri: 'item:ItemClass', needs: ['structure', 'meetingClass'], render: (i) => x('t:ItemClass', null, meetingItemClass(i) ?? 'IPM.Note'), value: (i) => meetingItemClass(i) ?? 'IPM.Note' },
  { uri: 'item:Subject', needs: ['envelope'], render: (i) => x('t:Subject', null, i.msg.envelope?.subject ?? ''), value: (i) => i.msg.envelope?.subject ?? '' },
  { uri: 'item:Sensitivity', needs: ['headers'], render: (i) => x('t:Sensitivity', null, sensitivityOf(i.headers)), value: (i) => sensitivityOf(i.headers) },
  {
    uri: 'item:Body',
    needs: ['body'],
    render: (i, rc) => {
      const body = rc.body(i, rc.shape.bodyType);
      return x('t:Body', { BodyType: body.type, IsTruncated: 'false' }, body.content);
    },
    value: (i) => i.text ?? i.html,
  },
  {
    uri: 'item:Attachments',
    needs: ['structure'],
    render: (i) => {
      const list = i.msg.structure ? attachments(i.msg.structure) : [];
      if (!list.length) return undefined;
      return x(
        't:Attachments',
        null,
        list.map((a) =>
          x(
            a.isItem ? 't:ItemAttachment' : 't:FileAttachment',
            null,
            x('t:AttachmentId', { Id: encodeAttachmentId(i.ref, a.part.part) }),
            x('t:Name', null, a.name),
            x('t:ContentType', null, a.contentType),
            a.contentId ? x('t:ContentId', null, a.contentId) : undefined,
            x('t:Size', null, String(a.size)),
            x('t:IsInline', null, b(a.isInline)),
            a.isItem ? undefined : x('t:IsContactPhoto', null, 'false'),
          ),
        ),
      );
    },
  },
  { uri: 'item:DateTimeReceived', needs: ['internalDate'], render: (i) => x('t:DateTimeReceived', null, isoDate(i.msg.internalDate) ?? ''), value: (i) => isoDate(i.msg.internalDate) },
  { uri: 'item:Size', needs: ['size'], render: (i) => x('t:Size', null, String(i.msg.size ?? 0)), value: (i) => String(i.msg.size ?? 0) },
  {
    uri: 'item:Categories',
    needs: ['flags'],
    render: (i) => {
      const cats = categoriesOf(i.msg.flags);
      return cats.length ? x('t:Categories', null, cats.map((c) => x('t:String', null, c))) : undefined;
    },
    value: (i) => categoriesOf(i.msg.flags).join(' '),
  },
  { uri: 'item:Importance', needs: ['headers'], render: (i) => x('t:Importance', null, importanceOf(i.headers)), value: (i) => importanceOf(i.headers) },
  { uri: 'item:InReplyTo', needs: ['envelope'], render: (i) => (i.msg.envelope?.inReplyTo ? x('t:InReplyTo', null, i.msg.envelope.inReplyTo) : undefined) },
  { uri: 'item:IsSubmitted', needs: [], render: () => x('t:IsSubmitted', null, 'false') },
  { uri: 'item:IsDraft', needs: ['flags'], render: (i) => x('t:IsDraft', null, b(flag(i, '\\Draft'))), value: (i) => b(flag(i, '\\Draft')) },
  { uri: 'item:IsFromMe', needs: [], render: () => x('t:IsFromMe', null, 'false') },
  { uri: 'item:IsResend', needs: [], render: () => x('t:IsResend', null, 'false') },
  { uri: 'item:IsUnmodified', needs: ['flags'], render: (i) => x('t:IsUnmodified', null, b(!flag(i, '\\Draft'))) },
  {
    uri: 'item:InternetMessageHeaders',
    needs: ['headers'],
    render: (i) => {
      // macOS Mail crashed on an empty InternetMessageHeaders element: leave it out instead.
      const hs = i.headers.filter((h) => h.name && h.value);
      return hs.length ? x('t:InternetMessageHeaders', null, hs.map((h) => x('t:InternetMessageHeader', { HeaderName: h.name }, h.value))) : undefined;
    },
  },
  { uri: 'item:DateTimeSent', needs: ['envelope', 'internalDate'], render: (i) => x('t:DateTimeSent', null, isoDate(i.msg.envelope?.date ?? i.msg.internalDate) ?? ''), value: (i) => isoDate(i.msg.envelope?.date ?? i.msg.internalDate) },
  { uri: 'item:DateTimeCreated', needs: ['internalDate'], render: (i) => x('t:DateTimeCreated', null, isoDate(i.msg.internalDate) ?? ''), value: (i) => isoDate(i.msg.internalDate) },
  { uri: 'item:ReminderIsSet', needs: [], render: () => x('t:ReminderIsSet', null, 'false') },
  { uri: 'item:DisplayCc', needs: ['envelope'], render: (i) => x('t:DisplayCc', null, displayList(i.msg.envelope?.cc)), value: (i) => displayList(i.msg.envelope?.cc) },
  { uri: 'item:DisplayTo', needs: ['envelope'], render: (i) => x('t:DisplayTo', null, displayList(i.msg.envelope?.to)), value: (i) => displayList(i.msg.envelope?.to) },
  { uri: 'item:HasAttachments', needs: ['structure'], render: (i) => x('t:HasAttachments', null, b(!!i.msg.structure && hasAttachments(i.msg.structure))), value: (i) => b(!!i.msg.structure && hasAttachments(i.msg.structure)) },
  { uri: 'item:Culture', needs: [], render: () => x('t:Culture', null, 'en-US') },
  {
    uri: 'item:EffectiveRights',
    needs: [],
    render: (_i, rc) => ownItemRights(rc.version),
  },
  { uri: 'item:LastModifiedTime', needs: ['internalDate'], render: (i) => x('t:LastModifiedTime', null, isoDate(i.msg.internalDate) ?? ''), value: (i) => isoDate(i.msg.internalDate) },
  { uri: 'item:IsAssociated', needs: [], since: 'Exchange2010', render: () => x('t:IsAssociated', null, 'false') },
  { uri: 'item:ConversationId', needs: ['envelope', 'headers'], since: 'Exchange2010', render: (i) => x('t:ConversationId', { Id: conversationIdOf(i) }) },
  {
    uri: 'item:UniqueBody',
    needs: ['body'],
    since: 'Exchange2010',
    render: (i, rc) => {
      const body = rc.body(i, rc.shape.bodyType === 'Text' ? 'Text' : 'HTML');
      return x('t:UniqueBody', { BodyType: body.type, IsTruncated: 'false' }, body.content);
    },
  },
  {
    uri: 'item:Flag',
    needs: ['flags'],
    since: 'Exchange2013',
    render: (i) => x('t:Flag', null, x('t:FlagStatus', null, flag(i, '\\Flagged') ? 'Flagged' : 'NotFlagged')),
    value: (i) => (flag(i, '\\Flagged') ? 'Flagged' : 'NotFlagged'),
  },
  {
    uri: 'item:Preview',
    needs: ['body'],
    since: 'Exchange2013',
    render: (i, rc) => x('t:Preview', null, previewOf(i, rc)),
  },
  {
    uri: 'item:TextBody',
    needs: ['body'],
    since: 'Exchange2013',
    render: (i, rc) => {
      const body = rc.body(i, 'Text');
      return x('t:TextBody', { BodyType: 'Text', IsTruncated: 'false' }, body.content);
    },
  },
  { uri: 'message:Sender', needs: ['envelope'], render: (i) => single('t:Sender', i.msg.envelope?.sender), value: (i) => i.msg.envelope?.sender[0]?.address },
  { uri: 'message:ToRecipients', needs: ['envelope'], render: (i) => many('t:ToRecipients', i.msg.envelope?.to), value: (i) => (i.msg.envelope?.to ?? []).map((a) => `${a.name ?? ''} ${a.address ?? ''}`).join(' ') },
  { uri: 'message:CcRecipients', needs: ['envelope'], render: (i) => many('t:CcRecipients', i.msg.envelope?.cc), value: (i) => (i.msg.envelope?.cc ?? []).map((a) => `${a.name ?? ''} ${a.address ?? ''}`).join(' ') },
  { uri: 'message:BccRecipients', needs: ['envelope'], render: (i) => many('t:BccRecipients', i.msg.envelope?.bcc) },
  { uri: 'message:IsReadReceiptRequested', needs: ['headers'], render: (i) => x('t:IsReadReceiptRequested', null, b(!!headerValue(i.headers, 'Disposition-Notification-To'))) },
  { uri: 'message:IsDeliveryReceiptRequested', needs: ['headers'], render: (i) => x('t:IsDeliveryReceiptRequested', null, b(!!headerValue(i.headers, 'Return-Receipt-To'))) },
  {
    uri: 'message:ConversationIndex',
    needs: ['headers'],
    render: (i) => {
      const ti = headerValue(i.headers, 'Thread-Index');
      return ti ? x('t:ConversationIndex', null, ti.replace(/\s+/g, '')) : undefined;
    },
  },
  {
    uri: 'message:ConversationTopic',
    needs: ['headers', 'envelope'],
    render: (i) => x('t:ConversationTopic', null, headerValue(i.headers, 'Thread-Topic') ?? normalizedSubject(i.msg.envelope?.subject ?? '')),
    value: (i) => headerValue(i.headers, 'Thread-Topic') ?? normalizedSubject(i.msg.envelope?.subject ?? ''),
  },
  { uri: 'message:From', needs: ['envelope'], render: (i) => single('t:From', i.msg.envelope?.from), value: (i) => (i.msg.envelope?.from ?? []).map((a) => `${a.name ?? ''} ${a.address ?? ''}`).join(' ') },
  { uri: 'message:InternetMessageId', needs: ['envelope'], render: (i) => (i.msg.envelope?.messageId ? x('t:InternetMessageId', null, i.msg.envelope.messageId) : undefined), value: (i) => i.msg.envelope?.messageId },
  { uri: 'message:IsRead', needs: ['flags'], render: (i) => x('t:IsRead', null, b(flag(i, '\\Seen'))), value: (i) => b(flag(i, '\\Seen')) },
  { uri: 'message:IsResponseRequested', needs: [], render: () => x('t:IsResponseRequested', null, 'false') },
  { uri: 'message:References', needs: ['headers'], render: (i) => { const r = headerValue(i.headers, 'References'); return r ? x('t:References', null, r) : undefined; } },
  { uri: 'message:ReplyTo', needs: ['envelope'], render: (i) => many('t:ReplyTo', i.msg.envelope?.replyTo) },
];

/** AQS free text: what IMAP SEARCH TEXT looks at, for the in-memory finish. */
const AQS_TEXT: MailProperty = {
  uri: AQS_TEXT_URI,
  needs: ['envelope', 'body'],
  render: () => undefined,
  value: (i) => {
    const e = i.msg.envelope;
    const people = [...(e?.from ?? []), ...(e?.to ?? []), ...(e?.cc ?? [])].map((a) => `${a.name ?? ''} ${a.address ?? ''}`).join(' ');
    return [e?.subject ?? '', people, i.text ?? i.html ?? ''].join('\n');
  },
};

const BY_URI = new Map([...PROPERTIES, AQS_TEXT].map((p) => [p.uri, p]));

function normalizedSubject(s: string): string {
  return s.replace(/^(\s*(re|fw|fwd|aw|wg|sv|vs|tr)\s*(\[\d+\])?\s*:\s*)+/i, '').trim();
}

function previewOf(i: MailItem, rc: RenderContext): string {
  return rc.body(i, 'Text').content.replace(/\s+/g, ' ').trim().slice(0, 255);
}

const FIND_DEFAULT = [
  'item:ParentFolderId', 'item:ItemClass', 'item:Subject', 'item:Sensitivity', 'item:DateTimeReceived', 'item:Size', 'item:Importance',
  'item:IsSubmitted', 'item:IsDraft', 'item:IsFromMe', 'item:IsResend', 'item:IsUnmodified', 'item:DateTimeSent', 'item:DateTimeCreated',
  'item:DisplayCc', 'item:DisplayTo', 'item:HasAttachments', 'item:Culture', 'item:EffectiveRights', 'item:LastModifiedTime', 'item:IsAssociated',
  'item:ConversationId', 'message:Sender', 'message:IsReadReceiptRequested', 'message:ConversationIndex', 'message:ConversationTopic',
  'message:From', 'message:InternetMessageId', 'message:IsRead', 'message:IsResponseRequested', 'message:References',
];
const GET_DEFAULT = [...FIND_DEFAULT, 'item:Body', 'item:Attachments', 'message:ToRecipients', 'message:CcRecipients', 'message:BccRecipients', 'message:ReplyTo'];
const ALL_PROPERTIES = [...GET_DEFAULT, 'item:Categories', 'item:InReplyTo', 'item:InternetMessageHeaders', 'item:ReminderIsSet', 'item:Flag', 'message:IsDeliveryReceiptRequested'];

/** The FieldURIs a shape asks for; FindItem never returns bodies or recipients by default. */
export function requestedFields(shape: ItemShape, forFind: boolean): Set<string> {
  const base = shape.base === 'IdOnly' ? [] : shape.base === 'Default' ? (forFind ? FIND_DEFAULT : GET_DEFAULT) : forFind ? FIND_DEFAULT.concat('item:Categories', 'item:Flag', 'item:InReplyTo') : ALL_PROPERTIES;
  const out = new Set(base);
  for (const p of shape.additional) if (p.kind === 'field') out.add(p.uri);
  return out;
}

export function needsOf(shape: ItemShape, forFind: boolean): Set<Need> {
  const needs = new Set<Need>(['flags']);
  for (const uri of requestedFields(shape, forFind)) for (const n of BY_URI.get(uri)?.needs ?? []) needs.add(n);
  for (const p of shape.additional) if (p.kind === 'extended') for (const n of extendedNeeds(p)) needs.add(n);
  if (shape.includeMimeContent) needs.add('source');
  // meeting messages: the iTIP part fills their fields. The element (t:MeetingRequest …) comes from
  // BODYSTRUCTURE when the shape fetched it; narrow shapes without it answer t:Message (BODYSTRUCTURE
  // doubled a FLAGS+INTERNALDATE fetch of 2,000 messages on Dovecot: 95 → 177 ms).
  for (const n of meetingNeeds(shape, forFind)) needs.add(n);
  return needs;
}

type ExtendedPath = Extract<PropertyPath, { kind: 'extended' }>;
interface RenderPlan {
  /** The properties to render, in schema order; `null` marks where the extended properties go. */
  steps: (MailProperty | null)[];
  extended: ExtendedPath[];
}
/** Which properties a shape renders, worked out once per shape rather than once per item (a page has hundreds). */
const renderPlans = new WeakMap<ItemShape, Map<string, RenderPlan>>();

function renderPlanOf(shape: ItemShape, forFind: boolean, version: RenderContext['version']): RenderPlan {
  let byKey = renderPlans.get(shape);
  if (!byKey) renderPlans.set(shape, (byKey = new Map()));
  const key = `${forFind}\0${version}`;
  let plan = byKey.get(key);
  if (plan) return plan;
  const fields = requestedFields(shape, forFind);
  const extended = shape.additional.filter((p): p is ExtendedPath => p.kind === 'extended');
  const steps: (MailProperty | null)[] = [];
  for (const p of PROPERTIES) {
    // ExtendedProperty elements sit between HasAttachments/Culture and EffectiveRights in the schema.
    if (p.uri === 'item:EffectiveRights' && extended.length) steps.push(null);
    if (!fields.has(p.uri)) continue;
    if (p.since && !versionAtLeast(version, p.since)) continue;
    steps.push(p);
  }
  plan = { steps, extended };
  byKey.set(key, plan);
  return plan;
}

export function renderMailItem(item: MailItem, rc: RenderContext, forFind: boolean, mime?: Buffer): Xml {
  const { steps, extended } = renderPlanOf(rc.shape, forFind, rc.version);
  const parts: XmlChild[] = [];
  // Base64 never needs escaping: skipping it saves a pass over every byte of the message.
  if (rc.shape.includeMimeContent && mime) parts.push(x('t:MimeContent', { CharacterSet: 'UTF-8' }, base64Bytes(mime)));
  parts.push(x('t:ItemId', { Id: item.id, ChangeKey: item.changeKey }));
  for (const p of steps) {
    if (p) {
      parts.push(p.render(item, rc));
      continue;
    }
    for (const e of extended) {
      const v = extendedMailProperty(item, e);
      if (v !== undefined) parts.push(renderExtendedProperty(e, v));
    }
  }
  parts.push(...renderMeetingFields(item, rc, forFind)); // meeting-message.ts
  return x(meetingElement(item) ?? 't:Message', null, parts);
}

/** A property's value as text for restrictions and sorting; undefined when the message has none. */
export function mailPropertyValue(item: MailItem, p: PropertyPath): string | undefined {
  if (p.kind === 'extended') {
    const v = extendedMailProperty(item, p);
    return Array.isArray(v) ? v.join(' ') : v;
  }
  if (p.kind !== 'field') return undefined;
  if (p.uri === 'item:ItemId') return item.id;
  return BY_URI.get(p.uri)?.value?.(item);
}

export function fieldNeeds(p: PropertyPath): Need[] {
  if (p.kind === 'extended') return extendedNeeds(p);
  if (p.kind !== 'field') return [];
  return BY_URI.get(p.uri)?.needs ?? [];
}

export function isKnownMailField(uri: string): boolean {
  return BY_URI.has(uri) || uri === 'item:ItemId' || uri === 'item:MimeContent';
}

// ------------------------------------------------------------ extended (MAPI) properties

const PR_SUBJECT = 0x0037;
const PR_CLIENT_SUBMIT_TIME = 0x0039;
const PR_TRANSPORT_MESSAGE_HEADERS = 0x007d;
const PR_MESSAGE_DELIVERY_TIME = 0x0e06;
const PR_MESSAGE_FLAGS = 0x0e07;
const PR_MESSAGE_SIZE = 0x0e08;
const PR_INTERNET_ARTICLE_NUMBER = 0x0e23;
const PR_ICON_INDEX = 0x1080;
const PR_LAST_VERB_EXECUTED = 0x1081;
const PR_JUNK = 0x1083;
const PR_FLAG_STATUS = 0x1090;
const PR_INTERNET_MESSAGE_ID = 0x1035;
const PR_CREATION_TIME = 0x3007;
const PR_LAST_MODIFICATION_TIME = 0x3008;
const PID_LID_IMAP_DELETED = 0x8570;

function extendedNeeds(p: Extract<PropertyPath, { kind: 'extended' }>): Need[] {
  if (p.propertySet?.toLowerCase() === 'publicstrings' && p.propertyName === 'Keywords') return ['flags'];
  switch (p.tag) {
    case PR_SUBJECT:
    case PR_CLIENT_SUBMIT_TIME:
    case PR_INTERNET_MESSAGE_ID:
      return ['envelope'];
    case PR_TRANSPORT_MESSAGE_HEADERS:
      return ['headers'];
    case PR_MESSAGE_DELIVERY_TIME:
    case PR_CREATION_TIME:
    case PR_LAST_MODIFICATION_TIME:
      return ['internalDate'];
    case PR_MESSAGE_SIZE:
      return ['size'];
    case PR_MESSAGE_FLAGS:
      return ['flags', 'structure'];
    default:
      return ['flags'];
  }
}

export function extendedMailProperty(item: MailItem, p: Extract<PropertyPath, { kind: 'extended' }>): string | string[] | undefined {
  const f = item.msg.flags;
  if (p.propertySet?.toLowerCase() === 'publicstrings' && p.propertyName === 'Keywords') {
    const cats = categoriesOf(f);
    return cats.length ? cats : undefined;
  }
  if (p.propertySet?.toLowerCase() === 'common' && p.propertyId === PID_LID_IMAP_DELETED) return f.has('\\Deleted') ? '1' : '0';
  switch (p.tag) {
    case PR_INTERNET_ARTICLE_NUMBER:
      return String(item.msg.uid);
    case PR_MESSAGE_SIZE:
      return item.msg.size === undefined ? undefined : String(item.msg.size);
    case PR_MESSAGE_DELIVERY_TIME:
    case PR_CREATION_TIME:
    case PR_LAST_MODIFICATION_TIME:
      return isoDate(item.msg.internalDate);
    case PR_CLIENT_SUBMIT_TIME:
      return isoDate(item.msg.envelope?.date);
    case PR_SUBJECT:
      return item.msg.envelope?.subject;
    case PR_INTERNET_MESSAGE_ID:
      return item.msg.envelope?.messageId;
    case PR_TRANSPORT_MESSAGE_HEADERS:
      return item.msg.headers?.toString('utf8');
    case PR_FLAG_STATUS:
      return f.has('\\Flagged') ? '2' : undefined;
    case PR_LAST_VERB_EXECUTED:
      return f.has('$Forwarded') ? '104' : f.has('\\Answered') ? '102' : undefined;
    case PR_ICON_INDEX:
      return f.has('$Forwarded') ? '262' : f.has('\\Answered') ? '261' : f.has('\\Seen') ? '256' : '257';
    case PR_JUNK:
      return f.has('$Junk') || f.has('Junk') ? '1' : undefined;
    case PR_MESSAGE_FLAGS: {
      let v = 0;
      if (f.has('\\Seen')) v |= 0x1;
      if (f.has('\\Draft')) v |= 0x8;
      if (item.msg.structure && hasAttachments(item.msg.structure)) v |= 0x10;
      return String(v);
    }
    default:
      return undefined;
  }
}
