// Contact and distribution-list properties for EWS: one table answers FieldURI
// reads (in schema order), IndexedFieldURI reads, extended MAPI reads,
// restrictions and sorting, and says how a CreateItem element or an UpdateItem
// change writes each one. A contact is read whole from its vCard, so nothing
// here has a cost: there is no `needs`.
import { createHash } from 'node:crypto';
import { versionAtLeast, type ExchangeVersion } from '../../soap/envelope.js';
import { NS, attr, child, children, elementChildren, textOf, x, type Element, type Xml, type XmlChild } from '../../soap/xml.js';
import { htmlDocument, htmlToText, textToHtml } from '../../convert/body.js';
import {
  ADDRESS_KEYS,
  EMAIL_KEYS,
  IM_KEYS,
  PHONE_KEYS,
  displayNameOf,
  fileAsOf,
  type AddressKey,
  type CardDate,
  type CardItem,
  type Contact,
  type ContactGroup,
  type GroupMember,
  type PhoneKey,
  type PostalAddress,
  type Sensitivity,
} from '../../convert/vcard-contact.js';
import { EwsError, schemaViolation } from '../errors.js';
import type { PropertyPath } from '../properties/path.js';
import type { ItemShape } from '../items/shape.js';
import { ownItemRights } from '../items/effective-rights.js';

/** What the store knows about a contact that its vCard does not say. */
export interface ContactItemMeta {
  id: string;
  changeKey: string;
  parentFolderId: string;
  parentChangeKey?: string;
  /** The object's href: its last segment is PR_URL_COMP_NAME (0x10F3), which DavMail reads back. */
  href?: string;
  /** DAV getlastmodified: DateTimeCreated / LastModifiedTime / 0x3008 (DavMail's contact etag). */
  lastModified?: Date;
  /** Bytes of the stored vCard (default: the length of the item's source). */
  size?: number;
  /** AttachmentId of the contact picture (ContactPicture.jpg); with it, a photo is listed as an attachment. */
  photoAttachmentId?: string;
  /** Resolves a group member given by contact UID to its item (for t:Mailbox/t:ItemId, name, e-mail). */
  memberItem?: (contactUid: string) => { id: string; changeKey: string; name?: string; email?: string } | undefined;
}

export interface ContactRenderContext {
  meta: ContactItemMeta;
  version: ExchangeVersion;
  shape: ItemShape;
}

// ------------------------------------------------------------------ values

const b = (v: boolean) => (v ? 'true' : 'false');

