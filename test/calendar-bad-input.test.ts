// Bad input on the calendar path gets a precise EWS answer, never a 500 or a hang: impossible
// recurrences, unknown time zones, an iCalendar object in Radicale that cannot be read (it must
// not hide the rest of the calendar), an event deleted by another client between two calls,
// and a CalDAV server that is not there at all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { TestUser } from './harness/backends.js';
import { davRequest } from './harness/clients.js';
import { seedUser } from './harness/seed.js';
import { all, codes, envelope, ews, one, post, startTestGateway, text, type EwsReply, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let user: TestUser;
let calPath: string;
const cal = '<t:DistinguishedFolderId Id="calendar"/>';
const TAG = `bad${Date.now().toString(36)}`;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  const seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
  calPath = new URL(seeded.dav!.calendarUrl, 'http://x/').pathname;
});

after(async () => {
  await tg?.close();
});

/** A SOAP answer: HTTP 200 with response messages, or a SOAP fault with HTTP 500 (Exchange's way), never a crash. */
function answered(r: EwsReply): string {
  return `HTTP ${r.status}: ${r.text.slice(0, 1500)}`;
}

function createItem(item: string, extra = ''): Promise<EwsReply> {
  return ews(
    tg,
    user,
    `<m:CreateItem SendMeetingInvitations="SendToNone"${extra}><m:SavedItemFolderId>${cal}</m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>${TAG} ${Math.random().toString(36).slice(2, 6)}</t:Subject>${item}</t:CalendarItem></m:Items></m:CreateItem>`,
  );
}

const times = '<t:Start>2027-01-04T09:00:00Z</t:Start><t:End>2027-01-04T10:00:00Z</t:End>';
const recurrence = (pattern: string, range: string) => `<t:Recurrence>${pattern}${range}</t:Recurrence>`;

/** Hrefs and bodies of the calendar's objects, straight from Radicale. */
async function davObjects(): Promise<{ href: string; body: string }[]> {
  const listing = await (await davRequest(tg.backends, user, 'PROPFIND', calPath, { depth: '1' })).text();
  const hrefs = [...listing.matchAll(/<(?:\w+:)?href>([^<]+\.ics)<\/(?:\w+:)?href>/g)].map((m) => new URL(m[1]!, 'http://x/').pathname);
  return Promise.all(hrefs.map(async (href) => ({ href, body: await (await davRequest(tg.backends, user, 'GET', href)).text() })));
}

function findItem(view = ''): Promise<EwsReply> {
  return ews(tg, user, `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>${view}<m:ParentFolderIds>${cal}</m:ParentFolderIds></m:FindItem>`);
}

const subjects = (r: EwsReply) => all(r.doc, 'CalendarItem').map((i) => text(i, 'Subject') ?? '');

