// CalendarStore over CalDAV. Object writes go through tsdav (createObject /
// updateObject / deleteObject: conditional PUT and DELETE); collection work and
// REPORTs are plain fetch with multistatus read by dav-xml.ts (tsdav's reader
// coerces values and drops namespaces). The user's credentials are sent as
// Basic on every request and kept nowhere else; nothing is written to disk.
//
// Facts from Radicale 3.1.8 (Debian 12) that shaped this file:
//  - the principal and the calendar home are both /<user>/ ("@" as %40);
//  - sync-collection works on calendar collections; an unknown token is 403
//    with <D:valid-sync-token/>;
//  - free-busy-query is not implemented: the REPORT answers a 207 listing, not
//    text/calendar, so capabilities().freeBusyQuery is false there;
//  - it validates iCalendar on PUT (400 for broken data) and refuses a second
//    resource with the same UID (409, no-uid-conflict);
//  - it accepts some data on PUT that is not valid iCalendar (an hour 25, an
//    unknown TZID without VTIMEZONE): such objects come back like any other and
//    the converter rejects them one by one, never hiding the others;
//  - a file it cannot parse at all that got into its storage (by hand, a
//    restore) makes every listing of the collection (PROPFIND depth 1, every
//    REPORT) fail with 500. queryObjects falls back from a failed REPORT to a
//    listing plus per-resource reads (servers that fail only the REPORT); on
//    Radicale it then throws a BackendUnavailableError that says why.
import { createObject, deleteObject, updateObject } from 'tsdav';
import {
  BackendAuthError,
  BackendUnavailableError,
  CalendarMissingError,
  ConflictError,
  InvalidSyncTokenError,
  ObjectMissingError,
  ObjectRejectedError,
  isDavObject,
  type CalendarComponent,
  type CalendarStore,
  type CalendarStoreCapabilities,
  type DavCalendar,
  type DavObject,
  type DavObjectRef,
  type DavObjectResult,
  type NewCalendar,
  type SyncResult,
  type TimeRange,
} from '../../src/ports/calendar-store.js';
import { parseFreeBusy } from '../../src/convert/ical-freebusy.js';
import { collectionSegment } from '../../src/convert/collection-name.js';
import {
  NS_APPLE,
  NS_CALDAV,
  NS_CS,
  NS_DAV,
  canWrite,
  componentSet,
  davErrorCondition,
  davTime,
  escapeXml,
  hasResourceType,
  parseMultistatus,
  propElement,
  propHref,
  propText,
  type Multistatus,
  type MultistatusResponse,
} from './dav-xml.js';
import type { CollectionMirror } from '../dav/collection-mirror.js';
import { SNAPSHOT_PREFIX, SYNC_PREFIX, decodeSnapshot, diffSnapshots, encodeSnapshot } from './snapshot.js';

export interface CalDavOptions {
  /** Server base URL ("http://127.0.0.1:5232/"); discovery starts here. */
  baseUrl: string;
  username: string;
  password: string;
  /** The calendar home when known (skips discovery). */
  homeUrl?: string;
  /** Per request (default 30 s). */
  timeoutMs?: number;
  /** Multiget batch size (default 100 hrefs per REPORT). */
  multigetBatch?: number;
  /** Where queryObjects keeps calendars current by sync-collection (adapters/dav); none: every query asks the server. */
  mirror?: CollectionMirror;
}

// Discovery results per server and user (never credentials): one PROPFIND pair per process, not per request.
const homeCache = new Map<string, string>();
const capsCache = new Map<string, CalendarStoreCapabilities>();

const ALL_COMPONENTS: CalendarComponent[] = ['VEVENT', 'VTODO', 'VJOURNAL'];
// What a comp-filter on the component matches, read from the text: a component's BEGIN line
// cannot occur otherwise (line breaks inside values are escaped as \n).
const COMPONENT_LINE = { VEVENT: /^BEGIN:VEVENT\r?$/m, VTODO: /^BEGIN:VTODO\r?$/m } as const;

const CALENDAR_PROPS = `<D:prop>
    <D:resourcetype/>
    <D:displayname/>
    <C:calendar-description/>
    <C:supported-calendar-component-set/>
    <I:calendar-color/>
    <CS:getctag/>
    <D:sync-token/>
    <D:current-user-privilege-set/>
  </D:prop>`;
