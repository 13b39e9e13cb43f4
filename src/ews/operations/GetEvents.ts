// GetEvents: the events of a pull subscription since its watermark, computed from MODSEQ
// (src/notify/diff.ts) on the request's own session, so that any instance, even one
// started after the Subscribe, answers them. At most about 50 events per answer
// (MoreEvents), each with the watermark to resume after it; a StatusEvent when nothing
// happened. The subscription expires Timeout minutes after the watermark it is given was
// issued (every answer issues a fresh one).
import { schemaViolation, EwsError } from '../errors.js';
import { ok, respond, type Operation } from '../operation.js';
import { loadTree } from '../folders/request.js';
import { diffFolders, freshen } from '../../notify/diff.js';
import { openWatermark, sealWatermark, userDigest, type FolderState, type NotifyEvent } from '../../notify/model.js';
import { renderPullNotification } from '../../notify/render.js';
import { minuteMs, resolveSubscription, subscriptionErrors, textAny } from '../../notify/requests.js';

const MAX_EVENTS = 50;

export const GetEvents: Operation = {
  name: 'GetEvents',
  async handle(op, ctx) {
    const idText = textAny(op, 'SubscriptionId');
    const wmText = textAny(op, 'Watermark');
    if (idText === undefined) throw schemaViolation('GetEvents needs a SubscriptionId.');
    if (wmText === undefined) throw schemaViolation('GetEvents needs a Watermark.');
    try {
      const { id, key, sub } = await resolveSubscription(idText, ctx, ['pull'], subscriptionErrors.notPull);
      const w = openWatermark(wmText, ctx.stateSecret);
      if (!w || w.sub !== key || w.user !== userDigest(ctx.user.login)) throw subscriptionErrors.watermark();
      const now = Math.floor(Date.now() / 1000);
      if (sub.timeout !== undefined && (now - w.issued) * 1000 > sub.timeout * minuteMs(ctx)) throw subscriptionErrors.notFound();

      await freshen(ctx.mailbox.mail);
      const tree = await loadTree(ctx);
      const scope = { all: sub.all, folders: new Set(sub.folders) };
      const steps = await diffFolders(ctx.mailbox.mail, tree, w.folders, scope);
      const types = new Set<string>(sub.events);
      const states = new Map<string, FolderState>(w.folders.map((f) => [f.key, f]));
      const seal = () => sealWatermark({ sub: key, user: w.user, issued: now, folders: [...states.values()] }, ctx.stateSecret);
      const out: NotifyEvent[] = [];
      let more = false;
      for (let i = 0; i < steps.length; i++) {
        const step = steps[i];
        if (step.state) states.set(step.folder, step.state);
        else states.delete(step.folder);
        const wanted = step.events.filter((e) => types.has(e.kind));
        if (wanted.length) {
          const watermark = seal();
          for (const e of wanted) out.push({ ...e, watermark });
        }
        if (out.length >= MAX_EVENTS && step.cut) {
          more = steps.slice(i + 1).some((s) => s.events.some((e) => types.has(e.kind)));
          if (more) break;
        }
      }
      if (!out.length) out.push({ kind: 'StatusEvent', time: new Date(), scope: [], watermark: seal() });
      return respond('GetEvents', [ok(renderPullNotification('m:Notification', id, wmText, more, out))]);
    } catch (e) {
      if (e instanceof EwsError) return respond('GetEvents', [e]);
      throw e;
    }
  },
};
