// CreateItem for messages: SaveOnly APPENDs into SavedItemFolderId (Drafts by
// default); SendOnly and SendAndSaveCopy hand the message to the MTA and, for the
// latter, keep the copy in Sent Items. A message the MTA does not take is kept
// in Drafts and the answer says so (items/send.ts): nothing is dropped silently.
import { NS, attr, child, elementChildren, textOf, x, type Element, xsBool } from '../../soap/xml.js';
import { EwsError, schemaViolation, storeUnavailable } from '../errors.js';
import { createDavItem, itemElementOf } from '../dav/items.js';
import { isMeetingAction, isMeetingResponse, meetingAction, respondToMeeting } from '../dav/meetings.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { loadTree, messagesChild, ownAddresses, parseSingleFolderId } from '../folders/request.js';
import { composeFromItem } from '../items/message-input.js';
import { appendMessage, appendTo, sendMessage } from '../items/send.js';
import { readMessage } from '../../convert/message-properties.js';
import { decodeItemId } from '../items/item-id.js';
import { encodeAttachmentId } from '../items/attachment-id.js';
import { buildResponse, isResponseObject } from '../items/response-objects.js';
import { parsePropertyPath } from '../properties/path.js';
import { applyExtendedFlag, flagChanges, type FlagEdit } from '../items/flag-updates.js';
import { categoryToKeyword } from '../items/keywords.js';

type Disposition = 'SaveOnly' | 'SendOnly' | 'SendAndSaveCopy';

export const CreateItem: Operation = {
  name: 'CreateItem',
  async handle(req, ctx) {
    const disposition = attr(req, 'MessageDisposition') as Disposition | undefined;
    if (disposition && !['SaveOnly', 'SendOnly', 'SendAndSaveCopy'].includes(disposition))
      throw schemaViolation(`MessageDisposition "${disposition}" is not valid.`);
    const items = elementChildren(
      messagesChild(req, 'Items') ??
        (() => {
          throw schemaViolation('Items is required.');
        })(),
    );
    const tree = await loadTree(ctx);
    const savedEl = messagesChild(req, 'SavedItemFolderId');
    const saved = savedEl ? tree.resolve(parseSingleFolderId(savedEl, 'SavedItemFolderId'), ownAddresses(ctx)) : undefined;
    const results = await eachItem(items, async (item) => {
      if (isMeetingResponse(item)) return respondToMeeting(ctx, tree, item, disposition);
      if (isMeetingAction(item)) return meetingAction(ctx, tree, item, disposition); // RemoveItem, CancelCalendarItem
      if (item.localName !== 'Message' && !isResponseObject(item)) {
        // Contacts, distribution lists (and, with CalDAV, calendar items and tasks) live in DAV folders.
        const target = saved ?? tree.distinguishedFolder(defaultFolderFor(item.localName ?? ''));
        if (!target) throw new EwsError('ErrorFolderNotFound', 'The specified folder could not be found in the store.');
        if (target.unavailable) throw storeUnavailable();
        if (!target.dav) throw new EwsError('ErrorObjectTypeChanged', `A ${item.localName} cannot be created in "${target.displayName}".`);
        return ok(x('m:Items', null, x(itemElementOf(target), null, await createDavItem(ctx, target, item))));
      }
      if (isResponseObject(item)) {
        if (!disposition) throw new EwsError('ErrorMessageDispositionRequired', 'MessageDisposition is required for this operation.');
        const built = await buildResponse(ctx, tree, item);
        let result;
        if (disposition === 'SaveOnly') {
          const id = await appendTo(ctx, saved ?? tree.distinguishedFolder('drafts')!, built.raw, ['\\Draft', '\\Seen']);
          result = ok(x('m:Items', null, x('t:Message', null, id)));
        } else {
          const copyTo = disposition === 'SendAndSaveCopy' ? (saved ?? tree.distinguishedFolder('sentitems')) : undefined;
          await sendMessage(ctx, tree, built.raw, { extraBcc: built.extraBcc, saveCopyTo: copyTo });
          await ctx.mailbox.mail.changeFlags(built.original.folder.mail!.path, [built.original.uid], { op: 'add', flags: [built.flag] });
          result = ok(x('m:Items', null));
        }
        return result;
      }
      if (!disposition) throw new EwsError('ErrorMessageDispositionRequired', 'MessageDisposition is required for this operation.');
      const mimeText = textOf(child(item, NS.types, 'MimeContent'))?.replace(/\s+/g, '');
      if (mimeText && (!/^[A-Za-z0-9+/]*={0,2}$/.test(mimeText) || mimeText.length % 4 !== 0)) {
        throw new EwsError('ErrorMimeContentConversionFailed', 'MimeContent is not valid base64.');
      }
      if (disposition !== 'SaveOnly') refuseAddresslessRecipients(item);
      const raw = mimeText ? Buffer.from(mimeText, 'base64') : await composeFromItem(item, ctx.user);
      if (raw.length === 0) throw new EwsError('ErrorInvalidPropertySet', 'MimeContent is empty.');
      const flags = flagsOf(item);
      const extraBcc = addressesOf(child(item, NS.types, 'BccRecipients'));
      if (disposition === 'SaveOnly') {
        const folder = saved ?? tree.distinguishedFolder('drafts')!;
        const draftFlags = flags.explicit ? flags.flags : folder.distinguishedId === 'drafts' ? ['\\Draft', ...flags.flags] : flags.flags;
        const stored = await appendMessage(ctx, folder, raw, draftFlags, flags.date);
        const idXml = stored ? x('t:ItemId', { Id: stored.id, ChangeKey: stored.changeKey }) : undefined;
        // Exchange names the attachments it created, so clients do not send them again.
        const attachmentsXml = stored && child(item, NS.types, 'Attachments') ? await attachmentIdsOf(raw, stored) : undefined;
        return ok(x('m:Items', null, x('t:Message', null, idXml, attachmentsXml)));
      }
      const copyTo = disposition === 'SendAndSaveCopy' ? (saved ?? tree.distinguishedFolder('sentitems')) : undefined;
      await sendMessage(ctx, tree, raw, { extraBcc, saveCopyTo: copyTo });
      return ok(x('m:Items', null));
    });
    return respond('CreateItem', results);
  },
};

