// GetUserAvailability: free/busy (and an empty suggestions answer) for the
// mailboxes asked for; see dav/availability.ts for what other users get. A
// request-level problem (bad TimeWindow, time zone, interval) is a SOAP fault
// carrying the response code, as Exchange's availability service answers it:
// the response type has no message of its own for it.
import type { Operation } from '../operation.js';
import { EwsError, SoapFault } from '../errors.js';
import { userAvailability } from '../dav/availability.js';

export const GetUserAvailability: Operation = {
  name: 'GetUserAvailability',
  requestElement: 'GetUserAvailabilityRequest',
  async handle(req, ctx) {
    try {
      return await userAvailability(req, ctx);
    } catch (e) {
      if (e instanceof EwsError) throw new SoapFault(`a:${e.code}`, e.code, e.message);
      throw e;
    }
  },
};
