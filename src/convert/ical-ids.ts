// UID ⇄ Outlook's GlobalObjectId (PidLidGlobalObjectId, MS-OXOCAL 2.2.1.27) and
// CleanGlobalObjectId, and the resource names CalDAV and DavMail use.
//
// Layout: 16 bytes class id 04000000 8200E000 74C5B710 1A82E008, instance date
// (YH YL M D; zero in the clean form and for the master), 8 bytes creation time,
// 8 zero bytes, 4-byte little-endian size, then the data. A UID Outlook made is the
// hex of the whole id (it starts with the class id); any other UID is carried as
// data "vCal-Uid" 01 00 00 00 <UID bytes> 00 (MS-OXCICAL 2.1.3.1.1.20.26).
const CLASS_ID = Buffer.from('040000008200E00074C5B7101A82E008', 'hex');
const VCAL_PREFIX = Buffer.concat([Buffer.from('vCal-Uid', 'latin1'), Buffer.from([1, 0, 0, 0])]);

export interface InstanceDate {
  year: number;
  month: number;
  day: number;
}

function withInstanceDate(id: Buffer, date?: InstanceDate): Buffer {
  const out = Buffer.from(id);
  if (date) {
    out.writeUInt16BE(date.year, 16);
    out[18] = date.month;
    out[19] = date.day;
  } else out.fill(0, 16, 20);
  return out;
}

/** The GlobalObjectId bytes for a UID (with an instance date for one occurrence of a series). */
export function globalObjectIdFromUid(uid: string, instance?: InstanceDate): Buffer {
  const hex = uid.trim();
  if (/^[0-9a-f]+$/i.test(hex) && hex.length >= 80 && hex.length % 2 === 0 && hex.slice(0, 32).toUpperCase() === CLASS_ID.toString('hex').toUpperCase()) {
    const raw = Buffer.from(hex, 'hex');
    if (raw.length >= 40 && raw.readUInt32LE(36) === raw.length - 40) return withInstanceDate(raw, instance);
  }
  const data = Buffer.concat([VCAL_PREFIX, Buffer.from(uid, 'utf8'), Buffer.from([0])]);
  const head = Buffer.alloc(40);
  CLASS_ID.copy(head, 0);
  head.writeUInt32LE(data.length, 36);
  return withInstanceDate(Buffer.concat([head, data]), instance);
}

/** CleanGlobalObjectId: the GlobalObjectId with the instance date zeroed. */
export function cleanGlobalObjectIdFromUid(uid: string): Buffer {
  return globalObjectIdFromUid(uid);
}

/** The UID a GlobalObjectId stands for: the vCal-Uid text, else the clean id in upper-case hex. */
export function uidFromGlobalObjectId(id: Buffer): string {
  if (id.length < 40 || !id.subarray(0, 16).equals(CLASS_ID))
    throw new RangeError('Not a GlobalObjectId: it does not start with the PidLidGlobalObjectId class id.');
  const size = id.readUInt32LE(36);
  if (id.length !== 40 + size) throw new RangeError(`Not a GlobalObjectId: it says ${size} data bytes but holds ${id.length - 40}.`);
  const data = id.subarray(40);
  if (data.subarray(0, VCAL_PREFIX.length).equals(VCAL_PREFIX)) {
    let end = data.length;
    while (end > VCAL_PREFIX.length && data[end - 1] === 0) end--;
    return data.subarray(VCAL_PREFIX.length, end).toString('utf8');
  }
  return withInstanceDate(id).toString('hex').toUpperCase();
}

/** DavMail's name for an item (PR_URL_COMP_NAME, 0x10F3): the resource name with ".ics" as ".EML". */
export function urlCompNameOfHref(href: string): string {
  const last = decodeURIComponent(href.replace(/\/+$/, '').split('/').pop() ?? '');
  return last.replace(/\.ics$/i, '.EML');
}

/** The resource name to PUT for a DavMail urlcompname ("x.EML" → "x.ics"); unsafe characters refused. */
export function resourceNameFromUrlCompName(name: string): string {
  const base = name.replace(/\.eml$/i, '');
  if (!base || /[/\\\u0000-\u001f]/.test(base) || base === '.' || base === '..') throw new RangeError(`"${name}" cannot name a calendar resource.`);
  return `${base}.ics`;
}

/** A resource name for a UID: the UID itself when it is URL-safe, else its hex. */
export function resourceNameForUid(uid: string): string {
  if (/^[A-Za-z0-9._@-]{1,200}$/.test(uid) && !uid.startsWith('.')) return `${uid}.ics`;
  return `${Buffer.from(uid, 'utf8').toString('hex').slice(0, 200)}.ics`;
}
