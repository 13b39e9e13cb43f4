// What the benches share: timing (interleaved medians, percentiles), printing (number formats,
// tables), the SOAP envelope, a gateway started in-process on the bench's backends, the imapflow
// client as the gateway's pool configures it, V8 CPU profiles summarised by self time, and the
// process plumbing (watchdog, exit codes). Only 127.0.0.1 is ever contacted.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { ImapFlow } from 'imapflow';
import { loadConfig, type Config } from '../src/config.js';
import { startGateway, type Gateway } from '../src/server/http.js';
import { createLogger } from '../src/server/log.js';
import { freePort, type Backends, type TestUser } from '../test/harness/backends.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const M = 'http://schemas.microsoft.com/exchange/services/2006/messages';
export const T = 'http://schemas.microsoft.com/exchange/services/2006/types';

// ---------------------------------------------------------------- process

const T0 = performance.now();
/** Progress on stderr (stdout is the report), with the seconds since the bench started. */
export const log = (s: string) => process.stderr.write(`# ${((performance.now() - T0) / 1000).toFixed(1)} s: ${s}\n`);
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ends the process if the bench hangs (the backends are killed on exit). */
export function watchdog(ms: number): void {
  const timer = setTimeout(() => {
    log(`watchdog: the bench ran longer than ${ms / 1000} s, giving up (backends are killed on exit)`);
    process.exit(2);
  }, ms);
  timer.unref();
}

/** Runs the bench's main(): exit 0 when done, 1 with the stack when it throws. */
export function runBench(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exit(1);
    },
  );
}

// ---------------------------------------------------------------- timing

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The p-th percentile (nearest rank); NaN of nothing. */
export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** A measured step; `prep` runs untimed right before each run of it. */
export type Step = (() => unknown) | { prep: () => Promise<unknown>; run: () => unknown };

/**
 * Median ms of each step, measured interleaved: every round runs each once
 * (starting at a rotating position), so drift and other load on the machine hit
 * all of them alike and their ratios stay fair. BENCH_SAMPLES=1 logs every sample.
 */
export async function timeEach<K extends string>(steps: Record<K, Step>, runs: number, warmup: number): Promise<Record<K, number>> {
  const keys = Object.keys(steps) as K[];
  const samples = new Map<K, number[]>(keys.map((k) => [k, []]));
  for (let round = 0; round < warmup + runs; round++) {
    for (let j = 0; j < keys.length; j++) {
      const k = keys[(round + j) % keys.length]!;
      const s = steps[k];
      const run = typeof s === 'function' ? (s as () => unknown) : s.run;
      if (typeof s !== 'function') await s.prep();
      const t0 = performance.now();
      await run();
      if (round >= warmup) samples.get(k)!.push(performance.now() - t0);
    }
  }
  if (process.env.BENCH_SAMPLES === '1') {
    for (const k of keys)
      log(
        `samples ${k}: ${[...samples.get(k)!]
          .sort((a, b) => a - b)
          .map((v) => v.toFixed(1))
          .join(' ')}`,
      );
  }
  return Object.fromEntries(keys.map((k) => [k, median(samples.get(k)!)])) as Record<K, number>;
}

// ---------------------------------------------------------------- printing

export const f1 = (n: number) => n.toFixed(1);
export const f2 = (n: number) => n.toFixed(2);
export const f3 = (n: number) => n.toFixed(3);
export const kb = (n: number) => (n / 1024).toFixed(0);

/** A plain-text table: the first column left-aligned, the others right-aligned. */
export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ');
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------- EWS and IMAP

