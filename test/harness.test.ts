// Proves the real-backend harness: Dovecot, Radicale and Postfix started by
// test/run.ts, users, fixtures. Run with: node --import tsx test/run.ts harness

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTransport } from 'nodemailer';
import { backendsFromEnv, type TestUser } from './harness/backends.js';
import { davRequest, imapClient, imapRaw, withImap } from './harness/clients.js';
import { startPostfix } from './harness/postfix.js';
import { EXTRA_FOLDERS, MAIL_FIXTURE_FLAGS, fixtureFiles, seedUser } from './harness/seed.js';

const b = backendsFromEnv();
const here = path.dirname(fileURLToPath(import.meta.url));

test('backendsFromEnv describes running servers', () => {
  assert.match(b.imapUrl, /^imap:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(b.imapUrl, `imap://127.0.0.1:${b.imapPort}`);
  assert.equal(b.davUrl, `http://127.0.0.1:${b.davPort}/`);
  assert.ok(b.lmtpPort > 0 && b.lmtpPort !== b.imapPort);
  assert.equal(b.smtpUrl, `smtp://127.0.0.1:${b.smtpPort}`);
  assert.equal(process.env.EWSGATE_TEST_SMTP_URL, b.smtpUrl);
  assert.equal(new Set([b.imapPort, b.lmtpPort, b.smtpPort, b.davPort]).size, 4);
  assert.ok(fs.statSync(b.dir).isDirectory());
  assert.ok(fs.existsSync(b.passwdFile));
  assert.ok(fs.existsSync(b.htpasswdFile));
  assert.ok(b.logFiles.length >= 3);
  assert.ok(b.logFiles.some((f) => f.startsWith('/var/log/ewsgate-test/postfix-')), b.logFiles.join(' '));
  for (const f of b.logFiles) assert.ok(fs.existsSync(f), f);
});

test('addUser: IMAP login works, wrong password and unknown user are refused', async () => {
  const u = await b.addUser();
  assert.match(u.email, /^[a-z0-9]+@example\.test$/);
  assert.equal(u.email, `${u.name}@example.test`);

  await withImap(b, u, async (c) => {
    assert.ok(c.authenticated);
    const caps = [...c.capabilities.keys()];
    for (const cap of ['CONDSTORE', 'QRESYNC', 'SPECIAL-USE', 'MOVE', 'UIDPLUS', 'IDLE', 'ESEARCH']) {
      assert.ok(caps.includes(cap), `CAPABILITY lacks ${cap}: ${caps.join(' ')}`);
    }
    const boxes = await c.list();
    const special = Object.fromEntries(boxes.filter((m) => m.specialUse).map((m) => [m.specialUse, m.path]));
    assert.deepEqual(special, {
      '\\Inbox': 'INBOX',
      '\\Drafts': 'Drafts',
      '\\Sent': 'Sent',
      '\\Trash': 'Trash',
      '\\Junk': 'Junk',
      '\\Archive': 'Archive',
    });
    assert.ok(boxes.every((m) => m.subscribed), 'special-use folders are subscribed');
    assert.ok(boxes.every((m) => m.delimiter === '/'));
  });

  for (const [who, pass] of [
    [u.email, u.password + 'x'],
    [`nobody-${u.name}@example.test`, u.password],
  ] as const) {
    const c = imapClient(b, { email: who, password: pass });
    await assert.rejects(c.connect(), (e: Error & { authenticationFailed?: boolean; serverResponseCode?: string }) => {
      assert.ok(e.authenticationFailed || e.serverResponseCode === 'AUTHENTICATIONFAILED', String(e));
      return true;
    });
    c.close();
  }
});

test('addUser: new users are accepted at once, many per second (no passwd-file staleness)', async () => {
  for (let i = 0; i < 8; i++) {
    const u = await b.addUser();
    await withImap(b, u, async (c) => assert.ok(c.authenticated));
    const r = await davRequest(b, u, 'PROPFIND', `${u.email}/`, { depth: '0' });
    assert.equal(r.status, 207, `Radicale refused fresh user ${u.email}`);
    await r.arrayBuffer();
  }
});

test('addUser: explicit names, duplicates refused, safe from several processes', async () => {
  const name = `fixed${Date.now().toString(36)}`;
  const u = await b.addUser(name, 'S3cret-pass');
  assert.deepEqual(u, { name, email: `${name}@example.test`, password: 'S3cret-pass' });
  await assert.rejects(b.addUser(name), /already exists/);
  await assert.rejects(b.addUser('bad name'), /unusable/);

  // 3 processes x 10 users at the same time
  const script = `
    const { backendsFromEnv } = await import(${JSON.stringify(path.join(here, 'harness', 'backends.ts'))});
    const b = backendsFromEnv();
    const users = await Promise.all(Array.from({ length: 10 }, () => b.addUser()));
    process.stdout.write(JSON.stringify(users));
  `;
  const run = promisify(execFile);
  const outs = await Promise.all(
    Array.from({ length: 3 }, () =>
      run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: process.env }),
    ),
  );
  const users = outs.flatMap((o) => JSON.parse(o.stdout) as { email: string; password: string }[]);
  assert.equal(new Set(users.map((x) => x.email)).size, 30);

  const passwd = fs.readFileSync(b.passwdFile, 'utf8').split('\n');
  const htpasswd = fs.readFileSync(b.htpasswdFile, 'utf8').split('\n');
  for (const x of users) {
    assert.ok(passwd.some((l) => l.startsWith(`${x.email}:{PLAIN}${x.password}::::::`)), `passwd line of ${x.email}`);
    assert.ok(htpasswd.includes(`${x.email}:${x.password}`), `htpasswd line of ${x.email}`);
  }
  // every line of both files is intact (no interleaved appends)
  // (other test files add users at the same time, some with extra userdb fields after the six colons)
  const torn = passwd.filter(Boolean).filter((l) => !/^[^:]+@[^:]+:\{PLAIN\}[^:]+::::::/.test(l));
  assert.deepEqual(torn, [], 'no torn passwd lines');
  const tornHt = htpasswd.filter(Boolean).filter((l) => !/^[^:]+@[^:]+:[^:]+$/.test(l));
  assert.deepEqual(tornHt, [], 'no torn htpasswd lines');

  await Promise.all(users.slice(0, 6).map((x) => withImap(b, x, async (c) => assert.ok(c.authenticated))));
});

