// ews-javascript-api 0.15 (a port of Microsoft's EWS Managed API, written by none of us)
// against the folder surface: Bind, FindFolders (deep, paged), Save, Update, Move, Copy,
// Empty, Delete. Every change is also checked straight in Dovecot over IMAP.
//
// The steps build on each other (one folder travels through create → rename → move →
// copy → empty → delete), so they run in order in one suite; each failure message carries
// the SOAP request and response that went wrong.
import { after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { DOMParser } from '@xmldom/xmldom';
import { DeleteMode, ExchangeService, Folder, FolderId, FolderTraversal, FolderView, WellKnownFolderName } from 'ews-javascript-api';
import type { TestUser } from '../harness/backends.js';
import { fixtureFiles, readFixtureCrlf, seedUser } from '../harness/seed.js';
import { withImap } from '../harness/clients.js';
import { T, startTestGateway, type TestGateway } from '../support/gateway.js';
import { ewsErrorOf, exchanges, serviceFor, step } from './support/ews-javascript-api.js';

/** FolderIds (not ParentFolderIds) of a FindFolder response, in document order. */
function folderIdsOnWire(xml: string): string[] {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  return Array.from(doc.getElementsByTagNameNS(T, 'FolderId')).map((e) => e.getAttribute('Id') ?? '');
}

// ------------------------------------------------------------ IMAP side

async function imapList(): Promise<{ delimiter: string; paths: string[] }> {
  return withImap(tg.backends, user, async (c) => {
    const list = await c.list();
    return { delimiter: list[0]?.delimiter ?? '/', paths: list.map((m) => m.path) };
  });
}

async function imapStatus(path: string): Promise<{ messages: number; unseen: number }> {
  return withImap(tg.backends, user, async (c) => {
    const st = await c.status(path, { messages: true, unseen: true });
    if (!st) throw new Error(`IMAP STATUS ${path} failed`);
    return { messages: st.messages ?? -1, unseen: st.unseen ?? -1 };
  });
}

// ------------------------------------------------------------ state

let tg: TestGateway;
let user: TestUser;
let service: ExchangeService;
let delim = '/';
const TAG = `ejs-${Date.now().toString(36)}`;
const NAME = `${TAG}`;
const RENAMED = `${TAG} Übersicht & Co`; // non-ASCII and '&': IMAP modified UTF-7 both ways

let inboxId: FolderId;
let projectsId: FolderId;
let created: Folder; // the folder that travels
let createdId: string;
let copyId: FolderId;

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: true, dav: false });
  delim = (await imapList()).delimiter;
  service = serviceFor(tg.ewsUrl, user);
});

after(async () => {
  await tg?.close();
});

