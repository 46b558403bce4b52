import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type tls from 'node:tls';
import type { Server } from '../engine/server';
import { ERR } from '../engine/errors';
import { Connection } from './connection';
import { createTlsServer, verifiedCommonName } from './tls';

const MAX_CLIENTS_REPLY = Buffer.from(`-${ERR.maxClients}\r\n`);
const PER_ADDRESS_REPLY = Buffer.from(`-${ERR.maxClientsPerAddress}\r\n`);
const PROTECTED_MODE_REPLY = Buffer.from(`-${ERR.protectedMode}\r\n`);

/** How often idle clients and slow requests are looked for, in ms. */
const TIMEOUT_CHECK_MS = 250;

/** The kind of listener that accepted a connection. */
type ListenerKind = 'plain' | 'tls' | 'admin';

/** Checks whether an address is loopback (or a unix socket), for protected mode. */
export function isLoopback(host: string): boolean {
  if (host.startsWith('/') || host === '') return true;
  const plain = host.startsWith('::ffff:') ? host.slice(7) : host;
  return plain.startsWith('127.') || plain === '::1';
}

/**
 * Accepts connections on the configured TCP addresses, the unix socket, the
 * TLS port and the admin port, and applies the connection limits: maxclients,
 * maxclients-per-address, protected mode, the idle timeout and the request
 * timeout.
 */
export class Listeners {
  readonly #server: Server;
  readonly #servers: net.Server[] = [];
  readonly connections = new Set<Connection>();
  /** Connections per client host, for maxclients-per-address. */
  readonly #perHost = new Map<string, number>();
  #timer: NodeJS.Timeout | null = null;

  constructor(server: Server) {
    this.#server = server;
  }

  async start(): Promise<void> {
    const config = this.#server.config;
    const port = config.number('port');
    if (port !== 0) {
      for (const host of bindAddresses(config.string('bind'))) {
        await this.#listen(this.#plainServer('plain'), { host, port }, `${host}:${port}`);
      }
      this.#server.tcpPort = port;
    }
    await this.#startTls();
    await this.#startAdmin();
    const socketPath = config.string('unixsocket');
    if (socketPath !== '') {
      if (existsSync(socketPath)) unlinkSync(socketPath);
      await this.#listen(this.#plainServer('plain'), { path: socketPath }, socketPath);
      const mode = config.number('unixsocketperm');
      if (mode !== 0) chmodSync(socketPath, mode);
    }
    this.#timer = setInterval(() => this.#checkTimeouts(), TIMEOUT_CHECK_MS);
    this.#timer.unref();
  }

  async #startTls(): Promise<void> {
    const port = this.#server.config.number('tls-port');
    if (port === 0) return;
    for (const host of bindAddresses(this.#server.config.string('bind'))) {
      const listener = createTlsServer(this.#server, (socket) => this.#acceptTls(socket));
      await this.#listen(listener, { host, port }, `${host}:${port} (TLS)`);
    }
    if (this.#server.tcpPort === 0) this.#server.tcpPort = port;
  }

  async #startAdmin(): Promise<void> {
    const port = this.#server.config.number('admin-port');
    if (port === 0) return;
    for (const host of bindAddresses(this.#server.config.string('admin-bind'))) {
      await this.#listen(this.#plainServer('admin'), { host, port }, `${host}:${port} (admin)`);
    }
  }

  #plainServer(kind: ListenerKind): net.Server {
    return net.createServer({ noDelay: true }, (socket) => this.#accept(socket, kind));
  }

  #listen(listener: net.Server, options: net.ListenOptions, label: string): Promise<void> {
    this.#servers.push(listener);
    return new Promise((resolve, reject) => {
      listener.once('error', (error) =>
        reject(new Error(`cannot listen on ${label}: ${error.message}`)),
      );
      listener.listen(options, () => {
        this.#server.logger.info({ address: label }, 'listening');
        resolve();
      });
    });
  }

  /**
   * Accepts a TLS connection after its handshake. With tls-auth-clients
   * optional, a certificate that was presented but did not verify closes it.
   */
  #acceptTls(socket: tls.TLSSocket): void {
    const config = this.#server.config;
    const presented = Object.keys(socket.getPeerCertificate()).length > 0;
    if (config.string('tls-auth-clients') === 'optional' && presented && !socket.authorized) {
      this.#server.stats.tlsHandshakeFailures++;
      socket.destroy();
      return;
    }
    const connection = this.#accept(socket, 'tls');
    if (connection === null || config.string('tls-auth-clients-user') !== 'cn') return;
    const name = verifiedCommonName(socket);
    const user = name === null ? undefined : this.#server.security.acl.users.get(name);
    if (user !== undefined && user.enabled) connection.loginAs(user.name);
  }

