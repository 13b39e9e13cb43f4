// Calendar items and tasks over the CalendarStore port. FindItem with a
// CalendarView asks the server for the time range and expands recurrences here;
// without one it answers singles and series masters. Occurrences have ids of
// their own (the object's href plus the instance's RECURRENCE-ID instant).
import { createHash } from 'node:crypto';
import { attr, x, type Element, type Xml } from '../../soap/xml.js';
import { parseCalendarObject, serializeCalendarObject, type CalendarObject } from '../../convert/ical.js';
import { deleteOccurrence, modifyOccurrence, occurrenceAt, occurrenceByRecurrenceId, type Occurrence, type OccurrenceLookup } from '../../convert/recurrence-expand.js';
import { resourceNameForUid, resourceNameFromUrlCompName, urlCompNameOfHref } from '../../convert/ical-ids.js';
import { isIanaZone, windowsToIana } from '../../convert/timezones.js';
import { ConflictError, InvalidSyncTokenError, ObjectMissingError, ObjectRejectedError, isDavObject, type CalendarStore } from '../../ports/calendar-store.js';
import { EwsError, schemaViolation, storeUnavailable } from '../errors.js';
import type { RequestContext } from '../operation.js';
import type { EwsFolder } from '../folders/tree.js';
import { calendarViewItems, checkCalendarView, findItemViews, readObjects } from '../calendar/load.js';
import { renderCalendarView, calendarPropertyValue } from '../calendar/item.js';
import { occurrenceView, itemViews, type AnyCalendarView, type CalendarRenderContext } from '../calendar/views.js';
import { createCalendarItem, createTask, updateCalendarItem, updateTask, type CalendarWriteContext } from '../calendar/write.js';
import type { ItemShape } from '../items/shape.js';
import { collectionOf, decodeDavItemId, encodeDavItemId, etagChangeKey, type DavItemRef } from '../items/dav-item-id.js';
import { itemNotFound } from '../items/request.js';
import { pageOf, type Page, type Paging } from '../paging.js';
import { evaluate, type Restriction } from '../restriction.js';
import type { SortField } from '../items/search.js';
import { openState, sealState } from '../sync/signed-state.js';
import { loadTree } from '../folders/request.js';
import { operationOf, sendCancellation, sendInvitations, sendMode } from './meetings.js';

function storeOf(ctx: RequestContext, folder?: EwsFolder): CalendarStore {
  if (folder?.unavailable || !ctx.mailbox.calendars) throw storeUnavailable();
  return ctx.mailbox.calendars;
}

/**
 * The request's zone (TimeZoneContext), for floating and all-day times; UTC without one. An Id we
 * cannot map is ErrorTimeZone (as Exchange): guessing UTC would move every all-day event.
 */
export function requestZone(ctx: RequestContext): string {
  if (!ctx.timeZoneId) return 'UTC';
  const zone = windowsToIana(ctx.timeZoneId) ?? (isIanaZone(ctx.timeZoneId) ? ctx.timeZoneId : undefined);
  if (!zone) throw new EwsError('ErrorTimeZone', `The time zone "${ctx.timeZoneId}" of the TimeZoneContext is not known.`);
  return zone;
}

interface HrefParts {
  href: string;
  occurrenceMs?: number;
  occurrenceIndex?: number;
}

/**
 * An occurrence's id: the object's href and "#" and the instance's original start in ms; "#i<n>"
 * names it by InstanceIndex (an OccurrenceItemId the request turned into an id, see parseItemIds).
 */
function splitHref(href: string): HrefParts {
  const hash = href.lastIndexOf('#');
  if (hash < 0) return { href };
  const tail = href.slice(hash + 1);
  if (/^i\d+$/.test(tail)) return { href: href.slice(0, hash), occurrenceIndex: Number(tail.slice(1)) };
  const ms = Number(tail);
  return Number.isFinite(ms) ? { href: href.slice(0, hash), occurrenceMs: ms } : { href };
}

/** The occurrence an id names; undefined when it names the object itself. */
function lookupOccurrence(obj: CalendarObject, p: HrefParts): OccurrenceLookup | undefined {
  if (p.occurrenceIndex !== undefined) return occurrenceAt(obj, p.occurrenceIndex);
  if (p.occurrenceMs !== undefined) return occurrenceByRecurrenceId(obj, new Date(p.occurrenceMs));
  return undefined;
}

