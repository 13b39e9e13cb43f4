// Puts the fixture mail, events and contacts into a test user's mailbox,
// calendar and address book, through the backends' own protocols (IMAP
// APPEND, WebDAV MKCALENDAR/MKCOL/PUT).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backends, TestUser } from './backends.js';
import { davHomeUrl, davRequest, withImap } from './clients.js';

export const FIXTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');

/** Flags given to fixture messages on APPEND (all others get none). */
export const MAIL_FIXTURE_FLAGS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '01-plain-welcome.eml': ['\\Seen'],
  '03-attachment-report.eml': ['\\Seen'],
  '06-reply-thread.eml': ['\\Seen', '\\Flagged'],
});

/** Folders seedUser creates besides the auto-created special-use ones. */
export const EXTRA_FOLDERS: readonly string[] = Object.freeze(['Projects', 'Projects/2026', 'Reçus']);

/** Collection names under the user's DAV home (/<email>/<name>/). */
export const CALENDAR_NAME = 'calendar';
export const ADDRESSBOOK_NAME = 'contacts';

/** Absolute paths of fixtures/<kind>/* with the right extension, sorted by name. */
export function fixtureFiles(kind: 'mail' | 'calendar' | 'contacts'): string[] {
  const ext = { mail: '.eml', calendar: '.ics', contacts: '.vcf' }[kind];
  const dir = path.join(FIXTURES_DIR, kind);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => path.join(dir, f));
}

/** File content with every line ending turned into CRLF (as IMAP and iCalendar want). */
export function readFixtureCrlf(file: string): Buffer {
  const raw = fs.readFileSync(file).toString('latin1'); // byte-preserving
  return Buffer.from(raw.replace(/\r?\n/g, '\r\n'), 'latin1');
}

