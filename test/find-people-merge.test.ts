// FindPeople links one person's entries into one Persona, as Exchange does:
// contacts in several of the user's Radicale address books and a directory
// entry (a real OpenLDAP, test/harness/slapd.ts) that share an e-mail address
// come back as one Persona whose EmailAddresses are the union of theirs and
// whose Attributions name each source (contact: writable, with its folder;
// directory: read-only, no folder).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmldom/xmldom';
import type { TestUser } from './harness/backends.js';
import { backendsFromEnv } from './harness/backends.js';
import { seedUser } from './harness/seed.js';
import { startSlapd, type Slapd } from './harness/slapd.js';
import { M, all, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';

let user: TestUser;
let slapd: Slapd;
let tg: TestGateway;
const stops: (() => Promise<void>)[] = [];
let contactsId = '';
let workId = '';
const ids: Record<string, string> = {};

const contactsFolder = '<t:DistinguishedFolderId Id="contacts"/>';

async function createContact(name: string, folderXml: string, body: string): Promise<void> {
  const r = await ews(tg, user, `<m:CreateItem><m:SavedItemFolderId>${folderXml}</m:SavedItemFolderId><m:Items><t:Contact>${body}</t:Contact></m:Items></m:CreateItem>`);
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  ids[name] = one(r.doc, 'ItemId').getAttribute('Id')!;
}

const emails = (...list: string[]) => `<t:EmailAddresses>${list.map((a, i) => `<t:Entry Key="EmailAddress${i + 1}">${a}</t:Entry>`).join('')}</t:EmailAddresses>`;

before(async () => {
  user = await backendsFromEnv().addUser();
  slapd = await startSlapd();
  stops.push(() => slapd.stop());
  tg = await startTestGateway({ ldapUrl: slapd.url, ldapBaseDn: slapd.baseDn, ldapBindDn: slapd.readerDn, ldapBindPassword: slapd.readerPassword });
  stops.push(() => tg.close());
  await seedUser(tg.backends, user, { mail: false, dav: true });
  const folder = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${contactsFolder}</m:FolderIds></m:GetFolder>`);
  contactsId = one(folder.doc, 'FolderId').getAttribute('Id')!;
  const made = await ews(tg, user, `<m:CreateFolder><m:ParentFolderId>${contactsFolder}</m:ParentFolderId><m:Folders><t:ContactsFolder><t:DisplayName>Work People</t:DisplayName></t:ContactsFolder></m:Folders></m:CreateFolder>`);
  assert.deepEqual(codes(made.doc), ['NoError'], made.text.slice(0, 1500));
  workId = one(made.doc, 'FolderId').getAttribute('Id')!;
  const work = `<t:FolderId Id="${workId}"/>`;
  // The seeded Bob Stone (Contacts) has bob.stone@example.org and bob@stone.example.net.
  await createContact('robert', work, `<t:DisplayName>Robert Stone</t:DisplayName>${emails('bob@stone.example.net', 'rstone@work.example.com')}<t:GivenName>Robert</t:GivenName><t:Surname>Stone</t:Surname>`);
  // A directory person (fixtures/ldap/directory.ldif: john.doe@example.test, jd@example.test) the user also keeps.
  await createContact('john', contactsFolder, `<t:DisplayName>Johnny</t:DisplayName>${emails('JOHN.DOE@example.test', 'johnny@home.example.net')}<t:GivenName>Johnny</t:GivenName>`);
  // Two contacts without any address are never linked, even with the same name.
  await createContact('zed1', work, '<t:DisplayName>Zed Alone</t:DisplayName><t:GivenName>Zed</t:GivenName>');
  await createContact('zed2', work, '<t:DisplayName>Zed Alone</t:DisplayName><t:GivenName>Zed</t:GivenName>');
  // Carla One and Carla Two share nothing; Carla Both has both their addresses: one person.
  await createContact('carla1', contactsFolder, `<t:DisplayName>Carla One</t:DisplayName>${emails('carla@one.example')}<t:GivenName>Carla</t:GivenName>`);
  await createContact('carla2', work, `<t:DisplayName>Carla Two</t:DisplayName>${emails('carla@two.example')}<t:GivenName>Carla</t:GivenName>`);
  await createContact('carla3', work, `<t:DisplayName>Carla Both</t:DisplayName>${emails('carla@two.example', 'carla@one.example')}<t:GivenName>Carla</t:GivenName>`);
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
});

function findPeople(body: string) {
  return ews(tg, user, `<m:FindPeople><m:PersonaShape><t:BaseShape>AllProperties</t:BaseShape></m:PersonaShape><m:IndexedPageItemView BasePoint="Beginning" Offset="0" MaxEntriesReturned="100"/>${body}</m:FindPeople>`);
}

function people(r: Awaited<ReturnType<typeof ews>>): Element[] {
  const resp = one(r.doc, 'FindPeopleResponse', M);
  assert.equal(resp.getAttribute('ResponseClass'), 'Success', r.text.slice(0, 2000));
  return all(resp, 'Persona');
}

const addresses = (p: Element) => all(one(p, 'EmailAddresses'), 'Address').map((a) => [text(a, 'EmailAddress'), text(a, 'MailboxType')]);
const attributions = (p: Element) =>
  all(one(p, 'Attributions'), 'Attribution').map((a) => ({
    id: text(a, 'Id'),
    source: one(a, 'SourceId').getAttribute('Id'),
    name: text(a, 'DisplayName'),
    writable: text(a, 'IsWritable'),
    folder: all(a, 'FolderId')[0]?.getAttribute('Id'),
  }));

test('a person in two address books is one Persona: the default Contacts entry first, the addresses combined', async () => {
  for (const query of ['stone', 'rstone']) {
    const found = people(await findPeople(`<m:QueryString>${query}</m:QueryString>`));
    assert.equal(found.length, 1, `"${query}": ${found.map((p) => text(p, 'DisplayName'))}`);
    const bob = found[0]!;
    assert.equal(text(bob, 'DisplayName'), 'Bob Stone');
    assert.deepEqual(addresses(bob), [
      ['bob.stone@example.org', 'Contact'],
      ['bob@stone.example.net', 'Contact'],
      ['rstone@work.example.com', 'Contact'],
    ]);
    const attr = attributions(bob);
    assert.equal(attr.length, 2);
    assert.deepEqual(attr.map((a) => [a.id, a.writable, a.folder]), [
      ['0', 'true', contactsId],
      ['1', 'true', workId],
    ]);
    assert.equal(attr[1]!.source, ids.robert);
    assert.equal(attr[0]!.source, one(bob, 'PersonaId').getAttribute('Id'));
    // the PersonaId is the first contact's ItemId
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="contacts:DisplayName"/></t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${attr[0]!.source}"/></m:ItemIds></m:GetItem>`);
    assert.equal(text(got.doc, 'DisplayName'), 'Bob Stone');
  }
});

