// The arithmetic recurrence path (src/convert/recurrence-fast.ts) against ical.js's
// RecurIterator: the same wall clocks in the same order for generated rules (every
// shape the fast path takes, odd starts, month ends, WKST, COUNT, UNTIL), and the
// same CalendarView instances for the ics fixtures, the bench's calendar and series
// across DST changes with EXDATEs and RECURRENCE-ID overrides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ICAL from 'ical.js';
import { fastRecurrence } from '../../src/convert/recurrence-fast.js';
import { monthDayFilter } from '../../src/convert/recurrence.js';
import { IcalError, parseCalendarObject, type CalendarObject } from '../../src/convert/ical.js';
import { expandObject, type Occurrence } from '../../src/convert/recurrence-expand.js';
import { seriesIcs, singleIcs } from '../../bench/calendar.js';

const ICS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'ics');
const LIMIT = 300;

/** A small deterministic PRNG (mulberry32), so a failure names a case that can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed |= 0;
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What recurrence-expand.ts takes from ical.js for a rule (the same filter applied). */
function icalLocals(rrule: string, start: string): string[] {
  const it = ICAL.Recur.fromString(rrule).iterator(start.length === 10 ? ICAL.Time.fromDateString(start) : ICAL.Time.fromDateTimeString(start));
  const days = monthDayFilter(rrule);
  const out: string[] = [];
  for (let t = it.next(); t && out.length < LIMIT; t = it.next()) {
    const local = t.toString().slice(0, start.length);
    if (!days || days.has(Number(local.slice(8, 10)))) out.push(local);
  }
  return out;
}

function fastLocals(rrule: string, start: string): string[] | undefined {
  const gen = fastRecurrence(rrule, start);
  if (!gen) return undefined;
  const days = monthDayFilter(rrule);
  const out: string[] = [];
  for (const local of gen) {
    if (out.length >= LIMIT) break;
    if (!days || days.has(Number(local.slice(8, 10)))) out.push(local);
  }
  return out;
}

const WD = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

function generatedRules(rand: () => number, n: number): string[] {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const some = <T>(xs: T[], max: number) => [...new Set(Array.from({ length: 1 + Math.floor(rand() * max) }, () => pick(xs)))];
  const rules: string[] = [];
  for (let i = 0; i < n; i++) {
    const freq = pick(['DAILY', 'WEEKLY', 'MONTHLY', 'MONTHLY', 'YEARLY']);
    const parts = [`FREQ=${freq}`];
    if (rand() < 0.5) parts.push(`INTERVAL=${1 + Math.floor(rand() * 4)}`);
    if (freq === 'WEEKLY') {
      if (rand() < 0.8) parts.push(`BYDAY=${some(WD, 4).join(',')}`);
      if (rand() < 0.4) parts.push(`WKST=${pick(WD)}`);
    } else if (freq === 'MONTHLY') {
      const k = rand();
      if (k < 0.4) parts.push(`BYMONTHDAY=${some([1, 2, 10, 15, 28, 29, 30, 31, -1, -2, -5], 3).join(',')}`);
      else if (k < 0.8) parts.push(`BYDAY=${pick(['1', '2', '3', '4', '-1', '-2', '-4', '+1'])}${pick(WD)}`);
    } else if (freq === 'YEARLY' && rand() < 0.6) {
      parts.push(`BYMONTH=${1 + Math.floor(rand() * 12)}`, `BYDAY=${pick(['1', '2', '3', '4', '-1', '-2'])}${pick(WD)}`);
    }
    const end = rand();
    if (end < 0.3) parts.push(`COUNT=${1 + Math.floor(rand() * 60)}`);
    else if (end < 0.6) parts.push('UNTIL=<until>');
    rules.push(parts.join(';'));
  }
  return rules;
}

