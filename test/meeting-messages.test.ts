// Meeting messages end to end with two users, through Postfix → Dovecot LMTP and
// Radicale: A invites B through EWS; B's Inbox shows a t:MeetingRequest with its
// meeting fields (FindItem, GetItem, SyncFolderItems); B accepts; A's Inbox shows
// a t:MeetingResponse (Resp.Pos); A cancels with CancelCalendarItem; B's Inbox
// shows a t:MeetingCancellation; B's RemoveItem takes the meeting out of B's
// calendar. Deleting one occurrence of a series sends CANCEL for that RECURRENCE-ID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as nodePath from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestUser } from './harness/backends.js';
import { seedUser, type SeedResult } from './harness/seed.js';
import { arrived as arrivedIn, bobsCalendar as bobsCalendarOf, meetingPair, pathOf } from './support/meeting-pair.js';
import { M, all, codes, ews, one, text, type TestGateway } from './support/gateway.js';
import { runReport, runScenario, stepReport, type Summary } from './clients/support/exchangelib.js';
import { loadConfig } from '../src/config.js';
import { createMailboxProvider } from '../src/server/mailboxes.js';
import { loadTree } from '../src/ews/folders/request.js';
import { loadMailItems, renderContext } from '../src/ews/items/load.js';
import { needsOf, renderMailItem } from '../src/ews/items/mail-item.js';
import { associateMeetings } from '../src/ews/items/meeting-message.js';
import type { RequestContext } from '../src/ews/operation.js';
import { parseXml } from '../src/soap/xml.js';

let tg: TestGateway;
let alice: TestUser;
let bob: TestUser;
let bobDav: SeedResult;
const pair = meetingPair((p) => ({ tg, alice, bob, bobDav } = p));
const path = pathOf;
const bobsCalendar = (subject: string) => bobsCalendarOf(pair, subject);
const arrived = async (user: TestUser, subject: string, folder?: string, timeoutMs?: number): Promise<void> => void (await arrivedIn(pair, user, subject, folder, timeoutMs));


const BOB_ATTENDEE = () =>
  `<t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Bob</t:Name><t:EmailAddress>${bob.email}</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees>`;

