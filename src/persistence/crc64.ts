/**
 * CRC-64 with the Jones polynomial (0xad93d23594c935a9, reflected, initial
 * value 0, no final XOR): the checksum Redis puts at the end of RDB files and
 * DUMP payloads. The 64-bit state is kept as two 32-bit halves so the
 * table-driven loop stays in fast integer arithmetic.
 */

const TABLE_LOW = new Uint32Array(256);
const TABLE_HIGH = new Uint32Array(256);

/** The polynomial with its bits reversed, for the reflected (LSB-first) algorithm. */
const REFLECTED_POLY = 0x95ac9329ac4bc9b5n;

for (let i = 0; i < 256; i++) {
  let crc = BigInt(i);
  for (let bit = 0; bit < 8; bit++) {
    crc = crc & 1n ? (crc >> 1n) ^ REFLECTED_POLY : crc >> 1n;
  }
  TABLE_LOW[i] = Number(crc & 0xffffffffn);
  TABLE_HIGH[i] = Number(crc >> 32n);
}

/** A running CRC-64 over any number of chunks. */
export class Crc64 {
  #low = 0;
  #high = 0;

  update(bytes: Uint8Array): this {
    let low = this.#low;
    let high = this.#high;
    for (let i = 0; i < bytes.length; i++) {
      const index = (low ^ bytes[i]) & 0xff;
      low = ((low >>> 8) | ((high & 0xff) << 24)) ^ TABLE_LOW[index];
      high = (high >>> 8) ^ TABLE_HIGH[index];
    }
    this.#low = low >>> 0;
    this.#high = high >>> 0;
    return this;
  }

  /** The checksum as 8 little-endian bytes, as Redis stores it. */
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32LE(this.#low, 0);
    out.writeUInt32LE(this.#high, 4);
    return out;
  }

  value(): bigint {
    return (BigInt(this.#high) << 32n) | BigInt(this.#low);
  }
}

export function crc64(bytes: Uint8Array): bigint {
  return new Crc64().update(bytes).value();
}
