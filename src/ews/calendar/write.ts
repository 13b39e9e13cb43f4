// Writing calendar items and tasks from EWS, pure: CreateItem's t:CalendarItem /
// t:Task (fields, or MimeContent holding iCalendar) into a new CalendarObject, and
// UpdateItem's Set/Append/DeleteItemField changes applied to an existing model.
// Every refusal is an EwsError with Exchange's code. Nothing is stored here: the
// caller serializes the object (serializeCalendarObject) and PUTs it.
//
// Times: a dateTime with an offset is an instant; one without is read in the
// StartTimeZone given with it, else in the request's zone (TimeZoneContext).
// The event lives in StartTimeZone / MeetingTimeZone / StartTimeZoneId when
// given, else keeps its zone, else takes the request's zone.
import type { ExchangeVersion } from '../../soap/envelope.js';
import { NS, attr, child, children, elementChildren, textOf, type Element } from '../../soap/xml.js';
import { EwsError } from '../errors.js';
import { parsePropertyPath, type PropertyPath } from '../properties/path.js';
import { htmlToText } from '../../convert/body.js';
import {
  IcalError,
  calDateTime,
  createEventObject,
  createTaskObject,
  parseCalendarObject,
  utcToZoned,
  zonedToUtc,
  type Attendee,
  type AttendeeKind,
  type CalDateTime,
  type CalendarEvent,
  type CalendarObject,
  type FreeBusyStatus,
  type Importance,
  type ResponseType,
  type Sensitivity,
  type Task,
  type TaskStatus,
} from '../../convert/ical.js';
import { RecurrenceError, firstPatternDate, recurrenceToRRule, type Recurrence } from '../../convert/recurrence.js';
import { expandObject } from '../../convert/recurrence-expand.js';
import { formatLocalDate, fieldsFromUtcMs, localAsUtcMs, parseLocal, resolveTzid } from '../../convert/timezones.js';
import { parseRecurrence } from './recurrence-xml.js';
import { zoneOfDefinitionElement, zoneOfLegacyElement } from './timezone-xml.js';
import { propertySetOf, storeExtendedValue, type ExtendedPath } from './extended.js';

export interface CalendarWriteContext {
  /** IANA zone of the request (TimeZoneContext), else UTC. */
  timeZone: string;
  version: ExchangeVersion;
  user: { email: string; name?: string };
  /** "now" for CompleteDate checks (tests). */
  now?: Date;
}

export interface WriteOutcome {
  /** FieldURIs (and extended keys) that changed. */
  changed: Set<string>;
  /** Start, End, recurrence, location or attendees changed: what meeting updates are sent for. */
  significant: boolean;
  /** DavMail's PR_URL_COMP_NAME (0x10F3), when the client set one: the resource name it wants. */
  urlCompName?: string;
}

type Op = 'set' | 'append' | 'delete';
interface Change {
  op: Op;
  path: PropertyPath;
  /** The property element (set, append). */
  value?: Element;
}

// ------------------------------------------------------------ reading changes

const ITEM_FIELDS = [
  'MimeContent',
  'ItemClass',
  'Subject',
  'Sensitivity',
  'Body',
  'Attachments',
  'Categories',
  'Importance',
  'ReminderDueBy',
  'ReminderIsSet',
  'ReminderMinutesBeforeStart',
  'Culture',
  'InReplyTo',
  'IsSubmitted',
  'IsDraft',
  'IsFromMe',
  'IsResend',
  'IsUnmodified',
  'InternetMessageHeaders',
  'DateTimeSent',
  'DateTimeCreated',
  'DateTimeReceived',
  'Size',
  'DisplayCc',
  'DisplayTo',
  'HasAttachments',
  'EffectiveRights',
  'LastModifiedName',
  'LastModifiedTime',
  'IsAssociated',
  'ParentFolderId',
  'ItemId',
  'ConversationId',
  'UniqueBody',
  'Flag',
  'Preview',
  'TextBody',
];

function uriOfElement(el: Element, kind: 'calendar' | 'task'): string {
  const name = el.localName ?? '';
  if (ITEM_FIELDS.includes(name)) return `item:${name}`;
  return `${kind}:${name}`;
}

/** The property elements of a t:CalendarItem / t:Task as "set" changes. */
function changesOfItemElement(item: Element, kind: 'calendar' | 'task'): Change[] {
  const out: Change[] = [];
  for (const el of elementChildren(item)) {
    if (el.namespaceURI !== NS.types) continue;
    if (el.localName === 'ExtendedProperty') {
      const uriEl = child(el, NS.types, 'ExtendedFieldURI');
      if (!uriEl) throw new EwsError('ErrorSchemaValidation', 'ExtendedProperty needs an ExtendedFieldURI.');
      out.push({ op: 'set', path: parsePropertyPath(uriEl), value: el });
      continue;
    }
    out.push({ op: 'set', path: { kind: 'field', uri: uriOfElement(el, kind) }, value: el });
  }
  return out;
}

