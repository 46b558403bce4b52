/**
 * The set value type, with three layouts (Redis 7.2's encodings):
 * - 'intset': every member is an integer and there are at most
 *   set-max-intset-entries of them; a sorted array of 64-bit integers.
 * - 'listpack': at most set-max-listpack-entries members of at most
 *   set-max-listpack-value bytes each; an array in insertion order.
 * - 'hashtable': a JavaScript Set.
 * A set starts as an empty intset and only ever moves down that list, like
 * Redis. OBJECT ENCODING reports what Redis 7.0 does: 'intset', or
 * 'hashtable' for both other layouts.
 */
import type { Config } from '../config/config';
import { registerPlainCodec } from '../persistence/plain';
import type { PlainValue } from '../persistence/rdb-values';
import { IntSet, toIntsetMember } from './intset';
import { KeySampler, randomDistinctIndexes } from './key-sampler';
import { scanSet, type ScanPage } from './scan';
import { MAX_MAP_ENTRIES, type CollectionValue } from './types';

/** The encoding thresholds, read from the settings for each command. */
export interface SetLimits {
  maxIntsetEntries: number;
  maxListpackEntries: number;
  maxListpackValue: number;
}

/** Redis caps intsets at 2^30 members, whatever the value of set-max-intset-entries. */
const INTSET_HARD_LIMIT = 2 ** 30;

export function setLimits(config: Config): SetLimits {
  return {
    maxIntsetEntries: Math.min(config.number('set-max-intset-entries'), INTSET_HARD_LIMIT),
    maxListpackEntries: config.number('set-max-listpack-entries'),
    maxListpackValue: config.number('set-max-listpack-value'),
  };
}

export class SetValue implements CollectionValue {
  readonly type = 'set' as const;
  #ints: IntSet | null = new IntSet();
  #list: string[] | null = null;
  #table: Set<string> | null = null;
  #sampler: KeySampler | null = null;

  /** The name Redis 7.0 reports: it has no small-array encoding for sets, so that one is 'hashtable'. */
  encoding(): string {
    return this.#ints !== null ? 'intset' : 'hashtable';
  }

