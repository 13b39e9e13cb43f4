// ResolveNames with a leading "=": an exact match, as DavMail asks for its LDAP
// gateway's equality filters (EwsExchangeSession.galFind: "=" + value, with
// "smtp:" before an address, the value lower-cased) and as Outlook's ANR reads
// it. An equal address (any of a contact's three; any mail of a directory
// entry) or an equal display name, case-insensitively; never a prefix or a word.
// Over the user's Radicale address books and over a real OpenLDAP
// (test/harness/slapd.ts, fixtures/ldap/directory.ldif).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { backendsFromEnv, freePort } from './harness/backends.js';
import { seedUser } from './harness/seed.js';
import { startSlapd, type Slapd } from './harness/slapd.js';
import { M, all, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';
import { LdapDirectory } from '../adapters/ldap/ldap-directory.js';
import { DirectoryUnavailableError } from '../src/ports/directory.js';

let user: TestUser;
let books: TestGateway;
let slapd: Slapd;
let withLdap: TestGateway;
const stops: (() => Promise<void>)[] = [];

before(async () => {
  user = await backendsFromEnv().addUser();
  books = await startTestGateway();
  stops.push(() => books.close());
  await seedUser(books.backends, user, { mail: false, dav: true });
  // Two contacts whose names share a prefix, the shorter one a whole word of the longer.
  for (const [given, sur, mail] of [
    ['Ann', 'Exact', 'ann.exact@example.org'],
    ['Ann', 'Exactly', 'ann.exactly@example.org'],
  ]) {
    const r = await ews(
      books,
      user,
      `<m:CreateItem><m:SavedItemFolderId><t:DistinguishedFolderId Id="contacts"/></m:SavedItemFolderId><m:Items><t:Contact><t:GivenName>${given}</t:GivenName><t:EmailAddresses><t:Entry Key="EmailAddress1">${mail}</t:Entry></t:EmailAddresses><t:Surname>${sur}</t:Surname></t:Contact></m:Items></m:CreateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  }
  slapd = await startSlapd();
  stops.push(() => slapd.stop());
  withLdap = await startTestGateway({ ldapUrl: slapd.url, ldapBaseDn: slapd.baseDn, ldapBindDn: slapd.readerDn, ldapBindPassword: slapd.readerPassword });
  stops.push(() => withLdap.close());
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
});

function resolve(g: TestGateway, entry: string, scope?: string) {
  return ews(g, user, `<m:ResolveNames ReturnFullContactData="false"${scope ? ` SearchScope="${scope}"` : ''}><m:UnresolvedEntry>${entry}</m:UnresolvedEntry></m:ResolveNames>`);
}

/** [code, the resolved addresses] */
async function resolved(g: TestGateway, entry: string, scope?: string): Promise<[string, string[]]> {
  const r = await resolve(g, entry, scope);
  const c = codes(r.doc);
  assert.equal(c.length, 1, r.text.slice(0, 1500));
  return [c[0]!, all(r.doc, 'Resolution').map((res) => text(one(res, 'Mailbox'), 'EmailAddress') ?? '')];
}

describe('exact match over the address books', () => {
  test('"=" + a display name: that contact alone, where the ambiguous form finds both', async () => {
    assert.deepEqual(await resolved(books, '=Ann Exact', 'Contacts'), ['NoError', ['ann.exact@example.org']]);
    const ambiguous = await resolved(books, 'Ann Exact', 'Contacts');
    assert.equal(ambiguous[0], 'ErrorNameResolutionMultipleResults');
    assert.deepEqual(ambiguous[1].sort(), ['ann.exact@example.org', 'ann.exactly@example.org']);
  });

  test('case-insensitive (DavMail lower-cases the value), non-ASCII included', async () => {
    assert.deepEqual(await resolved(books, '=ann exact', 'Contacts'), ['NoError', ['ann.exact@example.org']]);
    assert.deepEqual(await resolved(books, '=zoë müller', 'Contacts'), ['NoError', ['zoe.mueller@example.org']]);
  });

  test('"=smtp:" + an address: any of the contact\'s addresses, compared whole', async () => {
    assert.deepEqual(await resolved(books, '=smtp:bob@stone.example.net', 'Contacts'), ['NoError', ['bob.stone@example.org']]);
    assert.deepEqual(await resolved(books, '=SMTP:ANN.EXACTLY@example.org', 'Contacts'), ['NoError', ['ann.exactly@example.org']]);
    assert.deepEqual(await resolved(books, '=ann.exact@example.org', 'Contacts'), ['NoError', ['ann.exact@example.org']]);
    assert.deepEqual(await resolved(books, '=smtp:bob', 'Contacts'), ['ErrorNameResolutionNoResults', []]);
    // An address prefix is no name either.
    assert.deepEqual(await resolved(books, '=smtp:Ann Exact', 'Contacts'), ['ErrorNameResolutionNoResults', []]);
  });

  test('a prefix or a single word of a name is no exact match', async () => {
    assert.deepEqual(await resolved(books, '=bob', 'Contacts'), ['ErrorNameResolutionNoResults', []]);
    assert.deepEqual(await resolved(books, '=Exact', 'Contacts'), ['ErrorNameResolutionNoResults', []]);
    assert.deepEqual(await resolved(books, '=Ann', 'Contacts'), ['ErrorNameResolutionNoResults', []]);
    // the same words without "=" resolve
    assert.equal((await resolved(books, 'bob', 'Contacts'))[0], 'NoError');
  });

  test('the user\'s own mailbox only for its whole address', async () => {
    assert.deepEqual(await resolved(books, `=smtp:${user.email}`, 'ActiveDirectory'), ['NoError', [user.email]]);
    const prefix = user.email.slice(0, Math.max(3, user.email.indexOf('@') - 1));
    assert.deepEqual(await resolved(books, `=${prefix}`, 'ActiveDirectory'), ['ErrorNameResolutionNoResults', []]);
  });

  test('an address book serving as the directory (CardDavDirectory.searchExact)', async () => {
    const g = await startTestGateway({ galAddressBook: 'Contacts' });
    try {
      assert.deepEqual(await resolved(g, '=smtp:zoe@mueller.example.de', 'ActiveDirectory'), ['NoError', ['zoe.mueller@example.org']]);
      assert.deepEqual(await resolved(g, '=ANN EXACT', 'ActiveDirectory'), ['NoError', ['ann.exact@example.org']]);
      assert.deepEqual(await resolved(g, '=Ann Exac', 'ActiveDirectory'), ['ErrorNameResolutionNoResults', []]);
      assert.deepEqual(await resolved(g, '=smtp:Ann Exact', 'ActiveDirectory'), ['ErrorNameResolutionNoResults', []]);
      const r = await resolve(g, '=ann exact', 'ActiveDirectory');
      assert.equal(text(one(r.doc, 'Mailbox'), 'MailboxType'), 'Mailbox');
    } finally {
      await g.close();
    }
  });

  test('"=" alone resolves nothing', async () => {
    assert.deepEqual(await resolved(books, '=', 'Contacts'), ['ErrorNameResolutionNoResults', []]);
    assert.deepEqual(await resolved(books, '= smtp:', 'Contacts'), ['ErrorNameResolutionNoResults', []]);
  });
});

describe('exact match over LDAP (an equality filter)', () => {
  test('"=" + a cn: that entry, not the entries it is a prefix of', async () => {
    assert.deepEqual(await resolved(withLdap, '=John Doe', 'ActiveDirectory'), ['NoError', ['john.doe@example.test']]);
    assert.deepEqual(await resolved(withLdap, '=john doe', 'ActiveDirectory'), ['NoError', ['john.doe@example.test']]);
    assert.deepEqual(await resolved(withLdap, '=Jane', 'ActiveDirectory'), ['ErrorNameResolutionNoResults', []]);
    assert.deepEqual(await resolved(withLdap, '=Doe', 'ActiveDirectory'), ['ErrorNameResolutionNoResults', []]);
    // "Jane" alone is Jane Doerr's prefix
    assert.deepEqual(await resolved(withLdap, 'Jane', 'ActiveDirectory'), ['NoError', ['jane.doerr@example.test']]);
  });

  test('"=smtp:" + any of an entry\'s mail values; a name is not compared then', async () => {
    assert.deepEqual(await resolved(withLdap, '=smtp:jd@example.test', 'ActiveDirectory'), ['NoError', ['john.doe@example.test']]);
    assert.deepEqual(await resolved(withLdap, '=smtp:john.doe', 'ActiveDirectory'), ['ErrorNameResolutionNoResults', []]);
    assert.deepEqual(await resolved(withLdap, '=smtp:John Doe', 'ActiveDirectory'), ['ErrorNameResolutionNoResults', []]);
    assert.deepEqual(await resolved(withLdap, '=smtp:engineering@example.test', 'ActiveDirectory'), ['NoError', ['engineering@example.test']]);
  });

  test('filter metacharacters and non-ASCII are literal values', async () => {
    assert.deepEqual(await resolved(withLdap, '=Star (Ops) *Team\\Lead', 'ActiveDirectory'), ['NoError', ['star@example.test']]);
    assert.deepEqual(await resolved(withLdap, '=Star (Ops) *', 'ActiveDirectory'), ['ErrorNameResolutionNoResults', []]);
    assert.deepEqual(await resolved(withLdap, '=*', 'ActiveDirectory'), ['ErrorNameResolutionNoResults', []]);
    assert.deepEqual(await resolved(withLdap, '=Renée Łukasiewicz', 'ActiveDirectory'), ['NoError', ['renee.lukasiewicz@example.test']]);
  });

  test("default scope: a directory entry as a Mailbox, an address-book contact as a Contact", async () => {
    // john.doe@example.test is only in the directory; with the default scope it still resolves once
    const r = await resolve(withLdap, '=smtp:john.doe@example.test');
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    assert.deepEqual(all(r.doc, 'Resolution').map((res) => text(one(res, 'Mailbox'), 'MailboxType')), ['Mailbox']);
    const alice = await resolve(withLdap, '=Alice Martin');
    assert.deepEqual(codes(alice.doc), ['NoError'], alice.text.slice(0, 1500));
    assert.deepEqual(all(alice.doc, 'Resolution').map((res) => [text(one(res, 'Mailbox'), 'EmailAddress'), text(one(res, 'Mailbox'), 'MailboxType')]), [['alice.martin@example.org', 'Contact']]);
  });

  test('the adapter itself: searchExact against slapd, and a server that is down', async () => {
    const dir = new LdapDirectory({ url: slapd.url, baseDn: slapd.baseDn, bindDn: slapd.readerDn, bindPassword: slapd.readerPassword, timeoutMs: 5000 });
    assert.deepEqual((await dir.searchExact('JOHN DOE', 10)).map((e) => e.id), ['uid=jdoe,ou=People,dc=example,dc=test']);
    assert.deepEqual(await dir.searchExact('smtp:jane', 10), []);
    assert.deepEqual((await dir.searchExact('Engineering Team', 10)).map((e) => e.isGroup), [true]);
    const down = new LdapDirectory({ url: `ldap://127.0.0.1:${await freePort()}`, baseDn: slapd.baseDn, timeoutMs: 2000 });
    await assert.rejects(down.searchExact('John Doe', 10), DirectoryUnavailableError);
    const g = await startTestGateway({ ldapUrl: `ldap://127.0.0.1:${await freePort()}`, ldapBaseDn: slapd.baseDn });
    try {
      const r = await resolve(g, '=John Doe', 'ActiveDirectory');
      assert.deepEqual(codes(r.doc), ['ErrorADUnavailable'], r.text.slice(0, 1500));
      assert.match(text(r.doc, 'MessageText', M) ?? '', /ECONNREFUSED/);
    } finally {
      await g.close();
    }
  });
});
