// exchangelib 4.9 (Debian's python3-exchangelib, a client nobody here wrote) against the mail
// item surface: QuerySet filter / only / order_by / slicing / paging, get and fetch, flags,
// drafts, attachments (file and item; at creation and attach() later; .content), sending
// through the harness's Postfix to a second user (send, send_and_save, SendItem of a draft,
// reply / reply_all / forward), copy, move, delete, soft_delete, move_to_trash, mark_as_junk,
// bulk_create and bulk_delete.
// The Python side is exchangelib_items.py; it checks every step through EWS and straight
// through IMAP (imaplib), and reports each step in a JSON summary on its last line. A failed
// step's test message carries its Python traceback and the SOAP request/response of the call.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { withImap } from '../harness/clients.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

// Debian's python3-exchangelib lives in the system Python; the `python3` on PATH is a pyenv one.
const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'exchangelib_items.py');
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
  ms?: number;
}
interface Summary {
  ok: boolean;
  steps: Step[];
  tag: string;
}
interface PyRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  summary?: Summary;
  parseError?: string;
  xmlDump: XmlExchange[];
}

/** The steps exchangelib_items.py runs, in order. */
const STEPS = [
  'inbox: count() and is_read counts agree with IMAP',
  "filter(subject__contains=...).only('subject', 'datetime_received')",
  "order_by('-datetime_received')[:3], slicing and paging agree with IMAP INTERNALDATE",
  'inbox.get(id=...) and account.fetch(ids=...)',
  'mime_content (GetItem FieldURI item:MimeContent) is the IMAP message byte for byte',
  "is_read = ...; save(update_fields=['is_read']) is IMAP \\Seen",
  'flag (PidTagFlagStatus 0x1090 as an ExtendedProperty) is IMAP \\Flagged',
  "the changekey save() got is current: save(conflict_resolution='NeverOverwrite') right after",
  'categories with a space round-trip (IMAP keyword underneath)',
  'save a draft: Message(folder=drafts, body=HTMLBody, to_recipients=...).save()',
  "edit the saved draft: save(update_fields=['subject', 'body']) keeps the item",
  'attachments at creation: FileAttachment bytes and a text file read back through .content',
  'ItemAttachment: an inbox message attached to a draft, read back as an item',
  "attach() on a saved draft keeps the draft's id (CreateAttachment)",
  'reading attachment.content of the attachment added later',
  "send(save_copy=False): SendOnly, delivered to the peer's INBOX, no Sent copy",
  'send_and_save(): delivered, one copy in Sent',
  'send() of a saved draft: SendItem, delivered, moved from Drafts to Sent',
  'reply() / reply_all() / forward() from the peer: delivered, threaded, original marked',
  'copy() and move() to other folders: new ids, IMAP follows',
  'delete(): HardDelete, gone from EWS and Dovecot, not in Trash',
  'move_to_trash(): MoveToDeletedItems, in Trash',
  'soft_delete(): gone from the folder, not in Trash',
  'mark_as_junk(): moved to Junk with $Junk, and back',
  'bulk_create(folder=Projects/2026, items=[...]): every item there, in EWS and IMAP',
  'items created with is_read=True are read (CreateItem <t:IsRead>1</t:IsRead>)',
  'bulk_delete(ids=...): all gone',
  'clean up the drafts this run made',
];

let tg: TestGateway;
let user: TestUser;
let peer: TestUser;
let py: PyRun;
let tmpDir: string;

