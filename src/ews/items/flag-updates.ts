// Item changes that are only IMAP flags: read state, follow-up flag, categories
// (keywords), last verb ($Answered / $Forwarded) and the IMAP deleted mark.
// They become STORE commands; everything else changes content.
import { NS, child, elementChildren, textOf, type Element, xsBool } from '../../soap/xml.js';
import { EwsError } from '../errors.js';
import type { PropertyPath } from '../properties/path.js';
import { categoryKeywordsOf } from './mail-item.js';
import { categoryToKeyword } from './keywords.js';

export interface FlagEdit {
  add: string[];
  remove: string[];
  /** Categories replace all user keywords. */
  setCategories?: string[];
}

/** The item element inside a Set/Append update (t:Message, t:Item, ...). */
export function valueElement(update: Element): Element | undefined {
  return elementChildren(update).find((c) => !['FieldURI', 'IndexedFieldURI', 'ExtendedFieldURI'].includes(c.localName ?? ''));
}

function extendedValue(item: Element | undefined): string | undefined {
  const ep = child(item, NS.types, 'ExtendedProperty');
  return textOf(child(ep, NS.types, 'Value'))?.trim();
}

function extendedValues(item: Element | undefined): string[] {
  const ep = child(item, NS.types, 'ExtendedProperty');
  const values = child(ep, NS.types, 'Values');
  if (values) return elementChildren(values).map((v) => (v.textContent ?? '').trim());
  const one = extendedValue(item);
  return one === undefined ? [] : [one];
}

/**
 * Applies one update to `edit` when it is flag-only and answers true; false means
 * the update changes content. Bad values throw the EwsError Exchange would answer.
 */
export function applyFlagUpdate(edit: FlagEdit, kind: string, path: PropertyPath, update: Element): boolean {
  const del = kind === 'DeleteItemField';
  const item = valueElement(update);
  const bool = (name: string) => {
    const v = textOf(child(item, NS.types, name))?.trim().toLowerCase();
    const parsed = xsBool(v);
    if (parsed === undefined) throw new EwsError('ErrorInvalidPropertySet', `${name} must be true or false.`);
    return parsed;
  };
  const toggle = (flag: string, on: boolean) => (on ? edit.add : edit.remove).push(flag);
  if (path.kind === 'field') {
    switch (path.uri) {
      case 'message:IsRead':
        toggle('\\Seen', del ? false : bool('IsRead'));
        return true;
      case 'item:Flag': {
        const status = del ? 'NotFlagged' : textOf(child(child(item, NS.types, 'Flag'), NS.types, 'FlagStatus'))?.trim();
        toggle('\\Flagged', status === 'Flagged');
        return true;
      }
      case 'item:Categories': {
        const list = del ? [] : elementChildren(child(item, NS.types, 'Categories') ?? item!).map((s) => (s.textContent ?? '').trim()).filter(Boolean);
        if (kind === 'AppendToItemField') edit.add.push(...list.map(keyword));
        else edit.setCategories = list.map(keyword);
        return true;
      }
      default:
        return false;
    }
  }
  if (path.kind !== 'extended') return false;
  return applyExtendedFlag(edit, path, del ? undefined : extendedValues(item));
}

/**
 * The MAPI properties that are IMAP flags underneath (DavMail's STORE and APPEND speak them):
 * `values` undefined deletes the property. False when the property is not a flag.
 */
export function applyExtendedFlag(edit: FlagEdit, path: Extract<PropertyPath, { kind: 'extended' }>, values: string[] | undefined): boolean {
  const toggle = (flag: string, on: boolean) => (on ? edit.add : edit.remove).push(flag);
  if (path.propertySet?.toLowerCase() === 'publicstrings' && path.propertyName === 'Keywords') {
    edit.setCategories = (values ?? []).map(keyword);
    return true;
  }
  if (path.propertySet?.toLowerCase() === 'common' && path.propertyId === 0x8570) {
    toggle('\\Deleted', values?.[0] === '1');
    return true;
  }
  const n = values === undefined ? undefined : Number(values[0]);
  switch (path.tag) {
    case 0x1090: // PR_FLAG_STATUS: 2 flagged, 1 complete, 0 none
      toggle('\\Flagged', n === 2);
      return true;
    case 0x1081: // PR_LAST_VERB_EXECUTED
    case 0x1080: // PR_ICON_INDEX, which DavMail sets beside it: 261 replied, 262 forwarded
      if (n === 102 || n === 103 || n === 261) toggle('\\Answered', true);
      else if (n === 104 || n === 262) toggle('$Forwarded', true);
      else if (path.tag === 0x1081) {
        toggle('\\Answered', false);
        toggle('$Forwarded', false);
      }
      return true;
    case 0x0e07: // PR_MESSAGE_FLAGS: the read bit
      toggle('\\Seen', n !== undefined && (n & 1) === 1);
      return true;
    case 0x1083: // junk mark
      toggle('$Junk', n === 1);
      return true;
    default:
      return false;
  }
}

function keyword(name: string): string {
  return categoryToKeyword(name);
}

/** The STORE commands for an edit, given the message's current flags. */
export function flagChanges(edit: FlagEdit, current: Set<string>): { add: string[]; remove: string[] } {
  const add = new Set(edit.add);
  const remove = new Set(edit.remove);
  if (edit.setCategories) {
    for (const k of categoryKeywordsOf(current)) if (!edit.setCategories.includes(k)) remove.add(k);
    for (const k of edit.setCategories) add.add(k);
  }
  for (const f of add) remove.delete(f);
  return { add: [...add].filter((f) => !current.has(f)), remove: [...remove].filter((f) => current.has(f)) };
}
