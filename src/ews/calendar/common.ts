// The ItemType part shared by CalendarItem and Task (the schema's base sequence,
// which both extend), and small helpers. Pure.
import { versionAtLeast, type ExchangeVersion } from '../../soap/envelope.js';
import { x, type Xml, type XmlChild } from '../../soap/xml.js';
import { htmlToText, textToHtml } from '../../convert/body.js';
import { expandObject, isRecurring } from '../../convert/recurrence-expand.js';
import type { Attachment, CalendarEvent, Person } from '../../convert/ical.js';
import type { AnyCalendarView, CalendarRenderContext } from './views.js';
import { ownItemRights } from '../items/effective-rights.js';

/** Rendering a view asks this for the same instants over and over (a year's CalendarView: ~20 per item). */
const isoCache = new Map<number, string>();

export function isoUtc(d: Date | undefined): string | undefined {
  const ms = d?.getTime();
  if (ms === undefined || Number.isNaN(ms)) return undefined;
  let s = isoCache.get(ms);
  if (s === undefined) {
    s = d!.toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (isoCache.size >= 50_000) isoCache.clear();
    isoCache.set(ms, s);
  }
  return s;
}

export const bool = (v: boolean) => (v ? 'true' : 'false');

export function mailbox(p: Person): Xml {
  return x(
    't:Mailbox',
    null,
    x('t:Name', null, p.name || p.email),
    x('t:EmailAddress', null, p.email),
    x('t:RoutingType', null, 'SMTP'),
    x('t:MailboxType', null, 'OneOff'),
  );
}

function userAddresses(rc: CalendarRenderContext): string[] {
  return [rc.user.email, ...(rc.user.addresses ?? [])].map((a) => a.toLowerCase());
}

/** Whether the user organizes the event (no organizer at all: a plain appointment, theirs). */
export function isOrganizer(e: CalendarEvent, rc: CalendarRenderContext): boolean {
  if (!e.organizer) return true;
  return userAddresses(rc).includes(e.organizer.email.toLowerCase());
}

export function myResponseType(
  e: CalendarEvent,
  rc: CalendarRenderContext,
): 'Unknown' | 'Organizer' | 'Tentative' | 'Accept' | 'Decline' | 'NoResponseReceived' {
  if (isOrganizer(e, rc)) return 'Organizer';
  const me = userAddresses(rc);
  const a = e.attendees.find((x) => me.includes(x.email.toLowerCase()));
  if (!a) return 'Unknown';
  return a.response === 'Organizer' ? 'Organizer' : a.response;
}

export interface ItemFacts {
  itemClass: string;
  subject: string;
  sensitivity: string;
  importance: string;
  categories: string[];
  body: string;
  htmlBody?: string;
  attachments: Attachment[];
  created?: Date;
  lastModified?: Date;
  sent?: Date;
  size: number;
  reminderIsSet: boolean;
  reminderDueBy?: Date;
  reminderMinutes?: number;
  displayTo: string;
  displayCc: string;
}

/** When a series' next reminder is due: the start of the next instance from now (else the first). */
function nextStart(view: AnyCalendarView): Date | undefined {
  if (view.kind !== 'calendar') return undefined;
  if (view.occurrence) return view.occurrence.start.utc;
  if (!isRecurring(view.object)) return view.event.start.utc;
  const now = Date.now();
  const next = expandObject(view.object, { start: new Date(now), end: new Date(now + 400 * 86_400_000) }, { max: 1 })[0];
  return next?.start.utc ?? view.event.start.utc;
}

const factsCache = new WeakMap<AnyCalendarView, ItemFacts>();

/** An unmodified occurrence shows its master's facts but for the reminder: computed once per series. */
const seriesFactsCache = new WeakMap<CalendarEvent, { data: string; facts: ItemFacts }>();

export function facts(view: AnyCalendarView): ItemFacts {
  const cached = factsCache.get(view);
  if (cached) return cached;
  if (view.kind === 'calendar' && view.type === 'Occurrence' && view.occurrence) {
    let shared = seriesFactsCache.get(view.event);
    if (!shared || shared.data !== view.data) seriesFactsCache.set(view.event, (shared = { data: view.data, facts: computeFacts(view) }));
    const f = { ...shared.facts, reminderDueBy: view.event.reminderMinutes !== undefined ? view.occurrence.start.utc : undefined };
    factsCache.set(view, f);
    return f;
  }
  const f = computeFacts(view);
  factsCache.set(view, f);
  return f;
}

