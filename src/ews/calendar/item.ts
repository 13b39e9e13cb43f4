// CalendarItem and Task rendering: one property table per kind (ItemType part,
// then CalendarItemType / TaskType in the schema's order) answers FieldURI reads,
// restrictions and sorting; extended properties come from extended.ts. Pure.
import { versionAtLeast } from '../../soap/envelope.js';
import { join, raw, x, Xml, type XmlChild } from '../../soap/xml.js';
import { renderExtendedProperty, type PropertyPath } from '../properties/path.js';
import type { ItemShape } from '../items/shape.js';
import { deletedOccurrences, modifiedOccurrences, seriesBounds, type Occurrence } from '../../convert/recurrence-expand.js';
import { ianaToWindows } from '../../convert/timezones.js';
import type { Attendee, CalendarEvent } from '../../convert/ical.js';
import { EXTENDED_BEFORE, ITEM_PROPERTIES, bool, isOrganizer, isoUtc, mailbox, myResponseType, type ViewProperty } from './common.js';
import { extendedCalendarProperty, type ExtendedPath } from './extended.js';
import { rangeDateOffset, renderRecurrence } from './recurrence-xml.js';
import { TASK_FIND_DEFAULT, TASK_GET_DEFAULT, TASK_PROPERTIES } from './task.js';
import { definitionForZone, meetingTimeZoneFor, minutesDuration, renderTimeZoneDefinition, timeZoneDisplayName } from './timezone-xml.js';
import type { AnyCalendarView, CalendarItemView, CalendarRenderContext } from './views.js';

const cal = (v: AnyCalendarView): CalendarItemView | undefined => (v.kind === 'calendar' ? v : undefined);
const startOf = (v: CalendarItemView) => v.occurrence?.start ?? v.event.start;
const endOf = (v: CalendarItemView) => v.occurrence?.end ?? v.event.end;

function attendeeXml(a: Attendee): Xml {
  return x('t:Attendee', null, mailbox(a), x('t:ResponseType', null, a.response === 'Organizer' ? 'Organizer' : a.response));
}

function attendeeList(name: string, list: Attendee[]): XmlChild {
  return list.length ? x(name, null, list.map(attendeeXml)) : undefined;
}

function occurrenceInfo(name: string, v: CalendarItemView, o: Occurrence, rc: CalendarRenderContext): Xml {
  const id = rc.occurrenceId(v, o);
  return x(
    name,
    null,
    x('t:ItemId', { Id: id.id, ChangeKey: id.changeKey }),
    x('t:Start', null, isoUtc(o.start.utc)),
    x('t:End', null, isoUtc(o.end.utc)),
    x('t:OriginalStart', null, isoUtc(o.recurrenceId.utc)),
  );
}

/** xs:duration of an event ("PT1H", "P1D"). */
function durationText(ms: number): string {
  const mins = Math.max(0, Math.round(ms / 60000));
  const d = Math.floor(mins / 1440);
  const rest = mins % 1440;
  if (!rest) return d ? `P${d}D` : 'PT0M';
  return `${d ? `P${d}D` : 'P'}${minutesDuration(rest).replace(/^P/, '')}`;
}

const meeting = (e: CalendarEvent) => e.attendees.length > 0;

function organizerOf(e: CalendarEvent, rc: CalendarRenderContext) {
  return e.organizer ?? { email: rc.user.email, name: rc.user.name };
}

function zoneId(v: CalendarItemView, which: 'start' | 'end', rc: CalendarRenderContext): string {
  const dt = which === 'start' ? startOf(v) : endOf(v);
  const z = dt.zone && !dt.zone.startsWith('vtz:') ? dt.zone : rc.timeZone;
  return ianaToWindows(z) ?? z;
}

