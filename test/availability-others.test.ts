// GetUserAvailability for other users' calendars through the gateway's read-only
// free/busy credential (the harness's Radicale lets its free/busy account read every
// user's collections; everyone else keeps owner-only access). B's calendar holds a
// busy, a tentative, a transparent, a private, an OOF and a cancelled event and a
// weekly series with a moved occurrence; a second calendar of B's holds only tasks.
// Radicale 3.1.8 has no free-busy-query, so the busy time is computed from the
// events. (A calendar marked transparent by RFC 6638 schedule-calendar-transp is left
// out too, but Radicale keeps only the text of dead properties, so it cannot hold one.)
// exchangelib's get_free_busy_info runs as test/clients/exchangelib_freebusy.py. Also: an unknown address, no credential
// configured, a wrong credential, CalDAV down, and the configuration's validation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendsFromEnv, freePort, type Backends, type TestUser } from './harness/backends.js';
import { all, ews, one, startTestGateway, text, M, type TestGateway } from './support/gateway.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { calendarHomeOf } from '../adapters/caldav/freebusy-reader.js';

let b: Backends;
let tg: TestGateway;
let userA: TestUser;
let userB: TestUser;
let userC: TestUser;

const UTC_TZ =
  '<t:TimeZone><t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>';

function request(addresses: string[], view: string, window = ['2027-03-08T00:00:00', '2027-03-09T00:00:00']): string {
  return (
    `<m:GetUserAvailabilityRequest>${UTC_TZ}<m:MailboxDataArray>` +
    addresses.map((a) => `<t:MailboxData><t:Email><t:Address>${a}</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType></t:MailboxData>`).join('') +
    `</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>${window[0]}</t:StartTime><t:EndTime>${window[1]}</t:EndTime></t:TimeWindow>` +
    `<t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes><t:RequestedView>${view}</t:RequestedView></t:FreeBusyViewOptions>` +
    '</m:GetUserAvailabilityRequest>'
  );
}

async function dav(who: { login: string; password: string }, method: string, href: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(new URL(href, b.davUrl), {
    method,
    body,
    headers: { Authorization: 'Basic ' + Buffer.from(`${who.login}:${who.password}`).toString('base64'), ...headers },
  });
}

const as = (u: TestUser) => ({ login: u.email, password: u.password });
const home = (u: TestUser) => `/${encodeURIComponent(u.email)}/`;

async function mkcalendar(u: TestUser, name: string, components = ['VEVENT']): Promise<string> {
  assert.equal((await dav(as(u), 'PROPFIND', home(u), undefined, { Depth: '0' })).status, 207);
  const href = `${home(u)}${name}/`;
  const body =
    '<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>' +
    `<D:displayname>${name}</D:displayname><C:supported-calendar-component-set>${components.map((c) => `<C:comp name="${c}"/>`).join('')}</C:supported-calendar-component-set>` +
    '</D:prop></D:set></C:mkcalendar>';
  const r = await dav(as(u), 'MKCALENDAR', href, body, { 'Content-Type': 'application/xml' });
  assert.equal(r.status, 201, await r.text());
  return href;
}

async function put(u: TestUser, calendar: string, uid: string, vevents: string[]): Promise<void> {
  const ics = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//ewsgate test//EN', ...vevents, 'END:VCALENDAR', ''].join('\r\n');
  const r = await dav(as(u), 'PUT', `${calendar}${uid}.ics`, ics, { 'Content-Type': 'text/calendar; charset=utf-8' });
  assert.ok(r.status === 201 || r.status === 204, `PUT ${uid}: ${r.status} ${await r.text()}`);
}

function vevent(uid: string, start: string, end: string, summary: string, extra: string[] = []): string {
  return ['BEGIN:VEVENT', `UID:${uid}`, 'DTSTAMP:20270101T000000Z', `DTSTART:${start}`, `DTEND:${end}`, `SUMMARY:${summary}`, ...extra, 'END:VEVENT'].join('\r\n');
}

const fbCodes = (doc: Parameters<typeof all>[0]) => all(doc, 'FreeBusyResponse', M).map((r) => text(r, 'ResponseCode', M));
const eventsOf = (resp: Parameters<typeof all>[0]) =>
  all(resp, 'CalendarEvent').map((e) => ({
    start: text(e, 'StartTime'),
    end: text(e, 'EndTime'),
    type: text(e, 'BusyType'),
    subject: text(e, 'Subject'),
    location: text(e, 'Location'),
    details: all(e, 'CalendarEventDetails').length > 0,
    private: text(e, 'IsPrivate'),
    recurring: text(e, 'IsRecurring'),
    exception: text(e, 'IsException'),
  }));

