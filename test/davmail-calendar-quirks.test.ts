// DavMail's calendar quirks, without Java: the EWS requests DavMail 6.0.1 sent
// behind CalDAV (fixtures/requests/davmail/*.xml, recorded from
// test/clients/davmail/caldav.test.ts with EWSGATE_DAVMAIL_RECORD, ids replaced
// by the placeholders "iid-1" / "iid-1.EML"), posted the way DavMail posts them
// (challenge-first Basic, lower-case path), the answers read the way DavMail
// reads them, and checked against Radicale directly. What each one guards:
//  - GetUserConfiguration OWA.UserOptions: DavMail's first calendar write asks
//    it for the time zone; an error leaves it without a VTIMEZONE and every
//    CalDAV PUT fails (503).
//  - PR_INTERNET_ARTICLE_NUMBER (0x0E23) on every calendar item: DavMail pages
//    FindItem by it and drops items without a positive one (an empty calendar).
//  - PR_LAST_MODIFICATION_TIME (0x3008), DavMail's ETag, in whole seconds: it
//    copies it into LAST-MODIFIED and fails the event on any other length.
//  - names: DavMail names listed events "<ItemId>.EML" and finds them (and the
//    ones it created as "<x>.ics") by a FindItem restriction on 0x10F3.
//  - CreateItem with iCalendar MimeContent (TZIDs rewritten to Windows names,
//    RECURRENCE-ID overrides, EXDATE) and UpdateItem by fields; DavMail resends
//    a series' pattern on every save (COUNT as NoEnd), which must not cost the
//    series its exceptions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Element } from '@xmldom/xmldom';
import type { TestUser } from './harness/backends.js';
import { davRequest } from './harness/clients.js';
import { FIXTURES_DIR, seedUser } from './harness/seed.js';
import { M, all, codes, one, responseMessages, startTestGateway, text, type TestGateway } from './support/gateway.js';
import { davmailPost, type WireReply } from './clients/davmail/ews-wire.js';

let tg: TestGateway;
let user: TestUser;
let calendarUrl: string;

const SERIES_UID = 'davmail-series-1795571686487@example.test';

before(async () => {
  tg = await startTestGateway({ smtp: process.env.EWSGATE_TEST_SMTP_URL ?? '' });
  user = await tg.backends.addUser();
  calendarUrl = (await seedUser(tg.backends, user, { mail: false, dav: true })).dav!.calendarUrl;
});

after(async () => {
  await tg?.close();
});

function request(name: string): string {
  return fs.readFileSync(path.join(FIXTURES_DIR, 'requests', 'davmail', `${name}.xml`), 'utf8');
}

function withItem(body: string, id: { id: string; changeKey: string }): string {
  return body
    .replaceAll('Id="iid-1" ChangeKey="CQAAAA=="', `Id="${id.id}" ChangeKey="${id.changeKey}"`)
    .replaceAll('Value="iid-1.EML"', `Value="${id.id}.EML"`);
}

async function exchange(body: string, what: string): Promise<WireReply> {
  const { challenge, reply } = await davmailPost(tg.ewsUrl, user, body);
  assert.equal(challenge.status, 401, `${what}: the first attempt carries no credentials`);
  assert.equal(reply.status, 200, `${what}: HTTP ${reply.status}\n${reply.text.slice(0, 1500)}`);
  // EWSMethod compares the header as a string; anything else reads as an empty answer
  assert.equal(reply.contentType, 'text/xml; charset=utf-8', `${what}: Content-Type`);
  assert.deepEqual(codes(reply.doc), ['NoError'], `${what}: ${reply.text.slice(0, 1500)}`);
  return reply;
}

/** Extended properties keyed as DavMail keys them (PropertyTag, else PropertyId, else PropertyName). */
function extended(item: Element): Map<string, string> {
  const out = new Map<string, string>();
  for (const ep of all(item, 'ExtendedProperty')) {
    const uri = one(ep, 'ExtendedFieldURI');
    const key = uri.getAttribute('PropertyTag') || uri.getAttribute('PropertyId') || uri.getAttribute('PropertyName') || '';
    out.set(key, text(ep, 'Value') ?? '');
  }
  return out;
}

function itemIdOf(el: Element): { id: string; changeKey: string } {
  const id = one(el, 'ItemId');
  return { id: id.getAttribute('Id')!, changeKey: id.getAttribute('ChangeKey')! };
}

async function radicale(name: string): Promise<{ status: number; text: string }> {
  const r = await davRequest(tg.backends, user, 'GET', new URL(name, calendarUrl).toString());
  return { status: r.status, text: (await r.text()).replace(/\r\n[ \t]/g, '') };
}

