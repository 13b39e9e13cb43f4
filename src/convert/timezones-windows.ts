// The Windows time zone list as Exchange serves it (GetServerTimeZones,
// StartTimeZone/EndTimeZone, MeetingTimeZone), built from the tz database in
// Node's ICU: every Windows zone id that CLDR maps to an IANA zone, with that
// zone's real rules as eras of "n-th weekday of month" transitions.
// Display names are made from the zone's standard offset and CLDR's cities
// ("(UTC+01:00) Berlin, Andorra, Vienna, Zurich"): Windows' own localized
// names are not in any package here.
import {
  TimeZoneError,
  ianaToWindows,
  offsetAt,
  windowsToIana,
  windowsZoneRepresentatives,
  zoneEras,
  zoneYearRule,
  dayRuleInstant,
  type DayRule,
  type ZoneEra,
} from './timezones.js';
import { WINDOWS_TO_IANA_MAP } from 'windows-iana';

/** First year whose rules GetServerTimeZones describes (Exchange's own data starts about there). */
export const WINDOWS_RULES_FROM_YEAR = 2006;

export interface WindowsPeriod {
  /** "trule:Microsoft/Registry/<zone>/<year>-Standard" */
  id: string;
  name: 'Standard' | 'Daylight';
  /** Minutes to add to local time to get UTC (Berlin in winter: -60). */
  bias: number;
}

export type WindowsGroupTransition =
  { kind: 'recurringDay'; to: string; month: number; weekday: number; occurrence: number; timeOffset: number } | { kind: 'transition'; to: string };

export interface WindowsTransitionsGroup {
  id: string;
  transitions: WindowsGroupTransition[];
}

export interface TimeZoneDefinition {
  id: string;
  name: string;
  periods: WindowsPeriod[];
  groups: WindowsTransitionsGroup[];
  /** The first entry has no dateTime (in force from the beginning); later ones start at a local date-time. */
  transitions: { toGroup: string; dateTime?: string }[];
}

/** The 2007 form (TimeZoneType of MeetingTimeZone): one base offset and at most one rule pair. */
export interface LegacyTimeZone {
  name?: string;
  /** Bias of standard time, minutes (Berlin: -60). */
  baseBias: number;
  standard?: LegacyChange;
  daylight?: LegacyChange;
}

export interface LegacyChange {
  /** Added to baseBias (standard: 0, daylight: usually -60). */
  bias: number;
  month: number;
  weekday: number;
  /** 1-4, -1 = last */
  occurrence: number;
  /** Seconds after local midnight. */
  time: number;
}

let idList: string[] | undefined;

/** Every Windows zone id we can serve, in CLDR's order (roughly west to east). */
export function windowsZoneIds(): string[] {
  idList ??= windowsZoneRepresentatives().map((r) => r.windowsId);
  return idList;
}

export function isWindowsZone(id: string): boolean {
  return windowsToIana(id) !== undefined && windowsZoneIds().includes(id);
}

function offsetLabel(minutes: number): string {
  if (minutes === 0) return '(UTC)';
  const sign = minutes < 0 ? '-' : '+';
  const m = Math.abs(minutes);
  return `(UTC${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')})`;
}

const nameCache = new Map<string, string>();

