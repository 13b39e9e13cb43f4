// POX autodiscover (MS-OXDSCLI; MS-ASCMD for the mobilesync provider):
// POST /autodiscover/autodiscover.xml with
//   <Autodiscover xmlns=".../outlook/requestschema/2006"><Request>
//     <EMailAddress>..</EMailAddress>
//     <AcceptableResponseSchema>.../outlook/responseschema/2006a</AcceptableResponseSchema>
//   </Request></Autodiscover>
// Thunderbird reads Protocol Type EXCH → EwsUrl (ASUrl as fallback); GNOME Online
// Accounts / evolution-ews need ASUrl and OABUrl; Outlook for Mac and macOS Mail read
// EwsUrl / ASUrl / OOFUrl / EmwsUrl / OABUrl from EXCH and EXPR.
import {
  type AutodiscoverAnswer,
  type AutodiscoverOptions,
  type AutodiscoverUrls,
  type AutodiscoverUser,
  type Endpoints,
  CONTENT_TYPE_XML,
  deriveEndpoints,
  poxServerVersion,
  sameAddress,
} from './common.js';
import { type Element, XmlInputError, type XmlChild, elementChildren, parseXml, x, xText } from '../soap/xml.js';

export const POX_NS = {
  response: 'http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006',
  outlookRequest: 'http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006',
  outlookResponse: 'http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a',
  mobileSyncRequest: 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006',
  mobileSyncResponse: 'http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006',
} as const;

/** POX autodiscover requests are tiny; anything bigger than this is not one. */
const POX_LIMITS = { maxBytes: 64 * 1024, maxDepth: 16 };

export const POX_ERRORS = {
  notFound: { code: 500, message: "The email address can't be found." },
  invalidRequest: { code: 600, message: 'Invalid Request' },
  providerUnavailable: { code: 601, message: 'The requested schema is not available.' },
} as const;

type Flavor = 'outlook' | 'mobilesync';

/**
 * Answers one POX autodiscover request for the authenticated `user`.
 * - outlook responseschema/2006a → User + Account with EXCH / EXPR (and WEB when an OWA URL is configured);
 * - mobilesync responseschema/2006 → Action/Settings/Server MobileSync;
 * - an address other than the user's → ErrorCode 500 (HTTP 200, as Exchange);
 * - an unknown AcceptableResponseSchema → ErrorCode 601, a missing one or a
 *   non-autodiscover document → 600 (HTTP 200);
 * - XML that doesn't parse, or carries a DTD → HTTP 400 with an ErrorCode 600 body.
 */
export function answerPoxAutodiscover(
  requestBody: string,
  user: AutodiscoverUser,
  urls: AutodiscoverUrls,
  options: AutodiscoverOptions = {},
): AutodiscoverAnswer {
  const ep = deriveEndpoints(urls);
  const now = options.now ?? new Date();
  let root: Element;
  try {
    root = parseXml(requestBody, POX_LIMITS).documentElement as Element;
  } catch (e) {
    if (!(e instanceof XmlInputError)) throw e;
    return answer(400, errorDocument(undefined, POX_ERRORS.invalidRequest, ep, now, e.message));
  }

  if (root.localName !== 'Autodiscover') {
    return answer(200, errorDocument(undefined, POX_ERRORS.invalidRequest, ep, now));
  }
  const request = kid(root, 'Request');
  const schemaText = textOfKid(request, 'AcceptableResponseSchema');
  if (!request || !schemaText) {
    return answer(200, errorDocument(undefined, POX_ERRORS.invalidRequest, ep, now));
  }
  const flavor = flavorOf(schemaText);
  if (!flavor) {
    return answer(200, errorDocument(undefined, POX_ERRORS.providerUnavailable, ep, now));
  }

  const email = textOfKid(request, 'EMailAddress');
  if (!email) {
    // A LegacyDN-only request names a mailbox by an X.500 DN we never hand out.
    const legacyDn = textOfKid(request, 'LegacyDN');
    return answer(200, errorDocument(flavor, legacyDn ? POX_ERRORS.notFound : POX_ERRORS.invalidRequest, ep, now));
  }
  if (!sameAddress(email, user.email)) {
    return answer(200, errorDocument(flavor, POX_ERRORS.notFound, ep, now));
  }
  return answer(200, flavor === 'outlook' ? outlookDocument(user, ep) : mobileSyncDocument(user, ep));
}

/**
 * What Exchange answers to a GET of /autodiscover/autodiscover.xml (a browser, or a
 * client probing the endpoint after authenticating): HTTP 200 with ErrorCode 600.
 */
export function answerPoxAutodiscoverGet(urls: AutodiscoverUrls, options: AutodiscoverOptions = {}): AutodiscoverAnswer {
  return answer(200, errorDocument(undefined, POX_ERRORS.invalidRequest, deriveEndpoints(urls), options.now ?? new Date()));
}

// ---------------------------------------------------------------- request

/** A child in the parent's own namespace (the request namespace, whichever of the two it is). */
function kid(el: Element | undefined, localName: string): Element | undefined {
  if (!el) return undefined;
  return elementChildren(el).find((c) => c.localName === localName && c.namespaceURI === el.namespaceURI);
}

