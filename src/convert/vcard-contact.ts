// vCard 3.0 / 4.0 (and Outlook's 2.1, read as 3.0) ⇄ a plain Contact or
// ContactGroup model with everything an EWS Contact / DistributionList has.
//
// Reading never fails on a single bad property: values that cannot be read
// are skipped with a warning. A contact carries the vCard it was read from
// (`source`); writing applies the model's changes to that vCard, property by
// property, so what we do not model (X- properties, Apple's item groups and
// labels, extra e-mail addresses and phones, parameters) is kept, and an
// unchanged field keeps its exact original line.
//
// Conventions where vCard has no standard place (read from every form we know,
// written in the first one):
//   FileAs            X-EVOLUTION-FILE-AS (X-FILE-AS)
//   Initials          X-INITIALS
//   OfficeLocation    X-OFFICE (X-KADDRESSBOOK-X-OFFICE)
//   Mileage           X-MILEAGE
//   Profession        ROLE
//   Phonetic names    X-PHONETIC-FIRST-NAME / X-PHONETIC-LAST-NAME (Apple)
//   Manager/Assistant Apple's item<n>.X-ABRELATEDNAMES + X-ABLabel _$!<Manager>!$_
//                     (also X-MANAGER, X-EVOLUTION-MANAGER, X-MS-MANAGER, KAddressBook's)
//   Spouse/Children   vCard 4: RELATED;TYPE=spouse|child;VALUE=text
//                     vCard 3: Apple's X-ABRELATEDNAMES _$!<Spouse>!$_ / _$!<Child>!$_
//   Anniversary       vCard 4: ANNIVERSARY; vCard 3: Apple's X-ABDATE _$!<Anniversary>!$_
//                     (also X-ANNIVERSARY, X-EVOLUTION-ANNIVERSARY, X-MS-ANNIVERSARY)
//   Gender            vCard 4: GENDER; vCard 3: X-GENDER (also X-WAB-GENDER)
//   E-mail / member display names: the X-CN parameter
//   Sensitivity       CLASS (PRIVATE / CONFIDENTIAL)
//   Groups            vCard 4 KIND:group + MEMBER; Apple X-ADDRESSBOOKSERVER-KIND/-MEMBER
//                     (a new group is written in its vCard version's form)
//
// Known limits: the three e-mail slots and each phone pair (BusinessPhone/2,
// HomePhone/2) are filled in document order, so a second entry whose first is
// removed moves up on the next read; phones and addresses beyond what EWS has
// slots for stay in the vCard but not in the model.
import { randomUUID } from 'node:crypto';
import {
  componentsOf,
  decodeVCardBytes,
  emptyVCardDoc,
  escapeText,
  listOf,
  newProperty,
  param,
  paramValues,
  parseVCardDoc,
  serializeVCardDoc,
  setProperty,
  textOf,
  typesOf,
  unescapeText,
  type VCardDoc,
  type VParam,
  type VProperty,
} from './vcard.js';

export { VCardParseError } from './vcard.js';

export const PHONE_KEYS = [
  'AssistantPhone',
  'BusinessFax',
  'BusinessPhone',
  'BusinessPhone2',
  'Callback',
  'CarPhone',
  'CompanyMainPhone',
  'HomeFax',
  'HomePhone',
  'HomePhone2',
  'Isdn',
  'MobilePhone',
  'OtherFax',
  'OtherTelephone',
  'Pager',
  'PrimaryPhone',
  'RadioPhone',
  'Telex',
  'TtyTddPhone',
] as const;
export type PhoneKey = (typeof PHONE_KEYS)[number];
export const EMAIL_KEYS = ['EmailAddress1', 'EmailAddress2', 'EmailAddress3'] as const;
export type EmailKey = (typeof EMAIL_KEYS)[number];
export const IM_KEYS = ['ImAddress1', 'ImAddress2', 'ImAddress3'] as const;
export type ImKey = (typeof IM_KEYS)[number];
export const ADDRESS_KEYS = ['Home', 'Business', 'Other'] as const;
export type AddressKey = (typeof ADDRESS_KEYS)[number];

export interface ContactEmail {
  address: string;
  /** The display name EWS keeps with an address (EmailAddressDictionaryEntry@Name). */
  name?: string;
}

export interface PostalAddress {
  street?: string;
  city?: string;
  state?: string;
  postalCode?: string;
  countryOrRegion?: string;
  /** vCard's post office box and extended address: not EWS fields, kept for the vCard's sake. */
  poBox?: string;
  extended?: string;
}

export interface ContactPhoto {
  data: Buffer;
  /** image/jpeg, image/png, ... */
  contentType: string;
}

/** 'YYYY-MM-DD', or '--MM-DD' when the year is not known. */
export type CardDate = string;

export type Sensitivity = 'Normal' | 'Personal' | 'Private' | 'Confidential';

export interface Contact {
  kind: 'contact';
  uid?: string;
  /** FN; on reading, computed from the name parts when the vCard has none. */
  displayName?: string;
  fileAs?: string;
  /** Honorific prefix (EWS CompleteName/Title). */
  title?: string;
  givenName?: string;
  middleName?: string;
  surname?: string;
  /** Honorific suffix (EWS CompleteName/Suffix and Generation). */
  suffix?: string;
  initials?: string;
  nickname?: string;
  phoneticGivenName?: string;
  phoneticSurname?: string;
  companyName?: string;
  department?: string;
  jobTitle?: string;
  profession?: string;
  officeLocation?: string;
  manager?: string;
  assistantName?: string;
  spouseName?: string;
  children: string[];
  emails: Partial<Record<EmailKey, ContactEmail>>;
  phones: Partial<Record<PhoneKey, string>>;
  addresses: Partial<Record<AddressKey, PostalAddress>>;
  /** Which address is the mailing address (the preferred ADR). */
  postalAddressIndex?: AddressKey;
  imAddresses: Partial<Record<ImKey, string>>;
  birthday?: CardDate;
  anniversary?: CardDate;
  notes?: string;
  categories: string[];
  businessHomePage?: string;
  personalHomePage?: string;
  photo?: ContactPhoto;
  /** A photo given by reference only (not fetched, not an EWS photo). */
  photoUri?: string;
  /** vCard 4 GENDER sex component: M, F, O, N, U. */
  gender?: 'M' | 'F' | 'O' | 'N' | 'U';
  mileage?: string;
  sensitivity?: Sensitivity;
  /** The vCard this was read from; writing applies the model's changes to it. */
  source?: string;
  /** Problems met while reading (lines dropped, values ignored). */
  warnings?: string[];
}