/** UpdateItem's t:Updates: SetItemField / AppendToItemField / DeleteItemField, in order. */
export function parseItemChanges(updates: Element): Change[] {
  const out: Change[] = [];
  for (const u of elementChildren(updates)) {
    const op: Op | undefined =
      u.localName === 'SetItemField' ? 'set' : u.localName === 'AppendToItemField' ? 'append' : u.localName === 'DeleteItemField' ? 'delete' : undefined;
    if (!op) throw new EwsError('ErrorSchemaValidation', `${u.localName} is not an item change.`);
    const kids = elementChildren(u);
    const pathEl = kids.find((k) => ['FieldURI', 'IndexedFieldURI', 'ExtendedFieldURI'].includes(k.localName ?? ''));
    if (!pathEl) throw new EwsError('ErrorSchemaValidation', `${u.localName} needs a property path.`);
    const path = parsePropertyPath(pathEl);
    if (op === 'delete') {
      out.push({ op, path });
      continue;
    }
    const container = kids.find((k) => k !== pathEl);
    if (!container) throw new EwsError('ErrorIncorrectUpdatePropertyCount', `${u.localName} carries no item with the new value.`);
    const props = elementChildren(container);
    if (path.kind === 'extended') {
      const ext = props.find((p) => p.localName === 'ExtendedProperty');
      if (!ext) throw new EwsError('ErrorIncorrectUpdatePropertyCount', `${u.localName} of an extended property carries no ExtendedProperty.`);
      out.push({ op, path, value: ext });
      continue;
    }
    if (props.length !== 1) throw new EwsError('ErrorIncorrectUpdatePropertyCount', `${u.localName} must carry exactly one property, not ${props.length}.`);
    out.push({ op, path, value: props[0] });
  }
  return out;
}

// ------------------------------------------------------------ values

function text(el: Element | undefined): string {
  return textOf(el)?.trim() ?? '';
}

function boolValue(el: Element, uri: string): boolean {
  const v = text(el).toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new EwsError('ErrorInvalidValueForProperty', `${uri} "${text(el)}" is not a boolean.`);
}

function enumValue<T extends string>(el: Element, uri: string, values: readonly T[]): T {
  const v = text(el);
  if (!(values as readonly string[]).includes(v)) throw new EwsError('ErrorInvalidValueForProperty', `${uri} "${v}" is not one of ${values.join(', ')}.`);
  return v as T;
}

function intValue(el: Element, uri: string, min: number, max: number): number {
  const v = text(el);
  const n = Number(v);
  if (!/^-?\d+(\.\d+)?$/.test(v) || n < min || n > max)
    throw new EwsError('ErrorInvalidValueForProperty', `${uri} "${v}" is not a number between ${min} and ${max}.`);
  return n;
}

/** An xs:dateTime: an instant when it has an offset, else a wall clock to read in a zone. */
type TimeValue = { instant: number } | { local: string };

function timeValue(raw: string, uri: string): TimeValue {
  const v = raw.trim();
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(v);
  if (!m) throw new EwsError('ErrorInvalidValueForProperty', `${uri} "${v}" is not a date-time.`);
  const local = `${m[1]}T${m[2] ?? '00:00'}${(m[3] ?? ':00').slice(0, 3)}`;
  try {
    parseLocal(local);
  } catch {
    throw new EwsError('ErrorInvalidValueForProperty', `${uri} "${v}" is not a valid date-time.`);
  }
  if (m[4]) {
    const ms = Date.parse(`${local}${m[4] === 'Z' ? 'Z' : m[4]}`);
    if (Number.isNaN(ms)) throw new EwsError('ErrorInvalidValueForProperty', `${uri} "${v}" is not a valid date-time.`);
    return { instant: ms };
  }
  return { local };
}

function instantOf(t: TimeValue, zone: string): number {
  return 'instant' in t ? t.instant : zonedToUtc(zone, t.local);
}

function bodyValue(el: Element): { body: string; html?: string } {
  const content = textOf(el) ?? '';
  if ((attr(el, 'BodyType') ?? 'Text') === 'HTML') return { body: htmlToText(content), html: content };
  return { body: content };
}

function categoriesValue(el: Element): string[] {
  return children(el, NS.types, 'String')
    .map((s) => text(s))
    .filter(Boolean);
}

const RESPONSES: readonly ResponseType[] = ['Unknown', 'Organizer', 'Tentative', 'Accept', 'Decline', 'NoResponseReceived'];

function attendeesValue(el: Element, kind: AttendeeKind, uri: string): Attendee[] {
  return children(el, NS.types, 'Attendee').map((a) => {
    const mb = child(a, NS.types, 'Mailbox');
    const email = text(child(mb, NS.types, 'EmailAddress'));
    if (!email) throw new EwsError('ErrorMissingEmailAddress', `An attendee in ${uri} has no EmailAddress.`);
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new EwsError('ErrorInvalidRecipients', `"${email}" in ${uri} is not an SMTP address.`);
    const name = text(child(mb, NS.types, 'Name')) || undefined;
    const rt = text(child(a, NS.types, 'ResponseType'));
    const response: ResponseType = rt && (RESPONSES as readonly string[]).includes(rt) ? (rt as ResponseType) : 'NoResponseReceived';
    return { email, name, kind, response: response === 'Organizer' ? 'Accept' : response, rsvp: true };
  });
}

function zoneValue(el: Element, uri: string): string {
  switch (uri) {
    case 'calendar:StartTimeZone':
    case 'calendar:EndTimeZone':
      return zoneOfDefinitionElement(el);
    case 'calendar:MeetingTimeZone':
      return zoneOfLegacyElement(el);
    default: {
      const id = text(el);
      const z = resolveTzid(id);
      if (!z) throw new EwsError('ErrorCalendarInvalidTimeZone', `${uri} "${id}" is not a time zone this server knows.`);
      return z;
    }
  }
}

// ------------------------------------------------------------ shared item fields

