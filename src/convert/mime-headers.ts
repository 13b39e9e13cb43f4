// Header-level MIME helpers: header blocks, RFC 2047 encoded words, RFC 2231
// parameters, charsets. Pure functions, no I/O. Everything here is lenient:
// real mail is broken in every way a header can be, and nothing here throws on
// bad input (they return what can be read).

/** One header field of a header block, in message order. */
export interface HeaderField {
  /** The field name as written (case kept), e.g. "Content-Type". */
  name: string;
  /**
   * The value as written (folding kept, encoded words kept), raw bytes decoded
   * as UTF-8 when they are valid UTF-8 and as windows-1252 otherwise.
   */
  raw: string;
  /** Unfolded, encoded words decoded, trimmed. */
  value: string;
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HT = 0x09;

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

// windows-1252 bytes 0x80–0x9F (undefined ones stay C1 controls, as WHATWG says).
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8d, 0x017d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x9d, 0x017e, 0x0178,
];

/**
 * windows-1252 (also what WHATWG means by latin1, iso-8859-1 and us-ascii).
 * Written out because Node 20's TextDecoder('windows-1252') decodes
 * ISO-8859-1: 0x80 comes out as U+0080 instead of the euro sign.
 */
export function decodeWindows1252(bytes: Uint8Array): string {
  let out = '';
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    const slice = bytes.subarray(i, Math.min(bytes.length, i + CHUNK));
    const codes = new Array<number>(slice.length);
    for (let k = 0; k < slice.length; k++) {
      const b = slice[k];
      codes[k] = b >= 0x80 && b < 0xa0 ? CP1252_HIGH[b - 0x80] : b;
    }
    out += String.fromCharCode(...codes);
  }
  return out;
}

/**
 * Text from header bytes that carry no declared charset (8-bit bytes in a
 * header are not allowed, but common): UTF-8 when the bytes are valid UTF-8
 * (RFC 6532 allows that), windows-1252 (a superset of Latin-1) otherwise.
 */
export function decodeHeaderBytes(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return decodeWindows1252(bytes);
  }
}

/**
 * Removes header folding: a line break with the whitespace run that follows it
 * becomes one space (a folding tab is layout, not content).
 */
export function unfold(s: string): string {
  return s.replace(/\r?\n[ \t]*/g, ' ');
}

// A field name as RFC 5322 defines it: printable US-ASCII except colon.
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/**
 * Splits a header block (the bytes before the first empty line) into fields.
 * Continuation lines (starting with space or tab) belong to the field above.
 * Lines that are neither a field nor a continuation (a lost colon, a name with
 * spaces, a continuation that lost its indentation) are dropped: there is no
 * way to tell what they were.
 */
export function parseHeaderBlock(block: Uint8Array): HeaderField[] {
  const buf = Buffer.from(block.buffer, block.byteOffset, block.byteLength);
  const lines: { start: number; end: number }[] = [];
  let pos = 0;
  while (pos < buf.length) {
    let nl = buf.indexOf(LF, pos);
    if (nl < 0) nl = buf.length;
    let end = nl;
    if (end > pos && buf[end - 1] === CR) end--;
    lines.push({ start: pos, end });
    pos = nl + 1;
  }
  const out: HeaderField[] = [];
  let cur: { name: string; parts: Buffer[] } | undefined;
  const flush = () => {
    if (!cur) return;
    out.push(new ParsedField(cur.name, cur.parts));
    cur = undefined;
  };
  for (const { start, end } of lines) {
    if (end === start) continue; // an empty line cannot occur inside a header block; skip it
    const first = buf[start];
    if (first === SP || first === HT) {
      if (cur) cur.parts.push(Buffer.from('\r\n'), buf.subarray(start, end));
      continue;
    }
    flush();
    const colon = buf.indexOf(0x3a, start);
    if (colon < 0 || colon >= end) continue; // no colon: garbage
    // obsolete syntax allows whitespace between the name and the colon
    const name = buf.subarray(start, colon).toString('latin1').replace(/[ \t]+$/, '');
    if (!FIELD_NAME.test(name)) continue;
    cur = { name, parts: [buf.subarray(colon + 1, end)] };
  }
  flush();
  return out;
}

