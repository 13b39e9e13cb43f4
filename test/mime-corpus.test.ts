// The MIME corpus through Dovecot and back: every message stored with IMAP
// APPEND comes back byte-exact as MimeContent, and the properties EWS reports
// agree with what mailparser (via src/convert) reads from the same bytes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { readMessage } from '../src/convert/message-properties.js';
import type { TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { makeLargeMessage } from './convert/large-message.js';
import { all, codes, ews, one, responseMessages, startTestGateway, text, type TestGateway } from './support/gateway.js';

const DIR = path.resolve('fixtures/mime');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.eml')).sort();

let tg: TestGateway;
let user: TestUser;
const uidOf = new Map<string, number>();

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await withImap(tg.backends, user, async (c) => {
    await c.mailboxCreate('Corpus');
    for (const f of FILES) {
      const res = await c.append('Corpus', readFileSync(path.join(DIR, f)));
      uidOf.set(f, (res as { uid: number }).uid);
    }
  });
});

after(async () => {
  await tg.close();
});

async function corpusIds(): Promise<Map<number, string>> {
  const folder = await ews(tg, user, `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`);
  const corpus = all(folder.doc, 'Folder').find((f) => text(f, 'DisplayName') === 'Corpus')!;
  const fid = one(corpus, 'FolderId').getAttribute('Id');
  const r = await ews(
    tg,
    user,
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0x0e23" PropertyType="Integer"/></t:AdditionalProperties></m:ItemShape><m:ParentFolderIds><t:FolderId Id="${fid}"/></m:ParentFolderIds></m:FindItem>`,
  );
  return new Map(all(r.doc, 'Message').map((m) => [Number(text(m, 'Value')), one(m, 'ItemId').getAttribute('Id')!]));
}

describe('MIME corpus', () => {
  test('MimeContent is byte-exact and the properties agree with mailparser', async () => {
    const ids = await corpusIds();
    const list = FILES.map((f) => ids.get(uidOf.get(f)!)!);
    const r = await ews(
      tg,
      user,
      `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent><t:BodyType>Text</t:BodyType><t:AdditionalProperties><t:FieldURI FieldURI="item:Importance"/><t:FieldURI FieldURI="message:IsReadReceiptRequested"/><t:FieldURI FieldURI="message:InternetMessageId"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${list.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</m:ItemIds></m:GetItem>`,
    );
    assert.deepEqual(codes(r.doc), FILES.map(() => 'NoError'));
    const msgs = responseMessages(r.doc);
    for (let i = 0; i < FILES.length; i++) {
      const file = FILES[i];
      const raw = readFileSync(path.join(DIR, file));
      const m = msgs[i];
      const mime = Buffer.from(text(m, 'MimeContent')!, 'base64');
      assert.ok(mime.equals(raw), `${file}: MimeContent byte-exact`);
      const parsed = await readMessage(raw, { smime: 'transparent' });
      // Duplicate and raw 8-bit headers are the server's to read (Dovecot's ENVELOPE); only byte-exactness is asked of those.
      if (file === '10-broken-headers.eml') continue;
      assert.equal(text(m, 'Subject') ?? '', parsed.subject ?? '', `${file}: Subject`);
      const from = all(m, 'From')[0];
      if (parsed.from[0]) assert.equal(from && text(from, 'EmailAddress'), parsed.from[0].address, `${file}: From`);
      const to = all(m, 'ToRecipients')[0];
      assert.deepEqual(to ? all(to, 'EmailAddress').map((e) => e.textContent) : [], parsed.to.map((a) => a.address), `${file}: To`);
      assert.equal(text(m, 'Importance'), parsed.importance, `${file}: Importance`);
      assert.equal(text(m, 'IsReadReceiptRequested'), String(parsed.isReadReceiptRequested), `${file}: read receipt`);
      if (parsed.messageId) assert.equal(text(m, 'InternetMessageId'), parsed.messageId, `${file}: Message-ID`);
      if (parsed.textBody && !/^0[89]-smime/.test(file)) {
        const norm = (s: string) => s.replace(/\s+/g, ' ').trim();
        assert.equal(norm(text(m, 'Body') ?? ''), norm(parsed.textBody), `${file}: text body`);
      }
    }
  });

  test('a 20 MB message round-trips byte-exact, and its attachment comes alone', async () => {
    const raw = makeLargeMessage(20 * 1024 * 1024);
    const uid = await withImap(tg.backends, user, async (c) => ((await c.append('Corpus', raw)) as { uid: number }).uid);
    const ids = await corpusIds();
    const id = ids.get(uid)!;
    assert.ok(id, `uid ${uid} in ${[...ids.keys()]}`);
    const r = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent><t:AdditionalProperties><t:FieldURI FieldURI="item:Attachments"/></t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 500));
    assert.ok(Buffer.from(text(r.doc, 'MimeContent')!, 'base64').equals(raw));
    const attId = one(r.doc, 'AttachmentId').getAttribute('Id')!;
    const a = await ews(tg, user, `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attId}"/></m:AttachmentIds></m:GetAttachment>`);
    const content = Buffer.from(text(a.doc, 'Content')!, 'base64');
    const parsed = await readMessage(raw);
    assert.ok(content.equals(parsed.attachments[0].content));
  });

  test('the S/MIME signed message survives byte-exact and shows its signature as an attachment', async () => {
    const ids = await corpusIds();
    const id = ids.get(uidOf.get('08-smime-signed.eml')!)!;
    const r = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`);
    assert.ok(Buffer.from(text(r.doc, 'MimeContent')!, 'base64').equals(readFileSync(path.join(DIR, '08-smime-signed.eml'))));
    assert.equal(text(r.doc, 'HasAttachments'), 'true');
  });
});
