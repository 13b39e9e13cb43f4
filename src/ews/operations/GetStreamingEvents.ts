// GetStreamingEvents: a held, chunked answer for one or more streaming subscriptions
// (src/notify/stream.ts). Subscriptions this process never saw (a restart, another
// instance) are rebuilt from their ids. If any id cannot be used, the answer is one error
// naming those ids in ErrorSubscriptionIds and the connection closes, as Exchange does.
import { type Xml } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import type { Operation, StreamOut, StreamingAnswer } from '../operation.js';
import { loadTree } from '../folders/request.js';
import { freshen } from '../../notify/diff.js';
import { childAny, childrenAny, notificationsOf, resolveSubscription, subscriptionErrors, textAny } from '../../notify/requests.js';
import { streamingError } from '../../notify/render.js';
import type { Subscription } from '../../notify/model.js';

export const GetStreamingEvents: Operation = {
  name: 'GetStreamingEvents',
  async handle(op, ctx) {
    const ids = childrenAny(childAny(op, 'SubscriptionIds'), 'SubscriptionId').map((e) => (e.textContent ?? '').trim());
    if (!ids.length) throw schemaViolation('GetStreamingEvents needs SubscriptionIds with at least one SubscriptionId.');
    const timeoutText = textAny(op, 'ConnectionTimeout');
    const timeout = Number(timeoutText);
    if (!timeoutText || !Number.isInteger(timeout) || timeout < 1 || timeout > 30)
      throw schemaViolation('ConnectionTimeout must be a whole number from 1 to 30.');
    const n = notificationsOf(ctx);
    if (!n) return errorAnswer(subscriptionErrors.unavailable(), []);

    const good: { id: string; key: string; sub: Subscription }[] = [];
    const bad: string[] = [];
    let firstError: EwsError | undefined;
    for (const id of ids) {
      try {
        const r = await resolveSubscription(id, ctx, ['stream']);
        if (!good.some((g) => g.key === r.key)) good.push(r);
      } catch (e) {
        if (!(e instanceof EwsError)) throw e;
        bad.push(id);
        firstError ??= e;
      }
    }
    if (firstError) return errorAnswer(firstError, bad);
    // A reconnect of subscriptions this process serves already needs nothing from the backend.
    let tree;
    if (n.needsListing(good.map((g) => g.key))) {
      await freshen(ctx.mailbox.mail);
      tree = await loadTree(ctx);
    }
    return n.openStream(good, tree, ctx.mailbox.mail, timeout, []);
  },
};

/** One error message on the streaming channel, then Closed. */
function errorAnswer(err: EwsError, ids: string[]): StreamingAnswer {
  const message: Xml = streamingError(err.code, err.message, ids, true);
  return {
    streaming: true,
    async run(out: StreamOut) {
      out.send(message);
      out.end();
    },
  };
}
