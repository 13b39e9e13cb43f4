// CreateFolder / UpdateFolder / DeleteFolder / EmptyFolder on calendars, task lists
// and address books, checked on the Radicale side with plain WebDAV PROPFINDs (what
// any CalDAV/CardDAV client sees) and on the EWS side with FindFolder / GetFolder /
// SyncFolderHierarchy; then exchangelib 4.9 making and deleting a calendar.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { DOMParser } from '@xmldom/xmldom';
import type { Element } from '@xmldom/xmldom';
import type { TestUser } from './harness/backends.js';
import { davHomeUrl, davRequest } from './harness/clients.js';
import { seedUser } from './harness/seed.js';
import { all, codes, ews, one, responseMessages, startTestGateway, text, type TestGateway } from './support/gateway.js';
import { encodeFolderId } from '../src/ews/folders/folder-id.js';

const DAV = 'DAV:';
const CALDAV = 'urn:ietf:params:xml:ns:caldav';
const CARDDAV = 'urn:ietf:params:xml:ns:carddav';

let tg: TestGateway;
let user: TestUser;
let syncState0: string;
let defaults: Record<string, string>;

interface Collection {
  href: string;
  displayName?: string;
  calendar: boolean;
  addressBook: boolean;
  components: string[];
}

/** The user's collections as Radicale lists them (PROPFIND Depth 1 on the home). */
async function davCollections(): Promise<Collection[]> {
  const home = davHomeUrl(tg.backends, user);
  const body = `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:C="${CALDAV}"><D:prop><D:displayname/><D:resourcetype/><C:supported-calendar-component-set/></D:prop></D:propfind>`;
  const res = await davRequest(tg.backends, user, 'PROPFIND', home, { depth: '1', body });
  assert.equal(res.status, 207, `PROPFIND ${home}`);
  const doc = new DOMParser().parseFromString(await res.text(), 'text/xml');
  const homePath = new URL(home).pathname;
  return (Array.from(doc.getElementsByTagNameNS(DAV, 'response')) as Element[])
    .map((r) => {
      const rt = r.getElementsByTagNameNS(DAV, 'resourcetype')[0];
      return {
        href: decodeURIComponent(r.getElementsByTagNameNS(DAV, 'href')[0].textContent ?? ''),
        displayName: r.getElementsByTagNameNS(DAV, 'displayname')[0]?.textContent ?? undefined,
        calendar: !!rt && rt.getElementsByTagNameNS(CALDAV, 'calendar').length > 0,
        addressBook: !!rt && rt.getElementsByTagNameNS(CARDDAV, 'addressbook').length > 0,
        components: (Array.from(r.getElementsByTagNameNS(CALDAV, 'comp')) as Element[]).map((c) => c.getAttribute('name') ?? ''),
      };
    })
    .filter((c) => c.href !== decodeURIComponent(homePath));
}

async function davCollectionNamed(name: string): Promise<Collection | undefined> {
  return (await davCollections()).find((c) => c.displayName === name);
}

const shape = '<m:FolderShape><t:BaseShape>AllProperties</t:BaseShape></m:FolderShape>';

async function createFolder(parent: string, folderXml: string) {
  return ews(tg, user, `<m:CreateFolder><m:ParentFolderId>${parent}</m:ParentFolderId><m:Folders>${folderXml}</m:Folders></m:CreateFolder>`);
}

async function rename(id: string, typeEl: string, name: string) {
  return ews(
    tg,
    user,
    `<m:UpdateFolder><m:FolderChanges><t:FolderChange><t:FolderId Id="${id}"/><t:Updates><t:SetFolderField><t:FieldURI FieldURI="folder:DisplayName"/><t:${typeEl}><t:DisplayName>${name}</t:DisplayName></t:${typeEl}></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>`,
  );
}

async function getFolder(idXml: string) {
  return ews(tg, user, `<m:GetFolder>${shape}<m:FolderIds>${idXml}</m:FolderIds></m:GetFolder>`);
}

