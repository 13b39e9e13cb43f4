// ExpandDL: the members of a contact group (vCard 4 KIND:group / Apple's
// X-ADDRESSBOOKSERVER-KIND), found by ItemId or by the group's name or address,
// or of a directory group (the GAL's groupOfNames...), found by its address.
import { NS, child, textOf, x } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { ok, respond, type Operation } from '../operation.js';
import { loadTree, messagesChild } from '../folders/request.js';
import { allCards, galMailboxXml, isGroup, mailboxXml, matches, primaryEmail } from '../dav/directory.js';
import { DirectoryUnavailableError } from '../../ports/directory.js';
import { attr } from '../../soap/xml.js';

export const ExpandDL: Operation = {
  name: 'ExpandDL',
  async handle(req, ctx) {
    const mailbox = messagesChild(req, 'Mailbox');
    if (!mailbox) throw schemaViolation('Mailbox is required.');
    const itemId = attr(child(mailbox, NS.types, 'ItemId'), 'Id');
    const address = textOf(child(mailbox, NS.types, 'EmailAddress'))?.trim();
    const name = textOf(child(mailbox, NS.types, 'Name'))?.trim();
    // An address names a public group first (as in Exchange, where private lists go by ItemId).
    let directoryDown: DirectoryUnavailableError | undefined;
    if (!itemId && address && ctx.mailbox.directory) {
      try {
        const dl = await ctx.mailbox.directory.lookup(address);
        if (dl?.isGroup) {
          const members = (await ctx.mailbox.directory.members(dl.id)).map(galMailboxXml);
          return respond('ExpandDL', [ok(x('m:DLExpansion', { TotalItemsInView: String(members.length), IncludesLastItemInRange: 'true' }, members))]);
        }
      } catch (e) {
        if (!(e instanceof DirectoryUnavailableError)) throw e;
        directoryDown = e;
      }
    }
    const tree = await loadTree(ctx);
    const cards = await allCards(ctx, tree);
    const group = cards.find((c) => isGroup(c.item) && (c.id === itemId || (!!name && matches(c.item, name) && c.item.displayName?.toLowerCase() === name.toLowerCase()) || (!!address && c.item.displayName?.toLowerCase() === address.toLowerCase())));
    if ((!group || !isGroup(group.item)) && directoryDown) {
      return respond('ExpandDL', [new EwsError('ErrorADUnavailable', `The directory is unavailable: ${directoryDown.message}`)]);
    }
    if (!group || !isGroup(group.item)) {
      return respond('ExpandDL', [new EwsError('ErrorNameResolutionNoResults', 'No results were found.')]);
    }
    const byUid = new Map(cards.filter((c) => c.item.uid).map((c) => [c.item.uid!.toLowerCase().replace(/^urn:uuid:/, ''), c]));
    const members = group.item.members.map((m) => {
      const linked = m.contactUid ? byUid.get(m.contactUid.toLowerCase().replace(/^urn:uuid:/, '')) : undefined;
      const email = m.email ?? (linked ? primaryEmail(linked.item) : undefined);
      const label = m.name ?? linked?.item.displayName ?? email ?? '';
      return mailboxXml(label, email, linked ? (isGroup(linked.item) ? 'PrivateDL' : 'Contact') : 'OneOff', linked ? { id: linked.id, changeKey: linked.changeKey } : undefined);
    });
    return respond('ExpandDL', [ok(x('m:DLExpansion', { TotalItemsInView: String(members.length), IncludesLastItemInRange: 'true' }, members))]);
  },
};
