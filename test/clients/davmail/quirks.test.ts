// DavMail's quirks, without Java: the requests DavMail 6.0.1 sent in
// ../../../../shared/captures/davmail-6.0.1.txt (fixtures/requests/davmail-*.xml,
// byte for byte; the updateitem-{answered,unanswered,flagged,keywords} and
// createitem-{append-flagged-dated,sendandsavecopy} ones were recorded from
// the same DavMail driving ewsgate (imap.test.ts with EWSGATE_DAVMAIL_RECORD),
// ids replaced by the capture's placeholders), sent the way DavMail sends them (ews-wire.ts: challenge-first
// Basic, lower-case path, its headers), and the answers read the way DavMail
// reads them (EWSMethod: Content-Type compared as a string, extended
// properties keyed by the attribute text of their ExtendedFieldURI,
// AlternateId@Mailbox, IncludesLastItemInRange on RootFolder), checked against
// Dovecot directly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Element } from '@xmldom/xmldom';
import type { TestUser } from '../../harness/backends.js';
import { withImap } from '../../harness/clients.js';
import { FIXTURES_DIR, readFixtureCrlf, seedUser } from '../../harness/seed.js';
import { M, all, codes, one, responseMessages, startTestGateway, text, type TestGateway } from '../../support/gateway.js';
import { davmailPost, davmailRequest, davmailUrl, wire, type WireReply } from './ews-wire.js';

let tg: TestGateway;
let user: TestUser;
let other: TestUser;

const LOGIN_FOLDERS = ['inbox', 'calendar', 'contacts', 'sentitems', 'drafts', 'deleteditems', 'junkemail', 'outbox'] as const;

before(async () => {
  tg = await startTestGateway({ smtp: process.env.EWSGATE_TEST_SMTP_URL ?? '' });
  user = await tg.backends.addUser();
  other = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: true, dav: false });
});

after(async () => {
  await tg.close();
});

// ---------------------------------------------------------------- reading answers the way DavMail does

/** The element children of `el`. */
function kids(el: Element): Element[] {
  return Array.from(el.childNodes).filter((n) => n.nodeType === 1) as unknown as Element[];
}

/** "Name=value" of every attribute, sorted: how an ExtendedFieldURI was spelled. */
function spelling(el: Element): string {
  return Array.from(el.attributes)
    .map((a) => `${a.localName}=${a.value}`)
    .sort()
    .join(' ');
}

/** The ExtendedFieldURI spellings a request asks for in its AdditionalProperties. */
function requestedSpellings(body: string): string[] {
  const shape = /<t:AdditionalProperties>(.*?)<\/t:AdditionalProperties>/.exec(body)?.[1] ?? '';
  return [...shape.matchAll(/<t:ExtendedFieldURI ([^>]*?)\/>/g)].map((m) =>
    [...m[1]!.matchAll(/(\w+)="([^"]*)"/g)]
      .map((a) => `${a[1]}=${a[2]}`)
      .sort()
      .join(' '),
  );
}

/**
 * Extended properties of an item or folder as DavMail's EWSMethod keys them:
 * by the PropertyTag attribute text, else PropertyId, else PropertyName;
 * multi-valued ones joined with ",".
 */
function extended(el: Element): Map<string, string> {
  const out = new Map<string, string>();
  for (const ep of kids(el).filter((k) => k.localName === 'ExtendedProperty')) {
    const uri = kids(ep).find((k) => k.localName === 'ExtendedFieldURI');
    if (!uri) continue;
    const key = uri.getAttribute('PropertyTag') || uri.getAttribute('PropertyId') || uri.getAttribute('PropertyName') || '';
    const value = kids(ep).find((k) => k.localName === 'Value');
    const values = kids(ep).find((k) => k.localName === 'Values');
    if (value) out.set(key, value.textContent ?? '');
    else if (values)
      out.set(
        key,
        kids(values)
          .map((v) => v.textContent ?? '')
          .join(','),
      );
  }
  return out;
}

function spellingsIn(el: Element): string[] {
  return kids(el)
    .filter((k) => k.localName === 'ExtendedProperty')
    .flatMap((ep) => kids(ep).filter((k) => k.localName === 'ExtendedFieldURI'))
    .map(spelling);
}

