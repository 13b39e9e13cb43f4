// A process-wide copy of calendar collections, kept current by RFC 6578
// sync-collection before every use, so that reading a calendar costs the server
// a sync REPORT plus the objects that changed instead of a calendar-query.
//
// Why: Radicale 3.1 answers a calendar-query with a time-range by expanding every
// recurring object in Python: 250 ms for 80 objects, where the same REPORT without
// the range takes 25 ms and a sync-collection with nothing new 17 ms (bench/calendar.ts).
// A CalendarView is asked again and again over the same calendar (clients page by
// week or month, Outlook re-reads on every notification); the mirror makes the
// repeat cost follow the changes.
//
// Never stale: every read first asks the server what changed since the mirror's
// token, with the caller's own credentials (so a wrong password or a revoked share
// fails there, before anything cached is returned), and entries are keyed by
// server, login and collection, never shared between logins. A collection the
// server cannot sync (no sync-collection, a truncated answer) or one larger than
// a quarter of the mirror's budget is not mirrored: the caller asks the server.
import { InvalidSyncTokenError, isDavObject, type DavObjectResult, type SyncResult } from '../../src/ports/calendar-store.js';

/** What the mirror needs from the CalDAV client, with the caller's credentials. */
export interface MirrorSource {
  /** sync-collection since `token` (undefined: from scratch). */
  sync(token?: string): Promise<SyncResult>;
  /** Every object of the collection with its data (a calendar-query without filters). */
  readAll(): Promise<DavObjectResult[]>;
  /** These objects with their data (calendar-multiget); 404 entries for those gone. */
  read(hrefs: string[]): Promise<DavObjectResult[]>;
}

interface Entry {
  token: string;
  /** By decoded path: servers may spell one href with different escapes in different answers. */
  objects: Map<string, DavObjectResult>;
  bytes: number;
}

function pathKey(href: string): string {
  try {
    return decodeURIComponent(href);
  } catch {
    return href;
  }
}

function sizeOf(r: DavObjectResult): number {
  return isDavObject(r) ? r.data.length + r.href.length + 64 : r.href.length + 64;
}

export class CalendarMirror {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  /** @param budgetBytes what all mirrored collections may hold together (UTF-16 code units, roughly bytes of iCalendar). */
  constructor(private readonly budgetBytes: number) {}

  /**
   * Every object of the collection, current as of this call; undefined when this collection is
   * not mirrored (then ask the server). Errors of the source (server down, 401, 404) propagate.
   */
  async objects(key: string, source: MirrorSource): Promise<DavObjectResult[] | undefined> {
    if (this.budgetBytes <= 0) return undefined;
    const entry = this.entries.get(key);
    if (entry) {
      let changes: SyncResult | undefined;
      try {
        changes = await source.sync(entry.token);
      } catch (e) {
        this.drop(key, entry);
        if (!(e instanceof InvalidSyncTokenError)) throw e;
      }
      if (changes && !changes.truncated) return this.update(key, entry, changes, source);
      if (changes) this.drop(key, entry);
    }
    return this.load(key, source);
  }

  /** Forgets one collection (after the caller learned it is gone) or everything. */
  forget(key?: string): void {
    if (key === undefined) {
      this.entries.clear();
      this.bytes = 0;
      return;
    }
    const entry = this.entries.get(key);
    if (entry) this.drop(key, entry);
  }

  get size(): { collections: number; bytes: number } {
    return { collections: this.entries.size, bytes: this.bytes };
  }

  private async load(key: string, source: MirrorSource): Promise<DavObjectResult[] | undefined> {
    // The token first: whatever changes between it and the read comes again in the next sync.
    const start = await source.sync();
    if (start.truncated) return undefined;
    const all = await source.readAll();
    const objects = new Map<string, DavObjectResult>();
    let bytes = 0;
    for (const r of all) {
      objects.set(pathKey(r.href), r);
      bytes += sizeOf(r);
    }
    if (bytes <= this.budgetBytes / 4) this.store(key, { token: start.token, objects, bytes });
    return all;
  }

  private async update(key: string, entry: Entry, changes: SyncResult, source: MirrorSource): Promise<DavObjectResult[]> {
    const wanted: string[] = [];
    for (const ref of changes.changed) {
      const had = entry.objects.get(pathKey(ref.href));
      if (!had || !isDavObject(had) || had.etag !== ref.etag) wanted.push(ref.href);
    }
    // objects the server could not give last time are asked for again
    for (const r of entry.objects.values()) if (!isDavObject(r) && !wanted.some((h) => pathKey(h) === pathKey(r.href))) wanted.push(r.href);
    if (!wanted.length && !changes.deleted.length) {
      if (changes.token !== entry.token) this.store(key, { ...entry, token: changes.token });
      else this.touch(key, entry);
      return [...entry.objects.values()];
    }
    const objects = new Map(entry.objects);
    let bytes = entry.bytes;
    const remove = (href: string) => {
      const k = pathKey(href);
      const old = objects.get(k);
      if (old) bytes -= sizeOf(old);
      objects.delete(k);
    };
    for (const href of changes.deleted) remove(href);
    for (const r of wanted.length ? await source.read(wanted) : []) {
      remove(r.href);
      // gone since the sync: the next sync reports the deletion
      if (!isDavObject(r) && r.status === 404) continue;
      objects.set(pathKey(r.href), r);
      bytes += sizeOf(r);
    }
    // a concurrent request may have moved the entry on: keep whichever came last, both are current
    if (this.entries.get(key) === entry || !this.entries.has(key)) {
      if (bytes <= this.budgetBytes / 4) this.store(key, { token: changes.token, objects, bytes });
      else this.drop(key, entry);
    }
    return [...objects.values()];
  }

  private store(key: string, entry: Entry): void {
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    // least recently used first (Map keeps insertion order; touch() re-inserts)
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.budgetBytes || k === key) break;
      this.drop(k, e);
    }
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }

  private drop(key: string, entry: Entry): void {
    if (this.entries.get(key) !== entry) return;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}
