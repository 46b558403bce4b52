/**
 * Bitmap commands on string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
 * and the table rows of BITFIELD and BITFIELD_RO (in string-bitfield.ts).
 * Bit 0 is the most significant bit of the first byte, as in Redis.
 */
import {
  command,
  type RegisteredCommand,
  KEYS_READ,
  KEYS_READ_AND_UPDATED,
  DESTINATION_THEN_SOURCES,
  type KeyFlagList,
} from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import type { StringValue } from '../store/types';
import { isOption, parseInteger, toInteger } from './arguments';
import { readString } from './lookup';
import { parseBitOffset, growForBits } from './string-bits';
import { bitfield, bitfieldRo } from './string-bitfield';
import { byteAt } from './string-bytes';
import { notifyGeneric, notifyNewKey, notifyString } from './string-events';

/** Number of set bits in each byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/**
 * SETBIT key offset 0|1: the previous bit. Grows the value with zero bytes
 * to reach the offset. Counts a change and sends 'setbit' only when the
 * string grew or the bit changed, as Redis 7.0 does.
 */
function setbit(client: Client, args: string[]): void {
  const key = args[1];
  const offset = parseBitOffset(client.server, args[2]);
  const bit = toInteger(args[3]);
  if (bit !== 0 && bit !== 1) throw new CommandError(ERR.bitValue);
  const grown = growForBits(client, key, offset);
  const bytes = grown.bytes;
  const index = Math.floor(offset / 8);
  const mask = 1 << (7 - (offset % 8));
  const old = (bytes[index] & mask) === 0 ? 0 : 1;
  if (grown.changed || old !== bit) {
    bytes[index] = bit === 1 ? bytes[index] | mask : bytes[index] & ~mask;
    notifyString(client, 'setbit', key);
    client.server.dirty++;
  }
  client.reply.int(old);
}

/** GETBIT key offset: the bit at offset, 0 past the end or for a missing key. */
function getbit(client: Client, args: string[]): void {
  const offset = parseBitOffset(client.server, args[2]);
  const value = readString(client, args[1]);
  if (value === undefined) {
    client.reply.int(0);
    return;
  }
  const byte = byteAt(value, Math.floor(offset / 8));
  client.reply.int((byte >> (7 - (offset % 8))) & 1);
}

/** An inclusive range of bits, already clamped to the string. */
interface BitRange {
  first: number;
  last: number;
}

/**
 * Converts start/end arguments to a bit range as BITCOUNT and BITPOS do:
 * negative values count from the end, then both are clamped to the string.
 * Returns null when the range is empty.
 */
function clampRange(start: number, end: number, length: number, inBits: boolean): BitRange | null {
  const total = inBits ? length * 8 : length;
  if (start < 0) start = Math.max(total + start, 0);
  if (end < 0) end = Math.max(total + end, 0);
  end = Math.min(end, total - 1);
  if (start > end) return null;
  return inBits ? { first: start, last: end } : { first: start * 8, last: end * 8 + 7 };
}

/** Reads an optional BYTE|BIT argument at `index`; true means bit offsets. */
function parseUnit(args: string[], index: number): boolean {
  if (index >= args.length || isOption(args[index], 'BYTE')) return false;
  if (isOption(args[index], 'BIT')) return true;
  throw new CommandError(ERR.syntax);
}

/** Returns the mask of the bits of byte `index` that lie inside the range (bit 0 is 0x80). */
function insideMask(index: number, range: BitRange): number {
  const low = index * 8;
  let mask = 0xff;
  if (range.first > low) mask &= 0xff >> (range.first - low);
  if (range.last < low + 7) mask &= (0xff << (low + 7 - range.last)) & 0xff;
  return mask;
}

function maskedByte(value: StringValue, index: number, range: BitRange): number {
  return byteAt(value, index) & insideMask(index, range);
}

function countBits(value: StringValue, range: BitRange): number {
  const firstByte = Math.floor(range.first / 8);
  const lastByte = Math.floor(range.last / 8);
  let count = POPCOUNT[maskedByte(value, firstByte, range)];
  if (lastByte === firstByte) return count;
  count += POPCOUNT[maskedByte(value, lastByte, range)];
  if (typeof value === 'string') {
    for (let i = firstByte + 1; i < lastByte; i++) count += POPCOUNT[value.charCodeAt(i)];
  } else {
    count += countBufferBits(value, firstByte + 1, lastByte);
  }
  return count;
}

