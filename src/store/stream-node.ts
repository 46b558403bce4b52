/**
 * One node of a stream: a run of consecutive entries, the counterpart of a
 * listpack in Redis's radix tree. Nodes fill up by Redis 7.0's rules (at
 * most stream-node-max-entries entries, live or deleted, and at most
 * stream-node-max-bytes of listpack), so XINFO's radix-tree-keys and the
 * whole-node steps of approximate trimming (MAXLEN ~) match Redis. For the
 * byte rule each node tracks the size its listpack would have.
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
  /** Live entries in ID order; never empty while the node is in a stream. */
  readonly entries: StreamEntry[] = [];
  /** Entries removed from the node, which Redis keeps as tombstones in the listpack. */
  deleted = 0;
  /** The ID and field names of the node's first entry: Redis's master entry. */
  #masterId: StreamId;
  #masterFields: string[];
  /** Listpack bytes, except the live and deleted counters. */
  #bytes: number;
  /** The ID of the newest entry added to the node, even if it was removed since. */
  lastAddedId: StreamId;

  constructor(first: StreamEntry) {
    this.#masterId = first.id;
    this.#masterFields = [];
    for (let i = 0; i < first.fields.length; i += 2) this.#masterFields.push(first.fields[i]);
    // The counters, the number of field names, the names and a zero terminator.
    let bytes = LISTPACK_OVERHEAD + integerElementBytes(this.#masterFields.length);
    bytes += integerElementBytes(0);
    for (const name of this.#masterFields) bytes += stringElementBytes(name);
    this.#bytes = bytes;
    this.lastAddedId = first.id;
    this.#push(first);
  }

  /** Bytes of the node's listpack in Redis. */
  get listpackBytes(): number {
    return (
      this.#bytes + integerElementBytes(this.entries.length) + integerElementBytes(this.deleted)
    );
  }

  /** Returns whether Redis would append an entry with `fields` to this node. */
  accepts(fields: readonly string[], limits: StreamLimits): boolean {
    let maxBytes = limits.maxBytes;
    if (maxBytes === 0 || maxBytes > LISTPACK_MAX_BYTES) maxBytes = LISTPACK_MAX_BYTES;
    if (this.listpackBytes + totalLength(fields) >= maxBytes) return false;
    return limits.maxEntries === 0 || this.entries.length + this.deleted < limits.maxEntries;
  }

  append(entry: StreamEntry): void {
    this.#push(entry);
  }

  /** Removes the live entry at `index`, leaving a tombstone. */
  removeAt(index: number): void {
    this.entries.splice(index, 1);
    this.deleted++;
  }

  /** Removes the first `count` live entries, leaving tombstones. */
  removeFirst(count: number): void {
    this.entries.splice(0, count);
    this.deleted += count;
  }

  clone(): StreamNode {
    const copy = new StreamNode(this.entries[0]);
    copy.entries.length = 0;
    copy.entries.push(...this.entries);
    copy.deleted = this.deleted;
    copy.#masterId = this.#masterId;
    copy.#masterFields = this.#masterFields;
    copy.#bytes = this.#bytes;
    copy.lastAddedId = this.lastAddedId;
    return copy;
  }

  #push(entry: StreamEntry): void {
    const fields = entry.fields;
    const same = sameFieldNames(fields, this.#masterFields);
    const pairs = fields.length / 2;
    let bytes = integerElementBytes(same ? SAME_FIELDS_FLAG : 0);
    bytes += integerElementBytes(delta(entry.id.ms, this.#masterId.ms));
    bytes += integerElementBytes(delta(entry.id.seq, this.#masterId.seq));
    if (!same) bytes += integerElementBytes(pairs);
    for (let i = same ? 1 : 0; i < fields.length; i += same ? 2 : 1) {
      bytes += stringElementBytes(fields[i]);
    }
    bytes += integerElementBytes(same ? pairs + 3 : 2 * pairs + 4);
    this.#bytes += bytes;
    this.entries.push(entry);
    this.lastAddedId = entry.id;
  }
}

/** Sum of the lengths of the fields and values, which Redis checks against the node limit. */
export function totalLength(fields: readonly string[]): number {
  let total = 0;
  for (const text of fields) total += text.length;
  return total;
}
