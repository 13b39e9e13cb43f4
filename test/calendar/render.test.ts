// The CalendarItem / Task renderer: well-formed, in the schema's element order,
// the values the iCalendar data holds, version-gated, extended properties echoed
// as asked, MimeContent the stored iCalendar, restriction values; and one golden
// answer compared byte for byte.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NS, parseXml, elementChildren, type Element } from '../../src/soap/xml.js';
import type { ExchangeVersion } from '../../src/soap/envelope.js';
import { parseItemShape, type ItemShape } from '../../src/ews/items/shape.js';
import { parseRestriction, evaluate } from '../../src/ews/restriction.js';
import { parseCalendarObject } from '../../src/convert/ical.js';
import { expandObject } from '../../src/convert/recurrence-expand.js';
import { itemViews, occurrenceView, type AnyCalendarView, type CalendarRenderContext } from '../../src/ews/calendar/views.js';
import { calendarPropertyValue, renderCalendarView, shapeNeedsData } from '../../src/ews/calendar/item.js';

const ICS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'ics');
const read = (f: string) => fs.readFileSync(path.join(ICS_DIR, f), 'utf8');
const T = `xmlns:t="${NS.types}"`;

const ITEM_ORDER = [
  'MimeContent',
  'ItemId',
  'ParentFolderId',
  'ItemClass',
  'Subject',
  'Sensitivity',
  'Body',
  'Attachments',
  'DateTimeReceived',
  'Size',
  'Categories',
  'Importance',
  'InReplyTo',
  'IsSubmitted',
  'IsDraft',
  'IsFromMe',
  'IsResend',
  'IsUnmodified',
  'InternetMessageHeaders',
  'DateTimeSent',
  'DateTimeCreated',
  'ResponseObjects',
  'ReminderDueBy',
  'ReminderIsSet',
  'ReminderNextTime',
  'ReminderMinutesBeforeStart',
  'DisplayCc',
  'DisplayTo',
  'HasAttachments',
  'ExtendedProperty',
  'Culture',
  'EffectiveRights',
  'LastModifiedName',
  'LastModifiedTime',
  'IsAssociated',
  'WebClientReadFormQueryString',
  'WebClientEditFormQueryString',
  'ConversationId',
  'UniqueBody',
  'Flag',
  'StoreEntryId',
  'InstanceKey',
  'NormalizedBody',
  'EntityExtractionResult',
  'PolicyTag',
  'ArchiveTag',
  'RetentionDate',
  'Preview',
  'RightsManagementLicenseData',
  'PredictedActionReasons',
  'IsClutter',
  'BlockStatus',
  'HasBlockedImages',
  'TextBody',
  'IconIndex',
];
const CALENDAR_ORDER = [
  ...ITEM_ORDER,
  'UID',
  'RecurrenceId',
  'DateTimeStamp',
  'Start',
  'End',
  'OriginalStart',
  'IsAllDayEvent',
  'LegacyFreeBusyStatus',
  'Location',
  'When',
  'IsMeeting',
  'IsCancelled',
  'IsRecurring',
  'MeetingRequestWasSent',
  'IsResponseRequested',
  'CalendarItemType',
  'MyResponseType',
  'Organizer',
  'RequiredAttendees',
  'OptionalAttendees',
  'Resources',
  'ConflictingMeetingCount',
  'AdjacentMeetingCount',
  'ConflictingMeetings',
  'AdjacentMeetings',
  'Duration',
  'TimeZone',
  'AppointmentReplyTime',
  'AppointmentSequenceNumber',
  'AppointmentState',
  'Recurrence',
  'FirstOccurrence',
  'LastOccurrence',
  'ModifiedOccurrences',
  'DeletedOccurrences',
  'MeetingTimeZone',
  'StartTimeZone',
  'EndTimeZone',
  'ConferenceType',
  'AllowNewTimeProposal',
  'IsOnlineMeeting',
  'MeetingWorkspaceUrl',
  'NetShowUrl',
  'EnhancedLocation',
  'StartWallClock',
  'EndWallClock',
  'StartTimeZoneId',
  'EndTimeZoneId',
  'IntendedFreeBusyStatus',
  'JoinOnlineMeetingUrl',
  'OnlineMeetingSettings',
  'IsOrganizer',
];
const TASK_ORDER = [
  ...ITEM_ORDER,
  'ActualWork',
  'AssignedTime',
  'BillingInformation',
  'ChangeCount',
  'Companies',
  'CompleteDate',
  'Contacts',
  'DelegationState',
  'Delegator',
  'DueDate',
  'IsAssignmentEditable',
  'IsComplete',
  'IsRecurring',
  'IsTeamTask',
  'Mileage',
  'Owner',
  'PercentComplete',
  'Recurrence',
  'StartDate',
  'Status',
  'StatusDescription',
  'TotalWork',
];

