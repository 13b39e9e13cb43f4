// Sending a message, shared by CreateItem, UpdateItem (Outlook for Mac sends
// drafts that way) and SendItem: hand it to the MTA, keep the Sent copy where
// asked, and never lose it: when the MTA does not take it, it stays in (or goes
// to) Drafts and the answer says so.
import { x, type Xml } from '../../soap/xml.js';
import { SubmissionError } from '../../ports/submission.js';
import { EwsError } from '../errors.js';
import type { RequestContext } from '../operation.js';
import type { EwsFolder, FolderTree } from '../folders/tree.js';
import { changeKeyOf, encodeItemId } from './item-id.js';
import { prepareOutgoing } from './outgoing.js';

/** APPENDs a message; answers its new id where the backend tells (UIDPLUS). */
export async function appendMessage(ctx: RequestContext, folder: EwsFolder, raw: Buffer, flags: string[], date?: Date): Promise<{ id: string; changeKey: string } | undefined> {
  if (!folder.mail?.selectable) throw new EwsError('ErrorInvalidOperation', `Messages cannot be saved in "${folder.displayName}".`);
  const res = await ctx.mailbox.mail.appendMessage(folder.mail.path, raw, flags, date);
  if (!res.uid || !res.uidValidity) return undefined;
  const ref = folder.ref.kind === 'mail' ? folder.ref : { kind: 'mail' as const, path: folder.mail.path };
  // The ChangeKey must be the one GetItem will give (NeverOverwrite right after a save must work).
  const { messages } = await ctx.mailbox.mail.fetchMessages(folder.mail.path, [res.uid], { flags: true });
  return { id: encodeItemId({ folder: ref, uidValidity: res.uidValidity, uid: res.uid }), changeKey: changeKeyOf(messages[0]?.modseq, res.uid) };
}

/** APPENDs a message and answers its t:ItemId element. */
export async function appendTo(ctx: RequestContext, folder: EwsFolder, raw: Buffer, flags: string[], date?: Date): Promise<Xml | undefined> {
  const id = await appendMessage(ctx, folder, raw, flags, date);
  return id ? x('t:ItemId', { Id: id.id, ChangeKey: id.changeKey }) : undefined;
}

export interface SendOptions {
  /** Bcc recipients given as properties only (not in the MIME). */
  extraBcc: string[];
  /** Where the Sent copy goes; undefined for SendOnly. */
  saveCopyTo?: EwsFolder;
  /** The stored draft this message came from, removed once sent. */
  draft?: { folder: EwsFolder; uid: number };
}

export async function sendMessage(ctx: RequestContext, tree: FolderTree, raw: Buffer, opts: SendOptions): Promise<void> {
  const out = prepareOutgoing(raw, { extraBcc: opts.extraBcc, domain: ctx.user.email.split('@')[1] ?? 'localhost' });
  if (!out.recipients.length) throw new EwsError('ErrorInvalidRecipients', 'At least one recipient is required.');
  try {
    await ctx.mailbox.submission.send({ from: out.from ?? ctx.user.email, to: out.recipients, raw: out.wire });
  } catch (e) {
    if (!(e instanceof SubmissionError)) throw e;
    const drafts = tree.distinguishedFolder('drafts');
    if (!opts.draft && drafts?.mail) await appendTo(ctx, drafts, out.stored, ['\\Draft']);
    throw new EwsError('ErrorMessageSubmissionBlocked', `${e.message} The message was not sent; it is kept in Drafts.`);
  }
  if (opts.saveCopyTo) await appendTo(ctx, opts.saveCopyTo, out.stored, ['\\Seen']);
  if (opts.draft?.folder.mail) await ctx.mailbox.mail.deleteMessages(opts.draft.folder.mail.path, [opts.draft.uid]);
}
