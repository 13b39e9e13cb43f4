// t:Contact / t:DistributionList rendering (schema order, shapes, indexed and
// extended properties, versions), restriction values, CreateItem parsing and
// UpdateItem changes, with Exchange's error codes for bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NS, elementChildren, parseXml, type Element } from '../../src/soap/xml.js';
import { EwsError, SoapFault } from '../../src/ews/errors.js';
import { parseItemShape, type ItemShape } from '../../src/ews/items/shape.js';
import { parsePropertyPath } from '../../src/ews/properties/path.js';
import type { ExchangeVersion } from '../../src/soap/envelope.js';
import { emptyContact, readVCard, writeVCard, type CardItem, type Contact, type ContactGroup, type GroupMember } from '../../src/convert/vcard-contact.js';
import { contactPropertyValue, isKnownContactField, renderContact, renderContactItem, renderDistributionList, type ContactItemMeta } from '../../src/ews/contacts/render.js';
import { MAX_CONTACT_PHOTO_BYTES, applyContactUpdates, parseContactElement, parseContactItemElement, parseDistributionListElement, setContactPhoto } from '../../src/ews/contacts/parse.js';
import { memberKey } from '../../src/ews/contacts/properties.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/vcard/', import.meta.url));
const T = `xmlns:t="${NS.types}"`;
const read = (f: string) => readVCard(fs.readFileSync(FIXTURES + f));
const META: ContactItemMeta = {
  id: 'AAMkCONTACT',
  changeKey: 'CK1',
  parentFolderId: 'AAMkFOLDER',
  parentChangeKey: 'FCK',
  href: '/u%40example.test/contacts/ingrid%20l.vcf',
  lastModified: new Date('2026-11-02T09:15:00Z'),
  photoAttachmentId: 'AAMkPHOTO',
};

function shape(inner: string): ItemShape {
  return parseItemShape(parseXml(`<m:ItemShape xmlns:m="${NS.messages}" ${T}>${inner}</m:ItemShape>`).documentElement as unknown as Element);
}

function el(xml: string): Element {
  return parseXml(xml.replace(/^<(t:\w+)/, `<$1 ${T}`)).documentElement as unknown as Element;
}

/** The rendered XML parsed back (so it is well-formed), as an element. */
function dom(xml: { toString(): string }): Element {
  const text = xml.toString().replace(/^<(t:\w+)/, `<$1 ${T}`);
  return parseXml(text).documentElement as unknown as Element;
}

const names = (e: Element) => elementChildren(e).map((c) => c.localName);
const kid = (e: Element, name: string) => elementChildren(e).find((c) => c.localName === name);
const txt = (e: Element, ...path: string[]) => path.reduce<Element | undefined>((cur, n) => (cur ? kid(cur, n) : undefined), e)?.textContent ?? undefined;

// The schema's sequences (types.xsd): ItemType, then ContactItemType / DistributionListType.
const ITEM_ORDER = [
  'MimeContent', 'ItemId', 'ParentFolderId', 'ItemClass', 'Subject', 'Sensitivity', 'Body', 'Attachments', 'DateTimeReceived', 'Size', 'Categories',
  'Importance', 'InReplyTo', 'IsSubmitted', 'IsDraft', 'IsFromMe', 'IsResend', 'IsUnmodified', 'InternetMessageHeaders', 'DateTimeSent',
  'DateTimeCreated', 'ResponseObjects', 'ReminderDueBy', 'ReminderIsSet', 'ReminderMinutesBeforeStart', 'DisplayCc', 'DisplayTo', 'HasAttachments',
  'ExtendedProperty', 'Culture', 'EffectiveRights', 'LastModifiedName', 'LastModifiedTime', 'IsAssociated',
];
const CONTACT_ORDER = [
  ...ITEM_ORDER, 'FileAs', 'FileAsMapping', 'DisplayName', 'GivenName', 'Initials', 'MiddleName', 'Nickname', 'CompleteName', 'CompanyName',
  'EmailAddresses', 'PhysicalAddresses', 'PhoneNumbers', 'AssistantName', 'Birthday', 'BusinessHomePage', 'Children', 'Companies',
  'ContactSource', 'Department', 'Generation', 'ImAddresses', 'JobTitle', 'Manager', 'Mileage', 'OfficeLocation', 'PostalAddressIndex',
  'Profession', 'SpouseName', 'Surname', 'WeddingAnniversary', 'HasPicture', 'PhoneticFullName', 'PhoneticFirstName', 'PhoneticLastName',
  'Alias', 'Notes', 'Photo',
];
const GROUP_ORDER = [...ITEM_ORDER, 'DisplayName', 'FileAs', 'ContactSource', 'Members'];

function assertOrder(e: Element, order: string[]): void {
  let last = -1;
  for (const n of names(e)) {
    const i = order.lastIndexOf(n!);
    assert.ok(i >= 0, `${n} is not in the ${e.localName} sequence`);
    assert.ok(i >= last, `${n} is out of schema order in ${names(e).join(' ')}`);
    last = i;
  }
}

