// Body conversions for the EWS BodyType choice (Best / HTML / Text). Pure
// string functions; no DOM, no dependencies. htmlToText aims at what a person
// reads in a plain-text view (Outlook's "Text" body), not at a faithful layout.

import { NAMED_ENTITIES } from './html-entities.js';

export type BodyType = 'HTML' | 'Text';
export type RequestedBodyType = 'Best' | 'HTML' | 'Text';

export interface BodyContent {
  type: BodyType;
  content: string;
}

// ---------------------------------------------------------------------------
// Entities

// HTML5: numeric references 0x80–0x9F name windows-1252 characters
const C1_WINDOWS_1252: Record<number, number> = {
  0x80: 0x20ac, 0x82: 0x201a, 0x83: 0x0192, 0x84: 0x201e, 0x85: 0x2026, 0x86: 0x2020, 0x87: 0x2021,
  0x88: 0x02c6, 0x89: 0x2030, 0x8a: 0x0160, 0x8b: 0x2039, 0x8c: 0x0152, 0x8e: 0x017d, 0x91: 0x2018,
  0x92: 0x2019, 0x93: 0x201c, 0x94: 0x201d, 0x95: 0x2022, 0x96: 0x2013, 0x97: 0x2014, 0x98: 0x02dc,
  0x99: 0x2122, 0x9a: 0x0161, 0x9b: 0x203a, 0x9c: 0x0153, 0x9e: 0x017e, 0x9f: 0x0178,
};

// names a browser accepts without the closing semicolon (a subset of HTML5's legacy list)
const LEGACY_NO_SEMICOLON = new Set(['amp', 'lt', 'gt', 'quot', 'nbsp', 'copy', 'reg', 'AMP', 'LT', 'GT', 'QUOT']);
const UPPER_LEGACY: Record<string, string> = { AMP: '&', LT: '<', GT: '>', QUOT: '"' };

/** Decodes HTML character references (named, decimal, hex). Unknown names stay as written. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(?:#(\d{1,8})|#[xX]([0-9A-Fa-f]{1,7})|([A-Za-z][A-Za-z0-9]{0,31}))(;?)/g, (m, dec, hex, name, semi) => {
    if (name !== undefined) {
      if (!semi && !LEGACY_NO_SEMICOLON.has(name)) return m;
      const ch = NAMED_ENTITIES.get(name) ?? UPPER_LEGACY[name];
      return ch === undefined ? m : ch;
    }
    let cp = dec !== undefined ? parseInt(dec, 10) : parseInt(hex, 16);
    if (C1_WINDOWS_1252[cp]) cp = C1_WINDOWS_1252[cp];
    if (cp === 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
    return String.fromCodePoint(cp);
  });
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;'));
}

// ---------------------------------------------------------------------------
// HTML → text

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr', 'basefont', 'frame', 'keygen']);
const RAW_TEXT = new Set(['script', 'style', 'template', 'title', 'xml', 'iframe', 'object', 'noembed', 'noframes']);
const PARAGRAPH = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'blockquote', 'dl', 'figure', 'fieldset', 'form', 'address']);
const BLOCK = new Set([
  'div', 'section', 'article', 'header', 'footer', 'nav', 'main', 'aside', 'center', 'figcaption', 'dt', 'dd', 'table', 'thead', 'tbody', 'tfoot', 'tr',
  'caption', 'legend', 'details', 'summary', 'hgroup', 'body', 'html', 'option', 'li', 'ul', 'ol', 'menu', 'dir',
]);

interface Tag {
  name: string;
  end: boolean;
  selfClosing: boolean;
  attrs: Record<string, string>;
}

function parseTag(html: string, at: number): { tag: Tag; next: number } | undefined {
  // at points at "<"
  let i = at + 1;
  const end = html[i] === '/';
  if (end) i++;
  const nameMatch = /^[A-Za-z][A-Za-z0-9:-]*/.exec(html.slice(i, i + 64));
  if (!nameMatch) return undefined;
  const name = nameMatch[0].toLowerCase();
  i += nameMatch[0].length;
  const attrs: Record<string, string> = {};
  const n = html.length;
  while (i < n) {
    while (i < n && /[\s/]/.test(html[i]) && html[i] !== '>') {
      if (html[i] === '/' && html[i + 1] === '>') break;
      i++;
    }
    if (i >= n) break;
    if (html[i] === '>') {
      return { tag: { name, end, selfClosing: false, attrs }, next: i + 1 };
    }
    if (html[i] === '/' && html[i + 1] === '>') {
      return { tag: { name, end, selfClosing: true, attrs }, next: i + 2 };
    }
    const an = /^[^\s=>/]+/.exec(html.slice(i, i + 256));
    if (!an) {
      i++;
      continue;
    }
    const attrName = an[0].toLowerCase();
    i += an[0].length;
    while (i < n && /\s/.test(html[i])) i++;
    let value = '';
    if (html[i] === '=') {
      i++;
      while (i < n && /\s/.test(html[i])) i++;
      const q = html[i];
      if (q === '"' || q === "'") {
        const close = html.indexOf(q, i + 1);
        const stop = close < 0 ? n : close;
        value = html.slice(i + 1, stop);
        i = stop + 1;
      } else {
        const m = /^[^\s>]*/.exec(html.slice(i, i + 4096))!;
        value = m[0];
        i += m[0].length;
      }
    }
    if (!(attrName in attrs)) attrs[attrName] = decodeEntities(value);
  }
  return { tag: { name, end, selfClosing: false, attrs }, next: n };
}

