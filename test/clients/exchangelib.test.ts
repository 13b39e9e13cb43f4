// exchangelib 4.9 (Debian's python3-exchangelib, a client nobody here wrote) against the
// folder surface: tree/walk/glob, Inbox counts, create, rename, move, re-read by id, delete.
// The Python side is exchangelib_folders.py; it checks every step through EWS and straight
// through IMAP (imaplib), and reports each step in a JSON summary on its last line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { withImap } from '../harness/clients.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

// Debian's python3-exchangelib lives in the system Python; the `python3` on PATH is a pyenv one.
const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'exchangelib_folders.py');
const RUN_TIMEOUT_MS = 60_000;

interface XmlExchange {
  request: string | null;
  response: string | null;
}
interface Step {
  name: string;
  ok: boolean;
  skipped?: boolean;
  detail?: unknown;
  error?: string;
  traceback?: string;
  xml?: XmlExchange[];
  imap_after_failed_save?: string[] | null;
}
interface Summary {
  ok: boolean;
  steps: Step[];
  names: { created: string; renamed: string };
}
interface PyRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  summary?: Summary;
  parseError?: string;
}

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
let py: PyRun;

function runPython(env: Record<string, string>): Promise<PyRun> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT], {
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONIOENCODING: 'utf-8', PYTHONDONTWRITEBYTECODE: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${PYTHON}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const run: PyRun = { code, signal, stdout, stderr, ms: Math.round(performance.now() - t0) };
      const last = stdout.trimEnd().split('\n').pop() ?? '';
      try {
        run.summary = JSON.parse(last) as Summary;
      } catch (e) {
        run.parseError = `last stdout line is not JSON (${(e as Error).message}): ${last.slice(0, 300)}`;
      }
      resolve(run);
    });
  });
}

function tail(s: string, n = 4000): string {
  return s.length > n ? `...${s.slice(-n)}` : s;
}

/** What went wrong in the Python run as a whole (traceback included). */
function runReport(): string {
  const failed = py.summary?.steps.filter((x) => !x.ok).map((x) => x.name) ?? [];
  return (
    `exchangelib_folders.py exited with ${py.code ?? py.signal} after ${py.ms} ms` +
    (py.summary ? `; failed steps: ${failed.join(' | ') || 'none'}` : '') +
    (py.parseError ? `\n${py.parseError}` : '') +
    `\n[stderr]\n${tail(py.stderr) || '(empty)'}` +
    (py.summary ? '' : `\n[stdout]\n${tail(py.stdout, 3000) || '(empty)'}`)
  );
}

function soapBody(xml: string | null): string {
  if (!xml) return String(xml);
  const i = xml.search(/<[A-Za-z0-9]+:Body[\s>]/);
  return i >= 0 ? xml.slice(i) : xml;
}

function stepReport(s: Step): string {
  const parts = [`step "${s.name}": ${s.error ?? 'failed'}`];
  if (s.imap_after_failed_save !== undefined) parts.push(`IMAP after the failed call: ${JSON.stringify(s.imap_after_failed_save)}`);
  for (const x of s.xml ?? []) parts.push(`>>> request\n${soapBody(x.request)}\n<<< response\n${soapBody(x.response)}`);
  if (s.traceback) parts.push(s.traceback);
  return parts.join('\n');
}

function stepOf(name: string): Step {
  assert.ok(py.summary, runReport());
  const s = py.summary.steps.find((x) => x.name === name);
  assert.ok(s, `step "${name}" missing from the summary (steps: ${py.summary.steps.map((x) => x.name).join(' | ')})\n${runReport()}`);
  return s;
}

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: true, dav: false });
  inboxStatus = await withImap(tg.backends, user, async (c) => {
    const st = await c.status('INBOX', { messages: true, unseen: true });
    if (!st) throw new Error('IMAP STATUS INBOX failed');
    return { messages: st.messages ?? -1, unseen: st.unseen ?? -1 };
  });
  py = await runPython({
    EWS_URL: tg.ewsUrl,
    EWS_USER: user.email,
    EWS_PASSWORD: user.password,
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
    assert.ok(py.summary, runReport());
    assert.deepEqual(
      py.summary.steps.filter((s) => !s.name.includes('(fallback)')).map((s) => s.name),
      STEPS,
      'the script ran other steps than this file expects',
    );
    assert.equal(py.code, 0, runReport());
    assert.equal(py.summary.ok, true);
  });

  test('the seeded counts are what IMAP says (sanity of the comparison itself)', () => {
    // fixtures/mail: 3 of the messages are \Seen
    assert.ok(inboxStatus.messages > 0 && inboxStatus.unseen > 0 && inboxStatus.unseen < inboxStatus.messages, JSON.stringify(inboxStatus));
    const s = stepOf('inbox counts');
    if (s.ok) assert.deepEqual(s.detail, { name: 'Inbox', total_count: inboxStatus.messages, unread_count: inboxStatus.unseen });
  });

  for (const name of STEPS) {
    test(`step: ${name}`, () => {
      const s = stepOf(name);
      assert.ok(s.ok, stepReport(s));
    });
  }

  test('nothing the script created is left in Dovecot', async () => {
    assert.ok(py.summary, runReport());
    const tag = py.summary.names.created;
    const left = await withImap(tg.backends, user, async (c) => (await c.list()).map((m) => m.path).filter((p) => p.includes(tag)));
    assert.deepEqual(left, []);
  });
});