function computeFacts(view: AnyCalendarView): ItemFacts {
  const m = view.kind === 'calendar' ? view.event : view.task;
  const names = (list: { name?: string; email: string }[]) => list.map((a) => a.name || a.email).join('; ');
  const f: ItemFacts = {
    itemClass: view.kind === 'calendar' ? 'IPM.Appointment' : 'IPM.Task',
    subject: m.subject,
    sensitivity: m.sensitivity,
    importance: m.importance,
    categories: m.categories,
    body: m.body,
    htmlBody: m.htmlBody,
    attachments: m.attachments,
    created: m.created ?? m.stamp ?? m.lastModified,
    lastModified: m.lastModified ?? m.stamp ?? m.created,
    sent: m.stamp ?? m.created,
    size: Buffer.byteLength(view.data, 'utf8'),
    reminderIsSet: view.kind === 'calendar' ? view.event.reminderMinutes !== undefined : view.task.reminderAt !== undefined,
    reminderDueBy: view.kind === 'calendar' ? (view.event.reminderMinutes !== undefined ? nextStart(view) : undefined) : view.task.reminderAt,
    reminderMinutes: view.kind === 'calendar' ? view.event.reminderMinutes : undefined,
    displayTo: view.kind === 'calendar' ? names(view.event.attendees.filter((a) => a.kind === 'Required')) : '',
    displayCc: view.kind === 'calendar' ? names(view.event.attendees.filter((a) => a.kind === 'Optional')) : '',
  };
  return f;
}

/** facts(view).reminderDueBy without building an occurrence's facts (its reminder is all that differs from its series'). */
function reminderDueBy(view: AnyCalendarView): Date | undefined {
  if (view.kind === 'calendar' && view.type === 'Occurrence' && view.occurrence) return view.event.reminderMinutes !== undefined ? view.occurrence.start.utc : undefined;
  return facts(view).reminderDueBy;
}

export function bodyOf(f: ItemFacts, requested: 'Best' | 'HTML' | 'Text'): { type: 'HTML' | 'Text'; content: string } {
  if (requested === 'Text') return { type: 'Text', content: f.body || (f.htmlBody ? htmlToText(f.htmlBody) : '') };
  if (requested === 'HTML') return { type: 'HTML', content: f.htmlBody || (f.body ? textToHtml(f.body) : '') };
  return f.htmlBody ? { type: 'HTML', content: f.htmlBody } : { type: 'Text', content: f.body };
}

export interface ViewProperty {
  uri: string;
  /** Lowest schema version that knows the element. */
  since?: ExchangeVersion;
  render(view: AnyCalendarView, rc: CalendarRenderContext): XmlChild;
  /** The value as text, for restrictions and sorting. */
  value?(view: AnyCalendarView, rc: CalendarRenderContext): string | undefined;
}

function attachmentsXml(view: AnyCalendarView, rc: CalendarRenderContext): XmlChild {
  const list = facts(view).attachments;
  if (!list.length) return undefined;
  const item = rc.itemId(view).id;
  const rendered = list
    .map((a, i) => {
      const id = rc.attachmentId ? rc.attachmentId(view, i) : `${item}:${i}`;
      if (a.data) {
        return x(
          't:FileAttachment',
          null,
          x('t:AttachmentId', { Id: id }),
          x('t:Name', null, a.filename ?? `attachment-${i + 1}`),
          x('t:ContentType', null, a.contentType ?? 'application/octet-stream'),
          x('t:Size', null, String(a.data.length)),
          x('t:IsInline', null, 'false'),
          x('t:IsContactPhoto', null, 'false'),
        );
      }
      if (!versionAtLeast(rc.version, 'V2015_10_05')) return undefined;
      return x(
        't:ReferenceAttachment',
        null,
        x('t:AttachmentId', { Id: id }),
        x('t:Name', null, a.filename ?? a.uri ?? `link-${i + 1}`),
        x('t:ContentType', null, a.contentType ?? 'text/uri-list'),
        x('t:Size', null, '0'),
        x('t:IsInline', null, 'false'),
        x('t:AttachLongPathName', null, a.uri ?? ''),
      );
    })
    .filter((a) => a !== undefined);
  return rendered.length ? x('t:Attachments', null, rendered) : undefined;
}

/**
 * The ItemType elements, in the schema's order. `extended` marks where ExtendedProperty
 * elements go (between HasAttachments and Culture).
 */
