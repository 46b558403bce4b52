/**
 * Eviction under `maxmemory`, with Redis's policies. Before each command the
 * gate calls `Evictor.perform`, which removes keys until the estimated used
 * memory (store/memory.ts) is back under the limit.
 *
 * - allkeys-lru is exact: while it may evict, each database keeps its access
 *   records in least-recently-used-first order (Database.touch moves a key
 *   to the end), so the victim is the first record a persistent walk finds.
 * - The volatile and LFU policies sample `maxmemory-samples` keys per round
 *   from a walk that wraps around the keyspace (or the keys with a TTL), and
 *   keep the best candidates in a pool of 16 across rounds, as Redis does.
 * - The random policies take the next key of such a walk after a random skip.
 */
import { isPaused } from '../engine/client-pause';
import type { RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { notifyKeyspaceEvent } from '../engine/notify';
import type { Server } from '../engine/server';
import type { AccessMode, Database } from './database';
import { evictableMemory } from './memory';

/** The LFU counter of a new key, as Redis's LFU_INIT_VAL. */
const LFU_INIT_VAL = 5;
const LFU_COUNTER_MAX = 255;
const POOL_SIZE = 16;
/** Sampling skips up to this many keys minus one between two samples. */
const SAMPLE_SPREAD = 16;
/** Keys evicted between two looks at the clock. */
const KEYS_PER_CLOCK_CHECK = 16;

let lfuLogFactor = 10;
let lfuDecayMinutes = 1;

/** Returns the LRU clock: Unix time in seconds. */
export function lruClock(): number {
  return Math.floor(Date.now() / 1000);
}

/** Minutes since the epoch, in 16 bits, as the LFU "last decrement time". */
function lfuMinutes(): number {
  return Math.floor(Date.now() / 60000) & 0xffff;
}

/** Packs an LFU record: the last decrement time in minutes above an 8-bit counter. */
function packLfu(counter: number): number {
  return lfuMinutes() * 256 + counter;
}

/** Returns the LFU record of a counter set now, as RESTORE's FREQ sets it. */
export function lfuRecord(counter: number): number {
  return packLfu(counter);
}

/** Returns the LFU record of a new key. */
export function lfuInitial(): number {
  return packLfu(LFU_INIT_VAL);
}

/** Returns the counter of an LFU record, lowered by one per `lfu-decay-time` minutes idle. */
export function lfuDecayed(record: number): number {
  const counter = record & 0xff;
  if (lfuDecayMinutes === 0) return counter;
  const last = Math.floor(record / 256);
  const now = lfuMinutes();
  const elapsed = now >= last ? now - last : 0x10000 - last + now;
  const periods = Math.floor(elapsed / lfuDecayMinutes);
  return periods > counter ? 0 : counter - periods;
}

/** Returns an LFU record after one access: decayed, then incremented with probability 1/(1+f*c). */
export function lfuTouch(record: number): number {
  let counter = lfuDecayed(record);
  if (counter < LFU_COUNTER_MAX) {
    const base = Math.max(0, counter - LFU_INIT_VAL);
    if (Math.random() < 1 / (base * lfuLogFactor + 1)) counter++;
  }
  return packLfu(counter);
}

/** Commands whose key lookups leave access times alone, as Redis's LOOKUP_NOTOUCH. */
const NO_TOUCH = new Set([
  'object|encoding',
  'object|refcount',
  'object|idletime',
  'object|freq',
  'memory|usage',
  'type',
  'exists',
  'ttl',
  'pttl',
  'expiretime',
  'pexpiretime',
  'debug',
]);

/** Records an access to each key a command named, for OBJECT IDLETIME/FREQ and eviction. */
export function touchKeys(client: Client, spec: RegisteredCommand, args: string[]): void {
  const db = client.db;
  if (db.access === null || client.noTouch || spec.firstKey === 0) return;
  if (spec.findKeys === undefined && spec.lastKey === spec.firstKey) {
    if (!NO_TOUCH.has(spec.name) && spec.firstKey < args.length) db.touch(args[spec.firstKey]);
    return;
  }
  if (NO_TOUCH.has(spec.name)) return;
  const last = spec.lastKey < 0 ? args.length + spec.lastKey : spec.lastKey;
  if (spec.findKeys !== undefined) {
    for (const index of spec.findKeys(args)) db.touch(args[index]);
    return;
  }
  for (let i = spec.firstKey; i <= last && i < args.length; i += spec.keyStep) db.touch(args[i]);
}

/**
 * Returns how a policy tracks accesses: LFU counters for the LFU policies,
 * LRU clocks for the LRU policies, and not at all for the others.
 * NOTE: Redis keeps an access clock in every value's header for free; here a
 * record costs a second Map entry per key (about 40 bytes), so it is kept only
 * when a policy needs it. Under the other policies OBJECT IDLETIME replies 0.
 */
export function accessModeFor(policy: string): AccessMode {
  if (policy.endsWith('-lfu')) return 'lfu';
  return policy.endsWith('-lru') ? 'lru' : 'none';
}

/** The outcome of an eviction round, as Redis names them. */
export type EvictionResult = 'ok' | 'running' | 'fail';

interface Candidate {
  db: Database;
  key: string;
  /** Higher evicts first: idle seconds, 255 minus the LFU counter, or minus the expiry time. */
  score: number;
}

/**
 * Returns the time one command may spend evicting, in ms, for a tenacity:
 * 50 µs per step up to 10, then growing 15% per step, unlimited at 100
 * (Redis 7.0's maxmemory-eviction-tenacity).
 */
function timeLimitMs(tenacity: number): number {
  if (tenacity <= 10) return (50 * tenacity) / 1000;
  if (tenacity >= 100) return Infinity;
  return (500 * Math.pow(1.15, tenacity - 10)) / 1000;
}

/** The eviction state of one server: policy settings, the candidate pool and the walks. */
export class Evictor {
  readonly #server: Server;
  #limit = 0;
  #policy = 'noeviction';
  #samples = 5;
  #timeLimitMs = 0.5;
  #pool: Candidate[] = [];
  /** Persistent walks over each database's keys, access records or expiry times. */
  readonly #walks = new WeakMap<Map<string, unknown>, IterableIterator<string>>();
  /** The least recently used key found in each database and not yet evicted. */
  readonly #peeked = new WeakMap<Database, string>();
  #backgroundScheduled = false;

  constructor(server: Server) {
    this.#server = server;
    const config = server.config;
    config.watch('maxmemory', (value) => {
      this.#limit = Number(value);
      this.#updateLruOrder();
      this.#scheduleBackground();
    });
    config.watch('maxmemory-policy', (value) => this.#setPolicy(String(value)));
    config.watch('maxmemory-samples', (value) => (this.#samples = Number(value)));
    config.watch('maxmemory-eviction-tenacity', (value) => {
      this.#timeLimitMs = timeLimitMs(Number(value));
    });
    config.watch('lfu-log-factor', (value) => (lfuLogFactor = Number(value)));
    config.watch('lfu-decay-time', (value) => (lfuDecayMinutes = Number(value)));
  }

  get limit(): number {
    return this.#limit;
  }

  #setPolicy(policy: string): void {
    this.#policy = policy;
    this.#pool = [];
    const mode = accessModeFor(policy);
    for (const db of this.#server.databases) db.setAccessMode(mode);
    this.#updateLruOrder();
  }

  /** Keeps access records in LRU order only while allkeys-lru may evict. */
  #updateLruOrder(): void {
    const keep = this.#policy === 'allkeys-lru' && this.#limit > 0;
    for (const db of this.#server.databases) db.keepLruOrder(keep);
  }

  /**
   * Evicts keys until used memory is at most `maxmemory`. Returns 'fail'
   * when over the limit with nothing to evict (or under noeviction). Returns
   * 'running' when the time limit ran out first, and eviction goes on
   * between commands.
   */
  perform(): EvictionResult {
    const server = this.#server;
    if (this.#limit === 0 || isPaused(server)) return 'ok';
    if (evictableMemory(server) <= this.#limit) return 'ok';
    if (this.#policy === 'noeviction') return 'fail';
    const deadline = performance.now() + this.#timeLimitMs;
    for (let count = 1; evictableMemory(server) > this.#limit; count++) {
      const victim = this.#pickVictim();
      if (victim === null) return 'fail';
      this.#evict(victim.db, victim.key);
      if (count % KEYS_PER_CLOCK_CHECK === 0 && performance.now() > deadline) {
        this.#scheduleBackground();
        return 'running';
      }
    }
    return 'ok';
  }

  /** Evicts between commands until under the limit, for a lowered maxmemory or a late round. */
  #scheduleBackground(): void {
    if (this.#backgroundScheduled || this.#limit === 0) return;
    this.#backgroundScheduled = true;
    setImmediate(() => {
      this.#backgroundScheduled = false;
      if (this.perform() === 'running') this.#scheduleBackground();
    });
  }

  #evict(db: Database, key: string): void {
    const server = this.#server;
    server.snapshot?.preserve(db, key);
    db.delete(key);
    server.stats.evictedKeys++;
    server.keyModified(db, key);
    notifyKeyspaceEvent(server, 'e', 'evicted', key, db.id);
    server.propagate(db.id, ['DEL', key]);
  }

  #pickVictim(): { db: Database; key: string } | null {
    switch (this.#policy) {
      case 'allkeys-lru':
        return this.#leastRecentlyUsed();
      case 'allkeys-random':
        return this.#randomKey((db) => db.data);
      case 'volatile-random':
        return this.#randomKey((db) => db.expires);
      default:
        return this.#fromPool();
    }
  }

  /** Returns the key accessed longest ago across databases: the first access record of each. */
  #leastRecentlyUsed(): { db: Database; key: string } | null {
    let best: { db: Database; key: string } | null = null;
    let bestClock = Infinity;
    for (const db of this.#server.databases) {
      const access = db.access;
      if (access === null || access.size === 0) continue;
      const key = this.#firstLive(db, access);
      const clock = key === undefined ? undefined : access.get(key);
      if (key !== undefined && clock !== undefined && clock < bestClock) {
        best = { db, key };
        bestClock = clock;
      }
    }
    return best;
  }

  /**
   * Returns the first access record that a persistent walk reaches. Records
   * before the walk's position were deleted or moved behind it by an access,
   * so this is the least recently used key. The walk stays on that record
   * until it is gone, so a database not chosen this time keeps its candidate.
   */
  #firstLive(db: Database, access: Map<string, number>): string | undefined {
    const peeked = this.#peeked.get(db);
    if (peeked !== undefined && access.has(peeked)) return peeked;
    const key = this.#step(access, access.size);
    if (key === undefined) this.#peeked.delete(db);
    else this.#peeked.set(db, key);
    return key;
  }

  /** Returns the next key of a wrapping walk over `map`, or undefined when it is empty. */
  #step(map: Map<string, unknown>, size: number): string | undefined {
    if (size === 0) return undefined;
    let walk = this.#walks.get(map);
    for (let attempt = 0; attempt < 2; attempt++) {
      if (walk === undefined) {
        walk = map.keys();
        this.#walks.set(map, walk);
      }
      const step = walk.next();
      if (!step.done) return step.value;
      walk = undefined;
    }
    return undefined;
  }

  /**
   * Returns a key a random 0 to 15 steps further along the walk, so that one
   * round's samples spread over about 40 keys instead of 5 neighbours that
   * were written together.
   */
  #skipAndStep(map: Map<string, unknown>): string | undefined {
    const skip = Math.floor(Math.random() * SAMPLE_SPREAD);
    let key: string | undefined;
    for (let i = 0; i <= skip; i++) key = this.#step(map, map.size) ?? key;
    return key;
  }

  #randomKey(source: (db: Database) => Map<string, unknown>): { db: Database; key: string } | null {
    const candidates = this.#server.databases.filter((db) => source(db).size > 0);
    if (candidates.length === 0) return null;
    const db = candidates[Math.floor(Math.random() * candidates.length)];
    const map = source(db);
    const key = this.#skipAndStep(map);
    return key === undefined ? null : { db, key };
  }

  /** Samples every database into the pool, then takes the best candidate that still exists. */
  #fromPool(): { db: Database; key: string } | null {
    const volatile = this.#policy.startsWith('volatile-');
    for (const db of this.#server.databases) {
      const map: Map<string, unknown> = volatile ? db.expires : db.data;
      for (let i = 0; i < this.#samples && i < map.size; i++) {
        const key = this.#skipAndStep(map);
        if (key !== undefined) this.#offer(db, key);
      }
    }
    while (this.#pool.length > 0) {
      const best = this.#pool.pop() as Candidate;
      const alive = volatile ? best.db.expires.has(best.key) : best.db.data.has(best.key);
      if (alive) return best;
    }
    return null;
  }

  /** Adds a sampled key to the pool, which keeps the POOL_SIZE highest scores in ascending order. */
  #offer(db: Database, key: string): void {
    const score = this.#score(db, key);
    if (score === undefined) return;
    const pool = this.#pool;
    if (pool.some((candidate) => candidate.db === db && candidate.key === key)) return;
    if (pool.length >= POOL_SIZE && score <= pool[0].score) return;
    let index = pool.length;
    while (index > 0 && pool[index - 1].score > score) index--;
    pool.splice(index, 0, { db, key, score });
    if (pool.length > POOL_SIZE) pool.shift();
  }

  #score(db: Database, key: string): number | undefined {
    if (this.#policy === 'volatile-ttl') {
      const when = db.expires.get(key);
      return when === undefined ? undefined : -when;
    }
    const record = db.access?.get(key);
    if (record === undefined) return undefined;
    if (db.accessMode === 'lfu') return LFU_COUNTER_MAX - lfuDecayed(record);
    return lruClock() - record;
  }
}

const evictors = new WeakMap<Server, Evictor>();

/** Returns the server's evictor, creating it (and starting access tracking) on first use. */
export function evictorOf(server: Server): Evictor {
  let evictor = evictors.get(server);
  if (evictor === undefined) {
    evictor = new Evictor(server);
    evictors.set(server, evictor);
  }
  return evictor;
}
