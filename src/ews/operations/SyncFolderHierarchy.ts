// SyncFolderHierarchy: the state lists every folder of the scope with a digest of
// what clients see of it (name, parent, class); the next call compares it with a
// fresh listing and reports Create / Update / Delete, parents before children.
import { createHash } from 'node:crypto';
import { textOf, x } from '../../soap/xml.js';
import { EwsError } from '../errors.js';
import { ok, respond, type Operation } from '../operation.js';
import { parseFolderShape, renderFolder } from '../folders/render.js';
import { loadTree, messagesChild, ownAddresses, parseSingleFolderId } from '../folders/request.js';
import type { EwsFolder } from '../folders/tree.js';
import { openState, sealState } from '../sync/signed-state.js';

interface HierarchyState {
  scope: string;
  /** [folder id, digest] */
  f: [string, string][];
}

const STATE_KIND = 'H1';

export const SyncFolderHierarchy: Operation = {
  name: 'SyncFolderHierarchy',
  async handle(req, ctx) {
    const shape = parseFolderShape(messagesChild(req, 'FolderShape'));
    const syncFolder = messagesChild(req, 'SyncFolderId');
    const stateText = textOf(messagesChild(req, 'SyncState'))?.trim();
    const tree = await loadTree(ctx);
    try {
      const scope = syncFolder ? tree.resolve(parseSingleFolderId(syncFolder, 'SyncFolderId'), ownAddresses(ctx)) : tree.root;
      let previous = new Map<string, string>();
      if (stateText) {
        const state = openState<HierarchyState>(STATE_KIND, stateText, ctx.stateSecret);
        if (!state || state.scope !== scope.id || !Array.isArray(state.f)) {
          throw new EwsError('ErrorInvalidSyncStateData', 'Synchronization state data is corrupt or otherwise invalid.');
        }
        previous = new Map(state.f);
      }
      const current = tree.descendants(scope);
      const changes = [];
      const seen = new Set<string>();
      for (const f of current) {
        seen.add(f.id);
        const before = previous.get(f.id);
        const now = digest(f);
        if (before === undefined) changes.push(x('t:Create', null, renderFolder(f, shape, ctx)));
        else if (before !== now) changes.push(x('t:Update', null, renderFolder(f, shape, ctx)));
      }
      for (const id of previous.keys()) {
        if (!seen.has(id)) changes.push(x('t:Delete', null, x('t:FolderId', { Id: id })));
      }
      const newState = sealState(STATE_KIND, { scope: scope.id, f: current.map((f) => [f.id, digest(f)]) } satisfies HierarchyState, ctx.stateSecret);
      return respond('SyncFolderHierarchy', [
        ok(x('m:SyncState', null, newState), x('m:IncludesLastFolderInRange', null, 'true'), x('m:Changes', null, changes)),
      ]);
    } catch (e) {
      if (e instanceof EwsError) return respond('SyncFolderHierarchy', [e]);
      throw e;
    }
  },
};

function digest(f: EwsFolder): string {
  return createHash('sha1')
    .update(`${f.displayName}\0${f.parent?.id ?? ''}\0${f.folderClass}`)
    .digest('base64')
    .slice(0, 10);
}
