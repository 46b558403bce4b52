/**
 * Blocking commands (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, BZMPOP, ...): a client
 * waits on keys until a command adds data to one of them, its timeout
 * passes, CLIENT UNBLOCK ends the wait, or it disconnects.
 *
 * How a command family uses it:
 * - The handler validates its arguments (parseTimeout in
 *   commands/blocking-timeout.ts), serves at once when it can, and when
 *   `mayBlock(client)` is false (inside EXEC or a script) replies as the
 *   non-blocking form would on empty keys. Otherwise it calls
 *   `blockClient(client, keys, timeoutMs, serve, timeoutReply?)` and writes
 *   no reply; the connection then holds back the client's next requests.
 * - `serve(client, key)` runs when `key` may have data. It either writes the
 *   reply and returns true, or returns false to keep waiting (the key is
 *   empty or of another type). It changes data like a handler does (dirty++,
 *   keyspace events) and sets `client.propagateAs` to the requests the
 *   journal should replay, which this module then journals. It may raise
 *   CommandError, and then the client gets the error and stops waiting.
 * - `timeoutReply` writes the reply on timeout and on CLIENT UNBLOCK without
 *   ERROR; the default is a nil array, as Redis sends for lists and sorted sets.
 * - Every command that adds elements to a key or creates a key calls
 *   `signalKeyReady(server, db, key)`: list pushes, LMOVE and LINSERT, ZADD
 *   and ZINCRBY, and also RENAME, MOVE, COPY, RESTORE and SMOVE-like commands
 *   that bring a value under a new name. SWAPDB calls `signalDatabaseReady`
 *   for both databases.
 * - dispatch calls `server.blocking.serveReadyKeys()` after each top-level
 *   command, so the clients a command makes ready are served before anything
 *   else runs, in the order they blocked.
 * - A wait that a deleted key must end (XREADGROUP) passes a `recheck`
 *   function. It runs for each of the waited keys after every top-level
 *   command, whether or not the key exists, and may raise CommandError to
 *   end the wait with that error, or return false to keep waiting.
 */
import type { Database } from '../store/database';
import type { Client } from './client';
import { CommandError, ERR } from './errors';
import type { Server } from './server';
import { watchKey } from './server';

/** Serves a waiting client from `key`: writes its reply and returns true, or returns false. */
export type ServeFunction = (client: Client, key: string) => boolean;

/** Writes the reply of a wait that timed out. */
export type TimeoutReply = (client: Client) => void;

interface Waiter {
  readonly client: Client;
  readonly db: Database;
  /** The waited keys, as `watchKey(db, key)`. */
  readonly names: string[];
  readonly serve: ServeFunction;
  readonly timeoutReply: TimeoutReply;
  /** Runs after every command for each key, even a missing one; null for most waits. */
  readonly recheck: ServeFunction | null;
  timer: NodeJS.Timeout | null;
}

interface ReadyKey {
  readonly db: Database;
  readonly key: string;
}

/** The clients waiting on one key, in the order they blocked. */
interface KeyWaiters extends ReadyKey {
  readonly waiters: Set<Waiter>;
}

/** Maximum delay setTimeout accepts; longer waits re-arm the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function replyNilArray(client: Client): void {
  client.reply.nilArray();
}

/** The clients waiting on keys, indexed by key and by client, and the keys made ready. */
export class BlockingState {
  readonly #server: Server;
  /** Waiters by `watchKey(db, key)`. */
  readonly #waitersByKey = new Map<string, KeyWaiters>();
  readonly #waiterByClient = new Map<Client, Waiter>();
  #readyKeys = new Map<string, ReadyKey>();
  /** Waiters with a recheck function, which runs after every command. */
  readonly #rechecked = new Set<Waiter>();
  readonly #toResume = new Set<Client>();
  #resumeScheduled = false;

  constructor(server: Server) {
    this.#server = server;
    server.clientGoneHooks.push((client) => this.forget(client));
  }

  /** Number of clients waiting, for INFO's blocked_clients. */
  get blockedClients(): number {
    return this.#waiterByClient.size;
  }

