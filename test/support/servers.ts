/**
 * Starts servers for tests: Damselfly from dist/, and the reference
 * redis-server and memcached when they are installed. Each server gets a
 * free port on 127.0.0.1 and, except memcached, a temporary data directory.
 * Every server is stopped after the test file's last test (see server-process).
 */

import fs from 'node:fs';
import path from 'node:path';

import { RawClient } from './raw-client';
import { ServerProcess, findFreePort, makeTempDir, sleep } from './server-process';

export {
  ServerProcess,
  findFreePort,
  formatExitStatus,
  makeTempDir,
  sleep,
  stopAllServers,
} from './server-process';
export type { ExitStatus } from './server-process';

/** The compiled server entry point, dist/src/main.js. */
export const DAMSELFLY_ENTRY = path.resolve(__dirname, '..', '..', 'src', 'main.js');

/**
 * When this environment variable is "1" (CI sets it), a missing redis-server
 * or memcached fails the tests that need it instead of skipping them.
 */
export const REQUIRE_REFERENCE_ENV = 'DAMSELFLY_REQUIRE_REFERENCE';

export interface StartOptions {
  /**
   * Extra flags, appended after the defaults. A default flag that also
   * appears here (such as --save or --dir) is left out of the defaults.
   */
  args?: string[];
  /** A config file, passed as the first argument as redis-server takes it. */
  configFile?: string;
  /**
   * Data directory. When omitted, a new temporary directory that is kept until
   * the test file ends, so a test can restart a server on `server.dir`.
   */
  dir?: string;
  /** Maximum time in ms to wait until the server replies to a probe. */
  readyTimeoutMs?: number;
  /** When false, returns right after spawning, for tests of startup failures. */
  waitUntilReady?: boolean;
}

type Probe = (port: number) => Promise<boolean>;

interface LaunchSpec {
  name: string;
  command: string;
  /** Builds the argument list for a port; dir is '' for servers without one. */
  buildArgs: (port: number) => string[];
  dir: string;
  probe: Probe;
}

const DEFAULT_READY_TIMEOUT_MS = 15_000;
const PROBE_TIMEOUT_MS = 1000;
const PROBE_INTERVAL_MS = 50;
const PORT_ATTEMPTS = 3;
const PORT_IN_USE = /EADDRINUSE|address already in use/i;

/**
 * Starts `node dist/src/main.js --port N --bind 127.0.0.1 --save "" --dir DIR`
 * plus `options.args`, and waits until it replies to PING. Throws if
 * dist/src/main.js is missing or the server exits before it is ready.
 */
export async function startDamselfly(options: StartOptions = {}): Promise<ServerProcess> {
  if (!fs.existsSync(DAMSELFLY_ENTRY)) {
    throw new Error(`${DAMSELFLY_ENTRY} not found; run "npm run build" first`);
  }

  const dir = options.dir ?? makeTempDir('damselfly-test-');
  const defaults = [
    ['--bind', '127.0.0.1'],
    ['--save', ''],
    ['--dir', dir],
  ];

  return launch(options, {
    name: 'damselfly',
    command: process.execPath,
    buildArgs: (port) => [
      DAMSELFLY_ENTRY,
      ...configFileArgs(options),
      '--port',
      String(port),
      ...mergeDefaults(defaults, options.args ?? []),
    ],
    dir,
    probe: probeResp,
  });
}

/**
 * Starts the reference redis-server with persistence off and waits until it
 * replies to PING. Returns null when redis-server is not installed (see
 * redisServerSkipReason), unless DAMSELFLY_REQUIRE_REFERENCE=1.
 */
export async function startRedisServer(options: StartOptions = {}): Promise<ServerProcess | null> {
  const command = findReference('redis-server');
  if (command === null) return null;

  const dir = options.dir ?? makeTempDir('redis-test-');
  const defaults = [
    ['--bind', '127.0.0.1'],
    ['--save', ''],
    ['--appendonly', 'no'],
    ['--dir', dir],
  ];

  return launch(options, {
    name: 'redis-server',
    command,
    buildArgs: (port) => [
      ...configFileArgs(options),
      '--port',
      String(port),
      ...mergeDefaults(defaults, options.args ?? []),
    ],
    dir,
    probe: probeResp,
  });
}

