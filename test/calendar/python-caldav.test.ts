// Round trips with a CalDAV client nobody here wrote: Debian's python3-caldav
// (0.11, with python3-icalendar and python3-recurring-ical-events), against the
// harness's Radicale. Created through EWS (our converter + adapter) → read by
// python-caldav; created by python-caldav → read, rendered and updated through
// ours → read back by python-caldav, its own X- property intact; changed by
// python-caldav behind our back → our stale ETag is a conflict and sync sees it.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { NS, parseXml, elementChildren, type Element } from '../../src/soap/xml.js';
import { backendsFromEnv, type TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { CalDavCalendarStore } from '../../adapters/caldav/caldav-store.js';
import { ConflictError } from '../../src/ports/calendar-store.js';
import { parseCalendarObject, serializeCalendarObject } from '../../src/convert/ical.js';
import { resourceNameForUid } from '../../src/convert/ical-ids.js';
import { createCalendarItem, updateCalendarItem, type CalendarWriteContext } from '../../src/ews/calendar/write.js';
import { itemViews, type CalendarRenderContext } from '../../src/ews/calendar/views.js';
import { renderCalendarView } from '../../src/ews/calendar/item.js';
import { parseItemShape } from '../../src/ews/items/shape.js';

const run = promisify(execFile);
const b = backendsFromEnv();
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'caldav_client.py');
const T = `xmlns:t="${NS.types}"`;
const norm = (h: string) => decodeURIComponent(h);

let user: TestUser;
let calUrl: string;
let store: CalDavCalendarStore;

async function py<T = Record<string, unknown>>(cmd: string, ...args: string[]): Promise<T> {
  // Debian's interpreter, not the pyenv `python3` on PATH: python3-caldav lives there.
  const { stdout } = await run('/usr/bin/python3', [SCRIPT, cmd, b.davUrl, user.email, user.password, calUrl, ...args], {
    timeout: 60_000,
    env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
  });
  return JSON.parse(stdout) as T;
}

const ctx: CalendarWriteContext = { timeZone: 'Europe/Berlin', version: 'Exchange2013', user: { email: 'placeholder@example.test', name: 'Pilot' } };

before(async () => {
  user = await b.addUser();
  const seeded = await seedUser(b, user, { mail: false, dav: true });
  calUrl = seeded.dav!.calendarUrl;
  store = new CalDavCalendarStore({ baseUrl: b.davUrl, username: user.email, password: user.password });
  ctx.user.email = user.email;
});