before(async () => {
  b = backendsFromEnv();
  [userA, userB, userC] = await Promise.all([b.addUser(), b.addUser(), b.addUser()]);
  const cal = await mkcalendar(userB, 'calendar');
  await put(userB, cal, 'busy', [vevent('busy', '20270308T090000Z', '20270308T100000Z', 'Board meeting', ['LOCATION:Room 7'])]);
  await put(userB, cal, 'tentative', [vevent('tentative', '20270308T110000Z', '20270308T113000Z', 'Maybe sync', ['STATUS:TENTATIVE'])]);
  await put(userB, cal, 'transparent', [vevent('transparent', '20270308T120000Z', '20270308T130000Z', 'Focus time', ['TRANSP:TRANSPARENT'])]);
  await put(userB, cal, 'private', [vevent('private', '20270308T140000Z', '20270308T150000Z', 'Doctor', ['CLASS:PRIVATE', 'LOCATION:Clinic'])]);
  await put(userB, cal, 'oof', [vevent('oof', '20270308T190000Z', '20270308T200000Z', 'Away', ['X-MICROSOFT-CDO-BUSYSTATUS:OOF'])]);
  await put(userB, cal, 'cancelled', [vevent('cancelled', '20270308T200000Z', '20270308T210000Z', 'Called off', ['STATUS:CANCELLED'])]);
  await put(userB, cal, 'weekly', [
    vevent('weekly', '20270301T160000Z', '20270301T163000Z', 'Weekly 1:1', ['RRULE:FREQ=WEEKLY;COUNT=10']),
    vevent('weekly', '20270308T170000Z', '20270308T173000Z', 'Weekly 1:1 (moved)', ['RECURRENCE-ID:20270308T160000Z']),
  ]);
  // a VTODO-only calendar is no free/busy source
  const tasks = await mkcalendar(userB, 'tasks', ['VTODO']);
  await put(userB, tasks, 'todo', [['BEGIN:VTODO', 'UID:todo', 'DTSTAMP:20270101T000000Z', 'DTSTART:20270308T080000Z', 'DUE:20270308T083000Z', 'SUMMARY:A task', 'END:VTODO'].join('\r\n')]);
  const calC = await mkcalendar(userC, 'calendar');
  await put(userC, calC, 'c1', [vevent('c1', '20270308T100000Z', '20270308T110000Z', 'C busy')]);
  tg = await startTestGateway({ freeBusyUser: b.freeBusy.login, freeBusyPassword: b.freeBusy.password });
});

after(async () => {
  await tg?.close();
});

test('the harness rights: users keep owner-only access; the free/busy account reads everyone, writes nothing', async () => {
  assert.equal((await dav(as(userA), 'PROPFIND', `${home(userB)}calendar/`, undefined, { Depth: '1' })).status, 403);
  assert.equal((await dav(b.freeBusy, 'PROPFIND', `${home(userB)}calendar/`, undefined, { Depth: '1' })).status, 207);
  const r = await dav(b.freeBusy, 'PUT', `${home(userB)}calendar/intruder.ics`, 'BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n', { 'Content-Type': 'text/calendar' });
  assert.equal(r.status, 403);
});

test('FreeBusy view of B and C: merged types, no details; transparent and cancelled events and tasks left out', async () => {
  const r = await ews(tg, userA, request([userB.email, userC.email], 'FreeBusy'));
  assert.equal(r.status, 200, r.text.slice(0, 1500));
  assert.deepEqual(fbCodes(r.doc), ['NoError', 'NoError'], r.text.slice(0, 2000));
  const [rb, rc] = all(r.doc, 'FreeBusyResponse', M);
  assert.equal(text(rb, 'FreeBusyViewType'), 'FreeBusy');
  assert.deepEqual(
    eventsOf(rb).map((e) => [e.start, e.end, e.type, e.details]),
    [
      ['2027-03-08T09:00:00', '2027-03-08T10:00:00', 'Busy', false],
      ['2027-03-08T11:00:00', '2027-03-08T11:30:00', 'Tentative', false],
      ['2027-03-08T14:00:00', '2027-03-08T15:00:00', 'Busy', false],
      ['2027-03-08T17:00:00', '2027-03-08T17:30:00', 'Busy', false],
      ['2027-03-08T19:00:00', '2027-03-08T20:00:00', 'OOF', false],
    ],
  );
  assert.equal(all(rb, 'MergedFreeBusy').length, 0);
  assert.deepEqual(
    eventsOf(rc).map((e) => [e.start, e.type]),
    [['2027-03-08T10:00:00', 'Busy']],
  );
  const period = one(rb, 'WorkingPeriod');
  assert.equal(text(period, 'StartTimeInMinutes'), '480');
});

