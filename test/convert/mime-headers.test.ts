// Header-level helpers: encoded words, RFC 2231 parameters, charsets, header
// blocks, the MIME structure walker, and the small property readers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeCharset,
  decodeEncodedWords,
  decodeHeaderBytes,
  decodeWindows1252,
  normalizeMessageId,
  parseHeaderBlock,
  parseStructuredValue,
  unfold,
} from '../../src/convert/mime-headers.js';
import { parseMimeStructure, splitMultipart, walkEntities } from '../../src/convert/mime-structure.js';
import {
  makePreview,
  normalizeSubject,
  parseMailDate,
  readAddresses,
  readCategories,
  readConversationIndex,
  readImportance,
  readMessage,
  readSensitivity,
} from '../../src/convert/message-properties.js';

const fields = (text: string) => parseHeaderBlock(Buffer.from(text.replace(/\n/g, '\r\n'), 'utf8'));

test('RFC 2047: Q and B words, whitespace between words, split multi-byte characters', () => {
  assert.equal(decodeEncodedWords('=?utf-8?q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?='), 'Grüße aus Köln');
  assert.equal(decodeEncodedWords('=?UTF-8?B?QXnFn2Ugw5Z6dMO8cms=?='), 'Ayşe Öztürk');
  assert.equal(decodeEncodedWords('=?iso-8859-1?q?a?= =?iso-8859-1?q?b?='), 'ab', 'space between encoded words is dropped');
  assert.equal(decodeEncodedWords('=?iso-8859-1?q?a?= plain =?iso-8859-1?q?b?='), 'a plain b');
  assert.equal(decodeEncodedWords('Re: =?utf-8?q?caf=C3=A9?= time'), 'Re: café time');
  // UTF-8 "ü" (C3 BC) split across two words
  assert.equal(decodeEncodedWords('=?utf-8?q?M=C3?= =?utf-8?q?=BCller?='), 'Müller');
  // Shift_JIS "会" (89 EF) split across two B words
  const sj = Buffer.from([0x89, 0xef, 0x8b, 0x63]); // 会議
  const w1 = `=?Shift_JIS?B?${sj.subarray(0, 1).toString('base64')}?=`;
  const w2 = `=?Shift_JIS?B?${sj.subarray(1).toString('base64')}?=`;
  assert.equal(decodeEncodedWords(`${w1} ${w2}`), '会議');
  assert.equal(decodeEncodedWords('=?utf-8*en?q?hello?='), 'hello', 'RFC 2231 language in an encoded word');
  assert.equal(decodeEncodedWords('=?utf-8?b?SGVsbG8?='), 'Hello', 'missing base64 padding');
  assert.equal(decodeEncodedWords('=?x-no-such-charset?q?abc?='), '=?x-no-such-charset?q?abc?=', 'unknown charset left as is');
  assert.equal(decodeEncodedWords('=?utf-7?q?Hi_+AOk-?='), '=?utf-7?q?Hi_+AOk-?=', 'UTF-7 is refused on purpose');
  assert.equal(decodeEncodedWords('no words here'), 'no words here');
});

test('charsets: windows-1252 C1 range (Node 20 TextDecoder gets it wrong), aliases, unknown-8bit', () => {
  assert.equal(decodeWindows1252(Buffer.from([0x80, 0x84, 0x93, 0x94, 0x96, 0x41, 0xe9])), '€„“”–Aé');
  assert.equal(decodeCharset(Buffer.from([0x80]), 'windows-1252'), '€');
  assert.equal(decodeCharset(Buffer.from([0x80]), 'iso-8859-1'), '€', 'WHATWG: latin1 means windows-1252');
  assert.equal(decodeCharset(Buffer.from([0x80]), 'cp1252'), '€');
  assert.equal(decodeCharset(Buffer.from([0xe9]), 'us-ascii'), 'é');
  assert.equal(decodeCharset(Buffer.from([0x87, 0x40]), 'cp932'), '①');
  assert.equal(decodeCharset(Buffer.from([0xb0, 0xa1]), 'ks_c_5601-1987'), '가');
  assert.equal(decodeCharset(Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]), 'KOI8-R'), 'Привет');
  assert.equal(decodeCharset(Buffer.from('café', 'latin1'), 'unknown-8bit'), 'café');
  assert.equal(decodeCharset(Buffer.from('café', 'utf8'), 'x-unknown'), 'café');
  assert.equal(decodeCharset(Buffer.from('café', 'latin1'), 'utf-8'), 'café', 'invalid UTF-8 falls back to windows-1252');
  assert.equal(decodeCharset(Buffer.from('x'), 'utf-7'), undefined);
  assert.equal(decodeHeaderBytes(Buffer.from('Grüße', 'utf8')), 'Grüße');
  assert.equal(decodeHeaderBytes(Buffer.from([0x43, 0x72, 0xe8, 0x6d, 0x65, 0x80])), 'Crème€');
});