test('seedUser puts the fixtures into INBOX and creates the extra folders', async () => {
  const u = await b.addUser();
  const seeded = await seedUser(b, u, { dav: false });
  const files = fixtureFiles('mail').map((f) => path.basename(f));
  assert.ok(files.length >= 6);
  assert.deepEqual(seeded.mail?.inbox.map((m) => m.file), files);
  assert.equal(seeded.dav, undefined);

  await withImap(b, u, async (c) => {
    const status = await c.status('INBOX', { messages: true, unseen: true, highestModseq: true });
    assert.equal(status && status.messages, files.length);
    const seenCount = Object.values(MAIL_FIXTURE_FLAGS).filter((f) => f.includes('\\Seen')).length;
    assert.equal(status && status.unseen, files.length - seenCount);
    assert.ok(status && status.highestModseq && status.highestModseq > 0n, 'CONDSTORE modseq');

    const lock = await c.getMailboxLock('INBOX');
    try {
      const subjects: string[] = [];
      for await (const msg of c.fetch('1:*', { uid: true, flags: true, envelope: true, internalDate: true })) {
        const file = seeded.mail!.inbox.find((m) => m.uid === msg.uid)!.file;
        const flags = [...(msg.flags ?? [])].filter((f) => f !== '\\Recent');
        assert.deepEqual(flags.sort(), [...(MAIL_FIXTURE_FLAGS[file] ?? [])].sort(), file);
        subjects.push(msg.envelope?.subject ?? '');
        assert.ok(msg.internalDate instanceof Date && msg.internalDate.getUTCFullYear() === 2026, 'INTERNALDATE from Date:');
      }
      assert.ok(subjects.includes('Welcome to the ewsgate pilot'));
      assert.ok(subjects.includes('Réunion du comité - jeudi 12 novembre'), subjects.join(' | '));
      assert.ok(subjects.includes('来週の打ち合わせについて'), subjects.join(' | '));
      const att = seeded.mail!.inbox.find((m) => m.file.startsWith('03-'))!;
      const { content } = await c.download(String(att.uid), '2', { uid: true });
      assert.ok(content, 'attachment part 2 downloadable');
      const chunks: Buffer[] = [];
      for await (const ch of content) chunks.push(ch as Buffer);
      assert.ok(Buffer.concat(chunks).subarray(0, 8).toString().startsWith('%PDF-1.4'));
    } finally {
      lock.release();
    }

    const paths = (await c.list()).map((m) => m.path);
    for (const f of EXTRA_FOLDERS) assert.ok(paths.includes(f), `${f} in ${paths.join(', ')}`);
  });
});

