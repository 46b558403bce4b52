/**
 * Converts values to and from their RDB form. Values cross this boundary as
 * `PlainValue`s (arrays of byte strings), so the file format does not depend
 * on how the keyspace stores each type in memory.
 *
 * Written forms, all of which Redis 7.0 loads: strings as strings, lists as
 * quicklist 2 with listpack nodes, hashes, sets and sorted sets in their
 * plain forms (HASH, SET, ZSET_2), streams as STREAM_LISTPACKS_2. Every
 * form Redis 7 writes can be read. The exception: a hash with field expiry
 * times is written as Redis 7.4's HASH_METADATA, which Redis 7.0 rejects.
 */
import { RdbDecoder, readIntset, readListpack, readZiplist, readZipmap } from './rdb-decoder';
import { RdbEncoder, TYPE } from './rdb-encoder';
import { decodeStream, encodeStream } from './rdb-stream';
import type { PlainStream } from './plain-stream';
import { toDouble } from '../commands/arguments';
import {
  decodeHashWithExpiries,
  encodeHashWithExpiries,
  HASH_TTL_TYPE,
  isHashTtlType,
  type HashWithExpiries,
} from './rdb-hash-ttl';

export type PlainValue =
  | { type: 'string'; value: string | Buffer }
  | { type: 'list'; elements: string[] }
  | HashWithExpiries
  | { type: 'set'; members: string[] }
  | { type: 'zset'; entries: [string, number][] }
  | PlainStream;

/** Elements per listpack node when writing lists, about Redis's default node size. */
const LIST_NODE_ENTRIES = 128;
const QUICKLIST_NODE_PACKED = 2;
const QUICKLIST_NODE_PLAIN = 1;

function hasFieldExpiries(
  value: HashWithExpiries,
): value is HashWithExpiries & { fieldExpiries: Map<string, number> } {
  return value.fieldExpiries !== undefined && value.fieldExpiries.size > 0;
}

/** Returns the RDB type byte a value is written with. */
export function typeByteOf(value: PlainValue): number {
  switch (value.type) {
    case 'string':
      return TYPE.string;
    case 'list':
      return TYPE.listQuicklist2;
    case 'hash':
      return hasFieldExpiries(value) ? HASH_TTL_TYPE.metadata : TYPE.hash;
    case 'set':
      return TYPE.set;
    case 'zset':
      return TYPE.zset2;
    case 'stream':
      return TYPE.streamListpacks2;
  }
}

/** Writes the type byte and the payload of a value (the DUMP layout). */
export function encodeValue(encoder: RdbEncoder, value: PlainValue): void {
  encoder.byte(typeByteOf(value));
  encodePayload(encoder, value);
}

/** Writes a value's payload, without its type byte. */
export function encodePayload(encoder: RdbEncoder, value: PlainValue): void {
  switch (value.type) {
    case 'string':
      encoder.string(value.value);
      return;
    case 'list':
      encodeList(encoder, value.elements);
      return;
    case 'hash':
      if (hasFieldExpiries(value)) {
        encodeHashWithExpiries(encoder, value.entries, value.fieldExpiries);
        return;
      }
      encoder.length(value.entries.length);
      for (const [field, fieldValue] of value.entries) {
        encoder.string(field);
        encoder.string(fieldValue);
      }
      return;
    case 'set':
      encoder.length(value.members.length);
      for (const member of value.members) encoder.string(member);
      return;
    case 'zset':
      encoder.length(value.entries.length);
      for (const [member, score] of value.entries) {
        encoder.string(member);
        encoder.binaryDouble(score);
      }
      return;
    case 'stream':
      encodeStream(encoder, value);
      return;
  }
}

function encodeList(encoder: RdbEncoder, elements: string[]): void {
  const nodes = Math.ceil(elements.length / LIST_NODE_ENTRIES);
  encoder.length(nodes);
  for (let start = 0; start < elements.length; start += LIST_NODE_ENTRIES) {
    encoder.length(QUICKLIST_NODE_PACKED);
    encoder.string(encodeListpack(elements.slice(start, start + LIST_NODE_ENTRIES)));
  }
}

/** Builds a listpack holding every entry as a string. */
export function encodeListpack(entries: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  let size = 6 + 1;
  for (const entry of entries) {
    const part = listpackStringEntry(entry);
    parts.push(part);
    size += part.length;
  }
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(size, 0);
  out.writeUInt16LE(Math.min(entries.length, 0xffff), 4);
  let offset = 6;
  for (const part of parts) offset += part.copy(out, offset);
  out[offset] = 0xff;
  return out;
}

function listpackStringEntry(entry: string): Buffer {
  const length = entry.length;
  let header: number[];
  if (length < 64) header = [0x80 | length];
  else if (length < 4096) header = [0xe0 | (length >> 8), length & 0xff];
  else header = [0xf0, length & 0xff, (length >> 8) & 0xff, (length >> 16) & 0xff, length >>> 24];
  const entryLength = header.length + length;
  const backlen = encodeBacklen(entryLength);
  const out = Buffer.allocUnsafe(entryLength + backlen.length);
  Buffer.from(header).copy(out, 0);
  out.latin1Write(entry, header.length);
  backlen.copy(out, entryLength);
  return out;
}

/** Encodes the back-length of a listpack entry: 7 bits per byte, most significant first. */
function encodeBacklen(length: number): Buffer {
  const bytes: number[] = [];
  let rest = length;
  do {
    bytes.unshift(rest & 0x7f);
    rest = Math.floor(rest / 128);
  } while (rest > 0);
  for (let i = 1; i < bytes.length; i++) bytes[i] |= 0x80;
  return Buffer.from(bytes);
}