function shape(xml: string): ItemShape {
  return parseItemShape(parseXml(`<m:ItemShape xmlns:m="${NS.messages}" ${T}>${xml}</m:ItemShape>`).documentElement!);
}

function ctx(s: ItemShape, version: ExchangeVersion = 'Exchange2013', email = 'pilot-users@example.test'): CalendarRenderContext {
  return {
    version,
    shape: s,
    user: { email, name: 'Pilot Users' },
    timeZone: 'Europe/Berlin',
    parentFolder: { id: 'FOLDER', changeKey: 'FCK' },
    itemId: (v) => ({ id: `ITEM:${v.href}${v.kind === 'calendar' && v.occurrence ? `#${v.occurrence.index}` : ''}`, changeKey: `CK:${v.etag}` }),
    occurrenceId: (v, o) => ({ id: `ITEM:${v.href}#${o.index}`, changeKey: `CK:${v.etag}` }),
  };
}

function views(file: string, floatingZone = 'Europe/Berlin'): AnyCalendarView[] {
  const text = read(file);
  return itemViews(parseCalendarObject(text, { floatingZone }), `/u/calendar/${file}`, '"etag-1"', text);
}

function render(v: AnyCalendarView, rc: CalendarRenderContext, forFind = false): Element {
  const xml = renderCalendarView(v, rc, forFind).raw;
  return parseXml(xml.replace(/^<t:(CalendarItem|Task)/, `<t:$1 ${T}`)).documentElement!;
}

const names = (el: Element) => elementChildren(el).map((c) => c.localName ?? '');
const kid = (el: Element, name: string) => elementChildren(el).find((c) => c.localName === name);
const txt = (el: Element, name: string) => kid(el, name)?.textContent ?? undefined;

function assertOrder(el: Element, order: string[]): void {
  const got = names(el);
  const idx = got.map((n) => order.indexOf(n));
  assert.ok(
    idx.every((i) => i >= 0),
    `unknown elements: ${got.filter((_, i) => idx[i] < 0).join(', ')}`,
  );
  for (let i = 1; i < idx.length; i++) assert.ok(idx[i] > idx[i - 1], `${got[i]} after ${got[i - 1]} breaks the schema order`);
}

describe('schema order and well-formedness for every fixture and shape', () => {
  const shapes = ['<t:BaseShape>Default</t:BaseShape>', '<t:BaseShape>AllProperties</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent>'];
  for (const f of fs.readdirSync(ICS_DIR).filter((x) => x.endsWith('.ics') && !x.startsWith('broken-') && x !== 'broken-end-before-start.ics')) {
    test(f, () => {
      for (const s of shapes) {
        for (const version of ['Exchange2007_SP1', 'Exchange2010_SP2', 'V2017_07_11'] as ExchangeVersion[]) {
          for (const v of views(f)) {
            for (const forFind of [true, false]) {
              const el = render(v, ctx(shape(s), version), forFind);
              assertOrder(el, v.kind === 'calendar' ? CALENDAR_ORDER : TASK_ORDER);
            }
          }
        }
      }
    });
  }
});

describe('values', () => {
  test('a series master with everything EWS shows', () => {
    const v = views('outlook-weekly-meeting.ics')[0];
    const el = render(v, ctx(shape('<t:BaseShape>AllProperties</t:BaseShape>')));
    assert.equal(txt(el, 'CalendarItemType'), 'RecurringMaster');
    assert.equal(txt(el, 'Start'), '2026-11-03T08:00:00Z');
    assert.equal(txt(el, 'End'), '2026-11-03T09:00:00Z');
    assert.equal(txt(el, 'LegacyFreeBusyStatus'), 'Tentative');
    assert.equal(txt(el, 'MyResponseType'), 'NoResponseReceived');
    assert.equal(txt(el, 'IsMeeting'), 'true');
    assert.equal(txt(el, 'IsRecurring'), 'false', 'Exchange: false for a master');
    assert.equal(txt(el, 'Duration'), 'PT1H');
    assert.equal(txt(el, 'ReminderMinutesBeforeStart'), '15');
    assert.equal(kid(el, 'Body')!.getAttribute('BodyType'), 'HTML');
    assert.equal(kid(el, 'StartTimeZone')!.getAttribute('Id'), 'W. Europe Standard Time');
    const rec = kid(el, 'Recurrence')!;
    assert.deepEqual(names(rec), ['WeeklyRecurrence', 'EndDateRecurrence']);
    assert.equal(txt(kid(rec, 'WeeklyRecurrence')!, 'DaysOfWeek'), 'Tuesday');
    // Exchange's form: the date and the series' UTC offset (exchangelib reads only that as a date)
    assert.equal(txt(kid(rec, 'EndDateRecurrence')!, 'StartDate'), '2026-11-03+01:00');
    assert.equal(txt(kid(rec, 'EndDateRecurrence')!, 'EndDate'), '2027-03-30+01:00');
    assert.equal(kid(kid(el, 'FirstOccurrence')!, 'ItemId')!.getAttribute('Id'), 'ITEM:/u/calendar/outlook-weekly-meeting.ics#1');
    assert.equal(txt(kid(el, 'LastOccurrence')!, 'Start'), '2027-03-30T07:00:00Z');
    const mod = kid(kid(el, 'ModifiedOccurrences')!, 'Occurrence')!;
    assert.deepEqual([txt(mod, 'Start'), txt(mod, 'OriginalStart')], ['2026-11-18T13:00:00Z', '2026-11-17T08:00:00Z']);
    assert.equal(txt(kid(kid(el, 'DeletedOccurrences')!, 'DeletedOccurrence')!, 'Start'), '2026-12-29T08:00:00Z');
    assert.deepEqual(names(kid(el, 'Resources')!), ['Attendee']);
  });

  test('an occurrence and an exception from a CalendarView', () => {
    const text = read('outlook-weekly-meeting.ics');
    const obj = parseCalendarObject(text, { floatingZone: 'Europe/Berlin' });
    const [a, b] = expandObject(obj, { start: new Date('2026-11-10T00:00:00Z'), end: new Date('2026-11-19T00:00:00Z') });
    const rc = ctx(shape('<t:BaseShape>Default</t:BaseShape>'));
    const occ = render(occurrenceView(obj, a, '/u/c/x.ics', '"e"', text), rc, true);
    assert.deepEqual(
      [txt(occ, 'CalendarItemType'), txt(occ, 'IsRecurring'), txt(occ, 'Start'), txt(occ, 'OriginalStart'), txt(occ, 'RecurrenceId')],
      ['Occurrence', 'true', '2026-11-10T08:00:00Z', '2026-11-10T08:00:00Z', '2026-11-10T08:00:00Z'],
    );
    const exc = render(occurrenceView(obj, b, '/u/c/x.ics', '"e"', text), rc, true);
    assert.deepEqual(
      [txt(exc, 'CalendarItemType'), txt(exc, 'Subject'), txt(exc, 'Start'), txt(exc, 'OriginalStart')],
      ['Exception', 'Jour fixe Vertrieb/Technik (verschoben)', '2026-11-18T13:00:00Z', '2026-11-17T08:00:00Z'],
    );
    assert.equal(kid(occ, 'ItemId')!.getAttribute('Id'), 'ITEM:/u/c/x.ics#2');
  });

  test('all-day events start at midnight in the client zone; organizers; tasks', () => {
    const bday = render(views('all-day-and-birthday.ics')[0], ctx(shape('<t:BaseShape>Default</t:BaseShape>')));
    assert.deepEqual(
      [txt(bday, 'Start'), txt(bday, 'End'), txt(bday, 'IsAllDayEvent'), txt(bday, 'LegacyFreeBusyStatus')],
      ['2026-03-16T23:00:00Z', '2026-03-17T23:00:00Z', 'true', 'Free'],
    );
    const mine = render(views('utc-webinar.ics')[0], ctx(shape('<t:BaseShape>Default</t:BaseShape>')));
    assert.equal(txt(mine, 'MyResponseType'), 'Organizer', "no organizer: the user's own appointment");
    assert.equal(txt(kid(kid(mine, 'Organizer')!, 'Mailbox')!, 'EmailAddress'), 'pilot-users@example.test');
    const task = render(views('todo-in-progress-alarm.ics')[0], ctx(shape('<t:BaseShape>AllProperties</t:BaseShape>')));
    assert.deepEqual(
      [
        txt(task, 'ItemClass'),
        txt(task, 'Status'),
        txt(task, 'PercentComplete'),
        txt(task, 'DueDate'),
        txt(task, 'StartDate'),
        txt(task, 'ReminderDueBy'),
        txt(task, 'IsComplete'),
      ],
      ['IPM.Task', 'InProgress', '40', '2026-11-20T00:00:00+01:00', '2026-11-02T00:00:00+01:00', '2026-11-19T08:00:00Z', 'false'],
    );
    const regen = render(views('todo-regenerating.ics')[0], ctx(shape('<t:BaseShape>AllProperties</t:BaseShape>')));
    assert.deepEqual(names(kid(regen, 'Recurrence')!), ['WeeklyRegeneration', 'NoEndRecurrence']);
  });

  test('attachments: inline files, and links only for clients that know ReferenceAttachment', () => {
    const apple = render(views('apple-dinner.ics')[0], ctx(shape('<t:BaseShape>AllProperties</t:BaseShape>')));
    const fa = kid(kid(apple, 'Attachments')!, 'FileAttachment')!;
    assert.deepEqual([txt(fa, 'Name'), txt(fa, 'ContentType'), txt(fa, 'Size')], ['menu.txt', 'text/plain', '45']);
    assert.equal(txt(apple, 'HasAttachments'), 'true');
    const old = render(views('utc-webinar.ics')[0], ctx(shape('<t:BaseShape>AllProperties</t:BaseShape>'), 'Exchange2013'));
    assert.equal(kid(old, 'Attachments'), undefined);
    const recent = render(views('utc-webinar.ics')[0], ctx(shape('<t:BaseShape>AllProperties</t:BaseShape>'), 'V2017_07_11'));
    assert.equal(txt(kid(kid(recent, 'Attachments')!, 'ReferenceAttachment')!, 'AttachLongPathName'), 'https://files.example.org/slides/caldav.pdf');
  });
});

describe('versions', () => {
  test('2007 gets MeetingTimeZone, 2010 Start/EndTimeZone, 2013 IsOrganizer', () => {
    const v = views('google-monthly.ics')[0];
    const all = shape('<t:BaseShape>AllProperties</t:BaseShape>');
    const e07 = render(v, ctx(all, 'Exchange2007_SP1'));
    assert.ok(kid(e07, 'MeetingTimeZone') && !kid(e07, 'StartTimeZone') && !kid(e07, 'IsOrganizer') && !kid(e07, 'IsAssociated'));
    assert.equal(kid(e07, 'MeetingTimeZone')!.getAttribute('TimeZoneName'), 'Eastern Standard Time');
    assert.equal(kid(kid(e07, 'EffectiveRights')!, 'ViewPrivateItems'), undefined);
    const e10 = render(v, ctx(all, 'Exchange2010'));
    assert.ok(!kid(e10, 'MeetingTimeZone') && kid(e10, 'StartTimeZone') && kid(e10, 'EndTimeZone') && !kid(e10, 'IsOrganizer'));
    const e13 = render(v, ctx(all, 'Exchange2013'));
    assert.equal(txt(e13, 'IsOrganizer'), 'false');
    assert.equal(txt(e13, 'StartTimeZoneId'), 'Eastern Standard Time');
    // asked for explicitly, 2010+ clients still get MeetingTimeZone
    assert.ok(
      kid(
        render(
          v,
          ctx(
            shape('<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="calendar:MeetingTimeZone"/></t:AdditionalProperties>'),
            'Exchange2010_SP2',
          ),
        ),
        'MeetingTimeZone',
      ),
    );
  });
});

describe('DavMail: IdOnly with extended properties, MimeContent as iCalendar, restrictions', () => {
  const davmailShape = shape(`<t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent><t:AdditionalProperties>
    <t:ExtendedFieldURI PropertyTag="0x3008" PropertyType="SystemTime"/>
    <t:ExtendedFieldURI PropertyTag="0x10f3" PropertyType="String"/>
    <t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="urn:schemas:calendar:instancetype" PropertyType="Integer"/>
    <t:ExtendedFieldURI DistinguishedPropertySetId="Appointment" PropertyId="33315" PropertyType="Boolean"/>
    <t:ExtendedFieldURI DistinguishedPropertySetId="Meeting" PropertyId="3" PropertyType="Binary"/>
    <t:ExtendedFieldURI PropertySetId="00062008-0000-0000-C000-000000000046" PropertyId="34051" PropertyType="Boolean"/>
    <t:FieldURI FieldURI="calendar:IsMeeting"/>
  </t:AdditionalProperties>`);

  test('the answer DavMail reads', () => {
    const v = views('long-daily-standup.ics')[0];
    const el = render(v, ctx(davmailShape));
    assert.deepEqual(names(el), [
      'MimeContent',
      'ItemId',
      'ExtendedProperty',
      'ExtendedProperty',
      'ExtendedProperty',
      'ExtendedProperty',
      'ExtendedProperty',
      'ExtendedProperty',
      'IsMeeting',
    ]);
    const ics = Buffer.from(txt(el, 'MimeContent')!, 'base64').toString('utf8');
    assert.equal(ics, read('long-daily-standup.ics'), 'MimeContent is the stored iCalendar');
    assert.equal(kid(el, 'MimeContent')!.getAttribute('CharacterSet'), 'UTF-8');
    const ext = elementChildren(el).filter((c) => c.localName === 'ExtendedProperty');
    const value = (i: number) => ext[i].getElementsByTagNameNS(NS.types, 'Value')[0].textContent;
    const uriAttrs = (i: number) => {
      const u = kid(ext[i], 'ExtendedFieldURI')!;
      return Array.from({ length: u.attributes.length }, (_, k) => `${u.attributes.item(k)!.name}=${u.attributes.item(k)!.value}`).join(' ');
    };
    // whole seconds: DavMail 6 refuses any other length (convertDateFromExchange) and fails the event
    assert.match(value(0)!, /^2026-03-01T00:00:[0-5]\dZ$/, "PR_LAST_MODIFICATION_TIME (DavMail's etag) with ETag-derived seconds");
    assert.equal(value(1), 'long-daily-standup.EML');
    assert.equal(value(2), '1', 'instancetype: master');
    assert.equal(value(3), 'true', 'PidLidRecurring');
    assert.equal(uriAttrs(3), 'DistinguishedPropertySetId=Appointment PropertyId=33315 PropertyType=Boolean', 'attributes echoed as sent');
    assert.match(Buffer.from(value(4)!, 'base64').toString('latin1'), /vCal-Uid\u0001\u0000\u0000\u0000ewsgate-ics-long-standup@example\.test\u0000$/);
    assert.equal(value(5), 'true', 'PidLidReminderSet by GUID');
    assert.equal(shapeNeedsData(davmailShape), true);
    assert.equal(shapeNeedsData(shape('<t:BaseShape>IdOnly</t:BaseShape>')), false);
  });

  test("DavMail's calendar restriction: recurring masters, and single items in the date range", () => {
    const restriction = parseRestriction(
      parseXml(`<m:Restriction xmlns:m="${NS.messages}" ${T}><t:Or>
        <t:Or>
          <t:IsEqualTo><t:ExtendedFieldURI DistinguishedPropertySetId="Appointment" PropertyId="33315" PropertyType="Boolean"/><t:FieldURIOrConstant><t:Constant Value="true"/></t:FieldURIOrConstant></t:IsEqualTo>
          <t:And>
            <t:IsEqualTo><t:ExtendedFieldURI DistinguishedPropertySetId="Appointment" PropertyId="33315" PropertyType="Boolean"/><t:FieldURIOrConstant><t:Constant Value="false"/></t:FieldURIOrConstant></t:IsEqualTo>
            <t:IsGreaterThan><t:FieldURI FieldURI="calendar:End"/><t:FieldURIOrConstant><t:Constant Value="2026-12-01T00:00:00Z"/></t:FieldURIOrConstant></t:IsGreaterThan>
          </t:And>
        </t:Or>
        <t:IsEqualTo><t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="urn:schemas:calendar:instancetype" PropertyType="Integer"/><t:FieldURIOrConstant><t:Constant Value="1"/></t:FieldURIOrConstant></t:IsEqualTo>
      </t:Or></m:Restriction>`).documentElement!,
    )!;
    const rc = ctx(shape('<t:BaseShape>IdOnly</t:BaseShape>'));
    const pick = (f: string) => evaluate(restriction, (p) => calendarPropertyValue(views(f)[0], p, rc));
    assert.equal(pick('long-daily-standup.ics'), true, 'a recurring master');
    assert.equal(pick('utc-webinar.ics'), true, 'a single event after the date');
    assert.equal(pick('apple-dinner.ics'), true);
    assert.equal(pick('floating-wakeup.ics'), true, 'recurring');
    assert.equal(pick('kathmandu-no-vtimezone.ics'), true);
    assert.equal(
      evaluate(restriction, (p) => calendarPropertyValue(views('flight-two-zones.ics')[0], p, rc)),
      true,
    );
    // a single event before the range is left out
    const early = views('newfoundland-windows-tzid.ics')[0];
    assert.equal(calendarPropertyValue(early, { kind: 'field', uri: 'calendar:End' }, rc), '2026-12-10T18:00:00Z');
    assert.equal(calendarPropertyValue(views('utc-webinar.ics')[0], { kind: 'field', uri: 'calendar:CalendarItemType' }, rc), 'Single');
    assert.equal(calendarPropertyValue(views('long-daily-standup.ics')[0], { kind: 'field', uri: 'item:Subject' }, rc), 'Platform stand-up');
  });
});

describe('golden', () => {
  test('FindItem Default shape of a single UTC event, byte for byte', () => {
    const v = views('utc-webinar.ics')[0];
    const xml = renderCalendarView(v, ctx(shape('<t:BaseShape>Default</t:BaseShape>'), 'Exchange2010_SP2'), true).raw;
    const golden =
      '<t:CalendarItem><t:ItemId Id="ITEM:/u/calendar/utc-webinar.ics" ChangeKey="CK:&quot;etag-1&quot;"/><t:ParentFolderId Id="FOLDER" ChangeKey="FCK"/>' +
      '<t:ItemClass>IPM.Appointment</t:ItemClass><t:Subject>Webinar: CalDAV in practice</t:Subject><t:Sensitivity>Normal</t:Sensitivity>' +
      '<t:DateTimeReceived>2026-11-01T00:00:00Z</t:DateTimeReceived><t:Size>' +
      Buffer.byteLength(read('utc-webinar.ics')) +
      '</t:Size><t:Importance>Normal</t:Importance>' +
      '<t:IsSubmitted>false</t:IsSubmitted><t:IsDraft>false</t:IsDraft><t:IsFromMe>false</t:IsFromMe><t:IsResend>false</t:IsResend>' +
      '<t:IsUnmodified>false</t:IsUnmodified><t:DateTimeSent>2026-11-01T00:00:00Z</t:DateTimeSent><t:DateTimeCreated>2026-11-01T00:00:00Z</t:DateTimeCreated>' +
      '<t:ReminderIsSet>false</t:ReminderIsSet><t:ReminderMinutesBeforeStart>15</t:ReminderMinutesBeforeStart><t:DisplayCc/><t:DisplayTo/>' +
      '<t:HasAttachments>true</t:HasAttachments><t:Culture>en-US</t:Culture><t:EffectiveRights><t:CreateAssociated>false</t:CreateAssociated>' +
      '<t:CreateContents>false</t:CreateContents><t:CreateHierarchy>false</t:CreateHierarchy><t:Delete>true</t:Delete><t:Modify>true</t:Modify>' +
      '<t:Read>true</t:Read><t:ViewPrivateItems>true</t:ViewPrivateItems></t:EffectiveRights><t:LastModifiedTime>2026-11-01T00:00:00Z</t:LastModifiedTime>' +
      '<t:IsAssociated>false</t:IsAssociated><t:UID>ewsgate-ics-utc-webinar@example.test</t:UID><t:DateTimeStamp>2026-11-01T00:00:00Z</t:DateTimeStamp>' +
      '<t:Start>2026-12-09T17:00:00Z</t:Start><t:End>2026-12-09T18:30:00Z</t:End><t:IsAllDayEvent>false</t:IsAllDayEvent>' +
      '<t:LegacyFreeBusyStatus>Busy</t:LegacyFreeBusyStatus><t:IsMeeting>false</t:IsMeeting><t:IsCancelled>false</t:IsCancelled>' +
      '<t:IsRecurring>false</t:IsRecurring><t:MeetingRequestWasSent>false</t:MeetingRequestWasSent><t:IsResponseRequested>false</t:IsResponseRequested>' +
      '<t:CalendarItemType>Single</t:CalendarItemType><t:MyResponseType>Organizer</t:MyResponseType><t:Organizer><t:Mailbox><t:Name>Pilot Users</t:Name>' +
      '<t:EmailAddress>pilot-users@example.test</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>OneOff</t:MailboxType></t:Mailbox></t:Organizer>' +
      '<t:Duration>PT1H30M</t:Duration><t:TimeZone>(UTC) Coordinated Universal Time</t:TimeZone><t:AppointmentSequenceNumber>0</t:AppointmentSequenceNumber>' +
      '<t:AppointmentState>0</t:AppointmentState><t:ConferenceType>0</t:ConferenceType><t:AllowNewTimeProposal>true</t:AllowNewTimeProposal>' +
      '<t:IsOnlineMeeting>false</t:IsOnlineMeeting><t:NetShowUrl>https://webinar.example.org/caldav</t:NetShowUrl></t:CalendarItem>';
    assert.equal(xml, golden);
  });
});

describe('loading REPORT answers', () => {
  test('broken objects are reported one by one; CalendarView lays out instances in start order', async () => {
    const { readObjects, calendarViewItems, findItemViews, checkCalendarView } = await import('../../src/ews/calendar/load.js');
    const ok = (f: string) => ({ href: `/u/calendar/${f}`, etag: `"${f}"`, data: read(f) });
    const { objects, broken } = readObjects(
      [
        ok('outlook-weekly-meeting.ics'),
        ok('broken-feb30.ics'),
        ok('utc-webinar.ics'),
        { href: '/u/calendar/gone.ics', status: 404, error: 'not found' },
        ok('todo-simple-due.ics'),
      ],
      { floatingZone: 'Europe/Berlin' },
    );
    assert.deepEqual(
      objects.map((o) => o.href),
      ['/u/calendar/outlook-weekly-meeting.ics', '/u/calendar/utc-webinar.ics', '/u/calendar/todo-simple-due.ics'],
    );
    assert.deepEqual(
      broken.map((x) => x.href),
      ['/u/calendar/broken-feb30.ics', '/u/calendar/gone.ics'],
    );
    assert.match(broken[0].error, /day 30 of February/);
    assert.equal(broken[1].error, 'HTTP 404: not found');
    assert.deepEqual(
      findItemViews(objects).map((v) => (v.kind === 'calendar' ? v.type : 'Task')),
      ['RecurringMaster', 'Single', 'Task'],
    );
    const view = calendarViewItems(objects, new Date('2026-12-01T00:00:00Z'), new Date('2026-12-16T00:00:00Z'));
    assert.deepEqual(
      view.items.map((v) => [v.type, (v.occurrence?.start ?? v.event.start).utc.toISOString()]),
      [
        ['Occurrence', '2026-12-01T08:00:00.000Z'],
        ['Occurrence', '2026-12-08T08:00:00.000Z'],
        ['Single', '2026-12-09T17:00:00.000Z'],
        ['Occurrence', '2026-12-15T08:00:00.000Z'],
      ],
    );
    assert.equal(view.more, false);
    const cut = calendarViewItems(objects, new Date('2026-12-01T00:00:00Z'), new Date('2026-12-16T00:00:00Z'), 2);
    assert.deepEqual([cut.items.length, cut.more], [2, true]);
    assert.throws(
      () => checkCalendarView(new Date('2026-12-02'), new Date('2026-12-01')),
      (e: unknown) => (e as { code?: string }).code === 'ErrorCalendarEndDateIsEarlierThanStartDate',
    );
    assert.throws(
      () => checkCalendarView(new Date('2026-01-01'), new Date('2029-01-01')),
      (e: unknown) => (e as { code?: string }).code === 'ErrorCalendarViewRangeTooBig',
    );
  });
});
