// EWS restrictions and sort orders on mail → IMAP SEARCH and SORT. What IMAP
// can answer exactly is answered there; what it can only narrow (day-granular
// dates, properties IMAP does not index) is narrowed there and finished by the
// in-memory evaluator on just the properties the restriction names.
import { NS, attr, elementChildren, type Element, xsBool } from '../../soap/xml.js';
import type { MailSearch, MailSort, MailSortKey } from '../../ports/mail-store.js';
import { schemaViolation } from '../errors.js';
import { parsePropertyPath, type PropertyPath } from '../properties/path.js';
import type { Restriction } from '../restriction.js';
import { AQS_TEXT_URI } from './aqs.js';
import { categoryToKeyword } from './keywords.js';

export interface SearchPlan {
  search: MailSearch;
  /** False when the result is a superset that must still be filtered in memory. */
  exact: boolean;
}

const ALL: SearchPlan = { search: {}, exact: false };

function fieldOf(p: PropertyPath): string | undefined {
  if (p.kind === 'field') return p.uri;
  if (p.kind === 'extended') {
    if (p.tag === 0x0e23) return 'uid';
    if (p.tag === 0x1090) return 'item:Flag';
    if (p.tag === 0x0e08) return 'item:Size';
    if (p.tag === 0x0e06) return 'item:DateTimeReceived';
    if (p.propertySet?.toLowerCase() === 'publicstrings' && p.propertyName === 'Keywords') return 'item:Categories';
  }
  return undefined;
}

const TEXT_FIELDS: Record<string, keyof MailSearch> = {
  'item:Subject': 'subject',
  'message:From': 'from',
  'message:Sender': 'from',
  'message:ToRecipients': 'to',
  'item:DisplayTo': 'to',
  'message:CcRecipients': 'cc',
  'item:DisplayCc': 'cc',
  'message:BccRecipients': 'bcc',
  'item:Body': 'body',
  [AQS_TEXT_URI]: 'text',
};

function day(value: string): Date | undefined {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return undefined;
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

export function planSearch(r: Restriction | undefined): SearchPlan {
  if (!r) return { search: {}, exact: true };
  switch (r.op) {
    case 'and': {
      const search: MailSearch = {};
      let exact = true;
      for (const o of r.operands) {
        const p = planSearch(o);
        exact &&= p.exact;
        for (const [k, v] of Object.entries(p.search) as [keyof MailSearch, unknown][]) {
          if (k in search) exact = false; // one criterion per key; the evaluator checks the rest
          else (search as Record<string, unknown>)[k] = v;
        }
      }
      return { search, exact };
    }
    case 'or': {
      const parts = r.operands.map(planSearch);
      if (parts.some((p) => Object.keys(p.search).length === 0)) return ALL;
      return { search: { or: parts.map((p) => p.search) }, exact: parts.every((p) => p.exact) };
    }
    case 'not': {
      const inner = planSearch(r.operand);
      if (!inner.exact || Object.keys(inner.search).length === 0) return ALL;
      return { search: { not: inner.search }, exact: true };
    }
    case 'exists':
    case 'excludes':
      return ALL;
    case 'contains': {
      const f = fieldOf(r.path);
      if (f === 'item:Categories') return { search: { keyword: categoryToKeyword(r.value) }, exact: r.mode === 'FullString' };
      const key = f && TEXT_FIELDS[f];
      if (!key || !r.value) return ALL;
      // IMAP SEARCH is a case-insensitive substring match.
      const exact = (r.mode === 'Substring' || r.mode === 'ExactPhrase') && /IgnoreCase/i.test(r.comparison);
      return { search: { [key]: r.value }, exact };
    }
    case 'compare': {
      if (!('constant' in r.value)) return ALL;
      const v = r.value.constant;
      const f = fieldOf(r.path);
      switch (f) {
        case 'message:IsRead': {
          const want = xsBool(v);
          if (want === undefined) return ALL;
          if (r.cmp === 'eq') return { search: { seen: want }, exact: true };
          if (r.cmp === 'ne') return { search: { seen: !want }, exact: true };
          return ALL;
        }
        case 'item:IsDraft': {
          const want = xsBool(v);
          if (want === undefined) return ALL;
          if (r.cmp === 'eq' || r.cmp === 'ne') return { search: { draft: r.cmp === 'eq' ? want : !want }, exact: true };
          return ALL;
        }
        case 'item:Flag': {
          const flagged = v === 'Flagged' || v === '2';
          if (r.cmp === 'eq') return { search: { flagged }, exact: true };
          if (r.cmp === 'ne') return { search: { flagged: !flagged }, exact: true };
          return ALL;
        }
        case 'item:Categories':
          return r.cmp === 'eq' ? { search: { keyword: categoryToKeyword(v) }, exact: true } : ALL;
        case 'uid': {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 0) return ALL;
          const ranges: Record<string, string | undefined> = {
            eq: n > 0 ? String(n) : undefined,
            gt: `${n + 1}:*`,
            ge: `${Math.max(1, n)}:*`,
            lt: n > 1 ? `1:${n - 1}` : undefined,
            le: n > 0 ? `1:${n}` : undefined,
          };
          const range = ranges[r.cmp];
          // "N:*" always includes the highest UID even when it is below N: filter the edge in memory.
          return range ? { search: { uid: range }, exact: r.cmp === 'eq' || r.cmp === 'lt' || r.cmp === 'le' } : ALL;
        }
        case 'item:Size': {
          const n = Number(v);
          if (!Number.isFinite(n)) return ALL;
          if (r.cmp === 'gt') return { search: { larger: n }, exact: true };
          if (r.cmp === 'ge') return { search: { larger: n - 1 }, exact: true };
          if (r.cmp === 'lt') return { search: { smaller: n }, exact: true };
          if (r.cmp === 'le') return { search: { smaller: n + 1 }, exact: true };
          return ALL;
        }
        case 'item:DateTimeReceived':
        case 'item:DateTimeSent': {
          const d = day(v);
          if (!d) return ALL;
          const sent = f === 'item:DateTimeSent';
          const next = new Date(d.getTime() + 86_400_000);
          // Whole days on the server (a superset), the exact instant in memory.
          if (r.cmp === 'gt' || r.cmp === 'ge') return { search: sent ? { sentSince: d } : { since: d }, exact: false };
          if (r.cmp === 'lt' || r.cmp === 'le') return { search: sent ? { sentBefore: next } : { before: next }, exact: false };
          if (r.cmp === 'eq') return { search: sent ? { sentOn: d } : { on: d }, exact: false };
          return ALL;
        }
        default: {
          const key = f && TEXT_FIELDS[f];
          if (key && r.cmp === 'eq' && v) return { search: { [key]: v }, exact: false };
          return ALL;
        }
      }
    }
  }
}

