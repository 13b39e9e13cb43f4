// Meeting messages in mail folders (iMIP, RFC 6047). A message whose iTIP
// text/calendar part says METHOD REQUEST / REPLY / CANCEL is, to an Exchange
// client, a t:MeetingRequest / t:MeetingResponse / t:MeetingCancellation with the
// ItemClass Exchange gives it. The kind comes from BODYSTRUCTURE (the part's
// `method` parameter) so that lists cost nothing more; the part itself is fetched
// only when meeting fields are asked for, or for a REPLY's ItemClass (which
// depends on the PARTSTAT inside). The mailbox owner, whom MyResponseType and
// IsOrganizer are about, is the Delivered-To address the LMTP delivery stamped.
import { versionAtLeast } from '../../soap/envelope.js';
import { x, type XmlChild } from '../../soap/xml.js';
import { parseCalendarObject, type CalendarEvent, type CalendarObject } from '../../convert/ical.js';
import type { MailStore, MimePart } from '../../ports/mail-store.js';
import { CALENDAR_PROPERTIES } from '../calendar/item.js';
import { bool, isoUtc } from '../calendar/common.js';
import { itemViews, type CalendarItemView, type CalendarRenderContext } from '../calendar/views.js';
import { headerValue } from './headers.js';
import type { MailItem, Need, RenderContext } from './mail-item.js';
import type { ItemShape } from './shape.js';
import { decodeTextPart } from './structure.js';
import { resourceNameForUid } from '../../convert/ical-ids.js';
import { ObjectMissingError } from '../../ports/calendar-store.js';
import type { RequestContext } from '../operation.js';
import { loadTree } from '../folders/request.js';
import { encodeDavItemId, etagChangeKey } from './dav-item-id.js';

export type MeetingMethod = 'REQUEST' | 'REPLY' | 'CANCEL';

/** The iTIP part of a meeting message as loaded for the shape. */
export interface MeetingData {
  method: MeetingMethod;
  /** The parsed iCalendar object; undefined when the part cannot be read. */
  object?: CalendarObject;
  /** The calendar copy of the meeting, when the caller looked it up (AssociatedCalendarItemId). */
  associated?: { id: string; changeKey: string; sequence: number; response?: string };
}

const METHODS = new Set<string>(['REQUEST', 'REPLY', 'CANCEL']);

/**
 * The iTIP part: a text/calendar leaf that is the whole message or an alternative of the
 * body (not an attachment, not inside an attached message), with a method parameter.
 */
export function itipPart(root: MimePart | undefined): { part: MimePart; method: MeetingMethod } | undefined {
  if (!root) return undefined;
  const visit = (p: MimePart, parent: MimePart | undefined): { part: MimePart; method: MeetingMethod } | undefined => {
    if (p.type.startsWith('multipart/')) {
      for (const c of p.children) {
        const found = visit(c, p);
        if (found) return found;
      }
      return undefined;
    }
    if (p.type !== 'text/calendar' || p.disposition === 'attachment') return undefined;
    if (parent && parent.type !== 'multipart/alternative') return undefined;
    const method = (p.parameters.method ?? '').trim().toUpperCase();
    return METHODS.has(method) ? { part: p, method: method as MeetingMethod } : undefined;
  };
  return visit(root, undefined);
}

export function meetingMethodOf(item: MailItem): MeetingMethod | undefined {
  return item.meeting?.method ?? itipPart(item.msg.structure)?.method;
}

const ELEMENT: Record<MeetingMethod, string> = { REQUEST: 't:MeetingRequest', REPLY: 't:MeetingResponse', CANCEL: 't:MeetingCancellation' };

/** The element the item is answered in; undefined for an ordinary message. */
export function meetingElement(item: MailItem): string | undefined {
  const m = meetingMethodOf(item);
  return m && ELEMENT[m];
}

function eventOf(obj: CalendarObject | undefined): CalendarEvent | undefined {
  return obj?.master ?? obj?.overrides[0];
}

