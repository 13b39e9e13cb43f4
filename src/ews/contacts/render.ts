// t:Contact and t:DistributionList for an item shape, in schema order, and a
// property's value for restrictions and sorting. Pure: the caller gives the
// item (read whole from its vCard) and what the store knows about it.
import { versionAtLeast, type ExchangeVersion } from '../../soap/envelope.js';
import { x, type Xml, type XmlChild } from '../../soap/xml.js';
import { PHONE_KEYS, writeVCard, type CardItem, type Contact, type ContactGroup } from '../../convert/vcard-contact.js';
import { renderExtendedProperty, type PropertyPath } from '../properties/path.js';
import type { ItemShape } from '../items/shape.js';
import { extendedContactProperty } from './extended.js';
import {
  ADDRESS_PARTS,
  CONTACT_FIELDS,
  GROUP_FIELDS,
  ITEM_HEAD,
  ITEM_TAIL,
  addressPart,
  checkIndex,
  fieldByUri,
  indexedTarget,
  memberKey,
  renderMembers,
  type AddressPart,
  type ContactItemMeta,
  type ContactRenderContext,
  type FieldDef,
} from './properties.js';

export type { ContactItemMeta } from './properties.js';

export interface ContactRenderOptions {
  /** FindItem's Default shape leaves out Body and Attachments, as Exchange does. */
  forFind?: boolean;
}

const ITEM_DEFAULT = [
  'item:ParentFolderId', 'item:ItemClass', 'item:Subject', 'item:Sensitivity', 'item:DateTimeReceived', 'item:Size', 'item:Importance',
  'item:IsSubmitted', 'item:IsDraft', 'item:IsFromMe', 'item:IsResend', 'item:IsUnmodified', 'item:DateTimeSent', 'item:DateTimeCreated',
  'item:ReminderIsSet', 'item:DisplayCc', 'item:DisplayTo', 'item:HasAttachments', 'item:Culture', 'item:EffectiveRights',
  'item:LastModifiedTime', 'item:IsAssociated',
];
const CONTACT_DEFAULT = [
  ...ITEM_DEFAULT,
  'contacts:FileAs', 'contacts:DisplayName', 'contacts:GivenName', 'contacts:Initials', 'contacts:MiddleName', 'contacts:Nickname',
  'contacts:CompleteName', 'contacts:CompanyName', 'contacts:EmailAddresses', 'contacts:PhysicalAddresses', 'contacts:PhoneNumbers',
  'contacts:AssistantName', 'contacts:Birthday', 'contacts:BusinessHomePage', 'contacts:Children', 'contacts:Department',
  'contacts:Generation', 'contacts:ImAddresses', 'contacts:JobTitle', 'contacts:Manager', 'contacts:Mileage', 'contacts:OfficeLocation',
  'contacts:PostalAddressIndex', 'contacts:Profession', 'contacts:SpouseName', 'contacts:Surname', 'contacts:WeddingAnniversary',
  'contacts:HasPicture',
];
const GROUP_DEFAULT = [...ITEM_DEFAULT, 'contacts:DisplayName', 'contacts:FileAs', 'distributionlist:Members'];
const GET_EXTRA = ['item:Body', 'item:Attachments', 'item:Categories'];
const ALL_EXTRA = [...GET_EXTRA, 'contacts:PhoneticFullName', 'contacts:PhoneticFirstName', 'contacts:PhoneticLastName', 'contacts:ContactSource'];

/** The FieldURIs a shape asks for on this kind of item. */
export function requestedContactFields(kind: CardItem['kind'], shape: ItemShape, forFind = false): Set<string> {
  const base = kind === 'group' ? GROUP_DEFAULT : CONTACT_DEFAULT;
  const out = new Set<string>(shape.base === 'IdOnly' ? [] : shape.base === 'Default' ? (forFind ? base : [...base, ...GET_EXTRA]) : [...base, ...ALL_EXTRA]);
  for (const p of shape.additional) if (p.kind === 'field') out.add(p.uri);
  return out;
}

