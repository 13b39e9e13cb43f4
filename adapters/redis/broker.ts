// The notification broker on Redis (EWSGATE_REDIS_URL): several ewsgate instances share
// streaming subscriptions, their event queues and Unsubscribe (src/notify/broker.ts has
// the model). Per subscription key K:
//   ewsgate:own:K    the owning instance's id, a lease (PX) the owner renews
//   ewsgate:act:K    exists while the subscription is alive (PX idle time, refreshed by connections)
//   ewsgate:q:K      its queue, a list of JSON events (RPUSH by the owner, LPOP count by the reader)
//   ewsgate:miss:K   set when events were dropped (queue full): the reader answers ErrorMissedNotificationEvents
//   ewsgate:unsub:K  Unsubscribe tombstone
//   ewsgate:push:U   a user's push subscriptions: K → {id, last watermark delivered}, so that
//                    an instance (a restarted one too) can go on with them (no credentials
//                    are stored: it does so at the user's next request)
// and ewsgate:epoch, a random value set once per Redis lifetime: when it changes, Redis
// lost everything (restart without persistence) and every instance reports the gap.
// Wake-ups, Dovecot POSTs and Unsubscribes are broadcast on pub/sub channels; a missed
// broadcast costs latency only (queues are read on every attach, Dovecot gaps are found by
// the next POST's UIDs or the stream's periodic check). The multi-step updates are Lua
// scripts, so each is atomic. Keys are built inside scripts: one Redis, not a cluster.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { BrokerLimits, BrokerListener, Claim, NotifyBroker } from '../../src/notify/broker.js';
import { decodeEvent, encodeEvent } from '../../src/notify/broker.js';
import type { DovecotEvents } from '../../src/notify/hub.js';
import type { NotifyEvent } from '../../src/notify/model.js';
import type { Logger } from '../../src/server/log.js';

const P = 'ewsgate:';
const CH_WAKE = `${P}wake`;
const CH_DOVECOT = `${P}dovecot`;
const CH_UNSUB = `${P}unsub`;

/** KEYS own, act; ARGV me, ownTtl, idleMs. */
const CLAIM = `
local o = redis.call('GET', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
if o == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'new'
end
if o == ARGV[1] then return 'mine' end
return 'other'`;

