// Authenticated IMAP sessions, one per user and credential, reused across requests
// and closed after they sit idle. A credential is only held in memory, as the live
// connection's login; the pool key carries a salted hash, never the password.
import { createHash, randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { BackendAuthError, BackendUnavailableError } from '../../src/ports/mail-store.js';
import { ImapMailStore } from './imap-store.js';
import type { MessageCache } from './message-cache.js';

export interface ImapEndpoint {
  host: string;
  port: number;
  secure: boolean;
  /** Accept self-signed certificates (tests, demo). */
  allowUntrusted?: boolean;
}

interface Session {
  client: ImapFlow;
  users: number;
  idleTimer?: NodeJS.Timeout;
  ready: Promise<ImapFlow>;
}

export class ImapSessionPool {
  private readonly sessions = new Map<string, Session>();
  private readonly salt = randomBytes(16);
  private closed = false;

  constructor(
    private readonly endpoint: ImapEndpoint,
    private readonly idleMs = 60_000,
    private readonly connectTimeoutMs = 10_000,
    /** What never changes about messages, shared by the sessions and kept per login. */
    private readonly messageCache?: MessageCache,
  ) {}

  /** An authenticated store for this user. Throws BackendAuthError or BackendUnavailableError. */
  async open(user: string, password: string): Promise<ImapMailStore> {
    if (this.closed) throw new BackendUnavailableError('The gateway is shutting down.');
    const key = this.keyOf(user, password);
    let session = this.sessions.get(key);
    if (session && !session.client.usable && !(await isPending(session.ready))) {
      this.drop(key, session);
      session = undefined;
    }
    if (!session) {
      const client = this.newClient(user, password);
      const s: Session = { client, users: 0, ready: this.connect(client) };
      session = s;
      this.sessions.set(key, s);
      client.on('close', () => {
        if (this.sessions.get(key) === s) this.sessions.delete(key);
      });
      client.on('error', () => undefined);
      s.ready.catch(() => {
        if (this.sessions.get(key) === s) this.sessions.delete(key);
      });
    }
    const s = session;
    if (s.idleTimer) clearTimeout(s.idleTimer);
    s.idleTimer = undefined;
    s.users++;
    let client: ImapFlow;
    try {
      client = await s.ready;
    } catch (e) {
      s.users--;
      throw e;
    }
    let released = false;
    return new ImapMailStore(
      client,
      () => {
        if (released) return;
        released = true;
        s.users--;
        if (s.users === 0) {
          s.idleTimer = setTimeout(() => this.drop(key, s), this.idleMs);
          s.idleTimer.unref();
        }
      },
      this.messageCache && { cache: this.messageCache, user },
    );
  }

  /** Number of live backend connections (for tests and health). */
  get size(): number {
    return this.sessions.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.sessions.entries()];
    this.sessions.clear();
    await Promise.all(all.map(([, s]) => s.ready.then((c) => c.logout()).catch(() => undefined)));
  }

  private drop(key: string, s: Session): void {
    if (this.sessions.get(key) === s) this.sessions.delete(key);
    if (s.idleTimer) clearTimeout(s.idleTimer);
    s.ready.then((c) => c.logout()).catch(() => undefined);
  }

  private keyOf(user: string, password: string): string {
    return createHash('sha256').update(this.salt).update(user).update('\0').update(password).digest('base64');
  }

  private newClient(user: string, password: string): ImapFlow {
    return new ImapFlow({
      host: this.endpoint.host,
      port: this.endpoint.port,
      secure: this.endpoint.secure,
      tls: this.endpoint.allowUntrusted ? { rejectUnauthorized: false } : undefined,
      auth: { user, pass: password },
      logger: false,
      qresync: true,
      disableAutoIdle: true,
      connectionTimeout: this.connectTimeoutMs,
      greetingTimeout: this.connectTimeoutMs,
      clientInfo: { name: 'ewsgate' },
    });
  }

  private async connect(client: ImapFlow): Promise<ImapFlow> {
    try {
      await client.connect();
      return client;
    } catch (e) {
      const err = e as { authenticationFailed?: boolean; message?: string };
      client.close();
      if (err.authenticationFailed) throw new BackendAuthError();
      throw new BackendUnavailableError(`The IMAP server at ${this.endpoint.host}:${this.endpoint.port} cannot be reached.`, e);
    }
  }
}

async function isPending(p: Promise<unknown>): Promise<boolean> {
  const marker = Symbol();
  const r = await Promise.race([p.then(() => undefined, () => undefined), Promise.resolve(marker)]);
  return r === marker;
}
