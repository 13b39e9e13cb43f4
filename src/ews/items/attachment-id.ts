// AttachmentIds name a MIME section of a mail item, so GetAttachment fetches
// only that part.
import { ID_VERSION, lengthPrefixed, readPrefixed } from '../folders/folder-id.js';
import { decodeItemIdBytes, encodeItemIdBytes, type MailItemRef } from './item-id.js';

const KIND_ATTACHMENT = 4;

export function encodeAttachmentId(item: MailItemRef, part: string): string {
  const itemBytes = encodeItemIdBytes(item);
  const len = Buffer.alloc(2);
  len.writeUInt16BE(itemBytes.length);
  return Buffer.concat([Buffer.from([ID_VERSION, KIND_ATTACHMENT]), len, itemBytes, lengthPrefixed(part)]).toString('base64url');
}

export function decodeAttachmentId(id: string): { item: MailItemRef; part: string } | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) return undefined;
  const buf = Buffer.from(id, 'base64url');
  if (buf.length < 5 || buf[0] !== ID_VERSION || buf[1] !== KIND_ATTACHMENT) return undefined;
  const len = buf.readUInt16BE(2);
  const item = decodeItemIdBytes(buf.subarray(4, 4 + len));
  const r = { buf, pos: 4 + len };
  const part = readPrefixed(r);
  if (!item || part === undefined || r.pos !== buf.length) return undefined;
  return { item, part };
}