class TextBuilder {
  private lines: string[] = [];
  private cur = '';
  private pending = 0;
  private pendingSep = '';
  private pendingBullet = '';
  quoteDepth = 0;
  indent = 0;

  private isEmpty(): boolean {
    return this.lines.length === 0 && this.cur === '';
  }

  private trailingNewlines(): number {
    if (this.cur !== '') return 0;
    if (this.lines.length === 0) return 0;
    let e = 0;
    for (let i = this.lines.length - 1; i > 0 && this.lines[i] === ''; i--) e++;
    return 1 + e;
  }

  newline(): void {
    this.lines.push(this.cur.replace(/[ \t]+$/, ''));
    this.cur = '';
    this.pendingSep = '';
  }

  block(n: number): void {
    this.pending = Math.max(this.pending, n);
    this.pendingSep = '';
  }

  separator(sep: string): void {
    this.pendingSep = sep;
  }

  bullet(b: string): void {
    this.pendingBullet = b;
  }

  private flushPending(): void {
    if (this.pending > 0 && !this.isEmpty()) {
      let need = this.pending - this.trailingNewlines();
      while (need-- > 0) this.newline();
    }
    this.pending = 0;
  }

  private linePrefix(): string {
    return '> '.repeat(this.quoteDepth) + '  '.repeat(this.indent);
  }

  /** Writes text; in normal mode whitespace is collapsed already. */
  write(text: string): void {
    if (!text) return;
    if (/^ +$/.test(text)) {
      // a lone space: only between words on the same line
      if (this.cur !== '' && !/[ \t]$/.test(this.cur) && this.pending === 0) this.cur += ' ';
      return;
    }
    this.flushPending();
    if (this.cur === '') {
      this.cur = this.linePrefix() + this.pendingBullet;
      this.pendingBullet = '';
      text = text.replace(/^ +/, '');
      this.pendingSep = '';
    } else if (this.pendingSep) {
      this.cur = this.cur.replace(/ +$/, '') + this.pendingSep;
      this.pendingSep = '';
      text = text.replace(/^ +/, '');
    } else if (/[ \t]$/.test(this.cur)) {
      text = text.replace(/^ +/, '');
    }
    this.cur += text;
  }

  /** Writes preformatted text: newlines and spaces kept. */
  writePre(text: string): void {
    const parts = text.split('\n');
    parts.forEach((p, i) => {
      if (i > 0) this.newline();
      if (p === '') return;
      this.flushPending();
      if (this.cur === '') this.cur = this.linePrefix();
      this.cur += p;
    });
  }

  /** A forced line break (<br>). */
  br(): void {
    this.flushPending();
    if (this.isEmpty()) return; // leading breaks carry nothing
    this.newline();
  }