/** "(UTC+01:00) Berlin, Andorra, Vienna, Zurich" */
export function windowsDisplayName(windowsId: string): string {
  const cached = nameCache.get(windowsId);
  if (cached) return cached;
  const iana = windowsToIana(windowsId);
  if (!iana) throw new TimeZoneError(windowsId, `The time zone "${windowsId}" is not a Windows time zone this server knows.`);
  const std = currentStandardOffset(iana);
  let name: string;
  if (windowsId === 'UTC') name = '(UTC) Coordinated Universal Time';
  else {
    const zones = (WINDOWS_TO_IANA_MAP as readonly { windowsName: string; territory: string; iana: readonly string[] }[])
      .filter((e) => e.windowsName === windowsId && e.territory !== 'ZZ')
      .flatMap((e) => e.iana)
      .filter(
        (z) =>
          !z.startsWith('Etc/') &&
          z.includes('/') &&
          !/^(US|Canada|Mexico|Brazil|Chile|Australia\/(?:ACT|NSW|North|South|West|Queensland|Victoria|Tasmania|Canberra|LHI|Yancowinna))\//.test(z),
      );
    const cities: string[] = [];
    for (const z of zones) {
      const city = z.split('/').pop()!.replace(/_/g, ' ');
      if (!cities.includes(city)) cities.push(city);
      if (cities.length === 4) break;
    }
    name = `${offsetLabel(std)} ${cities.length ? cities.join(', ') : windowsId.replace(/ Standard Time$/, '')}`;
  }
  nameCache.set(windowsId, name);
  return name;
}

function currentStandardOffset(iana: string): number {
  const y = new Date().getUTCFullYear();
  const seg = zoneYearRule(iana, y).segments.at(-1)!;
  return seg.stdOffset;
}

const defCache = new Map<string, TimeZoneDefinition>();

/**
 * The full definition of a Windows zone: its periods, one transitions group per era of
 * unchanged rules since WINDOWS_RULES_FROM_YEAR, and when each group takes over.
 * Unknown ids are a TimeZoneError.
 */
export function timeZoneDefinition(windowsId: string): TimeZoneDefinition {
  const cached = defCache.get(windowsId);
  if (cached) return cached;
  const iana = windowsToIana(windowsId);
  if (!iana || !windowsZoneIds().includes(windowsId)) {
    throw new TimeZoneError(windowsId, `The time zone "${windowsId}" is not a Windows time zone this server knows.`);
  }
  const def = definitionFromEras(windowsId, windowsDisplayName(windowsId), iana);
  defCache.set(windowsId, def);
  return def;
}

/** A definition for any IANA zone: the Windows zone it maps to, or one named after the IANA id. */
export function timeZoneDefinitionForIana(iana: string): TimeZoneDefinition {
  const win = ianaToWindows(iana);
  if (win && windowsZoneIds().includes(win)) return timeZoneDefinition(win);
  return definitionFromEras(iana, `${offsetLabel(currentStandardOffset(iana))} ${iana}`, iana);
}

function definitionFromEras(id: string, name: string, iana: string): TimeZoneDefinition {
  const thisYear = new Date().getUTCFullYear();
  const eras: ZoneEra[] = iana === 'UTC' ? [] : zoneEras(iana, WINDOWS_RULES_FROM_YEAR, Math.max(thisYear + 1, 2030));
  const periods: WindowsPeriod[] = [];
  const groups: WindowsTransitionsGroup[] = [];
  const transitions: TimeZoneDefinition['transitions'] = [];
  const period = (year: number | string, kind: 'Standard' | 'Daylight', offset: number): string => {
    const pid = `trule:Microsoft/Registry/${id}/${year}-${kind}`;
    if (!periods.some((p) => p.id === pid)) periods.push({ id: pid, name: kind, bias: -offset });
    return pid;
  };
  if (!eras.length) {
    const pid = period(WINDOWS_RULES_FROM_YEAR, 'Standard', 0);
    groups.push({ id: '0', transitions: [{ kind: 'transition', to: pid }] });
    transitions.push({ toGroup: '0' });
    return { id, name, periods, groups, transitions };
  }
  eras.forEach((era, i) => {
    const gid = String(i);
    // Several eras can start in one year (base-offset changes): number the periods by era.
    const label = eras.filter((e, j) => j < i && e.firstYear === era.firstYear).length ? `${era.firstYear}.${i}` : String(era.firstYear);
    const y = label;
    if (!era.dst) {
      groups.push({ id: gid, transitions: [{ kind: 'transition', to: period(y, 'Standard', era.stdOffset) }] });
    } else {
      const std = period(y, 'Standard', era.stdOffset);
      const dst = period(y, 'Daylight', era.dst.offset);
      const rule = (r: DayRule, to: string): WindowsGroupTransition => ({
        kind: 'recurringDay',
        to,
        month: r.month,
        weekday: r.weekday,
        occurrence: r.occurrence,
        timeOffset: r.time,
      });
      const list = [rule(era.dst.start, dst), rule(era.dst.end, std)].sort((a, b) => (a as { month: number }).month - (b as { month: number }).month);
      groups.push({ id: gid, transitions: list });
    }
    transitions.push(i === 0 ? { toGroup: gid } : { toGroup: gid, dateTime: era.fromLocal });
  });
  return { id, name, periods, groups, transitions };
}

