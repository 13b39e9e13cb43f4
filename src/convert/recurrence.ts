// Recurrence patterns as EWS names them ⇄ RRULE (RFC 5545), pure.
//
//   Daily             FREQ=DAILY;INTERVAL=n
//   Weekly            FREQ=WEEKLY;INTERVAL=n;BYDAY=MO,WE[;WKST=SU]
//   AbsoluteMonthly   FREQ=MONTHLY;INTERVAL=n;BYMONTHDAY=d
//   RelativeMonthly   FREQ=MONTHLY;INTERVAL=n;BYDAY=2TU  (Last: -1; the last Day:
//                     BYMONTHDAY=-1; Day/Weekday/WeekendDay: BYDAY=…;BYSETPOS=n)
//   AbsoluteYearly    FREQ=YEARLY;BYMONTH=m;BYMONTHDAY=d
//   RelativeYearly    FREQ=YEARLY;BYMONTH=m;BYDAY=1MO (or BYSETPOS as above)
//   *Regeneration     FREQ=DAILY|WEEKLY|MONTHLY|YEARLY;INTERVAL=n (tasks; the VTODO marks
//                     itself with X-EWSGATE-REGENERATION:TRUE, see ical.ts)
//   range             NoEnd: nothing; Numbered: COUNT=n; EndDate: UNTIL = the end date's
//                     last second in the event's zone, in UTC (a DATE for all-day events,
//                     a floating date-time for floating ones).
//
// Read the other way, RRULEs that EWS cannot express (BYHOUR, several BYMONTH values,
// BYWEEKNO, BYYEARDAY, FREQ below DAILY, ...) are an UnsupportedRecurrenceError: the
// caller still expands such a series from its RRULE but renders no Recurrence element.
// Yearly rules with INTERVAL>1 become monthly patterns with Interval 12·n, as Exchange does.
import { daysInMonth, formatLocalDate, localToUtc, parseLocal, utcToLocalFields, weekdayOf } from './timezones.js';

export const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
export type WeekdayName = (typeof WEEKDAYS)[number];
export type DayOfWeek = WeekdayName | 'Day' | 'Weekday' | 'WeekendDay';
export const WEEK_INDEXES = ['First', 'Second', 'Third', 'Fourth', 'Last'] as const;
export type WeekIndex = (typeof WEEK_INDEXES)[number];
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

export type RecurrencePattern =
  | { type: 'Daily'; interval: number }
  | { type: 'Weekly'; interval: number; daysOfWeek: WeekdayName[]; firstDayOfWeek?: WeekdayName }
  | { type: 'AbsoluteMonthly'; interval: number; dayOfMonth: number }
  | { type: 'RelativeMonthly'; interval: number; dayOfWeek: DayOfWeek; index: WeekIndex }
  | { type: 'AbsoluteYearly'; month: number; dayOfMonth: number }
  | { type: 'RelativeYearly'; month: number; dayOfWeek: DayOfWeek; index: WeekIndex }
  | { type: 'DailyRegeneration' | 'WeeklyRegeneration' | 'MonthlyRegeneration' | 'YearlyRegeneration'; interval: number };

export type RegenerationType = Extract<RecurrencePattern, { type: `${string}Regeneration` }>['type'];

/** Dates are local "YYYY-MM-DD" in the series' zone. */
export type RecurrenceRange =
  { type: 'NoEnd'; startDate: string } | { type: 'EndDate'; startDate: string; endDate: string } | { type: 'Numbered'; startDate: string; count: number };

export interface Recurrence {
  pattern: RecurrencePattern;
  range: RecurrenceRange;
}

export type RecurrenceProblem = 'invalid' | 'end-before-start' | 'impossible-day' | 'weekly-day-group' | 'unsupported' | 'no-occurrence';

export class RecurrenceError extends Error {
  constructor(
    readonly problem: RecurrenceProblem,
    message: string,
  ) {
    super(message);
    this.name = 'RecurrenceError';
  }
}

