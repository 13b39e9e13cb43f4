// The CardDAV ContactStore (adapters/carddav) against the real Radicale of the
// test harness: address books, objects, ETag conflicts, sync-collection and the
// ETag-snapshot fallback, broken cards, a server that is down.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendsFromEnv, freePort, type TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { CardDavConnector, type CardDavContactStore } from '../../adapters/carddav/carddav-store.js';
import {
  AddressBookExistsError,
  AddressBookMissingError,
  ContactAuthError,
  ContactConflictError,
  ContactExistsError,
  ContactMissingError,
  ContactStoreUnavailableError,
  SyncTokenInvalidError,
  type AddressBook,
} from '../../src/ports/contact-store.js';
import { BackendAuthError, BackendUnavailableError, FolderMissingError } from '../../src/ports/mail-store.js';
import { emptyContact, readVCard, writeVCard, type CardItem, type Contact } from '../../src/convert/vcard-contact.js';

const b = backendsFromEnv();
const FIXTURES = fileURLToPath(new URL('../../fixtures/vcard/', import.meta.url));
const GOOD = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.vcf') && !f.startsWith('broken-'));

function data(item: CardItem): Omit<CardItem, 'source' | 'warnings'> {
  const { source: _s, warnings: _w, ...rest } = item;
  return rest;
}

async function newUser(): Promise<{ user: TestUser; store: CardDavContactStore; book: AddressBook; connector: CardDavConnector }> {
  const user = await b.addUser();
  await seedUser(b, user, { mail: false, dav: true });
  const connector = new CardDavConnector({ url: b.davUrl });
  const store = connector.open(user.email, user.password);
  const book = (await store.listAddressBooks())[0]!;
  return { user, store, book, connector };
}

function card(name: string, extra: Partial<Contact> = {}): string {
  const [given, surname] = name.split(' ');
  return writeVCard({ ...emptyContact(), givenName: given, surname, ...extra });
}

describe('address books', () => {
  test('the seeded book is listed first, with sync support, ctag and token', async () => {
    const { store, book, user } = await newUser();
    assert.equal(book.href, `/${encodeURIComponent(user.email)}/contacts/`);
    assert.equal(book.name, 'contacts');
    assert.equal(book.displayName, 'Contacts');
    assert.equal(book.description, 'Default address book (ewsgate test seed)');
    assert.equal(book.supportsSync, true);
    assert.equal(book.readOnly, false);
    assert.ok(book.ctag && book.syncToken);
    const again = await store.getAddressBook(book.href);
    assert.deepEqual(again, book);
    assert.ok(store.capabilities.syncCollection);
  });

  test('a user without address books: none listed, then one created (discovery from the server root)', async () => {
    const user = await b.addUser();
    const store = new CardDavConnector({ url: b.davUrl }).open(user.email, user.password);
    assert.deepEqual(await store.listAddressBooks(), []);
    const nb = await store.createAddressBook('contacts', 'Contacts');
    assert.deepEqual((await store.listAddressBooks()).map((x) => x.href), [nb.href]);
    assert.deepEqual(await store.listObjects(nb.href), []);
    assert.deepEqual((await store.sync(nb.href, '')).changed, []);
  });

  test('create (extended MKCOL, non-ASCII name), rename (PROPPATCH), delete; precise errors', async () => {
    const { store, user } = await newUser();
    const nb = await store.createAddressBook('Família & Co', 'Família & Co', 'Os primos');
    assert.equal(nb.href, `/${encodeURIComponent(user.email)}/${encodeURIComponent('Família & Co')}/`);
    assert.equal(nb.displayName, 'Família & Co');
    assert.equal(nb.description, 'Os primos');
    await assert.rejects(store.createAddressBook('Família & Co', 'again'), AddressBookExistsError);
    let books = await store.listAddressBooks();
    assert.deepEqual(books.map((x) => x.displayName), ['Contacts', 'Família & Co']);

    await store.renameAddressBook(nb.href, 'Família (renomeada)');
    assert.equal((await store.getAddressBook(nb.href)).displayName, 'Família (renomeada)');
    assert.equal((await store.getAddressBook(nb.href)).href, nb.href, 'a rename keeps the href');

    const obj = await store.createObject(nb.href, 'primo.vcf', card('Primo Silva'));
    assert.equal((await store.listObjects(nb.href)).length, 1);
    await store.deleteAddressBook(nb.href);
    books = await store.listAddressBooks();
    assert.deepEqual(books.map((x) => x.displayName), ['Contacts']);
    await assert.rejects(store.getAddressBook(nb.href), AddressBookMissingError);
    await assert.rejects(store.getObject(obj.href), ContactMissingError);
    await assert.rejects(store.renameAddressBook(nb.href, 'x'), AddressBookMissingError);
    await assert.rejects(store.deleteAddressBook(nb.href), (e) => e instanceof AddressBookMissingError && e instanceof FolderMissingError);
    await assert.rejects(store.listObjects(nb.href), AddressBookMissingError);
    await assert.rejects(store.createObject(nb.href, 'x.vcf', card('No Book')), AddressBookMissingError);
  });
});

