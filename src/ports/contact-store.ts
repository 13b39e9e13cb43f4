// The contract between EWS operations and a contacts backend (CardDAV: RFC 6352,
// WebDAV sync RFC 6578). Operations see only this; adapters/carddav implements it
// with tsdav. The store moves vCard text and ETags: it never parses a vCard
// (src/convert/vcard-contact.ts does), so one broken card never fails a listing.
//
// Names. Every collection and object is named by its href: the absolute URL path
// as the server gives it (percent-encoded, e.g. "/u%40example.test/contacts/a.vcf"),
// normalized so that one resource has one spelling (each segment decoded and
// re-encoded with encodeURIComponent; collections end in "/"). ETags are the
// server's, quotes included ('"abc"').
//
// The plain default: a store that does the simple, slow thing correctly
// (Radicale-like servers: list the book, multiget what changed) is a complete
// implementation; sync-collection and ctag only make it cheaper.
import { BackendAuthError, BackendUnavailableError, FolderExistsError, FolderMissingError } from './mail-store.js';

export interface AddressBook {
  /** Normalized href of the collection, ending in "/". */
  href: string;
  /** Last path segment, decoded ("contacts"). */
  name: string;
  /** DAV:displayname, or the decoded last segment when the server has none. */
  displayName: string;
  description?: string;
  /** CalendarServer getctag: changes whenever anything in the book changes. */
  ctag?: string;
  /** RFC 6578 DAV:sync-token of the collection as it is now. */
  syncToken?: string;
  /** The server offers the sync-collection REPORT on this book. */
  supportsSync: boolean;
  /** The user may not change the book's content (no DAV:write-content / bind). */
  readOnly: boolean;
}

/** An object's name and version. */
export interface ContactObjectRef {
  href: string;
  etag: string;
  lastModified?: Date;
}

/** An object with its vCard text as the server stored it. */
export interface ContactObject extends ContactObjectRef {
  data: string;
}

export interface MultigetResult {
  /** In the order asked for. */
  objects: ContactObject[];
  /** Hrefs the server says do not exist (any more). */
  missing: string[];
  /** Hrefs the server could not serve (a 5xx on that one object); the rest are still answered. */
  failed: { href: string; error: ContactStoreError }[];
}

/**
 * Changes since a token. `token` is opaque and self-contained (it can travel in
 * an EWS sync state): pass it back to get what changed after it.
 *
 * Two kinds, chosen per book by the store:
 *  - "d:" + the server's RFC 6578 sync-token ('sync-collection'): the server
 *    says what changed and what was deleted; cost follows the change count.
 *  - "e:" + an ETag snapshot ('etag-snapshot'), for servers without
 *    sync-collection (or when it is switched off): a compressed list of
 *    (href, short hash of ETag) pairs for the whole book. A sync lists the book
 *    (one PROPFIND of hrefs and ETags) and compares: new or different → changed,
 *    gone → deleted. Correct for any WebDAV server; the token grows with the
 *    book (about 12 bytes an object, compressed), so the caller should keep its
 *    sync state size limit in mind for very large books.
 * An empty token means "from the beginning": every object is `changed`.
 */
export interface SyncResult {
  token: string;
  mode: 'sync-collection' | 'etag-snapshot';
  /** Created or modified since the token, sorted by href (stable, so a caller can page through it). */
  changed: ContactObjectRef[];
  /** Deleted since the token, sorted. */
  deleted: string[];
}

export interface ContactStoreCapabilities {
  /** The server answers sync-collection (on some book). */
  syncCollection: boolean;
  /** Address books can be created (extended MKCOL). */
  createAddressBooks: boolean;
}

