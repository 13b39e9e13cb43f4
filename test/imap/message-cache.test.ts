// The message cache keeps what IMAP never changes about a message (envelope, structure,
// header block, size, date) per login, folder and UIDVALIDITY; flags are always asked of
// the server. Unit tests for its bookkeeping, then the IMAP store against a real Dovecot:
// what a second read sends, and that what other clients change still shows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapFlow } from 'imapflow';
import { ImapMailStore } from '../../adapters/imap/imap-store.js';
import { MessageCache } from '../../adapters/imap/message-cache.js';
import type { FetchFields, FetchedMessage } from '../../src/ports/mail-store.js';
import type { TestUser } from '../harness/backends.js';
import { imapClient } from '../harness/clients.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const LIST: FetchFields = { flags: true, internalDate: true, size: true, envelope: true, structure: true, headers: true };

function fetched(uid: number, over: Partial<FetchedMessage> = {}): FetchedMessage {
  return { uid, flags: new Set(), headers: Buffer.from(`Subject: m${uid}\r\n\r\n`), size: 100, internalDate: new Date(0), ...over };
}

describe('MessageCache (bookkeeping)', () => {
  test('answers only when it holds every field asked for; fields fetched later are merged', () => {
    const c = new MessageCache(1 << 20);
    const key = MessageCache.key('u', 'INBOX', 7);
    c.remember(key, fetched(1));
    assert.ok(c.lookup(key, 1, { flags: true, headers: true, size: true }));
    assert.equal(c.lookup(key, 1, { flags: true, envelope: true }), undefined, 'no envelope kept yet');
    c.remember(key, fetched(1, { headers: undefined, envelope: { subject: 'm1', from: [], sender: [], replyTo: [], to: [], cc: [], bcc: [] } }));
    const both = c.lookup(key, 1, { flags: true, envelope: true, headers: true });
    assert.equal(both?.envelope?.subject, 'm1');
    assert.match(both!.headers!.toString(), /m1/);
  });

  test('keys keep logins, folders and UIDVALIDITYs apart', () => {
    const c = new MessageCache(1 << 20);
    c.remember(MessageCache.key('u', 'INBOX', 7), fetched(1));
    assert.equal(c.lookup(MessageCache.key('v', 'INBOX', 7), 1, LIST), undefined);
    assert.equal(c.lookup(MessageCache.key('u', 'INBOX', 8), 1, { flags: true, headers: true }), undefined);
    assert.equal(c.lookup(MessageCache.key('u', 'Other', 7), 1, { flags: true, headers: true }), undefined);
    assert.ok(c.lookup(MessageCache.key('u', 'INBOX', 7), 1, { flags: true, headers: true }));
  });

  test('stays within its budget, dropping the folder read longest ago first', () => {
    const c = new MessageCache(40_000);
    const a = MessageCache.key('u', 'A', 1);
    const b = MessageCache.key('u', 'B', 1);
    for (let uid = 1; uid <= 20; uid++) c.remember(a, fetched(uid, { headers: Buffer.alloc(1000, 65) }));
    for (let uid = 1; uid <= 20; uid++) c.remember(b, fetched(uid, { headers: Buffer.alloc(1000, 66) }));
    assert.ok(c.size.bytes <= 40_000, `${c.size.bytes} bytes kept`);
    assert.equal(c.knows(a), false, 'A was read longest ago');
    assert.ok(c.lookup(b, 20, { flags: true, headers: true }));
    // One folder bigger than the budget keeps its newest messages.
    for (let uid = 21; uid <= 60; uid++) c.remember(b, fetched(uid, { headers: Buffer.alloc(1000, 66) }));
    assert.ok(c.size.bytes <= 40_000);
    assert.ok(c.lookup(b, 60, { flags: true, headers: true }));
    assert.equal(c.lookup(b, 1, { flags: true, headers: true }), undefined);
  });

  test('a budget of 0 keeps nothing', () => {
    const c = new MessageCache(0);
    c.remember(MessageCache.key('u', 'INBOX', 1), fetched(1));
    assert.equal(c.size.messages, 0);
  });
});

