// Real backends for the tests: a private Dovecot (IMAP + LMTP), a private
// Radicale (CalDAV/CardDAV) and a private Postfix (SMTP in, LMTP into
// Dovecot; see postfix.ts), all on free loopback ports, with all state in
// one temp dir (Postfix's log excepted: /var/log/ewsgate-test). No mocks.
// test/run.ts starts them once per `npm test` and passes them to the test
// processes as EWSGATE_TEST_* (exportEnv / backendsFromEnv).
//
// Facts that shaped this file (Dovecot 2.3.19, Radicale 3.1.8, Debian 12):
//  - Dovecot's passwd-file driver stat()s its file at most once per second
//    (db-passwd-file.c passwd_file_sync: `if (pw->last_sync_time ==
//    ioloop_time) return cached`). A user appended in the same second as an
//    earlier lookup is then "unknown" until the next second (checked: 10 of
//    20 add-then-login rounds failed). So Dovecot reads one passwd-file per
//    user (path `users/%Lu`): a new user means a new file, stat()ed on its
//    first lookup. `passwdFile` is still appended with every user (same
//    format), as the list of all users.
//  - A failed login is answered only by a 500 ms timer, even with
//    auth_failure_delay = 0, and it puts 127.0.0.1 into anvil's auth penalty:
//    every later login from there waits 2, 4, ... 15 s. The passdb extra
//    field `nodelay` avoids both, but fields of a failing passdb are rolled
//    back, so it comes from a first passdb that only sets fields
//    (static, noauthenticate).
//  - With maildir++ a "." in a mailbox name is refused ("Character not
//    allowed in mailbox name") unless the listescape plugin is loaded.
//  - Dovecot's login processes refuse to run as root and mail needs a uid >=
//    first_valid_uid (default 500): as root we use dovenull/dovecot and a
//    `vmail` user; as non-root everything runs as us without chroot.
//  - addUser allows "+" in names, but Dovecot refused such users: its
//    default auth_username_chars lacks "+" (IMAP login failed), and LMTP
//    splits "+detail" off the address (recipient_delimiter, default "+")
//    before the user lookup (550 "User doesn't exist: a@..." for "a+b@...").
//    "+" is allowed and the delimiter is off.
//  - Dovecot's master waits ~1 s for its log process on SIGTERM unless the
//    children get SIGTERM too.
//  - Radicale's htpasswd backend re-reads the file on every login; it writes
//    "@" in hrefs as %40.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { startPostfix, type PostfixInstance } from './postfix.js';

export interface TestUser {
  name: string;
  email: string;
  password: string;
}

export interface Backends {
  /** temp dir holding everything */
  dir: string;
  /** imap://127.0.0.1:PORT (plain, no TLS; LOGIN/AUTH PLAIN allowed) */
  imapUrl: string;
  imapPort: number;
  /** Dovecot LMTP on 127.0.0.1 (for delivery tests, e.g. via nodemailer's lmtp option or Postfix) */
  lmtpPort: number;
  /**
   * Postfix, smtp://127.0.0.1:PORT: no TLS, no AUTH, accepts from 127.0.0.1.
   * Delivers the test domain into Dovecot by LMTP (a recipient Dovecot does
   * not know is bounced to the envelope sender); mail to any other domain is
   * accepted and discarded.
   */
  smtpUrl: string;
  smtpPort: number;
  /** Radicale base, http://127.0.0.1:PORT/ */
  davUrl: string;
  davPort: number;
  /** all users, Dovecot passwd-file format (`email:{PLAIN}pw::::::`) */
  passwdFile: string;
  /** Radicale's htpasswd (plain: `email:pw`) */
  htpasswdFile: string;
  /**
   * A DAV-only account (not in Dovecot) that Radicale's rights let read every
   * user's collections, read-only: the gateway's free/busy credential
   * (EWSGATE_FREEBUSY_USER). Every other user keeps owner-only access.
   */
  freeBusy: { login: string; password: string };
  logFiles: string[];
  /** mail domain of every test user: example.test */
  domain: string;
  /** the private dovecot.conf; usable with `doveadm -c FILE ...` */
  dovecotConf: string;
  /** dir with one Dovecot passwd-file per user (what Dovecot actually reads) */
  usersDir: string;
  /**
   * Creates a user (random unique name if none; `name` may be a local part or
   * a full address) in both servers, usable at once. Login name for IMAP and
   * DAV is the email address. Throws if the user already exists. Safe to call
   * from several processes at once.
   */
  addUser(name?: string, password?: string, opts?: AddUserOptions): Promise<TestUser>;
  /** Stops all servers and removes the temp dir (unless EWSGATE_KEEP_TMP=1). No-op for backendsFromEnv(). */
  stop(): Promise<void>;
}