  /** Number of distinct keys clients wait on, for INFO. */
  get blockingKeys(): number {
    return this.#waitersByKey.size;
  }

  isBlocked(client: Client): boolean {
    return this.#waiterByClient.has(client);
  }

  block(
    client: Client,
    keys: readonly string[],
    timeoutMs: number,
    serve: ServeFunction,
    timeoutReply: TimeoutReply,
    recheck: ServeFunction | null = null,
  ): void {
    const db = client.db;
    const waiter: Waiter = { client, db, names: [], serve, timeoutReply, recheck, timer: null };
    for (const key of keys) {
      const name = watchKey(db.id, key);
      let entry = this.#waitersByKey.get(name);
      if (entry === undefined) {
        entry = { db, key, waiters: new Set() };
        this.#waitersByKey.set(name, entry);
      }
      if (entry.waiters.has(waiter)) continue;
      entry.waiters.add(waiter);
      waiter.names.push(name);
    }
    this.#waiterByClient.set(client, waiter);
    if (recheck !== null) this.#rechecked.add(waiter);
    client.blocked = true;
    if (timeoutMs > 0) this.#armTimer(waiter, Date.now() + timeoutMs);
  }

  /** Marks a key as possibly having data for its waiters; cheap when no client waits on it. */
  signal(db: Database, key: string): void {
    if (this.#waitersByKey.size === 0) return;
    const name = watchKey(db.id, key);
    if (this.#waitersByKey.has(name) && !this.#readyKeys.has(name)) {
      this.#readyKeys.set(name, { db, key });
    }
  }

  /** Marks every waited key that exists in a database as ready (after SWAPDB). */
  signalDatabase(db: Database): void {
    for (const entry of this.#waitersByKey.values()) {
      if (entry.db === db && db.get(entry.key) !== undefined) this.signal(db, entry.key);
    }
  }

  /** Serves the waiters of every ready key, including keys that serving made ready. */
  serveReadyKeys(): void {
    if (this.#rechecked.size > 0) this.#recheckWaiters();
    while (this.#readyKeys.size > 0) {
      const batch = this.#readyKeys;
      this.#readyKeys = new Map();
      for (const [name, ready] of batch) this.#serveKey(name, ready);
    }
  }

  /**
   * Ends a client's wait as CLIENT UNBLOCK does: with the timeout reply, or
   * with an UNBLOCKED error. Returns false when the client is not waiting.
   */
  unblock(client: Client, withError: boolean): boolean {
    const waiter = this.#waiterByClient.get(client);
    if (waiter === undefined) return false;
    if (withError) this.#replyError(client, ERR.unblockedByClient);
    else waiter.timeoutReply(client);
    this.#release(waiter);
    return true;
  }

  /** Drops the wait of a client that disconnected; nothing is sent. */
  forget(client: Client): void {
    const waiter = this.#waiterByClient.get(client);
    if (waiter === undefined) return;
    this.#release(waiter);
    this.#toResume.delete(client);
  }

  /** Runs the recheck function of every waiter that has one, for each of its keys. */
  #recheckWaiters(): void {
    for (const waiter of [...this.#rechecked]) {
      const recheck = waiter.recheck as ServeFunction;
      for (const name of waiter.names) {
        const key = this.#waitersByKey.get(name)?.key;
        if (key === undefined || !this.#tryServe(waiter, key, recheck)) continue;
        this.#release(waiter);
        break;
      }
    }
  }

  #serveKey(name: string, { db, key }: ReadyKey): void {
    const entry = this.#waitersByKey.get(name);
    if (entry === undefined) return;
    for (const waiter of entry.waiters) {
      if (db.get(key) === undefined) return;
      if (this.#tryServe(waiter, key)) this.#release(waiter);
    }
  }

  /** Runs a waiter's serve function with a handler's bookkeeping; true when it replied. */
  #tryServe(waiter: Waiter, key: string, serve: ServeFunction = waiter.serve): boolean {
    const { client, db } = waiter;
    const server = this.#server;
    const dirtyBefore = server.dirty;
    client.propagateAs = null;
    let served: boolean;
    try {
      served = serve(client, key);
    } catch (error) {
      served = true;
      this.#replyFailure(client, error);
    }
    if (server.dirty !== dirtyBefore) {
      db.recount(key);
      server.keyModified(db, key);
      for (const entry of client.propagateAs ?? []) server.propagate(db.id, entry);
    }
    client.propagateAs = null;
    return served;
  }

  #replyFailure(client: Client, error: unknown): void {
    if (error instanceof CommandError) {
      this.#replyError(client, error.message);
      return;
    }
    this.#server.logger.error(
      { err: error, client: client.id },
      'serving a blocked client failed with an internal error',
    );
    this.#replyError(client, ERR.internal);
  }

