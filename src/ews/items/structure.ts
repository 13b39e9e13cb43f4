// What BODYSTRUCTURE tells without fetching content: which section holds the
// body in each form, which parts are attachments, and how to decode one part.
import iconv from 'iconv-lite';
import libqp from 'libqp';
import { decodeCharset as decodeKnownCharset } from '../../convert/mime-headers.js';
import type { MimePart } from '../../ports/mail-store.js';
import { itipPart } from './meeting-message.js';

/** Parts that a reader shows as the message body, best first per type. */
export function bodySections(root: MimePart): { text?: MimePart; html?: MimePart } {
  const out: { text?: MimePart; html?: MimePart } = {};
  const visit = (p: MimePart, inAlternative: boolean) => {
    if (p.type.startsWith('multipart/')) {
      const children = p.type === 'multipart/alternative' ? [...p.children] : p.children.slice(0, p.type === 'multipart/mixed' ? 1 : p.children.length);
      for (const c of children) visit(c, inAlternative || p.type === 'multipart/alternative');
      return;
    }
    if (isAttachment(p) && !inAlternative) return;
    if (p.type === 'text/plain' && !out.text) out.text = p;
    else if (p.type === 'text/html' && !out.html) out.html = p;
  };
  visit(root, false);
  return out;
}

export function isAttachment(p: MimePart): boolean {
  if (p.type.startsWith('multipart/')) return false;
  if (p.disposition === 'attachment') return true;
  if (p.type === 'message/rfc822') return true;
  if (p.disposition === 'inline' && (p.dispositionParameters.filename || p.parameters.name) && !p.type.startsWith('text/')) return true;
  return !p.type.startsWith('text/') && p.part !== '';
}

export interface AttachmentInfo {
  part: MimePart;
  name: string;
  contentType: string;
  size: number;
  contentId?: string;
  isInline: boolean;
  isItem: boolean;
}

/** Every attachment in document order, skipping the parts that form the body. */
export function attachments(root: MimePart): AttachmentInfo[] {
  const body = bodySections(root);
  // a meeting message's invitation attached once more (nodemailer, Gmail) is the meeting, not an attachment
  const meeting = !!itipPart(root);
  const out: AttachmentInfo[] = [];
  const visit = (p: MimePart) => {
    if (p.type === 'message/rfc822' && p !== root) {
      out.push(info(p));
      return; // what is inside an attached message belongs to it
    }
    if (p.type.startsWith('multipart/')) {
      for (const c of p.children) visit(c);
      return;
    }
    if (p === body.text || p === body.html) return;
    if (meeting && (p.type === 'application/ics' || p.type === 'text/calendar')) return;
    if (p.type === 'application/pkcs7-signature' || p.type === 'application/x-pkcs7-signature') {
      out.push(info(p));
      return;
    }
    if (isAttachment(p) || (p.type.startsWith('text/') && p.disposition === 'attachment')) out.push(info(p));
  };
  visit(root);
  return out;
}

function info(p: MimePart): AttachmentInfo {
  const name = p.dispositionParameters.filename || p.parameters.name || (p.type === 'message/rfc822' ? 'message.eml' : `attachment-${p.part}`);
  return {
    part: p,
    name,
    contentType: p.type,
    size: p.size ?? 0,
    contentId: p.id?.replace(/^<|>$/g, ''),
    isInline: p.disposition === 'inline' || (!!p.id && p.disposition !== 'attachment'),
    isItem: p.type === 'message/rfc822',
  };
}

/** Exchange's HasAttachments: attachments other than inline images. */
export function hasAttachments(root: MimePart): boolean {
  return attachments(root).some((a) => !a.isInline || a.isItem);
}

export function decodeTransfer(raw: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').toLowerCase()) {
    case 'base64':
      return Buffer.from(raw.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return libqp.decode(raw.toString('latin1'));
    default:
      return raw;
  }
}

/** Text in its declared charset (windows-1252 done right, unlike Node 20's TextDecoder); UTF-8 when unknown. */
export function decodeCharset(buf: Buffer, charset: string | undefined): string {
  const cs = (charset ?? 'utf-8').trim().toLowerCase() || 'utf-8';
  return decodeKnownCharset(buf, cs) ?? (iconv.encodingExists(cs) ? iconv.decode(buf, cs) : new TextDecoder('utf-8').decode(buf));
}

/** A text part's content as a string. */
export function decodeTextPart(p: MimePart, raw: Buffer): string {
  return decodeCharset(decodeTransfer(raw, p.encoding), p.parameters.charset);
}
