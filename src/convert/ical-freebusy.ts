// Free/busy, pure: read a server's VFREEBUSY answer (CalDAV free-busy-query,
// RFC 4791 §7.10), or compute the same from events where the server has no
// free-busy-query (Radicale 3.1): opaque instances only, cancelled ones left out.
import ICAL from 'ical.js';
import { IcalError, type CalendarObject, type FreeBusyStatus } from './ical.js';
import { expandObject, type Window } from './recurrence-expand.js';

export interface BusyInterval {
  start: Date;
  end: Date;
  status: Exclude<FreeBusyStatus, 'Free'>;
  /** Details (EWS DetailedMerged / Detailed views); only when computed from events. */
  details?: {
    subject: string;
    location?: string;
    isMeeting: boolean;
    isRecurring: boolean;
    isException: boolean;
    isReminderSet: boolean;
    isPrivate: boolean;
  };
}

const FBTYPE: Record<string, BusyInterval['status']> = {
  BUSY: 'Busy',
  'BUSY-TENTATIVE': 'Tentative',
  'BUSY-UNAVAILABLE': 'OOF',
};

/** The busy periods of a VFREEBUSY (every FREEBUSY line; FBTYPE=FREE left out). */
export function parseFreeBusy(text: string): BusyInterval[] {
  let cal: ICAL.Component;
  try {
    cal = new ICAL.Component(ICAL.parse(text));
  } catch (e) {
    throw new IcalError(`The free/busy answer is not iCalendar: ${(e as Error).message}`);
  }
  const vfb = cal.name === 'vfreebusy' ? cal : cal.getFirstSubcomponent('vfreebusy');
  if (!vfb) throw new IcalError('The free/busy answer holds no VFREEBUSY.');
  const out: BusyInterval[] = [];
  for (const p of vfb.getAllProperties('freebusy')) {
    const type = String(p.getParameter('fbtype') ?? 'BUSY').toUpperCase();
    if (type === 'FREE') continue;
    for (const v of p.getValues() as ICAL.Period[]) {
      const start = v.start.toJSDate();
      const end = v.end ? v.end.toJSDate() : new Date(start.getTime() + (v.duration?.toSeconds() ?? 0) * 1000);
      out.push({ start, end, status: FBTYPE[type] ?? 'Busy' });
    }
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime());
}

/** Busy intervals from events (what free-busy-query would answer), with the details EWS can show. */
export function busyFromObjects(objects: CalendarObject[], window: Window): BusyInterval[] {
  const out: BusyInterval[] = [];
  for (const obj of objects) {
    if (obj.kind !== 'event') continue;
    const recurring = !!obj.master?.rrule || !!obj.master?.rdates.length;
    for (const occ of expandObject(obj, window)) {
      const e = occ.event;
      if (e.status === 'CANCELLED' || e.freeBusy === 'Free') continue;
      out.push({
        start: occ.start.utc,
        end: occ.end.utc,
        status: e.freeBusy === 'NoData' ? 'Busy' : e.freeBusy,
        details: {
          subject: e.subject,
          location: e.location,
          isMeeting: e.attendees.length > 0,
          isRecurring: recurring,
          isException: !!occ.override,
          isReminderSet: e.reminderMinutes !== undefined,
          isPrivate: e.sensitivity === 'Private' || e.sensitivity === 'Confidential',
        },
      });
    }
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime());
}

const RANK: Record<BusyInterval['status'] | 'Free', number> = { Free: 0, Tentative: 1, Busy: 2, OOF: 3, WorkingElsewhere: 1, NoData: 4 };

/**
 * EWS MergedFreeBusy: one digit per slot of `intervalMinutes` from window.start
 * (0 free, 1 tentative, 2 busy, 3 OOF, 4 no data), the strongest status in each slot.
 */
export function mergedFreeBusy(intervals: BusyInterval[], window: Window, intervalMinutes: number): string {
  const slot = intervalMinutes * 60_000;
  const n = Math.max(0, Math.ceil((window.end.getTime() - window.start.getTime()) / slot));
  const digits = new Array<number>(n).fill(0);
  for (const iv of intervals) {
    const from = Math.max(0, Math.floor((iv.start.getTime() - window.start.getTime()) / slot));
    const to = Math.min(n, Math.ceil((iv.end.getTime() - window.start.getTime()) / slot));
    const rank = iv.status === 'WorkingElsewhere' ? 1 : RANK[iv.status];
    for (let i = from; i < to; i++) digits[i] = Math.max(digits[i], rank);
  }
  return digits.join('');
}
