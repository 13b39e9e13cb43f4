// Recurrence patterns ⇄ RRULE for every EWS pattern both ways, what other
// clients write, precise refusals, and expansion checked against ical.js's own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ICAL from 'ical.js';
import {
  RecurrenceError,
  UnsupportedRecurrenceError,
  firstPatternDate,
  recurrenceToRRule,
  rruleToRecurrence,
  validateRecurrence,
  type Recurrence,
} from '../../src/convert/recurrence.js';
import { parseCalendarObject } from '../../src/convert/ical.js';
import { deleteOccurrence, expandObject, modifyOccurrence, occurrenceAt, occurrenceByRecurrenceId, seriesBounds } from '../../src/convert/recurrence-expand.js';

const ICS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'ics');
const readIcs = (name: string) => fs.readFileSync(path.join(ICS_DIR, name), 'utf8');

interface Case {
  name: string;
  rec: Recurrence;
  rrule: string;
  dtstart: string;
  ctx?: { zone?: string; allDay?: boolean };
  regeneration?: boolean;
}

const CASES: Case[] = [
  {
    name: 'Daily, no end',
    rec: { pattern: { type: 'Daily', interval: 1 }, range: { type: 'NoEnd', startDate: '2026-11-02' } },
    rrule: 'FREQ=DAILY',
    dtstart: '2026-11-02T09:00:00',
  },
  {
    name: 'Daily every 3 days, 10 times',
    rec: { pattern: { type: 'Daily', interval: 3 }, range: { type: 'Numbered', startDate: '2026-11-02', count: 10 } },
    rrule: 'FREQ=DAILY;INTERVAL=3;COUNT=10',
    dtstart: '2026-11-02T09:00:00',
  },
  {
    name: 'Weekly Mon/Wed every 2 weeks until a date (UNTIL in UTC from Berlin)',
    rec: {
      pattern: { type: 'Weekly', interval: 2, daysOfWeek: ['Monday', 'Wednesday'] },
      range: { type: 'EndDate', startDate: '2026-11-02', endDate: '2027-02-01' },
    },
    rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20270201T225959Z',
    dtstart: '2026-11-02T09:00:00',
    ctx: { zone: 'Europe/Berlin' },
  },
  {
    name: 'Weekly with FirstDayOfWeek',
    rec: {
      pattern: { type: 'Weekly', interval: 1, daysOfWeek: ['Sunday', 'Saturday'], firstDayOfWeek: 'Monday' },
      range: { type: 'NoEnd', startDate: '2026-11-01' },
    },
    rrule: 'FREQ=WEEKLY;BYDAY=SU,SA;WKST=MO',
    dtstart: '2026-11-01T10:00:00',
  },
  {
    name: 'AbsoluteMonthly day 15 every 2 months',
    rec: { pattern: { type: 'AbsoluteMonthly', interval: 2, dayOfMonth: 15 }, range: { type: 'Numbered', startDate: '2026-11-15', count: 6 } },
    rrule: 'FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=15;COUNT=6',
    dtstart: '2026-11-15T09:00:00',
  },
  {
    name: 'RelativeMonthly second Tuesday',
    rec: { pattern: { type: 'RelativeMonthly', interval: 1, dayOfWeek: 'Tuesday', index: 'Second' }, range: { type: 'NoEnd', startDate: '2026-11-10' } },
    rrule: 'FREQ=MONTHLY;BYDAY=2TU',
    dtstart: '2026-11-10T09:00:00',
  },
  {
    name: 'RelativeMonthly last Friday',
    rec: { pattern: { type: 'RelativeMonthly', interval: 1, dayOfWeek: 'Friday', index: 'Last' }, range: { type: 'NoEnd', startDate: '2026-11-27' } },
    rrule: 'FREQ=MONTHLY;BYDAY=-1FR',
    dtstart: '2026-11-27T16:00:00',
  },
  {
    name: 'RelativeMonthly last day',
    rec: { pattern: { type: 'RelativeMonthly', interval: 1, dayOfWeek: 'Day', index: 'Last' }, range: { type: 'NoEnd', startDate: '2026-11-30' } },
    rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1',
    dtstart: '2026-11-30T09:00:00',
  },
  {
    name: 'RelativeMonthly first weekday every 3 months',
    rec: { pattern: { type: 'RelativeMonthly', interval: 3, dayOfWeek: 'Weekday', index: 'First' }, range: { type: 'NoEnd', startDate: '2026-12-01' } },
    rrule: 'FREQ=MONTHLY;INTERVAL=3;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1',
    dtstart: '2026-12-01T09:00:00',
  },
  {
    name: 'RelativeMonthly last weekend day',
    rec: { pattern: { type: 'RelativeMonthly', interval: 1, dayOfWeek: 'WeekendDay', index: 'Last' }, range: { type: 'NoEnd', startDate: '2026-11-29' } },
    rrule: 'FREQ=MONTHLY;BYDAY=SU,SA;BYSETPOS=-1',
    dtstart: '2026-11-29T09:00:00',
  },
  {
    name: 'AbsoluteYearly March 17 (all-day, UNTIL a DATE)',
    rec: { pattern: { type: 'AbsoluteYearly', month: 3, dayOfMonth: 17 }, range: { type: 'EndDate', startDate: '2026-03-17', endDate: '2030-03-17' } },
    rrule: 'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=17;UNTIL=20300317',
    dtstart: '2026-03-17',
    ctx: { allDay: true },
  },
  {
    name: 'AbsoluteYearly Feb 29',
    rec: { pattern: { type: 'AbsoluteYearly', month: 2, dayOfMonth: 29 }, range: { type: 'NoEnd', startDate: '2028-02-29' } },
    rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29',
    dtstart: '2028-02-29T09:00:00',
  },
  {
    name: 'RelativeYearly fourth Thursday of November',
    rec: {
      pattern: { type: 'RelativeYearly', month: 11, dayOfWeek: 'Thursday', index: 'Fourth' },
      range: { type: 'Numbered', startDate: '2026-11-26', count: 5 },
    },
    rrule: 'FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=5',
    dtstart: '2026-11-26T12:00:00',
  },
  {
    name: 'RelativeYearly first day of January',
    rec: { pattern: { type: 'RelativeYearly', month: 1, dayOfWeek: 'Day', index: 'First' }, range: { type: 'NoEnd', startDate: '2027-01-01' } },
    rrule: 'FREQ=YEARLY;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA;BYSETPOS=1',
    dtstart: '2027-01-01T00:00:00',
  },
  {
    name: 'floating UNTIL',
    rec: { pattern: { type: 'Daily', interval: 1 }, range: { type: 'EndDate', startDate: '2026-11-02', endDate: '2026-11-06' } },
    rrule: 'FREQ=DAILY;UNTIL=20261106T235959',
    dtstart: '2026-11-02T06:30:00',
  },
  {
    name: 'DailyRegeneration',
    rec: { pattern: { type: 'DailyRegeneration', interval: 10 }, range: { type: 'NoEnd', startDate: '2026-11-15' } },
    rrule: 'FREQ=DAILY;INTERVAL=10',
    dtstart: '2026-11-15',
    regeneration: true,
    ctx: { allDay: true },
  },
  {
    name: 'WeeklyRegeneration',
    rec: { pattern: { type: 'WeeklyRegeneration', interval: 6 }, range: { type: 'Numbered', startDate: '2026-11-15', count: 4 } },
    rrule: 'FREQ=WEEKLY;INTERVAL=6;COUNT=4',
    dtstart: '2026-11-15',
    regeneration: true,
    ctx: { allDay: true },
  },
  {
    name: 'MonthlyRegeneration',
    rec: { pattern: { type: 'MonthlyRegeneration', interval: 1 }, range: { type: 'NoEnd', startDate: '2026-11-15' } },
    rrule: 'FREQ=MONTHLY',
    dtstart: '2026-11-15',
    regeneration: true,
    ctx: { allDay: true },
  },
  {
    name: 'YearlyRegeneration',
    rec: { pattern: { type: 'YearlyRegeneration', interval: 2 }, range: { type: 'EndDate', startDate: '2026-11-15', endDate: '2036-11-15' } },
    rrule: 'FREQ=YEARLY;INTERVAL=2;UNTIL=20361115',
    dtstart: '2026-11-15',
    regeneration: true,
    ctx: { allDay: true },
  },
];

