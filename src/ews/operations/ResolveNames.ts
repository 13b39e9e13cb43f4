// ResolveNames over the user's address books and the user's own mailbox, as
// Exchange answers: one match is Success, several a Warning with
// ErrorNameResolutionMultipleResults (and every candidate), none an Error
// ErrorNameResolutionNoResults.
import { attr, textOf, x, xsBool } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { respond, type ItemResult, type Operation } from '../operation.js';
import { loadTree, messagesChild } from '../folders/request.js';
import { renderContactItem } from '../contacts/render.js';
import type { ItemShape } from '../items/shape.js';
import { allCards, isGroup, mailboxXml, matches, primaryEmail, type DirectoryEntry } from '../dav/directory.js';

const SCOPES = ['ActiveDirectory', 'ActiveDirectoryContacts', 'Contacts', 'ContactsActiveDirectory'];
const MAX_RESOLUTIONS = 100;

export const ResolveNames: Operation = {
  name: 'ResolveNames',
  async handle(req, ctx) {
    const entry = textOf(messagesChild(req, 'UnresolvedEntry'))?.trim();
    if (!entry) throw schemaViolation('UnresolvedEntry is required.');
    const scope = attr(req, 'SearchScope') ?? 'ActiveDirectoryContacts';
    if (!SCOPES.includes(scope)) throw schemaViolation(`SearchScope "${scope}" is not valid.`);
    const fullData = xsBool(attr(req, 'ReturnFullContactData')) === true;
    const base = attr(req, 'ContactDataShape') ?? 'AllProperties';
    if (base !== 'IdOnly' && base !== 'Default' && base !== 'AllProperties') throw schemaViolation(`ContactDataShape "${base}" is not valid.`);
    const shape: ItemShape = { base, includeMimeContent: false, bodyType: 'Best', additional: [] };
    const useContacts = scope !== 'ActiveDirectory';
    const tree = await loadTree(ctx, { dav: useContacts });
    const cards: DirectoryEntry[] = useContacts ? (await allCards(ctx, tree)).filter((c) => matches(c.item, entry)) : [];
    const resolutions = cards.slice(0, MAX_RESOLUTIONS).map((c) => {
      const name = c.item.displayName ?? primaryEmail(c.item) ?? '';
      const mailbox = mailboxXml(name, primaryEmail(c.item), isGroup(c.item) ? 'PrivateDL' : 'Contact', { id: c.id, changeKey: c.changeKey });
      const contact =
        fullData && !isGroup(c.item) ? renderContactItem(c.item, { id: c.id, changeKey: c.changeKey, parentFolderId: c.folder.id, parentChangeKey: c.folder.changeKey }, shape, ctx.version) : undefined;
      return x('t:Resolution', null, mailbox, contact);
    });
    // The directory here is the user's own mailbox: enough for "me" and exact own-address look-ups.
    const q = entry.replace(/^smtp:/i, '').toLowerCase();
    const own = scope !== 'Contacts' && (ctx.user.email.toLowerCase().startsWith(q) || ctx.user.displayName.toLowerCase().startsWith(q));
    if (own) resolutions.unshift(x('t:Resolution', null, mailboxXml(ctx.user.displayName, ctx.user.email, 'Mailbox')));
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
