// SOAP autodiscover (MS-OXWSADISC): POST /autodiscover/autodiscover.svc, WS-Addressing
// headers, namespace http://schemas.microsoft.com/exchange/2010/Autodiscover.
// GetUserSettings (exchangelib, the EWS Managed API and ews-javascript-api, Outlook
// for Mac) and GetDomainSettings. The operation is taken from the Body element, so
// a request without wsa:Action (or with the action only in the SOAPAction / Content-Type
// header) works as well. The answer uses the request's SOAP version.
import {
  type AutodiscoverAnswer,
  type AutodiscoverOptions,
  type AutodiscoverUrls,
  type AutodiscoverUser,
  type Endpoints,
  AUTODISCOVER_SCHEMA_VERSION,
  CONTENT_TYPE_SOAP12,
  CONTENT_TYPE_XML,
  EWS_SUPPORTED_SCHEMAS,
  SERVER_BUILD,
  deriveEndpoints,
  domainOf,
  dottedServerVersion,
  sameAddress,
  userLegacyDn,
} from './common.js';
import {
  NS,
  type Element,
  XmlInputError,
  type XmlChild,
  child,
  children,
  elementChildren,
  parseXml,
  path,
  raw,
  x,
  xText,
} from '../soap/xml.js';

const ANS = NS.autodiscoverSoap;
const ACTION_BASE = 'http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/';
const FAULT_ACTION = 'http://www.w3.org/2005/08/addressing/soap/fault';

/** Exchange refuses more than 100 mailboxes / domains in one request; so do we. */
const MAX_USERS = 100;
const MAX_SETTINGS = 500;
const SOAP_LIMITS = { maxBytes: 1024 * 1024, maxDepth: 32 };

type SoapVersion = '1.1' | '1.2';

/**
 * Answers one SOAP autodiscover request for the authenticated `user`.
 * - GetUserSettings: a UserResponse per requested mailbox, in request order; the
 *   user's own mailbox gets the requested settings it knows (UserSettings) and a
 *   UserSettingError for the others (InvalidSetting for names Exchange doesn't
 *   define, SettingIsNotAvailable for names we have no value for); another
 *   mailbox gets ErrorCode InvalidUser.
 * - GetDomainSettings: ExternalEwsUrl / ExternalEwsVersion for the user's domain,
 *   InvalidDomain for other domains.
 * - any other operation: a SOAP fault (ActionNotSupported), HTTP 500.
 * - XML that doesn't parse / has a DTD / isn't a SOAP envelope: a Sender fault, HTTP 400.
 */
export function answerSoapAutodiscover(
  requestBody: string,
  user: AutodiscoverUser,
  urls: AutodiscoverUrls,
  _options: AutodiscoverOptions = {},
): AutodiscoverAnswer {
  const ep = deriveEndpoints(urls);
  let root: Element;
  try {
    root = parseXml(requestBody, SOAP_LIMITS).documentElement as Element;
  } catch (e) {
    if (!(e instanceof XmlInputError)) throw e;
    return fault(sniffVersion(requestBody), 400, 'Sender', undefined, e.message);
  }

  const version = versionOf(root);
  if (!version) {
    if (root.localName === 'Envelope') {
      return fault('1.1', 400, 'VersionMismatch', undefined, `Unknown SOAP envelope namespace '${root.namespaceURI ?? ''}'.`);
    }
    return fault('1.1', 400, 'Sender', undefined, 'The request is not a SOAP envelope.');
  }
  const envNs = version === '1.1' ? NS.soap11 : NS.soap12;
  const header = child(root, envNs, 'Header');
  const body = child(root, envNs, 'Body');
  const operation = body ? elementChildren(body)[0] : undefined;
  if (!operation) {
    return fault(version, 400, 'Sender', undefined, 'The SOAP Body is empty.');
  }
  const messageId = path(header, NS.wsa, 'MessageID')?.textContent?.trim() || undefined;

  if (operation.namespaceURI === ANS && operation.localName === 'GetUserSettingsRequestMessage') {
    return ok(version, 'GetUserSettingsResponse', messageId, getUserSettings(operation, user, ep));
  }
  if (operation.namespaceURI === ANS && operation.localName === 'GetDomainSettingsRequestMessage') {
    return ok(version, 'GetDomainSettingsResponse', messageId, getDomainSettings(operation, user, ep));
  }
  const action =
    path(header, NS.wsa, 'Action')?.textContent?.trim() ||
    (operation.namespaceURI === ANS ? ACTION_BASE + (operation.localName ?? '').replace(/RequestMessage$/, '') : operation.localName ?? operation.nodeName);
  return fault(
    version,
    500,
    'Sender',
    'ActionNotSupported',
    `The message with Action '${action}' cannot be processed at the receiver.`,
  );
}

