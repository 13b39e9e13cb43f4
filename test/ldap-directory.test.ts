// The directory (global address list) behind ResolveNames and ExpandDL: a real
// OpenLDAP (test/harness/slapd.ts, fixtures/ldap/directory.ldif) next to the
// user's Radicale address book, an LDAP server that is down or never answers,
// and a CardDAV address book serving as the GAL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { Element } from '@xmldom/xmldom';
import type { TestUser } from './harness/backends.js';
import { backendsFromEnv, freePort } from './harness/backends.js';
import { davHomeUrl, davRequest } from './harness/clients.js';
import { seedUser } from './harness/seed.js';
import { startSlapd, type Slapd } from './harness/slapd.js';
import { M, T, all, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';
import { addressFilter, ambiguousNameFilter } from '../adapters/ldap/filter.js';
import { LdapDirectory } from '../adapters/ldap/ldap-directory.js';
import { DirectoryUnavailableError } from '../src/ports/directory.js';
import { ConfigError, loadConfig } from '../src/config.js';

let slapd: Slapd;
let tg: TestGateway;
let user: TestUser;
const stops: (() => Promise<void>)[] = [];

function ldapFlags(s: Slapd, extra: Record<string, string> = {}): Record<string, string> {
  return { ldapUrl: s.url, ldapBaseDn: s.baseDn, ldapBindDn: s.readerDn, ldapBindPassword: s.readerPassword, ...extra };
}

before(async () => {
  user = await backendsFromEnv().addUser();
  // The test user is in the directory too, under a name of its own.
  const local = user.email.split('@')[0]!;
  slapd = await startSlapd({
    extraLdif: [
      `dn: uid=${local},ou=People,dc=example,dc=test`,
      'objectClass: inetOrgPerson',
      `uid: ${local}`,
      'cn: Gateway Tester',
      'sn: Tester',
      `mail: ${user.email}`,
      '',
    ].join('\n'),
  });
  stops.push(() => slapd.stop());
  tg = await startTestGateway(ldapFlags(slapd));
  stops.push(() => tg.close());
  await seedUser(tg.backends, user, { mail: false, dav: true });
  // A personal contact with a directory person's address, and one of the user's own.
  for (const [given, sur, mail] of [
    ['John', 'Doe', 'john.doe@example.test'],
    ['Jonas', 'Personal', 'jonas@example.org'],
  ]) {
    const r = await ews(
      tg,
      user,
      `<m:CreateItem><m:SavedItemFolderId><t:DistinguishedFolderId Id="contacts"/></m:SavedItemFolderId><m:Items><t:Contact><t:GivenName>${given}</t:GivenName><t:EmailAddresses><t:Entry Key="EmailAddress1">${mail}</t:Entry></t:EmailAddresses><t:Surname>${sur}</t:Surname></t:Contact></m:Items></m:CreateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  }
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
});

function resolve(g: TestGateway, entry: string, opts: { scope?: string; full?: boolean; version?: string } = {}) {
  const scope = opts.scope ? ` SearchScope="${opts.scope}"` : '';
  return ews(
    g,
    user,
    `<m:ResolveNames ReturnFullContactData="${opts.full ? 'true' : 'false'}"${scope}><m:UnresolvedEntry>${entry}</m:UnresolvedEntry></m:ResolveNames>`,
    opts.version,
  );
}

/** Each resolution's mailbox: [name, address, MailboxType, has an ItemId]. */
function mailboxes(doc: Parameters<typeof all>[0]): [string | undefined, string | undefined, string | undefined, boolean][] {
  return all(doc, 'Resolution').map((r) => {
    const mb = one(r, 'Mailbox');
    return [text(mb, 'Name'), text(mb, 'EmailAddress'), text(mb, 'MailboxType'), all(mb, 'ItemId').length > 0];
  });
}

function responseClass(doc: Parameters<typeof all>[0]): string | null {
  return (all(doc, 'ResolveNamesResponseMessage', M)[0] as Element).getAttribute('ResponseClass');
}

// ------------------------------------------------------------ filter escaping (no server)

/** How often `needle` occurs in `hay`. */
function occurrences(hay: Buffer, needle: Buffer): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + 1)) n++;
  return n;
}

test('filter values are literals: "*)(uid=*" adds no clause and goes on the wire as its own bytes', () => {
  const text = '*)(uid=*';
  const f = ambiguousNameFilter(text);
  const s = f.toString();
  // The RFC 4515 string form escapes the metacharacters...
  assert.ok(s.includes('(cn=\\2a\\29\\28uid=\\2a*)'), s);
  assert.ok(!s.includes('(uid=*)'), s);
  // ...and the BER holds the text once per attribute searched (6 prefixes, 2 word matches), as one octet string each.
  assert.equal(occurrences(f.toBer().buffer, Buffer.from(text)), 8);
  assert.equal(occurrences(f.toBer().buffer, Buffer.from(` ${text}`)), 2);
  // A backslash, NUL and non-ASCII text too (the string parser of @ldapjs/filter would send "\\5c" as three characters).
  for (const v of ['a\\b*(c)\u0000', 'łukas']) {
    assert.equal(occurrences(addressFilter(v).toBer().buffer, Buffer.from(v, 'utf8')), 1, v);
    assert.equal(occurrences(ambiguousNameFilter(v).toBer().buffer, Buffer.from(v, 'utf8')), 8, v);
  }
  assert.ok(ambiguousNameFilter('łukas').toString().includes('(sn=\\c5\\82ukas*)'));
});

test('directory options: LDAP or an address book, each problem named', () => {
  const ldap = loadConfig({
    env: {
      EWSGATE_LDAP_URL: 'ldap://dir.example:389',
      EWSGATE_LDAP_BASE_DN: 'dc=example,dc=com',
      EWSGATE_LDAP_BIND_DN: 'cn=ro,dc=example,dc=com',
      EWSGATE_LDAP_BIND_PASSWORD: 'pw',
    },
  });
  assert.deepEqual(
    { ...ldap.directory, url: String((ldap.directory as { url: URL }).url) },
    { kind: 'ldap', url: 'ldap://dir.example:389', baseDn: 'dc=example,dc=com', bindDn: 'cn=ro,dc=example,dc=com', bindPassword: 'pw', timeoutMs: 5000 },
  );
  assert.deepEqual(loadConfig({ env: { EWSGATE_GAL_ADDRESSBOOK: 'Company Directory' } }).directory, { kind: 'addressbook', book: 'Company Directory' });
  assert.equal(loadConfig({ env: {} }).directory, undefined);
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig({ env });
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.problems.join('\n');
    }
    assert.fail(`accepted ${JSON.stringify(env)}`);
  };
  assert.match(problems({ EWSGATE_LDAP_URL: 'http://dir', EWSGATE_LDAP_BASE_DN: 'dc=x' }), /EWSGATE_LDAP_URL must be a ldap:\/\/ or ldaps:\/\/ URL/);
  assert.match(problems({ EWSGATE_LDAP_URL: 'ldap://dir' }), /EWSGATE_LDAP_BASE_DN is required/);
  assert.match(problems({ EWSGATE_LDAP_URL: 'ldap://dir', EWSGATE_LDAP_BASE_DN: 'example.com' }), /EWSGATE_LDAP_BASE_DN is not a DN/);
  assert.match(problems({ EWSGATE_LDAP_URL: 'ldap://dir', EWSGATE_LDAP_BASE_DN: 'dc=x', EWSGATE_GAL_ADDRESSBOOK: 'gal' }), /alternatives/);
  assert.match(problems({ EWSGATE_LDAP_BIND_DN: 'cn=ro' }), /EWSGATE_LDAP_BIND_DN needs EWSGATE_LDAP_URL/);
  assert.match(
    problems({ EWSGATE_LDAP_URL: 'ldap://dir', EWSGATE_LDAP_BASE_DN: 'dc=x', EWSGATE_LDAP_TIMEOUT_SECONDS: '0' }),
    /EWSGATE_LDAP_TIMEOUT_SECONDS must be a whole number/,
  );
});

// ------------------------------------------------------------ ResolveNames over LDAP

test('a unique directory match is a Mailbox of MailboxType Mailbox, without ItemId', async () => {
  const r = await resolve(tg, 'jane', { scope: 'ActiveDirectory' });
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  assert.deepEqual(mailboxes(r.doc), [['Jane Doerr', 'jane.doerr@example.test', 'Mailbox', false]]);
  assert.equal(all(r.doc, 'Contact').length, 0);
});

test('two people sharing a prefix: Warning ErrorNameResolutionMultipleResults with both', async () => {
  const r = await resolve(tg, 'Doe', { scope: 'ActiveDirectory' });
  assert.equal(responseClass(r.doc), 'Warning');
  assert.deepEqual(codes(r.doc), ['ErrorNameResolutionMultipleResults']);
  assert.deepEqual(
    mailboxes(r.doc)
      .map((m) => m[1])
      .sort(),
    ['jane.doerr@example.test', 'john.doe@example.test'],
  );
  assert.equal(one(r.doc, 'ResolutionSet', M).getAttribute('TotalItemsInView'), '2');
});

test('no match anywhere: ErrorNameResolutionNoResults', async () => {
  const r = await resolve(tg, 'zzzz-nobody');
  assert.equal(responseClass(r.doc), 'Error');
  assert.deepEqual(codes(r.doc), ['ErrorNameResolutionNoResults']);
});

test('a non-ASCII name is found by any of its words, an address by its start', async () => {
  for (const q of ['łukas', 'Renée', 'renee.luk', 'smtp:renee.lukasiewicz@example.test']) {
    const r = await resolve(tg, q, { scope: 'ActiveDirectory' });
    assert.deepEqual(mailboxes(r.doc), [['Renée Łukasiewicz', 'renee.lukasiewicz@example.test', 'Mailbox', false]], q);
  }
});

test('filter metacharacters in the query are matched literally', async () => {
  for (const q of ['*)(uid=*', ')', 'jane)(mail=*', '\\']) {
    const r = await resolve(tg, q, { scope: 'ActiveDirectory' });
    assert.deepEqual(codes(r.doc), ['ErrorNameResolutionNoResults'], `${q}: ${r.text.slice(0, 800)}`);
  }
  // "*" and "(" are no syntax: they find only the name with words starting with them.
  const star = [['Star (Ops) *Team\\Lead', 'star@example.test', 'Mailbox', false]];
  for (const q of ['*', '(', '(ops)', 'Star (Ops) *Team\\L', '*team']) {
    assert.deepEqual(mailboxes((await resolve(tg, q, { scope: 'ActiveDirectory' })).doc), star, q);
  }
});

test('SearchScope picks the sources and their order; an address is answered once', async () => {
  // Directory only / contacts only.
  assert.deepEqual(codes((await resolve(tg, 'alice', { scope: 'ActiveDirectory' })).doc), ['ErrorNameResolutionNoResults']);
  assert.deepEqual(mailboxes((await resolve(tg, 'alice', { scope: 'Contacts' })).doc), [['Alice Martin', 'alice.martin@example.org', 'Contact', true]]);
  assert.deepEqual(codes((await resolve(tg, 'jane', { scope: 'Contacts' })).doc), ['ErrorNameResolutionNoResults']);
  // John Doe is both in the directory and a personal contact: the first source in scope order answers.
  assert.deepEqual(mailboxes((await resolve(tg, 'john', { scope: 'ActiveDirectoryContacts' })).doc), [['John Doe', 'john.doe@example.test', 'Mailbox', false]]);
  assert.deepEqual(mailboxes((await resolve(tg, 'john', { scope: 'ContactsActiveDirectory' })).doc), [['John Doe', 'john.doe@example.test', 'Contact', true]]);
  assert.deepEqual(
    mailboxes((await resolve(tg, 'john', {})).doc),
    [['John Doe', 'john.doe@example.test', 'Mailbox', false]],
    'ActiveDirectoryContacts is the default',
  );
  // "jo": directory people first for ActiveDirectoryContacts, contacts first for ContactsActiveDirectory.
  const adFirst = mailboxes((await resolve(tg, 'jo', { scope: 'ActiveDirectoryContacts' })).doc);
  assert.deepEqual(
    adFirst.map((m) => [m[1], m[2]]),
    [
      ['john.doe@example.test', 'Mailbox'],
      ['jonas@example.org', 'Contact'],
    ],
  );
  const contactsFirst = mailboxes((await resolve(tg, 'jo', { scope: 'ContactsActiveDirectory' })).doc);
  assert.deepEqual(contactsFirst.map((m) => m[1]).sort(), ['john.doe@example.test', 'jonas@example.org']);
  assert.ok(
    contactsFirst.every((m) => m[2] === 'Contact'),
    JSON.stringify(contactsFirst),
  );
});

test('the user found in the directory is answered once, with the directory name', async () => {
  const r = await resolve(tg, user.email, { scope: 'ActiveDirectory' });
  assert.deepEqual(mailboxes(r.doc), [['Gateway Tester', user.email, 'Mailbox', false]]);
});

test('ReturnFullContactData: a t:Contact with the directory fields and ContactSource ActiveDirectory', async () => {
  const r = await resolve(tg, 'john.doe@example.test', { scope: 'ActiveDirectory', full: true });
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const c = one(r.doc, 'Contact');
  assert.equal(all(c, 'ItemId').length, 0);
  const fields = Object.fromEntries(
    ['DisplayName', 'GivenName', 'Surname', 'CompanyName', 'Department', 'JobTitle', 'OfficeLocation', 'ContactSource'].map((f) => [f, text(c, f)]),
  );
  assert.deepEqual(fields, {
    DisplayName: 'John Doe',
    GivenName: 'John',
    Surname: 'Doe',
    CompanyName: 'Example Corp',
    Department: 'Engineering',
    JobTitle: 'Staff Engineer',
    OfficeLocation: 'Berlin 4.12',
    ContactSource: 'ActiveDirectory',
  });
  const entries = (name: string) => Object.fromEntries(all(one(c, name), 'Entry').map((e) => [e.getAttribute('Key'), e.textContent]));
  assert.deepEqual(entries('EmailAddresses'), { EmailAddress1: 'SMTP:john.doe@example.test', EmailAddress2: 'SMTP:jd@example.test' });
  assert.deepEqual(entries('PhoneNumbers'), { BusinessPhone: '+49 30 1111', MobilePhone: '+49 170 1111' });
  // The elements in ContactItemType's schema order.
  const order = Array.from(c.childNodes)
    .filter((n) => n.nodeType === 1)
    .map((n) => (n as Element).localName);
  assert.deepEqual(order, [
    'DisplayName',
    'GivenName',
    'CompanyName',
    'EmailAddresses',
    'PhoneNumbers',
    'ContactSource',
    'Department',
    'JobTitle',
    'OfficeLocation',
    'Surname',
  ]);
  // Exchange 2007 has no ContactSource.
  const old = await resolve(tg, 'john.doe@example.test', { scope: 'ActiveDirectory', full: true, version: 'Exchange2007_SP1' });
  assert.equal(all(old.doc, 'ContactSource').length, 0);
  assert.equal(text(one(old.doc, 'Contact'), 'JobTitle'), 'Staff Engineer');
});

// ------------------------------------------------------------ groups

test('a directory group resolves as PublicDL and ExpandDL on its address lists its members', async () => {
  const r = await resolve(tg, 'Engineering', { scope: 'ActiveDirectory' });
  assert.deepEqual(mailboxes(r.doc), [['Engineering Team', 'engineering@example.test', 'PublicDL', false]]);
  const e = await ews(tg, user, `<m:ExpandDL><m:Mailbox><t:EmailAddress>engineering@example.test</t:EmailAddress></m:Mailbox></m:ExpandDL>`);
  assert.deepEqual(codes(e.doc), ['NoError'], e.text.slice(0, 1500));
  const members = all(one(e.doc, 'DLExpansion', M), 'Mailbox', T).map((m) => [text(m, 'Name'), text(m, 'EmailAddress'), text(m, 'MailboxType')]);
  assert.deepEqual(
    members.sort((a, b) => a[1]!.localeCompare(b[1]!)),
    [
      ['Jane Doerr', 'jane.doerr@example.test', 'Mailbox'],
      ['John Doe', 'john.doe@example.test', 'Mailbox'],
    ],
  );
  assert.equal(one(e.doc, 'DLExpansion', M).getAttribute('TotalItemsInView'), '2');
  // A person's address is no list.
  const person = await ews(tg, user, `<m:ExpandDL><m:Mailbox><t:EmailAddress>jane.doerr@example.test</t:EmailAddress></m:Mailbox></m:ExpandDL>`);
  assert.deepEqual(codes(person.doc), ['ErrorNameResolutionNoResults']);
});

// ------------------------------------------------------------ FindPeople

function findPeople(g: TestGateway, query: string, folder = '<t:DistinguishedFolderId Id="directory"/>') {
  return ews(
    g,
    user,
    `<m:FindPeople><m:PersonaShape><t:BaseShape>Default</t:BaseShape></m:PersonaShape><m:IndexedPageItemView BasePoint="Beginning" Offset="0" MaxEntriesReturned="50"/><m:ParentFolderId>${folder}</m:ParentFolderId><m:QueryString>${query}</m:QueryString></m:FindPeople>`,
  );
}

test('FindPeople in the directory folder searches the directory; elsewhere the address books', async () => {
  const r = await findPeople(tg, 'doe');
  assert.equal(text(r.doc, 'ResponseCode', M), 'NoError', r.text.slice(0, 1500));
  const people = all(r.doc, 'Persona').map((p) => [
    text(p, 'DisplayName'),
    text(one(p, 'EmailAddress'), 'EmailAddress'),
    text(one(p, 'EmailAddress'), 'MailboxType'),
    text(p, 'Title'),
  ]);
  assert.deepEqual(people, [
    ['Jane Doerr', 'jane.doerr@example.test', 'Mailbox', 'Director'],
    ['John Doe', 'john.doe@example.test', 'Mailbox', 'Staff Engineer'],
  ]);
  assert.equal(text(r.doc, 'TotalNumberOfPeopleInView', M), '2');
  // The user's contacts folder: the personal John Doe only.
  const contacts = await findPeople(tg, 'doe', '<t:DistinguishedFolderId Id="contacts"/>');
  assert.deepEqual(
    all(contacts.doc, 'Persona').map((p) => text(one(p, 'EmailAddress'), 'MailboxType')),
    ['Contact'],
  );
});

// ------------------------------------------------------------ the directory unavailable

test('LDAP down: address-book matches still answered; nothing else to answer is ErrorADUnavailable', async () => {
  const closed = await freePort();
  const g = await startTestGateway(ldapFlags(slapd, { ldapUrl: `ldap://127.0.0.1:${closed}` }));
  try {
    const alice = await resolve(g, 'alice');
    assert.deepEqual(codes(alice.doc), ['NoError'], alice.text.slice(0, 1500));
    assert.deepEqual(mailboxes(alice.doc), [['Alice Martin', 'alice.martin@example.org', 'Contact', true]]);
    const jane = await resolve(g, 'jane');
    assert.deepEqual(codes(jane.doc), ['ErrorADUnavailable']);
    assert.match(text(jane.doc, 'MessageText', M) ?? '', /ECONNREFUSED/);
    assert.deepEqual(codes((await resolve(g, 'alice', { scope: 'ActiveDirectory' })).doc), ['ErrorADUnavailable']);
    assert.deepEqual(mailboxes((await resolve(g, 'alice', { scope: 'Contacts' })).doc).length, 1);
    const e = await ews(g, user, `<m:ExpandDL><m:Mailbox><t:EmailAddress>engineering@example.test</t:EmailAddress></m:Mailbox></m:ExpandDL>`);
    assert.deepEqual(codes(e.doc), ['ErrorADUnavailable']);
    const p = await findPeople(g, 'doe');
    assert.equal(text(p.doc, 'ResponseCode', M), 'ErrorADUnavailable');
  } finally {
    await g.close();
  }
});

test('an LDAP server that never answers times out into ErrorADUnavailable', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const port = (silent.address() as net.AddressInfo).port;
  const g = await startTestGateway(ldapFlags(slapd, { ldapUrl: `ldap://127.0.0.1:${port}`, ldapTimeoutSeconds: '1' }));
  try {
    const jane = await resolve(g, 'jane');
    assert.deepEqual(codes(jane.doc), ['ErrorADUnavailable'], jane.text.slice(0, 1500));
    const alice = await resolve(g, 'alice');
    assert.deepEqual(
      mailboxes(alice.doc).map((m) => m[1]),
      ['alice.martin@example.org'],
    );
  } finally {
    await g.close();
    for (const s of sockets) s.destroy();
    await new Promise((r) => silent.close(r));
  }
});

test('a refused bind credential is a precise error, not an empty directory', async () => {
  const d = new LdapDirectory({ url: slapd.url, baseDn: slapd.baseDn, bindDn: slapd.readerDn, bindPassword: 'wrong', timeoutMs: 5000 });
  await assert.rejects(
    d.search('jane', 10),
    (e: unknown) => e instanceof DirectoryUnavailableError && /refused the bind as cn=reader/.test(e.message) && /Invalid Credentials/i.test(e.message),
  );
  const g = await startTestGateway(ldapFlags(slapd, { ldapBindPassword: 'wrong' }));
  try {
    assert.deepEqual(codes((await resolve(g, 'jane')).doc), ['ErrorADUnavailable']);
  } finally {
    await g.close();
  }
});

// ------------------------------------------------------------ an address book as the GAL

test('EWSGATE_GAL_ADDRESSBOOK: a CardDAV address book answers as the directory', async () => {
  const bookUrl = new URL('company-directory/', davHomeUrl(tg.backends, user)).toString();
  const mk = await davRequest(tg.backends, user, 'MKCOL', bookUrl, {
    body: `<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype><D:displayname>Company Directory</D:displayname></D:prop></D:set></D:mkcol>`,
  });
  assert.equal(mk.status, 201, await mk.text());
  const card = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    'UID:greta-gal',
    'FN:Greta Galbraith',
    'N:Galbraith;Greta;;;',
    'EMAIL;TYPE=INTERNET:greta@example.test',
    'TITLE:Auditor',
    'ORG:Example Corp;Finance',
    'TEL;TYPE=WORK:+49 30 2222',
    'END:VCARD',
    '',
  ].join('\r\n');
  const put = await davRequest(tg.backends, user, 'PUT', new URL('greta.vcf', bookUrl).toString(), {
    body: card,
    headers: { 'Content-Type': 'text/vcard; charset=utf-8' },
  });
  assert.equal(put.status, 201);
  for (const book of ['Company Directory', new URL(bookUrl).pathname]) {
    const g = await startTestGateway({ galAddressBook: book });
    try {
      const r = await resolve(g, 'greta', { scope: 'ActiveDirectory', full: true });
      assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
      assert.deepEqual(mailboxes(r.doc), [['Greta Galbraith', 'greta@example.test', 'Mailbox', false]], book);
      assert.equal(text(one(r.doc, 'Contact'), 'JobTitle'), 'Auditor');
      assert.equal(text(one(r.doc, 'Contact'), 'Department'), 'Finance');
      // The book is also one of the user's: the directory answers first, the contact is not repeated.
      assert.deepEqual(
        mailboxes((await resolve(g, 'greta')).doc).map((m) => m[2]),
        ['Mailbox'],
      );
      assert.deepEqual(
        mailboxes((await resolve(g, 'alice', { scope: 'Contacts' })).doc).map((m) => m[1]),
        ['alice.martin@example.org'],
      );
    } finally {
      await g.close();
    }
  }
  const missing = await startTestGateway({ galAddressBook: 'No Such Book' });
  try {
    const r = await resolve(missing, 'greta', { scope: 'ActiveDirectory' });
    assert.deepEqual(codes(r.doc), ['ErrorADUnavailable']);
    assert.match(text(r.doc, 'MessageText', M) ?? '', /No Such Book/);
  } finally {
    await missing.close();
  }
});