export interface GroupMember {
  name?: string;
  email?: string;
  /** UID of a contact in the same address book (without any urn:uuid: prefix). */
  contactUid?: string;
  /**
   * Transient: an EWS ItemId a request named this member by. The caller resolves
   * it to contactUid (and email) before writing; writeVCard skips a member that
   * has neither contactUid nor email.
   */
  itemId?: string;
}

export interface ContactGroup {
  kind: 'group';
  uid?: string;
  displayName?: string;
  members: GroupMember[];
  categories: string[];
  notes?: string;
  sensitivity?: Sensitivity;
  source?: string;
  warnings?: string[];
}

export type CardItem = Contact | ContactGroup;

export interface WriteVCardOptions {
  /** Version of a new card (one read from a vCard keeps its version; 2.1 becomes 3.0). Default 3.0. */
  version?: '3.0' | '4.0';
  /** REV timestamp (default: now). */
  now?: Date;
}

export function emptyContact(): Contact {
  return { kind: 'contact', children: [], emails: {}, phones: {}, addresses: {}, imAddresses: {}, categories: [] };
}

export function emptyGroup(): ContactGroup {
  return { kind: 'group', members: [], categories: [] };
}

export function newUid(): string {
  return randomUUID().toUpperCase();
}

/** A UID without urn:uuid:, lower case: for matching group members to contacts. */
export function uidKey(uid: string): string {
  return uid.trim().replace(/^urn:uuid:/i, '').toLowerCase();
}

export function sameUid(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && uidKey(a) === uidKey(b);
}

/** The name a contact is shown under: FN, else the name parts, company, e-mail. */
export function displayNameOf(c: CardItem): string {
  if (c.displayName?.trim()) return c.displayName.trim();
  if (c.kind === 'group') return '';
  const name = [c.title, c.givenName, c.middleName, c.surname, c.suffix].filter(Boolean).join(' ');
  return name || c.nickname || c.companyName || c.emails.EmailAddress1?.address || c.emails.EmailAddress2?.address || c.emails.EmailAddress3?.address || '';
}

/** FileAs as Exchange defaults it (LastCommaFirst), when the contact has none of its own. */
export function fileAsOf(c: CardItem): string {
  if (c.kind === 'group') return displayNameOf(c);
  if (c.fileAs?.trim()) return c.fileAs.trim();
  if (c.surname && c.givenName) return `${c.surname}, ${c.givenName}`;
  return c.surname || c.givenName || displayNameOf(c);
}

// ------------------------------------------------------------------ reading

const clean = (s: string | undefined): string | undefined => {
  const t = s?.replace(/\r\n?/g, '\n').trim();
  return t ? t : undefined;
};

type Binding = Map<string, number[]>;

interface Reading {
  doc: VCardDoc;
  item: CardItem;
  bind: Binding;
}

/** Apple's X-ABLabel for a grouped property, as a lower-case word ("_$!<Mobile>!$_" → "mobile"). */
const LABELS = new WeakMap<VCardDoc, Map<string, string>>();

function labelOf(doc: VCardDoc, p: VProperty): string | undefined {
  if (!p.group) return undefined;
  let labels = LABELS.get(doc);
  if (!labels) {
    labels = new Map();
    for (const q of doc.props) {
      if (q.removed || q.name !== 'X-ABLABEL' || !q.group || labels.has(q.group.toLowerCase())) continue;
      labels.set(q.group.toLowerCase(), textOf(q).replace(/^_\$!<(.*)>!\$_$/, '$1').trim().toLowerCase());
    }
    LABELS.set(doc, labels);
  }
  return labels.get(p.group.toLowerCase());
}

function isPref(p: VProperty): boolean {
  return typesOf(p).includes('pref') || param(p, 'PREF') !== undefined;
}

function prefRank(p: VProperty): number {
  const n = Number(param(p, 'PREF'));
  if (Number.isFinite(n) && n > 0) return n;
  return typesOf(p).includes('pref') ? 1 : 101;
}

/**
 * Reads a vCard (text, or bytes as stored: see decodeVCardBytes). Throws
 * VCardParseError when there is no complete vCard in it.
 */
export function readVCard(input: string | Uint8Array): CardItem {
  const text = typeof input === 'string' ? input : decodeVCardBytes(input);
  const r = interpret(parseVCardDoc(text));
  r.item.source = text;
  if (r.doc.warnings.length) r.item.warnings = r.doc.warnings;
  return r.item;
}

const PHONE_WORDS: { key: PhoneKey[]; test: (t: Set<string>) => boolean }[] = [
  { key: ['BusinessFax'], test: (t) => t.has('fax') && t.has('work') },
  { key: ['HomeFax'], test: (t) => t.has('fax') && t.has('home') },
  { key: ['OtherFax'], test: (t) => t.has('fax') },
  { key: ['Pager'], test: (t) => t.has('pager') },
  { key: ['MobilePhone'], test: (t) => t.has('cell') || t.has('mobile') || t.has('iphone') },
  { key: ['CarPhone'], test: (t) => t.has('car') || t.has('x-car') },
  { key: ['Isdn'], test: (t) => t.has('isdn') || t.has('x-isdn') },
  { key: ['TtyTddPhone'], test: (t) => ['textphone', 'tty', 'x-tty', 'tty-tdd', 'x-tty-tdd', 'x-evolution-tty'].some((w) => t.has(w)) },
  { key: ['RadioPhone'], test: (t) => t.has('radio') || t.has('x-radio') || t.has('x-evolution-radio') },
  { key: ['Telex'], test: (t) => t.has('telex') || t.has('x-telex') || t.has('x-evolution-telex') },
  { key: ['Callback'], test: (t) => [...t].some((w) => w.includes('callback')) },
  { key: ['AssistantPhone'], test: (t) => [...t].some((w) => w.includes('assistant')) },
  { key: ['CompanyMainPhone'], test: (t) => t.has('main') || t.has('company') || t.has('x-company') || t.has('x-evolution-company') || t.has('company main') },
  { key: ['PrimaryPhone'], test: (t) => t.has('x-primary') || t.has('primary') },
  { key: ['BusinessPhone', 'BusinessPhone2'], test: (t) => t.has('work') },
  { key: ['HomePhone', 'HomePhone2'], test: (t) => t.has('home') },
  { key: ['PrimaryPhone', 'OtherTelephone'], test: (t) => t.has('pref') && ![...t].some((w) => w !== 'pref' && w !== 'voice') },
  { key: ['OtherTelephone'], test: () => true },
];

