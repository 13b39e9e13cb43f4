// Time zones: Windows ⇄ IANA, TZID flavours, local ⇄ UTC around DST changes,
// yearly rules and eras, VTIMEZONE generation (checked by ical.js), the Windows
// list with its transition rules, 2007 MeetingTimeZone, matching a client's
// rules to a zone, and GetServerTimeZones.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ICAL from 'ical.js';
import {
  ianaToWindows,
  isIanaZone,
  localToUtc,
  offsetAt,
  requireIanaForWindows,
  resolveTzid,
  TimeZoneError,
  utcToLocal,
  vtimezoneFor,
  windowsToIana,
  zoneEras,
  zoneYearRule,
} from '../../src/convert/timezones.js';
import {
  isWindowsZone,
  legacyTimeZone,
  timeZoneDefinition,
  windowsDisplayName,
  windowsZoneIds,
  zoneFromDefinition,
  zoneFromLegacy,
} from '../../src/convert/timezones-windows.js';
import { parseXml, NS, type Element } from '../../src/soap/xml.js';
import { GetServerTimeZones } from '../../src/ews/operations/GetServerTimeZones.js';
import {
  parseLegacyTimeZone,
  renderLegacyTimeZone,
  renderTimeZoneDefinition,
  zoneOfDefinitionElement,
  zoneOfLegacyElement,
} from '../../src/ews/calendar/timezone-xml.js';
import { EwsError } from '../../src/ews/errors.js';
import type { RequestContext } from '../../src/ews/operation.js';

const T = `xmlns:t="${NS.types}"`;
const M = `xmlns:m="${NS.messages}"`;
const el = (xml: string): Element => parseXml(xml).documentElement!;

describe('names', () => {
  test('Windows ⇄ IANA', () => {
    assert.equal(windowsToIana('W. Europe Standard Time'), 'Europe/Berlin');
    assert.equal(windowsToIana('Pacific Standard Time'), 'America/Los_Angeles');
    assert.equal(windowsToIana('Tokyo Standard Time'), 'Asia/Tokyo');
    assert.equal(windowsToIana('UTC'), 'Etc/UTC');
    assert.equal(windowsToIana('Mars Standard Time'), undefined);
    assert.throws(
      () => requireIanaForWindows('Mars Standard Time'),
      (e: unknown) => e instanceof TimeZoneError && /"Mars Standard Time" is not a Windows time zone/.test(e.message),
    );
    assert.equal(ianaToWindows('Europe/Paris'), 'Romance Standard Time');
    assert.equal(ianaToWindows('Asia/Kolkata'), 'India Standard Time');
    assert.equal(ianaToWindows('America/St_Johns'), 'Newfoundland Standard Time');
    assert.equal(ianaToWindows('UTC'), 'UTC');
    assert.ok(
      isIanaZone('Asia/Kathmandu') && !isIanaZone('W. Europe Standard Time') && !isIanaZone('Mars/Olympus_Mons'),
      "isIanaZone('Asia/Kathmandu') && !isIanaZone('W. Europe Standard Time') && !isIanaZone('Mars/Olympus_Mons')",
    );
  });

  test('every TZID flavour clients write', () => {
    assert.equal(resolveTzid('Europe/Berlin'), 'Europe/Berlin');
    assert.equal(resolveTzid('W. Europe Standard Time'), 'Europe/Berlin');
    assert.equal(resolveTzid('"Pacific Standard Time"'), 'America/Los_Angeles');
    assert.equal(resolveTzid('/mozilla.org/20050126_1/Europe/Berlin'), 'Europe/Berlin');
    assert.equal(resolveTzid('/freeassociation.sourceforge.net/Tzfile/America/New_York'), 'America/New_York');
    assert.equal(offsetAt(resolveTzid('(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna')!, Date.UTC(2026, 0, 1)), 60);
    assert.equal(resolveTzid('GMT'), 'UTC');
    assert.equal(resolveTzid('Customized Time Zone'), undefined);
  });
});

