// `npm run bench`: how much the EWS folder operations cost compared with the
// IMAP commands behind them, against a private, real Dovecot started here.
//
// Every figure is a ratio to the backend used directly: the same question
// asked of Dovecot over an already logged-in imapflow connection. Timings are
// medians of RUNS runs after WARMUP runs, printed, never asserted. The EWS
// requests go over one kept-alive HTTP connection (Node's fetch keeps it), with
// a Basic Authorization header on each, as clients send them.
//
// Only 127.0.0.1 is ever contacted: the backends and the gateway listen there.
// See bench/README.md for what each figure means.
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import { cpus } from 'node:os';
import type { Gateway } from '../src/server/http.js';
import { parseSoapRequest, renderEnvelope } from '../src/soap/envelope.js';
import { x } from '../src/soap/xml.js';
import { dispatch } from '../src/ews/dispatch.js';
import { ok, respond, type Mailbox, type RequestContext } from '../src/ews/operation.js';
import { FolderTree } from '../src/ews/folders/tree.js';
import { renderFolder, type FolderShape } from '../src/ews/folders/render.js';
import type { MailFolder } from '../src/ports/mail-store.js';
import { ImapMailStore } from '../adapters/imap/imap-store.js';
import { startBackends, type Backends, type TestUser } from '../test/harness/backends.js';
import { seedUser } from '../test/harness/seed.js';
import { benchConfig, envelope, f2, f3, log, poolLikeClient, profileCpu, runBench, startBenchGateway, table, timeEach as timeRuns, watchdog } from './common.js';

const WARMUP = Number(process.env.BENCH_WARMUP ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const SIZES = (process.env.BENCH_SIZES ?? '100,500,1000').split(',').map(Number);
const PROFILE_SIZE = Number(process.env.BENCH_PROFILE_SIZE ?? 500);
const CHILDREN_PER_TOP = 9; // each top-level folder gets 9 children: N folders = N/10 tops × (1 + 9)
const WATCHDOG_MS = 170_000;

const STATUS_QUERY = { messages: true, unseen: true, uidNext: true, uidValidity: true, highestModseq: true } as const;
const GETFOLDER_IDS = ['msgfolderroot', 'inbox', 'deleteditems', 'drafts', 'outbox', 'sentitems', 'junkemail', 'archive'];
/** The IMAP folders behind GETFOLDER_IDS (msgfolderroot and outbox are virtual: nothing to ask IMAP). */
const STATUS_FOLDERS = ['INBOX', 'Trash', 'Drafts', 'Sent', 'Junk', 'Archive'];

// ---------------------------------------------------------------- helpers

/** Interleaved medians (bench/common.ts), RUNS after WARMUP unless said otherwise. */
const timeEach = <K extends string>(fns: Record<K, () => unknown>, runs = RUNS, warmup = WARMUP) => timeRuns(fns, runs, warmup);

const ratio = (a: number, b: number) => `${(a / b).toFixed(1)}x`;

const FIND_FOLDER_DEEP = envelope(
  '<m:FindFolder Traversal="Deep"><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>' +
    '<m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>',
);
const GET_FOLDER_8 = envelope(
  '<m:GetFolder><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape><m:FolderIds>' +
    GETFOLDER_IDS.map((id) => `<t:DistinguishedFolderId Id="${id}"/>`).join('') +
    '</m:FolderIds></m:GetFolder>',
);
const SYNC_HIERARCHY_FIRST = envelope(
  '<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape></m:SyncFolderHierarchy>',
);

/** Folders in an EWS response (each has exactly one FolderId). */
const countFolderIds = (xml: string) => xml.split('<t:FolderId ').length - 1;

class EwsClient {
  readonly auth: string;
  constructor(
    readonly url: string,
    user: TestUser,
  ) {
    this.auth = 'Basic ' + Buffer.from(`${user.email}:${user.password}`).toString('base64');
  }

  async post(body: string): Promise<string> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'Content-Type': 'text/xml; charset=utf-8', Authorization: this.auth },
      body,
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`EWS answered HTTP ${res.status}: ${text.slice(0, 500)}`);
    return text;
  }

  /** One request, checked: every response message Success, and `folders` FolderIds if given. */
  async check(what: string, body: string, folders?: number): Promise<string> {
    const text = await this.post(body);
    if (/ResponseClass="(Error|Warning)"/.test(text)) throw new Error(`${what}: not all Success:\n${text.slice(0, 1500)}`);
    if (folders !== undefined && countFolderIds(text) !== folders) {
      throw new Error(`${what}: expected ${folders} folders, got ${countFolderIds(text)}`);
    }
    return text;
  }
}

