// Contact items over the ContactStore port: vCards read whole (a card is small),
// filtered, sorted and paged in memory with the same restriction evaluator as
// everything else; writes go back as vCards with If-Match, so a change made by
// another client in between is a conflict, never a silent overwrite.
import { createHash, randomUUID } from 'node:crypto';
import { NS, child, textOf, x, type Element, type Xml } from '../../soap/xml.js';
import { readVCard, writeVCard, type CardItem } from '../../convert/vcard-contact.js';
import {
  ContactConflictError,
  ContactExistsError,
  ContactForbiddenError,
  ContactMissingError,
  ContactRejectedError,
  SyncTokenInvalidError,
  type ContactObject,
  type ContactStore,
} from '../../ports/contact-store.js';
import { EwsError, storeUnavailable } from '../errors.js';
import type { RequestContext } from '../operation.js';
import type { EwsFolder } from '../folders/tree.js';
import { renderContactItem, contactPropertyValue, type ContactItemMeta } from '../contacts/render.js';
import { applyContactUpdates, parseContactItemElement, setContactPhoto } from '../contacts/parse.js';
import { CONTACT_PICTURE_NAME } from '../contacts/properties.js';
import type { ItemShape } from '../items/shape.js';
import { decodeDavItemIdBytes, encodeDavItemId, etagChangeKey, type DavItemRef } from '../items/dav-item-id.js';
import { ID_VERSION } from '../folders/folder-id.js';
import { resolveDavItem } from './resolve.js';
import type { FolderTree } from '../folders/tree.js';
import { itemNotFound } from '../items/request.js';
import { pageOf, type Page, type Paging } from '../paging.js';
import { evaluate, type Restriction } from '../restriction.js';
import type { SortField } from '../items/search.js';
import { openState, sealState } from '../sync/signed-state.js';

export function contactStoreOf(ctx: RequestContext, folder?: EwsFolder): ContactStore {
  if (folder?.unavailable || !ctx.mailbox.contacts) throw storeUnavailable();
  return ctx.mailbox.contacts;
}

interface LoadedCard {
  obj: ContactObject;
  item: CardItem;
  meta: ContactItemMeta;
}

function load(folder: EwsFolder, obj: ContactObject): LoadedCard | undefined {
  let item: CardItem;
  try {
    item = readVCard(obj.data);
  } catch {
    return undefined; // a broken card never hides the rest of the book
  }
  const ref: DavItemRef = { store: 'contacts', view: 'VCARD', href: obj.href };
  const meta: ContactItemMeta = { id: encodeDavItemId(ref), changeKey: etagChangeKey(obj.etag), parentFolderId: folder.id, parentChangeKey: folder.changeKey, href: obj.href, lastModified: obj.lastModified, size: Buffer.byteLength(obj.data) };
  if (item.kind === 'contact' && item.photo) meta.photoAttachmentId = encodeContactPhotoId(ref);
  return { obj, item, meta };
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ContactMissingError) throw itemNotFound();
    if (e instanceof SyncTokenInvalidError) throw new EwsError('ErrorInvalidSyncStateData', 'Synchronization state data is corrupt or otherwise invalid.');
    if (e instanceof ContactForbiddenError) throw new EwsError('ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
    if (e instanceof ContactRejectedError) throw new EwsError('ErrorItemSave', `The contact could not be saved: ${e.message}`);
    if (e instanceof ContactConflictError) {
      throw new EwsError('ErrorIrresolvableConflict', 'The update could not be performed because the contact was changed by someone else meanwhile.');
    }
    if (e instanceof EwsError) throw e;
    if (e && typeof e === 'object' && /Unavailable|Network|ECONN|fetch failed/i.test(`${(e as Error).name} ${(e as Error).message}`)) throw storeUnavailable();
    throw e;
  }
}

export async function getContacts(ctx: RequestContext, folder: EwsFolder, refs: DavItemRef[], shape: ItemShape): Promise<(Xml | EwsError)[]> {
  const store = contactStoreOf(ctx, folder);
  return guard(async () => {
    const res = await store.multiget(folder.dav!.href, refs.map((r) => r.href));
    const byHref = new Map(res.objects.map((o) => [o.href, o]));
    return refs.map((r) => {
      const obj = byHref.get(r.href);
      const loaded = obj && load(folder, obj);
      return loaded ? renderContactItem(loaded.item, loaded.meta, shape, ctx.version) : itemNotFound();
    });
  });
}