/** CalendarItemType elements after the ItemType part, in the schema's order. */
export const CALENDAR_PROPERTIES: ViewProperty[] = [
  { uri: 'calendar:UID', render: (v) => (cal(v) ? x('t:UID', null, cal(v)!.event.uid) : undefined), value: (v) => cal(v)?.event.uid },
  {
    uri: 'calendar:RecurrenceId',
    render: (v) => (cal(v)?.occurrence ? x('t:RecurrenceId', null, isoUtc(cal(v)!.occurrence!.recurrenceId.utc)) : undefined),
    value: (v) => isoUtc(cal(v)?.occurrence?.recurrenceId.utc),
  },
  {
    uri: 'calendar:DateTimeStamp',
    render: (v) => (cal(v)?.event.stamp ? x('t:DateTimeStamp', null, isoUtc(cal(v)!.event.stamp)) : undefined),
    value: (v) => isoUtc(cal(v)?.event.stamp),
  },
  {
    uri: 'calendar:Start',
    render: (v) => (cal(v) ? x('t:Start', null, isoUtc(startOf(cal(v)!).utc)) : undefined),
    value: (v) => (cal(v) ? isoUtc(startOf(cal(v)!).utc) : undefined),
  },
  {
    uri: 'calendar:End',
    render: (v) => (cal(v) ? x('t:End', null, isoUtc(endOf(cal(v)!).utc)) : undefined),
    value: (v) => (cal(v) ? isoUtc(endOf(cal(v)!).utc) : undefined),
  },
  {
    uri: 'calendar:OriginalStart',
    render: (v) => (cal(v)?.occurrence ? x('t:OriginalStart', null, isoUtc(cal(v)!.occurrence!.recurrenceId.utc)) : undefined),
    value: (v) => isoUtc(cal(v)?.occurrence?.recurrenceId.utc),
  },
  {
    uri: 'calendar:IsAllDayEvent',
    render: (v) => (cal(v) ? x('t:IsAllDayEvent', null, bool(cal(v)!.event.isAllDay)) : undefined),
    value: (v) => (cal(v) ? bool(cal(v)!.event.isAllDay) : undefined),
  },
  {
    uri: 'calendar:LegacyFreeBusyStatus',
    render: (v) => (cal(v) ? x('t:LegacyFreeBusyStatus', null, cal(v)!.event.freeBusy) : undefined),
    value: (v) => cal(v)?.event.freeBusy,
  },
  {
    uri: 'calendar:Location',
    render: (v) => (cal(v)?.event.location !== undefined ? x('t:Location', null, cal(v)!.event.location) : undefined),
    value: (v) => cal(v)?.event.location,
  },
  {
    uri: 'calendar:IsMeeting',
    render: (v) => (cal(v) ? x('t:IsMeeting', null, bool(meeting(cal(v)!.event))) : undefined),
    value: (v) => (cal(v) ? bool(meeting(cal(v)!.event)) : undefined),
  },
  {
    uri: 'calendar:IsCancelled',
    render: (v) => (cal(v) ? x('t:IsCancelled', null, bool(cal(v)!.event.status === 'CANCELLED')) : undefined),
    value: (v) => (cal(v) ? bool(cal(v)!.event.status === 'CANCELLED') : undefined),
  },
  {
    // Exchange: true for occurrences and exceptions, false for masters and single items.
    uri: 'calendar:IsRecurring',
    render: (v) => (cal(v) ? x('t:IsRecurring', null, bool(cal(v)!.type === 'Occurrence' || cal(v)!.type === 'Exception')) : undefined),
    value: (v) => (cal(v) ? bool(cal(v)!.type === 'Occurrence' || cal(v)!.type === 'Exception') : undefined),
  },
  {
    uri: 'calendar:MeetingRequestWasSent',
    render: (v, rc) => (cal(v) ? x('t:MeetingRequestWasSent', null, bool(meeting(cal(v)!.event) && isOrganizer(cal(v)!.event, rc))) : undefined),
  },
  {
    uri: 'calendar:IsResponseRequested',
    render: (v, rc) => {
      const c = cal(v);
      if (!c) return undefined;
      return x('t:IsResponseRequested', null, bool(meeting(c.event) && (c.event.attendees.some((a) => a.rsvp) || !isOrganizer(c.event, rc))));
    },
  },
  { uri: 'calendar:CalendarItemType', render: (v) => (cal(v) ? x('t:CalendarItemType', null, cal(v)!.type) : undefined), value: (v) => cal(v)?.type },
  {
    uri: 'calendar:MyResponseType',
    render: (v, rc) => (cal(v) ? x('t:MyResponseType', null, myResponseType(cal(v)!.event, rc)) : undefined),
    value: (v, rc) => (cal(v) ? myResponseType(cal(v)!.event, rc) : undefined),
  },
  {
    uri: 'calendar:Organizer',
    render: (v, rc) => (cal(v) ? x('t:Organizer', null, mailbox(organizerOf(cal(v)!.event, rc))) : undefined),
    value: (v, rc) => (cal(v) ? `${organizerOf(cal(v)!.event, rc).name ?? ''} ${organizerOf(cal(v)!.event, rc).email}`.trim() : undefined),
  },
  {
    uri: 'calendar:RequiredAttendees',
    render: (v) =>
      cal(v)
        ? attendeeList(
            't:RequiredAttendees',
            cal(v)!.event.attendees.filter((a) => a.kind === 'Required'),
          )
        : undefined,
  },
  {
    uri: 'calendar:OptionalAttendees',
    render: (v) =>
      cal(v)
        ? attendeeList(
            't:OptionalAttendees',
            cal(v)!.event.attendees.filter((a) => a.kind === 'Optional'),
          )
        : undefined,
  },
  {
    uri: 'calendar:Resources',
    render: (v) =>
      cal(v)
        ? attendeeList(
            't:Resources',
            cal(v)!.event.attendees.filter((a) => a.kind === 'Resource'),
          )
        : undefined,
  },
  { uri: 'calendar:ConflictingMeetingCount', render: (v) => (cal(v) ? x('t:ConflictingMeetingCount', null, '0') : undefined) },
  { uri: 'calendar:AdjacentMeetingCount', render: (v) => (cal(v) ? x('t:AdjacentMeetingCount', null, '0') : undefined) },
  {
    uri: 'calendar:Duration',
    render: (v) => (cal(v) ? x('t:Duration', null, durationText(endOf(cal(v)!).utc.getTime() - startOf(cal(v)!).utc.getTime())) : undefined),
    value: (v) => (cal(v) ? durationText(endOf(cal(v)!).utc.getTime() - startOf(cal(v)!).utc.getTime()) : undefined),
  },
  {
    uri: 'calendar:TimeZone',
    render: (v, rc) => (cal(v) ? x('t:TimeZone', null, timeZoneDisplayName(startOf(cal(v)!).zone, rc.timeZone, startOf(cal(v)!).utc.getTime())) : undefined),
  },
  {
    uri: 'calendar:AppointmentSequenceNumber',
    render: (v) => (cal(v) ? x('t:AppointmentSequenceNumber', null, String(cal(v)!.event.sequence)) : undefined),
    value: (v) => (cal(v) ? String(cal(v)!.event.sequence) : undefined),
  },
  {
    uri: 'calendar:AppointmentState',
    render: (v, rc) => {
      const c = cal(v);
      if (!c) return undefined;
      const m = meeting(c.event);
      return x('t:AppointmentState', null, String((m ? 1 : 0) | (m && !isOrganizer(c.event, rc) ? 2 : 0) | (c.event.status === 'CANCELLED' ? 4 : 0)));
    },
  },
  {
    uri: 'calendar:Recurrence',
    render: (v, rc) => (cal(v)?.type === 'RecurringMaster' && cal(v)!.event.recurrence ? renderRecurrence(cal(v)!.event.recurrence!, rc.version, 't:Recurrence', rangeDateOffset(cal(v)!.event.start)) : undefined),
  },
  {
    uri: 'calendar:FirstOccurrence',
    render: (v, rc) => {
      const c = cal(v);
      if (c?.type !== 'RecurringMaster') return undefined;
      const first = seriesBounds(c.object).first;
      return first ? occurrenceInfo('t:FirstOccurrence', c, first, rc) : undefined;
    },
  },
  {
    uri: 'calendar:LastOccurrence',
    render: (v, rc) => {
      const c = cal(v);
      if (c?.type !== 'RecurringMaster') return undefined;
      const last = seriesBounds(c.object).last;
      return last ? occurrenceInfo('t:LastOccurrence', c, last, rc) : undefined;
    },
  },
  {
    uri: 'calendar:ModifiedOccurrences',
    render: (v, rc) => {
      const c = cal(v);
      if (c?.type !== 'RecurringMaster') return undefined;
      const list = modifiedOccurrences(c.object);
      return list.length
        ? x(
            't:ModifiedOccurrences',
            null,
            list.map((o) => occurrenceInfo('t:Occurrence', c, o, rc)),
          )
        : undefined;
    },
  },
  {
    uri: 'calendar:DeletedOccurrences',
    render: (v) => {
      const c = cal(v);
      if (c?.type !== 'RecurringMaster') return undefined;
      const list = deletedOccurrences(c.object);
      return list.length
        ? x(
            't:DeletedOccurrences',
            null,
            list.map((d) => x('t:DeletedOccurrence', null, x('t:Start', null, isoUtc(d.utc)))),
          )
        : undefined;
    },
  },
  {
    uri: 'calendar:MeetingTimeZone',
    render: (v, rc) => (cal(v) ? meetingTimeZoneFor(startOf(cal(v)!).zone, rc.timeZone, Number(startOf(cal(v)!).local.slice(0, 4))) : undefined),
  },
  {
    uri: 'calendar:StartTimeZone',
    since: 'Exchange2010',
    render: (v, rc) => (cal(v) ? renderTimeZoneDefinition(definitionForZone(startOf(cal(v)!).zone, rc.timeZone), true, 't:StartTimeZone') : undefined),
  },
  {
    uri: 'calendar:EndTimeZone',
    since: 'Exchange2010',
    render: (v, rc) =>
      cal(v) ? renderTimeZoneDefinition(definitionForZone(endOf(cal(v)!).zone ?? startOf(cal(v)!).zone, rc.timeZone), true, 't:EndTimeZone') : undefined,
  },
  { uri: 'calendar:ConferenceType', render: (v) => (cal(v) ? x('t:ConferenceType', null, '0') : undefined) },
  { uri: 'calendar:AllowNewTimeProposal', render: (v) => (cal(v) ? x('t:AllowNewTimeProposal', null, 'true') : undefined) },
  {
    uri: 'calendar:IsOnlineMeeting',
    render: (v) => (cal(v) ? x('t:IsOnlineMeeting', null, bool(!!cal(v)!.event.url && /teams|zoom|meet|webex|skype/i.test(cal(v)!.event.url!))) : undefined),
  },
  { uri: 'calendar:NetShowUrl', render: (v) => (cal(v)?.event.url ? x('t:NetShowUrl', null, cal(v)!.event.url) : undefined) },
  {
    uri: 'calendar:StartTimeZoneId',
    since: 'Exchange2013',
    render: (v, rc) => (cal(v) ? x('t:StartTimeZoneId', null, zoneId(cal(v)!, 'start', rc)) : undefined),
    value: (v, rc) => (cal(v) ? zoneId(cal(v)!, 'start', rc) : undefined),
  },
  {
    uri: 'calendar:EndTimeZoneId',
    since: 'Exchange2013',
    render: (v, rc) => (cal(v) ? x('t:EndTimeZoneId', null, zoneId(cal(v)!, 'end', rc)) : undefined),
  },
  {
    uri: 'calendar:JoinOnlineMeetingUrl',
    since: 'Exchange2013',
    render: (v) => (cal(v)?.event.url ? x('t:JoinOnlineMeetingUrl', null, cal(v)!.event.url) : undefined),
  },
  {
    uri: 'calendar:IsOrganizer',
    since: 'Exchange2013',
    render: (v, rc) => (cal(v) ? x('t:IsOrganizer', null, bool(isOrganizer(cal(v)!.event, rc))) : undefined),
    value: (v, rc) => (cal(v) ? bool(isOrganizer(cal(v)!.event, rc)) : undefined),
  },
];

