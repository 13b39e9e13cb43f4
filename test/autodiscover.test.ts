// Golden tests for POX, SOAP and JSON autodiscover: client request bodies from
// fixtures/requests/autodiscover-*.xml (the exchangelib ones were produced by Debian's
// exchangelib 4.9 itself, the ews-javascript-api ones by ews-javascript-api 0.15, the
// Thunderbird one is the body its ExchangeAutoDiscover module posts), responses parsed
// back with @xmldom/xmldom and checked for the values each client reads.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element } from '@xmldom/xmldom';
import {
  type AutodiscoverAnswer,
  answerJsonAutodiscover,
  answerPoxAutodiscover,
  answerPoxAutodiscoverGet,
  answerSoapAutodiscover,
} from '../src/autodiscover/index.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/requests/', import.meta.url));
const fixture = (name: string) => readFileSync(FIXTURES + name, 'utf8');

const USER = { email: 'user@example.test', displayName: 'Test User' };
const URLS = { ewsUrl: 'https://mail.example.test/EWS/Exchange.asmx' };
const EWS = URLS.ewsUrl;
const NOW = new Date(Date.UTC(2026, 10, 24, 9, 5, 7, 123));

const NS = {
  base: 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006',
  outlook: 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a',
  mobile: 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006',
  soap11: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  wsa: 'http://www.w3.org/2005/08/addressing',
  ans: 'http://schemas.microsoft.com/exchange/2010/Autodiscover',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
};

// ---------------------------------------------------------------- helpers

function parse(body: string): Document {
  const doc = new DOMParser({
    onError: (level, msg) => {
      if (level !== 'warning') throw new Error(`response is not well-formed XML: ${msg}`);
    },
  }).parseFromString(body, 'text/xml');
  assert.ok(doc.documentElement, 'response has a root element');
  return doc;
}

function kids(el: Element | Document, ns: string, name: string): Element[] {
  const out: Element[] = [];
  const start = 'documentElement' in el && el.nodeType === 9 ? [el.documentElement as Element] : childElements(el as Element);
  for (const c of start) if (c.namespaceURI === ns && c.localName === name) out.push(c);
  return out;
}

function childElements(el: Element): Element[] {
  const out: Element[] = [];
  for (let c = el.firstChild; c; c = c.nextSibling) if (c.nodeType === 1) out.push(c as Element);
  return out;
}

function kid(el: Element | Document | undefined, ns: string, ...names: string[]): Element | undefined {
  let cur: Element | Document | undefined = el;
  for (const n of names) {
    if (!cur) return undefined;
    cur = kids(cur, ns, n)[0];
  }
  return cur as Element | undefined;
}

function text(el: Element | undefined): string | undefined {
  return el ? (el.textContent ?? '') : undefined;
}

function assertXmlAnswer(a: AutodiscoverAnswer, status: number): Document {
  assert.equal(a.status, status);
  assert.equal(a.contentType, 'text/xml; charset=utf-8');
  assert.ok(a.body.startsWith('<?xml version="1.0" encoding="utf-8"?>'));
  return parse(a.body);
}

/** The POX Protocol element of a given Type under Response/Account, like Thunderbird and GOA look for it. */
function poxProtocol(doc: Document, type: string): Element | undefined {
  const account = kid(doc, NS.base, 'Autodiscover');
  const response = account && kids(account, NS.outlook, 'Response')[0];
  const acc = response && kid(response, NS.outlook, 'Account');
  return acc ? kids(acc, NS.outlook, 'Protocol').find((p) => text(kid(p, NS.outlook, 'Type')) === type) : undefined;
}

function poxError(doc: Document, responseNs: string) {
  const root = doc.documentElement as Element;
  assert.equal(root.namespaceURI, NS.base);
  assert.equal(root.localName, 'Autodiscover');
  const error = kid(root, responseNs, 'Response', 'Error');
  assert.ok(error, 'Response/Error is present');
  assert.match(error.getAttribute('Time') ?? '', /^\d\d:\d\d:\d\d\.\d{7}$/);
  assert.match(error.getAttribute('Id') ?? '', /^\d+$/);
  assert.ok(kid(error, responseNs, 'DebugData'), 'DebugData is present');
  return { code: text(kid(error, responseNs, 'ErrorCode')), message: text(kid(error, responseNs, 'Message')) };
}