/** TYPE values a new phone of each key is written with (vCard 3 spelling; vCard 4 lower-cases them). */
const PHONE_TYPES: Record<PhoneKey, string[]> = {
  AssistantPhone: ['X-ASSISTANT'],
  BusinessFax: ['WORK', 'FAX'],
  BusinessPhone: ['WORK', 'VOICE'],
  BusinessPhone2: ['WORK', 'VOICE'],
  Callback: ['X-CALLBACK'],
  CarPhone: ['CAR'],
  CompanyMainPhone: ['MAIN'],
  HomeFax: ['HOME', 'FAX'],
  HomePhone: ['HOME', 'VOICE'],
  HomePhone2: ['HOME', 'VOICE'],
  Isdn: ['ISDN'],
  MobilePhone: ['CELL', 'VOICE'],
  OtherFax: ['FAX'],
  OtherTelephone: ['VOICE'],
  Pager: ['PAGER'],
  PrimaryPhone: ['VOICE', 'X-PRIMARY'],
  RadioPhone: ['X-RADIO'],
  Telex: ['X-TELEX'],
  TtyTddPhone: ['TEXTPHONE'],
};

const IM_PROPS = ['X-AIM', 'X-JABBER', 'X-MSN', 'X-YAHOO', 'X-ICQ', 'X-SKYPE', 'X-SKYPE-USERNAME', 'X-GOOGLE-TALK', 'X-GTALK', 'X-QQ', 'X-GADUGADU', 'X-GROUPWISE', 'X-MS-IMADDRESS', 'X-SIP'];
const IM_SCHEMES = /^(xmpp|im|sip|sips|aim|skype|msnim|msn|ymsgr|icq|gtalk|irc|qq|gg|x-apple):(\/\/)?/i;

const RELATED_READERS: Record<'manager' | 'assistant' | 'spouse' | 'child', { props: string[]; labels: string[]; related: string[] }> = {
  manager: { props: ['X-MANAGER', 'X-EVOLUTION-MANAGER', 'X-MS-MANAGER', 'X-KADDRESSBOOK-X-MANAGERSNAME'], labels: ['manager'], related: ['manager', 'x-manager'] },
  assistant: { props: ['X-ASSISTANT', 'X-EVOLUTION-ASSISTANT', 'X-MS-ASSISTANT', 'X-KADDRESSBOOK-X-ASSISTANTSNAME'], labels: ['assistant'], related: ['assistant', 'x-assistant', 'agent'] },
  spouse: { props: ['X-SPOUSE', 'X-EVOLUTION-SPOUSE', 'X-MS-SPOUSE', 'X-KADDRESSBOOK-X-SPOUSESNAME'], labels: ['spouse', 'partner'], related: ['spouse'] },
  child: { props: ['X-CHILD', 'X-CHILDREN', 'X-MS-CHILD'], labels: ['child', 'son', 'daughter'], related: ['child'] },
};

const ANNIVERSARY_PROPS = ['ANNIVERSARY', 'X-ANNIVERSARY', 'X-EVOLUTION-ANNIVERSARY', 'X-MS-ANNIVERSARY', 'X-KADDRESSBOOK-X-ANNIVERSARY'];