function occurrenceError(found: OccurrenceLookup): EwsError {
  return 'deleted' in found
    ? new EwsError('ErrorCalendarOccurrenceIsDeletedFromRecurrence', 'Occurrence was deleted from the recurrence.')
    : new EwsError('ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange', 'Occurrence index is out of recurrence range.');
}

function renderContext(ctx: RequestContext, folder: EwsFolder, shape: ItemShape): CalendarRenderContext {
  const view = folder.dav!.view;
  // A CalendarView shows hundreds of occurrences of one object: its change key is computed once.
  const changeKeys = new Map<string, string>();
  const changeKeyOf = (etag: string) => {
    let k = changeKeys.get(etag);
    if (k === undefined) changeKeys.set(etag, (k = etagChangeKey(etag)));
    return k;
  };
  const idOf = (href: string, etag: string, occ?: Occurrence) =>
    ({ id: encodeDavItemId({ store: 'calendar', view, href: occ ? `${href}#${occ.recurrenceId.utc.getTime()}` : href }), changeKey: changeKeyOf(etag) });
  return {
    version: ctx.version,
    shape,
    user: { email: ctx.user.email, name: ctx.user.displayName, addresses: [ctx.user.email, ctx.user.login] },
    timeZone: requestZone(ctx),
    parentFolder: { id: folder.id, changeKey: folder.changeKey },
    itemId: (v) => idOf(v.href, v.etag, v.kind === 'calendar' && (v.type === 'Occurrence' || v.type === 'Exception') ? v.occurrence : undefined),
    occurrenceId: (v, occ) => idOf(v.href, v.etag, occ),
  };
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ObjectMissingError) throw itemNotFound();
    if (e instanceof ConflictError) {
      if (e.kind === 'changed') throw new EwsError('ErrorIrresolvableConflict', 'The item was changed by someone else meanwhile.');
      throw new EwsError('ErrorItemSave', 'An item with that name exists already.');
    }
    if (e instanceof ObjectRejectedError) throw new EwsError('ErrorItemSave', `The calendar server refused the item: ${e.message}`);
    if (e instanceof InvalidSyncTokenError) throw new EwsError('ErrorInvalidSyncStateData', 'Synchronization state data is corrupt or otherwise invalid.');
    const name = (e as Error)?.name ?? '';
    if (name === 'RecurrenceError' || name === 'UnsupportedRecurrenceError') throw new EwsError('ErrorCalendarInvalidRecurrence', (e as Error).message);
    if (name === 'TimeZoneError') throw new EwsError('ErrorTimeZone', (e as Error).message);
    if (name === 'IcalError') throw new EwsError('ErrorMimeContentConversionFailed', (e as Error).message);
    throw e;
  }
}

function viewsOf(obj: CalendarObject, href: string, etag: string, data: string, p: HrefParts): AnyCalendarView | EwsError {
  const found = lookupOccurrence(obj, p);
  if (!found) return itemViews(obj, href, etag, data)[0] ?? itemNotFound();
  if (!('found' in found)) return occurrenceError(found);
  return occurrenceView(obj, found.found, href, etag, data);
}

export async function getCalendarItems(ctx: RequestContext, folder: EwsFolder, refs: DavItemRef[], shape: ItemShape): Promise<(Xml | EwsError)[]> {
  const store = storeOf(ctx, folder);
  const rc = renderContext(ctx, folder, shape);
  return guard(async () => {
    const parts = refs.map((r) => splitHref(r.href));
    const results = await store.multiGet(folder.dav!.href, [...new Set(parts.map((p) => p.href))]);
    const byHref = new Map(results.filter(isDavObject).map((o) => [o.href, o]));
    return parts.map((p) => {
      const o = byHref.get(p.href);
      if (!o) return itemNotFound();
      let obj: CalendarObject;
      try {
        obj = parseCalendarObject(o.data, { floatingZone: rc.timeZone });
      } catch (e) {
        return new EwsError('ErrorCorruptData', `The item cannot be read: ${(e as Error).message}`);
      }
      const view = viewsOf(obj, o.href, o.etag, o.data, p);
      return view instanceof EwsError ? view : renderCalendarView(view, rc, false);
    });
  });
}

