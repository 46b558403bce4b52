/**
 * The RDB file layout: "REDIS" and a 4-digit version, auxiliary fields, the
 * source code of each function library, then per database a SELECTDB and RESIZEDB opcode followed by its keys (each with
 * an optional expiry opcode), then EOF and a CRC-64 of everything before it.
 */
import { crc64 } from './crc64';
import { RdbDecoder, RdbFormatError } from './rdb-decoder';
import { OPCODE, RDB_VERSION, RdbEncoder, TYPE } from './rdb-encoder';
import {
  decodeValue,
  encodePayload,
  isEmptyValue,
  typeByteOf,
  type PlainValue,
} from './rdb-values';

/** Newest RDB version this reader understands (Redis 7.2 writes 11). */
export const MAX_READABLE_VERSION = 11;

export function encodeHeader(
  encoder: RdbEncoder,
  aux: readonly [string, string][],
  libraries: readonly string[] = [],
): void {
  encoder.raw(Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`, 'latin1'));
  for (const [name, value] of aux) {
    encoder.byte(OPCODE.aux);
    encoder.string(name);
    encoder.string(value);
  }
  for (const code of libraries) {
    encoder.byte(OPCODE.function2);
    encoder.string(code);
  }
}

/** Selects a database; `sizes`, the first time, tells the loader how big it is. */
export function encodeSelectDb(
  encoder: RdbEncoder,
  index: number,
  sizes: { keys: number; expires: number } | null,
): void {
  encoder.byte(OPCODE.selectDb);
  encoder.length(index);
  if (sizes === null) return;
  encoder.byte(OPCODE.resizeDb);
  encoder.length(sizes.keys);
  encoder.length(sizes.expires);
}

/** Writes one key: its expiry (absolute Unix ms, -1 for none), type, name and value. */
export function encodeEntry(
  encoder: RdbEncoder,
  key: string,
  value: PlainValue,
  expiresAt: number,
): void {
  if (expiresAt >= 0) {
    encoder.byte(OPCODE.expireTimeMs);
    encoder.uint64(expiresAt);
  }
  encoder.byte(typeByteOf(value));
  encoder.string(key);
  encodePayload(encoder, value);
}

/** Writes a string key like encodeEntry, without building a PlainValue for it. */
export function encodeStringEntry(
  encoder: RdbEncoder,
  key: string,
  value: string | Buffer,
  expiresAt: number,
): void {
  if (expiresAt >= 0) {
    encoder.byte(OPCODE.expireTimeMs);
    encoder.uint64(expiresAt);
  }
  encoder.byte(TYPE.string);
  encoder.string(key);
  encoder.string(value);
}

export function encodeEof(encoder: RdbEncoder): void {
  encoder.byte(OPCODE.eof);
}

/** Builds a whole RDB file in memory: used for DEBUG RELOAD-sized data and tests. */
export function buildRdb(
  aux: readonly [string, string][],
  databases: readonly { index: number; entries: [string, PlainValue, number][] }[],
  libraries: readonly string[] = [],
): Buffer {
  const encoder = new RdbEncoder();
  encodeHeader(encoder, aux, libraries);
  for (const db of databases) {
    if (db.entries.length === 0) continue;
    const expires = db.entries.filter((entry) => entry[2] >= 0).length;
    encodeSelectDb(encoder, db.index, { keys: db.entries.length, expires });
    for (const [key, value, expiresAt] of db.entries) encodeEntry(encoder, key, value, expiresAt);
  }
  encodeEof(encoder);
  const body = encoder.take();
  const checksum = Buffer.alloc(8);
  checksum.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, checksum]);
}

export interface LoadedEntry {
  dbIndex: number;
  key: string;
  value: PlainValue;
  /** Absolute expiry in Unix ms, or -1. */
  expiresAt: number;
}

/**
 * Reads an RDB file entry by entry, so loading can pause between slices.
 * Construction checks the header; `next()` returns entries until EOF, then
 * verifies the checksum.
 */
export class RdbReader {
  readonly version: number;
  readonly aux = new Map<string, string>();
  /** Source code of the function libraries the file contains, in file order. */
  readonly libraries: string[] = [];
  /** Keys left out because their value was an empty list, set, hash or sorted set. */
  emptyKeysSkipped = 0;
  #decoder: RdbDecoder;
  #dbIndex = 0;
  #done = false;

  constructor(file: Buffer) {
    this.#decoder = new RdbDecoder(file);
    const magic = file.subarray(0, 5).toString('latin1');
    if (magic !== 'REDIS' || file.length < 9) throw new RdbFormatError('not an RDB file', 0);
    const version = Number(file.subarray(5, 9).toString('latin1'));
    if (!Number.isInteger(version) || version < 1)
      throw new RdbFormatError('invalid RDB version', 5);
    if (version > MAX_READABLE_VERSION) {
      throw new RdbFormatError(
        `RDB version ${version} is newer than supported (${MAX_READABLE_VERSION})`,
        5,
      );
    }
    this.version = version;
    this.#decoder.offset = 9;
  }

  get offset(): number {
    return this.#decoder.offset;
  }

  get size(): number {
    return this.#decoder.buffer.length;
  }

  /** Returns the next key, or null at the end of the file (after checking the checksum). */
  next(): LoadedEntry | null {
    const d = this.#decoder;
    let expiresAt = -1;
    while (!this.#done) {
      const opcode = d.byte();
      switch (opcode) {
        case OPCODE.eof:
          this.#finish();
          return null;
        case OPCODE.selectDb:
          this.#dbIndex = d.length();
          continue;
        case OPCODE.resizeDb:
          d.length();
          d.length();
          continue;
        case OPCODE.aux:
          this.aux.set(d.string(), d.string());
          continue;
        case OPCODE.expireTimeMs:
          expiresAt = d.uint64();
          continue;
        case OPCODE.expireTime:
          expiresAt = d.uint32() * 1000;
          continue;
        case OPCODE.idle:
          d.length();
          continue;
        case OPCODE.freq:
          d.byte();
          continue;
        case OPCODE.function2:
          this.libraries.push(d.string());
          continue;
        case OPCODE.moduleAux:
          return d.fail(`unsupported RDB opcode 0x${opcode.toString(16)} (module data)`);
        default: {
          const key = d.string();
          const value = decodeValue(d, opcode);
          if (isEmptyValue(value)) {
            // Redis skips such keys too: older Redis versions could save them.
            this.emptyKeysSkipped++;
            expiresAt = -1;
            continue;
          }
          return { dbIndex: this.#dbIndex, key, value, expiresAt };
        }
      }
    }
    return null;
  }

  #finish(): void {
    this.#done = true;
    const d = this.#decoder;
    if (this.version < 5) return;
    const end = d.offset;
    const stored = d.bytes(8).readBigUInt64LE(0);
    if (stored === 0n) return;
    const actual = crc64(d.buffer.subarray(0, end));
    if (actual !== stored) throw new RdbFormatError('checksum mismatch', end);
  }
}
