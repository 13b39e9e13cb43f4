// CalDAV through DavMail: Debian's python3-caldav (davmail_caldav.py) talks to
// DavMail's CalDAV port, DavMail speaks EWS to an in-process ewsgate, ewsgate
// stores in Radicale. Every write made through DavMail is checked against
// Radicale directly (python3-caldav straight to Radicale), and what is put in
// Radicale directly is checked through DavMail. DavMail lists calendar items
// with FindItem (PidLidRecurring / instancetype restriction), reads each with
// GetItem IncludeMimeContent (the iCalendar text), creates them with
// CreateItem MimeContent, updates them with UpdateItem field updates
// (caldavAutoSchedule, its default) and deletes them with DeleteItem; free/busy
// is GetUserAvailability behind its schedule-outbox POST.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestUser } from '../../harness/backends.js';
import { seedUser } from '../../harness/seed.js';
import { VTIMEZONE_BERLIN as BERLIN } from '../../harness/ics.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { startDavmail, startEwsRecorder, type Davmail, type EwsRecorder } from './harness.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'davmail_caldav.py');

let tg: TestGateway;
let user: TestUser;
let dm: Davmail;
let rec: EwsRecorder;
let radicaleCal: string; // the user's calendar on Radicale
let davmailCal: string; // the same calendar as DavMail serves it

interface When {
  utc?: string;
  date?: string;
  floating?: string;
}
interface VEvent {
  uid: string;
  summary: string;
  location: string | null;
  description: string | null;
  dtstart: When | null;
  dtend: When | null;
  recurrenceId: When | null;
  rrule: Record<string, string[]> | null;
  exdates: string[];
}
interface Listed {
  url: string;
  uid: string;
  vevents: VEvent[];
}

before(async () => {
  tg = await startTestGateway({ smtp: process.env.EWSGATE_TEST_SMTP_URL ?? '' });
  user = await tg.backends.addUser();
  const seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
  radicaleCal = seeded.dav!.calendarUrl;
  rec = await startEwsRecorder(tg.gateway.url, { keepBodies: true });
  dm = await startDavmail({ ewsUrl: `${rec.url}/EWS/Exchange.asmx` });
  davmailCal = `http://127.0.0.1:${dm.caldavPort}/users/${user.email}/calendar/`;
});

after(async () => {
  // EWSGATE_DAVMAIL_RECORD=FILE: every EWS exchange DavMail made, as JSON (to turn into fixtures)
  if (process.env.EWSGATE_DAVMAIL_RECORD && rec) fs.writeFileSync(process.env.EWSGATE_DAVMAIL_RECORD, JSON.stringify(rec.exchanges, null, 1));
  await dm?.stop();
  await rec?.close();
  await tg?.close();
});

/** On failure: what DavMail and the gateway said last. */
function context(): string {
  return `\n--- the last EWS exchanges DavMail made ---\n${rec.dump(6)}\n--- DavMail's log ---\n${dm.logTail(40)}`;
}

/** davmail_caldav.py against DavMail or Radicale; stdin for put/update. */
function py<T>(side: 'davmail' | 'radicale', cmd: string, args: string[], stdin?: string, password = user.password): Promise<T> {
  const url = side === 'davmail' ? `http://127.0.0.1:${dm.caldavPort}/` : tg.backends.davUrl;
  return new Promise((resolve, reject) => {
    // Debian's interpreter, not a pyenv python3 on PATH: python3-caldav lives there.
    const child = execFile(
      '/usr/bin/python3',
      [SCRIPT, cmd, url, user.email, password, ...args],
      { timeout: 120_000, env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' }, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`davmail_caldav.py ${cmd} (${side}) failed: ${err.message}\n${stderr}${side === 'davmail' ? context() : ''}`));
          return;
        }
        resolve(JSON.parse(stdout) as T);
      },
    );
    child.stdin!.end(stdin ?? '');
  });
}

const list = (side: 'davmail' | 'radicale') => py<Listed[]>(side, 'list', [side === 'davmail' ? davmailCal : radicaleCal]);

async function byUid(side: 'davmail' | 'radicale', uid: string): Promise<Listed | undefined> {
  return (await list(side)).find((l) => l.uid === uid);
}

