// Which messages of the selected folder may have changed since a MODSEQ, learnt from
// what the server tells this connection anyway. Dovecot answers FETCH/SEARCH
// CHANGEDSINCE by reading every message's MODSEQ in the range (index-search.c,
// SEARCH_MODSEQ), so an incremental sync of a 50,000-message folder spent ~3 ms in
// that scan whatever changed. A selected folder, though, is kept in step with the
// transaction log: each change made elsewhere reaches this connection once, as an
// untagged FETCH (UID and MODSEQ included once QRESYNC is enabled, imap-sync.c) or a
// VANISHED. Recording those UIDs lets a CHANGEDSINCE ask the server about just them,
// and the server's own answer (flags, MODSEQ, VANISHED (EARLIER) from its log) stays
// what the client gets: the journal only narrows the UID range, it never answers.
//
// The record is complete from one point on, and is dropped at anything that could
// make it miss a change: a change this connection makes itself (Dovecot hides those
// from its own sync), a FETCH that may set \Seen, an EXPUNGE without UIDs, a reply it
// cannot read, another SELECT, or growing past MAX_TOUCHED. It starts again at a
// SELECT / EXAMINE (HIGHESTMODSEQ of that moment) or with a light CHANGEDSINCE scan
// of the whole folder (`beginRebase`). Without a record, callers scan as before.
// This relies on RFC 7162 as Dovecot implements it: with QRESYNC enabled, every FETCH
// the server sends of its own accord carries UID and MODSEQ, and expunges come as
// VANISHED; anything else drops the record.
import type { ImapFlow } from 'imapflow';

/** Past this many changed messages the full scan is no dearer than the record. */
const MAX_TOUCHED = 10_000;
/** A VANISHED UID: its MODSEQ is not told, so it stays a candidate for every later question. */
const GONE = BigInt(Number.MAX_SAFE_INTEGER) ** 2n;

/** Commands that change nothing in any mailbox (and so cannot hide a change from this connection's sync). */
const READ_ONLY = new Set([
  'NOOP',
  'CAPABILITY',
  'LIST',
  'LSUB',
  'XLIST',
  'STATUS',
  'SEARCH',
  'UID SEARCH',
  'SORT',
  'UID SORT',
  'THREAD',
  'UID THREAD',
  'ID',
  'NAMESPACE',
  'ENABLE',
  'IDLE',
  'DONE',
  'GETQUOTA',
  'GETQUOTAROOT',
  'CHECK',
]);

type Attr = { type?: string; value?: unknown; section?: unknown } | Attr[] | null | undefined;
interface Untagged {
  command?: string;
  attributes?: Attr[];
}
type Handler = (u: Untagged) => unknown;
interface ExecOptions {
  untagged?: Record<string, Handler>;
  [k: string]: unknown;
}
interface Hookable {
  exec(command: string, attributes: unknown[], options?: ExecOptions): Promise<unknown>;
  untaggedFetch(untagged: Untagged, mailbox?: unknown): Promise<unknown>;
  untaggedVanished(untagged: Untagged, mailbox?: unknown): Promise<unknown>;
  untaggedExpunge(untagged: Untagged): Promise<unknown>;
  sectionHandlers: Record<string, (section: Attr[]) => unknown>;
}

export class ChangeJournal {
  private static readonly byClient = new WeakMap<ImapFlow, ChangeJournal>();

  /** The journal of this connection, hooked in on first use. */
  static of(client: ImapFlow): ChangeJournal {
    let j = ChangeJournal.byClient.get(client);
    if (!j) {
      j = new ChangeJournal(client);
      ChangeJournal.byClient.set(client, j);
    }
    return j;
  }

  /** Every change to the selected folder with a MODSEQ above this is in `touched`; undefined: no record. */
  private since?: bigint;
  private uidValidity?: string;
  /** While a rebase scan runs: the MODSEQ it scans from (the record is not usable yet). */
  private rebasing?: bigint;
  private readonly touched = new Map<number, bigint>();
  /** Bumped by every drop: a rebase that saw one in between does not take effect. */
  private generation = 0;
  /** SELECT / EXAMINE commands under way. */
  private selecting = 0;

