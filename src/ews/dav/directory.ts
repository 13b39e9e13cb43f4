// Name resolution over the user's address books (and, as the directory, the
// user's own mailbox): what ResolveNames, ExpandDL and address completion rest on.
import { x, type Xml } from '../../soap/xml.js';
import { readVCard, type CardItem, type Contact, type ContactGroup } from '../../convert/vcard-contact.js';
import type { RequestContext } from '../operation.js';
import type { EwsFolder, FolderTree } from '../folders/tree.js';
import { encodeDavItemId, etagChangeKey } from '../items/dav-item-id.js';

export interface DirectoryEntry {
  item: CardItem;
  id: string;
  changeKey: string;
  folder: EwsFolder;
}

/** Every card of every address book; a broken card or a book that cannot be read is skipped, never fatal. */
export async function allCards(ctx: RequestContext, tree: FolderTree): Promise<DirectoryEntry[]> {
  const store = ctx.mailbox.contacts;
  if (!store) return [];
  const books = tree.all().filter((f) => f.dav?.store === 'contacts');
  const out: DirectoryEntry[] = [];
  await Promise.all(
    books.map(async (folder) => {
      let objects;
      try {
        objects = (await store.listAll(folder.dav!.href)).objects;
      } catch {
        return;
      }
      for (const o of objects) {
        try {
          out.push({ item: readVCard(o.data), id: encodeDavItemId({ store: 'contacts', view: 'VCARD', href: o.href }), changeKey: etagChangeKey(o.etag), folder });
        } catch {
          // skip the broken card
        }
      }
    }),
  );
  return out;
}

function words(c: CardItem): string[] {
  const base = [c.displayName];
  if (c.kind === 'contact') base.push(c.givenName, c.surname, c.nickname, c.fileAs, c.companyName, ...Object.values(c.emails).map((e) => e?.address));
  return base.filter((w): w is string => !!w).map((w) => w.toLowerCase());
}

/** Exchange's ambiguous-name match: the text is a prefix of a name, a word of it, or of an address. */
export function matches(c: CardItem, query: string): boolean {
  const q = query.trim().toLowerCase().replace(/^smtp:/, '');
  if (!q) return false;
  return words(c).some((w) => w.startsWith(q) || w.split(/[\s.,@_-]+/).some((part) => part.startsWith(q)));
}

export function primaryEmail(c: CardItem): string | undefined {
  if (c.kind !== 'contact') return undefined;
  return c.emails.EmailAddress1?.address ?? c.emails.EmailAddress2?.address ?? c.emails.EmailAddress3?.address;
}

export function mailboxXml(name: string, email: string | undefined, type: 'Mailbox' | 'Contact' | 'PrivateDL' | 'OneOff', itemId?: { id: string; changeKey: string }): Xml {
  return x(
    't:Mailbox',
    null,
    x('t:Name', null, name),
    email ? x('t:EmailAddress', null, email) : undefined,
    x('t:RoutingType', null, 'SMTP'),
    x('t:MailboxType', null, type),
    itemId ? x('t:ItemId', { Id: itemId.id, ChangeKey: itemId.changeKey }) : undefined,
  );
}

export function isGroup(c: CardItem): c is ContactGroup {
  return c.kind === 'group';
}

export function isContact(c: CardItem): c is Contact {
  return c.kind === 'contact';
}
