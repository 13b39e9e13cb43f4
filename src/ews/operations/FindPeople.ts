// FindPeople ([MS-OXWSFPPL], Exchange 2013 and later): the people of the user's
// address books as Personas; with the distinguished "directory" folder and a
// QueryString, the directory's (GAL's) matches when one is configured. As
// Exchange links them, contacts and directory entries sharing an e-mail address
// are one Persona: its EmailAddresses the union of theirs, its Attributions one
// per source (PersonaId and the other fields from the first: the directory
// entry in the directory, else a contact of the default Contacts folder). The answer is not wrapped in ResponseMessages:
// <m:FindPeopleResponse ResponseClass=..> carries ResponseCode, People and the
// paging counts directly, as Exchange answers.
import { NS, child, elementChildren, textOf, x, type Element, type Xml, type XmlChild } from '../../soap/xml.js';
import { EMAIL_KEYS, IM_KEYS, displayNameOf, fileAsOf, type CardItem } from '../../convert/vcard-contact.js';
import { EwsError, schemaViolation, storeUnavailable } from '../errors.js';
import type { Operation, RequestContext } from '../operation.js';
import { loadTree, messagesChild, ownAddresses, parseFolderIdInput } from '../folders/request.js';
import { parsePropertyPath, type PropertyPath } from '../properties/path.js';
import { evaluate, parseRestriction } from '../restriction.js';
import { parseSortOrder } from '../items/search.js';
import { pageOf, parsePaging } from '../paging.js';
import { contactPropertyValue } from '../contacts/render.js';
import { allCards, galCardEntry, matches, primaryEmail, type DirectoryEntry } from '../dav/directory.js';
import { DirectoryUnavailableError } from '../../ports/directory.js';
import { encodeFolderId } from '../folders/folder-id.js';
import type { EwsFolder, FolderTree } from '../folders/tree.js';

/** One person: `linked` are the contacts and directory entries found to be the same person, the persona's own entry first. */
type Person = DirectoryEntry & { linked: DirectoryEntry[] };

/** Persona properties in PersonaType's schema order: FieldURI → element and value. */
interface PersonaField {
  uri: string;
  render(e: Person): XmlChild;
  /** Text for restrictions and sorting. */
  value?(e: Person): string | undefined;
}

const opt = (v: string | undefined) => (v && v.trim() ? v.trim() : undefined);
const c = (e: DirectoryEntry) => (e.item.kind === 'contact' ? e.item : undefined);

function firstLast(i: CardItem): string {
  return (i.kind === 'contact' && [i.givenName, i.surname].filter(Boolean).join(' ')) || displayNameOf(i);
}
function lastFirst(i: CardItem): string {
  return (i.kind === 'contact' && [i.surname, i.givenName].filter(Boolean).join(' ')) || displayNameOf(i);
}

function text(uri: string, get: (e: Person) => string | undefined): PersonaField {
  const element = `t:${uri.slice('persona:'.length)}`;
  return {
    uri,
    render: (e) => {
      const v = opt(get(e));
      return v === undefined ? undefined : x(element, null, v);
    },
    value: (e) => opt(get(e)),
  };
}

function mailboxTypeOf(e: DirectoryEntry): string {
  if (e.fromDirectory) return e.item.kind === 'group' ? 'PublicDL' : 'Mailbox';
  return e.item.kind === 'group' ? 'PrivateDL' : 'Contact';
}

function emailOf(e: DirectoryEntry, address: string, name?: string): Xml {
  return x(
    't:EmailAddress',
    null,
    x('t:Name', null, name ?? displayNameOf(e.item)),
    x('t:EmailAddress', null, address),
    x('t:RoutingType', null, 'SMTP'),
    x('t:MailboxType', null, mailboxTypeOf(e)),
  );
}

