// EWS time zone elements, pure XML: TimeZoneDefinition (2010+: StartTimeZone,
// EndTimeZone, TimeZoneContext, GetServerTimeZones) and the 2007 TimeZoneType
// (MeetingTimeZone), both ways. Durations are xs:duration ("-PT1H", "PT5H30M").
import { NS, attr, child, children, elementChildren, textOf, x, type Element, type Xml } from '../../soap/xml.js';
import { EwsError } from '../errors.js';
import {
  timeZoneDefinitionForIana,
  zoneFromDefinition,
  zoneFromLegacy,
  legacyTimeZone,
  windowsDisplayName,
  type LegacyChange,
  type LegacyTimeZone,
  type TimeZoneDefinition,
  type WindowsGroupTransition,
  type WindowsPeriod,
  type WindowsTransitionsGroup,
} from '../../convert/timezones-windows.js';
import { TimeZoneError, ianaToWindows, offsetAt, resolveTzid } from '../../convert/timezones.js';
import { MONTHS, WEEKDAYS, WEEK_INDEXES } from '../../convert/recurrence.js';

// ------------------------------------------------------------ xs:duration

/** Minutes → xs:duration ("-PT1H", "PT5H30M", "PT0M"). */
export function minutesDuration(minutes: number): string {
  const sign = minutes < 0 ? '-' : '';
  const m = Math.abs(Math.round(minutes));
  const h = Math.floor(m / 60);
  const rest = m % 60;
  if (!h) return `${sign}PT${rest}M`;
  return `${sign}PT${h}H${rest ? `${rest}M` : ''}`;
}

/** Seconds → xs:duration for a time of day ("PT2H", "PT2H30M", "PT0S"). */
export function secondsDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (!h && !m && !s) return 'PT0S';
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${s ? `${s}S` : ''}`;
}

/** xs:duration → seconds (days, hours, minutes, seconds; years and months refused). */
export function parseDurationSeconds(text: string, what: string): number {
  const m = /^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m || text.trim() === 'P' || text.trim().endsWith('T')) throw new EwsError('ErrorSchemaValidation', `${what} "${text}" is not a duration.`);
  const secs = Number(m[2] ?? 0) * 86400 + Number(m[3] ?? 0) * 3600 + Number(m[4] ?? 0) * 60 + Math.round(Number(m[5] ?? 0));
  return m[1] ? -secs : secs;
}

function hhmmss(seconds: number): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(Math.floor(seconds / 3600))}:${p(Math.floor((seconds % 3600) / 60))}:${p(seconds % 60)}`;
}

// ------------------------------------------------------------ TimeZoneDefinition

function renderGroupTransition(t: WindowsGroupTransition): Xml {
  if (t.kind === 'transition') return x('t:Transition', null, x('t:To', { Kind: 'Period' }, t.to));
  return x(
    't:RecurringDayTransition',
    null,
    x('t:To', { Kind: 'Period' }, t.to),
    x('t:TimeOffset', null, secondsDuration(t.timeOffset)),
    x('t:Month', null, String(t.month)),
    x('t:DayOfWeek', null, WEEKDAYS[t.weekday]),
    x('t:Occurrence', null, String(t.occurrence)),
  );
}

/**
 * `<t:TimeZoneDefinition Id Name>` with Periods, TransitionsGroups and Transitions when `full`
 * (GetServerTimeZones ReturnFullTimeZoneData=false gives Id and Name only).
 */
export function renderTimeZoneDefinition(def: TimeZoneDefinition, full = true, elementName = 't:TimeZoneDefinition'): Xml {
  if (!full) return x(elementName, { Id: def.id, Name: def.name });
  return x(
    elementName,
    { Id: def.id, Name: def.name },
    x(
      't:Periods',
      null,
      def.periods.map((p) => x('t:Period', { Bias: minutesDuration(p.bias), Name: p.name, Id: p.id })),
    ),
    x(
      't:TransitionsGroups',
      null,
      def.groups.map((g) => x('t:TransitionsGroup', { Id: g.id }, g.transitions.map(renderGroupTransition))),
    ),
    x(
      't:Transitions',
      null,
      def.transitions.map((t) =>
        t.dateTime === undefined
          ? x('t:Transition', null, x('t:To', { Kind: 'Group' }, t.toGroup))
          : x('t:AbsoluteDateTransition', null, x('t:To', { Kind: 'Group' }, t.toGroup), x('t:DateTime', null, t.dateTime)),
      ),
    ),
  );
}

