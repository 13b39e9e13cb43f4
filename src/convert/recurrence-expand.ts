// Occurrences of a series, pure: RRULE/RDATE iterated on the wall clock of the
// series' zone (the common rules by recurrence-fast.ts, the others by ical.js's
// RecurIterator, with the same instances), each instance converted to UTC with
// that zone's rules, EXDATEs removed, RECURRENCE-ID overrides applied. What
// CalendarView, FirstOccurrence/LastOccurrence, Modified/DeletedOccurrences,
// OccurrenceItemId (InstanceIndex) and free/busy are computed from.
//
// InstanceIndex counts every instance of the pattern (and RDATEs) from 1 in
// time order, deleted ones included, as Exchange does: so an index keeps naming
// the same occurrence when an earlier one is deleted.
import ICAL from 'ical.js';
import { IcalError, calDateTime, createOverride, utcToZoned, zonedToUtc, type CalDateTime, type CalendarEvent, type CalendarObject } from './ical.js';
import { formatLocalDate, fieldsFromUtcMs, localAsUtcMs, parseLocal } from './timezones.js';
import { monthDayFilter } from './recurrence.js';
import { fastRecurrence } from './recurrence-fast.js';

export interface Occurrence {
  /** 1-based position in the series (deleted instances count); 0 for a single event. */
  index: number;
  /** The instance's original start (its RECURRENCE-ID). */
  recurrenceId: CalDateTime;
  start: CalDateTime;
  end: CalDateTime;
  /** The override that modified this instance, if any. */
  override?: CalendarEvent;
  /** What the instance shows: the override, else the master. */
  event: CalendarEvent;
}

export interface Window {
  start: Date;
  end: Date;
}

/** Stop iterating after this many instances (a daily series over 100 years is 36,500). */
export const MAX_INSTANCES = 50_000;

export function isRecurring(obj: CalendarObject): boolean {
  const m = obj.master;
  return !!m && (!!m.rrule || m.rdates.length > 0);
}

interface RawInstance {
  /** local wall clock (date or date-time) */
  local: string;
  utc: number;
}

function keyOf(dt: CalDateTime): string {
  return dt.dateOnly ? dt.local : String(dt.utc.getTime());
}

/** RRULE with a UTC UNTIL rewritten to the series' wall clock, so iterating local times stops at the right instance. */
function localRule(rrule: string, master: CalendarEvent, floatingZone: string): { recur: ICAL.Recur; text: string } {
  let text = rrule;
  const m = /UNTIL=(\d{8}T\d{6}Z)/i.exec(rrule);
  if (m && !master.start.dateOnly) {
    const ms = Date.parse(`${m[1].slice(0, 4)}-${m[1].slice(4, 6)}-${m[1].slice(6, 8)}T${m[1].slice(9, 11)}:${m[1].slice(11, 13)}:${m[1].slice(13, 15)}Z`);
    const local = utcToZoned(master.start.zone, ms, floatingZone).replace(/[-:]/g, '');
    text = rrule.replace(m[0], `UNTIL=${local}`);
  } else if (m && master.start.dateOnly) {
    text = rrule.replace(m[0], `UNTIL=${m[1].slice(0, 8)}`);
  } else if (master.start.dateOnly) {
    text = rrule.replace(/UNTIL=(\d{8})T\d{6}/i, 'UNTIL=$1');
  }
  try {
    return { recur: ICAL.Recur.fromString(text), text };
  } catch (e) {
    throw new IcalError(`RRULE "${rrule}" cannot be read: ${(e as Error).message}`, master.uid);
  }
}

/**
 * Pattern instances in time order (RRULE ∪ RDATE ∪ DTSTART), until `stop` returns true for one
 * (that one excluded) or MAX_INSTANCES. Deleted instances are included.
 */