function versionOf(root: Element): SoapVersion | undefined {
  if (root.localName !== 'Envelope') return undefined;
  if (root.namespaceURI === NS.soap11) return '1.1';
  if (root.namespaceURI === NS.soap12) return '1.2';
  return undefined;
}

/** For input that didn't parse: answer in SOAP 1.2 only if it clearly was SOAP 1.2. */
function sniffVersion(text: string): SoapVersion {
  return text.slice(0, 4096).includes(NS.soap12) ? '1.2' : '1.1';
}

// ---------------------------------------------------------------- settings

type SettingValue =
  | { kind: 'string'; value: string }
  | { kind: 'webClientUrls'; urls: { url: string; auth: string }[] };

/**
 * Every user setting name MS-OXWSADISC defines (plus MobileMailboxPolicyInterop, which
 * exchangelib asks for). A requested name outside this list is InvalidSetting; a
 * listed name without a value here is SettingIsNotAvailable.
 */
const KNOWN_USER_SETTINGS = [
  'UserDisplayName', 'UserDN', 'UserDeploymentId', 'InternalMailboxServer', 'InternalRpcClientServer',
  'InternalMailboxServerDN', 'InternalEcpUrl', 'InternalEcpVoicemailUrl', 'InternalEcpEmailSubscriptionsUrl',
  'InternalEcpTextMessagingUrl', 'InternalEcpDeliveryReportUrl', 'InternalEcpRetentionPolicyTagsUrl',
  'InternalEcpPublishingUrl', 'InternalEcpPhotoUrl', 'InternalEcpConnectUrl', 'InternalEcpTeamMailboxUrl',
  'InternalEcpTeamMailboxCreatingUrl', 'InternalEcpTeamMailboxEditingUrl', 'InternalEcpTeamMailboxHidingUrl',
  'InternalEcpExtensionInstallationUrl', 'InternalEwsUrl', 'InternalEmwsUrl', 'InternalOABUrl', 'InternalPhotosUrl',
  'InternalUMUrl', 'InternalWebClientUrls', 'MailboxDN', 'PublicFolderServer', 'ActiveDirectoryServer',
  'ExternalMailboxServer', 'ExternalMailboxServerRequiresSSL', 'ExternalMailboxServerAuthenticationMethods',
  'EcpVoicemailUrlFragment', 'EcpEmailSubscriptionsUrlFragment', 'EcpTextMessagingUrlFragment',
  'EcpDeliveryReportUrlFragment', 'EcpRetentionPolicyTagsUrlFragment', 'EcpPublishingUrlFragment',
  'EcpPhotoUrlFragment', 'EcpConnectUrlFragment', 'EcpTeamMailboxUrlFragment', 'EcpTeamMailboxCreatingUrlFragment',
  'EcpTeamMailboxEditingUrlFragment', 'EcpExtensionInstallationUrlFragment', 'ExternalEcpUrl',
  'ExternalEcpVoicemailUrl', 'ExternalEcpEmailSubscriptionsUrl', 'ExternalEcpTextMessagingUrl',
  'ExternalEcpDeliveryReportUrl', 'ExternalEcpRetentionPolicyTagsUrl', 'ExternalEcpPublishingUrl',
  'ExternalEcpPhotoUrl', 'ExternalEcpConnectUrl', 'ExternalEcpTeamMailboxUrl', 'ExternalEcpTeamMailboxCreatingUrl',
  'ExternalEcpTeamMailboxEditingUrl', 'ExternalEcpTeamMailboxHidingUrl', 'ExternalEcpExtensionInstallationUrl',
  'ExternalEwsUrl', 'ExternalEmwsUrl', 'ExternalOABUrl', 'ExternalPhotosUrl', 'ExternalUMUrl', 'ExternalWebClientUrls',
  'CrossOrganizationSharingEnabled', 'AlternateMailboxes', 'CasVersion', 'EwsSupportedSchemas',
  'InternalPop3Connections', 'ExternalPop3Connections', 'InternalImap4Connections', 'ExternalImap4Connections',
  'InternalSmtpConnections', 'ExternalSmtpConnections', 'InternalServerExclusiveConnect', 'ExternalEwsVersion',
  'MobileMailboxPolicy', 'DocumentSharingLocations', 'UserMSOnline', 'InternalMailboxServerAuthenticationMethods',
  'MailboxVersion', 'SPMySiteHostURL', 'SiteMailboxCreationURL', 'InternalRpcHttpServer',
  'InternalRpcHttpConnectivityRequiresSsl', 'InternalRpcHttpAuthenticationMethod', 'ExternalServerExclusiveConnect',
  'ExchangeRpcUrl', 'ShowGalAsDefaultView', 'AutoDiscoverSMTPAddress', 'InteropExternalEwsUrl',
  'InteropExternalEwsVersion', 'PublicFolderInformation', 'RedirectUrl', 'EwsPartnerUrl', 'CertPrincipalName',
  'GroupingInformation', 'MapiHttpEnabled', 'InternalOutlookServiceUrl', 'ExternalOutlookServiceUrl',
  'MobileMailboxPolicyInterop',
] as const;