/** Dictionary entries asked for by IndexedFieldURI: dictionary element → keys (and address parts). */
function requestedIndexes(shape: ItemShape): Map<string, { keys: Set<string>; parts: Set<AddressPart> }> {
  const out = new Map<string, { keys: Set<string>; parts: Set<AddressPart> }>();
  for (const p of shape.additional) {
    if (p.kind !== 'indexed') continue;
    const t = indexedTarget(p);
    if (!t) continue;
    checkIndex(t.dict, p.index);
    const uri = { email: 'contacts:EmailAddresses', phone: 'contacts:PhoneNumbers', im: 'contacts:ImAddresses', address: 'contacts:PhysicalAddresses', member: 'distributionlist:Members' }[t.dict];
    const e = out.get(uri) ?? { keys: new Set<string>(), parts: new Set<AddressPart>() };
    e.keys.add(p.index);
    if (t.part) e.parts.add(t.part);
    out.set(uri, e);
  }
  return out;
}

function renderIndexed(item: CardItem, uri: string, req: { keys: Set<string>; parts: Set<AddressPart> }, rc: ContactRenderContext): XmlChild {
  if (item.kind === 'group') return uri === 'distributionlist:Members' ? renderMembers(item, rc, [...req.keys]) : undefined;
  const c = item;
  const keyOrder = (all: readonly string[]) => all.filter((k) => req.keys.has(k));
  switch (uri) {
    case 'contacts:EmailAddresses': {
      const list = keyOrder(['EmailAddress1', 'EmailAddress2', 'EmailAddress3']).filter((k) => c.emails[k as 'EmailAddress1']?.address);
      if (!list.length) return undefined;
      const named = versionAtLeast(rc.version, 'Exchange2010_SP2');
      return x(
        't:EmailAddresses',
        null,
        list.map((k) => {
          const e = c.emails[k as 'EmailAddress1']!;
          return x('t:Entry', { Key: k, ...(named && e.name ? { Name: e.name, RoutingType: 'SMTP', MailboxType: 'Mailbox' } : {}) }, e.address);
        }),
      );
    }
    case 'contacts:PhoneNumbers': {
      const list = PHONE_KEYS.filter((k) => req.keys.has(k) && c.phones[k]);
      return list.length ? x('t:PhoneNumbers', null, list.map((k) => x('t:Entry', { Key: k }, c.phones[k]!))) : undefined;
    }
    case 'contacts:ImAddresses': {
      const list = keyOrder(['ImAddress1', 'ImAddress2', 'ImAddress3']).filter((k) => c.imAddresses[k as 'ImAddress1']);
      return list.length ? x('t:ImAddresses', null, list.map((k) => x('t:Entry', { Key: k }, c.imAddresses[k as 'ImAddress1']!))) : undefined;
    }
    case 'contacts:PhysicalAddresses': {
      const parts = ADDRESS_PARTS.filter((p) => req.parts.has(p));
      const list = keyOrder(['Home', 'Business', 'Other']).flatMap((k) => {
        const a = c.addresses[k as 'Home'];
        const inner = parts.map((p) => {
          const v = addressPart(a, p);
          return v ? x(`t:${p}`, null, v) : undefined;
        });
        return inner.some(Boolean) ? [x('t:Entry', { Key: k }, inner)] : [];
      });
      return list.length ? x('t:PhysicalAddresses', null, list) : undefined;
    }
  }
  return undefined;
}

