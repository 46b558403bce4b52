/**
 * The walk of one database for a point-in-time snapshot, and the record that
 * lets commands change keys while it runs.
 *
 * The walk follows the Map's insertion order. A key added after the start
 * goes to the end of that order, and the database reports it (`keyAdded`),
 * so the walk skips it. Before a command changes a key, `preserve` must keep
 * the key's value as it was at the start unless the walk has written it
 * already. A Map does not expose where a key sits in its order, so:
 * - Objects (collections, and strings held as Buffers) are changed in place.
 *   The walk remembers each object it wrote, and `preserve` writes the value
 *   at once when the walk has not.
 * - A string value cannot change, so `preserve` keeps a reference to it, and
 *   the walk skips the key from then on. The walk lists the keys it writes.
 *   When it ends, one pass over that list finds the kept strings whose keys
 *   it wrote before their change, and the others are written then.
 * Each key is written once (Redis refuses files with duplicate keys). The
 * cost is a list slot per key and a Set entry per object, instead of a Set
 * entry per key (about 21 bytes, and a rehash of the whole Set each time it
 * doubles), and nothing at all for SAVE, which blocks writes.
 * Every change must call `preserve` first: commands through the dispatcher,
 * memcached commands through their item store, evictions, and the wake-up of
 * a blocked BLMOVE for its destination.
 */
import { type Value } from '../store/types';

/** Writes one key to the snapshot; `expiresAt` is absolute Unix ms, or -1. */
export type EntryWriter = (
  walk: DatabaseWalk,
  key: string,
  value: Value,
  expiresAt: number,
) => void;

/** Keys per block of the written-keys list. */
const LIST_BLOCK = 8192;
/**
 * Blocks of the written-keys list, emptied and kept for the next walk:
 * without them every background save would leave 8 bytes per key as garbage
 * for the old generation. The pool grows to fit the largest database and is
 * never freed.
 */
const freeBlocks: string[][] = [];
/** String keys handled between two calls of the stop check; collections call it after each. */
const CHECK_EVERY = 16;
/** List entries matched with the kept strings between two calls of the stop check. */
const MATCH_STEP = 1024;
/** List blocks emptied between two calls of the stop check: about 0.1 ms of work. */
const BLOCKS_PER_CHECK = 8;

/** A string value as it was when a command first changed its key. */
interface KeptString {
  value: string;
  expiresAt: number;
  writtenByWalk: boolean;
}

/**
 * The stage of a walk: listing keys, matching kept strings with the list,
 * emptying the list's blocks, writing the kept strings, done.
 */
type Phase = 'walking' | 'matching' | 'releasing' | 'writing' | 'done';

export class DatabaseWalk {
  readonly index: number;
  readonly data: Map<string, Value>;
  readonly expires: Map<string, number>;
  /** Whether RESIZEDB for this database is in the file yet. */
  resizeWritten = false;
  readonly #iterator: IterableIterator<[string, Value]>;
  /** Whether writes may happen while the walk runs (a background save). */
  readonly #tracked: boolean;
  #phase: Phase = 'walking';
  /** Keys the walk must skip: preserved, or added after the start. */
  #skip = new Set<string>();
  #keptStrings = new Map<string, KeptString>();
  #writtenObjects = new Set<object>();
  #writtenKeys: string[][] = [];
  #writtenKeyCount = 0;
  /** Position in the written-keys list while matching. */
  #cursor = 0;
  #keptToWrite: IterableIterator<[string, KeptString]> | null = null;

  constructor(
    index: number,
    data: Map<string, Value>,
    expires: Map<string, number>,
    tracked: boolean,
  ) {
    this.index = index;
    this.data = data;
    this.expires = expires;
    this.#iterator = data.entries();
    this.#tracked = tracked;
  }

