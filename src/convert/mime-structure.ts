// The MIME tree of a raw message with IMAP part numbers (RFC 3501 section
// 6.4.5), computed from the bytes: the numbers are the ones an IMAP server gives
// the same parts, so an attachment id can be fetched again as BODY[<part>].
// Pure, no I/O; byte offsets only, no copies of bodies. Lenient: a missing close
// delimiter ends the part at the end of its parent, a part without headers is a
// text/plain body, and nothing throws.

import { headerValue, parseHeaderBlock, parseStructuredValue, type HeaderField } from './mime-headers.js';

export interface MimeEntity {
  /**
   * IMAP section number. The top-level message is '' when it is multipart and
   * '1' when it is not (RFC 3501: a non-multipart message has only a part 1).
   * A part N of type message/rfc822 keeps N; its encapsulated message is N too
   * when multipart (its parts are N.1, N.2, …) and N.1 when not.
   */
  part: string;
  /** Header fields of this entity in order (for a message: the message headers). */
  headers: HeaderField[];
  /** Lowercased media type; text/plain when missing (message/rfc822 inside multipart/digest). */
  contentType: string;
  /** Content-Type parameters (lowercase names, RFC 2231 decoded). */
  params: Record<string, string>;
  /** Lowercased Content-Disposition value, when there is one. */
  disposition?: string;
  dispositionParams: Record<string, string>;
  /** Content-ID without angle brackets. */
  contentId?: string;
  /** Lowercased Content-Transfer-Encoding; 7bit when missing or unknown. */
  transferEncoding: string;
  /** Byte offsets in the raw message: where the headers start, where the body starts, where the entity ends. */
  start: number;
  bodyStart: number;
  end: number;
  /** The raw Content-Type field as written (folding kept), when there is one. */
  rawContentType?: string;
  children: MimeEntity[];
  /** For message/rfc822 (and message/global) parts that are not transfer-encoded: the encapsulated message. */
  message?: MimeEntity;
}

