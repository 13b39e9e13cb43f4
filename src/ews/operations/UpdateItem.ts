// UpdateItem on mail. Flag-only changes are IMAP STORE; content changes rebuild
// the MIME, APPEND it and remove the old copy, answering the new ItemId; with
// SendOnly / SendAndSaveCopy the result is sent (how Outlook for Mac sends
// drafts). A stale ChangeKey with NeverOverwrite answers ErrorIrresolvableConflict.
import { NS, attr, child, elementChildren, x, type Element, type Xml } from '../../soap/xml.js';
import { composeMessage } from '../../convert/compose.js';
import { readMessage } from '../../convert/message-properties.js';
import { EwsError, schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { loadTree, messagesChild, ownAddresses, parseSingleFolderId } from '../folders/request.js';
import { applyFlagUpdate, flagChanges, type FlagEdit } from '../items/flag-updates.js';
import { changeKeyOf } from '../items/item-id.js';
import { applyContentUpdate, composeInputOf, withStableId } from '../items/message-edit.js';
import { currentUid, itemIdInputOf, itemInputsNeedDav, itemNotFound, resolveItem } from '../items/request.js';
import { appendMessage, sendMessage } from '../items/send.js';
import { parsePropertyPath } from '../properties/path.js';
import { resolveDavItem } from '../dav/resolve.js';
import { itemElementOf, updateDavItem } from '../dav/items.js';

export const UpdateItem: Operation = {
  name: 'UpdateItem',
  async handle(req, ctx) {
    const conflict = attr(req, 'ConflictResolution') ?? 'AutoResolve';
    if (!['NeverOverwrite', 'AutoResolve', 'AlwaysOverwrite'].includes(conflict)) throw schemaViolation(`ConflictResolution "${conflict}" is not valid.`);
    const disposition = attr(req, 'MessageDisposition') ?? 'SaveOnly';
    if (!['SaveOnly', 'SendOnly', 'SendAndSaveCopy'].includes(disposition)) throw schemaViolation(`MessageDisposition "${disposition}" is not valid.`);
    const changes = elementChildren(
      messagesChild(req, 'ItemChanges') ??
        (() => {
          throw schemaViolation('ItemChanges is required.');
        })(),
    );
    const store = ctx.mailbox.mail;
    // ItemId, or OccurrenceItemId / RecurringMasterItemId of a calendar item (as an id, see itemIdInputOf)
    const idOf = (c: Element) => {
      const el = elementChildren(c).find((e) => ['ItemId', 'OccurrenceItemId', 'RecurringMasterItemId'].includes(e.localName ?? ''));
      return el ? itemIdInputOf(el) : undefined;
    };
    const tree = await loadTree(ctx, { dav: changes.some((c) => itemInputsNeedDav([{ id: idOf(c)?.id ?? '' }])) });
    const savedEl = messagesChild(req, 'SavedItemFolderId');
    const saved = savedEl ? tree.resolve(parseSingleFolderId(savedEl, 'SavedItemFolderId'), ownAddresses(ctx)) : undefined;
    const results = await eachItem(changes, async (change) => {
      const idIn = idOf(change);
      const id = idIn?.id;
      if (!id) throw schemaViolation('ItemChange needs an ItemId.');
      const dav = resolveDavItem(tree, id);
      if (dav) {
        const updates = elementChildren(child(change, NS.types, 'Updates') ?? (() => { throw schemaViolation('ItemChange needs Updates.'); })());
        const newId = await updateDavItem(ctx, dav.folder, dav.ref, updates, { changeKey: idIn?.changeKey, conflict });
        return ok(x('m:Items', null, x(itemElementOf(dav.folder), null, newId)), x('m:ConflictResults', null, x('t:Count', null, '0')));
      }
      const resolved = resolveItem(tree, { id, changeKey: idIn?.changeKey });
      const folder = resolved.folder;
      const uid = await currentUid(ctx, folder, resolved.ref, id);
      if (uid === undefined) throw itemNotFound();
      const ref = { ...resolved.ref, uid };
      const path = folder.mail!.path;
      const updates = elementChildren(
        child(change, NS.types, 'Updates') ??
          (() => {
            throw schemaViolation('ItemChange needs Updates.');
          })(),
      );
      const edit: FlagEdit = { add: [], remove: [] };
      const contentUpdates: { kind: string; path: ReturnType<typeof parsePropertyPath>; el: (typeof updates)[number] }[] = [];
      for (const update of updates) {
        const pathEl = elementChildren(update)[0];
        if (!pathEl) throw schemaViolation(`${update.localName} needs a property path.`);
        const prop = parsePropertyPath(pathEl);
        if (!applyFlagUpdate(edit, update.localName ?? '', prop, update)) contentUpdates.push({ kind: update.localName ?? '', path: prop, el: update });
      }
      const needSource = contentUpdates.length > 0 || disposition !== 'SaveOnly';
      const { messages } = await store.fetchMessages(path, [ref.uid], { flags: true, source: needSource });
      const current = messages[0];
      if (!current) throw itemNotFound();
      const sentKey = idIn?.changeKey;
      if (conflict === 'NeverOverwrite' && sentKey && sentKey !== changeKeyOf(current.modseq, current.uid)) {
        throw new EwsError(
          'ErrorIrresolvableConflict',
          'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
        );
      }
      const { add, remove } = flagChanges(edit, current.flags);
      let raw = current.source;
      let itemId: Xml | undefined;
      if (contentUpdates.length) {
        const input = withStableId(composeInputOf(await readMessage(current.source!, { smime: 'transparent' })), id);
        for (const u of contentUpdates) {
          if (!applyContentUpdate(input, u.kind, u.path, u.el, ctx.user)) {
            throw new EwsError(
              'ErrorInvalidPropertySet',
              `${u.path.kind === 'field' ? u.path.uri : 'This property'} cannot be changed on a stored message here.`,
            );
          }
        }
        raw = await composeMessage(input);
        if (disposition === 'SaveOnly') {
          const flags = [...new Set([...current.flags, ...add])].filter((f) => !remove.includes(f) && f !== '\\Recent');
          const stored = await appendMessage(ctx, folder, raw, flags);
          await store.deleteMessages(path, [ref.uid]);
          // The client keeps its id; the ChangeKey is the new copy's.
          itemId = x('t:ItemId', { Id: id, ChangeKey: stored?.changeKey ?? 'CQAAAA==' });
        }
      } else {
        if (add.length) await store.changeFlags(path, [ref.uid], { op: 'add', flags: add });
        if (remove.length) await store.changeFlags(path, [ref.uid], { op: 'remove', flags: remove });
        if (disposition === 'SaveOnly') {
          const after = add.length || remove.length ? ((await store.fetchMessages(path, [ref.uid], { flags: true })).messages[0] ?? current) : current;
          itemId = x('t:ItemId', { Id: id, ChangeKey: changeKeyOf(after.modseq, after.uid) });
        }
      }
      if (disposition !== 'SaveOnly') {
        const copyTo = disposition === 'SendAndSaveCopy' ? (saved ?? tree.distinguishedFolder('sentitems')) : undefined;
        await sendMessage(ctx, tree, raw!, { extraBcc: [], saveCopyTo: copyTo, draft: { folder, uid: ref.uid } });
        return ok(x('m:Items', null), x('m:ConflictResults', null, x('t:Count', null, '0')));
      }
      return ok(x('m:Items', null, itemId ? x('t:Message', null, itemId) : undefined), x('m:ConflictResults', null, x('t:Count', null, '0')));
    });
    return respond('UpdateItem', results);
  },
};