async function invite(subject: string, extra = ''): Promise<string> {
  const r = await ews(
    tg,
    alice,
    `<m:CreateItem SendMeetingInvitations="SendToAllAndSaveCopy"><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items><t:CalendarItem>` +
      `<t:Subject>${subject}</t:Subject><t:Body BodyType="Text">agenda</t:Body>${extra}<t:Start>2027-05-04T09:00:00Z</t:Start><t:End>2027-05-04T09:30:00Z</t:End><t:Location>Room 7</t:Location>` +
      `${BOB_ATTENDEE()}</t:CalendarItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  return one(r.doc, 'ItemId').getAttribute('Id')!;
}

const subjectIs = (subject: string) =>
  `<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:Subject"/><t:FieldURIOrConstant><t:Constant Value="${subject}"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>`;

/** FindItem in the Inbox for one subject: the answer's item element. */
async function findInInbox(user: TestUser, subject: string, shape = '<t:BaseShape>Default</t:BaseShape>', folder = 'inbox'): Promise<Element> {
  const r = await ews(
    tg,
    user,
    `<m:FindItem Traversal="Shallow"><m:ItemShape>${shape}</m:ItemShape>${subjectIs(subject)}<m:ParentFolderIds><t:DistinguishedFolderId Id="${folder}"/></m:ParentFolderIds></m:FindItem>`,
  );
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const items = Array.from(one(r.doc, 'Items').childNodes).filter((n) => n.nodeType === 1) as Element[];
  assert.equal(items.length, 1, r.text.slice(0, 1500));
  return items[0];
}

async function getItem(user: TestUser, id: string, shape = 'Default'): Promise<Element> {
  const r = await ews(
    tg,
    user,
    `<m:GetItem><m:ItemShape><t:BaseShape>${shape}</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
  );
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  return Array.from(one(r.doc, 'Items', M).childNodes).find((n) => n.nodeType === 1) as Element;
}

const idOf = (el: Element) => one(el, 'ItemId').getAttribute('Id')!;
/** A direct child's text (the item's own field, not one nested in Organizer or attendees). */
const field = (el: Element, name: string) =>
  (Array.from(el.childNodes).find((n) => n.nodeType === 1 && (n as Element).localName === name) as Element | undefined)?.textContent ?? undefined;

test('invitation, acceptance, cancellation and RemoveItem appear as meeting messages and keep the calendars right', async () => {
  const subject = `Roadmap ${Date.now()}`;
  const aliceCalId = await invite(subject);
  await arrived(bob, subject);

  // B's Inbox: FindItem (Default) names the kind from BODYSTRUCTURE
  const listed = await findInInbox(bob, subject);
  assert.equal(listed.localName, 'MeetingRequest');
  assert.equal(field(listed, 'ItemClass'), 'IPM.Schedule.Meeting.Request');
  // FindItem IdOnly with meeting fields, as exchangelib asks
  const slim = await findInInbox(
    bob,
    subject,
    '<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:ItemClass"/><t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="meeting:ResponseType"/><t:FieldURI FieldURI="calendar:UID"/></t:AdditionalProperties>',
  );
  assert.equal(slim.localName, 'MeetingRequest');
  assert.equal(field(slim, 'Start'), '2027-05-04T09:00:00Z');
  assert.equal(field(slim, 'ResponseType'), 'NoResponseReceived');
  assert.ok(field(slim, 'UID'));
  assert.equal(field(slim, 'Location'), undefined, 'only what was asked for');

  // GetItem Default: the meeting fields Exchange gives a request
  const request = await getItem(bob, idOf(listed));
  assert.equal(request.localName, 'MeetingRequest');
  assert.equal(field(request, 'MeetingRequestType'), 'NewMeetingRequest');
  assert.equal(field(request, 'IsOutOfDate'), 'false');
  assert.equal(field(request, 'HasBeenProcessed'), 'false');
  assert.equal(field(request, 'ResponseType'), 'NoResponseReceived');
  assert.equal(field(request, 'Start'), '2027-05-04T09:00:00Z');
  assert.equal(field(request, 'End'), '2027-05-04T09:30:00Z');
  assert.equal(field(request, 'Location'), 'Room 7');
  assert.equal(field(request, 'IsMeeting'), 'true');
  assert.equal(field(request, 'MyResponseType'), 'NoResponseReceived');
  assert.equal(text(one(request, 'Organizer'), 'EmailAddress'), alice.email);
  assert.ok(all(one(request, 'RequiredAttendees'), 'EmailAddress').some((e) => e.textContent === bob.email));
  assert.equal(field(request, 'UID'), field(slim, 'UID'));
  // schema order: the MessageType part, then MeetingMessageType, then the request's own
  const names = Array.from(request.childNodes)
    .filter((n) => n.nodeType === 1)
    .map((n) => (n as Element).localName);
  assert.ok(
    names.indexOf('IsRead') < names.indexOf('IsOutOfDate') &&
      names.indexOf('UID') < names.indexOf('MeetingRequestType') &&
      names.indexOf('MeetingRequestType') < names.indexOf('Start'),
    names.join(' '),
  );

  // SyncFolderItems hands it out as a MeetingRequest too
  const sync = await ews(
    tg,
    bob,
    `<m:SyncFolderItems><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:SyncFolderId><t:DistinguishedFolderId Id="inbox"/></m:SyncFolderId><m:MaxChangesReturned>100</m:MaxChangesReturned></m:SyncFolderItems>`,
  );
  assert.deepEqual(codes(sync.doc), ['NoError'], sync.text.slice(0, 1500));
  const created = all(sync.doc, 'Create').map((c) => Array.from(c.childNodes).find((n) => n.nodeType === 1) as Element);
  assert.ok(
    created.some((c) => c.localName === 'MeetingRequest' && field(c, 'Subject') === subject),
    sync.text.slice(0, 2000),
  );

  // B accepts the request (the mail item, as Outlook and exchangelib do)
  const acc = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:AcceptItem><t:ReferenceItemId Id="${idOf(listed)}"/></t:AcceptItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(acc.doc), ['NoError'], acc.text.slice(0, 1500));
  assert.match((await bobsCalendar(subject))!, /PARTSTAT=ACCEPTED/);
  await arrived(bob, subject, 'Trash');
  // the answered request, now in Deleted Items, says it has been processed
  const answered = await findInInbox(
    bob,
    subject,
    '<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="meeting:HasBeenProcessed"/></t:AdditionalProperties>',
    'deleteditems',
  );
  assert.equal(answered.localName, 'MeetingRequest');
  assert.equal(field(answered, 'HasBeenProcessed'), 'true');
  // GetItem ties it to the calendar copy the acceptance made, with the answer given
  const answeredFull = await getItem(bob, idOf(answered), 'AllProperties');
  const calendarCopy = await ews(
    tg,
    bob,
    `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${one(answeredFull, 'AssociatedCalendarItemId').getAttribute('Id')}"/></m:ItemIds></m:GetItem>`,
  );
  assert.deepEqual(codes(calendarCopy.doc), ['NoError'], 'AssociatedCalendarItemId names an item GetItem finds');
  assert.equal(all(calendarCopy.doc, 'CalendarItem').length, 1);
  assert.equal(field(answeredFull, 'ResponseType'), 'Accept');

  // A's Inbox: the REPLY is a MeetingResponse, Resp.Pos, with the meeting's times
  await arrived(alice, `Accepted: ${subject}`);
  const resp = await findInInbox(alice, `Accepted: ${subject}`);
  assert.equal(resp.localName, 'MeetingResponse');
  assert.equal(field(resp, 'ItemClass'), 'IPM.Schedule.Meeting.Resp.Pos');
  const respFull = await getItem(alice, idOf(resp), 'AllProperties');
  assert.equal(respFull.localName, 'MeetingResponse');
  assert.equal(field(respFull, 'ResponseType'), 'Accept');
  assert.equal(field(respFull, 'Start'), '2027-05-04T09:00:00Z');
  assert.equal(field(respFull, 'UID'), field(request, 'UID'));

  // B may not cancel A's meeting; RemoveItem of a request is refused
  const bobCalId = one(acc.doc, 'ItemId').getAttribute('Id')!;
  const notMine = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem><t:ReferenceItemId Id="${bobCalId}"/></t:CancelCalendarItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(notMine.doc), ['ErrorInvalidOperation']);

  // A cancels: CANCEL goes to B, A's event is gone
  const cancel = await ews(
    tg,
    alice,
    `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:CancelCalendarItem><t:ReferenceItemId Id="${aliceCalId}"/><t:NewBodyContent BodyType="Text">Sorry, postponed.</t:NewBodyContent></t:CancelCalendarItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(cancel.doc), ['NoError'], cancel.text.slice(0, 1500));
  const gone = await ews(
    tg,
    alice,
    `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${aliceCalId}"/></m:ItemIds></m:GetItem>`,
  );
  assert.deepEqual(codes(gone.doc), ['ErrorItemNotFound']);
  await arrived(alice, `Canceled: ${subject}`, 'Sent');

  // B's Inbox: a MeetingCancellation; RemoveItem takes the meeting out of B's calendar
  await arrived(bob, `Canceled: ${subject}`);
  const cancellation = await findInInbox(bob, `Canceled: ${subject}`);
  assert.equal(cancellation.localName, 'MeetingCancellation');
  assert.equal(field(cancellation, 'ItemClass'), 'IPM.Schedule.Meeting.Canceled');
  const cancelFull = await getItem(bob, idOf(cancellation));
  assert.equal(field(cancelFull, 'UID'), field(request, 'UID'));
  assert.equal(field(cancelFull, 'Start'), '2027-05-04T09:00:00Z');
  assert.ok(await bobsCalendar(subject), 'the cancellation alone does not touch the calendar');

  const wrong = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:RemoveItem><t:ReferenceItemId Id="${bobCalId}"/></t:RemoveItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(wrong.doc), ['ErrorInvalidItemForOperationRemoveItem']);
  const removed = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:RemoveItem><t:ReferenceItemId Id="${idOf(cancellation)}"/></t:RemoveItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(removed.doc), ['NoError'], removed.text.slice(0, 1500));
  assert.equal(await bobsCalendar(subject), undefined, "the cancelled meeting left B's calendar");
  await arrived(bob, `Canceled: ${subject}`, 'Trash');
});