describe('invalid recurrences', () => {
  test('an EndDateRecurrence ending before it starts is ErrorCalendarInvalidRecurrence, nothing stored', async () => {
    const before = (await davObjects()).length;
    const r = await createItem(
      times + recurrence('<t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence>', '<t:EndDateRecurrence><t:StartDate>2027-01-04</t:StartDate><t:EndDate>2026-12-01</t:EndDate></t:EndDateRecurrence>'),
    );
    assert.deepEqual(codes(r.doc), ['ErrorCalendarInvalidRecurrence'], answered(r));
    assert.equal((await davObjects()).length, before);
  });

  test('Interval 0 and NumberOfOccurrences 0 are ErrorCalendarInvalidRecurrence', async () => {
    const zero = await createItem(times + recurrence('<t:DailyRecurrence><t:Interval>0</t:Interval></t:DailyRecurrence>', '<t:NumberedRecurrence><t:StartDate>2027-01-04</t:StartDate><t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence>'));
    assert.deepEqual(codes(zero.doc), ['ErrorCalendarInvalidRecurrence'], answered(zero));
    const none = await createItem(times + recurrence('<t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence>', '<t:NumberedRecurrence><t:StartDate>2027-01-04</t:StartDate><t:NumberOfOccurrences>0</t:NumberOfOccurrences></t:NumberedRecurrence>'));
    assert.deepEqual(codes(none.doc), ['ErrorCalendarInvalidRecurrence'], answered(none));
  });

  test('an impossible day (DayOfMonth 32, February 30) is ErrorCalendarInvalidRecurrence', async () => {
    const d32 = await createItem(
      times + recurrence('<t:AbsoluteMonthlyRecurrence><t:Interval>1</t:Interval><t:DayOfMonth>32</t:DayOfMonth></t:AbsoluteMonthlyRecurrence>', '<t:NoEndRecurrence><t:StartDate>2027-01-04</t:StartDate></t:NoEndRecurrence>'),
    );
    assert.deepEqual(codes(d32.doc), ['ErrorCalendarInvalidRecurrence'], answered(d32));
    const feb30 = await createItem(
      times + recurrence('<t:AbsoluteYearlyRecurrence><t:DayOfMonth>30</t:DayOfMonth><t:Month>February</t:Month></t:AbsoluteYearlyRecurrence>', '<t:NoEndRecurrence><t:StartDate>2027-01-04</t:StartDate></t:NoEndRecurrence>'),
    );
    assert.deepEqual(codes(feb30.doc), ['ErrorCalendarInvalidRecurrence'], answered(feb30));
    const apr31 = await createItem(
      times + recurrence('<t:AbsoluteYearlyRecurrence><t:DayOfMonth>31</t:DayOfMonth><t:Month>April</t:Month></t:AbsoluteYearlyRecurrence>', '<t:NumberedRecurrence><t:StartDate>2027-01-04</t:StartDate><t:NumberOfOccurrences>2</t:NumberOfOccurrences></t:NumberedRecurrence>'),
    );
    assert.deepEqual(codes(apr31.doc), ['ErrorCalendarInvalidRecurrence'], answered(apr31));
  });

  test('DayOfMonth 31 monthly is BYMONTHDAY=31: months without a 31st have no occurrence (RFC 5545, what CalDAV clients show)', async () => {
    // Exchange would put those on the month's last day; iCalendar cannot say "31st or the last" in a
    // way ical.js expands right (BYSETPOS with BYMONTHDAY), so the gateway keeps the RFC meaning.
    const r = await createItem(
      '<t:Start>2027-01-31T09:00:00Z</t:Start><t:End>2027-01-31T10:00:00Z</t:End>' +
        recurrence('<t:AbsoluteMonthlyRecurrence><t:Interval>1</t:Interval><t:DayOfMonth>31</t:DayOfMonth></t:AbsoluteMonthlyRecurrence>', '<t:NumberedRecurrence><t:StartDate>2027-01-31</t:StartDate><t:NumberOfOccurrences>4</t:NumberOfOccurrences></t:NumberedRecurrence>'),
    );
    assert.deepEqual(codes(r.doc), ['NoError'], answered(r));
    const id = one(r.doc, 'ItemId').getAttribute('Id')!;
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
    const subject = text(got.doc, 'Subject')!;
    const stored = (await davObjects()).find((o) => o.body.includes(subject));
    assert.match(stored?.body ?? '', /RRULE:FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4/);
    const view = await findItem('<m:CalendarView StartDate="2027-01-01T00:00:00Z" EndDate="2027-09-01T00:00:00Z"/>');
    assert.deepEqual(codes(view.doc), ['NoError'], answered(view));
    const starts = all(view.doc, 'CalendarItem').filter((i) => text(i, 'Subject') === subject).map((i) => text(i, 'Start'));
    assert.deepEqual(starts, ['2027-01-31T09:00:00Z', '2027-03-31T09:00:00Z', '2027-05-31T09:00:00Z', '2027-07-31T09:00:00Z']);
    await ews(tg, user, `<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone"><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:DeleteItem>`);
  });
});

