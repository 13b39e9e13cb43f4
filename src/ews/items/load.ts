// Reads mail items from the store as deep as the shape needs: flags and UIDs
// for IdOnly, ENVELOPE / BODYSTRUCTURE / header block for properties, only the
// text and HTML sections for bodies, and BODY[] only for MimeContent.
import type { FetchFields, FetchedMessage, MailStore, MailboxState } from '../../ports/mail-store.js';
import { htmlToText, textToHtml } from '../../convert/body.js';
import { EwsError } from '../errors.js';
import type { EwsFolder } from '../folders/tree.js';
import type { ExchangeVersion } from '../../soap/envelope.js';
import { parseHeaderBlock } from './headers.js';
import { changeKeyOf, encodeItemId } from './item-id.js';
import type { MailItem, Need, RenderContext } from './mail-item.js';
import type { ItemShape } from './shape.js';
import { bodySections, decodeTextPart } from './structure.js';
import { loadMeetingParts } from './meeting-message.js';

export function fetchFieldsFor(needs: Set<Need>): FetchFields {
  return {
    flags: true,
    internalDate: needs.has('internalDate'),
    size: needs.has('size'),
    envelope: needs.has('envelope'),
    structure: needs.has('structure') || needs.has('body'),
    headers: needs.has('headers'),
    source: needs.has('source'),
  };
}

export function mailFolderPath(folder: EwsFolder): string {
  if (!folder.mail) throw new EwsError('ErrorInvalidOperation', `"${folder.displayName}" holds no mail items on this server.`);
  return folder.mail.path;
}

export interface LoadResult {
  state: MailboxState;
  items: MailItem[];
  /** Whole messages, by UID, when the shape asked for MimeContent. */
  mime: Map<number, Buffer>;
  /** UIDs expunged since `changedSince` (QRESYNC). */
  vanished: number[];
}

/** Loads `uids` ('all' for the folder) of one folder; UIDs that no longer exist are simply absent. */
export async function loadMailItems(
  store: MailStore,
  folder: EwsFolder,
  uids: number[] | 'all' | { from: number; to: number },
  needs: Set<Need>,
  opts: { changedSince?: bigint } = {},
): Promise<LoadResult> {
  const path = mailFolderPath(folder);
  const { state, messages, vanished } = await store.fetchMessages(path, uids, fetchFieldsFor(needs), opts);
  return { ...(await toItems(store, folder, state, messages, needs)), vanished: vanished ?? [] };
}

/** The window [start, end) of the folder in UID order (see MailStore.fetchWindow), without a SEARCH. */
export async function loadMailWindow(
  store: MailStore,
  folder: EwsFolder,
  order: 'newest' | 'oldest',
  pick: (exists: number) => { start: number; end: number },
  needs: Set<Need>,
): Promise<LoadResult> {
  const path = mailFolderPath(folder);
  const { state, messages } = await store.fetchWindow(path, order, pick, fetchFieldsFor(needs));
  return { ...(await toItems(store, folder, state, messages, needs)), vanished: [] };
}

/**
 * Like loadMailItems, but hands each item to `onItem` as soon as its message has arrived, for
 * shapes that need nothing fetched after the message itself (no bodies, no meeting parts):
 * an answer of whole messages can be written while the server still sends the rest.
 */
export async function streamMailItems(
  store: MailStore,
  folder: EwsFolder,
  uids: number[],
  needs: Set<Need>,
  onItem: (item: MailItem, mime: Buffer | undefined, state: MailboxState) => void,
): Promise<void> {
  if (!canStream(needs)) throw new Error('streamMailItems: this shape needs more than the messages themselves');
  await store.fetchMessages(mailFolderPath(folder), uids, fetchFieldsFor(needs), {
    onMessage: (msg, state) => onItem(toItem(folder, state, msg), msg.source, state),
  });
}

/** Whether items of this shape are finished once their message arrived (see streamMailItems). */
export function canStream(needs: Set<Need>): boolean {
  return !needs.has('body') && !needs.has('meeting') && !needs.has('meetingClass');
}

function toItem(folder: EwsFolder, state: MailboxState, msg: FetchedMessage): MailItem {
  const folderRef = folder.ref.kind === 'mail' ? folder.ref : { kind: 'mail' as const, path: mailFolderPath(folder) };
  const ref = { folder: folderRef, uidValidity: state.uidValidity, uid: msg.uid };
  return { id: encodeItemId(ref), changeKey: changeKeyOf(msg.modseq, msg.uid), ref, folder, msg, headers: parseHeaderBlock(msg.headers) };
}

async function toItems(store: MailStore, folder: EwsFolder, state: MailboxState, messages: FetchedMessage[], needs: Set<Need>): Promise<Omit<LoadResult, 'vanished'>> {
  const path = mailFolderPath(folder);
  const mime = new Map<number, Buffer>();
  const items: MailItem[] = messages.map((msg) => {
    if (msg.source) mime.set(msg.uid, msg.source);
    return toItem(folder, state, msg);
  });
  if (needs.has('body')) await loadBodies(store, path, items);
  await loadMeetingParts(store, path, items, needs); // iTIP parts of meeting messages, when the shape needs them
  return { state, items, mime };
}

/** Fetches the text and HTML sections, grouped so messages that share section numbers share one FETCH. */
async function loadBodies(store: MailStore, path: string, items: MailItem[]): Promise<void> {
  const groups = new Map<string, { sections: string[]; items: MailItem[] }>();
  for (const item of items) {
    if (!item.msg.structure) continue;
    const { text, html } = bodySections(item.msg.structure);
    const sections = [text, html].filter((p) => p !== undefined).map((p) => p!.part || '1');
    if (!sections.length) continue;
    const key = sections.join(' ');
    const g = groups.get(key) ?? { sections, items: [] };
    g.items.push(item);
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    const { messages } = await store.fetchMessages(path, g.items.map((i) => i.msg.uid), { parts: g.sections });
    const byUid = new Map(messages.map((m) => [m.uid, m]));
    for (const item of g.items) {
      const parts = byUid.get(item.msg.uid)?.parts;
      if (!parts) continue;
      const { text, html } = bodySections(item.msg.structure!);
      if (text) {
        const raw = parts.get(text.part || '1');
        if (raw) item.text = decodeTextPart(text, raw);
      }
      if (html) {
        const raw = parts.get(html.part || '1');
        if (raw) item.html = decodeTextPart(html, raw);
      }
    }
  }
}

/** Body in the requested type: Best keeps what the sender wrote (HTML first), the others convert. */
export function bodyOf(item: MailItem, type: 'Best' | 'HTML' | 'Text'): { type: 'HTML' | 'Text'; content: string } {
  if (type === 'Text') return { type: 'Text', content: item.text ?? (item.html !== undefined ? htmlToText(item.html) : '') };
  if (item.html !== undefined) return { type: 'HTML', content: item.html };
  if (type === 'HTML') return { type: 'HTML', content: textToHtml(item.text ?? '') };
  return { type: 'Text', content: item.text ?? '' };
}

export function renderContext(version: ExchangeVersion, shape: ItemShape): RenderContext {
  return { version, shape, body: bodyOf };
}
