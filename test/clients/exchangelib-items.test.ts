// exchangelib 4.9 (Debian's python3-exchangelib, a client nobody here wrote) against the mail
// item surface: QuerySet filter / only / order_by / slicing / paging, get and fetch, flags,
// drafts, attachments (file and item; at creation and attach() later; .content), sending
// through the harness's Postfix to a second user (send, send_and_save, SendItem of a draft,
// reply / reply_all / forward), copy, move, delete, soft_delete, move_to_trash, mark_as_junk,
// bulk_create and bulk_delete.
// The Python side is exchangelib_items.py; it checks every step through EWS and straight
// through IMAP (imaplib), and reports each step in a JSON summary on its last line. A failed
// step's test message carries its Python traceback and the SOAP request/response of the call.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { TestUser } from '../harness/backends.js';
import { seedUser } from '../harness/seed.js';
import { withImap } from '../harness/clients.js';
import { startTestGateway, type TestGateway } from '../support/gateway.js';
import { clientScript, ewsEnv, runReport, runScenario, stepOf, stepTests, type PyRun, type Summary } from './support/exchangelib.js';

/** The steps exchangelib_items.py runs, in order. */
const STEPS = [
  'inbox: count() and is_read counts agree with IMAP',
  "filter(subject__contains=...).only('subject', 'datetime_received')",
  "order_by('-datetime_received')[:3], slicing and paging agree with IMAP INTERNALDATE",
  'inbox.get(id=...) and account.fetch(ids=...)',
  'mime_content (GetItem FieldURI item:MimeContent) is the IMAP message byte for byte',
  "is_read = ...; save(update_fields=['is_read']) is IMAP \\Seen",
  'flag (PidTagFlagStatus 0x1090 as an ExtendedProperty) is IMAP \\Flagged',
  "the changekey save() got is current: save(conflict_resolution='NeverOverwrite') right after",
  'categories with a space round-trip (IMAP keyword underneath)',
  'save a draft: Message(folder=drafts, body=HTMLBody, to_recipients=...).save()',
  "edit the saved draft: save(update_fields=['subject', 'body']) keeps the item",
  'attachments at creation: FileAttachment bytes and a text file read back through .content',
  'ItemAttachment: an inbox message attached to a draft, read back as an item',
  "attach() on a saved draft keeps the draft's id (CreateAttachment)",
  'reading attachment.content of the attachment added later',
  "send(save_copy=False): SendOnly, delivered to the peer's INBOX, no Sent copy",
  'send_and_save(): delivered, one copy in Sent',
  'send() of a saved draft: SendItem, delivered, moved from Drafts to Sent',
  'reply() / reply_all() / forward() from the peer: delivered, threaded, original marked',
  'copy() and move() to other folders: new ids, IMAP follows',
  'delete(): HardDelete, gone from EWS and Dovecot, not in Trash',
  'move_to_trash(): MoveToDeletedItems, in Trash',
  'soft_delete(): gone from the folder, not in Trash',
  'mark_as_junk(): moved to Junk with $Junk, and back',
  'bulk_create(folder=Projects/2026, items=[...]): every item there, in EWS and IMAP',
  'items created with is_read=True are read (CreateItem <t:IsRead>1</t:IsRead>)',
  'bulk_delete(ids=...): all gone',
  'clean up the drafts this run made',
];

let tg: TestGateway;
let user: TestUser;
let peer: TestUser;
let py: PyRun<Summary & { tag: string }>;

/** Decoded subjects of the messages in a mailbox whose Subject contains `text`. */
async function subjectsIn(who: TestUser, mailbox: string, text: string): Promise<string[]> {
  return withImap(tg.backends, who, async (c) => {
    await c.mailboxOpen(mailbox, { readOnly: true });
    const uids = await c.search({ header: { subject: text } }, { uid: true });
    if (!uids || uids.length === 0) return [];
    const out: string[] = [];
    for await (const m of c.fetch(uids.join(','), { envelope: true }, { uid: true })) out.push(m.envelope?.subject ?? '');
    return out.sort();
  });
}

before(async () => {
  tg = await startTestGateway();
  [user, peer] = await Promise.all([tg.backends.addUser(), tg.backends.addUser()]);
  await seedUser(tg.backends, user, { mail: true, dav: false });
  py = await runScenario(clientScript('exchangelib_items.py'), {
    ...ewsEnv(tg.ewsUrl, user),
    PEER_USER: peer.email,
    PEER_PASSWORD: peer.password,
    IMAP_HOST: '127.0.0.1',
    IMAP_PORT: String(tg.backends.imapPort),
  });
});

after(async () => {
  await tg?.close();
});

describe('exchangelib 4.9 mail items', () => {
  test('the script runs to the end: no traceback outside a step, JSON summary, steps as expected', () => {
    assert.ok(py.summary, runReport(py));
    assert.deepEqual(
      py.summary.steps.map((s) => s.name),
      STEPS,
      'the script ran other steps than this file expects',
    );
    assert.ok(py.ms < 45_000, `the run took ${py.ms} ms`);
    assert.equal(py.code, py.summary.ok ? 0 : 1, runReport(py));
  });

  stepTests(() => py, STEPS);

  test("Dovecot, seen from here: the peer's INBOX and the user's Sent hold what was sent, nothing else", async () => {
    assert.ok(py.summary, runReport(py));
    const tag = py.summary.tag;
    const sent = (name: string) => stepOf(py, name).ok;
    const expectedAtPeer: string[] = [];
    if (sent("send(save_copy=False): SendOnly, delivered to the peer's INBOX, no Sent copy")) expectedAtPeer.push(`${tag} sendonly`);
    if (sent('send_and_save(): delivered, one copy in Sent')) expectedAtPeer.push(`${tag} sendandsave`);
    if (sent('send() of a saved draft: SendItem, delivered, moved from Drafts to Sent')) expectedAtPeer.push(`${tag} draft to send`);
    const atPeer = (await subjectsIn(peer, 'INBOX', tag)).filter((s) => !/please answer/.test(s));
    assert.deepEqual(atPeer, expectedAtPeer.sort());
    const expectedSent = expectedAtPeer.filter((s) => !s.endsWith('sendonly'));
    assert.deepEqual(await subjectsIn(user, 'Sent', tag), expectedSent.sort());
  });

  test('nothing the script created is left in Drafts, Projects/2026, Trash or Junk', async () => {
    assert.ok(py.summary, runReport(py));
    const tag = py.summary.tag;
    for (const box of ['Drafts', 'Projects/2026', 'Trash', 'Junk']) assert.deepEqual(await subjectsIn(user, box, tag), [], box);
  });
});
