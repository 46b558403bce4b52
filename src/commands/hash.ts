/**
 * Hash commands: HSET, HMSET, HSETNX, HGET, HMGET, HGETALL, HDEL, HEXISTS,
 * HLEN, HKEYS, HVALS, HSTRLEN and HSCAN. HINCRBY and HINCRBYFLOAT are in
 * hash-counters.ts, HRANDFIELD in hash-random.ts, and the field expiry
 * commands in hash-expire.ts; `hashCommands` registers them all.
 */
import {
  command,
  type RegisteredCommand,
  KEYS_PROBED,
  KEYS_INSERTED,
  KEYS_REMOVED,
} from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR, wrongArity } from '../engine/errors';
import { globMatch } from '../store/glob';
import { hashLimits, type HashEntry } from '../store/hash';
import { parseInteger } from './arguments';
import { deleteEmptiedKey, notifyFamily, storeNewKey } from './collection-keys';
import { hashCounterCommands } from './hash-counters';
import { hashExpireCommands } from './hash-expire';
import { ensureRoomForFields, hashForWrite, lookupHash } from './hash-lookup';
import { hashRandomCommands } from './hash-random';
import { parseCursor } from './scan-arguments';

/** Sends a hash-class ('h') event such as 'hset' or 'hdel'. */
export function notifyHash(client: Client, event: string, key: string): void {
  notifyFamily(client, 'h', event, key);
}

/** Stores field/value pairs from args[2] on; returns how many fields were new. */
function setPairs(client: Client, args: string[]): number {
  if (args.length % 2 !== 0) throw new CommandError(wrongArity(args[0]));
  const key = args[1];
  const { hash, created } = hashForWrite(client, key);
  const fields = args.filter((_, index) => index >= 2 && index % 2 === 0);
  ensureRoomForFields(hash, fields);
  const limits = hashLimits(client.server.config);
  let added = 0;
  for (let i = 2; i < args.length; i += 2) {
    if (hash.set(args[i], args[i + 1], limits)) added++;
  }
  if (created) storeNewKey(client, key, hash);
  notifyHash(client, 'hset', key);
  client.server.dirty += (args.length - 2) / 2;
  return added;
}

/** HSET key field value [field value ...]: the number of new fields. Drops their expiry times. */
function hset(client: Client, args: string[]): void {
  client.reply.int(setPairs(client, args));
}

/** HMSET key field value [field value ...]: OK. The same change as HSET. */
function hmset(client: Client, args: string[]): void {
  setPairs(client, args);
  client.reply.ok();
}

/** HSETNX key field value: 1 when it stored the new field, 0 when the field exists. */
function hsetnx(client: Client, args: string[]): void {
  const [, key, field, value] = args;
  const { hash, created } = hashForWrite(client, key);
  if (hash.has(field)) {
    client.reply.int(0);
    return;
  }
  ensureRoomForFields(hash, [field]);
  hash.set(field, value, hashLimits(client.server.config));
  if (created) storeNewKey(client, key, hash);
  notifyHash(client, 'hset', key);
  client.server.dirty++;
  client.reply.int(1);
}

/** HGET key field: the value, or nil. */
function hget(client: Client, args: string[]): void {
  const value = lookupHash(client, args[1], true)?.get(args[2]);
  if (value === undefined) client.reply.nil();
  else client.reply.bulk(value);
}

/** HMGET key field [field ...]: one value or nil per field. */
function hmget(client: Client, args: string[]): void {
  const hash = lookupHash(client, args[1], true);
  client.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const value = hash?.get(args[i]);
    if (value === undefined) client.reply.nil();
    else client.reply.bulk(value);
  }
}

/** Replies with the live entries of a hash, each shaped by `write`; an empty array when missing. */
function replyEntries(
  client: Client,
  key: string,
  perEntry: 1 | 2,
  write: (entry: HashEntry) => void,
): void {
  const now = Date.now();
  const hash = lookupHash(client, key, true, now);
  const size = hash === undefined ? 0 : hash.size();
  if (perEntry === 2) client.reply.map(size);
  else client.reply.array(size);
  if (hash === undefined) return;
  for (const entry of hash.entries(now)) write(entry);
}

/** HGETALL key: every field and value, as a map in RESP3. */
function hgetall(client: Client, args: string[]): void {
  replyEntries(client, args[1], 2, ([field, value]) => {
    client.reply.bulk(field);
    client.reply.bulk(value);
  });
}

/** HKEYS key: every field. */
function hkeys(client: Client, args: string[]): void {
  replyEntries(client, args[1], 1, ([field]) => client.reply.bulk(field));
}

/** HVALS key: every value. */
function hvals(client: Client, args: string[]): void {
  replyEntries(client, args[1], 1, ([, value]) => client.reply.bulk(value));
}

/** HDEL key field [field ...]: the number of fields removed. Deletes the key once empty. */
function hdel(client: Client, args: string[]): void {
  const key = args[1];
  const hash = lookupHash(client, key, false);
  let removed = 0;
  for (let i = 2; hash !== undefined && i < args.length; i++) {
    if (hash.delete(args[i])) removed++;
  }
  if (hash !== undefined && removed > 0) {
    notifyHash(client, 'hdel', key);
    if (hash.size() === 0) deleteEmptiedKey(client, key);
    client.server.dirty += removed;
  }
  client.reply.int(removed);
}