const KNOWN_USER_SETTINGS_LC = new Map<string, string>(KNOWN_USER_SETTINGS.map((n) => [n.toLowerCase(), n]));

function userSettingValue(name: string, user: AutodiscoverUser, ep: Endpoints): SettingValue | undefined {
  const s = (value: string): SettingValue => ({ kind: 'string', value });
  switch (name) {
    case 'UserDisplayName':
      return s(user.displayName || user.email);
    case 'AutoDiscoverSMTPAddress':
      return s(user.email);
    case 'UserDeploymentId':
      return s(ep.deploymentId);
    case 'UserDN':
      return s(userLegacyDn(user.email));
    case 'InternalEwsUrl':
    case 'ExternalEwsUrl':
    case 'InternalEmwsUrl':
    case 'ExternalEmwsUrl':
      return s(ep.ews);
    case 'InternalOABUrl':
    case 'ExternalOABUrl':
      return s(ep.oab);
    case 'InternalUMUrl':
    case 'ExternalUMUrl':
      return s(ep.um);
    case 'EwsSupportedSchemas':
      return s(EWS_SUPPORTED_SCHEMAS.join(', '));
    case 'CasVersion':
    case 'ExternalEwsVersion':
      return s(dottedServerVersion());
    case 'InternalMailboxServer':
    case 'ExternalMailboxServer':
    case 'ActiveDirectoryServer':
      return s(ep.hostname);
    case 'ExternalMailboxServerRequiresSSL':
      return s(ep.https ? 'True' : 'False');
    case 'ExternalMailboxServerAuthenticationMethods':
      return s('Basic');
    case 'MailboxDN':
      return s(
        `/o=ewsgate/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Configuration/cn=Servers/cn=${ep.hostname}/cn=Microsoft Private MDB`,
      );
    case 'CrossOrganizationSharingEnabled':
    case 'UserMSOnline':
    case 'MapiHttpEnabled':
      return s('False');
    case 'InternalWebClientUrls':
    case 'ExternalWebClientUrls':
      return ep.owa ? { kind: 'webClientUrls', urls: [{ url: ep.owa, auth: 'Basic, Fba' }] } : undefined;
    default:
      return undefined;
  }
}

function renderUserSetting(name: string, v: SettingValue) {
  if (v.kind === 'string') {
    return x('UserSetting', { 'i:type': 'StringSetting' }, xText('Name', name), xText('Value', v.value));
  }
  return x(
    'UserSetting',
    { 'i:type': 'WebClientUrlCollectionSetting' },
    xText('Name', name),
    x(
      'WebClientUrls',
      null,
      v.urls.map((u) => x('WebClientUrl', null, xText('AuthenticationMethods', u.auth), xText('Url', u.url))),
    ),
  );
}

