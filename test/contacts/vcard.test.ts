// vCard ⇄ Contact / ContactGroup over the corpus in fixtures/vcard (see its README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  EMAIL_KEYS,
  PHONE_KEYS,
  VCardParseError,
  displayNameOf,
  emptyContact,
  emptyGroup,
  readVCard,
  sameUid,
  writeVCard,
  type CardItem,
  type Contact,
  type ContactGroup,
} from '../../src/convert/vcard-contact.js';
import { decodeVCardBytes, parseVCardDoc } from '../../src/convert/vcard.js';

const DIR = fileURLToPath(new URL('../../fixtures/vcard/', import.meta.url));
const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.vcf')).sort();
const GOOD = FILES.filter((f) => !f.startsWith('broken-'));
const raw = (f: string) => fs.readFileSync(DIR + f);
const NOW = new Date('2026-11-24T12:00:00Z');

/** The model without what is not data: the source text and reading warnings. */
function data(item: CardItem): Omit<CardItem, 'source' | 'warnings'> {
  const { source: _s, warnings: _w, ...rest } = item;
  return rest;
}

function contact(f: string): Contact {
  const c = readVCard(raw(f));
  assert.equal(c.kind, 'contact', f);
  return c as Contact;
}

/** Unfolded content lines of a vCard text. */
function lines(text: string): string[] {
  return text.replace(/\r\n[ \t]/g, '').split('\r\n').filter(Boolean);
}

test('the corpus is there, CRLF, and described in the README', () => {
  assert.ok(FILES.length >= 10, `only ${FILES.length} fixtures`);
  const readme = fs.readFileSync(DIR + 'README.md', 'utf8');
  for (const f of FILES) {
    const b = raw(f);
    for (let i = 0; i < b.length; i++) if (b[i] === 0x0a) assert.equal(b[i - 1], 0x0d, `${f}: bare LF at byte ${i}`);
    assert.ok(readme.includes(f), `${f} is not described in fixtures/vcard/README.md`);
  }
});

test('every good fixture round-trips: parse → model → vCard (applied to its source) → parse gives the same model', () => {
  for (const f of GOOD) {
    const m1 = readVCard(raw(f));
    const text = writeVCard(m1, { now: NOW });
    const m2 = readVCard(text);
    if (!m1.uid) {
      assert.ok(m2.uid, `${f}: a UID is added where the card had none`);
      m2.uid = undefined;
      delete m2.uid;
    }
    assert.deepEqual(data(m2), data(m1), f);
    // What we cannot read we leave alone: only the values ignored on reading may warn again.
    for (const w of m2.warnings ?? []) assert.ok(m1.warnings?.includes(w), `${f}: new warning ${w}`);
  }
});

test('every good fixture written as a new card (no source), in vCard 3 and 4, reads back to the same model', () => {
  for (const f of GOOD) {
    const m1 = readVCard(raw(f));
    for (const version of ['3.0', '4.0'] as const) {
      const fresh = { ...m1, source: undefined, warnings: undefined };
      if (fresh.kind === 'contact') delete fresh.photoUri; // a reference is not ours to copy
      const text = writeVCard(fresh, { version, now: NOW });
      assert.match(text, new RegExp(`^BEGIN:VCARD\r\nVERSION:${version.replace('.', '\\.')}\r\n`), `${f} ${version}`);
      const m2 = readVCard(text);
      const expected = data(fresh);
      if (!m1.uid) delete (m2 as { uid?: string }).uid;
      assert.deepEqual(data(m2), expected, `${f} as ${version}:\n${text}`);
    }
  }
});

