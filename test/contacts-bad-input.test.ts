// Contacts' bad input through the EWS wire against the real Radicale (issue 6,
// "Bad input"): cards other clients damaged on the server, unknown phone keys,
// huge pictures, and a CardDAV server that is down. Each is a precise EWS answer
// and never costs the rest of the book or the mailbox. (Unit-level checks of the
// same rules: test/contacts/ews.test.ts, test/contacts/vcard.test.ts; the
// adapter's: test/contacts/carddav.test.ts; LDAP down: test/ldap-directory.test.ts.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestUser } from './harness/backends.js';
import { freePort } from './harness/backends.js';
import { davRequest } from './harness/clients.js';
import { seedUser, type SeedResult } from './harness/seed.js';
import { M, all, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';
import { MAX_CONTACT_PHOTO_BYTES } from '../src/ews/contacts/parse.js';

let tg: TestGateway;
let user: TestUser;
let seeded: SeedResult;

const contactsFolder = '<t:DistinguishedFolderId Id="contacts"/>';
const urlPath = (href: string) => new URL(href, 'http://x/').pathname;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  seeded = await seedUser(tg.backends, user, { mail: true, dav: true });
});

after(async () => {
  await tg?.close();
});

async function put(name: string, card: string): Promise<string> {
  const href = `${urlPath(seeded.dav!.addressBookUrl)}${name}`;
  const r = await davRequest(tg.backends, user, 'PUT', href, { body: card, headers: { 'Content-Type': 'text/vcard; charset=utf-8' } });
  assert.ok(r.status === 201 || r.status === 204, `PUT ${name}: ${r.status} ${await r.text()}`);
  return href;
}

async function listNames(g: TestGateway = tg): Promise<{ codes: string[]; names: string[]; ids: Map<string, string>; text: string }> {
  const r = await ews(
    g,
    user,
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="contacts:DisplayName"/></t:AdditionalProperties></m:ItemShape><m:ParentFolderIds>${contactsFolder}</m:ParentFolderIds></m:FindItem>`,
  );
  const items = [...all(r.doc, 'Contact'), ...all(r.doc, 'DistributionList')];
  return {
    codes: codes(r.doc),
    names: items.map((i) => text(i, 'DisplayName') ?? '').sort(),
    ids: new Map(items.map((i) => [text(i, 'DisplayName') ?? '', one(i, 'ItemId').getAttribute('Id')!])),
    text: r.text,
  };
}

const createContact = (body: string) =>
  ews(tg, user, `<m:CreateItem><m:SavedItemFolderId>${contactsFolder}</m:SavedItemFolderId><m:Items><t:Contact>${body}</t:Contact></m:Items></m:CreateItem>`);

describe('cards damaged on the server', () => {
  test('a card with broken lines Radicale accepted is served with what it has, next to the others', async () => {
    await put(
      'bad-lines.vcf',
      // (the damaged lines test/contacts/carddav.test.ts found Radicale to accept)
      ['BEGIN:VCARD', 'VERSION:3.0', 'UID:bad-lines', 'FN:Broken Lines', 'N:Lines;Broken;;;', 'TEL;WORK;VOICE:+1 555 0100', 'BDAY:not-a-date', 'BEGIN:X-NESTED', 'X-A:1', 'END:X-NESTED', 'EMAIL;TYPE=:odd@example.test', 'END:VCARD', ''].join('\r\n'),
    );
    const list = await listNames();
    assert.deepEqual(list.codes, ['NoError'], list.text.slice(0, 1500));
    assert.deepEqual(list.names, ['Alice Martin', 'Bob Stone', 'Broken Lines', 'Zoë Müller']);
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${list.ids.get('Broken Lines')}"/></m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(got.doc), ['NoError'], got.text.slice(0, 1500));
    assert.equal(text(got.doc, 'Birthday'), undefined, 'an unreadable BDAY is no Birthday');
    assert.ok(all(one(got.doc, 'PhoneNumbers'), 'Entry').some((e) => e.textContent === '+1 555 0100'));
    // Name resolution and FindPeople read the same book.
    const rn = await ews(tg, user, '<m:ResolveNames ReturnFullContactData="false" SearchScope="Contacts"><m:UnresolvedEntry>zoë</m:UnresolvedEntry></m:ResolveNames>');
    assert.deepEqual(codes(rn.doc), ['NoError'], rn.text.slice(0, 1500));
  });

  test('a file Radicale itself cannot load: contacts answer ErrorMailboxStoreUnavailable (never "not found", never a partial list), mail is untouched, all is back once it is gone', async () => {
    // Radicale (3.x) fails every listing of the collection holding such a file, even the
    // address-book listing of the home: nothing can be listed, so nothing may look deleted.
    const before = await listNames();
    const dir = path.join(tg.backends.dir, 'dav', 'collection-root', user.email, 'contacts');
    assert.ok(fs.existsSync(dir), dir);
    const file = path.join(dir, 'corrupt.vcf');
    fs.writeFileSync(file, 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:corrupt\r\nTHIS IS NOT A LINE\r\nEND:VCARD\r\n');
    try {
      const list = await listNames();
      assert.deepEqual(list.codes, ['ErrorMailboxStoreUnavailable'], list.text.slice(0, 1500));
      const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${before.ids.get('Bob Stone')}"/></m:ItemIds></m:GetItem>`);
      assert.deepEqual(codes(got.doc), ['ErrorMailboxStoreUnavailable'], got.text.slice(0, 1500));
      const sync = await ews(tg, user, `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId>${contactsFolder}</m:SyncFolderId><m:MaxChangesReturned>100</m:MaxChangesReturned></m:SyncFolderItems>`);
      assert.deepEqual(codes(sync.doc), ['ErrorMailboxStoreUnavailable'], sync.text.slice(0, 1500));
      const inbox = await ews(tg, user, '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>');
      assert.deepEqual(codes(inbox.doc), ['NoError']);
    } finally {
      fs.rmSync(file);
    }
    assert.deepEqual((await listNames()).names, before.names);
  });
});