function assertDavmailReadable(r: WireReply, what: string): void {
  assert.equal(r.status, 200, `${what}: HTTP ${r.status}\n${r.text.slice(0, 1500)}`);
  // EWSMethod.handleResponse: "text/xml; charset=utf-8".equals(header) or the answer reads as empty
  assert.equal(r.contentType, 'text/xml; charset=utf-8', `${what}: Content-Type`);
}

async function exchange(body: string, what: string): Promise<WireReply> {
  const { challenge, reply } = await davmailPost(tg.ewsUrl, user, body);
  assert.equal(challenge.status, 401, `${what}: the unauthenticated first attempt must get the challenge`);
  assert.match(String(challenge.headers['www-authenticate'] ?? ''), /^Basic realm="[^"]*"$/, `${what}: WWW-Authenticate`);
  assertDavmailReadable(reply, what);
  return reply;
}

async function rootFolderId(): Promise<string> {
  const r = await exchange(davmailRequest('getfolder-root'), 'GetFolder root');
  return one(r.doc, 'FolderId').getAttribute('Id')!;
}

interface DovecotMessage {
  uid: number;
  flags: Set<string>;
  size: number;
  internalDate: Date;
  source: Buffer;
}

async function dovecotInbox(): Promise<{ messages: DovecotMessage[]; exists: number; unseen: number; uidNext: number }> {
  return withImap(tg.backends, user, async (c) => {
    const st = await c.status('INBOX', { messages: true, unseen: true, uidNext: true });
    if (!st) throw new Error('STATUS INBOX failed');
    const messages: DovecotMessage[] = [];
    await c.mailboxOpen('INBOX', { readOnly: true });
    for await (const m of c.fetch('1:*', { uid: true, flags: true, size: true, internalDate: true, source: true }, { uid: true })) {
      messages.push({ uid: m.uid, flags: m.flags ?? new Set(), size: m.size ?? -1, internalDate: new Date(m.internalDate!), source: m.source! });
    }
    return { messages, exists: st.messages ?? -1, unseen: st.unseen ?? -1, uidNext: st.uidNext ?? -1 };
  });
}

// DavMail's FindItem listing of a folder (request #33 of the capture), on another folder if asked.
function findItemBody(folderXml?: string, tweak: (s: string) => string = (s) => s): string {
  let body = davmailRequest('finditem-inbox');
  if (folderXml) body = body.replace('<t:DistinguishedFolderId Id="inbox"/>', folderXml);
  return tweak(body);
}

async function listing(folderXml?: string): Promise<{ reply: WireReply; items: { el: Element; id: string; changeKey: string; props: Map<string, string> }[] }> {
  const reply = await exchange(findItemBody(folderXml), 'FindItem');
  assert.deepEqual(codes(reply.doc), ['NoError'], reply.text.slice(0, 1500));
  const items = all(reply.doc, '*').filter((e) => /^(Message|Meeting(Request|Response|Cancellation))$/.test(e.localName ?? '')).map((el) => {
    const id = one(el, 'ItemId');
    return { el, id: id.getAttribute('Id')!, changeKey: id.getAttribute('ChangeKey')!, props: extended(el) };
  });
  return { reply, items };
}

const withItem = (body: string, it: { id: string; changeKey: string }) =>
  body.replace('Id="iid-1" ChangeKey="CQAAAA=="', `Id="${it.id}" ChangeKey="${it.changeKey}"`);

async function inboxFolderId(): Promise<{ id: string; changeKey: string }> {
  const r = await exchange(davmailRequest('getfolder-inbox'), 'GetFolder inbox');
  const f = one(r.doc, 'FolderId');
  return { id: f.getAttribute('Id')!, changeKey: f.getAttribute('ChangeKey')! };
}

// ---------------------------------------------------------------- the tests