const ALL_BY_URI = new Map([...ITEM_PROPERTIES, ...CALENDAR_PROPERTIES, ...TASK_PROPERTIES].map((p) => [p.uri, p]));

const ITEM_FIND_DEFAULT = [
  'item:ParentFolderId',
  'item:ItemClass',
  'item:Subject',
  'item:Sensitivity',
  'item:DateTimeReceived',
  'item:Size',
  'item:Importance',
  'item:IsSubmitted',
  'item:IsDraft',
  'item:IsFromMe',
  'item:IsResend',
  'item:IsUnmodified',
  'item:DateTimeSent',
  'item:DateTimeCreated',
  'item:ReminderDueBy',
  'item:ReminderIsSet',
  'item:ReminderMinutesBeforeStart',
  'item:DisplayCc',
  'item:DisplayTo',
  'item:HasAttachments',
  'item:Culture',
  'item:EffectiveRights',
  'item:LastModifiedTime',
  'item:IsAssociated',
];
const CALENDAR_FIND_DEFAULT = [
  'calendar:UID',
  'calendar:RecurrenceId',
  'calendar:DateTimeStamp',
  'calendar:Start',
  'calendar:End',
  'calendar:OriginalStart',
  'calendar:IsAllDayEvent',
  'calendar:LegacyFreeBusyStatus',
  'calendar:Location',
  'calendar:IsMeeting',
  'calendar:IsCancelled',
  'calendar:IsRecurring',
  'calendar:MeetingRequestWasSent',
  'calendar:IsResponseRequested',
  'calendar:CalendarItemType',
  'calendar:MyResponseType',
  'calendar:Organizer',
  'calendar:Duration',
  'calendar:TimeZone',
  'calendar:AppointmentSequenceNumber',
  'calendar:AppointmentState',
  'calendar:ConferenceType',
  'calendar:AllowNewTimeProposal',
  'calendar:IsOnlineMeeting',
  'calendar:NetShowUrl',
];
const CALENDAR_GET_EXTRA = [
  'item:Body',
  'item:Attachments',
  'item:Categories',
  'calendar:RequiredAttendees',
  'calendar:OptionalAttendees',
  'calendar:Resources',
  'calendar:ConflictingMeetingCount',
  'calendar:AdjacentMeetingCount',
  'calendar:Recurrence',
  'calendar:FirstOccurrence',
  'calendar:LastOccurrence',
  'calendar:ModifiedOccurrences',
  'calendar:DeletedOccurrences',
  'calendar:StartTimeZone',
  'calendar:EndTimeZone',
];

