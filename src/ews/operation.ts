// What an EWS operation is: one file under operations/ exporting an Operation,
// one line in registry.ts. Handlers return one result per requested id; the
// uniform Success/Warning/Error wrapping is done here, once.
import type { ExchangeVersion } from '../soap/envelope.js';
import { later, x, type Element, type Xml, type XmlChild } from '../soap/xml.js';
import type { MailStore } from '../ports/mail-store.js';
import type { Submission } from '../ports/submission.js';
import type { CalendarStore } from '../ports/calendar-store.js';
import type { ContactStore } from '../ports/contact-store.js';
import type { Directory } from '../ports/directory.js';
import type { FreeBusyReader } from '../ports/free-busy.js';
import type { UserNotifications } from '../notify/hub.js';
import { EwsError, asEwsError } from './errors.js';

export interface AuthenticatedUser {
  /** What the user typed (the backend login). */
  login: string;
  /** Primary SMTP address. */
  email: string;
  displayName: string;
}

export interface Mailbox {
  mail: MailStore;
  submission: Submission;
  calendars?: CalendarStore;
  contacts?: ContactStore;
  /** The global address list (LDAP, or an address book serving as one), when configured. */
  directory?: Directory;
  /** Other users' calendars through the gateway's read-only free/busy credential, when configured. */
  freeBusy?: FreeBusyReader;
}

export interface RequestContext {
  user: AuthenticatedUser;
  version: ExchangeVersion;
  mailbox: Mailbox;
  /** The Windows time zone of the request's TimeZoneContext header, when it has one. */
  timeZoneId?: string;
  /** Server-wide secret for signing self-contained states. */
  stateSecret: Buffer;
  /** Subscriptions and notifications (src/notify/), bound to this request's user and credentials. */
  notifications?: UserNotifications;
}

/**
 * An answer that stays open (GetStreamingEvents): `run` sends one SOAP envelope per
 * `send` on a chunked response until it calls `end` or the client goes away (`closed`).
 * The backend session is released before `run` starts: a waiting client holds no backend.
 */
export interface StreamingAnswer {
  readonly streaming: true;
  run(out: StreamOut): Promise<void>;
}

export interface StreamOut {
  send(body: Xml): void;
  end(): void;
  /** Resolves when the client disconnects or `end` was called. */
  readonly closed: Promise<void>;
  readonly isClosed: () => boolean;
}

export interface Operation {
  /** The operation's name, e.g. "GetFolder" (the WSDL operation). */
  readonly name: string;
  /** The SOAP body element when it is not named after the operation (GetUserAvailabilityRequest). */
  readonly requestElement?: string;
  handle(request: Element, ctx: RequestContext): Promise<Xml | StreamingAnswer>;
}

export function isStreaming(a: Xml | StreamingAnswer): a is StreamingAnswer {
  return (a as StreamingAnswer).streaming === true;
}

/** One item's outcome: its content on success, an EwsError on failure, or a warning with content. */
export type ItemResult = { content: XmlChild; warning?: EwsError } | EwsError;

export const ok = (...content: XmlChild[]): ItemResult => ({ content });

/**
 * `<m:{op}Response><m:ResponseMessages><m:{op}ResponseMessage ResponseClass=…>`
 * with one message per result, in request order. A result still on its way (a promise)
 * makes the answer one that is written as its messages arrive (see Xml.stream).
 */
export function respond(op: string, results: (ItemResult | Promise<ItemResult>)[], emptyOnError?: (message: string) => XmlChild): Xml {
  const messageName = `m:${op}ResponseMessage`;
  const message = (r: ItemResult): Xml => {
    if (r instanceof EwsError) {
      return x(
        messageName,
        { ResponseClass: 'Error' },
        x('m:MessageText', null, r.message),
        x('m:ResponseCode', null, r.code),
        x('m:DescriptiveLinkKey', null, '0'),
        r.extra?.backOffMs !== undefined ? x('m:MessageXml', null, x('t:Value', { Name: 'BackOffMilliseconds' }, String(r.extra.backOffMs))) : undefined,
        emptyOnError?.(messageName),
      );
    }
    if (r.warning) {
      return x(
        messageName,
        { ResponseClass: 'Warning' },
        x('m:MessageText', null, r.warning.message),
        x('m:ResponseCode', null, r.warning.code),
        x('m:DescriptiveLinkKey', null, '0'),
        r.content,
      );
    }
    return x(messageName, { ResponseClass: 'Success' }, x('m:ResponseCode', null, 'NoError'), r.content);
  };
  return x(
    `m:${op}Response`,
    null,
    x(
      'm:ResponseMessages',
      null,
      results.map((r) => (r instanceof Promise ? later(r.then(message)) : message(r))),
    ),
  );
}

/** Runs `fn` per input, turning a thrown EwsError into that item's error and keeping the order. */
export async function eachItem<T>(inputs: T[], fn: (input: T, index: number) => Promise<ItemResult>): Promise<ItemResult[]> {
  const out: ItemResult[] = [];
  for (let i = 0; i < inputs.length; i++) {
    try {
      out.push(await fn(inputs[i], i));
    } catch (e) {
      const err = asEwsError(e);
      if (!err) throw e;
      out.push(err);
    }
  }
  return out;
}
