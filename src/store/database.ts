import { lfuInitial, lfuRecord, lfuTouch, lruClock } from './eviction';
import { ACCESS_ENTRY_BYTES, entryBytes, EXPIRE_ENTRY_BYTES, isMutable } from './memory';
import type { Value } from './types';

/** How a database records key accesses: not at all, by LRU clock, or by LFU counter. */
export type AccessMode = 'none' | 'lru' | 'lfu';

/** What the keyspace tells the rest of the server about keys it removes by itself. */
export interface KeyspaceListener {
  /** A key's time to live ran out, found on access or by the active expiry cycle. */
  expired(db: Database, key: string): void;
}

/**
 * One numbered database: the keys with their values, and the absolute expiry
 * time in Unix milliseconds of each key that has one. Keys are byte strings
 * (latin1). Reads go through `get`, which removes a key whose time has come.
 */
export class Database {
  readonly id: number;
  data = new Map<string, Value>();
  expires = new Map<string, number>();
  #listener: KeyspaceListener;
  /** Iterator of the active expiry cycle, resumed on the next cycle. */
  #expiryWalk: IterableIterator<[string, number]> | null = null;
  #randomWalk: IterableIterator<string> | null = null;
  /** Estimated bytes of the keys, values and expiry times here (see store/memory.ts). */
  usedBytes = 0;
  /** Charges of values that change in place (collections, Buffers), as last estimated. */
  #charges = new Map<string, number>();
  /**
   * The last access of every key while accesses are tracked: an LRU clock in
   * seconds, kept in least-recently-used-first order, or a packed LFU counter.
   */
  access: Map<string, number> | null = null;
  #accessMode: AccessMode = 'none';
  /** Whether an access moves the key's record to the end, keeping `access` in LRU order. */
  #keepLruOrder = false;
  /** Called when `replace` adds an absent key; a background snapshot listens, to skip it. */
  keyAdded: ((db: Database, key: string) => void) | null = null;

  constructor(id: number, listener: KeyspaceListener) {
    this.id = id;
    this.#listener = listener;
  }

  get size(): number {
    return this.data.size;
  }

