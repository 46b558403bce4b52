/**
 * Hash lookups for the hash commands, and the removal of expired hash fields
 * (HEXPIRE). Expired fields are removed lazily, when a hash command looks the
 * hash up, and in the background by a sweep that runs `hz` times a second
 * over the hashes known to have fields with an expiry time. Each removal is
 * journaled as HDEL and sends the 'hexpired' event; a hash left empty is
 * deleted with a 'del' event, as Redis 7.4 does.
 */
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { notifyKeyspaceEvent } from '../engine/notify';
import type { Server } from '../engine/server';
import { storedValueHooks } from '../persistence/plain';
import type { Database } from '../store/database';
import { HashValue } from '../store/hash';
import { MAX_MAP_ENTRIES } from '../store/types';
import { lookupCollection } from './lookup';

/**
 * Looks up a hash with its expired fields removed: undefined when the key is
 * missing or the removal emptied it, WRONGTYPE for another type. `read`
 * counts a keyspace hit or miss. Fields are live or expired as of `now`.
 */
export function lookupHash(
  client: Client,
  key: string,
  read: boolean,
  now = Date.now(),
): HashValue | undefined {
  const hash = lookupCollection<HashValue>(client, key, 'hash', read);
  if (hash === undefined || !hash.hasVolatileFields()) return hash;
  trackVolatileHash(client.server, client.db, key, hash);
  return removeExpiredFields(client.server, client.db, key, hash, now) ? undefined : hash;
}

/** Looks up a hash for writing, or creates an empty one that the caller stores when it adds. */
export function hashForWrite(client: Client, key: string): { hash: HashValue; created: boolean } {
  const hash = lookupHash(client, key, false);
  return hash === undefined ? { hash: new HashValue(), created: true } : { hash, created: false };
}

/** Raises an error when `fields` would add more fields than a Map can hold. */
export function ensureRoomForFields(hash: HashValue, fields: string[]): void {
  if (!hash.lacksRoomFor(fields.length)) return;
  const added = new Set(fields.filter((field) => !hash.has(field))).size;
  if (hash.lacksRoomFor(added)) throw new CommandError(ERR.collectionFull(MAX_MAP_ENTRIES));
}

/**
 * Removes up to `limit` fields that expired at or before `now`, journaling
 * each as HDEL. Returns true when the hash became empty and was deleted.
 */
export function removeExpiredFields(
  server: Server,
  db: Database,
  key: string,
  hash: HashValue,
  now: number,
  limit = Infinity,
): boolean {
  let removed = 0;
  while (removed < limit) {
    const field = hash.takeExpired(now);
    if (field === undefined) break;
    server.propagate(db.id, ['HDEL', key, field]);
    removed++;
  }
  if (removed === 0) return false;
  notifyKeyspaceEvent(server, 'h', 'hexpired', key, db.id);
  server.keyModified(db, key);
  if (hash.size() > 0) return false;
  db.delete(key);
  notifyKeyspaceEvent(server, 'g', 'del', key, db.id);
  return true;
}

/** The database and key under which a hash with expiring fields was last seen. */
interface TrackedHash {
  db: Database;
  key: string;
}

/** Fields removed from one hash per step of the sweep before it moves to the next hash. */
const FIELDS_PER_STEP = 64;
/** Hashes visited between two looks at the clock. */
const HASHES_PER_CHECK = 32;

/**
 * The background removal of expired fields for one server. It visits the
 * tracked hashes in turn, resuming where the previous run stopped, and stops
 * after a quarter of the period between runs, like Redis's active expiry.
 * A hash is tracked when HEXPIRE gives it an expiry time and whenever a hash
 * command looks it up.
 * NOTE: a hash that RENAME or COPY put under another key is not swept until
 * a hash command touches it under that key. Until then its expired fields
 * still take memory, although no command returns them.
 */
class FieldExpirySweeper {
  readonly #server: Server;
  readonly #tracked = new Map<HashValue, TrackedHash>();
  #walk: IterableIterator<[HashValue, TrackedHash]> | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(server: Server) {
    this.#server = server;
  }

  track(db: Database, key: string, hash: HashValue): void {
    this.#tracked.set(hash, { db, key });
    if (this.#timer === null) this.#schedule();
  }

  #schedule(): void {
    const periodMs = 1000 / this.#server.config.number('hz');
    this.#timer = setTimeout(() => this.#run(periodMs), periodMs);
    this.#timer.unref();
  }

  #run(periodMs: number): void {
    this.#timer = null;
    const deadline = performance.now() + periodMs / 4;
    const now = Date.now();
    let visited = 0;
    while (this.#tracked.size > 0) {
      this.#walk ??= this.#tracked.entries();
      const step = this.#walk.next();
      if (step.done) {
        this.#walk = null;
        break;
      }
      this.#sweep(step.value[0], step.value[1], now);
      if (++visited % HASHES_PER_CHECK === 0 && performance.now() > deadline) break;
    }
    if (this.#tracked.size > 0) this.#schedule();
  }

  #sweep(hash: HashValue, place: TrackedHash, now: number): void {
    const found = this.#locate(hash, place);
    if (found === null || !hash.hasVolatileFields()) {
      this.#tracked.delete(hash);
      return;
    }
    if (hash.nextExpiry() > now) return;
    const emptied = removeExpiredFields(
      this.#server,
      found.db,
      found.key,
      hash,
      now,
      FIELDS_PER_STEP,
    );
    if (emptied) this.#tracked.delete(hash);
  }

  /** Finds the hash under its key, also in another database after MOVE or SWAPDB. */
  #locate(hash: HashValue, place: TrackedHash): TrackedHash | null {
    if (place.db.data.get(place.key) === hash) return place;
    for (const db of this.#server.databases) {
      if (db.data.get(place.key) !== hash) continue;
      place.db = db;
      return place;
    }
    return null;
  }
}

const sweepers = new WeakMap<Server, FieldExpirySweeper>();

/** Lets the background sweep find the expired fields of hashes that loading or RESTORE stored. */
storedValueHooks.push((server, db, key, value) => {
  if (value instanceof HashValue && value.hasVolatileFields()) {
    trackVolatileHash(server, db, key, value);
  }
});

/** Makes sure the background sweep visits a hash that has fields with an expiry time. */
export function trackVolatileHash(
  server: Server,
  db: Database,
  key: string,
  hash: HashValue,
): void {
  let sweeper = sweepers.get(server);
  if (sweeper === undefined) {
    sweeper = new FieldExpirySweeper(server);
    sweepers.set(server, sweeper);
  }
  sweeper.track(db, key, hash);
}
