// Push subscriptions beyond one process and their callback URLs:
//  - EWSGATE_PUSH_URL_ALLOW: a URL outside the listed prefixes / host names is refused at
//    Subscribe with ErrorInvalidPushSubscriptionUrl; a malformed list is a config error;
//  - with Redis, a push subscription survives an ewsgate restart: the user's next request
//    brings it back, with the mail delivered while ewsgate was down and what follows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DOMParser } from '@xmldom/xmldom';
import { ConfigError, loadConfig } from '../src/config.js';
import { pushUrlAllowed } from '../src/notify/push.js';
import type { TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { startRedis, type RedisServer } from './harness/redis.js';
import { codes, M } from './support/gateway.js';
import {
  addPushUser,
  deliverLmtp,
  did,
  eventsOf,
  soap,
  startNotifyGateway,
  subscribe,
  subscribeBody,
  waitUntil,
  type EventInfo,
  type NotifyGateway,
} from './notify-support.js';

/** A client's push listener: records the events of every SendNotification, answers OK. */
class Listener {
  server!: Server;
  url = '';
  events: EventInfo[] = [];
  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.events.push(...eventsOf(new DOMParser().parseFromString(body, 'text/xml')));
        res.writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8' });
        res.end(
          `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><SendNotificationResult xmlns="${M}"><SubscriptionStatus>OK</SubscriptionStatus></SendNotificationResult></soap:Body></soap:Envelope>`,
        );
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

describe('push callback URLs (EWSGATE_PUSH_URL_ALLOW)', () => {
  test('prefixes compare normalized URLs; host names match exactly, or as subdomains with a leading dot', () => {
    const allow = ['https://hooks.example.test/ews/', 'crm.example.test', '.apps.example.test'];
    assert.equal(pushUrlAllowed('https://hooks.example.test/ews/cb?x=1', allow), true);
    assert.equal(pushUrlAllowed('https://HOOKS.example.test:443/ews/cb', allow), true);
    assert.equal(pushUrlAllowed('https://hooks.example.test/other', allow), false);
    assert.equal(pushUrlAllowed('http://hooks.example.test/ews/cb', allow), false);
    assert.equal(pushUrlAllowed('https://hooks.example.test.evil.test/ews/', allow), false);
    assert.equal(pushUrlAllowed('http://crm.example.test:8080/x', allow), true);
    assert.equal(pushUrlAllowed('http://evil-crm.example.test/x', allow), false);
    assert.equal(pushUrlAllowed('http://a.apps.example.test/x', allow), true);
    assert.equal(pushUrlAllowed('http://user:pw@crm.example.test/x', allow), false);
    assert.equal(pushUrlAllowed('ftp://crm.example.test/x', allow), false);
    assert.equal(pushUrlAllowed('http://anything.test/x', []), true);
  });

  test('a malformed allow list is a configuration error', () => {
    assert.throws(
      () => loadConfig({ env: { EWSGATE_PUSH_URL_ALLOW: 'https://ok.test/, not a host' } }),
      (e: unknown) => e instanceof ConfigError && /EWSGATE_PUSH_URL_ALLOW/.test(e.message),
    );
    assert.deepEqual(loadConfig({ env: { EWSGATE_PUSH_URL_ALLOW: 'https://ok.test/x/, crm.test' } }).pushUrlAllow, ['https://ok.test/x/', 'crm.test']);
  });

  let g: NotifyGateway;
  let user: TestUser;
  let listener: Listener;
  before(async () => {
    listener = await new Listener().start();
    g = await startNotifyGateway({ push: true, flags: { pushUrlAllow: `${listener.url}/allowed/` } });
    user = await addPushUser(g.backends, g.eventsUrl);
  });
  after(async () => {
    await g?.close();
    await listener?.stop();
  });

  test('Subscribe refuses a URL outside the list with ErrorInvalidPushSubscriptionUrl and accepts one inside', async () => {
    const refused = await soap(g, user, subscribeBody('Push', { url: `${listener.url}/elsewhere` }));
    assert.deepEqual(codes(refused.doc), ['ErrorInvalidPushSubscriptionUrl']);
    const internal = await soap(g, user, subscribeBody('Push', { url: 'http://169.254.169.254/latest/meta-data/' }));
    assert.deepEqual(codes(internal.doc), ['ErrorInvalidPushSubscriptionUrl']);
    const ok = await subscribe(g, user, 'Push', { url: `${listener.url}/allowed/cb` });
    assert.deepEqual(codes(ok.reply.doc), ['NoError']);
    await waitUntil(() => listener.events.some((e) => e.kind === 'StatusEvent') || undefined);
    await soap(g, user, `<m:Unsubscribe><m:SubscriptionId>${ok.id}</m:SubscriptionId></m:Unsubscribe>`);
  });
});

describe('push subscriptions across an ewsgate restart (Redis)', () => {
  let redis: RedisServer;
  let g: NotifyGateway;
  let user: TestUser;
  let listener: Listener;
  before(async () => {
    redis = await startRedis();
    listener = await new Listener().start();
  });
  after(async () => {
    await g?.close();
    await listener?.stop();
    await redis?.stop();
  });

  test('the next request after a restart revives the subscription: the mail delivered meanwhile, then new mail', async () => {
    g = await startNotifyGateway({ push: true, flags: { redisUrl: redis.url } });
    const port = Number(new URL(g.url).port);
    user = await addPushUser(g.backends, g.eventsUrl);
    await withImap(g.backends, user, async (c) => {
      await c.list();
    });
    await subscribe(g, user, 'Push', { url: `${listener.url}/cb`, types: ['NewMailEvent'], frequency: 30 });
    await waitUntil(() => listener.events.some((e) => e.kind === 'StatusEvent') || undefined);
    await g.close();
    await deliverLmtp(g.backends, user.email, 'while ewsgate was down');
    g = await startNotifyGateway({ push: true, port, backends: g.backends, flags: { redisUrl: redis.url } });
    assert.equal(listener.events.filter((e) => e.kind === 'NewMailEvent').length, 0);
    // Any request of the user: the new process learns the credentials it needs.
    const r = await soap(
      g,
      user,
      `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${did('inbox')}</m:FolderIds></m:GetFolder>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError']);
    await waitUntil(() => listener.events.filter((e) => e.kind === 'NewMailEvent').length >= 1 || undefined, 15_000);
    await deliverLmtp(g.backends, user.email, 'after the restart');
    await waitUntil(() => listener.events.filter((e) => e.kind === 'NewMailEvent').length >= 2 || undefined, 15_000);
    const ids = listener.events.filter((e) => e.kind === 'NewMailEvent').map((e) => e.itemId);
    assert.equal(new Set(ids).size, ids.length, 'no mail reported twice');
  });
});
