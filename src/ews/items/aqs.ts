// FindItem's QueryString (AQS, Advanced Query Syntax), the subset clients use:
// from:, to:, cc:, subject:, body:, received:, sent:, hasattachment(s):,
// isread:, isflagged:, category:, free text, quoted phrases, OR, NOT / leading "-".
// It becomes the same Restriction tree a client could have sent, so IMAP SEARCH
// planning and the exact in-memory finish are shared.
import type { PropertyPath } from '../properties/path.js';
import type { Restriction } from '../restriction.js';

const field = (uri: string): PropertyPath => ({ kind: 'field', uri });
const contains = (uri: string, value: string): Restriction => ({ op: 'contains', path: field(uri), value, mode: 'Substring', comparison: 'IgnoreCase' });
const compare = (uri: string, cmp: 'eq' | 'ge' | 'lt' | 'gt' | 'le', value: string): Restriction => ({ op: 'compare', cmp, path: field(uri), value: { constant: value } });

/** Free text matches anywhere in the message, as IMAP's SEARCH TEXT does. */
export const AQS_TEXT_URI = 'aqs:Text';

function tokenize(q: string): string[] {
  const out: string[] = [];
  const re = /\s*(-?[A-Za-z]+:(?:"[^"]*"|\S+)|-?"[^"]*"|\(|\)|\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(q))) if (m[1].trim()) out.push(m[1]);
  return out;
}

function unquote(v: string): string {
  return v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

function dayRange(v: string): [string, string] | undefined {
  const parse = (s: string) => {
    const d = new Date(s.includes('T') ? s : `${s}T00:00:00Z`);
    return Number.isNaN(d.getTime()) ? undefined : d;
  };
  const [a, b] = v.split('..');
  const start = parse(a);
  const end = b !== undefined ? parse(b) : start;
  if (!start || !end) return undefined;
  return [start.toISOString(), new Date(end.getTime() + 86_400_000).toISOString()];
}

function term(t: string): Restriction | undefined {
  const negate = t.startsWith('-') && t.length > 1;
  const body = negate ? t.slice(1) : t;
  const colon = body.indexOf(':');
  let r: Restriction | undefined;
  if (colon > 0 && !body.startsWith('"')) {
    const key = body.slice(0, colon).toLowerCase();
    const value = unquote(body.slice(colon + 1));
    switch (key) {
      case 'from':
        r = contains('message:From', value);
        break;
      case 'to':
        r = contains('message:ToRecipients', value);
        break;
      case 'cc':
        r = contains('message:CcRecipients', value);
        break;
      case 'subject':
        r = contains('item:Subject', value);
        break;
      case 'body':
        r = contains('item:Body', value);
        break;
      case 'category':
      case 'categories':
        r = contains('item:Categories', value);
        break;
      case 'received':
      case 'sent': {
        const uri = key === 'received' ? 'item:DateTimeReceived' : 'item:DateTimeSent';
        const cmp = /^(>=|<=|>|<)/.exec(value)?.[1];
        if (cmp) {
          const range = dayRange(value.slice(cmp.length));
          if (range) r = cmp === '>=' ? compare(uri, 'ge', range[0]) : cmp === '>' ? compare(uri, 'ge', range[1]) : cmp === '<' ? compare(uri, 'lt', range[0]) : compare(uri, 'lt', range[1]);
        } else {
          const range = dayRange(value);
          if (range) r = { op: 'and', operands: [compare(uri, 'ge', range[0]), compare(uri, 'lt', range[1])] };
        }
        break;
      }
      case 'hasattachment':
      case 'hasattachments':
        r = compare('item:HasAttachments', 'eq', value.toLowerCase() === 'false' ? 'false' : 'true');
        break;
      case 'isread':
        r = compare('message:IsRead', 'eq', value.toLowerCase() === 'false' ? 'false' : 'true');
        break;
      case 'isflagged':
        r = compare('item:Flag', 'eq', value.toLowerCase() === 'false' ? 'NotFlagged' : 'Flagged');
        break;
      default:
        r = contains(AQS_TEXT_URI, body);
    }
  } else {
    r = contains(AQS_TEXT_URI, unquote(body));
  }
  return r && negate ? { op: 'not', operand: r } : r;
}

/** The restriction a QueryString means; undefined for an empty query. */
export function parseAqs(query: string): Restriction | undefined {
  const tokens = tokenize(query.trim());
  const groups: Restriction[][] = [[]];
  let negateNext = false;
  for (const t of tokens) {
    if (t === 'OR') {
      groups.push([]);
      continue;
    }
    if (t === 'AND' || t === '(' || t === ')') continue;
    if (t === 'NOT') {
      negateNext = true;
      continue;
    }
    const r = term(t);
    if (!r) continue;
    groups[groups.length - 1].push(negateNext ? { op: 'not', operand: r } : r);
    negateNext = false;
  }
  const ands = groups.filter((g) => g.length).map((g): Restriction => (g.length === 1 ? g[0] : { op: 'and', operands: g }));
  if (!ands.length) return undefined;
  return ands.length === 1 ? ands[0] : { op: 'or', operands: ands };
}
