// `node --import tsx bench/calendar.ts` (npm run bench:calendar): what a CalendarView costs through
// ewsgate compared with the CalDAV request behind it, against a private, real Radicale started here
// (issue 5 item 11).
//
//  1. FindItem with a CalendarView over a year (Default shape) of a calendar holding 50 recurring
//     series (weekly, daily, monthly, yearly; some with EXDATEs and modified occurrences; Europe/
//     Berlin and UTC) and 30 single events,  vs  tsdav's calendarQuery: the calendar-query REPORT
//     with a time-range a CalDAV client sends (calendar-data NOT expanded), and the same REPORT
//     with <C:expand> for comparison. The gateway reads through its calendar mirror
//     (adapters/dav/collection-mirror.ts: a sync-collection, then only what changed); a second gateway
//     with EWSGATE_DAV_MIRROR_MB=0 sends the time-range REPORT itself each time.
//  2. Where the gateway's time goes: its pieces called in-process on the same data (the adapter's
//     read warm, cold and without mirror, parsing, expansion, rendering), and a V8 CPU profile.
//
// Every figure is the median of BENCH_RUNS interleaved runs after BENCH_WARMUP warm-up runs
// (timing and profiling helpers from bench/common.ts); the
// budget (≤ 1.5× the REPORT without expand) is printed, never asserted. The bench fails only when
// an answer is wrong. Only 127.0.0.1 is contacted.
import * as http from 'node:http';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { calendarQuery } from 'tsdav';
import { loadConfig } from '../src/config.js';
import { startGateway, type Gateway } from '../src/server/http.js';
import { createLogger } from '../src/server/log.js';
import { NS, parseXml } from '../src/soap/xml.js';
import { CalDavCalendarStore } from '../adapters/caldav/caldav-store.js';
import { CollectionMirror } from '../adapters/dav/collection-mirror.js';
import { calendarViewItems, readObjects } from '../src/ews/calendar/load.js';
import { renderCalendarView } from '../src/ews/calendar/item.js';
import type { CalendarRenderContext } from '../src/ews/calendar/views.js';
import { parseItemShape } from '../src/ews/items/shape.js';
import { startBackends, type TestUser } from '../test/harness/backends.js';
import { davRequest } from '../test/harness/clients.js';
import { seedUser } from '../test/harness/seed.js';
import { VTIMEZONE_BERLIN } from '../test/harness/ics.js';
import { f1, f2, log, profileCpu, startGatewayProcess, table, timeEach } from './common.js';

const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const SERIES = Number(process.env.BENCH_SERIES ?? 50);
const SINGLES = Number(process.env.BENCH_SINGLES ?? 30);
const VIEW_START = '2027-01-01T00:00:00Z';
const VIEW_END = '2028-01-01T00:00:00Z';
const BUDGET = 1.5;
const WATCHDOG_MS = 300_000;

// ---------------------------------------------------------------- the calendar


