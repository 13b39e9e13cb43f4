// ews-javascript-api 0.15 (a port of Microsoft's EWS Managed API) against contacts
// over CardDAV: new Contact(service).Save, Contact.Bind, Update, ResolveName (with
// contact details), a contact picture written over CardDAV, Delete. Every change is
// also checked straight in Radicale.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  BasePropertySet,
  ConflictResolutionMode,
  Contact,
  DeleteMode,
  EmailAddress,
  EmailAddressKey,
  ExchangeService,
  FolderId,
  MailboxType,
  PhoneNumberKey,
  PropertySet,
  ResolveNameSearchLocation,
  ServiceError,
  ServiceResponseException,
  WellKnownFolderName,
  type ItemId,
} from 'ews-javascript-api';
import type { TestUser } from '../harness/backends.js';
import { davRequest } from '../harness/clients.js';
import { seedUser, type SeedResult } from '../harness/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { serviceFor, step } from './support/ews-javascript-api.js';

let tg: TestGateway;
let user: TestUser;
let seeded: SeedResult;
let service: ExchangeService;
const TAG = `ejs${Date.now().toString(36)}`;
const SURNAME = `Kontakt${TAG}`;
const EMAIL = `jurgen.${TAG}@example.org`;
let contactId: ItemId;

const bookPath = () => new URL(seeded.dav!.addressBookUrl, 'http://x/').pathname;

/** Every vCard in the address book, by href. */
async function davCards(): Promise<Map<string, string>> {
  const listing = await davRequest(tg.backends, user, 'PROPFIND', bookPath(), { depth: '1' });
  assert.equal(listing.status, 207);
  const hrefs = [...(await listing.text()).matchAll(/<(?:\w+:)?href>([^<]+\.vcf)<\/(?:\w+:)?href>/g)].map((m) => m[1]!);
  const out = new Map<string, string>();
  for (const h of hrefs) out.set(h, (await (await davRequest(tg.backends, user, 'GET', new URL(h, 'http://x/').pathname)).text()).replace(/\r?\n[ \t]/g, ''));
  return out;
}

async function cardWith(text: string): Promise<string> {
  const found = [...(await davCards()).values()].filter((c) => c.includes(text));
  assert.equal(found.length, 1, `${found.length} vCards in Radicale contain ${text}`);
  return found[0]!;
}

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
  service = serviceFor(tg.ewsUrl, user);
});

after(async () => {
  await tg?.close();
});

describe('ews-javascript-api contacts', () => {
  step('new Contact(service).Save() → a vCard in Radicale', async () => {
    const c = new Contact(service);
    c.GivenName = 'Jürgen';
    c.Surname = SURNAME;
    c.CompanyName = 'Beispiel GmbH';
    c.EmailAddresses._setItem(EmailAddressKey.EmailAddress1, new EmailAddress(EMAIL));
    c.PhoneNumbers._setItem(PhoneNumberKey.BusinessPhone, '+49 89 555 0100');
    await c.Save(new FolderId(WellKnownFolderName.Contacts));
    assert.ok(c.Id?.UniqueId, 'no Id after Save');
    contactId = c.Id;
    const card = await cardWith(SURNAME);
    assert.match(card, new RegExp(EMAIL.replace(/\./g, '\\.')));
    assert.match(card, /\+49 89 555 0100/);
    assert.match(card, /Jürgen/);
  });

  step('Contact.Bind reads it back', async () => {
    const c = await Contact.Bind(service, contactId);
    assert.equal(c.GivenName, 'Jürgen');
    assert.equal(c.Surname, SURNAME);
    assert.equal(c.CompanyName, 'Beispiel GmbH');
    assert.equal(c.EmailAddresses._getItem(EmailAddressKey.EmailAddress1).Address, EMAIL);
    assert.equal(c.PhoneNumbers._getItem(PhoneNumberKey.BusinessPhone), '+49 89 555 0100');
    assert.equal(c.HasPicture, false);
  });

  step('Update(AutoResolve) changes the vCard', async () => {
    const c = await Contact.Bind(service, contactId);
    c.JobTitle = 'Abteilungsleiter';
    c.PhoneNumbers._setItem(PhoneNumberKey.MobilePhone, '+49 170 555 0199');
    await c.Update(ConflictResolutionMode.AutoResolve);
    const card = await cardWith(SURNAME);
    assert.match(card, /^TITLE[;:].*Abteilungsleiter/m);
    assert.match(card, /\+49 170 555 0199/);
    assert.match(card, /\+49 89 555 0100/, 'the update lost the business phone');
    const again = await Contact.Bind(service, contactId);
    assert.equal(again.JobTitle, 'Abteilungsleiter');
  });

  step('ResolveName: the contact, with its details', async () => {
    const res = await service.ResolveName(SURNAME, ResolveNameSearchLocation.ContactsThenDirectory, true);
    assert.equal(res.Count, 1);
    const r = res._getItem(0);
    assert.equal(r.Mailbox.Address, EMAIL);
    assert.equal(r.Mailbox.MailboxType, MailboxType.Contact);
    assert.ok(r.Contact, 'no contact details');
    assert.equal(r.Contact.Surname, SURNAME);
    assert.equal(r.Contact.JobTitle, 'Abteilungsleiter');
  });

  step('ResolveName: several matches, and none', async () => {
    const many = await service.ResolveName('example', ResolveNameSearchLocation.ContactsOnly, false);
    assert.ok(many.Count > 1, `${many.Count} resolutions for "example"`);
    const none = await service.ResolveName(`nobody-${TAG}`, ResolveNameSearchLocation.ContactsOnly, false);
    assert.equal(none.Count, 0);
  });

  step('a PHOTO written over CardDAV: HasPicture and the contact picture attachment', async () => {
    const [href, card] = [...(await davCards()).entries()].find(([, c]) => c.includes(SURNAME))!;
    const photo = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
    const withPhoto = card.replace(/END:VCARD/, `PHOTO;ENCODING=b;TYPE=JPEG:${photo.toString('base64')}\r\nEND:VCARD`);
    const put = await davRequest(tg.backends, user, 'PUT', new URL(href, 'http://x/').pathname, {
      body: withPhoto,
      headers: { 'Content-Type': 'text/vcard; charset=utf-8' },
    });
    assert.ok(put.status === 201 || put.status === 204, `PUT ${put.status}`);
    const c = await Contact.Bind(service, contactId, new PropertySet(BasePropertySet.FirstClassProperties));
    assert.equal(c.HasPicture, true);
    const att = c.GetContactPictureAttachment();
    assert.ok(att, 'no contact picture attachment');
    assert.equal(att.Name, 'ContactPicture.jpg');
    assert.equal(att.IsContactPhoto, true);
    assert.equal(att.Size, photo.length);
  });

  step('Delete(HardDelete) removes the vCard', async () => {
    const c = await Contact.Bind(service, contactId);
    await c.Delete(DeleteMode.HardDelete);
    const left = [...(await davCards()).values()].filter((x) => x.includes(SURNAME));
    assert.equal(left.length, 0);
    let code = '';
    try {
      await Contact.Bind(service, contactId);
    } catch (e) {
      code = e instanceof ServiceResponseException ? ServiceError[e.ErrorCode] : String(e);
    }
    assert.equal(code, 'ErrorItemNotFound');
  });
});
