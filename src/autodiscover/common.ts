// What the POX, SOAP and JSON autodiscover answers share: the types the HTTP layer
// passes in, the server identity we claim (Exchange 2016, the same build the EWS
// endpoint reports in ServerVersionInfo) and the URLs derived from the EWS URL.
// Pure: no I/O, no clock unless the caller gives one.
import { createHash } from 'node:crypto';

/** The authenticated user; autodiscover only ever answers for this one mailbox. */
export interface AutodiscoverUser {
  email: string;
  displayName: string;
}

/**
 * Where the services live. `ewsUrl` is the public EWS endpoint, e.g.
 * `https://mail.example.com/EWS/Exchange.asmx`; every other URL is derived from it
 * unless given here.
 */
export interface AutodiscoverUrls {
  ewsUrl: string;
  /** Offline address book base URL (ends with `/`); default `<base>/OAB/<deployment id>/`. */
  oabUrl?: string;
  /** A webmail URL, if there is one. Only then is a `WEB` protocol (POX) / WebClientUrls (SOAP) sent. */
  owaUrl?: string;
}

export interface AutodiscoverAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface AutodiscoverOptions {
  /** Clock for the `Time` attribute of POX errors; defaults to `new Date()`. */
  now?: Date;
}

export const CONTENT_TYPE_XML = 'text/xml; charset=utf-8';
export const CONTENT_TYPE_SOAP12 = 'application/soap+xml; charset=utf-8';
export const CONTENT_TYPE_JSON = 'application/json; charset=utf-8';

/**
 * Exchange 2016 CU23 (15.1.2507.6): keep equal to what the EWS endpoint puts in
 * its ServerVersionInfo (MajorVersion 15, MinorVersion 1, MajorBuildNumber 2507,
 * MinorBuildNumber 6), since clients compare the two.
 */
export const SERVER_BUILD = { major: 15, minor: 1, build: 2507, revision: 6 } as const;

/**
 * The `Version` in the autodiscover service's own ServerVersionInfo header (the
 * autodiscover schema's version enum, never a `V2017_...` EWS value). exchangelib 4.9
 * looks the pair (15.1, Version) up in its table and raises on a pair it doesn't know
 * (15.1 with Exchange2015 is one), so this must be Exchange2016.
 */
export const AUTODISCOVER_SCHEMA_VERSION = 'Exchange2016';

/**
 * EwsSupportedSchemas. exchangelib picks the lexicographically greatest entry and
 * fails on one it doesn't know, so the list stops at Exchange2016 (a `V2017_...`
 * entry would sort last-but-greatest and break it).
 */
export const EWS_SUPPORTED_SCHEMAS = [
  'Exchange2007',
  'Exchange2007_SP1',
  'Exchange2010',
  'Exchange2010_SP1',
  'Exchange2010_SP2',
  'Exchange2013',
  'Exchange2013_SP1',
  'Exchange2016',
] as const;

/** `15.01.2507.006`, the form of CasVersion / ExternalEwsVersion. */
export function dottedServerVersion(): string {
  const b = SERVER_BUILD;
  return `${b.major}.${pad(b.minor, 2)}.${pad(b.build, 4)}.${pad(b.revision, 3)}`;
}

/**
 * POX `ServerVersion`: 4 bits 0111, 6 bits major, 6 bits minor, 1 bit set, 15 bits
 * build, as eight hex digits (Exchange 2016 → 73C1....).
 */
export function poxServerVersion(): string {
  const b = SERVER_BUILD;
  const n = ((0x7 << 28) | (b.major << 22) | (b.minor << 16) | 0x8000 | (b.build & 0x7fff)) >>> 0;
  return n.toString(16).toUpperCase().padStart(8, '0');
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export interface Endpoints {
  ews: string;
  oab: string;
  um: string;
  owa?: string;
  activeSync: string;
  /** POX autodiscover URL on the same host and prefix as EWS. */
  autodiscoverXml: string;
  /** host[:port] of the EWS URL. */
  host: string;
  /** host name without port. */
  hostname: string;
  https: boolean;
  /** A stable GUID for this deployment (derived from the EWS host). */
  deploymentId: string;
  /** A stable unsigned number standing for the server (POX Error@Id). */
  serverId: number;
}

/** Derives every URL from the EWS URL. Throws TypeError on an EWS URL that isn't absolute http(s). */
export function deriveEndpoints(urls: AutodiscoverUrls): Endpoints {
  const u = new URL(urls.ewsUrl);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new TypeError(`ewsUrl must be an http(s) URL: ${urls.ewsUrl}`);
  }
  // Keep whatever prefix the EWS endpoint is mounted under (https://h/x/EWS/Exchange.asmx → /x).
  const m = /^(.*?)\/ews\/exchange\.asmx$/i.exec(u.pathname);
  const base = u.origin + (m ? m[1] : '');
  const digest = createHash('sha256').update(`ewsgate-deployment:${u.host.toLowerCase()}`).digest();
  const deploymentId = uuidFromBytes(digest);
  return {
    ews: urls.ewsUrl,
    oab: urls.oabUrl ?? `${base}/OAB/${deploymentId}/`,
    um: `${base}/EWS/UM2007Legacy.asmx`,
    owa: urls.owaUrl,
    activeSync: `${base}/Microsoft-Server-ActiveSync`,
    autodiscoverXml: `${base}/autodiscover/autodiscover.xml`,
    host: u.host,
    hostname: u.hostname,
    https: u.protocol === 'https:',
    deploymentId,
    serverId: digest.readUInt32BE(16),
  };
}

/** Formats 16 bytes as an RFC 4122 name-based (version 5 layout) UUID. */
function uuidFromBytes(bytes: Buffer): string {
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The X.500 DN that SOAP autodiscover's UserDN names the user by (exchangelib 4.9
 * asks for UserDN and fails the whole autodiscover when it is missing). Not used as
 * an address anywhere else; an EWS layer that meets it as an EX address can map it
 * back with this function.
 */
export function userLegacyDn(email: string): string {
  const local = email.slice(0, Math.max(0, email.lastIndexOf('@'))) || email;
  const cn = local.toLowerCase().replace(/[^a-z0-9._-]/g, '_');
  return `/o=ewsgate/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=${cn}`;
}

/** SMTP addresses compare case-insensitively (the local part too, as Exchange does). */
export function sameAddress(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  return normalizeAddress(a) === normalizeAddress(b);
}

export function normalizeAddress(a: string): string {
  return a.trim().replace(/^smtp:/i, '').toLowerCase();
}

export function domainOf(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? '' : email.slice(at + 1).trim().toLowerCase();
}
