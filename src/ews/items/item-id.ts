// ItemIds of mail: the folder (stable id, or path), UIDVALIDITY and UID, in the
// same versioned, URL-safe record as FolderIds. The ChangeKey is the message's
// MODSEQ where the backend has CONDSTORE.
import { ID_VERSION, KIND_MAIL_ITEM, lengthPrefixed, readPrefixed, type FolderRef } from '../folders/folder-id.js';

export interface MailItemRef {
  folder: Extract<FolderRef, { kind: 'mail' }>;
  uidValidity: number;
  uid: number;
}

export function encodeItemIdBytes(ref: MailItemRef): Buffer {
  const nums = Buffer.alloc(8);
  nums.writeUInt32BE(ref.uidValidity >>> 0, 0);
  nums.writeUInt32BE(ref.uid >>> 0, 4);
  return Buffer.concat([
    Buffer.from([ID_VERSION, KIND_MAIL_ITEM]),
    lengthPrefixed(ref.folder.stableId ?? ''),
    lengthPrefixed(ref.folder.stableId ? '' : ref.folder.path),
    nums,
  ]);
}

export function encodeItemId(ref: MailItemRef): string {
  return encodeItemIdBytes(ref).toString('base64url');
}

export function decodeItemIdBytes(buf: Buffer): MailItemRef | undefined {
  if (buf.length < 12 || buf[0] !== ID_VERSION || buf[1] !== KIND_MAIL_ITEM) return undefined;
  const r = { buf, pos: 2 };
  const stableId = readPrefixed(r);
  const path = readPrefixed(r);
  if (stableId === undefined || path === undefined || r.pos + 8 !== buf.length) return undefined;
  const uidValidity = buf.readUInt32BE(r.pos);
  const uid = buf.readUInt32BE(r.pos + 4);
  if (uid === 0) return undefined;
  return { folder: { kind: 'mail', stableId: stableId || undefined, path }, uidValidity, uid };
}

export function decodeItemId(id: string): MailItemRef | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(id) || id.length > 4096) return undefined;
  return decodeItemIdBytes(Buffer.from(id, 'base64url'));
}

export function changeKeyOf(modseq: bigint | undefined, uid: number): string {
  return `CQAAAB${(modseq ?? BigInt(uid)).toString(36)}`;
}
