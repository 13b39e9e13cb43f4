// Incremental SyncFolderItems on mail when the gateway's IMAP connection narrows
// CHANGEDSINCE to the UIDs it was told changed (adapters/imap/change-journal.ts):
// every flag change, expunge and new message since the state is still reported,
// and whenever the record cannot be trusted the full scan answers instead.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Element } from '@xmldom/xmldom';
import type { ImapFlow } from 'imapflow';
import type { TestUser } from './harness/backends.js';
import { imapClient, withImap } from './harness/clients.js';
import { M, codes, ews, one, startTestGateway, text, type TestGateway } from './support/gateway.js';
import { ImapMailStore } from '../adapters/imap/imap-store.js';
import { ChangeJournal } from '../adapters/imap/change-journal.js';
import { decodeItemId } from '../src/ews/items/item-id.js';

let tg: TestGateway;
let user: TestUser;
/** Another IMAP client of the same user, making the changes the gateway must report. */
let other: ImapFlow;

const FOLDER = 'Inc Sync';
const COUNT = 40;

before(async () => {
  // Sessions stay open across requests (as deployed), so the gateway's connection keeps the folder selected.
  tg = await startTestGateway({ sessionIdleSeconds: '600' });
  user = await tg.backends.addUser();
  other = imapClient(tg.backends, user, { qresync: true, disableAutoIdle: true });
  await other.connect();
  await other.mailboxCreate(FOLDER);
  for (let i = 1; i <= COUNT; i++) await other.append(FOLDER, message(i));
});

after(async () => {
  await other.logout().catch(() => other.close());
  await tg.close();
});

function message(i: number): string {
  return `From: a@example.test\r\nSubject: inc ${i}\r\nMessage-ID: <inc${i}@example.test>\r\n\r\nbody ${i}\r\n`;
}

async function change(fn: (c: ImapFlow) => Promise<unknown>): Promise<void> {
  const lock = await other.getMailboxLock(FOLDER);
  try {
    await fn(other);
  } finally {
    lock.release();
  }
}

const kids = (el: Element) => {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as Element);
  return out;
};