/** Counts the set bits of bytes [start, end), four bytes at a time where aligned. */
function countBufferBits(buffer: Buffer, start: number, end: number): number {
  let count = 0;
  let i = start;
  while (i < end && (buffer.byteOffset + i) % 4 !== 0) count += POPCOUNT[buffer[i++]];
  const words = Math.floor((end - i) / 4);
  if (words > 0) {
    const view = new Uint32Array(buffer.buffer, buffer.byteOffset + i, words);
    for (let w = 0; w < words; w++) {
      let x = view[w];
      x -= (x >>> 1) & 0x55555555;
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      x = (x + (x >>> 4)) & 0x0f0f0f0f;
      count += Math.imul(x, 0x01010101) >>> 24;
    }
    i += words * 4;
  }
  while (i < end) count += POPCOUNT[buffer[i++]];
  return count;
}

/**
 * Returns the first byte index in [start, end) of a Buffer whose byte is not
 * `nothing` (0x00 or 0xff), skipping four bytes at a time where aligned; `end`
 * when there is none.
 */
function skipBytes(buffer: Buffer, start: number, end: number, nothing: number): number {
  let i = start;
  while (i < end && (buffer.byteOffset + i) % 4 !== 0) {
    if (buffer[i] !== nothing) return i;
    i++;
  }
  const words = Math.floor((end - i) / 4);
  if (words > 0) {
    const view = new Uint32Array(buffer.buffer, buffer.byteOffset + i, words);
    const word = nothing === 0 ? 0 : 0xffffffff;
    let w = 0;
    while (w < words && view[w] === word) w++;
    i += w * 4;
  }
  while (i < end && buffer[i] === nothing) i++;
  return i;
}

/**
 * BITCOUNT key [start end [BYTE|BIT]]: the number of set bits in the
 * range. A missing key replies 0 before the arguments are checked, as in
 * Redis 7.0.
 */
function bitcount(client: Client, args: string[]): void {
  const value = readString(client, args[1]);
  if (value === undefined) {
    client.reply.int(0);
    return;
  }
  let range: BitRange | null;
  if (args.length === 2) {
    range = clampRange(0, -1, value.length, false);
  } else if (args.length === 4 || args.length === 5) {
    const start = parseInteger(args[2]);
    const end = parseInteger(args[3]);
    // Redis 7.0 replies 0 to an inverted negative range before it reads the unit.
    const inverted = start < 0 && end < 0 && start > end;
    range = inverted ? null : clampRange(start, end, value.length, parseUnit(args, 4));
  } else {
    throw new CommandError(ERR.syntax);
  }
  client.reply.int(range === null ? 0 : countBits(value, range));
}

/** Returns the position of the first bit equal to `bit` in the range, or -1. */
function findBit(value: StringValue, bit: number, range: BitRange): number {
  const firstByte = Math.floor(range.first / 8);
  const lastByte = Math.floor(range.last / 8);
  const nothing = bit === 1 ? 0 : 0xff;
  for (let index = firstByte; index <= lastByte; index++) {
    if (typeof value !== 'string' && index > firstByte && index < lastByte) {
      index = skipBytes(value, index, lastByte, nothing);
    }
    let byte = byteAt(value, index);
    if (index === firstByte || index === lastByte) {
      // Bits outside the range must not match: clear them to find a 1, set them to find a 0.
      const mask = insideMask(index, range);
      byte = bit === 1 ? byte & mask : byte | (~mask & 0xff);
    }
    if (byte === nothing) continue;
    for (let shift = 7; shift >= 0; shift--) {
      if (((byte >> shift) & 1) === bit) return index * 8 + (7 - shift);
    }
  }
  return -1;
}

interface BitposRange {
  range: BitRange | null;
  endGiven: boolean;
}

/** Parses BITPOS's optional start, end and unit, in Redis's order. */
function parseBitposRange(args: string[], length: number): BitposRange {
  if (args.length === 3) return { range: clampRange(0, -1, length, false), endGiven: false };
  if (args.length > 6) throw new CommandError(ERR.syntax);
  const start = parseInteger(args[3]);
  const inBits = parseUnit(args, 5);
  const endGiven = args.length >= 5;
  const end = endGiven ? parseInteger(args[4]) : -1;
  return { range: clampRange(start, end, length, inBits), endGiven };
}

/**
 * BITPOS key 0|1 [start [end [BYTE|BIT]]]: the position of the first bit
 * with that value, or -1. A missing key is all zeros. Looking for 0 without
 * an end treats the bits past the string as zeros, so it returns the string's
 * length in bits when every bit is set.
 */
function bitpos(client: Client, args: string[]): void {
  const bit = parseInteger(args[2]);
  if (bit !== 0 && bit !== 1) throw new CommandError(ERR.bitArgument);
  const value = readString(client, args[1]);
  if (value === undefined) {
    client.reply.int(bit === 1 ? -1 : 0);
    return;
  }
  const { range, endGiven } = parseBitposRange(args, value.length);
  if (range === null) {
    client.reply.int(-1);
    return;
  }
  const found = findBit(value, bit, range);
  if (found >= 0 || bit === 1 || endGiven) client.reply.int(found);
  else client.reply.int(value.length * 8);
}

