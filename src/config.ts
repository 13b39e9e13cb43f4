// Configuration: defaults that run on one machine, then a JSON file
// (`--config FILE`), then EWSGATE_* environment variables, then command-line
// flags. Everything is validated at start and every problem named at once.
import { readFileSync } from 'node:fs';

export interface Config {
  listen: { host: string; port: number };
  tls?: { cert: string; key: string };
  imap: URL;
  smtp: URL;
  caldav: URL;
  carddav: URL;
  upstream?: URL;
  /** The base URL clients reach us at; autodiscover advertises `${publicUrl}/EWS/Exchange.asmx`. */
  publicUrl: string;
  /** Domain appended to logins without one to form the user's SMTP address. */
  mailDomain: string;
  /** Signs sync states; share it between instances behind one load balancer. */
  stateSecret: string;
  maxRequestBytes: number;
  /** Seconds an unused backend session stays open. */
  sessionIdleSeconds: number;
  /** Budget of the process-wide calendar and address-book mirror (adapters/dav/collection-mirror.ts); 0 turns it off. */
  davMirrorBytes: number;
  /** Memory for what IMAP never changes about a message (envelope, structure, header block); 0: none. */
  messageCacheBytes: number;
  logLevel: 'error' | 'info' | 'debug';
  /** Shared with Dovecot's push_notification Lua script (examples/dovecot/): Dovecot pushes events; without it users are watched over IMAP. */
  eventsSecret?: string;
  /** A separate listener for the internal event endpoint; without it the main listener serves /ewsgate/events to loopback and private addresses. */
  eventsListen?: { host: string; port: number };
  /** Seconds between STATUS polls of the folders the IMAP watcher does not idle on. */
  notifyPollSeconds: number;
  /** Seconds between keep-alives on a held GetStreamingEvents connection. */
  notifyHeartbeatSeconds: number;
  /** Bytes one GetStreamingEvents response may carry before it is closed (the client reconnects). */
  streamMaxBytes: number;
  /** The global address list ResolveNames, ExpandDL and FindPeople consult besides the user's address books; none: address books only. */
  directory?: DirectoryConfig;
  /** Redis shared by every instance (subscriptions, their event queues, Unsubscribe); none: kept in this process. */
  redisUrl?: URL;
  /** Where push subscriptions may send notifications: URL prefixes or host names; empty: any http(s) URL. */
  pushUrlAllow: string[];
  /** A read-only CalDAV account that reads other users' calendars for their free/busy; none: only the user's own. */
  freeBusy?: { user: string; password: string; home: string };
}

export type DirectoryConfig =
  | { kind: 'ldap'; url: URL; baseDn: string; bindDn?: string; bindPassword?: string; timeoutMs: number }
  /** One CardDAV address book, read with the user's credential: its href (path) or display name. */
  | { kind: 'addressbook'; book: string };

export interface OptionSpec {
  key: keyof RawConfig;
  env: string;
  flag: string;
  help: string;
  default?: string;
}

