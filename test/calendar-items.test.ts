// Calendar items and tasks through EWS against Radicale: CalendarView expands
// recurrences, what EWS writes is iCalendar a CalDAV client reads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { davRequest } from './harness/clients.js';
import { seedUser, type SeedResult } from './harness/seed.js';
import { all, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let user: TestUser;
let seeded: SeedResult;
const cal = '<t:DistinguishedFolderId Id="calendar"/>';
const path = (href: string) => new URL(href, 'http://x/').pathname;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
});

after(async () => {
  await tg.close();
});

test('FindItem without a view answers singles and masters; a CalendarView expands the weekly series', async () => {
  const masters = await ews(tg, user, `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ParentFolderIds>${cal}</m:ParentFolderIds></m:FindItem>`);
  assert.deepEqual(codes(masters.doc), ['NoError'], masters.text.slice(0, 1500));
  assert.equal(all(masters.doc, 'CalendarItem').length, seeded.dav!.events.length);
  const view = await ews(
    tg,
    user,
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:CalendarView StartDate="2026-11-01T00:00:00Z" EndDate="2027-01-31T00:00:00Z"/><m:ParentFolderIds>${cal}</m:ParentFolderIds></m:FindItem>`,
  );
  assert.deepEqual(codes(view.doc), ['NoError'], view.text.slice(0, 1500));
  const items = all(view.doc, 'CalendarItem');
  const types = items.map((i) => text(i, 'CalendarItemType'));
  assert.ok(types.filter((t) => t === 'Occurrence' || t === 'Exception').length >= 8, types.join());
  assert.ok(types.includes('Exception'), 'the moved stand-up is an exception');
  const occId = one(items.find((i) => text(i, 'CalendarItemType') === 'Occurrence')!, 'ItemId').getAttribute('Id')!;
  const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${occId}"/></m:ItemIds></m:GetItem>`);
  assert.deepEqual(codes(got.doc), ['NoError'], got.text.slice(0, 1500));
  assert.equal(text(got.doc, 'CalendarItemType'), 'Occurrence');
});

test('CreateItem → a VEVENT in Radicale; UpdateItem changes it; DeleteItem removes it', async () => {
  const r = await ews(
    tg,
    user,
    `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId>${cal}</m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>Dentist</t:Subject><t:Body BodyType="Text">bring the card</t:Body><t:Start>2026-12-10T09:00:00Z</t:Start><t:End>2026-12-10T09:30:00Z</t:End><t:Location>Praxis</t:Location></t:CalendarItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const id = one(r.doc, 'ItemId').getAttribute('Id')!;
  const listing = await (await davRequest(tg.backends, user, 'PROPFIND', path(seeded.dav!.calendarUrl), { depth: '1' })).text();
  const hrefs = [...listing.matchAll(/<(?:\w+:)?href>([^<]+\.ics)<\/(?:\w+:)?href>/g)].map((m) => m[1]);
  const bodies = await Promise.all(hrefs.map(async (h) => (await davRequest(tg.backends, user, 'GET', path(h))).text()));
  const ics = bodies.find((b) => b.includes('Dentist'));
  assert.ok(ics, 'the event is iCalendar in Radicale');
  assert.match(ics!, /LOCATION:Praxis/);
  assert.match(ics!, /DTSTART[^:]*:20261210T090000Z?/);

  const upd = await ews(
    tg,
    user,
    `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToNone"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>Dentist (moved)</t:Subject></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
  );
  assert.deepEqual(codes(upd.doc), ['NoError'], upd.text.slice(0, 1500));
  const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
  assert.equal(text(got.doc, 'Subject'), 'Dentist (moved)');
  const del = await ews(tg, user, `<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone"><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:DeleteItem>`);
  assert.deepEqual(codes(del.doc), ['NoError']);
  const gone = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
  assert.deepEqual(codes(gone.doc), ['ErrorItemNotFound']);
});

test('a Task created through EWS is a VTODO listed in the tasks folder', async () => {
  const r = await ews(tg, user, `<m:CreateItem><m:SavedItemFolderId><t:DistinguishedFolderId Id="tasks"/></m:SavedItemFolderId><m:Items><t:Task><t:Subject>File the report</t:Subject><t:DueDate>2026-12-15T00:00:00Z</t:DueDate></t:Task></m:Items></m:CreateItem>`);
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const found = await ews(tg, user, `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="tasks"/></m:ParentFolderIds></m:FindItem>`);
  assert.deepEqual(codes(found.doc), ['NoError'], found.text.slice(0, 1500));
  assert.ok(all(found.doc, 'Task').some((t) => text(t, 'Subject') === 'File the report'));
});
