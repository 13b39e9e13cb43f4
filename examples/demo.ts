// `npm run demo`: a private Dovecot and Radicale on loopback in a temp dir, a demo
// user with sample mail, events and contacts from fixtures/, and ewsgate in front.
// Ctrl-C stops everything and removes the temp dir.
import { loadConfig } from '../src/config.js';
import { startGateway } from '../src/server/http.js';
import { createLogger } from '../src/server/log.js';
import { startBackends } from '../test/harness/backends.js';
import { BACKEND_PACKAGES, ensureDebianPackages } from '../test/harness/packages.js';
import { seedUser } from '../test/harness/seed.js';

const USER = 'demo';
const PASSWORD = 'demo-password';

async function main(): Promise<void> {
  ensureDebianPackages(BACKEND_PACKAGES);
  const backends = await startBackends();
  const user = await backends.addUser(USER, PASSWORD);
  await seedUser(backends, user, { mail: true, dav: true });
  const config = loadConfig({
    env: process.env,
    flags: {
      listen: process.env.EWSGATE_LISTEN ?? '127.0.0.1:8080',
      imap: backends.imapUrl,
      caldav: backends.davUrl,
      carddav: backends.davUrl,
      mailDomain: 'example.test',
    },
  });
  const gateway = await startGateway(config, createLogger(config.logLevel));
  const ews = `${config.publicUrl}/EWS/Exchange.asmx`;
  process.stdout.write(
    [
      '',
      'ewsgate demo is running (Ctrl-C stops it and removes everything).',
      '',
      `  EWS URL       ${ews}`,
      `  Autodiscover  ${config.publicUrl}/autodiscover/autodiscover.xml`,
      `  User          ${user.email}`,
      `  Password      ${user.password}`,
      `  Backends      IMAP ${backends.imapUrl}, CalDAV/CardDAV ${backends.davUrl}`,
      '',
      'Try it with exchangelib (Debian: apt-get install python3-exchangelib):',
      `  /usr/bin/python3 -c "from exchangelib import *; a = Account('${user.email}', config=Configuration(service_endpoint='${ews}', credentials=Credentials('${user.email}', '${user.password}'), auth_type=BASIC, version=Version(build=Build(15, 1))), autodiscover=False, access_type=DELEGATE); print(a.root.tree()); print('inbox:', a.inbox.total_count, 'unread:', a.inbox.unread_count)"`,
      '',
      'Or with ews-javascript-api, from this directory:',
      `  node -e "const e = require('ews-javascript-api'); const s = new e.ExchangeService(e.ExchangeVersion.Exchange2013); s.Credentials = new e.WebCredentials('${user.email}', '${user.password}'); s.Url = new e.Uri('${ews}'); e.Folder.Bind(s, e.WellKnownFolderName.Inbox).then(f => console.log(f.DisplayName, f.TotalCount, f.UnreadCount))"`,
      '',
    ].join('\n') + '\n',
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await gateway.close().catch(() => undefined);
    await backends.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  process.stderr.write(`demo failed: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exit(1);
});
