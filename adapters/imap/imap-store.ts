// MailStore over IMAP with imapflow. One authenticated connection per user and
// credential, kept by ImapSessionPool and shared by that user's requests
// (imapflow queues commands; mailbox locks serialise SELECT-bound work).
import { ImapFlow } from 'imapflow';
import type { ListResponse } from 'imapflow';
import { decodePath, encodePath } from 'imapflow/lib/tools.js';
import {
  BackendUnavailableError,
  FolderExistsError,
  FolderMissingError,
  type MailFolder,
  type MailStore,
  type MailStoreCapabilities,
  type SpecialUse,
} from '../../src/ports/mail-store.js';

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

export class ImapMailStore implements MailStore {
  readonly capabilities: MailStoreCapabilities;

  constructor(
    private readonly client: ImapFlow,
    private readonly onRelease: () => void,
  ) {
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
    return guard(async () => {
      const statusQuery = { messages: true, unseen: true, uidNext: true, uidValidity: true, highestModseq: this.capabilities.condstore };
      const [entries, guids] = await Promise.all([
        this.client.list({ statusQuery }),
        this.listGuids(),
      ]);
      return entries.map((e) => toFolder(e, guids.get(e.path)));
    });
  }

  async folderStatus(path: string): Promise<MailFolder> {
    return guard(async () => {
      const all = await this.client.list({
        statusQuery: { messages: true, unseen: true, uidNext: true, uidValidity: true, highestModseq: this.capabilities.condstore },
      });
      const entry = all.find((e) => e.path === path);
      if (!entry) throw new FolderMissingError(path);
      const guid = (await this.listGuids(path)).get(path);
      return toFolder(entry, guid);
    });
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

  /** Dovecot's X-GUID for every folder (or those matching `pattern`) in one LIST-STATUS round trip. */
  private async listGuids(pattern = '*'): Promise<Map<string, string>> {
    const guids = new Map<string, string>();
    if (!this.capabilities.stableFolderIds) return guids;
    try {
      await this.execListGuids(pattern, guids);
    } catch (e) {
      if (!/BAD|unknown|invalid/i.test(String((e as Error).message) + String((e as { responseText?: string }).responseText ?? ''))) throw e;
      // Not Dovecot: folder ids fall back to paths.
      (this.capabilities as { stableFolderIds: boolean }).stableFolderIds = false;
    }
    return guids;
  }

  private async execListGuids(pattern: string, guids: Map<string, string>): Promise<void> {
    const exec = (this.client as unknown as ImapExec).exec.bind(this.client);
    const mailbox = pattern === '*' ? { type: 'ATOM', value: '*' } : { type: 'STRING', value: this.encode(pattern) };
    const res = await exec(
      'LIST',
      [{ type: 'STRING', value: '' }, mailbox, { type: 'ATOM', value: 'RETURN' }, [{ type: 'ATOM', value: 'STATUS' }, [{ type: 'ATOM', value: 'X-GUID' }]]],
      {
        untagged: {
          LIST: async () => undefined,
          STATUS: async (u) => {
            const attrs = u.attributes ?? [];
            const name = atomText(attrs[0]);
            const list = Array.isArray(attrs[1]) ? attrs[1] : [];
            for (let i = 0; i + 1 < list.length; i += 2) {
              if (atomText(list[i]).toUpperCase() === 'X-GUID') {
                guids.set(normalizeInbox(decodePath(this.client, name)), atomText(list[i + 1]));
              }
            }
          },
        },
      },
    );
    res.next();
  }

  private encode(path: string): string {
    return encodePath(this.client, path);
  }
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
    if (err.code === 'NoConnection' || err.code === 'EConnectionClosed' || err.code === 'ECONNREFUSED' || err.code === 'ETIMEOUT' || /closed|ECONNRESET|EPIPE/i.test(text)) {
      throw new BackendUnavailableError('The IMAP server connection was lost.', e);
    }
    throw e;
  }
}
