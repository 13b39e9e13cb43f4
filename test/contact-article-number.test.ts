// PidTagInternetArticleNumber (0x0E23) on contacts and distribution lists:
// DavMail pages its contact FindItems by it (sorted ascending, keeping only
// numbers above the last page's highest) and drops every item without a
// positive one, so each card needs a distinct, positive number that does not
// move between requests or when the card is changed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { seedUser } from './harness/seed.js';
import { all, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let user: TestUser;

const contactsFolder = '<t:DistinguishedFolderId Id="contacts"/>';
const ARTICLE = '<t:ExtendedFieldURI PropertyTag="0x0E23" PropertyType="Integer"/>';

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: false, dav: true });
  const dl = await ews(
    tg,
    user,
    `<m:CreateItem><m:SavedItemFolderId>${contactsFolder}</m:SavedItemFolderId><m:Items><t:DistributionList><t:DisplayName>Numbered Group</t:DisplayName><t:Members><t:Member><t:Mailbox><t:Name>Ann Example</t:Name><t:EmailAddress>ann@example.org</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>OneOff</t:MailboxType></t:Mailbox></t:Member></t:Members></t:DistributionList></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(dl.doc), ['NoError'], dl.text.slice(0, 1500));
});

after(async () => {
  await tg?.close();
});

/** DavMail's contact listing: IdOnly + 0x0E23 (+ DisplayName here), ordered by 0x0E23 ascending. */
async function numbers(): Promise<Map<string, { id: string; kind: string; n: string | undefined }>> {
  const r = await ews(
    tg,
    user,
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>${ARTICLE}<t:FieldURI FieldURI="contacts:DisplayName"/></t:AdditionalProperties></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="100" Offset="0" BasePoint="Beginning"/><m:SortOrder><t:FieldOrder Order="Ascending">${ARTICLE}</t:FieldOrder></m:SortOrder><m:ParentFolderIds>${contactsFolder}</m:ParentFolderIds></m:FindItem>`,
  );
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const items = [...all(r.doc, 'Contact'), ...all(r.doc, 'DistributionList')];
  const out = new Map<string, { id: string; kind: string; n: string | undefined }>();
  for (const i of items) {
    const prop = all(i, 'ExtendedProperty').find((p) => one(p, 'ExtendedFieldURI').getAttribute('PropertyTag')?.toLowerCase() === '0xe23' || one(p, 'ExtendedFieldURI').getAttribute('PropertyTag')?.toLowerCase() === '0x0e23');
    out.set(text(i, 'DisplayName')!, { id: one(i, 'ItemId').getAttribute('Id')!, kind: i.localName!, n: prop ? text(prop, 'Value') : undefined });
  }
  // the answer is in ascending 0x0E23 order, as DavMail asks
  const inOrder = all(r.doc, 'ExtendedProperty').map((p) => Number(text(p, 'Value')));
  assert.deepEqual(inOrder, [...inOrder].sort((a, b) => a - b));
  return out;
}

test('every contact and distribution list has a distinct positive 0x0E23, stable across requests', async () => {
  const first = await numbers();
  assert.ok(first.size >= 4, `seeded contacts and the group: ${[...first.keys()]}`);
  assert.ok([...first.values()].some((v) => v.kind === 'DistributionList'), 'the group is listed');
  for (const [name, v] of first) {
    assert.match(v.n ?? '', /^\d+$/, `${name} has a number`);
    assert.ok(Number(v.n) > 0 && Number(v.n) <= 0x7fffffff, `${name}: ${v.n} is a positive 32-bit integer`);
  }
  const values = [...first.values()].map((v) => v.n);
  assert.equal(new Set(values).size, values.length, 'distinct numbers');
  const again = await numbers();
  assert.deepEqual([...again.entries()].map(([k, v]) => [k, v.n]).sort(), [...first.entries()].map(([k, v]) => [k, v.n]).sort());
});

test('0x0E23 stays the same across an UpdateItem and is readable with GetItem', async () => {
  const before = await numbers();
  const [name, target] = [...before.entries()].find(([, v]) => v.kind === 'Contact')!;
  const upd = await ews(
    tg,
    user,
    `<m:UpdateItem ConflictResolution="AlwaysOverwrite"><m:ItemChanges><t:ItemChange><t:ItemId Id="${target.id}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="contacts:JobTitle"/><t:Contact><t:JobTitle>Numbered</t:JobTitle></t:Contact></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
  );
  assert.deepEqual(codes(upd.doc), ['NoError'], upd.text.slice(0, 1500));
  const after = await numbers();
  assert.equal(after.get(name)?.n, target.n, `${name} keeps its number after an update`);
  const got = await ews(
    tg,
    user,
    `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>${ARTICLE}</t:AdditionalProperties></m:ItemShape><m:ItemIds><t:ItemId Id="${target.id}"/></m:ItemIds></m:GetItem>`,
  );
  assert.deepEqual(codes(got.doc), ['NoError'], got.text.slice(0, 1500));
  assert.equal(text(one(got.doc, 'ExtendedProperty'), 'Value'), target.n);
});
