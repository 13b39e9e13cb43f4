// The ETag-snapshot fallback of syncCollection for servers without RFC 6578:
// the token is the whole href → ETag listing, compressed, so it stays
// self-contained (no server-side table); changes are the difference between
// the listing in the token and a fresh PROPFIND. Pure.
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { DavObjectRef } from '../../src/ports/calendar-store.js';

export const SNAPSHOT_PREFIX = 'snap:';
export const SYNC_PREFIX = 'sync:';

export function encodeSnapshot(refs: DavObjectRef[]): string {
  const sorted = [...refs].sort((a, b) => (a.href < b.href ? -1 : a.href > b.href ? 1 : 0));
  return SNAPSHOT_PREFIX + deflateRawSync(Buffer.from(JSON.stringify(sorted.map((r) => [r.href, r.etag])), 'utf8')).toString('base64url');
}

/** The listing in a snapshot token; undefined when the token is not one (or is damaged). */
export function decodeSnapshot(token: string): DavObjectRef[] | undefined {
  if (!token.startsWith(SNAPSHOT_PREFIX)) return undefined;
  try {
    const list = JSON.parse(inflateRawSync(Buffer.from(token.slice(SNAPSHOT_PREFIX.length), 'base64url')).toString('utf8')) as unknown;
    if (!Array.isArray(list) || !list.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string'))
      return undefined;
    return (list as [string, string][]).map(([href, etag]) => ({ href, etag }));
  } catch {
    return undefined;
  }
}

export function diffSnapshots(before: DavObjectRef[], now: DavObjectRef[]): { changed: DavObjectRef[]; deleted: string[] } {
  const old = new Map(before.map((r) => [r.href, r.etag]));
  const changed = now.filter((r) => old.get(r.href) !== r.etag);
  const present = new Set(now.map((r) => r.href));
  const deleted = before.filter((r) => !present.has(r.href)).map((r) => r.href);
  return { changed, deleted };
}
