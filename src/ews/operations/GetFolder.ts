// GetFolder: one response message per requested id, in request order
// (Thunderbird checks the count; only `archive` may fail for it).
import { x } from '../../soap/xml.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { renderFolder, parseFolderShape } from '../folders/render.js';
import { folderInputsNeedDav, loadTree, messagesChild, ownAddresses, parseFolderIds } from '../folders/request.js';

export const GetFolder: Operation = {
  name: 'GetFolder',
  async handle(req, ctx) {
    const shape = parseFolderShape(messagesChild(req, 'FolderShape'));
    const ids = parseFolderIds(messagesChild(req, 'FolderIds'), 'FolderIds');
    const tree = await loadTree(ctx, { dav: folderInputsNeedDav(ids) });
    const results = await eachItem(ids, async (id) => {
      const folder = tree.resolve(id, ownAddresses(ctx));
      return ok(x('m:Folders', null, renderFolder(folder, shape, ctx)));
    });
    return respond('GetFolder', results);
  },
};
