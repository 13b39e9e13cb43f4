// From CalDAV answers to the views the renderer shows, pure: parse each object on
// its own (a broken one is reported, never hiding the others), and lay out what
// FindItem shows with and without a CalendarView.
import { EwsError } from '../errors.js';
import type { DavObjectResult } from '../../ports/calendar-store.js';
import { IcalError, parseCalendarObject, type CalendarObject, type ParseOptions } from '../../convert/ical.js';
import { expandObject } from '../../convert/recurrence-expand.js';
import { itemViews, occurrenceView, type AnyCalendarView, type CalendarItemView } from './views.js';

export interface LoadedObject {
  href: string;
  etag: string;
  data: string;
  object: CalendarObject;
}

export interface BrokenObject {
  href: string;
  etag?: string;
  /** Why it could not be read (the server's status, or the converter's precise reason). */
  error: string;
}

/** Parses every object of a REPORT answer on its own. */
export function readObjects(results: DavObjectResult[], opts: ParseOptions = {}): { objects: LoadedObject[]; broken: BrokenObject[] } {
  const objects: LoadedObject[] = [];
  const broken: BrokenObject[] = [];
  for (const r of results) {
    if (!('data' in r)) {
      broken.push({ href: r.href, error: `HTTP ${r.status}: ${r.error}` });
      continue;
    }
    try {
      objects.push({ href: r.href, etag: r.etag, data: r.data, object: parseCalendarObject(r.data, opts) });
    } catch (e) {
      if (!(e instanceof IcalError)) throw e;
      broken.push({ href: r.href, etag: r.etag, error: e.message });
    }
  }
  return { objects, broken };
}

/** FindItem without CalendarView: single events and series masters (and tasks), in the given order. */
export function findItemViews(objects: LoadedObject[]): AnyCalendarView[] {
  return objects.flatMap((o) => itemViews(o.object, o.href, o.etag, o.data));
}

/**
 * The longest CalendarView we expand (ErrorCalendarViewRangeTooBig beyond it): our bound on the
 * work one request can ask for; clients page calendars by weeks or months.
 */
export const MAX_CALENDAR_VIEW_DAYS = 2 * 366;

/** Checks a CalendarView's StartDate/EndDate, with Exchange's error codes. */
export function checkCalendarView(start: Date, end: Date): void {
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()))
    throw new EwsError('ErrorInvalidRequest', 'CalendarView needs a valid StartDate and EndDate.');
  if (end.getTime() < start.getTime())
    throw new EwsError('ErrorCalendarEndDateIsEarlierThanStartDate', `CalendarView ends (${end.toISOString()}) before it starts (${start.toISOString()}).`);
  if (end.getTime() - start.getTime() > MAX_CALENDAR_VIEW_DAYS * 86_400_000) {
    throw new EwsError('ErrorCalendarViewRangeTooBig', `A CalendarView may span at most ${MAX_CALENDAR_VIEW_DAYS} days.`);
  }
}

/**
 * FindItem with a CalendarView: every instance overlapping [start, end) of every object, as
 * Single / Occurrence / Exception items in start order. With `max` (MaxEntriesReturned) the
 * list is cut and `more` says whether anything was left out.
 */
export function calendarViewItems(objects: LoadedObject[], start: Date, end: Date, max?: number): { items: CalendarItemView[]; more: boolean } {
  // Sorted on start instants read once per item (a year's view sorts thousands).
  const keyed: { ms: number; view: CalendarItemView }[] = [];
  for (const o of objects) {
    if (o.object.kind !== 'event') continue;
    for (const occ of expandObject(o.object, { start, end })) {
      const view = occurrenceView(o.object, occ, o.href, o.etag, o.data);
      keyed.push({ ms: (view.occurrence?.start ?? view.event.start).utc.getTime(), view });
    }
  }
  keyed.sort((a, b) => a.ms - b.ms || a.view.href.localeCompare(b.view.href));
  const all = keyed.map((k) => k.view);
  if (max !== undefined && all.length > max) return { items: all.slice(0, max), more: true };
  return { items: all, more: false };
}
