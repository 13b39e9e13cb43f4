// DavMail (Debian's headless davmail-server) in front of ewsgate, for the
// client tests in this directory and bench/davmail.ts.
//
//   ensureDavmail()            installs the package and a headless JRE (root), or
//                              fails with the command to run; never skips
//   startDavmail({ ewsUrl })   writes a davmail.properties for server mode on free
//                              loopback ports, starts DavMail, waits for its IMAP
//                              greeting; stop() ends it
//   DavImap                    a raw IMAP client (byte-exact literals) for DavMail
//                              or Dovecot
//
// Facts that shaped this file (DavMail 6.0.1.3390-7, Debian 12, OpenJDK 17):
//  - Debian ships two binary packages: `davmail` (GUI, needs a desktop JRE) and
//    `davmail-server` (headless: /usr/bin/davmail-server is
//    `java -jar /usr/share/davmail/davmail.jar -server "$@"`). Its postinst
//    tries to start a system service; in a container invoke-rc.d refuses, and
//    that service would use /etc/davmail/davmail.properties, never ours.
//  - `davmail.url` ending in /ews/exchange.asmx makes DavMail speak EWS
//    directly (EwsExchangeSession.buildSessionInfo: `directEws`); it then posts
//    to that exact, lower-case path.
//  - `davmail.imapIdleDelay` is in MINUTES (ImapConnection: getIntProperty * 60
//    seconds, an int): 1 is the smallest value that keeps IDLE on, so an IDLE
//    client sees a change after at most ~60 s. Empty or 0 removes IDLE from
//    the CAPABILITY list.
//  - RFC822.SIZE is the size of the downloaded MimeContent (one GetItem per
//    message) unless `davmail.imapAlwaysApproxMsgSize=true`, in which case it is
//    PR_MESSAGE_SIZE (0x0E08) from the FindItem listing.
//  - DavMail logs through log4j 1.2 to davmail.logFilePath; `logFileSize=0`
//    turns rotation off.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { freePort } from '../../harness/backends.js';
import { ensureDebianPackages, missingDebianPackages } from '../../harness/packages.js';

const DAVMAIL_JAR = '/usr/share/davmail/davmail.jar';
const START_TIMEOUT_MS = 60_000;

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Is `name` a package apt knows (has a candidate version)? */
function aptKnows(name: string): boolean {
  const r = spawnSync('apt-cache', ['policy', name], { encoding: 'utf8' });
  if (r.status !== 0) return false;
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  return !!m && m[1] !== '(none)';
}

/** The Debian packages DavMail needs here: the headless package where it exists, and a headless JRE. */
export function davmailPackages(): string[] {
  // Prefer an installed one; otherwise the headless package if apt has it.
  const pkg = missingDebianPackages(['davmail-server']).length === 0 || aptKnows('davmail-server') ? 'davmail-server' : 'davmail';
  return [pkg, 'default-jre-headless'];
}

function javaWorks(): string | undefined {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `java -version failed: ${r.error?.message ?? r.stderr}`;
}

/**
 * Makes sure DavMail and a headless JRE are installed: installs them with
 * apt-get when we are root, otherwise throws with the command to run. Returns
 * the argv prefix that starts DavMail in server mode (the properties file goes last).
 */
export function ensureDavmail(): string[] {
  const pkgs = davmailPackages();
  const missing = missingDebianPackages(pkgs);
  if (missing.length > 0) {
    if (!isRoot()) {
      throw new Error(
        `DavMail is not installed (missing Debian packages: ${missing.join(', ')}). Install it as root: ` +
          `sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing.join(' ')}`,
      );
    }
    ensureDebianPackages(missing); // apt-get update && apt-get install -y
  }
  const bad = javaWorks();
  if (bad) throw new Error(`DavMail needs a working java: ${bad}`);
  if (fs.existsSync(DAVMAIL_JAR)) return ['java', '-Djava.awt.headless=true', '-jar', DAVMAIL_JAR, '-server'];
  for (const launcher of ['/usr/bin/davmail-server', '/usr/bin/davmail']) if (fs.existsSync(launcher)) return [launcher];
  throw new Error(`DavMail packages (${pkgs.join(', ')}) are installed but neither ${DAVMAIL_JAR} nor a launcher in /usr/bin exists`);
}

export interface DavmailOptions {
  /** the gateway's EWS URL; the path is replaced by the lower-case /ews/exchange.asmx DavMail posts to */
  ewsUrl: string;
  /** log4j level of the davmail logger (DEBUG shows every EWS call and IMAP command); default DEBUG */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN';
  /** davmail.imapIdleDelay in minutes (>= 1; DavMail's unit); default 1 */
  imapIdleDelayMinutes?: number;
  /** more davmail.* properties (they win) */
  properties?: Record<string, string>;
}

