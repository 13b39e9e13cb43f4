// Extended (MAPI) properties of calendar items and tasks, answered from the
// iCalendar data: what DavMail and Outlook ask by PropertyTag or by named
// property (PidLid… in the Appointment, Common, Task and Meeting sets; the
// PublicStrings names DavMail uses). Values are EWS text (booleans "true",
// times ISO UTC, binaries base64). Pure.
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import type { PropertyPath } from '../properties/path.js';
import { cleanGlobalObjectIdFromUid, globalObjectIdFromUid, urlCompNameOfHref } from '../../convert/ical-ids.js';
import { seriesBounds } from '../../convert/recurrence-expand.js';
import type { AnyCalendarView, CalendarItemView, CalendarRenderContext, TaskView } from './views.js';
import { myResponseType, isOrganizer, isoUtc } from './common.js';

export type ExtendedPath = Extract<PropertyPath, { kind: 'extended' }>;

const SET_GUIDS: Record<string, string> = {
  '00062002-0000-0000-c000-000000000046': 'appointment',
  '00062008-0000-0000-c000-000000000046': 'common',
  '00062003-0000-0000-c000-000000000046': 'task',
  '6ed8da90-450b-101b-98da-00aa003f1305': 'meeting',
  '00020329-0000-0000-c000-000000000046': 'publicstrings',
  '00020386-0000-0000-c000-000000000046': 'internetheaders',
};

/** The named-property set as a lower-case name ("appointment", "publicstrings" …). */
export function propertySetOf(p: ExtendedPath): string | undefined {
  const s = p.propertySet?.toLowerCase().replace(/[{}]/g, '');
  if (!s) return undefined;
  return SET_GUIDS[s] ?? s;
}

const PR_IMPORTANCE = 0x0017;
const PR_MESSAGE_CLASS = 0x001a;
const PR_SENSITIVITY = 0x0036;
const PR_SUBJECT = 0x0037;
const PR_MESSAGE_DELIVERY_TIME = 0x0e06;
const PR_MESSAGE_FLAGS = 0x0e07;
const PR_MESSAGE_SIZE = 0x0e08;
const PR_INTERNET_ARTICLE_NUMBER = 0x0e23;
const PR_RECORD_KEY = 0x0ff9;
const PR_URL_COMP_NAME = 0x10f3;
const PR_DISPLAY_NAME = 0x3001;
const PR_CREATION_TIME = 0x3007;
const PR_LAST_MODIFICATION_TIME = 0x3008;

const b = (v: boolean) => (v ? 'true' : 'false');

const NO_END = '4500-08-31T23:59:00Z';

/**
 * PR_LAST_MODIFICATION_TIME, which DavMail uses as the item's ETag: the iCalendar
 * LAST-MODIFIED (or DTSTAMP) plus 0–59 seconds taken from the CalDAV ETag, so that it
 * changes whenever the stored object changes, even when a writer kept LAST-MODIFIED.
 * Whole seconds: DavMail copies it into LAST-MODIFIED and refuses any other length than
 * "yyyy-MM-ddTHH:mm:ssZ" (EwsExchangeSession.convertDateFromExchange), failing the event.
 */
export function lastModificationTime(view: AnyCalendarView): string | undefined {
  const m = view.kind === 'calendar' ? view.event : view.task;
  const base = m.lastModified ?? m.stamp ?? m.created;
  if (!base) return undefined;
  const s = createHash('sha1').update(view.etag).digest().readUInt16BE(0) % 60;
  return isoUtc(new Date((Math.floor(base.getTime() / 1000) + s) * 1000));
}

