// Contacts and distribution lists from requests: a t:Contact / t:DistributionList
// of CreateItem into the model, and UpdateItem's SetItemField /
// AppendToItemField / DeleteItemField (FieldURI, IndexedFieldURI and
// ExtendedFieldURI) applied to a model read from the stored vCard. Bad input
// throws what Exchange answers: SoapFault ErrorSchemaValidation for what the
// schema refuses (unknown elements, bad enumerations and dates, unknown Entry
// keys), EwsError with ErrorInvalidPropertySet / -Append / -Delete / -Request,
// ErrorIncorrectUpdatePropertyCount, ErrorInvalidExtendedPropertyValue,
// ErrorContentConversionFailed and ErrorAttachmentSizeLimitExceeded otherwise.
import { NS, child, children, elementChildren, textOf, type Element } from '../../soap/xml.js';
import { emptyContact, emptyGroup, readVCard, VCardParseError, type CardItem, type Contact, type ContactGroup } from '../../convert/vcard-contact.js';
import { EwsError, schemaViolation } from '../errors.js';
import { parsePropertyPath, type PropertyPath } from '../properties/path.js';
import { setExtendedContactProperty } from './extended.js';
import { ITEM_TYPE_ELEMENTS, checkIndex, fieldByElement, fieldByUri, indexedTarget, memberKey, mergeEntries, setAddressPart } from './properties.js';

/** Contact pictures larger than this are refused (they travel inside every read of the vCard). */
export const MAX_CONTACT_PHOTO_BYTES = 2 * 1024 * 1024;

export interface ParsedContactItem {
  item: CardItem;
  /**
   * The resource name the client asked for (PidTagUrlCompName, 0x10F3: DavMail
   * names every contact it creates after its CardDAV resource and finds it by
   * that name again). The caller can use it as the object's name.
   */
  resourceName?: string;
}

const PATH_NAMES = ['FieldURI', 'IndexedFieldURI', 'ExtendedFieldURI'];

function extendedValues(ep: Element): string[] {
  const values = child(ep, NS.types, 'Values');
  if (values) return children(values, NS.types, 'Value').map((v) => v.textContent ?? '');
  const one = child(ep, NS.types, 'Value');
  return one ? [one.textContent ?? ''] : [];
}

function readInto(item: CardItem, el: Element): string | undefined {
  let resourceName: string | undefined;
  for (const c of elementChildren(el)) {
    if (c.namespaceURI !== NS.types) throw schemaViolation(`Unexpected element ${c.localName} in ${el.localName}.`);
    const name = c.localName ?? '';
    if (name === 'MimeContent' || name === 'ItemId') continue;
    if (name === 'ExtendedProperty') {
      const uriEl = child(c, NS.types, 'ExtendedFieldURI');
      if (!uriEl) throw schemaViolation('ExtendedProperty needs an ExtendedFieldURI.');
      const path = parsePropertyPath(uriEl) as Extract<PropertyPath, { kind: 'extended' }>;
      const values = extendedValues(c);
      if (path.tag === 0x10f3 && !path.propertySet) resourceName = values[0]?.trim() || undefined;
      else setExtendedContactProperty(item, path, values);
      continue;
    }
    const field = fieldByElement(item.kind, name);
    if (field?.set) field.set(item, c);
    else if (!field && !ITEM_TYPE_ELEMENTS.has(name)) throw schemaViolation(`Unexpected element ${name} in ${el.localName}.`);
    // Read-only and computed elements (ItemClass, CompleteName, HasPicture, ...) are ignored on creation.
  }
  return resourceName;
}

/** A MimeContent vCard to start from, when the request carries one. */
function fromMime(el: Element, kind: CardItem['kind']): CardItem | undefined {
  const mime = child(el, NS.types, 'MimeContent');
  if (!mime) return undefined;
  const text = (mime.textContent ?? '').replace(/\s+/g, '');
  let item: CardItem;
  try {
    item = readVCard(Buffer.from(text, 'base64'));
  } catch (e) {
    if (e instanceof VCardParseError) throw new EwsError('ErrorContentConversionFailed', `The MimeContent is not a vCard: ${e.message}`);
    throw e;
  }
  if (item.kind !== kind) throw new EwsError('ErrorContentConversionFailed', `The MimeContent holds a ${item.kind === 'group' ? 'group' : 'contact'}, not a ${kind === 'group' ? 'distribution list' : 'contact'}.`);
  delete item.source;
  delete item.warnings;
  return item;
}