/**
 * Starts memcached on 127.0.0.1 with UDP off and waits until it replies to
 * `version`. Returns null when memcached is not installed (see
 * memcachedSkipReason), unless DAMSELFLY_REQUIRE_REFERENCE=1.
 */
export async function startMemcached(options: StartOptions = {}): Promise<ServerProcess | null> {
  const command = findReference('memcached');
  if (command === null) return null;

  // memcached refuses to run as root unless -u names the user to run as.
  const defaults = [
    ['-l', '127.0.0.1'],
    ['-U', '0'],
  ];
  if (process.getuid?.() === 0) defaults.push(['-u', 'root']);

  return launch(options, {
    name: 'memcached',
    command,
    buildArgs: (port) => ['-p', String(port), ...mergeDefaults(defaults, options.args ?? [])],
    dir: '',
    probe: probeMemcached,
  });
}

/** A reason to pass as node:test's `skip` option when redis-server is missing. */
export function redisServerSkipReason(): string | undefined {
  return skipReason('redis-server', 'redis-server');
}

/** A reason to pass as node:test's `skip` option when memcached is missing. */
export function memcachedSkipReason(): string | undefined {
  return skipReason('memcached', 'memcached');
}

/** Returns the absolute path of `name` on PATH or in the sbin directories, or null. */
export function findExecutable(name: string): string | null {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  dirs.push('/usr/local/sbin', '/usr/sbin', '/sbin');

  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not in this directory.
    }
  }

  return null;
}

function referenceRequired(): boolean {
  return process.env[REQUIRE_REFERENCE_ENV] === '1';
}

function skipReason(executable: string, aptPackage: string): string | undefined {
  if (referenceRequired() || findExecutable(executable) !== null) return undefined;
  return `${executable} is not installed (apt-get install ${aptPackage})`;
}

function findReference(executable: string): string | null {
  const command = findExecutable(executable);
  if (command === null && referenceRequired()) {
    throw new Error(`${executable} is not installed, and ${REQUIRE_REFERENCE_ENV}=1 requires it`);
  }

  return command;
}

function configFileArgs(options: StartOptions): string[] {
  return options.configFile === undefined ? [] : [options.configFile];
}

/** Returns the default flags not named in `args`, followed by `args`. */
function mergeDefaults(defaults: string[][], args: string[]): string[] {
  const kept = defaults.filter(([flag]) => !args.includes(flag));
  return [...kept.flat(), ...args];
}

/** Spawns the server, retrying on a new port when the chosen one was taken meanwhile. */
async function launch(options: StartOptions, spec: LaunchSpec): Promise<ServerProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    const server = new ServerProcess(spec.name, spec.command, spec.buildArgs(port), port, spec.dir);
    if (options.waitUntilReady === false) return server;

    try {
      await waitUntilReady(server, spec.probe, options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
      return server;
    } catch (error) {
      await server.stop();
      const portTaken = PORT_IN_USE.test(server.stdout() + server.stderr());
      if (!portTaken || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

async function waitUntilReady(
  server: ServerProcess,
  probe: Probe,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;

  while (Date.now() < deadline) {
    if (server.exitStatus) {
      throw new Error(`${server.name} exited before it was ready; ${server.describe()}`);
    }

    if (await probe(server.port).catch(() => false)) return;
    await sleep(PROBE_INTERVAL_MS);
  }

  throw new Error(`${server.name} not ready after ${timeoutMs} ms; ${server.describe()}`);
}

/**
 * Sends PING. Any complete reply but -LOADING means ready, so a server that
 * requires a password (and replies -NOAUTH) counts as ready too.
 */
async function probeResp(port: number): Promise<boolean> {
  const client = await RawClient.connect(port, { timeoutMs: PROBE_TIMEOUT_MS });

  try {
    const reply = await client.call(['PING'], PROBE_TIMEOUT_MS);
    return !reply.toString('latin1').startsWith('-LOADING');
  } finally {
    client.destroy();
  }
}

async function probeMemcached(port: number): Promise<boolean> {
  const client = await RawClient.connect(port, { timeoutMs: PROBE_TIMEOUT_MS });

  try {
    await client.send('version\r\n');
    const line = await client.readUntil('\r\n', PROBE_TIMEOUT_MS);
    return line.toString('latin1').startsWith('VERSION ');
  } finally {
    client.destroy();
  }
}
