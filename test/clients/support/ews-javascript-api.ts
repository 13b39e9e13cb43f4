// What the ews-javascript-api tests share: an ExchangeService on the gateway that keeps every
// SOAP request and response, and test steps whose failure message carries the SOAP calls of
// the step (a client nobody here wrote fails with its own errors; the wire says why).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExchangeService, ExchangeVersion, ServiceError, ServiceResponseException, Uri, WebCredentials } from 'ews-javascript-api';

export interface Exchange {
  /** whose service made the call (a test with two users tells them apart) */
  who: string;
  request: string;
  status: number | string;
  response: string;
}
/** Every SOAP call of the services made by serviceFor, in order. */
export const exchanges: Exchange[] = [];

/** Wraps the service's XHR API so that every SOAP request and response is kept. */
function captureXml(service: ExchangeService, who: string): void {
  type XhrApi = ExchangeService['XHRApi'];
  const inner: XhrApi = service.XHRApi;
  service.XHRApi = {
    apiName: 'capture',
    async xhr(options, progress) {
      try {
        const res = await inner.xhr(options, progress);
        exchanges.push({ who, request: String(options.data ?? ''), status: res.status, response: String(res.responseText ?? '') });
        return res;
      } catch (e) {
        const r = e as { status?: number; responseText?: string; message?: string };
        exchanges.push({ who, request: String(options.data ?? ''), status: r?.status ?? 'error', response: String(r?.responseText ?? r?.message ?? e) });
        throw e;
      }
    },
    xhrStream: (options, progress) => inner.xhrStream(options, progress),
    disconnect: () => inner.disconnect(),
  };
}

/** An Exchange 2013 service at the gateway's EWS URL, logged in as the user, its SOAP calls kept. */
export function serviceFor(ewsUrl: string, who: { email: string; password: string }, label = 'user'): ExchangeService {
  const service = new ExchangeService(ExchangeVersion.Exchange2013);
  service.Credentials = new WebCredentials(who.email, who.password);
  service.Url = new Uri(ewsUrl);
  captureXml(service, label);
  return service;
}

/** The SOAP Body of a message (the envelope's header is noise), at most `max` characters. */
export function soapBody(xml: string, max = Infinity): string {
  const i = xml.search(/<[A-Za-z0-9]+:Body[\s>]/);
  const body = i >= 0 ? xml.slice(i) : xml;
  return body.length > max ? `${body.slice(0, max)} ...[${body.length - max} more chars]` : body;
}

/** The last SOAP calls since `mark`: the last one in full, earlier ones cut short. */
function exchangesSince(mark: number, last = 3): string {
  const xs = exchanges.slice(mark).slice(-last);
  return xs
    .map((x, i) => {
      const max = i === xs.length - 1 ? 8000 : 700;
      return `>>> request (${x.who})\n${soapBody(x.request, max)}\n<<< HTTP ${x.status}\n${soapBody(x.response, max)}`;
    })
    .join('\n');
}

function describeError(e: unknown): string {
  if (e instanceof ServiceResponseException) return `ServiceResponseException ${ServiceError[e.ErrorCode]}: ${e.Message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}`;
  if (e && typeof e === 'object') {
    const o = e as Record<string, unknown>;
    return `${o.constructor?.name ?? 'object'}: ${String(o.message ?? '')} ${o.Name ? `(property ${String(o.Name)})` : ''}`.trim();
  }
  return String(e);
}

/** A test step; on failure the message gets the SOAP exchanges of this step appended. */
export function step(name: string, fn: () => Promise<void>): void {
  test(name, async () => {
    const mark = exchanges.length;
    try {
      await fn();
    } catch (e) {
      const xml = exchangesSince(mark);
      const err = new assert.AssertionError({ message: `${describeError(e)}${xml ? `\n${xml}` : ''}` });
      if (e instanceof Error && e.stack) err.stack = `${err.message}\n--- original stack ---\n${e.stack}`;
      throw err;
    }
  });
}

/** The EWS error code an operation fails with (throws if it does not fail). */
export async function ewsErrorOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ServiceResponseException) return ServiceError[e.ErrorCode] ?? String(e.ErrorCode);
    throw e;
  }
  throw new Error('expected the call to fail, it succeeded');
}
