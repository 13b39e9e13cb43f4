// DavMail → ewsgate → Dovecot: an IMAP client talking to DavMail (Debian's
// davmail-server, EWS mode, pointed at an in-process gateway) must see what it
// sees talking to Dovecot directly, and what it changes through DavMail must
// land in Dovecot. Also SMTP through DavMail (Postfix delivers) and IDLE
// noticing a message Postfix delivered. One DavMail for the whole file
// (harness.ts); every test is bounded.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import nodemailer from 'nodemailer';
import type { TestUser } from '../../harness/backends.js';
import { imapRaw, withImap } from '../../harness/clients.js';
import { FIXTURES_DIR, readFixtureCrlf, seedUser } from '../../harness/seed.js';
import { startTestGateway, type TestGateway } from '../../support/gateway.js';
import { DavImap, startDavmail, startEwsRecorder, type Davmail, type EwsRecorder } from './harness.js';

let tg: TestGateway;
let user: TestUser;
let other: TestUser;
let dm: Davmail;
let rec: EwsRecorder; // between DavMail and the gateway: what DavMail sent and got, for failure messages
let imap: DavImap; // one logged-in DavMail IMAP session shared by the tests (as a mail client keeps one)
let selected: string | undefined;

/** The shared DavMail session; a new one if DavMail closed it (it does after a BAD). */
async function session(): Promise<DavImap> {
  if (imap.closed) {
    imap = await DavImap.login(dm.imapPort, user);
    selected = undefined;
  }
  return imap;
}

const CORPUS = 'MimeCorpus';
const CORPUS_DATE = new Date('2026-10-01T09:30:00Z');

before(async () => {
  tg = await startTestGateway({ smtp: backendsSmtp() });
  user = await tg.backends.addUser();
  other = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: true, dav: false });
  // the MIME corpus in a folder of its own, put there by Dovecot's own APPEND
  await withImap(tg.backends, user, async (c) => {
    await c.mailboxCreate(CORPUS);
    for (const f of mimeCorpus()) {
      const res = await c.append(CORPUS, readFixtureCrlf(f), [], new Date(CORPUS_DATE.getTime() + mimeCorpus().indexOf(f) * 60_000));
      assert.ok(res && res.uid, `APPEND ${f}`);
    }
  });
  // \Deleted must stay a flag until EXPUNGE (DavMail's default, imapAutoExpunge=true, expunges on STORE)
  rec = await startEwsRecorder(tg.gateway.url, { keepBodies: true });
  dm = await startDavmail({ ewsUrl: `${rec.url}/EWS/Exchange.asmx`, properties: { 'davmail.imapAutoExpunge': 'false' } });
  imap = await DavImap.login(dm.imapPort, user).catch((e: Error) => {
    throw new Error(`DavMail could not log in to ewsgate: ${e.message}${context()}`);
  });
});

after(async () => {
  // EWSGATE_DAVMAIL_RECORD=FILE: every EWS exchange DavMail made, as JSON (to turn into fixtures)
  if (process.env.EWSGATE_DAVMAIL_RECORD && rec) fs.writeFileSync(process.env.EWSGATE_DAVMAIL_RECORD, JSON.stringify(rec.exchanges, null, 1));
  await imap?.logout();
  await dm?.stop();
  await rec?.close();
  await tg?.close();
});

function backendsSmtp(): string {
  const url = process.env.EWSGATE_TEST_SMTP_URL;
  if (!url) throw new Error('EWSGATE_TEST_SMTP_URL is not set: run through test/run.ts');
  return url;
}

