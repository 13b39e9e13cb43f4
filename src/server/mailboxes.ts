// Opens a user's mailbox ports with their own credentials. The one place that
// knows which adapter serves which port.
import { ImapSessionPool } from '../../adapters/imap/pool.js';
import { MessageCache } from '../../adapters/imap/message-cache.js';
import { smtpSubmission } from '../../adapters/smtp/smtp-submission.js';
import { CalDavCalendarStore } from '../../adapters/caldav/caldav-store.js';
import { CollectionMirror } from '../../adapters/dav/collection-mirror.js';
import { CardDavConnector } from '../../adapters/carddav/carddav-store.js';
import { CardDavDirectory } from '../../adapters/carddav/carddav-directory.js';
import { LdapDirectory } from '../../adapters/ldap/ldap-directory.js';
import { CalDavFreeBusyReader } from '../../adapters/caldav/freebusy-reader.js';
import type { Config } from '../config.js';
import type { Mailbox } from '../ews/operation.js';

export interface OpenMailbox {
  mailbox: Mailbox;
  release(): void;
}

export interface MailboxProvider {
  /** Throws BackendAuthError for wrong credentials, BackendUnavailableError when a backend is down. */
  open(login: string, password: string): Promise<OpenMailbox>;
  /** Live backend connections (health, tests). */
  connections(): number;
  close(): Promise<void>;
}

export function createMailboxProvider(config: Config): MailboxProvider {
  const imap = new ImapSessionPool(
    {
      host: config.imap.hostname.replace(/^\[|\]$/g, ''),
      port: Number(config.imap.port) || (config.imap.protocol === 'imaps:' ? 993 : 143),
      secure: config.imap.protocol === 'imaps:',
      allowUntrusted: config.imap.searchParams.get('tls') === 'insecure',
    },
    config.sessionIdleSeconds * 1000,
    undefined,
    new MessageCache(config.messageCacheBytes),
  );
  // One per process: copies of calendars and address books, each read re-validated by a sync with the caller's credential.
  const davMirror = new CollectionMirror(config.davMirrorBytes);
  const carddav = new CardDavConnector({ url: config.carddav.toString(), mirror: davMirror });
  const dir = config.directory;
  // LDAP binds with the gateway's own read-only credential: one directory for every user.
  const ldap =
    dir?.kind === 'ldap'
      ? new LdapDirectory({ url: dir.url.toString(), baseDn: dir.baseDn, bindDn: dir.bindDn, bindPassword: dir.bindPassword, timeoutMs: dir.timeoutMs })
      : undefined;
  // One read-only CalDAV credential for every user's view of the others' free/busy.
  const freeBusy = config.freeBusy
    ? new CalDavFreeBusyReader({ baseUrl: config.caldav.toString(), username: config.freeBusy.user, password: config.freeBusy.password, homePattern: config.freeBusy.home })
    : undefined;
  return {
    async open(login, password) {
      const mail = await imap.open(login, password);
      const submission = smtpSubmission({ url: config.smtp }, login, password);
      // DAV stores are stateless HTTP clients holding the credential for this request only.
      const calendars = new CalDavCalendarStore({ baseUrl: config.caldav.toString(), username: login, password, mirror: davMirror });
      const contacts = carddav.open(login, password);
      const directory = ldap ?? (dir?.kind === 'addressbook' ? new CardDavDirectory(contacts, dir.book) : undefined);
      return { mailbox: { mail, submission, calendars, contacts, directory, freeBusy }, release: () => mail.release() };
    },
    connections: () => imap.size,
    close: () => imap.close(),
  };
}
