// Extended (MAPI) properties of contacts, as DavMail and Outlook name them:
// PidTag properties by tag (the 0x3A.. contact range), and named properties of
// the Address, Common and PublicStrings sets (MS-OXPROPS). One entry per
// property reads it from the model and, where it has a home in the vCard,
// writes it (DavMail creates and updates contacts entirely through these).
import { createHash } from 'node:crypto';
import { displayNameOf, fileAsOf, type AddressKey, type CardItem, type Contact, type EmailKey, type PhoneKey, type Sensitivity } from '../../convert/vcard-contact.js';
import { EwsError } from '../errors.js';
import type { PropertyPath } from '../properties/path.js';
import { cardDateOf, ewsDate, isoDateTime, itemClassOf, setAddressPart, streetOf, type AddressPart, type ContactItemMeta } from './properties.js';

type Extended = Extract<PropertyPath, { kind: 'extended' }>;
type Value = string | string[] | undefined;

interface ExtendedDef {
  get(item: CardItem, meta: ContactItemMeta): Value;
  /** Writes the value (undefined: delete). Absent: the property is computed or unknown to vCard, and a write is ignored. */
  set?(c: Contact, values: string[] | undefined): void;
  /** Only for contacts (not distribution lists). */
  contactOnly?: boolean;
}

const GUIDS: Record<string, string> = {
  '00062004-0000-0000-c000-000000000046': 'address',
  '00062008-0000-0000-c000-000000000046': 'common',
  '00020329-0000-0000-c000-000000000046': 'publicstrings',
  '00020386-0000-0000-c000-000000000046': 'internetheaders',
};

function setName(p: Extended): string | undefined {
  const s = p.propertySet?.toLowerCase().replace(/[{}]/g, '');
  return s ? (GUIDS[s] ?? s) : undefined;
}

const one = (v: string[] | undefined) => v?.[0]?.trim() || undefined;

function text(get: (c: Contact) => string | undefined, put?: (c: Contact, v: string | undefined) => void): ExtendedDef {
  return {
    get: (i) => (i.kind === 'contact' ? get(i) : undefined),
    set: put ? (c, v) => put(c, one(v)) : undefined,
    contactOnly: true,
  };
}

function field<K extends keyof Contact>(k: K): ExtendedDef {
  return text(
    (c) => c[k] as string | undefined,
    (c, v) => {
      if (v === undefined) delete c[k];
      else (c as unknown as Record<string, unknown>)[k] = v;
    },
  );
}

function phone(k: PhoneKey): ExtendedDef {
  return text(
    (c) => c.phones[k],
    (c, v) => {
      if (v) c.phones[k] = v;
      else delete c.phones[k];
    },
  );
}

function address(k: AddressKey, part: AddressPart | 'PoBox'): ExtendedDef {
  return text(
    (c) => {
      const a = c.addresses[k];
      if (!a) return undefined;
      if (part === 'PoBox') return a.poBox;
      return part === 'Street' ? streetOf(a) : a[{ City: 'city', State: 'state', CountryOrRegion: 'countryOrRegion', PostalCode: 'postalCode' }[part] as 'city'];
    },
    (c, v) => {
      if (part === 'PoBox') {
        const a = { ...(c.addresses[k] ?? {}) };
        if (v) a.poBox = v;
        else delete a.poBox;
        if (Object.keys(a).length) c.addresses[k] = a;
        else delete c.addresses[k];
      } else setAddressPart(c, k, part, v);
    },
  );
}

/** The mailing address: the PostalAddressIndex one, else the business one (PidTagStreetAddress & co). */
function mailing(part: AddressPart | 'PoBox'): ExtendedDef {
  return {
    get: (i, m) => (i.kind === 'contact' ? address(i.postalAddressIndex ?? 'Business', part).get(i, m) : undefined),
    contactOnly: true,
  };
}