export const TEST_DOMAIN = 'example.test';

const DOVECOT_BIN = '/usr/sbin/dovecot';
const RADICALE_BIN = '/usr/bin/radicale'; // Debian's; `#!/usr/bin/python3`, not the pyenv python3 on PATH
const START_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------- helpers

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** A free TCP port on 127.0.0.1 (bind port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tail(file: string, lines = 40): string {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${(e as Error).message})`;
  }
}

function idOf(user: string, flag: '-u' | '-g'): number | undefined {
  const r = spawnSync('id', [flag, user], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const n = Number(r.stdout.trim());
  return Number.isInteger(n) ? n : undefined;
}

/** Creates the `vmail` system user (and group) if it does not exist yet. Root only. */
function ensureVmailUser(): { uid: number; gid: number } {
  let uid = idOf('vmail', '-u');
  if (uid === undefined) {
    const r = spawnSync(
      'useradd',
      ['--system', '--user-group', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/usr/sbin/nologin', 'vmail'],
      { encoding: 'utf8' },
    );
    uid = idOf('vmail', '-u'); // another process may have created it meanwhile
    if (uid === undefined) throw new Error(`cannot create the vmail user: ${r.stderr || r.error?.message}`);
  }
  const gid = idOf('vmail', '-g');
  if (gid === undefined) throw new Error('vmail user has no group');
  return { uid, gid };
}

/** Prefix that makes a child get SIGTERM when we die (so no orphaned servers). */
function deathSigPrefix(): string[] {
  return fs.existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'TERM', '--'] : [];
}

function spawnServer(argv: string[], logFile: string, env: NodeJS.ProcessEnv): ChildProcess {
  const full = [...deathSigPrefix(), ...argv];
  const fd = fs.openSync(logFile, 'a');
  try {
    return spawn(full[0]!, full.slice(1), { stdio: ['ignore', fd, fd], env, detached: false });
  } finally {
    fs.closeSync(fd);
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitFor(
  what: string,
  child: ChildProcess,
  logFile: string,
  probe: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastErr = '';
  while (Date.now() < deadline) {
    if (exited(child)) {
      throw new Error(
        `${what} exited during startup (code ${child.exitCode}, signal ${child.signalCode}). ` +
          `Log tail of ${logFile}:\n${tail(logFile)}`,
      );
    }
    try {
      if (await probe()) return;
    } catch (e) {
      lastErr = (e as Error).message;
    }
    await sleep(25);
  }
  throw new Error(
    `${what} did not become ready within ${START_TIMEOUT_MS} ms (last probe error: ${lastErr}). ` +
      `Log tail of ${logFile}:\n${tail(logFile)}`,
  );
}

/** Connects, reads the first line, resolves true if it starts with `expect`. */
function greeting(port: number, expect: RegExp, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    let buf = '';
    const done = (err: Error | null, ok = false) => {
      sock.destroy();
      if (err) reject(err);
      else resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(new Error(`no greeting on port ${port}`)));
    sock.on('error', (e) => done(e));
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        const line = buf.slice(0, nl);
        if (expect.test(line)) done(null, true);
        else done(new Error(`unexpected greeting on port ${port}: ${line}`));
      }
    });
  });
}

async function httpAnswers(url: string): Promise<boolean> {
  const res = await fetch(url, { method: 'OPTIONS', signal: AbortSignal.timeout(2000) });
  await res.arrayBuffer();
  return res.status > 0;
}

/** Direct children of `pid` (Linux /proc). */
function childPids(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * SIGTERM (then SIGKILL after timeoutMs) and wait for exit. With
 * `alsoChildren`, its direct children get SIGTERM too: Dovecot's master
 * otherwise waits ~1 s for its log process before exiting.
 */
async function stopChild(child: ChildProcess, opts: { alsoChildren?: boolean; timeoutMs?: number } = {}): Promise<void> {
  if (exited(child)) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  const kids = opts.alsoChildren && child.pid ? childPids(child.pid) : [];
  child.kill('SIGTERM');
  for (const k of kids) {
    try {
      process.kill(k, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  const timeoutMs = opts.timeoutMs ?? 5000;
  const t = setTimeout(() => {
    if (!exited(child)) child.kill('SIGKILL');
  }, timeoutMs);
  await gone;
  clearTimeout(t);
}

// ---------------------------------------------------------------- config files

interface Accounts {
  mailUser: string;
  mailUid: number;
  mailGid: number;
  loginUser: string;
  internalUser: string;
  /** rootless only: our primary group, for Dovecot's internal sockets */
  internalGroup?: string;
  root: boolean;
}

function accounts(): Accounts {
  if (isRoot()) {
    const { uid, gid } = ensureVmailUser();
    return { mailUser: 'vmail', mailUid: uid, mailGid: gid, loginUser: 'dovenull', internalUser: 'dovecot', root: true };
  }
  // Rootless Dovecot: every process runs as us, no chroot.
  const me = os.userInfo();
  const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim() || String(me.gid);
  return {
    mailUser: me.username,
    mailUid: me.uid,
    mailGid: me.gid,
    loginUser: me.username,
    internalUser: me.username,
    internalGroup: group,
    root: false,
  };
}

/**
 * Dovecot's push_notification Lua driver with ewsgate's script (examples/dovecot/): every
 * mail transaction POSTs its events to `url`. Loaded by default with an empty url (the
 * script then does nothing): a test points its own users at its gateway with the userdb
 * fields `ewsgate_events_url` / `ewsgate_events_secret` (addUser's `userdb` option), which
 * override these per user. `dovecotPush: false` leaves the driver out.
 */
export interface DovecotPush {
  url: string;
  secret: string;
  script: string;
}

export const DOVECOT_PUSH_SCRIPT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'examples', 'dovecot', 'ewsgate-push.lua');

function dovecotPushOf(p: Partial<DovecotPush> | false | undefined): DovecotPush | undefined {
  if (p === false) return undefined;
  const script = p?.script ?? DOVECOT_PUSH_SCRIPT;
  if (!fs.existsSync(script)) return undefined;
  return { script, url: p?.url ?? process.env.EWSGATE_TEST_EVENTS_URL ?? '', secret: p?.secret ?? process.env.EWSGATE_TEST_EVENTS_SECRET ?? '' };
}

function dovecotPushConfig(p: DovecotPush): string {
  const value = (s: string) => (/^[^\s"#{}\\]*$/.test(s) ? s : `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
  return `plugin {
  push_notification_driver = lua:file=${p.script}
  ewsgate_events_url = ${value(p.url)}
  ewsgate_events_secret = ${value(p.secret)}
}
`;
}

