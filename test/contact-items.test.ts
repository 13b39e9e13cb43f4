// Contacts through EWS against Radicale: what an EWS client writes is a vCard a
// CardDAV client reads, and what a CardDAV client writes is a Contact EWS serves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { davRequest } from './harness/clients.js';
import { seedUser, type SeedResult } from './harness/seed.js';
import { M, all, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let user: TestUser;
let seeded: SeedResult;

const contactsFolder = '<t:DistinguishedFolderId Id="contacts"/>';

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
});

after(async () => {
  await tg.close();
});

async function findAll(shape = 'Default') {
  const r = await ews(tg, user, `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>${shape}</t:BaseShape></m:ItemShape><m:ParentFolderIds>${contactsFolder}</m:ParentFolderIds></m:FindItem>`);
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  return r;
}

const path = (href: string) => new URL(href, 'http://x/').pathname;

test('the seeded vCards are Contacts, sorted by FileAs, with their e-mail addresses', async () => {
  const r = await findAll();
  const names = all(r.doc, 'Contact').map((c) => text(c, 'DisplayName'));
  assert.equal(names.length, seeded.dav!.contacts.length);
  const id = one(r.doc, 'ItemId').getAttribute('Id')!;
  const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
  assert.deepEqual(codes(got.doc), ['NoError']);
  assert.ok(all(got.doc, 'Entry').some((e) => /@/.test(e.textContent ?? '')), 'an e-mail address entry');
});

test('CreateItem → a vCard in Radicale; UpdateItem → the vCard changes; DeleteItem → it is gone', async () => {
  const r = await ews(
    tg,
    user,
    `<m:CreateItem><m:SavedItemFolderId>${contactsFolder}</m:SavedItemFolderId><m:Items><t:Contact><t:GivenName>Hedwig</t:GivenName><t:Surname>Kowalski</t:Surname><t:EmailAddresses><t:Entry Key="EmailAddress1">hedwig@example.org</t:Entry></t:EmailAddresses><t:PhoneNumbers><t:Entry Key="BusinessPhone">+49 30 1234</t:Entry></t:PhoneNumbers></t:Contact></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const id = one(r.doc, 'ItemId').getAttribute('Id')!;
  const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:ParentFolderId"/></t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
  assert.equal(text(got.doc, 'Surname'), 'Kowalski');
  const listing = await davRequest(tg.backends, user, 'PROPFIND', path(seeded.dav!.addressBookUrl), { depth: '1' });
  const xml = await listing.text();
  const hrefs = [...xml.matchAll(/<(?:\w+:)?href>([^<]+\.vcf)<\/(?:\w+:)?href>/g)].map((m) => m[1]);
  const cards = await Promise.all(hrefs.map(async (h) => (await davRequest(tg.backends, user, 'GET', path(h))).text()));
  const card = cards.find((c) => c.includes('Kowalski'));
  assert.ok(card, 'the new contact is a vCard in Radicale');
  assert.match(card!, /hedwig@example\.org/);

  const upd = await ews(
    tg,
    user,
    `<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="contacts:JobTitle"/><t:Contact><t:JobTitle>Chief Archivist</t:JobTitle></t:Contact></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
  );
  assert.deepEqual(codes(upd.doc), ['NoError'], upd.text.slice(0, 1500));
  const after = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
  assert.equal(text(after.doc, 'JobTitle'), 'Chief Archivist');

  const del = await ews(tg, user, `<m:DeleteItem DeleteType="HardDelete"><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:DeleteItem>`);
  assert.deepEqual(codes(del.doc), ['NoError']);
  const gone = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
  assert.deepEqual(codes(gone.doc), ['ErrorItemNotFound']);
});