function common(view: AnyCalendarView, p: ExtendedPath): string | string[] | undefined {
  const m = view.kind === 'calendar' ? view.event : view.task;
  const set = propertySetOf(p);
  if (set === 'publicstrings' && p.propertyName === 'Keywords') return m.categories.length ? m.categories : undefined;
  if (set === 'publicstrings' && p.propertyName === 'urn:schemas:calendar:uid') return m.uid;
  if (set === 'publicstrings' && p.propertyName && /^xmoz/i.test(p.propertyName)) {
    const name = { xmozlastack: 'x-moz-lastack', xmozsnoozetime: 'x-moz-snooze-time', xmozsendinvitations: 'x-moz-send-invitations' }[
      p.propertyName.toLowerCase()
    ];
    const v = name ? m.component.getFirstPropertyValue(name) : undefined;
    return v === null || v === undefined ? undefined : String(v);
  }
  if (set === 'common' && p.propertyId === 0x8506) return b(m.sensitivity === 'Private' || m.sensitivity === 'Confidential');
  if (p.propertyId !== undefined || p.propertyName !== undefined) return undefined;
  switch (p.tag) {
    case PR_SUBJECT:
    case PR_DISPLAY_NAME:
      return m.subject;
    case PR_IMPORTANCE:
      return String({ Low: 0, Normal: 1, High: 2 }[m.importance]);
    case PR_SENSITIVITY:
      return String({ Normal: 0, Personal: 1, Private: 2, Confidential: 3 }[m.sensitivity]);
    case PR_MESSAGE_CLASS:
      return view.kind === 'task' ? 'IPM.Task' : 'IPM.Appointment';
    case PR_MESSAGE_FLAGS:
      return '1';
    case PR_MESSAGE_SIZE:
      return String(Buffer.byteLength(view.data, 'utf8'));
    case PR_URL_COMP_NAME:
      return urlCompNameOfHref(view.href);
    case PR_INTERNET_ARTICLE_NUMBER:
      // DavMail pages every FindItem by this number and drops items without a positive one
      // (EwsExchangeSession.searchItems), calendar items included: a stable 31-bit one per object
      return String((createHash('sha1').update(view.href).digest().readUInt32BE(0) % 0x7ffffffe) + 1);
    case PR_RECORD_KEY:
      return createHash('sha1').update(view.href).digest('base64');
    case PR_CREATION_TIME:
    case PR_MESSAGE_DELIVERY_TIME:
      return isoUtc(m.created ?? m.stamp ?? m.lastModified);
    case PR_LAST_MODIFICATION_TIME:
      return lastModificationTime(view);
    default:
      return undefined;
  }
}

function calendarOnly(view: CalendarItemView, p: ExtendedPath, rc: CalendarRenderContext): string | undefined {
  const e = view.event;
  const set = propertySetOf(p);
  const start = view.occurrence?.start ?? e.start;
  const end = view.occurrence?.end ?? e.end;
  if (set === 'publicstrings' && p.propertyName === 'urn:schemas:calendar:instancetype') {
    return String({ Single: 0, RecurringMaster: 1, Occurrence: 2, Exception: 3 }[view.type]);
  }
  if (set === 'appointment') {
    switch (p.propertyId) {
      case 0x8223: // PidLidRecurring
        return b(view.type !== 'Single');
      case 0x8231: {
        // PidLidRecurrenceType
        const f = /FREQ=(\w+)/i.exec(view.object.master?.rrule ?? '')?.[1]?.toUpperCase();
        return String(view.type === 'Single' ? 0 : (({ DAILY: 1, WEEKLY: 2, MONTHLY: 3, YEARLY: 4 } as Record<string, number>)[f ?? ''] ?? 0));
      }
      case 0x8235: // PidLidClipStart
        return isoUtc((view.object.master ?? e).start.utc);
      case 0x8236: {
        // PidLidClipEnd
        if (view.type === 'Single') return isoUtc(end.utc);
        const bounds = seriesBounds(view.object);
        return bounds.infinite ? NO_END : isoUtc(bounds.last?.end.utc ?? end.utc);
      }
      case 0x8217: {
        // PidLidAppointmentStateFlags: 1 meeting, 2 received, 4 cancelled
        const meeting = e.attendees.length > 0;
        return String((meeting ? 1 : 0) | (meeting && !isOrganizer(e, rc) ? 2 : 0) | (e.status === 'CANCELLED' ? 4 : 0));
      }
      case 0x8205: // PidLidBusyStatus
        return String({ Free: 0, Tentative: 1, Busy: 2, OOF: 3, WorkingElsewhere: 4, NoData: 2 }[e.freeBusy]);
      case 0x8208: // PidLidLocation
        return e.location;
      case 0x820d: // PidLidAppointmentStartWhole
        return isoUtc(start.utc);
      case 0x820e: // PidLidAppointmentEndWhole
        return isoUtc(end.utc);
      case 0x8213: // PidLidAppointmentDuration (minutes)
        return String(Math.round((end.utc.getTime() - start.utc.getTime()) / 60000));
      case 0x8215: // PidLidAppointmentSubType
        return b(e.isAllDay);
      case 0x8201: // PidLidAppointmentSequence
        return String(e.sequence);
      case 0x8218: // PidLidResponseStatus
        return String({ Unknown: 0, Organizer: 1, Tentative: 2, Accept: 3, Decline: 4, NoResponseReceived: 5 }[myResponseType(e, rc)]);
      default:
        return undefined;
    }
  }
  if (set === 'common') {
    switch (p.propertyId) {
      case 0x8503: // PidLidReminderSet
        return b(e.reminderMinutes !== undefined);
      case 0x8501: // PidLidReminderDelta
        return e.reminderMinutes === undefined ? undefined : String(e.reminderMinutes);
      case 0x8502: // PidLidReminderTime
      case 0x8516: // PidLidCommonStart
        return isoUtc(start.utc);
      case 0x8517: // PidLidCommonEnd
        return isoUtc(end.utc);
      default:
        return undefined;
    }
  }
  if (set === 'meeting') {
    const rid = view.occurrence?.recurrenceId;
    const inst =
      rid && view.type !== 'Single'
        ? { year: Number(rid.local.slice(0, 4)), month: Number(rid.local.slice(5, 7)), day: Number(rid.local.slice(8, 10)) }
        : undefined;
    if (p.propertyId === 0x0003) return globalObjectIdFromUid(e.uid, inst).toString('base64'); // PidLidGlobalObjectId
    if (p.propertyId === 0x0023) return cleanGlobalObjectIdFromUid(e.uid).toString('base64'); // PidLidCleanGlobalObjectId
  }
  return undefined;
}

