// CreateItem / UpdateItem for calendar items and tasks: fields and MimeContent
// in, iCalendar out (and back through the renderer), Set/Append/Delete, time
// zones and recurrences, occurrences, and Exchange's error codes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NS, parseXml, elementChildren, type Element } from '../../src/soap/xml.js';
import { EwsError } from '../../src/ews/errors.js';
import { parseItemShape } from '../../src/ews/items/shape.js';
import { parseCalendarObject, serializeCalendarObject, type CalendarObject } from '../../src/convert/ical.js';
import { expandObject, modifyOccurrence, occurrenceAt } from '../../src/convert/recurrence-expand.js';
import { createCalendarItem, createTask, updateCalendarItem, updateTask, type CalendarWriteContext } from '../../src/ews/calendar/write.js';
import { itemViews, type CalendarRenderContext } from '../../src/ews/calendar/views.js';
import { renderCalendarView } from '../../src/ews/calendar/item.js';
import { renderTimeZoneDefinition } from '../../src/ews/calendar/timezone-xml.js';
import { timeZoneDefinition } from '../../src/convert/timezones-windows.js';

const ICS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'ics');
const read = (f: string) => fs.readFileSync(path.join(ICS_DIR, f), 'utf8');
const T = `xmlns:t="${NS.types}"`;
const el = (xml: string): Element => parseXml(xml).documentElement!;
const calItem = (inner: string) => el(`<t:CalendarItem ${T}>${inner}</t:CalendarItem>`);
const taskItem = (inner: string) => el(`<t:Task ${T}>${inner}</t:Task>`);
const updates = (inner: string) => el(`<t:Updates ${T}>${inner}</t:Updates>`);
const setField = (uri: string, inner: string, container = 'CalendarItem') =>
  `<t:SetItemField><t:FieldURI FieldURI="${uri}"/><t:${container}>${inner}</t:${container}></t:SetItemField>`;

const ctx: CalendarWriteContext = {
  timeZone: 'Europe/Berlin',
  version: 'Exchange2013',
  user: { email: 'pilot-users@example.test', name: 'Pilot Users' },
  now: new Date('2026-11-24T12:00:00Z'),
};

/** The serialized object with folded lines joined, for matching. */
const ics = (obj: CalendarObject) => serializeCalendarObject(obj).replace(/\r\n[ \t]/g, '');

function roundTrip(obj: CalendarObject): CalendarObject {
  return parseCalendarObject(serializeCalendarObject(obj), { floatingZone: ctx.timeZone });
}

