// The socket problem, measured (issue 8 item 7): many users each holding several
// GetStreamingEvents connections against one ewsgate process on loopback, with Dovecot
// pushing its events (examples/dovecot/ewsgate-push.lua) and with one IMAP watcher per
// user instead. Printed per mode: the gateway's RSS and event-loop delay (p50 / p99 /
// max) while the connections wait and while events flow, the backend connections it holds
// (its own count and the TCP connections to Dovecot's IMAP port that /proc shows for its
// pid), and the latency from an LMTP delivery to the NewMailEvent on the user's streams
// (first stream and all of them, p50 / p99). Numbers are printed, never checked.
//
//   node --import tsx bench/notify.ts            # 1000 users × 10 streams, 1000 events
//   BENCH_USERS=100 BENCH_STREAMS=10 BENCH_EVENTS=100 BENCH_MODES=push node --import tsx bench/notify.ts
//
// Every user is a real Dovecot user (a passwd-file entry each) with its own streaming
// subscription per connection. Setting up, a user's requests share its pooled IMAP session,
// which closes after 1 s idle; the measurements start after that. BENCH_HEAP=1 prints a
// summary of the gateway's heap by constructor; BENCH_IDLE_CHECK sets Dovecot's
// mailbox_idle_check_interval (seconds) for the watcher scenario.
import { fork, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startBackends, type Backends, type TestUser } from '../test/harness/backends.js';
import { basicAuth as basic, envelope as soapEnvelope, log, percentile, runBench } from './common.js';

const USERS = Number(process.env.BENCH_USERS ?? 1000);
const STREAMS = Number(process.env.BENCH_STREAMS ?? 10);
const EVENTS = Math.min(Number(process.env.BENCH_EVENTS ?? 1000), USERS);
const MODES = (process.env.BENCH_MODES ?? 'push,watcher').split(',') as ('push' | 'watcher')[];
const SETUP_CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);
const IDLE_CHECK = Number(process.env.BENCH_IDLE_CHECK ?? 1);
const EVENTS_SECRET = 'bench-notify-events-secret-0123456789';
const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Stats {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  eld: { p50: number; p99: number; max: number };
  poolConnections: number;
  hub: { channels: number; subscriptions: number; streams: number; watcherConnections: number; eventsIn: number; eventsOut: number };
}

class Gateway {
  private waiting = new Map<string, (m: unknown) => void>();
  constructor(
    readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (m: { type: string }) => {
      const w = this.waiting.get(m.type);
      if (w) {
        this.waiting.delete(m.type);
        w(m);
      }
    });
  }
  static async start(b: Backends, mode: 'push' | 'watcher'): Promise<Gateway> {
    const port = await freePort();
    const settings = { imap: b.imapUrl, dav: b.davUrl, smtp: b.smtpUrl, port, eventsSecret: mode === 'push' ? EVENTS_SECRET : undefined, pollSeconds: 30 };
    const child = fork(path.join(HERE, 'notify-server.ts'), [JSON.stringify(settings)], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const url = await new Promise<string>((resolve, reject) => {
      child.once('message', (m: { type: string; url: string }) => (m.type === 'ready' ? resolve(m.url) : reject(new Error('unexpected message'))));
      child.once('exit', (c) => reject(new Error(`gateway exited with ${c}`)));
    });
    return new Gateway(child, url);
  }
  ask<T>(type: string): Promise<T> {
    return new Promise((resolve) => {
      this.waiting.set(type, resolve as (m: unknown) => void);
      this.child.send({ type });
    });
  }
  async stats(hard = false): Promise<Stats> {
    await this.ask(hard ? 'gc-hard' : 'gc');
    return this.ask<Stats>('stats');
  }
  async stop(): Promise<void> {
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.send({ type: 'stop' });
    const t = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
  }
}

/** TCP connections from `pid` to `port` on loopback, from /proc (what the kernel sees, not what the gateway says). */
function tcpConnections(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const l = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      const m = /^socket:\[(\d+)\]$/.exec(l);
      if (m) inodes.add(m[1]);
    } catch {
      /* closed meanwhile */
    }
  }
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const remPort = parseInt(cols[2].split(':')[1], 16);
      if (remPort === port && cols[3] === '01' && inodes.has(cols[9])) n++;
    }
  }
  return n;
}

const envelope = (body: string) => soapEnvelope(body, 'Exchange2013');

