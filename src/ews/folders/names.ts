// Folder names that the IMAP store can hold.
import { EwsError } from '../errors.js';

export function validateFolderName(raw: string | undefined, delimiter: string): string {
  const name = (raw ?? '').trim();
  if (!name) throw new EwsError('ErrorInvalidPropertySet', 'A folder needs a DisplayName.');
  if (name.includes(delimiter) || /[\u0000-\u001f*%]/.test(name)) {
    throw new EwsError('ErrorInvalidPropertyValue', `A folder name may not contain "${delimiter}", "*", "%" or control characters.`);
  }
  if (name.length > 255) throw new EwsError('ErrorInvalidPropertyValue', 'The folder name is too long.');
  return name;
}