function* patternInstances(obj: CalendarObject, icalOnly = false): Generator<RawInstance> {
  const master = obj.master!;
  const fz = obj.floatingZone;
  const zone = master.start.dateOnly ? undefined : master.start.zone;
  const toUtc = (local: string) => zonedToUtc(zone, local, fz);
  const rdates: RawInstance[] = master.rdates
    .map((d) => ({
      local: master.start.dateOnly ? d.local.slice(0, 10) : d.dateOnly ? `${d.local}${master.start.local.slice(10)}` : utcToZoned(zone, d.utc.getTime(), fz),
      utc: 0,
    }))
    .map((r) => ({ ...r, utc: toUtc(r.local) }))
    .sort((a, b) => a.utc - b.utc);
  const seen = new Set<string>();
  let ri = 0;
  const emit = function* (inst: RawInstance) {
    while (ri < rdates.length && rdates[ri].utc < inst.utc) {
      const r = rdates[ri++];
      if (!seen.has(r.local)) {
        seen.add(r.local);
        yield r;
      }
    }
    if (!seen.has(inst.local)) {
      seen.add(inst.local);
      yield inst;
    }
  };
  let count = 0;
  if (master.rrule) {
    // ical.js rolls BYMONTHDAY=29..31 over into the next month in yearly rules (Feb 29 → Mar 1): drop those.
    const days = monthDayFilter(master.rrule);
    // DTSTART is always the first instance (RFC 5545), even when the rule would not produce it.
    const first = { local: master.start.local, utc: master.start.utc.getTime() };
    yield* emit(first);
    count++;
    const rule = ruleLocals(master.rrule, master, fz, icalOnly);
    // Without RDATEs, the fast path's instances need no merging nor de-duplication: yielded as they come.
    const plain = rule.fast && rdates.length === 0;
    for (const local of rule.locals) {
      if (count >= MAX_INSTANCES) break;
      if (local === master.start.local) continue;
      if (days && !days.has(Number(local.slice(8, 10)))) continue;
      count++;
      if (plain) yield { local, utc: toUtc(local) };
      else yield* emit({ local, utc: toUtc(local) });
    }
  } else {
    yield* emit({ local: master.start.local, utc: master.start.utc.getTime() });
  }
  while (ri < rdates.length) {
    const r = rdates[ri++];
    if (!seen.has(r.local)) {
      seen.add(r.local);
      yield r;
    }
  }
}

/**
 * The wall clocks the RRULE gives from DTSTART on (as ical.js's RecurIterator gives them): the
 * common rules computed arithmetically (recurrence-fast.ts; `fast`, and then never twice the same),
 * the others by ical.js.
 */
function ruleLocals(rrule: string, master: CalendarEvent, floatingZone: string, icalOnly: boolean): { locals: Iterable<string>; fast: boolean } {
  // Parsed by ical.js even when computed here, so a rule it refuses is refused the same way.
  const { recur, text } = localRule(rrule, master, floatingZone);
  const fast = icalOnly ? undefined : fastRecurrence(text, master.start.local);
  if (fast) return { locals: fast, fast: true };
  const start = master.start.dateOnly ? ICAL.Time.fromDateString(master.start.local) : ICAL.Time.fromDateTimeString(master.start.local);
  const it = recur.iterator(start);
  const len = master.start.dateOnly ? 10 : 19;
  return {
    locals: (function* () {
      for (let t = it.next(); t; t = it.next()) yield t.toString().slice(0, len);
    })(),
    fast: false,
  };
}

