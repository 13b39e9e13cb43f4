// GetUserAvailability (MS-OXWAVLS / MS-OXWSAVL): free/busy of the user's own
// default calendar, computed from its events (busyFromObjects) over the
// TimeWindow, shown in the request's t:TimeZone (Bias/StandardTime/DaylightTime).
//
// Other mailboxes are read with the gateway's read-only free/busy credential
// (EWSGATE_FREEBUSY_USER, ctx.mailbox.freeBusy): their calendar home is found from
// the address, every VEVENT calendar not marked transparent counts, and the busy
// time comes from the server's free-busy-query where it has one (FreeBusy views),
// else from the events (always for Detailed views, which need them). Details of
// private and confidential events are hidden, as Exchange hides them from others.
// Per mailbox, as Exchange answers: no calendar home → ErrorMailRecipientNotFound;
// the credential may not read it (403), or none is configured → ErrorNoFreeBusyAccess
// with a FreeBusyView of type None (Outlook shows the hatched "no information" bar);
// the server down or failing → ErrorFreeBusyGenerationFailed. The rest of the
// request is answered normally.
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
import { BackendAuthError, CalendarMissingError, ObjectRejectedError, type TimeRange } from '../../ports/calendar-store.js';
import type { FreeBusyReader } from '../../ports/free-busy.js';

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

