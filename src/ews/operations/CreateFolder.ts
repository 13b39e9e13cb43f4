// CreateFolder: IMAP CREATE under the parent's path for mail folders; calendar,
// task and contact folders become CalDAV / CardDAV collections (folders/dav-mutate.ts).
import { NS, child, elementChildren, textOf, x } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { folderIdOf } from '../folders/mutate.js';
import { loadTree, messagesChild, ownAddresses, parseSingleFolderId } from '../folders/request.js';
import { validateFolderName } from '../folders/names.js';
import { createDavFolder, davViewForNewFolder } from '../folders/dav-mutate.js';

export const CreateFolder: Operation = {
  name: 'CreateFolder',
  async handle(req, ctx) {
    const parentId = parseSingleFolderId(messagesChild(req, 'ParentFolderId'), 'ParentFolderId');
    const folders = elementChildren(
      messagesChild(req, 'Folders') ??
        (() => {
          throw schemaViolation('Folders is required.');
        })(),
    );
    const store = ctx.mailbox.mail;
    const results = await eachItem(folders, async (el) => {
      const tree = await loadTree(ctx);
      const parent = tree.resolve(parentId, ownAddresses(ctx));
      const folderClass = textOf(child(el, NS.types, 'FolderClass'))?.trim();
      const davView = davViewForNewFolder(el.localName ?? '', folderClass);
      if (davView) {
        const id = await createDavFolder(ctx, tree, parent, davView, textOf(child(el, NS.types, 'DisplayName')));
        return ok(x('m:Folders', null, x(DAV_ELEMENT[davView], null, id)));
      }
      const name = validateFolderName(textOf(child(el, NS.types, 'DisplayName')), tree.delimiter());
      const mailLike = !folderClass || folderClass === 'IPF.Note' || folderClass.startsWith('IPF.Note.');
      if (el.localName !== 'Folder' || !mailLike) {
        throw new EwsError('ErrorInvalidOperation', `Folders of class ${folderClass ?? el.localName} cannot be created in the mail store.`);
      }
      if (parent.children.some((c) => c.displayName.toLowerCase() === name.toLowerCase())) {
        throw new EwsError('ErrorFolderExists', 'A folder with the specified name already exists.');
      }
      const path = tree.childPath(parent, name);
      await store.createFolder(path);
      return ok(x('m:Folders', null, x('t:Folder', null, await folderIdOf(store, path))));
    });
    return respond('CreateFolder', results);
  },
};

/** The folder type GetFolder reports for the new collection. */
const DAV_ELEMENT = { VEVENT: 't:CalendarFolder', VTODO: 't:TasksFolder', VCARD: 't:ContactsFolder' } as const;