function dovecotConfig(o: {
  push?: DovecotPush;
  dir: string;
  imapPort: number;
  lmtpPort: number;
  acc: Accounts;
  debug: boolean;
}): string {
  const { dir, acc } = o;
  const chroot = acc.root ? '' : '  chroot =\n';
  const rootlessServices = acc.root
    ? ''
    : `service auth-worker {\n  user = $default_internal_user\n}\nservice anvil {\n  chroot =\n}\n`;
  return `# ewsgate test Dovecot (generated by test/harness/backends.ts)
instance_name = ewsgate-test-${path.basename(dir)}
base_dir = ${dir}/dovecot-run
state_dir = ${dir}/dovecot-state
log_path = ${dir}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_cache_size = 0
auth_username_format = %Lu
# the default set without "+", which addUser allows in local parts
auth_username_chars = abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ01234567890.-_@+
auth_verbose = yes
${o.debug ? 'auth_debug = yes\nmail_debug = yes\nlog_debug = category=imap\n' : ''}
default_login_user = ${acc.loginUser}
default_internal_user = ${acc.internalUser}
${acc.internalGroup ? `default_internal_group = ${acc.internalGroup}\n` : ''}first_valid_uid = ${Math.min(acc.mailUid, 500)}
first_valid_gid = ${Math.min(acc.mailGid, 1)}
default_process_limit = 500
default_client_limit = 5000
default_vsz_limit = 0
verbose_proctitle = yes

mail_location = maildir:~/Maildir
mail_fsync = never
# allows "." (and other escaped characters) in mailbox names with maildir++
mail_plugins = $mail_plugins listescape${o.push ? ' mail_lua notify push_notification push_notification_lua' : ''}
${o.push ? dovecotPushConfig(o.push) : ''}
# Fail logins at once: "nodelay" skips the failure delay (a 500 ms timer
# even with auth_failure_delay = 0) and anvil's per-IP auth penalty (else
# every later login from 127.0.0.1 waits 2..15 s after one bad password).
# It must come from a passdb that "succeeds" (noauthenticate = NEXT): the
# fields of a failing passdb are rolled back.
passdb {
  driver = static
  args = noauthenticate nodelay=yes
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%Lu ${dir}/users/%Lu
}
userdb {
  driver = passwd-file
  args = username_format=%Lu ${dir}/users/%Lu
  default_fields = uid=${acc.mailUid} gid=${acc.mailGid} home=${dir}/mail/%Ld/%Ln
}

namespace inbox {
  inbox = yes
  separator = /
  prefix =
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}

protocol imap {
  mail_max_userip_connections = 200
}
protocol lmtp {
  postmaster_address = postmaster@${TEST_DOMAIN}
}
# LMTP (and so Postfix) delivers to the user named by the full address: with
# the default "+" Dovecot looks up "a@d" for "a+b@d" (550 for a user that
# addUser named "a+b"). So no +detail addressing: "u+tag@d" is unknown.
recipient_delimiter =

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${o.imapPort}
  }
  inet_listener imaps {
    port = 0
  }
  # high-performance mode: long-lived login processes
  service_count = 0
  process_min_avail = 1
${chroot}}
service imap {
  process_limit = 1000
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${o.lmtpPort}
  }
}
${rootlessServices}`;
}