export function isoDateTime(d: Date | undefined): string | undefined {
  if (!d || Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * A card date as EWS xs:dateTime. 11:59 UTC keeps the same calendar day in
 * every time zone from UTC-11 to UTC+12 (exchangelib writes birthdays so); a
 * date without a year gets year 1604, Apple's and Outlook's "no year".
 */
export function ewsDate(d: CardDate | undefined): string | undefined {
  if (!d) return undefined;
  const full = d.startsWith('--') ? `1604-${d.slice(2)}` : d;
  return `${full}T11:59:00Z`;
}

/** xs:dateTime / xs:date → card date: the calendar day nearest to the instant (local midnight or noon both land right). */
export function cardDateOf(text: string, what: string): CardDate {
  const t = text.trim();
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(t);
  if (!m) throw schemaViolation(`${what} "${t}" is not an xs:dateTime.`);
  let [y, mo, d] = [m[1]!, m[2]!, m[3]!];
  const given = new Date(`${y === '0000' ? '2000' : y}-${mo}-${d}T00:00:00Z`);
  if (Number.isNaN(given.getTime()) || given.toISOString().slice(5, 10) !== `${mo}-${d}`) throw schemaViolation(`${what} "${t}" is not a valid date.`);
  if (m[4] !== undefined && m[7] !== undefined) {
    const instant = Date.parse(t);
    if (Number.isNaN(instant)) throw schemaViolation(`${what} "${t}" is not an xs:dateTime.`);
    const day = new Date(instant + 12 * 3600_000).toISOString();
    [y, mo, d] = [day.slice(0, 4), day.slice(5, 7), day.slice(8, 10)];
  }
  const check = new Date(`2000-${mo}-${d}T00:00:00Z`);
  if (Number.isNaN(check.getTime()) || check.toISOString().slice(5, 10) !== `${mo}-${d}`) throw schemaViolation(`${what} "${t}" is not a valid date.`);
  return y === '1604' ? `--${mo}-${d}` : `${y}-${mo}-${d}`;
}

/** The element's text, trimmed; undefined when empty. */
function textIn(el: Element): string | undefined {
  const t = (el.textContent ?? '').trim();
  return t || undefined;
}

function strings(el: Element): string[] {
  return children(el, NS.types, 'String').map((s) => (s.textContent ?? '').trim()).filter(Boolean);
}

// ------------------------------------------------------------------ dictionaries

export const ADDRESS_PARTS = ['Street', 'City', 'State', 'CountryOrRegion', 'PostalCode'] as const;
export type AddressPart = (typeof ADDRESS_PARTS)[number];
const PART_FIELD: Record<AddressPart, keyof PostalAddress> = { Street: 'street', City: 'city', State: 'state', CountryOrRegion: 'countryOrRegion', PostalCode: 'postalCode' };

/** The EWS Street: vCard street and extended address, one per line. */
export function streetOf(a: PostalAddress): string | undefined {
  return [a.street, a.extended].filter(Boolean).join('\n') || undefined;
}

export function addressPart(a: PostalAddress | undefined, part: AddressPart): string | undefined {
  if (!a) return undefined;
  return part === 'Street' ? streetOf(a) : a[PART_FIELD[part]];
}

export function setAddressPart(c: Contact, key: AddressKey, part: AddressPart, value: string | undefined): void {
  const a: PostalAddress = { ...(c.addresses[key] ?? {}) };
  if (part === 'Street') {
    a.street = value;
    delete a.extended;
  } else a[PART_FIELD[part]] = value;
  for (const k of Object.keys(a) as (keyof PostalAddress)[]) if (!a[k]) delete a[k];
  if (Object.keys(a).length) c.addresses[key] = a;
  else delete c.addresses[key];
}

/** Indexed paths as clients spell them: FieldURI → dictionary, and the address part. */
export function indexedTarget(p: Extract<PropertyPath, { kind: 'indexed' }>): { dict: 'email' | 'phone' | 'im' | 'address' | 'member'; part?: AddressPart } | undefined {
  switch (p.uri) {
    case 'contacts:EmailAddress':
      return { dict: 'email' };
    case 'contacts:PhoneNumber':
      return { dict: 'phone' };
    case 'contacts:ImAddress':
      return { dict: 'im' };
    case 'distributionlist:Members:Member':
      return { dict: 'member' };
  }
  const m = /^contacts:PhysicalAddress:(Street|City|State|CountryOrRegion|Country|PostalCode)$/.exec(p.uri);
  if (m) return { dict: 'address', part: (m[1] === 'Country' ? 'CountryOrRegion' : m[1]) as AddressPart };
  return undefined;
}

/** Checks an index against its dictionary's keys: the EWS enumerations (unknown phone keys are refused here). */
export function checkIndex(dict: 'email' | 'phone' | 'im' | 'address' | 'member', index: string): void {
  const keys: readonly string[] | undefined = dict === 'email' ? EMAIL_KEYS : dict === 'phone' ? PHONE_KEYS : dict === 'im' ? IM_KEYS : dict === 'address' ? ADDRESS_KEYS : undefined;
  if (keys && !keys.includes(index)) {
    throw new EwsError('ErrorInvalidPropertyRequest', `"${index}" is not a valid key here; valid keys are ${keys.join(', ')}.`);
  }
}

/** A stable key for a distribution-list member (t:Member@Key), derived from what it points to. */
export function memberKey(m: GroupMember): string {
  const basis = m.contactUid ? `uid:${m.contactUid.replace(/^urn:uuid:/i, '').toLowerCase()}` : `mailto:${(m.email ?? '').toLowerCase()}`;
  return createHash('sha1').update(basis).digest('hex').slice(0, 32).toUpperCase();
}

function entry(key: string, content: XmlChild, attrs: Record<string, string | undefined> = {}): Xml {
  return x('t:Entry', { Key: key, ...attrs }, content);
}

function renderEmails(c: Contact, rc: ContactRenderContext, keys: readonly string[]): Xml | undefined {
  const named = versionAtLeast(rc.version, 'Exchange2010_SP2');
  const list = keys.flatMap((k) => {
    const e = c.emails[k as (typeof EMAIL_KEYS)[number]];
    if (!e?.address) return [];
    return [entry(k, e.address, named && e.name ? { Name: e.name, RoutingType: 'SMTP', MailboxType: 'Mailbox' } : {})];
  });
  return list.length ? x('t:EmailAddresses', null, list) : undefined;
}

function renderPhones(c: Contact, keys: readonly string[]): Xml | undefined {
  const list = keys.flatMap((k) => (c.phones[k as PhoneKey] ? [entry(k, c.phones[k as PhoneKey]!)] : []));
  return list.length ? x('t:PhoneNumbers', null, list) : undefined;
}

function renderIms(c: Contact, keys: readonly string[]): Xml | undefined {
  const list = keys.flatMap((k) => (c.imAddresses[k as (typeof IM_KEYS)[number]] ? [entry(k, c.imAddresses[k as (typeof IM_KEYS)[number]]!)] : []));
  return list.length ? x('t:ImAddresses', null, list) : undefined;
}

function renderAddresses(c: Contact, keys: readonly string[], parts: readonly AddressPart[] = ADDRESS_PARTS): Xml | undefined {
  const list = keys.flatMap((k) => {
    const a = c.addresses[k as AddressKey];
    if (!a) return [];
    const inner = parts.map((p) => {
      const v = addressPart(a, p);
      return v ? x(`t:${p}`, null, v) : undefined;
    });
    return inner.some(Boolean) ? [entry(k, inner)] : [];
  });
  return list.length ? x('t:PhysicalAddresses', null, list) : undefined;
}

export function renderMembers(g: ContactGroup, rc: ContactRenderContext, keys?: readonly string[]): Xml | undefined {
  const members = g.members.filter((m) => m.contactUid || m.email).filter((m) => !keys || keys.includes(memberKey(m)));
  if (!members.length) return x('t:Members', null);
  return x(
    't:Members',
    null,
    members.map((m) => {
      const item = m.contactUid ? rc.meta.memberItem?.(m.contactUid) : undefined;
      const email = m.email ?? item?.email;
      return x(
        't:Member',
        { Key: memberKey(m) },
        x(
          't:Mailbox',
          null,
          x('t:Name', null, m.name ?? item?.name ?? email ?? ''),
          email ? x('t:EmailAddress', null, email) : undefined,
          x('t:RoutingType', null, 'SMTP'),
          x('t:MailboxType', null, item ? 'Contact' : 'OneOff'),
          item ? x('t:ItemId', { Id: item.id, ChangeKey: item.changeKey }) : undefined,
        ),
        x('t:Status', null, m.contactUid && !item ? 'Unrecognized' : 'Normal'),
      );
    }),
  );
}

// ------------------------------------------------------------------ the table

/** How an item-element child (CreateItem, or the value of a SetItemField) writes into the model. */
type Setter<T> = (item: T, el: Element) => void;

export interface FieldDef<T extends CardItem = CardItem> {
  uri: string;
  /** Local name in t:Contact / t:DistributionList. */
  element: string;
  since?: ExchangeVersion;
  render(item: T, rc: ContactRenderContext): XmlChild;
  /** The value as text for restrictions and sorting; undefined when the item has none. */
  value?(item: T, meta: ContactItemMeta): string | undefined;
  /** Absent: read-only (ErrorInvalidPropertySet / ErrorInvalidPropertyDelete). */
  set?: Setter<T>;
  clear?(item: T): void;
  /** AppendToItemField. */
  append?: Setter<T>;
}

type AnyField = FieldDef<CardItem>;

function textField<T extends CardItem>(uri: string, get: (i: T) => string | undefined, put: ((i: T, v: string | undefined) => void) | undefined, since?: ExchangeVersion): FieldDef<T> {
  const element = uri.slice(uri.indexOf(':') + 1);
  const def: FieldDef<T> = {
    uri,
    element,
    since,
    render: (i) => {
      const v = get(i);
      return v === undefined ? undefined : x(`t:${element}`, null, v);
    },
    value: (i) => get(i),
  };
  if (put) {
    def.set = (i, el) => put(i, textIn(el));
    def.clear = (i) => put(i, undefined);
  }
  return def;
}

function bodyOf(item: CardItem, type: 'Best' | 'HTML' | 'Text'): Xml {
  const notes = item.notes ?? '';
  if (type === 'HTML') return x('t:Body', { BodyType: 'HTML', IsTruncated: 'false' }, htmlDocument(textToHtml(notes)));
  return x('t:Body', { BodyType: 'Text', IsTruncated: 'false' }, notes);
}

function bodyText(el: Element): string | undefined {
  const type = attr(el, 'BodyType') ?? 'Text';
  const raw = el.textContent ?? '';
  const text = type === 'HTML' ? htmlToText(raw) : raw;
  return text.replace(/\r\n?/g, '\n').trim() || undefined;
}

const SENSITIVITIES = ['Normal', 'Personal', 'Private', 'Confidential'];

/** ItemType's part, in schema order up to HasAttachments; extended properties follow it. */
const ITEM_HEAD: AnyField[] = [
  { uri: 'item:ParentFolderId', element: 'ParentFolderId', render: (_i, rc) => x('t:ParentFolderId', { Id: rc.meta.parentFolderId, ChangeKey: rc.meta.parentChangeKey }), value: (_i, m) => m.parentFolderId },
  { uri: 'item:ItemClass', element: 'ItemClass', render: (i) => x('t:ItemClass', null, itemClassOf(i)), value: (i) => itemClassOf(i) },
  { uri: 'item:Subject', element: 'Subject', render: (i) => x('t:Subject', null, displayNameOf(i)), value: (i) => displayNameOf(i), set: () => undefined, clear: () => undefined },
  {
    uri: 'item:Sensitivity',
    element: 'Sensitivity',
    render: (i) => x('t:Sensitivity', null, i.sensitivity ?? 'Normal'),
    value: (i) => i.sensitivity ?? 'Normal',
    set: (i, el) => {
      const v = textIn(el) ?? 'Normal';
      if (!SENSITIVITIES.includes(v)) throw schemaViolation(`Sensitivity "${v}" is not valid.`);
      i.sensitivity = v === 'Normal' ? undefined : (v as Sensitivity);
      if (!i.sensitivity) delete i.sensitivity;
    },
    clear: (i) => delete i.sensitivity,
  },
  {
    uri: 'item:Body',
    element: 'Body',
    render: (i, rc) => bodyOf(i, rc.shape.bodyType),
    value: (i) => i.notes,
    set: (i, el) => {
      i.notes = bodyText(el);
      if (!i.notes) delete i.notes;
    },
    clear: (i) => delete i.notes,
    append: (i, el) => {
      const more = bodyText(el);
      if (more) i.notes = i.notes ? `${i.notes}\n${more}` : more;
    },
  },
  {
    uri: 'item:Attachments',
    element: 'Attachments',
    render: (i, rc) => {
      if (i.kind !== 'contact' || !i.photo || !rc.meta.photoAttachmentId) return undefined;
      return x(
        't:Attachments',
        null,
        x(
          't:FileAttachment',
          null,
          x('t:AttachmentId', { Id: rc.meta.photoAttachmentId }),
          x('t:Name', null, CONTACT_PICTURE_NAME),
          x('t:ContentType', null, i.photo.contentType),
          x('t:Size', null, String(i.photo.data.length)),
          rc.meta.lastModified ? x('t:LastModifiedTime', null, isoDateTime(rc.meta.lastModified)!) : undefined,
          x('t:IsInline', null, 'false'),
          x('t:IsContactPhoto', null, 'true'),
        ),
      );
    },
  },
  { uri: 'item:DateTimeReceived', element: 'DateTimeReceived', render: (_i, rc) => dateEl('t:DateTimeReceived', rc.meta.lastModified), value: (_i, m) => isoDateTime(m.lastModified) },
  { uri: 'item:Size', element: 'Size', render: (i, rc) => x('t:Size', null, String(sizeOf(i, rc.meta))), value: (i, m) => String(sizeOf(i, m)) },
  {
    uri: 'item:Categories',
    element: 'Categories',
    render: (i) => (i.categories.length ? x('t:Categories', null, i.categories.map((c) => x('t:String', null, c))) : undefined),
    value: (i) => i.categories.join(' ') || undefined,
    set: (i, el) => (i.categories = [...new Set(strings(el))]),
    clear: (i) => (i.categories = []),
    append: (i, el) => (i.categories = [...new Set([...i.categories, ...strings(el)])]),
  },
  { uri: 'item:Importance', element: 'Importance', render: () => x('t:Importance', null, 'Normal'), value: () => 'Normal', set: () => undefined, clear: () => undefined },
  { uri: 'item:IsSubmitted', element: 'IsSubmitted', render: () => x('t:IsSubmitted', null, 'false'), value: () => 'false' },
  { uri: 'item:IsDraft', element: 'IsDraft', render: () => x('t:IsDraft', null, 'false'), value: () => 'false' },
  { uri: 'item:IsFromMe', element: 'IsFromMe', render: () => x('t:IsFromMe', null, 'false'), value: () => 'false' },
  { uri: 'item:IsResend', element: 'IsResend', render: () => x('t:IsResend', null, 'false'), value: () => 'false' },
  { uri: 'item:IsUnmodified', element: 'IsUnmodified', render: () => x('t:IsUnmodified', null, 'false'), value: () => 'false' },
  { uri: 'item:DateTimeSent', element: 'DateTimeSent', render: (_i, rc) => dateEl('t:DateTimeSent', rc.meta.lastModified), value: (_i, m) => isoDateTime(m.lastModified) },
  { uri: 'item:DateTimeCreated', element: 'DateTimeCreated', render: (_i, rc) => dateEl('t:DateTimeCreated', rc.meta.lastModified), value: (_i, m) => isoDateTime(m.lastModified) },
  { uri: 'item:ReminderIsSet', element: 'ReminderIsSet', render: () => x('t:ReminderIsSet', null, 'false'), value: () => 'false', set: () => undefined, clear: () => undefined },
  { uri: 'item:DisplayCc', element: 'DisplayCc', render: () => x('t:DisplayCc', null, ''), value: () => '' },
  { uri: 'item:DisplayTo', element: 'DisplayTo', render: () => x('t:DisplayTo', null, ''), value: () => '' },
  { uri: 'item:HasAttachments', element: 'HasAttachments', render: (i, rc) => x('t:HasAttachments', null, b(hasPhotoAttachment(i, rc.meta))), value: (i, m) => b(hasPhotoAttachment(i, m)) },
];

/** ItemType's part after the extended properties. */
const ITEM_TAIL: AnyField[] = [
  { uri: 'item:Culture', element: 'Culture', render: () => x('t:Culture', null, 'en-US'), set: () => undefined, clear: () => undefined },
  {
    uri: 'item:EffectiveRights',
    element: 'EffectiveRights',
    render: (_i, rc) => ownItemRights(rc.version),
  },
  { uri: 'item:LastModifiedTime', element: 'LastModifiedTime', render: (_i, rc) => dateEl('t:LastModifiedTime', rc.meta.lastModified), value: (_i, m) => isoDateTime(m.lastModified) },
  { uri: 'item:IsAssociated', element: 'IsAssociated', since: 'Exchange2010', render: () => x('t:IsAssociated', null, 'false'), value: () => 'false' },
];

export const CONTACT_PICTURE_NAME = 'ContactPicture.jpg';

function hasPhotoAttachment(i: CardItem, meta: ContactItemMeta): boolean {
  return i.kind === 'contact' && !!i.photo && !!meta.photoAttachmentId;
}

function sizeOf(i: CardItem, meta: ContactItemMeta): number {
  return meta.size ?? (i.source ? Buffer.byteLength(i.source, 'utf8') : 0);
}

function dateEl(name: string, d: Date | undefined): Xml | undefined {
  const v = isoDateTime(d);
  return v ? x(name, null, v) : undefined;
}

export function itemClassOf(i: CardItem): string {
  return i.kind === 'group' ? 'IPM.DistList' : 'IPM.Contact';
}

const opt = (s: string | undefined) => s || undefined;
function setOrDelete<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v === undefined || v === '') delete o[k];
  else o[k] = v;
}