function textOfKid(el: Element | undefined, localName: string): string | undefined {
  const t = kid(el, localName)?.textContent?.trim();
  return t ? t : undefined;
}

function flavorOf(schema: string): Flavor | undefined {
  // Microsoft's own reference pages print these namespaces with https://; accept that spelling too.
  const s = schema.replace(/^https:/i, 'http:').replace(/\/+$/, '').toLowerCase();
  if (s === POX_NS.outlookResponse.toLowerCase()) return 'outlook';
  if (s === POX_NS.mobileSyncResponse.toLowerCase()) return 'mobilesync';
  return undefined;
}

// ---------------------------------------------------------------- responses

function answer(status: number, body: string): AutodiscoverAnswer {
  return { status, contentType: CONTENT_TYPE_XML, body };
}

function document(content: XmlChild): string {
  return '<?xml version="1.0" encoding="utf-8"?>' + x('Autodiscover', { xmlns: POX_NS.response }, content).raw;
}

function outlookDocument(user: AutodiscoverUser, ep: Endpoints): string {
  const version = poxServerVersion();
  const ssl = ep.https ? 'On' : 'Off';
  // The URLs every EWS client looks for; EXCH and EXPR carry the same set, as on a
  // single-namespace Exchange 2016 where internal and external URLs are equal.
  const serviceUrls = (): XmlChild[] => [
    xText('ASUrl', ep.ews),
    xText('EwsUrl', ep.ews),
    xText('EmwsUrl', ep.ews),
    xText('SharingUrl', ep.ews),
    xText('OOFUrl', ep.ews),
    xText('UMUrl', ep.um),
    xText('OABUrl', ep.oab),
  ];
  const exch = x(
    'Protocol',
    null,
    xText('Type', 'EXCH'),
    xText('Server', ep.hostname),
    xText('ServerVersion', version),
    serviceUrls(),
    xText('AuthPackage', 'basic'),
    xText('ServerExclusiveConnect', 'off'),
  );
  const expr = x(
    'Protocol',
    null,
    xText('Type', 'EXPR'),
    xText('Server', ep.hostname),
    xText('ServerVersion', version),
    xText('SSL', ssl),
    xText('AuthPackage', 'basic'),
    serviceUrls(),
    xText('ServerExclusiveConnect', 'on'),
    xText('CertPrincipalName', 'None'),
  );
  // Thunderbird reads WEB's OWAUrl unconditionally, so WEB only goes out when there is one.
  const web = ep.owa
    ? x(
        'Protocol',
        null,
        xText('Type', 'WEB'),
        x(
          'Internal',
          null,
          x('OWAUrl', { AuthenticationMethod: 'Basic, Fba' }, ep.owa),
          x('Protocol', null, xText('Type', 'EXCH'), xText('ASUrl', ep.ews)),
        ),
        x(
          'External',
          null,
          x('OWAUrl', { AuthenticationMethod: 'Basic, Fba' }, ep.owa),
          x('Protocol', null, xText('Type', 'EXPR'), xText('ASUrl', ep.ews)),
        ),
      )
    : undefined;
  return document(
    x(
      'Response',
      { xmlns: POX_NS.outlookResponse },
      x(
        'User',
        null,
        xText('DisplayName', user.displayName || user.email),
        xText('AutoDiscoverSMTPAddress', user.email),
        xText('DeploymentId', ep.deploymentId),
      ),
      x(
        'Account',
        null,
        xText('AccountType', 'email'),
        xText('Action', 'settings'),
        xText('MicrosoftOnline', 'False'),
        exch,
        expr,
        web,
      ),
    ),
  );
}

function mobileSyncDocument(user: AutodiscoverUser, ep: Endpoints): string {
  return document(
    x(
      'Response',
      { xmlns: POX_NS.mobileSyncResponse },
      xText('Culture', 'en:us'),
      x('User', null, xText('DisplayName', user.displayName || user.email), xText('EMailAddress', user.email)),
      x(
        'Action',
        null,
        x(
          'Settings',
          null,
          x('Server', null, xText('Type', 'MobileSync'), xText('Url', ep.activeSync), xText('Name', ep.activeSync)),
        ),
      ),
    ),
  );
}

/**
 * Exchange's error form: Response/Error with Time and Id attributes. The Response
 * takes the provider's namespace for mobilesync (MS-ASCMD) and stays in the base
 * response namespace otherwise, which is what Exchange sends for outlook requests
 * and for requests it could not attribute to a provider.
 */
function errorDocument(
  flavor: Flavor | undefined,
  err: { code: number; message: string },
  ep: Endpoints,
  now: Date,
  debugData?: string,
): string {
  return document(
    x(
      'Response',
      flavor === 'mobilesync' ? { xmlns: POX_NS.mobileSyncResponse } : null,
      x(
        'Error',
        { Time: errorTime(now), Id: ep.serverId },
        xText('ErrorCode', err.code),
        xText('Message', err.message),
        x('DebugData', null, debugData ?? ''),
      ),
    ),
  );
}

/** `HH:MM:SS.fffffff` (UTC), the shape of Exchange's Error@Time. */
function errorTime(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds() * 10000, 7)}`;
}
