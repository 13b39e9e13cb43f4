// One subscription's queue in this process: the events waiting for its stream (or
// push delivery), bounded. A queue that overflows, or whose events were lost
// otherwise, is marked `missed` and the client is told so (ErrorMissedNotificationEvents)
// instead of being left to believe nothing happened.
import type { Subscription, NotifyEvent } from './model.js';
import type { Scope } from './diff.js';

export interface QueueConsumer {
  /** Events (or a missed mark) are waiting. */
  wake(): void;
}

export class SubQueue {
  readonly scope: Scope;
  private readonly types: ReadonlySet<string>;
  pending: NotifyEvent[] = [];
  missed = false;
  private consumerNow?: QueueConsumer;
  /** When the queue was last attached to a consumer or created (ms). */
  lastActive = Date.now();

  constructor(
    readonly id: string,
    readonly key: string,
    readonly sub: Subscription,
    private readonly maxQueued: number,
  ) {
    this.scope = { all: sub.all, folders: new Set(sub.folders) };
    this.types = new Set(sub.events);
  }

  /** Who takes the events: a held stream, a push delivery, or (several instances) the shared queue. */
  get consumer(): QueueConsumer | undefined {
    return this.consumerNow;
  }

  set consumer(c: QueueConsumer | undefined) {
    this.consumerNow = c;
  }

  matches(e: NotifyEvent): boolean {
    if (!this.types.has(e.kind)) return false;
    return this.scope.all || e.scope.some((k) => this.scope.folders.has(k));
  }

  /** Queues what concerns this subscription; true when something was queued. */
  offer(events: NotifyEvent[]): boolean {
    let added = false;
    for (const e of events) {
      if (!this.matches(e)) continue;
      if (this.pending.length >= this.maxQueued) {
        this.missed = true;
        continue;
      }
      this.pending.push(e);
      added = true;
    }
    if (added || this.missed) this.consumer?.wake();
    return added;
  }

  markMissed(): void {
    this.missed = true;
    this.pending = [];
    this.consumer?.wake();
  }

  take(max: number): NotifyEvent[] {
    return this.pending.splice(0, max);
  }
}
