// The collection mirror (adapters/dav/collection-mirror.ts) under the CalDAV adapter, against the harness's real
// Radicale: what another CalDAV client writes, changes and deletes between two
// reads is seen by the second; a warm read sends the server a sync-collection and
// a multiget of what changed, never a calendar-query; a wrong password or a
// deleted calendar fails instead of answering from the copy; a forgotten token
// and an over-budget calendar fall back to reading the server.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { recordDavRequests } from '../support/dav-requests.js';
import { backendsFromEnv, type TestUser } from '../harness/backends.js';
import { CalDavCalendarStore } from '../../adapters/caldav/caldav-store.js';
import { CollectionMirror } from '../../adapters/dav/collection-mirror.js';
import { BackendAuthError, CalendarMissingError, InvalidSyncTokenError, isDavObject, type DavObjectResult } from '../../src/ports/calendar-store.js';

const b = backendsFromEnv();

function ics(uid: string, summary: string, component: 'VEVENT' | 'VTODO' = 'VEVENT'): string {
  const times = component === 'VEVENT' ? ['DTSTART:20261201T100000Z', 'DTEND:20261201T110000Z'] : ['DUE:20261201T100000Z'];
  return ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//ewsgate tests//EN', `BEGIN:${component}`, `UID:${uid}`, 'DTSTAMP:20261101T000000Z', ...times, `SUMMARY:${summary}`, `END:${component}`, 'END:VCALENDAR', ''].join('\r\n');
}

const { sent } = recordDavRequests();

const summaries = (rs: DavObjectResult[]) => rs.filter(isDavObject).map((r) => /SUMMARY:([^\r\n]*)/.exec(r.data)?.[1]).sort();