test('an untouched card keeps every line it had (only REV changes); unknown properties survive an edit', () => {
  for (const f of ['apple-contacts-3.0.vcf', 'vcard4-individual.vcf', 'google-export-3.0.vcf', 'non-ascii-3.0.vcf']) {
    const m = readVCard(raw(f));
    // Bare commas in single-value text (NOTE:a, b) and in a vCard 4 data: PHOTO are the one thing written differently: escaped.
    const canonical = (l: string) => l.replace(/^PHOTO:(data:[^,]*?),/, 'PHOTO:$1\\,').replace(/^(NOTE|FN|TITLE|ROLE)((?:;[^:]*)?):(.*)$/, (_m, n: string, p: string, v: string) => `${n}${p}:${v.replace(/(?<!\\),/g, '\\,')}`);
    const before = lines(decodeVCardBytes(raw(f))).filter((l) => !/^(REV|VERSION|BEGIN|END)[:;]/.test(l));
    const after = lines(writeVCard(m, { now: NOW }));
    for (const l of before) assert.ok(after.includes(canonical(l)), `${f}: lost or changed line ${l}`);
  }
  assert.ok(lines(writeVCard(readVCard(raw('non-ascii-3.0.vcf')), { now: NOW })).some((l) => l.startsWith('NOTE:多言語のメモ — Ελληνικά: Καλημέρα\\, Русский')));
  const c = contact('apple-contacts-3.0.vcf');
  c.jobTitle = 'Chief Engineer';
  c.phones.MobilePhone = '+46 70 000 00 00';
  const out = lines(writeVCard(c, { now: NOW }));
  for (const keep of [
    'X-SOCIALPROFILE;type=mastodon;x-user=inga:https://social.example/@inga',
    'X-ABShowAs:PERSON',
    'X-ABUID:7E4C9A2B-1D3F-4E5A-9B8C-0F1E2D3C4B5A:ABPerson',
    'TEL;type=IPHONE;type=CELL;type=VOICE:+46 70 765 43 21', // a second mobile: no EWS slot, kept as is
    'EMAIL;type=INTERNET;type=WORK:i.lindqvist@nordlicht.example', // a fourth address: kept
    'item4.X-ABADR:se',
  ]) {
    assert.ok(out.includes(keep), `kept: ${keep}`);
  }
  assert.ok(out.includes('TITLE:Chief Engineer'));
  // The phone changed in place: its parameters stay.
  assert.ok(out.includes('TEL;type=CELL,VOICE,pref:+46 70 000 00 00'), out.filter((l) => l.startsWith('TEL')).join('\n'));
  assert.ok(out.includes('REV:2026-11-24T12:00:00Z'));
});

test('Apple item groups: a changed grouped value keeps its group and label; a removed one takes its label along', () => {
  const c = contact('apple-contacts-3.0.vcf');
  c.phones.AssistantPhone = '+46 8 555 010 98';
  delete c.emails.EmailAddress1;
  c.spouseName = undefined;
  c.children = ['Astrid', 'Olof', 'Greta'];
  c.anniversary = '2013-08-25';
  const text = writeVCard(c, { now: NOW });
  const out = lines(text);
  assert.ok(out.includes('item3.TEL:+46 8 555 010 98'));
  assert.ok(out.includes('item3.X-ABLabel:_$!<Assistant>!$_'));
  assert.ok(!out.some((l) => l.startsWith('item1.')), 'the removed e-mail and its label are gone');
  assert.ok(!out.some((l) => l.startsWith('item8.')), 'the removed spouse and its label are gone');
  assert.ok(out.includes('item7.X-ABDATE;type=pref:2013-08-25'));
  const child = out.find((l) => /^item13\.X-ABRELATEDNAMES:Greta$/.test(l));
  assert.ok(child, out.join('\n'));
  assert.ok(out.includes('item13.X-ABLabel:_$!<Child>!$_'));
  const back = readVCard(text) as Contact;
  assert.deepEqual(back.children, ['Astrid', 'Olof', 'Greta']);
  assert.equal(back.spouseName, undefined);
  assert.equal(back.anniversary, '2013-08-25');
  // The e-mail slots close up: what was EmailAddress2 is now the first.
  assert.equal(back.emails.EmailAddress1?.address, 'inga@lindqvist.example');
});

