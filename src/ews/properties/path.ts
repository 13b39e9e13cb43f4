// Property paths as clients name them: FieldURI, IndexedFieldURI and
// ExtendedFieldURI. An extended path keeps the attributes exactly as the request
// spelled them, because DavMail matches the echoed attribute text.
import { schemaViolation } from '../errors.js';
import { NS, attr, elementChildren, x, type Element, type Xml } from '../../soap/xml.js';

export type PropertyPath =
  | { kind: 'field'; uri: string }
  | { kind: 'indexed'; uri: string; index: string }
  | {
      kind: 'extended';
      /** The request's attributes in their original order and spelling. */
      attrs: [string, string][];
      tag?: number;
      propertySet?: string;
      propertyName?: string;
      propertyId?: number;
      type: string;
    };

const EXTENDED_ATTRS = ['DistinguishedPropertySetId', 'PropertySetId', 'PropertyTag', 'PropertyName', 'PropertyId', 'PropertyType'];

/** PropertyTag arrives as hex ("0x0e23", "0xe23") or decimal ("3619", evolution-ews). */
export function parsePropertyTag(s: string): number | undefined {
  const t = s.trim();
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t.slice(2), 16) : /^[0-9]+$/.test(t) ? parseInt(t, 10) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= 0xffff ? n : undefined;
}

export function parsePropertyPath(el: Element): PropertyPath {
  if (el.namespaceURI !== NS.types) throw schemaViolation(`Unexpected element ${el.localName} in a property path.`);
  switch (el.localName) {
    case 'FieldURI':
    case 'FieldURIOrConstant': {
      const uri = attr(el, 'FieldURI');
      if (!uri) throw schemaViolation('FieldURI without the FieldURI attribute.');
      return { kind: 'field', uri };
    }
    case 'IndexedFieldURI': {
      const uri = attr(el, 'FieldURI');
      const index = attr(el, 'FieldIndex');
      if (!uri || !index) throw schemaViolation('IndexedFieldURI needs FieldURI and FieldIndex.');
      return { kind: 'indexed', uri, index };
    }
    case 'ExtendedFieldURI': {
      const attrs: [string, string][] = [];
      for (let i = 0; i < el.attributes.length; i++) {
        const a = el.attributes.item(i)!;
        if (EXTENDED_ATTRS.includes(a.localName ?? a.name)) attrs.push([a.localName ?? a.name, a.value]);
      }
      const get = (n: string) => attrs.find(([k]) => k === n)?.[1];
      const type = get('PropertyType');
      if (!type) throw schemaViolation('ExtendedFieldURI needs a PropertyType.');
      const tagText = get('PropertyTag');
      const tag = tagText === undefined ? undefined : parsePropertyTag(tagText);
      if (tagText !== undefined && tag === undefined) throw schemaViolation(`PropertyTag "${tagText}" is not a property tag.`);
      const idText = get('PropertyId');
      return {
        kind: 'extended',
        attrs,
        tag,
        propertySet: get('DistinguishedPropertySetId') ?? get('PropertySetId')?.toLowerCase(),
        propertyName: get('PropertyName'),
        propertyId: idText === undefined ? undefined : Number(idText),
        type,
      };
    }
    default:
      throw schemaViolation(`Unexpected element ${el.localName} in a property path.`);
  }
}

/** The property paths under an element such as AdditionalProperties. */
export function parsePropertyPaths(container: Element | undefined): PropertyPath[] {
  return container ? elementChildren(container).map(parsePropertyPath) : [];
}

export function renderExtendedFieldUri(p: Extract<PropertyPath, { kind: 'extended' }>): Xml {
  return x('t:ExtendedFieldURI', Object.fromEntries(p.attrs));
}

export function renderExtendedProperty(p: Extract<PropertyPath, { kind: 'extended' }>, value: string | string[]): Xml {
  return x(
    't:ExtendedProperty',
    null,
    renderExtendedFieldUri(p),
    Array.isArray(value) ? x('t:Values', null, value.map((v) => x('t:Value', null, v))) : x('t:Value', null, value),
  );
}