async function subscribe(g: Gateway, u: TestUser): Promise<string> {
  const res = await fetch(`${g.url}/EWS/Exchange.asmx`, {
    method: 'POST',
    headers: { Authorization: basic(u), 'Content-Type': 'text/xml; charset=utf-8' },
    body: envelope(
      '<m:Subscribe><m:StreamingSubscriptionRequest><t:FolderIds><t:DistinguishedFolderId Id="inbox"/></t:FolderIds><t:EventTypes><t:EventType>NewMailEvent</t:EventType><t:EventType>CreatedEvent</t:EventType></t:EventTypes></m:StreamingSubscriptionRequest></m:Subscribe>',
    ),
  });
  const text = await res.text();
  const m = /<m:SubscriptionId>([^<]+)<\/m:SubscriptionId>/.exec(text);
  if (!m) throw new Error(`Subscribe failed for ${u.email}: ${text.slice(0, 500)}`);
  return m[1];
}

/** One held GetStreamingEvents connection on a raw socket, counting the NewMailEvents it receives. */
class Stream {
  newMail = 0;
  private tail = '';
  readonly socket: net.Socket;
  readonly ready: Promise<void>;
  onEvent?: () => void;
  constructor(g: Gateway, u: TestUser, id: string) {
    const u0 = new URL(g.url);
    const body = envelope(`<m:GetStreamingEvents><m:SubscriptionIds><t:SubscriptionId>${id}</t:SubscriptionId></m:SubscriptionIds><m:ConnectionTimeout>30</m:ConnectionTimeout></m:GetStreamingEvents>`);
    this.socket = net.connect(Number(u0.port), u0.hostname);
    this.socket.setEncoding('utf8');
    this.ready = new Promise((resolve, reject) => {
      let head = true;
      this.socket.on('data', (d: string) => {
        if (head) {
          head = false;
          if (!d.startsWith('HTTP/1.1 200')) reject(new Error(`stream refused: ${d.slice(0, 200)}`));
          else resolve();
        }
        const text = this.tail + d;
        const n = text.split('<t:NewMailEvent>').length - 1;
        this.tail = text.slice(-20);
        if (n) {
          this.newMail += n;
          this.onEvent?.();
        }
      });
      this.socket.on('error', reject);
    });
    this.socket.write(
      `POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: ${u0.host}\r\nAuthorization: ${basic(u)}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
}

/** A minimal LMTP client on one connection: delivers one message per call. */
class Lmtp {
  private sock!: net.Socket;
  private buf = '';
  private lines: string[] = [];
  private wake?: () => void;
  async connect(port: number): Promise<void> {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.setEncoding('utf8');
    this.sock.on('data', (d: string) => {
      this.buf += d;
      let i: number;
      while ((i = this.buf.indexOf('\r\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 2);
      }
      this.wake?.();
    });
    await this.reply();
    this.sock.write('LHLO bench\r\n');
    await this.reply();
  }
  private async line(): Promise<string> {
    while (!this.lines.length) await new Promise<void>((r) => (this.wake = r));
    return this.lines.shift()!;
  }
  private async reply(): Promise<string> {
    for (;;) {
      const l = await this.line();
      if (l[3] !== '-') return l;
    }
  }
  async deliver(to: string, subject: string): Promise<void> {
    this.sock.write(`MAIL FROM:<bench@example.test>\r\n`);
    await this.reply();
    this.sock.write(`RCPT TO:<${to}>\r\n`);
    const r = await this.reply();
    if (!r.startsWith('250')) throw new Error(`RCPT ${to}: ${r}`);
    this.sock.write('DATA\r\n');
    await this.reply();
    this.sock.write(`From: bench@example.test\r\nTo: ${to}\r\nSubject: ${subject}\r\n\r\nbench\r\n.\r\n`);
    const done = await this.reply();
    if (!done.startsWith('250')) throw new Error(`DATA ${to}: ${done}`);
  }
  close(): void {
    this.sock.end('QUIT\r\n');
  }
}

async function pool<T>(items: T[], n: number, fn: (t: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

const mib = (b: number) => (b / 1024 / 1024).toFixed(0);
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');

async function runMode(b: Backends, mode: 'push' | 'watcher'): Promise<string[]> {
  const g = await Gateway.start(b, mode);
  const out: string[] = [];
  const streams: Stream[] = [];
  try {
    const eventsUrl = `${g.url}/ewsgate/events`;
    log(`${mode}: creating ${USERS} users`);
    const users: TestUser[] = [];
    for (let i = 0; i < USERS; i++) users.push(await b.addUser(undefined, 'bench-password', mode === 'push' ? { userdb: { ewsgate_events_url: eventsUrl, ewsgate_events_secret: EVENTS_SECRET } } : {}));
    const byUser = new Map<TestUser, Stream[]>();
    const base = await g.stats();
    log(`${mode}: opening ${USERS * STREAMS} GetStreamingEvents connections`);
    const t0 = performance.now();
    const subMs: number[] = [];
    const openMs: number[] = [];
    let lastReport = performance.now();
    await pool(users, SETUP_CONCURRENCY, async (u) => {
      const mine: Stream[] = [];
      for (let j = 0; j < STREAMS; j++) {
        const a = performance.now();
        const id = await subscribe(g, u);
        const m = performance.now();
        const s = new Stream(g, u, id);
        await s.ready;
        subMs.push(m - a);
        openMs.push(performance.now() - m);
        mine.push(s);
        streams.push(s);
      }
      byUser.set(u, mine);
      if (performance.now() - lastReport > 15_000) {
        lastReport = performance.now();
        log(`${mode}: ${streams.length} open; Subscribe p50 ${ms(percentile(subMs, 50))} ms, GetStreamingEvents until headers p50 ${ms(percentile(openMs, 50))} ms`);
      }
    });
    const setupMs = performance.now() - t0;
    log(`${mode}: ${streams.length} connections open in ${(setupMs / 1000).toFixed(1)} s; waiting for idle sessions to close`);
    await new Promise((r) => setTimeout(r, 4000));
    await g.stats(); // resets the event-loop histogram
    await new Promise((r) => setTimeout(r, 10_000));
    const idle = await g.stats();
    const reduced = await g.stats(true);
    const backendTcp = tcpConnections(g.child.pid!, b.imapPort);
    if (process.env.BENCH_HEAP === '1') {
      const h = await g.ask<{ top: [string, [number, number]][] }>('heap');
      for (const [k, [count, size]] of h.top) log(`heap ${(size / 1024).toFixed(0).padStart(8)} KiB ${String(count).padStart(8)} ${k}`);
    }

    log(`${mode}: ${EVENTS} deliveries by LMTP`);
    const lmtp = new Lmtp();
    await lmtp.connect(b.lmtpPort);
    const first: number[] = [];
    const allOf: number[] = [];
    let pending = 0;
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    for (let i = 0; i < EVENTS; i++) {
      const u = users[i];
      const mine = byUser.get(u)!;
      const sent = performance.now();
      let gotFirst = false;
      pending++;
      const check = () => {
        const have = mine.filter((s) => s.newMail >= 1).length;
        if (have >= 1 && !gotFirst) {
          gotFirst = true;
          first.push(performance.now() - sent);
        }
        if (have === mine.length) {
          allOf.push(performance.now() - sent);
          for (const s of mine) s.onEvent = undefined;
          if (--pending === 0 && i >= 0) settle();
        }
      };
      for (const s of mine) s.onEvent = check;
      await lmtp.deliver(u.email, `bench ${i}`);
    }
    lmtp.close();
    await Promise.race([settled, new Promise((r) => setTimeout(r, 60_000))]);
    const busy = await g.stats();
    const afterTcp = tcpConnections(g.child.pid!, b.imapPort);

    out.push(
      `${mode === 'push' ? 'Dovecot push (Lua driver)' : 'IMAP watcher (IDLE on INBOX + NOTIFY for the rest; STATUS polling where a server has no NOTIFY)'}: ${USERS} users × ${STREAMS} = ${streams.length} held GetStreamingEvents connections (set up in ${(setupMs / 1000).toFixed(1)} s, ${SETUP_CONCURRENCY} users at a time; Subscribe p50 ${ms(percentile(subMs, 50))} / p99 ${ms(percentile(subMs, 99))} ms, GetStreamingEvents until the headers p50 ${ms(percentile(openMs, 50))} / p99 ${ms(percentile(openMs, 99))} ms)`,
      `  RSS                       ${mib(idle.rss)} MiB after a full GC (heap ${mib(idle.heapUsed)} used of ${mib(idle.heapTotal)} MiB); ${mib(reduced.rss)} MiB once V8 shrinks its heap (last-resort GC: heap ${mib(reduced.heapUsed)} of ${mib(reduced.heapTotal)} MiB); ${mib(base.rss)} MiB before the connections — ${((reduced.rss - base.rss) / streams.length / 1024).toFixed(1)} KiB per connection`,
      `  event-loop delay, idle    p50 ${ms(idle.eld.p50)} ms, p99 ${ms(idle.eld.p99)} ms, max ${ms(idle.eld.max)} ms (10 s)`,
      `  event-loop delay, events  p50 ${ms(busy.eld.p50)} ms, p99 ${ms(busy.eld.p99)} ms, max ${ms(busy.eld.max)} ms (during the deliveries)`,
      `  backend connections       ${idle.poolConnections} pooled + ${idle.hub.watcherConnections} watcher (gateway's count); ${backendTcp} TCP to Dovecot's IMAP port (/proc), ${afterTcp} after the events`,
      `  notification latency      LMTP delivery → NewMailEvent, ${first.length}/${EVENTS} events: first stream p50 ${ms(percentile(first, 50))} ms, p99 ${ms(percentile(first, 99))} ms; all ${STREAMS} streams p50 ${ms(percentile(allOf, 50))} ms, p99 ${ms(percentile(allOf, 99))} ms`,
      `  hub                       ${busy.hub.channels} channels, ${busy.hub.subscriptions} subscriptions, ${busy.hub.streams} streams, ${busy.hub.eventsIn} Dovecot events in`,
    );
    if (allOf.length < EVENTS) out.push(`  !! ${EVENTS - allOf.length} events did not reach every stream within 60 s`);
  } finally {
    for (const s of streams) s.socket.destroy();
    await g.stop();
  }
  return out;
}

async function main(): Promise<void> {
  log(`starting Dovecot, Radicale and Postfix`);
  const b = await startBackends();
  try {
    // A watcher per user is an imap process per user in Dovecot: room for them. Each IDLE
    // learns of changes through inotify, but the kernel gives one uid only
    // fs.inotify.max_user_instances of them (128 here) and all mail runs as vmail: the others
    // fall back to checking every mailbox_idle_check_interval (30 s by default), 1 s here.
    // As an admin running the watcher for many users would, the bench raises that limit for its
    // run where it may (root) and restores it after; BENCH_INOTIFY=keep leaves it alone.
    fs.appendFileSync(
      b.dovecotConf,
      `\nservice imap {\n  process_limit = ${USERS * 2 + 100}\n}\nprotocol imap {\n  mail_max_userip_connections = ${STREAMS * 4 + 50}\n}\nmailbox_idle_check_interval = ${IDLE_CHECK} secs\n`,
    );
    execFileSync('/usr/bin/doveadm', ['-c', b.dovecotConf, 'reload']);
    await new Promise((r) => setTimeout(r, 500));
    const inotify = raiseInotifyInstances(USERS * 2 + 256);
    const lines: string[] = [
      `ewsgate notifications bench — node ${process.version}, ${(await import('node:os')).cpus().length} CPUs, load average ${(await import('node:os')).loadavg()[0].toFixed(1)} at the start; gateway in its own process, clients in this one`,
      `Dovecot: fs.inotify.max_user_instances = ${inotify}, mailbox_idle_check_interval = ${IDLE_CHECK} s (what bounds IDLE's latency once inotify runs out)`,
    ];
    for (const mode of MODES) lines.push(...(await runMode(b, mode)));
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    restoreInotifyInstances();
    await b.stop();
  }
}

const INOTIFY_PATH = '/proc/sys/fs/inotify/max_user_instances';
let inotifyBefore: string | undefined;

/** Sets fs.inotify.max_user_instances to at least `want` when allowed; answers the value in force. */
function raiseInotifyInstances(want: number): string {
  const now = fs.readFileSync(INOTIFY_PATH, 'utf8').trim();
  if (process.env.BENCH_INOTIFY === 'keep' || Number(now) >= want) return now;
  try {
    fs.writeFileSync(INOTIFY_PATH, String(want));
    inotifyBefore = now;
    return `${want} (raised from ${now} for this run)`;
  } catch {
    return `${now} (not raised: ${INOTIFY_PATH} is read-only here)`;
  }
}

function restoreInotifyInstances(): void {
  if (inotifyBefore === undefined) return;
  try {
    fs.writeFileSync(INOTIFY_PATH, inotifyBefore);
  } catch {
    // left raised: harmless
  }
}

runBench('bench/notify.ts', main);
