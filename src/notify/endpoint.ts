// The internal endpoint Dovecot's Lua script POSTs to (examples/dovecot/ewsgate-push.lua).
// It is refused unless ewsgate has an events secret, the request carries it
// (`Authorization: Bearer …`, compared in constant time), and it comes from loopback or a
// private network (unless configured otherwise). It answers 204 at once and handles the
// events afterwards: Dovecot waits for the answer before it finishes the IMAP command.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../server/log.js';
import type { DovecotEvents, NotificationHub } from './hub.js';

const MAX_BODY = 1024 * 1024;
const MAX_EVENTS = 100_000;

export function eventEndpoint(
  hub: Pick<NotificationHub, 'ingest'>,
  o: { secret?: string; fromAnywhere: boolean; log: Logger },
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const expected = o.secret ? createHash('sha256').update(o.secret).digest() : undefined;
  const answer = (res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...headers });
    res.end(text + '\n');
  };
  return async (req, res) => {
    if (!expected) {
      req.resume();
      return answer(res, 404, 'Not found.');
    }
    if (!o.fromAnywhere && !isPrivateAddress(req.socket.remoteAddress)) {
      req.resume();
      o.log.info('event POST refused: not from a private address', { from: req.socket.remoteAddress });
      return answer(res, 403, 'Forbidden.');
    }
    if (req.method !== 'POST') {
      req.resume();
      return answer(res, 405, 'POST only.', { Allow: 'POST' });
    }
    const m = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    const given = m ? createHash('sha256').update(m[1].trim()).digest() : undefined;
    if (!given || !timingSafeEqual(given, expected)) {
      req.resume();
      o.log.info('event POST refused: wrong or missing secret', { from: req.socket.remoteAddress });
      return answer(res, 401, 'Unauthorized.', { 'WWW-Authenticate': 'Bearer realm="ewsgate-events"' });
    }
    let body: string;
    try {
      body = await readLimited(req, MAX_BODY);
    } catch {
      return answer(res, 413, 'Too large.', { Connection: 'close' });
    }
    let payload: DovecotEvents;
    try {
      payload = validate(JSON.parse(body));
    } catch (e) {
      o.log.info('event POST refused: malformed', { error: (e as Error).message });
      return answer(res, 400, 'Malformed events.');
    }
    res.writeHead(204);
    res.end();
    try {
      hub.ingest(payload);
    } catch (e) {
      o.log.error('event handling failed', { error: (e as Error)?.stack ?? String(e) });
    }
  };
}

/** A separate listener for the endpoint (EWSGATE_EVENTS_LISTEN), e.g. on 127.0.0.1 only. */
export async function startEventListener(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  host: string,
  port: number,
  log: Logger,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (p !== '/ewsgate/events') {
      req.resume();
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Not found.\n');
      return;
    }
    handler(req, res).catch((e) => {
      log.error('event endpoint failed', { error: (e as Error)?.stack ?? String(e) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/ewsgate/events`;
  log.info('event endpoint listening', { url });
  return {
    server,
    url,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

function validate(v: unknown): DovecotEvents {
  const o = v as DovecotEvents;
  if (!o || typeof o !== 'object' || typeof o.user !== 'string' || !o.user || !Array.isArray(o.events) || o.events.length > MAX_EVENTS) {
    throw new Error('expected {user, events[]}');
  }
  for (const e of o.events) {
    if (!e || typeof e.event !== 'string' || typeof e.mailbox !== 'string') throw new Error('an event needs event and mailbox');
    if (e.uid !== undefined && (!Number.isInteger(e.uid) || e.uid < 0)) throw new Error('bad uid');
    if (e.uidvalidity !== undefined && (!Number.isInteger(e.uidvalidity) || e.uidvalidity < 0)) throw new Error('bad uidvalidity');
  }
  if (o.folders !== undefined && (typeof o.folders !== 'object' || o.folders === null || Array.isArray(o.folders))) throw new Error('bad folders');
  return o;
}

function readLimited(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length'] ?? 0) > limit) {
      req.resume();
      reject(new Error('too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.destroy();
        reject(new Error('too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Loopback, RFC 1918, CGNAT, link-local and IPv6 unique-local addresses. */
export function isPrivateAddress(a: string | undefined): boolean {
  if (!a) return false;
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/i.exec(a);
  if (v4) {
    const [b1, b2] = [Number(v4[1]), Number(v4[2])];
    return b1 === 127 || b1 === 10 || (b1 === 172 && b2 >= 16 && b2 <= 31) || (b1 === 192 && b2 === 168) || (b1 === 169 && b2 === 254) || (b1 === 100 && b2 >= 64 && b2 <= 127);
  }
  const l = a.toLowerCase();
  return l === '::1' || /^f[cd][0-9a-f]{2}:/.test(l) || /^fe[89ab][0-9a-f]:/.test(l);
}
