// Autodiscover v2 (JSON), which Outlook for Mac asks before POX:
//   GET /autodiscover/autodiscover.json?Email=<addr>&Protocol=EWS
//   GET /autodiscover/autodiscover.json/v1.0/<addr>?Protocol=EWS
// → 200 {"Protocol":"EWS","Url":"https://host/EWS/Exchange.asmx"}. Exchange serves it
// without authentication; it only names endpoints, never anything about a mailbox.
import { type AutodiscoverAnswer, type AutodiscoverUrls, CONTENT_TYPE_JSON, deriveEndpoints } from './common.js';

export interface JsonAutodiscoverQuery {
  /** The `Email` query parameter or the address in the v1.0 path; not needed for the answer. */
  email?: string;
  /** The `Protocol` query parameter, case-insensitive. */
  protocol?: string;
}

const PROTOCOLS = ['AutodiscoverV1', 'ActiveSync', 'EWS'] as const;

export function answerJsonAutodiscover(query: JsonAutodiscoverQuery, urls: AutodiscoverUrls): AutodiscoverAnswer {
  const ep = deriveEndpoints(urls);
  const asked = (query.protocol ?? '').trim();
  const protocol = PROTOCOLS.find((p) => p.toLowerCase() === asked.toLowerCase());
  if (!protocol) {
    return {
      status: 400,
      contentType: CONTENT_TYPE_JSON,
      body: JSON.stringify({
        ErrorCode: 'InvalidProtocol',
        ErrorMessage: `The given protocol value '${asked}' is invalid. Supported values are '${PROTOCOLS.join(', ')}'`,
      }),
    };
  }
  const url = protocol === 'EWS' ? ep.ews : protocol === 'ActiveSync' ? ep.activeSync : ep.autodiscoverXml;
  return { status: 200, contentType: CONTENT_TYPE_JSON, body: JSON.stringify({ Protocol: protocol, Url: url }) };
}
