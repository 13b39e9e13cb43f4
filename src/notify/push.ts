// Push subscriptions: SendNotification POSTed to the client's URL with the events of its
// queue (a StatusEvent when StatusFrequency minutes pass without any), each event with a
// watermark the client can resubscribe from. A failed POST is retried after 30 s, then
// doubling, until StatusFrequency minutes are spent (as Exchange does); then, or when the
// client answers SubscriptionStatus Unsubscribe, the subscription ends.
import type { Logger } from '../server/log.js';
import type { NotifyEvent } from './model.js';
import type { QueueConsumer, SubQueue } from './queue.js';
import { renderPullNotification, sendNotificationEnvelope } from './render.js';

export interface PushOptions {
  /** Length of a "minute" (tests shorten it). */
  minuteMs: number;
  retryFirstMs: number;
  requestTimeoutMs: number;
  maxEventsPerNotification: number;
  fetch: typeof fetch;
  log: Logger;
  /** A notification was accepted; its watermark is where a successor would go on from. */
  delivered?: (watermark: string) => void;
}

/**
 * Whether a push subscription may call `url`: an http(s) URL without credentials, and, when
 * an allow list is configured, one that starts with a listed URL prefix or whose host is a
 * listed host name (exactly, or a subdomain of a name listed with a leading dot). Without
 * a list, anything the gateway can reach could be made to receive its POSTs.
 */
export function pushUrlAllowed(url: string, allow: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || url.length > 2048) return false;
  if (!allow.length) return true;
  const host = u.hostname.toLowerCase();
  return allow.some((a) => {
    if (/^https?:\/\//i.test(a)) {
      // Compared in normalized form, so "https://H:443/x" cannot pass as "https://h/x/..." tricks.
      let p: URL;
      try {
        p = new URL(a);
      } catch {
        return false;
      }
      return u.origin === p.origin && u.pathname.startsWith(p.pathname);
    }
    const h = a.toLowerCase();
    return h.startsWith('.') ? host.endsWith(h) : host === h;
  });
}

export type PushEnd = 'unsubscribed' | 'unreachable' | 'closed';

export class PushDelivery implements QueueConsumer {
  private sending = false;
  private stopped = false;
  private statusTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private lastSent = Date.now();
  /** Set when the first POST of a failing series failed. */
  private failingSince?: number;
  private retryDelay: number;
  private statusDue = true;
  /** Posts so far (tests, logs). */
  delivered = 0;

  constructor(
    private readonly queue: SubQueue,
    private previousWatermark: string | undefined,
    private readonly watermarkNow: () => string,
    private readonly opts: PushOptions,
    private readonly onEnd: (why: PushEnd) => void,
  ) {
    this.retryDelay = opts.retryFirstMs;
  }

  private get frequencyMs(): number {
    return (this.queue.sub.statusFrequency ?? 30) * this.opts.minuteMs;
  }

  start(): void {
    this.queue.consumer = this;
    // The first notification (a StatusEvent) tells the client the subscription works.
    this.wake();
    this.statusTimer = setInterval(() => {
      if (Date.now() - this.lastSent >= this.frequencyMs) {
        this.statusDue = true;
        this.wake();
      }
    }, Math.max(50, Math.min(this.frequencyMs / 4, 60_000)));
    this.statusTimer.unref();
  }

  stop(why: PushEnd = 'closed'): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.queue.consumer === this) this.queue.consumer = undefined;
    this.onEnd(why);
  }

  wake(): void {
    if (this.sending || this.stopped || this.retryTimer) return;
    void this.sendLoop();
  }

  private async sendLoop(): Promise<void> {
    this.sending = true;
    try {
      while (!this.stopped && (this.queue.pending.length > 0 || this.statusDue || this.queue.missed)) {
        const events = this.queue.pending.slice(0, this.opts.maxEventsPerNotification);
        const watermark = this.watermarkNow();
        const batch: NotifyEvent[] = events.length
          ? events.map((e) => ({ ...e, watermark }))
          : [{ kind: 'StatusEvent', time: new Date(), scope: [], watermark }];
        const more = this.queue.pending.length > events.length;
        const body = sendNotificationEnvelope(renderPullNotification('m:Notification', this.queue.id, this.previousWatermark, more, batch));
        const answer = await this.post(body);
        if (answer === 'failed') {
          this.scheduleRetry();
          return;
        }
        // Delivered: only now do the events leave the queue.
        this.queue.pending.splice(0, events.length);
        this.queue.missed = false;
        this.previousWatermark = watermark;
        this.statusDue = false;
        this.lastSent = Date.now();
        this.failingSince = undefined;
        this.retryDelay = this.opts.retryFirstMs;
        this.delivered++;
        this.opts.delivered?.(watermark);
        if (answer === 'Unsubscribe') {
          this.stop('unsubscribed');
          return;
        }
      }
    } finally {
      this.sending = false;
    }
  }

  private scheduleRetry(): void {
    const now = Date.now();
    this.failingSince ??= now;
    if (now + this.retryDelay - this.failingSince > this.frequencyMs) {
      this.opts.log.info('push subscription ends: client unreachable', { url: this.queue.sub.url });
      this.stop('unreachable');
      return;
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.wake();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay *= 2;
  }

  private async post(body: string): Promise<'OK' | 'Unsubscribe' | 'failed'> {
    try {
      const res = await this.opts.fetch(this.queue.sub.url!, {
        method: 'POST',
        headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"http://schemas.microsoft.com/exchange/services/2006/messages/SendNotification"' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
      });
      const text = (await res.text()).slice(0, 256 * 1024);
      if (res.status < 200 || res.status >= 300) return 'failed';
      const m = /<(?:[A-Za-z0-9_.-]+:)?SubscriptionStatus(?:\s[^>]*)?>\s*(OK|Unsubscribe)\s*</.exec(text);
      // Anything but a SendNotificationResult is a failed delivery, retried like a refused one.
      return m ? (m[1] as 'OK' | 'Unsubscribe') : 'failed';
    } catch (e) {
      this.opts.log.debug('push notification failed', { url: this.queue.sub.url, error: (e as Error).message });
      return 'failed';
    }
  }
}