function dateField(uri: string, get: (c: Contact) => CardDate | undefined, put: (c: Contact, v: CardDate | undefined) => void): FieldDef<Contact> {
  const element = uri.slice(9);
  return {
    uri,
    element,
    render: (c) => {
      const v = ewsDate(get(c));
      return v ? x(`t:${element}`, null, v) : undefined;
    },
    value: (c) => ewsDate(get(c)),
    set: (c, el) => put(c, textIn(el) ? cardDateOf(textIn(el)!, element) : undefined),
    clear: (c) => put(c, undefined),
  };
}

const FILE_AS_MAPPINGS = ['None', 'LastCommaFirst', 'FirstSpaceLast', 'Company', 'LastCommaFirstCompany', 'CompanyLastFirst', 'LastFirst', 'LastFirstCompany', 'CompanyLastCommaFirst', 'LastFirstSuffix', 'LastSpaceFirstCompany', 'CompanyLastSpaceFirst', 'LastSpaceFirst', 'DisplayName', 'FirstName', 'LastFirstMiddleSuffix', 'LastName', 'Empty'];

/** ContactItemType's own elements, in schema order. */
const CONTACT_FIELDS: FieldDef<Contact>[] = [
  textField<Contact>('contacts:FileAs', (c) => opt(fileAsOf(c)), (c, v) => setOrDelete(c, 'fileAs', v)),
  {
    uri: 'contacts:FileAsMapping',
    element: 'FileAsMapping',
    render: () => x('t:FileAsMapping', null, 'None'),
    value: () => 'None',
    set: (_c, el) => {
      if (!FILE_AS_MAPPINGS.includes(textIn(el) ?? '')) throw schemaViolation(`FileAsMapping "${textIn(el)}" is not valid.`);
    },
    clear: () => undefined,
  },
  textField<Contact>('contacts:DisplayName', (c) => opt(displayNameOf(c)), (c, v) => setOrDelete(c, 'displayName', v)),
  textField<Contact>('contacts:GivenName', (c) => c.givenName, (c, v) => setOrDelete(c, 'givenName', v)),
  textField<Contact>('contacts:Initials', (c) => c.initials, (c, v) => setOrDelete(c, 'initials', v)),
  textField<Contact>('contacts:MiddleName', (c) => c.middleName, (c, v) => setOrDelete(c, 'middleName', v)),
  textField<Contact>('contacts:Nickname', (c) => c.nickname, (c, v) => setOrDelete(c, 'nickname', v)),
  {
    uri: 'contacts:CompleteName',
    element: 'CompleteName',
    render: (c) =>
      x(
        't:CompleteName',
        null,
        c.title ? x('t:Title', null, c.title) : undefined,
        c.givenName ? x('t:FirstName', null, c.givenName) : undefined,
        c.middleName ? x('t:MiddleName', null, c.middleName) : undefined,
        c.surname ? x('t:LastName', null, c.surname) : undefined,
        c.suffix ? x('t:Suffix', null, c.suffix) : undefined,
        c.initials ? x('t:Initials', null, c.initials) : undefined,
        x('t:FullName', null, displayNameOf(c)),
        c.nickname ? x('t:Nickname', null, c.nickname) : undefined,
        c.phoneticGivenName ? x('t:YomiFirstName', null, c.phoneticGivenName) : undefined,
        c.phoneticSurname ? x('t:YomiLastName', null, c.phoneticSurname) : undefined,
      ),
    value: (c) => displayNameOf(c) || undefined,
  },
  textField<Contact>('contacts:CompanyName', (c) => c.companyName, (c, v) => setOrDelete(c, 'companyName', v)),
  {
    uri: 'contacts:EmailAddresses',
    element: 'EmailAddresses',
    render: (c, rc) => renderEmails(c, rc, EMAIL_KEYS),
    value: (c) => EMAIL_KEYS.map((k) => c.emails[k]?.address).filter(Boolean).join(' ') || undefined,
    set: (c, el) => {
      c.emails = {};
      mergeEntries(c, 'email', el);
    },
    clear: (c) => (c.emails = {}),
  },
  {
    uri: 'contacts:PhysicalAddresses',
    element: 'PhysicalAddresses',
    render: (c) => renderAddresses(c, ADDRESS_KEYS),
    set: (c, el) => {
      c.addresses = {};
      mergeEntries(c, 'address', el);
    },
    clear: (c) => (c.addresses = {}),
  },
  {
    uri: 'contacts:PhoneNumbers',
    element: 'PhoneNumbers',
    render: (c) => renderPhones(c, PHONE_KEYS),
    value: (c) => PHONE_KEYS.map((k) => c.phones[k]).filter(Boolean).join(' ') || undefined,
    set: (c, el) => {
      c.phones = {};
      mergeEntries(c, 'phone', el);
    },
    clear: (c) => (c.phones = {}),
  },
  textField<Contact>('contacts:AssistantName', (c) => c.assistantName, (c, v) => setOrDelete(c, 'assistantName', v)),
  dateField('contacts:Birthday', (c) => c.birthday, (c, v) => setOrDelete(c, 'birthday', v)),
  textField<Contact>('contacts:BusinessHomePage', (c) => c.businessHomePage, (c, v) => setOrDelete(c, 'businessHomePage', v)),
  {
    uri: 'contacts:Children',
    element: 'Children',
    render: (c) => (c.children.length ? x('t:Children', null, c.children.map((s) => x('t:String', null, s))) : undefined),
    value: (c) => c.children.join(' ') || undefined,
    set: (c, el) => (c.children = strings(el)),
    clear: (c) => (c.children = []),
    append: (c, el) => (c.children = [...c.children, ...strings(el)]),
  },
  { uri: 'contacts:Companies', element: 'Companies', render: () => undefined, set: () => undefined, clear: () => undefined, append: () => undefined },
  { uri: 'contacts:ContactSource', element: 'ContactSource', render: () => x('t:ContactSource', null, 'Store'), value: () => 'Store' },
  textField<Contact>('contacts:Department', (c) => c.department, (c, v) => setOrDelete(c, 'department', v)),
  textField<Contact>('contacts:Generation', (c) => c.suffix, (c, v) => setOrDelete(c, 'suffix', v)),
  {
    uri: 'contacts:ImAddresses',
    element: 'ImAddresses',
    render: (c) => renderIms(c, IM_KEYS),
    value: (c) => IM_KEYS.map((k) => c.imAddresses[k]).filter(Boolean).join(' ') || undefined,
    set: (c, el) => {
      c.imAddresses = {};
      mergeEntries(c, 'im', el);
    },
    clear: (c) => (c.imAddresses = {}),
  },
  textField<Contact>('contacts:JobTitle', (c) => c.jobTitle, (c, v) => setOrDelete(c, 'jobTitle', v)),
  textField<Contact>('contacts:Manager', (c) => c.manager, (c, v) => setOrDelete(c, 'manager', v)),
  textField<Contact>('contacts:Mileage', (c) => c.mileage, (c, v) => setOrDelete(c, 'mileage', v)),
  textField<Contact>('contacts:OfficeLocation', (c) => c.officeLocation, (c, v) => setOrDelete(c, 'officeLocation', v)),
  {
    uri: 'contacts:PostalAddressIndex',
    element: 'PostalAddressIndex',
    render: (c) => x('t:PostalAddressIndex', null, c.postalAddressIndex ?? 'None'),
    value: (c) => c.postalAddressIndex ?? 'None',
    set: (c, el) => {
      const v = textIn(el) ?? 'None';
      if (v !== 'None' && !(ADDRESS_KEYS as readonly string[]).includes(v)) throw schemaViolation(`PostalAddressIndex "${v}" is not valid.`);
      setOrDelete(c, 'postalAddressIndex', v === 'None' ? undefined : (v as AddressKey));
    },
    clear: (c) => delete c.postalAddressIndex,
  },
  textField<Contact>('contacts:Profession', (c) => c.profession, (c, v) => setOrDelete(c, 'profession', v)),
  textField<Contact>('contacts:SpouseName', (c) => c.spouseName, (c, v) => setOrDelete(c, 'spouseName', v)),
  textField<Contact>('contacts:Surname', (c) => c.surname, (c, v) => setOrDelete(c, 'surname', v)),
  dateField('contacts:WeddingAnniversary', (c) => c.anniversary, (c, v) => setOrDelete(c, 'anniversary', v)),
  { uri: 'contacts:HasPicture', element: 'HasPicture', since: 'Exchange2010', render: (c) => x('t:HasPicture', null, b(!!c.photo)), value: (c) => b(!!c.photo) },
  textField<Contact>('contacts:PhoneticFullName', (c) => opt([c.phoneticGivenName, c.phoneticSurname].filter(Boolean).join(' ')), undefined, 'Exchange2010_SP2'),
  textField<Contact>('contacts:PhoneticFirstName', (c) => c.phoneticGivenName, undefined, 'Exchange2010_SP2'),
  textField<Contact>('contacts:PhoneticLastName', (c) => c.phoneticSurname, undefined, 'Exchange2010_SP2'),
  textField<Contact>('contacts:Notes', (c) => c.notes, undefined, 'Exchange2010_SP2'),
  {
    uri: 'contacts:Photo',
    element: 'Photo',
    since: 'Exchange2010_SP2',
    render: (c) => (c.photo ? x('t:Photo', null, c.photo.data.toString('base64')) : undefined),
  },
];