export function envelope(body: string, version = 'Exchange2013_SP1'): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="${T}" xmlns:m="${M}">` +
    `<soap:Header><t:RequestServerVersion Version="${version}"/></soap:Header>` +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

export const basicAuth = (u: TestUser) => 'Basic ' + Buffer.from(`${u.email}:${u.password}`).toString('base64');

/**
 * The gateway's configuration on the bench's backends, at the production log level (info: one
 * line per request is formatted). Idle IMAP sessions are kept for 10 minutes, through the
 * pauses in which a bench fills folders.
 */
export function benchConfig(backends: Backends, smtp = backends.smtpUrl): Config {
  return loadConfig({
    env: {},
    flags: {
      listen: '127.0.0.1:0',
      imap: backends.imapUrl,
      smtp,
      caldav: backends.davUrl,
      carddav: backends.davUrl,
      mailDomain: backends.domain,
      logLevel: 'info',
      sessionIdleSeconds: '600',
    },
  });
}

/** A gateway in this process; each log line goes to `onLog` and nowhere else. */
export function startBenchGateway(config: Config, onLog: (line: string) => void = () => undefined): Promise<Gateway> {
  return startGateway(config, createLogger('info', onLog));
}

/** The imapflow client exactly as the gateway's pool configures it (adapters/imap/pool.ts). */
export function poolLikeClient(b: Backends, user: TestUser): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: b.imapPort,
    secure: false,
    auth: { user: user.email, pass: user.password },
    logger: false,
    qresync: true,
    disableAutoIdle: true,
    clientInfo: { name: 'ewsgate-bench' },
  });
}

// ---------------------------------------------------------------- CPU profile

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}
/** Self time in ms, most first. */
export interface ProfileSummary {
  functions: [string, number][];
  files: [string, number][];
  totalMs: number;
}

const sourceLines = new Map<string, string[]>();

/** Line of `name`'s definition in a .ts file of ours: V8 reports positions in tsx's output. */
function locate(file: string, name: string): number | undefined {
  if (!name || name === '(anonymous)') return undefined;
  let lines = sourceLines.get(file);
  if (!lines) {
    try {
      lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
    } catch {
      lines = [];
    }
    sourceLines.set(file, lines);
  }
  const n = name.split('.').pop()!.replace(/[$]/g, '\\$');
  const re = new RegExp(
    `(function\\s*\\*?\\s*${n}\\b|\\b(const|let|var)\\s+${n}\\s*=|^\\s*(export\\s+)?(static\\s+|async\\s+|private\\s+|readonly\\s+|get\\s+)*${n}\\s*[(<:=]|class\\s+${n}\\b)`,
  );
  const i = lines.findIndex((l) => re.test(l));
  return i >= 0 ? i + 1 : undefined;
}

function relUrl(url: string): string {
  let where = url.replace(/^file:\/\//, '').replace(/\?.*$/, '');
  if (where.startsWith(ROOT + '/')) where = where.slice(ROOT.length + 1);
  return where.replace(/^node_modules\//, '');
}

function frameName(n: ProfileNode | undefined): string {
  if (!n) return '?';
  const { functionName, url, lineNumber } = n.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name; // (garbage collector), (program), natives
  const where = relUrl(url);
  const line = where.endsWith('.ts') ? locate(where, functionName) : lineNumber + 1;
  return `${where}${line ? `:${line}` : ''} ${name}`;
}

function fileOf(n: ProfileNode): string {
  const url = n.callFrame.url;
  if (!url) return n.callFrame.functionName || '(anonymous)';
  return relUrl(url);
}

/** Self time per function and per file from a V8 CPU profile. */
function summarizeProfile(p: CpuProfile, skip: (n: ProfileNode) => boolean): ProfileSummary {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, ProfileNode>();
  for (const n of p.nodes) for (const c of n.children ?? []) parentOf.set(c, n);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    const caller = parentOf.get(id);
    if (skip(n) || (caller && skip(caller))) continue; // the profiler's own work
    total += us;
    let key = frameName(n);
    const fname = n.callFrame.functionName;
    if (!n.callFrame.url && !['(garbage collector)', '(program)', '(idle)', '(root)'].includes(fname)) {
      // a frame without a script (a V8 builtin or native) is named after its caller
      key = `[native] ${fname || '(anonymous builtin)'} <- ${frameName(caller)}`;
    } else if (n.callFrame.url.endsWith('.ts') && !n.callFrame.functionName) {
      key = `${key} <- ${frameName(caller)}`;
    }
    fn.set(key, (fn.get(key) ?? 0) + us);
    const f = fileOf(n);
    file.set(f, (file.get(f) ?? 0) + us);
  }
  const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, v / 1000] as [string, number]);
  return { functions: top(fn), files: top(file), totalMs: total / 1000 };
}

/**
 * A V8 CPU profile of `runs` calls of `fn` (client, gateway and imapflow share this thread):
 * wall ms, ms on this thread's CPU (busy), ms idle (waiting for the backends / the socket),
 * and the two self-time tables (files, functions) as text, `fmt` formatting the ms.
 */
export async function profileCpu(
  runs: number,
  fn: () => Promise<unknown>,
  opts: { fmt?: (ms: number) => string; files?: number; functions?: number } = {},
): Promise<{ wall: number; busy: number; idle: number; tables: string }> {
  const { fmt = f1, files = 10, functions = 16 } = opts;
  const session = new Session();
  session.connect();
  let profile: CpuProfile;
  let wall: number;
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await fn();
    wall = performance.now() - t0;
    profile = (await session.post('Profiler.stop')).profile as unknown as CpuProfile;
    await session.post('Profiler.disable');
    // The whole profile, for chrome://inspect or a call-tree reading of one's own.
    if (process.env.BENCH_PROFILE_DIR) writeFileSync(path.join(process.env.BENCH_PROFILE_DIR, `bench-${Date.now()}.cpuprofile`), JSON.stringify(profile));
  } finally {
    session.disconnect();
  }
  const s = summarizeProfile(profile, (n) => n.callFrame.url === 'node:inspector');
  const idle = s.files.find(([k]) => k === '(idle)')?.[1] ?? 0;
  const busy = s.totalMs - idle;
  const pct = (ms: number) => `${((ms / busy) * 100).toFixed(1)}%`;
  const rows = (xs: [string, number][], n: number) =>
    xs
      .filter(([k]) => k !== '(idle)')
      .slice(0, n)
      .map(([k, ms]) => [k, fmt(ms), pct(ms)]);
  const tables = [table(['file (self time)', 'ms', '%'], rows(s.files, files)), '', table(['function (self time)', 'ms', '%'], rows(s.functions, functions))].join('\n');
  return { wall, busy, idle, tables };
}

/** CPU time (user + system, ms) a process has used so far, from /proc; 0 once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = 100;

/** The pids of Dovecot's imap processes (one per logged-in connection; the harness names its instance, so "<instance>/imap"). */
export function dovecotImapPids(): number[] {
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (/^[^\0 ]*\/imap(?![-\w])/.test(readFileSync(`/proc/${d}/cmdline`, 'utf8'))) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * CPU time per run of `fn` (ms) of this process, of `others` (pids) and of Dovecot's imap
 * processes: which side of a comparison does the work, and what would share the 2 CPUs.
 */
export async function cpuPerRun(runs: number, fn: () => Promise<unknown>, others: Record<string, number>): Promise<Record<string, number>> {
  const pids = dovecotImapPids();
  const dovecot = () => pids.reduce((n, p) => n + processCpuMs(p), 0);
  const before = { self: process.cpuUsage(), dovecot: dovecot(), others: Object.fromEntries(Object.entries(others).map(([k, pid]) => [k, processCpuMs(pid)])) };
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  const wall = (performance.now() - t0) / runs;
  const self = process.cpuUsage(before.self);
  const out: Record<string, number> = { wall, self: (self.user + self.system) / 1000 / runs, dovecot: (dovecot() - before.dovecot) / runs };
  for (const [k, pid] of Object.entries(others)) out[k] = (processCpuMs(pid) - before.others[k]!) / runs;
  return out;
}

/** ewsgate in a process of its own, as deployed (bench/notify-server.ts), against the same backends. */
export async function startGatewayProcess(b: Backends): Promise<{ child: ChildProcess; url: string }> {
  const settings = { imap: b.imapUrl, dav: b.davUrl, smtp: `${b.smtpUrl}?auth=none`, port: await freePort(), pollSeconds: 60, sessionIdleSeconds: 600 };
  const child = fork(new URL('./notify-server.ts', import.meta.url).pathname, [JSON.stringify(settings)], { execArgv: ['--import', 'tsx', ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [m] = (await once(child, 'message')) as [{ type: string; url: string }];
  if (m.type !== 'ready') throw new Error(`the gateway process said ${JSON.stringify(m)}`);
  return { child, url: m.url };
}
