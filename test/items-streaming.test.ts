// GetItem with MimeContent answers while it reads: one FETCH per folder, and each
// message is written (chunked) as soon as it has arrived. The answer must still be complete, in request order,
// byte-exact, with per-item errors in place, and a client that goes away mid-answer
// must leave the user's backend session usable.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { all, basic, codes, envelope, ews, one, responseMessages, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let user: TestUser;
const sources = new Map<number, Buffer>();

function message(i: number): Buffer {
  const body = `Message ${i}\r\n` + `line ${i} `.repeat(20_000) + '\r\n';
  return Buffer.from(`From: a@example.test\r\nTo: b@example.test\r\nSubject: streamed ${i}\r\nMessage-ID: <s${i}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`);
}

async function idsByUid(): Promise<Map<number, string>> {
  const folders = await ews(tg, user, `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`);
  const fid = one(all(folders.doc, 'Folder').find((f) => text(f, 'DisplayName') === 'Streamed')!, 'FolderId').getAttribute('Id');
  const r = await ews(
    tg,
    user,
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0x0e23" PropertyType="Integer"/></t:AdditionalProperties></m:ItemShape><m:ParentFolderIds><t:FolderId Id="${fid}"/></m:ParentFolderIds></m:FindItem>`,
  );
  return new Map(all(r.doc, 'Message').map((m) => [Number(text(m, 'Value')), one(m, 'ItemId').getAttribute('Id')!]));
}

const getMime = (ids: string[]) =>
  `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape><m:ItemIds>${ids.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</m:ItemIds></m:GetItem>`;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await withImap(tg.backends, user, async (c) => {
    await c.mailboxCreate('Streamed');
    for (let i = 0; i < 11; i++) {
      const raw = message(i);
      const res = (await c.append('Streamed', raw)) as { uid: number };
      sources.set(res.uid, raw);
    }
  });
});

after(async () => {
  await tg.close();
});

describe('GetItem MimeContent, streamed', () => {
  test('request order, byte-exact, a gone item answered in its place, an id asked twice answered twice', async () => {
    const ids = await idsByUid();
    const uids = [...sources.keys()];
    const gone = uids[4];
    await withImap(tg.backends, user, async (c) => {
      const lock = await c.getMailboxLock('Streamed');
      try {
        await c.messageDelete(String(gone), { uid: true });
      } finally {
        lock.release();
      }
    });
    // Not in mailbox order: the answer keeps the request's order, whatever order the messages arrive in.
    const order = [...uids].reverse();
    order.splice(3, 0, uids[1]);
    const res = await fetch(tg.ewsUrl, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', Authorization: basic(user) }, body: envelope(getMime(order.map((u) => ids.get(u)!))) });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked', 'written as it is read');
    assert.equal(res.headers.get('content-length'), null);
    const doc = new (await import('@xmldom/xmldom')).DOMParser().parseFromString(await res.text(), 'text/xml');
    assert.deepEqual(codes(doc), order.map((u) => (u === gone ? 'ErrorItemNotFound' : 'NoError')));
    const msgs = responseMessages(doc);
    order.forEach((u, i) => {
      if (u === gone) return;
      const mime = Buffer.from(text(msgs[i], 'MimeContent')!, 'base64');
      assert.ok(mime.equals(sources.get(u)!), `message ${u} byte-exact`);
    });
  });

  test('a client that leaves mid-answer leaves the session usable', async () => {
    const ids = [...(await idsByUid()).values()];
    const ac = new AbortController();
    const res = await fetch(tg.ewsUrl, { method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', Authorization: basic(user) }, body: envelope(getMime(ids)), signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await reader.read().catch(() => undefined);
    // The next requests of the same user get answers (the pooled IMAP session was not left locked).
    const again = await ews(tg, user, getMime(ids.slice(0, 2)));
    assert.deepEqual(codes(again.doc), ['NoError', 'NoError']);
    const small = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${ids[0]}"/></m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(small.doc), ['NoError']);
  });
});
