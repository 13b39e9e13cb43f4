// EWS Restrictions (MS-OXWSSRCH SearchExpression), parsed once into a tree and
// evaluated against any property getter. Backends that can search themselves
// (IMAP SEARCH) translate the same tree; this evaluator is the plain, correct
// default for what lives in memory (folders, virtual items).
import { NS, attr, child, elementChildren, xsBool, type Element } from '../soap/xml.js';
import { schemaViolation } from './errors.js';
import { parsePropertyPath, type PropertyPath } from './properties/path.js';

export type Comparison = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';

export type Restriction =
  | { op: 'exists'; path: PropertyPath }
  | { op: 'compare'; cmp: Comparison; path: PropertyPath; value: { constant: string } | { path: PropertyPath } }
  | { op: 'contains'; path: PropertyPath; value: string; mode: string; comparison: string }
  | { op: 'excludes'; path: PropertyPath; bitmask: number }
  | { op: 'not'; operand: Restriction }
  | { op: 'and' | 'or'; operands: Restriction[] };

const COMPARISONS: Record<string, Comparison> = {
  IsEqualTo: 'eq',
  IsNotEqualTo: 'ne',
  IsGreaterThan: 'gt',
  IsGreaterThanOrEqualTo: 'ge',
  IsLessThan: 'lt',
  IsLessThanOrEqualTo: 'le',
};

/** The Restriction element's single search expression, or undefined when there is none. */
export function parseRestriction(restrictionEl: Element | undefined): Restriction | undefined {
  if (!restrictionEl) return undefined;
  const expr = elementChildren(restrictionEl)[0];
  if (!expr) throw schemaViolation('Restriction is empty.');
  return parseExpression(expr);
}

function firstPath(el: Element): PropertyPath {
  const p = elementChildren(el).find((c) => ['FieldURI', 'IndexedFieldURI', 'ExtendedFieldURI'].includes(c.localName ?? ''));
  if (!p) throw schemaViolation(`${el.localName} needs a property path.`);
  return parsePropertyPath(p);
}

function parseExpression(el: Element): Restriction {
  if (el.namespaceURI !== NS.types) throw schemaViolation(`Unexpected element ${el.localName} in a Restriction.`);
  const name = el.localName ?? '';
  if (name in COMPARISONS) {
    const path = firstPath(el);
    const rhs = child(el, NS.types, 'FieldURIOrConstant');
    const target = rhs && elementChildren(rhs)[0];
    if (!target) throw schemaViolation(`${name} needs FieldURIOrConstant.`);
    const value = target.localName === 'Constant' ? { constant: attr(target, 'Value') ?? '' } : { path: parsePropertyPath(target) };
    return { op: 'compare', cmp: COMPARISONS[name], path, value };
  }
  switch (name) {
    case 'Exists':
      return { op: 'exists', path: firstPath(el) };
    case 'Contains': {
      const constant = child(el, NS.types, 'Constant');
      if (!constant) throw schemaViolation('Contains needs a Constant.');
      return {
        op: 'contains',
        path: firstPath(el),
        value: attr(constant, 'Value') ?? '',
        mode: attr(el, 'ContainmentMode') ?? 'Substring',
        comparison: attr(el, 'ContainmentComparison') ?? 'IgnoreCase',
      };
    }
    case 'Excludes': {
      const mask = child(el, NS.types, 'Bitmask');
      return { op: 'excludes', path: firstPath(el), bitmask: Number(attr(mask, 'Value') ?? '0') };
    }
    case 'Not': {
      const inner = elementChildren(el)[0];
      if (!inner) throw schemaViolation('Not needs an operand.');
      return { op: 'not', operand: parseExpression(inner) };
    }
    case 'And':
    case 'Or': {
      const operands = elementChildren(el).map(parseExpression);
      if (operands.length === 0) throw schemaViolation(`${name} needs operands.`);
      return { op: name === 'And' ? 'and' : 'or', operands };
    }
    default:
      throw schemaViolation(`"${name}" is not a search expression.`);
  }
}

export type PropertyGetter = (p: PropertyPath) => string | undefined;

export function evaluate(r: Restriction, get: PropertyGetter): boolean {
  switch (r.op) {
    case 'exists':
      return get(r.path) !== undefined;
    case 'compare': {
      const left = get(r.path);
      const right = 'constant' in r.value ? r.value.constant : get(r.value.path);
      if (left === undefined || right === undefined) return r.cmp === 'ne' && left !== right;
      const c = compareValues(left, right);
      switch (r.cmp) {
        case 'eq':
          return c === 0;
        case 'ne':
          return c !== 0;
        case 'gt':
          return c > 0;
        case 'ge':
          return c >= 0;
        case 'lt':
          return c < 0;
        case 'le':
          return c <= 0;
      }
      return false;
    }
    case 'contains': {
      const v = get(r.path);
      if (v === undefined) return false;
      const ignoreCase = /IgnoreCase/i.test(r.comparison) || /Loose/i.test(r.comparison);
      const hay = ignoreCase ? v.toLowerCase() : v;
      const needle = ignoreCase ? r.value.toLowerCase() : r.value;
      switch (r.mode) {
        case 'FullString':
          return hay === needle;
        case 'Prefixed':
          return hay.startsWith(needle);
        case 'PrefixOnWords':
          return hay.split(/\s+/).some((w) => w.startsWith(needle));
        case 'ExactPhrase':
        case 'Substring':
        default:
          return hay.includes(needle);
      }
    }
    case 'excludes': {
      const v = Number(get(r.path));
      return Number.isFinite(v) ? (v & r.bitmask) === 0 : false;
    }
    case 'not':
      return !evaluate(r.operand, get);
    case 'and':
      return r.operands.every((o) => evaluate(o, get));
    case 'or':
      return r.operands.some((o) => evaluate(o, get));
  }
}

/** Numbers as numbers, ISO dates as instants, booleans and strings case-insensitively. */
function compareValues(a: string, b: string): number {
  const ba = xsBool(a);
  const bb = xsBool(b);
  if (ba !== undefined && bb !== undefined && /^(true|false)$/i.test(a + '') !== /^(true|false)$/i.test(b + '')) return Number(ba) - Number(bb);
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  const isoDate = /^\d{4}-\d{2}-\d{2}T/;
  if (isoDate.test(a) && isoDate.test(b)) return Date.parse(a) - Date.parse(b);
  const la = a.toLowerCase();
  const lb = b.toLowerCase();
  return la < lb ? -1 : la > lb ? 1 : 0;
}
