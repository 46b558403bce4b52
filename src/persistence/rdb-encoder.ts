/**
 * Writes the building blocks of Redis's RDB format (lengths, strings,
 * doubles, opcodes) into a growing buffer. Multi-byte numbers are
 * little-endian except the 32- and 64-bit length forms, which are big-endian.
 */
import { lzfCompress } from './lzf';

export const RDB_VERSION = 10;

export const OPCODE = {
  function2: 0xf5,
  moduleAux: 0xf7,
  idle: 0xf8,
  freq: 0xf9,
  aux: 0xfa,
  resizeDb: 0xfb,
  expireTimeMs: 0xfc,
  expireTime: 0xfd,
  selectDb: 0xfe,
  eof: 0xff,
} as const;

export const TYPE = {
  string: 0,
  list: 1,
  set: 2,
  zset: 3,
  hash: 4,
  zset2: 5,
  module: 6,
  module2: 7,
  hashZipmap: 9,
  listZiplist: 10,
  setIntset: 11,
  zsetZiplist: 12,
  hashZiplist: 13,
  listQuicklist: 14,
  streamListpacks: 15,
  hashListpack: 16,
  zsetListpack: 17,
  listQuicklist2: 18,
  streamListpacks2: 19,
  setListpack: 20,
  streamListpacks3: 21,
} as const;

/** Special string encodings after a length byte of the form 11xxxxxx. */
export const STRING_ENCODING = { int8: 0, int16: 1, int32: 2, lzf: 3 } as const;

/** Strings longer than this are tried with LZF, as Redis does. */
const COMPRESS_MIN_LENGTH = 20;

export class RdbEncoder {
  #buffer: Buffer;
  #length = 0;
  compress: boolean;

  constructor(compress = true, initialSize = 64 * 1024) {
    this.#buffer = Buffer.allocUnsafe(initialSize);
    this.compress = compress;
  }

  get size(): number {
    return this.#length;
  }

  /** Returns the bytes written so far and starts over. */
  take(): Buffer {
    const bytes = Buffer.from(this.#buffer.subarray(0, this.#length));
    this.#length = 0;
    return bytes;
  }

  /**
   * Continues writing into `next` and returns the buffer written so far,
   * whose first `size` bytes (read before the call) are the output. Unlike
   * `take`, nothing is copied.
   */
  swap(next: Buffer): Buffer {
    const written = this.#buffer;
    this.#buffer = next;
    this.#length = 0;
    return written;
  }

  /** Returns a view of the bytes written from `start` on, valid until the next write. */
  view(start: number): Buffer {
    return this.#buffer.subarray(start, this.#length);
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }

  byte(value: number): void {
    this.#reserve(1);
    this.#buffer[this.#length++] = value;
  }

  raw(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** Writes a length in the 6-, 14-, 32- or 64-bit form. */
  length(value: number): void {
    this.#reserve(9);
    const b = this.#buffer;
    if (value < 1 << 6) {
      b[this.#length++] = value;
    } else if (value < 1 << 14) {
      b[this.#length++] = 0x40 | (value >> 8);
      b[this.#length++] = value & 0xff;
    } else if (value <= 0xffffffff) {
      b[this.#length++] = 0x80;
      b.writeUInt32BE(value, this.#length);
      this.#length += 4;
    } else {
      b[this.#length++] = 0x81;
      b.writeBigUInt64BE(BigInt(value), this.#length);
      this.#length += 8;
    }
  }

  /** Writes a length of up to 64 bits (stream IDs and counters). */
  length64(value: bigint): void {
    if (value <= 0xffffffffn) {
      this.length(Number(value));
      return;
    }
    this.#reserve(9);
    this.#buffer[this.#length++] = 0x81;
    this.#buffer.writeBigUInt64BE(value, this.#length);
    this.#length += 8;
  }

  /** Writes a byte string: as an integer when it is one, LZF-compressed when that is smaller. */
  string(value: string | Buffer): void {
    if (value.length <= 11 && typeof value === 'string' && this.#integerString(value)) return;
    if (typeof value === 'string' && (!this.compress || value.length <= COMPRESS_MIN_LENGTH)) {
      // Short strings go straight into the buffer, with no Buffer allocated per string.
      this.length(value.length);
      this.#reserve(value.length);
      this.#length += this.#buffer.latin1Write(value, this.#length);
      return;
    }
    const bytes = typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
    if (this.compress && bytes.length > COMPRESS_MIN_LENGTH) {
      const compressed = lzfCompress(bytes);
      if (compressed !== null) {
        this.byte(0xc0 | STRING_ENCODING.lzf);
        this.length(compressed.length);
        this.length(bytes.length);
        this.raw(compressed);
        return;
      }
    }
    this.length(bytes.length);
    this.raw(bytes);
  }

  /** Writes a canonical decimal that fits 32 bits in Redis's integer form; false if it does not. */
  #integerString(value: string): boolean {
    const first = value.charCodeAt(0);
    if (value.length === 0 || (first !== 0x2d && (first < 0x30 || first > 0x39))) return false;
    if (!/^(0|-?[1-9]\d*)$/.test(value)) return false;
    const number = Number(value);
    if (number >= -128 && number <= 127) {
      this.byte(0xc0 | STRING_ENCODING.int8);
      this.byte(number & 0xff);
    } else if (number >= -32768 && number <= 32767) {
      this.byte(0xc0 | STRING_ENCODING.int16);
      this.#reserve(2);
      this.#buffer.writeInt16LE(number, this.#length);
      this.#length += 2;
    } else if (number >= -2147483648 && number <= 2147483647) {
      this.byte(0xc0 | STRING_ENCODING.int32);
      this.#reserve(4);
      this.#buffer.writeInt32LE(number, this.#length);
      this.#length += 4;
    } else {
      return false;
    }
    return true;
  }

  /** A double as 8 little-endian bytes (ZSET_2 scores). */
  binaryDouble(value: number): void {
    this.#reserve(8);
    this.#buffer.writeDoubleLE(value, this.#length);
    this.#length += 8;
  }

  uint64(value: number): void {
    this.#reserve(8);
    this.#buffer.writeBigUInt64LE(BigInt(value), this.#length);
    this.#length += 8;
  }

  /** Writes a signed 64-bit little-endian millisecond time, as Redis writes stream times. */
  int64(value: number): void {
    this.#reserve(8);
    this.#buffer.writeBigInt64LE(BigInt(value), this.#length);
    this.#length += 8;
  }

  uint32(value: number): void {
    this.#reserve(4);
    this.#buffer.writeUInt32LE(value, this.#length);
    this.#length += 4;
  }
}
