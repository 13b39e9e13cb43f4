// Resolving a list of item ids into per-folder UID batches, keeping request order.
import { asEwsError, EwsError } from '../errors.js';
import type { EwsFolder, FolderTree } from '../folders/tree.js';
import { groupByFolder, resolveItem, type ItemIdInput, type ResolvedItem } from './request.js';

export interface Batch {
  folder: EwsFolder;
  entries: { item: ResolvedItem; index: number }[];
}

/** Per-id errors for ids that do not resolve, and one batch per folder for the rest. */
export function resolveItems(tree: FolderTree, ids: ItemIdInput[]): { errors: (EwsError | undefined)[]; batches: Batch[] } {
  const resolved: (ResolvedItem | EwsError)[] = ids.map((id) => {
    try {
      return resolveItem(tree, id);
    } catch (e) {
      const err = asEwsError(e);
      if (!err) throw e;
      return err;
    }
  });
  const errors = resolved.map((r) => (r instanceof EwsError ? r : undefined));
  const batches = [...groupByFolder(resolved)].map(([folder, entries]) => ({ folder, entries }));
  return { errors, batches };
}
