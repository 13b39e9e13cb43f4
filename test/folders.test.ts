// The folder surface against real Dovecot: every folder operation, the
// distinguished ids clients ask for at start, and sync of the hierarchy.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmldom/xmldom';
import type { TestUser } from './harness/backends.js';
import { seedUser } from './harness/seed.js';
import { withImap } from './harness/clients.js';
import { M, all, codes, ews, one, responseMessages, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let user: TestUser;

const did = (id: string) => `<t:DistinguishedFolderId Id="${id}"/>`;
const fid = (id: string) => `<t:FolderId Id="${id}"/>`;

async function findShallow(parent: string, shape = 'Default', extra = '') {
  const r = await ews(tg, user, `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>${shape}</t:BaseShape></m:FolderShape>${extra}<m:ParentFolderIds>${parent}</m:ParentFolderIds></m:FindFolder>`);
  assert.equal(r.status, 200, r.text);
  return r;
}

async function childByName(parent: string, name: string): Promise<string | undefined> {
  const r = await findShallow(parent);
  for (const f of all(r.doc, 'Folder')) {
    if (text(f, 'DisplayName') === name) return one(f, 'FolderId').getAttribute('Id')!;
  }
  return undefined;
}

async function createFolder(parent: string, name: string) {
  return ews(tg, user, `<m:CreateFolder><m:ParentFolderId>${parent}</m:ParentFolderId><m:Folders><t:Folder><t:DisplayName>${name}</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>`);
}

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: true, dav: false });
});

after(async () => {
  await tg.close();
});

