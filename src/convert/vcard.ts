// vCard at the level of content lines: read a vCard (2.1, 3.0 or 4.0) into a
// list of properties that remember the line they came from, and write such a
// list back. ical.js parses and types every value; this layer only adds what
// keeps other people's data intact across our edits:
//  - an untouched property is written back as the exact line it was read
//    from (unknown X- properties, Apple's item groups, parameters we never
//    interpret all survive byte for byte, folding aside);
//  - lines ical.js refuses (2.1-style bare parameters, a stray line without a
//    colon) are repaired or dropped one by one, with a warning, instead of
//    failing the whole card;
//  - vCard 2.1 (Outlook's export) is read as 3.0: QUOTED-PRINTABLE and CHARSET
//    are decoded, bare TYPE parameters become TYPE=.
// Pure: no I/O.
import ICAL from 'ical.js';

export class VCardParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VCardParseError';
  }
}

export interface VParam {
  /** Upper case. */
  name: string;
  /** The name as written ("type"), kept when the property is rewritten. */
  spelled?: string;
  /** Unquoted values (a comma list is split). */
  values: string[];
}

export interface VProperty {
  /** Apple-style group ("item1"), as written. */
  group?: string;
  /** Upper case ("EMAIL", "X-ABLABEL"); "" for an opaque nested component. */
  name: string;
  /** The name as written ("X-ABLabel"), kept when the property is rewritten. */
  spelled?: string;
  params: VParam[];
  /** The value exactly as written on the line (still escaped). */
  rawValue: string;
  /** ical.js's value type ("text", "uri", "date", "unknown", ...). */
  type: string;
  /** ical.js's decoded values (jCard). */
  values: unknown[];
  /** The unfolded source line; written back verbatim while the property is untouched. */
  line?: string;
  /** A nested component (BEGIN:X ... END:X), carried verbatim. */
  block?: string[];
  /** Set by editors: the property is left out when writing. */
  removed?: boolean;
}

export interface VCardDoc {
  /** The VERSION as written; 2.1 cards are normalized to 3.0 syntax on reading. */
  sourceVersion: string;
  /** The syntax the properties follow and a rewrite uses: '3.0' or '4.0'. */
  version: '3.0' | '4.0';
  props: VProperty[];
  warnings: string[];
}

const NAME_RE = /^[A-Za-z0-9-]+$/;

// ------------------------------------------------------------------ reading

/** Index of the colon that ends the property name and parameters (quotes respected), or -1. */
function colonIndex(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ':' && !quoted) return i;
  }
  return -1;
}

