// Starts an in-process gateway in front of the run's real backends (test/run.ts
// starts Dovecot and Radicale once), and speaks SOAP to it the way clients do.
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element } from '@xmldom/xmldom';
import { loadConfig } from '../../src/config.js';
import { startGateway, type Gateway } from '../../src/server/http.js';
import { createLogger } from '../../src/server/log.js';
import { backendsFromEnv, type Backends, type TestUser } from '../harness/backends.js';

export const M = 'http://schemas.microsoft.com/exchange/services/2006/messages';
export const T = 'http://schemas.microsoft.com/exchange/services/2006/types';

export interface TestGateway {
  gateway: Gateway;
  backends: Backends;
  ewsUrl: string;
  logLines: string[];
  close(): Promise<void>;
}

export async function startTestGateway(overrides: Record<string, string> = {}): Promise<TestGateway> {
  const backends = backendsFromEnv();
  const logLines: string[] = [];
  const config = loadConfig({
    env: {},
    flags: {
      listen: '127.0.0.1:0',
      imap: backends.imapUrl,
      // The harness's Postfix trusts loopback and has no AUTH.
      smtp: `${backends.smtpUrl}?auth=none`,
      caldav: backends.davUrl,
      carddav: backends.davUrl,
      mailDomain: 'example.test',
      logLevel: 'debug',
      sessionIdleSeconds: '5',
      ...overrides,
    },
  });
  const gateway = await startGateway(config, createLogger('debug', (l) => logLines.push(l)));
  return { gateway, backends, ewsUrl: `${gateway.url}/EWS/Exchange.asmx`, logLines, close: () => gateway.close() };
}

export function envelope(body: string, version: string | null = 'Exchange2013_SP1', extraHeader = ''): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:t="${T}" xmlns:m="${M}">` +
    `<soap:Header>${version ? `<t:RequestServerVersion Version="${version}"/>` : ''}${extraHeader}</soap:Header>` +
    `<soap:Body>${body}</soap:Body></soap:Envelope>`
  );
}

export function basic(user: Pick<TestUser, 'email' | 'password'>): string {
  return 'Basic ' + Buffer.from(`${user.email}:${user.password}`).toString('base64');
}

export interface EwsReply {
  status: number;
  contentType: string | null;
  text: string;
  doc: Document;
}

export async function post(url: string, user: Pick<TestUser, 'email' | 'password'> | null, body: string, headers: Record<string, string> = {}): Promise<EwsReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', ...(user ? { Authorization: basic(user) } : {}), ...headers },
    body,
  });
  const text = await res.text();
  let doc: Document;
  try {
    doc = new DOMParser().parseFromString(text, 'text/xml');
  } catch {
    doc = new DOMParser().parseFromString('<none/>', 'text/xml');
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, doc };
}

export async function ews(tg: TestGateway, user: TestUser, body: string, version: string | null = 'Exchange2013_SP1'): Promise<EwsReply> {
  return post(tg.ewsUrl, user, envelope(body, version));
}

/** All elements of that local name in the types or messages namespace, in document order. */
export function all(node: Document | Element, localName: string, ns: string = T): Element[] {
  return Array.from(node.getElementsByTagNameNS(ns, localName)) as Element[];
}

export function one(node: Document | Element, localName: string, ns: string = T): Element {
  const e = all(node, localName, ns)[0];
  if (!e) throw new Error(`no ${localName} in the response`);
  return e;
}

export function responseMessages(doc: Document): Element[] {
  const rm = all(doc, 'ResponseMessages', M)[0];
  if (!rm) return [];
  return Array.from(rm.childNodes).filter((n) => n.nodeType === 1) as Element[];
}

export function codes(doc: Document): string[] {
  return responseMessages(doc).map((m) => all(m, 'ResponseCode', M)[0]?.textContent ?? '?');
}

export function text(node: Document | Element, localName: string, ns: string = T): string | undefined {
  return all(node, localName, ns)[0]?.textContent ?? undefined;
}
