// Name resolution over the user's address books (and, as the directory, the
// user's own mailbox): what ResolveNames, ExpandDL and address completion rest on.
import { x, type Xml } from '../../soap/xml.js';
import { displayNameOf, emptyContact, emptyGroup, readVCard, type CardItem, type Contact, type ContactGroup } from '../../convert/vcard-contact.js';
import type { RequestContext } from '../operation.js';
import type { EwsFolder, FolderTree } from '../folders/tree.js';
import { encodeDavItemId, etagChangeKey } from '../items/dav-item-id.js';
import { versionAtLeast, type ExchangeVersion } from '../../soap/envelope.js';
import type { GalEntry } from '../../ports/directory.js';

export interface DirectoryEntry {
  item: CardItem;
  id: string;
  changeKey: string;
  folder: EwsFolder;
  /** From the directory (GAL), not an address book: a Mailbox / PublicDL, never an item of the user's. */
  fromDirectory?: boolean;
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

/**
 * ResolveNames' exact match (an UnresolvedEntry "=text", DavMail's IsEqualTo):
 * an address equal to the text, or the display name equal to it; case-insensitive.
 * With "smtp:" the text is an address and only addresses are compared.
 */
export function exactlyMatches(c: CardItem, query: string): boolean {
  const address = /^\s*smtp:/i.test(query);
  const q = query.trim().replace(/^smtp:/i, '').trim().toLowerCase();
  if (!q) return false;
  if (c.kind === 'contact' && Object.values(c.emails).some((e) => e?.address?.trim().toLowerCase() === q)) return true;
  return !address && displayNameOf(c).trim().toLowerCase() === q;
}

export function primaryEmail(c: CardItem): string | undefined {
  if (c.kind !== 'contact') return undefined;
  return c.emails.EmailAddress1?.address ?? c.emails.EmailAddress2?.address ?? c.emails.EmailAddress3?.address;
}

export function mailboxXml(name: string, email: string | undefined, type: 'Mailbox' | 'Contact' | 'PrivateDL' | 'PublicDL' | 'OneOff', itemId?: { id: string; changeKey: string }): Xml {
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

// ---------------------------------------------------------------- the directory (GAL)

/** A directory entry as a recipient: a Mailbox, or a PublicDL for a group; no ItemId (it is no item of the user's). */
export function galMailboxXml(e: GalEntry): Xml {
  return mailboxXml(e.displayName || e.emails[0] || '', e.emails[0], e.isGroup ? 'PublicDL' : 'Mailbox');
}

/**
 * A directory entry as ResolveNames' ReturnFullContactData gives it: a t:Contact
 * without ItemId, addresses prefixed "SMTP:" and ContactSource ActiveDirectory
 * (Exchange 2010 and later), the elements in ContactItemType's schema order.
 */
export function galContactXml(e: GalEntry, version: ExchangeVersion): Xml {
  const text = (name: string, v: string | undefined) => (v ? x(name, null, v) : undefined);
  const emails = e.emails.slice(0, 3);
  const phones = [['BusinessPhone', e.phone], ['MobilePhone', e.mobile]].filter((p): p is [string, string] => !!p[1]);
  return x(
    't:Contact',
    null,
    x('t:DisplayName', null, e.displayName),
    text('t:GivenName', e.givenName),
    text('t:CompanyName', e.company),
    emails.length ? x('t:EmailAddresses', null, emails.map((m, i) => x('t:Entry', { Key: `EmailAddress${i + 1}` }, `SMTP:${m}`))) : undefined,
    phones.length ? x('t:PhoneNumbers', null, phones.map(([k, v]) => x('t:Entry', { Key: k }, v))) : undefined,
    versionAtLeast(version, 'Exchange2010') ? x('t:ContactSource', null, 'ActiveDirectory') : undefined,
    text('t:Department', e.department),
    text('t:JobTitle', e.title),
    text('t:OfficeLocation', e.office),
    text('t:Surname', e.surname),
  );
}

/** A directory entry in the shape address-book people have (FindPeople's personas), kept apart by `fromDirectory`. */
export function galCardEntry(e: GalEntry, folder: EwsFolder): DirectoryEntry {
  const id = Buffer.from(`gal\0${e.id}`, 'utf8').toString('base64');
  if (e.isGroup) return { item: { ...emptyGroup(), displayName: e.displayName }, id, changeKey: '', folder, fromDirectory: true };
  const c: Contact = { ...emptyContact(), displayName: e.displayName, givenName: e.givenName, surname: e.surname, jobTitle: e.title, department: e.department, companyName: e.company, officeLocation: e.office };
  e.emails.slice(0, 3).forEach((address, i) => (c.emails[`EmailAddress${i + 1}` as 'EmailAddress1'] = { address }));
  if (e.phone) c.phones.BusinessPhone = e.phone;
  if (e.mobile) c.phones.MobilePhone = e.mobile;
  return { item: c, id, changeKey: '', folder, fromDirectory: true };
}
