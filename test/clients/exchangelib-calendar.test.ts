// exchangelib 4.9 (Debian's python3-exchangelib) against the calendar over CalDAV: a CalendarItem
// with every attendee-free field (saved, updated, re-read), an all-day event, recurring series
// (WeeklyPattern, DailyPattern with a count and an end date, RelativeMonthlyPattern), view()
// expanding them, occurrence(n) modified and deleted, recurring_master(), filter(start__lt,
// end__gt), deletion, a Task in account.tasks, and an event python-caldav writes read back.
// The Python side is exchangelib_calendar.py; every step is checked straight in Radicale with
// python-caldav (RRULE, EXDATE, RECURRENCE-ID really stored), and reported in a JSON summary.
import { after, before, describe } from 'node:test';
import type { TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { clientScript, ewsEnv, runScenario, scenarioTests, type PyRun, type Summary } from './support/exchangelib.js';

const STEPS = [
  'CalendarItem(...).save() with every attendee-free field',
  'the single event is a VEVENT in Radicale with those fields',
  'get(id=...) reads every field back',
  'save(update_fields=[...]) and re-read',
  'an all-day event (is_all_day=True, dates) is VALUE=DATE in Radicale',
  'recurring series save(): WeeklyPattern, DailyPattern (count / end date), RelativeMonthlyPattern',
  'each series is one VEVENT with the right RRULE in Radicale',
  'get(id=...) of each master reads the recurrence back',
  'calendar.view(start, end) expands every series',
  'master.occurrence(3): refresh(), change subject and time, save()',
  'master.occurrence(5).delete()',
  'Radicale holds the exception as RECURRENCE-ID and the deletion as EXDATE',
  'view() after: 9 of the weekly series, one an Exception; the master lists modified/deleted occurrences',
  'occurrence.recurring_master().refresh() is the master',
  'filter(start__lt=..., end__gt=...) finds what overlaps the window',
  'an event python-caldav creates in Radicale shows up right in exchangelib',
  'delete() every event of this run: gone from EWS and from Radicale',
  'Task(status, percent_complete, due_date).save() in account.tasks is a VTODO',
  "Task status='Completed' save(), then delete()",
];

let tg: TestGateway;
let user: TestUser;
let py: PyRun<Summary & { tag: string }>;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  const seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
  py = await runScenario(
    clientScript('exchangelib_calendar.py'),
    {
      ...ewsEnv(tg.ewsUrl, user),
      DAV_URL: tg.backends.davUrl,
      DAV_CAL_URL: new URL(seeded.dav!.calendarUrl, tg.backends.davUrl).toString(),
    },
    90_000,
  );
});

after(async () => {
  await tg?.close();
});

describe('exchangelib 4.9 calendar and tasks', () => {
  scenarioTests(() => py, STEPS);
});
