// The HTTP(S) front: routes EWS, autodiscover, the schema documents and health,
// authenticates, bounds request sizes, and passes every other path through to
// the upstream web server (WebSocket upgrades included).
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import httpProxy from 'http-proxy';
import type { Config } from '../config.js';
import { parseSoapRequest, type SoapRequest, type SoapVersion } from '../soap/envelope.js';
import { releaseChunk, type Xml } from '../soap/xml.js';
import { bodyBytes, bodyStream, dispatch, errorResponse, faultResponse, isDeferred, type DispatchResult } from '../ews/dispatch.js';
import { SoapFault, storeUnavailable } from '../ews/errors.js';
import type { AuthenticatedUser, StreamingAnswer } from '../ews/operation.js';
import { operationNames } from '../ews/registry.js';
import { BackendAuthError, BackendUnavailableError } from '../ports/mail-store.js';
import { answerJsonAutodiscover, answerPoxAutodiscover, answerPoxAutodiscoverGet, answerSoapAutodiscover, type AutodiscoverAnswer } from '../autodiscover/index.js';
import { messagesXsd, servicesWsdl, typesXsd } from '../wsdl/schema.js';
import { challenge, parseBasicAuth, type BasicCredentials } from './auth.js';
import type { Logger } from './log.js';
import { createMailboxProvider, type MailboxProvider, type OpenMailbox } from './mailboxes.js';
import { renderStreamingEnvelope, startNotifications, type GatewayNotifications } from '../notify/index.js';
import type { HubOptions } from '../notify/hub.js';

/** DavMail compares this string exactly; anything else reads to it as an empty answer. */
const XML_CONTENT_TYPE = 'text/xml; charset=utf-8';

