// Mail items against real Dovecot: reading by shape (MimeContent byte-exact),
// FindItem with restrictions, sorting and paging, flag writes, move / copy /
// delete, attachments and incremental SyncFolderItems.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmldom/xmldom';
import type { TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { seedUser, type SeedResult } from './harness/seed.js';
import { M, all, codes, ews, one, responseMessages, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let user: TestUser;
let seeded: SeedResult;

const did = (id: string) => `<t:DistinguishedFolderId Id="${id}"/>`;
const fid = (id: string) => `<t:FolderId Id="${id}"/>`;
const iid = (id: string) => `<t:ItemId Id="${id}"/>`;

function kids(el: Element): Element[] {
  return Array.from(el.childNodes).filter((n) => n.nodeType === 1) as unknown as Element[];
}

async function findInbox(extra = '', shape = '<t:BaseShape>IdOnly</t:BaseShape>', folder = did('inbox')) {
  const r = await ews(tg, user, `<m:FindItem Traversal="Shallow"><m:ItemShape>${shape}</m:ItemShape>${extra}<m:ParentFolderIds>${folder}</m:ParentFolderIds></m:FindItem>`);
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 2000));
  return r;
}

async function uidOrderedIds(folder = did('inbox')): Promise<{ id: string; uid: number }[]> {
  const r = await findInbox(
    '<m:SortOrder><t:FieldOrder Order="Ascending"><t:ExtendedFieldURI PropertyTag="0x0e23" PropertyType="Integer"/></t:FieldOrder></m:SortOrder>',
    '<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0x0e23" PropertyType="Integer"/></t:AdditionalProperties>',
    folder,
  );
  return all(r.doc, 'Message').map((m) => ({ id: one(m, 'ItemId').getAttribute('Id')!, uid: Number(text(m, 'Value')) }));
}

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  seeded = await seedUser(tg.backends, user, { mail: true, dav: false });
});

after(async () => {
  await tg.close();
});

