// Meetings end to end with two users through Postfix and Radicale: A invites B
// (iTIP REQUEST as a text/calendar alternative), B's Inbox holds the request,
// B accepts through EWS, A's Inbox receives the REPLY, B's calendar holds the
// event with PARTSTAT=ACCEPTED; B declines another meeting from the calendar
// copy; an update goes out with SendMeetingInvitationsOrCancellations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from './harness/backends.js';
import type { SeedResult } from './harness/seed.js';
import { arrived as arrivedIn, bobsCalendar as bobsCalendarOf, meetingPair, pathOf, unfold } from './support/meeting-pair.js';
import { codes, ews, one, type TestGateway } from './support/gateway.js';
import { operations } from '../src/ews/registry.js';
import { eachItem, respond, type Operation } from '../src/ews/operation.js';
import { attr, elementChildren } from '../src/soap/xml.js';
import { loadTree, messagesChild } from '../src/ews/folders/request.js';
import { isMeetingResponse, respondToMeeting } from '../src/ews/dav/meetings.js';
import { parseItemIds } from '../src/ews/items/request.js';
import { resolveDavItem } from '../src/ews/dav/resolve.js';
import { deleteCalendarObject } from '../src/ews/dav/calendar-items.js';

let tg: TestGateway;
let alice: TestUser;
let bob: TestUser;
let bobDav: SeedResult;
const pair = meetingPair((p) => ({ tg, alice, bob, bobDav } = p));
const path = pathOf;
const bobsCalendar = (subject: string) => bobsCalendarOf(pair, subject);
const arrived = (user: TestUser, subject: string, folder?: string, timeoutMs?: number) => arrivedIn(pair, user, subject, folder, timeoutMs);

/** The iCalendar text of the alternative part (quoted-printable or base64 decoded). */
function calendarPart(source: string): string {
  const m = /Content-Type: text\/calendar[^]*?\r?\n\r?\n([^]*?)\r?\n--/i.exec(source);
  assert.ok(m, 'the message has a text/calendar part');
  const head = source.slice(source.indexOf(m[0]), source.indexOf(m[0]) + m[0].length - m[1].length);
  if (/base64/i.test(head)) return Buffer.from(m[1].replace(/\s+/g, ''), 'base64').toString('utf8');
  if (/quoted-printable/i.test(head)) return m[1].replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h) => String.fromCharCode(parseInt(h, 16)));
  return m[1];
}


function invite(subject: string, mode = 'SendToAllAndSaveCopy'): string {
  return (
    `<m:CreateItem SendMeetingInvitations="${mode}"><m:SavedItemFolderId><t:DistinguishedFolderId Id="calendar"/></m:SavedItemFolderId><m:Items><t:CalendarItem>` +
    `<t:Subject>${subject}</t:Subject><t:Body BodyType="Text">agenda</t:Body><t:Start>2027-03-03T10:00:00Z</t:Start><t:End>2027-03-03T11:00:00Z</t:End><t:Location>Room 2</t:Location>` +
    `<t:RequiredAttendees><t:Attendee><t:Mailbox><t:Name>Bob</t:Name><t:EmailAddress>${bob.email}</t:EmailAddress></t:Mailbox></t:Attendee></t:RequiredAttendees>` +
    `</t:CalendarItem></m:Items></m:CreateItem>`
  );
}

async function inboxId(user: TestUser, subject: string): Promise<string> {
  const found = await ews(
    tg,
    user,
    `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:Subject"/><t:FieldURIOrConstant><t:Constant Value="${subject}"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>`,
  );
  return one(found.doc, 'ItemId').getAttribute('Id')!;
}

