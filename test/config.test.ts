// Configuration: defaults, file < environment < flags, and every problem named at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, OPTIONS, loadConfig, readConfigFile } from '../src/config.js';

test('defaults run on one machine', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.listen.host, '127.0.0.1');
  assert.equal(c.imap.protocol, 'imap:');
  assert.equal(c.publicUrl, 'http://127.0.0.1:8080');
  assert.equal(c.upstream, undefined);
});

test('flags win over the environment, the environment over the file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ewsgate-config-'));
  const file = path.join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ listen: '127.0.0.1:1000', imap: 'imap://file:143', mailDomain: 'file.test' }));
  const c = loadConfig({ file: readConfigFile(file), env: { EWSGATE_IMAP: 'imaps://env:993', EWSGATE_MAIL_DOMAIN: 'env.test' }, flags: { mailDomain: 'flag.test' } });
  assert.equal(c.listen.port, 1000);
  assert.equal(c.imap.host, 'env:993');
  assert.equal(c.mailDomain, 'flag.test');
});

test('every problem is named at once', () => {
  try {
    loadConfig({ env: { EWSGATE_LISTEN: 'nope', EWSGATE_IMAP: 'http://x', EWSGATE_TLS_CERT: '/nonexistent.pem', EWSGATE_LOG_LEVEL: 'loud', EWSGATE_UPSTREAM: '::' } });
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    const msg = (e as ConfigError).message;
    for (const v of ['EWSGATE_LISTEN', 'EWSGATE_IMAP', 'EWSGATE_TLS_CERT', 'EWSGATE_LOG_LEVEL', 'EWSGATE_UPSTREAM']) assert.match(msg, new RegExp(v));
  }
});

test('a config file with an unknown key or bad JSON is refused clearly', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ewsgate-config-'));
  const bad = path.join(dir, 'bad.json');
  writeFileSync(bad, '{"listen": "127.0.0.1:1", "imapp": "x"}');
  assert.throws(() => readConfigFile(bad), /unknown key "imapp"/);
  writeFileSync(bad, '{nope');
  assert.throws(() => readConfigFile(bad), /not valid JSON/);
});

test('ewsgate --help lists every option; a bad option exits 2 with a message', () => {
  const cli = path.resolve('src/cli.ts');
  const help = spawnSync(process.execPath, ['--import', 'tsx', cli, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0, help.stderr);
  for (const o of OPTIONS) {
    assert.ok(help.stdout.includes(o.flag), o.flag);
    assert.ok(help.stdout.includes(o.env), o.env);
  }
  const bad = spawnSync(process.execPath, ['--import', 'tsx', cli, '--imap', 'ftp://x'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /EWSGATE_IMAP must be/);
});