describe('time zones', () => {
  test('an unknown StartTimeZone Id is ErrorCalendarInvalidTimeZone, nothing stored', async () => {
    const before = (await davObjects()).length;
    const r = await createItem(`${times}<t:StartTimeZone Id="Mars Standard Time"/>`);
    assert.deepEqual(codes(r.doc), ['ErrorCalendarInvalidTimeZone'], answered(r));
    assert.equal((await davObjects()).length, before);
  });

  test('an unknown TimeZoneContext Id is ErrorTimeZone, not a silent UTC', async () => {
    const body = `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:CalendarView StartDate="2026-11-01T00:00:00Z" EndDate="2026-12-01T00:00:00Z"/><m:ParentFolderIds>${cal}</m:ParentFolderIds></m:FindItem>`;
    const r = await post(tg.ewsUrl, user, envelope(body, 'Exchange2013_SP1', '<t:TimeZoneContext><t:TimeZoneDefinition Id="Nowhere Standard Time"/></t:TimeZoneContext>'));
    assert.equal(r.status, 200, answered(r));
    assert.deepEqual(codes(r.doc), ['ErrorTimeZone'], answered(r));
    // an IANA id there is taken as it is (some clients send one)
    const iana = await post(tg.ewsUrl, user, envelope(body, 'Exchange2013_SP1', '<t:TimeZoneContext><t:TimeZoneDefinition Id="Europe/Berlin"/></t:TimeZoneContext>'));
    assert.deepEqual(codes(iana.doc), ['NoError'], answered(iana));
  });
});

describe('a calendar object nobody can read', () => {
  let goodSubject: string;
  const brokenHref = () => `${calPath}${TAG}-broken.ics`;

  before(async () => {
    goodSubject = `${TAG} still here`;
    const r = await ews(
      tg,
      user,
      `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId>${cal}</m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>${goodSubject}</t:Subject><t:Start>2026-11-20T09:00:00Z</t:Start><t:End>2026-11-20T10:00:00Z</t:End></t:CalendarItem></m:Items></m:CreateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], answered(r));
    // Radicale takes it (dateutil builds the rule and finds no date), ewsgate cannot make an item of
    // a series that never happens (ical.ts: "cannot recur").
    const broken = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//someone else//EN',
      'BEGIN:VEVENT',
      `UID:${TAG}-broken`,
      'DTSTAMP:20261101T000000Z',
      'DTSTART:20261118T090000Z',
      'DTEND:20261118T100000Z',
      'RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30',
      `SUMMARY:${TAG} broken`,
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const put = await davRequest(tg.backends, user, 'PUT', brokenHref(), { body: broken, headers: { 'Content-Type': 'text/calendar; charset=utf-8' } });
    assert.ok([201, 204].includes(put.status), `Radicale refused the broken object: ${put.status} ${await put.text()}`);
  });

  test('FindItem (no view) answers NoError with the other events', async () => {
    const r = await findItem();
    assert.deepEqual(codes(r.doc), ['NoError'], answered(r));
    assert.ok(subjects(r).includes(goodSubject), subjects(r).join(' | '));
  });

  test('FindItem with a CalendarView over the broken one answers NoError with the other events', async () => {
    const r = await findItem('<m:CalendarView StartDate="2026-11-01T00:00:00Z" EndDate="2026-12-31T00:00:00Z"/>');
    assert.deepEqual(codes(r.doc), ['NoError'], answered(r));
    assert.ok(subjects(r).includes(goodSubject), subjects(r).join(' | '));
  });

  test('SyncFolderItems goes past it', async () => {
    const r = await ews(tg, user, `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId>${cal}</m:SyncFolderId><m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`);
    assert.deepEqual(codes(r.doc), ['NoError'], answered(r));
    assert.ok(all(r.doc, 'Create').length >= 2, `${all(r.doc, 'Create').length} creates`);
  });

  test('GetItem of it (by the id FindItem gave, if any) is a precise error or the item, never a 500', async () => {
    const r = await findItem();
    const ids = all(r.doc, 'CalendarItem').map((i) => one(i, 'ItemId').getAttribute('Id')!);
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds>${ids.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</m:ItemIds></m:GetItem>`);
    assert.equal(got.status, 200, answered(got));
    assert.ok(codes(got.doc).every((c) => c === 'NoError' || c === 'ErrorCorruptData'), codes(got.doc).join());
  });
});

