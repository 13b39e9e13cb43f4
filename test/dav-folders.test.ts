// CalDAV calendars and CardDAV address books as EWS folders: the user's Radicale
// collections appear with the right classes, the distinguished calendar / tasks /
// contacts are the defaults, and a new collection made by a DAV client shows up.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { davHomeUrl, davRequest } from './harness/clients.js';
import { seedUser } from './harness/seed.js';
import { all, codes, ews, one, responseMessages, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let user: TestUser;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: false, dav: true });
});

after(async () => {
  await tg.close();
});

test('distinguished calendar, tasks and contacts are the Radicale collections', async () => {
  const r = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="calendar"/><t:DistinguishedFolderId Id="tasks"/><t:DistinguishedFolderId Id="contacts"/></m:FolderIds></m:GetFolder>`);
  assert.deepEqual(codes(r.doc), ['NoError', 'NoError', 'NoError']);
  const [cal, tasks, contacts] = responseMessages(r.doc);
  assert.equal(all(cal, 'CalendarFolder').length, 1);
  assert.equal(text(cal, 'FolderClass'), 'IPF.Appointment');
  assert.equal(all(tasks, 'TasksFolder').length, 1);
  assert.equal(all(contacts, 'ContactsFolder').length, 1);
  const ids = [cal, tasks, contacts].map((m) => one(m, 'FolderId').getAttribute('Id'));
  assert.equal(new Set(ids).size, 3, 'three distinct folders');
});

test('a calendar created by a CalDAV client appears as an IPF.Appointment folder under msgfolderroot', async () => {
  const home = davHomeUrl(tg.backends, user);
  const body = `<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:displayname>Team Rota</D:displayname><C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`;
  const res = await davRequest(tg.backends, user, "MKCALENDAR", new URL(`${home}rota/`).pathname, { body, headers: { "Content-Type": "application/xml" } });
  assert.ok(res.status === 201, `MKCALENDAR ${res.status}`);
  const r = await ews(tg, user, `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`);
  const rota = all(r.doc, 'CalendarFolder').find((f) => text(f, 'DisplayName') === 'Team Rota');
  assert.ok(rota, 'the new calendar is listed');
  assert.equal(text(rota!, 'FolderClass'), 'IPF.Appointment');
  assert.equal(all(rota!, 'DistinguishedFolderId').length, 0);
});
