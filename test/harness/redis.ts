// A private redis-server for the tests that share notifications between gateways: its
// own temp dir, a free 127.0.0.1 port, no persistence (no RDB, no AOF), so a restart
// loses everything, exactly the fault the tests provoke. Tests that need it start it
// in a before() hook; the common harness (test/run.ts) does not.
//
// `--daemonize no` keeps redis-server in the foreground, so the child we spawn is the
// server and SIGTERM stops it. restart() starts a fresh one on the same port.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort } from './backends.js';
import { ensureDebianPackages } from './packages.js';

const REDIS_BIN = '/usr/bin/redis-server';
const START_TIMEOUT_MS = 15_000;

export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  dir: string;
  /** Stops the server: its data is gone. */
  kill(): Promise<void>;
  /** Starts an empty server on the same port. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        s.destroy();
        resolve(buf.startsWith('+PONG'));
      }
    });
    s.once('error', () => {
      s.destroy();
      resolve(false);
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  ensureDebianPackages(['redis-server']);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ewsgate-redis-'));
  const port = await freePort();
  const logFile = path.join(dir, 'redis.log');
  let child: ChildProcess | undefined;

  const start = async () => {
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--logfile',
      logFile,
      '--protected-mode',
      'no',
    ];
    const c = spawn(REDIS_BIN, args, { stdio: 'ignore' });
    child = c;
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (!(await ping(port))) {
      if (c.exitCode !== null)
        throw new Error(`redis-server exited with ${c.exitCode}:\n${fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-2000) : ''}`);
      if (Date.now() > deadline) throw new Error('redis-server did not answer PING in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const gone = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGKILL');
    await gone;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    kill,
    start,
    async stop() {
      await kill();
      if (!process.env.EWSGATE_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