describe('FindItem', () => {
  test("DavMail's listing: UIDs as PidTagInternetArticleNumber, sorted, equal to Dovecot's", async () => {
    const items = await uidOrderedIds();
    assert.deepEqual(
      items.map((i) => i.uid),
      seeded.mail!.inbox.map((m) => m.uid).sort((a, b) => a - b),
    );
  });

  test('restrictions become IMAP SEARCH: unread, subject, and an exact received-time bound', async () => {
    const unread = await findInbox('<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="message:IsRead"/><t:FieldURIOrConstant><t:Constant Value="false"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>');
    const expectedUnread = seeded.mail!.inbox.filter((m) => !m.flags.includes('\\Seen')).length;
    assert.equal(all(unread.doc, 'Message').length, expectedUnread);
    const subj = await findInbox(
      '<m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="item:Subject"/><t:Constant Value="réunion"/></t:Contains></m:Restriction>',
      '<t:BaseShape>Default</t:BaseShape>',
    );
    assert.deepEqual(all(subj.doc, 'Subject').map((s) => s.textContent), ['Réunion du comité - jeudi 12 novembre']);
    const all1 = await findInbox('', '<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:DateTimeReceived"/></t:AdditionalProperties>');
    const times = all(all1.doc, 'DateTimeReceived').map((e) => e.textContent!).sort();
    const pivot = times[Math.floor(times.length / 2)];
    const later = await findInbox(`<m:Restriction><t:IsGreaterThan><t:FieldURI FieldURI="item:DateTimeReceived"/><t:FieldURIOrConstant><t:Constant Value="${pivot}"/></t:FieldURIOrConstant></t:IsGreaterThan></m:Restriction>`);
    assert.equal(all(later.doc, 'Message').length, times.filter((t) => t > pivot).length);
  });

  test('QueryString (AQS): fields, free text, OR and NOT', async () => {
    const q = async (query: string) => all((await findInbox(`<m:QueryString>${query}</m:QueryString>`, '<t:BaseShape>Default</t:BaseShape>')).doc, 'Subject').map((s) => s.textContent);
    assert.deepEqual(await q('subject:réunion'), ['Réunion du comité - jeudi 12 novembre']);
    const withAttachment = await q('hasattachment:true');
    assert.ok(withAttachment.length >= 1 && withAttachment.every((s) => s !== 'Réunion du comité - jeudi 12 novembre'));
    const either = await q('subject:réunion OR subject:pilot');
    assert.ok(either.length >= 2, either.join('|'));
    const notReunion = await q('-subject:réunion');
    assert.equal(notReunion.length, seeded.mail!.inbox.length - 1);
    const free = await q('"comité"');
    assert.ok(free.includes('Réunion du comité - jeudi 12 novembre'));
  });

  test('GroupBy received date groups by day, newest group first', async () => {
    const r = await findInbox(
      '<m:GroupBy Order="Descending"><t:FieldURI FieldURI="item:DateTimeReceived"/><t:AggregateOn Aggregate="Maximum"><t:FieldURI FieldURI="item:DateTimeReceived"/></t:AggregateOn></m:GroupBy>',
      '<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:DateTimeReceived"/></t:AdditionalProperties>',
    );
    const groups = all(r.doc, 'GroupedItems');
    assert.ok(groups.length >= 2);
    const keys = groups.map((g) => text(g, 'GroupIndex')!);
    assert.deepEqual([...keys].sort().reverse(), keys);
    let count = 0;
    for (const g of groups) {
      for (const d of all(g, 'DateTimeReceived')) assert.equal(d.textContent!.slice(0, 10), text(g, 'GroupIndex'));
      count += all(g, '*').filter((e) => /^(Message|Meeting(Request|Response|Cancellation))$/.test(e.localName ?? '')).length;
    }
    assert.equal(count, seeded.mail!.inbox.length, r.text);
  });

  test('SortOrder by subject and IndexedPageItemView paging', async () => {
    const sorted = await findInbox('<m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:Subject"/></t:FieldOrder></m:SortOrder>', '<t:BaseShape>Default</t:BaseShape>');
    const subjects = all(sorted.doc, 'Subject').map((s) => s.textContent!);
    assert.equal(subjects.length, seeded.mail!.inbox.length);
    const seen: string[] = [];
    let offset = 0;
    for (let i = 0; i < 10; i++) {
      const page = await findInbox(
        `<m:IndexedPageItemView MaxEntriesReturned="3" Offset="${offset}" BasePoint="Beginning"/><m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:Subject"/></t:FieldOrder></m:SortOrder>`,
        '<t:BaseShape>Default</t:BaseShape>',
      );
      const root = one(page.doc, 'RootFolder', M);
      assert.equal(Number(root.getAttribute('TotalItemsInView')), subjects.length);
      seen.push(...all(page.doc, 'Subject').map((s) => s.textContent!));
      offset = Number(root.getAttribute('IndexedPagingOffset'));
      if (root.getAttribute('IncludesLastItemInRange') === 'true') break;
    }
    assert.deepEqual(seen, subjects);
  });
});