/**
 * A bare IMAP connection on a socket: sends one command, waits for its
 * tagged reply. Shows what Dovecot and the wire cost without imapflow's parser.
 */
class RawImap {
  private sock!: net.Socket;
  private buf = '';
  private waiter: ((line: string) => void) | null = null;
  private waitTag = '';
  private n = 0;
  private scanFrom = 0;
  bytes = 0;

  async open(port: number, user: TestUser): Promise<void> {
    this.sock = net.connect({ host: '127.0.0.1', port });
    this.sock.setEncoding('latin1');
    this.sock.setNoDelay(true);
    this.sock.on('data', (d: string) => {
      this.bytes += d.length;
      this.buf += d;
      if (!this.waiter) return;
      const at = this.buf.startsWith(this.waitTag) ? 0 : this.buf.indexOf(`\r\n${this.waitTag}`, this.scanFrom);
      if (at < 0) {
        this.scanFrom = Math.max(0, this.buf.length - this.waitTag.length - 2);
        return;
      }
      const end = this.buf.indexOf('\r\n', at + 2);
      if (end < 0) return;
      const line = this.buf.slice(at === 0 ? 0 : at + 2, end);
      this.buf = '';
      const w = this.waiter;
      this.waiter = null;
      w(line);
    });
    await new Promise<void>((resolve, reject) => {
      this.sock.once('error', reject);
      const onData = () => {
        if (this.buf.includes('\r\n')) {
          this.sock.off('data', onData);
          this.buf = '';
          resolve();
        }
      };
      this.sock.on('data', onData);
    });
    const q = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
    const r = await this.cmd(`LOGIN ${q(user.email)} ${q(user.password)}`);
    if (!/^OK/.test(r)) throw new Error(`raw IMAP LOGIN failed: ${r}`);
  }

  /** Runs one command; resolves with the tagged status (without the tag). */
  cmd(command: string): Promise<string> {
    const tag = `R${++this.n}`;
    this.waitTag = `${tag} `;
    this.buf = '';
    this.scanFrom = 0;
    return new Promise((resolve) => {
      this.waiter = (line) => resolve(line.slice(tag.length + 1));
      this.sock.write(`${tag} ${command}\r\n`);
    });
  }

  async close(): Promise<void> {
    await this.cmd('LOGOUT').catch(() => undefined);
    this.sock.destroy();
  }
}

// ---------------------------------------------------------------- main

interface SizeResult {
  created: number;
  listed: number;
  ewsFolders: number;
  imapList: number;
  rawList: number;
  findFolder: number;
  imapStatus6: number;
  getFolder: number;
  syncHierarchy: number;
  findBytes: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  watchdog(WATCHDOG_MS);

  log('starting Dovecot + Radicale ...');
  const backends = await startBackends();
  let gateway: Gateway | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    const user = await backends.addUser('bench');
    await seedUser(backends, user, { mail: true, dav: false });
    log(`backends up: imap ${backends.imapUrl}, dav ${backends.davUrl}, user ${user.email}`);

    const errorLines: string[] = [];
    // smtp: never used by the folder operations
    const config = benchConfig(backends, 'smtp://127.0.0.1:1');
    gateway = await startBenchGateway(config, (l) => void (/ error /.test(l) && errorLines.push(l)));
    let httpConnections = 0;
    gateway.server.on('connection', () => httpConnections++);
    const ews = new EwsClient(`${gateway.url}/EWS/Exchange.asmx`, user);
    log(`gateway at ${gateway.url}`);

    // The backend used directly: one logged-in imapflow connection, configured as the gateway's.
    const imap = poolLikeClient(backends, user);
    await imap.connect();
    cleanups.push(() => imap.logout().catch(() => imap.close()));
    const raw = new RawImap();
    await raw.open(backends.imapPort, user);
    cleanups.push(() => raw.close());
    const RAW_LIST_STATUS = 'LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ))';