test('DetailedMerged view of B: subject and location except for the private event, series flags, merged string', async () => {
  const r = await ews(tg, userA, request([userB.email], 'DetailedMerged'));
  assert.deepEqual(fbCodes(r.doc), ['NoError'], r.text.slice(0, 2000));
  assert.equal(text(r.doc, 'FreeBusyViewType'), 'DetailedMerged');
  const ev = eventsOf(one(r.doc, 'FreeBusyResponse', M));
  assert.deepEqual(
    ev.map((e) => [e.subject, e.location, e.private]),
    [
      ['Board meeting', 'Room 7', 'false'],
      ['Maybe sync', undefined, 'false'],
      [undefined, undefined, 'true'],
      ['Weekly 1:1 (moved)', undefined, 'false'],
      ['Away', undefined, 'false'],
    ],
  );
  assert.deepEqual([ev[3].recurring, ev[3].exception], ['true', 'true']);
  assert.ok(!r.text.includes('Doctor') && !r.text.includes('Clinic'), 'nothing of the private event leaks');
  const merged = text(r.doc, 'MergedFreeBusy')!;
  const expected = Array<string>(48).fill('0');
  for (const [slot, digit] of [[18, '2'], [19, '2'], [22, '1'], [28, '2'], [29, '2'], [34, '2'], [38, '3'], [39, '3']] as const) expected[slot] = digit;
  assert.equal(merged, expected.join(''));
});

test('an address without a calendar home is ErrorMailRecipientNotFound, beside the others (in request order, one named twice)', async () => {
  const r = await ews(tg, userA, request([`nobody-${Date.now()}@example.test`, userC.email, userB.email, userC.email.toUpperCase()], 'FreeBusy'));
  assert.deepEqual(fbCodes(r.doc), ['ErrorMailRecipientNotFound', 'NoError', 'NoError', 'NoError'], r.text.slice(0, 2000));
  const [first, c1, b1, c2] = all(r.doc, 'FreeBusyResponse', M);
  assert.equal(eventsOf(b1).length, 5, 'the answers keep the request order');
  assert.deepEqual(eventsOf(c1), eventsOf(c2));
  assert.equal(eventsOf(c1).length, 1);
  assert.equal(one(first, 'ResponseMessage', M).getAttribute('ResponseClass'), 'Error');
  assert.equal(text(first, 'FreeBusyViewType'), 'None');
});

test('a user who never used CalDAV but exists is not found either (Radicale has no home for them yet)', async () => {
  const fresh = await b.addUser();
  const r = await ews(tg, userA, request([fresh.email], 'FreeBusy'));
  assert.deepEqual(fbCodes(r.doc), ['ErrorMailRecipientNotFound'], r.text.slice(0, 2000));
});

test('without the free/busy credential other mailboxes stay ErrorNoFreeBusyAccess', async () => {
  const plain = await startTestGateway();
  try {
    const r = await ews(plain, userA, request([userB.email], 'Detailed'));
    assert.deepEqual(fbCodes(r.doc), ['ErrorNoFreeBusyAccess'], r.text.slice(0, 2000));
    assert.equal(text(r.doc, 'FreeBusyViewType'), 'None');
  } finally {
    await plain.close();
  }
});