  #replyError(client: Client, text: string): void {
    this.#server.countError(text);
    client.reply.error(text);
  }

  #armTimer(waiter: Waiter, deadline: number): void {
    const delay = Math.min(deadline - Date.now(), MAX_TIMER_MS);
    waiter.timer = setTimeout(
      () => {
        if (Date.now() < deadline) {
          this.#armTimer(waiter, deadline);
          return;
        }
        waiter.timeoutReply(waiter.client);
        this.#release(waiter);
      },
      Math.max(0, delay),
    );
    waiter.timer.unref();
  }

  /** Removes a waiter from every queue and lets its connection run the requests that wait. */
  #release(waiter: Waiter): void {
    if (waiter.timer !== null) clearTimeout(waiter.timer);
    waiter.timer = null;
    for (const name of waiter.names) {
      const entry = this.#waitersByKey.get(name);
      if (entry === undefined) continue;
      entry.waiters.delete(waiter);
      if (entry.waiters.size === 0) this.#waitersByKey.delete(name);
    }
    const client = waiter.client;
    this.#rechecked.delete(waiter);
    this.#waiterByClient.delete(client);
    client.blocked = false;
    this.#scheduleResume(client);
  }

  /**
   * Resumes released clients once the current task ends: after the whole
   * read batch of the client whose command released them, and before any
   * other socket event, as Redis handles unblocked clients before it sleeps.
   */
  #scheduleResume(client: Client): void {
    this.#toResume.add(client);
    if (this.#resumeScheduled) return;
    this.#resumeScheduled = true;
    queueMicrotask(() => {
      this.#resumeScheduled = false;
      const clients = [...this.#toResume];
      this.#toResume.clear();
      for (const each of clients) if (!each.blocked) each.transport.resume();
    });
  }
}

/** Returns whether a blocking command may block: not inside MULTI/EXEC nor a script. */
export function mayBlock(client: Client): boolean {
  return !client.inTransaction && client.transaction === null && !client.internal;
}

/**
 * Parks the client until `serve` succeeds for one of `keys`, `timeoutMs`
 * passes (0: no timeout), or CLIENT UNBLOCK. The caller writes no reply.
 */
export function blockClient(
  client: Client,
  keys: readonly string[],
  timeoutMs: number,
  serve: ServeFunction,
  timeoutReply: TimeoutReply = replyNilArray,
  recheck: ServeFunction | null = null,
): void {
  client.server.blocking.block(client, keys, timeoutMs, serve, timeoutReply, recheck);
}

/** Tells the waiters of `key` in `db`, if any, that it may have data now. */
export function signalKeyReady(server: Server, db: Database, key: string): void {
  server.blocking.signal(db, key);
}

/** Tells the waiters of every key that exists in `db` that it may have data (SWAPDB). */
export function signalDatabaseReady(server: Server, db: Database): void {
  server.blocking.signalDatabase(db);
}

/**
 * CLIENT UNBLOCK: ends the wait of client `id` with the timeout reply, or
 * with an UNBLOCKED error when `withError`. Returns false when no such
 * client is waiting.
 */
export function unblockClient(server: Server, id: number, withError: boolean): boolean {
  const client = server.clients.get(id);
  if (client === undefined) return false;
  return server.blocking.unblock(client, withError);
}
