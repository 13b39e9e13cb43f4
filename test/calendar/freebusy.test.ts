// Free/busy from events (what GetUserAvailability needs when the server has no
// free-busy-query, as Radicale 3.1), a server's VFREEBUSY read, and
// MergedFreeBusy strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCalendarObject } from '../../src/convert/ical.js';
import { busyFromObjects, mergedFreeBusy, parseFreeBusy } from '../../src/convert/ical-freebusy.js';
import { IcalError } from '../../src/convert/ical.js';

const ICS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'ics');
const obj = (f: string) => parseCalendarObject(fs.readFileSync(path.join(ICS_DIR, f), 'utf8'), { floatingZone: 'Europe/Berlin' });

test('busy intervals from events: transparent and cancelled ones are free, details kept', () => {
  const window = { start: new Date('2026-03-09T00:00:00Z'), end: new Date('2026-03-14T00:00:00Z') };
  const busy = busyFromObjects([obj('long-daily-standup.ics'), obj('all-day-and-birthday.ics')], window);
  // Mon 9 .. Fri 13 March: five stand-ups, the 10th moved to 11:00; the birthday (17th) is outside and transparent anyway
  assert.deepEqual(
    busy.map((b) => [b.start.toISOString(), b.end.toISOString(), b.status, b.details?.isException]),
    [
      ['2026-03-09T16:15:00.000Z', '2026-03-09T16:30:00.000Z', 'Busy', false],
      ['2026-03-10T18:00:00.000Z', '2026-03-10T18:15:00.000Z', 'Busy', true],
      ['2026-03-11T16:15:00.000Z', '2026-03-11T16:30:00.000Z', 'Busy', false],
      ['2026-03-12T16:15:00.000Z', '2026-03-12T16:30:00.000Z', 'Busy', false],
      ['2026-03-13T16:15:00.000Z', '2026-03-13T16:30:00.000Z', 'Busy', false],
    ],
  );
  assert.equal(busy[0].details?.subject, 'Platform stand-up');
  assert.equal(busy[0].details?.isRecurring, true);
  // the cancelled occurrence on 2 April is not busy
  const april = busyFromObjects([obj('long-daily-standup.ics')], { start: new Date('2026-04-02T00:00:00Z'), end: new Date('2026-04-03T00:00:00Z') });
  assert.equal(april.length, 0);
  const bday = busyFromObjects([obj('all-day-and-birthday.ics')], { start: new Date('2026-03-16T00:00:00Z'), end: new Date('2026-03-19T00:00:00Z') });
  assert.equal(bday.length, 0, 'a free (transparent) all-day event');
  const tentative = busyFromObjects([obj('outlook-weekly-meeting.ics')], { start: new Date('2026-11-03T00:00:00Z'), end: new Date('2026-11-04T00:00:00Z') });
  assert.deepEqual(
    tentative.map((b) => b.status),
    ['Tentative'],
  );
});

test('MergedFreeBusy: one digit per slot, the strongest status wins', () => {
  const window = { start: new Date('2026-12-07T08:00:00Z'), end: new Date('2026-12-07T10:00:00Z') };
  const digits = mergedFreeBusy(
    [
      { start: new Date('2026-12-07T08:30:00Z'), end: new Date('2026-12-07T09:00:00Z'), status: 'Tentative' },
      { start: new Date('2026-12-07T08:45:00Z'), end: new Date('2026-12-07T09:15:00Z'), status: 'Busy' },
      { start: new Date('2026-12-07T09:30:00Z'), end: new Date('2026-12-07T10:30:00Z'), status: 'OOF' },
    ],
    window,
    15,
  );
  // 08:00 free, 08:15 free, 08:30 tentative, 08:45 busy (beats tentative), 09:00 busy, 09:15 free, 09:30 OOF, 09:45 OOF
  assert.equal(digits, '00122033');
  assert.equal(mergedFreeBusy([], window, 30), '0000');
});

test("a server's VFREEBUSY answer", () => {
  const text = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//a server//EN',
    'BEGIN:VFREEBUSY',
    'DTSTAMP:20261201T000000Z',
    'DTSTART:20261207T000000Z',
    'DTEND:20261208T000000Z',
    'FREEBUSY;FBTYPE=BUSY:20261207T090000Z/20261207T100000Z,20261207T140000Z/PT30M',
    'FREEBUSY;FBTYPE=BUSY-TENTATIVE:20261207T110000Z/20261207T113000Z',
    'FREEBUSY;FBTYPE=FREE:20261207T120000Z/20261207T130000Z',
    'END:VFREEBUSY',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
  assert.deepEqual(
    parseFreeBusy(text).map((b) => [b.start.toISOString(), b.end.toISOString(), b.status]),
    [
      ['2026-12-07T09:00:00.000Z', '2026-12-07T10:00:00.000Z', 'Busy'],
      ['2026-12-07T11:00:00.000Z', '2026-12-07T11:30:00.000Z', 'Tentative'],
      ['2026-12-07T14:00:00.000Z', '2026-12-07T14:30:00.000Z', 'Busy'],
    ],
  );
  assert.throws(
    () => parseFreeBusy('BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n'),
    (e: unknown) => e instanceof IcalError && /no VFREEBUSY/.test(e.message),
  );
});
