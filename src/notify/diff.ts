// Events from MODSEQ: what changed in the watched folders since a watermark, computed
// with one LIST-STATUS, then per changed folder one CONDSTORE `CHANGEDSINCE` fetch (with
// QRESYNC's VANISHED for expunges) and one fetch of the UIDs above the last UIDNEXT. The
// cost follows the number of changes, not the size of the folders, and it needs no server
// side memory: this is how a pull subscription is served, how the IMAP watcher turns a
// doorbell into events, and how anything missed is recovered.
//
// Each step carries the folder's state after it, so that every event can have its own
// watermark and a response can stop after any step marked `cut`: resuming from there
// never loses an event (at worst an expunge or a flag change is reported twice).
import type { FetchedMessage, MailStore } from '../ports/mail-store.js';
import { encodeFolderId, type FolderRef } from '../ews/folders/folder-id.js';
import type { EwsFolder, FolderTree } from '../ews/folders/tree.js';
import { changeKeyOf, encodeItemId } from '../ews/items/item-id.js';
import { folderKeyOf, folderKeyString, pathHash, type FolderState, type NotifyEvent } from './model.js';
import { arrivalOf } from './moves.js';

export interface Scope {
  all: boolean;
  /** Watched folder keys (for `all`, ignored). */
  folders: ReadonlySet<string>;
}

export interface DiffStep {
  events: NotifyEvent[];
  /** The folder's state after this step; null when the folder is gone. */
  folder: string;
  state: FolderState | null;
  /** A response may end after this step. */
  cut: boolean;
}

/** The key subscriptions and watermarks use for a folder of the tree. */
export function keyOf(f: EwsFolder): string {
  const r = f.ref;
  if (r.kind === 'mail') return folderKeyString({ stableId: r.stableId, path: r.path });
  // Calendars, contacts and virtual folders: accepted in subscriptions, never changed by mail events.
  return r.kind === 'virtual' ? `v:${r.name}` : `d:${f.id}`;
}

function parentKeyOf(f: EwsFolder, tree: FolderTree): string {
  return !f.parent || f.parent === tree.msgFolderRoot || f.parent === tree.root ? '' : keyOf(f.parent);
}

export function stateOf(f: EwsFolder, tree: FolderTree): FolderState {
  const mf = f.mail!;
  return {
    key: keyOf(f),
    parent: parentKeyOf(f, tree),
    uidValidity: mf.selectable ? mf.uidValidity : 0,
    modseq: mf.highestModseq ?? 0n,
    uidNext: mf.selectable ? mf.uidNext : 0,
    pathHash: pathHash(mf.path),
  };
}

/** Folders whose state a watermark of this scope records: the watched ones and their children. */
export function trackedFolders(tree: FolderTree, scope: Scope): EwsFolder[] {
  // A folder listed without its STATUS (renamed or deleted as it was listed) is left out.
  const mail = tree.all().filter((f) => f.mail && !(f.mail.selectable && f.mail.uidValidity === 0));
  if (scope.all) return mail;
  return mail.filter((f) => scope.folders.has(keyOf(f)) || (f.parent && scope.folders.has(keyOf(f.parent))));
}

/** Whether a listing caught a folder in the middle of a rename or delete (listed, but no STATUS). */
export function isUnsettled(tree: FolderTree): boolean {
  return tree.mailFolders.some((m) => m.selectable && m.uidValidity === 0);
}

/**
 * A folder the session has selected is reported by LIST-STATUS as of its last sync, so a
 * change made elsewhere would stay invisible: touching INBOX through the store NOOPs it
 * when it is the selected one, and otherwise EXAMINEs it, which leaves no stale folder
 * selected. Call before the listing a diff compares with.
 */
export async function freshen(store: MailStore): Promise<void> {
  await store.fetchMessages('INBOX', [], {}).catch(() => undefined);
}

/** The current state of every tracked folder: the starting watermark of a subscription. */
export function snapshot(tree: FolderTree, scope: Scope): FolderState[] {
  return trackedFolders(tree, scope).map((f) => stateOf(f, tree));
}

