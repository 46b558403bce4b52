/**
 * One node of a list: entries packed back to back in a single Buffer, like
 * a Redis listpack. Each entry is its length, its bytes, then its length
 * again, so a node can be walked from either end:
 *
 *   length < 128      1-byte field: the length
 *   length < 16384    2-byte field: 0x80 | high 6 bits, then the low 8 bits
 *   otherwise         5-byte field: 0xc0, then the length as 32-bit little-endian
 *
 * The field after the data is the same bytes in reverse order, so its first
 * byte read backwards is again the tag. The live entries are
 * `bytes[start, end)`; free room on both sides makes pushes at either end
 * cheap. Values are byte strings (one latin1 character per byte).
 */
import type { RespWriter } from '../protocol/resp/reply';

const SHORT_LIMIT = 0x80;
const MEDIUM_LIMIT = 0x4000;
const MEDIUM_TAG = 0x80;
const LONG_TAG = 0xc0;
const MIN_CAPACITY = 16;
/** Free bytes a node may keep once it is no longer at an end of its list. */
const MAX_IDLE_ROOM = 64;

/** Size in bytes of the length field of an entry holding `length` bytes. */
export function lengthFieldSize(length: number): number {
  if (length < SHORT_LIMIT) return 1;
  return length < MEDIUM_LIMIT ? 2 : 5;
}

/** Bytes one entry takes in a node: the data and its two length fields. */
export function entrySize(length: number): number {
  return length + 2 * lengthFieldSize(length);
}

/** Size of the length field read by the last readForward or readBackward call. */
let fieldSize = 0;

/** Reads the length field that starts at `offset`. */
function readForward(bytes: Buffer, offset: number): number {
  const tag = bytes[offset];
  if (tag < MEDIUM_TAG) {
    fieldSize = 1;
    return tag;
  }
  if (tag < LONG_TAG) {
    fieldSize = 2;
    return ((tag & 0x3f) << 8) | bytes[offset + 1];
  }
  fieldSize = 5;
  return bytes.readUInt32LE(offset + 1);
}

/** Reads the length field that ends just before `end`. */
function readBackward(bytes: Buffer, end: number): number {
  const tag = bytes[end - 1];
  if (tag < MEDIUM_TAG) {
    fieldSize = 1;
    return tag;
  }
  if (tag < LONG_TAG) {
    fieldSize = 2;
    return ((tag & 0x3f) << 8) | bytes[end - 2];
  }
  fieldSize = 5;
  return bytes.readUInt32LE(end - 5);
}

/** Writes one entry at `offset`; returns the offset just after it. */
function writeEntry(bytes: Buffer, offset: number, value: string): number {
  const length = value.length;
  if (length < SHORT_LIMIT) {
    bytes[offset] = length;
    bytes.latin1Write(value, offset + 1, length);
    bytes[offset + 1 + length] = length;
    return offset + length + 2;
  }
  if (length < MEDIUM_LIMIT) {
    const tag = MEDIUM_TAG | (length >> 8);
    const low = length & 0xff;
    bytes[offset] = tag;
    bytes[offset + 1] = low;
    bytes.latin1Write(value, offset + 2, length);
    bytes[offset + 2 + length] = low;
    bytes[offset + 3 + length] = tag;
    return offset + length + 4;
  }
  bytes[offset] = LONG_TAG;
  bytes.writeUInt32LE(length, offset + 1);
  bytes.latin1Write(value, offset + 5, length);
  bytes.writeUInt32LE(length, offset + 5 + length);
  bytes[offset + 9 + length] = LONG_TAG;
  return offset + length + 10;
}

/** Returns a buffer size for `needed` bytes with room to grow, past `cap` only if needed. */
function growCapacity(needed: number, cap: number): number {
  const wanted = Math.max(MIN_CAPACITY, needed + (needed >> 1));
  return Math.max(needed, Math.min(wanted, cap));
}

export class ListNode {
  bytes: Buffer;
  start: number;
  end: number;
  count: number;
  prev: ListNode | null = null;
  next: ListNode | null = null;

  constructor(bytes: Buffer, start: number, end: number, count: number) {
    this.bytes = bytes;
    this.start = start;
    this.end = end;
    this.count = count;
  }

  /** An empty node with room for `capacity` bytes, placed for pushes at the head or the tail. */
  static empty(capacity: number, forHead: boolean): ListNode {
    const size = Math.max(MIN_CAPACITY, capacity);
    const position = forHead ? size : 0;
    return new ListNode(Buffer.allocUnsafe(size), position, position, 0);
  }

  /** Bytes the entries take. */
  get size(): number {
    return this.end - this.start;
  }

  /** Appends an entry; `cap` bounds how far the buffer grows ahead of need. */
  pushTail(value: string, cap: number): void {
    const needed = entrySize(value.length);
    if (this.end + needed > this.bytes.length) this.#regrow(needed, false, cap);
    this.end = writeEntry(this.bytes, this.end, value);
    this.count++;
  }

  pushHead(value: string, cap: number): void {
    const needed = entrySize(value.length);
    if (this.start < needed) this.#regrow(needed, true, cap);
    this.start -= needed;
    writeEntry(this.bytes, this.start, value);
    this.count++;
  }

  popHead(): string {
    const value = this.valueAt(this.start);
    this.start = this.nextOffset(this.start);
    this.count--;
    return value;
  }

  popTail(): string {
    const offset = this.previousOffset(this.end);
    const value = this.valueAt(offset);
    this.end = offset;
    this.count--;
    return value;
  }