describe('GetItem', () => {
  test("Thunderbird's summary fields agree with what Dovecot stores", async () => {
    const items = await uidOrderedIds();
    const fields = ['message:IsRead', 'message:InternetMessageId', 'item:InternetMessageHeaders', 'item:DateTimeSent', 'message:From', 'message:ReplyTo', 'message:Sender', 'item:Subject', 'message:ToRecipients', 'message:CcRecipients', 'message:BccRecipients', 'item:HasAttachments', 'item:Importance', 'message:References', 'item:Size', 'item:Preview', 'item:Flag'];
    const r = await ews(
      tg,
      user,
      `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>false</t:IncludeMimeContent><t:AdditionalProperties>${fields.map((f) => `<t:FieldURI FieldURI="${f}"/>`).join('')}</t:AdditionalProperties></m:ItemShape><m:ItemIds>${items.map((i) => iid(i.id)).join('')}</m:ItemIds></m:GetItem>`,
    );
    assert.deepEqual(codes(r.doc), items.map(() => 'NoError'));
    const msgs = responseMessages(r.doc);
    const imap = await withImap(tg.backends, user, async (c) => {
      await c.mailboxOpen('INBOX');
      const out = new Map<number, { subject?: string; flags: Set<string>; size?: number; from?: string }>();
      for await (const m of c.fetch('1:*', { uid: true, envelope: true, flags: true, size: true })) out.set(m.uid, { subject: m.envelope?.subject, flags: m.flags ?? new Set(), size: m.size, from: m.envelope?.from?.[0]?.address });
      return out;
    });
    items.forEach((it, i) => {
      const m = msgs[i];
      const want = imap.get(it.uid)!;
      assert.equal(text(m, 'Subject'), want.subject ?? '', `subject of uid ${it.uid}`);
      assert.equal(text(m, 'IsRead'), String(want.flags.has('\\Seen')));
      assert.equal(Number(text(m, 'Size')), want.size);
      assert.equal(text(one(m, 'From'), 'EmailAddress'), want.from);
      assert.equal(text(m, 'FlagStatus'), want.flags.has('\\Flagged') ? 'Flagged' : 'NotFlagged');
      assert.ok(all(m, 'InternetMessageHeader').length > 3);
    });
    const byFile = new Map(seeded.mail!.inbox.map((s) => [s.file, s.uid]));
    const pos = (file: string) => items.findIndex((i) => i.uid === byFile.get(file));
    assert.equal(text(msgs[pos('03-attachment-report.eml')], 'HasAttachments'), 'true');
    assert.equal(text(msgs[pos('01-plain-welcome.eml')], 'HasAttachments'), 'false');
    assert.equal(text(msgs[pos('06-reply-thread.eml')], 'Importance'), 'High');
    assert.ok((text(msgs[pos('02-alternative-agenda.eml')], 'Preview') ?? '').length > 10);
  });

  test('MimeContent is byte-exact for every message', async () => {
    const items = await uidOrderedIds();
    const r = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape><m:ItemIds>${items.map((i) => iid(i.id)).join('')}</m:ItemIds></m:GetItem>`);
    const mimes = all(r.doc, 'MimeContent').map((e) => Buffer.from(e.textContent!, 'base64'));
    const sources = await withImap(tg.backends, user, async (c) => {
      await c.mailboxOpen('INBOX');
      const out = new Map<number, Buffer>();
      for await (const m of c.fetch('1:*', { uid: true, source: true })) out.set(m.uid, m.source!);
      return out;
    });
    assert.equal(mimes.length, items.length);
    items.forEach((it, i) => assert.ok(mimes[i].equals(sources.get(it.uid)!), `uid ${it.uid}`));
  });

  test('Body in each BodyType, decoded from its charset, converted where needed', async () => {
    const items = await uidOrderedIds();
    const uidOf = (file: string) => seeded.mail!.inbox.find((s) => s.file === file)!.uid;
    const idOf = (file: string) => items.find((i) => i.uid === uidOf(file))!.id;
    const get = async (file: string, bodyType: string) => {
      const r = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape><t:BodyType>${bodyType}</t:BodyType></m:ItemShape><m:ItemIds>${iid(idOf(file))}</m:ItemIds></m:GetItem>`);
      const b = one(r.doc, 'Body');
      return { type: b.getAttribute('BodyType'), content: b.textContent ?? '' };
    };
    const best = await get('02-alternative-agenda.eml', 'Best');
    assert.equal(best.type, 'HTML');
    assert.match(best.content, /<[a-z]/i);
    const txt = await get('02-alternative-agenda.eml', 'Text');
    assert.equal(txt.type, 'Text');
    assert.doesNotMatch(txt.content, /<html/i);
    const latin = await get('04-latin1-reunion.eml', 'Text');
    assert.match(latin.content, /comité|réunion/i);
    const jp = await get('07-iso2022jp-meeting.eml', 'Text');
    assert.match(jp.content, /[\u3040-\u30ff\u4e00-\u9fff]/);
    const htmlFromText = await get('01-plain-welcome.eml', 'HTML');
    assert.equal(htmlFromText.type, 'HTML');
    const onlyHtmlAsText = await get('05-html-newsletter.eml', 'Text');
    assert.equal(onlyHtmlAsText.type, 'Text');
    assert.doesNotMatch(onlyHtmlAsText.content, /<\/?(p|div|table|td)\b/i);
  });

  test('GetAttachment fetches the one part, byte-exact', async () => {
    const items = await uidOrderedIds();
    const uid = seeded.mail!.inbox.find((s) => s.file === '03-attachment-report.eml')!.uid;
    const id = items.find((i) => i.uid === uid)!.id;
    const r = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Attachments"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${iid(id)}</m:ItemIds></m:GetItem>`);
    const atts = all(r.doc, 'FileAttachment');
    assert.deepEqual(atts.map((a) => text(a, 'Name')), ['ops-report-2026-10.pdf', 'requests-2026.csv']);
    const attId = one(atts[0], 'AttachmentId').getAttribute('Id')!;
    const g = await ews(tg, user, `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attId}"/></m:AttachmentIds></m:GetAttachment>`);
    assert.deepEqual(codes(g.doc), ['NoError']);
    const content = Buffer.from(text(g.doc, 'Content')!, 'base64');
    assert.equal(content.subarray(0, 5).toString(), '%PDF-');
    const part = await withImap(tg.backends, user, async (c) => {
      await c.mailboxOpen('INBOX');
      const { content: stream } = await c.download(String(uid), '2', { uid: true });
      const chunks: Buffer[] = [];
      for await (const ch of stream) chunks.push(ch as Buffer);
      return Buffer.concat(chunks);
    });
    assert.ok(content.equals(part));
  });

  test('CreateAttachment and DeleteAttachment rebuild the message; the message keeps its id', async () => {
    const raw = Buffer.from('From: Me <' + user.email + '>\r\nTo: a@example.test\r\nSubject: with attachment\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n');
    const created = await ews(tg, user, `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:MimeContent>${raw.toString('base64')}</t:MimeContent></t:Message></m:Items></m:CreateItem>`);
    const itemId = one(created.doc, 'ItemId').getAttribute('Id')!;
    const content = Buffer.from([0, 1, 2, 250, 251, 252, 10, 13]);
    const add = await ews(tg, user, `<m:CreateAttachment><m:ParentItemId Id="${itemId}"/><m:Attachments><t:FileAttachment><t:Name>bytes.bin</t:Name><t:ContentType>application/octet-stream</t:ContentType><t:Content>${content.toString('base64')}</t:Content></t:FileAttachment></m:Attachments></m:CreateAttachment>`);
    assert.deepEqual(codes(add.doc), ['NoError'], add.text.slice(0, 1500));
    const attId = one(add.doc, 'AttachmentId');
    const rootId = attId.getAttribute('RootItemId')!;
    const got = await ews(tg, user, `<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="${attId.getAttribute('Id')}"/></m:AttachmentIds></m:GetAttachment>`);
    assert.deepEqual(codes(got.doc), ['NoError']);
    assert.equal(text(got.doc, 'Name'), 'bytes.bin');
    assert.ok(Buffer.from(text(got.doc, 'Content')!, 'base64').equals(content));
    assert.equal(rootId, itemId);
    const still = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:HasAttachments"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${iid(itemId)}</m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(still.doc), ['NoError']);
    assert.equal(text(still.doc, 'HasAttachments'), 'true');
    const del = await ews(tg, user, `<m:DeleteAttachment><m:AttachmentIds><t:AttachmentId Id="${attId.getAttribute('Id')}"/></m:AttachmentIds></m:DeleteAttachment>`);
    assert.deepEqual(codes(del.doc), ['NoError'], del.text.slice(0, 1000));
    const newRoot = one(del.doc, 'RootItemId', M).getAttribute('RootItemId')!;
    assert.equal(newRoot, itemId);
    const after = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds>${iid(newRoot)}</m:ItemIds></m:GetItem>`);
    assert.equal(text(after.doc, 'HasAttachments'), 'false');
    assert.match(text(after.doc, 'Body')!, /see attached/);
  });

  test('bad input: an unknown FieldURI, invalid base64 MimeContent, a recipient without an address', async () => {
    const items = await uidOrderedIds();
    const unknown = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="bogus:Thing"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${iid(items[0].id)}</m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(unknown.doc), ['ErrorInvalidPropertyRequest']);
    const b64 = await ews(tg, user, `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:MimeContent>not*base64!</t:MimeContent></t:Message></m:Items></m:CreateItem>`);
    assert.deepEqual(codes(b64.doc), ['ErrorMimeContentConversionFailed']);
    const noAddr = await ews(tg, user, `<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:Message><t:Subject>x</t:Subject><t:ToRecipients><t:Mailbox><t:Name>Just A Name</t:Name></t:Mailbox></t:ToRecipients></t:Message></m:Items></m:CreateItem>`);
    assert.deepEqual(codes(noAddr.doc), ['ErrorInvalidRecipients']);
  });

  test('unknown and malformed ids answer per item', async () => {
    const items = await uidOrderedIds();
    const r = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds>${iid('###')}${iid(items[0].id)}${iid(items[0].id.slice(0, -4) + '____')}</m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(r.doc), ['ErrorInvalidIdMalformed', 'NoError', 'ErrorItemNotFound']);
  });
});

describe('changing items', () => {
  test('UpdateItem read state, flag and categories are IMAP STORE; a stale ChangeKey with NeverOverwrite conflicts', async () => {
    const [first] = await uidOrderedIds();
    const set = (field: string, value: string) =>
      `<t:SetItemField><t:FieldURI FieldURI="${field}"/><t:Message>${value}</t:Message></t:SetItemField>`;
    const r = await ews(
      tg,
      user,
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange>${iid(first.id)}<t:Updates>${set('message:IsRead', '<t:IsRead>false</t:IsRead>')}${set('item:Flag', '<t:Flag><t:FlagStatus>Flagged</t:FlagStatus></t:Flag>')}${set('item:Categories', '<t:Categories><t:String>Blue</t:String><t:String>Project X</t:String></t:Categories>')}</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError']);
    const flags = await withImap(tg.backends, user, async (c) => {
      await c.mailboxOpen('INBOX');
      for await (const m of c.fetch(String(first.uid), { uid: true, flags: true }, { uid: true })) return m.flags!;
      return new Set<string>();
    });
    assert.ok(!flags.has('\\Seen') && flags.has('\\Flagged') && flags.has('Blue'), [...flags].join());
    const cats = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Categories"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${iid(first.id)}</m:ItemIds></m:GetItem>`);
    assert.deepEqual(all(cats.doc, 'String').map((e) => e.textContent).sort(), ['Blue', 'Project X'], 'categories round-trip through IMAP keywords exactly');
    const stale = await ews(
      tg,
      user,
      `<m:UpdateItem ConflictResolution="NeverOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="${first.id}" ChangeKey="CQAAAB1"/><t:Updates>${set('message:IsRead', '<t:IsRead>true</t:IsRead>')}</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    assert.deepEqual(codes(stale.doc), ['ErrorIrresolvableConflict']);
  });

  test('CopyItem and MoveItem answer the new ids; DeleteItem removes exactly those', async () => {
    const created = await ews(tg, user, `<m:CreateFolder><m:ParentFolderId>${did('msgfolderroot')}</m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>Items Target</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>`);
    const target = one(created.doc, 'FolderId').getAttribute('Id')!;
    const items = await uidOrderedIds();
    const copy = await ews(tg, user, `<m:CopyItem><m:ToFolderId>${fid(target)}</m:ToFolderId><m:ItemIds>${iid(items[0].id)}${iid(items[1].id)}</m:ItemIds></m:CopyItem>`);
    assert.deepEqual(codes(copy.doc), ['NoError', 'NoError']);
    const copies = all(copy.doc, 'ItemId').map((e) => e.getAttribute('Id')!);
    assert.equal(copies.length, 2);
    const inTarget = await uidOrderedIds(fid(target));
    assert.deepEqual(inTarget.map((i) => i.id).sort(), [...copies].sort());

    const moved = await ews(tg, user, `<m:MoveItem><m:ToFolderId>${did('junkemail')}</m:ToFolderId><m:ItemIds>${iid(copies[0])}</m:ItemIds></m:MoveItem>`);
    assert.deepEqual(codes(moved.doc), ['NoError']);
    const movedId = one(moved.doc, 'ItemId').getAttribute('Id')!;
    const junk = await uidOrderedIds(did('junkemail'));
    assert.deepEqual(junk.map((i) => i.id), [movedId]);

    const del = await ews(tg, user, `<m:DeleteItem DeleteType="HardDelete"><m:ItemIds>${iid(movedId)}${iid(copies[1])}${iid(movedId)}</m:ItemIds></m:DeleteItem>`);
    assert.deepEqual(codes(del.doc).slice(0, 2), ['NoError', 'NoError']);
    assert.equal((await uidOrderedIds(did('junkemail'))).length, 0);
    assert.equal((await uidOrderedIds(fid(target))).length, 0);
    const again = await ews(tg, user, `<m:DeleteItem DeleteType="HardDelete"><m:ItemIds>${iid(movedId)}</m:ItemIds></m:DeleteItem>`);
    assert.deepEqual(codes(again.doc), ['ErrorItemNotFound']);
  });

  test('MarkAsJunk sets $Junk and moves to Junk Email, answering the moved id', async () => {
    const items = await uidOrderedIds();
    const last = items[items.length - 1];
    const r = await ews(tg, user, `<m:MarkAsJunk IsJunk="true" MoveItem="true"><m:ItemIds>${iid(last.id)}</m:ItemIds></m:MarkAsJunk>`);
    assert.deepEqual(codes(r.doc), ['NoError']);
    const moved = one(r.doc, 'MovedItemId', M).getAttribute('Id')!;
    const junk = await uidOrderedIds(did('junkemail'));
    assert.deepEqual(junk.map((i) => i.id), [moved]);
    const flags = await withImap(tg.backends, user, async (c) => {
      await c.mailboxOpen('Junk');
      for await (const m of c.fetch('1:*', { uid: true, flags: true })) return m.flags!;
      return new Set<string>();
    });
    assert.ok(flags.has('$Junk'));
    const back = await ews(tg, user, `<m:MarkAsJunk IsJunk="false" MoveItem="true"><m:ItemIds>${iid(moved)}</m:ItemIds></m:MarkAsJunk>`);
    assert.deepEqual(codes(back.doc), ['NoError']);
    assert.equal((await uidOrderedIds(did('junkemail'))).length, 0);
  });

  test('ExportItems gives the RFC 822 bytes; UploadItems puts them back as a new item', async () => {
    const items = await uidOrderedIds();
    const r = await ews(tg, user, `<m:ExportItems><m:ItemIds>${iid(items[0].id)}</m:ItemIds></m:ExportItems>`);
    assert.deepEqual(codes(r.doc), ['NoError']);
    const data = text(r.doc, 'Data', M)!;
    const drafts = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${did('archive')}</m:FolderIds></m:GetFolder>`);
    const archiveId = one(drafts.doc, 'FolderId').getAttribute('Id')!;
    const up = await ews(tg, user, `<m:UploadItems><m:Items><t:Item CreateAction="CreateNew"><t:ParentFolderId Id="${archiveId}"/><t:Data>${data}</t:Data></t:Item></m:Items></m:UploadItems>`);
    assert.deepEqual(codes(up.doc), ['NoError'], up.text.slice(0, 1000));
    const newId = one(up.doc, 'ItemId', M).getAttribute('Id')!;
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape><m:ItemIds>${iid(newId)}</m:ItemIds></m:GetItem>`);
    assert.equal(text(got.doc, 'MimeContent'), data);
  });

  test('MarkAllItemsAsRead marks the folder read', async () => {
    const r = await ews(tg, user, `<m:MarkAllItemsAsRead><m:ReadFlag>true</m:ReadFlag><m:SuppressReadReceipts>true</m:SuppressReadReceipts><m:FolderIds>${did('inbox')}</m:FolderIds></m:MarkAllItemsAsRead>`);
    assert.deepEqual(codes(r.doc), ['NoError']);
    const st = await withImap(tg.backends, user, (c) => c.status('INBOX', { unseen: true }));
    assert.equal(st.unseen, 0);
  });
});

describe('CreateItem', () => {
  test("Thunderbird's draft: SaveOnly with MimeContent and PR_MESSAGE_FLAGS lands byte-exact in Drafts as \\Draft", async () => {
    const raw = Buffer.from('From: Me <' + user.email + '>\r\nTo: someone@example.test\r\nSubject: draft one\r\nMessage-ID: <draft1@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhalf written\r\n');
    const r = await ews(
      tg,
      user,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId>${did('drafts')}</m:SavedItemFolderId><m:Items><t:Message><t:MimeContent>${raw.toString('base64')}</t:MimeContent><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="3591" PropertyType="Integer"/><t:Value>9</t:Value></t:ExtendedProperty></t:Message></m:Items></m:CreateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError']);
    const id = one(r.doc, 'ItemId').getAttribute('Id')!;
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent><t:AdditionalProperties><t:FieldURI FieldURI="item:IsDraft"/><t:FieldURI FieldURI="message:IsRead"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${iid(id)}</m:ItemIds></m:GetItem>`);
    assert.ok(Buffer.from(text(got.doc, 'MimeContent')!, 'base64').equals(raw));
    assert.equal(text(got.doc, 'IsDraft'), 'true');
    assert.equal(text(got.doc, 'IsRead'), 'true');
  });

  test('SaveOnly from properties builds the MIME a mail client would', async () => {
    const r = await ews(
      tg,
      user,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>Grüße aus Köln</t:Subject><t:Body BodyType="HTML">&lt;p&gt;Hallo &lt;b&gt;Welt&lt;/b&gt;&lt;/p&gt;</t:Body><t:ToRecipients><t:Mailbox><t:Name>Zoë Müller</t:Name><t:EmailAddress>zoe@example.test</t:EmailAddress></t:Mailbox></t:ToRecipients><t:Importance>High</t:Importance><t:Attachments><t:FileAttachment><t:Name>notes.txt</t:Name><t:ContentType>text/plain</t:ContentType><t:Content>${Buffer.from('attached text').toString('base64')}</t:Content></t:FileAttachment></t:Attachments></t:Message></m:Items></m:CreateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const id = one(r.doc, 'ItemId').getAttribute('Id')!;
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Importance"/><t:FieldURI FieldURI="item:IsDraft"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${iid(id)}</m:ItemIds></m:GetItem>`);
    assert.equal(text(got.doc, 'Subject'), 'Grüße aus Köln');
    assert.equal(text(one(got.doc, 'ToRecipients'), 'Name'), 'Zoë Müller');
    assert.equal(text(got.doc, 'Importance'), 'High');
    assert.equal(text(got.doc, 'IsDraft'), 'true');
    assert.match(text(got.doc, 'Body')!, /<b>Welt<\/b>/);
    assert.deepEqual(all(got.doc, 'FileAttachment').map((a) => text(a, 'Name')), ['notes.txt']);
  });

  test('UpdateItem of content rebuilds the message; the ItemId stays the same, flags survive', async () => {
    const raw = Buffer.from('From: Me <' + user.email + '>\r\nTo: a@example.test\r\nSubject: before\r\nMessage-ID: <edit1@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfirst text\r\n');
    const created = await ews(tg, user, `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:MimeContent>${raw.toString('base64')}</t:MimeContent><t:IsRead>true</t:IsRead></t:Message></m:Items></m:CreateItem>`);
    const oldId = one(created.doc, 'ItemId').getAttribute('Id')!;
    const r = await ews(
      tg,
      user,
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange>${iid(oldId)}<t:Updates>` +
        `<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>after ✓</t:Subject></t:Message></t:SetItemField>` +
        `<t:AppendToItemField><t:FieldURI FieldURI="message:ToRecipients"/><t:Message><t:ToRecipients><t:Mailbox><t:EmailAddress>b@example.test</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message></t:AppendToItemField>` +
        `<t:SetItemField><t:FieldURI FieldURI="item:Flag"/><t:Message><t:Flag><t:FlagStatus>Flagged</t:FlagStatus></t:Flag></t:Message></t:SetItemField>` +
        `</t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const newId = one(r.doc, 'ItemId').getAttribute('Id')!;
    assert.equal(newId, oldId, 'Exchange keeps ItemIds across edits; clients rely on it');
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Flag"/><t:FieldURI FieldURI="message:InternetMessageId"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${iid(oldId)}</m:ItemIds></m:GetItem>`);
    assert.deepEqual(codes(got.doc), ['NoError']);
    assert.equal(one(got.doc, 'ItemId').getAttribute('Id'), oldId);
    assert.equal(text(got.doc, 'Subject'), 'after ✓');
    assert.deepEqual(all(one(got.doc, 'ToRecipients'), 'EmailAddress').map((e) => e.textContent), ['a@example.test', 'b@example.test']);
    assert.equal(text(got.doc, 'IsRead'), 'true');
    assert.equal(text(got.doc, 'FlagStatus'), 'Flagged');
    assert.equal(text(got.doc, 'InternetMessageId'), '<edit1@example.test>');
    assert.match(text(got.doc, 'Body')!, /first text/);
  });

  test('ReplyAllToItem (Outlook for Mac nests a whole Message) saves a threaded draft with the original quoted', async () => {
    const items = await uidOrderedIds();
    const uid = seeded.mail!.inbox.find((s) => s.file === '06-reply-thread.eml')!.uid;
    const refId = items.find((i) => i.uid === uid)!.id;
    const orig = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="message:InternetMessageId"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${iid(refId)}</m:ItemIds></m:GetItem>`);
    const r = await ews(
      tg,
      user,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:ReplyAllToItem><t:Message><t:Body BodyType="HTML">&lt;p&gt;Sounds good&lt;/p&gt;</t:Body></t:Message><t:ReferenceItemId Id="${refId}"/></t:ReplyAllToItem></m:Items></m:CreateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const draftId = one(r.doc, 'ItemId').getAttribute('Id')!;
    const got = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds>${iid(draftId)}</m:ItemIds></m:GetItem>`);
    const origSubject = text(orig.doc, 'Subject')!;
    assert.equal(text(got.doc, 'Subject'), /^re:/i.test(origSubject) ? origSubject : `RE: ${origSubject}`, 'no second prefix');
    assert.equal(text(got.doc, 'InReplyTo'), text(orig.doc, 'InternetMessageId'));
    const replyTo = all(one(orig.doc, 'ReplyTo'), 'EmailAddress').map((e) => e.textContent);
    const to = all(one(got.doc, 'ToRecipients'), 'EmailAddress').map((e) => e.textContent);
    assert.equal(to[0], replyTo[0]);
    assert.ok(!to.includes(user.email));
    const body = text(got.doc, 'Body')!;
    assert.match(body, /Sounds good/);
    assert.match(body, /<hr>/);
  });

  test('a message without MessageDisposition is refused as Exchange does', async () => {
    const r = await ews(tg, user, `<m:CreateItem><m:Items><t:Message><t:Subject>x</t:Subject></t:Message></m:Items></m:CreateItem>`);
    assert.deepEqual(codes(r.doc), ['ErrorMessageDispositionRequired']);
  });
});