type BitOperation = 'AND' | 'OR' | 'XOR' | 'NOT';

function parseOperation(text: string): BitOperation {
  for (const operation of ['AND', 'OR', 'XOR', 'NOT'] as const) {
    if (isOption(text, operation)) return operation;
  }
  throw new CommandError(ERR.syntax);
}

function combine(operation: BitOperation, sources: (StringValue | undefined)[]): Buffer {
  const length = Math.max(...sources.map((source) => source?.length ?? 0));
  const result = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    let byte = byteAt(sources[0] ?? '', i);
    for (let s = 1; s < sources.length; s++) {
      const other = byteAt(sources[s] ?? '', i);
      if (operation === 'AND') byte &= other;
      else if (operation === 'OR') byte |= other;
      else byte ^= other;
    }
    result[i] = operation === 'NOT' ? ~byte & 0xff : byte;
  }
  return result;
}

/**
 * BITOP AND|OR|XOR|NOT destkey key [key ...]: the length of the result,
 * which is as long as the longest source (missing sources and short ones
 * read as zeros). Stores it in destkey, dropping its TTL, or deletes destkey
 * when the result is empty.
 */
function bitop(client: Client, args: string[]): void {
  const operation = parseOperation(args[1]);
  if (operation === 'NOT' && args.length !== 4) throw new CommandError(ERR.bitopNotArity);
  const sources = args.slice(3).map((key) => readString(client, key));
  const result = combine(operation, sources);
  const destination = args[2];
  if (result.length > 0) {
    if (client.db.get(destination) === undefined) notifyNewKey(client, destination);
    client.db.set(destination, result);
    notifyString(client, 'set', destination);
    client.server.dirty++;
  } else if (client.db.delete(destination)) {
    notifyGeneric(client, 'del', destination);
    client.server.dirty++;
  }
  client.reply.int(result.length);
}

/** BITFIELD's key flags as COMMAND INFO shows them. bitfieldKeyFlags returns one request's. */
const BITFIELD_KEY_FLAGS: KeyFlagList = [['RW', 'access', 'update', 'variable_flags']];

/**
 * Returns BITFIELD's key flags for one request. Like Redis 7.0, a request of
 * only complete GET and OVERFLOW operations reads its key (ACL needs read),
 * and anything else, even a malformed operation, reads and updates it.
 */
function bitfieldKeyFlags(args: readonly string[]): KeyFlagList {
  for (let i = 2; i < args.length; i++) {
    const remaining = args.length - i - 1;
    const operation = args[i].toLowerCase();
    if (operation === 'get' && remaining >= 2) i += 2;
    else if (operation === 'overflow' && remaining >= 1) i += 1;
    else return KEYS_READ_AND_UPDATED;
  }
  return KEYS_READ;
}

export const bitmapCommands: RegisteredCommand[] = [
  command({
    name: 'setbit',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['bitmap'],
    group: 'bitmap',
    since: '2.2.0',
    summary: 'Sets or clears one bit of a string value.',
    handler: setbit,
  }),
  command({
    name: 'getbit',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['bitmap'],
    group: 'bitmap',
    since: '2.2.0',
    summary: 'Returns one bit of a string value.',
    handler: getbit,
  }),
  command({
    name: 'bitcount',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['bitmap'],
    group: 'bitmap',
    since: '2.6.0',
    complexity: 'O(N)',
    summary: 'Counts the set bits of a string value, optionally in a range.',
    handler: bitcount,
  }),
  command({
    name: 'bitpos',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['bitmap'],
    group: 'bitmap',
    since: '2.8.7',
    complexity: 'O(N)',
    summary: 'Finds the first set or clear bit of a string value.',
    handler: bitpos,
  }),
  command({
    name: 'bitop',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [2, -1, 1],
    writtenKeys: () => [2],
    keyFlags: DESTINATION_THEN_SOURCES,
    categories: ['bitmap'],
    group: 'bitmap',
    since: '2.6.0',
    complexity: 'O(N)',
    summary: 'Combines string values bitwise and stores the result.',
    handler: bitop,
  }),
  command({
    name: 'bitfield',
    arity: -2,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    keyFlags: BITFIELD_KEY_FLAGS,
    requestKeyFlags: bitfieldKeyFlags,
    categories: ['bitmap'],
    group: 'bitmap',
    since: '3.2.0',
    complexity: 'O(1) for each operation',
    summary: 'Reads, writes and increments integers stored at bit offsets.',
    handler: bitfield,
  }),
  command({
    name: 'bitfield_ro',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['bitmap'],
    group: 'bitmap',
    since: '6.0.0',
    complexity: 'O(1) for each operation',
    summary: 'Reads integers stored at bit offsets.',
    handler: bitfieldRo,
  }),
];
