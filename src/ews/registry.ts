// The dispatch table: every EWS operation this server implements. Adding an
// operation is one file in operations/ and one line here; the WSDL is generated
// from this list, so it never advertises what is not here.
import type { Operation } from './operation.js';
import { ConvertId } from './operations/ConvertId.js';
import { CopyFolder } from './operations/CopyFolder.js';
import { CreateFolder } from './operations/CreateFolder.js';
import { DeleteFolder } from './operations/DeleteFolder.js';
import { EmptyFolder } from './operations/EmptyFolder.js';
import { FindFolder } from './operations/FindFolder.js';
import { GetFolder } from './operations/GetFolder.js';
import { MoveFolder } from './operations/MoveFolder.js';
import { SyncFolderHierarchy } from './operations/SyncFolderHierarchy.js';
import { UpdateFolder } from './operations/UpdateFolder.js';

const OPERATIONS: readonly Operation[] = [
  ConvertId,
  CopyFolder,
  CreateFolder,
  DeleteFolder,
  EmptyFolder,
  FindFolder,
  GetFolder,
  MoveFolder,
  SyncFolderHierarchy,
  UpdateFolder,
];

export const operations: ReadonlyMap<string, Operation> = new Map(OPERATIONS.map((op) => [op.name, op]));

export const operationNames: readonly string[] = OPERATIONS.map((op) => op.name);
