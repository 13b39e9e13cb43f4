// The two ends of a shared subscription queue (several instances, src/notify/broker.ts).
//  - ShareSink: on the owning instance, the consumer of the subscription's local SubQueue;
//    it moves what the channel produces into the shared queue. While the broker is
//    unreachable the events stay in the local queue (bounded: beyond it, missed).
//  - SharedQueue: on the instance holding the client's connection, a SubQueue that a
//    StreamSession reads like any other, filled from the shared queue only while a
//    connection is attached (so nothing waits here that another instance should have);
//    what a closing connection did not write goes back to the shared queue's head.
import type { Logger } from '../server/log.js';
import type { NotifyBroker } from './broker.js';
import type { Subscription } from './model.js';
import { SubQueue, type QueueConsumer } from './queue.js';

const RETRY_MS = 1000;

export class ShareSink implements QueueConsumer {
  private sending = false;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    readonly queue: SubQueue,
    private readonly broker: NotifyBroker,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.queue.consumer = this;
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.queue.consumer === this) this.queue.consumer = undefined;
  }

  wake(): void {
    if (this.sending || this.stopped || this.retry) return;
    void this.loop();
  }

  private async loop(): Promise<void> {
    this.sending = true;
    const q = this.queue;
    try {
      while (!this.stopped && (q.pending.length || q.missed)) {
        if (q.missed) {
          await this.broker.markMissed(q.key);
          q.missed = false;
        }
        const events = q.pending.slice(0, 200);
        if (events.length) await this.broker.append(q.key, events);
        // Only now do they leave the local queue: a failed append is retried, not lost.
        q.pending.splice(0, events.length);
      }
    } catch (e) {
      this.log.info('shared queue unreachable; retrying', { error: (e as Error).message });
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.wake();
      }, RETRY_MS);
      this.retry.unref();
    } finally {
      this.sending = false;
    }
  }
}

export class SharedQueue extends SubQueue {
  private attached?: QueueConsumer;
  private fetching = false;
  private again = false;

  constructor(
    id: string,
    key: string,
    sub: Subscription,
    private readonly broker: NotifyBroker,
    private readonly batch: number,
    private readonly log: Logger,
  ) {
    // The shared queue enforces the bound; this one holds at most a batch or two.
    super(id, key, sub, Number.MAX_SAFE_INTEGER);
  }

  override get consumer(): QueueConsumer | undefined {
    return this.attached;
  }

  override set consumer(c: QueueConsumer | undefined) {
    const before = this.attached;
    this.attached = c;
    if (c) {
      this.lastActive = Date.now();
      this.broker.touch(this.key).catch((e) => this.log.debug('shared queue touch failed', { error: (e as Error).message }));
      this.pull();
    } else if (before) this.release();
  }

  /** More may be waiting in the shared queue (a wake-up broadcast, an attach, a batch taken). */
  pull(): void {
    if (this.fetching) {
      this.again = true;
      return;
    }
    void this.fetch();
  }

  override take(max: number): ReturnType<SubQueue['take']> {
    const out = super.take(max);
    if (this.pending.length < this.batch) this.pull();
    return out;
  }

  private async fetch(): Promise<void> {
    this.fetching = true;
    try {
      do {
        this.again = false;
        const c = this.attached;
        if (!c || this.pending.length >= this.batch) break;
        const r = await this.broker.take(this.key, this.batch);
        if (!this.attached) {
          // The connection left meanwhile: back where another instance can find them.
          await this.broker.putBack(this.key, r.events);
          if (r.missed) await this.broker.markMissed(this.key);
          break;
        }
        if (r.missed) this.missed = true;
        this.pending.push(...r.events);
        if (r.events.length || r.missed) this.attached?.wake();
        if (r.events.length === this.batch) this.again = true;
      } while (this.again);
    } catch (e) {
      this.log.info('shared queue read failed', { key: this.key, error: (e as Error).message });
    } finally {
      this.fetching = false;
    }
  }

  /** The connection ended: what it did not write goes back to the shared queue. */
  private release(): void {
    this.lastActive = Date.now();
    const left = this.pending.splice(0);
    const missed = this.missed;
    this.missed = false;
    this.broker.touch(this.key).catch(() => undefined);
    if (!left.length && !missed) return;
    void (async () => {
      try {
        await this.broker.putBack(this.key, left);
        if (missed) await this.broker.markMissed(this.key);
      } catch (e) {
        this.log.error('events could not be returned to the shared queue', { key: this.key, events: left.length, error: (e as Error).message });
      }
    })();
  }
}