function fullAddress(k: AddressKey): ExtendedDef {
  return text((c) => {
    const a = c.addresses[k];
    if (!a) return undefined;
    const cityLine = [a.postalCode, a.city].filter(Boolean).join(' ') + (a.state ? `, ${a.state}` : '');
    return [a.poBox, streetOf(a), cityLine.trim(), a.countryOrRegion].filter(Boolean).join('\n') || undefined;
  });
}

function email(k: EmailKey, what: 'address' | 'display' | 'type'): ExtendedDef {
  return text(
    (c) => {
      const e = c.emails[k];
      if (!e?.address) return undefined;
      if (what === 'type') return 'SMTP';
      if (what === 'display') return e.name ? `${e.name} (${e.address})` : `${displayNameOf(c)} (${e.address})`;
      return e.address;
    },
    what === 'type'
      ? undefined
      : (c, v) => {
          if (what === 'display') {
            const e = c.emails[k];
            const name = v?.replace(/\s*\([^()]*\)\s*$/, '').trim();
            if (e) c.emails[k] = name ? { ...e, name } : { address: e.address };
            return;
          }
          if (v) c.emails[k] = { ...(c.emails[k] ?? {}), address: v.replace(/^smtp:/i, '') };
          else delete c.emails[k];
        },
  );
}

function date(get: (c: Contact) => string | undefined, put: (c: Contact, v: string | undefined) => void, what: string): ExtendedDef {
  return {
    get: (i) => (i.kind === 'contact' ? ewsDate(get(i)) : undefined),
    set: (c, v) => {
      const s = one(v);
      if (!s) return put(c, undefined);
      try {
        put(c, cardDateOf(s, what));
      } catch {
        throw new EwsError('ErrorInvalidExtendedPropertyValue', `${what}: "${s}" is not a SystemTime value.`);
      }
    },
    contactOnly: true,
  };
}

const SENSITIVITY_CODES: Sensitivity[] = ['Normal', 'Personal', 'Private', 'Confidential'];

function int(v: string[] | undefined, what: string): number | undefined {
  const s = one(v);
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s)) throw new EwsError('ErrorInvalidExtendedPropertyValue', `${what}: "${s}" is not an integer.`);
  return Number(s);
}

function bool(v: string[] | undefined, what: string): boolean | undefined {
  const s = one(v)?.toLowerCase();
  if (s === undefined) return undefined;
  if (s !== 'true' && s !== 'false' && s !== '1' && s !== '0') throw new EwsError('ErrorInvalidExtendedPropertyValue', `${what}: "${s}" is not a Boolean.`);
  return s === 'true' || s === '1';
}

const ADDRESS_INDEX: (AddressKey | undefined)[] = [undefined, 'Home', 'Business', 'Other'];

/**
 * PidTagUrlCompName: the object's file name. DavMail creates a contact with
 * the name "<x>.EML" and later finds it by exactly that name; a store that had
 * to add ".vcf" to it ("<x>.EML.vcf") still answers "<x>.EML".
 */
function urlCompName(href: string | undefined): string | undefined {
  if (!href) return undefined;
  const seg = href.replace(/\/+$/, '').split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(seg);
  } catch {
    name = seg;
  }
  return name.replace(/(\.eml)\.vcf$/i, '$1') || undefined;
}

/**
 * PidTagInternetArticleNumber: DavMail pages every FindItem by it and drops items
 * without a positive one (EwsExchangeSession.searchItems), contacts included. A
 * stable 31-bit number from the href, as calendar items get (calendar/extended.ts).
 */
function internetArticleNumber(href: string | undefined): string | undefined {
  if (!href) return undefined;
  return String((createHash('sha1').update(href).digest().readUInt32BE(0) % 0x7ffffffe) + 1);
}