test('a tentative answer is Resp.Tent; deleting one occurrence sends CANCEL for it and RemoveItem drops only that instance', async () => {
  const subject = `Standup ${Date.now()}`;
  const recurrence =
    '<t:Recurrence><t:DailyRecurrence><t:Interval>1</t:Interval></t:DailyRecurrence><t:NumberedRecurrence><t:StartDate>2027-05-04Z</t:StartDate><t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>';
  const aliceId = await invite(subject);
  // make it a series through UpdateItem (no mail), so the request that goes out next carries the RRULE
  const upd = await ews(
    tg,
    alice,
    `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges><t:ItemChange><t:ItemId Id="${aliceId}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="calendar:Recurrence"/><t:CalendarItem>${recurrence}</t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
  );
  assert.deepEqual(codes(upd.doc), ['NoError'], upd.text.slice(0, 1500));
  await arrived(bob, `Updated: ${subject}`);
  const update = await findInInbox(bob, `Updated: ${subject}`);
  const updFull = await getItem(bob, idOf(update));
  assert.equal(field(updFull, 'MeetingRequestType'), 'FullUpdate');
  assert.ok(one(updFull, 'Recurrence'), 'the update carries the series');

  const tent = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:TentativelyAcceptItem><t:ReferenceItemId Id="${idOf(update)}"/></t:TentativelyAcceptItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(tent.doc), ['NoError'], tent.text.slice(0, 1500));
  await arrived(alice, `Tentative: ${subject}`);
  const resp = await findInInbox(
    alice,
    `Tentative: ${subject}`,
    '<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:ItemClass"/></t:AdditionalProperties>',
  );
  assert.equal(resp.localName, 'MeetingResponse');
  assert.equal(field(resp, 'ItemClass'), 'IPM.Schedule.Meeting.Resp.Tent');

  // A deletes the second day with SendMeetingCancellations
  const view = await ews(
    tg,
    alice,
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape><m:CalendarView StartDate="2027-05-01T00:00:00Z" EndDate="2027-05-10T00:00:00Z"/><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`,
  );
  assert.deepEqual(codes(view.doc), ['NoError'], view.text.slice(0, 1500));
  const second = all(view.doc, 'CalendarItem').find((c) => text(c, 'Subject') === subject && text(c, 'Start') === '2027-05-05T09:00:00Z');
  assert.ok(second, view.text.slice(0, 2000));
  const del = await ews(
    tg,
    alice,
    `<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations="SendToAllAndSaveCopy"><m:ItemIds><t:ItemId Id="${idOf(second!)}"/></m:ItemIds></m:DeleteItem>`,
  );
  assert.deepEqual(codes(del.doc), ['NoError'], del.text.slice(0, 1500));
  const after = await ews(
    tg,
    alice,
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="item:Subject"/></t:AdditionalProperties></m:ItemShape><m:CalendarView StartDate="2027-05-01T00:00:00Z" EndDate="2027-05-10T00:00:00Z"/><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`,
  );
  assert.deepEqual(
    all(after.doc, 'CalendarItem')
      .filter((c) => text(c, 'Subject') === subject)
      .map((c) => text(c, 'Start')),
    ['2027-05-04T09:00:00Z', '2027-05-06T09:00:00Z'],
  );
  const again = await ews(tg, alice, `<m:DeleteItem DeleteType="HardDelete"><m:ItemIds><t:ItemId Id="${idOf(second!)}"/></m:ItemIds></m:DeleteItem>`);
  assert.deepEqual(codes(again.doc), ['ErrorCalendarOccurrenceIsDeletedFromRecurrence']);

  // B gets CANCEL for that RECURRENCE-ID; RemoveItem adds the EXDATE to B's copy, the series stays
  await arrived(bob, `Canceled: ${subject}`);
  const cancellation = await findInInbox(bob, `Canceled: ${subject}`);
  assert.equal(cancellation.localName, 'MeetingCancellation');
  const full = await getItem(bob, idOf(cancellation));
  assert.equal(field(full, 'RecurrenceId'), '2027-05-05T09:00:00Z');
  const removed = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:RemoveItem><t:ReferenceItemId Id="${idOf(cancellation)}"/></t:RemoveItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(removed.doc), ['NoError'], removed.text.slice(0, 1500));
  const copy = await bobsCalendar(subject);
  assert.ok(copy, "the series stays in B's calendar");
  assert.match(copy!, /RRULE:/);
  assert.match(copy!, /EXDATE[^\r\n]*:20270505T090000Z?/);
});

const MEETINGS_SCRIPT = nodePath.join(nodePath.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'meetings', 'exchangelib_meetings.py');

test('exchangelib 4.9 sees MeetingRequest, MeetingResponse and MeetingCancellation objects and can accept and cancel', async () => {
  const subject = `Exchangelib sync ${Date.now()}`;
  const py = await runScenario<Summary & { facts: Record<string, unknown> }>(
    MEETINGS_SCRIPT,
    {
      EWS_URL: tg.ewsUrl,
      ORGANIZER: alice.email,
      ORGANIZER_PASSWORD: alice.password,
      ATTENDEE: bob.email,
      ATTENDEE_PASSWORD: bob.password,
      SUBJECT: subject,
    },
    90_000,
  );
  const summary = py.summary;
  assert.ok(summary, runReport(py));
  assert.ok(
    summary.ok,
    summary.steps
      .filter((s) => !s.ok)
      .map(stepReport)
      .join('\n') + `\n${py.stderr.slice(-3000)}`,
  );
  assert.equal(py.code, 0);
  assert.deepEqual(summary.facts, {
    request_type: 'MeetingRequest',
    request_class: 'IPM.Schedule.Meeting.Request',
    request_start: '2027-06-07T13:00:00+00:00',
    request_location: 'Room 3',
    request_organizer: alice.email,
    request_meeting_request_type: 'NewMeetingRequest',
    response_type: 'MeetingResponse',
    response_class: 'IPM.Schedule.Meeting.Resp.Pos',
    response_response_type: 'Accept',
    cancellation_type: 'MeetingCancellation',
    cancellation_class: 'IPM.Schedule.Meeting.Canceled',
  });
});

test("another groupware's invitation (base64 iTIP, TZID) reads as a MeetingRequest in the zone's instant", async () => {
  const carol = await tg.backends.addUser();
  await seedUser(tg.backends, carol, { mail: true, dav: false });
  const subject = 'Invitation: Gateway rollout review @ Thu 19 Nov 2026 14:00 (CET)';
  const listed = await findInInbox(
    carol,
    subject,
    '<t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:ItemClass"/><t:FieldURI FieldURI="item:HasAttachments"/></t:AdditionalProperties>',
  );
  assert.equal(listed.localName, 'MeetingRequest');
  assert.equal(field(listed, 'ItemClass'), 'IPM.Schedule.Meeting.Request');
  assert.equal(field(listed, 'HasAttachments'), 'false');
  const full = await getItem(carol, idOf(listed), 'AllProperties');
  assert.equal(field(full, 'Start'), '2026-11-19T13:00:00Z');
  assert.equal(field(full, 'End'), '2026-11-19T14:00:00Z');
  assert.equal(field(full, 'Location'), 'Salle Lumière');
  assert.equal(text(one(full, 'Organizer'), 'EmailAddress'), 'alice.martin@example.org');
  assert.equal(field(full, 'UID'), '7d1c0f0e-3b7a-4d8e-9a55-imip-rollout-review');
  assert.equal(field(full, 'MeetingRequestType'), 'NewMeetingRequest');
  assert.equal(field(full, 'IntendedFreeBusyStatus'), 'Busy');
  assert.deepEqual(
    all(one(full, 'OptionalAttendees'), 'EmailAddress').map((e) => e.textContent),
    ['bob.stone@example.org'],
  );
  // the body is the text alternative, not the iCalendar text
  assert.match(field(full, 'Body') ?? '', /first two weeks of the pilot/);
  assert.doesNotMatch(field(full, 'Body') ?? '', /BEGIN:VCALENDAR/);
});

test('RemoveItem and CancelCalendarItem answer precise errors for ids they cannot act on', async () => {
  const create = (user: TestUser, inner: string) =>
    ews(tg, user, `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items>${inner}</m:Items></m:CreateItem>`);
  assert.deepEqual(codes((await create(bob, '<t:RemoveItem><t:ReferenceItemId Id="not-an-id!"/></t:RemoveItem>')).doc), ['ErrorInvalidIdMalformed']);
  assert.deepEqual(codes((await create(bob, '<t:CancelCalendarItem><t:ReferenceItemId Id="not-an-id!"/></t:CancelCalendarItem>')).doc), [
    'ErrorInvalidIdMalformed',
  ]);
  // an ordinary message is neither a cancellation nor a calendar item
  const saved = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SaveOnly"><m:Items><t:Message><t:Subject>plain ${Date.now()}</t:Subject><t:Body BodyType="Text">hi</t:Body></t:Message></m:Items></m:CreateItem>`,
  );
  const mailId = one(saved.doc, 'ItemId').getAttribute('Id')!;
  assert.deepEqual(codes((await create(bob, `<t:RemoveItem><t:ReferenceItemId Id="${mailId}"/></t:RemoveItem>`)).doc), [
    'ErrorInvalidItemForOperationRemoveItem',
  ]);
  assert.deepEqual(codes((await create(bob, `<t:CancelCalendarItem><t:ReferenceItemId Id="${mailId}"/></t:CancelCalendarItem>`)).doc), [
    'ErrorInvalidOperation',
  ]);
  // an ordinary message stays a t:Message with IPM.Note
  const got = await getItem(bob, mailId);
  assert.equal(got.localName, 'Message');
  assert.equal(field(got, 'ItemClass'), 'IPM.Note');
});

