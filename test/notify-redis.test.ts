// Two gateways behind one (imaginary) load balancer sharing one Redis (a private
// redis-server, test/harness/redis.ts) and one Dovecot that pushes to gateway B:
// Subscribe on A, read on B (streaming and pull), exactly once; a stream that moves from
// one gateway to the other loses nothing; Unsubscribe on one is seen by the other; Redis
// restarted under a held stream answers ErrorMissedNotificationEvents, then events flow again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisBroker } from '../adapters/redis/broker.js';
import { subscriptionKey } from '../src/notify/model.js';
import { createLogger } from '../src/server/log.js';
import type { TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { startRedis, type RedisServer } from './harness/redis.js';
import { codes } from './support/gateway.js';
import {
  StreamReader,
  addPushUser,
  codeOf,
  deliverLmtp,
  eventsOf,
  getEventsBody,
  soap,
  startNotifyGateway,
  subscribe,
  subscribeBody,
  waitUntil,
  type NotifyGateway,
} from './notify-support.js';

let redis: RedisServer;
let a: NotifyGateway;
let b: NotifyGateway;
let user: TestUser;

before(async () => {
  redis = await startRedis();
  a = await startNotifyGateway({ push: true, flags: { redisUrl: redis.url } });
  b = await startNotifyGateway({ push: true, backends: a.backends, flags: { redisUrl: redis.url } });
  // Dovecot POSTs to B only: A learns of changes through B's relay.
  user = await addPushUser(a.backends, b.eventsUrl);
  await withImap(a.backends, user, async (c) => {
    await c.list();
  });
});

after(async () => {
  await a?.close();
  await b?.close();
  await redis?.stop();
});

type Ev = ReturnType<typeof eventsOf>[number];

function countBy(evs: Ev[], kind: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of evs) if (e.kind === kind && e.itemId) m.set(e.itemId, (m.get(e.itemId) ?? 0) + 1);
  return m;
}

/** Both gateways listen on Redis's broadcast channels again (after a restart). */
async function bothSubscribed(): Promise<void> {
  const r = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    await waitUntil(async () => {
      const n = (await r.pubsub('NUMSUB', 'ewsgate:dovecot').catch(() => [])) as (string | number)[];
      return Number(n[1] ?? 0) >= 2 || undefined;
    }, 15_000);
  } finally {
    r.disconnect();
  }
}

