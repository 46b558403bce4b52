import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { Server } from '../engine/server';
import { Connection } from './connection';

const MAX_CLIENTS_REPLY = Buffer.from('-ERR max number of clients reached\r\n');

/** Accepts connections on the configured TCP addresses and unix socket. */
export class Listeners {
  readonly #server: Server;
  readonly #servers: net.Server[] = [];
  readonly connections = new Set<Connection>();

  constructor(server: Server) {
    this.#server = server;
  }

  async start(): Promise<void> {
    const config = this.#server.config;
    const port = config.number('port');
    if (port !== 0) {
      for (const address of config.string('bind').split(/\s+/).filter(Boolean)) {
        const host = address.startsWith('-') ? address.slice(1) : address;
        await this.#listen({ host, port }, `${host}:${port}`);
      }
      this.#server.tcpPort = port;
    }
    const socketPath = config.string('unixsocket');
    if (socketPath !== '') {
      if (existsSync(socketPath)) unlinkSync(socketPath);
      await this.#listen({ path: socketPath }, socketPath);
      const mode = config.number('unixsocketperm');
      if (mode !== 0) chmodSync(socketPath, mode);
    }
  }

  #listen(options: net.ListenOptions, label: string): Promise<void> {
    const listener = net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
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

  #accept(socket: net.Socket): void {
    const server = this.#server;
    if (server.clients.size >= server.config.number('maxclients')) {
      server.stats.rejectedConnections++;
      socket.end(MAX_CLIENTS_REPLY);
      return;
    }
    server.stats.totalConnections++;
    const keepalive = server.config.number('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    const connection = new Connection(server, socket);
    this.connections.add(connection);
    socket.once('close', () => this.connections.delete(connection));
  }

  /** Stops accepting, sends what is pending to every client, and closes them. */
  async close(): Promise<void> {
    const closing = this.#servers.map(
      (listener) => new Promise<void>((resolve) => listener.close(() => resolve())),
    );
    for (const connection of this.connections) connection.close();
    await Promise.race([Promise.all(closing), new Promise((resolve) => setTimeout(resolve, 2000))]);
  }
}
