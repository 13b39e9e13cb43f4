// LDAP search filters built from user text, as filter objects holding the raw
// values: ldapjs encodes each value as one BER octet string, so text such as
// "*)(uid=*" is a literal to match, never filter syntax (RFC 4515's escaping is
// for the string form; on the wire, RFC 4511 values are plain octets).
//
// Why not a filter string with escaped values: @ldapjs/filter 2.1.1's string
// parser keeps RFC 4515 escapes as literal text on the wire ("(cn=a\2a)" is
// sent as the four characters a\2a, and "(cn=łukas*)" as \c5\82ukas), so
// escaped or non-ASCII values never match (checked against slapd 2.5). Its
// toString() is for reading only: it drops the escape of a backslash.
import ldap from 'ldapjs';
import type { Filter } from 'ldapjs';

/** The attributes whose start is matched: names, addresses, the login. */
const PREFIX_ATTRIBUTES = ['cn', 'displayName', 'givenName', 'sn', 'mail', 'uid'];
/** Names whose later words are matched too ("Doe" finds "John Doe"). */
const WORD_ATTRIBUTES = ['cn', 'displayName'];
const ENTRY_CLASSES = ['person', 'groupOfNames', 'groupOfUniqueNames'];

function entryClasses(): Filter {
  return new ldap.OrFilter({ filters: ENTRY_CLASSES.map((c) => new ldap.EqualityFilter({ attribute: 'objectClass', value: c })) });
}

/** Exchange's ambiguous-name match: a prefix of a name, an address, or any word of the name. */
export function ambiguousNameFilter(text: string): Filter {
  const terms: Filter[] = [
    ...PREFIX_ATTRIBUTES.map((attribute) => new ldap.SubstringFilter({ attribute, initial: text, any: [], final: '' })),
    ...WORD_ATTRIBUTES.map((attribute) => new ldap.SubstringFilter({ attribute, initial: '', any: [` ${text}`], final: '' })),
  ];
  return new ldap.AndFilter({ filters: [entryClasses(), new ldap.OrFilter({ filters: terms })] });
}

/** The entry with exactly this mail address (mail is case-insensitive in the core schema). */
export function addressFilter(address: string): Filter {
  return new ldap.AndFilter({ filters: [entryClasses(), new ldap.EqualityFilter({ attribute: 'mail', value: address })] });
}

/**
 * Exact match (ResolveNames' "=" prefix): the address, or (unless the text was
 * an "smtp:" address) the display name or cn, with the attributes' own equality
 * rules (caseIgnoreMatch for all three in the core schema).
 */
export function exactFilter(text: string, addressOnly: boolean): Filter {
  const attributes = addressOnly ? ['mail'] : ['mail', 'displayName', 'cn'];
  return new ldap.AndFilter({
    filters: [entryClasses(), new ldap.OrFilter({ filters: attributes.map((attribute) => new ldap.EqualityFilter({ attribute, value: text })) })],
  });
}
