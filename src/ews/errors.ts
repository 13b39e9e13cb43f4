import { BackendUnavailableError, FolderExistsError, FolderMissingError } from '../ports/mail-store.js';
// One error type for everything an operation answers per item: a real
// ResponseCode and the text Exchange would give.

export class EwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra?: { backOffMs?: number; messageXml?: Record<string, string> },
  ) {
    super(message);
    this.name = 'EwsError';
  }
}

export const folderNotFound = () => new EwsError('ErrorFolderNotFound', 'The specified folder could not be found in the store.');
export const invalidIdMalformed = () => new EwsError('ErrorInvalidIdMalformed', 'Id is malformed.');
export const storeUnavailable = () =>
  new EwsError('ErrorMailboxStoreUnavailable', 'The mailbox database is temporarily unavailable.');

/**
 * A whole request that Exchange refuses with a SOAP fault rather than a response
 * message (schema violations, bad versions, unknown operations).
 */
export class SoapFault extends Error {
  constructor(
    readonly faultCode: string,
    readonly responseCode: string,
    message: string,
    readonly httpStatus = 500,
  ) {
    super(message);
    this.name = 'SoapFault';
  }
}

export const schemaViolation = (message: string) =>
  new SoapFault('a:ErrorSchemaValidation', 'ErrorSchemaValidation', `The request failed schema validation: ${message}`);

/** Maps the ports' errors to what Exchange answers for them; anything else is not ours to hide. */
export function asEwsError(e: unknown): EwsError | undefined {
  if (e instanceof EwsError) return e;
  if (e instanceof FolderMissingError) return folderNotFound();
  if (e instanceof FolderExistsError) return new EwsError('ErrorFolderExists', 'A folder with the specified name already exists.');
  if (e instanceof BackendUnavailableError) return storeUnavailable();
  return undefined;
}
