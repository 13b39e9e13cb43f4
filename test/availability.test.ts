// GetUserAvailability against Radicale: the user's own free/busy from the
// default calendar in the request's time zone (events, details, merged string,
// working hours), other mailboxes answered as "no free/busy access", and an
// empty suggestions answer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import { seedUser } from './harness/seed.js';
import { all, codes, ews, one, startTestGateway, text, M, type TestGateway } from './support/gateway.js';
import { operations } from '../src/ews/registry.js';
import type { Operation } from '../src/ews/operation.js';
import { GetUserAvailability } from '../src/ews/operations/GetUserAvailability.js';
import { KNOWN_EWS_OPERATIONS } from '../src/ews/known-operations.js';
import {
  AttendeeInfo,
  AvailabilityData,
  AvailabilityOptions,
  DateTime,
  ExchangeService,
  ExchangeVersion,
  FreeBusyViewType,
  LegacyFreeBusyStatus,
  ServiceResult,
  TimeWindow,
  Uri,
  WebCredentials,
} from 'ews-javascript-api';

let tg: TestGateway;
let user: TestUser;
let other: TestUser;

// W. Europe Standard Time as Outlook sends it
const BERLIN =
  '<t:TimeZone><t:Bias>-60</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>03:00:00</t:Time><t:DayOrder>5</t:DayOrder><t:Month>10</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime>' +
  '<t:DaylightTime><t:Bias>-60</t:Bias><t:Time>02:00:00</t:Time><t:DayOrder>5</t:DayOrder><t:Month>3</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>';

function request(addresses: string[], view: string, window = ['2027-02-10T00:00:00', '2027-02-11T00:00:00'], suggestions = false): string {
  return (
    `<m:GetUserAvailabilityRequest>${BERLIN}<m:MailboxDataArray>` +
    addresses.map((a) => `<t:MailboxData><t:Email><t:Address>${a}</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType></t:MailboxData>`).join('') +
    `</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>${window[0]}</t:StartTime><t:EndTime>${window[1]}</t:EndTime></t:TimeWindow>` +
    `<t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes><t:RequestedView>${view}</t:RequestedView></t:FreeBusyViewOptions>` +
    (suggestions
      ? '<t:SuggestionsViewOptions><t:DetailedSuggestionsWindow><t:StartTime>2027-02-10T00:00:00</t:StartTime><t:EndTime>2027-02-11T00:00:00</t:EndTime></t:DetailedSuggestionsWindow></t:SuggestionsViewOptions>'
      : '') +
    '</m:GetUserAvailabilityRequest>'
  );
}

function event(subject: string, start: string, end: string, status = 'Busy'): string {
  return `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>${subject}</t:Subject><t:Start>${start}</t:Start><t:End>${end}</t:End><t:LegacyFreeBusyStatus>${status}</t:LegacyFreeBusyStatus><t:Location>Room 1</t:Location></t:CalendarItem></m:Items></m:CreateItem>`;
}

const fbCodes = (doc: Parameters<typeof all>[0]) => all(doc, 'FreeBusyResponse', M).map((r) => text(r, 'ResponseCode', M));

before(async () => {
  tg = await startTestGateway();
  [user, other] = await Promise.all([tg.backends.addUser(), tg.backends.addUser()]);
  await seedUser(tg.backends, user, { mail: false, dav: true });
  for (const body of [
    event('Planning', '2027-02-10T09:00:00Z', '2027-02-10T10:00:00Z'),
    event('Maybe lunch', '2027-02-10T13:00:00Z', '2027-02-10T13:30:00Z', 'Tentative'),
    event('Free time', '2027-02-10T15:00:00Z', '2027-02-10T16:00:00Z', 'Free'),
  ]) {
    const r = await ews(tg, user, body);
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  }
});

after(async () => {
  await tg.close();
});

test('DetailedMerged: own events in the request zone, with details, merged string and working hours', async () => {
  const r = await ews(tg, user, request([user.email], 'DetailedMerged'));
  assert.equal(r.status, 200, r.text.slice(0, 1500));
  assert.deepEqual(fbCodes(r.doc), ['NoError'], r.text.slice(0, 1500));
  assert.equal(text(r.doc, 'FreeBusyViewType'), 'DetailedMerged');
  const events = all(r.doc, 'CalendarEvent');
  assert.equal(events.length, 2, 'the free event is not busy time');
  assert.equal(text(events[0], 'StartTime'), '2027-02-10T10:00:00');
  assert.equal(text(events[0], 'EndTime'), '2027-02-10T11:00:00');
  assert.equal(text(events[0], 'BusyType'), 'Busy');
  assert.equal(text(events[0], 'Subject'), 'Planning');
  assert.equal(text(events[0], 'Location'), 'Room 1');
  assert.equal(text(events[1], 'BusyType'), 'Tentative');
  const merged = text(r.doc, 'MergedFreeBusy')!;
  assert.equal(merged.length, 48);
  assert.equal(merged.slice(20, 22), '22');
  assert.equal(merged[28], '1');
  assert.equal(merged.replace(/[12]/g, '').length, 45);
  const wh = one(r.doc, 'WorkingHours');
  assert.equal(text(wh, 'Bias'), '-60');
  const period = one(wh, 'WorkingPeriod');
  assert.equal(text(period, 'DayOfWeek'), 'Monday Tuesday Wednesday Thursday Friday');
  assert.equal(text(period, 'StartTimeInMinutes'), '480');
  assert.equal(text(period, 'EndTimeInMinutes'), '1020');
});

