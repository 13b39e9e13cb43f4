// exchangelib 4.9 (Debian's python3-exchangelib) with notifications: a pull subscription
// with get_events and a streaming subscription with get_streaming_events, each receiving
// the NewMailEvent of a message delivered by LMTP, once through a gateway that Dovecot
// pushes to and once through one that watches over IMAP. The Python side is
// exchangelib_notifications.py.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { withImap } from '../harness/clients.js';
import { addPushUser, startNotifyGateway, type NotifyGateway } from '../notify-support.js';
import { clientScript, ewsEnv, runReport, runScenario, stepTests, type PyRun } from './support/exchangelib.js';

const STEPS = [
  'subscribe_to_pull',
  'get_events after a delivery',
  'get_events from the last watermark: nothing new',
  'unsubscribe pull',
  'subscribe_to_streaming',
  'get_streaming_events after a delivery',
  'unsubscribe streaming',
];

for (const mode of ['dovecot push', 'imap watcher'] as const) {
  describe(`exchangelib 4.9 notifications (${mode})`, () => {
    let g: NotifyGateway;
    let py: PyRun;
    before(async () => {
      g = await startNotifyGateway({ push: mode === 'dovecot push', notify: { minuteMs: 60_000, pollMs: 1000 } });
      const user = await addPushUser(g.backends, mode === 'dovecot push' ? g.eventsUrl : undefined);
      await withImap(g.backends, user, async (c) => void (await c.list()));
      py = await runScenario(
        clientScript('exchangelib_notifications.py'),
        { ...ewsEnv(g.ewsUrl, user), LMTP_HOST: '127.0.0.1', LMTP_PORT: String(g.backends.lmtpPort) },
        90_000,
      );
    });
    after(async () => {
      await g?.close();
    });
    test('the script ran every step', () => {
      assert.ok(py.summary, runReport(py));
      assert.deepEqual(
        py.summary.steps.map((s) => s.name),
        STEPS,
      );
    });
    stepTests(() => py, STEPS);
  });
}