type RawConfig = {
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  imap?: string;
  smtp?: string;
  caldav?: string;
  carddav?: string;
  upstream?: string;
  publicUrl?: string;
  mailDomain?: string;
  stateSecret?: string;
  maxRequestBytes?: string;
  sessionIdleSeconds?: string;
  davMirrorMb?: string;
  messageCacheMb?: string;
  logLevel?: string;
  eventsSecret?: string;
  eventsListen?: string;
  notifyPollSeconds?: string;
  notifyHeartbeatSeconds?: string;
  streamMaxBytes?: string;
  ldapUrl?: string;
  ldapBaseDn?: string;
  ldapBindDn?: string;
  ldapBindPassword?: string;
  ldapTimeoutSeconds?: string;
  galAddressBook?: string;
  redisUrl?: string;
  pushUrlAllow?: string;
  freeBusyUser?: string;
  freeBusyPassword?: string;
  freeBusyHome?: string;
};

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'listen', env: 'EWSGATE_LISTEN', flag: '--listen', help: 'host:port to listen on', default: '127.0.0.1:8080' },
  { key: 'tlsCert', env: 'EWSGATE_TLS_CERT', flag: '--tls-cert', help: 'PEM certificate file; with --tls-key, serve HTTPS' },
  { key: 'tlsKey', env: 'EWSGATE_TLS_KEY', flag: '--tls-key', help: 'PEM private key file' },
  { key: 'imap', env: 'EWSGATE_IMAP', flag: '--imap', help: 'IMAP backend, imap://host:port or imaps://host:port', default: 'imap://127.0.0.1:143' },
  { key: 'smtp', env: 'EWSGATE_SMTP', flag: '--smtp', help: 'SMTP submission, smtp://host:port or smtps://host:port', default: 'smtp://127.0.0.1:587' },
  { key: 'caldav', env: 'EWSGATE_CALDAV', flag: '--caldav', help: 'CalDAV server base URL', default: 'http://127.0.0.1:5232/' },
  { key: 'carddav', env: 'EWSGATE_CARDDAV', flag: '--carddav', help: 'CardDAV server base URL', default: 'http://127.0.0.1:5232/' },
  { key: 'upstream', env: 'EWSGATE_UPSTREAM', flag: '--upstream', help: 'web server that receives every other path (passthrough); none: 404' },
  { key: 'publicUrl', env: 'EWSGATE_PUBLIC_URL', flag: '--public-url', help: 'base URL clients use to reach ewsgate (autodiscover); default: from --listen' },
  { key: 'mailDomain', env: 'EWSGATE_MAIL_DOMAIN', flag: '--mail-domain', help: 'domain for logins that have none', default: 'localhost' },
  { key: 'stateSecret', env: 'EWSGATE_STATE_SECRET', flag: '--state-secret', help: 'secret that signs sync states (same on every instance)', default: 'ewsgate-default-state-secret' },
  { key: 'maxRequestBytes', env: 'EWSGATE_MAX_REQUEST_BYTES', flag: '--max-request-bytes', help: 'largest request body accepted', default: String(64 * 1024 * 1024) },
  { key: 'sessionIdleSeconds', env: 'EWSGATE_SESSION_IDLE_SECONDS', flag: '--session-idle-seconds', help: 'how long an unused backend session stays open', default: '60' },
  { key: 'davMirrorMb', env: 'EWSGATE_DAV_MIRROR_MB', flag: '--dav-mirror-mb', help: 'memory for copies of calendars and address books kept current by sync-collection, so repeated reads cost the DAV server only the changes; 0: ask the server every time', default: '64' },
  { key: 'messageCacheMb', env: 'EWSGATE_MESSAGE_CACHE_MB', flag: '--message-cache-mb', help: "memory for what IMAP never changes about a message (envelope, structure, header block, keyed by folder, UIDVALIDITY and UID), so a list read again asks the server only for flags; 0: fetch everything every time", default: '64' },
  { key: 'logLevel', env: 'EWSGATE_LOG_LEVEL', flag: '--log-level', help: 'error, info or debug', default: 'info' },
  { key: 'eventsSecret', env: 'EWSGATE_EVENTS_SECRET', flag: '--events-secret', help: "secret Dovecot's push_notification Lua script sends (examples/dovecot/); none: watch users over IMAP" },
  { key: 'eventsListen', env: 'EWSGATE_EVENTS_LISTEN', flag: '--events-listen', help: 'host:port for the internal event endpoint; none: /ewsgate/events on the main listener, loopback and private addresses only' },
  { key: 'notifyPollSeconds', env: 'EWSGATE_NOTIFY_POLL_SECONDS', flag: '--notify-poll-seconds', help: 'STATUS polling of the folders the IMAP watcher does not IDLE on', default: '30' },
  { key: 'notifyHeartbeatSeconds', env: 'EWSGATE_NOTIFY_HEARTBEAT_SECONDS', flag: '--notify-heartbeat-seconds', help: 'keep-alive interval on held GetStreamingEvents connections', default: '30' },
  { key: 'ldapUrl', env: 'EWSGATE_LDAP_URL', flag: '--ldap-url', help: 'LDAP directory (global address list), ldap://host:port or ldaps://host:port; none: no directory' },
  { key: 'ldapBaseDn', env: 'EWSGATE_LDAP_BASE_DN', flag: '--ldap-base-dn', help: 'where people and groups are searched (dc=example,dc=com); required with --ldap-url' },
  { key: 'ldapBindDn', env: 'EWSGATE_LDAP_BIND_DN', flag: '--ldap-bind-dn', help: 'DN of a read-only account to bind as; none: anonymous' },
  { key: 'ldapBindPassword', env: 'EWSGATE_LDAP_BIND_PASSWORD', flag: '--ldap-bind-password', help: 'password of --ldap-bind-dn' },
  { key: 'ldapTimeoutSeconds', env: 'EWSGATE_LDAP_TIMEOUT_SECONDS', flag: '--ldap-timeout-seconds', help: 'how long a directory connect or search may take before it counts as down', default: '5' },
  { key: 'galAddressBook', env: 'EWSGATE_GAL_ADDRESSBOOK', flag: '--gal-addressbook', help: "a CardDAV address book (href or display name) read with the user's credential as the global address list; instead of --ldap-url" },
  { key: 'streamMaxBytes', env: 'EWSGATE_STREAM_MAX_BYTES', flag: '--stream-max-bytes', help: 'bytes one GetStreamingEvents response may carry before it is closed', default: String(8 * 1024 * 1024) },
  { key: 'redisUrl', env: 'EWSGATE_REDIS_URL', flag: '--redis-url', help: 'redis://host:port/db shared by several instances (subscriptions and event queues); none: kept in this process' },
  { key: 'pushUrlAllow', env: 'EWSGATE_PUSH_URL_ALLOW', flag: '--push-url-allow', help: 'comma-separated URL prefixes (https://hooks.example.com/ews/) or host names push subscriptions may call; none: any http(s) URL' },
  { key: 'freeBusyUser', env: 'EWSGATE_FREEBUSY_USER', flag: '--freebusy-user', help: "CalDAV login allowed to read every user's calendars (read-only), for other users' free/busy; none: only the user's own" },
  { key: 'freeBusyPassword', env: 'EWSGATE_FREEBUSY_PASSWORD', flag: '--freebusy-password', help: 'password of --freebusy-user' },
  { key: 'freeBusyHome', env: 'EWSGATE_FREEBUSY_HOME', flag: '--freebusy-home', help: "another user's CalDAV calendar home: a path with {user} (the address), {localpart} or {domain}", default: '/{user}/' },
];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Reads the JSON config file: keys as in OPTIONS (listen, imap, tlsCert, ...). */
export function readConfigFile(file: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`cannot read config file ${file}: ${(e as Error).message}`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ConfigError([`config file ${file} is not valid JSON: ${(e as Error).message}`]);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new ConfigError([`config file ${file} must hold a JSON object`]);
  const known = new Set(OPTIONS.map((o) => o.key as string));
  const problems: string[] = [];
  const raw: RawConfig = {};
  for (const [k, v] of Object.entries(data)) {
    if (!known.has(k)) problems.push(`config file ${file}: unknown key "${k}" (known: ${[...known].join(', ')})`);
    else raw[k as keyof RawConfig] = String(v);
  }
  if (problems.length) throw new ConfigError(problems);
  return raw;
}

