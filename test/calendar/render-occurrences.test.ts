// Occurrences rendered from their series' shared pieces (item.ts renderOccurrence) are
// byte for byte what rendering every property for each occurrence gives, for every
// shape, version and zone mix: the fixtures' series and the bench's calendar, each
// occurrence of a CalendarView over years, FindItem and GetItem field sets, extended
// properties and MimeContent included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NS, parseXml } from '../../src/soap/xml.js';
import type { ExchangeVersion } from '../../src/soap/envelope.js';
import { parseItemShape, type ItemShape } from '../../src/ews/items/shape.js';
import { IcalError, parseCalendarObject } from '../../src/convert/ical.js';
import { calendarViewItems, type LoadedObject } from '../../src/ews/calendar/load.js';
import { renderCalendarView, renderEachProperty } from '../../src/ews/calendar/item.js';
import type { CalendarRenderContext } from '../../src/ews/calendar/views.js';
import { seriesIcs } from '../../bench/calendar.js';

const ICS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'ics');
const T = `xmlns:t="${NS.types}"`;

function shape(xml: string): ItemShape {
  return parseItemShape(parseXml(`<m:ItemShape xmlns:m="${NS.messages}" ${T}>${xml}</m:ItemShape>`).documentElement!);
}

const SHAPES: [string, ItemShape][] = [
  ['Default', shape('<t:BaseShape>Default</t:BaseShape>')],
  ['AllProperties', shape('<t:BaseShape>AllProperties</t:BaseShape>')],
  ['AllProperties Text body', shape('<t:BaseShape>AllProperties</t:BaseShape><t:BodyType>Text</t:BodyType>')],
  [
    'IdOnly + MimeContent + fields + extended properties (DavMail)',
    shape(`<t:BaseShape>IdOnly</t:BaseShape><t:IncludeMimeContent>true</t:IncludeMimeContent><t:AdditionalProperties>
      <t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="calendar:MeetingTimeZone"/><t:FieldURI FieldURI="item:ReminderDueBy"/>
      <t:FieldURI FieldURI="calendar:TimeZone"/><t:FieldURI FieldURI="calendar:Duration"/><t:FieldURI FieldURI="item:Attachments"/>
      <t:ExtendedFieldURI PropertyTag="0x3008" PropertyType="SystemTime"/>
      <t:ExtendedFieldURI PropertyTag="0x10f3" PropertyType="String"/>
      <t:ExtendedFieldURI DistinguishedPropertySetId="PublicStrings" PropertyName="urn:schemas:calendar:instancetype" PropertyType="Integer"/>
      <t:ExtendedFieldURI DistinguishedPropertySetId="Appointment" PropertyId="33293" PropertyType="SystemTime"/>
    </t:AdditionalProperties>`),
  ],
];

function ctx(s: ItemShape, version: ExchangeVersion, timeZone: string): CalendarRenderContext {
  return {
    version,
    shape: s,
    user: { email: 'pilot-users@example.test', name: 'Pilot Users' },
    timeZone,
    parentFolder: { id: 'FOLDER', changeKey: 'FCK' },
    itemId: (v) => ({ id: `ITEM:${v.href}${v.kind === 'calendar' && v.occurrence ? `#${v.occurrence.recurrenceId.utc.getTime()}` : ''}`, changeKey: `CK:${v.etag}` }),
    occurrenceId: (v, o) => ({ id: `ITEM:${v.href}#${o.recurrenceId.utc.getTime()}`, changeKey: `CK:${v.etag}` }),
  };
}

test('shared-piece occurrences = every property rendered per occurrence (fixtures and bench calendar, all shapes, versions, zones)', () => {
  const texts: [string, string][] = [
    ...fs.readdirSync(ICS_DIR).filter((f) => f.endsWith('.ics')).map((f): [string, string] => [f, fs.readFileSync(path.join(ICS_DIR, f), 'utf8')]),
    ...Array.from({ length: 12 }, (_, i): [string, string] => [`bench-${i}.ics`, seriesIcs(i)]),
  ];
  let occurrences = 0;
  for (const timeZone of ['Europe/Berlin', 'America/New_York']) {
    const objects: LoadedObject[] = [];
    for (const [name, data] of texts) {
      try {
        objects.push({ href: `/cal/${name}`, etag: `"${name}"`, data, object: parseCalendarObject(data, { floatingZone: timeZone }) });
      } catch (e) {
        if (!(e instanceof IcalError)) throw e;
      }
    }
    const { items } = calendarViewItems(objects, new Date('2025-06-01T00:00:00Z'), new Date('2027-06-01T00:00:00Z'));
    assert.ok(items.filter((v) => v.type === 'Occurrence').length > 500);
    for (const version of ['Exchange2007_SP1', 'Exchange2010_SP1', 'Exchange2013_SP1'] as ExchangeVersion[]) {
      for (const [label, s] of SHAPES) {
        for (const forFind of [true, false]) {
          const rc = ctx(s, version, timeZone);
          for (const v of items) {
            const shared = renderCalendarView(v, rc, forFind).raw;
            const each = renderEachProperty(v, rc, forFind).raw;
            if (shared !== each) assert.equal(shared, each, `${v.href} ${v.type} ${v.occurrence?.recurrenceId.local} (${label}, ${version}, ${forFind ? 'FindItem' : 'GetItem'}, ${timeZone})`);
            if (v.type === 'Occurrence') occurrences++;
          }
        }
      }
    }
  }
  assert.ok(occurrences > 10_000, `${occurrences} occurrences compared`);
});
