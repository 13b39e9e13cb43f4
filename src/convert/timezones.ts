// Time zones, pure: Windows ⇄ IANA names (windows-iana), offsets and
// local ⇄ UTC conversion from the tz database that Node's ICU carries, the
// zone's rules per year (what Windows calls its dynamic DST: one standard
// offset, and optionally a daylight offset entered and left on "n-th weekday
// of month at local time" rules), and VTIMEZONE generation from those rules.
//
// Local date-times are strings "YYYY-MM-DDTHH:MM:SS" (wall clock, no zone);
// dates "YYYY-MM-DD". Offsets are minutes east of UTC (Berlin in winter: 60).
import ICAL from 'ical.js';
import { WINDOWS_TO_IANA_MAP, findIana, findWindows } from 'windows-iana';

export class TimeZoneError extends Error {
  constructor(
    readonly zoneId: string,
    message: string,
  ) {
    super(message);
    this.name = 'TimeZoneError';
  }
}

// ------------------------------------------------------------ local date-time strings

export interface LocalFields {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/;

export function parseLocal(s: string): LocalFields {
  const m = LOCAL_RE.exec(s);
  if (!m) throw new RangeError(`"${s}" is not a local date-time (YYYY-MM-DDTHH:MM:SS).`);
  const f = { year: +m[1], month: +m[2], day: +m[3], hour: +(m[4] ?? 0), minute: +(m[5] ?? 0), second: +(m[6] ?? 0) };
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysInMonth(f.year, f.month) || f.hour > 24 || f.minute > 59 || f.second > 60) {
    throw new RangeError(`"${s}" is not a valid date-time.`);
  }
  return f;
}

const p2 = (n: number) => String(n).padStart(2, '0');

export function formatLocal(f: LocalFields): string {
  return `${String(f.year).padStart(4, '0')}-${p2(f.month)}-${p2(f.day)}T${p2(f.hour)}:${p2(f.minute)}:${p2(f.second)}`;
}

export function formatLocalDate(f: Pick<LocalFields, 'year' | 'month' | 'day'>): string {
  return `${String(f.year).padStart(4, '0')}-${p2(f.month)}-${p2(f.day)}`;
}

/** The local fields as if they were UTC, in ms (for arithmetic on wall-clock values). */
export function localAsUtcMs(f: LocalFields): number {
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
}