test('Apple 3.0: every field the model knows', () => {
  const c = contact('apple-contacts-3.0.vcf');
  assert.equal(c.displayName, 'Dr. Ingrid Maria Lindqvist PhD');
  assert.deepEqual([c.title, c.givenName, c.middleName, c.surname, c.suffix, c.nickname], ['Dr.', 'Ingrid', 'Maria', 'Lindqvist', 'PhD', 'Inga']);
  assert.deepEqual([c.phoneticGivenName, c.phoneticSurname], ['Ingrid', 'Lindkvist']);
  assert.deepEqual([c.companyName, c.department, c.jobTitle], ['Nordlicht Research AB', 'Data Platform', 'Principal Engineer']);
  assert.deepEqual(c.emails, {
    EmailAddress1: { address: 'ingrid@nordlicht.example' },
    EmailAddress2: { address: 'inga@lindqvist.example' },
    EmailAddress3: { address: 'inga.l@mail.example' },
  });
  assert.deepEqual(c.phones, {
    MobilePhone: '+46 70 123 45 67',
    BusinessPhone: '+46 8 555 010 00',
    CompanyMainPhone: '+46 8 555 000 00',
    HomeFax: '+46 8 555 099 99',
    Pager: '+46 74 000 11 22',
    AssistantPhone: '+46 8 555 010 99',
  });
  assert.deepEqual(c.addresses.Business, { street: 'Kungsgatan 12\nPlan 4', city: 'Stockholm', postalCode: '111 43', countryOrRegion: 'Sweden' });
  assert.equal(c.addresses.Home?.city, 'Lidingö');
  assert.equal(c.postalAddressIndex, 'Business');
  assert.deepEqual(c.imAddresses, { ImAddress1: 'inga@jabber.example' });
  assert.equal(c.businessHomePage, 'https://nordlicht.example');
  assert.equal(c.personalHomePage, 'https://lindqvist.example/inga');
  assert.equal(c.birthday, '--03-15'); // X-APPLE-OMIT-YEAR
  assert.equal(c.anniversary, '2012-08-25');
  assert.deepEqual([c.spouseName, c.manager, c.assistantName], ['Erik Lindqvist', 'Karin Berg', 'Nils Ek']);
  assert.deepEqual(c.children, ['Astrid', 'Olof']);
  assert.equal(c.notes, 'Met at the Gothenburg data meetup.\nPrefers Signal, then e-mail.');
  assert.deepEqual(c.categories, ['Work', 'Conference']);
  assert.equal(c.photo?.contentType, 'image/jpeg');
  assert.equal(c.photo?.data[0], 0xff);
  assert.equal(c.uid, '7E4C9A2B-1D3F-4E5A-9B8C-0F1E2D3C4B5A');
});

test('Google export: no UID, escaped colon in URLs, labelled dates and related names', () => {
  const c = contact('google-export-3.0.vcf');
  assert.equal(c.uid, undefined);
  assert.equal(c.businessHomePage, 'https://rafa.example/blog');
  assert.equal(c.addresses.Home?.street, 'Calle de Alcalá 45, 3º B');
  assert.equal(c.anniversary, '2008-09-13');
  assert.equal(c.spouseName, 'Lucía Fernández');
  assert.deepEqual(c.imAddresses, { ImAddress1: 'rafa.gomez.ruiz' });
  assert.deepEqual(c.phones, { MobilePhone: '+34 612 34 56 78', BusinessPhone: '+34 91 123 45 67', HomePhone: '+34 91 765 43 21' });
  const written = writeVCard(c, { now: NOW });
  assert.match(written, /\r\nUID:[0-9A-F-]{36}\r\n/, 'a UID is added (CardDAV servers want one)');
  assert.ok(lines(written).includes('item1.URL:https\\://rafa.example/blog'), 'the untouched URL line is kept as Google wrote it');
});

