// ItemShape as requests carry it.
import { NS, child, textOf, type Element, xsBool } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { parsePropertyPaths, type PropertyPath } from '../properties/path.js';
import type { BaseShape } from '../folders/render.js';

export type BodyType = 'Best' | 'HTML' | 'Text';

export interface ItemShape {
  base: BaseShape;
  includeMimeContent: boolean;
  bodyType: BodyType;
  additional: PropertyPath[];
}

/** Property URI prefixes of the EWS schema; a FieldURI outside them names nothing any item has. */
const KNOWN_PREFIXES = new Set(['folder', 'item', 'message', 'meeting', 'meetingRequest', 'calendar', 'task', 'contacts', 'distributionlist', 'postitem', 'conversation', 'persona']);

function checkKnown(paths: PropertyPath[]): void {
  for (const p of paths) {
    if (p.kind === 'extended') continue;
    const prefix = p.uri.split(':')[0];
    if (!KNOWN_PREFIXES.has(prefix)) throw new EwsError('ErrorInvalidPropertyRequest', `"${p.uri}" is not a property of any item.`);
  }
}

export function parseItemShape(el: Element | undefined): ItemShape {
  const base = textOf(child(el, NS.types, 'BaseShape'))?.trim();
  if (!el || !base) throw schemaViolation('ItemShape with a BaseShape is required.');
  if (base !== 'IdOnly' && base !== 'Default' && base !== 'AllProperties') throw schemaViolation(`BaseShape "${base}" is not valid.`);
  const bodyType = textOf(child(el, NS.types, 'BodyType'))?.trim() || 'Best';
  if (bodyType !== 'Best' && bodyType !== 'HTML' && bodyType !== 'Text') throw schemaViolation(`BodyType "${bodyType}" is not valid.`);
  const additional = parsePropertyPaths(child(el, NS.types, 'AdditionalProperties'));
  checkKnown(additional);
  // exchangelib and the EWS Managed API ask for MIME as a property rather than with IncludeMimeContent.
  const mimeAsProperty = additional.some((p) => p.kind === 'field' && p.uri === 'item:MimeContent');
  return {
    base,
    includeMimeContent: mimeAsProperty || xsBool(textOf(child(el, NS.types, 'IncludeMimeContent'))) === true,
    bodyType,
    additional,
  };
}