function isWatched(key: string, scope: Scope): boolean {
  return scope.all || scope.folders.has(key);
}

function folderIdOfKey(key: string, tree: FolderTree): { id: string; changeKey?: string } {
  if (key === '') return { id: tree.msgFolderRoot.id, changeKey: tree.msgFolderRoot.changeKey };
  const k = folderKeyOf(key);
  const ref: FolderRef = { kind: 'mail', stableId: k.stableId, path: k.path };
  const f = tree.find(ref);
  return f ? { id: f.id, changeKey: f.changeKey } : { id: encodeFolderId(ref) };
}

function idOf(f: EwsFolder): { id: string; changeKey: string } {
  return { id: f.id, changeKey: f.changeKey };
}

const NO_NEW_MAIL: ReadonlySet<string> = new Set(['\\Sent', '\\Drafts', '\\Trash']);

/**
 * Steps from the states in `prev` to the folders as `tree` (a fresh listing of `store`)
 * shows them. Folders of `prev` are compared by key; a folder not in `prev` is new.
 */
export interface DiffOptions {
  /** Read the arrivals' Message-ID and X-Ewsgate-Item-Id, so moves and copies can be paired (moves.ts). */
  identities?: boolean;
}

export async function diffFolders(store: MailStore, tree: FolderTree, prev: FolderState[], scope: Scope, now = new Date(), opts: DiffOptions = {}): Promise<DiffStep[]> {
  const steps: DiffStep[] = [];
  const before = new Map(prev.map((s) => [s.key, s]));
  // A folder listed without its STATUS (and so without its stable id) is being renamed or
  // deleted right now: this round leaves the hierarchy alone, the next one sees it settled.
  const unsettled = isUnsettled(tree);
  const current = trackedFolders(tree, scope);
  const currentKeys = new Set(current.map(keyOf));
  const rootId = idOf(tree.msgFolderRoot);

  // Folders that went away (deleted, or moved out of what is tracked).
  for (const p of prev) {
    if (currentKeys.has(p.key) || unsettled) continue;
    const concerned = isWatched(p.key, scope) || isWatched(p.parent, scope);
    const still = tree.find(refOfKey(p.key));
    const events: NotifyEvent[] = [];
    if (concerned) {
      if (still && still.mail) {
        // Moved below a folder nobody watches: to the watcher of the old parent it moved away.
        events.push({
          kind: 'MovedEvent',
          time: now,
          folderId: idOf(still),
          parentFolderId: still.parent ? idOf(still.parent) : rootId,
          oldFolderId: idOf(still),
          oldParentFolderId: folderIdOfKey(p.parent, tree),
          scope: [p.key, p.parent],
        });
      } else {
        events.push({ kind: 'DeletedEvent', time: now, folderId: folderIdOfKey(p.key, tree), parentFolderId: folderIdOfKey(p.parent, tree), scope: [p.key, p.parent] });
      }
    }
    steps.push({ events, folder: p.key, state: null, cut: true });
  }

  for (const f of current) {
    const key = keyOf(f);
    const cur = stateOf(f, tree);
    const parentId = f.parent && f.parent !== tree.root ? idOf(f.parent) : rootId;
    let p = before.get(key);
    if (!p) {
      const events: NotifyEvent[] = [];
      if (isWatched(cur.parent, scope) || isWatched(key, scope)) {
        events.push({ kind: 'CreatedEvent', time: now, folderId: idOf(f), parentFolderId: parentId, scope: [key, cur.parent] });
      }
      // A new folder's messages are all new to the client.
      p = { ...cur, modseq: 0n, uidNext: 1 };
      steps.push({ events, folder: key, state: p, cut: true });
    } else if (p.parent !== cur.parent || p.pathHash !== cur.pathHash) {
      const events: NotifyEvent[] = [];
      if (isWatched(key, scope) || isWatched(cur.parent, scope) || isWatched(p.parent, scope)) {
        if (p.parent !== cur.parent) {
          events.push({
            kind: 'MovedEvent',
            time: now,
            folderId: idOf(f),
            parentFolderId: parentId,
            oldFolderId: idOf(f),
            oldParentFolderId: folderIdOfKey(p.parent, tree),
            scope: [key, cur.parent, p.parent],
          });
        } else {
          events.push({ kind: 'ModifiedEvent', time: now, folderId: idOf(f), parentFolderId: parentId, unreadCount: f.mail?.unseen, scope: [key, cur.parent] });
        }
      }
      p = { ...p, parent: cur.parent, pathHash: cur.pathHash };
      steps.push({ events, folder: key, state: p, cut: true });
    }
    if (!isWatched(key, scope) || !f.mail?.selectable) {
      // Tracked for its place in the hierarchy only.
      if (p.uidValidity !== cur.uidValidity || p.modseq !== cur.modseq || p.uidNext !== cur.uidNext) steps.push({ events: [], folder: key, state: cur, cut: true });
      continue;
    }
    steps.push(...(await diffItems(store, f, p, cur, parentId, now, opts)));
  }
  return steps;
}