export async function findContacts(
  ctx: RequestContext,
  folder: EwsFolder,
  q: { restriction?: Restriction; sort: SortField[]; paging: Paging; shape: ItemShape },
): Promise<Page<Xml>> {
  const store = contactStoreOf(ctx, folder);
  return guard(async () => {
    const all = (await store.listAll(folder.dav!.href)).objects.map((o) => load(folder, o)).filter((c): c is LoadedCard => !!c);
    let kept = q.restriction ? all.filter((c) => evaluate(q.restriction!, (p) => contactPropertyValue(c.item, p, c.meta))) : all;
    const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
    const sort = q.sort.length ? q.sort : [{ path: { kind: 'field' as const, uri: 'contacts:FileAs' }, descending: false }];
    kept = [...kept].sort((a, b) => {
      for (const f of sort) {
        const c = collator.compare(contactPropertyValue(a.item, f.path, a.meta) ?? '', contactPropertyValue(b.item, f.path, b.meta) ?? '');
        if (c) return f.descending ? -c : c;
      }
      return a.obj.href < b.obj.href ? -1 : 1;
    });
    const page = pageOf(kept, q.paging);
    return { attributes: page.attributes, items: page.items.map((c) => renderContactItem(c.item, c.meta, q.shape, ctx.version)) };
  });
}

function fileName(item: CardItem, asked?: string): string {
  if (asked && /^[A-Za-z0-9._@-]{1,200}$/.test(asked)) return asked.endsWith('.vcf') ? asked : `${asked}.vcf`;
  const uid = item.uid && /^[A-Za-z0-9._-]{1,100}$/.test(item.uid) ? item.uid : createHash('sha1').update(item.uid ?? randomUUID()).digest('hex');
  return `${uid}.vcf`;
}

export async function createContact(ctx: RequestContext, folder: EwsFolder, el: Element): Promise<Xml> {
  const store = contactStoreOf(ctx, folder);
  const { item, resourceName } = parseContactItemElement(el);
  item.uid ??= randomUUID();
  return guard(async () => {
    const data = writeVCard(item);
    const ref = await store.createObject(folder.dav!.href, fileName(item, resourceName), data).catch((e) => {
      // The name is taken (a card with that UID or resource name exists): store under a fresh one.
      if (e instanceof ContactExistsError) return store.createObject(folder.dav!.href, `${randomUUID()}.vcf`, data);
      throw e;
    });
    return x('t:ItemId', { Id: encodeDavItemId({ store: 'contacts', view: 'VCARD', href: ref.href }), ChangeKey: etagChangeKey(ref.etag) });
  });
}

/** Applies Set/Append/DeleteItemField updates; with AutoResolve/AlwaysOverwrite a concurrent change is re-read and the updates applied again once. */
export async function updateContact(ctx: RequestContext, folder: EwsFolder, ref: DavItemRef, updates: Element[], opts: { changeKey?: string; conflict: string }): Promise<Xml> {
  const store = contactStoreOf(ctx, folder);
  return guard(async () => {
    for (let attempt = 0; ; attempt++) {
      const obj = await store.getObject(ref.href);
      if (opts.conflict === 'NeverOverwrite' && opts.changeKey && opts.changeKey !== etagChangeKey(obj.etag)) {
        throw new EwsError('ErrorIrresolvableConflict', 'The change key passed in the request does not match the current change key for the item.');
      }
      const item = applyContactUpdates(readVCard(obj.data), updates);
      try {
        const saved = await store.updateObject(ref.href, writeVCard(item), obj.etag);
        return x('t:ItemId', { Id: encodeDavItemId(ref), ChangeKey: etagChangeKey(saved.etag) });
      } catch (e) {
        if (!(e instanceof ContactConflictError) || opts.conflict === 'NeverOverwrite' || attempt > 0) throw e;
      }
    }
  });
}

export async function deleteContact(ctx: RequestContext, folder: EwsFolder, ref: DavItemRef): Promise<void> {
  const store = contactStoreOf(ctx, folder);
  await guard(() => store.deleteObject(ref.href));
}

/** Copies (and for a move, removes) a card into another address book; answers the new id. */
export async function transferContact(ctx: RequestContext, from: EwsFolder, to: EwsFolder, ref: DavItemRef, move: boolean): Promise<Xml> {
  const store = contactStoreOf(ctx, from);
  return guard(async () => {
    const obj = await store.getObject(ref.href);
    const item = readVCard(obj.data);
    const name = move ? (ref.href.split('/').pop() ?? fileName(item)) : fileName({ ...item, uid: randomUUID() });
    const data = move ? obj.data : writeVCard({ ...item, uid: randomUUID() });
    const created = await store.createObject(to.dav!.href, name, data);
    if (move) await store.deleteObject(ref.href, obj.etag);
    return x('t:ItemId', { Id: encodeDavItemId({ store: 'contacts', view: 'VCARD', href: created.href }), ChangeKey: etagChangeKey(created.etag) });
  });
}