/** Setting names as the client spelled them (echoed verbatim: exchangelib maps them back by exact name). */
function requestedSettings(request: Element | undefined): string[] {
  const names = children(child(request, ANS, 'RequestedSettings'), ANS, 'Setting').map((e) => e.textContent ?? '');
  return [...new Set(names)];
}

// ---------------------------------------------------------------- GetUserSettings

function getUserSettings(message: Element, user: AutodiscoverUser, ep: Endpoints): XmlChild {
  const request = child(message, ANS, 'Request');
  const mailboxes = children(child(request, ANS, 'Users'), ANS, 'User').map(
    (u) => child(u, ANS, 'Mailbox')?.textContent?.trim() ?? '',
  );
  const settings = requestedSettings(request);
  if (!request || mailboxes.length === 0 || settings.length === 0 || mailboxes.length > MAX_USERS || settings.length > MAX_SETTINGS) {
    return responseMessage('GetUserSettingsResponseMessage', 'InvalidRequest', 'The request is invalid.', x('UserResponses', null));
  }
  const userResponses = mailboxes.map((mailbox) => {
    if (!sameAddress(mailbox, user.email)) {
      return x(
        'UserResponse',
        null,
        xText('ErrorCode', 'InvalidUser'),
        xText('ErrorMessage', `Invalid user: '${mailbox}'`),
        x('RedirectTarget', { 'i:nil': 'true' }),
        x('UserSettingErrors', null),
        x('UserSettings', null),
      );
    }
    const found: XmlChild[] = [];
    const errors: XmlChild[] = [];
    for (const name of settings) {
      const known = KNOWN_USER_SETTINGS_LC.get(name.trim().toLowerCase());
      const value = known ? userSettingValue(known, user, ep) : undefined;
      if (value) found.push(renderUserSetting(name, value));
      else if (known) errors.push(settingError('UserSettingError', 'SettingIsNotAvailable', `User setting '${name}' is not available.`, name));
      else errors.push(settingError('UserSettingError', 'InvalidSetting', `The requested setting '${name}' is invalid.`, name));
    }
    return x(
      'UserResponse',
      null,
      xText('ErrorCode', 'NoError'),
      xText('ErrorMessage', 'No error.'),
      x('RedirectTarget', { 'i:nil': 'true' }),
      x('UserSettingErrors', null, errors),
      x('UserSettings', null, found),
    );
  });
  return responseMessage('GetUserSettingsResponseMessage', 'NoError', '', x('UserResponses', null, userResponses));
}

// ---------------------------------------------------------------- GetDomainSettings

const KNOWN_DOMAIN_SETTINGS = new Map<string, string>([
  ['externalewsurl', 'ExternalEwsUrl'],
  ['externalewsversion', 'ExternalEwsVersion'],
]);

function getDomainSettings(message: Element, user: AutodiscoverUser, ep: Endpoints): XmlChild {
  const request = child(message, ANS, 'Request');
  const domains = children(child(request, ANS, 'Domains'), ANS, 'Domain').map((d) => d.textContent?.trim() ?? '');
  const settings = requestedSettings(request);
  if (!request || domains.length === 0 || settings.length === 0 || domains.length > MAX_USERS || settings.length > MAX_SETTINGS) {
    return responseMessage('GetDomainSettingsResponseMessage', 'InvalidRequest', 'The request is invalid.', x('DomainResponses', null));
  }
  const ownDomain = domainOf(user.email);
  const domainResponses = domains.map((domain) => {
    if (!ownDomain || domain.toLowerCase() !== ownDomain) {
      return x(
        'DomainResponse',
        null,
        xText('ErrorCode', 'InvalidDomain'),
        xText('ErrorMessage', `The domain '${domain}' is not valid.`),
        x('DomainSettingErrors', null),
        x('DomainSettings', null),
        x('RedirectTarget', { 'i:nil': 'true' }),
      );
    }
    const found: XmlChild[] = [];
    const errors: XmlChild[] = [];
    for (const name of settings) {
      const known = KNOWN_DOMAIN_SETTINGS.get(name.trim().toLowerCase());
      if (known === 'ExternalEwsUrl' || known === 'ExternalEwsVersion') {
        const value = known === 'ExternalEwsUrl' ? ep.ews : dottedServerVersion();
        found.push(x('DomainSetting', { 'i:type': 'DomainStringSetting' }, xText('Name', name), xText('Value', value)));
      } else {
        errors.push(settingError('DomainSettingError', 'InvalidSetting', `The requested setting '${name}' is invalid.`, name));
      }
    }
    return x(
      'DomainResponse',
      null,
      xText('ErrorCode', 'NoError'),
      xText('ErrorMessage', 'No error.'),
      x('DomainSettingErrors', null, errors),
      x('DomainSettings', null, found),
      x('RedirectTarget', { 'i:nil': 'true' }),
    );
  });
  return responseMessage('GetDomainSettingsResponseMessage', 'NoError', '', x('DomainResponses', null, domainResponses));
}

