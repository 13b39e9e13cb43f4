// Watching a mailbox for changes when the mail server cannot push them (DESIGN §5):
// one connection per user, idling on one folder and polled for the rest. The watcher
// only rings a bell; what changed is computed from MODSEQ over its own connection
// (`store`), so a reconnect loses nothing: the next diff covers the gap.
import type { MailStore } from './mail-store.js';

export interface WatcherListener {
  /** Something may have changed: in `path` (the folder it idles on), or anywhere (`null`: a poll tick). */
  changed(path: string | null): void;
  /** Connected (again): changes made while it was away must be looked for. */
  ready(): void;
  /** The connection broke; the watcher reconnects by itself, with a growing pause. */
  lost(error: unknown): void;
  /** Given up for good (the credentials were refused). */
  failed(error: unknown): void;
}

export interface MailWatcher {
  /**
   * Runs `fn` with a store on the watcher's own connection (for the diffs it triggers),
   * idling paused meanwhile. Throws BackendUnavailableError while disconnected.
   */
  use<T>(fn: (store: MailStore) => Promise<T>): Promise<T>;
  /** Whether the connection is up. */
  readonly connected: boolean;
  /** Idle on this folder from now on. */
  setIdleFolder(path: string): void;
  close(): Promise<void>;
}

export interface MailWatcherFactory {
  watch(login: string, password: string, opts: { idlePath: string; pollMs: number }, listener: WatcherListener): MailWatcher;
  /** Live watcher connections (health, bench). */
  connections(): number;
  close(): Promise<void>;
}