describe('HTTP as DavMail speaks it', () => {
  test('the unauthenticated GET probe answers 401 with a Basic challenge (or 200), never 404/405, on both spellings of the path', async () => {
    for (const url of [davmailUrl(tg.ewsUrl), tg.ewsUrl]) {
      const r = await wire('GET', url, null, null);
      assert.ok(r.status === 401 || r.status === 200, `GET ${url}: ${r.status}`);
      if (r.status === 401) assert.match(String(r.headers['www-authenticate'] ?? ''), /^Basic realm="[^"]*"$/);
    }
  });

  test('the first request has no RequestServerVersion: challenge, retry, exact Content-Type, ServerVersionInfo DavMail can read', async () => {
    const body = davmailRequest('getfolder-root-noversion');
    assert.ok(!body.includes('RequestServerVersion'));
    const r = await exchange(body, 'GetFolder root without RequestServerVersion');
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    assert.ok(one(r.doc, 'FolderId').getAttribute('Id'));
    const svi = one(r.doc, 'ServerVersionInfo');
    // EWSMethod maps MajorVersion 15 / MinorVersion != 0 to Exchange2013_SP1, the version it then sends
    assert.equal(svi.getAttribute('MajorVersion'), '15');
    assert.ok(svi.getAttribute('MinorVersion') && svi.getAttribute('MinorVersion') !== '0');
    assert.ok(svi.getAttribute('Version'));
  });

  test('a wrong password gets 401 on the retry too (DavMail: "Authentication failed"), never a 500', async () => {
    const { challenge, reply } = await davmailPost(tg.ewsUrl, { email: user.email, password: 'not-the-password' }, davmailRequest('getfolder-root-noversion'));
    assert.equal(challenge.status, 401);
    assert.equal(reply.status, 401);
  });
});

describe("DavMail's login", () => {
  test('ConvertId of the root FolderId (DavMail sends Mailbox="blah@blah.com") answers AlternateId@Mailbox = the primary address', async () => {
    const rootId = await rootFolderId();
    const body = davmailRequest('convertid-root').replace('Id="fid-root"', `Id="${rootId}"`);
    assert.ok(body.includes('Mailbox="blah@blah.com"'), 'the request as DavMail sends it');
    const r = await exchange(body, 'ConvertId');
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    // ConvertIdMethod.handleItem: the first AlternateId element, attribute Mailbox (no namespace)
    const alt = all(r.doc, 'AlternateId', M)[0] ?? all(r.doc, 'AlternateId')[0];
    assert.ok(alt, `no AlternateId in ${r.text.slice(0, 1500)}`);
    assert.equal(alt.getAttributeNS(null, 'Mailbox') || alt.getAttribute('Mailbox'), user.email);
    assert.ok(alt.getAttribute('Id'));
  });

  test('the GetFolder batch of the login (inbox ... outbox) all succeed, echoing the ExtendedFieldURIs as sent', async () => {
    const box = await dovecotInbox();
    const ids = new Set<string>();
    for (const name of LOGIN_FOLDERS) {
      const body = davmailRequest(`getfolder-${name}`);
      const r = await exchange(body, `GetFolder ${name}`);
      assert.deepEqual(codes(r.doc), ['NoError'], `${name}: ${r.text.slice(0, 1500)}`);
      const folders = kids(one(r.doc, 'Folders', M));
      assert.equal(folders.length, 1, name);
      const f = folders[0]!;
      const id = one(f, 'FolderId').getAttribute('Id')!;
      assert.ok(id && !ids.has(id), `${name}: a FolderId of its own`);
      ids.add(id);
      assert.ok(text(f, 'DisplayName'), `${name}: DisplayName`);
      // every extended property answered is spelled as requested
      const asked = new Set(requestedSpellings(body));
      for (const s of spellingsIn(f)) assert.ok(asked.has(s), `${name}: ExtendedFieldURI ${s} was not spelled so in the request`);
      const p = extended(f);
      if (name === 'inbox') {
        assert.equal(p.get('0x3613'), 'IPF.Note');
        assert.equal(p.get('0x3602'), String(box.exists), 'PR_CONTENT_COUNT = MESSAGES');
        assert.equal(p.get('0x3603'), String(box.unseen), 'PR_CONTENT_UNREAD = UNSEEN');
        assert.equal(p.get('0x6751'), String(box.uidNext), 'uidNext (0x6751) = UIDNEXT');
        assert.ok(p.get('0x670a'), 'the ctag DavMail polls (0x670a)');
      }
      if (name === 'calendar') assert.equal(p.get('0x3613') ?? text(f, 'FolderClass'), 'IPF.Appointment');
      if (name === 'contacts') assert.equal(p.get('0x3613') ?? text(f, 'FolderClass'), 'IPF.Contact');
    }
  });
});