/** KEYS epoch; ARGV epoch, me, ownTtl, key... → -1 (Redis lost its data) or per key 1 renewed, 0 owned by another, 2 expired. */
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {-1} end
local out = {}
for i = 4, #ARGV do
  local own = '${P}own:' .. ARGV[i]
  local o = redis.call('GET', own)
  if o and o ~= ARGV[2] then out[#out + 1] = 0
  elseif redis.call('EXISTS', '${P}act:' .. ARGV[i]) == 0 then out[#out + 1] = 2
  else redis.call('SET', own, ARGV[2], 'PX', ARGV[3]); out[#out + 1] = 1 end
end
return out`;

/** KEYS q, miss; ARGV max, ttl, event... */
const APPEND = `
local room = tonumber(ARGV[1]) - redis.call('LLEN', KEYS[1])
for i = 3, #ARGV do
  if room > 0 then redis.call('RPUSH', KEYS[1], ARGV[i]); room = room - 1
  else redis.call('SET', KEYS[2], '1', 'PX', ARGV[2]) end
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS own; ARGV me: deletes the lease only when it is ours. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;

/** KEYS q, miss; ARGV count. */
const TAKE = `
local evs = redis.call('LPOP', KEYS[1], ARGV[1])
local m = redis.call('GETDEL', KEYS[2])
return {evs or {}, m or ''}`;

export interface RedisBrokerOptions {
  /** How long the owner's lease lasts unrenewed (another instance takes over after it). */
  ownerTtlMs?: number;
}

export class RedisBroker implements NotifyBroker {
  readonly shared = true;
  /** This process among the instances. */
  readonly instance = randomBytes(9).toString('base64url');
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private listener?: BrokerListener;
  private limits: BrokerLimits = { idleMs: 30 * 60_000, maxQueued: 1000 };
  private epoch = '';
  private readonly ownerTtlMs: number;
  private closed = false;

  constructor(
    url: string,
    private readonly log: Logger,
    opts: RedisBrokerOptions = {},
  ) {
    this.ownerTtlMs = opts.ownerTtlMs ?? 30_000;
    // Few retries per command: a request waiting on Redis fails in seconds, not minutes.
    const common = { maxRetriesPerRequest: 2, lazyConnect: true, retryStrategy: (n: number) => Math.min(50 * n, 1000) };
    this.cmd = new Redis(url, common);
    this.sub = new Redis(url, { ...common, autoResubscribe: true });
    for (const c of [this.cmd, this.sub]) c.on('error', (e) => this.log.debug('redis', { error: (e as Error).message }));
  }

  get ownerTtl(): number {
    return this.ownerTtlMs;
  }

  async start(listener: BrokerListener, limits: BrokerLimits): Promise<void> {
    this.listener = listener;
    this.limits = limits;
    await this.cmd.connect();
    await this.sub.connect();
    this.epoch = await this.currentEpoch();
    this.sub.on('message', (channel: string, message: string) => this.onMessage(channel, message));
    await this.sub.subscribe(CH_WAKE, CH_DOVECOT, CH_UNSUB);
    // After a reconnect: is it the same Redis, with the same contents?
    this.cmd.on('ready', () => void this.checkEpoch());
    this.sub.on('ready', () => void this.checkEpoch());
  }

  private async currentEpoch(): Promise<string> {
    await this.cmd.set(`${P}epoch`, randomBytes(9).toString('base64url'), 'NX');
    return (await this.cmd.get(`${P}epoch`)) ?? '';
  }

  private checking?: Promise<void>;

  /** Both connections come back after a restart: one check at a time, so the loss is reported once. */
  private checkEpoch(): Promise<void> {
    this.checking ??= this.compareEpoch().finally(() => (this.checking = undefined));
    return this.checking;
  }

  private async compareEpoch(): Promise<void> {
    if (this.closed || !this.epoch) return;
    try {
      const now = await this.currentEpoch();
      if (now === this.epoch) return;
      this.epoch = now;
      this.log.info('redis lost its notification state; reporting missed events', {});
      this.listener?.lost();
    } catch (e) {
      this.log.debug('redis epoch check failed', { error: (e as Error).message });
    }
  }

  private onMessage(channel: string, message: string): void {
    const l = this.listener;
    if (!l) return;
    if (channel === CH_WAKE) l.wake(message);
    else if (channel === CH_UNSUB) l.unsubscribed(message);
    else if (channel === CH_DOVECOT) {
      const i = message.indexOf(' ');
      if (message.slice(0, i) === this.instance) return; // our own relay: handled already
      try {
        l.dovecot(JSON.parse(message.slice(i + 1)) as DovecotEvents);
      } catch (e) {
        this.log.error('relayed Dovecot events unreadable', { error: (e as Error).message });
      }
    }
  }

  async unsubscribe(key: string, ttlMs: number): Promise<void> {
    await this.cmd
      .multi()
      .set(`${P}unsub:${key}`, '1', 'PX', Math.max(1, Math.round(ttlMs)))
      .del(`${P}own:${key}`, `${P}act:${key}`, `${P}q:${key}`, `${P}miss:${key}`)
      .publish(CH_UNSUB, key)
      .exec();
  }

  async isUnsubscribed(key: string): Promise<boolean> {
    return (await this.cmd.exists(`${P}unsub:${key}`)) === 1;
  }

  async claim(key: string): Promise<Claim> {
    return (await this.cmd.eval(CLAIM, 2, `${P}own:${key}`, `${P}act:${key}`, this.instance, this.ownerTtlMs, this.limits.idleMs)) as Claim;
  }

  async renew(keys: string[]): Promise<{ lost: string[]; expired: string[] }> {
    const out = { lost: [] as string[], expired: [] as string[] };
    if (!keys.length) return out;
    const r = (await this.cmd.eval(RENEW, 1, `${P}epoch`, this.epoch, this.instance, this.ownerTtlMs, ...keys)) as number[];
    if (r[0] === -1) {
      await this.checkEpoch();
      return out;
    }
    keys.forEach((k, i) => {
      if (r[i] === 0) out.lost.push(k);
      else if (r[i] === 2) out.expired.push(k);
    });
    return out;
  }

  async touch(key: string): Promise<void> {
    await this.cmd.set(`${P}act:${key}`, '1', 'PX', this.limits.idleMs);
  }

  async append(key: string, events: NotifyEvent[]): Promise<void> {
    if (!events.length) return;
    await this.cmd.eval(APPEND, 2, `${P}q:${key}`, `${P}miss:${key}`, this.limits.maxQueued, this.limits.idleMs * 2, ...events.map(encodeEvent));
    await this.cmd.publish(CH_WAKE, key);
  }

  async markMissed(key: string): Promise<void> {
    await this.cmd.set(`${P}miss:${key}`, '1', 'PX', this.limits.idleMs * 2);
    await this.cmd.publish(CH_WAKE, key);
  }

  async take(key: string, max: number): Promise<{ events: NotifyEvent[]; missed: boolean }> {
    const [raw, missed] = (await this.cmd.eval(TAKE, 2, `${P}q:${key}`, `${P}miss:${key}`, max)) as [string[], string];
    const events: NotifyEvent[] = [];
    for (const s of raw) {
      const e = decodeEvent(s);
      if (e) events.push(e);
    }
    return { events, missed: missed !== '' || events.length !== raw.length };
  }

  async putBack(key: string, events: NotifyEvent[]): Promise<void> {
    if (!events.length) return;
    await this.cmd.lpush(`${P}q:${key}`, ...events.map(encodeEvent).reverse());
  }

  async drop(key: string): Promise<void> {
    await this.cmd.del(`${P}own:${key}`, `${P}act:${key}`, `${P}q:${key}`, `${P}miss:${key}`);
  }

  async relay(payload: DovecotEvents): Promise<void> {
    await this.cmd.publish(CH_DOVECOT, `${this.instance} ${JSON.stringify(payload)}`);
  }

  async savePush(user: string, key: string, id: string, watermark: string): Promise<void> {
    await this.cmd.hset(`${P}push:${user}`, key, JSON.stringify({ id, watermark }));
  }

  async pushSubscriptions(user: string): Promise<{ key: string; id: string; watermark: string }[]> {
    const all = await this.cmd.hgetall(`${P}push:${user}`);
    const out: { key: string; id: string; watermark: string }[] = [];
    for (const [key, v] of Object.entries(all)) {
      try {
        const o = JSON.parse(v) as { id?: unknown; watermark?: unknown };
        if (typeof o.id === 'string' && typeof o.watermark === 'string') out.push({ key, id: o.id, watermark: o.watermark });
      } catch {
        // unreadable: skipped, and the subscription is not revived
      }
    }
    return out;
  }

  async forgetPush(user: string, key: string): Promise<void> {
    await this.cmd.hdel(`${P}push:${user}`, key);
  }

  async release(keys: string[]): Promise<void> {
    if (!keys.length) return;
    const m = this.cmd.multi();
    for (const k of keys) m.eval(RELEASE, 1, `${P}own:${k}`, this.instance);
    await m.exec();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cmd.disconnect();
    this.sub.disconnect();
  }
}