export function loadConfig(sources: { file?: RawConfig; env?: NodeJS.ProcessEnv; flags?: RawConfig }): Config {
  const raw: RawConfig = {};
  for (const o of OPTIONS) if (o.default !== undefined) raw[o.key] = o.default;
  Object.assign(raw, sources.file ?? {});
  for (const o of OPTIONS) {
    const v = sources.env?.[o.env];
    if (v !== undefined && v !== '') raw[o.key] = v;
  }
  for (const [k, v] of Object.entries(sources.flags ?? {})) if (v !== undefined) raw[k as keyof RawConfig] = v;
  return validate(raw);
}

function validate(raw: RawConfig): Config {
  const problems: string[] = [];
  const listen = parseHostPort(raw.listen ?? '', problems);
  const url = (key: keyof RawConfig, env: string, protocols: string[], required: boolean): URL | undefined => {
    const v = raw[key];
    if (!v) {
      if (required) problems.push(`${env} is required`);
      return undefined;
    }
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) problems.push(`${env} must be a ${protocols.map((p) => p.replace(':', '://')).join(' or ')} URL, got "${v}"`);
      return u;
    } catch {
      problems.push(`${env} is not a URL: "${v}"`);
      return undefined;
    }
  };
  const imap = url('imap', 'EWSGATE_IMAP', ['imap:', 'imaps:'], true);
  const smtp = url('smtp', 'EWSGATE_SMTP', ['smtp:', 'smtps:'], true);
  const caldav = url('caldav', 'EWSGATE_CALDAV', ['http:', 'https:'], true);
  const carddav = url('carddav', 'EWSGATE_CARDDAV', ['http:', 'https:'], true);
  const upstream = url('upstream', 'EWSGATE_UPSTREAM', ['http:', 'https:', 'ws:', 'wss:'], false);
  let tls: Config['tls'];
  if (raw.tlsCert || raw.tlsKey) {
    if (!raw.tlsCert || !raw.tlsKey) problems.push('EWSGATE_TLS_CERT and EWSGATE_TLS_KEY go together');
    else {
      for (const [name, f] of [['EWSGATE_TLS_CERT', raw.tlsCert], ['EWSGATE_TLS_KEY', raw.tlsKey]] as const) {
        try {
          readFileSync(f);
        } catch (e) {
          problems.push(`${name}: cannot read ${f}: ${(e as Error).message}`);
        }
      }
      tls = { cert: raw.tlsCert, key: raw.tlsKey };
    }
  }
  const int = (key: keyof RawConfig, env: string, min: number): number => {
    const n = Number(raw[key]);
    if (!Number.isInteger(n) || n < min) problems.push(`${env} must be a whole number of at least ${min}, got "${raw[key]}"`);
    return n;
  };
  const maxRequestBytes = int('maxRequestBytes', 'EWSGATE_MAX_REQUEST_BYTES', 1024);
  const sessionIdleSeconds = int('sessionIdleSeconds', 'EWSGATE_SESSION_IDLE_SECONDS', 1);
  const davMirrorBytes = int('davMirrorMb', 'EWSGATE_DAV_MIRROR_MB', 0) * 1024 * 1024;
  const messageCacheBytes = int('messageCacheMb', 'EWSGATE_MESSAGE_CACHE_MB', 0) * 1024 * 1024;
  const logLevel = raw.logLevel as Config['logLevel'];
  if (!['error', 'info', 'debug'].includes(logLevel)) problems.push(`EWSGATE_LOG_LEVEL must be error, info or debug, got "${raw.logLevel}"`);
  const mailDomain = (raw.mailDomain ?? '').trim();
  if (!/^[A-Za-z0-9.-]+$/.test(mailDomain)) problems.push(`EWSGATE_MAIL_DOMAIN is not a domain: "${raw.mailDomain}"`);
  let publicUrl = raw.publicUrl?.replace(/\/+$/, '');
  if (publicUrl) {
    try {
      const u = new URL(publicUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') problems.push(`EWSGATE_PUBLIC_URL must be http(s), got "${raw.publicUrl}"`);
    } catch {
      problems.push(`EWSGATE_PUBLIC_URL is not a URL: "${raw.publicUrl}"`);
    }
  } else if (listen) {
    const host = listen.host === '0.0.0.0' || listen.host === '::' ? '127.0.0.1' : listen.host;
    publicUrl = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
  }
  if (!raw.stateSecret || raw.stateSecret.length < 8) problems.push('EWSGATE_STATE_SECRET must have at least 8 characters');
  const eventsSecret = raw.eventsSecret || undefined;
  if (eventsSecret !== undefined && (eventsSecret.length < 16 || /\s/.test(eventsSecret))) problems.push('EWSGATE_EVENTS_SECRET must have at least 16 characters and no white space');
  const eventsListen = raw.eventsListen ? parseHostPort(raw.eventsListen, problems, 'EWSGATE_EVENTS_LISTEN') : undefined;
  const notifyPollSeconds = int('notifyPollSeconds', 'EWSGATE_NOTIFY_POLL_SECONDS', 1);
  const notifyHeartbeatSeconds = int('notifyHeartbeatSeconds', 'EWSGATE_NOTIFY_HEARTBEAT_SECONDS', 1);
  const streamMaxBytes = int('streamMaxBytes', 'EWSGATE_STREAM_MAX_BYTES', 4096);
  const directory = directoryConfig(raw, problems, int('ldapTimeoutSeconds', 'EWSGATE_LDAP_TIMEOUT_SECONDS', 1), (k, e) => url(k, e, ['ldap:', 'ldaps:'], false));
  const redisUrl = url('redisUrl', 'EWSGATE_REDIS_URL', ['redis:', 'rediss:'], false);
  const pushUrlAllow = (raw.pushUrlAllow ?? '').split(',').map((p) => p.trim()).filter(Boolean);
  for (const p of pushUrlAllow) {
    if (/^https?:\/\//i.test(p)) {
      try {
        new URL(p);
      } catch {
        problems.push(`EWSGATE_PUSH_URL_ALLOW: "${p}" is not a URL`);
      }
    } else if (!/^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:.]+\]$/.test(p)) problems.push(`EWSGATE_PUSH_URL_ALLOW: "${p}" is neither an http(s) URL prefix nor a host name`);
  }
  const freeBusy = freeBusyConfig(raw, problems);
  if (problems.length) throw new ConfigError(problems);
  return {
    listen: listen!,
    tls,
    imap: imap!,
    smtp: smtp!,
    caldav: caldav!,
    carddav: carddav!,
    upstream,
    publicUrl: publicUrl!,
    mailDomain,
    stateSecret: raw.stateSecret!,
    maxRequestBytes,
    sessionIdleSeconds,
    davMirrorBytes,
    messageCacheBytes,
    logLevel,
    eventsSecret,
    eventsListen,
    notifyPollSeconds,
    notifyHeartbeatSeconds,
    streamMaxBytes,
    directory,
    redisUrl,
    pushUrlAllow,
    freeBusy,
  };
}

