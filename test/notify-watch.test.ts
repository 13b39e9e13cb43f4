// Notifications without Dovecot push: one IMAP watcher per user (IDLE on INBOX, NOTIFY
// or else STATUS polling for the rest, MODSEQ diffs on its own connection), at most one
// backend connection per user however many streams it has; and both sources with Dovecot
// restarted under held streams (this file runs its own Dovecot, to restart it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { startBackends, type Backends, type TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { ImapWatcherFactory } from '../adapters/imap/watcher.js';
import { StreamReader, addPushUser, deliverLmtp, did, rawMessage, startNotifyGateway, subscribe, waitUntil, type NotifyGateway } from './notify-support.js';

let b: Backends;
/** Polls the other folders, as for a server without NOTIFY. */
let watch: NotifyGateway;
/** Uses Dovecot's NOTIFY, and would poll only once an hour. */
let notifyWatch: NotifyGateway;
let push: NotifyGateway;
let restarted: ReturnType<typeof spawn> | undefined;

before(async () => {
  b = await startBackends();
  const endpoint = { host: '127.0.0.1', port: Number(new URL(b.imapUrl).port), secure: false };
  watch = await startNotifyGateway({
    backends: b,
    push: false,
    notify: { pollMs: 300, heartbeatMs: 60_000, minuteMs: 60_000, watcher: new ImapWatcherFactory(endpoint, { useNotify: false }) },
  });
  notifyWatch = await startNotifyGateway({ backends: b, push: false, notify: { pollMs: 3_600_000, heartbeatMs: 60_000, minuteMs: 60_000 } });
  push = await startNotifyGateway({ backends: b, push: true, notify: { heartbeatMs: 60_000, minuteMs: 60_000 } });
});

after(async () => {
  await watch?.close();
  await notifyWatch?.close();
  await push?.close();
  if (restarted?.pid && restarted.exitCode === null) await stopDovecot(restarted.pid);
  await b?.stop();
});