export function fieldsFromUtcMs(ms: number): LocalFields {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  // Arithmetic rather than a Date: every wall clock read is checked against this.
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return MONTH_DAYS[month - 1] ?? new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

// ------------------------------------------------------------ zone names

const validity = new Map<string, string | undefined>();

/** The zone as ICU names it (canonical spelling), or undefined when ICU does not know it. */
function icuZone(id: string): string | undefined {
  if (validity.has(id)) return validity.get(id);
  let resolved: string | undefined;
  try {
    // Windows names ("W. Europe Standard Time") and junk throw a RangeError here.
    if (/^[A-Za-z0-9_+\-/]+$/.test(id)) resolved = new Intl.DateTimeFormat('en-US', { timeZone: id }).resolvedOptions().timeZone;
  } catch {
    resolved = undefined;
  }
  validity.set(id, resolved);
  return resolved;
}

export function isIanaZone(id: string): boolean {
  return icuZone(id) !== undefined;
}

/** IANA for a Windows zone id ("W. Europe Standard Time" → "Europe/Berlin"); undefined when unknown. */
export function windowsToIana(windowsId: string): string | undefined {
  let list: string[];
  try {
    list = findIana(windowsId.trim()) as string[];
  } catch {
    return undefined;
  }
  return list.find((z) => isIanaZone(z));
}

/** Like windowsToIana, but an unknown id is a TimeZoneError. */
export function requireIanaForWindows(windowsId: string): string {
  const iana = windowsToIana(windowsId);
  if (!iana) throw new TimeZoneError(windowsId, `The time zone "${windowsId}" is not a Windows time zone this server knows.`);
  return iana;
}

/** windows-iana's lookups scan its tables: rendering asks the same few zones for every item. */
const windowsOf = new Map<string, string | undefined>();

/** The Windows zone id for an IANA zone ("Europe/Paris" → "Romance Standard Time"), or the closest by rules. */
export function ianaToWindows(iana: string): string | undefined {
  if (windowsOf.has(iana)) return windowsOf.get(iana);
  const win = lookupWindows(iana);
  if (windowsOf.size < 2000) windowsOf.set(iana, win);
  return win;
}

function lookupWindows(iana: string): string | undefined {
  if (iana === 'UTC' || iana === 'Etc/UTC' || iana === 'GMT' || iana === 'Etc/GMT' || iana === 'Z') return 'UTC';
  const direct = safeFindWindows(iana);
  if (direct) return direct;
  const canonical = icuZone(iana);
  if (!canonical) return undefined;
  const viaCanonical = safeFindWindows(canonical);
  if (viaCanonical) return viaCanonical;
  return closestWindowsZone(canonical);
}

function safeFindWindows(iana: string): string | undefined {
  try {
    return (findWindows(iana) as string[])[0];
  } catch {
    return undefined;
  }
}

let windowsReps: { windowsId: string; iana: string }[] | undefined;

/** Every Windows zone id with its representative IANA zone (territory 001), in the CLDR order. */
export function windowsZoneRepresentatives(): { windowsId: string; iana: string }[] {
  if (windowsReps) return windowsReps;
  // windows-iana exports the CLDR table; the first entry of each Windows name is territory 001.
  const seen = new Set<string>();
  const out: { windowsId: string; iana: string }[] = [];
  for (const name of allWindowsNames()) {
    if (seen.has(name)) continue;
    seen.add(name);
    const iana = windowsToIana(name);
    if (iana) out.push({ windowsId: name, iana });
  }
  windowsReps = out;
  return out;
}

function allWindowsNames(): string[] {
  return (WINDOWS_TO_IANA_MAP as readonly { windowsName: string }[]).map((e) => e.windowsName);
}

/** Windows zone whose rules for this and next year equal the IANA zone's (same offsets, same transition instants). */
function closestWindowsZone(iana: string): string | undefined {
  const year = new Date().getUTCFullYear();
  const sig = (z: string) =>
    [year, year + 1]
      .map((y) =>
        JSON.stringify(
          zoneYearRule(z, y).segments.map((s) => [
            s.stdOffset,
            s.dst && [s.dst.offset, dayRuleInstant(s.dst.start, y, s.stdOffset), dayRuleInstant(s.dst.end, y, s.dst.offset)],
          ]),
        ),
      )
      .join('|');
  const want = sig(iana);
  return windowsZoneRepresentatives().find((r) => sig(r.iana) === want)?.windowsId;
}

const PREFIXED_TZID = /^\/?(?:[^/]+\.(?:org|net|com)\/(?:[^/]+\/)*?)(.+)$/;

/**
 * The IANA zone a TZID parameter names, whatever its flavour: IANA ("Europe/Berlin"),
 * Windows ("W. Europe Standard Time"), prefixed ("/mozilla.org/20050126_1/Europe/Berlin",
 * "/freeassociation.sourceforge.net/Tzfile/Europe/Berlin"), or an Outlook display name
 * ("(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna"). Undefined when none fits;
 * the caller then uses the calendar's own VTIMEZONE.
 */
export function resolveTzid(tzid: string): string | undefined {
  const t = tzid.trim().replace(/^"|"$/g, '');
  if (!t) return undefined;
  if (/^(utc|gmt|z|etc\/utc|etc\/gmt)$/i.test(t)) return 'UTC';
  if (isIanaZone(t)) return icuZone(t);
  const win = windowsToIana(t);
  if (win) return win;
  const pre = PREFIXED_TZID.exec(t);
  if (pre) {
    const segs = pre[1].split('/');
    for (let i = 0; i < segs.length; i++) {
      const cand = segs.slice(i).join('/');
      if (isIanaZone(cand) && cand.includes('/')) return icuZone(cand);
    }
  }
  const display = /^\((?:UTC|GMT)\s*([+-]\d{1,2}[:.]\d{2})?\)\s*(.+)$/i.exec(t);
  if (display) {
    const cities = display[2]
      .split(/[,/;]| and /)
      .map((c) => c.trim().replace(/\s+/g, '_'))
      .filter(Boolean);
    const zones = Intl.supportedValuesOf('timeZone');
    for (const city of cities) {
      const hit = zones.find((z) => z.split('/').pop()!.toLowerCase() === city.toLowerCase());
      if (hit) return hit;
    }
  }
  return undefined;
}

// ------------------------------------------------------------ offsets

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

const FORMAT_RE = /^(\d+)\/(\d+)\/(\d+),? (\d+):(\d+):(\d+)$/;

/** Local wall clock of `zone` at the UTC instant. */
export function utcToLocalFields(zone: string, utcMs: number): LocalFields {
  if (zone === 'UTC') return fieldsFromUtcMs(utcMs);
  const offset = dayOffsetMs(zone, utcMs);
  return offset === undefined ? formatFields(zone, utcMs) : fieldsFromUtcMs(utcMs + offset);
}

/**
 * `zone`'s offset (ms) all through the UTC day holding `utcMs`, or undefined on a day with a
 * transition. ICU formatting is the cost of expanding and rendering calendars (a CalendarView of
 * a year asks it some ten thousand times, mostly about the same days); a day's offset is asked
 * once: the same at the day's first and last second means no transition in between.
 */
const dayOffsets = new Map<string, Map<number, number | null>>();
let dayOffsetCount = 0;
const DAY_MS = 86_400_000;
function dayOffsetMs(zone: string, utcMs: number): number | undefined {
  const dayStart = Math.floor(utcMs / DAY_MS) * DAY_MS;
  // Keyed by zone, then by day number: no key string to build on every call.
  let days = dayOffsets.get(zone);
  if (!days) dayOffsets.set(zone, (days = new Map()));
  let o = days.get(dayStart);
  if (o === undefined) {
    const first = localAsUtcMs(formatFields(zone, dayStart)) - dayStart;
    const last = localAsUtcMs(formatFields(zone, dayStart + DAY_MS - 1000)) - (dayStart + DAY_MS - 1000);
    o = first === last ? first : null;
    if (++dayOffsetCount > 100_000) {
      dayOffsets.clear();
      dayOffsetCount = 1;
      dayOffsets.set(zone, (days = new Map()));
    }
    days.set(dayStart, o);
  }
  return o ?? undefined;
}

function formatFields(zone: string, utcMs: number): LocalFields {
  const s = formatter(zone).format(utcMs);
  const m = FORMAT_RE.exec(s);
  if (!m) {
    // Fallback for unusual ICU output.
    const parts = Object.fromEntries(
      formatter(zone)
        .formatToParts(utcMs)
        .map((p) => [p.type, p.value]),
    );
    return { year: +parts.year, month: +parts.month, day: +parts.day, hour: +parts.hour % 24, minute: +parts.minute, second: +parts.second };
  }
  return { year: +m[3], month: +m[1], day: +m[2], hour: +m[4] % 24, minute: +m[5], second: +m[6] };
}

/** Offset of `zone` at the UTC instant, minutes east of UTC. */
export function offsetAt(zone: string, utcMs: number): number {
  if (zone === 'UTC') return 0;
  const whole = Math.floor(utcMs / 1000) * 1000;
  const day = dayOffsetMs(zone, whole);
  if (day !== undefined) return Math.round(day / 60000);
  return Math.round((localAsUtcMs(utcToLocalFields(zone, whole)) - whole) / 60000);
}

/**
 * The UTC instant of a wall-clock time in `zone`. A time that does not exist (the
 * spring-forward gap) is read with the offset before the gap, so 02:30 becomes 03:30
 * daylight time; a time that exists twice (fall back) is the first of the two (RFC 5545 §3.3.5).
 */
export function localToUtc(zone: string, local: LocalFields | string): number {
  const f = typeof local === 'string' ? parseLocal(local) : local;
  const asUtc = localAsUtcMs(f);
  if (zone === 'UTC') return asUtc;
  const before = offsetAt(zone, asUtc - 86_400_000);
  const after = offsetAt(zone, asUtc + 86_400_000);
  const candidates: number[] = [];
  for (const o of before === after ? [before] : [before, after]) {
    const u = asUtc - o * 60000;
    if (offsetAt(zone, u) === o) candidates.push(u);
  }
  if (candidates.length) return Math.min(...candidates);
  // In a gap: neither offset gives this wall clock back; read it with the offset before the gap.
  return asUtc - before * 60000;
}

export function utcToLocal(zone: string, utcMs: number): string {
  return formatLocal(utcToLocalFields(zone, utcMs));
}

export interface OffsetTransition {
  /** UTC instant of the change. */
  at: number;
  from: number;
  to: number;
}

/** Every offset change of `zone` in [fromMs, toMs), found by sampling every ~15 days and bisecting. */
export function offsetTransitions(zone: string, fromMs: number, toMs: number): OffsetTransition[] {
  const out: OffsetTransition[] = [];
  if (zone === 'UTC') return out;
  const step = 15 * 86_400_000;
  let t0 = fromMs;
  let o0 = offsetAt(zone, t0);
  while (t0 < toMs) {
    const t1 = Math.min(t0 + step, toMs);
    const o1 = offsetAt(zone, t1);
    if (o1 !== o0) {
      // Bisect to the minute (every change since 1970 falls on a whole minute), then to the second.
      let lo = t0;
      let hi = t1;
      for (const unit of [60_000, 1000]) {
        while (hi - lo > unit) {
          const mid = Math.floor((lo + hi) / 2 / unit) * unit;
          if (mid <= lo || mid >= hi) break;
          if (offsetAt(zone, mid) === o0) lo = mid;
          else hi = mid;
        }
        if (hi % 60_000 === 0 && offsetAt(zone, hi - 1000) === o0) break;
      }
      const mid = offsetAt(zone, hi);
      out.push({ at: hi, from: o0, to: mid });
      if (mid !== o1) {
        // two changes inside one step: continue from the first one
        t0 = hi;
        o0 = mid;
        continue;
      }
    }
    t0 = t1;
    o0 = o1;
  }
  return out;
}

// ------------------------------------------------------------ yearly rules

/** "n-th weekday of month at local time": how Windows (and VTIMEZONE RRULEs) express a transition. */
export interface DayRule {
  month: number; // 1-12
  weekday: number; // 0 = Sunday
  /** 1-4, or -1 for the last one in the month. */
  occurrence: number;
  /** Every occurrence value that also describes the dates this rule was read from (4 and -1 can both fit). */
  fits?: number[];
  /** Seconds after local midnight, on the wall clock in effect before the transition. */
  time: number;
}

export interface RuleSegment {
  /** UTC instant from which the segment applies (the first segment of a year: that year's local Jan 1). */
  from: number;
  /** Local wall clock (of the previous offset) at `from`. */
  fromLocal: string;
  stdOffset: number;
  dst?: { offset: number; start: DayRule; end: DayRule };
}

export interface YearRule {
  year: number;
  /** Usually one segment; more when the zone changed its base offset during the year. */
  segments: RuleSegment[];
}

const yearCache = new Map<string, YearRule>();

function dayRuleCandidates(local: LocalFields): { rule: Omit<DayRule, 'occurrence'>; occurrences: number[] } {
  const weekday = weekdayOf(local.year, local.month, local.day);
  const n = Math.ceil(local.day / 7);
  const occurrences: number[] = [];
  if (n <= 4) occurrences.push(n);
  if (local.day + 7 > daysInMonth(local.year, local.month)) occurrences.push(-1);
  return { rule: { month: local.month, weekday, time: local.hour * 3600 + local.minute * 60 + local.second }, occurrences };
}

/** The date of a DayRule in a year (local). */
export function dayRuleDate(rule: DayRule, year: number): { year: number; month: number; day: number } {
  const dim = daysInMonth(year, rule.month);
  if (rule.occurrence === -1) {
    const lastWd = weekdayOf(year, rule.month, dim);
    return { year, month: rule.month, day: dim - ((lastWd - rule.weekday + 7) % 7) };
  }
  const firstWd = weekdayOf(year, rule.month, 1);
  const day = 1 + ((rule.weekday - firstWd + 7) % 7) + (rule.occurrence - 1) * 7;
  return { year, month: rule.month, day: Math.min(day, dim) };
}

/** The UTC instant a DayRule fires in a year, given the offset in effect before it. */
export function dayRuleInstant(rule: DayRule, year: number, offsetBefore: number): number {
  const d = dayRuleDate(rule, year);
  return Date.UTC(d.year, d.month - 1, d.day) + rule.time * 1000 - offsetBefore * 60000;
}

/**
 * The zone's rules for one year, read from ICU's tz data: no DST (one offset), or a
 * standard and a daylight offset with the two day rules that switch between them. A year
 * whose changes do not fit that shape (a base-offset change, or a DST start and end
 * that are not "n-th weekday" rules) is split into DST-less segments at each change.
 */
export function zoneYearRule(zone: string, year: number): YearRule {
  const key = `${zone}\u0000${year}`;
  const cached = yearCache.get(key);
  if (cached) return cached;
  const janLocal = Date.UTC(year, 0, 1);
  const start = janLocal - offsetAt(zone, janLocal) * 60000;
  const endLocal = Date.UTC(year + 1, 0, 1);
  const end = endLocal - offsetAt(zone, endLocal) * 60000;
  const changes = offsetTransitions(zone, start, end);
  const startOffset = offsetAt(zone, start);
  let rule: YearRule | undefined;
  if (changes.length === 0) {
    rule = { year, segments: [{ from: start, fromLocal: utcToLocal(zone, start), stdOffset: startOffset }] };
  } else if (changes.length === 2 && changes[0].from === changes[1].to && changes[0].to === changes[1].from) {
    const std = Math.min(changes[0].from, changes[0].to);
    const dstOff = Math.max(changes[0].from, changes[0].to);
    const toDst = changes.find((c) => c.to === dstOff)!;
    const toStd = changes.find((c) => c.to === std)!;
    const a = dayRuleCandidates(fieldsFromUtcMs(toDst.at + toDst.from * 60000));
    const b = dayRuleCandidates(fieldsFromUtcMs(toStd.at + toStd.from * 60000));
    if (a.occurrences.length && b.occurrences.length) {
      const pick = (c: typeof a) => (c.occurrences.includes(-1) ? -1 : c.occurrences[0]);
      rule = {
        year,
        segments: [
          {
            from: start,
            fromLocal: utcToLocal(zone, start),
            stdOffset: std,
            dst: {
              offset: dstOff,
              start: { ...a.rule, occurrence: pick(a), fits: a.occurrences },
              end: { ...b.rule, occurrence: pick(b), fits: b.occurrences },
            },
          },
        ],
      };
    }
  }
  if (!rule) {
    const segments: RuleSegment[] = [{ from: start, fromLocal: utcToLocal(zone, start), stdOffset: startOffset }];
    for (const c of changes) segments.push({ from: c.at, fromLocal: formatLocal(fieldsFromUtcMs(c.at + c.from * 60000)), stdOffset: c.to });
    rule = { year, segments };
  }
  yearCache.set(key, rule);
  return rule;
}

export interface ZoneEra extends RuleSegment {
  /** First year this era covers (the year of `from`). */
  firstYear: number;
  /** Last year, undefined for the era that is still in force at `toYear`. */
  lastYear?: number;
}

/** Narrows `era` to also cover `seg` when their rules agree (occurrence sets intersecting); false when they differ. */
function mergeRules(era: RuleSegment, seg: RuleSegment): boolean {
  if (era.stdOffset !== seg.stdOffset || !era.dst !== !seg.dst) return false;
  if (!era.dst || !seg.dst) return true;
  if (era.dst.offset !== seg.dst.offset) return false;
  const narrowed: DayRule[] = [];
  for (const k of ['start', 'end'] as const) {
    const a = era.dst[k];
    const b = seg.dst[k];
    if (a.month !== b.month || a.weekday !== b.weekday || a.time !== b.time) return false;
    const fits = (a.fits ?? [a.occurrence]).filter((o) => (b.fits ?? [b.occurrence]).includes(o));
    if (!fits.length) return false;
    narrowed.push({ ...a, fits, occurrence: fits.includes(-1) ? -1 : fits[0] });
  }
  era.dst = { offset: era.dst.offset, start: narrowed[0], end: narrowed[1] };
  return true;
}

/**
 * The zone's history as eras of identical rules from `fromYear` to `toYear` (the last era
 * is open-ended: the tz data projects the current rules forward).
 */
export function zoneEras(zone: string, fromYear: number, toYear: number): ZoneEra[] {
  const eras: ZoneEra[] = [];
  for (let y = fromYear; y <= toYear; y++) {
    for (const seg of zoneYearRule(zone, y).segments) {
      const last = eras[eras.length - 1];
      if (last && mergeRules(last, seg)) continue;
      eras.push({ ...seg, dst: seg.dst && { ...seg.dst }, firstYear: y });
    }
  }
  for (let i = 0; i < eras.length - 1; i++) eras[i].lastYear = Math.max(eras[i].firstYear, eras[i + 1].firstYear - 1);
  return eras;
}

// ------------------------------------------------------------ VTIMEZONE

const DAY_CODES = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

function utcOffsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `${sign}${p2(Math.floor(m / 60))}${p2(m % 60)}`;
}

