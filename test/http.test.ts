// The HTTP and SOAP surface: authentication both ways, routing, headers, faults
// for malformed input, a backend that goes away and comes back, and logs that
// never hold a password.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as http from 'node:http';
import soap from 'soap';
import { operationNames } from '../src/ews/registry.js';
import type { TestUser } from './harness/backends.js';
import { M, all, basic, codes, envelope, ews, one, post, startTestGateway, text, type TestGateway } from './support/gateway.js';

let tg: TestGateway;
let user: TestUser;

const getInbox = `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>`;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
});

after(async () => {
  await tg.close();
});

function faultCode(doc: ReturnType<typeof one>['ownerDocument']): string | undefined {
  return all(doc!, 'ResponseCode', 'http://schemas.microsoft.com/exchange/services/2006/errors')[0]?.textContent ?? undefined;
}

describe('authentication', () => {
  test('challenge first: no credentials get 401 with a Basic challenge, then the retry works (DavMail)', async () => {
    const first = await post(tg.ewsUrl, null, envelope(getInbox, null));
    assert.equal(first.status, 401);
    const res = await fetch(tg.ewsUrl, { method: 'POST', body: envelope(getInbox, null), headers: { 'Content-Type': 'text/xml' } });
    assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm="[^"]+"$/);
    const second = await post(tg.ewsUrl, user, envelope(getInbox, null));
    assert.equal(second.status, 200);
    assert.deepEqual(codes(second.doc), ['NoError']);
  });

  test('a wrong password is a 401, never a 500', async () => {
    const r = await post(tg.ewsUrl, { email: user.email, password: 'wrong' }, envelope(getInbox));
    assert.equal(r.status, 401);
  });

  test('the lower-case path DavMail uses and the GET probe answer 401 then 200, never 404/405', async () => {
    const url = tg.ewsUrl.replace('/EWS/Exchange.asmx', '/ews/exchange.asmx');
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: { Authorization: basic(user) } })).status, 200);
    const r = await post(url, user, envelope(getInbox, null));
    assert.equal(r.status, 200);
    assert.equal(r.contentType, 'text/xml; charset=utf-8');
  });

  test('backend sessions are pooled per user and credential', async () => {
    const before = tg.gateway.mailboxes.connections();
    await Promise.all([1, 2, 3, 4].map(() => ews(tg, user, getInbox)));
    const after = tg.gateway.mailboxes.connections();
    assert.ok(after - before <= 1, `${before} -> ${after}`);
  });

  test('idle backend sessions are closed', async () => {
    const quick = await startTestGateway({ sessionIdleSeconds: '1' });
    try {
      assert.deepEqual(codes((await ews(quick, user, getInbox)).doc), ['NoError']);
      assert.equal(quick.gateway.mailboxes.connections(), 1);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(quick.gateway.mailboxes.connections(), 0);
    } finally {
      await quick.close();
    }
  });

  test('Expect: 100-continue is answered (Apple Mail)', async () => {
    const url = new URL(tg.ewsUrl);
    const body = envelope(getInbox);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { Expect: '100-continue', Authorization: basic(user), 'Content-Type': 'text/xml', 'Content-Length': Buffer.byteLength(body) } });
      req.on('continue', () => req.end(body));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    assert.equal(status, 200);
  });
});