/** exchangelib decodes ServerVersion this way (4 bits structure, 6 major, 6 minor, 1 flag, 15 build). */
function decodeServerVersion(hex: string) {
  const n = parseInt(hex, 16) >>> 0;
  return { major: (n >>> 22) & 0x3f, minor: (n >>> 16) & 0x3f, build: n & 0x7fff };
}

interface SoapParts {
  version: '1.1' | '1.2';
  envelope: Element;
  header: Element | undefined;
  body: Element;
}

function soapParts(a: AutodiscoverAnswer): SoapParts {
  const doc = parse(a.body);
  const envelope = doc.documentElement as Element;
  assert.equal(envelope.localName, 'Envelope');
  const version = envelope.namespaceURI === NS.soap11 ? '1.1' : envelope.namespaceURI === NS.soap12 ? '1.2' : undefined;
  assert.ok(version, `unexpected envelope namespace ${envelope.namespaceURI}`);
  const envNs = version === '1.1' ? NS.soap11 : NS.soap12;
  assert.equal(a.contentType, version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8');
  const body = kid(envelope, envNs, 'Body');
  assert.ok(body);
  return { version, envelope, header: kid(envelope, envNs, 'Header'), body };
}

interface UserResult {
  errorCode?: string;
  settings: Map<string, { type: string | null; value: string | undefined }>;
  errors: Map<string, string | undefined>;
}

/** Reads GetUserSettings the way exchangelib's UserResponse.from_xml does. */
function userResponses(body: Element): { errorCode?: string; users: UserResult[] } {
  const response = kid(body, NS.ans, 'GetUserSettingsResponseMessage', 'Response');
  assert.ok(response, 'GetUserSettingsResponseMessage/Response');
  const users = kids(kid(response, NS.ans, 'UserResponses')!, NS.ans, 'UserResponse').map((ur) => {
    const settings = new Map<string, { type: string | null; value: string | undefined }>();
    for (const s of kids(kid(ur, NS.ans, 'UserSettings')!, NS.ans, 'UserSetting')) {
      const name = text(kid(s, NS.ans, 'Name'))!;
      assert.ok(!settings.has(name), `setting ${name} answered once`);
      settings.set(name, { type: s.getAttributeNS(NS.xsi, 'type'), value: text(kid(s, NS.ans, 'Value')) });
    }
    const errors = new Map<string, string | undefined>();
    for (const e of kids(kid(ur, NS.ans, 'UserSettingErrors')!, NS.ans, 'UserSettingError')) {
      errors.set(text(kid(e, NS.ans, 'SettingName'))!, text(kid(e, NS.ans, 'ErrorCode')));
    }
    assert.equal(kid(ur, NS.ans, 'RedirectTarget')?.getAttributeNS(NS.xsi, 'nil'), 'true');
    return { errorCode: text(kid(ur, NS.ans, 'ErrorCode')), settings, errors };
  });
  return { errorCode: text(kid(response, NS.ans, 'ErrorCode')), users };
}

function requestedSettingNames(request: string): string[] {
  return [...request.matchAll(/<a:Setting>([^<]*)<\/a:Setting>/g)].map((m) => m[1]!);
}

// ---------------------------------------------------------------- POX

describe('POX autodiscover (outlook responseschema 2006a)', () => {
  test("Thunderbird's request: EXCH and EXPR carry EwsUrl, ASUrl, OABUrl and the rest", () => {
    const a = answerPoxAutodiscover(fixture('autodiscover-thunderbird-pox.xml'), USER, URLS, { now: NOW });
    const doc = assertXmlAnswer(a, 200);
    const root = doc.documentElement as Element;
    assert.equal(root.namespaceURI, NS.base);
    const response = kid(root, NS.outlook, 'Response')!;
    assert.ok(response, 'Response in the 2006a namespace');
    assert.equal(text(kid(response, NS.outlook, 'User', 'DisplayName')), 'Test User');
    assert.equal(text(kid(response, NS.outlook, 'User', 'AutoDiscoverSMTPAddress')), 'user@example.test');
    assert.match(text(kid(response, NS.outlook, 'User', 'DeploymentId'))!, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(kid(response, NS.outlook, 'User', 'LegacyDN'), undefined);
    assert.equal(text(kid(response, NS.outlook, 'Account', 'AccountType')), 'email');
    assert.equal(text(kid(response, NS.outlook, 'Account', 'Action')), 'settings');

    for (const type of ['EXCH', 'EXPR']) {
      const p = poxProtocol(doc, type);
      assert.ok(p, `Protocol ${type}`);
      const get = (n: string) => text(kid(p, NS.outlook, n));
      assert.equal(get('EwsUrl'), EWS, `${type} EwsUrl`);
      assert.equal(get('ASUrl'), EWS, `${type} ASUrl (availability = EWS)`);
      assert.equal(get('OOFUrl'), EWS, `${type} OOFUrl`);
      assert.equal(get('EmwsUrl'), EWS, `${type} EmwsUrl`);
      assert.match(get('OABUrl')!, /^https:\/\/mail\.example\.test\/OAB\/[0-9a-f-]{36}\/$/, `${type} OABUrl`);
      assert.equal(get('UMUrl'), 'https://mail.example.test/EWS/UM2007Legacy.asmx');
      assert.equal(get('Server'), 'mail.example.test');
      assert.equal(get('AuthPackage'), 'basic');
      const sv = get('ServerVersion')!;
      assert.match(sv, /^73C1[0-9A-F]{4}$/);
      assert.deepEqual(decodeServerVersion(sv), { major: 15, minor: 1, build: 2507 });
    }
    assert.equal(text(kid(poxProtocol(doc, 'EXPR'), NS.outlook, 'SSL')), 'On');
    assert.equal(poxProtocol(doc, 'WEB'), undefined, 'no WEB without a webmail URL (Thunderbird needs OWAUrl there)');
  });

  test('what Thunderbird and GNOME Online Accounts derive from it', () => {
    const doc = parse(answerPoxAutodiscover(fixture('autodiscover-thunderbird-pox.xml'), USER, URLS).body);
    // Thunderbird: Type EXCH (or EXHTTP) → EwsUrl, falling back to ASUrl; host from that URL.
    const exch = poxProtocol(doc, 'EXCH')!;
    const tbUrl = text(kid(exch, NS.outlook, 'EwsUrl')) || text(kid(exch, NS.outlook, 'ASUrl'));
    assert.equal(new URL(tbUrl!).hostname, 'mail.example.test');
    // GOA / evolution-ews: both ASUrl and OABUrl must be non-empty on EXCH/EXPR.
    for (const type of ['EXCH', 'EXPR']) {
      const p = poxProtocol(doc, type)!;
      assert.ok(text(kid(p, NS.outlook, 'ASUrl')));
      assert.ok(text(kid(p, NS.outlook, 'OABUrl')));
    }
  });

  test("exchangelib 4.9's request: EXPR with EwsUrl, basic auth, a server version it can decode", () => {
    const doc = assertXmlAnswer(answerPoxAutodiscover(fixture('autodiscover-exchangelib-pox.xml'), USER, URLS), 200);
    const expr = poxProtocol(doc, 'EXPR')!;
    assert.equal(text(kid(expr, NS.outlook, 'EwsUrl')), EWS);
    assert.equal(text(kid(expr, NS.outlook, 'AuthPackage')), 'basic'); // exchangelib's choices are lower case
    assert.equal(text(kid(kid(doc, NS.base, 'Autodiscover'), NS.outlook, 'Response', 'Account', 'MicrosoftOnline')), 'False');
    assert.equal(text(kid(expr, NS.outlook, 'SSL')), 'On');
  });

  test('WEB protocol with OWAUrl when a webmail URL is configured', () => {
    const urls = { ...URLS, owaUrl: 'https://mail.example.test/webmail/' };
    const doc = parse(answerPoxAutodiscover(fixture('autodiscover-thunderbird-pox.xml'), USER, urls).body);
    const web = poxProtocol(doc, 'WEB');
    assert.ok(web);
    for (const side of ['Internal', 'External']) {
      const owa: Element = kid(web, NS.outlook, side, 'OWAUrl')!;
      assert.equal(text(owa), 'https://mail.example.test/webmail/');
      assert.ok(owa.getAttribute('AuthenticationMethod'));
      assert.equal(text(kid(web, NS.outlook, side, 'Protocol', 'ASUrl')), EWS);
    }
  });

  test('URLs follow the EWS mount point, port and scheme; an explicit OAB URL wins', () => {
    const urls = { ewsUrl: 'http://gw.example.test:8080/mail/ews/exchange.asmx' };
    const doc = parse(answerPoxAutodiscover(fixture('autodiscover-thunderbird-pox.xml'), USER, urls).body);
    const expr = poxProtocol(doc, 'EXPR')!;
    assert.equal(text(kid(expr, NS.outlook, 'EwsUrl')), urls.ewsUrl);
    assert.match(text(kid(expr, NS.outlook, 'OABUrl'))!, /^http:\/\/gw\.example\.test:8080\/mail\/OAB\//);
    assert.equal(text(kid(expr, NS.outlook, 'SSL')), 'Off');
    const withOab = parse(
      answerPoxAutodiscover(fixture('autodiscover-thunderbird-pox.xml'), USER, { ...URLS, oabUrl: 'https://oab.example.test/x/' }).body,
    );
    assert.equal(text(kid(poxProtocol(withOab, 'EXCH'), NS.outlook, 'OABUrl')), 'https://oab.example.test/x/');
  });

  test('the address matches without regard to case', () => {
    const req = fixture('autodiscover-thunderbird-pox.xml').replace('user@example.test', ' User@Example.TEST ');
    const doc = parse(answerPoxAutodiscover(req, USER, URLS).body);
    assert.equal(text(kid(poxProtocol(doc, 'EXCH'), NS.outlook, 'EwsUrl')), EWS);
  });

  test('display names are escaped and cleaned of characters XML cannot carry', () => {
    const user = { email: 'user@example.test', displayName: 'A <b> & "c"\u0001\uFFFF' };
    const doc = parse(answerPoxAutodiscover(fixture('autodiscover-thunderbird-pox.xml'), user, URLS).body);
    assert.equal(text(kid(doc, NS.base, 'Autodiscover')?.getElementsByTagNameNS(NS.outlook, 'DisplayName')[0]), 'A <b> & "c"');
  });

  test('another address → ErrorCode 500 in the Response/Error form, HTTP 200', () => {
    const req = fixture('autodiscover-thunderbird-pox.xml').replace('user@example.test', 'someone.else@example.test');
    const a = answerPoxAutodiscover(req, USER, URLS, { now: NOW });
    const doc = assertXmlAnswer(a, 200);
    assert.deepEqual(poxError(doc, NS.base), { code: '500', message: "The email address can't be found." });
    assert.equal((doc.documentElement as Element).getElementsByTagNameNS(NS.base, 'Error')[0]!.getAttribute('Time'), '09:05:07.1230000');
    assert.ok(!a.body.includes('someone.else'), 'the error does not echo the address');
  });

  test('an unknown AcceptableResponseSchema → ErrorCode 601', () => {
    const doc = assertXmlAnswer(answerPoxAutodiscover(fixture('autodiscover-pox-unknown-schema.xml'), USER, URLS), 200);
    assert.equal(poxError(doc, NS.base).code, '601');
  });

  test('the https:// spelling of the response schema (as printed in Microsoft docs) is accepted', () => {
    const req = fixture('autodiscover-thunderbird-pox.xml').replace(
      'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a',
      'https://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a',
    );
    assert.ok(poxProtocol(parse(answerPoxAutodiscover(req, USER, URLS).body), 'EXCH'));
  });

  test('well-formed but not an autodiscover request, or no schema/address → ErrorCode 600', () => {
    for (const body of [
      '<foo/>',
      '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>user@example.test</EMailAddress></Request></Autodiscover>',
      fixture('autodiscover-thunderbird-pox.xml').replace('<EMailAddress>user@example.test</EMailAddress>', ''),
    ]) {
      const doc = assertXmlAnswer(answerPoxAutodiscover(body, USER, URLS), 200);
      assert.equal(poxError(doc, NS.base).code, '600');
    }
    const getDoc = assertXmlAnswer(answerPoxAutodiscoverGet(URLS), 200);
    assert.equal(poxError(getDoc, NS.base).code, '600');
  });

  test('malformed XML → HTTP 400 with an Error body', () => {
    for (const body of [fixture('autodiscover-pox-malformed.xml'), '', 'not xml at all', '<a><b></a>']) {
      const doc = assertXmlAnswer(answerPoxAutodiscover(body, USER, URLS), 400);
      assert.equal(poxError(doc, NS.base).code, '600');
    }
  });

  test('a DOCTYPE / entity declaration is refused with HTTP 400, nothing is expanded', () => {
    const a = answerPoxAutodiscover(fixture('autodiscover-pox-doctype.xml'), USER, URLS);
    const doc = assertXmlAnswer(a, 400);
    assert.equal(poxError(doc, NS.base).code, '600');
    assert.ok(!a.body.includes('root:'), 'no file content');
    assert.ok(!a.body.includes('EwsUrl'));
  });
});

describe('POX autodiscover (mobilesync responseschema 2006)', () => {
  test('Action/Settings/Server of Type MobileSync with Url and Name', () => {
    const doc = assertXmlAnswer(answerPoxAutodiscover(fixture('autodiscover-mobilesync.xml'), USER, URLS), 200);
    const response = kid(doc, NS.base, 'Autodiscover')!;
    const r = kid(response, NS.mobile, 'Response')!;
    assert.ok(r, 'Response in the mobilesync namespace');
    assert.equal(text(kid(r, NS.mobile, 'Culture')), 'en:us');
    assert.equal(text(kid(r, NS.mobile, 'User', 'DisplayName')), 'Test User');
    assert.equal(text(kid(r, NS.mobile, 'User', 'EMailAddress')), 'user@example.test');
    const server = kid(r, NS.mobile, 'Action', 'Settings', 'Server')!;
    assert.equal(text(kid(server, NS.mobile, 'Type')), 'MobileSync');
    assert.equal(text(kid(server, NS.mobile, 'Url')), 'https://mail.example.test/Microsoft-Server-ActiveSync');
    assert.equal(text(kid(server, NS.mobile, 'Name')), 'https://mail.example.test/Microsoft-Server-ActiveSync');
  });

  test('another address → ErrorCode 500 under the mobilesync Response', () => {
    const req = fixture('autodiscover-mobilesync.xml').replace('user@example.test', 'other@example.test');
    const doc = assertXmlAnswer(answerPoxAutodiscover(req, USER, URLS), 200);
    assert.deepEqual(poxError(doc, NS.mobile), { code: '500', message: "The email address can't be found." });
  });
});

// ---------------------------------------------------------------- SOAP

describe('SOAP autodiscover GetUserSettings', () => {
  test("exchangelib 4.9's request: every requested setting answered, none failing (it fails on any error)", () => {
    const req = fixture('autodiscover-exchangelib-getusersettings.xml');
    const a = answerSoapAutodiscover(req, USER, URLS);
    assert.equal(a.status, 200);
    const { version, header, body } = soapParts(a);
    assert.equal(version, '1.1');

    const action = kid(header, NS.wsa, 'Action')!;
    assert.equal(text(action), 'http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettingsResponse');
    assert.equal(action.getAttributeNS(NS.soap11, 'mustUnderstand'), '1');
    const svi = kid(header, NS.ans, 'ServerVersionInfo')!;
    assert.ok(svi, 'ServerVersionInfo in the autodiscover namespace');
    assert.deepEqual(
      ['MajorVersion', 'MinorVersion', 'MajorBuildNumber', 'MinorBuildNumber', 'Version'].map((n) => text(kid(svi, NS.ans, n))),
      ['15', '1', '2507', '6', 'Exchange2016'],
    );

    const { errorCode, users } = userResponses(body);
    assert.equal(errorCode, 'NoError');
    assert.equal(users.length, 1);
    const u = users[0]!;
    assert.equal(u.errorCode, 'NoError');
    assert.equal(u.errors.size, 0, `no UserSettingErrors: ${[...u.errors.keys()].join(', ')}`);
    assert.deepEqual([...u.settings.keys()], requestedSettingNames(req));
    for (const s of u.settings.values()) assert.equal(s.type, 'StringSetting');
    assert.equal(u.settings.get('ExternalEwsUrl')?.value, EWS);
    assert.equal(u.settings.get('UserDisplayName')?.value, 'Test User');
    assert.equal(u.settings.get('AutoDiscoverSMTPAddress')?.value, 'user@example.test');
    assert.match(u.settings.get('UserDN')!.value!, /^\/o=/);
    assert.match(u.settings.get('MailboxDN')!.value!, /^\/o=/);
    // exchangelib takes the greatest schema name and must know it.
    const schemas = u.settings.get('EwsSupportedSchemas')!.value!.split(',').map((s) => s.trim());
    assert.equal([...schemas].sort().reverse()[0], 'Exchange2016');
  });

  test('all settings exchangelib knows: each answered once, names echoed verbatim, errors only of the harmless kinds', () => {
    const req = fixture('autodiscover-exchangelib-getusersettings-all.xml');
    const { users } = userResponses(soapParts(answerSoapAutodiscover(req, USER, URLS)).body);
    const u = users[0]!;
    const requested = requestedSettingNames(req);
    assert.deepEqual([...u.settings.keys(), ...u.errors.keys()].sort(), [...requested].sort());
    for (const code of u.errors.values()) assert.ok(code === 'InvalidSetting' || code === 'SettingIsNotAvailable', code);
    assert.equal(u.errors.get('EcpVoicemailUrlFragment,'), 'InvalidSetting'); // exchangelib 4.9's typo, echoed back as sent
    assert.equal(u.errors.get('PublicFolderServer'), 'SettingIsNotAvailable');
    const v = (n: string) => u.settings.get(n)?.value;
    assert.equal(v('InternalEwsUrl'), EWS);
    assert.equal(v('ExternalEwsUrl'), EWS);
    assert.match(v('ExternalOABUrl')!, /^https:\/\/mail\.example\.test\/OAB\/.+\/$/);
    assert.equal(v('InternalOABUrl'), v('ExternalOABUrl'));
    assert.equal(v('CasVersion'), '15.01.2507.006');
    assert.equal(v('ExternalEwsVersion'), '15.01.2507.006');
    assert.equal(v('InternalMailboxServer'), 'mail.example.test');
    assert.equal(v('ExternalMailboxServer'), 'mail.example.test');
    assert.equal(v('ActiveDirectoryServer'), 'mail.example.test');
    assert.equal(v('MapiHttpEnabled'), 'False');
    assert.match(v('UserDeploymentId')!, /^[0-9a-f-]{36}$/);
  });

  test('a mailbox other than the authenticated one → InvalidUser for that user response', () => {
    const req = fixture('autodiscover-exchangelib-getusersettings.xml').replace('<a:Mailbox>user@', '<a:Mailbox>boss@');
    const { errorCode, users } = userResponses(soapParts(answerSoapAutodiscover(req, USER, URLS)).body);
    assert.equal(errorCode, 'NoError');
    assert.equal(users[0]!.errorCode, 'InvalidUser');
    assert.equal(users[0]!.settings.size, 0);
  });

  test('SOAP 1.2 in → SOAP 1.2 out, RelatesTo the MessageID, one UserResponse per mailbox in order', () => {
    const a = answerSoapAutodiscover(fixture('autodiscover-soap12-getusersettings.xml'), USER, URLS);
    assert.equal(a.status, 200);
    const { version, header, body } = soapParts(a);
    assert.equal(version, '1.2');
    assert.equal(text(kid(header, NS.wsa, 'RelatesTo')), 'urn:uuid:0d6f2f7e-4a3b-4a53-9d0e-2b1c5a4e7f10');
    assert.equal(text(kid(header, NS.wsa, 'Action')), 'http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettingsResponse');
    const { users } = userResponses(body);
    assert.deepEqual(users.map((u) => u.errorCode), ['NoError', 'InvalidUser']);
    const me = users[0]!;
    assert.equal(me.settings.get('ExternalEwsUrl')?.value, EWS);
    assert.equal(me.settings.get('InternalEwsUrl')?.value, EWS);
    assert.equal(me.errors.get('NoSuchSetting'), 'InvalidSetting');
    assert.equal(me.errors.get('PublicFolderServer'), 'SettingIsNotAvailable');
  });

  test("ews-javascript-api's request (EWS Managed API shape): answers per mailbox, in order", () => {
    const { version, body } = soapParts(answerSoapAutodiscover(fixture('autodiscover-ews-javascript-api-getusersettings.xml'), USER, URLS));
    assert.equal(version, '1.1');
    const { users } = userResponses(body);
    assert.deepEqual(users.map((u) => u.errorCode), ['NoError', 'InvalidUser']);
    assert.equal(users[0]!.settings.get('ExternalEwsUrl')?.value, EWS);
    assert.equal(users[0]!.settings.get('ExternalEwsVersion')?.value, '15.01.2507.006');
    assert.equal(users[0]!.errors.get('InternalWebClientUrls'), 'SettingIsNotAvailable');
  });

  test('WebClientUrls only with a webmail URL, as WebClientUrlCollectionSetting', () => {
    const req = fixture('autodiscover-exchangelib-getusersettings.xml').replace(
      '<a:Setting>UserDN</a:Setting>',
      '<a:Setting>ExternalWebClientUrls</a:Setting>',
    );
    const without = userResponses(soapParts(answerSoapAutodiscover(req, USER, URLS)).body).users[0]!;
    assert.equal(without.errors.get('ExternalWebClientUrls'), 'SettingIsNotAvailable');
    const withOwa = soapParts(answerSoapAutodiscover(req, USER, { ...URLS, owaUrl: 'https://mail.example.test/webmail/' })).body;
    const setting = withOwa.getElementsByTagNameNS(NS.ans, 'UserSetting')[0]!;
    assert.equal(setting.getAttributeNS(NS.xsi, 'type'), 'WebClientUrlCollectionSetting');
    assert.equal(text(kid(setting, NS.ans, 'WebClientUrls', 'WebClientUrl', 'Url')), 'https://mail.example.test/webmail/');
  });

  test('no users or no settings → Response ErrorCode InvalidRequest', () => {
    const req = fixture('autodiscover-exchangelib-getusersettings.xml').replace(/<a:RequestedSettings>.*<\/a:RequestedSettings>/, '');
    assert.equal(userResponses(soapParts(answerSoapAutodiscover(req, USER, URLS)).body).errorCode, 'InvalidRequest');
  });
});

describe('SOAP autodiscover GetDomainSettings', () => {
  test('ExternalEwsUrl and ExternalEwsVersion for the user domain', () => {
    const a = answerSoapAutodiscover(fixture('autodiscover-getdomainsettings.xml'), USER, URLS);
    assert.equal(a.status, 200);
    const { header, body } = soapParts(a);
    assert.equal(text(kid(header, NS.wsa, 'Action')), 'http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetDomainSettingsResponse');
    assert.ok(kid(header, NS.ans, 'ServerVersionInfo'));
    const response = kid(body, NS.ans, 'GetDomainSettingsResponseMessage', 'Response')!;
    assert.equal(text(kid(response, NS.ans, 'ErrorCode')), 'NoError');
    const dr = kid(response, NS.ans, 'DomainResponses', 'DomainResponse')!;
    assert.equal(text(kid(dr, NS.ans, 'ErrorCode')), 'NoError');
    const settings = new Map(
      kids(kid(dr, NS.ans, 'DomainSettings')!, NS.ans, 'DomainSetting').map((s) => {
        assert.equal(s.getAttributeNS(NS.xsi, 'type'), 'DomainStringSetting');
        return [text(kid(s, NS.ans, 'Name')), text(kid(s, NS.ans, 'Value'))] as const;
      }),
    );
    assert.equal(settings.get('ExternalEwsUrl'), EWS);
    assert.equal(settings.get('ExternalEwsVersion'), '15.01.2507.006');
  });

  test('another domain → InvalidDomain', () => {
    const req = fixture('autodiscover-getdomainsettings.xml').replace('<a:Domain>example.test<', '<a:Domain>elsewhere.test<');
    const dr = soapParts(answerSoapAutodiscover(req, USER, URLS)).body.getElementsByTagNameNS(NS.ans, 'DomainResponse')[0]!;
    assert.equal(text(kid(dr, NS.ans, 'ErrorCode')), 'InvalidDomain');
  });
});

describe('SOAP autodiscover faults', () => {
  test('an operation we do not serve → ActionNotSupported fault, HTTP 500', () => {
    const a = answerSoapAutodiscover(fixture('autodiscover-getfederationinformation.xml'), USER, URLS);
    assert.equal(a.status, 500);
    const { version, body } = soapParts(a);
    assert.equal(version, '1.1');
    const fault = kid(body, NS.soap11, 'Fault')!;
    assert.ok(fault);
    const code = text(fault.getElementsByTagName('faultcode')[0]);
    const [prefix, local] = code!.split(':');
    assert.equal(local, 'ActionNotSupported');
    assert.equal(fault.lookupNamespaceURI(prefix!), NS.wsa);
    assert.match(text(fault.getElementsByTagName('faultstring')[0])!, /GetFederationInformation/);
  });

  test('the same in SOAP 1.2', () => {
    const req = fixture('autodiscover-soap12-getusersettings.xml').replace(/GetUserSettingsRequestMessage/g, 'GetOrganizationRelationshipSettingsRequestMessage');
    const a = answerSoapAutodiscover(req, USER, URLS);
    assert.equal(a.status, 500);
    const { version, body } = soapParts(a);
    assert.equal(version, '1.2');
    const fault = kid(body, NS.soap12, 'Fault')!;
    assert.equal(text(kid(fault, NS.soap12, 'Code', 'Value')), 's:Sender');
    assert.equal(text(kid(fault, NS.soap12, 'Code', 'Subcode', 'Value')), 'a:ActionNotSupported');
    assert.ok(text(kid(fault, NS.soap12, 'Reason', 'Text')));
  });

  test('malformed XML, a DOCTYPE, or no SOAP envelope → HTTP 400 fault', () => {
    const doctype = fixture('autodiscover-exchangelib-getusersettings.xml').replace(
      "<?xml version='1.0' encoding='utf-8'?>",
      '<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    );
    for (const body of [
      fixture('autodiscover-exchangelib-getusersettings.xml').slice(0, 400),
      doctype,
      '',
      fixture('autodiscover-thunderbird-pox.xml'),
    ]) {
      const a = answerSoapAutodiscover(body, USER, URLS);
      assert.equal(a.status, 400);
      const { version, body: b } = soapParts(a);
      assert.equal(version, '1.1');
      assert.equal(text(kid(b, NS.soap11, 'Fault')?.getElementsByTagName('faultcode')[0]), 's:Client');
      assert.ok(!a.body.includes('root:'));
    }
    const broken12 = answerSoapAutodiscover(fixture('autodiscover-soap12-getusersettings.xml').slice(0, 300), USER, URLS);
    assert.equal(broken12.status, 400);
    assert.equal(soapParts(broken12).version, '1.2');
  });
});

// ---------------------------------------------------------------- JSON

describe('JSON autodiscover (v2)', () => {
  test('Protocol=EWS (any case) → the EWS URL; ActiveSync and AutodiscoverV1 too', () => {
    for (const protocol of ['EWS', 'ews', 'Ews']) {
      const a = answerJsonAutodiscover({ email: 'user@example.test', protocol }, URLS);
      assert.equal(a.status, 200);
      assert.equal(a.contentType, 'application/json; charset=utf-8');
      assert.deepEqual(JSON.parse(a.body), { Protocol: 'EWS', Url: EWS });
    }
    assert.equal(JSON.parse(answerJsonAutodiscover({ protocol: 'activesync' }, URLS).body).Url, 'https://mail.example.test/Microsoft-Server-ActiveSync');
    assert.equal(
      JSON.parse(answerJsonAutodiscover({ protocol: 'AutodiscoverV1' }, URLS).body).Url,
      'https://mail.example.test/autodiscover/autodiscover.xml',
    );
  });

  test('an unknown protocol → 400 InvalidProtocol', () => {
    const a = answerJsonAutodiscover({ protocol: 'Rest' }, URLS);
    assert.equal(a.status, 400);
    assert.equal(JSON.parse(a.body).ErrorCode, 'InvalidProtocol');
  });
});
