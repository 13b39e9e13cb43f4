// FreeBusyReader over CalDAV: one read-only account (EWSGATE_FREEBUSY_USER) that
// the CalDAV server lets read every user's calendars. Another user's calendar
// home is found by pattern, not discovery: a principal's calendar-home-set is
// only readable once we know the principal, and on Radicale both are /<user>/.
import { CalDavCalendarStore } from './caldav-store.js';
import type { FreeBusyCalendar, FreeBusyReader } from '../../src/ports/free-busy.js';

export interface FreeBusyReaderOptions {
  baseUrl: string;
  username: string;
  password: string;
  /** Calendar home of a user: "/{user}/" ({user}: the address, {localpart}, {domain}; URL-encoded). */
  homePattern: string;
  timeoutMs?: number;
}

/** The calendar home path for an address ("alice@example.test" with "/{user}/" → "/alice%40example.test/"). */
export function calendarHomeOf(pattern: string, address: string): string {
  const at = address.lastIndexOf('@');
  const parts: Record<string, string> = {
    user: address,
    localpart: at < 0 ? address : address.slice(0, at),
    domain: at < 0 ? '' : address.slice(at + 1),
  };
  // addresses are case-insensitive; CalDAV user names (Radicale's, the harness's) are lower case
  const path = pattern.replace(/\{(user|localpart|domain)\}/g, (_, k: string) => encodeURIComponent(parts[k].toLowerCase()));
  return path.endsWith('/') ? path : `${path}/`;
}

export class CalDavFreeBusyReader implements FreeBusyReader {
  readonly store: CalDavCalendarStore;

  constructor(private readonly opts: FreeBusyReaderOptions) {
    this.store = new CalDavCalendarStore({ baseUrl: opts.baseUrl, username: opts.username, password: opts.password, timeoutMs: opts.timeoutMs });
  }

  calendarsOf(address: string): Promise<FreeBusyCalendar[]> {
    return this.store.listCalendarsAt(calendarHomeOf(this.opts.homePattern, address));
  }
}