function taskOnly(view: TaskView, p: ExtendedPath): string | undefined {
  const t = view.task;
  const set = propertySetOf(p);
  if (set === 'task') {
    switch (p.propertyId) {
      case 0x8101: // PidLidTaskStatus
        return String({ NotStarted: 0, InProgress: 1, Completed: 2, WaitingOnOthers: 3, Deferred: 4 }[t.status]);
      case 0x8102: // PidLidPercentComplete (0.0-1.0)
        return String(t.percentComplete / 100);
      case 0x8104: // PidLidTaskStartDate
      case 0x8516:
        return isoUtc(t.start?.utc);
      case 0x8105: // PidLidTaskDueDate
      case 0x8517:
        return isoUtc(t.due?.utc);
      case 0x810f: // PidLidTaskDateCompleted
        return isoUtc(t.completed);
      case 0x811c: // PidLidTaskComplete
        return b(t.status === 'Completed');
      case 0x8126: // PidLidTaskFRecurring
        return b(!!t.rrule);
      default:
        return undefined;
    }
  }
  if (set === 'common') {
    switch (p.propertyId) {
      case 0x8503:
        return b(t.reminderAt !== undefined);
      case 0x8502:
        return isoUtc(t.reminderAt);
      case 0x8516:
        return isoUtc(t.start?.utc);
      case 0x8517:
        return isoUtc(t.due?.utc);
      default:
        return undefined;
    }
  }
  return undefined;
}

// ------------------------------------------------------------ stored extended properties

/** Where extended properties a client wrote and we have no iCalendar home for are kept. */
export const X_EXTPROP = 'x-ewsgate-extprop';

/** A stable key for an extended property path ("tag:0x0e23", "appointment:id:0x8223", "publicstrings:name:Foo"). */
export function extendedKey(p: ExtendedPath): string {
  const set = propertySetOf(p);
  if (p.tag !== undefined && !set) return `tag:0x${p.tag.toString(16).padStart(4, '0')}`;
  if (p.propertyId !== undefined) return `${set ?? 'unknown'}:id:0x${p.propertyId.toString(16)}`;
  return `${set ?? 'unknown'}:name:${p.propertyName ?? ''}`;
}

/** Replaces the stored values of one extended property on a component (none: removes it). */
export function storeExtendedValue(c: ICAL.Component, p: ExtendedPath, values: string[]): void {
  const key = extendedKey(p);
  for (const prop of c.getAllProperties(X_EXTPROP)) if (prop.getFirstParameter('x-key') === key) c.removeProperty(prop);
  for (const v of values) {
    const prop = new ICAL.Property(X_EXTPROP, c);
    prop.setParameter('x-key', key);
    prop.setParameter('x-type', p.type);
    prop.setValue(v);
    c.addProperty(prop);
  }
}

export function storedExtendedValue(c: ICAL.Component, p: ExtendedPath): string | string[] | undefined {
  const key = extendedKey(p);
  const values = c
    .getAllProperties(X_EXTPROP)
    .filter((prop) => prop.getFirstParameter('x-key') === key)
    .map((prop) => String(prop.getFirstValue() ?? ''));
  if (!values.length) return undefined;
  return /Array$/.test(p.type) ? values : values[0];
}

/** An extended property of a calendar item or task; undefined when it has none. */
export function extendedCalendarProperty(view: AnyCalendarView, p: ExtendedPath, rc: CalendarRenderContext): string | string[] | undefined {
  const specific = view.kind === 'calendar' ? calendarOnly(view, p, rc) : taskOnly(view, p);
  return specific ?? common(view, p) ?? storedExtendedValue(view.kind === 'calendar' ? view.event.component : view.task.component, p);
}