/** The answer a REPLY carries: its (first) attendee's PARTSTAT. */
function replyResponse(item: MailItem): 'Accept' | 'Tentative' | 'Decline' | undefined {
  const r = eventOf(item.meeting?.object)?.attendees[0]?.response;
  if (r === 'Accept' || r === 'Tentative' || r === 'Decline') return r;
  // the part was not loaded: the subject prefix Outlook and this gateway write
  const s = item.msg.envelope?.subject ?? '';
  if (/^\s*declined\s*:/i.test(s)) return 'Decline';
  if (/^\s*tentative(ly accepted)?\s*:/i.test(s)) return 'Tentative';
  if (/^\s*accepted\s*:/i.test(s)) return 'Accept';
  return undefined;
}

const RESP_CLASS = { Accept: 'IPM.Schedule.Meeting.Resp.Pos', Tentative: 'IPM.Schedule.Meeting.Resp.Tent', Decline: 'IPM.Schedule.Meeting.Resp.Neg' } as const;

/** PidTagMessageClass of a meeting message; undefined for an ordinary message. */
export function meetingItemClass(item: MailItem): string | undefined {
  switch (meetingMethodOf(item)) {
    case 'REQUEST':
      return 'IPM.Schedule.Meeting.Request';
    case 'CANCEL':
      return 'IPM.Schedule.Meeting.Canceled';
    case 'REPLY':
      return RESP_CLASS[replyResponse(item) ?? 'Accept'];
    default:
      return undefined;
  }
}

// ------------------------------------------------------------ which fields

/** MeetingMessageType, after MessageType. */
const MESSAGE_URIS = [
  'meeting:AssociatedCalendarItemId',
  'meeting:IsDelegated',
  'meeting:IsOutOfDate',
  'meeting:HasBeenProcessed',
  'meeting:ResponseType',
  'calendar:UID',
  'calendar:RecurrenceId',
  'calendar:DateTimeStamp',
];
/** The calendar part of MeetingRequestMessageType (CalendarItemType's order, without what a request lacks). */
const REQUEST_CALENDAR_URIS = [
  'calendar:Start',
  'calendar:End',
  'calendar:OriginalStart',
  'calendar:IsAllDayEvent',
  'calendar:LegacyFreeBusyStatus',
  'calendar:Location',
  'calendar:When',
  'calendar:IsMeeting',
  'calendar:IsCancelled',
  'calendar:IsRecurring',
  'calendar:MeetingRequestWasSent',
  'calendar:CalendarItemType',
  'calendar:MyResponseType',
  'calendar:Organizer',
  'calendar:RequiredAttendees',
  'calendar:OptionalAttendees',
  'calendar:Resources',
  'calendar:ConflictingMeetingCount',
  'calendar:AdjacentMeetingCount',
  'calendar:Duration',
  'calendar:TimeZone',
  'calendar:AppointmentSequenceNumber',
  'calendar:AppointmentState',
  'calendar:Recurrence',
  'calendar:MeetingTimeZone',
  'calendar:StartTimeZone',
  'calendar:EndTimeZone',
  'calendar:ConferenceType',
  'calendar:AllowNewTimeProposal',
  'calendar:IsOnlineMeeting',
  'calendar:NetShowUrl',
];
/** MeetingResponseMessageType / MeetingCancellationMessageType (Exchange 2013). */
const OTHER_CALENDAR_URIS = ['calendar:Start', 'calendar:End', 'calendar:Location', 'calendar:Recurrence', 'calendar:CalendarItemType'];
const REQUEST_URIS = ['meetingRequest:MeetingRequestType', 'meetingRequest:IntendedFreeBusyStatus'];
const ALL_MEETING_URIS = new Set([...MESSAGE_URIS, 'calendar:IsOrganizer', ...REQUEST_URIS, ...REQUEST_CALENDAR_URIS]);

/** The meeting fields a shape asks for: all of them for GetItem Default/AllProperties, else those named. */
function meetingFieldsOf(shape: ItemShape, forFind: boolean): Set<string> {
  const out = new Set<string>(shape.base !== 'IdOnly' && !forFind ? ALL_MEETING_URIS : []);
  for (const p of shape.additional) if (p.kind === 'field' && ALL_MEETING_URIS.has(p.uri)) out.add(p.uri);
  return out;
}

/** What meeting fields cost (mail-item.ts `needsOf`): the iTIP part and the Delivered-To header. */
export function meetingNeeds(shape: ItemShape, forFind: boolean): Need[] {
  return meetingFieldsOf(shape, forFind).size ? ['structure', 'headers', 'meeting'] : [];
}