const PR_URL_COMP_NAME = 0x10f3;

/**
 * DavMail finds a calendar item by name with a FindItem restriction on
 * PR_URL_COMP_NAME (0x10F3): either the name it gave at creation ("x.ics", whose
 * resource is x.ics and whose 0x10F3 reads "x.EML"), or the name it made from the
 * ItemId ("<ItemId>.EML", EwsExchangeSession.Event: it expects Exchange's long ids
 * and looks short ones up by name). Both are rewritten to the 0x10F3 we answer.
 */
function davmailNames(r: Restriction, folder: EwsFolder): Restriction {
  switch (r.op) {
    case 'and':
    case 'or':
      return { ...r, operands: r.operands.map((o) => davmailNames(o, folder)) };
    case 'not':
      return { ...r, operand: davmailNames(r.operand, folder) };
    case 'compare': {
      if (r.path.kind !== 'extended' || r.path.tag !== PR_URL_COMP_NAME || r.path.propertySet || !('constant' in r.value)) return r;
      const name = r.value.constant;
      if (/^[^/\\]+\.ics$/i.test(name)) return { ...r, value: { constant: urlCompNameOfHref(name) } };
      const ref = /^[A-Za-z0-9_-]+\.EML$/.test(name) ? decodeDavItemId(name.slice(0, -4)) : undefined;
      const href = ref?.store === 'calendar' ? splitHref(ref.href).href : undefined;
      if (href && decodeURIComponent(collectionOf(href)) === decodeURIComponent(folder.dav!.href))
        return { ...r, value: { constant: urlCompNameOfHref(href) } };
      return r;
    }
    default:
      return r;
  }
}

export async function findCalendarItems(
  ctx: RequestContext,
  folder: EwsFolder,
  q: { restriction?: Restriction; sort: SortField[]; paging: Paging; shape: ItemShape; calendarView?: Element },
): Promise<Page<Xml>> {
  const store = storeOf(ctx, folder);
  const rc = renderContext(ctx, folder, q.shape);
  const component = folder.dav!.view === 'VTODO' ? 'VTODO' : 'VEVENT';
  return guard(async () => {
    if (q.calendarView && component === 'VEVENT') {
      const start = new Date(attr(q.calendarView, 'StartDate') ?? '');
      const end = new Date(attr(q.calendarView, 'EndDate') ?? '');
      if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) throw schemaViolation('CalendarView needs StartDate and EndDate.');
      checkCalendarView(start, end);
      const max = attr(q.calendarView, 'MaxEntriesReturned');
      const { objects } = readObjects(await store.queryObjects(folder.dav!.href, { component, range: { start, end } }), { floatingZone: rc.timeZone });
      const { items, more } = calendarViewItems(objects, start, end, max ? Number(max) : undefined);
      return {
        attributes: { TotalItemsInView: String(items.length), IncludesLastItemInRange: String(!more) },
        items: items.map((v) => renderCalendarView(v, rc, true)),
      };
    }
    const { objects } = readObjects(await store.queryObjects(folder.dav!.href, { component }), { floatingZone: rc.timeZone });
    let views = findItemViews(objects).filter((v) => (component === 'VTODO' ? v.kind === 'task' : v.kind === 'calendar'));
    if (q.restriction) {
      const restriction = davmailNames(q.restriction, folder);
      views = views.filter((v) => evaluate(restriction, (p) => calendarPropertyValue(v, p, rc)));
    }
    const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
    if (q.sort.length) {
      views = [...views].sort((a, b) => {
        for (const f of q.sort) {
          const c = collator.compare(calendarPropertyValue(a, f.path, rc) ?? '', calendarPropertyValue(b, f.path, rc) ?? '');
          if (c) return f.descending ? -c : c;
        }
        return 0;
      });
    }
    const page = pageOf(views, q.paging);
    return { attributes: page.attributes, items: page.items.map((v) => renderCalendarView(v, rc, true)) };
  });
}

function writeContext(ctx: RequestContext): CalendarWriteContext {
  return { timeZone: requestZone(ctx), version: ctx.version, user: { email: ctx.user.email, name: ctx.user.displayName } };
}

