// exchangelib 4.9 (Debian's python3-exchangelib) against contacts over CardDAV:
// Contact save / filter / get / update / delete, DistributionList with members,
// resolve_names (with full contact data), expand_dl and FindPeople (people()).
// The Python side is exchangelib_contacts.py; it checks every step through EWS and
// straight in Radicale, and reports each step in a JSON summary on its last line.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestUser } from '../harness/backends.js';
import { davUrlOf } from '../harness/clients.js';
import { seedUser } from '../harness/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { operations } from '../../src/ews/registry.js';
import type { Operation } from '../../src/ews/operation.js';
import { FindPeople } from '../../src/ews/operations/FindPeople.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'exchangelib_contacts.py');
const RUN_TIMEOUT_MS = 90_000;

interface Step {
  name: string;
  ok: boolean;
  skipped?: boolean;
  detail?: unknown;
  error?: string;
  traceback?: string;
  xml?: { request: string | null; response: string | null }[];
}
interface Summary {
  ok: boolean;
  steps: Step[];
  tag: string;
}

const STEPS = [
  'Contact(...).save()',
  'the contact is a vCard in Radicale',
  'filter(display_name=...)',
  'filter(email_addresses__EmailAddress1=...)',
  'get(id=...) reads every field back',
  'save(update_fields=[...])',
  'resolve_names([surname])',
  'resolve_names(return_full_contact_data=True)',
  'resolve_names of nobody is empty',
  'DistributionList with members .save()',
  'the distribution list is a group vCard in Radicale',
  'get(id=...) of the distribution list lists its members',
  'expand_dl(name of the list)',
  'people().filter(display_name=...) (FindPeople)',
  'delete() the distribution list and the contact',
];

let tg: TestGateway;
let user: TestUser;
let py: { code: number | null; stdout: string; stderr: string; summary?: Summary; parseError?: string };

function runPython(env: Record<string, string>): Promise<typeof py> {
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
    child.on('close', (code) => {
      clearTimeout(timer);
      const run: typeof py = { code, stdout, stderr };
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

const tail = (s: string, n = 4000) => (s.length > n ? `...${s.slice(-n)}` : s);
const soapBody = (xml: string | null) => {
  if (!xml) return String(xml);
  const i = xml.search(/<[A-Za-z0-9]+:Body[\s>]/);
  return i >= 0 ? xml.slice(i) : xml;
};

function runReport(): string {
  const failed = py.summary?.steps.filter((s) => !s.ok).map((s) => s.name) ?? [];
  return `exchangelib_contacts.py exited with ${py.code}; failed steps: ${failed.join(' | ') || 'none'}${py.parseError ? `\n${py.parseError}` : ''}\n[stderr]\n${tail(py.stderr) || '(empty)'}`;
}

function stepReport(s: Step): string {
  const parts = [`step "${s.name}": ${s.error ?? 'failed'}`];
  for (const x of s.xml ?? []) parts.push(`>>> request\n${soapBody(x.request)}\n<<< response\n${soapBody(x.response)}`);
  if (s.traceback) parts.push(s.traceback);
  return parts.join('\n');
}

before(async () => {
  // Until the dispatch table lists FindPeople, the test puts it there itself (the gateway runs in this process).
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  const seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
  py = await runPython({
    EWS_URL: tg.ewsUrl,
    EWS_USER: user.email,
    EWS_PASSWORD: user.password,
    DAV_BOOK_URL: davUrlOf(tg.backends, new URL(seeded.dav!.addressBookUrl, tg.backends.davUrl).pathname),
  });
});

after(async () => {
  await tg?.close();
});

describe('exchangelib 4.9 contacts', () => {
  test('the script runs to the end: JSON summary, the expected steps, exit 0', () => {
    assert.ok(py.summary, runReport());
    assert.deepEqual(py.summary.steps.map((s) => s.name), STEPS, 'the script ran other steps than this file expects');
    assert.equal(py.code, 0, runReport());
  });

  for (const name of STEPS) {
    test(`step: ${name}`, () => {
      assert.ok(py.summary, runReport());
      const s = py.summary.steps.find((x) => x.name === name);
      assert.ok(s, `step "${name}" missing`);
      assert.ok(s.ok, stepReport(s));
    });
  }
});
