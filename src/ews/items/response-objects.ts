// ReplyToItem / ReplyAllToItem / ForwardItem inside CreateItem: the new message
// is built from the referenced one (recipients, RE:/FW: subject, threading
// headers, the original quoted below NewBodyContent, attachments when
// forwarding). Outlook for Mac nests a whole t:Message beside ReferenceItemId;
// the flat schema shape puts the same fields directly in the element: both are read.
import { NS, attr, child, elementChildren, textOf, type Element } from '../../soap/xml.js';
import { composeMessage, type ComposeInput } from '../../convert/compose.js';
import { escapeHtml, htmlToText, textToHtml } from '../../convert/body.js';
import { readMessage, type MailAddress, type ParsedMessage } from '../../convert/message-properties.js';
import { schemaViolation } from '../errors.js';
import type { RequestContext } from '../operation.js';
import type { EwsFolder, FolderTree } from '../folders/tree.js';
import { messageInputOf } from './message-input.js';
import { itemNotFound, resolveItem } from './request.js';

export const RESPONSE_OBJECTS = ['ReplyToItem', 'ReplyAllToItem', 'ForwardItem'] as const;
export type ResponseObjectKind = (typeof RESPONSE_OBJECTS)[number];

export function isResponseObject(el: Element): boolean {
  return (RESPONSE_OBJECTS as readonly string[]).includes(el.localName ?? '');
}

export interface BuiltResponse {
  raw: Buffer;
  /** The referenced message, to mark \Answered or $Forwarded once sent or saved. */
  original: { folder: EwsFolder; uid: number };
  flag: '\\Answered' | '$Forwarded';
  extraBcc: string[];
}

function prefixed(prefix: string, subject: string): string {
  return new RegExp(`^\\s*${prefix}\\s*:`, 'i').test(subject) ? subject : `${prefix}: ${subject}`;
}

function sameAddress(a: MailAddress, b: string): boolean {
  return a.address.toLowerCase() === b.toLowerCase();
}

function headerLines(o: ParsedMessage): [string, string][] {
  const list = (l: MailAddress[]) => l.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)).join('; ');
  const lines: [string, string][] = [
    ['From', list(o.from)],
    ['Sent', o.dateSent?.toUTCString() ?? ''],
    ['To', list(o.to)],
  ];
  if (o.cc.length) lines.push(['Cc', list(o.cc)]);
  lines.push(['Subject', o.subject ?? '']);
  return lines;
}

function quoted(newBody: { type: 'HTML' | 'Text'; content: string }, o: ParsedMessage): { type: 'HTML' | 'Text'; content: string } {
  const lines = headerLines(o);
  if (newBody.type === 'HTML' || o.htmlBody !== undefined) {
    const top = newBody.type === 'HTML' ? newBody.content : textToHtml(newBody.content);
    const original = o.htmlBody ?? textToHtml(o.textBody ?? '');
    const head = lines.map(([k, v]) => `<b>${k}:</b> ${escapeHtml(v)}`).join('<br>');
    return { type: 'HTML', content: `${top}<hr><div>${head}</div><br>${original}` };
  }
  const original = o.textBody ?? (o.htmlBody ? htmlToText(o.htmlBody) : '');
  return { type: 'Text', content: `${newBody.content}\r\n\r\n-----Original Message-----\r\n${lines.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${original}` };
}

export async function buildResponse(ctx: RequestContext, tree: FolderTree, el: Element): Promise<BuiltResponse> {
  const kind = el.localName as ResponseObjectKind;
  const refEl = child(el, NS.types, 'ReferenceItemId');
  const refId = attr(refEl, 'Id');
  if (!refId) throw schemaViolation(`${kind} needs a ReferenceItemId.`);
  const { ref, folder } = resolveItem(tree, { id: refId });
  const { messages } = await ctx.mailbox.mail.fetchMessages(folder.mail!.path, [ref.uid], { source: true });
  const source = messages[0]?.source;
  if (!source) throw itemNotFound();
  const original = await readMessage(source, { smime: 'transparent' });
  // Fields the client gave: directly in the element, or in a nested t:Message (Outlook for Mac).
  const given = child(el, NS.types, 'Message') ?? el;
  const has = (name: string) => !!child(given, NS.types, name);
  const input = messageInputOf(given, ctx.user);
  const me = [ctx.user.email, ctx.user.login];
  const notMe = (l: MailAddress[]) => l.filter((a) => !me.some((m) => sameAddress(a, m)));
  const out: ComposeInput = {
    ...input,
    subject: has('Subject') ? input.subject : prefixed(kind === 'ForwardItem' ? 'FW' : 'RE', original.subject ?? ''),
    inReplyTo: original.messageId,
    references: [original.references, original.messageId].filter(Boolean).join(' ') || undefined,
    attachments: kind === 'ForwardItem' ? [...original.attachments.filter((a) => !a.isMessage).map((a) => ({ name: a.name, contentType: a.contentType, content: a.content, contentId: a.contentId, isInline: a.isInline })), ...input.attachments] : input.attachments,
    itemAttachments: kind === 'ForwardItem' ? [...original.attachments.filter((a) => a.isMessage).map((a) => ({ raw: a.content })), ...input.itemAttachments] : input.itemAttachments,
  };
  if (kind !== 'ForwardItem' && !has('ToRecipients')) {
    const replyTo = original.replyTo.length ? original.replyTo : original.from;
    out.to = kind === 'ReplyAllToItem' ? [...replyTo, ...notMe(original.to).filter((a) => !replyTo.some((r) => sameAddress(r, a.address)))] : replyTo;
    if (kind === 'ReplyAllToItem' && !has('CcRecipients')) out.cc = notMe(original.cc);
  }
  const newBodyEl = child(el, NS.types, 'NewBodyContent') ?? child(given, NS.types, 'NewBodyContent');
  const newBody = newBodyEl
    ? { type: attr(newBodyEl, 'BodyType') === 'HTML' ? ('HTML' as const) : ('Text' as const), content: textOf(newBodyEl) ?? '' }
    : has('Body')
      ? input.body
      : { type: 'Text' as const, content: '' };
  out.body = quoted(newBody, original);
  const extraBcc = elementChildren(child(given, NS.types, 'BccRecipients') ?? given)
    .filter((m) => m.localName === 'Mailbox')
    .map((m) => textOf(child(m, NS.types, 'EmailAddress'))?.trim() ?? '')
    .filter(Boolean);
  return { raw: await composeMessage(out), original: { folder, uid: ref.uid }, flag: kind === 'ForwardItem' ? '$Forwarded' : '\\Answered', extraBcc };
}
