// The notification hub: one channel per user (not per subscription or request) that
// learns about changes from the best source there is, and fans them out to that user's
// streaming and push subscriptions.
//
//  - Dovecot push (EWSGATE_EVENTS_SECRET set): Dovecot's push_notification Lua driver
//    POSTs every transaction's events (examples/dovecot/ewsgate-push.lua); they become EWS
//    events here without asking the backend anything, so a waiting client costs no backend
//    connection at all. Folder events, unknown folders and anything that looks like a gap
//    (a UID skipped, a UIDVALIDITY change) are settled by a diff from MODSEQ instead.
//  - Otherwise one IMAP watcher per user (ports/mail-watcher): IDLE on INBOX, LIST-STATUS
//    polling for the rest, and a MODSEQ diff on its own connection for every ring. A
//    dropped connection is reconnected and the diff after it covers the gap.
//
// Several instances (EWSGATE_REDIS_URL) share streaming subscriptions through a broker
// (broker.ts, adapters/redis/): the channel of the instance that owns a subscription
// produces its events into a shared queue (ShareSink), and whichever instance holds the
// client's connection reads them from there (SharedQueue). Dovecot's POSTs are relayed to
// every instance. Push subscriptions are delivered by their owner; the shared store
// remembers them with their last watermark, so another instance (or this one restarted)
// takes an orphaned one over at the user's next request.
//
// Pull subscriptions need none of this: GetEvents computes its events from the watermark
// (diff.ts), so they survive restarts and work on any instance. Streaming subscriptions
// survive too: their ids are self-contained, so a connection that names one this process
// never saw rebuilds it, and is told to resynchronize its folders (a ModifiedEvent per
// watched folder) since what happened in between cannot be known.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthenticatedUser, StreamOut, StreamingAnswer } from '../ews/operation.js';
import { FolderTree } from '../ews/folders/tree.js';
import { encodeItemId } from '../ews/items/item-id.js';
import { FolderMissingError, type MailStore } from '../ports/mail-store.js';
import type { MailWatcher, MailWatcherFactory } from '../ports/mail-watcher.js';
import type { Logger } from '../server/log.js';
import type { Xml } from '../soap/xml.js';
import { diffFolders, diffOneFolder, freshen, isUnsettled, keyOf, stateOf, trackedFolders, type Scope } from './diff.js';
import { openSubscription, openWatermark, sealWatermark, userDigest, type FolderState, type NotifyEvent, type Subscription } from './model.js';
import { PushDelivery } from './push.js';
import { SubQueue } from './queue.js';
import { StreamSession, StreamTicker, type StreamLimits } from './stream.js';
import { eventEndpoint } from './endpoint.js';
import { EwsError } from '../ews/errors.js';
import { pushUrlAllowed } from './push.js';
import { MemoryBroker, type BrokerListener, type NotifyBroker } from './broker.js';
import { ShareSink, SharedQueue } from './shared-queue.js';
import { IdentityCache, pairMoves } from './moves.js';

/** The folder the IMAP watcher idles on. */
const IDLE_FOLDER = 'INBOX';

/**
 * A MOVE reaches us in two halves (Dovecot: two transactions, two POSTs; IMAP: EXISTS in
 * one folder, EXPUNGE in the other): when moves are asked for, the diff waits this long
 * after an arrival so that both halves land in one batch and pair (moves.ts).
 */
const MOVE_SETTLE_MS = 150;

/** How often an instance looks, at a user's request, for push subscriptions nobody serves (several instances). */
const REVIVE_CHECK_MS = 30_000;

/** A stream opening checks for events Dovecot's POSTs missed at most this often per user. */
const HEAL_CHECK_MS = 10_000;

export interface HubOptions {
  stateSecret: Buffer;
  log: Logger;
  /** Opens the user's mailbox for a moment (the gateway's session pool). */
  openMailbox(login: string, password: string): Promise<{ mail: MailStore; release(): void }>;
  /** Dovecot push: the shared secret its Lua script sends. Without it, users are watched over IMAP. */
  eventsSecret?: string;
  /** Accept event POSTs from any address (default: loopback and private networks only). */
  eventsFromAnywhere?: boolean;
  watcher?: MailWatcherFactory;
  /** STATUS polling of the folders the IMAP watcher does not idle on. */
  pollMs?: number;
  heartbeatMs?: number;
  /** Length of a "minute" in ConnectionTimeout, StatusFrequency and Timeout (tests shorten it). */
  minuteMs?: number;
  maxStreamBytes?: number;
  maxEventsPerNotification?: number;
  /** Events one subscription may have waiting before it counts as having missed some. */
  maxQueued?: number;
  /** How long the queue of a streaming subscription outlives its last connection. */
  subscriptionIdleMs?: number;
  /** How long a user's channel (and watcher) outlives its last subscription. */
  channelGraceMs?: number;
  pushRetryFirstMs?: number;
  pushTimeoutMs?: number;
  fetch?: typeof fetch;
  /** Shares subscriptions and their queues between instances (adapters/redis/); default: this process only. */
  broker?: NotifyBroker;
  /** URL prefixes or host names push subscriptions may call; empty or absent: any http(s) URL. */
  pushUrlAllow?: string[];
  /** How often a shared subscription's owner renews its lease (default: a third of the broker's lease). */
  renewMs?: number;
}

