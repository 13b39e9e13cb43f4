// One spelling per resource: hrefs as the port names them (see
// src/ports/contact-store.ts), and names safe to put in a URL path.

/** The normalized absolute path of `href` (resolved against `base`): each segment decoded and re-encoded. */
export function normalizeHref(href: string, base: string): string {
  const u = new URL(href, base);
  return u.pathname
    .split('/')
    .map((seg) => {
      try {
        return encodeURIComponent(decodeURIComponent(seg));
      } catch {
        return seg;
      }
    })
    .join('/');
}

/** A collection href always ends in "/". */
export function collectionHref(href: string, base: string): string {
  const h = normalizeHref(href, base);
  return h.endsWith('/') ? h : h + '/';
}

/** The decoded last segment ("contacts" for "/u%40x/contacts/"). */
export function lastSegment(href: string): string {
  const seg = href.replace(/\/+$/, '').split('/').pop() ?? '';
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}

/** The collection an object href lives in. */
export function parentHref(href: string): string {
  const trimmed = href.replace(/\/+$/, '');
  return trimmed.slice(0, trimmed.lastIndexOf('/') + 1) || '/';
}

/**
 * A name that is safe as one path segment: no slashes, no control characters,
 * no leading dot, at most 200 characters. Encoded when put into a URL.
 */
export function safeSegment(name: string): string {
  const s = name
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f/\\]/g, '_')
    .replace(/^\.+/, '_')
    .trim()
    .slice(0, 200);
  return s || '_';
}