test('Outlook 2.1: quoted-printable, CHARSET (UTF-8 and Windows-1252), bare types, folded base64 photo; written back as 3.0', () => {
  const c = contact('outlook-export-2.1.vcf');
  assert.equal(c.displayName, 'Dipl.-Ing. Jürgen Müller');
  assert.deepEqual([c.title, c.givenName, c.surname], ['Dipl.-Ing.', 'Jürgen', 'Müller']);
  assert.equal(c.notes, 'Zuständig für die Rheinbrücke Nord.\nTermine nur vormittags.');
  assert.equal(c.spouseName, 'Anke Müller'); // Windows-1252 QP
  assert.equal(c.manager, 'Petra Schäfer');
  assert.equal(c.assistantName, 'Tobias Klein');
  assert.equal(c.profession, 'Bauingenieur');
  assert.equal(c.anniversary, '2001-05-12');
  assert.equal(c.birthday, '1976-08-23');
  assert.deepEqual(Object.keys(c.phones).sort(), ['BusinessFax', 'BusinessPhone', 'BusinessPhone2', 'CarPhone', 'HomeFax', 'HomePhone', 'Isdn', 'MobilePhone', 'Pager', 'PrimaryPhone']);
  assert.equal(c.addresses.Business?.street, 'Rheinuferstraße 7');
  assert.equal(c.postalAddressIndex, 'Business');
  assert.equal(c.photo?.contentType, 'image/jpeg');
  assert.equal(c.emails.EmailAddress1?.address, 'j.mueller@rheinwerk-bau.example');
  const text = writeVCard(c, { now: NOW });
  assert.match(text, /^BEGIN:VCARD\r\nVERSION:3\.0\r\n/);
  assert.doesNotMatch(text, /QUOTED-PRINTABLE|CHARSET/i);
  assert.ok(lines(text).some((l) => l.startsWith('X-MS-OL-DESIGN:<card xmlns=')), 'unknown properties are kept (normalized to 3.0)');
  assert.ok(lines(text).includes('TEL;TYPE=WORK,VOICE:+49 221 555 0100'), 'bare 2.1 types become TYPE=');
});

test('vCard 4: tel: URIs, PREF ordering, RELATED, GENDER, data: photo, no-year BDAY', () => {
  const c = contact('vcard4-individual.vcf');
  assert.equal(c.emails.EmailAddress1?.address, 'a.okafor@unilag.example', 'PREF=1 comes first');
  assert.equal(c.phones.BusinessPhone, '+234-1-555-0100');
  assert.equal(c.phones.TtyTddPhone, '+234 1 555 0133');
  assert.equal(c.middleName, 'Chinwe Ada');
  assert.equal(c.gender, 'F');
  assert.equal(c.birthday, '--04-12');
  assert.equal(c.anniversary, '2009-06-20');
  assert.equal(c.spouseName, 'Chidi Okafor');
  assert.deepEqual(c.children, ['Nneka', 'Obi']);
  assert.equal(c.photo?.contentType, 'image/png');
  assert.deepEqual(c.imAddresses, { ImAddress1: 'amara@jabber.example', ImAddress2: 'amara@voip.unilag.example' });
  assert.equal(c.addresses.Business?.extended, 'Room 204');
  c.phones.BusinessPhone = '+234 1 555 0199';
  c.addresses.Business!.city = 'Yaba';
  c.birthday = '1980-04-12';
  const out = lines(writeVCard(c, { now: NOW }));
  assert.ok(out.includes('TEL;TYPE="work,voice";PREF=1;VALUE=text:+234 1 555 0199'), out.join('\n'));
  assert.ok(out.includes('ADR;TYPE=work:;Room 204;University Road;Yaba;Lagos;101017;Nigeria'), 'a changed address loses its stale LABEL');
  assert.ok(out.includes('BDAY:19800412'));
  assert.ok(out.includes('RELATED;TYPE=co-worker:urn:uuid:0d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d'), 'a RELATED by reference is kept');
  assert.ok(out.includes('REV:20261124T120000Z'));
});

test('non-ASCII: a fold in the middle of a UTF-8 sequence, scripts and emoji survive', () => {
  const c = contact('non-ascii-3.0.vcf');
  assert.equal(c.displayName, '山田 太郎');
  assert.match(c.notes ?? '', /Καλημέρα.*Здравствуйте.*مرحبا.*🎉👩‍💻.*折り返されます。$/s);
  assert.doesNotMatch(c.notes ?? '', /\uFFFD/);
  assert.deepEqual(c.categories, ['Клиенты', '顧客', 'Ελλάδα']);
  const text = writeVCard(c, { now: NOW });
  for (const l of text.split('\r\n')) assert.ok(Buffer.byteLength(l) <= 75, `line longer than 75 octets: ${l}`);
  assert.equal((readVCard(text) as Contact).notes, c.notes);
});

