#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Config } from './config/config';
import {
  applyDirectives,
  ConfigurationError,
  parseFlags,
  readConfigFile,
  readEnvironment,
} from './config/load';
import { SETTINGS } from './config/settings';
import { registerAllCommands } from './commands/registry';
import { prepareScripting } from './scripting/engine';
import { Server } from './engine/server';
import { Listeners } from './net/listener';
import { MemcacheListener } from './net/memcache-listener';
import { createLogger, setLogLevel } from './observability/logger';
import { startActiveExpiry } from './store/active-expiry';
import { evictorOf } from './store/eviction';
import { markStartup } from './store/memory';
import { startMetricsEndpoint, type MetricsEndpoint } from './observability/metrics';
import {
  closePersistence,
  persistenceCron,
  savePersistenceBeforeExit,
  startPersistence,
} from './persistence/lifecycle';
import { SnapshotLoadError } from './persistence/snapshots';
import { isKeyFileShared, loadKeyring } from './persistence/encryption';
import { DAMSELFLY_VERSION, REDIS_COMPATIBLE_VERSION } from './version';
import { runAuditCommand } from './audit-cli';
import {
  emptySecurityDirectives,
  SecuritySetupError,
  setUpSecurity,
  takeSecurityDirectives,
  type SecurityDirectives,
} from './security/startup';

/** How long shutdown waits for the logger to flush before exiting anyway. */
const EXIT_FLUSH_TIMEOUT_MS = 2000;