test('STATUS (X-GUID) returns stable, distinct mailbox GUIDs', async () => {
  const u = await b.addUser();
  await seedUser(b, u, { dav: false });
  const runs = await imapRaw(b, u, ['STATUS INBOX (X-GUID MESSAGES)', 'STATUS "Projects/2026" (X-GUID)', 'STATUS INBOX (X-GUID)']);
  for (const r of runs) assert.match(r.status, /^OK/, r.command);
  const guid = (r: (typeof runs)[number]) => {
    const m = /X-GUID ([0-9a-f]{32})/.exec(r.untagged.join('\n'));
    assert.ok(m, `no X-GUID in ${r.untagged.join('\n')}`);
    return m[1];
  };
  assert.match(runs[0]!.untagged.join('\n'), /MESSAGES \d+/);
  assert.equal(guid(runs[0]!), guid(runs[2]!));
  assert.notEqual(guid(runs[0]!), guid(runs[1]!));
});

test('LMTP delivers into the user INBOX', async () => {
  const u = await b.addUser();
  const transport = createTransport({ host: '127.0.0.1', port: b.lmtpPort, lmtp: true, secure: false, ignoreTLS: true });
  const info = await transport.sendMail({
    from: 'sender@example.org',
    to: u.email,
    subject: 'via LMTP',
    text: 'hello through lmtp',
  });
  assert.deepEqual(info.accepted, [u.email]);
  await withImap(b, u, async (c) => {
    const st = await c.status('INBOX', { messages: true });
    assert.equal(st && st.messages, 1);
  });
});

test('Radicale: PROPFIND with credentials is 207, without or with a wrong password 401, others\' homes 403', async () => {
  const u = await b.addUser();
  const other = await b.addUser();
  const body = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/><D:resourcetype/></D:prop></D:propfind>`;

  const ok = await davRequest(b, u, 'PROPFIND', `${u.email}/`, { depth: '0', body });
  assert.equal(ok.status, 207);
  const xml = decodeURIComponent(await ok.text()); // Radicale writes "@" as %40 in hrefs
  assert.ok(xml.includes(`<href>/${u.email}/</href>`), xml);

  const anon = await davRequest(b, null, 'PROPFIND', `${u.email}/`, { depth: '0', body });
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic/);
  await anon.arrayBuffer();

  const wrong = await davRequest(b, { email: u.email, password: 'nope' }, 'PROPFIND', `${u.email}/`, { depth: '0', body });
  assert.equal(wrong.status, 401);
  await wrong.arrayBuffer();

  const foreign = await davRequest(b, other, 'PROPFIND', `${u.email}/`, { depth: '0', body });
  assert.equal(foreign.status, 403);
  await foreign.arrayBuffer();
});

test('seedUser creates calendar and address book with the fixtures', async () => {
  const u = await b.addUser();
  const seeded = await seedUser(b, u, { mail: false });
  assert.equal(seeded.mail, undefined);
  const dav = seeded.dav!;
  assert.equal(dav.events.length, fixtureFiles('calendar').length);
  assert.equal(dav.contacts.length, fixtureFiles('contacts').length);

  const list = async (url: string) => {
    const r = await davRequest(b, u, 'PROPFIND', url, {
      depth: '1',
      body: '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getetag/></D:prop></D:propfind>',
    });
    assert.equal(r.status, 207);
    return decodeURIComponent(await r.text()); // Radicale writes "@" as %40 in hrefs
  };
  const cal = await list(dav.calendarUrl);
  assert.match(cal, /<C:calendar\s*\/>|calendar xmlns|:calendar\/>/);
  for (const href of dav.events) assert.ok(cal.includes(new URL(href).pathname), `${href} listed in ${cal}`);
  const abook = await list(dav.addressBookUrl);
  assert.match(abook, /addressbook/);
  for (const href of dav.contacts) assert.ok(abook.includes(new URL(href).pathname), `${href} listed`);

  const ev = await davRequest(b, u, 'GET', dav.events.find((h) => h.includes('weekly'))!);
  assert.equal(ev.status, 200);
  const ics = await ev.text();
  assert.match(ics, /RRULE:FREQ=WEEKLY/);
  assert.match(ics, /RECURRENCE-ID/);

  // a time-range calendar-query finds the recurring event's moved instance week
  const report = await davRequest(b, u, 'REPORT', dav.calendarUrl, {
    depth: '1',
    body: `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="20261214T000000Z" end="20261215T000000Z"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`,
  });
  assert.equal(report.status, 207);
  const hits = await report.text();
  assert.ok(hits.includes('all-day-offsite.ics'), 'all-day event on 14 Dec');
  assert.ok(hits.includes('weekly-standup.ics'), 'stand-up on Monday 14 Dec');
  assert.ok(!hits.includes('single-event.ics'), 'budget review is on 3 Dec');
});

// ---------------------------------------------------------------- Postfix

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `user`'s INBOX (bounded) until a message whose Subject matches arrives; returns its envelope and source. */
async function waitForMail(
  user: TestUser,
  subject: string | RegExp,
  timeoutMs = 10_000,
): Promise<{ subject: string; from: string; to: string[]; source: string }> {
  const matches = (s: string) => (typeof subject === 'string' ? s === subject : subject.test(s));
  return withImap(b, user, async (c) => {
    const deadline = Date.now() + timeoutMs;
    const lock = await c.getMailboxLock('INBOX');
    try {
      for (;;) {
        await c.noop(); // lets Dovecot report new EXISTS
        if (typeof c.mailbox === 'object' && c.mailbox.exists > 0) {
          // (no other command inside the fetch loop: imapflow would deadlock)
          const msgs = await c.fetchAll('1:*', { uid: true, envelope: true });
          const msg = msgs.find((m) => matches(m.envelope?.subject ?? ''));
          if (msg) {
            const one = await c.fetchOne(String(msg.uid), { source: true }, { uid: true });
            return {
              subject: msg.envelope?.subject ?? '',
              from: msg.envelope?.from?.[0]?.address ?? '',
              to: (msg.envelope?.to ?? []).map((a) => a.address ?? ''),
              source: one && one.source ? one.source.toString('utf8') : '',
            };
          }
        }
        if (Date.now() > deadline) {
          throw new Error(`no message with subject ${String(subject)} in ${user.email}'s INBOX after ${timeoutMs} ms`);
        }
        await sleep(50);
      }
    } finally {
      lock.release();
    }
  });
}

