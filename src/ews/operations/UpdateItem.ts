// UpdateItem on mail: flag-only changes are IMAP STORE; a stale ChangeKey with
// NeverOverwrite answers ErrorIrresolvableConflict, as Exchange does.
import { NS, attr, child, elementChildren, x } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { loadTree, messagesChild } from '../folders/request.js';
import { applyFlagUpdate, flagChanges, type FlagEdit } from '../items/flag-updates.js';
import { changeKeyOf } from '../items/item-id.js';
import { itemNotFound, resolveItem } from '../items/request.js';
import { parsePropertyPath } from '../properties/path.js';

export const UpdateItem: Operation = {
  name: 'UpdateItem',
  async handle(req, ctx) {
    const conflict = attr(req, 'ConflictResolution') ?? 'AutoResolve';
    if (!['NeverOverwrite', 'AutoResolve', 'AlwaysOverwrite'].includes(conflict)) throw schemaViolation(`ConflictResolution "${conflict}" is not valid.`);
    const changes = elementChildren(messagesChild(req, 'ItemChanges') ?? (() => { throw schemaViolation('ItemChanges is required.'); })());
    const store = ctx.mailbox.mail;
    const tree = await loadTree(ctx);
    const results = await eachItem(changes, async (change) => {
      const idEl = child(change, NS.types, 'ItemId');
      const id = attr(idEl, 'Id');
      if (!id) throw schemaViolation('ItemChange needs an ItemId.');
      const { ref, folder } = resolveItem(tree, { id, changeKey: attr(idEl, 'ChangeKey') });
      const edit: FlagEdit = { add: [], remove: [] };
      for (const update of elementChildren(child(change, NS.types, 'Updates') ?? (() => { throw schemaViolation('ItemChange needs Updates.'); })())) {
        const pathEl = elementChildren(update)[0];
        if (!pathEl) throw schemaViolation(`${update.localName} needs a property path.`);
        if (!applyFlagUpdate(edit, update.localName ?? '', parsePropertyPath(pathEl), update)) {
          throw new EwsError('ErrorInvalidPropertySet', 'Only read state, flags, categories and verbs can be changed on a stored message here.');
        }
      }
      const path = folder.mail!.path;
      const { messages } = await store.fetchMessages(path, [ref.uid], { flags: true });
      const current = messages[0];
      if (!current) throw itemNotFound();
      const sentKey = attr(idEl, 'ChangeKey');
      if (conflict === 'NeverOverwrite' && sentKey && sentKey !== changeKeyOf(current.modseq, current.uid)) {
        throw new EwsError('ErrorIrresolvableConflict', 'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.');
      }
      const { add, remove } = flagChanges(edit, current.flags);
      if (add.length) await store.changeFlags(path, [ref.uid], { op: 'add', flags: add });
      if (remove.length) await store.changeFlags(path, [ref.uid], { op: 'remove', flags: remove });
      const after = add.length || remove.length ? (await store.fetchMessages(path, [ref.uid], { flags: true })).messages[0] ?? current : current;
      return ok(
        x('m:Items', null, x('t:Message', null, x('t:ItemId', { Id: id, ChangeKey: changeKeyOf(after.modseq, after.uid) }))),
        x('m:ConflictResults', null, x('t:Count', null, '0')),
      );
    });
    return respond('UpdateItem', results);
  },
};