test('groups: vCard 4 KIND:group + MEMBER and Apple X-ADDRESSBOOKSERVER, both ways', () => {
  const v4 = readVCard(raw('vcard4-group.vcf')) as ContactGroup;
  assert.equal(v4.kind, 'group');
  assert.equal(v4.displayName, 'Grid Paper Co-authors');
  assert.deepEqual(v4.members, [
    { contactUid: 'b6f1c0de-6a61-4c1e-9d3e-2f7a9c4e8d10' },
    { email: 'kwame@accra-grid.example', name: 'Kwame Mensah' },
    { email: 'lena.fischer@tu-example.de' },
  ]);
  const apple = readVCard(raw('apple-group-3.0.vcf')) as ContactGroup;
  assert.equal(apple.kind, 'group');
  assert.deepEqual(apple.members.map((m) => m.contactUid), ['7E4C9A2B-1D3F-4E5A-9B8C-0F1E2D3C4B5A', 'B6F1C0DE-6A61-4C1E-9D3E-2F7A9C4E8D10']);
  assert.ok(sameUid(apple.members[1]!.contactUid, 'urn:uuid:b6f1c0de-6a61-4c1e-9d3e-2f7a9c4e8d10'));

  // Editing keeps each card's own form.
  apple.members.push({ email: 'new@club.example', name: 'New Member' });
  const appleOut = lines(writeVCard(apple, { now: NOW }));
  assert.ok(appleOut.includes('X-ADDRESSBOOKSERVER-MEMBER;X-CN=New Member:mailto:new@club.example'));
  assert.ok(!appleOut.some((l) => l.startsWith('MEMBER')));
  v4.members = v4.members.slice(1);
  const v4Out = lines(writeVCard(v4, { now: NOW }));
  assert.deepEqual(v4Out.filter((l) => l.startsWith('MEMBER')), ['MEMBER;X-CN=Kwame Mensah:mailto:kwame@accra-grid.example', 'MEMBER:mailto:lena.fischer@tu-example.de']);

  // New groups: Apple's form in vCard 3 (what Apple Contacts reads), KIND:group in vCard 4.
  const g: ContactGroup = { ...emptyGroup(), displayName: 'Team', members: [{ contactUid: 'ABC' }, { email: 'x@y.example' }] };
  const g3 = writeVCard(g, { now: NOW });
  assert.match(g3, /\r\nX-ADDRESSBOOKSERVER-KIND:group\r\n/);
  assert.match(g3, /\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:ABC\r\n/);
  assert.match(g3, /\r\nN:Team;;;;\r\n/);
  const g4 = writeVCard(g, { version: '4.0', now: NOW });
  assert.match(g4, /\r\nKIND:group\r\n/);
  assert.match(g4, /\r\nMEMBER:mailto:x@y\.example\r\n/);
  for (const t of [g3, g4]) assert.deepEqual(data(readVCard(t)).kind, 'group');
});

test('a new contact from the model: every phone key, e-mail names, dates, photo', () => {
  const c: Contact = { ...emptyContact(), givenName: 'Ana', surname: 'Lima', companyName: 'Tecelagem Lima' };
  PHONE_KEYS.forEach((k, i) => (c.phones[k] = `+55 11 5555-${String(1000 + i)}`));
  EMAIL_KEYS.forEach((k, i) => (c.emails[k] = { address: `ana${i}@lima.example`, name: i === 0 ? 'Ana Lima (Work)' : undefined }));
  c.emails.EmailAddress2 = { address: 'ana1@lima.example' };
  c.emails.EmailAddress3 = { address: 'ana2@lima.example' };
  c.birthday = '--07-09';
  c.anniversary = '2015-10-10';
  c.photo = { data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]), contentType: 'image/png' };
  c.postalAddressIndex = 'Home';
  c.addresses.Home = { street: 'Rua Augusta 100; apto 5', city: 'São Paulo', state: 'SP', postalCode: '01304-000', countryOrRegion: 'Brasil' };
  c.addresses.Other = { city: 'Campinas' };
  c.imAddresses.ImAddress1 = 'ana@xmpp.example';
  c.sensitivity = 'Private';
  c.categories = ['Fornecedores', 'A, B'];
  for (const version of ['3.0', '4.0'] as const) {
    const text = writeVCard(c, { version, now: NOW });
    const back = readVCard(text) as Contact;
    assert.ok(back.uid, 'a UID is made');
    assert.equal(back.displayName, 'Ana Lima');
    assert.deepEqual(back.phones, c.phones, `${version}: every phone key comes back under its own key\n${text}`);
    assert.deepEqual(back.emails, c.emails);
    assert.deepEqual([back.birthday, back.anniversary], ['--07-09', '2015-10-10']);
    assert.deepEqual(back.photo, c.photo);
    assert.deepEqual(back.addresses, c.addresses);
    assert.equal(back.postalAddressIndex, 'Home');
    assert.deepEqual(back.categories, ['Fornecedores', 'A, B']);
    assert.equal(back.sensitivity, 'Private');
    assert.deepEqual(back.imAddresses, c.imAddresses);
    if (version === '3.0') assert.match(text, /\r\nBDAY;X-APPLE-OMIT-YEAR=1604:1604-07-09\r\n/);
    else assert.match(text, /\r\nBDAY:--0709\r\n/);
  }
});