function ewsCode(code: string) {
  return (e: unknown) => {
    assert.ok(e instanceof EwsError, `expected EwsError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}
const schemaFault = (e: unknown) => e instanceof SoapFault && e.responseCode === 'ErrorSchemaValidation';

const ALL_VERSIONS: ExchangeVersion[] = ['Exchange2007_SP1', 'Exchange2010', 'Exchange2010_SP2', 'Exchange2013', 'V2017_07_11'];

test('golden: a small contact in the Default shape (GetItem), Exchange2013', () => {
  const c: Contact = {
    ...emptyContact(),
    uid: 'U1',
    displayName: 'Ada Lovelace',
    givenName: 'Ada',
    surname: 'Lovelace',
    companyName: 'Analytical Engines & Co',
    emails: { EmailAddress1: { address: 'ada@engines.example', name: 'Ada L.' } },
    phones: { MobilePhone: '+44 20 5555 0100', BusinessFax: '+44 20 5555 0199' },
    addresses: { Business: { street: '1 Babbage Row', city: 'London', postalCode: 'N1 1AA', countryOrRegion: 'UK' } },
    postalAddressIndex: 'Business',
    birthday: '--12-10',
    notes: 'Wrote the first <program>.',
    categories: ['Maths'],
  };
  const xml = renderContact(c, { ...META, photoAttachmentId: undefined, size: 321 }, shape('<t:BaseShape>Default</t:BaseShape>'), 'Exchange2013').toString();
  assert.equal(
    xml,
    '<t:Contact><t:ItemId Id="AAMkCONTACT" ChangeKey="CK1"/><t:ParentFolderId Id="AAMkFOLDER" ChangeKey="FCK"/><t:ItemClass>IPM.Contact</t:ItemClass>' +
      '<t:Subject>Ada Lovelace</t:Subject><t:Sensitivity>Normal</t:Sensitivity><t:Body BodyType="Text" IsTruncated="false">Wrote the first &lt;program&gt;.</t:Body>' +
      '<t:DateTimeReceived>2026-11-02T09:15:00Z</t:DateTimeReceived><t:Size>321</t:Size><t:Categories><t:String>Maths</t:String></t:Categories>' +
      '<t:Importance>Normal</t:Importance><t:IsSubmitted>false</t:IsSubmitted><t:IsDraft>false</t:IsDraft><t:IsFromMe>false</t:IsFromMe>' +
      '<t:IsResend>false</t:IsResend><t:IsUnmodified>false</t:IsUnmodified><t:DateTimeSent>2026-11-02T09:15:00Z</t:DateTimeSent>' +
      '<t:DateTimeCreated>2026-11-02T09:15:00Z</t:DateTimeCreated><t:ReminderIsSet>false</t:ReminderIsSet><t:DisplayCc/><t:DisplayTo/>' +
      '<t:HasAttachments>false</t:HasAttachments><t:Culture>en-US</t:Culture><t:EffectiveRights><t:CreateAssociated>false</t:CreateAssociated>' +
      '<t:CreateContents>false</t:CreateContents><t:CreateHierarchy>false</t:CreateHierarchy><t:Delete>true</t:Delete><t:Modify>true</t:Modify>' +
      '<t:Read>true</t:Read><t:ViewPrivateItems>true</t:ViewPrivateItems></t:EffectiveRights><t:LastModifiedTime>2026-11-02T09:15:00Z</t:LastModifiedTime>' +
      '<t:IsAssociated>false</t:IsAssociated><t:FileAs>Lovelace, Ada</t:FileAs><t:DisplayName>Ada Lovelace</t:DisplayName><t:GivenName>Ada</t:GivenName>' +
      '<t:CompleteName><t:FirstName>Ada</t:FirstName><t:LastName>Lovelace</t:LastName><t:FullName>Ada Lovelace</t:FullName></t:CompleteName>' +
      '<t:CompanyName>Analytical Engines &amp; Co</t:CompanyName>' +
      '<t:EmailAddresses><t:Entry Key="EmailAddress1" Name="Ada L." RoutingType="SMTP" MailboxType="Mailbox">ada@engines.example</t:Entry></t:EmailAddresses>' +
      '<t:PhysicalAddresses><t:Entry Key="Business"><t:Street>1 Babbage Row</t:Street><t:City>London</t:City><t:CountryOrRegion>UK</t:CountryOrRegion>' +
      '<t:PostalCode>N1 1AA</t:PostalCode></t:Entry></t:PhysicalAddresses>' +
      '<t:PhoneNumbers><t:Entry Key="BusinessFax">+44 20 5555 0199</t:Entry><t:Entry Key="MobilePhone">+44 20 5555 0100</t:Entry></t:PhoneNumbers>' +
      '<t:Birthday>1604-12-10T11:59:00Z</t:Birthday><t:PostalAddressIndex>Business</t:PostalAddressIndex><t:Surname>Lovelace</t:Surname>' +
      '<t:HasPicture>false</t:HasPicture></t:Contact>',
  );
  assertOrder(dom(xml), CONTACT_ORDER);
});

test('every fixture renders well-formed, in schema order, for every shape and version', () => {
  const files = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.vcf') && !f.startsWith('broken-'));
  const shapes = [
    shape('<t:BaseShape>IdOnly</t:BaseShape>'),
    shape('<t:BaseShape>Default</t:BaseShape>'),
    shape('<t:BaseShape>AllProperties</t:BaseShape><t:BodyType>HTML</t:BodyType><t:IncludeMimeContent>true</t:IncludeMimeContent>'),
    shape(
      '<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="contacts:Notes"/><t:FieldURI FieldURI="contacts:Photo"/>' +
        '<t:FieldURI FieldURI="contacts:FileAsMapping"/><t:FieldURI FieldURI="contacts:Companies"/><t:FieldURI FieldURI="contacts:ContactSource"/>' +
        '<t:ExtendedFieldURI PropertyTag="0x3a06" PropertyType="String"/><t:FieldURI FieldURI="item:Attachments"/></t:AdditionalProperties>',
    ),
  ];
  for (const f of files) {
    const item = read(f);
    for (const s of shapes) {
      for (const v of ALL_VERSIONS) {
        const root = dom(renderContactItem(item, META, s, v));
        assertOrder(root, item.kind === 'group' ? GROUP_ORDER : CONTACT_ORDER);
        assert.equal(kid(root, 'ItemId')?.getAttribute('Id'), 'AAMkCONTACT');
        if (s.base === 'IdOnly' && !s.additional.length) assert.deepEqual(names(root), ['ItemId']);
        if (s.includeMimeContent) assert.equal(Buffer.from(txt(root, 'MimeContent')!, 'base64').toString('utf8'), item.source);
        if (v === 'Exchange2007_SP1') assert.ok(!names(root).includes('HasPicture') && !names(root).includes('Members') && !names(root).includes('Notes'));
      }
    }
  }
});

test('Apple contact, AllProperties: values EWS clients read', () => {
  const root = dom(renderContactItem(read('apple-contacts-3.0.vcf'), META, shape('<t:BaseShape>AllProperties</t:BaseShape>'), 'Exchange2013'));
  assert.equal(txt(root, 'DisplayName'), 'Dr. Ingrid Maria Lindqvist PhD');
  assert.equal(txt(root, 'FileAs'), 'Lindqvist, Ingrid');
  assert.equal(txt(root, 'CompleteName', 'Title'), 'Dr.');
  assert.equal(txt(root, 'CompleteName', 'Suffix'), 'PhD');
  assert.equal(txt(root, 'CompleteName', 'YomiLastName'), 'Lindkvist');
  assert.equal(txt(root, 'Generation'), 'PhD');
  const phones = elementChildren(kid(root, 'PhoneNumbers')!).map((e) => [e.getAttribute('Key'), e.textContent]);
  assert.deepEqual(phones, [
    ['AssistantPhone', '+46 8 555 010 99'],
    ['BusinessPhone', '+46 8 555 010 00'],
    ['CompanyMainPhone', '+46 8 555 000 00'],
    ['HomeFax', '+46 8 555 099 99'],
    ['MobilePhone', '+46 70 123 45 67'],
    ['Pager', '+46 74 000 11 22'],
  ]);
  const business = elementChildren(kid(root, 'PhysicalAddresses')!).find((e) => e.getAttribute('Key') === 'Business')!;
  assert.equal(txt(business, 'Street'), 'Kungsgatan 12\nPlan 4');
  assert.equal(txt(root, 'PostalAddressIndex'), 'Business');
  assert.equal(txt(root, 'Birthday'), '1604-03-15T11:59:00Z');
  assert.equal(txt(root, 'WeddingAnniversary'), '2012-08-25T11:59:00Z');
  assert.deepEqual(elementChildren(kid(root, 'Children')!).map((e) => e.textContent), ['Astrid', 'Olof']);
  assert.equal(txt(root, 'SpouseName'), 'Erik Lindqvist');
  assert.equal(txt(root, 'Manager'), 'Karin Berg');
  assert.equal(txt(root, 'AssistantName'), 'Nils Ek');
  assert.equal(txt(root, 'BusinessHomePage'), 'https://nordlicht.example');
  assert.equal(txt(root, 'HasPicture'), 'true');
  assert.equal(txt(root, 'HasAttachments'), 'true');
  const att = kid(kid(root, 'Attachments')!, 'FileAttachment')!;
  assert.equal(txt(att, 'Name'), 'ContactPicture.jpg');
  assert.equal(txt(att, 'IsContactPhoto'), 'true');
  assert.equal(kid(att, 'AttachmentId')?.getAttribute('Id'), 'AAMkPHOTO');
  assert.equal(txt(root, 'Body'), 'Met at the Gothenburg data meetup.\nPrefers Signal, then e-mail.');
  assert.equal(txt(root, 'PhoneticFullName'), 'Ingrid Lindkvist');
  assert.equal(txt(root, 'ContactSource'), 'Store');
});

test('IdOnly + IndexedFieldURI (only the asked entries) + ExtendedFieldURI (attributes echoed as spelled)', () => {
  const s = shape(
    '<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>' +
      '<t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="MobilePhone"/>' +
      '<t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="Pager"/>' +
      '<t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress2"/>' +
      '<t:IndexedFieldURI FieldURI="contacts:PhysicalAddress:City" FieldIndex="Business"/>' +
      '<t:IndexedFieldURI FieldURI="contacts:PhysicalAddress:City" FieldIndex="Home"/>' +
      '<t:IndexedFieldURI FieldURI="contacts:ImAddress" FieldIndex="ImAddress1"/>' +
      '<t:ExtendedFieldURI PropertyTag="0x3a06" PropertyType="String"/>' +
      '<t:ExtendedFieldURI PropertyTag="14865" PropertyType="String"/>' +
      '<t:ExtendedFieldURI DistinguishedPropertySetId="Address" PropertyId="32900" PropertyType="String"/>' +
      '<t:ExtendedFieldURI PropertySetId="00062004-0000-0000-C000-000000000046" PropertyId="32789" PropertyType="Boolean"/>' +
      '<t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"/>' +
      '<t:ExtendedFieldURI PropertyTag="0x001a" PropertyType="String"/>' +
      '<t:ExtendedFieldURI PropertyTag="0x3a42" PropertyType="SystemTime"/>' +
      '<t:ExtendedFieldURI PropertyTag="0x10f3" PropertyType="String"/>' +
      '<t:ExtendedFieldURI PropertyTag="0x3008" PropertyType="SystemTime"/>' +
      '<t:ExtendedFieldURI PropertyTag="0x7777" PropertyType="String"/>' +
      '</t:AdditionalProperties>',
  );
  const xml = renderContactItem(read('apple-contacts-3.0.vcf'), META, s, 'Exchange2010_SP2').toString();
  const root = dom(xml);
  assert.deepEqual(names(root), ['ItemId', 'ExtendedProperty', 'ExtendedProperty', 'ExtendedProperty', 'ExtendedProperty', 'ExtendedProperty', 'ExtendedProperty', 'ExtendedProperty', 'ExtendedProperty', 'ExtendedProperty', 'EmailAddresses', 'PhysicalAddresses', 'PhoneNumbers', 'ImAddresses']);
  assert.match(xml, /<t:PhoneNumbers><t:Entry Key="MobilePhone">\+46 70 123 45 67<\/t:Entry><t:Entry Key="Pager">\+46 74 000 11 22<\/t:Entry><\/t:PhoneNumbers>/);
  assert.match(xml, /<t:EmailAddresses><t:Entry Key="EmailAddress2">inga@lindqvist.example<\/t:Entry><\/t:EmailAddresses>/);
  assert.match(xml, /<t:PhysicalAddresses><t:Entry Key="Home"><t:City>Lidingö<\/t:City><\/t:Entry><t:Entry Key="Business"><t:City>Stockholm<\/t:City><\/t:Entry><\/t:PhysicalAddresses>/);
  assert.match(xml, /<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x3a06" PropertyType="String"\/><t:Value>Ingrid<\/t:Value><\/t:ExtendedProperty>/);
  assert.match(xml, /<t:ExtendedFieldURI PropertyTag="14865" PropertyType="String"\/><t:Value>Lindqvist<\/t:Value>/, 'decimal tags (evolution-ews) work and are echoed as sent');
  assert.match(xml, /<t:ExtendedFieldURI DistinguishedPropertySetId="Address" PropertyId="32900" PropertyType="String"\/><t:Value>ingrid@nordlicht.example<\/t:Value>/);
  assert.match(xml, /PropertyId="32789" PropertyType="Boolean"\/><t:Value>true<\/t:Value>/);
  assert.match(xml, /PropertyName="Keywords" PropertyType="StringArray"\/><t:Values><t:Value>Work<\/t:Value><t:Value>Conference<\/t:Value><\/t:Values>/);
  assert.match(xml, /PropertyTag="0x001a" PropertyType="String"\/><t:Value>IPM.Contact<\/t:Value>/);
  assert.match(xml, /PropertyTag="0x3a42" PropertyType="SystemTime"\/><t:Value>1604-03-15T11:59:00Z<\/t:Value>/);
  assert.match(xml, /PropertyTag="0x10f3" PropertyType="String"\/><t:Value>ingrid l.vcf<\/t:Value>/);
  const davmailName = renderContactItem(read('apple-contacts-3.0.vcf'), { ...META, href: '/u%40x/contacts/AbC-1.EML.vcf' }, s, 'Exchange2010_SP2').toString();
  assert.match(davmailName, /PropertyTag="0x10f3" PropertyType="String"\/><t:Value>AbC-1.EML<\/t:Value>/, 'the name DavMail gave, without the .vcf a store added');
  assert.match(xml, /PropertyTag="0x3008" PropertyType="SystemTime"\/><t:Value>2026-11-02T09:15:00Z<\/t:Value>/);
  assert.doesNotMatch(xml, /0x7777/, 'an unknown property is left out, not answered empty');
  assert.throws(
    () => renderContactItem(read('apple-contacts-3.0.vcf'), META, shape('<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="SatellitePhone"/></t:AdditionalProperties>'), 'Exchange2013'),
    ewsCode('ErrorInvalidPropertyRequest'),
  );
});

test('distribution list: members with contact ItemIds, keys, version gating', () => {
  const g = read('vcard4-group.vcf') as ContactGroup;
  const meta: ContactItemMeta = {
    ...META,
    memberItem: (uid) => (uid === 'b6f1c0de-6a61-4c1e-9d3e-2f7a9c4e8d10' ? { id: 'AAMkAMARA', changeKey: 'CKA', name: 'Amara Okafor', email: 'a.okafor@unilag.example' } : undefined),
  };
  const xml = renderDistributionList(g, meta, shape('<t:BaseShape>Default</t:BaseShape>'), 'Exchange2013').toString();
  const root = dom(xml);
  assertOrder(root, GROUP_ORDER);
  assert.equal(txt(root, 'ItemClass'), 'IPM.DistList');
  assert.equal(txt(root, 'DisplayName'), 'Grid Paper Co-authors');
  const members = elementChildren(kid(root, 'Members')!);
  assert.equal(members.length, 3);
  assert.equal(txt(members[0]!, 'Mailbox', 'Name'), 'Amara Okafor');
  assert.equal(txt(members[0]!, 'Mailbox', 'MailboxType'), 'Contact');
  assert.equal(kid(kid(members[0]!, 'Mailbox')!, 'ItemId')?.getAttribute('Id'), 'AAMkAMARA');
  assert.equal(txt(members[1]!, 'Mailbox', 'Name'), 'Kwame Mensah');
  assert.equal(txt(members[1]!, 'Mailbox', 'EmailAddress'), 'kwame@accra-grid.example');
  assert.equal(txt(members[1]!, 'Mailbox', 'MailboxType'), 'OneOff');
  assert.equal(txt(members[1]!, 'Status'), 'Normal');
  assert.equal(members[1]!.getAttribute('Key'), memberKey(g.members[1]!));
  assert.ok(!renderDistributionList(g, meta, shape('<t:BaseShape>Default</t:BaseShape>'), 'Exchange2007_SP1').toString().includes('Members'));
  // A member whose contact is gone is still listed, as Unrecognized.
  const lost = dom(renderDistributionList(g, { ...META }, shape('<t:BaseShape>Default</t:BaseShape>'), 'Exchange2013'));
  assert.equal(txt(elementChildren(kid(lost, 'Members')!)[0]!, 'Status'), 'Unrecognized');
});

test('restriction and sort values: contactPropertyValue', () => {
  const c = read('apple-contacts-3.0.vcf');
  const p = (xml: string) => parsePropertyPath(el(xml));
  assert.equal(contactPropertyValue(c, p('<t:FieldURI FieldURI="contacts:DisplayName"/>'), META), 'Dr. Ingrid Maria Lindqvist PhD');
  assert.equal(contactPropertyValue(c, p('<t:FieldURI FieldURI="contacts:FileAs"/>'), META), 'Lindqvist, Ingrid');
  assert.equal(contactPropertyValue(c, p('<t:FieldURI FieldURI="item:Subject"/>'), META), 'Dr. Ingrid Maria Lindqvist PhD');
  assert.equal(contactPropertyValue(c, p('<t:FieldURI FieldURI="item:ItemClass"/>'), META), 'IPM.Contact');
  assert.equal(contactPropertyValue(c, p('<t:FieldURI FieldURI="item:ItemId"/>'), META), 'AAMkCONTACT');
  assert.equal(contactPropertyValue(c, p('<t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress1"/>'), META), 'ingrid@nordlicht.example');
  assert.equal(contactPropertyValue(c, p('<t:IndexedFieldURI FieldURI="contacts:PhysicalAddress:City" FieldIndex="Home"/>'), META), 'Lidingö');
  assert.equal(contactPropertyValue(c, p('<t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="CarPhone"/>'), META), undefined);
  assert.equal(contactPropertyValue(c, p('<t:ExtendedFieldURI PropertyTag="0x001A" PropertyType="String"/>'), META), 'IPM.Contact');
  assert.equal(contactPropertyValue(c, p('<t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"/>'), META), 'Work Conference');
  assert.equal(contactPropertyValue(c, p('<t:FieldURI FieldURI="contacts:Birthday"/>'), META), '1604-03-15T11:59:00Z');
  const g = read('vcard4-group.vcf');
  assert.equal(contactPropertyValue(g, p('<t:ExtendedFieldURI PropertyTag="0x001a" PropertyType="String"/>'), META), 'IPM.DistList');
  assert.match(contactPropertyValue(g, p('<t:FieldURI FieldURI="distributionlist:Members"/>'), META) ?? '', /kwame@accra-grid\.example/);
  assert.ok(isKnownContactField('contact', 'contacts:JobTitle'));
  assert.ok(!isKnownContactField('contact', 'message:IsRead'));
  assert.ok(isKnownContactField('group', 'distributionlist:Members'));
});

test('CreateItem: an exchangelib-style t:Contact becomes a model, a vCard, and the same model again', () => {
  const c = parseContactElement(
    el(`<t:Contact>
      <t:Body BodyType="HTML">&lt;html&gt;&lt;body&gt;&lt;p&gt;Met at &lt;b&gt;PyCon&lt;/b&gt;&lt;/p&gt;&lt;/body&gt;&lt;/html&gt;</t:Body>
      <t:Categories><t:String>Python</t:String><t:String>Speakers</t:String></t:Categories>
      <t:Sensitivity>Private</t:Sensitivity>
      <t:FileAs>Okoro, Chidi</t:FileAs>
      <t:DisplayName>Chidi Okoro</t:DisplayName>
      <t:GivenName>Chidi</t:GivenName>
      <t:Initials>C.O.</t:Initials>
      <t:Nickname>Chi</t:Nickname>
      <t:CompanyName>Lagos Labs</t:CompanyName>
      <t:EmailAddresses><t:Entry Key="EmailAddress1">chidi@lagoslabs.example</t:Entry><t:Entry Key="EmailAddress3">chi@home.example</t:Entry></t:EmailAddresses>
      <t:PhysicalAddresses><t:Entry Key="Home"><t:Street>5 Marina Rd</t:Street><t:City>Lagos</t:City><t:CountryOrRegion>Nigeria</t:CountryOrRegion></t:Entry></t:PhysicalAddresses>
      <t:PhoneNumbers><t:Entry Key="MobilePhone">+234 803 555 0199</t:Entry><t:Entry Key="RadioPhone">+234 1 555 0000</t:Entry><t:Entry Key="TtyTddPhone">+234 1 555 0001</t:Entry></t:PhoneNumbers>
      <t:AssistantName>Bisi</t:AssistantName>
      <t:Birthday>1990-06-30T11:59:00Z</t:Birthday>
      <t:BusinessHomePage>https://lagoslabs.example</t:BusinessHomePage>
      <t:Children><t:String>Ada</t:String></t:Children>
      <t:Department>Research</t:Department>
      <t:Generation>Jr.</t:Generation>
      <t:ImAddresses><t:Entry Key="ImAddress1">chidi@xmpp.example</t:Entry></t:ImAddresses>
      <t:JobTitle>Lead</t:JobTitle>
      <t:Manager>Ngozi</t:Manager>
      <t:Mileage>12</t:Mileage>
      <t:OfficeLocation>B2</t:OfficeLocation>
      <t:PostalAddressIndex>Home</t:PostalAddressIndex>
      <t:Profession>Engineer</t:Profession>
      <t:SpouseName>Ife</t:SpouseName>
      <t:Surname>Okoro</t:Surname>
      <t:WeddingAnniversary>2015-02-13T23:00:00Z</t:WeddingAnniversary>
      <t:MiddleName>Emeka</t:MiddleName>
    </t:Contact>`),
  );
  assert.equal(c.notes, 'Met at PyCon');
  assert.deepEqual(c.categories, ['Python', 'Speakers']);
  assert.equal(c.sensitivity, 'Private');
  assert.equal(c.birthday, '1990-06-30');
  assert.equal(c.anniversary, '2015-02-14', 'midnight at UTC+1 is the 14th');
  assert.equal(c.suffix, 'Jr.');
  assert.deepEqual(c.phones, { MobilePhone: '+234 803 555 0199', RadioPhone: '+234 1 555 0000', TtyTddPhone: '+234 1 555 0001' });
  assert.deepEqual(c.emails, { EmailAddress1: { address: 'chidi@lagoslabs.example' }, EmailAddress3: { address: 'chi@home.example' } });
  for (const version of ['3.0', '4.0'] as const) {
    const back = readVCard(writeVCard(c, { version })) as Contact;
    const { source: _s, uid: _u, ...rest } = back;
    // The e-mail slots close up on reading (EmailAddress3 alone becomes the second).
    assert.deepEqual({ ...rest, emails: undefined }, { ...c, emails: undefined }, version);
    assert.deepEqual(Object.values(back.emails).map((e) => e!.address), ['chidi@lagoslabs.example', 'chi@home.example']);
  }
});

test('CreateItem: DavMail-style contact made of extended properties, with its resource name', () => {
  const parsed = parseContactItemElement(
    el(`<t:Contact>
      <t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x10f3" PropertyType="String"/><t:Value>4fbe8971-0bc3.EML</t:Value></t:ExtendedProperty>
      <t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x3A06" PropertyType="String"/><t:Value>Lena</t:Value></t:ExtendedProperty>
      <t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x3A11" PropertyType="String"/><t:Value>Fischer</t:Value></t:ExtendedProperty>
      <t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x3A1C" PropertyType="String"/><t:Value>+49 170 555 0101</t:Value></t:ExtendedProperty>
      <t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x3A5D" PropertyType="String"/><t:Value>Hauptstr. 1</t:Value></t:ExtendedProperty>
      <t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="Address" PropertyId="32838" PropertyType="String"/><t:Value>Berlin</t:Value></t:ExtendedProperty>
      <t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x3A42" PropertyType="SystemTime"/><t:Value>1988-07-14T22:00:00Z</t:Value></t:ExtendedProperty>
      <t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"/><t:Values><t:Value>Uni</t:Value><t:Value>Berlin</t:Value></t:Values></t:ExtendedProperty>
      <t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="Address" PropertyId="32802" PropertyType="Integer"/><t:Value>1</t:Value></t:ExtendedProperty>
      <t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="Common" PropertyId="34054" PropertyType="Boolean"/><t:Value>true</t:Value></t:ExtendedProperty>
      <t:FileAs>Fischer, Lena</t:FileAs>
      <t:EmailAddresses><t:Entry Key="EmailAddress1">lena.fischer@tu-example.de</t:Entry></t:EmailAddresses>
    </t:Contact>`),
  );
  assert.equal(parsed.resourceName, '4fbe8971-0bc3.EML');
  const c = parsed.item as Contact;
  assert.deepEqual([c.givenName, c.surname, c.displayName], ['Lena', 'Fischer', undefined]);
  assert.equal(c.phones.MobilePhone, '+49 170 555 0101');
  assert.deepEqual(c.addresses, { Home: { street: 'Hauptstr. 1' }, Business: { city: 'Berlin' } });
  assert.equal(c.birthday, '1988-07-15', 'midnight in Berlin (UTC+2) is the 15th');
  assert.deepEqual(c.categories, ['Uni', 'Berlin']);
  assert.equal(c.postalAddressIndex, 'Home');
  assert.equal(c.sensitivity, 'Private');
  assert.equal(c.fileAs, 'Fischer, Lena');
  assert.match(writeVCard(c), /\r\nFN:Lena Fischer\r\n/);
});

test('CreateItem: a distribution list, members by e-mail and by ItemId; MimeContent vCards', () => {
  const g = parseDistributionListElement(
    el(`<t:DistributionList><t:DisplayName>Reviewers</t:DisplayName><t:Members>
      <t:Member><t:Mailbox><t:Name>Ana</t:Name><t:EmailAddress>ana@x.example</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>OneOff</t:MailboxType></t:Mailbox></t:Member>
      <t:Member><t:Mailbox><t:ItemId Id="AAMkBOB" ChangeKey="x"/></t:Mailbox></t:Member>
    </t:Members></t:DistributionList>`),
  );
  assert.equal(g.displayName, 'Reviewers');
  assert.deepEqual(g.members, [{ name: 'Ana', email: 'ana@x.example' }, { itemId: 'AAMkBOB' }]);
  const members: GroupMember[] = g.members; // (deepEqual above narrowed g.members' type)
  members[1] = { contactUid: 'BOB-UID' };
  assert.match(writeVCard(g), /X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:BOB-UID/);

  const vcard = fs.readFileSync(FIXTURES + 'vcard4-individual.vcf').toString('base64');
  const fromMime = parseContactElement(el(`<t:Contact><t:MimeContent CharacterSet="UTF-8">${vcard}</t:MimeContent><t:JobTitle>Dean</t:JobTitle></t:Contact>`));
  assert.equal(fromMime.displayName, 'Amara Okafor');
  assert.equal(fromMime.jobTitle, 'Dean', 'elements apply over the MimeContent');
  assert.throws(() => parseContactElement(el(`<t:Contact><t:MimeContent>${Buffer.from('not a card').toString('base64')}</t:MimeContent></t:Contact>`)), ewsCode('ErrorContentConversionFailed'));
  assert.throws(() => parseContactElement(el(`<t:Contact><t:MimeContent>${fs.readFileSync(FIXTURES + 'vcard4-group.vcf').toString('base64')}</t:MimeContent></t:Contact>`)), ewsCode('ErrorContentConversionFailed'));
});

test('CreateItem: bad input answers as Exchange does', () => {
  assert.throws(() => parseContactElement(el('<t:Contact><t:NoSuchThing>1</t:NoSuchThing></t:Contact>')), schemaFault);
  assert.throws(() => parseContactElement(el('<t:Contact><t:PhoneNumbers><t:Entry Key="SatellitePhone">1</t:Entry></t:PhoneNumbers></t:Contact>')), schemaFault, 'an unknown phone key');
  assert.throws(() => parseContactElement(el('<t:Contact><t:Birthday>last tuesday</t:Birthday></t:Contact>')), schemaFault);
  assert.throws(() => parseContactElement(el('<t:Contact><t:Birthday>2001-02-30T00:00:00Z</t:Birthday></t:Contact>')), schemaFault);
  assert.throws(() => parseContactElement(el('<t:Contact><t:PostalAddressIndex>Moon</t:PostalAddressIndex></t:Contact>')), schemaFault);
  assert.throws(() => parseContactElement(el('<t:Contact><t:Sensitivity>Secret</t:Sensitivity></t:Contact>')), schemaFault);
  assert.throws(
    () => parseContactElement(el('<t:Contact><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x3A42" PropertyType="SystemTime"/><t:Value>soon</t:Value></t:ExtendedProperty></t:Contact>')),
    ewsCode('ErrorInvalidExtendedPropertyValue'),
  );
  assert.throws(() => parseDistributionListElement(el('<t:DistributionList><t:Members/></t:DistributionList>')), ewsCode('ErrorInvalidPropertySet'));
  assert.throws(
    () => parseDistributionListElement(el('<t:DistributionList><t:DisplayName>X</t:DisplayName><t:Members><t:Member><t:Mailbox><t:Name>Nobody</t:Name></t:Mailbox></t:Member></t:Members></t:DistributionList>')),
    ewsCode('ErrorInvalidRecipients'),
  );
  // Read-only elements are ignored on creation, as Exchange does.
  const c = parseContactElement(el('<t:Contact><t:ItemClass>IPM.Contact</t:ItemClass><t:HasPicture>true</t:HasPicture><t:GivenName>Ok</t:GivenName></t:Contact>'));
  assert.equal(c.givenName, 'Ok');
  assert.equal(c.photo, undefined);
});

function set(path: string, value: string, wrapper = 't:Contact'): Element {
  return el(`<t:SetItemField>${path}<${wrapper}>${value}</${wrapper}></t:SetItemField>`);
}
function append(path: string, value: string, wrapper = 't:Contact'): Element {
  return el(`<t:AppendToItemField>${path}<${wrapper}>${value}</${wrapper}></t:AppendToItemField>`);
}
function del(path: string): Element {
  return el(`<t:DeleteItemField>${path}</t:DeleteItemField>`);
}
const F = (uri: string) => `<t:FieldURI FieldURI="${uri}"/>`;
const I = (uri: string, index: string) => `<t:IndexedFieldURI FieldURI="${uri}" FieldIndex="${index}"/>`;
const E = (attrs: string) => `<t:ExtendedFieldURI ${attrs}/>`;

test('UpdateItem: Set / Append / Delete on fields, indexed entries and extended properties, written back into the vCard', () => {
  const c = read('apple-contacts-3.0.vcf') as Contact;
  applyContactUpdates(c, [
    set(F('contacts:GivenName'), '<t:GivenName>Inga</t:GivenName>'),
    set(I('contacts:EmailAddress', 'EmailAddress2'), '<t:EmailAddresses><t:Entry Key="EmailAddress2">inga@new.example</t:Entry></t:EmailAddresses>'),
    set(I('contacts:PhysicalAddress:City', 'Home'), '<t:PhysicalAddresses><t:Entry Key="Home"><t:City>Nacka</t:City></t:Entry></t:PhysicalAddresses>'),
    set(I('contacts:PhoneNumber', 'CarPhone'), '<t:PhoneNumbers><t:Entry Key="CarPhone">+46 70 111 22 33</t:Entry></t:PhoneNumbers>'),
    del(I('contacts:PhoneNumber', 'Pager')),
    del(I('contacts:PhysicalAddress:Street', 'Business')),
    append(F('item:Categories'), '<t:Categories><t:String>VIP</t:String></t:Categories>'),
    append(F('item:Body'), '<t:Body BodyType="Text">Call back in May.</t:Body>'),
    append(F('contacts:Children'), '<t:Children><t:String>Greta</t:String></t:Children>'),
    set(E('PropertyTag="0x3A45" PropertyType="String"'), `<t:ExtendedProperty>${E('PropertyTag="0x3A45" PropertyType="String"')}<t:Value>Prof.</t:Value></t:ExtendedProperty>`),
    del(E('PropertyTag="0x3A4E" PropertyType="String"')),
    del(F('contacts:SpouseName')),
    set(F('contacts:WeddingAnniversary'), '<t:WeddingAnniversary>2012-08-26T11:59:00Z</t:WeddingAnniversary>'),
    set(F('item:Sensitivity'), '<t:Sensitivity>Private</t:Sensitivity>', 't:Item'),
  ]);
  assert.equal(c.givenName, 'Inga');
  assert.equal(c.emails.EmailAddress2?.address, 'inga@new.example');
  assert.equal(c.addresses.Home?.city, 'Nacka');
  assert.equal(c.addresses.Home?.street, 'Solvägen 3', 'one part changed, the others kept');
  assert.equal(c.addresses.Business?.street, undefined);
  assert.equal(c.addresses.Business?.extended, undefined, 'deleting Street deletes all of it');
  assert.equal(c.phones.CarPhone, '+46 70 111 22 33');
  assert.equal(c.phones.Pager, undefined);
  assert.deepEqual(c.categories, ['Work', 'Conference', 'VIP']);
  assert.equal(c.notes, 'Met at the Gothenburg data meetup.\nPrefers Signal, then e-mail.\nCall back in May.');
  assert.deepEqual(c.children, ['Astrid', 'Olof', 'Greta']);
  assert.equal(c.title, 'Prof.');
  assert.equal(c.manager, undefined);
  assert.equal(c.spouseName, undefined);
  assert.equal(c.anniversary, '2012-08-26');
  assert.equal(c.sensitivity, 'Private');

  const text = writeVCard(c);
  const back = readVCard(text) as Contact;
  for (const k of ['givenName', 'title', 'phones', 'categories', 'notes', 'children', 'anniversary', 'sensitivity', 'spouseName', 'manager'] as const) {
    assert.deepEqual(back[k], c[k], k);
  }
  assert.equal(back.addresses.Home?.city, 'Nacka');
  assert.equal(back.emails.EmailAddress2?.address, 'inga@new.example');
  assert.match(text, /\r\nX-SOCIALPROFILE;type=mastodon;x-user=inga:https:\/\/social\.example\/@inga\r\n/, 'unknown properties survive the update');
  assert.match(text, /\r\nitem5\.X-ABADR:se\r\n/);
});

test('UpdateItem: DavMail-style updates (empty dictionary clears an entry; extended e-mail)', () => {
  const c = read('apple-contacts-3.0.vcf') as Contact;
  applyContactUpdates(c, [
    set(I('contacts:EmailAddress', 'EmailAddress3'), '<t:EmailAddresses></t:EmailAddresses>'),
    set(E('DistinguishedPropertySetId="Address" PropertyId="32900" PropertyType="String"'), `<t:ExtendedProperty>${E('DistinguishedPropertySetId="Address" PropertyId="32900" PropertyType="String"')}<t:Value>ingrid@moved.example</t:Value></t:ExtendedProperty>`),
    set(E('PropertyTag="0x10f3" PropertyType="String"'), `<t:ExtendedProperty>${E('PropertyTag="0x10f3" PropertyType="String"')}<t:Value>x.EML</t:Value></t:ExtendedProperty>`),
    del(E('PropertyTag="0x7777" PropertyType="String"')),
  ]);
  assert.equal(c.emails.EmailAddress3, undefined);
  assert.equal(c.emails.EmailAddress1?.address, 'ingrid@moved.example');
});

test('UpdateItem: distribution list members (append, delete by key, set the whole list)', () => {
  const g = read('vcard4-group.vcf') as ContactGroup;
  const kwame = memberKey(g.members[1]!);
  applyContactUpdates(g, [
    append(F('distributionlist:Members'), '<t:Members><t:Member><t:Mailbox><t:Name>Zed</t:Name><t:EmailAddress>zed@x.example</t:EmailAddress></t:Mailbox></t:Member></t:Members>', 't:DistributionList'),
    del(I('distributionlist:Members:Member', kwame)),
    set(F('contacts:DisplayName'), '<t:DisplayName>Co-authors 2025</t:DisplayName>', 't:DistributionList'),
  ]);
  assert.deepEqual(g.members.map((m) => m.email ?? m.contactUid), ['b6f1c0de-6a61-4c1e-9d3e-2f7a9c4e8d10', 'lena.fischer@tu-example.de', 'zed@x.example']);
  assert.equal(g.displayName, 'Co-authors 2025');
  const back = readVCard(writeVCard(g)) as ContactGroup;
  assert.deepEqual(back.members, g.members);
  assert.throws(() => applyContactUpdates(g, [del(I('distributionlist:Members:Member', kwame))]), ewsCode('ErrorInvalidPropertyDelete'));
  applyContactUpdates(g, [set(F('distributionlist:Members'), '<t:Members/>', 't:DistributionList')]);
  assert.deepEqual(g.members, []);
});

test('UpdateItem: bad changes answer Exchange\'s codes, and a failing batch changes nothing', () => {
  const fresh = () => read('apple-contacts-3.0.vcf') as Contact;
  const cases: [Element, string | 'schema'][] = [
    [set(F('contacts:HasPicture'), '<t:HasPicture>false</t:HasPicture>'), 'ErrorInvalidPropertySet'],
    [set(F('contacts:CompleteName'), '<t:CompleteName/>'), 'ErrorInvalidPropertySet'],
    [append(F('contacts:GivenName'), '<t:GivenName>x</t:GivenName>'), 'ErrorInvalidPropertyAppend'],
    [append(I('contacts:PhoneNumber', 'MobilePhone'), '<t:PhoneNumbers/>'), 'ErrorInvalidPropertyAppend'],
    [del(F('item:ItemClass')), 'ErrorInvalidPropertyDelete'],
    [set(F('contacts:GivenName'), '<t:GivenName>a</t:GivenName><t:Surname>b</t:Surname>'), 'ErrorIncorrectUpdatePropertyCount'],
    [set(F('contacts:GivenName'), '<t:Surname>b</t:Surname>'), 'ErrorInvalidPropertySet'],
    [set(I('contacts:PhoneNumber', 'SatellitePhone'), '<t:PhoneNumbers><t:Entry Key="SatellitePhone">1</t:Entry></t:PhoneNumbers>'), 'ErrorInvalidPropertyRequest'],
    [set(I('contacts:PhoneNumber', 'MobilePhone'), '<t:PhoneNumbers><t:Entry Key="Pager">1</t:Entry></t:PhoneNumbers>'), 'ErrorInvalidPropertySet'],
    [set(F('message:IsRead'), '<t:IsRead>true</t:IsRead>', 't:Message'), 'ErrorInvalidPropertyRequest'],
    [del(I('distributionlist:Members:Member', 'ABC')), 'ErrorInvalidPropertyRequest'],
    [set(E('PropertyTag="0x3A4D" PropertyType="Short"'), `<t:ExtendedProperty>${E('PropertyTag="0x3A4D" PropertyType="Short"')}<t:Value>male</t:Value></t:ExtendedProperty>`), 'ErrorInvalidExtendedPropertyValue'],
    [set(F('contacts:Birthday'), '<t:Birthday>31/12/1990</t:Birthday>'), 'schema'],
    [el(`<t:SetItemField>${F('contacts:GivenName')}</t:SetItemField>`), 'schema'],
    [el('<t:SetItemField><t:Contact><t:GivenName>x</t:GivenName></t:Contact></t:SetItemField>'), 'schema'],
  ];
  for (const [update, code] of cases) {
    const c = fresh();
    const before = JSON.stringify(c);
    assert.throws(() => applyContactUpdates(c, [set(F('contacts:JobTitle'), '<t:JobTitle>Changed</t:JobTitle>'), update]), code === 'schema' ? schemaFault : ewsCode(code), code);
    assert.equal(JSON.stringify(c), before, `${code}: nothing applied`);
  }
});

test('contact photos: set, size limit, rendered as ContactPicture.jpg', () => {
  const c = read('google-export-3.0.vcf') as Contact;
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4]);
  setContactPhoto(c, jpeg);
  const back = readVCard(writeVCard(c)) as Contact;
  assert.deepEqual(back.photo, { data: jpeg, contentType: 'image/jpeg' });
  assert.throws(() => setContactPhoto(c, Buffer.alloc(MAX_CONTACT_PHOTO_BYTES + 1)), ewsCode('ErrorAttachmentSizeLimitExceeded'));
  setContactPhoto(c, Buffer.alloc(0));
  assert.equal(c.photo, undefined);
});

test('HTML bodies: requested as HTML, the notes are escaped into a document', () => {
  const c: CardItem = { ...emptyContact(), displayName: 'X', notes: 'a < b\nline 2' };
  const root = dom(renderContact(c, META, shape('<t:BaseShape>IdOnly</t:BaseShape><t:BodyType>HTML</t:BodyType><t:AdditionalProperties><t:FieldURI FieldURI="item:Body"/></t:AdditionalProperties>'), 'Exchange2013'));
  const body = kid(root, 'Body')!;
  assert.equal(body.getAttribute('BodyType'), 'HTML');
  assert.match(body.textContent ?? '', /a &lt; b<br>/);
  const empty = dom(renderContact({ ...emptyContact(), displayName: 'Y' }, META, shape('<t:BaseShape>Default</t:BaseShape>'), 'Exchange2013'));
  assert.equal(kid(empty, 'Body')?.getAttribute('BodyType'), 'Text', 'a requested Body is always there (Outlook for Mac waits for it)');
});