const READ_ONLY = new Set([
  'item:ItemId',
  'item:ParentFolderId',
  'item:DateTimeReceived',
  'item:Size',
  'item:IsSubmitted',
  'item:IsDraft',
  'item:IsFromMe',
  'item:IsResend',
  'item:IsUnmodified',
  'item:DateTimeSent',
  'item:DateTimeCreated',
  'item:DisplayCc',
  'item:DisplayTo',
  'item:HasAttachments',
  'item:EffectiveRights',
  'item:LastModifiedName',
  'item:LastModifiedTime',
  'item:IsAssociated',
  'item:ConversationId',
  'item:UniqueBody',
  'item:Preview',
  'item:TextBody',
  'item:InternetMessageHeaders',
  'calendar:RecurrenceId',
  'calendar:DateTimeStamp',
  'calendar:OriginalStart',
  'calendar:IsMeeting',
  'calendar:IsCancelled',
  'calendar:IsRecurring',
  'calendar:MeetingRequestWasSent',
  'calendar:CalendarItemType',
  'calendar:MyResponseType',
  'calendar:Organizer',
  'calendar:ConflictingMeetingCount',
  'calendar:AdjacentMeetingCount',
  'calendar:ConflictingMeetings',
  'calendar:AdjacentMeetings',
  'calendar:Duration',
  'calendar:TimeZone',
  'calendar:AppointmentReplyTime',
  'calendar:AppointmentSequenceNumber',
  'calendar:AppointmentState',
  'calendar:FirstOccurrence',
  'calendar:LastOccurrence',
  'calendar:ModifiedOccurrences',
  'calendar:DeletedOccurrences',
  'calendar:IsOrganizer',
  'task:ChangeCount',
  'task:DelegationState',
  'task:Delegator',
  'task:IsAssignmentEditable',
  'task:IsComplete',
  'task:IsRecurring',
  'task:IsTeamTask',
  'task:StatusDescription',
  'task:AssignedTime',
]);
/** Accepted and dropped: what Exchange lets clients write but CalDAV has no home for. */
const IGNORED = new Set([
  'item:Culture',
  'item:ItemClass',
  'item:ReminderDueBy',
  'calendar:IsResponseRequested',
  'calendar:AllowNewTimeProposal',
  'calendar:ConferenceType',
  'calendar:MeetingWorkspaceUrl',
  'calendar:When',
  'task:ActualWork',
  'task:TotalWork',
  'task:BillingInformation',
  'task:Mileage',
  'task:Companies',
  'task:Contacts',
  'task:Owner',
  'item:InReplyTo',
  'item:Flag',
]);

type Model = CalendarEvent | Task;

function applyCommonField(m: Model, uri: string, op: Op, el: Element | undefined): boolean {
  switch (uri) {
    case 'item:Subject':
      if (op === 'append') throw appendRefused(uri);
      m.subject = op === 'delete' ? '' : (textOf(el) ?? '');
      return true;
    case 'item:Body': {
      if (op === 'delete') {
        m.body = '';
        m.htmlBody = undefined;
        return true;
      }
      const v = bodyValue(el!);
      if (op === 'append') {
        m.body = m.body + v.body;
        if (m.htmlBody !== undefined || v.html !== undefined) m.htmlBody = (m.htmlBody ?? '') + (v.html ?? v.body);
      } else {
        m.body = v.body;
        m.htmlBody = v.html;
      }
      return true;
    }
    case 'item:Sensitivity':
      if (op === 'append') throw appendRefused(uri);
      m.sensitivity = op === 'delete' ? 'Normal' : enumValue<Sensitivity>(el!, uri, ['Normal', 'Personal', 'Private', 'Confidential']);
      return true;
    case 'item:Importance':
      if (op === 'append') throw appendRefused(uri);
      m.importance = op === 'delete' ? 'Normal' : enumValue<Importance>(el!, uri, ['Low', 'Normal', 'High']);
      return true;
    case 'item:Categories':
      if (op === 'append') throw appendRefused(uri);
      m.categories = op === 'delete' ? [] : categoriesValue(el!);
      return true;
    default:
      return false;
  }
}

function appendRefused(uri: string): EwsError {
  return new EwsError('ErrorInvalidPropertyAppend', `${uri} cannot be appended to.`);
}

function deleteRefused(uri: string): EwsError {
  return new EwsError('ErrorInvalidPropertyDelete', `${uri} cannot be deleted.`);
}

// ------------------------------------------------------------ extended properties

const PR_SUBJECT = 0x0037;
const PR_BODY = 0x1000;
const PR_URL_COMP_NAME = 0x10f3;

function extendedValues(el: Element | undefined): string[] {
  if (!el) return [];
  const values = child(el, NS.types, 'Values');
  if (values) return children(values, NS.types, 'Value').map((v) => textOf(v) ?? '');
  const v = child(el, NS.types, 'Value');
  return v ? [textOf(v) ?? ''] : [];
}