const pad = (n: number) => String(n).padStart(2, '0');
/** 2026-mm-dd + days, as YYYYMMDD. */
function day(offset: number, base = Date.UTC(2026, 8, 1)): string {
  const d = new Date(base + offset * 86_400_000);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

/** The i-th series: a spread of what calendars hold. Starts in autumn 2026, so the 2027 view cuts them. */
export function seriesIcs(i: number): string {
  const berlin = i % 3 !== 2;
  const start = day((i * 7) % 120);
  const hour = 7 + (i % 10);
  const dt = (d: string, h: number, m = 0) => (berlin ? `;TZID=Europe/Berlin:${d}T${pad(h)}${pad(m)}00` : `:${d}T${pad(h)}${pad(m)}00Z`);
  const kinds = [
    `FREQ=WEEKLY;BYDAY=${['MO', 'TU,TH', 'MO,WE,FR', 'FR'][i % 4]}`,
    `FREQ=DAILY;INTERVAL=${2 + (i % 5)}`,
    `FREQ=MONTHLY;BYMONTHDAY=${1 + (i % 28)}`,
    `FREQ=MONTHLY;BYDAY=${['1MO', '2TU', '3WE', '-1FR'][i % 4]}`,
    'FREQ=YEARLY',
    `FREQ=WEEKLY;INTERVAL=2;BYDAY=${['TU', 'TH'][i % 2]}`,
  ];
  let rrule = kinds[i % kinds.length]!;
  if (i % 7 === 3) rrule += ';COUNT=40';
  else if (i % 7 === 5) rrule += ';UNTIL=20271001T000000Z';
  const uid = `bench-series-${i}@ewsgate.bench`;
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//ewsgate bench//EN', ...(berlin ? VTIMEZONE_BERLIN : [])];
  const event = (extra: string[]) => [
    'BEGIN:VEVENT',
    `UID:${uid}`,
    'DTSTAMP:20260801T000000Z',
    ...extra,
    `SUMMARY:Series ${i} (${rrule.split(';')[0]!.slice(5).toLowerCase()})`,
    `LOCATION:Room ${i % 9}`,
    `DESCRIPTION:Recurring meeting number ${i}\\, with some text in its body so that it is not empty.`,
    'BEGIN:VALARM',
    'ACTION:DISPLAY',
    'TRIGGER:-PT15M',
    'DESCRIPTION:Reminder',
    'END:VALARM',
    'END:VEVENT',
  ];
  // The series' first instance in 2027 is found by expanding through the gateway; overrides and
  // EXDATEs name instances by date here, so they are only taken on daily rules, where every
  // INTERVAL-th day from the start is an instance.
  const master = [`DTSTART${dt(start, hour)}`, `DTEND${dt(start, hour + 1)}`, `RRULE:${rrule}`];
  const overrides: string[][] = [];
  if (rrule.startsWith('FREQ=DAILY') && i % 2 === 0) {
    const interval = 2 + (i % 5);
    const ex = [1, 3].map((k) => day((i * 7) % 120 + interval * (40 + k * 5)));
    master.push(`EXDATE${dt(ex[0]!, hour)}`, `EXDATE${dt(ex[1]!, hour)}`);
    const moved = day((i * 7) % 120 + interval * 50);
    overrides.push([`RECURRENCE-ID${dt(moved, hour)}`, `DTSTART${dt(moved, hour + 2)}`, `DTEND${dt(moved, hour + 3)}`]);
  }
  lines.push(...event(master));
  for (const o of overrides) lines.push(...event(o));
  lines.push('END:VCALENDAR', '');
  return lines.join('\r\n');
}

export function singleIcs(i: number): string {
  const d = day(120 + i * 12);
  return [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//ewsgate bench//EN',
    'BEGIN:VEVENT',
    `UID:bench-single-${i}@ewsgate.bench`,
    'DTSTAMP:20260801T000000Z',
    i % 4 === 0 ? `DTSTART;VALUE=DATE:${d}` : `DTSTART:${d}T${pad(8 + (i % 9))}0000Z`,
    i % 4 === 0 ? `DTEND;VALUE=DATE:${day(121 + i * 12)}` : `DTEND:${d}T${pad(9 + (i % 9))}3000Z`,
    `SUMMARY:Single event ${i}`,
    'END:VEVENT',
    'END:VCALENDAR',
    '',
  ].join('\r\n');
}

// ---------------------------------------------------------------- EWS over HTTP

class EwsClient {
  private readonly auth: string;
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  constructor(
    private readonly url: string,
    user: TestUser,
  ) {
    this.auth = 'Basic ' + Buffer.from(`${user.email}:${user.password}`).toString('base64');
  }
  post(body: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        this.url,
        { method: 'POST', agent: this.agent, headers: { 'Content-Type': 'text/xml; charset=utf-8', Authorization: this.auth, 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) reject(new Error(`EWS answered HTTP ${res.statusCode}: ${text.slice(0, 500)}`));
            else resolve(text);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
  close(): void {
    this.agent.destroy();
  }
}

const envelope = (body: string) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="${NS.types}" xmlns:m="${NS.messages}">` +
  `<soap:Header><t:RequestServerVersion Version="Exchange2013_SP1"/></soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
const SHAPE = '<m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape>';
const CALENDAR_VIEW = envelope(
  `<m:FindItem Traversal="Shallow">${SHAPE}<m:CalendarView StartDate="${VIEW_START}" EndDate="${VIEW_END}"/><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`,
);

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    log(`watchdog: longer than ${WATCHDOG_MS / 1000} s, giving up`);
    process.exit(2);
  }, WATCHDOG_MS);
  watchdog.unref();
  log('starting Dovecot + Radicale ...');
  const backends = await startBackends({ dovecotPush: false });
  let gateway: Gateway | undefined;
  let noMirrorGateway: Gateway | undefined;
  let noMirrorClient: EwsClient | undefined;
  let ews: EwsClient | undefined;
  let own: Awaited<ReturnType<typeof startGatewayProcess>> | undefined;
  let ownClient: EwsClient | undefined;
  try {
    const user = await backends.addUser('calbench');
    const seeded = await seedUser(backends, user, { mail: false, dav: true });
    const calUrl = new URL(seeded.dav!.calendarUrl, backends.davUrl).toString();
    const calPath = new URL(calUrl).pathname;
    for (let i = 0; i < SERIES; i++) {
      const r = await davRequest(backends, user, 'PUT', `${calPath}bench-series-${i}.ics`, { body: seriesIcs(i), headers: { 'Content-Type': 'text/calendar; charset=utf-8' } });
      if (r.status !== 201) throw new Error(`PUT series ${i}: ${r.status} ${await r.text()}`);
    }
    for (let i = 0; i < SINGLES; i++) {
      const r = await davRequest(backends, user, 'PUT', `${calPath}bench-single-${i}.ics`, { body: singleIcs(i), headers: { 'Content-Type': 'text/calendar; charset=utf-8' } });
      if (r.status !== 201) throw new Error(`PUT single ${i}: ${r.status} ${await r.text()}`);
    }
    const objectsStored = SERIES + SINGLES + seeded.dav!.events.length;
    log(`calendar filled: ${SERIES} series + ${SINGLES} singles + ${seeded.dav!.events.length} seeded fixtures`);

    const flags = { listen: '127.0.0.1:0', imap: backends.imapUrl, smtp: backends.smtpUrl, caldav: backends.davUrl, carddav: backends.davUrl, mailDomain: backends.domain, logLevel: 'error', sessionIdleSeconds: '600' };
    gateway = await startGateway(loadConfig({ env: {}, flags }), createLogger('error', () => undefined));
    noMirrorGateway = await startGateway(
      loadConfig({ env: {}, flags: { ...flags, davMirrorMb: '0' } }),
      createLogger('error', () => undefined),
    );
    const noMirrorEws = new EwsClient(`${noMirrorGateway.url}/EWS/Exchange.asmx`, user);
    noMirrorClient = noMirrorEws;
    ews = new EwsClient(`${gateway.url}/EWS/Exchange.asmx`, user);
    const client = ews;
    // The same gateway in a process of its own, as deployed: the client here no longer shares its thread.
    own = await startGatewayProcess(backends);
    const ownEws = new EwsClient(`${own.url}/EWS/Exchange.asmx`, user);
    ownClient = ownEws;

    // --- the answers, checked once
    const answer = await client.post(CALENDAR_VIEW);
    if (!/ResponseClass="Success"/.test(answer)) throw new Error(`FindItem failed: ${answer.slice(0, 1500)}`);
    const items = Number(/TotalItemsInView="(\d+)"/.exec(answer)?.[1] ?? NaN);
    const occurrences = (answer.match(/<t:CalendarItemType>Occurrence</g) ?? []).length;
    const exceptions = (answer.match(/<t:CalendarItemType>Exception</g) ?? []).length;
    const auth = { Authorization: 'Basic ' + Buffer.from(`${user.email}:${user.password}`).toString('base64') };
    const timeRange = { _attributes: { start: VIEW_START.replace(/[-:]/g, ''), end: VIEW_END.replace(/[-:]/g, '') } };
    const filters = { 'comp-filter': { _attributes: { name: 'VCALENDAR' }, 'comp-filter': { _attributes: { name: 'VEVENT' }, 'time-range': timeRange } } };
    const report = (expand: boolean) =>
      calendarQuery({
        url: calUrl,
        props: { 'd:getetag': {}, 'c:calendar-data': expand ? { 'c:expand': timeRange } : {} },
        filters,
        depth: '1',
        headers: auth,
      });
    const plain = await report(false);
    const expanded = await report(true);
    const objectsInRange = plain.filter((r) => r.props?.calendarData).length;
    const expandedVevents = expanded.reduce((n, r) => n + (String(r.props?.calendarData?._cdata ?? r.props?.calendarData ?? '').match(/BEGIN:VEVENT/g) ?? []).length, 0);
    if (!objectsInRange) throw new Error('the REPORT returned no calendar data');
    const radicaleExpands = expandedVevents >= items;
    const answerBytes = Buffer.byteLength(answer);
    const reportBytes = plain.reduce((n, r) => n + String(r.props?.calendarData?._cdata ?? r.props?.calendarData ?? '').length, 0);
    log(`view: ${items} items (${occurrences} occurrences, ${exceptions} exceptions) from ${objectsInRange} objects; Radicale's expand: ${expandedVevents} VEVENTs`);

    // --- 1 and 2. the HTTP requests and the gateway's pieces (in-process, on the same data), all
    // measured interleaved in the same rounds, so that load from elsewhere hits them alike
    const MIRROR_BYTES = 64 * 1024 * 1024;
    const davOpts = { baseUrl: backends.davUrl, username: user.email, password: user.password };
    // as the gateway's: a process-wide mirror, re-validated by sync-collection on each read
    const store = new CalDavCalendarStore({ ...davOpts, mirror: new CollectionMirror(MIRROR_BYTES) });
    const plainStore = new CalDavCalendarStore(davOpts);
    const range = { start: new Date(VIEW_START), end: new Date(VIEW_END) };
    const results = await store.queryObjects(calPath, { component: 'VEVENT', range });
    const shape = parseItemShape(parseXml(`<m:ItemShape xmlns:m="${NS.messages}" xmlns:t="${NS.types}"><t:BaseShape>Default</t:BaseShape></m:ItemShape>`).documentElement!);
    const rc: CalendarRenderContext = {
      version: 'Exchange2013_SP1',
      shape,
      user: { email: user.email, name: 'Bench', addresses: [user.email] },
      timeZone: 'UTC',
      parentFolder: { id: 'F', changeKey: 'C' },
      itemId: (v) => ({ id: `I${v.href}`, changeKey: 'K' }),
      occurrenceId: (v, o) => ({ id: `I${v.href}#${o.recurrenceId.utc.getTime()}`, changeKey: 'K' }),
    };
    const parsed = readObjects(results, { floatingZone: 'UTC' });
    const viewItems = calendarViewItems(parsed.objects, range.start, range.end).items;
    log(`measuring: ${WARMUP} warm-up + ${RUNS} runs each, interleaved ...`);
    const med = await timeEach({
      ews: () => client.post(CALENDAR_VIEW),
      ewsOwn: () => ownEws.post(CALENDAR_VIEW),
      report: () => report(false),
      reportExpand: () => report(true),
      adapterReport: () => store.queryObjects(calPath, { component: 'VEVENT', range }),
      // the first read of a process: sync-collection from scratch + calendar-query of everything
      adapterCold: () => new CalDavCalendarStore({ ...davOpts, mirror: new CollectionMirror(MIRROR_BYTES) }).queryObjects(calPath, { component: 'VEVENT', range }),
      // without a mirror (EWSGATE_DAV_MIRROR_MB=0): the time-range calendar-query every time
      adapterNoMirror: () => plainStore.queryObjects(calPath, { component: 'VEVENT', range }),
      ewsNoMirror: () => noMirrorEws.post(CALENDAR_VIEW),
      // what the folder tree asks Radicale before the REPORT (FolderTree.load lists calendars and address books every request)
      listCalendars: () => store.listCalendars(),
      // fresh parses: what the pieces below work on must not be warmer than a request's
      parse: async () => readObjects(results, { floatingZone: 'UTC' }),
      expand: async () => calendarViewItems(readObjects(results, { floatingZone: 'UTC' }).objects, range.start, range.end),
      // a fresh context each time, as every request has: what is shared between a series' occurrences is not kept across requests
      render: async () => {
        const fresh = { ...rc };
        return viewItems.map((v) => renderCalendarView(v, fresh, true).raw).join('');
      },
    }, RUNS, WARMUP);
    const pieces = { ...med, expand: Math.max(0, med.expand - med.parse) };
    const piecesSum = pieces.adapterReport + pieces.parse + pieces.expand + pieces.render;

    // --- 3. a CPU profile of the HTTP requests (gateway and client share this thread)
    const prof = await profileCpu(Math.max(5, Math.round(RUNS / 2)), () => client.post(CALENDAR_VIEW), { functions: 12 });

    const out: string[] = [''];
    out.push(
      `ewsgate calendar bench: Node ${process.version}, ${cpus().length} CPUs; medians of ${RUNS} interleaved runs after ${WARMUP} warm-up runs. ` +
        `Calendar: ${SERIES} recurring series + ${SINGLES} single events + the test fixtures (${objectsStored} objects); ` +
        `CalendarView ${VIEW_START.slice(0, 10)} .. ${VIEW_END.slice(0, 10)}: ${objectsInRange} objects overlap it, ${items} items in the EWS answer (${occurrences} occurrences, ${exceptions} exceptions), ${(answerBytes / 1024).toFixed(0)} KB of XML; the REPORT carries ${(reportBytes / 1024).toFixed(0)} KB of iCalendar.`,
    );
    out.push('');
    out.push('1. FindItem CalendarView (Default shape) through ewsgate vs tsdav calendarQuery on Radicale directly');
    out.push(
      table(
        ['request', 'median ms', 'ratio to REPORT (no expand)'],
        [
          ['EWS FindItem + CalendarView (ewsgate: sync-collection on its mirror, parse, expand, render)', f1(med.ews), `${f2(med.ews / med.report)}x`],
          ['the same, the gateway in its own process (as deployed)', f1(med.ewsOwn), `${f2(med.ewsOwn / med.report)}x`],
          ['the same without the calendar mirror (EWSGATE_DAV_MIRROR_MB=0: the time-range REPORT each time)', f1(med.ewsNoMirror), `${f2(med.ewsNoMirror / med.report)}x`],
          ['calendar-query REPORT, time-range, no expand (what a CalDAV client sends; ewsgate without mirror)', f1(med.report), '1.00x'],
          [`calendar-query REPORT, time-range, <C:expand> (${radicaleExpands ? 'Radicale expands' : `Radicale ${expandedVevents} VEVENTs: it does not expand`})`, f1(med.reportExpand), `${f2(med.reportExpand / med.report)}x`],
          ["the gateway's read (CalDavCalendarStore.queryObjects, in-process; mirror current: one sync-collection)", f1(med.adapterReport), `${f2(med.adapterReport / med.report)}x`],
          ['  the same, first read of a process (sync-collection from scratch + calendar-query of all objects)', f1(med.adapterCold), `${f2(med.adapterCold / med.report)}x`],
          ['  the same without a mirror (the time-range calendar-query)', f1(med.adapterNoMirror), `${f2(med.adapterNoMirror / med.report)}x`],
        ],
      ),
    );
    const verdict = med.ews / med.report <= BUDGET ? 'within' : 'OVER';
    out.push(
      `budget: EWS ≤ ${BUDGET}x the REPORT without expand: ${f2(med.ews / med.report)}x (${verdict} budget); against the REPORT with expand: ${f2(med.ews / med.reportExpand)}x` +
        (radicaleExpands ? '' : ` (not the same work: this Radicale answers <C:expand> with the stored objects, ${expandedVevents} VEVENTs for ${objectsInRange} objects, where the gateway renders ${items} instances)`),
    );
    out.push('');
    out.push("2. Where the gateway's time goes: each piece in-process on the same data, median ms (measured in the same rounds as table 1)");
    out.push(
      table(
        ['piece', 'ms', '% of the EWS median'],
        [
          ["the adapter's read (CalDavCalendarStore.queryObjects: sync-collection, mirror current)", f1(pieces.adapterReport), `${f1((pieces.adapterReport / med.ews) * 100)}%`],
          [`parse ${objectsInRange} iCalendar objects (readObjects → parseCalendarObject)`, f1(pieces.parse), `${f1((pieces.parse / med.ews) * 100)}%`],
          [`expand to ${viewItems.length} instances and sort (calendarViewItems; its median less the parse's)`, f1(pieces.expand), `${f1((pieces.expand / med.ews) * 100)}%`],
          [`render ${viewItems.length} CalendarItems (renderCalendarView, Default shape)`, f1(pieces.render), `${f1((pieces.render / med.ews) * 100)}%`],
          ['the rest: SOAP parse, auth, folder tree, envelope, HTTP both ways', f1(Math.max(0, med.ews - piecesSum)), `${f1((Math.max(0, med.ews - piecesSum) / med.ews) * 100)}%`],
          ['  of which, at least: the folder tree\'s calendar listing (CalDavCalendarStore.listCalendars)', f1(med.listCalendars), `${f1((med.listCalendars / med.ews) * 100)}%`],
        ],
      ),
    );
    out.push('');
    out.push(`3. V8 CPU profile of ${Math.max(5, Math.round(RUNS / 2))} EWS requests (${f1(prof.wall)} ms wall, ${f1(prof.busy)} ms busy on this thread; self time):`);
    out.push(prof.tables);
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    ews?.close();
    ownClient?.close();
    noMirrorClient?.close();
    own?.child.kill();
    await gateway?.close();
    await noMirrorGateway?.close();
    await backends.stop();
  }
}

// run as a script (imported, it only lends its calendar generator)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`bench/calendar.ts failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
