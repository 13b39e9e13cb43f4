// HTTP Basic, both pre-emptive (Thunderbird) and challenge-first (DavMail waits
// for the 401). The credentials go to the backend and nowhere else.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface BasicCredentials {
  user: string;
  password: string;
}

export const REALM = 'ewsgate';

export function parseBasicAuth(req: IncomingMessage): BasicCredentials | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function challenge(res: ServerResponse, message = 'Authentication required.'): void {
  res.writeHead(401, {
    'WWW-Authenticate': `Basic realm="${REALM}"`,
    'Content-Type': 'text/plain; charset=utf-8',
  });
  res.end(message + '\n');
}
