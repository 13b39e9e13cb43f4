// Two users for meeting tests, Alice (organizer) and Bob (attendee), each with a
// seeded calendar, on one test gateway; and what those tests ask of the backends.
import { after, before } from 'node:test';
import type { TestUser } from '../harness/backends.js';
import { davRequest, waitForMessage } from '../harness/clients.js';
import { seedUser, type SeedResult } from '../harness/seed.js';
import { startTestGateway, type TestGateway } from './gateway.js';

export interface MeetingPair {
  tg: TestGateway;
  alice: TestUser;
  bob: TestUser;
  bobDav: SeedResult;
}

/** Starts the pair before the file's tests (then calls `ready` with it) and closes the gateway after. */
export function meetingPair(ready: (p: MeetingPair) => void = () => undefined): MeetingPair {
  const pair = {} as MeetingPair;
  before(async () => {
    pair.tg = await startTestGateway();
    [pair.alice, pair.bob] = await Promise.all([pair.tg.backends.addUser(), pair.tg.backends.addUser()]);
    await seedUser(pair.tg.backends, pair.alice, { mail: false, dav: true });
    pair.bobDav = await seedUser(pair.tg.backends, pair.bob, { mail: false, dav: true });
    ready(pair);
  });
  after(async () => {
    await pair.tg.close();
  });
  return pair;
}

export const pathOf = (href: string) => new URL(href, 'http://x/').pathname;
export const unfold = (s: string) => s.replace(/\r?\n[ \t]/g, '');

/** The message's source once it is in the user's folder (delivered by Postfix → Dovecot LMTP). */
export async function arrived(p: MeetingPair, user: TestUser, subject: string, folder = 'INBOX', timeoutMs = 15_000): Promise<string> {
  return (await waitForMessage(p.tg.backends, user, subject, { folder, timeoutMs })).toString();
}

/** The unfolded iCalendar text of the event in Bob's calendar with this SUMMARY, read by plain CalDAV. */
export async function bobsCalendar(p: MeetingPair, subject: string): Promise<string | undefined> {
  const listing = await (await davRequest(p.tg.backends, p.bob, 'PROPFIND', pathOf(p.bobDav.dav!.calendarUrl), { depth: '1' })).text();
  const hrefs = [...listing.matchAll(/<(?:\w+:)?href>([^<]+\.ics)<\/(?:\w+:)?href>/g)].map((m) => m[1]!);
  const bodies = await Promise.all(hrefs.map(async (h) => (await davRequest(p.tg.backends, p.bob, 'GET', pathOf(h))).text()));
  return bodies.map(unfold).find((b) => b.includes(`SUMMARY:${subject}`));
}