function eventXml(iv: BusyInterval, zone: string, detailed: boolean, hidePrivate: boolean): Xml {
  const d = iv.details;
  const hidden = hidePrivate && !!d?.isPrivate;
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
          // a private event shows its time only to others, as Exchange does
          hidden ? undefined : x('t:Subject', null, d.subject),
          d.location && !hidden ? x('t:Location', null, d.location) : undefined,
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

const FBTYPE_STATUS = { BUSY: 'Busy', 'BUSY-TENTATIVE': 'Tentative', 'BUSY-UNAVAILABLE': 'OOF' } as const;

/** Readers whose server answered a free-busy-query with something other than a VFREEBUSY: ask it no more. */
const noFreeBusyQuery = new WeakSet<FreeBusyReader>();

/**
 * Another user's busy intervals over the window through the read-only credential, and
 * whether they carry details (computed from events) or not (the server's free-busy-query).
 */
async function othersBusy(reader: FreeBusyReader, address: string, window: TimeRange, zone: string, wantDetails: boolean): Promise<{ busy: BusyInterval[]; detailed: boolean }> {
  const cals = (await reader.calendarsOf(address)).filter((c) => c.components.includes('VEVENT') && !c.transparent);
  const busy: BusyInterval[] = [];
  let detailed = true;
  const serverFreeBusy = async (href: string) => {
    if (noFreeBusyQuery.has(reader)) return undefined;
    const periods = await reader.store.freeBusy(href, window);
    if (!periods) noFreeBusyQuery.add(reader);
    return periods?.map((p): BusyInterval => ({ start: p.start, end: p.end, status: FBTYPE_STATUS[p.type] }));
  };
  for (const cal of cals) {
    let got = wantDetails ? undefined : await serverFreeBusy(cal.href);
    if (!got) {
      try {
        const results = await reader.store.queryObjects(cal.href, { component: 'VEVENT', range: window });
        const { objects } = readObjects(results, { floatingZone: zone });
        got = busyFromObjects(
          objects.map((o) => o.object),
          window,
        );
      } catch (e) {
        // a server granting CALDAV:read-free-busy but not read: its free-busy-query still answers
        if (!(e instanceof ObjectRejectedError && e.status === 403)) throw e;
        got = await serverFreeBusy(cal.href);
        if (!got) throw e;
      }
    }
    if (got.some((iv) => !iv.details)) detailed = false;
    busy.push(...got.filter((iv) => iv.end > window.start && iv.start < window.end));
  }
  busy.sort((a, b) => a.start.getTime() - b.start.getTime());
  return { busy, detailed };
}

const OTHERS_AT_ONCE = 4;

/** Runs at most `n` of the functions given at a time, the rest in order as slots free up. */
function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (running >= n) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await fn();
    } finally {
      // the slot passes straight to the next waiter, so `running` never overshoots
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

/** What another mailbox's failure is answered with (see the head of the file). */
function othersError(address: string, e: unknown): EwsError {
  if (e instanceof EwsError) return e;
  if (e instanceof CalendarMissingError) return new EwsError('ErrorMailRecipientNotFound', `${address} has no calendar on this server.`);
  if (e instanceof ObjectRejectedError && e.status === 403) return new EwsError('ErrorNoFreeBusyAccess', `The free/busy information of ${address} cannot be read.`);
  if (e instanceof BackendAuthError) return new EwsError('ErrorFreeBusyGenerationFailed', 'The CalDAV server refused the free/busy credential (EWSGATE_FREEBUSY_USER).');
  return new EwsError('ErrorFreeBusyGenerationFailed', `The free/busy information of ${address} could not be read: ${(e as Error).message}`);
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

/**
 * The FreeBusyView. `hasDetails` false (the server's free-busy-query) answers a Detailed
 * request with the FreeBusy view it could give, as Exchange does for a caller without
 * detail rights; `others` hides private events' subject and location.
 */
function freeBusyView(r: AvailabilityRequest, busy: BusyInterval[], opts: { hasDetails?: boolean; others?: boolean } = {}): Xml {
  const fb = r.freeBusy!;
  const merged = fb.view === 'MergedOnly' || fb.view.endsWith('Merged');
  const events = fb.view !== 'MergedOnly' && fb.view !== 'None';
  const detailed = fb.view.startsWith('Detailed') && opts.hasDetails !== false;
  const viewType = fb.view.startsWith('Detailed') && !detailed ? fb.view.replace('Detailed', 'FreeBusy') : fb.view;
  if (fb.view === 'None') return x('m:FreeBusyView', null, x('t:FreeBusyViewType', null, 'None'));
  return x(
    'm:FreeBusyView',
    null,
    x('t:FreeBusyViewType', null, viewType),
    merged ? x('t:MergedFreeBusy', null, mergedFreeBusy(busy, fb, fb.interval)) : undefined,
    events
      ? x(
          't:CalendarEventArray',
          null,
          busy.map((iv) => eventXml(iv, r.zone, detailed, !!opts.others)),
        )
      : undefined,
    workingHoursXml(r),
  );
}

function success(view: Xml): Xml {
  return x('m:FreeBusyResponse', null, x('m:ResponseMessage', { ResponseClass: 'Success' }, x('m:ResponseCode', null, 'NoError')), view);
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
    const fb = r.freeBusy;
    // The other mailboxes are read a few at a time (a scheduling assistant asks for many at
    // once), each once however often it is named; the answers keep the request's order.
    const others = new Map<string, Promise<{ busy: BusyInterval[]; detailed: boolean } | EwsError>>();
    const reader = ctx.mailbox.freeBusy;
    if (reader) {
      const slot = limiter(OTHERS_AT_ONCE);
      for (const mb of r.mailboxes) {
        const key = mb.address.toLowerCase();
        if (!mb.address.includes('@') || isOwn(ctx, mb.address) || others.has(key)) continue;
        const got = slot(() => othersBusy(reader, mb.address, fb, r.zone, fb.view.startsWith('Detailed'))).catch((e) => othersError(mb.address, e));
        others.set(key, got);
      }
    }
    for (const mb of r.mailboxes) {
      if (!mb.address || !mb.address.includes('@')) {
        responses.push(errorResponse(new EwsError('ErrorMailRecipientNotFound', `"${mb.address}" is not an e-mail address.`)));
        continue;
      }
      if (!isOwn(ctx, mb.address)) {
        const got = others.get(mb.address.toLowerCase());
        if (!got) {
          responses.push(noAccess(mb.address));
          continue;
        }
        const res = await got;
        if (res instanceof EwsError) responses.push(res.code === 'ErrorNoFreeBusyAccess' ? noAccess(mb.address) : errorResponse(res));
        else responses.push(success(freeBusyView(r, res.busy, { hasDetails: res.detailed, others: true })));
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
      else responses.push(success(freeBusyView(r, own)));
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
