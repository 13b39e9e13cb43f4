// EWS Recurrence elements ⇄ the Recurrence model (src/convert/recurrence.ts), pure:
// RecurrenceType for calendar items, TaskRecurrenceType (with the Regeneration
// patterns) for tasks. Element order follows the schema: the pattern, then the range.
import { versionAtLeast, type ExchangeVersion } from '../../soap/envelope.js';
import { NS, child, elementChildren, textOf, x, type Element, type Xml } from '../../soap/xml.js';
import { EwsError } from '../errors.js';
import {
  MONTHS,
  RecurrenceError,
  WEEKDAYS,
  WEEK_INDEXES,
  isRegeneration,
  validateRecurrence,
  type DayOfWeek,
  type Recurrence,
  type RecurrencePattern,
  type RecurrenceRange,
  type WeekdayName,
  type WeekIndex,
} from '../../convert/recurrence.js';

const PATTERN_ELEMENTS: Record<RecurrencePattern['type'], string> = {
  RelativeYearly: 'RelativeYearlyRecurrence',
  AbsoluteYearly: 'AbsoluteYearlyRecurrence',
  RelativeMonthly: 'RelativeMonthlyRecurrence',
  AbsoluteMonthly: 'AbsoluteMonthlyRecurrence',
  Weekly: 'WeeklyRecurrence',
  Daily: 'DailyRecurrence',
  DailyRegeneration: 'DailyRegeneration',
  WeeklyRegeneration: 'WeeklyRegeneration',
  MonthlyRegeneration: 'MonthlyRegeneration',
  YearlyRegeneration: 'YearlyRegeneration',
};
const ELEMENT_PATTERNS = Object.fromEntries(Object.entries(PATTERN_ELEMENTS).map(([k, v]) => [v, k])) as Record<string, RecurrencePattern['type']>;

function renderPattern(p: RecurrencePattern, version: ExchangeVersion): Xml {
  const name = `t:${PATTERN_ELEMENTS[p.type]}`;
  switch (p.type) {
    case 'RelativeYearly':
      return x(name, null, x('t:DaysOfWeek', null, p.dayOfWeek), x('t:DayOfWeekIndex', null, p.index), x('t:Month', null, MONTHS[p.month - 1]));
    case 'AbsoluteYearly':
      return x(name, null, x('t:DayOfMonth', null, String(p.dayOfMonth)), x('t:Month', null, MONTHS[p.month - 1]));
    case 'RelativeMonthly':
      return x(name, null, x('t:Interval', null, String(p.interval)), x('t:DaysOfWeek', null, p.dayOfWeek), x('t:DayOfWeekIndex', null, p.index));
    case 'AbsoluteMonthly':
      return x(name, null, x('t:Interval', null, String(p.interval)), x('t:DayOfMonth', null, String(p.dayOfMonth)));
    case 'Weekly':
      return x(
        name,
        null,
        x('t:Interval', null, String(p.interval)),
        x('t:DaysOfWeek', null, p.daysOfWeek.join(' ')),
        p.firstDayOfWeek && versionAtLeast(version, 'Exchange2010_SP1') ? x('t:FirstDayOfWeek', null, p.firstDayOfWeek) : undefined,
      );
    default:
      return x(name, null, x('t:Interval', null, String(p.interval)));
  }
}

function renderRange(r: RecurrenceRange, offset: string): Xml {
  switch (r.type) {
    case 'NoEnd':
      return x('t:NoEndRecurrence', null, x('t:StartDate', null, r.startDate + offset));
    case 'EndDate':
      return x('t:EndDateRecurrence', null, x('t:StartDate', null, r.startDate + offset), x('t:EndDate', null, r.endDate + offset));
    case 'Numbered':
      return x('t:NumberedRecurrence', null, x('t:StartDate', null, r.startDate + offset), x('t:NumberOfOccurrences', null, String(r.count)));
  }
}

/**
 * The UTC offset of a series' first start ("+01:00"), written after the range's dates the way
 * Exchange does ("2027-01-04+01:00"): exchangelib reads only that form as a date (a bare date
 * becomes a UTC datetime), ews-javascript-api takes the first ten characters either way.
 */
export function rangeDateOffset(start: { local: string; dateOnly: boolean; utc: Date } | undefined): string {
  if (!start) return '';
  const local = Date.parse(`${start.dateOnly ? start.local.slice(0, 10) + 'T00:00:00' : start.local}Z`);
  const minutes = Math.round((local - start.utc.getTime()) / 60000);
  if (!Number.isFinite(minutes) || Math.abs(minutes) > 14 * 60) return '';
  const a = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** `<t:Recurrence>` with the pattern and the range; `offset`: see rangeDateOffset. */
export function renderRecurrence(r: Recurrence, version: ExchangeVersion, elementName = 't:Recurrence', offset = ''): Xml {
  return x(elementName, null, renderPattern(r.pattern, version), renderRange(r.range, offset));
}

function bad(message: string): EwsError {
  return new EwsError('ErrorCalendarInvalidRecurrence', message);
}

function need(el: Element, name: string): string {
  const v = textOf(child(el, NS.types, name))?.trim();
  if (!v) throw bad(`${el.localName} needs ${name}.`);
  return v;
}

function intOf(el: Element, name: string, min: number, max: number): number {
  const v = need(el, name);
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < min || n > max) throw bad(`${el.localName}/${name} "${v}" is not between ${min} and ${max}.`);
  return n;
}