/** Every property path a restriction reads, so the in-memory filter can fetch just those. */
export function restrictionPaths(r: Restriction | undefined): PropertyPath[] {
  if (!r) return [];
  switch (r.op) {
    case 'and':
    case 'or':
      return r.operands.flatMap(restrictionPaths);
    case 'not':
      return restrictionPaths(r.operand);
    case 'compare':
      return 'path' in r.value ? [r.path, r.value.path] : [r.path];
    default:
      return [r.path];
  }
}

export interface SortField {
  path: PropertyPath;
  descending: boolean;
}

export function parseSortOrder(el: Element | undefined): SortField[] {
  if (!el) return [];
  return elementChildren(el).map((fo) => {
    if (fo.localName !== 'FieldOrder' || fo.namespaceURI !== NS.types) throw schemaViolation('SortOrder holds FieldOrder elements.');
    const order = attr(fo, 'Order') ?? 'Ascending';
    if (order !== 'Ascending' && order !== 'Descending') throw schemaViolation(`Order "${order}" is not valid.`);
    const p = elementChildren(fo)[0];
    if (!p) throw schemaViolation('FieldOrder needs a property path.');
    return { path: parsePropertyPath(p), descending: order === 'Descending' };
  });
}

const SORT_KEYS: Record<string, MailSortKey> = {
  'item:DateTimeReceived': 'ARRIVAL',
  'item:DateTimeCreated': 'ARRIVAL',
  'item:DateTimeSent': 'DATE',
  'item:Subject': 'SUBJECT',
  'message:From': 'FROM',
  'message:Sender': 'FROM',
  'item:Size': 'SIZE',
  'message:ToRecipients': 'TO',
  'item:DisplayTo': 'TO',
  'item:DisplayCc': 'CC',
};

/** IMAP SORT keys for the order, 'uid' when only the UID orders, or undefined when IMAP cannot sort it. */
export function planSort(fields: SortField[]): MailSort[] | 'uid-asc' | 'uid-desc' | undefined {
  if (fields.length === 1 && fieldOf(fields[0].path) === 'uid') return fields[0].descending ? 'uid-desc' : 'uid-asc';
  const keys: MailSort[] = [];
  for (const f of fields) {
    const name = fieldOf(f.path);
    const key = name && SORT_KEYS[name];
    if (!key) return undefined;
    keys.push({ key, reverse: f.descending });
  }
  return keys;
}