describe('incremental SyncFolderItems', () => {
  let folderId: string;
  let state: string;

  const sync = async (s: string | undefined = state) => {
    const r = await ews(
      tg,
      user,
      `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="message:IsRead"/><t:FieldURI FieldURI="item:Categories"/></t:AdditionalProperties></m:ItemShape>` +
        `<m:SyncFolderId><t:FolderId Id="${folderId}"/></m:SyncFolderId>${s ? `<m:SyncState>${s}</m:SyncState>` : ''}<m:MaxChangesReturned>512</m:MaxChangesReturned></m:SyncFolderItems>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    assert.equal(text(r.doc, 'IncludesLastItemInRange', M), 'true');
    const next = text(r.doc, 'SyncState', M)!;
    const changes = kids(one(r.doc, 'Changes', M)).map((c) => {
      const id = one(c, 'ItemId').getAttribute('Id')!;
      return `${c.localName}:${decodeItemId(id)!.uid}${c.localName === 'Update' ? `:${text(c, 'IsRead')}` : ''}`;
    });
    return { next, changes: changes.sort() };
  };
  /** Syncs from the current state and moves it on. */
  const step = async () => {
    const r = await sync();
    state = r.next;
    return r.changes;
  };
  /**
   * The run after a change reports nothing: the state's MODSEQ covers the expunges and appends it
   * reported (the server's [HIGHESTMODSEQ] after the NOOP, not only the FETCH answers' MODSEQs).
   */
  const settled = async () => assert.deepEqual(await step(), []);

  before(async () => {
    const r = await ews(
      tg,
      user,
      `<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`,
    );
    const folder = [...r.doc.getElementsByTagNameNS('http://schemas.microsoft.com/exchange/services/2006/types', 'Folder')].find(
      (f) => text(f as unknown as Element, 'DisplayName') === FOLDER,
    );
    folderId = one(folder as unknown as Element, 'FolderId').getAttribute('Id')!;
    const first = await sync(undefined);
    assert.equal(first.changes.length, COUNT);
    state = first.next;
    // One quiet run on the (now selected) folder: nothing to report.
    assert.deepEqual(await step(), []);
  });

  let older: string;
  /** The message changed through the gateway itself. */
  let ownUid = 0;

  test('a flag change on an old message is one Update', async () => {
    older = state;
    await change((c) => c.messageFlagsAdd('2', ['\\Seen'], { uid: true }));
    assert.deepEqual(await step(), ['Update:2:true']);
    assert.deepEqual(await step(), []);
  });

  test('a new message is one Create', async () => {
    await other.append(FOLDER, message(COUNT + 1));
    const r = await step();
    assert.deepEqual(r, [`Create:${COUNT + 1}`]);
    await settled();
  });

  test('an expunge is one Delete', async () => {
    await change((c) => c.messageDelete('5', { uid: true }));
    const r = await step();
    assert.deepEqual(r, ['Delete:5']);
    await settled();
  });

  test('several changes at once: flags twice on one message, a keyword, an expunge, a new message', async () => {
    await change(async (c) => {
      await c.messageFlagsAdd('7', ['\\Seen'], { uid: true });
      await c.messageFlagsAdd('9', ['$label1'], { uid: true });
      await c.messageDelete('11', { uid: true });
      await c.messageFlagsRemove('7', ['\\Seen'], { uid: true });
    });
    await other.append(FOLDER, message(COUNT + 2));
    const r = await step();
    assert.deepEqual(r, [`Create:${COUNT + 2}`, 'Delete:11', 'Update:7:false', 'Update:9:false']);
    await settled();
  });

  test("a change made through the gateway's own connection, then one made elsewhere: both reported (full scan)", async () => {
    // The gateway's STORE is hidden from its own connection's sync: the record is dropped, the scan answers.
    const r = await ews(
      tg,
      user,
      `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:IndexedPageItemView MaxEntriesReturned="1" Offset="11" BasePoint="Beginning"/><m:ParentFolderIds><t:FolderId Id="${folderId}"/></m:ParentFolderIds></m:FindItem>`,
    );
    const itemId = one(r.doc, 'ItemId').getAttribute('Id')!;
    const uid = decodeItemId(itemId)!.uid;
    ownUid = uid;
    const u = await ews(
      tg,
      user,
      `<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="${itemId}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="message:IsRead"/><t:Message><t:IsRead>true</t:IsRead></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
    );
    assert.deepEqual(codes(u.doc), ['NoError'], u.text.slice(0, 800));
    await change((c) => c.messageFlagsAdd('20', ['\\Seen'], { uid: true }));
    const r2 = await step();
    assert.deepEqual(r2, [`Update:${uid}:true`, 'Update:20:true'].sort());
    await settled();
  });

  test('a state older than the record (another client of the same folder) gets everything since it', async () => {
    const r = await sync(older);
    const uidOf = (c: string) => Number(c.split(':')[1]);
    const updates = r.changes.filter((c) => c.startsWith('Update:')).map(uidOf);
    assert.deepEqual(
      r.changes.filter((c) => !c.startsWith('Update:')),
      [`Create:${COUNT + 1}`, `Create:${COUNT + 2}`, 'Delete:11', 'Delete:5'],
    );
    assert.deepEqual(updates.sort((a, b) => a - b), [2, 7, 9, 20, ownUid].sort((a, b) => a - b));
    // and from there on it is as current as the other state
    assert.deepEqual((await sync(r.next)).changes, []);
  });
});