/** DavMail's calendar listing (FindItem on calendar, IdOnly + its properties, sorted by 0x0E23). */
async function listing(): Promise<Element[]> {
  const r = await exchange(fs.readFileSync(path.join(FIXTURES_DIR, 'requests', 'davmail-finditem-calendar.xml'), 'utf8'), 'FindItem calendar');
  return all(r.doc, 'CalendarItem');
}

describe("DavMail's calendar requests (no Java)", () => {
  test('GetUserConfiguration OWA.UserOptions answers without a time zone, so DavMail uses its own', async () => {
    const r = await exchange(request('getuserconfiguration-owa-useroptions'), 'GetUserConfiguration');
    const name = one(r.doc, 'UserConfigurationName');
    assert.equal(name.getAttribute('Name'), 'OWA.UserOptions');
    assert.equal(all(r.doc, 'DictionaryEntry').length, 0);
    // any other configuration is one nobody created
    const other = await davmailPost(tg.ewsUrl, user, request('getuserconfiguration-owa-useroptions').replace('OWA.UserOptions', 'IPM.Configuration.Nothing'));
    assert.deepEqual(codes(other.reply.doc), ['ErrorItemNotFound']);
  });

  test('the listing gives every item a positive, distinct 0x0E23, ascending, and a whole-second 0x3008', async () => {
    const items = await listing();
    assert.equal(items.length, 3, 'the three seeded events');
    const numbers = items.map((i) => Number(extended(i).get('0xe23')));
    for (const n of numbers) assert.ok(Number.isInteger(n) && n > 0 && n < 2 ** 31, `0xe23 ${n}`);
    assert.equal(new Set(numbers).size, numbers.length);
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => a - b),
      'sorted ascending as asked',
    );
    for (const i of items) assert.match(extended(i).get('0x3008') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'yyyy-MM-ddTHH:mm:ssZ, nothing else');
  });

  test('CreateItem with iCalendar MimeContent stores the series, its override and EXDATE under the client name', async () => {
    const r = await exchange(request('createitem-calendar-series-mimecontent'), 'CreateItem MimeContent');
    const created = itemIdOf(responseMessages(r.doc)[0]!);
    // DavMail set 0x10F3 to the client's "<uid>.ics": the resource keeps that name (not "<uid>.ics.ics")
    const stored = await radicale(`${encodeURIComponent(SERIES_UID)}.ics`);
    assert.equal(stored.status, 200, `Radicale has no ${SERIES_UID}.ics`);
    assert.match(stored.text, /\nRRULE:FREQ=WEEKLY;[^\n]*COUNT=6/);
    assert.match(stored.text, /\nEXDATE[^:\n]*:20261119T1[56]0000Z?\r?\n/);
    assert.match(stored.text, /\nRECURRENCE-ID[^:\n]*:20261126T1[56]0000Z?\r?\n/);
    assert.match(stored.text, /SUMMARY:Review \(moved to 17:00\)/);
    // "W. Europe Standard Time" in DavMail's TZIDs is Europe/Berlin: 16:00 there is 15:00Z
    const get = await exchange(withItem(request('getitem-calendar-mimecontent'), created), 'GetItem MimeContent');
    const ics = Buffer.from(text(get.doc, 'MimeContent') ?? '', 'base64')
      .toString('utf8')
      .replace(/\r\n[ \t]/g, '');
    assert.match(ics, /^BEGIN:VCALENDAR/);
    assert.equal((ics.match(/BEGIN:VEVENT/g) ?? []).length, 2, 'the master and its override');
    assert.ok(ics.includes(`UID:${SERIES_UID}`));
    assert.equal(extended(one(get.doc, 'CalendarItem')).get('urn:schemas:calendar:uid'), SERIES_UID);
    assert.match(extended(one(get.doc, 'CalendarItem')).get('0x3008') ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const occurrences = all(get.doc, 'ModifiedOccurrences').flatMap((m) => all(m, 'Occurrence'));
    assert.deepEqual(
      occurrences.map((o) => text(o, 'OriginalStart')),
      ['2026-11-26T15:00:00Z'],
    );
  });

  test('FindItem by 0x10F3 finds an item by its "<ItemId>.EML" name and by the name DavMail created it under', async () => {
    const items = await listing();
    const series = items.find((i) => extended(i).get('0x37') === 'Review (series via DavMail)');
    assert.ok(series, 'the series is listed');
    const byId = await exchange(withItem(request('finditem-calendar-by-itemid-name'), itemIdOf(series)), 'FindItem by <ItemId>.EML');
    assert.deepEqual(
      all(byId.doc, 'CalendarItem').map((i) => itemIdOf(i).id),
      [itemIdOf(series).id],
    );
    const byName = await exchange(
      request('finditem-calendar-by-client-name').replace('davmail-client-name@example.test.ics', `${SERIES_UID}.ics`),
      'FindItem by x.ics',
    );
    assert.deepEqual(
      all(byName.doc, 'CalendarItem').map((i) => itemIdOf(i).id),
      [itemIdOf(series).id],
    );
    const none = await exchange(request('finditem-calendar-by-client-name'), 'FindItem by an unknown name');
    assert.equal(all(none.doc, 'CalendarItem').length, 0);
    // the ItemId of an item in another calendar names nothing here, though a resource of that name is here
    const elsewhere = await exchange(
      withItem(request('finditem-calendar-by-itemid-name'), {
        id: 'AQYBAAAtL290aGVyQGV4YW1wbGUudGVzdC9jYWxlbmRhci9zaW5nbGUtZXZlbnQuaWNz', // /other@example.test/calendar/single-event.ics
        changeKey: 'x',
      }),
      'FindItem by a foreign id',
    );
    assert.equal(all(elsewhere.doc, 'CalendarItem').length, 0);
  });

  test("DavMail's resent pattern (COUNT as NoEnd) keeps the series' EXDATE and moved occurrence", async () => {
    const series = (await listing()).find((i) => extended(i).get('0x37') === 'Review (series via DavMail)');
    assert.ok(series, 'the series created above');
    await exchange(withItem(request('updateitem-calendar-series-recurrence'), itemIdOf(series)), 'UpdateItem with calendar:Recurrence');
    const stored = await radicale(`${encodeURIComponent(SERIES_UID)}.ics`);
    assert.match(stored.text, /\nRRULE:FREQ=WEEKLY;BYDAY=TH\r?\n/, 'the pattern DavMail sent: no end');
    assert.match(stored.text, /\nEXDATE[^:\n]*:20261119T1[56]0000Z?\r?\n/, 'the excluded instance stays excluded');
    assert.match(stored.text, /\nRECURRENCE-ID[^:\n]*:20261126T1[56]0000Z?\r?\n/, 'the moved instance stays moved');
    assert.match(stored.text, /SUMMARY:Review \(moved to 17:00\)/);
  });

  test('bad input: MimeContent that is not iCalendar, and names that are no ids, get precise answers', async () => {
    const garbage = request('createitem-calendar-series-mimecontent').replace(
      /<t:MimeContent>[^<]*<\/t:MimeContent>/,
      `<t:MimeContent>${Buffer.from('BEGIN:VCALENDAR\r\nthis is not iCalendar\r\n').toString('base64')}</t:MimeContent>`,
    );
    const bad = await davmailPost(tg.ewsUrl, user, garbage);
    assert.equal(bad.reply.status, 200);
    assert.deepEqual(codes(bad.reply.doc), ['ErrorMimeContentConversionFailed'], bad.reply.text.slice(0, 800));
    for (const name of ['not-an-id.EML', 'AAAA.EML', '../x.ics', '']) {
      const r = await exchange(request('finditem-calendar-by-client-name').replace('davmail-client-name@example.test.ics', name), `FindItem by "${name}"`);
      assert.equal(all(r.doc, 'CalendarItem').length, 0, name);
    }
  });

  test('UpdateItem by fields (Start/End with StartTimeZone, Subject as 0x37, Location) lands in Radicale', async () => {
    const single = (await listing()).find((i) => extended(i).get('0x37') === 'Quarterly budget review');
    assert.ok(single);
    const r = await exchange(withItem(request('updateitem-calendar-fields'), itemIdOf(single)), 'UpdateItem');
    assert.equal(all(r.doc, 'ItemId').length, 1);
    const stored = await radicale('single-event.ics');
    assert.equal(stored.status, 200);
    assert.match(stored.text, /\nSUMMARY:Planning\\, moved \(via DavMail\)\r?\n/);
    assert.match(stored.text, /\nLOCATION:Room 2\r?\n/);
    // 10:00 in W. Europe Standard Time on 9 December is 09:00Z
    assert.match(stored.text, /\nDTSTART(;TZID=Europe\/Berlin:20261209T100000|:20261209T090000Z)\r?\n/);
    assert.match(stored.text, /\nDTEND(;TZID=Europe\/Berlin:20261209T113000|:20261209T103000Z)\r?\n/);
    // M is the messages namespace: the response is UpdateItem's own
    assert.equal(all(r.doc, 'UpdateItemResponseMessage', M).length, 1);
  });
});
