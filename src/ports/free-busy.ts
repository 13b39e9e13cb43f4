// The contract for reading other users' free/busy (GetUserAvailability): the
// gateway's own read-only CalDAV credential, configured once (EWSGATE_FREEBUSY_*),
// finds a mailbox's calendars from its address and reads them. Errors as in
// calendar-store.ts: CalendarMissingError when the address has no calendar home,
// ObjectRejectedError (403) when the credential may not read it,
// BackendUnavailableError when the server is down.
import type { CalendarStore, DavCalendar } from './calendar-store.js';

export interface FreeBusyCalendar extends DavCalendar {
  /** schedule-calendar-transp is transparent: the calendar never makes its owner busy. */
  transparent: boolean;
}

export interface FreeBusyReader {
  /** The calendar collections of the user with this SMTP address. */
  calendarsOf(address: string): Promise<FreeBusyCalendar[]>;
  /** Reads the collections calendarsOf named, with the read-only credential. */
  store: Pick<CalendarStore, 'queryObjects' | 'freeBusy' | 'capabilities'>;
}
