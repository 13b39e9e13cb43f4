// ContactStore over CardDAV with tsdav's fetch-based request functions
// (propfind, davRequest, makeCollection, createObject, updateObject,
// deleteObject, syncCollection). tsdav's higher-level helpers throw untyped
// errors and hide statuses, so the REPORTs go through davRequest with the same
// bodies and every answer is mapped to the port's typed errors here.
//
// Credentials are given per store (HTTP Basic) and only ever sit in memory, in
// the Authorization header of our own requests. Every request has a timeout.
import { createHash, randomBytes } from 'node:crypto';
import { DAVNamespace, createObject, davRequest, deleteObject, getDAVAttribute, propfind, syncCollection, updateObject } from 'tsdav';
import type { DAVResponse } from 'tsdav';
import {
  AddressBookExistsError,
  AddressBookMissingError,
  ContactAuthError,
  ContactConflictError,
  ContactExistsError,
  ContactForbiddenError,
  ContactMissingError,
  ContactRejectedError,
  ContactStoreUnavailableError,
  SyncTokenInvalidError,
  type AddressBook,
  type ContactObject,
  type ContactObjectRef,
  type ContactStore,
  type ContactStoreCapabilities,
  type ContactStoreError,
  type MultigetResult,
  type SyncResult,
} from '../../src/ports/contact-store.js';
import type { CollectionMirror } from '../dav/collection-mirror.js';
import { collectionHref, lastSegment, normalizeHref, safeSegment } from './hrefs.js';
import { SNAPSHOT_PREFIX, decodeSnapshot, diffSnapshot, encodeSnapshot } from './snapshot.js';

export interface CardDavEndpoint {
  /** Any URL on the server: its root, a principal, or the address-book home (discovery starts here). */
  url: string;
  /** Per-request timeout (default 15 s). */
  timeoutMs?: number;
  /**
   * 'auto' (default): RFC 6578 sync-collection where the book offers it, the
   * ETag snapshot elsewhere. 'never': always the ETag snapshot.
   */
  syncCollection?: 'auto' | 'never';
  /** Hrefs per addressbook-multiget REPORT (default 100). */
  multigetBatch?: number;
  /** Where listAll keeps address books current by sync (adapters/dav); none: every listing reads the whole book. */
  mirror?: CollectionMirror;
}

const SYNC_PREFIX = 'd:';
const VCARD_TYPE = 'text/vcard; charset=utf-8';

type Props = Record<string, unknown>;
const str = (v: unknown): string | undefined => (v === undefined || v === null || typeof v === 'object' ? undefined : String(v));

/** The text of a tsdav-parsed element that may be a string, a number or { _cdata } / { _text }. */
function textValue(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object') return String(v);
  const o = v as { _cdata?: unknown; _text?: unknown };
  return str(o._cdata) ?? str(o._text);
}

function hrefOf(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object') return String(v);
  const h = (v as { href?: unknown }).href;
  return Array.isArray(h) ? textValue(h[0]) : textValue(h);
}

function keysOf(v: unknown): string[] {
  if (!v || typeof v !== 'object') return [];
  return Array.isArray(v) ? v.flatMap(keysOf) : Object.keys(v);
}

function isMultistatus(r: DAVResponse): boolean {
  return !!r.raw && typeof r.raw === 'object' && 'multistatus' in (r.raw as object);
}

/** A failed answer's body as text (tsdav keeps text, or parsed XML as an object). */
function rawText(r: DAVResponse): string {
  return typeof r.raw === 'string' ? r.raw : r.raw ? JSON.stringify(r.raw) : '';
}

function describe(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  return [err.name === 'TimeoutError' ? 'timed out' : err.message, err.cause?.code ?? err.cause?.message].filter(Boolean).join(': ');
}

/** Discovery results, shared by the stores of one user and credential. */
interface Session {
  home?: Promise<string>;
  expires: number;
}