/** A short zone name for TZNAME ("CEST", "PST"), from the first locale that has one; else "GMT+2". */
function tzName(zone: string, utcMs: number): string | undefined {
  let fallback: string | undefined;
  for (const locale of ['en-US', 'en-GB', 'en-AU', 'en-IN', 'en-NZ']) {
    try {
      const name = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'short' })
        .formatToParts(utcMs)
        .find((p) => p.type === 'timeZoneName')?.value;
      if (name && !/^(GMT|UTC)[+-]/.test(name)) return name;
      fallback ??= name;
    } catch {
      return undefined;
    }
  }
  return fallback;
}

function ruleStartLocal(rule: DayRule, year: number): string {
  const d = dayRuleDate(rule, year);
  const h = Math.floor(rule.time / 3600);
  const mi = Math.floor((rule.time % 3600) / 60);
  const s = rule.time % 60;
  // 24:00 rules: the next day at 00:00
  const ms = Date.UTC(d.year, d.month - 1, d.day, h, mi, s);
  return formatLocal(fieldsFromUtcMs(ms));
}

function rrulePart(rule: DayRule): string {
  return `FREQ=YEARLY;BYMONTH=${rule.month};BYDAY=${rule.occurrence}${DAY_CODES[rule.weekday]}`;
}

/**
 * A VTIMEZONE for an IANA zone, valid from `fromYear` on (STANDARD/DAYLIGHT with yearly
 * RRULEs for each era of unchanged rules, DTSTART-only components for one-off changes).
 * `tzid` is the TZID to write (default: the zone name).
 */