function applyExtended(m: Model, p: ExtendedPath, op: Op, el: Element | undefined, out: WriteOutcome, ctx: CalendarWriteContext): void {
  if (op === 'append') throw new EwsError('ErrorInvalidPropertyAppend', 'Extended properties cannot be appended to.');
  const values = extendedValues(el);
  const first = values[0] ?? '';
  const set = propertySetOf(p);
  const isEvent = 'start' in m && 'isAllDay' in m;
  const del = op === 'delete';
  if (p.tag === PR_URL_COMP_NAME && p.propertyId === undefined) {
    if (!del) out.urlCompName = first;
    return;
  }
  if (p.tag === PR_SUBJECT && !set) {
    m.subject = del ? '' : first;
    out.changed.add('item:Subject');
    return;
  }
  if (p.tag === PR_BODY && !set) {
    m.body = del ? '' : first;
    m.htmlBody = undefined;
    out.changed.add('item:Body');
    return;
  }
  if (set === 'publicstrings' && p.propertyName === 'Keywords') {
    // DavMail sends one comma-joined value; Outlook a list.
    m.categories = del
      ? []
      : values.length === 1
        ? first
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : values;
    out.changed.add('item:Categories');
    return;
  }
  if (set === 'publicstrings' && p.propertyName === 'urn:schemas:calendar:uid') {
    if (!del && first) m.uid = first;
    out.changed.add('calendar:UID');
    return;
  }
  if (set === 'publicstrings' && p.propertyName && /^xmoz/i.test(p.propertyName)) {
    const name = (
      { xmozlastack: 'x-moz-lastack', xmozsnoozetime: 'x-moz-snooze-time', xmozsendinvitations: 'x-moz-send-invitations' } as Record<string, string>
    )[p.propertyName.toLowerCase()];
    if (name) {
      if (del || !first) m.component.removeAllProperties(name);
      else m.component.updatePropertyWithValue(name, first);
      out.changed.add(`ext:${name}`);
      return;
    }
  }
  if (set === 'common' && p.propertyId === 0x8506) {
    m.sensitivity = !del && /^(true|1)$/i.test(first) ? 'Private' : 'Normal';
    out.changed.add('item:Sensitivity');
    return;
  }
  if (isEvent && set === 'common' && (p.propertyId === 0x8503 || p.propertyId === 0x8501)) {
    const e = m as CalendarEvent;
    if (p.propertyId === 0x8503) e.reminderMinutes = !del && /^(true|1)$/i.test(first) ? (e.reminderMinutes ?? 15) : undefined;
    else if (!del) e.reminderMinutes = Number(first) || 0;
    out.changed.add('item:ReminderMinutesBeforeStart');
    return;
  }
  if (!isEvent && (set === 'task' || set === 'common') && [0x8104, 0x8105, 0x810f, 0x8516, 0x8517].includes(p.propertyId ?? -1)) {
    const t = m as Task;
    const when = del || !first ? undefined : instantOf(timeValue(first, 'extended date'), ctx.timeZone);
    const asDate = (ms: number | undefined) => (ms === undefined ? undefined : taskDate(ms, ctx.timeZone));
    if (p.propertyId === 0x8104 || p.propertyId === 0x8516) t.start = asDate(when);
    else if (p.propertyId === 0x8105 || p.propertyId === 0x8517) t.due = asDate(when);
    else t.completed = when === undefined ? undefined : new Date(when);
    out.changed.add(`task:0x${(p.propertyId ?? 0).toString(16)}`);
    return;
  }
  // Appointment state flags and the like are derived from the data: accepted, not stored.
  if (set === 'appointment' && p.propertyId === 0x8217) return;
  // Anything else is kept as it was written, so clients read back what they stored.
  storeExtendedValue(m.component, p, del ? [] : values);
  out.changed.add(`ext:${p.attrs.map(([k, v]) => `${k}=${v}`).join(',')}`);
}

// ------------------------------------------------------------ events

interface PendingTimes {
  start?: TimeValue;
  end?: TimeValue;
  allDay?: boolean;
  startZone?: string;
  endZone?: string;
  /** null: delete the recurrence */
  recurrence?: Recurrence | null;
  /** ReminderIsSet and ReminderMinutesBeforeStart, applied together whatever their order. */
  reminderSet?: boolean;
  reminderMinutes?: number;
}

const FIVE_YEARS_MS = 5 * 366 * 86_400_000;

function addDays(date: string, days: number): string {
  return formatLocalDate(fieldsFromUtcMs(localAsUtcMs(parseLocal(date)) + days * 86_400_000));
}