    const results: SizeResult[] = [];
    let profileText = '';
    let created = 0;
    for (const size of SIZES) {
      // Grow the hierarchy to `size` created folders: tops Bench-NNN, each with 9 children.
      const t0 = performance.now();
      for (let top = created / (1 + CHILDREN_PER_TOP); top < size / (1 + CHILDREN_PER_TOP); top++) {
        const name = `Bench-${String(top).padStart(3, '0')}`;
        await imap.mailboxCreate(name);
        for (let c = 1; c <= CHILDREN_PER_TOP; c++) await imap.mailboxCreate(`${name}/Sub-${c}`);
      }
      created = size;
      const listed = (await imap.list({ statusQuery: STATUS_QUERY })).length;
      log(`${size} folders created (${listed} listed by IMAP) in ${Math.round(performance.now() - t0)} ms; measuring ...`);

      // EWS FindFolder Deep lists msgfolderroot's subtree: the IMAP folders plus the virtual well-known ones.
      const first = await ews.check('FindFolder', FIND_FOLDER_DEEP);
      const ewsFolders = countFolderIds(first);
      if (ewsFolders < listed) throw new Error(`FindFolder returned ${ewsFolders} folders, IMAP lists ${listed}`);
      await ews.check('GetFolder', GET_FOLDER_8);
      await ews.check('SyncFolderHierarchy', SYNC_HIERARCHY_FIRST);

      const t = await timeEach({
        imapList: () => imap.list({ statusQuery: STATUS_QUERY }),
        rawList: () => raw.cmd(RAW_LIST_STATUS),
        findFolder: () => ews.post(FIND_FOLDER_DEEP),
        imapStatus6: async () => {
          for (const f of STATUS_FOLDERS) await imap.status(f, STATUS_QUERY);
        },
        getFolder: () => ews.post(GET_FOLDER_8),
        syncHierarchy: () => ews.post(SYNC_HIERARCHY_FIRST),
      });
      const r: SizeResult = { created: size, listed, ewsFolders, findBytes: Buffer.byteLength(first), ...t };
      results.push(r);

      if (size === PROFILE_SIZE) profileText = await profileFindFolder(backends, user, ews, r, raw, RAW_LIST_STATUS);
    }

    // ------------------------------------------------------------ report
    const out: string[] = [];
    out.push('');
    const dovecotVersion = spawnSync('/usr/sbin/dovecot', ['--version'], { encoding: 'utf8' }).stdout.trim().split(' ')[0] || '?';
    out.push(`ewsgate bench: median of ${RUNS} runs after ${WARMUP} warm-up runs, the figures of one table measured interleaved; Node ${process.version}, Dovecot ${dovecotVersion}, ${cpus().length} CPUs; ` +
      `EWS over one kept-alive HTTP connection (${httpConnections} TCP connection${httpConnections === 1 ? '' : 's'} opened in all).`);
    out.push('"folders" = folders created by the bench; "listed" = what LIST returns (plus INBOX, 5 special-use, 3 seeded);');
    out.push('EWS FindFolder returns the listed folders plus the virtual well-known ones under msgfolderroot.');
    out.push('');
    out.push('1. FindFolder Traversal="Deep", Default shape, on msgfolderroot  vs  imapflow list() with LIST-STATUS');
    out.push(
      table(
        ['folders', 'listed', 'IMAP LIST-STATUS ms', 'EWS FindFolder ms', 'ratio', 'EWS ms/folder', 'IMAP ms/folder', 'raw-socket LIST ms', 'response KB'],
        results.map((r) => [
          String(r.created),
          String(r.listed),
          f2(r.imapList),
          f2(r.findFolder),
          ratio(r.findFolder, r.imapList),
          f3(r.findFolder / r.ewsFolders),
          f3(r.imapList / r.listed),
          f2(r.rawList),
          (r.findBytes / 1024).toFixed(0),
        ]),
      ),
    );
    if (results.length >= 2) {
      const a = results[0]!;
      const b = results[results.length - 1]!;
      const slope = (k: keyof SizeResult) => ((b[k] as number) - (a[k] as number)) / (b.listed - a.listed);
      out.push(
        `scaling ${a.created} -> ${b.created} folders: EWS +${f3(slope('findFolder'))} ms/folder, IMAP +${f3(slope('imapList'))} ms/folder ` +
          `(marginal ratio ${(slope('findFolder') / slope('imapList')).toFixed(1)}x); fixed part EWS ≈ ${f2(a.findFolder - slope('findFolder') * a.listed)} ms, ` +
          `IMAP ≈ ${f2(a.imapList - slope('imapList') * a.listed)} ms`,
      );
    }
    out.push('');
    out.push(`2. GetFolder of 8 distinguished ids (AllProperties: ${GETFOLDER_IDS.join(', ')})`);
    out.push(`   vs imapflow status() of the ${STATUS_FOLDERS.length} IMAP folders behind them (${STATUS_FOLDERS.join(', ')}), one after the other`);
    out.push(
      table(
        ['folders', 'IMAP STATUS x6 ms', 'EWS GetFolder ms', 'ratio', 'EWS GetFolder / IMAP LIST-STATUS'],
        results.map((r) => [String(r.created), f2(r.imapStatus6), f2(r.getFolder), ratio(r.getFolder, r.imapStatus6), ratio(r.getFolder, r.imapList)]),
      ),
    );
    out.push('');
    out.push('3. SyncFolderHierarchy, first sync (no SyncState, no SyncFolderId: the whole mailbox; AllProperties)  vs  IMAP LIST-STATUS');
    out.push(
      table(
        ['folders', 'IMAP LIST-STATUS ms', 'EWS SyncFolderHierarchy ms', 'ratio', 'EWS ms/folder'],
        results.map((r) => [String(r.created), f2(r.imapList), f2(r.syncHierarchy), ratio(r.syncHierarchy, r.imapList), f3(r.syncHierarchy / r.listed)]),
      ),
    );
    if (profileText) out.push('', profileText);
    if (errorLines.length) out.push('', `gateway logged ${errorLines.length} error line(s); first: ${errorLines[0]}`);
    out.push('', `bench took ${((performance.now() - started) / 1000).toFixed(1)} s`);
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await gateway?.close().catch(() => undefined);
    await backends.stop();
    log('backends stopped');
  }
}