function helpText(): string {
  const lines = [
    'Usage: damselfly [config-file] [--setting value ...]',
    '       damselfly audit verify FILE',
    '',
    'Starts the server. Settings come from built-in defaults, then the config file',
    '(redis.conf syntax), then DAMSELFLY_<SETTING> environment variables, then flags.',
    '',
    'Options:',
    '  --help       print this help and exit',
    '  --version    print the version and exit',
    '',
    'Settings (CONFIG SET changes [protected] ones only with enable-protected-configs):',
  ];
  for (const setting of SETTINGS) {
    const marks = setting.protected === true ? ' [protected]' : '';
    lines.push(
      `  --${setting.name.padEnd(28)} ${setting.help} (default: "${setting.default}")${marks}`,
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * Builds the settings from the config file, the environment and the flags,
 * in that order. The config file's `user`, `role` and `rename-command` lines
 * go to `security`.
 */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  security: SecurityDirectives = emptySecurityDirectives(),
): Config {
  const config = new Config();
  let words = argv;
  if (words.length > 0 && !words[0].startsWith('--')) {
    const directives = takeSecurityDirectives(readConfigFile(words[0]), security);
    applyDirectives(config, mergeSaveLines(directives));
    words = words.slice(1);
  }
  applyDirectives(config, readEnvironment(env));
  applyDirectives(config, parseFlags(words));
  return config;
}

/** In a config file, every `save` line adds a rule, as in redis.conf; `save ""` clears them. */
function mergeSaveLines(directives: ReturnType<typeof readConfigFile>): typeof directives {
  const rules: string[] = [];
  const others = directives.filter((directive) => {
    if (directive.name !== 'save') return true;
    const text = directive.values.join(' ');
    if (text.trim() === '') rules.length = 0;
    else rules.push(text);
    return false;
  });
  const hasSave = directives.some((directive) => directive.name === 'save');
  if (!hasSave) return others;
  return [...others, { name: 'save', values: [rules.join(' ')], source: 'config file save lines' }];
}

async function start(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'audit') {
    process.exitCode = runAuditCommand(argv.slice(1));
    return;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(helpText());
    return;
  }
  if (argv.includes('--version') || argv.includes('-v')) {
    process.stdout.write(
      `damselfly ${DAMSELFLY_VERSION} (redis ${REDIS_COMPATIBLE_VERSION} compatible)\n`,
    );
    return;
  }
  let config: Config;
  const security = emptySecurityDirectives();
  try {
    config = loadConfig(argv, process.env, security);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    process.stderr.write(`damselfly: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  const logger = createLogger(config.string('loglevel'), config.string('logfile'));
  config.watch('loglevel', (level) => setLogLevel(logger, String(level)));
  const server = new Server(config, logger, randomBytes(20).toString('hex'));
  // Resolved before the chdir to `dir` below, so CONFIG REWRITE finds the file.
  if (argv.length > 0 && !argv[0].startsWith('--')) server.configFile = resolve(argv[0]);
  registerAllCommands(server);
  try {
    await prepareScripting();
  } catch (error) {
    logger.error(
      { err: (error as Error).message },
      'cannot load the Lua engine; scripts will fail',
    );
  }
  try {
    setUpSecurity(server, security);
  } catch (error) {
    if (!(error instanceof SecuritySetupError)) throw error;
    logger.fatal({ err: error.message }, 'cannot set up users, renames or the audit log');
    logger.flush(() => process.exit(1));
    return;
  }
  // Starts access tracking before any key is loaded, so loaded keys get access records.
  evictorOf(server);
  markStartup();
  try {
    server.keyring = loadKeyring(config.string('encryption-key-file'), process.env);
  } catch (error) {
    logger.fatal({ err: (error as Error).message }, 'cannot load the encryption key');
    logger.flush(() => process.exit(1));
    return;
  }
  warnAboutKeyFile(server);
  try {
    process.chdir(config.string('dir'));
  } catch (error) {
    logger.fatal({ dir: config.string('dir'), err: (error as Error).message }, 'cannot use dir');
    process.exitCode = 1;
    return;
  }
  const listeners = new Listeners(server);
  const memcacheListener = new MemcacheListener(server);
  try {
    await listeners.start();
    await memcacheListener.start();
  } catch (error) {
    logger.fatal({ err: (error as Error).message }, 'cannot start listening');
    await new Promise((resolve) => logger.flush(() => resolve(undefined)));
    process.exit(1);
  }
  const pidfile = config.string('pidfile');
  if (pidfile !== '') writeFileSync(pidfile, `${process.pid}\n`);
  const stopExpiry = startActiveExpiry(server);
  let metrics: MetricsEndpoint | null = null;
  try {
    metrics = await startMetricsEndpoint(server);
  } catch (error) {
    logger.fatal({ err: (error as Error).message }, 'cannot start the metrics endpoint');
    logger.flush(() => process.exit(1));
    return;
  }
  logStartup(server);
  try {
    await startPersistence(server);
  } catch (error) {
    const message = error instanceof SnapshotLoadError ? error.message : String(error);
    logger.fatal({ err: message }, 'cannot load the data files; they are left untouched');
    logger.flush(() => process.exit(1));
    return;
  }
  const cron = setInterval(() => persistenceCron(server), 1000);

  let stopping = false;
  /** Saves if needed, then closes; returns false (and keeps running) when the save failed. */
  const stop = (reason: string, save: boolean | null): boolean => {
    if (stopping) return true;
    logger.info({ reason }, 'shutting down');
    if (!savePersistenceBeforeExit(server, save)) {
      logger.error('not exiting because the snapshot could not be saved');
      return false;
    }
    stopping = true;
    stopExpiry();
    clearInterval(cron);
    server.security.audit?.record('server.stop', { reason });
    const closing = [listeners.close(), memcacheListener.close(), metrics?.close()];
    void Promise.all(closing).then(async () => {
      await closePersistence(server);
      await server.security.audit?.close();
      logger.info('bye');
      // A log destination that is gone (a closed pipe) must not keep the process alive.
      setTimeout(() => process.exit(0), EXIT_FLUSH_TIMEOUT_MS).unref();
      logger.flush(() => process.exit(0));
    });
    return true;
  };
  server.onShutdown = (save) => stop('SHUTDOWN command', save);
  process.on('SIGTERM', () => stop('SIGTERM', null));
  process.on('SIGINT', () => stop('SIGINT', null));
}

function warnAboutKeyFile(server: Server): void {
  const keyFile = server.config.string('encryption-key-file');
  if (keyFile !== '' && isKeyFileShared(keyFile)) {
    server.logger.warn(
      { file: keyFile },
      'the encryption key file is readable by other users; chmod 600 it',
    );
  }
}

/** Describes how data is persisted: snapshot rules, the append-only log, both, or off. */
function persistenceMode(server: Server): string {
  const config = server.config;
  const modes: string[] = [];
  if (config.string('save') !== '') modes.push(`rdb (save ${config.string('save')})`);
  if (config.bool('appendonly')) modes.push(`aof (appendfsync ${config.string('appendfsync')})`);
  return modes.length === 0 ? 'off' : modes.join(' + ');
}

function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === 'localhost';
}

/** Checks whether every address in a space-separated list is a loopback address. */
function allLoopback(addresses: string): boolean {
  const list = addresses.split(' ').filter((address) => address !== '');
  return list.length > 0 && list.every(isLoopback);
}

/** Logs the settings in force at start-up, then a warning for each unsafe one. */
function logStartup(server: Server): void {
  const config = server.config;
  const maxmemory = config.number('maxmemory');
  server.logger.info(
    {
      version: DAMSELFLY_VERSION,
      redisCompatible: REDIS_COMPATIBLE_VERSION,
      port: config.number('port'),
      tlsPort: config.number('tls-port'),
      memcachedPort: config.number('memcached-port'),
      metricsPort: config.number('metrics-port'),
      bind: config.string('bind'),
      unixsocket: config.string('unixsocket') || undefined,
      persistence: persistenceMode(server),
      tls: config.number('tls-port') !== 0,
      encryption: server.keyring === null ? 'off' : `key ${server.keyring.currentId}`,
      protectedMode: config.bool('protected-mode'),
      maxmemory: maxmemory === 0 ? 'no limit' : maxmemory,
      maxmemoryPolicy: config.string('maxmemory-policy'),
    },
    'damselfly started',
  );
  warnAboutUnsafeSettings(server);
}

function warnAboutUnsafeSettings(server: Server): void {
  const config = server.config;
  const logger = server.logger;
  const exposed = !allLoopback(config.string('bind'));
  if (exposed && !server.requiresAuthentication()) {
    logger.warn('no password is set and the server listens beyond loopback; set requirepass');
  }
  if (exposed && config.number('tls-port') === 0) {
    logger.warn('TLS is off and the server listens beyond loopback; traffic is unencrypted');
  }
  if (persistenceMode(server) === 'off') {
    logger.warn('persistence is off (save "" and appendonly no); data is lost on exit');
  }
  const metricsExposed = !allLoopback(config.string('metrics-bind'));
  if (config.number('metrics-port') !== 0 && config.bool('metrics-open') && metricsExposed) {
    logger.warn('metrics-open is yes and the metrics port listens beyond loopback');
  }
}

if (require.main === module) {
  start(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`damselfly: failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
