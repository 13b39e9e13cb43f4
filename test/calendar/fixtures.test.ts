// The iCalendar corpus (fixtures/ics): every fixture reads into the model with
// the values its README promises, survives write → read unchanged, keeps every
// property we do not model (X-…, Apple's, Google's, Outlook's) across an update,
// and the broken ones fail with a precise reason.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ICAL from 'ical.js';
import {
  IcalError,
  calDateTime,
  parseCalendarObject,
  serializeCalendarObject,
  type CalendarEvent,
  type CalendarObject,
  type Task,
} from '../../src/convert/ical.js';
import {
  cleanGlobalObjectIdFromUid,
  globalObjectIdFromUid,
  resourceNameFromUrlCompName,
  resourceNameForUid,
  uidFromGlobalObjectId,
  urlCompNameOfHref,
} from '../../src/convert/ical-ids.js';

const ICS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'ics');
const files = fs
  .readdirSync(ICS_DIR)
  .filter((f) => f.endsWith('.ics'))
  .sort();
const good = files.filter((f) => !f.startsWith('broken-'));
const read = (f: string) => fs.readFileSync(path.join(ICS_DIR, f), 'utf8');

function eventView(e: CalendarEvent) {
  return {
    uid: e.uid,
    rid: e.recurrenceId && [e.recurrenceId.local, e.recurrenceId.utc.getTime()],
    subject: e.subject,
    body: e.body,
    html: e.htmlBody,
    location: e.location,
    start: [e.start.local, e.start.dateOnly, e.start.utc.getTime()],
    end: [e.end.local, e.end.dateOnly, e.end.utc.getTime()],
    allDay: e.isAllDay,
    fb: e.freeBusy,
    sens: e.sensitivity,
    imp: e.importance,
    cats: e.categories,
    rem: e.reminderMinutes,
    org: e.organizer,
    att: e.attendees,
    status: e.status,
    rrule: e.rrule,
    rec: e.recurrence,
    ex: e.exdates.map((d) => d.utc.getTime()),
    rd: e.rdates.map((d) => d.utc.getTime()),
    files: e.attachments.map((a) => [a.filename, a.contentType, a.uri, a.data?.toString('base64')]),
    url: e.url,
  };
}

function taskView(t: Task) {
  return {
    uid: t.uid,
    subject: t.subject,
    status: t.status,
    pct: t.percentComplete,
    start: t.start?.local,
    due: t.due?.local,
    done: t.completed?.getTime(),
    rem: t.reminderAt?.getTime(),
    rrule: t.rrule,
    rec: t.recurrence,
    cats: t.categories,
    sens: t.sensitivity,
    imp: t.importance,
  };
}

function view(o: CalendarObject) {
  return o.kind === 'todo' ? { task: taskView(o.task!) } : { master: o.master && eventView(o.master), overrides: o.overrides.map(eventView) };
}

/** Every property the model does not own, per component (by UID and RECURRENCE-ID), as jCal. */
function foreignProps(text: string): Map<string, string[]> {
  const own = new Set(['uid', 'dtstamp', 'last-modified', 'sequence', 'created']);
  const cal = new ICAL.Component(ICAL.parse(text));
  const out = new Map<string, string[]>();
  for (const c of [...cal.getAllSubcomponents('vevent'), ...cal.getAllSubcomponents('vtodo')]) {
    const key = `${c.getFirstPropertyValue('uid')}|${c.getFirstProperty('recurrence-id')?.toJSON()[3] ?? ''}`;
    out.set(
      key,
      c
        .getAllProperties()
        .filter((p) => p.name.startsWith('x-') && !own.has(p.name))
        .map((p) => JSON.stringify(p.toJSON()))
        .sort(),
    );
    for (const a of c.getAllSubcomponents('valarm'))
      out.set(
        `${key}|alarm`,
        a
          .getAllProperties()
          .map((p) => JSON.stringify(p.toJSON()))
          .sort(),
      );
  }
  return out;
}