/**
 * Where the time of one FindFolder goes at PROFILE_SIZE folders: each piece the
 * gateway runs, called directly in-process on its own connection, then a V8
 * CPU profile of the HTTP requests.
 */
async function profileFindFolder(b: Backends, user: TestUser, ews: EwsClient, r: SizeResult, raw: RawImap, rawList: string): Promise<string> {
  log(`profiling FindFolder at ${r.created} folders ...`);
  const client = poolLikeClient(b, user);
  await client.connect();
  try {
    const store = new ImapMailStore(client, () => undefined);
    const ctx: RequestContext = {
      user: { login: user.email, email: user.email, displayName: user.name },
      version: 'Exchange2013_SP1',
      mailbox: { mail: store } as unknown as Mailbox, // FindFolder submits nothing
      stateSecret: Buffer.from('ewsgate-bench-state-secret'),
    };
    const shape: FolderShape = { base: 'Default', additional: [] };
    const statusQuery = { ...STATUS_QUERY, highestModseq: store.capabilities.condstore };
    // private in the typings, a plain method at run time: the second (X-GUID) listing on its own
    // (left out if adapters/imap/imap-store.ts no longer has it)
    const hidden = store as unknown as { listGuids?: (p?: string) => Promise<Map<string, string>> };
    const listGuids = typeof hidden.listGuids === 'function' ? () => hidden.listGuids!.call(store) : () => undefined;
    const hasListGuids = typeof hidden.listGuids === 'function';

    const folders: MailFolder[] = await store.listFolders();
    const tree = new FolderTree(folders);
    const found = tree.descendants(tree.msgFolderRoot);
    const rendered = found.map((f) => renderFolder(f, shape, ctx));
    const inner = respond('FindFolder', [ok(x('m:RootFolder', { TotalItemsInView: found.length, IncludesLastItemInRange: true }, x('t:Folders', null, rendered)))]);

    raw.bytes = 0;
    await raw.cmd(rawList);
    const rawBytes = raw.bytes;

    const CPU_RUNS = 200; // pure CPU pieces are cheap: more runs, steadier medians
    const io = await timeEach({
      listFolders: () => store.listFolders(),
      imapflowList: () => client.list({ statusQuery }),
      listGuids,
      rawList: () => raw.cmd(rawList),
      dispatch: () => dispatch(parseSoapRequest(FIND_FOLDER_DEEP), ctx, (e) => { throw e; }),
      http: () => ews.post(FIND_FOLDER_DEEP),
    });
    const cpu = await timeEach(
      {
        parse: () => parseSoapRequest(FIND_FOLDER_DEEP, { maxBytes: 64 * 1024 * 1024, maxDepth: 128 }),
        tree: () => new FolderTree(folders),
        descendants: () => tree.descendants(tree.msgFolderRoot),
        render: () => found.map((f) => renderFolder(f, shape, ctx)),
        wrap: () =>
          renderEnvelope(respond('FindFolder', [ok(x('m:RootFolder', { TotalItemsInView: found.length, IncludesLastItemInRange: true }, x('t:Folders', null, rendered)))])),
        envelopeOnly: () => renderEnvelope(inner),
      },
      CPU_RUNS,
      20,
    );
    const p = { ...io, ...cpu };
    const pieces: [string, number, string][] = [
      ['parse SOAP request (parseSoapRequest, xmldom)', p.parse, 'src/soap/envelope.ts parseSoapRequest'],
      ['IMAP listing, both LISTs (ImapMailStore.listFolders)', p.listFolders, 'adapters/imap/imap-store.ts listFolders'],
      ['  of which: LIST-STATUS via imapflow list()', p.imapflowList, 'imapflow commands/list.js'],
      ...(hasListGuids ? [['  of which: LIST RETURN (STATUS (X-GUID)) (listGuids)', p.listGuids, 'adapters/imap/imap-store.ts listGuids'] as [string, number, string]] : []),
      [`  for scale: LIST-STATUS on a raw socket (${(rawBytes / 1024).toFixed(0)} KB, no parsing)`, p.rawList, 'Dovecot + loopback'],
      [`build FolderTree (${folders.length} MailFolders)`, p.tree, 'src/ews/folders/tree.ts FolderTree constructor'],
      ['tree.descendants(msgfolderroot)', p.descendants, 'src/ews/folders/tree.ts descendants'],
      [`renderFolder x ${found.length} (Default shape)`, p.render, 'src/ews/folders/render.ts renderFolder'],
      ['respond() + renderEnvelope around them', p.wrap, 'src/ews/operation.ts respond, src/soap/envelope.ts renderEnvelope'],
      ['  of which: renderEnvelope alone', p.envelopeOnly, 'src/soap/envelope.ts renderEnvelope'],
    ];
    const sum = p.parse + p.listFolders + p.tree + p.descendants + p.render + p.wrap;
    const lines: string[] = [];
    lines.push(`4. Where FindFolder Deep's time goes at ${r.created} folders (${found.length} in the response): each piece called directly, in-process, median`);
    lines.push(
      table(
        ['piece', 'ms', '% of HTTP', 'code'],
        [
          ...pieces.map(([name, ms, code]) => [name, f3(ms), `${((ms / p.http) * 100).toFixed(0)}%`, code]),
          ['sum of the pieces above (non-"of which" rows)', f3(sum), `${((sum / p.http) * 100).toFixed(0)}%`, ''],
          ['dispatch() in-process (parse + operation + render)', f3(p.dispatch), `${((p.dispatch / p.http) * 100).toFixed(0)}%`, 'src/ews/dispatch.ts dispatch'],
          ['whole HTTP request (fetch, keep-alive)', f3(p.http), '100%', 'src/server/http.ts'],
          ['HTTP + auth + body read + log (HTTP - dispatch)', f3(p.http - p.dispatch), `${(((p.http - p.dispatch) / p.http) * 100).toFixed(0)}%`, 'src/server/http.ts handleEws, fetch client'],
        ],
      ),
    );

    // V8 CPU profile over HTTP FindFolder requests (client, gateway and imapflow share this thread).
    const PROFILE_RUNS = 40;
    const prof = await profileCpu(PROFILE_RUNS, () => ews.post(FIND_FOLDER_DEEP), { fmt: f2, files: 12, functions: 18 });
    lines.push('');
    lines.push(
      `5. V8 CPU profile of ${PROFILE_RUNS} HTTP FindFolder requests at ${r.created} folders: ${f2(prof.wall)} ms wall, ` +
        `${f2(prof.busy)} ms on this thread's CPU (${f2(prof.idle)} ms idle = waiting for Dovecot / the socket). Self time, % of busy:`,
    );
    lines.push(prof.tables);
    return lines.join('\n');
  } finally {
    await client.logout().catch(() => client.close());
  }
}

runBench('bench/run.ts', main);
