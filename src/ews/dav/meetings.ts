// Meetings over SMTP (iMIP, RFC 6047): invitations and cancellations the
// organizer sends (CreateItem / UpdateItem / DeleteItem with
// SendMeetingInvitations(OrChanges) / SendMeetingCancellations), and the
// attendee's AcceptItem / TentativelyAcceptItem / DeclineItem (response objects
// inside CreateItem); the organizer's CancelCalendarItem and the attendee's
// RemoveItem of a cancellation; CANCEL for one occurrence when it is deleted.
// A message carries a text/plain body and the iTIP
// text/calendar part as an alternative (method=REQUEST / CANCEL / REPLY), the way
// Outlook sends them.
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { NS, attr, child, textOf, x, type Element } from '../../soap/xml.js';
import { parseCalendarObject, serializeCalendarObject, IcalError, type CalendarEvent, type CalendarObject, type Person } from '../../convert/ical.js';
import { itipCancel, itipReply, itipRequest } from '../../convert/ical-itip.js';
import { resourceNameForUid } from '../../convert/ical-ids.js';
import { readMessage } from '../../convert/message-properties.js';
import { ObjectMissingError, isDavObject, type CalendarStore, type DavObject } from '../../ports/calendar-store.js';
import { EwsError, invalidIdMalformed, storeUnavailable } from '../errors.js';
import { ok, type ItemResult, type RequestContext } from '../operation.js';
import type { EwsFolder, FolderTree } from '../folders/tree.js';
import { encodeDavItemId, etagChangeKey } from '../items/dav-item-id.js';
import { decodeItemId } from '../items/item-id.js';
import { itemNotFound, resolveItem } from '../items/request.js';
import { sendMessage } from '../items/send.js';
import { resolveDavItem } from './resolve.js';
import { deleteOccurrence, occurrenceAt, occurrenceByRecurrenceId, type Occurrence } from '../../convert/recurrence-expand.js';
import { loadTree } from '../folders/request.js';

export const MEETING_RESPONSES = ['AcceptItem', 'TentativelyAcceptItem', 'DeclineItem'] as const;
type MeetingResponse = (typeof MEETING_RESPONSES)[number];
const RESPONSE_OF: Record<MeetingResponse, 'Accept' | 'Tentative' | 'Decline'> = {
  AcceptItem: 'Accept',
  TentativelyAcceptItem: 'Tentative',
  DeclineItem: 'Decline',
};
const SUBJECT_PREFIX = { Accept: 'Accepted', Tentative: 'Tentative', Decline: 'Declined' } as const;

/** AcceptItem, TentativelyAcceptItem or DeclineItem (a response object of CreateItem). */
export function isMeetingResponse(el: Element): boolean {
  return (MEETING_RESPONSES as readonly string[]).includes(el.localName ?? '');
}

const same = (a: string | undefined, b: string | undefined) => !!a && !!b && a.toLowerCase() === b.toLowerCase();