/**
 * The message-level steps of one folder only, from `prev` to its state now (one
 * single-folder LIST-STATUS): what the IMAP watcher runs when the folder it idles on rings,
 * instead of listing every folder. `tree` may be an older listing (ids, parents).
 */
export async function diffOneFolder(store: MailStore, tree: FolderTree, f: EwsFolder, prev: FolderState, now = new Date(), opts: DiffOptions = {}): Promise<DiffStep[]> {
  const mf = await store.folderStatus(f.mail!.path);
  // The listing's own copy is brought up to date for the UnreadCount of the folder event.
  Object.assign(f.mail!, { messages: mf.messages, unseen: mf.unseen, uidNext: mf.uidNext, uidValidity: mf.uidValidity, highestModseq: mf.highestModseq });
  const cur: FolderState = { ...prev, uidValidity: mf.uidValidity, modseq: mf.highestModseq ?? 0n, uidNext: mf.uidNext };
  const parentId = f.parent && f.parent !== tree.root ? idOf(f.parent) : idOf(tree.msgFolderRoot);
  return diffItems(store, f, prev, cur, parentId, now, opts);
}

function refOfKey(key: string): FolderRef {
  const k = folderKeyOf(key);
  return { kind: 'mail', stableId: k.stableId, path: k.path };
}