function applyEventField(e: CalendarEvent, c: Change, pending: PendingTimes, out: WriteOutcome, ctx: CalendarWriteContext, isCreate: boolean): void {
  if (c.path.kind === 'extended') return applyExtended(e, c.path, c.op, c.value, out, ctx);
  if (c.path.kind === 'indexed') throw new EwsError('ErrorInvalidPropertyForOperation', `${c.path.uri} does not apply to calendar items.`);
  const uri = c.path.uri;
  const el = c.value;
  if (READ_ONLY.has(uri)) throw new EwsError('ErrorInvalidPropertySet', `${uri} is read-only.`);
  if (IGNORED.has(uri)) return;
  out.changed.add(uri);
  if (applyCommonField(e, uri, c.op, el)) return;
  const kinds: Record<string, AttendeeKind> = {
    'calendar:RequiredAttendees': 'Required',
    'calendar:OptionalAttendees': 'Optional',
    'calendar:Resources': 'Resource',
  };
  if (kinds[uri]) {
    const kind = kinds[uri];
    if (c.op === 'delete') e.attendees = e.attendees.filter((a) => a.kind !== kind);
    else {
      const incoming = attendeesValue(el!, kind, uri);
      const kept = c.op === 'append' ? e.attendees : e.attendees.filter((a) => a.kind !== kind);
      const byEmail = new Map(e.attendees.map((a) => [a.email.toLowerCase(), a]));
      const merged = [...kept];
      for (const a of incoming) {
        const old = byEmail.get(a.email.toLowerCase());
        const entry = { ...a, response: old?.response ?? a.response, name: a.name ?? old?.name };
        const at = merged.findIndex((x) => x.email.toLowerCase() === a.email.toLowerCase());
        if (at >= 0) merged[at] = entry;
        else merged.push(entry);
      }
      e.attendees = merged;
      if (!e.organizer && e.attendees.length) e.organizer = { email: ctx.user.email, name: ctx.user.name };
    }
    out.significant = true;
    return;
  }
  if (c.op === 'append') throw appendRefused(uri);
  switch (uri) {
    case 'item:MimeContent':
      throw new EwsError('ErrorInvalidPropertySet', 'MimeContent of a calendar item can only be given when creating it.');
    case 'item:ReminderIsSet':
      pending.reminderSet = c.op === 'delete' ? false : boolValue(el!, uri);
      return;
    case 'item:ReminderMinutesBeforeStart':
      if (c.op === 'delete') pending.reminderSet = false;
      else pending.reminderMinutes = intValue(el!, uri, -2_629_800, 2_629_800);
      return;
    case 'calendar:UID':
      if (c.op === 'delete') throw deleteRefused(uri);
      if (!isCreate) throw new EwsError('ErrorInvalidPropertySet', 'The UID of a calendar item is set once, when it is created.');
      e.uid = text(el);
      if (!e.uid) throw new EwsError('ErrorInvalidValueForProperty', 'calendar:UID is empty.');
      return;
    case 'calendar:Start':
    case 'calendar:End':
      if (c.op === 'delete') throw deleteRefused(uri);
      pending[uri === 'calendar:Start' ? 'start' : 'end'] = timeValue(textOf(el) ?? '', uri);
      out.significant = true;
      return;
    case 'calendar:IsAllDayEvent':
      pending.allDay = c.op === 'delete' ? false : boolValue(el!, uri);
      out.significant = true;
      return;
    case 'calendar:StartTimeZone':
    case 'calendar:MeetingTimeZone':
    case 'calendar:StartTimeZoneId':
      if (c.op === 'delete') return;
      pending.startZone = zoneValue(el!, uri);
      return;
    case 'calendar:EndTimeZone':
    case 'calendar:EndTimeZoneId':
      if (c.op === 'delete') return;
      pending.endZone = zoneValue(el!, uri);
      return;
    case 'calendar:LegacyFreeBusyStatus':
      e.freeBusy = c.op === 'delete' ? 'Busy' : enumValue<FreeBusyStatus>(el!, uri, ['Free', 'Tentative', 'Busy', 'OOF', 'WorkingElsewhere', 'NoData']);
      return;
    case 'calendar:Location':
      e.location = c.op === 'delete' ? undefined : (textOf(el) ?? '');
      out.significant = true;
      return;
    case 'calendar:Recurrence':
      if (e.recurrenceId) throw new EwsError('ErrorInvalidPropertySet', 'An occurrence of a series cannot have a recurrence of its own.');
      pending.recurrence = c.op === 'delete' ? null : parseRecurrence(el!);
      out.significant = true;
      return;
    case 'calendar:NetShowUrl':
    case 'calendar:JoinOnlineMeetingUrl':
      e.url = c.op === 'delete' ? undefined : text(el) || undefined;
      return;
    case 'calendar:IsOnlineMeeting':
      return;
    default:
      throw new EwsError('ErrorInvalidPropertySet', `${uri} cannot be set on a calendar item.`);
  }
}

function zoneForEvent(e: CalendarEvent | undefined, pending: PendingTimes, ctx: CalendarWriteContext): string | undefined {
  if (pending.startZone) return pending.startZone;
  if (e && !e.start.dateOnly) return e.start.zone; // may be undefined: a floating event stays floating
  return ctx.timeZone;
}

/** Applies pending Start/End/IsAllDayEvent/zones/Recurrence together, with Exchange's checks. */
/**
 * The reminder is the first display/audio VALARM: ReminderIsSet=false removes it; minutes alone
 * change an existing one (Exchange keeps minutes of a reminder that is off; iCalendar has nowhere
 * to keep them); ReminderIsSet=true without minutes keeps the old ones, else 15.
 */
function applyReminder(e: CalendarEvent, pending: PendingTimes, isCreate: boolean): void {
  if (pending.reminderSet === false) e.reminderMinutes = undefined;
  else if (pending.reminderSet === true) e.reminderMinutes = pending.reminderMinutes ?? e.reminderMinutes ?? 15;
  // a new appointment has its reminder on (Exchange's default): minutes alone set it (the Managed API sends only them)
  else if (pending.reminderMinutes !== undefined && (isCreate || e.reminderMinutes !== undefined)) e.reminderMinutes = pending.reminderMinutes;
}