/** DistributionListType's own elements, in schema order. */
const GROUP_FIELDS: FieldDef<ContactGroup>[] = [
  textField<ContactGroup>('contacts:DisplayName', (g) => opt(displayNameOf(g)), (g, v) => setOrDelete(g, 'displayName', v)),
  textField<ContactGroup>('contacts:FileAs', (g) => opt(fileAsOf(g)), undefined),
  { uri: 'contacts:ContactSource', element: 'ContactSource', render: () => x('t:ContactSource', null, 'Store'), value: () => 'Store' },
  {
    uri: 'distributionlist:Members',
    element: 'Members',
    since: 'Exchange2010',
    render: (g, rc) => renderMembers(g, rc),
    value: (g) => g.members.map((m) => [m.name, m.email].filter(Boolean).join(' ')).join(' ') || undefined,
    set: (g, el) => (g.members = membersOf(el)),
    clear: (g) => (g.members = []),
    append: (g, el) => {
      const have = new Set(g.members.map(memberKey));
      for (const m of membersOf(el)) if (!have.has(memberKey(m)) || m.itemId) g.members.push(m);
    },
  },
];

export const CONTACT_TABLE: AnyField[] = [...ITEM_HEAD, ...ITEM_TAIL, ...(CONTACT_FIELDS as unknown as AnyField[])];
export const GROUP_TABLE: AnyField[] = [...ITEM_HEAD, ...ITEM_TAIL, ...(GROUP_FIELDS as unknown as AnyField[])];
export { ITEM_HEAD, ITEM_TAIL, CONTACT_FIELDS, GROUP_FIELDS };

