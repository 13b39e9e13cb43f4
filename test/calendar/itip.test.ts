// iTIP messages built from stored objects: REQUEST (every component), CANCEL
// (series or one occurrence, SEQUENCE raised) and REPLY (one attendee).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ICAL from 'ical.js';
import { IcalError, parseCalendarObject } from '../../src/convert/ical.js';
import { itipCancel, itipReply, itipRequest } from '../../src/convert/ical-itip.js';
import { occurrenceAt } from '../../src/convert/recurrence-expand.js';

const ICS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'ics');
const obj = (f: string) => parseCalendarObject(fs.readFileSync(path.join(ICS_DIR, f), 'utf8'));
const parse = (text: string) => new ICAL.Component(ICAL.parse(text));

test('REQUEST carries the series, its override and the zone', () => {
  const cal = parse(itipRequest(obj('outlook-weekly-meeting.ics')));
  assert.equal(cal.getFirstPropertyValue('method'), 'REQUEST');
  assert.equal(cal.getAllSubcomponents('vevent').length, 2);
  assert.equal(cal.getAllSubcomponents('vtimezone')[0].getFirstPropertyValue('tzid'), 'W. Europe Standard Time');
  assert.ok(
    cal
      .getAllSubcomponents('vevent')[0]
      .getAllProperties('attendee')
      .every((a) => a.getParameter('rsvp') === 'TRUE'),
    'attendees are asked to answer',
  );
});

test('CANCEL of the series and of one occurrence', () => {
  const o = obj('outlook-weekly-meeting.ics');
  const all = parse(itipCancel(o)).getFirstSubcomponent('vevent')!;
  assert.deepEqual(
    [all.getFirstPropertyValue('status'), all.getFirstPropertyValue('sequence'), all.hasProperty('rrule'), all.getAllSubcomponents('valarm').length],
    ['CANCELLED', 3, true, 0],
  );
  const occ = occurrenceAt(o, 4);
  assert.ok('found' in occ, 'occurrence 4 exists');
  const one = parse(itipCancel(o, { recurrenceId: occ.found.recurrenceId })).getFirstSubcomponent('vevent')!;
  assert.equal(one.hasProperty('rrule'), false);
  const rid = one.getFirstProperty('recurrence-id')!;
  assert.deepEqual([rid.getParameter('tzid'), rid.toJSON()[3]], ['W. Europe Standard Time', '2026-11-24T09:00:00']);
});

test('REPLY from one attendee', () => {
  const o = obj('outlook-weekly-meeting.ics');
  const ev = parse(itipReply(o, 'pilot-users@example.test', 'Tentative', { comment: 'Maybe late' })).getFirstSubcomponent('vevent')!;
  const att = ev.getAllProperties('attendee');
  assert.equal(att.length, 1);
  assert.deepEqual(
    [att[0].getFirstValue(), att[0].getParameter('partstat'), att[0].getParameter('cn')],
    ['mailto:pilot-users@example.test', 'TENTATIVE', 'Pilot Users'],
  );
  assert.equal(ev.getFirstPropertyValue('organizer'), 'mailto:henrike.vogt@example.org');
  assert.equal(ev.getFirstPropertyValue('comment'), 'Maybe late');
  assert.throws(
    () => itipReply(obj('utc-webinar.ics'), 'x@example.org', 'Accept'),
    (e: unknown) => e instanceof IcalError && /no organizer/.test(e.message),
  );
});
