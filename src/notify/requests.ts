// What the notification operations share: reading their elements (clients differ on the
// namespace: exchangelib writes m:Watermark where the schema has t:Watermark), resolving
// a SubscriptionId with the answer Exchange gives for each way it can be wrong, and the
// hub as the request sees it.
import { NS, elementChildren, textOf, type Element } from '../soap/xml.js';
import { EwsError } from '../ews/errors.js';
import type { RequestContext } from '../ews/operation.js';
import { openSubscription, type Subscription, type SubscriptionKind } from './model.js';
import type { UserNotifications } from './hub.js';

/** RequestContext with the hub, as the gateway builds it (http.ts). */
export type NotifyContext = RequestContext & { notifications?: UserNotifications };

export function notificationsOf(ctx: RequestContext): UserNotifications | undefined {
  return (ctx as NotifyContext).notifications;
}

/** A child in the messages or the types namespace. */
export function childAny(el: Element | undefined, localName: string): Element | undefined {
  if (!el) return undefined;
  return elementChildren(el).find((c) => c.localName === localName && (c.namespaceURI === NS.messages || c.namespaceURI === NS.types));
}

export function childrenAny(el: Element | undefined, localName: string): Element[] {
  if (!el) return [];
  return elementChildren(el).filter((c) => c.localName === localName && (c.namespaceURI === NS.messages || c.namespaceURI === NS.types));
}

export function textAny(el: Element | undefined, localName: string): string | undefined {
  const c = childAny(el, localName);
  return c ? (textOf(c) ?? '').trim() : undefined;
}

export const subscriptionErrors = {
  invalid: () => new EwsError('ErrorInvalidSubscription', 'The subscription is invalid.'),
  notFound: () => new EwsError('ErrorSubscriptionNotFound', 'The specified subscription was not found.'),
  accessDenied: () => new EwsError('ErrorSubscriptionAccessDenied', 'Access is denied. Only the subscription owner may access the subscription.'),
  notPull: () => new EwsError('ErrorInvalidPullSubscriptionId', 'The subscription id is not a pull subscription id.'),
  watermark: () => new EwsError('ErrorInvalidWatermark', 'The watermark is invalid.'),
  request: (why: string) => new EwsError('ErrorInvalidSubscriptionRequest', `The subscription request is invalid: ${why}`),
  pushUrl: () => new EwsError('ErrorInvalidPushSubscriptionUrl', 'The push subscription URL is invalid.'),
  unavailable: () => new EwsError('ErrorInvalidOperation', 'Streaming and push notifications are not enabled on this server.'),
};

/**
 * A SubscriptionId as this user may use it, or the EwsError Exchange answers: malformed
 * (not one of ours) ErrorInvalidSubscription; forged, unsubscribed or expired
 * ErrorSubscriptionNotFound; another user's ErrorSubscriptionAccessDenied.
 */
export async function resolveSubscription(
  id: string | undefined,
  ctx: RequestContext,
  kinds?: SubscriptionKind[],
  wrongKind: () => EwsError = subscriptionErrors.invalid,
): Promise<{ id: string; key: string; sub: Subscription }> {
  if (!id) throw subscriptionErrors.invalid();
  const opened = openSubscription(id, ctx.stateSecret);
  if (!opened.ok) throw opened.why === 'malformed' ? subscriptionErrors.invalid() : subscriptionErrors.notFound();
  if (opened.sub.user !== ctx.user.login.toLowerCase()) throw subscriptionErrors.accessDenied();
  if (kinds && !kinds.includes(opened.sub.kind)) throw wrongKind();
  if (await notificationsOf(ctx)?.isUnsubscribed(opened.key)) throw subscriptionErrors.notFound();
  // A copy of its own: the text of the request's DOM is a slice of the whole request body,
  // which a held subscription would otherwise keep alive.
  return { id: Buffer.from(id.trim(), 'utf8').toString('utf8'), key: opened.key, sub: opened.sub };
}

/** Minutes as the hub counts them (tests shorten them). */
export function minuteMs(ctx: RequestContext): number {
  return notificationsOf(ctx)?.hub.limits.minuteMs ?? 60_000;
}