test("A invites B; B accepts the request from the Inbox; A gets the REPLY; B's calendar holds it ACCEPTED", async () => {
  const subject = `Design review ${Date.now()}`;
  const r = await ews(tg, alice, invite(subject));
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const request = await arrived(bob, subject);
  assert.match(request, /Content-Type: text\/calendar;[^\r\n]*method=REQUEST/i);
  assert.match(request, /multipart\/alternative/i);
  const ics = unfold(calendarPart(request));
  assert.match(ics, /METHOD:REQUEST/);
  assert.match(ics, new RegExp(`ORGANIZER[^\\r\\n]*mailto:${alice.email}`, 'i'));
  assert.match(ics, new RegExp(`ATTENDEE[^\\r\\n]*mailto:${bob.email}`, 'i'));
  await arrived(alice, subject, 'Sent');

  const id = await inboxId(bob, subject);
  const acc = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:AcceptItem><t:ReferenceItemId Id="${id}"/></t:AcceptItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(acc.doc), ['NoError'], acc.text.slice(0, 1500));
  const calId = one(acc.doc, 'ItemId').getAttribute('Id')!;
  await arrived(bob, subject, 'Trash'); // the answered request left the Inbox

  const reply = await arrived(alice, `Accepted: ${subject}`);
  const replyIcs = unfold(calendarPart(reply));
  assert.match(replyIcs, /METHOD:REPLY/);
  assert.match(replyIcs, new RegExp(`ATTENDEE[^\\r\\n]*PARTSTAT=ACCEPTED[^\\r\\n]*mailto:${bob.email}`, 'i'));

  const stored = await bobsCalendar(subject);
  assert.ok(stored, "the meeting is in B's calendar");
  assert.doesNotMatch(stored!, /^METHOD:/m);
  assert.match(stored!, new RegExp(`ATTENDEE[^\\r\\n]*PARTSTAT=ACCEPTED[^\\r\\n]*mailto:${bob.email}`, 'i'));
  const got = await ews(
    tg,
    bob,
    `<m:GetItem><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${calId}"/></m:ItemIds></m:GetItem>`,
  );
  assert.deepEqual(codes(got.doc), ['NoError'], got.text.slice(0, 1500));
});

test('an update with SendMeetingInvitationsOrCancellations goes out; B declines from the calendar copy and it is removed', async () => {
  const subject = `Budget ${Date.now()}`;
  const r = await ews(tg, alice, invite(subject, 'SendOnlyToAll'));
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const aliceId = one(r.doc, 'ItemId').getAttribute('Id')!;
  await arrived(bob, subject);
  const upd = await ews(
    tg,
    alice,
    `<m:UpdateItem ConflictResolution="AlwaysOverwrite" SendMeetingInvitationsOrCancellations="SendToAllAndSaveCopy"><m:ItemChanges><t:ItemChange><t:ItemId Id="${aliceId}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="calendar:Location"/><t:CalendarItem><t:Location>Room 9</t:Location></t:CalendarItem></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>`,
  );
  assert.deepEqual(codes(upd.doc), ['NoError'], upd.text.slice(0, 1500));
  const update = unfold(calendarPart(await arrived(bob, `Updated: ${subject}`)));
  assert.match(update, /LOCATION:Room 9/);
  assert.match(update, /SEQUENCE:1/);

  // B first accepts tentatively (the calendar copy appears), then declines that copy
  const tent = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:TentativelyAcceptItem><t:ReferenceItemId Id="${await inboxId(bob, subject)}"/></t:TentativelyAcceptItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(tent.doc), ['NoError'], tent.text.slice(0, 1500));
  assert.match((await bobsCalendar(subject))!, /PARTSTAT=TENTATIVE/);
  assert.match(unfold(calendarPart(await arrived(alice, `Tentative: ${subject}`))), /PARTSTAT=TENTATIVE/);
  const calId = one(tent.doc, 'ItemId').getAttribute('Id')!;
  const dec = await ews(
    tg,
    bob,
    `<m:CreateItem MessageDisposition="SendAndSaveCopy"><m:Items><t:DeclineItem><t:ReferenceItemId Id="${calId}"/></t:DeclineItem></m:Items></m:CreateItem>`,
  );
  assert.deepEqual(codes(dec.doc), ['NoError'], dec.text.slice(0, 1500));
  assert.match(unfold(calendarPart(await arrived(alice, `Declined: ${subject}`))), /PARTSTAT=DECLINED/);
  assert.equal(await bobsCalendar(subject), undefined, "the declined meeting left B's calendar");
});

test('the organizer deletes a meeting with SendMeetingCancellations: the attendee receives CANCEL', async () => {
  const subject = `Offsite ${Date.now()}`;
  const r = await ews(tg, alice, invite(subject, 'SendToNone'));
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
  const id = one(r.doc, 'ItemId').getAttribute('Id')!;
  const del = await ews(
    tg,
    alice,
    `<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToAllAndSaveCopy"><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:DeleteItem>`,
  );
  assert.deepEqual(codes(del.doc), ['NoError'], del.text.slice(0, 1500));
  const cancel = await arrived(bob, `Canceled: ${subject}`);
  assert.match(cancel, /Content-Type: text\/calendar;[^\r\n]*method=CANCEL/i);
  const ics = unfold(calendarPart(cancel));
  assert.match(ics, /METHOD:CANCEL/);
  assert.match(ics, /STATUS:CANCELLED/);
  await arrived(alice, `Canceled: ${subject}`, 'Sent');
  const gone = await ews(
    tg,
    alice,
    `<m:GetItem><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="${id}"/></m:ItemIds></m:GetItem>`,
  );
  assert.deepEqual(codes(gone.doc), ['ErrorItemNotFound']);
});
