// iCalendar ⇄ plain models, pure (ical.js does the syntax). One CalDAV object
// resource is a CalendarObject: one UID, either events (the single event or the
// series master, plus RECURRENCE-ID overrides) or a task.
//
// The models carry the ical.js component they were read from. Writing
// (serializeCalendarObject) applies only the fields whose values changed since
// reading to that component, so every property we do not model (X-…, Google's
// and Apple's extensions, unknown parameters, VALARMs we did not touch) and
// every untouched known property survives an update as it was.
//
// Times: CalDateTime keeps the wall clock as written plus its zone (IANA id,
// "UTC", a "vtz:" handle for a calendar-supplied VTIMEZONE that matches no IANA
// zone, or undefined for floating times and dates) and the instant it denotes.
// Floating times and all-day dates are read in `floatingZone` (default UTC; the
// caller passes the user's zone).
import { createHash } from 'node:crypto';
import ICAL from 'ical.js';
import {
  TimeZoneError,
  localAsUtcMs,
  localToUtc,
  offsetAt,
  parseLocal,
  resolveTzid,
  utcToLocal,
  vtimezoneFor,
  windowsZoneRepresentatives,
  fieldsFromUtcMs,
  formatLocal,
  formatLocalDate,
} from './timezones.js';
import { RecurrenceError, impossibleRule, recurrenceToRRule, rruleToRecurrence, UnsupportedRecurrenceError, type Recurrence } from './recurrence.js';

export const PRODID = '-//ewsgate//ewsgate 0.1//EN';
/** Marks a VTODO whose RRULE regenerates from each completion (EWS *Regeneration patterns). */
export const X_REGENERATION = 'X-EWSGATE-REGENERATION';
/** Keeps EWS task states iCalendar has no STATUS for (WaitingOnOthers, Deferred). */
export const X_TASK_STATUS = 'X-EWSGATE-TASK-STATUS';
/** Keeps EWS Sensitivity "Personal", which CLASS cannot say. */
export const X_SENSITIVITY = 'X-EWSGATE-SENSITIVITY';

export class IcalError extends Error {
  constructor(
    message: string,
    readonly uid?: string,
  ) {
    super(message);
    this.name = 'IcalError';
  }
}

// ------------------------------------------------------------ times

export interface CalDateTime {
  /** "YYYY-MM-DDTHH:MM:SS", or "YYYY-MM-DD" when dateOnly. */
  local: string;
  dateOnly: boolean;
  /** IANA id, "UTC", "vtz:…" (calendar-supplied zone), or undefined (floating / date). */
  zone?: string;
  /** The TZID parameter as written; kept on write while the zone is unchanged. */
  tzid?: string;
  /** The instant (floating and date values read in the object's floating zone). */
  utc: Date;
}

const customZones = new Map<string, ICAL.Timezone>();

function customZoneToUtc(key: string, local: string): number {
  const tz = customZones.get(key);
  if (!tz) throw new TimeZoneError(key, `The time zone ${key} is not loaded.`);
  const t = ICAL.Time.fromDateTimeString(local.length === 10 ? `${local}T00:00:00` : local);
  const off = tz.utcOffset(t);
  return localAsUtcMs(parseLocal(local)) - off * 1000;
}

function customZoneToLocal(key: string, ms: number): string {
  const tz = customZones.get(key);
  if (!tz) throw new TimeZoneError(key, `The time zone ${key} is not loaded.`);
  const t = ICAL.Time.fromJSDate(new Date(Math.floor(ms / 1000) * 1000), true);
  return t.convertToZone(tz).toString().replace(/Z$/, '').slice(0, 19);
}

/** The instant of a wall-clock time in a zone (undefined zone: floating, read in `floatingZone`). */
export function zonedToUtc(zone: string | undefined, local: string, floatingZone = 'UTC'): number {
  const full = local.length === 10 ? `${local}T00:00:00` : local;
  if (zone?.startsWith('vtz:')) return customZoneToUtc(zone, full);
  return localToUtc(zone ?? floatingZone, full);
}

/** The wall clock of an instant in a zone (undefined: the floating zone). */
export function utcToZoned(zone: string | undefined, ms: number, floatingZone = 'UTC'): string {
  if (zone?.startsWith('vtz:')) return customZoneToLocal(zone, ms);
  return utcToLocal(zone ?? floatingZone, ms);
}

/** A CalDateTime from a wall clock and zone. */
export function calDateTime(local: string, zone: string | undefined, opts: { dateOnly?: boolean; tzid?: string; floatingZone?: string } = {}): CalDateTime {
  const dateOnly = opts.dateOnly ?? local.length === 10;
  const l = dateOnly ? local.slice(0, 10) : local.length === 16 ? `${local}:00` : local;
  parseLocal(l);
  return {
    local: l,
    dateOnly,
    zone: dateOnly ? undefined : zone,
    tzid: dateOnly ? undefined : opts.tzid,
    utc: new Date(zonedToUtc(dateOnly ? undefined : zone, l, opts.floatingZone)),
  };
}

/** A CalDateTime for an instant, shown in `zone`. */
export function calDateTimeFromUtc(ms: number, zone: string | undefined, floatingZone = 'UTC'): CalDateTime {
  return { local: utcToZoned(zone, ms, floatingZone), dateOnly: false, zone, utc: new Date(Math.floor(ms / 1000) * 1000) };
}

// ------------------------------------------------------------ models

export type FreeBusyStatus = 'Free' | 'Tentative' | 'Busy' | 'OOF' | 'WorkingElsewhere' | 'NoData';
export type Sensitivity = 'Normal' | 'Personal' | 'Private' | 'Confidential';
export type Importance = 'Low' | 'Normal' | 'High';
export type ResponseType = 'Unknown' | 'Organizer' | 'Tentative' | 'Accept' | 'Decline' | 'NoResponseReceived';
export type AttendeeKind = 'Required' | 'Optional' | 'Resource';

export interface Person {
  email: string;
  name?: string;
}

export interface Attendee extends Person {
  kind: AttendeeKind;
  response: ResponseType;
  /** RSVP=TRUE: the organizer asked for an answer. */
  rsvp?: boolean;
}

export interface Attachment {
  filename?: string;
  contentType?: string;
  /** A link (ATTACH:uri) … */
  uri?: string;
  /** … or inline content (ATTACH;ENCODING=BASE64;VALUE=BINARY). */
  data?: Buffer;
}

interface Common {
  uid: string;
  sequence: number;
  stamp?: Date;
  created?: Date;
  lastModified?: Date;
  subject: string;
  /** DESCRIPTION (plain text). */
  body: string;
  /** X-ALT-DESC;FMTTYPE=text/html, when the writer kept an HTML body. */
  htmlBody?: string;
  sensitivity: Sensitivity;
  importance: Importance;
  categories: string[];
  attachments: Attachment[];
  /** RRULE value (master only). */
  rrule?: string;
  /** The RRULE as an EWS pattern; undefined when none or not expressible (see rruleProblem). */
  recurrence?: Recurrence;
  /** Why `recurrence` is undefined although there is an RRULE. */
  rruleProblem?: string;
  exdates: CalDateTime[];
  rdates: CalDateTime[];
  /** The component this model was read from (or created for); writing applies changes to it. */
  component: ICAL.Component;
}