function buildOccurrence(obj: CalendarObject, raw: RawInstance, index: number, overrides: Map<string, CalendarEvent>): Occurrence {
  const master = obj.master!;
  const fz = obj.floatingZone;
  const recurrenceId: CalDateTime = master.start.dateOnly
    ? { local: raw.local, dateOnly: true, utc: new Date(raw.utc) }
    : { local: raw.local, dateOnly: false, zone: master.start.zone, tzid: master.start.tzid, utc: new Date(raw.utc) };
  const override = overrides.size ? overrides.get(keyOf(recurrenceId)) : undefined;
  if (override) return { index, recurrenceId, start: override.start, end: override.end, override, event: override };
  let end: CalDateTime;
  if (master.start.dateOnly) {
    const days = Math.round((localAsUtcMs(parseLocal(master.end.local)) - localAsUtcMs(parseLocal(master.start.local))) / 86_400_000);
    const local = formatLocalDate(fieldsFromUtcMs(localAsUtcMs(parseLocal(raw.local)) + days * 86_400_000));
    end = { local, dateOnly: true, utc: new Date(zonedToUtc(undefined, local, fz)) };
  } else {
    const ms = raw.utc + (master.end.utc.getTime() - master.start.utc.getTime());
    end = {
      local: utcToZoned(master.end.zone ?? master.start.zone, ms, fz),
      dateOnly: false,
      zone: master.end.zone ?? master.start.zone,
      tzid: master.end.tzid ?? master.start.tzid,
      utc: new Date(ms),
    };
  }
  return { index, recurrenceId, start: recurrenceId, end, event: master };
}

function overrideMap(obj: CalendarObject): Map<string, CalendarEvent> {
  const map = new Map<string, CalendarEvent>();
  for (const o of obj.overrides) if (o.recurrenceId) map.set(keyOf(normaliseRid(obj, o.recurrenceId)), o);
  return map;
}

/** A RECURRENCE-ID in the master's form (date vs date-time), for matching. */
function normaliseRid(obj: CalendarObject, rid: CalDateTime): CalDateTime {
  const m = obj.master;
  if (!m) return rid;
  if (m.start.dateOnly && !rid.dateOnly) return { local: rid.local.slice(0, 10), dateOnly: true, utc: rid.utc };
  return rid;
}

function exdateSet(obj: CalendarObject): Set<string> {
  const m = obj.master!;
  return new Set(m.exdates.map((d) => (m.start.dateOnly ? d.local.slice(0, 10) : d.dateOnly ? d.local : String(d.utc.getTime()))));
}

function isDeleted(obj: CalendarObject, raw: RawInstance, ex: Set<string>): boolean {
  if (!ex.size) return false;
  const m = obj.master!;
  if (m.start.dateOnly) return ex.has(raw.local.slice(0, 10));
  return ex.has(String(raw.utc)) || ex.has(raw.local.slice(0, 10));
}

function overlaps(o: { start: CalDateTime; end: CalDateTime }, w: Window): boolean {
  const s = o.start.utc.getTime();
  const e = o.end.utc.getTime();
  const ws = w.start.getTime();
  const we = w.end.getTime();
  if (e <= s) return s >= ws && s < we;
  return s < we && e > ws;
}

/**
 * The instances of the object that overlap the window, in start order: the single event, or every
 * occurrence of the series (overrides applied, deleted ones left out), plus orphan overrides.
 */
export function expandObject(obj: CalendarObject, window: Window, opts: { max?: number; /** iterate with ical.js alone (tests compare the fast path with it) */ icalOnly?: boolean } = {}): Occurrence[] {
  const out: Occurrence[] = [];
  const max = opts.max ?? MAX_INSTANCES;
  if (obj.kind !== 'event') return out;
  const master = obj.master;
  if (!master) {
    for (const o of obj.overrides) {
      if (overlaps(o, window)) out.push({ index: 0, recurrenceId: o.recurrenceId!, start: o.start, end: o.end, override: o, event: o });
    }
    return out.sort((a, b) => a.start.utc.getTime() - b.start.utc.getTime());
  }
  if (!isRecurring(obj)) {
    if (overlaps(master, window)) out.push({ index: 0, recurrenceId: master.start, start: master.start, end: master.end, event: master });
    return out;
  }
  const overrides = overrideMap(obj);
  const ex = exdateSet(obj);
  // Overrides may move an instance into the window from after it: iterate far enough to see them.
  const latestOverride = Math.max(0, ...obj.overrides.map((o) => (o.recurrenceId ? o.recurrenceId.utc.getTime() : 0)));
  const durMs = Math.max(0, master.end.utc.getTime() - master.start.utc.getTime());
  const stopAt = Math.max(window.end.getTime(), latestOverride + 1);
  let index = 0;
  for (const raw of patternInstances(obj, opts.icalOnly)) {
    index++;
    if (raw.utc >= stopAt) break;
    if (raw.utc + durMs < window.start.getTime() && !overrides.size) continue;
    if (isDeleted(obj, raw, ex)) continue;
    const occ = buildOccurrence(obj, raw, index, overrides);
    if (overlaps(occ, window)) out.push(occ);
    if (out.length >= max) break;
  }
  return out.sort((a, b) => a.start.utc.getTime() - b.start.utc.getTime() || a.index - b.index);
}

