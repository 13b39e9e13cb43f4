// MoveFolder: IMAP RENAME to a new parent; the answer carries the moved folder's id.
import { x } from '../../soap/xml.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { loadTree, messagesChild, ownAddresses, parseFolderIds, parseSingleFolderId } from '../folders/request.js';
import { moveFolderTo, refuseDistinguished } from '../folders/mutate.js';

export const MoveFolder: Operation = {
  name: 'MoveFolder',
  async handle(req, ctx) {
    const target = parseSingleFolderId(messagesChild(req, 'ToFolderId'), 'ToFolderId');
    const ids = parseFolderIds(messagesChild(req, 'FolderIds'), 'FolderIds');
    const results = await eachItem(ids, async (id) => {
      const tree = await loadTree(ctx);
      const folder = tree.resolve(id, ownAddresses(ctx));
      const parent = tree.resolve(target, ownAddresses(ctx));
      refuseDistinguished(folder, 'ErrorMoveDistinguishedFolder');
      const newId = await moveFolderTo(ctx.mailbox.mail, tree, folder, parent, folder.displayName);
      return ok(x('m:Folders', null, x('t:Folder', null, newId)));
    });
    return respond('MoveFolder', results);
  },
};
