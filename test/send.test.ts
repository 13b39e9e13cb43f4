// Sending through a real MTA: Postfix on loopback delivers into Dovecot by
// LMTP, so what one user sends arrives in another's INBOX, Bcc stays hidden,
// the Sent copy lands where asked, and an MTA that is down loses nothing.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { withImap, waitForMessage } from './harness/clients.js';
import { M, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let alice: TestUser;
let bob: TestUser;
let carol: TestUser;

before(async () => {
  tg = await startTestGateway();
  [alice, bob, carol] = await Promise.all([tg.backends.addUser(), tg.backends.addUser(), tg.backends.addUser()]);
});

after(async () => {
  await tg.close();
});

const arrived = (user: TestUser, subject: string, folder = 'INBOX', timeoutMs = 10_000) => waitForMessage(tg.backends, user, subject, { folder, timeoutMs, which: 'first' });

async function count(user: TestUser, folder: string, subject: string): Promise<number> {
  return withImap(tg.backends, user, async (c) => {
    await c.mailboxOpen(folder);
    const uids = await c.search({ header: { subject } }, { uid: true });
    return uids ? uids.length : 0;
  });
}

describe('sending', () => {
  test('CreateItem SendAndSaveCopy: delivered through Postfix, Bcc hidden from recipients, kept in the Sent copy', async () => {
    const subject = `hello ${Date.now()}`;
    const raw = Buffer.from(`From: Alice <${alice.email}>\r\nTo: Bob <${bob.email}>\r\nSubject: ${subject}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHi Bob\r\n`);
    const r = await ews(
      tg,
      alice,
      `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:SavedItemFolderId><t:DistinguishedFolderId Id="sentitems"/></m:SavedItemFolderId><m:Items><t:Message><t:MimeContent>${raw.toString('base64')}</t:MimeContent><t:BccRecipients><t:Mailbox><t:EmailAddress>${carol.email}</t:EmailAddress></t:Mailbox></t:BccRecipients></t:Message></m:Items></m:CreateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1000));
    const atBob = (await arrived(bob, subject)).toString();
    const atCarol = (await arrived(carol, subject)).toString();
    assert.doesNotMatch(atBob, /^Bcc:/im);
    assert.doesNotMatch(atCarol, new RegExp(`^Bcc:.*${carol.email}`, 'im'));
    assert.match(atBob, /Hi Bob/);
    const sent = (await arrived(alice, subject, 'Sent')).toString();
    assert.match(sent, /^Message-ID:/im);
  });

  test("Outlook for Mac's send: UpdateItem SendAndSaveCopy on a draft moves it from Drafts to Sent", async () => {
    const subject = `draft-send ${Date.now()}`;
    const created = await ews(
      tg,
      alice,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="drafts"/></m:SavedItemFolderId><m:Items><t:Message><t:Subject>${subject}</t:Subject><t:Body BodyType="Text">draft body</t:Body></t:Message></m:Items></m:CreateItem>`,
    );
    const id = one(created.doc, 'ItemId').getAttribute('Id')!;
    const r = await ews(
      tg,
      alice,
      `<m:UpdateItem ConflictResolution="AutoResolve" MessageDisposition="SendAndSaveCopy"><m:SavedItemFolderId><t:DistinguishedFolderId Id="sentitems"/></m:SavedItemFolderId><m:ItemChanges><t:ItemChange><t:ItemId Id="${id}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="message:ToRecipients"/><t:Message><t:ToRecipients><t:Mailbox><t:EmailAddress>${bob.email}</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1000));
    assert.match((await arrived(bob, subject)).toString(), /draft body/);
    await arrived(alice, subject, 'Sent');
    assert.equal(await count(alice, 'Drafts', subject), 0);
  });

  test('SendItem sends a stored draft and ReplyToItem marks the original answered', async () => {
    const subject = `senditem ${Date.now()}`;
    const created = await ews(
      tg,
      alice,
      `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>${subject}</t:Subject><t:Body BodyType="Text">ping</t:Body><t:ToRecipients><t:Mailbox><t:EmailAddress>${bob.email}</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message></m:Items></m:CreateItem>`,
    );
    const id = one(created.doc, 'ItemId').getAttribute('Id')!;
    const s = await ews(tg, alice, `<m:SendItem SaveItemToFolder="true"><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:SendItem>`);
    assert.deepEqual(codes(s.doc), ['NoError']);
    await arrived(bob, subject);
    const found = await ews(tg, bob, `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:Subject"/><t:FieldURIOrConstant><t:Constant Value="${subject}"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`);
    const atBob = one(found.doc, 'ItemId').getAttribute('Id')!;
    const reply = await ews(tg, bob, `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:ReplyToItem><t:ReferenceItemId Id="${atBob}"/><t:NewBodyContent BodyType="Text">pong</t:NewBodyContent></t:ReplyToItem></m:Items></m:CreateItem>`);
    assert.deepEqual(codes(reply.doc), ['NoError'], reply.text.slice(0, 1000));
    const back = (await arrived(alice, `RE: ${subject}`)).toString();
    assert.match(back, /pong/);
    assert.match(back, /^In-Reply-To:/im);
    const flags = await withImap(tg.backends, bob, async (c) => {
      await c.mailboxOpen('INBOX');
      const uids = await c.search({ header: { subject } }, { uid: true });
      for await (const m of c.fetch(String((uids as number[])[0]), { flags: true }, { uid: true })) return m.flags!;
      return new Set<string>();
    });
    assert.ok(flags.has('\\Answered'));
  });

  test('with the MTA down the answer says so and the message is kept in Drafts', async () => {
    const down = await startTestGateway({ smtp: 'smtp://127.0.0.1:1?auth=none' });
    try {
      const subject = `undeliverable ${Date.now()}`;
      const r = await ews(
        down,
        alice,
        `<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:Message><t:Subject>${subject}</t:Subject><t:Body BodyType="Text">x</t:Body><t:ToRecipients><t:Mailbox><t:EmailAddress>${bob.email}</t:EmailAddress></t:Mailbox></t:ToRecipients></t:Message></m:Items></m:CreateItem>`,
      );
      assert.deepEqual(codes(r.doc), ['ErrorMessageSubmissionBlocked']);
      assert.match(text(r.doc, 'MessageText', M)!, /kept in Drafts/);
      assert.equal(await count(alice, 'Drafts', subject), 1);
    } finally {
      await down.close();
    }
  });
});
