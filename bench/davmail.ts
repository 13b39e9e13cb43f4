// DavMail's IMAP `UID FETCH 1:* (FLAGS RFC822.SIZE INTERNALDATE)` on a
// 10,000-message folder through ewsgate, against the same command on Dovecot
// directly, and where the time goes.
//
//   node --import tsx bench/davmail.ts
//
// Starts a private Dovecot (startBackends), fills one folder with BENCH_DAVMAIL_MESSAGES
// (10,000) small messages by pipelined LITERAL+ APPENDs, starts an in-process
// gateway, and Debian's DavMail (test/clients/davmail/harness.ts) pointed at it
// through a recording relay, so every HTTP exchange DavMail makes is counted
// and timed as DavMail waits for it. Two DavMail set-ups are measured, because
// DavMail answers RFC822.SIZE in two ways (ImapConnection.handleFetch):
//
//  - approx: davmail.imapAlwaysApproxMsgSize=true. RFC822.SIZE is
//    PR_MESSAGE_SIZE (0x0E08) from the FindItem listing; the cost is the
//    listing (FindItem, pages of 500, sorted on 0x0E23) at SELECT.
//  - exact (DavMail's default): RFC822.SIZE is the length of the MIME content,
//    so DavMail downloads every message with one GetItem IncludeMimeContent.
//    That takes minutes for 10,000 messages, so it runs on the first
//    BENCH_DAVMAIL_EXACT_SAMPLE (1,000) UIDs and is scaled up linearly (shown as such),
//    unless BENCH_DAVMAIL_EXACT_SAMPLE=all.
//
// Every figure is wall time seen by the IMAP client; Dovecot's is the median
// of several runs on a raw socket. Printed, never asserted. Only 127.0.0.1 is
// contacted. A watchdog ends the bench after 180 s (it takes about 35 s). The relay
// adds one loopback hop, about 1-2 ms per exchange: compare its figures with
// the gateway's own (from its log lines), printed next to them.
import type { Gateway } from '../src/server/http.js';
import { startBackends, type Backends, type TestUser } from '../test/harness/backends.js';
import { DavImap, startDavmail, startEwsRecorder, type Davmail, type EwsExchange, type EwsRecorder } from '../test/clients/davmail/harness.js';
import { basicAuth, benchConfig, log, median, runBench, startBenchGateway, watchdog } from './common.js';

const N = Number(process.env.BENCH_DAVMAIL_MESSAGES ?? 10_000);
const EXACT_SAMPLE = process.env.BENCH_DAVMAIL_EXACT_SAMPLE === 'all' ? N : Number(process.env.BENCH_DAVMAIL_EXACT_SAMPLE ?? 1000);
const DOVECOT_RUNS = 7;
const WATCHDOG_MS = 180_000;
const FOLDER = 'Bench10k';
const FETCH = 'UID FETCH 1:* (FLAGS RFC822.SIZE INTERNALDATE)';

const ms = (n: number) => `${n.toFixed(0)} ms`;

/** One message of about 1-3 KB, different per index. */
function message(i: number, user: TestUser): Buffer {
  const date = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toUTCString().replace('GMT', '+0000');
  const body = `Message ${i} of the DavMail bench.\r\n` + 'Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n'.repeat(10 + (i % 40));
  return Buffer.from(
    `From: Sender ${i % 97} <sender${i % 97}@example.test>\r\nTo: ${user.email}\r\nSubject: bench message ${i}\r\nDate: ${date}\r\n` +
      `Message-ID: <bench-${i}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}`,
  );
}

