// The ETag snapshot sync token, for servers without RFC 6578 sync-collection:
// the whole book as (name, short ETag hash) pairs, compressed, so the token is
// self-contained and needs no server-side table. Comparing a fresh listing with
// it gives what changed and what was deleted. A changed ETag is caught unless
// two ETags share 48 bits of SHA-1 (the hash is only there to keep tokens short).
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { ContactObjectRef } from '../../src/ports/contact-store.js';

export const SNAPSHOT_PREFIX = 'e:';
const FORMAT = 'v1';

const short = (s: string) => createHash('sha1').update(s).digest('base64url').slice(0, 8);

function nameIn(bookHref: string, href: string): string {
  return href.startsWith(bookHref) ? href.slice(bookHref.length) : href;
}

export function encodeSnapshot(bookHref: string, refs: ContactObjectRef[]): string {
  const lines = refs.map((r) => `${nameIn(bookHref, r.href)}\t${short(r.etag)}`).sort();
  const body = [FORMAT, short(bookHref), ...lines].join('\n');
  return SNAPSHOT_PREFIX + deflateRawSync(Buffer.from(body, 'utf8'), { level: 9 }).toString('base64url');
}

/** The snapshot's name → ETag hash map, or undefined when the token is not a snapshot of this book. */
export function decodeSnapshot(bookHref: string, token: string): Map<string, string> | undefined {
  if (!token.startsWith(SNAPSHOT_PREFIX)) return undefined;
  let body: string;
  try {
    body = inflateRawSync(Buffer.from(token.slice(SNAPSHOT_PREFIX.length), 'base64url'), { maxOutputLength: 64 * 1024 * 1024 }).toString('utf8');
  } catch {
    return undefined;
  }
  const [format, book, ...lines] = body.split('\n');
  if (format !== FORMAT || book !== short(bookHref)) return undefined;
  const map = new Map<string, string>();
  for (const l of lines) {
    const tab = l.lastIndexOf('\t');
    if (tab > 0) map.set(l.slice(0, tab), l.slice(tab + 1));
  }
  return map;
}

/** What changed between a snapshot and a fresh listing. */
export function diffSnapshot(bookHref: string, before: Map<string, string>, now: ContactObjectRef[]): { changed: ContactObjectRef[]; deleted: string[] } {
  const seen = new Set<string>();
  const changed: ContactObjectRef[] = [];
  for (const r of now) {
    const name = nameIn(bookHref, r.href);
    seen.add(name);
    if (before.get(name) !== short(r.etag)) changed.push(r);
  }
  const deleted = [...before.keys()].filter((n) => !seen.has(n)).map((n) => (n.startsWith('/') ? n : bookHref + n));
  return { changed, deleted };
}