export interface Gateway {
  server: Server;
  /** Base URL the gateway listens on, e.g. http://127.0.0.1:8080 */
  url: string;
  mailboxes: MailboxProvider;
  notifications: GatewayNotifications;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

export async function startGateway(config: Config, log: Logger, opts: { mailboxes?: MailboxProvider; notify?: Partial<HubOptions> } = {}): Promise<Gateway> {
  const mailboxes = opts.mailboxes ?? createMailboxProvider(config);
  const notifications = await startNotifications(config, log, mailboxes, opts.notify);
  const stateSecret = Buffer.from(config.stateSecret);
  const proxy = config.upstream ? httpProxy.createProxyServer({ target: config.upstream.toString(), ws: true, xfwd: true, changeOrigin: false }) : undefined;
  proxy?.on('error', (err, _req, res) => {
    log.error('passthrough failed', { error: err.message });
    if (res && 'writeHead' in res && !res.headersSent) {
      res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Bad gateway: the upstream web server cannot be reached.\n');
    } else if (res && 'destroy' in res) res.destroy();
  });

  // With port 0 (tests) the advertised URL is only known once listening.
  let publicBase = config.publicUrl;
  const ewsUrl = () => `${publicBase}/EWS/Exchange.asmx`;

  const identify = (login: string): AuthenticatedUser => {
    const email = login.includes('@') ? login : `${login}@${config.mailDomain}`;
    return { login, email, displayName: email.split('@')[0] };
  };

  /** Authenticates against the backend; answers the 401 itself and returns undefined when it fails. */
  const authenticate = async (req: IncomingMessage, res: ServerResponse): Promise<{ creds: BasicCredentials; open: OpenMailbox } | 'unavailable' | undefined> => {
    const creds = parseBasicAuth(req);
    if (!creds) {
      challenge(res);
      return undefined;
    }
    try {
      return { creds, open: await mailboxes.open(creds.user, creds.password) };
    } catch (e) {
      if (e instanceof BackendAuthError) {
        log.info('authentication failed', { user: creds.user });
        challenge(res, 'The user name or password is incorrect.');
        return undefined;
      }
      if (e instanceof BackendUnavailableError) {
        log.error('backend unavailable', { user: creds.user, error: e.message });
        return 'unavailable';
      }
      throw e;
    }
  };

  const sendXml = (res: ServerResponse, status: number, body: string | Xml) => {
    // Encoded once, in pieces: a large answer is never flattened into one string.
    const chunks = bodyBytes(body);
    let length = 0;
    for (const c of chunks) length += c.length;
    res.writeHead(status, { 'Content-Type': XML_CONTENT_TYPE, 'Content-Length': length });
    if (chunks.length === 1) return void res.end(chunks[0], () => releaseChunk(chunks[0]));
    res.cork();
    for (const c of chunks) res.write(c, () => releaseChunk(c));
    res.end();
  };

  /** An answer written as its pieces arrive (chunked); read to the end even when the client has gone, so the backend is free after. */
  const streamXml = async (res: ServerResponse, status: number, body: Xml) => {
    res.writeHead(status, { 'Content-Type': XML_CONTENT_TYPE });
    let gone = false;
    res.once('close', () => (gone = true));
    try {
      for await (const chunk of bodyStream(body)) {
        if (gone) continue;
        // What is written in one turn of the event loop leaves in one writev, not a syscall per chunk.
        // A chunk goes back to the writer's pool once the socket has it. Waiting for 'drain' after
        // every 64 KB chunk (res.write says false past 16 KB) cost an event-loop turn per chunk;
        // a megabyte in flight keeps memory as flat.
        if (!res.writableCorked) {
          res.cork();
          process.nextTick(() => res.uncork());
        }
        res.write(chunk, () => releaseChunk(chunk));
        if (res.writableLength > STREAM_HIGH_WATER && !gone) await drained(res);
      }
      res.end();
    } catch (e) {
      // Too late for an error answer: the status line is out. Cut the connection so the client sees a broken answer, not a short one.
      log.error('answer failed while being sent', { error: (e as Error)?.stack ?? String(e) });
      res.destroy();
    }
  };

  const handleEws = async (req: IncomingMessage, res: ServerResponse, started: number) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      // DavMail and evolution-ews probe the endpoint: 401 until authenticated, then 200.
      const auth = await authenticate(req, res);
      if (!auth) return;
      if (auth !== 'unavailable') auth.open.release();
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : 'ewsgate: POST SOAP requests here.\n');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'GET, HEAD, POST', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Method not allowed.\n');
      return;
    }
    const auth = await authenticate(req, res);
    if (!auth) {
      req.resume();
      return;
    }
    let result: DispatchResult;
    let request: SoapRequest | undefined;
    let user: string | undefined;
    let deferred = false;
    try {
      const body = await readBody(req, config.maxRequestBytes);
      request = parseSoapRequest(body, { maxBytes: config.maxRequestBytes, maxDepth: 128 });
      if (auth === 'unavailable') {
        result = errorResponse(request, storeUnavailable());
      } else {
        user = auth.creds.user;
        result = await dispatch(
          request,
          {
            user: identify(auth.creds.user),
            version: request.version,
            mailbox: auth.open.mailbox,
            stateSecret,
            timeZoneId: request.timeZoneId,
            notifications: notifications.forUser(identify(auth.creds.user), auth.creds.password),
          },
          (e) => log.error('operation failed', { op: request?.operation.localName, error: (e as Error)?.stack ?? String(e) }),
        );
        deferred = isDeferred(result.body);
      }
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
        res.end(`The request is larger than ${config.maxRequestBytes} bytes.\n`);
        req.destroy();
        return;
      }
      if (e instanceof SoapFault) result = faultResponse(e, request?.soapVersion);
      else throw e;
    } finally {
      // An answer still being read keeps its backend session until it is written.
      if (auth !== 'unavailable' && !deferred) auth.open.release();
    }
    if (deferred && auth !== 'unavailable') {
      try {
        await streamXml(res, result.status, result.body as Xml);
      } finally {
        auth.open.release();
      }
      log.info('ews', { user, op: result.operation, status: result.status, error: result.error, ms: Date.now() - started });
      return;
    }
    if (result.stream) {
      // Not awaited, and from a function of its own: nothing of this request's scope (its DOM,
      // its backend session objects) may live as long as the held answer does.
      holdStream(res, result.stream, request!.soapVersion, log, user, result.operation, started);
      return;
    }
    sendXml(res, result.status, result.body);
    log.info('ews', { user, op: result.operation, status: result.status, error: result.error, ms: Date.now() - started });
  };

  const handleAutodiscover = async (req: IncomingMessage, res: ServerResponse, kind: 'pox' | 'soap' | 'json', url: URL) => {
    const urls = { ewsUrl: ewsUrl() };
    const send = (answer: AutodiscoverAnswer) => {
      // The EWS Managed API and its ports look for this header to choose SOAP autodiscover.
      res.writeHead(answer.status, { 'Content-Type': answer.contentType, 'Content-Length': Buffer.byteLength(answer.body), 'X-SOAP-Enabled': 'True' });
      res.end(answer.body);
    };
    if (kind === 'json') {
      // Names endpoints only, never anything about a mailbox: served without authentication, as Exchange does.
      const v1 = /\/autodiscover\.json\/v1\.0\/([^/?]+)/i.exec(url.pathname);
      return send(answerJsonAutodiscover({ email: v1 ? decodeURIComponent(v1[1]) : url.searchParams.get('Email') ?? undefined, protocol: url.searchParams.get('Protocol') ?? undefined }, urls));
    }
    res.setHeader('X-SOAP-Enabled', 'True');
    const auth = await authenticate(req, res);
    if (!auth) {
      req.resume();
      return;
    }
    if (auth !== 'unavailable') auth.open.release();
    const who = identify(auth === 'unavailable' ? parseBasicAuth(req)!.user : auth.creds.user);
    const user = { email: who.email, displayName: who.displayName };
    if (kind === 'pox' && isRead(req)) return send(answerPoxAutodiscoverGet(urls));
    if (req.method !== 'POST') {
      res.writeHead(405, { Allow: 'GET, POST', 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('Autodiscover takes POST.\n');
      return;
    }
    let body: string;
    try {
      body = await readBody(req, 1024 * 1024);
    } catch (e) {
      if (!(e instanceof BodyTooLarge)) throw e;
      res.writeHead(413, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end('Request too large.\n');
      req.destroy();
      return;
    }
    send(kind === 'pox' ? answerPoxAutodiscover(body, user, urls) : answerSoapAutodiscover(body, user, urls));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname.toLowerCase();
    if (p === '/ews/exchange.asmx') return handleEws(req, res, started);
    if (p === '/ews/services.wsdl' && isRead(req)) return sendXml(res, 200, servicesWsdl(operationNames, ewsUrl()));
    if (p === '/ews/messages.xsd' && isRead(req)) return sendXml(res, 200, messagesXsd(operationNames));
    if (p === '/ews/types.xsd' && isRead(req)) return sendXml(res, 200, typesXsd());
    if (p === '/autodiscover/autodiscover.xml') return handleAutodiscover(req, res, 'pox', url);
    if (p === '/autodiscover/autodiscover.svc') return handleAutodiscover(req, res, 'soap', url);
    if (p === '/autodiscover/autodiscover.json' || p.startsWith('/autodiscover/autodiscover.json/')) return handleAutodiscover(req, res, 'json', url);
    if (p === '/ewsgate/events') return notifications.handleEventPost(req, res);
    if (p === '/ewsgate/health') {
      const body = JSON.stringify({ status: 'ok', backendConnections: mailboxes.connections() });
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8' });
      res.end(body);
      return;
    }
    if (proxy) return proxy.web(req, res);
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end('Not found.\n');
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((e) => {
      log.error('request failed', { path: req.url, error: (e as Error)?.stack ?? String(e) });
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('Internal error.\n');
      } else res.destroy();
    });
  };

  const server: Server = config.tls
    ? createHttpsServer({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) }, onRequest)
    : createHttpServer(onRequest);
  server.headersTimeout = 30_000;
  server.requestTimeout = 0; // streaming notifications hold responses open
  server.keepAliveTimeout = 30_000;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (proxy) proxy.ws(req, socket, head);
    else socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${config.tls ? 'https' : 'http'}://${host}:${addr.port}`;
  if (/:0$/.test(publicBase)) publicBase = url;
  log.info('listening', { url });
  return {
    server,
    url,
    mailboxes,
    notifications,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      proxy?.close();
      await notifications.close();
      await mailboxes.close();
    },
  };
}

