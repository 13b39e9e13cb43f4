// FindFolder: Shallow or Deep below each parent, filtered by a Restriction, then
// paged (IndexedPageFolderView / FractionalPageFolderView) as Exchange pages.
import { attr, x } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { renderFolder, parseFolderShape, folderProperty } from '../folders/render.js';
import { loadTree, messagesChild, ownAddresses, parseFolderIds } from '../folders/request.js';
import { evaluate, parseRestriction } from '../restriction.js';
import { parsePaging, pageOf } from '../paging.js';

export const FindFolder: Operation = {
  name: 'FindFolder',
  async handle(req, ctx) {
    const traversal = attr(req, 'Traversal') ?? 'Shallow';
    if (!['Shallow', 'Deep', 'SoftDeleted'].includes(traversal)) throw schemaViolation(`Traversal "${traversal}" is not valid.`);
    const shape = parseFolderShape(messagesChild(req, 'FolderShape'));
    const paging = parsePaging(req, 'IndexedPageFolderView', 'FractionalPageFolderView');
    const restriction = parseRestriction(messagesChild(req, 'Restriction'));
    const parents = parseFolderIds(messagesChild(req, 'ParentFolderIds'), 'ParentFolderIds');
    const tree = await loadTree(ctx);
    const results = await eachItem(parents, async (id) => {
      const parent = tree.resolve(id, ownAddresses(ctx));
      if (traversal === 'SoftDeleted') throw new EwsError('ErrorInvalidRequest', 'This mailbox keeps no soft-deleted folders.');
      let found = traversal === 'Deep' ? tree.descendants(parent) : parent.children;
      if (restriction) found = found.filter((f) => evaluate(restriction, (p) => folderProperty(f, p)));
      const page = pageOf(found, paging);
      return ok(
        x(
          'm:RootFolder',
          page.attributes,
          x(
            't:Folders',
            null,
            page.items.map((f) => renderFolder(f, shape, ctx)),
          ),
        ),
      );
    });
    return respond('FindFolder', results);
  },
};
