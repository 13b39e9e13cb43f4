// Categories live in IMAP keywords, which are atoms: ASCII without spaces and
// specials. Names that are atoms already stay readable to every IMAP client;
// anything else is stored in IMAP's modified UTF-7 (as mailbox names are), so
// "Projekt Ü" or "Red category" round-trip exactly instead of being mangled.
import iconv from 'iconv-lite';

const ATOM_SAFE = /^[\x21\x23\x24\x27\x2b-\x5b\x5e-\x7a\x7c\x7e]$/; // no ( ) { SP CTL % * " \ ] and no &

function encodeRun(run: string): string {
  const b64 = Buffer.from(run, 'utf16le').swap16().toString('base64').replace(/=+$/, '').replace(/\//g, ',');
  return `&${b64}-`;
}

export function categoryToKeyword(category: string): string {
  let out = '';
  let run = '';
  for (const ch of category) {
    if (ATOM_SAFE.test(ch)) {
      if (run) out += encodeRun(run);
      run = '';
      out += ch;
    } else if (ch === '&') {
      if (run) out += encodeRun(run);
      run = '';
      out += '&-';
    } else run += ch;
  }
  if (run) out += encodeRun(run);
  return out;
}

export function keywordToCategory(keyword: string): string {
  if (!keyword.includes('&')) return keyword;
  try {
    return iconv.decode(Buffer.from(keyword, 'latin1'), 'utf-7-imap');
  } catch {
    return keyword;
  }
}
