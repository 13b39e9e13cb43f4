// The CalDAV adapter against the harness's real Radicale: discovery, calendars
// (MKCALENDAR / PROPPATCH / DELETE), object CRUD with ETags, sync-collection
// tokens and the ETag-snapshot fallback, server-side time-range queries, a
// broken stored object that must not hide the others, and a server that is down.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { backendsFromEnv, freePort, type TestUser } from '../harness/backends.js';
import { seedUser, type SeedResult } from '../harness/seed.js';
import { CalDavCalendarStore } from '../../adapters/caldav/caldav-store.js';
import { encodeSnapshot } from '../../adapters/caldav/snapshot.js';
import {
  BackendAuthError,
  BackendUnavailableError,
  CalendarMissingError,
  ConflictError,
  InvalidSyncTokenError,
  ObjectMissingError,
  ObjectRejectedError,
  isDavObject,
} from '../../src/ports/calendar-store.js';
import { parseCalendarObject } from '../../src/convert/ical.js';

const b = backendsFromEnv();
/** Radicale spells "@" as %40 in hrefs; the seed's URLs do not. */
const norm = (href: string) => decodeURIComponent(href);

function store(u: TestUser, extra: Partial<ConstructorParameters<typeof CalDavCalendarStore>[0]> = {}): CalDavCalendarStore {
  return new CalDavCalendarStore({ baseUrl: b.davUrl, username: u.email, password: u.password, ...extra });
}