function applyTimes(obj: CalendarObject, e: CalendarEvent, pending: PendingTimes, ctx: CalendarWriteContext, isCreate: boolean): void {
  applyReminder(e, pending, isCreate);
  const touched = pending.start || pending.end || pending.allDay !== undefined || pending.startZone || pending.endZone || pending.recurrence !== undefined;
  if (!touched && !isCreate) return;
  if (isCreate && (!pending.start || !pending.end)) {
    throw new EwsError('ErrorRequiredPropertyMissing', `A calendar item needs ${!pending.start ? 'Start' : 'End'}.`);
  }
  const zone = zoneForEvent(isCreate ? undefined : e, pending, ctx);
  const readZone = zone ?? ctx.timeZone;
  const endZone = pending.endZone ?? (isCreate ? zone : e.end.dateOnly ? zone : (e.end.zone ?? zone));
  const oldStart = e.start;
  const startMs = pending.start ? instantOf(pending.start, readZone) : e.start.utc.getTime();
  const endMs = pending.end
    ? instantOf(pending.end, pending.endZone ?? readZone)
    : pending.start && !isCreate
      ? startMs + (e.end.utc.getTime() - e.start.utc.getTime())
      : e.end.utc.getTime();
  const allDay = pending.allDay ?? (isCreate ? false : e.isAllDay);
  if (endMs < startMs) {
    throw new EwsError(
      'ErrorCalendarEndDateIsEarlierThanStartDate',
      `The end (${new Date(endMs).toISOString()}) is before the start (${new Date(startMs).toISOString()}).`,
    );
  }
  if (endMs - startMs > FIVE_YEARS_MS) throw new EwsError('ErrorCalendarDurationIsTooLong', 'A calendar item cannot last longer than five years.');
  const keepTzid = (z: string | undefined, dt: CalDateTime) => (dt.zone === z ? dt.tzid : undefined);
  if (allDay) {
    const startDate = utcToZoned(readZone, startMs).slice(0, 10);
    const endLocal = utcToZoned(endZone ?? readZone, endMs);
    let endDate = endLocal.slice(0, 10);
    if (!endLocal.endsWith('T00:00:00')) endDate = addDays(endDate, 1);
    if (endDate <= startDate) endDate = addDays(startDate, 1);
    e.start = calDateTime(startDate, undefined, { dateOnly: true, floatingZone: obj.floatingZone });
    e.end = calDateTime(endDate, undefined, { dateOnly: true, floatingZone: obj.floatingZone });
  } else {
    e.start = { local: utcToZoned(zone, startMs, ctx.timeZone), dateOnly: false, zone, tzid: keepTzid(zone, oldStart), utc: new Date(startMs) };
    e.end = { local: utcToZoned(endZone, endMs, ctx.timeZone), dateOnly: false, zone: endZone, tzid: keepTzid(endZone, e.end), utc: new Date(endMs) };
  }
  e.isAllDay = allDay;

  if (e.recurrenceId) return; // an exception: its own times only
  const startMoved = isCreate || oldStart.local !== e.start.local || oldStart.zone !== e.start.zone || oldStart.dateOnly !== e.start.dateOnly;
  let recurrence: Recurrence | undefined | null = pending.recurrence;
  if (recurrence === null) {
    e.rrule = undefined;
    e.recurrence = undefined;
    e.rruleProblem = undefined;
    e.exdates = [];
    e.rdates = [];
    obj.overrides = [];
    return;
  }
  if (recurrence === undefined) {
    if (!e.recurrence || !startMoved) {
      if (startMoved && e.rrule) {
        // a series whose RRULE EWS cannot express: keep the rule, drop what named old instances
        e.exdates = [];
        obj.overrides = [];
      }
      return;
    }
    recurrence = { ...e.recurrence, range: { ...e.recurrence.range, startDate: e.start.local.slice(0, 10) } };
  }
  const before = e.recurrence;
  alignToPattern(e, recurrence, obj);
  e.recurrence = recurrence;
  try {
    e.rrule = recurrenceToRRule(recurrence, { zone: e.start.zone?.startsWith('vtz:') ? 'UTC' : e.start.zone, allDay: e.start.dateOnly });
  } catch (err) {
    if (err instanceof RecurrenceError) throw new EwsError('ErrorCalendarInvalidRecurrence', err.message);
    throw err;
  }
  e.rruleProblem = undefined;
  // A new pattern or a moved series: instances named by the old one are gone (as in Exchange).
  // Only the end changed: the instances are the same ones, and keep their exceptions up to the
  // new end, as Outlook keeps them (DavMail resends the pattern on every save, COUNT as NoEnd).
  const onlyEndChanged =
    !startMoved && !!before && JSON.stringify(before.pattern) === JSON.stringify(recurrence.pattern) && before.range.startDate === recurrence.range.startDate;
  if (!isCreate && onlyEndChanged) {
    const end = recurrence.range.type === 'EndDate' ? recurrence.range.endDate : undefined;
    const within = (d: CalDateTime | undefined) => !end || !d || d.local.slice(0, 10) <= end;
    e.exdates = e.exdates.filter(within);
    obj.overrides = obj.overrides.filter((o) => within(o.recurrenceId));
  } else if (!isCreate) {
    e.exdates = [];
    e.rdates = [];
    obj.overrides = [];
  }
  if (!expandObject(obj, { start: e.start.utc, end: new Date(8_640_000_000_000_000) }, { max: 1 }).length) {
    throw new EwsError('ErrorRecurrenceHasNoOccurrence', 'The recurrence has no occurrence between its start and its end.');
  }
}

/** Moves the series start to the first date on or after the range's start that fits the pattern (Exchange does). */
function alignToPattern(e: CalendarEvent, r: Recurrence, obj: CalendarObject): void {
  const first = firstPatternDate(r.pattern, r.range.startDate);
  if (!first) throw new EwsError('ErrorRecurrenceHasNoOccurrence', 'The recurrence pattern matches no date.');
  if (r.range.type === 'EndDate' && r.range.endDate < first) {
    throw new EwsError('ErrorRecurrenceHasNoOccurrence', `The recurrence ends (${r.range.endDate}) before its first occurrence (${first}).`);
  }
  r.range = { ...r.range, startDate: first };
  const currentDate = e.start.local.slice(0, 10);
  if (currentDate === first) return;
  const shiftDays = Math.round((localAsUtcMs(parseLocal(first)) - localAsUtcMs(parseLocal(currentDate))) / 86_400_000);
  const shift = (dt: CalDateTime): CalDateTime => {
    if (dt.dateOnly) return calDateTime(addDays(dt.local, shiftDays), undefined, { dateOnly: true, floatingZone: obj.floatingZone });
    const local = `${addDays(dt.local.slice(0, 10), shiftDays)}${dt.local.slice(10)}`;
    return { ...dt, local, utc: new Date(zonedToUtc(dt.zone, local, obj.floatingZone)) };
  };
  e.start = shift(e.start);
  e.end = shift(e.end);
}