describe('GetFolder', () => {
  test("Thunderbird's first batch answers in request order with real counts", async () => {
    const ids = ['msgfolderroot', 'inbox', 'deleteditems', 'drafts', 'outbox', 'sentitems', 'junkemail', 'archive'];
    const r = await ews(
      tg,
      user,
      `<GetFolder xmlns="${M}"><FolderShape><t:BaseShape>AllProperties</t:BaseShape></FolderShape><FolderIds>${ids.map(did).join('')}</FolderIds></GetFolder>`,
      'Exchange2013_SP1',
    );
    assert.equal(r.status, 200);
    assert.equal(r.contentType, 'text/xml; charset=utf-8');
    assert.deepEqual(codes(r.doc), ids.map(() => 'NoError'));
    const msgs = responseMessages(r.doc);
    assert.equal(all(msgs[1], 'DistinguishedFolderId')[0].textContent, 'inbox');
    assert.equal(text(msgs[1], 'DisplayName'), 'Inbox');
    const inboxCount = await withImap(tg.backends, user, async (c) => (await c.status('INBOX', { messages: true, unseen: true })));
    assert.equal(Number(text(msgs[1], 'TotalCount')), inboxCount.messages);
    assert.equal(Number(text(msgs[1], 'UnreadCount')), inboxCount.unseen);
    assert.equal(text(msgs[1], 'FolderClass'), 'IPF.Note');
    // The inbox's parent is msgfolderroot.
    assert.equal(one(msgs[1], 'ParentFolderId').getAttribute('Id'), one(msgs[0], 'FolderId').getAttribute('Id'));
    const versionInfo = all(r.doc, 'ServerVersionInfo')[0];
    for (const a of ['MajorVersion', 'MinorVersion', 'MajorBuildNumber', 'MinorBuildNumber', 'Version']) assert.ok(versionInfo.getAttribute(a), a);
  });

  test("Outlook's well-known folders never fail; the archive mailbox ones are ErrorFolderNotFound", async () => {
    const ids = ['conversationhistory', 'recipientcache', 'quickcontacts', 'calendar', 'contacts', 'tasks', 'notes', 'journal', 'searchfolders', 'syncissues', 'root', 'archivemsgfolderroot'];
    const r = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds>${ids.map(did).join('')}</m:FolderIds></m:GetFolder>`);
    assert.deepEqual(codes(r.doc), [...ids.slice(0, -1).map(() => 'NoError'), 'ErrorFolderNotFound']);
    const msgs = responseMessages(r.doc);
    assert.equal(text(msgs[1], 'FolderClass'), 'IPF.Contact.RecipientCache');
    assert.equal(all(msgs[3], 'CalendarFolder').length, 1);
    // Stable: the same id twice.
    const again = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${did('recipientcache')}</m:FolderIds></m:GetFolder>`);
    assert.equal(one(again.doc, 'FolderId').getAttribute('Id'), one(msgs[1], 'FolderId').getAttribute('Id'));
  });

  test("DavMail's folder properties come back as extended properties with the request's own attribute spelling", async () => {
    const r = await ews(
      tg,
      user,
      `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>` +
        `<t:ExtendedFieldURI PropertyTag="0x3602" PropertyType="Integer"/><t:ExtendedFieldURI PropertyTag="13827" PropertyType="Integer"/>` +
        `<t:ExtendedFieldURI PropertyTag="0x670a" PropertyType="SystemTime"/><t:ExtendedFieldURI PropertyTag="0x6751" PropertyType="Integer"/>` +
        `<t:FieldURI FieldURI="folder:DisplayName"/></t:AdditionalProperties></m:FolderShape><m:FolderIds>${did('inbox')}</m:FolderIds></m:GetFolder>`,
      null,
    );
    assert.deepEqual(codes(r.doc), ['NoError']);
    const props = all(r.doc, 'ExtendedProperty');
    assert.equal(props.length, 4);
    assert.equal(one(props[1], "ExtendedFieldURI").getAttribute("PropertyTag"), "13827");
    assert.equal(one(props[0], 'ExtendedFieldURI').getAttribute('PropertyTag'), '0x3602');
    assert.match(text(props[2], 'Value')!, /^\d{4}-\d\d-\d\dT/);
    const st = await withImap(tg.backends, user, async (c) => c.status('INBOX', { messages: true, uidNext: true }));
    assert.equal(Number(text(props[0], 'Value')), st.messages);
    assert.equal(Number(text(props[3], 'Value')), st.uidNext);
  });

  test('malformed and unknown ids answer per item, other items still succeed', async () => {
    const foreign = Buffer.from([1, 1, 0, 4, 0x61, 0x62, 0x63, 0x64, 0, 3, 0x6e, 0x6f, 0x70]).toString('base64url');
    const r = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${fid('not*an*id')}${fid('AAMkADk2ZjAzOTZiLTg4')}${fid(foreign)}${did('inbox')}</m:FolderIds></m:GetFolder>`);
    assert.deepEqual(codes(r.doc), ['ErrorInvalidIdMalformed', 'ErrorInvalidIdMalformed', 'ErrorFolderNotFound', 'NoError']);
    assert.equal(responseMessages(r.doc)[0].getAttribute('ResponseClass'), 'Error');
  });

  test("another user's mailbox by address is refused", async () => {
    const r = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>someone.else@example.test</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId><t:DistinguishedFolderId Id="root"><t:Mailbox><t:EmailAddress>${user.email.toUpperCase()}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:FolderIds></m:GetFolder>`);
    assert.deepEqual(codes(r.doc), ['ErrorNonExistentMailbox', 'NoError']);
  });
});

