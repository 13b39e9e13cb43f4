// Helpers for the notification tests: a gateway with the hub's timings shortened, users
// whose Dovecot pushes to that gateway, SOAP bodies for the notification operations, and a
// reader for held GetStreamingEvents responses that yields one parsed envelope at a time.
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element } from '@xmldom/xmldom';
import nodemailer from 'nodemailer';
import { loadConfig } from '../src/config.js';
import { startGateway, type Gateway } from '../src/server/http.js';
import { createLogger } from '../src/server/log.js';
import type { HubOptions } from '../src/notify/hub.js';
import { backendsFromEnv, type Backends, type TestUser } from './harness/backends.js';
import { M, T, all, basic, envelope, post, type EwsReply } from './support/gateway.js';

export const EVENTS_SECRET = 'test-events-secret-0123456789';

export interface NotifyGateway {
  gateway: Gateway;
  backends: Backends;
  url: string;
  ewsUrl: string;
  eventsUrl: string;
  logLines: string[];
  close(): Promise<void>;
}

/** Fast timings for tests: a "minute" is 1 s unless overridden. */
export const FAST: Partial<HubOptions> = {
  minuteMs: 1000,
  heartbeatMs: 60_000,
  pollMs: 60_000,
  pushRetryFirstMs: 100,
  pushTimeoutMs: 2000,
  channelGraceMs: 200,
};

export async function startNotifyGateway(o: {
  push?: boolean;
  notify?: Partial<HubOptions>;
  port?: number;
  backends?: Backends;
  flags?: Record<string, string>;
} = {}): Promise<NotifyGateway> {
  const backends = o.backends ?? backendsFromEnv();
  const logLines: string[] = [];
  const config = loadConfig({
    env: {},
    flags: {
      listen: `127.0.0.1:${o.port ?? 0}`,
      imap: backends.imapUrl,
      caldav: backends.davUrl,
      carddav: backends.davUrl,
      smtp: backends.smtpUrl,
      mailDomain: 'example.test',
      logLevel: 'debug',
      sessionIdleSeconds: '2',
      stateSecret: 'notify-tests-state-secret',
      ...(o.push === false ? {} : { eventsSecret: EVENTS_SECRET }),
      ...o.flags,
    },
  });
  const gateway = await startGateway(config, createLogger('debug', (l) => logLines.push(l)), { notify: { ...FAST, ...o.notify } });
  return {
    gateway,
    backends,
    url: gateway.url,
    ewsUrl: `${gateway.url}/EWS/Exchange.asmx`,
    eventsUrl: `${gateway.url}/ewsgate/events`,
    logLines,
    close: () => gateway.close(),
  };
}

/** A user whose Dovecot transactions are POSTed to `eventsUrl` (per-user userdb fields, see backends.ts). */
export function addPushUser(backends: Backends, eventsUrl?: string, secret = EVENTS_SECRET): Promise<TestUser> {
  return backends.addUser(undefined, undefined, eventsUrl ? { userdb: { ewsgate_events_url: eventsUrl, ewsgate_events_secret: secret } } : {});
}

export const did = (id: string) => `<t:DistinguishedFolderId Id="${id}"/>`;
export const fid = (id: string) => `<t:FolderId Id="${id}"/>`;

const ALL_TYPES = ['NewMailEvent', 'CreatedEvent', 'DeletedEvent', 'ModifiedEvent', 'MovedEvent', 'CopiedEvent'];

export function subscribeBody(kind: 'Pull' | 'Push' | 'Streaming', o: { folders?: string[]; all?: boolean; types?: string[]; timeout?: number; url?: string; frequency?: number; watermark?: string } = {}): string {
  const folders = o.all ? '' : `<t:FolderIds>${(o.folders ?? [did('inbox')]).join('')}</t:FolderIds>`;
  const types = `<t:EventTypes>${(o.types ?? ALL_TYPES).map((t) => `<t:EventType>${t}</t:EventType>`).join('')}</t:EventTypes>`;
  const wm = o.watermark ? `<t:Watermark>${o.watermark}</t:Watermark>` : '';
  const extra = kind === 'Pull' ? `<t:Timeout>${o.timeout ?? 10}</t:Timeout>` : kind === 'Push' ? `<t:StatusFrequency>${o.frequency ?? 1}</t:StatusFrequency><t:URL>${o.url}</t:URL>` : '';
  const attr = o.all ? ' SubscribeToAllFolders="true"' : '';
  return `<m:Subscribe><m:${kind}SubscriptionRequest${attr}>${folders}${types}${kind === 'Streaming' ? '' : wm}${extra}</m:${kind}SubscriptionRequest></m:Subscribe>`;
}

export async function soap(g: { ewsUrl: string }, user: TestUser | null, body: string): Promise<EwsReply> {
  return post(g.ewsUrl, user, envelope(body));
}

export function codeOf(doc: Document): string | undefined {
  return all(doc, 'ResponseCode', M)[0]?.textContent ?? undefined;
}

export async function subscribe(g: { ewsUrl: string }, user: TestUser, kind: 'Pull' | 'Push' | 'Streaming', o: Parameters<typeof subscribeBody>[1] = {}): Promise<{ id: string; watermark?: string; reply: EwsReply }> {
  const r = await soap(g, user, subscribeBody(kind, o));
  const id = all(r.doc, 'SubscriptionId', M)[0]?.textContent;
  if (!id) throw new Error(`Subscribe failed: ${r.text.slice(0, 1500)}`);
  return { id, watermark: all(r.doc, 'Watermark', M)[0]?.textContent ?? undefined, reply: r };
}

