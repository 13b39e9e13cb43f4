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
