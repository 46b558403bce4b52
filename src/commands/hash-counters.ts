/** HINCRBY and HINCRBYFLOAT: counters stored in hash fields. */
import { command, type RegisteredCommand, KEYS_READ_AND_UPDATED } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { hashLimits } from '../store/hash';
import { toBigInt64 } from './arguments';
import { notifyFamily, storeNewKey } from './collection-keys';
import { ensureRoomForFields, hashForWrite } from './hash-lookup';
import {
  addLongDouble,
  formatLongDouble,
  parseLongDouble,
  type LongDouble,
} from './string-long-double';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Stores a counter's new value, keeping the field's expiry time as Redis 7.4
 * does, and sends the event. Returns the hash's field expiry time in ms, or -1.
 */
function storeCounter(
  client: Client,
  args: string[],
  target: HashTarget,
  value: string,
  event: string,
): number {
  const [, key, field] = args;
  const { hash, created } = target;
  ensureRoomForFields(hash, [field]);
  hash.set(field, value, hashLimits(client.server.config), true);
  if (created) storeNewKey(client, key, hash);
  notifyFamily(client, 'h', event, key);
  client.server.dirty++;
  return hash.expireTime(field) ?? -1;
}

type HashTarget = ReturnType<typeof hashForWrite>;

/**
 * HINCRBY key field increment: the new value, after adding a signed 64-bit
 * increment to the field (a missing field counts as 0). Errors when the
 * value is not an integer or the sum overflows, and then changes nothing.
 */
function hincrby(client: Client, args: string[]): void {
  const increment = toBigInt64(args[3]);
  if (increment === null) throw new CommandError(ERR.notInteger);
  const target = hashForWrite(client, args[1]);
  const current = target.hash.get(args[2]);
  const value = current === undefined ? 0n : toBigInt64(current);
  if (value === null) throw new CommandError(ERR.hashNotInteger);
  const sum = value + increment;
  if (sum < INT64_MIN || sum > INT64_MAX) throw new CommandError(ERR.overflow);
  storeCounter(client, args, target, String(sum), 'hincrby');
  client.reply.int(sum);
}

/** Parses HINCRBYFLOAT's increment, refusing infinities as Redis does. */
function parseIncrement(text: string): LongDouble {
  const increment = parseLongDouble(text);
  if (increment === null) throw new CommandError(ERR.notFloat);
  if (increment.infinite) throw new CommandError(ERR.incrementNanOrInf);
  return increment;
}

/**
 * HINCRBYFLOAT key field increment: the new value, computed in 80-bit
 * extended precision like Redis's long double and printed with up to 17
 * decimals. Journaled as HSET with the result (and HPEXPIREAT when the field
 * has an expiry time), so that replay does not depend on float formatting.
 */
function hincrbyfloat(client: Client, args: string[]): void {
  const [, key, field] = args;
  const increment = parseIncrement(args[3]);
  const target = hashForWrite(client, key);
  const current = target.hash.get(field);
  const value = current === undefined ? null : parseLongDouble(current);
  if (current !== undefined && value === null) throw new CommandError(ERR.hashNotFloat);
  const sum = value === null ? increment : addLongDouble(value, increment);
  if (sum === null || sum.infinite) throw new CommandError(ERR.incrNanOrInf);
  const text = formatLongDouble(sum);
  const expireAt = storeCounter(client, args, target, text, 'hincrbyfloat');
  client.propagateAs = [['HSET', key, field, text]];
  if (expireAt >= 0) {
    client.propagateAs.push(['HPEXPIREAT', key, String(expireAt), 'FIELDS', '1', field]);
  }
  client.reply.bulk(text);
}

const FLAGS: ['write', 'denyoom', 'fast'] = ['write', 'denyoom', 'fast'];

export const hashCounterCommands: RegisteredCommand[] = [
  command({
    name: 'hincrby',
    arity: 4,
    flags: FLAGS,
    keys: [1, 1, 1],
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['hash'],
    group: 'hash',
    since: '2.0.0',
    summary: 'Increments the integer value of a field in a hash by a number.',
    handler: hincrby,
  }),
  command({
    name: 'hincrbyfloat',
    arity: 4,
    flags: FLAGS,
    keys: [1, 1, 1],
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['hash'],
    group: 'hash',
    since: '2.6.0',
    summary: 'Increments the floating point value of a field by a number.',
    handler: hincrbyfloat,
  }),
];