export function vtimezoneFor(zone: string, opts: { tzid?: string; fromYear?: number } = {}): ICAL.Component {
  const tzid = opts.tzid ?? zone;
  const vtz = new ICAL.Component('vtimezone');
  vtz.addPropertyWithValue('tzid', tzid);
  if (zone === 'UTC') {
    addObservance(vtz, 'standard', '1970-01-01T00:00:00', 0, 0, 'UTC');
    return vtz;
  }
  const thisYear = new Date().getUTCFullYear();
  // One year of lead, so that the first observances start before anything in fromYear.
  const fromYear = Math.min(opts.fromYear ?? thisYear, thisYear) - 1;
  const toYear = Math.max(thisYear + 1, fromYear + 2);
  const eras = zoneEras(zone, fromYear, toYear);
  let prevOffset = offsetAt(zone, eras[0].from - 86_400_000);
  eras.forEach((era, i) => {
    const open = i === eras.length - 1;
    const startLocal = i === 0 ? `${String(fromYear).padStart(4, '0')}-01-01T00:00:00` : era.fromLocal;
    if (!era.dst) {
      addObservance(vtz, 'standard', startLocal, prevOffset, era.stdOffset, tzName(zone, era.from + 1000));
      prevOffset = era.stdOffset;
      return;
    }
    const last = era.lastYear ?? toYear;
    const firstDst = ruleStartLocal(era.dst.start, era.firstYear);
    const firstStd = ruleStartLocal(era.dst.end, era.firstYear);
    const until = (rule: DayRule, before: number) =>
      open
        ? undefined
        : new Date(dayRuleInstant(rule, last, before))
            .toISOString()
            .replace(/[-:]/g, '')
            .replace(/\.\d{3}/, '');
    const dstUntil = until(era.dst.start, era.stdOffset);
    const stdUntil = until(era.dst.end, era.dst.offset);
    addObservance(
      vtz,
      'daylight',
      firstDst,
      era.stdOffset,
      era.dst.offset,
      tzName(zone, dayRuleInstant(era.dst.start, era.firstYear, era.stdOffset) + 3600_000),
      rrulePart(era.dst.start) + (dstUntil ? `;UNTIL=${dstUntil}` : ''),
    );
    addObservance(
      vtz,
      'standard',
      firstStd,
      era.dst.offset,
      era.stdOffset,
      tzName(zone, dayRuleInstant(era.dst.end, era.firstYear, era.dst.offset) + 3600_000),
      rrulePart(era.dst.end) + (stdUntil ? `;UNTIL=${stdUntil}` : ''),
    );
    // Where the year starts in daylight time (southern hemisphere) the offset at the era's end is daylight.
    prevOffset = era.dst.start.month > era.dst.end.month ? era.dst.offset : era.stdOffset;
  });
  return vtz;
}

function addObservance(vtz: ICAL.Component, kind: 'standard' | 'daylight', startLocal: string, from: number, to: number, name?: string, rrule?: string): void {
  const c = new ICAL.Component(kind);
  c.addProperty(new ICAL.Property(['dtstart', {}, 'date-time', startLocal]));
  c.addPropertyWithValue('tzoffsetfrom', ICAL.UtcOffset.fromString(utcOffsetText(from).replace(/(\d\d)(\d\d)$/, '$1:$2')));
  c.addPropertyWithValue('tzoffsetto', ICAL.UtcOffset.fromString(utcOffsetText(to).replace(/(\d\d)(\d\d)$/, '$1:$2')));
  if (name) c.addPropertyWithValue('tzname', name);
  if (rrule) c.addPropertyWithValue('rrule', ICAL.Recur.fromString(rrule));
  vtz.addSubcomponent(c);
}