describe('ews-javascript-api 0.15 folders', () => {
  step('Folder.Bind(Inbox): DisplayName and counts as IMAP has them', async () => {
    const inbox = await Folder.Bind(service, WellKnownFolderName.Inbox);
    const st = await imapStatus('INBOX');
    assert.equal(inbox.DisplayName, 'Inbox');
    assert.equal(inbox.TotalCount, st.messages);
    assert.equal(inbox.UnreadCount, st.unseen);
    assert.ok(st.messages > st.unseen && st.unseen > 0, `seed sanity: ${JSON.stringify(st)}`);
    assert.equal(inbox.ChildFolderCount, 0);
    inboxId = inbox.Id;
    // Bound again by its FolderId, it is the same folder.
    const again = await Folder.Bind(service, new FolderId(inboxId.UniqueId));
    assert.equal(again.DisplayName, 'Inbox');
    assert.equal(again.Id.UniqueId, inboxId.UniqueId);
  });

  step('FindFolders(MsgFolderRoot, Deep): every IMAP mailbox, with the right parents', async () => {
    const view = new FolderView(100);
    view.Traversal = FolderTraversal.Deep;
    const res = await service.FindFolders(WellKnownFolderName.MsgFolderRoot, view);
    const names = res.Folders.map((f) => f.DisplayName);
    assert.equal(res.MoreAvailable, false);
    assert.equal(res.TotalCount, res.Folders.length);
    for (const n of ['Inbox', 'Drafts', 'Sent', 'Trash', 'Junk', 'Projects', '2026', 'Reçus']) assert.ok(names.includes(n), `${n} not in ${names.join(', ')}`);
    // Every IMAP mailbox is there (leaf name); Projects/2026 is below Projects.
    const imap = await imapList();
    for (const p of imap.paths) {
      if (p.toUpperCase() === 'INBOX') continue;
      const leaf = p.split(imap.delimiter).pop()!;
      assert.ok(names.includes(leaf), `IMAP mailbox ${p} missing from FindFolders: ${names.join(', ')}`);
    }
    const byName = (n: string) => res.Folders.find((f) => f.DisplayName === n)!;
    projectsId = byName('Projects').Id;
    assert.equal(byName('2026').ParentFolderId.UniqueId, projectsId.UniqueId, '2026 is not below Projects');
    assert.equal(byName('Projects').ChildFolderCount, 1);
    assert.equal(byName('Inbox').Id.UniqueId, inboxId.UniqueId, 'Inbox has another id in FindFolders than in Bind');
    const st = await imapStatus('INBOX');
    assert.equal(byName('Inbox').TotalCount, st.messages);
    assert.equal(byName('Inbox').UnreadCount, st.unseen);
    // Ids are unique.
    assert.equal(new Set(res.Folders.map((f) => f.Id.UniqueId)).size, res.Folders.length);
  });

  step('FindFolders paged (FolderView(4) with Offset) gives the same folders as one page', async () => {
    const all = new FolderView(100);
    all.Traversal = FolderTraversal.Deep;
    const mark = exchanges.length;
    const whole = (await service.FindFolders(WellKnownFolderName.MsgFolderRoot, all)).Folders.map((f) => f.Id.UniqueId);
    const paged: string[] = [];
    for (let offset = 0, more = true; more; offset += 4) {
      const view = new FolderView(4, offset);
      view.Traversal = FolderTraversal.Deep;
      const r = await service.FindFolders(WellKnownFolderName.MsgFolderRoot, view);
      assert.ok(r.Folders.length <= 4);
      assert.equal(r.TotalCount, whole.length);
      paged.push(...r.Folders.map((f) => f.Id.UniqueId));
      more = r.MoreAvailable;
      // (r.NextPageOffset is always null: ews-javascript-api 0.15's FindFolderResponse reads
      // IndexedPagingOffset but never stores it, so the offset is counted here.)
      if (more) assert.equal(r.Folders.length, 4, 'a page short of MaxEntriesReturned, yet MoreAvailable');
      assert.ok(offset < 200, 'paging does not end');
    }
    // Compared as sets: ews-javascript-api turns the XML into objects grouped by element name,
    // so a t:CalendarFolder between two t:Folder elements changes place on the client side
    // (the server's order is the same in both, checked on the wire).
    assert.equal(new Set(paged).size, paged.length, 'a folder came twice across pages');
    assert.deepEqual([...paged].sort(), [...whole].sort());
    // On the wire, the pages are the one-page answer cut in pieces, in the same order.
    const wire = exchanges.slice(mark).map((x) => folderIdsOnWire(x.response));
    assert.equal(wire[0]!.length, whole.length);
    assert.deepEqual(wire.slice(1).flat(), wire[0]);
  });

  step('new Folder(service).Save(Inbox): exists in Dovecot and binds by its id', async () => {
    created = new Folder(service);
    created.DisplayName = NAME;
    await created.Save(WellKnownFolderName.Inbox);
    assert.ok(created.Id?.UniqueId, 'Save() gave the folder no id');
    createdId = created.Id.UniqueId;
    const imap = await imapList();
    assert.ok(imap.paths.includes(`INBOX${delim}${NAME}`), `INBOX${delim}${NAME} not in IMAP: ${imap.paths.join(', ')}`);
    const bound = await Folder.Bind(service, new FolderId(createdId));
    assert.equal(bound.DisplayName, NAME);
    assert.equal(bound.ParentFolderId.UniqueId, inboxId.UniqueId);
    assert.equal(bound.TotalCount, 0);
    assert.equal(bound.ChildFolderCount, 0);
    const inbox = await Folder.Bind(service, WellKnownFolderName.Inbox);
    assert.equal(inbox.ChildFolderCount, 1);
    // The same name again below the same parent is ErrorFolderExists.
    const dup = new Folder(service);
    dup.DisplayName = NAME;
    assert.equal(await ewsErrorOf(dup.Save(WellKnownFolderName.Inbox)), 'ErrorFolderExists');
  });

  step('Update() renames (non-ASCII, "&"): IMAP RENAME, same FolderId', async () => {
    created.DisplayName = RENAMED;
    await created.Update();
    assert.equal(created.Id.UniqueId, createdId, 'the FolderId changed on rename');
    const imap = await imapList();
    assert.ok(imap.paths.includes(`INBOX${delim}${RENAMED}`), `INBOX${delim}${RENAMED} not in IMAP: ${imap.paths.join(', ')}`);
    assert.ok(!imap.paths.includes(`INBOX${delim}${NAME}`), 'the old name is still in IMAP');
    const bound = await Folder.Bind(service, new FolderId(createdId));
    assert.equal(bound.DisplayName, RENAMED);
    assert.equal(bound.ParentFolderId.UniqueId, inboxId.UniqueId);
  });

  step('Move(Projects): IMAP path below Projects, same FolderId, new parent', async () => {
    // Two messages and a subfolder go along, to see Move, Copy and Empty treat contents right.
    await withImap(tg.backends, user, async (c) => {
      const files = fixtureFiles('mail').slice(0, 2);
      for (const f of files) await c.append(`INBOX${delim}${RENAMED}`, readFixtureCrlf(f), []);
    });
    const sub = new Folder(service);
    sub.DisplayName = 'sub';
    await sub.Save(new FolderId(createdId));

    const moved = await created.Move(projectsId);
    assert.equal(moved.Id.UniqueId, createdId, 'Move returned another FolderId');
    const imap = await imapList();
    assert.ok(imap.paths.includes(`Projects${delim}${RENAMED}`), `Projects${delim}${RENAMED} not in IMAP: ${imap.paths.join(', ')}`);
    assert.ok(imap.paths.includes(`Projects${delim}${RENAMED}${delim}sub`), `its subfolder did not move along: ${imap.paths.join(', ')}`);
    assert.ok(!imap.paths.some((p) => p.startsWith(`INBOX${delim}${TAG}`)), `still below INBOX: ${imap.paths.join(', ')}`);
    const bound = await Folder.Bind(service, new FolderId(createdId));
    assert.equal(bound.DisplayName, RENAMED);
    assert.equal(bound.ParentFolderId.UniqueId, projectsId.UniqueId);
    assert.equal(bound.TotalCount, 2);
    assert.equal(bound.ChildFolderCount, 1);
    assert.deepEqual(await imapStatus(`Projects${delim}${RENAMED}`), { messages: 2, unseen: 2 });
  });

  step('Copy(Inbox): a new folder with its own id, messages and subfolder copied', async () => {
    const copy = await created.Copy(WellKnownFolderName.Inbox);
    assert.ok(copy.Id?.UniqueId, 'Copy returned no id');
    assert.notEqual(copy.Id.UniqueId, createdId, 'the copy has the original id');
    copyId = copy.Id;
    const imap = await imapList();
    assert.ok(imap.paths.includes(`INBOX${delim}${RENAMED}`), `copy not in IMAP: ${imap.paths.join(', ')}`);
    assert.ok(imap.paths.includes(`Projects${delim}${RENAMED}`), 'the original is gone after Copy');
    assert.ok(imap.paths.includes(`INBOX${delim}${RENAMED}${delim}sub`), `the subfolder was not copied: ${imap.paths.join(', ')}`);
    assert.deepEqual(await imapStatus(`INBOX${delim}${RENAMED}`), { messages: 2, unseen: 2 });
    assert.deepEqual(await imapStatus(`Projects${delim}${RENAMED}`), { messages: 2, unseen: 2 }, 'the original lost messages');
    const bound = await Folder.Bind(service, copyId);
    assert.equal(bound.DisplayName, RENAMED);
    assert.equal(bound.ParentFolderId.UniqueId, inboxId.UniqueId);
    assert.equal(bound.TotalCount, 2);
    assert.equal(bound.ChildFolderCount, 1);
  });

  step('Empty(HardDelete, false) removes the messages and keeps the subfolder', async () => {
    await created.Empty(DeleteMode.HardDelete, false);
    assert.deepEqual(await imapStatus(`Projects${delim}${RENAMED}`), { messages: 0, unseen: 0 });
    const imap = await imapList();
    assert.ok(imap.paths.includes(`Projects${delim}${RENAMED}${delim}sub`), `the subfolder is gone: ${imap.paths.join(', ')}`);
    const bound = await Folder.Bind(service, new FolderId(createdId));
    assert.equal(bound.TotalCount, 0);
    assert.equal(bound.ChildFolderCount, 1);
  });

  step('Empty(HardDelete, true) on the copy removes messages and subfolders', async () => {
    const copy = await Folder.Bind(service, copyId);
    await copy.Empty(DeleteMode.HardDelete, true);
    assert.deepEqual(await imapStatus(`INBOX${delim}${RENAMED}`), { messages: 0, unseen: 0 });
    const imap = await imapList();
    assert.ok(imap.paths.includes(`INBOX${delim}${RENAMED}`), 'Empty deleted the folder itself');
    assert.ok(!imap.paths.includes(`INBOX${delim}${RENAMED}${delim}sub`), `the subfolder is still there: ${imap.paths.join(', ')}`);
    const bound = await Folder.Bind(service, copyId);
    assert.equal(bound.TotalCount, 0);
    assert.equal(bound.ChildFolderCount, 0);
  });

  step('Delete(HardDelete): both folders gone from Dovecot, their ids are ErrorFolderNotFound', async () => {
    const copy = await Folder.Bind(service, copyId);
    await copy.Delete(DeleteMode.HardDelete);
    await created.Delete(DeleteMode.HardDelete);
    const imap = await imapList();
    assert.deepEqual(
      imap.paths.filter((p) => p.includes(TAG)),
      [],
      'left in IMAP',
    );
    for (const id of [createdId, copyId.UniqueId]) {
      const code = await ewsErrorOf(Folder.Bind(service, new FolderId(id)));
      assert.ok(['ErrorFolderNotFound', 'ErrorItemNotFound'].includes(code), `Bind of a deleted folder: ${code}`);
    }
    const inbox = await Folder.Bind(service, WellKnownFolderName.Inbox);
    assert.equal(inbox.ChildFolderCount, 0);
  });

  step('Delete(MoveToDeletedItems) moves the folder into Trash', async () => {
    const f = new Folder(service);
    f.DisplayName = `${TAG}-soft`;
    await f.Save(WellKnownFolderName.Inbox);
    await f.Delete(DeleteMode.MoveToDeletedItems);
    const imap = await imapList();
    assert.ok(!imap.paths.includes(`INBOX${delim}${TAG}-soft`), 'still below INBOX');
    assert.ok(imap.paths.includes(`Trash${delim}${TAG}-soft`), `not in Trash: ${imap.paths.join(', ')}`);
    const deleted = await Folder.Bind(service, WellKnownFolderName.DeletedItems);
    const view = new FolderView(10);
    const kids = (await deleted.FindFolders(view)).Folders.map((k) => k.DisplayName);
    assert.ok(kids.includes(`${TAG}-soft`), `not below deleteditems: ${kids.join(', ')}`);
  });

  step('the Inbox cannot be deleted (ErrorDeleteDistinguishedFolder) and stays in Dovecot', async () => {
    const inbox = await Folder.Bind(service, WellKnownFolderName.Inbox);
    assert.equal(await ewsErrorOf(inbox.Delete(DeleteMode.HardDelete)), 'ErrorDeleteDistinguishedFolder');
    const imap = await imapList();
    assert.ok(imap.paths.includes('INBOX'));
  });
});
