import type { Value } from './types';

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
    this.data.set(key, value);
    if (this.expires.size !== 0) this.expires.delete(key);
  }

  /** Replaces the value of a key and keeps its time to live. */
  replace(key: string, value: Value): void {
    this.data.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.data.delete(key)) return false;
    if (this.expires.size !== 0) this.expires.delete(key);
    return true;
  }

  /** Sets the absolute expiry time (Unix ms) of an existing key. */
  setExpire(key: string, when: number): void {
    this.expires.set(key, when);
  }

  /** Returns the expiry time in Unix ms, or -1 when the key has none. */
  getExpire(key: string): number {
    return this.expires.get(key) ?? -1;
  }

  persist(key: string): boolean {
    return this.expires.delete(key);
  }

  clear(): void {
    this.data = new Map();
    this.expires = new Map();
    this.#expiryWalk = null;
    this.#randomWalk = null;
  }

  /** Swaps contents with another database (SWAPDB); ids stay. */
  swapWith(other: Database): void {
    [this.data, other.data] = [other.data, this.data];
    [this.expires, other.expires] = [other.expires, this.expires];
    this.#expiryWalk = null;
    this.#randomWalk = null;
    other.#expiryWalk = null;
    other.#randomWalk = null;
  }

  #expire(key: string): void {
    this.data.delete(key);
    this.expires.delete(key);
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
