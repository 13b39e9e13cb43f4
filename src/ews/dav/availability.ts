// GetUserAvailability (MS-OXWAVLS / MS-OXWSAVL): free/busy of the user's own
// default calendar, computed from its events (busyFromObjects) over the
// TimeWindow, shown in the request's t:TimeZone (Bias/StandardTime/DaylightTime).
//
// Other mailboxes: the gateway holds only the requesting user's credentials, and
// no configured read-only free/busy credential exists yet, so another user's
// calendar cannot be read. Those mailboxes are answered the way Exchange answers
// a mailbox whose free/busy the caller may not see: a FreeBusyResponse whose
// ResponseMessage is an Error with ErrorNoFreeBusyAccess, and a FreeBusyView of
// FreeBusyViewType None (Outlook then shows the hatched "no information" bar,
// and the rest of the request is answered normally).
import { NS, child, children, elementChildren, textOf, x, type Element, type Xml } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import type { RequestContext } from '../operation.js';
import { loadTree } from '../folders/request.js';
import { readObjects } from '../calendar/load.js';
import { busyFromObjects, mergedFreeBusy, type BusyInterval } from '../../convert/ical-freebusy.js';
import { utcToZoned, zonedToUtc } from '../../convert/ical.js';
import { zoneFromLegacy, type LegacyChange, type LegacyTimeZone } from '../../convert/timezones-windows.js';
import { TimeZoneError } from '../../convert/timezones.js';
import { WEEKDAYS } from '../../convert/recurrence.js';
import { requestZone } from './calendar-items.js';

const VIEWS = ['None', 'MergedOnly', 'FreeBusy', 'FreeBusyMerged', 'Detailed', 'DetailedMerged'] as const;
type View = (typeof VIEWS)[number];

/** Exchange's default limit for a free/busy TimeWindow. */
export const MAX_WINDOW_DAYS = 62;

export interface AvailabilityRequest {
  zone: string;
  /** The request's t:TimeZone element as given (echoed in WorkingHours), when it had one. */
  timeZoneEl?: Element;
  mailboxes: { address: string; attendeeType?: string }[];
  freeBusy?: { start: Date; end: Date; interval: number; view: View };
  suggestions: boolean;
}

const t = (el: Element | undefined, name: string) => child(el, NS.types, name);
const tt = (el: Element | undefined, name: string) => textOf(t(el, name))?.trim();

function intOf(text: string | undefined, what: string, fallback = 0): number {
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n)) throw schemaViolation(`${what} "${text}" is not a whole number.`);
  return n;
}

function change(el: Element | undefined): LegacyChange | undefined {
  if (!el) return undefined;
  const month = intOf(tt(el, 'Month'), 'Month');
  if (month < 1 || month > 12) return undefined;
  const dayOrder = intOf(tt(el, 'DayOrder'), 'DayOrder', 1);
  const weekday = (WEEKDAYS as readonly string[]).indexOf(tt(el, 'DayOfWeek') ?? '');
  if (weekday < 0) throw new EwsError('ErrorTimeZone', `DayOfWeek "${tt(el, 'DayOfWeek') ?? ''}" in the time zone is not a day.`);
  const tm = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(tt(el, 'Time') ?? '00:00:00');
  if (!tm) throw new EwsError('ErrorTimeZone', `Time "${tt(el, 'Time')}" in the time zone is not HH:MM:SS.`);
  return {
    bias: intOf(tt(el, 'Bias'), 'Bias'),
    month,
    weekday,
    occurrence: dayOrder >= 5 ? -1 : Math.max(1, dayOrder),
    time: +tm[1] * 3600 + +tm[2] * 60 + +(tm[3] ?? 0),
  };
}

/** The IANA zone of a SerializableTimeZone (t:TimeZone of GetUserAvailability). */
export function zoneOfSerializableTimeZone(el: Element): string {
  const lt: LegacyTimeZone = { baseBias: intOf(tt(el, 'Bias'), 'Bias') };
  const std = change(t(el, 'StandardTime'));
  const dst = change(t(el, 'DaylightTime'));
  if (std && dst) {
    lt.standard = std;
    lt.daylight = dst;
  }
  try {
    return zoneFromLegacy(lt);
  } catch (e) {
    if (e instanceof TimeZoneError) throw new EwsError('ErrorTimeZone', e.message);
    throw e;
  }
}

/** An xs:dateTime of the request: with Z or an offset as given, else a wall clock in the request's zone. */
function instant(text: string | undefined, zone: string, what: string): Date {
  const s = text?.trim() ?? '';
  if (/(Z|[+-]\d{2}:\d{2})$/.test(s)) {
    const d = new Date(s);
    if (!Number.isNaN(d.getTime())) return d;
  }
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?))?(?:\.\d+)?$/.exec(s);
  if (!m) throw schemaViolation(`${what} "${s}" is not an xs:dateTime.`);
  const time = m[2] ? (m[2].length === 5 ? `${m[2]}:00` : m[2]) : '00:00:00';
  return new Date(zonedToUtc(zone, `${m[1]}T${time}`));
}