describe('EWS pattern ⇄ RRULE, both ways', () => {
  for (const c of CASES) {
    test(c.name, () => {
      assert.equal(recurrenceToRRule(c.rec, c.ctx), c.rrule);
      assert.deepEqual(rruleToRecurrence(c.rrule, c.dtstart, { ...c.ctx, regeneration: c.regeneration }), c.rec);
      // ical.js reads what we write
      assert.doesNotThrow(() => ICAL.Recur.fromString(c.rrule));
    });
  }
});

describe('RRULEs other clients write', () => {
  const read = (rrule: string, dtstart: string) => rruleToRecurrence(rrule, dtstart);
  test('"every weekday" as a daily rule becomes a weekly pattern', () => {
    assert.deepEqual(read('FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR', '2026-11-02T09:00:00').pattern, {
      type: 'Weekly',
      interval: 1,
      daysOfWeek: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
    });
  });
  test('implicit parts come from DTSTART', () => {
    assert.deepEqual(read('FREQ=WEEKLY', '2026-11-04T09:00:00').pattern, { type: 'Weekly', interval: 1, daysOfWeek: ['Wednesday'] });
    assert.deepEqual(read('FREQ=MONTHLY', '2026-11-04T09:00:00').pattern, { type: 'AbsoluteMonthly', interval: 1, dayOfMonth: 4 });
    assert.deepEqual(read('FREQ=YEARLY', '2026-11-04T09:00:00').pattern, { type: 'AbsoluteYearly', month: 11, dayOfMonth: 4 });
  });
  test('yearly with an interval becomes monthly ×12 (as Exchange stores it)', () => {
    assert.deepEqual(read('FREQ=YEARLY;INTERVAL=2;BYMONTH=5;BYMONTHDAY=1', '2026-05-01T09:00:00').pattern, {
      type: 'AbsoluteMonthly',
      interval: 24,
      dayOfMonth: 1,
    });
    assert.deepEqual(read('FREQ=YEARLY;INTERVAL=3;BYMONTH=5;BYDAY=-1MO', '2026-05-25T09:00:00').pattern, {
      type: 'RelativeMonthly',
      interval: 36,
      dayOfWeek: 'Monday',
      index: 'Last',
    });
  });
  test('UNTIL as a UTC time is read as the date in the series zone', () => {
    const r = rruleToRecurrence('FREQ=DAILY;UNTIL=20261231T230000Z', '2026-12-01T09:00:00', { zone: 'Europe/Berlin' });
    assert.deepEqual(r.range, { type: 'EndDate', startDate: '2026-12-01', endDate: '2027-01-01' });
  });
  test('rules EWS cannot express are UnsupportedRecurrenceError, named', () => {
    for (const [rule, why] of [
      ['FREQ=HOURLY', /FREQ=HOURLY/],
      ['FREQ=WEEKLY;BYHOUR=9,14', /BYHOUR/],
      ['FREQ=YEARLY;BYMONTH=1,7', /several months/],
      ['FREQ=MONTHLY;BYDAY=1MO,3MO', /BYDAY/],
      ['FREQ=YEARLY;BYWEEKNO=20', /BYWEEKNO/],
      ['FREQ=MONTHLY;BYMONTHDAY=1,15', /BYMONTHDAY=1,15/],
    ] as const) {
      assert.throws(
        () => read(rule, '2026-01-05T09:00:00'),
        (e: unknown) => e instanceof UnsupportedRecurrenceError && why.test(e.message),
        rule,
      );
    }
  });
  test('broken RRULEs are RecurrenceError, not a crash', () => {
    assert.throws(
      () => read('INTERVAL=2', '2026-01-05T09:00:00'),
      (e: unknown) => e instanceof RecurrenceError && /no FREQ/.test(e.message),
    );
    assert.throws(
      () => read('FREQ=DAILY;COUNT=2;UNTIL=20270101', '2026-01-05T09:00:00'),
      (e: unknown) => e instanceof RecurrenceError && /both COUNT and UNTIL/.test(e.message),
    );
    assert.throws(
      () => read('FREQ=WEEKLY;BYDAY=XX', '2026-01-05T09:00:00'),
      (e: unknown) => e instanceof RecurrenceError && /BYDAY value "XX"/.test(e.message),
    );
  });
});

