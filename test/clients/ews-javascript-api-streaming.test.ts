// ews-javascript-api 0.15 (the EWS Managed API's port) with streaming notifications: a
// StreamingSubscriptionConnection receives the NewMail event of a message sent through
// Postfix (SMTP → LMTP → Dovecot), and the item is bound by the id the event carries;
// once through a gateway Dovecot pushes to, once through one that watches over IMAP.
// Also: a pull subscription's GetEvents, and an unknown subscription reported through
// OnSubscriptionError.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import {
  EmailMessage,
  EventType,
  ExchangeService,
  FolderId,
  ItemEvent,
  NotificationEventArgs,
  StreamingSubscriptionConnection,
  SubscriptionErrorEventArgs,
  WellKnownFolderName,
  type StreamingSubscription,
} from 'ews-javascript-api';
import type { TestUser } from '../harness/backends.js';
import { withImap } from '../harness/clients.js';
import { addPushUser, startNotifyGateway, waitUntil, type NotifyGateway } from '../notify-support.js';
import { serviceFor } from './support/ews-javascript-api.js';

async function sendThroughPostfix(g: NotifyGateway, to: string, subject: string): Promise<void> {
  const t = nodemailer.createTransport({ url: g.backends.smtpUrl, ignoreTLS: true } as never);
  try {
    await t.sendMail({ from: 'sender@example.test', to, subject, text: 'Sent through Postfix.\n' });
  } finally {
    t.close();
  }
}

for (const mode of ['dovecot push', 'imap watcher'] as const) {
  describe(`ews-javascript-api 0.15 streaming notifications (${mode})`, () => {
    let g: NotifyGateway;
    let user: TestUser;
    let service: ExchangeService;

    before(async () => {
      g = await startNotifyGateway({ push: mode === 'dovecot push', notify: { minuteMs: 60_000, heartbeatMs: 2000, pollMs: 1000 } });
      user = await addPushUser(g.backends, mode === 'dovecot push' ? g.eventsUrl : undefined);
      await withImap(g.backends, user, async (c) => void (await c.list()));
      service = serviceFor(g.ewsUrl, user);
    });

    after(async () => {
      await g?.close();
    });

    test('StreamingSubscriptionConnection receives NewMail for a message delivered through Postfix', async () => {
      const sub: StreamingSubscription = await service.SubscribeToStreamingNotifications(
        [new FolderId(WellKnownFolderName.Inbox)],
        EventType.NewMail,
        EventType.Created,
      );
      const conn = new StreamingSubscriptionConnection(service, 1);
      conn.AddSubscription(sub);
      const events: ItemEvent[] = [];
      const errors: string[] = [];
      conn.OnNotificationEvent.push((_s: unknown, args: NotificationEventArgs) => {
        for (const e of args.Events) if (e instanceof ItemEvent) events.push(e);
      });
      conn.OnSubscriptionError.push((_s: unknown, args: SubscriptionErrorEventArgs) => errors.push(String(args.Exception?.Message ?? args.Exception)));
      void conn.Open();
      try {
        await waitUntil(() => (g.gateway.notifications.hub.streams.size > 0 ? true : undefined), 5000);
        const subject = `through postfix ${Date.now()}`;
        await sendThroughPostfix(g, user.email, subject);
        const newMail = await waitUntil(() => events.find((e) => e.EventType === EventType.NewMail), 20_000).catch(() =>
          assert.fail(`no NewMail event; events: ${JSON.stringify(events.map((e) => EventType[e.EventType]))}, errors: ${errors.join('; ')}`),
        );
        assert.ok(events.some((e) => e.EventType === EventType.Created && e.ItemId.UniqueId === newMail.ItemId.UniqueId));
        assert.equal(newMail.ParentFolderId.UniqueId.length > 0, true);
        const msg = await EmailMessage.Bind(service, newMail.ItemId);
        assert.equal(msg.Subject, subject);
        assert.deepEqual(errors, []);
      } finally {
        if (conn.IsOpen) conn.Close();
      }
    });

    test('a pull subscription: GetEvents returns the NewMail event', async () => {
      const pull = await service.SubscribeToPullNotifications([new FolderId(WellKnownFolderName.Inbox)], 10, null as unknown as string, EventType.NewMail);
      await sendThroughPostfix(g, user.email, `pulled ${Date.now()}`);
      const found = await waitUntil(
        async () => {
          const r = await pull.GetEvents();
          return r.ItemEvents.find((e) => e.EventType === EventType.NewMail);
        },
        20_000,
        300,
      );
      assert.ok(found.ItemId.UniqueId);
      await pull.Unsubscribe();
    });

    test('an unknown subscription id comes back through OnSubscriptionError', async () => {
      const sub: StreamingSubscription = await service.SubscribeToStreamingNotifications([new FolderId(WellKnownFolderName.Inbox)], EventType.NewMail);
      await sub.Unsubscribe();
      const conn = new StreamingSubscriptionConnection(service, 1);
      conn.AddSubscription(sub);
      const errors: string[] = [];
      conn.OnSubscriptionError.push((_s: unknown, args: SubscriptionErrorEventArgs) =>
        errors.push(`${args.Subscription?.Id === sub.Id}:${String(args.Exception?.Message ?? '')}`),
      );
      void conn.Open();
      await waitUntil(() => (errors.length ? true : undefined), 10_000);
      assert.ok(errors[0].startsWith('true:'), errors.join('; '));
      if (conn.IsOpen) conn.Close();
    });
  });
}