/**
 * A new calendar item from CreateItem's t:CalendarItem: MimeContent (iCalendar) when given,
 * with the other fields applied on top; else from the fields.
 */
export function createCalendarItem(item: Element, ctx: CalendarWriteContext): { object: CalendarObject } & WriteOutcome {
  const changes = changesOfItemElement(item, 'calendar');
  const out: WriteOutcome = { changed: new Set(), significant: true };
  const mime = changes.find((c) => c.path.kind === 'field' && c.path.uri === 'item:MimeContent');
  let obj: CalendarObject;
  let pending: PendingTimes = {};
  if (mime) {
    obj = objectOfMimeContent(mime.value, ctx);
    if (obj.kind !== 'event' || !obj.master)
      throw new EwsError('ErrorMimeContentConversionFailed', 'MimeContent holds no event (VEVENT without RECURRENCE-ID).');
    obj.method = undefined;
    for (const c of changes) if (c !== mime) applyEventField(obj.master, c, pending, out, ctx, false);
    applyTimes(obj, obj.master, pending, ctx, false);
    return { object: obj, ...out };
  }
  // Fields: collect times first (they may come in any order), then build.
  const placeholder = calDateTime('2000-01-01T00:00:00', 'UTC');
  obj = createEventObject({ start: placeholder, end: placeholder }, { floatingZone: ctx.timeZone });
  const e = obj.master!;
  pending = {};
  for (const c of changes) applyEventField(e, c, pending, out, ctx, true);
  applyTimes(obj, e, pending, ctx, true);
  if (e.attendees.length && !e.organizer) e.organizer = { email: ctx.user.email, name: ctx.user.name };
  return { object: obj, ...out };
}

/**
 * Applies UpdateItem changes (t:Updates) to one event of an object: the master (single events,
 * series) or an override (an occurrence made an exception by modifyOccurrence first).
 */
export function updateCalendarItem(obj: CalendarObject, event: CalendarEvent, updates: Element | Change[], ctx: CalendarWriteContext): WriteOutcome {
  const changes = Array.isArray(updates) ? updates : parseItemChanges(updates);
  const out: WriteOutcome = { changed: new Set(), significant: false };
  const pending: PendingTimes = {};
  for (const c of changes) applyEventField(event, c, pending, out, ctx, false);
  applyTimes(obj, event, pending, ctx, false);
  return out;
}

// ------------------------------------------------------------ tasks

/** Task dates are dates (Outlook's are): the local date of the instant in the user's zone. */
function taskDate(ms: number, zone: string): CalDateTime {
  return calDateTime(utcToZoned(zone, ms).slice(0, 10), undefined, { dateOnly: true, floatingZone: zone });
}

const TASK_STATUSES: readonly TaskStatus[] = ['NotStarted', 'InProgress', 'Completed', 'WaitingOnOthers', 'Deferred'];

