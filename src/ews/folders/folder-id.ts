// FolderIds are opaque to clients and self-contained for us: URL-safe base64 of
// a small versioned record. A mail folder carries the backend's stable id (Dovecot
// X-GUID) and its path as a fallback, so a rename keeps the id valid; a virtual
// (well-known, backend-less) folder carries its distinguished name.

export type DavStore = 'calendar' | 'contacts';
/** Which components of a calendar collection a folder shows: events (IPF.Appointment) or tasks (IPF.Task). */
export type DavView = 'VEVENT' | 'VTODO' | 'VCARD';

export type FolderRef =
  | { kind: 'mail'; stableId?: string; path: string }
  | { kind: 'virtual'; name: string }
  | { kind: 'dav'; store: DavStore; view: DavView; href: string };

export const ID_VERSION = 1;
const KIND_MAIL = 1;
const KIND_VIRTUAL = 2;
/** Kind byte of item ids (items/item-id.ts); kept here so kinds never collide. */
export const KIND_MAIL_ITEM = 3;
const KIND_DAV = 5;
/** Kind byte of DAV item ids (items/dav-item-id.ts). */
export const KIND_DAV_ITEM = 6;
// Kind 4 is mail attachments (items/attachment-id.ts), kind 7 contact pictures (dav/contact-items.ts).
const VIEWS: DavView[] = ['VEVENT', 'VTODO', 'VCARD'];

export function encodeFolderId(ref: FolderRef): string {
  return toBase64Url(encodeFolderIdBytes(ref));
}

export function encodeFolderIdBytes(ref: FolderRef): Buffer {
  if (ref.kind === 'dav') return Buffer.concat([Buffer.from([ID_VERSION, KIND_DAV, ref.store === 'calendar' ? 1 : 2, VIEWS.indexOf(ref.view)]), lengthPrefixed(ref.href)]);
  const parts: Buffer[] = [Buffer.from([ID_VERSION, ref.kind === 'mail' ? KIND_MAIL : KIND_VIRTUAL])];
  if (ref.kind === 'mail') {
    // With a stable id the path is left out, so the FolderId string itself survives renames.
    parts.push(lengthPrefixed(ref.stableId ?? ''), lengthPrefixed(ref.stableId ? '' : ref.path));
  } else {
    parts.push(lengthPrefixed(ref.name));
  }
  return Buffer.concat(parts);
}

/** Undefined when the id is not one of ours (malformed, foreign or truncated). */
export function decodeFolderId(id: string): FolderRef | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(id) || id.length > 4096) return undefined;
  return decodeFolderIdBytes(Buffer.from(id, 'base64url'));
}

export function decodeFolderIdBytes(buf: Buffer): FolderRef | undefined {
  if (buf.length < 3 || buf[0] !== ID_VERSION) return undefined;
  const reader = { buf, pos: 2 };
  if (buf[1] === KIND_MAIL) {
    const stableId = readPrefixed(reader);
    const path = readPrefixed(reader);
    if (stableId === undefined || path === undefined || reader.pos !== buf.length) return undefined;
    return { kind: 'mail', stableId: stableId || undefined, path };
  }
  if (buf[1] === KIND_DAV) {
    if (buf.length < 6 || (buf[2] !== 1 && buf[2] !== 2) || !VIEWS[buf[3]]) return undefined;
    const r = { buf, pos: 4 };
    const href = readPrefixed(r);
    if (!href || r.pos !== buf.length) return undefined;
    return { kind: 'dav', store: buf[2] === 1 ? 'calendar' : 'contacts', view: VIEWS[buf[3]], href };
  }
  if (buf[1] === KIND_VIRTUAL) {
    const name = readPrefixed(reader);
    if (!name || reader.pos !== buf.length) return undefined;
    return { kind: 'virtual', name };
  }
  return undefined;
}

export function lengthPrefixed(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

export function readPrefixed(r: { buf: Buffer; pos: number }): string | undefined {
  if (r.pos + 2 > r.buf.length) return undefined;
  const len = r.buf.readUInt16BE(r.pos);
  r.pos += 2;
  if (r.pos + len > r.buf.length) return undefined;
  const s = r.buf.subarray(r.pos, r.pos + len).toString('utf8');
  r.pos += len;
  return s;
}

function toBase64Url(b: Buffer): string {
  return b.toString('base64url');
}