/** An RRULE EWS patterns cannot express; the series is still valid iCalendar. */
export class UnsupportedRecurrenceError extends RecurrenceError {
  constructor(message: string) {
    super('unsupported', message);
    this.name = 'UnsupportedRecurrenceError';
  }
}

export function isRegeneration(p: RecurrencePattern): p is Extract<RecurrencePattern, { type: RegenerationType }> {
  return p.type.endsWith('Regeneration');
}

const DAY_CODES = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];
const INDEX_NUM: Record<WeekIndex, number> = { First: 1, Second: 2, Third: 3, Fourth: 4, Last: -1 };

function indexOfNumber(n: number): WeekIndex | undefined {
  return ({ 1: 'First', 2: 'Second', 3: 'Third', 4: 'Fourth', [-1]: 'Last' } as Record<number, WeekIndex>)[n];
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function checkDate(what: string, s: string): void {
  const m = DATE_RE.exec(s);
  if (!m || +m[2] < 1 || +m[2] > 12 || +m[3] < 1 || +m[3] > daysInMonth(+m[1], +m[2])) {
    throw new RecurrenceError('invalid', `The recurrence ${what} "${s}" is not a valid date.`);
  }
}

/** Precise errors for patterns Exchange would refuse. */
export function validateRecurrence(r: Recurrence): void {
  const p = r.pattern;
  const interval = 'interval' in p ? p.interval : 1;
  if (!Number.isInteger(interval) || interval < 1 || interval > 999) {
    throw new RecurrenceError('invalid', `The recurrence interval ${interval} is not between 1 and 999.`);
  }
  switch (p.type) {
    case 'Weekly':
      if (!p.daysOfWeek.length) throw new RecurrenceError('invalid', 'A weekly recurrence needs at least one day of the week.');
      for (const d of p.daysOfWeek as string[]) {
        if (d === 'Day' || d === 'Weekday' || d === 'WeekendDay') {
          throw new RecurrenceError('weekly-day-group', `A weekly recurrence names single days, not "${d}".`);
        }
        if (!(WEEKDAYS as readonly string[]).includes(d)) throw new RecurrenceError('invalid', `"${d}" is not a day of the week.`);
      }
      break;
    case 'AbsoluteMonthly':
      if (!Number.isInteger(p.dayOfMonth) || p.dayOfMonth < 1 || p.dayOfMonth > 31) {
        throw new RecurrenceError('impossible-day', `Day ${p.dayOfMonth} of the month does not exist.`);
      }
      break;
    case 'AbsoluteYearly':
      if (!Number.isInteger(p.month) || p.month < 1 || p.month > 12) throw new RecurrenceError('invalid', `Month ${p.month} does not exist.`);
      if (!Number.isInteger(p.dayOfMonth) || p.dayOfMonth < 1 || p.dayOfMonth > daysInMonth(2000, p.month)) {
        throw new RecurrenceError('impossible-day', `${MONTHS[p.month - 1]} ${p.dayOfMonth} does not exist.`);
      }
      break;
    case 'RelativeYearly':
    case 'RelativeMonthly':
      if (p.type === 'RelativeYearly' && (!Number.isInteger(p.month) || p.month < 1 || p.month > 12))
        throw new RecurrenceError('invalid', `Month ${p.month} does not exist.`);
      if (!(WEEK_INDEXES as readonly string[]).includes(p.index)) throw new RecurrenceError('invalid', `"${p.index}" is not a week index.`);
      if (![...WEEKDAYS, 'Day', 'Weekday', 'WeekendDay'].includes(p.dayOfWeek))
        throw new RecurrenceError('invalid', `"${p.dayOfWeek}" is not a day of the week.`);
      break;
    default:
      break;
  }
  checkDate('start date', r.range.startDate);
  if (r.range.type === 'EndDate') {
    checkDate('end date', r.range.endDate);
    if (r.range.endDate < r.range.startDate) {
      throw new RecurrenceError('end-before-start', `The recurrence ends (${r.range.endDate}) before it starts (${r.range.startDate}).`);
    }
  }
  if (r.range.type === 'Numbered' && (!Number.isInteger(r.range.count) || r.range.count < 1 || r.range.count > 999)) {
    throw new RecurrenceError('invalid', `The number of occurrences ${r.range.count} is not between 1 and 999.`);
  }
}

function byDayForGroup(d: DayOfWeek): string {
  if (d === 'Weekday') return 'MO,TU,WE,TH,FR';
  if (d === 'WeekendDay') return 'SU,SA';
  if (d === 'Day') return 'SU,MO,TU,WE,TH,FR,SA';
  return DAY_CODES[WEEKDAYS.indexOf(d)];
}

function relativeParts(d: DayOfWeek, index: WeekIndex): string {
  const n = INDEX_NUM[index];
  // "The last day": BYMONTHDAY=-1. "The first day" stays a set position, so that it reads back
  // as a relative pattern and not as an absolute day 1.
  if (d === 'Day' && n === -1) return 'BYMONTHDAY=-1';
  if (d === 'Day' || d === 'Weekday' || d === 'WeekendDay') return `BYDAY=${byDayForGroup(d)};BYSETPOS=${n}`;
  return `BYDAY=${n}${byDayForGroup(d)}`;
}

export interface RRuleContext {
  /** IANA zone of DTSTART ('UTC' for UTC times); undefined for floating times. */
  zone?: string;
  /** All-day series: UNTIL is a DATE. */
  allDay?: boolean;
}

function untilOf(endDate: string, ctx: RRuleContext): string {
  const compact = endDate.replace(/-/g, '');
  if (ctx.allDay) return compact;
  if (!ctx.zone) return `${compact}T235959`;
  const ms = localToUtc(ctx.zone, `${endDate}T23:59:59`);
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** The RRULE value ("FREQ=…") for a recurrence. Validates first. */
export function recurrenceToRRule(r: Recurrence, ctx: RRuleContext = {}): string {
  validateRecurrence(r);
  const p = r.pattern;
  const parts: string[] = [];
  const interval = (n: number) => (n > 1 ? `;INTERVAL=${n}` : '');
  switch (p.type) {
    case 'Daily':
      parts.push(`FREQ=DAILY${interval(p.interval)}`);
      break;
    case 'Weekly': {
      const days = [...new Set(p.daysOfWeek)].sort((a, b) => WEEKDAYS.indexOf(a) - WEEKDAYS.indexOf(b)).map((d) => DAY_CODES[WEEKDAYS.indexOf(d)]);
      parts.push(`FREQ=WEEKLY${interval(p.interval)};BYDAY=${days.join(',')}`);
      if (p.firstDayOfWeek) parts.push(`WKST=${DAY_CODES[WEEKDAYS.indexOf(p.firstDayOfWeek)]}`);
      break;
    }
    case 'AbsoluteMonthly':
      parts.push(`FREQ=MONTHLY${interval(p.interval)};BYMONTHDAY=${p.dayOfMonth}`);
      break;
    case 'RelativeMonthly':
      parts.push(`FREQ=MONTHLY${interval(p.interval)};${relativeParts(p.dayOfWeek, p.index)}`);
      break;
    case 'AbsoluteYearly':
      parts.push(`FREQ=YEARLY;BYMONTH=${p.month};BYMONTHDAY=${p.dayOfMonth}`);
      break;
    case 'RelativeYearly':
      parts.push(`FREQ=YEARLY;BYMONTH=${p.month};${relativeParts(p.dayOfWeek, p.index)}`);
      break;
    default: {
      const freq = { DailyRegeneration: 'DAILY', WeeklyRegeneration: 'WEEKLY', MonthlyRegeneration: 'MONTHLY', YearlyRegeneration: 'YEARLY' }[p.type];
      parts.push(`FREQ=${freq}${interval(p.interval)}`);
    }
  }
  if (r.range.type === 'Numbered') parts.push(`COUNT=${r.range.count}`);
  if (r.range.type === 'EndDate') parts.push(`UNTIL=${untilOf(r.range.endDate, ctx)}`);
  return parts.join(';');
}

/** RRULE text → its parts (upper-case keys, raw values). */
export function parseRRuleParts(rrule: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const kv of rrule
    .replace(/^RRULE:/i, '')
    .trim()
    .split(';')) {
    if (!kv) continue;
    const eq = kv.indexOf('=');
    if (eq < 1) throw new RecurrenceError('invalid', `"${kv}" in RRULE "${rrule}" is not NAME=VALUE.`);
    const k = kv.slice(0, eq).toUpperCase();
    if (out.has(k)) throw new RecurrenceError('invalid', `RRULE "${rrule}" has ${k} twice.`);
    out.set(k, kv.slice(eq + 1).toUpperCase());
  }
  if (!out.has('FREQ')) throw new RecurrenceError('invalid', `RRULE "${rrule}" has no FREQ.`);
  return out;
}

interface ByDay {
  n?: number;
  day: number;
}

function parseByDay(v: string, rrule: string): ByDay[] {
  return v.split(',').map((s) => {
    const m = /^([+-]?\d{1,2})?(SU|MO|TU|WE|TH|FR|SA)$/.exec(s);
    if (!m) throw new RecurrenceError('invalid', `BYDAY value "${s}" in "${rrule}" is not valid.`);
    return { n: m[1] === undefined ? undefined : Number(m[1]), day: DAY_CODES.indexOf(m[2]) };
  });
}

function ints(v: string, rrule: string, key: string): number[] {
  return v.split(',').map((s) => {
    if (!/^[+-]?\d+$/.test(s)) throw new RecurrenceError('invalid', `${key} value "${s}" in "${rrule}" is not a number.`);
    return Number(s);
  });
}

function groupOf(days: number[]): DayOfWeek | undefined {
  const key = [...new Set(days)].sort().join(',');
  if (key === '1,2,3,4,5') return 'Weekday';
  if (key === '0,6') return 'WeekendDay';
  if (key === '0,1,2,3,4,5,6') return 'Day';
  if (days.length === 1) return WEEKDAYS[days[0]];
  return undefined;
}

/**
 * The EWS form of an RRULE. `dtstart` is the series' first start (local "YYYY-MM-DD[THH:MM:SS]"),
 * which supplies the day, weekday or month an RRULE leaves implicit, and the range's start date.
 */
export function rruleToRecurrence(rrule: string, dtstart: string, ctx: RRuleContext & { regeneration?: boolean } = {}): Recurrence {
  const parts = parseRRuleParts(rrule);
  const start = parseLocal(dtstart);
  const startDate = formatLocalDate(start);
  const freq = parts.get('FREQ')!;
  const interval = parts.has('INTERVAL') ? ints(parts.get('INTERVAL')!, rrule, 'INTERVAL')[0] : 1;
  if (!(interval >= 1)) throw new RecurrenceError('invalid', `INTERVAL in "${rrule}" must be at least 1.`);
  const known = new Set(['FREQ', 'INTERVAL', 'COUNT', 'UNTIL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYSETPOS', 'WKST']);
  for (const k of parts.keys()) if (!known.has(k)) throw new UnsupportedRecurrenceError(`EWS recurrence patterns cannot express ${k} (in "${rrule}").`);
  if (parts.has('COUNT') && parts.has('UNTIL')) throw new RecurrenceError('invalid', `RRULE "${rrule}" has both COUNT and UNTIL.`);
  const byDay = parts.has('BYDAY') ? parseByDay(parts.get('BYDAY')!, rrule) : undefined;
  const byMonthDay = parts.has('BYMONTHDAY') ? ints(parts.get('BYMONTHDAY')!, rrule, 'BYMONTHDAY') : undefined;
  const byMonth = parts.has('BYMONTH') ? ints(parts.get('BYMONTH')!, rrule, 'BYMONTH') : undefined;
  const bySetPos = parts.has('BYSETPOS') ? ints(parts.get('BYSETPOS')!, rrule, 'BYSETPOS') : undefined;
  const wkst = parts.has('WKST') ? DAY_CODES.indexOf(parts.get('WKST')!) : undefined;
  if (wkst !== undefined && wkst < 0) throw new RecurrenceError('invalid', `WKST in "${rrule}" is not a day.`);
  const unsupported = (why: string) => new UnsupportedRecurrenceError(`EWS recurrence patterns cannot express ${why} (in "${rrule}").`);

  let pattern: RecurrencePattern;
  if (ctx.regeneration) {
    if (byDay || byMonthDay || byMonth || bySetPos) throw unsupported('a regenerating recurrence with BY… parts');
    const type = (
      { DAILY: 'DailyRegeneration', WEEKLY: 'WeeklyRegeneration', MONTHLY: 'MonthlyRegeneration', YEARLY: 'YearlyRegeneration' } as Record<
        string,
        RegenerationType
      >
    )[freq];
    if (!type) throw unsupported(`FREQ=${freq}`);
    pattern = { type, interval };
  } else {
    /** A relative pattern from BYDAY (with an ordinal or BYSETPOS) or BYMONTHDAY=-1. */
    const relative = (): { dayOfWeek: DayOfWeek; index: WeekIndex } | undefined => {
      if (byDay && byMonthDay) return undefined;
      if (byMonthDay) {
        if (byMonthDay.length === 1 && byMonthDay[0] === -1 && !bySetPos) return { dayOfWeek: 'Day', index: 'Last' };
        return undefined;
      }
      if (!byDay) return undefined;
      if (bySetPos) {
        if (bySetPos.length !== 1 || byDay.some((d) => d.n !== undefined)) throw unsupported('this BYSETPOS');
        const group = groupOf(byDay.map((d) => d.day));
        const index = indexOfNumber(bySetPos[0]);
        if (!group || !index) throw unsupported(`BYDAY=${parts.get('BYDAY')};BYSETPOS=${bySetPos[0]}`);
        return { dayOfWeek: group, index };
      }
      if (byDay.length !== 1 || byDay[0].n === undefined) throw unsupported(`BYDAY=${parts.get('BYDAY')} without one ordinal`);
      const index = indexOfNumber(byDay[0].n);
      if (!index) throw unsupported(`the ${byDay[0].n}. weekday of a month`);
      return { dayOfWeek: WEEKDAYS[byDay[0].day], index };
    };
    switch (freq) {
      case 'DAILY':
        if (byMonthDay || byMonth || bySetPos) throw unsupported('a daily rule with BY… parts');
        if (byDay) {
          if (byDay.some((d) => d.n !== undefined)) throw unsupported('ordinals in a daily BYDAY');
          // "every weekday" is a daily RRULE in iCalendar, a weekly pattern in EWS
          if (interval !== 1) throw unsupported('a daily rule with BYDAY and INTERVAL>1');
          pattern = { type: 'Weekly', interval: 1, daysOfWeek: [...new Set(byDay.map((d) => d.day))].sort().map((d) => WEEKDAYS[d]) };
        } else pattern = { type: 'Daily', interval };
        break;
      case 'WEEKLY': {
        if (byMonthDay || byMonth || bySetPos) throw unsupported('a weekly rule with BYMONTHDAY, BYMONTH or BYSETPOS');
        if (byDay?.some((d) => d.n !== undefined)) throw unsupported('ordinals in a weekly BYDAY');
        const days = byDay ? [...new Set(byDay.map((d) => d.day))].sort() : [weekdayOf(start.year, start.month, start.day)];
        pattern = { type: 'Weekly', interval, daysOfWeek: days.map((d) => WEEKDAYS[d]) };
        if (wkst !== undefined) pattern.firstDayOfWeek = WEEKDAYS[wkst];
        break;
      }
      case 'MONTHLY': {
        if (byMonth) throw unsupported('BYMONTH in a monthly rule');
        const rel = relative();
        if (rel) pattern = { type: 'RelativeMonthly', interval, ...rel };
        else if (byDay) throw unsupported(`BYDAY=${parts.get('BYDAY')} with BYMONTHDAY`);
        else {
          const days = byMonthDay ?? [start.day];
          if (days.length !== 1 || days[0] < 1 || bySetPos) throw unsupported(`BYMONTHDAY=${parts.get('BYMONTHDAY')}`);
          pattern = { type: 'AbsoluteMonthly', interval, dayOfMonth: days[0] };
        }
        break;
      }
      case 'YEARLY': {
        const months = byMonth ?? [start.month];
        if (months.length !== 1) throw unsupported('several months in a yearly rule');
        const rel = relative();
        if (rel) {
          pattern = interval === 1 ? { type: 'RelativeYearly', month: months[0], ...rel } : { type: 'RelativeMonthly', interval: interval * 12, ...rel };
        } else if (byDay) throw unsupported(`BYDAY=${parts.get('BYDAY')} with BYMONTHDAY`);
        else {
          const days = byMonthDay ?? [start.day];
          if (days.length !== 1 || days[0] < 1 || bySetPos) throw unsupported(`BYMONTHDAY=${parts.get('BYMONTHDAY')}`);
          pattern =
            interval === 1
              ? { type: 'AbsoluteYearly', month: months[0], dayOfMonth: days[0] }
              : { type: 'AbsoluteMonthly', interval: interval * 12, dayOfMonth: days[0] };
        }
        break;
      }
      default:
        throw unsupported(`FREQ=${freq}`);
    }
  }

  let range: RecurrenceRange;
  if (parts.has('COUNT')) {
    const count = ints(parts.get('COUNT')!, rrule, 'COUNT')[0];
    if (count < 1) throw new RecurrenceError('invalid', `COUNT in "${rrule}" must be at least 1.`);
    range = { type: 'Numbered', startDate, count };
  } else if (parts.has('UNTIL')) {
    range = { type: 'EndDate', startDate, endDate: untilToEndDate(parts.get('UNTIL')!, ctx, rrule) };
  } else range = { type: 'NoEnd', startDate };
  return { pattern, range };
}

function untilToEndDate(until: string, ctx: RRuleContext, rrule: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z)?)?$/.exec(until);
  if (!m) throw new RecurrenceError('invalid', `UNTIL "${until}" in "${rrule}" is not a date or date-time.`);
  if (m[7] && ctx.zone && ctx.zone !== 'UTC') {
    const f = utcToLocalFields(ctx.zone, Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
    return formatLocalDate(f);
  }
  return `${m[1]}-${m[2]}-${m[3]}`;
}