test('RFC 2231: continuations, charsets, languages, mixed encoded and quoted segments', () => {
  const a = parseStructuredValue(`attachment;\r\n filename*0*=UTF-8''Pr%C3%A9sentation%20du%20;\r\n filename*1*=budget%20%E2%80%93%20;\r\n filename*2="version finale.pdf"`);
  assert.equal(a.value, 'attachment');
  assert.equal(a.params.filename, 'Présentation du budget – version finale.pdf');
  const b = parseStructuredValue(`attachment; filename*=iso-8859-1'fr'r%E9sum%E9.txt`);
  assert.equal(b.params.filename, 'résumé.txt');
  const c = parseStructuredValue(`application/pdf; name*1="part two.pdf"; name*0="Part one, "`);
  assert.equal(c.params.name, 'Part one, part two.pdf', 'segments are ordered by number');
  const d = parseStructuredValue('attachment; filename="=?utf-8?q?Gr=C3=BC=C3=9Fe.txt?="');
  assert.equal(d.params.filename, 'Grüße.txt', 'RFC 2047 inside a quoted parameter (Outlook does this)');
  const e = parseStructuredValue('Text/HTML; Charset="UTF-8" (comment); format=flowed');
  assert.deepEqual(e, { value: 'text/html', params: { charset: 'UTF-8', format: 'flowed' } });
  const f = parseStructuredValue('multipart/mixed; boundary="a;b=c\\"d"');
  assert.equal(f.params.boundary, 'a;b=c"d');
  const g = parseStructuredValue(`attachment; filename="plain.pdf"; filename*=utf-8''%E2%82%AC.pdf`);
  assert.equal(g.params.filename, '€.pdf', 'the RFC 2231 form wins');
});

test('header blocks: folding, garbage lines, raw 8-bit, order and duplicates', () => {
  const f = fields('Subject: first\nX-Folded: a\n\tb\n  c\nno colon here\nBad Name: x\n: empty\nSubject: =?utf-8?q?second_=C3=A9?=\nX-Raw: Grüße\nX-Empty:\n');
  assert.deepEqual(
    f.map((h) => [h.name, h.value]),
    [
      ['Subject', 'first'],
      ['X-Folded', 'a b c'],
      ['Subject', 'second é'],
      ['X-Raw', 'Grüße'],
      ['X-Empty', ''],
    ],
  );
  assert.equal(f[1].raw, ' a\r\n\tb\r\n  c');
  assert.equal(unfold('a\r\n b\n\tc'), 'a b c');
  assert.deepEqual(fields('Subject : obsolete spacing\n').map((h) => [h.name, h.value]), [['Subject', 'obsolete spacing']]);
});

test('Message-ID normalisation', () => {
  assert.equal(normalizeMessageId(' <a@b> '), '<a@b>');
  assert.equal(normalizeMessageId('<broken@x'), '<broken@x>');
  assert.equal(normalizeMessageId('bare@x (comment)'), '<bare@x>');
  assert.equal(normalizeMessageId('junk <real@x> more'), '<real@x>');
  assert.equal(normalizeMessageId(''), undefined);
  assert.equal(normalizeMessageId(undefined), undefined);
});