describe('FindFolder', () => {
  test('Shallow below msgfolderroot lists the IMAP folders, special-use ones with their distinguished id', async () => {
    const r = await findShallow(did('msgfolderroot'), 'AllProperties');
    const names = all(r.doc, 'DisplayName').map((e) => e.textContent);
    for (const n of ['Inbox', 'Drafts', 'Sent', 'Trash', 'Junk', 'Archive', 'Projects', 'Reçus', 'Calendar', 'Contacts', 'Tasks']) assert.ok(names.includes(n), `${n} in ${names}`);
    assert.ok(!names.includes('2026'), 'Shallow does not descend');
    const sent = all(r.doc, 'Folder').find((f) => text(f, 'DisplayName') === 'Sent')!;
    assert.equal(text(sent, 'DistinguishedFolderId'), 'sentitems');
    const root = one(r.doc, 'RootFolder', M);
    assert.equal(root.getAttribute('IncludesLastItemInRange'), 'true');
    assert.equal(Number(root.getAttribute('TotalItemsInView')), names.length);
  });

  test('Deep finds nested folders; a restriction on DisplayName filters them', async () => {
    const r = await ews(
      tg,
      user,
      `<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>` +
        `<m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase"><t:FieldURI FieldURI="folder:DisplayName"/><t:Constant Value="202"/></t:Contains></m:Restriction>` +
        `<m:ParentFolderIds>${did('msgfolderroot')}</m:ParentFolderIds></m:FindFolder>`,
    );
    assert.deepEqual(all(r.doc, 'DisplayName').map((e) => e.textContent), ['2026']);
  });

  test("DavMail's PR_CONTAINER_CLASS restriction keeps mail folders and class-less ones", async () => {
    const r = await ews(
      tg,
      user,
      `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:DisplayName"/><t:ExtendedFieldURI PropertyTag="0x360a" PropertyType="Boolean"/></t:AdditionalProperties></m:FolderShape>` +
        `<m:IndexedPageFolderView MaxEntriesReturned="500" Offset="0" BasePoint="Beginning"/>` +
        `<m:Restriction><t:Or><t:IsEqualTo><t:ExtendedFieldURI PropertyTag="0x3613" PropertyType="String"/><t:FieldURIOrConstant><t:Constant Value="IPF.Note"/></t:FieldURIOrConstant></t:IsEqualTo>` +
        `<t:IsEqualTo><t:ExtendedFieldURI PropertyTag="0x3613" PropertyType="String"/><t:FieldURIOrConstant><t:Constant Value="IPF.Note.Microsoft.Conversation"/></t:FieldURIOrConstant></t:IsEqualTo>` +
        `<t:Not><t:Exists><t:ExtendedFieldURI PropertyTag="0x3613" PropertyType="String"/></t:Exists></t:Not></t:Or></m:Restriction>` +
        `<m:ParentFolderIds>${did('msgfolderroot')}</m:ParentFolderIds></m:FindFolder>`,
      null,
    );
    const names = all(r.doc, 'DisplayName').map((e) => e.textContent);
    assert.ok(names.includes('Inbox') && names.includes('Projects'));
    assert.ok(!names.includes('Calendar') && !names.includes('Contacts'), names.join());
    const projects = all(r.doc, 'Folder').find((f) => text(f, 'DisplayName') === 'Projects')!;
    assert.equal(text(projects, 'Value'), 'true', 'PR_SUBFOLDERS');
  });

  test('IndexedPageFolderView pages with offsets and IncludesLastItemInRange', async () => {
    const full = await findShallow(did('msgfolderroot'));
    const total = all(full.doc, 'Folder').length + all(full.doc, 'CalendarFolder').length + all(full.doc, 'ContactsFolder').length + all(full.doc, 'TasksFolder').length;
    const seen: string[] = [];
    let offset = 0;
    for (let guard = 0; guard < 20; guard++) {
      const r = await findShallow(did('msgfolderroot'), 'IdOnly', `<m:IndexedPageFolderView MaxEntriesReturned="3" Offset="${offset}" BasePoint="Beginning"/>`);
      const root = one(r.doc, 'RootFolder', M);
      seen.push(...all(r.doc, 'FolderId').map((e) => e.getAttribute('Id')!));
      assert.equal(Number(root.getAttribute('TotalItemsInView')), total);
      offset = Number(root.getAttribute('IndexedPagingOffset'));
      if (root.getAttribute('IncludesLastItemInRange') === 'true') break;
    }
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total);
  });
});

