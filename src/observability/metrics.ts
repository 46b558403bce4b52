/**
 * The HTTP endpoint on `metrics-port`: Prometheus metrics at /metrics, a
 * readiness probe at /healthz, and a live console at / fed by /api/stats.
 * Every path asks for HTTP basic authentication against the server's users
 * (user "default" with `requirepass`), except /metrics and /healthz when
 * `metrics-open` is yes.
 */
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Registry } from 'prom-client';
import { Client, type Transport } from '../engine/client';
import type { RegisteredCommand } from '../engine/command';
import type { Server } from '../engine/server';
import { usedMemory } from '../store/memory';
import { observersOf } from './command-observer';
import { peakMemory } from './info';
import { createMetricsRegistry } from './metrics-registry';

/**
 * The console's static files, shipped as they are in the package (no build
 * step): src/observability/console, found from dist/src/observability.
 */
const CONSOLE_DIR = path.resolve(__dirname, '..', '..', '..', 'src', 'observability', 'console');
const CONSOLE_FILES: Record<string, [file: string, type: string]> = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/console.js': ['console.js', 'text/javascript; charset=utf-8'],
  '/console.css': ['console.css', 'text/css; charset=utf-8'],
};
const SLOWLOG_ENTRIES_SHOWN = 10;

/** Reads the console files once; a missing file is served as 404. */
function loadConsoleFiles(): Map<string, [Buffer, string]> {
  const files = new Map<string, [Buffer, string]>();
  for (const [route, [file, type]] of Object.entries(CONSOLE_FILES)) {
    const full = path.join(CONSOLE_DIR, file);
    if (existsSync(full)) files.set(route, [readFileSync(full), type]);
  }
  return files;
}

/** Returns the user and password of an `Authorization: Basic ...` header, or null. */
export function parseBasicAuth(header: string | undefined): [string, string] | null {
  if (header === undefined) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (match === null) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return [decoded.slice(0, colon), decoded.slice(colon + 1)];
}

/** Sums the calls and execution time of every command, for the console's latency chart. */
function commandTotals(server: Server): { calls: number; micros: number } {
  let calls = 0;
  let micros = 0;
  for (const spec of server.commands.values()) {
    for (const row of [spec, ...(spec.subcommands?.values() ?? [])]) {
      const stats = (row as typeof spec).stats;
      calls += stats.calls;
      micros += stats.microseconds;
    }
  }
  return { calls, micros };
}

/** Builds the JSON document the console polls every second. */
export function consoleStats(server: Server): object {
  const totals = commandTotals(server);
  let keys = 0;
  for (const db of server.databases) keys += db.size;
  let blocked = 0;
  for (const each of server.clients.values()) if (each.blocked) blocked++;
  const stats = server.stats;
  return {
    time: Date.now(),
    commandsProcessed: stats.totalCommands,
    commandCalls: totals.calls,
    commandMicros: Math.round(totals.micros),
    memory: {
      used: usedMemory(server),
      rss: process.memoryUsage.rss(),
      peak: peakMemory(server),
      max: server.config.number('maxmemory'),
    },
    clients: { connected: server.clients.size, blocked },
    keys,
    evictedKeys: stats.evictedKeys,
    expiredKeys: stats.expiredKeys,
    loading: server.persistence.loading,
    slowlog: observersOf(server).slowlog.latest(SLOWLOG_ENTRIES_SHOWN),
  };
}

/** The running HTTP endpoint. */
export class MetricsEndpoint {
  readonly #server: Server;
  readonly #registry: Registry;
  readonly #consoleFiles = loadConsoleFiles();
  readonly #listeners: http.Server[] = [];
  #open = false;

  constructor(server: Server) {
    this.#server = server;
    this.#registry = createMetricsRegistry(server);
    this.#open = server.config.bool('metrics-open');
  }

  /** Ports actually bound, one per address (useful with port 0 in tests). */
  get ports(): number[] {
    return this.#listeners.map((listener) => (listener.address() as AddressInfo).port);
  }

