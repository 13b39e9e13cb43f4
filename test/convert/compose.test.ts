// composeMessage → readMessage gives the properties back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { composeMessage, type ComposeInput } from '../../src/convert/compose.js';
import { readMessage, type ParsedMessage } from '../../src/convert/message-properties.js';
import { parseMimeStructure, walkEntities } from '../../src/convert/mime-structure.js';

const DIR = fileURLToPath(new URL('../../fixtures/mime/', import.meta.url));
const fixture = (name: string) => fs.readFileSync(DIR + name);

// the PNG of fixture 02, and a binary blob covering every byte value
const PNG = (() => {
  const m = fixture('02-related-inline-image.eml').toString('latin1');
  const b64 = /Content-Id: <badge-2026\.png@example\.com>\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n--/.exec(m)![1];
  return Buffer.from(b64.replace(/\s+/g, ''), 'base64');
})();
const BLOB = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7 + (i >> 8)) & 0xff));

function base(overrides: Partial<ComposeInput> = {}): ComposeInput {
  return {
    to: [],
    cc: [],
    bcc: [],
    replyTo: [],
    subject: '',
    body: { type: 'Text', content: '' },
    importance: 'Normal',
    sensitivity: 'Normal',
    isReadReceiptRequested: false,
    isDeliveryReceiptRequested: false,
    categories: [],
    extraHeaders: [],
    attachments: [],
    itemAttachments: [],
    ...overrides,
  };
}

function assertCrlf(raw: Buffer) {
  for (let i = 0; i < raw.length; i++) if (raw[i] === 0x0a) assert.equal(raw[i - 1], 0x0d, `bare LF at ${i}`);
}

test('round trip: non-ASCII subject and names, HTML body, inline image, attachments byte-equal', async () => {
  const input = base({
    from: { name: 'Zoë Lefèvre', address: 'zoe.lefevre@example.com' },
    sender: { name: 'Assistenz Ärger', address: 'assistenz@example.com' },
    to: [{ name: 'Müller, Hans', address: 'h.mueller@example.net' }, { address: 'plain@example.net' }],
    cc: [{ name: '山田 太郎', address: 't.yamada@example.jp' }, { name: 'Борис Петров', address: 'boris@example.net' }],
    bcc: [{ name: 'Archiv', address: 'archive@example.com' }],
    replyTo: [{ name: 'Projektbüro', address: 'projekte@example.com' }],
    subject: 'Grüße – 会議室 – Отчёт ✓ and a subject long enough to need folding across several lines, really',
    body: {
      type: 'HTML',
      content: '<html><body><p>Hallo <b>Hans</b>,</p><p><img src="cid:badge@example.com" alt="Badge"> siehe <a href="https://example.com/x">Link</a>.</p></body></html>',
    },
    importance: 'High',
    sensitivity: 'Private',
    inReplyTo: '<prev-2@example.net>',
    references: '<prev-1@example.org> <prev-2@example.net>',
    messageId: 'roundtrip-1@example.com',
    date: new Date('2026-07-20T10:00:00Z'),
    isReadReceiptRequested: true,
    isDeliveryReceiptRequested: true,
    categories: ['Finanzen', 'Priorität', 'Projekt Atlas'],
    extraHeaders: [
      { name: 'Thread-Index', value: 'AdwOSnsvW4wdTn8CSmOeESxtig87lw==' },
      { name: 'Thread-Topic', value: 'Grüße' },
      { name: 'X-Custom', value: 'a\r\nInjected: header' },
      { name: 'Subject', value: 'must not override' },
      { name: 'Bad Name', value: 'dropped' },
    ],
    attachments: [
      { name: 'badge.png', contentType: 'image/png', content: PNG, contentId: '<badge@example.com>', isInline: true },
      { name: 'Präsentation – März 2027 (final) mit einem sehr langen Dateinamen.bin', contentType: 'application/octet-stream', content: BLOB },
      { name: 'notes.txt', contentType: 'text/plain', content: Buffer.from('line 1\r\nline 2 ü\r\n') },
    ],
  });
  const raw = await composeMessage(input);
  assertCrlf(raw);
  const m = await readMessage(raw);

  assert.equal(m.subject, input.subject);
  assert.deepEqual(m.from, [input.from]);
  assert.deepEqual(m.sender, [input.sender]);
  assert.deepEqual(m.to, input.to);
  assert.deepEqual(m.cc, input.cc);
  assert.deepEqual(m.bcc, [], 'Bcc is not written unless keepBcc');
  assert.deepEqual(m.replyTo, input.replyTo);
  assert.equal(m.messageId, '<roundtrip-1@example.com>');
  assert.equal(m.dateSent?.toISOString(), '2026-07-20T10:00:00.000Z');
  assert.equal(m.inReplyTo, input.inReplyTo);
  assert.equal(m.references, input.references);
  assert.equal(m.importance, 'High');
  assert.equal(m.sensitivity, 'Private');
  assert.equal(m.isReadReceiptRequested, true);
  assert.equal(m.isDeliveryReceiptRequested, true);
  assert.deepEqual(m.categories, input.categories);
  assert.equal(m.conversationIndex, 'AdwOSnsvW4wdTn8CSmOeESxtig87lw==');
  assert.equal(m.conversationTopic, 'Grüße');
  assert.equal(m.htmlBody, input.body.content);
  assert.equal(m.textBody, 'Hallo Hans,\n\n[Badge] siehe Link <https://example.com/x>.', 'a text alternative is written');
  const custom = m.internetMessageHeaders.filter((h) => h.name === 'X-Custom');
  assert.deepEqual(custom, [{ name: 'X-Custom', value: 'a Injected: header' }], 'no header injection');
  assert.ok(!m.internetMessageHeaders.some((h) => h.name === 'Injected' || h.name === 'Bad Name'));
  assert.equal(m.internetMessageHeaders.filter((h) => h.name === 'Subject').length, 1);

  assert.equal(m.attachments.length, 3);
  const [img, blob, notes] = m.attachments;
  assert.equal(img.name, 'badge.png');
  assert.equal(img.contentId, 'badge@example.com');
  assert.equal(img.isInline, true);
  assert.ok(img.content.equals(PNG));
  assert.equal(blob.name, input.attachments[1].name);
  assert.equal(blob.isInline, false);
  assert.ok(blob.content.equals(BLOB), 'binary attachment byte-equal');
  assert.equal(notes.contentType, 'text/plain');
  assert.ok(notes.content.equals(input.attachments[2].content), 'text attachment byte-equal (base64, line ends kept)');
  assert.equal(m.hasAttachments, true);

  // structure: mixed [ alternative [ text, related [ html, png ] ], blob, notes ]
  const parts: string[] = [];
  walkEntities(parseMimeStructure(raw), (e) => parts.push(`${e.part}:${e.contentType}`));
  assert.deepEqual(parts, [
    ':multipart/mixed', '1:multipart/alternative', '1.1:text/plain', '1.2:multipart/related', '1.2.1:text/html', '1.2.2:image/png',
    '2:application/octet-stream', '3:text/plain',
  ]);
  assert.deepEqual(m.attachments.map((a) => a.id), ['1.2.2', '2', '3']);
});