test('damaged lines cost only themselves; broken vCards are a precise error', () => {
  const c = contact('damaged-lines-3.0.vcf');
  assert.equal(c.displayName, 'Piotr Nowak');
  assert.equal(c.phones.BusinessPhone, '+48 22 555 01 00', 'a 2.1-style bare parameter is repaired');
  assert.equal(c.emails.EmailAddress1?.address, 'piotr@nowak.example');
  assert.equal(c.addresses.Home?.city, 'Warszawa');
  assert.equal(c.birthday, undefined);
  assert.equal(c.photo, undefined);
  assert.equal(c.warnings?.length, 5, c.warnings?.join('\n'));
  assert.throws(() => readVCard(raw('broken-truncated.vcf')), (e: unknown) => e instanceof VCardParseError && /END:VCARD/.test(e.message));
  assert.throws(() => readVCard(raw('broken-not-a-vcard.vcf')), (e: unknown) => e instanceof VCardParseError && /not a vCard/.test(e.message));
  assert.throws(() => readVCard(''), VCardParseError);
  // A second card in one object is ignored with a warning.
  const two = decodeVCardBytes(raw('apple-group-3.0.vcf')) + decodeVCardBytes(raw('vcard4-group.vcf'));
  assert.equal(readVCard(two).displayName, 'Book Club');
  assert.match(parseVCardDoc(two).warnings.join(), /more than one vCard/i);
});

test('display name and FN: computed when missing, always written', () => {
  const c: Contact = { ...emptyContact(), companyName: 'Only A Company Ltd' };
  assert.equal(displayNameOf(c), 'Only A Company Ltd');
  const text = writeVCard(c, { now: NOW });
  assert.match(text, /\r\nFN:Only A Company Ltd\r\n/);
  assert.match(text, /\r\nN:;;;;\r\n/, 'vCard 3 requires N');
  const noFn = readVCard('BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nN:Doe;Jane;;;\r\nEND:VCARD\r\n') as Contact;
  assert.equal(noFn.displayName, 'Jane Doe');
  assert.match(writeVCard(noFn, { now: NOW }), /\r\nFN:Jane Doe\r\n/);
});

test('TEXT escaping: \\; \\, \\n \\\\ read back in vCard 3 and 4 (ical.js keeps \\; in a vCard 3 NOTE: we do not rely on it)', () => {
  for (const version of ['3.0', '4.0']) {
    const c = readVCard(`BEGIN:VCARD\r\nVERSION:${version}\r\nUID:e\r\nFN:E\r\nNOTE:a\\, b\\; c\\nd \\\\ e\r\nTITLE:x\\;y\r\nEND:VCARD\r\n`) as Contact;
    assert.equal(c.notes, 'a, b; c\nd \\ e', version);
    assert.equal(c.jobTitle, 'x;y', version);
    const again = readVCard(writeVCard({ ...c, source: undefined, notes: 'p; q, r\\s' }, { version: version as '3.0' | '4.0' })) as Contact;
    assert.equal(again.notes, 'p; q, r\\s', version);
  }
});