/** A t:Contact of CreateItem (elements in any order; DavMail sends ExtendedProperty first). */
export function parseContactElement(el: Element): Contact {
  return parseContactItemElement(el).item as Contact;
}

/** A t:DistributionList of CreateItem; members given by ItemId keep it in `itemId` for the caller to resolve. */
export function parseDistributionListElement(el: Element): ContactGroup {
  return parseContactItemElement(el).item as ContactGroup;
}

/** A t:Contact or t:DistributionList, with the resource name the client asked for, if any. */
export function parseContactItemElement(el: Element): ParsedContactItem {
  const kind = el.localName === 'DistributionList' ? 'group' : el.localName === 'Contact' ? 'contact' : undefined;
  if (!kind || el.namespaceURI !== NS.types) throw schemaViolation(`${el.localName} is not a contact or distribution list.`);
  const item: CardItem = fromMime(el, kind) ?? (kind === 'group' ? emptyGroup() : emptyContact());
  const resourceName = readInto(item, el);
  if (!item.displayName?.trim()) {
    // Exchange makes the display name from the name parts; a bare Subject is the last resort.
    const subject = textOf(child(el, NS.types, 'Subject'))?.trim();
    if (item.kind === 'contact' && !item.givenName && !item.surname && !item.companyName && subject) item.displayName = subject;
    if (item.kind === 'group' && subject) item.displayName = subject;
  }
  if (item.kind === 'group' && !item.displayName?.trim()) throw new EwsError('ErrorInvalidPropertySet', 'A distribution list needs a DisplayName.');
  return resourceName ? { item, resourceName } : { item };
}

function propertyName(path: PropertyPath): string {
  return path.kind === 'extended' ? 'the extended property' : path.kind === 'indexed' ? `${path.uri}[${path.index}]` : path.uri;
}

/** The one property element a Set/Append carries in its item element. */
function singleProperty(valueEl: Element, path: PropertyPath): Element {
  const props = elementChildren(valueEl).filter((c) => c.localName !== 'ItemId');
  if (props.length !== 1) {
    throw new EwsError('ErrorIncorrectUpdatePropertyCount', 'An object within a change description must contain one and only one property to modify.');
  }
  const [p] = props;
  if (p!.namespaceURI !== NS.types) throw schemaViolation(`Unexpected element ${p!.localName} in an item change.`);
  void path;
  return p!;
}

const DICT_ELEMENT = { email: 'EmailAddresses', phone: 'PhoneNumbers', im: 'ImAddresses', address: 'PhysicalAddresses', member: 'Members' } as const;