describe('changing folders', () => {
  test('create, collide, rename (id survives), move, copy with messages, delete', async () => {
    const created = await createFolder(did('msgfolderroot'), 'Clients');
    assert.deepEqual(codes(created.doc), ['NoError']);
    const id = one(created.doc, 'FolderId').getAttribute('Id')!;

    const clash = await createFolder(did('msgfolderroot'), 'clients');
    assert.deepEqual(codes(clash.doc), ['ErrorFolderExists']);

    const renamed = await ews(tg, user, `<m:UpdateFolder><m:FolderChanges><t:FolderChange>${fid(id)}<t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Kunden Ü</t:DisplayName></t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`);
    assert.deepEqual(codes(renamed.doc), ['NoError']);
    assert.equal(one(renamed.doc, 'FolderId').getAttribute('Id'), id, 'X-GUID keeps the FolderId across a rename');
    const got = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>${fid(id)}</m:FolderIds></m:GetFolder>`);
    assert.equal(text(got.doc, 'DisplayName'), 'Kunden Ü');
    assert.equal(one(got.doc, 'FolderId').getAttribute('ChangeKey'), one(renamed.doc, 'FolderId').getAttribute('ChangeKey'), 'one ChangeKey for one folder state');
    const mailboxes = await withImap(tg.backends, user, async (c) => (await c.list()).map((m) => m.path));
    assert.ok(mailboxes.includes('Kunden Ü'), mailboxes.join());

    const projects = (await childByName(did('msgfolderroot'), 'Projects'))!;
    const moved = await ews(tg, user, `<m:MoveFolder><m:ToFolderId>${fid(projects)}</m:ToFolderId><m:FolderIds>${fid(id)}</m:FolderIds></m:MoveFolder>`);
    assert.deepEqual(codes(moved.doc), ['NoError']);
    assert.equal(await childByName(fid(projects), 'Kunden Ü'), id);

    const intoItself = await ews(tg, user, `<m:MoveFolder><m:ToFolderId>${fid(id)}</m:ToFolderId><m:FolderIds>${fid(projects)}</m:FolderIds></m:MoveFolder>`);
    assert.deepEqual(codes(intoItself.doc), ['ErrorMoveCopyFailed']);

    const copied = await ews(tg, user, `<m:CopyFolder><m:ToFolderId>${did('msgfolderroot')}</m:ToFolderId><m:FolderIds>${did('inbox')}</m:FolderIds></m:CopyFolder>`);
    assert.deepEqual(codes(copied.doc), ['ErrorFolderExists'], 'a top-level Inbox exists already');
    const copiedInto = await ews(tg, user, `<m:CopyFolder><m:ToFolderId>${fid(projects)}</m:ToFolderId><m:FolderIds>${did('inbox')}</m:FolderIds></m:CopyFolder>`);
    assert.deepEqual(codes(copiedInto.doc), ['NoError']);
    const copyId = one(copiedInto.doc, 'FolderId').getAttribute('Id')!;
    const copy = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>${fid(copyId)}${did('inbox')}</m:FolderIds></m:GetFolder>`);
    const counts = all(copy.doc, 'TotalCount').map((e) => Number(e.textContent));
    assert.equal(counts[0], counts[1]);
    assert.ok(counts[0] > 0);

    const del = await ews(tg, user, `<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds>${fid(projects)}</m:FolderIds></m:DeleteFolder>`);
    assert.deepEqual(codes(del.doc), ['NoError']);
    const gone = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${fid(projects)}${fid(id)}${fid(copyId)}</m:FolderIds></m:GetFolder>`);
    assert.deepEqual(codes(gone.doc), ['ErrorFolderNotFound', 'ErrorFolderNotFound', 'ErrorFolderNotFound']);
  });

  test('distinguished folders cannot be deleted or moved; MoveToDeletedItems lands in Trash', async () => {
    const r = await ews(tg, user, `<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds>${did('inbox')}${did('sentitems')}</m:FolderIds></m:DeleteFolder>`);
    assert.deepEqual(codes(r.doc), ['ErrorDeleteDistinguishedFolder', 'ErrorDeleteDistinguishedFolder']);
    const mv = await ews(tg, user, `<m:MoveFolder><m:ToFolderId>${did('junkemail')}</m:ToFolderId><m:FolderIds>${did('drafts')}</m:FolderIds></m:MoveFolder>`);
    assert.deepEqual(codes(mv.doc), ['ErrorMoveDistinguishedFolder']);

    const c = await createFolder(did('inbox'), 'Old stuff');
    const id = one(c.doc, 'FolderId').getAttribute('Id')!;
    const soft = await ews(tg, user, `<m:DeleteFolder DeleteType="MoveToDeletedItems"><m:FolderIds>${fid(id)}</m:FolderIds></m:DeleteFolder>`);
    assert.deepEqual(codes(soft.doc), ['NoError']);
    assert.equal(await childByName(did('deleteditems'), 'Old stuff'), id);
  });

  test('EmptyFolder removes messages, and subfolders only when asked', async () => {
    const c = await createFolder(did('msgfolderroot'), 'ToEmpty');
    const id = one(c.doc, 'FolderId').getAttribute('Id')!;
    await createFolder(fid(id), 'Child');
    await withImap(tg.backends, user, async (cl) => {
      await cl.append('ToEmpty', 'From: a@example.test\r\nSubject: x\r\n\r\nbody\r\n');
      await cl.append('ToEmpty', 'From: a@example.test\r\nSubject: y\r\n\r\nbody\r\n');
    });
    const e1 = await ews(tg, user, `<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="false"><m:FolderIds>${fid(id)}</m:FolderIds></m:EmptyFolder>`);
    assert.deepEqual(codes(e1.doc), ['NoError']);
    const after1 = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>${fid(id)}</m:FolderIds></m:GetFolder>`);
    assert.equal(text(after1.doc, 'TotalCount'), '0');
    assert.equal(text(after1.doc, 'ChildFolderCount'), '1');
    const e2 = await ews(tg, user, `<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="true"><m:FolderIds>${fid(id)}</m:FolderIds></m:EmptyFolder>`);
    assert.deepEqual(codes(e2.doc), ['NoError']);
    const after2 = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:FolderIds>${fid(id)}</m:FolderIds></m:GetFolder>`);
    assert.equal(text(after2.doc, 'ChildFolderCount'), '0');
    const root = await ews(tg, user, `<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="true"><m:FolderIds>${did('msgfolderroot')}</m:FolderIds></m:EmptyFolder>`);
    assert.deepEqual(codes(root.doc), ['ErrorCannotEmptyFolder']);
  });

  test('an UpdateFolder that cannot be done whole changes nothing', async () => {
    const c = await createFolder(did('msgfolderroot'), 'Atomic');
    const id = one(c.doc, 'FolderId').getAttribute('Id')!;
    const r = await ews(tg, user, `<m:UpdateFolder><m:FolderChanges><t:FolderChange>${fid(id)}<t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Atomic2</t:DisplayName></t:Folder></t:SetFolderField><t:SetFolderField><t:ExtendedFieldURI PropertyTag="0x10f4" PropertyType="Boolean"/><t:Folder><t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x10f4" PropertyType="Boolean"/><t:Value>true</t:Value></t:ExtendedProperty></t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`);
    assert.deepEqual(codes(r.doc), ['ErrorInvalidPropertySet']);
    const mailboxes = await withImap(tg.backends, user, async (cl) => (await cl.list()).map((m) => m.path));
    assert.ok(mailboxes.includes('Atomic') && !mailboxes.includes('Atomic2'), mailboxes.join());
  });

  test('invalid names are refused with a precise code', async () => {
    const r = await createFolder(did('msgfolderroot'), 'a/b');
    assert.deepEqual(codes(r.doc), ['ErrorInvalidPropertyValue']);
    const empty = await createFolder(did('msgfolderroot'), '  ');
    assert.deepEqual(codes(empty.doc), ['ErrorInvalidPropertySet']);
  });
});