function interpret(doc: VCardDoc): Reading {
  const bind: Binding = new Map();
  const props = doc.props;
  const live = (pred: (p: VProperty) => boolean): number[] => props.flatMap((p, i) => (!p.removed && !p.block && pred(p) ? [i] : []));
  const byName = new Map<string, number[]>();
  props.forEach((p, i) => {
    if (p.removed || p.block) return;
    const list = byName.get(p.name);
    if (list) list.push(i);
    else byName.set(p.name, [i]);
  });
  const named = (...names: string[]): number[] =>
    names.length === 1 ? [...(byName.get(names[0]!) ?? [])] : names.flatMap((n) => byName.get(n) ?? []).sort((a, b) => a - b);
  /** The first property among `names` (earlier names win), bound to `slot`. */
  const firstOf = (slot: string, names: string[]): VProperty | undefined => {
    for (const n of names) {
      const i = named(n)[0];
      if (i !== undefined) {
        bind.set(slot, [i]);
        return props[i];
      }
    }
    return undefined;
  };
  const text = (slot: string, ...names: string[]) => {
    const p = firstOf(slot, names);
    return p ? clean(textOf(p)) : undefined;
  };

  const kindProp = named('KIND', 'X-ADDRESSBOOKSERVER-KIND').find((i) => textOf(props[i]!).trim().toLowerCase() === 'group');
  const uid = text('UID', 'UID');
  const categories = named('CATEGORIES');
  bind.set('CATEGORIES', categories);
  const cats = [...new Set(categories.flatMap((i) => listOf(props[i]!).map((s) => s.trim()).filter(Boolean)))];
  const notes = text('NOTE', 'NOTE');
  const fn = text('FN', 'FN');
  const classProp = firstOf('CLASS', ['CLASS']);
  const cls = classProp ? textOf(classProp).trim().toUpperCase() : undefined;
  const sensitivity: Sensitivity | undefined = cls === 'PRIVATE' ? 'Private' : cls === 'CONFIDENTIAL' ? 'Confidential' : undefined;

  if (kindProp !== undefined) {
    bind.set('KIND', [kindProp]);
    const memberIdx = named('MEMBER', 'X-ADDRESSBOOKSERVER-MEMBER');
    bind.set('MEMBERS', memberIdx);
    firstOf('N', ['N']);
    const group: ContactGroup = { kind: 'group', members: memberIdx.map((i) => memberOf(props[i]!)).filter((m): m is GroupMember => !!m), categories: cats };
    if (uid) group.uid = uid;
    if (fn) group.displayName = fn;
    if (notes) group.notes = notes;
    if (sensitivity) group.sensitivity = sensitivity;
    return { doc, item: group, bind };
  }

  const c = emptyContact();
  if (uid) c.uid = uid;
  if (sensitivity) c.sensitivity = sensitivity;
  const n = firstOf('N', ['N']);
  if (n) {
    const parts = componentsOf(n).map((list) => clean(list.filter(Boolean).join(' ')));
    [c.surname, c.givenName, c.middleName, c.title, c.suffix] = [parts[0], parts[1], parts[2], parts[3], parts[4]];
  }
  const nick = firstOf('NICKNAME', ['NICKNAME']);
  if (nick) c.nickname = clean(listOf(nick)[0]);
  c.fileAs = text('FILEAS', 'X-EVOLUTION-FILE-AS', 'X-FILE-AS');
  c.initials = text('INITIALS', 'X-INITIALS');
  c.phoneticGivenName = text('PHONETIC_GIVEN', 'X-PHONETIC-FIRST-NAME');
  c.phoneticSurname = text('PHONETIC_SURNAME', 'X-PHONETIC-LAST-NAME');
  const org = firstOf('ORG', ['ORG']);
  if (org) {
    const comps = componentsOf(org).map((l) => l.join(','));
    c.companyName = clean(comps[0]);
    c.department = clean(comps[1]);
  }
  c.jobTitle = text('TITLE', 'TITLE');
  c.profession = text('ROLE', 'ROLE');
  c.officeLocation = text('OFFICE', 'X-OFFICE', 'X-KADDRESSBOOK-X-OFFICE');
  c.mileage = text('MILEAGE', 'X-MILEAGE');
  c.notes = notes;
  c.categories = cats;

  // Related names: manager, assistant, spouse (one each) and children (a list).
  const relatedIdx = (what: keyof typeof RELATED_READERS): number[] => {
    const r = RELATED_READERS[what];
    return live(
      (p) =>
        r.props.includes(p.name) ||
        (p.name === 'X-ABRELATEDNAMES' && r.labels.includes(labelOf(doc, p) ?? '')) ||
        (p.name === 'RELATED' && typesOf(p).some((t) => r.related.includes(t)) && !/^[a-z][a-z0-9+.-]*:/i.test(p.rawValue)),
    ).filter((i) => clean(textOf(props[i]!)));
  };
  for (const [what, slot] of [['manager', 'MANAGER'], ['assistant', 'ASSISTANT'], ['spouse', 'SPOUSE']] as const) {
    const i = relatedIdx(what)[0];
    if (i === undefined) continue;
    bind.set(slot, [i]);
    const v = clean(textOf(props[i]!));
    if (what === 'manager') c.manager = v;
    else if (what === 'assistant') c.assistantName = v;
    else c.spouseName = v;
  }
  const kids = relatedIdx('child');
  bind.set('CHILDREN', kids);
  c.children = kids.flatMap((i) => (props[i]!.name === 'X-CHILDREN' ? listOf(props[i]!) : [textOf(props[i]!)])).map((s) => s.trim()).filter(Boolean);

  // E-mail: preferred first, then in document order.
  const emails = named('EMAIL')
    .map((i, order) => ({ i, order, rank: prefRank(props[i]!) }))
    .sort((a, b) => a.rank - b.rank || a.order - b.order)
    .filter(({ i }) => clean(textOf(props[i]!)));
  emails.slice(0, 3).forEach(({ i }, k) => {
    const key = EMAIL_KEYS[k]!;
    const p = props[i]!;
    const address = clean(textOf(p).replace(/^mailto:/i, ''))!;
    const name = clean(param(p, 'X-CN'));
    c.emails[key] = name ? { address, name } : { address };
    bind.set(`EMAIL:${key}`, [i]);
  });

  // Phones: the first free EWS key the vCard types allow.
  for (const i of named('TEL')) {
    const p = props[i]!;
    const value = clean(textOf(p).replace(/^tel:/i, ''));
    if (!value) continue;
    const words = new Set(typesOf(p));
    const label = labelOf(doc, p);
    if (label) for (const w of [label, ...label.split(/\s+/)]) words.add(w);
    if (label === 'other') words.add('other');
    if (param(p, 'PREF') !== undefined) words.add('pref');
    const rule = PHONE_WORDS.find((r) => r.test(words))!;
    const key = rule.key.find((k) => !c.phones[k]);
    if (!key) continue;
    c.phones[key] = value;
    bind.set(`TEL:${key}`, [i]);
  }

  // Addresses: the first home, work and other ADR.
  for (const i of named('ADR')) {
    const p = props[i]!;
    const words = new Set(typesOf(p));
    const label = labelOf(doc, p);
    if (label) words.add(label);
    const key: AddressKey = words.has('home') ? 'Home' : words.has('work') ? 'Business' : 'Other';
    if (c.addresses[key]) continue;
    const comps = componentsOf(p).map((l) => clean(l.join('\n')));
    const a: PostalAddress = {};
    const set = (k: keyof PostalAddress, v: string | undefined) => {
      if (v) a[k] = v;
    };
    set('poBox', comps[0]);
    set('extended', comps[1]);
    set('street', comps[2]);
    set('city', comps[3]);
    set('state', comps[4]);
    set('postalCode', comps[5]);
    set('countryOrRegion', comps[6]);
    if (!Object.keys(a).length) continue;
    c.addresses[key] = a;
    bind.set(`ADR:${key}`, [i]);
    if (!c.postalAddressIndex && isPref(p)) c.postalAddressIndex = key;
  }

  // Instant messaging: IMPP and the older X- properties, in document order.
  const ims = live((p) => p.name === 'IMPP' || IM_PROPS.includes(p.name)).filter((i) => clean(imValue(props[i]!)));
  ims.slice(0, 3).forEach((i, k) => {
    c.imAddresses[IM_KEYS[k]!] = clean(imValue(props[i]!));
    bind.set(`IM:${IM_KEYS[k]}`, [i]);
  });

  // Web pages: TYPE=work → business, TYPE=home or Apple's HomePage → personal, untyped fills business first.
  const urls = named('URL').filter((i) => clean(textOf(props[i]!)));
  const urlKind = (i: number): 'work' | 'home' | undefined => {
    const p = props[i]!;
    const words = new Set([...typesOf(p), labelOf(doc, p) ?? '']);
    return words.has('work') ? 'work' : words.has('home') || words.has('homepage') ? 'home' : undefined;
  };
  const business = urls.find((i) => urlKind(i) === 'work') ?? urls.find((i) => urlKind(i) === undefined);
  const personal = urls.find((i) => urlKind(i) === 'home') ?? urls.find((i) => urlKind(i) === undefined && i !== business);
  // Google writes "https\://"; vobject (Radicale) then doubles the backslash: no URL means a backslash there.
  const urlText = (i: number) => clean(textOf(props[i]!).replace(/\\+(?=[:;,])/g, ''));
  if (business !== undefined) {
    c.businessHomePage = urlText(business);
    bind.set('URL:work', [business]);
  }
  if (personal !== undefined) {
    c.personalHomePage = urlText(personal);
    bind.set('URL:home', [personal]);
  }

  const bday = firstOf('BDAY', ['BDAY']);
  if (bday) c.birthday = dateOf(bday, doc);
  const anniversary =
    named(...ANNIVERSARY_PROPS)[0] ?? live((p) => p.name === 'X-ABDATE' && labelOf(doc, p) === 'anniversary')[0];
  if (anniversary !== undefined) {
    bind.set('ANNIVERSARY', [anniversary]);
    c.anniversary = dateOf(props[anniversary]!, doc);
  }

  const photo = firstOf('PHOTO', ['PHOTO']);
  if (photo) readPhoto(photo, c, doc);

  const gender = firstOf('GENDER', ['GENDER', 'X-GENDER', 'X-WAB-GENDER']);
  if (gender) c.gender = genderOf(gender);

  c.displayName = fn ?? clean(displayNameOf(c));
  for (const k of Object.keys(c) as (keyof Contact)[]) if (c[k] === undefined) delete c[k];
  return { doc, item: c, bind };
}