const TAGS = new Map<number, ExtendedDef>([
  [0x001a, { get: (i) => itemClassOf(i) }], // PidTagMessageClass
  [0x0037, { get: (i) => displayNameOf(i) }], // PidTagSubject
  [0x3001, { get: (i) => displayNameOf(i), set: (c, v) => (one(v) ? (c.displayName = one(v)) : delete c.displayName) }], // PidTagDisplayName
  [
    0x0036, // PidTagSensitivity
    {
      get: (i) => String(SENSITIVITY_CODES.indexOf(i.sensitivity ?? 'Normal')),
      set: (c, v) => {
        const n = int(v, 'PidTagSensitivity') ?? 0;
        const s = SENSITIVITY_CODES[n];
        if (!s) throw new EwsError('ErrorInvalidExtendedPropertyValue', `PidTagSensitivity ${n} is not 0-3.`);
        if (s === 'Normal') delete c.sensitivity;
        else c.sensitivity = s;
      },
    },
  ],
  [0x1000, { get: (i) => i.notes, set: (c, v) => (v?.join('\n').trim() ? (c.notes = v.join('\n').trim()) : delete c.notes) }], // PidTagBody
  [0x0e08, { get: (i, m) => String(m.size ?? (i.source ? Buffer.byteLength(i.source, 'utf8') : 0)) }], // PidTagMessageSize
  [0x0e06, { get: (_i, m) => isoDateTime(m.lastModified) }], // PidTagMessageDeliveryTime
  [0x3007, { get: (_i, m) => isoDateTime(m.lastModified) }], // PidTagCreationTime
  [0x3008, { get: (_i, m) => isoDateTime(m.lastModified) }], // PidTagLastModificationTime (DavMail's contact etag)
  [0x10f3, { get: (_i, m) => urlCompName(m.href) }], // PidTagUrlCompName
  [0x0e23, { get: (_i, m) => internetArticleNumber(m.href) }], // PidTagInternetArticleNumber
  [0x3a06, field('givenName')],
  [0x3a11, field('surname')],
  [0x3a44, field('middleName')],
  [0x3a45, field('title')], // PidTagDisplayNamePrefix
  [0x3a05, field('suffix')], // PidTagGeneration
  [0x3a4f, field('nickname')],
  [0x3a0a, field('initials')],
  [0x3a16, field('companyName')],
  [0x3a18, field('department')],
  [0x3a17, field('jobTitle')],
  [0x3a46, field('profession')],
  [0x3a19, field('officeLocation')],
  [0x3a4e, field('manager')], // PidTagManagerName
  [0x3a30, field('assistantName')], // PidTagAssistant
  [0x3a48, field('spouseName')],
  [0x3a51, field('businessHomePage')],
  [0x3a50, field('personalHomePage')],
  [
    0x3a58, // PidTagChildrensNames (multi-valued)
    { get: (i) => (i.kind === 'contact' && i.children.length ? i.children : undefined), set: (c, v) => (c.children = (v ?? []).map((s) => s.trim()).filter(Boolean)), contactOnly: true },
  ],
  [0x3a42, date((c) => c.birthday, (c, v) => (v ? (c.birthday = v) : delete c.birthday), 'PidTagBirthday')],
  [0x3a41, date((c) => c.anniversary, (c, v) => (v ? (c.anniversary = v) : delete c.anniversary), 'PidTagWeddingAnniversary')],
  [
    0x3a4d, // PidTagGender: 0 unspecified, 1 female, 2 male
    {
      get: (i) => (i.kind === 'contact' ? (i.gender === 'F' ? '1' : i.gender === 'M' ? '2' : '0') : undefined),
      set: (c, v) => {
        const n = int(v, 'PidTagGender');
        if (n === 1) c.gender = 'F';
        else if (n === 2) c.gender = 'M';
        else delete c.gender;
      },
      contactOnly: true,
    },
  ],
  // Phones (PidTag...TelephoneNumber / ...FaxNumber)
  [0x3a08, phone('BusinessPhone')],
  [0x3a1b, phone('BusinessPhone2')],
  [0x3a09, phone('HomePhone')],
  [0x3a2f, phone('HomePhone2')],
  [0x3a1c, phone('MobilePhone')],
  [0x3a21, phone('Pager')],
  [0x3a24, phone('BusinessFax')],
  [0x3a25, phone('HomeFax')],
  [0x3a23, phone('OtherFax')], // PidTagPrimaryFaxNumber
  [0x3a1e, phone('CarPhone')],
  [0x3a1f, phone('OtherTelephone')],
  [0x3a2d, phone('Isdn')],
  [0x3a1a, phone('PrimaryPhone')],
  [0x3a2e, phone('AssistantPhone')],
  [0x3a02, phone('Callback')],
  [0x3a57, phone('CompanyMainPhone')],
  [0x3a1d, phone('RadioPhone')],
  [0x3a2c, phone('Telex')],
  [0x3a4b, phone('TtyTddPhone')],
  // Home and other addresses (PidTagHome... / PidTagOther...)
  [0x3a5d, address('Home', 'Street')],
  [0x3a59, address('Home', 'City')],
  [0x3a5c, address('Home', 'State')],
  [0x3a5b, address('Home', 'PostalCode')],
  [0x3a5a, address('Home', 'CountryOrRegion')],
  [0x3a5e, address('Home', 'PoBox')],
  [0x3a63, address('Other', 'Street')],
  [0x3a5f, address('Other', 'City')],
  [0x3a62, address('Other', 'State')],
  [0x3a61, address('Other', 'PostalCode')],
  [0x3a60, address('Other', 'CountryOrRegion')],
  [0x3a64, address('Other', 'PoBox')],
  // The mailing address (PidTagStreetAddress, PidTagLocality, ...)
  [0x3a29, mailing('Street')],
  [0x3a27, mailing('City')],
  [0x3a28, mailing('State')],
  [0x3a2a, mailing('PostalCode')],
  [0x3a26, mailing('CountryOrRegion')],
  [0x3a2b, mailing('PoBox')],
]);

