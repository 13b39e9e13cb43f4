// LDAP through DavMail: Debian's `ldapsearch` (ldap-utils) binds to DavMail's
// LDAP port with the user's credentials and searches ou=people. DavMail turns
// the filter into EWS ResolveNames with SearchScope=ActiveDirectory (its
// galFind: the global address list only) against an in-process ewsgate, whose
// directory here is an address book serving as the GAL (--gal-addressbook):
// the user's seeded "Contacts" in Radicale (Alice Martin, Bob Stone, Zoë Müller).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { TestUser } from '../../harness/backends.js';
import { seedUser } from '../../harness/seed.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { startDavmail, startEwsRecorder, type Davmail, type EwsRecorder } from './harness.js';

let tg: TestGateway;
let user: TestUser;
let dm: Davmail;
let rec: EwsRecorder;

before(async () => {
  tg = await startTestGateway({ smtp: process.env.EWSGATE_TEST_SMTP_URL ?? '', galAddressBook: 'Contacts' });
  user = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: false, dav: true });
  rec = await startEwsRecorder(tg.gateway.url, { keepBodies: true });
  dm = await startDavmail({ ewsUrl: `${rec.url}/EWS/Exchange.asmx` });
});

after(async () => {
  await dm?.stop();
  await rec?.close();
  await tg?.close();
});

function context(): string {
  return `\n--- the last EWS exchanges DavMail made ---\n${rec.dump(6, 2000)}\n--- DavMail's log ---\n${dm.logTail(30)}`;
}

interface LdapResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** ldapsearch against DavMail as `who`; resolves with its exit code and output (LDIF, -LLL). */
function ldapsearch(who: { email: string; password: string }, filter: string, attrs: string[] = []): Promise<LdapResult> {
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/ldapsearch',
      ['-x', '-LLL', '-o', 'ldif-wrap=no', '-H', `ldap://127.0.0.1:${dm.ldapPort}`, '-D', who.email, '-w', who.password, '-b', 'ou=people', filter, ...attrs],
      { timeout: 120_000, env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' } },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(new Error(`ldapsearch did not run: ${err.message}`));
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      },
    );
  });
}

/** LDIF (-LLL, unwrapped) as entries of attribute → values; base64 values (name::) decoded. */
function entries(ldif: string): Map<string, string[]>[] {
  return ldif
    .split(/\r?\n\r?\n/)
    .map((block) => block.trim())
    .filter(Boolean)
    .map((block) => {
      const e = new Map<string, string[]>();
      for (const line of block.split(/\r?\n/)) {
        const m = /^([^:]+)(::?) ?(.*)$/.exec(line);
        if (!m) continue;
        const value = m[2] === '::' ? Buffer.from(m[3]!, 'base64').toString('utf8') : m[3]!;
        e.set(m[1]!.toLowerCase(), [...(e.get(m[1]!.toLowerCase()) ?? []), value]);
      }
      return e;
    });
}

describe('LDAP through DavMail → ewsgate (ResolveNames) → Radicale address book', () => {
  test('a search by name finds the contact with its address', async () => {
    const r = await ldapsearch(user, '(cn=Alice*)', ['cn', 'mail', 'givenName', 'sn']);
    assert.equal(r.code, 0, `ldapsearch exit ${r.code}: ${r.stderr}${context()}`);
    const found = entries(r.stdout);
    const alice = found.find((e) => e.get('mail')?.includes('alice.martin@example.org'));
    assert.ok(alice, `no entry with alice.martin@example.org in:\n${r.stdout}${context()}`);
    assert.deepEqual(alice.get('cn'), ['Alice Martin']);
    assert.ok(!found.some((e) => e.get('mail')?.some((m) => /bob|zoe/.test(m))), `only Alice matches (cn=Alice*):\n${r.stdout}`);
    // DavMail asked ewsgate by name
    assert.ok(
      rec.exchanges.some((e) => e.op === 'ResolveNames' && e.status === 200 && /alice/i.test(e.request ?? '')),
      `DavMail sent no ResolveNames for "alice"${context()}`,
    );
  });

  test('a search by address finds the name; non-ASCII names come back intact', async () => {
    // a prefix, not (mail=…): DavMail 6.0.1 re-checks GAL results of an equality filter under the
    // LDAP attribute name ("mail") on a map keyed by its own names ("smtpemail1"), so those never match
    const r = await ldapsearch(user, '(mail=zoe.mueller@example*)', ['cn', 'mail']);
    assert.equal(r.code, 0, `ldapsearch exit ${r.code}: ${r.stderr}${context()}`);
    const zoe = entries(r.stdout).find((e) => e.get('mail')?.includes('zoe.mueller@example.org'));
    assert.ok(zoe, `no entry for zoe.mueller@example.org in:\n${r.stdout}${context()}`);
    assert.deepEqual(zoe.get('cn'), ['Zoë Müller']);
  });

  test('a name nobody has finds nothing, and is no error', async () => {
    const r = await ldapsearch(user, '(cn=Nobody-here*)', ['cn', 'mail']);
    assert.equal(r.code, 0, `ldapsearch exit ${r.code}: ${r.stderr}${context()}`);
    assert.deepEqual(entries(r.stdout), []);
  });

  test('a wrong password is refused at bind (invalidCredentials, 49)', async () => {
    const r = await ldapsearch({ email: user.email, password: `${user.password}-wrong` }, '(cn=Alice*)', ['cn']);
    assert.equal(r.code, 49, `ldapsearch exit ${r.code}: ${r.stdout}${r.stderr}`);
    assert.doesNotMatch(r.stdout, /alice/i);
  });
});