async function attachmentIdsOf(raw: Buffer, stored: { id: string; changeKey: string }) {
  const ref = decodeItemId(stored.id)!;
  const parts = (await readMessage(raw, { smime: 'transparent' })).attachments;
  return x(
    't:Attachments',
    null,
    parts.map((p) =>
      x(p.isMessage ? 't:ItemAttachment' : 't:FileAttachment', null, x('t:AttachmentId', { Id: encodeAttachmentId(ref, p.id), RootItemId: stored.id, RootItemChangeKey: stored.changeKey }), x('t:Name', null, p.name)),
    ),
  );
}

/** Where Exchange puts an item of this type when the request names no folder. */
function defaultFolderFor(element: string): string {
  if (element === 'Contact' || element === 'DistributionList') return 'contacts';
  if (element === 'Task') return 'tasks';
  if (element === 'CalendarItem') return 'calendar';
  return 'drafts';
}

/**
 * IMAP flags (and the APPEND date) from IsRead, Flag, Categories and the MAPI properties
 * DavMail and Thunderbird send with an APPEND: PR_MESSAGE_FLAGS (3591 = 0x0E07), flag status,
 * last verb / icon index, Keywords, PidLidImapDeleted, PR_MESSAGE_DELIVERY_TIME (0x0E06).
 */
function flagsOf(item: Element): { flags: string[]; explicit: boolean; date?: Date } {
  const edit: FlagEdit = { add: [], remove: [] };
  let explicit = false;
  let date: Date | undefined;
  if (xsBool(textOf(child(item, NS.types, 'IsRead'))) === true) edit.add.push('\\Seen');
  for (const ep of elementChildren(item).filter((c) => c.localName === 'ExtendedProperty')) {
    const uri = child(ep, NS.types, 'ExtendedFieldURI');
    if (!uri) continue;
    const path = parsePropertyPath(uri);
    if (path.kind !== 'extended') continue;
    const values = child(ep, NS.types, 'Values') ? elementChildren(child(ep, NS.types, 'Values')!).map((v) => (v.textContent ?? '').trim()) : [(textOf(child(ep, NS.types, 'Value')) ?? '').trim()];
    if (path.tag === 0x0e06) {
      const d = new Date(values[0]);
      if (!Number.isNaN(d.getTime())) date = d;
      continue;
    }
    if (path.tag === 0x0e07) {
      explicit = true;
      const n = Number(values[0]);
      if (n & 0x8) edit.add.push('\\Draft');
    }
    applyExtendedFlag(edit, path, values);
  }
  if (textOf(child(child(item, NS.types, 'Flag'), NS.types, 'FlagStatus'))?.trim() === 'Flagged') edit.add.push('\\Flagged');
  const categories = elementChildren(child(item, NS.types, 'Categories') ?? item).filter((c) => c.localName === 'String').map((s) => (s.textContent ?? '').trim()).filter(Boolean);
  if (categories.length) edit.setCategories = [...(edit.setCategories ?? []), ...categories.map(categoryToKeyword)];
  const { add } = flagChanges(edit, new Set());
  return { flags: add, explicit, date };
}

/** A message is not sent to a recipient that has only a name (Exchange would have to resolve it). */
function refuseAddresslessRecipients(item: Element): void {
  for (const list of ['ToRecipients', 'CcRecipients', 'BccRecipients']) {
    for (const m of elementChildren(child(item, NS.types, list) ?? item).filter((c) => c.localName === 'Mailbox')) {
      if (!textOf(child(m, NS.types, 'EmailAddress'))?.trim()) {
        const name = textOf(child(m, NS.types, 'Name'))?.trim();
        throw new EwsError('ErrorInvalidRecipients', `The recipient ${name ? `"${name}" ` : ''}has no e-mail address.`);
      }
    }
  }
}

function addressesOf(list: Element | undefined): string[] {
  if (!list) return [];
  return elementChildren(list)
    .map((m) => textOf(child(m, NS.types, 'EmailAddress'))?.trim())
    .filter((a): a is string => !!a);
}
