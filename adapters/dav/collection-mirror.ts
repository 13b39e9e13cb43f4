// A process-wide copy of WebDAV collections (calendars, address books), kept
// current by asking the server what changed (RFC 6578 sync-collection, or an ETag
// snapshot) before every use, so that reading a whole collection costs the server
// a sync REPORT plus the objects that changed.
//
// Why: Radicale 3.1 answers a calendar-query with a time-range by expanding every
// recurring object in Python (250 ms for 80 objects, where a sync-collection with
// nothing new costs 17 ms: bench/calendar.ts), and lists an address book of 1,000
// cards in 1.4 s (PROPFIND + multiget) against 88 ms for the sync. Clients ask for
// the same collections again and again: CalendarView by week or month, Outlook
// re-reading on every notification, ResolveNames on every recipient typed.
//
// Never stale: every read first asks the server what changed since the mirror's
// token, with the caller's own credentials (so a wrong password or a revoked share
// fails there, before anything cached is returned), and entries are keyed by
// server, login and collection, never shared between logins. A collection the
// server cannot sync (a truncated answer) or one larger than a quarter of the
// budget is not kept: it is read from the server each time.

/** What the mirror keeps of one object: an entry without an ETag is one the server could not give (asked for again next time). */
export interface MirroredObject {
  href: string;
  etag?: string;
  data?: string;
}

export interface MirrorChanges {
  token: string;
  changed: { href: string; etag: string }[];
  deleted: string[];
  /** The server cut the answer short: the collection is read whole, not kept. */
  truncated?: boolean;
}

/** What the mirror needs from a DAV client, with the caller's credentials. */
export interface MirrorSource<T extends MirroredObject> {
  /** Changes since `token` (undefined: from scratch, everything in `changed`). */
  sync(token?: string): Promise<MirrorChanges>;
  /** Whether an error of sync() means only that the server forgot the token (then the collection is read again). */
  isStaleToken(e: unknown): boolean;
  /** Every object of the collection with its data; `listed` is the sync from scratch just made, when there is one (its hrefs may save a listing). */
  readAll(listed?: MirrorChanges): Promise<T[]>;
  /** These objects with their data; those gone are left out. */
  read(hrefs: string[]): Promise<T[]>;
}

interface Entry {
  token: string;
  /** By decoded path: servers may spell one href with different escapes in different answers. */
  objects: Map<string, MirroredObject>;
  bytes: number;
}

function pathKey(href: string): string {
  try {
    return decodeURIComponent(href);
  } catch {
    return href;
  }
}

function sizeOf(o: MirroredObject): number {
  return (o.data?.length ?? 0) + o.href.length + 64;
}

export class CollectionMirror {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  /** @param budgetBytes what all kept collections may hold together (UTF-16 code units, roughly bytes of iCalendar / vCard); 0: keep nothing. */
  constructor(private readonly budgetBytes: number) {}

  get enabled(): boolean {
    return this.budgetBytes > 0;
  }

  /**
   * Every object of the collection, current as of this call. Errors of the source (server down,
   * 401, 404) propagate, and the collection's copy is dropped.
   */
  async objects<T extends MirroredObject>(key: string, source: MirrorSource<T>): Promise<T[]> {
    const entry = this.entries.get(key);
    if (entry) {
      let changes: MirrorChanges | undefined;
      try {
        changes = await source.sync(entry.token);
      } catch (e) {
        this.drop(key, entry);
        if (!source.isStaleToken(e)) throw e;
      }
      if (changes && !changes.truncated) return (await this.update(key, entry, changes, source)) as T[];
      if (changes) this.drop(key, entry);
    }
    return this.load(key, source);
  }

  /** Forgets one collection, or everything. */
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

  private async load<T extends MirroredObject>(key: string, source: MirrorSource<T>): Promise<T[]> {
    // The token first: whatever changes between it and the read comes again in the next sync.
    const start = this.enabled ? await source.sync() : undefined;
    const all = await source.readAll(start);
    if (!start || start.truncated) return all;
    const objects = new Map<string, MirroredObject>();
    let bytes = 0;
    for (const o of all) {
      objects.set(pathKey(o.href), o);
      bytes += sizeOf(o);
    }
    if (bytes <= this.budgetBytes / 4) this.store(key, { token: start.token, objects, bytes });
    return all;
  }

  private async update<T extends MirroredObject>(key: string, entry: Entry, changes: MirrorChanges, source: MirrorSource<T>): Promise<MirroredObject[]> {
    const wanted = new Map<string, string>();
    for (const ref of changes.changed) {
      const had = entry.objects.get(pathKey(ref.href));
      if (had?.etag === undefined || had.etag !== ref.etag) wanted.set(pathKey(ref.href), ref.href);
    }
    // objects the server could not give last time are asked for again
    for (const [k, o] of entry.objects) if (o.etag === undefined) wanted.set(k, o.href);
    if (!wanted.size && !changes.deleted.length) {
      if (changes.token !== entry.token) this.store(key, { ...entry, token: changes.token });
      else this.touch(key, entry);
      return [...entry.objects.values()];
    }
    const objects = new Map(entry.objects);
    let bytes = entry.bytes;
    const remove = (k: string) => {
      const old = objects.get(k);
      if (old) bytes -= sizeOf(old);
      objects.delete(k);
    };
    for (const href of changes.deleted) remove(pathKey(href));
    // asked for and not answered: gone since the sync (the next sync reports the deletion)
    for (const k of wanted.keys()) remove(k);
    for (const o of wanted.size ? await source.read([...wanted.values()]) : []) {
      remove(pathKey(o.href));
      objects.set(pathKey(o.href), o);
      bytes += sizeOf(o);
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