const FIELDS: PersonaField[] = [
  { uri: 'persona:PersonaId', render: (e) => x('t:PersonaId', { Id: e.id }), value: (e) => e.id },
  text('persona:PersonaType', (e) => (e.item.kind === 'group' ? 'DistributionList' : 'Person')),
  text('persona:DisplayNameFirstLastSortKey', (e) => firstLast(e.item)),
  text('persona:DisplayNameLastFirstSortKey', (e) => lastFirst(e.item)),
  text('persona:CompanyNameSortKey', (e) => c(e)?.companyName),
  text('persona:DisplayNameFirstLastHeader', (e) => firstLast(e.item).charAt(0).toUpperCase()),
  text('persona:DisplayNameLastFirstHeader', (e) => lastFirst(e.item).charAt(0).toUpperCase()),
  text('persona:FileAsHeader', (e) => fileAsOf(e.item).charAt(0).toUpperCase()),
  text('persona:DisplayName', (e) => displayNameOf(e.item)),
  text('persona:DisplayNameFirstLast', (e) => firstLast(e.item)),
  text('persona:DisplayNameLastFirst', (e) => lastFirst(e.item)),
  text('persona:FileAs', (e) => fileAsOf(e.item)),
  text('persona:DisplayNamePrefix', (e) => c(e)?.title),
  text('persona:GivenName', (e) => c(e)?.givenName),
  text('persona:MiddleName', (e) => c(e)?.middleName),
  text('persona:Surname', (e) => c(e)?.surname),
  text('persona:Generation', (e) => c(e)?.suffix),
  text('persona:Nickname', (e) => c(e)?.nickname),
  text('persona:YomiCompanyName', () => undefined),
  text('persona:YomiFirstName', (e) => c(e)?.phoneticGivenName),
  text('persona:YomiLastName', (e) => c(e)?.phoneticSurname),
  text('persona:Title', (e) => c(e)?.jobTitle),
  text('persona:Department', (e) => c(e)?.department),
  text('persona:CompanyName', (e) => c(e)?.companyName),
  text('persona:Location', (e) => c(e)?.officeLocation),
  {
    uri: 'persona:EmailAddress',
    render: (e) => {
      const a = primaryEmail(e.item);
      return a ? emailOf(e, a) : undefined;
    },
    value: (e) => primaryEmail(e.item),
  },
  {
    uri: 'persona:EmailAddresses',
    render: (e) => {
      const list = personEmails(e);
      if (!list.length) return undefined;
      return x(
        't:EmailAddresses',
        null,
        list.map((m) => x('t:Address', null, x('t:Name', null, m.name), x('t:EmailAddress', null, m.address), x('t:RoutingType', null, 'SMTP'), x('t:MailboxType', null, mailboxTypeOf(m.from)))),
      );
    },
    value: (e) => personEmails(e).map((m) => m.address).join(' ') || undefined,
  },
  text('persona:ImAddress', (e) => {
    const item = c(e);
    return item ? IM_KEYS.map((k) => item.imAddresses[k]).find(Boolean) : undefined;
  }),
  text('persona:HomeCity', (e) => c(e)?.addresses.Home?.city),
  text('persona:WorkCity', (e) => c(e)?.addresses.Business?.city),
  text('persona:RelevanceScore', () => '2147483647'),
  {
    uri: 'persona:Attributions',
    render: (e) =>
      x(
        't:Attributions',
        null,
        e.linked.map((m, i) =>
          x(
            't:Attribution',
            null,
            x('t:Id', null, String(i)),
            x('t:SourceId', m.changeKey ? { Id: m.id, ChangeKey: m.changeKey } : { Id: m.id }),
            x('t:DisplayName', null, m.folder.displayName),
            x('t:IsWritable', null, m.fromDirectory ? 'false' : 'true'),
            x('t:IsQuickContact', null, 'false'),
            x('t:IsHidden', null, 'false'),
            m.fromDirectory ? undefined : x('t:FolderId', { Id: m.folder.id, ChangeKey: m.folder.changeKey }),
          ),
        ),
      ),
  },
];

/** The person's addresses: each entry's in turn, an address given by an earlier one not repeated. */
function personEmails(e: Person): { address: string; name: string; from: DirectoryEntry }[] {
  const seen = new Set<string>();
  const out: { address: string; name: string; from: DirectoryEntry }[] = [];
  for (const m of e.linked) {
    const item = c(m);
    for (const k of item ? EMAIL_KEYS : []) {
      const a = item!.emails[k];
      if (!a?.address || seen.has(a.address.trim().toLowerCase())) continue;
      seen.add(a.address.trim().toLowerCase());
      out.push({ address: a.address, name: a.name ?? displayNameOf(m.item), from: m });
    }
  }
  return out;
}

function addressesOf(e: DirectoryEntry): string[] {
  const item = c(e);
  return item ? EMAIL_KEYS.flatMap((k) => (item.emails[k]?.address ? [item.emails[k]!.address.trim().toLowerCase()] : [])) : [];
}

/**
 * Links entries sharing an address (transitively) into one Person each; groups
 * and people without an address stay alone. `entries` come in order of
 * preference: a person's first entry is its own.
 */
function linkPeople(entries: DirectoryEntry[]): Person[] {
  const byAddress = new Map<string, Person>();
  const people: Person[] = [];
  for (const e of entries) {
    const found = [...new Set(addressesOf(e).flatMap((a) => (byAddress.has(a) ? [byAddress.get(a)!] : [])))];
    let person: Person;
    if (!found.length) {
      person = { ...e, linked: [e] };
      people.push(person);
    } else {
      // Several persons this entry bridges become the earliest one.
      [person] = found.sort((a, b) => people.indexOf(a) - people.indexOf(b)) as [Person];
      person.linked.push(e);
      for (const other of found.slice(1)) {
        person.linked.push(...other.linked);
        people.splice(people.indexOf(other), 1);
        for (const m of other.linked) for (const a of addressesOf(m)) byAddress.set(a, person);
      }
    }
    for (const a of addressesOf(e)) byAddress.set(a, person);
  }
  return people;
}

