// A private Postfix for the tests: an SMTP listener on a free loopback port
// that delivers every recipient of the test domain into Dovecot by LMTP.
// Everything (config, queue, data) lives under `<dir>/postfix`; only the
// log file sits under /var/log/ewsgate-test (see below). test/harness/
// backends.ts starts one per test run next to Dovecot and Radicale.
//
// Facts that shaped this file (Postfix 3.7.11, Debian 12, checked on these
// machines):
//  - Postfix's master refuses to run unless uid 0 ("the master command is
//    reserved for the superuser"), so there is no rootless mode.
//  - A non-default config directory must be listed in the default
//    /etc/postfix/main.cf `alternate_config_directories` only for set-gid
//    commands run by non-root users (postdrop, postqueue, sendmail -C):
//    mail_conf_checkdir() is skipped when geteuid() == 0. We run everything
//    as root, so nothing is registered there. (On these machines
//    /etc/postfix/main.cf does not even exist -- "No configuration" -- and
//    creating it would arm the system's default instance:
//    postfix.service has ConditionPathExists=/etc/postfix/main.cf.)
//  - `maillog_file` must start with one of `maillog_file_prefixes` (default
//    /var, /dev/stdout); otherwise Postfix starts but does not listen
//    (DESIGN.md §9). With maillog_file set, master.cf needs the `postlog`
//    (postlogd) service. A fatal error before postlogd runs (e.g. the bind
//    of the SMTP port) is logged nowhere, not even to master's stderr.
//  - `postfix start` daemonizes the master; here PID 1 does not reap
//    orphans, so every stopped instance left zombies, and a killed test
//    runner would leave a live master. `postfix stop` also sleeps >= 1 s.
//    So we run `master -d` (stay in the foreground) under a tiny python
//    reaper: it is a child subreaper (PR_SET_CHILD_SUBREAPER), puts master
//    into its own session (master's SIGTERM handler kills its process group
//    with kill(-getpid()); with -d and no setsid that fails -- "fatal:
//    master_sigdeath: kill process group" -- and the daemons stay),
//    forwards SIGTERM and exits only when every Postfix process is gone. It
//    gets SIGTERM from the kernel (setpriv --pdeathsig) if we die. stop()
//    takes ~15 ms.
//  - Postfix re-reads a main.cf modified within the last ~2 s every 300 ms
//    until its mtime is old enough (dict_load_file_xt), which made the
//    master take 1.5-2 s to start: the generated files are backdated.
//  - We create the queue directories ourselves (owners/modes as in
//    postfix-files) instead of running postfix-script's checks.
//  - Recipients of the test domain are not checked at RCPT time
//    (virtual_mailbox_maps is empty), so SMTP accepts any local part. Dovecot's LMTP refuses an unknown user with 550 5.1.1 and
//    Postfix then BOUNCES it to the envelope sender (the other recipients of
//    the same message are delivered normally). Mail for any other domain is
//    accepted from 127.0.0.0/8 and silently DISCARDED (default/relay
//    transports are `discard:`): nothing ever leaves this host, and no
//    bounce lands in a test user's INBOX at some unpredictable moment.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export interface PostfixInstance {
  /** SMTP (no TLS, no AUTH; 127.0.0.0/8 may relay into the test domain) on 127.0.0.1 */
  smtpPort: number;
  /** smtp://127.0.0.1:PORT */
  smtpUrl: string;
  /** Postfix's maillog_file (/var/log/ewsgate-test/...; removed by stop() unless EWSGATE_KEEP_TMP=1) */
  logFile: string;
  /** the private config dir: `postqueue -c DIR -p`, `postconf -c DIR` work (as root) */
  configDir: string;
  queueDir: string;
  /** pid of Postfix's master process (also its process group id) */
  masterPid: number;
  /** Stops every process of the instance (resolves when they are all gone) and removes the log file. */
  stop(): Promise<void>;
}

export interface PostfixOptions {
  /** existing dir; the instance uses `<dir>/postfix` (left in place by stop()) */
  dir: string;
  /** Dovecot's LMTP port on 127.0.0.1 */
  lmtpPort: number;
  /** the one mail domain delivered into Dovecot (virtual_mailbox_domains) */
  domain: string;
  /** default: a free port */
  smtpPort?: number;
  /** more logging (smtpd/lmtp verbose peers) */
  debug?: boolean;
}