interface ContactSyncState {
  f: string;
  /** Store token up to which the client has everything. */
  t: string;
  /** Short hashes of the hrefs the client has (Create vs Update, and which deletes concern it). */
  k: string[];
  /** Hrefs already reported in a round that did not fit one answer. */
  d?: string[];
}

const hrefKey = (href: string) => createHash('sha1').update(href).digest('base64url').slice(0, 8);

export async function syncContacts(ctx: RequestContext, folder: EwsFolder, stateText: string | undefined, max: number, shape: ItemShape, ignore: Set<string>) {
  const store = contactStoreOf(ctx, folder);
  let prev: ContactSyncState | undefined;
  if (stateText) {
    prev = openState<ContactSyncState>('C1', stateText, ctx.stateSecret);
    if (!prev || prev.f !== folder.id) throw new EwsError('ErrorInvalidSyncStateData', 'Synchronization state data is corrupt or otherwise invalid.');
  }
  return guard(async () => {
    const res = await store.sync(folder.dav!.href, prev?.t ?? '');
    const known = new Set(prev?.k ?? []);
    const done = new Set(prev?.d ?? []);
    const changes: Xml[] = [];
    for (const href of res.deleted) {
      const k = hrefKey(href);
      if (!known.has(k)) continue;
      known.delete(k);
      const id = encodeDavItemId({ store: 'contacts', view: 'VCARD', href });
      if (!ignore.has(id)) changes.push(x('t:Delete', null, x('t:ItemId', { Id: id })));
    }
    const pending = res.changed.filter((c) => !done.has(hrefKey(c.href)));
    const batch = pending.slice(0, Math.max(0, max - changes.length));
    const got = batch.length ? await store.multiget(folder.dav!.href, batch.map((b) => b.href)) : { objects: [], missing: [], failed: [] };
    const objects = got.objects;
    // Gone or unreadable meanwhile: the next token reports them; they must not hold this round open.
    for (const href of [...got.missing, ...got.failed.map((f) => f.href)]) done.add(hrefKey(href));
    for (const obj of objects) {
      const loaded = load(folder, obj);
      const k = hrefKey(obj.href);
      done.add(k);
      if (!loaded || ignore.has(loaded.meta.id)) {
        known.add(k);
        continue;
      }
      changes.push(x(known.has(k) ? 't:Update' : 't:Create', null, renderContactItem(loaded.item, loaded.meta, shape, ctx.version)));
      known.add(k);
    }
    const complete = batch.length === pending.length;
    const next: ContactSyncState = complete ? { f: folder.id, t: res.token, k: [...known] } : { f: folder.id, t: prev?.t ?? '', k: [...known], d: [...done] };
    return { state: sealState('C1', next, ctx.stateSecret), changes, last: complete };
  });
}

// ------------------------------------------------------------------ the contact picture
// A contact's PHOTO is served as one file attachment, ContactPicture.jpg with
// IsContactPhoto=true, as Exchange shows it (DavMail and Outlook read it so).
// Its AttachmentId is the contact's DAV item id behind its own kind byte, so
// GetAttachment / DeleteAttachment can tell it from a mail attachment id.

/** Kind byte of contact-picture attachment ids (mail: 4 in items/attachment-id.ts; folders and items: 1-3, 5, 6). */
const KIND_CONTACT_PHOTO = 7;

export function encodeContactPhotoId(ref: DavItemRef): string {
  const item = Buffer.from(encodeDavItemId(ref), 'base64url');
  return Buffer.concat([Buffer.from([ID_VERSION, KIND_CONTACT_PHOTO]), item]).toString('base64url');
}

/** The contact a picture attachment id belongs to; undefined when the id is not one. */
export function decodeContactPhotoId(id: string): DavItemRef | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(id) || id.length > 8192) return undefined;
  const buf = Buffer.from(id, 'base64url');
  if (buf.length < 3 || buf[0] !== ID_VERSION || buf[1] !== KIND_CONTACT_PHOTO) return undefined;
  const ref = decodeDavItemIdBytes(buf.subarray(2));
  return ref?.store === 'contacts' ? ref : undefined;
}

const photoNotFound = () => new EwsError('ErrorInvalidAttachmentId', 'The attachment could not be found.');