function runPython(env: Record<string, string>, xmlDumpFile: string): Promise<PyRun> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT], {
      env: {
        PATH: '/usr/bin:/bin',
        LANG: 'C.UTF-8',
        PYTHONIOENCODING: 'utf-8',
        PYTHONDONTWRITEBYTECODE: '1',
        EXCHANGELIB_XML_DUMP: xmlDumpFile,
        ...env,
      },
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
      let xmlDump: XmlExchange[] = [];
      try {
        xmlDump = JSON.parse(fs.readFileSync(xmlDumpFile, 'utf8')) as XmlExchange[];
      } catch {
        // no dump (killed before the end)
      }
      const run: PyRun = { code, signal, stdout, stderr, ms: Math.round(performance.now() - t0), xmlDump };
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

function soapBody(xml: string | null, max: number): string {
  if (!xml) return String(xml);
  const i = xml.search(/<[A-Za-z0-9]+:Body[\s>]/);
  const body = i >= 0 ? xml.slice(i) : xml;
  return body.length > max ? `${body.slice(0, max)} ...[${body.length - max} more chars]` : body;
}

/** SOAP calls as text: the last one (the one that failed, as a rule) in full, earlier ones cut short. */
function exchangesText(xs: XmlExchange[]): string {
  return xs
    .map((x, i) => {
      const max = i === xs.length - 1 ? 8000 : 700;
      return `>>> request\n${soapBody(x.request, max)}\n<<< response\n${soapBody(x.response, max)}`;
    })
    .join('\n');
}

/** What went wrong in the Python run as a whole (traceback and, without a summary, the last SOAP calls). */
function runReport(): string {
  const failed = py.summary?.steps.filter((x) => !x.ok).map((x) => x.name) ?? [];
  return (
    `exchangelib_items.py exited with ${py.code ?? py.signal} after ${py.ms} ms` +
    (py.summary ? `; failed steps: ${failed.join(' | ') || 'none'}` : '') +
    (py.parseError ? `\n${py.parseError}` : '') +
    `\n[stderr]\n${tail(py.stderr) || '(empty)'}` +
    (py.summary ? '' : `\n[stdout]\n${tail(py.stdout, 3000) || '(empty)'}\n[last SOAP calls]\n${exchangesText(py.xmlDump.slice(-2)) || '(none)'}`)
  );
}

function stepReport(s: Step): string {
  const parts = [`step "${s.name}": ${s.error ?? 'failed'}`];
  if (s.xml?.length) parts.push(exchangesText(s.xml));
  if (s.traceback) parts.push(s.traceback);
  return parts.join('\n');
}

function stepOf(name: string): Step {
  assert.ok(py.summary, runReport());
  const s = py.summary.steps.find((x) => x.name === name);
  assert.ok(s, `step "${name}" missing from the summary (steps: ${py.summary.steps.map((x) => x.name).join(' | ')})\n${runReport()}`);
  return s;
}

/** Decoded subjects of the messages in a mailbox whose Subject contains `text`. */
async function subjectsIn(who: TestUser, mailbox: string, text: string): Promise<string[]> {
  return withImap(tg.backends, who, async (c) => {
    await c.mailboxOpen(mailbox, { readOnly: true });
    const uids = await c.search({ header: { subject: text } }, { uid: true });
    if (!uids || uids.length === 0) return [];
    const out: string[] = [];
    for await (const m of c.fetch(uids.join(','), { envelope: true }, { uid: true })) out.push(m.envelope?.subject ?? '');
    return out.sort();
  });
}

before(async () => {
  tg = await startTestGateway();
  [user, peer] = await Promise.all([tg.backends.addUser(), tg.backends.addUser()]);
  await seedUser(tg.backends, user, { mail: true, dav: false });
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exl-items-'));
  py = await runPython(
    {
      EWS_URL: tg.ewsUrl,
      EWS_USER: user.email,
      EWS_PASSWORD: user.password,
      PEER_USER: peer.email,
      PEER_PASSWORD: peer.password,
      IMAP_HOST: '127.0.0.1',
      IMAP_PORT: String(tg.backends.imapPort),
    },
    path.join(tmpDir, 'xml.json'),
  );
});

after(async () => {
  await tg?.close();
  if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe('exchangelib 4.9 mail items', () => {
  test('the script runs to the end: no traceback outside a step, JSON summary, steps as expected', () => {
    assert.ok(py.summary, runReport());
    assert.deepEqual(
      py.summary.steps.map((s) => s.name),
      STEPS,
      'the script ran other steps than this file expects',
    );
    assert.ok(py.ms < 45_000, `the run took ${py.ms} ms`);
    assert.equal(py.code, py.summary.ok ? 0 : 1, runReport());
  });

  for (const name of STEPS) {
    test(`step: ${name}`, () => {
      const s = stepOf(name);
      assert.ok(s.ok, stepReport(s));
    });
  }

  test("Dovecot, seen from here: the peer's INBOX and the user's Sent hold what was sent, nothing else", async () => {
    assert.ok(py.summary, runReport());
    const tag = py.summary.tag;
    const sent = (name: string) => stepOf(name).ok;
    const expectedAtPeer: string[] = [];
    if (sent("send(save_copy=False): SendOnly, delivered to the peer's INBOX, no Sent copy")) expectedAtPeer.push(`${tag} sendonly`);
    if (sent('send_and_save(): delivered, one copy in Sent')) expectedAtPeer.push(`${tag} sendandsave`);
    if (sent('send() of a saved draft: SendItem, delivered, moved from Drafts to Sent')) expectedAtPeer.push(`${tag} draft to send`);
    const atPeer = (await subjectsIn(peer, 'INBOX', tag)).filter((s) => !/please answer/.test(s));
    assert.deepEqual(atPeer, expectedAtPeer.sort());
    const expectedSent = expectedAtPeer.filter((s) => !s.endsWith('sendonly'));
    assert.deepEqual(await subjectsIn(user, 'Sent', tag), expectedSent.sort());
  });

  test('nothing the script created is left in Drafts, Projects/2026, Trash or Junk', async () => {
    assert.ok(py.summary, runReport());
    const tag = py.summary.tag;
    for (const box of ['Drafts', 'Projects/2026', 'Trash', 'Junk']) assert.deepEqual(await subjectsIn(user, box, tag), [], box);
  });
});