describe('folders', () => {
  test('FindFolder on msgfolderroot with the PR_CONTAINER_CLASS restriction (IsEqualTo IPF.Note, Not Exists): the mail folders, with PR_SUBFOLDERS', async () => {
    const body = davmailRequest('findfolder-mail');
    const r = await exchange(body, 'FindFolder');
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const root = one(r.doc, 'RootFolder', M);
    assert.equal(root.getAttribute('IncludesLastItemInRange'), 'true');
    const folders = kids(one(root, 'Folders'));
    const byName = new Map(folders.map((f) => [text(f, 'DisplayName')!, f]));
    const topLevel = await withImap(tg.backends, user, async (c) => (await c.list()).filter((l) => !l.path.includes(l.delimiter || '/')).map((l) => l.name));
    for (const name of topLevel) {
      const expected = name === 'INBOX' ? ['Inbox', 'INBOX'] : [name];
      assert.ok(
        expected.some((n) => byName.has(n)),
        `IMAP folder ${name} missing from ${[...byName.keys()].join(', ')}`,
      );
    }
    const asked = new Set(requestedSpellings(body));
    for (const f of folders) {
      const p = extended(f);
      const cls = p.get('0x3613');
      assert.ok(
        cls === undefined || cls === 'IPF.Note' || cls === 'IPF.Note.Microsoft.Conversation',
        `${text(f, 'DisplayName')}: class ${cls} does not match the restriction`,
      );
      for (const s of spellingsIn(f)) assert.ok(asked.has(s), `ExtendedFieldURI ${s} was not spelled so in the request`);
    }
    assert.equal(extended(byName.get('Projects')!).get('0x360a'), 'true', 'Projects has a child: PR_SUBFOLDERS');
    const leaf = byName.get('Reçus');
    assert.ok(leaf, 'a non-ASCII folder name');
    assert.equal(extended(leaf).get('0x360a'), 'false');
  });
});

