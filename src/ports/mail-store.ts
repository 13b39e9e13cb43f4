// The contract between EWS operations and a mail backend. Operations see only
// this; adapters/imap implements it with imapflow. Paths are the backend's own
// folder names (decoded, with `delimiter` between levels).

export type SpecialUse = '\\Inbox' | '\\Drafts' | '\\Sent' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

export interface MailFolder {
  path: string;
  /** Last path segment, as the user sees it. */
  name: string;
  /** Path of the parent folder, '' for top level. */
  parentPath: string;
  delimiter: string;
  specialUse?: SpecialUse;
  /** A stable id that survives renames (Dovecot X-GUID, RFC 8474 MAILBOXID), when the backend has one. */
  stableId?: string;
  subscribed: boolean;
  /** \Noselect / \NonExistent: a level in the tree that holds no messages. */
  selectable: boolean;
  messages: number;
  unseen: number;
  uidNext: number;
  uidValidity: number;
  highestModseq?: bigint;
}

export interface MailStoreCapabilities {
  condstore: boolean;
  qresync: boolean;
  move: boolean;
  uidplus: boolean;
  stableFolderIds: boolean;
}

export interface MessageAddress {
  name?: string;
  address?: string;
}

export interface MessageEnvelope {
  date?: Date;
  subject?: string;
  messageId?: string;
  inReplyTo?: string;
  from: MessageAddress[];
  sender: MessageAddress[];
  replyTo: MessageAddress[];
  to: MessageAddress[];
  cc: MessageAddress[];
  bcc: MessageAddress[];
}

/** One node of BODYSTRUCTURE; `part` is the IMAP section number ("1", "2.1"), "" for a single-part message. */
export interface MimePart {
  part: string;
  type: string;
  parameters: Record<string, string>;
  id?: string;
  encoding?: string;
  size?: number;
  disposition?: string;
  dispositionParameters: Record<string, string>;
  children: MimePart[];
}

/** What to read of each message: operations ask only for what the requested shape needs. */
export interface FetchFields {
  flags?: boolean;
  internalDate?: boolean;
  size?: boolean;
  envelope?: boolean;
  structure?: boolean;
  /** The raw header block (BODY.PEEK[HEADER]). */
  headers?: boolean;
  /** The whole message (BODY.PEEK[]). */
  source?: boolean;
  /** Single sections, transfer-encoded as stored (BODY.PEEK[section]). */
  parts?: string[];
}

export interface FetchedMessage {
  uid: number;
  modseq?: bigint;
  flags: Set<string>;
  internalDate?: Date;
  size?: number;
  envelope?: MessageEnvelope;
  structure?: MimePart;
  headers?: Buffer;
  source?: Buffer;
  parts?: Map<string, Buffer>;
}

export interface MailboxState {
  path: string;
  uidValidity: number;
  uidNext: number;
  exists: number;
  highestModseq?: bigint;
}

/** Search criteria, as IMAP SEARCH knows them (same shape as imapflow's SearchObject). */
export interface MailSearch {
  all?: boolean;
  uid?: string;
  seen?: boolean;
  flagged?: boolean;
  answered?: boolean;
  deleted?: boolean;
  draft?: boolean;
  keyword?: string;
  unKeyword?: string;
  from?: string;
  to?: string;
  cc?: string;
  bcc?: string;
  subject?: string;
  body?: string;
  text?: string;
  header?: Record<string, string | boolean>;
  larger?: number;
  smaller?: number;
  since?: Date;
  before?: Date;
  on?: Date;
  sentSince?: Date;
  sentBefore?: Date;
  sentOn?: Date;
  or?: MailSearch[];
  not?: MailSearch;
}

/** Sort keys as RFC 5256 SORT names them. */
export type MailSortKey = 'ARRIVAL' | 'DATE' | 'FROM' | 'SUBJECT' | 'SIZE' | 'TO' | 'CC';
export interface MailSort {
  key: MailSortKey;
  reverse: boolean;
}

export type FlagChange = { op: 'add' | 'remove' | 'set'; flags: string[] };