function randomStart(rand: () => number, dateOnly: boolean): string {
  const y = 2024 + Math.floor(rand() * 4);
  const m = 1 + Math.floor(rand() * 12);
  // month ends are where rules differ most
  const d = rand() < 0.3 ? 28 + Math.floor(rand() * 4) : 1 + Math.floor(rand() * 28);
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1) return randomStart(rand, dateOnly);
  const ymd = date.toISOString().slice(0, 10);
  if (dateOnly) return ymd;
  return `${ymd}T${String(Math.floor(rand() * 24)).padStart(2, '0')}:${rand() < 0.5 ? '00' : '30'}:00`;
}

test('fast path = ical.js on 1,200 generated rules from random starts (date and date-time, COUNT, UNTIL, WKST, month ends)', () => {
  const rand = prng(20261125);
  let taken = 0;
  let compared = 0;
  for (const template of generatedRules(rand, 1200)) {
    const dateOnly = rand() < 0.3;
    const start = randomStart(rand, dateOnly);
    const untilDate = new Date(Date.parse(start.slice(0, 10)) + Math.floor(rand() * 900) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
    const rule = template.replace('<until>', dateOnly ? untilDate : `${untilDate}T${start.slice(11).replace(/:/g, '')}`);
    const fast = fastLocals(rule, start);
    if (rule.startsWith('FREQ=YEARLY') && !rule.includes('BYMONTH') && start.slice(5, 10) === '02-29') {
      assert.equal(fast, undefined, 'Feb 29 yearly is left to ical.js');
      continue;
    }
    assert.ok(fast, `the fast path takes ${rule}`);
    taken++;
    const expected = icalLocals(rule, start);
    assert.deepEqual(fast, expected, `${rule} from ${start}`);
    compared += expected.length;
  }
  assert.ok(taken > 1150 && compared > 40_000, `${taken} rules, ${compared} instances compared`);
});

test('rules the fast path leaves to ical.js', () => {
  for (const rule of [
    'FREQ=DAILY;BYDAY=MO',
    'FREQ=HOURLY',
    'FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR',
    'FREQ=MONTHLY;BYDAY=MO,TU',
    'FREQ=MONTHLY;BYDAY=5FR',
    'FREQ=YEARLY;BYMONTH=2,8',
    'FREQ=YEARLY;BYYEARDAY=100',
    'FREQ=WEEKLY;BYDAY=1MO',
    'FREQ=WEEKLY;UNTIL=20270101T000000Z',
    'FREQ=WEEKLY;COUNT=3;UNTIL=20270101T000000',
    'FREQ=DAILY;INTERVAL=0',
  ]) {
    assert.equal(fastRecurrence(rule, '2027-01-05T10:00:00'), undefined, rule);
  }
  // UNTIL must be in DTSTART's form
  assert.equal(fastRecurrence('FREQ=DAILY;UNTIL=20270110', '2027-01-05T10:00:00'), undefined);
  assert.equal(fastRecurrence('FREQ=DAILY;UNTIL=20270110T000000', '2027-01-05'), undefined);
  assert.equal(fastRecurrence('FREQ=YEARLY', '2028-02-29'), undefined);
  assert.deepEqual([...fastRecurrence('FREQ=DAILY;UNTIL=20270108', '2027-01-05')!], ['2027-01-05', '2027-01-06', '2027-01-07', '2027-01-08']);
});

const same = (a: Occurrence[], b: Occurrence[]) =>
  a.map((o) => [o.index, o.recurrenceId.local, o.start.utc.toISOString(), o.end.utc.toISOString(), o.end.local, !!o.override]).join('\n') ===
  b.map((o) => [o.index, o.recurrenceId.local, o.start.utc.toISOString(), o.end.utc.toISOString(), o.end.local, !!o.override]).join('\n');

function assertSameExpansion(obj: CalendarObject, label: string, windows: { start: Date; end: Date }[]): number {
  let n = 0;
  for (const w of windows) {
    const fast = expandObject(obj, w);
    const slow = expandObject(obj, w, { icalOnly: true });
    assert.ok(same(fast, slow), `${label} in ${w.start.toISOString()}..${w.end.toISOString()}: ${fast.length} vs ${slow.length} instances`);
    n += fast.length;
  }
  return n;
}

const WINDOWS = [
  { start: new Date('2020-01-01T00:00:00Z'), end: new Date('2022-01-01T00:00:00Z') },
  { start: new Date('2026-03-20T00:00:00Z'), end: new Date('2026-04-05T00:00:00Z') },
  { start: new Date('2026-10-20T00:00:00Z'), end: new Date('2026-11-05T00:00:00Z') },
  { start: new Date('2027-01-01T00:00:00Z'), end: new Date('2028-01-01T00:00:00Z') },
];

test('CalendarView instances with and without the fast path: every ics fixture and the bench calendar', () => {
  let objects = 0;
  let instances = 0;
  const sources: [string, string][] = [
    ...fs.readdirSync(ICS_DIR).filter((f) => f.endsWith('.ics')).map((f): [string, string] => [f, fs.readFileSync(path.join(ICS_DIR, f), 'utf8')]),
    ...Array.from({ length: 50 }, (_, i): [string, string] => [`bench series ${i}`, seriesIcs(i)]),
    ...Array.from({ length: 30 }, (_, i): [string, string] => [`bench single ${i}`, singleIcs(i)]),
  ];
  for (const [name, text] of sources) {
    let obj: CalendarObject;
    try {
      obj = parseCalendarObject(text, { floatingZone: 'Europe/Berlin' });
    } catch (e) {
      if (e instanceof IcalError) continue; // the broken-*.ics fixtures
      throw e;
    }
    objects++;
    instances += assertSameExpansion(obj, name, WINDOWS);
  }
  assert.ok(objects > 80 && instances > 2000, `${objects} objects, ${instances} instances`);
});

test('series across DST changes with EXDATEs and moved occurrences: the same instances', () => {
  const rand = prng(5);
  let instances = 0;
  const rules = [
    'FREQ=DAILY',
    'FREQ=WEEKLY;BYDAY=SU,MO',
    'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SA;WKST=SU',
    'FREQ=MONTHLY;BYDAY=-1SU',
    'FREQ=MONTHLY;BYMONTHDAY=31,-1',
    'FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
    'FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;COUNT=5',
    'FREQ=DAILY;UNTIL=20261101T023000Z',
  ];
  for (const zone of ['Europe/Berlin', 'America/New_York', 'Australia/Sydney']) {
    for (const rule of rules) {
      for (const time of ['023000', '013000', '120000']) {
        const start = `202603${String(20 + Math.floor(rand() * 9)).padStart(2, '0')}`;
        const dt = (d: string, t = time) => `;TZID=${zone}:${d}T${t}`;
        const shifted = new Date(Date.UTC(2026, 2, Number(start.slice(6)) + 14)).toISOString().slice(0, 10).replace(/-/g, '');
        const text = [
          'BEGIN:VCALENDAR',
          'VERSION:2.0',
          'PRODID:-//ewsgate test//EN',
          'BEGIN:VEVENT',
          'UID:dst@test',
          'DTSTAMP:20260101T000000Z',
          `DTSTART${dt(start)}`,
          `DTEND${dt(start, '150000')}`,
          `RRULE:${rule}`,
          `EXDATE${dt(shifted)}`,
          'SUMMARY:dst',
          'END:VEVENT',
          'BEGIN:VEVENT',
          'UID:dst@test',
          'DTSTAMP:20260101T000000Z',
          `RECURRENCE-ID${dt(start)}`,
          `DTSTART${dt(start, '180000')}`,
          `DTEND${dt(start, '190000')}`,
          'SUMMARY:moved first',
          'END:VEVENT',
          'END:VCALENDAR',
          '',
        ].join('\r\n');
        const obj = parseCalendarObject(text, { floatingZone: 'UTC' });
        instances += assertSameExpansion(obj, `${rule} ${zone} ${start}T${time}`, WINDOWS);
      }
    }
  }
  assert.ok(instances > 1000, `${instances} instances`);
});