describe('items', () => {
  test('FindItem sorted on 0xe23 answers Dovecot UIDs ascending, echoing "0xe23" as sent; size, date and flags as Dovecot has them', async () => {
    const box = await dovecotInbox();
    const { reply, items } = await listing();
    assert.equal(one(reply.doc, 'RootFolder', M).getAttribute('IncludesLastItemInRange'), 'true');
    const asked = new Set(requestedSpellings(findItemBody()));
    for (const it of items) for (const s of spellingsIn(it.el)) assert.ok(asked.has(s), `ExtendedFieldURI ${s} was not spelled so in the request`);
    const uids = items.map((i) => Number(i.props.get('0xe23')));
    assert.deepEqual(
      uids,
      box.messages.map((m) => m.uid),
      'UIDs as 0xe23, ascending, all of them',
    );
    for (const [i, m] of box.messages.entries()) {
      const p = items[i]!.props;
      const isRead = text(items[i]!.el, 'IsRead');
      assert.equal(isRead, String(m.flags.has('\\Seen')), `uid ${m.uid}: IsRead`);
      assert.equal(p.get('0xe08'), String(m.size), `uid ${m.uid}: PR_MESSAGE_SIZE = RFC822.SIZE`);
      assert.equal(new Date(p.get('0xe06')!).getTime(), m.internalDate.getTime(), `uid ${m.uid}: PR_MESSAGE_DELIVERY_TIME = INTERNALDATE`);
      // buildMessage: flagged = "2".equals(0x1090)
      assert.equal(p.get('0x1090') === '2', m.flags.has('\\Flagged'), `uid ${m.uid}: PR_FLAG_STATUS`);
    }
  });

  test('PropertyTag in decimal (3619) and in upper-case hex (0x0E23) sorts the same and is echoed as sent', async () => {
    const box = await dovecotInbox();
    for (const spelled of ['3619', '0x0E23']) {
      const body = findItemBody(undefined, (s) =>
        s.replaceAll('PropertyTag="0xe23"', `PropertyTag="${spelled}"`).replace('Order="Ascending"', 'Order="Descending"'),
      );
      const r = await exchange(body, `FindItem with PropertyTag="${spelled}"`);
      assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
      const msgs = all(r.doc, '*').filter((e) => /^(Message|Meeting(Request|Response|Cancellation))$/.test(e.localName ?? ''));
      const uids = msgs.map((m) => Number(extended(m).get(spelled)));
      assert.deepEqual(uids, box.messages.map((m) => m.uid).reverse(), `descending on ${spelled}`);
      for (const m of msgs) assert.ok(spellingsIn(m).includes(`PropertyTag=${spelled} PropertyType=Integer`), spellingsIn(m).join(' | '));
    }
  });

  test('GetItem with IncludeMimeContent (FETCH BODY[]) answers the message byte for byte', async () => {
    const box = await dovecotInbox();
    const { items } = await listing();
    for (const [i, m] of box.messages.entries()) {
      const body = davmailRequest('getitem-mimecontent').replace('Id="iid-1" ChangeKey="CQAAAA=="', `Id="${items[i]!.id}" ChangeKey="${items[i]!.changeKey}"`);
      const r = await exchange(body, `GetItem uid ${m.uid}`);
      assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
      const mime = Buffer.from(text(r.doc, 'MimeContent') ?? '', 'base64');
      assert.ok(mime.equals(m.source), `uid ${m.uid}: MimeContent differs from Dovecot's BODY[] (${mime.length} vs ${m.source.length} bytes)`);
    }
  });

  test('UpdateItem as STORE sends it: IsRead, and PidLidImapDeleted (Common 34160) for \\Deleted, land in Dovecot', async () => {
    const box = await dovecotInbox();
    const { items } = await listing();
    const i = box.messages.findIndex((m) => !m.flags.has('\\Seen'));
    assert.ok(i >= 0);
    const target = box.messages[i]!;
    const it = items[i]!;
    const idAttr = `Id="${it.id}" ChangeKey="${it.changeKey}"`;
    const seen = await exchange(davmailRequest('updateitem-isread').replace('Id="iid-1" ChangeKey="CQAAAA=="', idAttr), 'UpdateItem IsRead');
    assert.deepEqual(codes(seen.doc), ['NoError'], seen.text.slice(0, 1500));
    const newKey = all(seen.doc, 'ItemId')[0]?.getAttribute('ChangeKey') ?? it.changeKey;
    const del = await exchange(
      davmailRequest('updateitem-imapdeleted').replace('Id="iid-1" ChangeKey="CQAAAA=="', `Id="${it.id}" ChangeKey="${newKey}"`),
      'UpdateItem 0x8570',
    );
    assert.deepEqual(codes(del.doc), ['NoError'], del.text.slice(0, 1500));
    const after = (await dovecotInbox()).messages.find((m) => m.uid === target.uid);
    assert.ok(after, 'the message is still there (\\Deleted is a flag, not an expunge)');
    assert.ok(after.flags.has('\\Seen'), [...after.flags].join(' '));
    assert.ok(after.flags.has('\\Deleted'), [...after.flags].join(' '));
    const { items: again } = await listing();
    const p = again.find((x) => Number(x.props.get('0xe23')) === target.uid)!.props;
    assert.equal(p.get('34160'), '1', 'PidLidImapDeleted reads back as 1 (buildMessage: deleted = "1".equals(...))');
  });

  test('CreateItem SaveOnly with MimeContent, 0xe07 and 0x10f3 (APPEND) lands byte for byte, \\Seen from 0xe07 = 1', async () => {
    const body = davmailRequest('createitem-append');
    const mime = Buffer.from(/<t:MimeContent>([^<]*)<\/t:MimeContent>/.exec(body)![1]!, 'base64');
    const before = await dovecotInbox();
    const r = await exchange(body, 'CreateItem');
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const after = await dovecotInbox();
    const added = after.messages.filter((m) => !before.messages.some((b) => b.uid === m.uid));
    assert.equal(added.length, 1);
    assert.ok(added[0]!.source.equals(mime), `APPENDed bytes differ:\n${added[0]!.source.toString('latin1')}`);
    assert.ok(added[0]!.flags.has('\\Seen'), 'PR_MESSAGE_FLAGS 1 = MSGFLAG_READ');
  });

  test('DeleteItem HardDelete (EXPUNGE) removes the message from Dovecot', async () => {
    const box = await dovecotInbox();
    const { items } = await listing();
    const last = items[items.length - 1]!;
    const uid = Number(last.props.get('0xe23'));
    const r = await exchange(
      davmailRequest('deleteitem-harddelete').replace('Id="iid-1" ChangeKey="CQAAAA=="', `Id="${last.id}" ChangeKey="${last.changeKey}"`),
      'DeleteItem',
    );
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const after = await dovecotInbox();
    assert.equal(after.messages.length, box.messages.length - 1);
    assert.ok(!after.messages.some((m) => m.uid === uid));
  });

  test("the fixtures/mime corpus through DavMail's APPEND and FETCH BODY[] path (CreateItem, then GetItem) comes back byte for byte", async () => {
    const dir = path.join(FIXTURES_DIR, 'mime');
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort();
    const differing: string[] = [];
    for (const f of files) {
      const raw = readFixtureCrlf(path.join(dir, f));
      const body = davmailRequest('createitem-append').replace(
        /<t:MimeContent>[^<]*<\/t:MimeContent>/,
        `<t:MimeContent>${raw.toString('base64')}</t:MimeContent>`,
      );
      const r = await exchange(body, `CreateItem ${f}`);
      assert.deepEqual(codes(r.doc), ['NoError'], `${f}: ${r.text.slice(0, 1500)}`);
      const id = one(responseMessages(r.doc)[0]!, 'ItemId');
      const get = await exchange(
        withItem(davmailRequest('getitem-mimecontent'), { id: id.getAttribute('Id')!, changeKey: id.getAttribute('ChangeKey')! }),
        `GetItem ${f}`,
      );
      if (!Buffer.from(text(get.doc, 'MimeContent') ?? '', 'base64').equals(raw)) differing.push(f);
    }
    assert.deepEqual(differing, []);
  });
});

