// The Directory port over an LDAP server (OpenLDAP, 389, Active Directory's
// LDAP side) with ldapjs: people are inetOrgPerson entries, groups
// groupOfNames / groupOfUniqueNames whose members are DNs.
//
// One connection per operation (connect, optional bind, search, unbind): a
// directory look-up is rare next to mail traffic, and a connection held per
// gateway would need reconnect handling that ldapjs gets wrong on restarts.
// Every step is bounded by `timeoutMs`; any failure becomes a
// DirectoryUnavailableError naming the server and what failed.
import ldap from 'ldapjs';
import type { Client, SearchOptions } from 'ldapjs';
import { DirectoryUnavailableError, searchText, type Directory, type GalEntry } from '../../src/ports/directory.js';
import { addressFilter, ambiguousNameFilter, exactFilter } from './filter.js';

export interface LdapDirectoryOptions {
  /** ldap://host:port or ldaps://host:port */
  url: string;
  baseDn: string;
  bindDn?: string;
  bindPassword?: string;
  timeoutMs: number;
}

const ENTRY_ATTRIBUTES = [
  'objectClass',
  'cn',
  'displayName',
  'givenName',
  'sn',
  'mail',
  'telephoneNumber',
  'mobile',
  'title',
  'ou',
  'o',
  'physicalDeliveryOfficeName',
];
const GROUP_CLASSES = new Set(['groupofnames', 'groupofuniquenames']);
/** Members read for one ExpandDL; larger groups are cut (Exchange pages them; clients rarely ask for more). */
const MAX_MEMBERS = 1000;

type Attributes = Map<string, string[]>;

interface RawEntry {
  dn: string;
  attrs: Attributes;
}

function first(a: Attributes, name: string): string | undefined {
  return a
    .get(name.toLowerCase())
    ?.find((v) => v.trim())
    ?.trim();
}

/** An LDAP entry as a GalEntry: inetOrgPerson's attributes, ou as department, o as company. */
export function toGalEntry(e: RawEntry): GalEntry {
  const a = e.attrs;
  const classes = (a.get('objectclass') ?? []).map((c) => c.toLowerCase());
  const givenName = first(a, 'givenName');
  const surname = first(a, 'sn');
  const displayName = first(a, 'displayName') ?? first(a, 'cn') ?? ([givenName, surname].filter(Boolean).join(' ') || first(a, 'mail') || e.dn);
  return {
    id: e.dn,
    displayName,
    givenName,
    surname,
    emails: (a.get('mail') ?? []).map((m) => m.trim()).filter(Boolean),
    phone: first(a, 'telephoneNumber'),
    mobile: first(a, 'mobile'),
    title: first(a, 'title'),
    department: first(a, 'ou'),
    company: first(a, 'o'),
    office: first(a, 'physicalDeliveryOfficeName'),
    isGroup: classes.some((c) => GROUP_CLASSES.has(c)),
  };
}

export class LdapDirectory implements Directory {
  constructor(private readonly opts: LdapDirectoryOptions) {}

  async search(text: string, limit: number): Promise<GalEntry[]> {
    const q = searchText(text);
    if (!q) return [];
    const found = await this.withClient((c) =>
      runSearch(c, this.opts.baseDn, { scope: 'sub', filter: ambiguousNameFilter(q), attributes: ENTRY_ATTRIBUTES, sizeLimit: limit }, this.opts.timeoutMs),
    );
    return found.map(toGalEntry);
  }

  async searchExact(text: string, limit: number): Promise<GalEntry[]> {
    const q = searchText(text);
    if (!q) return [];
    const found = await this.withClient((c) =>
      runSearch(c, this.opts.baseDn, { scope: 'sub', filter: exactFilter(q, /^\s*smtp:/i.test(text)), attributes: ENTRY_ATTRIBUTES, sizeLimit: limit }, this.opts.timeoutMs),
    );
    return found.map(toGalEntry);
  }