/**
 * Opens ContactStores for users of one CardDAV server. Keeps, per user and
 * credential (keyed by a salted hash, never the password), only what discovery
 * learned (the address-book home), for a few minutes.
 */
export class CardDavConnector {
  private readonly sessions = new Map<string, Session>();
  private readonly salt = randomBytes(16);

  constructor(
    readonly endpoint: CardDavEndpoint,
    private readonly sessionTtlMs = 10 * 60_000,
  ) {}

  open(user: string, password: string): CardDavContactStore {
    const key = createHash('sha256').update(this.salt).update(user).update('\0').update(password).digest('base64');
    const now = Date.now();
    for (const [k, s] of this.sessions) if (s.expires < now) this.sessions.delete(k);
    let s = this.sessions.get(key);
    if (!s) {
      s = { expires: now + this.sessionTtlMs };
      this.sessions.set(key, s);
    }
    return new CardDavContactStore(this.endpoint, user, password, s);
  }
}

export class CardDavContactStore implements ContactStore {
  readonly capabilities: ContactStoreCapabilities = { syncCollection: true, createAddressBooks: true };
  private readonly base: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly fetch: typeof globalThis.fetch;
  /** Server and login: what a kept copy of a book belongs to (never the password; every read syncs with it first). */
  private readonly mirrorKey: string;

