// ItemShape as requests carry it.
import { NS, child, textOf, type Element } from '../../soap/xml.js';
import { schemaViolation } from '../errors.js';
import { parsePropertyPaths, type PropertyPath } from '../properties/path.js';
import type { BaseShape } from '../folders/render.js';

export type BodyType = 'Best' | 'HTML' | 'Text';

export interface ItemShape {
  base: BaseShape;
  includeMimeContent: boolean;
  bodyType: BodyType;
  additional: PropertyPath[];
}

export function parseItemShape(el: Element | undefined): ItemShape {
  const base = textOf(child(el, NS.types, 'BaseShape'))?.trim();
  if (!el || !base) throw schemaViolation('ItemShape with a BaseShape is required.');
  if (base !== 'IdOnly' && base !== 'Default' && base !== 'AllProperties') throw schemaViolation(`BaseShape "${base}" is not valid.`);
  const bodyType = textOf(child(el, NS.types, 'BodyType'))?.trim() || 'Best';
  if (bodyType !== 'Best' && bodyType !== 'HTML' && bodyType !== 'Text') throw schemaViolation(`BodyType "${bodyType}" is not valid.`);
  return {
    base,
    includeMimeContent: textOf(child(el, NS.types, 'IncludeMimeContent'))?.trim() === 'true',
    bodyType,
    additional: parsePropertyPaths(child(el, NS.types, 'AdditionalProperties')),
  };
}