/** Whether a local date fits the pattern's day rules (ignoring the interval). */
export function patternMatchesDate(p: RecurrencePattern, date: string): boolean {
  const f = parseLocal(date);
  const wd = weekdayOf(f.year, f.month, f.day);
  const dim = daysInMonth(f.year, f.month);
  const relMatch = (d: DayOfWeek, index: WeekIndex): boolean => {
    const candidates: number[] = [];
    for (let day = 1; day <= dim; day++) {
      const w = weekdayOf(f.year, f.month, day);
      const ok = d === 'Day' || (d === 'Weekday' ? w >= 1 && w <= 5 : d === 'WeekendDay' ? w === 0 || w === 6 : WEEKDAYS[w] === d);
      if (ok) candidates.push(day);
    }
    const n = INDEX_NUM[index];
    return (n === -1 ? candidates[candidates.length - 1] : candidates[n - 1]) === f.day;
  };
  switch (p.type) {
    case 'Daily':
      return true;
    case 'Weekly':
      return p.daysOfWeek.includes(WEEKDAYS[wd]);
    case 'AbsoluteMonthly':
      return f.day === p.dayOfMonth;
    case 'RelativeMonthly':
      return relMatch(p.dayOfWeek, p.index);
    case 'AbsoluteYearly':
      return f.month === p.month && f.day === p.dayOfMonth;
    case 'RelativeYearly':
      return f.month === p.month && relMatch(p.dayOfWeek, p.index);
    default:
      return true;
  }
}

