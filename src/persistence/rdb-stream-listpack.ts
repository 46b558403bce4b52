/**
 * Listpacks as streams use them. The writer stores integers, and strings
 * that are canonical 64-bit decimals, in their smallest integer encoding as
 * Redis does. The cursor reads elements one at a time and checks each
 * element's encoding, length and back-length.
 *
 * Layout: a 4-byte little-endian total size, a 2-byte element count (65535
 * when the count does not fit), the elements, and an end byte 0xFF. Each
 * element is an encoding byte (with a length or a small value folded in),
 * its data, and a back-length: the size of the encoding and data, 7 bits
 * per byte, most significant first, every byte but the first with bit 0x80.
 */
import { RdbFormatError } from './rdb-decoder';

const HEADER_SIZE = 6;
const END_BYTE = 0xff;
const UNKNOWN_COUNT = 0xffff;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An element as read: integers as numbers when exact, else as bigints; strings as byte strings. */
export type ListpackElement = string | number | bigint;

/**
 * Returns the integer a string encodes when it is a canonical signed 64-bit
 * decimal (no sign on zero, no leading zeros), or null. Redis stores such
 * strings as integer elements.
 */
export function canonicalInteger(text: string): number | bigint | null {
  const length = text.length;
  if (length === 0 || length > 20) return null;
  const negative = text.charCodeAt(0) === 0x2d;
  const start = negative ? 1 : 0;
  if (start === length) return null;
  const first = text.charCodeAt(start);
  if (first === 0x30) return length === 1 ? 0 : null;
  for (let i = start; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return null;
  }
  if (length <= 15) return Number(text);
  const value = BigInt(text);
  if (value < INT64_MIN || value > INT64_MAX) return null;
  return Number.isSafeInteger(Number(value)) ? Number(value) : value;
}

/** Returns how many bytes the back-length of an element of `size` bytes takes. */
function backlenSize(size: number): number {
  if (size <= 127) return 1;
  if (size < 16383) return 2;
  if (size < 2097151) return 3;
  if (size < 268435455) return 4;
  return 5;
}

export class ListpackWriter {
  #buffer = Buffer.allocUnsafe(8192);
  #length = HEADER_SIZE;
  #count = 0;

  /** Size in bytes of the listpack as it would be finished now, end byte included. */
  get byteLength(): number {
    return this.#length + 1;
  }

  get count(): number {
    return this.#count;
  }