// Radicale's owner_only rule set spelled out (root R, own principal RW, own
// collections rw: 3.1.8's rights/owner_only.py), then the free/busy reader's read-only
// access to everything else. The first section whose user and collection match wins,
// so the reader's own principal and collections stay its own (RW/rw).
function radicaleRights(freeBusyLogin: string): string {
  return `# ewsgate test Radicale rights (generated by test/harness/backends.ts)
[root]
user: .+
collection:
permissions: R

[principal]
user: .+
collection: {user}
permissions: RW

[calendars]
user: .+
collection: {user}/[^/]+
permissions: rw

[freebusy-reader]
user: ${freeBusyLogin.replace(/[.+]/g, '\\$&')}
collection: .*
permissions: Rr
`;
}

function radicaleConfig(o: { dir: string; davPort: number; htpasswd: string; rights: string; debug: boolean }): string {
  return `# ewsgate test Radicale (generated by test/harness/backends.ts)
[server]
hosts = 127.0.0.1:${o.davPort}
max_connections = 64

[auth]
type = htpasswd
htpasswd_filename = ${o.htpasswd}
htpasswd_encryption = plain
delay = 0

[rights]
type = from_file
file = ${o.rights}

[storage]
filesystem_folder = ${o.dir}/dav

[web]
type = none

[logging]
level = ${o.debug ? 'debug' : 'warning'}
`;
}

// ---------------------------------------------------------------- users

interface UserFiles {
  dir: string;
  domain: string;
  usersDir: string;
  passwdFile: string;
  htpasswdFile: string;
}

const LOCAL_RE = /^[a-z0-9][a-z0-9._+-]*$/;
const DOMAIN_RE = /^[a-z0-9][a-z0-9.-]*$/;

export interface AddUserOptions {
  /** Dovecot userdb extra fields (and so plugin settings) for this user, e.g. ewsgate_events_url. */
  userdb?: Record<string, string>;
}

