// The last path segment of a new CalDAV / CardDAV collection, from its display name.
import { randomUUID } from 'node:crypto';

/** Readable (ASCII of the name) and unique, so a renamed collection's old name never collides with a new one. */
export function collectionSegment(displayName: string, fallback: string): string {
  const ascii = displayName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `${ascii || fallback}-${randomUUID().slice(0, 8)}`;
}