type Required2<T> = { [K in keyof T]-?: T[K] };
type Limits = Required2<
  Pick<
    HubOptions,
    'pollMs' | 'heartbeatMs' | 'minuteMs' | 'maxStreamBytes' | 'maxEventsPerNotification' | 'maxQueued' | 'subscriptionIdleMs' | 'channelGraceMs' | 'pushRetryFirstMs' | 'pushTimeoutMs'
  >
>;

/** One POST of the Lua script. */
export interface DovecotEvents {
  user: string;
  events: { event: string; mailbox: string; uid?: number; uidvalidity?: number; old?: string }[];
  folders?: Record<string, { uidvalidity?: number; uidnext?: number; messages?: number; unseen?: number; highestmodseq?: number }>;
}

export interface HubStats {
  channels: number;
  subscriptions: number;
  streams: number;
  pushSubscriptions: number;
  watcherConnections: number;
  eventsIn: number;
  eventsOut: number;
}

export class NotificationHub {
  readonly mode: 'dovecot' | 'imap' | 'none';
  readonly limits: Limits;
  /** POST /ewsgate/events (or a separate listener): Dovecot's Lua script. */
  readonly handleEventPost: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  private readonly channels = new Map<string, UserChannel>();
  readonly broker: NotifyBroker;
  /** Shared subscriptions as the connections of this instance read them. */
  private readonly sharedQueues = new Map<string, SharedQueue>();
  private renewTimer?: NodeJS.Timeout;
  readonly streams = new Set<StreamSession>();
  readonly ticker: StreamTicker;
  readonly streamLimits: StreamLimits;
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;
  counters = { eventsIn: 0, eventsOut: 0 };

  constructor(readonly opts: HubOptions) {
    this.mode = opts.eventsSecret ? 'dovecot' : opts.watcher ? 'imap' : 'none';
    this.broker = opts.broker ?? new MemoryBroker();
    const minuteMs = opts.minuteMs ?? 60_000;
    this.limits = {
      pollMs: opts.pollMs ?? 30_000,
      heartbeatMs: opts.heartbeatMs ?? 30_000,
      minuteMs,
      maxStreamBytes: opts.maxStreamBytes ?? 8 * 1024 * 1024,
      maxEventsPerNotification: opts.maxEventsPerNotification ?? 50,
      maxQueued: opts.maxQueued ?? 1000,
      subscriptionIdleMs: opts.subscriptionIdleMs ?? 30 * minuteMs,
      channelGraceMs: opts.channelGraceMs ?? 60_000,
      pushRetryFirstMs: opts.pushRetryFirstMs ?? 30_000,
      pushTimeoutMs: opts.pushTimeoutMs ?? 30_000,
    };
    this.streamLimits = { heartbeatMs: this.limits.heartbeatMs, maxBytes: this.limits.maxStreamBytes, maxEventsPerNotification: this.limits.maxEventsPerNotification };
    // Keep-alives and ConnectionTimeouts are checked this often (a tenth of the keep-alive interval, at most a second).
    this.ticker = new StreamTicker(Math.max(20, Math.min(1000, Math.floor(this.limits.heartbeatMs / 10), Math.floor(minuteMs / 10))));
    this.handleEventPost = eventEndpoint(this, { secret: opts.eventsSecret, fromAnywhere: opts.eventsFromAnywhere ?? false, log: opts.log });
    this.sweeper = setInterval(() => this.sweep(), Math.max(100, Math.min(this.limits.subscriptionIdleMs / 4, 60_000)));
    this.sweeper.unref();
  }

  get log(): Logger {
    return this.opts.log;
  }

  get shared(): boolean {
    return this.broker.shared;
  }

  /** Connects the broker (several instances); a single instance has nothing to start. */
  async start(): Promise<void> {
    if (!this.broker.shared) return;
    const listener: BrokerListener = {
      wake: (key) => this.sharedQueues.get(key)?.pull(),
      dovecot: (payload) => this.ingestLocal(payload),
      unsubscribed: (key) => this.unsubscribeLocal(key),
      lost: () => this.sharedStateLost(),
    };
    await this.broker.start(listener, { idleMs: this.limits.subscriptionIdleMs, maxQueued: this.limits.maxQueued });
    const lease = (this.broker as { ownerTtl?: number }).ownerTtl ?? 30_000;
    this.renewTimer = setInterval(() => void this.renewOwned(), this.opts.renewMs ?? Math.max(100, Math.floor(lease / 3)));
    this.renewTimer.unref();
  }

  /** The shared queue of a subscription as this instance's connections read it. */
  sharedQueue(it: { id: string; key: string; sub: Subscription }): SharedQueue {
    let q = this.sharedQueues.get(it.key);
    if (!q) {
      q = new SharedQueue(it.id, it.key, it.sub, this.broker, this.limits.maxEventsPerNotification, this.log);
      this.sharedQueues.set(it.key, q);
    }
    return q;
  }