/**
 * A field whose value is decoded when first read: a list view reads a handful of the twenty
 * or so fields a message has, and decoding every encoded word up front was most of the cost.
 */
class ParsedField implements HeaderField {
  private rawText?: string;
  private decoded?: string;
  constructor(
    readonly name: string,
    private parts: Buffer[],
  ) {}
  get raw(): string {
    this.rawText ??= decodeHeaderBytes(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts));
    return this.rawText;
  }
  get value(): string {
    this.decoded ??= safeDecodeWords(unfold(this.raw)).trim();
    return this.decoded;
  }
  toJSON(): { name: string; raw: string; value: string } {
    return { name: this.name, raw: this.raw, value: this.value };
  }
}

/** The first field of that name (case-insensitive). */
export function headerValue(fields: HeaderField[], name: string): HeaderField | undefined {
  const lower = name.toLowerCase();
  return fields.find((f) => f.name.toLowerCase() === lower);
}

/** Every field of that name (case-insensitive), in order. */
export function headerValues(fields: HeaderField[], name: string): HeaderField[] {
  const lower = name.toLowerCase();
  return fields.filter((f) => f.name.toLowerCase() === lower);
}

// ---------------------------------------------------------------------------
// Charsets

const CHARSET_ALIASES: Record<string, string> = {
  // Microsoft and Java names the WHATWG label list does not know
  cp932: 'shift_jis',
  ms932: 'shift_jis',
  windows31j: 'shift_jis',
  'windows-31j': 'shift_jis',
  sjis: 'shift_jis',
  'x-sjis': 'shift_jis',
  cp936: 'gbk',
  ms936: 'gbk',
  cp949: 'euc-kr',
  uhc: 'euc-kr',
  cp950: 'big5',
  ms950: 'big5',
  cp874: 'windows-874',
  utf8: 'utf-8',
  'utf-8': 'utf-8',
  latin1: 'iso-8859-1',
  'iso8859-1': 'iso-8859-1',
  'iso_8859_1': 'iso-8859-1',
  'x-mac-roman': 'macintosh',
  'x-mac-cyrillic': 'x-mac-cyrillic',
  'ansi_x3.4-1968': 'us-ascii',
  ascii: 'us-ascii',
};

// Names some mailers put where a charset should be. They say "I do not know",
// so the bytes are decoded the way undeclared header bytes are.
const UNKNOWN_CHARSETS = new Set(['unknown-8bit', 'x-unknown', 'unknown', 'x-user-defined', '8bit', 'default', 'charset']);

// UTF-7 is refused on purpose (as mailparser does for bodies): it can smuggle
// markup past filters that look for "<".
const REFUSED_CHARSETS = /^(?:(?:cs)?unicode-?1-?1-?)?utf-?7(?:-?imap)?$/;

type Decoder = { decode(bytes: Uint8Array): string };
const WINDOWS_1252: Decoder = { decode: decodeWindows1252 };
const decoderCache = new Map<string, Decoder | null>();

