// ItemIds of CalDAV / CardDAV objects: which store and view (events, tasks or
// cards) and the object's href, in the same versioned record as the other ids.
// The ChangeKey is the object's ETag.
import { ID_VERSION, KIND_DAV_ITEM, lengthPrefixed, readPrefixed, type DavStore, type DavView } from '../folders/folder-id.js';

export interface DavItemRef {
  store: DavStore;
  view: DavView;
  /** The object's href on the DAV server. */
  href: string;
}

const VIEWS: DavView[] = ['VEVENT', 'VTODO', 'VCARD'];

export function encodeDavItemId(ref: DavItemRef): string {
  return Buffer.concat([Buffer.from([ID_VERSION, KIND_DAV_ITEM, ref.store === 'calendar' ? 1 : 2, VIEWS.indexOf(ref.view)]), lengthPrefixed(ref.href)]).toString('base64url');
}

export function decodeDavItemIdBytes(buf: Buffer): DavItemRef | undefined {
  if (buf.length < 6 || buf[0] !== ID_VERSION || buf[1] !== KIND_DAV_ITEM || (buf[2] !== 1 && buf[2] !== 2) || !VIEWS[buf[3]]) return undefined;
  const r = { buf, pos: 4 };
  const href = readPrefixed(r);
  if (!href || r.pos !== buf.length) return undefined;
  return { store: buf[2] === 1 ? 'calendar' : 'contacts', view: VIEWS[buf[3]], href };
}

export function decodeDavItemId(id: string): DavItemRef | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(id) || id.length > 8192) return undefined;
  return decodeDavItemIdBytes(Buffer.from(id, 'base64url'));
}

export function etagChangeKey(etag: string): string {
  return Buffer.from(etag.replace(/^W\//, '')).toString('base64url');
}

/** The collection an object href lives in (with a trailing slash). */
export function collectionOf(href: string): string {
  return href.replace(/[^/]+$/, '');
}
