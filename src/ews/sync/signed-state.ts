// Self-contained, signed state strings (sync states, later watermarks): any
// instance that shares the secret can continue them, and a corrupt or forged one
// is recognised rather than trusted.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';

export function sealState(kind: string, payload: unknown, secret: Buffer): string {
  const body = deflateRawSync(Buffer.from(JSON.stringify(payload))).toString('base64url');
  return `${kind}.${body}.${mac(kind, body, secret)}`;
}

/** The payload, or undefined for anything not sealed by us for this kind. */
export function openState<T>(kind: string, state: string, secret: Buffer): T | undefined {
  const parts = state.trim().split('.');
  if (parts.length !== 3 || parts[0] !== kind) return undefined;
  const expected = Buffer.from(mac(kind, parts[1], secret));
  const given = Buffer.from(parts[2]);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    return JSON.parse(inflateRawSync(Buffer.from(parts[1], 'base64url'), { maxOutputLength: 64 * 1024 * 1024 }).toString()) as T;
  } catch {
    return undefined;
  }
}

function mac(kind: string, body: string, secret: Buffer): string {
  return createHmac('sha256', secret).update(kind).update('.').update(body).digest('base64url').slice(0, 22);
}