export function parseAvailabilityRequest(req: Element, ctx: RequestContext): AvailabilityRequest {
  const tzEl = t(req, 'TimeZone');
  const zone = tzEl ? zoneOfSerializableTimeZone(tzEl) : requestZone(ctx);
  const array = child(req, NS.messages, 'MailboxDataArray') ?? t(req, 'MailboxDataArray');
  if (!array) throw schemaViolation('MailboxDataArray is required.');
  const mailboxes = children(array, NS.types, 'MailboxData').map((md) => ({
    address: (tt(t(md, 'Email'), 'Address') ?? '').replace(/^smtp:/i, ''),
    attendeeType: tt(md, 'AttendeeType'),
  }));
  if (!mailboxes.length) throw schemaViolation('MailboxDataArray needs at least one MailboxData.');
  if (mailboxes.length > 100) throw new EwsError('ErrorExceededConnectionCount', 'At most 100 mailboxes can be asked for at once.');
  const fbo = t(req, 'FreeBusyViewOptions');
  const sgo = t(req, 'SuggestionsViewOptions');
  if (!fbo && !sgo) throw schemaViolation('FreeBusyViewOptions or SuggestionsViewOptions is required.');
  let freeBusy: AvailabilityRequest['freeBusy'];
  if (fbo) {
    const tw = t(fbo, 'TimeWindow');
    if (!tw) throw schemaViolation('FreeBusyViewOptions needs a TimeWindow.');
    const start = instant(tt(tw, 'StartTime'), zone, 'StartTime');
    const end = instant(tt(tw, 'EndTime'), zone, 'EndTime');
    if (end.getTime() <= start.getTime()) throw new EwsError('ErrorInvalidTimeInterval', 'The TimeWindow ends before it starts.');
    if (end.getTime() - start.getTime() > MAX_WINDOW_DAYS * 86_400_000)
      throw new EwsError('ErrorTimeIntervalTooBig', `The TimeWindow is longer than ${MAX_WINDOW_DAYS} days.`);
    const interval = intOf(tt(fbo, 'MergedFreeBusyIntervalInMinutes'), 'MergedFreeBusyIntervalInMinutes', 30);
    if (interval < 5 || interval > 1440)
      throw new EwsError('ErrorInvalidMergedFreeBusyInterval', 'MergedFreeBusyIntervalInMinutes must be between 5 and 1440.');
    const requested = (tt(fbo, 'RequestedView') ?? 'Detailed') as View;
    if (!VIEWS.includes(requested)) throw schemaViolation(`RequestedView "${requested}" is not valid.`);
    freeBusy = { start, end, interval, view: requested };
  }
  return { zone, timeZoneEl: tzEl, mailboxes, freeBusy, suggestions: !!sgo };
}

const local = (d: Date, zone: string) => utcToZoned(zone, d.getTime()).slice(0, 19);

function eventXml(iv: BusyInterval, zone: string, detailed: boolean): Xml {
  const d = iv.details;
  return x(
    't:CalendarEvent',
    null,
    x('t:StartTime', null, local(iv.start, zone)),
    x('t:EndTime', null, local(iv.end, zone)),
    x('t:BusyType', null, iv.status),
    detailed && d
      ? x(
          't:CalendarEventDetails',
          null,
          // a private event shows its time only, as Exchange does for the owner's delegates
          x('t:Subject', null, d.subject),
          d.location ? x('t:Location', null, d.location) : undefined,
          x('t:IsMeeting', null, String(d.isMeeting)),
          x('t:IsRecurring', null, String(d.isRecurring)),
          x('t:IsException', null, String(d.isException)),
          x('t:IsReminderSet', null, String(d.isReminderSet)),
          x('t:IsPrivate', null, String(d.isPrivate)),
        )
      : undefined,
  );
}

/** Default working hours: Monday to Friday, 08:00–17:00, in the request's time zone (echoed). */
function workingHoursXml(r: AvailabilityRequest): Xml {
  const tz = r.timeZoneEl
    ? x('t:TimeZone', null, serializableTimeZoneXml(r.timeZoneEl))
    : x('t:TimeZone', null, x('t:Bias', null, '0'), stdDst('t:StandardTime'), stdDst('t:DaylightTime'));
  return x(
    't:WorkingHours',
    null,
    tz,
    x(
      't:WorkingPeriodArray',
      null,
      x(
        't:WorkingPeriod',
        null,
        x('t:DayOfWeek', null, 'Monday Tuesday Wednesday Thursday Friday'),
        x('t:StartTimeInMinutes', null, '480'),
        x('t:EndTimeInMinutes', null, '1020'),
      ),
    ),
  );
}

function stdDst(name: string): Xml {
  return x(
    name,
    null,
    x('t:Bias', null, '0'),
    x('t:Time', null, '00:00:00'),
    x('t:DayOrder', null, '0'),
    x('t:Month', null, '0'),
    x('t:DayOfWeek', null, 'Sunday'),
  );
}

function serializableTimeZoneXml(el: Element): Xml[] {
  const part = (name: string) => {
    const p = t(el, name);
    if (!p) return stdDst(`t:${name}`);
    return x(
      `t:${name}`,
      null,
      elementChildren(p).map((c) => x(`t:${c.localName}`, null, (c.textContent ?? '').trim())),
    );
  };
  return [x('t:Bias', null, tt(el, 'Bias') ?? '0'), part('StandardTime'), part('DaylightTime')];
}

