/**
 * The hash value type. A small hash is a flat array of fields and values in
 * insertion order, which OBJECT ENCODING reports as 'listpack' like Redis.
 * It becomes a Map ('hashtable') once it has more than
 * hash-max-listpack-entries fields or a field or value longer than
 * hash-max-listpack-value bytes, and never converts back, as in Redis.
 *
 * Fields may carry an expiry time (HEXPIRE). Every read method here skips
 * expired fields; the commands remove them with `takeExpired`.
 */
import type { Config } from '../config/config';
import { registerPlainCodec } from '../persistence/plain';
import type { PlainValue } from '../persistence/rdb-values';
import { FieldTtl } from './field-ttl';
import { KeySampler, randomDistinctIndexes } from './key-sampler';
import { scanMap, type ScanPage } from './scan';
import { MAX_MAP_ENTRIES, type CollectionValue } from './types';

/** The encoding thresholds, read from the settings for each command. */
export interface HashLimits {
  maxEntries: number;
  maxValue: number;
}

export function hashLimits(config: Config): HashLimits {
  return {
    maxEntries: config.number('hash-max-listpack-entries'),
    maxValue: config.number('hash-max-listpack-value'),
  };
}

export type HashEntry = [field: string, value: string];

export class HashValue implements CollectionValue {
  readonly type = 'hash' as const;
  /** The listpack form: field, value, field, value, ...; null once a Map. */
  #pairs: string[] | null = [];
  #table: Map<string, string> | null = null;
  #ttl: FieldTtl | null = null;
  #sampler: KeySampler | null = null;

  encoding(): string {
    return this.#table === null ? 'listpack' : 'hashtable';
  }

  /** Number of stored fields, counting expired ones not yet removed. */
  size(): number {
    return this.#table === null ? (this.#pairs as string[]).length / 2 : this.#table.size;
  }

  clone(): HashValue {
    const copy = new HashValue();
    copy.#pairs = this.#pairs === null ? null : this.#pairs.slice();
    copy.#table = this.#table === null ? null : new Map(this.#table);
    copy.#ttl = this.#ttl === null ? null : this.#ttl.clone();
    return copy;
  }