const CONTACT_BY_URI = new Map(CONTACT_TABLE.map((f) => [f.uri, f]));
const GROUP_BY_URI = new Map(GROUP_TABLE.map((f) => [f.uri, f]));
const CONTACT_BY_ELEMENT = new Map(CONTACT_TABLE.map((f) => [f.element, f]));
const GROUP_BY_ELEMENT = new Map(GROUP_TABLE.map((f) => [f.element, f]));

export function fieldByUri(kind: CardItem['kind'], uri: string): AnyField | undefined {
  // EWS Managed API and others name the whole dictionaries with these FieldURIs too.
  return (kind === 'group' ? GROUP_BY_URI : CONTACT_BY_URI).get(uri);
}

export function fieldByElement(kind: CardItem['kind'], element: string): AnyField | undefined {
  return (kind === 'group' ? GROUP_BY_ELEMENT : CONTACT_BY_ELEMENT).get(element);
}

/** Reads Entry children of a dictionary element into the contact (keys checked against the EWS enumerations). */
export function mergeEntries(c: Contact, dict: 'email' | 'phone' | 'im' | 'address', el: Element, only?: { key: string; part?: AddressPart }): void {
  const entries = children(el, NS.types, 'Entry');
  for (const e of entries) {
    const key = attr(e, 'Key') ?? '';
    if (only && key !== only.key) continue;
    const keys: readonly string[] = dict === 'email' ? EMAIL_KEYS : dict === 'phone' ? PHONE_KEYS : dict === 'im' ? IM_KEYS : ADDRESS_KEYS;
    if (!keys.includes(key)) throw schemaViolation(`Entry Key "${key}" is not valid in ${el.localName}; valid keys are ${keys.join(', ')}.`);
    if (dict === 'address') {
      const k = key as AddressKey;
      for (const part of only?.part ? [only.part] : ADDRESS_PARTS) {
        const partEl = child(e, NS.types, part) ?? (part === 'CountryOrRegion' ? child(e, NS.types, 'Country') : undefined);
        if (partEl || only?.part) setAddressPart(c, k, part, partEl ? textIn(partEl) : undefined);
      }
      continue;
    }
    const v = textIn(e);
    if (dict === 'email') {
      const name = attr(e, 'Name')?.trim();
      if (v) c.emails[key as (typeof EMAIL_KEYS)[number]] = name ? { address: v.replace(/^smtp:/i, ''), name } : { address: v.replace(/^smtp:/i, '') };
      else delete c.emails[key as (typeof EMAIL_KEYS)[number]];
    } else if (dict === 'phone') {
      if (v) c.phones[key as PhoneKey] = v;
      else delete c.phones[key as PhoneKey];
    } else {
      if (v) c.imAddresses[key as (typeof IM_KEYS)[number]] = v;
      else delete c.imAddresses[key as (typeof IM_KEYS)[number]];
    }
  }
}

