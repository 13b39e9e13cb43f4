// GetServerTimeZones: the Windows time zones this server knows, with their real
// rules (from the tz database in Node's ICU; see src/convert/timezones-windows.ts).
// Ids narrows the list (an unknown id is ErrorTimeZone, naming it);
// ReturnFullTimeZoneData="false" gives only Id and Name. Touches no backend.
import { NS, attr, children, textOf, x } from '../../soap/xml.js';
import { EwsError } from '../errors.js';
import { ok, respond, type Operation } from '../operation.js';
import { messagesChild } from '../folders/request.js';
import { allTimeZoneDefinitions, isWindowsZone, timeZoneDefinition } from '../../convert/timezones-windows.js';
import { renderTimeZoneDefinition } from '../calendar/timezone-xml.js';

export const GetServerTimeZones: Operation = {
  name: 'GetServerTimeZones',
  async handle(req) {
    const fullAttr = attr(req, 'ReturnFullTimeZoneData')?.trim().toLowerCase();
    const full = fullAttr === undefined || fullAttr === '' || fullAttr === 'true' || fullAttr === '1';
    const idsEl = messagesChild(req, 'Ids');
    const ids = idsEl ? children(idsEl, NS.types, 'Id').map((i) => textOf(i)?.trim() ?? '') : undefined;
    if (ids) {
      const unknown = ids.filter((id) => !isWindowsZone(id));
      if (unknown.length) {
        return respond('GetServerTimeZones', [
          new EwsError('ErrorTimeZone', `Unknown time zone id${unknown.length > 1 ? 's' : ''}: ${unknown.map((u) => `"${u}"`).join(', ')}.`),
        ]);
      }
    }
    const defs = ids ? ids.map(timeZoneDefinition) : allTimeZoneDefinitions();
    return respond('GetServerTimeZones', [
      ok(
        x(
          'm:TimeZoneDefinitions',
          null,
          defs.map((d) => renderTimeZoneDefinition(d, full)),
        ),
      ),
    ]);
  },
};
