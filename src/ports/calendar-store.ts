// The contract between EWS operations and a calendar backend (CalDAV). Operations
// see only this; adapters/caldav implements it with tsdav and fetch.
//
// Hrefs are the server's own paths for collections and resources, as it spells
// them in multistatus answers ("/alice%40example.test/calendar/x.ics"): pass them
// back unchanged. Object data is iCalendar text; src/convert/ical.ts reads and
// writes it. ETags are opaque strings including their quotes, as the server sent them.
//
// Errors: CalendarMissingError / ObjectMissingError (404), ConflictError (412: a
// stale ETag, or an object that exists already), ObjectRejectedError (the server
// refused the data or the operation: 400/403/409/415 with its reason),
// InvalidSyncTokenError (the server no longer knows a sync token: sync again from
// scratch), and the mail port's BackendUnavailableError (down, timed out, 5xx) and
// BackendAuthError (401), so src/ews/errors.ts maps them like mail's.
import { BackendAuthError, BackendUnavailableError } from './mail-store.js';

export { BackendAuthError, BackendUnavailableError };

export type CalendarComponent = 'VEVENT' | 'VTODO' | 'VJOURNAL';

export interface DavCalendar {
  /** Server path of the collection, with a trailing slash. */
  href: string;
  displayName: string;
  description?: string;
  /** supported-calendar-component-set; every component when the server does not restrict. */
  components: CalendarComponent[];
  /** Apple's calendar-color, "#RRGGBB" or "#RRGGBBAA". */
  color?: string;
  /** CalendarServer getctag: changes whenever anything in the collection changes. */
  ctag?: string;
  /** DAV:sync-token (RFC 6578), when the server supports sync-collection. */
  syncToken?: string;
  /** False when the user lacks DAV:write-content on the collection. */
  writable: boolean;
}

export interface DavObjectRef {
  href: string;
  etag: string;
}

export interface DavObject extends DavObjectRef {
  data: string;
}

/** One resource in a REPORT answer: its data, or why the server could not give it. */
export type DavObjectResult = DavObject | { href: string; status: number; error: string };

export function isDavObject(r: DavObjectResult): r is DavObject {
  return 'data' in r;
}

export interface TimeRange {
  start: Date;
  end: Date;
}

export interface SyncResult {
  /**
   * The state to pass next time. "sync:<server token>" for RFC 6578, or "snap:<…>" for the
   * ETag-snapshot fallback (a compressed list of every href and ETag: self-contained, so it can
   * live in the client's SyncState; its size grows with the collection).
   */
  token: string;
  /** Created or changed since the given token (all objects for a first sync). */
  changed: DavObjectRef[];
  /** Hrefs removed since the given token. */
  deleted: string[];
  /** The server cut the answer short (507): call again with `token` for the rest. */
  truncated: boolean;
  /** How the changes were found. */
  method: 'sync-collection' | 'etag-snapshot';
}

export interface CalendarStoreCapabilities {
  /** RFC 6578 sync-collection on calendar collections. */
  syncCollection: boolean;
  /** CalDAV free-busy-query REPORT (RFC 4791 §7.10) answering text/calendar. */
  freeBusyQuery: boolean;
}

export interface NewCalendar {
  /** Last path segment of the new collection (the adapter picks one from the display name when absent). */
  name?: string;
  displayName: string;
  components: CalendarComponent[];
  color?: string;
  description?: string;
}

