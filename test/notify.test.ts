// Subscriptions and notifications against real Dovecot, with Dovecot pushing its events
// through the Lua driver (examples/dovecot/ewsgate-push.lua) to the gateway: streaming
// (events, keep-alives, ConnectionTimeout, several subscriptions, byte cap, reconnects,
// errors), pull (GetEvents from MODSEQ, watermarks, paging, a gateway restart between
// Subscribe and GetEvents) and Unsubscribe; and the event endpoint's refusals.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { withImap } from './harness/clients.js';
import { M, T, all, codes, text } from './support/gateway.js';
import {
  EVENTS_SECRET,
  StreamReader,
  addPushUser,
  codeOf,
  connectionStatus,
  deliverLmtp,
  did,
  eventsOf,
  getEventsBody,
  rawMessage,
  soap,
  startNotifyGateway,
  subscribe,
  waitUntil,
  type NotifyGateway,
} from './notify-support.js';

let g: NotifyGateway;
let user: TestUser;

before(async () => {
  g = await startNotifyGateway({ push: true, notify: { heartbeatMs: 300, maxStreamBytes: 64 * 1024 } });
  user = await addPushUser(g.backends, g.eventsUrl);
  // First login creates the mailbox (and its special-use folders).
  await withImap(g.backends, user, async (c) => {
    await c.list();
  });
});

after(async () => {
  await g?.close();
});