async function addUserTo(f: UserFiles, name?: string, password?: string, opts: AddUserOptions = {}): Promise<TestUser> {
  let local = (name ?? `u${Date.now().toString(36)}${randomBytes(4).toString('hex')}`).toLowerCase();
  let domain = f.domain;
  if (local.includes('@')) [local, domain] = local.split('@', 2) as [string, string];
  if (!LOCAL_RE.test(local) || !DOMAIN_RE.test(domain)) {
    throw new Error(`addUser: unusable user name ${JSON.stringify(name)} (use [a-z0-9._+-])`);
  }
  const pw = password ?? randomBytes(12).toString('base64url');
  if (/[:\r\n]/.test(pw) || pw.length === 0) {
    throw new Error('addUser: password must be non-empty and contain no ":" or newline');
  }
  const email = `${local}@${domain}`;
  const extra = Object.entries(opts.userdb ?? {}).map(([k, v]) => {
    if (!/^[a-z0-9_]+$/i.test(k) || /[\s\r\n]/.test(v)) throw new Error(`addUser: unusable userdb field ${k}=${JSON.stringify(v)}`);
    return `userdb_${k}=${v}`;
  });
  const line = `${email}:{PLAIN}${pw}::::::${extra.join(' ')}\n`;
  // O_EXCL makes the name unique even across processes.
  try {
    fs.writeFileSync(path.join(f.usersDir, email), line, { flag: 'wx', mode: 0o644 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(`addUser: user ${email} already exists`);
    throw e;
  }
  // Single write() each with O_APPEND: atomic enough for concurrent appenders.
  fs.appendFileSync(f.passwdFile, line, { mode: 0o644 });
  fs.appendFileSync(f.htpasswdFile, `${email}:${pw}\n`, { mode: 0o644 });
  return { name: local, email, password: pw };
}

// ---------------------------------------------------------------- start / env

// Safety net for a process that exits without stop(): the servers get
// SIGTERM (they also get it from the kernel via setpriv --pdeathsig if we are
// killed outright) and the temp dirs go (unless EWSGATE_KEEP_TMP=1).
const liveChildren = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of liveChildren) if (!exited(c)) c.kill('SIGTERM');
    if (process.env.EWSGATE_KEEP_TMP === '1') return;
    for (const d of liveDirs) {
      try {
        fs.rmSync(d, { recursive: true, force: true });
      } catch {
        /* best effort */
      }
    }
  });
}

