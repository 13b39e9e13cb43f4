// ResolveNames over the directory (the GAL: LDAP or an address book serving as
// one, when configured), the user's address books and the user's own mailbox, as
// Exchange answers: one match is Success, several a Warning with
// ErrorNameResolutionMultipleResults (and every candidate), none an Error
// ErrorNameResolutionNoResults. SearchScope picks the sources and their order;
// an address found in an earlier source is not repeated from a later one.
// A directory that is down does not hide the address-book matches (as Exchange
// answers when AD is unreachable); with nothing else to answer, or a scope of
// ActiveDirectory alone, the answer is ErrorADUnavailable, never a false "no results".
// An entry starting with "=" asks for an exact match (Outlook's ANR convention,
// DavMail's IsEqualTo look-ups: "=smtp:ann@example.org", "=ann martin"): an equal
// address or display name, never a prefix.
import { attr, textOf, x, xsBool } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { respond, type ItemResult, type Operation } from '../operation.js';
import { loadTree, messagesChild } from '../folders/request.js';
import { renderContactItem } from '../contacts/render.js';
import type { ItemShape } from '../items/shape.js';
import { allCards, exactlyMatches, galContactXml, galMailboxXml, isGroup, mailboxXml, matches, primaryEmail, type DirectoryEntry } from '../dav/directory.js';
import { DirectoryUnavailableError, type GalEntry } from '../../ports/directory.js';

const SCOPES = ['ActiveDirectory', 'ActiveDirectoryContacts', 'Contacts', 'ContactsActiveDirectory'];
const MAX_RESOLUTIONS = 100;

export const ResolveNames: Operation = {
  name: 'ResolveNames',
  async handle(req, ctx) {
    const raw = textOf(messagesChild(req, 'UnresolvedEntry'))?.trim();
    if (!raw) throw schemaViolation('UnresolvedEntry is required.');
    const exact = raw.startsWith('=');
    const entry = exact ? raw.slice(1).trim() : raw;
    const scope = attr(req, 'SearchScope') ?? 'ActiveDirectoryContacts';
    if (!SCOPES.includes(scope)) throw schemaViolation(`SearchScope "${scope}" is not valid.`);
    const fullData = xsBool(attr(req, 'ReturnFullContactData')) === true;
    const base = attr(req, 'ContactDataShape') ?? 'AllProperties';
    if (base !== 'IdOnly' && base !== 'Default' && base !== 'AllProperties') throw schemaViolation(`ContactDataShape "${base}" is not valid.`);
    const shape: ItemShape = { base, includeMimeContent: false, bodyType: 'Best', additional: [] };
    // "=" (or "=smtp:") with nothing after it names nobody.
    if (!entry || /^smtp:\s*$/i.test(entry)) return respond('ResolveNames', [new EwsError('ErrorNameResolutionNoResults', 'No results were found.')]);
    const useContacts = scope !== 'ActiveDirectory';
    const directory = scope !== 'Contacts' ? ctx.mailbox.directory : undefined;
    const [tree, gal] = await Promise.all([
      loadTree(ctx, { dav: useContacts }),
      directory
        ? (exact ? directory.searchExact(entry, MAX_RESOLUTIONS) : directory.search(entry, MAX_RESOLUTIONS)).then(
            (entries) => ({ entries, down: undefined }),
            (e: unknown) => {
              if (e instanceof DirectoryUnavailableError) return { entries: [] as GalEntry[], down: e };
              throw e;
            },
          )
        : { entries: [] as GalEntry[], down: undefined },
    ]);
    const cards: DirectoryEntry[] = useContacts ? (await allCards(ctx, tree)).filter((c) => (exact ? exactlyMatches(c.item, entry) : matches(c.item, entry))) : [];
    const taken = new Set<string>();
    /** The items whose address no earlier source gave (a source may repeat its own addresses: two contacts can share one). */
    const fresh = <T>(items: T[], address: (i: T) => string | undefined): T[] => {
      const kept = items.filter((i) => !taken.has(address(i)?.toLowerCase() ?? ''));
      for (const i of kept) if (address(i)) taken.add(address(i)!.toLowerCase());
      return kept;
    };
    const contactResolutions = () =>
      fresh(cards, (c) => primaryEmail(c.item))
        .map((c) => {
          const name = c.item.displayName ?? primaryEmail(c.item) ?? '';
          const mailbox = mailboxXml(name, primaryEmail(c.item), isGroup(c.item) ? 'PrivateDL' : 'Contact', { id: c.id, changeKey: c.changeKey });
          const contact =
            fullData && !isGroup(c.item) ? renderContactItem(c.item, { id: c.id, changeKey: c.changeKey, parentFolderId: c.folder.id, parentChangeKey: c.folder.changeKey }, shape, ctx.version) : undefined;
          return x('t:Resolution', null, mailbox, contact);
        });
    const galResolutions = () => fresh(gal.entries, (e) => e.emails[0]).map((e) => x('t:Resolution', null, galMailboxXml(e), fullData ? galContactXml(e, ctx.version) : undefined));
    // Without a directory (or with one that does not list the user) the user's own mailbox stands in: enough for "me" and exact own-address look-ups.
    const q = entry.replace(/^smtp:/i, '').toLowerCase();
    const ownInGal = gal.entries.some((e) => e.emails.some((m) => m.toLowerCase() === ctx.user.email.toLowerCase()));
    const ownMatch = exact
      ? ctx.user.email.toLowerCase() === q || (!/^smtp:/i.test(entry) && ctx.user.displayName.toLowerCase() === q)
      : ctx.user.email.toLowerCase().startsWith(q) || ctx.user.displayName.toLowerCase().startsWith(q);
    const own = scope !== 'Contacts' && !ownInGal && ownMatch;
    const resolutions = own ? [x('t:Resolution', null, mailboxXml(ctx.user.displayName, ctx.user.email, 'Mailbox'))] : [];
    if (scope === 'ContactsActiveDirectory') resolutions.push(...contactResolutions(), ...galResolutions());
    else resolutions.push(...galResolutions(), ...contactResolutions());
    resolutions.splice(MAX_RESOLUTIONS);
    if (gal.down && (scope === 'ActiveDirectory' || !resolutions.length)) {
      return respond('ResolveNames', [new EwsError('ErrorADUnavailable', `The directory is unavailable: ${gal.down.message}`)]);
    }
    if (!resolutions.length) {
      return respond('ResolveNames', [new EwsError('ErrorNameResolutionNoResults', 'No results were found.')]);
    }
    const set = x('m:ResolutionSet', { TotalItemsInView: String(resolutions.length), IncludesLastItemInRange: 'true' }, resolutions);
    const result: ItemResult =
      resolutions.length === 1
        ? { content: set }
        : { content: set, warning: new EwsError('ErrorNameResolutionMultipleResults', 'Multiple results were found.') };
    return respond('ResolveNames', [result]);
  },
};