function holdStream(res: ServerResponse, stream: StreamingAnswer, soapVersion: SoapVersion, log: Logger, user: string | undefined, operation: string, started: number): void {
  // The operation name is a slice of the request body: a copy, or it keeps the body alive.
  const op = Buffer.from(operation).toString();
  log.info('ews stream opened', { user, op });
  void runStream(res, stream, soapVersion, log).then(() => log.info('ews stream closed', { user, op, ms: Date.now() - started }));
}

/** A chunked response carrying one SOAP envelope per event batch, as Exchange streams them. */
async function runStream(res: ServerResponse, answer: StreamingAnswer, soapVersion: SoapVersion, log: Logger): Promise<void> {
  res.writeHead(200, { 'Content-Type': XML_CONTENT_TYPE, 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
  res.flushHeaders();
  let closed = false;
  let resolveClosed!: () => void;
  const closedPromise = new Promise<void>((r) => (resolveClosed = r));
  const close = () => {
    if (closed) return;
    closed = true;
    resolveClosed();
  };
  res.on('close', close);
  const out = {
    send(body: Xml) {
      if (!closed) res.write(renderStreamingEnvelope(body, soapVersion));
    },
    end() {
      if (!closed) res.end();
      close();
    },
    closed: closedPromise,
    isClosed: () => closed,
  };
  try {
    await answer.run(out);
  } catch (e) {
    log.error('stream failed', { error: (e as Error)?.stack ?? String(e) });
  } finally {
    out.end();
  }
}

/** Bytes of a streamed answer allowed to wait in the socket before the writer waits for 'drain'. */
const STREAM_HIGH_WATER = 1024 * 1024;

/** The socket took what was waiting, or the connection closed; no listener stays behind either way. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function isRead(req: IncomingMessage): boolean {
  return req.method === 'GET' || req.method === 'HEAD';
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      reject(new BodyTooLarge());
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    };
    // The listeners go once the body is read: a held response (GetStreamingEvents) keeps
    // its request object, and with it whatever they hold, for up to 30 minutes.
    const onEnd = () => {
      req.off('data', onData);
      req.off('error', onError);
      const text = Buffer.concat(chunks).toString('utf8');
      chunks = [];
      resolve(text);
    };
    const onError = (e: Error) => {
      req.off('data', onData);
      req.off('end', onEnd);
      reject(e);
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.on('error', onError);
  });
}