function monthOf(el: Element): number {
  const v = need(el, 'Month');
  const m = (MONTHS as readonly string[]).indexOf(v) + 1;
  if (!m) throw bad(`"${v}" is not a month.`);
  return m;
}

function dayOfWeekOf(el: Element): DayOfWeek {
  const v = need(el, 'DaysOfWeek');
  if (![...WEEKDAYS, 'Day', 'Weekday', 'WeekendDay'].includes(v)) throw bad(`"${v}" is not one day of the week.`);
  return v as DayOfWeek;
}

function indexOf(el: Element): WeekIndex {
  const v = need(el, 'DayOfWeekIndex');
  if (!(WEEK_INDEXES as readonly string[]).includes(v)) throw bad(`"${v}" is not a week index.`);
  return v as WeekIndex;
}

/** An xs:date as clients send it ("2026-11-02", "2026-11-02Z", "2026-11-02+01:00") → "2026-11-02". */
export function xsDate(text: string, what: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?$/.exec(text.trim());
  if (!m) throw bad(`${what} "${text}" is not a date.`);
  return m[1];
}

function parsePattern(el: Element, forTask: boolean): RecurrencePattern {
  const type = ELEMENT_PATTERNS[el.localName ?? ''];
  if (!type) throw bad(`${el.localName} is not a recurrence pattern.`);
  if (type.endsWith('Regeneration') && !forTask) throw bad(`${el.localName} is a task pattern; calendar items cannot regenerate.`);
  switch (type) {
    case 'RelativeYearly':
      return { type, dayOfWeek: dayOfWeekOf(el), index: indexOf(el), month: monthOf(el) };
    case 'AbsoluteYearly':
      return { type, dayOfMonth: intOf(el, 'DayOfMonth', 1, 31), month: monthOf(el) };
    case 'RelativeMonthly':
      return { type, interval: intOf(el, 'Interval', 1, 99), dayOfWeek: dayOfWeekOf(el), index: indexOf(el) };
    case 'AbsoluteMonthly':
      return { type, interval: intOf(el, 'Interval', 1, 99), dayOfMonth: intOf(el, 'DayOfMonth', 1, 31) };
    case 'Weekly': {
      const days = need(el, 'DaysOfWeek').split(/\s+/).filter(Boolean);
      for (const d of days) {
        if (d === 'Day' || d === 'Weekday' || d === 'WeekendDay') {
          throw new EwsError('ErrorCalendarInvalidDayForWeeklyRecurrence', `A weekly recurrence names single days, not "${d}".`);
        }
        if (!(WEEKDAYS as readonly string[]).includes(d)) throw bad(`"${d}" is not a day of the week.`);
      }
      const first = textOf(child(el, NS.types, 'FirstDayOfWeek'))?.trim();
      if (first && !(WEEKDAYS as readonly string[]).includes(first)) throw bad(`"${first}" is not a day of the week.`);
      const p: RecurrencePattern = { type, interval: intOf(el, 'Interval', 1, 99), daysOfWeek: days as WeekdayName[] };
      if (first) p.firstDayOfWeek = first as WeekdayName;
      return p;
    }
    case 'Daily':
      return { type, interval: intOf(el, 'Interval', 1, 999) };
    default:
      return { type, interval: intOf(el, 'Interval', 1, 999) } as RecurrencePattern;
  }
}

function parseRange(el: Element): RecurrenceRange {
  const startDate = xsDate(need(el, 'StartDate'), 'StartDate');
  switch (el.localName) {
    case 'NoEndRecurrence':
      return { type: 'NoEnd', startDate };
    case 'EndDateRecurrence':
      return { type: 'EndDate', startDate, endDate: xsDate(need(el, 'EndDate'), 'EndDate') };
    case 'NumberedRecurrence':
      return { type: 'Numbered', startDate, count: intOf(el, 'NumberOfOccurrences', 1, 999) };
    default:
      throw bad(`${el.localName} is not a recurrence range.`);
  }
}

/**
 * A Recurrence element (calendar:Recurrence, task:Recurrence), validated: impossible days,
 * an end before the start and bad intervals are ErrorCalendarInvalidRecurrence; day groups in
 * weekly patterns ErrorCalendarInvalidDayForWeeklyRecurrence.
 */
export function parseRecurrence(el: Element, forTask = false): Recurrence {
  const kids = elementChildren(el).filter((c) => c.namespaceURI === NS.types);
  const patternEl = kids.find((c) => ELEMENT_PATTERNS[c.localName ?? '']);
  const rangeEl = kids.find(
    (c) => /Recurrence$/.test(c.localName ?? '') && ['NoEndRecurrence', 'EndDateRecurrence', 'NumberedRecurrence'].includes(c.localName ?? ''),
  );
  if (!patternEl) throw bad('The recurrence has no pattern.');
  if (!rangeEl) throw bad('The recurrence has no range (NoEndRecurrence, EndDateRecurrence or NumberedRecurrence).');
  const r: Recurrence = { pattern: parsePattern(patternEl, forTask), range: parseRange(rangeEl) };
  try {
    validateRecurrence(r);
  } catch (e) {
    if (e instanceof RecurrenceError) {
      throw new EwsError(e.problem === 'weekly-day-group' ? 'ErrorCalendarInvalidDayForWeeklyRecurrence' : 'ErrorCalendarInvalidRecurrence', e.message);
    }
    throw e;
  }
  if (!forTask && isRegeneration(r.pattern)) throw bad('Calendar items cannot regenerate.');
  return r;
}
