// Item changes that are only IMAP flags: read state, follow-up flag, categories
// (keywords), last verb ($Answered / $Forwarded) and the IMAP deleted mark.
// They become STORE commands; everything else changes content.
import { NS, child, elementChildren, textOf, type Element } from '../../soap/xml.js';
import { EwsError } from '../errors.js';
import type { PropertyPath } from '../properties/path.js';
import { categoriesOf } from './mail-item.js';

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
    if (v !== 'true' && v !== 'false') throw new EwsError('ErrorInvalidPropertySet', `${name} must be true or false.`);
    return v === 'true';
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
  if (path.propertySet?.toLowerCase() === 'publicstrings' && path.propertyName === 'Keywords') {
    edit.setCategories = del ? [] : extendedValues(item).map(keyword);
    return true;
  }
  if (path.propertySet?.toLowerCase() === 'common' && path.propertyId === 0x8570) {
    toggle('\\Deleted', !del && extendedValue(item) === '1');
    return true;
  }
  const n = del ? undefined : Number(extendedValue(item));
  switch (path.tag) {
    case 0x1090: // PR_FLAG_STATUS: 2 flagged, 1 complete, 0 none
      toggle('\\Flagged', n === 2);
      return true;
    case 0x1081: // PR_LAST_VERB_EXECUTED
      if (n === 102 || n === 103) toggle('\\Answered', true);
      else if (n === 104) toggle('$Forwarded', true);
      else {
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

/** IMAP keywords are atoms: spaces and specials become underscores. */
function keyword(name: string): string {
  return name.replace(/[\s(){%*"\\\]\u0000-\u001f]/g, '_');
}

/** The STORE commands for an edit, given the message's current flags. */
export function flagChanges(edit: FlagEdit, current: Set<string>): { add: string[]; remove: string[] } {
  const add = new Set(edit.add);
  const remove = new Set(edit.remove);
  if (edit.setCategories) {
    for (const k of categoriesOf(current)) if (!edit.setCategories.includes(k)) remove.add(k);
    for (const k of edit.setCategories) add.add(k);
  }
  for (const f of add) remove.delete(f);
  return { add: [...add].filter((f) => !current.has(f)), remove: [...remove].filter((f) => current.has(f)) };
}