export interface Davmail {
  imapPort: number;
  smtpPort: number;
  caldavPort: number;
  ldapPort: number;
  /** davmail.url as written */
  url: string;
  dir: string;
  propertiesFile: string;
  logFile: string;
  /** spawn to the IMAP greeting, ms */
  startupMs: number;
  /** the last lines of DavMail's log and console output */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

function deathSigPrefix(): string[] {
  return fs.existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'TERM', '--'] : [];
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function tailOf(file: string, lines: number): string {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${(e as Error).message})`;
  }
}

/** Resolves with the first line a server sends on `port`, or rejects (not listening, timeout). */
export function firstLine(port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (err: Error | null, line = '') => {
      sock.destroy();
      if (err) reject(err);
      else resolve(line);
    };
    sock.setTimeout(timeoutMs, () => done(new Error(`no greeting on port ${port}`)));
    sock.on('error', (e) => done(e));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(null, buf.slice(0, nl).replace(/\r$/, ''));
    });
  });
}

export function davmailProperties(o: {
  url: string;
  imapPort: number;
  smtpPort: number;
  caldavPort: number;
  ldapPort: number;
  logFile: string;
  logLevel: string;
  imapIdleDelayMinutes: number;
  extra: Record<string, string>;
}): string {
  const props: Record<string, string> = {
    'davmail.server': 'true',
    'davmail.mode': 'EWS',
    'davmail.url': o.url,
    'davmail.imapPort': String(o.imapPort),
    'davmail.smtpPort': String(o.smtpPort),
    'davmail.caldavPort': String(o.caldavPort),
    'davmail.ldapPort': String(o.ldapPort),
    'davmail.popPort': '',
    'davmail.allowRemote': 'false',
    'davmail.bindAddress': '127.0.0.1',
    'davmail.disableUpdateCheck': 'true',
    'davmail.enableKeepAlive': 'false',
    'davmail.enableProxy': 'false',
    'davmail.useSystemProxies': 'false',
    'davmail.enableKerberos': 'false',
    'davmail.ssl.nosecureimap': 'false',
    'davmail.ssl.nosecurecaldav': 'false',
    'davmail.ssl.nosecuresmtp': 'false',
    'davmail.ssl.nosecureldap': 'false',
    'davmail.imapAutoExpunge': 'true',
    'davmail.imapIdleDelay': String(o.imapIdleDelayMinutes),
    'davmail.folderSizeLimit': '0',
    'davmail.caldavPastDelay': '0',
    'davmail.keepDelay': '30',
    'davmail.sentKeepDelay': '0',
    'davmail.smtpSaveInSent': 'true',
    'davmail.logFilePath': o.logFile,
    'davmail.logFileSize': '0',
    'log4j.rootLogger': 'WARN',
    'log4j.logger.davmail': o.logLevel,
    'log4j.logger.httpclient.wire': 'WARN',
    'log4j.logger.org.apache.http.wire': 'WARN',
    'log4j.logger.org.apache.http': 'WARN',
    ...o.extra,
  };
  return (
    '# written by test/clients/davmail/harness.ts: DavMail in server mode in front of ewsgate\n' +
    Object.entries(props)
      .map(([k, v]) => `${k}=${v.replace(/\\/g, '\\\\')}`)
      .join('\n') +
    '\n'
  );
}

/** Starts one DavMail (server mode, loopback only) pointed at `ewsUrl`; resolves when its IMAP port greets. */
export async function startDavmail(opts: DavmailOptions): Promise<Davmail> {
  const argv = ensureDavmail();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ewsgate-davmail-'));
  const ports = new Set<number>();
  while (ports.size < 4) ports.add(await freePort());
  const [imapPort, smtpPort, caldavPort, ldapPort] = [...ports] as [number, number, number, number];
  const u = new URL(opts.ewsUrl);
  const url = `${u.protocol}//${u.host}/ews/exchange.asmx`;
  const logFile = path.join(dir, 'davmail.log');
  const consoleFile = path.join(dir, 'console.log');
  const propertiesFile = path.join(dir, 'davmail.properties');
  fs.writeFileSync(
    propertiesFile,
    davmailProperties({
      url,
      imapPort,
      smtpPort,
      caldavPort,
      ldapPort,
      logFile,
      logLevel: opts.logLevel ?? 'DEBUG',
      imapIdleDelayMinutes: Math.max(1, Math.floor(opts.imapIdleDelayMinutes ?? 1)),
      extra: opts.properties ?? {},
    }),
  );

