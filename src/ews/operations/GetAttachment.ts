// GetAttachment: one FETCH of BODYSTRUCTURE and just that section.
import { NS, base64Bytes, child, textOf, x, xsBool } from '../../soap/xml.js';
import { EwsError, invalidIdMalformed, schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { decodeContactPhotoId, getContactPhoto } from '../dav/contact-items.js';
import { loadTree, messagesChild } from '../folders/request.js';
import { decodeAttachmentId } from '../items/attachment-id.js';
import { readMessage } from '../../convert/message-properties.js';
import { bestBody } from '../../convert/body.js';
import { itemNotFound, parseItemIds } from '../items/request.js';
import { attachments, decodeTransfer } from '../items/structure.js';

const attachmentNotFound = () => new EwsError('ErrorInvalidAttachmentId', 'The attachment could not be found.');

export const GetAttachment: Operation = {
  name: 'GetAttachment',
  async handle(req, ctx) {
    const shapeEl = messagesChild(req, 'AttachmentShape');
    const includeMime = xsBool(textOf(child(shapeEl, NS.types, 'IncludeMimeContent'))) === true;
    const idsEl = messagesChild(req, 'AttachmentIds');
    if (!idsEl) throw schemaViolation('AttachmentIds is required.');
    const ids = parseItemIds(idsEl, 'AttachmentIds');
    const tree = await loadTree(ctx, { dav: ids.some((i) => decodeContactPhotoId(i.id)) });
    const results = await eachItem(ids, async ({ id }) => {
      // A contact's picture (ContactPicture.jpg) lives in its vCard.
      if (decodeContactPhotoId(id)) {
        const photo = await getContactPhoto(ctx, tree, id);
        if (!photo) throw attachmentNotFound();
        return ok(x('m:Attachments', null, photo));
      }
      const ref = decodeAttachmentId(id);
      if (!ref) throw invalidIdMalformed();
      const folder = tree.find(ref.item.folder);
      if (!folder?.mail) throw itemNotFound();
      const { state, messages } = await ctx.mailbox.mail.fetchMessages(folder.mail.path, [ref.item.uid], { structure: true, parts: [ref.part] });
      const msg = messages[0];
      if (!msg || state.uidValidity !== ref.item.uidValidity || !msg.structure) throw itemNotFound();
      const info = attachments(msg.structure).find((a) => a.part.part === ref.part);
      const raw = msg.parts?.get(ref.part);
      if (!info || !raw) throw attachmentNotFound();
      const content = decodeTransfer(raw, info.part.encoding);
      if (info.isItem) {
        const inner = await readMessage(content, { smime: 'transparent' });
        const body = bestBody(inner, 'Best');
        const mailbox = (a: { name?: string; address: string }) => x('t:Mailbox', null, x('t:Name', null, a.name ?? a.address), x('t:EmailAddress', null, a.address), x('t:RoutingType', null, 'SMTP'));
        return ok(
          x(
            'm:Attachments',
            null,
            x(
              't:ItemAttachment',
              null,
              x('t:AttachmentId', { Id: id }),
              x('t:Name', null, info.name),
              x('t:ContentType', null, info.contentType),
              x('t:Size', null, String(content.length)),
              x('t:IsInline', null, String(info.isInline)),
              x(
                't:Message',
                null,
                includeMime ? x('t:MimeContent', { CharacterSet: 'UTF-8' }, base64Bytes(content)) : undefined,
                x('t:ItemClass', null, inner.itemClass),
                x('t:Subject', null, inner.subject ?? ''),
                x('t:Body', { BodyType: body.type, IsTruncated: 'false' }, body.content),
                x('t:HasAttachments', null, String(inner.hasAttachments)),
                inner.dateSent ? x('t:DateTimeSent', null, inner.dateSent.toISOString().replace(/\.\d{3}Z$/, 'Z')) : undefined,
                inner.to.length ? x('t:ToRecipients', null, inner.to.map(mailbox)) : undefined,
                inner.from[0] ? x('t:From', null, mailbox(inner.from[0])) : undefined,
                inner.messageId ? x('t:InternetMessageId', null, inner.messageId) : undefined,
              ),
            ),
          ),
        );
      }
      return ok(
        x(
          'm:Attachments',
          null,
          x(
            't:FileAttachment',
            null,
            x('t:AttachmentId', { Id: id }),
            x('t:Name', null, info.name),
            x('t:ContentType', null, info.contentType),
            info.contentId ? x('t:ContentId', null, info.contentId) : undefined,
            x('t:Size', null, String(content.length)),
            x('t:IsInline', null, String(info.isInline)),
            x('t:IsContactPhoto', null, 'false'),
            x('t:Content', null, base64Bytes(content)),
          ),
        ),
      );
    });
    return respond('GetAttachment', results);
  },
};
