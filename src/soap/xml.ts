// Safe XML in, well-formed XML out. Every byte that reaches a client goes through
// `x()` / `escapeText()`, which drop what crashed libxml2 in Outlook for Mac
// (C0 controls, lone surrogates, U+FFFE/U+FFFF).
import { DOMParser, onErrorStopParsing } from '@xmldom/xmldom';
import type { Document, Element, Node } from '@xmldom/xmldom';

export type { Document, Element, Node };

export const NS = {
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  messages: 'http://schemas.microsoft.com/exchange/services/2006/messages',
  types: 'http://schemas.microsoft.com/exchange/services/2006/types',
  errors: 'http://schemas.microsoft.com/exchange/services/2006/errors',
  autodiscoverSoap: 'http://schemas.microsoft.com/exchange/2010/Autodiscover',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  wsa: 'http://www.w3.org/2005/08/addressing',
} as const;

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = { maxBytes: 64 * 1024 * 1024, maxDepth: 128 };

export class XmlInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XmlInputError';
  }
}

/**
 * Parses untrusted XML. DTDs are refused outright (no entity expansion, no external
 * fetches), the size and nesting depth are bounded before the DOM is built.
 */
export function parseXml(text: string, limits: XmlLimits = DEFAULT_XML_LIMITS): Document {
  if (Buffer.byteLength(text, 'utf8') > limits.maxBytes) {
    throw new XmlInputError(`The request is larger than ${limits.maxBytes} bytes.`);
  }
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text)) {
    throw new XmlInputError('DTDs and entity declarations are not accepted.');
  }
  checkDepth(text, limits.maxDepth);
  const parser = new DOMParser({
    locator: false,
    onError: (level, message) => {
      if (level === 'warning') return;
      onErrorStopParsing();
      throw new XmlInputError(`Malformed XML: ${String(message).split('\n')[0]}`);
    },
  });
  let doc: Document;
  try {
    doc = parser.parseFromString(text.replace(/^\uFEFF/, ''), 'text/xml');
  } catch (e) {
    if (e instanceof XmlInputError) throw e;
    throw new XmlInputError(`Malformed XML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (!doc.documentElement) throw new XmlInputError('The request holds no XML element.');
  return doc;
}

/** Counts element nesting without building anything, so a deep bomb costs one scan. */
function checkDepth(text: string, maxDepth: number): void {
  let depth = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lt = text.indexOf('<', i);
    if (lt < 0) break;
    const next = text.charCodeAt(lt + 1);
    if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt);
      i = end < 0 ? n : end + 3;
      continue;
    }
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt);
      i = end < 0 ? n : end + 3;
      continue;
    }
    const gt = text.indexOf('>', lt);
    if (gt < 0) break;
    if (next === 0x2f /* / */) depth--;
    else if (next !== 0x3f /* ? */ && next !== 0x21 /* ! */ && text.charCodeAt(gt - 1) !== 0x2f) {
      depth++;
      if (depth > maxDepth) throw new XmlInputError(`The request nests elements deeper than ${maxDepth}.`);
    }
    i = gt + 1;
  }
}

// ---------------------------------------------------------------- reading

export function isElement(node: Node | null | undefined): node is Element {
  return !!node && node.nodeType === 1;
}

export function elementChildren(el: Element): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (isElement(c)) out.push(c);
  return out;
}

export function child(el: Element | null | undefined, ns: string, localName: string): Element | undefined {
  if (!el) return undefined;
  for (let c = el.firstChild; c; c = c.nextSibling) {
    if (isElement(c) && c.localName === localName && c.namespaceURI === ns) return c;
  }
  return undefined;
}

export function children(el: Element | null | undefined, ns: string, localName: string): Element[] {
  if (!el) return [];
  return elementChildren(el).filter((c) => c.localName === localName && c.namespaceURI === ns);
}

/** Follows a path of local names in one namespace: path(el, NS.types, 'A', 'B'). */
export function path(el: Element | null | undefined, ns: string, ...names: string[]): Element | undefined {
  let cur: Element | undefined = el ?? undefined;
  for (const name of names) cur = child(cur, ns, name);
  return cur;
}

export function textOf(el: Element | null | undefined): string | undefined {
  if (!el) return undefined;
  return el.textContent ?? '';
}

export function attr(el: Element | null | undefined, name: string): string | undefined {
  if (!el || !el.hasAttribute(name)) return undefined;
  return el.getAttribute(name) ?? undefined;
}

// ---------------------------------------------------------------- writing

/**
 * Already well-formed XML. Plain strings given to `x()` are text and get escaped.
 *
 * Small elements are flat strings, concatenated as they are built. A piece longer
 * than FLAT_LIMIT (a MimeContent, a big body) is kept by reference instead, so an
 * answer of 50 one-megabyte messages is never copied once per level of nesting:
 * `chunks()` writes the tree out once, as buffers for the socket. A piece may also
 * be still on its way (`later`): such a document is written with `stream()`, piece
 * by piece as they arrive, so the first messages go out while the next are read.
 */
export class Xml {
  private flat: string | undefined;
  private constructor(
    flat: string | undefined,
    readonly length: number,
    readonly parts?: readonly (string | Xml)[],
    readonly buffer?: Buffer,
    readonly pending?: Promise<Xml>,
    /** True when this node or one below it is still pending. */
    readonly deferred = false,
    /** Binary content written as base64, encoded only when the answer is written (see ChunkWriter.base64). */
    readonly binary?: Buffer,
  ) {
    this.flat = flat;
  }
  static text(s: string): Xml {
    return new Xml(s, s.length);
  }
  static bytes(b: Buffer): Xml {
    return new Xml(undefined, b.length, undefined, b);
  }
  static base64(data: Buffer): Xml {
    return new Xml(undefined, Math.ceil(data.length / 3) * 4, undefined, undefined, undefined, false, data);
  }
  static composite(parts: (string | Xml)[], length: number, deferred: boolean): Xml {
    return new Xml(undefined, length, parts, undefined, undefined, deferred);
  }
  static later(p: Promise<Xml>): Xml {
    // Handled here so a piece failing before the writer reaches it is no unhandled rejection;
    // the writer still sees the failure when it awaits the piece.
    p.catch(() => {});
    return new Xml(undefined, 0, undefined, undefined, p, true);
  }
  get raw(): string {
    if (this.flat === undefined) {
      if (this.deferred) throw new Error('A document with pieces still on their way has no text yet: stream() it.');
      this.flat = this.binary ? this.binary.toString('base64') : this.buffer ? this.buffer.toString('utf8') : this.parts!.map((p) => (typeof p === 'string' ? p : p.raw)).join('');
    }
    return this.flat;
  }
  get isFlat(): boolean {
    return !this.parts && !this.buffer && !this.pending && !this.binary;
  }
  toString(): string {
    return this.raw;
  }
  /** The document as UTF-8 buffers of about CHUNK_CHARS each (large pieces as their own buffer). */
  chunks(prefix = ''): Buffer[] {
    if (this.deferred) throw new Error('A document with pieces still on their way is written with stream().');
    const w = new ChunkWriter(prefix);
    w.walk(this);
    return w.finish();
  }
  /** The document as UTF-8 buffers, each as soon as the pieces before it have arrived. */
  async *stream(prefix = ''): AsyncGenerator<Buffer> {
    const w = new ChunkWriter(prefix);
    const stack: (string | Xml)[] = [this];
    while (stack.length) {
      const top = stack.pop()!;
      if (typeof top === 'string' || !top.deferred) {
        if (typeof top === 'string') w.add(top);
        else w.walk(top);
        continue;
      }
      if (top.pending) {
        yield* w.take();
        stack.push(await top.pending);
        continue;
      }
      for (let i = top.parts!.length - 1; i >= 0; i--) stack.push(top.parts![i]);
    }
    yield* w.finish();
  }
}

/** Turns strings and buffers into socket-sized UTF-8 buffers. */
class ChunkWriter {
  private out: Buffer[] = [];
  constructor(private pending: string) {}
  add(s: string): void {
    if (s.length >= FLAT_LIMIT) {
      this.flush();
      this.out.push(Buffer.from(s, 'utf8'));
      return;
    }
    this.pending += s;
    if (this.pending.length >= CHUNK_CHARS) this.flush();
  }
  walk(n: Xml): void {
    if (n.binary) this.base64(n.binary);
    else if (n.buffer) {
      this.flush();
      this.out.push(n.buffer);
    } else if (n.parts) {
      for (const p of n.parts) {
        if (typeof p === 'string') this.add(p);
        else this.walk(p);
      }
    } else this.add(n.raw);
  }
  /**
   * `data` as base64, BASE64_IN bytes at a time into pooled buffers. Encoding a whole
   * 1 MB message at once made a 1.3 MB external string and a 1.3 MB copy of it per
   * message: external memory that drove V8 into a full GC every few messages.
   */
  base64(data: Buffer): void {
    this.flush();
    for (let i = 0; i < data.length; i += BASE64_IN) {
      const s = data.toString('base64', i, Math.min(data.length, i + BASE64_IN));
      const b = takeChunkBuffer();
      const n = b.write(s, 0, 'latin1');
      this.out.push(n === b.length ? b : b.subarray(0, n));
    }
  }
  flush(): void {
    if (this.pending) this.out.push(Buffer.from(this.pending, 'utf8'));
    this.pending = '';
  }
  /** The buffers complete so far. */
  take(): Buffer[] {
    this.flush();
    const out = this.out;
    this.out = [];
    return out;
  }
  finish(): Buffer[] {
    return this.take();
  }
}

/** Pieces at least this long are kept by reference rather than copied into their parent. */
const FLAT_LIMIT = 32 * 1024;
const CHUNK_CHARS = 64 * 1024;
/** Input bytes per base64 chunk: a multiple of 3 (no padding inside), 64 KB of output. */
const BASE64_IN = 48 * 1024;
const CHUNK_BYTES = (BASE64_IN / 3) * 4;

/**
 * Buffers of base64 output, reused once the socket has taken them (`releaseChunk`), so an
 * answer of many megabytes of MimeContent allocates a few of them rather than its size.
 */
const chunkPool: Buffer[] = [];
const pooled = new WeakSet<ArrayBufferLike>();
const POOL_MAX = 64;

function takeChunkBuffer(): Buffer {
  const b = chunkPool.pop();
  if (b) return b;
  const fresh = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  pooled.add(fresh.buffer);
  return fresh;
}

/**
 * Gives a chunk of `Xml.chunks()` / `Xml.stream()` back once it has been written out
 * (the socket's write callback) and nothing else holds it; other buffers are ignored.
 */
export function releaseChunk(b: Buffer): void {
  if (chunkPool.length < POOL_MAX && pooled.has(b.buffer) && b.byteOffset === 0) chunkPool.push(Buffer.from(b.buffer, 0, CHUNK_BYTES));
}

export type XmlChild = Xml | string | number | boolean | null | undefined | false | XmlChild[];
export type XmlAttrs = Record<string, string | number | boolean | null | undefined>;

// Everything XML 1.0 forbids, plus the non-characters that crashed Apple's parsers.
const INVALID_XML_CHARS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// One test decides whether a string needs any of the replacements below; most text needs none.
const NEEDS_TEXT_WORK = /[&<>\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const NEEDS_ATTR_WORK = /[&<>"\r\n\t\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;

export function cleanXmlText(s: string): string {
  return s.replace(INVALID_XML_CHARS, '');
}

export function escapeText(s: string): string {
  if (!NEEDS_TEXT_WORK.test(s)) return s;
  return cleanXmlText(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s: string): string {
  if (!NEEDS_ATTR_WORK.test(s)) return s;
  return escapeText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/** Collects an element's content: flat text runs joined as they come, large pieces kept by reference. */
class Builder {
  parts: (string | Xml)[] | undefined;
  run = '';
  length = 0;
  deferred = false;
  add(c: XmlChild): void {
    if (c === null || c === undefined || c === false) return;
    if (c instanceof Xml) {
      if (c.isFlat && c.length < FLAT_LIMIT) this.text(c.raw);
      else this.node(c);
      return;
    }
    if (Array.isArray(c)) {
      for (const e of c) this.add(e);
      return;
    }
    const s = escapeText(String(c));
    if (s.length >= FLAT_LIMIT) this.node(Xml.text(s));
    else this.text(s);
  }
  text(s: string): void {
    this.run += s;
    this.length += s.length;
  }
  node(n: Xml): void {
    (this.parts ??= []);
    if (this.run) this.parts.push(this.run);
    this.run = '';
    this.parts.push(n);
    this.length += n.length;
    if (n.deferred) this.deferred = true;
  }
  finish(open: string, close: string): Xml {
    if (!this.parts) return Xml.text(open + this.run + close);
    if (this.run) this.parts.push(this.run);
    return Xml.composite([open, ...this.parts, close], open.length + this.length + close.length, this.deferred);
  }
}

/** Builds one element. `x('t:FolderId', { Id: id }, ...)`; attributes whose value is undefined are left out. */
export function x(name: string, attrs?: XmlAttrs | null, ...content: XmlChild[]): Xml {
  let open = '<' + name;
  if (attrs) {
    for (const k in attrs) {
      const v = attrs[k];
      if (v === undefined || v === null) continue;
      open += ' ' + k + '="' + escapeAttr(String(v)) + '"';
    }
  }
  const b = new Builder();
  for (const c of content) b.add(c);
  if (b.length === 0 && !b.parts) return Xml.text(open + '/>');
  return b.finish(open + '>', '</' + name + '>');
}

/** An element with text content, or nothing when the value is absent. */
export function xText(name: string, value: string | number | boolean | null | undefined): Xml | undefined {
  if (value === undefined || value === null) return undefined;
  return x(name, null, String(value));
}

export function raw(s: string): Xml {
  return Xml.text(s);
}

/** Already-encoded UTF-8 XML text, sent as it is (a MimeContent's base64 never becomes a string). */
export function bytes(b: Buffer): Xml {
  return Xml.bytes(b);
}

/** A piece of the document still being read; see Xml.stream(). */
export function later(p: Promise<XmlChild>): Xml {
  return Xml.later(p.then((c) => join([c])));
}

/** `data` in base64 for the answer, encoded as it is written (never as one string). */
export function base64Bytes(data: Buffer): Xml {
  return Xml.base64(data);
}

export function join(parts: XmlChild[]): Xml {
  const b = new Builder();
  b.add(parts);
  return b.finish('', '');
}

/** xs:boolean as the schema allows it: "true"/"1" and "false"/"0" (exchangelib sends the digits). */
export function xsBool(text: string | undefined | null): boolean | undefined {
  const v = text?.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return undefined;
}