describe('notifications shared through Redis', () => {
  test('Subscribe on A, stream on B: each delivered message arrives once, produced by A from the POST Dovecot sent to B', async () => {
    const { id } = await subscribe(a, user, 'Streaming');
    const s = new StreamReader(b, user, [id], 30);
    try {
      await waitUntil(() => s.status === 200 || undefined);
      await deliverLmtp(a.backends, user.email, 'shared one');
      await s.waitForEvents((e) => countBy(e, 'NewMailEvent').size >= 1);
      await deliverLmtp(a.backends, user.email, 'shared two');
      const evs = await s.waitForEvents((e) => countBy(e, 'NewMailEvent').size >= 2);
      // Events come in order, so duplicates of the first would have arrived before the second.
      for (const [item, n] of countBy(evs, 'NewMailEvent')) assert.equal(n, 1, `NewMailEvent for ${item} ${n} times`);
      for (const [item, n] of countBy(evs, 'CreatedEvent')) assert.equal(n, 1, `CreatedEvent for ${item} ${n} times`);
      assert.ok(evs.every((e) => e.subscriptionId === id));
      // A produced them (it owns the subscription); B only read them: no second producer.
      assert.equal(a.gateway.notifications.hub.stats().subscriptions, 1);
      assert.equal(b.gateway.notifications.hub.stats().channels, 0);
    } finally {
      s.abort();
    }
  });

  test('a stream that moves from B to A loses nothing: events queued meanwhile are read on A, once', async () => {
    const { id } = await subscribe(a, user, 'Streaming', { types: ['NewMailEvent'] });
    const first = new StreamReader(b, user, [id], 30);
    await waitUntil(() => first.status === 200 || undefined);
    await deliverLmtp(a.backends, user.email, 'before the move');
    await first.waitForEvents((e) => e.length >= 1);
    first.abort();
    await first.waitEnd();
    await deliverLmtp(a.backends, user.email, 'while nobody listens');
    const second = new StreamReader(a, user, [id], 30);
    try {
      await deliverLmtp(a.backends, user.email, 'after the move');
      const evs = await second.waitForEvents((e) => e.length >= 2);
      const all = [...first.docs.flatMap((d) => eventsOf(d)), ...evs];
      const counts = countBy(all, 'NewMailEvent');
      assert.equal(counts.size, 3, JSON.stringify(all.map((e) => e.kind)));
      for (const n of counts.values()) assert.equal(n, 1);
    } finally {
      second.abort();
    }
  });

  test('pull: Subscribe on A, GetEvents on B then A: the message once, then nothing', async () => {
    const sub = await subscribe(a, user, 'Pull', { types: ['NewMailEvent'] });
    await deliverLmtp(a.backends, user.email, 'pulled');
    const r1 = await soap(b, user, getEventsBody(sub.id, sub.watermark!));
    assert.deepEqual(codes(r1.doc), ['NoError'], r1.text.slice(0, 1500));
    const e1 = eventsOf(r1.doc);
    assert.deepEqual(
      e1.map((e) => e.kind),
      ['NewMailEvent'],
    );
    const r2 = await soap(a, user, getEventsBody(sub.id, e1[0].watermark!));
    assert.deepEqual(
      eventsOf(r2.doc).map((e) => e.kind),
      ['StatusEvent'],
    );
  });

  test('Unsubscribe on B ends a subscription made on A, everywhere', async () => {
    const { id } = await subscribe(a, user, 'Streaming');
    const held = new StreamReader(a, user, [id], 30);
    await waitUntil(() => held.status === 200 || undefined);
    const r = await soap(b, user, `<m:Unsubscribe><m:SubscriptionId>${id}</m:SubscriptionId></m:Unsubscribe>`);
    assert.deepEqual(codes(r.doc), ['NoError']);
    await held.waitEnd();
    const again = new StreamReader(a, user, [id], 1);
    await again.waitEnd();
    assert.equal(codeOf(again.docs[0]), 'ErrorSubscriptionNotFound');
  });

  test('Redis restarted under a held stream: ErrorMissedNotificationEvents, then events flow again', async () => {
    const { id } = await subscribe(a, user, 'Streaming', { types: ['NewMailEvent'] });
    const s = new StreamReader(b, user, [id], 30);
    try {
      await waitUntil(() => s.status === 200 || undefined);
      await redis.kill();
      await redis.start();
      const err = await s.waitFor((d) => codeOf(d) === 'ErrorMissedNotificationEvents', 20_000);
      assert.ok(err);
      await bothSubscribed();
      await deliverLmtp(a.backends, user.email, 'after redis came back');
      const evs = await s.waitForEvents((e) => e.some((x) => x.kind === 'NewMailEvent'), 20_000);
      assert.equal(countBy(evs, 'NewMailEvent').size, 1);
      for (const n of countBy(evs, 'NewMailEvent').values()) assert.equal(n, 1);
    } finally {
      s.abort();
    }
  });

  test('an owner that dies without a word: after its lease, the instance a stream reaches takes the subscription over', async () => {
    const logLines: string[] = [];
    const log = createLogger('debug', (l) => logLines.push(l));
    const c = await startNotifyGateway({
      push: true,
      backends: a.backends,
      flags: { redisUrl: redis.url },
      notify: { broker: new RedisBroker(redis.url, log, { ownerTtlMs: 600 }) },
    });
    const { id } = await subscribe(c, user, 'Streaming', { types: ['NewMailEvent', 'ModifiedEvent'] });
    // A crash: its Redis connections go first, so nothing is released on the way down.
    await c.gateway.notifications.hub.broker.close();
    await c.close();
    const r = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const key = subscriptionKey(id);
      await waitUntil(async () => ((await r.exists(`ewsgate:own:${key}`)) === 0 ? true : undefined), 10_000);
    } finally {
      r.disconnect();
    }
    const s = new StreamReader(b, user, [id], 30);
    try {
      // Rebuilt: what happened meanwhile cannot be known, so the folder is to be resynchronized.
      await s.waitForEvents((e) => e.some((x) => x.kind === 'ModifiedEvent' && !!x.folderId));
      await deliverLmtp(a.backends, user.email, 'after the takeover');
      const evs = await s.waitForEvents((e) => e.some((x) => x.kind === 'NewMailEvent'));
      assert.equal(countBy(evs, 'NewMailEvent').size, 1);
      assert.equal(b.gateway.notifications.hub.stats().subscriptions, 1, 'B produces for it now');
    } finally {
      s.abort();
    }
  });

  test('Redis down: a streaming Subscribe answers ErrorInternalServerTransientError, a pull one still works', async () => {
    await redis.kill();
    try {
      const r = await soap(a, user, subscribeBody('Streaming'));
      assert.deepEqual(codes(r.doc), ['ErrorInternalServerTransientError'], r.text.slice(0, 1500));
      const pull = await soap(a, user, subscribeBody('Pull'));
      assert.deepEqual(codes(pull.doc), ['NoError'], pull.text.slice(0, 1500));
    } finally {
      await redis.start();
    }
    await bothSubscribed();
  });
});