describe('changed by another client between two calls', () => {
  test('an event deleted in Radicale: GetItem, UpdateItem and DeleteItem answer ErrorItemNotFound', async () => {
    const subject = `${TAG} soon gone`;
    const r = await ews(
      tg,
      user,
      `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId>${cal}</m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>${subject}</t:Subject><t:Start>2026-11-21T09:00:00Z</t:Start><t:End>2026-11-21T10:00:00Z</t:End></t:CalendarItem></m:Items></m:CreateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], answered(r));
    const id = one(r.doc, 'ItemId').getAttribute('Id')!;
    const obj = (await davObjects()).find((o) => o.body.includes(subject));
    assert.ok(obj, 'in Radicale');
    const del = await davRequest(tg.backends, user, 'DELETE', obj.href);
    assert.ok([200, 204].includes(del.status), `DELETE ${del.status}`);

    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(got.doc), ['ErrorItemNotFound'], answered(got));
    const upd = await ews(
      tg,
      user,
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>x</t:Subject></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    assert.deepEqual(codes(upd.doc), ['ErrorItemNotFound'], answered(upd));
    const gone = await ews(tg, user, `<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone"><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:DeleteItem>`);
    assert.deepEqual(codes(gone.doc), ['ErrorItemNotFound'], answered(gone));
  });

  test('an occurrence id of a series deleted in Radicale is ErrorItemNotFound; one past the series end is ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange', async () => {
    const r = await createItem(
      times + recurrence('<t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence>', '<t:NumberedRecurrence><t:StartDate>2027-01-04</t:StartDate><t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence>'),
    );
    assert.deepEqual(codes(r.doc), ['NoError'], answered(r));
    const id = one(r.doc, 'ItemId').getAttribute('Id')!;
    const occ = (i: number) => `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:OccurrenceItemId RecurringMasterId="${id}" InstanceIndex="${i}"/></m:ItemIds></m:GetItem>`;
    assert.deepEqual(codes((await ews(tg, user, occ(3))).doc), ['NoError']);
    const past = await ews(tg, user, occ(4));
    assert.deepEqual(codes(past.doc), ['ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange'], answered(past));
    const zero = await ews(tg, user, occ(0));
    assert.deepEqual(codes(zero.doc), ['ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange'], answered(zero));
    const mine = (await davObjects()).find((o) => /RRULE:FREQ=DAILY;COUNT=3/.test(o.body) && o.body.includes(TAG));
    assert.ok(mine, 'the series in Radicale');
    await davRequest(tg.backends, user, 'DELETE', mine.href);
    const gone = await ews(tg, user, occ(2));
    assert.deepEqual(codes(gone.doc), ['ErrorItemNotFound'], answered(gone));
  });
});

describe('the CalDAV server is down', () => {
  let down: TestGateway;
  let port: number;

  before(async () => {
    // a port nobody listens on: bound, then closed
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
    port = (srv.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => srv.close(() => resolve()));
    down = await startTestGateway({ caldav: `http://127.0.0.1:${port}/` });
  });

  after(async () => {
    await down?.close();
  });

  const downEws = (body: string) => post(down.ewsUrl, user, envelope(body));

  test('FindItem in the calendar is ErrorMailboxStoreUnavailable (HTTP 200), not a 500', async () => {
    const r = await downEws(`<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:CalendarView StartDate="2026-11-01T00:00:00Z" EndDate="2026-12-01T00:00:00Z"/><m:ParentFolderIds>${cal}</m:ParentFolderIds></m:FindItem>`);
    assert.equal(r.status, 200, answered(r));
    assert.deepEqual(codes(r.doc), ['ErrorMailboxStoreUnavailable'], answered(r));
  });

  test('CreateItem of a calendar item is ErrorMailboxStoreUnavailable', async () => {
    const r = await downEws(
      `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId>${cal}</m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>x</t:Subject>${times}</t:CalendarItem></m:Items></m:CreateItem>`,
    );
    assert.equal(r.status, 200, answered(r));
    assert.deepEqual(codes(r.doc), ['ErrorMailboxStoreUnavailable'], answered(r));
  });

  test('mail still works: FindItem in the inbox answers NoError', async () => {
    const r = await downEws(`<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`);
    assert.deepEqual(codes(r.doc), ['NoError'], answered(r));
  });
});