/**
 * The first date on or after `from` that fits the pattern: where a series created through EWS
 * really starts (iCalendar counts DTSTART as an occurrence even when it does not fit the rule,
 * Exchange moves the start to the first date that does). Undefined when none in 8 years.
 */
export function firstPatternDate(p: RecurrencePattern, from: string): string | undefined {
  const f = parseLocal(from);
  let ms = Date.UTC(f.year, f.month - 1, f.day);
  for (let i = 0; i < 366 * 8 + 2; i++, ms += 86_400_000) {
    const d = new Date(ms);
    const s = formatLocalDate({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() });
    if (patternMatchesDate(p, s)) return s;
  }
  return undefined;
}

/** "Every 2 weeks on Monday, Wednesday" — for logs and error texts. */
export function describePattern(p: RecurrencePattern): string {
  const every = (n: number, unit: string) => (n === 1 ? `every ${unit}` : `every ${n} ${unit}s`);
  switch (p.type) {
    case 'Daily':
      return every(p.interval, 'day');
    case 'Weekly':
      return `${every(p.interval, 'week')} on ${p.daysOfWeek.join(', ')}`;
    case 'AbsoluteMonthly':
      return `day ${p.dayOfMonth} of ${every(p.interval, 'month')}`;
    case 'RelativeMonthly':
      return `the ${p.index.toLowerCase()} ${p.dayOfWeek} of ${every(p.interval, 'month')}`;
    case 'AbsoluteYearly':
      return `every ${MONTHS[p.month - 1]} ${p.dayOfMonth}`;
    case 'RelativeYearly':
      return `the ${p.index.toLowerCase()} ${p.dayOfWeek} of every ${MONTHS[p.month - 1]}`;
    default:
      return `${p.interval} ${p.type.replace('Regeneration', '').toLowerCase()} unit(s) after each completion`;
  }
}

