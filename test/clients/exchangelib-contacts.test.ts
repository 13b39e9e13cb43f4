// exchangelib 4.9 (Debian's python3-exchangelib) against contacts over CardDAV:
// Contact save / filter / get / update / delete, DistributionList with members,
// resolve_names (with full contact data), expand_dl and FindPeople (people()).
// The Python side is exchangelib_contacts.py; it checks every step through EWS and
// straight in Radicale, and reports each step in a JSON summary on its last line.
import { after, before, describe } from 'node:test';
import type { TestUser } from '../harness/backends.js';
import { davUrlOf } from '../harness/clients.js';
import { seedUser } from '../harness/seed.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { clientScript, ewsEnv, runScenario, scenarioTests, type PyRun, type Summary } from './support/exchangelib.js';

const STEPS = [
  'Contact(...).save()',
  'the contact is a vCard in Radicale',
  'filter(display_name=...)',
  'filter(email_addresses__EmailAddress1=...)',
  'get(id=...) reads every field back',
  'save(update_fields=[...])',
  'resolve_names([surname])',
  'resolve_names(return_full_contact_data=True)',
  'resolve_names of nobody is empty',
  'DistributionList with members .save()',
  'the distribution list is a group vCard in Radicale',
  'get(id=...) of the distribution list lists its members',
  'expand_dl(name of the list)',
  'people().filter(display_name=...) (FindPeople)',
  'delete() the distribution list and the contact',
];

let tg: TestGateway;
let user: TestUser;
let py: PyRun<Summary & { tag: string }>;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  const seeded = await seedUser(tg.backends, user, { mail: false, dav: true });
  py = await runScenario(
    clientScript('exchangelib_contacts.py'),
    {
      ...ewsEnv(tg.ewsUrl, user),
      DAV_BOOK_URL: davUrlOf(tg.backends, new URL(seeded.dav!.addressBookUrl, tg.backends.davUrl).pathname),
    },
    90_000,
  );
});

after(async () => {
  await tg?.close();
});

describe('exchangelib 4.9 contacts', () => {
  scenarioTests(() => py, STEPS);
});