describe('SOAP core', () => {
  test('every RequestServerVersion clients send is accepted, and ServerVersionInfo is consistent', async () => {
    for (const v of ['Exchange2007', 'Exchange2007_SP1', 'Exchange2010_SP2', 'Exchange2013', 'Exchange2013_SP1', 'Exchange2016', 'V2015_10_05', 'V2017_07_11', 'V2018_01_08']) {
      const r = await ews(tg, user, getInbox, v);
      assert.deepEqual(codes(r.doc), ['NoError'], v);
      const info = one(r.doc, 'ServerVersionInfo');
      assert.equal(info.getAttribute('MajorVersion'), '15');
      assert.equal(info.getAttribute('MinorVersion'), '1');
      assert.equal(info.getAttribute('Version'), 'V2017_07_11');
    }
  });

  test('an unknown version is an ErrorInvalidServerVersion fault', async () => {
    const r = await ews(tg, user, getInbox, 'Exchange2099');
    assert.equal(r.status, 500);
    assert.equal(faultCode(r.doc), 'ErrorInvalidServerVersion');
  });

  test('not XML, a DTD, a depth bomb and an unknown operation are schema-validation faults', async () => {
    const cases = [
      'this is not xml',
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&a;</soap:Body></soap:Envelope>',
      envelope('<x>'.repeat(500) + '</x>'.repeat(500)),
      envelope('<m:FrobnicateFolder/>'),
      envelope('<GetFolder xmlns="urn:not-ews"/>'),
      '<html><body>hi</body></html>',
      envelope(''),
    ];
    for (const body of cases) {
      const r = await post(tg.ewsUrl, user, body);
      assert.equal(r.status, 500, body.slice(0, 60));
      assert.equal(r.contentType, 'text/xml; charset=utf-8');
      assert.equal(faultCode(r.doc), 'ErrorSchemaValidation', body.slice(0, 60));
    }
  });

  test('a SOAP 1.2 envelope is answered in SOAP 1.2', async () => {
    const body = `<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types" xmlns:m="${M}"><s:Header><t:RequestServerVersion Version="Exchange2010"/></s:Header><s:Body>${getInbox}</s:Body></s:Envelope>`;
    const r = await post(tg.ewsUrl, user, body);
    assert.equal(r.status, 200);
    assert.equal(r.doc.documentElement!.namespaceURI, 'http://www.w3.org/2003/05/soap-envelope');
    assert.deepEqual(codes(r.doc), ['NoError']);
  });

  test('ExchangeImpersonation is refused with ErrorImpersonationDenied', async () => {
    const r = await post(
      tg.ewsUrl,
      user,
      envelope(getInbox, 'Exchange2013', '<t:ExchangeImpersonation><t:ConnectingSID><t:PrimarySmtpAddress>boss@example.test</t:PrimarySmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>'),
    );
    assert.equal(r.status, 500);
    assert.equal(faultCode(r.doc), 'ErrorImpersonationDenied');
  });

  test('a known operation this server lacks still answers in its own shape', async () => {
    const r = await ews(tg, user, '<m:GetInboxRules><m:MailboxSmtpAddress>x@example.test</m:MailboxSmtpAddress></m:GetInboxRules>');
    assert.equal(r.status, 200);
    assert.equal(all(r.doc, 'GetInboxRulesResponseMessage', M).length, 1);
  });

  test('parsing by namespace, not by prefix (Thunderbird default namespace, evolution SOAP-ENV)', async () => {
    const body = `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:messages="${M}" xmlns="http://schemas.microsoft.com/exchange/services/2006/types"><SOAP-ENV:Header><RequestServerVersion Version="Exchange2007_SP1"/></SOAP-ENV:Header><SOAP-ENV:Body><messages:GetFolder><messages:FolderShape><BaseShape>Default</BaseShape></messages:FolderShape><messages:FolderIds><DistinguishedFolderId Id="inbox"/></messages:FolderIds></messages:GetFolder></SOAP-ENV:Body></SOAP-ENV:Envelope>`;
    const r = await post(tg.ewsUrl, user, body);
    assert.deepEqual(codes(r.doc), ['NoError']);
    assert.equal(text(r.doc, 'DisplayName'), 'Inbox');
  });

  test('oversized requests are refused without reading them', async () => {
    const small = await startTestGateway({ maxRequestBytes: '4096' });
    try {
      const r = await post(small.ewsUrl, user, envelope(getInbox + ' '.repeat(10_000)));
      assert.equal(r.status, 413);
    } finally {
      await small.close();
    }
  });
});