test('dates: RFC 5322, obsolete zones and two-digit years, comments, junk', () => {
  assert.equal(parseMailDate('Tue, 07 Jul 2026 09:13:58 +0200')?.toISOString(), '2026-07-07T07:13:58.000Z');
  assert.equal(parseMailDate('7 Jul 2026 09:13 GMT')?.toISOString(), '2026-07-07T09:13:00.000Z');
  assert.equal(parseMailDate('Tue, 7 Jul 26 09:13:58 PDT')?.toISOString(), '2026-07-07T16:13:58.000Z');
  assert.equal(parseMailDate('Tue, 07 Jul 2026 09:13:58 +0200 (CEST)')?.toISOString(), '2026-07-07T07:13:58.000Z');
  assert.equal(parseMailDate('Tuesday, 07-Jul-2026 09:13:58 -0000')?.toISOString(), '2026-07-07T09:13:58.000Z');
  assert.equal(parseMailDate('2026-07-07T09:13:58Z')?.toISOString(), '2026-07-07T09:13:58.000Z', 'ISO as a last resort');
  assert.equal(parseMailDate('banana'), undefined);
  assert.equal(parseMailDate(''), undefined);
});

test('importance from Importance, X-Priority, X-MSMail-Priority, Priority', () => {
  assert.equal(readImportance(fields('Importance: high\n')), 'High');
  assert.equal(readImportance(fields('Importance: Low\nX-Priority: 1\n')), 'Low', 'Importance wins');
  assert.equal(readImportance(fields('X-Priority: 2 (High)\n')), 'High');
  assert.equal(readImportance(fields('X-Priority: 5 (Lowest)\n')), 'Low');
  assert.equal(readImportance(fields('X-Priority: 3\n')), 'Normal');
  assert.equal(readImportance(fields('X-MSMail-Priority: High\n')), 'High');
  assert.equal(readImportance(fields('Priority: urgent\n')), 'High');
  assert.equal(readImportance(fields('Priority: non-urgent\n')), 'Low');
  assert.equal(readImportance(fields('Importance: sky-high\nX-Priority: 4\n')), 'Low', 'unreadable Importance falls through');
  assert.equal(readImportance([]), 'Normal');
});

test('sensitivity', () => {
  assert.equal(readSensitivity(fields('Sensitivity: Personal\n')), 'Personal');
  assert.equal(readSensitivity(fields('Sensitivity: private\n')), 'Private');
  assert.equal(readSensitivity(fields('Sensitivity: Company-Confidential\n')), 'Confidential');
  assert.equal(readSensitivity(fields('Sensitivity: whatever\n')), 'Normal');
});

test('subjects, thread index, keywords, previews, addresses', () => {
  assert.equal(normalizeSubject('RE: AW: Fwd: Budget'), 'Budget');
  assert.equal(normalizeSubject('Re[2]: Re^3: SV: VS: TR: RV: Rif: Réf: Odp: Antw: WG: Budget'), 'Budget');
  assert.equal(normalizeSubject('回复：会議'), '会議');
  assert.equal(normalizeSubject('Note: Re: keep "Note:"'), 'Note: Re: keep "Note:"');
  assert.equal(normalizeSubject('Reminder: x'), 'Reminder: x');
  assert.equal(readConversationIndex(fields('Thread-Index: AdwOSnsvW4wdTn8C\n SmOeESxtig87lw==\n')), 'AdwOSnsvW4wdTn8CSmOeESxtig87lw==');
  assert.equal(readConversationIndex(fields('Thread-Index: AQID\n')), undefined, 'shorter than a header block');
  assert.deepEqual(readCategories(fields('Keywords: a, b ,, A\nKeywords: =?utf-8?q?c=C3=A4?=, b\n')), ['a', 'b', 'cä']);
  assert.equal(makePreview('  a\n\n b\t c  '), 'a b c');
  const long = 'x'.repeat(300);
  assert.equal(makePreview(long).length, 255);
  assert.equal(Array.from(makePreview('😀'.repeat(300))).length, 255, 'counts code points, never splits a surrogate pair');
  assert.deepEqual(
    readAddresses(fields('To: "Doe, Jane" <jane@example.org>, Team: a@example.org, =?utf-8?q?J=C3=B6rg?= <joerg@example.org>;, broken@, <x@xn--mnchen-3ya.example>\n')),
    [
      { name: 'Doe, Jane', address: 'jane@example.org' },
      { address: 'a@example.org' },
      { name: 'Jörg', address: 'joerg@example.org' },
      { address: 'x@xn--mnchen-3ya.example' },
    ],
  );
});

