// readMessage over the MIME corpus in fixtures/mime (see its README.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { readMessage, type ParsedMessage } from '../../src/convert/message-properties.js';
import { parseMimeStructure, walkEntities, findPart } from '../../src/convert/mime-structure.js';

const DIR = fileURLToPath(new URL('../../fixtures/mime/', import.meta.url));
const FILES = fs.readdirSync(DIR).filter((f) => f.endsWith('.eml')).sort();
const raw = (name: string) => fs.readFileSync(DIR + name);
const read = (name: string, opts?: Parameters<typeof readMessage>[1]) => readMessage(raw(name), opts);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('the corpus is there, every file in CRLF and described in the README', () => {
  assert.ok(FILES.length >= 14, `only ${FILES.length} fixtures`);
  const readme = fs.readFileSync(DIR + 'README.md', 'utf8');
  for (const f of FILES) {
    const b = raw(f);
    for (let i = 0; i < b.length; i++) {
      if (b[i] === 0x0a) assert.equal(b[i - 1], 0x0d, `${f}: bare LF at byte ${i}`);
    }
    assert.ok(readme.includes(f), `${f} is not described in fixtures/mime/README.md`);
  }
});

test('every fixture parses, with the invariants EWS relies on', async () => {
  for (const f of FILES) {
    const m = await read(f);
    assert.equal(m.size, raw(f).length, f);
    assert.ok(m.internetMessageHeaders.length > 0, f);
    assert.ok(m.preview.length <= 255 && !/\s\s|^\s|\s$/.test(m.preview), `${f}: preview ${JSON.stringify(m.preview)}`);
    assert.equal(m.hasAttachments, m.attachments.some((a) => !a.isInline), f);
    for (const a of m.attachments) {
      assert.equal(a.size, a.content.length, `${f} ${a.id}`);
      assert.match(a.id, /^(?:\d+(?:\.\d+)*|TEXT)$/, `${f}: attachment id ${a.id}`);
      assert.ok(a.name, `${f}: attachment ${a.id} has a name`);
    }
    assert.equal(new Set(m.attachments.map((a) => a.id)).size, m.attachments.length, `${f}: ids are unique`);
    for (const list of [m.from, m.sender, m.replyTo, m.to, m.cc, m.bcc]) {
      for (const a of list) assert.match(a.address, /^[^\s@]+@[^\s@]+$/, `${f}: ${a.address}`);
    }
  }
});

test('part numbers agree with mailparser where mailparser gives one, and parse again to the same part', async () => {
  for (const f of FILES) {
    const buf = raw(f);
    const mp = await simpleParser(buf, { ignoreEmbedded: true, keepCidLinks: true });
    const ours = await readMessage(buf, { smime: 'transparent' });
    const root = parseMimeStructure(buf);
    for (const a of mp.attachments) {
      if (a.partId === null) continue; // mailparser gives no number for a single-part message (IMAP says "1")
      const mine = ours.attachments.find((x) => x.id === a.partId) ?? (ours.calendar?.id === a.partId ? ours.calendar : undefined);
      assert.ok(mine, `${f}: mailparser part ${a.partId} not found among ours`);
    }
    for (const a of ours.attachments) {
      const e = findPart(root, a.id);
      assert.ok(e, `${f}: ${a.id} resolves`);
      assert.equal(e!.contentType, a.isMessage ? 'message/rfc822' : e!.contentType);
    }
  }
});

