// iCalendar pieces the tests and benches put into the events they write.
import { readFileSync } from 'node:fs';

/** The Europe/Berlin VTIMEZONE as Outlook and Apple write it (fixtures/ics/parts/), one line an element. */
export const VTIMEZONE_BERLIN: readonly string[] = readFileSync(new URL('../../fixtures/ics/parts/europe-berlin.vtimezone', import.meta.url), 'utf8')
  .split(/\r?\n/)
  .filter(Boolean);
