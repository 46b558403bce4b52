/**
 * Ready-made retrieval entries (`VALUE <key> <flags> <bytes>`, CRLF, the
 * value, CRLF) of recently fetched items. Encoding an entry writes the line
 * byte by byte and copies the value string with a call into Node.js, which
 * measured 60 to 90 ns per item. Copying a cached entry of 55 bytes took
 * about 23 ns.
 *
 * The entries are written one after the other into a ring buffer of
 * `memcached-reply-cache` bytes, each after a 2-byte length. An item's
 * metadata records where its entry starts (`ItemMeta.replyAt`), counted in
 * bytes written since the last restart, laps included. An entry is valid
 * until the writing position has moved a whole ring length past it, so
 * older entries are overwritten first and need no list or per-entry object.
 * Positions are exact integers only below 2^53. So after HEAD_LIMIT bytes,
 * and whenever the ring is emptied or resized, the owner drops every item's
 * position (or all the items) and positions start again from 0.
 *
 * A new value gets new metadata, and `ItemStore.update` drops the entry of a
 * value it changes. Only string values are cached, because a Buffer value
 * can change in place. `get` and `gat` use the entries; `gets` and `gats`
 * show CAS values and encode every entry.
 */
import { viewOf } from '../byte-output';
import type { ItemMeta } from './items';
import type { MemcacheWriter } from './writer';

/** Largest value cached, because for larger values the copy itself is most of the work. */
export const MAX_CACHED_VALUE = 1024;
/** Bytes before each entry in the ring: its length. */
const LENGTH_PREFIX = 2;
/** Lookups (hits and cacheable misses) per adjustment of the admission rate. */
const ADMISSION_WINDOW = 4096;
/** At most this many cacheable misses per cached entry, while most lookups miss. */
const MAX_ADMIT_EVERY = 64;
/** Bytes written after which positions must start again from 0 (see `exhausted`). */
const HEAD_LIMIT = 2 ** 52;

export class ReplyCache {
  readonly #headLimit: number;
  #ring: Buffer | null = null;
  #ringView: DataView | null = null;
  #capacity = 0;
  /** Position of the next entry: bytes written since the last restart, laps included. */
  #head = 0;
  /** One in this many cacheable misses is cached (see `admit`). */
  #admitEvery = 1;
  #missesSinceAdmission = 0;
  #hits = 0;
  #lookups = 0;

  /** `headLimit` replaces HEAD_LIMIT, so that tests can reach it. */
  constructor(headLimit = HEAD_LIMIT) {
    this.#headLimit = headLimit;
  }

  /** Bytes of the ring buffer, 0 while there is none. */
  get capacity(): number {
    return this.#capacity;
  }

  /**
   * Copies the cached entry of `meta` to `writer` and returns true, or
   * returns false when the item has no valid entry.
   */
  writeTo(writer: MemcacheWriter, meta: ItemMeta): boolean {
    const start = meta.replyAt;
    if (start < 0 || this.#head > start + this.#capacity) return false;
    const view = this.#ringView as DataView;
    const offset = start % this.#capacity;
    writer.copy(view, offset + LENGTH_PREFIX, view.getUint16(offset));
    this.#hits++;
    this.#countLookup();
    return true;
  }

  /**
   * Counts a get of a cacheable item that was not in the cache, and returns
   * whether to cache its entry. When the items fetched do not fit in the
   * cache, entries are overwritten before their next fetch, and copying them
   * in is wasted. So while fewer than half the lookups of a window hit, only
   * one miss in `#admitEvery` is cached. That number doubles per window up to
   * MAX_ADMIT_EVERY, and halves again in windows where most lookups hit.
   */
  admit(): boolean {
    const admitted = ++this.#missesSinceAdmission >= this.#admitEvery;
    if (admitted) this.#missesSinceAdmission = 0;
    this.#countLookup();
    return admitted;
  }

  /** Stores the entry of `meta`, the bytes `writer` received since `mark`, if the ring has room. */
  remember(meta: ItemMeta, writer: MemcacheWriter, mark: number): void {
    const ring = this.#ring;
    const length = writer.length - mark;
    const size = LENGTH_PREFIX + length;
    if (ring === null || size > this.#capacity) return;
    // An entry never wraps: one that would run past the end starts the next lap.
    if ((this.#head % this.#capacity) + size > this.#capacity) {
      this.#head += this.#capacity - (this.#head % this.#capacity);
    }
    const start = this.#head;
    const offset = start % this.#capacity;
    const view = this.#ringView as DataView;
    view.setUint16(offset, length);
    writer.copyOut(mark, ring, view, offset + LENGTH_PREFIX);
    this.#head += size;
    meta.replyAt = start;
  }

  /** Whether so many bytes were written that positions must start again (`restart`). */
  get exhausted(): boolean {
    return this.#head > this.#headLimit;
  }

  /** Drops the entry of an item whose value changed. */
  forget(meta: ItemMeta): void {
    meta.replyAt = -1;
  }

  /**
   * Empties the ring, makes it `limit` bytes (none for 0) and counts
   * positions from 0 again. The caller must first `forget` every item that
   * can still be fetched, because an old position could match a new entry.
   */
  restart(limit: number): void {
    this.#head = 0;
    if (limit === this.#capacity) return;
    this.#capacity = limit;
    this.#ring = limit > 0 ? Buffer.allocUnsafeSlow(limit) : null;
    this.#ringView = this.#ring === null ? null : viewOf(this.#ring);
  }

  #countLookup(): void {
    if (++this.#lookups < ADMISSION_WINDOW) return;
    const mostlyHits = this.#hits * 2 >= this.#lookups;
    this.#admitEvery = mostlyHits
      ? Math.max(1, this.#admitEvery / 2)
      : Math.min(MAX_ADMIT_EVERY, this.#admitEvery * 2);
    this.#hits = 0;
    this.#lookups = 0;
  }
}