/** The definition of the zone an event lives in (IANA, "UTC", or a calendar's own "vtz:" zone). */
export function definitionForZone(zone: string | undefined, fallbackIana: string): TimeZoneDefinition {
  const z = zone ?? fallbackIana;
  if (z.startsWith('vtz:')) {
    // A zone only the calendar defines: a fixed-offset definition at the event's time.
    const tzid = z.split(':')[1] ?? 'Custom';
    return {
      id: tzid,
      name: tzid,
      periods: [{ id: `trule:ewsgate/${tzid}/Standard`, name: 'Standard', bias: 0 }],
      groups: [{ id: '0', transitions: [{ kind: 'transition', to: `trule:ewsgate/${tzid}/Standard` }] }],
      transitions: [{ toGroup: '0' }],
    };
  }
  return timeZoneDefinitionForIana(z);
}

function requireChild(el: Element, name: string, what: string): Element {
  const c = child(el, NS.types, name);
  if (!c) throw new EwsError('ErrorSchemaValidation', `${what} needs ${name}.`);
  return c;
}

const weekdayIndex = (name: string, what: string): number => {
  const i = (WEEKDAYS as readonly string[]).indexOf(name.trim());
  if (i < 0) throw new EwsError('ErrorCalendarInvalidTimeZone', `${what}: "${name}" is not a day of the week.`);
  return i;
};

/** A client's TimeZoneDefinition element, read (no resolution yet). */
export function parseTimeZoneDefinition(el: Element): {
  id?: string;
  name?: string;
  periods: WindowsPeriod[];
  groups: WindowsTransitionsGroup[];
  transitions: TimeZoneDefinition['transitions'];
} {
  const periods: WindowsPeriod[] = children(child(el, NS.types, 'Periods'), NS.types, 'Period').map((p) => ({
    id: attr(p, 'Id') ?? '',
    name: (attr(p, 'Name') === 'Daylight' ? 'Daylight' : 'Standard') as WindowsPeriod['name'],
    bias: Math.round(parseDurationSeconds(attr(p, 'Bias') ?? 'PT0M', 'Period Bias') / 60),
  }));
  const groups: WindowsTransitionsGroup[] = children(child(el, NS.types, 'TransitionsGroups'), NS.types, 'TransitionsGroup').map((g) => ({
    id: attr(g, 'Id') ?? '',
    transitions: elementChildren(g).map((t): WindowsGroupTransition => {
      const to = textOf(requireChild(t, 'To', t.localName ?? 'Transition'))?.trim() ?? '';
      if (t.localName === 'RecurringDayTransition') {
        return {
          kind: 'recurringDay',
          to,
          timeOffset: parseDurationSeconds(textOf(requireChild(t, 'TimeOffset', 'RecurringDayTransition')) ?? '', 'TimeOffset'),
          month: Number(textOf(requireChild(t, 'Month', 'RecurringDayTransition'))),
          weekday: weekdayIndex(textOf(requireChild(t, 'DayOfWeek', 'RecurringDayTransition')) ?? '', 'RecurringDayTransition'),
          occurrence: Number(textOf(requireChild(t, 'Occurrence', 'RecurringDayTransition'))),
        };
      }
      return { kind: 'transition', to };
    }),
  }));
  const transitions: TimeZoneDefinition['transitions'] = elementChildren(child(el, NS.types, 'Transitions') ?? el)
    .filter((t) => t.localName === 'Transition' || t.localName === 'AbsoluteDateTransition')
    .map((t) => ({
      toGroup: textOf(child(t, NS.types, 'To'))?.trim() ?? '',
      dateTime: t.localName === 'AbsoluteDateTransition' ? textOf(child(t, NS.types, 'DateTime'))?.trim() : undefined,
    }));
  return { id: attr(el, 'Id'), name: attr(el, 'Name'), periods, groups, transitions };
}

/**
 * The IANA zone a TimeZoneDefinition element names: by Id (Windows or IANA), else by its rules.
 * `code` is the ResponseCode for an unknown zone (ErrorCalendarInvalidTimeZone for items,
 * ErrorTimeZone for the TimeZoneContext header).
 */
export function zoneOfDefinitionElement(el: Element, code: 'ErrorCalendarInvalidTimeZone' | 'ErrorTimeZone' = 'ErrorCalendarInvalidTimeZone'): string {
  const def = parseTimeZoneDefinition(el);
  if (def.id) {
    const direct = resolveTzid(def.id);
    if (direct) return direct;
  }
  if (!def.periods.length) {
    throw new EwsError(code, `The time zone "${def.id ?? def.name ?? ''}" is not one this server knows, and its definition has no periods to match.`);
  }
  try {
    return zoneFromDefinition(def);
  } catch (e) {
    if (e instanceof TimeZoneError) throw new EwsError(code, e.message);
    throw e;
  }
}

// ------------------------------------------------------------ 2007 TimeZoneType (MeetingTimeZone)