  /**
   * Writes keys until `shouldStop` (called every few keys) returns true.
   * Returns true when every key of this database is in the snapshot.
   */
  advance(write: EntryWriter, shouldStop: () => boolean): boolean {
    if (this.#phase === 'walking' && !this.#walk(write, shouldStop)) return false;
    if (this.#phase === 'matching' && !this.#matchKeptStrings(shouldStop)) return false;
    if (this.#phase === 'releasing' && !this.#releaseBlocks(shouldStop)) return false;
    if (this.#phase === 'writing' && !this.#writeKeptStrings(write, shouldStop)) return false;
    return true;
  }

  /** Called before a command changes `key`: see the file comment. */
  preserve(write: EntryWriter, key: string): void {
    if (this.#phase !== 'walking' || this.#skip.has(key)) return;
    const value = this.data.get(key);
    if (value === undefined) return;
    this.#skip.add(key);
    const expiresAt = this.#expiryOf(key);
    if (typeof value === 'string') {
      this.#keptStrings.set(key, { value, expiresAt, writtenByWalk: false });
    } else if (!this.#writtenObjects.has(value)) {
      write(this, key, value, expiresAt);
    }
  }

  /** Called when a key is added to `data`, so the walk skips it. */
  keyAdded(key: string): void {
    if (this.#phase === 'walking') this.#skip.add(key);
  }

  #walk(write: EntryWriter, shouldStop: () => boolean): boolean {
    const iterator = this.#iterator;
    for (let count = 1; ; count++) {
      const step = iterator.next();
      if (step.done) break;
      const [key, value] = step.value;
      if (this.#skip.size === 0 || !this.#skip.has(key)) {
        if (this.#tracked) this.#recordWritten(key, value);
        write(this, key, value, this.#expiryOf(key));
      }
      // A collection can take as long to write as hundreds of strings.
      const check = count % CHECK_EVERY === 0 || typeof value !== 'string';
      if (check && shouldStop()) return false;
    }
    // Every key is now written or kept, so later changes need no record.
    this.#phase = this.#keptStrings.size > 0 ? 'matching' : 'releasing';
    this.#skip = new Set();
    this.#writtenObjects = new Set();
    return true;
  }

  #recordWritten(key: string, value: Value): void {
    // Objects are listed too: a key changed without `preserve` may hold a string by now.
    if (typeof value !== 'string') this.#writtenObjects.add(value);
    const slot = this.#writtenKeyCount % LIST_BLOCK;
    if (slot === 0) this.#writtenKeys.push(freeBlocks.pop() ?? new Array<string>(LIST_BLOCK));
    this.#writtenKeys[this.#writtenKeys.length - 1][slot] = key;
    this.#writtenKeyCount++;
  }

  /**
   * Marks the kept strings that the walk wrote. It skips kept keys, so it
   * wrote those before they changed, with the value they had at the start.
   */
  #matchKeptStrings(shouldStop: () => boolean): boolean {
    const keptStrings = this.#keptStrings;
    while (this.#cursor < this.#writtenKeyCount) {
      const start = this.#cursor;
      const block = this.#writtenKeys[Math.floor(start / LIST_BLOCK)];
      const end = Math.min(start + MATCH_STEP, this.#writtenKeyCount);
      // MATCH_STEP divides LIST_BLOCK, so the step stays within one block.
      const first = start % LIST_BLOCK;
      for (let slot = first; slot < first + end - start; slot++) {
        const entry = keptStrings.get(block[slot]);
        if (entry !== undefined) entry.writtenByWalk = true;
      }
      this.#cursor = end;
      if (shouldStop()) return false;
    }
    this.#phase = 'releasing';
    return true;
  }

  /** Writes the kept strings that the walk did not write before they changed. */
  #writeKeptStrings(write: EntryWriter, shouldStop: () => boolean): boolean {
    const iterator = this.#keptToWrite as IterableIterator<[string, KeptString]>;
    for (let count = 1; ; count++) {
      const step = iterator.next();
      if (step.done) break;
      const [key, entry] = step.value;
      if (!entry.writtenByWalk) write(this, key, entry.value, entry.expiresAt);
      if (count % CHECK_EVERY === 0 && shouldStop()) return false;
    }
    this.#phase = 'done';
    this.#keptStrings = new Map();
    this.#keptToWrite = null;
    return true;
  }

  /** Empties the blocks of the written-keys list into the pool, a few per stop check. */
  #releaseBlocks(shouldStop: () => boolean): boolean {
    const blocks = this.#writtenKeys;
    while (blocks.length > 0) {
      const block = blocks.pop() as string[];
      // Emptied so that the pool does not keep deleted keys alive.
      block.fill('');
      freeBlocks.push(block);
      if (blocks.length % BLOCKS_PER_CHECK === 0 && shouldStop()) return false;
    }
    this.#writtenKeyCount = 0;
    this.#keptToWrite = this.#keptStrings.entries();
    this.#phase = this.#keptStrings.size > 0 ? 'writing' : 'done';
    return true;
  }

  #expiryOf(key: string): number {
    if (this.expires.size === 0) return -1;
    return this.expires.get(key) ?? -1;
  }
}