describe('refusals with precise reasons', () => {
  const bad = (rec: Recurrence, problem: string, message: RegExp) =>
    assert.throws(
      () => validateRecurrence(rec),
      (e: unknown) => e instanceof RecurrenceError && e.problem === problem && message.test(e.message),
      message.source,
    );
  test('impossible days', () => {
    bad(
      { pattern: { type: 'AbsoluteYearly', month: 2, dayOfMonth: 30 }, range: { type: 'NoEnd', startDate: '2026-01-01' } },
      'impossible-day',
      /February 30 does not exist/,
    );
    bad(
      { pattern: { type: 'AbsoluteYearly', month: 4, dayOfMonth: 31 }, range: { type: 'NoEnd', startDate: '2026-01-01' } },
      'impossible-day',
      /April 31 does not exist/,
    );
    bad({ pattern: { type: 'AbsoluteMonthly', interval: 1, dayOfMonth: 32 }, range: { type: 'NoEnd', startDate: '2026-01-01' } }, 'impossible-day', /Day 32/);
  });
  test('end before start, bad counts and intervals, day groups in weekly patterns', () => {
    bad(
      { pattern: { type: 'Daily', interval: 1 }, range: { type: 'EndDate', startDate: '2026-05-01', endDate: '2026-04-30' } },
      'end-before-start',
      /ends \(2026-04-30\) before it starts \(2026-05-01\)/,
    );
    bad({ pattern: { type: 'Daily', interval: 0 }, range: { type: 'NoEnd', startDate: '2026-05-01' } }, 'invalid', /interval 0/);
    bad({ pattern: { type: 'Daily', interval: 1 }, range: { type: 'Numbered', startDate: '2026-05-01', count: 0 } }, 'invalid', /number of occurrences 0/);
    bad(
      { pattern: { type: 'Weekly', interval: 1, daysOfWeek: ['Weekday' as never] }, range: { type: 'NoEnd', startDate: '2026-05-01' } },
      'weekly-day-group',
      /not "Weekday"/,
    );
    bad(
      { pattern: { type: 'Daily', interval: 1 }, range: { type: 'NoEnd', startDate: '2026-02-30' } },
      'invalid',
      /start date "2026-02-30" is not a valid date/,
    );
  });
  test('the first date that fits a pattern', () => {
    assert.equal(firstPatternDate({ type: 'Weekly', interval: 1, daysOfWeek: ['Thursday'] }, '2026-11-02'), '2026-11-05');
    assert.equal(firstPatternDate({ type: 'AbsoluteYearly', month: 2, dayOfMonth: 29 }, '2026-03-01'), '2028-02-29');
    assert.equal(firstPatternDate({ type: 'RelativeMonthly', interval: 1, dayOfWeek: 'Weekday', index: 'Last' }, '2026-10-01'), '2026-10-30');
  });
});