  private constructor(private readonly client: ImapFlow) {
    const c = client as unknown as Hookable;
    const exec = c.exec.bind(client);
    c.exec = (command, attributes, options) => this.exec(exec, command, attributes, options);
    const fetch = c.untaggedFetch.bind(client);
    c.untaggedFetch = (u, mailbox) => {
      this.noteFetch(u);
      return fetch(u, mailbox);
    };
    const vanished = c.untaggedVanished.bind(client);
    c.untaggedVanished = (u, mailbox) => {
      this.noteVanished(u);
      return vanished(u, mailbox);
    };
    // Response codes reach section handlers whether the line is tagged or not (imap-flow.js).
    c.sectionHandlers.HIGHESTMODSEQ = (section) => this.noteHighest(section);
    const expunge = c.untaggedExpunge.bind(client);
    c.untaggedExpunge = (u) => {
      this.drop(); // a sequence number only: which UID left is not told
      return expunge(u);
    };
  }

  /**
   * UIDs within [from, to] that may have changed or vanished after `modseq`, ascending;
   * undefined when this connection cannot tell (then scan). Only meaningful right after
   * a sync point (NOOP, SELECT): what the server has not told yet is not in the record.
   */
  candidates(path: string, modseq: bigint, from: number, to: number): number[] | undefined {
    const box = this.client.mailbox;
    if (this.since === undefined || this.rebasing !== undefined || modseq < this.since) return undefined;
    if (!box || box.path !== path || String(box.uidValidity) !== this.uidValidity) return undefined;
    const uids: number[] = [];
    for (const [uid, m] of this.touched) if (m > modseq && uid >= from && uid <= to) uids.push(uid);
    return uids.sort((a, b) => a - b);
  }

  /**
   * A `UID FETCH 1:* (UID) (CHANGEDSINCE modseq VANISHED)` of the selected folder is about
   * to run: what it answers, and whatever the server tells after it, is every change above
   * `modseq`. Returns the call that makes the record usable once the scan has completed.
   */
  beginRebase(modseq: bigint): () => void {
    const box = this.client.mailbox;
    this.drop();
    if (!box || box.noModseq) return () => undefined;
    const generation = this.generation;
    this.rebasing = modseq;
    this.uidValidity = String(box.uidValidity);
    return () => {
      if (this.generation !== generation || this.rebasing !== modseq) return;
      this.since = modseq;
      this.rebasing = undefined;
    };
  }

  private drop(): void {
    this.since = undefined;
    this.rebasing = undefined;
    this.uidValidity = undefined;
    this.touched.clear();
    this.generation++;
  }

  private get threshold(): bigint | undefined {
    return this.rebasing ?? this.since;
  }

  private touch(uid: number, modseq: bigint): void {
    const t = this.threshold;
    if (t === undefined || modseq <= t) return;
    const had = this.touched.get(uid);
    if (had === undefined || had < modseq) this.touched.set(uid, modseq);
    if (this.touched.size > MAX_TOUCHED) this.drop();
  }

  private exec(exec: Hookable['exec'], command: string, attributes: unknown[], options?: ExecOptions): Promise<unknown> {
    const name = String(command).toUpperCase();
    if (name === 'SELECT' || name === 'EXAMINE') {
      // A new view: nothing of the old record holds. It starts at the HIGHESTMODSEQ the server
      // gives this SELECT, and only once the SELECT has succeeded (imapflow reads nothing more
      // from the server until the command's caller has taken the answer).
      this.drop();
      let highest: bigint | undefined;
      let validity: string | undefined;
      const ok = options?.untagged?.OK;
      const untagged = {
        ...options?.untagged,
        OK: (u: Untagged) => {
          const section = firstSection(u);
          const key = atom(section?.[0]).toUpperCase();
          if (key === 'HIGHESTMODSEQ' && /^\d+$/.test(atom(section?.[1]))) highest = BigInt(atom(section?.[1]));
          if (key === 'UIDVALIDITY') validity = atom(section?.[1]);
          return ok?.(u);
        },
      };
      const generation = this.generation;
      this.selecting++;
      return exec(command, attributes, { ...options, untagged }).then(
        (r) => {
          this.selecting--;
          if (this.generation === generation && highest !== undefined && validity !== undefined && this.client.enabled.has('QRESYNC')) {
            this.since = highest;
            this.uidValidity = String(BigInt(validity));
          }
          return r;
        },
        (e: unknown) => {
          this.selecting--;
          throw e;
        },
      );
    }
    const fetch = options?.untagged?.FETCH;
    const opts: ExecOptions | undefined = fetch
      ? {
          ...options,
          untagged: {
            ...options.untagged,
            FETCH: (u: Untagged) => {
              this.noteFetch(u);
              return fetch(u);
            },
          },
        }
      : options;
    if (READ_ONLY.has(name) || ((name === 'FETCH' || name === 'UID FETCH') && !setsSeen(attributes))) return exec(command, attributes, opts);
    // A change made by this connection is hidden from its own sync: no record survives it.
    this.drop();
    const p = exec(command, attributes, opts);
    const done = () => this.drop();
    p.then(done, done);
    return p;
  }