describe('items: what DavMail sends for IMAP flags and APPEND (recorded from DavMail)', () => {
  test('STORE +FLAGS (\\Answered): 0x1081 = 102 together with PR_ICON_INDEX 0x1080 = 261 sets \\Answered; DeleteItemField 0x1081 (-FLAGS) clears it', async () => {
    const { items } = await listing();
    const it = items[0]!;
    const uid = Number(it.props.get('0xe23'));
    const set = await exchange(withItem(davmailRequest('updateitem-answered'), it), 'UpdateItem 0x1081 + 0x1080');
    // DavMail answers BAD to its IMAP client and drops the connection when this is not NoError
    assert.deepEqual(codes(set.doc), ['NoError'], set.text.slice(0, 1500));
    assert.ok((await dovecotInbox()).messages.find((m) => m.uid === uid)!.flags.has('\\Answered'));
    const { items: again } = await listing();
    const p = again.find((x) => Number(x.props.get('0xe23')) === uid)!;
    assert.equal(p.props.get('0x1081'), '102', 'buildMessage: answered = "102" or "103" in 0x1081');
    const clear = await exchange(withItem(davmailRequest('updateitem-unanswered'), p), 'UpdateItem DeleteItemField 0x1081');
    assert.deepEqual(codes(clear.doc), ['NoError'], clear.text.slice(0, 1500));
    assert.ok(!(await dovecotInbox()).messages.find((m) => m.uid === uid)!.flags.has('\\Answered'));
  });

  test('STORE +FLAGS ($Forwarded): 0x1081 = 104 with 0x1080 = 262 sets $Forwarded', async () => {
    const { items } = await listing();
    const it = items[1]!;
    const uid = Number(it.props.get('0xe23'));
    const body = withItem(davmailRequest('updateitem-answered'), it)
      .replace('<t:Value>102</t:Value>', '<t:Value>104</t:Value>')
      .replace('<t:Value>261</t:Value>', '<t:Value>262</t:Value>');
    const r = await exchange(body, 'UpdateItem 0x1081=104 + 0x1080=262');
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    assert.ok((await dovecotInbox()).messages.find((m) => m.uid === uid)!.flags.has('$Forwarded'));
  });

  test('STORE +FLAGS (\\Flagged) and a keyword: 0x1090 = 2 and the Keywords named property', async () => {
    const { items } = await listing();
    const it = items[2]!;
    const uid = Number(it.props.get('0xe23'));
    const f = await exchange(withItem(davmailRequest('updateitem-flagged'), it), 'UpdateItem 0x1090');
    assert.deepEqual(codes(f.doc), ['NoError'], f.text.slice(0, 1500));
    const k = await exchange(withItem(davmailRequest('updateitem-keywords'), it), 'UpdateItem Keywords');
    assert.deepEqual(codes(k.doc), ['NoError'], k.text.slice(0, 1500));
    const flags = (await dovecotInbox()).messages.find((m) => m.uid === uid)!.flags;
    assert.ok(flags.has('\\Flagged') && flags.has('projectx'), [...flags].join(' '));
    const { items: again } = await listing();
    const p = again.find((x) => Number(x.props.get('0xe23')) === uid)!.props;
    assert.equal(p.get('Keywords'), 'projectx', 'Keywords read back (DavMail turns them into IMAP keywords)');
  });

  test('APPEND (\\Seen \\Flagged) with a date: CreateItem with 0xe06, 0x1090 = 2, 0xe07 = 1 keeps the date and both flags', async () => {
    const folder = await inboxFolderId();
    const body = davmailRequest('createitem-append-flagged-dated').replace(
      '<t:FolderId Id="fid-1" ChangeKey="AAAAAA=="/>',
      `<t:FolderId Id="${folder.id}" ChangeKey="${folder.changeKey}"/>`,
    );
    const mime = Buffer.from(/<t:MimeContent>([^<]*)<\/t:MimeContent>/.exec(body)![1]!, 'base64');
    const before = await dovecotInbox();
    const r = await exchange(body, 'CreateItem with flags and date');
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const added = (await dovecotInbox()).messages.filter((m) => !before.messages.some((b) => b.uid === m.uid));
    assert.equal(added.length, 1);
    const m = added[0]!;
    const problems: string[] = [];
    if (!m.source.equals(mime)) problems.push('bytes differ');
    if (!m.flags.has('\\Seen')) problems.push('no \\Seen (0xe07 = 1)');
    if (!m.flags.has('\\Flagged')) problems.push('no \\Flagged (0x1090 = 2)');
    if (m.internalDate.toISOString() !== '2026-11-14T15:20:00.000Z')
      problems.push(`INTERNALDATE ${m.internalDate.toISOString()}, not 0xe06 = 2026-11-14T15:20:00.000Z`);
    assert.deepEqual(problems, []);
  });

  test("SMTP: CreateItem SendAndSaveCopy with MimeContent (DavMail's SMTP port) is delivered by Postfix, with the copy in Sent", async () => {
    const messageId = `<quirk-send-${Date.now()}@example.test>`;
    const mime = Buffer.from(
      `From: ${user.email}\r\nTo: ${other.email}\r\nSubject: through DavMail\r\nMessage-ID: ${messageId}\r\nContent-Transfer-Encoding: 7bit\r\nDate: Tue, 24 Nov 2026 23:49:46 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello through DavMail and ewsgate.\r\n`,
    );
    const body = davmailRequest('createitem-sendandsavecopy').replace(
      /<t:MimeContent>[^<]*<\/t:MimeContent>/,
      `<t:MimeContent>${mime.toString('base64')}</t:MimeContent>`,
    );
    const r = await exchange(body, 'CreateItem SendAndSaveCopy');
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const find = (who: TestUser, folder: string) =>
      withImap(tg.backends, who, async (c) => {
        const lock = await c.getMailboxLock(folder);
        try {
          return (await c.search({ header: { 'message-id': messageId } }, { uid: true })) || [];
        } finally {
          lock.release();
        }
      });
    const deadline = Date.now() + 20_000;
    while ((await find(other, 'INBOX')).length === 0) {
      assert.ok(Date.now() < deadline, `not delivered to ${other.email}`);
      await new Promise((res) => setTimeout(res, 250));
    }
    assert.equal((await find(user, 'Sent')).length, 1, 'the copy in Sent');
  });
});