test('FreeBusy: events without details and no merged string; MergedOnly: only the string', async () => {
  const fb = await ews(tg, user, request([user.email], 'FreeBusy'));
  assert.deepEqual(fbCodes(fb.doc), ['NoError'], fb.text.slice(0, 1500));
  assert.equal(all(fb.doc, 'CalendarEvent').length, 2);
  assert.equal(all(fb.doc, 'CalendarEventDetails').length, 0);
  assert.equal(all(fb.doc, 'MergedFreeBusy').length, 0);
  const mo = await ews(tg, user, request([user.email], 'MergedOnly'));
  assert.equal(all(mo.doc, 'CalendarEvent').length, 0);
  assert.equal(text(mo.doc, 'MergedFreeBusy')!.length, 48);
});

test('another mailbox: ErrorNoFreeBusyAccess with view None, beside the own answer; suggestions answer empty', async () => {
  const r = await ews(tg, user, request([other.email, user.email], 'Detailed', undefined, true));
  assert.deepEqual(fbCodes(r.doc), ['ErrorNoFreeBusyAccess', 'NoError'], r.text.slice(0, 1500));
  const [theirs, mine] = all(r.doc, 'FreeBusyResponse', M);
  assert.equal(text(theirs, 'FreeBusyViewType'), 'None');
  assert.equal(all(theirs, 'CalendarEvent').length, 0);
  assert.equal(all(mine, 'CalendarEvent').length, 2);
  const sug = one(r.doc, 'SuggestionsResponse', M);
  assert.equal(text(sug, 'ResponseCode', M), 'NoError');
  assert.equal(all(sug, 'SuggestionDayResultArray', M).length, 1);
});

test('a window ending before it starts is refused', async () => {
  const r = await ews(tg, user, request([user.email], 'Detailed', ['2027-02-11T00:00:00', '2027-02-10T00:00:00']));
  assert.match(r.text, /ErrorInvalidTimeInterval/);
});

test('a zone without daylight saving (India, Bias -330) shifts the times; a window over 62 days is refused', async () => {
  const india =
    '<t:TimeZone><t:Bias>-330</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>';
  const r = await ews(tg, user, request([user.email], 'FreeBusy').replace(BERLIN, india));
  assert.deepEqual(fbCodes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const events = all(r.doc, 'CalendarEvent');
  assert.equal(text(events[0], 'StartTime'), '2027-02-10T14:30:00');
  const long = await ews(tg, user, request([user.email], 'FreeBusy', ['2027-01-01T00:00:00', '2027-04-01T00:00:00']));
  assert.match(long.text, /ErrorTimeIntervalTooBig/);
});

test('ews-javascript-api (EWS Managed API port) reads the answer: events, merged string, the other mailbox as an error', async () => {
  const service = new ExchangeService(ExchangeVersion.Exchange2013);
  service.Credentials = new WebCredentials(user.email, user.password);
  service.Url = new Uri(tg.ewsUrl);
  const options = new AvailabilityOptions();
  options.RequestedFreeBusyView = FreeBusyViewType.DetailedMerged;
  options.MergedFreeBusyInterval = 30;
  const res = await service.GetUserAvailability(
    [new AttendeeInfo(user.email), new AttendeeInfo(other.email)],
    new TimeWindow(DateTime.Parse('2027-02-10T00:00:00Z'), DateTime.Parse('2027-02-11T00:00:00Z')),
    AvailabilityData.FreeBusy,
    options,
  );
  const [mine, theirs] = res.AttendeesAvailability.Responses;
  assert.equal(mine.Result, ServiceResult.Success, mine.ErrorMessage);
  const busy = mine.CalendarEvents.map((e) => [e.FreeBusyStatus, e.Details?.Subject]);
  assert.deepEqual(busy, [
    [LegacyFreeBusyStatus.Busy, 'Planning'],
    [LegacyFreeBusyStatus.Tentative, 'Maybe lunch'],
  ]);
  assert.equal(mine.MergedFreeBusyStatus.length, 48);
  assert.equal(theirs.Result, ServiceResult.Error);
});
