// DavMail's LDAP address book, without Java: an ldapsearch against DavMail
// becomes ResolveNames with SearchScope=ActiveDirectory (EwsExchangeSession.
// galFind; "smtp:" before an address), as in fixtures/requests/davmail/
// resolvenames-gal-*.xml. DavMail (ResolveNamesMethod) reads Mailbox/Name and
// EmailAddress, every child of Contact by its local name, and the first "smtp:"
// entry of EmailAddresses; the LDAP entry's cn is Contact/DisplayName, and an
// entry whose cn does not match the LDAP filter is dropped. The directory here
// is an address book serving as the GAL (--gal-addressbook), the seeded
// "Contacts" in Radicale. test/clients/davmail/ldap.test.ts is the same with
// DavMail and ldapsearch.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Element } from '@xmldom/xmldom';
import type { TestUser } from './harness/backends.js';
import { FIXTURES_DIR, seedUser } from './harness/seed.js';
import { all, codes, one, startTestGateway, text, type TestGateway } from './support/gateway.js';
import { davmailPost } from './clients/davmail/ews-wire.js';

let tg: TestGateway;
let user: TestUser;

before(async () => {
  tg = await startTestGateway({ smtp: process.env.EWSGATE_TEST_SMTP_URL ?? '', galAddressBook: 'Contacts' });
  user = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: false, dav: true });
});

after(async () => {
  await tg?.close();
});

const request = (name: string) => fs.readFileSync(path.join(FIXTURES_DIR, 'requests', 'davmail', `${name}.xml`), 'utf8');

/** One resolution as DavMail's ResolveNamesMethod flattens it. */
async function resolve(body: string): Promise<{ code: string; entries: Map<string, string>[] }> {
  const { challenge, reply } = await davmailPost(tg.ewsUrl, user, body);
  assert.equal(challenge.status, 401);
  assert.equal(reply.status, 200, reply.text.slice(0, 800));
  assert.equal(reply.contentType, 'text/xml; charset=utf-8');
  const entries = all(reply.doc, 'Resolution').map((r) => {
    const m = new Map<string, string>();
    const mailbox = one(r, 'Mailbox');
    m.set('Name', text(mailbox, 'Name') ?? '');
    m.set('EmailAddress', text(mailbox, 'EmailAddress') ?? '');
    const contact = all(r, 'Contact')[0];
    if (contact) {
      for (const k of Array.from(contact.childNodes).filter((n) => n.nodeType === 1) as unknown as Element[]) {
        if (k.localName !== 'EmailAddresses' && k.localName !== 'PhoneNumbers' && k.localName !== 'PhysicalAddresses') m.set(k.localName!, k.textContent ?? '');
      }
      const smtp = all(contact, 'Entry')
        .map((e) => e.textContent ?? '')
        .find((v) => /^smtp:/i.test(v));
      if (smtp && !m.get('EmailAddress')) m.set('EmailAddress', smtp.slice(5));
    }
    return m;
  });
  return { code: codes(reply.doc)[0] ?? '', entries };
}

describe("DavMail's GAL lookups (ResolveNames, ActiveDirectory scope)", () => {
  test('by a name prefix: the entry with its display name (the LDAP cn) and address', async () => {
    const r = await resolve(request('resolvenames-gal-by-name'));
    assert.equal(r.code, 'NoError');
    assert.equal(r.entries.length, 1);
    const alice = r.entries[0]!;
    assert.equal(alice.get('EmailAddress'), 'alice.martin@example.org');
    assert.equal(alice.get('DisplayName'), 'Alice Martin', 'DavMail takes the LDAP cn from Contact/DisplayName');
    assert.equal(alice.get('Name'), 'Alice Martin', 'and the LDAP uid from Mailbox/Name');
    assert.equal(alice.get('ContactSource'), 'ActiveDirectory');
  });

  test('by "smtp:" and an address: that entry, non-ASCII names intact', async () => {
    const r = await resolve(request('resolvenames-gal-by-address'));
    assert.equal(r.code, 'NoError');
    assert.deepEqual(
      r.entries.map((e) => [e.get('EmailAddress'), e.get('DisplayName'), e.get('GivenName'), e.get('Surname')]),
      [['zoe.mueller@example.org', 'Zoë Müller', 'Zoë', 'Müller']],
    );
  });

  test('a name nobody has: ErrorNameResolutionNoResults (DavMail reads it as an empty result)', async () => {
    const r = await resolve(request('resolvenames-gal-by-name').replace('>alice<', '>nobody-here<'));
    assert.equal(r.code, 'ErrorNameResolutionNoResults');
    assert.equal(r.entries.length, 0);
  });
});
