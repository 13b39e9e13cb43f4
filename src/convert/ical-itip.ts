// iTIP messages (RFC 5546) from a stored object, pure: the text/calendar part
// of an invitation (REQUEST), a cancellation (CANCEL) and an attendee's answer
// (REPLY), for the series or one occurrence. The stored object is not changed;
// serialize it first so that the message carries what was just saved.
import ICAL from 'ical.js';
import { IcalError, PRODID, serializeCalendarObject, type CalDateTime, type CalendarEvent, type CalendarObject, type ResponseType } from './ical.js';

type Comp = ICAL.Component;

function messageCalendar(obj: CalendarObject, method: string): Comp {
  const cal = new ICAL.Component('vcalendar');
  cal.updatePropertyWithValue('prodid', PRODID);
  cal.updatePropertyWithValue('version', '2.0');
  cal.updatePropertyWithValue('method', method);
  // the object's own VTIMEZONEs (serializeCalendarObject added any that were missing)
  const stored = new ICAL.Component(ICAL.parse(serializeCalendarObject(obj)));
  for (const vtz of stored.getAllSubcomponents('vtimezone')) cal.addSubcomponent(new ICAL.Component(structuredClone(vtz.toJSON())));
  return cal;
}

function copy(c: Comp): Comp {
  return new ICAL.Component(structuredClone(c.toJSON()));
}

function stamp(c: Comp): void {
  c.updatePropertyWithValue('dtstamp', ICAL.Time.fromJSDate(new Date(), true));
}

function ridProperty(c: Comp, rid: CalDateTime): void {
  c.removeAllProperties('recurrence-id');
  const p = new ICAL.Property('recurrence-id', c);
  if (rid.dateOnly) {
    p.resetType('date');
    p.setValue(ICAL.Time.fromDateString(rid.local.slice(0, 10)));
  } else if (rid.zone === 'UTC' || !rid.tzid) {
    p.setValue(ICAL.Time.fromJSDate(rid.utc, true));
  } else {
    p.setParameter('tzid', rid.tzid);
    p.setValue(ICAL.Time.fromDateTimeString(rid.local));
  }
  c.addProperty(p);
}

/** METHOD:REQUEST with every component of the object (master and overrides): an invitation or an update. */
export function itipRequest(obj: CalendarObject): string {
  if (obj.kind !== 'event') throw new IcalError('Only events are sent as meeting requests.', obj.uid);
  const cal = messageCalendar(obj, 'REQUEST');
  for (const e of [...(obj.master ? [obj.master] : []), ...obj.overrides]) {
    const c = copy(e.component);
    for (const a of c.getAllProperties('attendee')) if (!a.getParameter('rsvp')) a.setParameter('rsvp', 'TRUE');
    stamp(c);
    cal.addSubcomponent(c);
  }
  return cal.toString() + '\r\n';
}

/**
 * METHOD:CANCEL for the whole series, or for one occurrence (`recurrenceId`), with SEQUENCE one
 * above the stored one and STATUS:CANCELLED, to every attendee.
 */
export function itipCancel(obj: CalendarObject, opts: { recurrenceId?: CalDateTime } = {}): string {
  const base = opts.recurrenceId ? (obj.overrides.find((o) => o.recurrenceId?.utc.getTime() === opts.recurrenceId!.utc.getTime()) ?? obj.master) : obj.master;
  if (!base) throw new IcalError('The object has no event to cancel.', obj.uid);
  const cal = messageCalendar(obj, 'CANCEL');
  const c = copy(base.component);
  for (const name of opts.recurrenceId ? ['rrule', 'rdate', 'exdate'] : []) c.removeAllProperties(name);
  if (opts.recurrenceId) ridProperty(c, opts.recurrenceId);
  c.updatePropertyWithValue('status', 'CANCELLED');
  c.updatePropertyWithValue('sequence', (obj.master?.sequence ?? base.sequence) + 1);
  for (const a of c.getAllSubcomponents('valarm')) c.removeSubcomponent(a);
  stamp(c);
  cal.addSubcomponent(c);
  return cal.toString() + '\r\n';
}

const PARTSTAT: Partial<Record<ResponseType, string>> = { Accept: 'ACCEPTED', Tentative: 'TENTATIVE', Decline: 'DECLINED' };

/**
 * METHOD:REPLY from one attendee: the organizer, that attendee with its new PARTSTAT, and the
 * event's identity (UID, SEQUENCE, RECURRENCE-ID for one occurrence), as RFC 5546 §3.2.3 asks.
 */
export function itipReply(
  obj: CalendarObject,
  attendee: string,
  response: 'Accept' | 'Tentative' | 'Decline',
  opts: { recurrenceId?: CalDateTime; comment?: string } = {},
): string {
  const event: CalendarEvent | undefined = opts.recurrenceId
    ? (obj.overrides.find((o) => o.recurrenceId?.utc.getTime() === opts.recurrenceId!.utc.getTime()) ?? obj.master)
    : obj.master;
  if (!event) throw new IcalError('The object has no event to answer.', obj.uid);
  if (!event.organizer) throw new IcalError('The event has no organizer to reply to.', obj.uid);
  const me = event.component.getAllProperties('attendee').find(
    (p) =>
      String(p.getFirstValue() ?? '')
        .replace(/^mailto:/i, '')
        .toLowerCase() === attendee.toLowerCase(),
  );
  const cal = messageCalendar(obj, 'REPLY');
  const c = new ICAL.Component('vevent', cal);
  c.updatePropertyWithValue('uid', obj.uid);
  for (const name of ['dtstart', 'dtend', 'duration', 'summary', 'organizer']) {
    const p = event.component.getFirstProperty(name);
    if (p) c.addProperty(new ICAL.Property(structuredClone(p.toJSON()) as unknown[], c));
  }
  c.updatePropertyWithValue('sequence', event.sequence);
  if (opts.recurrenceId) ridProperty(c, opts.recurrenceId);
  const a = me ? new ICAL.Property(structuredClone(me.toJSON()) as unknown[], c) : new ICAL.Property('attendee', c);
  if (!me) a.setValue(`mailto:${attendee}`);
  a.setParameter('partstat', PARTSTAT[response]!);
  a.removeParameter('rsvp');
  c.addProperty(a);
  if (opts.comment) c.updatePropertyWithValue('comment', opts.comment);
  stamp(c);
  cal.addSubcomponent(c);
  return cal.toString() + '\r\n';
}