  const full = [...deathSigPrefix(), ...argv, propertiesFile];
  const fd = fs.openSync(consoleFile, 'a');
  const t0 = performance.now();
  let child: ChildProcess;
  try {
    // cwd = dir: DavMail writes nothing else, but keep anything it might write out of the repo
    child = spawn(full[0]!, full.slice(1), { cwd: dir, stdio: ['ignore', fd, fd], env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } });
  } finally {
    fs.closeSync(fd);
  }
  const logTail = (lines = 60) => `--- ${consoleFile} ---\n${tailOf(consoleFile, lines)}\n--- ${logFile} ---\n${tailOf(logFile, lines)}`;

  const stop = async () => {
    if (!exited(child)) {
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => {
        if (!exited(child)) child.kill('SIGKILL');
      }, 5000);
      await gone;
      clearTimeout(t);
    }
    if (process.env.EWSGATE_KEEP_TMP !== '1') fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastErr = '';
  for (;;) {
    if (exited(child)) {
      const tail = logTail();
      await stop();
      throw new Error(`DavMail exited during startup (code ${child.exitCode}, signal ${child.signalCode})\n${tail}`);
    }
    try {
      const line = await firstLine(imapPort);
      if (/^\* OK /.test(line)) break;
      lastErr = `unexpected greeting: ${line}`;
    } catch (e) {
      lastErr = (e as Error).message;
    }
    if (Date.now() > deadline) {
      const tail = logTail();
      await stop();
      throw new Error(`DavMail did not open its IMAP port ${imapPort} within ${START_TIMEOUT_MS} ms (${lastErr})\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const startupMs = Math.round(performance.now() - t0);
  return { imapPort, smtpPort, caldavPort, ldapPort, url, dir, propertiesFile, logFile, startupMs, logTail, stop };
}

// ---------------------------------------------------------------- a raw IMAP client

export interface ImapResponse {
  /** tagged status line without the tag, e.g. "OK FETCH completed" */
  status: string;
  /** untagged lines ("* ..."), literals replaced by {n} markers; see `literals` */
  untagged: string[];
  /** every literal of the response, in order, byte-exact */
  literals: Buffer[];
  /** untagged lines with their literals (the text of a line that carried a literal ends with `{n}`) */
  items: { line: string; literals: Buffer[] }[];
}

function imapQuote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * A minimal IMAP client on a raw socket: literals are read byte-exactly (for
 * BODY[] comparisons) and APPEND sends a synchronizing literal. For DavMail or
 * Dovecot alike. Every command has a timeout.
 */
export class DavImap {
  private sock: net.Socket;
  private buf = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private failure: Error | null = null;
  private tagNo = 0;
  greeting = '';

  /** true once the connection failed or was closed (DavMail closes it after a BAD) */
  get closed(): boolean {
    return this.failure !== null || this.sock.destroyed;
  }

  private constructor(sock: net.Socket) {
    this.sock = sock;
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    sock.on('error', (e) => {
      this.failure = e;
      this.wake();
    });
    sock.on('close', () => {
      this.failure ??= new Error('IMAP connection closed');
      this.wake();
    });
  }

  static async connect(port: number, timeoutMs = 10_000): Promise<DavImap> {
    const sock = net.connect({ host: '127.0.0.1', port });
    const c = new DavImap(sock);
    c.greeting = await c.withTimeout(c.readLine(), timeoutMs, 'greeting');
    return c;
  }

  /** Connects and LOGINs; throws with the tagged answer if it is not OK. */
  static async login(port: number, user: { email: string; password: string }, timeoutMs = 60_000): Promise<DavImap> {
    const c = await DavImap.connect(port);
    const r = await c.command(`LOGIN ${imapQuote(user.email)} ${imapQuote(user.password)}`, timeoutMs);
    if (!r.status.startsWith('OK')) {
      c.close();
      throw new Error(`IMAP LOGIN failed: ${r.status}`);
    }
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async more(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((r) => this.waiters.push(r));
  }

  private async readLine(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const line = this.buf.subarray(0, i).toString('utf8');
        this.buf = this.buf.subarray(i + 2);
        return line;
      }
      await this.more();
    }
  }

  private async readBytes(n: number): Promise<Buffer> {
    while (this.buf.length < n) await this.more();
    const out = Buffer.from(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    return out;
  }

  private async withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let t: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        p,
        new Promise<T>((_, rej) => {
          t = setTimeout(() => {
            rej(new Error(`IMAP ${what} timed out after ${ms} ms`));
            this.sock.destroy();
          }, ms);
        }),
      ]);
    } finally {
      clearTimeout(t);
    }
  }

  /** Reads one response line with any literals it carries. */
  private async readItem(): Promise<{ line: string; literals: Buffer[] }> {
    let line = await this.readLine();
    const literals: Buffer[] = [];
    for (;;) {
      const m = /\{(\d+)\}$/.exec(line);
      if (!m) break;
      const lit = await this.readBytes(Number(m[1]));
      literals.push(lit);
      line += `<literal ${literals.length - 1}>` + (await this.readLine());
    }
    return { line, literals };
  }

  private async readUntilTagged(tag: string, loose = false): Promise<ImapResponse> {
    const items: { line: string; literals: Buffer[] }[] = [];
    const inside = new RegExp(`(?<![A-Za-z])${tag} ((?:OK|NO|BAD)\\b.*)$`);
    for (;;) {
      const item = await this.readItem();
      if (item.line.startsWith(`${tag} `)) {
        return { status: item.line.slice(tag.length + 1), untagged: items.map((i) => i.line), literals: items.flatMap((i) => i.literals), items };
      }
      const m = loose ? inside.exec(item.line) : null;
      items.push(item);
      if (m) return { status: m[1]!, untagged: items.map((i) => i.line), literals: items.flatMap((i) => i.literals), items };
    }
  }

  /**
   * Sends one command (without tag) and reads up to its tagged answer. With
   * `loose`, a tagged answer glued to the end of an unfinished line counts
   * too (DavMail writes "* 1 FETCH (UID 1" before it loads a message and
   * goes on with the tagged OK when the message is gone).
   */
  async command(cmd: string, timeoutMs = 60_000, loose = false): Promise<ImapResponse> {
    const tag = `D${++this.tagNo}`;
    this.sock.write(`${tag} ${cmd}\r\n`);
    return this.withTimeout(this.readUntilTagged(tag, loose), timeoutMs, JSON.stringify(cmd.slice(0, 60)));
  }

  /** Writes raw bytes (pipelined commands; their tagged answers then show up among a later command's lines). */
  writeRaw(data: Buffer): void {
    this.sock.write(data);
  }

  /** APPEND with a synchronizing literal. */
  async append(mailbox: string, message: Buffer, flags: string[] = [], date?: string, timeoutMs = 60_000): Promise<ImapResponse> {
    const tag = `D${++this.tagNo}`;
    const run = async () => {
      this.sock.write(
        `${tag} APPEND ${imapQuote(mailbox)}${flags.length ? ` (${flags.join(' ')})` : ''}${date ? ` ${imapQuote(date)}` : ''} {${message.length}}\r\n`,
      );
      const cont = await this.readItem();
      if (!cont.line.startsWith('+')) {
        // an immediate tagged NO/BAD
        if (cont.line.startsWith(`${tag} `)) return { status: cont.line.slice(tag.length + 1), untagged: [], literals: [], items: [] };
        throw new Error(`APPEND: expected a continuation, got ${cont.line}`);
      }
      this.sock.write(Buffer.concat([message, Buffer.from('\r\n')]));
      return this.readUntilTagged(tag);
    };
    return this.withTimeout(run(), timeoutMs, 'APPEND');
  }

  /**
   * IDLE: waits (up to timeoutMs) for an untagged line matching `until`, then
   * sends DONE. `onIdling` runs once the server has accepted IDLE. Returns the
   * untagged lines seen and the tagged status.
   */
  async idle(
    until: RegExp,
    timeoutMs: number,
    onIdling?: () => Promise<void> | void,
  ): Promise<{ seen: string[]; matched: boolean; status: string; ms: number }> {
    const tag = `D${++this.tagNo}`;
    this.sock.write(`${tag} IDLE\r\n`);
    const first = await this.withTimeout(this.readItem(), 30_000, 'IDLE continuation');
    if (!first.line.startsWith('+')) throw new Error(`IDLE refused: ${first.line}`);
    const t0 = performance.now();
    if (onIdling) await onIdling();
    let doneSent = false;
    const sendDone = () => {
      if (doneSent) return;
      doneSent = true;
      this.sock.write('DONE\r\n');
    };
    const timer = setTimeout(sendDone, timeoutMs);
    const seen: string[] = [];
    let matched = false;
    let ms = 0;
    try {
      for (;;) {
        const item = await this.withTimeout(this.readItem(), timeoutMs + 30_000, 'IDLE');
        if (item.line.startsWith(`${tag} `)) return { seen, matched, status: item.line.slice(tag.length + 1), ms };
        seen.push(item.line);
        if (!matched && until.test(item.line)) {
          matched = true;
          ms = Math.round(performance.now() - t0);
          sendDone();
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  async logout(): Promise<void> {
    try {
      await this.command('LOGOUT', 5000);
    } catch {
      /* BYE closes the connection */
    }
    this.close();
  }

  close(): void {
    this.sock.destroy();
  }
}

// ---------------------------------------------------------------- an EWS recorder between DavMail and the gateway

export interface EwsExchange {
  method: string;
  path: string;
  /** the SOAP operation (first m:/messages element of the body), or "" */
  op: string;
  authorized: boolean;
  status: number;
  contentType: string | undefined;
  /** from the start of the request to the end of the response, as DavMail waits for it */
  ms: number;
  requestBytes: number;
  responseBytes: number;
  /** bodies, when the recorder keeps them */
  request?: string;
  response?: string;
}

export interface EwsRecorder {
  /** base URL to give DavMail instead of the gateway's */
  url: string;
  /** where requests go from now on (e.g. a restarted gateway on another port) */
  retarget(target: string): void;
  exchanges: EwsExchange[];
  /** the last `n` exchanges with their bodies, for failure messages */
  dump(n?: number, maxBody?: number): string;
  close(): Promise<void>;
}

/**
 * A transparent HTTP relay in front of the gateway that records every
 * exchange (operation, status, timing; bodies if `keepBodies`), so tests can
 * show exactly what DavMail sent and got, and the bench can see where the time
 * goes. It adds one loopback hop.
 */
export async function startEwsRecorder(target: string, opts: { keepBodies?: boolean } = {}): Promise<EwsRecorder> {
  let t = new URL(target);
  const exchanges: EwsExchange[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString('utf8');
      const op = /<(?:\w+:)?Body[^>]*>\s*<(?:\w+:)?(\w+)/.exec(text)?.[1] ?? '';
      const headers = { ...req.headers, host: t.host };
      const up = http.request({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers, agent }, (ur) => {
        const out: Buffer[] = [];
        ur.on('data', (c: Buffer) => out.push(c));
        ur.on('end', () => {
          const resBody = Buffer.concat(out);
          res.writeHead(ur.statusCode ?? 502, ur.rawHeaders);
          res.end(resBody);
          const ex: EwsExchange = {
            method: req.method ?? '',
            path: req.url ?? '',
            op,
            authorized: !!req.headers.authorization,
            status: ur.statusCode ?? 0,
            contentType: ur.headers['content-type'],
            ms: performance.now() - t0,
            requestBytes: body.length,
            responseBytes: resBody.length,
          };
          if (opts.keepBodies) {
            ex.request = text;
            ex.response = String(ur.headers['content-encoding'] ?? '') === 'gzip' ? safeGunzip(resBody) : resBody.toString('utf8');
          }
          exchanges.push(ex);
        });
      });
      up.on('error', (e) => {
        exchanges.push({
          method: req.method ?? '',
          path: req.url ?? '',
          op,
          authorized: !!req.headers.authorization,
          status: 502,
          contentType: undefined,
          ms: performance.now() - t0,
          requestBytes: body.length,
          responseBytes: 0,
          request: opts.keepBodies ? text : undefined,
          response: e.message,
        });
        res.writeHead(502, { 'Content-Type': 'text/plain' });
        res.end(`relay: ${e.message}`);
      });
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    retarget(next: string) {
      t = new URL(next);
    },
    exchanges,
    dump(n = 6, maxBody = 3000) {
      return exchanges
        .slice(-n)
        .map(
          (e) =>
            `>>> ${e.method} ${e.path} ${e.op} ${e.authorized ? '(Basic)' : '(no credentials)'} -> ${e.status} ${e.contentType ?? ''} in ${e.ms.toFixed(0)} ms\n` +
            (e.request ? `${bodyOf(e.request).slice(0, maxBody)}\n<<< ${bodyOf(e.response ?? '').slice(0, maxBody)}\n` : ''),
        )
        .join('');
    },
    close: () =>
      new Promise<void>((r) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The SOAP Body's content (the envelope's namespaces and headers say little); anything else as is. */
function bodyOf(xml: string): string {
  const m = /<(?:\w+:)?Body\b[^>]*>([\s\S]*)<\/(?:\w+:)?Body>/.exec(xml);
  return m ? m[1]! : xml;
}

function safeGunzip(b: Buffer): string {
  try {
    return zlib.gunzipSync(b).toString('utf8');
  } catch {
    return b.toString('utf8');
  }
}