/**
 * Why an RRULE can never produce a date (BYMONTHDAY=30 in February, 31 in April …), or undefined.
 * `dtstart` supplies the month of a yearly rule without BYMONTH.
 */
export function impossibleRule(rrule: string, dtstart: string): string | undefined {
  let parts: Map<string, string>;
  try {
    parts = parseRRuleParts(rrule);
  } catch (e) {
    return (e as Error).message;
  }
  const freq = parts.get('FREQ');
  if (freq !== 'MONTHLY' && freq !== 'YEARLY') return undefined;
  if (!parts.has('BYMONTHDAY') || parts.has('BYDAY') || parts.has('BYYEARDAY') || parts.has('BYWEEKNO')) return undefined;
  const days = parts.get('BYMONTHDAY')!.split(',').map(Number);
  if (days.some((d) => !Number.isInteger(d) || d < 0)) return undefined;
  const months = parts.has('BYMONTH')
    ? parts.get('BYMONTH')!.split(',').map(Number)
    : freq === 'YEARLY'
      ? [parseLocal(dtstart).month]
      : [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  if (months.some((m) => days.some((d) => m >= 1 && m <= 12 && d <= daysInMonth(2000, m)))) return undefined;
  const names = months.filter((m) => m >= 1 && m <= 12).map((m) => MONTHS[m - 1]);
  return `RRULE "${rrule}" names no date that exists (day ${days.join(', ')} of ${names.join(', ') || 'no valid month'}).`;
}

/** The positive BYMONTHDAY values of a monthly or yearly RRULE, to drop instances an iterator produced past a month's end. */
export function monthDayFilter(rrule: string): Set<number> | undefined {
  let parts: Map<string, string>;
  try {
    parts = parseRRuleParts(rrule);
  } catch {
    return undefined;
  }
  const freq = parts.get('FREQ');
  if ((freq !== 'MONTHLY' && freq !== 'YEARLY') || !parts.has('BYMONTHDAY') || parts.has('BYSETPOS')) return undefined;
  const days = parts.get('BYMONTHDAY')!.split(',').map(Number);
  if (days.some((d) => !Number.isInteger(d) || d < 1)) return undefined;
  return new Set(days);
}
