// Makes sure the Debian packages the real-backend tests need are installed.
// Installs them when we run as root; otherwise fails with the command to run.

import { execFileSync, spawnSync } from 'node:child_process';

/** Everything the test backends (and client interop tests) rely on. */
export const BACKEND_PACKAGES: readonly string[] = Object.freeze([
  'dovecot-imapd',
  'dovecot-lmtpd',
  'dovecot-submissiond',
  'dovecot-managesieved',
  'dovecot-sieve',
  'radicale',
  'postfix',
  'python3-exchangelib',
  'apache2-utils',
  'vdirsyncer',
  'python3-caldav',
  'davmail-server',
  'default-jre-headless',
  'redis-server', // a private Redis shared by two gateways (test/harness/redis.ts, test/notify-redis.test.ts)
  'ldap-utils', // ldapsearch against DavMail's LDAP port (test/clients/davmail/ldap.test.ts)
  'slapd', // a private OpenLDAP for the directory tests (test/harness/slapd.ts)
]);

/** Returns the subset of `names` that dpkg does not report as installed ("ii"). */
export function missingDebianPackages(names: readonly string[]): string[] {
  if (names.length === 0) return [];
  // dpkg-query prints a line for each known package and complains on stderr
  // (exit status 1) about unknown ones; both mean "not installed" for us.
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${db:Status-Abbrev}\n', ...names], {
    encoding: 'utf8',
  });
  if (r.error) {
    throw new Error(`cannot run dpkg-query (is this a Debian system?): ${r.error.message}`);
  }
  const installed = new Set<string>();
  for (const line of r.stdout.split('\n')) {
    const [pkg, status] = line.split('\t');
    // pkg may carry an architecture qualifier (foo:amd64)
    if (pkg && status && status.startsWith('ii')) installed.add(pkg.replace(/:.*$/, ''));
  }
  return names.filter((n) => !installed.has(n));
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Ensures the given Debian packages are installed. When some are missing and
 * we are root, runs `apt-get update` and `apt-get install -y` for them
 * (pre-seeding debconf so postfix installs without a prompt). When not root,
 * throws an Error naming the missing packages and the command to run.
 */
export function ensureDebianPackages(names: readonly string[]): void {
  const missing = missingDebianPackages(names);
  if (missing.length === 0) return;

  const installCmd = `DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing.join(' ')}`;
  if (!isRoot()) {
    const prefix =
      (missing.includes('postfix') ? `echo "postfix postfix/main_mailer_type select No configuration" | sudo debconf-set-selections && ` : '') +
      (missing.includes('slapd') ? `echo "slapd slapd/no_configuration boolean true" | sudo debconf-set-selections && ` : '');
    throw new Error(
      `missing Debian packages: ${missing.join(', ')}. ` +
        `Install them as root: ${prefix}sudo apt-get update && sudo ${installCmd}`,
    );
  }

  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (missing.includes('slapd')) {
    // Tests run their own slapd (test/harness/slapd.ts): the package must not configure or start a system one.
    execFileSync('debconf-set-selections', [], { input: 'slapd slapd/no_configuration boolean true\n', stdio: ['pipe', 'inherit', 'inherit'], env });
  }
  if (missing.includes('postfix')) {
    execFileSync('debconf-set-selections', [], {
      input: 'postfix postfix/main_mailer_type select No configuration\n',
      stdio: ['pipe', 'inherit', 'inherit'],
      env,
    });
  }
  process.stderr.write(`ensureDebianPackages: installing ${missing.join(' ')}\n`);
  execFileSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', ...missing], { stdio: ['ignore', 'inherit', 'inherit'], env });

  const still = missingDebianPackages(missing);
  if (still.length > 0) {
    throw new Error(`apt-get install finished but these packages are still missing: ${still.join(', ')}`);
  }
}