export async function startBackends(opts: { dovecotPush?: Partial<DovecotPush> | false } = {}): Promise<Backends> {
  const push = dovecotPushOf(opts.dovecotPush);
  for (const bin of [DOVECOT_BIN, RADICALE_BIN]) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} not found: install the Debian packages (see test/harness/packages.ts)`);
  }
  // The free ports are found by binding port 0 and closing again, so another
  // process may take one before our servers bind it: try again with new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(push);
    } catch (e) {
      if (attempt < 3 && /Address already in use|EADDRINUSE/i.test((e as Error).message)) continue;
      throw e;
    }
  }
}

async function startOnce(push: DovecotPush | undefined): Promise<Backends> {
  const debug = process.env.EWSGATE_TEST_DEBUG === '1';
  const acc = accounts();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ewsgate-'));
  fs.chmodSync(dir, 0o755); // Dovecot's unprivileged processes must traverse it
  installExitHook();
  liveDirs.add(dir);

  const usersDir = path.join(dir, 'users');
  const mailDir = path.join(dir, 'mail');
  const davDir = path.join(dir, 'dav');
  for (const d of [usersDir, mailDir, davDir]) {
    fs.mkdirSync(d);
    fs.chmodSync(d, 0o755);
  }
  if (acc.root) {
    fs.chownSync(mailDir, acc.mailUid, acc.mailGid);
    fs.chmodSync(mailDir, 0o770);
  }
  const passwdFile = path.join(dir, 'passwd');
  const htpasswdFile = path.join(dir, 'htpasswd');
  fs.writeFileSync(passwdFile, '', { mode: 0o644 });
  fs.writeFileSync(htpasswdFile, '', { mode: 0o644 });
  const dovecotLog = path.join(dir, 'dovecot.log');
  const radicaleLog = path.join(dir, 'radicale.log');
  const [imapPort, lmtpPort, davPort, smtpPort] = (await freePorts(4)) as [number, number, number, number];

  const dovecotConf = path.join(dir, 'dovecot.conf');
  fs.writeFileSync(dovecotConf, dovecotConfig({ dir, imapPort, lmtpPort, acc, debug, push }));
  const freeBusy = { login: `freebusy@${TEST_DOMAIN}`, password: randomBytes(12).toString('base64url') };
  fs.appendFileSync(htpasswdFile, `${freeBusy.login}:${freeBusy.password}\n`);
  const radicaleRightsFile = path.join(dir, 'radicale.rights');
  fs.writeFileSync(radicaleRightsFile, radicaleRights(freeBusy.login), { mode: 0o644 });
  const radicaleConf = path.join(dir, 'radicale.conf');
  fs.writeFileSync(radicaleConf, radicaleConfig({ dir, davPort, htpasswd: htpasswdFile, rights: radicaleRightsFile, debug }));

  // Debian's binaries, without pyenv's or the caller's environment
  const cleanEnv: NodeJS.ProcessEnv = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: dir };

  let dovecot: ChildProcess | undefined;
  let radicale: ChildProcess | undefined;
  let postfix: PostfixInstance | undefined;
  const killAll = async () => {
    await Promise.all([
      dovecot && stopChild(dovecot, { alsoChildren: true }),
      radicale && stopChild(radicale),
      postfix?.stop(),
    ]);
    for (const c of [dovecot, radicale]) if (c) liveChildren.delete(c);
  };
  const removeDir = () => {
    liveDirs.delete(dir);
    if (process.env.EWSGATE_KEEP_TMP === '1') return;
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const davUrl = `http://127.0.0.1:${davPort}/`;
  try {
    dovecot = spawnServer([DOVECOT_BIN, '-c', dovecotConf, '-F'], dovecotLog, cleanEnv);
    liveChildren.add(dovecot);
    radicale = spawnServer([RADICALE_BIN, '--config', radicaleConf], radicaleLog, cleanEnv);
    liveChildren.add(radicale);
    const d = dovecot;
    const r = radicale;
    // allSettled: on a failure, nothing may still be starting when killAll runs
    const results = await Promise.allSettled([
      waitFor('dovecot (imap)', d, dovecotLog, () => greeting(imapPort, /^\* OK /)).then(() =>
        waitFor('dovecot (lmtp)', d, dovecotLog, () => greeting(lmtpPort, /^220 /)),
      ),
      waitFor('radicale', r, radicaleLog, () => httpAnswers(davUrl)),
      startPostfix({ dir, lmtpPort, domain: TEST_DOMAIN, smtpPort, debug }).then((p) => {
        postfix = p;
      }),
    ]);
    const failed = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (e) {
    await killAll();
    removeDir();
    throw e;
  }

  const files: UserFiles = { dir, domain: TEST_DOMAIN, usersDir, passwdFile, htpasswdFile };
  const pf = postfix!;
  let stopped = false;
  return {
    dir,
    imapUrl: `imap://127.0.0.1:${imapPort}`,
    imapPort,
    lmtpPort,
    smtpUrl: pf.smtpUrl,
    smtpPort: pf.smtpPort,
    davUrl,
    davPort,
    passwdFile,
    htpasswdFile,
    freeBusy,
    logFiles: [dovecotLog, radicaleLog, pf.logFile],
    domain: TEST_DOMAIN,
    dovecotConf,
    usersDir,
    addUser: (name?: string, password?: string, opts?: AddUserOptions) => addUserTo(files, name, password, opts),
    async stop() {
      if (stopped) return;
      stopped = true;
      await killAll();
      removeDir();
    },
  };
}