describe('SyncFolderItems', () => {
  test('pages the first sync, then reports exactly the updates, creates and deletes since', async () => {
    const made = await ews(tg, user, `<m:CreateFolder><m:ParentFolderId>${did('msgfolderroot')}</m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>Sync Items</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>`);
    const folderId = one(made.doc, 'FolderId').getAttribute('Id')!;
    await withImap(tg.backends, user, async (c) => {
      for (let i = 1; i <= 7; i++) await c.append('Sync Items', `From: a@example.test\r\nSubject: sync ${i}\r\nMessage-ID: <s${i}@example.test>\r\n\r\nbody ${i}\r\n`);
    });
    const sync = (state?: string) =>
      ews(tg, user, `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="message:IsRead"/></t:AdditionalProperties></m:ItemShape><m:SyncFolderId>${fid(folderId)}</m:SyncFolderId>${state ? `<m:SyncState>${state}</m:SyncState>` : ''}<m:MaxChangesReturned>3</m:MaxChangesReturned></m:SyncFolderItems>`);
    let state: string | undefined;
    const created: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await sync(state);
      assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
      const changes = kids(one(r.doc, 'Changes', M));
      assert.ok(changes.length <= 3);
      for (const c of changes) {
        assert.equal(c.localName, 'Create');
        created.push(text(c, 'Subject')!);
      }
      state = text(r.doc, 'SyncState', M)!;
      if (text(r.doc, 'IncludesLastItemInRange', M) === 'true') break;
    }
    assert.deepEqual(created, [1, 2, 3, 4, 5, 6, 7].map((i) => `sync ${i}`));
    assert.ok(state!.length < 200, `state stays small: ${state!.length}`);

    const quiet = await sync(state);
    assert.equal(kids(one(quiet.doc, 'Changes', M)).length, 0);

    await withImap(tg.backends, user, async (c) => {
      await c.mailboxOpen('Sync Items');
      await c.messageFlagsAdd('2', ['\\Seen'], { uid: true });
      await c.messageDelete('3', { uid: true });
      await c.append('Sync Items', 'From: a@example.test\r\nSubject: sync 8\r\n\r\nbody 8\r\n');
    });
    const inc = await sync(state);
    const changes = kids(one(inc.doc, 'Changes', M));
    const summary = changes.map((c) => `${c.localName}:${text(c, 'Subject') ?? ''}`).sort();
    assert.deepEqual(summary, ['Create:sync 8', 'Delete:', 'Update:sync 2']);
    assert.equal(text(changes.find((c) => c.localName === 'Update')!, 'IsRead'), 'true');
  });

  test('a forged state or one from another folder is ErrorInvalidSyncStateData', async () => {
    const first = await ews(tg, user, `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId>${did('inbox')}</m:SyncFolderId><m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`);
    const state = text(first.doc, 'SyncState', M)!;
    for (const [folder, s] of [[did('drafts'), state], [did('inbox'), state.slice(0, -3) + 'xyz']]) {
      const r = await ews(tg, user, `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:SyncFolderId>${folder}</m:SyncFolderId><m:SyncState>${s}</m:SyncState><m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`);
      assert.deepEqual(codes(r.doc), ['ErrorInvalidSyncStateData']);
    }
  });
});
