// MailStore over IMAP with imapflow. One authenticated connection per user and
// credential, kept by ImapSessionPool and shared by that user's requests
// (imapflow queues commands; mailbox locks serialise SELECT-bound work).
import { ImapFlow } from 'imapflow';
import type { FetchMessageObject, ListResponse } from 'imapflow';
import { decodePath, encodePath } from 'imapflow/lib/tools.js';
import { searchCompiler } from 'imapflow/lib/search-compiler.js';
import {
  BackendUnavailableError,
  FolderExistsError,
  FolderMissingError,
  type FetchFields,
  type FetchedMessage,
  type FlagChange,
  type MailFolder,
  type MailSearch,
  type MailSort,
  type MailStore,
  type MailStoreCapabilities,
  type MailboxState,
  type SpecialUse,
} from '../../src/ports/mail-store.js';
import { orderedSet, toEnvelope, toMimePart, uidSet } from './convert.js';
import { cacheableFields, MessageCache, type MessageFacts } from './message-cache.js';
import { ChangeJournal } from './change-journal.js';

const SPECIAL_USES: readonly SpecialUse[] = ['\\Inbox', '\\Drafts', '\\Sent', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged'];

type UntaggedAttr = { type?: string; value?: unknown } | UntaggedAttr[];
interface Untagged {
  attributes?: UntaggedAttr[];
}
// imapflow's exec() is public in its code but not in its typings; we need it for the
// one-round-trip `LIST ... RETURN (STATUS (X-GUID))` that imapflow's list() cannot ask.
interface ImapExec {
  exec(command: string, attributes: unknown[], options: { untagged: Record<string, (u: Untagged) => Promise<void>> }): Promise<{ next: () => void }>;
}

/** Connections whose server answered BAD to SORT RETURN (PARTIAL …). */
const partialRefused = new WeakSet<object>();

export class ImapMailStore implements MailStore {
  readonly capabilities: MailStoreCapabilities;
  private readonly synced = new Set<string>();

  constructor(
    private readonly client: ImapFlow,
    private readonly onRelease: () => void,
    /** The process's message cache and whose session this is (the cache is kept per login). */
    private readonly facts?: { cache: MessageCache; user: string },
  ) {
    ChangeJournal.of(client); // hooked in before this connection's next SELECT, which starts its record
    const caps = client.capabilities;
    this.capabilities = {
      condstore: caps.has('CONDSTORE'),
      qresync: caps.has('QRESYNC'),
      move: caps.has('MOVE'),
      uidplus: caps.has('UIDPLUS'),
      // Dovecot answers STATUS (X-GUID); learned on the first listing.
      stableFolderIds: true,
    };
  }

  release(): void {
    this.onRelease();
  }

  async listFolders(): Promise<MailFolder[]> {
    return guard(() => this.list('*'));
  }

  async folderStatus(path: string): Promise<MailFolder> {
    return guard(async () => {
      const entry = (await this.list(path)).find((f) => f.path === path);
      if (!entry) throw new FolderMissingError(path);
      return entry;
    });
  }

  /**
   * One LIST-STATUS round trip that also carries Dovecot's X-GUID, parsed here: imapflow's
   * list() cannot ask for X-GUID, and a second LIST for it cost a third of every folder request.
   * Servers that refuse X-GUID get imapflow's list() and path-based folder ids.
   */
  private async list(pattern: string): Promise<MailFolder[]> {
    if (this.capabilities.stableFolderIds && this.client.capabilities.has('LIST-STATUS')) {
      try {
        return await this.listWithGuids(pattern);
      } catch (e) {
        if (!/BAD|unknown|invalid/i.test(String((e as Error).message) + String((e as { responseText?: string }).responseText ?? ''))) throw e;
        (this.capabilities as { stableFolderIds: boolean }).stableFolderIds = false;
      }
    }
    const statusQuery = { messages: true, unseen: true, uidNext: true, uidValidity: true, highestModseq: this.capabilities.condstore };
    const entries = await this.client.list({ statusQuery });
    return entries.filter((e) => pattern === '*' || e.path === pattern).map((e) => toFolder(e, undefined));
  }

  private async listWithGuids(pattern: string): Promise<MailFolder[]> {
    const exec = (this.client as unknown as ImapExec).exec.bind(this.client);
    const atom = (value: string) => ({ type: 'ATOM', value });
    const mailbox = pattern === '*' ? atom('*') : { type: 'STRING', value: encodePath(this.client, pattern) };
    const items = ['MESSAGES', 'UNSEEN', 'UIDNEXT', 'UIDVALIDITY', ...(this.capabilities.condstore ? ['HIGHESTMODSEQ'] : []), 'X-GUID'].map(atom);
    const specialUse = this.client.capabilities.has('SPECIAL-USE') ? [atom('SPECIAL-USE')] : [];
    const returns = [atom('SUBSCRIBED'), atom('CHILDREN'), ...specialUse, atom('STATUS'), items];
    const folders = new Map<string, MailFolder>();
    const status = new Map<string, Record<string, string>>();
    const res = await exec('LIST', [{ type: 'STRING', value: '' }, mailbox, atom('RETURN'), returns], {
      untagged: {
        LIST: async (u) => {
          const attrs = u.attributes ?? [];
          const flags = (Array.isArray(attrs[0]) ? attrs[0] : []).map((a) => atomText(a).toLowerCase());
          const delimiter = atomText(attrs[1]) || '/';
          const path = normalizeInbox(decodePath(this.client, atomText(attrs[2])));
          const cut = path.lastIndexOf(delimiter);
          folders.set(path, {
            path,
            name: cut >= 0 ? path.slice(cut + 1) : path,
            parentPath: cut >= 0 ? path.slice(0, cut) : '',
            delimiter,
            specialUse: SPECIAL_USES.find((su) => flags.includes(su.toLowerCase())) ?? (path === 'INBOX' ? '\\Inbox' : undefined),
            subscribed: flags.includes('\\subscribed'),
            selectable: !flags.includes('\\noselect') && !flags.includes('\\nonexistent'),
            messages: 0,
            unseen: 0,
            uidNext: 0,
            uidValidity: 0,
          });
        },
        STATUS: async (u) => {
          const attrs = u.attributes ?? [];
          const list = Array.isArray(attrs[1]) ? attrs[1] : [];
          const values: Record<string, string> = {};
          for (let i = 0; i + 1 < list.length; i += 2) values[atomText(list[i]).toUpperCase()] = atomText(list[i + 1]);
          // merged: a watcher's NOTIFY (watcher.ts) may add a partial STATUS of the same folder
          const path = normalizeInbox(decodePath(this.client, atomText(attrs[0])));
          status.set(path, { ...status.get(path), ...values });
        },
      },
    });
    res.next();
    for (const [path, v] of status) {
      const f = folders.get(path);
      if (!f) continue;
      f.messages = Number(v.MESSAGES ?? 0);
      f.unseen = Number(v.UNSEEN ?? 0);
      f.uidNext = Number(v.UIDNEXT ?? 0);
      f.uidValidity = Number(v.UIDVALIDITY ?? 0);
      if (v.HIGHESTMODSEQ) f.highestModseq = BigInt(v.HIGHESTMODSEQ);
      if (v['X-GUID']) f.stableId = v['X-GUID'];
    }
    return [...folders.values()];
  }

  async createFolder(path: string): Promise<void> {
    await guard(async () => {
      const res = await this.client.mailboxCreate(path);
      if (res && (res as { created?: boolean }).created === false) throw new FolderExistsError(path);
    });
  }

  async renameFolder(from: string, to: string): Promise<void> {
    await guard(async () => {
      await this.client.mailboxRename(from, to);
      // RENAME keeps subscription state off in some servers; a renamed folder must stay visible.
      await this.client.mailboxSubscribe(to).catch(() => undefined);
    });
  }

  async deleteFolder(path: string): Promise<void> {
    await guard(async () => {
      await this.client.mailboxUnsubscribe(path).catch(() => undefined);
      await this.client.mailboxDelete(path);
    });
  }

  async copyAllMessages(from: string, to: string): Promise<void> {
    await guard(async () => {
      const lock = await this.client.getMailboxLock(from, { readOnly: true });
      try {
        const box = this.client.mailbox;
        if (box && box.exists > 0) await this.client.messageCopy('1:*', to, { uid: true });
      } finally {
        lock.release();
      }
    });
  }

  async moveAllMessages(from: string, to: string): Promise<void> {
    await guard(async () => {
      const lock = await this.client.getMailboxLock(from);
      try {
        const box = this.client.mailbox;
        if (box && box.exists > 0) await this.client.messageMove('1:*', to, { uid: true });
      } finally {
        lock.release();
      }
    });
  }

  async deleteAllMessages(path: string): Promise<void> {
    await guard(async () => {
      const lock = await this.client.getMailboxLock(path);
      try {
        const box = this.client.mailbox;
        if (box && box.exists > 0) await this.client.messageDelete('1:*', { uid: true });
      } finally {
        lock.release();
      }
    });
  }

  selectedFolder(): { path: string; uidValidity: number } | undefined {
    const box = this.client.mailbox;
    return box && this.client.usable ? { path: box.path, uidValidity: Number(box.uidValidity) } : undefined;
  }

  async leaveFolder(): Promise<void> {
    const box = this.client.mailbox;
    if (!box || box.path === 'INBOX') return;
    // INBOX, examined, rather than UNSELECT: imapflow has no UNSELECT, and CLOSE would expunge.
    await guard(async () => (await this.client.getMailboxLock('INBOX', { readOnly: true })).release());
  }

  async fetchMessages(
    path: string,
    uids: number[] | 'all' | { from: number; to: number },
    fields: FetchFields,
    opts: { changedSince?: bigint; onMessage?: (message: FetchedMessage, state: MailboxState) => void } = {},
  ): Promise<{ state: MailboxState; messages: FetchedMessage[]; vanished?: number[] }> {
    return guard(() =>
      this.withMailbox(path, true, async (state, synced) => {
        const found = new Map<number, FetchedMessage>();
        const vanished: number[] = [];
        const answer = () => ({ state, messages: inAskedOrder(uids, [...found.values()]), vanished });
        const empty = Array.isArray(uids) ? uids.length === 0 : uids !== 'all' && uids.to < uids.from;
        if (empty || (state.exists === 0 && !opts.changedSince)) return answer();
        const asked = askedBy(uids);
        const factsKey = opts.changedSince === undefined && !opts.onMessage ? this.factsKey(state, fields) : undefined;
        if (factsKey && Array.isArray(uids) && uids.some((u) => this.facts!.cache.lookup(factsKey, u, fields))) {
          for (const m of await this.fetchKnown(uidSet(uids), true, fields, factsKey, asked)) found.set(m.uid, m);
          return answer();
        }
        let range = uids === 'all' ? '1:*' : Array.isArray(uids) ? uidSet(uids) : `${uids.from}:${uids.to}`;
        // CHANGEDSINCE over a UID range: Dovecot reads the MODSEQ of every message in the range, so
        // ask about just the UIDs this connection was told changed (change-journal.ts). Without such
        // a record, one light scan of 1:* starts it (the UIDs and MODSEQs of every change since),
        // and the fields asked for are fetched for those UIDs. The server's answer for those UIDs
        // is what it answers for the whole range.
        if (opts.changedSince !== undefined && !Array.isArray(uids) && this.client.enabled.has('QRESYNC')) {
          const journal = ChangeJournal.of(this.client);
          const from = uids === 'all' ? 1 : uids.from;
          const to = uids === 'all' ? Infinity : uids.to;
          let known = journal.candidates(path, opts.changedSince, from, to);
          if (known && !synced) {
            await this.client.noop(); // what the server has not told yet is not in the record
            known = journal.candidates(path, opts.changedSince, from, to);
          }
          if (!known && from === 1) {
            const rebased = journal.beginRebase(opts.changedSince);
            for await (const m of this.client.fetch('1:*', { uid: true }, { uid: true, changedSince: opts.changedSince })) void m;
            rebased();
            known = journal.candidates(path, opts.changedSince, from, to);
          }
          if (known) {
            if (!known.length) return answer();
            range = uidSet(known);
          }
        }
        // VANISHED (EARLIER) answers to CHANGEDSINCE reach us as imapflow 'expunge' events, and so do
        // the plain VANISHED a selected folder gets for expunges made elsewhere meanwhile: the server
        // may leave those out of the EARLIER answer, so both count.
        const onExpunge = (e: { path: string; uid?: number; vanished?: boolean }) => {
          if (e.path === path && e.vanished && e.uid) vanished.push(e.uid);
        };
        if (opts.changedSince !== undefined) this.client.on('expunge', onExpunge);
        const query = fetchQuery(fields);
        // Changes since a MODSEQ, when the cache knows what never changes: ask for flags only, and
        // fetch the rest just for the messages it does not know (below, as for a bare FETCH).
        // A flag change elsewhere then never makes Dovecot open the message file again.
        const changesKey = opts.changedSince !== undefined && !opts.onMessage ? this.factsKey(state, fields) : undefined;
        const told = new Set<number>();
        const tell = (m: FetchedMessage) => {
          if (!opts.onMessage || told.has(m.uid) || !holdsAll(m, fields)) return;
          told.add(m.uid);
          opts.onMessage(m, state);
        };
        try {
          await this.collect(range, changesKey ? fetchQuery({ flags: true }) : query, { uid: true, changedSince: opts.changedSince }, asked, found, tell);
        } finally {
          if (opts.changedSince !== undefined) this.client.off('expunge', onExpunge);
        }
        if (changesKey) this.fillFromCache(changesKey, found.values(), fields);
        // Dovecot folds a change it owes a selected folder into the CHANGEDSINCE answer as a bare
        // FETCH (FLAGS MODSEQ): fetch what was asked for those messages once more.
        const incomplete = [...found.values()].filter((m) => !holdsAll(m, fields));
        if (incomplete.length && opts.changedSince !== undefined) await this.collect(uidSet(incomplete.map((i) => i.uid)), query, { uid: true }, () => false, found, tell);
        const rememberKey = factsKey ?? changesKey;
        if (rememberKey) this.remember(rememberKey, found.values(), fields);
        return answer();
      }),
    );
  }

  async fetchWindow(
    path: string,
    order: 'newest' | 'oldest',
    pick: (exists: number) => { start: number; end: number },
    fields: FetchFields,
  ): Promise<{ state: MailboxState; messages: FetchedMessage[] }> {
    return guard(() =>
      this.withMailbox(path, true, async (state) => {
        const { start, end } = pick(state.exists);
        if (end <= start) return { state, messages: [] };
        // Sequence numbers run oldest to newest (as UIDs do), so the newest `end` positions end at EXISTS.
        const range = order === 'newest' ? `${state.exists - end + 1}:${state.exists - start}` : `${start + 1}:${end}`;
        const inOrder = (messages: FetchedMessage[]) => ({ state, messages: messages.sort((a, b) => (order === 'newest' ? b.uid - a.uid : a.uid - b.uid)) });
        // An unsolicited FETCH (a flag changed elsewhere) may arrive for a message outside the window.
        const [lo, hi] = order === 'newest' ? [state.exists - end + 1, state.exists - start] : [start + 1, end];
        const inWindow = (m: FetchMessageObject) => m.seq >= lo && m.seq <= hi;
        const factsKey = this.factsKey(state, fields);
        if (factsKey && this.facts!.cache.knows(factsKey)) return inOrder(await this.fetchKnown(range, false, fields, factsKey, inWindow));
        const found = new Map<number, FetchedMessage>();
        await this.collect(range, fetchQuery(fields), {}, inWindow, found);
        if (factsKey) this.remember(factsKey, found.values(), fields);
        return inOrder([...found.values()]);
      }),
    );
  }

  /** The message cache's key for this folder, when the cache can answer this FETCH at all. */
  private factsKey(state: MailboxState, fields: FetchFields): string | undefined {
    if (!this.facts?.cache.enabled || !cacheableFields(fields)) return undefined;
    return MessageCache.key(this.facts.user, state.path, state.uidValidity);
  }

  /**
   * FETCH `range` (UIDs or sequence numbers, `wanted` telling its messages) asking only for FLAGS
   * (MODSEQ comes along), and take what never changes from the cache; what it does not know is fetched whole, by UID,
   * in a second FETCH. A message gone in between is left out.
   */
  private async fetchKnown(range: string, byUid: boolean, fields: FetchFields, key: string, wanted: (m: FetchMessageObject) => boolean): Promise<FetchedMessage[]> {
    const found = new Map<number, FetchedMessage>();
    await this.collect(range, fetchQuery({ flags: true }), { uid: byUid }, wanted, found);
    const missing = this.fillFromCache(key, found.values(), fields);
    if (missing.length) {
      await this.collect(uidSet(missing), fetchQuery(fields), { uid: true }, () => false, found);
      for (const uid of missing) if (!holdsAll(found.get(uid)!, fields)) found.delete(uid);
      this.remember(key, missing.map((uid) => found.get(uid)).filter((m) => m !== undefined), fields);
    }
    return [...found.values()];
  }

  /**
   * Runs one FETCH and gathers its answers by UID into `into`, in the order they come: several
   * answers about one message (an unsolicited FETCH of a flag changed elsewhere among them) are
   * merged, and one about a message the FETCH did not ask for (`asked`) is left out. `each`
   * hears of every message an answer touched.
   */
  private async collect(
    range: string,
    query: ReturnType<typeof fetchQuery>,
    options: { uid?: boolean; changedSince?: bigint },
    asked: (m: FetchMessageObject) => boolean,
    into: Map<number, FetchedMessage>,
    each?: (m: FetchedMessage) => void,
  ): Promise<void> {
    for await (const m of this.client.fetch(range, query, options)) {
      let fetched = into.get(m.uid);
      if (fetched) mergeFetched(fetched, m);
      else if (!asked(m)) continue;
      else into.set(m.uid, (fetched = toFetched(m)));
      each?.(fetched);
    }
  }

  /** Fills in what never changes from the cache; answers the UIDs it does not know. */
  private fillFromCache(key: string, messages: Iterable<FetchedMessage>, fields: FetchFields): number[] {
    const missing: number[] = [];
    for (const m of messages) {
      const facts = this.facts!.cache.lookup(key, m.uid, fields);
      if (facts) fillFacts(m, facts);
      else missing.push(m.uid);
    }
    return missing;
  }

  private remember(key: string, messages: Iterable<FetchedMessage>, fields: FetchFields): void {
    for (const m of messages) if (holdsAll(m, fields)) this.facts!.cache.remember(key, m);
  }

  async searchMessages(
    path: string,
    search: MailSearch,
    sort?: MailSort[],
    window?: { start: number; end: number },
  ): Promise<{ state: MailboxState; uids: number[]; total: number }> {
    return guard(() =>
      this.withMailbox(path, true, async (state) => {
        if (state.exists === 0) return { state, uids: [], total: 0 };
        let uids: number[];
        if (sort && sort.length && this.client.capabilities.has('SORT')) {
          // PARTIAL (RFC 5267) sends just the window's UIDs and the count, not all of them. Dovecot
          // has it for SORT while advertising only ESORT and CONTEXT=SEARCH; a server that refuses
          // it is asked for everything from then on.
          const caps = this.client.capabilities;
          if (window && !partialRefused.has(this.client) && caps.has('ESORT') && (caps.has('CONTEXT=SORT') || caps.has('CONTEXT=SEARCH'))) {
            try {
              return { state, ...(await this.sortWindow(search, sort, window)) };
            } catch (e) {
              if (!/BAD/i.test(String((e as Error).message) + String((e as { responseStatus?: string }).responseStatus ?? ''))) throw e;
              partialRefused.add(this.client);
            }
          }
          uids = await this.sortUids(search, sort);
        } else {
          const found = await this.client.search(search as never, { uid: true });
          uids = Array.isArray(found) ? [...found].sort((a, b) => a - b) : [];
        }
        return { state, uids: window ? uids.slice(window.start, window.end) : uids, total: uids.length };
      }),
    );
  }

  async appendMessage(path: string, raw: Buffer, flags: string[], date?: Date): Promise<{ uid?: number; uidValidity?: number }> {
    return guard(async () => {
      const res = await this.client.append(path, raw, flags, date);
      if (!res) throw new BackendUnavailableError('The IMAP server refused to store the message.');
      return { uid: res.uid, uidValidity: res.uidValidity !== undefined ? Number(res.uidValidity) : undefined };
    });
  }

  async changeFlags(path: string, uids: number[], change: FlagChange): Promise<void> {
    if (uids.length === 0) return;
    await guard(() =>
      this.withMailbox(path, false, async () => {
        const range = uidSet(uids);
        if (change.op === 'add') await this.client.messageFlagsAdd(range, change.flags, { uid: true });
        else if (change.op === 'remove') await this.client.messageFlagsRemove(range, change.flags, { uid: true });
        else await this.client.messageFlagsSet(range, change.flags, { uid: true });
      }),
    );
  }

  async copyMessages(path: string, uids: number[], to: string): Promise<Map<number, number>> {
    if (uids.length === 0) return new Map();
    return guard(() =>
      this.withMailbox(path, true, async () => {
        const res = await this.client.messageCopy(uidSet(uids), to, { uid: true });
        if (!res) throw new BackendUnavailableError('The IMAP server refused the copy.');
        return res.uidMap ?? new Map();
      }),
    );
  }

  async moveMessages(path: string, uids: number[], to: string): Promise<Map<number, number>> {
    if (uids.length === 0) return new Map();
    return guard(() =>
      this.withMailbox(path, false, async () => {
        const res = await this.client.messageMove(uidSet(uids), to, { uid: true });
        if (!res) throw new BackendUnavailableError('The IMAP server refused the move.');
        return res.uidMap ?? new Map();
      }),
    );
  }

  async deleteMessages(path: string, uids: number[]): Promise<void> {
    if (uids.length === 0) return;
    await guard(() =>
      this.withMailbox(path, false, async () => {
        await this.client.messageDelete(uidSet(uids), { uid: true });
      }),
    );
  }

  /**
   * Selects (or examines) a folder under imapflow's lock and hands its state to `fn`, with
   * `synced` true when this call NOOPed it (the server has told this connection all it knew).
   */
  private async withMailbox<T>(path: string, readOnly: boolean, fn: (state: MailboxState, synced: boolean) => Promise<T>): Promise<T> {
    // One NOOP per folder per request (this store lives for one request): enough to see what others changed.
    const wasSelected = this.client.mailbox && this.client.mailbox.path === path && !this.synced.has(path);
    this.synced.add(path);
    let lock;
    try {
      lock = await this.client.getMailboxLock(path, { readOnly });
    } catch (e) {
      const err = e as { mailboxMissing?: boolean; serverResponseCode?: string; responseText?: string };
      if (err.mailboxMissing || err.serverResponseCode === 'NONEXISTENT' || /doesn't exist|does not exist/i.test(err.responseText ?? ''))
        throw new FolderMissingError(path);
      throw e;
    }
    try {
      // A folder left selected by an earlier request only learns of messages others added
      // (and of expunges) when a command lets the server say so: NOOP first, then read.
      if (wasSelected) await this.client.noop();
      const box = this.client.mailbox;
      // The server closed the folder this session had open (Dovecot does when another client
      // deletes it): for this request it is gone; the next one lists afresh.
      if (!box && wasSelected) throw new FolderMissingError(path);
      if (!box) throw new BackendUnavailableError('The IMAP server did not open the folder.');
      return await fn(
        {
          path,
          uidValidity: Number(box.uidValidity),
          uidNext: box.uidNext,
          exists: box.exists,
          highestModseq: box.highestModseq,
        },
        !!wasSelected,
      );
    } finally {
      lock.release();
    }
  }

  /** RFC 5256 UID SORT, which imapflow has no command for. */
  private async sortUids(search: MailSearch, sort: MailSort[]): Promise<number[]> {
    const exec = (this.client as unknown as ImapExec).exec.bind(this.client);
    const uids: number[] = [];
    const res = await exec('UID SORT', [sortKeys(sort), { type: 'ATOM', value: 'UTF-8' }, ...this.criteria(search)], {
      untagged: {
        SORT: async (u) => {
          for (const a of u.attributes ?? []) {
            const n = Number(atomText(a));
            if (Number.isInteger(n) && n > 0) uids.push(n);
          }
        },
      },
    });
    res.next();
    return uids;
  }
  /**
   * `UID SORT RETURN (COUNT PARTIAL a:b)` (RFC 5267): the UIDs at positions [start, end) of the
   * sorted result, in sort order, and how many matched in all.
   */
  private async sortWindow(search: MailSearch, sort: MailSort[], window: { start: number; end: number }): Promise<{ uids: number[]; total: number }> {
    const exec = (this.client as unknown as ImapExec).exec.bind(this.client);
    const atom = (value: string) => ({ type: 'ATOM', value });
    const returns = window.end > window.start ? [atom('COUNT'), atom('PARTIAL'), atom(`${window.start + 1}:${window.end}`)] : [atom('COUNT')];
    let uids: number[] = [];
    let total = 0;
    const res = await exec('UID SORT', [atom('RETURN'), returns, sortKeys(sort), atom('UTF-8'), ...this.criteria(search)], {
      untagged: {
        ESEARCH: async (u) => {
          const attrs = u.attributes ?? [];
          for (let i = 0; i < attrs.length; i++) {
            const name = Array.isArray(attrs[i]) ? '' : atomText(attrs[i]).toUpperCase();
            if (name === 'COUNT') total = Number(atomText(attrs[++i]));
            else if (name === 'PARTIAL') {
              const value = attrs[++i];
              const set = Array.isArray(value) ? atomText(value[1]) : '';
              uids = orderedSet(set);
            }
          }
        },
      },
    });
    res.next();
    return { uids, total };
  }

  private criteria(search: MailSearch): unknown[] {
    return Object.keys(search).length ? searchCompiler(this.client, search) : [{ type: 'ATOM', value: 'ALL' }];
  }

}

function sortKeys(sort: MailSort[]): { type: string; value: string }[] {
  const keys: { type: string; value: string }[] = [];
  for (const k of sort) {
    if (k.reverse) keys.push({ type: 'ATOM', value: 'REVERSE' });
    keys.push({ type: 'ATOM', value: k.key });
  }
  return keys;
}

/** Whether an answer is about a message a FETCH by UID asked for (an unsolicited FETCH may tell of any message). */
function askedBy(uids: number[] | 'all' | { from: number; to: number }): (m: FetchMessageObject) => boolean {
  if (uids === 'all') return () => true;
  if (Array.isArray(uids)) {
    const set = new Set(uids);
    return (m) => set.has(m.uid);
  }
  return (m) => m.uid >= uids.from && m.uid <= uids.to;
}

/** FETCH answers come in mailbox order; a caller that named UIDs gets its own order back. */
function inAskedOrder(uids: number[] | 'all' | { from: number; to: number }, messages: FetchedMessage[]): FetchedMessage[] {
  if (!Array.isArray(uids)) return messages;
  const pos = new Map(uids.map((u, i) => [u, i]));
  return messages.sort((a, b) => (pos.get(a.uid) ?? 0) - (pos.get(b.uid) ?? 0));
}

function fillFacts(m: FetchedMessage, facts: MessageFacts): void {
  m.internalDate = facts.internalDate;
  m.size = facts.size;
  m.envelope = facts.envelope;
  m.structure = facts.structure;
  m.headers = facts.headers;
}

/** Whether a fetched message carries every field asked for (an unsolicited FETCH carries only some). */
function holdsAll(m: FetchedMessage, fields: FetchFields): boolean {
  return !(
    (fields.envelope && !m.envelope) ||
    (fields.structure && !m.structure) ||
    (fields.headers && !m.headers) ||
    (fields.source && !m.source) ||
    (fields.size && m.size === undefined) ||
    (fields.parts?.length && !m.parts)
  );
}

function fetchQuery(fields: FetchFields) {
  return {
    uid: true,
    flags: fields.flags ?? false,
    internalDate: fields.internalDate ?? false,
    size: fields.size ?? false,
    envelope: fields.envelope ?? false,
    bodyStructure: fields.structure ?? false,
    headers: fields.headers ?? false,
    source: fields.source ?? false,
    bodyParts: fields.parts && fields.parts.length ? fields.parts : undefined,
  };
}

function toFetched(m: FetchMessageObject): FetchedMessage {
  return {
    uid: m.uid,
    modseq: m.modseq,
    flags: m.flags ?? new Set(),
    internalDate: m.internalDate ? new Date(m.internalDate) : undefined,
    size: m.size,
    envelope: m.envelope ? toEnvelope(m.envelope) : undefined,
    structure: m.bodyStructure ? toMimePart(m.bodyStructure) : undefined,
    headers: m.headers,
    source: m.source,
    parts: m.bodyParts,
  };
}

/** Adds what a later FETCH answer for the same message carries; flags and MODSEQ take the newest. */
function mergeFetched(into: FetchedMessage, m: FetchMessageObject): void {
  if (m.flags) into.flags = m.flags;
  if (m.modseq !== undefined && (into.modseq === undefined || m.modseq > into.modseq)) into.modseq = m.modseq;
  into.envelope ??= m.envelope ? toEnvelope(m.envelope) : undefined;
  into.structure ??= m.bodyStructure ? toMimePart(m.bodyStructure) : undefined;
  into.internalDate ??= m.internalDate ? new Date(m.internalDate) : undefined;
  into.size ??= m.size;
  into.headers ??= m.headers;
  into.source ??= m.source;
  into.parts ??= m.bodyParts;
}

function atomText(a: UntaggedAttr | undefined): string {
  if (!a || Array.isArray(a)) return '';
  const v = a.value;
  return v === undefined || v === null ? '' : Buffer.isBuffer(v) ? v.toString() : String(v);
}

function normalizeInbox(path: string): string {
  return /^inbox$/i.test(path) ? 'INBOX' : path;
}

function toFolder(e: ListResponse, stableId: string | undefined): MailFolder {
  const flags = e.flags ?? new Set<string>();
  const special = e.specialUse && SPECIAL_USES.includes(e.specialUse as SpecialUse) ? (e.specialUse as SpecialUse) : undefined;
  const st = e.status ?? ({} as NonNullable<ListResponse['status']>);
  return {
    path: e.path,
    name: e.name,
    parentPath: e.parentPath ?? '',
    delimiter: e.delimiter || '/',
    specialUse: special,
    stableId,
    subscribed: !!e.subscribed,
    selectable: !flags.has('\\Noselect') && !flags.has('\\NonExistent'),
    messages: st.messages ?? 0,
    unseen: st.unseen ?? 0,
    uidNext: st.uidNext ?? 0,
    uidValidity: Number(st.uidValidity ?? 0),
    highestModseq: st.highestModseq,
  };
}

/** Maps imapflow's errors onto the port's: missing folder, existing folder, backend down. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof FolderMissingError || e instanceof FolderExistsError || e instanceof BackendUnavailableError) throw e;
    const err = e as { code?: string; serverResponseCode?: string; responseText?: string; response?: string; message?: string; mailboxMissing?: boolean };
    const code = (err.serverResponseCode ?? '').toUpperCase();
    const text = `${err.responseText ?? ''} ${err.message ?? ''}`;
    if (code === 'NONEXISTENT' || err.mailboxMissing || /doesn't exist|does not exist|NONEXISTENT/i.test(text)) throw new FolderMissingError('');
    if (code === 'ALREADYEXISTS' || /already exists|ALREADYEXISTS/i.test(text)) throw new FolderExistsError('');
    if (
      err.code === 'NoConnection' ||
      err.code === 'EConnectionClosed' ||
      err.code === 'ECONNREFUSED' ||
      err.code === 'ETIMEOUT' ||
      /closed|ECONNRESET|EPIPE/i.test(text)
    ) {
      throw new BackendUnavailableError('The IMAP server connection was lost.', e);
    }
    throw e;
  }
}