function imValue(p: VProperty): string {
  return textOf(p).replace(IM_SCHEMES, '');
}

function memberOf(p: VProperty): GroupMember | undefined {
  const v = textOf(p).trim();
  if (!v) return undefined;
  const name = clean(param(p, 'X-CN') ?? param(p, 'CN'));
  const m: GroupMember = {};
  if (/^mailto:/i.test(v)) m.email = decodeURIComponent(v.slice(7).split('?')[0]!);
  else m.contactUid = v.replace(/^urn:uuid:/i, '');
  if (name) m.name = name;
  return m;
}

function genderOf(p: VProperty): Contact['gender'] {
  const v = (p.name === 'GENDER' ? componentsOf(p)[0]?.[0] ?? '' : textOf(p)).trim().toUpperCase();
  if (p.name === 'X-WAB-GENDER') return v === '1' ? 'F' : v === '2' ? 'M' : undefined;
  if (v === 'M' || v === 'MALE') return 'M';
  if (v === 'F' || v === 'FEMALE') return 'F';
  if (v === 'O' || v === 'OTHER') return 'O';
  if (v === 'N' || v === 'NONE') return 'N';
  if (v === 'U' || v === 'UNKNOWN') return 'U';
  return undefined;
}

/** A date-valued property as 'YYYY-MM-DD' or '--MM-DD'; undefined (and a warning) when unreadable. */
function dateOf(p: VProperty, doc: VCardDoc): CardDate | undefined {
  const raw = p.rawValue.trim().split('T')[0]!;
  let m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(raw);
  if (m) {
    if (param(p, 'X-APPLE-OMIT-YEAR') === m[1]) return `--${m[2]}-${m[3]}`;
    return validDate(`${m[1]}-${m[2]}-${m[3]}`) ? `${m[1]}-${m[2]}-${m[3]}` : bad();
  }
  m = /^--(\d{2})-?(\d{2})$/.exec(raw);
  if (m) return validDate(`2000-${m[1]}-${m[2]}`) ? `--${m[1]}-${m[2]}` : bad();
  return bad();
  function bad(): undefined {
    doc.warnings.push(`${p.name} "${p.rawValue.slice(0, 40)}" is not a date: ignored.`);
    return undefined;
  }
}

function validDate(s: string): boolean {
  const d = new Date(s + 'T00:00:00Z');
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

const MEDIA_TYPES: Record<string, string> = { JPEG: 'image/jpeg', JPG: 'image/jpeg', PNG: 'image/png', GIF: 'image/gif', BMP: 'image/bmp', WEBP: 'image/webp', TIFF: 'image/tiff' };

function sniffImage(b: Buffer): string | undefined {
  if (b[0] === 0xff && b[1] === 0xd8) return 'image/jpeg';
  if (b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (b.subarray(0, 3).toString('latin1') === 'GIF') return 'image/gif';
  return undefined;
}

function readPhoto(p: VProperty, c: Contact, doc: VCardDoc): void {
  const raw = unescapeText(p.rawValue.trim());
  const enc = param(p, 'ENCODING')?.toLowerCase();
  let b64: string | undefined;
  let type: string | undefined;
  const dataUri = /^data:([^;,]*)(;[^,]*)?,(.*)$/s.exec(raw);
  if (dataUri) {
    if (!/;base64/i.test(dataUri[2] ?? '')) {
      doc.warnings.push('PHOTO data URI is not base64: ignored.');
      return;
    }
    b64 = dataUri[3];
    type = dataUri[1] || undefined;
  } else if (enc === 'b' || enc === 'base64') {
    b64 = raw;
    const t = param(p, 'TYPE');
    type = t ? (t.includes('/') ? t.toLowerCase() : MEDIA_TYPES[t.toUpperCase()] ?? `image/${t.toLowerCase()}`) : undefined;
  } else {
    if (raw) c.photoUri = raw;
    return;
  }
  const compact = (b64 ?? '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    doc.warnings.push('PHOTO is not valid base64: ignored.');
    return;
  }
  const data = Buffer.from(compact, 'base64');
  if (!data.length) return;
  c.photo = { data, contentType: sniffImage(data) ?? type ?? 'application/octet-stream' };
}

// ------------------------------------------------------------------ writing

/** JSON with sorted keys, for comparing model values. */
function canon(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val && typeof val === 'object' && !Array.isArray(val)) {
      const o = val as Record<string, unknown>;
      if (o.type === 'Buffer' && Array.isArray(o.data)) return Buffer.from(o.data as number[]).toString('base64');
      return Object.fromEntries(Object.keys(o).sort().filter((k) => o[k] !== undefined && o[k] !== '').map((k) => [k, o[k]]));
    }
    return val;
  });
}