describe('every fixture survives write → read unchanged', () => {
  for (const f of good) {
    test(f, () => {
      const text = read(f);
      const a = parseCalendarObject(text, { floatingZone: 'Europe/Berlin' });
      const out = serializeCalendarObject(a);
      const b = parseCalendarObject(out, { floatingZone: 'Europe/Berlin' });
      assert.deepEqual(view(b), view(a));
      assert.deepEqual(foreignProps(out), foreignProps(text), 'X- properties and alarms as they were');
      assert.equal(out.includes('METHOD:'), false, 'a stored resource carries no METHOD');
    });
  }
});

describe('an update keeps what we do not model', () => {
  for (const f of good) {
    test(f, () => {
      const text = read(f);
      const a = parseCalendarObject(text, { floatingZone: 'Europe/Berlin' });
      const m = a.kind === 'todo' ? a.task! : a.master!;
      m.subject = `${m.subject} (edited)`;
      m.categories = [...m.categories, 'Edited'];
      const out = serializeCalendarObject(a);
      const b = parseCalendarObject(out, { floatingZone: 'Europe/Berlin' });
      const m2 = b.kind === 'todo' ? b.task! : b.master!;
      assert.equal(m2.subject, m.subject);
      assert.deepEqual(m2.categories, m.categories);
      // everything else unchanged, X- properties included
      const strip = (v: ReturnType<typeof view>) => JSON.parse(JSON.stringify(v, (k, val) => (k === 'subject' || k === 'cats' ? undefined : val)));
      assert.deepEqual(strip(view(b)), strip(view(a)));
      assert.deepEqual(foreignProps(out), foreignProps(text));
      // the original VTIMEZONEs are still there, untouched
      const tz = (s: string) => new ICAL.Component(ICAL.parse(s)).getAllSubcomponents('vtimezone').map((v) => v.toString());
      assert.deepEqual(tz(out).slice(0, tz(text).length), tz(text));
    });
  }
});