/** Expansion across many objects, merged in start order, at most `max` (CalendarView's MaxEntriesReturned). */
export function expandObjects(objects: CalendarObject[], window: Window, opts: { max?: number } = {}): { object: CalendarObject; occurrence: Occurrence }[] {
  const all = objects.flatMap((object) => expandObject(object, window).map((occurrence) => ({ object, occurrence })));
  all.sort((a, b) => a.occurrence.start.utc.getTime() - b.occurrence.start.utc.getTime());
  return opts.max !== undefined ? all.slice(0, opts.max) : all;
}

/** First and last occurrence of a series (last undefined for a series without end); undefined first: no occurrence at all. */
export function seriesBounds(obj: CalendarObject): { first?: Occurrence; last?: Occurrence; infinite: boolean } {
  if (!obj.master || !isRecurring(obj)) return { infinite: false };
  const overrides = overrideMap(obj);
  const ex = exdateSet(obj);
  const infinite = !!obj.master.rrule && !/(?:^|;)(COUNT|UNTIL)=/i.test(obj.master.rrule);
  let first: Occurrence | undefined;
  let last: Occurrence | undefined;
  let index = 0;
  for (const raw of patternInstances(obj)) {
    index++;
    if (isDeleted(obj, raw, ex)) continue;
    const occ = buildOccurrence(obj, raw, index, overrides);
    first ??= occ;
    if (infinite) break;
    last = occ;
  }
  return { first, last: infinite ? undefined : last, infinite };
}

export type OccurrenceLookup = { found: Occurrence } | { deleted: CalDateTime } | { outOfRange: true };

/** The occurrence at a 1-based InstanceIndex (OccurrenceItemId). */
export function occurrenceAt(obj: CalendarObject, index: number): OccurrenceLookup {
  if (!obj.master || !isRecurring(obj) || !Number.isInteger(index) || index < 1) return { outOfRange: true };
  const overrides = overrideMap(obj);
  const ex = exdateSet(obj);
  let i = 0;
  for (const raw of patternInstances(obj)) {
    i++;
    if (i < index) continue;
    const occ = buildOccurrence(obj, raw, i, overrides);
    if (isDeleted(obj, raw, ex)) return { deleted: occ.recurrenceId };
    return { found: occ };
  }
  return { outOfRange: true };
}

/** The occurrence whose original start is this instant (or local date for all-day series). */
export function occurrenceByRecurrenceId(obj: CalendarObject, recurrenceId: CalDateTime | Date): OccurrenceLookup {
  if (!obj.master || !isRecurring(obj)) return { outOfRange: true };
  const wantMs = recurrenceId instanceof Date ? recurrenceId.getTime() : recurrenceId.utc.getTime();
  const wantDate = recurrenceId instanceof Date ? undefined : recurrenceId.local.slice(0, 10);
  const overrides = overrideMap(obj);
  const ex = exdateSet(obj);
  let i = 0;
  for (const raw of patternInstances(obj)) {
    i++;
    const hit = obj.master.start.dateOnly
      ? raw.local.slice(0, 10) === (wantDate ?? utcToZoned(undefined, wantMs, obj.floatingZone).slice(0, 10))
      : raw.utc === wantMs;
    if (hit) {
      const occ = buildOccurrence(obj, raw, i, overrides);
      return isDeleted(obj, raw, ex) ? { deleted: occ.recurrenceId } : { found: occ };
    }
    if (raw.utc > wantMs + 86_400_000) break;
  }
  return { outOfRange: true };
}

