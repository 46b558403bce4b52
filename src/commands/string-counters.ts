/** Counter commands: INCR, DECR, INCRBY, DECRBY and INCRBYFLOAT. */
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import type { StringValue } from '../store/types';
import { toBigInt64, toInteger } from './arguments';
import { writableString } from './lookup';
import { notifyNewKey, notifyString } from './string-events';
import {
  addLongDouble,
  formatLongDouble,
  MAX_LONG_DOUBLE_TEXT,
  parseLongDouble,
  type LongDouble,
} from './string-long-double';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** A signed 64-bit decimal has at most 20 characters. */
const MAX_INTEGER_LENGTH = 20;
/** Decimals this short are below 10^15, so adding a small increment stays exact. */
const MAX_SMALL_LENGTH = 15;
const MAX_SMALL_INCREMENT = 2n ** 52n;

/** Parses a stored value as a signed 64-bit integer, or raises "not an integer". */
function storedInteger(value: StringValue): bigint {
  if (value.length > MAX_INTEGER_LENGTH) throw new CommandError(ERR.notInteger);
  const text = typeof value === 'string' ? value : value.latin1Slice(0, value.length);
  const parsed = toBigInt64(text);
  if (parsed === null) throw new CommandError(ERR.notInteger);
  return parsed;
}

/** Stores a counter's new text, keeping the TTL of an existing key, and sends `event`. */
function storeCounter(
  client: Client,
  key: string,
  text: string,
  existed: boolean,
  event: string,
): void {
  if (existed) {
    client.db.replace(key, text);
  } else {
    notifyNewKey(client, key);
    client.db.set(key, text);
  }
  notifyString(client, event, key);
  client.server.dirty++;
}

/**
 * Adds `increment` to a stored integer. Short values and small increments
 * use plain numbers, whose sum stays below 2^53 and so is exact. The rest use
 * BigInt, which finds results past 64 bits.
 */
function addToStored(current: StringValue | undefined, increment: bigint): number | bigint {
  const base = current ?? '0';
  const small = typeof base === 'string' && base.length <= MAX_SMALL_LENGTH;
  if (small && increment >= -MAX_SMALL_INCREMENT && increment <= MAX_SMALL_INCREMENT) {
    const value = toInteger(base);
    if (value === null) throw new CommandError(ERR.notInteger);
    return value + Number(increment);
  }
  const result = storedInteger(base) + increment;
  if (result > INT64_MAX || result < INT64_MIN) throw new CommandError(ERR.overflow);
  return result;
}

function incrementBy(client: Client, key: string, increment: bigint): void {
  const current = writableString(client, key);
  const result = addToStored(current, increment);
  storeCounter(client, key, String(result), current !== undefined, 'incrby');
  client.reply.int(result);
}

function parseIncrement(text: string): bigint {
  const value = toBigInt64(text);
  if (value === null) throw new CommandError(ERR.notInteger);
  return value;
}

/** INCR key: the new value, after adding 1 (a missing key counts as 0). Keeps the TTL. */
export function incr(client: Client, args: string[]): void {
  incrementBy(client, args[1], 1n);
}

/** DECR key: the new value, after subtracting 1. Keeps the TTL. */
export function decr(client: Client, args: string[]): void {
  incrementBy(client, args[1], -1n);
}

/** INCRBY key increment: the new value; overflow past 64 bits is an error and changes nothing. */
export function incrby(client: Client, args: string[]): void {
  incrementBy(client, args[1], parseIncrement(args[2]));
}

/** DECRBY key decrement: the new value; a decrement of -2^63 cannot be negated and is refused. */
export function decrby(client: Client, args: string[]): void {
  const decrement = parseIncrement(args[2]);
  if (decrement === INT64_MIN) throw new CommandError(ERR.decrementOverflow);
  incrementBy(client, args[1], -decrement);
}

function parseFloatValue(text: string): LongDouble {
  const value = parseLongDouble(text);
  if (value === null) throw new CommandError(ERR.notFloat);
  return value;
}

/**
 * INCRBYFLOAT key increment: the new value as a bulk string, computed in
 * 80-bit long double like Redis. Keeps the TTL. Journals SET key value
 * KEEPTTL, so a replay stores the same text.
 */
export function incrbyfloat(client: Client, args: string[]): void {
  const key = args[1];
  const current = writableString(client, key);
  const base = current === undefined ? null : parseFloatValue(storedText(current));
  const increment = parseFloatValue(args[2]);
  const sum = base === null ? increment : addLongDouble(base, increment);
  if (sum === null || sum.infinite) throw new CommandError(ERR.incrNanOrInf);
  const text = formatLongDouble(sum);
  storeCounter(client, key, text, current !== undefined, 'incrbyfloat');
  client.reply.bulk(text);
  client.propagateAs = [['SET', key, text, 'KEEPTTL']];
}

/** Returns the text of a stored value, or '' for one too long to be a number (not copied). */
function storedText(value: StringValue): string {
  if (typeof value === 'string') return value;
  return value.length >= MAX_LONG_DOUBLE_TEXT ? '' : value.latin1Slice(0, value.length);
}