const ENV = {
  dir: 'EWSGATE_TEST_DIR',
  imapUrl: 'EWSGATE_TEST_IMAP_URL',
  imapPort: 'EWSGATE_TEST_IMAP_PORT',
  lmtpPort: 'EWSGATE_TEST_LMTP_PORT',
  smtpUrl: 'EWSGATE_TEST_SMTP_URL',
  smtpPort: 'EWSGATE_TEST_SMTP_PORT',
  davUrl: 'EWSGATE_TEST_DAV_URL',
  davPort: 'EWSGATE_TEST_DAV_PORT',
  passwdFile: 'EWSGATE_TEST_PASSWD_FILE',
  htpasswdFile: 'EWSGATE_TEST_HTPASSWD_FILE',
  freeBusyLogin: 'EWSGATE_TEST_FREEBUSY_LOGIN',
  freeBusyPassword: 'EWSGATE_TEST_FREEBUSY_PASSWORD',
  logFiles: 'EWSGATE_TEST_LOG_FILES',
  domain: 'EWSGATE_TEST_DOMAIN',
  dovecotConf: 'EWSGATE_TEST_DOVECOT_CONF',
  usersDir: 'EWSGATE_TEST_USERS_DIR',
} as const;

/** The EWSGATE_TEST_* variables describing `b` (logFiles joined with path.delimiter). */
export function exportEnv(b: Backends): Record<string, string> {
  return {
    [ENV.dir]: b.dir,
    [ENV.imapUrl]: b.imapUrl,
    [ENV.imapPort]: String(b.imapPort),
    [ENV.lmtpPort]: String(b.lmtpPort),
    [ENV.smtpUrl]: b.smtpUrl,
    [ENV.smtpPort]: String(b.smtpPort),
    [ENV.davUrl]: b.davUrl,
    [ENV.davPort]: String(b.davPort),
    [ENV.passwdFile]: b.passwdFile,
    [ENV.htpasswdFile]: b.htpasswdFile,
    [ENV.freeBusyLogin]: b.freeBusy.login,
    [ENV.freeBusyPassword]: b.freeBusy.password,
    [ENV.logFiles]: b.logFiles.join(path.delimiter),
    [ENV.domain]: b.domain,
    [ENV.dovecotConf]: b.dovecotConf,
    [ENV.usersDir]: b.usersDir,
  };
}

/**
 * Rebuilds the Backends object from the EWSGATE_TEST_* variables set by
 * test/run.ts. Its stop() kills nothing (the runner owns the servers).
 */
export function backendsFromEnv(env: NodeJS.ProcessEnv = process.env): Backends {
  const get = (k: string): string => {
    const v = env[k];
    if (!v) {
      throw new Error(
        `${k} is not set: run the tests through the harness runner ` +
          '(`npm test` or `node --import tsx test/run.ts [filter]`), which starts Dovecot, Radicale and Postfix.',
      );
    }
    return v;
  };
  const num = (k: string): number => {
    const n = Number(get(k));
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${k} is not a port number: ${env[k]}`);
    return n;
  };
  const dir = get(ENV.dir);
  const files: UserFiles = {
    dir,
    domain: env[ENV.domain] || TEST_DOMAIN,
    usersDir: env[ENV.usersDir] || path.join(dir, 'users'),
    passwdFile: get(ENV.passwdFile),
    htpasswdFile: get(ENV.htpasswdFile),
  };
  return {
    dir,
    imapUrl: get(ENV.imapUrl),
    imapPort: num(ENV.imapPort),
    lmtpPort: num(ENV.lmtpPort),
    smtpUrl: get(ENV.smtpUrl),
    smtpPort: num(ENV.smtpPort),
    davUrl: get(ENV.davUrl),
    davPort: num(ENV.davPort),
    passwdFile: files.passwdFile,
    htpasswdFile: files.htpasswdFile,
    freeBusy: { login: get(ENV.freeBusyLogin), password: get(ENV.freeBusyPassword) },
    logFiles: (env[ENV.logFiles] ?? '').split(path.delimiter).filter(Boolean),
    domain: files.domain,
    dovecotConf: env[ENV.dovecotConf] || path.join(dir, 'dovecot.conf'),
    usersDir: files.usersDir,
    addUser: (name?: string, password?: string, opts?: AddUserOptions) => addUserTo(files, name, password, opts),
    async stop() {
      /* the runner owns the servers */
    },
  };
}