test('drafts keep Bcc; a Text body is written as is; Low importance; Personal/Confidential', async () => {
  const input = base({
    from: { address: 'me@example.org' },
    to: [{ address: 'you@example.org' }],
    bcc: [{ name: 'Ünseen Öne', address: 'hidden@example.org' }],
    keepBcc: true,
    subject: 'Plain',
    body: { type: 'Text', content: 'Line one\nLine two with ümlaut\n\n-- \nsig' },
    importance: 'Low',
    sensitivity: 'Confidential',
  });
  const raw = await composeMessage(input);
  assertCrlf(raw);
  const m = await readMessage(raw);
  assert.deepEqual(m.bcc, [{ name: 'Ünseen Öne', address: 'hidden@example.org' }]);
  assert.equal(m.textBody?.replace(/\r\n/g, '\n').trimEnd(), 'Line one\nLine two with ümlaut\n\n-- \nsig');
  assert.equal(m.htmlBody, undefined);
  assert.equal(m.importance, 'Low');
  assert.equal(m.sensitivity, 'Confidential');
  assert.equal(m.isReadReceiptRequested, false);
  assert.equal(m.isDeliveryReceiptRequested, false);
  assert.deepEqual(m.categories, []);
  assert.equal(m.hasAttachments, false);
  assert.ok(raw.toString('latin1').includes('Sensitivity: Company-Confidential'));
  assert.ok(m.messageId && /^<[^<>]+>$/.test(m.messageId), 'a Message-ID is generated');
  assert.ok(m.dateSent, 'a Date is generated');

  const personal = await readMessage(await composeMessage(base({ subject: 'p', sensitivity: 'Personal' })));
  assert.equal(personal.sensitivity, 'Personal');
});