/** Every Windows zone's definition (cached after the first call, which reads the tz data: about a second). */
export function allTimeZoneDefinitions(): TimeZoneDefinition[] {
  return windowsZoneIds().map(timeZoneDefinition);
}

/** The 2007 MeetingTimeZone form of an IANA zone for one year. */
export function legacyTimeZone(iana: string, year = new Date().getUTCFullYear()): LegacyTimeZone {
  const name = ianaToWindows(iana);
  if (iana === 'UTC') return { name: 'UTC', baseBias: 0 };
  const seg = zoneYearRule(iana, year).segments.at(-1)!;
  if (!seg.dst) return { name, baseBias: -seg.stdOffset };
  const change = (r: DayRule, bias: number): LegacyChange => ({ bias, month: r.month, weekday: r.weekday, occurrence: r.occurrence, time: r.time });
  return {
    name,
    baseBias: -seg.stdOffset,
    standard: change(seg.dst.end, 0),
    daylight: change(seg.dst.start, -(seg.dst.offset - seg.stdOffset)),
  };
}

/** A rule set as a client sends it, reduced for matching: offsets and the instants of this year's changes. */
interface RuleSignature {
  std: number;
  dst?: { offset: number; start: number; end: number };
}

function signatureOfZone(iana: string, year: number): RuleSignature {
  const seg = zoneYearRule(iana, year).segments.at(-1)!;
  if (!seg.dst) return { std: seg.stdOffset };
  return {
    std: seg.stdOffset,
    dst: { offset: seg.dst.offset, start: dayRuleInstant(seg.dst.start, year, seg.stdOffset), end: dayRuleInstant(seg.dst.end, year, seg.dst.offset) },
  };
}

function sameSignature(a: RuleSignature, b: RuleSignature): boolean {
  return a.std === b.std && (!a.dst ? !b.dst : !!b.dst && a.dst.offset === b.dst.offset && a.dst.start === b.dst.start && a.dst.end === b.dst.end);
}

/** The IANA zone of the first Windows zone whose rules this year equal `sig`; `preferred` (a Windows id) first. */
function matchSignature(sig: RuleSignature, year: number, preferred?: string): string | undefined {
  const reps = windowsZoneRepresentatives();
  const order = preferred ? [...reps.filter((r) => r.windowsId === preferred), ...reps] : reps;
  return order.find((r) => sameSignature(signatureOfZone(r.iana, year), sig))?.iana;
}

/**
 * The IANA zone for a client's TimeZoneDefinition: by its Id when we know it, else by
 * its rules for `year` (the periods in force then, compared with every Windows zone's).
 * Throws TimeZoneError when neither fits.
 */
