// Small clients for talking to the test backends directly (not through ewsgate).

import * as net from 'node:net';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import type { Backends, TestUser } from './backends.js';

/** A not-yet-connected imapflow client for `user` (plain TCP, logger off). */
export function imapClient(b: Backends, user: Pick<TestUser, 'email' | 'password'>, opts: Partial<ImapFlowOptions> = {}): ImapFlow {
  return new ImapFlow({
    host: '127.0.0.1',
    port: b.imapPort,
    secure: false,
    doSTARTTLS: false,
    auth: { user: user.email, pass: user.password },
    logger: false,
    ...opts,
  });
}

/** Runs `fn` with a connected, logged-in imapflow client and logs out afterwards. */
export async function withImap<T>(
  b: Backends,
  user: Pick<TestUser, 'email' | 'password'>,
  fn: (client: ImapFlow) => Promise<T>,
  opts: Partial<ImapFlowOptions> = {},
): Promise<T> {
  const client = imapClient(b, user, opts);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

function imapQuote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * Logs in with plain LOGIN and runs raw IMAP commands (without tags) one
 * after the other; returns, per command, the untagged lines and the tagged
 * status line. For things imapflow does not expose, e.g. `STATUS INBOX (X-GUID)`.
 * Commands must not need continuation (+) responses.
 */
export async function imapRaw(
  b: Backends,
  user: Pick<TestUser, 'email' | 'password'>,
  commands: string[],
  timeoutMs = 10_000,
): Promise<{ command: string; untagged: string[]; status: string }[]> {
  const sock = net.connect({ host: '127.0.0.1', port: b.imapPort });
  sock.setEncoding('utf8');
  let buf = '';
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  let failure: Error | null = null;
  sock.on('data', (d: string) => {
    buf += d;
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 2);
    }
    wake?.();
  });
  sock.on('error', (e) => {
    failure = e;
    wake?.();
  });
  sock.on('close', () => {
    failure ??= new Error('IMAP connection closed');
    wake?.();
  });
  const timer = setTimeout(() => {
    failure = new Error(`imapRaw timed out after ${timeoutMs} ms`);
    sock.destroy();
    wake?.();
  }, timeoutMs);

  const nextLine = async (): Promise<string> => {
    while (lines.length === 0) {
      if (failure) throw failure;
      await new Promise<void>((r) => (wake = r));
      wake = null;
    }
    return lines.shift()!;
  };
  const run = async (tag: string, command: string) => {
    sock.write(`${tag} ${command}\r\n`);
    const untagged: string[] = [];
    for (;;) {
      const line = await nextLine();
      if (line.startsWith(`${tag} `)) return { command, untagged, status: line.slice(tag.length + 1) };
      untagged.push(line);
    }
  };

  try {
    const greeting = await nextLine();
    if (!greeting.startsWith('* OK')) throw new Error(`unexpected IMAP greeting: ${greeting}`);
    const login = await run('L', `LOGIN ${imapQuote(user.email)} ${imapQuote(user.password)}`);
    if (!login.status.startsWith('OK')) throw new Error(`IMAP LOGIN failed: ${login.status}`);
    const results = [];
    for (let i = 0; i < commands.length; i++) results.push(await run(`C${i + 1}`, commands[i]!));
    await run('Z', 'LOGOUT').catch(() => undefined);
    return results;
  } finally {
    clearTimeout(timer);
    sock.destroy();
  }
}

export function basicAuth(user: Pick<TestUser, 'email' | 'password'>): string {
  return 'Basic ' + Buffer.from(`${user.email}:${user.password}`, 'utf8').toString('base64');
}

/** URL of a path on Radicale; `path` may be absolute ("/u@example.test/") or relative to davUrl. */
export function davUrlOf(b: Backends, path: string): string {
  return new URL(path.replace(/^\//, ''), b.davUrl).toString();
}

/** The user's principal / home collection on Radicale: /<email>/ */
export function davHomeUrl(b: Backends, user: Pick<TestUser, 'email'>): string {
  return davUrlOf(b, `${user.email}/`);
}

/** A request to Radicale as `user` (null: anonymous). Body strings are sent as UTF-8. */
export async function davRequest(
  b: Backends,
  user: Pick<TestUser, 'email' | 'password'> | null,
  method: string,
  path: string,
  init: { body?: string | Buffer; headers?: Record<string, string>; depth?: '0' | '1' | 'infinity' } = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  if (user) headers.Authorization = basicAuth(user);
  if (init.depth !== undefined) headers.Depth = init.depth;
  if (init.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['Content-Type'] = 'application/xml; charset=utf-8';
  }
  return fetch(path.startsWith('http') ? path : davUrlOf(b, path), {
    method,
    headers,
    body: typeof init.body === 'string' || init.body === undefined ? init.body : new Uint8Array(init.body),
    signal: AbortSignal.timeout(10_000),
  });
}

/**
 * Waits (bounded) until a message whose Subject contains `subject` is in the user's
 * folder, as delivery through Postfix → LMTP takes a moment; answers its source (the
 * newest such message unless `which` says 'first').
 */
export async function waitForMessage(
  b: Backends,
  user: Pick<TestUser, 'email' | 'password'>,
  subject: string,
  opts: { folder?: string; timeoutMs?: number; which?: 'first' | 'last' } = {},
): Promise<Buffer> {
  const folder = opts.folder ?? 'INBOX';
  const until = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    const found = await withImap(b, user, async (c) => {
      await c.mailboxOpen(folder);
      const uids = await c.search({ header: { subject } }, { uid: true });
      if (!uids || !uids.length) return undefined;
      const uid = opts.which === 'first' ? uids[0] : uids[uids.length - 1];
      for await (const m of c.fetch(String(uid), { source: true }, { uid: true })) return m.source;
      return undefined;
    });
    if (found) return found;
    if (Date.now() > until) throw new Error(`"${subject}" did not arrive in ${user.email}'s ${folder}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
