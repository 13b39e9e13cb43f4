// WebDAV multistatus answers, read by namespace with the project's safe XML
// parser (no DTDs, bounded size and depth). tsdav's own reader is not used for
// these: it turns values into native types (an ETag or display name that looks
// like a number becomes one) and drops namespaces.
import { parseXml, elementChildren, type Element } from '../../src/soap/xml.js';

export const NS_DAV = 'DAV:';
export const NS_CALDAV = 'urn:ietf:params:xml:ns:caldav';
export const NS_CS = 'http://calendarserver.org/ns/';
export const NS_APPLE = 'http://apple.com/ns/ical/';

export interface PropStat {
  status: number;
  el: Element;
}

export interface MultistatusResponse {
  href: string;
  /** Status of the whole response (deleted members in sync-collection, 404 in multiget). */
  status?: number;
  /** Properties by "{namespace}local-name". */
  props: Map<string, PropStat>;
  /** DAV:error child's first element name, or responsedescription. */
  error?: string;
}

export interface Multistatus {
  responses: MultistatusResponse[];
  /** Top-level DAV:sync-token (sync-collection). */
  syncToken?: string;
}

export function clark(ns: string, local: string): string {
  return `{${ns}}${local}`;
}

export function statusCode(line: string | undefined): number | undefined {
  const m = /HTTP\/\d(?:\.\d)?\s+(\d{3})/i.exec(line ?? '');
  return m ? Number(m[1]) : undefined;
}

function childNs(el: Element, ns: string, local: string): Element | undefined {
  return elementChildren(el).find((c) => c.namespaceURI === ns && c.localName === local);
}

function childrenNs(el: Element, ns: string, local: string): Element[] {
  return elementChildren(el).filter((c) => c.namespaceURI === ns && c.localName === local);
}

export function text(el: Element | undefined): string | undefined {
  return el ? (el.textContent ?? '') : undefined;
}

export function parseMultistatus(body: string): Multistatus {
  const doc = parseXml(body);
  const root = doc.documentElement!;
  if (root.namespaceURI !== NS_DAV || root.localName !== 'multistatus') {
    throw new Error(`Expected a DAV:multistatus answer, got ${root.localName}.`);
  }
  const responses: MultistatusResponse[] = [];
  for (const r of childrenNs(root, NS_DAV, 'response')) {
    const href = text(childNs(r, NS_DAV, 'href'))?.trim() ?? '';
    const props = new Map<string, PropStat>();
    for (const ps of childrenNs(r, NS_DAV, 'propstat')) {
      const status = statusCode(text(childNs(ps, NS_DAV, 'status'))) ?? 200;
      const prop = childNs(ps, NS_DAV, 'prop');
      if (!prop) continue;
      for (const p of elementChildren(prop)) props.set(clark(p.namespaceURI ?? '', p.localName ?? ''), { status, el: p });
    }
    const errEl = childNs(r, NS_DAV, 'error');
    const error = errEl ? (elementChildren(errEl)[0]?.localName ?? text(errEl)) : text(childNs(r, NS_DAV, 'responsedescription'));
    responses.push({ href, status: statusCode(text(childNs(r, NS_DAV, 'status'))), props, error: error || undefined });
  }
  return { responses, syncToken: text(childNs(root, NS_DAV, 'sync-token'))?.trim() };
}

/** The precondition element a DAV:error body names ("valid-sync-token", "no-uid-conflict" …). */
export function davErrorCondition(body: string): string | undefined {
  if (!/<[^>]*error[\s>]/i.test(body)) return undefined;
  try {
    const root = parseXml(body).documentElement!;
    if (root.localName !== 'error') return undefined;
    return elementChildren(root)[0]?.localName ?? undefined;
  } catch {
    return undefined;
  }
}

/** A property's text when its status is 2xx. */
export function propText(r: MultistatusResponse, ns: string, local: string): string | undefined {
  const p = r.props.get(clark(ns, local));
  if (!p || p.status < 200 || p.status > 299) return undefined;
  return text(p.el);
}

export function propElement(r: MultistatusResponse, ns: string, local: string): Element | undefined {
  const p = r.props.get(clark(ns, local));
  if (!p || p.status < 200 || p.status > 299) return undefined;
  return p.el;
}

/** The href inside a property such as current-user-principal or calendar-home-set. */
export function propHref(r: MultistatusResponse, ns: string, local: string): string | undefined {
  const el = propElement(r, ns, local);
  return el ? text(childNs(el, NS_DAV, 'href'))?.trim() : undefined;
}

export function hasResourceType(r: MultistatusResponse, ns: string, local: string): boolean {
  const el = propElement(r, NS_DAV, 'resourcetype');
  return !!el && !!childNs(el, ns, local);
}

export function componentSet(r: MultistatusResponse): string[] | undefined {
  const el = propElement(r, NS_CALDAV, 'supported-calendar-component-set');
  if (!el) return undefined;
  return childrenNs(el, NS_CALDAV, 'comp')
    .map((c) => (c.getAttribute('name') ?? '').toUpperCase())
    .filter(Boolean);
}

/** Whether current-user-privilege-set grants writing (write, write-content, or all). */
export function canWrite(r: MultistatusResponse): boolean {
  const el = propElement(r, NS_DAV, 'current-user-privilege-set');
  if (!el) return true;
  return childrenNs(el, NS_DAV, 'privilege').some((p) =>
    elementChildren(p).some((c) => c.namespaceURI === NS_DAV && ['write', 'write-content', 'all'].includes(c.localName ?? '')),
  );
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** "20260101T000000Z" for CalDAV time-range attributes. */
export function davTime(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}
