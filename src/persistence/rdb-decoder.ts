/**
 * Reads the building blocks of Redis's RDB format from a buffer: lengths,
 * strings (plain, integer or LZF), doubles, and the compact encodings nested
 * inside strings (listpack, ziplist, intset). Every read checks bounds and
 * throws RdbFormatError with the byte offset where the data went wrong.
 */
import { lzfDecompress } from './lzf';
import { STRING_ENCODING } from './rdb-encoder';

export class RdbFormatError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at byte offset ${offset}`);
    this.offset = offset;
  }
}

/** A length, or a special string encoding (`11xxxxxx` prefix). */
interface LengthRead {
  value: number;
  encoded: boolean;
}

export class RdbDecoder {
  readonly buffer: Buffer;
  offset: number;
  /** Offset added to positions in error messages (for nested blobs). */
  readonly base: number;

  constructor(buffer: Buffer, offset = 0, base = 0) {
    this.buffer = buffer;
    this.offset = offset;
    this.base = base;
  }

  fail(message: string): never {
    throw new RdbFormatError(message, this.base + this.offset);
  }

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  #need(bytes: number): void {
    if (this.offset + bytes > this.buffer.length) this.fail('unexpected end of data');
  }

  byte(): number {
    this.#need(1);
    return this.buffer[this.offset++];
  }

  bytes(count: number): Buffer {
    this.#need(count);
    const slice = this.buffer.subarray(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }

  #lengthOrEncoding(): LengthRead {
    const first = this.byte();
    const kind = first >> 6;
    if (kind === 0) return { value: first & 0x3f, encoded: false };
    if (kind === 1) return { value: ((first & 0x3f) << 8) | this.byte(), encoded: false };
    if (kind === 3) return { value: first & 0x3f, encoded: true };
    if (first === 0x80) {
      this.#need(4);
      const value = this.buffer.readUInt32BE(this.offset);
      this.offset += 4;
      return { value, encoded: false };
    }
    if (first === 0x81) {
      this.#need(8);
      const value = this.buffer.readBigUInt64BE(this.offset);
      this.offset += 8;
      if (value > BigInt(Number.MAX_SAFE_INTEGER)) this.fail('length too large');
      return { value: Number(value), encoded: false };
    }
    return this.fail(`invalid length prefix 0x${first.toString(16)}`);
  }

  length(): number {
    const read = this.#lengthOrEncoding();
    if (read.encoded) this.fail('unexpected string encoding where a length was expected');
    return read.value;
  }

  /** Reads a length as an unsigned 64-bit integer (stream IDs and counters use all 64 bits). */
  length64(): bigint {
    const first = this.buffer[this.offset];
    if (first !== 0x81) return BigInt(this.length());
    this.offset++;
    return this.bytes(8).readBigUInt64BE(0);
  }

  /** Reads a string as a Buffer (a fresh copy, never a view of the file buffer). */
  stringBuffer(): Buffer {
    const read = this.#lengthOrEncoding();
    if (!read.encoded) return Buffer.from(this.bytes(read.value));
    if (read.value === STRING_ENCODING.lzf) return this.#lzfString();
    return Buffer.from(String(this.#integerString(read.value)), 'latin1');
  }

  /**
   * Reads a string as a Buffer that may be a view of the file buffer, with no
   * copy: for bytes parsed at once, never for bytes kept after loading.
   */
  stringView(): Buffer {
    const read = this.#lengthOrEncoding();
    if (!read.encoded) return this.bytes(read.value);
    if (read.value === STRING_ENCODING.lzf) return this.#lzfString();
    return Buffer.from(String(this.#integerString(read.value)), 'latin1');
  }

  /** Reads a string as a byte string (latin1), with no Buffer made on the way. */
  string(): string {
    const read = this.#lengthOrEncoding();
    if (read.encoded) {
      if (read.value === STRING_ENCODING.lzf) return this.#lzfString().latin1Slice();
      return String(this.#integerString(read.value));
    }
    this.#need(read.value);
    const start = this.offset;
    this.offset += read.value;
    return this.buffer.latin1Slice(start, this.offset);
  }

  /** Reads the value of a string stored as an integer, after its encoding byte. */
  #integerString(encoding: number): number {
    const buffer = this.buffer;
    const at = this.offset;
    switch (encoding) {
      case STRING_ENCODING.int8:
        this.#need(1);
        this.offset += 1;
        return buffer.readInt8(at);
      case STRING_ENCODING.int16:
        this.#need(2);
        this.offset += 2;
        return buffer.readInt16LE(at);
      case STRING_ENCODING.int32:
        this.#need(4);
        this.offset += 4;
        return buffer.readInt32LE(at);
      default:
        return this.fail(`unknown string encoding ${encoding}`);
    }
  }

  #lzfString(): Buffer {
    const compressedLength = this.length();
    const length = this.length();
    const output = lzfDecompress(this.bytes(compressedLength), length);
    if (output === null) this.fail('corrupt LZF-compressed string');
    return output;
  }

  binaryDouble(): number {
    return this.bytes(8).readDoubleLE(0);
  }

  /** A double in the old text form: a length byte (253 NaN, 254 +inf, 255 -inf) then ASCII. */
  textDouble(): number {
    const length = this.byte();
    if (length === 253) return NaN;
    if (length === 254) return Infinity;
    if (length === 255) return -Infinity;
    const value = Number(this.bytes(length).toString('latin1'));
    if (Number.isNaN(value)) this.fail('invalid double');
    return value;
  }

  uint64(): number {
    return Number(this.bytes(8).readBigUInt64LE(0));
  }

  uint32(): number {
    return this.bytes(4).readUInt32LE(0);
  }

  /** Reads a signed 64-bit little-endian millisecond time, as Redis writes stream times. */
  int64(): number {
    return Number(this.bytes(8).readBigInt64LE(0));
  }
}

/** Element count a listpack or ziplist header holds when the real count does not fit. */
const UNKNOWN_COUNT = 0xffff;

/**
 * Reads every entry of a listpack blob as byte strings. Checks the total
 * size, every back-length, that the end byte is the last byte, and that the
 * header's element count matches.
 */
export function readListpack(blob: Buffer, base: number): string[] {
  const d = new RdbDecoder(blob, 0, base);
  const totalBytes = d.uint32();
  if (totalBytes !== blob.length) d.fail('listpack size does not match its header');
  const declaredCount = d.bytes(2).readUInt16LE(0);
  const entries: string[] = [];
  for (;;) {
    const first = d.buffer[d.offset];
    if (first === undefined) d.fail('listpack without end marker');
    if (first === 0xff) break;
    const start = d.offset;
    entries.push(readListpackEntry(d));
    checkBacklen(d, d.offset - start);
  }
  if (d.offset !== blob.length - 1) d.fail('listpack has bytes after its end marker');
  if (declaredCount !== UNKNOWN_COUNT && declaredCount !== entries.length) {
    d.fail('listpack entry count does not match its header');
  }
  return entries;
}

function readListpackEntry(d: RdbDecoder): string {
  const first = d.byte();
  if ((first & 0x80) === 0) return String(first);
  if ((first & 0xc0) === 0x80) return d.bytes(first & 0x3f).toString('latin1');
  if ((first & 0xe0) === 0xc0) {
    const value = ((first & 0x1f) << 8) | d.byte();
    return String(value >= 1 << 12 ? value - (1 << 13) : value);
  }
  if ((first & 0xf0) === 0xe0) {
    const length = ((first & 0x0f) << 8) | d.byte();
    return d.bytes(length).toString('latin1');
  }
  switch (first) {
    case 0xf0:
      return d.bytes(d.uint32()).toString('latin1');
    case 0xf1:
      return String(d.bytes(2).readInt16LE(0));
    case 0xf2:
      return String(d.bytes(3).readIntLE(0, 3));
    case 0xf3:
      return String(d.bytes(4).readInt32LE(0));
    case 0xf4:
      return String(d.bytes(8).readBigInt64LE(0));
    default:
      return d.fail(`invalid listpack entry encoding 0x${first.toString(16)}`);
  }
}

/**
 * Reads the back-length that follows each listpack entry (1 to 5 bytes, 7
 * bits each, every byte but the first with bit 0x80) and checks that it
 * matches the entry's size.
 */
function checkBacklen(d: RdbDecoder, entryLength: number): void {
  let size = 1;
  if (entryLength > 127) size = 2;
  if (entryLength > 16382) size = 3;
  if (entryLength > 2097150) size = 4;
  if (entryLength > 268435454) size = 5;
  const bytes = d.bytes(size);
  let value = 0;
  for (let i = 0; i < size; i++) {
    const flag = bytes[i] & 0x80;
    if (flag !== (i === 0 ? 0 : 0x80)) d.fail('invalid listpack back-length');
    value = value * 128 + (bytes[i] & 0x7f);
  }
  if (value !== entryLength) d.fail('listpack back-length does not match its entry');
}

/**
 * Reads every entry of a ziplist blob (RDB files before Redis 7) as byte
 * strings. Checks the total size, the tail offset, each entry's
 * previous-entry length, that the end byte is the last byte, and the count.
 */
export function readZiplist(blob: Buffer, base: number): string[] {
  const d = new RdbDecoder(blob, 0, base);
  if (d.uint32() !== blob.length) d.fail('ziplist size does not match its header');
  const tail = d.uint32();
  const declaredCount = d.bytes(2).readUInt16LE(0);
  const entries: string[] = [];
  let previousLength = 0;
  let lastStart = d.offset;
  for (;;) {
    const start = d.offset;
    const prevLength = d.byte();
    if (prevLength === 0xff) break;
    const stored = prevLength === 0xfe ? d.uint32() : prevLength;
    if (stored !== previousLength) d.fail('ziplist entry has a wrong previous-entry length');
    entries.push(readZiplistEntry(d));
    previousLength = d.offset - start;
    lastStart = start;
  }
  if (d.offset !== blob.length) d.fail('ziplist has bytes after its end marker');
  if (tail !== lastStart) d.fail('ziplist tail offset does not match its last entry');
  if (declaredCount !== UNKNOWN_COUNT && declaredCount !== entries.length) {
    d.fail('ziplist entry count does not match its header');
  }
  return entries;
}

function readZiplistEntry(d: RdbDecoder): string {
  const first = d.byte();
  const kind = first >> 6;
  if (kind === 0) return d.bytes(first & 0x3f).toString('latin1');
  if (kind === 1) return d.bytes(((first & 0x3f) << 8) | d.byte()).toString('latin1');
  if (kind === 2) return d.bytes(d.bytes(4).readUInt32BE(0)).toString('latin1');
  switch (first) {
    case 0xc0:
      return String(d.bytes(2).readInt16LE(0));
    case 0xd0:
      return String(d.bytes(4).readInt32LE(0));
    case 0xe0:
      return String(d.bytes(8).readBigInt64LE(0));
    case 0xf0:
      return String(d.bytes(3).readIntLE(0, 3));
    case 0xfe:
      return String(d.bytes(1).readInt8(0));
    default:
      if (first >= 0xf1 && first <= 0xfd) return String((first & 0x0f) - 1);
      return d.fail(`invalid ziplist entry encoding 0x${first.toString(16)}`);
  }
}

/** Reads the members of an intset blob. */
export function readIntset(blob: Buffer, base: number): string[] {
  const d = new RdbDecoder(blob, 0, base);
  const width = d.uint32();
  const count = d.uint32();
  if (width !== 2 && width !== 4 && width !== 8) d.fail(`invalid intset width ${width}`);
  if (count * width !== d.remaining) d.fail('intset size does not match its header');
  const members: string[] = [];
  let previous: bigint | null = null;
  for (let i = 0; i < count; i++) {
    const bytes = d.bytes(width);
    let member: bigint;
    if (width === 2) member = BigInt(bytes.readInt16LE(0));
    else if (width === 4) member = BigInt(bytes.readInt32LE(0));
    else member = bytes.readBigInt64LE(0);
    // Redis keeps an intset sorted, and its binary search relies on it.
    if (previous !== null && member <= previous)
      d.fail('intset members are not in ascending order');
    previous = member;
    members.push(String(member));
  }
  return members;
}

/** A zipmap length byte that means a 4-byte little-endian length follows. */
const ZIPMAP_BIG_LENGTH = 254;
const ZIPMAP_END = 0xff;

/**
 * Reads a zipmap blob (hashes in RDB files before Redis 2.6) as a flat list
 * of fields and values. The blob starts with a count byte (254 when unknown).
 * Each field then has its length and bytes, followed by the value's length,
 * a free-byte count, the value bytes and that many unused bytes. An end
 * byte 0xFF is the last byte.
 */
export function readZipmap(blob: Buffer, base: number): string[] {
  const d = new RdbDecoder(blob, 0, base);
  const declaredCount = d.byte();
  const items: string[] = [];
  for (;;) {
    const fieldLength = zipmapLength(d);
    if (fieldLength < 0) break;
    items.push(d.bytes(fieldLength).toString('latin1'));
    const valueLength = zipmapLength(d);
    if (valueLength < 0) d.fail('zipmap field without a value');
    const free = d.byte();
    items.push(d.bytes(valueLength).toString('latin1'));
    d.bytes(free);
  }
  if (d.remaining !== 0) d.fail('zipmap has bytes after its end marker');
  if (declaredCount < ZIPMAP_BIG_LENGTH && declaredCount * 2 !== items.length) {
    d.fail('zipmap entry count does not match its header');
  }
  return items;
}

/** Reads a zipmap length; returns -1 for the end byte. */
function zipmapLength(d: RdbDecoder): number {
  const first = d.byte();
  if (first === ZIPMAP_END) return -1;
  return first === ZIPMAP_BIG_LENGTH ? d.uint32() : first;
}
