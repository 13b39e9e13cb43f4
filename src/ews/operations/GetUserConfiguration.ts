// GetUserConfiguration: user configuration objects (FAI items on Exchange).
// The backends keep none, so the only one served is OWA.UserOptions on the
// root, which Exchange keeps for every mailbox: DavMail asks it for the user's
// "timezone" before its first calendar write, and a failed call leaves it
// without a VTIMEZONE (every CalDAV PUT then answers 503). We know no such
// setting, so the dictionary is left out and DavMail falls back to its own
// davmail.timezoneId. Any other name is ErrorItemNotFound, as on Exchange for
// a configuration nobody created. Touches no backend.
import { NS, attr, child, x } from '../../soap/xml.js';
import { EwsError, schemaViolation } from '../errors.js';
import { ok, respond, type Operation } from '../operation.js';
import { messagesChild } from '../folders/request.js';

const OWA_USER_OPTIONS = 'OWA.UserOptions';

export const GetUserConfiguration: Operation = {
  name: 'GetUserConfiguration',
  async handle(req) {
    const nameEl = messagesChild(req, 'UserConfigurationName');
    const name = attr(nameEl, 'Name');
    if (!nameEl || !name) throw schemaViolation('GetUserConfiguration needs UserConfigurationName with a Name.');
    const distinguished = attr(child(nameEl, NS.types, 'DistinguishedFolderId'), 'Id');
    if (name !== OWA_USER_OPTIONS || (distinguished !== undefined && distinguished !== 'root')) {
      return respond('GetUserConfiguration', [new EwsError('ErrorItemNotFound', `The user configuration "${name}" was not found.`)]);
    }
    return respond('GetUserConfiguration', [
      ok(x('m:UserConfiguration', null, x('t:UserConfigurationName', { Name: name }, x('t:DistinguishedFolderId', { Id: 'root' })))),
    ]);
  },
};