describe('streaming (Dovecot push)', () => {
  test('a message delivered by LMTP arrives as CreatedEvent + NewMailEvent and a ModifiedEvent of the inbox, readable by GetItem', async () => {
    const { id } = await subscribe(g, user, 'Streaming');
    const s = new StreamReader(g, user, [id], 10);
    try {
      await waitUntil(() => s.status === 200 || undefined);
      assert.equal(s.contentType, 'text/xml; charset=utf-8');
      await deliverLmtp(g.backends, user.email, 'streamed hello');
      const evs = await s.waitForEvents((e) => e.some((x) => x.kind === 'NewMailEvent'));
      const newMail = evs.find((e) => e.kind === 'NewMailEvent')!;
      assert.ok(evs.some((e) => e.kind === 'CreatedEvent' && e.itemId === newMail.itemId));
      const folderMod = evs.find((e) => e.kind === 'ModifiedEvent' && e.folderId);
      assert.ok(folderMod, 'ModifiedEvent for the inbox');
      assert.equal(folderMod!.folderId, newMail.parentFolderId);
      assert.ok((folderMod!.unreadCount ?? 0) >= 1);
      assert.equal(newMail.subscriptionId, id);
      const item = await soap(g, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${newMail.itemId}"/></m:ItemIds></m:GetItem>`);
      assert.deepEqual(codes(item.doc), ['NoError'], item.text.slice(0, 1500));
      assert.equal(text(item.doc, 'Subject'), 'streamed hello');
    } finally {
      s.abort();
    }
  });

  test('flags and expunges made over IMAP arrive as ModifiedEvent and DeletedEvent', async () => {
    const { id } = await subscribe(g, user, 'Streaming');
    const s = new StreamReader(g, user, [id], 10);
    try {
      const uid = await withImap(g.backends, user, async (c) => ((await c.append('INBOX', rawMessage('to flag'), [])) as { uid: number }).uid);
      await s.waitForEvents((e) => e.some((x) => x.kind === 'CreatedEvent'));
      const before = s.docs.length;
      await withImap(g.backends, user, async (c) => {
        await c.mailboxOpen('INBOX');
        await c.messageFlagsAdd(String(uid), ['\\Flagged'], { uid: true });
        await c.messageDelete(String(uid), { uid: true });
      });
      await s.waitForEvents((e) => e.some((x) => x.kind === 'DeletedEvent'));
      const later = s.docs.slice(before).flatMap((d) => eventsOf(d));
      const created = eventsOf(s.docs[0]).concat(s.docs.flatMap((d) => eventsOf(d))).find((e) => e.kind === 'CreatedEvent')!;
      assert.ok(later.some((e) => e.kind === 'ModifiedEvent' && e.itemId === created.itemId), JSON.stringify(later));
      assert.ok(later.some((e) => e.kind === 'DeletedEvent' && e.itemId === created.itemId), JSON.stringify(later));
    } finally {
      s.abort();
    }
  });

  test('folder create, rename and delete reach a SubscribeToAllFolders subscription', async () => {
    const { id } = await subscribe(g, user, 'Streaming', { all: true });
    const s = new StreamReader(g, user, [id], 10);
    try {
      await waitUntil(() => s.status === 200 || undefined);
      await withImap(g.backends, user, async (c) => {
        await c.mailboxCreate('Stream-Folder');
      });
      const created = (await s.waitForEvents((e) => e.some((x) => x.kind === 'CreatedEvent' && !!x.folderId))).find((e) => e.kind === 'CreatedEvent' && e.folderId)!;
      await withImap(g.backends, user, async (c) => {
        await c.mailboxRename('Stream-Folder', 'Stream-Renamed');
      });
      await s.waitForEvents((e) => e.some((x) => x.kind === 'ModifiedEvent' && x.folderId === created.folderId));
      await withImap(g.backends, user, async (c) => {
        await c.mailboxCreate('Projects-Stream');
        await c.mailboxRename('Stream-Renamed', 'Projects-Stream/Stream-Renamed');
      });
      const moved = (await s.waitForEvents((e) => e.some((x) => x.kind === 'MovedEvent' && x.folderId === created.folderId))).find((e) => e.kind === 'MovedEvent')!;
      assert.ok(moved.oldParentFolderId && moved.oldParentFolderId !== moved.parentFolderId);
      await withImap(g.backends, user, async (c) => {
        await c.mailboxDelete('Projects-Stream/Stream-Renamed');
      });
      await s.waitForEvents((e) => e.some((x) => x.kind === 'DeletedEvent' && x.folderId === created.folderId));
    } finally {
      s.abort();
    }
  });

  test('several subscriptions on one connection, each event under its own SubscriptionId; keep-alives in between', async () => {
    const a = await subscribe(g, user, 'Streaming', { types: ['NewMailEvent'] });
    const b = await subscribe(g, user, 'Streaming', { types: ['CreatedEvent'] });
    const s = new StreamReader(g, user, [a.id, b.id], 10);
    try {
      const ka = await s.waitFor((d) => connectionStatus(d) === 'OK' && eventsOf(d).length === 0, 5000);
      assert.equal(all(ka, 'ResponseCode', M)[0]?.textContent, 'NoError');
      await deliverLmtp(g.backends, user.email, 'two subscriptions');
      const evs = await s.waitForEvents((e) => e.some((x) => x.subscriptionId === a.id) && e.some((x) => x.subscriptionId === b.id));
      assert.ok(evs.filter((e) => e.subscriptionId === a.id).every((e) => e.kind === 'NewMailEvent'));
      assert.ok(evs.filter((e) => e.subscriptionId === b.id).every((e) => e.kind === 'CreatedEvent'));
    } finally {
      s.abort();
    }
  });

  test('ConnectionTimeout ends the response with ConnectionStatus Closed', async () => {
    const { id } = await subscribe(g, user, 'Streaming');
    const t0 = Date.now();
    const s = new StreamReader(g, user, [id], 1); // one "minute" = 1 s here
    await s.waitEnd(8000);
    const last = s.docs[s.docs.length - 1];
    assert.equal(connectionStatus(last), 'Closed');
    assert.ok(Date.now() - t0 >= 900);
  });

  test('a client that goes away mid-stream finds the events on its next connection with the same id', async () => {
    const { id } = await subscribe(g, user, 'Streaming', { types: ['NewMailEvent'] });
    const s1 = new StreamReader(g, user, [id], 10);
    await waitUntil(() => s1.status === 200 || undefined);
    s1.abort();
    await s1.done;
    await waitUntil(() => (g.gateway.notifications.hub.streams.size === 0 ? true : undefined), 5000);
    await deliverLmtp(g.backends, user.email, 'while away');
    await new Promise((r) => setTimeout(r, 300));
    const s2 = new StreamReader(g, user, [id], 10);
    try {
      await s2.waitForEvents((e) => e.some((x) => x.kind === 'NewMailEvent'));
    } finally {
      s2.abort();
    }
  });

  test('a response is capped in bytes: it closes, and the rest follows on the next connection', async () => {
    const { id } = await subscribe(g, user, 'Streaming', { types: ['CreatedEvent'] });
    // Nobody listens: the events queue up.
    const n = 400; // ~ 400 × 300 bytes of events > the 64 KiB cap of this gateway
    await withImap(g.backends, user, async (c) => {
      for (let i = 0; i < n; i++) await c.append('INBOX', rawMessage(`bulk ${i}`), ['\\Seen']);
    });
    await new Promise((r) => setTimeout(r, 500));
    let got = 0;
    let connections = 0;
    while (got < n && connections < 20) {
      connections++;
      const s = new StreamReader(g, user, [id], 1);
      await s.waitEnd(10_000);
      got += s.docs.flatMap((d) => eventsOf(d)).filter((e) => e.kind === 'CreatedEvent').length;
      assert.ok(s.raw.join('').length < 64 * 1024 + 16 * 1024, 'a response stays near the cap');
      assert.equal(connectionStatus(s.docs[s.docs.length - 1]), 'Closed');
    }
    assert.equal(got, n);
    assert.ok(connections >= 2, 'more than one response was needed');
  });
});

describe('streaming errors', () => {
  test('malformed, forged and unknown ids; another user\u2019s; a mix closes with ErrorSubscriptionIds', async () => {
    const good = await subscribe(g, user, 'Streaming');
    const other = await addPushUser(g.backends);
    const theirs = await subscribe(g, other, 'Streaming');
    const forged = good.id.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    const cases: [string[], string, string[]][] = [
      [['not-a-subscription'], 'ErrorInvalidSubscription', ['not-a-subscription']],
      [[forged], 'ErrorSubscriptionNotFound', [forged]],
      [[theirs.id], 'ErrorSubscriptionAccessDenied', [theirs.id]],
      [[good.id, forged], 'ErrorSubscriptionNotFound', [forged]],
    ];
    for (const [ids, code, errIds] of cases) {
      const s = new StreamReader(g, user, ids, 1);
      await s.waitEnd(5000);
      assert.equal(s.docs.length, 1, s.raw.join('\n'));
      const d = s.docs[0];
      assert.equal(codeOf(d), code);
      assert.equal(all(d, 'GetStreamingEventsResponseMessage', M)[0].getAttribute('ResponseClass'), 'Error');
      assert.deepEqual(all(all(d, 'ErrorSubscriptionIds', M)[0], 'SubscriptionId', M).map((e) => e.textContent), errIds);
      assert.equal(connectionStatus(d), 'Closed');
    }
    // A pull id is not a streaming one.
    const pull = await subscribe(g, user, 'Pull');
    const s = new StreamReader(g, user, [pull.id], 1);
    await s.waitEnd(5000);
    assert.equal(codeOf(s.docs[0]), 'ErrorInvalidSubscription');
  });

  test('ConnectionTimeout out of range and no ids are schema errors', async () => {
    const { id } = await subscribe(g, user, 'Streaming');
    for (const body of [
      `<m:GetStreamingEvents><m:SubscriptionIds><t:SubscriptionId>${id}</t:SubscriptionId></m:SubscriptionIds><m:ConnectionTimeout>31</m:ConnectionTimeout></m:GetStreamingEvents>`,
      `<m:GetStreamingEvents><m:SubscriptionIds></m:SubscriptionIds><m:ConnectionTimeout>1</m:ConnectionTimeout></m:GetStreamingEvents>`,
    ]) {
      const r = await soap(g, user, body);
      assert.equal(r.status, 500);
      assert.match(r.text, /ErrorSchemaValidation/);
    }
  });

  test('Unsubscribe ends a held connection; the id is then ErrorSubscriptionNotFound', async () => {
    const { id } = await subscribe(g, user, 'Streaming');
    const s = new StreamReader(g, user, [id], 10);
    await waitUntil(() => s.status === 200 || undefined);
    await new Promise((r) => setTimeout(r, 100));
    const r = await soap(g, user, `<m:Unsubscribe><m:SubscriptionId>${id}</m:SubscriptionId></m:Unsubscribe>`);
    assert.deepEqual(codes(r.doc), ['NoError']);
    await s.waitEnd(5000);
    assert.equal(connectionStatus(s.docs[s.docs.length - 1]), 'Closed');
    const again = new StreamReader(g, user, [id], 1);
    await again.waitEnd(5000);
    assert.equal(codeOf(again.docs[0]), 'ErrorSubscriptionNotFound');
    const u2 = await soap(g, user, `<m:Unsubscribe><m:SubscriptionId>${id}</m:SubscriptionId></m:Unsubscribe>`);
    assert.deepEqual(codes(u2.doc), ['ErrorSubscriptionNotFound']);
  });
});

describe('streaming: overflow and takeover', () => {
  test('a queue that overflows while nobody listens reports ErrorMissedNotificationEvents, then goes on', async () => {
    const small = await startNotifyGateway({ push: true, notify: { maxQueued: 5, heartbeatMs: 60_000 } });
    try {
      const u = await addPushUser(small.backends, small.eventsUrl);
      await withImap(small.backends, u, async (c) => void (await c.list()));
      const { id } = await subscribe(small, u, 'Streaming', { types: ['CreatedEvent'] });
      await withImap(small.backends, u, async (c) => {
        for (let i = 0; i < 12; i++) await c.append('INBOX', rawMessage(`overflow ${i}`), ['\\Seen']);
      });
      await new Promise((r) => setTimeout(r, 300));
      const s = new StreamReader(small, u, [id], 10);
      try {
        const err = await s.waitFor((d) => codeOf(d) === 'ErrorMissedNotificationEvents');
        assert.equal(all(err, 'GetStreamingEventsResponseMessage', M)[0].getAttribute('ResponseClass'), 'Error');
        assert.deepEqual(all(all(err, 'ErrorSubscriptionIds', M)[0], 'SubscriptionId', M).map((e) => e.textContent), [id]);
        assert.equal(connectionStatus(err), 'OK');
        // The five that fitted, and later events, still arrive on the same connection.
        await s.waitForEvents((e) => e.filter((x) => x.kind === 'CreatedEvent').length >= 5);
        await withImap(small.backends, u, async (c) => void (await c.append('INBOX', rawMessage('after the overflow'), ['\\Seen'])));
        await s.waitForEvents((e) => e.filter((x) => x.kind === 'CreatedEvent').length >= 6);
      } finally {
        s.abort();
      }
    } finally {
      await small.close();
    }
  });

  test('a second connection for the same subscription takes it over; the first one closes', async () => {
    const { id } = await subscribe(g, user, 'Streaming', { types: ['NewMailEvent'] });
    const first = new StreamReader(g, user, [id], 10);
    await waitUntil(() => first.status === 200 || undefined);
    await new Promise((r) => setTimeout(r, 100));
    const second = new StreamReader(g, user, [id], 10);
    try {
      await first.waitEnd(5000);
      assert.equal(connectionStatus(first.docs[first.docs.length - 1]), 'Closed');
      await deliverLmtp(g.backends, user.email, 'to the newer connection');
      await second.waitForEvents((e) => e.some((x) => x.kind === 'NewMailEvent'));
    } finally {
      second.abort();
    }
  });
});

describe('pull subscriptions', () => {
  test('GetEvents reports new mail, flags and expunges from MODSEQ, with a watermark per event; a StatusEvent when nothing happened', async () => {
    const sub = await subscribe(g, user, 'Pull', { timeout: 60 });
    assert.ok(sub.watermark);
    let r = await soap(g, user, getEventsBody(sub.id, sub.watermark!));
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    let evs = eventsOf(r.doc);
    assert.deepEqual(evs.map((e) => e.kind), ['StatusEvent']);
    assert.equal(text(r.doc, 'PreviousWatermark'), sub.watermark);
    assert.equal(text(r.doc, 'MoreEvents'), 'false');
    let wm = evs[0].watermark!;

    const uid = await withImap(g.backends, user, async (c) => ((await c.append('INBOX', rawMessage('pulled'), [])) as { uid: number }).uid);
    r = await soap(g, user, getEventsBody(sub.id, wm));
    evs = eventsOf(r.doc);
    assert.deepEqual(evs.map((e) => e.kind), ['CreatedEvent', 'NewMailEvent', 'ModifiedEvent'], r.text.slice(0, 2000));
    assert.ok(evs.every((e) => e.watermark));
    const itemId = evs[0].itemId!;
    wm = evs[evs.length - 1].watermark!;

    await withImap(g.backends, user, async (c) => {
      await c.mailboxOpen('INBOX');
      await c.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
    });
    r = await soap(g, user, getEventsBody(sub.id, wm));
    evs = eventsOf(r.doc);
    assert.deepEqual(evs.map((e) => [e.kind, e.itemId ?? 'folder']), [['ModifiedEvent', itemId], ['ModifiedEvent', 'folder']]);
    wm = evs[evs.length - 1].watermark!;

    await withImap(g.backends, user, async (c) => {
      await c.mailboxOpen('INBOX');
      await c.messageDelete(String(uid), { uid: true });
    });
    r = await soap(g, user, getEventsBody(sub.id, wm));
    evs = eventsOf(r.doc);
    assert.deepEqual(evs.map((e) => [e.kind, e.itemId ?? 'folder']), [['DeletedEvent', itemId], ['ModifiedEvent', 'folder']]);
    // The same watermark gives the same answer (nothing is consumed on the server).
    const again = await soap(g, user, getEventsBody(sub.id, wm));
    assert.deepEqual(eventsOf(again.doc).map((e) => e.kind), ['DeletedEvent', 'ModifiedEvent']);
  });

  test('MoreEvents pages a long list; following the watermarks yields every event once', async () => {
    const sub = await subscribe(g, user, 'Pull', { types: ['CreatedEvent'] });
    const n = 120;
    await withImap(g.backends, user, async (c) => {
      for (let i = 0; i < n; i++) await c.append('INBOX', rawMessage(`page ${i}`), ['\\Seen']);
    });
    let wm = sub.watermark!;
    const ids = new Set<string>();
    let pages = 0;
    for (;;) {
      pages++;
      const r = await soap(g, user, getEventsBody(sub.id, wm));
      const evs = eventsOf(r.doc);
      for (const e of evs) if (e.kind === 'CreatedEvent') ids.add(e.itemId!);
      wm = evs[evs.length - 1].watermark!;
      if (text(r.doc, 'MoreEvents') === 'false') break;
      assert.ok(evs.length <= 51, `page of ${evs.length}`);
      assert.ok(pages < 10);
    }
    assert.equal(ids.size, n);
    assert.ok(pages >= 3);
  });

  test('a gateway restart between Subscribe and GetEvents: the new process reports the mail that arrived meanwhile', async () => {
    const port = Number(new URL(g.url).port);
    const sub = await subscribe(g, user, 'Pull', { types: ['NewMailEvent'] });
    await g.close();
    await deliverLmtp(g.backends, user.email, 'delivered while ewsgate was down');
    g = await startNotifyGateway({ push: true, port, notify: { heartbeatMs: 300, maxStreamBytes: 64 * 1024 } });
    const r = await soap(g, user, getEventsBody(sub.id, sub.watermark!));
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const evs = eventsOf(r.doc);
    assert.equal(evs.filter((e) => e.kind === 'NewMailEvent').length, 1, JSON.stringify(evs));
    const item = await soap(g, user, `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${evs[0].itemId}"/></m:ItemIds></m:GetItem>`);
    assert.equal(text(item.doc, 'Subject'), 'delivered while ewsgate was down');
  });

  test('a streaming subscription survives a restart: the new process rebuilds it and asks for a resync of its folder', async () => {
    const port = Number(new URL(g.url).port);
    const { id } = await subscribe(g, user, 'Streaming');
    await g.close();
    g = await startNotifyGateway({ push: true, port, notify: { heartbeatMs: 300, maxStreamBytes: 64 * 1024 } });
    const inbox = await soap(g, user, `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds>${did('inbox')}</m:FolderIds></m:GetFolder>`);
    const inboxId = all(inbox.doc, 'FolderId', T)[0].getAttribute('Id');
    const s = new StreamReader(g, user, [id], 10);
    try {
      const evs = await s.waitForEvents((e) => e.some((x) => x.kind === 'ModifiedEvent' && x.folderId === inboxId));
      assert.ok(evs.length >= 1);
      await deliverLmtp(g.backends, user.email, 'after the restart');
      await s.waitForEvents((e) => e.some((x) => x.kind === 'NewMailEvent'));
    } finally {
      s.abort();
    }
  });

  test('bad input: forged or truncated watermarks, another subscription\u2019s watermark, wrong kinds, expiry, Unsubscribe', async () => {
    const a = await subscribe(g, user, 'Pull');
    const b = await subscribe(g, user, 'Pull');
    const expectCode = async (body: string, code: string) => {
      const r = await soap(g, user, body);
      assert.deepEqual(codes(r.doc), [code], r.text.slice(0, 1000));
    };
    await expectCode(getEventsBody(a.id, a.watermark!.slice(0, -3)), 'ErrorInvalidWatermark');
    await expectCode(getEventsBody(a.id, a.watermark!.slice(0, 20)), 'ErrorInvalidWatermark');
    await expectCode(getEventsBody(a.id, 'AAAAAMAGAAAAAAAAAQ=='), 'ErrorInvalidWatermark');
    await expectCode(getEventsBody(a.id, b.watermark!), 'ErrorInvalidWatermark');
    await expectCode(getEventsBody('garbage', a.watermark!), 'ErrorInvalidSubscription');
    await expectCode(getEventsBody(a.id.slice(0, -2) + 'xx', a.watermark!), 'ErrorSubscriptionNotFound');
    const stream = await subscribe(g, user, 'Streaming');
    await expectCode(getEventsBody(stream.id, a.watermark!), 'ErrorInvalidPullSubscriptionId');
    const other = await addPushUser(g.backends);
    await expectCode(getEventsBody(a.id, a.watermark!).replace(/x/g, 'x'), 'NoError');
    const otherReply = await soap(g, other, getEventsBody(a.id, a.watermark!));
    assert.deepEqual(codes(otherReply.doc), ['ErrorSubscriptionAccessDenied']);
    // Timeout 1 (a "minute" is 1 s in this gateway): a watermark older than that has expired.
    const short = await subscribe(g, user, 'Pull', { timeout: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    await expectCode(getEventsBody(short.id, short.watermark!), 'ErrorSubscriptionNotFound');
    await expectCode(`<m:Unsubscribe><m:SubscriptionId>${a.id}</m:SubscriptionId></m:Unsubscribe>`, 'NoError');
    await expectCode(getEventsBody(a.id, a.watermark!), 'ErrorSubscriptionNotFound');
    // Subscribe's own refusals.
    await expectCode(`<m:Subscribe><m:PullSubscriptionRequest><t:EventTypes><t:EventType>NewMailEvent</t:EventType></t:EventTypes><t:Timeout>5</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>`, 'ErrorInvalidSubscriptionRequest');
    await expectCode(`<m:Subscribe><m:PullSubscriptionRequest><t:FolderIds><t:FolderId Id="AQAAAAAA"/></t:FolderIds><t:EventTypes><t:EventType>NewMailEvent</t:EventType></t:EventTypes><t:Timeout>5</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>`, 'ErrorInvalidIdMalformed');
    await expectCode(`<m:Subscribe><m:PullSubscriptionRequest><t:FolderIds>${did('inbox')}</t:FolderIds><t:EventTypes><t:EventType>NewMailEvent</t:EventType></t:EventTypes><t:Watermark>bogus</t:Watermark><t:Timeout>5</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>`, 'ErrorInvalidWatermark');
    await expectCode(`<m:Subscribe><m:PushSubscriptionRequest><t:FolderIds>${did('inbox')}</t:FolderIds><t:EventTypes><t:EventType>NewMailEvent</t:EventType></t:EventTypes><t:StatusFrequency>1</t:StatusFrequency><t:URL>ftp://example.test/x</t:URL></m:PushSubscriptionRequest></m:Subscribe>`, 'ErrorInvalidPushSubscriptionUrl');
    for (const bad of [
      `<m:Subscribe><m:PullSubscriptionRequest><t:FolderIds>${did('inbox')}</t:FolderIds><t:EventTypes><t:EventType>NewMailEvent</t:EventType></t:EventTypes><t:Timeout>0</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>`,
      `<m:Subscribe><m:PullSubscriptionRequest><t:FolderIds>${did('inbox')}</t:FolderIds><t:EventTypes><t:EventType>NoSuchEvent</t:EventType></t:EventTypes><t:Timeout>5</t:Timeout></m:PullSubscriptionRequest></m:Subscribe>`,
      `<m:Subscribe></m:Subscribe>`,
    ]) {
      const r = await soap(g, user, bad);
      assert.equal(r.status, 500);
      assert.match(r.text, /ErrorSchemaValidation/);
    }
  });

  test('a resubscribe with the last watermark continues where the old subscription stopped', async () => {
    const a = await subscribe(g, user, 'Pull', { types: ['NewMailEvent'] });
    await deliverLmtp(g.backends, user.email, 'between subscriptions');
    const b = await subscribe(g, user, 'Pull', { types: ['NewMailEvent'], watermark: a.watermark });
    const r = await soap(g, user, getEventsBody(b.id, b.watermark!));
    assert.equal(eventsOf(r.doc).filter((e) => e.kind === 'NewMailEvent').length, 1, r.text.slice(0, 1500));
  });
});

describe('the event endpoint', () => {
  const payload = () => JSON.stringify({ user: user.email, events: [{ event: 'MessageNew', mailbox: 'INBOX', uid: 999999, uidvalidity: 1 }] });
  test('refuses a missing or wrong secret, a GET, and malformed events; accepts the right secret', async () => {
    const send = (init: RequestInit) => fetch(g.eventsUrl, { method: 'POST', ...init }).then(async (r) => ({ status: r.status, text: await r.text() }));
    assert.equal((await send({ body: payload() })).status, 401);
    assert.equal((await send({ body: payload(), headers: { Authorization: 'Bearer wrong-secret-wrong-secret' } })).status, 401);
    assert.equal((await send({ body: payload(), headers: { Authorization: `Basic ${Buffer.from(`x:${EVENTS_SECRET}`).toString('base64')}` } })).status, 401);
    assert.equal((await send({ method: 'GET', headers: { Authorization: `Bearer ${EVENTS_SECRET}` } })).status, 405);
    assert.equal((await send({ body: '{"user": 1}', headers: { Authorization: `Bearer ${EVENTS_SECRET}` } })).status, 400);
    assert.equal((await send({ body: 'not json', headers: { Authorization: `Bearer ${EVENTS_SECRET}` } })).status, 400);
    assert.equal((await send({ body: payload(), headers: { Authorization: `Bearer ${EVENTS_SECRET}`, 'Content-Type': 'application/json' } })).status, 204);
    assert.ok(g.logLines.some((l) => /event POST refused: wrong or missing secret/.test(l)));
  });

  test('a gateway without an events secret has no endpoint', async () => {
    const plain = await startNotifyGateway({ push: false });
    try {
      const r = await fetch(plain.eventsUrl, { method: 'POST', body: payload(), headers: { Authorization: `Bearer ${EVENTS_SECRET}` } });
      assert.equal(r.status, 404);
    } finally {
      await plain.close();
    }
  });
});