test('structure: part numbers for nested multiparts, message/rfc822, single parts', () => {
  const msg = [
    'Content-Type: multipart/mixed; boundary=outer',
    '',
    'preamble',
    '--outer',
    'Content-Type: multipart/alternative; boundary="inner"',
    '',
    '--inner',
    'Content-Type: text/plain',
    '',
    'text',
    '--inner',
    'Content-Type: text/html',
    '',
    '<p>html</p>',
    '--inner--',
    '--outer',
    'Content-Type: message/rfc822',
    '',
    'Subject: inner',
    '',
    'single part inner body',
    '--outer',
    'Content-Type: message/rfc822',
    'Content-Transfer-Encoding: base64',
    '',
    'U3ViamVjdDogeA0KDQp5',
    '--outer',
    '',
    'a part without headers',
    '--outer--',
    'epilogue',
  ].join('\r\n');
  const root = parseMimeStructure(Buffer.from(msg));
  const parts: string[] = [];
  walkEntities(root, (e) => parts.push(`${e.part}:${e.contentType}`));
  assert.deepEqual(parts, [
    ':multipart/mixed',
    '1:multipart/alternative',
    '1.1:text/plain',
    '1.2:text/html',
    '2:message/rfc822',
    '2.1:text/plain',
    '3:message/rfc822',
    '4:text/plain',
  ]);
  const body = (p: string) => {
    let out = '';
    walkEntities(root, (e) => {
      if (e.part === p && !e.children.length && !e.message) out = msg.slice(e.bodyStart, e.end);
    });
    return out;
  };
  assert.equal(body('1.1'), 'text');
  assert.equal(body('1.2'), '<p>html</p>');
  assert.equal(body('2.1'), 'single part inner body');
  assert.equal(body('4'), 'a part without headers');

  const single = parseMimeStructure(Buffer.from('Subject: x\r\n\r\nbody'));
  assert.equal(single.part, '1');
  assert.equal(single.contentType, 'text/plain');
  assert.equal(Buffer.from('Subject: x\r\n\r\nbody').subarray(single.bodyStart).toString(), 'body');
});

test('structure: boundaries that are prefixes, missing close delimiter, LF-only messages', () => {
  const m = Buffer.from('--b\r\nContent-Type: text/plain\r\n\r\none\r\n--b-not\r\nstill one\r\n--b \r\n\r\ntwo\r\n');
  const ranges = splitMultipart(m, 0, m.length, 'b');
  assert.deepEqual(ranges.map(([s, e]) => m.subarray(s, e).toString()), ['Content-Type: text/plain\r\n\r\none\r\n--b-not\r\nstill one', '\r\ntwo']);
  const lf = Buffer.from('Content-Type: multipart/mixed; boundary=z\n\n--z\nContent-Type: text/plain\n\nA\n--z\nContent-Type: image/gif\n\nB\n--z--\n');
  const root = parseMimeStructure(lf);
  assert.deepEqual(root.children.map((c) => [c.part, c.contentType, lf.subarray(c.bodyStart, c.end).toString()]), [
    ['1', 'text/plain', 'A'],
    ['2', 'image/gif', 'B'],
  ]);
});

test('structure: hostile nesting is bounded', () => {
  let msg = '';
  for (let i = 0; i < 200; i++) msg += `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`;
  msg += 'Content-Type: text/plain\r\n\r\ndeep\r\n';
  const root = parseMimeStructure(Buffer.from(msg));
  let depth = 0;
  walkEntities(root, (_e, anc) => (depth = Math.max(depth, anc.length)));
  assert.ok(depth <= 40, `depth ${depth}`);
});