export interface MimeStructureOptions {
  /** Deepest nesting followed (multiparts and encapsulated messages). Default 40. */
  maxDepth?: number;
  /** Most entities parsed; the rest of the message is left as one body. Default 2000. */
  maxEntities?: number;
  /** Longest header block read, in bytes. Default 1 MiB. */
  maxHeaderBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;
const KNOWN_ENCODINGS = new Set(['7bit', '8bit', 'binary', 'base64', 'quoted-printable']);

interface Ctx {
  raw: Buffer;
  maxDepth: number;
  maxEntities: number;
  maxHeaderBytes: number;
  count: number;
}

/** Parses the MIME structure of a raw message. Never throws. */
export function parseMimeStructure(raw: Buffer, options: MimeStructureOptions = {}): MimeEntity {
  const ctx: Ctx = {
    raw,
    maxDepth: options.maxDepth ?? 40,
    maxEntities: options.maxEntities ?? 2000,
    maxHeaderBytes: options.maxHeaderBytes ?? 1024 * 1024,
    count: 0,
  };
  return parseMessage(ctx, 0, raw.length, '', 0);
}

/** Whether a line looks like the start of a header field (name, colon). */
function looksLikeHeaderLine(raw: Buffer, start: number, end: number): boolean {
  const lim = Math.min(end, start + 200);
  for (let i = start; i < lim; i++) {
    const c = raw[i];
    if (c === 0x3a) return i > start;
    if (c <= SP || c >= 0x7f) return false;
  }
  return false;
}

/** Finds the header/body split of an entity at [start, end). */
function splitHeaders(ctx: Ctx, start: number, end: number, isMessage: boolean): { headerEnd: number; bodyStart: number } {
  const { raw } = ctx;
  // a part that starts with an empty line has no headers
  if (raw[start] === LF) return { headerEnd: start, bodyStart: start + 1 };
  if (raw[start] === CR && raw[start + 1] === LF) return { headerEnd: start, bodyStart: start + 2 };
  // a body part whose first line is no header at all: treat it all as body
  if (!isMessage) {
    let nl = raw.indexOf(LF, start);
    if (nl < 0 || nl > end) nl = end;
    if (!looksLikeHeaderLine(raw, start, nl)) return { headerEnd: start, bodyStart: start };
  }
  let pos = start;
  const limit = Math.min(end, start + ctx.maxHeaderBytes);
  while (pos < limit) {
    let nl = raw.indexOf(LF, pos);
    if (nl < 0 || nl >= end) return { headerEnd: end, bodyStart: end }; // headers only
    const next = nl + 1;
    if (next >= end) return { headerEnd: end, bodyStart: end };
    if (raw[next] === LF) return { headerEnd: next, bodyStart: next + 1 };
    if (raw[next] === CR && raw[next + 1] === LF) return { headerEnd: next, bodyStart: next + 2 };
    // a line of only whitespace also ends the header block for most parsers
    pos = next;
  }
  // header block too long: stop reading headers there
  return { headerEnd: limit, bodyStart: limit };
}

function describe(ctx: Ctx, start: number, end: number, isMessage: boolean, inDigest: boolean): Omit<MimeEntity, 'part' | 'children'> {
  const { headerEnd, bodyStart } = splitHeaders(ctx, start, end, isMessage);
  let headers: HeaderField[] = [];
  try {
    headers = parseHeaderBlock(ctx.raw.subarray(start, headerEnd));
  } catch {
    headers = [];
  }
  const ct = headerValue(headers, 'content-type');
  let contentType = inDigest ? 'message/rfc822' : 'text/plain';
  let params: Record<string, string> = {};
  if (ct) {
    const sv = parseStructuredValue(ct.raw);
    if (/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(sv.value)) {
      contentType = sv.value;
      params = sv.params;
    } else if (sv.value) {
      // "text" without subtype and similar junk: RFC 2045 says treat as text/plain; keep the params (charset)
      params = sv.params;
    }
  }
  const cd = headerValue(headers, 'content-disposition');
  let disposition: string | undefined;
  let dispositionParams: Record<string, string> = {};
  if (cd) {
    const sv = parseStructuredValue(cd.raw);
    disposition = sv.value || undefined;
    dispositionParams = sv.params;
  }
  const cid = headerValue(headers, 'content-id')?.value.trim();
  const cte = (headerValue(headers, 'content-transfer-encoding')?.value ?? '').trim().toLowerCase();
  return {
    headers,
    contentType,
    params,
    disposition,
    dispositionParams,
    contentId: cid ? cid.replace(/^<\s*|\s*>$/g, '') || undefined : undefined,
    transferEncoding: KNOWN_ENCODINGS.has(cte) ? cte : '7bit',
    start,
    bodyStart,
    end,
    rawContentType: ct?.raw.trim(),
  };
}

function parseMessage(ctx: Ctx, start: number, end: number, section: string, depth: number): MimeEntity {
  ctx.count++;
  const d = describe(ctx, start, end, true, false);
  const multipart = d.contentType.startsWith('multipart/');
  const part = multipart ? section : section ? `${section}.1` : '1';
  const entity: MimeEntity = { ...d, part, children: [] };
  fillChildren(ctx, entity, depth);
  return entity;
}

function parseBodyPart(ctx: Ctx, start: number, end: number, part: string, depth: number, inDigest: boolean): MimeEntity {
  ctx.count++;
  const d = describe(ctx, start, end, false, inDigest);
  const entity: MimeEntity = { ...d, part, children: [] };
  fillChildren(ctx, entity, depth);
  return entity;
}

function fillChildren(ctx: Ctx, entity: MimeEntity, depth: number): void {
  if (depth >= ctx.maxDepth || ctx.count >= ctx.maxEntities) return;
  if (entity.contentType.startsWith('multipart/')) {
    const boundary = entity.params.boundary;
    if (!boundary) return;
    const ranges = splitMultipart(ctx.raw, entity.bodyStart, entity.end, boundary);
    const prefix = entity.part ? entity.part + '.' : '';
    const digest = entity.contentType === 'multipart/digest';
    ranges.forEach(([s, e], i) => {
      if (ctx.count >= ctx.maxEntities) return;
      entity.children.push(parseBodyPart(ctx, s, e, `${prefix}${i + 1}`, depth + 1, digest));
    });
  } else if ((entity.contentType === 'message/rfc822' || entity.contentType === 'message/global') && ['7bit', '8bit', 'binary'].includes(entity.transferEncoding)) {
    if (entity.bodyStart < entity.end) entity.message = parseMessage(ctx, entity.bodyStart, entity.end, entity.part, depth + 1);
  }
}

/**
 * The [start, end) ranges of the body parts of a multipart body. The line
 * break before a delimiter belongs to the delimiter (RFC 2046 section 5.1.1).
 */
export function splitMultipart(raw: Buffer, start: number, end: number, boundary: string): [number, number][] {
  const delim = Buffer.from('--' + boundary, 'latin1');
  const out: [number, number][] = [];
  let partStart = -1;
  let pos = start;
  while (pos < end) {
    const idx = raw.indexOf(delim, pos);
    if (idx < 0 || idx + delim.length > end) break;
    // must start a line
    if (idx !== start && raw[idx - 1] !== LF) {
      pos = idx + 1;
      continue;
    }
    let p = idx + delim.length;
    let close = false;
    if (raw[p] === 0x2d && raw[p + 1] === 0x2d && p + 1 < end) {
      close = true;
      p += 2;
    }
    // only whitespace may follow on the delimiter line
    while (p < end && (raw[p] === SP || raw[p] === HT || raw[p] === CR) && raw[p] !== LF) p++;
    if (p < end && raw[p] !== LF) {
      pos = idx + 1;
      continue;
    }
    const lineEnd = p < end ? p + 1 : end;
    if (partStart >= 0) {
      let e = idx;
      if (e > partStart && raw[e - 1] === LF) e--;
      if (e > partStart && raw[e - 1] === CR) e--;
      out.push([partStart, e]);
    }
    if (close) return out;
    partStart = lineEnd;
    pos = lineEnd;
  }
  // no close delimiter: the last part runs to the end
  if (partStart >= 0 && partStart <= end) {
    let e = end;
    if (e > partStart && raw[e - 1] === LF) e--;
    if (e > partStart && raw[e - 1] === CR) e--;
    out.push([partStart, e]);
  }
  return out;
}

/** Every entity of the tree in document order (depth first), encapsulated messages included. */
export function walkEntities(root: MimeEntity, visit: (e: MimeEntity, ancestors: MimeEntity[]) => void, ancestors: MimeEntity[] = []): void {
  visit(root, ancestors);
  const next = [...ancestors, root];
  for (const c of root.children) walkEntities(c, visit, next);
  if (root.message) walkEntities(root.message, visit, next);
}

/**
 * The first entity in document order with that IMAP part number: for a
 * message/rfc822 part N, the part itself (its multipart body shares N).
 */
export function findPart(root: MimeEntity, part: string): MimeEntity | undefined {
  let found: MimeEntity | undefined;
  walkEntities(root, (e) => {
    if (e.part === part && !found) found = e;
  });
  return found;
}

/** The raw bytes of an entity's body (still transfer-encoded). */
export function entityBody(raw: Buffer, e: MimeEntity): Buffer {
  return raw.subarray(e.bodyStart, e.end);
}

/** Decodes quoted-printable bytes (soft line breaks removed, invalid escapes kept as written). */
export function decodeQuotedPrintable(input: Buffer): Buffer {
  const out = Buffer.allocUnsafe(input.length);
  let o = 0;
  const hex = (c: number) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1);
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c !== 0x3d) {
      out[o++] = c;
      continue;
    }
    // soft line break: "=" then optional whitespace then (CR)LF
    let j = i + 1;
    while (j < input.length && (input[j] === SP || input[j] === HT)) j++;
    if (j < input.length && input[j] === CR && input[j + 1] === LF) {
      i = j + 1;
      continue;
    }
    if (j < input.length && input[j] === LF) {
      i = j;
      continue;
    }
    if (j >= input.length) break;
    const h1 = hex(input[i + 1] ?? -1);
    const h2 = hex(input[i + 2] ?? -1);
    if (h1 >= 0 && h2 >= 0) {
      out[o++] = (h1 << 4) | h2;
      i += 2;
    } else out[o++] = c;
  }
  return out.subarray(0, o);
}

/** The decoded body of an entity (base64 and quoted-printable undone; other encodings as they are). */
export function decodeEntityBody(raw: Buffer, e: MimeEntity): Buffer {
  const body = raw.subarray(e.bodyStart, e.end);
  if (e.transferEncoding === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  if (e.transferEncoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return Buffer.from(body);
}
