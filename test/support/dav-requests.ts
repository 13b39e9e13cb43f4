// Records what this test process sends to a DAV server, by HTTP method or REPORT kind,
// so a test can tell how many round trips (and which) a read cost. It wraps the real
// fetch: the requests still go to the real server.
import { after, before } from 'node:test';

/** Installs the recorder for the file's tests; `sent` lists e.g. "PROPFIND", "sync-collection", "calendar-multiget". */
export function recordDavRequests(): { sent: string[] } {
  const sent: string[] = [];
  const realFetch = globalThis.fetch;
  before(() => {
    globalThis.fetch = async (input: string | URL | Request, init?: RequestInit) => {
      const body = typeof init?.body === 'string' ? init.body : '';
      const report = /<(?:\w+:)?(calendar-query|calendar-multiget|addressbook-query|addressbook-multiget|sync-collection)\b/.exec(body)?.[1];
      sent.push(report ?? init?.method ?? 'GET');
      return realFetch(input, init);
    };
  });
  after(() => {
    globalThis.fetch = realFetch;
  });
  return { sent };
}
