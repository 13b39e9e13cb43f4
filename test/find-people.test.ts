// FindPeople ([MS-OXWSFPPL]) over the user's address books in Radicale, and the
// contact picture served as the ContactPicture.jpg attachment.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { davRequest } from './harness/clients.js';
import { seedUser, type SeedResult } from './harness/seed.js';
import { M, all, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';
import { operations } from '../src/ews/registry.js';
import type { Operation } from '../src/ews/operation.js';
import { FindPeople } from '../src/ews/operations/FindPeople.js';
import { decodeContactPhotoId, deleteContactPhoto, getContactPhoto, setContactPhotoAttachment } from '../src/ews/dav/contact-items.js';
import { decodeDavItemId } from '../src/ews/items/dav-item-id.js';
import { attr, elementChildren, x } from '../src/soap/xml.js';
import { loadTree, messagesChild } from '../src/ews/folders/request.js';
import { eachItem, ok, respond } from '../src/ews/operation.js';
import { parseItemIds } from '../src/ews/items/request.js';

let tg: TestGateway;
let user: TestUser;
let seeded: SeedResult;

const path = (href: string) => new URL(href, 'http://x/').pathname;
// A 1×1 JPEG is not needed: any bytes do for PHOTO; these are a PNG signature and a little more.
const PHOTO = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/**
 * The contact-picture dispatch the attachment operations need, put in front of
 * them here (this process only) until they do it themselves: a contact-picture
 * AttachmentId / a contact ParentItemId goes to the contact-items.ts helpers,
 * anything else to the operation as it is.
 */
before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
  const book = path(seeded.dav!.addressBookUrl);
  const put = async (name: string, card: string) => {
    const r = await davRequest(tg.backends, user, 'PUT', `${book}${name}`, { body: card, headers: { 'Content-Type': 'text/vcard; charset=utf-8' } });
    assert.ok(r.status === 201 || r.status === 204, `PUT ${name}: ${r.status}`);
  };
  await put('fp-photo.vcf', `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:fp-photo\r\nFN:Piet Fotograaf\r\nN:Fotograaf;Piet;;;\r\nEMAIL;TYPE=INTERNET:piet@example.org\r\nPHOTO;ENCODING=b;TYPE=PNG:${PHOTO.toString('base64')}\r\nEND:VCARD\r\n`);
  await put('fp-group.vcf', 'BEGIN:VCARD\r\nVERSION:4.0\r\nUID:fp-group\r\nKIND:group\r\nFN:Fotoclub\r\nMEMBER:mailto:piet@example.org\r\nEND:VCARD\r\n');
});

after(async () => {
  await tg?.close();
});

function findPeople(body: string) {
  return ews(
    tg,
    user,
    `<m:FindPeople>${body}</m:FindPeople>`,
  );
}

const shape = (base: string, extra = '') => `<m:PersonaShape><t:BaseShape>${base}</t:BaseShape>${extra}</m:PersonaShape>`;
const contacts = '<m:ParentFolderId><t:DistinguishedFolderId Id="contacts"/></m:ParentFolderId>';

function success(r: Awaited<ReturnType<typeof ews>>) {
  const resp = one(r.doc, 'FindPeopleResponse', M);
  assert.equal(resp.getAttribute('ResponseClass'), 'Success', r.text.slice(0, 2000));
  assert.equal(text(resp, 'ResponseCode', M), 'NoError');
  return resp;
}

test('FindPeople Default: every contact and group as a Persona, sorted by DisplayName, with the paging counts', async () => {
  const r = await findPeople(`${shape('Default')}<m:IndexedPageItemView BasePoint="Beginning" Offset="0" MaxEntriesReturned="100"/>${contacts}`);
  const resp = success(r);
  const people = all(resp, 'Persona');
  const names = people.map((p) => text(p, 'DisplayName'));
  assert.deepEqual(names, ['Alice Martin', 'Bob Stone', 'Fotoclub', 'Piet Fotograaf', 'Zoë Müller']);
  assert.equal(text(resp, 'TotalNumberOfPeopleInView', M), '5');
  assert.equal(text(resp, 'FirstMatchingRowIndex', M), '0');
  const bob = people[1]!;
  assert.equal(text(bob, 'PersonaType'), 'Person');
  assert.equal(text(one(bob, 'EmailAddress'), 'EmailAddress'), 'bob.stone@example.org');
  assert.deepEqual(all(one(bob, 'EmailAddresses'), 'Address').map((a) => text(a, 'EmailAddress')), ['bob.stone@example.org', 'bob@stone.example.net']);
  assert.equal(text(bob, 'CompanyName'), 'Example Org');
  assert.equal(text(people[2]!, 'PersonaType'), 'DistributionList');
  // The PersonaId is the contact's ItemId: GetItem reads it.
  const id = one(bob, 'PersonaId').getAttribute('Id')!;
  const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="contacts:DisplayName"/></t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
  assert.deepEqual(codes(got.doc), ['NoError']);
  assert.equal(text(got.doc, 'DisplayName'), 'Bob Stone');
});