  /** This instance produces the events of `q` into its shared queue. */
  sink(q: SubQueue): void {
    if (!(q.consumer instanceof ShareSink)) new ShareSink(q, this.broker, this.log).start();
  }

  private owned(): Map<string, UserChannel> {
    const m = new Map<string, UserChannel>();
    for (const ch of this.channels.values()) for (const q of ch.subs.values()) if (q.consumer instanceof ShareSink || q.consumer instanceof PushDelivery) m.set(q.key, ch);
    return m;
  }

  private async renewOwned(): Promise<void> {
    const owned = this.owned();
    if (!owned.size) return;
    try {
      // A push subscription has no connection to keep it alive: its delivery does.
      for (const ch of new Set(owned.values())) for (const q of ch.subs.values()) if (q.consumer instanceof PushDelivery) await this.broker.touch(q.key);
      const r = await this.broker.renew([...owned.keys()]);
      // Another instance took it over (this one looked dead): it produces from now on.
      for (const k of r.lost) owned.get(k)?.removeSubscription(k, 'expired');
      for (const k of r.expired) {
        owned.get(k)?.removeSubscription(k, 'expired');
        await this.broker.drop(k);
      }
    } catch (e) {
      this.log.debug('subscription lease renewal failed', { error: (e as Error).message });
    }
  }

  /** The broker lost its contents: every shared queue may have lost events, so say so, then carry on. */
  private sharedStateLost(): void {
    for (const q of this.sharedQueues.values()) {
      q.missed = true;
      q.consumer?.wake();
    }
    const owned = this.owned();
    for (const [key, ch] of owned) {
      // Readers learn of the gap above; the owner's claim and a diff from its baseline let events flow again.
      this.broker.claim(key).catch((e) => this.log.debug('subscription reclaim failed', { error: (e as Error).message }));
      ch.recover();
    }
  }

  /** What one authenticated request may do with notifications. */
  forUser(user: AuthenticatedUser, password: string): UserNotifications {
    const n = new UserNotifications(this, user.login.toLowerCase(), password);
    if (this.broker.shared) this.maybeRevive(n);
    return n;
  }

  private readonly reviveChecked = new Map<string, number>();

  /**
   * Push subscriptions outlive the instance that served them (a restart, a crash): the
   * shared store keeps each with the last watermark its client got, and the user's next
   * request on any instance brings the orphaned ones back, with the events since then
   * recovered from MODSEQ. (Credentials are never stored, hence "at the next request".)
   */
  private maybeRevive(n: UserNotifications): void {
    const now = Date.now();
    if (now - (this.reviveChecked.get(n.login) ?? 0) < REVIVE_CHECK_MS) return;
    this.reviveChecked.set(n.login, now);
    if (this.reviveChecked.size > 10_000) for (const [k, t] of this.reviveChecked) if (now - t > REVIVE_CHECK_MS) this.reviveChecked.delete(k);
    n.revivePush().catch((e) => this.log.info('reviving push subscriptions failed', { user: n.login, error: (e as Error).message }));
  }

  /** Unsubscribe: forgotten (on every instance), refused from now on (until it would have expired anyway). */
  async unsubscribe(key: string, ttlMs = 24 * 60 * 60_000): Promise<void> {
    await this.broker.unsubscribe(key, ttlMs);
    this.unsubscribeLocal(key);
  }

  private unsubscribeLocal(key: string): void {
    for (const ch of this.channels.values()) ch.removeSubscription(key, 'unsubscribed');
    const q = this.sharedQueues.get(key);
    if (q) {
      this.sharedQueues.delete(key);
      if (q.consumer instanceof StreamSession) q.consumer.detach(q);
    }
  }

  async isUnsubscribed(key: string): Promise<boolean> {
    try {
      return await this.broker.isUnsubscribed(key);
    } catch (e) {
      // The shared store is unreachable: the subscription is served; its queue tells of any gap.
      this.log.info('unsubscribe check failed', { error: (e as Error).message });
      return false;
    }
  }

  /** Events from Dovecot's Lua script (already authenticated by the endpoint). */
  ingest(payload: DovecotEvents): void {
    if (this.broker.shared) this.broker.relay(payload).catch((e) => this.log.info('relaying Dovecot events failed', { error: (e as Error).message }));
    this.ingestLocal(payload);
  }

  private ingestLocal(payload: DovecotEvents): void {
    this.counters.eventsIn += payload.events.length;
    const ch = this.channels.get(payload.user.toLowerCase());
    // Nobody listens for this user here: nothing to do (pull subscriptions diff on their own).
    if (!ch) return;
    ch.ingestPush(payload);
  }

  channel(login: string, password: string): UserChannel {
    let ch = this.channels.get(login);
    if (!ch) {
      ch = new UserChannel(this, login, password);
      this.channels.set(login, ch);
    } else ch.password = password;
    ch.keep();
    return ch;
  }

  channelHas(login: string, key: string): boolean {
    return this.channels.get(login)?.subs.has(key) ?? false;
  }

  channelNeedsListing(login: string, keys: string[]): boolean {
    const ch = this.channels.get(login);
    return !ch || ch.needsListing(keys);
  }

