// The SOAP envelope around every EWS request and response: version headers,
// impersonation, time zone context, and faults in Exchange's own form.
import { SoapFault, schemaViolation } from '../ews/errors.js';
import { NS, XmlInputError, attr, child, elementChildren, parseXml, path, raw, x, type Element, type Xml, type XmlLimits } from './xml.js';

/** What the server claims to be: Exchange 2016 CU-level, consistent in every field. */
export const SERVER_VERSION = { major: 15, minor: 1, majorBuild: 2507, minorBuild: 6, version: 'V2017_07_11' } as const;

/** Every RequestServerVersion value clients send, oldest first; the index orders them. */
export const EXCHANGE_VERSIONS = [
  'Exchange2007',
  'Exchange2007_SP1',
  'Exchange2009',
  'Exchange2010',
  'Exchange2010_SP1',
  'Exchange2010_SP2',
  'Exchange2013',
  'Exchange2013_SP1',
  'Exchange2015',
  'Exchange2016',
  'V2015_10_05',
  'V2016_01_06',
  'V2016_04_13',
  'V2016_07_13',
  'V2016_10_10',
  'V2017_01_07',
  'V2017_04_14',
  'V2017_07_11',
  'V2017_10_09',
  'V2018_01_08',
] as const;
export type ExchangeVersion = (typeof EXCHANGE_VERSIONS)[number];

export function versionAtLeast(v: ExchangeVersion, min: ExchangeVersion): boolean {
  return EXCHANGE_VERSIONS.indexOf(v) >= EXCHANGE_VERSIONS.indexOf(min);
}

export type SoapVersion = '1.1' | '1.2';

export interface SoapRequest {
  soapVersion: SoapVersion;
  /** The requested schema version; Exchange2007_SP1 when the client sent none (DavMail's first request). */
  version: ExchangeVersion;
  versionSent: boolean;
  impersonation: boolean;
  timeZoneId?: string;
  /** The operation element: the first child of soap:Body. */
  operation: Element;
}

export function parseSoapRequest(text: string, limits?: XmlLimits): SoapRequest {
  let doc;
  try {
    doc = parseXml(text, limits);
  } catch (e) {
    if (e instanceof XmlInputError) throw schemaViolation(e.message);
    throw e;
  }
  const env = doc.documentElement!;
  if (env.localName !== 'Envelope' || (env.namespaceURI !== NS.soap11 && env.namespaceURI !== NS.soap12)) {
    throw schemaViolation('The root element is not a SOAP envelope.');
  }
  const soapNs = env.namespaceURI;
  const soapVersion: SoapVersion = soapNs === NS.soap12 ? '1.2' : '1.1';
  const header = child(env, soapNs, 'Header');
  const body = child(env, soapNs, 'Body');
  if (!body) throw schemaViolation('The SOAP envelope has no Body.');
  const operation = elementChildren(body)[0];
  if (!operation) throw schemaViolation('The SOAP Body is empty.');

  const versionEl = child(header, NS.types, 'RequestServerVersion');
  const versionAttr = attr(versionEl, 'Version');
  let version: ExchangeVersion = 'Exchange2007_SP1';
  if (versionEl) {
    if (!versionAttr || !(EXCHANGE_VERSIONS as readonly string[]).includes(versionAttr)) {
      throw new SoapFault('a:ErrorInvalidServerVersion', 'ErrorInvalidServerVersion', 'The specified server version is invalid.');
    }
    version = versionAttr as ExchangeVersion;
  }
  const tz = path(header, NS.types, 'TimeZoneContext', 'TimeZoneDefinition');
  return {
    soapVersion,
    version,
    versionSent: !!versionEl,
    impersonation: !!child(header, NS.types, 'ExchangeImpersonation'),
    timeZoneId: attr(tz, 'Id'),
    operation,
  };
}

function soapNs(v: SoapVersion): string {
  return v === '1.2' ? NS.soap12 : NS.soap11;
}

function serverVersionInfo(): Xml {
  const v = SERVER_VERSION;
  return x('h:ServerVersionInfo', {
    MajorVersion: v.major,
    MinorVersion: v.minor,
    MajorBuildNumber: v.majorBuild,
    MinorBuildNumber: v.minorBuild,
    Version: v.version,
    'xmlns:h': NS.types,
    'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema',
    'xmlns:xsi': NS.xsi,
  });
}

/** A whole response document around one operation's response element. */
export function envelope(bodyContent: Xml, v: SoapVersion = '1.1'): Xml {
  return x(
    's:Envelope',
    { 'xmlns:s': soapNs(v) },
    x('s:Header', null, serverVersionInfo()),
    x('s:Body', { 'xmlns:xsi': NS.xsi, 'xmlns:xsd': 'http://www.w3.org/2001/XMLSchema', 'xmlns:m': NS.messages, 'xmlns:t': NS.types }, bodyContent),
  );
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>';

export function renderEnvelope(bodyContent: Xml, v: SoapVersion = '1.1'): string {
  return XML_DECLARATION + envelope(bodyContent, v).raw;
}

export function renderFault(fault: SoapFault, v: SoapVersion = '1.1'): string {
  const detail = x(
    'detail',
    null,
    x('e:ResponseCode', { 'xmlns:e': NS.errors }, fault.responseCode),
    x('e:Message', { 'xmlns:e': NS.errors }, fault.message),
  );
  const body =
    v === '1.2'
      ? x(
          's:Fault',
          null,
          x('s:Code', null, x('s:Value', null, 's:Sender'), x('s:Subcode', null, x('s:Value', { 'xmlns:a': NS.types }, fault.faultCode))),
          x('s:Reason', null, x('s:Text', { 'xml:lang': 'en-US' }, fault.message)),
          x('s:Detail', null, x('e:ResponseCode', { 'xmlns:e': NS.errors }, fault.responseCode), x('e:Message', { 'xmlns:e': NS.errors }, fault.message)),
        )
      : x('s:Fault', null, x('faultcode', { 'xmlns:a': NS.types }, fault.faultCode), x('faultstring', { 'xml:lang': 'en-US' }, fault.message), detail);
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    x('s:Envelope', { 'xmlns:s': soapNs(v) }, fault.responseCode === 'ErrorSchemaValidation' ? null : x('s:Header', null, serverVersionInfo()), x('s:Body', null, body)).raw
  );
}

export { raw };