export const ITEM_PROPERTIES: ViewProperty[] = [
  { uri: 'item:ParentFolderId', render: (_v, rc) => x('t:ParentFolderId', { Id: rc.parentFolder.id, ChangeKey: rc.parentFolder.changeKey }) },
  { uri: 'item:ItemClass', render: (v) => x('t:ItemClass', null, facts(v).itemClass), value: (v) => facts(v).itemClass },
  { uri: 'item:Subject', render: (v) => x('t:Subject', null, facts(v).subject), value: (v) => facts(v).subject },
  { uri: 'item:Sensitivity', render: (v) => x('t:Sensitivity', null, facts(v).sensitivity), value: (v) => facts(v).sensitivity },
  {
    uri: 'item:Body',
    render: (v, rc) => {
      const body = bodyOf(facts(v), rc.shape.bodyType);
      return x('t:Body', { BodyType: body.type, IsTruncated: 'false' }, body.content);
    },
    value: (v) => facts(v).body || facts(v).htmlBody,
  },
  { uri: 'item:Attachments', render: attachmentsXml },
  {
    uri: 'item:DateTimeReceived',
    render: (v) => (facts(v).created ? x('t:DateTimeReceived', null, isoUtc(facts(v).created)) : undefined),
    value: (v) => isoUtc(facts(v).created),
  },
  { uri: 'item:Size', render: (v) => x('t:Size', null, String(facts(v).size)), value: (v) => String(facts(v).size) },
  {
    uri: 'item:Categories',
    render: (v) =>
      facts(v).categories.length
        ? x(
            't:Categories',
            null,
            facts(v).categories.map((c) => x('t:String', null, c)),
          )
        : undefined,
    value: (v) => facts(v).categories.join(' '),
  },
  { uri: 'item:Importance', render: (v) => x('t:Importance', null, facts(v).importance), value: (v) => facts(v).importance },
  { uri: 'item:IsSubmitted', render: () => x('t:IsSubmitted', null, 'false'), value: () => 'false' },
  { uri: 'item:IsDraft', render: () => x('t:IsDraft', null, 'false'), value: () => 'false' },
  { uri: 'item:IsFromMe', render: () => x('t:IsFromMe', null, 'false'), value: () => 'false' },
  { uri: 'item:IsResend', render: () => x('t:IsResend', null, 'false'), value: () => 'false' },
  { uri: 'item:IsUnmodified', render: (v) => x('t:IsUnmodified', null, bool(v.kind === 'calendar' && v.type === 'Occurrence')) },
  {
    uri: 'item:DateTimeSent',
    render: (v) => (facts(v).sent ? x('t:DateTimeSent', null, isoUtc(facts(v).sent)) : undefined),
    value: (v) => isoUtc(facts(v).sent),
  },
  {
    uri: 'item:DateTimeCreated',
    render: (v) => (facts(v).created ? x('t:DateTimeCreated', null, isoUtc(facts(v).created)) : undefined),
    value: (v) => isoUtc(facts(v).created),
  },
  {
    uri: 'item:ReminderDueBy',
    render: (v) => {
      const due = reminderDueBy(v);
      return due ? x('t:ReminderDueBy', null, isoUtc(due)) : undefined;
    },
    value: (v) => isoUtc(reminderDueBy(v)),
  },
  { uri: 'item:ReminderIsSet', render: (v) => x('t:ReminderIsSet', null, bool(facts(v).reminderIsSet)), value: (v) => bool(facts(v).reminderIsSet) },
  {
    uri: 'item:ReminderMinutesBeforeStart',
    render: (v) => (v.kind === 'calendar' ? x('t:ReminderMinutesBeforeStart', null, String(facts(v).reminderMinutes ?? 15)) : undefined),
    value: (v) => (facts(v).reminderMinutes === undefined ? undefined : String(facts(v).reminderMinutes)),
  },
  { uri: 'item:DisplayCc', render: (v) => x('t:DisplayCc', null, facts(v).displayCc), value: (v) => facts(v).displayCc },
  { uri: 'item:DisplayTo', render: (v) => x('t:DisplayTo', null, facts(v).displayTo), value: (v) => facts(v).displayTo },
  {
    uri: 'item:HasAttachments',
    render: (v) => x('t:HasAttachments', null, bool(facts(v).attachments.length > 0)),
    value: (v) => bool(facts(v).attachments.length > 0),
  },
  // ExtendedProperty elements go here
  { uri: 'item:Culture', render: () => x('t:Culture', null, 'en-US') },
  {
    uri: 'item:EffectiveRights',
    render: (_v, rc) => ownItemRights(rc.version),
  },
  {
    uri: 'item:LastModifiedTime',
    render: (v) => (facts(v).lastModified ? x('t:LastModifiedTime', null, isoUtc(facts(v).lastModified)) : undefined),
    value: (v) => isoUtc(facts(v).lastModified),
  },
  { uri: 'item:IsAssociated', since: 'Exchange2010', render: () => x('t:IsAssociated', null, 'false'), value: () => 'false' },
  {
    uri: 'item:UniqueBody',
    since: 'Exchange2010',
    render: (v, rc) => {
      const body = bodyOf(facts(v), rc.shape.bodyType === 'Text' ? 'Text' : 'HTML');
      return x('t:UniqueBody', { BodyType: body.type, IsTruncated: 'false' }, body.content);
    },
  },
  {
    uri: 'item:Preview',
    since: 'Exchange2013',
    render: (v) => x('t:Preview', null, bodyOf(facts(v), 'Text').content.replace(/\s+/g, ' ').trim().slice(0, 255)),
  },
  {
    uri: 'item:TextBody',
    since: 'Exchange2013',
    render: (v) => x('t:TextBody', { BodyType: 'Text', IsTruncated: 'false' }, bodyOf(facts(v), 'Text').content),
  },
];

export const EXTENDED_BEFORE = 'item:Culture';