/** HEXISTS key field: 1 when the field exists, else 0. */
function hexists(client: Client, args: string[]): void {
  client.reply.int(lookupHash(client, args[1], true)?.has(args[2]) ? 1 : 0);
}

/** HLEN key: the number of fields, 0 for a missing key. */
function hlen(client: Client, args: string[]): void {
  client.reply.int(lookupHash(client, args[1], true)?.size() ?? 0);
}

/** HSTRLEN key field: the length of the value, 0 when missing. */
function hstrlen(client: Client, args: string[]): void {
  client.reply.int(lookupHash(client, args[1], true)?.get(args[2])?.length ?? 0);
}

interface HashScanOptions {
  count: number;
  pattern: string | null;
  noValues: boolean;
}

/** Parses HSCAN's MATCH, COUNT and NOVALUES (Redis 7.4) from args[3] on. */
function parseHashScanOptions(args: string[]): HashScanOptions {
  const options: HashScanOptions = { count: 10, pattern: null, noValues: false };
  for (let i = 3; i < args.length; i++) {
    const option = args[i].toUpperCase();
    const hasValue = i + 1 < args.length;
    if (option === 'NOVALUES') {
      options.noValues = true;
    } else if (option === 'COUNT' && hasValue) {
      options.count = parseInteger(args[++i]);
      if (options.count < 1) throw new CommandError(ERR.syntax);
    } else if (option === 'MATCH' && hasValue) {
      const pattern = args[++i];
      options.pattern = pattern === '*' ? null : pattern;
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return options;
}

/**
 * HSCAN key cursor [MATCH pattern] [COUNT count] [NOVALUES]: the next cursor
 * and a page of fields and values (fields only with NOVALUES). A small
 * (listpack) hash comes back whole with cursor 0, as in Redis. A missing key
 * replies an empty page before the options are checked, as Redis does.
 */
function hscan(client: Client, args: string[]): void {
  const cursor = parseCursor(args[2]);
  const now = Date.now();
  const hash = lookupHash(client, args[1], true, now);
  if (hash === undefined) {
    replyScanPage(client, '0', [], true);
    return;
  }
  const options = parseHashScanOptions(args);
  const page = hash.scan(cursor, options.count);
  const pattern = options.pattern;
  const items =
    pattern === null ? page.items : page.items.filter(([field]) => globMatch(pattern, field));
  replyScanPage(client, page.cursor, items, options.noValues);
}

function replyScanPage(
  client: Client,
  cursor: string,
  items: HashEntry[],
  noValues: boolean,
): void {
  client.reply.array(2);
  client.reply.bulk(cursor);
  client.reply.array(noValues ? items.length : items.length * 2);
  for (const [field, value] of items) {
    client.reply.bulk(field);
    if (!noValues) client.reply.bulk(value);
  }
}

const GROUP = 'hash';
const WRITE_FAST: ['write', 'denyoom', 'fast'] = ['write', 'denyoom', 'fast'];

const basicCommands: RegisteredCommand[] = [
  command({
    name: 'hset',
    arity: -4,
    flags: WRITE_FAST,
    keys: [1, 1, 1],
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields set',
    summary: 'Creates or modifies the value of a field in a hash.',
    handler: hset,
  }),
  command({
    name: 'hmset',
    arity: -4,
    flags: WRITE_FAST,
    keys: [1, 1, 1],
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields set',
    summary: 'Sets the values of multiple fields.',
    handler: hmset,
  }),
  command({
    name: 'hsetnx',
    arity: 4,
    flags: WRITE_FAST,
    keys: [1, 1, 1],
    keyFlags: KEYS_INSERTED,
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    summary: 'Sets the value of a field in a hash only when the field does not exist.',
    handler: hsetnx,
  }),
  command({
    name: 'hget',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    summary: 'Returns the value of a field in a hash.',
    handler: hget,
  }),
  command({
    name: 'hmget',
    arity: -3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields being requested.',
    summary: 'Returns the values of all fields in a hash.',
    handler: hmget,
  }),
  command({
    name: 'hgetall',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    summary: 'Returns all fields and values in a hash.',
    handler: hgetall,
  }),
  command({
    name: 'hdel',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_REMOVED,
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields to be removed.',
    summary: 'Deletes one or more fields and their values from a hash.',
    handler: hdel,
  }),
  command({
    name: 'hexists',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_PROBED,
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    summary: 'Determines whether a field exists in a hash.',
    handler: hexists,
  }),
  command({
    name: 'hlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_PROBED,
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    summary: 'Returns the number of fields in a hash.',
    handler: hlen,
  }),
  command({
    name: 'hkeys',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    summary: 'Returns all fields in a hash.',
    handler: hkeys,
  }),
  command({
    name: 'hvals',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['hash'],
    group: GROUP,
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    summary: 'Returns all values in a hash.',
    handler: hvals,
  }),
  command({
    name: 'hstrlen',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_PROBED,
    categories: ['hash'],
    group: GROUP,
    since: '3.2.0',
    summary: 'Returns the length of the value of a field.',
    handler: hstrlen,
  }),
  command({
    name: 'hscan',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['hash'],
    group: GROUP,
    since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration.',
    summary: 'Iterates over fields and values of a hash.',
    handler: hscan,
  }),
];

export const hashCommands: RegisteredCommand[] = [
  ...basicCommands,
  ...hashCounterCommands,
  ...hashRandomCommands,
  ...hashExpireCommands,
];
