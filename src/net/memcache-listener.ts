import net from 'node:net';
import { MEMCACHE_ERR } from '../engine/errors';
import type { Server } from '../engine/server';
import { MEMCACHED_COMPATIBLE_VERSION } from '../protocol/memcache/admin-commands';
import { ItemStore } from '../protocol/memcache/items';
import type { SessionHost } from '../protocol/memcache/session';
import type { MemcacheStats, StatsSource } from '../protocol/memcache/stats';
import { isString } from '../store/types';
import { MemcacheConnection } from './memcache-connection';

const TOO_MANY_CONNECTIONS = Buffer.from(`${MEMCACHE_ERR.tooManyConnections}\r\n`);
/** memcached's per-item overhead (header, CAS value, key terminator, CRLF), for `bytes`. */
const ITEM_OVERHEAD = 59;

/**
 * Accepts Memcached clients on `memcached-port` (0: off) at the
 * `memcached-bind` addresses (empty: those of `bind`). Every connection
 * shares one item store over database 0.
 */
export class MemcacheListener implements SessionHost, StatsSource {
  readonly #server: Server;
  readonly #servers: net.Server[] = [];
  readonly #connections = new Set<MemcacheConnection>();
  #store: ItemStore | null = null;
  verbosity = 0;
  readonly version = MEMCACHED_COMPATIBLE_VERSION;

  constructor(server: Server) {
    this.#server = server;
  }

  get store(): ItemStore {
    if (this.#store === null) throw new Error('the memcached listener has not started');
    return this.#store;
  }

  get statsSource(): StatsSource {
    return this;
  }

  get stats(): MemcacheStats {
    return this.store.stats;
  }

  get startedAt(): number {
    return this.#server.startedAt;
  }

  get currentConnections(): number {
    return this.#connections.size;
  }

  get maxConnections(): number {
    return this.#server.config.number('maxclients');
  }

  get port(): number {
    return this.#server.config.number('memcached-port');
  }

  get bindAddresses(): string {
    const own = this.#server.config.string('memcached-bind');
    return own.trim() !== '' ? own : this.#server.config.string('bind');
  }

  get itemSizeMax(): number {
    return this.#server.config.number('item-size-max');
  }

  get maxMemory(): number {
    return this.#server.config.number('maxmemory');
  }

  get evictions(): boolean {
    return this.#server.config.string('maxmemory-policy') !== 'noeviction';
  }

  get authEnabled(): boolean {
    return this.#server.requiresAuthentication();
  }

  /** Counts database 0's keys and the bytes of its strings; walks every key. */
  itemFigures(): { count: number; bytes: number } {
    const db = this.#server.databases[0];
    let bytes = 0;
    for (const [key, value] of db.data) {
      if (isString(value)) bytes += key.length + value.length + ITEM_OVERHEAD;
    }
    return { count: db.size, bytes };
  }

  /** Starts listening when `memcached-port` is set; rejects when an address is unavailable. */
  async start(): Promise<void> {
    const port = this.port;
    if (port === 0) return;
    this.#store = new ItemStore(this.#server);
    for (const address of this.bindAddresses.split(/\s+/).filter(Boolean)) {
      const host = address.startsWith('-') ? address.slice(1) : address;
      await this.#listen(host, port);
    }
  }

  #listen(host: string, port: number): Promise<void> {
    const listener = net.createServer({ noDelay: true }, (socket) => this.#accept(socket));
    this.#servers.push(listener);
    const label = `${host}:${port}`;
    return new Promise((resolve, reject) => {
      listener.once('error', (error) => {
        reject(new Error(`cannot listen for memcached clients on ${label}: ${error.message}`));
      });
      listener.listen({ host, port }, () => {
        this.#server.logger.info({ address: label }, 'listening for memcached clients');
        resolve();
      });
    });
  }

  #accept(socket: net.Socket): void {
    const server = this.#server;
    const stats = this.store.stats;
    if (server.clients.size + this.#connections.size >= this.maxConnections) {
      stats.rejectedConnections++;
      socket.end(TOO_MANY_CONNECTIONS);
      return;
    }
    stats.totalConnections++;
    const keepalive = server.config.number('tcp-keepalive');
    if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    const connection = new MemcacheConnection(this, socket);
    this.#connections.add(connection);
    socket.once('close', () => this.#connections.delete(connection));
  }

  /** Stops accepting, sends what is pending to every client, and closes them. */
  async close(): Promise<void> {
    const closing = this.#servers.map(
      (listener) => new Promise<void>((resolve) => listener.close(() => resolve())),
    );
    for (const connection of this.#connections) connection.close();
    this.#store?.close();
    const timeout = new Promise((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([Promise.all(closing), timeout]);
  }
}
