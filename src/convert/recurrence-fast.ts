// The common RRULEs computed arithmetically, pure: what ical.js's RecurIterator yields
// for them (the same wall-clock instances, in the same order), at a fraction of its
// cost — a year's CalendarView of a busy calendar spent most of its expansion in
// ical.js. Only rules whose meaning is plain are taken (FREQ=DAILY without BY parts,
// WEEKLY with plain weekdays, MONTHLY by month days or by ordinal weekdays, YEARLY on
// DTSTART's date or on an ordinal weekday of one month; INTERVAL, COUNT, UNTIL, WKST);
// anything else is left to ical.js.
// test/convert/recurrence-fast.test.ts compares both on the fixtures and generated rules.

const DAY_MS = 86_400_000;
const WEEKDAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

interface Rule {
  freq: 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';
  interval: number;
  count?: number;
  /** UNTIL in the start's form (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS), compared as text. */
  until?: string;
  /** Plain weekdays (WEEKLY), 0 = Sunday. */
  weekdays?: number[];
  /** Ordinal weekdays (MONTHLY, YEARLY): [n, weekday], n in ±1..5. */
  ordinals?: [number, number][];
  monthDays?: number[];
  month?: number;
  wkst: number;
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

function dayNumber(y: number, m: number, d: number): number {
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

function formatDay(n: number): string {
  const d = new Date(n * DAY_MS);
  const y = d.getUTCFullYear();
  return `${y < 1000 ? String(y).padStart(4, '0') : y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

function intList(v: string, min: number, max: number, allowNegative: boolean): number[] | undefined {
  const out: number[] = [];
  for (const p of v.split(',')) {
    if (!/^[+-]?\d{1,2}$/.test(p)) return undefined;
    const n = Number(p);
    if (n === 0 || Math.abs(n) < min || Math.abs(n) > max || (n < 0 && !allowNegative)) return undefined;
    out.push(n);
  }
  return out;
}

/** The rule when it is one we compute; undefined: not ours (ical.js iterates it). */
function parseRule(text: string, dateOnly: boolean): Rule | undefined {
  const parts = new Map<string, string>();
  for (const p of text.replace(/^RRULE:/i, '').split(';')) {
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) return undefined;
    const k = p.slice(0, eq).toUpperCase();
    if (parts.has(k)) return undefined;
    parts.set(k, p.slice(eq + 1).toUpperCase());
  }
  const freq = parts.get('FREQ');
  if (freq !== 'DAILY' && freq !== 'WEEKLY' && freq !== 'MONTHLY' && freq !== 'YEARLY') return undefined;
  const rule: Rule = { freq, interval: 1, wkst: 1 };
  for (const [k, v] of parts) {
    switch (k) {
      case 'FREQ':
        break;
      case 'INTERVAL':
        if (!/^\d{1,4}$/.test(v) || Number(v) < 1) return undefined;
        rule.interval = Number(v);
        break;
      case 'COUNT':
        if (!/^\d{1,6}$/.test(v) || Number(v) < 1) return undefined;
        rule.count = Number(v);
        break;
      case 'UNTIL': {
        const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?$/.exec(v);
        // A UTC or other-form UNTIL is compared by ical.js in ways not worth copying.
        if (!m || !!m[4] === dateOnly) return undefined;
        rule.until = m[4] ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}` : `${m[1]}-${m[2]}-${m[3]}`;
        break;
      }
      case 'WKST': {
        const w = WEEKDAYS.indexOf(v);
        if (w < 0) return undefined;
        rule.wkst = w;
        break;
      }
      case 'BYDAY': {
        const plain: number[] = [];
        const ord: [number, number][] = [];
        for (const d of v.split(',')) {
          const m = /^([+-]?\d{1,2})?(SU|MO|TU|WE|TH|FR|SA)$/.exec(d);
          if (!m) return undefined;
          const w = WEEKDAYS.indexOf(m[2]!);
          if (m[1] === undefined) plain.push(w);
          else {
            const n = Number(m[1]);
            if (n === 0 || Math.abs(n) > 4) return undefined;
            ord.push([n, w]);
          }
        }
        if (plain.length && ord.length) return undefined;
        if (plain.length) rule.weekdays = plain;
        else rule.ordinals = ord;
        break;
      }
      case 'BYMONTHDAY': {
        const l = intList(v, 1, 31, true);
        if (!l) return undefined;
        rule.monthDays = l;
        break;
      }
      case 'BYMONTH': {
        const l = intList(v, 1, 12, false);
        if (!l || l.length !== 1) return undefined;
        rule.month = l[0];
        break;
      }
      default:
        return undefined;
    }
  }
  if (rule.count !== undefined && rule.until !== undefined) return undefined;
  switch (rule.freq) {
    case 'DAILY':
      if (rule.weekdays || rule.ordinals || rule.monthDays || rule.month) return undefined;
      break;
    case 'WEEKLY':
      if (rule.ordinals || rule.monthDays || rule.month) return undefined;
      break;
    case 'MONTHLY':
      if (rule.weekdays || rule.month || (rule.ordinals && rule.monthDays)) return undefined;
      if (rule.ordinals && rule.ordinals.length !== 1) return undefined;
      break;
    case 'YEARLY':
      if (rule.weekdays || rule.monthDays) return undefined;
      // Either DTSTART's date every year, or one ordinal weekday of one month.
      if (!!rule.ordinals !== !!rule.month) return undefined;
      if (rule.ordinals && rule.ordinals.length !== 1) return undefined;
      break;
  }
  return rule;
}