export function getEventsBody(id: string, watermark: string): string {
  return `<m:GetEvents><m:SubscriptionId>${id}</m:SubscriptionId><m:Watermark>${watermark}</m:Watermark></m:GetEvents>`;
}

export interface EventInfo {
  kind: string;
  subscriptionId?: string;
  itemId?: string;
  folderId?: string;
  parentFolderId?: string;
  oldParentFolderId?: string;
  watermark?: string;
  unreadCount?: number;
}

/** The events of every Notification in a document, with the SubscriptionId they came under. */
export function eventsOf(doc: Document | Element): (EventInfo & { subscriptionId: string })[] {
  const out: (EventInfo & { subscriptionId: string })[] = [];
  for (const n of all(doc, 'Notification', M)) {
    const subscriptionId = all(n, 'SubscriptionId', T)[0]?.textContent ?? '';
    for (let c = n.firstChild; c; c = c.nextSibling) {
      if (c.nodeType !== 1) continue;
      const e = c as unknown as Element;
      if (!/Event$/.test(e.localName ?? '')) continue;
      const kid = (name: string) => Array.from(e.childNodes).find((k) => (k as Element).localName === name) as Element | undefined;
      out.push({
        subscriptionId,
        kind: e.localName!,
        itemId: kid('ItemId')?.getAttribute('Id') ?? undefined,
        folderId: kid('FolderId')?.getAttribute('Id') ?? undefined,
        parentFolderId: kid('ParentFolderId')?.getAttribute('Id') ?? undefined,
        oldParentFolderId: kid('OldParentFolderId')?.getAttribute('Id') ?? undefined,
        watermark: kid('Watermark')?.textContent ?? undefined,
        unreadCount: kid('UnreadCount') ? Number(kid('UnreadCount')!.textContent) : undefined,
      });
    }
  }
  return out;
}

/** A held GetStreamingEvents response, read envelope by envelope. */
export class StreamReader {
  readonly docs: Document[] = [];
  readonly raw: string[] = [];
  ended = false;
  status = 0;
  contentType: string | null = null;
  private buf = '';
  private waiters: (() => void)[] = [];
  private readonly ctrl = new AbortController();
  readonly done: Promise<void>;

  constructor(g: { ewsUrl: string }, user: TestUser, ids: string[], timeoutMinutes = 30) {
    const body = envelope(
      `<m:GetStreamingEvents><m:SubscriptionIds>${ids.map((i) => `<t:SubscriptionId>${i}</t:SubscriptionId>`).join('')}</m:SubscriptionIds><m:ConnectionTimeout>${timeoutMinutes}</m:ConnectionTimeout></m:GetStreamingEvents>`,
    );
    this.done = (async () => {
      try {
        const res = await fetch(g.ewsUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'text/xml; charset=utf-8', Authorization: basic(user) },
          body,
          signal: this.ctrl.signal,
        });
        this.status = res.status;
        this.contentType = res.headers.get('content-type');
        const reader = res.body!.getReader();
        const dec = new TextDecoder();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          this.buf += dec.decode(value, { stream: true });
          let i: number;
          while ((i = this.buf.indexOf('</Envelope>')) >= 0) {
            const text = this.buf.slice(0, i + '</Envelope>'.length);
            this.buf = this.buf.slice(i + '</Envelope>'.length);
            this.raw.push(text);
            this.docs.push(new DOMParser().parseFromString(text, 'text/xml'));
            this.notify();
          }
        }
      } catch (e) {
        if ((e as Error).name !== 'AbortError') this.raw.push(`error: ${(e as Error).message}`);
      } finally {
        this.ended = true;
        this.notify();
      }
    })();
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Waits for a document matching `pred` among those after index `from` (default: any). */
  async waitFor(pred: (d: Document) => boolean, timeoutMs = 10_000, from = 0): Promise<Document> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.docs.slice(from).find(pred);
      if (found) return found;
      if (this.ended) throw new Error(`stream ended without the expected message; got:\n${this.raw.join('\n').slice(-3000)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a stream message; got:\n${this.raw.join('\n').slice(-3000)}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async waitForEvents(pred: (e: (EventInfo & { subscriptionId: string })[]) => boolean, timeoutMs = 10_000): Promise<(EventInfo & { subscriptionId: string })[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const evs = this.docs.flatMap((d) => eventsOf(d));
      if (pred(evs)) return evs;
      const left = deadline - Date.now();
      if (left <= 0 || this.ended) throw new Error(`expected events did not arrive (${this.ended ? 'stream ended' : 'timeout'}); got: ${JSON.stringify(evs.map((e) => e.kind))}\n${this.raw.join('\n').slice(-3000)}`);
      await this.waitFor(() => true, left, this.docs.length).catch(() => undefined);
    }
  }

  async waitEnd(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.done, new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('stream did not end')), timeoutMs)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  abort(): void {
    this.ctrl.abort();
  }
}

export function connectionStatus(d: Document): string | undefined {
  return all(d, 'ConnectionStatus', M)[0]?.textContent ?? undefined;
}

/** Delivers a message by LMTP into Dovecot (MessageNew in Dovecot's push). */
export async function deliverLmtp(backends: Backends, to: string, subject: string): Promise<void> {
  const t = nodemailer.createTransport({ lmtp: true, host: '127.0.0.1', port: backends.lmtpPort, ignoreTLS: true } as never);
  await t.sendMail({ from: 'sender@example.test', to, subject, text: `body of ${subject}\n` });
  t.close();
}

export function rawMessage(subject: string): Buffer {
  return Buffer.from(`From: a@example.test\r\nTo: b@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${Math.random().toString(36).slice(2)}@example.test>\r\nDate: ${new Date().toUTCString()}\r\n\r\nHello\r\n`);
}

export async function waitUntil<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