/** The message-level steps of one watched folder, from state `p` to `cur` (its LIST-STATUS). */
async function diffItems(
  store: MailStore,
  f: EwsFolder,
  prevState: FolderState,
  cur: FolderState,
  parentId: { id: string; changeKey?: string },
  now: Date,
  opts: DiffOptions,
): Promise<DiffStep[]> {
  const key = cur.key;
  // A folder that held no messages before (not selectable then): everything in it is new.
  const p = prevState.uidValidity === 0 ? { ...prevState, uidValidity: cur.uidValidity, modseq: 0n, uidNext: 1 } : prevState;
  const mf = f.mail!;
  const folderId = idOf(f);
  const folderModified = (): NotifyEvent => ({ kind: 'ModifiedEvent', time: now, folderId, parentFolderId: parentId, unreadCount: mf.unseen, scope: [key] });
  if (p.uidValidity !== cur.uidValidity && p.uidValidity !== 0) {
    // Every UID changed meaning: the client must resync the folder (its SyncFolderItems state
    // answers ErrorInvalidSyncStateData from now on); the folder event tells it to.
    return [{ events: [folderModified()], folder: key, state: cur, cut: true }];
  }
  if (p.modseq === cur.modseq && p.uidNext === cur.uidNext && p.uidValidity === cur.uidValidity) return [];
  if (!store.capabilities.condstore || p.modseq === 0n && p.uidNext > 1) {
    // Without CONDSTORE nothing tells which messages changed: a folder-level event only.
    return [{ events: [folderModified()], folder: key, state: cur, cut: true }];
  }
  const path = mf.path;
  const itemRef = (uid: number, uidValidity: number) => ({ folder: { kind: 'mail' as const, stableId: f.ref.kind === 'mail' ? f.ref.stableId : undefined, path }, uidValidity, uid });
  const item = (m: FetchedMessage, uidValidity: number) => ({ id: encodeItemId(itemRef(m.uid, uidValidity)), changeKey: changeKeyOf(m.modseq, m.uid) });
  const steps: DiffStep[] = [];
  let uidValidity = cur.uidValidity;

  // Changes to messages the client knows: flags (Modified) and expunges (Deleted).
  let modified: FetchedMessage[] = [];
  let vanished: number[] = [];
  let highestSeen = cur.modseq;
  if (p.uidNext > 1) {
    const changed = await store.fetchMessages(path, { from: 1, to: p.uidNext - 1 }, { flags: true }, { changedSince: p.modseq });
    uidValidity = changed.state.uidValidity;
    if (uidValidity !== p.uidValidity) return [{ events: [folderModified()], folder: key, state: { ...cur, uidValidity }, cut: true }];
    modified = changed.messages.filter((m) => m.uid < p.uidNext).sort((a, b) => (a.modseq ?? 0n) < (b.modseq ?? 0n) ? -1 : (a.modseq ?? 0n) > (b.modseq ?? 0n) ? 1 : a.uid - b.uid);
    vanished = [...new Set(changed.vanished ?? [])].filter((u) => u < p.uidNext).sort((a, b) => a - b);
    for (const m of modified) if (m.modseq !== undefined && m.modseq > highestSeen) highestSeen = m.modseq;
    if (changed.state.highestModseq !== undefined && changed.state.highestModseq > highestSeen) highestSeen = changed.state.highestModseq;
  }
  // Messages the client has never been told about.
  const fresh =
    cur.uidNext > p.uidNext
      ? (await store.fetchMessages(path, { from: p.uidNext, to: cur.uidNext - 1 }, { flags: true, headers: opts.identities })).messages.filter((m) => m.uid >= p.uidNext)
      : [];
  fresh.sort((a, b) => a.uid - b.uid);
  const finalState: FolderState = { ...cur, uidValidity, modseq: highestSeen, uidNext: Math.max(cur.uidNext, p.uidNext, ...fresh.map((m) => m.uid + 1)) };

  const parts: { events: NotifyEvent[]; state: FolderState; cut: boolean }[] = [];
  for (const uid of vanished) {
    const id = { id: encodeItemId(itemRef(uid, uidValidity)) };
    // Until a later step moves the MODSEQ on, resuming reports these again (never loses them).
    parts.push({ events: [{ kind: 'DeletedEvent', time: now, itemId: id, parentFolderId: folderId, scope: [key] }], state: p, cut: false });
  }
  for (let i = 0; i < modified.length; i++) {
    const m = modified[i];
    const sameNext = i + 1 < modified.length && modified[i + 1].modseq === m.modseq;
    parts.push({
      events: [{ kind: 'ModifiedEvent', time: now, itemId: item(m, uidValidity), parentFolderId: folderId, scope: [key] }],
      state: { ...p, uidValidity, modseq: m.modseq ?? p.modseq },
      cut: !sameNext,
    });
  }
  const afterOld: FolderState = { ...p, uidValidity, modseq: highestSeen };
  for (const m of fresh) {
    const events: NotifyEvent[] = [{ kind: 'CreatedEvent', time: now, itemId: item(m, uidValidity), parentFolderId: folderId, scope: [key], ...(opts.identities ? arrivalOf(m.headers) : {}) }];
    if (!m.flags.has('\\Seen') && !m.flags.has('\\Draft') && !NO_NEW_MAIL.has(mf.specialUse ?? '')) {
      events.push({ kind: 'NewMailEvent', time: now, itemId: item(m, uidValidity), parentFolderId: folderId, scope: [key] });
    }
    parts.push({ events, state: { ...afterOld, uidNext: m.uid + 1 }, cut: true });
  }
  parts.push({ events: [folderModified()], state: finalState, cut: true });
  for (const part of parts) steps.push({ events: part.events, folder: key, state: part.state, cut: part.cut });
  return steps;
}