/** The message: text/plain and the iTIP text/calendar alternative. */
export async function composeItip(from: Person, to: Person[], subject: string, text: string, method: string, ics: string): Promise<Buffer> {
  const mail = new MailComposer({
    from: from.name ? { name: from.name, address: from.email } : from.email,
    to: to.map((p) => (p.name ? { name: p.name, address: p.email } : p.email)),
    subject,
    text,
    icalEvent: { method, content: ics },
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return new Promise((resolve, reject) => mail.compile().build((err, buf) => (err ? reject(err) : resolve(buf))));
}

function sentItems(tree: FolderTree, saveCopy: boolean): EwsFolder | undefined {
  return saveCopy ? tree.distinguishedFolder('sentitems') : undefined;
}

function describe(e: CalendarEvent): string {
  const lines = [`When: ${e.start.utc.toISOString()} – ${e.end.utc.toISOString()}`];
  if (e.location) lines.push(`Where: ${e.location}`);
  if (e.body) lines.push('', e.body);
  return lines.join('\r\n');
}

function otherAttendees(ctx: RequestContext, e: CalendarEvent): Person[] {
  return e.attendees
    .filter((a) => !same(a.email, ctx.user.email) && !same(a.email, ctx.user.login) && !same(a.email, e.organizer?.email))
    .map((a) => ({ email: a.email, name: a.name }));
}

/** Which mode a SendMeetingInvitations / …OrChanges / SendMeetingCancellations value asks for. */
export function sendMode(value: string | undefined): { send: boolean; saveCopy: boolean } {
  switch (value) {
    case 'SendOnlyToAll':
    case 'SendOnlyToChanged':
      return { send: true, saveCopy: false };
    case 'SendToAllAndSaveCopy':
    case 'SendToChangedAndSaveCopy':
      return { send: true, saveCopy: true };
    default:
      return { send: false, saveCopy: false };
  }
}

/** The operation element (CreateItem, UpdateItem, DeleteItem) an item element of the request sits in. */
export function operationOf(el: Element | undefined): Element | undefined {
  let n: Element | undefined = el;
  while (n && !(n.namespaceURI === NS.messages && ['CreateItem', 'UpdateItem', 'DeleteItem'].includes(n.localName ?? ''))) {
    n = (n.parentNode as Element | null) ?? undefined;
    if (n && n.nodeType !== 1) return undefined;
  }
  return n;
}

/** Sends the object's REQUEST (an invitation or an update) to its attendees; nothing when it has none. */
export async function sendInvitations(
  ctx: RequestContext,
  tree: FolderTree,
  obj: CalendarObject,
  opts: { saveCopy: boolean; update?: boolean },
): Promise<void> {
  const e = obj.master ?? obj.overrides[0];
  if (!e || obj.kind !== 'event') return;
  const to = otherAttendees(ctx, e);
  if (!to.length) return;
  const from = { email: ctx.user.email, name: ctx.user.displayName };
  const raw = await composeItip(from, to, opts.update ? `Updated: ${e.subject}` : e.subject, describe(e), 'REQUEST', itipRequest(obj));
  await sendMessage(ctx, tree, raw, { extraBcc: [], saveCopyTo: sentItems(tree, opts.saveCopy) });
}

/** Sends CANCEL for the whole meeting, or for one occurrence of it, to its attendees. */
export async function sendCancellation(
  ctx: RequestContext,
  tree: FolderTree,
  obj: CalendarObject,
  opts: { saveCopy: boolean; occurrence?: Occurrence; comment?: string },
): Promise<void> {
  const e = opts.occurrence?.event ?? obj.master;
  if (!e || obj.kind !== 'event') return;
  if (e.organizer && !same(e.organizer.email, ctx.user.email) && !same(e.organizer.email, ctx.user.login)) return; // only the organizer cancels
  const to = otherAttendees(ctx, e);
  if (!to.length) return;
  const from = { email: ctx.user.email, name: ctx.user.displayName };
  const shown = opts.occurrence ? { ...e, start: opts.occurrence.start, end: opts.occurrence.end } : e;
  const text = [opts.comment, describe(shown)].filter(Boolean).join('\r\n\r\n');
  const ics = itipCancel(obj, { recurrenceId: opts.occurrence?.recurrenceId });
  const raw = await composeItip(from, to, `Canceled: ${e.subject}`, text, 'CANCEL', ics);
  await sendMessage(ctx, tree, raw, { extraBcc: [], saveCopyTo: sentItems(tree, opts.saveCopy) });
}

function calendarStore(ctx: RequestContext): CalendarStore {
  if (!ctx.mailbox.calendars) throw storeUnavailable();
  return ctx.mailbox.calendars;
}

/** The calendar copy of a meeting in the default calendar, found by UID (its usual resource name, else a scan). */
export async function findByUid(store: CalendarStore, folder: EwsFolder, uid: string): Promise<DavObject | undefined> {
  const href = folder.dav!.href;
  try {
    const o = await store.getObject(href + resourceNameForUid(uid));
    return o;
  } catch (e) {
    if (!(e instanceof ObjectMissingError)) throw e;
  }
  for (const r of await store.queryObjects(href, { component: 'VEVENT' })) {
    if (!isDavObject(r)) continue;
    if (new RegExp(`^UID:${uid.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\r?$`, 'm').test(r.data)) return r;
  }
  return undefined;
}

interface Target {
  /** The meeting as the user's calendar should hold it. */
  obj: CalendarObject;
  /** The stored copy, when there is one. */
  stored?: { folder: EwsFolder; object: DavObject };
  calendar: EwsFolder;
  /** The meeting request answered, when the response named a message. */
  request?: { folder: EwsFolder; uid: number };
}

async function targetOf(ctx: RequestContext, tree: FolderTree, idEl: Element): Promise<Target> {
  const id = attr(idEl, 'Id') ?? '';
  const store = calendarStore(ctx);
  const calendar = tree.distinguishedFolder('calendar');
  if (!calendar?.dav || calendar.unavailable) throw storeUnavailable();
  const dav = resolveDavItem(tree, id);
  if (dav) {
    if (dav.folder.dav?.view !== 'VEVENT') throw new EwsError('ErrorInvalidOperation', 'Only meetings can be accepted or declined.');
    const href = dav.ref.href.replace(/#\d+$/, '');
    let o: DavObject;
    try {
      o = await store.getObject(href);
    } catch (e) {
      if (e instanceof ObjectMissingError) throw itemNotFound();
      throw e;
    }
    return { obj: parseCalendarObject(o.data), stored: { folder: dav.folder, object: o }, calendar: dav.folder };
  }
  // a meeting request in a mail folder: its text/calendar REQUEST part
  const item = resolveItem(tree, { id });
  const { messages } = await ctx.mailbox.mail.fetchMessages(item.folder.mail!.path, [item.ref.uid], { source: true });
  const source = messages[0]?.source;
  if (!source) throw itemNotFound();
  const parsed = await readMessage(source);
  if (!parsed.calendar || parsed.calendar.method !== 'REQUEST') throw new EwsError('ErrorInvalidOperation', 'The item is not a meeting request.');
  let obj: CalendarObject;
  try {
    obj = parseCalendarObject(parsed.calendar.content);
  } catch (e) {
    if (e instanceof IcalError) throw new EwsError('ErrorCorruptData', `The meeting request cannot be read: ${e.message}`);
    throw e;
  }
  if (obj.kind !== 'event') throw new EwsError('ErrorInvalidOperation', 'The item is not a meeting request.');
  const existing = await findByUid(store, calendar, obj.uid);
  if (existing) {
    // the newer request wins (same or higher SEQUENCE): it replaces the stored copy's data
    const old = parseCalendarObject(existing.data);
    const keep = (old.master?.sequence ?? 0) > (obj.master?.sequence ?? 0) ? old : obj;
    return { obj: keep, stored: { folder: calendar, object: existing }, calendar, request: { folder: item.folder, uid: item.ref.uid } };
  }
  return { obj, calendar, request: { folder: item.folder, uid: item.ref.uid } };
}

/**
 * AcceptItem / TentativelyAcceptItem / DeclineItem: the user's PARTSTAT in the calendar copy
 * (created from the request when missing; removed on Decline), and unless SaveOnly, the iTIP
 * REPLY to the organizer (Sent Items copy for SendAndSaveCopy). Answers the CreateItem result.
 */
export async function respondToMeeting(ctx: RequestContext, tree: FolderTree, el: Element, disposition: string | undefined): Promise<ItemResult> {
  const kind = el.localName as MeetingResponse;
  const response = RESPONSE_OF[kind];
  if (!response) throw new EwsError('ErrorInvalidOperation', `${el.localName} is not a meeting response.`);
  const idEl = child(el, NS.types, 'ReferenceItemId');
  if (!idEl) throw new EwsError('ErrorInvalidOperation', `${kind} needs a ReferenceItemId.`);
  const store = calendarStore(ctx);
  const target = await targetOf(ctx, tree, idEl);
  const { obj } = target;
  const event = obj.master ?? obj.overrides[0];
  if (!event) throw new EwsError('ErrorInvalidOperation', 'The meeting holds no event.');
  if (event.organizer && (same(event.organizer.email, ctx.user.email) || same(event.organizer.email, ctx.user.login)))
    throw new EwsError('ErrorInvalidOperation', 'The organizer cannot respond to their own meeting.');
  const me = ctx.user.email;
  for (const e of [...(obj.master ? [obj.master] : []), ...obj.overrides]) {
    const a = e.attendees.find((p) => same(p.email, me) || same(p.email, ctx.user.login));
    if (a) {
      a.response = response;
      a.rsvp = false;
    } else e.attendees = [...e.attendees, { email: me, name: ctx.user.displayName, kind: 'Required', response }];
  }
  // the REPLY before the calendar changes: a reply that cannot be sent leaves the calendar as it was
  if (disposition !== 'SaveOnly' && event.organizer) {
    const comment = textOf(child(el, NS.types, 'Body'))?.trim() || undefined;
    const ics = itipReply(obj, me, response, { comment });
    const raw = await composeItip(
      { email: me, name: ctx.user.displayName },
      [event.organizer],
      `${SUBJECT_PREFIX[response]}: ${event.subject}`,
      comment ??
        `${ctx.user.displayName || me} ${response === 'Decline' ? 'declined' : response === 'Tentative' ? 'tentatively accepted' : 'accepted'} this meeting.`,
      'REPLY',
      ics,
    );
    await sendMessage(ctx, tree, raw, { extraBcc: [], saveCopyTo: sentItems(tree, disposition !== 'SendOnly') });
  }
  const view = target.calendar.dav!.view;
  let saved;
  if (response === 'Decline') {
    if (target.stored) await store.deleteObject(target.stored.object.href);
  } else {
    const data = serializeCalendarObject(obj);
    saved = target.stored
      ? await store.updateObject(target.stored.object.href, data, target.stored.object.etag)
      : await store.createObject(target.calendar.dav!.href, resourceNameForUid(obj.uid), data);
  }
  // as Exchange does, the answered request leaves the Inbox for Deleted Items
  if (target.request && disposition !== 'SaveOnly') {
    const trash = tree.distinguishedFolder('deleteditems');
    // \Answered: HasBeenProcessed on the request (items/meeting-message.ts)
    await ctx.mailbox.mail.changeFlags(target.request.folder.mail!.path, [target.request.uid], { op: 'add', flags: ['\\Answered'] });
    if (trash?.mail && trash !== target.request.folder)
      await ctx.mailbox.mail.moveMessages(target.request.folder.mail!.path, [target.request.uid], trash.mail.path);
  }
  if (!saved) return ok(x('m:Items', null));
  return ok(
    x(
      'm:Items',
      null,
      x('t:CalendarItem', null, x('t:ItemId', { Id: encodeDavItemId({ store: 'calendar', view, href: saved.href }), ChangeKey: etagChangeKey(saved.etag) })),
    ),
  );
}

// ------------------------------------------------------------ occurrences, cancellations

/**
 * Deletes one occurrence of a series (DeleteItem on an occurrence id, CancelCalendarItem,
 * RemoveItem of a cancellation for one RECURRENCE-ID): an EXDATE on the master, its override
 * removed; with `send`, the organizer's CANCEL for that RECURRENCE-ID goes out first.
 */
export async function deleteOneOccurrence(
  ctx: RequestContext,
  store: CalendarStore,
  href: string,
  which: Date | { index: number },
  opts: { send: boolean; saveCopy: boolean; comment?: string; floatingZone?: string },
): Promise<void> {
  const o = await store.getObject(href);
  const obj = parseCalendarObject(o.data, { floatingZone: opts.floatingZone });
  const found = which instanceof Date ? occurrenceByRecurrenceId(obj, which) : occurrenceAt(obj, which.index);
  if ('deleted' in found) throw new EwsError('ErrorCalendarOccurrenceIsDeletedFromRecurrence', 'Occurrence was deleted from the recurrence.');
  if (!('found' in found)) throw new EwsError('ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange', 'Occurrence index is out of recurrence range.');
  if (opts.send && obj.kind === 'event')
    await sendCancellation(ctx, await loadTree(ctx, { dav: false }), obj, { saveCopy: opts.saveCopy, occurrence: found.found, comment: opts.comment });
  deleteOccurrence(obj, found.found.recurrenceId);
  await store.updateObject(href, serializeCalendarObject(obj), o.etag);
}

export const MEETING_ACTIONS = ['RemoveItem', 'CancelCalendarItem'] as const;

/** RemoveItem (attendee, of a MeetingCancellation) or CancelCalendarItem (organizer): response objects of CreateItem. */
export function isMeetingAction(el: Element): boolean {
  return (MEETING_ACTIONS as readonly string[]).includes(el.localName ?? '');
}

export function meetingAction(ctx: RequestContext, tree: FolderTree, el: Element, disposition: string | undefined): Promise<ItemResult> {
  return el.localName === 'RemoveItem' ? removeCancelledMeeting(ctx, tree, el) : cancelMeeting(ctx, tree, el, disposition);
}

async function missingAsNotFound<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ObjectMissingError) throw itemNotFound();
    if (e instanceof IcalError) throw new EwsError('ErrorCorruptData', `The meeting cannot be read: ${e.message}`);
    throw e;
  }
}

