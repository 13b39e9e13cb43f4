// CopyItem: IMAP COPY (UIDPLUS gives the new ids).
import type { Operation } from '../operation.js';
import { transferItems } from '../items/transfer.js';

export const CopyItem: Operation = { name: 'CopyItem', handle: (req, ctx) => transferItems('CopyItem', req, ctx) };