function freeBusyConfig(raw: RawConfig, problems: string[]): Config['freeBusy'] {
  const home = (raw.freeBusyHome ?? '').trim();
  if (!/\{(user|localpart)\}/.test(home) || !(home.startsWith('/') || /^https?:\/\//i.test(home)))
    problems.push(`EWSGATE_FREEBUSY_HOME must be a path (or http(s) URL) holding {user} or {localpart}, got "${raw.freeBusyHome}"`);
  if (!raw.freeBusyUser && !raw.freeBusyPassword) return undefined;
  if (!raw.freeBusyUser || !raw.freeBusyPassword) {
    problems.push('EWSGATE_FREEBUSY_USER and EWSGATE_FREEBUSY_PASSWORD go together');
    return undefined;
  }
  return { user: raw.freeBusyUser, password: raw.freeBusyPassword, home };
}

function directoryConfig(raw: RawConfig, problems: string[], timeoutSeconds: number, ldapUrl: (key: keyof RawConfig, env: string) => URL | undefined): DirectoryConfig | undefined {
  const url = ldapUrl('ldapUrl', 'EWSGATE_LDAP_URL');
  const book = raw.galAddressBook?.trim();
  if (raw.ldapUrl && book) problems.push('EWSGATE_LDAP_URL and EWSGATE_GAL_ADDRESSBOOK are alternatives: set one');
  if (!raw.ldapUrl) {
    for (const [k, env] of [['ldapBaseDn', 'EWSGATE_LDAP_BASE_DN'], ['ldapBindDn', 'EWSGATE_LDAP_BIND_DN'], ['ldapBindPassword', 'EWSGATE_LDAP_BIND_PASSWORD']] as const) {
      if (raw[k]) problems.push(`${env} needs EWSGATE_LDAP_URL`);
    }
    return book ? { kind: 'addressbook', book } : undefined;
  }
  const baseDn = raw.ldapBaseDn?.trim();
  if (!baseDn) problems.push('EWSGATE_LDAP_BASE_DN is required with EWSGATE_LDAP_URL');
  else if (!/^[^=,]+=[^,]*(,[^=,]+=[^,]*)*$/.test(baseDn.replace(/\\./g, ''))) problems.push(`EWSGATE_LDAP_BASE_DN is not a DN: "${raw.ldapBaseDn}"`);
  if (raw.ldapBindPassword && !raw.ldapBindDn) problems.push('EWSGATE_LDAP_BIND_PASSWORD needs EWSGATE_LDAP_BIND_DN');
  if (!url || !baseDn) return undefined;
  return { kind: 'ldap', url, baseDn, bindDn: raw.ldapBindDn?.trim() || undefined, bindPassword: raw.ldapBindPassword || undefined, timeoutMs: timeoutSeconds * 1000 };
}

function parseHostPort(s: string, problems: string[], name = 'EWSGATE_LISTEN'): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(s.trim());
  if (!m) {
    problems.push(`${name} must be host:port, got "${s}"`);
    return undefined;
  }
  const port = Number(m[3]);
  if (port < 0 || port > 65535) {
    problems.push(`${name} port must be 0-65535, got ${m[3]}`);
    return undefined;
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** `--help` text listing every option with its variable and default. */
export function helpText(): string {
  const lines = [
    'ewsgate: an Exchange Web Services gateway for IMAP, CalDAV and CardDAV servers',
    '',
    'Usage: ewsgate [--config FILE] [options]',
    '',
    'Options (each also an environment variable; flags win over variables, variables over the file):',
    '  --config FILE                 JSON file with any of the keys below (listen, imap, tlsCert, ...)',
    '  --help                        print this text',
    '  --version                     print the version',
  ];
  for (const o of OPTIONS) {
    const left = `  ${o.flag} VALUE`.padEnd(32);
    lines.push(`${left}${o.help}`);
    lines.push(`${' '.repeat(32)}env ${o.env}, file key "${o.key}"${o.default !== undefined ? `, default ${o.key === 'stateSecret' ? '(built in; set your own)' : o.default}` : ''}`);
  }
  return lines.join('\n') + '\n';
}

export function parseFlags(argv: string[]): { configFile?: string; help: boolean; version: boolean; flags: RawConfig } {
  const flags: RawConfig = {};
  let configFile: string | undefined;
  let help = false;
  let version = false;
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (name === '--help' || name === '-h') help = true;
    else if (name === '--version') version = true;
    else if (name === '--config') configFile = inline ?? argv[++i];
    else {
      const o = OPTIONS.find((opt) => opt.flag === name);
      if (!o) problems.push(`unknown option ${name} (see --help)`);
      else {
        const v = inline ?? argv[++i];
        if (v === undefined) problems.push(`${name} needs a value`);
        else flags[o.key] = v;
      }
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return { configFile, help, version, flags };
}