  async lookup(address: string): Promise<GalEntry | undefined> {
    const a = searchText(address);
    if (!a) return undefined;
    const found = await this.withClient((c) =>
      runSearch(c, this.opts.baseDn, { scope: 'sub', filter: addressFilter(a), attributes: ENTRY_ATTRIBUTES, sizeLimit: 2 }, this.opts.timeoutMs),
    );
    return found[0] ? toGalEntry(found[0]) : undefined;
  }

  async members(groupId: string): Promise<GalEntry[]> {
    return this.withClient(async (c) => {
      const [group] = await runSearch(c, groupId, { scope: 'base', attributes: ['member', 'uniqueMember'] }, this.opts.timeoutMs);
      if (!group) return [];
      // uniqueMember values may carry an "#'0101'B" UID suffix (RFC 4519 nameAndOptionalUID).
      const dns = [...(group.attrs.get('member') ?? []), ...(group.attrs.get('uniquemember') ?? []).map((d) => d.replace(/#'[01]*'B$/, ''))].slice(
        0,
        MAX_MEMBERS,
      );
      const entries = await Promise.all(
        dns.map((dn) => runSearch(c, dn, { scope: 'base', attributes: ENTRY_ATTRIBUTES }, this.opts.timeoutMs).then((r) => r[0])),
      );
      return entries.filter((e): e is RawEntry => !!e).map(toGalEntry);
    });
  }

  private async withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    const { url, bindDn, bindPassword, timeoutMs } = this.opts;
    const client = ldap.createClient({ url, connectTimeout: timeoutMs, timeout: timeoutMs, reconnect: false });
    // ldapjs emits 'error' for late socket trouble too; unheard, it would end the process.
    client.on('error', () => undefined);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DirectoryUnavailableError(`The directory ${url} did not answer within ${timeoutMs} ms.`)), timeoutMs * 2);
    });
    const work = (async () => {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('connectError', (e: Error) => reject(new DirectoryUnavailableError(`Cannot connect to the directory ${url}: ${e.message}`, e)));
        client.once('error', (e: Error) => reject(new DirectoryUnavailableError(`Cannot connect to the directory ${url}: ${e.message}`, e)));
      });
      if (bindDn) {
        await new Promise<void>((resolve, reject) =>
          client.bind(bindDn, bindPassword ?? '', (e) =>
            e ? reject(new DirectoryUnavailableError(`The directory ${url} refused the bind as ${bindDn}: ${e.message}`, e)) : resolve(),
          ),
        );
      }
      return fn(client);
    })();
    try {
      return await Promise.race([work, deadline]);
    } catch (e) {
      if (e instanceof DirectoryUnavailableError) throw e;
      throw new DirectoryUnavailableError(`The directory ${url} failed: ${(e as Error).message}`, e);
    } finally {
      clearTimeout(timer);
      work.catch(() => undefined);
      // A server that stopped answering never acknowledges the unbind either: the socket goes regardless.
      const drop = setTimeout(() => client.destroy(), timeoutMs);
      drop.unref();
      try {
        client.unbind(() => {
          clearTimeout(drop);
          client.destroy();
        });
      } catch {
        clearTimeout(drop);
        client.destroy();
      }
    }
  }
}

/** Entries of one search; a size limit reached keeps what came, a missing base is no entries. */
function runSearch(client: Client, base: string, opts: SearchOptions, timeoutMs: number): Promise<RawEntry[]> {
  return new Promise((resolve, reject) => {
    const out: RawEntry[] = [];
    client.search(base, { timeLimit: Math.max(1, Math.ceil(timeoutMs / 1000)), ...opts }, (err, res) => {
      if (err) return reject(err);
      res.on('searchEntry', (entry) => {
        const pojo = entry.pojo;
        const attrs: Attributes = new Map();
        for (const a of pojo.attributes) attrs.set(a.type.toLowerCase(), a.values.map(String));
        out.push({ dn: pojo.objectName, attrs });
      });
      res.on('error', (e: Error) => {
        if (e.name === 'SizeLimitExceededError') resolve(out);
        else if (e.name === 'NoSuchObjectError') resolve([]);
        else reject(e);
      });
      res.on('end', () => resolve(out));
    });
  });
}
