/**
 * Child server processes for tests: spawning with captured output, stopping
 * with a SIGKILL fallback, and cleanup that stops every server and removes
 * every temporary directory after the test file's last test and on exit.
 */

import { ChildProcess, SpawnOptions, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

export interface ExitStatus {
  /** Exit code, or null when a signal ended the process or it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started (for example ENOENT). */
  error?: Error;
}

const DEFAULT_STOP_TIMEOUT_MS = 10_000;
const OUTPUT_POLL_MS = 20;

/**
 * Path of util-linux's setpriv, which gives each server a parent-death signal
 * (SIGKILL). Servers then die even when a SIGKILL ends the test process before
 * any cleanup can run. Undefined where setpriv is missing, as outside Linux.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((file) => fs.existsSync(file));

const liveServers = new Set<ServerProcess>();
const tempDirs = new Set<string>();

/** A spawned server with its captured stdout and stderr. */
export class ServerProcess {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The data directory passed to the server, or '' when it takes none. */
  readonly dir: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited and its output streams have closed. */
  readonly exited: Promise<ExitStatus>;

  #stdout: Buffer[] = [];
  #stderr: Buffer[] = [];
  #exitStatus: ExitStatus | null = null;

  constructor(name: string, command: string, args: string[], port: number, dir: string) {
    this.name = name;
    this.host = '127.0.0.1';
    this.port = port;
    this.dir = dir;
    this.child = spawnWithParentDeathSignal(command, args);
    this.child.stdout?.on('data', (chunk: Buffer) => this.#stdout.push(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => this.#stderr.push(chunk));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) =>
        this.#finish({ code: null, signal: null, error }, resolve),
      );
      this.child.once('close', (code, signal) => this.#finish({ code, signal }, resolve));
    });
    liveServers.add(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The exit status once the process has exited, else null. */
  get exitStatus(): ExitStatus | null {
    return this.#exitStatus;
  }

  /** Everything the process wrote to stdout so far, as UTF-8. */
  stdout(): string {
    return Buffer.concat(this.#stdout).toString('utf8');
  }

  /** Everything the process wrote to stderr so far, as UTF-8. */
  stderr(): string {
    return Buffer.concat(this.#stderr).toString('utf8');
  }

  /** Returns the stdout lines that parse as JSON objects, such as pino log records. */
  logRecords(): Record<string, unknown>[] {
    const records: Record<string, unknown>[] = [];

    for (const line of this.stdout().split('\n')) {
      const record = parseJsonObject(line);
      if (record !== null) records.push(record);
    }

    return records;
  }

  /** Waits until a line of stdout (or stderr) matches `pattern` and returns that line. */
  async waitForOutput(
    pattern: RegExp,
    timeoutMs = 5000,
    stream: 'stdout' | 'stderr' = 'stdout',
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;

    for (;;) {
      const text = stream === 'stdout' ? this.stdout() : this.stderr();
      const line = text.split('\n').find((candidate) => pattern.test(candidate));
      if (line !== undefined) return line;

      if (this.#exitStatus !== null || Date.now() >= deadline) {
        const state = this.#exitStatus ? 'exited' : `still running after ${timeoutMs} ms`;
        throw new Error(`${this.name} ${state} without printing ${pattern}; ${this.describe()}`);
      }

      await sleep(OUTPUT_POLL_MS);
    }
  }

  /**
   * Sends SIGTERM and waits for the exit. After `timeoutMs` it sends SIGKILL,
   * so the returned status then has signal SIGKILL.
   */
  async stop(timeoutMs = DEFAULT_STOP_TIMEOUT_MS): Promise<ExitStatus> {
    if (this.#exitStatus) return this.#exitStatus;

    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    const status = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (status) return status;

    this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Sends `signal` (SIGKILL by default, to simulate a crash) and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitStatus> {
    if (this.#exitStatus) return this.#exitStatus;

    this.child.kill(signal);
    return this.exited;
  }

  /** Returns the exit status and the tail of both output streams, for error messages. */
  describe(): string {
    const status = this.#exitStatus ? formatExitStatus(this.#exitStatus) : 'running';
    return [
      status,
      '--- stdout (tail) ---',
      tail(this.stdout()),
      '--- stderr (tail) ---',
      tail(this.stderr()),
    ].join('\n');
  }

  #finish(status: ExitStatus, resolve: (status: ExitStatus) => void): void {
    if (this.#exitStatus) return;

    this.#exitStatus = status;
    liveServers.delete(this);
    resolve(status);
  }
}

/** Formats an exit status as "exit code 1", "killed by signal SIGKILL" or the spawn error. */
export function formatExitStatus(status: ExitStatus): string {
  if (status.error) return `failed to start: ${status.error.message}`;
  if (status.signal) return `killed by signal ${status.signal}`;
  return `exit code ${status.code}`;
}

/**
 * Returns a TCP port that was free a moment ago on `host`. Another process
 * can still take it before the server binds, so callers retry on EADDRINUSE.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** Creates a temporary directory that is removed after the test file's last test. */
export function makeTempDir(prefix = 'damselfly-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** Stops every server that is still running and removes the temporary directories. */
export async function stopAllServers(): Promise<void> {
  await Promise.all([...liveServers].map((server) => server.stop()));
  removeTempDirs();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Spawns `command` through setpriv --pdeathsig KILL when both exist. setpriv
 * replaces itself with the command (execve), so the child's pid is the server's.
 */
function spawnWithParentDeathSignal(command: string, args: string[]): ChildProcess {
  const options: SpawnOptions = { stdio: ['ignore', 'pipe', 'pipe'] };
  if (SETPRIV === undefined || !path.isAbsolute(command) || !fs.existsSync(command)) {
    return spawn(command, args, options);
  }

  return spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args], options);
}

function removeTempDirs(): void {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

function killAllNow(): void {
  for (const server of liveServers) server.child.kill('SIGKILL');
  removeTempDirs();
}

function parseJsonObject(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;

  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function tail(text: string, lines = 20): string {
  return text.split('\n').slice(-lines).join('\n');
}

// Servers must not outlive the test file: stop them after its last test, and
// kill them if the process exits early or is interrupted. A SIGKILL of this
// process cannot be caught, so only setpriv's parent-death signal covers it.
after(stopAllServers);
process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAllNow();
    process.kill(process.pid, signal);
  });
}
