// A folder as XML for a requested FolderShape, and its properties for
// restrictions and extended-property requests: one place answers both.
import { versionAtLeast, type ExchangeVersion } from '../../soap/envelope.js';
import { NS, child, textOf, x, type Element, type Xml } from '../../soap/xml.js';
import { schemaViolation } from '../errors.js';
import { parsePropertyPaths, renderExtendedProperty, type PropertyPath } from '../properties/path.js';
import type { EwsFolder } from './tree.js';

export type BaseShape = 'IdOnly' | 'Default' | 'AllProperties';

export interface FolderShape {
  base: BaseShape;
  additional: PropertyPath[];
}

export function parseFolderShape(el: Element | undefined): FolderShape {
  const base = textOf(child(el, NS.types, 'BaseShape'))?.trim();
  if (!el || !base) throw schemaViolation('FolderShape with a BaseShape is required.');
  if (base !== 'IdOnly' && base !== 'Default' && base !== 'AllProperties') throw schemaViolation(`BaseShape "${base}" is not valid.`);
  return { base, additional: parsePropertyPaths(child(el, NS.types, 'AdditionalProperties')) };
}

/** Element name by folder class, as Exchange types them. */
export function folderElementName(f: EwsFolder): string {
  const c = f.folderClass;
  if (c === 'IPF.Appointment' || c.startsWith('IPF.Appointment.')) return 't:CalendarFolder';
  if (c === 'IPF.Contact' || c.startsWith('IPF.Contact.')) return 't:ContactsFolder';
  if (c === 'IPF.Task' || c.startsWith('IPF.Task.')) return 't:TasksFolder';
  return 't:Folder';
}

const DEFAULT_FIELDS = ['folder:DisplayName', 'folder:TotalCount', 'folder:ChildFolderCount', 'folder:UnreadCount'];
const ALL_FIELDS = [
  'folder:ParentFolderId',
  'folder:FolderClass',
  'folder:DisplayName',
  'folder:TotalCount',
  'folder:ChildFolderCount',
  'folder:EffectiveRights',
  'folder:DistinguishedFolderId',
  'folder:UnreadCount',
];

export interface RenderContext {
  version: ExchangeVersion;
}

export function renderFolder(f: EwsFolder, shape: FolderShape, rc: RenderContext): Xml {
  const fields = new Set<string>(shape.base === 'AllProperties' ? ALL_FIELDS : shape.base === 'Default' ? DEFAULT_FIELDS : []);
  const extended: Extract<PropertyPath, { kind: 'extended' }>[] = [];
  for (const p of shape.additional) {
    if (p.kind === 'field') fields.add(p.uri);
    else if (p.kind === 'extended') extended.push(p);
  }
  const has = (uri: string) => fields.has(uri);
  // DistinguishedFolderId is a 2013+ element; older schemas would reject it.
  const withDistinguished = has('folder:DistinguishedFolderId') && f.distinguishedId && versionAtLeast(rc.version, 'Exchange2013');
  const isMailLike = folderElementName(f) === 't:Folder';
  return x(
    folderElementName(f),
    null,
    x('t:FolderId', { Id: f.id, ChangeKey: f.changeKey }),
    has('folder:ParentFolderId') && f.parent ? x('t:ParentFolderId', { Id: f.parent.id, ChangeKey: f.parent.changeKey }) : undefined,
    has('folder:FolderClass') && f.folderClass ? x('t:FolderClass', null, f.folderClass) : undefined,
    has('folder:DisplayName') ? x('t:DisplayName', null, f.displayName) : undefined,
    has('folder:TotalCount') ? x('t:TotalCount', null, String(f.totalCount)) : undefined,
    has('folder:ChildFolderCount') ? x('t:ChildFolderCount', null, String(f.children.length)) : undefined,
    extended.map((p) => {
      const v = extendedFolderProperty(f, p);
      return v === undefined ? undefined : renderExtendedProperty(p, v);
    }),
    has('folder:EffectiveRights') ? renderEffectiveRights(f, rc) : undefined,
    withDistinguished ? x('t:DistinguishedFolderId', null, f.distinguishedId!) : undefined,
    has('folder:UnreadCount') && isMailLike ? x('t:UnreadCount', null, String(f.unreadCount)) : undefined,
  );
}

