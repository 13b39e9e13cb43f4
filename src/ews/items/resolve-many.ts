// Resolving a list of item ids into per-folder UID batches, keeping request order.
import { asEwsError, EwsError } from '../errors.js';
import type { EwsFolder, FolderTree } from '../folders/tree.js';
import { groupByFolder, relocate, resolveItem, type ItemIdInput, type ResolvedItem } from './request.js';
import type { RequestContext } from '../operation.js';
import { resolveDavItem, type ResolvedDavItem } from '../dav/resolve.js';

export interface Batch {
  folder: EwsFolder;
  entries: { item: ResolvedItem; index: number }[];
}

export interface DavEntry extends ResolvedDavItem {
  index: number;
}

/** resolveItems, then each mail item pointed at its current UID (content changes store new copies). */
export async function resolveItemsNow(ctx: RequestContext, tree: FolderTree, ids: ItemIdInput[]) {
  const r = resolveItems(tree, ids);
  await relocate(ctx, r.batches, ids);
  return r;
}

/** Per-id errors for ids that do not resolve, one batch per mail folder, and the DAV items apart. */
export function resolveItems(tree: FolderTree, ids: ItemIdInput[]): { errors: (EwsError | undefined)[]; batches: Batch[]; dav: DavEntry[] } {
  const dav: DavEntry[] = [];
  const resolved: (ResolvedItem | EwsError | undefined)[] = ids.map((id, index) => {
    try {
      const d = resolveDavItem(tree, id.id);
      if (d) {
        dav.push({ ...d, index });
        return undefined;
      }
      return resolveItem(tree, id);
    } catch (e) {
      const err = asEwsError(e);
      if (!err) throw e;
      return err;
    }
  });
  const errors = resolved.map((r) => (r instanceof EwsError ? r : undefined));
  const batches = [...groupByFolder(resolved)].map(([folder, entries]) => ({ folder, entries }));
  return { errors, batches, dav };
}