/** The master VEVENT (no RECURRENCE-ID) and the overrides, overrides sorted by RECURRENCE-ID. */
function split(l: Listed): { master: VEvent; overrides: VEvent[] } {
  const master = l.vevents.find((v) => !v.recurrenceId);
  assert.ok(master, `no master VEVENT in ${JSON.stringify(l)}`);
  const overrides = l.vevents.filter((v) => v.recurrenceId).sort((a, b) => (a.recurrenceId!.utc ?? '').localeCompare(b.recurrenceId!.utc ?? ''));
  return { master, overrides };
}

/** What both sides must agree on for one event. */
function essence(l: Listed) {
  const { master, overrides } = split(l);
  const one = (v: VEvent) => ({
    summary: v.summary,
    location: v.location ?? null,
    start: v.dtstart?.utc ?? v.dtstart?.date,
    end: v.dtend?.utc ?? v.dtend?.date,
    recurrenceId: v.recurrenceId?.utc ?? v.recurrenceId?.date ?? null,
  });
  return {
    uid: l.uid,
    master: { ...one(master), freq: master.rrule?.FREQ ?? null, exdates: master.exdates },
    overrides: overrides.map(one),
  };
}

/** deepEqual whose failure shows the difference and then what DavMail and the gateway said. */
function same(actual: unknown, expected: unknown, what: string): void {
  try {
    assert.deepEqual(actual, expected);
  } catch (e) {
    (e as Error).message = `${what}: ${(e as Error).message}${context()}`;
    throw e;
  }
}

function ical(lines: string[]): string {
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//ewsgate tests//davmail caldav//EN', ...lines, 'END:VCALENDAR', ''].join('\r\n');
}