// ------------------------------------------------------------ loading

/**
 * Fetches and parses the iTIP parts the needs call for (load.ts): every meeting message's for
 * 'meeting', only REPLYs' for 'meetingClass'. Messages sharing a section number share one FETCH.
 */
export async function loadMeetingParts(store: MailStore, path: string, items: MailItem[], needs: Set<Need>): Promise<void> {
  if (!needs.has('meeting') && !needs.has('meetingClass')) return;
  const groups = new Map<string, MailItem[]>();
  for (const item of items) {
    const p = itipPart(item.msg.structure);
    if (!p || (!needs.has('meeting') && p.method !== 'REPLY')) continue;
    const section = p.part.part || '1';
    groups.set(section, [...(groups.get(section) ?? []), item]);
  }
  for (const [section, group] of groups) {
    const { messages } = await store.fetchMessages(
      path,
      group.map((i) => i.msg.uid),
      { parts: [section] },
    );
    const byUid = new Map(messages.map((m) => [m.uid, m.parts?.get(section)]));
    for (const item of group) {
      const p = itipPart(item.msg.structure)!;
      const raw = byUid.get(item.msg.uid);
      item.meeting = { method: p.method, object: raw ? readItip(decodeTextPart(p.part, raw)) : undefined };
    }
  }
}

/**
 * The calendar copies of the meetings that loaded requests and cancellations are about
 * (AssociatedCalendarItemId, IsOutOfDate, MeetingRequestType Outdated, HasBeenProcessed). The
 * mail load path has no calendar store, so a caller with the request context runs this after
 * loadMailItems. A copy is looked up under the name AcceptItem stores it by (its UID's), one GET
 * per meeting: a copy another client filed under another name is not found.
 */
export async function associateMeetings(ctx: RequestContext, items: MailItem[]): Promise<void> {
  const wanted = items.filter((i) => i.meeting?.object && i.meeting.method !== 'REPLY');
  const store = ctx.mailbox.calendars;
  if (!wanted.length || !store) return;
  const calendar = (await loadTree(ctx)).distinguishedFolder('calendar');
  if (!calendar?.dav || calendar.unavailable) return;
  for (const item of wanted) {
    const data = item.meeting!;
    let copy;
    try {
      // encoded as createObject names it, so the id is the one FindItem and AcceptItem hand out
      const dir = calendar.dav.href.endsWith('/') ? calendar.dav.href : `${calendar.dav.href}/`;
      copy = await store.getObject(dir + encodeURIComponent(resourceNameForUid(data.object!.uid)));
    } catch (e) {
      if (e instanceof ObjectMissingError) continue;
      return; // the calendar cannot be read now: the messages are answered without the association
    }
    const stored = eventOf(readItip(copy.data));
    const mine = stored?.attendees.find((a) => same(a.email, ctx.user.email) || same(a.email, ctx.user.login));
    data.associated = {
      id: encodeDavItemId({ store: 'calendar', view: calendar.dav.view, href: copy.href }),
      changeKey: etagChangeKey(copy.etag),
      sequence: stored?.sequence ?? 0,
      // the answer the user gave is in the calendar copy, not in the request
      response: mine && mine.response !== 'Organizer' ? mine.response : undefined,
    };
  }
}

function readItip(text: string): CalendarObject | undefined {
  try {
    const obj = parseCalendarObject(text);
    return obj.kind === 'event' && eventOf(obj) ? obj : undefined;
  } catch {
    return undefined; // an unreadable part leaves a plain message with its class
  }
}

// ------------------------------------------------------------ rendering

/** The mailbox the message was delivered to (LMTP's Delivered-To), else its only To recipient. */
function ownerOf(item: MailItem): string | undefined {
  const delivered = headerValue(item.headers, 'Delivered-To') ?? headerValue(item.headers, 'X-Original-To');
  if (delivered) return delivered.replace(/^.*<|>.*$/g, '').trim();
  const to = item.msg.envelope?.to ?? [];
  return to.length === 1 ? to[0].address : undefined;
}

