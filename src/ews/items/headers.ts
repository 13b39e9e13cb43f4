// Header access for mail items, on top of the MIME conversions (src/convert):
// one lenient header reader for the whole project.
import { parseHeaderBlock as parseFields, headerValue as field, type HeaderField } from '../../convert/mime-headers.js';
import { readImportance, readSensitivity } from '../../convert/message-properties.js';

export type Header = HeaderField;

export function parseHeaderBlock(raw: Buffer | undefined): Header[] {
  return raw ? parseFields(raw) : [];
}

/** The decoded value of the first field of that name. */
export function headerValue(headers: Header[], name: string): string | undefined {
  return field(headers, name)?.value;
}

export const importanceOf = readImportance;
export const sensitivityOf = readSensitivity;