function decoderFor(charset: string): Decoder | null {
  let label = charset.trim().toLowerCase().replace(/^["']|["']$/g, '');
  label = label.replace(/\*.*$/, ''); // RFC 2231 language suffix in encoded words: utf-8*en
  if (CHARSET_ALIASES[label]) label = CHARSET_ALIASES[label];
  else if (/^cp125\d$/.test(label)) label = 'windows-' + label.slice(2);
  else if (/^(?:iso)?-?8859-?(\d+)$/.test(label)) label = 'iso-8859-' + /(\d+)$/.exec(label)![1];
  // us-ascii bodies with 8-bit bytes: read them as windows-1252 (WHATWG does the same)
  if (label === 'us-ascii') label = 'windows-1252';
  const cached = decoderCache.get(label);
  if (cached !== undefined) return cached;
  let dec: Decoder | null = null;
  if (!REFUSED_CHARSETS.test(label)) {
    try {
      const td = new TextDecoder(label);
      dec = td.encoding === 'windows-1252' ? WINDOWS_1252 : td;
    } catch {
      dec = null;
    }
  }
  decoderCache.set(label, dec);
  return dec;
}

/**
 * Decodes bytes in a declared charset. Unknown-charset placeholders
 * ("unknown-8bit", "x-unknown") are read as UTF-8 or windows-1252.
 * Answers undefined for a charset that cannot be decoded here (UTF-7 on
 * purpose, rare ones ICU does not carry such as ISO-8859-16 or VISCII).
 */
export function decodeCharset(bytes: Uint8Array, charset: string | undefined): string | undefined {
  const label = (charset ?? '').trim().toLowerCase();
  if (!label || UNKNOWN_CHARSETS.has(label)) return decodeHeaderBytes(bytes);
  if (label === 'utf-8' || label === 'utf8') {
    // invalid UTF-8 in a part labelled UTF-8 is usually Latin-1: keep what decodes cleanly
    try {
      return utf8Fatal.decode(bytes);
    } catch {
      return decodeHeaderBytes(bytes);
    }
  }
  const dec = decoderFor(label);
  return dec ? dec.decode(bytes) : undefined;
}

/** Whether decodeCharset can decode this charset. */
export function isKnownCharset(charset: string): boolean {
  const label = charset.trim().toLowerCase();
  return UNKNOWN_CHARSETS.has(label) || decoderFor(label) !== null;
}

// ---------------------------------------------------------------------------
// RFC 2047 encoded words

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?]*)\?=/g;

function qDecode(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x5f) bytes.push(0x20); // "_"
    else if (c === 0x3d && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(c & 0xff);
  }
  return Buffer.from(bytes);
}

function bDecode(s: string): Buffer {
  return Buffer.from(s.replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
}

/**
 * Decodes RFC 2047 encoded words. Adjacent encoded words in the same charset
 * are joined before decoding, so a multi-byte character split across two
 * words (old Japanese and Chinese mailers do it) comes out whole; whitespace
 * between adjacent encoded words is dropped as RFC 2047 says. Words in a
 * charset that cannot be decoded are left as they are.
 */
export function decodeEncodedWords(input: string): string {
  if (!input.includes('=?')) return input;
  type Tok = { text: string } | { charset: string; bytes: Buffer; rawWord: string };
  const toks: Tok[] = [];
  let last = 0;
  ENCODED_WORD.lastIndex = 0;
  for (let m: RegExpExecArray | null; (m = ENCODED_WORD.exec(input)); ) {
    if (m.index > last) toks.push({ text: input.slice(last, m.index) });
    const charset = m[1].toLowerCase().replace(/\*.*$/, '');
    const bytes = m[2].toUpperCase() === 'B' ? bDecode(m[3]) : qDecode(m[3]);
    toks.push({ charset, bytes, rawWord: m[0] });
    last = m.index + m[0].length;
  }
  if (last < input.length) toks.push({ text: input.slice(last) });
  // drop whitespace-only text between two encoded words
  const cleaned: Tok[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if ('text' in t && /^[ \t\r\n]*$/.test(t.text) && i > 0 && i < toks.length - 1 && !('text' in toks[i - 1]) && !('text' in toks[i + 1])) continue;
    cleaned.push(t);
  }
  let out = '';
  for (let i = 0; i < cleaned.length; ) {
    const t = cleaned[i];
    if ('text' in t) {
      out += t.text;
      i++;
      continue;
    }
    const group: Buffer[] = [t.bytes];
    const raws = [t.rawWord];
    let j = i + 1;
    while (j < cleaned.length) {
      const n = cleaned[j];
      if ('text' in n || n.charset !== t.charset) break;
      group.push(n.bytes);
      raws.push(n.rawWord);
      j++;
    }
    const text = decodeCharset(Buffer.concat(group), t.charset);
    out += text === undefined ? raws.join(' ') : text;
    i = j;
  }
  return out;
}

function safeDecodeWords(s: string): string {
  try {
    return decodeEncodedWords(s);
  } catch {
    return s;
  }
}

// ---------------------------------------------------------------------------
// Structured values: Content-Type, Content-Disposition (RFC 2045, RFC 2231)

export interface StructuredValue {
  /** The main value, lowercased for Content-Type / Content-Disposition use. */
  value: string;
  /** Parameters by lowercase name, RFC 2231 continuations joined and decoded, RFC 2047 words decoded. */
  params: Record<string, string>;
}

function stripComments(s: string): string {
  let out = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      out += c;
      if (c === '\\' && i + 1 < s.length) out += s[++i];
      else if (c === '"') quoted = false;
    } else if (depth > 0) {
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
    } else if (c === '"') {
      quoted = true;
      out += c;
    } else if (c === '(') depth++;
    else out += c;
  }
  return out;
}