describe('SyncFolderHierarchy', () => {
  test('a first sync creates every folder, parents first; the next reports only what changed', async () => {
    const sync = (state?: string) =>
      ews(tg, user, `<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:SyncFolderId>${did('msgfolderroot')}</m:SyncFolderId>${state ? `<m:SyncState>${state}</m:SyncState>` : ''}</m:SyncFolderHierarchy>`);
    const first = await sync();
    assert.deepEqual(codes(first.doc), ['NoError']);
    assert.equal(text(first.doc, 'IncludesLastFolderInRange', M), 'true');
    const creates = all(first.doc, 'Create');
    const seenIds = new Set<string>();
    const msgRoot = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${did('msgfolderroot')}</m:FolderIds></m:GetFolder>`);
    seenIds.add(one(msgRoot.doc, 'FolderId').getAttribute('Id')!);
    for (const c of creates) {
      const parent = all(c, 'ParentFolderId')[0]?.getAttribute('Id');
      assert.ok(parent && seenIds.has(parent), `parent of ${text(c, 'DisplayName')} came first`);
      seenIds.add(one(c, 'FolderId').getAttribute('Id')!);
    }
    const state1 = text(first.doc, 'SyncState', M)!;

    const none = await sync(state1);
    assert.equal(all(none.doc, 'Changes', M)[0].childNodes.length, 0);

    const made = await createFolder(did('inbox'), 'Sync A');
    assert.deepEqual(codes(made.doc), ['NoError'], made.text);
    const aId = one(made.doc, 'FolderId').getAttribute('Id')!;
    const gone = await createFolder(did('inbox'), 'Sync B');
    assert.deepEqual(codes(gone.doc), ['NoError'], gone.text);
    const bId = one(gone.doc, 'FolderId').getAttribute('Id')!;
    const s2 = text((await sync(state1)).doc, 'SyncState', M)!;
    await ews(tg, user, `<m:UpdateFolder><m:FolderChanges><t:FolderChange>${fid(aId)}<t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Sync A2</t:DisplayName></t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`);
    await ews(tg, user, `<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds>${fid(bId)}</m:FolderIds></m:DeleteFolder>`);
    await withImap(tg.backends, user, (c) => c.mailboxCreate('Made Elsewhere'));
    const third = await sync(s2);
    assert.deepEqual(codes(third.doc), ['NoError'], third.text);
    const changes = one(third.doc, 'Changes', M);
    const kids = Array.from(changes.childNodes).filter((n) => n.nodeType === 1) as unknown as Element[];
    const kind = (k: string) => kids.find((e) => e.localName === k)!;
    const kinds = kids.map((e) => e.localName);
    assert.deepEqual(kinds.sort(), ['Create', 'Delete', 'Update']);
    assert.equal(text(kind('Update'), 'DisplayName'), 'Sync A2');
    assert.equal(one(kind('Update'), 'FolderId').getAttribute('Id'), aId);
    assert.equal(one(kind('Delete'), 'FolderId').getAttribute('Id'), bId);
    assert.equal(text(kind('Create'), 'DisplayName'), 'Made Elsewhere');
  });

  test('a forged or corrupt state answers ErrorInvalidSyncStateData', async () => {
    for (const bad of ['garbage', 'H1.AAAA.BBBB', 'H1.' + Buffer.from('[]').toString('base64url') + '.AAAAAAAAAAAAAAAAAAAAAA']) {
      const r = await ews(tg, user, `<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:SyncState>${bad}</m:SyncState></m:SyncFolderHierarchy>`);
      assert.deepEqual(codes(r.doc), ['ErrorInvalidSyncStateData']);
    }
  });
});

describe('ConvertId', () => {
  test("DavMail reads the mailbox address from the converted root id", async () => {
    const root = await ews(tg, user, `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${did('root')}</m:FolderIds></m:GetFolder>`, null);
    const id = one(root.doc, 'FolderId').getAttribute('Id')!;
    const r = await ews(tg, user, `<m:ConvertId DestinationFormat="HexEntryId"><m:SourceIds><t:AlternateId Format="EwsId" Id="${id}" Mailbox="${user.email}"/></m:SourceIds></m:ConvertId>`, null);
    assert.deepEqual(codes(r.doc), ['NoError']);
    const alt = one(r.doc, 'AlternateId', M);
    assert.equal(alt.getAttribute('Mailbox'), user.email);
    const back = await ews(tg, user, `<m:ConvertId DestinationFormat="EwsId"><m:SourceIds><t:AlternateId Format="HexEntryId" Id="${alt.getAttribute('Id')}" Mailbox="${user.email}"/></m:SourceIds></m:ConvertId>`);
    assert.equal(one(back.doc, 'AlternateId', M).getAttribute('Id'), id);
  });
});