describe('calendar mirror', () => {
  let user: TestUser;
  let mirror: CollectionMirror;
  let store: CalDavCalendarStore;
  let cal: string;
  /** Another CalDAV client: the same user's store without a mirror. */
  let other: CalDavCalendarStore;

  before(async () => {
    user = await b.addUser();
    mirror = new CollectionMirror(8 * 1024 * 1024);
    store = new CalDavCalendarStore({ baseUrl: b.davUrl, username: user.email, password: user.password, mirror });
    other = new CalDavCalendarStore({ baseUrl: b.davUrl, username: user.email, password: user.password });
    cal = (await other.createCalendar({ displayName: 'Mirrored', components: ['VEVENT', 'VTODO'] })).href;
    await other.createObject(cal, 'a.ics', ics('a@mirror', 'A'));
    await other.createObject(cal, 'b.ics', ics('b@mirror', 'B'));
    await other.createObject(cal, 't.ics', ics('t@mirror', 'T', 'VTODO'));
  });

  test('reads the collection, then follows what another client changes', async () => {
    assert.deepEqual(summaries(await store.queryObjects(cal, { component: 'VEVENT' })), ['A', 'B']);
    assert.deepEqual(summaries(await store.queryObjects(cal, { component: 'VTODO' })), ['T'], 'components are told apart in the copy');
    assert.equal(mirror.size.collections, 1);

    const c = await other.createObject(cal, 'c.ics', ics('c@mirror', 'C'));
    const [bRef] = (await other.listObjects(cal)).filter((r) => r.href.endsWith('/b.ics'));
    await other.updateObject(bRef!.href, ics('b@mirror', 'B changed'), bRef!.etag);
    await other.deleteObject(`${cal}a.ics`);
    sent.length = 0;
    const range = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z') };
    const seen = await store.queryObjects(cal, { component: 'VEVENT', range });
    assert.deepEqual(summaries(seen), ['B changed', 'C']);
    assert.ok(seen.some((r) => isDavObject(r) && r.etag === c.etag), 'the new object carries its ETag');
    assert.deepEqual(sent, ['sync-collection', 'calendar-multiget'], 'a warm read asks for the changes only');

    sent.length = 0;
    assert.deepEqual(summaries(await store.queryObjects(cal, { component: 'VEVENT', range })), ['B changed', 'C']);
    assert.deepEqual(sent, ['sync-collection'], 'nothing changed: one sync-collection');
  });

  test('concurrent reads while another client writes: each answer is whole, and the copy ends current', async () => {
    const writes = [0, 1, 2, 3, 4].map((i) => other.createObject(cal, `w${i}.ics`, ics(`w${i}@mirror`, `W${i}`)));
    const reads = [0, 1, 2, 3, 4, 5].map(() => store.queryObjects(cal, { component: 'VEVENT' }));
    const answers = await Promise.all(reads);
    await Promise.all(writes);
    for (const a of answers) {
      const s = summaries(a);
      assert.ok(s.includes('B changed') && s.includes('C'), `every answer holds what was there before: ${s.join(', ')}`);
      assert.equal(new Set(a.map((r) => r.href)).size, a.length, 'no object twice');
    }
    assert.deepEqual(summaries(await store.queryObjects(cal, { component: 'VEVENT' })), ['B changed', 'C', 'W0', 'W1', 'W2', 'W3', 'W4']);
    for (let i = 0; i < 5; i++) await other.deleteObject(`${cal}w${i}.ics`);
    assert.deepEqual(summaries(await store.queryObjects(cal, { component: 'VEVENT' })), ['B changed', 'C']);
  });

  test('a wrong password fails with the server, never answered from the copy', async () => {
    await store.queryObjects(cal, { component: 'VEVENT' });
    const intruder = new CalDavCalendarStore({ baseUrl: b.davUrl, username: user.email, password: 'wrong', mirror });
    await assert.rejects(intruder.queryObjects(cal, { component: 'VEVENT' }), BackendAuthError);
  });

  test('another login never reads this login\'s copy', async () => {
    const stranger = await b.addUser();
    const theirs = new CalDavCalendarStore({ baseUrl: b.davUrl, username: stranger.email, password: stranger.password, mirror });
    await assert.rejects(theirs.queryObjects(cal, { component: 'VEVENT' }), (e: Error) => !(e instanceof BackendAuthError) && /403|refused|not/i.test(e.message));
  });

  test('a token the server no longer knows reloads the whole collection', async () => {
    const forgetful = new CollectionMirror(8 * 1024 * 1024);
    let forge = false;
    const source = {
      sync: (token?: string) => other.syncCollection(cal, forge && token ? 'sync:http://radicale.org/ns/sync/0000000000000000000000000000000000000000000000000000000000000000' : token),
      isStaleToken: (e: unknown) => e instanceof InvalidSyncTokenError,
      readAll: () => other.queryObjects(cal, { component: 'VEVENT' }),
      read: (hrefs: string[]) => other.multiGet(cal, hrefs),
    };
    assert.deepEqual(summaries((await forgetful.objects('k', source))!), ['B changed', 'C']);
    forge = true;
    await other.createObject(cal, 'd.ics', ics('d@mirror', 'D'));
    sent.length = 0;
    assert.deepEqual(summaries((await forgetful.objects('k', source))!), ['B changed', 'C', 'D']);
    assert.ok(sent.includes('calendar-query'), `read again from scratch: ${sent.join(', ')}`);
    assert.equal(forgetful.size.collections, 1);
  });

  test('a calendar larger than its share of the budget is read from the server each time', async () => {
    const small = new CollectionMirror(1024);
    const s = new CalDavCalendarStore({ baseUrl: b.davUrl, username: user.email, password: user.password, mirror: small });
    assert.deepEqual(summaries(await s.queryObjects(cal, { component: 'VEVENT' })), ['B changed', 'C', 'D']);
    assert.equal(small.size.collections, 0);
    sent.length = 0;
    assert.deepEqual(summaries(await s.queryObjects(cal, { component: 'VEVENT' })), ['B changed', 'C', 'D']);
    assert.ok(sent.includes('calendar-query'));
  });

  test('a deleted calendar is missing, and its copy is dropped', async () => {
    await store.queryObjects(cal, { component: 'VEVENT' });
    await other.deleteCalendar(cal);
    await assert.rejects(store.queryObjects(cal, { component: 'VEVENT' }), CalendarMissingError);
    assert.equal(mirror.size.collections, 0);
  });
});