test('FindPeople QueryString matches names and addresses by prefix; paging with IndexedPageItemView', async () => {
  const q = async (s: string) => all(success(await findPeople(`${shape('IdOnly', '<t:AdditionalProperties><t:FieldURI FieldURI="persona:DisplayName"/></t:AdditionalProperties>')}<m:IndexedPageItemView BasePoint="Beginning" Offset="0" MaxEntriesReturned="10"/>${contacts}<m:QueryString>${s}</m:QueryString>`)), 'Persona').map((p) => text(p, 'DisplayName'));
  assert.deepEqual(await q('zo'), ['Zoë Müller']);
  assert.deepEqual(await q('bob.stone@'), ['Bob Stone']);
  assert.deepEqual(await q('foto'), ['Fotoclub', 'Piet Fotograaf']);
  assert.deepEqual(await q('nobody-at-all'), []);

  const page = success(await findPeople(`${shape('IdOnly')}<m:IndexedPageItemView BasePoint="Beginning" Offset="2" MaxEntriesReturned="2"/>${contacts}`));
  assert.equal(all(page, 'Persona').length, 2);
  assert.equal(text(page, 'TotalNumberOfPeopleInView', M), '5');
  assert.equal(text(page, 'FirstLoadedRowIndex', M), '2');
  // IdOnly: nothing but the PersonaId.
  assert.deepEqual(all(page, 'Persona').map((p) => Array.from({ length: p.childNodes.length }, (_, i) => (p.childNodes[i] as unknown as { localName?: string | null }).localName).filter(Boolean)), [['PersonaId'], ['PersonaId']]);
});

test('FindPeople Restriction and SortOrder on persona properties', async () => {
  const r = success(
    await findPeople(
      `${shape('Default')}<m:IndexedPageItemView BasePoint="Beginning" Offset="0" MaxEntriesReturned="10"/><m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="persona:CompanyName"/><t:Constant Value="example org"/></t:Contains></m:Restriction><m:SortOrder><t:FieldOrder Order="Descending"><t:FieldURI FieldURI="persona:Surname"/></t:FieldOrder></m:SortOrder>${contacts}`,
    ),
  );
  assert.deepEqual(all(r, 'Persona').map((p) => text(p, 'Surname')), ['Stone', 'Müller', 'Martin']);
});

test('FindPeople without ParentFolderId searches every address book; a mail folder is refused', async () => {
  const r = success(await findPeople(`${shape('IdOnly')}<m:IndexedPageItemView BasePoint="Beginning" Offset="0"/><m:QueryString>alice</m:QueryString>`));
  assert.equal(all(r, 'Persona').length, 1);
  const bad = await findPeople(`${shape('IdOnly')}<m:IndexedPageItemView BasePoint="Beginning" Offset="0"/><m:ParentFolderId><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderId>`);
  const resp = one(bad.doc, 'FindPeopleResponse', M);
  assert.equal(resp.getAttribute('ResponseClass'), 'Error', bad.text.slice(0, 1500));
  assert.equal(text(resp, 'ResponseCode', M), 'ErrorInvalidOperation');
});