describe('offsets and conversion', () => {
  test('Berlin: a spring-forward gap reads with the offset before it; a repeated hour is the first one', () => {
    assert.equal(new Date(localToUtc('Europe/Berlin', '2026-03-29T01:30:00')).toISOString(), '2026-03-29T00:30:00.000Z');
    assert.equal(new Date(localToUtc('Europe/Berlin', '2026-03-29T02:30:00')).toISOString(), '2026-03-29T01:30:00.000Z');
    assert.equal(utcToLocal('Europe/Berlin', Date.parse('2026-03-29T01:30:00Z')), '2026-03-29T03:30:00');
    assert.equal(new Date(localToUtc('Europe/Berlin', '2026-10-25T02:30:00')).toISOString(), '2026-10-25T00:30:00.000Z');
    assert.equal(new Date(localToUtc('Europe/Berlin', '2026-10-25T03:30:00')).toISOString(), '2026-10-25T02:30:00.000Z');
  });
  test('odd offsets', () => {
    assert.equal(offsetAt('Asia/Kathmandu', Date.UTC(2026, 5, 1)), 345);
    assert.equal(offsetAt('America/St_Johns', Date.UTC(2026, 0, 1)), -210);
    assert.equal(offsetAt('America/St_Johns', Date.UTC(2026, 6, 1)), -150);
    assert.equal(offsetAt('Australia/Lord_Howe', Date.UTC(2026, 0, 1)), 660);
    assert.equal(offsetAt('Australia/Lord_Howe', Date.UTC(2026, 6, 1)), 630);
  });
  test('yearly rules: EU last Sundays, US second/first Sundays since 2007, southern hemisphere, none', () => {
    const berlin = zoneYearRule('Europe/Berlin', 2026).segments[0];
    assert.deepEqual(
      [
        berlin.stdOffset,
        berlin.dst?.offset,
        berlin.dst?.start.month,
        berlin.dst?.start.occurrence,
        berlin.dst?.start.time,
        berlin.dst?.end.month,
        berlin.dst?.end.time,
      ],
      [60, 120, 3, -1, 7200, 10, 10800],
    );
    const la = zoneEras('America/Los_Angeles', 2005, 2030);
    assert.equal(la.length, 2);
    assert.deepEqual([la[0].firstYear, la[0].lastYear, la[0].dst?.start.month, la[0].dst?.start.occurrence], [2005, 2006, 4, 1]);
    assert.deepEqual(
      [la[1].firstYear, la[1].dst?.start.month, la[1].dst?.start.occurrence, la[1].dst?.end.month, la[1].dst?.end.occurrence],
      [2007, 3, 2, 11, 1],
    );
    const syd = zoneYearRule('Australia/Sydney', 2026).segments[0];
    assert.deepEqual([syd.stdOffset, syd.dst?.start.month, syd.dst?.end.month], [600, 10, 4]);
    assert.equal(zoneYearRule('Asia/Tokyo', 2026).segments[0].dst, undefined);
    // Tehran stopped DST in 2023
    assert.equal(zoneEras('Asia/Tehran', 2020, 2030).at(-1)!.dst, undefined);
  });
});

describe('VTIMEZONE generation', () => {
  for (const [zone, fromYear] of [
    ['Europe/Berlin', 2026],
    ['America/Los_Angeles', 2005],
    ['Australia/Sydney', 2026],
    ['Asia/Kolkata', 2026],
    ['America/Sao_Paulo', 2017],
    ['UTC', 2026],
  ] as const) {
    test(`${zone}: ical.js computes the same offsets as the tz data`, () => {
      const vtz = vtimezoneFor(zone, { fromYear });
      const tz = new ICAL.Timezone(vtz);
      for (let year = fromYear; year <= fromYear + 4; year++) {
        for (let month = 0; month < 12; month++) {
          for (const day of [1, 16]) {
            const ms = Date.UTC(year, month, day, 12);
            const t = ICAL.Time.fromJSDate(new Date(ms), true);
            const local = t.convertToZone(tz);
            const offset = Math.round((Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute) - ms) / 60000);
            assert.equal(offset, offsetAt(zone, ms), `${zone} at ${new Date(ms).toISOString()}`);
          }
        }
      }
    });
  }
  test('the TZID written can be the one the event used', () => {
    const vtz = vtimezoneFor('Europe/Berlin', { tzid: 'W. Europe Standard Time' });
    assert.equal(vtz.getFirstPropertyValue('tzid'), 'W. Europe Standard Time');
    assert.match(vtz.toString(), /RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU/);
  });
});

