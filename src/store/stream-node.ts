/**
 * One node of a stream: a run of consecutive entries, the counterpart of a
 * listpack in Redis's radix tree. Nodes fill up by Redis 7.0's rules (at
 * most stream-node-max-entries entries, live or deleted, and at most
 * stream-node-max-bytes of listpack), so XINFO's radix-tree-keys and the
 * whole-node steps of approximate trimming (MAXLEN ~) match Redis. For the
 * byte rule each node tracks the size its listpack would have.
 *
 * A node keeps its entries in columns: milliseconds, sequence numbers, and
 * where each entry's elements start. The bytes of the fields and values are
 * appended to one buffer per node, and an entry that repeats the first
 * entry's field names stores only its values, as Redis's listpack does. A
 * string per field or value would take about three times the memory. Entry
 * objects are built when read. Removing an entry moves the bytes after it,
 * which a node's size limits keep short.
 */
import type { StreamId, U64 } from './stream-id';

export interface StreamEntry {
  readonly id: StreamId;
  /** Field, value, field, value, ... as byte strings. */
  readonly fields: string[];
}

/** The node-size settings in force when an entry is added. */
export interface StreamLimits {
  maxBytes: number;
  maxEntries: number;
}

/** Redis's largest listpack, used when stream-node-max-bytes is 0 or above it. */
const LISTPACK_MAX_BYTES = 2 ** 30;
/** Listpack header (total bytes, element count) and end marker. */
const LISTPACK_OVERHEAD = 7;
/** Entry flag: the entry has the node's first (master) field names. */
const SAME_FIELDS_FLAG = 2;
const INT64_PATTERN = /^(0|-?[1-9][0-9]{0,18})$/;
/** Bytes of a node's first element buffer; it doubles as it fills. */
const INITIAL_STORE_BYTES = 256;
/** Marks, in an entry's start, an entry that stores only values (the master field names). */
const VALUES_ONLY = 2 ** 31;
const TWO_POW_63 = 2n ** 63n;
const TWO_POW_64 = 2n ** 64n;

/** Bytes of an element's back-length suffix for an element of `size` bytes. */
function backlenBytes(size: number): number {
  if (size <= 127) return 1;
  if (size < 16383) return 2;
  if (size < 2097151) return 3;
  return size < 268435455 ? 4 : 5;
}

/** Bytes of an integer element in a listpack. */
export function integerElementBytes(value: number | bigint): number {
  let size = 9;
  if (value >= 0 && value <= 127) size = 1;
  else if (value >= -4096 && value <= 4095) size = 2;
  else if (value >= -32768 && value <= 32767) size = 3;
  else if (value >= -8388608 && value <= 8388607) size = 4;
  else if (value >= -2147483648 && value <= 2147483647) size = 5;
  return size + 1;
}

/** Bytes of a string element in a listpack; an integer string is stored as an integer. */
export function stringElementBytes(text: string): number {
  if (text.length <= 20 && INT64_PATTERN.test(text)) {
    const value = BigInt(text);
    if (value >= -TWO_POW_63 && value < TWO_POW_63) return integerElementBytes(value);
  }
  let header = 5;
  if (text.length < 64) header = 1;
  else if (text.length < 4096) header = 2;
  const size = header + text.length;
  return size + backlenBytes(size);
}

/** Returns `a - b` wrapped to a signed 64-bit integer, as Redis stores ID deltas. */
function delta(a: U64, b: U64): number | bigint {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  let difference = (BigInt(a) - BigInt(b)) % TWO_POW_64;
  if (difference >= TWO_POW_63) difference -= TWO_POW_64;
  if (difference < -TWO_POW_63) difference += TWO_POW_64;
  return difference;
}

function sameFieldNames(fields: readonly string[], names: readonly string[]): boolean {
  if (fields.length !== names.length * 2) return false;
  for (let i = 0; i < names.length; i++) if (fields[i * 2] !== names[i]) return false;
  return true;
}