/** Contacts before directory entries; the default Contacts folder's first; then by id, so the persona's own entry does not change between requests. */
function preference(a: DirectoryEntry, b: DirectoryEntry): number {
  const rank = (e: DirectoryEntry) => (e.fromDirectory ? 2 : e.folder.distinguishedId === 'contacts' ? 0 : 1);
  return rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const BY_URI = new Map(FIELDS.map((f) => [f.uri, f]));

/** PersonaShape Default ([MS-OXWSFPPL] 3.1.4.1): what Exchange returns without AdditionalProperties. */
const DEFAULT_FIELDS = new Set([
  'persona:PersonaId', 'persona:PersonaType', 'persona:DisplayNameFirstLastSortKey', 'persona:DisplayNameLastFirstSortKey', 'persona:CompanyNameSortKey',
  'persona:DisplayNameFirstLastHeader', 'persona:DisplayNameLastFirstHeader', 'persona:DisplayName', 'persona:DisplayNameFirstLast',
  'persona:DisplayNameLastFirst', 'persona:FileAs', 'persona:GivenName', 'persona:Surname', 'persona:Title', 'persona:Department',
  'persona:CompanyName', 'persona:EmailAddress', 'persona:EmailAddresses', 'persona:ImAddress', 'persona:RelevanceScore',
]);

function requestedFields(shapeEl: Element | undefined): Set<string> {
  const base = textOf(child(shapeEl, NS.types, 'BaseShape'))?.trim() ?? 'Default';
  if (!['IdOnly', 'Default', 'AllProperties'].includes(base)) throw schemaViolation(`BaseShape "${base}" is not valid.`);
  const out = new Set<string>(base === 'IdOnly' ? ['persona:PersonaId'] : base === 'Default' ? DEFAULT_FIELDS : FIELDS.map((f) => f.uri));
  out.add('persona:PersonaId');
  const additional = child(shapeEl, NS.types, 'AdditionalProperties');
  for (const p of additional ? elementChildren(additional) : []) {
    const path = parsePropertyPath(p);
    if (path.kind !== 'field') continue; // extended and indexed paths name nothing a persona here has
    // A contact property with a persona namesake (contacts:DisplayName → persona:DisplayName) asks for that.
    const uri = path.uri.startsWith('persona:') ? path.uri : `persona:${path.uri.slice(path.uri.indexOf(':') + 1)}`;
    if (BY_URI.has(uri)) out.add(uri);
    else if (path.uri.startsWith('persona:')) throw new EwsError('ErrorInvalidPropertyRequest', `${path.uri} is not a persona property this server knows.`);
  }
  return out;
}

function renderPersona(e: Person, fields: Set<string>): Xml {
  return x(
    't:Persona',
    null,
    FIELDS.filter((f) => fields.has(f.uri)).map((f) => f.render(e)),
  );
}

/**
 * A property's text for restrictions and sorting: persona:* paths, and the
 * contact's own paths (contacts:*, item:*, indexed e-mail...), which clients such
 * as exchangelib send because they build FindPeople restrictions from the Contact model.
 */
function valueOf(e: Person, p: PropertyPath, member: DirectoryEntry = e): string | undefined {
  if (p.kind === 'field' && p.uri.startsWith('persona:')) return BY_URI.get(p.uri)?.value?.(e);
  return contactPropertyValue(member.item, p, { id: member.id, changeKey: member.changeKey, parentFolderId: member.folder.id, parentChangeKey: member.folder.changeKey });
}

/** The address books searched: the one ParentFolderId names, or all of them (no id, or the distinguished contacts / mycontacts / directory). */
function booksOf(req: Element, ctx: RequestContext, tree: FolderTree): Set<string> | undefined {
  const parent = messagesChild(req, 'ParentFolderId');
  const idEl = parent ? elementChildren(parent)[0] : undefined;
  if (!idEl) return undefined;
  const input = parseFolderIdInput(idEl);
  if ('distinguished' in input && ['mycontacts', 'directory', 'favorites', 'recipientcache'].includes(input.distinguished.toLowerCase())) return undefined;
  const folder = tree.resolve(input, ownAddresses(ctx));
  if (folder.dav?.store !== 'contacts') {
    throw new EwsError('ErrorInvalidOperation', `FindPeople searches contact folders; "${folder.displayName}" is not one.`);
  }
  return new Set([folder.id]);
}

/** The distinguished "directory" folder, when ParentFolderId names it. */
function namesDirectory(req: Element): boolean {
  const parent = messagesChild(req, 'ParentFolderId');
  const idEl = parent ? elementChildren(parent)[0] : undefined;
  return !!idEl && idEl.localName === 'DistinguishedFolderId' && idEl.getAttribute('Id')?.toLowerCase() === 'directory';
}

const DIRECTORY_REF = { kind: 'virtual' as const, name: 'directory' };
const DIRECTORY_FOLDER: EwsFolder = {
  ref: DIRECTORY_REF,
  id: encodeFolderId(DIRECTORY_REF),
  changeKey: 'AQAAAA==',
  children: [],
  displayName: 'Directory',
  folderClass: 'IPF.Contact',
  distinguishedId: 'directory',
  totalCount: 0,
  unreadCount: 0,
};
/** Directory matches one FindPeople reads (Exchange caps GAL searches too). */
const DIRECTORY_LIMIT = 500;

function answer(content: XmlChild[], error?: EwsError): Xml {
  if (error) {
    return x('m:FindPeopleResponse', { ResponseClass: 'Error' }, x('m:MessageText', null, error.message), x('m:ResponseCode', null, error.code), x('m:DescriptiveLinkKey', null, '0'));
  }
  return x('m:FindPeopleResponse', { ResponseClass: 'Success' }, x('m:ResponseCode', null, 'NoError'), content);
}

export const FindPeople: Operation = {
  name: 'FindPeople',
  async handle(req, ctx) {
    const view = messagesChild(req, 'IndexedPageItemView');
    if (!view) throw schemaViolation('IndexedPageItemView is required.');
    const paging = parsePaging(req, 'IndexedPageItemView', 'FractionalPageItemView');
    const restriction = parseRestriction(messagesChild(req, 'Restriction'));
    const sort = parseSortOrder(messagesChild(req, 'SortOrder'));
    const query = textOf(messagesChild(req, 'QueryString'))?.trim();
    try {
      const fields = requestedFields(messagesChild(req, 'PersonaShape'));
      let people: Person[];
      if (query && ctx.mailbox.directory && namesDirectory(req)) {
        let found: DirectoryEntry[];
        try {
          found = (await ctx.mailbox.directory.search(query, DIRECTORY_LIMIT)).map((e) => galCardEntry(e, DIRECTORY_FOLDER));
        } catch (e) {
          if (e instanceof DirectoryUnavailableError) throw new EwsError('ErrorADUnavailable', `The directory is unavailable: ${e.message}`);
          throw e;
        }
        // The user's own contacts of these people join them (the directory entry stays each persona's own); others are not listed here.
        const wanted = new Set(found.flatMap(addressesOf));
        // Address books that cannot be read only cost the linking, never the directory's answer.
        const cards = wanted.size ? await loadTree(ctx, { dav: true }).then((tree) => allCards(ctx, tree), () => [] as DirectoryEntry[]) : [];
        const own = cards.filter((e) => addressesOf(e).some((a) => wanted.has(a)));
        people = linkPeople([...found, ...own.sort(preference)]).filter((p) => p.fromDirectory);
      } else {
        const tree = await loadTree(ctx, { dav: true });
        // The address books were not listed (CardDAV down): an empty answer would read as "nobody".
        if (tree.all().some((f) => f.unavailable && f.distinguishedId === 'contacts')) throw storeUnavailable();
        const books = booksOf(req, ctx, tree);
        people = linkPeople((await allCards(ctx, tree)).filter((e) => !books || books.has(e.folder.id)).sort(preference));
        if (query) people = people.filter((e) => e.linked.some((m) => matches(m.item, query)));
      }
      if (restriction) people = people.filter((e) => e.linked.some((m) => evaluate(restriction, (p) => valueOf(e, p, m))));
      const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
      const order = sort.length ? sort : [{ path: { kind: 'field' as const, uri: 'persona:DisplayName' }, descending: false }];
      people.sort((a, b) => {
        for (const f of order) {
          const d = collator.compare(valueOf(a, f.path) ?? '', valueOf(b, f.path) ?? '');
          if (d) return f.descending ? -d : d;
        }
        return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      });
      const page = pageOf(people, paging);
      const first = page.items.length ? people.indexOf(page.items[0]!) : paging.kind === 'indexed' && !paging.fromEnd ? Math.min(paging.offset, people.length) : 0;
      return answer([
        x('m:People', null, page.items.map((e) => renderPersona(e, fields))),
        x('m:TotalNumberOfPeopleInView', null, String(people.length)),
        x('m:FirstMatchingRowIndex', null, String(first)),
        x('m:FirstLoadedRowIndex', null, String(first)),
      ]);
    } catch (e) {
      if (e instanceof EwsError) return answer([], e);
      throw e;
    }
  },
};