function renderItem(item: CardItem, own: FieldDef<CardItem>[], element: string, meta: ContactItemMeta, shape: ItemShape, version: ExchangeVersion, opts: ContactRenderOptions): Xml {
  const rc: ContactRenderContext = { meta, version, shape };
  const fields = requestedContactFields(item.kind, shape, opts.forFind);
  const indexes = requestedIndexes(shape);
  const extended = shape.additional.filter((p): p is Extract<PropertyPath, { kind: 'extended' }> => p.kind === 'extended');
  const parts: XmlChild[] = [];
  if (shape.includeMimeContent) {
    const vcard = item.source ?? writeVCard(item);
    parts.push(x('t:MimeContent', { CharacterSet: 'UTF-8' }, Buffer.from(vcard, 'utf8').toString('base64')));
  }
  parts.push(x('t:ItemId', { Id: meta.id, ChangeKey: meta.changeKey }));
  const emit = (f: FieldDef<CardItem>) => {
    if (f.since && !versionAtLeast(version, f.since)) return;
    if (fields.has(f.uri)) parts.push(f.render(item, rc));
    else {
      const idx = indexes.get(f.uri);
      if (idx) parts.push(renderIndexed(item, f.uri, idx, rc));
    }
  };
  for (const f of ITEM_HEAD) emit(f);
  for (const e of extended) {
    const v = extendedContactProperty(item, meta, e);
    if (v !== undefined) parts.push(renderExtendedProperty(e, v));
  }
  for (const f of ITEM_TAIL) emit(f);
  for (const f of own) emit(f);
  return x(element, null, parts);
}

/** A t:Contact for the shape (IdOnly / Default / AllProperties + AdditionalProperties). */
export function renderContact(c: Contact, meta: ContactItemMeta, shape: ItemShape, version: ExchangeVersion, opts: ContactRenderOptions = {}): Xml {
  return renderItem(c, CONTACT_FIELDS as unknown as FieldDef<CardItem>[], 't:Contact', meta, shape, version, opts);
}

/** A t:DistributionList for the shape (Members from Exchange 2010 on). */
export function renderDistributionList(g: ContactGroup, meta: ContactItemMeta, shape: ItemShape, version: ExchangeVersion, opts: ContactRenderOptions = {}): Xml {
  return renderItem(g, GROUP_FIELDS as unknown as FieldDef<CardItem>[], 't:DistributionList', meta, shape, version, opts);
}

/** Either, by the item's kind. */
export function renderContactItem(item: CardItem, meta: ContactItemMeta, shape: ItemShape, version: ExchangeVersion, opts: ContactRenderOptions = {}): Xml {
  return item.kind === 'group' ? renderDistributionList(item, meta, shape, version, opts) : renderContact(item, meta, shape, version, opts);
}

/**
 * A property's value as text, for restrictions (Contains, IsEqualTo...) and
 * sorting; undefined when the item has none. Indexed paths give one entry
 * (or one address part); extended ones are joined with spaces.
 */
export function contactPropertyValue(item: CardItem, path: PropertyPath, meta: ContactItemMeta): string | undefined {
  if (path.kind === 'extended') {
    const v = extendedContactProperty(item, meta, path);
    return Array.isArray(v) ? v.join(' ') : v;
  }
  if (path.kind === 'indexed') {
    const t = indexedTarget(path);
    if (!t) return undefined;
    if (item.kind === 'group') {
      if (t.dict !== 'member') return undefined;
      const m = item.members.find((mm) => memberKey(mm) === path.index);
      return m ? [m.name, m.email].filter(Boolean).join(' ') : undefined;
    }
    switch (t.dict) {
      case 'email':
        return item.emails[path.index as 'EmailAddress1']?.address;
      case 'phone':
        return item.phones[path.index as 'MobilePhone'];
      case 'im':
        return item.imAddresses[path.index as 'ImAddress1'];
      case 'address':
        return addressPart(item.addresses[path.index as 'Home'], t.part!);
      default:
        return undefined;
    }
  }
  if (path.uri === 'item:ItemId') return meta.id;
  return fieldByUri(item.kind, path.uri)?.value?.(item, meta);
}

/** Whether a FieldURI means something on contacts / distribution lists (others answer ErrorInvalidPropertyRequest). */
export function isKnownContactField(kind: CardItem['kind'], uri: string): boolean {
  return !!fieldByUri(kind, uri) || uri === 'item:ItemId' || uri === 'item:MimeContent';
}