describe('unknown phone keys', () => {
  test('CreateItem with an unknown PhoneNumbers Key is a schema error and writes nothing', async () => {
    const before = await listNames();
    const r = await createContact('<t:GivenName>Sat</t:GivenName><t:PhoneNumbers><t:Entry Key="SatellitePhone">+881 1234</t:Entry></t:PhoneNumbers><t:Surname>Phone</t:Surname>');
    assert.ok(/ErrorSchemaValidation/.test(r.text), r.text.slice(0, 1500));
    assert.deepEqual((await listNames()).names, before.names);
  });

  test('UpdateItem on an unknown phone FieldIndex is refused; known keys still work', async () => {
    const { ids } = await listNames();
    const id = ids.get('Alice Martin')!;
    const upd = (index: string) =>
      ews(
        tg,
        user,
        `<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates><t:SetItemField><t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="${index}"/><t:Contact><t:PhoneNumbers><t:Entry Key="${index}">+1 555 0199</t:Entry></t:PhoneNumbers></t:Contact></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
      );
    const bad = await upd('SatellitePhone');
    const c = codes(bad.doc);
    // Exchange: ErrorInvalidPropertyRequest for an index the property does not have
    assert.deepEqual(c, ['ErrorInvalidPropertyRequest'], bad.text.slice(0, 1500));
    assert.match(text(bad.doc, 'MessageText', M) ?? '', /SatellitePhone/);
    const good = await upd('CarPhone');
    assert.deepEqual(codes(good.doc), ['NoError'], good.text.slice(0, 1500));
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="CarPhone"/></t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
    assert.equal(text(got.doc, 'Entry'), '+1 555 0199');
  });

  test('an unknown TEL type on the server is kept as another phone, never an error', async () => {
    await put('odd-tel.vcf', 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:odd-tel\r\nFN:Odd Telephone\r\nN:Telephone;Odd;;;\r\nTEL;TYPE=X-SATELLITE:+881 5555\r\nEND:VCARD\r\n');
    const { ids, codes: c } = await listNames();
    assert.deepEqual(c, ['NoError']);
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${ids.get('Odd Telephone')}"/></m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(got.doc), ['NoError'], got.text.slice(0, 1500));
    assert.ok(all(got.doc, 'Entry').some((e) => e.textContent === '+881 5555'), got.text.slice(0, 2000));
  });
});

describe('huge photos', () => {
  const attach = (id: string, bytes: Buffer) =>
    ews(
      tg,
      user,
      `<m:CreateAttachment><m:ParentItemId Id="${id}"/><m:Attachments><t:FileAttachment><t:Name>ContactPicture.jpg</t:Name><t:ContentType>image/jpeg</t:ContentType><t:IsContactPhoto>true</t:IsContactPhoto><t:Content>${bytes.toString('base64')}</t:Content></t:FileAttachment></m:Attachments></m:CreateAttachment>`,
    );
  const jpeg = (size: number) => Buffer.concat([Buffer.from('ffd8ffe0', 'hex'), Buffer.alloc(size - 6, 0x5a), Buffer.from('ffd9', 'hex')]);

  test('a picture over the limit is ErrorAttachmentSizeLimitExceeded and the card is untouched', async () => {
    const { ids } = await listNames();
    const id = ids.get('Zoë Müller')!;
    const big = await attach(id, jpeg(MAX_CONTACT_PHOTO_BYTES + 1024 * 1024));
    assert.deepEqual(codes(big.doc), ['ErrorAttachmentSizeLimitExceeded'], big.text.slice(0, 1500));
    assert.match(text(big.doc, 'MessageText', M) ?? '', /bytes/);
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="contacts:HasPicture"/></t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
    assert.equal(text(got.doc, 'HasPicture'), 'false');
  });

  test('a picture just under the limit is stored in Radicale and read back whole', async () => {
    const { ids } = await listNames();
    const id = ids.get('Bob Stone')!;
    const bytes = jpeg(MAX_CONTACT_PHOTO_BYTES - 1024);
    const r = await attach(id, bytes);
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const attId = one(r.doc, 'AttachmentId').getAttribute('Id')!;
    const got = await ews(tg, user, `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attId}"/></m:AttachmentIds></m:GetAttachment>`);
    assert.deepEqual(codes(got.doc), ['NoError'], got.text.slice(0, 500));
    assert.equal(text(got.doc, 'Size'), String(bytes.length));
    assert.ok(Buffer.from(text(got.doc, 'Content') ?? '', 'base64').equals(bytes));
    // the listing still answers, the big card included
    const list = await listNames();
    assert.deepEqual(list.codes, ['NoError']);
    assert.ok(list.names.includes('Bob Stone'));
  });

  test('a huge PHOTO a CardDAV client wrote is served (HasPicture, attachment Size), never a crash', async () => {
    const big = jpeg(4 * 1024 * 1024);
    const b64 = big.toString('base64');
    const folded = (b64.match(/.{1,74}/g) ?? []).join('\r\n ');
    await put('huge-photo.vcf', `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:huge-photo\r\nFN:Huge Photo\r\nN:Photo;Huge;;;\r\nPHOTO;ENCODING=b;TYPE=JPEG:${folded}\r\nEND:VCARD\r\n`);
    const list = await listNames();
    assert.deepEqual(list.codes, ['NoError'], list.text.slice(0, 1500));
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${list.ids.get('Huge Photo')}"/></m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(got.doc), ['NoError'], got.text.slice(0, 1500));
    assert.equal(text(got.doc, 'HasPicture'), 'true');
    assert.equal(text(one(got.doc, 'FileAttachment'), 'Size'), String(big.length));
    // an edit of another field keeps the picture as it was
    const upd = await ews(
      tg,
      user,
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges><t:ItemChange><t:ItemId Id="${list.ids.get('Huge Photo')}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="contacts:JobTitle"/><t:Contact><t:JobTitle>Photographer</t:JobTitle></t:Contact></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    assert.deepEqual(codes(upd.doc), ['NoError'], upd.text.slice(0, 1500));
    const card = (await (await davRequest(tg.backends, user, 'GET', `${urlPath(seeded.dav!.addressBookUrl)}huge-photo.vcf`)).text()).replace(/\r?\n[ \t]/g, '');
    assert.match(card, /Photographer/);
    assert.ok(card.includes(b64), 'the picture is kept byte for byte');
  });
});

describe('a CardDAV server that is down', () => {
  let down: TestGateway;
  before(async () => {
    down = await startTestGateway({ carddav: `http://127.0.0.1:${await freePort()}/` });
  });
  after(async () => {
    await down?.close();
  });

  test('contact operations answer ErrorMailboxStoreUnavailable; mail goes on', async () => {
    const list = await listNames(down);
    assert.deepEqual(list.codes, ['ErrorMailboxStoreUnavailable'], list.text.slice(0, 1500));
    const created = await ews(down, user, `<m:CreateItem><m:SavedItemFolderId>${contactsFolder}</m:SavedItemFolderId><m:Items><t:Contact><t:GivenName>Nobody</t:GivenName></t:Contact></m:Items></m:CreateItem>`);
    assert.deepEqual(codes(created.doc), ['ErrorMailboxStoreUnavailable'], created.text.slice(0, 1500));
    const { ids } = await listNames();
    const got = await ews(down, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${ids.get('Alice Martin')}"/></m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(got.doc), ['ErrorMailboxStoreUnavailable'], got.text.slice(0, 1500));
    const fp = await ews(down, user, `<m:FindPeople><m:PersonaShape><t:BaseShape>IdOnly</t:BaseShape></m:PersonaShape><m:IndexedPageItemView BasePoint="Beginning" Offset="0"/><m:ParentFolderId>${contactsFolder}</m:ParentFolderId></m:FindPeople>`);
    assert.equal(text(fp.doc, 'ResponseCode', M), 'ErrorMailboxStoreUnavailable', fp.text.slice(0, 1500));
    const inbox = await ews(down, user, '<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>');
    assert.deepEqual(codes(inbox.doc), ['NoError'], inbox.text.slice(0, 1500));
    assert.ok(all(inbox.doc, 'Message').length > 0);
    // the user's own address still resolves (no address book needed for it)
    const me = await ews(down, user, `<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>${user.email}</m:UnresolvedEntry></m:ResolveNames>`);
    assert.deepEqual(codes(me.doc), ['NoError'], me.text.slice(0, 1500));
  });
});