const MASTER_BIN = '/usr/lib/postfix/sbin/master'; // Debian's daemon_directory
const PYTHON_BIN = '/usr/bin/python3';
const LOG_DIR = '/var/log/ewsgate-test'; // maillog_file must be under /var
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

// Runs argv[1:] as a child in its own session, is a child subreaper for all
// of its descendants, forwards TERM/INT/HUP as TERM, exits when no
// descendant is left.
const REAPER_PY = `
import ctypes, os, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
child = 0
stopping = False
def on_signal(signum, frame):
    global stopping
    stopping = True
    if child > 0:
        try:
            os.kill(child, signal.SIGTERM)
        except ProcessLookupError:
            pass
for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, on_signal)
child = os.fork()
if child == 0:
    try:
        os.setsid()
        os.execv(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
if stopping:
    os.kill(child, signal.SIGTERM)
code = 1
while True:
    try:
        pid, status = os.wait()
    except ChildProcessError:
        break
    if pid == child:
        code = os.waitstatus_to_exitcode(status)
        code = 128 - code if code < 0 else code
sys.exit(code)
`;

// ---------------------------------------------------------------- helpers

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function freePort(): Promise<number> {
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

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE'));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(false)));
  });
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch (e) {
    return `(cannot read ${file}: ${(e as Error).message})`;
  }
}

function userId(name: string): number {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  if (r.status !== 0 || !Number.isInteger(n)) throw new Error(`startPostfix: no user "${name}" (is the postfix package installed?)`);
  return n;
}

function groupId(name: string): number {
  const r = spawnSync('getent', ['group', name], { encoding: 'utf8' });
  const n = Number(r.stdout?.split(':')[2]);
  if (r.status !== 0 || !Number.isInteger(n)) throw new Error(`startPostfix: no group "${name}" (is the postfix package installed?)`);
  return n;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Connects, reads the first line; true if it is an SMTP 220 greeting. */
function smtpGreeting(port: number, timeoutMs = 2000): Promise<boolean> {
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
      if (nl < 0) return;
      const line = buf.slice(0, nl);
      if (/^220[ -]/.test(line)) done(null, true);
      else done(new Error(`unexpected greeting on port ${port}: ${line}`));
    });
  });
}

// ---------------------------------------------------------------- config

function mainCf(o: { queueDir: string; dataDir: string; logFile: string; lmtpPort: number; domain: string; debug: boolean }): string {
  return `# ewsgate test Postfix (generated by test/harness/postfix.ts)
compatibility_level = 3.6
queue_directory = ${o.queueDir}
data_directory = ${o.dataDir}
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-ewsgate-test
maillog_file = ${o.logFile}

myhostname = mta.${o.domain}
mydomain = ${o.domain}
myorigin = $mydomain
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks_style = host
mynetworks = 127.0.0.0/8

# Only the test domain, into Dovecot by LMTP. No local delivery, nothing
# leaves this host.
mydestination =
local_recipient_maps =
local_transport = error:local delivery is disabled in the ewsgate test MTA
alias_maps =
alias_database =
relay_domains =
default_transport = discard:outbound mail is discarded by the ewsgate test MTA
relay_transport = discard:outbound mail is discarded by the ewsgate test MTA
virtual_mailbox_domains = ${o.domain}
virtual_transport = lmtp:inet:127.0.0.1:${o.lmtpPort}
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
lmtp_host_lookup = native
smtp_host_lookup = native
smtpd_peername_lookup = no

smtpd_banner = $myhostname ESMTP ewsgate-test
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_error_sleep_time = 0
smtpd_tls_security_level = none
smtp_tls_security_level = none
lmtp_tls_security_level = none
disable_vrfy_command = yes
message_size_limit = 52428800
notify_classes =
biff = no
append_dot_mydomain = no

# fast: retry deferred mail within seconds, no flow-control pauses
in_flow_delay = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
${o.debug ? 'debug_peer_list = 127.0.0.1\n' : ''}`;
}

