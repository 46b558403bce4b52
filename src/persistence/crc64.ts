/**
 * CRC-64 with the Jones polynomial (0xad93d23594c935a9, reflected, initial
 * value 0, no final XOR): the checksum Redis puts at the end of RDB files and
 * DUMP payloads. The 64-bit state is kept as two 32-bit halves so the
 * table-driven loop stays in fast integer arithmetic.
 */

/** The polynomial with its bits reversed, for the reflected (LSB-first) algorithm. */
const REFLECTED_POLY = 0x95ac9329ac4bc9b5n;

/**
 * Eight tables, for eight bytes per step ("slicing by 8"): table k gives the
 * CRC contribution of a byte followed by k zero bytes. Each is stored as
 * low and high 32-bit halves, 256 entries per table.
 */
const SLICES = 8;
const TABLES_LOW = new Uint32Array(256 * SLICES);
const TABLES_HIGH = new Uint32Array(256 * SLICES);

for (let i = 0; i < 256; i++) {
  let crc = BigInt(i);
  for (let bit = 0; bit < 8; bit++) {
    crc = crc & 1n ? (crc >> 1n) ^ REFLECTED_POLY : crc >> 1n;
  }
  TABLES_LOW[i] = Number(crc & 0xffffffffn);
  TABLES_HIGH[i] = Number(crc >> 32n);
}
for (let k = 1; k < SLICES; k++) {
  for (let i = 0; i < 256; i++) {
    const low = TABLES_LOW[(k - 1) * 256 + i];
    const high = TABLES_HIGH[(k - 1) * 256 + i];
    const index = low & 0xff;
    TABLES_LOW[k * 256 + i] = ((low >>> 8) | ((high & 0xff) << 24)) ^ TABLES_LOW[index];
    TABLES_HIGH[k * 256 + i] = (high >>> 8) ^ TABLES_HIGH[index];
  }
}

/** A running CRC-64 over any number of chunks. */
export class Crc64 {
  #low = 0;
  #high = 0;

  update(bytes: Uint8Array): this {
    const length = bytes.length;
    const whole = length - (length % SLICES);
    let low = this.#low;
    let high = this.#high;
    for (let i = 0; i < whole; i += SLICES) {
      low ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
      high ^= bytes[i + 4] | (bytes[i + 5] << 8) | (bytes[i + 6] << 16) | (bytes[i + 7] << 24);
      const l0 = 7 * 256 + (low & 0xff);
      const l1 = 6 * 256 + ((low >>> 8) & 0xff);
      const l2 = 5 * 256 + ((low >>> 16) & 0xff);
      const l3 = 4 * 256 + (low >>> 24);
      const h0 = 3 * 256 + (high & 0xff);
      const h1 = 2 * 256 + ((high >>> 8) & 0xff);
      const h2 = 256 + ((high >>> 16) & 0xff);
      const h3 = high >>> 24;
      low =
        TABLES_LOW[l0] ^
        TABLES_LOW[l1] ^
        TABLES_LOW[l2] ^
        TABLES_LOW[l3] ^
        TABLES_LOW[h0] ^
        TABLES_LOW[h1] ^
        TABLES_LOW[h2] ^
        TABLES_LOW[h3];
      high =
        TABLES_HIGH[l0] ^
        TABLES_HIGH[l1] ^
        TABLES_HIGH[l2] ^
        TABLES_HIGH[l3] ^
        TABLES_HIGH[h0] ^
        TABLES_HIGH[h1] ^
        TABLES_HIGH[h2] ^
        TABLES_HIGH[h3];
    }
    for (let i = whole; i < length; i++) {
      const index = (low ^ bytes[i]) & 0xff;
      low = ((low >>> 8) | ((high & 0xff) << 24)) ^ TABLES_LOW[index];
      high = (high >>> 8) ^ TABLES_HIGH[index];
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
