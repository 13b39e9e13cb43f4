// ews-javascript-api 0.15 (a port of Microsoft's EWS Managed API, written by none of us) against
// the calendar over CalDAV: CalendarFolder.Bind(WellKnownFolderName.Calendar), Appointment.Save
// with a StartTimeZone, recurring series (weekly with a count, relative monthly with an end date),
// FindAppointments(CalendarView) over a month expanding them, Appointment.Bind with a PropertySet
// that asks for Recurrence and the time zones, BindToOccurrence + Update (an exception),
// occurrence Delete (an EXDATE), BindToRecurringMaster, Update of the series, Delete.
// Every step is also checked straight in Radicale (the stored iCalendar).
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Appointment,
  AppointmentSchema,
  AppointmentType,
  BasePropertySet,
  CalendarFolder,
  CalendarView,
  ConflictResolutionMode,
  DateTime,
  DateTimeKind,
  DayOfTheWeek,
  DayOfTheWeekIndex,
  DeleteMode,
  ExchangeService,
  MessageBody,
  PropertySet,
  Recurrence,
  SendCancellationsMode,
  SendInvitationsMode,
  SendInvitationsOrCancellationsMode,
  TimeZoneInfo,
  WellKnownFolderName,
} from 'ews-javascript-api';
import type { TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { davRequest } from '../harness/clients.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { ewsErrorOf, serviceFor, step } from './support/ews-javascript-api.js';

// ews-javascript-api reads the host's zone through moment: pin it, the times below are UTC
process.env.TZ = 'UTC';

// ------------------------------------------------------------ Radicale side

const unfold = (s: string) => s.replace(/\r?\n[ \t]/g, '');

/** Every calendar object of the user's calendar (unfolded iCalendar text). */
async function davObjects(): Promise<string[]> {
  const listing = await (await davRequest(tg.backends, user, 'PROPFIND', calPath, { depth: '1' })).text();
  const hrefs = [...listing.matchAll(/<(?:\w+:)?href>([^<]+\.ics)<\/(?:\w+:)?href>/g)].map((m) => m[1]!);
  return Promise.all(hrefs.map(async (h) => unfold(await (await davRequest(tg.backends, user, 'GET', new URL(h, 'http://x/').pathname)).text())));
}

/** The one object whose text holds `text` (fails on 0 or 2+). */
async function davOne(text: string): Promise<string> {
  const found = (await davObjects()).filter((o) => o.includes(text));
  assert.equal(found.length, 1, `${found.length} objects in Radicale hold "${text}"`);
  return found[0]!;
}

/** The VEVENT blocks of an object: the master first (no RECURRENCE-ID), then the overrides. */
function vevents(ics: string): { master: string; overrides: string[] } {
  const blocks = [...ics.matchAll(/BEGIN:VEVENT\r?\n([\s\S]*?)END:VEVENT/g)].map((m) => m[1]!);
  const master = blocks.filter((b) => !/^RECURRENCE-ID/m.test(b));
  assert.equal(master.length, 1, `${master.length} masters`);
  return { master: master[0]!, overrides: blocks.filter((b) => /^RECURRENCE-ID/m.test(b)) };
}

const prop = (block: string, name: string) => new RegExp(`^${name}([;:][^\\r\\n]*)$`, 'm').exec(block)?.[1];

// ------------------------------------------------------------ fixtures

let tg: TestGateway;
let user: TestUser;
let service: ExchangeService;
let calPath: string;
const TAG = `ejsc${Date.now().toString(36)}`;
const BERLIN = () => TimeZoneInfo.FindSystemTimeZoneById('W. Europe Standard Time');
const utc = (iso: string) => DateTime.Parse(iso, DateTimeKind.Utc);
/**
 * A time for Start/End next to a StartTimeZone: the Managed API wants kind Unspecified there (Utc
 * throws), and 0.15 then sends it with the host's offset, not the StartTimeZone's (its zone
 * conversion is a stub). The host runs in UTC (process.env.TZ above), so these are UTC instants.
 */
const wall = (local: string) => DateTime.Parse(local, DateTimeKind.Unspecified);
const iso = (d: DateTime) => d.ToISOString().replace(/\.\d{3}Z$/, 'Z');
const state: { single?: Appointment; weekly?: Appointment; monthly?: Appointment } = {};

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  const seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
  calPath = new URL(seeded.dav!.calendarUrl, 'http://x/').pathname;
  service = serviceFor(tg.ewsUrl, user);
});

