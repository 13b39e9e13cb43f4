// The notification model: what a subscription is (self-contained and signed, so any
// instance can rebuild one it never saw), what a watermark is (per watched folder the
// UIDVALIDITY / HIGHESTMODSEQ / UIDNEXT up to which the client has every event, so the
// events since it can be recovered from MODSEQ), and the events themselves.
import { createHash, randomBytes } from 'node:crypto';
import { openState, sealState } from '../ews/sync/signed-state.js';

/** EWS event types a subscription can ask for (NotificationEventTypeType). */
export const EVENT_TYPES = ['CopiedEvent', 'CreatedEvent', 'DeletedEvent', 'ModifiedEvent', 'MovedEvent', 'NewMailEvent', 'FreeBusyChangedEvent'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** What the server emits: the subscribable types plus the keep-alive StatusEvent. */
export type EventKind = EventType | 'StatusEvent';

export type SubscriptionKind = 'pull' | 'push' | 'stream';

/** A folder as subscriptions and watermarks name it: the backend's stable id, else the path. */
export interface FolderKey {
  stableId?: string;
  path: string;
}

export function folderKeyString(k: FolderKey): string {
  return k.stableId ? k.stableId : `p:${k.path}`;
}

export function folderKeyOf(s: string): FolderKey {
  return s.startsWith('p:') ? { path: s.slice(2) } : { stableId: s, path: '' };
}

/** The signed content of a SubscriptionId. */
export interface Subscription {
  kind: SubscriptionKind;
  /** The backend login the subscription belongs to (lower case). */
  user: string;
  /** SubscribeToAllFolders. */
  all: boolean;
  /** Watched folders (mail folders by key; virtual well-known folders by their name, "v:name"). */
  folders: string[];
  events: EventType[];
  /** Pull: minutes without GetEvents after which the subscription expires. */
  timeout?: number;
  /** Push: the client's URL, minutes between status pings / retry budget, caller data. */
  url?: string;
  statusFrequency?: number;
  callerData?: string;
  /** Seconds since the epoch. */
  created: number;
  nonce: string;
}

interface SealedSubscription {
  v: 1;
  k: 'l' | 'p' | 's';
  u: string;
  a?: 1;
  f?: string[];
  e: number;
  t?: number;
  url?: string;
  sf?: number;
  cd?: string;
  c: number;
  n: string;
}

const SUB_KIND = 'S1';
const WM_KIND = 'W1';
const KIND_CODES: Record<SubscriptionKind, SealedSubscription['k']> = { pull: 'l', push: 'p', stream: 's' };
const CODE_KINDS: Record<SealedSubscription['k'], SubscriptionKind> = { l: 'pull', p: 'push', s: 'stream' };

export function newSubscription(s: Omit<Subscription, 'created' | 'nonce'>): Subscription {
  return { ...s, created: Math.floor(Date.now() / 1000), nonce: randomBytes(6).toString('base64url') };
}

export function sealSubscription(s: Subscription, secret: Buffer): string {
  const sealed: SealedSubscription = {
    v: 1,
    k: KIND_CODES[s.kind],
    u: s.user,
    a: s.all ? 1 : undefined,
    f: s.all ? undefined : s.folders,
    e: s.events.reduce((m, t) => m | (1 << EVENT_TYPES.indexOf(t)), 0),
    t: s.timeout,
    url: s.url,
    sf: s.statusFrequency,
    cd: s.callerData,
    c: s.created,
    n: s.nonce,
  };
  return sealState(SUB_KIND, sealed, secret);
}

export type OpenedSubscription = { ok: true; sub: Subscription; key: string } | { ok: false; why: 'malformed' | 'forged' };

/** A SubscriptionId back to its content; `key` is a short, stable name for it in memory and watermarks. */
export function openSubscription(id: string, secret: Buffer): OpenedSubscription {
  const text = id.trim();
  if (!/^S1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/.test(text) || text.length > 16384) return { ok: false, why: 'malformed' };
  const p = openState<SealedSubscription>(SUB_KIND, text, secret);
  if (!p || p.v !== 1 || !(p.k in CODE_KINDS) || typeof p.u !== 'string' || typeof p.e !== 'number') return { ok: false, why: 'forged' };
  const events = EVENT_TYPES.filter((_, i) => p.e & (1 << i));
  return {
    ok: true,
    key: subscriptionKey(text),
    sub: {
      kind: CODE_KINDS[p.k],
      user: p.u,
      all: p.a === 1,
      folders: Array.isArray(p.f) ? p.f.filter((f) => typeof f === 'string') : [],
      events,
      timeout: p.t,
      url: p.url,
      statusFrequency: p.sf,
      callerData: p.cd,
      created: p.c,
      nonce: p.n,
    },
  };
}

export function subscriptionKey(id: string): string {
  return createHash('sha256').update(id.trim()).digest('base64url').slice(0, 16);
}

/** The state of one folder as a watermark records it. */
export interface FolderState {
  key: string;
  /** Key of the parent folder, '' for the top level (msgfolderroot). */
  parent: string;
  uidValidity: number;
  /** Every change with a higher MODSEQ may not have been reported yet. */
  modseq: bigint;
  /** Every message with this UID or a higher one is new to the client. */
  uidNext: number;
  /** Short digest of the path, to notice renames of folders with stable ids. */
  pathHash: string;
}

export interface Watermark {
  /** Key of the subscription it belongs to. */
  sub: string;
  /** Digest of the owner's login (a watermark resubscribed from must be the same user's). */
  user: string;
  /** Seconds since the epoch, when it was issued (pull subscriptions expire from it). */
  issued: number;
  folders: FolderState[];
}

type SealedFolder = [key: string, parent: string | number, v: number, m: string, u: number, h: string];
interface SealedWatermark {
  s: string;
  u: string;
  t: number;
  f: SealedFolder[];
}

export function userDigest(login: string): string {
  return createHash('sha256').update('user\0').update(login.toLowerCase()).digest('base64url').slice(0, 10);
}

export function pathHash(path: string): string {
  return createHash('sha256').update(path).digest('base64url').slice(0, 6);
}

export function sealWatermark(w: Watermark, secret: Buffer): string {
  const index = new Map(w.folders.map((f, i) => [f.key, i]));
  const sealed: SealedWatermark = {
    s: w.sub,
    u: w.user,
    t: w.issued,
    f: w.folders.map((f) => [f.key, f.parent === '' ? -1 : index.get(f.parent) ?? f.parent, f.uidValidity, f.modseq.toString(), f.uidNext, f.pathHash]),
  };
  return sealState(WM_KIND, sealed, secret);
}

export function openWatermark(text: string, secret: Buffer): Watermark | undefined {
  const t = text.trim();
  if (!t.startsWith(`${WM_KIND}.`) || t.length > 1024 * 1024) return undefined;
  const p = openState<SealedWatermark>(WM_KIND, t, secret);
  if (!p || typeof p.s !== 'string' || typeof p.u !== 'string' || typeof p.t !== 'number' || !Array.isArray(p.f)) return undefined;
  const folders: FolderState[] = [];
  for (const e of p.f) {
    if (!Array.isArray(e) || e.length !== 6 || typeof e[0] !== 'string' || !/^\d+$/.test(String(e[3]))) return undefined;
    const parent = typeof e[1] === 'number' ? (e[1] < 0 ? '' : (p.f[e[1]]?.[0] ?? '')) : String(e[1]);
    folders.push({ key: e[0], parent, uidValidity: Number(e[2]), modseq: BigInt(e[3]), uidNext: Number(e[4]), pathHash: String(e[5]) });
  }
  return { sub: p.s, user: p.u, issued: p.t, folders };
}

/** One event as clients see it (ids already rendered). */
export interface NotifyEvent {
  kind: EventKind;
  time: Date;
  /** ItemId or FolderId of the object. */
  itemId?: { id: string; changeKey?: string };
  folderId?: { id: string; changeKey?: string };
  parentFolderId?: { id: string; changeKey?: string };
  oldItemId?: { id: string; changeKey?: string };
  oldFolderId?: { id: string; changeKey?: string };
  oldParentFolderId?: { id: string; changeKey?: string };
  unreadCount?: number;
  /** Keys of the folders this event concerns, for matching subscriptions (the parent, the folder itself, the old parent). */
  scope: string[];
  /** Set by pull / push delivery: the watermark after this event. */
  watermark?: string;
  /** Arrivals only, for pairing moves (moves.ts), never sent: the Message-ID, and the item id X-Ewsgate-Item-Id names. */
  ident?: string;
  source?: string;
}