/** id → [element name, DisplayName, ChangeKey] of every folder directly under msgfolderroot. */
async function topLevel(): Promise<Map<string, [string, string, string]>> {
  const r = await ews(tg, user, `<m:FindFolder Traversal="Shallow">${shape}<m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>`);
  assert.deepEqual(codes(r.doc), ['NoError']);
  const folders = one(r.doc, 'Folders');
  const out = new Map<string, [string, string, string]>();
  for (const f of Array.from(folders.childNodes).filter((n) => n.nodeType === 1) as Element[]) {
    const id = one(f, 'FolderId');
    out.set(id.getAttribute('Id')!, [f.localName!, text(f, 'DisplayName') ?? '', id.getAttribute('ChangeKey')!]);
  }
  return out;
}

async function syncHierarchy(state?: string) {
  const r = await ews(tg, user, `<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>${state ? `<m:SyncState>${state}</m:SyncState>` : ''}</m:SyncFolderHierarchy>`);
  assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1000));
  const changes = one(r.doc, 'Changes', 'http://schemas.microsoft.com/exchange/services/2006/messages');
  const of = (kind: string) => all(changes, kind).map((c) => one(c, 'FolderId').getAttribute('Id')!);
  return { state: text(r.doc, 'SyncState', 'http://schemas.microsoft.com/exchange/services/2006/messages')!, creates: of('Create'), updates: of('Update'), deletes: of('Delete') };
}

before(async () => {
  tg = await startTestGateway();
  user = await tg.backends.addUser();
  await seedUser(tg.backends, user, { mail: false, dav: true });
  syncState0 = (await syncHierarchy()).state;
  const r = await getFolder('<t:DistinguishedFolderId Id="calendar"/><t:DistinguishedFolderId Id="tasks"/><t:DistinguishedFolderId Id="contacts"/>');
  assert.deepEqual(codes(r.doc), ['NoError', 'NoError', 'NoError']);
  const [c, t, k] = responseMessages(r.doc).map((m) => one(m, 'FolderId').getAttribute('Id')!);
  defaults = { calendar: c, tasks: t, contacts: k };
});

after(async () => {
  await tg?.close();
});