/**
 * RemoveItem: the cancellation's meeting leaves the default calendar (the whole meeting, or the
 * occurrence its RECURRENCE-ID names) and the cancellation goes to Deleted Items, as on Exchange.
 */
async function removeCancelledMeeting(ctx: RequestContext, tree: FolderTree, el: Element): Promise<ItemResult> {
  const id = attr(child(el, NS.types, 'ReferenceItemId'), 'Id');
  if (!id) throw new EwsError('ErrorInvalidOperation', 'RemoveItem needs a ReferenceItemId.');
  const wrongItem = () => new EwsError('ErrorInvalidItemForOperationRemoveItem', 'RemoveItem applies to meeting cancellations only.');
  if (resolveDavItem(tree, id)) throw wrongItem();
  const item = resolveItem(tree, { id });
  const { messages } = await ctx.mailbox.mail.fetchMessages(item.folder.mail!.path, [item.ref.uid], { source: true });
  const source = messages[0]?.source;
  if (!source) throw itemNotFound();
  const parsed = await readMessage(source);
  if (!parsed.calendar || parsed.calendar.method !== 'CANCEL') throw wrongItem();
  const store = calendarStore(ctx);
  const calendar = tree.distinguishedFolder('calendar');
  if (!calendar?.dav || calendar.unavailable) throw storeUnavailable();
  await missingAsNotFound(async () => {
    const obj = parseCalendarObject(parsed.calendar!.content);
    const cancelled = obj.master ?? obj.overrides[0];
    const copy = await findByUid(store, calendar, obj.uid);
    if (!copy) return; // nothing in the calendar (declined or removed before): only the message goes
    const rid = cancelled?.recurrenceId;
    if (!rid) await store.deleteObject(copy.href, copy.etag);
    else {
      try {
        await deleteOneOccurrence(ctx, store, copy.href, rid.utc, { send: false, saveCopy: false });
      } catch (e) {
        // an occurrence the copy no longer has is removed already
        if (!(e instanceof EwsError)) throw e;
      }
    }
  });
  const trash = tree.distinguishedFolder('deleteditems');
  if (trash?.mail && trash !== item.folder) await ctx.mailbox.mail.moveMessages(item.folder.mail!.path, [item.ref.uid], trash.mail.path);
  return ok(x('m:Items', null));
}