const alive = (p: number) => {
  try {
    process.kill(p, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Stops a Dovecot master we started and its children, each by its pid: left alone, the
 * imap sessions outlive the master and keep their connections (shutdown_clients did not
 * end them here).
 */
async function stopDovecot(pid: number): Promise<void> {
  let children: number[] = [];
  try {
    children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    /* gone already */
  }
  for (const p of [pid, ...children]) {
    try {
      process.kill(p, 'SIGTERM');
    } catch {
      /* gone already */
    }
  }
  await waitUntil(() => ([pid, ...children].some(alive) ? undefined : true), 10_000);
}

async function freshUser(eventsUrl?: string): Promise<TestUser> {
  const u = await addPushUser(b, eventsUrl);
  await withImap(b, u, async (c) => void (await c.list()));
  return u;
}

const logs = (g: NotifyGateway) => g.logLines.filter((l) => /watcher|notification|diff/.test(l)).slice(-20).join('\n');

describe('IMAP watcher', () => {
  test('an APPEND to INBOX arrives through IDLE; one watcher connection serves three streams of the user', async () => {
    const user = await freshUser();
    const subs = await Promise.all([0, 1, 2].map(() => subscribe(watch, user, 'Streaming')));
    const streams = subs.map((s) => new StreamReader(watch, user, [s.id], 1));
    try {
      await waitUntil(() => (watch.gateway.notifications.hub.stats().watcherConnections >= 1 ? true : undefined), 5000);
      const t0 = Date.now();
      await withImap(b, user, async (c) => void (await c.append('INBOX', rawMessage('idle ring'), [])));
      for (const s of streams) await s.waitForEvents((e) => e.some((x) => x.kind === 'NewMailEvent'), 10_000).catch((e) => assert.fail(`${e}\n${logs(watch)}`));
      const ms = Date.now() - t0;
      assert.ok(ms < 5000, `took ${ms} ms`);
      assert.equal(watch.gateway.notifications.hub.stats().watcherConnections, 1);
    } finally {
      for (const s of streams) s.abort();
    }
  });

  test('a change in another folder arrives through polling; folder creation too', async () => {
    const user = await freshUser();
    const { id } = await subscribe(watch, user, 'Streaming', { all: true });
    const s = new StreamReader(watch, user, [id], 1);
    try {
      await waitUntil(() => (s.status === 200 ? true : undefined));
      await new Promise((r) => setTimeout(r, 500));
      await withImap(b, user, async (c) => {
        await c.mailboxCreate('Polled');
        await c.append('Polled', rawMessage('in another folder'), []);
        await c.append('Archive', rawMessage('archived'), ['\\Seen']);
      });
      const evs = await s.waitForEvents((e) => e.some((x) => x.kind === 'CreatedEvent' && !!x.folderId) && e.filter((x) => x.kind === 'CreatedEvent' && !!x.itemId).length >= 2, 10_000);
      assert.ok(evs.some((e) => e.kind === 'NewMailEvent'), JSON.stringify(evs));
    } finally {
      s.abort();
    }
  });

  test('with NOTIFY, changes in other folders and a folder created and renamed arrive without polling', async () => {
    const user = await freshUser();
    const { id } = await subscribe(notifyWatch, user, 'Streaming', { all: true });
    const s = new StreamReader(notifyWatch, user, [id], 1);
    try {
      await waitUntil(() => (s.status === 200 && notifyWatch.gateway.notifications.hub.stats().watcherConnections >= 1 ? true : undefined), 5000);
      await new Promise((r) => setTimeout(r, 500));
      await withImap(b, user, async (c) => {
        await c.append('Archive', rawMessage('archived under NOTIFY'), []);
        await c.mailboxCreate('Notified');
      });
      const created = await s
        .waitForEvents((e) => e.some((x) => x.kind === 'NewMailEvent') && e.some((x) => x.kind === 'CreatedEvent' && !!x.folderId), 10_000)
        .catch((e) => assert.fail(`${e}\n${logs(notifyWatch)}`));
      assert.ok(created.some((x) => x.kind === 'CreatedEvent' && !!x.itemId), JSON.stringify(created));
      const folderId = created.find((x) => x.kind === 'CreatedEvent' && x.folderId)!.folderId;
      await withImap(b, user, async (c) => {
        await c.mailboxOpen('Archive');
        await c.messageFlagsAdd('1:*', ['\\Flagged']);
        await c.mailboxRename('Notified', 'Notified again');
      });
      await s
        .waitForEvents((e) => e.some((x) => x.kind === 'ModifiedEvent' && !!x.itemId) && e.some((x) => x.kind === 'ModifiedEvent' && x.folderId === folderId), 10_000)
        .catch((e) => assert.fail(`${e}\n${logs(notifyWatch)}`));
      assert.equal(notifyWatch.gateway.notifications.hub.stats().watcherConnections, 1);
    } finally {
      s.abort();
    }
  });

  test('pull subscriptions need no watcher: GetEvents alone finds the changes', async () => {
    const user = await freshUser();
    const before = watch.gateway.notifications.hub.stats().watcherConnections;
    const sub = await subscribe(watch, user, 'Pull', { folders: [did('inbox')] });
    await withImap(b, user, async (c) => void (await c.append('INBOX', rawMessage('pulled'), [])));
    const { soap, getEventsBody, eventsOf } = await import('./notify-support.js');
    const r = await soap(watch, user, getEventsBody(sub.id, sub.watermark!));
    assert.ok(eventsOf(r.doc).some((e) => e.kind === 'NewMailEvent'), r.text.slice(0, 1500));
    assert.ok(watch.gateway.notifications.hub.stats().watcherConnections <= before);
  });
});

describe('Dovecot restarted under held streams', () => {
  test('the watcher reconnects and reports what arrived while it was away; Dovecot push resumes by itself', async () => {
    const wUser = await freshUser();
    const pUser = await freshUser(push.eventsUrl);
    const w = await subscribe(watch, wUser, 'Streaming');
    const p = await subscribe(push, pUser, 'Streaming');
    const ws = new StreamReader(watch, wUser, [w.id], 1);
    const ps = new StreamReader(push, pUser, [p.id], 1);
    try {
      await waitUntil(() => (ws.status === 200 && ps.status === 200 ? true : undefined));
      await waitUntil(() => (watch.gateway.notifications.hub.stats().watcherConnections >= 1 ? true : undefined), 5000);
      // Stop Dovecot (every IMAP connection drops), then start it again.
      await stopDovecot(Number(fs.readFileSync(path.join(b.dir, 'dovecot-run', 'master.pid'), 'utf8').trim()));
      restarted = spawn('/usr/sbin/dovecot', ['-c', b.dovecotConf, '-F'], { stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' } });
      await waitUntil(async () => {
        try {
          await withImap(b, wUser, async () => undefined);
          return true;
        } catch {
          return undefined;
        }
      }, 10_000);
      // Delivered at once, likely before the watcher has reconnected.
      await deliverLmtp(b, wUser.email, 'while the watcher reconnects');
      await deliverLmtp(b, pUser.email, 'after the restart');
      await ws.waitForEvents((e) => e.some((x) => x.kind === 'NewMailEvent'), 20_000).catch((e) => assert.fail(`${e}\n${logs(watch)}`));
      await ps.waitForEvents((e) => e.some((x) => x.kind === 'NewMailEvent'), 10_000);
      assert.ok(watch.logLines.some((l) => /watcher connection lost/.test(l)), `the loss was noticed:\n${watch.logLines.slice(-30).join('\n')}`);
    } finally {
      ws.abort();
      ps.abort();
    }
  });
});