function mimeCorpus(): string[] {
  const dir = path.join(FIXTURES_DIR, 'mime');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** On failure: what DavMail and the gateway said last. */
function context(): string {
  return `\n--- the last EWS exchanges DavMail made ---\n${rec.dump(4)}\n--- DavMail's log ---\n${dm.logTail(30)}`;
}

// ---------------------------------------------------------------- Dovecot, directly

interface Msg {
  uid: number;
  flags: string[];
  size: number;
  internalDate: number;
}

function normFlags(flags: Iterable<string>): string[] {
  return [...flags].filter((f) => f !== '\\Recent').sort();
}

async function dovecotFolder(
  folder: string,
  withSource = false,
): Promise<{ messages: (Msg & { source?: Buffer })[]; exists: number; unseen: number; uidNext: number }> {
  return withImap(tg.backends, user, async (c) => {
    const st = await c.status(folder, { messages: true, unseen: true, uidNext: true });
    if (!st) throw new Error(`STATUS ${folder} failed`);
    const messages: (Msg & { source?: Buffer })[] = [];
    if ((st.messages ?? 0) > 0) {
      await c.mailboxOpen(folder, { readOnly: true });
      for await (const m of c.fetch('1:*', { uid: true, flags: true, size: true, internalDate: true, source: withSource }, { uid: true })) {
        messages.push({
          uid: m.uid,
          flags: normFlags(m.flags ?? []),
          size: m.size ?? -1,
          internalDate: new Date(m.internalDate!).getTime(),
          ...(withSource ? { source: m.source } : {}),
        });
      }
    }
    return { messages, exists: st.messages ?? -1, unseen: st.unseen ?? -1, uidNext: st.uidNext ?? -1 };
  });
}

async function dovecotFlags(folder: string, uid: number): Promise<string[] | undefined> {
  return (await dovecotFolder(folder)).messages.find((m) => m.uid === uid)?.flags;
}

/** LIST "" "*" as Dovecot answers it on the wire (names in modified UTF-7, as DavMail must send them too). */
async function dovecotList(): Promise<{ path: string; specialUse?: string; flags: string[] }[]> {
  const [list] = await imapRaw(tg.backends, user, ['LIST "" "*"']);
  return list!.untagged.map(parseList).filter((l) => l !== undefined);
}

function parseList(line: string): { path: string; specialUse?: string; flags: string[] } | undefined {
  const m = /^\* LIST \(([^)]*)\) (?:"(?:[^"\\]|\\.)"|NIL) (.*)$/.exec(line);
  if (!m) return undefined;
  const raw = m[2]!;
  const path = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  const flags = m[1]!.split(' ').filter(Boolean);
  const specialUse = flags.find((f) => ['\\Drafts', '\\Sent', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged'].includes(f));
  return { path, flags, ...(specialUse ? { specialUse } : {}) };
}

// ---------------------------------------------------------------- DavMail, over IMAP

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function parseInternalDate(s: string): number {
  const m = /^\s*(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)$/.exec(s);
  if (!m) throw new Error(`bad INTERNALDATE ${s}`);
  const utc = Date.UTC(Number(m[3]), MONTHS.indexOf(m[2]!), Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  const off = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === '-' ? -1 : 1);
  return utc - off;
}

function parseFetch(line: string): Partial<Msg> & { seq: number } {
  const seq = Number(/^\* (\d+) FETCH/.exec(line)?.[1]);
  const uid = /\bUID (\d+)/.exec(line)?.[1];
  const flags = /\bFLAGS \(([^)]*)\)/.exec(line)?.[1];
  const size = /\bRFC822\.SIZE (\d+)/.exec(line)?.[1];
  const date = /\bINTERNALDATE "([^"]+)"/.exec(line)?.[1];
  return {
    seq,
    ...(uid ? { uid: Number(uid) } : {}),
    ...(flags !== undefined ? { flags: normFlags(flags.split(' ').filter(Boolean)) } : {}),
    ...(size ? { size: Number(size) } : {}),
    ...(date ? { internalDate: parseInternalDate(date) } : {}),
  };
}

async function ok(cmd: string, timeoutMs = 60_000) {
  const r = await (await session()).command(cmd, timeoutMs);
  assert.match(r.status, /^OK/, `${cmd} -> ${r.status}${context()}`);
  return r;
}