describe('objects', () => {
  test('the seeded cards: listObjects, listAll, multiget (missing ones reported), readable', async () => {
    const { store, book } = await newUser();
    const refs = await store.listObjects(book.href);
    assert.deepEqual(refs.map((r) => path.basename(r.href)), ['alice-martin.vcf', 'bob-stone.vcf', 'zoe-mueller.vcf']);
    assert.ok(refs.every((r) => /^"[^"]+"$/.test(r.etag) && r.lastModified instanceof Date));
    const all = await store.listAll(book.href);
    assert.deepEqual(all.objects.map((o) => o.href), refs.map((r) => r.href));
    assert.deepEqual(all.objects.map((o) => o.etag), refs.map((r) => r.etag));
    assert.deepEqual(all.objects.map((o) => readVCard(o.data).displayName), ['Alice Martin', 'Bob Stone', 'Zoë Müller']);
    const some = await store.multiget(book.href, [refs[2]!.href, book.href + 'nope.vcf', refs[0]!.href]);
    assert.deepEqual(some.objects.map((o) => o.href), [refs[2]!.href, refs[0]!.href]);
    assert.deepEqual(some.missing, [book.href + 'nope.vcf']);
    assert.deepEqual(some.failed, []);
    const one = await store.getObject(refs[1]!.href);
    assert.equal(one.etag, refs[1]!.etag);
    assert.equal(readVCard(one.data).uid, 'urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1');
    await assert.rejects(store.getObject(book.href + 'nope.vcf'), ContactMissingError);
  });

  test('create (If-None-Match), update (If-Match), stale ETag → conflict with the current ETag, delete', async () => {
    const { store, book } = await newUser();
    const c = { ...emptyContact(), givenName: 'Nadia', surname: 'Haddad', emails: { EmailAddress1: { address: 'nadia@haddad.example' } } };
    const text = writeVCard(c);
    const created = await store.createObject(book.href, 'nadia haddad.vcf', text);
    assert.equal(created.href, book.href + 'nadia%20haddad.vcf');
    await assert.rejects(store.createObject(book.href, 'nadia haddad.vcf', text), ContactExistsError);

    const got = await store.getObject(created.href);
    assert.equal(got.etag, created.etag);
    const model = readVCard(got.data) as Contact;
    assert.equal(model.emails.EmailAddress1?.address, 'nadia@haddad.example');

    model.jobTitle = 'Architect';
    const updated = await store.updateObject(created.href, writeVCard(model), got.etag);
    assert.notEqual(updated.etag, got.etag);
    assert.equal((readVCard((await store.getObject(created.href)).data) as Contact).jobTitle, 'Architect');

    await assert.rejects(store.updateObject(created.href, writeVCard(model), got.etag), (e: unknown) => {
      assert.ok(e instanceof ContactConflictError, String(e));
      assert.equal(e.expectedEtag, got.etag);
      assert.equal(e.currentEtag, updated.etag);
      return true;
    });
    await assert.rejects(store.deleteObject(created.href, got.etag), ContactConflictError);
    await store.deleteObject(created.href, updated.etag);
    await assert.rejects(store.getObject(created.href), ContactMissingError);
    await assert.rejects(store.updateObject(created.href, writeVCard(model), updated.etag), ContactMissingError);
    await assert.rejects(store.deleteObject(created.href), ContactMissingError);
  });

  test('every fixture survives a trip through Radicale (which re-serializes cards): same model back', async () => {
    const { store, book } = await newUser();
    // (Not the damaged card: Radicale refuses its PHOTO, which we keep untouched as we found it.)
    for (const f of GOOD.filter((x) => !x.startsWith('damaged-'))) {
      const m1 = readVCard(fs.readFileSync(FIXTURES + f));
      const ref = await store.createObject(book.href, f, writeVCard(m1));
      const m2 = readVCard((await store.getObject(ref.href)).data);
      if (!m1.uid) delete (m2 as { uid?: string }).uid;
      assert.deepEqual(data(m2), data(m1), f);
    }
  });

  test('a damaged card Radicale accepts does not hide the rest; a card Radicale cannot load fails alone in multiget', async () => {
    const { store, book, user } = await newUser();
    const damaged = [
      'BEGIN:VCARD', 'VERSION:3.0', 'UID:damaged-on-server', 'FN:Damaged On Server', 'TEL;WORK;VOICE:+1 555 0100',
      'BDAY:not-a-date', 'BEGIN:X-NESTED', 'X-A:1', 'END:X-NESTED', 'EMAIL;TYPE=:odd@example.test', 'END:VCARD', '',
    ].join('\r\n');
    await store.createObject(book.href, 'damaged.vcf', damaged);
    const all = await store.listAll(book.href);
    assert.equal(all.objects.length, 4);
    const read = all.objects.map((o) => readVCard(o.data) as Contact);
    const bad = read.find((c) => c.uid === 'damaged-on-server')!;
    // (Radicale drops the 2.1-style bare TYPE parameters when it stores the card: the number stays.)
    assert.ok(Object.values(bad.phones).includes('+1 555 0100'), JSON.stringify(bad.phones));
    assert.ok(bad.warnings?.some((w) => /BDAY/.test(w)));
    assert.deepEqual(read.filter((c) => c !== bad).map((c) => c.displayName), ['Alice Martin', 'Bob Stone', 'Zoë Müller']);

    // A file Radicale itself cannot parse (written behind its back): its listing fails (HTTP 500 for
    // the whole book, a Radicale limit), but asking for objects by name still answers the others.
    const refs = await store.listObjects(book.href);
    const dir = path.join(b.dir, 'dav', 'collection-root', user.email, 'contacts');
    fs.writeFileSync(path.join(dir, 'corrupt.vcf'), 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:corrupt\r\nTHIS IS NOT A LINE\r\nEND:VCARD\r\n');
    try {
      await assert.rejects(store.listObjects(book.href), (e: unknown) => e instanceof ContactStoreUnavailableError && e.status === 500);
      const got = await store.multiget(book.href, [refs[0]!.href, book.href + 'corrupt.vcf', refs[1]!.href]);
      assert.deepEqual(got.objects.map((o) => o.href), [refs[0]!.href, refs[1]!.href]);
      assert.equal(got.failed.length, 1);
      assert.equal(got.failed[0]!.href, book.href + 'corrupt.vcf');
      assert.ok(got.failed[0]!.error instanceof ContactStoreUnavailableError);
    } finally {
      fs.rmSync(path.join(dir, 'corrupt.vcf'));
    }
    assert.equal((await store.listObjects(book.href)).length, 4);
  });
});

describe('sync', () => {
  for (const mode of ['sync-collection', 'etag-snapshot'] as const) {
    test(`${mode}: initial, then exactly what was created, changed and deleted`, async () => {
      const { user, book, connector } = await newUser();
      const store = mode === 'sync-collection' ? connector.open(user.email, user.password) : new CardDavConnector({ url: b.davUrl, syncCollection: 'never' }).open(user.email, user.password);
      const first = await store.sync(book.href, '');
      assert.equal(first.mode, mode);
      assert.equal(first.changed.length, 3);
      assert.deepEqual(first.deleted, []);
      assert.ok(first.token.startsWith(mode === 'sync-collection' ? 'd:' : 'e:'));

      const none = await store.sync(book.href, first.token);
      assert.deepEqual([none.changed, none.deleted], [[], []]);

      const refs = await store.listObjects(book.href);
      const alice = await store.getObject(refs[0]!.href);
      const m = readVCard(alice.data) as Contact;
      m.jobTitle = 'CIO';
      await store.updateObject(alice.href, writeVCard(m), alice.etag);
      const created = await store.createObject(book.href, 'new.vcf', card('New Person'));
      await store.deleteObject(refs[2]!.href);

      const second = await store.sync(book.href, first.token);
      assert.deepEqual(second.changed.map((r) => r.href), [alice.href, created.href].sort());
      assert.ok(second.changed.every((r) => r.etag));
      assert.deepEqual(second.deleted, [refs[2]!.href]);
      assert.notEqual(second.token, first.token);

      // The first token still works (the changes since then are still all there).
      const replay = await store.sync(book.href, first.token);
      assert.deepEqual(replay.changed.map((r) => r.href), second.changed.map((r) => r.href));
      const third = await store.sync(book.href, second.token);
      assert.deepEqual([third.changed, third.deleted], [[], []]);
    });
  }

  test('bad tokens: SyncTokenInvalidError (the caller resyncs)', async () => {
    const { store, book, user } = await newUser();
    await assert.rejects(store.sync(book.href, 'd:http://radicale.org/ns/sync/0000'), SyncTokenInvalidError);
    await assert.rejects(store.sync(book.href, 'garbage'), SyncTokenInvalidError);
    await assert.rejects(store.sync(book.href, 'e:AAAA'), SyncTokenInvalidError);
    const other = await store.createAddressBook('other', 'Other');
    const snap = new CardDavConnector({ url: b.davUrl, syncCollection: 'never' }).open(user.email, user.password);
    const otherToken = (await snap.sync(other.href, '')).token;
    await assert.rejects(snap.sync(book.href, otherToken), SyncTokenInvalidError, 'a snapshot of another book is refused');
  });
});

describe('failures', () => {
  let downUrl: string;
  before(async () => {
    downUrl = `http://127.0.0.1:${await freePort()}/`;
  });

  test('wrong password → ContactAuthError (a BackendAuthError)', async () => {
    const user = await b.addUser();
    const store = new CardDavConnector({ url: b.davUrl }).open(user.email, 'wrong');
    await assert.rejects(store.listAddressBooks(), (e) => e instanceof ContactAuthError && e instanceof BackendAuthError);
  });

  test('server down → ContactStoreUnavailableError (a BackendUnavailableError), for every call', async () => {
    const store = new CardDavConnector({ url: downUrl, timeoutMs: 2000 }).open('x@example.test', 'pw');
    const isDown = (e: unknown) => e instanceof ContactStoreUnavailableError && e instanceof BackendUnavailableError && /cannot be reached/.test(e.message);
    await assert.rejects(store.listAddressBooks(), isDown);
    await assert.rejects(store.getObject('/x/contacts/a.vcf'), isDown);
    await assert.rejects(store.createObject('/x/contacts/', 'a.vcf', card('A B')), isDown);
    await assert.rejects(store.sync('/x/contacts/', 'd:abc'), isDown);
    await assert.rejects(store.multiget('/x/contacts/', ['/x/contacts/a.vcf']), isDown);
  });

  test('a server that never answers → a timeout, reported as unavailable', async () => {
    const net = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    const srv = net.createServer((s) => sockets.push(s)).listen(0, '127.0.0.1');
    await new Promise((r) => srv.once('listening', r));
    const port = (srv.address() as import('node:net').AddressInfo).port;
    try {
      const store = new CardDavConnector({ url: `http://127.0.0.1:${port}/`, timeoutMs: 300 }).open('x@example.test', 'pw');
      await assert.rejects(store.listAddressBooks(), (e: unknown) => e instanceof ContactStoreUnavailableError && /timed out/.test(e.message));
    } finally {
      for (const s of sockets) s.destroy();
      srv.close();
    }
  });

  test('Radicale refuses a card without UID: ContactRejectedError with its reason', async () => {
    const { store, book } = await newUser();
    await assert.rejects(store.createObject(book.href, 'nouid.vcf', 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No Uid\r\nN:Uid;No;;;\r\nEND:VCARD\r\n'), (e: unknown) => {
      assert.equal((e as Error).name, 'ContactRejectedError');
      assert.equal((e as { status?: number }).status, 400);
      return true;
    });
    // (What writeVCard makes always has a UID.)
  });
});
