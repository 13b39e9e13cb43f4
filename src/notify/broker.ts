// The broker port: what several ewsgate processes behind one load balancer must share so
// that a streaming subscription made on one is served by any other, with no event lost or
// doubled (DESIGN §5). The default keeps everything in this process (MemoryBroker, what a
// single instance needs: only the Unsubscribe tombstones); adapters/redis/ shares it.
//
// The shared model: each streaming subscription has exactly one producing instance, its
// owner (the one that registered or last rebuilt it, whose channel turns backend changes
// into its events). The owner appends the events to the subscription's shared queue; the
// instance holding the client's GetStreamingEvents takes them from there (whichever it
// is, the owner included), woken by a broadcast. Dovecot's POSTs reach one instance and
// are relayed to all; each produces only for the subscriptions it owns, so an event is
// queued once. Ownership is a lease the owner renews: an instance that finds it lapsed
// (the owner died) takes it over and rebuilds the subscription (resync hint, as after a
// restart). When the shared store loses its contents (Redis restarted without
// persistence), every instance is told (`lost`) and every shared queue answers
// ErrorMissedNotificationEvents: never silence.
import type { NotifyEvent } from './model.js';
import type { DovecotEvents } from './hub.js';

export interface BrokerListener {
  /** Events (or a missed mark) wait in the shared queue of this subscription. */
  wake(key: string): void;
  /** A Dovecot POST that reached another instance. */
  dovecot(payload: DovecotEvents): void;
  /** A subscription was ended (Unsubscribe) on some instance. */
  unsubscribed(key: string): void;
  /** The shared store lost what it held (restarted, flushed): every shared queue may have lost events. */
  lost(): void;
}

export interface BrokerLimits {
  /** How long a subscription lives without a connection (refreshed by every attach). */
  idleMs: number;
  /** Events one subscription may have waiting before it counts as having missed some. */
  maxQueued: number;
}

/** The owner of a subscription as a claim finds it: this instance, another live one, or nobody until now (this one from now on). */
export type Claim = 'mine' | 'other' | 'new';

export interface NotifyBroker {
  /** Whether queues are shared between instances; false: this process only. */
  readonly shared: boolean;
  start(listener: BrokerListener, limits: BrokerLimits): Promise<void>;
  unsubscribe(key: string, ttlMs: number): Promise<void>;
  isUnsubscribed(key: string): Promise<boolean>;
  /** Shared only: takes the subscription if nobody owns it, and marks it active. */
  claim(key: string): Promise<Claim>;
  /** Shared only: renews this instance's leases; `lost`: owned by another now; `expired`: no connection for `idleMs`. */
  renew(keys: string[]): Promise<{ lost: string[]; expired: string[] }>;
  /** Shared only: a connection used the subscription (it stays alive `idleMs` more). */
  touch(key: string): Promise<void>;
  /** Shared only: the owner queues events (beyond maxQueued the queue is marked missed) and wakes the readers. */
  append(key: string, events: NotifyEvent[]): Promise<void>;
  markMissed(key: string): Promise<void>;
  /** Shared only: up to `max` queued events, removed from the queue, and whether events were missed. */
  take(key: string, max: number): Promise<{ events: NotifyEvent[]; missed: boolean }>;
  /** Shared only: events taken but not delivered go back to the head of the queue. */
  putBack(key: string, events: NotifyEvent[]): Promise<void>;
  /** Shared only: forget the queue (Unsubscribe, expiry). */
  drop(key: string): Promise<void>;
  /** Shared only: hands a Dovecot POST to the other instances. */
  relay(payload: DovecotEvents): Promise<void>;
  /** Shared only: records a push subscription and the last watermark its client got, so another instance (or this one restarted) can go on with it. */
  savePush(user: string, key: string, id: string, watermark: string): Promise<void>;
  pushSubscriptions(user: string): Promise<{ key: string; id: string; watermark: string }[]>;
  forgetPush(user: string, key: string): Promise<void>;
  /** Shared only: gives up this instance's leases (a clean shutdown), so another instance takes over at once. */
  release(keys: string[]): Promise<void>;
  close(): Promise<void>;
}

/** One process: queues live in the hub's SubQueues; only Unsubscribe needs remembering here. */
export class MemoryBroker implements NotifyBroker {
  readonly shared = false;
  private readonly tombstones = new Map<string, number>();

  async start(): Promise<void> {}

  async unsubscribe(key: string, ttlMs: number): Promise<void> {
    this.tombstones.set(key, Date.now() + ttlMs);
    if (this.tombstones.size % 1024 === 0) {
      const now = Date.now();
      for (const [k, t] of this.tombstones) if (t < now) this.tombstones.delete(k);
    }
  }

  async isUnsubscribed(key: string): Promise<boolean> {
    const t = this.tombstones.get(key);
    if (t === undefined) return false;
    if (t >= Date.now()) return true;
    this.tombstones.delete(key);
    return false;
  }

  claim(): Promise<Claim> {
    return notShared();
  }
  renew(): Promise<{ lost: string[]; expired: string[] }> {
    return notShared();
  }
  touch(): Promise<void> {
    return notShared();
  }
  append(): Promise<void> {
    return notShared();
  }
  markMissed(): Promise<void> {
    return notShared();
  }
  take(): Promise<{ events: NotifyEvent[]; missed: boolean }> {
    return notShared();
  }
  putBack(): Promise<void> {
    return notShared();
  }
  drop(): Promise<void> {
    return notShared();
  }
  relay(): Promise<void> {
    return notShared();
  }
  savePush(): Promise<void> {
    return notShared();
  }
  pushSubscriptions(): Promise<{ key: string; id: string; watermark: string }[]> {
    return notShared();
  }
  forgetPush(): Promise<void> {
    return notShared();
  }
  release(): Promise<void> {
    return notShared();
  }
  async close(): Promise<void> {}
}

function notShared<T>(): Promise<T> {
  return Promise.reject(new Error('the in-memory broker shares nothing'));
}

/** Events as the shared store keeps them (JSON; the time as ISO text). */
export function encodeEvent(e: NotifyEvent): string {
  return JSON.stringify({ ...e, time: e.time.toISOString(), watermark: undefined, ident: undefined, source: undefined });
}

export function decodeEvent(s: string): NotifyEvent | undefined {
  try {
    const o = JSON.parse(s) as NotifyEvent & { time: string };
    if (!o || typeof o.kind !== 'string' || !Array.isArray(o.scope)) return undefined;
    return { ...o, time: new Date(o.time) };
  } catch {
    return undefined;
  }
}
