// DeleteFolder: HardDelete and SoftDelete remove the folder and its subtree (IMAP
// has no dumpster); MoveToDeletedItems moves it below Deleted Items. A calendar or
// address book is deleted whatever the DeleteType (it cannot live in Deleted Items).
import { attr } from '../../soap/xml.js';
import { schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { FolderTree } from '../folders/tree.js';
import { loadTree, messagesChild, ownAddresses, parseFolderIds } from '../folders/request.js';
import { deleteFolderTree, moveFolderTo, refuseDistinguished, requireMailFolder } from '../folders/mutate.js';
import { deleteDavFolder } from '../folders/dav-mutate.js';

export const DeleteFolder: Operation = {
  name: 'DeleteFolder',
  async handle(req, ctx) {
    const deleteType = attr(req, 'DeleteType');
    if (deleteType !== 'HardDelete' && deleteType !== 'SoftDelete' && deleteType !== 'MoveToDeletedItems') {
      throw schemaViolation(`DeleteType "${deleteType ?? ''}" is not valid.`);
    }
    const ids = parseFolderIds(messagesChild(req, 'FolderIds'), 'FolderIds');
    const store = ctx.mailbox.mail;
    const results = await eachItem(ids, async (id) => {
      const tree = await loadTree(ctx);
      const folder = tree.resolve(id, ownAddresses(ctx));
      refuseDistinguished(folder, 'ErrorDeleteDistinguishedFolder');
      if (folder.dav) {
        await deleteDavFolder(ctx, folder);
        return ok();
      }
      requireMailFolder(folder, 'deleted');
      const trash = tree.distinguishedFolder('deleteditems');
      if (deleteType === 'MoveToDeletedItems' && trash?.mail && !FolderTree.isWithin(folder, trash)) {
        await moveFolderTo(store, tree, folder, trash, uniqueName(trash, folder.displayName));
      } else {
        await deleteFolderTree(store, tree, folder);
      }
      return ok();
    });
    return respond('DeleteFolder', results);
  },
};

/** Deleted Items may already hold a folder of that name; Exchange keeps both. */
function uniqueName(parent: { children: { displayName: string }[] }, name: string): string {
  const taken = new Set(parent.children.map((c) => c.displayName.toLowerCase()));
  if (!taken.has(name.toLowerCase())) return name;
  for (let i = 1; ; i++) {
    const candidate = `${name} (${i})`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}