test('item attachments: the message goes in as message/rfc822, unchanged, and reads back as one', async () => {
  const inner = fixture('04-latin1-qp.eml');
  const innerMulti = fixture('03-mixed-pdf-rfc822.eml');
  const raw = await composeMessage(
    base({
      from: { address: 'me@example.org' },
      to: [{ address: 'you@example.org' }],
      subject: 'Fwd: two messages',
      body: { type: 'HTML', content: '<p>see attached</p>' },
      itemAttachments: [{ raw: inner }, { raw: innerMulti, name: 'forwarded.eml' }],
    }),
  );
  const m = await readMessage(raw);
  assert.deepEqual(
    m.attachments.map((a) => [a.id, a.name, a.contentType, a.isMessage]),
    [
      ['2', 'Compte-rendu de la réunion à Montréal', 'message/rfc822', true],
      ['3', 'forwarded.eml', 'message/rfc822', true],
    ],
  );
  assert.ok(m.attachments[0].content.equals(inner), 'byte for byte');
  assert.ok(m.attachments[1].content.equals(innerMulti), 'byte for byte');
  const again = await readMessage(m.attachments[1].content);
  assert.equal(again.subject, 'Fwd: Invoice 2026-0142 and delivery note');
  assert.equal(again.attachments.length, 2);
  // nested: the outer message numbers the inner parts 3.1, 3.2, 3.3
  const parts: string[] = [];
  walkEntities(parseMimeStructure(raw), (e) => parts.push(e.part));
  assert.ok(parts.includes('3.3'), parts.join(' '));
});

test('a Content-ID on an ordinary attachment does not make it inline', async () => {
  const raw = await composeMessage(
    base({
      subject: 'cid on a file',
      body: { type: 'HTML', content: '<p>no images here</p>' },
      attachments: [{ name: 'report.pdf', contentType: 'application/pdf', content: Buffer.from('%PDF-1.4\n'), contentId: 'report@outlook' }],
    }),
  );
  const m = await readMessage(raw);
  assert.equal(m.attachments[0].contentId, 'report@outlook');
  assert.equal(m.attachments[0].isInline, false);
  assert.equal(m.attachments[0].id, '2', 'in multipart/mixed, not multipart/related');
  assert.equal(m.hasAttachments, true);
});

test('HTML without a text alternative when asked', async () => {
  const raw = await composeMessage(base({ subject: 's', body: { type: 'HTML', content: '<p>only html</p>' }, textAlternative: false }));
  const root = parseMimeStructure(raw);
  assert.equal(root.contentType, 'text/html');
  const m = await readMessage(raw);
  assert.equal(m.textBody, undefined);
  assert.equal(m.preview, 'only html');
});

function inputFrom(p: ParsedMessage): ComposeInput {
  return base({
    from: p.from[0],
    sender: p.sender[0],
    to: p.to,
    cc: p.cc,
    bcc: p.bcc,
    keepBcc: true,
    replyTo: p.replyTo,
    subject: p.subject ?? '',
    body: p.htmlBody !== undefined ? { type: 'HTML', content: p.htmlBody } : { type: 'Text', content: p.textBody ?? '' },
    importance: p.importance,
    sensitivity: p.sensitivity,
    inReplyTo: p.inReplyTo,
    references: p.references,
    messageId: p.messageId,
    date: p.dateSent,
    isReadReceiptRequested: p.isReadReceiptRequested,
    isDeliveryReceiptRequested: p.isDeliveryReceiptRequested,
    categories: p.categories,
    extraHeaders: p.conversationIndex ? [{ name: 'Thread-Index', value: p.conversationIndex }] : [],
    attachments: p.attachments.filter((a) => !a.isMessage).map((a) => ({ name: a.name, contentType: a.contentType, content: a.content, contentId: a.contentId, isInline: a.isInline })),
    itemAttachments: p.attachments.filter((a) => a.isMessage).map((a) => ({ raw: a.content })),
  });
}

test('rebuilding each fixture (UpdateItem) keeps its properties', async () => {
  for (const f of ['01-alternative.eml', '02-related-inline-image.eml', '03-mixed-pdf-rfc822.eml', '04-latin1-qp.eml', '05-windows1252-rfc2231.eml', '06-koi8r.eml', '07-shift-jis.eml', '12-html-only-tables.eml', '13-rich-headers.eml']) {
    const before = await readMessage(fixture(f));
    const after = await readMessage(await composeMessage(inputFrom(before)));
    for (const k of ['subject', 'from', 'sender', 'to', 'cc', 'bcc', 'replyTo', 'messageId', 'inReplyTo', 'references', 'importance', 'sensitivity', 'isReadReceiptRequested', 'isDeliveryReceiptRequested', 'categories', 'conversationIndex', 'hasAttachments'] as const) {
      assert.deepEqual(after[k], before[k], `${f}: ${k}`);
    }
    assert.equal(after.dateSent?.getTime(), before.dateSent?.getTime(), `${f}: date`);
    if (before.htmlBody !== undefined) assert.equal(after.htmlBody, before.htmlBody, `${f}: html`);
    else assert.equal(after.textBody?.trimEnd(), before.textBody?.trimEnd(), `${f}: text`);
    assert.deepEqual(
      after.attachments.map((a) => [a.name, a.contentType, a.contentId, a.isInline, a.isMessage, a.content.toString('base64')]),
      before.attachments.map((a) => [a.name, a.contentType, a.contentId, a.isInline, a.isMessage, a.content.toString('base64')]),
      `${f}: attachments`,
    );
  }
});
