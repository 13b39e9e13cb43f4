// The dispatch table: every EWS operation this server implements. Adding an
// operation is one file in operations/ and one line here; the WSDL is generated
// from this list, so it never advertises what is not here.
import type { Operation } from './operation.js';
import { ConvertId } from './operations/ConvertId.js';
import { CopyFolder } from './operations/CopyFolder.js';
import { CopyItem } from './operations/CopyItem.js';
import { CreateAttachment } from './operations/CreateAttachment.js';
import { CreateFolder } from './operations/CreateFolder.js';
import { CreateItem } from './operations/CreateItem.js';
import { DeleteAttachment } from './operations/DeleteAttachment.js';
import { DeleteFolder } from './operations/DeleteFolder.js';
import { DeleteItem } from './operations/DeleteItem.js';
import { EmptyFolder } from './operations/EmptyFolder.js';
import { ExpandDL } from './operations/ExpandDL.js';
import { ExportItems } from './operations/ExportItems.js';
import { FindFolder } from './operations/FindFolder.js';
import { FindItem } from './operations/FindItem.js';
import { FindPeople } from './operations/FindPeople.js';
import { GetAttachment } from './operations/GetAttachment.js';
import { GetEvents } from './operations/GetEvents.js';
import { GetFolder } from './operations/GetFolder.js';
import { GetItem } from './operations/GetItem.js';
import { GetServerTimeZones } from './operations/GetServerTimeZones.js';
import { GetStreamingEvents } from './operations/GetStreamingEvents.js';
import { GetUserAvailability } from './operations/GetUserAvailability.js';
import { GetUserConfiguration } from './operations/GetUserConfiguration.js';
import { MarkAllItemsAsRead } from './operations/MarkAllItemsAsRead.js';
import { MarkAsJunk } from './operations/MarkAsJunk.js';
import { MoveFolder } from './operations/MoveFolder.js';
import { MoveItem } from './operations/MoveItem.js';
import { ResolveNames } from './operations/ResolveNames.js';
import { SendItem } from './operations/SendItem.js';
import { Subscribe } from './operations/Subscribe.js';
import { SyncFolderHierarchy } from './operations/SyncFolderHierarchy.js';
import { SyncFolderItems } from './operations/SyncFolderItems.js';
import { Unsubscribe } from './operations/Unsubscribe.js';
import { UpdateFolder } from './operations/UpdateFolder.js';
import { UpdateItem } from './operations/UpdateItem.js';
import { UploadItems } from './operations/UploadItems.js';

const OPERATIONS: readonly Operation[] = [
  ConvertId,
  CopyFolder,
  CopyItem,
  CreateAttachment,
  CreateFolder,
  CreateItem,
  DeleteAttachment,
  DeleteFolder,
  DeleteItem,
  EmptyFolder,
  ExpandDL,
  ExportItems,
  FindFolder,
  FindItem,
  FindPeople,
  GetAttachment,
  GetEvents,
  GetFolder,
  GetItem,
  GetServerTimeZones,
  GetStreamingEvents,
  GetUserAvailability,
  GetUserConfiguration,
  MarkAllItemsAsRead,
  MarkAsJunk,
  MoveFolder,
  MoveItem,
  ResolveNames,
  SendItem,
  Subscribe,
  SyncFolderHierarchy,
  SyncFolderItems,
  Unsubscribe,
  UpdateFolder,
  UpdateItem,
  UploadItems,
];

/** By SOAP body element name. */
export const operations: ReadonlyMap<string, Operation> = new Map(OPERATIONS.map((op) => [op.requestElement ?? op.name, op]));

export const operationNames: readonly string[] = OPERATIONS.map((op) => op.name);