export interface MailStore {
  readonly capabilities: MailStoreCapabilities;
  /** The hierarchy with counts, one round trip where the backend allows (LIST-STATUS). */
  listFolders(): Promise<MailFolder[]>;
  /** Fresh counts of one folder. Throws FolderMissingError when it does not exist. */
  folderStatus(path: string): Promise<MailFolder>;
  createFolder(path: string): Promise<void>;
  /** Renames (and so moves) a folder with everything below it. */
  renameFolder(from: string, to: string): Promise<void>;
  deleteFolder(path: string): Promise<void>;
  /** Copies every message of `from` into the existing folder `to`. */
  copyAllMessages(from: string, to: string): Promise<void>;
  /** Moves every message of `from` into the existing folder `to` (MOVE, or COPY + expunge). */
  moveAllMessages(from: string, to: string): Promise<void>;
  /** Removes every message of a folder (flag \Deleted and expunge). */
  deleteAllMessages(path: string): Promise<void>;
  /**
   * The folder this store's connection has open right now (left selected by an earlier request
   * of the session), with its UIDVALIDITY; undefined when none or when the backend cannot tell.
   */
  selectedFolder?(): { path: string; uidValidity: number } | undefined;
  /**
   * Leaves the folder the session has open, so that a listing after it describes every folder
   * as it is now (Dovecot answers STATUS of the selected folder from its open copy, which does
   * not see the folder renamed or deleted and made again by another client). INBOX, which can
   * be neither, is kept open.
   */
  leaveFolder?(): Promise<void>;
  /**
   * Messages by UID ('all' for the whole folder), with only the fields asked for. With
   * `changedSince` only those whose MODSEQ is higher, plus (QRESYNC) the UIDs of the
   * range expunged since then in `vanished`. `onMessage` hears of each message as soon as it
   * holds every field asked for (in the order the server sends them), so a caller can pass
   * whole messages on while the rest still arrive.
   */
  fetchMessages(
    path: string,
    uids: number[] | 'all' | { from: number; to: number },
    fields: FetchFields,
    opts?: { changedSince?: bigint; onMessage?: (message: FetchedMessage, state: MailboxState) => void },
  ): Promise<{ state: MailboxState; messages: FetchedMessage[]; vanished?: number[] }>;
  /**
   * A window of the folder in UID order, read by position without a SEARCH: `pick` is
   * given the message count as the server has it at that moment and answers the
   * positions [start, end) to read, 0 being the newest message ('newest': descending
   * UIDs) or the oldest ('oldest': ascending UIDs).
   */
  fetchWindow(
    path: string,
    order: 'newest' | 'oldest',
    pick: (exists: number) => { start: number; end: number },
    fields: FetchFields,
  ): Promise<{ state: MailboxState; messages: FetchedMessage[] }>;
  /**
   * UIDs matching `search`, in `sort` order (server-side SORT where offered), else ascending.
   * With a `window` (positions [start, end) of that order) only the UIDs in it come back, and
   * `total` says how many matched: a page of a sorted view without the UIDs of all the others.
   */
  searchMessages(path: string, search: MailSearch, sort?: MailSort[], window?: { start: number; end: number }): Promise<{ state: MailboxState; uids: number[]; total: number }>;
  /** Stores a message; answers its UID where the backend tells (UIDPLUS). */
  appendMessage(path: string, raw: Buffer, flags: string[], date?: Date): Promise<{ uid?: number; uidValidity?: number }>;
  changeFlags(path: string, uids: number[], change: FlagChange): Promise<void>;
  /** Copies messages; answers old UID → new UID where the backend tells (UIDPLUS). */
  copyMessages(path: string, uids: number[], to: string): Promise<Map<number, number>>;
  moveMessages(path: string, uids: number[], to: string): Promise<Map<number, number>>;
  /** Removes exactly these messages (UID EXPUNGE). */
  deleteMessages(path: string, uids: number[]): Promise<void>;
  /** Gives the connection back; the store may be reused for the same user later. */
  release(): void;
}

export class FolderMissingError extends Error {
  constructor(readonly path: string) {
    super(`No such folder: ${path}`);
    this.name = 'FolderMissingError';
  }
}

export class FolderExistsError extends Error {
  constructor(readonly path: string) {
    super(`A folder with that name exists already: ${path}`);
    this.name = 'FolderExistsError';
  }
}

/** The backend cannot be reached or refused service (not the user's fault). */
export class BackendUnavailableError extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = 'BackendUnavailableError';
  }
}

/** The backend rejected the user's credentials. */
export class BackendAuthError extends Error {
  constructor(message = 'The backend refused the credentials.') {
    super(message);
    this.name = 'BackendAuthError';
  }
}
