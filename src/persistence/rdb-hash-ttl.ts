/**
 * Hashes whose fields have expiry times (HEXPIRE and its family), in the
 * RDB value types Redis 7.4 added for them. Redis 7.0 has no such types, so a
 * file or DUMP payload holding one loads only into Damselfly or Redis 7.4+.
 * Hashes without field expiry times keep the plain HASH type.
 *
 * Written form (HASH_METADATA): the earliest expiry time as an unsigned
 * 64-bit Unix ms, the field count, then per field its expiry time relative
 * to the earliest one plus 1 (0 for none), its name and its value.
 *
 * NOTE: the layouts follow published descriptions of Redis 7.4's format. No
 * Redis 7.4 server has checked them, so only round trips through Damselfly
 * are tested.
 */
import type { RdbDecoder } from './rdb-decoder';
import { readListpack } from './rdb-decoder';
import type { RdbEncoder } from './rdb-encoder';

export const HASH_TTL_TYPE = {
  /** Redis 7.4 release candidates: absolute expiry times, no base time. */
  metadataPreview: 22,
  listpackPreview: 23,
  metadata: 24,
  /** A listpack of field, value, expiry time (0 for none) triples after a base time. */
  listpack: 25,
} as const;

const NO_EXPIRY = 0;

export interface HashWithExpiries {
  type: 'hash';
  entries: [string, string][];
  /** Expiry time in Unix ms of each field that has one. */
  fieldExpiries?: Map<string, number>;
}

/** Returns whether a value of this type byte is a hash with field expiry times. */
export function isHashTtlType(type: number): boolean {
  return type >= HASH_TTL_TYPE.metadataPreview && type <= HASH_TTL_TYPE.listpack;
}

export function encodeHashWithExpiries(
  encoder: RdbEncoder,
  entries: readonly [string, string][],
  expiries: ReadonlyMap<string, number>,
): void {
  let earliest = Infinity;
  for (const when of expiries.values()) earliest = Math.min(earliest, when);
  encoder.uint64(earliest);
  encoder.length(entries.length);
  for (const [field, value] of entries) {
    const when = expiries.get(field);
    encoder.length(when === undefined ? NO_EXPIRY : when - earliest + 1);
    encoder.string(field);
    encoder.string(value);
  }
}

export function decodeHashWithExpiries(d: RdbDecoder, type: number): HashWithExpiries {
  if (type === HASH_TTL_TYPE.listpack || type === HASH_TTL_TYPE.listpackPreview) {
    return decodeListpackForm(d, type === HASH_TTL_TYPE.listpack);
  }
  const base = type === HASH_TTL_TYPE.metadata ? d.uint64() - 1 : 0;
  const count = d.length();
  const entries: [string, string][] = [];
  const fieldExpiries = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const stored = d.length();
    const field = d.string();
    entries.push([field, d.string()]);
    if (stored !== NO_EXPIRY) fieldExpiries.set(field, stored + base);
  }
  checkUniqueFields(d, entries);
  return { type: 'hash', entries, fieldExpiries };
}

function decodeListpackForm(d: RdbDecoder, withBase: boolean): HashWithExpiries {
  if (withBase) d.uint64();
  const blobBase = d.base + d.offset;
  const items = readListpack(d.stringBuffer(), blobBase);
  if (items.length % 3 !== 0) d.fail('hash listpack with expiry times is not in triples');
  const entries: [string, string][] = [];
  const fieldExpiries = new Map<string, number>();
  for (let i = 0; i < items.length; i += 3) {
    entries.push([items[i], items[i + 1]]);
    const when = Number(items[i + 2]);
    if (!Number.isSafeInteger(when) || when < 0) d.fail('invalid hash field expiry time');
    if (when !== NO_EXPIRY) fieldExpiries.set(items[i], when);
  }
  checkUniqueFields(d, entries);
  return { type: 'hash', entries, fieldExpiries };
}

function checkUniqueFields(d: RdbDecoder, entries: readonly [string, string][]): void {
  const fields = new Set<string>();
  for (const [field] of entries) fields.add(field);
  if (fields.size !== entries.length) d.fail('duplicate hash field');
}