// ---------------------------------------------------------------- envelopes

function settingError(element: string, code: string, message: string, name: string) {
  return x(element, null, xText('ErrorCode', code), xText('ErrorMessage', message), xText('SettingName', name));
}

function responseMessage(name: string, errorCode: string, errorMessage: string, responses: XmlChild): XmlChild {
  return x(
    name,
    { xmlns: ANS },
    x('Response', { 'xmlns:i': NS.xsi }, xText('ErrorCode', errorCode), x('ErrorMessage', null, errorMessage), responses),
  );
}

function envelope(version: SoapVersion, action: string, relatesTo: string | undefined, headerExtra: XmlChild, body: XmlChild): string {
  const envNs = version === '1.1' ? NS.soap11 : NS.soap12;
  return (
    '<?xml version="1.0" encoding="utf-8"?>' +
    x(
      's:Envelope',
      { 'xmlns:s': envNs, 'xmlns:a': NS.wsa },
      x(
        's:Header',
        null,
        x('a:Action', { 's:mustUnderstand': '1' }, action),
        relatesTo ? x('a:RelatesTo', null, relatesTo) : undefined,
        headerExtra,
      ),
      x('s:Body', null, body),
    ).raw
  );
}

function serverVersionInfo(): XmlChild {
  const b = SERVER_BUILD;
  return x(
    'h:ServerVersionInfo',
    { 'xmlns:h': ANS, 'xmlns:i': NS.xsi },
    xText('h:MajorVersion', b.major),
    xText('h:MinorVersion', b.minor),
    xText('h:MajorBuildNumber', b.build),
    xText('h:MinorBuildNumber', b.revision),
    xText('h:Version', AUTODISCOVER_SCHEMA_VERSION),
  );
}

function ok(version: SoapVersion, responseAction: string, relatesTo: string | undefined, body: XmlChild): AutodiscoverAnswer {
  return {
    status: 200,
    contentType: version === '1.1' ? CONTENT_TYPE_XML : CONTENT_TYPE_SOAP12,
    body: envelope(version, ACTION_BASE + responseAction, relatesTo, serverVersionInfo(), body),
  };
}

/**
 * A SOAP fault in the request's SOAP version. `code` is the SOAP 1.2 name
 * (Sender / Receiver / VersionMismatch); SOAP 1.1 gets Client / Server. A WS-Addressing
 * `subcode` (ActionNotSupported) becomes the 1.1 faultcode, as WCF writes it.
 */
function fault(
  version: SoapVersion,
  status: number,
  code: 'Sender' | 'Receiver' | 'VersionMismatch',
  subcode: string | undefined,
  message: string,
): AutodiscoverAnswer {
  let content: XmlChild;
  if (version === '1.1') {
    const code11 = subcode ? `a:${subcode}` : code === 'Sender' ? 's:Client' : code === 'Receiver' ? 's:Server' : 's:VersionMismatch';
    content = x('s:Fault', null, xText('faultcode', code11), x('faultstring', { 'xml:lang': 'en-US' }, message));
  } else {
    content = x(
      's:Fault',
      null,
      x(
        's:Code',
        null,
        xText('s:Value', `s:${code}`),
        subcode ? x('s:Subcode', null, xText('s:Value', `a:${subcode}`)) : undefined,
      ),
      x('s:Reason', null, x('s:Text', { 'xml:lang': 'en-US' }, message)),
    );
  }
  return {
    status,
    contentType: version === '1.1' ? CONTENT_TYPE_XML : CONTENT_TYPE_SOAP12,
    body: envelope(version, FAULT_ACTION, undefined, raw(''), content),
  };
}