describe('routing', () => {
  test('health, schema documents and 404 without an upstream', async () => {
    const base = tg.gateway.url;
    const health = await fetch(`${base}/ewsgate/health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    for (const p of ['/EWS/Services.wsdl', '/EWS/messages.xsd', '/EWS/types.xsd']) {
      const r = await fetch(base + p);
      assert.equal(r.status, 200, p);
      assert.equal(r.headers.get('content-type'), 'text/xml; charset=utf-8');
    }
    assert.equal((await fetch(`${base}/owa/`)).status, 404);
  });

  test('the served WSDL declares exactly the operations of the dispatch table', async () => {
    const client = await soap.createClientAsync(`${tg.gateway.url}/EWS/Services.wsdl`);
    const described = client.describe() as Record<string, Record<string, Record<string, unknown>>>;
    const ops = Object.values(described).flatMap((svc) => Object.values(svc).flatMap((port) => Object.keys(port)));
    assert.deepEqual([...ops].sort(), [...operationNames].sort());
  });

  test('every other path (and WebSocket upgrades) pass through to the upstream', async () => {
    const upstream = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Upstream': 'yes' });
      res.end(`upstream saw ${req.method} ${req.url}`);
    });
    upstream.on('upgrade', (req, socket) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Upstream: ws\r\n\r\n');
      socket.end();
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as net.AddressInfo).port;
    const gw = await startTestGateway({ upstream: `http://127.0.0.1:${port}` });
    try {
      const r = await fetch(`${gw.gateway.url}/nextcloud/index.php?x=1`);
      assert.equal(r.status, 200);
      assert.equal(await r.text(), 'upstream saw GET /nextcloud/index.php?x=1');
      const gwUrl = new URL(gw.gateway.url);
      const upgraded = await new Promise<string>((resolve, reject) => {
        const req = http.request({ host: gwUrl.hostname, port: gwUrl.port, path: '/push/ws', headers: { Connection: 'Upgrade', Upgrade: 'websocket' } });
        req.on('upgrade', (res, socket) => {
          socket.destroy();
          resolve(String(res.headers['x-upstream']));
        });
        req.on('response', () => reject(new Error('no upgrade')));
        req.on('error', reject);
        req.end();
      });
      assert.equal(upgraded, 'ws');
      // EWS itself is never passed through.
      assert.equal((await fetch(gw.ewsUrl)).status, 401);
    } finally {
      await gw.close();
      upstream.close();
    }
  });
});

describe('autodiscover over HTTP', () => {
  const pox = (email: string) =>
    `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>${email}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;

  test('POX answers the authenticated user with the EWS URL; unauthenticated requests get the Basic challenge', async () => {
    const url = `${tg.gateway.url}/Autodiscover/Autodiscover.xml`;
    const anon = await fetch(url, { method: 'POST', body: pox(user.email), headers: { 'Content-Type': 'text/xml' } });
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal(anon.headers.get('x-soap-enabled'), 'True');
    const r = await post(url, user, pox(user.email));
    assert.equal(r.status, 200);
    const ewsUrls = all(r.doc, 'EwsUrl', 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a').map((e) => e.textContent);
    assert.ok(ewsUrls.length >= 1);
    for (const u of ewsUrls) assert.equal(u, tg.ewsUrl);
  });

  test('JSON autodiscover (Outlook for Mac) names the EWS URL', async () => {
    const r = await fetch(`${tg.gateway.url}/autodiscover/autodiscover.json?Email=${encodeURIComponent(user.email)}&Protocol=ews`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { Protocol: 'EWS', Url: tg.ewsUrl });
  });
});

describe('a backend that goes away', () => {
  test('answers ErrorMailboxStoreUnavailable in the operation shape, and recovers when it is back', async () => {
    // A TCP relay in front of Dovecot that the test can cut.
    const sockets = new Set<net.Socket>();
    let relay = net.createServer((client) => {
      const upstream = net.connect(tg.backends.imapPort, '127.0.0.1');
      sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const port = (relay.address() as net.AddressInfo).port;
    const gw = await startTestGateway({ imap: `imap://127.0.0.1:${port}` });
    const server = relay;
    try {
      assert.deepEqual(codes((await ews(gw, user, getInbox)).doc), ['NoError']);
      await new Promise<void>((r) => {
        server.close(() => r());
        for (const s of sockets) s.destroy();
      });
      const down = await ews(gw, user, getInbox);
      assert.equal(down.status, 200);
      assert.equal(all(down.doc, 'GetFolderResponseMessage', M).length, 1);
      assert.deepEqual(codes(down.doc), ['ErrorMailboxStoreUnavailable']);
      relay = net.createServer((client) => {
        const upstream = net.connect(tg.backends.imapPort, '127.0.0.1');
        client.pipe(upstream).pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((r) => relay.listen(port, '127.0.0.1', r));
      assert.deepEqual(codes((await ews(gw, user, getInbox)).doc), ['NoError']);
    } finally {
      await gw.close();
      relay.close();
    }
  });
});

describe('logs', () => {
  test('hold no password and no Authorization header', async () => {
    await post(tg.ewsUrl, { email: user.email, password: 'not-the-password-xyz' }, envelope(getInbox));
    await ews(tg, user, getInbox);
    const logs = tg.logLines.join('\n');
    assert.ok(logs.length > 0);
    assert.ok(logs.includes(user.email), 'the log does name the user');
    assert.ok(!logs.includes(user.password), 'no password');
    assert.ok(!logs.includes('not-the-password-xyz'), 'no wrong password either');
    assert.ok(!logs.includes(Buffer.from(`${user.email}:${user.password}`).toString('base64')), 'no Authorization header');
  });
});
