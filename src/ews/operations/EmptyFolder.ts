// EmptyFolder: every message goes (to Deleted Items for MoveToDeletedItems), and
// with DeleteSubFolders the subfolders too. A calendar, task list or address book
// loses every object it shows (DAV has no trash to move them to).
import { attr, xsBool } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { FolderTree } from '../folders/tree.js';
import { loadTree, messagesChild, ownAddresses, parseFolderIds } from '../folders/request.js';
import { deleteFolderTree } from '../folders/mutate.js';
import { emptyDavFolder } from '../folders/dav-mutate.js';

export const EmptyFolder: Operation = {
  name: 'EmptyFolder',
  async handle(req, ctx) {
    const deleteType = attr(req, 'DeleteType');
    if (deleteType !== 'HardDelete' && deleteType !== 'SoftDelete' && deleteType !== 'MoveToDeletedItems') {
      throw schemaViolation(`DeleteType "${deleteType ?? ''}" is not valid.`);
    }
    const deleteSubFolders = xsBool(attr(req, 'DeleteSubFolders')) === true;
    const ids = parseFolderIds(messagesChild(req, 'FolderIds'), 'FolderIds');
    const store = ctx.mailbox.mail;
    const results = await eachItem(ids, async (id) => {
      const tree = await loadTree(ctx);
      const folder = tree.resolve(id, ownAddresses(ctx));
      if (folder === tree.root || folder === tree.msgFolderRoot) {
        throw new EwsError('ErrorCannotEmptyFolder', 'The root folders cannot be emptied.');
      }
      if (folder.dav) {
        // DeleteSubFolders has nothing to act on: collections do not nest.
        await emptyDavFolder(ctx, folder);
        return ok();
      }
      const trash = tree.distinguishedFolder('deleteditems');
      const toTrash = deleteType === 'MoveToDeletedItems' && trash?.mail && !FolderTree.isWithin(folder, trash);
      if (folder.mail?.selectable && folder.mail.messages > 0) {
        if (toTrash) await store.moveAllMessages(folder.mail.path, trash!.mail!.path);
        else await store.deleteAllMessages(folder.mail.path);
      }
      if (deleteSubFolders) for (const c of [...folder.children]) await deleteFolderTree(store, tree, c);
      return ok();
    });
    return respond('EmptyFolder', results);
  },
};