/** Fills FOLDER with N messages: MULTIAPPEND (one transaction per batch) with LITERAL+, as Dovecot offers both. */
async function fill(b: Backends, user: TestUser): Promise<void> {
  const c = await DavImap.login(b.imapPort, user);
  const caps = (await c.command('CAPABILITY')).untagged.join(' ');
  for (const cap of ['MULTIAPPEND', 'LITERAL+']) if (!caps.includes(cap)) throw new Error(`Dovecot lacks ${cap}: ${caps}`);
  await c.command(`CREATE ${FOLDER}`);
  const BATCH = 1000;
  for (let start = 0; start < N; start += BATCH) {
    const parts: Buffer[] = [Buffer.from(`M${start} APPEND ${FOLDER}`)];
    for (let i = start; i < Math.min(N, start + BATCH); i++) {
      const m = message(i, user);
      const flags = i % 3 === 0 ? '(\\Seen)' : i % 17 === 0 ? '(\\Flagged)' : '()';
      const date = new Date(Date.UTC(2026, 0, 1) + i * 3_600_000);
      const idate = `${String(date.getUTCDate()).padStart(2, '0')}-${date.toUTCString().slice(8, 11)}-${date.getUTCFullYear()} ${date.toISOString().slice(11, 19)} +0000`;
      parts.push(Buffer.from(` ${flags} "${idate}" {${m.length}+}\r\n`), m);
    }
    parts.push(Buffer.from('\r\n'));
    c.writeRaw(Buffer.concat(parts));
    // the NOOP answers after the APPEND (one connection, in order)
    const r = await c.command('NOOP', 120_000);
    const done = r.untagged.find((l) => l.startsWith(`M${start} `));
    if (!r.status.startsWith('OK') || !done?.startsWith(`M${start} OK`)) throw new Error(`MULTIAPPEND: ${done ?? r.status}`);
  }
  const st = await c.command(`STATUS ${FOLDER} (MESSAGES)`);
  await c.logout();
  const count = Number(/MESSAGES (\d+)/.exec(st.untagged.join(' '))?.[1]);
  if (count !== N) throw new Error(`${FOLDER} holds ${count} messages, not ${N}`);
}

interface Timed {
  selectMs: number;
  fetchMs: number;
  lines: number;
}