class Writer {
  private nextItem: number;
  constructor(
    readonly doc: VCardDoc,
    readonly bind: Binding,
  ) {
    let max = 0;
    for (const p of doc.props) {
      const m = /^item(\d+)$/i.exec(p.group ?? '');
      if (m) max = Math.max(max, Number(m[1]));
    }
    this.nextItem = max + 1;
  }
  get v4(): boolean {
    return this.doc.version === '4.0';
  }
  /**
   * TEXT escaping for a single (non-compound) value. vCard 4 only MAY escape a
   * semicolon there, and some readers (python vobject in 4.0 mode) then keep
   * the backslash: in vCard 4 semicolons stay bare.
   */
  esc(s: string): string {
    const e = escapeText(s);
    return this.v4 ? e.replace(/\\;/g, ';') : e;
  }
  bound(slot: string): VProperty[] {
    return (this.bind.get(slot) ?? []).map((i) => this.doc.props[i]!).filter((p) => !p.removed);
  }
  /** Marks a property removed, and its Apple label when nothing else is left in its group. */
  remove(p: VProperty): void {
    p.removed = true;
    if (!p.group) return;
    const g = p.group.toLowerCase();
    const rest = this.doc.props.filter((q) => !q.removed && q.group?.toLowerCase() === g);
    if (rest.every((q) => q.name.startsWith('X-AB') && q.name !== 'X-ABRELATEDNAMES' && q.name !== 'X-ABDATE' && q.name !== 'X-ABADR')) {
      for (const q of rest) q.removed = true;
    }
  }
  add(p: VProperty): VProperty {
    this.doc.props.push(p);
    return p;
  }
  /** A property in a new Apple item group with its label. */
  addLabelled(name: string, rawValue: string, label: string): VProperty {
    const group = `item${this.nextItem++}`;
    const p = this.add(newProperty(name, rawValue, [], group));
    this.add(newProperty('X-ABLabel', escapeText(`_$!<${label}>!$_`), [], group));
    return p;
  }
  types(...t: string[]): VParam {
    return { name: 'TYPE', values: t.map((x) => (this.v4 ? x.toLowerCase() : x.toUpperCase())) };
  }
  /** One text-valued slot: updated in place, removed, or added as `create()` says. */
  text(slot: string, value: string | undefined, create: (raw: string) => VProperty, escape: (s: string) => string = (v) => this.esc(v)): void {
    const [first, ...rest] = this.bound(slot);
    for (const p of rest) this.remove(p);
    if (!value) {
      if (first) this.remove(first);
      return;
    }
    if (first) setProperty(first, escape(value));
    else create(escape(value));
  }
}

function dateValue(d: CardDate, v4: boolean, apple: boolean): { raw: string; params: VParam[] } {
  const noYear = d.startsWith('--');
  const [y, m, day] = noYear ? ['1604', d.slice(2, 4), d.slice(5, 7)] : [d.slice(0, 4), d.slice(5, 7), d.slice(8, 10)];
  if (v4) return { raw: noYear ? `--${m}${day}` : `${y}${m}${day}`, params: [] };
  if (noYear && apple) return { raw: `1604-${m}-${day}`, params: [{ name: 'X-APPLE-OMIT-YEAR', values: ['1604'] }] };
  return { raw: noYear ? `--${m}-${day}` : `${y}-${m}-${day}`, params: [] };
}

function withoutParams(p: VProperty, ...names: string[]): VParam[] {
  return p.params.filter((x) => !names.includes(x.name));
}

function writeDate(w: Writer, slot: string, value: CardDate | undefined, create: (raw: string, params: VParam[]) => void): void {
  const [first, ...rest] = w.bound(slot);
  for (const p of rest) w.remove(p);
  if (!value) {
    if (first) w.remove(first);
    return;
  }
  const { raw, params } = dateValue(value, w.v4, !w.v4);
  if (first) setProperty(first, raw, [...withoutParams(first, 'X-APPLE-OMIT-YEAR', 'VALUE'), ...params]);
  else create(raw, params);
}

function relatedWriter(w: Writer, slot: string, value: string | undefined, label: string, v4Type?: string): void {
  w.text(slot, value, (raw) =>
    w.v4 && v4Type ? w.add(newProperty('RELATED', raw, [w.types(v4Type), { name: 'VALUE', values: ['text'] }])) : w.addLabelled('X-ABRELATEDNAMES', raw, label),
  );
}

function photoProperty(w: Writer, photo: ContactPhoto, group?: string): VProperty {
  const b64 = photo.data.toString('base64');
  // The comma is escaped: text-minded parsers (Radicale's vobject) cut a value at a bare comma.
  if (w.v4) return newProperty('PHOTO', `data:${photo.contentType};base64\\,${b64}`, [], group);
  const sub = photo.contentType.split('/')[1]?.toUpperCase() ?? 'JPEG';
  return newProperty('PHOTO', b64, [{ name: 'ENCODING', values: ['b'] }, { name: 'TYPE', values: [sub === 'JPG' ? 'JPEG' : sub] }], group);
}

function addressRaw(a: PostalAddress): string {
  return [a.poBox, a.extended, a.street, a.city, a.state, a.postalCode, a.countryOrRegion].map((s) => escapeText(s ?? '')).join(';');
}

