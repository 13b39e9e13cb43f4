// CreateAttachment: the message is rebuilt with the new attachments (IMAP
// messages are immutable), stored, and the old copy removed; the answer names
// each new attachment and the message's new id.
import { NS, attr, elementChildren, x } from '../../soap/xml.js';
import { composeMessage } from '../../convert/compose.js';
import { readMessage } from '../../convert/message-properties.js';
import { EwsError, schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { setContactPhotoAttachment } from '../dav/contact-items.js';
import { decodeDavItemId } from '../items/dav-item-id.js';
import { loadTree, messagesChild } from '../folders/request.js';
import { encodeAttachmentId } from '../items/attachment-id.js';
import { decodeItemId } from '../items/item-id.js';
import { composeInputOf, withStableId } from '../items/message-edit.js';
import { completeInput, messageInputOf } from '../items/message-input.js';
import { currentUid, itemNotFound, resolveItem } from '../items/request.js';
import { appendMessage } from '../items/send.js';

export const CreateAttachment: Operation = {
  name: 'CreateAttachment',
  async handle(req, ctx) {
    const parentId = attr(messagesChild(req, 'ParentItemId'), 'Id');
    if (!parentId) throw schemaViolation('ParentItemId is required.');
    const list = messagesChild(req, 'Attachments');
    const adds = elementChildren(
      list ??
        (() => {
          throw schemaViolation('Attachments is required.');
        })(),
    );
    if (decodeDavItemId(parentId)?.store === 'contacts') {
      // On a contact, the one attachment there is: its picture (stored as the vCard's PHOTO).
      const tree = await loadTree(ctx);
      return respond('CreateAttachment', await eachItem(adds, async (el) => ok(x('m:Attachments', null, await setContactPhotoAttachment(ctx, tree, parentId, el)))));
    }
    const tree = await loadTree(ctx, { dav: false });
    try {
      const resolved = resolveItem(tree, { id: parentId });
      const folder = resolved.folder;
      const uid = await currentUid(ctx, folder, resolved.ref, parentId);
      if (uid === undefined) throw itemNotFound();
      const ref = { ...resolved.ref, uid };
      const { messages } = await ctx.mailbox.mail.fetchMessages(folder.mail!.path, [ref.uid], { source: true, flags: true });
      const current = messages[0];
      if (!current?.source) throw itemNotFound();
      const input = withStableId(composeInputOf(await readMessage(current.source, { smime: 'transparent' })), parentId);
      // The new attachments, read with the same code that reads CreateItem's.
      const added = await completeInput(messageInputOf(wrapForInput(adds), ctx.user), ctx.user);
      const oldFiles = input.attachments.length;
      const oldItems = input.itemAttachments.length;
      input.attachments.push(...added.attachments);
      input.itemAttachments.push(...added.itemAttachments);
      const raw = await composeMessage(input);
      const newId = await appendMessage(
        ctx,
        folder,
        raw,
        [...current.flags].filter((f) => f !== '\\Recent'),
      );
      if (!newId) throw new EwsError('ErrorInternalServerError', 'The mail store did not report the rebuilt message.');
      await ctx.mailbox.mail.deleteMessages(folder.mail!.path, [ref.uid]);
      const newRef = decodeItemId(newId.id)!;
      const parts = (await readMessage(raw, { smime: 'transparent' })).attachments;
      // Composed order: file attachments first, then item attachments; the new ones follow the old ones.
      const files = parts.filter((p) => !p.isMessage);
      const itemsParts = parts.filter((p) => p.isMessage);
      let fi = oldFiles;
      let ii = oldItems;
      const results = adds.map((a) => {
        const part = a.localName === 'ItemAttachment' ? itemsParts[ii++] : files[fi++];
        return ok(
          x(
            'm:Attachments',
            null,
            x(
              a.localName === 'ItemAttachment' ? 't:ItemAttachment' : 't:FileAttachment',
              null,
              x('t:AttachmentId', { Id: encodeAttachmentId(newRef, part?.id ?? ''), RootItemId: parentId, RootItemChangeKey: newId.changeKey }),
            ),
          ),
        );
      });
      return respond('CreateAttachment', results);
    } catch (e) {
      if (e instanceof EwsError)
        return respond(
          'CreateAttachment',
          adds.map(() => e),
        );
      throw e;
    }
  },
};

/** A t:Message holding just these attachment elements, for messageInputOf. */
function wrapForInput(adds: ReturnType<typeof elementChildren>) {
  const doc = adds[0].ownerDocument!;
  const message = doc.createElementNS(NS.types, 't:Message');
  const list = doc.createElementNS(NS.types, 't:Attachments');
  for (const a of adds) list.appendChild(a.cloneNode(true));
  message.appendChild(list);
  return message;
}