describe('CalDAV through DavMail → ewsgate → Radicale', () => {
  test('the principal lists the calendar', async () => {
    const cals = await py<{ name: string; url: string }[]>('davmail', 'calendars', []);
    assert.ok(
      cals.some((c) => decodeURIComponent(new URL(c.url).pathname) === `/users/${user.email}/calendar/`),
      `DavMail's calendars: ${JSON.stringify(cals)}${context()}`,
    );
  });

  test('events put in Radicale directly are read through DavMail as Radicale holds them', async () => {
    const [viaDavmail, direct] = await Promise.all([list('davmail'), list('radicale')]);
    assert.ok(direct.length >= 3, 'the seed puts three events in Radicale');
    const norm = (ls: Listed[]) => ls.map(essence).sort((a, b) => a.uid.localeCompare(b.uid));
    same(norm(viaDavmail), norm(direct), 'DavMail vs Radicale');
    // the seeded series keeps its moved occurrence and its EXDATE through EWS
    const standup = essence(viaDavmail.find((l) => l.uid === 'ewsgate-fixture-weekly-standup@example.test')!);
    assert.equal(standup.master.freq?.[0], 'WEEKLY');
    assert.deepEqual(standup.master.exdates, ['2026-12-21T08:30:00Z']);
    assert.deepEqual(
      standup.overrides.map((o) => [o.recurrenceId, o.start]),
      [['2026-11-16T08:30:00Z', '2026-11-16T10:00:00Z']],
    );
  });

  test('create, update and delete through DavMail land in Radicale', async () => {
    const uid = `davmail-single-${Date.now()}@example.test`;
    const event = (summary: string, location: string, start: string, end: string) =>
      ical([
        ...BERLIN,
        'BEGIN:VEVENT',
        `UID:${uid}`,
        'DTSTAMP:20261101T080000Z',
        `DTSTART;TZID=Europe/Berlin:${start}`,
        `DTEND;TZID=Europe/Berlin:${end}`,
        `SUMMARY:${summary}`,
        `LOCATION:${location}`,
        'END:VEVENT',
      ]);
    await py('davmail', 'put', [davmailCal], event('Planning (via DavMail)', 'Room 1', '20261208T140000', '20261208T150000'));
    const created = await byUid('radicale', uid);
    assert.ok(created, `the event DavMail created is not in Radicale${context()}`);
    same(
      essence(created),
      {
        uid,
        master: {
          summary: 'Planning (via DavMail)',
          location: 'Room 1',
          start: '2026-12-08T13:00:00Z',
          end: '2026-12-08T14:00:00Z',
          recurrenceId: null,
          freq: null,
          exdates: [],
        },
        overrides: [],
      },
      'created',
    );
    // DavMail reads it back as Radicale holds it
    same(essence((await byUid('davmail', uid))!), essence(created), 'read back through DavMail');

    // a conditional PUT: DavMail compares If-Match with PR_LAST_MODIFICATION_TIME (its ETag) before UpdateItem
    const put = await py<{ status: number; ifMatch: string | null }>(
      'davmail',
      'update',
      [davmailCal, uid],
      event('Planning, moved (via DavMail)', 'Room 2', '20261209T100000', '20261209T113000'),
    );
    assert.ok(put.ifMatch, 'DavMail gives the event an ETag');
    const updated = await byUid('radicale', uid);
    assert.ok(updated, `the updated event is gone from Radicale${context()}`);
    same(
      essence(updated).master,
      {
        summary: 'Planning, moved (via DavMail)',
        location: 'Room 2',
        start: '2026-12-09T09:00:00Z',
        end: '2026-12-09T10:30:00Z',
        recurrenceId: null,
        freq: null,
        exdates: [],
      },
      'updated',
    );
    assert.equal((await list('radicale')).filter((l) => l.uid === uid).length, 1, 'an update must not leave a second copy');

    await py('davmail', 'delete', [davmailCal, uid]);
    assert.equal(await byUid('radicale', uid), undefined, `the event DavMail deleted is still in Radicale${context()}`);
    assert.equal(await byUid('davmail', uid), undefined);
  });

  test('a series with a moved occurrence (RECURRENCE-ID) and an EXDATE, created through DavMail', async () => {
    const uid = `davmail-series-${Date.now()}@example.test`;
    const series = (exdates: string[], moved: { summary: string; start: string; end: string }) =>
      ical([
        ...BERLIN,
        'BEGIN:VEVENT',
        `UID:${uid}`,
        'DTSTAMP:20261101T080000Z',
        'DTSTART;TZID=Europe/Berlin:20261105T160000',
        'DTEND;TZID=Europe/Berlin:20261105T163000',
        'RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=6',
        `EXDATE;TZID=Europe/Berlin:${exdates.join(',')}`,
        'SUMMARY:Review (series via DavMail)',
        'END:VEVENT',
        'BEGIN:VEVENT',
        `UID:${uid}`,
        'DTSTAMP:20261101T080000Z',
        'RECURRENCE-ID;TZID=Europe/Berlin:20261126T160000',
        `DTSTART;TZID=Europe/Berlin:${moved.start}`,
        `DTEND;TZID=Europe/Berlin:${moved.end}`,
        `SUMMARY:${moved.summary}`,
        'END:VEVENT',
      ]);
    await py(
      'davmail',
      'put',
      [davmailCal],
      series(['20261119T160000'], { summary: 'Review (moved to 17:00)', start: '20261126T170000', end: '20261126T173000' }),
    );
    const stored = await byUid('radicale', uid);
    assert.ok(stored, `the series DavMail created is not in Radicale${context()}`);
    const want = {
      uid,
      master: {
        summary: 'Review (series via DavMail)',
        location: null,
        start: '2026-11-05T15:00:00Z',
        end: '2026-11-05T15:30:00Z',
        recurrenceId: null,
        freq: ['WEEKLY'],
        exdates: ['2026-11-19T15:00:00Z'],
      },
      overrides: [
        {
          summary: 'Review (moved to 17:00)',
          location: null,
          start: '2026-11-26T16:00:00Z',
          end: '2026-11-26T16:30:00Z',
          recurrenceId: '2026-11-26T15:00:00Z',
        },
      ],
    };
    same(essence(stored), want, 'in Radicale');
    same(essence((await byUid('davmail', uid))!), want, 'through DavMail');

    // an update of the series moving the moved occurrence again: DavMail updates the master by fields
    // (resending its pattern, COUNT as NoEnd) and the override through OccurrenceItemId
    // (RecurringMasterId + InstanceIndex) after GetItem of calendar:OriginalStart; the EXDATE stays
    await py(
      'davmail',
      'update',
      [davmailCal, uid],
      series(['20261119T160000'], { summary: 'Review (moved to 18:00)', start: '20261126T180000', end: '20261126T183000' }),
    );
    const changed = {
      ...want,
      overrides: [{ ...want.overrides[0]!, summary: 'Review (moved to 18:00)', start: '2026-11-26T17:00:00Z', end: '2026-11-26T17:30:00Z' }],
    };
    same(essence((await byUid('radicale', uid))!), changed, 'in Radicale after the update');
    same(essence((await byUid('davmail', uid))!), changed, 'through DavMail after the update');
  });

  test('an all-day event created through DavMail stays all-day (DATE values) in Radicale', async () => {
    const uid = `davmail-allday-${Date.now()}@example.test`;
    await py(
      'davmail',
      'put',
      [davmailCal],
      ical([
        'BEGIN:VEVENT',
        `UID:${uid}`,
        'DTSTAMP:20261101T080000Z',
        'DTSTART;VALUE=DATE:20261224',
        'DTEND;VALUE=DATE:20261227',
        'SUMMARY:Holidays (via DavMail)',
        'END:VEVENT',
      ]),
    );
    const stored = await byUid('radicale', uid);
    assert.ok(stored, `the all-day event is not in Radicale${context()}`);
    const want = { summary: 'Holidays (via DavMail)', location: null, start: '2026-12-24', end: '2026-12-27', recurrenceId: null, freq: null, exdates: [] };
    same(essence(stored).master, want, 'in Radicale');
    same(essence((await byUid('davmail', uid))!).master, want, 'through DavMail');
  });

  test('an EXDATE added to a series through DavMail deletes that occurrence in Radicale', async () => {
    const uid = `davmail-exdate-${Date.now()}@example.test`;
    const series = (extra: string[]) =>
      ical([
        ...BERLIN,
        'BEGIN:VEVENT',
        `UID:${uid}`,
        'DTSTAMP:20261101T080000Z',
        'DTSTART;TZID=Europe/Berlin:20261102T120000',
        'DTEND;TZID=Europe/Berlin:20261102T123000',
        'RRULE:FREQ=DAILY;INTERVAL=1',
        ...extra,
        'SUMMARY:Lunch (series via DavMail)',
        'END:VEVENT',
      ]);
    await py('davmail', 'put', [davmailCal], series([]));
    // In UTC: DavMail 6.0.1 compares an EXDATE's digits with calendar:OriginalStart (UTC) and ignores
    // its TZID (EwsExchangeSession.handleExcludedDates), and stops at the first deleted occurrence.
    await py('davmail', 'update', [davmailCal, uid], series(['EXDATE:20261104T110000Z']));
    const stored = await byUid('radicale', uid);
    assert.ok(stored, `the series is gone from Radicale${context()}`);
    same(split(stored).master.exdates, ['2026-11-04T11:00:00Z'], 'the EXDATE in Radicale');
    same(split((await byUid('davmail', uid))!).master.exdates, ['2026-11-04T11:00:00Z'], 'the EXDATE through DavMail');
  });

  test("a wrong password at DavMail's CalDAV port is a 401, and nothing is written", async () => {
    const uid = `davmail-badpass-${Date.now()}@example.test`;
    const body = ical([
      'BEGIN:VEVENT',
      `UID:${uid}`,
      'DTSTAMP:20261101T080000Z',
      'DTSTART:20261210T100000Z',
      'DTEND:20261210T110000Z',
      'SUMMARY:x',
      'END:VEVENT',
    ]);
    await assert.rejects(py('davmail', 'put', [davmailCal], body, `${user.password}-wrong`), /AuthorizationError|401/);
    assert.equal(await byUid('radicale', uid), undefined);
  });

  test('free/busy through DavMail (GetUserAvailability) shows the busy time Radicale holds', async () => {
    const r = await py<{ status: number; body: string }>('davmail', 'freebusy', ['2026-12-03T00:00:00Z', '2026-12-04T00:00:00Z', user.email]);
    assert.equal(r.status, 200, r.body + context());
    // the seeded budget review, 10:00–11:30 Berlin on 3 December
    const busy = [...r.body.replace(/\r?\n[ \t]/g, '').matchAll(/^FREEBUSY[^:]*:(.*)$/gm)].flatMap((m) => m[1]!.trim().split(','));
    assert.ok(
      busy.some((p) => p.startsWith('20261203T090000Z/')),
      `no busy period at 09:00Z on 3 December in DavMail's answer:\n${r.body}${context()}`,
    );
  });
});
