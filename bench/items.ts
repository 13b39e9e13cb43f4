// `node --import tsx bench/items.ts`: how much the EWS mail-item operations cost
// compared with the IMAP commands behind them, against a private, real Dovecot
// started here (issue 3 item 8, and issue 8's SyncFolderItems scaling figure).
//
//  1. FindItem, Default shape, IndexedPageItemView of 100 on a 10,000-message
//     folder (first page and Offset=5000, with and without a SortOrder on
//     DateTimeReceived descending)  vs  imapflow UID SEARCH / UID SORT + UID FETCH
//     of the same fields for the same 100 messages.
//  2. GetItem IncludeMimeContent of 50 × 1 MB messages (one request with 50 ids,
//     and 50 requests of one id)  vs  imapflow UID FETCH BODY[] of the same 50.
//  3. Incremental SyncFolderItems with one change on 1,000- / 10,000- / 50,000-
//     message folders, and the IMAP CHANGEDSINCE + UID SEARCH behind it.
//  3b., 4.–7. Where the time of (3), (1) and (2) goes: the gateway's pieces
//     called in-process, and V8 CPU profiles of (1) and (2).
//
// Every figure is a median of interleaved runs after warm-up runs, printed and
// never asserted: the bench fails only when an answer is wrong. Only 127.0.0.1
// is contacted. See bench/README.md ("bench/items.ts") for what each figure means.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { cpus } from 'node:os';
import type { ImapFlow } from 'imapflow';
import type { Gateway } from '../src/server/http.js';
import { createMailboxProvider } from '../src/server/mailboxes.js';
import { parseSoapRequest, renderEnvelope } from '../src/soap/envelope.js';
import { x } from '../src/soap/xml.js';
import { bodyText, dispatch } from '../src/ews/dispatch.js';
import { ok, respond, type Mailbox, type RequestContext } from '../src/ews/operation.js';
import { FolderTree, type EwsFolder } from '../src/ews/folders/tree.js';
import { fetchFieldsFor, loadMailItems, renderContext } from '../src/ews/items/load.js';
import { needsOf, renderMailItem, type MailItem } from '../src/ews/items/mail-item.js';
import { parseHeaderBlock } from '../src/ews/items/headers.js';
import { changeKeyOf, decodeItemId, encodeItemId } from '../src/ews/items/item-id.js';
import type { ItemShape } from '../src/ews/items/shape.js';
import type { FetchedMessage } from '../src/ports/mail-store.js';
import { ImapMailStore } from '../adapters/imap/imap-store.js';
import { orderedSet, uidSet } from '../adapters/imap/convert.js';
import { startBackends, type Backends, type TestUser } from '../test/harness/backends.js';
import type { ChildProcess } from 'node:child_process';
import { benchConfig, cpuPerRun, envelope, startGatewayProcess, f1, f2, f3, kb, log, poolLikeClient, profileCpu, runBench, sleep, startBenchGateway, table, timeEach as timeRuns, watchdog, type Step } from './common.js';

const WARMUP = Number(process.env.BENCH_WARMUP ?? 4);
const RUNS = Number(process.env.BENCH_RUNS ?? 20);
const MIME_WARMUP = Number(process.env.BENCH_MIME_WARMUP ?? 1);
const MIME_RUNS = Number(process.env.BENCH_MIME_RUNS ?? 5);
/** Also GetItem Default + IncludeMimeContent (adds the text-section FETCH and the Default properties). */
const MIME_DEFAULT = process.env.BENCH_MIME_DEFAULT === '1';
const FIND_SIZE = Number(process.env.BENCH_FIND_SIZE ?? 10_000);
const PAGE = 100;
const MID_OFFSET = Number(process.env.BENCH_FIND_OFFSET ?? Math.floor(FIND_SIZE / 2));
const SYNC_SIZES = (process.env.BENCH_SYNC_SIZES ?? `1000,${FIND_SIZE},50000`).split(',').map(Number);
const SYNC_WARMUP = Number(process.env.BENCH_SYNC_WARMUP ?? 2);
const SYNC_RUNS = Number(process.env.BENCH_SYNC_RUNS ?? 12);
const PROFILE_RUNS = Number(process.env.BENCH_PROFILE_RUNS ?? 15);
/** Runs of the pure-CPU pieces (cheap: more runs, steadier medians). */
const CPU_RUNS = 100;
const MIME_COUNT = 50;
const MIME_BYTES = 1024 * 1024;
const APPEND_BATCH = 2000; // messages per MULTIAPPEND command
const FILL_CONNECTIONS = 3;
const WATCHDOG_MS = 420_000;
/** Dovecot rescans a maildir folder changed by another session in the last ~2 s on every STATUS / sync of it. */
const MAILDIR_SETTLE_MS = 2500;
/** Which tables to measure: find (1, 4, 5), mime (2, 6, 7), sync (3, 3b). */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'find,mime,sync').split(','));

// ---------------------------------------------------------------- helpers

/** Interleaved medians (bench/common.ts), RUNS after WARMUP unless said otherwise. */
const timeEach = <K extends string>(steps: Record<K, Step>, runs = RUNS, warmup = WARMUP) => timeRuns(steps, runs, warmup);

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;

const SORT_RECEIVED_DESC = '<m:SortOrder><t:FieldOrder Order="Descending"><t:FieldURI FieldURI="item:DateTimeReceived"/></t:FieldOrder></m:SortOrder>';

