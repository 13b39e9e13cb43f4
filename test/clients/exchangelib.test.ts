// exchangelib 4.9 (Debian's python3-exchangelib, a client nobody here wrote) against the
// folder surface: tree/walk/glob, Inbox counts, create, rename, move, re-read by id, delete.
// The Python side is exchangelib_folders.py; it checks every step through EWS and straight
// through IMAP (imaplib), and reports each step in a JSON summary on its last line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { withImap } from '../harness/clients.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { clientScript, ewsEnv, runReport, runScenario, stepOf, stepTests, type PyRun, type Summary } from './support/exchangelib.js';

/** The steps exchangelib_folders.py runs, in order (the rename fallback only runs if save() fails). */
const STEPS = [
  'root.tree',
  'inbox counts',
  'msg_folder_root.walk',
  "inbox.glob('*') before create",
  'create Folder(parent=inbox)',
  'created folder seen by the server',
  'refresh() of the created Folder',
  'rename with save()',
  'renamed folder seen by server and IMAP',
  'move to Top of Information Store/Projects',
  'moved folder re-read by id',
  'delete',
  'deleted folder is gone',
];

let tg: TestGateway;
let user: TestUser;
let inboxStatus: { messages: number; unseen: number };
let py: PyRun<Summary & { names: { created: string; renamed: string } }>;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: true, dav: false });
  inboxStatus = await withImap(tg.backends, user, async (c) => {
    const st = await c.status('INBOX', { messages: true, unseen: true });
    if (!st) throw new Error('IMAP STATUS INBOX failed');
    return { messages: st.messages ?? -1, unseen: st.unseen ?? -1 };
  });
  py = await runScenario(clientScript('exchangelib_folders.py'), {
    ...ewsEnv(tg.ewsUrl, user),
    IMAP_HOST: '127.0.0.1',
    IMAP_PORT: String(tg.backends.imapPort),
    EXPECT_INBOX_TOTAL: String(inboxStatus.messages),
    EXPECT_INBOX_UNREAD: String(inboxStatus.unseen),
  });
});

after(async () => {
  await tg?.close();
});

describe('exchangelib 4.9 folders', () => {
  test('the script runs to the end: no traceback, JSON summary, exit 0', () => {
    assert.ok(py.summary, runReport(py));
    assert.deepEqual(
      py.summary.steps.filter((s) => !s.name.includes('(fallback)')).map((s) => s.name),
      STEPS,
      'the script ran other steps than this file expects',
    );
    assert.equal(py.code, 0, runReport(py));
    assert.equal(py.summary.ok, true);
  });

  test('the seeded counts are what IMAP says (sanity of the comparison itself)', () => {
    // fixtures/mail: 3 of the messages are \Seen
    assert.ok(inboxStatus.messages > 0 && inboxStatus.unseen > 0 && inboxStatus.unseen < inboxStatus.messages, JSON.stringify(inboxStatus));
    const s = stepOf(py, 'inbox counts');
    if (s.ok) assert.deepEqual(s.detail, { name: 'Inbox', total_count: inboxStatus.messages, unread_count: inboxStatus.unseen });
  });

  stepTests(() => py, STEPS);

  test('nothing the script created is left in Dovecot', async () => {
    assert.ok(py.summary, runReport(py));
    const tag = py.summary.names.created;
    const left = await withImap(tg.backends, user, async (c) => (await c.list()).map((m) => m.path).filter((p) => p.includes(tag)));
    assert.deepEqual(left, []);
  });
});