function calendarContext(item: MailItem, rc: RenderContext, shape: ItemShape): CalendarRenderContext {
  const owner = ownerOf(item) ?? '';
  const none = () => ({ id: '', changeKey: '' });
  return {
    version: rc.version,
    shape,
    user: { email: owner, addresses: [owner] },
    timeZone: 'UTC',
    parentFolder: { id: item.folder.id, changeKey: item.folder.changeKey },
    itemId: none,
    occurrenceId: none,
  };
}

const same = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** MeetingRequestType: New for a first request, FullUpdate for a later one, Outdated when the calendar holds a newer one. */
function requestType(data: MeetingData, e: CalendarEvent): string {
  if (data.associated && data.associated.sequence > e.sequence) return 'Outdated';
  return e.sequence > 0 ? 'FullUpdate' : 'NewMeetingRequest';
}

/**
 * The meeting elements after MessageType's, in the schema's order (mail-item.ts
 * `renderMailItem`); nothing for an ordinary message or one whose part was not loaded.
 */
export function renderMeetingFields(item: MailItem, rc: RenderContext, forFind: boolean): XmlChild[] {
  const data = item.meeting;
  const event = eventOf(data?.object);
  if (!data || !event) return [];
  const fields = meetingFieldsOf(rc.shape, forFind);
  if (!fields.size) return [];
  const crc = calendarContext(item, rc, rc.shape);
  const view = itemViews(data.object!, '', '', '')[0] as CalendarItemView | undefined;
  if (!view) return [];
  const owner = ownerOf(item);
  const mine = event.attendees.find((a) => same(a.email, owner));
  const response =
    data.method === 'REPLY'
      ? (replyResponse(item) ?? 'Unknown')
      : same(event.organizer?.email, owner)
        ? 'Organizer'
        : (data.associated?.response ?? (mine && mine.response !== 'Organizer' ? mine.response : 'Unknown'));
  const outOfDate = !!data.associated && data.associated.sequence > event.sequence;
  const out: XmlChild[] = [];
  const has = (uri: string) => fields.has(uri);
  if (has('meeting:AssociatedCalendarItemId') && data.associated)
    out.push(x('t:AssociatedCalendarItemId', { Id: data.associated.id, ChangeKey: data.associated.changeKey }));
  if (has('meeting:IsDelegated')) out.push(x('t:IsDelegated', null, 'false'));
  if (has('meeting:IsOutOfDate')) out.push(x('t:IsOutOfDate', null, bool(outOfDate)));
  if (has('meeting:HasBeenProcessed')) out.push(x('t:HasBeenProcessed', null, bool(!!data.associated || item.msg.flags.has('\\Answered'))));
  if (has('meeting:ResponseType')) out.push(x('t:ResponseType', null, response));
  if (has('calendar:UID')) out.push(x('t:UID', null, data.object!.uid));
  if (has('calendar:RecurrenceId') && event.recurrenceId) out.push(x('t:RecurrenceId', null, isoUtc(event.recurrenceId.utc)));
  if (has('calendar:DateTimeStamp') && event.stamp) out.push(x('t:DateTimeStamp', null, isoUtc(event.stamp)));
  if (has('calendar:IsOrganizer') && versionAtLeast(rc.version, 'Exchange2013')) out.push(x('t:IsOrganizer', null, bool(same(event.organizer?.email, owner))));
  let calendarUris: string[];
  if (data.method === 'REQUEST') {
    if (has('meetingRequest:MeetingRequestType')) out.push(x('t:MeetingRequestType', null, requestType(data, event)));
    if (has('meetingRequest:IntendedFreeBusyStatus')) out.push(x('t:IntendedFreeBusyStatus', null, event.freeBusy));
    calendarUris = REQUEST_CALENDAR_URIS;
  } else {
    if (!versionAtLeast(rc.version, 'Exchange2013')) return out;
    calendarUris = OTHER_CALENDAR_URIS;
  }
  const wanted = new Set(calendarUris.filter(has));
  for (const p of CALENDAR_PROPERTIES) {
    if (!wanted.has(p.uri)) continue;
    if (p.since && !versionAtLeast(rc.version, p.since)) continue;
    // 2007 clients get MeetingTimeZone, later ones Start/EndTimeZone (as for calendar items)
    if (p.uri === 'calendar:MeetingTimeZone' && versionAtLeast(rc.version, 'Exchange2010')) continue;
    out.push(p.render(view, crc));
  }
  return out;
}