/** Every override with its InstanceIndex and original start (ModifiedOccurrences), in original-start order. */
export function modifiedOccurrences(obj: CalendarObject): Occurrence[] {
  if (!obj.master || !obj.overrides.length) return [];
  const out: Occurrence[] = [];
  const overrides = overrideMap(obj);
  const latest = Math.max(...obj.overrides.map((o) => o.recurrenceId?.utc.getTime() ?? 0));
  let i = 0;
  for (const raw of patternInstances(obj)) {
    i++;
    if (raw.utc > latest + 86_400_000) break;
    const occ = buildOccurrence(obj, raw, i, overrides);
    if (occ.override) out.push(occ);
    if (out.length === overrides.size) break;
  }
  return out;
}

/** The deleted instances (EXDATEs that name an instance of the pattern), as original starts. */
export function deletedOccurrences(obj: CalendarObject): CalDateTime[] {
  if (!obj.master || !obj.master.exdates.length) return [];
  const ex = exdateSet(obj);
  const latest = Math.max(...obj.master.exdates.map((d) => d.utc.getTime()));
  const out: CalDateTime[] = [];
  const overrides = new Map<string, CalendarEvent>();
  let i = 0;
  for (const raw of patternInstances(obj)) {
    i++;
    if (raw.utc > latest + 86_400_000) break;
    if (isDeleted(obj, raw, ex)) out.push(buildOccurrence(obj, raw, i, overrides).recurrenceId);
  }
  return out;
}

/** Deletes one occurrence: an EXDATE on the master, and its override (if any) removed. */
export function deleteOccurrence(obj: CalendarObject, recurrenceId: CalDateTime): void {
  const m = obj.master;
  if (!m) throw new IcalError('The series has no master event to delete an occurrence from.', obj.uid);
  const key = keyOf(normaliseRid(obj, recurrenceId));
  obj.overrides = obj.overrides.filter((o) => !o.recurrenceId || keyOf(normaliseRid(obj, o.recurrenceId)) !== key);
  const ex: CalDateTime = m.start.dateOnly
    ? { local: recurrenceId.local.slice(0, 10), dateOnly: true, utc: recurrenceId.utc }
    : { ...recurrenceId, zone: m.start.zone, tzid: m.start.tzid, local: utcToZoned(m.start.zone, recurrenceId.utc.getTime(), obj.floatingZone) };
  if (!m.exdates.some((d) => keyOf(d) === keyOf(ex))) m.exdates = [...m.exdates, ex];
}

/** The override of an occurrence, created from the master when the occurrence was not modified yet. */
export function modifyOccurrence(obj: CalendarObject, occurrence: Occurrence): CalendarEvent {
  if (occurrence.override) return occurrence.override;
  return createOverride(obj, occurrence.recurrenceId, { ...occurrence.start }, { ...occurrence.end });
}

/** A CalDateTime in the master's zone for a recurrence-id given as an instant (e.g. from an ItemId). */
export function recurrenceIdFromUtc(obj: CalendarObject, ms: number): CalDateTime {
  const m = obj.master;
  if (!m) throw new IcalError('The series has no master event.', obj.uid);
  if (m.start.dateOnly)
    return calDateTime(utcToZoned(undefined, ms, obj.floatingZone).slice(0, 10), undefined, { dateOnly: true, floatingZone: obj.floatingZone });
  return { local: utcToZoned(m.start.zone, ms, obj.floatingZone), dateOnly: false, zone: m.start.zone, tzid: m.start.tzid, utc: new Date(ms) };
}