function ics(uid: string, summary: string, start = '20261201T100000Z', end = '20261201T110000Z', extra: string[] = []): string {
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//ewsgate tests//EN',
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20261101T000000Z',
    `DTSTART:${start}`,
    `DTEND:${end}`,
    `SUMMARY:${summary}`,
    'X-EWSGATE-TEST-KEEP:yes',
    ...extra,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

let user: TestUser;
let seeded: SeedResult;
let calHref: string;

before(async () => {
  user = await b.addUser();
  seeded = await seedUser(b, user, { mail: false, dav: true });
  calHref = new URL(seeded.dav!.calendarUrl).pathname;
});

describe('discovery and calendars', () => {
  test('the seeded calendar is listed with its properties', async () => {
    const s = store(user);
    const home = await s.home();
    assert.equal(decodeURIComponent(home), `/${user.email}/`);
    const cals = await s.listCalendars();
    assert.equal(cals.length, 1, JSON.stringify(cals));
    const cal = cals[0];
    assert.equal(norm(cal.href), norm(calHref));
    assert.equal(cal.displayName, 'Calendar');
    assert.equal(cal.description, 'Default calendar (ewsgate test seed)');
    assert.deepEqual(cal.components, ['VEVENT', 'VTODO']);
    assert.equal(cal.color, '#0078D4FF');
    assert.ok(cal.syncToken, 'Radicale has sync tokens');
    assert.ok(cal.ctag, 'Radicale has a ctag');
    assert.equal(cal.writable, true);
  });

  test('create, rename and delete a calendar; a taken name is a conflict', async () => {
    const u = await b.addUser();
    await seedUser(b, u, { mail: false, dav: true });
    const s = store(u);
    const made = await s.createCalendar({ displayName: 'Équipe Tâches', components: ['VTODO'], color: '#FF8800FF', description: 'team tasks' });
    assert.equal(made.displayName, 'Équipe Tâches');
    assert.deepEqual(made.components, ['VTODO']);
    assert.equal(made.color, '#FF8800FF');
    assert.ok(
      (await s.listCalendars()).some((c) => c.href === made.href),
      'the new calendar is listed',
    );
    await s.updateCalendar(made.href, { displayName: 'Renamed', color: '#112233FF' });
    const renamed = await s.getCalendar(made.href);
    assert.equal(renamed.displayName, 'Renamed');
    assert.equal(renamed.color, '#112233FF');
    assert.equal(renamed.href, made.href, 'a rename keeps the href (the FolderId stays valid)');
    await assert.rejects(
      s.createCalendar({ name: decodeURIComponent(made.href.split('/').filter(Boolean).pop()!), displayName: 'Again', components: ['VEVENT'] }),
      ConflictError,
    );
    await s.deleteCalendar(made.href);
    await assert.rejects(s.getCalendar(made.href), CalendarMissingError);
    await assert.rejects(s.deleteCalendar(made.href), CalendarMissingError);
    assert.equal((await s.listCalendars()).length, 1);
  });
});

describe('objects', () => {
  test('create, read, update with the current ETag, delete', async () => {
    const s = store(user);
    const ref = await s.createObject(calHref, 'crud-1.ics', ics('crud-1@test', 'First'));
    assert.match(ref.etag, /^"/);
    assert.equal(norm(ref.href), norm(`${calHref}crud-1.ics`));
    const got = await s.getObject(ref.href);
    assert.equal(got.etag, ref.etag);
    assert.equal(parseCalendarObject(got.data).master!.subject, 'First');
    const upd = await s.updateObject(ref.href, ics('crud-1@test', 'Second'), ref.etag);
    assert.notEqual(upd.etag, ref.etag);
    assert.equal(parseCalendarObject((await s.getObject(ref.href)).data).master!.subject, 'Second');
    await s.deleteObject(ref.href, upd.etag);
    await assert.rejects(s.getObject(ref.href), ObjectMissingError);
  });

  test('a stale ETag is a precise conflict carrying the current ETag; a deleted object is missing', async () => {
    const s = store(user);
    const ref = await s.createObject(calHref, 'stale.ics', ics('stale@test', 'v1'));
    const v2 = await s.updateObject(ref.href, ics('stale@test', 'v2'), ref.etag);
    await assert.rejects(s.updateObject(ref.href, ics('stale@test', 'v3'), ref.etag), (e: unknown) => {
      assert.ok(e instanceof ConflictError, String(e));
      assert.equal(e.kind, 'changed');
      assert.equal(e.currentEtag, v2.etag);
      return true;
    });
    await assert.rejects(s.deleteObject(ref.href, ref.etag), (e: unknown) => e instanceof ConflictError && e.kind === 'changed');
    await assert.rejects(s.createObject(calHref, 'stale.ics', ics('stale-other@test', 'x')), (e: unknown) => e instanceof ConflictError && e.kind === 'exists');
    // deleted by "another client" between our read and our write
    await s.deleteObject(ref.href);
    await assert.rejects(s.updateObject(ref.href, ics('stale@test', 'v4'), v2.etag), ObjectMissingError);
    await assert.rejects(s.deleteObject(ref.href), ObjectMissingError);
  });

  test('the server refusing data is ObjectRejectedError with its reason', async () => {
    const s = store(user);
    await assert.rejects(
      s.createObject(calHref, 'garbage.ics', 'this is not iCalendar'),
      (e: unknown) => e instanceof ObjectRejectedError && e.status >= 400 && e.status < 500,
    );
    // a second resource with an existing UID
    await s.createObject(calHref, 'uid-a.ics', ics('same-uid@test', 'a'));
    await assert.rejects(
      s.createObject(calHref, 'uid-b.ics', ics('same-uid@test', 'b')),
      (e: unknown) => e instanceof ObjectRejectedError || e instanceof ConflictError,
    );
  });

  test('multiget answers in request order with 404 entries for what is not there', async () => {
    const s = store(user);
    const hrefs = seeded.dav!.events.map((u) => new URL(u).pathname);
    const res = await s.multiGet(calHref, [hrefs[1], `${calHref}nope.ics`, hrefs[0]]);
    assert.equal(res.length, 3);
    assert.ok(isDavObject(res[0]) && norm(res[0].href) === norm(hrefs[1]), JSON.stringify(res[0]).slice(0, 200));
    assert.ok(!isDavObject(res[1]) && res[1].status === 404, JSON.stringify(res[1]));
    assert.ok(isDavObject(res[2]) && norm(res[2].href) === norm(hrefs[0]), JSON.stringify(res[2]).slice(0, 200));
  });

  test('listObjects lists every resource with its ETag', async () => {
    const refs = await store(user).listObjects(calHref);
    for (const e of seeded.dav!.events)
      assert.ok(
        refs.some((r) => norm(r.href) === norm(new URL(e).pathname) && r.etag.startsWith('"')),
        `${e} in ${JSON.stringify(refs)}`,
      );
  });
});

describe('time-range queries (server-side, for CalendarView)', () => {
  test('December 2026 holds the single event, the recurring stand-up and the all-day offsite', async () => {
    const u = await b.addUser();
    const seed = await seedUser(b, u, { mail: false, dav: true });
    const s = store(u);
    const href = new URL(seed.dav!.calendarUrl).pathname;
    const dec = await s.queryObjects(href, { component: 'VEVENT', range: { start: new Date('2026-12-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') } });
    const uids = dec
      .filter(isDavObject)
      .map((o) => parseCalendarObject(o.data).uid)
      .sort();
    assert.deepEqual(uids, [
      'ewsgate-fixture-all-day-offsite@example.test',
      'ewsgate-fixture-single-budget-review@example.test',
      'ewsgate-fixture-weekly-standup@example.test',
    ]);
    // a range only the recurrence reaches (its 10th instance, 2027-01-04)
    const jan = await s.queryObjects(href, { component: 'VEVENT', range: { start: new Date('2027-01-04T00:00:00Z'), end: new Date('2027-01-05T00:00:00Z') } });
    assert.deepEqual(
      jan.filter(isDavObject).map((o) => parseCalendarObject(o.data).uid),
      ['ewsgate-fixture-weekly-standup@example.test'],
    );
    const none = await s.queryObjects(href, { component: 'VEVENT', range: { start: new Date('2025-01-01T00:00:00Z'), end: new Date('2025-02-01T00:00:00Z') } });
    assert.equal(none.length, 0);
    const todos = await s.queryObjects(href, { component: 'VTODO' });
    assert.equal(todos.length, 0);
  });

  test('an object the server keeps but that is not valid iCalendar does not hide the others', async () => {
    const u = await b.addUser();
    const seed = await seedUser(b, u, { mail: false, dav: true });
    const s = store(u);
    const href = new URL(seed.dav!.calendarUrl).pathname;
    // Radicale accepts day 32 of a month in an RRULE on PUT; the converter refuses it with a precise error.
    await s.createObject(href, 'day32.ics', ics('day32@test', 'broken', '20261210T100000Z', '20261210T110000Z', ['RRULE:FREQ=MONTHLY;BYMONTHDAY=32']));
    // (no time range: Radicale's own filter cannot place this series and would leave it out)
    const all = await s.queryObjects(href, { component: 'VEVENT' });
    const good: string[] = [];
    const bad: string[] = [];
    for (const r of all) {
      assert.ok(isDavObject(r), `every object comes back with data: ${JSON.stringify(r)}`);
      try {
        good.push(parseCalendarObject(r.data).uid);
      } catch (e) {
        bad.push(`${norm(r.href)}: ${(e as Error).message}`);
      }
    }
    assert.deepEqual(good.sort(), [
      'ewsgate-fixture-all-day-offsite@example.test',
      'ewsgate-fixture-single-budget-review@example.test',
      'ewsgate-fixture-weekly-standup@example.test',
    ]);
    assert.equal(bad.length, 1, bad.join('; '));
    assert.match(bad[0], /day32\.ics: RRULE "FREQ=MONTHLY;BYMONTHDAY=32" is not valid/);
  });

  test('a stored file Radicale itself cannot parse: a precise error, not a silent empty calendar', async () => {
    const u = await b.addUser();
    const seed = await seedUser(b, u, { mail: false, dav: true });
    const s = store(u);
    const href = new URL(seed.dav!.calendarUrl).pathname;
    // Radicale refuses such data on PUT; it gets there the way a restore or a sync tool would: on disk.
    const dir = path.join(b.dir, 'dav', 'collection-root', u.email, 'calendar');
    assert.ok(fs.existsSync(dir), `Radicale stores the calendar in ${dir}`);
    const owner = fs.statSync(dir);
    const file = path.join(dir, 'broken.ics');
    fs.writeFileSync(file, 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:broken@test\r\nDTSTART:2026-12-XX\r\nEND:VCALENDAR\r\n');
    fs.chownSync(file, owner.uid, owner.gid);
    // Radicale 3.1 parses every stored object for any listing, so no client can list around it.
    await assert.rejects(
      s.queryObjects(href, { component: 'VEVENT' }),
      (e: unknown) => e instanceof BackendUnavailableError && /cannot list .*Radicale/.test(e.message),
    );
    // Objects named directly still read (GET loads only that file).
    const one = await s.getObject(new URL(seed.dav!.events[1]).pathname);
    assert.equal(parseCalendarObject(one.data).uid, 'ewsgate-fixture-single-budget-review@example.test');
    await s.multiGet(href, [new URL(seed.dav!.events[0]).pathname]).then((r) => assert.ok(isDavObject(r[0]), 'multiget of a good object works'));
    fs.unlinkSync(file);
    assert.equal((await s.queryObjects(href, { component: 'VEVENT' })).length, 3);
  });
});

describe('sync', () => {
  test('sync-collection tokens: everything first, then exactly what changed', async () => {
    const u = await b.addUser();
    const seed = await seedUser(b, u, { mail: false, dav: true });
    const s = store(u);
    const href = new URL(seed.dav!.calendarUrl).pathname;
    assert.equal((await s.capabilities()).syncCollection, true);
    const first = await s.syncCollection(href);
    assert.equal(first.method, 'sync-collection');
    assert.equal(first.changed.length, seed.dav!.events.length);
    assert.deepEqual(first.deleted, []);
    const nothing = await s.syncCollection(href, first.token);
    assert.deepEqual([nothing.changed, nothing.deleted], [[], []]);

    const added = await s.createObject(href, 'sync-new.ics', ics('sync-new@test', 'new'));
    const target = seed.dav!.events.map((e) => new URL(e).pathname);
    const cur = await s.getObject(target[0]);
    const updated = await s.updateObject(target[0], cur.data.replace(/SUMMARY:[^\r\n]*/, 'SUMMARY:changed by sync test'), cur.etag);
    await s.deleteObject(target[1]);
    const next = await s.syncCollection(href, nothing.token);
    assert.deepEqual(next.changed.map((c) => norm(c.href)).sort(), [norm(added.href), norm(target[0])].sort());
    assert.equal(next.changed.find((c) => norm(c.href) === norm(target[0]))!.etag, updated.etag);
    assert.deepEqual(next.deleted.map(norm), [norm(target[1])]);
    await assert.rejects(s.syncCollection(href, 'sync:http://radicale.org/ns/sync/0000bogus'), InvalidSyncTokenError);
    await assert.rejects(s.syncCollection(href, 'garbage'), InvalidSyncTokenError);
  });

  test('the ETag-snapshot fallback finds the same changes', async () => {
    const u = await b.addUser();
    const seed = await seedUser(b, u, { mail: false, dav: true });
    const s = store(u);
    const href = new URL(seed.dav!.calendarUrl).pathname;
    const start = encodeSnapshot(await s.listObjects(href));
    const added = await s.createObject(href, 'snap-new.ics', ics('snap-new@test', 'new'));
    const gone = new URL(seed.dav!.events[2]).pathname;
    await s.deleteObject(gone);
    const res = await s.syncCollection(href, start);
    assert.equal(res.method, 'etag-snapshot');
    assert.deepEqual(
      res.changed.map((c) => norm(c.href)),
      [norm(added.href)],
    );
    assert.deepEqual(res.deleted.map(norm), [norm(gone)]);
    const again = await s.syncCollection(href, res.token);
    assert.deepEqual([again.changed, again.deleted], [[], []]);
    await assert.rejects(s.syncCollection(href, 'snap:AAAA'), InvalidSyncTokenError);
  });
});

describe('free/busy and failures', () => {
  test('Radicale 3.1 has no free-busy-query: freeBusy answers undefined (compute from events)', async () => {
    const s = store(user);
    assert.equal((await s.capabilities()).freeBusyQuery, false);
    assert.equal(await s.freeBusy(calHref, { start: new Date('2026-12-01T00:00:00Z'), end: new Date('2026-12-31T00:00:00Z') }), undefined);
  });

  test('a server that is down is BackendUnavailableError; a wrong password BackendAuthError; a missing calendar CalendarMissingError', async () => {
    const port = await freePort();
    const down = new CalDavCalendarStore({ baseUrl: `http://127.0.0.1:${port}/`, username: user.email, password: user.password, timeoutMs: 2000 });
    await assert.rejects(down.listCalendars(), (e: unknown) => e instanceof BackendUnavailableError && /cannot be reached/.test(e.message));
    await assert.rejects(down.getObject('/x/y.ics'), BackendUnavailableError);
    const wrong = new CalDavCalendarStore({ baseUrl: b.davUrl, username: user.email, password: 'wrong', homeUrl: `/${encodeURIComponent(user.email)}/` });
    await assert.rejects(wrong.listCalendars(), BackendAuthError);
    await assert.rejects(store(user).getCalendar(`/${encodeURIComponent(user.email)}/no-such-calendar/`), CalendarMissingError);
    await assert.rejects(store(user).queryObjects(`/${encodeURIComponent(user.email)}/no-such-calendar/`, { component: 'VEVENT' }), CalendarMissingError);
  });
});
