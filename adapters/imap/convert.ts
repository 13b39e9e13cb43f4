// imapflow's shapes → the MailStore port's shapes.
import type { MessageAddressObject, MessageEnvelopeObject, MessageStructureObject } from 'imapflow';
import type { MessageAddress, MessageEnvelope, MimePart } from '../../src/ports/mail-store.js';

/** Mailboxes only: ENVELOPE marks an RFC 5322 group with address-less start and end entries. */
function addresses(list: MessageAddressObject[] | undefined): MessageAddress[] {
  return (list ?? []).filter((a) => a.address && a.address.includes('@')).map((a) => ({ name: a.name || undefined, address: a.address }));
}

export function toEnvelope(e: MessageEnvelopeObject): MessageEnvelope {
  return {
    date: e.date ? new Date(e.date) : undefined,
    subject: e.subject,
    messageId: e.messageId,
    inReplyTo: e.inReplyTo,
    from: addresses(e.from),
    sender: addresses(e.sender),
    replyTo: addresses(e.replyTo),
    to: addresses(e.to),
    cc: addresses(e.cc),
    bcc: addresses(e.bcc),
  };
}

export function toMimePart(s: MessageStructureObject): MimePart {
  return {
    part: s.part ?? '',
    type: (s.type ?? 'text/plain').toLowerCase(),
    parameters: lowerKeys(s.parameters),
    id: s.id,
    encoding: s.encoding?.toLowerCase(),
    size: s.size,
    disposition: s.disposition?.toLowerCase(),
    dispositionParameters: lowerKeys(s.dispositionParameters),
    children: (s.childNodes ?? []).map(toMimePart),
  };
}

function lowerKeys(o: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o ?? {})) out[k.toLowerCase()] = v;
  return out;
}

/** A compact UID set: [1,2,3,7] → "1:3,7". */
export function uidSet(uids: number[]): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}:${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** An ESORT result set, in the order given: "7,3:5,9:8" is 7, 3, 4, 5, 9, 8 (RFC 5267 keeps the sort order). */
export function orderedSet(set: string): number[] {
  const out: number[] = [];
  if (!set || set.toUpperCase() === 'NIL') return out;
  for (const part of set.split(',')) {
    const [a, b] = part.split(':').map(Number);
    if (!Number.isInteger(a) || a <= 0) continue;
    if (b === undefined) out.push(a);
    else if (Number.isInteger(b) && b > 0) {
      const step = a <= b ? 1 : -1;
      for (let n = a; n !== b + step; n += step) out.push(n);
    }
  }
  return out;
}