function applyTaskField(t: Task, c: Change, out: WriteOutcome, ctx: CalendarWriteContext): void {
  if (c.path.kind === 'extended') return applyExtended(t, c.path, c.op, c.value, out, ctx);
  if (c.path.kind === 'indexed') throw new EwsError('ErrorInvalidPropertyForOperation', `${c.path.uri} does not apply to tasks.`);
  const uri = c.path.uri;
  const el = c.value;
  if (READ_ONLY.has(uri)) throw new EwsError('ErrorInvalidPropertySet', `${uri} is read-only.`);
  if (IGNORED.has(uri)) return;
  out.changed.add(uri);
  if (applyCommonField(t, uri, c.op, el)) return;
  if (c.op === 'append') throw appendRefused(uri);
  const now = ctx.now ?? new Date();
  const dateOf = (what: string) => taskDate(instantOf(timeValue(textOf(el) ?? '', what), ctx.timeZone), ctx.timeZone);
  switch (uri) {
    case 'item:MimeContent':
      throw new EwsError('ErrorInvalidPropertySet', 'MimeContent of a task can only be given when creating it.');
    case 'item:ReminderIsSet':
      if (c.op === 'delete' || !boolValue(el!, uri)) t.reminderAt = undefined;
      else t.reminderAt ??= t.due ? new Date(t.due.utc.getTime() + 9 * 3_600_000) : new Date(now.getTime() + 3_600_000);
      return;
    case 'item:ReminderMinutesBeforeStart':
      return;
    case 'task:DueDate':
      t.due = c.op === 'delete' ? undefined : dateOf(uri);
      return;
    case 'task:StartDate':
      t.start = c.op === 'delete' ? undefined : dateOf(uri);
      return;
    case 'task:CompleteDate': {
      if (c.op === 'delete') {
        t.completed = undefined;
        return;
      }
      const ms = instantOf(timeValue(textOf(el) ?? '', uri), ctx.timeZone);
      if (ms > now.getTime() + 86_400_000) throw new EwsError('ErrorInvalidCompleteDate', `CompleteDate ${new Date(ms).toISOString()} is in the future.`);
      t.completed = new Date(ms);
      t.status = 'Completed';
      t.percentComplete = 100;
      return;
    }
    case 'task:PercentComplete': {
      const v = c.op === 'delete' ? 0 : Number(text(el));
      if (!Number.isFinite(v) || v < 0 || v > 100)
        throw new EwsError('ErrorInvalidPercentCompleteValue', `PercentComplete ${text(el)} is not between 0 and 100.`);
      t.percentComplete = v;
      if (v === 100) {
        t.status = 'Completed';
        t.completed ??= now;
      } else if (t.status === 'Completed') {
        t.status = v > 0 ? 'InProgress' : 'NotStarted';
        t.completed = undefined;
      } else if (v > 0 && t.status === 'NotStarted') t.status = 'InProgress';
      return;
    }
    case 'task:Status': {
      const s = c.op === 'delete' ? 'NotStarted' : enumValue<TaskStatus>(el!, uri, TASK_STATUSES);
      t.status = s;
      if (s === 'Completed') {
        t.percentComplete = 100;
        t.completed ??= now;
      } else {
        t.completed = undefined;
        if (s === 'NotStarted') t.percentComplete = 0;
        else if (t.percentComplete === 100) t.percentComplete = s === 'InProgress' ? 50 : 0;
      }
      return;
    }
    case 'task:Recurrence': {
      if (c.op === 'delete') {
        t.rrule = undefined;
        t.recurrence = undefined;
        t.exdates = [];
        return;
      }
      const r = parseRecurrence(el!, true);
      const anchorDate = t.start?.local.slice(0, 10) ?? t.due?.local.slice(0, 10) ?? r.range.startDate;
      const first = r.pattern.type.endsWith('Regeneration') ? r.range.startDate : firstPatternDate(r.pattern, r.range.startDate);
      if (!first) throw new EwsError('ErrorRecurrenceHasNoOccurrence', 'The recurrence pattern matches no date.');
      r.range = { ...r.range, startDate: first };
      if (!t.start && !t.due) t.due = calDateTime(first, undefined, { dateOnly: true, floatingZone: ctx.timeZone });
      else if (anchorDate !== first && !r.pattern.type.endsWith('Regeneration')) {
        const shift = Math.round((localAsUtcMs(parseLocal(first)) - localAsUtcMs(parseLocal(anchorDate))) / 86_400_000);
        if (t.start) t.start = calDateTime(addDays(t.start.local.slice(0, 10), shift), undefined, { dateOnly: true, floatingZone: ctx.timeZone });
        if (t.due) t.due = calDateTime(addDays(t.due.local.slice(0, 10), shift), undefined, { dateOnly: true, floatingZone: ctx.timeZone });
      }
      t.recurrence = r;
      try {
        t.rrule = recurrenceToRRule(r, { allDay: true });
      } catch (err) {
        if (err instanceof RecurrenceError) throw new EwsError('ErrorCalendarInvalidRecurrence', err.message);
        throw err;
      }
      return;
    }
    default:
      throw new EwsError('ErrorInvalidPropertySet', `${uri} cannot be set on a task.`);
  }
}

function checkTask(t: Task): void {
  if (t.start && t.due && t.due.local < t.start.local) {
    throw new EwsError('ErrorInvalidValueForProperty', `The task is due (${t.due.local}) before it starts (${t.start.local}).`);
  }
}

/** The iCalendar a CreateItem carries as base64 MimeContent, parsed; ErrorMimeContentConversionFailed when it is not iCalendar. */
function objectOfMimeContent(value: Parameters<typeof textOf>[0], ctx: CalendarWriteContext): CalendarObject {
  const raw = Buffer.from((textOf(value) ?? '').replace(/\s+/g, ''), 'base64').toString('utf8');
  try {
    return parseCalendarObject(raw, { floatingZone: ctx.timeZone });
  } catch (e) {
    if (e instanceof IcalError) throw new EwsError('ErrorMimeContentConversionFailed', `MimeContent is not usable iCalendar: ${e.message}`);
    throw e;
  }
}

/** A new task from CreateItem's t:Task (fields, or MimeContent holding a VTODO). */
export function createTask(item: Element, ctx: CalendarWriteContext): { object: CalendarObject } & WriteOutcome {
  const changes = changesOfItemElement(item, 'task');
  const out: WriteOutcome = { changed: new Set(), significant: false };
  const mime = changes.find((c) => c.path.kind === 'field' && c.path.uri === 'item:MimeContent');
  let obj: CalendarObject;
  if (mime) {
    obj = objectOfMimeContent(mime.value, ctx);
    if (obj.kind !== 'todo' || !obj.task) throw new EwsError('ErrorMimeContentConversionFailed', 'MimeContent holds no VTODO.');
  } else obj = createTaskObject({}, { floatingZone: ctx.timeZone });
  for (const c of changes) if (c !== mime) applyTaskField(obj.task!, c, out, ctx);
  checkTask(obj.task!);
  return { object: obj, ...out };
}

/** Applies UpdateItem changes to a task. */
export function updateTask(obj: CalendarObject, updates: Element | Change[], ctx: CalendarWriteContext): WriteOutcome {
  if (!obj.task) throw new EwsError('ErrorItemNotFound', 'The object holds no task.');
  const changes = Array.isArray(updates) ? updates : parseItemChanges(updates);
  const out: WriteOutcome = { changed: new Set(), significant: false };
  for (const c of changes) applyTaskField(obj.task, c, out, ctx);
  checkTask(obj.task);
  return out;
}

export type { Change as ItemChange };
