// Preparing a stored or client-built message for the MTA: envelope recipients
// from To/Cc/Bcc (plus Bcc given only as a property, as Thunderbird sends it),
// the Bcc header removed, and Date / Message-ID added where the client left them out.
import { randomUUID } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser';

function splitHead(raw: Buffer): { head: string; body: Buffer } {
  const s = raw.toString('latin1');
  const m = /\r?\n\r?\n/.exec(s);
  if (!m) return { head: s, body: Buffer.alloc(0) };
  return { head: s.slice(0, m.index), body: raw.subarray(m.index) };
}

function headerLines(head: string): string[] {
  const out: string[] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && out.length) out[out.length - 1] += '\r\n' + line;
    else out.push(line);
  }
  return out;
}

function addressesIn(lines: string[], names: string[]): string[] {
  const out: string[] = [];
  const flat = (list: ReturnType<typeof addressparser>): void => {
    for (const a of list) {
      if ('group' in a && a.group) flat(a.group);
      else if ('address' in a && a.address) out.push(a.address);
    }
  };
  for (const l of lines) {
    const colon = l.indexOf(':');
    if (colon < 0 || !names.includes(l.slice(0, colon).trim().toLowerCase())) continue;
    flat(addressparser(l.slice(colon + 1).replace(/\r\n[ \t]/g, ' ')));
  }
  return out;
}

export interface PreparedMessage {
  /** What goes to the MTA (no Bcc header). */
  wire: Buffer;
  /** What is stored as the Sent copy (Bcc kept, as Exchange shows it to the sender). */
  stored: Buffer;
  recipients: string[];
  from?: string;
}

export function prepareOutgoing(raw: Buffer, opts: { extraBcc: string[]; domain: string; now?: Date }): PreparedMessage {
  const { head, body } = splitHead(raw);
  let lines = headerLines(head);
  const has = (n: string) => lines.some((l) => l.toLowerCase().startsWith(n.toLowerCase() + ':'));
  const added: string[] = [];
  if (!has('Date')) added.push(`Date: ${(opts.now ?? new Date()).toUTCString().replace('GMT', '+0000')}`);
  if (!has('Message-ID')) added.push(`Message-ID: <${randomUUID()}@${opts.domain}>`);
  lines = [...added, ...lines];
  const recipients = [...new Set([...addressesIn(lines, ['to', 'cc', 'bcc']), ...opts.extraBcc].map((a) => a.trim()).filter(Boolean))];
  const from = addressesIn(lines, ['sender'])[0] ?? addressesIn(lines, ['from'])[0];
  const wireLines = lines.filter((l) => !/^bcc\s*:/i.test(l));
  return {
    wire: Buffer.concat([Buffer.from(wireLines.join('\r\n'), 'latin1'), body]),
    stored: Buffer.concat([Buffer.from(lines.join('\r\n'), 'latin1'), body]),
    recipients,
    from,
  };
}