  /** Listens on every `metrics-bind` address at `port`. */
  async listen(port: number): Promise<void> {
    const addresses = this.#server.config
      .string('metrics-bind')
      .split(' ')
      .filter((address) => address !== '');
    for (const address of addresses) {
      const listener = http.createServer((request, response) => this.#handle(request, response));
      await new Promise<void>((resolve, reject) => {
        listener.once('error', reject);
        listener.listen(port, address, () => resolve());
      });
      listener.on('error', (error) => {
        this.#server.logger.error({ err: error.message }, 'metrics endpoint error');
      });
      this.#listeners.push(listener);
      this.#server.logger.info({ address, port }, 'metrics endpoint listening');
    }
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#listeners.map(
        (listener) => new Promise<void>((resolve) => listener.close(() => resolve())),
      ),
    );
  }

  #handle(request: http.IncomingMessage, response: http.ServerResponse): void {
    const route = (request.url ?? '/').split('?')[0];
    response.setHeader('X-Content-Type-Options', 'nosniff');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      this.#send(response, 405, 'text/plain', 'method not allowed\n');
      return;
    }
    const open = this.#open && (route === '/metrics' || route === '/healthz');
    const user = open ? null : this.#authorizedUser(request);
    if (!open && user === null) {
      response.setHeader('WWW-Authenticate', 'Basic realm="damselfly", charset="UTF-8"');
      // Failed logins wait before the reply, so passwords cannot be guessed at full speed.
      const delay = request.headers.authorization === undefined ? 0 : FAILED_LOGIN_DELAY_MS;
      setTimeout(() => this.#send(response, 401, 'text/plain', 'authentication required\n'), delay);
      return;
    }
    if (user !== null && !this.#mayRead(user, route)) {
      this.#send(response, 403, 'text/plain', 'this user may not read server statistics\n');
      return;
    }
    this.#route(route, response).catch((error: Error) => {
      this.#server.logger.error({ err: error.message, route }, 'metrics request failed');
      if (!response.headersSent) this.#send(response, 500, 'text/plain', 'internal error\n');
    });
  }

  async #route(route: string, response: http.ServerResponse): Promise<void> {
    if (route === '/metrics') {
      const text = await this.#registry.metrics();
      this.#send(response, 200, this.#registry.contentType, text);
    } else if (route === '/healthz') {
      const loading = this.#server.persistence.loading;
      this.#send(response, loading ? 503 : 200, 'text/plain', loading ? 'loading\n' : 'ok\n');
    } else if (route === '/api/stats') {
      response.setHeader('Cache-Control', 'no-store');
      this.#send(response, 200, 'application/json', JSON.stringify(consoleStats(this.#server)));
    } else {
      const file = this.#consoleFiles.get(route);
      if (file === undefined) this.#send(response, 404, 'text/plain', 'not found\n');
      else this.#send(response, 200, file[1], file[0]);
    }
  }

  /** Returns the user the request authenticates as, or null. */
  #authorizedUser(request: http.IncomingMessage): string | null {
    const credentials = parseBasicAuth(request.headers.authorization);
    if (credentials === null) return null;
    return this.#server.authenticate(credentials[0], credentials[1]) ? credentials[0] : null;
  }

  /**
   * Whether a user may see a route's data: INFO for /metrics and /healthz,
   * SLOWLOG (whose entries hold command arguments) for the console and its data.
   */
  #mayRead(user: string, route: string): boolean {
    const needed = route === '/metrics' || route === '/healthz' ? ['info'] : ['slowlog', 'get'];
    const spec = this.#server.commands.get(needed[0]);
    if (spec === undefined) return false;
    const command = needed.length === 2 ? (spec.subcommands?.get(needed[1]) ?? spec) : spec;
    const client = new Client(this.#server, NO_SOCKET, 0, true);
    client.user = user;
    client.authenticated = true;
    const args = needed.length === 2 ? ['slowlog', 'get'] : ['info'];
    return this.#server.security.acl.check(client, command as RegisteredCommand, args) === null;
  }

  #send(response: http.ServerResponse, status: number, type: string, body: string | Buffer): void {
    response.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    response.end(body);
  }
}

const FAILED_LOGIN_DELAY_MS = 500;

const NO_SOCKET: Transport = {
  flushSoon: () => undefined,
  close: () => undefined,
  resume: () => undefined,
  remoteAddress: '',
  localAddress: '',
};

/** Starts the endpoint when `metrics-port` is set; returns null when it is 0. */
export async function startMetricsEndpoint(server: Server): Promise<MetricsEndpoint | null> {
  const port = server.config.number('metrics-port');
  if (port === 0) return null;
  const endpoint = new MetricsEndpoint(server);
  await endpoint.listen(port);
  return endpoint;
}