describe('the Windows zone list', () => {
  test('names, display names, and that every id resolves', () => {
    const ids = windowsZoneIds();
    assert.ok(ids.length > 130, `${ids.length} zones`);
    for (const id of ['W. Europe Standard Time', 'Pacific Standard Time', 'UTC', 'India Standard Time', 'Nepal Standard Time', 'Newfoundland Standard Time'])
      assert.ok(isWindowsZone(id), id);
    assert.equal(windowsDisplayName('W. Europe Standard Time'), '(UTC+01:00) Berlin, Andorra, Vienna, Zurich');
    assert.equal(windowsDisplayName('UTC'), '(UTC) Coordinated Universal Time');
    assert.match(windowsDisplayName('Nepal Standard Time'), /^\(UTC\+05:45\) /);
    assert.match(windowsDisplayName('Newfoundland Standard Time'), /^\(UTC-03:30\) /);
  });

  test('Pacific Standard Time: two rule groups, switching in 2007', () => {
    const d = timeZoneDefinition('Pacific Standard Time');
    assert.equal(d.groups.length, 2);
    assert.deepEqual(d.transitions, [{ toGroup: '0' }, { toGroup: '1', dateTime: '2007-01-01T00:00:00' }]);
    const g1 = d.groups[1].transitions;
    assert.deepEqual(
      g1.map((t) => (t.kind === 'recurringDay' ? [t.month, t.weekday, t.occurrence, t.timeOffset] : [])),
      [
        [3, 0, 2, 7200],
        [11, 0, 1, 7200],
      ],
    );
    assert.deepEqual(
      d.periods.map((p) => p.bias),
      [480, 420, 480, 420],
    );
  });

  test('zones without DST have one period and a plain transition', () => {
    const d = timeZoneDefinition('Tokyo Standard Time');
    assert.equal(d.groups.length, 1);
    assert.deepEqual(d.groups[0].transitions, [{ kind: 'transition', to: d.periods[0].id }]);
    assert.equal(d.periods[0].bias, -540);
  });

  test('unknown ids are a TimeZoneError', () => {
    assert.throws(() => timeZoneDefinition('Atlantis Standard Time'), TimeZoneError);
  });

  test('a client definition is matched by Id, else by its rules', () => {
    const tokyo = timeZoneDefinition('Tokyo Standard Time');
    assert.equal(offsetAt(zoneFromDefinition({ ...tokyo, id: 'My Custom Zone' }), Date.UTC(2026, 6, 1)), 540);
    const berlin = timeZoneDefinition('W. Europe Standard Time');
    const matched = zoneFromDefinition({ ...berlin, id: undefined, name: 'Somewhere in Europe' });
    for (const m of [0, 3, 6, 9]) assert.equal(offsetAt(matched, Date.UTC(2026, m, 15)), offsetAt('Europe/Berlin', Date.UTC(2026, m, 15)));
    assert.throws(
      () =>
        zoneFromDefinition({
          id: 'Nowhere',
          periods: [{ id: 'p', name: 'Standard', bias: -17 }],
          groups: [{ id: '0', transitions: [{ kind: 'transition', to: 'p' }] }],
          transitions: [{ toGroup: '0' }],
        }),
      (e: unknown) => e instanceof TimeZoneError && /"Nowhere" is neither a known Windows time zone nor has rules that match one/.test(e.message),
    );
  });

  test("2007 MeetingTimeZone: built from the year's rules, matched back by name or rules", () => {
    const lt = legacyTimeZone('America/New_York', 2026);
    assert.deepEqual(lt, {
      name: 'Eastern Standard Time',
      baseBias: 300,
      standard: { bias: 0, month: 11, weekday: 0, occurrence: 1, time: 7200 },
      daylight: { bias: -60, month: 3, weekday: 0, occurrence: 2, time: 7200 },
    });
    assert.equal(zoneFromLegacy(lt), 'America/New_York');
    const matched = zoneFromLegacy({ ...lt, name: undefined });
    assert.equal(offsetAt(matched, Date.UTC(2026, 6, 1)), -240);
    assert.equal(offsetAt(matched, Date.UTC(2026, 11, 1)), -300);
  });
});

