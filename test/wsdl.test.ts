// Services.wsdl / messages.xsd / types.xsd: generated from the operations table, loadable by a
// real WSDL client, well-formed, and free of dangling QName references.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import soap from 'soap';
import { parseXml, elementChildren, NS, type Document, type Element } from '../src/soap/xml.js';
import { servicesWsdl, messagesXsd, typesXsd, soapAction, KNOWN_OPERATIONS } from '../src/wsdl/schema.js';
import { OPERATIONS } from '../src/wsdl/operations.js';

const XS = 'http://www.w3.org/2001/XMLSchema';
const WSDL = 'http://schemas.xmlsoap.org/wsdl/';
const WSDL_SOAP = 'http://schemas.xmlsoap.org/wsdl/soap/';

/** What a dispatch table of a dozen operations would pass in. */
const SOME_OPERATIONS = [
  'GetFolder',
  'FindFolder',
  'SyncFolderHierarchy',
  'SyncFolderItems',
  'GetItem',
  'FindItem',
  'CreateItem',
  'UpdateItem',
  'DeleteItem',
  'GetAttachment',
  'ResolveNames',
  'GetUserAvailability',
  'GetUserOofSettings',
];

// ------------------------------------------------------------------ serving

async function serve(operations: readonly string[]) {
  let base = '';
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    let body: string | undefined;
    if (path === '/EWS/Services.wsdl') body = servicesWsdl(operations, `${base}/EWS/Exchange.asmx`);
    else if (path === '/EWS/messages.xsd') body = messagesXsd(operations);
    else if (path === '/EWS/types.xsd') body = typesXsd();
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function describedOperations(operations: readonly string[]) {
  const srv = await serve(operations);
  try {
    const client = await soap.createClientAsync(`${srv.base}/EWS/Services.wsdl`);
    const description = client.describe() as Record<string, Record<string, Record<string, unknown>>>;
    assert.deepEqual(Object.keys(description), ['ExchangeServices']);
    assert.deepEqual(Object.keys(description.ExchangeServices), ['ExchangeServicePort']);
    return { client, ops: description.ExchangeServices.ExchangeServicePort, base: srv.base };
  } finally {
    await srv.close();
  }
}

test('the soap client loads Services.wsdl (relative imports) and sees exactly the operations passed in', async () => {
  const { client, ops, base } = await describedOperations(SOME_OPERATIONS);
  assert.deepEqual(Object.keys(ops).sort(), [...SOME_OPERATIONS].sort());
  // The GetFolder request and response are described from messages.xsd + types.xsd.
  const getFolder = ops.GetFolder as { input: Record<string, unknown>; output: Record<string, unknown> };
  assert.ok('FolderShape' in getFolder.input, 'GetFolder input lacks FolderShape');
  assert.ok('FolderIds' in getFolder.input, 'GetFolder input lacks FolderIds');
  const responseMessages = getFolder.output.ResponseMessages as Record<string, unknown>;
  assert.ok('GetFolderResponseMessage[]' in responseMessages, 'GetFolder output lacks GetFolderResponseMessage[]');
  // The port address is the endpoint the server passed in.
  const wsdl = (client as unknown as { wsdl: { services: Record<string, { ports: Record<string, { location: string }> }> } }).wsdl;
  assert.equal(wsdl.services.ExchangeServices.ports.ExchangeServicePort.location, `${base}/EWS/Exchange.asmx`);
});

test('the soap client loads the WSDL for every operation in the table', async () => {
  const { ops } = await describedOperations(KNOWN_OPERATIONS);
  assert.deepEqual(Object.keys(ops).sort(), [...KNOWN_OPERATIONS].sort());
});

// ------------------------------------------------------------------ refusing undescribed operations

test('an operation the table does not describe is refused at generation time', () => {
  for (const generate of [
    (ops: string[]) => servicesWsdl(ops, 'https://example.com/EWS/Exchange.asmx'),
    (ops: string[]) => messagesXsd(ops),
  ]) {
    assert.throws(() => generate(['GetFolder', 'FrobnicateMailbox']), /FrobnicateMailbox/);
    assert.throws(() => generate(['GetFolder', 'GetFolder']), /GetFolder.*twice/);
  }
});

test('the table covers the operations the brief requires', () => {
  const required = [
    'GetFolder', 'FindFolder', 'CreateFolder', 'UpdateFolder', 'DeleteFolder', 'MoveFolder', 'CopyFolder',
    'EmptyFolder', 'SyncFolderHierarchy', 'SyncFolderItems', 'ConvertId', 'GetItem', 'FindItem', 'CreateItem',
    'UpdateItem', 'DeleteItem', 'MoveItem', 'CopyItem', 'SendItem', 'MarkAllItemsAsRead', 'GetAttachment',
    'CreateAttachment', 'DeleteAttachment', 'ResolveNames', 'ExpandDL', 'GetUserAvailability', 'GetServerTimeZones',
    'Subscribe', 'Unsubscribe', 'GetEvents', 'GetStreamingEvents', 'GetUserOofSettings', 'SetUserOofSettings',
    'GetUserConfiguration', 'GetAppMarketplaceUrl', 'GetServiceConfiguration', 'GetUserPhoto',
  ];
  for (const name of required) assert.ok(OPERATIONS.has(name), `${name} is not described`);
});

// ------------------------------------------------------------------ well-formedness and references

type Kind = 'type' | 'element' | 'attribute' | 'group' | 'attributeGroup' | 'message' | 'portType' | 'binding';

const XSD_BUILTINS = new Set(
  (
    'anyType anySimpleType string normalizedString token language Name NCName ID IDREF IDREFS ENTITY ENTITIES NMTOKEN ' +
    'NMTOKENS QName NOTATION anyURI boolean base64Binary hexBinary float double decimal integer nonPositiveInteger ' +
    'negativeInteger long int short byte nonNegativeInteger unsignedLong unsignedInt unsignedShort unsignedByte ' +
    'positiveInteger duration dateTime date time gYearMonth gYear gMonthDay gDay gMonth'
  ).split(' '),
);

function allElements(root: Element): Element[] {
  const out: Element[] = [root];
  for (const c of elementChildren(root)) out.push(...allElements(c));
  return out;
}

function resolveQName(at: Element, qname: string): { ns: string; local: string } {
  const i = qname.indexOf(':');
  const prefix = i < 0 ? null : qname.slice(0, i);
  const local = i < 0 ? qname : qname.slice(i + 1);
  const ns = at.lookupNamespaceURI(prefix);
  assert.ok(prefix === null || (ns !== null && ns !== undefined && ns !== ''), `prefix "${prefix}" of ${qname} is not declared`);
  return { ns: ns ?? '', local };
}

/**
 * Checks that every QName reference in the documents (types, bases, element/attribute refs,
 * WSDL messages, port types, bindings, header and body parts) names something defined in one
 * of the documents, or an XML Schema built-in type.
 */
function checkReferences(docs: Record<string, Document>): { checked: number } {
  const defined = new Set<string>();
  const key = (kind: Kind, ns: string, local: string) => `${kind} {${ns}}${local}`;
  const messageParts = new Map<string, Set<string>>();

  for (const doc of Object.values(docs)) {
    const root = doc.documentElement!;
    const schemas =
      root.namespaceURI === XS && root.localName === 'schema'
        ? [root]
        : allElements(root).filter((e) => e.namespaceURI === XS && e.localName === 'schema');
    for (const schema of schemas) {
      const tns = schema.getAttribute('targetNamespace') ?? '';
      for (const d of elementChildren(schema)) {
        if (d.namespaceURI !== XS) continue;
        const defKinds: Record<string, Kind> = {
          complexType: 'type',
          simpleType: 'type',
          element: 'element',
          attribute: 'attribute',
          group: 'group',
          attributeGroup: 'attributeGroup',
        };
        const kind = defKinds[d.localName ?? ''];
        if (!kind) continue;
        const k = key(kind, tns, d.getAttribute('name')!);
        assert.ok(!defined.has(k), `${k} is defined twice`);
        defined.add(k);
      }
    }
    if (root.namespaceURI === WSDL) {
      const tns = root.getAttribute('targetNamespace') ?? '';
      for (const d of elementChildren(root)) {
        if (d.namespaceURI !== WSDL || !['message', 'portType', 'binding'].includes(d.localName!)) continue;
        const k = key(d.localName as Kind, tns, d.getAttribute('name')!);
        assert.ok(!defined.has(k), `${k} is defined twice`);
        defined.add(k);
        if (d.localName === 'message') {
          messageParts.set(k, new Set(elementChildren(d).map((p) => p.getAttribute('name')!)));
        }
      }
    }
  }

  let checked = 0;
  const expect = (kind: Kind, at: Element, qname: string, what: string) => {
    const { ns, local } = resolveQName(at, qname);
    checked++;
    if (ns === XS && kind === 'type') {
      assert.ok(XSD_BUILTINS.has(local), `${what}: xs:${local} is not an XML Schema built-in type`);
      return;
    }
    assert.ok(defined.has(key(kind, ns, local)), `${what}: ${kind} ${qname} ({${ns}}${local}) is not defined`);
  };

  for (const [name, doc] of Object.entries(docs)) {
    for (const e of allElements(doc.documentElement!)) {
      const where = `${name} <${e.tagName} name="${e.getAttribute('name') ?? ''}">`;
      if (e.namespaceURI === XS) {
        for (const a of ['type', 'base', 'itemType']) if (e.hasAttribute(a)) expect('type', e, e.getAttribute(a)!, where);
        for (const t of (e.getAttribute('memberTypes') ?? '').split(/\s+/).filter(Boolean)) expect('type', e, t, where);
        if (e.hasAttribute('substitutionGroup')) expect('element', e, e.getAttribute('substitutionGroup')!, where);
        if (e.hasAttribute('ref')) {
          const refKinds: Record<string, Kind> = { element: 'element', attribute: 'attribute', group: 'group', attributeGroup: 'attributeGroup' };
          const kind = refKinds[e.localName ?? ''];
          assert.ok(kind, `${where}: unexpected ref on xs:${e.localName}`);
          if (kind === 'attribute' && e.getAttribute('ref')!.startsWith('xml:')) continue;
          expect(kind, e, e.getAttribute('ref')!, where);
        }
      } else if (e.namespaceURI === WSDL) {
        if (e.localName === 'part') {
          if (e.hasAttribute('element')) expect('element', e, e.getAttribute('element')!, where);
          if (e.hasAttribute('type')) expect('type', e, e.getAttribute('type')!, where);
        }
        if ((e.localName === 'input' || e.localName === 'output') && e.hasAttribute('message')) {
          expect('message', e, e.getAttribute('message')!, where);
        }
        if (e.localName === 'binding') expect('portType', e, e.getAttribute('type')!, where);
        if (e.localName === 'port') expect('binding', e, e.getAttribute('binding')!, where);
      } else if (e.namespaceURI === WSDL_SOAP && e.localName === 'header') {
        expect('message', e, e.getAttribute('message')!, where);
        const { ns, local } = resolveQName(e, e.getAttribute('message')!);
        const parts = messageParts.get(key('message', ns, local))!;
        assert.ok(parts.has(e.getAttribute('part')!), `${where}: message ${local} has no part ${e.getAttribute('part')}`);
      }
    }
  }
  return { checked };
}

function documents(operations: readonly string[]): Record<string, Document> {
  return {
    'Services.wsdl': parseXml(servicesWsdl(operations, 'https://mail.example.com/EWS/Exchange.asmx?a=1&b=2')),
    'messages.xsd': parseXml(messagesXsd(operations)),
    'types.xsd': parseXml(typesXsd()),
  };
}

for (const [label, operations] of [
  ['a dozen operations', SOME_OPERATIONS],
  ['every operation in the table', KNOWN_OPERATIONS],
] as const) {
  test(`the three documents are well-formed and every reference resolves (${label})`, () => {
    const docs = documents(operations);
    const { checked } = checkReferences(docs);
    assert.ok(checked > 100, `only ${checked} references checked`);
  });
}

test('the reference checker notices a dangling reference', () => {
  const docs = documents(['GetFolder']);
  const broken = messagesXsd(['GetFolder']).replace('type="t:FolderResponseShapeType"', 'type="t:NoSuchShapeType"');
  assert.throws(() => checkReferences({ ...docs, 'messages.xsd': parseXml(broken) }), /NoSuchShapeType/);
  const wsdl = servicesWsdl(['GetFolder'], 'http://x/').replace('part="TimeZoneContext"', 'part="NoSuchPart"');
  assert.throws(() => checkReferences({ ...docs, 'Services.wsdl': parseXml(wsdl) }), /NoSuchPart/);
  assert.throws(() => checkReferences({ ...docs, 'types.xsd': parseXml(typesXsd().replace('base="xs:string"', 'base="xs:strung"')) }), /strung/);
});

test('Services.wsdl: one operation per name, document/literal SOAP 1.1 binding, headers per spec, service and port', () => {
  const docs = documents(SOME_OPERATIONS);
  const root = docs['Services.wsdl'].documentElement!;
  assert.equal(root.getAttribute('targetNamespace'), NS.messages);
  const byName = (parent: Element, ns: string, local: string) =>
    elementChildren(parent).filter((e) => e.namespaceURI === ns && e.localName === local);

  const imports = allElements(root).filter((e) => e.namespaceURI === XS && e.localName === 'import');
  assert.deepEqual(
    imports.map((e) => [e.getAttribute('namespace'), e.getAttribute('schemaLocation')]),
    [[NS.messages, 'messages.xsd']],
  );

  const [portType] = byName(root, WSDL, 'portType');
  assert.equal(portType.getAttribute('name'), 'ExchangeServicePortType');
  assert.deepEqual(byName(portType, WSDL, 'operation').map((o) => o.getAttribute('name')), SOME_OPERATIONS);

  const [binding] = byName(root, WSDL, 'binding');
  assert.equal(binding.getAttribute('name'), 'ExchangeServiceBinding');
  const [soapBinding] = byName(binding, WSDL_SOAP, 'binding');
  assert.equal(soapBinding.getAttribute('style'), 'document');
  assert.equal(soapBinding.getAttribute('transport'), 'http://schemas.xmlsoap.org/soap/http');
  const ops = byName(binding, WSDL, 'operation');
  assert.deepEqual(ops.map((o) => o.getAttribute('name')), SOME_OPERATIONS);
  const headers = new Map<string, string[]>();
  for (const o of ops) {
    const name = o.getAttribute('name')!;
    assert.equal(byName(o, WSDL_SOAP, 'operation')[0].getAttribute('soapAction'), soapAction(name));
    assert.equal(soapAction(name), `http://schemas.microsoft.com/exchange/services/2006/messages/${name}`);
    const [input] = byName(o, WSDL, 'input');
    const [output] = byName(o, WSDL, 'output');
    headers.set(name, byName(input, WSDL_SOAP, 'header').map((h) => h.getAttribute('part')!));
    for (const b of [...byName(input, WSDL_SOAP, 'body'), ...byName(output, WSDL_SOAP, 'body')]) {
      assert.equal(b.getAttribute('use'), 'literal');
    }
    assert.deepEqual(byName(output, WSDL_SOAP, 'header').map((h) => h.getAttribute('part')), ['ServerVersion']);
  }
  assert.deepEqual(headers.get('GetFolder'), ['Impersonation', 'MailboxCulture', 'RequestVersion', 'TimeZoneContext']);
  assert.deepEqual(headers.get('DeleteItem'), ['Impersonation', 'MailboxCulture', 'RequestVersion']);
  assert.deepEqual(headers.get('GetUserAvailability'), ['Impersonation', 'RequestVersion', 'TimeZoneContext']);

  const [service] = byName(root, WSDL, 'service');
  assert.equal(service.getAttribute('name'), 'ExchangeServices');
  const [port] = byName(service, WSDL, 'port');
  assert.equal(port.getAttribute('name'), 'ExchangeServicePort');
  assert.equal(byName(port, WSDL_SOAP, 'address')[0].getAttribute('location'), 'https://mail.example.com/EWS/Exchange.asmx?a=1&b=2');
});

test('messages.xsd declares exactly the request and response elements of the operations passed in', () => {
  const ops = ['GetFolder', 'GetUserOofSettings', 'MoveItem'];
  const root = parseXml(messagesXsd(ops)).documentElement!;
  assert.equal(root.getAttribute('targetNamespace'), NS.messages);
  assert.equal(root.getAttribute('elementFormDefault'), 'qualified');
  const imports = elementChildren(root).filter((e) => e.localName === 'import');
  assert.deepEqual(
    imports.map((e) => [e.getAttribute('namespace'), e.getAttribute('schemaLocation')]),
    [[NS.types, 'types.xsd']],
  );
  const elements = elementChildren(root)
    .filter((e) => e.namespaceURI === XS && e.localName === 'element')
    .map((e) => e.getAttribute('name'));
  assert.deepEqual(elements.sort(), [
    'GetFolder', 'GetFolderResponse', 'GetUserOofSettingsRequest', 'GetUserOofSettingsResponse', 'MoveItem', 'MoveItemResponse',
  ]);
  // GetFolderResponseType -> ResponseMessages -> GetFolderResponseMessage of FolderInfoResponseMessageType.
  const types = new Map(
    elementChildren(root)
      .filter((e) => e.localName === 'complexType')
      .map((e) => [e.getAttribute('name')!, e]),
  );
  const messages = allElements(types.get('ArrayOfGetFolderResponseMessagesType')!).find((e) => e.localName === 'element')!;
  assert.equal(messages.getAttribute('name'), 'GetFolderResponseMessage');
  assert.equal(messages.getAttribute('type'), 'm:FolderInfoResponseMessageType');
  assert.ok(types.has('ResponseMessageType'));
  // Types only other operations need are left out.
  assert.ok(!types.has('SyncFolderItemsResponseMessageType'));
});

test('types.xsd carries the required shared types and enumerations', () => {
  const root = parseXml(typesXsd()).documentElement!;
  assert.equal(root.getAttribute('targetNamespace'), NS.types);
  const defs = new Map(elementChildren(root).map((e) => [`${e.localName}:${e.getAttribute('name')}`, e]));
  for (const name of [
    'FolderResponseShapeType', 'FolderType', 'CalendarFolderType', 'ContactsFolderType', 'SearchFolderType',
    'TasksFolderType', 'FolderIdType', 'DistinguishedFolderIdType', 'NonEmptyArrayOfBaseFolderIdsType', 'ItemIdType',
    'ItemType', 'MessageType', 'PathToUnindexedFieldType', 'PathToExtendedFieldType', 'PathToIndexedFieldType',
    'RestrictionType', 'IndexedPageViewType', 'FractionalPageViewType',
  ]) {
    assert.ok(defs.has(`complexType:${name}`), `${name} missing`);
  }
  for (const name of ['RequestServerVersion', 'ServerVersionInfo', 'ExchangeImpersonation', 'MailboxCulture', 'TimeZoneContext', 'BaseShape']) {
    assert.ok(defs.has(`element:${name}`), `element ${name} missing`);
  }
  const enumeration = (name: string) =>
    allElements(defs.get(`simpleType:${name}`)!)
      .filter((e) => e.localName === 'enumeration')
      .map((e) => e.getAttribute('value'));
  assert.deepEqual(enumeration('ResponseClassType'), ['Success', 'Warning', 'Error']);
  const codes = enumeration('ResponseCodeType');
  for (const code of [
    'NoError', 'ErrorFolderNotFound', 'ErrorItemNotFound', 'ErrorInvalidIdMalformed', 'ErrorAccessDenied',
    'ErrorServerBusy', 'ErrorInvalidSyncStateData', 'ErrorMailboxStoreUnavailable', 'ErrorFolderExists',
    'ErrorDeleteDistinguishedFolder', 'ErrorSchemaValidation', 'ErrorInvalidServerVersion', 'ErrorImpersonationDenied',
    'ErrorInvalidRequest', 'ErrorInternalServerError', 'ErrorMoveCopyFailed', 'ErrorCannotDeleteObject',
    'ErrorInvalidOperation',
  ]) {
    assert.ok(codes.includes(code), `${code} missing`);
  }
  assert.equal(new Set(codes).size, codes.length);
  assert.deepEqual(enumeration('ExchangeVersionType'), [
    'Exchange2007', 'Exchange2007_SP1', 'Exchange2010', 'Exchange2010_SP1', 'Exchange2010_SP2', 'Exchange2013',
    'Exchange2013_SP1', 'Exchange2015', 'Exchange2016', 'V2015_10_05', 'V2016_01_06', 'V2016_04_13', 'V2016_07_13',
    'V2016_10_10', 'V2017_01_07', 'V2017_04_14', 'V2017_07_11', 'V2017_10_09', 'V2018_01_08',
  ]);
  const folders = enumeration('DistinguishedFolderIdNameType');
  for (const f of ['inbox', 'msgfolderroot', 'root', 'calendar', 'contacts', 'tasks', 'sentitems', 'deleteditems', 'drafts', 'junkemail', 'archivemsgfolderroot', 'recoverableitemsroot']) {
    assert.ok(folders.includes(f), `${f} missing`);
  }
});