  dropChannel(ch: UserChannel): void {
    if (this.channels.get(ch.login) === ch) this.channels.delete(ch.login);
  }

  watermarkFor(q: SubQueue, states: FolderState[]): string {
    return sealWatermark({ sub: q.key, user: userDigest(q.sub.user), issued: Math.floor(Date.now() / 1000), folders: states }, this.opts.stateSecret);
  }

  stats(): HubStats {
    let subscriptions = 0;
    let push = 0;
    for (const ch of this.channels.values()) {
      subscriptions += ch.subs.size;
      for (const q of ch.subs.values()) if (q.consumer instanceof PushDelivery) push++;
    }
    return {
      channels: this.channels.size,
      subscriptions,
      streams: this.streams.size,
      pushSubscriptions: push,
      watcherConnections: this.opts.watcher?.connections() ?? 0,
      ...this.counters,
    };
  }

  private sweep(): void {
    const now = Date.now();
    for (const ch of [...this.channels.values()]) ch.sweep(now);
    for (const [k, q] of this.sharedQueues) if (!q.consumer && !q.pending.length && now - q.lastActive > this.limits.subscriptionIdleMs) this.sharedQueues.delete(k);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.broker.shared) await this.broker.release([...this.owned().keys()]).catch(() => undefined);
    for (const s of [...this.streams]) s.close();
    await Promise.all([...this.channels.values()].map((ch) => ch.close()));
    this.channels.clear();
    await this.opts.watcher?.close();
    await this.broker.close();
  }
}

/** The hub as one authenticated request sees it (RequestContext.notifications). */
export class UserNotifications {
  constructor(
    readonly hub: NotificationHub,
    readonly login: string,
    private readonly password: string,
  ) {}

  get secret(): Buffer {
    return this.hub.opts.stateSecret;
  }

  isUnsubscribed(key: string): Promise<boolean> {
    return this.hub.isUnsubscribed(key);
  }

  async unsubscribe(key: string, ttlMs?: number): Promise<void> {
    try {
      await this.hub.unsubscribe(key, ttlMs);
    } catch (e) {
      this.hub.log.info('unsubscribe failed', { error: (e as Error).message });
      throw new EwsError('ErrorInternalServerTransientError', 'The subscription could not be ended now; try again.');
    }
  }

  /** Whether a push subscription may send to this URL (EWSGATE_PUSH_URL_ALLOW). */
  pushUrlAllowed(url: string): boolean {
    return pushUrlAllowed(url, this.hub.opts.pushUrlAllow ?? []);
  }

  /**
   * A new streaming or push subscription: its queue starts now (events between Subscribe
   * and GetStreamingEvents wait for the connection). `resumeFrom`: events since a watermark
   * the client resubscribed with, queued first.
   */
  async register(id: string, key: string, sub: Subscription, tree: FolderTree, resumeFrom?: NotifyEvent[], initialWatermark?: string): Promise<void> {
    const ch = this.hub.channel(this.login, this.password);
    const q = new SubQueue(id, key, sub, this.hub.limits.maxQueued);
    await ch.add(q, tree);
    if (resumeFrom?.length) q.offer(resumeFrom);
    if (sub.kind === 'push') {
      if (this.hub.shared) {
        await this.shared(() => this.hub.broker.claim(key));
        if (initialWatermark) await this.shared(() => this.hub.broker.savePush(this.login, key, id, initialWatermark));
      }
      ch.startPush(q, initialWatermark);
    } else if (this.hub.shared) {
      await this.shared(() => this.hub.broker.claim(key));
      this.hub.sink(q);
    }
  }