  get(field: string): string | undefined {
    const value = this.#storedValue(field);
    if (value === undefined || this.#ttl === null) return value;
    return this.#ttl.isExpired(field, Date.now()) ? undefined : value;
  }

  has(field: string): boolean {
    return this.get(field) !== undefined;
  }

  /** Returns whether `count` more fields would exceed the maximum size of a Map. */
  lacksRoomFor(count: number): boolean {
    return this.#table !== null && this.#table.size + count > MAX_MAP_ENTRIES;
  }

  /**
   * Stores a field and returns true when it is new. Drops the field's expiry
   * time unless `keepTtl` (HINCRBY keeps it, HSET does not).
   */
  set(field: string, value: string, limits: HashLimits, keepTtl = false): boolean {
    if (
      this.#pairs !== null &&
      (field.length > limits.maxValue || value.length > limits.maxValue)
    ) {
      this.#convert();
    }
    if (!keepTtl && this.#ttl !== null) this.#forgetTtl(field);
    const added =
      this.#pairs !== null ? this.#setInPairs(field, value) : this.#setInTable(field, value);
    if (this.#pairs !== null && this.#pairs.length / 2 > limits.maxEntries) this.#convert();
    return added;
  }

  /** Removes a field, expired or not; returns whether it was stored. */
  delete(field: string): boolean {
    if (this.#ttl !== null) this.#forgetTtl(field);
    if (this.#table !== null) return this.#table.delete(field);
    const pairs = this.#pairs as string[];
    const index = findField(pairs, field);
    if (index < 0) return false;
    pairs.splice(index, 2);
    return true;
  }

  /**
   * Iterates over the fields and values live at `now`: insertion order for a
   * listpack, Map order otherwise.
   */
  *entries(now = Date.now()): IterableIterator<HashEntry> {
    const ttl = this.#ttl;
    if (this.#table !== null) {
      for (const entry of this.#table) {
        if (ttl === null || !ttl.isExpired(entry[0], now)) yield entry;
      }
      return;
    }
    const pairs = this.#pairs as string[];
    for (let i = 0; i < pairs.length; i += 2) {
      if (ttl === null || !ttl.isExpired(pairs[i], now)) yield [pairs[i], pairs[i + 1]];
    }
  }

  /**
   * Steps through the entries for HSCAN. A listpack hash returns all of them
   * with cursor "0", as Redis does; a Map follows the shared scan cursors.
   * Expired fields are not filtered out.
   */
  scan(cursor: bigint, count: number): ScanPage<HashEntry> {
    if (this.#table !== null) return scanMap(this.#table, cursor, count);
    const pairs = this.#pairs as string[];
    const items: HashEntry[] = [];
    for (let i = 0; i < pairs.length; i += 2) items.push([pairs[i], pairs[i + 1]]);
    return { cursor: '0', items };
  }

  /** Returns a random entry, or undefined when empty. Remove expired fields first. */
  randomEntry(): HashEntry | undefined {
    if (this.size() === 0) return undefined;
    if (this.#pairs !== null) {
      const index = 2 * Math.floor((Math.random() * this.#pairs.length) / 2);
      return [this.#pairs[index], this.#pairs[index + 1]];
    }
    const table = this.#table as Map<string, string>;
    const field = this.#samplerFor(table).pick((key) => table.has(key));
    return [field, table.get(field) as string];
  }

  /** Returns `count` distinct random entries (count < size). Remove expired fields first. */
  randomDistinctEntries(count: number): HashEntry[] {
    const table = this.#table;
    if (table === null || count * 3 > table.size) {
      const all = Array.from(this.entries());
      return randomDistinctIndexes(all.length, count).map((index) => all[index]);
    }
    const chosen = new Map<string, string>();
    const sampler = this.#samplerFor(table);
    while (chosen.size < count) {
      const field = sampler.pick((key) => table.has(key));
      chosen.set(field, table.get(field) as string);
    }
    return Array.from(chosen);
  }

  /** Returns the field's expiry time in Unix ms, -1 for none, or undefined when it is missing. */
  expireTime(field: string): number | undefined {
    if (!this.has(field)) return undefined;
    return this.#ttl?.get(field) ?? -1;
  }

  /** Sets the expiry time of a stored field. */
  setExpireTime(field: string, when: number): void {
    this.#ttl ??= new FieldTtl();
    this.#ttl.set(field, when);
  }

  /** Drops a field's expiry time; returns whether it had one. */
  persist(field: string): boolean {
    return this.#ttl !== null && this.#forgetTtl(field);
  }

  /** Returns whether any field has an expiry time. */
  hasVolatileFields(): boolean {
    return this.#ttl !== null;
  }

  /** Returns the earliest expiry time of a field, or Infinity when none has one. */
  nextExpiry(): number {
    return this.#ttl === null ? Infinity : this.#ttl.earliest();
  }

  /** Removes one field whose expiry time is at or before `now` and returns it, or undefined. */
  takeExpired(now: number): string | undefined {
    if (this.#ttl === null) return undefined;
    const field = this.#ttl.takeExpired(now);
    if (field === undefined) return undefined;
    this.delete(field);
    return field;
  }

  #storedValue(field: string): string | undefined {
    if (this.#table !== null) return this.#table.get(field);
    const pairs = this.#pairs as string[];
    const index = findField(pairs, field);
    return index < 0 ? undefined : pairs[index + 1];
  }

  #forgetTtl(field: string): boolean {
    const ttl = this.#ttl as FieldTtl;
    const had = ttl.delete(field);
    if (ttl.size === 0) this.#ttl = null;
    return had;
  }

  #setInPairs(field: string, value: string): boolean {
    const pairs = this.#pairs as string[];
    const index = findField(pairs, field);
    if (index >= 0) {
      pairs[index + 1] = value;
      return false;
    }
    pairs.push(field, value);
    return true;
  }

  #setInTable(field: string, value: string): boolean {
    const table = this.#table as Map<string, string>;
    const size = table.size;
    table.set(field, value);
    if (table.size === size) return false;
    this.#sampler?.added(field);
    return true;
  }

  #convert(): void {
    const pairs = this.#pairs as string[];
    const table = new Map<string, string>();
    for (let i = 0; i < pairs.length; i += 2) table.set(pairs[i], pairs[i + 1]);
    this.#table = table;
    this.#pairs = null;
  }

  #samplerFor(table: Map<string, string>): KeySampler {
    if (this.#sampler === null || this.#sampler.isWasteful(table.size)) {
      this.#sampler = new KeySampler(table.keys());
    }
    return this.#sampler;
  }
}

function findField(pairs: string[], field: string): number {
  for (let i = 0; i < pairs.length; i += 2) {
    if (pairs[i] === field) return i;
  }
  return -1;
}

/** Builds a hash from stored entries (a snapshot or RESTORE), choosing the encoding. */
export function hashFromEntries(entries: Iterable<HashEntry>, limits: HashLimits): HashValue {
  const hash = new HashValue();
  for (const [field, value] of entries) hash.set(field, value, limits);
  return hash;
}

/**
 * Converts hashes for snapshots, DUMP and rewrites, with the expiry times of
 * fields that have one. Fields already expired are left out on saving and
 * kept on loading, where the next access or the background sweep removes them.
 */
registerPlainCodec('hash', {
  toPlain: (value): PlainValue => {
    const hash = value as HashValue;
    const entries = Array.from(hash.entries());
    if (!hash.hasVolatileFields()) return { type: 'hash', entries };
    const fieldExpiries = new Map<string, number>();
    for (const [field] of entries) {
      const when = hash.expireTime(field);
      if (when !== undefined && when >= 0) fieldExpiries.set(field, when);
    }
    return { type: 'hash', entries, fieldExpiries };
  },
  fromPlain: (plain, config) => {
    if (plain.type !== 'hash') throw new Error(`expected a hash, got ${plain.type}`);
    const hash = hashFromEntries(plain.entries, hashLimits(config));
    for (const [field, when] of plain.fieldExpiries ?? []) {
      if (hash.has(field)) hash.setExpireTime(field, when);
    }
    return hash;
  },
});
