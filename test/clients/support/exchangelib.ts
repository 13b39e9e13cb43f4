// Runs an exchangelib scenario (a Python script built on test/clients/exchangelib_scenario.py)
// and turns its JSON summary into node:test assertions with readable failure reports: the
// Python traceback and the SOAP request/response of the calls that failed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// Debian's python3-exchangelib lives in the system Python; the `python3` on PATH is a pyenv one.
const PYTHON = '/usr/bin/python3';
/** test/clients: the scenarios and exchangelib_scenario.py, which every scenario imports. */
const CLIENTS_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

export interface XmlExchange {
  request: string | null;
  response: string | null;
}
export interface Step {
  name: string;
  ok: boolean;
  skipped?: boolean;
  detail?: unknown;
  error?: string;
  traceback?: string;
  xml?: XmlExchange[];
  ms?: number;
  [extra: string]: unknown;
}
export interface Summary {
  ok: boolean;
  steps: Step[];
}
export interface PyRun<S extends Summary = Summary> {
  script: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  summary?: S;
  parseError?: string;
  /** Every EWS call of the run (EXCHANGELIB_XML_DUMP), for a run that ended without a summary. */
  xmlDump: XmlExchange[];
}

/** A scenario next to this folder's tests (test/clients/<name>). */
export function clientScript(name: string): string {
  return path.join(CLIENTS_DIR, name);
}

/** EWS_URL, EWS_USER and EWS_PASSWORD: the gateway and the user a scenario connects as (exchangelib_scenario.connect). */
export function ewsEnv(ewsUrl: string, user: { email: string; password: string }): Record<string, string> {
  return { EWS_URL: ewsUrl, EWS_USER: user.email, EWS_PASSWORD: user.password };
}

/** Runs the script with only `env` (plus what Python needs) and collects its summary and XML. */
export async function runScenario<S extends Summary = Summary>(script: string, env: Record<string, string>, timeoutMs = 60_000): Promise<PyRun<S>> {
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'exchangelib-'));
  const xmlDumpFile = path.join(tmpDir, 'xml.json');
  const t0 = performance.now();
  try {
    return await new Promise<PyRun<S>>((resolve, reject) => {
      const child = spawn(PYTHON, [script], {
        env: {
          PATH: '/usr/bin:/bin',
          LANG: 'C.UTF-8',
          PYTHONIOENCODING: 'utf-8',
          PYTHONDONTWRITEBYTECODE: '1',
          PYTHONPATH: CLIENTS_DIR,
          EXCHANGELIB_XML_DUMP: xmlDumpFile,
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
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
        const run: PyRun<S> = { script: path.basename(script), code, signal, stdout, stderr, ms: Math.round(performance.now() - t0), xmlDump };
        const last = stdout.trimEnd().split('\n').pop() ?? '';
        try {
          run.summary = JSON.parse(last) as S;
        } catch (e) {
          run.parseError = `last stdout line is not JSON (${(e as Error).message}): ${last.slice(0, 300)}`;
        }
        resolve(run);
      });
    });
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
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
export function runReport(py: PyRun<Summary>): string {
  const failed = py.summary?.steps.filter((x) => !x.ok).map((x) => x.name) ?? [];
  return (
    `${py.script} exited with ${py.code ?? py.signal} after ${py.ms} ms` +
    (py.summary ? `; failed steps: ${failed.join(' | ') || 'none'}` : '') +
    (py.parseError ? `\n${py.parseError}` : '') +
    `\n[stderr]\n${tail(py.stderr) || '(empty)'}` +
    (py.summary ? '' : `\n[stdout]\n${tail(py.stdout, 3000) || '(empty)'}\n[last SOAP calls]\n${exchangesText(py.xmlDump.slice(-2)) || '(none)'}`)
  );
}

/** A failed step: its error, what the scenario attached to it, its SOAP calls and its traceback. */
export function stepReport(s: Step): string {
  const parts = [`step "${s.name}": ${s.error ?? 'failed'}`];
  const known = new Set(['name', 'ok', 'skipped', 'detail', 'error', 'traceback', 'xml', 'ms']);
  for (const [k, v] of Object.entries(s)) if (!known.has(k)) parts.push(`${k}: ${JSON.stringify(v)}`);
  if (s.xml?.length) parts.push(exchangesText(s.xml));
  if (s.traceback) parts.push(s.traceback);
  return parts.join('\n');
}

/** The step of that name (the run must have a summary and the step must be in it). */
export function stepOf(py: PyRun<Summary>, name: string): Step {
  assert.ok(py.summary, runReport(py));
  const s = py.summary.steps.find((x) => x.name === name);
  assert.ok(s, `step "${name}" missing from the summary (steps: ${py.summary.steps.map((x) => x.name).join(' | ')})\n${runReport(py)}`);
  return s;
}

/** One test per step, each passing only if the scenario recorded that step as ok. */
export function stepTests(run: () => PyRun<Summary>, names: readonly string[]): void {
  for (const name of names) {
    test(`step: ${name}`, () => {
      const s = stepOf(run(), name);
      assert.ok(s.ok, stepReport(s));
    });
  }
}

/** The usual tests of a scenario: it ran exactly these steps and exited 0, then one test per step. */
export function scenarioTests(run: () => PyRun<Summary>, names: readonly string[]): void {
  test('the script runs to the end: JSON summary, the expected steps, exit 0', () => {
    const py = run();
    assert.ok(py.summary, runReport(py));
    assert.deepEqual(
      py.summary.steps.map((s) => s.name),
      names,
      'the script ran other steps than this file expects',
    );
    assert.equal(py.code, 0, runReport(py));
  });
  stepTests(run, names);
}
