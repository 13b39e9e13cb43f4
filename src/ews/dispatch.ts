// From a parsed SOAP request to a response document: version and impersonation
// checks, the operation lookup, and the rule that a known operation always gets
// an answer in its own shape (an HTTP 500 reads to Outlook as a wrong password).
import { XML_DECLARATION, envelope, renderFault, type SoapRequest } from '../soap/envelope.js';
import { NS, type Xml } from '../soap/xml.js';
import { EwsError, SoapFault, asEwsError } from './errors.js';
import { KNOWN_EWS_OPERATIONS } from './known-operations.js';
import { isStreaming, respond, type RequestContext, type StreamingAnswer } from './operation.js';
import { operations } from './registry.js';

export interface DispatchResult {
  status: number;
  /** The document without its XML declaration when it is an Xml tree (see `bodyBytes`). */
  body: string | Xml;
  /** Set for streaming answers; `body` is then empty. */
  stream?: StreamingAnswer;
  operation: string;
  /** The error code, when the request as a whole failed (for the log). */
  error?: string;
}

export function faultResponse(fault: SoapFault, soapVersion: SoapRequest['soapVersion'] = '1.1', operation = '-'): DispatchResult {
  return { status: fault.httpStatus, body: renderFault(fault, soapVersion), operation, error: fault.responseCode };
}

/** The operation's own response shape holding one error message (request-level failures). */
export function errorResponse(request: SoapRequest, err: EwsError): DispatchResult {
  const element = request.operation.localName ?? 'Unknown';
  const name = operations.get(element)?.name ?? element;
  return { status: 200, body: envelope(respond(name, [err]), request.soapVersion), operation: name, error: err.code };
}

export async function dispatch(request: SoapRequest, ctx: RequestContext, onUnexpected: (e: unknown) => void): Promise<DispatchResult> {
  const el = request.operation;
  const name = el.localName ?? '';
  if (el.namespaceURI !== NS.messages || !(KNOWN_EWS_OPERATIONS.has(name) || operations.has(name))) {
    return faultResponse(
      new SoapFault('a:ErrorSchemaValidation', 'ErrorSchemaValidation', `The request failed schema validation: "${name}" is not an EWS operation.`),
      request.soapVersion,
      name,
    );
  }
  if (request.impersonation) {
    return faultResponse(
      new SoapFault('a:ErrorImpersonationDenied', 'ErrorImpersonationDenied', 'The account does not have permission to impersonate the requested user.'),
      request.soapVersion,
      name,
    );
  }
  const op = operations.get(name);
  if (!op) return errorResponse(request, new EwsError('ErrorInvalidOperation', `The operation ${name} is not supported by this server yet.`));
  try {
    const answer = await op.handle(el, ctx);
    if (isStreaming(answer)) return { status: 200, body: '', stream: answer, operation: name };
    return { status: 200, body: envelope(answer, request.soapVersion), operation: name };
  } catch (e) {
    if (e instanceof SoapFault) return faultResponse(e, request.soapVersion, name);
    const err = asEwsError(e);
    if (err) return errorResponse(request, err);
    onUnexpected(e);
    return errorResponse(request, new EwsError('ErrorInternalServerError', 'An internal server error occurred. The operation failed.'));
  }
}

/** The answer as the bytes to send: one buffer for small answers, several for large ones. */
export function bodyBytes(body: string | Xml): Buffer[] {
  return typeof body === 'string' ? [Buffer.from(body, 'utf8')] : body.chunks(XML_DECLARATION);
}

/** True for an answer whose pieces are still being read from the backend: it is sent with `bodyStream`. */
export function isDeferred(body: string | Xml): body is Xml {
  return typeof body !== 'string' && body.deferred;
}

export function bodyStream(body: Xml): AsyncGenerator<Buffer> {
  return body.stream(XML_DECLARATION);
}

/** The answer as one string (tests, benchmarks, logs). */
export function bodyText(body: string | Xml): string {
  return typeof body === 'string' ? body : XML_DECLARATION + body.raw;
}
