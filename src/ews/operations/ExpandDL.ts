// ExpandDL: the members of a contact group (vCard 4 KIND:group / Apple's
// X-ADDRESSBOOKSERVER-KIND), found by ItemId or by the group's name or address.
import { NS, child, textOf, x } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { ok, respond, type Operation } from '../operation.js';
import { loadTree, messagesChild } from '../folders/request.js';
import { allCards, isGroup, mailboxXml, matches, primaryEmail } from '../dav/directory.js';
import { attr } from '../../soap/xml.js';

export const ExpandDL: Operation = {
  name: 'ExpandDL',
  async handle(req, ctx) {
    const mailbox = messagesChild(req, 'Mailbox');
    if (!mailbox) throw schemaViolation('Mailbox is required.');
    const itemId = attr(child(mailbox, NS.types, 'ItemId'), 'Id');
    const address = textOf(child(mailbox, NS.types, 'EmailAddress'))?.trim();
    const name = textOf(child(mailbox, NS.types, 'Name'))?.trim();
    const tree = await loadTree(ctx);
    const cards = await allCards(ctx, tree);
    const group = cards.find((c) => isGroup(c.item) && (c.id === itemId || (!!name && matches(c.item, name) && c.item.displayName?.toLowerCase() === name.toLowerCase()) || (!!address && c.item.displayName?.toLowerCase() === address.toLowerCase())));
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