/** The FieldURIs a shape asks for (FindItem leaves out bodies, attendees and recurrence details by default). */
/** The field set of a shape, per item kind / FindItem or GetItem / version: the same for every item of a response. */
const fieldSets = new WeakMap<ItemShape, Map<string, Set<string>>>();

export function requestedCalendarFields(view: AnyCalendarView, shape: ItemShape, forFind: boolean, version: CalendarRenderContext['version']): Set<string> {
  let byKey = fieldSets.get(shape);
  if (!byKey) fieldSets.set(shape, (byKey = new Map()));
  const key = `${view.kind}|${forFind}|${version}`;
  let set = byKey.get(key);
  if (!set) byKey.set(key, (set = computeCalendarFields(view, shape, forFind, version)));
  return set;
}

function computeCalendarFields(view: AnyCalendarView, shape: ItemShape, forFind: boolean, version: CalendarRenderContext['version']): Set<string> {
  const isTask = view.kind === 'task';
  let base: string[] = [];
  if (shape.base !== 'IdOnly') {
    const find = isTask ? [...ITEM_FIND_DEFAULT, ...TASK_FIND_DEFAULT] : [...ITEM_FIND_DEFAULT, ...CALENDAR_FIND_DEFAULT];
    const get = isTask ? [...ITEM_FIND_DEFAULT, 'item:Body', 'item:Attachments', 'item:Categories', ...TASK_GET_DEFAULT] : [...find, ...CALENDAR_GET_EXTRA];
    base =
      shape.base === 'Default'
        ? forFind
          ? find
          : get
        : forFind
          ? [...find, 'item:Categories']
          : [...get, 'item:UniqueBody', 'item:Preview', 'item:TextBody', 'calendar:IsOrganizer', 'calendar:StartTimeZoneId', 'calendar:EndTimeZoneId'];
    // 2007 clients get MeetingTimeZone instead of Start/EndTimeZone.
    if (!isTask && shape.base === 'AllProperties' && !forFind && !versionAtLeast(version, 'Exchange2010')) base.push('calendar:MeetingTimeZone');
  }
  const out = new Set(base);
  for (const p of shape.additional) if (p.kind === 'field') out.add(p.uri);
  return out;
}