/** Named properties: "<set>:<id>" (Address, Common) or "<set>:<name>" (PublicStrings). */
const NAMED = new Map<string, ExtendedDef>([
  ['address:32837', address('Business', 'Street')], // 0x8045 PidLidWorkAddressStreet
  ['address:32838', address('Business', 'City')], // 0x8046
  ['address:32839', address('Business', 'State')], // 0x8047
  ['address:32840', address('Business', 'PostalCode')], // 0x8048
  ['address:32841', address('Business', 'CountryOrRegion')], // 0x8049
  ['address:32842', address('Business', 'PoBox')], // 0x804A
  ['address:32794', fullAddress('Home')], // 0x801A PidLidHomeAddress
  ['address:32795', fullAddress('Business')], // 0x801B PidLidWorkAddress
  ['address:32796', fullAddress('Other')], // 0x801C PidLidOtherAddress
  [
    'address:32802', // 0x8022 PidLidPostalAddressId: 0 none, 1 home, 2 work, 3 other
    {
      get: (i) => (i.kind === 'contact' ? String(ADDRESS_INDEX.indexOf(i.postalAddressIndex)) : undefined),
      set: (c, v) => {
        const n = int(v, 'PidLidPostalAddressId') ?? 0;
        const k = ADDRESS_INDEX[n];
        if (n < 0 || n > 3) throw new EwsError('ErrorInvalidExtendedPropertyValue', `PidLidPostalAddressId ${n} is not 0-3.`);
        if (k) c.postalAddressIndex = k;
        else delete c.postalAddressIndex;
      },
      contactOnly: true,
    },
  ],
  ['address:32899', email('EmailAddress1', 'address')], // 0x8083 PidLidEmail1EmailAddress
  ['address:32900', email('EmailAddress1', 'address')], // 0x8084 PidLidEmail1OriginalDisplayName (DavMail's smtpemail1)
  ['address:32896', email('EmailAddress1', 'display')], // 0x8080 PidLidEmail1DisplayName
  ['address:32898', email('EmailAddress1', 'type')], // 0x8082 PidLidEmail1AddressType
  ['address:32915', email('EmailAddress2', 'address')], // 0x8093
  ['address:32916', email('EmailAddress2', 'address')], // 0x8094
  ['address:32912', email('EmailAddress2', 'display')], // 0x8090
  ['address:32914', email('EmailAddress2', 'type')], // 0x8092
  ['address:32931', email('EmailAddress3', 'address')], // 0x80A3
  ['address:32932', email('EmailAddress3', 'address')], // 0x80A4
  ['address:32928', email('EmailAddress3', 'display')], // 0x80A0
  ['address:32930', email('EmailAddress3', 'type')], // 0x80A2
  [
    'address:32866', // 0x8062 PidLidInstantMessagingAddress
    text(
      (c) => c.imAddresses.ImAddress1,
      (c, v) => (v ? (c.imAddresses.ImAddress1 = v) : delete c.imAddresses.ImAddress1),
    ),
  ],
  ['address:32789', { get: (i) => (i.kind === 'contact' ? (i.photo ? 'true' : 'false') : undefined), contactOnly: true }], // 0x8015 PidLidHasPicture
  ['address:32773', { get: (i) => fileAsOf(i) || undefined, set: (c, v) => (one(v) ? (c.fileAs = one(v)) : delete c.fileAs) }], // 0x8005 PidLidFileUnder
  [
    'common:34054', // 0x8506 PidLidPrivate
    {
      get: (i) => (i.sensitivity === 'Private' ? 'true' : 'false'),
      set: (c, v) => {
        if (bool(v, 'PidLidPrivate')) c.sensitivity = 'Private';
        else if (c.sensitivity === 'Private') delete c.sensitivity;
      },
    },
  ],
  ['publicstrings:urn:schemas:contacts:fileas', { get: (i) => fileAsOf(i) || undefined, set: (c, v) => (one(v) ? (c.fileAs = one(v)) : delete c.fileAs) }],
  ['publicstrings:Keywords', { get: (i) => (i.categories.length ? i.categories : undefined), set: (c, v) => (c.categories = [...new Set((v ?? []).map((s) => s.trim()).filter(Boolean))]) }],
]);