async function selectAndFetch(c: DavImap, range = '1:*'): Promise<Timed> {
  const t0 = performance.now();
  const sel = await c.command(`SELECT ${FOLDER}`, 170_000);
  const t1 = performance.now();
  if (!sel.status.startsWith('OK')) throw new Error(`SELECT: ${sel.status}`);
  const f = await c.command(FETCH.replace('1:*', range), 170_000);
  const t2 = performance.now();
  if (!f.status.startsWith('OK')) throw new Error(`UID FETCH: ${f.status}`);
  return { selectMs: t1 - t0, fetchMs: t2 - t1, lines: f.untagged.filter((l) => / FETCH \(/.test(l)).length };
}

/** Exchanges per operation: count (authorized / challenge), summed ms. */
function breakdown(ex: EwsExchange[]): string {
  const by = new Map<string, { n: number; ms: number; bytes: number }>();
  for (const e of ex) {
    const k = `${e.op || e.method}${e.authorized ? '' : ' (401 challenge)'}`;
    const v = by.get(k) ?? { n: 0, ms: 0, bytes: 0 };
    v.n++;
    v.ms += e.ms;
    v.bytes += e.responseBytes;
    by.set(k, v);
  }
  return [...by.entries()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(
      ([k, v]) =>
        `    ${k.padEnd(28)} ${String(v.n).padStart(6)} requests  ${ms(v.ms).padStart(9)}  ${(v.ms / v.n).toFixed(2).padStart(7)} ms each  ${(v.bytes / 1024).toFixed(0).padStart(6)} KiB`,
    )
    .join('\n');
}

/** Gateway-side time per operation from its `ews` log lines (ms=...). */
function gatewayTime(lines: string[]): string {
  const by = new Map<string, { n: number; ms: number }>();
  for (const l of lines) {
    const m = / info ews .*op="(\w+)".* ms=(\d+)/.exec(l);
    if (!m) continue;
    const v = by.get(m[1]!) ?? { n: 0, ms: 0 };
    v.n++;
    v.ms += Number(m[2]);
    by.set(m[1]!, v);
  }
  return [...by.entries()]
    .map(([k, v]) => `    ${k.padEnd(28)} ${String(v.n).padStart(6)} requests  ${ms(v.ms).padStart(9)} inside the gateway (${(v.ms / v.n).toFixed(2)} ms each)`)
    .join('\n');
}

async function measureDavmail(
  label: string,
  gateway: Gateway,
  gatewayLog: string[],
  user: TestUser,
  props: Record<string, string>,
  range: string,
  keepBodies = false,
): Promise<{ t: Timed; rec: EwsRecorder; dm: Davmail; logFrom: number }> {
  const rec = await startEwsRecorder(gateway.url, { keepBodies });
  const dm = await startDavmail({ ewsUrl: `${rec.url}/EWS/Exchange.asmx`, logLevel: 'WARN', properties: props });
  log(`${label}: DavMail up in ${dm.startupMs} ms`);
  try {
    const c = await DavImap.login(dm.imapPort, user);
    rec.exchanges.length = 0; // count from SELECT on, not the login
    const logFrom = gatewayLog.length;
    const t = await selectAndFetch(c, range);
    await c.logout();
    return { t, rec, dm, logFrom };
  } catch (e) {
    throw new Error(`${label}: ${(e as Error).message}\n${dm.logTail(30)}\n${rec.dump(4)}`);
  } finally {
    await dm.stop();
    await rec.close();
  }
}

async function main(): Promise<void> {
  watchdog(WATCHDOG_MS);

  log('starting Dovecot ...');
  const backends = await startBackends();
  let gateway: Gateway | undefined;
  try {
    const user = await backends.addUser('davbench');
    const t0 = performance.now();
    await fill(backends, user);
    log(`${N} messages appended to ${FOLDER} in ${ms(performance.now() - t0)}`);

    const gatewayLog: string[] = [];
    gateway = await startBenchGateway(benchConfig(backends), (l) => gatewayLog.push(l));

    // Dovecot directly: the same IMAP commands on a raw socket, median of DOVECOT_RUNS
    const direct = await DavImap.login(backends.imapPort, user);
    const runs: Timed[] = [];
    for (let i = 0; i < DOVECOT_RUNS; i++) runs.push(await selectAndFetch(direct));
    await direct.logout();
    const dSelect = median(runs.map((r) => r.selectMs));
    const dFetch = median(runs.map((r) => r.fetchMs));
    if (runs[0]!.lines !== N) throw new Error(`Dovecot answered ${runs[0]!.lines} FETCH lines, not ${N}`);
    log(`Dovecot: SELECT ${ms(dSelect)}, UID FETCH ${ms(dFetch)}`);

    const approx = await measureDavmail('approx', gateway, gatewayLog, user, { 'davmail.imapAlwaysApproxMsgSize': 'true' }, '1:*', true);
    if (approx.t.lines !== N) throw new Error(`DavMail (approx) answered ${approx.t.lines} FETCH lines, not ${N}`);
    const approxGw = gatewayLog.slice(approx.logFrom);
    log(`DavMail approx: SELECT ${ms(approx.t.selectMs)}, UID FETCH ${ms(approx.t.fetchMs)}`);

    // DavMail's own first FindItem page, replayed directly (Basic up front, no relay), and with smaller shapes
    const firstPage = approx.rec.exchanges.find((e) => e.op === 'FindItem' && e.authorized && e.request)!.request!;
    const shapes: Record<string, string> = {
      "DavMail's 15 properties": firstPage,
      'UID, IsRead, size, date, flag status': firstPage.replace(
        /<t:AdditionalProperties>.*<\/t:AdditionalProperties>/,
        '<t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0xe23" PropertyType="Integer"/><t:FieldURI FieldURI="message:IsRead"/><t:ExtendedFieldURI PropertyTag="0xe08" PropertyType="Integer"/><t:ExtendedFieldURI PropertyTag="0xe06" PropertyType="SystemTime"/><t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/></t:AdditionalProperties>',
      ),
      'UID only': firstPage.replace(
        /<t:AdditionalProperties>.*<\/t:AdditionalProperties>/,
        '<t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0xe23" PropertyType="Integer"/></t:AdditionalProperties>',
      ),
      'UID only, MaxEntriesReturned=1 (fixed cost)': firstPage
        .replace(
          /<t:AdditionalProperties>.*<\/t:AdditionalProperties>/,
          '<t:AdditionalProperties><t:ExtendedFieldURI PropertyTag="0xe23" PropertyType="Integer"/></t:AdditionalProperties>',
        )
        .replace('MaxEntriesReturned="500"', 'MaxEntriesReturned="1"'),
    };
    const auth = basicAuth(user);
    const replay: Record<string, number> = {};
    for (const [name, body] of Object.entries(shapes)) {
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const res = await fetch(`${gateway.url}/ews/exchange.asmx`, {
          method: 'POST',
          headers: { 'Content-Type': 'text/xml; charset=utf-8', Authorization: auth },
          body,
        });
        const text = await res.text();
        times.push(performance.now() - t);
        if (!text.includes('NoError')) throw new Error(`replayed FindItem (${name}) failed: ${text.slice(0, 500)}`);
      }
      replay[name] = median(times);
    }
    const dovecotPage = await (async () => {
      const c = await DavImap.login(backends.imapPort, user);
      await c.command(`SELECT ${FOLDER}`);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await c.command('UID FETCH 1:500 (UID FLAGS RFC822.SIZE INTERNALDATE)');
        times.push(performance.now() - t);
      }
      await c.logout();
      return median(times);
    })();

    const sampleRange = EXACT_SAMPLE >= N ? '1:*' : `1:${EXACT_SAMPLE}`;
    const exact = await measureDavmail('exact', gateway, gatewayLog, user, {}, sampleRange);
    const exactGw = gatewayLog.slice(exact.logFrom);
    const sampled = exact.t.lines;
    const scale = N / sampled;
    log(`DavMail exact: SELECT ${ms(exact.t.selectMs)}, UID FETCH ${sampleRange} ${ms(exact.t.fetchMs)} (${sampled} messages)`);

    const dTotal = dSelect + dFetch;
    const aTotal = approx.t.selectMs + approx.t.fetchMs;
    const eFetchFull = exact.t.fetchMs * scale;
    const eTotal = exact.t.selectMs + eFetchFull;
    const http = (ex: EwsExchange[]) => ex.reduce((s, e) => s + e.ms, 0);

    const out: string[] = [];
    out.push(`DavMail IMAP "SELECT ${FOLDER}" + "${FETCH}" on ${N} messages`);
    out.push(`DavMail 6.0.1 (Debian davmail-server) -> recording relay -> ewsgate (in-process) -> Dovecot; all on 127.0.0.1`);
    out.push('');
    out.push(
      `Dovecot directly (median of ${DOVECOT_RUNS}):        SELECT ${ms(dSelect).padStart(8)}   UID FETCH ${ms(dFetch).padStart(9)}   total ${ms(dTotal).padStart(9)}`,
    );
    out.push(
      `DavMail, imapAlwaysApproxMsgSize=true:   SELECT ${ms(approx.t.selectMs).padStart(8)}   UID FETCH ${ms(approx.t.fetchMs).padStart(9)}   total ${ms(aTotal).padStart(9)}   = ${(aTotal / dTotal).toFixed(1)}x Dovecot`,
    );
    out.push(
      `DavMail default (exact RFC822.SIZE):     SELECT ${ms(exact.t.selectMs).padStart(8)}   UID FETCH ${ms(eFetchFull).padStart(9)}${scale > 1 ? '*' : ' '}  total ${ms(eTotal).padStart(9)}   = ${(eTotal / dTotal).toFixed(1)}x Dovecot`,
    );
    if (scale > 1)
      out.push(
        `  * measured on UID FETCH ${sampleRange} (${sampled} messages, ${ms(exact.t.fetchMs)}) and scaled x${scale.toFixed(1)}; BENCH_DAVMAIL_EXACT_SAMPLE=all runs it whole`,
      );
    out.push('');
    out.push(`Where the time goes, approx (SELECT + FETCH ${ms(aTotal)}; HTTP exchanges ${ms(http(approx.rec.exchanges))} of it, as DavMail waits for them):`);
    out.push(breakdown(approx.rec.exchanges));
    out.push(gatewayTime(approxGw));
    out.push(`    DavMail itself (wall time minus HTTP):        ${ms(aTotal - http(approx.rec.exchanges))}`);
    out.push(
      `  One FindItem page of 500 (DavMail's first, replayed directly, median of 5) vs Dovecot's UID FETCH 1:500 (UID FLAGS RFC822.SIZE INTERNALDATE) ${ms(dovecotPage)}:`,
    );
    for (const [name, t] of Object.entries(replay)) out.push(`    ${name.padEnd(40)} ${ms(t).padStart(8)}  = ${(t / dovecotPage).toFixed(1)}x`);
    out.push('');
    out.push(
      `Where the time goes, exact (SELECT + FETCH of ${sampled} messages ${ms(exact.t.selectMs + exact.t.fetchMs)}; HTTP ${ms(http(exact.rec.exchanges))}):`,
    );
    out.push(breakdown(exact.rec.exchanges));
    out.push(gatewayTime(exactGw));
    out.push(`    DavMail itself (wall time minus HTTP):        ${ms(exact.t.selectMs + exact.t.fetchMs - http(exact.rec.exchanges))}`);
    const challenges = [...approx.rec.exchanges, ...exact.rec.exchanges].filter((e) => !e.authorized);
    out.push('');
    out.push(
      `DavMail sends every POST twice (challenge-first Basic): ${challenges.length} of ${approx.rec.exchanges.length + exact.rec.exchanges.length} exchanges were 401 challenges, ` +
        `${ms(http(challenges))} in all (${(http(challenges) / Math.max(1, challenges.length)).toFixed(2)} ms each).`,
    );
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await gateway?.close();
    await backends.stop();
  }
}

runBench('bench/davmail.ts', main);