test('readMessage never throws, whatever it is given', async () => {
  const junk = [
    Buffer.alloc(0),
    Buffer.from('\r\n\r\n'),
    Buffer.from('no headers at all, just text'),
    Buffer.from('Content-Type: multipart/mixed\r\n\r\n--x\r\n'),
    Buffer.from('Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n'),
    Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x0d, 0x0a]),
    Buffer.from('Subject: =?utf-8?b?////?=\r\nFrom: <<<>>>\r\nDate: 99 Foo 99999 99:99\r\n\r\nx'),
  ];
  for (const b of junk) {
    const m = await readMessage(b);
    assert.equal(m.size, b.length);
    assert.ok(Array.isArray(m.attachments));
  }
});

test('when mailparser gives up (over 1000 parts), bodies and attachments come from our own tree', async () => {
  let msg = 'Subject: many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n';
  msg += '--b\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 au l=\r\nait\r\n';
  for (let i = 0; i < 1200; i++) msg += `--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename*=utf-8''f%C3%BC${i}.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from(`x${i}`).toString('base64')}\r\n`;
  msg += '--b--\r\n';
  const m = await readMessage(Buffer.from(msg));
  assert.equal(m.textBody, 'café au lait');
  assert.equal(m.attachments.length, 1200);
  assert.deepEqual([m.attachments[0].id, m.attachments[0].name, m.attachments[0].content.toString()], ['2', 'fü0.bin', 'x0']);
  assert.deepEqual([m.attachments[1199].id, m.attachments[1199].name], ['1201', 'fü1199.bin']);
  assert.equal(m.hasAttachments, true);
});

test('quoted-printable decoding', async () => {
  const { decodeQuotedPrintable } = await import('../../src/convert/mime-structure.js');
  const qp = (s: string) => decodeQuotedPrintable(Buffer.from(s, 'latin1')).toString('latin1');
  assert.equal(qp('a=3Db=\r\nc'), 'a=bc');
  assert.equal(qp('soft=  \r\nbreak=\nlf'), 'softbreaklf');
  assert.equal(qp('bad =ZZ and =4'), 'bad =ZZ and =4');
  assert.equal(qp('=E9=e9'), 'éé');
  assert.equal(qp('end='), 'end');
});

test('meeting item classes: a bare text/calendar message, CANCEL and REPLY', async () => {
  const ics = (method: string, partstat = 'NEEDS-ACTION') =>
    `BEGIN:VCALENDAR\r\nMETHOD:${method}\r\nBEGIN:VEVENT\r\nUID:x\r\nATTENDEE;CN=A;\r\n PARTSTAT=${partstat}:mailto:a@example.org\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
  const bare = await readMessage(Buffer.from(`Subject: s\r\nContent-Type: text/calendar; method=CANCEL; charset=utf-8\r\n\r\n${ics('CANCEL')}`));
  assert.equal(bare.itemClass, 'IPM.Schedule.Meeting.Canceled');
  assert.equal(bare.calendar?.id, '1');
  assert.equal(bare.attachments.length, 0);
  const alt = (body: string) =>
    Buffer.from(`Subject: s\r\nContent-Type: multipart/alternative; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\nhi\r\n--q\r\nContent-Type: text/calendar\r\n\r\n${body}\r\n--q--\r\n`);
  assert.equal((await readMessage(alt(ics('REPLY', 'ACCEPTED')))).itemClass, 'IPM.Schedule.Meeting.Resp.Pos');
  assert.equal((await readMessage(alt(ics('REPLY', 'DECLINED')))).itemClass, 'IPM.Schedule.Meeting.Resp.Neg');
  assert.equal((await readMessage(alt(ics('REPLY', 'TENTATIVE')))).itemClass, 'IPM.Schedule.Meeting.Resp.Tent');
  assert.equal((await readMessage(alt(ics('PUBLISH')))).itemClass, 'IPM.Note');
  // a calendar file attached to a message is an attachment, not the meeting
  const attached = await readMessage(
    Buffer.from(`Subject: s\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\nhi\r\n--q\r\nContent-Type: text/calendar; name=invite.ics\r\nContent-Disposition: attachment; filename=invite.ics\r\n\r\n${ics('REQUEST')}\r\n--q--\r\n`),
  );
  assert.equal(attached.itemClass, 'IPM.Note');
  assert.deepEqual(attached.attachments.map((a) => [a.id, a.name]), [['2', 'invite.ics']]);
});
