// The raw header block of a message, read leniently: unfolded, encoded words
// decoded, broken lines skipped rather than fatal.
import libmime from 'libmime';

export interface Header {
  name: string;
  value: string;
}

export function parseHeaderBlock(raw: Buffer | undefined): Header[] {
  if (!raw) return [];
  const text = raw.toString('utf8');
  const out: Header[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line === '') break;
    if (/^[ \t]/.test(line) && out.length) {
      out[out.length - 1].value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  for (const h of out) {
    try {
      h.value = libmime.decodeWords(h.value);
    } catch {
      // keep the raw value
    }
  }
  return out;
}

export function headerValue(headers: Header[], name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === n)?.value;
}

/** Importance from Importance, X-Priority or Priority, as Exchange maps them. */
export function importanceOf(headers: Header[]): 'Low' | 'Normal' | 'High' {
  const imp = headerValue(headers, 'Importance')?.toLowerCase();
  if (imp === 'high') return 'High';
  if (imp === 'low') return 'Low';
  const xp = headerValue(headers, 'X-Priority');
  if (xp) {
    const n = parseInt(xp, 10);
    if (n === 1 || n === 2) return 'High';
    if (n === 4 || n === 5) return 'Low';
  }
  const p = headerValue(headers, 'Priority')?.toLowerCase();
  if (p === 'urgent') return 'High';
  if (p === 'non-urgent') return 'Low';
  return 'Normal';
}

export function sensitivityOf(headers: Header[]): 'Normal' | 'Personal' | 'Private' | 'Confidential' {
  switch (headerValue(headers, 'Sensitivity')?.toLowerCase()) {
    case 'personal':
      return 'Personal';
    case 'private':
      return 'Private';
    case 'company-confidential':
    case 'confidential':
      return 'Confidential';
    default:
      return 'Normal';
  }
}