export interface CalendarEvent extends Common {
  /** Set on overrides (modified occurrences): the original start of the occurrence. */
  recurrenceId?: CalDateTime;
  location?: string;
  start: CalDateTime;
  end: CalDateTime;
  isAllDay: boolean;
  freeBusy: FreeBusyStatus;
  /** Minutes before the start of the first display/audio alarm; undefined: no reminder. */
  reminderMinutes?: number;
  organizer?: Person;
  attendees: Attendee[];
  status?: 'TENTATIVE' | 'CONFIRMED' | 'CANCELLED';
  /** URL of an online meeting or the event's web page (URL, X-GOOGLE-CONFERENCE, X-MICROSOFT-SKYPETEAMSMEETINGURL). */
  url?: string;
}

export type TaskStatus = 'NotStarted' | 'InProgress' | 'Completed' | 'WaitingOnOthers' | 'Deferred';

export interface Task extends Common {
  status: TaskStatus;
  percentComplete: number;
  start?: CalDateTime;
  due?: CalDateTime;
  completed?: Date;
  /** When the reminder fires (absolute); undefined: no reminder. */
  reminderAt?: Date;
}

export interface CalendarObject {
  kind: 'event' | 'todo';
  uid: string;
  /** The single event or the series master; undefined when the resource holds only overrides. */
  master?: CalendarEvent;
  overrides: CalendarEvent[];
  task?: Task;
  /** The whole VCALENDAR. */
  calendar: ICAL.Component;
  method?: string;
  /** What was wrong but readable (unknown zones, end before start …). */
  warnings: string[];
  floatingZone: string;
}

export interface ParseOptions {
  /** Zone for floating times and all-day dates (default UTC). */
  floatingZone?: string;
}

// ------------------------------------------------------------ reading helpers

type Comp = ICAL.Component;
type Prop = ICAL.Property;

function rawValues(p: Prop): string[] {
  return (p.toJSON() as unknown[]).slice(3).map((v) => (typeof v === 'string' ? v : String(v)));
}

function propText(c: Comp, name: string): string | undefined {
  const p = c.getFirstProperty(name);
  if (!p) return undefined;
  const v = p.getFirstValue();
  return v === null || v === undefined ? undefined : String(v);
}

function propDate(c: Comp, name: string): Date | undefined {
  const p = c.getFirstProperty(name);
  if (!p) return undefined;
  const raw = rawValues(p)[0];
  if (!raw) return undefined;
  const d = new Date(/Z$/.test(raw) || raw.length === 10 ? raw : `${raw}Z`);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

class ZoneBook {
  private readonly cache = new Map<string, string | undefined>();
  constructor(
    private readonly calendar: Comp,
    private readonly warnings: string[],
  ) {}

  /** The zone key for a TZID: IANA, "UTC", "vtz:…", or undefined (unknown: floating). */
  resolve(tzid: string): string | undefined {
    if (this.cache.has(tzid)) return this.cache.get(tzid);
    let zone: string | undefined = resolveTzid(tzid);
    if (!zone) {
      const vtz = this.calendar.getAllSubcomponents('vtimezone').find((v) => propText(v, 'tzid') === tzid);
      if (vtz) zone = zoneForVtimezone(vtz);
      else this.warnings.push(`The time zone "${tzid}" is neither known nor defined in the calendar; its times are read as floating.`);
    }
    this.cache.set(tzid, zone);
    return zone;
  }
}

/** An IANA zone whose offsets equal the VTIMEZONE's over two years, else a "vtz:" handle for it. */
function zoneForVtimezone(vtz: Comp): string {
  const text = vtz.toString();
  const key = `vtz:${propText(vtz, 'tzid')}:${createHash('sha1').update(text).digest('hex').slice(0, 12)}`;
  if (customZones.has(key)) return matchedZones.get(key) ?? key;
  const tz = new ICAL.Timezone(vtz);
  if (customZones.size > 500) customZones.delete(customZones.keys().next().value as string);
  customZones.set(key, tz);
  const year = new Date().getUTCFullYear();
  const samples: number[] = [];
  for (let m = 0; m < 24; m++) for (const d of [1, 15]) samples.push(Date.UTC(year - 1 + Math.floor(m / 12), m % 12, d, 12));
  const want = samples.map((ms) => {
    const local = customZoneToLocal(key, ms);
    return Math.round((localAsUtcMs(parseLocal(local)) - ms) / 60000);
  });
  const hit = windowsZoneRepresentatives().find((r) => samples.every((ms, i) => offsetAt(r.iana, ms) === want[i]));
  if (hit) matchedZones.set(key, hit.iana);
  return hit?.iana ?? key;
}
const matchedZones = new Map<string, string>();

function readTime(p: Prop, raw: string, zones: ZoneBook, floatingZone: string): CalDateTime {
  const dateOnly = !raw.includes('T');
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}:\d{2}))?(Z)?$/.exec(raw);
  if (!m) throw new IcalError(`${p.name.toUpperCase()} "${raw}" is not a date or date-time.`);
  const local = dateOnly ? m[1] : `${m[1]}T${m[2]}`;
  try {
    parseLocal(local);
  } catch (e) {
    throw new IcalError(`${p.name.toUpperCase()} "${raw}" is not a valid date: ${(e as Error).message}`);
  }
  if (dateOnly) return { local, dateOnly: true, utc: new Date(zonedToUtc(undefined, local, floatingZone)) };
  if (m[3]) return { local, dateOnly: false, zone: 'UTC', utc: new Date(zonedToUtc('UTC', local)) };
  const tzidParam = p.getParameter('tzid');
  const tzid = Array.isArray(tzidParam) ? tzidParam[0] : tzidParam;
  if (!tzid) return { local, dateOnly: false, utc: new Date(zonedToUtc(undefined, local, floatingZone)) };
  const zone = zones.resolve(tzid);
  return { local, dateOnly: false, zone, tzid, utc: new Date(zonedToUtc(zone, local, floatingZone)) };
}

function readTimes(c: Comp, name: string, zones: ZoneBook, floatingZone: string): CalDateTime[] {
  const out: CalDateTime[] = [];
  for (const p of c.getAllProperties(name)) {
    const type = p.type;
    if (type === 'period') continue; // RDATE periods: rare; kept in the component, not modelled
    for (const raw of rawValues(p)) out.push(readTime(p, raw, zones, floatingZone));
  }
  return out;
}

function readOneTime(c: Comp, name: string, zones: ZoneBook, floatingZone: string): CalDateTime | undefined {
  const p = c.getFirstProperty(name);
  if (!p) return undefined;
  const raw = rawValues(p)[0];
  if (!raw) throw new IcalError(`${name.toUpperCase()} has no value.`);
  return readTime(p, raw, zones, floatingZone);
}

function durationMs(text: string): number {
  try {
    return ICAL.Duration.fromString(text).toSeconds() * 1000;
  } catch {
    throw new IcalError(`DURATION "${text}" is not a duration.`);
  }
}

function emailOf(v: string): string {
  return v.replace(/^mailto:/i, '').trim();
}

function param(p: Prop, name: string): string | undefined {
  const v = p.getParameter(name);
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? String(v[0]) : String(v);
}

const PARTSTAT_TO_RESPONSE: Record<string, ResponseType> = {
  'NEEDS-ACTION': 'NoResponseReceived',
  ACCEPTED: 'Accept',
  DECLINED: 'Decline',
  TENTATIVE: 'Tentative',
  DELEGATED: 'Unknown',
};
const RESPONSE_TO_PARTSTAT: Record<ResponseType, string> = {
  NoResponseReceived: 'NEEDS-ACTION',
  Unknown: 'NEEDS-ACTION',
  Accept: 'ACCEPTED',
  Organizer: 'ACCEPTED',
  Decline: 'DECLINED',
  Tentative: 'TENTATIVE',
};

