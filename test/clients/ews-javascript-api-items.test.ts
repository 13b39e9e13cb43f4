// ews-javascript-api 0.15 (a port of Microsoft's EWS Managed API, written by none of us)
// against the mail item surface: FindItems with SearchFilters, ordering and paging,
// EmailMessage.Bind with MimeContent and Body in a chosen BodyType, LoadPropertiesForItems,
// drafts (Save, Update), attachments (AddFileAttachment before Save and on a saved draft,
// then Load), Send / SendAndSaveCopy through the harness's Postfix to a second user,
// Reply / Forward / CreateReply, Move, Copy, Delete in its three modes, IsRead and Flag
// updates, MarkAsJunk. Every step is also checked straight in Dovecot over IMAP.
//
// Steps run in order in one suite, but each makes its own items, so one failure does not
// hide the others; each failure message carries the SOAP requests and responses of its step.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  BasePropertySet,
  BodyType,
  ComparisonMode,
  ConflictResolutionMode,
  ContainmentMode,
  DeleteMode,
  EmailAddress,
  EmailMessage,
  EmailMessageSchema,
  ExchangeService,
  FileAttachment,
  Flag,
  FolderId,
  FolderTraversal,
  FolderView,
  Importance,
  ItemFlagStatus,
  ItemId,
  ItemSchema,
  ItemView,
  LogicalOperator,
  MessageBody,
  PropertySet,
  SearchFilter,
  ServiceError,
  SortDirection,
  WellKnownFolderName,
  type Item,
} from 'ews-javascript-api';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { withImap } from '../harness/clients.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { ewsErrorOf, exchanges, serviceFor, soapBody, step } from './support/ews-javascript-api.js';

// ------------------------------------------------------------ IMAP side

interface ImapMessage {
  uid: number;
  subject: string;
  flags: Set<string>;
  internalDate: Date;
  size: number;
}

async function imapList(who: TestUser, mailbox: string): Promise<ImapMessage[]> {
  return withImap(tg.backends, who, async (c) => {
    const box = await c.mailboxOpen(mailbox, { readOnly: true });
    const out: ImapMessage[] = [];
    if (box.exists === 0) return out;
    for await (const m of c.fetch('1:*', { uid: true, flags: true, envelope: true, internalDate: true, size: true })) {
      out.push({ uid: m.uid, subject: m.envelope?.subject ?? '', flags: m.flags ?? new Set(), internalDate: new Date(m.internalDate!), size: m.size ?? -1 });
    }
    return out;
  });
}

async function imapWith(who: TestUser, mailbox: string, text: string): Promise<ImapMessage[]> {
  return (await imapList(who, mailbox)).filter((m) => m.subject.includes(text));
}

async function imapSource(who: TestUser, mailbox: string, uid: number): Promise<Buffer> {
  return withImap(tg.backends, who, async (c) => {
    await c.mailboxOpen(mailbox, { readOnly: true });
    const m = await c.fetchOne(String(uid), { source: true }, { uid: true });
    if (!m || !m.source) throw new Error(`no UID ${uid} in ${mailbox}`);
    return m.source;
  });
}

/** The one message of a mailbox whose subject contains `text`, parsed (fails if there are 0 or 2+). */
async function imapOne(who: TestUser, mailbox: string, text: string): Promise<{ msg: ImapMessage; raw: Buffer; parsed: ParsedMail }> {
  const found = await imapWith(who, mailbox, text);
  assert.equal(found.length, 1, `IMAP ${mailbox} of ${who.email} holds ${found.length} messages with "${text}": ${found.map((m) => m.subject).join(' | ')}`);
  const raw = await imapSource(who, mailbox, found[0]!.uid);
  return { msg: found[0]!, raw, parsed: await simpleParser(raw) };
}