const NS_DECL = `xmlns:D="DAV:" xmlns:C="${NS_CALDAV}" xmlns:CS="${NS_CS}" xmlns:I="${NS_APPLE}"`;

interface DavResponse {
  status: number;
  headers: Headers;
  body: string;
}

function decodedPath(href: string): string {
  try {
    return decodeURIComponent(new URL(href, 'http://x/').pathname);
  } catch {
    return href;
  }
}

function sameHref(a: string, b: string): boolean {
  return decodedPath(a).replace(/\/+$/, '') === decodedPath(b).replace(/\/+$/, '');
}

export class CalDavCalendarStore implements CalendarStore {
  private readonly base: URL;
  private readonly auth: string;
  private readonly timeoutMs: number;
  private readonly batch: number;
  private readonly cacheKey: string;
  private readonly mirror?: CollectionMirror;

  constructor(opts: CalDavOptions) {
    this.mirror = opts.mirror;
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);
    this.auth = 'Basic ' + Buffer.from(`${opts.username}:${opts.password}`, 'utf8').toString('base64');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    this.batch = opts.multigetBatch ?? 100;
    this.cacheKey = `${this.base.href}\u0000${opts.username}`;
    if (opts.homeUrl) homeCache.set(this.cacheKey, new URL(opts.homeUrl, this.base).pathname);
  }

  // ---------------------------------------------------------------- HTTP

  private url(href: string): string {
    return new URL(href, this.base).href;
  }

  /** fetch with Basic auth and a timeout; network failures become BackendUnavailableError, 401 BackendAuthError. */
  private readonly fetcher = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    headers.set('Authorization', this.auth);
    let res: Response;
    try {
      res = await fetch(input, { ...init, headers, signal: AbortSignal.timeout(this.timeoutMs), redirect: 'follow' });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const why = err.name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : (err.cause?.code ?? err.message);
      throw new BackendUnavailableError(`The CalDAV server ${this.base.origin} cannot be reached: ${why}`, e);
    }
    if (res.status === 401) {
      await res.arrayBuffer().catch(() => undefined);
      throw new BackendAuthError('The CalDAV server refused the credentials.');
    }
    return res;
  };

  private async request(method: string, href: string, init: { body?: string; depth?: '0' | '1'; headers?: Record<string, string> } = {}): Promise<DavResponse> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (init.depth) headers.Depth = init.depth;
    if (init.body !== undefined && !headers['Content-Type']) headers['Content-Type'] = 'application/xml; charset=utf-8';
    const res = await this.fetcher(this.url(href), { method, headers, body: init.body });
    const body = await res.text();
    return { status: res.status, headers: res.headers, body };
  }

  private unavailable(what: string, r: DavResponse): BackendUnavailableError {
    return new BackendUnavailableError(`The CalDAV server failed ${what}: HTTP ${r.status} ${r.body.slice(0, 200)}`);
  }

  private multistatus(what: string, r: DavResponse): Multistatus {
    if (r.status !== 207)
      throw r.status >= 500
        ? this.unavailable(what, r)
        : new ObjectRejectedError(what, r.status, davErrorCondition(r.body) ?? (r.body.slice(0, 200) || `HTTP ${r.status}`));
    try {
      return parseMultistatus(r.body);
    } catch (e) {
      throw new BackendUnavailableError(`The CalDAV server answered ${what} with unreadable XML: ${(e as Error).message}`, e);
    }
  }

  private async propfind(href: string, depth: '0' | '1', props: string): Promise<Multistatus> {
    const r = await this.request('PROPFIND', href, {
      depth,
      body: `<?xml version="1.0" encoding="utf-8"?>\n<D:propfind ${NS_DECL}>\n  ${props}\n</D:propfind>`,
    });
    if (r.status === 404) throw new CalendarMissingError(href);
    return this.multistatus(`PROPFIND ${href}`, r);
  }

  // ---------------------------------------------------------------- discovery

  /** The calendar home: current-user-principal → calendar-home-set (cached per server and user). */
  async home(): Promise<string> {
    const cached = homeCache.get(this.cacheKey);
    if (cached) return cached;
    let principal: string | undefined;
    for (const start of [this.base.pathname, '/.well-known/caldav']) {
      const ms = await this.propfind(start, '0', '<D:prop><D:current-user-principal/></D:prop>').catch((e) => {
        if (e instanceof CalendarMissingError || e instanceof ObjectRejectedError) return undefined;
        throw e;
      });
      principal = ms?.responses.map((r) => propHref(r, NS_DAV, 'current-user-principal')).find(Boolean);
      if (principal) break;
    }
    if (!principal) throw new BackendUnavailableError(`The CalDAV server ${this.base.origin} names no current-user-principal.`);
    const ms = await this.propfind(principal, '0', '<D:prop><C:calendar-home-set/></D:prop>');
    const home = ms.responses.map((r) => propHref(r, NS_CALDAV, 'calendar-home-set')).find(Boolean) ?? principal;
    const path = new URL(home, this.base).pathname;
    homeCache.set(this.cacheKey, path.endsWith('/') ? path : `${path}/`);
    return homeCache.get(this.cacheKey)!;
  }

  async capabilities(): Promise<CalendarStoreCapabilities> {
    const cached = capsCache.get(this.base.href);
    if (cached) return cached;
    const cals = await this.listCalendars();
    const probe = cals[0];
    let caps: CalendarStoreCapabilities = { syncCollection: false, freeBusyQuery: false };
    if (probe) {
      caps = {
        syncCollection: probe.syncToken !== undefined,
        freeBusyQuery: (await this.freeBusyRaw(probe.href, { start: new Date(0), end: new Date(1000) })) !== undefined,
      };
      capsCache.set(this.base.href, caps);
    }
    return caps;
  }

  // ---------------------------------------------------------------- collections

  private toCalendar(r: MultistatusResponse): DavCalendar {
    const comps = componentSet(r);
    return {
      href: new URL(r.href, this.base).pathname,
      displayName: propText(r, NS_DAV, 'displayname')?.trim() || decodedPath(r.href).replace(/\/+$/, '').split('/').pop() || 'Calendar',
      description: propText(r, NS_CALDAV, 'calendar-description') || undefined,
      components: comps && comps.length ? (comps.filter((c) => ALL_COMPONENTS.includes(c as CalendarComponent)) as CalendarComponent[]) : [...ALL_COMPONENTS],
      color: propText(r, NS_APPLE, 'calendar-color')?.trim() || undefined,
      ctag: propText(r, NS_CS, 'getctag')?.trim() || undefined,
      syncToken: propText(r, NS_DAV, 'sync-token')?.trim() || undefined,
      writable: canWrite(r),
    };
  }

  async listCalendars(): Promise<DavCalendar[]> {
    const home = await this.home();
    const ms = await this.propfind(home, '1', CALENDAR_PROPS);
    return ms.responses.filter((r) => !sameHref(r.href, home) && hasResourceType(r, NS_CALDAV, 'calendar')).map((r) => this.toCalendar(r));
  }

  /**
   * The calendars under any calendar home, not only the credential's own: a read-only
   * account reading other users' free/busy (adapters/caldav/freebusy-reader.ts). Each
   * says whether RFC 6638 schedule-calendar-transp marks it transparent (its events then
   * never make the owner busy). CalendarMissingError when the home does not exist.
   */
  async listCalendarsAt(home: string): Promise<(DavCalendar & { transparent: boolean })[]> {
    const ms = await this.propfind(home, '1', CALENDAR_PROPS.replace('</D:prop>', '  <C:schedule-calendar-transp/>\n  </D:prop>'));
    return ms.responses
      .filter((r) => !sameHref(r.href, home) && hasResourceType(r, NS_CALDAV, 'calendar'))
      .map((r) => {
        const transp = propElement(r, NS_CALDAV, 'schedule-calendar-transp');
        return { ...this.toCalendar(r), transparent: !!transp && transp.getElementsByTagNameNS(NS_CALDAV, 'transparent').length > 0 };
      });
  }

  async getCalendar(href: string): Promise<DavCalendar> {
    const ms = await this.propfind(href, '0', CALENDAR_PROPS);
    const r = ms.responses.find((x) => sameHref(x.href, href)) ?? ms.responses[0];
    if (!r || !hasResourceType(r, NS_CALDAV, 'calendar')) throw new CalendarMissingError(href);
    return this.toCalendar(r);
  }

  async createCalendar(cal: NewCalendar): Promise<DavCalendar> {
    const home = await this.home();
    const name = cal.name ?? collectionSegment(cal.displayName, 'calendar');
    if (!/^[^/\\\u0000-\u001f]+$/.test(name) || name === '.' || name === '..') throw new ObjectRejectedError(name, 400, 'not a usable collection name');
    const href = `${home}${encodeURIComponent(name)}/`;
    const comps = cal.components.map((c) => `<C:comp name="${c}"/>`).join('');
    const body = `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar ${NS_DECL}>
  <D:set><D:prop>
    <D:displayname>${escapeXml(cal.displayName)}</D:displayname>
    ${cal.description ? `<C:calendar-description>${escapeXml(cal.description)}</C:calendar-description>` : ''}
    <C:supported-calendar-component-set>${comps}</C:supported-calendar-component-set>
    ${cal.color ? `<I:calendar-color>${escapeXml(cal.color)}</I:calendar-color>` : ''}
  </D:prop></D:set>
</C:mkcalendar>`;
    const r = await this.request('MKCALENDAR', href, { body });
    if (r.status === 405 || r.status === 409 || r.status === 412) throw new ConflictError(href, 'exists');
    if (r.status >= 500) throw this.unavailable(`MKCALENDAR ${href}`, r);
    if (r.status !== 201 && r.status !== 200)
      throw new ObjectRejectedError(href, r.status, davErrorCondition(r.body) ?? (r.body.slice(0, 200) || 'MKCALENDAR refused'));
    return this.getCalendar(href);
  }

  async updateCalendar(href: string, changes: { displayName?: string; color?: string; description?: string }): Promise<void> {
    const set: string[] = [];
    const remove: string[] = [];
    const item = (value: string | undefined, el: string) => {
      if (value === undefined) return;
      if (value === '') remove.push(`<${el}/>`);
      else set.push(`<${el}>${escapeXml(value)}</${el}>`);
    };
    item(changes.displayName, 'D:displayname');
    item(changes.color, 'I:calendar-color');
    item(changes.description, 'C:calendar-description');
    if (!set.length && !remove.length) return;
    const body = `<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate ${NS_DECL}>
  ${set.length ? `<D:set><D:prop>${set.join('')}</D:prop></D:set>` : ''}
  ${remove.length ? `<D:remove><D:prop>${remove.join('')}</D:prop></D:remove>` : ''}
</D:propertyupdate>`;
    const r = await this.request('PROPPATCH', href, { body });
    if (r.status === 404) throw new CalendarMissingError(href);
    const ms = this.multistatus(`PROPPATCH ${href}`, r);
    for (const resp of ms.responses) {
      for (const [name, ps] of resp.props) {
        if (ps.status < 200 || ps.status > 299) throw new ObjectRejectedError(href, ps.status, `PROPPATCH of ${name} refused`);
      }
    }
  }

  async deleteCalendar(href: string): Promise<void> {
    const r = await this.request('DELETE', href);
    if (r.status === 404) throw new CalendarMissingError(href);
    if (r.status >= 500) throw this.unavailable(`DELETE ${href}`, r);
    if (r.status !== 200 && r.status !== 204) throw new ObjectRejectedError(href, r.status, davErrorCondition(r.body) ?? 'DELETE refused');
  }

  // ---------------------------------------------------------------- objects

  async listObjects(calendarHref: string): Promise<DavObjectRef[]> {
    const ms = await this.propfind(calendarHref, '1', '<D:prop><D:getetag/><D:resourcetype/></D:prop>');
    return ms.responses
      .filter((r) => !sameHref(r.href, calendarHref) && !hasResourceType(r, NS_DAV, 'collection'))
      .map((r) => ({ href: new URL(r.href, this.base).pathname, etag: propText(r, NS_DAV, 'getetag')?.trim() ?? '' }));
  }

  private objectResults(ms: Multistatus): DavObjectResult[] {
    return ms.responses.map((r) => {
      const href = new URL(r.href, this.base).pathname;
      const data = propText(r, NS_CALDAV, 'calendar-data');
      const etag = propText(r, NS_DAV, 'getetag')?.trim();
      if (data !== undefined && etag !== undefined) return { href, etag, data };
      const status = r.status ?? r.props.get(`{${NS_CALDAV}}calendar-data`)?.status ?? 500;
      return { href, status, error: r.error ?? (status === 404 ? 'not found' : 'no calendar data') };
    });
  }

  async queryObjects(calendarHref: string, query: { component: 'VEVENT' | 'VTODO'; range?: TimeRange }): Promise<DavObjectResult[]> {
    // A server without sync-collection is asked the time-range query: SabreDAV indexes it.
    if (this.mirror?.enabled && (await this.capabilities()).syncCollection) {
      const all = await this.mirror.objects(`cal\u0000${this.cacheKey}\u0000${decodedPath(calendarHref)}`, {
        sync: (token) => this.syncCollection(calendarHref, token),
        isStaleToken: (e) => e instanceof InvalidSyncTokenError,
        readAll: () => this.calendarQuery(calendarHref, ''),
        read: async (hrefs) => (await this.readEach(calendarHref, hrefs)).filter((r) => isDavObject(r) || r.status !== 404),
      });
      // the whole collection, unfiltered by range: callers expand and check instances themselves
      const holds = COMPONENT_LINE[query.component];
      return all.filter((r) => !isDavObject(r) || holds.test(r.data));
    }
    const range = query.range ? `<C:time-range start="${davTime(query.range.start)}" end="${davTime(query.range.end)}"/>` : '';
    return this.calendarQuery(calendarHref, `<C:comp-filter name="${query.component}">${range}</C:comp-filter>`);
  }

  /** calendar-query REPORT with this filter inside VCALENDAR's; a REPORT that fails as a whole is read object by object. */
  private async calendarQuery(calendarHref: string, filter: string): Promise<DavObjectResult[]> {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query ${NS_DECL}>
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR">${filter}</C:comp-filter></C:filter>
</C:calendar-query>`;
    const r = await this.request('REPORT', calendarHref, { depth: '1', body });
    if (r.status === 404) throw new CalendarMissingError(calendarHref);
    if (r.status === 207) return this.objectResults(this.multistatus(`REPORT ${calendarHref}`, r)).filter((x) => !sameHref(x.href, calendarHref));
    if (r.status < 500) throw new ObjectRejectedError(calendarHref, r.status, davErrorCondition(r.body) ?? 'calendar-query refused');
    // The whole REPORT failed: one stored object the server cannot read breaks it. List the
    // collection and read each object on its own, so the others still come back.
    let refs: DavObjectRef[];
    try {
      refs = await this.listObjects(calendarHref);
    } catch (e) {
      if (!(e instanceof BackendUnavailableError) || /cannot be reached/.test(e.message)) throw e;
      // Radicale 3.1 parses every stored object for any listing: one it cannot parse fails them all.
      throw new BackendUnavailableError(
        `The CalDAV server cannot list ${calendarHref}: the calendar-query REPORT failed with HTTP ${r.status} and so did the PROPFIND listing ` +
          `(a stored object the server itself cannot parse does that on Radicale; its log names the file).`,
        e,
      );
    }
    return this.readEach(
      calendarHref,
      refs.map((x) => x.href),
    );
  }

  /** multiget in batches; a batch that fails as a whole is read one GET at a time. */
  private async readEach(calendarHref: string, hrefs: string[]): Promise<DavObjectResult[]> {
    const out: DavObjectResult[] = [];
    for (let i = 0; i < hrefs.length; i += this.batch) {
      const part = hrefs.slice(i, i + this.batch);
      const got = await this.multiGetBatch(calendarHref, part).catch((e) => {
        if (e instanceof BackendUnavailableError && !/cannot be reached/.test(e.message)) return undefined;
        throw e;
      });
      if (got) {
        out.push(...got);
        continue;
      }
      for (const href of part) {
        try {
          out.push(await this.getObject(href));
        } catch (e) {
          if (e instanceof ObjectMissingError) out.push({ href, status: 404, error: 'not found' });
          else if (e instanceof BackendUnavailableError && !/cannot be reached/.test(e.message)) out.push({ href, status: 500, error: e.message });
          else throw e;
        }
      }
    }
    return out;
  }

  private async multiGetBatch(calendarHref: string, hrefs: string[]): Promise<DavObjectResult[]> {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-multiget ${NS_DECL}>
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  ${hrefs.map((h) => `<D:href>${escapeXml(h)}</D:href>`).join('\n  ')}
</C:calendar-multiget>`;
    const r = await this.request('REPORT', calendarHref, { depth: '1', body });
    if (r.status === 404) throw new CalendarMissingError(calendarHref);
    const results = this.objectResults(this.multistatus(`REPORT ${calendarHref}`, r));
    // request order; hrefs the server left out are missing
    return hrefs.map((h) => results.find((x) => sameHref(x.href, h)) ?? { href: h, status: 404, error: 'not found' });
  }

  async multiGet(calendarHref: string, hrefs: string[]): Promise<DavObjectResult[]> {
    if (!hrefs.length) return [];
    return this.readEach(calendarHref, hrefs);
  }

  async getObject(href: string): Promise<DavObject> {
    const r = await this.request('GET', href, { headers: { Accept: 'text/calendar' } });
    if (r.status === 404 || r.status === 410) throw new ObjectMissingError(href);
    if (r.status >= 500) throw this.unavailable(`GET ${href}`, r);
    if (r.status !== 200) throw new ObjectRejectedError(href, r.status, 'GET refused');
    return { href: new URL(href, this.base).pathname, etag: r.headers.get('etag') ?? (await this.etagOf(href)) ?? '', data: r.body };
  }

  private async etagOf(href: string): Promise<string | undefined> {
    const r = await this.request('PROPFIND', href, {
      depth: '0',
      body: `<?xml version="1.0" encoding="utf-8"?>\n<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`,
    });
    if (r.status === 404) return undefined;
    if (r.status !== 207) return undefined;
    return this.multistatus(`PROPFIND ${href}`, r)
      .responses.map((x) => propText(x, NS_DAV, 'getetag')?.trim())
      .find(Boolean);
  }

  private async writeOutcome(href: string, res: Response, kind: 'create' | 'update'): Promise<DavObjectRef> {
    const body = await res.text();
    if (res.status === 412) {
      if (kind === 'create') throw new ConflictError(href, 'exists');
      const current = await this.etagOf(href);
      if (current === undefined) throw new ObjectMissingError(href);
      throw new ConflictError(href, 'changed', current);
    }
    if (res.status === 404 || res.status === 410) {
      if (kind === 'update') throw new ObjectMissingError(href);
      throw new CalendarMissingError(href.replace(/[^/]+$/, ''));
    }
    if (res.status >= 500) throw new BackendUnavailableError(`The CalDAV server failed PUT ${href}: HTTP ${res.status} ${body.slice(0, 200)}`);
    if (res.status !== 200 && res.status !== 201 && res.status !== 204) {
      throw new ObjectRejectedError(href, res.status, davErrorCondition(body) ?? (body.trim().slice(0, 200) || res.statusText));
    }
    const etag = res.headers.get('etag') ?? (await this.etagOf(href));
    if (!etag) throw new BackendUnavailableError(`The CalDAV server stored ${href} but tells no ETag for it.`);
    return { href: new URL(href, this.base).pathname, etag };
  }

  async createObject(calendarHref: string, name: string, data: string): Promise<DavObjectRef> {
    if (!/^[^/\\\u0000-\u001f]+$/.test(name) || name === '.' || name === '..') throw new ObjectRejectedError(name, 400, 'not a usable resource name');
    const dir = calendarHref.endsWith('/') ? calendarHref : `${calendarHref}/`;
    const href = `${dir}${encodeURIComponent(name)}`;
    const res = await createObject({
      url: this.url(href),
      data,
      headers: { 'Content-Type': 'text/calendar; charset=utf-8', 'If-None-Match': '*' },
      fetch: this.fetcher,
    });
    return this.writeOutcome(href, res, 'create');
  }

  async updateObject(href: string, data: string, etag: string): Promise<DavObjectRef> {
    const res = await updateObject({ url: this.url(href), data, etag, headers: { 'Content-Type': 'text/calendar; charset=utf-8' }, fetch: this.fetcher });
    return this.writeOutcome(href, res, 'update');
  }

  async deleteObject(href: string, etag?: string): Promise<void> {
    const res = await deleteObject({ url: this.url(href), etag, fetch: this.fetcher });
    const body = await res.text();
    if (res.status === 404 || res.status === 410) throw new ObjectMissingError(href);
    if (res.status === 412) {
      const current = await this.etagOf(href);
      if (current === undefined) throw new ObjectMissingError(href);
      throw new ConflictError(href, 'changed', current);
    }
    if (res.status >= 500) throw new BackendUnavailableError(`The CalDAV server failed DELETE ${href}: HTTP ${res.status} ${body.slice(0, 200)}`);
    if (res.status !== 200 && res.status !== 204) throw new ObjectRejectedError(href, res.status, davErrorCondition(body) ?? 'DELETE refused');
  }

  // ---------------------------------------------------------------- sync

  async syncCollection(calendarHref: string, token?: string): Promise<SyncResult> {
    if (token !== undefined && token !== '' && !token.startsWith(SYNC_PREFIX) && !token.startsWith(SNAPSHOT_PREFIX))
      throw new InvalidSyncTokenError(calendarHref);
    if (token?.startsWith(SNAPSHOT_PREFIX)) return this.snapshotSync(calendarHref, token);
    const caps = await this.capabilities();
    if (!caps.syncCollection) return this.snapshotSync(calendarHref, token);
    const serverToken = token ? token.slice(SYNC_PREFIX.length) : '';
    const body = `<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:">
  <D:sync-token>${escapeXml(serverToken)}</D:sync-token>
  <D:sync-level>1</D:sync-level>
  <D:prop><D:getetag/></D:prop>
</D:sync-collection>`;
    const r = await this.request('REPORT', calendarHref, { depth: '0', body });
    if (r.status === 404) throw new CalendarMissingError(calendarHref);
    if ((r.status === 403 || r.status === 409 || r.status === 400) && /valid-sync-token/.test(r.body)) throw new InvalidSyncTokenError(calendarHref);
    const ms = this.multistatus(`REPORT sync-collection ${calendarHref}`, r);
    if (!ms.syncToken) throw new BackendUnavailableError(`The CalDAV server answered sync-collection on ${calendarHref} without a sync-token.`);
    const changed: DavObjectRef[] = [];
    const deleted: string[] = [];
    let truncated = false;
    for (const resp of ms.responses) {
      const href = new URL(resp.href, this.base).pathname;
      if (sameHref(href, calendarHref)) {
        if (resp.status === 507) truncated = true;
        continue;
      }
      if (resp.status === 404) deleted.push(href);
      else {
        const etag = propText(resp, NS_DAV, 'getetag')?.trim();
        if (etag) changed.push({ href, etag });
      }
    }
    return { token: SYNC_PREFIX + ms.syncToken, changed, deleted, truncated, method: 'sync-collection' };
  }

  private async snapshotSync(calendarHref: string, token?: string): Promise<SyncResult> {
    const now = await this.listObjects(calendarHref);
    let before: DavObjectRef[] = [];
    if (token) {
      const decoded = decodeSnapshot(token);
      if (!decoded) throw new InvalidSyncTokenError(calendarHref);
      before = decoded;
    }
    const { changed, deleted } = diffSnapshots(before, now);
    return { token: encodeSnapshot(now), changed, deleted, truncated: false, method: 'etag-snapshot' };
  }

  // ---------------------------------------------------------------- free/busy

  private async freeBusyRaw(calendarHref: string, range: TimeRange): Promise<string | undefined> {
    const body = `<?xml version="1.0" encoding="utf-8"?>
<C:free-busy-query xmlns:C="${NS_CALDAV}">
  <C:time-range start="${davTime(range.start)}" end="${davTime(range.end)}"/>
</C:free-busy-query>`;
    const r = await this.request('REPORT', calendarHref, { depth: '1', body });
    if (r.status === 404) throw new CalendarMissingError(calendarHref);
    const type = r.headers.get('content-type') ?? '';
    if (r.status === 200 && /text\/calendar/i.test(type) && /BEGIN:VFREEBUSY/i.test(r.body)) return r.body;
    return undefined;
  }

  async freeBusy(
    calendarHref: string,
    range: TimeRange,
  ): Promise<{ start: Date; end: Date; type: 'BUSY' | 'BUSY-TENTATIVE' | 'BUSY-UNAVAILABLE' }[] | undefined> {
    const caps = capsCache.get(this.base.href);
    if (caps && !caps.freeBusyQuery) return undefined;
    const text = await this.freeBusyRaw(calendarHref, range);
    if (text === undefined) return undefined;
    const type = { Busy: 'BUSY', Tentative: 'BUSY-TENTATIVE', OOF: 'BUSY-UNAVAILABLE', WorkingElsewhere: 'BUSY-TENTATIVE', NoData: 'BUSY' } as const;
    return parseFreeBusy(text).map((b) => ({ start: b.start, end: b.end, type: type[b.status] }));
  }
}

/** Forgets discovered homes and capabilities (tests; a server that changed). */
export function clearCalDavCaches(): void {
  homeCache.clear();
  capsCache.clear();
}

export { isDavObject };
