/**
 * One node of a stream: a run of consecutive entries, the counterpart of a
 * listpack in Redis's radix tree. Nodes fill up by Redis 7.0's rules (at
 * most stream-node-max-entries entries, live or deleted, and at most
 * stream-node-max-bytes of listpack), so XINFO's radix-tree-keys and the
 * whole-node steps of approximate trimming (MAXLEN ~) match Redis. For the
 * byte rule each node tracks the size its listpack would have.
 *
 * A node keeps its entries in columns: milliseconds, sequence numbers, and
 * one flat array of fields and values. An object per entry would take about
 * twice the memory. Entries that repeat the first entry's field names share
 * those strings, and entry objects are built when read.
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
  /** Fields and values of the live entries; entry i owns [#offsets[i], #offsets[i + 1]). */
  #fields: string[] = [];
  #offsets: number[] = [0];
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
  private constructor(masterId: StreamId, masterFields: string[]) {
    this.#masterId = masterId;
    this.#masterFields = masterFields;
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
    const node = new StreamNode(id, names);
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
    const fields = this.#fields.slice(this.#offsets[index], this.#offsets[index + 1]);
    return { id: this.idAt(index), fields };
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
    const names = this.#masterFields;
    for (let i = 0; i < fields.length; i++) {
      // Sharing the first entry's name strings lets the request's copies be collected.
      this.#fields.push(same && i % 2 === 0 ? names[i / 2] : fields[i]);
    }
    this.#offsets.push(this.#fields.length);
    this.#ms.push(id.ms);
    this.#seq.push(id.seq);
    this.lastAddedId = id;
  }

  /** Removes the live entry at `index`, leaving a tombstone. */
  removeAt(index: number): void {
    const offsets = this.#offsets;
    const width = offsets[index + 1] - offsets[index];
    this.#fields.splice(offsets[index], width);
    offsets.splice(index + 1, 1);
    for (let i = index + 1; i < offsets.length; i++) offsets[i] -= width;
    this.#ms.splice(index, 1);
    this.#seq.splice(index, 1);
    this.deleted++;
  }

  /** Removes the first `count` live entries, leaving tombstones. */
  removeFirst(count: number): void {
    if (count === 0) return;
    const width = this.#offsets[count];
    this.#fields.splice(0, width);
    this.#offsets = this.#offsets.slice(count).map((offset) => offset - width);
    this.#ms.splice(0, count);
    this.#seq.splice(0, count);
    this.deleted += count;
  }

  clone(): StreamNode {
    const copy = new StreamNode(this.#masterId, this.#masterFields);
    copy.#ms = this.#ms.slice();
    copy.#seq = this.#seq.slice();
    copy.#fields = this.#fields.slice();
    copy.#offsets = this.#offsets.slice();
    copy.deleted = this.deleted;
    copy.#bytes = this.#bytes;
    copy.lastAddedId = this.lastAddedId;
    return copy;
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