  size(): number {
    if (this.#ints !== null) return this.#ints.size;
    return this.#list !== null ? this.#list.length : (this.#table as Set<string>).size;
  }

  clone(): SetValue {
    const copy = new SetValue();
    copy.#ints = this.#ints === null ? null : this.#ints.clone();
    copy.#list = this.#list === null ? null : this.#list.slice();
    copy.#table = this.#table === null ? null : new Set(this.#table);
    return copy;
  }

  has(member: string): boolean {
    if (this.#ints !== null) {
      const value = toIntsetMember(member);
      return value !== null && this.#ints.has(value);
    }
    if (this.#list !== null) return this.#list.includes(member);
    return (this.#table as Set<string>).has(member);
  }

  /** Returns whether `count` more members would exceed the maximum size of a Set. */
  lacksRoomFor(count: number): boolean {
    return this.#table !== null && this.#table.size + count > MAX_MAP_ENTRIES;
  }

  /** Adds a member, converting the encoding when a limit is passed; false if already there. */
  add(member: string, limits: SetLimits): boolean {
    if (this.#ints !== null) return this.#addToInts(member, limits);
    if (this.#list !== null) return this.#addToList(member, limits);
    return this.#addToTable(member);
  }

  delete(member: string): boolean {
    if (this.#ints !== null) {
      const value = toIntsetMember(member);
      return value !== null && this.#ints.delete(value);
    }
    if (this.#table !== null) return this.#table.delete(member);
    const list = this.#list as string[];
    const index = list.indexOf(member);
    if (index < 0) return false;
    list.splice(index, 1);
    return true;
  }

  /**
   * Returns the members: ascending for an intset, insertion order otherwise.
   * The result may be the set's own storage, so callers must not change the
   * set while they iterate.
   */
  members(): Iterable<string> {
    if (this.#ints !== null) return this.#ints.members();
    return this.#list ?? (this.#table as Set<string>);
  }

  /**
   * Steps through the members for SSCAN. An intset or listpack set returns
   * all of them with cursor "0", as Redis does; a Set follows the shared
   * scan cursors.
   */
  scan(cursor: bigint, count: number): ScanPage<string> {
    if (this.#table !== null) return scanSet(this.#table, cursor, count);
    return { cursor: '0', items: Array.from(this.members()) };
  }

  /** Returns a random member of a set that is not empty. */
  randomMember(): string {
    if (this.#ints !== null) return this.#ints.at(randomIndex(this.#ints.size));
    if (this.#list !== null) return this.#list[randomIndex(this.#list.length)];
    const table = this.#table as Set<string>;
    return this.#samplerFor(table).pick((member) => table.has(member));
  }

  /** Returns `count` distinct random members, for a count below the size. */
  randomDistinctMembers(count: number): string[] {
    const table = this.#table;
    if (table === null || count * 3 > table.size) {
      const all = Array.from(this.members());
      return randomDistinctIndexes(all.length, count).map((index) => all[index]);
    }
    const chosen = new Set<string>();
    const sampler = this.#samplerFor(table);
    while (chosen.size < count) chosen.add(sampler.pick((member) => table.has(member)));
    return Array.from(chosen);
  }

  #addToInts(member: string, limits: SetLimits): boolean {
    const ints = this.#ints as IntSet;
    const value = toIntsetMember(member);
    if (value !== null) {
      if (!ints.add(value)) return false;
      if (ints.size > limits.maxIntsetEntries) this.#convertToTable();
      return true;
    }
    if (this.#intsFitListpack(member, limits)) {
      this.#list = ints.members();
    } else {
      this.#table = new Set(ints.members());
    }
    this.#ints = null;
    return this.add(member, limits);
  }

  /** Returns whether the intset plus a new non-integer member fits the listpack limits. */
  #intsFitListpack(member: string, limits: SetLimits): boolean {
    const ints = this.#ints as IntSet;
    const longest =
      ints.size === 0 ? 0 : Math.max(String(ints.min()).length, String(ints.max()).length);
    return (
      ints.size < limits.maxListpackEntries &&
      member.length <= limits.maxListpackValue &&
      longest <= limits.maxListpackValue
    );
  }

  #addToList(member: string, limits: SetLimits): boolean {
    const list = this.#list as string[];
    if (list.includes(member)) return false;
    if (list.length < limits.maxListpackEntries && member.length <= limits.maxListpackValue) {
      list.push(member);
      return true;
    }
    this.#convertToTable();
    return this.#addToTable(member);
  }

  #addToTable(member: string): boolean {
    const table = this.#table as Set<string>;
    const size = table.size;
    table.add(member);
    if (table.size === size) return false;
    this.#sampler?.added(member);
    return true;
  }

  #convertToTable(): void {
    this.#table = new Set(this.members());
    this.#ints = null;
    this.#list = null;
  }

  #samplerFor(table: Set<string>): KeySampler {
    if (this.#sampler === null || this.#sampler.isWasteful(table.size)) {
      this.#sampler = new KeySampler(table);
    }
    return this.#sampler;
  }
}

function randomIndex(size: number): number {
  return Math.floor(Math.random() * size);
}

/** Builds a set from stored members (a snapshot or RESTORE), choosing the encoding. */
export function setFromMembers(members: Iterable<string>, limits: SetLimits): SetValue {
  const set = new SetValue();
  for (const member of members) set.add(member, limits);
  return set;
}

registerPlainCodec('set', {
  toPlain: (value): PlainValue => ({
    type: 'set',
    members: Array.from((value as SetValue).members()),
  }),
  fromPlain: (plain, config) => {
    if (plain.type !== 'set') throw new Error(`expected a set, got ${plain.type}`);
    return setFromMembers(plain.members, setLimits(config));
  },
});
