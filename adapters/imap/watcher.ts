// MailWatcher over IMAP: one imapflow connection per watched user that IDLEs on one
// folder (EXAMINE, so \Recent is left alone) and rings on EXISTS / EXPUNGE / VANISHED /
// FETCH FLAGS there. The other folders: where the server has NOTIFY (RFC 5465; Dovecot
// does), it tells of new, expunged and re-flagged messages in any personal folder by an
// unsolicited STATUS and of created, renamed and deleted folders by LIST, on the same
// connection; elsewhere a timer rings and the hub compares one LIST-STATUS with what it
// knows. A dropped connection is reconnected with a growing pause, and `ready` after
// each reconnect makes the hub diff whatever happened meanwhile.
import { ImapFlow } from 'imapflow';
import { decodePath } from 'imapflow/lib/tools.js';
import { BackendAuthError, BackendUnavailableError, type MailStore } from '../../src/ports/mail-store.js';
import type { MailWatcher, MailWatcherFactory, WatcherListener } from '../../src/ports/mail-watcher.js';
import { ImapMailStore } from './imap-store.js';
import type { ImapEndpoint } from './pool.js';

export interface ImapWatcherOptions {
  connectTimeoutMs?: number;
  /** IDLE is restarted this often (RFC 2177 asks for less than 29 minutes). */
  maxIdleMs?: number;
  /** First pause before reconnecting; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Use NOTIFY where the server has it (default); false: poll as for servers without it. */
  useNotify?: boolean;
}

export class ImapWatcherFactory implements MailWatcherFactory {
  private readonly live = new Set<ImapWatcher>();

  constructor(
    private readonly endpoint: ImapEndpoint,
    private readonly opts: ImapWatcherOptions = {},
  ) {}

  watch(login: string, password: string, o: { idlePath: string; pollMs: number }, listener: WatcherListener): MailWatcher {
    const w = new ImapWatcher(this.endpoint, this.opts, login, password, o.idlePath, o.pollMs, listener, () => this.live.delete(w));
    this.live.add(w);
    w.start();
    return w;
  }

  connections(): number {
    let n = 0;
    for (const w of this.live) if (w.connected) n++;
    return n;
  }

  async close(): Promise<void> {
    await Promise.all([...this.live].map((w) => w.close()));
  }
}

type LoopState = 'connecting' | 'running' | 'idling' | 'parked';

class ImapWatcher implements MailWatcher {
  private client?: ImapFlow;
  private closed = false;
  /** Diffs that want the connection: while any runs, the loop does not IDLE. */
  private users = 0;
  private state: LoopState = 'connecting';
  private stateWaiters: (() => void)[] = [];
  private unpark?: () => void;
  private pollTimer?: NodeJS.Timeout;
  private sleeping?: { timer: NodeJS.Timeout; wake: () => void };
  private loop?: Promise<void>;

  constructor(
    private readonly endpoint: ImapEndpoint,
    private readonly opts: ImapWatcherOptions,
    private readonly login: string,
    private password: string,
    private idlePath: string,
    private readonly pollMs: number,
    private readonly listener: WatcherListener,
    private readonly onClosed: () => void,
  ) {}

  get connected(): boolean {
    return !!this.client?.usable;
  }

  async use<T>(fn: (store: MailStore) => Promise<T>): Promise<T> {
    this.users++;
    try {
      // imapflow writes some commands (the LIST-STATUS of the store) without ending an IDLE
      // first, so the loop is parked, out of IDLE, while the store is used.
      let client: ImapFlow | undefined;
      for (;;) {
        client = this.client;
        if (!client?.usable || this.closed) throw new BackendUnavailableError('The watcher is not connected.');
        if (this.state === 'parked') break;
        if (this.state === 'idling') {
          // A NOOP goes through imapflow's IDLE breaking, then the loop parks.
          await client.noop();
          continue;
        }
        await new Promise<void>((r) => this.stateWaiters.push(r));
      }
      // A store per use: ImapMailStore syncs a selected folder once per store (once per request).
      return await fn(new ImapMailStore(client!, () => undefined));
    } finally {
      this.users--;
      if (this.users === 0) this.unpark?.();
    }
  }

  private setState(s: LoopState): void {
    this.state = s;
    for (const w of this.stateWaiters.splice(0)) w();
  }

  setIdleFolder(path: string): void {
    if (path === this.idlePath) return;
    this.idlePath = path;
    // Breaks the current IDLE; the loop re-opens the new folder.
    this.client?.noop().catch(() => undefined);
  }