  /** Returns the value of the entry that starts at `offset`. */
  valueAt(offset: number): string {
    const length = readForward(this.bytes, offset);
    const data = offset + fieldSize;
    return this.bytes.latin1Slice(data, data + length);
  }

  /** Writes the entry that starts at `offset` as a bulk reply, without making a string. */
  writeBulkAt(offset: number, writer: RespWriter): void {
    const length = readForward(this.bytes, offset);
    const data = offset + fieldSize;
    writer.bulkBytes(this.bytes, data, data + length);
  }

  /** Returns the offset of the entry after the one at `offset` (`end` after the last). */
  nextOffset(offset: number): number {
    const length = readForward(this.bytes, offset);
    return offset + length + 2 * fieldSize;
  }

  /** Returns the offset of the entry that ends at `end`. */
  previousOffset(end: number): number {
    const length = readBackward(this.bytes, end);
    return end - length - 2 * fieldSize;
  }

  /** Returns whether the entry at `offset` equals `needle` byte for byte. */
  entryEquals(offset: number, needle: Buffer): boolean {
    const length = readForward(this.bytes, offset);
    if (length !== needle.length) return false;
    const data = offset + fieldSize;
    if (length < 16) {
      for (let i = 0; i < length; i++) if (this.bytes[data + i] !== needle[i]) return false;
      return true;
    }
    return needle.compare(this.bytes, data, data + length) === 0;
  }

  /** Returns the offset of the entry at `index` in this node, walking from the nearer end. */
  offsetOf(index: number): number {
    if (index < this.count >> 1) {
      let offset = this.start;
      for (let i = 0; i < index; i++) offset = this.nextOffset(offset);
      return offset;
    }
    let offset = this.end;
    for (let i = this.count; i > index; i--) offset = this.previousOffset(offset);
    return offset;
  }

  /** Inserts an entry at `offset` (an entry boundary), copying the node to a new buffer. */
  insertAt(offset: number, value: string): void {
    this.#splice(offset, offset, value);
    this.count++;
  }

  /** Replaces the entry at `offset` with `value`. */
  replaceAt(offset: number, value: string): void {
    this.#splice(offset, this.nextOffset(offset), value);
  }

  /** Removes the entries starting at the given offsets (ascending) by moving the others down. */
  removeAt(offsets: readonly number[]): void {
    let write = offsets[0];
    for (let i = 0; i < offsets.length; i++) {
      const keepFrom = this.nextOffset(offsets[i]);
      const keepTo = i + 1 < offsets.length ? offsets[i + 1] : this.end;
      this.bytes.copyWithin(write, keepFrom, keepTo);
      write += keepTo - keepFrom;
    }
    this.end = write;
    this.count -= offsets.length;
  }

  /** Drops the first `count` entries. */
  dropHead(count: number): void {
    for (let i = 0; i < count; i++) this.start = this.nextOffset(this.start);
    this.count -= count;
  }

  /** Drops the last `count` entries. */
  dropTail(count: number): void {
    for (let i = 0; i < count; i++) this.end = this.previousOffset(this.end);
    this.count -= count;
  }

  /** Moves the entries from `offset` on into a new node, returned unlinked. */
  splitAt(offset: number, entriesBefore: number): ListNode {
    const tail = Buffer.allocUnsafe(this.end - offset);
    this.bytes.copy(tail, 0, offset, this.end);
    const node = new ListNode(tail, 0, tail.length, this.count - entriesBefore);
    this.end = offset;
    this.count = entriesBefore;
    this.shrink();
    return node;
  }

  /** Appends the entries of `other` (which is not changed). */
  append(other: ListNode): void {
    const size = other.size;
    if (this.end + size > this.bytes.length) this.#regrow(size, false, 0);
    other.bytes.copy(this.bytes, this.end, other.start, other.end);
    this.end += size;
    this.count += other.count;
  }

  /** Releases free room once the node is no longer at an end of its list. */
  shrink(): void {
    if (this.bytes.length - this.size <= MAX_IDLE_ROOM) return;
    const bytes = Buffer.allocUnsafe(Math.max(1, this.size));
    this.bytes.copy(bytes, 0, this.start, this.end);
    this.bytes = bytes;
    this.end = this.size;
    this.start = 0;
  }

  /** A copy of the node's entries, unlinked. */
  clone(): ListNode {
    const bytes = Buffer.allocUnsafe(Math.max(1, this.size));
    this.bytes.copy(bytes, 0, this.start, this.end);
    return new ListNode(bytes, 0, this.size, this.count);
  }

  /** Bytes the node's buffer holds, used or not. */
  get capacity(): number {
    return this.bytes.length;
  }

  /** Moves the entries to a larger buffer, with most of the free room on the growing side. */
  #regrow(needed: number, atHead: boolean, cap: number): void {
    const size = this.size;
    const capacity = growCapacity(size + needed, cap);
    const spare = capacity - size;
    const otherSide = Math.min(spare - needed, spare >> 3);
    const start = atHead ? spare - otherSide : otherSide;
    const bytes = Buffer.allocUnsafe(capacity);
    this.bytes.copy(bytes, start, this.start, this.end);
    this.bytes = bytes;
    this.start = start;
    this.end = start + size;
  }

  /** Rebuilds the buffer with `[from, to)` replaced by one entry holding `value`. */
  #splice(from: number, to: number, value: string): void {
    const added = entrySize(value.length);
    const size = this.size - (to - from) + added;
    const bytes = Buffer.allocUnsafe(size);
    const before = this.bytes.copy(bytes, 0, this.start, from);
    const after = writeEntry(bytes, before, value);
    this.bytes.copy(bytes, after, to, this.end);
    this.bytes = bytes;
    this.start = 0;
    this.end = size;
  }
}