// ------------------------------------------------------------ expansion vs ical.js

/** ical.js's own expansion: VTIMEZONEs registered, exceptions related, EXDATEs applied by its RecurExpansion. */
function icalJsInstants(text: string, from: Date, to: Date): number[] {
  const comp = new ICAL.Component(ICAL.parse(text));
  for (const vtz of comp.getAllSubcomponents('vtimezone')) ICAL.TimezoneService.register(new ICAL.Timezone(vtz));
  const vevents = comp.getAllSubcomponents('vevent');
  const master = new ICAL.Event(vevents.find((v) => !v.hasProperty('recurrence-id'))!);
  for (const v of vevents.filter((v) => v.hasProperty('recurrence-id'))) master.relateException(new ICAL.Event(v));
  const out: number[] = [];
  const it = master.iterator();
  for (let next = it.next(); next; next = it.next()) {
    const d = master.getOccurrenceDetails(next);
    const s = d.startDate.toJSDate().getTime();
    if (s >= to.getTime()) break;
    if (d.endDate.toJSDate().getTime() > from.getTime()) out.push(s);
    if (out.length > 5000) break;
  }
  return out.sort((a, b) => a - b);
}

describe('expansion agrees with ical.js', () => {
  const window = { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2028-01-01T00:00:00Z') };
  for (const file of ['outlook-weekly-meeting.ics', 'google-monthly.ics', 'long-daily-standup.ics', 'sydney-weekly-dst.ics', 'all-day-and-birthday.ics']) {
    test(file, () => {
      const text = readIcs(file);
      const obj = parseCalendarObject(text, { floatingZone: 'UTC' });
      const mine = expandObject(obj, window).map((o) => o.start.utc.getTime());
      const theirs = icalJsInstants(text, window.start, window.end);
      assert.equal(mine.length, theirs.length, `${file}: ${mine.length} instances here, ${theirs.length} from ical.js`);
      assert.deepEqual(mine, theirs);
    });
  }

  test('the long series: two years of weekdays, holidays removed, an RDATE, three overrides', () => {
    const obj = parseCalendarObject(readIcs('long-daily-standup.ics'));
    const all = expandObject(obj, { start: new Date('2025-01-01T00:00:00Z'), end: new Date('2029-01-01T00:00:00Z') });
    const dates = all.map((o) => o.start.local.slice(0, 10));
    assert.ok(!dates.includes('2026-01-19') && !dates.includes('2026-05-25'), 'EXDATEs are not instances');
    assert.ok(dates.includes('2026-03-07'), 'the RDATE (a Saturday) is an instance');
    const moved = all.find((o) => o.recurrenceId.local === '2026-10-30T09:15:00')!;
    assert.equal(moved.start.local, '2026-11-02T09:15:00');
    assert.equal(moved.end.local, '2026-11-02T09:45:00');
    assert.equal(moved.event.subject, 'Platform stand-up (moved to Monday, longer)');
    const cancelled = all.find((o) => o.recurrenceId.local === '2026-04-02T09:15:00')!;
    assert.equal(cancelled.event.status, 'CANCELLED');
    // Pacific time across the DST changes: 09:15 local is 17:15Z in winter and 16:15Z in summer.
    assert.equal(all.find((o) => o.start.local === '2026-03-06T09:15:00')!.start.utc.toISOString(), '2026-03-06T17:15:00.000Z');
    assert.equal(all.find((o) => o.start.local === '2026-03-09T09:15:00')!.start.utc.toISOString(), '2026-03-09T16:15:00.000Z');
    const bounds = seriesBounds(obj);
    assert.equal(bounds.first!.start.local, '2026-01-05T09:15:00');
    assert.equal(bounds.last!.start.local, '2027-12-31T09:15:00');
    assert.equal(bounds.infinite, false);
  });

  test('instance indexes count deleted instances; lookups by index and by original start', () => {
    const obj = parseCalendarObject(readIcs('outlook-weekly-meeting.ics'));
    const byIndex = occurrenceAt(obj, 3);
    assert.ok('found' in byIndex && byIndex.found.override, 'index 3 is the moved 17 Nov occurrence');
    assert.equal(byIndex.found.start.local, '2026-11-18T14:00:00');
    assert.ok('deleted' in occurrenceAt(obj, 9), 'index 9 (29 Dec) was deleted');
    assert.ok('outOfRange' in occurrenceAt(obj, 23), "'outOfRange' in occurrenceAt(obj, 23)");
    assert.ok('outOfRange' in occurrenceAt(obj, 0), "'outOfRange' in occurrenceAt(obj, 0)");
    const byRid = occurrenceByRecurrenceId(obj, new Date('2026-11-10T08:00:00Z'));
    assert.ok('found' in byRid && byRid.found.index === 2, "'found' in byRid && byRid.found.index === 2");
  });

  test('deleting and modifying occurrences edits EXDATE and overrides', () => {
    const obj = parseCalendarObject(readIcs('google-monthly.ics'));
    const second = occurrenceAt(obj, 2);
    assert.ok('found' in second, "'found' in second");
    const o = modifyOccurrence(obj, second.found);
    o.subject = 'November review (moved)';
    assert.equal(obj.overrides.length, 1);
    const third = occurrenceAt(obj, 3);
    assert.ok('found' in third, "'found' in third");
    deleteOccurrence(obj, third.found.recurrenceId);
    assert.ok('deleted' in occurrenceAt(obj, 3), "'deleted' in occurrenceAt(obj, 3)");
    const again = occurrenceAt(obj, 2);
    assert.ok(
      'found' in again && again.found.event.subject === 'November review (moved)',
      "'found' in again && again.found.event.subject === 'November review (moved)'",
    );
    // deleting a modified occurrence drops its override too
    deleteOccurrence(obj, again.found.recurrenceId);
    assert.equal(obj.overrides.length, 0);
  });
});