async function inboxCount(user: TestUser): Promise<number> {
  return withImap(b, user, async (c) => {
    const st = await c.status('INBOX', { messages: true });
    return st ? (st.messages ?? -1) : -1;
  });
}

function smtp(port = b.smtpPort) {
  return createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
}

test('Postfix: SMTP mail between test users arrives in the recipient INBOX (via LMTP)', async () => {
  const from = await b.addUser();
  const to = await b.addUser();
  const plus = await b.addUser(`p+${Date.now().toString(36)}`); // "+" is a plain character, not +detail
  const subject = `via Postfix ${Date.now()}`;
  const t0 = Date.now();
  const info = await smtp().sendMail({ from: from.email, to: [to.email, plus.email], subject, text: 'hello through postfix' });
  assert.deepEqual(info.accepted.sort(), [to.email, plus.email].sort());
  assert.deepEqual(info.rejected, []);
  const got = await waitForMail(to, subject);
  assert.equal(got.subject, subject);
  assert.equal(got.from, from.email);
  assert.match(got.source, /^Received: from .*\(unknown \[127\.0\.0\.1\]\)/m);
  assert.match(got.source, /hello through postfix/);
  assert.equal((await waitForMail(plus, subject)).subject, subject);
  assert.ok(Date.now() - t0 < 5000, `delivery took ${Date.now() - t0} ms`);
  assert.equal(await inboxCount(from), 0, 'nothing comes back to the sender');
});

// Unknown local part of the test domain: Postfix accepts it at RCPT time (no
// recipient table), Dovecot's LMTP answers 550 5.1.1 and Postfix BOUNCES it
// to the envelope sender; the other recipients get the message normally.
test('Postfix: an unknown recipient is bounced to the sender; other recipients still get the message', async () => {
  const from = await b.addUser();
  const to = await b.addUser();
  const unknown = `nobody-${Date.now().toString(36)}@${b.domain}`;
  const subject = `partly unknown ${Date.now()}`;
  const info = await smtp().sendMail({ from: from.email, to: [unknown, to.email], subject, text: 'x' });
  assert.deepEqual(info.accepted.sort(), [unknown, to.email].sort(), 'accepted at SMTP time, bounced later');

  assert.equal((await waitForMail(to, subject)).subject, subject);
  const bounce = await waitForMail(from, /^Undelivered Mail Returned to Sender$/);
  assert.match(bounce.from, /^MAILER-DAEMON@/i);
  assert.ok(bounce.source.includes(`<${unknown}>`), 'the bounce names the unknown address');
  assert.match(bounce.source, /550 5\.1\.1/);
  assert.ok(bounce.source.includes(subject), 'the bounce carries the original headers');
  assert.ok(!bounce.source.includes(`<${to.email}>: `), 'the delivered recipient is not reported as failed');
  assert.equal(await inboxCount(to), 1);
});