function findItemRequest(folderId: string, opts: { shape?: string; offset?: number; max?: number; sorted?: boolean }): string {
  const view = opts.max === undefined ? '' : `<m:IndexedPageItemView MaxEntriesReturned="${opts.max}" Offset="${opts.offset ?? 0}" BasePoint="Beginning"/>`;
  return envelope(
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>${opts.shape ?? 'Default'}</t:BaseShape></m:ItemShape>${view}` +
      (opts.sorted ? SORT_RECEIVED_DESC : '') +
      `<m:ParentFolderIds><t:FolderId Id="${folderId}"/></m:ParentFolderIds></m:FindItem>`,
  );
}

function getItemRequest(ids: string[], base: 'IdOnly' | 'Default'): string {
  return envelope(
    `<m:GetItem><m:ItemShape><t:BaseShape>${base}</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent></m:ItemShape>` +
      `<m:ItemIds>${ids.map((id) => `<t:ItemId Id="${id}"/>`).join('')}</m:ItemIds></m:GetItem>`,
  );
}

function syncItemsRequest(folderId: string, base: 'IdOnly' | 'Default', state: string | undefined, max = 512): string {
  return envelope(
    `<m:SyncFolderItems><m:ItemShape><t:BaseShape>${base}</t:BaseShape></m:ItemShape>` +
      `<m:SyncFolderId><t:FolderId Id="${folderId}"/></m:SyncFolderId>` +
      (state ? `<m:SyncState>${state}</m:SyncState>` : '') +
      `<m:MaxChangesReturned>${max}</m:MaxChangesReturned></m:SyncFolderItems>`,
  );
}

const RAW_LIST_STATUS = 'LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ))';

const FIND_FOLDER_DEEP = envelope(
  '<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>' +
    '<m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>',
);

/** ItemIds of an EWS response, in document order. */
const itemIdsOf = (xml: string) => [...xml.matchAll(/<t:ItemId Id="([^"]+)"/g)].map((m) => m[1]!);
const uidsOf = (xml: string) => itemIdsOf(xml).map((id) => decodeItemId(id)?.uid ?? -1);

/**
 * The EWS client: node:http on one kept-alive connection, a Basic Authorization
 * header on every request. Timed requests only count the answer's bytes and drop
 * them, so the client's own cost (it shares this thread with the gateway) stays
 * small even for a 67 MB answer; fetch() (undici) spent ~1 s per such answer
 * concatenating it (bench/run.ts uses fetch: its answers are small).
 */
class EwsClient {
  readonly auth: string;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(
    readonly url: string,
    user: TestUser,
  ) {
    this.auth = 'Basic ' + Buffer.from(`${user.email}:${user.password}`).toString('base64');
  }

  private request(body: string, keep: boolean): Promise<{ status: number; bytes: number; chunks: Buffer[] }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'Content-Type': 'text/xml; charset=utf-8', Authorization: this.auth, 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            if (keep || res.statusCode !== 200) chunks.push(c);
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, chunks }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** One request; returns the answer's size in bytes. */
  async post(body: string): Promise<number> {
    const r = await this.request(body, false);
    if (r.status !== 200) throw new Error(`EWS answered HTTP ${r.status}: ${Buffer.concat(r.chunks).toString('utf8', 0, 500)}`);
    return r.bytes;
  }

  async text(body: string): Promise<string> {
    const r = await this.request(body, true);
    const text = Buffer.concat(r.chunks).toString('utf8');
    if (r.status !== 200) throw new Error(`EWS answered HTTP ${r.status}: ${text.slice(0, 500)}`);
    return text;
  }

  /** One request, checked: every response message Success. */
  async check(what: string, body: string): Promise<string> {
    const text = await this.text(body);
    if (/ResponseClass="(Error|Warning)"/.test(text) || !/ResponseClass="Success"/.test(text)) {
      throw new Error(`${what}: not all Success:\n${text.slice(0, 1500)}`);
    }
    return text;
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * A bare IMAP connection on a socket, for what imapflow cannot do quickly
 * (MULTIAPPEND with LITERAL+, to fill folders) and to show what Dovecot and the
 * wire cost without any parsing. Only the tail of the answer is kept.
 */
class RawImap {
  private sock!: net.Socket;
  private tail = '';
  private waiter: { tag: string; re: RegExp; resolve: (line: string) => void; reject: (e: Error) => void } | null = null;
  private n = 0;
  bytes = 0;
  capabilities = '';

  async open(port: number, user: TestUser): Promise<void> {
    this.sock = net.connect({ host: '127.0.0.1', port });
    this.sock.setNoDelay(true);
    this.sock.on('data', (d: Buffer) => {
      this.bytes += d.length;
      this.tail = (this.tail + d.toString('latin1', Math.max(0, d.length - 2048))).slice(-4096);
      const w = this.waiter;
      if (!w) return;
      const m = w.re.exec(this.tail);
      if (!m) return;
      this.waiter = null;
      this.tail = '';
      if (m[1] === 'OK') w.resolve(m[0].trim());
      else w.reject(new Error(`IMAP: ${m[0].trim()}`));
    });
    this.sock.on('error', (e) => this.waiter?.reject(e));
    const greeted = new Promise<void>((resolve, reject) => {
      this.sock.once('error', reject);
      const onData = () => {
        if (this.tail.includes('\r\n')) {
          this.sock.off('data', onData);
          this.tail = '';
          resolve();
        }
      };
      this.sock.on('data', onData);
    });
    await greeted;
    await this.cmd(`LOGIN "${user.email}" "${user.password}"`);
    this.tail = '';
    const caps = await this.cmdWithTail('CAPABILITY');
    this.capabilities = caps;
  }

  /** Sends one command (strings and buffers, written in order) and waits for its tagged reply. */
  async cmd(...parts: (string | Buffer)[]): Promise<string> {
    const tag = `R${++this.n}`;
    const done = new Promise<string>((resolve, reject) => {
      this.waiter = { tag, re: new RegExp(`(?:^|\\r\\n)${tag} (OK|NO|BAD)[^\\r\\n]*\\r\\n`), resolve, reject };
    });
    parts[0] = `${tag} ${typeof parts[0] === 'string' ? parts[0] : ''}`;
    for (const p of parts) if (!this.sock.write(p)) await once(this.sock, 'drain');
    this.sock.write('\r\n');
    return done;
  }

  private async cmdWithTail(command: string): Promise<string> {
    let seen = '';
    const grab = (d: Buffer) => (seen += d.toString('latin1'));
    this.sock.on('data', grab);
    try {
      await this.cmd(command);
    } finally {
      this.sock.off('data', grab);
    }
    return seen;
  }

  /** One MULTIAPPEND (RFC 3502) of all `msgs`, with non-synchronizing literals (LITERAL+). */
  async appendMany(mailbox: string, msgs: { raw: Buffer; flags: string[]; date: Date }[]): Promise<void> {
    if (!/LITERAL\+/i.test(this.capabilities)) throw new Error('the IMAP server has no LITERAL+ (needed to fill folders quickly)');
    const parts: (string | Buffer)[] = [`APPEND "${mailbox}"`];
    for (const m of msgs) {
      parts.push(` (${m.flags.join(' ')}) "${imapDate(m.date)}" {${m.raw.length}+}\r\n`, m.raw);
    }
    await this.cmd(...parts);
  }

  async close(): Promise<void> {
    await this.cmd('LOGOUT').catch(() => undefined);
    this.sock.destroy();
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** INTERNALDATE as APPEND takes it: "07-Mar-2025 09:15:00 +0000". */
function imapDate(d: Date): string {
  return `${p2(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

/** RFC 5322 Date: "Fri, 07 Mar 2025 09:15:00 +0000". */
function rfcDate(d: Date): string {
  return `${DAYS[d.getUTCDay()]}, ${p2(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
}

// imapflow's exec() is public in its code but not its typings: UID SORT, as adapters/imap/imap-store.ts sends it.
interface ImapExec {
  exec(
    command: string,
    attributes: unknown[],
    options: { untagged: Record<string, (u: { attributes?: { value?: unknown }[] }) => Promise<void>> },
  ): Promise<{ next: () => void }>;
}

async function uidSortArrivalDesc(client: ImapFlow): Promise<number[]> {
  const uids: number[] = [];
  const res = await (client as unknown as ImapExec).exec(
    'UID SORT',
    [
      [
        { type: 'ATOM', value: 'REVERSE' },
        { type: 'ATOM', value: 'ARRIVAL' },
      ],
      { type: 'ATOM', value: 'UTF-8' },
      { type: 'ATOM', value: 'ALL' },
    ],
    {
      untagged: {
        SORT: async (u) => {
          for (const a of u.attributes ?? []) uids.push(Number(a.value));
        },
      },
    },
  );
  res.next();
  return uids;
}

/** `UID SORT RETURN (COUNT PARTIAL a:b) (REVERSE ARRIVAL)`, as the gateway asks for a sorted page: UIDs at [start, end). */
async function uidSortArrivalDescWindow(client: ImapFlow, start: number, end: number): Promise<number[]> {
  let uids: number[] = [];
  const atom = (value: string) => ({ type: 'ATOM', value });
  const res = await (client as unknown as ImapExec).exec(
    'UID SORT',
    [atom('RETURN'), [atom('COUNT'), atom('PARTIAL'), atom(`${start + 1}:${end}`)], [atom('REVERSE'), atom('ARRIVAL')], atom('UTF-8'), atom('ALL')],
    {
      untagged: {
        ESEARCH: async (u) => {
          const attrs = (u.attributes ?? []) as unknown[];
          const at = attrs.findIndex((a) => !Array.isArray(a) && String((a as { value?: unknown }).value).toUpperCase() === 'PARTIAL');
          const value = attrs[at + 1];
          if (at >= 0 && Array.isArray(value)) uids = orderedSet(String((value[1] as { value?: unknown }).value ?? ''));
        },
      },
    },
  );
  res.next();
  return uids;
}

// ---------------------------------------------------------------- test mail

/** mulberry32: a small seeded PRNG, so every run fills the same mailbox. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Anna', 'Bruno', 'Chloé', 'David', 'Emma', 'Farid', 'Greta', 'Hiro', 'Ines', 'Jonas', 'Katja', 'Luis', 'Mei', 'Nora', 'Oskar', 'Priya'];
const LAST = ['Schmidt', 'Martin', 'García', 'Rossi', 'Nowak', 'Jensen', 'Tanaka', 'Dubois', 'Silva', 'Müller', 'Novak', 'Berg'];
const DOMAINS = ['example.org', 'corp.example.com', 'mail.example.net', 'lists.example.org'];
const TOPICS = [
  'Quarterly report',
  'Budget 2026',
  'Team offsite',
  'Release 4.2 checklist',
  'Invoice 2025-0193',
  'Customer escalation',
  'Weekly sync notes',
  'Server migration plan',
  'Hiring: backend engineer',
  'Travel request',
  'Contract renewal',
  'Design review',
  'Réunion de lundi',
  'Übergabe Projekt Nord',
  'Security advisory',
  'Lunch on Friday?',
];
const WORDS = (
  'the of and to in is that for it as with on be at by this we are from or have an they which one you were all there when ' +
  'your can said use each about how their if will up other out many then them these so some would make like into time has ' +
  'look two more write see number way could people than first water been call who its now find long down day did get come'
).split(' ');

const pick = <T>(r: () => number, xs: T[]): T => xs[Math.floor(r() * xs.length)]!;

function person(r: () => number): { name: string; address: string } {
  const first = pick(r, FIRST);
  const last = pick(r, LAST);
  const local = `${first}.${last}`
    .normalize('NFD')
    .replace(/[^\x20-\x7e]/g, '')
    .toLowerCase();
  return { name: `${first} ${last}`, address: `${local}@${pick(r, DOMAINS)}` };
}

/** "Name <addr>" with RFC 2047 for non-ASCII names. */
function addr(p: { name: string; address: string }): string {
  const name = /^[\x20-\x7e]*$/.test(p.name) ? `"${p.name}"` : `=?UTF-8?B?${Buffer.from(p.name).toString('base64')}?=`;
  return `${name} <${p.address}>`;
}

function encodeSubject(s: string): string {
  return /^[\x20-\x7e]*$/.test(s)
    ? s
    : `=?UTF-8?Q?${[...Buffer.from(s)].map((c) => (c > 0x20 && c < 0x7f && c !== 0x3d && c !== 0x3f && c !== 0x5f ? String.fromCharCode(c) : c === 0x20 ? '_' : `=${c.toString(16).toUpperCase().padStart(2, '0')}`)).join('')}?=`;
}

function paragraph(r: () => number, words: number): string {
  const out: string[] = [];
  let line = '';
  for (let i = 0; i < words; i++) {
    const w = pick(r, WORDS);
    if (line.length + w.length + 1 > 72) {
      out.push(line);
      line = '';
    }
    line += (line ? ' ' : '') + w;
  }
  if (line) out.push(line);
  return out.join('\r\n');
}

function base64Lines(buf: Buffer): string {
  return buf.toString('base64').replace(/.{76}/g, '$&\r\n');
}

interface TestMessage {
  raw: Buffer;
  flags: string[];
  date: Date;
}

const ME = { name: 'Bench User', address: 'items@example.test' };
const START = Date.UTC(2024, 0, 2, 8, 0, 0);

/**
 * Message `i` of a folder: realistic headers (Received, DKIM, Message-ID,
 * threads with References, some Thread-Index / Importance / read receipts),
 * plain or multipart/alternative text, one in 40 with a small PDF attached,
 * or `attachBytes` of attachment for the big ones.
 */
function makeMessage(i: number, seed: number, opts: { attachBytes?: number; stepMinutes?: number } = {}): TestMessage {
  const r = rng(seed * 1_000_003 + i);
  // Arrival order mostly follows the UIDs, with jitter, so SORT ARRIVAL is not just UID order.
  const date = new Date(START + i * (opts.stepMinutes ?? 11) * 60_000 + Math.floor((r() - 0.3) * 6 * 3600_000));
  const sent = new Date(date.getTime() - Math.floor(r() * 600_000));
  const from = person(r);
  const to = [ME, ...(r() < 0.4 ? [person(r)] : []), ...(r() < 0.15 ? [person(r)] : [])];
  const cc = r() < 0.3 ? [person(r), ...(r() < 0.3 ? [person(r)] : [])] : [];
  const topic = pick(r, TOPICS);
  const reply = r() < 0.35;
  const msgId = `<${i}.${Math.floor(r() * 1e9).toString(36)}@${from.address.split('@')[1]}>`;
  const parent = `<${Math.max(0, i - 1 - Math.floor(r() * 20))}.thread@${from.address.split('@')[1]}>`;
  const h: string[] = [
    `Return-Path: <${from.address}>`,
    `Delivered-To: ${ME.address}`,
    `Received: from mx${Math.floor(r() * 9)}.${from.address.split('@')[1]} (mx.${from.address.split('@')[1]} [192.0.2.${Math.floor(r() * 250)}])\r\n\tby mail.example.test (Postfix) with ESMTPS id ${Math.floor(
      r() * 1e10,
    )
      .toString(16)
      .toUpperCase()}\r\n\tfor <${ME.address}>; ${rfcDate(date)}`,
    `Received: from [10.1.${Math.floor(r() * 250)}.${Math.floor(r() * 250)}] (unknown [198.51.100.${Math.floor(r() * 250)}])\r\n\tby mx.${from.address.split('@')[1]} with ESMTPSA id ${Math.floor(r() * 1e8)}; ${rfcDate(sent)}`,
  ];
  if (r() < 0.5) {
    h.push(
      `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${from.address.split('@')[1]}; s=s1;\r\n\th=from:to:subject:date:message-id; bh=${Buffer.from(String(r())).toString('base64')}=;\r\n\tb=${base64Lines(Buffer.from(Array.from({ length: 180 }, () => Math.floor(r() * 256)))).replace(/\r\n/g, '\r\n\t ')}`,
    );
  }
  h.push(
    `Message-ID: ${msgId}`,
    `Date: ${rfcDate(sent)}`,
    `From: ${addr(from)}`,
    `To: ${to.map(addr).join(',\r\n ')}`,
    ...(cc.length ? [`Cc: ${cc.map(addr).join(', ')}`] : []),
    `Subject: ${encodeSubject(`${reply ? 'Re: ' : ''}${topic} #${i % 997}`)}`,
    ...(reply ? [`In-Reply-To: ${parent}`, `References: <${Math.max(0, i - 40)}.root@${from.address.split('@')[1]}> ${parent}`] : []),
    ...(r() < 0.2
      ? [`Thread-Topic: ${topic}`, `Thread-Index: ${Buffer.from(Array.from({ length: 22 }, () => Math.floor(r() * 256))).toString('base64')}`]
      : []),
    ...(r() < 0.05 ? ['Importance: high', 'X-Priority: 1'] : []),
    ...(r() < 0.03 ? [`Disposition-Notification-To: ${addr(from)}`] : []),
    r() < 0.5 ? 'User-Agent: Mozilla Thunderbird' : 'X-Mailer: Microsoft Outlook 16.0',
    'MIME-Version: 1.0',
  );
  const text = [`Hello,`, paragraph(r, 40 + Math.floor(r() * 120)), paragraph(r, 20 + Math.floor(r() * 60)), `Regards,\r\n${from.name}`].join('\r\n\r\n');
  const withAttachment = opts.attachBytes !== undefined || i % 40 === 7;
  const alternative = !withAttachment && r() < 0.3;
  let body: string;
  const textPart = `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text}\r\n`;
  if (withAttachment) {
    const size = opts.attachBytes ?? 2000 + Math.floor(r() * 4000);
    const data = Buffer.alloc(size);
    for (let k = 0; k < size; k += 4) data.writeUInt32LE(Math.floor(r() * 4294967296) >>> 0, Math.min(k, size - 4));
    const b = `b${i}x${seed}`;
    h.push(`Content-Type: multipart/mixed; boundary="${b}"`);
    body =
      `This is a multi-part message in MIME format.\r\n--${b}\r\n${textPart}--${b}\r\n` +
      `Content-Type: application/pdf; name="report-${i}.pdf"\r\nContent-Disposition: attachment; filename="report-${i}.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
      `${base64Lines(data)}\r\n--${b}--\r\n`;
  } else if (alternative) {
    const b = `a${i}x${seed}`;
    const html = `<html><body>${text
      .split('\r\n\r\n')
      .map((p) => `<p>${p.replace(/\r\n/g, ' ')}</p>`)
      .join('\r\n')}</body></html>`;
    h.push(`Content-Type: multipart/alternative; boundary="${b}"`);
    body = `--${b}\r\n${textPart}--${b}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${html}\r\n--${b}--\r\n`;
  } else {
    h.push('Content-Type: text/plain; charset=utf-8; format=flowed', 'Content-Transfer-Encoding: 8bit');
    body = `${text}\r\n`;
  }
  const flags: string[] = [];
  if (r() < 0.75) flags.push('\\Seen');
  if (r() < 0.05) flags.push('\\Flagged');
  if (reply && r() < 0.3) flags.push('\\Answered');
  if (r() < 0.03) flags.push('$label1');
  return { raw: Buffer.from(`${h.join('\r\n')}\r\n\r\n${body}`), flags, date };
}

/** A 1 MB message: text and an attachment that bring it to `bytes`. */
function makeBigMessage(i: number, bytes: number): TestMessage {
  const small = makeMessage(i, 99, { attachBytes: 1000 });
  const overhead = small.raw.length - Math.ceil(1000 / 3) * 4 - Math.ceil((Math.ceil(1000 / 3) * 4) / 76) * 2;
  // base64 with CRLF every 76 chars: 4/3 × (1 + 2/76) bytes per byte of attachment
  const attach = Math.floor((bytes - overhead) / ((4 / 3) * (78 / 76)));
  return makeMessage(i, 99, { attachBytes: attach });
}

interface FillJob {
  mailbox: string;
  from: number;
  to: number;
  make: (i: number) => TestMessage;
}

/**
 * Runs the MULTIAPPEND jobs over FILL_CONNECTIONS raw connections: the next
 * batch is made here while Dovecot stores the others. Returns the bytes stored.
 */
async function fillParallel(b: Backends, user: TestUser, jobs: FillJob[]): Promise<number> {
  const conns = await Promise.all(
    Array.from({ length: FILL_CONNECTIONS }, async () => {
      const c = new RawImap();
      await c.open(b.imapPort, user);
      return c;
    }),
  );
  let next = 0;
  let bytes = 0;
  try {
    await Promise.all(
      conns.map(async (c) => {
        while (next < jobs.length) {
          const j = jobs[next++]!;
          const batch: TestMessage[] = [];
          for (let i = j.from; i < j.to; i++) batch.push(j.make(i));
          bytes += batch.reduce((s, m) => s + m.raw.length, 0);
          await c.appendMany(j.mailbox, batch);
        }
      }),
    );
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
  return bytes;
}

/** The resident set of the gateway in its own process (bench/notify-server.ts answers 'stats'). */
async function gatewayRss(child: ChildProcess): Promise<number> {
  const answer = new Promise<{ rss: number }>((resolve) => {
    const on = (m: { type?: string; rss?: number }) => {
      if (m.type !== 'stats') return;
      child.off('message', on);
      resolve(m as { rss: number });
    };
    child.on('message', on);
  });
  child.send({ type: 'stats' });
  return (await answer).rss;
}

async function cpuProfile(what: string, runs: number, fn: () => Promise<unknown>): Promise<string> {
  const p = await profileCpu(runs, fn);
  return (
    `V8 CPU profile of ${runs} ${what}: ${f1(p.wall)} ms wall, ${f1(p.busy)} ms on this thread's CPU ` +
    `(${f1(p.idle)} ms idle = waiting for Dovecot / the socket). Self time, % of busy:\n${p.tables}`
  );
}

// ---------------------------------------------------------------- main

const FOLDER_FIND = `Items-${FIND_SIZE / 1000}k`;
const FOLDER_MIME = 'Items-Mime';
const syncFolderName = (n: number) => (n === FIND_SIZE ? FOLDER_FIND : `Items-${n >= 1000 ? `${n / 1000}k` : n}`);

/** What the gateway's FindItem Default shape fetches, as imapflow fetch options (load.ts fetchFieldsFor + needsOf). */
function defaultFindQuery(): Record<string, boolean> {
  const shape: ItemShape = { base: 'Default', includeMimeContent: false, bodyType: 'Best', additional: [] };
  const f = fetchFieldsFor(needsOf(shape, true));
  return {
    uid: true,
    flags: !!f.flags,
    internalDate: !!f.internalDate,
    size: !!f.size,
    envelope: !!f.envelope,
    bodyStructure: !!f.structure,
    headers: !!f.headers,
    source: !!f.source,
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  watchdog(WATCHDOG_MS);

  // The backends' dir (61,000 maildir files, ~300 MB) on tmpfs: on a shared disk, removing it took 20-90 s,
  // and disk waits would blur the figures. BENCH_TMPDIR chooses another place.
  const tmp = process.env.BENCH_TMPDIR ?? (existsSync('/dev/shm') ? '/dev/shm' : undefined);
  if (tmp) process.env.TMPDIR = tmp;
  log(`starting Dovecot + Radicale (in ${tmp ?? 'the default temp dir'}) ...`);
  // Plain Dovecot: without the push_notification Lua plugin (nothing here listens to its events).
  const backends = await startBackends({ dovecotPush: false });
  let gateway: Gateway | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const user = await backends.addUser('items');
    const errorLines: string[] = [];
    const config = benchConfig(backends);
    gateway = await startBenchGateway(config, (l) => void (/ error /.test(l) && errorLines.push(l)));
    let httpConnections = 0;
    gateway.server.on('connection', () => httpConnections++);
    const ews = new EwsClient(`${gateway.url}/EWS/Exchange.asmx`, user);
    // The same gateway in a process of its own, as deployed: the HTTP client here then no
    // longer shares a thread with the server (the IMAP baseline's server, Dovecot, is its own
    // process too). Tables 1 and 2 time both.
    const own = await startGatewayProcess(backends);
    cleanups.push(async () => (process.env.BENCH_GATEWAY_NODE_ARGS ? own.child.send({ type: 'stop' }) : own.child.kill()));
    const ewsOwn = new EwsClient(`${own.url}/EWS/Exchange.asmx`, user);
    cleanups.push(async () => ewsOwn.close());
    // And one without the message cache (EWSGATE_MESSAGE_CACHE_MB=0): every FindItem page as on its first read.
    const uncached = await startBenchGateway({ ...config, messageCacheBytes: 0 });
    cleanups.push(() => uncached.close());
    const ewsUncached = new EwsClient(`${uncached.url}/EWS/Exchange.asmx`, user);
    cleanups.push(async () => ewsUncached.close());
    log(`backends up: imap ${backends.imapUrl}; gateway at ${gateway.url}`);

    // The backend used directly: a logged-in imapflow connection, configured as the gateway's.
    const imap = poolLikeClient(backends, user);
    await imap.connect();
    cleanups.push(() => imap.logout().catch(() => imap.close()));
    const raw = new RawImap();
    await raw.open(backends.imapPort, user);
    cleanups.push(() => raw.close());
    cleanups.push(async () => ews.close());

    // ------------------------------------------------------------ fill
    const folders = new Map<string, number>([[FOLDER_FIND, FIND_SIZE]]);
    for (const n of SYNC_SIZES) folders.set(syncFolderName(n), n);
    const jobs: FillJob[] = [];
    for (const [name, count] of folders) {
      await imap.mailboxCreate(name);
      for (let from = 0; from < count; from += APPEND_BATCH)
        jobs.push({ mailbox: name, from, to: Math.min(count, from + APPEND_BATCH), make: (i) => makeMessage(i, count) });
    }
    const mimeCount = PARTS.has('mime') ? MIME_COUNT : 0;
    if (mimeCount) await imap.mailboxCreate(FOLDER_MIME);
    for (let from = 0; from < mimeCount; from += 10)
      jobs.push({ mailbox: FOLDER_MIME, from, to: Math.min(MIME_COUNT, from + 10), make: (i) => makeBigMessage(i, MIME_BYTES) });
    const fillStart = performance.now();
    const filledBytes = await fillParallel(backends, user, jobs);
    const fillMs = performance.now() - fillStart;
    const fillCount = [...folders.values()].reduce((s, n) => s + n, 0) + mimeCount;
    const fillStats = `${fillCount} messages (${[...folders].map(([k, n]) => `${k}: ${n}`).join(', ')}${mimeCount ? `, ${FOLDER_MIME}: ${mimeCount} of 1 MB` : ''}), ${(filledBytes / 1048576).toFixed(0)} MB in ${(fillMs / 1000).toFixed(1)} s over ${FILL_CONNECTIONS} connections`;
    log(`filled ${fillStats}`);
    for (const [name, count] of [...folders, ...(mimeCount ? [[FOLDER_MIME, mimeCount] as [string, number]] : [])]) {
      const st = await imap.status(name, { messages: true });
      if (!st || st.messages !== count) throw new Error(`${name} holds ${st ? st.messages : '?'} messages, not ${count}`);
    }

    // Folder ids as EWS hands them out.
    const ff = await ews.check('FindFolder', FIND_FOLDER_DEEP);
    const folderIds = new Map<string, string>();
    for (const m of ff.matchAll(/<t:FolderId Id="([^"]+)"[^>]*\/>(?:(?!<t:FolderId ).)*?<t:DisplayName>([^<]*)<\/t:DisplayName>/gs))
      folderIds.set(m[2]!, m[1]!);
    const idOf = (name: string) => {
      const id = folderIds.get(name);
      if (!id) throw new Error(`FindFolder did not return ${name}`);
      return id;
    };

    const out: string[] = [''];
    const dovecotVersion = spawnSync('/usr/sbin/dovecot', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[0] || '?';
    out.push(
      `ewsgate items bench: medians of interleaved runs after warm-up runs; Node ${process.version}, Dovecot ${dovecotVersion}, ${cpus().length} CPUs; ` +
        "EWS over kept-alive HTTP (Basic auth on each request), the baseline over an already logged-in imapflow connection set up as the gateway's.",
    );
    out.push(`filled by MULTIAPPEND: ${fillStats}`);

    const out2: string[] = [];
    const out3: string[] = [];
    const query = defaultFindQuery();
    let prof1 = '';
    let prof2 = '';
    if (PARTS.has('find')) {
      // ------------------------------------------------------------ 1. FindItem
      log('1. FindItem ...');
      const findId = idOf(FOLDER_FIND);
      const variants = [
        { key: 'first', label: `Offset 0, no SortOrder (UID order)`, offset: 0, sorted: false },
        { key: 'mid', label: `Offset ${MID_OFFSET}, no SortOrder`, offset: MID_OFFSET, sorted: false },
        { key: 'firstSorted', label: 'Offset 0, DateTimeReceived desc', offset: 0, sorted: true },
        { key: 'midSorted', label: `Offset ${MID_OFFSET}, DateTimeReceived desc`, offset: MID_OFFSET, sorted: true },
      ] as const;
      /**
       * The baseline: the IMAP commands the gateway sends for the page, on imapflow. Without a
       * SortOrder a FETCH of the page's sequence numbers (no SEARCH: sequence numbers run in UID
       * order); sorted, `UID SORT RETURN (COUNT PARTIAL a:b)` for the page's UIDs, then their FETCH.
       */
      const imapPage = (offset: number, sorted: boolean, q: Record<string, unknown>) =>
        onFindFolder(async () => {
          if (sorted) return fetchUids(await uidSortArrivalDescWindow(imap, offset, offset + PAGE), q);
          const exists = (imap.mailbox as { exists: number }).exists;
          const msgs = await imap.fetchAll(`${exists - offset - PAGE + 1}:${exists - offset}`, { ...q, uid: true } as never);
          if (msgs.length !== PAGE) throw new Error(`imapflow fetched ${msgs.length} of ${PAGE}`);
          return msgs.map((m) => m.uid).sort((a, b) => b - a);
        });
      /** What a client that knows no positions sends: every UID (UID SEARCH ALL, or the whole UID SORT), then the page's FETCH. */
      const imapSearchPage = (offset: number, sorted: boolean, q: Record<string, unknown>) =>
        onFindFolder(async () => {
          const all = sorted ? await uidSortArrivalDesc(imap) : ((await imap.search({ all: true }, { uid: true })) || []).sort((a, b) => b - a);
          return fetchUids(all.slice(offset, offset + PAGE), q);
        });
      /** `fn` with the FindItem folder selected (read-only), as the gateway's connection has it. */
      async function onFindFolder<T>(fn: () => Promise<T>): Promise<T> {
        const lock = await imap.getMailboxLock(FOLDER_FIND, { readOnly: true });
        try {
          return await fn();
        } finally {
          lock.release();
        }
      }
      /** UID FETCH of a page's UIDs (the folder selected); the UIDs back, in the page's order. */
      async function fetchUids(page: number[], q: Record<string, unknown>): Promise<number[]> {
        const msgs = await imap.fetchAll(uidSet(page), q as never, { uid: true });
        if (msgs.length !== page.length) throw new Error(`imapflow fetched ${msgs.length} of ${page.length}`);
        return page;
      }
      const findReq = Object.fromEntries(variants.map((v) => [v.key, findItemRequest(findId, { offset: v.offset, max: PAGE, sorted: v.sorted })]));
      const findBytes: Record<string, number> = {};
      for (const v of variants) {
        const text = await ews.check(`FindItem ${v.label}`, findReq[v.key]!);
        const ewsUids = uidsOf(text);
        const imapUids = await imapPage(v.offset, v.sorted, query);
        if (imapUids.join() !== (await imapSearchPage(v.offset, v.sorted, { uid: true })).join()) throw new Error(`FindItem ${v.label}: the two IMAP baselines differ`);
        if (ewsUids.join() !== imapUids.join())
          throw new Error(`FindItem ${v.label}: EWS page ${ewsUids.slice(0, 5)}... differs from IMAP's ${imapUids.slice(0, 5)}...`);
        if (!text.includes(`TotalItemsInView="${FIND_SIZE}"`)) throw new Error(`FindItem ${v.label}: TotalItemsInView is not ${FIND_SIZE}`);
        findBytes[v.key] = Buffer.byteLength(text);
      }
      const steps: Record<string, Step> = {};
      for (const v of variants) {
        const text = await ewsOwn.check(`FindItem ${v.label} (own process)`, findReq[v.key]!);
        const cachedText = await ews.check(`FindItem ${v.label}`, findReq[v.key]!);
        if (uidsOf(text).join() !== uidsOf(cachedText).join()) throw new Error(`FindItem ${v.label}: the two gateways differ`);
        // The page read from the message cache must be the page read from Dovecot, byte for byte.
        if ((await ewsUncached.check(`FindItem ${v.label} (no message cache)`, findReq[v.key]!)) !== cachedText) throw new Error(`FindItem ${v.label}: the answer from the message cache differs`);
      }
      const pageUids = Object.fromEntries(await Promise.all(variants.map(async (v) => [v.key, await imapPage(v.offset, v.sorted, { uid: true })] as const)));
      /** The issue's baseline taken literally: a FETCH of the same fields for the page's UIDs, found beforehand. */
      const imapFetchOnly = (uids: number[]) => onFindFolder(() => fetchUids(uids, query));
      for (const v of variants) {
        steps[`own:${v.key}`] = () => ewsOwn.post(findReq[v.key]!);
        steps[`fetch:${v.key}`] = () => imapFetchOnly(pageUids[v.key]!);
        steps[`ews:${v.key}`] = () => ews.post(findReq[v.key]!);
        steps[`imap:${v.key}`] = () => imapPage(v.offset, v.sorted, query);
        steps[`search:${v.key}`] = () => imapSearchPage(v.offset, v.sorted, query);
        steps[`uncached:${v.key}`] = () => ewsUncached.post(findReq[v.key]!);
      }
      const ft = await timeEach(steps);
      out.push('');
      out.push(`1. FindItem Default shape, IndexedPageItemView MaxEntriesReturned=${PAGE}, on a ${FIND_SIZE}-message folder (${FOLDER_FIND}), against imapflow sending the same IMAP commands as the gateway:`);
      out.push(`   no SortOrder: a FETCH of the page's sequence numbers; sorted: UID SORT RETURN (COUNT PARTIAL a:b) (REVERSE ARRIVAL) + UID FETCH of those UIDs. The FETCH asks what load.ts asks for the Default shape:`);
      out.push(
        `   ${Object.entries(query)
          .filter(([, v]) => v)
          .map(([k]) => k)
          .join(' ')} (BODY.PEEK[HEADER] = the whole header block; MODSEQ added by imapflow).`,
      );
      out.push(`   "all UIDs" = what a client that knows no positions sends: UID SEARCH ALL (or the whole UID SORT) + the same FETCH.`);
      out.push(`   EWS = a page read again (the message cache holds what never changes: the gateway asks Dovecot for FLAGS only); "first read" = the same gateway without the cache (EWSGATE_MESSAGE_CACHE_MB=0). Median of ${RUNS} runs.`);
      out.push(
        table(
          ['page', 'IMAP ms', 'EWS ms', 'ratio', 'EWS first read ms', 'ratio', 'budget', 'IMAP all UIDs ms', 'EWS / all UIDs', 'response KB'],
          variants.map((v) => [
            v.label,
            f2(ft[`imap:${v.key}`]!),
            f2(ft[`ews:${v.key}`]!),
            ratio(ft[`ews:${v.key}`]!, ft[`imap:${v.key}`]!),
            f2(ft[`uncached:${v.key}`]!),
            ratio(ft[`uncached:${v.key}`]!, ft[`imap:${v.key}`]!),
            '1.25x',
            f2(ft[`search:${v.key}`]!),
            ratio(ft[`ews:${v.key}`]!, ft[`search:${v.key}`]!),
            kb(findBytes[v.key]!),
          ]),
        ),
      );
      out.push('');
      out.push(`1b. The same FindItem pages, the gateway in its own process (as deployed), against the same IMAP commands (above) and the issue's literal baseline, the page's UID FETCH alone (UIDs known beforehand).`);
      out.push(
        table(
          ['page', 'IMAP ms', 'IMAP FETCH only ms', 'EWS own process ms', 'ratio', 'vs FETCH only', 'budget'],
          variants.map((v) => [
            v.label,
            f2(ft[`imap:${v.key}`]!),
            f2(ft[`fetch:${v.key}`]!),
            f2(ft[`own:${v.key}`]!),
            ratio(ft[`own:${v.key}`]!, ft[`imap:${v.key}`]!),
            ratio(ft[`own:${v.key}`]!, ft[`fetch:${v.key}`]!),
            '1.25x',
          ]),
        ),
      );

      prof1 = await profileFindItem(backends, user, ews, raw, findId, findReq.first!, ft['ews:first']!);
    }

    if (PARTS.has('sync')) {
      // ------------------------------------------------------------ 3. SyncFolderItems
      log('3. SyncFolderItems: initial syncs ...');
      const syncNames = SYNC_SIZES.map(syncFolderName);
      const ewsState = new Map<string, string>();
      const initialMs = new Map<string, number>();
      const syncOnce = async (name: string, base: 'IdOnly' | 'Default', expect?: number) => {
        const text = await ews.check(`SyncFolderItems ${name}`, syncItemsRequest(idOf(name), base, ewsState.get(`${base}:${name}`)));
        const state = /<m:SyncState>([^<]+)<\/m:SyncState>/.exec(text)?.[1];
        if (!state) throw new Error(`SyncFolderItems ${name}: no SyncState`);
        ewsState.set(`${base}:${name}`, state);
        // <t:Delete>true</t:Delete> in EffectiveRights is no change
        const changes = (text.match(/<t:(Create|Update|Delete|ReadFlagChange)><t:/g) ?? []).length;
        if (expect !== undefined && changes !== expect) throw new Error(`SyncFolderItems ${name} ${base}: ${changes} changes, expected ${expect}`);
        return { text, changes, last: text.includes('<m:IncludesLastItemInRange>true<') };
      };
      for (const name of syncNames) {
        const t0 = performance.now();
        let created = 0;
        for (;;) {
          const r = await syncOnce(name, 'IdOnly');
          created += r.changes;
          if (r.last) break;
        }
        if (created !== folders.get(name)) throw new Error(`initial SyncFolderItems of ${name}: ${created} creates, expected ${folders.get(name)}`);
        initialMs.set(name, performance.now() - t0);
        // The state holds no shape (UIDVALIDITY, MODSEQ, highest UID): the Default-shape runs go on from it.
        ewsState.set(`Default:${name}`, ewsState.get(`IdOnly:${name}`)!);
      }
      // The baseline's own state, as the gateway keeps it: UIDVALIDITY, MODSEQ, highest UID.
      const imapState = new Map<string, { m: bigint; u: number }>();
      const imapSync = async (name: string, q: Record<string, unknown>) => {
        const key = `${JSON.stringify(q)}:${name}`;
        const lock = await imap.getMailboxLock(name, { readOnly: true });
        try {
          const s = imapState.get(key) ?? {
            m: imap.mailbox ? ((imap.mailbox as { highestModseq?: bigint }).highestModseq ?? 0n) : 0n,
            u: (imap.mailbox as { uidNext: number }).uidNext - 1,
          };
          const changed = await imap.fetchAll(`1:${s.u}`, q as never, { uid: true, changedSince: s.m });
          const fresh = (await imap.search({ uid: `${s.u + 1}:*` }, { uid: true })) || [];
          // imapflow's mailbox.highestModseq is only as new as the last SELECT or untagged answer: take the newest seen.
          let m = s.m;
          for (const c of changed) if (c.modseq !== undefined && c.modseq > m) m = c.modseq;
          const box = imap.mailbox as { highestModseq?: bigint };
          if (box.highestModseq !== undefined && box.highestModseq > m) m = box.highestModseq;
          imapState.set(key, { m, u: Math.max(s.u, ...fresh.filter((u) => u > s.u)) });
          // unsolicited FETCH (FLAGS) for the other client's change can come along with the CHANGEDSINCE answer
          return new Set(changed.map((c) => c.uid)).size;
        } finally {
          lock.release();
        }
      };
      const idOnlyQuery = { uid: true, flags: true };
      for (const name of syncNames) {
        await imapSync(name, idOnlyQuery);
        await imapSync(name, query);
      }
      /**
       * One change made by another client: the keyword $benchtouch toggled on a random message
       * (one UID STORE that always changes something). One connection per folder, which stays selected.
       */
      const pickRng = rng(42);
      const changers = new Map<string, ImapFlow>();
      const touched = new Map<string, Set<number>>();
      for (const name of syncNames) {
        const c = poolLikeClient(backends, user);
        await c.connect();
        cleanups.push(() => c.logout().catch(() => c.close()));
        changers.set(name, c);
        touched.set(name, new Set());
      }
      const change = async (name: string) => {
        const c = changers.get(name)!;
        const set = touched.get(name)!;
        const lock = await c.getMailboxLock(name);
        try {
          const uid = 1 + Math.floor(pickRng() * folders.get(name)!);
          if (set.delete(uid)) await c.messageFlagsRemove(String(uid), ['$benchtouch'], { uid: true });
          else {
            set.add(uid);
            await c.messageFlagsAdd(String(uid), ['$benchtouch'], { uid: true });
          }
        } finally {
          lock.release();
        }
      };
      // In-process pieces (3b) run on a mailbox opened as the gateway opens one (IMAP pool + CalDAV + CardDAV).
      const big = syncNames[syncNames.length - 1]!;
      const small = syncNames[0]!;
      const provider = createMailboxProvider(config);
      const opened = await provider.open(user.email, user.password);
      try {
        const mb = opened.mailbox;
        // The folder listing every item request starts with, before any change was made (nothing changed for many seconds).
        log('3. SyncFolderItems: folder listing, settled ...');
        await mb.mail.searchMessages(small, { uid: '1' });
        const settled = await timeEach(
          {
            tree: () => FolderTree.load(mb.mail),
            treeDav: () => FolderTree.load({ mail: mb.mail, calendars: mb.calendars, contacts: mb.contacts }),
            rawList: () => raw.cmd(RAW_LIST_STATUS),
          },
          SYNC_RUNS,
          SYNC_WARMUP,
        );

        // Table 3: each folder on its own (only it changes), EWS and IMAP interleaved; a pause between folders lets
        // Dovecot's maildir settle (a folder changed in the last ~2 s is rescanned by every STATUS / sync of it).
        log('3. SyncFolderItems: incremental ...');
        // Two passes in mirrored order (1k, 50k, 50k, 1k), the mean of each folder's two medians: the
        // folder measured first, right after the initial syncs, ran up to 1.7x slower, which alone
        // moved the "vs 1000" ratio between 0.6x and 1.9x from one run to the next.
        const st: Record<string, number> = {};
        const passes = new Map<string, number[]>();
        for (const name of [...syncNames, ...[...syncNames].reverse()]) {
          await sleep(MAILDIR_SETTLE_MS);
          const steps: Record<string, Step> = {};
          for (const base of ['IdOnly', 'Default'] as const) {
            // prep: catch up (untimed), then one change; the timed run finds exactly that one.
            steps[`ews:${base}:${name}`] = {
              prep: async () => {
                await syncOnce(name, base);
                await change(name);
              },
              run: () => syncOnce(name, base, 1),
            };
            const q = base === 'IdOnly' ? idOnlyQuery : query;
            steps[`imap:${base}:${name}`] = {
              prep: async () => {
                await imapSync(name, q);
                await change(name);
              },
              run: async () => {
                const n = await imapSync(name, q);
                if (n !== 1) throw new Error(`IMAP CHANGEDSINCE on ${name}: ${n} changes, expected 1`);
              },
            };
          }
          for (const [k, ms] of Object.entries(await timeEach(steps, SYNC_RUNS, SYNC_WARMUP))) passes.set(k, [...(passes.get(k) ?? []), ms]);
        }
        for (const [k, ms] of passes) st[k] = ms.reduce((a, b) => a + b, 0) / ms.length;
        out3.push('');
        out3.push(
          `3. Incremental SyncFolderItems with one change (a keyword set or cleared by another IMAP client just before), MaxChangesReturned=512. Median of ${SYNC_RUNS} runs, in two passes (folders in order, then in reverse): the mean of the two.`,
        );
        out3.push(
          '   vs imapflow on the selected folder: UID FETCH 1:<last> (FLAGS [+ the Default fields]) (CHANGEDSINCE <modseq> VANISHED) + UID SEARCH UID <last+1>:*.',
        );
        out3.push('   Each folder measured on its own (only it changes), EWS and IMAP interleaved; the folders are Dovecot maildirs.');
        out3.push(
          "   The gateway's connection keeps the folder selected and asks CHANGEDSINCE only about the UIDs the server told it changed (adapters/imap/change-journal.ts);",
        );
        out3.push('   the baseline scans 1:<last> (Dovecot reads every message\'s MODSEQ in the range). Default at 50k: Dovecot re-reads the maildir to open a message renamed by the other client\'s flag change.');
        out3.push(
          `   "vs ${folders.get(small)}" = this folder's time / the ${folders.get(small)}-message folder's (issue 8's budget: <= 1.2 between 1,000 and 50,000).`,
        );
        const syncRows: string[][] = [];
        for (const base of ['IdOnly', 'Default'] as const) {
          for (const name of syncNames) {
            const e = st[`ews:${base}:${name}`]!;
            const i = st[`imap:${base}:${name}`]!;
            syncRows.push([
              `${base}, ${folders.get(name)} messages`,
              f2(i),
              f2(e),
              ratio(e, i),
              ratio(e, st[`ews:${base}:${small}`]!),
              ratio(i, st[`imap:${base}:${small}`]!),
              base === 'IdOnly' ? f1(initialMs.get(name)!) : '',
            ]);
          }
        }
        out3.push(
          table(
            [
              'shape, folder',
              'IMAP ms',
              'EWS ms',
              'EWS/IMAP',
              `EWS vs ${folders.get(small)}`,
              `IMAP vs ${folders.get(small)}`,
              'initial full sync ms (IdOnly, 512 per request)',
            ],
            syncRows,
          ),
        );

        // 3b: where an incremental SyncFolderItems' time goes, on the largest folder (IdOnly).
        log('3b. profiling SyncFolderItems ...');
        await sleep(MAILDIR_SETTLE_MS);
        const ctx = {
          user: { login: user.email, email: user.email, displayName: user.name },
          version: 'Exchange2013_SP1',
          mailbox: mb,
          stateSecret: Buffer.from(config.stateSecret),
        } as RequestContext;
        let state = ewsState.get(`IdOnly:${big}`)!;
        const inProcessSync = async () => {
          const r = await dispatch(parseSoapRequest(syncItemsRequest(idOf(big), 'IdOnly', state)), ctx, (e) => {
            throw e;
          });
          const next = /<m:SyncState>([^<]+)<\/m:SyncState>/.exec(bodyText(r.body))?.[1];
          if (!next) throw new Error(`in-process SyncFolderItems: ${bodyText(r.body).slice(0, 500)}`);
          state = next;
          return r;
        };
        // the store's own state (as SyncFolderItems keeps it)
        const first = await mb.mail.searchMessages(big, { uid: '1' });
        let m = first.state.highestModseq ?? 0n;
        const u = first.state.uidNext - 1;
        const changedSince = async () => {
          const r = await mb.mail.fetchMessages(big, { from: 1, to: u }, { flags: true }, { changedSince: m });
          for (const msg of r.messages) if (msg.modseq !== undefined && msg.modseq > m) m = msg.modseq;
          if (r.state.highestModseq !== undefined && r.state.highestModseq > m) m = r.state.highestModseq;
          return r;
        };
        await changedSince();
        // For scale: the scan Dovecot does for a CHANGEDSINCE over the whole range (the baseline's
        // command), on a raw socket of its own that keeps the folder selected.
        const rawScan = new RawImap();
        await rawScan.open(backends.imapPort, user);
        cleanups.push(() => rawScan.close());
        await rawScan.cmd('ENABLE QRESYNC');
        await rawScan.cmd(`EXAMINE "${big}"`);
        const scanSince = m;
        const sp = await timeEach(
          {
            rawScan: { prep: () => change(big), run: () => rawScan.cmd(`UID FETCH 1:${u} (FLAGS) (CHANGEDSINCE ${scanSince} VANISHED)`) },
            http: {
              prep: async () => {
                await syncOnce(big, 'IdOnly');
                await change(big);
              },
              run: () => syncOnce(big, 'IdOnly', 1),
            },
            dispatch: {
              prep: async () => {
                await inProcessSync();
                await change(big);
              },
              run: () => inProcessSync(),
            },
            // The listing right after another client changed the big folder, while this connection has another
            // folder selected: what any item request pays within ~2 s of a change in any big maildir folder.
            treeDirty: {
              prep: async () => {
                await mb.mail.searchMessages(small, { uid: '1' });
                await change(big);
              },
              run: () => FolderTree.load(mb.mail),
            },
            rawListDirty: { prep: () => change(big), run: () => raw.cmd(RAW_LIST_STATUS) },
            changedSince: {
              prep: async () => {
                await changedSince();
                await change(big);
              },
              run: () => changedSince(),
            },
            fresh: () => mb.mail.searchMessages(big, { uid: `${u + 1}:*` }),
            parse: () => parseSoapRequest(syncItemsRequest(idOf(big), 'IdOnly', state)),
          },
          SYNC_RUNS,
          SYNC_WARMUP,
        );
        const rows: [string, number, string][] = [
          ['parse SOAP request', sp.parse, 'src/soap/envelope.ts parseSoapRequest'],
          [
            'loadTree(ctx, { dav: false }): LIST-STATUS of all folders + FolderTree (measured before the changes began)',
            settled.tree,
            'src/ews/folders/request.ts loadTree, adapters/imap/imap-store.ts listWithGuids',
          ],
          [`  the same right after another client changed ${big}, another folder selected`, sp.treeDirty, `Dovecot maildir rescan of ${big}`],
          ['  for scale: LIST-STATUS on a raw socket, nothing changed', settled.rawList, 'Dovecot + loopback'],
          [`  for scale: LIST-STATUS on a raw socket right after a change in ${big}`, sp.rawListDirty, 'Dovecot (maildir rescan)'],
          ['  for scale: loadTree(ctx) with the CalDAV + CardDAV listings too (before the changes)', settled.treeDav, 'src/ews/folders/request.ts loadTree'],
          [
            `loadMailItems 1:<last> CHANGEDSINCE (NOOP + UID FETCH <the UIDs the connection was told changed> ... VANISHED)`,
            sp.changedSince,
            'adapters/imap/imap-store.ts fetchMessages, change-journal.ts',
          ],
          [`  for scale: UID FETCH 1:<last> (FLAGS) (CHANGEDSINCE ...) on a raw socket (Dovecot reads every MODSEQ)`, sp.rawScan, 'Dovecot + loopback'],
          ['searchMessages UID <last+1>:* (NOOP + UID SEARCH)', sp.fresh, 'adapters/imap/imap-store.ts searchMessages'],
        ];
        const sum = sp.parse + settled.tree + sp.changedSince + sp.fresh;
        out3.push('');
        out3.push(
          `3b. Where an incremental SyncFolderItems' time goes (IdOnly, one change, ${folders.get(big)} messages): pieces in-process on a mailbox opened as the gateway's, median of ${SYNC_RUNS}`,
        );
        out3.push(pieceTable(rows, sp.http, sp.dispatch, sum));
      } finally {
        opened.release();
        await provider.close();
      }
    }

    if (PARTS.has('mime')) {
      // ------------------------------------------------------------ 2. GetItem MimeContent
      log('2. GetItem MimeContent ...');
      const mimeFolderId = idOf(FOLDER_MIME);
      const listing = await ews.check('FindItem IdOnly', findItemRequest(mimeFolderId, { shape: 'IdOnly' }));
      const mimeIds = itemIdsOf(listing);
      if (mimeIds.length !== MIME_COUNT) throw new Error(`FindItem listed ${mimeIds.length} of ${MIME_COUNT} big messages`);
      const mimeUids = mimeIds.map((id) => decodeItemId(id)!.uid);
      const getAll = getItemRequest(mimeIds, 'IdOnly');
      const getAllDefault = getItemRequest(mimeIds, 'Default');
      const getOne = mimeIds.map((id) => getItemRequest([id], 'IdOnly'));
      // Correctness once: 50 answers, and MimeContent byte-exact against BODY[]. In a function of
      // its own, so none of the 67 MB answer and its 50 MB decoded stays reachable in the timed runs
      // (this process's heap is the EWS client's: a live 120 MB made its every major GC dear).
      await (async () => {
        const text = await ews.check('GetItem IncludeMimeContent', getAll);
        const contents = [...text.matchAll(/<t:MimeContent[^>]*>([^<]*)<\/t:MimeContent>/g)].map((m) => Buffer.from(m[1]!, 'base64'));
        if (contents.length !== MIME_COUNT) throw new Error(`GetItem returned ${contents.length} MimeContents of ${MIME_COUNT}`);
        const lock = await imap.getMailboxLock(FOLDER_MIME, { readOnly: true });
        try {
          const msgs = await imap.fetchAll(uidSet(mimeUids), { uid: true, source: true }, { uid: true });
          const byUid = new Map(msgs.map((m) => [m.uid, m.source!]));
          mimeUids.forEach((u, i) => {
            if (!byUid.get(u)?.equals(contents[i]!)) throw new Error(`GetItem MimeContent of UID ${u} is not BODY[] byte for byte`);
          });
        } finally {
          lock.release();
        }
      })();
      if (MIME_DEFAULT) await ews.check('GetItem Default + IncludeMimeContent', getAllDefault);
      const mimeBytes = { all: 0, one: 0 };
      const imapFetch = async (uids: number[]) => {
        const lock = await imap.getMailboxLock(FOLDER_MIME, { readOnly: true });
        try {
          const msgs = await imap.fetchAll(uidSet(uids), { uid: true, source: true }, { uid: true });
          if (msgs.length !== uids.length) throw new Error(`imapflow fetched ${msgs.length} of ${uids.length}`);
        } finally {
          lock.release();
        }
      };
      const gt: Record<string, number> = await timeEach(
        {
          ewsAll: async () => (mimeBytes.all = await ews.post(getAll)),
          ownAll: () => ewsOwn.post(getAll),
          ownOne: async () => {
            for (const req of getOne) await ewsOwn.post(req);
          },
          ...(MIME_DEFAULT ? { ewsAllDefault: () => ews.post(getAllDefault) } : {}),
          ewsOne: async () => {
            let n = 0;
            for (const req of getOne) n += await ews.post(req);
            mimeBytes.one = n;
          },
          imapAll: () => imapFetch(mimeUids),
          imapOne: async () => {
            for (const u of mimeUids) await imapFetch([u]);
          },
        } as Record<string, Step>,
        MIME_RUNS,
        MIME_WARMUP,
      );
      const totalMb =
        (await (async () => {
          const lock = await imap.getMailboxLock(FOLDER_MIME, { readOnly: true });
          try {
            return (await imap.fetchAll('1:*', { uid: true, size: true }, { uid: true })).reduce((s, m) => s + (m.size ?? 0), 0);
          } finally {
            lock.release();
          }
        })()) / 1048576;
      out2.push('');
      out2.push(
        `2. GetItem IncludeMimeContent of ${MIME_COUNT} messages of ~1 MB (${totalMb.toFixed(1)} MB in all) vs imapflow UID FETCH BODY[] of the same. Median of ${MIME_RUNS} runs.`,
      );
      out2.push(
        table(
          ['request', 'IMAP', 'IMAP ms', 'EWS ms', 'ratio', 'budget', 'EWS MB/s', 'response MB'],
          [
            [
              '1 GetItem, 50 ids (IdOnly + MimeContent)',
              '1 FETCH of 50',
              f1(gt.imapAll),
              f1(gt.ewsAll),
              ratio(gt.ewsAll, gt.imapAll),
              '1.5x',
              f1(totalMb / (gt.ewsAll / 1000)),
              f1(mimeBytes.all / 1048576),
            ],
            [
              '50 GetItem of 1 id (IdOnly + MimeContent)',
              '50 FETCHes of 1',
              f1(gt.imapOne),
              f1(gt.ewsOne),
              ratio(gt.ewsOne, gt.imapOne),
              '1.5x',
              f1(totalMb / (gt.ewsOne / 1000)),
              f1(mimeBytes.one / 1048576),
            ],
            ['  the same, against 1 FETCH of 50', '1 FETCH of 50', f1(gt.imapAll), f1(gt.ewsOne), ratio(gt.ewsOne, gt.imapAll), '', '', ''],
            ['1 GetItem, 50 ids, gateway in its own process', '1 FETCH of 50', f1(gt.imapAll), f1(gt.ownAll), ratio(gt.ownAll, gt.imapAll), '1.5x', f1(totalMb / (gt.ownAll / 1000)), ''],
            ['50 GetItem of 1 id, gateway in its own process', '50 FETCHes of 1', f1(gt.imapOne), f1(gt.ownOne), ratio(gt.ownOne, gt.imapOne), '1.5x', f1(totalMb / (gt.ownOne / 1000)), ''],
            ...(MIME_DEFAULT
              ? [
                  [
                    '1 GetItem, 50 ids (Default + MimeContent)',
                    '1 FETCH of 50',
                    f1(gt.imapAll!),
                    f1(gt.ewsAllDefault!),
                    ratio(gt.ewsAllDefault!, gt.imapAll!),
                    '',
                    f1(totalMb / (gt.ewsAllDefault! / 1000)),
                    '',
                  ],
                ]
              : []),
          ],
        ),
      );
      out2.push(`   IMAP alone moves ${f1(totalMb / (gt.imapAll / 1000))} MB/s (1 FETCH of 50).`);
      // Who does the work: on 2 CPUs the gateway's own CPU time bounds its wall time.
      const cpuOwn = await cpuPerRun(MIME_RUNS, () => ewsOwn.post(getAll), { gateway: own.child.pid! });
      const cpuImap = await cpuPerRun(MIME_RUNS, () => imapFetch(mimeUids), {});
      const ownRss = await gatewayRss(own.child);
      out2.push('');
      out2.push(
        `2b. CPU time per request (user + system, ms, from /proc; mean of ${MIME_RUNS}): the 50-id GetItem to the gateway in its own process, and the FETCH of 50. The gateway process's RSS after them: ${f1(ownRss / 1048576)} MiB.`,
      );
      out2.push(
        table(
          ['request', 'wall ms', 'client (this process)', 'gateway process', 'Dovecot imap'],
          [
            ['1 GetItem, 50 ids, gateway in its own process', f1(cpuOwn.wall), f1(cpuOwn.self), f1(cpuOwn.gateway), f1(cpuOwn.dovecot)],
            ['1 FETCH of 50 (imapflow, this process)', f1(cpuImap.wall), f1(cpuImap.self), '', f1(cpuImap.dovecot)],
          ],
        ),
      );

      prof2 = await profileGetItem(backends, user, ews, raw, mimeUids, getAll, gt);
    }

    // ------------------------------------------------------------ 4.-7. where the time goes
    out.push(...out2, ...out3);
    for (const prof of [prof1, prof2]) if (prof) out.push('', prof);

    if (errorLines.length) out.push('', `gateway logged ${errorLines.length} error line(s); first: ${errorLines[0]}`);
    out.push(
      '',
      `EWS requests used ${httpConnections} TCP connection${httpConnections === 1 ? '' : 's'}; bench took ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    log('cleaning up ...');
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    log('clients closed');
    await gateway?.close().catch(() => undefined);
    log('gateway closed');
    await backends.stop();
    log('backends stopped');
  }
}

/** A request context like the gateway's, on a store of our own connection (mail only). */
async function inProcess(b: Backends, user: TestUser): Promise<{ client: ImapFlow; store: ImapMailStore; ctx: RequestContext }> {
  const client = poolLikeClient(b, user);
  await client.connect();
  const store = new ImapMailStore(client, () => undefined);
  const ctx: RequestContext = {
    user: { login: user.email, email: user.email, displayName: user.name },
    version: 'Exchange2013_SP1',
    mailbox: { mail: store } as unknown as Mailbox,
    stateSecret: Buffer.from('ewsgate-bench-state-secret'),
  } as RequestContext;
  return { client, store, ctx };
}

function pieceTable(rows: [string, number, string][], http: number, dispatchMs: number, sumRows: number): string {
  return table(
    ['piece', 'ms', '% of HTTP', 'code'],
    [
      ...rows.map(([name, ms, code]) => [name, f3(ms), `${((ms / http) * 100).toFixed(0)}%`, code]),
      ['sum of the pieces above (non-"of which" rows)', f3(sumRows), `${((sumRows / http) * 100).toFixed(0)}%`, ''],
      ['dispatch() in-process (parse + operation + render)', f3(dispatchMs), `${((dispatchMs / http) * 100).toFixed(0)}%`, 'src/ews/dispatch.ts dispatch'],
      ['whole HTTP request (node:http, keep-alive)', f3(http), '100%', 'src/server/http.ts'],
      [
        'HTTP + auth + body read/write + log (HTTP - dispatch)',
        f3(http - dispatchMs),
        `${(((http - dispatchMs) / http) * 100).toFixed(0)}%`,
        'src/server/http.ts, bench client',
      ],
    ],
  );
}

/** Where FindItem's time goes (first page, no SortOrder): each piece in-process, then a CPU profile. */
async function profileFindItem(
  b: Backends,
  user: TestUser,
  ews: EwsClient,
  raw: RawImap,
  folderId: string,
  request: string,
  httpMedian: number,
): Promise<string> {
  log('4. profiling FindItem ...');
  const { client, store, ctx } = await inProcess(b, user);
  try {
    const shape: ItemShape = { base: 'Default', includeMimeContent: false, bodyType: 'Best', additional: [] };
    const needs = needsOf(shape, true);
    const fields = fetchFieldsFor(needs);
    const rc = renderContext(ctx.version, shape);
    const tree = await FolderTree.load(store);
    const folder = [...iterFolders(tree)].find((f) => f.id === folderId);
    if (!folder?.mail) throw new Error(`the in-process folder tree has no folder ${folderId}`);
    const path = folder.mail.path;
    const all = (await store.searchMessages(path, { all: true })).uids;
    const page = [...all].sort((a, c) => c - a).slice(0, PAGE);
    const loaded = await loadMailItems(store, folder, page, needs);
    const fetched: FetchedMessage[] = loaded.items.map((i) => i.msg);
    const rendered = loaded.items.map((i: MailItem) => renderMailItem(i, rc, true));
    const attrs = { IndexedPagingOffset: String(PAGE), TotalItemsInView: String(all.length), IncludesLastItemInRange: 'false' };
    const inner = respond('FindItem', [ok(x('m:RootFolder', attrs, x('t:Items', null, rendered)))]);
    const q = defaultFindQuery();
    await raw.cmd(`EXAMINE "${path}"`);
    const rawFetch = `UID FETCH ${uidSet(page)} (UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER] MODSEQ)`;
    raw.bytes = 0;
    await raw.cmd(rawFetch);
    const rawBytes = raw.bytes;
    // What a page could cost without sending all UIDs: ESORT / ESEARCH with PARTIAL (RFC 5267), or
    // (no SortOrder: UID order = sequence order) a FETCH by sequence numbers.
    const esort = 'UID SORT RETURN (COUNT PARTIAL 1:100) (REVERSE ARRIVAL) UTF-8 ALL';
    const hasPartial = await raw.cmd(esort).then(
      () => true,
      () => false,
    );
    const exists = all.length;
    const seqRange = `${exists - PAGE + 1}:${exists}`;
    const withLock = async <R>(fn: () => Promise<R>) => {
      const lock = await client.getMailboxLock(path, { readOnly: true });
      try {
        return await fn();
      } finally {
        lock.release();
      }
    };
    const io = await timeEach(
      {
        rawEsort: hasPartial ? () => raw.cmd(esort) : () => undefined,
        imapflowSearch: () => withLock(() => client.search({ all: true }, { uid: true })),
        seqFetch: () => withLock(() => client.fetchAll(seqRange, q as never)),
        loadTree: () => FolderTree.load(store),
        listFolders: () => store.listFolders(),
        search: () => store.searchMessages(path, { all: true }),
        fetchMessages: () => store.fetchMessages(path, page, fields),
        imapflowFetch: () => client.fetchAll(uidSet(page), q as never, { uid: true }),
        noop: () => client.noop(),
        rawSearch: () => raw.cmd('UID SEARCH ALL'),
        rawFetch: () => raw.cmd(rawFetch),
        loadMailItems: () => loadMailItems(store, folder, page, needs),
        dispatch: () =>
          dispatch(parseSoapRequest(request), ctx, (e) => {
            throw e;
          }),
        http: () => ews.post(request),
      },
      PROFILE_RUNS,
      3,
    );
    const cpu = await timeEach(
      {
        parse: () => parseSoapRequest(request, { maxBytes: 64 * 1024 * 1024, maxDepth: 128 }),
        sortUids: () => [...all].sort((a, c) => c - a).slice(0, PAGE),
        headers: () => fetched.map((m) => parseHeaderBlock(m.headers)),
        ids: () =>
          fetched.map((m) => [
            encodeItemId({ folder: { kind: 'mail', path, stableId: folder.mail?.stableId } as never, uidValidity: 1, uid: m.uid }),
            changeKeyOf(m.modseq, m.uid),
          ]),
        render: () => loaded.items.map((i) => renderMailItem(i, rc, true)),
        wrap: () => renderEnvelope(respond('FindItem', [ok(x('m:RootFolder', attrs, x('t:Items', null, rendered)))])),
        envelopeOnly: () => renderEnvelope(inner),
      },
      CPU_RUNS,
      10,
    );
    const p = { ...io, ...cpu };
    const rows: [string, number, string][] = [
      ['parse SOAP request (parseSoapRequest, xmldom)', p.parse, 'src/soap/envelope.ts parseSoapRequest'],
      ['folder tree: LIST-STATUS + FolderTree (loadTree)', p.loadTree, 'src/ews/folders/request.ts loadTree'],
      ['  of which: ImapMailStore.listFolders', p.listFolders, 'adapters/imap/imap-store.ts listWithGuids'],
      [`searchMessages: NOOP + UID SEARCH ALL (${all.length} UIDs)`, p.search, 'adapters/imap/imap-store.ts searchMessages'],
      ['  for scale: UID SEARCH ALL on a raw socket', p.rawSearch, 'Dovecot + loopback'],
      ['  of which: imapflow search() alone (lock held)', p.imapflowSearch, 'imapflow commands/search.js'],
      ['  for scale: one NOOP (imapflow)', p.noop, 'adapters/imap/imap-store.ts withMailbox'],
      ...(hasPartial ? [[`  for scale: ${esort} (raw socket)`, p.rawEsort, 'Dovecot ESORT + PARTIAL'] as [string, number, string]] : []),
      [
        `  for scale: no SEARCH at all, imapflow FETCH ${seqRange} by sequence numbers (same items)`,
        p.seqFetch,
        'what the first page needs without a SortOrder',
      ],
      ['sort the UIDs descending + page', p.sortUids, 'src/ews/operations/FindItem.ts'],
      [`loadMailItems: NOOP + UID FETCH ${PAGE} + items`, p.loadMailItems, 'src/ews/items/load.ts loadMailItems'],
      ['  of which: store.fetchMessages (NOOP, FETCH, convert)', p.fetchMessages, 'adapters/imap/imap-store.ts fetchMessages'],
      ['  of which: imapflow fetchAll alone (same items)', p.imapflowFetch, 'imapflow commands/fetch.js'],
      [`  for scale: the same FETCH on a raw socket (${kb(rawBytes)} KB)`, p.rawFetch, 'Dovecot + loopback'],
      [`  of which: parseHeaderBlock x ${PAGE}`, p.headers, 'src/convert/mime-headers.ts parseHeaderBlock'],
      [`  of which: encodeItemId + changeKeyOf x ${PAGE}`, p.ids, 'src/ews/items/item-id.ts'],
      [`renderMailItem x ${PAGE} (Default shape)`, p.render, 'src/ews/items/mail-item.ts renderMailItem'],
      ['respond() + renderEnvelope around them', p.wrap, 'src/ews/operation.ts respond, src/soap/envelope.ts'],
      ['  of which: renderEnvelope alone', p.envelopeOnly, 'src/soap/envelope.ts renderEnvelope'],
    ];
    const sum = p.parse + p.loadTree + p.search + p.sortUids + p.loadMailItems + p.render + p.wrap;
    const lines = [
      `4. Where FindItem's time goes (Default shape, first page of ${PAGE}, ${FIND_SIZE}-message folder; HTTP median in table 1: ${f2(httpMedian)} ms): each piece called directly, in-process, median`,
      pieceTable(rows, p.http, p.dispatch, sum),
      '',
      `5. ${await cpuProfile('HTTP FindItem requests (Default, first page of 100)', 40, () => ews.post(request))}`,
    ];
    return lines.join('\n');
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * Where GetItem IncludeMimeContent's time goes (one request of 50 ids). The HTTP
 * request and imapflow's FETCH alone are table 2's medians (each costs seconds:
 * they are not measured again).
 */
async function profileGetItem(
  b: Backends,
  user: TestUser,
  ews: EwsClient,
  raw: RawImap,
  uids: number[],
  request: string,
  t2: Record<string, number>,
): Promise<string> {
  log('6. profiling GetItem ...');
  const { client, store, ctx } = await inProcess(b, user);
  // The finished answer served by a bare node:http server: what the loopback and this client cost alone.
  let staticBody = Buffer.alloc(0);
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'Content-Length': staticBody.length });
      res.end(staticBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const staticClient = new EwsClient(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, user);
  try {
    const shape: ItemShape = { base: 'IdOnly', includeMimeContent: true, bodyType: 'Best', additional: [] };
    const needs = needsOf(shape, false);
    const fields = fetchFieldsFor(needs);
    const rc = renderContext(ctx.version, shape);
    const path = FOLDER_MIME;
    const { messages } = await store.fetchMessages(path, uids, fields);
    const sources = messages.map((m) => m.source!);
    const tree = await FolderTree.load(store);
    const folder = [...iterFolders(tree)].find((f) => f.mail?.path === path)!;
    const loaded = await loadMailItems(store, folder, uids, needs);
    const rendered = loaded.items.map((i) => x('m:Items', null, renderMailItem(i, rc, false, loaded.mime.get(i.msg.uid))));
    const body = renderEnvelope(
      respond(
        'GetItem',
        rendered.map((r) => ok(r)),
      ),
    );
    staticBody = Buffer.from(body, 'utf8');
    await raw.cmd(`EXAMINE "${path}"`);
    const rawFetch = `UID FETCH ${uidSet(uids)} (UID FLAGS BODY.PEEK[] MODSEQ)`;
    const runs = Math.min(MIME_RUNS, 3);
    const io = await timeEach(
      {
        fetchMessages: () => store.fetchMessages(path, uids, fields),
        rawFetch: () => raw.cmd(rawFetch),
        dispatch: () =>
          dispatch(parseSoapRequest(request), ctx, (e) => {
            throw e;
          }),
        staticHttp: () => staticClient.post(request),
      },
      runs,
      1,
    );
    const cpu = await timeEach(
      {
        base64: () => sources.map((s) => s.toString('base64')),
        render: () => loaded.items.map((i) => renderMailItem(i, rc, false, loaded.mime.get(i.msg.uid))),
        rawXml: () => sources.map((s) => `<t:MimeContent CharacterSet="UTF-8">${s.toString('base64')}</t:MimeContent>`),
        wrap: () =>
          renderEnvelope(
            respond(
              'GetItem',
              rendered.map((r) => ok(r)),
            ),
          ),
        byteLength: () => Buffer.byteLength(body),
        toUtf8: () => Buffer.from(body, 'utf8'),
      },
      runs,
      1,
    );
    const p = { ...io, ...cpu };
    const http1 = t2.ewsAll!;
    const mb = sources.reduce((s, c) => s + c.length, 0) / 1048576;
    const rows: [string, number, string][] = [
      [`store.fetchMessages: NOOP + UID FETCH BODY[] of ${uids.length} (${mb.toFixed(1)} MB)`, p.fetchMessages, 'adapters/imap/imap-store.ts fetchMessages'],
      ['  of which: imapflow fetchAll alone (table 2)', t2.imapAll!, 'imapflow commands/fetch.js + handler'],
      ['  for scale: the same FETCH on a raw socket (no parsing)', p.rawFetch, 'Dovecot + loopback'],
      [`renderMailItem x ${uids.length} (builds the answer tree; the base64 is encoded later, as the answer is written)`, p.render, 'src/ews/items/mail-item.ts renderMailItem, src/soap/xml.ts x/escapeText'],
      ["  for scale: Buffer.toString('base64') of the 50 alone", p.base64, 'node:buffer'],
      ['  for scale: base64 in a template string, no escaping', p.rawXml, ''],
      ['respond() + renderEnvelope around them', p.wrap, 'src/ews/operation.ts respond, src/soap/xml.ts x'],
      [`Buffer.byteLength of the ${f1(staticBody.length / 1048576)} MB answer (Content-Length)`, p.byteLength, 'src/server/http.ts sendXml'],
      ['UTF-8 encoding of the answer (what res.end(string) does)', p.toUtf8, 'src/server/http.ts sendXml'],
      ['for scale: the same answer from a static node:http server', p.staticHttp, 'loopback + this client'],
    ];
    const sum = p.fetchMessages + p.render + p.wrap + p.byteLength + p.toUtf8;
    const lines = [
      `6. Where GetItem's time goes (IdOnly + IncludeMimeContent, one request of ${uids.length} ids): each piece in-process, median of ${runs}; the HTTP figure is table 2's`,
      pieceTable(rows, http1, p.dispatch, sum),
      '',
      `7. ${await cpuProfile(`HTTP GetItem requests (${uids.length} ids, IncludeMimeContent)`, 3, () => ews.post(request))}`,
    ];
    return lines.join('\n');
  } finally {
    staticClient.close();
    server.close();
    await client.logout().catch(() => client.close());
  }
}

function* iterFolders(tree: FolderTree): Generator<EwsFolder> {
  yield* tree.descendants(tree.msgFolderRoot);
}

runBench('bench/items.ts', main);