export function zoneFromDefinition(
  def: { id?: string; name?: string; periods: WindowsPeriod[]; groups: WindowsTransitionsGroup[]; transitions: TimeZoneDefinition['transitions'] },
  year = new Date().getUTCFullYear(),
): string {
  if (def.id) {
    const byId = windowsToIana(def.id);
    if (byId) return byId;
  }
  const group = groupInForce(def, year);
  if (group) {
    const bias = (pid: string) => def.periods.find((p) => p.id === pid)?.bias;
    const days = group.transitions.filter((t): t is Extract<WindowsGroupTransition, { kind: 'recurringDay' }> => t.kind === 'recurringDay');
    let sig: RuleSignature | undefined;
    if (days.length === 2) {
      const biases = days.map((d) => bias(d.to));
      if (biases.every((b) => b !== undefined)) {
        const [b0, b1] = biases as number[];
        const std = -Math.max(b0, b1);
        const dstOff = -Math.min(b0, b1);
        const toDst = days[b0 < b1 ? 0 : 1];
        const toStd = days[b0 < b1 ? 1 : 0];
        sig = {
          std,
          dst: {
            offset: dstOff,
            start: dayRuleInstant({ month: toDst.month, weekday: toDst.weekday, occurrence: toDst.occurrence, time: toDst.timeOffset }, year, std),
            end: dayRuleInstant({ month: toStd.month, weekday: toStd.weekday, occurrence: toStd.occurrence, time: toStd.timeOffset }, year, dstOff),
          },
        };
        if (std === dstOff) sig = { std };
      }
    } else {
      const only = group.transitions.find((t) => t.kind === 'transition') ?? group.transitions[0];
      const b = only && bias(only.to);
      if (b !== undefined) sig = { std: -b };
    }
    if (sig) {
      const hit = matchSignature(sig, year, def.id);
      if (hit) return hit;
    }
  }
  const label = def.id ?? def.name ?? '(unnamed)';
  throw new TimeZoneError(label, `The time zone "${label}" is neither a known Windows time zone nor has rules that match one.`);
}

function groupInForce(
  def: { groups: WindowsTransitionsGroup[]; transitions: TimeZoneDefinition['transitions'] },
  year: number,
): WindowsTransitionsGroup | undefined {
  let gid = def.transitions[0]?.toGroup ?? def.groups[0]?.id;
  for (const t of def.transitions.slice(1)) {
    if (t.dateTime && Number(t.dateTime.slice(0, 4)) <= year) gid = t.toGroup;
  }
  return def.groups.find((g) => g.id === gid);
}

/** The IANA zone for a 2007 MeetingTimeZone / TimeZone element: by name, else by its rules. */
export function zoneFromLegacy(lt: LegacyTimeZone, year = new Date().getUTCFullYear()): string {
  if (lt.name) {
    const byName = windowsToIana(lt.name);
    if (byName) return byName;
  }
  const std = -lt.baseBias - (lt.standard?.bias ?? 0);
  let sig: RuleSignature = { std };
  if (lt.standard && lt.daylight && lt.daylight.bias !== lt.standard.bias) {
    const dstOff = -lt.baseBias - lt.daylight.bias;
    sig = {
      std,
      dst: {
        offset: dstOff,
        start: dayRuleInstant(
          { month: lt.daylight.month, weekday: lt.daylight.weekday, occurrence: lt.daylight.occurrence, time: lt.daylight.time },
          year,
          std,
        ),
        end: dayRuleInstant(
          { month: lt.standard.month, weekday: lt.standard.weekday, occurrence: lt.standard.occurrence, time: lt.standard.time },
          year,
          dstOff,
        ),
      },
    };
  }
  const hit = matchSignature(sig, year);
  if (hit) return hit;
  const label = lt.name ?? '(unnamed)';
  throw new TimeZoneError(label, `The time zone "${label}" is neither a known Windows time zone nor has rules that match one.`);
}

/** Offset (minutes east of UTC) of a Windows zone at an instant; TimeZoneError when unknown. */
export function windowsZoneOffsetAt(windowsId: string, utcMs: number): number {
  const iana = windowsToIana(windowsId);
  if (!iana) throw new TimeZoneError(windowsId, `The time zone "${windowsId}" is not a Windows time zone this server knows.`);
  return offsetAt(iana, utcMs);
}