test('Postfix: mail for other domains is accepted and discarded, never relayed', async () => {
  const from = await b.addUser();
  const ext = `someone-${Date.now().toString(36)}@example.org`;
  const info = await smtp().sendMail({ from: from.email, to: ext, subject: 'outbound', text: 'x' });
  assert.deepEqual(info.accepted, [ext]);
  const log = b.logFiles.find((f) => f.includes('/postfix-'))!;
  const deadline = Date.now() + 10_000;
  const re = new RegExp(`to=<${ext.replace(/[.+]/g, '\\$&')}>, relay=none.*status=sent \\(outbound mail is discarded`);
  while (!re.test(fs.readFileSync(log, 'utf8'))) {
    assert.ok(Date.now() < deadline, `no discard line for ${ext} in ${log}`);
    await sleep(50);
  }
  assert.equal(await inboxCount(from), 0, 'no bounce');
});

/** Pids whose process group is `pgid` (Linux /proc; field 5 of stat). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${ent}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state ppid pgrp ...
      if (Number(fields[2]) === pgid) out.push(Number(ent));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

test(
  'startPostfix: a second private instance starts fast, delivers, and stop() leaves no process, port or log behind',
  { skip: process.getuid?.() !== 0 ? 'Postfix needs root' : false },
  async () => {
    const defaultMainCf = fs.existsSync('/etc/postfix/main.cf') ? fs.readFileSync('/etc/postfix/main.cf', 'utf8') : null;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ewsgate-postfix-'));
    fs.chmodSync(dir, 0o755);
    let p: Awaited<ReturnType<typeof startPostfix>> | undefined;
    try {
      const t0 = performance.now();
      p = await startPostfix({ dir, lmtpPort: b.lmtpPort, domain: b.domain });
      const startMs = performance.now() - t0;
      assert.ok(startMs < 3000, `startup took ${Math.round(startMs)} ms`);
      assert.notEqual(p.smtpPort, b.smtpPort);
      assert.equal(p.smtpUrl, `smtp://127.0.0.1:${p.smtpPort}`);
      assert.ok(p.configDir.startsWith(dir) && p.queueDir.startsWith(dir), `${p.configDir} ${p.queueDir} in ${dir}`);
      assert.ok(fs.existsSync(p.logFile), p.logFile);

      const u = await b.addUser();
      const subject = `second instance ${Date.now()}`;
      await smtp(p.smtpPort).sendMail({ from: u.email, to: u.email, subject, text: 'x' });
      assert.equal((await waitForMail(u, subject)).subject, subject);

      const members = groupMembers(p.masterPid);
      assert.ok(members.includes(p.masterPid), 'master runs (and leads its process group)');
      assert.ok(members.length >= 3, `master + qmgr + postlogd at least: ${members.join(' ')}`);

      const t1 = performance.now();
      await p.stop();
      const stopMs = performance.now() - t1;
      assert.ok(stopMs < 2000, `stop took ${Math.round(stopMs)} ms`);
      await p.stop(); // idempotent

      assert.deepEqual(groupMembers(p.masterPid), [], 'no Postfix process left, not even a zombie');
      for (const pid of members) assert.ok(!fs.existsSync(`/proc/${pid}`), `pid ${pid} is gone`);
      assert.ok(await refused(p.smtpPort), 'SMTP port closed');
      if (process.env.EWSGATE_KEEP_TMP !== '1') assert.ok(!fs.existsSync(p.logFile), 'log file removed');
      // the shared instance is still fine, and the system's default instance untouched
      assert.ok(!(await refused(b.smtpPort)), 'the shared instance still answers');
      const after = fs.existsSync('/etc/postfix/main.cf') ? fs.readFileSync('/etc/postfix/main.cf', 'utf8') : null;
      assert.equal(after, defaultMainCf, '/etc/postfix/main.cf unchanged');
    } finally {
      await p?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