export function isKnownCalendarField(uri: string): boolean {
  return ALL_BY_URI.has(uri) || uri === 'item:ItemId' || uri === 'item:MimeContent' || uri === 'calendar:MeetingTimeZone';
}

/**
 * `<t:CalendarItem>` or `<t:Task>` for a view and shape: MimeContent (the stored iCalendar
 * text, base64), ItemId, then every requested property in the schema's order, version-gated.
 */
let calendarTable: ViewProperty[] | undefined;
let taskTable: ViewProperty[] | undefined;

export function renderCalendarView(view: AnyCalendarView, rc: CalendarRenderContext, forFind = false): Xml {
  if (view.kind === 'calendar' && view.type === 'Occurrence') return renderOccurrence(view, rc, forFind);
  return renderEachProperty(view, rc, forFind);
}

/** Every property rendered for this view alone (what the shared occurrence path must equal; tests compare them). */
export function renderEachProperty(view: AnyCalendarView, rc: CalendarRenderContext, forFind = false): Xml {
  const fields = requestedCalendarFields(view, rc.shape, forFind, rc.version);
  const extended = rc.shape.additional.filter((p): p is ExtendedPath => p.kind === 'extended');
  const parts: XmlChild[] = [];
  if (rc.shape.includeMimeContent || fields.has('item:MimeContent'))
    parts.push(x('t:MimeContent', { CharacterSet: 'UTF-8' }, Buffer.from(view.data, 'utf8').toString('base64')));
  const id = rc.itemId(view);
  parts.push(x('t:ItemId', { Id: id.id, ChangeKey: id.changeKey }));
  const table = view.kind === 'calendar' ? (calendarTable ??= [...ITEM_PROPERTIES, ...CALENDAR_PROPERTIES]) : (taskTable ??= [...ITEM_PROPERTIES, ...TASK_PROPERTIES]);
  for (const p of table) {
    if (p.uri === EXTENDED_BEFORE) {
      for (const e of extended) {
        const v = extendedCalendarProperty(view, e, rc);
        if (v !== undefined) parts.push(renderExtendedProperty(e, v));
      }
    }
    if (!fields.has(p.uri)) continue;
    if (p.since && !versionAtLeast(rc.version, p.since)) continue;
    parts.push(p.render(view, rc));
  }
  return x(view.kind === 'calendar' ? 't:CalendarItem' : 't:Task', null, parts);
}