/** Applies one SetItemField / AppendToItemField / DeleteItemField to the item. */
export function applyContactUpdate(item: CardItem, update: Element): void {
  const kind = update.localName ?? '';
  if (update.namespaceURI !== NS.types || !['SetItemField', 'AppendToItemField', 'DeleteItemField'].includes(kind)) {
    throw schemaViolation(`Unexpected element ${update.localName} in Updates.`);
  }
  const pathEl = elementChildren(update).find((c) => PATH_NAMES.includes(c.localName ?? ''));
  if (!pathEl) throw schemaViolation(`${kind} needs a property path.`);
  const path = parsePropertyPath(pathEl);
  const valueEl = elementChildren(update).find((c) => c !== pathEl);
  if (kind !== 'DeleteItemField' && !valueEl) throw schemaViolation(`${kind} needs an item element with the new value.`);

  if (path.kind === 'extended') {
    if (kind === 'AppendToItemField') throw new EwsError('ErrorInvalidPropertyAppend', 'Extended properties cannot be appended to.');
    if (kind === 'DeleteItemField') return setExtendedContactProperty(item, path, undefined);
    const ep = singleProperty(valueEl!, path);
    if (ep.localName !== 'ExtendedProperty') throw new EwsError('ErrorInvalidPropertySet', 'SetItemField on an extended property needs an ExtendedProperty.');
    if (path.tag === 0x10f3 && !path.propertySet) return; // the resource name is the store's, not the card's
    return setExtendedContactProperty(item, path, extendedValues(ep));
  }

  if (path.kind === 'indexed') {
    const t = indexedTarget(path);
    if (!t || (t.dict === 'member') !== (item.kind === 'group')) {
      throw new EwsError('ErrorInvalidPropertyRequest', `${path.uri} is not a property of a ${item.kind === 'group' ? 'distribution list' : 'contact'}.`);
    }
    checkIndex(t.dict, path.index);
    if (kind === 'AppendToItemField') throw new EwsError('ErrorInvalidPropertyAppend', `${propertyName(path)} cannot be appended to.`);
    if (item.kind === 'group') {
      if (kind === 'SetItemField') throw new EwsError('ErrorInvalidPropertySet', 'A distribution list member cannot be set in place: delete it and append the new one.');
      const before = item.members.length;
      item.members = item.members.filter((m) => memberKey(m) !== path.index);
      if (item.members.length === before) throw new EwsError('ErrorInvalidPropertyDelete', `No member has the key ${path.index}.`);
      return;
    }
    const c = item;
    const dict = t.dict as 'email' | 'phone' | 'im' | 'address';
    if (kind === 'DeleteItemField') {
      if (dict === 'email') delete c.emails[path.index as 'EmailAddress1'];
      else if (dict === 'phone') delete c.phones[path.index as 'MobilePhone'];
      else if (dict === 'im') delete c.imAddresses[path.index as 'ImAddress1'];
      else setAddressPart(c, path.index as 'Home', t.part!, undefined);
      return;
    }
    const dictEl = singleProperty(valueEl!, path);
    if (dictEl.localName !== DICT_ELEMENT[dict]) throw new EwsError('ErrorInvalidPropertySet', `SetItemField on ${path.uri} needs ${DICT_ELEMENT[dict]}, not ${dictEl.localName}.`);
    const entries = children(dictEl, NS.types, 'Entry');
    if (!entries.length) {
      // An empty dictionary (DavMail's way of clearing an entry): the entry goes.
      if (dict === 'email') delete c.emails[path.index as 'EmailAddress1'];
      else if (dict === 'phone') delete c.phones[path.index as 'MobilePhone'];
      else if (dict === 'im') delete c.imAddresses[path.index as 'ImAddress1'];
      else setAddressPart(c, path.index as 'Home', t.part!, undefined);
      return;
    }
    if (!entries.some((e) => e.getAttribute('Key') === path.index)) {
      throw new EwsError('ErrorInvalidPropertySet', `The Entry Key does not match FieldIndex "${path.index}".`);
    }
    mergeEntries(c, dict, dictEl, { key: path.index, part: t.part });
    return;
  }

  const def = fieldByUri(item.kind, path.uri);
  if (!def) throw new EwsError('ErrorInvalidPropertyRequest', `${path.uri} is not a property of a ${item.kind === 'group' ? 'distribution list' : 'contact'}.`);
  if (kind === 'DeleteItemField') {
    if (!def.clear) throw new EwsError('ErrorInvalidPropertyDelete', `${path.uri} cannot be deleted.`);
    def.clear(item);
    return;
  }
  const prop = singleProperty(valueEl!, path);
  if (prop.localName !== def.element) throw new EwsError('ErrorInvalidPropertySet', `SetItemField on ${path.uri} needs ${def.element}, not ${prop.localName}.`);
  if (kind === 'AppendToItemField') {
    if (!def.append) throw new EwsError('ErrorInvalidPropertyAppend', `${path.uri} cannot be appended to.`);
    def.append(item, prop);
    return;
  }
  if (!def.set) throw new EwsError('ErrorInvalidPropertySet', `${path.uri} is read-only.`);
  def.set(item, prop);
}

/** Applies UpdateItem's Updates in order; the first bad one throws and nothing is half-applied to the caller's object. */
export function applyContactUpdates<T extends CardItem>(item: T, updates: Element[]): T {
  const copy = structuredClone(item) as T;
  if (item.kind === 'contact' && item.photo) (copy as Contact).photo = { data: Buffer.from(item.photo.data), contentType: item.photo.contentType };
  for (const u of updates) applyContactUpdate(copy, u);
  Object.assign(item, copy);
  for (const k of Object.keys(item) as (keyof T)[]) if (!(k in copy)) delete item[k];
  return item;
}

/** Sets the contact picture (CreateAttachment with IsContactPhoto, or a file attachment named ContactPicture.jpg). */
export function setContactPhoto(c: Contact, data: Buffer, contentType = 'image/jpeg'): void {
  if (data.length > MAX_CONTACT_PHOTO_BYTES) {
    throw new EwsError('ErrorAttachmentSizeLimitExceeded', `The contact picture is ${data.length} bytes; at most ${MAX_CONTACT_PHOTO_BYTES} are accepted.`);
  }
  if (!data.length) delete c.photo;
  else c.photo = { data, contentType };
}