/** The days (day numbers, ascending) the rule picks in one month. */
function monthDays(rule: Rule, y: number, m: number, startDay: number): number[] {
  const len = daysIn(y, m);
  const first = dayNumber(y, m, 1);
  if (rule.ordinals) {
    const [n, w] = rule.ordinals[0]!;
    const firstW = (new Date(first * DAY_MS).getUTCDay() + 7) % 7;
    let d: number;
    if (n > 0) d = 1 + ((w - firstW + 7) % 7) + (n - 1) * 7;
    else {
      const lastW = (firstW + len - 1) % 7;
      d = len - ((lastW - w + 7) % 7) + (n + 1) * 7;
    }
    return d >= 1 && d <= len ? [first + d - 1] : [];
  }
  const days = rule.monthDays ?? [startDay];
  const out = new Set<number>();
  for (const md of days) {
    const d = md > 0 ? md : len + md + 1;
    if (d >= 1 && d <= len) out.add(first + d - 1);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * The instances ical.js's iterator gives for `rrule` (UNTIL already in the start's wall clock)
 * from `start` ("YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS"), as wall-clock text in the same form;
 * undefined when the rule is not one computed here.
 */
export function fastRecurrence(rrule: string, start: string): Generator<string> | undefined {
  const dateOnly = start.length === 10;
  const m = /^(\d{4})-(\d{2})-(\d{2})(T\d{2}:\d{2}:\d{2})?$/.exec(start);
  if (!m || dateOnly === !!m[4]) return undefined;
  const rule = parseRule(rrule, dateOnly);
  if (!rule) return undefined;
  const [y0, m0, d0] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const time = m[4] ?? '';
  const day0 = dayNumber(y0, m0, d0);
  // ical.js rolls Feb 29 over to Mar 1 in other years; not copied here.
  if (rule.freq === 'YEARLY' && !rule.month && m0 === 2 && d0 === 29) return undefined;
  const days = dayStream(rule, y0, m0, d0, day0);
  // A DTSTART the rule does not pick is not yielded and not counted (as ical.js does; the caller adds it).
  return (function* () {
    let n = 0;
    for (const d of days) {
      const local = formatDay(d) + time;
      if (rule.until !== undefined && local > rule.until) return;
      yield local;
      if (rule.count !== undefined && ++n >= rule.count) return;
    }
  })();
}

/** Day numbers the rule picks, ascending, from DTSTART's day on (unbounded; the caller stops). */
function* dayStream(rule: Rule, y0: number, m0: number, d0: number, day0: number): Generator<number> {
  const iv = rule.interval;
  // Bounded like ical.js's own loop: at most this many periods without an instance.
  const LIMIT = 10_000;
  switch (rule.freq) {
    case 'DAILY':
      for (let d = day0; ; d += iv) yield d;
    case 'WEEKLY': {
      const w0 = new Date(day0 * DAY_MS).getUTCDay();
      const weekStart0 = day0 - ((w0 - rule.wkst + 7) % 7);
      const offsets = [...new Set((rule.weekdays ?? [w0]).map((w) => (w - rule.wkst + 7) % 7))].sort((a, b) => a - b);
      for (let ws = weekStart0; ; ws += 7 * iv) for (const o of offsets) if (ws + o >= day0) yield ws + o;
    }
    case 'MONTHLY': {
      let empty = 0;
      for (let k = 0; empty < LIMIT; k += iv) {
        const mi = m0 - 1 + k;
        const list = monthDays(rule, y0 + Math.floor(mi / 12), (mi % 12) + 1, d0);
        if (!list.length) empty++;
        for (const d of list) if (d >= day0) yield d;
      }
      return;
    }
    case 'YEARLY': {
      let empty = 0;
      for (let y = y0; empty < LIMIT; y += iv) {
        const list = rule.month ? monthDays(rule, y, rule.month, d0) : d0 <= daysIn(y, m0) ? [dayNumber(y, m0, d0)] : [];
        if (!list.length) empty++;
        for (const d of list) if (d >= day0) yield d;
      }
      return;
    }
  }
}
