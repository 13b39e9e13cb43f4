export {
  type AutodiscoverAnswer,
  type AutodiscoverOptions,
  type AutodiscoverUrls,
  type AutodiscoverUser,
  AUTODISCOVER_SCHEMA_VERSION,
  EWS_SUPPORTED_SCHEMAS,
  SERVER_BUILD,
  deriveEndpoints,
  dottedServerVersion,
  poxServerVersion,
  userLegacyDn,
} from './common.js';
export { POX_NS, answerPoxAutodiscover, answerPoxAutodiscoverGet } from './pox.js';
export { answerSoapAutodiscover } from './soap.js';
export { type JsonAutodiscoverQuery, answerJsonAutodiscover } from './json.js';