export interface CalendarStore {
  /** What the server can do; learned on first use (one OPTIONS / REPORT probe) and cached. */
  capabilities(): Promise<CalendarStoreCapabilities>;
  /** The user's calendar collections (calendar-home-set, depth 1), in the server's order. */
  listCalendars(): Promise<DavCalendar[]>;
  /** One collection's properties; CalendarMissingError when it is gone. */
  getCalendar(href: string): Promise<DavCalendar>;
  /** MKCALENDAR under the calendar home. ConflictError('exists') when the name is taken. */
  createCalendar(cal: NewCalendar): Promise<DavCalendar>;
  /** PROPPATCH of the display name, color or description. */
  updateCalendar(href: string, changes: { displayName?: string; color?: string; description?: string }): Promise<void>;
  /** Deletes the collection and everything in it. */
  deleteCalendar(href: string): Promise<void>;
  /** Every resource's href and ETag (PROPFIND depth 1), without data. */
  listObjects(calendarHref: string): Promise<DavObjectRef[]>;
  /**
   * Resources holding the component, with data. `range` is a hint: the server may be asked to
   * leave out resources without an instance in it (calendar-query time-range), but an adapter
   * that keeps a current copy of the collection (adapters/dav/collection-mirror.ts) answers all of them,
   * so callers expand and check instances themselves. A resource the server cannot read comes
   * back as an error entry, never hiding the others. Order is not meaningful.
   */
  queryObjects(calendarHref: string, query: { component: 'VEVENT' | 'VTODO'; range?: TimeRange }): Promise<DavObjectResult[]>;
  /** calendar-multiget REPORT; hrefs the server does not have come back as 404 entries, in request order. */
  multiGet(calendarHref: string, hrefs: string[]): Promise<DavObjectResult[]>;
  /** GET; ObjectMissingError when it is gone (e.g. deleted by another client). */
  getObject(href: string): Promise<DavObject>;
  /** PUT with If-None-Match: * as `name` inside the collection. ConflictError('exists') when taken. */
  createObject(calendarHref: string, name: string, data: string): Promise<DavObjectRef>;
  /** PUT with If-Match: etag. ConflictError('changed') for a stale ETag, ObjectMissingError when gone. */
  updateObject(href: string, data: string, etag: string): Promise<DavObjectRef>;
  /** DELETE, with If-Match when an etag is given. */
  deleteObject(href: string, etag?: string): Promise<void>;
  /**
   * Changes since `token` (undefined: everything). Uses sync-collection where the server has it,
   * else compares ETag snapshots. InvalidSyncTokenError when the server forgot the token.
   */
  syncCollection(calendarHref: string, token?: string): Promise<SyncResult>;
  /** Busy periods from the server's free-busy-query; undefined when the server has none (then compute from events). */
  freeBusy(calendarHref: string, range: TimeRange): Promise<{ start: Date; end: Date; type: 'BUSY' | 'BUSY-TENTATIVE' | 'BUSY-UNAVAILABLE' }[] | undefined>;
}

export class CalendarMissingError extends Error {
  constructor(readonly href: string) {
    super(`No such calendar: ${href}`);
    this.name = 'CalendarMissingError';
  }
}

export class ObjectMissingError extends Error {
  constructor(readonly href: string) {
    super(`No such calendar object: ${href} (deleted or moved by another client?)`);
    this.name = 'ObjectMissingError';
  }
}

export class ConflictError extends Error {
  constructor(
    readonly href: string,
    /** exists: If-None-Match failed; changed: the ETag given is not the current one. */
    readonly kind: 'exists' | 'changed',
    /** The current ETag, when the server told. */
    readonly currentEtag?: string,
  ) {
    super(kind === 'exists' ? `${href} exists already.` : `${href} was changed by someone else (stale ETag).`);
    this.name = 'ConflictError';
  }
}

export class ObjectRejectedError extends Error {
  constructor(
    readonly href: string,
    readonly status: number,
    /** The server's precondition (e.g. "valid-calendar-data", "no-uid-conflict") or its text. */
    readonly reason: string,
  ) {
    super(`The server refused ${href} (HTTP ${status}): ${reason}`);
    this.name = 'ObjectRejectedError';
  }
}

export class InvalidSyncTokenError extends Error {
  constructor(readonly href: string) {
    super(`The server no longer accepts the sync token for ${href}.`);
    this.name = 'InvalidSyncTokenError';
  }
}