test('01 multipart/alternative: both bodies, no attachments', async () => {
  const m = await read('01-alternative.eml');
  assert.equal(m.subject, 'Quartalsplanung – Schätzungen bis Freitag');
  assert.deepEqual(m.from, [{ name: 'Jana Roth', address: 'jana.roth@example.org' }]);
  assert.deepEqual(m.to, [{ name: 'Planungsteam', address: 'team@example.net' }]);
  assert.equal(m.dateSent?.toISOString(), '2026-07-07T07:13:58.000Z');
  assert.equal(m.messageId, '<q3-plan-0707@mail.example.org>');
  assert.match(m.textBody!, /Bitte tragt eure Schätzungen bis Freitag ein – danach schließen wir die Liste\./);
  assert.match(m.htmlBody!, /<a href="https:\/\/files\.example\.org\/team\/q3">Teamordner<\/a>/);
  assert.equal(m.attachments.length, 0);
  assert.equal(m.hasAttachments, false);
  assert.equal(m.itemClass, 'IPM.Note');
  assert.ok(m.preview.startsWith('Hallo zusammen, die Unterlagen für die Quartalsplanung'));
  // headers in order, names as written, Received unfolded
  assert.deepEqual(m.internetMessageHeaders.map((h) => h.name).slice(0, 4), ['Return-Path', 'Received', 'From', 'To']);
  assert.equal(m.internetMessageHeaders[1].value, 'from mail.example.org (mail.example.org [192.0.2.25]) by mx.example.net with ESMTPS id 4Qx9Lk2mZ for <team@example.net>; Tue, 07 Jul 2026 09:14:03 +0200');
  assert.ok(m.transportHeaders.startsWith('Return-Path: <jana.roth@example.org>\r\nReceived: from mail.example.org'));
  assert.ok(m.transportHeaders.endsWith('boundary="=_alt_7d3f19"\r\n'));
});

