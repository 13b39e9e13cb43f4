// DeleteAttachment: the message is rebuilt without that part, stored, and the
// old copy removed; the answer carries the message's new id (RootItemId).
import { x } from '../../soap/xml.js';
import { composeMessage } from '../../convert/compose.js';
import { readMessage } from '../../convert/message-properties.js';
import { EwsError, invalidIdMalformed } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { loadTree, messagesChild } from '../folders/request.js';
import { decodeAttachmentId } from '../items/attachment-id.js';
import { composeInputOf, withStableId } from '../items/message-edit.js';
import { STABLE_ID_HEADER, itemNotFound, parseItemIds } from '../items/request.js';
import { encodeItemId } from '../items/item-id.js';
import { appendMessage } from '../items/send.js';
import { decodeContactPhotoId, deleteContactPhoto } from '../dav/contact-items.js';

export const DeleteAttachment: Operation = {
  name: 'DeleteAttachment',
  async handle(req, ctx) {
    const ids = parseItemIds(messagesChild(req, 'AttachmentIds'), 'AttachmentIds');
    const results = await eachItem(ids, async ({ id }) => {
      if (decodeContactPhotoId(id)) {
        const root = await deleteContactPhoto(ctx, await loadTree(ctx), id);
        if (!root) throw new EwsError('ErrorInvalidAttachmentId', 'The attachment could not be found.');
        return ok(root);
      }
      const tree = await loadTree(ctx, { dav: false });
      const ref = decodeAttachmentId(id);
      if (!ref) throw invalidIdMalformed();
      const folder = tree.find(ref.item.folder);
      if (!folder?.mail) throw itemNotFound();
      const { messages } = await ctx.mailbox.mail.fetchMessages(folder.mail.path, [ref.item.uid], { source: true, flags: true });
      const current = messages[0];
      if (!current?.source) throw itemNotFound();
      const parsed = await readMessage(current.source, { smime: 'transparent' });
      const target = parsed.attachments.find((a) => a.id === ref.part);
      if (!target) throw new EwsError('ErrorInvalidAttachmentId', 'The attachment could not be found.');
      parsed.attachments = parsed.attachments.filter((a) => a !== target);
      const known = parsed.internetMessageHeaders.find((h) => h.name.toLowerCase() === STABLE_ID_HEADER.toLowerCase())?.value;
      const clientId = known ?? encodeItemId(ref.item);
      const raw = await composeMessage(withStableId(composeInputOf(parsed), clientId));
      const newId = await appendMessage(
        ctx,
        folder,
        raw,
        [...current.flags].filter((f) => f !== '\\Recent'),
      );
      await ctx.mailbox.mail.deleteMessages(folder.mail.path, [ref.item.uid]);
      return ok(newId ? x('m:RootItemId', { RootItemId: clientId, RootItemChangeKey: newId.changeKey }) : undefined);
    });
    return respond('DeleteAttachment', results);
  },
};
