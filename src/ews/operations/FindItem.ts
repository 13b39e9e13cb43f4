// FindItem on mail folders: the Restriction becomes IMAP SEARCH, the SortOrder
// IMAP SORT, and only the requested page is fetched with the requested shape.
// What IMAP cannot decide exactly is finished in memory on just the needed properties.
import { NS, attr, child, elementChildren, textOf, x, type Element } from '../../soap/xml.js';
import { schemaViolation, storeUnavailable } from '../errors.js';
import { findDavItems } from '../dav/items.js';
import { eachItem, ok, respond, type Operation } from '../operation.js';
import { folderInputsNeedDav, loadTreeFor, messagesChild, ownAddresses, parseFolderIds } from '../folders/request.js';
import { loadMailItems, loadMailWindow, renderContext } from '../items/load.js';
import { fieldNeeds, mailPropertyValue, needsOf, renderMailItem, type MailItem, type Need } from '../items/mail-item.js';
import { parseSortOrder, planSearch, planSort, restrictionPaths, type SortField } from '../items/search.js';
import { parseItemShape } from '../items/shape.js';
import { parseAqs } from '../items/aqs.js';
import { fixedWindow, pageOf, pageRange, parsePaging } from '../paging.js';
import { parsePropertyPath, type PropertyPath } from '../properties/path.js';
import { evaluate, parseRestriction } from '../restriction.js';

export const FindItem: Operation = {
  name: 'FindItem',
  async handle(req, ctx) {
    const traversal = attr(req, 'Traversal') ?? 'Shallow';
    if (!['Shallow', 'Deep', 'SoftDeleted', 'Associated'].includes(traversal)) throw schemaViolation(`Traversal "${traversal}" is not valid.`);
    const shape = parseItemShape(messagesChild(req, 'ItemShape'));
    const paging = parsePaging(req, 'IndexedPageItemView', 'FractionalPageItemView');
    const given = parseRestriction(messagesChild(req, 'Restriction'));
    const query = textOf(messagesChild(req, 'QueryString'))?.trim();
    const fromQuery = query ? parseAqs(query) : undefined;
    const restriction = given && fromQuery ? { op: 'and' as const, operands: [given, fromQuery] } : (given ?? fromQuery);
    const sortFields = parseSortOrder(messagesChild(req, 'SortOrder'));
    const parents = parseFolderIds(messagesChild(req, 'ParentFolderIds'), 'ParentFolderIds');
    const grouping = parseGrouping(req);
    const store = ctx.mailbox.mail;
    const tree = await loadTreeFor(ctx, parents, { dav: folderInputsNeedDav(parents), counts: false });
    const rc = renderContext(ctx.version, shape);
    const results = await eachItem(parents, async (id) => {
      const folder = tree.resolve(id, ownAddresses(ctx));
      if (folder.unavailable) throw storeUnavailable();
      if (folder.dav) {
        const page = await findDavItems(ctx, folder, { restriction, sort: sortFields, paging, shape, calendarView: messagesChild(req, 'CalendarView') });
        return ok(x('m:RootFolder', page.attributes, x('t:Items', null, page.items)));
      }
      const needs = needsOf(shape, true);
      if (grouping) for (const p of [grouping.by, grouping.aggregateOn]) for (const n of fieldNeeds(p)) needs.add(n);
      const render = (i: MailItem, mime?: Buffer) => renderMailItem(i, rc, true, mime);
      const sortPlan = sortFields.length ? planSort(sortFields) : 'uid-desc';
      if (folder.mail?.selectable && traversal !== 'SoftDeleted' && traversal !== 'Associated' && !restriction && !grouping && (sortPlan === 'uid-desc' || sortPlan === 'uid-asc')) {
        // A view of the whole folder in UID order (newest first, or by article number as DavMail
        // asks) needs no SEARCH: sequence numbers are in UID order, so a page is a range of them.
        const loaded = await loadMailWindow(store, folder, sortPlan === 'uid-desc' ? 'newest' : 'oldest', (n) => pageRange(n, paging), needs);
        const { attributes } = pageRange(loaded.state.exists, paging);
        return ok(x('m:RootFolder', attributes, x('t:Items', null, loaded.items.map((i) => render(i, loaded.mime.get(i.msg.uid))))));
      }
      let uids: number[] = [];
      let page: { items: number[]; attributes: Record<string, string> } | undefined;
      // No dumpster and no associated (FAI) items behind IMAP: those views are empty.
      if (folder.mail?.selectable && (traversal === 'Shallow' || traversal === 'Deep')) {
        const plan = planSearch(restriction);
        const search = Object.keys(plan.search).length ? plan.search : { all: true };
        const imapSort = Array.isArray(sortPlan) && sortPlan.length ? sortPlan : undefined;
        // A page whose place does not depend on the total is asked of the server alone (ESORT PARTIAL).
        const window = imapSort && plan.exact && !grouping ? fixedWindow(paging) : undefined;
        const found = await store.searchMessages(folder.mail.path, search, imapSort, window);
        if (window) page = { items: found.uids, attributes: pageRange(found.total, paging).attributes };
        uids = found.uids;
        if (sortPlan === 'uid-desc') uids = [...uids].sort((a, b) => b - a);
        else if (sortPlan === 'uid-asc') uids = [...uids].sort((a, b) => a - b);
        if (!plan.exact || sortPlan === undefined) {
          const needs = new Set<Need>();
          for (const p of restrictionPaths(restriction)) for (const n of fieldNeeds(p)) needs.add(n);
          if (sortPlan === undefined) for (const f of sortFields) for (const n of fieldNeeds(f.path)) needs.add(n);
          const { items } = await loadMailItems(store, folder, uids, needs);
          let kept = restriction && !plan.exact ? items.filter((i) => evaluate(restriction, (p) => mailPropertyValue(i, p))) : items;
          if (sortPlan === undefined) kept = sortInMemory(kept, sortFields);
          uids = kept.map((i) => i.msg.uid);
        }
      }
      page ??= pageOf(uids, paging);
      const { items, mime } = await loadMailItems(store, folder, page.items, needs);
      const byUid = new Map(items.map((i) => [i.msg.uid, i]));
      const inOrder = page.items.map((u) => byUid.get(u)).filter((i): i is MailItem => !!i);
      if (!grouping) return ok(x('m:RootFolder', page.attributes, x('t:Items', null, inOrder.map((i) => render(i, mime.get(i.msg.uid))))));
      const groups = groupItems(inOrder, grouping);
      return ok(
        x(
          'm:RootFolder',
          page.attributes,
          x(
            't:Groups',
            null,
            groups.map((g) => x('t:GroupedItems', null, x('t:GroupIndex', null, g.key), x('t:Items', null, g.items.map((i) => render(i, mime.get(i.msg.uid)))))),
          ),
        ),
      );
    });
    return respond('FindItem', results);
  },
};