  constructor(
    private readonly endpoint: CardDavEndpoint,
    user: string,
    password: string,
    private readonly session: Session = { expires: Infinity },
  ) {
    this.base = new URL(endpoint.url).toString();
    this.mirrorKey = `${this.base}\u0000${user}`;
    this.authorization = 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
    this.timeoutMs = endpoint.timeoutMs ?? 15_000;
    if (endpoint.syncCollection === 'never') this.capabilities.syncCollection = false;
    // Every request tsdav makes for us goes through here: credentials, timeout, typed network errors.
    this.fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('Authorization', this.authorization);
      try {
        return await globalThis.fetch(input, { ...init, headers, signal: AbortSignal.timeout(this.timeoutMs) });
      } catch (e) {
        throw new ContactStoreUnavailableError(`The CardDAV server at ${new URL(String(input instanceof Request ? input.url : input)).origin} cannot be reached (${describe(e)}).`, undefined, e);
      }
    };
  }

  release(): void {
    /* stateless HTTP */
  }

  private url(href: string): string {
    return new URL(href, this.base).toString();
  }

  // ---------------------------------------------------------------- errors

  /** The port's error for an HTTP status (never for 2xx). */
  private errorFor(status: number, href: string, detail: string, what: 'book' | 'object'): ContactStoreError {
    if (status === 401) return new ContactAuthError();
    if (status === 403) return new ContactForbiddenError(href, `The CardDAV server forbids this on ${href}${detail ? `: ${detail}` : ''}.`);
    if (status === 404 || status === 410) return what === 'book' ? new AddressBookMissingError(href) : new ContactMissingError(href);
    if (status >= 500 || status === 0) return new ContactStoreUnavailableError(`The CardDAV server failed on ${href} (HTTP ${status})${detail ? `: ${detail}` : ''}.`, status);
    return new ContactRejectedError(href, status, detail);
  }

  private async fail(res: Response, href: string, what: 'book' | 'object'): Promise<never> {
    const detail = (await res.text().catch(() => '')).replace(/\s+/g, ' ').trim().slice(0, 300);
    throw this.errorFor(res.status, href, detail, what);
  }

  /** The first non-success of a tsdav answer, as a typed error; undefined when all went well. */
  private failedDav(responses: DAVResponse[], href: string, what: 'book' | 'object'): ContactStoreError | undefined {
    // tsdav answers a request that failed as a whole with one entry without a multistatus
    // (its href is the request URL); statuses inside a multistatus are per resource.
    const bad = responses.find((r) => !r.ok && !isMultistatus(r));
    if (!bad) return undefined;
    return this.errorFor(bad.status, href, rawText(bad).slice(0, 300), what);
  }

  // ---------------------------------------------------------------- discovery

  private home(): Promise<string> {
    this.session.home ??= this.discoverHome().catch((e) => {
      this.session.home = undefined;
      throw e;
    });
    return this.session.home;
  }

  private async discoverHome(): Promise<string> {
    const start = this.base;
    const principalRes = await propfind({ url: start, props: { 'd:current-user-principal': {} }, depth: '0', fetch: this.fetch });
    const err = this.failedDav(principalRes, normalizeHref(start, this.base), 'book');
    if (err && !(err instanceof AddressBookMissingError)) throw err;
    const principal = hrefOf((principalRes[0]?.props as Props | undefined)?.currentUserPrincipal);
    if (!principal) return collectionHref(start, this.base);
    const homeRes = await propfind({ url: this.url(principal), props: { 'card:addressbook-home-set': {} }, depth: '0', fetch: this.fetch });
    const homeErr = this.failedDav(homeRes, principal, 'book');
    if (homeErr) throw homeErr;
    const home = hrefOf((homeRes[0]?.props as Props | undefined)?.addressbookHomeSet);
    return collectionHref(home ?? principal, this.base);
  }

  // ---------------------------------------------------------------- address books

  private static readonly BOOK_PROPS = {
    'd:resourcetype': {},
    'd:displayname': {},
    'cs:getctag': {},
    'd:sync-token': {},
    'd:supported-report-set': {},
    'd:current-user-privilege-set': {},
    'card:addressbook-description': {},
  };

  private bookOf(r: DAVResponse): AddressBook | undefined {
    const props = (r.props ?? {}) as Props;
    if (!r.href || !keysOf(props.resourcetype).includes('addressbook')) return undefined;
    const href = collectionHref(r.href, this.base);
    const reports = keysOf((props.supportedReportSet as { supportedReport?: unknown } | undefined)?.supportedReport)
      .flatMap((k) => (k === 'report' ? [] : [k]))
      .concat(
        ([] as unknown[])
          .concat((props.supportedReportSet as { supportedReport?: unknown } | undefined)?.supportedReport ?? [])
          .flatMap((sr) => keysOf((sr as { report?: unknown } | undefined)?.report)),
      );
    const privileges = ([] as unknown[]).concat((props.currentUserPrivilegeSet as { privilege?: unknown } | undefined)?.privilege ?? []).flatMap(keysOf);
    const syncToken = textValue(props.syncToken);
    const book: AddressBook = {
      href,
      name: lastSegment(href),
      displayName: textValue(props.displayname)?.trim() || lastSegment(href),
      supportsSync: this.endpoint.syncCollection !== 'never' && (reports.includes('syncCollection') || !!syncToken),
      readOnly: privileges.length > 0 && !privileges.some((p) => ['all', 'write', 'writeContent', 'bind'].includes(p)),
    };
    const description = textValue(props.addressbookDescription);
    if (description) book.description = description;
    const ctag = textValue(props.getctag);
    if (ctag) book.ctag = ctag;
    if (syncToken) book.syncToken = syncToken;
    return book;
  }

  async listAddressBooks(): Promise<AddressBook[]> {
    const home = await this.home();
    const res = await propfind({ url: this.url(home), props: CardDavContactStore.BOOK_PROPS, depth: '1', fetch: this.fetch });
    const err = this.failedDav(res, home, 'book');
    if (err) throw err;
    const books = res.filter((r) => r.ok).map((r) => this.bookOf(r)).filter((b): b is AddressBook => !!b);
    const def = books.find((b) => b.name.toLowerCase() === 'contacts') ?? books.find((b) => b.displayName.toLowerCase() === 'contacts') ?? books[0];
    return def ? [def, ...books.filter((b) => b !== def).sort((a, b) => a.displayName.localeCompare(b.displayName))] : [];
  }

  async getAddressBook(href: string): Promise<AddressBook> {
    const h = collectionHref(href, this.base);
    const res = await propfind({ url: this.url(h), props: CardDavContactStore.BOOK_PROPS, depth: '0', fetch: this.fetch });
    const err = this.failedDav(res, h, 'book');
    if (err) throw err;
    const book = res.map((r) => this.bookOf(r)).find((b) => b?.href === h);
    if (!book) throw new AddressBookMissingError(h);
    return book;
  }

  async createAddressBook(name: string, displayName: string, description?: string): Promise<AddressBook> {
    const home = await this.home();
    const href = home + encodeURIComponent(safeSegment(name)) + '/';
    const props: Props = {
      'd:resourcetype': { 'd:collection': {}, 'card:addressbook': {} },
      'd:displayname': displayName,
    };
    if (description) props['card:addressbook-description'] = description;
    // Extended MKCOL (RFC 5689), as tsdav's makeCollection builds it (not exported from tsdav's index).
    const res = await davRequest({
      url: this.url(href),
      init: {
        method: 'MKCOL',
        namespace: 'd',
        body: { mkcol: { _attributes: getDAVAttribute([DAVNamespace.DAV, DAVNamespace.CARDDAV]), set: { prop: props } } },
      },
      fetch: this.fetch,
    });
    const bad = res.find((r: DAVResponse) => !r.ok);
    if (bad) {
      if (bad.status === 405 || bad.status === 409 && (await this.exists(href))) throw new AddressBookExistsError(href);
      throw this.errorFor(bad.status, href, rawText(bad), 'book');
    }
    return this.getAddressBook(href);
  }

  private async exists(href: string): Promise<boolean> {
    const res = await propfind({ url: this.url(href), props: { 'd:resourcetype': {} }, depth: '0', fetch: this.fetch });
    return res.some((r) => r.ok);
  }

  async renameAddressBook(href: string, displayName: string): Promise<void> {
    const h = collectionHref(href, this.base);
    const res = await davRequest({
      url: this.url(h),
      init: {
        method: 'PROPPATCH',
        namespace: 'd',
        body: { propertyupdate: { _attributes: getDAVAttribute([DAVNamespace.DAV]), set: { prop: { displayname: displayName } } } },
      },
      fetch: this.fetch,
    });
    const err = this.failedDav(res, h, 'book');
    if (err) throw err;
    const propstat = ([] as unknown[]).concat((res[0]?.raw as { multistatus?: { response?: { propstat?: unknown } } })?.multistatus?.response?.propstat ?? []);
    const denied = propstat.map((p) => String((p as { status?: unknown }).status ?? '')).find((s) => !/ 2\d\d /.test(s + ' '));
    if (denied) throw this.errorFor(Number(/\d{3}/.exec(denied)?.[0] ?? 500), h, 'PROPPATCH displayname refused', 'book');
  }

  async deleteAddressBook(href: string): Promise<void> {
    const h = collectionHref(href, this.base);
    const res = await deleteObject({ url: this.url(h), fetch: this.fetch });
    if (!res.ok) await this.fail(res, h, 'book');
    await res.arrayBuffer().catch(() => undefined);
  }

  // ---------------------------------------------------------------- objects

  private refOf(r: DAVResponse, bookHref: string): ContactObjectRef | undefined {
    if (!r.href) return undefined;
    const href = normalizeHref(r.href, this.base);
    if (href === bookHref || href.endsWith('/')) return undefined;
    const props = (r.props ?? {}) as Props;
    const etag = textValue(props.getetag);
    if (!etag) return undefined;
    const ref: ContactObjectRef = { href, etag };
    const lm = textValue(props.getlastmodified);
    if (lm && !Number.isNaN(Date.parse(lm))) ref.lastModified = new Date(lm);
    return ref;
  }

  async listObjects(bookHref: string): Promise<ContactObjectRef[]> {
    const h = collectionHref(bookHref, this.base);
    const res = await propfind({ url: this.url(h), props: { 'd:getetag': {}, 'd:getlastmodified': {}, 'd:resourcetype': {} }, depth: '1', fetch: this.fetch });
    const err = this.failedDav(res, h, 'book');
    if (err) throw err;
    return res
      .filter((r) => r.ok && !keysOf((r.props as Props | undefined)?.resourcetype).includes('collection'))
      .map((r) => this.refOf(r, h))
      .filter((r): r is ContactObjectRef => !!r)
      .sort((a, b) => (a.href < b.href ? -1 : a.href > b.href ? 1 : 0));
  }

  async multiget(bookHref: string, hrefs: string[]): Promise<MultigetResult> {
    const h = collectionHref(bookHref, this.base);
    const wanted = hrefs.map((x) => normalizeHref(x, this.base));
    const out: MultigetResult = { objects: [], missing: [], failed: [] };
    const found = new Map<string, ContactObject>();
    const batch = this.endpoint.multigetBatch ?? 100;
    for (let i = 0; i < wanted.length; i += batch) {
      const chunk = wanted.slice(i, i + batch);
      const res = await davRequest({
        url: this.url(h),
        init: {
          method: 'REPORT',
          namespace: 'card',
          headers: { depth: '1' },
          body: {
            'addressbook-multiget': {
              _attributes: getDAVAttribute([DAVNamespace.DAV, DAVNamespace.CARDDAV]),
              'd:prop': { 'd:getetag': {}, 'd:getlastmodified': {}, 'card:address-data': {} },
              'd:href': chunk,
            },
          },
        },
        fetch: this.fetch,
      });
      const err = this.failedDav(res, h, 'book');
      if (err) {
        // One object the server cannot load (Radicale: a file it cannot parse) fails the whole
        // REPORT: ask for each object alone, so the others are still answered.
        if (err instanceof ContactStoreUnavailableError && err.status !== undefined) {
          await this.getEach(chunk, found, out);
          continue;
        }
        throw err;
      }
      for (const r of res) {
        if (!r.href) continue;
        const href = normalizeHref(r.href, this.base);
        if (r.status === 404 || r.status === 410) {
          out.missing.push(href);
          continue;
        }
        const ref = this.refOf(r, h);
        const data = textValue((r.props as Props | undefined)?.addressData);
        if (r.ok && ref && data !== undefined) found.set(href, { ...ref, data });
        else if (!r.ok) out.failed.push({ href, error: this.errorFor(r.status, href, '', 'object') });
      }
    }
    for (const href of wanted) {
      const o = found.get(href);
      if (o) out.objects.push(o);
      else if (!out.missing.includes(href) && !out.failed.some((f) => f.href === href)) out.missing.push(href);
    }
    return out;
  }

  private async getEach(hrefs: string[], found: Map<string, ContactObject>, out: MultigetResult): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < hrefs.length) {
        const href = hrefs[next++]!;
        try {
          found.set(href, await this.getObject(href));
        } catch (e) {
          if (e instanceof ContactMissingError) out.missing.push(href);
          else if (e instanceof ContactAuthError) throw e;
          else out.failed.push({ href, error: e as ContactStoreError });
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }

  async listAll(bookHref: string): Promise<MultigetResult> {
    const mirror = this.endpoint.mirror;
    if (!mirror?.enabled) return this.readAll(bookHref);
    const h = collectionHref(bookHref, this.base);
    type Kept = ContactObject | { href: string; failed: ContactStoreError };
    const kept = (r: MultigetResult): Kept[] => [...r.objects, ...r.failed.map((f) => ({ href: f.href, failed: f.error }))];
    const all = await mirror.objects<Kept>(`card\u0000${this.mirrorKey}\u0000${decodeURIComponent(h)}`, {
      sync: (token) => this.sync(h, token ?? ''),
      isStaleToken: (e) => e instanceof SyncTokenInvalidError,
      // the sync from scratch listed every href already: no PROPFIND (a second of Radicale's for 1,000 cards)
      readAll: async (listed) => kept(listed ? await this.multiget(h, listed.changed.map((r) => r.href)) : await this.readAll(h)),
      read: async (hrefs) => kept(await this.multiget(h, hrefs)),
    });
    const out: MultigetResult = { objects: [], missing: [], failed: [] };
    for (const o of all) {
      if ('failed' in o) out.failed.push({ href: o.href, error: o.failed });
      else out.objects.push(o);
    }
    // the order a listing has (by href), whatever order the copy was filled in
    out.objects.sort((a, b) => (a.href < b.href ? -1 : a.href > b.href ? 1 : 0));
    return out;
  }

  private async readAll(bookHref: string): Promise<MultigetResult> {
    const refs = await this.listObjects(bookHref);
    return this.multiget(bookHref, refs.map((r) => r.href));
  }

  async getObject(href: string): Promise<ContactObject> {
    const h = normalizeHref(href, this.base);
    const res = await this.fetch(this.url(h), { method: 'GET', headers: { Accept: 'text/vcard, text/x-vcard;q=0.9, */*;q=0.1' } });
    if (!res.ok) await this.fail(res, h, 'object');
    const data = await res.text();
    const etag = res.headers.get('etag') ?? (await this.etagOf(h));
    if (!etag) throw new ContactStoreUnavailableError(`The CardDAV server gives no ETag for ${h}.`);
    const obj: ContactObject = { href: h, etag, data };
    const lm = res.headers.get('last-modified');
    if (lm && !Number.isNaN(Date.parse(lm))) obj.lastModified = new Date(lm);
    return obj;
  }

  /** The current ETag (and existence) of an object: undefined when it does not exist. */
  private async etagOf(href: string): Promise<string | undefined> {
    const res = await propfind({ url: this.url(href), props: { 'd:getetag': {} }, depth: '0', fetch: this.fetch });
    const r = res[0];
    if (!r || r.status === 404 || r.status === 410) return undefined;
    if (!r.ok) throw this.errorFor(r.status, href, '', 'object');
    return textValue((r.props as Props | undefined)?.getetag);
  }

  private async afterWrite(res: Response, href: string): Promise<ContactObjectRef> {
    await res.arrayBuffer().catch(() => undefined);
    // A server that changed what we sent may leave the ETag out (RFC 6352 6.3.2.3): ask for it.
    const etag = res.headers.get('etag') ?? (await this.etagOf(href));
    if (!etag) throw new ContactStoreUnavailableError(`The CardDAV server gives no ETag for ${href} after writing it.`);
    return { href, etag };
  }

  async createObject(bookHref: string, name: string, data: string): Promise<ContactObjectRef> {
    const h = collectionHref(bookHref, this.base) + encodeURIComponent(safeSegment(name));
    const res = await createObject({ url: this.url(h), data, headers: { 'content-type': VCARD_TYPE, 'if-none-match': '*' }, fetch: this.fetch });
    if (res.status === 412) {
      await res.arrayBuffer().catch(() => undefined);
      throw new ContactExistsError(h);
    }
    if (res.status === 404 || res.status === 409) {
      await res.arrayBuffer().catch(() => undefined);
      throw new AddressBookMissingError(collectionHref(bookHref, this.base));
    }
    if (!res.ok) await this.fail(res, h, 'object');
    return this.afterWrite(res, h);
  }

  async updateObject(href: string, data: string, etag: string): Promise<ContactObjectRef> {
    const h = normalizeHref(href, this.base);
    const res = await updateObject({ url: this.url(h), data, etag, headers: { 'content-type': VCARD_TYPE }, fetch: this.fetch });
    if (res.status === 412) await this.conflict(res, h, etag);
    if (!res.ok) await this.fail(res, h, 'object');
    return this.afterWrite(res, h);
  }

  async deleteObject(href: string, etag?: string): Promise<void> {
    const h = normalizeHref(href, this.base);
    const res = await deleteObject({ url: this.url(h), etag, fetch: this.fetch });
    if (res.status === 412 && etag) await this.conflict(res, h, etag);
    if (!res.ok) await this.fail(res, h, 'object');
    await res.arrayBuffer().catch(() => undefined);
  }

  /** A failed If-Match: the object is gone (missing) or changed (conflict with its current ETag). */
  private async conflict(res: Response, href: string, expected: string): Promise<never> {
    await res.arrayBuffer().catch(() => undefined);
    const current = await this.etagOf(href);
    if (current === undefined) throw new ContactMissingError(href);
    throw new ContactConflictError(href, expected, current);
  }

  // ---------------------------------------------------------------- sync

  async sync(bookHref: string, token: string): Promise<SyncResult> {
    const h = collectionHref(bookHref, this.base);
    if (token && !token.startsWith(SYNC_PREFIX) && !token.startsWith(SNAPSHOT_PREFIX)) throw new SyncTokenInvalidError(token);
    const useDav = this.endpoint.syncCollection !== 'never' && (token.startsWith(SYNC_PREFIX) || (!token && (await this.getAddressBook(h)).supportsSync));
    if (useDav) return this.syncCollection(h, token ? token.slice(SYNC_PREFIX.length) : '', token);
    let before = new Map<string, string>();
    if (token) {
      const decoded = decodeSnapshot(h, token);
      if (!decoded) throw new SyncTokenInvalidError(token);
      before = decoded;
    }
    const now = await this.listObjects(h);
    const { changed, deleted } = diffSnapshot(h, before, now);
    return { token: encodeSnapshot(h, now), mode: 'etag-snapshot', changed, deleted: deleted.sort() };
  }

  private async syncCollection(h: string, serverToken: string, token: string): Promise<SyncResult> {
    const changed = new Map<string, ContactObjectRef>();
    const deleted = new Set<string>();
    let current = serverToken;
    // A server may truncate a long answer (507 on the collection, RFC 6578 3.6): ask again from where it stopped.
    for (let round = 0; round < 1000; round++) {
      const res = await syncCollection({
        url: this.url(h),
        props: { 'd:getetag': {}, 'd:getlastmodified': {} },
        syncLevel: 1,
        syncToken: current || undefined,
        headers: { depth: '1' },
        fetch: this.fetch,
      });
      const first = res[0];
      if (first && !first.ok && !isMultistatus(first)) {
        const raw = rawText(first);
        if ((first.status === 403 || first.status === 409) && /valid-?sync-?token/i.test(raw)) throw new SyncTokenInvalidError(token);
        if (current && (first.status === 400 || first.status === 403 || first.status === 409)) throw new SyncTokenInvalidError(token);
        throw this.errorFor(first.status, h, raw.slice(0, 300), 'book');
      }
      let truncated = false;
      for (const r of res) {
        if (!r.href) continue;
        const href = normalizeHref(r.href, this.base);
        if (href === h || href.endsWith('/')) {
          if (r.status === 507) truncated = true;
          continue;
        }
        if (r.status === 404 || r.status === 410) {
          changed.delete(href);
          deleted.add(href);
          continue;
        }
        const ref = this.refOf(r, h);
        if (ref) {
          deleted.delete(href);
          changed.set(href, ref);
        }
      }
      const next = textValue((first?.raw as { multistatus?: { syncToken?: unknown } } | undefined)?.multistatus?.syncToken);
      if (!next) throw new ContactStoreUnavailableError(`The CardDAV server gave no sync-token for ${h}.`);
      current = next;
      if (!truncated) break;
    }
    const sorted = [...changed.values()].sort((a, b) => (a.href < b.href ? -1 : 1));
    return { token: SYNC_PREFIX + current, mode: 'sync-collection', changed: sorted, deleted: [...deleted].sort() };
  }
}