describe('what the fixtures hold', () => {
  const parse = (f: string) => parseCalendarObject(read(f), { floatingZone: 'Europe/Berlin' });

  test('Outlook: Windows TZID, CDO busy status, HTML body, a room, an override, GlobalObjectId UID', () => {
    const o = parse('outlook-weekly-meeting.ics');
    const m = o.master!;
    assert.equal(o.method, 'PUBLISH');
    assert.equal(m.start.zone, 'Europe/Berlin');
    assert.equal(m.start.tzid, 'W. Europe Standard Time');
    assert.equal(m.start.utc.toISOString(), '2026-11-03T08:00:00.000Z');
    assert.equal(m.freeBusy, 'Tentative');
    assert.match(m.htmlBody ?? '', /<b>Vertrieb\/Technik<\/b>/);
    assert.deepEqual(
      m.attendees.map((a) => [a.kind, a.response]),
      [
        ['Required', 'NoResponseReceived'],
        ['Required', 'Accept'],
        ['Optional', 'Tentative'],
        ['Resource', 'Accept'],
      ],
    );
    assert.equal(m.reminderMinutes, 15);
    assert.deepEqual(m.recurrence, {
      pattern: { type: 'Weekly', interval: 1, daysOfWeek: ['Tuesday'], firstDayOfWeek: 'Monday' },
      range: { type: 'EndDate', startDate: '2026-11-03', endDate: '2027-03-30' },
    });
    assert.equal(o.overrides[0].location, 'Messehalle B, Stand 12');
    // Outlook's UID is the hex of its GlobalObjectId: it decodes to itself
    const goid = globalObjectIdFromUid(m.uid);
    assert.equal(goid.toString('hex').toUpperCase(), m.uid);
    assert.equal(uidFromGlobalObjectId(goid), m.uid);
  });

  test('Google: relative monthly, declined attendee, conference URL, the display alarm (not the e-mail one)', () => {
    const m = parse('google-monthly.ics').master!;
    assert.deepEqual(m.recurrence?.pattern, { type: 'RelativeMonthly', interval: 1, dayOfWeek: 'Tuesday', index: 'First' });
    assert.equal(m.url, 'https://meet.example.org/abc-defg-hij');
    assert.equal(m.reminderMinutes, 10);
    assert.equal(m.attendees[0].response, 'Organizer');
    assert.equal(m.attendees[2].response, 'Decline');
    assert.equal(m.location, '', 'an empty LOCATION is an empty location');
  });

  test('Apple: private, structured location kept, binary attachment, audio alarm two hours before', () => {
    const m = parse('apple-dinner.ics').master!;
    assert.equal(m.sensitivity, 'Private');
    assert.equal(m.reminderMinutes, 120);
    assert.equal(m.attachments[0].filename, 'menu.txt');
    assert.equal(m.attachments[0].data?.toString('utf8'), "Menu de fin d'année\nEntrée, plat, dessert.\n");
    assert.equal(m.location, 'Le Petit Zinc\n11 Rue Saint-Benoît, 75006 Paris, France');
  });

  test('all-day, floating, two zones, odd offsets, a zone only the calendar defines', () => {
    const bday = parse('all-day-and-birthday.ics').master!;
    assert.ok(bday.isAllDay && bday.start.dateOnly, 'bday.isAllDay && bday.start.dateOnly');
    assert.equal(bday.freeBusy, 'Free');
    assert.equal(bday.reminderMinutes, 900);
    const yoga = parse('floating-wakeup.ics').master!;
    assert.equal(yoga.start.zone, undefined);
    assert.equal(yoga.start.utc.toISOString(), '2026-11-02T05:30:00.000Z', 'floating 06:30 read in Europe/Berlin');
    assert.equal(parseCalendarObject(read('floating-wakeup.ics'), { floatingZone: 'Asia/Tokyo' }).master!.start.utc.toISOString(), '2026-11-01T21:30:00.000Z');
    const flight = parse('flight-two-zones.ics').master!;
    assert.equal(flight.end.utc.getTime() - flight.start.utc.getTime(), 8 * 3_600_000);
    assert.deepEqual([flight.freeBusy, flight.sensitivity, flight.importance], ['OOF', 'Confidential', 'High']);
    assert.equal(parse('kathmandu-no-vtimezone.ics').master!.start.utc.toISOString(), '2026-12-04T04:30:00.000Z');
    assert.equal(parse('newfoundland-windows-tzid.ics').master!.start.utc.toISOString(), '2026-12-10T17:00:00.000Z');
    const notes = parse('custom-vtimezone.ics').master!;
    assert.equal(notes.start.tzid, 'Central Europe custom');
    assert.equal(notes.start.utc.toISOString(), '2026-12-15T14:00:00.000Z');
    const web = parse('utc-webinar.ics').master!;
    assert.equal(web.end.utc.toISOString(), '2026-12-09T18:30:00.000Z', 'DURATION becomes the end');
    assert.equal(web.attachments[0].uri, 'https://files.example.org/slides/caldav.pdf');
  });

  test('tasks: status, percent, dates, alarm, recurrence and regeneration', () => {
    const exp = parse('todo-simple-due.ics').task!;
    assert.deepEqual([exp.status, exp.percentComplete, exp.due?.local, exp.importance], ['NotStarted', 0, '2026-11-30', 'High']);
    const wiki = parse('todo-in-progress-alarm.ics').task!;
    assert.deepEqual(
      [wiki.status, wiki.percentComplete, wiki.start?.local, wiki.reminderAt?.toISOString()],
      ['InProgress', 40, '2026-11-02', '2026-11-19T08:00:00.000Z'],
    );
    const badges = parse('todo-completed.ics').task!;
    assert.deepEqual(
      [badges.status, badges.percentComplete, badges.completed?.toISOString(), badges.sensitivity],
      ['Completed', 100, '2026-10-20T14:30:00.000Z', 'Private'],
    );
    assert.deepEqual(parse('todo-recurring-weekly.ics').task!.recurrence?.pattern, { type: 'Weekly', interval: 1, daysOfWeek: ['Friday'] });
    assert.deepEqual(parse('todo-regenerating.ics').task!.recurrence?.pattern, { type: 'WeeklyRegeneration', interval: 6 });
  });
});

