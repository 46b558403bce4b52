/**
 * Stored values. A Redis string is a JavaScript string holding one byte per
 * character (latin1), or a Buffer once it has been changed in place (SETRANGE,
 * SETBIT, APPEND on a large value). Collections are objects that report their
 * Redis type and encoding.
 */

export type RedisType = 'string' | 'list' | 'hash' | 'set' | 'zset' | 'stream';

export interface CollectionValue {
  readonly type: Exclude<RedisType, 'string'>;
  /** The name OBJECT ENCODING reports (listpack, quicklist, hashtable, ...). */
  encoding(): string;
  /** Number of elements; a collection with none is removed from the keyspace. */
  size(): number;
  /** A deep copy, for COPY. */
  clone(): CollectionValue;
}

export type StringValue = string | Buffer;
export type Value = StringValue | CollectionValue;

export function isString(value: Value): value is StringValue {
  return typeof value === 'string' || value instanceof Buffer;
}

export function typeOf(value: Value): RedisType {
  return isString(value) ? 'string' : value.type;
}

/** Returns the byte string form of a string value. */
export function asBinary(value: StringValue): string {
  return typeof value === 'string' ? value : value.toString('latin1');
}

/** Returns whether a string fits Redis's "int" encoding (a signed 64-bit decimal). */
export function isIntegerEncodable(text: string): boolean {
  if (text.length === 0 || text.length > 20) return false;
  if (!/^-?[1-9]\d*$/.test(text) && text !== '0') return false;
  const value = BigInt(text);
  return value >= -(2n ** 63n) && value <= 2n ** 63n - 1n;
}

/** Redis's string encodings: int, embstr (up to 44 bytes) or raw. */
export function stringEncoding(value: StringValue): string {
  if (typeof value === 'string' && isIntegerEncodable(value)) return 'int';
  return value.length <= 44 && typeof value === 'string' ? 'embstr' : 'raw';
}

/**
 * The most entries a JavaScript Map or Set can hold in V8 (Node.js 20); one
 * more throws a RangeError. Collections check it before adding.
 */
export const MAX_MAP_ENTRIES = 2 ** 24;
