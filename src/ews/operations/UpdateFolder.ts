// UpdateFolder: a DisplayName change is an IMAP RENAME within the same parent;
// with a stable backend id (X-GUID) the FolderId stays valid. A calendar or
// address book keeps its href (and id): only its DAV displayname changes.
import { NS, child, elementChildren, textOf, x, type Element } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { parsePropertyPath } from '../properties/path.js';
import { loadTree, messagesChild, ownAddresses, parseFolderIdInput } from '../folders/request.js';
import { moveFolderTo, refuseDistinguished } from '../folders/mutate.js';
import { validateFolderName } from '../folders/names.js';
import { renameDavFolder, validateDavFolderName } from '../folders/dav-mutate.js';

export const UpdateFolder: Operation = {
  name: 'UpdateFolder',
  async handle(req, ctx) {
    const changes = elementChildren(messagesChild(req, 'FolderChanges') ?? fail('FolderChanges is required.'));
    const results = await eachItem(changes, async (change) => {
      const idEl = elementChildren(change).find((c) => c.localName === 'FolderId' || c.localName === 'DistinguishedFolderId');
      if (!idEl) throw schemaViolation('FolderChange needs a folder id.');
      const tree = await loadTree(ctx);
      const folder = tree.resolve(parseFolderIdInput(idEl), ownAddresses(ctx));
      // Every update is checked before anything changes, so a refused request changes nothing.
      let newName: string | undefined;
      for (const update of elementChildren(child(change, NS.types, 'Updates') ?? fail('FolderChange needs Updates.'))) {
        const pathEl = elementChildren(update)[0];
        if (!pathEl) throw schemaViolation(`${update.localName} needs a property path.`);
        const prop = parsePropertyPath(pathEl);
        const uri = prop.kind === 'field' ? prop.uri : undefined;
        if (uri === 'folder:DisplayName') {
          if (update.localName !== 'SetFolderField') throw new EwsError('ErrorInvalidPropertyDelete', 'DisplayName cannot be deleted.');
          const raw = textOf(findChildDeep(update, 'DisplayName'));
          newName = folder.dav ? validateDavFolderName(raw) : validateFolderName(raw, tree.delimiter());
        } else if (uri === 'folder:FolderClass') {
          const cls = textOf(findChildDeep(update, 'FolderClass'))?.trim() ?? '';
          const same =
            update.localName === 'DeleteFolderField'
              ? folder.folderClass === ''
              : cls === folder.folderClass || (cls === 'IPF.Note' && folder.folderClass === '');
          if (!same) throw new EwsError('ErrorInvalidPropertySet', 'The class of a mail folder cannot be changed.');
        } else if (uri === 'folder:PermissionSet' && update.localName === 'DeleteFolderField') {
          // exchangelib clears the permission set on every save; IMAP folders have none to clear.
        } else {
          throw new EwsError('ErrorInvalidPropertySet', 'Only DisplayName can be changed on this server.');
        }
      }
      let folderId = x('t:FolderId', { Id: folder.id, ChangeKey: folder.changeKey });
      if (newName !== undefined && newName !== folder.displayName) {
        refuseDistinguished(folder, 'ErrorCannotRenameDistinguishedFolder');
        folderId = folder.dav ? await renameDavFolder(ctx, tree, folder, newName) : await moveFolderTo(ctx.mailbox.mail, tree, folder, folder.parent!, newName);
      }
      return ok(x('m:Folders', null, x('t:Folder', null, folderId)));
    });
    return respond('UpdateFolder', results);
  },
};

function fail(message: string): never {
  throw schemaViolation(message);
}

/** The folder element inside a Set/Append update holds the new value. */
function findChildDeep(update: Element, name: string): Element | undefined {
  for (const c of elementChildren(update)) {
    if (['Folder', 'CalendarFolder', 'ContactsFolder', 'TasksFolder', 'SearchFolder'].includes(c.localName ?? '')) return child(c, NS.types, name);
  }
  return undefined;
}