describe('ChangeJournal (adapter)', () => {
  const BOX = 'Inc Journal';
  let client: ImapFlow;
  /** Commands the store sends, as `NAME range`. */
  const sent: string[] = [];

  before(async () => {
    await other.mailboxCreate(BOX);
    for (let i = 1; i <= 20; i++) await other.append(BOX, message(i));
    client = imapClient(tg.backends, user, { qresync: true, disableAutoIdle: true });
    await client.connect();
    // Journal first (as the store does), then a recorder in front of it.
    ChangeJournal.of(client);
    const c = client as unknown as { exec: (cmd: string, attrs: { value?: unknown }[], o?: unknown) => Promise<unknown> };
    const exec = c.exec.bind(client);
    c.exec = (cmd, attrs, o) => {
      sent.push(`${cmd} ${String(attrs?.[0]?.value ?? '')}`);
      return exec(cmd, attrs, o);
    };
  });

  after(async () => {
    await client.logout().catch(() => client.close());
  });

  /** One request's worth of store, as the pool hands out. */
  const store = () => new ImapMailStore(client, () => undefined);
  const changedSince = async (m: bigint, to = 20) => {
    sent.length = 0;
    const r = await store().fetchMessages(BOX, { from: 1, to }, { flags: true }, { changedSince: m });
    const fetches = sent.filter((s) => s.startsWith('UID FETCH'));
    return { uids: r.messages.map((x) => x.uid).sort((a, b) => a - b), vanished: [...(r.vanished ?? [])].sort((a, b) => a - b), fetches, highest: r.state.highestModseq! };
  };

  test('asks the server about just the UIDs it was told changed, and answers as the full scan would', async () => {
    const start = await store().searchMessages(BOX, { uid: '1:*' });
    let m = start.state.highestModseq!;
    // The SELECT started the record: nothing changed since, so no FETCH at all.
    const first = await changedSince(m);
    assert.deepEqual(first.fetches, []);
    assert.deepEqual(first.uids, []);

    await withImap(tg.backends, user, async (c) => {
      await c.mailboxOpen(BOX);
      await c.messageFlagsAdd('3', ['\\Flagged'], { uid: true });
      await c.messageFlagsAdd('12', ['$x'], { uid: true });
      await c.messageDelete('15', { uid: true });
    });
    const second = await changedSince(m);
    assert.deepEqual(second.fetches, ['UID FETCH 3,12,15']);
    assert.deepEqual(second.uids, [3, 12]);
    assert.deepEqual(second.vanished, [15]);
    assert.deepEqual(ChangeJournal.of(client).candidates(BOX, m, 1, 20), [3, 12, 15]);

    // Nothing changed since the server's HIGHESTMODSEQ: only the expunged UID is asked about again
    // (the record is not told an expunge's MODSEQ), and the server says nothing of it.
    m = (await other.status(BOX, { highestModseq: true })).highestModseq!;
    const quiet = await changedSince(m);
    assert.deepEqual(quiet.fetches, ['UID FETCH 15']);
    assert.deepEqual(quiet.uids, []);
    assert.deepEqual(quiet.vanished, []);
    // A message untouched since: no FETCH at all.
    assert.deepEqual((await changedSince(m, 14)).fetches, []);
  });

  test("a reader's FETCH of the changed message before the sync does not hide the change", async () => {
    const s = store();
    const before = await s.fetchMessages(BOX, [4], { flags: true });
    const m = before.state.highestModseq!;
    await withImap(tg.backends, user, async (c) => {
      await c.mailboxOpen(BOX);
      await c.messageFlagsAdd('4', ['\\Seen'], { uid: true });
    });
    // Same store (no NOOP): the FETCH answers the new flags without MODSEQ; the server's own report of the change must still count.
    const read = await s.fetchMessages(BOX, [4], { flags: true });
    assert.ok(read.messages[0]!.flags.has('\\Seen'));
    const r = await changedSince(m);
    assert.deepEqual(r.uids, [4]);
  });

  test('a change through this connection drops the record: the full scan answers, then the record starts again', async () => {
    const st = await store().searchMessages(BOX, { uid: '1:*' });
    const m = st.state.highestModseq!;
    await store().changeFlags(BOX, [6], { op: 'add', flags: ['\\Answered'] });
    assert.equal(ChangeJournal.of(client).candidates(BOX, m, 1, 20), undefined);
    const r = await changedSince(m);
    // a light scan of the folder (UIDs and MODSEQs), then the fields asked for of what it found
    assert.deepEqual(r.fetches, ['UID FETCH 1:*', 'UID FETCH 6']);
    assert.deepEqual(r.uids, [6]);
    assert.deepEqual(ChangeJournal.of(client).candidates(BOX, m, 1, 20), [6]);
  });

  test('another folder selected in between: the record is dropped, the scan answers', async () => {
    const st = await store().searchMessages(BOX, { uid: '1:*' });
    const m = st.state.highestModseq!;
    await store().searchMessages(FOLDER, { uid: '1' });
    await withImap(tg.backends, user, async (c) => {
      await c.mailboxOpen(BOX);
      await c.messageFlagsAdd('8', ['\\Seen'], { uid: true });
    });
    const r = await changedSince(m);
    assert.deepEqual(r.fetches, ['UID FETCH 1:*', 'UID FETCH 8']);
    assert.deepEqual(r.uids, [8]);
  });
});