/**
 * GetAttachment for a contact picture: undefined when `attachmentId` is not a
 * contact-picture id (the caller goes on with mail attachment ids); otherwise the
 * t:FileAttachment with its Content (throws ErrorInvalidAttachmentId when the
 * contact has no picture any more, ErrorItemNotFound when the contact is gone).
 */
export async function getContactPhoto(ctx: RequestContext, tree: FolderTree, attachmentId: string): Promise<Xml | undefined> {
  const ref = decodeContactPhotoId(attachmentId);
  if (!ref) return undefined;
  const resolved = resolveDavItem(tree, encodeDavItemId(ref));
  if (!resolved) throw photoNotFound();
  const store = contactStoreOf(ctx, resolved.folder);
  return guard(async () => {
    const obj = await store.getObject(ref.href);
    const item = readVCard(obj.data);
    if (item.kind !== 'contact' || !item.photo) throw photoNotFound();
    return x(
      't:FileAttachment',
      null,
      x('t:AttachmentId', { Id: attachmentId }),
      x('t:Name', null, CONTACT_PICTURE_NAME),
      x('t:ContentType', null, item.photo.contentType),
      x('t:Size', null, String(item.photo.data.length)),
      obj.lastModified ? x('t:LastModifiedTime', null, obj.lastModified.toISOString().replace(/\.\d{3}Z$/, 'Z')) : undefined,
      x('t:IsInline', null, 'false'),
      x('t:IsContactPhoto', null, 'true'),
      x('t:Content', null, item.photo.data.toString('base64')),
    );
  });
}

/**
 * CreateAttachment of a picture on a contact (a t:FileAttachment with
 * IsContactPhoto=true, or named ContactPicture.jpg): the vCard's PHOTO is
 * replaced. Answers the t:FileAttachment (AttachmentId with RootItemId /
 * RootItemChangeKey) for the response. `parentItemId` must be a contact id.
 */
export async function setContactPhotoAttachment(ctx: RequestContext, tree: FolderTree, parentItemId: string, attachment: Element): Promise<Xml> {
  const resolved = resolveDavItem(tree, parentItemId);
  if (!resolved || resolved.ref.store !== 'contacts') throw itemNotFound();
  if (attachment.localName !== 'FileAttachment') throw new EwsError('ErrorInvalidItemForOperationCreateItemAttachment', 'Only a file attachment (the contact picture) can be added to a contact.');
  const content = child(attachment, NS.types, 'Content');
  const contentType = textOf(child(attachment, NS.types, 'ContentType'))?.trim();
  const data = Buffer.from((content?.textContent ?? '').replace(/\s+/g, ''), 'base64');
  if (!data.length) throw new EwsError('ErrorInvalidRequest', 'The contact picture has no Content.');
  const store = contactStoreOf(ctx, resolved.folder);
  return guard(async () => {
    for (let attempt = 0; ; attempt++) {
      const obj = await store.getObject(resolved.ref.href);
      const item = readVCard(obj.data);
      if (item.kind !== 'contact') throw new EwsError('ErrorInvalidItemForOperationCreateItemAttachment', 'A distribution list has no picture.');
      setContactPhoto(item, data, contentType && /^image\//.test(contentType) ? contentType : 'image/jpeg');
      try {
        const saved = await store.updateObject(resolved.ref.href, writeVCard(item), obj.etag);
        return x('t:FileAttachment', null, x('t:AttachmentId', { Id: encodeContactPhotoId(resolved.ref), RootItemId: parentItemId, RootItemChangeKey: etagChangeKey(saved.etag) }));
      } catch (e) {
        if (!(e instanceof ContactConflictError) || attempt > 0) throw e;
      }
    }
  });
}

/** DeleteAttachment of a contact picture: false when the id is not a contact-picture id; otherwise the PHOTO goes and the contact's new id/change key is answered. */
export async function deleteContactPhoto(ctx: RequestContext, tree: FolderTree, attachmentId: string): Promise<Xml | false> {
  const ref = decodeContactPhotoId(attachmentId);
  if (!ref) return false;
  const resolved = resolveDavItem(tree, encodeDavItemId(ref));
  if (!resolved) throw photoNotFound();
  const store = contactStoreOf(ctx, resolved.folder);
  return guard(async () => {
    const obj = await store.getObject(ref.href);
    const item = readVCard(obj.data);
    if (item.kind !== 'contact' || !item.photo) throw photoNotFound();
    delete item.photo;
    const saved = await store.updateObject(ref.href, writeVCard(item), obj.etag);
    return x('m:RootItemId', { RootItemId: encodeDavItemId(ref), RootItemChangeKey: etagChangeKey(saved.etag) });
  });
}