/** Reads a value of the given type byte. */
export function decodeValue(d: RdbDecoder, type: number): PlainValue {
  switch (type) {
    case TYPE.string:
      return { type: 'string', value: d.string() };
    case TYPE.list:
      return { type: 'list', elements: readStrings(d, d.length()) };
    case TYPE.listZiplist:
      return { type: 'list', elements: nested(d, readZiplist) };
    case TYPE.listQuicklist:
      return { type: 'list', elements: readQuicklist(d, false) };
    case TYPE.listQuicklist2:
      return { type: 'list', elements: readQuicklist(d, true) };
    case TYPE.set:
      return { type: 'set', members: uniqueMembers(d, readStrings(d, d.length())) };
    case TYPE.setIntset:
      return { type: 'set', members: nested(d, readIntset) };
    case TYPE.setListpack:
      return { type: 'set', members: uniqueMembers(d, nested(d, readListpack)) };
    case TYPE.hash:
      return { type: 'hash', entries: pairs(d, readStrings(d, d.length() * 2)) };
    case TYPE.hashZiplist:
      return { type: 'hash', entries: pairs(d, nested(d, readZiplist)) };
    case TYPE.hashListpack:
      return { type: 'hash', entries: pairs(d, nested(d, readListpack)) };
    case TYPE.hashZipmap:
      return { type: 'hash', entries: pairs(d, nested(d, readZipmap)) };
    case TYPE.zset:
    case TYPE.zset2:
      return { type: 'zset', entries: uniqueScored(d, readScores(d, type === TYPE.zset2)) };
    case TYPE.zsetZiplist:
      return { type: 'zset', entries: uniqueScored(d, scorePairs(d, nested(d, readZiplist))) };
    case TYPE.zsetListpack:
      return { type: 'zset', entries: uniqueScored(d, scorePairs(d, nested(d, readListpack))) };
    case TYPE.streamListpacks:
    case TYPE.streamListpacks2:
    case TYPE.streamListpacks3:
      return decodeStream(d, type);
    default:
      if (isHashTtlType(type)) return decodeHashWithExpiries(d, type);
      return d.fail(`unsupported value type ${type}`);
  }
}

function readStrings(d: RdbDecoder, count: number): string[] {
  const values: string[] = [];
  for (let i = 0; i < count; i++) values.push(d.string());
  return values;
}

/** Reads a string that contains a compact encoding and parses it. */
function nested(d: RdbDecoder, parse: (blob: Buffer, base: number) => string[]): string[] {
  const base = d.base + d.offset;
  return parse(d.stringView(), base);
}

function readQuicklist(d: RdbDecoder, version2: boolean): string[] {
  const nodes = d.length();
  const elements: string[] = [];
  for (let i = 0; i < nodes; i++) {
    const container = version2 ? d.length() : QUICKLIST_NODE_PACKED;
    if (container === QUICKLIST_NODE_PLAIN) {
      elements.push(d.string());
      continue;
    }
    if (container !== QUICKLIST_NODE_PACKED) d.fail(`invalid quicklist node type ${container}`);
    for (const element of nested(d, version2 ? readListpack : readZiplist)) elements.push(element);
  }
  return elements;
}

/** Checks that no set member appears twice, which Redis rejects as bad data. */
function uniqueMembers(d: RdbDecoder, members: string[]): string[] {
  if (new Set(members).size !== members.length) d.fail('duplicate set member');
  return members;
}

/** Pairs up hash fields and values. An odd count or a repeated field is bad data. */
function pairs(d: RdbDecoder, flat: string[]): [string, string][] {
  if (flat.length % 2 !== 0) d.fail('hash has a field without a value');
  const result: [string, string][] = [];
  const fields = new Set<string>();
  for (let i = 0; i < flat.length; i += 2) {
    fields.add(flat[i]);
    result.push([flat[i], flat[i + 1]]);
  }
  if (fields.size !== result.length) d.fail('duplicate hash field');
  return result;
}

/** Checks that no sorted set member appears twice, which Redis rejects as bad data. */
function uniqueScored(d: RdbDecoder, entries: [string, number][]): [string, number][] {
  const members = new Set<string>();
  for (const [member] of entries) members.add(member);
  if (members.size !== entries.length) d.fail('duplicate sorted set member');
  return entries;
}

/**
 * Returns whether a decoded value is an empty list, set, hash or sorted set.
 * Redis 7.0 never stores one, so RESTORE rejects it as bad data and a
 * snapshot load skips the key.
 */
export function isEmptyValue(value: PlainValue): boolean {
  switch (value.type) {
    case 'list':
      return value.elements.length === 0;
    case 'set':
      return value.members.length === 0;
    case 'hash':
    case 'zset':
      return value.entries.length === 0;
    default:
      return false;
  }
}

function readScores(d: RdbDecoder, binary: boolean): [string, number][] {
  const count = d.length();
  const entries: [string, number][] = [];
  for (let i = 0; i < count; i++) {
    const member = d.string();
    const score = binary ? d.binaryDouble() : d.textDouble();
    if (Number.isNaN(score)) d.fail('sorted set score is not a number');
    entries.push([member, score]);
  }
  return entries;
}

/**
 * Pairs up members and scores of a ziplist or listpack sorted set.
 * NOTE: Redis 7.0 accepts a score such as "nan" here and stores it, but a
 * score that is not a number is rejected as bad data here.
 */
function scorePairs(d: RdbDecoder, flat: string[]): [string, number][] {
  if (flat.length % 2 !== 0) d.fail('sorted set listpack has an odd number of entries');
  const entries: [string, number][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const score = toDouble(flat[i + 1]);
    if (score === null) d.fail('sorted set score is not a number');
    entries.push([flat[i], score]);
  }
  return entries;
}