function fails(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EwsError, `expected EwsError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe('CreateItem: fields', () => {
  const berlin = renderTimeZoneDefinition(timeZoneDefinition('W. Europe Standard Time'), true, 't:StartTimeZone').raw;

  test('a weekly meeting as exchangelib / the Managed API send it', () => {
    const { object, significant } = createCalendarItem(
      calItem(`
        <t:Subject>Architecture review</t:Subject>
        <t:Sensitivity>Private</t:Sensitivity>
        <t:Body BodyType="HTML">&lt;p&gt;Bring &lt;b&gt;diagrams&lt;/b&gt;&lt;/p&gt;</t:Body>
        <t:Categories><t:String>Architecture</t:String><t:String>Team</t:String></t:Categories>
        <t:Importance>High</t:Importance>
        <t:ReminderIsSet>true</t:ReminderIsSet>
        <t:ReminderMinutesBeforeStart>30</t:ReminderMinutesBeforeStart>
        <t:Start>2026-12-07T08:00:00Z</t:Start>
        <t:End>2026-12-07T09:30:00Z</t:End>
        <t:IsAllDayEvent>false</t:IsAllDayEvent>
        <t:LegacyFreeBusyStatus>OOF</t:LegacyFreeBusyStatus>
        <t:Location>Room 4.12</t:Location>
        <t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Alice Martin</t:Name><t:EmailAddress>alice.martin@example.org</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees>
        <t:OptionalAttendees><t:Attendee><t:Mailbox><t:EmailAddress>bob.stone@example.org</t:EmailAddress></t:Mailbox></t:Attendee></t:OptionalAttendees>
        <t:Resources><t:Attendee><t:Mailbox><t:Name>Beamer 2</t:Name><t:EmailAddress>beamer2@example.org</t:EmailAddress></t:Mailbox></t:Attendee></t:Resources>
        <t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday Wednesday</t:DaysOfWeek></t:WeeklyRecurrence><t:NumberedRecurrence><t:StartDate>2026-12-07</t:StartDate><t:NumberOfOccurrences>6</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>
        ${berlin}
        <t:EndTimeZone Id="W. Europe Standard Time"/>`),
      ctx,
    );
    assert.equal(significant, true);
    const text = ics(object);
    assert.match(text, /DTSTART;TZID=Europe\/Berlin:20261207T090000/);
    assert.match(text, /DTEND;TZID=Europe\/Berlin:20261207T103000/);
    assert.match(text, /RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=6/);
    assert.match(text, /BEGIN:VTIMEZONE\r\nTZID:Europe\/Berlin/);
    assert.match(text, /ORGANIZER;CN=Pilot Users:mailto:pilot-users@example.test/);
    assert.match(text, /ATTENDEE;CN=Beamer 2;CUTYPE=RESOURCE;ROLE=NON-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:beamer2@example.org/);
    assert.match(text, /X-MICROSOFT-CDO-BUSYSTATUS:OOF/);
    assert.match(text, /TRIGGER:-PT30M/);
    const back = roundTrip(object).master!;
    assert.equal(back.subject, 'Architecture review');
    assert.equal(back.htmlBody, '<p>Bring <b>diagrams</b></p>');
    assert.equal(back.body.trim(), 'Bring diagrams');
    assert.deepEqual([back.sensitivity, back.importance, back.freeBusy, back.reminderMinutes, back.location], ['Private', 'High', 'OOF', 30, 'Room 4.12']);
    assert.deepEqual(back.categories, ['Architecture', 'Team']);
    assert.deepEqual(
      back.attendees.map((a) => [a.email, a.kind]),
      [
        ['alice.martin@example.org', 'Required'],
        ['bob.stone@example.org', 'Optional'],
        ['beamer2@example.org', 'Resource'],
      ],
    );
    assert.equal(expandObject(roundTrip(object), { start: new Date('2026-01-01'), end: new Date('2028-01-01') }).length, 6);
  });

  test('the series starts on the first day that fits its pattern (as Exchange moves it)', () => {
    const { object } = createCalendarItem(
      calItem(`<t:Subject>Thursdays</t:Subject><t:Start>2026-12-07T08:00:00Z</t:Start><t:End>2026-12-07T09:00:00Z</t:End>
        <t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Thursday</t:DaysOfWeek></t:WeeklyRecurrence><t:NoEndRecurrence><t:StartDate>2026-12-07</t:StartDate></t:NoEndRecurrence></t:Recurrence>`),
      ctx,
    );
    const m = roundTrip(object).master!;
    assert.equal(m.start.local, '2026-12-10T09:00:00');
    assert.equal(m.end.local, '2026-12-10T10:00:00');
    assert.equal(m.recurrence?.range.startDate, '2026-12-10');
  });

  test('all-day events become DATE values; times without an offset are read in the request zone', () => {
    const allDay = createCalendarItem(
      calItem(
        '<t:Subject>Holiday</t:Subject><t:Start>2026-12-24T00:00:00+01:00</t:Start><t:End>2026-12-27T00:00:00+01:00</t:End><t:IsAllDayEvent>true</t:IsAllDayEvent>',
      ),
      ctx,
    ).object;
    const text = ics(allDay);
    assert.match(text, /DTSTART;VALUE=DATE:20261224/);
    assert.match(text, /DTEND;VALUE=DATE:20261227/);
    const ny = createCalendarItem(calItem('<t:Subject>Lunch</t:Subject><t:Start>2026-12-03T12:00:00</t:Start><t:End>2026-12-03T13:00:00</t:End>'), {
      ...ctx,
      timeZone: 'America/New_York',
    }).object.master!;
    assert.equal(ny.start.utc.toISOString(), '2026-12-03T17:00:00.000Z');
    assert.equal(ny.start.zone, 'America/New_York');
    // 2007 clients: MeetingTimeZone with a name (DavMail sends only the name)
    const e07 = createCalendarItem(
      calItem(
        '<t:Subject>Old client</t:Subject><t:Start>2026-12-03T09:00:00Z</t:Start><t:End>2026-12-03T10:00:00Z</t:End><t:MeetingTimeZone TimeZoneName="Tokyo Standard Time"/>',
      ),
      ctx,
    ).object.master!;
    assert.deepEqual([e07.start.zone, e07.start.local], ['Asia/Tokyo', '2026-12-03T18:00:00']);
  });

  test("Exchange's error codes for what it refuses", () => {
    const base = '<t:Subject>x</t:Subject>';
    fails(
      () => createCalendarItem(calItem(`${base}<t:Start>2026-12-03T10:00:00Z</t:Start><t:End>2026-12-03T09:00:00Z</t:End>`), ctx),
      'ErrorCalendarEndDateIsEarlierThanStartDate',
    );
    fails(() => createCalendarItem(calItem(`${base}<t:Start>2026-12-03T10:00:00Z</t:Start>`), ctx), 'ErrorRequiredPropertyMissing', /needs End/);
    fails(
      () => createCalendarItem(calItem(`${base}<t:Start>2026-12-03T10:00:00Z</t:Start><t:End>2036-12-03T10:00:00Z</t:End>`), ctx),
      'ErrorCalendarDurationIsTooLong',
    );
    fails(
      () =>
        createCalendarItem(
          calItem(`${base}<t:Start>2026-12-03T10:00:00Z</t:Start><t:End>2026-12-03T11:00:00Z</t:End><t:StartTimeZone Id="Mars Standard Time"/>`),
          ctx,
        ),
      'ErrorCalendarInvalidTimeZone',
      /Mars Standard Time/,
    );
    fails(
      () =>
        createCalendarItem(
          calItem(
            `${base}<t:Start>2026-12-03T10:00:00Z</t:Start><t:End>2026-12-03T11:00:00Z</t:End><t:Recurrence><t:AbsoluteYearlyRecurrence><t:DayOfMonth>30</t:DayOfMonth><t:Month>February</t:Month></t:AbsoluteYearlyRecurrence><t:NoEndRecurrence><t:StartDate>2026-12-03</t:StartDate></t:NoEndRecurrence></t:Recurrence>`,
          ),
          ctx,
        ),
      'ErrorCalendarInvalidRecurrence',
      /February 30 does not exist/,
    );
    fails(
      () =>
        createCalendarItem(
          calItem(
            `${base}<t:Start>2026-12-03T10:00:00Z</t:Start><t:End>2026-12-03T11:00:00Z</t:End><t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Weekday</t:DaysOfWeek></t:WeeklyRecurrence><t:NoEndRecurrence><t:StartDate>2026-12-03</t:StartDate></t:NoEndRecurrence></t:Recurrence>`,
          ),
          ctx,
        ),
      'ErrorCalendarInvalidDayForWeeklyRecurrence',
    );
    fails(
      () =>
        createCalendarItem(
          calItem(
            `${base}<t:Start>2026-12-03T10:00:00Z</t:Start><t:End>2026-12-03T11:00:00Z</t:End><t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence><t:EndDateRecurrence><t:StartDate>2026-12-03</t:StartDate><t:EndDate>2026-12-01</t:EndDate></t:EndDateRecurrence></t:Recurrence>`,
          ),
          ctx,
        ),
      'ErrorCalendarInvalidRecurrence',
      /ends \(2026-12-01\) before it starts/,
    );
    fails(
      () =>
        createCalendarItem(
          calItem(
            `${base}<t:Start>2026-12-03T10:00:00Z</t:Start><t:End>2026-12-03T11:00:00Z</t:End><t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Sunday</t:DaysOfWeek></t:WeeklyRecurrence><t:EndDateRecurrence><t:StartDate>2026-12-03</t:StartDate><t:EndDate>2026-12-05</t:EndDate></t:EndDateRecurrence></t:Recurrence>`,
          ),
          ctx,
        ),
      'ErrorRecurrenceHasNoOccurrence',
    );
    fails(
      () =>
        createCalendarItem(
          calItem(
            `${base}<t:Start>2026-12-03T10:00:00Z</t:Start><t:End>2026-12-03T11:00:00Z</t:End><t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Nobody</t:Name></t:Mailbox></t:Attendee></t:RequiredAttendees>`,
          ),
          ctx,
        ),
      'ErrorMissingEmailAddress',
    );
    fails(
      () => createCalendarItem(calItem(`${base}<t:Organizer><t:Mailbox><t:EmailAddress>x@example.org</t:EmailAddress></t:Mailbox></t:Organizer>`), ctx),
      'ErrorInvalidPropertySet',
      /calendar:Organizer is read-only/,
    );
    fails(
      () => createCalendarItem(calItem(`${base}<t:LegacyFreeBusyStatus>Sleeping</t:LegacyFreeBusyStatus>`), ctx),
      'ErrorInvalidValueForProperty',
      /"Sleeping"/,
    );
    fails(
      () => createCalendarItem(calItem(`${base}<t:Start>tomorrow</t:Start><t:End>2026-12-03T11:00:00Z</t:End>`), ctx),
      'ErrorInvalidValueForProperty',
      /"tomorrow" is not a date-time/,
    );
  });
});

describe('CreateItem: MimeContent (DavMail)', () => {
  test('iCalendar in MimeContent, with extended properties on top', () => {
    const source = read('apple-dinner.ics');
    const { object, urlCompName } = createCalendarItem(
      calItem(`<t:MimeContent CharacterSet="UTF-8">${Buffer.from(source).toString('base64')}</t:MimeContent>
        <t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="0x10f3" PropertyType="String"/><t:Value>dinner-2026.EML</t:Value></t:ExtendedProperty>
        <t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="xmozlastack" PropertyType="String"/><t:Value>20261201T100000Z</t:Value></t:ExtendedProperty>
        <t:ReminderIsSet>false</t:ReminderIsSet>`),
      ctx,
    );
    assert.equal(urlCompName, 'dinner-2026.EML');
    const out = ics(object);
    assert.match(out, /X-MOZ-LASTACK:20261201T100000Z/);
    assert.match(out, /X-APPLE-STRUCTURED-LOCATION/);
    assert.doesNotMatch(out, /BEGIN:VALARM/, 'ReminderIsSet=false removed the alarm');
    assert.equal(roundTrip(object).master!.subject, "Dîner de fin d'année");
    fails(
      () =>
        createCalendarItem(
          calItem(`<t:MimeContent>${Buffer.from('BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR').toString('base64')}</t:MimeContent>`),
          ctx,
        ),
      'ErrorMimeContentConversionFailed',
      /not usable iCalendar/,
    );
    fails(
      () => createCalendarItem(calItem(`<t:MimeContent>${Buffer.from(read('todo-simple-due.ics')).toString('base64')}</t:MimeContent>`), ctx),
      'ErrorMimeContentConversionFailed',
      /no event/,
    );
  });
});

describe('UpdateItem', () => {
  const outlook = () => parseCalendarObject(read('outlook-weekly-meeting.ics'), { floatingZone: ctx.timeZone });

  test('Set, Append and Delete on a series; unknown properties survive', () => {
    const obj = outlook();
    const out = updateCalendarItem(
      obj,
      obj.master!,
      updates(
        setField('item:Subject', '<t:Subject>Jour fixe (neu)</t:Subject>') +
          '<t:AppendToItemField><t:FieldURI FieldURI="calendar:RequiredAttendees"/><t:CalendarItem><t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>new.person@example.org</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees></t:CalendarItem></t:AppendToItemField>' +
          '<t:DeleteItemField><t:FieldURI FieldURI="calendar:Location"/></t:DeleteItemField>' +
          setField('item:Categories', '<t:Categories><t:String>Sales</t:String></t:Categories>'),
      ),
      ctx,
    );
    assert.ok(out.significant, 'out.significant');
    const text = ics(obj);
    const back = parseCalendarObject(text, { floatingZone: ctx.timeZone });
    assert.equal(back.master!.subject, 'Jour fixe (neu)');
    assert.equal(back.master!.location, undefined);
    assert.equal(back.master!.attendees.length, 5);
    assert.deepEqual(back.master!.categories, ['Sales']);
    for (const x of ['X-MICROSOFT-CDO-OWNERAPPTID:2118452870', 'X-MICROSOFT-DISALLOW-COUNTER:FALSE', 'X-MICROSOFT-CDO-INSTTYPE:3'])
      assert.ok(text.includes(x), x);
    assert.equal(back.overrides.length, 1, 'a field change keeps the exceptions');
    assert.equal(back.master!.sequence, 3, 'SEQUENCE bumped for a significant change');
  });

  test('moving a series or changing its pattern drops the old exceptions; deleting the recurrence makes it single', () => {
    const obj = outlook();
    updateCalendarItem(
      obj,
      obj.master!,
      updates(setField('calendar:Start', '<t:Start>2026-11-03T09:00:00Z</t:Start>') + setField('calendar:End', '<t:End>2026-11-03T10:00:00Z</t:End>')),
      ctx,
    );
    let back = roundTrip(obj);
    assert.equal(back.master!.start.local, '2026-11-03T10:00:00');
    assert.equal(back.master!.start.tzid, 'W. Europe Standard Time', 'the TZID the event had is kept');
    assert.equal(back.overrides.length, 0);
    assert.equal(back.master!.exdates.length, 0);
    assert.equal(
      back.master!.rrule,
      'FREQ=WEEKLY;INTERVAL=1;BYDAY=TU;WKST=MO;UNTIL=20270330T215959Z'.replace('INTERVAL=1;', ''),
      'the end of 30 March 2027 in Berlin (CEST) in UTC',
    );
    updateCalendarItem(
      obj,
      obj.master!,
      updates(
        setField(
          'calendar:Recurrence',
          '<t:Recurrence><t:DailyRecurrence><t:Interval>2</t:Interval></t:DailyRecurrence><t:NumberedRecurrence><t:StartDate>2026-11-03</t:StartDate><t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>',
        ),
      ),
      ctx,
    );
    back = roundTrip(obj);
    assert.equal(back.master!.rrule, 'FREQ=DAILY;INTERVAL=2;COUNT=3');
    updateCalendarItem(obj, obj.master!, updates('<t:DeleteItemField><t:FieldURI FieldURI="calendar:Recurrence"/></t:DeleteItemField>'), ctx);
    back = roundTrip(obj);
    assert.equal(back.master!.rrule, undefined);
    assert.equal(expandObject(back, { start: new Date('2026-01-01'), end: new Date('2028-01-01') }).length, 1);
  });

  test('one occurrence becomes an exception', () => {
    const obj = outlook();
    const occ = occurrenceAt(obj, 2);
    assert.ok('found' in occ, "'found' in occ");
    const override = modifyOccurrence(obj, occ.found);
    updateCalendarItem(
      obj,
      override,
      updates(
        setField('calendar:Start', '<t:Start>2026-11-10T12:00:00Z</t:Start>') +
          setField('calendar:End', '<t:End>2026-11-10T13:00:00Z</t:End>') +
          setField('item:Subject', '<t:Subject>Only this once</t:Subject>'),
      ),
      ctx,
    );
    const text = ics(obj);
    assert.match(text, /RECURRENCE-ID;TZID=W\. Europe Standard Time:20261110T090000/);
    const back = parseCalendarObject(text, { floatingZone: ctx.timeZone });
    assert.equal(back.overrides.length, 2);
    const moved = expandObject(back, { start: new Date('2026-11-10T00:00:00Z'), end: new Date('2026-11-11T00:00:00Z') })[0];
    assert.deepEqual([moved.start.local, moved.event.subject, moved.event.location], ['2026-11-10T13:00:00', 'Only this once', 'Raum Elbe (3.07)']);
    fails(
      () =>
        updateCalendarItem(
          obj,
          override,
          updates(
            setField(
              'calendar:Recurrence',
              '<t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence><t:NoEndRecurrence><t:StartDate>2026-11-10</t:StartDate></t:NoEndRecurrence></t:Recurrence>',
            ),
          ),
          ctx,
        ),
      'ErrorInvalidPropertySet',
      /occurrence/,
    );
  });

  test('extended properties: known ones mapped, others stored and read back', () => {
    const obj = outlook();
    updateCalendarItem(
      obj,
      obj.master!,
      updates(
        '<t:SetItemField><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"/><t:CalendarItem><t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"/><t:Values><t:Value>A</t:Value><t:Value>B</t:Value></t:Values></t:ExtendedProperty></t:CalendarItem></t:SetItemField>' +
          '<t:SetItemField><t:ExtendedFieldURI PropertySetId="11000E07-B51B-40D6-AF21-CAA85EDAB1D0" PropertyId="1" PropertyType="String"/><t:CalendarItem><t:ExtendedProperty><t:ExtendedFieldURI PropertySetId="11000E07-B51B-40D6-AF21-CAA85EDAB1D0" PropertyId="1" PropertyType="String"/><t:Value>outlook-mac-data</t:Value></t:ExtendedProperty></t:CalendarItem></t:SetItemField>',
      ),
      ctx,
    );
    const text = ics(obj);
    const back = parseCalendarObject(text, { floatingZone: ctx.timeZone });
    assert.deepEqual(back.master!.categories, ['A', 'B']);
    const shape = parseItemShape(
      el(
        `<m:ItemShape xmlns:m="${NS.messages}" ${T}><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:ExtendedFieldURI PropertySetId="11000E07-B51B-40D6-AF21-CAA85EDAB1D0" PropertyId="1" PropertyType="String"/></t:AdditionalProperties></m:ItemShape>`,
      ),
    );
    const rc: CalendarRenderContext = {
      version: 'Exchange2013',
      shape,
      user: ctx.user,
      timeZone: ctx.timeZone,
      parentFolder: { id: 'F', changeKey: 'C' },
      itemId: () => ({ id: 'I', changeKey: 'C' }),
      occurrenceId: () => ({ id: 'O', changeKey: 'C' }),
    };
    const xml = renderCalendarView(itemViews(back, '/x.ics', '"e"', text)[0], rc).raw;
    assert.match(xml, /<t:Value>outlook-mac-data<\/t:Value>/);
  });

  test('reminder fields apply together, whatever their order', () => {
    const obj = parseCalendarObject(read('utc-webinar.ics'), { floatingZone: ctx.timeZone });
    updateCalendarItem(obj, obj.master!, updates(setField('item:ReminderMinutesBeforeStart', '<t:ReminderMinutesBeforeStart>45</t:ReminderMinutesBeforeStart>') + setField('item:ReminderIsSet', '<t:ReminderIsSet>true</t:ReminderIsSet>')), ctx);
    assert.equal(roundTrip(obj).master!.reminderMinutes, 45);
    updateCalendarItem(obj, obj.master!, updates(setField('item:ReminderMinutesBeforeStart', '<t:ReminderMinutesBeforeStart>5</t:ReminderMinutesBeforeStart>')), ctx);
    assert.equal(roundTrip(obj).master!.reminderMinutes, 5);
    updateCalendarItem(obj, obj.master!, updates(setField('item:ReminderIsSet', '<t:ReminderIsSet>false</t:ReminderIsSet>')), ctx);
    assert.equal(roundTrip(obj).master!.reminderMinutes, undefined);
  });

  test('refusals', () => {
    const obj = outlook();
    fails(() => updateCalendarItem(obj, obj.master!, updates(setField('calendar:UID', '<t:UID>other</t:UID>')), ctx), 'ErrorInvalidPropertySet', /UID/);
    fails(
      () =>
        updateCalendarItem(
          obj,
          obj.master!,
          updates('<t:AppendToItemField><t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>x</t:Subject></t:CalendarItem></t:AppendToItemField>'),
          ctx,
        ),
      'ErrorInvalidPropertyAppend',
    );
    fails(
      () => updateCalendarItem(obj, obj.master!, updates('<t:DeleteItemField><t:FieldURI FieldURI="calendar:Start"/></t:DeleteItemField>'), ctx),
      'ErrorInvalidPropertyDelete',
    );
    fails(
      () => updateCalendarItem(obj, obj.master!, updates(setField('item:Subject', '<t:Subject>a</t:Subject><t:Location>b</t:Location>')), ctx),
      'ErrorIncorrectUpdatePropertyCount',
    );
    fails(
      () => updateCalendarItem(obj, obj.master!, updates(setField('calendar:End', '<t:End>2026-11-01T00:00:00Z</t:End>')), ctx),
      'ErrorCalendarEndDateIsEarlierThanStartDate',
    );
    fails(
      () => updateCalendarItem(obj, obj.master!, updates(setField('calendar:IsCancelled', '<t:IsCancelled>true</t:IsCancelled>')), ctx),
      'ErrorInvalidPropertySet',
      /read-only/,
    );
    fails(
      () => updateCalendarItem(obj, obj.master!, updates(setField('item:MimeContent', '<t:MimeContent>AAAA</t:MimeContent>')), ctx),
      'ErrorInvalidPropertySet',
    );
  });
});

describe('tasks', () => {
  test('create from fields, complete it, refuse bad values', () => {
    const { object } = createTask(
      taskItem(`<t:Subject>Renew the certificate</t:Subject><t:Importance>High</t:Importance>
        <t:DueDate>2026-12-15T00:00:00+01:00</t:DueDate><t:StartDate>2026-12-01T00:00:00+01:00</t:StartDate>
        <t:PercentComplete>25</t:PercentComplete><t:Status>InProgress</t:Status>
        <t:Recurrence><t:YearlyRegeneration><t:Interval>1</t:Interval></t:YearlyRegeneration><t:NoEndRecurrence><t:StartDate>2026-12-15</t:StartDate></t:NoEndRecurrence></t:Recurrence>`),
      ctx,
    );
    const text = ics(object);
    assert.match(text, /DUE;VALUE=DATE:20261215/);
    assert.match(text, /DTSTART;VALUE=DATE:20261201/);
    assert.match(text, /STATUS:IN-PROCESS/);
    assert.match(text, /PERCENT-COMPLETE:25/);
    assert.match(text, /RRULE:FREQ=YEARLY/);
    assert.match(text, /X-EWSGATE-REGENERATION:TRUE/);
    const back = roundTrip(object).task!;
    assert.deepEqual([back.status, back.percentComplete, back.recurrence?.pattern.type, back.importance], ['InProgress', 25, 'YearlyRegeneration', 'High']);
    updateTask(object, updates(setField('task:PercentComplete', '<t:PercentComplete>100</t:PercentComplete>', 'Task')), ctx);
    const done = roundTrip(object).task!;
    assert.deepEqual([done.status, done.completed?.toISOString()], ['Completed', '2026-11-24T12:00:00.000Z']);
    fails(
      () => updateTask(object, updates(setField('task:PercentComplete', '<t:PercentComplete>150</t:PercentComplete>', 'Task')), ctx),
      'ErrorInvalidPercentCompleteValue',
    );
    fails(
      () => updateTask(object, updates(setField('task:CompleteDate', '<t:CompleteDate>2027-06-01T00:00:00Z</t:CompleteDate>', 'Task')), ctx),
      'ErrorInvalidCompleteDate',
    );
    fails(() => updateTask(object, updates(setField('task:Status', '<t:Status>Snoozed</t:Status>', 'Task')), ctx), 'ErrorInvalidValueForProperty');
    fails(
      () => createTask(taskItem('<t:Subject>x</t:Subject><t:StartDate>2026-12-10T00:00:00Z</t:StartDate><t:DueDate>2026-12-01T00:00:00Z</t:DueDate>'), ctx),
      'ErrorInvalidValueForProperty',
      /due .* before it starts/,
    );
  });

  test("DavMail's task writes: extended dates, comma-joined keywords, PR_BODY", () => {
    const ext = (attrs: string, value: string) =>
      `<t:SetItemField><t:ExtendedFieldURI ${attrs}/><t:Task><t:ExtendedProperty><t:ExtendedFieldURI ${attrs}/><t:Value>${value}</t:Value></t:ExtendedProperty></t:Task></t:SetItemField>`;
    const obj = parseCalendarObject(read('todo-simple-due.ics'), { floatingZone: ctx.timeZone });
    updateTask(
      obj,
      updates(
        ext('DistinguishedPropertySetId="Task" PropertyId="33029" PropertyType="SystemTime"', '2026-12-05T00:00:00Z') +
          ext('DistinguishedPropertySetId="PublicStrings" PropertyName="Keywords" PropertyType="StringArray"', 'Admin,Finance') +
          ext('PropertyTag="0x1000" PropertyType="String"', 'New description') +
          setField('task:Status', '<t:Status>Completed</t:Status>', 'Task'),
      ),
      ctx,
    );
    const back = roundTrip(obj).task!;
    assert.deepEqual(
      [back.due?.local, back.categories, back.body, back.status, back.percentComplete],
      ['2026-12-05', ['Admin', 'Finance'], 'New description', 'Completed', 100],
    );
  });
});

describe('EWS → iCalendar → EWS', () => {
  test('what a client wrote reads back through the renderer', () => {
    const { object } = createCalendarItem(
      calItem(
        '<t:Subject>Round trip</t:Subject><t:Start>2026-12-07T08:00:00Z</t:Start><t:End>2026-12-07T09:00:00Z</t:End><t:StartTimeZone Id="Pacific Standard Time"/><t:Recurrence><t:RelativeMonthlyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek><t:DayOfWeekIndex>First</t:DayOfWeekIndex></t:RelativeMonthlyRecurrence><t:NumberedRecurrence><t:StartDate>2026-12-07</t:StartDate><t:NumberOfOccurrences>4</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>',
      ),
      ctx,
    );
    const text = serializeCalendarObject(object);
    const back = parseCalendarObject(text, { floatingZone: ctx.timeZone });
    const shape = parseItemShape(el(`<m:ItemShape xmlns:m="${NS.messages}" ${T}><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape>`));
    const rc: CalendarRenderContext = {
      version: 'Exchange2013',
      shape,
      user: ctx.user,
      timeZone: ctx.timeZone,
      parentFolder: { id: 'F', changeKey: 'C' },
      itemId: () => ({ id: 'I', changeKey: 'C' }),
      occurrenceId: (_v, o) => ({ id: `O${o.index}`, changeKey: 'C' }),
    };
    const item = parseXml(
      renderCalendarView(itemViews(back, '/x.ics', '"e"', text)[0], rc).raw.replace('<t:CalendarItem', `<t:CalendarItem ${T}`),
    ).documentElement!;
    const get = (n: string) => elementChildren(item).find((c) => c.localName === n);
    assert.equal(get('Start')!.textContent, '2026-12-07T08:00:00Z');
    assert.equal(get('StartTimeZone')!.getAttribute('Id'), 'Pacific Standard Time');
    const rec = get('Recurrence')!;
    assert.equal(elementChildren(rec)[0].localName, 'RelativeMonthlyRecurrence');
    assert.equal(elementChildren(elementChildren(rec)[1]).find((c) => c.localName === 'NumberOfOccurrences')!.textContent, '4');
    assert.equal(elementChildren(get('LastOccurrence')!).find((c) => c.localName === 'Start')!.textContent, '2027-03-01T08:00:00Z');
  });
});
