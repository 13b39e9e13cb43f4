// FindItem and GetItem skip the single-folder LIST-STATUS when the user's pooled IMAP
// session still has the folder open (same path, same UIDVALIDITY as last listed). What
// other clients add between two requests must still show, and a folder they delete is
// gone at once. A folder deleted and made again, or renamed, by another client while the
// session has it open is seen from the next folder listing on: Dovecot answers STATUS of
// the selected mailbox from its open copy, so a listing first leaves it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { all, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;

before(async () => {
  tg = await startTestGateway();
});

after(async () => {
  await tg.close();
});

async function newUserWithFolder(name: string, subjects: string[]): Promise<{ user: TestUser; folderId: string }> {
  const user = await tg.backends.addUser();
  await withImap(tg.backends, user, async (c) => {
    await c.mailboxCreate(name);
    for (const s of subjects) await c.append(name, message(s));
  });
  return { user, folderId: await folderIdOf(user, name) };
}

function message(subject: string): Buffer {
  return Buffer.from(`From: a@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject}@example.test>\r\n\r\nbody\r\n`);
}

async function folderIdOf(user: TestUser, name: string): Promise<string> {
  const r = await ews(tg, user, `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="folder:DisplayName"/></t:AdditionalProperties></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`);
  return one(all(r.doc, 'Folder').find((f) => text(f, 'DisplayName') === name)!, 'FolderId').getAttribute('Id')!;
}

async function find(user: TestUser, folderId: string): Promise<{ codes: string[]; subjects: string[]; ids: string[] }> {
  const r = await ews(
    tg,
    user,
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="50" Offset="0" BasePoint="Beginning"/><m:ParentFolderIds><t:FolderId Id="${folderId}"/></m:ParentFolderIds></m:FindItem>`,
  );
  return { codes: codes(r.doc), subjects: all(r.doc, 'Message').map((m) => text(m, 'Subject')!).sort(), ids: all(r.doc, 'ItemId').map((i) => i.getAttribute('Id')!) };
}

async function getSubjects(user: TestUser, ids: string[]): Promise<{ codes: string[]; subjects: string[] }> {
  const r = await ews(tg, user, `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape><m:ItemIds>${ids.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</m:ItemIds></m:GetItem>`);
  return { codes: codes(r.doc), subjects: all(r.doc, 'Message').map((m) => text(m, 'Subject')!) };
}

describe('a folder the session has open', () => {
  test('messages another client adds between two FindItems are listed', async () => {
    const { user, folderId } = await newUserWithFolder('Open', ['o1', 'o2']);
    assert.deepEqual((await find(user, folderId)).subjects, ['o1', 'o2']);
    await withImap(tg.backends, user, (c) => c.append('Open', message('o3')));
    const again = await find(user, folderId);
    assert.deepEqual(again.subjects, ['o1', 'o2', 'o3']);
    assert.deepEqual((await getSubjects(user, again.ids)).subjects.sort(), ['o1', 'o2', 'o3']);
  });

  for (const change of ['deleted and made again', 'renamed, and a new one made under the old name']) {
    test(`${change} by another client: after the next folder listing each id shows its own folder`, async () => {
      const { user, folderId } = await newUserWithFolder('Swapped', ['s1']);
      const first = await find(user, folderId);
      assert.deepEqual(first.subjects, ['s1']);
      const renamed = change.startsWith('renamed');
      await withImap(tg.backends, user, async (c) => {
        if (renamed) await c.mailboxRename('Swapped', 'Moved');
        else await c.mailboxDelete('Swapped');
        await c.mailboxCreate('Swapped');
        await c.append('Swapped', message('s2'));
      });
      const newId = await folderIdOf(user, 'Swapped'); // a listing, as a client's next hierarchy sync
      assert.notEqual(newId, folderId);
      assert.deepEqual((await find(user, newId)).subjects, ['s2']);
      if (renamed) {
        assert.deepEqual((await find(user, folderId)).subjects, ['s1']);
        assert.equal(await folderIdOf(user, 'Moved'), folderId);
        assert.deepEqual((await getSubjects(user, first.ids)).subjects, ['s1']);
      } else {
        assert.deepEqual((await find(user, folderId)).codes, ['ErrorFolderNotFound']);
        assert.deepEqual((await getSubjects(user, first.ids)).codes, ['ErrorItemNotFound']);
      }
    });
  }

  test('deleted by another client: the next FindItem says the folder is gone, GetItem that the items are', async () => {
    for (const firstAsk of ['FindItem', 'GetItem']) {
      const { user, folderId } = await newUserWithFolder('Doomed', ['d1']);
      const first = await find(user, folderId);
      assert.deepEqual(first.subjects, ['d1']);
      await withImap(tg.backends, user, (c) => c.mailboxDelete('Doomed'));
      const asks = { FindItem: async () => (await find(user, folderId)).codes, GetItem: async () => (await getSubjects(user, first.ids)).codes };
      const expected = { FindItem: ['ErrorFolderNotFound'], GetItem: ['ErrorItemNotFound'] };
      const order = firstAsk === 'FindItem' ? (['FindItem', 'GetItem'] as const) : (['GetItem', 'FindItem'] as const);
      for (const op of order) assert.deepEqual(await asks[op](), expected[op], `${op} (${firstAsk} asked first)`);
    }
  });
});