test('associateMeetings: a request names the calendar copy; one the copy has moved past is out of date', async () => {
  const subject = `Review loop ${Date.now()}`;
  const aliceId = await invite(subject);
  await arrived(bob, subject);
  const acc = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:AcceptItem><t:ReferenceItemId Id="${idOf(await findInInbox(bob, subject))}"/></t:AcceptItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(acc.doc), ['NoError'], acc.text.slice(0, 1500));
  const copyId = one(acc.doc, 'ItemId').getAttribute('Id')!;
  const upd = await ews(
    tg,
    alice,
    `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendOnlyToAll"><m:ItemChanges><t:ItemChange><t:ItemId Id="${aliceId}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="calendar:Location"/><t:CalendarItem><t:Location>Room 8</t:Location></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
  );
  assert.deepEqual(codes(upd.doc), ['NoError'], upd.text.slice(0, 1500));
  await arrived(bob, `Updated: ${subject}`);
  const acc2 = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:AcceptItem><t:ReferenceItemId Id="${idOf(await findInInbox(bob, `Updated: ${subject}`))}"/></t:AcceptItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(acc2.doc), ['NoError'], acc2.text.slice(0, 1500));

  // the mail load path as GetItem runs it, then the lookup with the request's context
  const config = loadConfig({
    env: {},
    flags: {
      listen: '127.0.0.1:0',
      imap: tg.backends.imapUrl,
      smtp: `${tg.backends.smtpUrl}?auth=none`,
      caldav: tg.backends.davUrl,
      carddav: tg.backends.davUrl,
      mailDomain: 'example.test',
    },
  });
  const provider = createMailboxProvider(config);
  const open = await provider.open(bob.email, bob.password);
  try {
    const ctx: RequestContext = {
      user: { login: bob.email, email: bob.email, displayName: 'Bob' },
      version: 'Exchange2013_SP1',
      mailbox: open.mailbox,
      stateSecret: Buffer.alloc(32),
    };
    const trash = (await loadTree(ctx, { dav: false })).distinguishedFolder('deleteditems')!;
    const shape = { base: 'AllProperties' as const, includeMimeContent: false, bodyType: 'Best' as const, additional: [] };
    const { items } = await loadMailItems(ctx.mailbox.mail, trash, 'all', needsOf(shape, false));
    const mine = items.filter((i) => (i.msg.envelope?.subject ?? '').endsWith(subject));
    assert.equal(mine.length, 2, 'both answered requests are in Deleted Items');
    await associateMeetings(ctx, mine);
    const rc = renderContext(ctx.version, shape);
    const rendered = mine.map((i) => parseXml(`<r xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">${renderMailItem(i, rc, false)}</r>`));
    const bySubject = new Map(rendered.map((d) => [text(d, 'Subject'), d]));
    const first = bySubject.get(subject)!;
    const update = bySubject.get(`Updated: ${subject}`)!;
    for (const d of [first, update]) {
      assert.equal(one(d, 'AssociatedCalendarItemId').getAttribute('Id'), copyId);
      assert.equal(text(d, 'HasBeenProcessed'), 'true');
      assert.equal(text(d, 'ResponseType'), 'Accept');
    }
    assert.equal(text(update, 'IsOutOfDate'), 'false');
    assert.equal(text(update, 'MeetingRequestType'), 'FullUpdate');
    assert.equal(text(first, 'IsOutOfDate'), 'true');
    assert.equal(text(first, 'MeetingRequestType'), 'Outdated');
  } finally {
    open.release();
    await provider.close();
  }
});