function renderEffectiveRights(f: EwsFolder, rc: RenderContext): Xml {
  const writable = !!f.mail || f.distinguishedId === 'msgfolderroot';
  const b = (v: boolean) => (v ? 'true' : 'false');
  return x(
    't:EffectiveRights',
    null,
    x('t:CreateAssociated', null, b(writable)),
    x('t:CreateContents', null, b(!!f.mail)),
    x('t:CreateHierarchy', null, b(writable)),
    x('t:Delete', null, b(!!f.mail && !f.distinguishedId)),
    x('t:Modify', null, b(!!f.mail)),
    x('t:Read', null, 'true'),
    versionAtLeast(rc.version, 'Exchange2010_SP1') ? x('t:ViewPrivateItems', null, 'true') : undefined,
  );
}

// MAPI property tags clients ask folders for (DavMail, Outlook for Mac).
const PR_DISPLAY_NAME = 0x3001;
const PR_CONTENT_COUNT = 0x3602;
const PR_CONTENT_UNREAD = 0x3603;
const PR_SUBFOLDERS = 0x360a;
const PR_CONTAINER_CLASS = 0x3613;
const PR_FOLDER_CHILD_COUNT = 0x6638;
const PR_LOCAL_COMMIT_TIME_MAX = 0x670a;
const PR_ARTICLE_NUM_NEXT = 0x6751;
const PR_ATTR_HIDDEN = 0x10f4;
const PR_ATTR_READONLY = 0x10f6;

/** A folder's extended property as text in the requested PropertyType, undefined when it has none. */
export function extendedFolderProperty(f: EwsFolder, p: Extract<PropertyPath, { kind: 'extended' }>): string | undefined {
  if (p.tag === undefined) return undefined;
  switch (p.tag) {
    case PR_DISPLAY_NAME:
      return f.displayName;
    case PR_CONTENT_COUNT:
      return String(f.totalCount);
    case PR_CONTENT_UNREAD:
      return String(f.unreadCount);
    case PR_SUBFOLDERS:
      return f.children.length > 0 ? 'true' : 'false';
    case PR_FOLDER_CHILD_COUNT:
      return String(f.children.length);
    case PR_CONTAINER_CLASS:
      return f.folderClass || undefined;
    case PR_ATTR_HIDDEN:
    case PR_ATTR_READONLY:
      return 'false';
    case PR_ARTICLE_NUM_NEXT:
      return f.mail ? String(f.mail.uidNext) : undefined;
    case PR_LOCAL_COMMIT_TIME_MAX: {
      // The folder's change counter (DavMail's ctag): HIGHESTMODSEQ, or the counts without CONDSTORE.
      if (!f.mail) return undefined;
      const counter = f.mail.highestModseq ?? BigInt(f.mail.uidNext * 65536 + f.mail.messages);
      if (p.type === 'SystemTime') return new Date(Date.UTC(2000, 0, 1) + Number(counter) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      return counter.toString();
    }
    default:
      return undefined;
  }
}

/** The value of any property path on a folder, for restrictions. */
export function folderProperty(f: EwsFolder, p: PropertyPath): string | undefined {
  if (p.kind === 'extended') return extendedFolderProperty(f, p);
  if (p.kind !== 'field') return undefined;
  switch (p.uri) {
    case 'folder:DisplayName':
      return f.displayName;
    case 'folder:FolderClass':
      return f.folderClass || undefined;
    case 'folder:TotalCount':
      return String(f.totalCount);
    case 'folder:UnreadCount':
      return String(f.unreadCount);
    case 'folder:ChildFolderCount':
      return String(f.children.length);
    case 'folder:FolderId':
      return f.id;
    case 'folder:ParentFolderId':
      return f.parent?.id;
    case 'folder:DistinguishedFolderId':
      return f.distinguishedId;
    default:
      return undefined;
  }
}