  /** A call to the shared store; unreachable, it is a transient error the client retries, not a crash. */
  private async shared<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      this.hub.log.info('shared notification store unreachable', { error: (e as Error).message });
      throw new EwsError('ErrorInternalServerTransientError', 'Notifications are unavailable for a moment; try again.');
    }
  }

  /** Push subscriptions of this user that no live instance serves: served here from now on (see maybeRevive). */
  async revivePush(): Promise<void> {
    const hub = this.hub;
    for (const r of await hub.broker.pushSubscriptions(this.login)) {
      const opened = openSubscription(r.id, this.secret);
      if (!opened.ok || opened.key !== r.key || opened.sub.kind !== 'push' || opened.sub.user !== this.login || (await hub.isUnsubscribed(r.key))) {
        await hub.broker.forgetPush(this.login, r.key);
        continue;
      }
      if (hub.channelHas(this.login, r.key) || (await hub.broker.claim(r.key)) === 'other') continue;
      const m = await hub.opts.openMailbox(this.login, this.password);
      try {
        await freshen(m.mail);
        const tree = await FolderTree.load(m.mail);
        const sub = opened.sub;
        const w = openWatermark(r.watermark, this.secret);
        const types = new Set<string>(sub.events);
        const resume = w ? (await diffFolders(m.mail, tree, w.folders, { all: sub.all, folders: new Set(sub.folders) })).flatMap((st) => st.events).filter((e) => types.has(e.kind)) : [];
        await this.register(r.id, r.key, sub, tree, resume, r.watermark);
        hub.log.info('push subscription revived', { user: this.login, events: resume.length });
      } finally {
        m.release();
      }
    }
  }

  /** Whether opening a stream for these subscriptions needs a fresh folder listing (see openStream). */
  needsListing(keys: string[]): boolean {
    return this.hub.channelNeedsListing(this.login, keys);
  }

  /**
   * GetStreamingEvents: the held answer for these subscriptions (all this user's, all
   * streaming). `store` is the request's own session, used before the answer starts;
   * `tree` a fresh listing of it, required when needsListing() said so.
   */
  async openStream(
    items: { id: string; key: string; sub: Subscription }[],
    tree: FolderTree | undefined,
    store: MailStore,
    timeoutMinutes: number,
    initial: Xml[],
  ): Promise<StreamingAnswer> {
    const hub = this.hub;
    let queues: SubQueue[];
    if (hub.shared) {
      // Subscriptions a live instance owns are only read here; the others (new to the
      // shared store, or whose owner died) are rebuilt, and produced, by this one.
      const rebuild: typeof items = [];
      for (const it of items) {
        const c = await this.shared(() => hub.broker.claim(it.key));
        if (c !== 'other') rebuild.push(it);
      }
      if (rebuild.length) {
        const ch = hub.channel(this.login, this.password);
        for (const q of await ch.attachForStream(rebuild, tree, store)) hub.sink(q);
      }
      queues = items.map((it) => hub.sharedQueue(it));
    } else {
      const ch = hub.channel(this.login, this.password);
      queues = await ch.attachForStream(items, tree, store);
    }
    const limits = hub.streamLimits;
    return {
      streaming: true,
      run(out: StreamOut) {
        const session = new StreamSession(out, queues, timeoutMinutes * hub.limits.minuteMs, limits, (s) => hub.streams.delete(s), hub.ticker, initial);
        hub.streams.add(session);
        return session.run();
      },
    };
  }
}