export interface ContactStore {
  readonly capabilities: ContactStoreCapabilities;
  /** The user's address books, the default one first (the one named "contacts" or the first listed). */
  listAddressBooks(): Promise<AddressBook[]>;
  /** One book, with fresh ctag / sync-token. AddressBookMissingError when it does not exist. */
  getAddressBook(href: string): Promise<AddressBook>;
  /**
   * Creates a book under the user's address-book home with an extended MKCOL.
   * `name` is the last path segment (made safe by the store); AddressBookExistsError when taken.
   */
  createAddressBook(name: string, displayName: string, description?: string): Promise<AddressBook>;
  /** Sets DAV:displayname (PROPPATCH); the href does not change. */
  renameAddressBook(href: string, displayName: string): Promise<void>;
  /** Deletes a book with everything in it. */
  deleteAddressBook(href: string): Promise<void>;
  /** Hrefs and ETags of every object in the book (PROPFIND Depth 1). */
  listObjects(bookHref: string): Promise<ContactObjectRef[]>;
  /** Objects by href with their data (addressbook-multiget), per-object failures reported, not thrown. */
  multiget(bookHref: string, hrefs: string[]): Promise<MultigetResult>;
  /**
   * Every object of the book with its data, by href. The CardDAV adapter answers from a copy
   * it re-validates by a sync first (adapters/dav/collection-mirror.ts), so repeating this costs
   * the server the changes only.
   */
  listAll(bookHref: string): Promise<MultigetResult>;
  /** One object. ContactMissingError when it does not exist. */
  getObject(href: string): Promise<ContactObject>;
  /**
   * Stores a new object as `name` (a safe file name, e.g. "<uid>.vcf") in the
   * book, with If-None-Match: * (ContactExistsError when the name is taken).
   */
  createObject(bookHref: string, name: string, data: string): Promise<ContactObjectRef>;
  /**
   * Replaces an object's data, with If-Match: etag. ContactConflictError when the
   * object changed since (it carries the current ETag), ContactMissingError when gone.
   */
  updateObject(href: string, data: string, etag: string): Promise<ContactObjectRef>;
  /** Deletes an object (If-Match when `etag` is given). ContactMissingError / ContactConflictError as above. */
  deleteObject(href: string, etag?: string): Promise<void>;
  /** Changes since `token` ('' for all): see SyncResult. SyncTokenInvalidError when the server no longer knows the token. */
  sync(bookHref: string, token: string): Promise<SyncResult>;
  /** Done with the store for this request (no-op for stateless HTTP stores). */
  release(): void;
}

// ------------------------------------------------------------------ errors

/** Every error a ContactStore throws is one of these (or a subclass of the mail port's shared ones). */
export type ContactStoreError =
  | ContactStoreUnavailableError
  | ContactAuthError
  | AddressBookMissingError
  | AddressBookExistsError
  | ContactMissingError
  | ContactExistsError
  | ContactConflictError
  | ContactForbiddenError
  | ContactRejectedError
  | SyncTokenInvalidError;

/** The server cannot be reached, timed out or failed (5xx). EWS: ErrorMailboxStoreUnavailable. */
export class ContactStoreUnavailableError extends BackendUnavailableError {
  constructor(
    message: string,
    readonly status?: number,
    cause?: unknown,
  ) {
    super(message, cause);
    this.name = 'ContactStoreUnavailableError';
  }
}

/** The server refused the credentials (401). */
export class ContactAuthError extends BackendAuthError {
  constructor(message = 'The CardDAV server refused the credentials.') {
    super(message);
    this.name = 'ContactAuthError';
  }
}

/** The address book does not exist. EWS: ErrorFolderNotFound. */
export class AddressBookMissingError extends FolderMissingError {
  constructor(href: string) {
    super(href);
    this.name = 'AddressBookMissingError';
    this.message = `No such address book: ${href}`;
  }
}

/** An address book with that name exists already. EWS: ErrorFolderExists. */
export class AddressBookExistsError extends FolderExistsError {
  constructor(href: string) {
    super(href);
    this.name = 'AddressBookExistsError';
    this.message = `An address book exists already at ${href}`;
  }
}

/** The object does not exist (any more). EWS: ErrorItemNotFound. */
export class ContactMissingError extends Error {
  constructor(readonly href: string) {
    super(`No such contact: ${href}`);
    this.name = 'ContactMissingError';
  }
}

/** createObject: an object with that name exists already. */
export class ContactExistsError extends Error {
  constructor(readonly href: string) {
    super(`A contact exists already at ${href}`);
    this.name = 'ContactExistsError';
  }
}

/** The object changed since the ETag the caller had (412). EWS: ErrorIrresolvableConflict. */
export class ContactConflictError extends Error {
  constructor(
    readonly href: string,
    readonly expectedEtag: string,
    /** The object's ETag now, when the server told; undefined when it could not be learned. */
    readonly currentEtag?: string,
  ) {
    super(`The contact ${href} changed on the server (had ${expectedEtag}, now ${currentEtag ?? 'unknown'}).`);
    this.name = 'ContactConflictError';
  }
}

/** The server forbids this change (403: read-only book, quota, ACL). EWS: ErrorAccessDenied. */
export class ContactForbiddenError extends Error {
  constructor(
    readonly href: string,
    message: string,
  ) {
    super(message);
    this.name = 'ContactForbiddenError';
  }
}

/** The server refused the data or request as malformed (400, 415, 422...). The server's text is in `detail`. */
export class ContactRejectedError extends Error {
  constructor(
    readonly href: string,
    readonly status: number,
    readonly detail: string,
  ) {
    super(`The CardDAV server refused the request for ${href} (HTTP ${status})${detail ? `: ${detail}` : ''}`);
    this.name = 'ContactRejectedError';
  }
}

/** The sync token is not (any more) valid on the server: start again with ''. EWS: ErrorInvalidSyncStateData. */
export class SyncTokenInvalidError extends Error {
  constructor(readonly token: string) {
    super('The sync token is no longer valid; a full resync is needed.');
    this.name = 'SyncTokenInvalidError';
  }
}
