#!/usr/bin/env node
// `ewsgate`: starts the gateway from flags, environment and an optional config file.
import { readFileSync } from 'node:fs';
import { ConfigError, helpText, loadConfig, parseFlags, readConfigFile } from './config.js';
import { startGateway } from './server/http.js';
import { createLogger } from './server/log.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`ewsgate: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  if (parsed.help) {
    process.stdout.write(helpText());
    return 0;
  }
  if (parsed.version) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`ewsgate ${pkg.version}\n`);
    return 0;
  }
  let config;
  try {
    config = loadConfig({ file: parsed.configFile ? readConfigFile(parsed.configFile) : undefined, env: process.env, flags: parsed.flags });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`ewsgate: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  if (config.stateSecret === 'ewsgate-default-state-secret') log.info('EWSGATE_STATE_SECRET is the built-in default; set your own in production');
  const gateway = await startGateway(config, log);
  process.stdout.write(`ewsgate listening on ${gateway.url} (EWS at ${config.publicUrl}/EWS/Exchange.asmx, IMAP ${config.imap.host})\n`);
  const stop = () => {
    gateway.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return -1;
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e) => {
    process.stderr.write(`ewsgate: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exit(1);
  },
);