/**
 * CancelCalendarItem: the organizer cancels the meeting (or the occurrence the id names). Unless
 * SaveOnly, CANCEL goes to the attendees (Sent Items copy unless SendOnly); the event is deleted.
 */
async function cancelMeeting(ctx: RequestContext, tree: FolderTree, el: Element, disposition: string | undefined): Promise<ItemResult> {
  const id = attr(child(el, NS.types, 'ReferenceItemId'), 'Id');
  if (!id) throw new EwsError('ErrorInvalidOperation', 'CancelCalendarItem needs a ReferenceItemId.');
  const dav = resolveDavItem(tree, id);
  if (!dav && !decodeItemId(id)) throw invalidIdMalformed();
  if (!dav || dav.folder.dav?.view !== 'VEVENT') throw new EwsError('ErrorInvalidOperation', 'Only calendar items can be cancelled.');
  const store = calendarStore(ctx);
  const hash = dav.ref.href.lastIndexOf('#');
  const href = hash < 0 ? dav.ref.href : dav.ref.href.slice(0, hash);
  const tail = hash < 0 ? undefined : dav.ref.href.slice(hash + 1);
  const occurrence = tail === undefined ? undefined : /^i\d+$/.test(tail) ? { index: Number(tail.slice(1)) } : new Date(Number(tail));
  const send = disposition !== 'SaveOnly';
  const saveCopy = disposition !== 'SendOnly';
  const comment = (textOf(child(el, NS.types, 'NewBodyContent')) ?? textOf(child(el, NS.types, 'Body')))?.trim() || undefined;
  await missingAsNotFound(async () => {
    const o = await store.getObject(href);
    const obj = parseCalendarObject(o.data);
    const e = obj.master ?? obj.overrides[0];
    if (obj.kind !== 'event' || !e) throw new EwsError('ErrorInvalidOperation', 'Only calendar items can be cancelled.');
    if (e.organizer && !same(e.organizer.email, ctx.user.email) && !same(e.organizer.email, ctx.user.login))
      throw new EwsError('ErrorInvalidOperation', 'Only the organizer can cancel a meeting.');
    if (occurrence) {
      await deleteOneOccurrence(ctx, store, href, occurrence, { send, saveCopy, comment });
      return;
    }
    if (send) await sendCancellation(ctx, tree, obj, { saveCopy, comment });
    await store.deleteObject(href, o.etag);
  });
  return ok(x('m:Items', null));
}