test('linking is transitive; people without an address are never linked', async () => {
  const carla = people(await findPeople('<m:QueryString>carla</m:QueryString>'));
  assert.equal(carla.length, 1, carla.map((p) => text(p, 'DisplayName')).join(', '));
  assert.equal(text(carla[0]!, 'DisplayName'), 'Carla One');
  assert.deepEqual(addresses(carla[0]!).map((a) => a[0]).sort(), ['carla@one.example', 'carla@two.example']);
  assert.deepEqual(attributions(carla[0]!).map((a) => a.source).sort(), [ids.carla1, ids.carla2, ids.carla3].sort());
  const zed = people(await findPeople('<m:QueryString>zed</m:QueryString>'));
  assert.deepEqual(zed.map((p) => one(p, 'PersonaId').getAttribute('Id')).sort(), [ids.zed1, ids.zed2].sort());
});

test('the whole list counts persons, not contacts; one address book alone links only within itself', async () => {
  const everyone = people(await findPeople(''));
  assert.deepEqual(everyone.map((p) => text(p, 'DisplayName')), ['Alice Martin', 'Bob Stone', 'Carla One', 'Johnny', 'Zed Alone', 'Zed Alone', 'Zoë Müller']);
  const work = people(await findPeople(`<m:ParentFolderId><t:FolderId Id="${workId}"/></m:ParentFolderId>`));
  // Within one book which Carla card is the persona's own follows the ids: either is right.
  assert.deepEqual(work.map((p) => text(p, 'DisplayName')!.replace(/^Carla (Two|Both)$/, 'Carla')), ['Carla', 'Robert Stone', 'Zed Alone', 'Zed Alone']);
  const carla = work[0]!;
  assert.equal(attributions(carla).length, 2, 'Carla Two and Carla Both share carla@two.example');
  assert.equal(attributions(work[1]!).length, 1);
});

test('a restriction on any linked address finds the person; Default shape carries no Attributions', async () => {
  const r = await ews(
    tg,
    user,
    `<m:FindPeople><m:PersonaShape><t:BaseShape>Default</t:BaseShape></m:PersonaShape><m:IndexedPageItemView BasePoint="Beginning" Offset="0" MaxEntriesReturned="10"/><m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="persona:EmailAddresses"/><t:Constant Value="rstone@work"/></t:Contains></m:Restriction></m:FindPeople>`,
  );
  const found = people(r);
  assert.deepEqual(found.map((p) => text(p, 'DisplayName')), ['Bob Stone']);
  assert.equal(all(found[0]!, 'Attributions').length, 0);
});

test('the directory: a GAL entry and the user\'s own contact of that person are one Persona, the directory entry its own', async () => {
  const r = await findPeople('<m:ParentFolderId><t:DistinguishedFolderId Id="directory"/></m:ParentFolderId><m:QueryString>doe</m:QueryString>');
  const found = people(r);
  assert.deepEqual(found.map((p) => text(p, 'DisplayName')), ['Jane Doerr', 'John Doe']);
  const john = found[1]!;
  assert.equal(text(john, 'Title'), 'Staff Engineer');
  assert.deepEqual(text(one(john, 'EmailAddress'), 'MailboxType'), 'Mailbox');
  assert.deepEqual(addresses(john), [
    ['john.doe@example.test', 'Mailbox'],
    ['jd@example.test', 'Mailbox'],
    ['johnny@home.example.net', 'Contact'],
  ]);
  const attr = attributions(john);
  assert.deepEqual(attr.map((a) => [a.id, a.writable, a.folder]), [
    ['0', 'false', undefined],
    ['1', 'true', contactsId],
  ]);
  assert.equal(attr[0]!.source, one(john, 'PersonaId').getAttribute('Id'));
  assert.equal(attr[1]!.source, ids.john);
  assert.equal(attributions(found[0]!).length, 1, 'Jane is in the directory only');
  assert.equal(text(r.doc, 'TotalNumberOfPeopleInView', M), '2');
});