describe('broken input: precise errors, warnings for what can still be read', () => {
  const fails = (f: string, message: RegExp) =>
    assert.throws(
      () => parseCalendarObject(read(f)),
      (e: unknown) => e instanceof IcalError && message.test(e.message),
      f,
    );
  test('errors', () => {
    fails('broken-no-dtstart.ics', /"ewsgate-ics-broken-no-dtstart@example.test" has no DTSTART/);
    fails('broken-feb30.ics', /cannot recur: RRULE "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30" names no date that exists \(day 30 of February\)/);
    fails('broken-bad-rrule.ics', /RRULE "FREQ=FORTNIGHTLY;BYDAY=MO" is not valid: invalid frequency "FORTNIGHTLY"/);
    fails('broken-truncated.ics', /not iCalendar/);
    assert.throws(
      () => parseCalendarObject('BEGIN:VCARD\r\nVERSION:4.0\r\nEND:VCARD\r\n'),
      (e: unknown) => e instanceof IcalError && /starts with VCARD, not VCALENDAR/.test(e.message),
    );
    assert.throws(
      () => parseCalendarObject('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n'),
      (e: unknown) => e instanceof IcalError && /neither a VEVENT nor a VTODO/.test(e.message),
    );
  });
  test('readable with warnings: an unknown zone is floating, an end before the start becomes the start', () => {
    const o = parseCalendarObject(read('broken-end-before-start.ics'));
    assert.equal(o.master!.start.zone, undefined);
    assert.deepEqual(o.master!.end.utc, o.master!.start.utc);
    assert.equal(o.warnings.length, 2);
    assert.match(o.warnings[0], /"Mars\/Olympus_Mons" is neither known nor defined/);
    assert.match(o.warnings[1], /ends \(2026-12-01T09:00:00\) before it starts \(2026-12-01T10:00:00\)/);
  });
});

describe('ids and names', () => {
  test('UID ⇄ GlobalObjectId for UIDs Outlook did not make (vCal-Uid), with and without an instance date', () => {
    const uid = 'ewsgate-ics-long-standup@example.test';
    const clean = cleanGlobalObjectIdFromUid(uid);
    assert.equal(clean.subarray(0, 16).toString('hex').toUpperCase(), '040000008200E00074C5B7101A82E008');
    assert.equal(clean.subarray(40, 52).toString('latin1'), 'vCal-Uid\u0001\u0000\u0000\u0000');
    assert.equal(uidFromGlobalObjectId(clean), uid);
    const inst = globalObjectIdFromUid(uid, { year: 2026, month: 3, day: 10 });
    assert.deepEqual([inst.readUInt16BE(16), inst[18], inst[19]], [2026, 3, 10]);
    assert.equal(uidFromGlobalObjectId(inst), uid);
    assert.throws(() => uidFromGlobalObjectId(Buffer.from('not a goid')), RangeError);
  });
  test("DavMail's urlcompname ⇄ resource names", () => {
    assert.equal(urlCompNameOfHref('/alice%40example.test/calendar/abc-123.ics'), 'abc-123.EML');
    assert.equal(resourceNameFromUrlCompName('abc-123.EML'), 'abc-123.ics');
    assert.throws(() => resourceNameFromUrlCompName('../x.EML'), RangeError);
    assert.equal(resourceNameForUid('plain-uid@example.test'), 'plain-uid@example.test.ics');
    assert.match(resourceNameForUid('uid with spaces/and slashes'), /^[0-9a-f]+\.ics$/);
  });
  test('calDateTime validates', () => {
    assert.throws(() => calDateTime('2026-02-30T10:00:00', 'UTC'), RangeError);
    assert.equal(calDateTime('2026-02-28T10:00', 'Europe/Berlin').utc.toISOString(), '2026-02-28T09:00:00.000Z');
  });
});