test('02 related inside alternative: the cid image is inline, the HTML keeps cid:', async () => {
  const m = await read('02-related-inline-image.eml');
  assert.equal(m.attachments.length, 1);
  const img = m.attachments[0];
  assert.deepEqual(
    { id: img.id, name: img.name, contentType: img.contentType, contentId: img.contentId, isInline: img.isInline, isMessage: img.isMessage },
    { id: '2.2', name: 'badge.png', contentType: 'image/png', contentId: 'badge-2026.png@example.com', isInline: true, isMessage: false },
  );
  assert.deepEqual([...img.content.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(m.hasAttachments, false, 'inline images do not count (Exchange)');
  assert.match(m.htmlBody!, /src="cid:badge-2026\.png@example\.com"/);
  assert.ok(!m.htmlBody!.includes('data:image'), 'cid links are not replaced with data: URLs');
});

test('03 mixed: a PDF and a forwarded message/rfc822 as an item attachment', async () => {
  const m = await read('03-mixed-pdf-rfc822.eml');
  assert.equal(m.hasAttachments, true);
  assert.deepEqual(
    m.attachments.map((a) => [a.id, a.name, a.contentType, a.isMessage, a.isInline]),
    [
      ['2', 'invoice-2026-0142.pdf', 'application/pdf', false, false],
      ['3', 'Delivery note 7781', 'message/rfc822', true, false],
    ],
  );
  assert.ok(m.attachments[0].content.subarray(0, 8).toString('latin1').startsWith('%PDF-1.4'));
  // the item attachment is the whole encapsulated message, which reads on its own
  const inner = await readMessage(m.attachments[1].content);
  assert.equal(inner.subject, 'Delivery note 7781');
  assert.deepEqual(inner.attachments.map((a) => [a.id, a.name, a.content.toString('latin1')]), [['2', 'delivery-7781.csv', 'item;qty;price\r\nPaper A4;10;4.20\r\nToner;2;61.00\r\n']]);
  // the inner parts keep their own numbers inside the outer message: 3.1, 3.2
  const parts: string[] = [];
  walkEntities(parseMimeStructure(raw('03-mixed-pdf-rfc822.eml')), (e) => parts.push(`${e.part}:${e.contentType}`));
  assert.deepEqual(parts, [
    ':multipart/mixed', '1:multipart/alternative', '1.1:text/plain', '1.2:text/html', '2:application/pdf',
    '3:message/rfc822', '3:multipart/mixed', '3.1:text/plain', '3.2:text/csv',
  ]);
  // the forwarded message's text does not leak into the outer body
  assert.ok(!m.textBody!.includes('delivery note for order 7781'));
  assert.equal(m.conversationTopic, 'Invoice 2026-0142 and delivery note');
});

test('04 ISO-8859-1 quoted-printable body and Q-encoded headers', async () => {
  const m = await read('04-latin1-qp.eml');
  assert.equal(m.subject, 'Compte-rendu de la réunion à Montréal');
  assert.deepEqual(m.from, [{ name: 'Françoise Bérubé', address: 'francoise.berube@example.org' }]);
  assert.deepEqual(m.to, [{ name: 'Équipe Québec', address: 'equipe@example.org' }]);
  assert.match(m.textBody!, /le budget « équipe » est reconduit/);
  assert.match(m.textBody!, /salle Hélène-Boucher\./, 'soft line break joined');
  assert.match(m.textBody!, /quoted-printable sont bien recollées/);
});

test('05 windows-1252: C1 characters, RFC 2231 file names with continuations', async () => {
  const m = await read('05-windows1252-rfc2231.eml');
  assert.equal(m.subject, '„Angebot“ für Müller – 12.500 €');
  assert.deepEqual(m.to, [{ name: 'Hans Müller', address: 'h.mueller@example.net' }]);
  assert.deepEqual(m.from, [{ name: 'Zoë Lefèvre', address: 'zoe.lefevre@example.com' }]);
  assert.match(m.textBody!, /unser „Angebot“ für die Sanierung – Gesamtsumme 12\.500 € \(netto\)/);
  assert.deepEqual(
    m.attachments.map((a) => [a.id, a.name]),
    [
      ['2', '“Angebot” für Müller – 12.500 €.docx'],
      ['3', 'Présentation du budget prévisionnel 2027 – version finale.pdf'],
    ],
  );
  assert.equal(m.attachments[0].contentType, 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
});

test('06 KOI8-R: 8bit body, B- and Q-encoded headers', async () => {
  const m = await read('06-koi8r.eml');
  assert.equal(m.subject, 'Отчёт за третий квартал');
  assert.deepEqual(m.from, [{ name: 'Борис Петров', address: 'boris.petrov@example.net' }]);
  assert.deepEqual(m.to, [{ name: 'Отдел продаж', address: 'otdel@example.net' }]);
  assert.match(m.textBody!, /Ёлки-палки, чуть не забыл: совещание в четверг в 15:00\./);
  assert.equal(m.conversationTopic, 'Отчёт за третий квартал');
});

test('07 Shift_JIS: a character split across two encoded words, NEC special characters', async () => {
  const m = await read('07-shift-jis.eml');
  assert.equal(m.subject, '【至急】来週の会議室予約について①');
  assert.deepEqual(m.from, [{ name: '山田 太郎', address: 't.yamada@example.jp' }]);
  assert.deepEqual(m.to, [{ name: '会議担当', address: 'kaigi@example.jp' }]);
  assert.match(m.textBody!, /時間：１０：００～１１：３０/);
  assert.match(m.textBody!, /ｶﾀｶﾅの半角表記/);
  assert.equal(m.dateSent?.toISOString(), '2026-07-13T00:00:00.000Z');
});

test('08 S/MIME clear-signed: as Exchange stores it (one smime.p7m of type multipart/signed)', async () => {
  const buf = raw('08-smime-signed.eml');
  const m = await readMessage(buf);
  assert.equal(m.itemClass, 'IPM.Note.SMIME.MultipartSigned');
  assert.equal(m.hasAttachments, true);
  assert.equal(m.attachments.length, 1);
  const p7m = m.attachments[0];
  assert.deepEqual([p7m.id, p7m.name, p7m.contentType, p7m.isInline, p7m.isMessage], ['TEXT', 'smime.p7m', 'multipart/signed', false, false]);
  // the whole signed entity: its Content-Type field, an empty line, the body as sent
  const text = p7m.content.toString('latin1');
  assert.match(text, /^Content-Type: multipart\/signed; protocol="application\/pkcs7-signature"; micalg="sha-256"; boundary="([^"]+)"\r\n\r\n/);
  const bodyStart = buf.indexOf('\r\n\r\n') + 4;
  assert.ok(p7m.content.subarray(p7m.content.indexOf('\r\n\r\n') + 4).equals(buf.subarray(bodyStart)), 'body bytes unchanged');
  // the body is promoted from the signed content
  assert.match(m.textBody!, /anbei die unterschriebene Checkliste für das Release 4\.2\./);
  assert.match(m.textBody!, /nicht verändert wurde\./);
  assert.equal(m.subject, 'Signierte Checkliste für Release 4.2');
});

test('08 S/MIME clear-signed, transparent: the inner attachment and smime.p7s', async () => {
  const m = await read('08-smime-signed.eml', { smime: 'transparent' });
  assert.equal(m.itemClass, 'IPM.Note.SMIME.MultipartSigned');
  assert.deepEqual(
    m.attachments.map((a) => [a.id, a.name, a.contentType]),
    [
      ['1.2', 'release-checklist.txt', 'text/plain'],
      ['2', 'smime.p7s', 'application/pkcs7-signature'],
    ],
  );
  assert.equal(m.attachments[0].content.toString('utf8'), '[x] Tests grün\n[x] Changelog\n[ ] Ankündigung\n');
  assert.equal(m.attachments[1].content[0], 0x30, 'DER SEQUENCE');
});

test('09 S/MIME opaque-signed: IPM.Note.SMIME, no body, smime.p7m', async () => {
  const m = await read('09-smime-opaque.eml');
  assert.equal(m.itemClass, 'IPM.Note.SMIME');
  assert.equal(m.textBody, undefined);
  assert.equal(m.htmlBody, undefined);
  assert.deepEqual(m.attachments.map((a) => [a.id, a.name, a.contentType]), [['1', 'smime.p7m', 'application/pkcs7-mime']]);
  assert.equal(m.hasAttachments, true);
  assert.equal(m.preview, '');
});

test('10 broken headers: never throws, reads what can be read', async () => {
  const m = await read('10-broken-headers.eml');
  assert.equal(m.subject, 'Grüße aus Köln – raw UTF-8 in a header', 'raw UTF-8, first Subject wins');
  assert.deepEqual(m.from, [{ name: 'René Dürr', address: 'rene.duerr@example.net' }]);
  assert.deepEqual(m.to, [{ address: 'valid.one@example.org' }, { address: 'valid.two@example.org' }], 'junk entries dropped');
  assert.deepEqual(m.cc, []);
  assert.deepEqual(m.replyTo, []);
  assert.equal(m.dateSent, undefined, 'no Date header');
  assert.equal(m.messageId, '<broken-1@example.net>');
  assert.equal(m.importance, 'Normal');
  assert.equal(m.conversationIndex, undefined);
  assert.match(m.textBody!, /The body itself is fine: café\./);
  const names = m.internetMessageHeaders.map((h) => h.name);
  assert.ok(!names.some((n) => /\s/.test(n)), 'no garbage names');
  assert.deepEqual(names.filter((n) => n === 'Subject').length, 2, 'both Subject fields are listed');
  assert.equal(m.internetMessageHeaders.find((h) => h.name === 'X-Latin1-Raw')?.value, 'Crème brûlée à la française', 'raw Latin-1 bytes read as windows-1252');
  assert.ok(!names.includes('X-Missing-Colon'));
});

test('11 calendar invitation: the text/calendar alternative is the meeting, not an attachment', async () => {
  const m = await read('11-calendar-request.eml');
  assert.equal(m.itemClass, 'IPM.Schedule.Meeting.Request');
  assert.equal(m.attachments.length, 0);
  assert.equal(m.hasAttachments, false);
  assert.equal(m.calendar?.id, '3');
  assert.equal(m.calendar?.method, 'REQUEST');
  assert.match(m.calendar!.content, /^BEGIN:VCALENDAR\r\n/);
  assert.match(m.calendar!.content, /SUMMARY:Design-Review: Übersicht Zahlungsströme/);
  assert.deepEqual(m.cc, [{ name: 'Ines Costa', address: 'ines.costa@example.net' }]);
  assert.match(m.htmlBody!, /Übersicht Zahlungsströme/);
});

test('12 HTML only: no text body, the preview comes from the HTML', async () => {
  const m = await read('12-html-only-tables.eml');
  assert.equal(m.textBody, undefined);
  assert.match(m.htmlBody!, /<table border="1"/);
  assert.ok(m.preview.startsWith('Your statement for June 2026 Dear Ana Lima, here is a summary of your account & recent activity. Prices are in € and include VAT (19 %).'));
  assert.ok(!m.preview.includes('tracking'), 'no script text');
  assert.ok(!m.preview.includes('font-family'), 'no style text');
});

test('13 rich headers: importance, sensitivity, receipts, threading, keywords, groups', async () => {
  const m = await read('13-rich-headers.eml');
  assert.equal(m.subject, 'RE: AW: Fwd: Budget 2027 – Freigabe');
  assert.equal(m.conversationTopic, 'Budget 2027 – Freigabe');
  assert.equal(m.conversationIndex, 'AdwOSnsvW4wdTn8CSmOeESxtig87lwAAobLD');
  assert.equal(Buffer.from(m.conversationIndex!, 'base64').length, 27);
  assert.equal(m.importance, 'Low');
  assert.equal(m.sensitivity, 'Confidential');
  assert.equal(m.isReadReceiptRequested, true);
  assert.equal(m.isDeliveryReceiptRequested, true);
  assert.equal(m.inReplyTo, '<budget-2027-r2@example.net>');
  assert.equal(m.references, '<budget-2027-r0@example.org> <budget-2027-r1@example.com> <budget-2027-r2@example.net>');
  assert.deepEqual(m.categories, ['Finanzen', 'Projekt Atlas', 'Priorität', 'Review']);
  assert.deepEqual(m.sender, [{ name: 'Assistenz Vogel', address: 'assistenz@example.org' }]);
  assert.deepEqual(m.replyTo, [{ name: 'Projektbüro', address: 'projekte@example.org' }]);
  assert.deepEqual(m.to, [
    { name: 'Brandt, Lukas', address: 'lukas.brandt@example.net' },
    { address: 'mira.sato@example.net' },
    { name: 'Jonas Weber', address: 'jonas.weber@example.com' },
  ]);
  assert.deepEqual(m.cc, [{ name: 'Ayşe Öztürk', address: 'oeztuerk@example.net' }]);
  assert.deepEqual(m.bcc, [{ address: 'archive@example.org' }]);
  assert.match(m.textBody!, /bestätigt kurz den Eingang;/, 'format=flowed joined');
  const keywords = m.internetMessageHeaders.filter((h) => h.name === 'Keywords').map((h) => h.value);
  assert.deepEqual(keywords, ['Finanzen, Projekt Atlas, Priorität', 'Review']);
  assert.equal(m.internetMessageHeaders.find((h) => h.name === 'Thread-Topic')?.value, 'Budget 2027 – Freigabe');
});

test('14 a message that is one attachment: part 1', async () => {
  const m = await read('14-single-part-attachment.eml');
  assert.deepEqual(m.attachments.map((a) => [a.id, a.name, a.contentType, a.isInline]), [['1', 'scan-0001.pdf', 'application/pdf', false]]);
  assert.equal(m.hasAttachments, true);
  assert.equal(m.textBody, undefined);
  assert.equal(m.preview, '');
});

test('attachment content is byte-identical to what the fixture encodes', async () => {
  const m = await read('05-windows1252-rfc2231.eml');
  const docx = m.attachments[0].content;
  assert.deepEqual([...docx.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04]);
  assert.equal(docx.length, 204);
  assert.deepEqual([...docx.subarray(4)], Array.from({ length: 200 }, (_, i) => i));
  // the same bytes whichever way the message is read
  const again = await read('05-windows1252-rfc2231.eml', { smime: 'transparent' });
  assert.equal(sha(again.attachments[0].content), sha(docx));
});

test('the older mail fixtures (LF line ends) parse too', async () => {
  const mailDir = fileURLToPath(new URL('../../fixtures/mail/', import.meta.url));
  if (!fs.existsSync(mailDir)) return;
  for (const f of fs.readdirSync(mailDir).filter((x) => x.endsWith('.eml'))) {
    const m: ParsedMessage = await readMessage(fs.readFileSync(mailDir + f));
    assert.ok(m.subject, `${f}: subject`);
    assert.ok(m.from.length === 1, `${f}: from`);
    assert.ok(m.textBody !== undefined || m.htmlBody !== undefined, `${f}: a body`);
  }
});