/**
 * What differs between the unmodified occurrences of one series: everything else shows the
 * master and is rendered once per series and request (a year's view of a daily series is 365
 * items alike but for these). The zones are the master's for every occurrence, so StartTimeZone
 * and friends are shared; TimeZone (a non-Windows zone's name carries the offset at the start),
 * MeetingTimeZone (the start's year) and Duration (all-day instances across a DST change) are not.
 */
const PER_OCCURRENCE = new Set([
  'item:Attachments',
  'item:ReminderDueBy',
  'calendar:RecurrenceId',
  'calendar:Start',
  'calendar:End',
  'calendar:OriginalStart',
  'calendar:Duration',
  'calendar:TimeZone',
  'calendar:MeetingTimeZone',
]);

/** An occurrence's CalendarItem as shared pieces (rendered XML) and per-occurrence properties; EXTENDED marks the extended properties. */
type Template = { data: string; href: string; parts: (Xml | ViewProperty | typeof EXTENDED)[]; /** every shared piece is a small string */ flat: boolean };
const EXTENDED = Symbol('extended');
const templates = new WeakMap<CalendarRenderContext, Map<boolean, WeakMap<object, Template>>>();

function occurrenceTemplate(view: CalendarItemView, rc: CalendarRenderContext, forFind: boolean): Template {
  let byFind = templates.get(rc);
  if (!byFind) templates.set(rc, (byFind = new Map()));
  let byEvent = byFind.get(forFind);
  if (!byEvent) byFind.set(forFind, (byEvent = new WeakMap()));
  const cached = byEvent.get(view.event);
  if (cached && cached.data === view.data && cached.href === view.href) return cached;
  const fields = requestedCalendarFields(view, rc.shape, forFind, rc.version);
  const hasExtended = rc.shape.additional.some((p) => p.kind === 'extended');
  const parts: Template['parts'] = [];
  let run: XmlChild[] = [];
  const flush = () => {
    if (run.length) parts.push(join(run));
    run = [];
  };
  if (rc.shape.includeMimeContent || fields.has('item:MimeContent'))
    run.push(x('t:MimeContent', { CharacterSet: 'UTF-8' }, Buffer.from(view.data, 'utf8').toString('base64')));
  flush();
  parts.push(ITEM_ID);
  for (const p of (calendarTable ??= [...ITEM_PROPERTIES, ...CALENDAR_PROPERTIES])) {
    if (p.uri === EXTENDED_BEFORE && hasExtended) {
      flush();
      parts.push(EXTENDED);
    }
    if (!fields.has(p.uri)) continue;
    if (p.since && !versionAtLeast(rc.version, p.since)) continue;
    if (PER_OCCURRENCE.has(p.uri)) {
      flush();
      parts.push(p);
    } else run.push(p.render(view, rc));
  }
  flush();
  // A large piece (a big MimeContent) stays a piece by reference, as x() keeps pieces of 32 KB and more.
  const flat = parts.every((p) => !(p instanceof Xml) || (p.isFlat && p.length < 32 * 1024));
  const t: Template = { data: view.data, href: view.href, parts, flat };
  byEvent.set(view.event, t);
  return t;
}