export async function createCalendarObject(ctx: RequestContext, folder: EwsFolder, el: Element): Promise<Xml> {
  const store = storeOf(ctx, folder);
  return guard(async () => {
    const wctx = writeContext(ctx);
    const { object, urlCompName } = el.localName === 'Task' ? createTask(el, wctx) : createCalendarItem(el, wctx);
    // DavMail names a new event after the client's resource ("x.ics") and looks it up by that name later
    const name = urlCompName ? resourceNameFromUrlCompName(urlCompName.replace(/\.ics$/i, '.EML')) : resourceNameForUid(object.uid);
    const ref = await store.createObject(folder.dav!.href, name, serializeCalendarObject(object));
    // SendMeetingInvitations on CreateItem: the iTIP REQUEST to the attendees, once saved
    const mode = sendMode(attr(operationOf(el), 'SendMeetingInvitations'));
    if (mode.send && object.kind === 'event') await sendInvitations(ctx, await loadTree(ctx, { dav: false }), object, { saveCopy: mode.saveCopy });
    return x('t:ItemId', { Id: encodeDavItemId({ store: 'calendar', view: folder.dav!.view, href: ref.href }), ChangeKey: etagChangeKey(ref.etag) });
  });
}

export async function updateCalendarObject(ctx: RequestContext, folder: EwsFolder, ref: DavItemRef, updates: Element[], opts: { changeKey?: string; conflict: string }): Promise<Xml> {
  const store = storeOf(ctx, folder);
  const parts = splitHref(ref.href);
  const { href } = parts;
  return guard(async () => {
    const o = await store.getObject(href);
    if (opts.conflict === 'NeverOverwrite' && opts.changeKey && opts.changeKey !== etagChangeKey(o.etag)) {
      throw new EwsError('ErrorIrresolvableConflict', 'The change key passed in the request does not match the current change key for the item.');
    }
    const obj = parseCalendarObject(o.data, { floatingZone: requestZone(ctx) });
    const updatesEl = updates[0]?.parentNode as Element | undefined;
    if (!updatesEl) throw schemaViolation('ItemChange needs Updates.');
    let occurrenceMs: number | undefined;
    if (obj.kind === 'todo') updateTask(obj, updatesEl, writeContext(ctx));
    else {
      if (!obj.master) throw itemNotFound();
      // an occurrence's id: the change makes (or edits) that instance's override, the series stays
      const occ = lookupOccurrence(obj, parts);
      if (occ && !('found' in occ)) throw occurrenceError(occ);
      const target = occ && 'found' in occ ? modifyOccurrence(obj, occ.found) : obj.master;
      if (occ && 'found' in occ) occurrenceMs = occ.found.recurrenceId.utc.getTime();
      const outcome = updateCalendarItem(obj, target, updatesEl, writeContext(ctx));
      // an update sent to the attendees supersedes the request they hold: SEQUENCE one higher (RFC 5546 §2.1.4)
      if (outcome.significant && sendMode(attr(operationOf(updatesEl), 'SendMeetingInvitationsOrCancellations')).send) target.sequence++;
    }
    const saved = await store.updateObject(href, serializeCalendarObject(obj), o.etag);
    // SendMeetingInvitationsOrCancellations on UpdateItem: the updated REQUEST to the attendees
    const mode = sendMode(attr(operationOf(updatesEl), 'SendMeetingInvitationsOrCancellations'));
    if (mode.send && obj.kind === 'event') await sendInvitations(ctx, await loadTree(ctx, { dav: false }), obj, { saveCopy: mode.saveCopy, update: true });
    const idHref = occurrenceMs !== undefined ? `${href}#${occurrenceMs}` : href;
    return x('t:ItemId', { Id: encodeDavItemId({ ...ref, href: idHref }), ChangeKey: etagChangeKey(saved.etag) });
  });
}

