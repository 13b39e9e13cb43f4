// Subscribe: pull (Timeout, Watermark), push (URL, StatusFrequency, Watermark) and
// streaming subscriptions. The SubscriptionId is the signed subscription itself and the
// Watermark the signed state of the watched folders, so nothing has to be remembered for a
// pull subscription, and a streaming one can be rebuilt by any instance (src/notify/).
import { NS, attr, elementChildren, x, type Element } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { ok, respond, type Operation, type RequestContext } from '../operation.js';
import { loadTree, ownAddresses, parseFolderIdInput } from '../folders/request.js';
import type { FolderTree } from '../folders/tree.js';
import { diffFolders, freshen, keyOf, snapshot, trackedFolders } from '../../notify/diff.js';
import {
  EVENT_TYPES,
  newSubscription,
  openWatermark,
  sealSubscription,
  sealWatermark,
  subscriptionKey,
  userDigest,
  type EventType,
  type FolderState,
  type NotifyEvent,
  type SubscriptionKind,
} from '../../notify/model.js';
import { childAny, childrenAny, notificationsOf, subscriptionErrors, textAny } from '../../notify/requests.js';
import { pushUrlAllowed } from '../../notify/push.js';

const REQUESTS: Record<string, SubscriptionKind> = {
  PullSubscriptionRequest: 'pull',
  PushSubscriptionRequest: 'push',
  StreamingSubscriptionRequest: 'stream',
};

export const Subscribe: Operation = {
  name: 'Subscribe',
  async handle(op, ctx) {
    const requestEl = elementChildren(op).find((c) => (c.localName ?? '') in REQUESTS && (c.namespaceURI === NS.messages || c.namespaceURI === NS.types));
    if (!requestEl) throw schemaViolation('Subscribe needs a PullSubscriptionRequest, PushSubscriptionRequest or StreamingSubscriptionRequest.');
    const kind = REQUESTS[requestEl.localName!];
    const events = parseEventTypes(requestEl);
    const all = /^(true|1)$/i.test(attr(requestEl, 'SubscribeToAllFolders') ?? '');
    const timeout = kind === 'pull' ? intIn(textAny(requestEl, 'Timeout'), 1, 1440, 'Timeout') : undefined;
    const statusFrequency = kind === 'push' ? intIn(textAny(requestEl, 'StatusFrequency') ?? '30', 1, 1440, 'StatusFrequency') : undefined;
    const url = kind === 'push' ? textAny(requestEl, 'URL') : undefined;
    if (kind === 'push' && url === undefined) throw schemaViolation('PushSubscriptionRequest needs a URL.');
    const watermarkText = kind === 'stream' ? undefined : textAny(requestEl, 'Watermark');
    try {
      const n = notificationsOf(ctx);
      if (kind === 'push' && !(n ? n.pushUrlAllowed(url!) : pushUrlAllowed(url!, []))) throw subscriptionErrors.pushUrl();
      if (kind !== 'pull' && !n) throw subscriptionErrors.unavailable();
      const folderIds = childAny(requestEl, 'FolderIds');
      if (!all && !folderIds) throw subscriptionErrors.request('name the folders (FolderIds) or set SubscribeToAllFolders.');
      // Fresh, or a folder the session has selected would show an older state, and the new
      // subscription would report what happened before it.
      await freshen(ctx.mailbox.mail);
      const tree = await loadTree(ctx);
      const folders = all ? [] : resolveFolders(folderIds!, tree, ctx);
      const sub = newSubscription({
        kind,
        user: ctx.user.login.toLowerCase(),
        all,
        folders,
        events,
        timeout,
        url,
        statusFrequency,
        callerData: textAny(requestEl, 'CallerData'),
      });
      const id = sealSubscription(sub, ctx.stateSecret);
      const key = subscriptionKey(id);
      const scope = { all, folders: new Set(folders) };

      // Where the subscription starts: now, or where the watermark of an earlier one left off.
      let states: FolderState[] = snapshot(tree, scope);
      let resume: NotifyEvent[] | undefined;
      if (watermarkText !== undefined && watermarkText !== '') {
        const w = openWatermark(watermarkText, ctx.stateSecret);
        if (!w || w.user !== userDigest(ctx.user.login)) throw subscriptionErrors.watermark();
        const tracked = new Set(trackedFolders(tree, scope).map(keyOf));
        const known = new Map(w.folders.map((f) => [f.key, f]));
        states = [...w.folders.filter((f) => tracked.has(f.key)), ...states.filter((s) => !known.has(s.key))];
        if (kind === 'push') {
          // A push subscription gets the events since then in its first notifications.
          const steps = await diffFolders(ctx.mailbox.mail, tree, states, scope);
          resume = steps.flatMap((s) => s.events);
          states = applySteps(states, steps);
        }
      }
      const watermark = sealWatermark({ sub: key, user: userDigest(ctx.user.login), issued: Math.floor(Date.now() / 1000), folders: states }, ctx.stateSecret);
      if (kind !== 'pull') await n!.register(id, key, sub, tree, resume, watermark);
      return respond('Subscribe', [ok(x('m:SubscriptionId', null, id), kind === 'stream' ? undefined : x('m:Watermark', null, watermark))]);
    } catch (e) {
      if (e instanceof EwsError) return respond('Subscribe', [e]);
      throw e;
    }
  },
};

function parseEventTypes(requestEl: Element): EventType[] {
  const container = childAny(requestEl, 'EventTypes');
  const names = childrenAny(container, 'EventType').map((e) => (e.textContent ?? '').trim());
  if (!names.length) throw schemaViolation('EventTypes needs at least one EventType.');
  const out: EventType[] = [];
  for (const n of names) {
    if (!(EVENT_TYPES as readonly string[]).includes(n)) throw schemaViolation(`"${n}" is not an EventType.`);
    if (!out.includes(n as EventType)) out.push(n as EventType);
  }
  return out;
}

function intIn(text: string | undefined, min: number, max: number, what: string): number {
  const n = Number(text);
  if (text === undefined || text === '' || !Number.isInteger(n) || n < min || n > max)
    throw schemaViolation(`${what} must be a whole number from ${min} to ${max}.`);
  return n;
}

function resolveFolders(container: Element, tree: FolderTree, ctx: RequestContext): string[] {
  const keys: string[] = [];
  const inputs = elementChildren(container).map(parseFolderIdInput);
  if (!inputs.length) throw subscriptionErrors.request('FolderIds holds no folder.');
  for (const input of inputs) {
    const f = tree.resolve(input, ownAddresses(ctx));
    const k = keyOf(f);
    if (!keys.includes(k)) keys.push(k);
  }
  return keys;
}

function applySteps(states: FolderState[], steps: { folder: string; state: FolderState | null }[]): FolderState[] {
  const m = new Map(states.map((s) => [s.key, s]));
  for (const s of steps) {
    if (s.state) m.set(s.folder, s.state);
    else m.delete(s.folder);
  }
  return [...m.values()];
}
