// CopyFolder: the folder and its subtree are created under the target and every
// message copied (UID COPY); the answer carries the new top folder's id.
import { x } from '../../soap/xml.js';
import { EwsError } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { FolderTree, type EwsFolder } from '../folders/tree.js';
import { loadTree, messagesChild, ownAddresses, parseFolderIds, parseSingleFolderId } from '../folders/request.js';
import { folderIdOf, refuseNameCollision, requireMailFolder } from '../folders/mutate.js';

export const CopyFolder: Operation = {
  name: 'CopyFolder',
  async handle(req, ctx) {
    const target = parseSingleFolderId(messagesChild(req, 'ToFolderId'), 'ToFolderId');
    const ids = parseFolderIds(messagesChild(req, 'FolderIds'), 'FolderIds');
    const store = ctx.mailbox.mail;
    const results = await eachItem(ids, async (id) => {
      const tree = await loadTree(ctx);
      const folder = tree.resolve(id, ownAddresses(ctx));
      const parent = tree.resolve(target, ownAddresses(ctx));
      requireMailFolder(folder, 'copied');
      if (FolderTree.isWithin(parent, folder)) throw new EwsError('ErrorMoveCopyFailed', 'A folder cannot be copied into itself or below itself.');
      refuseNameCollision(parent, folder.displayName);
      const copyInto = async (src: EwsFolder, dstPath: string) => {
        await store.createFolder(dstPath);
        if (src.mail?.selectable) await store.copyAllMessages(src.mail.path, dstPath);
        for (const c of src.children) if (c.mail) await copyInto(c, dstPath + tree.delimiter() + c.displayName);
      };
      const topPath = tree.childPath(parent, folder.displayName);
      await copyInto(folder, topPath);
      return ok(x('m:Folders', null, x('t:Folder', null, await folderIdOf(store, topPath))));
    });
    return respond('CopyFolder', results);
  },
};
