// Unsubscribe: ends a pull or streaming subscription (push ones end when the client
// answers SubscriptionStatus Unsubscribe, but this works for them too). The id is
// self-contained, so ending it means remembering that it ended: until it would have
// expired anyway (a pull subscription's Timeout, a day otherwise).
import { EwsError, schemaViolation } from '../errors.js';
import { ok, respond, type Operation } from '../operation.js';
import { minuteMs, notificationsOf, resolveSubscription, textAny } from '../../notify/requests.js';

export const Unsubscribe: Operation = {
  name: 'Unsubscribe',
  async handle(op, ctx) {
    const idText = textAny(op, 'SubscriptionId');
    if (idText === undefined) throw schemaViolation('Unsubscribe needs a SubscriptionId.');
    try {
      const { key, sub } = await resolveSubscription(idText, ctx);
      const ttl = sub.kind === 'pull' && sub.timeout ? sub.timeout * minuteMs(ctx) + 60_000 : 24 * 60 * 60_000;
      await notificationsOf(ctx)?.unsubscribe(key, ttl);
      return respond('Unsubscribe', [ok()]);
    } catch (e) {
      if (e instanceof EwsError) return respond('Unsubscribe', [e]);
      throw e;
    }
  },
};
