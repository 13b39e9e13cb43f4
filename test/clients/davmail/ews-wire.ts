// EWS requests sent the way DavMail 6 sends them (../../../../shared/captures/
// davmail-6.0.1.txt): challenge-first Basic (every POST goes out without
// credentials, gets 401 + WWW-Authenticate, and is sent again with them), the
// lower-case /ews/exchange.asmx path, `Content-Type: text/xml; charset=UTF-8`,
// DavMail's User-Agent and `Accept-Encoding: gzip`, and DavMail's envelope
// with the soap:/t:/m: prefixes and no XML declaration. The bodies come from
// fixtures/requests/davmail-*.xml, extracted from that capture byte for byte.

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import type { Document } from '@xmldom/xmldom';
import { FIXTURES_DIR } from '../../harness/seed.js';

export const DAVMAIL_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.93 Safari/537.36 Edg/90.0.818.49';

/** A captured DavMail request body: fixtures/requests/davmail-<name>.xml, exactly as sent. */
export function davmailRequest(name: string): string {
  return fs.readFileSync(path.join(FIXTURES_DIR, 'requests', `davmail-${name}.xml`), 'utf8');
}

export interface WireReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** the Content-Type header exactly as sent */
  contentType: string | undefined;
  text: string;
  doc: Document;
}

/** The lower-case EWS URL DavMail posts to, on the gateway at `ewsUrl`. */
export function davmailUrl(ewsUrl: string): string {
  const u = new URL(ewsUrl);
  return `${u.protocol}//${u.host}/ews/exchange.asmx`;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** One HTTP request with DavMail's headers (node:http, so nothing else is added). */
export function wire(
  method: 'GET' | 'POST',
  url: string,
  body: string | null,
  auth: { email: string; password: string } | null,
  extraHeaders: Record<string, string> = {},
): Promise<WireReply> {
  const u = new URL(url);
  const payload = body === null ? undefined : Buffer.from(body, 'utf8');
  const headers: Record<string, string> =
    method === 'GET'
      ? { Host: u.host, Connection: 'Keep-Alive', 'User-Agent': DAVMAIL_USER_AGENT, 'Accept-Encoding': 'gzip,deflate' }
      : {
          'Accept-Encoding': 'gzip',
          'Content-Length': String(payload?.length ?? 0),
          'Content-Type': 'text/xml; charset=UTF-8',
          Host: u.host,
          Connection: 'Keep-Alive',
          'User-Agent': DAVMAIL_USER_AGENT,
        };
  if (auth) headers.Authorization = 'Basic ' + Buffer.from(`${auth.email}:${auth.password}`, 'utf8').toString('base64');
  Object.assign(headers, extraHeaders);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        let raw = Buffer.concat(chunks);
        const enc = String(res.headers['content-encoding'] ?? '').toLowerCase();
        try {
          if (enc === 'gzip') raw = zlib.gunzipSync(raw);
          else if (enc === 'deflate') raw = zlib.inflateSync(raw);
        } catch (e) {
          reject(new Error(`cannot decode a ${enc} response: ${(e as Error).message}`));
          return;
        }
        const text = raw.toString('utf8');
        let doc: Document;
        try {
          doc = new DOMParser({ onError: () => undefined }).parseFromString(text.startsWith('<') ? text : '<none/>', 'text/xml');
        } catch {
          doc = new DOMParser().parseFromString('<none/>', 'text/xml');
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, contentType: res.headers['content-type'], text, doc });
      });
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export interface DavmailExchange {
  /** the unauthenticated first attempt */
  challenge: WireReply;
  /** the retry with credentials */
  reply: WireReply;
}

/**
 * POSTs `body` as DavMail does: first without credentials (expects the 401
 * challenge), then again with Basic credentials.
 */
export async function davmailPost(ewsUrl: string, user: { email: string; password: string }, body: string): Promise<DavmailExchange> {
  const url = davmailUrl(ewsUrl);
  const challenge = await wire('POST', url, body, null);
  const reply = await wire('POST', url, body, user);
  return { challenge, reply };
}