/** `op`: the DeleteItem element, for SendMeetingCancellations (the organizer's CANCEL to the attendees). */
export async function deleteCalendarObject(ctx: RequestContext, folder: EwsFolder, ref: DavItemRef, op?: Element): Promise<void> {
  const store = storeOf(ctx, folder);
  const parts = splitHref(ref.href);
  const { href } = parts;
  if (parts.occurrenceMs !== undefined || parts.occurrenceIndex !== undefined) {
    // one occurrence: an EXDATE on the master (and its override gone), the series stays
    await guard(async () => {
      const o = await store.getObject(href);
      const obj = parseCalendarObject(o.data, { floatingZone: requestZone(ctx) });
      const occ = lookupOccurrence(obj, parts)!;
      if (!('found' in occ)) throw occurrenceError(occ);
      // SendMeetingCancellations: the organizer's CANCEL for that RECURRENCE-ID (meetings.ts)
      const cancel = sendMode(attr(op, 'SendMeetingCancellations'));
      if (cancel.send && obj.kind === 'event') await sendCancellation(ctx, await loadTree(ctx, { dav: false }), obj, { saveCopy: cancel.saveCopy, occurrence: occ.found });
      deleteOccurrence(obj, occ.found.recurrenceId);
      await store.updateObject(href, serializeCalendarObject(obj), o.etag);
    });
    return;
  }
  const mode = sendMode(attr(op, 'SendMeetingCancellations'));
  if (mode.send) {
    await guard(async () => {
      const o = await store.getObject(href);
      let obj: CalendarObject | undefined;
      try {
        obj = parseCalendarObject(o.data, { floatingZone: requestZone(ctx) });
      } catch {
        obj = undefined; // a broken event is deleted without a cancellation
      }
      if (obj?.kind === 'event') await sendCancellation(ctx, await loadTree(ctx, { dav: false }), obj, { saveCopy: mode.saveCopy });
      await store.deleteObject(href, o.etag);
    });
    return;
  }
  await guard(() => store.deleteObject(href));
}

interface CalendarSyncState {
  f: string;
  t: string;
  k: string[];
}

const hrefKey = (href: string) => createHash('sha1').update(href).digest('base64url').slice(0, 8);

export async function syncCalendar(ctx: RequestContext, folder: EwsFolder, stateText: string | undefined, max: number, shape: ItemShape, ignore: Set<string>) {
  const store = storeOf(ctx, folder);
  let prev: CalendarSyncState | undefined;
  if (stateText) {
    prev = openState<CalendarSyncState>('K1', stateText, ctx.stateSecret);
    if (!prev || prev.f !== folder.id) throw new EwsError('ErrorInvalidSyncStateData', 'Synchronization state data is corrupt or otherwise invalid.');
  }
  const rc = renderContext(ctx, folder, shape);
  return guard(async () => {
    const res = await store.syncCollection(folder.dav!.href, prev?.t || undefined);
    const known = new Set(prev?.k ?? []);
    const changes: Xml[] = [];
    const view = folder.dav!.view;
    for (const href of res.deleted) {
      const k = hrefKey(href);
      if (!known.has(k)) continue;
      known.delete(k);
      const id = encodeDavItemId({ store: 'calendar', view, href });
      if (!ignore.has(id)) changes.push(x('t:Delete', null, x('t:ItemId', { Id: id })));
    }
    // Whole rounds only (a calendar's changes are few): MaxChangesReturned bounds what is rendered.
    const objects = res.changed.length ? (await store.multiGet(folder.dav!.href, res.changed.map((c) => c.href))).filter(isDavObject) : [];
    let rendered = 0;
    for (const o of objects) {
      let obj: CalendarObject;
      try {
        obj = parseCalendarObject(o.data, { floatingZone: rc.timeZone });
      } catch {
        continue;
      }
      if ((view === 'VTODO') !== (obj.kind === 'todo')) continue;
      const v = itemViews(obj, o.href, o.etag, o.data)[0];
      if (!v) continue;
      const k = hrefKey(o.href);
      const id = rc.itemId(v).id;
      if (!ignore.has(id) && rendered < max) {
        changes.push(x(known.has(k) ? 't:Update' : 't:Create', null, renderCalendarView(v, rc, true)));
        rendered++;
      }
      known.add(k);
    }
    return { state: sealState('K1', { f: folder.id, t: res.token, k: [...known] } satisfies CalendarSyncState, ctx.stateSecret), changes, last: !res.truncated };
  });
}