export class StreamNode {
  /** The IDs of the live entries, in order, as two columns. */
  #ms: U64[] = [];
  #seq: U64[] = [];
  /**
   * The index in `#ends` of each live entry's first element, plus VALUES_ONLY
   * for an entry with the master field names. Entry i's elements end where
   * entry i + 1's start, and the last entry's at the end of `#ends`.
   */
  #starts: number[] = [];
  /** The end offset in `#store` of every element of the live entries. */
  #ends: number[] = [];
  /** Bytes of the elements (fields and values), one byte per character. */
  #store: Buffer;
  #storeUsed = 0;
  /** Entries removed from the node, which Redis keeps as tombstones in the listpack. */
  deleted = 0;
  /** The ID and field names of the node's first entry: Redis's master entry. */
  #masterId: StreamId;
  #masterFields: string[];
  /** Listpack bytes, except the live and deleted counters. */
  #bytes: number;
  /** The ID of the newest entry added to the node, even if it was removed since. */
  lastAddedId: StreamId;

  /** Creates an empty node whose master entry has `masterId` and `masterFields`. */
  private constructor(masterId: StreamId, masterFields: string[], store: Buffer) {
    this.#masterId = masterId;
    this.#masterFields = masterFields;
    this.#store = store;
    // The counters, the number of field names, the names and a zero terminator.
    let bytes = LISTPACK_OVERHEAD + integerElementBytes(masterFields.length);
    bytes += integerElementBytes(0);
    for (const name of masterFields) bytes += stringElementBytes(name);
    this.#bytes = bytes;
    this.lastAddedId = masterId;
  }

  /** Creates a node holding one entry, which becomes its master entry. */
  static withFirstEntry(id: StreamId, fields: readonly string[]): StreamNode {
    const names: string[] = [];
    for (let i = 0; i < fields.length; i += 2) names.push(fields[i]);
    // A buffer of its own: a slice of Node.js's shared pool would keep the whole pool alive.
    const store = Buffer.allocUnsafeSlow(Math.max(INITIAL_STORE_BYTES, totalLength(fields)));
    const node = new StreamNode(id, names, store);
    node.append(id, fields);
    return node;
  }

  /** Number of live entries; a node in a stream has at least one. */
  get size(): number {
    return this.#ms.length;
  }

  /** Bytes of the node's listpack in Redis. */
  get listpackBytes(): number {
    return this.#bytes + integerElementBytes(this.size) + integerElementBytes(this.deleted);
  }

