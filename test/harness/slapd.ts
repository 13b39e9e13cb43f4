// A private OpenLDAP slapd for the directory tests: slapd.conf in a temp dir,
// mdb database for dc=example,dc=test filled offline with slapadd, listening on
// a free 127.0.0.1 port. Tests that need it start it in a before() hook; the
// common harness (test/run.ts) does not.
//
// Facts that shaped this file (OpenLDAP 2.5.13, Debian 12):
//  - Debian's slapd is built with back_mdb as a module (/usr/lib/ldap): without
//    `moduleload back_mdb` the "database mdb" line is an error.
//  - `-d 0` keeps slapd in the foreground (no fork), so the child we spawn is
//    slapd itself and SIGTERM stops it; it writes nothing at level 0.
//  - Installed with debconf's slapd/no_configuration=true the package leaves no
//    system slapd configured or running; nothing here touches /etc/ldap.
//  - Access: anonymous may only bind; reading needs a bind (the reader entry),
//    so a test proves the gateway's bind credential is used.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './backends.js';
import { FIXTURES_DIR } from './seed.js';
import { ensureDebianPackages } from './packages.js';

export const LDAP_BASE_DN = 'dc=example,dc=test';
const SLAPD_BIN = '/usr/sbin/slapd';
const SLAPADD_BIN = '/usr/sbin/slapadd';
const START_TIMEOUT_MS = 15_000;

export interface Slapd {
  /** ldap://127.0.0.1:PORT */
  url: string;
  port: number;
  baseDn: string;
  rootDn: string;
  rootPassword: string;
  /** A read-only account: what EWSGATE_LDAP_BIND_DN / _PASSWORD are given. */
  readerDn: string;
  readerPassword: string;
  dir: string;
  stop(): Promise<void>;
}

export interface SlapdOptions {
  /** LDIF appended to fixtures/ldap/directory.ldif (e.g. entries for the run's test users). */
  extraLdif?: string;
}

function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (child.exitCode !== null) return reject(new Error(`slapd exited with ${child.exitCode}:\n${log()}`));
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > deadline) reject(new Error(`slapd did not listen on ${port} within ${START_TIMEOUT_MS} ms:\n${log()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export async function startSlapd(opts: SlapdOptions = {}): Promise<Slapd> {
  ensureDebianPackages(['slapd', 'ldap-utils']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ewsgate-slapd-'));
  const dbDir = path.join(dir, 'db');
  fs.mkdirSync(dbDir);
  const rootDn = `cn=admin,${LDAP_BASE_DN}`;
  const rootPassword = randomBytes(9).toString('base64url');
  const readerDn = `cn=reader,${LDAP_BASE_DN}`;
  const readerPassword = randomBytes(9).toString('base64url');
  const conf = path.join(dir, 'slapd.conf');
  fs.writeFileSync(
    conf,
    [
      'include /etc/ldap/schema/core.schema',
      'include /etc/ldap/schema/cosine.schema',
      'include /etc/ldap/schema/inetorgperson.schema',
      `pidfile ${path.join(dir, 'slapd.pid')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      'database mdb',
      'maxsize 16777216',
      `suffix "${LDAP_BASE_DN}"`,
      `rootdn "${rootDn}"`,
      `rootpw ${rootPassword}`,
      `directory ${dbDir}`,
      'index objectClass eq',
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by users read by * none',
      '',
    ].join('\n'),
  );
  const reader = [
    `dn: ${readerDn}`,
    'objectClass: organizationalRole',
    'objectClass: simpleSecurityObject',
    'cn: reader',
    `userPassword: ${readerPassword}`,
    '',
  ].join('\n');
  const ldif = path.join(dir, 'data.ldif');
  const fixture = fs.readFileSync(path.join(FIXTURES_DIR, 'ldap', 'directory.ldif'), 'utf8');
  fs.writeFileSync(ldif, `${fixture.trimEnd()}\n\n${reader}\n${opts.extraLdif ? `${opts.extraLdif.trim()}\n` : ''}`);
  const add = spawnSync(SLAPADD_BIN, ['-f', conf, '-l', ldif], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`slapadd failed (${add.status}):\n${add.stderr}`);

  const port = await freePort();
  const url = `ldap://127.0.0.1:${port}`;
  const logFile = path.join(dir, 'slapd.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(SLAPD_BIN, ['-f', conf, '-h', `${url}/`, '-d', '0'], { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const log = () => {
    try {
      return fs.readFileSync(logFile, 'utf8').slice(-4000);
    } catch {
      return '';
    }
  };
  try {
    await waitForPort(port, child, log);
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  let stopped = false;
  return {
    url,
    port,
    baseDn: LDAP_BASE_DN,
    rootDn,
    rootPassword,
    readerDn,
    readerPassword,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      if (process.env.EWSGATE_KEEP_TMP !== '1') fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
