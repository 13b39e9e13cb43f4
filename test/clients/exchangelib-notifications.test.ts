// exchangelib 4.9 (Debian's python3-exchangelib) with notifications: a pull subscription
// with get_events and a streaming subscription with get_streaming_events, each receiving
// the NewMailEvent of a message delivered by LMTP, once through a gateway that Dovecot
// pushes to and once through one that watches over IMAP. The Python side is
// exchangelib_notifications.py.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { withImap } from '../harness/clients.js';
import { addPushUser, startNotifyGateway, type NotifyGateway } from '../notify-support.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'exchangelib_notifications.py');
const RUN_TIMEOUT_MS = 90_000;

interface Step {
  name: string;
  ok: boolean;
  detail?: unknown;
  error?: string;
  traceback?: string;
}

function runPython(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; steps?: Step[] }> {
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
      let steps: Step[] | undefined;
      try {
        steps = (JSON.parse(stdout.trimEnd().split('\n').pop() ?? '') as { steps: Step[] }).steps;
      } catch {
        steps = undefined;
      }
      resolve({ code, stdout, stderr, steps });
    });
  });
}

const STEPS = [
  'subscribe_to_pull',
  'get_events after a delivery',
  'get_events from the last watermark: nothing new',
  'unsubscribe pull',
  'subscribe_to_streaming',
  'get_streaming_events after a delivery',
  'unsubscribe streaming',
];

for (const mode of ['dovecot push', 'imap watcher'] as const) {
  describe(`exchangelib 4.9 notifications (${mode})`, () => {
    let g: NotifyGateway;
    let run: Awaited<ReturnType<typeof runPython>>;
    before(async () => {
      g = await startNotifyGateway({ push: mode === 'dovecot push', notify: { minuteMs: 60_000, pollMs: 1000 } });
      const user = await addPushUser(g.backends, mode === 'dovecot push' ? g.eventsUrl : undefined);
      await withImap(g.backends, user, async (c) => void (await c.list()));
      run = await runPython({ EWS_URL: g.ewsUrl, EWS_USER: user.email, EWS_PASSWORD: user.password, LMTP_HOST: '127.0.0.1', LMTP_PORT: String(g.backends.lmtpPort) });
    });
    after(async () => {
      await g?.close();
    });
    test('the script ran every step', () => {
      assert.ok(run.steps, `no JSON summary; exit ${run.code}\n${run.stderr.slice(-3000)}\n${run.stdout.slice(-2000)}`);
      assert.deepEqual(run.steps.map((s) => s.name), STEPS);
    });
    for (const name of STEPS) {
      test(`step: ${name}`, () => {
        const s = run.steps?.find((x) => x.name === name);
        assert.ok(s, `step missing; stderr:\n${run.stderr.slice(-3000)}`);
        assert.ok(s.ok, `${s.error}\n${s.traceback ?? ''}`);
      });
    }
  });
}