  /** Starts a new, empty listpack. */
  reset(): void {
    this.#length = HEADER_SIZE;
    this.#count = 0;
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes + 1;
    if (needed <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }

  /** Appends a signed 64-bit integer. */
  integer(value: number | bigint): void {
    this.#reserve(9 + 1);
    const b = this.#buffer;
    const at = this.#length;
    let size: number;
    if (typeof value === 'bigint') {
      b[at] = 0xf4;
      b.writeBigInt64LE(value, at + 1);
      size = 9;
    } else if (value >= 0 && value <= 127) {
      b[at] = value;
      size = 1;
    } else if (value >= -4096 && value <= 4095) {
      const bits = value < 0 ? value + 8192 : value;
      b[at] = 0xc0 | (bits >> 8);
      b[at + 1] = bits & 0xff;
      size = 2;
    } else if (value >= -32768 && value <= 32767) {
      b[at] = 0xf1;
      b.writeInt16LE(value, at + 1);
      size = 3;
    } else if (value >= -8388608 && value <= 8388607) {
      b[at] = 0xf2;
      b.writeIntLE(value, at + 1, 3);
      size = 4;
    } else if (value >= -2147483648 && value <= 2147483647) {
      b[at] = 0xf3;
      b.writeInt32LE(value, at + 1);
      size = 5;
    } else {
      b[at] = 0xf4;
      b.writeBigInt64LE(BigInt(value), at + 1);
      size = 9;
    }
    this.#length += size;
    this.#backlen(size);
  }

  /** Appends a byte string, as an integer when it is a canonical 64-bit decimal. */
  string(value: string): void {
    const integer = value.length <= 20 ? canonicalInteger(value) : null;
    if (integer !== null) {
      this.integer(integer);
      return;
    }
    const length = value.length;
    this.#reserve(5 + length + 5);
    const b = this.#buffer;
    let header: number;
    if (length < 64) {
      b[this.#length] = 0x80 | length;
      header = 1;
    } else if (length < 4096) {
      b[this.#length] = 0xe0 | (length >> 8);
      b[this.#length + 1] = length & 0xff;
      header = 2;
    } else {
      b[this.#length] = 0xf0;
      b.writeUInt32LE(length, this.#length + 1);
      header = 5;
    }
    const start = this.#length + header;
    // A loop is faster than a native latin1Write call for the short strings streams mostly hold.
    if (length < 32) {
      for (let i = 0; i < length; i++) b[start + i] = value.charCodeAt(i);
    } else {
      b.latin1Write(value, start);
    }
    this.#length += header + length;
    this.#backlen(header + length);
  }

  #backlen(size: number): void {
    const bytes = backlenSize(size);
    const b = this.#buffer;
    for (let i = bytes - 1; i >= 0; i--) {
      const shift = 7 * (bytes - 1 - i);
      b[this.#length + i] = (Math.floor(size / 2 ** shift) & 0x7f) | (i === 0 ? 0 : 0x80);
    }
    this.#length += bytes;
    this.#count++;
  }

  /**
   * Replaces the first element, which must be an integer from 0 to 127, with
   * another in that range: a header count written before it was known.
   */
  setFirstSmallInteger(value: number): void {
    if (this.#count === 0 || this.#buffer[HEADER_SIZE] > 127 || value < 0 || value > 127) {
      throw new RangeError('the first listpack element is not a small integer');
    }
    this.#buffer[HEADER_SIZE] = value;
  }

  /** Returns a copy of the finished listpack. */
  finish(): Buffer {
    const b = this.#buffer;
    b[this.#length] = END_BYTE;
    const total = this.#length + 1;
    b.writeUInt32LE(total, 0);
    b.writeUInt16LE(Math.min(this.#count, UNKNOWN_COUNT), 4);
    return Buffer.from(b.subarray(0, total));
  }
}

/**
 * Reads a listpack element by element; every read throws RdbFormatError on
 * bad data. It reads the buffer in place, without a Buffer view per element.
 */
export class ListpackCursor {
  readonly #buffer: Buffer;
  readonly #base: number;
  /** Offset of the end byte. */
  readonly #end: number;
  readonly #declaredCount: number;
  #offset = HEADER_SIZE;
  #count = 0;

  constructor(blob: Buffer, base: number) {
    this.#buffer = blob;
    this.#base = base;
    this.#end = blob.length - 1;
    if (blob.length < HEADER_SIZE + 1) this.#failAt('listpack shorter than its header', 0);
    if (blob.readUInt32LE(0) !== blob.length) {
      this.#failAt('listpack size does not match its header', 0);
    }
    if (blob[this.#end] !== END_BYTE) this.#failAt('listpack without end marker', this.#end);
    this.#declaredCount = blob.readUInt16LE(4);
  }

  #failAt(message: string, offset: number): never {
    throw new RdbFormatError(message, this.#base + offset);
  }

  fail(message: string): never {
    return this.#failAt(message, this.#offset);
  }

  /** Whether the cursor is at the end byte. */
  get done(): boolean {
    return this.#offset >= this.#end;
  }

  /** Checks that the cursor is at the end byte and the element count matches the header. */
  finish(): void {
    if (this.#offset !== this.#end) this.fail('listpack has elements past the expected end');
    if (this.#declaredCount !== UNKNOWN_COUNT && this.#declaredCount !== this.#count) {
      this.fail('listpack element count does not match its header');
    }
  }

  next(): ListpackElement {
    if (this.done) this.fail('listpack ended early');
    const start = this.#offset;
    const element = this.#element();
    this.#checkBacklen(this.#offset - start);
    this.#count++;
    return element;
  }

  /** Reads an integer element (a string element is an error). */
  integer(): number | bigint {
    const element = this.next();
    if (typeof element === 'string') this.fail('listpack element is not an integer');
    return element;
  }

  /** Reads a non-negative integer that fits a JavaScript number. */
  count(): number {
    const element = this.integer();
    if (typeof element === 'bigint' || element < 0) this.fail('invalid count in listpack');
    return element;
  }

  /** Reads any element as a byte string (integers in decimal). */
  string(): string {
    const element = this.next();
    return typeof element === 'string' ? element : String(element);
  }

  /** Moves past `size` bytes, checking they lie before the end byte; returns where they start. */
  #take(size: number): number {
    const start = this.#offset;
    if (start + size > this.#end) this.fail('listpack element runs past its end');
    this.#offset = start + size;
    return start;
  }

  #text(length: number): string {
    const start = this.#take(length);
    return this.#buffer.latin1Slice(start, start + length);
  }

  #element(): ListpackElement {
    const b = this.#buffer;
    const first = b[this.#take(1)];
    if (first < 0x80) return first;
    if (first < 0xc0) return this.#text(first & 0x3f);
    if (first < 0xe0) {
      const value = ((first & 0x1f) << 8) | b[this.#take(1)];
      return value >= 4096 ? value - 8192 : value;
    }
    if (first < 0xf0) return this.#text(((first & 0x0f) << 8) | b[this.#take(1)]);
    switch (first) {
      case 0xf0:
        return this.#text(b.readUInt32LE(this.#take(4)));
      case 0xf1:
        return b.readInt16LE(this.#take(2));
      case 0xf2:
        return b.readIntLE(this.#take(3), 3);
      case 0xf3:
        return b.readInt32LE(this.#take(4));
      case 0xf4: {
        const value = b.readBigInt64LE(this.#take(8));
        const exact = Number(value);
        return Number.isSafeInteger(exact) ? exact : value;
      }
      default:
        return this.#failAt(
          `invalid listpack element encoding 0x${first.toString(16)}`,
          this.#offset - 1,
        );
    }
  }

  #checkBacklen(size: number): void {
    const width = backlenSize(size);
    const start = this.#take(width);
    const b = this.#buffer;
    let value = 0;
    for (let i = 0; i < width; i++) {
      // Only the first byte (the last one read when walking backwards) lacks bit 0x80.
      if ((b[start + i] & 0x80) !== (i === 0 ? 0 : 0x80)) value = -1;
      if (value >= 0) value = value * 128 + (b[start + i] & 0x7f);
    }
    if (value !== size) this.fail('listpack element back-length does not match its size');
  }
}
