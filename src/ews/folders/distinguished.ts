// Distinguished folder ids (MS-OXWSCDATA DistinguishedFolderIdNameType) and where
// each one lives: an IMAP folder found by SPECIAL-USE, then by well-known names,
// or a stable, empty, virtual folder of the right class (a missing well-known
// folder stalls Outlook for Mac; see CLIENTS.md).
import type { SpecialUse } from '../../ports/mail-store.js';

export interface DistinguishedFolder {
  id: string;
  displayName: string;
  folderClass: string;
  /** IMAP SPECIAL-USE attribute that marks the backing folder. */
  specialUse?: SpecialUse;
  /** Top-level IMAP names tried when no folder carries the attribute (case-insensitive). */
  names?: string[];
  /** Where the virtual folder hangs: in the visible IPM subtree or the hidden non-IPM root. */
  parent: 'root' | 'msgfolderroot' | null;
  /** No folder of this kind exists here at all: ErrorFolderNotFound, as Exchange without an archive mailbox. */
  absent?: boolean;
}

const d = (id: string, displayName: string, folderClass: string, parent: DistinguishedFolder['parent'], more: Partial<DistinguishedFolder> = {}): DistinguishedFolder => ({
  id,
  displayName,
  folderClass,
  parent,
  ...more,
});

export const DISTINGUISHED_FOLDERS: readonly DistinguishedFolder[] = [
  d('root', 'Root', '', null),
  d('msgfolderroot', 'Top of Information Store', 'IPF.Note', 'root'),
  d('inbox', 'Inbox', 'IPF.Note', 'msgfolderroot', { specialUse: '\\Inbox', names: ['INBOX'] }),
  d('drafts', 'Drafts', 'IPF.Note', 'msgfolderroot', { specialUse: '\\Drafts', names: ['Drafts'] }),
  d('sentitems', 'Sent Items', 'IPF.Note', 'msgfolderroot', { specialUse: '\\Sent', names: ['Sent', 'Sent Items', 'Sent Messages'] }),
  d('deleteditems', 'Deleted Items', 'IPF.Note', 'msgfolderroot', { specialUse: '\\Trash', names: ['Trash', 'Deleted Items', 'Deleted Messages'] }),
  d('junkemail', 'Junk Email', 'IPF.Note', 'msgfolderroot', { specialUse: '\\Junk', names: ['Junk', 'Spam', 'Junk Email', 'Junk E-mail'] }),
  d('archive', 'Archive', 'IPF.Note', 'msgfolderroot', { specialUse: '\\Archive', names: ['Archive', 'Archives'] }),
  d('outbox', 'Outbox', 'IPF.Note', 'msgfolderroot', { names: ['Outbox'] }),
  d('calendar', 'Calendar', 'IPF.Appointment', 'msgfolderroot'),
  d('contacts', 'Contacts', 'IPF.Contact', 'msgfolderroot'),
  d('tasks', 'Tasks', 'IPF.Task', 'msgfolderroot'),
  d('notes', 'Notes', 'IPF.StickyNote', 'msgfolderroot'),
  d('journal', 'Journal', 'IPF.Journal', 'msgfolderroot'),
  d('conversationhistory', 'Conversation History', 'IPF.Note.Microsoft.Conversation', 'root'),
  d('recipientcache', 'Recipient Cache', 'IPF.Contact.RecipientCache', 'root'),
  d('quickcontacts', 'Quick Contacts', 'IPF.Contact.MOC.QuickContacts', 'root'),
  d('imcontactlist', 'IM Contact List', 'IPF.Contact.MOC.ImContactList', 'root'),
  d('mycontacts', 'My Contacts', 'IPF.Contact.MyContactsFolder', 'root'),
  d('peopleconnect', 'PeopleConnect', 'IPF.Contact', 'root'),
  d('favorites', 'Favorites', 'IPF.Note', 'root'),
  d('searchfolders', 'Finder', '', 'root'),
  d('todosearch', 'To-Do Search', 'IPF.Task', 'root'),
  d('syncissues', 'Sync Issues', 'IPF.Note', 'root'),
  d('conflicts', 'Conflicts', 'IPF.Note', 'root'),
  d('localfailures', 'Local Failures', 'IPF.Note', 'root'),
  d('serverfailures', 'Server Failures', 'IPF.Note', 'root'),
  d('voicemail', 'Voice Mail', 'IPF.Note.Microsoft.Voicemail', 'root'),
  d('directory', 'Directory', 'IPF.Contact', 'root'),
  d('companycontacts', 'Company Contacts', 'IPF.Contact.Company', 'root'),
  d('recoverableitemsroot', 'Recoverable Items', '', 'root'),
  d('recoverableitemsdeletions', 'Deletions', '', 'root'),
  d('recoverableitemsversions', 'Versions', '', 'root'),
  d('recoverableitemspurges', 'Purges', '', 'root'),
  d('adminauditlogs', 'AdminAuditLogs', '', 'root'),
  d('allitems', 'AllItems', 'IPF', 'root'),
  d('allcategorizeditems', 'AllCategorizedItems', 'IPF', 'root'),
  d('allcontacts', 'AllContacts', 'IPF.Contact', 'root'),
  d('allpersonmetadata', 'AllPersonMetadata', '', 'root'),
  d('externalcontacts', 'External Contacts', 'IPF.Contact', 'root'),
  d('workingset', 'Working Set', 'IPF.Note', 'root'),
  d('fromfavoritesenders', 'From Favorite Senders', 'IPF.Note', 'root'),
  d('clutter', 'Clutter', 'IPF.Note', 'root'),
  d('archiveroot', 'Archive Root', '', null, { absent: true }),
  d('archivemsgfolderroot', 'Archive Top of Information Store', '', null, { absent: true }),
  d('archivedeleteditems', 'Archive Deleted Items', '', null, { absent: true }),
  d('archiveinbox', 'Archive Inbox', '', null, { absent: true }),
  d('archiverecoverableitemsroot', 'Archive Recoverable Items', '', null, { absent: true }),
  d('archiverecoverableitemsdeletions', 'Archive Deletions', '', null, { absent: true }),
  d('archiverecoverableitemsversions', 'Archive Versions', '', null, { absent: true }),
  d('archiverecoverableitemspurges', 'Archive Purges', '', null, { absent: true }),
  d('publicfoldersroot', 'Public Folders', '', null, { absent: true }),
];

const byId = new Map(DISTINGUISHED_FOLDERS.map((f) => [f.id, f]));

export function distinguished(id: string): DistinguishedFolder | undefined {
  return byId.get(id);
}
