// Notifications for the gateway: builds the hub from the configuration (Dovecot push when
// EWSGATE_EVENTS_SECRET is set, an IMAP watcher per user otherwise; shared with other
// instances through Redis when EWSGATE_REDIS_URL is set) and the internal event
// endpoint (its own listener with EWSGATE_EVENTS_LISTEN, else a route of the main one).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ImapWatcherFactory } from '../../adapters/imap/watcher.js';
import { RedisBroker } from '../../adapters/redis/broker.js';
import type { Config } from '../config.js';
import type { AuthenticatedUser } from '../ews/operation.js';
import type { Logger } from '../server/log.js';
import type { MailboxProvider } from '../server/mailboxes.js';
import { NotificationHub, type HubOptions, type UserNotifications } from './hub.js';
import { startEventListener } from './endpoint.js';

export { NotificationHub, UserNotifications } from './hub.js';
export { renderStreamingEnvelope } from './render.js';
export { notificationsOf } from './requests.js';

export interface GatewayNotifications {
  hub: NotificationHub;
  /** The per-request view for RequestContext.notifications. */
  forUser(user: AuthenticatedUser, password: string): UserNotifications;
  /** Route for POST /ewsgate/events on the main listener (404 when a separate listener serves it). */
  handleEventPost(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Where Dovecot must POST, when a separate listener serves the endpoint. */
  eventsUrl?: string;
  close(): Promise<void>;
}

export async function startNotifications(
  config: Config,
  log: Logger,
  mailboxes: MailboxProvider,
  overrides: Partial<HubOptions> = {},
): Promise<GatewayNotifications> {
  const imap = config.imap;
  const watcher = config.eventsSecret
    ? undefined
    : new ImapWatcherFactory({
        host: imap.hostname.replace(/^\[|\]$/g, ''),
        port: Number(imap.port) || (imap.protocol === 'imaps:' ? 993 : 143),
        secure: imap.protocol === 'imaps:',
        allowUntrusted: imap.searchParams.get('tls') === 'insecure',
      });
  const hub = new NotificationHub({
    stateSecret: Buffer.from(config.stateSecret),
    log,
    eventsSecret: config.eventsSecret,
    watcher,
    pollMs: config.notifyPollSeconds * 1000,
    heartbeatMs: config.notifyHeartbeatSeconds * 1000,
    maxStreamBytes: config.streamMaxBytes,
    pushUrlAllow: config.pushUrlAllow,
    broker: config.redisUrl ? new RedisBroker(config.redisUrl.href, log) : undefined,
    async openMailbox(login, password) {
      const m = await mailboxes.open(login, password);
      return { mail: m.mailbox.mail, release: () => m.release() };
    },
    ...overrides,
  });
  try {
    await hub.start();
  } catch (e) {
    await hub.close();
    throw new Error(`cannot reach Redis at ${config.redisUrl?.host}: ${(e as Error).message}`);
  }
  const separate = config.eventsListen ? await startEventListener(hub.handleEventPost, config.eventsListen.host, config.eventsListen.port, log) : undefined;
  log.info('notifications', { shared: hub.shared ? 'redis' : 'this process', source: hub.mode === 'dovecot' ? 'dovecot push' : 'imap watcher', events: separate?.url ?? (hub.mode === 'dovecot' ? '/ewsgate/events' : undefined) });
  return {
    hub,
    forUser: (user, password) => hub.forUser(user, password),
    handleEventPost: separate
      ? async (req, res) => {
          req.resume();
          res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('Not found.\n');
        }
      : hub.handleEventPost,
    eventsUrl: separate?.url,
    async close() {
      await separate?.close();
      await hub.close();
    },
  };
}