  idAt(index: number): StreamId {
    return { ms: this.#ms[index], seq: this.#seq[index] };
  }

  /** Compares the ID of the entry at `index` with `id`, as `compareIds` in stream-id.ts does. */
  compareAt(index: number, id: StreamId): number {
    const ms = this.#ms[index];
    if (ms !== id.ms) return ms < id.ms ? -1 : 1;
    const seq = this.#seq[index];
    if (seq === id.seq) return 0;
    return seq < id.seq ? -1 : 1;
  }

  /** Returns a new entry object for the entry at `index`. */
  entryAt(index: number): StreamEntry {
    const start = this.#starts[index];
    const first = start % VALUES_ONLY;
    const end =
      index + 1 < this.#starts.length ? this.#starts[index + 1] % VALUES_ONLY : this.#ends.length;
    const fields: string[] = [];
    const names = start >= VALUES_ONLY ? this.#masterFields : null;
    for (let element = first; element < end; element++) {
      if (names !== null) fields.push(names[element - first]);
      fields.push(this.#element(element));
    }
    return { id: this.idAt(index), fields };
  }

  #element(element: number): string {
    const from = element === 0 ? 0 : this.#ends[element - 1];
    return this.#store.latin1Slice(from, this.#ends[element]);
  }

  /** Returns the index of the first entry with an ID >= `id` (size if none). */
  lowerBound(id: StreamId): number {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.compareAt(middle, id) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Returns the index of the entry with `id`, or -1. */
  indexOf(id: StreamId): number {
    const index = this.lowerBound(id);
    return index < this.size && this.compareAt(index, id) === 0 ? index : -1;
  }

  /** Returns whether Redis would append an entry with `fields` to this node. */
  accepts(fields: readonly string[], limits: StreamLimits): boolean {
    let maxBytes = limits.maxBytes;
    if (maxBytes === 0 || maxBytes > LISTPACK_MAX_BYTES) maxBytes = LISTPACK_MAX_BYTES;
    if (this.listpackBytes + totalLength(fields) >= maxBytes) return false;
    return limits.maxEntries === 0 || this.size + this.deleted < limits.maxEntries;
  }

  /** Appends an entry whose ID is greater than every ID in the node. */
  append(id: StreamId, fields: readonly string[]): void {
    const same = sameFieldNames(fields, this.#masterFields);
    this.#bytes += this.#entryBytes(id, fields, same);
    this.#starts.push(this.#ends.length + (same ? VALUES_ONLY : 0));
    for (let i = same ? 1 : 0; i < fields.length; i += same ? 2 : 1) this.#put(fields[i]);
    this.#ms.push(id.ms);
    this.#seq.push(id.seq);
    this.lastAddedId = id;
  }

  /** Removes the live entry at `index`, leaving a tombstone. */
  removeAt(index: number): void {
    this.#dropElements(index, index + 1);
    this.#ms.splice(index, 1);
    this.#seq.splice(index, 1);
    this.deleted++;
  }

  /** Removes the first `count` live entries, leaving tombstones. */
  removeFirst(count: number): void {
    if (count === 0) return;
    this.#dropElements(0, count);
    this.#ms.splice(0, count);
    this.#seq.splice(0, count);
    this.deleted += count;
  }

  /**
   * Drops the elements of the live entries from `first` up to `stop` and
   * closes the gap in the store, so each entry's elements stay contiguous.
   * Nodes are small (stream-node-max-bytes), so the move is short.
   */
  #dropElements(first: number, stop: number): void {
    const starts = this.#starts;
    const ends = this.#ends;
    const from = starts[first] % VALUES_ONLY;
    const to = stop < starts.length ? starts[stop] % VALUES_ONLY : ends.length;
    const byteFrom = from === 0 ? 0 : ends[from - 1];
    const byteTo = to === 0 ? 0 : ends[to - 1];
    const width = byteTo - byteFrom;
    this.#store.copyWithin(byteFrom, byteTo, this.#storeUsed);
    this.#storeUsed -= width;
    ends.splice(from, to - from);
    for (let element = from; element < ends.length; element++) ends[element] -= width;
    starts.splice(first, stop - first);
    for (let entry = first; entry < starts.length; entry++) starts[entry] -= to - from;
  }

  clone(): StreamNode {
    const store = Buffer.allocUnsafeSlow(this.#store.length);
    this.#store.copy(store, 0, 0, this.#storeUsed);
    const copy = new StreamNode(this.#masterId, this.#masterFields, store);
    copy.#storeUsed = this.#storeUsed;
    copy.#ms = this.#ms.slice();
    copy.#seq = this.#seq.slice();
    copy.#starts = this.#starts.slice();
    copy.#ends = this.#ends.slice();
    copy.deleted = this.deleted;
    copy.#bytes = this.#bytes;
    copy.lastAddedId = this.lastAddedId;
    return copy;
  }

  /** Appends one element's bytes to the store, doubling the store when it is full. */
  #put(text: string): void {
    const needed = this.#storeUsed + text.length;
    if (needed > this.#store.length) {
      let size = this.#store.length * 2;
      while (size < needed) size *= 2;
      const grown = Buffer.allocUnsafeSlow(size);
      this.#store.copy(grown, 0, 0, this.#storeUsed);
      this.#store = grown;
    }
    this.#storeUsed += this.#store.latin1Write(text, this.#storeUsed);
    this.#ends.push(this.#storeUsed);
  }

  /** Returns the listpack bytes of an entry: flags, ID deltas, fields or values, and count. */
  #entryBytes(id: StreamId, fields: readonly string[], same: boolean): number {
    const pairs = fields.length / 2;
    let bytes = integerElementBytes(same ? SAME_FIELDS_FLAG : 0);
    bytes += integerElementBytes(delta(id.ms, this.#masterId.ms));
    bytes += integerElementBytes(delta(id.seq, this.#masterId.seq));
    if (!same) bytes += integerElementBytes(pairs);
    for (let i = same ? 1 : 0; i < fields.length; i += same ? 2 : 1) {
      bytes += stringElementBytes(fields[i]);
    }
    return bytes + integerElementBytes(same ? pairs + 3 : 2 * pairs + 4);
  }
}

/** Sum of the lengths of the fields and values, which Redis checks against the node limit. */
export function totalLength(fields: readonly string[]): number {
  let total = 0;
  for (const text of fields) total += text.length;
  return total;
}