function readAttendees(c: Comp, organizer?: Person): Attendee[] {
  return c.getAllProperties('attendee').map((p) => {
    const email = emailOf(String(p.getFirstValue() ?? ''));
    const cutype = param(p, 'cutype')?.toUpperCase();
    const role = param(p, 'role')?.toUpperCase();
    const kind: AttendeeKind =
      cutype === 'RESOURCE' || cutype === 'ROOM' ? 'Resource' : role === 'OPT-PARTICIPANT' || role === 'NON-PARTICIPANT' ? 'Optional' : 'Required';
    const isOrganizer = !!organizer && organizer.email.toLowerCase() === email.toLowerCase();
    const partstat = param(p, 'partstat')?.toUpperCase() ?? 'NEEDS-ACTION';
    return {
      email,
      name: param(p, 'cn'),
      kind,
      response: isOrganizer ? 'Organizer' : (PARTSTAT_TO_RESPONSE[partstat] ?? 'Unknown'),
      rsvp: param(p, 'rsvp')?.toUpperCase() === 'TRUE' || undefined,
    };
  });
}

function readOrganizer(c: Comp): Person | undefined {
  const p = c.getFirstProperty('organizer');
  if (!p) return undefined;
  const email = emailOf(String(p.getFirstValue() ?? ''));
  return email ? { email, name: param(p, 'cn') } : undefined;
}

function readCategories(c: Comp): string[] {
  return c.getAllProperties('categories').flatMap((p) =>
    p
      .getValues()
      .map((v) => String(v).trim())
      .filter(Boolean),
  );
}