/** Splits into unfolded logical lines (RFC 6350 3.2), joining 2.1 quoted-printable soft breaks too. */
function unfold(text: string): string[] {
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const out: string[] = [];
  for (const line of physical) {
    const n = out.length;
    const prev = n ? out[n - 1]! : undefined;
    if (prev !== undefined && (line.startsWith(' ') || line.startsWith('\t'))) {
      out[n - 1] = prev + line.slice(1);
      continue;
    }
    if (prev !== undefined && prev.endsWith('=')) {
      const c = colonIndex(prev);
      if (c > 0 && /;\s*(ENCODING=)?QUOTED-PRINTABLE\s*(;|$)/i.test(prev.slice(0, c))) {
        out[n - 1] = prev.slice(0, -1) + line;
        continue;
      }
    }
    out.push(line);
  }
  return out;
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of s) {
    if (c === '"') quoted = !quoted;
    if (c === sep && !quoted) {
      parts.push(cur);
      cur = '';
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s.replace(/"/g, '');
}

interface RawLine {
  group?: string;
  name: string;
  spelled: string;
  params: VParam[];
  rawValue: string;
  /** Whether reading changed the line's syntax (then it is re-serialized, not copied). */
  normalized: boolean;
}

const BARE_ENCODINGS = new Set(['QUOTED-PRINTABLE', 'BASE64', 'B', '8BIT', '7BIT']);

/** Reads one content line; a string answer says why the line is unusable. */
function parseLine(line: string, v21: boolean): RawLine | string {
  const colon = colonIndex(line);
  if (colon < 0) return 'no colon';
  const [head = '', ...paramParts] = splitOutsideQuotes(line.slice(0, colon), ';');
  let rawValue = line.slice(colon + 1);
  const dot = head.lastIndexOf('.');
  const group = dot >= 0 ? head.slice(0, dot) : undefined;
  const name = (dot >= 0 ? head.slice(dot + 1) : head).trim().toUpperCase();
  if (!NAME_RE.test(name)) return `bad property name "${head}"`;
  if (group !== undefined && !NAME_RE.test(group)) return `bad group "${group}"`;
  let normalized = false;
  const params: VParam[] = [];
  const add = (pname: string, values: string[], spelled?: string) => {
    const existing = params.find((p) => p.name === pname);
    if (existing) existing.values.push(...values);
    else params.push({ name: pname, values, spelled });
  };
  for (const part of paramParts) {
    if (part.trim() === '') {
      normalized = true;
      continue;
    }
    const eq = part.indexOf('=');
    if (eq < 0) {
      // vCard 2.1: "TEL;WORK;VOICE:" and "PHOTO;BASE64:"
      const token = unquote(part.trim());
      if (BARE_ENCODINGS.has(token.toUpperCase())) add('ENCODING', [token]);
      else add('TYPE', [token]);
      normalized = true;
      continue;
    }
    const spelled = part.slice(0, eq).trim();
    if (!NAME_RE.test(spelled)) return `bad parameter "${part}"`;
    add(spelled.toUpperCase(), splitParamValues(part.slice(eq + 1)), spelled);
  }
  const encoding = params.find((p) => p.name === 'ENCODING');
  const enc = encoding?.values[0]?.toUpperCase();
  if (enc === 'QUOTED-PRINTABLE') {
    const charset = params.find((p) => p.name === 'CHARSET')?.values[0] ?? 'utf-8';
    rawValue = decodeQuotedPrintable(rawValue, charset).replace(/\r\n|\r|\n/g, '\\n');
    removeParam(params, 'ENCODING');
    removeParam(params, 'CHARSET');
    normalized = true;
  } else if (enc === 'BASE64' || (v21 && enc === 'B')) {
    encoding!.values = ['b'];
    rawValue = rawValue.replace(/\s+/g, '');
    normalized = true;
  }
  if (v21 && params.some((p) => p.name === 'CHARSET')) {
    removeParam(params, 'CHARSET');
    normalized = true;
  }
  const spelled = (dot >= 0 ? head.slice(dot + 1) : head).trim();
  return { group, name, spelled, params, rawValue, normalized };
}

function splitParamValues(s: string): string[] {
  return splitOutsideQuotes(s, ',').map((v) => unquote(v.trim()));
}

function removeParam(params: VParam[], name: string): void {
  const i = params.findIndex((p) => p.name === name);
  if (i >= 0) params.splice(i, 1);
}

function decodeQuotedPrintable(s: string, charset: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  try {
    return new TextDecoder(charset.trim().toLowerCase(), { fatal: false }).decode(Uint8Array.from(bytes));
  } catch {
    return Buffer.from(bytes).toString('latin1');
  }
}

/** Writes a property's name, group and parameters as one line head (no value). */
function lineHead(p: { group?: string; name: string; spelled?: string; params: VParam[] }): string {
  let s = (p.group ? p.group + '.' : '') + (p.spelled ?? p.name);
  for (const param of p.params) s += ';' + (param.spelled ?? param.name) + '=' + param.values.map(paramValue).join(',');
  return s;
}

function paramValue(v: string): string {
  const clean = v.replace(/["\u0000-\u001f\u007f]/g, ' ');
  return /[:;,]/.test(clean) ? `"${clean}"` : clean;
}

/** ical.js's view of one property: [name, params, type, ...values]. */
type JProp = [string, Record<string, unknown>, string, ...unknown[]];

function icalParse(version: '3.0' | '4.0', lines: string[]): JProp[] | undefined {
  try {
    const parsed: unknown = ICAL.parse(['BEGIN:VCARD', `VERSION:${version}`, ...lines, 'END:VCARD', ''].join('\r\n'));
    const card = (Array.isArray(parsed) && typeof parsed[0] === 'string' ? parsed : (parsed as unknown[])[0]) as [string, JProp[]];
    return card[1].slice(1);
  } catch {
    return undefined;
  }
}

/**
 * Bytes to text: unfolds at the byte level first (a fold may split a UTF-8
 * sequence), then decodes UTF-8, or Windows-1252 when the bytes are not UTF-8.
 */
export function decodeVCardBytes(b: Uint8Array): string {
  const unfolded = Buffer.from(Buffer.from(b).toString('latin1').replace(/\r?\n[ \t]/g, ''), 'latin1');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(unfolded);
  } catch {
    return new TextDecoder('windows-1252').decode(unfolded);
  }
}

/**
 * Reads the first vCard of `text`. Throws VCardParseError when there is no
 * complete vCard; single bad lines are dropped with a warning in `warnings`.
 */
export function parseVCardDoc(input: string | Uint8Array): VCardDoc {
  const lines = unfold(typeof input === 'string' ? input : decodeVCardBytes(input));
  const begin = lines.findIndex((l) => /^BEGIN:VCARD\s*$/i.test(l));
  if (begin < 0) throw new VCardParseError('No BEGIN:VCARD: this is not a vCard.');
  const warnings: string[] = [];
  const body: string[] = [];
  let depth = 0;
  let end = -1;
  for (let i = begin + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (/^BEGIN:/i.test(l)) depth++;
    if (/^END:/i.test(l)) {
      if (depth === 0) {
        if (!/^END:VCARD\s*$/i.test(l)) throw new VCardParseError(`Unexpected ${l.trim()} inside the vCard.`);
        end = i;
        break;
      }
      depth--;
    }
    body.push(l);
  }
  if (end < 0) throw new VCardParseError('The vCard has no END:VCARD (truncated?).');
  if (lines.slice(end + 1).some((l) => /^BEGIN:VCARD\s*$/i.test(l))) warnings.push('More than one vCard in the object: only the first one is read.');

  const versionLine = body.find((l) => /^VERSION:/i.test(l));
  const sourceVersion = versionLine ? versionLine.slice(8).trim() : '';
  if (!versionLine) warnings.push('No VERSION: read as vCard 3.0.');
  const version: '3.0' | '4.0' = sourceVersion.startsWith('4') ? '4.0' : '3.0';
  const v21 = sourceVersion.startsWith('2');

  const props: VProperty[] = [];
  for (let i = 0; i < body.length; i++) {
    const l = body[i]!;
    if (l.trim() === '') continue;
    if (/^BEGIN:/i.test(l)) {
      // A nested component: carried whole, never interpreted.
      const block = [l];
      let d = 1;
      while (++i < body.length && d > 0) {
        const b = body[i]!;
        if (/^BEGIN:/i.test(b)) d++;
        if (/^END:/i.test(b)) d--;
        block.push(b);
      }
      i--;
      props.push({ name: '', params: [], rawValue: '', type: 'unknown', values: [], block });
      continue;
    }
    const parsed = parseLine(l, v21);
    if (typeof parsed === 'string') {
      warnings.push(`Line dropped (${parsed}): ${l.slice(0, 80)}`);
      continue;
    }
    if (parsed.name === 'VERSION') continue;
    props.push({
      group: parsed.group,
      name: parsed.name,
      spelled: parsed.spelled,
      params: parsed.params,
      rawValue: parsed.rawValue,
      type: 'unknown',
      values: [],
      line: parsed.normalized || v21 ? undefined : l,
    });
  }

  // ical.js types the values. One parse for the whole card; when it fails (or
  // does not line up), line by line, so that one bad line costs only itself.
  const contentProps = props.filter((p) => !p.block);
  const lineOf = (p: VProperty) => lineHead(p) + ':' + p.rawValue;
  let typed = icalParse(version, contentProps.map(lineOf));
  if (!typed || typed.length !== contentProps.length || typed.some((j, i) => j[0] !== contentProps[i]!.name.toLowerCase())) typed = undefined;
  for (let i = 0; i < contentProps.length; i++) {
    const p = contentProps[i]!;
    const j = typed ? typed[i] : icalParse(version, [lineOf(p)])?.[0];
    if (!j || j[0] !== p.name.toLowerCase()) {
      warnings.push(`Line dropped (ical.js cannot read it): ${lineOf(p).slice(0, 80)}`);
      p.removed = true;
      continue;
    }
    p.type = j[2];
    p.values = j.slice(3);
  }
  return { sourceVersion, version, props: props.filter((p) => !p.removed), warnings };
}

// ------------------------------------------------------------------ values

/** Undoes vCard TEXT escaping (\n \, \; \\). */
export function unescapeText(s: string): string {
  return s.replace(/\\([\\,;nN:])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** vCard TEXT escaping for a value or a structured component. */
export function escapeText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\r\n|\r|\n/g, '\\n').replace(/,/g, '\\,').replace(/;/g, '\\;');
}

/** Splits on `sep` where it is not escaped with a backslash. */
export function splitEscaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length) {
      cur += c + s[i + 1];
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** A property's value as one string of text. */
export function textOf(p: VProperty): string {
  // From the raw value, not ical.js's: ical.js keeps "\;" in vCard 3 TEXT lists (NOTE). The same
  // unescaping serves X- properties, URIs (Google writes "https\://") and phone numbers.
  return unescapeText(p.rawValue);
}

/** A text-list property (CATEGORIES, NICKNAME) as its items. */
export function listOf(p: VProperty): string[] {
  return splitEscaped(p.rawValue, ',').map(unescapeText);
}

/** A structured property (N, ADR, ORG) as its components, each a list of values. */
export function componentsOf(p: VProperty): string[][] {
  return splitEscaped(p.rawValue, ';').map((c) => splitEscaped(c, ',').map(unescapeText));
}

export function paramValues(p: VProperty, name: string): string[] {
  return p.params.filter((x) => x.name === name).flatMap((x) => x.values);
}

export function param(p: VProperty, name: string): string | undefined {
  return paramValues(p, name)[0];
}

/** TYPE values, lower case, split on commas. */
export function typesOf(p: VProperty): string[] {
  return paramValues(p, 'TYPE').flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean);
}

// ------------------------------------------------------------------ writing

/** A new property, or new content for an existing one (it is then re-serialized). */
export function setProperty(p: VProperty, rawValue: string, params?: VParam[]): void {
  p.rawValue = rawValue;
  if (params) p.params = params;
  p.line = undefined;
  p.type = 'text';
  p.values = [];
}

export function newProperty(name: string, rawValue: string, params: VParam[] = [], group?: string): VProperty {
  return { group, name: name.toUpperCase(), spelled: name, params, rawValue, type: 'text', values: [] };
}

/** Folds one logical line at 75 octets without splitting a UTF-8 sequence. */
export function foldLine(line: string): string {
  if (Buffer.byteLength(line, 'utf8') <= 75) return line;
  const out: string[] = [];
  let cur = '';
  let bytes = 0;
  let limit = 75;
  for (const ch of line) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > limit) {
      out.push(cur);
      cur = '';
      bytes = 0;
      limit = 74; // continuation lines start with a space
    }
    cur += ch;
    bytes += n;
  }
  out.push(cur);
  return out.join('\r\n ');
}

/** Writes the document: VERSION first, CRLF line ends, folded lines. */
export function serializeVCardDoc(doc: VCardDoc): string {
  const out = ['BEGIN:VCARD', `VERSION:${doc.version}`];
  for (const p of doc.props) {
    if (p.removed) continue;
    if (p.block) out.push(...p.block);
    else out.push(foldLine(p.line ?? lineHead(p) + ':' + p.rawValue));
  }
  out.push('END:VCARD');
  return out.join('\r\n') + '\r\n';
}

export function emptyVCardDoc(version: '3.0' | '4.0'): VCardDoc {
  return { sourceVersion: version, version, props: [], warnings: [] };
}
