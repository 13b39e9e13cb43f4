// EffectiveRights of an item in the user's own mailbox: the same for mail, calendar
// items, tasks and contacts (folders have their own, src/ews/folders/render.ts).
import { versionAtLeast, type ExchangeVersion } from '../../soap/envelope.js';
import { x, type Xml } from '../../soap/xml.js';

export function ownItemRights(version: ExchangeVersion): Xml {
  return x(
    't:EffectiveRights',
    null,
    x('t:CreateAssociated', null, 'false'),
    x('t:CreateContents', null, 'false'),
    x('t:CreateHierarchy', null, 'false'),
    x('t:Delete', null, 'true'),
    x('t:Modify', null, 'true'),
    x('t:Read', null, 'true'),
    versionAtLeast(version, 'Exchange2010_SP1') ? x('t:ViewPrivateItems', null, 'true') : undefined,
  );
}