  /**
   * `[HIGHESTMODSEQ n]`, tagged or not, after a command on the selected folder (RFC 7162
   * §3.2.10; Dovecot sends it once expunges or appends moved it past what FETCH answers told,
   * imap-sync.c): imapflow otherwise raises the folder's figure from FETCH MODSEQs only, and sync
   * states built on it reported each expunge again on every later sync and each new message once
   * more as an Update. A SELECT's own figure is imapflow's to set.
   */
  private noteHighest(section: Attr[]): void {
    if (this.selecting > 0 || !/^\d+$/.test(atom(section[0]))) return;
    const n = BigInt(atom(section[0]));
    const box = this.client.mailbox as { highestModseq?: bigint } | false;
    if (box && (box.highestModseq === undefined || box.highestModseq < n)) box.highestModseq = n;
  }

  private noteFetch(u: Untagged): void {
    if (this.threshold === undefined) return;
    const list = Array.isArray(u.attributes?.[1]) ? (u.attributes[1] as Attr[]) : [];
    let uid: number | undefined;
    let modseq: bigint | undefined;
    let flags = false;
    for (let i = 0; i + 1 < list.length; i += 2) {
      const key = atom(list[i]).toUpperCase();
      const v = list[i + 1];
      if (key === 'UID' && /^\d+$/.test(atom(v))) uid = Number(atom(v));
      else if (key === 'MODSEQ' && Array.isArray(v) && /^\d+$/.test(atom(v[0]))) modseq = BigInt(atom(v[0]));
      else if (key === 'FLAGS') flags = true;
    }
    if (modseq !== undefined) {
      // A change told without its UID cannot be placed (QRESYNC makes the server send UIDs).
      if (uid === undefined) this.drop();
      else this.touch(uid, modseq);
    } else if (flags && uid === undefined) {
      this.drop();
    }
    // FLAGS with a UID but no MODSEQ answers our own FETCH: with CONDSTORE enabled the server puts
    // MODSEQ in every FETCH it sends of its own accord (imap-sync.c imap_sync_send_flags).
  }

  private noteVanished(u: Untagged): void {
    if (this.threshold === undefined) return;
    const attrs = [...(u.attributes ?? [])];
    if (attrs.length > 1 && Array.isArray(attrs[0])) attrs.shift(); // (EARLIER)
    const set = atom(attrs[0]);
    if (!/^[\d:,]+$/.test(set)) return this.drop();
    for (const part of set.split(',')) {
      const [a, b = a] = part.split(':').map(Number);
      const lo = Math.min(a, b);
      const hi = Math.max(a, b);
      if (hi - lo > MAX_TOUCHED) return this.drop();
      for (let uid = lo; uid <= hi; uid++) this.touch(uid, GONE);
    }
  }
}

function atom(a: Attr): string {
  if (!a || Array.isArray(a)) return '';
  const v = a.value;
  return v === undefined || v === null ? '' : Buffer.isBuffer(v) ? v.toString() : String(v);
}

function firstSection(u: Untagged): Attr[] | undefined {
  const first = u.attributes?.[0];
  if (!first || Array.isArray(first)) return undefined;
  return Array.isArray(first.section) ? (first.section as Attr[]) : undefined;
}

/** True when a FETCH asks for a body section without .PEEK (RFC 3501: that sets \Seen). */
function setsSeen(attributes: unknown): boolean {
  const walk = (a: unknown): boolean => {
    if (Array.isArray(a)) return a.some(walk);
    if (!a || typeof a !== 'object') return false;
    const v = (a as { value?: unknown }).value;
    return typeof v === 'string' && /^(BODY|BINARY|RFC822|RFC822\.TEXT)$/i.test(v);
  };
  return walk(attributes);
}
