// FindItem over a whole folder in UID order (no restriction) reads pages as ranges of
// sequence numbers instead of a SEARCH. Every paging form must give what the SEARCH
// path gives for the same view: the same items, in the same order, with the same
// paging attributes — checked here against a restriction that matches everything.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { all, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let user: TestUser;
let folderId: string;
const COUNT = 7;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await withImap(tg.backends, user, async (c) => {
    await c.mailboxCreate('Window');
    for (let i = 1; i <= COUNT; i++) {
      await c.append('Window', Buffer.from(`From: a@example.test\r\nSubject: w${i}\r\nMessage-ID: <w${i}@example.test>\r\n\r\nbody ${i}\r\n`));
    }
    // A gap in the UIDs: sequence numbers and UIDs differ from here on.
    const lock = await c.getMailboxLock('Window');
    try {
      await c.messageDelete('3', { uid: true });
    } finally {
      lock.release();
    }
  });
  const r = await ews(tg, user, `<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`);
  folderId = one(all(r.doc, 'Folder').find((f) => text(f, 'DisplayName') === 'Window')!, 'FolderId').getAttribute('Id')!;
});

after(async () => {
  await tg.close();
});

const ARTICLE = '<t:ExtendedFieldURI PropertyTag="0x0e23" PropertyType="Integer"/>';
// Matches every message, so the same view goes through SEARCH.
const EVERYTHING = `<m:Restriction><t:Exists><t:FieldURI FieldURI="item:Subject"/></t:Exists></m:Restriction>`;

async function view(paging: string, sort: string, restriction = ''): Promise<{ uids: number[]; attrs: Record<string, string | null> }> {
  const r = await ews(
    tg,
    user,
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>${ARTICLE}</t:AdditionalProperties></m:ItemShape>${paging}${restriction}${sort}<m:ParentFolderIds><t:FolderId Id="${folderId}"/></m:ParentFolderIds></m:FindItem>`,
  );
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 800));
  const root = all(r.doc, 'RootFolder', 'http://schemas.microsoft.com/exchange/services/2006/messages')[0];
  const attrs: Record<string, string | null> = {};
  for (const a of ['IndexedPagingOffset', 'NumeratorOffset', 'AbsoluteDenominator', 'TotalItemsInView', 'IncludesLastItemInRange']) attrs[a] = root.getAttribute(a) || null;
  return { uids: all(r.doc, 'Message').map((m) => Number(text(m, 'Value'))), attrs };
}

describe('FindItem pages by position', () => {
  const pagings = [
    '<m:IndexedPageItemView MaxEntriesReturned="3" Offset="0" BasePoint="Beginning"/>',
    '<m:IndexedPageItemView MaxEntriesReturned="3" Offset="2" BasePoint="Beginning"/>',
    '<m:IndexedPageItemView MaxEntriesReturned="4" Offset="5" BasePoint="Beginning"/>',
    '<m:IndexedPageItemView MaxEntriesReturned="2" Offset="1" BasePoint="End"/>',
    '<m:IndexedPageItemView MaxEntriesReturned="10" Offset="9" BasePoint="Beginning"/>',
    '<m:FractionalPageItemView MaxEntriesReturned="2" Numerator="1" Denominator="2"/>',
    '',
  ];
  const sorts = {
    'no SortOrder (newest first)': '',
    'article number ascending (DavMail)': `<m:SortOrder><t:FieldOrder Order="Ascending">${ARTICLE}</t:FieldOrder></m:SortOrder>`,
    'article number descending': `<m:SortOrder><t:FieldOrder Order="Descending">${ARTICLE}</t:FieldOrder></m:SortOrder>`,
  };
  // Sorted by the server: a page from the beginning is asked for alone (UID SORT RETURN (COUNT
  // PARTIAL a:b)), the other views sort everything; both must agree with the whole sorted view.
  for (const [name, sort] of Object.entries({
    'subject descending (server SORT)': `<m:SortOrder><t:FieldOrder Order="Descending"><t:FieldURI FieldURI="item:Subject"/></t:FieldOrder></m:SortOrder>`,
    'subject ascending (server SORT)': `<m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:Subject"/></t:FieldOrder></m:SortOrder>`,
  })) {
    test(`${name}: every page is its slice of the whole view`, async () => {
      const whole = await view('', sort);
      assert.deepEqual(whole.uids, [...whole.uids].sort((a, b) => (name.includes('ascending') ? a - b : b - a)), 'subjects w1…w7 sort as their UIDs');
      for (const paging of pagings) {
        const page = await view(paging, sort);
        assert.deepEqual(page, await view(paging, sort, EVERYTHING), paging);
        const m = /MaxEntriesReturned="(\d+)" Offset="(\d+)" BasePoint="Beginning"/.exec(paging);
        if (m) assert.deepEqual(page.uids, whole.uids.slice(Number(m[2]), Number(m[2]) + Number(m[1])), paging);
      }
    });
  }
  for (const [name, sort] of Object.entries(sorts)) {
    test(`${name}: the same pages as through SEARCH`, async () => {
      const whole = await view('', sort);
      assert.equal(whole.uids.length, COUNT - 1);
      assert.deepEqual(whole.uids, [...whole.uids].sort((a, b) => (name.includes('ascending') ? a - b : b - a)), 'in UID order');
      assert.ok(!whole.uids.includes(3), 'the expunged message is not listed');
      for (const paging of pagings) {
        assert.deepEqual(await view(paging, sort), await view(paging, sort, EVERYTHING), paging);
      }
    });
  }
});
