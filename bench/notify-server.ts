// One ewsgate in its own process, as it is deployed (bench/notify.ts measures its memory and
// event loop alone; bench/items.ts times requests against it), driven over IPC. Started with the JSON of
// its settings in argv[2]; answers {type:'ready', url} and, on {type:'stats'}, its RSS,
// event-loop delay (since the last stats) and backend connections.
import { readFileSync, unlinkSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/server/http.js';
import { createLogger } from '../src/server/log.js';

interface Settings {
  imap: string;
  dav: string;
  smtp: string;
  port: number;
  eventsSecret?: string;
  pollSeconds: number;
  sessionIdleSeconds?: number;
}

const s = JSON.parse(process.argv[2]) as Settings;
const config = loadConfig({
  env: {},
  flags: {
    listen: `127.0.0.1:${s.port}`,
    imap: s.imap,
    caldav: s.dav,
    carddav: s.dav,
    smtp: s.smtp,
    mailDomain: 'example.test',
    logLevel: 'error',
    sessionIdleSeconds: String(s.sessionIdleSeconds ?? 1),
    stateSecret: 'bench-notify-state-secret',
    notifyPollSeconds: String(s.pollSeconds),
    ...(s.eventsSecret ? { eventsSecret: s.eventsSecret } : {}),
  },
});
const gateway = await startGateway(config, createLogger('error'));
const eld = monitorEventLoopDelay({ resolution: 5 });
eld.enable();

const send = (m: unknown) => process.send?.(m);
send({ type: 'ready', url: gateway.url });

process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') {
    const mem = process.memoryUsage();
    const hub = gateway.notifications.hub.stats();
    send({
      type: 'stats',
      rss: mem.rss,
      heapUsed: mem.heapUsed,
      heapTotal: mem.heapTotal,
      external: mem.external,
      arrayBuffers: mem.arrayBuffers,
      eld: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
      poolConnections: gateway.mailboxes.connections(),
      hub,
    });
    eld.reset();
  } else if (m.type === 'gc' || m.type === 'gc-hard') {
    // 'gc-hard': what V8's memory reducer does once the process idles (compaction, heap shrunk).
    const gc = (globalThis as { gc?: (o?: object) => void }).gc;
    if (m.type === 'gc') gc?.();
    else gc?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    send({ type: m.type });
  } else if (m.type === 'heap') {
    // A heap snapshot summarised by constructor (BENCH_HEAP=1 in bench/notify.ts).
    const file = writeHeapSnapshot(`/tmp/ewsgate-notify-${process.pid}.heapsnapshot`);
    const snap = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: string[][] } }; nodes: number[]; strings: string[] };
    unlinkSync(file);
    const f = snap.snapshot.meta.node_fields;
    const types = snap.snapshot.meta.node_types[0];
    const agg = new Map<string, [number, number]>();
    for (let i = 0; i < snap.nodes.length; i += f.length) {
      const type = types[snap.nodes[i + f.indexOf('type')]];
      const name = snap.strings[snap.nodes[i + f.indexOf('name')]];
      const key = type === 'string' || type === 'concatenated string' || type === 'sliced string' ? `${type}:${name.slice(0, 40)}` : `${type}:${name.slice(0, 60)}`;
      const a = agg.get(key) ?? [0, 0];
      a[0]++;
      a[1] += snap.nodes[i + f.indexOf('self_size')];
      agg.set(key, a);
    }
    send({ type: 'heap', top: [...agg.entries()].sort((a, b) => b[1][1] - a[1][1]).slice(0, 60) });
  } else if (m.type === 'stop') {
    void gateway.close().then(() => process.exit(0));
  }
});
