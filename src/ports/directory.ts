// The organisation's directory (Exchange's "global address list"): what
// ResolveNames, ExpandDL and FindPeople consult besides the user's own address
// books. Adapters: adapters/ldap (an LDAP server) and adapters/carddav's
// CardDavDirectory (one CardDAV address book serving as the GAL).
import { BackendUnavailableError } from './mail-store.js';

export interface GalEntry {
  /** The adapter's stable key for the entry (an LDAP DN, a vCard href): what `members` takes. */
  id: string;
  displayName: string;
  givenName?: string;
  surname?: string;
  /** SMTP addresses, the primary one first; may be empty (a person without mail). */
  emails: string[];
  /** Business telephone. */
  phone?: string;
  mobile?: string;
  title?: string;
  department?: string;
  company?: string;
  office?: string;
  /** A distribution group: `members` lists it. */
  isGroup: boolean;
}

export interface Directory {
  /**
   * Ambiguous-name search as Exchange does it: the text (an "smtp:" prefix
   * ignored) is a prefix of the display name, given name, surname or an address,
   * or of any word of the display name. At most `limit` entries.
   */
  search(text: string, limit: number): Promise<GalEntry[]>;
  /**
   * Exact-match search (ResolveNames' "=" prefix, DavMail's IsEqualTo): entries
   * whose display name or an address equals the text, case-insensitively; with
   * an "smtp:" prefix only the addresses. At most `limit` entries.
   */
  searchExact(text: string, limit: number): Promise<GalEntry[]>;
  /** The entry with exactly this SMTP address (case-insensitive), if any. */
  lookup(address: string): Promise<GalEntry | undefined>;
  /** A group's members (people and nested groups, not expanded further); [] for a person. */
  members(groupId: string): Promise<GalEntry[]>;
}

/** The directory cannot be reached, timed out, or refused the configured credential. */
export class DirectoryUnavailableError extends BackendUnavailableError {
  constructor(message: string, cause?: unknown) {
    super(message, cause);
    this.name = 'DirectoryUnavailableError';
  }
}

/** The text an ambiguous-name search looks for: trimmed, without a leading "smtp:"/"SMTP:". */
export function searchText(text: string): string {
  return text
    .trim()
    .replace(/^smtp:/i, '')
    .trim();
}

/**
 * The ambiguous-name match for directories searched in memory (an address book
 * as the GAL): the text is a prefix of a name or an address, or of a word of one.
 */
export function galEntryMatches(e: GalEntry, text: string): boolean {
  const q = searchText(text).toLowerCase();
  if (!q) return false;
  const fields = [e.displayName, e.givenName, e.surname, ...e.emails].filter((f): f is string => !!f).map((f) => f.toLowerCase());
  return fields.some((f) => f.startsWith(q) || f.split(/[\s.,@_-]+/).some((w) => w.startsWith(q)));
}

/** The exact match for directories searched in memory: see Directory.searchExact. */
export function galEntryEquals(e: GalEntry, text: string): boolean {
  const q = searchText(text).toLowerCase();
  if (!q) return false;
  if (e.emails.some((m) => m.toLowerCase() === q)) return true;
  return !/^\s*smtp:/i.test(text) && e.displayName.trim().toLowerCase() === q;
}
