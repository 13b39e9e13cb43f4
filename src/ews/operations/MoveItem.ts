// MoveItem: IMAP MOVE (UIDPLUS gives the new ids).
import type { Operation } from '../operation.js';
import { transferItems } from '../items/transfer.js';

export const MoveItem: Operation = { name: 'MoveItem', handle: (req, ctx) => transferItems('MoveItem', req, ctx) };