test('SyncFolderItems on contacts reports what a CardDAV client changed', async () => {
  const sync = (state?: string) =>
    ews(tg, user, `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="contacts:DisplayName"/></t:AdditionalProperties></m:ItemShape><m:SyncFolderId>${contactsFolder}</m:SyncFolderId>${state ? `<m:SyncState>${state}</m:SyncState>` : ''}<m:MaxChangesReturned>100</m:MaxChangesReturned></m:SyncFolderItems>`);
  const first = await sync();
  assert.deepEqual(codes(first.doc), ['NoError'], first.text.slice(0, 1500));
  assert.equal(all(first.doc, 'Create').length, all((await findAll('IdOnly')).doc, 'Contact').length);
  const state = text(first.doc, 'SyncState', M)!;
  const card = 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:sync-test-1\r\nFN:Nadia Okafor\r\nN:Okafor;Nadia;;;\r\nEMAIL:nadia@example.org\r\nEND:VCARD\r\n';
  const put = await davRequest(tg.backends, user, 'PUT', `${path(seeded.dav!.addressBookUrl)}sync-test-1.vcf`, { body: card, headers: { 'Content-Type': 'text/vcard' } });
  assert.ok(put.status === 201 || put.status === 204, `PUT ${put.status}`);
  await davRequest(tg.backends, user, 'DELETE', path(seeded.dav!.contacts[0]));
  const next = await sync(state);
  assert.deepEqual(codes(next.doc), ['NoError'], next.text.slice(0, 1500));
  assert.deepEqual(all(next.doc, 'Create').map((c) => text(c, 'DisplayName')), ['Nadia Okafor']);
  assert.equal(all(next.doc, 'Delete').length, 1);
});

test('ResolveNames: one match, several (Warning), none (Error), and full contact data', async () => {
  const one1 = await ews(tg, user, `<m:ResolveNames ReturnFullContactData="true" SearchScope="ActiveDirectoryContacts"><m:UnresolvedEntry>zoë</m:UnresolvedEntry></m:ResolveNames>`);
  assert.deepEqual(codes(one1.doc), ['NoError'], one1.text.slice(0, 1500));
  assert.match(text(one(one1.doc, 'Mailbox'), 'EmailAddress') ?? '', /@/);
  assert.equal(all(one1.doc, 'Contact').length, 1);
  const none = await ews(tg, user, `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>zzzz-nobody</m:UnresolvedEntry></m:ResolveNames>`);
  assert.deepEqual(codes(none.doc), ['ErrorNameResolutionNoResults']);
  const many = await ews(tg, user, `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>example</m:UnresolvedEntry></m:ResolveNames>`);
  const msg = all(many.doc, 'ResolveNamesResponseMessage', M)[0];
  if (all(many.doc, 'Resolution').length > 1) {
    assert.equal(msg.getAttribute('ResponseClass'), 'Warning');
    assert.deepEqual(codes(many.doc), ['ErrorNameResolutionMultipleResults']);
  }
});

test('ExpandDL lists the members of a distribution list created through EWS', async () => {
  const r = await ews(
    tg,
    user,
    `<m:CreateItem><m:SavedItemFolderId>${contactsFolder}</m:SavedItemFolderId><m:Items><t:DistributionList><t:DisplayName>Reading Group</t:DisplayName><t:Members><t:Member><t:Mailbox><t:Name>Ann Example</t:Name><t:EmailAddress>ann@example.org</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>OneOff</t:MailboxType></t:Mailbox></t:Member><t:Member><t:Mailbox><t:Name>Ben Example</t:Name><t:EmailAddress>ben@example.org</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>OneOff</t:MailboxType></t:Mailbox></t:Member></t:Members></t:DistributionList></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const id = one(r.doc, 'ItemId').getAttribute('Id')!;
  const e = await ews(tg, user, `<m:ExpandDL><m:Mailbox><t:ItemId Id="${id}"/></m:Mailbox></m:ExpandDL>`);
  assert.deepEqual(codes(e.doc), ['NoError'], e.text.slice(0, 1500));
  assert.deepEqual(all(one(e.doc, 'DLExpansion', M), 'EmailAddress').map((a) => a.textContent).sort(), ['ann@example.org', 'ben@example.org']);
});
