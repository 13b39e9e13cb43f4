// Proves the real-backend harness: Dovecot and Radicale started by
// test/run.ts, users, fixtures. Run with: node --import tsx test/run.ts harness

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTransport } from 'nodemailer';
import { backendsFromEnv } from './harness/backends.js';
import { davRequest, imapClient, imapRaw, withImap } from './harness/clients.js';
import { EXTRA_FOLDERS, MAIL_FIXTURE_FLAGS, fixtureFiles, seedUser } from './harness/seed.js';

const b = backendsFromEnv();
const here = path.dirname(fileURLToPath(import.meta.url));

test('backendsFromEnv describes running servers', () => {
  assert.match(b.imapUrl, /^imap:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(b.imapUrl, `imap://127.0.0.1:${b.imapPort}`);
  assert.equal(b.davUrl, `http://127.0.0.1:${b.davPort}/`);
  assert.ok(b.lmtpPort > 0 && b.lmtpPort !== b.imapPort);
  assert.ok(fs.statSync(b.dir).isDirectory());
  assert.ok(fs.existsSync(b.passwdFile));
  assert.ok(fs.existsSync(b.htpasswdFile));
  assert.ok(b.logFiles.length >= 2);
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
    assert.ok(passwd.includes(`${x.email}:{PLAIN}${x.password}::::::`), `passwd line of ${x.email}`);
    assert.ok(htpasswd.includes(`${x.email}:${x.password}`), `htpasswd line of ${x.email}`);
  }
  // every line of both files is intact (no interleaved appends)
  assert.ok(passwd.filter(Boolean).every((l) => /^[^:]+@[^:]+:\{PLAIN\}[^:]+::::::$/.test(l)));
  assert.ok(htpasswd.filter(Boolean).every((l) => /^[^:]+@[^:]+:[^:]+$/.test(l)));

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