interface Grouping {
  by: PropertyPath;
  aggregateOn: PropertyPath;
  aggregate: 'Minimum' | 'Maximum';
  descending: boolean;
}

/** GroupBy, or DistinguishedGroupBy's one standard grouping (ConversationTopic). */
function parseGrouping(req: Element): Grouping | undefined {
  const g = messagesChild(req, 'GroupBy');
  if (g) {
    const by = elementChildren(g).find((c) => c.localName !== 'AggregateOn');
    const agg = child(g, NS.types, 'AggregateOn');
    const aggPath = agg && elementChildren(agg)[0];
    if (!by || !agg || !aggPath) throw schemaViolation('GroupBy needs a property and AggregateOn.');
    const aggregate = attr(agg, 'Aggregate');
    if (aggregate !== 'Minimum' && aggregate !== 'Maximum') throw schemaViolation('AggregateOn@Aggregate must be Minimum or Maximum.');
    return { by: parsePropertyPath(by), aggregateOn: parsePropertyPath(aggPath), aggregate, descending: attr(g, 'Order') === 'Descending' };
  }
  const d = messagesChild(req, 'DistinguishedGroupBy');
  if (d) {
    const std = textOf(child(d, NS.types, 'StandardGroupBy'))?.trim();
    if (std !== 'ConversationTopic') throw schemaViolation(`StandardGroupBy "${std ?? ''}" is not valid.`);
    return {
      by: { kind: 'field', uri: 'message:ConversationTopic' },
      aggregateOn: { kind: 'field', uri: 'item:DateTimeReceived' },
      aggregate: 'Maximum',
      descending: true,
    };
  }
  return undefined;
}

/** Groups in aggregate order; date-time properties group by their day, the grouping people mean by "received date". */
function groupItems(items: MailItem[], g: Grouping): { key: string; items: MailItem[] }[] {
  const groups = new Map<string, MailItem[]>();
  for (const i of items) {
    let key = mailPropertyValue(i, g.by) ?? '';
    if (/^\d{4}-\d\d-\d\dT/.test(key)) key = key.slice(0, 10);
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
  const aggregated = [...groups].map(([key, members]) => {
    const values = members.map((m) => mailPropertyValue(m, g.aggregateOn) ?? '').sort(collator.compare);
    return { key, items: members, value: g.aggregate === 'Maximum' ? values[values.length - 1] : values[0] };
  });
  aggregated.sort((a, b) => (g.descending ? -1 : 1) * collator.compare(a.value, b.value));
  return aggregated;
}

function sortInMemory(items: MailItem[], fields: SortField[]): MailItem[] {
  const collator = new Intl.Collator('en', { sensitivity: 'base', numeric: true });
  return [...items].sort((a, b) => {
    for (const f of fields) {
      const va = mailPropertyValue(a, f.path) ?? '';
      const vb = mailPropertyValue(b, f.path) ?? '';
      const c = collator.compare(va, vb);
      if (c !== 0) return f.descending ? -c : c;
    }
    return a.msg.uid - b.msg.uid;
  });
}
