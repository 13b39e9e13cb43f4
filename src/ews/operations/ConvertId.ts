// ConvertId between the id forms Exchange knows, for the ids we issue. DavMail
// reads AlternateId@Mailbox of the converted root id as the user's address.
import { attr, elementChildren, x } from '../../soap/xml.js';
import { EwsError, invalidIdMalformed, schemaViolation } from '../errors.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { decodeFolderIdBytes } from '../folders/folder-id.js';
import { decodeItemIdBytes } from '../items/item-id.js';
import { messagesChild } from '../folders/request.js';

const FORMATS = ['EwsLegacyId', 'EwsId', 'EntryId', 'HexEntryId', 'StoreId', 'OwaId'] as const;
type IdFormat = (typeof FORMATS)[number];

function toBytes(id: string, format: IdFormat): Buffer | undefined {
  switch (format) {
    case 'HexEntryId':
      return /^([0-9a-fA-F]{2})+$/.test(id) ? Buffer.from(id, 'hex') : undefined;
    case 'EntryId':
    case 'StoreId':
      return /^[A-Za-z0-9+/]+={0,2}$/.test(id) ? Buffer.from(id, 'base64') : undefined;
    default:
      return /^[A-Za-z0-9_-]+$/.test(id) ? Buffer.from(id, 'base64url') : undefined;
  }
}

function fromBytes(b: Buffer, format: IdFormat): string {
  switch (format) {
    case 'HexEntryId':
      return b.toString('hex').toUpperCase();
    case 'EntryId':
    case 'StoreId':
      return b.toString('base64');
    default:
      return b.toString('base64url');
  }
}

function isFormat(s: string | undefined): s is IdFormat {
  return !!s && (FORMATS as readonly string[]).includes(s);
}

export const ConvertId: Operation = {
  name: 'ConvertId',
  async handle(req, ctx) {
    const destination = attr(req, 'DestinationFormat');
    if (!isFormat(destination)) throw schemaViolation(`DestinationFormat "${destination ?? ''}" is not valid.`);
    const sources = elementChildren(
      messagesChild(req, 'SourceIds') ??
        (() => {
          throw schemaViolation('SourceIds is required.');
        })(),
    );
    const results = await eachItem(sources, async (el) => {
      if (el.localName !== 'AlternateId') throw new EwsError('ErrorInvalidRequest', 'Only mailbox ids (AlternateId) can be converted here.');
      const format = attr(el, 'Format');
      const id = attr(el, 'Id') ?? '';
      if (!isFormat(format)) throw schemaViolation(`Format "${format ?? ''}" is not valid.`);
      // The Mailbox a client sends is not checked: our ids carry no mailbox, and DavMail sends a
      // placeholder ("blah@blah.com") precisely to read the real address from the answer.
      const bytes = toBytes(id, format);
      if (!bytes || !(decodeFolderIdBytes(bytes) || decodeItemIdBytes(bytes))) throw invalidIdMalformed();
      return ok(x('m:AlternateId', { 'xsi:type': 't:AlternateIdType', Format: destination, Id: fromBytes(bytes, destination), Mailbox: ctx.user.email }));
    });
    return respond('ConvertId', results);
  },
};