  start(): void {
    this.loop = this.run().finally(() => this.onClosed());
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.sleeping) {
      clearTimeout(this.sleeping.timer);
      this.sleeping.wake();
    }
    this.unpark?.();
    for (const w of this.stateWaiters.splice(0)) w();
    const c = this.client;
    if (c) await c.logout().catch(() => c.close());
    await this.loop?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    const first = this.opts.backoffMs ?? 1000;
    let backoff = first;
    while (!this.closed) {
      let failure: unknown;
      const client = new ImapFlow({
        host: this.endpoint.host,
        port: this.endpoint.port,
        secure: this.endpoint.secure,
        tls: this.endpoint.allowUntrusted ? { rejectUnauthorized: false } : undefined,
        auth: { user: this.login, pass: this.password },
        logger: false,
        qresync: true,
        disableAutoIdle: true,
        maxIdleTime: this.opts.maxIdleMs ?? 10 * 60_000,
        connectionTimeout: this.opts.connectTimeoutMs ?? 10_000,
        greetingTimeout: this.opts.connectTimeoutMs ?? 10_000,
        clientInfo: { name: 'ewsgate-watcher' },
      });
      client.on('error', () => undefined);
      const ring = (e: { path?: string }) => {
        if (!e || e.path === this.idlePath) this.listener.changed(this.idlePath);
      };
      client.on('exists', ring);
      client.on('expunge', ring);
      client.on('flags', ring);
      try {
        try {
          await client.connect();
        } catch (e) {
          if ((e as { authenticationFailed?: boolean }).authenticationFailed) {
            this.closed = true;
            this.listener.failed(new BackendAuthError());
            return;
          }
          throw e;
        }
        if (this.closed) break;
        this.client = client;
        await client.mailboxOpen(this.idlePath, { readOnly: true });
        backoff = first;
        this.listener.ready();
        if (!(await this.notifyEverywhere(client))) {
          this.pollTimer = setInterval(() => this.listener.changed(null), this.pollMs);
          this.pollTimer.unref();
        }
        this.setState('running');
        while (!this.closed && client.usable) {
          if (this.users > 0) {
            this.setState('parked');
            await new Promise<void>((r) => (this.unpark = r));
            this.unpark = undefined;
            this.setState('running');
            continue;
          }
          if (!client.mailbox || client.mailbox.path !== this.idlePath) await client.mailboxOpen(this.idlePath, { readOnly: true });
          if (this.users > 0) continue;
          this.setState('idling');
          await client.idle();
          this.setState('running');
        }
      } catch (e) {
        failure = e;
      } finally {
        this.setState('connecting');
        this.unpark?.();
        if (this.pollTimer) clearInterval(this.pollTimer);
        this.pollTimer = undefined;
        if (this.client === client) this.client = undefined;
        client.close();
      }
      if (this.closed) break;
      this.listener.lost(failure ?? new BackendUnavailableError('The IMAP connection of the watcher was closed.'));
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.opts.maxBackoffMs ?? 30_000);
    }
  }

  /**
   * NOTIFY SET for the selected folder and every personal one. The server's STATUS and LIST
   * lines arrive unsolicited (in IDLE or between commands) and reach imapflow's connection-wide
   * handlers; during a command of the store they may reach that command's handlers instead,
   * which take them as fresher values of a folder they list (imap-store merges them), and the
   * diff running then sees the change anyway. False when the server cannot: poll instead.
   */
  private async notifyEverywhere(client: ImapFlow): Promise<boolean> {
    if (this.opts.useNotify === false || !client.capabilities.has('NOTIFY')) return false;
    const raw = client as unknown as NotifyCapable;
    raw.untaggedHandlers.STATUS = async (u) => {
      const name = atomText(u.attributes?.[0]);
      if (!name) return;
      const path = decodePath(client, name);
      this.listener.changed(/^inbox$/i.test(path) ? 'INBOX' : path);
    };
    // a folder created, renamed or deleted: the hub lists again
    raw.untaggedHandlers.LIST = async () => this.listener.changed(null);
    const atom = (value: string) => ({ type: 'ATOM', value });
    const messages = [atom('MessageNew'), atom('MessageExpunge'), atom('FlagChange')];
    try {
      const res = await raw.exec('NOTIFY', [atom('SET'), [atom('SELECTED'), messages], [atom('PERSONAL'), [...messages, atom('MailboxName')]]], { untagged: {} });
      res.next();
      return true;
    } catch {
      delete raw.untaggedHandlers.STATUS;
      delete raw.untaggedHandlers.LIST;
      return false;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.sleeping = { timer, wake: resolve };
    });
  }
}

type UntaggedAttr = { type?: string; value?: unknown } | UntaggedAttr[];
type UntaggedHandler = (u: { attributes?: UntaggedAttr[] }) => Promise<void>;
// imapflow's exec() and its connection-wide untagged handlers are public in its code but not in its typings.
interface NotifyCapable {
  untaggedHandlers: Record<string, UntaggedHandler | undefined>;
  exec(command: string, attributes: unknown[], options: { untagged: Record<string, UntaggedHandler> }): Promise<{ next: () => void }>;
}

function atomText(a: UntaggedAttr | undefined): string {
  if (!a || Array.isArray(a)) return '';
  const v = a.value;
  return v === undefined || v === null ? '' : Buffer.isBuffer(v) ? v.toString() : String(v);
}