  toString(): string {
    const all = [...this.lines, this.cur.replace(/[ \t]+$/, '')].join('\n');
    return all
      .replace(/\u00a0/g, ' ')
      .replace(/[ \t]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .replace(/^\n+/, '')
      .replace(/\s+$/, '');
  }
}

/**
 * Converts HTML to readable plain text: block elements start new lines,
 * paragraphs and headings are separated by an empty line, list items get
 * "- " or "1. ", table cells are separated by tabs, links read "text <url>",
 * images show their alt text in brackets, blockquotes are prefixed with "> ",
 * <pre> keeps its layout; scripts, styles, the head, comments and elements
 * hidden with an inline `display:none` are dropped; entities are decoded.
 */
export function htmlToText(html: string): string {
  const out = new TextBuilder();
  const n = html.length;
  const stack: { name: string; hidden: boolean }[] = [];
  const lists: { ordered: boolean; counter: number }[] = [];
  const links: { href: string; text: string }[] = [];
  const rows: number[] = [];
  let hidden = 0;
  let pre = 0;
  let inHead = false;
  let i = 0;

  const emitText = (raw: string) => {
    if (hidden > 0 || inHead) return;
    if (pre > 0) {
      const t = decodeEntities(raw.replace(/\r\n?/g, '\n'));
      out.writePre(t);
      for (const l of links) l.text += t;
      return;
    }
    const t = decodeEntities(raw.replace(/[ \t\n\r\f]+/g, ' '));
    out.write(t);
    for (const l of links) l.text += t;
  };

  const closeTo = (name: string) => {
    for (let k = stack.length - 1; k >= 0; k--) {
      if (stack[k].name === name) {
        for (let j = stack.length - 1; j >= k; j--) if (stack[j].hidden) hidden--;
        stack.length = k;
        return true;
      }
    }
    return false;
  };

  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      emitText(html.slice(i));
      break;
    }
    if (lt > i) emitText(html.slice(i, lt));
    i = lt;
    if (html.startsWith('<!--', i)) {
      const e = html.indexOf('-->', i + 4);
      i = e < 0 ? n : e + 3;
      continue;
    }
    if (html[i + 1] === '!' || html[i + 1] === '?') {
      const e = html.indexOf('>', i + 2);
      i = e < 0 ? n : e + 1;
      continue;
    }
    const parsed = parseTag(html, i);
    if (!parsed) {
      emitText('<');
      i++;
      continue;
    }
    const { tag, next } = parsed;
    i = next;
    const name = tag.name;

    if (!tag.end && RAW_TEXT.has(name) && !tag.selfClosing) {
      // skip everything up to the matching end tag
      const close = new RegExp(`</${name}\\s*>`, 'ig');
      close.lastIndex = i;
      const m = close.exec(html);
      i = m ? m.index + m[0].length : n;
      continue;
    }
    if (name === 'head') {
      inHead = !tag.end;
      continue;
    }
    if (name === 'body' && !tag.end) inHead = false;

    if (tag.end) {
      if (!closeTo(name)) continue;
      if (hidden > 0) continue;
      switch (name) {
        case 'a': {
          const l = links.pop();
          if (l) {
            const href = l.href.trim();
            const text = l.text.replace(/\s+/g, ' ').trim();
            if (/^(?:https?|ftp|mailto):/i.test(href)) {
              const bare = href.replace(/^mailto:/i, '');
              const same = [href, bare, href.replace(/\/$/, '')].some((h) => h.toLowerCase() === text.toLowerCase());
              if (!same) out.write(text ? ` <${href}>` : `<${href}>`);
            }
          }
          break;
        }
        case 'ul':
        case 'ol':
        case 'menu':
        case 'dir':
          lists.pop();
          out.indent = Math.max(0, lists.length - 1);
          out.block(lists.length === 0 ? 2 : 1);
          break;
        case 'li':
          out.block(1);
          break;
        case 'pre':
          pre = Math.max(0, pre - 1);
          out.block(2);
          break;
        case 'blockquote':
          out.block(2);
          out.quoteDepth = Math.max(0, out.quoteDepth - 1);
          break;
        case 'tr':
          rows.pop();
          out.block(1);
          break;
        case 'table':
          out.block(1);
          break;
        default:
          if (PARAGRAPH.has(name)) out.block(2);
          else if (BLOCK.has(name)) out.block(1);
      }
      continue;
    }

    // start tag
    const style = tag.attrs.style ?? '';
    const isHidden = /display\s*:\s*none/i.test(style) || 'hidden' in tag.attrs || (name === 'input' && /hidden/i.test(tag.attrs.type ?? ''));
    if (!VOID.has(name) && !tag.selfClosing) {
      stack.push({ name, hidden: isHidden });
      if (isHidden) hidden++;
    }
    if (hidden > 0 || isHidden) continue;

    switch (name) {
      case 'br':
        out.br();
        break;
      case 'hr':
        out.block(1);
        out.write('----------');
        out.block(1);
        break;
      case 'img': {
        const alt = (tag.attrs.alt ?? '').replace(/\s+/g, ' ').trim();
        if (alt) {
          out.write(`[${alt}]`);
          for (const l of links) l.text += `[${alt}]`;
        }
        break;
      }
      case 'a':
        if (!tag.selfClosing) links.push({ href: tag.attrs.href ?? '', text: '' });
        break;
      case 'ul':
      case 'ol':
      case 'menu':
      case 'dir': {
        out.block(lists.length === 0 ? 2 : 1);
        const start = parseInt(tag.attrs.start ?? '1', 10);
        lists.push({ ordered: name === 'ol', counter: Number.isFinite(start) ? start : 1 });
        out.indent = Math.max(0, lists.length - 1);
        break;
      }
      case 'li': {
        out.block(1);
        const l = lists[lists.length - 1];
        if (l?.ordered) out.bullet(`${l.counter++}. `);
        else out.bullet('- ');
        break;
      }
      case 'pre':
        out.block(2);
        pre++;
        break;
      case 'blockquote':
        out.block(2);
        out.quoteDepth++;
        break;
      case 'tr':
        out.block(1);
        rows.push(0);
        break;
      case 'td':
      case 'th': {
        const r = rows.length - 1;
        if (r >= 0) {
          if (rows[r] > 0) out.separator('\t');
          rows[r]++;
        }
        break;
      }
      case 'table':
        out.block(1);
        break;
      default:
        if (PARAGRAPH.has(name)) out.block(2);
        else if (BLOCK.has(name)) out.block(1);
    }
  }
  return out.toString();
}

