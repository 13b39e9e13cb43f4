// What the calendar renderers show: one CalDAV object seen as an EWS item
// (a single event, a series master, one occurrence or one exception of it, or a
// task), with the context the answer needs (ids the caller issues, the user, the
// client's zone). Pure.
import type { ExchangeVersion } from '../../soap/envelope.js';
import type { ItemShape } from '../items/shape.js';
import { isRecurring, type Occurrence } from '../../convert/recurrence-expand.js';
import type { CalendarEvent, CalendarObject, Task } from '../../convert/ical.js';

export type CalendarItemTypeName = 'Single' | 'Occurrence' | 'Exception' | 'RecurringMaster';

export interface CalendarItemView {
  kind: 'calendar';
  object: CalendarObject;
  type: CalendarItemTypeName;
  /** What is shown: the master (Single, RecurringMaster, Occurrence) or the override (Exception). */
  event: CalendarEvent;
  /** For Occurrence and Exception: which instance. */
  occurrence?: Occurrence;
  href: string;
  etag: string;
  /** The stored iCalendar text (MimeContent, Size). */
  data: string;
}

export interface TaskView {
  kind: 'task';
  object: CalendarObject;
  task: Task;
  href: string;
  etag: string;
  data: string;
}

export type AnyCalendarView = CalendarItemView | TaskView;

export interface ItemIdentity {
  id: string;
  changeKey: string;
}

export interface CalendarRenderContext {
  version: ExchangeVersion;
  shape: ItemShape;
  /** The mailbox owner: MyResponseType, IsOrganizer, the organizer of plain appointments. */
  user: { email: string; name?: string; addresses?: string[] };
  /** The client's zone (TimeZoneContext, else UTC): floating and all-day times, fallbacks. */
  timeZone: string;
  parentFolder: ItemIdentity;
  /** The ItemId of the rendered item (for occurrences, the id the caller issues for them). */
  itemId(view: AnyCalendarView): ItemIdentity;
  /** The id of another occurrence of the same series (FirstOccurrence, LastOccurrence, ModifiedOccurrences). */
  occurrenceId(view: CalendarItemView, occurrence: Occurrence): ItemIdentity;
  /** An attachment's id (index in the component's ATTACH list); default "<itemId>:<index>". */
  attachmentId?(view: AnyCalendarView, index: number): string;
}

/**
 * The items FindItem without CalendarView shows for one object: the single event or the series
 * master, and overrides whose master is missing (as exceptions).
 */
export function itemViews(object: CalendarObject, href: string, etag: string, data: string): AnyCalendarView[] {
  if (object.kind === 'todo') return object.task ? [{ kind: 'task', object, task: object.task, href, etag, data }] : [];
  const out: AnyCalendarView[] = [];
  if (object.master) out.push({ kind: 'calendar', object, type: isRecurring(object) ? 'RecurringMaster' : 'Single', event: object.master, href, etag, data });
  else {
    for (const o of object.overrides) {
      out.push({
        kind: 'calendar',
        object,
        type: 'Exception',
        event: o,
        occurrence: { index: 0, recurrenceId: o.recurrenceId!, start: o.start, end: o.end, override: o, event: o },
        href,
        etag,
        data,
      });
    }
  }
  return out;
}

/** The item a CalendarView shows for one instance: Single for a one-off event, else Occurrence or Exception. */
export function occurrenceView(object: CalendarObject, occurrence: Occurrence, href: string, etag: string, data: string): CalendarItemView {
  if (!isRecurring(object) && object.master && occurrence.event === object.master) {
    return { kind: 'calendar', object, type: 'Single', event: object.master, href, etag, data };
  }
  return { kind: 'calendar', object, type: occurrence.override ? 'Exception' : 'Occurrence', event: occurrence.event, occurrence, href, etag, data };
}