test('a wrong free/busy password and CalDAV down are ErrorFreeBusyGenerationFailed for that mailbox', async () => {
  const wrong = await startTestGateway({ freeBusyUser: b.freeBusy.login, freeBusyPassword: 'not-the-password' });
  try {
    const r = await ews(wrong, userA, request([userB.email], 'FreeBusy'));
    assert.deepEqual(fbCodes(r.doc), ['ErrorFreeBusyGenerationFailed'], r.text.slice(0, 2000));
    assert.match(text(r.doc, 'MessageText', M) ?? '', /EWSGATE_FREEBUSY_USER/);
  } finally {
    await wrong.close();
  }
  const port = await freePort();
  const down = await startTestGateway({ caldav: `http://127.0.0.1:${port}/`, freeBusyUser: b.freeBusy.login, freeBusyPassword: b.freeBusy.password });
  try {
    const r = await ews(down, userA, request([userB.email, userC.email], 'Detailed'));
    assert.equal(r.status, 200, r.text.slice(0, 1500));
    assert.deepEqual(fbCodes(r.doc), ['ErrorFreeBusyGenerationFailed', 'ErrorFreeBusyGenerationFailed'], r.text.slice(0, 2000));
    assert.match(text(r.doc, 'MessageText', M) ?? '', /cannot be reached/);
  } finally {
    await down.close();
  }
});

test('configuration: user and password go together; the home pattern needs {user} or {localpart}; homes are URL-encoded', () => {
  const base = { listen: '127.0.0.1:0' };
  assert.equal(loadConfig({ flags: base }).freeBusy, undefined);
  assert.deepEqual(loadConfig({ env: { EWSGATE_FREEBUSY_USER: 'fb', EWSGATE_FREEBUSY_PASSWORD: 'pw' }, flags: base }).freeBusy, {
    user: 'fb',
    password: 'pw',
    home: '/{user}/',
  });
  assert.throws(() => loadConfig({ flags: { ...base, freeBusyUser: 'fb' } }), (e: unknown) => e instanceof ConfigError && /EWSGATE_FREEBUSY_USER and EWSGATE_FREEBUSY_PASSWORD go together/.test(e.message));
  assert.throws(() => loadConfig({ flags: { ...base, freeBusyHome: '/calendars/' } }), /EWSGATE_FREEBUSY_HOME must be/);
  assert.equal(calendarHomeOf('/{user}/', 'Alice@Example.test'), '/alice%40example.test/');
  assert.equal(calendarHomeOf('/dav/calendars/{localpart}', 'bob@example.test'), '/dav/calendars/bob/');
  assert.equal(calendarHomeOf('/{domain}/{localpart}/', 'b b@x.test'), '/x.test/b%20b/');
});

function runPython(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Debian's python3 with python3-exchangelib, not a pyenv one on PATH
    const p = spawn('/usr/bin/python3', [script], { env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test("exchangelib 4.9: protocol.get_free_busy_info for B (DetailedMerged, in Berlin time) and an unknown address", async () => {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'clients', 'exchangelib_freebusy.py');
  const r = await runPython(script, { EWS_URL: tg.ewsUrl, EWS_USER: userA.email, EWS_PASSWORD: userA.password, OTHER: userB.email, UNKNOWN: `nobody-${Date.now()}@example.test` });
  assert.equal(r.code, 0, `${r.stderr.slice(-3000)}\n${r.stdout.slice(-1000)}`);
  const { views } = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    views: ({ type: string; merged: string; events: [string, string, string, string | null, boolean | null][]; working_hours: [number[], string, string][] } | { error: string })[];
  };
  assert.equal(views.length, 2);
  const [b, unknown] = views;
  assert.ok('type' in b, JSON.stringify(b));
  assert.equal(b.type, 'DetailedMerged');
  // 2027-03-08 is CET (UTC+1): B's 09:00Z meeting is 10:00 in the request's zone
  assert.deepEqual(
    b.events.map((e) => [e[0].slice(0, 19), e[2], e[3], e[4]]),
    [
      ['2027-03-08T10:00:00', 'Busy', 'Board meeting', false],
      ['2027-03-08T12:00:00', 'Tentative', 'Maybe sync', false],
      ['2027-03-08T15:00:00', 'Busy', null, true],
      ['2027-03-08T18:00:00', 'Busy', 'Weekly 1:1 (moved)', false],
      ['2027-03-08T20:00:00', 'OOF', 'Away', false],
    ],
  );
  assert.equal(b.merged.length, 48);
  assert.equal(b.merged.slice(20, 22), '22');
  assert.equal(b.working_hours.length, 1);
  assert.deepEqual([b.working_hours[0][1], b.working_hours[0][2]], ['08:00:00', '17:00:00']);
  assert.deepEqual(unknown, { error: 'ErrorMailRecipientNotFound' });
});