test('a vCard PHOTO is HasPicture and the ContactPicture.jpg attachment (IsContactPhoto) of the contact', async () => {
  const found = success(await findPeople(`${shape('IdOnly')}<m:IndexedPageItemView BasePoint="Beginning" Offset="0"/>${contacts}<m:QueryString>piet</m:QueryString>`));
  const id = one(found, 'PersonaId').getAttribute('Id')!;
  const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
  assert.deepEqual(codes(got.doc), ['NoError'], got.text.slice(0, 1500));
  assert.equal(text(got.doc, 'HasPicture'), 'true');
  const att = one(one(got.doc, 'Attachments'), 'FileAttachment');
  assert.equal(text(att, 'Name'), 'ContactPicture.jpg');
  assert.equal(text(att, 'IsContactPhoto'), 'true');
  assert.equal(text(att, 'Size'), String(PHOTO.length));
  const attId = one(att, 'AttachmentId').getAttribute('Id')!;
  assert.deepEqual(decodeContactPhotoId(attId), decodeDavItemId(id));
  // A contact without a picture lists no attachment.
  const bob = success(await findPeople(`${shape('IdOnly')}<m:IndexedPageItemView BasePoint="Beginning" Offset="0"/>${contacts}<m:QueryString>bob</m:QueryString>`));
  const bobItem = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${one(bob, 'PersonaId').getAttribute('Id')}"/></m:ItemIds></m:GetItem>`);
  assert.equal(text(bobItem.doc, 'HasPicture'), 'false');
  assert.equal(all(bobItem.doc, 'FileAttachment').length, 0);
});

test('the contact picture through the attachment operations: CreateAttachment (IsContactPhoto) → PHOTO in Radicale, GetAttachment, DeleteAttachment', async () => {
  const found = success(await findPeople(`${shape('IdOnly')}<m:IndexedPageItemView BasePoint="Beginning" Offset="0"/>${contacts}<m:QueryString>alice</m:QueryString>`));
  const id = one(found, 'PersonaId').getAttribute('Id')!;
  const jpeg = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
  const created = await ews(
    tg,
    user,
    `<m:CreateAttachment><m:ParentItemId Id="${id}"/><m:Attachments><t:FileAttachment><t:Name>ContactPicture.jpg</t:Name><t:ContentType>image/jpeg</t:ContentType><t:IsContactPhoto>true</t:IsContactPhoto><t:Content>${jpeg.toString('base64')}</t:Content></t:FileAttachment></m:Attachments></m:CreateAttachment>`,
  );
  assert.deepEqual(codes(created.doc), ['NoError'], created.text.slice(0, 1500));
  const attEl = one(created.doc, 'AttachmentId');
  const attId = attEl.getAttribute('Id')!;
  assert.equal(attEl.getAttribute('RootItemId'), id);
  assert.ok(attEl.getAttribute('RootItemChangeKey'));
  // Straight in Radicale: the card has the PHOTO.
  const href = seeded.dav!.contacts.find((h) => h.includes('alice'))!;
  const card = (await (await davRequest(tg.backends, user, 'GET', path(href))).text()).replace(/\r?\n[ \t]/g, '');
  assert.match(card, /^PHOTO[;:]/m);
  assert.ok(card.includes(jpeg.toString('base64')), 'the picture bytes are in the vCard');
  assert.match(card, /Alice Martin/, 'the rest of the card is kept');

  const got = await ews(tg, user, `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attId}"/></m:AttachmentIds></m:GetAttachment>`);
  assert.deepEqual(codes(got.doc), ['NoError'], got.text.slice(0, 1500));
  assert.equal(text(got.doc, 'Name'), 'ContactPicture.jpg');
  assert.equal(text(got.doc, 'IsContactPhoto'), 'true');
  assert.equal(text(got.doc, 'ContentType'), 'image/jpeg');
  assert.equal(Buffer.from(text(got.doc, 'Content') ?? '', 'base64').toString('hex'), jpeg.toString('hex'));

  const del = await ews(tg, user, `<m:DeleteAttachment><m:AttachmentIds><t:AttachmentId Id="${attId}"/></m:AttachmentIds></m:DeleteAttachment>`);
  assert.deepEqual(codes(del.doc), ['NoError'], del.text.slice(0, 1500));
  const after = (await (await davRequest(tg.backends, user, 'GET', path(href))).text()).replace(/\r?\n[ \t]/g, '');
  assert.doesNotMatch(after, /^PHOTO[;:]/m);
  const again = await ews(tg, user, `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attId}"/></m:AttachmentIds></m:GetAttachment>`);
  assert.deepEqual(codes(again.doc), ['ErrorInvalidAttachmentId']);
});