  /** Returns the live value of a key, removing it first if it has expired. */
  get(key: string): Value | undefined {
    const value = this.data.get(key);
    if (value === undefined || this.expires.size === 0) return value;
    const when = this.expires.get(key);
    if (when !== undefined && when <= Date.now()) {
      this.#expire(key);
      return undefined;
    }
    return value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Stores a value and drops any time to live, as a plain SET does. */
  set(key: string, value: Value): void {
    this.replace(key, value);
    if (this.expires.size !== 0 && this.expires.delete(key)) this.usedBytes -= EXPIRE_ENTRY_BYTES;
  }

  /** Replaces the value of a key and keeps its time to live. */
  replace(key: string, value: Value): void {
    const old = this.data.get(key);
    if (old !== undefined) this.#uncharge(key, old);
    else if (this.access !== null) this.#startTracking(key);
    this.data.set(key, value);
    if (old === undefined && this.keyAdded !== null) this.keyAdded(this, key);
    const bytes = entryBytes(key, value);
    this.usedBytes += bytes;
    if (isMutable(value)) this.#charges.set(key, bytes);
  }

  delete(key: string): boolean {
    const old = this.data.get(key);
    if (old === undefined) return false;
    this.data.delete(key);
    this.#forget(key, old);
    return true;
  }

  /** Sets the absolute expiry time (Unix ms) of an existing key. */
  setExpire(key: string, when: number): void {
    const size = this.expires.size;
    this.expires.set(key, when);
    if (this.expires.size !== size) this.usedBytes += EXPIRE_ENTRY_BYTES;
  }

  /**
   * Re-estimates a value that may have changed in place (a collection, or a
   * Buffer after SETRANGE); called after every write command for its keys.
   */
  recount(key: string): void {
    const value = this.data.get(key);
    if (value === undefined || !isMutable(value)) return;
    const bytes = entryBytes(key, value);
    this.usedBytes += bytes - (this.#charges.get(key) ?? 0);
    this.#charges.set(key, bytes);
  }

  /**
   * Whether any value here may change in place (a collection or a Buffer).
   * While none does, `recount` has nothing to do for any key.
   */
  get hasMutableValues(): boolean {
    return this.#charges.size > 0;
  }

  /** Records an access to a key, for OBJECT IDLETIME and FREQ and for eviction. */
  touch(key: string): void {
    const access = this.access;
    if (access === null) return;
    if (this.#accessMode === 'lfu') {
      const counter = access.get(key);
      if (counter !== undefined) access.set(key, lfuTouch(counter));
    } else if (this.#keepLruOrder) {
      // Deleting and adding back moves the key to the end: the Map stays in LRU order.
      if (access.delete(key)) access.set(key, lruClock());
    } else {
      // Without the order, one lookup is enough while the clock has not moved. Moving a
      // record costs about twice a lookup (measured with a million keys, Node.js 20).
      const clock = lruClock();
      const last = access.get(key);
      if (last !== undefined && last !== clock) access.set(key, clock);
    }
  }

  /**
   * Sets a key's access record from RESTORE's IDLETIME (seconds idle, under
   * LRU tracking) or FREQ (the LFU counter, under LFU tracking). A kind that
   * is not tracked is left alone.
   */
  restoreAccess(key: string, idleSeconds: number | null, frequency: number | null): void {
    const access = this.access;
    if (access === null || !access.has(key)) return;
    if (this.#accessMode === 'lfu' && frequency !== null) access.set(key, lfuRecord(frequency));
    if (this.#accessMode === 'lru' && idleSeconds !== null) {
      access.set(key, lruClock() - idleSeconds);
    }
  }

  /**
   * Makes accesses keep the records in LRU order (for allkeys-lru eviction)
   * or not (cheaper, enough for OBJECT IDLETIME and sampled eviction).
   * NOTE: records are not sorted when the order starts to be kept, so until
   * keys are accessed again the order is that of their first access.
   */
  keepLruOrder(keep: boolean): void {
    this.#keepLruOrder = keep;
  }

  /**
   * Starts, changes or stops access tracking. Every key starts as just
   * accessed (LRU) or with the initial LFU counter.
   */
  setAccessMode(mode: AccessMode): void {
    if (mode === this.#accessMode) return;
    if (this.access !== null) this.usedBytes -= this.access.size * ACCESS_ENTRY_BYTES;
    this.#accessMode = mode;
    this.access = null;
    if (mode === 'none') return;
    this.access = new Map();
    for (const key of this.data.keys()) this.#startTracking(key);
  }

  get accessMode(): AccessMode {
    return this.#accessMode;
  }

  #startTracking(key: string): void {
    const access = this.access as Map<string, number>;
    access.set(key, this.#accessMode === 'lfu' ? lfuInitial() : lruClock());
    this.usedBytes += ACCESS_ENTRY_BYTES;
  }

  /** Takes back the charge of a value that is being replaced or removed. */
  #uncharge(key: string, value: Value): void {
    if (!isMutable(value)) {
      this.usedBytes -= entryBytes(key, value);
      return;
    }
    this.usedBytes -= this.#charges.get(key) ?? 0;
    this.#charges.delete(key);
  }

  /** Drops the charge, expiry time and access record of a key removed from `data`. */
  #forget(key: string, value: Value): void {
    this.#uncharge(key, value);
    if (this.expires.size !== 0 && this.expires.delete(key)) this.usedBytes -= EXPIRE_ENTRY_BYTES;
    if (this.access !== null && this.access.delete(key)) this.usedBytes -= ACCESS_ENTRY_BYTES;
  }

  /** Returns the expiry time in Unix ms, or -1 when the key has none. */
  getExpire(key: string): number {
    return this.expires.get(key) ?? -1;
  }

  persist(key: string): boolean {
    if (!this.expires.delete(key)) return false;
    this.usedBytes -= EXPIRE_ENTRY_BYTES;
    return true;
  }

  clear(): void {
    this.data = new Map();
    this.expires = new Map();
    this.usedBytes = 0;
    this.#charges = new Map();
    if (this.access !== null) this.access = new Map();
    this.#expiryWalk = null;
    this.#randomWalk = null;
  }

  /** Swaps contents with another database (SWAPDB); ids stay. */
  swapWith(other: Database): void {
    [this.data, other.data] = [other.data, this.data];
    [this.expires, other.expires] = [other.expires, this.expires];
    [this.usedBytes, other.usedBytes] = [other.usedBytes, this.usedBytes];
    [this.#charges, other.#charges] = [other.#charges, this.#charges];
    [this.access, other.access] = [other.access, this.access];
    [this.#accessMode, other.#accessMode] = [other.#accessMode, this.#accessMode];
    [this.#keepLruOrder, other.#keepLruOrder] = [other.#keepLruOrder, this.#keepLruOrder];
    this.#expiryWalk = null;
    this.#randomWalk = null;
    other.#expiryWalk = null;
    other.#randomWalk = null;
  }

  #expire(key: string): void {
    const value = this.data.get(key);
    if (value === undefined) return;
    this.data.delete(key);
    this.#forget(key, value);
    this.#listener.expired(this, key);
  }

  /**
   * Checks up to `limit` keys that have a time to live, continuing where the
   * previous call stopped, and removes the expired ones. Returns how many
   * keys were checked and how many expired.
   */
  expireSome(limit: number, now: number): { checked: number; expired: number } {
    let checked = 0;
    let expired = 0;
    if (this.expires.size === 0) return { checked, expired };
    this.#expiryWalk ??= this.expires.entries();
    while (checked < limit) {
      const step = this.#expiryWalk.next();
      if (step.done) {
        this.#expiryWalk = null;
        break;
      }
      checked++;
      const [key, when] = step.value;
      if (when <= now) {
        this.#expire(key);
        expired++;
      }
    }
    return { checked, expired };
  }

  /**
   * Returns a live key chosen by skipping a random number of keys along a
   * walk that wraps around. Not uniform: a Map offers no random access.
   */
  randomKey(): string | undefined {
    for (let attempt = 0; attempt < 100 && this.data.size > 0; attempt++) {
      const key = this.#nextRandomCandidate();
      if (key !== undefined && this.get(key) !== undefined) return key;
    }
    return undefined;
  }

  #nextRandomCandidate(): string | undefined {
    const skip = Math.floor(Math.random() * 8);
    let key: string | undefined;
    for (let i = 0; i <= skip; i++) {
      this.#randomWalk ??= this.data.keys();
      const step = this.#randomWalk.next();
      if (step.done) {
        this.#randomWalk = null;
        continue;
      }
      key = step.value;
    }
    return key;
  }
}
