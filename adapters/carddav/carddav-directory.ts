// The Directory port over one CardDAV address book serving as the global
// address list (EWSGATE_GAL_ADDRESSBOOK), read with the user's own credential:
// for sites whose "company directory" is a shared address book, not LDAP.
// The book is named by href (a path, or a URL) or by display name among the
// user's books; it is read whole per request (listAll) and searched in memory.
import { readVCard, type CardItem } from '../../src/convert/vcard-contact.js';
import type { AddressBook, ContactStore } from '../../src/ports/contact-store.js';
import { BackendUnavailableError } from '../../src/ports/mail-store.js';
import { DirectoryUnavailableError, galEntryEquals, galEntryMatches, searchText, type Directory, type GalEntry } from '../../src/ports/directory.js';

interface Card {
  href: string;
  item: CardItem;
}

function uidKey(uid: string | undefined): string | undefined {
  return uid?.toLowerCase().replace(/^urn:uuid:/, '') || undefined;
}

function toGalEntry(c: Card): GalEntry {
  const i = c.item;
  if (i.kind === 'group') return { id: c.href, displayName: i.displayName ?? '', emails: [], isGroup: true };
  const emails = [i.emails.EmailAddress1, i.emails.EmailAddress2, i.emails.EmailAddress3].flatMap((e) => (e?.address ? [e.address] : []));
  return {
    id: c.href,
    displayName: i.displayName || [i.givenName, i.surname].filter(Boolean).join(' ') || emails[0] || '',
    givenName: i.givenName,
    surname: i.surname,
    emails,
    phone: i.phones.BusinessPhone,
    mobile: i.phones.MobilePhone,
    title: i.jobTitle,
    department: i.department,
    company: i.companyName,
    office: i.officeLocation,
    isGroup: false,
  };
}

export class CardDavDirectory implements Directory {
  private cards?: Promise<Card[]>;

  constructor(
    private readonly store: ContactStore,
    /** An href ("/shared/gal/", "http://dav/shared/gal/") or a display name ("Company Directory"). */
    private readonly book: string,
  ) {}

  async search(text: string, limit: number): Promise<GalEntry[]> {
    if (!searchText(text)) return [];
    return (await this.load())
      .map(toGalEntry)
      .filter((e) => galEntryMatches(e, text))
      .slice(0, limit);
  }

  async searchExact(text: string, limit: number): Promise<GalEntry[]> {
    if (!searchText(text)) return [];
    return (await this.load())
      .map(toGalEntry)
      .filter((e) => galEntryEquals(e, text))
      .slice(0, limit);
  }

  async lookup(address: string): Promise<GalEntry | undefined> {
    const a = searchText(address).toLowerCase();
    return (await this.load()).map(toGalEntry).find((e) => e.emails.some((m) => m.toLowerCase() === a));
  }

  async members(groupId: string): Promise<GalEntry[]> {
    const cards = await this.load();
    const group = cards.find((c) => c.href === groupId);
    if (!group || group.item.kind !== 'group') return [];
    const byUid = new Map(cards.flatMap((c) => (uidKey(c.item.uid) ? [[uidKey(c.item.uid)!, c] as const] : [])));
    return group.item.members.flatMap((m): GalEntry[] => {
      const linked = m.contactUid ? byUid.get(uidKey(m.contactUid)!) : undefined;
      if (linked) return [toGalEntry(linked)];
      if (!m.email) return [];
      return [{ id: `mailto:${m.email}`, displayName: m.name ?? m.email, emails: [m.email], isGroup: false }];
    });
  }

  /** The book's cards, read once per request (the store is per request); unreadable cards skipped. */
  private load(): Promise<Card[]> {
    this.cards ??= (async () => {
      const book = await this.findBook();
      let objects;
      try {
        objects = (await this.store.listAll(book.href)).objects;
      } catch (e) {
        throw new DirectoryUnavailableError(`Cannot read the address book ${book.href} serving as the directory: ${(e as Error).message}`, e);
      }
      return objects.flatMap((o) => {
        try {
          return [{ href: o.href, item: readVCard(o.data) }];
        } catch {
          return [];
        }
      });
    })();
    return this.cards;
  }

  private async findBook(): Promise<AddressBook> {
    const spec = this.book;
    try {
      if (spec.startsWith('/') || /^https?:\/\//i.test(spec)) return await this.store.getAddressBook(spec);
      const books = await this.store.listAddressBooks();
      const found = books.find((b) => b.displayName.toLowerCase() === spec.toLowerCase()) ?? books.find((b) => b.name.toLowerCase() === spec.toLowerCase());
      if (found) return found;
    } catch (e) {
      if (e instanceof BackendUnavailableError)
        throw new DirectoryUnavailableError(`Cannot reach the address book "${spec}" serving as the directory: ${e.message}`, e);
      throw new DirectoryUnavailableError(`The address book "${spec}" serving as the directory cannot be read: ${(e as Error).message}`, e);
    }
    throw new DirectoryUnavailableError(`The address book "${spec}" serving as the directory is not among the user's address books.`);
  }
}