function defOf(p: Extended): ExtendedDef | undefined {
  if (p.tag !== undefined && !p.propertySet) return TAGS.get(p.tag);
  const set = setName(p);
  if (!set) return undefined;
  if (p.propertyId !== undefined && Number.isFinite(p.propertyId)) return NAMED.get(`${set}:${p.propertyId}`);
  if (p.propertyName !== undefined) return NAMED.get(`${set}:${p.propertyName}`) ?? NAMED.get(`${set}:${p.propertyName.toLowerCase()}`);
  return undefined;
}

/** An extended property's value for a contact or group; undefined when it has none (or the property is unknown). */
export function extendedContactProperty(item: CardItem, meta: ContactItemMeta, p: Extended): Value {
  const def = defOf(p);
  if (!def) return undefined;
  if (def.contactOnly && item.kind !== 'contact') return undefined;
  const v = def.get(item, meta);
  if (Array.isArray(v)) return v.length ? v : undefined;
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Writes an extended property (undefined: delete it). Properties with no home in
 * a vCard (computed ones, unknown tags) are accepted and dropped, as a store
 * that does not keep them would; bad values throw ErrorInvalidExtendedPropertyValue.
 */
export function setExtendedContactProperty(item: CardItem, p: Extended, values: string[] | undefined): void {
  const def = defOf(p);
  if (!def?.set) return;
  if (item.kind !== 'contact') {
    if (def.contactOnly) return;
    def.set(item as unknown as Contact, values);
    return;
  }
  def.set(item, values);
}