describe('python-caldav ⇄ ewsgate through Radicale', () => {
  test('created through EWS, read by python-caldav (and expanded by its own library)', async () => {
    const item = parseXml(`<t:CalendarItem ${T}>
      <t:Subject>Quarterly sync (EWS)</t:Subject>
      <t:Body BodyType="Text">Created through ewsgate.</t:Body>
      <t:ReminderIsSet>true</t:ReminderIsSet><t:ReminderMinutesBeforeStart>30</t:ReminderMinutesBeforeStart>
      <t:Start>2026-12-07T17:00:00Z</t:Start><t:End>2026-12-07T18:00:00Z</t:End>
      <t:Location>Seattle office</t:Location>
      <t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Alice Martin</t:Name><t:EmailAddress>alice.martin@example.org</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees>
      <t:Resources><t:Attendee><t:Mailbox><t:EmailAddress>room.rainier@example.org</t:EmailAddress></t:Mailbox></t:Attendee></t:Resources>
      <t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek></t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>2026-12-07</t:StartDate><t:NumberOfOccurrences>4</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>
      <t:StartTimeZone Id="Pacific Standard Time"/>
    </t:CalendarItem>`).documentElement!;
    const { object } = createCalendarItem(item, ctx);
    const calHref = new URL(calUrl).pathname;
    const ref = await store.createObject(calHref, resourceNameForUid(object.uid), serializeCalendarObject(object));
    const got = await py<{
      summary: string;
      location: string;
      dtstart: { local: string; tz: string; utc: string };
      rrule: Record<string, string[]>;
      attendees: { email: string; role: string; partstat: string; cutype?: string }[];
      organizer: string;
      alarms: string[];
      timezones: string[];
    }>('read', object.uid);
    assert.equal(got.summary, 'Quarterly sync (EWS)');
    assert.equal(got.location, 'Seattle office');
    assert.deepEqual(got.dtstart, { local: '2026-12-07T09:00:00', tz: 'America/Los_Angeles', utc: '2026-12-07T17:00:00Z' });
    assert.deepEqual(got.rrule, { FREQ: ['WEEKLY'], BYDAY: ['MO'], COUNT: ['4'] });
    assert.deepEqual(got.timezones, ['America/Los_Angeles']);
    assert.equal(got.organizer, user.email);
    assert.deepEqual(
      got.attendees.map((a) => [a.email, a.role, a.partstat, a.cutype ?? null]),
      [
        ['alice.martin@example.org', 'REQ-PARTICIPANT', 'NEEDS-ACTION', null],
        ['room.rainier@example.org', 'NON-PARTICIPANT', 'NEEDS-ACTION', 'RESOURCE'],
      ],
    );
    assert.deepEqual(got.alarms, ['-PT30M']);
    const instances = await py<{ uid: string; start: { utc: string } }[]>('search', '2026-12-01T00:00:00Z', '2027-02-01T00:00:00Z');
    assert.deepEqual(
      instances.filter((i) => i.uid === object.uid).map((i) => i.start.utc),
      ['2026-12-07T17:00:00Z', '2026-12-14T17:00:00Z', '2026-12-21T17:00:00Z', '2026-12-28T17:00:00Z'],
    );
    assert.ok(ref.etag, 'ref.etag');
  });

  test('created by python-caldav, read and rendered through ours, updated, read back by python-caldav', async () => {
    const uid = 'python-caldav-series@example.test';
    const { url } = await py<{ url: string }>('create', uid);
    const href = new URL(url).pathname;
    const obj = await store.getObject(href);
    const parsed = parseCalendarObject(obj.data, { floatingZone: 'Europe/Berlin' });
    assert.equal(parsed.uid, uid);
    const shape = parseItemShape(
      parseXml(`<m:ItemShape xmlns:m="${NS.messages}" ${T}><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>`).documentElement!,
    );
    const rc: CalendarRenderContext = {
      version: 'Exchange2013',
      shape,
      user: ctx.user,
      timeZone: 'Europe/Berlin',
      parentFolder: { id: 'F', changeKey: 'C' },
      itemId: () => ({ id: 'I', changeKey: obj.etag }),
      occurrenceId: (_v, o) => ({ id: `O${o.index}`, changeKey: obj.etag }),
    };
    const xml = parseXml(
      renderCalendarView(itemViews(parsed, href, obj.etag, obj.data)[0], rc).raw.replace('<t:CalendarItem', `<t:CalendarItem ${T}`),
    ).documentElement!;
    const get = (el: Element, n: string) => elementChildren(el).find((c) => c.localName === n);
    assert.equal(get(xml, 'Subject')!.textContent, 'Written by python-caldav');
    assert.equal(get(xml, 'Start')!.textContent, '2026-12-01T15:00:00Z');
    assert.equal(get(xml, 'CalendarItemType')!.textContent, 'RecurringMaster');
    assert.equal(elementChildren(get(xml, 'Recurrence')!)[0].localName, 'DailyRecurrence');
    assert.equal(get(get(get(xml, 'DeletedOccurrences')!, 'DeletedOccurrence')!, 'Start')!.textContent, '2026-12-02T15:00:00Z');
    assert.equal(get(get(xml, 'LastOccurrence')!, 'Start')!.textContent, '2026-12-03T15:00:00Z');
    assert.deepEqual(
      elementChildren(get(xml, 'Categories')!).map((c) => c.textContent),
      ['Python', 'Interop'],
    );

    // update through ours
    updateCalendarItem(
      parsed,
      parsed.master!,
      parseXml(`<t:Updates ${T}>
        <t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>Renamed through EWS</t:Subject></t:CalendarItem></t:SetItemField>
        <t:SetItemField><t:FieldURI FieldURI="calendar:Location"/><t:CalendarItem><t:Location>Room 2</t:Location></t:CalendarItem></t:SetItemField>
      </t:Updates>`).documentElement!,
      ctx,
    );
    const updated = await store.updateObject(href, serializeCalendarObject(parsed), obj.etag);
    const back = await py<{ summary: string; location: string; x: Record<string, string>; exdates: string[]; rrule: Record<string, string[]> }>('read', uid);
    assert.equal(back.summary, 'Renamed through EWS');
    assert.equal(back.location, 'Room 2');
    assert.equal(back.x['X-PYTHON-CLIENT-NOTE'], 'keep me', "the other client's own property survived our update");
    assert.deepEqual(back.exdates, ['2026-12-02T15:00:00Z']);
    assert.deepEqual(back.rrule, { FREQ: ['DAILY'], COUNT: ['3'] });

    // python-caldav changes it behind our back: our ETag is stale, sync sees the change
    const calHref = new URL(calUrl).pathname;
    const before = await store.syncCollection(calHref);
    await py('retitle', uid, 'Changed by python-caldav');
    await assert.rejects(
      store.updateObject(href, serializeCalendarObject(parsed), updated.etag),
      (e: unknown) => e instanceof ConflictError && e.kind === 'changed',
    );
    const after = await store.syncCollection(calHref, before.token);
    assert.deepEqual(
      after.changed.map((c) => norm(c.href)),
      [norm(href)],
    );
    assert.equal(parseCalendarObject((await store.getObject(href)).data).master!.subject, 'Changed by python-caldav');
  });
});