function noAccess(address: string): Xml {
  return x(
    'm:FreeBusyResponse',
    null,
    x(
      'm:ResponseMessage',
      { ResponseClass: 'Error' },
      x('m:MessageText', null, `The free/busy information of ${address} cannot be read with the caller's credentials.`),
      x('m:ResponseCode', null, 'ErrorNoFreeBusyAccess'),
      x('m:DescriptiveLinkKey', null, '0'),
    ),
    x('m:FreeBusyView', null, x('t:FreeBusyViewType', null, 'None')),
  );
}

function errorResponse(err: EwsError): Xml {
  return x(
    'm:FreeBusyResponse',
    null,
    x(
      'm:ResponseMessage',
      { ResponseClass: 'Error' },
      x('m:MessageText', null, err.message),
      x('m:ResponseCode', null, err.code),
      x('m:DescriptiveLinkKey', null, '0'),
    ),
    x('m:FreeBusyView', null, x('t:FreeBusyViewType', null, 'None')),
  );
}

/** The user's busy intervals over the window, from the default calendar. */
async function ownBusy(ctx: RequestContext, window: { start: Date; end: Date }, zone: string): Promise<BusyInterval[]> {
  const store = ctx.mailbox.calendars;
  if (!store) throw new EwsError('ErrorFreeBusyGenerationFailed', 'This server has no calendar store configured.');
  const tree = await loadTree(ctx, { dav: true });
  const folder = tree.distinguishedFolder('calendar');
  if (!folder?.dav || folder.unavailable) throw new EwsError('ErrorFreeBusyGenerationFailed', 'The calendar cannot be read now.');
  const results = await store.queryObjects(folder.dav.href, { component: 'VEVENT', range: window });
  // a broken event never hides the rest of the calendar
  const { objects } = readObjects(results, { floatingZone: zone });
  return busyFromObjects(
    objects.map((o) => o.object),
    window,
  ).filter((iv) => iv.end > window.start && iv.start < window.end);
}

function freeBusyView(r: AvailabilityRequest, busy: BusyInterval[]): Xml {
  const fb = r.freeBusy!;
  const merged = fb.view === 'MergedOnly' || fb.view.endsWith('Merged');
  const events = fb.view !== 'MergedOnly' && fb.view !== 'None';
  const detailed = fb.view.startsWith('Detailed');
  if (fb.view === 'None') return x('m:FreeBusyView', null, x('t:FreeBusyViewType', null, 'None'));
  return x(
    'm:FreeBusyView',
    null,
    x('t:FreeBusyViewType', null, fb.view),
    merged ? x('t:MergedFreeBusy', null, mergedFreeBusy(busy, fb, fb.interval)) : undefined,
    events
      ? x(
          't:CalendarEventArray',
          null,
          busy.map((iv) => eventXml(iv, r.zone, detailed)),
        )
      : undefined,
    workingHoursXml(r),
  );
}

function isOwn(ctx: RequestContext, address: string): boolean {
  const a = address.toLowerCase();
  return a === ctx.user.email.toLowerCase() || a === ctx.user.login.toLowerCase();
}

/** The whole GetUserAvailabilityResponse. */
export async function userAvailability(req: Element, ctx: RequestContext): Promise<Xml> {
  const r = parseAvailabilityRequest(req, ctx);
  let fbArray: Xml | undefined;
  if (r.freeBusy) {
    const responses: Xml[] = [];
    let own: BusyInterval[] | EwsError | undefined;
    for (const mb of r.mailboxes) {
      if (!mb.address || !mb.address.includes('@')) {
        responses.push(errorResponse(new EwsError('ErrorMailRecipientNotFound', `"${mb.address}" is not an e-mail address.`)));
        continue;
      }
      if (!isOwn(ctx, mb.address)) {
        responses.push(noAccess(mb.address));
        continue;
      }
      if (own === undefined) {
        try {
          own = await ownBusy(ctx, r.freeBusy, r.zone);
        } catch (e) {
          if (e instanceof EwsError) own = e;
          else own = new EwsError('ErrorFreeBusyGenerationFailed', `The calendar could not be read: ${(e as Error).message}`);
        }
      }
      if (own instanceof EwsError) responses.push(errorResponse(own));
      else
        responses.push(
          x('m:FreeBusyResponse', null, x('m:ResponseMessage', { ResponseClass: 'Success' }, x('m:ResponseCode', null, 'NoError')), freeBusyView(r, own)),
        );
    }
    fbArray = x('m:FreeBusyResponseArray', null, responses);
  }
  const suggestions = r.suggestions
    ? x(
        'm:SuggestionsResponse',
        null,
        x('m:ResponseMessage', { ResponseClass: 'Success' }, x('m:ResponseCode', null, 'NoError')),
        x('m:SuggestionDayResultArray', null),
      )
    : undefined;
  return x('m:GetUserAvailabilityResponse', null, fbArray, suggestions);
}