/** t:Members / t:Member / t:Mailbox → group members; a member given by ItemId keeps it for the caller to resolve. */
export function membersOf(el: Element): GroupMember[] {
  const out: GroupMember[] = [];
  for (const m of children(el, NS.types, 'Member')) {
    const mb = child(m, NS.types, 'Mailbox');
    if (!mb) throw schemaViolation('A distribution list Member needs a Mailbox.');
    const member: GroupMember = {};
    const name = textOf(child(mb, NS.types, 'Name'))?.trim();
    const email = textOf(child(mb, NS.types, 'EmailAddress'))?.trim();
    const itemId = attr(child(mb, NS.types, 'ItemId'), 'Id');
    if (name) member.name = name;
    if (email) member.email = email.replace(/^smtp:/i, '');
    if (itemId) member.itemId = itemId;
    if (!member.email && !member.itemId) throw new EwsError('ErrorInvalidRecipients', 'A distribution list member needs an e-mail address or an ItemId.');
    out.push(member);
  }
  return out;
}

/** Every element name a t:Contact / t:DistributionList may carry (ItemType's included). */
export const ITEM_TYPE_ELEMENTS = new Set([
  'MimeContent', 'ItemId', 'ParentFolderId', 'ItemClass', 'Subject', 'Sensitivity', 'Body', 'Attachments', 'DateTimeReceived', 'Size',
  'Categories', 'Importance', 'InReplyTo', 'IsSubmitted', 'IsDraft', 'IsFromMe', 'IsResend', 'IsUnmodified', 'InternetMessageHeaders',
  'DateTimeSent', 'DateTimeCreated', 'ResponseObjects', 'ReminderDueBy', 'ReminderIsSet', 'ReminderNextTime', 'ReminderMinutesBeforeStart',
  'DisplayCc', 'DisplayTo', 'HasAttachments', 'ExtendedProperty', 'Culture', 'EffectiveRights', 'LastModifiedName', 'LastModifiedTime',
  'IsAssociated', 'WebClientReadFormQueryString', 'WebClientEditFormQueryString', 'ConversationId', 'UniqueBody', 'Flag', 'StoreEntryId',
  'InstanceKey', 'NormalizedBody', 'EntityExtractionResult', 'PolicyTag', 'ArchiveTag', 'RetentionDate', 'Preview', 'RightsManagementLicenseData',
  'PredictedActionReasons', 'IsClutter', 'BlockStatus', 'HasBlockedImages', 'TextBody', 'IconIndex', 'SearchKey', 'SortKey', 'Hashtags',
  'Mentions', 'MentionedMe', 'MentionsPreview', 'MentionsEx', 'AppliedHashtags', 'AppliedHashtagsPreview', 'Likes', 'LikesPreview',
  'PendingSocialActivityTagIds', 'AtAllMentions', 'CanDelete', 'InferenceClassification',
]);

export function elementNames(el: Element): string[] {
  return elementChildren(el).map((c) => c.localName ?? '');
}
