// One held GetStreamingEvents connection: several subscriptions, one chunked response,
// one SOAP envelope per batch of events, a keep-alive (ConnectionStatus OK) while nothing
// happens, ConnectionStatus Closed at ConnectionTimeout or when the response has carried
// its byte budget (the client reconnects and the rest follows on the next response). A
// waiting connection costs this object, two timers and the socket; no backend connection.
import type { StreamOut } from '../ews/operation.js';
import type { Xml } from '../soap/xml.js';
import type { QueueConsumer, SubQueue } from './queue.js';
import { renderStreamNotification, streamingClosed, streamingError, streamingKeepAlive, streamingNotifications } from './render.js';

export interface StreamLimits {
  heartbeatMs: number;
  /** Bytes one response may carry before it is closed. */
  maxBytes: number;
  /** Events per subscription per envelope. */
  maxEventsPerNotification: number;
}

/** Rough size of the envelope around a body (header, namespaces). */
const ENVELOPE_OVERHEAD = 700;

/**
 * One timer for every held connection of the process: keep-alives and ConnectionTimeout
 * are checked here rather than by two timers per connection.
 */
export class StreamTicker {
  private readonly sessions = new Set<StreamSession>();
  private timer?: NodeJS.Timeout;

  constructor(private readonly everyMs: number) {}

  add(s: StreamSession): void {
    this.sessions.add(s);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.everyMs);
      this.timer.unref();
    }
  }

  delete(s: StreamSession): void {
    this.sessions.delete(s);
    if (!this.sessions.size && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const s of [...this.sessions]) s.tick(now);
  }
}

export class StreamSession implements QueueConsumer {
  private bytes = 0;
  private ended = false;
  private flushScheduled = false;
  private lastWrite = Date.now();
  private deadline = 0;
  private finish!: () => void;
  private readonly done = new Promise<void>((r) => (this.finish = r));

  constructor(
    private readonly out: StreamOut,
    private readonly queues: SubQueue[],
    private readonly timeoutMs: number,
    private readonly limits: StreamLimits,
    private readonly onEnd: (s: StreamSession) => void,
    private readonly ticker: StreamTicker,
    /** Errors to tell before anything else (e.g. ErrorSubscriptionNotFound for some ids). */
    private readonly initial: Xml[] = [],
  ) {}

  get subscriptionKeys(): string[] {
    return this.queues.map((q) => q.key);
  }

  /** Holds the connection until the timeout, the byte cap, a detach of every subscription, or the client leaving. */
  run(): Promise<void> {
    for (const q of this.queues) {
      const previous = q.consumer;
      q.consumer = this;
      q.lastActive = Date.now();
      // The newest connection of a subscription gets its events; an older one loses it.
      if (previous && previous !== this && previous instanceof StreamSession) previous.detach(q);
    }
    for (const m of this.initial) this.write(m);
    this.flush();
    if (this.ended) return this.done; // closed already (byte cap, client gone)
    this.deadline = Date.now() + this.timeoutMs;
    this.ticker.add(this);
    void this.out.closed.then(() => this.stop());
    // Not an async function: a held connection keeps no suspended frame of its own.
    return this.done;
  }

  /** Called by the ticker: ConnectionTimeout, or a keep-alive after a quiet heartbeat interval. */
  tick(now: number): void {
    if (this.ended) return;
    if (now >= this.deadline) this.close();
    else if (now - this.lastWrite >= this.limits.heartbeatMs) this.write(streamingKeepAlive());
  }

  wake(): void {
    if (this.flushScheduled || this.ended) return;
    this.flushScheduled = true;
    // Coalesces the events of one backend transaction into one envelope.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Ends the response normally (ConnectionStatus Closed). */
  close(): void {
    if (this.ended) return;
    this.write(streamingClosed());
    this.stop();
  }

  /** Another connection took this subscription over. */
  detach(q: SubQueue): void {
    const i = this.queues.indexOf(q);
    if (i < 0) return;
    this.queues.splice(i, 1);
    if (this.queues.length === 0) this.close();
  }

  /** Ends the response with an error for these subscriptions (e.g. after Unsubscribe). */
  fail(code: string, message: string, ids: string[]): void {
    if (this.ended) return;
    this.write(streamingError(code, message, ids, true));
    this.stop();
  }

  private flush(): void {
    if (this.ended) return;
    if (this.out.isClosed()) {
      // Gone: leave the events queued for the next connection.
      this.stop();
      return;
    }
    const missed = this.queues.filter((q) => q.missed);
    if (missed.length) {
      for (const q of missed) q.missed = false;
      this.write(
        streamingError(
          'ErrorMissedNotificationEvents',
          'Events were missed for these subscriptions; resynchronize the folders they watch.',
          missed.map((q) => q.id),
          false,
        ),
      );
    }
    for (;;) {
      const notes: Xml[] = [];
      for (const q of this.queues) {
        if (!q.pending.length) continue;
        notes.push(renderStreamNotification(q.id, q.take(this.limits.maxEventsPerNotification)));
      }
      if (!notes.length || this.ended) return;
      this.write(streamingNotifications(notes));
      if (this.bytes >= this.limits.maxBytes) {
        // Bounded responses: what is left stays queued for the next connection.
        this.close();
        return;
      }
    }
  }

  private write(body: Xml): void {
    if (this.ended || this.out.isClosed()) {
      this.stop();
      return;
    }
    this.bytes += body.raw.length + ENVELOPE_OVERHEAD;
    this.lastWrite = Date.now();
    this.out.send(body);
  }

  private stop(): void {
    if (this.ended) return;
    this.ended = true;
    this.ticker.delete(this);
    for (const q of this.queues) {
      if (q.consumer === this) {
        q.consumer = undefined;
        q.lastActive = Date.now();
      }
    }
    this.out.end();
    this.onEnd(this);
    this.finish();
  }
}