describe('DAV folders through the EWS folder operations', () => {
  const made: Record<'cal' | 'tasks' | 'book', string> = { cal: '', tasks: '', book: '' };
  let syncState1 = '';

  test('CreateFolder makes a VEVENT calendar, a VTODO list and an address book in Radicale', async () => {
    const cal = await createFolder('<t:DistinguishedFolderId Id="calendar"/>', '<t:CalendarFolder><t:DisplayName>Team Rota</t:DisplayName></t:CalendarFolder>');
    assert.deepEqual(codes(cal.doc), ['NoError'], cal.text.slice(0, 1500));
    assert.equal(all(cal.doc, 'CalendarFolder').length, 1);
    made.cal = one(cal.doc, 'FolderId').getAttribute('Id')!;
    // exchangelib and others create a plain Folder with a FolderClass.
    const tasks = await createFolder('<t:DistinguishedFolderId Id="msgfolderroot"/>', '<t:Folder><t:FolderClass>IPF.Task</t:FolderClass><t:DisplayName>Chores</t:DisplayName></t:Folder>');
    assert.deepEqual(codes(tasks.doc), ['NoError'], tasks.text.slice(0, 1500));
    assert.equal(all(tasks.doc, 'TasksFolder').length, 1);
    made.tasks = one(tasks.doc, 'FolderId').getAttribute('Id')!;
    const book = await createFolder('<t:DistinguishedFolderId Id="contacts"/>', '<t:ContactsFolder><t:DisplayName>Família &amp; Co</t:DisplayName></t:ContactsFolder>');
    assert.deepEqual(codes(book.doc), ['NoError'], book.text.slice(0, 1500));
    made.book = one(book.doc, 'FolderId').getAttribute('Id')!;
    assert.equal(new Set(Object.values(made)).size, 3);

    const rota = await davCollectionNamed('Team Rota');
    assert.ok(rota?.calendar, 'Team Rota is a calendar collection');
    assert.deepEqual(rota!.components, ['VEVENT']);
    const chores = await davCollectionNamed('Chores');
    assert.ok(chores?.calendar, 'Chores is a calendar collection');
    assert.deepEqual(chores!.components, ['VTODO']);
    const fam = await davCollectionNamed('Família & Co');
    assert.ok(fam?.addressBook, 'Família & Co is an address book');
    assert.ok(!fam!.calendar);
  });

  test('the new folders are listed by FindFolder / GetFolder under the ids CreateFolder answered', async () => {
    const top = await topLevel();
    assert.deepEqual(top.get(made.cal)?.slice(0, 2), ['CalendarFolder', 'Team Rota']);
    assert.deepEqual(top.get(made.tasks)?.slice(0, 2), ['TasksFolder', 'Chores']);
    assert.deepEqual(top.get(made.book)?.slice(0, 2), ['ContactsFolder', 'Família & Co']);
    const r = await getFolder(`<t:FolderId Id="${made.cal}"/><t:FolderId Id="${made.tasks}"/><t:FolderId Id="${made.book}"/>`);
    assert.deepEqual(codes(r.doc), ['NoError', 'NoError', 'NoError']);
    assert.deepEqual(all(r.doc, 'FolderClass').map((e) => e.textContent), ['IPF.Appointment', 'IPF.Task', 'IPF.Contact']);
    // A new task list does not take the Tasks folder over from the default calendar, nor a calendar Calendar.
    const d = await getFolder('<t:DistinguishedFolderId Id="calendar"/><t:DistinguishedFolderId Id="tasks"/><t:DistinguishedFolderId Id="contacts"/>');
    assert.deepEqual(
      responseMessages(d.doc).map((m) => one(m, 'FolderId').getAttribute('Id')),
      [defaults.calendar, defaults.tasks, defaults.contacts],
    );
  });

  test('SyncFolderHierarchy reports the three new folders as created', async () => {
    const s = await syncHierarchy(syncState0);
    for (const id of Object.values(made)) assert.ok(s.creates.includes(id), `Create for ${id}`);
    assert.deepEqual(s.deletes, []);
    syncState1 = s.state;
  });

  test('CreateItem with SavedItemFolderId stores the event in the new calendar, not the default one', async () => {
    const r = await ews(
      tg,
      user,
      `<m:CreateItem SendMeetingInvitations="SendToNone"><m:SavedItemFolderId><t:FolderId Id="${made.cal}"/></m:SavedItemFolderId><m:Items><t:CalendarItem><t:Subject>Rota kickoff</t:Subject><t:Start>2026-12-14T09:00:00Z</t:Start><t:End>2026-12-14T10:00:00Z</t:End></t:CalendarItem></m:Items></m:CreateItem>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    const rota = (await davCollectionNamed('Team Rota'))!;
    const listing = await (await davRequest(tg.backends, user, 'PROPFIND', encodeURI(rota.href), { depth: '1' })).text();
    const hrefs = [...listing.matchAll(/<(?:\w+:)?href>([^<]+\.ics)<\/(?:\w+:)?href>/g)].map((m) => m[1]);
    assert.equal(hrefs.length, 1, listing.slice(0, 800));
    assert.match(await (await davRequest(tg.backends, user, 'GET', hrefs[0])).text(), /SUMMARY:Rota kickoff/);
    const inDefault = await ews(tg, user, `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>Default</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"/></m:ParentFolderIds></m:FindItem>`);
    assert.ok(!all(inDefault.doc, 'Subject').some((s) => s.textContent === 'Rota kickoff'));
    const task = await ews(tg, user, `<m:CreateItem><m:SavedItemFolderId><t:FolderId Id="${made.tasks}"/></m:SavedItemFolderId><m:Items><t:Task><t:Subject>Take out the bins</t:Subject></t:Task></m:Items></m:CreateItem>`);
    assert.deepEqual(codes(task.doc), ['NoError'], task.text.slice(0, 1500));
  });

  test('UpdateFolder renames the collections (PROPPATCH displayname); the FolderIds stay', async () => {
    for (const [id, el, name] of [
      [made.cal, 'CalendarFolder', 'Team Rota 2027'],
      [made.tasks, 'TasksFolder', 'Chores / weekly'],
      [made.book, 'ContactsFolder', 'Família (renomeada)'],
    ]) {
      const r = await rename(id, el, name);
      assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
      assert.equal(one(r.doc, 'FolderId').getAttribute('Id'), id);
      assert.ok(await davCollectionNamed(name), `${name} in Radicale`);
    }
    assert.equal(await davCollectionNamed('Team Rota'), undefined);
    const top = await topLevel();
    assert.equal(top.get(made.cal)?.[1], 'Team Rota 2027');
    assert.equal(top.get(made.tasks)?.[1], 'Chores / weekly');
    assert.equal(top.get(made.book)?.[1], 'Família (renomeada)');
    const s = await syncHierarchy(syncState1);
    for (const id of Object.values(made)) assert.ok(s.updates.includes(id), `Update for ${id}`);
    assert.deepEqual(s.creates, []);
    syncState1 = s.state;
  });

  test('refusals: distinguished DAV folders, name collisions, unknown or wrong parents, move and copy', async () => {
    const del = await ews(
      tg,
      user,
      `<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds><t:DistinguishedFolderId Id="calendar"/><t:DistinguishedFolderId Id="tasks"/><t:FolderId Id="${defaults.contacts}"/></m:FolderIds></m:DeleteFolder>`,
    );
    assert.deepEqual(codes(del.doc), ['ErrorDeleteDistinguishedFolder', 'ErrorDeleteDistinguishedFolder', 'ErrorDeleteDistinguishedFolder']);
    const ren = await rename(defaults.calendar, 'CalendarFolder', 'Mine');
    assert.deepEqual(codes(ren.doc), ['ErrorInvalidOperation']);
    assert.ok(await davCollectionNamed('Calendar'), 'the default calendar kept its name');

    const dup = await createFolder('<t:DistinguishedFolderId Id="calendar"/>', '<t:CalendarFolder><t:DisplayName>team rota 2027</t:DisplayName></t:CalendarFolder>');
    assert.deepEqual(codes(dup.doc), ['ErrorFolderExists']);
    const dupRename = await rename(made.tasks, 'TasksFolder', 'Team Rota 2027');
    assert.deepEqual(codes(dupRename.doc), ['ErrorFolderExists']);
    assert.ok(await davCollectionNamed('Chores / weekly'), 'the refused rename changed nothing');

    const ghost = encodeFolderId({ kind: 'dav', store: 'calendar', view: 'VEVENT', href: `${new URL(davHomeUrl(tg.backends, user)).pathname}no-such-calendar/` });
    const unknown = await createFolder(`<t:FolderId Id="${ghost}"/>`, '<t:CalendarFolder><t:DisplayName>Orphan</t:DisplayName></t:CalendarFolder>');
    assert.deepEqual(codes(unknown.doc), ['ErrorFolderNotFound']);
    const malformed = await createFolder('<t:FolderId Id="not-an-id"/>', '<t:CalendarFolder><t:DisplayName>Orphan</t:DisplayName></t:CalendarFolder>');
    assert.deepEqual(codes(malformed.doc), ['ErrorInvalidIdMalformed']);
    const wrongParent = await createFolder('<t:DistinguishedFolderId Id="inbox"/>', '<t:ContactsFolder><t:DisplayName>Orphan</t:DisplayName></t:ContactsFolder>');
    assert.deepEqual(codes(wrongParent.doc), ['ErrorInvalidOperation']);
    const bookUnderCalendar = await createFolder(`<t:FolderId Id="${made.cal}"/>`, '<t:ContactsFolder><t:DisplayName>Orphan</t:DisplayName></t:ContactsFolder>');
    assert.deepEqual(codes(bookUnderCalendar.doc), ['ErrorInvalidOperation']);
    assert.equal(await davCollectionNamed('Orphan'), undefined);

    const move = await ews(tg, user, `<m:MoveFolder><m:ToFolderId><t:DistinguishedFolderId Id="inbox"/></m:ToFolderId><m:FolderIds><t:FolderId Id="${made.cal}"/></m:FolderIds></m:MoveFolder>`);
    assert.deepEqual(codes(move.doc), ['ErrorInvalidOperation']);
    const copy = await ews(tg, user, `<m:CopyFolder><m:ToFolderId><t:DistinguishedFolderId Id="msgfolderroot"/></m:ToFolderId><m:FolderIds><t:FolderId Id="${made.book}"/></m:FolderIds></m:CopyFolder>`);
    assert.deepEqual(codes(copy.doc), ['ErrorInvalidOperation']);
    const scratch = await createFolder('<t:DistinguishedFolderId Id="msgfolderroot"/>', '<t:Folder><t:DisplayName>Scratch</t:DisplayName></t:Folder>');
    assert.deepEqual(codes(scratch.doc), ['NoError']);
    const scratchId = one(scratch.doc, 'FolderId').getAttribute('Id')!;
    const moveInto = await ews(tg, user, `<m:MoveFolder><m:ToFolderId><t:FolderId Id="${made.cal}"/></m:ToFolderId><m:FolderIds><t:FolderId Id="${scratchId}"/></m:FolderIds></m:MoveFolder>`);
    assert.deepEqual(codes(moveInto.doc), ['ErrorInvalidOperation']);
    const mailUnderBook = await createFolder(`<t:FolderId Id="${made.book}"/>`, '<t:Folder><t:DisplayName>Orphan</t:DisplayName></t:Folder>');
    assert.deepEqual(codes(mailUnderBook.doc), ['ErrorInvalidOperation']);
    const cleanup = await ews(tg, user, `<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds><t:FolderId Id="${scratchId}"/></m:FolderIds></m:DeleteFolder>`);
    assert.deepEqual(codes(cleanup.doc), ['NoError']);
  });

  test('EmptyFolder deletes every event of the calendar and every card of the address book, and leaves the collections', async () => {
    const card = await ews(tg, user, `<m:CreateItem><m:SavedItemFolderId><t:FolderId Id="${made.book}"/></m:SavedItemFolderId><m:Items><t:Contact><t:GivenName>Rosa</t:GivenName><t:Surname>Prima</t:Surname></t:Contact></m:Items></m:CreateItem>`);
    assert.deepEqual(codes(card.doc), ['NoError'], card.text.slice(0, 1500));
    const book = (await davCollectionNamed('Família (renomeada)'))!;
    const bookListing = async () => (await davRequest(tg.backends, user, 'PROPFIND', encodeURI(book.href), { depth: '1' })).text();
    assert.match(await bookListing(), /\.vcf</);
    const r = await ews(
      tg,
      user,
      `<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="false"><m:FolderIds><t:FolderId Id="${made.cal}"/><t:FolderId Id="${made.book}"/></m:FolderIds></m:EmptyFolder>`,
    );
    assert.deepEqual(codes(r.doc), ['NoError', 'NoError'], r.text.slice(0, 1500));
    assert.doesNotMatch(await bookListing(), /\.vcf</);
    const found = await ews(tg, user, `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:FolderId Id="${made.cal}"/></m:ParentFolderIds></m:FindItem>`);
    assert.deepEqual(codes(found.doc), ['NoError']);
    assert.equal(all(found.doc, 'CalendarItem').length, 0);
    const rota = (await davCollectionNamed('Team Rota 2027'))!;
    const listing = await (await davRequest(tg.backends, user, 'PROPFIND', encodeURI(rota.href), { depth: '1' })).text();
    assert.doesNotMatch(listing, /\.ics</);
  });

  test('DeleteFolder removes the collections whatever the DeleteType; SyncFolderHierarchy reports it', async () => {
    const types = { cal: 'HardDelete', tasks: 'MoveToDeletedItems', book: 'SoftDelete' } as const;
    for (const k of ['cal', 'tasks', 'book'] as const) {
      const r = await ews(tg, user, `<m:DeleteFolder DeleteType="${types[k]}"><m:FolderIds><t:FolderId Id="${made[k]}"/></m:FolderIds></m:DeleteFolder>`);
      assert.deepEqual(codes(r.doc), ['NoError'], r.text.slice(0, 1500));
    }
    const left = (await davCollections()).map((c) => c.displayName);
    for (const n of ['Team Rota 2027', 'Chores / weekly', 'Família (renomeada)']) assert.ok(!left.includes(n), `${n} still in Radicale: ${left.join()}`);
    assert.ok(left.includes('Calendar') && left.includes('Contacts'), 'the defaults stay');
    const g = await getFolder(`<t:FolderId Id="${made.cal}"/><t:FolderId Id="${made.book}"/>`);
    assert.deepEqual(codes(g.doc), ['ErrorFolderNotFound', 'ErrorFolderNotFound']);
    const again = await ews(tg, user, `<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds><t:FolderId Id="${made.tasks}"/></m:FolderIds></m:DeleteFolder>`);
    assert.deepEqual(codes(again.doc), ['ErrorFolderNotFound']);
    const s = await syncHierarchy(syncState1);
    assert.deepEqual(s.deletes.slice().sort(), Object.values(made).slice().sort());
    assert.deepEqual(s.creates, []);
  });
});

// exchangelib's own way: Calendar(parent=account.calendar, name=...).save(), then delete().
const EXCHANGELIB = String.raw`
import json, os, sys
from exchangelib import BASIC, DELEGATE, Account, Build, Configuration, Credentials, Version
from exchangelib.folders import Calendar, Contacts, Tasks
cfg = Configuration(service_endpoint=os.environ["EWS_URL"], credentials=Credentials(os.environ["EWS_USER"], os.environ["EWS_PASSWORD"]),
                    auth_type=BASIC, version=Version(build=Build(15, 1)))
a = Account(primary_smtp_address=os.environ["EWS_USER"], config=cfg, autodiscover=False, access_type=DELEGATE)
out = {}
cal = Calendar(parent=a.calendar, name="exl Calendar")
cal.save()
out["cal_id"] = cal.id
a.root.clear_cache()
out["found"] = [f.id for f in a.msg_folder_root.children if f.name == "exl Calendar"]
book = Contacts(parent=a.contacts, name="exl Contacts")
book.save()
out["book_id"] = book.id
tasks = Tasks(parent=a.tasks, name="exl Tasks")
tasks.save()
out["tasks_id"] = tasks.id
cal.name = "exl Calendar renamed"
cal.save()
a.root.clear_cache()
out["renamed_found"] = [f.id for f in a.msg_folder_root.children if f.name == "exl Calendar renamed"]
out["renamed_id"] = cal.id
cal.delete()
book.delete()
tasks.delete()
out["deleted"] = cal.id is None and book.id is None and tasks.id is None
print(json.dumps(out))
`;

function runPython(script: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Debian's python3-exchangelib lives in the system Python.
    const child = spawn('/usr/bin/python3', ['-c', script], { env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONIOENCODING: 'utf-8', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('exchangelib: Calendar / Contacts / Tasks(parent=...).save(), rename, delete()', async () => {
  const py = await runPython(EXCHANGELIB, { EWS_URL: tg.ewsUrl, EWS_USER: user.email, EWS_PASSWORD: user.password });
  assert.equal(py.code, 0, `${py.stderr.slice(-3000)}\n${py.stdout.slice(-1000)}`);
  const out = JSON.parse(py.stdout.trim().split('\n').pop()!) as { cal_id: string; found: string[]; book_id: string; tasks_id: string; renamed_id: string; renamed_found: string[]; deleted: boolean };
  assert.deepEqual(out.found, [out.cal_id], 'the calendar is listed under the id save() got');
  assert.equal(out.renamed_id, out.cal_id);
  assert.deepEqual(out.renamed_found, [out.cal_id], 'the renamed calendar is listed under its id');
  assert.equal(out.deleted, true);
  const left = (await davCollections()).map((c) => c.displayName ?? '');
  assert.ok(!left.some((n) => n.startsWith('exl ')), `left in Radicale: ${left.join()}`);
});

test('a CalDAV server that does not answer: CreateFolder of a calendar is ErrorMailboxStoreUnavailable, not a crash', async () => {
  const down = await startTestGateway({ caldav: 'http://127.0.0.1:9/' });
  try {
    for (const parent of ['calendar', 'msgfolderroot']) {
      const r = await ews(
        { ...tg, ewsUrl: down.ewsUrl },
        user,
        `<m:CreateFolder><m:ParentFolderId><t:DistinguishedFolderId Id="${parent}"/></m:ParentFolderId><m:Folders><t:CalendarFolder><t:DisplayName>Offline</t:DisplayName></t:CalendarFolder></m:Folders></m:CreateFolder>`,
      );
      assert.deepEqual(codes(r.doc), ['ErrorMailboxStoreUnavailable'], r.text.slice(0, 1000));
    }
  } finally {
    await down.close();
  }
  assert.equal(await davCollectionNamed('Offline'), undefined);
});