  #accept(socket: net.Socket, kind: ListenerKind): Connection | null {
    const server = this.#server;
    const host = clientHost(socket);
    const refusal = kind === 'admin' ? null : this.#refusal(host);
    if (refusal !== null) {
      socket.on('error', () => undefined);
      socket.end(refusal);
      return null;
    }
    server.stats.totalConnections++;
    const keepalive = server.config.number('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    const connection = new Connection(server, socket);
    this.connections.add(connection);
    this.#perHost.set(host, (this.#perHost.get(host) ?? 0) + 1);
    socket.once('close', () => {
      this.connections.delete(connection);
      const count = (this.#perHost.get(host) ?? 1) - 1;
      if (count <= 0) this.#perHost.delete(host);
      else this.#perHost.set(host, count);
    });
    return connection;
  }

  /** Returns the reply that refuses a new connection from `host`, or null to accept it. */
  #refusal(host: string): Buffer | null {
    const server = this.#server;
    const config = server.config;
    let reply: Buffer | null = null;
    let reason = '';
    if (server.clients.size >= config.number('maxclients')) {
      reply = MAX_CLIENTS_REPLY;
      reason = 'maxclients';
    } else if (this.#protectedModeRefuses(host)) {
      server.stats.protectedModeRejections++;
      reply = PROTECTED_MODE_REPLY;
      reason = 'protected-mode';
    } else if (this.#overAddressLimit(host)) {
      server.stats.perAddressRejections++;
      reply = PER_ADDRESS_REPLY;
      reason = 'maxclients-per-address';
    }
    if (reply === null) return null;
    server.stats.rejectedConnections++;
    server.logger.debug({ addr: host, reason }, 'connection refused');
    server.security.audit?.record('connection.refused', { addr: host, reason });
    return reply;
  }

  /** Protected mode: no password on the default user, so only loopback clients may connect. */
  #protectedModeRefuses(host: string): boolean {
    if (!this.#server.config.bool('protected-mode') || isLoopback(host)) return false;
    return !this.#server.requiresAuthentication();
  }

  #overAddressLimit(host: string): boolean {
    const limit = this.#server.config.number('maxclients-per-address');
    // Unix socket clients are all local and share no IP address.
    return limit > 0 && host !== '' && (this.#perHost.get(host) ?? 0) >= limit;
  }

  #checkTimeouts(): void {
    const config = this.#server.config;
    const idleMs = config.number('timeout') * 1000;
    const requestMs = config.number('client-request-timeout') * 1000;
    if (idleMs === 0 && requestMs === 0) return;
    const now = Date.now();
    for (const connection of this.connections) connection.checkTimeouts(now, idleMs, requestMs);
  }

  /** Stops accepting, sends what is pending to every client, and closes them. */
  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    const closing = this.#servers.map(
      (listener) => new Promise<void>((resolve) => listener.close(() => resolve())),
    );
    for (const connection of this.connections) connection.close();
    await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, 2000))]);
  }
}

function bindAddresses(text: string): string[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((address) => (address.startsWith('-') ? address.slice(1) : address));
}

/** Returns the client's IP address without the port ('' for a unix socket). */
function clientHost(socket: net.Socket): string {
  const address = socket.remoteAddress;
  if (address === undefined) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