function headerDate(raw: Buffer): Date | undefined {
  const head = raw.toString('latin1').split(/\r\n\r\n/, 1)[0] ?? '';
  const m = /^Date:[ \t]*(.+(?:\r\n[ \t].+)*)$/im.exec(head);
  if (!m) return undefined;
  const d = new Date(m[1]!.replace(/\r\n/g, ''));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export interface SeededMessage {
  file: string; // base name, e.g. 01-plain-welcome.eml
  uid: number; // UID in INBOX
  flags: string[];
  size: number; // octets appended (CRLF)
}

export interface SeedResult {
  mail?: {
    inbox: SeededMessage[];
    uidValidity?: number;
    folders: string[]; // EXTRA_FOLDERS created
  };
  dav?: {
    homeUrl: string;
    calendarUrl: string;
    addressBookUrl: string;
    events: string[]; // hrefs (absolute URLs) of the PUT events
    contacts: string[]; // hrefs of the PUT vCards
  };
}

async function expectStatus(res: Response, ok: number[], what: string): Promise<void> {
  if (!ok.includes(res.status)) {
    const body = await res.text().catch(() => '');
    throw new Error(`${what}: HTTP ${res.status} ${res.statusText}\n${body.slice(0, 2000)}`);
  }
  await res.arrayBuffer().catch(() => undefined);
}

const MKCALENDAR_BODY = `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:I="http://apple.com/ns/ical/">
  <D:set>
    <D:prop>
      <D:displayname>Calendar</D:displayname>
      <C:calendar-description>Default calendar (ewsgate test seed)</C:calendar-description>
      <C:supported-calendar-component-set>
        <C:comp name="VEVENT"/>
        <C:comp name="VTODO"/>
      </C:supported-calendar-component-set>
      <I:calendar-color>#0078D4FF</I:calendar-color>
    </D:prop>
  </D:set>
</C:mkcalendar>
`;

const MKCOL_ADDRESSBOOK_BODY = `<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set>
    <D:prop>
      <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
      <D:displayname>Contacts</D:displayname>
      <CR:addressbook-description>Default address book (ewsgate test seed)</CR:addressbook-description>
    </D:prop>
  </D:set>
</D:mkcol>
`;

async function seedMail(b: Backends, user: TestUser): Promise<NonNullable<SeedResult['mail']>> {
  return withImap(b, user, async (client) => {
    const inbox: SeededMessage[] = [];
    let uidValidity: number | undefined;
    for (const file of fixtureFiles('mail')) {
      const name = path.basename(file);
      const raw = readFixtureCrlf(file);
      const flags = [...(MAIL_FIXTURE_FLAGS[name] ?? [])];
      const res = await client.append('INBOX', raw, flags, headerDate(raw));
      if (!res || !res.uid) throw new Error(`APPEND of ${name} into INBOX returned no UID`);
      uidValidity = res.uidValidity !== undefined ? Number(res.uidValidity) : uidValidity;
      inbox.push({ file: name, uid: res.uid, flags, size: raw.length });
    }
    for (const folder of EXTRA_FOLDERS) {
      // imapflow encodes non-ASCII names to modified UTF-7; existing folders are fine
      await client.mailboxCreate(folder);
    }
    return { inbox, uidValidity, folders: [...EXTRA_FOLDERS] };
  });
}

async function seedDav(b: Backends, user: TestUser): Promise<NonNullable<SeedResult['dav']>> {
  const homeUrl = davHomeUrl(b, user);
  const calendarUrl = new URL(`${CALENDAR_NAME}/`, homeUrl).toString();
  const addressBookUrl = new URL(`${ADDRESSBOOK_NAME}/`, homeUrl).toString();

  // Radicale creates the principal collection /<user>/ on the first authenticated request.
  await expectStatus(await davRequest(b, user, 'PROPFIND', homeUrl, { depth: '0' }), [207], `PROPFIND ${homeUrl}`);
  await expectStatus(
    await davRequest(b, user, 'MKCALENDAR', calendarUrl, { body: MKCALENDAR_BODY }),
    [201],
    `MKCALENDAR ${calendarUrl}`,
  );
  await expectStatus(
    await davRequest(b, user, 'MKCOL', addressBookUrl, { body: MKCOL_ADDRESSBOOK_BODY }),
    [201],
    `MKCOL ${addressBookUrl}`,
  );

  const put = async (collection: string, file: string, contentType: string) => {
    const href = new URL(encodeURIComponent(path.basename(file)), collection).toString();
    const res = await davRequest(b, user, 'PUT', href, {
      body: readFixtureCrlf(file),
      headers: { 'Content-Type': contentType, 'If-None-Match': '*' },
    });
    await expectStatus(res, [201, 204], `PUT ${href}`);
    return href;
  };
  const events: string[] = [];
  for (const f of fixtureFiles('calendar')) events.push(await put(calendarUrl, f, 'text/calendar; charset=utf-8'));
  const contacts: string[] = [];
  for (const f of fixtureFiles('contacts')) contacts.push(await put(addressBookUrl, f, 'text/vcard; charset=utf-8'));
  return { homeUrl, calendarUrl, addressBookUrl, events, contacts };
}

/**
 * Seeds a user created with b.addUser():
 *  - mail: APPENDs every fixtures/mail/*.eml into INBOX (flags per
 *    MAIL_FIXTURE_FLAGS, INTERNALDATE from the Date header) and creates
 *    EXTRA_FOLDERS (Projects, Projects/2026, Reçus);
 *  - dav: creates /<email>/calendar/ (MKCALENDAR) and /<email>/contacts/
 *    (extended MKCOL, addressbook) and PUTs fixtures/calendar/*.ics and
 *    fixtures/contacts/*.vcf into them, named after the fixture file.
 * Both default to true. Not idempotent for DAV (MKCALENDAR on an existing
 * collection fails).
 */
export async function seedUser(b: Backends, user: TestUser, opts: { mail?: boolean; dav?: boolean } = {}): Promise<SeedResult> {
  const { mail = true, dav = true } = opts;
  const [m, d] = await Promise.all([mail ? seedMail(b, user) : undefined, dav ? seedDav(b, user) : undefined]);
  const result: SeedResult = {};
  if (m) result.mail = m;
  if (d) result.dav = d;
  return result;
}
