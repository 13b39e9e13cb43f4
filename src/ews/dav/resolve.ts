// Finding the folder a DAV item id belongs to.
import type { FolderTree, EwsFolder } from '../folders/tree.js';
import { collectionOf, decodeDavItemId, type DavItemRef } from '../items/dav-item-id.js';
import { itemNotFound } from '../items/request.js';
import { storeUnavailable } from '../errors.js';

export interface ResolvedDavItem {
  ref: DavItemRef;
  folder: EwsFolder;
}

/**
 * The DAV item an id names, or undefined when it is not a DAV item id at all.
 * Throws ErrorItemNotFound for a collection that is gone, and
 * ErrorMailboxStoreUnavailable when its server did not list its collections
 * (the item may well exist: "not found" would make clients drop it).
 */
export function resolveDavItem(tree: FolderTree, id: string): ResolvedDavItem | undefined {
  const ref = decodeDavItemId(id);
  if (!ref) return undefined;
  const folder = tree.find({ kind: 'dav', store: ref.store, view: ref.view, href: collectionOf(ref.href) });
  if (!folder) {
    const roots = ref.store === 'contacts' ? ['contacts'] : ['calendar', 'tasks'];
    if (tree.all().some((f) => f.unavailable && !!f.distinguishedId && roots.includes(f.distinguishedId))) throw storeUnavailable();
    throw itemNotFound();
  }
  return { ref, folder };
}