describe('ImapMailStore with the message cache (Dovecot)', () => {
  let tg: TestGateway;
  let user: TestUser;
  let client: ImapFlow;
  let other: ImapFlow;
  const cache = new MessageCache(8 << 20);
  /** The FETCH commands the store sends, each as the list of items asked for. */
  const fetches: string[][] = [];
  const BOX = 'Cached';

  const message = (i: number) => Buffer.from(`From: a${i}@example.test\r\nSubject: cached ${i}\r\nMessage-ID: <c${i}@example.test>\r\n\r\nbody ${i}\r\n`);
  const store = () => new ImapMailStore(client, () => undefined, { cache, user: user.email });
  /** A FETCH that asks for nothing the cache holds (UID, FLAGS, and the MODSEQ imapflow adds). */
  const light = (items: string[]) => items.includes('FLAGS') && !items.some((i) => /ENVELOPE|BODYSTRUCTURE|BODY|SIZE|INTERNALDATE/.test(i));
  const subjects = (ms: FetchedMessage[]) => ms.map((m) => `${m.uid}:${m.envelope?.subject}`);

  before(async () => {
    tg = await startTestGateway();
    user = await tg.backends.addUser();
    other = imapClient(tg.backends, user);
    await other.connect();
    await other.mailboxCreate(BOX);
    for (let i = 1; i <= 6; i++) await other.append(BOX, message(i));
    client = imapClient(tg.backends, user, { qresync: true, disableAutoIdle: true });
    await client.connect();
    const c = client as unknown as { exec: (cmd: string, attrs: { value?: unknown }[], o?: unknown) => Promise<unknown> };
    const exec = c.exec.bind(client);
    c.exec = (cmd, attrs, o) => {
      if (/FETCH$/.test(cmd)) {
        const items = attrs?.[1] as unknown;
        fetches.push((Array.isArray(items) ? items : [items]).map((a) => String((a as { value?: unknown })?.value ?? '').toUpperCase()).filter(Boolean));
      }
      return exec(cmd, attrs, o);
    };
  });

  after(async () => {
    await client.logout().catch(() => client.close());
    await other.logout().catch(() => other.close());
    await tg.close();
  });

  test('a second read of the same messages asks only for flags, and gets what the first got', async () => {
    fetches.length = 0;
    const first = await store().fetchMessages(BOX, [6, 5, 4], LIST);
    assert.equal(fetches.length, 1);
    assert.ok(fetches[0].includes('ENVELOPE'), 'the first read fetches everything');
    fetches.length = 0;
    const again = await store().fetchMessages(BOX, [6, 5, 4], LIST);
    assert.equal(fetches.length, 1, JSON.stringify(fetches));
    assert.ok(light(fetches[0]), `the second asks only for flags: ${fetches[0]}`);
    assert.deepEqual(subjects(again.messages), subjects(first.messages));
    assert.deepEqual(subjects(again.messages), ['6:cached 6', '5:cached 5', '4:cached 4']);
    assert.ok(again.messages.every((m, i) => m.headers!.equals(first.messages[i].headers!) && m.size === first.messages[i].size));
  });

  test('a window by position: flags for all, everything only for what is not known yet', async () => {
    fetches.length = 0;
    const w = await store().fetchWindow(BOX, 'newest', () => ({ start: 0, end: 4 }), LIST);
    assert.deepEqual(subjects(w.messages), ['6:cached 6', '5:cached 5', '4:cached 4', '3:cached 3']);
    assert.equal(fetches.length, 2);
    assert.ok(light(fetches[0]), String(fetches[0]));
    assert.ok(fetches[1].includes('ENVELOPE'), 'message 3 was not known');
  });

  test('flags changed and messages expunged by another client show at once', async () => {
    const lock = await other.getMailboxLock(BOX);
    try {
      await other.messageFlagsAdd('5', ['\\Flagged', '$label1'], { uid: true });
      await other.messageDelete('4', { uid: true });
    } finally {
      lock.release();
    }
    const r = await store().fetchMessages(BOX, [6, 5, 4], LIST);
    assert.deepEqual(subjects(r.messages), ['6:cached 6', '5:cached 5']);
    assert.ok(r.messages[1].flags.has('\\Flagged') && r.messages[1].flags.has('$label1'));
  });

  test('changes since a MODSEQ: flags only for a message the cache knows, everything for one it does not', async () => {
    const before = await store().fetchMessages(BOX, [6], LIST);
    const since = before.state.highestModseq!;
    const lock = await other.getMailboxLock(BOX);
    try {
      await other.messageFlagsAdd('6,1', ['$label2'], { uid: true }); // 6 is known, 1 was never read
    } finally {
      lock.release();
    }
    fetches.length = 0;
    const r = await store().fetchMessages(BOX, 'all', LIST, { changedSince: since });
    const byUid = new Map(r.messages.map((m) => [m.uid, m]));
    assert.ok(byUid.get(6)?.flags.has('$label2'));
    assert.equal(byUid.get(6)?.envelope?.subject, 'cached 6');
    assert.ok(byUid.get(1)?.flags.has('$label2'));
    assert.equal(byUid.get(1)?.envelope?.subject, 'cached 1');
    assert.ok(fetches.length >= 1 && light(fetches[0]), `the changes are asked for with flags only: ${JSON.stringify(fetches)}`);
    assert.ok(fetches.slice(1).every((f) => f.includes('ENVELOPE')), 'then everything, for what the cache did not know');
  });

  test('a flag changed elsewhere on a message outside the window, told during the FETCH, is not added to the window', async () => {
    for (const s of [store(), new ImapMailStore(client, () => undefined)]) {
      await s.fetchWindow(BOX, 'newest', () => ({ start: 0, end: 2 }), LIST); // selects the folder; this store will not NOOP it again
      const lock = await other.getMailboxLock(BOX);
      try {
        await other.messageFlagsAdd('1', ['$outside'], { uid: true });
      } finally {
        lock.release();
      }
      const w = await s.fetchWindow(BOX, 'newest', () => ({ start: 0, end: 2 }), LIST);
      assert.deepEqual(subjects(w.messages), ['6:cached 6', '5:cached 5']);
      const lock2 = await other.getMailboxLock(BOX);
      try {
        await other.messageFlagsRemove('1', ['$outside'], { uid: true });
      } finally {
        lock2.release();
      }
    }
  });

  test('a FETCH of a UID range keeps to it when Dovecot tells of another message meanwhile', async () => {
    const s = new ImapMailStore(client, () => undefined);
    await s.fetchMessages(BOX, { from: 1, to: 3 }, { flags: true }); // selects; this store will not NOOP it again
    const lock = await other.getMailboxLock(BOX);
    try {
      await other.messageFlagsAdd('6', ['$outside'], { uid: true });
    } finally {
      lock.release();
    }
    const r = await s.fetchMessages(BOX, { from: 1, to: 3 }, { flags: true });
    assert.deepEqual(r.messages.map((m) => m.uid).sort(), [1, 2, 3]);
  });

  test('a folder deleted and made again is not answered from what was kept of the old one', async () => {
    await store().fetchMessages(BOX, [1, 2], LIST);
    await client.mailboxOpen('INBOX'); // as another request would leave the session
    await other.mailboxDelete(BOX);
    await other.mailboxCreate(BOX);
    for (let i = 11; i <= 12; i++) await other.append(BOX, message(i));
    const r = await store().fetchMessages(BOX, [1, 2], LIST);
    assert.deepEqual(subjects(r.messages), ['1:cached 11', '2:cached 12']);
  });
});
