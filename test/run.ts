// The test runner behind `npm test`:
//   node --import tsx test/run.ts [filter ...] [--node-test-flag ...]
// Starts a private Dovecot + Radicale + Postfix once, exports EWSGATE_TEST_* for them,
// runs every test/**/*.test.ts with node:test (2 files at a time), then stops
// the backends and exits with the test run's exit code.
// Filters are substrings of the file path (relative to the repo): any match
// selects the file. Arguments starting with "--" go to `node --test`
// (e.g. --test-name-pattern=X). EWSGATE_KEEP_TMP=1 keeps the backends' temp
// dir; EWSGATE_TEST_DEBUG=1 turns on Dovecot/Radicale debug logging.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportEnv, startBackends, type Backends } from './harness/backends.js';
import { BACKEND_PACKAGES, ensureDebianPackages } from './harness/packages.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST_DIR = path.join(ROOT, 'test');

function findTestFiles(dir: string): string[] {
  const out: string[] = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (ent.name.startsWith('.') || ent.name === 'node_modules') continue;
    const full = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...findTestFiles(full));
    else if (ent.isFile() && /\.test\.m?ts$/.test(ent.name)) out.push(full);
  }
  return out.sort();
}

function logTails(b: Backends, lines = 15): string {
  return b.logFiles
    .map((f) => {
      let text = '';
      try {
        text = fs.readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        text = '(missing)';
      }
      return `--- ${f} (last ${lines} lines) ---\n${text}`;
    })
    .join('\n');
}

// A closed pipe (e.g. `npm test | head`) must not kill us before the backends are stopped.
process.stdout.on('error', () => undefined);
process.stderr.on('error', () => undefined);

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const nodeFlags = args.filter((a) => a.startsWith('--'));
  const filters = args.filter((a) => !a.startsWith('--'));

  const all = findTestFiles(TEST_DIR);
  const files = filters.length
    ? all.filter((f) => filters.some((flt) => path.relative(ROOT, f).includes(flt)))
    : all;
  if (files.length === 0) {
    console.error(
      `test/run.ts: no test files ${filters.length ? `match ${filters.map((f) => JSON.stringify(f)).join(', ')}` : 'found'} ` +
        `(looked for test/**/*.test.ts; found: ${all.map((f) => path.relative(ROOT, f)).join(', ') || 'none'})`,
    );
    return 1;
  }

  ensureDebianPackages(BACKEND_PACKAGES);

  // a signal during startup: exit once the backends are up (and stopped again)
  let earlySignal: NodeJS.Signals | undefined;
  const onEarlySignal = (signal: NodeJS.Signals) => (earlySignal = signal);
  process.on('SIGINT', onEarlySignal);
  process.on('SIGTERM', onEarlySignal);
  const t0 = performance.now();
  const backends = await startBackends();
  process.off('SIGINT', onEarlySignal);
  process.off('SIGTERM', onEarlySignal);
  if (earlySignal) {
    await backends.stop();
    return earlySignal === 'SIGINT' ? 130 : 143;
  }
  console.error(
    `# backends up in ${Math.round(performance.now() - t0)} ms: imap ${backends.imapUrl}, lmtp 127.0.0.1:${backends.lmtpPort}, ` +
      `smtp ${backends.smtpUrl}, dav ${backends.davUrl} (dir ${backends.dir}${process.env.EWSGATE_KEEP_TMP === '1' ? ', kept' : ''})`,
  );

  let child: ChildProcess | undefined;
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      // second signal: do not wait for the tests any longer
      child?.kill('SIGKILL');
      void backends.stop().finally(() => process.exit(130));
      return;
    }
    signalled = signal;
    console.error(`\ntest/run.ts: ${signal}, stopping the tests, then the backends`);
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    setTimeout(() => child?.kill('SIGKILL'), 5000).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const testArgs = ['--import', 'tsx', '--test', '--test-concurrency=2', ...nodeFlags, ...files.map((f) => path.relative(ROOT, f))];
  const code = await new Promise<number>((resolve) => {
    child = spawn(process.execPath, testArgs, {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, ...exportEnv(backends) },
    });
    child.on('error', (e) => {
      console.error(`test/run.ts: cannot start node --test: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });

  if (signalled) {
    await backends.stop();
    return signalled === 'SIGINT' ? 130 : 143;
  }
  if (code !== 0) console.error(`\n# tests failed (exit ${code}); backend logs:\n${logTails(backends)}`);
  await backends.stop();
  return code;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`test/run.ts: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  },
);