async function select(folder: string): Promise<{ exists: number; recent: number; uidNext: number }> {
  const r = await ok(`SELECT "${folder}"`);
  selected = folder;
  const num = (re: RegExp) => Number(r.untagged.map((l) => re.exec(l)?.[1]).find((x) => x !== undefined) ?? NaN);
  return { exists: num(/^\* (\d+) EXISTS/), recent: num(/^\* (\d+) RECENT/), uidNext: num(/\[UIDNEXT (\d+)\]/) };
}

async function davFetchAll(folder: string): Promise<Msg[]> {
  await select(folder);
  const r = await ok('UID FETCH 1:* (FLAGS RFC822.SIZE INTERNALDATE)', 120_000);
  return r.untagged
    .filter((l) => / FETCH \(/.test(l))
    .map(parseFetch)
    .map((m) => ({ uid: m.uid!, flags: m.flags!, size: m.size!, internalDate: m.internalDate! }));
}

async function davFlags(uid: number): Promise<string[]> {
  const r = await ok(`UID FETCH ${uid} (FLAGS)`);
  const line = r.untagged.find((l) => new RegExp(`\\bUID ${uid}\\b`).test(l));
  assert.ok(line, `no FETCH for UID ${uid}: ${r.untagged.join(' | ')}`);
  return parseFetch(line).flags!;
}

async function davBodies(folder: string): Promise<Map<number, Buffer>> {
  await select(folder);
  const r = await ok('UID FETCH 1:* (BODY.PEEK[])', 180_000);
  const out = new Map<number, Buffer>();
  for (const it of r.items) {
    const uid = /\bUID (\d+)/.exec(it.line)?.[1];
    if (uid && it.literals[0]) out.set(Number(uid), it.literals[0]);
  }
  return out;
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// ---------------------------------------------------------------- the tests

describe('DavMail over ewsgate: log in and look around', () => {
  test('DavMail starts and greets; LOGIN with the mailbox credentials works', { timeout: 30_000 }, async (t) => {
    t.diagnostic(`DavMail startup (spawn to IMAP greeting): ${dm.startupMs} ms`);
    assert.match(imap.greeting, /^\* OK .*DavMail/);
    const cap = await ok('CAPABILITY');
    assert.match(cap.untagged.join(' '), /\bIDLE\b/, 'davmail.imapIdleDelay turns IDLE on');
  });

  test('a wrong password is an IMAP NO, and the right one still works afterwards', { timeout: 60_000 }, async () => {
    const c = await DavImap.connect(dm.imapPort);
    try {
      const r = await c.command(`LOGIN "${user.email}" "not-${user.password}"`, 45_000);
      assert.match(r.status, /^NO\b/, r.status);
    } finally {
      c.close();
    }
    const again = await DavImap.login(dm.imapPort, user);
    await again.logout();
  });

  test('LIST shows every Dovecot folder, with the same special-use flags', { timeout: 60_000 }, async () => {
    const r = await ok('LIST "" "*"');
    const dav = new Map<string, string[]>();
    for (const l of r.untagged.map(parseList)) if (l) dav.set(l.path, l.flags);
    const dove = await dovecotList();
    for (const f of dove) {
      assert.ok(dav.has(f.path), `Dovecot folder ${f.path} missing from DavMail's LIST: ${[...dav.keys()].join(', ')}`);
      // DavMail knows \Drafts \Sent \Trash \Junk (not \Archive)
      if (f.specialUse && ['\\Drafts', '\\Sent', '\\Trash', '\\Junk'].includes(f.specialUse)) {
        assert.ok(dav.get(f.path)!.includes(f.specialUse), `${f.path}: ${f.specialUse} missing in (${dav.get(f.path)!.join(' ')})`);
      }
      const children = dove.some((g) => g.path.startsWith(f.path + '/'));
      assert.ok(dav.get(f.path)!.includes(children ? '\\HasChildren' : '\\HasNoChildren'), `${f.path}: (${dav.get(f.path)!.join(' ')})`);
    }
    // DavMail always adds its outbox as "Unsent Messages"; nothing else that Dovecot lacks
    const extra = [...dav.keys()].filter((n) => !dove.some((f) => f.path === n));
    assert.deepEqual(
      extra.filter((n) => n !== 'Unsent Messages'),
      [],
      'folders DavMail shows that Dovecot does not have',
    );
  });

  test('SELECT counts: EXISTS, UIDNEXT and unread (DavMail reports it as RECENT) as Dovecot has them', { timeout: 60_000 }, async () => {
    for (const folder of ['INBOX', CORPUS]) {
      const d = await dovecotFolder(folder);
      const s = await select(folder);
      assert.equal(s.exists, d.exists, `${folder}: EXISTS`);
      assert.equal(s.uidNext, d.uidNext, `${folder}: UIDNEXT`);
      assert.equal(s.recent, d.unseen, `${folder}: unread`);
    }
  });
});

describe('DavMail over ewsgate: reading', () => {
  test("UID FETCH (FLAGS RFC822.SIZE INTERNALDATE): UIDs, flags, sizes and dates equal to Dovecot's", { timeout: 120_000 }, async () => {
    for (const folder of ['INBOX', CORPUS]) {
      const d = (await dovecotFolder(folder)).messages;
      const v = await davFetchAll(folder);
      assert.deepEqual(
        v.map((m) => m.uid),
        d.map((m) => m.uid),
        `${folder}: UIDs`,
      );
      for (const [i, m] of d.entries()) {
        assert.deepEqual(v[i]!.flags, m.flags, `${folder} UID ${m.uid}: FLAGS`);
        assert.equal(v[i]!.size, m.size, `${folder} UID ${m.uid}: RFC822.SIZE`);
        assert.equal(new Date(v[i]!.internalDate).toISOString(), new Date(m.internalDate).toISOString(), `${folder} UID ${m.uid}: INTERNALDATE`);
      }
    }
  });

  test("BODY.PEEK[] is byte-identical to Dovecot's for every fixture message (mail and MIME corpus), and sets no flag", { timeout: 180_000 }, async () => {
    for (const folder of ['INBOX', CORPUS]) {
      const d = await dovecotFolder(folder, true);
      const bodies = await davBodies(folder);
      const differing: string[] = [];
      for (const m of d.messages) {
        const b = bodies.get(m.uid);
        if (!b) differing.push(`UID ${m.uid}: no BODY[]`);
        else if (!b.equals(m.source!)) differing.push(`UID ${m.uid}: ${b.length} vs ${m.source!.length} bytes`);
      }
      assert.deepEqual(differing, [], `${folder}: BODY[] through DavMail differs from Dovecot's`);
      const after = await dovecotFolder(folder);
      assert.deepEqual(
        after.messages.map((m) => m.flags),
        d.messages.map((m) => m.flags),
        `${folder}: BODY.PEEK[] changed flags`,
      );
    }
  });
});

describe('DavMail over ewsgate: writing', () => {
  test(
    'STORE of \\Seen, \\Flagged, \\Answered, $Forwarded, \\Deleted and a keyword lands in Dovecot, and -FLAGS takes each away',
    { timeout: 120_000 },
    async () => {
      const d = (await dovecotFolder(CORPUS)).messages;
      const uid = d[0]!.uid;
      await select(CORPUS);
      const problems: string[] = [];
      const store = async (cmd: string) => {
        if ((await session()) && selected !== CORPUS) await select(CORPUS);
        return imap.command(cmd);
      };
      for (const flag of ['\\Seen', '\\Flagged', '\\Answered', '$Forwarded', '\\Deleted', 'projectx']) {
        const add = await store(`UID STORE ${uid} +FLAGS (${flag})`);
        if (!add.status.startsWith('OK')) problems.push(`+FLAGS (${flag}): ${add.status}`);
        const inDovecot = await dovecotFlags(CORPUS, uid);
        if (!inDovecot?.includes(flag)) problems.push(`+FLAGS (${flag}): Dovecot has (${inDovecot?.join(' ')})`);
        const seenByDav = add.status.startsWith('OK') ? await davFlags(uid) : [];
        if (!seenByDav.includes(flag)) problems.push(`+FLAGS (${flag}): DavMail then FETCHes (${seenByDav.join(' ')})`);
      }
      for (const flag of ['\\Seen', '\\Flagged', '\\Answered', '$Forwarded', '\\Deleted', 'projectx']) {
        const del = await store(`UID STORE ${uid} -FLAGS (${flag})`);
        if (!del.status.startsWith('OK')) problems.push(`-FLAGS (${flag}): ${del.status}`);
        const inDovecot = await dovecotFlags(CORPUS, uid);
        if (inDovecot?.includes(flag)) problems.push(`-FLAGS (${flag}): Dovecot still has (${inDovecot.join(' ')})`);
      }
      assert.deepEqual(problems, [], problems.join('\n') + context());
    },
  );

  test(
    'APPEND (\\Seen \\Flagged \\Answered and a keyword, with a date) lands in Dovecot byte for byte, with its flags and date',
    { timeout: 60_000 },
    async () => {
      const raw = readFixtureCrlf(path.join(FIXTURES_DIR, 'mime', '13-rich-headers.eml'));
      const before = await dovecotFolder('Projects');
      const r = await (await session()).append('Projects', raw, ['\\Seen', '\\Flagged', '\\Answered', 'projectx'], '14-Nov-2026 16:20:00 +0100');
      assert.match(r.status, /^OK/, r.status + context());
      const after = await dovecotFolder('Projects', true);
      const added = after.messages.filter((m) => !before.messages.some((b) => b.uid === m.uid));
      assert.equal(added.length, 1, 'one new message in Dovecot');
      const m = added[0]!;
      const problems: string[] = [];
      if (!m.source!.equals(raw)) problems.push(`APPENDed bytes differ (${m.source!.length} vs ${raw.length})`);
      const want = ['\\Answered', '\\Flagged', '\\Seen', 'projectx'];
      if (m.flags.join(' ') !== want.join(' ')) problems.push(`flags (${m.flags.join(' ')}), expected (${want.join(' ')})`);
      const date = new Date(m.internalDate).toISOString();
      if (date !== '2026-11-14T15:20:00.000Z') problems.push(`INTERNALDATE ${date}, expected the APPEND date 2026-11-14T15:20:00.000Z`);
      const create = rec.exchanges.filter((e) => e.op === 'CreateItem' && e.authorized).at(-1);
      assert.deepEqual(
        problems,
        [],
        `${problems.join('; ')}\nDavMail's CreateItem: ${create?.request?.replace(/<t:MimeContent>[^<]*</, '<t:MimeContent>...<')}`,
      );
    },
  );

  test('COPY and MOVE: Dovecot gets the same bytes; MOVE takes the message away from the source', { timeout: 60_000 }, async () => {
    const src = await dovecotFolder(CORPUS, true);
    const [a, b] = [src.messages[1]!, src.messages[2]!];
    await select(CORPUS);
    await ok(`UID COPY ${a.uid} "Projects"`);
    await ok(`UID MOVE ${b.uid} "Projects/2026"`);
    const projects = await dovecotFolder('Projects', true);
    assert.ok(
      projects.messages.some((m) => m.source!.equals(a.source!)),
      'COPY: the copy in Projects',
    );
    const y2026 = await dovecotFolder('Projects/2026', true);
    assert.ok(
      y2026.messages.some((m) => m.source!.equals(b.source!)),
      'MOVE: the message in Projects/2026',
    );
    const after = await dovecotFolder(CORPUS);
    assert.ok(
      after.messages.some((m) => m.uid === a.uid),
      'COPY keeps the original',
    );
    assert.ok(!after.messages.some((m) => m.uid === b.uid), 'MOVE removes the original');
  });

  test('STORE \\Deleted then EXPUNGE removes the message from Dovecot and DavMail reports the EXPUNGE', { timeout: 60_000 }, async () => {
    const before = await dovecotFolder(CORPUS);
    const victim = before.messages[before.messages.length - 1]!;
    await select(CORPUS);
    await ok(`UID STORE ${victim.uid} +FLAGS (\\Deleted)`);
    const r = await ok('EXPUNGE');
    assert.ok(
      r.untagged.some((l) => /^\* \d+ EXPUNGE$/.test(l)),
      r.untagged.join(' | '),
    );
    const after = await dovecotFolder(CORPUS);
    assert.ok(!after.messages.some((m) => m.uid === victim.uid), 'gone from Dovecot');
    assert.equal(after.exists, before.exists - 1);
  });

  test('CREATE, RENAME and DELETE of folders happen in Dovecot', { timeout: 60_000 }, async () => {
    const has = async (p: string) => (await dovecotList()).some((f) => f.path === p);
    await ok('CREATE "DavMade"');
    assert.ok(await has('DavMade'), 'CREATE DavMade');
    await ok('CREATE "Projects/DavSub"');
    assert.ok(await has('Projects/DavSub'), 'CREATE Projects/DavSub');
    await ok('RENAME "DavMade" "DavRenamed"');
    assert.ok((await has('DavRenamed')) && !(await has('DavMade')), 'RENAME');
    await ok('DELETE "DavRenamed"');
    await ok('DELETE "Projects/DavSub"');
    const list = await dovecotList();
    assert.ok(!list.some((f) => /DavRenamed|DavSub/.test(f.path)), `DELETE: ${list.map((f) => f.path).join(', ')}`);
  });
});

describe('DavMail over ewsgate: SMTP and IDLE', () => {
  test("a message sent through DavMail's SMTP port reaches another user's Inbox through Postfix, with the copy in Sent", { timeout: 90_000 }, async () => {
    const messageId = `<davmail-smtp-${Date.now()}@example.test>`;
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: dm.smtpPort,
      secure: false,
      ignoreTLS: true,
      auth: { user: user.email, pass: user.password },
    });
    try {
      await transport.sendMail({ from: user.email, to: other.email, subject: 'through DavMail', text: 'Hello through DavMail and ewsgate.\r\n', messageId });
    } finally {
      transport.close();
    }
    const find = async (who: TestUser, folder: string) =>
      withImap(tg.backends, who, async (c) => {
        const lock = await c.getMailboxLock(folder);
        try {
          const uids = await c.search({ header: { 'message-id': messageId } }, { uid: true });
          return uids && uids.length ? uids : undefined;
        } finally {
          lock.release();
        }
      });
    await until(`delivery to ${other.email}`, () => find(other, 'INBOX'), 30_000);
    const sent = (await dovecotList()).find((f) => f.specialUse === '\\Sent')!.path;
    await until('the copy in Sent', () => find(user, sent), 10_000);
  });

  test('IDLE on INBOX notices a message Postfix delivered (DavMail polls every davmail.imapIdleDelay = 1 min)', { timeout: 120_000 }, async () => {
    await session();
    const s = await select('INBOX');
    const idle = await (
      await session()
    ).idle(/^\* \d+ EXISTS$/, 90_000, async () => {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: tg.backends.smtpPort, secure: false, ignoreTLS: true });
      try {
        await transport.sendMail({ from: other.email, to: user.email, subject: 'delivered while idling', text: 'new mail\r\n' });
      } finally {
        transport.close();
      }
    });
    assert.ok(idle.matched, `no EXISTS during IDLE: ${idle.seen.join(' | ')}${context()}`);
    assert.match(idle.status, /^OK/);
    const exists = Number(/^\* (\d+) EXISTS$/.exec(idle.seen.find((l) => /EXISTS$/.test(l))!)![1]);
    assert.equal(exists, s.exists + 1);
  });
});