describe('EWS time zone XML', () => {
  test('TimeZoneDefinition round trip and resolution', () => {
    const xml = renderTimeZoneDefinition(timeZoneDefinition('AUS Eastern Standard Time')).raw.replace('<t:TimeZoneDefinition', `<t:TimeZoneDefinition ${T}`);
    const zone = zoneOfDefinitionElement(el(xml));
    assert.equal(zone, 'Australia/Sydney');
    // the same rules under an unknown id still resolve, by rules
    const anon = xml.replace('Id="AUS Eastern Standard Time"', 'Id="Sydney-ish"');
    assert.equal(offsetAt(zoneOfDefinitionElement(el(anon)), Date.UTC(2026, 0, 10)), 660);
    // DavMail sends only an Id
    assert.equal(zoneOfDefinitionElement(el(`<t:StartTimeZone ${T} Id="Romance Standard Time"/>`)), 'Europe/Paris');
    assert.throws(
      () => zoneOfDefinitionElement(el(`<t:StartTimeZone ${T} Id="Mars Standard Time"/>`)),
      (e: unknown) => e instanceof EwsError && e.code === 'ErrorCalendarInvalidTimeZone' && /Mars Standard Time/.test(e.message),
    );
    assert.throws(
      () => zoneOfDefinitionElement(el(`<t:TimeZoneDefinition ${T} Id="Mars"/>`), 'ErrorTimeZone'),
      (e: unknown) => e instanceof EwsError && e.code === 'ErrorTimeZone',
    );
  });

  test('MeetingTimeZone round trip, and the name-only form DavMail sends', () => {
    const xml = renderLegacyTimeZone(legacyTimeZone('Europe/Berlin', 2026)).raw.replace('<t:MeetingTimeZone', `<t:MeetingTimeZone ${T}`);
    assert.match(
      xml,
      /<t:BaseOffset>-PT1H<\/t:BaseOffset><t:Standard TimeZoneName="Standard"><t:Offset>PT0M<\/t:Offset><t:RelativeYearlyRecurrence><t:DaysOfWeek>Sunday<\/t:DaysOfWeek><t:DayOfWeekIndex>Last<\/t:DayOfWeekIndex><t:Month>October<\/t:Month><\/t:RelativeYearlyRecurrence><t:Time>03:00:00<\/t:Time>/,
    );
    assert.deepEqual(parseLegacyTimeZone(el(xml)), legacyTimeZone('Europe/Berlin', 2026));
    assert.equal(zoneOfLegacyElement(el(xml)), 'Europe/Berlin');
    assert.equal(zoneOfLegacyElement(el(`<t:MeetingTimeZone ${T} TimeZoneName="Pacific Standard Time"></t:MeetingTimeZone>`)), 'America/Los_Angeles');
    assert.throws(
      () => zoneOfLegacyElement(el(`<t:MeetingTimeZone ${T} TimeZoneName="Nowhere"/>`)),
      (e: unknown) => e instanceof EwsError && e.code === 'ErrorCalendarInvalidTimeZone',
    );
  });
});

describe('GetServerTimeZones', () => {
  const ctx = {} as RequestContext;
  const run = async (body: string) => {
    const out = await GetServerTimeZones.handle(el(body), ctx);
    return parseXml(`<r ${M} ${T}>${String(out)}</r>`).documentElement!;
  };
  const all = (root: Element, name: string) => Array.from(root.getElementsByTagNameNS(NS.types, name)) as unknown as Element[];

  test('Ids with full data', async () => {
    const root = await run(
      `<m:GetServerTimeZones ${M} ${T}><m:Ids><t:Id>W. Europe Standard Time</t:Id><t:Id>India Standard Time</t:Id></m:Ids></m:GetServerTimeZones>`,
    );
    assert.equal(root.getElementsByTagNameNS(NS.messages, 'ResponseCode')[0].textContent, 'NoError');
    const defs = all(root, 'TimeZoneDefinition');
    assert.deepEqual(
      defs.map((d) => d.getAttribute('Id')),
      ['W. Europe Standard Time', 'India Standard Time'],
    );
    const periods = all(defs[0], 'Period').map((p) => `${p.getAttribute('Name')} ${p.getAttribute('Bias')}`);
    assert.deepEqual(periods, ['Standard -PT1H', 'Daylight -PT2H']);
    const rdt = all(defs[0], 'RecurringDayTransition').map((r) =>
      ['TimeOffset', 'Month', 'DayOfWeek', 'Occurrence'].map((n) => r.getElementsByTagNameNS(NS.types, n)[0].textContent).join(' '),
    );
    assert.deepEqual(rdt, ['PT2H 3 Sunday -1', 'PT3H 10 Sunday -1']);
    assert.deepEqual(
      all(defs[1], 'Period').map((p) => p.getAttribute('Bias')),
      ['-PT5H30M'],
    );
  });

  test('the whole list, names only', async () => {
    const root = await run(`<m:GetServerTimeZones ${M} ReturnFullTimeZoneData="false"/>`);
    const defs = all(root, 'TimeZoneDefinition');
    assert.equal(defs.length, windowsZoneIds().length);
    assert.ok(
      defs.every((d) => d.getAttribute('Id') && d.getAttribute('Name') && !d.firstChild),
      'Id and Name only',
    );
  });

  test('an unknown id is ErrorTimeZone, named', async () => {
    const root = await run(`<m:GetServerTimeZones ${M} ${T}><m:Ids><t:Id>Atlantis Standard Time</t:Id></m:Ids></m:GetServerTimeZones>`);
    assert.equal(root.getElementsByTagNameNS(NS.messages, 'ResponseCode')[0].textContent, 'ErrorTimeZone');
    assert.match(root.getElementsByTagNameNS(NS.messages, 'MessageText')[0].textContent ?? '', /"Atlantis Standard Time"/);
  });
});
