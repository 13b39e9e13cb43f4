// What IMAP never changes about a message: once a UID is given in a folder of a given
// UIDVALIDITY, its INTERNALDATE, RFC822.SIZE, ENVELOPE, BODYSTRUCTURE and header block
// stay what they are (RFC 9051 §2.3.1.1: a UID is never reused for another message
// while UIDVALIDITY stays). Flags and MODSEQ change, and are always asked of the server.
// Kept per login, folder path and UIDVALIDITY, so nothing is shared between users and a
// folder deleted and made again, or renamed, is a new key. Whole folders leave in
// least-recently-used order once the budget is spent.
import type { FetchFields, FetchedMessage, MimePart } from '../../src/ports/mail-store.js';

export type MessageFacts = Pick<FetchedMessage, 'internalDate' | 'size' | 'envelope' | 'structure' | 'headers'>;

interface FolderFacts {
  messages: Map<number, MessageFacts & { bytes: number }>;
  bytes: number;
}

/** The fields of a FETCH that the cache can answer; the rest (flags, whole messages, body parts) it never holds. */
export function cacheableFields(fields: FetchFields): boolean {
  return !fields.source && !fields.parts?.length && !!(fields.internalDate || fields.size || fields.envelope || fields.structure || fields.headers);
}

export class MessageCache {
  private readonly folders = new Map<string, FolderFacts>();
  private bytes = 0;

  /** @param budgetBytes what all folders may hold together (roughly bytes of header blocks and parsed fields); 0: keep nothing. */
  constructor(private readonly budgetBytes: number) {}

  get enabled(): boolean {
    return this.budgetBytes > 0;
  }

  static key(user: string, path: string, uidValidity: number): string {
    return `${user}\0${path}\0${uidValidity}`;
  }

  /** Whether anything is known of that folder (a first read fetches everything in one go instead). */
  knows(key: string): boolean {
    return this.folders.has(key);
  }

  /** What is known of a message, when it covers every field asked for. */
  lookup(key: string, uid: number, fields: FetchFields): MessageFacts | undefined {
    const folder = this.folders.get(key);
    const facts = folder?.messages.get(uid);
    if (!folder || !facts) return undefined;
    if (
      (fields.internalDate && !facts.internalDate) ||
      (fields.size && facts.size === undefined) ||
      (fields.envelope && !facts.envelope) ||
      (fields.structure && !facts.structure) ||
      (fields.headers && !facts.headers)
    )
      return undefined;
    this.touch(key, folder);
    return facts;
  }

  /** Keeps the unchanging fields of a fetched message (merged with what was known). */
  remember(key: string, m: FetchedMessage): void {
    if (!this.enabled || !(m.internalDate || m.size !== undefined || m.envelope || m.structure || m.headers)) return;
    let folder = this.folders.get(key);
    if (!folder) this.folders.set(key, (folder = { messages: new Map(), bytes: 0 }));
    const old = folder.messages.get(m.uid);
    const facts: MessageFacts = {
      internalDate: m.internalDate ?? old?.internalDate,
      size: m.size ?? old?.size,
      envelope: m.envelope ?? old?.envelope,
      structure: m.structure ?? old?.structure,
      headers: m.headers ? ownCopy(m.headers) : old?.headers,
    };
    const bytes = sizeOf(facts);
    folder.bytes += bytes - (old?.bytes ?? 0);
    this.bytes += bytes - (old?.bytes ?? 0);
    folder.messages.set(m.uid, { ...facts, bytes });
    this.touch(key, folder);
    this.evict(key);
  }

  get size(): { folders: number; messages: number; bytes: number } {
    let messages = 0;
    for (const f of this.folders.values()) messages += f.messages.size;
    return { folders: this.folders.size, messages, bytes: this.bytes };
  }

  private touch(key: string, folder: FolderFacts): void {
    // Map order is the LRU order: the folder read last goes to the end.
    this.folders.delete(key);
    this.folders.set(key, folder);
  }

  private evict(current: string): void {
    for (const [key, folder] of this.folders) {
      if (this.bytes <= this.budgetBytes) return;
      if (key === current) {
        // The folder being read is the last one left: drop its oldest messages instead.
        for (const [uid, facts] of folder.messages) {
          if (this.bytes <= this.budgetBytes) return;
          folder.messages.delete(uid);
          folder.bytes -= facts.bytes;
          this.bytes -= facts.bytes;
        }
        return;
      }
      this.folders.delete(key);
      this.bytes -= folder.bytes;
    }
  }
}

/**
 * A header block of its own: a small Buffer is a slice of Node's shared 8 KB pool, and keeping
 * the slice keeps the whole slab (and whatever else was cut from it) alive.
 */
function ownCopy(b: Buffer): Buffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length) return b;
  const own = Buffer.allocUnsafeSlow(b.length);
  b.copy(own);
  return own;
}

/** About what a message's facts take: the header block, the strings of the envelope, a fixed share for the objects. */
function sizeOf(f: MessageFacts): number {
  let n = 200 + (f.headers?.length ?? 0);
  const e = f.envelope;
  if (e) {
    n += 2 * ((e.subject?.length ?? 0) + (e.messageId?.length ?? 0) + (e.inReplyTo?.length ?? 0));
    for (const list of [e.from, e.sender, e.replyTo, e.to, e.cc, e.bcc]) for (const a of list ?? []) n += 60 + 2 * ((a.name?.length ?? 0) + (a.address?.length ?? 0));
  }
  if (f.structure) n += 300 * countParts(f.structure);
  return n;
}

function countParts(p: MimePart): number {
  let n = 1;
  for (const c of p.children) n += countParts(c);
  return n;
}
