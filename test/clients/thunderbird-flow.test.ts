// Thunderbird 153's start-up, replayed with the request bodies captured from the
// real client (../shared/captures/thunderbird-153.txt; ids substituted): the
// batched GetFolder, SyncFolderHierarchy, GetFolder AllProperties of new folders,
// SyncFolderItems pages of 256, GetItem with its summary fields, then bodies as MIME.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmldom/xmldom';
import type { TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { M, all, codes, one, post, responseMessages, startTestGateway, text, type TestGateway } from '../support/gateway.js';

const T = 'http://schemas.microsoft.com/exchange/services/2006/types';
const env = (version: string, body: string) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="${T}"><soap:Header><t:RequestServerVersion Version="${version}"/></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;

let tg: TestGateway;
let user: TestUser;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: true, dav: false });
});

after(async () => {
  await tg.close();
});

test("Thunderbird's first sync sees every folder and message, and reads bodies as MIME", async () => {
  const send = (version: string, body: string) => post(tg.ewsUrl, user, env(version, body));
  const batch = ['msgfolderroot', 'inbox', 'deleteditems', 'drafts', 'outbox', 'sentitems', 'junkemail', 'archive'];
  const first = await send(
    'Exchange2007_SP1',
    `<GetFolder xmlns="${M}"><FolderShape><t:BaseShape>IdOnly</t:BaseShape></FolderShape><FolderIds>${batch.map((id) => `<t:DistinguishedFolderId Id="${id}"></t:DistinguishedFolderId>`).join('')}</FolderIds></GetFolder>`,
  );
  assert.equal(responseMessages(first.doc).length, batch.length);
  assert.deepEqual(codes(first.doc).slice(0, 7), batch.slice(0, 7).map(() => 'NoError'));
  const version = one(first.doc, 'ServerVersionInfo').getAttribute('Version')!;
  const next = /^Exchange20(07|10|13)/.test(version) ? version : 'Exchange2013_SP1';

  const hierarchy = await send(next, `<SyncFolderHierarchy xmlns="${M}"><FolderShape><t:BaseShape>IdOnly</t:BaseShape></FolderShape><SyncFolderId><t:DistinguishedFolderId Id="msgfolderroot"></t:DistinguishedFolderId></SyncFolderId></SyncFolderHierarchy>`);
  assert.equal(text(hierarchy.doc, 'IncludesLastFolderInRange', M), 'true');
  const newIds = all(hierarchy.doc, 'FolderId').map((f) => f.getAttribute('Id')!);
  assert.ok(newIds.length > 5);

  const mailFolders: string[] = [];
  for (let i = 0; i < newIds.length; i += 10) {
    const chunk = newIds.slice(i, i + 10);
    const r = await send(next, `<GetFolder xmlns="${M}"><FolderShape><t:BaseShape>AllProperties</t:BaseShape></FolderShape><FolderIds>${chunk.map((id) => `<t:FolderId Id="${id}"/>`).join('')}</FolderIds></GetFolder>`);
    const msgs = responseMessages(r.doc);
    assert.equal(msgs.length, chunk.length);
    msgs.forEach((m, j) => {
      const cls = text(m, 'FolderClass');
      if (!cls || cls.startsWith('IPF.Note')) mailFolders.push(chunk[j]);
    });
  }

  let inboxItems: string[] = [];
  const inboxId = one(responseMessages(first.doc)[1], 'FolderId').getAttribute('Id')!;
  assert.ok(mailFolders.includes(inboxId));
  for (const folderId of mailFolders) {
    let state: string | undefined;
    const ids: string[] = [];
    for (let guard = 0; guard < 50; guard++) {
      const r = await send(next, `<SyncFolderItems xmlns="${M}"><ItemShape><t:BaseShape>IdOnly</t:BaseShape></ItemShape><SyncFolderId><t:FolderId Id="${folderId}"/></SyncFolderId>${state ? `<SyncState>${state}</SyncState>` : ''}<MaxChangesReturned>256</MaxChangesReturned></SyncFolderItems>`);
      assert.deepEqual(codes(r.doc), ['NoError']);
      ids.push(...all(one(r.doc, 'Changes', M), 'ItemId').map((e) => e.getAttribute('Id')!));
      state = text(r.doc, 'SyncState', M);
      if (text(r.doc, 'IncludesLastItemInRange', M) === 'true') break;
    }
    if (folderId === inboxId) inboxItems = ids;
  }
  assert.equal(inboxItems.length, 8);

  const fields = ['message:IsRead', 'message:InternetMessageId', 'item:InternetMessageHeaders', 'item:DateTimeSent', 'message:From', 'message:ReplyTo', 'message:Sender', 'item:Subject', 'message:ToRecipients', 'message:CcRecipients', 'message:BccRecipients', 'item:HasAttachments', 'item:Importance', 'message:References', 'item:Size', 'item:Preview', 'item:Flag'];
  for (let i = 0; i < inboxItems.length; i += 10) {
    const chunk = inboxItems.slice(i, i + 10);
    const r = await send(next, `<GetItem xmlns="${M}"><ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>false</t:IncludeMimeContent><t:AdditionalProperties>${fields.map((f) => `<t:FieldURI FieldURI="${f}"/>`).join('')}</t:AdditionalProperties></ItemShape><ItemIds>${chunk.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</ItemIds></GetItem>`);
    assert.deepEqual(codes(r.doc), chunk.map(() => 'NoError'));
    for (const m of all(r.doc, 'Message')) {
      assert.ok(text(m, 'Subject') !== undefined);
      assert.ok(all(m, 'InternetMessageHeader').every((h: Element) => (h.textContent ?? '') !== ''), 'no empty header (macOS Mail)');
    }
  }
  const body = await send(next, `<GetItem xmlns="${M}"><ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></ItemShape><ItemIds><t:ItemId Id="${inboxItems[0]}"/></ItemIds></GetItem>`);
  const mime = Buffer.from(text(body.doc, 'MimeContent')!, 'base64').toString('utf8');
  assert.match(mime, /^[\s\S]*\r\n\r\n/);
  assert.match(text(body.doc, 'MimeContent')!, /^[A-Za-z0-9+/]+=*$/, 'valid base64 (Apple Mail crashed on broken base64)');
});