function writeContactSlots(w: Writer, before: Contact, c: Contact): void {
  const changed = (get: (x: Contact) => unknown) => canon(get(before)) !== canon(get(c));
  const simple = (slot: string, get: (x: Contact) => string | undefined, name: string) => {
    if (changed(get)) w.text(slot, get(c), (raw) => w.add(newProperty(name, raw)));
  };

  if (changed((x) => [x.surname, x.givenName, x.middleName, x.title, x.suffix])) {
    const raw = [c.surname, c.givenName, c.middleName, c.title, c.suffix].map((s) => escapeText(s ?? '')).join(';');
    const [first, ...rest] = w.bound('N');
    for (const p of rest) w.remove(p);
    if (first) setProperty(first, raw);
    else w.add(newProperty('N', raw));
  }
  simple('NICKNAME', (x) => x.nickname, 'NICKNAME');
  simple('FILEAS', (x) => x.fileAs, 'X-EVOLUTION-FILE-AS');
  simple('INITIALS', (x) => x.initials, 'X-INITIALS');
  simple('PHONETIC_GIVEN', (x) => x.phoneticGivenName, 'X-PHONETIC-FIRST-NAME');
  simple('PHONETIC_SURNAME', (x) => x.phoneticSurname, 'X-PHONETIC-LAST-NAME');
  if (changed((x) => [x.companyName, x.department])) {
    const [first, ...rest] = w.bound('ORG');
    for (const p of rest) w.remove(p);
    const extra = first ? first.rawValue.split(/(?<!\\);/).slice(2) : [];
    const comps = [escapeText(c.companyName ?? ''), escapeText(c.department ?? ''), ...extra];
    while (comps.length > 1 && comps[comps.length - 1] === '') comps.pop();
    if (!c.companyName && !c.department && !extra.length) {
      if (first) w.remove(first);
    } else if (first) setProperty(first, comps.join(';'));
    else w.add(newProperty('ORG', comps.join(';')));
  }
  simple('TITLE', (x) => x.jobTitle, 'TITLE');
  simple('ROLE', (x) => x.profession, 'ROLE');
  simple('OFFICE', (x) => x.officeLocation, 'X-OFFICE');
  simple('MILEAGE', (x) => x.mileage, 'X-MILEAGE');
  simple('NOTE', (x) => x.notes, 'NOTE');
  if (changed((x) => x.manager)) relatedWriter(w, 'MANAGER', c.manager, 'Manager');
  if (changed((x) => x.assistantName)) relatedWriter(w, 'ASSISTANT', c.assistantName, 'Assistant');
  if (changed((x) => x.spouseName)) relatedWriter(w, 'SPOUSE', c.spouseName, 'Spouse', 'spouse');
  if (changed((x) => x.children)) {
    const bound = w.bound('CHILDREN');
    const kids = c.children.map((s) => s.trim()).filter(Boolean);
    for (const p of bound) if (p.name === 'X-CHILDREN') w.remove(p);
    const singles = bound.filter((p) => p.name !== 'X-CHILDREN');
    singles.forEach((p, i) => {
      if (i < kids.length) setProperty(p, w.esc(kids[i]!));
      else w.remove(p);
    });
    for (const kid of kids.slice(singles.length)) {
      if (w.v4) w.add(newProperty('RELATED', w.esc(kid), [w.types('child'), { name: 'VALUE', values: ['text'] }]));
      else w.addLabelled('X-ABRELATEDNAMES', w.esc(kid), 'Child');
    }
  }

  for (const key of EMAIL_KEYS) {
    if (!changed((x) => x.emails[key])) continue;
    const e = c.emails[key];
    const [p] = w.bound(`EMAIL:${key}`);
    if (!e?.address) {
      if (p) w.remove(p);
      continue;
    }
    const nameParam: VParam[] = e.name ? [{ name: 'X-CN', values: [e.name] }] : [];
    if (p) setProperty(p, w.esc(e.address), [...withoutParams(p, 'X-CN'), ...nameParam]);
    else w.add(newProperty('EMAIL', w.esc(e.address), [...(w.v4 ? [] : [w.types('INTERNET')]), ...nameParam]));
  }

  for (const key of PHONE_KEYS) {
    if (!changed((x) => x.phones[key])) continue;
    const value = c.phones[key]?.trim();
    const [p] = w.bound(`TEL:${key}`);
    if (!value) {
      if (p) w.remove(p);
      continue;
    }
    const textValue: VParam[] = w.v4 ? [{ name: 'VALUE', values: ['text'] }] : [];
    if (p) setProperty(p, w.esc(value), [...withoutParams(p, 'VALUE'), ...textValue]);
    else w.add(newProperty('TEL', w.esc(value), [...textValue, w.types(...PHONE_TYPES[key])]));
  }

  const adrProps = new Map<AddressKey, VProperty>();
  for (const key of ADDRESS_KEYS) {
    const [p] = w.bound(`ADR:${key}`);
    if (!changed((x) => x.addresses[key])) {
      if (p) adrProps.set(key, p);
      continue;
    }
    const a = c.addresses[key];
    if (!a || !Object.values(a).some((v) => v && String(v).trim())) {
      if (p) w.remove(p);
      continue;
    }
    if (p) {
      setProperty(p, addressRaw(a), withoutParams(p, 'LABEL'));
      adrProps.set(key, p);
    } else {
      adrProps.set(key, w.add(newProperty('ADR', addressRaw(a), [w.types(key === 'Business' ? 'WORK' : key === 'Home' ? 'HOME' : 'OTHER')])));
    }
  }
  if (changed((x) => x.postalAddressIndex) || changed((x) => x.addresses)) {
    for (const [key, p] of adrProps) {
      const pref = c.postalAddressIndex === key;
      if (pref === isPref(p)) continue;
      const types = paramValues(p, 'TYPE').flatMap((t) => t.split(',')).filter((t) => t.toLowerCase() !== 'pref');
      const rest = withoutParams(p, 'TYPE', 'PREF');
      const typeParam: VParam[] = [];
      if (pref && !w.v4) types.push('PREF');
      if (types.length) typeParam.push({ name: 'TYPE', values: types });
      setProperty(p, p.rawValue, [...rest, ...typeParam, ...(pref && w.v4 ? [{ name: 'PREF', values: ['1'] }] : [])]);
    }
  }

  for (const key of IM_KEYS) {
    if (!changed((x) => x.imAddresses[key])) continue;
    const value = c.imAddresses[key]?.trim();
    const [p] = w.bound(`IM:${key}`);
    if (!value) {
      if (p) w.remove(p);
      continue;
    }
    if (p && p.name === 'IMPP') {
      const scheme = IM_SCHEMES.exec(p.rawValue)?.[0] ?? (value.includes('@') ? 'xmpp:' : 'im:');
      setProperty(p, IM_SCHEMES.test(value) ? value : scheme + value);
    } else if (p) setProperty(p, w.esc(value));
    else w.add(newProperty('IMPP', IM_SCHEMES.test(value) ? value : (value.includes('@') ? 'xmpp:' : 'im:') + value));
  }

  // URLs are URIs, not TEXT: no escaping.
  const uri = (s: string) => s.replace(/[\r\n]+/g, '');
  if (changed((x) => x.businessHomePage)) w.text('URL:work', c.businessHomePage, (raw) => w.add(newProperty('URL', raw, [w.types('WORK')])), uri);
  if (changed((x) => x.personalHomePage)) w.text('URL:home', c.personalHomePage, (raw) => w.add(newProperty('URL', raw, [w.types('HOME')])), uri);

  if (changed((x) => x.birthday)) writeDate(w, 'BDAY', c.birthday, (raw, params) => w.add(newProperty('BDAY', raw, params)));
  if (changed((x) => x.anniversary)) {
    writeDate(w, 'ANNIVERSARY', c.anniversary, (raw, params) => {
      if (w.v4) w.add(newProperty('ANNIVERSARY', raw, params));
      else w.addLabelled('X-ABDATE', raw, 'Anniversary').params.push(...params);
    });
  }

  if (changed((x) => x.photo)) {
    const [p] = w.bound('PHOTO');
    if (!c.photo?.data.length) {
      if (p) w.remove(p);
    } else if (p) {
      const np = photoProperty(w, c.photo, p.group);
      setProperty(p, np.rawValue, np.params);
    } else w.add(photoProperty(w, c.photo));
  }

  if (changed((x) => x.gender)) {
    const [p] = w.bound('GENDER');
    if (!c.gender) {
      if (p) w.remove(p);
    } else if (p && p.name === 'X-WAB-GENDER') {
      setProperty(p, c.gender === 'F' ? '1' : c.gender === 'M' ? '2' : '0');
    } else if (p && p.name === 'X-GENDER') {
      setProperty(p, { M: 'Male', F: 'Female', O: 'Other', N: 'None', U: 'Unknown' }[c.gender]);
    } else if (p) setProperty(p, c.gender);
    else w.add(w.v4 ? newProperty('GENDER', c.gender) : newProperty('X-GENDER', { M: 'Male', F: 'Female', O: 'Other', N: 'None', U: 'Unknown' }[c.gender]));
  }
}