/** Everything about one user in this process. */
export class UserChannel {
  readonly subs = new Map<string, SubQueue>();
  /** Message-IDs of recent arrivals, to recognize them when they move (moves.ts). */
  private readonly idents = new IdentityCache();
  private tree?: FolderTree;
  private readonly baseline = new Map<string, FolderState>();
  private watcher?: MailWatcher;
  private chain: Promise<void> = Promise.resolve();
  private drainQueued = false;
  private wantFull = false;
  private readonly wantFolders = new Set<string>();
  private polls = 0;
  /** When a stream's request last checked the baseline against the backend (Dovecot push). */
  private lastCheck = Date.now();
  private closeTimer?: NodeJS.Timeout;
  private settleTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly hub: NotificationHub,
    readonly login: string,
    public password: string,
  ) {}

  /** Cancels a pending close (a request for this user arrived). */
  keep(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
  }

  /** Whether a subscription asks for MovedEvent / CopiedEvent: then arrivals are read for their identity. */
  private wantsMoves(): boolean {
    for (const q of this.subs.values()) if (q.sub.events.includes('MovedEvent') || q.sub.events.includes('CopiedEvent')) return true;
    return false;
  }

  scope(): Scope {
    const folders = new Set<string>();
    let all = false;
    for (const q of this.subs.values()) {
      if (q.scope.all) all = true;
      for (const f of q.scope.folders) folders.add(f);
    }
    return { all, folders };
  }

  /** Runs `fn` after everything queued before it: the channel's state changes in one order. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.then(
      () => undefined,
      (e) => {
        this.hub.log.error('notification channel step failed', { user: this.login, error: (e as Error)?.stack ?? String(e) });
      },
    );
    return run;
  }

  add(q: SubQueue, tree: FolderTree): Promise<void> {
    return this.serial(async () => {
      this.keep();
      const old = this.subs.get(q.key);
      if (old && old.consumer instanceof PushDelivery) old.consumer.stop('closed');
      if (old && old.consumer instanceof ShareSink) old.consumer.stop();
      this.subs.set(q.key, q);
      this.adopt(tree);
      this.startSource();
    });
  }

  /** A stream needs a listing when a subscription must be rebuilt, the channel is new, or a check is due. */
  needsListing(keys: string[]): boolean {
    return !this.tree || this.closed || keys.some((k) => !this.subs.has(k)) || (this.hub.mode === 'dovecot' && Date.now() - this.lastCheck > HEAL_CHECK_MS);
  }

  /** The queues for a GetStreamingEvents, rebuilding the ones this process does not know. */
  attachForStream(items: { id: string; key: string; sub: Subscription }[], listed: FolderTree | undefined, store: MailStore): Promise<SubQueue[]> {
    return this.serial(async () => {
      this.keep();
      const known = this.tree !== undefined;
      // Things changed meanwhile (a subscription expired, the channel was new): list now.
      const tree = listed ?? (this.needsListing(items.map((i) => i.key)) ? await freshen(store).then(() => FolderTree.load(store)) : undefined);
      const rebuilt: SubQueue[] = [];
      const queues = items.map((it) => {
        let q = this.subs.get(it.key);
        if (!q) {
          q = new SubQueue(it.id, it.key, it.sub, this.hub.limits.maxQueued);
          this.subs.set(it.key, q);
          rebuilt.push(q);
        }
        return q;
      });
      if (tree && known && this.hub.mode === 'dovecot' && Date.now() - this.lastCheck > HEAL_CHECK_MS) {
        // A nearly free check, on the request's own session and listing: anything Dovecot's POSTs missed.
        this.lastCheck = Date.now();
        await this.diffWith(store, tree);
      }
      if (tree) this.adopt(tree);
      this.startSource();
      for (const q of rebuilt) this.resyncHint(q, tree ?? this.tree!);
      return queues;
    });
  }

  /** A subscription this process never saw: what happened before cannot be known, so its folders are to be resynchronized. */
  private resyncHint(q: SubQueue, tree: FolderTree): void {
    if (!q.sub.events.includes('ModifiedEvent')) {
      q.markMissed();
      return;
    }
    const now = new Date();
    const events: NotifyEvent[] = [];
    for (const f of trackedFolders(tree, q.scope)) {
      const key = keyOf(f);
      if (!(q.scope.all || q.scope.folders.has(key)) || !f.mail?.selectable) continue;
      const parent = f.parent ?? tree.msgFolderRoot;
      events.push({
        kind: 'ModifiedEvent',
        time: now,
        folderId: { id: f.id, changeKey: f.changeKey },
        parentFolderId: { id: parent.id, changeKey: parent.changeKey },
        unreadCount: f.mail.unseen,
        scope: [key],
      });
    }
    q.offer(events);
  }

  startPush(q: SubQueue, initialWatermark: string | undefined): void {
    const hub = this.hub;
    const push = new PushDelivery(
      q,
      initialWatermark,
      () => hub.watermarkFor(q, this.statesFor(q.scope)),
      {
        minuteMs: hub.limits.minuteMs,
        retryFirstMs: hub.limits.pushRetryFirstMs,
        requestTimeoutMs: hub.limits.pushTimeoutMs,
        maxEventsPerNotification: hub.limits.maxEventsPerNotification,
        fetch: hub.opts.fetch ?? fetch,
        log: hub.log,
        delivered: hub.shared
          ? (wm) => hub.broker.savePush(this.login, q.key, q.id, wm).catch((e) => hub.log.debug('recording a push watermark failed', { error: (e as Error).message }))
          : undefined,
      },
      (why) => {
        if (hub.shared && why !== 'closed') hub.broker.forgetPush(this.login, q.key).catch(() => undefined);
        if (why === 'unsubscribed' || why === 'unreachable') {
          hub.unsubscribe(q.key).catch((e) => hub.log.info('ending a push subscription everywhere failed', { error: (e as Error).message }));
          this.removeSubscription(q.key, why);
        }
      },
    );
    push.start();
  }

  removeSubscription(key: string, why: 'unsubscribed' | 'unreachable' | 'expired'): void {
    const q = this.subs.get(key);
    if (!q) return;
    this.subs.delete(key);
    const c = q.consumer;
    if (c instanceof StreamSession) c.detach(q);
    else if (c instanceof PushDelivery) c.stop(why === 'expired' ? 'closed' : why);
    else if (c instanceof ShareSink) c.stop();
    q.consumer = undefined;
    this.maybeClose();
  }

  /** Changes may have gone unreported (the shared store was lost): look for them from the baseline. */
  recover(): void {
    this.requestDiff(null);
  }

  private statesFor(scope: Scope): FolderState[] {
    if (!this.tree) return [];
    const keys = new Set(trackedFolders(this.tree, scope).map(keyOf));
    return [...this.baseline.values()].filter((s) => keys.has(s.key));
  }

  /** Adds the current state of folders that became tracked (a new subscription) without events for them. */
  private adopt(tree: FolderTree): void {
    if (!this.tree) this.tree = tree;
    for (const f of trackedFolders(tree, this.scope())) {
      const key = keyOf(f);
      if (!this.baseline.has(key)) this.baseline.set(key, stateOf(f, tree));
    }
  }

  private startSource(): void {
    if (this.closed || this.hub.mode !== 'imap' || this.watcher) return;
    const factory = this.hub.opts.watcher!;
    this.watcher = factory.watch(this.login, this.password, { idlePath: IDLE_FOLDER, pollMs: this.hub.limits.pollMs }, {
      changed: (path) => {
        if (path !== null) return this.wantsMoves() ? this.requestDiffSoon() : this.requestDiff(path);
        // A poll tick. When only the idled-on folder is watched, IDLE tells everything but a
        // change of its subfolders: a full look every tenth tick is enough for those.
        if (this.idleFolderOnly() && ++this.polls % 10 !== 0) return;
        this.requestDiff(null);
      },
      ready: () => this.requestDiff(null),
      lost: (e) => this.hub.log.info('watcher connection lost; reconnecting', { user: this.login, error: (e as Error)?.message }),
      failed: (e) => {
        this.hub.log.error('watcher gave up', { user: this.login, error: (e as Error)?.message });
        for (const q of this.subs.values()) q.markMissed();
        this.watcher = undefined;
      },
    });
  }

  private idleFolderOnly(): boolean {
    const scope = this.scope();
    if (scope.all || !this.tree) return false;
    const idle = this.tree.folderAtPath(IDLE_FOLDER);
    const idleKey = idle ? keyOf(idle) : undefined;
    for (const k of scope.folders) if (k !== idleKey && !k.startsWith('v:') && !k.startsWith('d:')) return false;
    return true;
  }

  /** Lends a store for a diff: the watcher's connection, or a moment of the user's pooled session. */
  private async lend(fn: (store: MailStore) => Promise<void>): Promise<void> {
    if (this.hub.mode === 'imap' && this.watcher) return this.watcher.use(fn);
    const m = await this.hub.opts.openMailbox(this.login, this.password);
    try {
      await fn(m.mail);
    } finally {
      m.release();
    }
  }

  /**
   * A MODSEQ diff from the baseline: of one folder (`path`, it rang) or of everything (`null`).
   * Requests that arrive while one is queued are folded into it.
   */
  private requestDiff(path: string | null): void {
    if (this.closed) return;
    if (path === null) this.wantFull = true;
    else this.wantFolders.add(path);
    if (this.drainQueued) return;
    this.drainQueued = true;
    void this.serial(async () => {
      this.drainQueued = false;
      const full = this.wantFull || !this.tree;
      const folders = [...this.wantFolders];
      this.wantFull = false;
      this.wantFolders.clear();
      if (this.closed || this.subs.size === 0) return;
      try {
        await this.lend(async (store) => {
          if (full) return this.diffWith(store);
          for (const p of folders) await this.diffFolder(store, p);
        });
      } catch (e) {
        // The watcher reconnects and rings again; a session diff is retried at the next event.
        this.hub.log.info('notification diff failed', { user: this.login, error: (e as Error)?.message });
      }
    });
  }

  /** A full diff a moment from now (see MOVE_SETTLE_MS). */
  private requestDiffSoon(): void {
    if (this.settleTimer || this.closed) return;
    this.settleTimer = setTimeout(() => {
      this.settleTimer = undefined;
      this.requestDiff(null);
    }, MOVE_SETTLE_MS);
    this.settleTimer.unref();
  }

  /** Must run inside serial(): one folder's message changes, without listing the others. */
  private async diffFolder(store: MailStore, path: string): Promise<void> {
    const f = this.tree?.folderAtPath(path);
    if (!f?.mail?.selectable) return this.diffWith(store);
    const key = keyOf(f);
    const p = this.baseline.get(key);
    const scope = this.scope();
    if (!p || !(scope.all || scope.folders.has(key))) return;
    await freshen(store);
    const identities = this.wantsMoves();
    let steps;
    try {
      steps = await diffOneFolder(store, this.tree!, f, p, new Date(), { identities });
    } catch (e) {
      if (e instanceof FolderMissingError) return this.diffWith(store);
      throw e;
    }
    // A message left this folder: if it went to another one, that folder's arrival must be
    // in the same batch for the pair to become a MovedEvent.
    if (identities && (scope.all || scope.folders.size > 1) && steps.some((s) => s.events.some((e) => e.kind === 'DeletedEvent' && e.itemId))) return this.diffWith(store);
    const events: NotifyEvent[] = [];
    for (const step of steps) {
      if (step.state) this.baseline.set(step.folder, step.state);
      events.push(...step.events);
    }
    this.emit(events);
  }

  /** Must run inside serial(). `listed`: a fresh listing of `store` the caller has already. */
  private async diffWith(store: MailStore, listed?: FolderTree): Promise<void> {
    let tree = listed;
    if (!tree) {
      await freshen(store);
      tree = await FolderTree.load(store);
    }
    const scope = this.scope();
    const steps = await diffFolders(store, tree, [...this.baseline.values()], scope, new Date(), { identities: this.wantsMoves() });
    if (isUnsettled(tree)) {
      // A folder was being renamed or deleted while listed: look again in a moment.
      const t = setTimeout(() => this.requestDiff(null), 300);
      t.unref();
    }
    const events: NotifyEvent[] = [];
    for (const step of steps) {
      if (step.state) this.baseline.set(step.folder, step.state);
      else this.baseline.delete(step.folder);
      events.push(...step.events);
    }
    this.tree = tree;
    this.adopt(tree);
    this.emit(events);
  }

  private emit(all: NotifyEvent[]): void {
    if (!all.length) return;
    if (!this.wantsMoves()) {
      for (const q of this.subs.values()) if (q.offer(all)) this.hub.counters.eventsOut++;
      return;
    }
    // Pairs for the subscriptions that asked for moves; the plain events for the others.
    const paired = pairMoves(all, this.idents);
    const plain = all.map(({ ident: _i, source: _s, ...e }) => e);
    for (const q of this.subs.values()) {
      const moves = q.sub.events.includes('MovedEvent') || q.sub.events.includes('CopiedEvent');
      if (q.offer(moves ? paired : plain)) this.hub.counters.eventsOut++;
    }
  }

  /** One POST of Dovecot's Lua script for this user. */
  ingestPush(p: DovecotEvents): void {
    void this.serial(async () => {
      const tree = this.tree;
      if (!tree || this.closed) return;
      const byFolder = new Map<string, DovecotEvents['events']>();
      let needDiff = false;
      // Moves and copies are recognized in a diff, which reads the arrivals' identities.
      const moves = this.wantsMoves();
      let settle = false;
      for (const e of p.events) {
        if (e.event.startsWith('Mailbox') || (moves && (e.event === 'MessageNew' || e.event === 'MessageAppend' || e.event === 'MessageExpunge'))) {
          needDiff = true;
          // An APPEND or COPY may be the first half of a MOVE (LMTP deliveries are MessageNew).
          if (e.event === 'MessageAppend') settle = true;
          continue;
        }
        const list = byFolder.get(e.mailbox) ?? [];
        list.push(e);
        byFolder.set(e.mailbox, list);
      }
      const now = new Date();
      const out: NotifyEvent[] = [];
      const updates: [string, FolderState][] = [];
      for (const [path, events] of byFolder) {
        const f = tree.folderAtPath(path);
        if (!f || !f.mail) {
          needDiff = true;
          continue;
        }
        const key = keyOf(f);
        const b = this.baseline.get(key);
        if (!b) continue; // not watched by any subscription here
        const status = p.folders?.[path];
        const uidValidity = status?.uidvalidity ?? events.find((e) => e.uidvalidity)?.uidvalidity ?? b.uidValidity;
        if (uidValidity !== b.uidValidity) {
          needDiff = true;
          continue;
        }
        const folderId = { id: f.id, changeKey: f.changeKey };
        const parent = f.parent ?? tree.msgFolderRoot;
        const itemId = (uid: number) => ({ id: encodeItemId({ folder: { kind: 'mail', stableId: f.ref.kind === 'mail' ? f.ref.stableId : undefined, path }, uidValidity, uid }) });
        const fresh = events.filter((e) => (e.event === 'MessageNew' || e.event === 'MessageAppend') && e.uid !== undefined).map((e) => e.uid!);
        const firstNew = fresh.length ? Math.min(...fresh) : undefined;
        if (firstNew !== undefined && firstNew > b.uidNext) {
          // UIDs were handed out that no POST told us about: recover them from MODSEQ.
          needDiff = true;
          continue;
        }
        const modified = new Set<number>();
        for (const e of events) {
          if (e.uid === undefined) continue;
          if (e.event === 'MessageNew' || e.event === 'MessageAppend') {
            if (e.uid < b.uidNext) continue; // already reported (by a diff)
            out.push({ kind: 'CreatedEvent', time: now, itemId: itemId(e.uid), parentFolderId: folderId, scope: [key] });
            if (e.event === 'MessageNew') out.push({ kind: 'NewMailEvent', time: now, itemId: itemId(e.uid), parentFolderId: folderId, scope: [key] });
          } else if (e.event === 'FlagsSet' || e.event === 'FlagsClear') {
            // A message stored with flags in the same transaction is reported as created only.
            if (modified.has(e.uid) || fresh.includes(e.uid)) continue;
            modified.add(e.uid);
            out.push({ kind: 'ModifiedEvent', time: now, itemId: itemId(e.uid), parentFolderId: folderId, scope: [key] });
          } else if (e.event === 'MessageExpunge') {
            out.push({ kind: 'DeletedEvent', time: now, itemId: itemId(e.uid), parentFolderId: folderId, scope: [key] });
          }
        }
        out.push({
          kind: 'ModifiedEvent',
          time: now,
          folderId,
          parentFolderId: { id: parent.id, changeKey: parent.changeKey },
          unreadCount: status?.unseen ?? f.mail.unseen,
          scope: [key],
        });
        updates.push([
          key,
          {
            ...b,
            uidValidity,
            uidNext: Math.max(b.uidNext, status?.uidnext ?? 0, ...fresh.map((u) => u + 1)),
            modseq: status?.highestmodseq !== undefined && BigInt(status.highestmodseq) > b.modseq ? BigInt(status.highestmodseq) : b.modseq,
          },
        ]);
        if (status?.unseen !== undefined) f.mail.unseen = status.unseen;
      }
      if (needDiff) {
        // The diff from the baseline covers this POST too.
        if (settle) this.requestDiffSoon();
        else this.requestDiff(null);
        return;
      }
      for (const [k, s] of updates) this.baseline.set(k, s);
      this.emit(out);
    });
  }

  sweep(now: number): void {
    for (const q of [...this.subs.values()]) {
      if (!q.consumer && now - q.lastActive > this.hub.limits.subscriptionIdleMs) this.removeSubscription(q.key, 'expired');
    }
    this.maybeClose();
  }

  private maybeClose(): void {
    if (this.subs.size > 0 || this.closeTimer || this.closed) return;
    this.closeTimer = setTimeout(() => {
      this.closeTimer = undefined;
      if (this.subs.size === 0) void this.close();
    }, this.hub.limits.channelGraceMs);
    this.closeTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.dropChannel(this);
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.settleTimer) clearTimeout(this.settleTimer);
    for (const q of this.subs.values()) if (q.consumer instanceof PushDelivery) q.consumer.stop('closed');
    const w = this.watcher;
    this.watcher = undefined;
    await w?.close();
  }
}