const ITEM_ID: ViewProperty = {
  uri: 'item:ItemId',
  render: (v, rc) => {
    const id = rc.itemId(v);
    return x('t:ItemId', { Id: id.id, ChangeKey: id.changeKey });
  },
};

/** The same element renderCalendarView's general path builds, from the series' template. */
function renderOccurrence(view: CalendarItemView, rc: CalendarRenderContext, forFind: boolean): Xml {
  const t = occurrenceTemplate(view, rc, forFind);
  // Small items (all but those with a large MimeContent) are written as one string, as x() would.
  let flat = t.flat ? '' : undefined;
  const parts: XmlChild[] = [];
  for (const p of t.parts) {
    if (p instanceof Xml) {
      if (flat !== undefined) flat += p.raw;
      else parts.push(p);
    } else if (p === EXTENDED) {
      if (flat) parts.push(raw(flat));
      flat = undefined;
      for (const e of rc.shape.additional) {
        if (e.kind !== 'extended') continue;
        const v = extendedCalendarProperty(view, e as ExtendedPath, rc);
        if (v !== undefined) parts.push(renderExtendedProperty(e, v));
      }
    } else {
      const r = p.render(view, rc);
      if (flat !== undefined && (r === undefined || (r instanceof Xml && r.isFlat))) {
        if (r) flat += r.raw;
      } else {
        if (flat) parts.push(raw(flat));
        flat = undefined;
        parts.push(r);
      }
    }
  }
  if (flat !== undefined) return flat ? raw(`<t:CalendarItem>${flat}</t:CalendarItem>`) : x('t:CalendarItem', null);
  return x('t:CalendarItem', null, parts);
}

/** A property's value as text, for restrictions and sorting; undefined when the item has none. */
export function calendarPropertyValue(view: AnyCalendarView, p: PropertyPath, rc: CalendarRenderContext): string | undefined {
  if (p.kind === 'extended') {
    const v = extendedCalendarProperty(view, p, rc);
    return Array.isArray(v) ? v.join(' ') : v;
  }
  if (p.kind !== 'field') return undefined;
  if (p.uri === 'item:ItemId') return rc.itemId(view).id;
  return ALL_BY_URI.get(p.uri)?.value?.(view, rc);
}

/** Whether reading items for this shape needs the objects' data (IdOnly without properties does not). */
export function shapeNeedsData(shape: ItemShape): boolean {
  return shape.base !== 'IdOnly' || shape.includeMimeContent || shape.additional.length > 0;
}