describe('DavMail over ewsgate: bad input', () => {
  /** Runs a command on a session that may have been closed by DavMail; any tagged answer is a clear answer. */
  async function answered(cmd: string, timeoutMs = 60_000): Promise<string> {
    const c = await session();
    try {
      return (await c.command(cmd, timeoutMs)).status;
    } catch (e) {
      // DavMail may answer BAD and close; a closed connection is an answer too, a timeout is not
      if (/timed out/.test((e as Error).message)) throw e;
      return `closed (${(e as Error).message})`;
    }
  }

  test(
    'a message expunged in Dovecot while DavMail has it listed: BODY[] gets an answer, then DavMail reports it gone; nothing else is lost',
    { timeout: 90_000 },
    async () => {
      const before = await dovecotFolder(CORPUS);
      const victim = before.messages[0]!;
      await select(CORPUS);
      await withImap(tg.backends, user, async (c) => {
        await c.mailboxOpen(CORPUS);
        await c.messageDelete(String(victim.uid), { uid: true });
      });
      // DavMail 6.0.1 writes "* n FETCH (UID u" before it downloads the message and, when GetItem
      // answers ErrorItemNotFound, logs "Ignore missing message" and glues its tagged OK to that
      // unfinished line: a malformed answer, but an answer (hence `loose`).
      const r = await (await session()).command(`UID FETCH ${victim.uid} (BODY.PEEK[])`, 30_000, true);
      assert.match(r.status, /^(OK|NO|BAD)/);
      const get = rec.exchanges.filter((e) => e.op === 'GetItem' && e.authorized).at(-1);
      assert.match(
        get?.response ?? '',
        /<m:ResponseCode>ErrorItemNotFound<\/m:ResponseCode>/,
        'ewsgate answers the gone message with ErrorItemNotFound, as Exchange does',
      );
      if (r.untagged.some((l) => !l.endsWith(')') && / FETCH \(UID \d+/.test(l))) imap.close(); // the session's framing is broken: start a new one
      const s = await select(CORPUS);
      const after = await dovecotFolder(CORPUS);
      assert.equal(after.exists, before.exists - 1, 'Dovecot lost nothing else');
      assert.equal(s.exists, after.exists, 'DavMail sees the folder as Dovecot has it');
      const uids = (await davFetchAll(CORPUS)).map((m) => m.uid);
      assert.deepEqual(
        uids,
        after.messages.map((m) => m.uid),
      );
    },
  );

  test('a folder deleted in Dovecot under a selected DavMail session: clear answers, and LIST no longer shows it', { timeout: 90_000 }, async () => {
    await withImap(tg.backends, user, async (c) => {
      await c.mailboxCreate('Doomed');
      await c.append('Doomed', readFixtureCrlf(mimeCorpus()[0]!), []);
    });
    await select('Doomed');
    await withImap(tg.backends, user, (c) => c.mailboxDelete('Doomed'));
    const noop = await answered('NOOP');
    const fetch = await answered('UID FETCH 1:* (FLAGS)');
    assert.ok(noop && fetch, 'answers');
    const list = await ok('LIST "" "*"');
    assert.ok(!list.untagged.some((l) => /"?Doomed"?$/.test(l)), list.untagged.join(' | '));
  });

  test('ewsgate restarted under a running DavMail: a clear answer while it is down, and DavMail carries on once it is back', { timeout: 120_000 }, async () => {
    await select('INBOX');
    await tg.close();
    const down = await answered('NOOP');
    assert.ok(down, 'an answer while the gateway is down');
    tg = await startTestGateway({ smtp: backendsSmtp() });
    rec.retarget(tg.gateway.url);
    const d = await dovecotFolder('INBOX');
    const s = await select('INBOX');
    assert.equal(s.exists, d.exists, 'EXISTS after the restart');
    const unseen = d.messages.find((m) => !m.flags.includes('\\Seen'));
    assert.ok(unseen);
    await ok(`UID STORE ${unseen.uid} +FLAGS (\\Seen)`);
    assert.ok((await dovecotFlags('INBOX', unseen.uid))?.includes('\\Seen'), 'a STORE after the restart lands in Dovecot');
  });
});
