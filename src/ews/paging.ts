// Paged views (IndexedPage*View, FractionalPage*View) and the attributes a paged
// answer carries: IndexedPagingOffset or NumeratorOffset/AbsoluteDenominator,
// TotalItemsInView, IncludesLastItemInRange.
import { NS, attr, child, type Element } from '../soap/xml.js';
import { schemaViolation } from './errors.js';

export type Paging =
  | { kind: 'all' }
  | { kind: 'indexed'; max?: number; offset: number; fromEnd: boolean }
  | { kind: 'fractional'; max?: number; numerator: number; denominator: number };

function optionalInt(el: Element, name: string, min: number): number | undefined {
  const v = attr(el, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw schemaViolation(`${el.localName}@${name} "${v}" is not valid.`);
  return n;
}

export function parsePaging(op: Element, indexedName: string, fractionalName: string): Paging {
  const indexed = child(op, NS.messages, indexedName);
  if (indexed) {
    const basePoint = attr(indexed, 'BasePoint') ?? 'Beginning';
    if (basePoint !== 'Beginning' && basePoint !== 'End') throw schemaViolation(`BasePoint "${basePoint}" is not valid.`);
    return { kind: 'indexed', max: optionalInt(indexed, 'MaxEntriesReturned', 1), offset: optionalInt(indexed, 'Offset', 0) ?? 0, fromEnd: basePoint === 'End' };
  }
  const fractional = child(op, NS.messages, fractionalName);
  if (fractional) {
    const numerator = optionalInt(fractional, 'Numerator', 0) ?? 0;
    const denominator = optionalInt(fractional, 'Denominator', 1) ?? 1;
    return { kind: 'fractional', max: optionalInt(fractional, 'MaxEntriesReturned', 1), numerator, denominator };
  }
  return { kind: 'all' };
}

export interface Page<T> {
  items: T[];
  attributes: Record<string, string>;
}

export function pageOf<T>(all: T[], paging: Paging): Page<T> {
  const { start, end, attributes } = pageRange(all.length, paging);
  return { items: all.slice(start, end), attributes };
}

/**
 * The positions [start, end) a view takes when they do not depend on how many entries there
 * are (an indexed page counted from the beginning, with a size); undefined otherwise.
 */
export function fixedWindow(paging: Paging): { start: number; end: number } | undefined {
  if (paging.kind !== 'indexed' || paging.fromEnd || paging.max === undefined) return undefined;
  return { start: paging.offset, end: paging.offset + paging.max };
}

/** The slice [start, end) a view takes of `total` entries, and the attributes its answer carries. */
export function pageRange(total: number, paging: Paging): { start: number; end: number; attributes: Record<string, string> } {
  if (paging.kind === 'all') {
    return { start: 0, end: total, attributes: { IndexedPagingOffset: String(total), TotalItemsInView: String(total), IncludesLastItemInRange: 'true' } };
  }
  if (paging.kind === 'indexed') {
    const max = paging.max ?? total;
    let start: number;
    let end: number;
    if (paging.fromEnd) {
      end = Math.max(0, total - paging.offset);
      start = Math.max(0, end - max);
    } else {
      start = Math.min(paging.offset, total);
      end = Math.min(total, start + max);
    }
    const includesLast = paging.fromEnd ? start === 0 : end >= total;
    const nextOffset = paging.fromEnd ? paging.offset + (end - start) : end;
    return {
      start,
      end,
      attributes: { IndexedPagingOffset: String(nextOffset), TotalItemsInView: String(total), IncludesLastItemInRange: String(includesLast) },
    };
  }
  const start = Math.min(total, Math.floor((paging.numerator * total) / paging.denominator));
  const end = Math.min(total, start + (paging.max ?? total));
  return {
    start,
    end,
    attributes: {
      NumeratorOffset: String(end),
      AbsoluteDenominator: String(total),
      TotalItemsInView: String(total),
      IncludesLastItemInRange: String(end >= total),
    },
  };
}