/** Waits (bounded) until `count` messages with `text` in the subject are in the mailbox. */
async function arrived(who: TestUser, text: string, mailbox = 'INBOX', count = 1, timeoutMs = 10_000): Promise<ImapMessage[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = await imapWith(who, mailbox, text);
    if (found.length >= count) return found;
    if (Date.now() > until)
      throw new Error(`${count} message(s) with "${text}" did not arrive in ${who.email}'s ${mailbox} within ${timeoutMs} ms (found ${found.length})`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** APPENDs a small message straight into Dovecot (items for filing and deleting). */
async function appendMessage(who: TestUser, mailbox: string, subject: string, flags: string[] = []): Promise<void> {
  await withImap(tg.backends, who, async (c) => {
    const raw = `From: Someone <someone@elsewhere.example.org>\r\nTo: ${who.email}\r\nSubject: ${subject}\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@elsewhere.example.org>\r\nDate: ${new Date().toUTCString()}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody of ${subject}\r\n`;
    await c.append(mailbox, raw, flags);
  });
}

// ------------------------------------------------------------ EWS helpers

/** Items of a well-known folder whose Subject is exactly `subject`. */
async function findBySubject(service: ExchangeService, folder: WellKnownFolderName | FolderId, subject: string): Promise<Item[]> {
  const r = await service.FindItems(folder as never, new SearchFilter.IsEqualTo(ItemSchema.Subject, subject), new ItemView(50));
  return r.Items;
}

async function findOne(service: ExchangeService, folder: WellKnownFolderName | FolderId, subject: string): Promise<EmailMessage> {
  const items = await findBySubject(service, folder, subject);
  assert.equal(items.length, 1, `FindItems "${subject}": ${items.length} items`);
  return EmailMessage.Bind(service, items[0]!.Id);
}

async function folderIdOf(displayName: string): Promise<FolderId> {
  const view = new FolderView(100);
  view.Traversal = FolderTraversal.Deep;
  const r = await service.FindFolders(WellKnownFolderName.MsgFolderRoot, view);
  const f = r.Folders.find((x) => x.DisplayName === displayName);
  assert.ok(f, `no folder ${displayName}`);
  return f.Id;
}

/**
 * ews-javascript-api writes string values into the SOAP request as they are (by design, its
 * maintainer says: gautamsi/ews-javascript-api#368, #217), so callers escape HTML bodies.
 */
function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function bytesOf(att: FileAttachment): Buffer {
  return Buffer.from(att.Base64Content ?? '', 'base64');
}

// ------------------------------------------------------------ state

let tg: TestGateway;
let user: TestUser;
let peer: TestUser;
let service: ExchangeService;
let peerService: ExchangeService;
const TAG = `ejsi${Date.now().toString(36)}`;
const BINARY = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\r\n\0tail')]);
const OUTSIDE = 'someone@elsewhere.example.org'; // the harness's Postfix accepts and drops other domains

before(async () => {
  tg = await startTestGateway();
  [user, peer] = await Promise.all([tg.backends.addUser(), tg.backends.addUser()]);
  await seedUser(tg.backends, user, { mail: true, dav: false });
  service = serviceFor(tg.ewsUrl, user);
  peerService = serviceFor(tg.ewsUrl, peer, 'peer');
});

after(async () => {
  await tg?.close();
});

describe('ews-javascript-api 0.15 mail items', () => {
  // ---------------------------------------------------------- reading

  step('FindItems with SearchFilter.ContainsSubstring(Subject): what IMAP has, IgnoreCase vs Exact', async () => {
    const imap = (await imapList(user, 'INBOX')).map((m) => m.subject);
    const expected = imap.filter((s) => s.toLowerCase().includes('pilot')).sort();
    assert.equal(expected.length, 2, `seed sanity: ${imap.join(' | ')}`);
    const r = await service.FindItems(WellKnownFolderName.Inbox, new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'PILOT'), new ItemView(20));
    assert.deepEqual(r.Items.map((i) => i.Subject).sort(), expected);
    assert.equal(r.TotalCount, 2);
    const exact = await service.FindItems(
      WellKnownFolderName.Inbox,
      new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'PILOT', ContainmentMode.Substring, ComparisonMode.Exact),
      new ItemView(20),
    );
    assert.deepEqual(
      exact.Items.map((i) => i.Subject),
      [],
      'Exact comparison is case-sensitive',
    );
    const latin1 = await service.FindItems(WellKnownFolderName.Inbox, new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'comité'), new ItemView(20));
    assert.deepEqual(
      latin1.Items.map((i) => i.Subject),
      ['Réunion du comité - jeudi 12 novembre'],
    );
  });

  step('SearchFilter.IsEqualTo(EmailMessageSchema.IsRead, false): IMAP UNSEEN; Not and And/Or collections', async () => {
    const imap = await imapList(user, 'INBOX');
    const unseen = imap
      .filter((m) => !m.flags.has('\\Seen'))
      .map((m) => m.subject)
      .sort();
    assert.ok(unseen.length > 0 && unseen.length < imap.length, 'seed sanity');
    const r = await service.FindItems(WellKnownFolderName.Inbox, new SearchFilter.IsEqualTo(EmailMessageSchema.IsRead, false), new ItemView(50));
    assert.equal(r.TotalCount, unseen.length);
    assert.deepEqual(r.Items.map((i) => i.Subject).sort(), unseen);
    assert.ok(r.Items.every((i) => (i as EmailMessage).IsRead === false));
    const read = await service.FindItems(WellKnownFolderName.Inbox, new SearchFilter.IsEqualTo(EmailMessageSchema.IsRead, true), new ItemView(50));
    assert.equal(read.TotalCount, imap.length - unseen.length);
    const notRead = await service.FindItems(
      WellKnownFolderName.Inbox,
      new SearchFilter.Not(new SearchFilter.IsEqualTo(EmailMessageSchema.IsRead, true)),
      new ItemView(50),
    );
    assert.equal(notRead.TotalCount, unseen.length);
    const or = new SearchFilter.SearchFilterCollection(LogicalOperator.Or, [
      new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'réunion'),
      new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'digest'),
    ]);
    const either = await service.FindItems(WellKnownFolderName.Inbox, or, new ItemView(50));
    assert.equal(either.TotalCount, 2);
    const and = new SearchFilter.SearchFilterCollection(LogicalOperator.And, [
      new SearchFilter.IsEqualTo(EmailMessageSchema.IsRead, false),
      new SearchFilter.ContainsSubstring(ItemSchema.Subject, 'pilot'),
    ]);
    const pilotUnread = imap.filter((m) => !m.flags.has('\\Seen') && m.subject.toLowerCase().includes('pilot')).length;
    assert.equal((await service.FindItems(WellKnownFolderName.Inbox, and, new ItemView(50))).TotalCount, pilotUnread);
  });

  step('ItemView.OrderBy DateTimeReceived both ways follows IMAP INTERNALDATE; IsGreaterThan on it', async () => {
    const imap = await imapList(user, 'INBOX');
    const desc = [...imap].sort((a, b) => b.internalDate.getTime() - a.internalDate.getTime() || a.uid - b.uid);
    const view = new ItemView(50);
    view.OrderBy.Add(ItemSchema.DateTimeReceived, SortDirection.Descending);
    const r = await service.FindItems(WellKnownFolderName.Inbox, view);
    assert.deepEqual(
      r.Items.map((i) => new Date(i.DateTimeReceived.ToISOString()).getTime()),
      desc.map((m) => m.internalDate.getTime()),
    );
    assert.deepEqual(
      r.Items.map((i) => i.Subject),
      desc.map((m) => m.subject),
    );
    const asc = new ItemView(50);
    asc.OrderBy.Add(ItemSchema.DateTimeReceived, SortDirection.Ascending);
    const r2 = await service.FindItems(WellKnownFolderName.Inbox, asc);
    assert.deepEqual(
      r2.Items.map((i) => i.Subject),
      [...desc].reverse().map((m) => m.subject),
    );
    const pivot = r.Items[3]!.DateTimeReceived;
    const later = await service.FindItems(WellKnownFolderName.Inbox, new SearchFilter.IsGreaterThan(ItemSchema.DateTimeReceived, pivot), new ItemView(50));
    assert.deepEqual(
      later.Items.map((i) => i.Subject).sort(),
      r.Items.slice(0, 3)
        .map((i) => i.Subject)
        .sort(),
    );
  });

  step('paging with ItemView(3, offset): the pages are the one-page answer cut in pieces', async () => {
    const whole = new ItemView(50);
    whole.OrderBy.Add(ItemSchema.DateTimeReceived, SortDirection.Descending);
    const all = (await service.FindItems(WellKnownFolderName.Inbox, whole)).Items.map((i) => i.Id.UniqueId);
    const paged: string[] = [];
    let offset = 0;
    for (let n = 0; n < 20; n++) {
      const view = new ItemView(3, offset);
      view.OrderBy.Add(ItemSchema.DateTimeReceived, SortDirection.Descending);
      const r = await service.FindItems(WellKnownFolderName.Inbox, view);
      assert.equal(r.TotalCount, all.length);
      paged.push(...r.Items.map((i) => i.Id.UniqueId));
      if (!r.MoreAvailable) {
        assert.equal(r.NextPageOffset, null);
        break;
      }
      assert.equal(r.Items.length, 3, 'a short page, yet MoreAvailable');
      assert.equal(r.NextPageOffset, offset + 3);
      offset = r.NextPageOffset!;
    }
    assert.deepEqual(paged, all);
    assert.equal(all.length, (await imapList(user, 'INBOX')).length);
  });

  step('EmailMessage.Bind with ItemSchema.MimeContent: the IMAP message byte for byte', async () => {
    const { msg, raw } = await imapOne(user, 'INBOX', 'Monthly operations report');
    const found = await findBySubject(service, WellKnownFolderName.Inbox, msg.subject);
    const m = await EmailMessage.Bind(service, found[0]!.Id, new PropertySet(BasePropertySet.IdOnly, [ItemSchema.MimeContent, ItemSchema.Subject]));
    assert.equal(m.Subject, msg.subject);
    assert.ok(m.MimeContent, 'no MimeContent in the GetItem answer (FieldURI item:MimeContent was asked for)');
    assert.ok(Buffer.from(m.MimeContent.Content, 'base64').equals(raw), 'MimeContent differs from IMAP BODY[]');
  });

  step('EmailMessage.Bind with Body: RequestedBodyType Text converts HTML; Best gives each its own', async () => {
    const news = (await findBySubject(service, WellKnownFolderName.Inbox, 'Your November digest: new regions, lower prices'))[0]!;
    const asText = new PropertySet(BasePropertySet.FirstClassProperties, [ItemSchema.Body]);
    asText.RequestedBodyType = BodyType.Text;
    const t = await EmailMessage.Bind(service, news.Id, asText);
    assert.equal(t.Body.BodyType, BodyType.Text);
    assert.doesNotMatch(t.Body.Text, /<\/?(p|html|body|table|div)\b/i, 'HTML tags left in the Text body');
    // phrases of fixtures/mail/05-html-newsletter.eml's HTML, entities decoded
    for (const w of ['Three things worth knowing this month:', 'Object storage prices drop by 8% from December 1st.', '31 March 2027 — please migrate']) {
      assert.ok(t.Body.Text.replace(/\s+/g, ' ').includes(w), `"${w}" missing from the Text body`);
    }
    // Without RequestedBodyType (Best): HTML for the multipart/alternative agenda, Text for the plain welcome.
    // (ews-javascript-api 0.15 leaves <t:BodyType> out when RequestedBodyType is BodyType.HTML, whose
    // enum value is 0, so HTML cannot be asked for explicitly through it.)
    const agenda = (await findBySubject(service, WellKnownFolderName.Inbox, 'Agenda for Thursday — planning session'))[0]!;
    const h = await EmailMessage.Bind(service, agenda.Id, new PropertySet(BasePropertySet.FirstClassProperties, [ItemSchema.Body]));
    assert.equal(h.Body.BodyType, BodyType.HTML);
    assert.match(h.Body.Text, /<b>10:00 sharp<\/b>/);
    assert.equal(h.From.Address, 'zoe.mueller@example.org');
    assert.equal(h.From.Name, 'Zoë Müller');
    const welcome = (await findBySubject(service, WellKnownFolderName.Inbox, 'Welcome to the ewsgate pilot'))[0]!;
    const p = await EmailMessage.Bind(service, welcome.Id, new PropertySet(BasePropertySet.FirstClassProperties, [ItemSchema.Body]));
    assert.equal(p.Body.BodyType, BodyType.Text);
    assert.match(p.Body.Text, /welcome to the ewsgate pilot/i);
    assert.deepEqual(
      p.ToRecipients.GetEnumerator().map((x) => x.Address),
      ['pilot-users@example.test'],
    );
  });

  step('service.LoadPropertiesForItems: Subject, From, IsRead, Size and a Text body for a page', async () => {
    const r = await service.FindItems(WellKnownFolderName.Inbox, new ItemView(4));
    const ps = new PropertySet(BasePropertySet.IdOnly, [
      ItemSchema.Subject,
      EmailMessageSchema.From,
      EmailMessageSchema.IsRead,
      ItemSchema.Size,
      ItemSchema.Body,
    ]);
    ps.RequestedBodyType = BodyType.Text;
    const res = await service.LoadPropertiesForItems(r.Items, ps);
    assert.equal(res.Count, 4);
    const imap = await imapList(user, 'INBOX');
    for (const item of r.Items as EmailMessage[]) {
      const i = imap.find((m) => m.subject === item.Subject);
      assert.ok(i, `"${item.Subject}" not in IMAP`);
      assert.equal(item.IsRead, i.flags.has('\\Seen'), `${item.Subject}: IsRead`);
      assert.equal(item.Size, i.size, `${item.Subject}: Size`);
      assert.equal(item.Body.BodyType, BodyType.Text);
      assert.ok(item.Body.Text.length > 20, `${item.Subject}: empty body`);
      assert.ok(item.From.Address.includes('@'));
    }
  });

  // ---------------------------------------------------------- drafts and attachments

  step('new EmailMessage(service).Save(Drafts): \\Draft in Dovecot, Bind sees what was saved', async () => {
    const m = new EmailMessage(service);
    m.Subject = `${TAG} draft Grüße`;
    m.Body = new MessageBody(BodyType.HTML, xmlEscape('<p>Hallo <b>Welt</b></p>'));
    m.ToRecipients.Add(new EmailAddress('Zoë Peer', peer.email));
    m.CcRecipients.Add(OUTSIDE);
    m.Importance = Importance.High;
    await m.Save(WellKnownFolderName.Drafts);
    assert.ok(m.Id?.UniqueId, 'Save() gave no id');
    const b = await EmailMessage.Bind(service, m.Id);
    assert.equal(b.Subject, `${TAG} draft Grüße`);
    assert.equal(b.IsDraft, true);
    assert.equal(b.Importance, Importance.High);
    assert.match(b.Body.Text, /<b>Welt<\/b>/);
    assert.deepEqual(
      b.ToRecipients.GetEnumerator().map((x) => [x.Name, x.Address]),
      [['Zoë Peer', peer.email]],
    );
    assert.deepEqual(
      b.CcRecipients.GetEnumerator().map((x) => x.Address),
      [OUTSIDE],
    );
    const { msg, parsed } = await imapOne(user, 'Drafts', `${TAG} draft`);
    assert.ok(msg.flags.has('\\Draft'), `flags ${[...msg.flags].join(' ')}`);
    assert.equal(parsed.subject, `${TAG} draft Grüße`);
    assert.match(String(parsed.html), /<b>Welt<\/b>/);
    assert.equal(parsed.headers.get('priority'), 'high'); // mailparser's reading of Importance / X-Priority
  });

  step("Update(AlwaysOverwrite) of a saved draft's Subject and Body keeps its ItemId", async () => {
    const m = new EmailMessage(service);
    m.Subject = `${TAG} edit me`;
    m.Body = new MessageBody(BodyType.Text, 'first');
    await m.Save(WellKnownFolderName.Drafts);
    const id = m.Id.UniqueId;
    m.Subject = `${TAG} edit me (v2)`;
    m.Body = new MessageBody(BodyType.Text, 'second');
    await m.Update(ConflictResolutionMode.AlwaysOverwrite);
    const drafts = (await imapWith(user, 'Drafts', `${TAG} edit me`)).map((x) => x.subject);
    assert.deepEqual(drafts, [`${TAG} edit me (v2)`], 'IMAP Drafts');
    assert.equal(m.Id.UniqueId, id);
    const b = await EmailMessage.Bind(service, new ItemId(id));
    assert.equal(b.Subject, `${TAG} edit me (v2)`);
    assert.match(b.Body.Text, /second/);
  });

  step('AddFileAttachment before Save: CreateItem with attachments; Load gives the bytes; in Dovecot', async () => {
    const m = new EmailMessage(service);
    m.Subject = `${TAG} with files`;
    m.Body = new MessageBody(BodyType.Text, 'two files');
    m.Attachments.AddFileAttachment('blob.bin', BINARY.toString('base64'));
    m.Attachments.AddFileAttachment('Prüfbericht.txt', Buffer.from('Grüße, Welt\n').toString('base64'));
    const mark = exchanges.length;
    await m.Save(WellKnownFolderName.Drafts);
    // Save() is CreateItem with the attachments inline; the answer's t:Message lists their
    // AttachmentIds (as Exchange's does), else the library CreateAttachment's them a second time.
    const calls = exchanges.slice(mark).map((x) => /<m:([A-Za-z]+)[\s>]/.exec(soapBody(x.request, 400))?.[1]);
    const created = exchanges.slice(mark).find((x) => x.request.includes('<m:CreateItem'));
    assert.equal(
      (created?.response.match(/<t:AttachmentId /g) ?? []).length,
      2,
      `the CreateItem answer lists no AttachmentIds; calls made: ${calls.join(', ')}`,
    );
    assert.deepEqual(calls, ['CreateItem']);
    const b = await EmailMessage.Bind(
      service,
      m.Id,
      new PropertySet(BasePropertySet.FirstClassProperties, [ItemSchema.Attachments, ItemSchema.HasAttachments]),
    );
    assert.equal(b.HasAttachments, true);
    const atts = b.Attachments.GetEnumerator() as FileAttachment[];
    assert.deepEqual(atts.map((a) => a.Name).sort(), ['Prüfbericht.txt', 'blob.bin']);
    for (const a of atts) await a.Load();
    assert.ok(bytesOf(atts.find((a) => a.Name === 'blob.bin')!).equals(BINARY), 'blob.bin differs');
    assert.equal(bytesOf(atts.find((a) => a.Name === 'Prüfbericht.txt')!).toString('utf8'), 'Grüße, Welt\n');
    const { parsed } = await imapOne(user, 'Drafts', `${TAG} with files`);
    const parts = Object.fromEntries(parsed.attachments.map((a) => [a.filename, a.content]));
    assert.ok(parts['blob.bin']?.equals(BINARY), 'IMAP: blob.bin differs');
    assert.equal(parts['Prüfbericht.txt']?.toString('utf8'), 'Grüße, Welt\n');
  });

  step('AddFileAttachment on a saved draft, Update(AlwaysOverwrite): the draft keeps its ItemId', async () => {
    const m = new EmailMessage(service);
    m.Subject = `${TAG} attach later`;
    m.Body = new MessageBody(BodyType.Text, 'attachment follows');
    await m.Save(WellKnownFolderName.Drafts);
    const id = m.Id.UniqueId;
    m.Attachments.AddFileAttachment('later.bin', BINARY.toString('base64'));
    await m.Update(ConflictResolutionMode.AlwaysOverwrite); // CreateAttachment with the draft's id
    const b = await EmailMessage.Bind(service, new ItemId(id), new PropertySet(BasePropertySet.FirstClassProperties, [ItemSchema.Attachments]));
    assert.deepEqual(
      b.Attachments.GetEnumerator().map((a) => a.Name),
      ['later.bin'],
    );
  });

  step('the attachment added to the saved draft: one draft, Load gives its bytes, in Dovecot', async () => {
    const found = await findBySubject(service, WellKnownFolderName.Drafts, `${TAG} attach later`);
    assert.equal(found.length, 1, `${found.length} drafts (adding an attachment must not leave two)`);
    const b = await EmailMessage.Bind(service, found[0]!.Id, new PropertySet(BasePropertySet.FirstClassProperties, [ItemSchema.Attachments]));
    const att = b.Attachments.GetEnumerator()[0] as FileAttachment;
    assert.equal(att?.Name, 'later.bin');
    await att.Load();
    assert.ok(bytesOf(att).equals(BINARY), 'content differs');
    const { parsed } = await imapOne(user, 'Drafts', `${TAG} attach later`);
    assert.ok(parsed.attachments[0]?.content.equals(BINARY), 'IMAP: attachment differs');
  });

  // ---------------------------------------------------------- sending

  step('SendAndSaveCopy(): delivered to the peer through Postfix, one copy in Sent Items', async () => {
    const subject = `${TAG} sendandsave`;
    const m = new EmailMessage(service);
    m.Subject = subject;
    m.Body = new MessageBody(BodyType.HTML, xmlEscape('<p>sent with <b>HTML</b></p>'));
    m.ToRecipients.Add(peer.email);
    m.CcRecipients.Add(OUTSIDE);
    await m.SendAndSaveCopy();
    await arrived(peer, subject);
    const atPeer = await imapOne(peer, 'INBOX', subject);
    assert.match(String(atPeer.parsed.html), /<b>HTML<\/b>/);
    assert.equal(atPeer.parsed.from?.value[0]?.address, user.email);
    const sent = await imapOne(user, 'Sent', subject);
    assert.ok(sent.msg.flags.has('\\Seen'));
    assert.equal((await findBySubject(service, WellKnownFolderName.SentItems, subject)).length, 1);
    // the peer, through EWS
    const got = await findOne(peerService, WellKnownFolderName.Inbox, subject);
    assert.equal(got.IsRead, false);
    assert.equal(got.From.Address, user.email);
  });

  step('SendAndSaveCopy() of a new message with a file attachment: delivered once, with the attachment once', async () => {
    // The EWS Managed API (and this port) sends a new message with attachments as: CreateItem
    // SaveOnly with the attachments inline, CreateAttachment for every attachment the CreateItem
    // answer did not give an AttachmentId, then SendItem of the draft's ItemId.
    const subject = `${TAG} sent with a file`;
    const m = new EmailMessage(service);
    m.Subject = subject;
    m.Body = new MessageBody(BodyType.Text, 'file attached');
    m.ToRecipients.Add(peer.email);
    m.Attachments.AddFileAttachment('report.bin', BINARY.toString('base64'));
    try {
      await m.SendAndSaveCopy();
    } finally {
      // whatever the call said: nothing may stay behind in Drafts
      const left = await imapWith(user, 'Drafts', subject);
      if (left.length) {
        const { parsed } = await imapOne(user, 'Drafts', subject).catch(() => ({ parsed: undefined }));
        assert.fail(`left in Drafts: ${left.length} message(s), attachments ${parsed?.attachments.map((a) => a.filename).join(', ') ?? '?'}`);
      }
    }
    await arrived(peer, subject);
    const { parsed } = await imapOne(peer, 'INBOX', subject);
    assert.deepEqual(
      parsed.attachments.map((a) => a.filename),
      ['report.bin'],
    );
    assert.ok(parsed.attachments[0]!.content.equals(BINARY));
    assert.equal((await imapWith(user, 'Sent', subject)).length, 1, 'no copy in Sent');
  });

  step('Send(): delivered, no copy in Sent Items', async () => {
    const subject = `${TAG} sendonly`;
    const m = new EmailMessage(service);
    m.Subject = subject;
    m.Body = new MessageBody(BodyType.Text, 'sent only');
    m.ToRecipients.Add(peer.email);
    await m.Send();
    await arrived(peer, subject);
    assert.match(String((await imapOne(peer, 'INBOX', subject)).parsed.text), /sent only/);
    assert.deepEqual(await imapWith(user, 'Sent', subject), []);
    assert.deepEqual(await imapWith(user, 'Drafts', subject), []);
  });

  step('SendAndSaveCopy() of a saved draft (SendItem): delivered, moved from Drafts to Sent', async () => {
    const subject = `${TAG} draft to send`;
    const m = new EmailMessage(service);
    m.Subject = subject;
    m.Body = new MessageBody(BodyType.Text, 'drafted first');
    m.ToRecipients.Add(peer.email);
    await m.Save(WellKnownFolderName.Drafts);
    await m.SendAndSaveCopy();
    await arrived(peer, subject);
    assert.deepEqual(await imapWith(user, 'Drafts', subject), [], 'still in Drafts');
    assert.equal((await imapWith(user, 'Sent', subject)).length, 1, 'not in Sent');
  });

  step('the peer answers: Reply(), Forward(), CreateReply(true).Save(): threaded, original \\Answered / $Forwarded', async () => {
    const subject = `${TAG} please answer`;
    const q = new EmailMessage(service);
    q.Subject = subject;
    q.Body = new MessageBody(BodyType.Text, 'question?');
    q.ToRecipients.Add(peer.email);
    await q.Send();
    await arrived(peer, subject);
    const orig = await findOne(peerService, WellKnownFolderName.Inbox, subject);
    await orig.Reply(new MessageBody(BodyType.Text, 'the answer'), false);
    await orig.Forward(new MessageBody(BodyType.Text, 'have a look'), [new EmailAddress(user.email)]);
    const draft = orig.CreateReply(true);
    draft.BodyPrefix = new MessageBody(BodyType.HTML, xmlEscape('<p>later, maybe</p>'));
    await draft.Save(WellKnownFolderName.Drafts);

    const back = await arrived(user, subject, 'INBOX', 2);
    const subjects = back.map((m) => m.subject).sort();
    assert.deepEqual(subjects, [`FW: ${subject}`, `RE: ${subject}`].sort());
    const re = await imapOne(user, 'INBOX', `RE: ${subject}`);
    assert.equal(re.parsed.inReplyTo, orig.InternetMessageId);
    assert.match(String(re.parsed.text), /the answer/);
    const fw = await imapOne(user, 'INBOX', `FW: ${subject}`);
    assert.match(fw.raw.toString('utf8'), /question\?/, 'the forward does not carry the original');
    const o = await imapOne(peer, 'INBOX', subject);
    assert.ok(o.msg.flags.has('\\Answered'), `peer's original: ${[...o.msg.flags].join(' ')}`);
    assert.ok(o.msg.flags.has('$Forwarded'), `peer's original: ${[...o.msg.flags].join(' ')}`);
    assert.equal((await imapWith(peer, 'Sent', subject)).length, 2, "the peer's Sent");
    const saved = await imapOne(peer, 'Drafts', subject);
    assert.equal(saved.parsed.subject, `RE: ${subject}`);
    assert.equal(saved.parsed.inReplyTo, orig.InternetMessageId);
    assert.match(String(saved.parsed.html), /later, maybe/);
  });

  // ---------------------------------------------------------- filing and deleting

  step('Copy(folder) and Move(folder): new ItemIds, Dovecot follows', async () => {
    const subject = `${TAG} to file`;
    await appendMessage(user, 'INBOX', subject);
    const m = await findOne(service, WellKnownFolderName.Inbox, subject);
    const projects = await folderIdOf('Projects');
    const recus = await folderIdOf('Reçus');
    const copy = await m.Copy(recus);
    assert.ok(copy?.Id?.UniqueId && copy.Id.UniqueId !== m.Id.UniqueId, 'Copy returned no new id');
    assert.equal((await EmailMessage.Bind(service, copy.Id)).ParentFolderId.UniqueId, recus.UniqueId);
    const moved = await m.Move(projects);
    assert.ok(moved?.Id?.UniqueId && moved.Id.UniqueId !== m.Id.UniqueId, 'Move returned no new id');
    const b = await EmailMessage.Bind(service, moved.Id);
    assert.equal(b.Subject, subject);
    assert.equal(b.ParentFolderId.UniqueId, projects.UniqueId);
    assert.equal(await ewsErrorOf(EmailMessage.Bind(service, m.Id)), 'ErrorItemNotFound', 'the old id still binds');
    assert.deepEqual(await imapWith(user, 'INBOX', subject), []);
    assert.equal((await imapWith(user, 'Projects', subject)).length, 1);
    assert.equal((await imapWith(user, 'Reçus', subject)).length, 1);
    // clean up
    await (await EmailMessage.Bind(service, copy.Id)).Delete(DeleteMode.HardDelete);
    await b.Delete(DeleteMode.HardDelete);
    assert.deepEqual(await imapWith(user, 'Projects', subject), []);
    assert.deepEqual(await imapWith(user, 'Reçus', subject), []);
  });

  step('Delete(HardDelete): gone from EWS and Dovecot, not in Trash', async () => {
    const subject = `${TAG} hard`;
    await appendMessage(user, 'INBOX', subject);
    const m = await findOne(service, WellKnownFolderName.Inbox, subject);
    await m.Delete(DeleteMode.HardDelete);
    assert.equal(await ewsErrorOf(EmailMessage.Bind(service, m.Id)), 'ErrorItemNotFound');
    assert.deepEqual(await imapWith(user, 'INBOX', subject), []);
    assert.deepEqual(await imapWith(user, 'Trash', subject), []);
  });

  step('Delete(SoftDelete): gone from the folder, not in Deleted Items', async () => {
    const subject = `${TAG} soft`;
    await appendMessage(user, 'INBOX', subject);
    const m = await findOne(service, WellKnownFolderName.Inbox, subject);
    await m.Delete(DeleteMode.SoftDelete);
    assert.deepEqual(await findBySubject(service, WellKnownFolderName.Inbox, subject), []);
    assert.deepEqual(await findBySubject(service, WellKnownFolderName.DeletedItems, subject), []);
    assert.deepEqual(await imapWith(user, 'INBOX', subject), []);
    assert.deepEqual(await imapWith(user, 'Trash', subject), []);
  });

  step('Delete(MoveToDeletedItems): in Deleted Items and in Dovecot Trash', async () => {
    const subject = `${TAG} to trash`;
    await appendMessage(user, 'INBOX', subject);
    const m = await findOne(service, WellKnownFolderName.Inbox, subject);
    await m.Delete(DeleteMode.MoveToDeletedItems);
    assert.deepEqual(await imapWith(user, 'INBOX', subject), []);
    assert.equal((await imapWith(user, 'Trash', subject)).length, 1);
    const inTrash = await findOne(service, WellKnownFolderName.DeletedItems, subject);
    // deleting from Deleted Items with MoveToDeletedItems removes it for good
    await inTrash.Delete(DeleteMode.MoveToDeletedItems);
    assert.deepEqual(await imapWith(user, 'Trash', subject), []);
  });

  // ---------------------------------------------------------- flags and junk

  step('IsRead and Flag set through Update(AlwaysOverwrite) are IMAP \\Seen and \\Flagged; the ItemId stays', async () => {
    const subject = `${TAG} flags`;
    await appendMessage(user, 'INBOX', subject);
    const m = await findOne(service, WellKnownFolderName.Inbox, subject);
    const id = m.Id.UniqueId;
    assert.equal(m.IsRead, false);
    m.IsRead = true;
    const flag = new Flag();
    flag.FlagStatus = ItemFlagStatus.Flagged;
    m.Flag = flag;
    await m.Update(ConflictResolutionMode.AlwaysOverwrite);
    const { msg } = await imapOne(user, 'INBOX', subject);
    assert.ok(msg.flags.has('\\Seen') && msg.flags.has('\\Flagged'), `flags ${[...msg.flags].join(' ')}`);
    const b = await EmailMessage.Bind(service, new ItemId(id), new PropertySet(BasePropertySet.FirstClassProperties, [ItemSchema.Flag]));
    assert.equal(b.IsRead, true);
    assert.equal(b.Flag.FlagStatus, ItemFlagStatus.Flagged);
    const flagged = await service.FindItems(WellKnownFolderName.Inbox, new SearchFilter.IsEqualTo(EmailMessageSchema.IsRead, true), new ItemView(50));
    assert.ok(flagged.Items.some((i) => i.Subject === subject));
    await b.Delete(DeleteMode.HardDelete);
  });

  step('the ChangeKey Save() answers is current: Update(NeverOverwrite) right after it succeeds', async () => {
    const m = new EmailMessage(service);
    m.Subject = `${TAG} changekey`;
    m.Body = new MessageBody(BodyType.Text, 'x');
    await m.Save(WellKnownFolderName.Drafts);
    const fresh = await EmailMessage.Bind(service, new ItemId(m.Id.UniqueId), new PropertySet(BasePropertySet.IdOnly));
    const [answered, current] = [m.Id.ChangeKey, fresh.Id.ChangeKey];
    const flag = new Flag(); // a flag-only change (STORE), the ItemId stays
    flag.FlagStatus = ItemFlagStatus.Flagged;
    m.Flag = flag;
    await m.Update(ConflictResolutionMode.NeverOverwrite);
    const { msg } = await imapOne(user, 'Drafts', `${TAG} changekey`);
    assert.ok(msg.flags.has('\\Flagged'), `flags ${[...msg.flags].join(' ')}`);
    assert.equal(answered, current, 'CreateItem answered another ChangeKey than GetItem has');
  });

  step('service.MarkAsJunk(ids, true, true): moved to Junk Email with $Junk; and back with false', async () => {
    const subject = `${TAG} spam`;
    await appendMessage(user, 'INBOX', subject);
    const m = await findOne(service, WellKnownFolderName.Inbox, subject);
    const res = await service.MarkAsJunk([m.Id], true, true);
    assert.equal(res.Count, 1);
    assert.equal(res.Responses[0]!.ErrorCode, ServiceError.NoError);
    // (ews-javascript-api 0.15 reads MovedItemId only when the response has a Token element,
    // so the moved item is looked up instead.)
    const inJunk = await findOne(service, WellKnownFolderName.JunkEmail, subject);
    const { msg } = await imapOne(user, 'Junk', subject);
    assert.ok(msg.flags.has('$Junk'), `flags ${[...msg.flags].join(' ')}`);
    assert.deepEqual(await imapWith(user, 'INBOX', subject), []);
    await service.MarkAsJunk([inJunk.Id], false, true);
    const back = await findOne(service, WellKnownFolderName.Inbox, subject);
    assert.deepEqual(await imapWith(user, 'Junk', subject), []);
    await back.Delete(DeleteMode.HardDelete);
  });

  step('clean up: no draft of this run is left', async () => {
    const left = await service.FindItems(WellKnownFolderName.Drafts, new SearchFilter.ContainsSubstring(ItemSchema.Subject, TAG), new ItemView(50));
    for (const i of left.Items) await i.Delete(DeleteMode.HardDelete);
    assert.deepEqual(await imapWith(user, 'Drafts', TAG), []);
  });
});
