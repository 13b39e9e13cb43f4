// exchangelib 4.9 (Debian's python3-exchangelib) against the calendar over CalDAV: a CalendarItem
// with every attendee-free field (saved, updated, re-read), an all-day event, recurring series
// (WeeklyPattern, DailyPattern with a count and an end date, RelativeMonthlyPattern), view()
// expanding them, occurrence(n) modified and deleted, recurring_master(), filter(start__lt,
// end__gt), deletion, a Task in account.tasks, and an event python-caldav writes read back.
// The Python side is exchangelib_calendar.py; every step is checked straight in Radicale with
// python-caldav (RRULE, EXDATE, RECURRENCE-ID really stored), and reported in a JSON summary.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'exchangelib_calendar.py');
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
  'CalendarItem(...).save() with every attendee-free field',
  'the single event is a VEVENT in Radicale with those fields',
  'get(id=...) reads every field back',
  'save(update_fields=[...]) and re-read',
  'an all-day event (is_all_day=True, dates) is VALUE=DATE in Radicale',
  'recurring series save(): WeeklyPattern, DailyPattern (count / end date), RelativeMonthlyPattern',
  'each series is one VEVENT with the right RRULE in Radicale',
  'get(id=...) of each master reads the recurrence back',
  'calendar.view(start, end) expands every series',
  'master.occurrence(3): refresh(), change subject and time, save()',
  'master.occurrence(5).delete()',
  'Radicale holds the exception as RECURRENCE-ID and the deletion as EXDATE',
  'view() after: 9 of the weekly series, one an Exception; the master lists modified/deleted occurrences',
  'occurrence.recurring_master().refresh() is the master',
  'filter(start__lt=..., end__gt=...) finds what overlaps the window',
  'an event python-caldav creates in Radicale shows up right in exchangelib',
  'delete() every event of this run: gone from EWS and from Radicale',
  'Task(status, percent_complete, due_date).save() in account.tasks is a VTODO',
  "Task status='Completed' save(), then delete()",
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
  return `exchangelib_calendar.py exited with ${py.code}; failed steps: ${failed.join(' | ') || 'none'}${py.parseError ? `\n${py.parseError}` : ''}\n[stderr]\n${tail(py.stderr) || '(empty)'}`;
}

function stepReport(s: Step): string {
  const parts = [`step "${s.name}": ${s.error ?? 'failed'}`];
  for (const x of s.xml ?? []) parts.push(`>>> request\n${soapBody(x.request)}\n<<< response\n${soapBody(x.response)}`);
  if (s.traceback) parts.push(s.traceback);
  return parts.join('\n');
}

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  const seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
  py = await runPython({
    EWS_URL: tg.ewsUrl,
    EWS_USER: user.email,
    EWS_PASSWORD: user.password,
    DAV_URL: tg.backends.davUrl,
    DAV_CAL_URL: new URL(seeded.dav!.calendarUrl, tg.backends.davUrl).toString(),
  });
});

after(async () => {
  await tg?.close();
});

describe('exchangelib 4.9 calendar and tasks', () => {
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