function renderChange(name: 't:Standard' | 't:Daylight', c: LegacyChange, label: string): Xml {
  return x(
    name,
    { TimeZoneName: label },
    x('t:Offset', null, minutesDuration(c.bias)),
    x(
      't:RelativeYearlyRecurrence',
      null,
      x('t:DaysOfWeek', null, WEEKDAYS[c.weekday]),
      x('t:DayOfWeekIndex', null, c.occurrence === -1 ? 'Last' : WEEK_INDEXES[c.occurrence - 1]),
      x('t:Month', null, MONTHS[c.month - 1]),
    ),
    x('t:Time', null, hhmmss(c.time)),
  );
}

export function renderLegacyTimeZone(lt: LegacyTimeZone, elementName = 't:MeetingTimeZone'): Xml {
  return x(
    elementName,
    { TimeZoneName: lt.name },
    x('t:BaseOffset', null, minutesDuration(lt.baseBias)),
    lt.standard && lt.daylight ? [renderChange('t:Standard', lt.standard, 'Standard'), renderChange('t:Daylight', lt.daylight, 'Daylight')] : undefined,
  );
}

/** The MeetingTimeZone of an event's zone, with the rules of the event's year. */
export function meetingTimeZoneFor(zone: string | undefined, fallbackIana: string, year: number): Xml {
  const z = zone && !zone.startsWith('vtz:') ? zone : fallbackIana;
  return renderLegacyTimeZone(legacyTimeZone(z, year));
}

function parseChange(el: Element | undefined): LegacyChange | undefined {
  if (!el) return undefined;
  const rel = child(el, NS.types, 'RelativeYearlyRecurrence');
  const offset = Math.round(parseDurationSeconds(textOf(child(el, NS.types, 'Offset')) ?? 'PT0M', 'Offset') / 60);
  const time = textOf(child(el, NS.types, 'Time'))?.trim() ?? '00:00:00';
  const tm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(time);
  if (!tm) throw new EwsError('ErrorCalendarInvalidTimeZone', `Time "${time}" in a time zone is not HH:MM:SS.`);
  if (!rel) throw new EwsError('ErrorCalendarInvalidTimeZone', 'Only relative yearly time changes are supported in MeetingTimeZone.');
  const month = (MONTHS as readonly string[]).indexOf(textOf(child(rel, NS.types, 'Month'))?.trim() ?? '') + 1;
  const idx = (WEEK_INDEXES as readonly string[]).indexOf(textOf(child(rel, NS.types, 'DayOfWeekIndex'))?.trim() ?? '');
  const day = textOf(child(rel, NS.types, 'DaysOfWeek'))?.trim() ?? '';
  if (month < 1 || idx < 0) throw new EwsError('ErrorCalendarInvalidTimeZone', 'A time change names no valid month or week.');
  return {
    bias: offset,
    month,
    weekday: weekdayIndex(day, 'Time change'),
    occurrence: idx === 4 ? -1 : idx + 1,
    time: +tm[1] * 3600 + +tm[2] * 60 + +(tm[3] ?? 0),
  };
}

export function parseLegacyTimeZone(el: Element): LegacyTimeZone {
  const base = textOf(child(el, NS.types, 'BaseOffset'));
  return {
    name: attr(el, 'TimeZoneName') || undefined,
    baseBias: base ? Math.round(parseDurationSeconds(base, 'BaseOffset') / 60) : 0,
    standard: parseChange(child(el, NS.types, 'Standard')),
    daylight: parseChange(child(el, NS.types, 'Daylight')),
  };
}

/** The IANA zone a MeetingTimeZone element names (by TimeZoneName, else by its rules). */
export function zoneOfLegacyElement(el: Element, code: 'ErrorCalendarInvalidTimeZone' | 'ErrorTimeZone' = 'ErrorCalendarInvalidTimeZone'): string {
  const lt = parseLegacyTimeZone(el);
  if (lt.name) {
    const direct = resolveTzid(lt.name);
    if (direct) return direct;
  }
  if (!child(el, NS.types, 'BaseOffset'))
    throw new EwsError(code, `The time zone "${lt.name ?? ''}" is not one this server knows, and it gives no BaseOffset to match.`);
  try {
    return zoneFromLegacy(lt);
  } catch (e) {
    if (e instanceof TimeZoneError) throw new EwsError(code, e.message);
    throw e;
  }
}

/** The `calendar:TimeZone` string (2007): the Windows display name of the zone. */
export function timeZoneDisplayName(zone: string | undefined, fallbackIana: string, atMs: number): string {
  const z = zone && !zone.startsWith('vtz:') ? zone : fallbackIana;
  const win = ianaToWindows(z);
  if (win) {
    try {
      return windowsDisplayName(win);
    } catch {
      /* fall through */
    }
  }
  const off = offsetAt(z, atMs);
  return `(UTC${off < 0 ? '-' : '+'}${String(Math.floor(Math.abs(off) / 60)).padStart(2, '0')}:${String(Math.abs(off) % 60).padStart(2, '0')}) ${z}`;
}