function percentDecode(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 0x80) bytes.push(c);
    else bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return Buffer.from(bytes);
}

/**
 * Parses `type/subtype; a=b; c*0*=utf-8''x; c*1="y"` (unfolded text). The main
 * value is lowercased and trimmed; parameter names are lowercased.
 */
export function parseStructuredValue(input: string): StructuredValue {
  const s = stripComments(unfold(input));
  // split on ";" outside quotes
  const pieces: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      cur += c;
      if (c === '\\' && i + 1 < s.length) cur += s[++i];
      else if (c === '"') quoted = false;
    } else if (c === '"') {
      quoted = true;
      cur += c;
    } else if (c === ';') {
      pieces.push(cur);
      cur = '';
    } else cur += c;
  }
  pieces.push(cur);
  const value = (pieces.shift() ?? '').trim().toLowerCase();
  const plain: Record<string, string> = {};
  const extended: Record<string, { charset?: string; segs: { n: number; encoded: boolean; text: string }[] }> = {};
  for (const piece of pieces) {
    const eq = piece.indexOf('=');
    if (eq < 0) continue;
    const rawName = piece.slice(0, eq).trim().toLowerCase();
    let v = piece.slice(eq + 1).trim();
    if (v.startsWith('"')) {
      const endQ = v.lastIndexOf('"');
      v = (endQ > 0 ? v.slice(1, endQ) : v.slice(1)).replace(/\\(.)/g, '$1');
    }
    if (!rawName) continue;
    const m = /^([^*]+)(?:\*(\d+))?(\*)?$/.exec(rawName);
    if (!m) continue;
    const [, name, num, star] = m;
    if (num === undefined && !star) {
      if (!(name in plain)) plain[name] = v;
      continue;
    }
    const entry = (extended[name] ??= { segs: [] });
    const n = num === undefined ? 0 : Number(num);
    let text = v;
    if (star && n === 0) {
      // charset'language'value
      const q1 = text.indexOf("'");
      const q2 = q1 >= 0 ? text.indexOf("'", q1 + 1) : -1;
      if (q1 >= 0 && q2 >= 0) {
        entry.charset = text.slice(0, q1) || undefined;
        text = text.slice(q2 + 1);
      }
    }
    entry.segs.push({ n, encoded: !!star, text });
  }
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(plain)) params[k] = safeDecodeWords(v);
  for (const [name, { charset, segs }] of Object.entries(extended)) {
    segs.sort((a, b) => a.n - b.n);
    const bytes = Buffer.concat(segs.map((sg) => (sg.encoded ? percentDecode(sg.text) : Buffer.from(sg.text, 'utf8'))));
    const decoded = decodeCharset(bytes, charset ?? 'utf-8') ?? bytes.toString('latin1');
    params[name] = decoded; // RFC 2231 form wins over a plain parameter of the same name
  }
  return { value, params };
}

/** Message-ID style tokens: the first `<...>` of a value, or the trimmed value in brackets. */
export function normalizeMessageId(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (!v) return undefined;
  const m = /<[^<>\s]*>/.exec(v);
  if (m && m[0].length > 2) return m[0];
  const bare = v.replace(/^<|>$/g, '').trim().split(/\s+/)[0];
  return bare ? `<${bare}>` : undefined;
}