after(async () => {
  await tg?.close();
});

async function calendarView(startIso: string, endIso: string): Promise<Appointment[]> {
  const view = new CalendarView(utc(startIso), utc(endIso));
  const res = await service.FindAppointments(WellKnownFolderName.Calendar, view);
  return res.Items.filter((a: Appointment) => a.Subject.includes(TAG));
}

describe('ews-javascript-api 0.15 calendar', () => {
  step('CalendarFolder.Bind(WellKnownFolderName.Calendar)', async () => {
    const f = await CalendarFolder.Bind(service, WellKnownFolderName.Calendar);
    assert.equal(f.FolderClass, 'IPF.Appointment');
    assert.ok(f.DisplayName, 'a display name');
  });

  step('Appointment.Save with StartTimeZone W. Europe Standard Time: TZID Europe/Berlin in Radicale', async () => {
    const a = new Appointment(service);
    a.Subject = `${TAG} review`;
    a.Body = new MessageBody('agenda: numbers');
    a.Location = 'Room 4';
    a.StartTimeZone = BERLIN();
    a.EndTimeZone = BERLIN();
    a.Start = wall('2027-02-10T09:00:00');
    a.End = wall('2027-02-10T10:30:00');
    a.ReminderMinutesBeforeStart = 10;
    await a.Save(WellKnownFolderName.Calendar, SendInvitationsMode.SendToNone);
    assert.ok(a.Id?.UniqueId, 'an id after Save');
    state.single = a;
    const { master } = vevents(await davOne(`${TAG} review`));
    assert.match(prop(master, 'DTSTART') ?? '', /^;TZID=(Europe\/Berlin|W\. Europe Standard Time):20270210T100000$/);
    assert.match(prop(master, 'DTEND') ?? '', /^;TZID=(Europe\/Berlin|W\. Europe Standard Time):20270210T113000$/);
    assert.equal(prop(master, 'LOCATION'), ':Room 4');
  });

  step('Appointment.Bind with Recurrence and time zones in the PropertySet: a single event', async () => {
    const ps = new PropertySet(BasePropertySet.FirstClassProperties, [
      AppointmentSchema.Recurrence,
      AppointmentSchema.StartTimeZone,
      AppointmentSchema.EndTimeZone,
    ]);
    const a = await Appointment.Bind(service, state.single!.Id, ps);
    assert.equal(a.Subject, `${TAG} review`);
    assert.equal(a.AppointmentType, AppointmentType.Single);
    assert.equal(a.Recurrence, null);
    assert.equal(iso(a.Start), '2027-02-10T09:00:00Z');
    assert.equal(iso(a.End), '2027-02-10T10:30:00Z');
    assert.equal(a.StartTimeZone?.Id, 'W. Europe Standard Time');
    assert.equal(a.Location, 'Room 4');
    assert.equal(a.ReminderMinutesBeforeStart, 10);
  });

  step('Appointment.Update: moved an hour later, new subject; Radicale follows', async () => {
    const a = await Appointment.Bind(service, state.single!.Id);
    a.Subject = `${TAG} review (moved)`;
    a.Start = utc('2027-02-10T10:00:00Z');
    a.End = utc('2027-02-10T11:30:00Z');
    await a.Update(ConflictResolutionMode.AlwaysOverwrite, SendInvitationsOrCancellationsMode.SendToNone);
    const back = await Appointment.Bind(service, state.single!.Id);
    assert.equal(back.Subject, `${TAG} review (moved)`);
    assert.equal(iso(back.Start), '2027-02-10T10:00:00Z');
    const { master } = vevents(await davOne(`${TAG} review (moved)`));
    assert.match(prop(master, 'DTSTART') ?? '', /:20270210T110000$/);
    state.single = back;
  });

  step('a weekly series (Tuesday and Thursday, 8 occurrences) Save: RRULE in Radicale', async () => {
    const a = new Appointment(service);
    a.Subject = `${TAG} weekly`;
    a.StartTimeZone = BERLIN();
    a.EndTimeZone = BERLIN();
    a.Start = wall('2027-02-02T08:00:00');
    a.End = wall('2027-02-02T08:30:00');
    const p = new Recurrence.WeeklyPattern();
    p.StartDate = wall('2027-02-02T00:00:00');
    p.Interval = 1;
    p.DaysOfTheWeek.AddRange([DayOfTheWeek.Tuesday, DayOfTheWeek.Thursday]);
    p.NumberOfOccurrences = 8;
    a.Recurrence = p;
    await a.Save(WellKnownFolderName.Calendar, SendInvitationsMode.SendToNone);
    state.weekly = a;
    const { master } = vevents(await davOne(`${TAG} weekly`));
    const rrule = prop(master, 'RRULE') ?? '';
    assert.match(rrule, /FREQ=WEEKLY/);
    assert.match(rrule, /COUNT=8/);
    assert.match(rrule, /BYDAY=(TU,TH|TH,TU)/);
  });

  step('a relative monthly series (last Friday, until June) Save: RRULE in Radicale', async () => {
    const a = new Appointment(service);
    a.Subject = `${TAG} monthly`;
    a.StartTimeZone = BERLIN();
    a.EndTimeZone = BERLIN();
    a.Start = wall('2027-02-26T15:00:00');
    a.End = wall('2027-02-26T16:00:00');
    const p = new Recurrence.RelativeMonthlyPattern();
    p.StartDate = wall('2027-02-26T00:00:00');
    p.Interval = 1;
    p.DayOfTheWeek = DayOfTheWeek.Friday;
    p.DayOfTheWeekIndex = DayOfTheWeekIndex.Last;
    p.EndDate = wall('2027-06-30T00:00:00');
    a.Recurrence = p;
    await a.Save(WellKnownFolderName.Calendar, SendInvitationsMode.SendToNone);
    state.monthly = a;
    const { master } = vevents(await davOne(`${TAG} monthly`));
    const rrule = prop(master, 'RRULE') ?? '';
    assert.match(rrule, /FREQ=MONTHLY/);
    assert.ok(/BYDAY=-1FR/.test(rrule) || (/BYDAY=FR/.test(rrule) && /BYSETPOS=-1/.test(rrule)), rrule);
    assert.match(rrule, /UNTIL=2027063/);
  });

  step('FindAppointments(CalendarView) over February expands the series', async () => {
    const got = await calendarView('2027-02-01T00:00:00Z', '2027-03-01T00:00:00Z');
    const weekly = got.filter((a) => a.Subject === `${TAG} weekly`);
    assert.deepEqual(
      weekly.map((a) => iso(a.Start)),
      ['2027-02-02', '2027-02-04', '2027-02-09', '2027-02-11', '2027-02-16', '2027-02-18', '2027-02-23', '2027-02-25'].map((d) => `${d}T08:00:00Z`),
    );
    assert.ok(
      weekly.every((a) => a.AppointmentType === AppointmentType.Occurrence),
      'occurrences',
    );
    assert.ok(
      weekly.every((a) => a.IsRecurring),
      'IsRecurring',
    );
    const monthly = got.filter((a) => a.Subject === `${TAG} monthly`);
    assert.deepEqual(
      monthly.map((a) => iso(a.Start)),
      ['2027-02-26T15:00:00Z'],
    );
    assert.deepEqual(
      got.filter((a) => a.Subject.includes('review')).map((a) => a.AppointmentType),
      [AppointmentType.Single],
    );
    // the monthly series over its whole span: last Fridays, DST respected (16:00 Berlin all along)
    const later = (await calendarView('2027-02-01T00:00:00Z', '2027-08-01T00:00:00Z')).filter((a) => a.Subject === `${TAG} monthly`);
    assert.deepEqual(
      later.map((a) => iso(a.Start)),
      ['2027-02-26T15:00:00Z', '2027-03-26T15:00:00Z', '2027-04-30T14:00:00Z', '2027-05-28T14:00:00Z', '2027-06-25T14:00:00Z'],
    );
  });

  step('Appointment.Bind of the master: Recurrence (WeeklyPattern, days, count) and StartTimeZone', async () => {
    const ps = new PropertySet(BasePropertySet.FirstClassProperties, [
      AppointmentSchema.Recurrence,
      AppointmentSchema.StartTimeZone,
      AppointmentSchema.FirstOccurrence,
      AppointmentSchema.LastOccurrence,
    ]);
    const m = await Appointment.Bind(service, state.weekly!.Id, ps);
    assert.equal(m.AppointmentType, AppointmentType.RecurringMaster);
    const r = m.Recurrence as InstanceType<typeof Recurrence.WeeklyPattern>;
    assert.ok(r instanceof Recurrence.WeeklyPattern, `pattern ${r?.constructor?.name}`);
    assert.equal(Number(r.Interval), 1, 'Interval (0.15 keeps it as the string it read)');
    assert.deepEqual([...r.DaysOfTheWeek.GetEnumerator()].sort(), [DayOfTheWeek.Tuesday, DayOfTheWeek.Thursday].sort());
    assert.equal(r.NumberOfOccurrences, 8);
    assert.equal(r.StartDate.Format('YYYY-MM-DD'), '2027-02-02');
    assert.equal(m.StartTimeZone?.Id, 'W. Europe Standard Time');
    assert.equal(iso(m.FirstOccurrence.Start), '2027-02-02T08:00:00Z');
    assert.equal(iso(m.LastOccurrence.Start), '2027-02-25T08:00:00Z');
  });

  step('BindToOccurrence(master, 3) + Update: an exception (RECURRENCE-ID in Radicale)', async () => {
    const occ = await Appointment.BindToOccurrence(service, state.weekly!.Id, 3);
    assert.equal(occ.AppointmentType, AppointmentType.Occurrence);
    assert.equal(iso(occ.Start), '2027-02-09T08:00:00Z');
    occ.Subject = `${TAG} weekly (this once)`;
    occ.Start = utc('2027-02-09T12:00:00Z');
    occ.End = utc('2027-02-09T12:30:00Z');
    await occ.Update(ConflictResolutionMode.AlwaysOverwrite, SendInvitationsOrCancellationsMode.SendToNone);
    const { master, overrides } = vevents(await davOne(`${TAG} weekly`));
    assert.equal(overrides.length, 1);
    assert.match(prop(overrides[0]!, 'RECURRENCE-ID') ?? '', /(:20270209T080000Z|TZID=[^:]+:20270209T090000)$/);
    assert.match(prop(overrides[0]!, 'DTSTART') ?? '', /(:20270209T120000Z|TZID=[^:]+:20270209T130000)$/);
    assert.equal(prop(overrides[0]!, 'SUMMARY'), `:${TAG} weekly (this once)`);
    assert.match(prop(master, 'RRULE') ?? '', /COUNT=8/);
  });

  step('Delete of occurrence 5: an EXDATE, the series stays', async () => {
    const occ = await Appointment.BindToOccurrence(service, state.weekly!.Id, 5);
    assert.equal(iso(occ.Start), '2027-02-16T08:00:00Z');
    await occ.Delete(DeleteMode.HardDelete, SendCancellationsMode.SendToNone);
    const { master } = vevents(await davOne(`${TAG} weekly`));
    assert.match(prop(master, 'EXDATE') ?? '', /(:20270216T080000Z|TZID=[^:]+:20270216T090000)$/);
    const err = await ewsErrorOf(Appointment.BindToOccurrence(service, state.weekly!.Id, 5));
    assert.equal(err, 'ErrorCalendarOccurrenceIsDeletedFromRecurrence');
    assert.equal(await ewsErrorOf(Appointment.BindToOccurrence(service, state.weekly!.Id, 9)), 'ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange');
  });

  step('FindAppointments after: 7 of the weekly, one an Exception; BindToRecurringMaster of it', async () => {
    const weekly = (await calendarView('2027-02-01T00:00:00Z', '2027-03-01T00:00:00Z')).filter((a) => a.Subject.startsWith(`${TAG} weekly`));
    assert.equal(weekly.length, 7, weekly.map((a) => `${a.Subject} ${iso(a.Start)}`).join(', '));
    const exc = weekly.filter((a) => a.AppointmentType === AppointmentType.Exception);
    assert.deepEqual(
      exc.map((a) => [a.Subject, iso(a.Start)]),
      [[`${TAG} weekly (this once)`, '2027-02-09T12:00:00Z']],
    );
    assert.ok(!weekly.some((a) => iso(a.Start).startsWith('2027-02-16')), 'the deleted occurrence is gone');
    const m = await Appointment.BindToRecurringMaster(service, exc[0]!.Id);
    assert.equal(m.AppointmentType, AppointmentType.RecurringMaster);
    assert.equal(m.Id.UniqueId, state.weekly!.Id.UniqueId);
    const ps = new PropertySet(BasePropertySet.FirstClassProperties, [AppointmentSchema.ModifiedOccurrences, AppointmentSchema.DeletedOccurrences]);
    const full = await Appointment.Bind(service, m.Id, ps);
    assert.equal(full.ModifiedOccurrences?.Count, 1);
    assert.equal(full.DeletedOccurrences?.Count, 1);
    assert.equal(iso(full.DeletedOccurrences!._getItem(0).OriginalStart), '2027-02-16T08:00:00Z');
  });

  step('Update of the series (Location): every occurrence shows it, the exception is kept', async () => {
    const m = await Appointment.Bind(service, state.weekly!.Id);
    m.Location = 'Standup corner';
    await m.Update(ConflictResolutionMode.AlwaysOverwrite, SendInvitationsOrCancellationsMode.SendToNone);
    const weekly = (await calendarView('2027-02-01T00:00:00Z', '2027-03-01T00:00:00Z')).filter((a) => a.Subject.startsWith(`${TAG} weekly`));
    assert.equal(weekly.length, 7);
    assert.ok(
      weekly.filter((a) => a.AppointmentType === AppointmentType.Occurrence).every((a) => a.Location === 'Standup corner'),
      weekly.map((a) => a.Location).join(),
    );
    assert.equal(weekly.filter((a) => a.AppointmentType === AppointmentType.Exception).length, 1);
    const { master } = vevents(await davOne(`${TAG} weekly`));
    assert.equal(prop(master, 'LOCATION'), ':Standup corner');
  });

  step('Delete of the masters and the single event: Radicale holds nothing of this run, Bind is ErrorItemNotFound', async () => {
    for (const a of [state.single!, state.weekly!, state.monthly!])
      await (await Appointment.Bind(service, a.Id, new PropertySet(BasePropertySet.IdOnly))).Delete(DeleteMode.HardDelete, SendCancellationsMode.SendToNone);
    assert.deepEqual(
      (await davObjects()).filter((o) => o.includes(TAG)),
      [],
    );
    assert.equal(await ewsErrorOf(Appointment.Bind(service, state.weekly!.Id)), 'ErrorItemNotFound');
    assert.deepEqual(await calendarView('2027-02-01T00:00:00Z', '2027-08-01T00:00:00Z'), []);
  });
});
