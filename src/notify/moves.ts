// MovedEvent and CopiedEvent for messages. IMAP has no "move" in its change reports: a
// MOVE or COPY shows up as an arrival in one folder and (for a move) a disappearance in
// another; Dovecot's push reports them as separate transactions too. Within one batch of
// events (one diff from MODSEQ), an arrival is paired with its source when the source is
// known:
//  - the new message carries X-Ewsgate-Item-Id (a message ewsgate rewrote keeps the id the
//    client holds): that id is the source;
//  - else its Message-ID equals the one recorded for a message this channel reported
//    earlier (IdentityCache, bounded: the most recent arrivals per user).
// A pair whose source disappeared in the same batch is a MovedEvent; an arrival naming its
// source by X-Ewsgate-Item-Id while the source stays is a CopiedEvent. A Message-ID alone
// never makes a copy: the same Message-ID in two folders is as often a message sent to
// oneself (Sent and Inbox) as a copy. Both replace the CreatedEvent (and NewMailEvent: a move is
// not new mail) of the arrival and the DeletedEvent of the source. An arrival whose source
// is unknown stays a CreatedEvent, as before: nothing is invented.
import type { NotifyEvent } from './model.js';

/** What pairing knows about an arrival, read from its header block. */
export interface Arrival {
  /** Message-ID, normalized. */
  ident?: string;
  /** The item id named by X-Ewsgate-Item-Id. */
  source?: string;
}

function headerValue(block: string, name: string): string | undefined {
  const re = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im');
  const m = re.exec(block);
  return m ? m[1].replace(/\r?\n[ \t]+/g, ' ').trim() : undefined;
}

export function arrivalOf(headers: Buffer | undefined): Arrival {
  if (!headers) return {};
  const block = headers.toString('latin1');
  const mid = headerValue(block, 'Message-ID');
  const angle = mid && /<([^<>\s]+)>/.exec(mid);
  const source = headerValue(block, 'X-Ewsgate-Item-Id');
  return { ident: angle ? angle[1].toLowerCase() : mid ? mid.toLowerCase() : undefined, source: source || undefined };
}

interface Known {
  ident: string;
  parent?: { id: string; changeKey?: string };
  scope: string[];
}

/** Message-IDs of the messages a channel reported recently, by item id (least recently seen dropped first). */
export class IdentityCache {
  private readonly byItem = new Map<string, Known>();

  constructor(private readonly max = 500) {}

  get size(): number {
    return this.byItem.size;
  }

  get(itemId: string): Known | undefined {
    return this.byItem.get(itemId);
  }

  set(itemId: string, k: Known): void {
    this.byItem.delete(itemId);
    this.byItem.set(itemId, k);
    if (this.byItem.size > this.max) this.byItem.delete(this.byItem.keys().next().value!);
  }

  delete(itemId: string): void {
    this.byItem.delete(itemId);
  }
}

/** Replaces arrival/disappearance pairs of one batch by MovedEvent / CopiedEvent, and records arrivals. */
export function pairMoves(events: NotifyEvent[], cache: IdentityCache): NotifyEvent[] {
  const deleted = new Map<string, NotifyEvent>();
  for (const e of events) if (e.kind === 'DeletedEvent' && e.itemId) deleted.set(e.itemId.id, e);
  const drop = new Set<NotifyEvent>();
  const replace = new Map<NotifyEvent, NotifyEvent>();
  const pairedNew = new Set<string>();

  for (const e of events) {
    if (e.kind !== 'CreatedEvent' || !e.itemId || (!e.ident && !e.source)) continue;
    const newId = e.itemId.id;
    let oldId: string | undefined;
    let oldParent: { id: string; changeKey?: string } | undefined;
    let oldScope: string[] = [];
    let gone: NotifyEvent | undefined;
    if (e.source && e.source !== newId) {
      gone = deleted.get(e.source);
      oldId = e.source;
      oldParent = gone?.parentFolderId ?? cache.get(e.source)?.parent;
      oldScope = gone?.scope ?? cache.get(e.source)?.scope ?? [];
    }
    if (!oldId && e.ident) {
      for (const [id, d] of deleted) {
        if (cache.get(id)?.ident === e.ident && !drop.has(d)) {
          gone = d;
          oldId = id;
          oldParent = d.parentFolderId;
          oldScope = d.scope;
          break;
        }
      }
    }
    // Same folder: a rewrite of the message (UpdateItem), not a move or copy.
    if (!oldId || !oldParent || oldParent.id === e.parentFolderId?.id) continue;
    const kind = gone ? 'MovedEvent' : 'CopiedEvent';
    replace.set(e, {
      kind,
      time: e.time,
      itemId: e.itemId,
      parentFolderId: e.parentFolderId,
      oldItemId: { id: oldId },
      oldParentFolderId: oldParent,
      scope: [...new Set([...e.scope, ...oldScope])],
    });
    if (gone) drop.add(gone);
    pairedNew.add(newId);
  }

  const out: NotifyEvent[] = [];
  for (const e of events) {
    if (drop.has(e)) continue;
    if (e.kind === 'NewMailEvent' && e.itemId && pairedNew.has(e.itemId.id)) continue;
    out.push(replace.get(e) ?? e);
  }
  for (const e of out) {
    if (!e.itemId) continue;
    if (e.kind === 'DeletedEvent') cache.delete(e.itemId.id);
    else if (e.kind === 'MovedEvent') cache.delete(e.oldItemId!.id);
  }
  for (const e of events) {
    if (e.kind === 'CreatedEvent' && e.itemId && e.ident) cache.set(e.itemId.id, { ident: e.ident, parent: e.parentFolderId, scope: e.scope });
  }
  return out.map(({ ident: _i, source: _s, ...rest }) => rest);
}
