// Push subscriptions: SendNotification POSTed to the client's URL (a first StatusEvent,
// then the events, each with a watermark; StatusEvents every StatusFrequency), the
// client's SubscriptionStatus honoured, a URL that is down retried with doubling pauses
// within StatusFrequency and then given up, nothing lost while the client is briefly away,
// and a resubscribe from the last watermark.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DOMParser } from '@xmldom/xmldom';
import type { TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { M, T, all, codes } from './support/gateway.js';
import { addPushUser, deliverLmtp, eventsOf, soap, startNotifyGateway, subscribe, subscribeBody, waitUntil, type EventInfo, type NotifyGateway } from './notify-support.js';
import { freePort } from './harness/backends.js';

let g: NotifyGateway;
let user: TestUser;

/** A client's push listener: records every SendNotification and answers with `status`. */
class Listener {
  server!: Server;
  url = '';
  received: { subscriptionId: string; previous?: string; events: EventInfo[]; soapAction?: string }[] = [];
  status: 'OK' | 'Unsubscribe' | 500 = 'OK';
  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const doc = new DOMParser().parseFromString(body, 'text/xml');
        const n = all(doc, 'Notification', M)[0];
        this.received.push({
          subscriptionId: n ? all(n, 'SubscriptionId', T)[0]?.textContent ?? '' : '',
          previous: n ? all(n, 'PreviousWatermark', T)[0]?.textContent ?? undefined : undefined,
          events: eventsOf(doc),
          soapAction: String(req.headers.soapaction ?? ''),
        });
        if (this.status === 500) {
          res.writeHead(500);
          res.end();
          return;
        }
        res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
        res.end(
          `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` +
            `<SendNotificationResult xmlns="${M}"><SubscriptionStatus>${this.status}</SubscriptionStatus></SendNotificationResult></soap:Body></soap:Envelope>`,
        );
      });
    });
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/push`;
    return this;
  }
  events(): EventInfo[] {
    return this.received.flatMap((r) => r.events);
  }
  async stop(): Promise<void> {
    await new Promise<void>((r) => {
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }
}

before(async () => {
  // A "minute" of StatusFrequency is 1 s; failed POSTs are retried after 100, 200, 400 ms...
  g = await startNotifyGateway({ push: true, notify: { minuteMs: 1000, pushRetryFirstMs: 100 } });
  user = await addPushUser(g.backends, g.eventsUrl);
  await withImap(g.backends, user, async (c) => void (await c.list()));
});

after(async () => {
  await g?.close();
});

describe('push subscriptions', () => {
  test('a StatusEvent first, then the events of a delivery, each with a watermark; StatusEvents while nothing happens', async () => {
    const l = await new Listener().start();
    try {
      const sub = await subscribe(g, user, 'Push', { url: l.url, frequency: 1 });
      await waitUntil(() => (l.received.length >= 1 ? true : undefined), 5000);
      assert.equal(l.received[0].subscriptionId, sub.id);
      assert.equal(l.received[0].previous, sub.watermark);
      assert.deepEqual(l.received[0].events.map((e) => e.kind), ['StatusEvent']);
      assert.ok(l.received[0].events[0].watermark);
      assert.match(l.received[0].soapAction ?? '', /SendNotification/);
      await deliverLmtp(g.backends, user.email, 'pushed');
      await waitUntil(() => (l.events().some((e) => e.kind === 'NewMailEvent') ? true : undefined), 5000);
      const newMail = l.events().find((e) => e.kind === 'NewMailEvent')!;
      assert.ok(newMail.watermark && newMail.itemId);
      // Each notification names the previous one's watermark.
      const i = l.received.findIndex((r) => r.events.some((e) => e.kind === 'NewMailEvent'));
      assert.equal(l.received[i].previous, l.received[i - 1].events[l.received[i - 1].events.length - 1].watermark);
      const count = l.received.length;
      await waitUntil(() => (l.received.length > count && l.received[l.received.length - 1].events[0]?.kind === 'StatusEvent' ? true : undefined), 5000);
    } finally {
      await l.stop();
    }
  });

  test('SubscriptionStatus Unsubscribe ends the subscription', async () => {
    const l = await new Listener().start();
    try {
      l.status = 'Unsubscribe';
      await subscribe(g, user, 'Push', { url: l.url, frequency: 1 });
      await waitUntil(() => (l.received.length >= 1 ? true : undefined), 5000);
      await waitUntil(() => (g.gateway.notifications.hub.stats().pushSubscriptions === 0 ? true : undefined), 5000);
      const n = l.received.length;
      await deliverLmtp(g.backends, user.email, 'after unsubscribe');
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(l.received.length, n);
    } finally {
      await l.stop();
    }
  });

  test('a URL that is down: retried with doubling pauses within StatusFrequency, then the subscription ends', async () => {
    const port = await freePort();
    const t0 = Date.now();
    const url = `http://127.0.0.1:${port}/nobody`;
    const sub = await subscribe(g, user, 'Push', { url, frequency: 1 });
    const ended = await waitUntil(() => g.logLines.find((l) => l.includes('push subscription ends: client unreachable') && l.includes(url)), 5000);
    const ms = Date.now() - t0;
    // 100 + 200 + 400 ms of pauses fit in the 1 s of StatusFrequency; the next (800) would not.
    assert.ok(ms >= 600 && ms < 3000, `ended after ${ms} ms: ${ended}`);
    // Ended for good: its id is now unknown.
    const r = await soap(g, user, `<m:Unsubscribe><m:SubscriptionId>${sub.id}</m:SubscriptionId></m:Unsubscribe>`);
    assert.deepEqual(codes(r.doc), ['ErrorSubscriptionNotFound']);
  });

  test('a client away for a moment loses nothing: the events wait and are retried', async () => {
    const l = await new Listener().start();
    const port = Number(new URL(l.url).port);
    try {
      l.status = 500;
      await subscribe(g, user, 'Push', { url: l.url, frequency: 5 });
      await waitUntil(() => (l.received.length >= 1 ? true : undefined), 5000);
      await deliverLmtp(g.backends, user.email, 'while the client fails');
      await new Promise((r) => setTimeout(r, 300));
      await l.stop();
      const back = await new Listener().start(port);
      try {
        await waitUntil(() => (back.events().some((e) => e.kind === 'NewMailEvent') ? true : undefined), 10_000);
      } finally {
        await back.stop();
      }
    } finally {
      await l.stop().catch(() => undefined);
    }
  });

  test('a resubscribe with the last watermark gets what happened in between in its first notifications', async () => {
    const l1 = await new Listener().start();
    const sub = await subscribe(g, user, 'Push', { url: l1.url, frequency: 1 });
    await waitUntil(() => (l1.received.length >= 1 ? true : undefined), 5000);
    const last = l1.received[0].events[0].watermark!;
    l1.status = 'Unsubscribe';
    await waitUntil(() => (l1.received.length >= 2 ? true : undefined), 5000);
    await l1.stop();
    await deliverLmtp(g.backends, user.email, 'between push subscriptions');
    const l2 = await new Listener().start();
    try {
      const again = await subscribe(g, user, 'Push', { url: l2.url, frequency: 1, watermark: last });
      assert.notEqual(again.id, sub.id);
      await waitUntil(() => (l2.events().some((e) => e.kind === 'NewMailEvent') ? true : undefined), 5000);
    } finally {
      await l2.stop();
    }
  });

  test('bad URLs are refused at Subscribe', async () => {
    for (const url of ['ftp://example.test/x', 'not a url', 'http://user:pw@example.test/']) {
      const r = await soap(g, user, subscribeBody('Push', { url, frequency: 1 }));
      assert.deepEqual(codes(r.doc), ['ErrorInvalidPushSubscriptionUrl'], url);
    }
  });
});