function masterCf(smtpPort: number): string {
  // service type private unpriv chroot wakeup maxproc command
  return `# ewsgate test Postfix (generated by test/harness/postfix.ts); no chroot anywhere
127.0.0.1:${smtpPort} inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
`;
}

/** Queue and data directories with the owners/modes of Debian's postfix-files. */
function makeDirs(queueDir: string, dataDir: string): void {
  const postfixUid = userId('postfix');
  const postdropGid = groupId('postdrop');
  fs.mkdirSync(queueDir, { mode: 0o755 });
  fs.chmodSync(queueDir, 0o755);
  const sub: [string, number, number, number][] = [
    ['active', postfixUid, 0, 0o700],
    ['bounce', postfixUid, 0, 0o700],
    ['corrupt', postfixUid, 0, 0o700],
    ['defer', postfixUid, 0, 0o700],
    ['deferred', postfixUid, 0, 0o700],
    ['flush', postfixUid, 0, 0o700],
    ['hold', postfixUid, 0, 0o700],
    ['incoming', postfixUid, 0, 0o700],
    ['private', postfixUid, 0, 0o700],
    ['saved', postfixUid, 0, 0o700],
    ['trace', postfixUid, 0, 0o700],
    ['maildrop', postfixUid, postdropGid, 0o730],
    ['public', postfixUid, postdropGid, 0o710],
    ['pid', 0, 0, 0o755],
  ];
  for (const [name, uid, gid, mode] of sub) {
    const d = path.join(queueDir, name);
    fs.mkdirSync(d);
    fs.chownSync(d, uid, gid);
    fs.chmodSync(d, mode);
  }
  fs.mkdirSync(dataDir);
  fs.chownSync(dataDir, postfixUid, 0);
  fs.chmodSync(dataDir, 0o700);
}

// ---------------------------------------------------------------- lifecycle

// Safety net for a process that exits without stop(): the reapers get
// SIGTERM (they also get it from the kernel via setpriv --pdeathsig if we are
// killed outright) and the log files go (unless EWSGATE_KEEP_TMP=1).
const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [c, logFile] of live) {
      if (!exited(c)) c.kill('SIGTERM');
      if (process.env.EWSGATE_KEEP_TMP !== '1') fs.rmSync(logFile, { force: true });
    }
  });
}

function deathSigPrefix(): string[] {
  return fs.existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', '--pdeathsig', 'TERM', '--'] : [];
}