function writeCommonSlots(w: Writer, before: CardItem, item: CardItem): void {
  const changed = (get: (x: CardItem) => unknown) => canon(get(before)) !== canon(get(item));
  if (changed((x) => x.categories)) {
    const [first, ...rest] = w.bound('CATEGORIES');
    for (const p of rest) w.remove(p);
    const cats = [...new Set(item.categories.map((s) => s.trim()).filter(Boolean))];
    const raw = cats.map((x) => w.esc(x)).join(',');
    if (!cats.length) {
      if (first) w.remove(first);
    } else if (first) setProperty(first, raw);
    else w.add(newProperty('CATEGORIES', raw));
  }
  if (changed((x) => x.sensitivity)) {
    const v = item.sensitivity === 'Private' || item.sensitivity === 'Personal' ? 'PRIVATE' : item.sensitivity === 'Confidential' ? 'CONFIDENTIAL' : undefined;
    w.text('CLASS', v, (raw) => w.add(newProperty('CLASS', raw)));
  }
  if (changed((x) => displayNameOf(x))) w.text('FN', displayNameOf(item) || undefined, (raw) => w.add(newProperty('FN', raw)));
  if (item.uid && changed((x) => x.uid)) w.text('UID', item.uid, (raw) => w.add(newProperty('UID', raw)));
}

function writeGroupSlots(w: Writer, before: ContactGroup, g: ContactGroup): void {
  const changed = (get: (x: ContactGroup) => unknown) => canon(get(before)) !== canon(get(g));
  if (changed((x) => x.notes)) w.text('NOTE', g.notes, (raw) => w.add(newProperty('NOTE', raw)));
  const apple = w.bound('KIND')[0]?.name === 'X-ADDRESSBOOKSERVER-KIND' || (!w.bound('KIND').length && !w.v4);
  if (!w.bound('KIND').length) w.add(newProperty(apple ? 'X-ADDRESSBOOKSERVER-KIND' : 'KIND', 'group'));
  if (changed((x) => x.members)) {
    for (const p of w.bound('MEMBERS')) w.remove(p);
    for (const m of g.members) {
      const value = m.contactUid ? (/^[a-z][a-z0-9+.-]*:/i.test(m.contactUid) ? m.contactUid : `urn:uuid:${m.contactUid}`) : m.email ? `mailto:${m.email}` : undefined;
      if (!value) continue;
      const params: VParam[] = m.name ? [{ name: 'X-CN', values: [m.name] }] : [];
      w.add(newProperty(apple ? 'X-ADDRESSBOOKSERVER-MEMBER' : 'MEMBER', value, params));
    }
  }
  if (!w.v4 && changed((x) => x.displayName)) {
    // vCard 3 wants N; Apple writes a group's name there.
    const [n] = w.bound('N');
    const raw = `${escapeText(displayNameOf(g))};;;;`;
    if (n) setProperty(n, raw);
    else w.add(newProperty('N', raw));
  }
}

const CANONICAL_TEXT = new Set(['FN', 'NOTE', 'TITLE', 'ROLE']);

function revNow(now: Date, v4: boolean): string {
  const iso = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return v4 ? iso.replace(/[-:]/g, '') : iso;
}

/**
 * Writes a contact or group as a vCard. With `item.source`, the changes
 * between that vCard and the model are applied to it; without, a new card of
 * `opts.version` (default 3.0) is made. Always carries UID (a new one when
 * the item has none: read it back with readVCard), FN, REV, and N in vCard 3.
 */
export function writeVCard(item: CardItem, opts: WriteVCardOptions = {}): string {
  let doc: VCardDoc;
  let before: CardItem;
  let bind: Binding;
  if (item.source !== undefined) {
    const r = interpret(parseVCardDoc(item.source));
    doc = r.doc;
    bind = r.bind;
    before = r.item;
    if (before.kind !== item.kind) {
      // A contact turned into a group (or back): start from a fresh card of the same version.
      doc = emptyVCardDoc(doc.version);
      bind = new Map();
      before = item.kind === 'group' ? emptyGroup() : emptyContact();
    }
  } else {
    doc = emptyVCardDoc(opts.version ?? '3.0');
    doc.props.push(newProperty('PRODID', escapeText('-//ewsgate//vCard//EN')));
    bind = new Map();
    before = item.kind === 'group' ? emptyGroup() : emptyContact();
  }
  const w = new Writer(doc, bind);
  if (!item.uid && !w.bound('UID').length) w.add(newProperty('UID', escapeText(newUid())));
  writeCommonSlots(w, before, item);
  if (item.kind === 'contact') writeContactSlots(w, before as Contact, item);
  else writeGroupSlots(w, before as ContactGroup, item);

  // Single-value TEXT properties written with bare commas (common: "NOTE:a, b") are read by some
  // servers as lists and cut at the first comma (Radicale's vobject keeps "a"): write them escaped.
  for (const p of doc.props) {
    if (p.removed || p.block || !p.line || !CANONICAL_TEXT.has(p.name)) continue;
    const canonical = w.esc(textOf(p));
    if (canonical !== p.rawValue) setProperty(p, canonical);
  }
  for (const p of doc.props) {
    if (p.removed || !p.line || p.name !== 'PHOTO' || !/^data:[^,]*(?<!\\),/.test(p.rawValue)) continue;
    setProperty(p, p.rawValue.replace(/^(data:[^,]*?),/, '$1\\,'), p.params);
  }
  const present = (name: string) => doc.props.some((p) => !p.removed && !p.block && p.name === name);
  if (!present('FN')) w.add(newProperty('FN', w.esc(displayNameOf(item))));
  if (doc.version === '3.0' && !present('N')) {
    const raw = item.kind === 'group' ? `${escapeText(displayNameOf(item))};;;;` : [item.surname, item.givenName, item.middleName, item.title, item.suffix].map((s) => escapeText(s ?? '')).join(';');
    w.add(newProperty('N', raw));
  }
  const rev = revNow(opts.now ?? new Date(), doc.version === '4.0');
  const revProps = doc.props.filter((p) => !p.removed && p.name === 'REV');
  if (revProps[0]) setProperty(revProps[0], rev, []);
  else w.add(newProperty('REV', rev));
  return serializeVCardDoc(doc);
}

/** The vCard version a stored item is written in (2.1 is rewritten as 3.0). */
export function vCardVersionOf(text: string): '3.0' | '4.0' {
  return parseVCardDoc(text).version;
}