function readAttachments(c: Comp): Attachment[] {
  return c.getAllProperties('attach').map((p) => {
    const filename = param(p, 'x-filename') ?? param(p, 'filename') ?? param(p, 'x-apple-filename') ?? param(p, 'x-evolution-caldav-attachment-name');
    const contentType = param(p, 'fmttype');
    const raw = rawValues(p)[0] ?? '';
    if (p.type === 'binary' || param(p, 'encoding')?.toUpperCase() === 'BASE64') {
      return { filename, contentType, data: Buffer.from(raw.replace(/\s+/g, ''), 'base64') };
    }
    return { filename: filename ?? (decodeURIComponent(raw.split(/[/?#]/).filter(Boolean).pop() ?? '') || undefined), contentType, uri: raw };
  });
}

function readSensitivity(c: Comp): Sensitivity {
  const x = propText(c, X_SENSITIVITY.toLowerCase())?.toUpperCase();
  if (x === 'PERSONAL') return 'Personal';
  const cls = propText(c, 'class')?.toUpperCase();
  if (cls === 'PRIVATE') return 'Private';
  if (cls === 'CONFIDENTIAL') return 'Confidential';
  return 'Normal';
}

function readImportance(c: Comp): Importance {
  const cdo = propText(c, 'x-microsoft-cdo-importance');
  if (cdo === '0') return 'Low';
  if (cdo === '2') return 'High';
  const prio = Number(propText(c, 'priority') ?? 0);
  if (prio >= 1 && prio <= 4) return 'High';
  if (prio >= 6 && prio <= 9) return 'Low';
  return 'Normal';
}

function readFreeBusy(c: Comp): FreeBusyStatus {
  const cdo = (propText(c, 'x-microsoft-cdo-busystatus') ?? propText(c, 'x-microsoft-cdo-intendedstatus'))?.toUpperCase();
  switch (cdo) {
    case 'FREE':
      return 'Free';
    case 'TENTATIVE':
      return 'Tentative';
    case 'BUSY':
      return 'Busy';
    case 'OOF':
      return 'OOF';
    case 'WORKINGELSEWHERE':
      return 'WorkingElsewhere';
  }
  if (propText(c, 'transp')?.toUpperCase() === 'TRANSPARENT') return 'Free';
  if (propText(c, 'status')?.toUpperCase() === 'TENTATIVE') return 'Tentative';
  return 'Busy';
}

/** Trigger of the first display/audio alarm, in ms relative to the anchor (negative: before), or an absolute instant. */
function firstAlarm(c: Comp): { related: 'START' | 'END'; ms: number } | { at: Date } | undefined {
  for (const a of c.getAllSubcomponents('valarm')) {
    const action = propText(a, 'action')?.toUpperCase();
    if (action && action !== 'DISPLAY' && action !== 'AUDIO') continue;
    const t = a.getFirstProperty('trigger');
    if (!t) continue;
    const raw = rawValues(t)[0] ?? '';
    if (t.type === 'date-time' || param(t, 'value')?.toUpperCase() === 'DATE-TIME') {
      const d = new Date(/Z$/.test(raw) ? raw : `${raw}Z`);
      if (!Number.isNaN(d.getTime())) return { at: d };
      continue;
    }
    try {
      return { related: param(t, 'related')?.toUpperCase() === 'END' ? 'END' : 'START', ms: ICAL.Duration.fromString(raw).toSeconds() * 1000 };
    } catch {
      continue;
    }
  }
  return undefined;
}

function readCommon(c: Comp, zones: ZoneBook, floatingZone: string): Omit<Common, 'component'> {
  const uid = propText(c, 'uid')?.trim();
  if (!uid) throw new IcalError(`A ${c.name.toUpperCase()} has no UID.`);
  const rruleProp = c.getFirstProperty('rrule');
  const html = c.getAllProperties('x-alt-desc').find((p) => (param(p, 'fmttype') ?? '').toLowerCase() === 'text/html');
  return {
    uid,
    sequence: Number(propText(c, 'sequence') ?? 0) || 0,
    stamp: propDate(c, 'dtstamp'),
    created: propDate(c, 'created'),
    lastModified: propDate(c, 'last-modified'),
    subject: propText(c, 'summary') ?? '',
    body: propText(c, 'description') ?? '',
    htmlBody: html ? String(html.getFirstValue() ?? '') : undefined,
    sensitivity: readSensitivity(c),
    importance: readImportance(c),
    categories: readCategories(c),
    attachments: readAttachments(c),
    rrule: rruleProp ? recurString(rruleProp) : undefined,
    exdates: readTimes(c, 'exdate', zones, floatingZone),
    rdates: readTimes(c, 'rdate', zones, floatingZone),
  };
}

/** The RRULE as written (ical.js's Recur.toString drops WKST=MO and reorders parts). */
function recurString(p: Prop): string {
  return p
    .toICALString()
    .replace(/^[^:]*:/, '')
    .replace(/\r?\n[ \t]/g, '');
}

function attachRecurrence(m: Common, dtstart: CalDateTime, regeneration: boolean, warnings: string[]): void {
  if (!m.rrule) return;
  try {
    m.recurrence = rruleToRecurrence(m.rrule, dtstart.local, {
      zone: dtstart.zone?.startsWith('vtz:') ? undefined : dtstart.zone,
      allDay: dtstart.dateOnly,
      regeneration,
    });
  } catch (e) {
    if (e instanceof UnsupportedRecurrenceError) m.rruleProblem = e.message;
    else if (e instanceof RecurrenceError) {
      m.rruleProblem = e.message;
      warnings.push(e.message);
    } else throw e;
  }
}

function readEvent(c: Comp, zones: ZoneBook, floatingZone: string, warnings: string[]): CalendarEvent {
  const common = readCommon(c, zones, floatingZone);
  const start = readOneTime(c, 'dtstart', zones, floatingZone);
  if (!start) throw new IcalError(`The event "${common.uid}" has no DTSTART.`, common.uid);
  let end = readOneTime(c, 'dtend', zones, floatingZone);
  if (!end) {
    const dur = propText(c, 'duration');
    if (dur !== undefined) {
      const ms = start.utc.getTime() + durationMs(c.getFirstProperty('duration') ? rawValues(c.getFirstProperty('duration')!)[0] : dur);
      end = start.dateOnly
        ? { local: formatLocalDate(fieldsFromUtcMs(localAsUtcMs(parseLocal(start.local)) + (ms - start.utc.getTime()))), dateOnly: true, utc: new Date(ms) }
        : calDateTimeFromUtc(ms, start.zone, floatingZone);
      if (!start.dateOnly) end = { ...end, tzid: start.tzid };
    } else if (start.dateOnly) {
      const next = formatLocalDate(fieldsFromUtcMs(localAsUtcMs(parseLocal(start.local)) + 86_400_000));
      end = { local: next, dateOnly: true, utc: new Date(zonedToUtc(undefined, next, floatingZone)) };
    } else end = { ...start };
  }
  if (end.utc.getTime() < start.utc.getTime()) {
    warnings.push(`The event "${common.uid}" ends (${end.local}) before it starts (${start.local}); read as ending at its start.`);
    end = { ...start };
  }
  const organizer = readOrganizer(c);
  const alarm = firstAlarm(c);
  const durMs = end.utc.getTime() - start.utc.getTime();
  let reminderMinutes: number | undefined;
  if (alarm) {
    if ('at' in alarm) reminderMinutes = Math.round((start.utc.getTime() - alarm.at.getTime()) / 60000);
    else reminderMinutes = Math.round(-(alarm.ms + (alarm.related === 'END' ? durMs : 0)) / 60000);
  }
  const statusText = propText(c, 'status')?.toUpperCase();
  const ev: CalendarEvent = {
    ...common,
    recurrenceId: readOneTime(c, 'recurrence-id', zones, floatingZone),
    location: propText(c, 'location'),
    start,
    end,
    isAllDay: start.dateOnly || (!!propText(c, 'x-microsoft-cdo-alldayevent')?.toUpperCase().startsWith('T') && isMidnightSpan(start, end)),
    freeBusy: readFreeBusy(c),
    reminderMinutes,
    organizer,
    attendees: readAttendees(c, organizer),
    status: statusText === 'TENTATIVE' || statusText === 'CONFIRMED' || statusText === 'CANCELLED' ? statusText : undefined,
    url: propText(c, 'url') ?? propText(c, 'x-microsoft-skypeteamsmeetingurl') ?? propText(c, 'x-google-conference'),
    component: c,
  };
  const impossible = ev.rrule ? impossibleRule(ev.rrule, start.local) : undefined;
  if (impossible) throw new IcalError(`The event "${ev.uid}" cannot recur: ${impossible}`, ev.uid);
  attachRecurrence(ev, start, false, warnings);
  return ev;
}

function isMidnightSpan(start: CalDateTime, end: CalDateTime): boolean {
  return start.local.endsWith('T00:00:00') && end.local.endsWith('T00:00:00') && end.local > start.local;
}

const PERCENT_RE = /^\d{1,3}$/;

function readTask(c: Comp, zones: ZoneBook, floatingZone: string, warnings: string[]): Task {
  const common = readCommon(c, zones, floatingZone);
  const start = readOneTime(c, 'dtstart', zones, floatingZone);
  let due = readOneTime(c, 'due', zones, floatingZone);
  if (!due && start && propText(c, 'duration'))
    due = calDateTimeFromUtc(start.utc.getTime() + durationMs(rawValues(c.getFirstProperty('duration')!)[0]), start.zone, floatingZone);
  const pctText = propText(c, 'percent-complete');
  let percent = pctText && PERCENT_RE.test(pctText) ? Math.min(100, Number(pctText)) : 0;
  const statusText = propText(c, 'status')?.toUpperCase();
  const x = propText(c, X_TASK_STATUS.toLowerCase());
  let status: TaskStatus;
  if (x === 'WaitingOnOthers' || x === 'Deferred') status = x;
  else if (statusText === 'COMPLETED') status = 'Completed';
  else if (statusText === 'IN-PROCESS') status = 'InProgress';
  else if (statusText === 'CANCELLED') status = 'Deferred';
  else status = percent > 0 && percent < 100 ? 'InProgress' : 'NotStarted';
  const completed = propDate(c, 'completed');
  if (status === 'Completed') percent = 100;
  const alarm = firstAlarm(c);
  let reminderAt: Date | undefined;
  if (alarm) {
    if ('at' in alarm) reminderAt = alarm.at;
    else {
      const anchor = alarm.related === 'END' ? (due ?? start) : (start ?? due);
      if (anchor) reminderAt = new Date(anchor.utc.getTime() + alarm.ms);
    }
  }
  const task: Task = { ...common, status, percentComplete: percent, start, due, completed, reminderAt, component: c };
  const anchor = start ?? due;
  if (anchor) attachRecurrence(task, anchor, propText(c, X_REGENERATION.toLowerCase())?.toUpperCase() === 'TRUE', warnings);
  else if (task.rrule) task.rruleProblem = 'A recurring task needs a start or due date.';
  return task;
}

// ------------------------------------------------------------ snapshots (what changed since reading)

const snapshots = new WeakMap<object, Record<string, string>>();

const EVENT_GROUPS: Record<string, (e: CalendarEvent) => unknown> = {
  subject: (e) => e.subject,
  body: (e) => [e.body, e.htmlBody],
  location: (e) => e.location,
  times: (e) => [e.start.local, e.start.dateOnly, e.start.zone, e.end.local, e.end.dateOnly, e.end.zone, e.isAllDay],
  freeBusy: (e) => e.freeBusy,
  sensitivity: (e) => e.sensitivity,
  importance: (e) => e.importance,
  categories: (e) => e.categories,
  reminder: (e) => e.reminderMinutes,
  organizer: (e) => e.organizer,
  attendees: (e) => e.attendees,
  status: (e) => e.status,
  recurrence: (e) => [e.rrule, e.recurrence],
  exdates: (e) => e.exdates.map((d) => [d.local, d.zone, d.dateOnly]),
  rdates: (e) => e.rdates.map((d) => [d.local, d.zone, d.dateOnly]),
  attachments: (e) => e.attachments.map((a) => [a.filename, a.contentType, a.uri, a.data && createHash('sha1').update(a.data).digest('hex')]),
  sequence: (e) => e.sequence,
  recurrenceId: (e) => e.recurrenceId && [e.recurrenceId.local, e.recurrenceId.zone],
  url: (e) => e.url,
};

const TASK_GROUPS: Record<string, (t: Task) => unknown> = {
  subject: (t) => t.subject,
  body: (t) => [t.body, t.htmlBody],
  sensitivity: (t) => t.sensitivity,
  importance: (t) => t.importance,
  categories: (t) => t.categories,
  status: (t) => [t.status, t.percentComplete, t.completed?.getTime()],
  times: (t) => [t.start?.local, t.start?.zone, t.start?.dateOnly, t.due?.local, t.due?.zone, t.due?.dateOnly],
  reminder: (t) => t.reminderAt?.getTime(),
  recurrence: (t) => [t.rrule, t.recurrence],
  exdates: (t) => t.exdates.map((d) => [d.local, d.zone, d.dateOnly]),
  attachments: (t) => t.attachments.map((a) => [a.filename, a.contentType, a.uri, a.data && createHash('sha1').update(a.data).digest('hex')]),
  sequence: (t) => t.sequence,
};

function fingerprint<T>(m: T, groups: Record<string, (m: T) => unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(groups).map(([k, f]) => [k, JSON.stringify(f(m)) ?? 'null']));
}

function changedGroups<T extends object>(m: T, groups: Record<string, (m: T) => unknown>): Set<string> {
  const before = snapshots.get(m);
  const now = fingerprint(m, groups);
  return new Set(Object.keys(now).filter((k) => !before || before[k] !== now[k]));
}

// ------------------------------------------------------------ parse

/** Reads one CalDAV object resource. Throws IcalError with a precise reason when it cannot. */
export function parseCalendarObject(text: string, opts: ParseOptions = {}): CalendarObject {
  const floatingZone = opts.floatingZone ?? 'UTC';
  let calendar: Comp;
  // ical.js reads RRULE values while parsing; say which line is wrong rather than "not iCalendar".
  for (const m of text.matchAll(/^(?:RRULE|EXRULE)(?:;[^:\r\n]*)?:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/gim)) {
    const value = m[1].replace(/\r?\n[ \t]/g, '');
    try {
      ICAL.Recur.fromString(value);
    } catch (e) {
      throw new IcalError(`RRULE "${value}" is not valid: ${(e as Error).message}`);
    }
  }
  try {
    const jcal = ICAL.parse(text.replace(/^\uFEFF/, ''));
    const root = Array.isArray(jcal) && typeof jcal[0] === 'string' ? jcal : Array.isArray(jcal) ? jcal[0] : undefined;
    if (!root) throw new Error('no component');
    calendar = new ICAL.Component(root);
  } catch (e) {
    throw new IcalError(`The calendar data is not iCalendar: ${(e as Error).message}`);
  }
  if (calendar.name !== 'vcalendar') throw new IcalError(`The calendar data starts with ${calendar.name.toUpperCase()}, not VCALENDAR.`);
  const warnings: string[] = [];
  const zones = new ZoneBook(calendar, warnings);
  const vevents = calendar.getAllSubcomponents('vevent');
  const vtodos = calendar.getAllSubcomponents('vtodo');
  const method = propText(calendar, 'method')?.toUpperCase();
  if (vevents.length) {
    let events: CalendarEvent[];
    try {
      events = vevents.map((v) => readEvent(v, zones, floatingZone, warnings));
    } catch (e) {
      if (e instanceof IcalError || e instanceof TimeZoneError) throw e instanceof IcalError ? e : new IcalError(e.message);
      throw new IcalError(`The event data is not valid: ${(e as Error).message}`);
    }
    const uid = events[0].uid;
    if (events.some((e) => e.uid !== uid)) warnings.push(`The resource holds events of several UIDs; only "${uid}" is read.`);
    const mine = events.filter((e) => e.uid === uid);
    const master = mine.find((e) => !e.recurrenceId);
    const overrides = mine.filter((e) => e.recurrenceId);
    for (const e of mine) snapshots.set(e, fingerprint(e, EVENT_GROUPS));
    return { kind: 'event', uid, master, overrides, calendar, method, warnings, floatingZone };
  }
  if (vtodos.length) {
    let tasks: Task[];
    try {
      tasks = vtodos.map((v) => readTask(v, zones, floatingZone, warnings));
    } catch (e) {
      if (e instanceof IcalError) throw e;
      throw new IcalError(`The task data is not valid: ${(e as Error).message}`);
    }
    const task = tasks.find((t) => !t.component.getFirstProperty('recurrence-id')) ?? tasks[0];
    snapshots.set(task, fingerprint(task, TASK_GROUPS));
    return { kind: 'todo', uid: task.uid, overrides: [], task, calendar, method, warnings, floatingZone };
  }
  throw new IcalError('The calendar holds neither a VEVENT nor a VTODO.');
}

// ------------------------------------------------------------ write

function toIcalTime(dt: CalDateTime): ICAL.Time {
  if (dt.dateOnly) return ICAL.Time.fromDateString(dt.local.slice(0, 10));
  if (dt.zone === 'UTC' && !dt.tzid) return ICAL.Time.fromDateTimeString(`${dt.local}Z`);
  return ICAL.Time.fromDateTimeString(dt.local);
}

/** TZID to write for a time: the one read while it still names the same zone, else the IANA id. */
function tzidFor(dt: CalDateTime): string | undefined {
  if (dt.dateOnly || !dt.zone) return undefined;
  if (dt.zone === 'UTC' && !dt.tzid) return undefined;
  if (dt.zone.startsWith('vtz:')) return dt.tzid ?? dt.zone.split(':')[1];
  if (dt.tzid) {
    const again = resolveTzid(dt.tzid);
    if (again === dt.zone || (!again && dt.tzid)) return dt.tzid;
  }
  return dt.zone === 'UTC' ? undefined : dt.zone;
}

function setTimeProp(c: Comp, name: string, dt: CalDateTime | undefined): void {
  if (!dt) {
    c.removeAllProperties(name);
    return;
  }
  const existing = c.getFirstProperty(name);
  const p = existing ?? new ICAL.Property(name, c);
  p.resetType(dt.dateOnly ? 'date' : 'date-time');
  p.removeParameter('value');
  const tzid = tzidFor(dt);
  if (tzid) p.setParameter('tzid', tzid);
  else p.removeParameter('tzid');
  p.setValue(toIcalTime(dt));
  if (!existing) c.addProperty(p);
  // DTEND/DUE and DURATION are exclusive
  if (name === 'dtend' || name === 'due') c.removeAllProperties('duration');
}

function setTimeList(c: Comp, name: string, list: CalDateTime[]): void {
  c.removeAllProperties(name);
  for (const dt of list) {
    const p = new ICAL.Property(name, c);
    p.resetType(dt.dateOnly ? 'date' : 'date-time');
    const tzid = tzidFor(dt);
    if (tzid) p.setParameter('tzid', tzid);
    p.setValue(toIcalTime(dt));
    c.addProperty(p);
  }
}

function setText(c: Comp, name: string, value: string | undefined): void {
  if (value === undefined || value === '') c.removeAllProperties(name);
  else c.updatePropertyWithValue(name, value);
}

function stampNow(): ICAL.Time {
  const t = ICAL.Time.fromJSDate(new Date(), true);
  return t;
}

function writeCommon(c: Comp, m: Common, changed: Set<string>): void {
  if (!c.getFirstProperty('uid')) c.updatePropertyWithValue('uid', m.uid);
  if (changed.has('subject')) setText(c, 'summary', m.subject);
  if (changed.has('body')) {
    setText(c, 'description', m.body);
    c.getAllProperties('x-alt-desc').forEach((p) => c.removeProperty(p));
    if (m.htmlBody !== undefined && m.htmlBody !== '') {
      const p = new ICAL.Property('x-alt-desc', c);
      p.setParameter('fmttype', 'text/html');
      p.setValue(m.htmlBody);
      c.addProperty(p);
    }
  }
  if (changed.has('sensitivity')) {
    c.removeAllProperties(X_SENSITIVITY.toLowerCase());
    const cls = { Normal: 'PUBLIC', Personal: 'PRIVATE', Private: 'PRIVATE', Confidential: 'CONFIDENTIAL' }[m.sensitivity];
    if (m.sensitivity === 'Normal' && !c.getFirstProperty('class')) {
      /* leave absent: PUBLIC is the default */
    } else c.updatePropertyWithValue('class', cls);
    if (m.sensitivity === 'Personal') c.updatePropertyWithValue(X_SENSITIVITY.toLowerCase(), 'PERSONAL');
  }
  if (changed.has('importance')) {
    const prio = { High: 1, Normal: 5, Low: 9 }[m.importance];
    if (m.importance === 'Normal' && !c.getFirstProperty('priority')) {
      /* absent means undefined priority: Normal */
    } else c.updatePropertyWithValue('priority', prio);
    if (c.getFirstProperty('x-microsoft-cdo-importance'))
      c.updatePropertyWithValue('x-microsoft-cdo-importance', String({ Low: 0, Normal: 1, High: 2 }[m.importance]));
  }
  if (changed.has('categories')) {
    c.removeAllProperties('categories');
    if (m.categories.length) {
      const p = new ICAL.Property('categories', c);
      p.setValues(m.categories);
      c.addProperty(p);
    }
  }
  if (changed.has('attachments')) {
    c.removeAllProperties('attach');
    for (const a of m.attachments) {
      const p = new ICAL.Property('attach', c);
      if (a.contentType) p.setParameter('fmttype', a.contentType);
      if (a.filename) p.setParameter('x-filename', a.filename);
      if (a.data) {
        p.resetType('binary');
        p.setParameter('encoding', 'BASE64');
        p.setValue(a.data.toString('base64'));
      } else p.setValue(a.uri ?? '');
      c.addProperty(p);
    }
  }
  if (changed.has('sequence')) c.updatePropertyWithValue('sequence', m.sequence);
}

function writeRecurrence(c: Comp, m: Common, changed: Set<string>, anchor: CalDateTime | undefined, regeneration: boolean): void {
  if (changed.has('recurrence')) {
    const before = snapshots.get(m);
    const recurrenceChanged = !before || before.recurrence !== JSON.stringify([m.rrule, m.recurrence]);
    if (recurrenceChanged && m.recurrence && anchor) {
      // The EWS pattern is what the writer set: derive the RRULE from it.
      const fromPattern = recurrenceToRRule(m.recurrence, { zone: anchor.zone?.startsWith('vtz:') ? 'UTC' : anchor.zone, allDay: anchor.dateOnly });
      const beforeRrule = before ? (JSON.parse(before.recurrence) as [string | undefined])[0] : undefined;
      if (m.rrule === beforeRrule || !m.rrule) m.rrule = fromPattern;
    }
    c.removeAllProperties('rrule');
    // From the text, so that the parts keep our order and WKST=MO is not dropped.
    if (m.rrule) c.addProperty(ICAL.Property.fromString(`RRULE:${m.rrule}`));
    if (regeneration && m.rrule) c.updatePropertyWithValue(X_REGENERATION.toLowerCase(), 'TRUE');
    else c.removeAllProperties(X_REGENERATION.toLowerCase());
  }
  if (changed.has('exdates')) setTimeList(c, 'exdate', m.exdates);
  if (changed.has('rdates')) setTimeList(c, 'rdate', m.rdates);
}

function alarmsOf(c: Comp): Comp[] {
  return c.getAllSubcomponents('valarm').filter((a) => {
    const action = propText(a, 'action')?.toUpperCase();
    return !action || action === 'DISPLAY' || action === 'AUDIO';
  });
}

function setRelativeAlarm(c: Comp, minutesBefore: number | undefined, description: string): void {
  const alarms = alarmsOf(c);
  if (minutesBefore === undefined) {
    for (const a of alarms) c.removeSubcomponent(a);
    return;
  }
  const trigger = ICAL.Duration.fromSeconds(-minutesBefore * 60);
  const alarm = alarms[0] ?? new ICAL.Component('valarm', c);
  if (!alarms[0]) {
    alarm.addPropertyWithValue('action', 'DISPLAY');
    alarm.addPropertyWithValue('description', description || 'Reminder');
    c.addSubcomponent(alarm);
  }
  alarm.removeAllProperties('trigger');
  alarm.addPropertyWithValue('trigger', trigger);
}

function setAbsoluteAlarm(c: Comp, at: Date | undefined, description: string): void {
  const alarms = alarmsOf(c);
  if (!at) {
    for (const a of alarms) c.removeSubcomponent(a);
    return;
  }
  const alarm = alarms[0] ?? new ICAL.Component('valarm', c);
  if (!alarms[0]) {
    alarm.addPropertyWithValue('action', 'DISPLAY');
    alarm.addPropertyWithValue('description', description || 'Reminder');
    c.addSubcomponent(alarm);
  }
  alarm.removeAllProperties('trigger');
  const p = new ICAL.Property('trigger', alarm);
  p.resetType('date-time');
  p.setValue(ICAL.Time.fromJSDate(at, true));
  alarm.addProperty(p);
}

function personProp(c: Comp, name: string, person: Person, old: Prop | undefined): Prop {
  const p = old ? new ICAL.Property(structuredClone(old.toJSON()) as unknown[], c) : new ICAL.Property(name, c);
  p.setValue(`mailto:${person.email}`);
  if (person.name) p.setParameter('cn', person.name);
  else p.removeParameter('cn');
  return p;
}

function writeEvent(e: CalendarEvent, floatingZone: string): boolean {
  normaliseAllDay(e, floatingZone);
  const c = e.component;
  const changed = changedGroups(e, EVENT_GROUPS);
  if (!changed.size) return false;
  const significant = ['times', 'recurrence', 'location', 'exdates', 'rdates'].some((g) => changed.has(g)) && snapshots.has(e);
  if (significant && !changed.has('sequence')) {
    e.sequence += 1;
    changed.add('sequence');
  }
  writeCommon(c, e, changed);
  if (changed.has('recurrenceId')) setTimeProp(c, 'recurrence-id', e.recurrenceId);
  if (changed.has('times')) {
    setTimeProp(c, 'dtstart', e.start);
    setTimeProp(c, 'dtend', e.end);
    if (c.getFirstProperty('x-microsoft-cdo-alldayevent')) c.updatePropertyWithValue('x-microsoft-cdo-alldayevent', e.isAllDay ? 'TRUE' : 'FALSE');
  }
  if (changed.has('location')) setText(c, 'location', e.location);
  if (changed.has('freeBusy')) {
    c.updatePropertyWithValue('transp', e.freeBusy === 'Free' ? 'TRANSPARENT' : 'OPAQUE');
    const cdo = { Free: 'FREE', Tentative: 'TENTATIVE', Busy: 'BUSY', OOF: 'OOF', WorkingElsewhere: 'WORKINGELSEWHERE', NoData: 'BUSY' }[e.freeBusy];
    if (c.getFirstProperty('x-microsoft-cdo-busystatus') || (e.freeBusy !== 'Free' && e.freeBusy !== 'Busy'))
      c.updatePropertyWithValue('x-microsoft-cdo-busystatus', cdo);
    if (c.getFirstProperty('x-microsoft-cdo-intendedstatus')) c.updatePropertyWithValue('x-microsoft-cdo-intendedstatus', cdo);
  }
  if (changed.has('status')) setText(c, 'status', e.status);
  if (changed.has('url')) setText(c, 'url', e.url);
  if (changed.has('reminder')) setRelativeAlarm(c, e.reminderMinutes, e.subject);
  if (changed.has('organizer')) {
    const old = c.getFirstProperty('organizer') ?? undefined;
    c.removeAllProperties('organizer');
    if (e.organizer) c.addProperty(personProp(c, 'organizer', e.organizer, old));
  }
  if (changed.has('attendees') || changed.has('organizer')) {
    const olds = c.getAllProperties('attendee');
    c.removeAllProperties('attendee');
    for (const a of e.attendees) {
      const old = olds.find((p) => emailOf(String(p.getFirstValue() ?? '')).toLowerCase() === a.email.toLowerCase());
      const p = personProp(c, 'attendee', a, old);
      if (a.kind === 'Resource') {
        p.setParameter('cutype', param(p, 'cutype')?.toUpperCase() === 'ROOM' ? 'ROOM' : 'RESOURCE');
        p.setParameter('role', 'NON-PARTICIPANT');
      } else {
        if (param(p, 'cutype')?.toUpperCase() === 'RESOURCE' || param(p, 'cutype')?.toUpperCase() === 'ROOM') p.removeParameter('cutype');
        const role = param(p, 'role')?.toUpperCase();
        if (a.kind === 'Optional') p.setParameter('role', 'OPT-PARTICIPANT');
        else if (role !== 'CHAIR') p.setParameter('role', 'REQ-PARTICIPANT');
      }
      p.setParameter('partstat', RESPONSE_TO_PARTSTAT[a.response]);
      if (a.rsvp) p.setParameter('rsvp', 'TRUE');
      c.addProperty(p);
    }
  }
  writeRecurrence(c, e, changed, e.start, false);
  touch(c, !snapshots.has(e));
  snapshots.set(e, fingerprint(e, EVENT_GROUPS));
  return true;
}

function touch(c: Comp, isNew: boolean): void {
  const now = stampNow();
  c.updatePropertyWithValue('dtstamp', now);
  c.updatePropertyWithValue('last-modified', now.clone());
  if (isNew && !c.getFirstProperty('created')) c.updatePropertyWithValue('created', now.clone());
}

/** Keeps start/end consistent with isAllDay: all-day events have DATE values, others date-times. */
function normaliseAllDay(e: CalendarEvent, floatingZone: string): void {
  if (e.isAllDay && !e.start.dateOnly) {
    const s = e.start.local.slice(0, 10);
    let endDate = e.end.local.slice(0, 10);
    if (e.end.local.length > 10 && !e.end.local.endsWith('T00:00:00'))
      endDate = formatLocalDate(fieldsFromUtcMs(localAsUtcMs(parseLocal(endDate)) + 86_400_000));
    if (endDate <= s) endDate = formatLocalDate(fieldsFromUtcMs(localAsUtcMs(parseLocal(s)) + 86_400_000));
    e.start = calDateTime(s, undefined, { dateOnly: true, floatingZone });
    e.end = calDateTime(endDate, undefined, { dateOnly: true, floatingZone });
  } else if (!e.isAllDay && e.start.dateOnly) {
    e.start = calDateTime(`${e.start.local}T00:00:00`, floatingZone, { floatingZone });
    e.end = calDateTime(`${e.end.local}T00:00:00`, floatingZone, { floatingZone });
  }
}

function writeTask(t: Task): boolean {
  const c = t.component;
  const changed = changedGroups(t, TASK_GROUPS);
  if (!changed.size) return false;
  writeCommon(c, t, changed);
  if (changed.has('times')) {
    setTimeProp(c, 'dtstart', t.start);
    setTimeProp(c, 'due', t.due);
  }
  if (changed.has('status')) {
    const status = { NotStarted: 'NEEDS-ACTION', InProgress: 'IN-PROCESS', Completed: 'COMPLETED', WaitingOnOthers: 'IN-PROCESS', Deferred: 'NEEDS-ACTION' }[
      t.status
    ];
    c.updatePropertyWithValue('status', status);
    c.removeAllProperties(X_TASK_STATUS.toLowerCase());
    if (t.status === 'WaitingOnOthers' || t.status === 'Deferred') c.updatePropertyWithValue(X_TASK_STATUS.toLowerCase(), t.status);
    if (t.percentComplete > 0 || c.getFirstProperty('percent-complete')) c.updatePropertyWithValue('percent-complete', Math.round(t.percentComplete));
    if (t.status === 'Completed') {
      const done = t.completed ?? new Date();
      t.completed = done;
      c.removeAllProperties('completed');
      c.addPropertyWithValue('completed', ICAL.Time.fromJSDate(done, true));
    } else c.removeAllProperties('completed');
  }
  if (changed.has('reminder')) setAbsoluteAlarm(c, t.reminderAt, t.subject);
  writeRecurrence(c, t, changed, t.start ?? t.due, !!t.recurrence && t.recurrence.pattern.type.endsWith('Regeneration'));
  touch(c, !snapshots.has(t));
  snapshots.set(t, fingerprint(t, TASK_GROUPS));
  return true;
}

/** Every TZID the components use, with the zone it names and the earliest year it is used in. */
function usedZones(models: (CalendarEvent | Task)[]): Map<string, { zone: string; year: number }> {
  const out = new Map<string, { zone: string; year: number }>();
  const note = (dt: CalDateTime | undefined) => {
    if (!dt) return;
    const tzid = tzidFor(dt);
    if (!tzid || !dt.zone || dt.zone.startsWith('vtz:')) return;
    const year = Number(dt.local.slice(0, 4));
    const prev = out.get(tzid);
    out.set(tzid, { zone: dt.zone, year: Math.min(prev?.year ?? year, year) });
  };
  for (const m of models) {
    if ('start' in m && 'end' in m && 'isAllDay' in m) {
      note(m.start);
      note(m.end);
      note(m.recurrenceId);
    } else {
      note((m as Task).start);
      note((m as Task).due);
    }
    m.exdates.forEach(note);
    m.rdates.forEach(note);
  }
  return out;
}

export interface SerializeOptions {
  /** Drop METHOD (a CalDAV resource must not carry one; iTIP messages must). Default true. */
  forStorage?: boolean;
}

/**
 * The iCalendar text of the object after applying every model change to its components:
 * new overrides are added, dropped overrides removed, VTIMEZONEs added for every TZID
 * the data now uses. Unknown properties and components stay as they were.
 */
export function serializeCalendarObject(obj: CalendarObject, opts: SerializeOptions = {}): string {
  const cal = obj.calendar;
  if (!cal.getFirstProperty('prodid')) cal.updatePropertyWithValue('prodid', PRODID);
  if (!cal.getFirstProperty('version')) cal.updatePropertyWithValue('version', '2.0');
  if (opts.forStorage ?? true) cal.removeAllProperties('method');
  else if (obj.method) cal.updatePropertyWithValue('method', obj.method);
  const models: (CalendarEvent | Task)[] = [];
  if (obj.kind === 'event') {
    const events = [...(obj.master ? [obj.master] : []), ...obj.overrides];
    const keep = new Set(events.map((e) => e.component));
    for (const v of cal.getAllSubcomponents('vevent')) if (!keep.has(v) && propText(v, 'uid') === obj.uid) cal.removeSubcomponent(v);
    for (const e of events) {
      e.uid = obj.uid;
      if (!cal.getAllSubcomponents('vevent').includes(e.component)) cal.addSubcomponent(e.component);
      writeEvent(e, obj.floatingZone);
      models.push(e);
    }
  } else if (obj.task) {
    if (!cal.getAllSubcomponents('vtodo').includes(obj.task.component)) cal.addSubcomponent(obj.task.component);
    writeTask(obj.task);
    models.push(obj.task);
  }
  const have = new Set(cal.getAllSubcomponents('vtimezone').map((v) => propText(v, 'tzid')));
  const missing = [...usedZones(models)].filter(([tzid, { zone }]) => !have.has(tzid) && zone !== 'UTC');
  if (missing.length) {
    // VTIMEZONEs go before the components that use them, as most writers put them.
    const others = cal.getAllSubcomponents().filter((s) => s.name !== 'vtimezone');
    for (const o of others) cal.removeSubcomponent(o);
    for (const [tzid, { zone, year }] of missing) cal.addSubcomponent(vtimezoneFor(zone, { tzid, fromYear: year }));
    for (const o of others) cal.addSubcomponent(o);
  }
  return cal.toString() + '\r\n';
}

// ------------------------------------------------------------ create

function newCalendar(): Comp {
  const cal = new ICAL.Component('vcalendar');
  cal.updatePropertyWithValue('prodid', PRODID);
  cal.updatePropertyWithValue('version', '2.0');
  cal.updatePropertyWithValue('calscale', 'GREGORIAN');
  return cal;
}

export function newUid(): string {
  return `${crypto.randomUUID()}@ewsgate`;
}

export type EventInit = Partial<Omit<CalendarEvent, 'component' | 'start' | 'end'>> & { start: CalDateTime; end: CalDateTime };
export type TaskInit = Partial<Omit<Task, 'component'>>;

/** What a new event and a new task share, with their defaults. */
function commonDefaults(init: EventInit | TaskInit, uid: string): Omit<Common, 'component'> {
  return {
    uid,
    sequence: init.sequence ?? 0,
    subject: init.subject ?? '',
    body: init.body ?? '',
    htmlBody: init.htmlBody,
    sensitivity: init.sensitivity ?? 'Normal',
    importance: init.importance ?? 'Normal',
    categories: init.categories ?? [],
    attachments: init.attachments ?? [],
    rrule: init.rrule,
    recurrence: init.recurrence,
    exdates: init.exdates ?? [],
    rdates: init.rdates ?? [],
  };
}

function eventDefaults(init: EventInit, uid: string, component: Comp): CalendarEvent {
  return {
    ...commonDefaults(init, uid),
    recurrenceId: init.recurrenceId,
    location: init.location,
    start: init.start,
    end: init.end,
    isAllDay: init.isAllDay ?? init.start.dateOnly,
    freeBusy: init.freeBusy ?? 'Busy',
    reminderMinutes: init.reminderMinutes,
    organizer: init.organizer,
    attendees: init.attendees ?? [],
    status: init.status,
    url: init.url,
    component,
  };
}

/** A new event resource (not yet stored). Validates times and recurrence (IcalError / RecurrenceError). */
export function createEventObject(init: EventInit, opts: ParseOptions = {}): CalendarObject {
  const uid = init.uid ?? newUid();
  if (init.end.utc.getTime() < init.start.utc.getTime()) throw new IcalError(`The event ends (${init.end.local}) before it starts (${init.start.local}).`, uid);
  const cal = newCalendar();
  const vevent = new ICAL.Component('vevent', cal);
  vevent.updatePropertyWithValue('uid', uid);
  const master = eventDefaults(init, uid, vevent);
  if (master.recurrence && !master.rrule) {
    master.rrule = recurrenceToRRule(master.recurrence, {
      zone: master.start.zone?.startsWith('vtz:') ? 'UTC' : master.start.zone,
      allDay: master.start.dateOnly || master.isAllDay,
    });
  }
  if (!master.rrule) master.recurrence = undefined;
  return { kind: 'event', uid, master, overrides: [], calendar: cal, warnings: [], floatingZone: opts.floatingZone ?? 'UTC' };
}

/** A new override for an occurrence of `obj`'s series: a copy of the master moved to the occurrence. */
export function createOverride(obj: CalendarObject, recurrenceId: CalDateTime, start: CalDateTime, end: CalDateTime): CalendarEvent {
  const master = obj.master;
  if (!master) throw new IcalError('The series has no master event to copy an occurrence from.', obj.uid);
  const comp = new ICAL.Component(JSON.parse(JSON.stringify(master.component.toJSON())) as unknown[]);
  for (const name of ['rrule', 'rdate', 'exdate', 'recurrence-id']) comp.removeAllProperties(name);
  const ev: CalendarEvent = {
    ...master,
    rrule: undefined,
    recurrence: undefined,
    rruleProblem: undefined,
    exdates: [],
    rdates: [],
    attendees: master.attendees.map((a) => ({ ...a })),
    categories: [...master.categories],
    attachments: [...master.attachments],
    recurrenceId,
    start,
    end,
    component: comp,
  };
  // The copy starts from the master's state: only what differs from it gets written.
  snapshots.set(ev, {
    ...fingerprint({ ...master, recurrenceId: undefined, rrule: undefined, recurrence: undefined, exdates: [], rdates: [] } as CalendarEvent, EVENT_GROUPS),
  });
  const snap = snapshots.get(ev)!;
  snap.recurrence = JSON.stringify([undefined, undefined]);
  obj.overrides.push(ev);
  return ev;
}

/** A new task resource (not yet stored). */
export function createTaskObject(init: TaskInit, opts: ParseOptions = {}): CalendarObject {
  const uid = init.uid ?? newUid();
  const cal = newCalendar();
  const vtodo = new ICAL.Component('vtodo', cal);
  vtodo.updatePropertyWithValue('uid', uid);
  const task: Task = {
    ...commonDefaults(init, uid),
    status: init.status ?? 'NotStarted',
    percentComplete: init.percentComplete ?? (init.status === 'Completed' ? 100 : 0),
    start: init.start,
    due: init.due,
    completed: init.completed,
    reminderAt: init.reminderAt,
    component: vtodo,
  };
  validateTask(task);
  return { kind: 'todo', uid, overrides: [], task, calendar: cal, warnings: [], floatingZone: opts.floatingZone ?? 'UTC' };
}

/** Precise errors for task values EWS refuses. */
export function validateTask(t: Task): void {
  if (!Number.isFinite(t.percentComplete) || t.percentComplete < 0 || t.percentComplete > 100) {
    throw new IcalError(`PercentComplete ${t.percentComplete} is not between 0 and 100.`, t.uid);
  }
  if (t.completed && t.start && t.completed.getTime() < t.start.utc.getTime() - 86_400_000) {
    throw new IcalError(`The task was completed (${t.completed.toISOString()}) before it started (${t.start.local}).`, t.uid);
  }
}

/** The local date (YYYY-MM-DD) of an instant in a zone. */
export function localDateOf(ms: number, zone: string | undefined, floatingZone = 'UTC'): string {
  return utcToZoned(zone, ms, floatingZone).slice(0, 10);
}

export { formatLocal };