/** Is any process left in process group `pgid`? */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function startPostfix(opts: PostfixOptions): Promise<PostfixInstance> {
  if (!isRoot()) {
    throw new Error(
      'startPostfix: Postfix needs root. Its master process refuses to run otherwise ("the master command is ' +
        'reserved for the superuser"), so the test MTA cannot run rootless. Run the tests as root, e.g. ' +
        '`sudo -E node --import tsx test/run.ts`. (As root no entry in /etc/postfix/main.cf ' +
        'alternate_config_directories is needed: Postfix checks that list only for set-gid commands run by ' +
        'other users.)',
    );
  }
  for (const bin of [MASTER_BIN, PYTHON_BIN]) {
    if (!fs.existsSync(bin)) {
      throw new Error(`startPostfix: ${bin} not found: install the Debian package ${bin === PYTHON_BIN ? 'python3' : 'postfix'}`);
    }
  }
  const base = path.join(opts.dir, 'postfix');
  const configDir = path.join(base, 'etc');
  const queueDir = path.join(base, 'queue');
  const dataDir = path.join(base, 'data');
  fs.mkdirSync(base, { mode: 0o755 });
  fs.chmodSync(base, 0o755); // postfix daemons (uid postfix) must traverse it into the queue
  fs.mkdirSync(configDir, { mode: 0o755 });
  makeDirs(queueDir, dataDir);

  fs.mkdirSync(LOG_DIR, { recursive: true, mode: 0o755 });
  const smtpPort = opts.smtpPort ?? (await freePort());
  const logFile = path.join(LOG_DIR, `postfix-${path.basename(opts.dir)}-${randomBytes(3).toString('hex')}.log`);
  // postlogd creates it only when the first line arrives: callers may look before
  fs.writeFileSync(logFile, '', { mode: 0o600 });
  fs.writeFileSync(path.join(configDir, 'main.cf'), mainCf({ queueDir, dataDir, logFile, lmtpPort: opts.lmtpPort, domain: opts.domain, debug: !!opts.debug }));
  fs.writeFileSync(path.join(configDir, 'master.cf'), masterCf(smtpPort));
  // Postfix re-reads a main.cf whose mtime is within the last second or so,
  // every 300 ms, until it looks settled (dict_load_file_xt): 1.5 s for the
  // master and again for every daemon started soon after. Backdate the files.
  const past = new Date(Date.now() - 3600_000);
  for (const f of ['main.cf', 'master.cf']) fs.utimesSync(path.join(configDir, f), past, past);

  // master's own stdout/stderr (it logs to maillog_file once postlogd runs)
  const outFile = path.join(base, 'master.out');
  const fd = fs.openSync(outFile, 'a');
  let reaper: ChildProcess;
  try {
    const argv = [...deathSigPrefix(), PYTHON_BIN, '-S', '-c', REAPER_PY, MASTER_BIN, '-c', configDir, '-d'];
    reaper = spawn(argv[0]!, argv.slice(1), {
      stdio: ['ignore', fd, fd],
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' },
    });
  } finally {
    fs.closeSync(fd);
  }
  installExitHook();
  live.set(reaper, logFile);
  let spawnError: Error | undefined;
  const gone = new Promise<void>((r) => {
    reaper.once('exit', () => r());
    reaper.once('error', (e) => {
      spawnError = e;
      r();
    });
  });
  const diagnostics = () => `Log tail of ${logFile}:\n${tail(logFile)}\n${outFile}:\n${tail(outFile)}`;

  let masterPid = 0;
  const readMasterPid = (): number => {
    try {
      const n = Number(fs.readFileSync(path.join(queueDir, 'pid', 'master.pid'), 'utf8').trim());
      return Number.isInteger(n) && n > 0 ? n : 0;
    } catch {
      return 0;
    }
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    masterPid ||= readMasterPid();
    if (!exited(reaper) && !spawnError) {
      reaper.kill('SIGTERM');
      const t = setTimeout(() => {
        if (masterPid && groupAlive(masterPid)) {
          try {
            process.kill(-masterPid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
        if (!exited(reaper)) reaper.kill('SIGKILL');
      }, STOP_TIMEOUT_MS);
      await gone;
      clearTimeout(t);
    }
    // The reaper exits only after every Postfix process; this is a cheap re-check.
    for (let i = 0; masterPid && groupAlive(masterPid) && i < 100; i++) await sleep(10);
    live.delete(reaper);
    if (process.env.EWSGATE_KEEP_TMP !== '1') fs.rmSync(logFile, { force: true });
  };

  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    let lastErr = '';
    for (;;) {
      if (spawnError) throw new Error(`startPostfix: cannot run ${PYTHON_BIN}: ${spawnError.message}`);
      if (exited(reaper)) {
        // A fatal error before postlogd runs (e.g. bind failed) is logged
        // nowhere; name the likely cause so backends.ts retries with new ports.
        const busy = (await portInUse(smtpPort)) ? ` 127.0.0.1:${smtpPort}: Address already in use.` : '';
        throw new Error(`postfix exited during startup (code ${reaper.exitCode}, signal ${reaper.signalCode}).${busy} ${diagnostics()}`);
      }
      try {
        if (await smtpGreeting(smtpPort)) break;
      } catch (e) {
        lastErr = (e as Error).message;
      }
      if (Date.now() > deadline) {
        throw new Error(`postfix did not answer on 127.0.0.1:${smtpPort} within ${START_TIMEOUT_MS} ms (last probe error: ${lastErr}). ${diagnostics()}`);
      }
      await sleep(20);
    }
    masterPid = readMasterPid();
    if (!masterPid) throw new Error(`postfix answers but ${queueDir}/pid/master.pid is unreadable`);
  } catch (e) {
    await stop(); // the error message already quotes the log
    throw e;
  }

  return {
    smtpPort,
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    logFile,
    configDir,
    queueDir,
    masterPid,
    stop,
  };
}