// ---------------------------------------------------------------------------
// Text → HTML

const LINK = /\b(?:(?:https?|ftp):\/\/|www\.)[^\s<>"]+|\bmailto:[^\s<>"]+|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;

function trimLink(url: string): string {
  for (;;) {
    const last = url[url.length - 1];
    if ('.,;:!?\'"*'.includes(last)) url = url.slice(0, -1);
    else if (last === ')' && (url.match(/\(/g)?.length ?? 0) < (url.match(/\)/g)?.length ?? 0)) url = url.slice(0, -1);
    else if (last === ']' && !url.includes('[')) url = url.slice(0, -1);
    else if (last === '>' || last === '}') url = url.slice(0, -1);
    else return url;
  }
}

function spaces(s: string, lineStart: boolean): string {
  // keep runs of spaces and tabs visible (and leading indentation): alternate nbsp and space
  return s.replace(/\t/g, '    ').replace(lineStart ? /^ +| {2,}/g : / {2,}/g, (run) => run.split('').map((_, k) => (k % 2 === 0 ? '&nbsp;' : ' ')).join(''));
}

function formatLine(line: string): string {
  let out = '';
  let last = 0;
  LINK.lastIndex = 0;
  for (let m: RegExpExecArray | null; (m = LINK.exec(line)); ) {
    const url = trimLink(m[0]);
    if (!url) continue;
    out += spaces(escapeHtml(line.slice(last, m.index)), last === 0);
    let href = url;
    if (/^www\./i.test(url)) href = 'http://' + url;
    else if (!/^(?:https?|ftp|mailto):/i.test(url)) href = 'mailto:' + url;
    out += `<a href="${escapeHtml(href)}">${escapeHtml(url)}</a>`;
    last = m.index + url.length;
    LINK.lastIndex = last;
  }
  out += spaces(escapeHtml(line.slice(last)), last === 0);
  return out;
}

/**
 * Converts plain text to an HTML fragment: escaped, paragraphs (text between
 * empty lines) as <p>, line breaks as <br>, runs of spaces kept, and URLs
 * (http, https, ftp, www.), mailto: links and e-mail addresses as links.
 */
export function textToHtml(text: string): string {
  const norm = text.replace(/\r\n?/g, '\n').replace(/^\n+|\s+$/g, '');
  if (!norm) return '';
  return norm
    .split(/\n[ \t]*\n(?:[ \t]*\n)*/)
    .map((para) => `<p>${para.split('\n').map(formatLine).join('<br>\n')}</p>`)
    .join('\n');
}

/** Wraps an HTML fragment in a document, the way Exchange serves converted bodies. */
export function htmlDocument(fragment: string): string {
  return `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>${fragment}</body></html>`;
}

// ---------------------------------------------------------------------------
// Choosing a body

export interface MessageBodies {
  textBody?: string;
  htmlBody?: string;
}

/**
 * The body in the shape a client asked for (EWS BodyType): 'Best' is the
 * message's own HTML when it has one and its text otherwise; 'HTML' converts
 * text to HTML when the message has no HTML; 'Text' converts HTML to text when
 * the message has no text. A message without any body gives an empty body of
 * the requested type (Outlook for Mac loops when a requested Body is missing).
 */
export function bestBody(msg: MessageBodies, requested: RequestedBodyType): BodyContent {
  const html = msg.htmlBody || undefined;
  const text = msg.textBody ?? undefined;
  switch (requested) {
    case 'HTML':
      if (html !== undefined) return { type: 'HTML', content: html };
      return { type: 'HTML', content: text ? htmlDocument(textToHtml(text)) : '' };
    case 'Text':
      if (text !== undefined && (text !== '' || html === undefined)) return { type: 'Text', content: text };
      return { type: 'Text', content: html !== undefined ? htmlToText(html) : '' };
    default:
      if (html !== undefined) return { type: 'HTML', content: html };
      return { type: 'Text', content: text ?? '' };
  }
}
