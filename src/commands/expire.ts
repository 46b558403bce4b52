/**
 * Expiry commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT (with NX, XX, GT,
 * LT), TTL, PTTL, EXPIRETIME, PEXPIRETIME and PERSIST.
 *
 * Times are checked with 64-bit integer arithmetic, so the same arguments
 * are rejected as in Redis. The keyspace stores expiry times as doubles.
 * NOTE: an expiry time beyond 2^53 ms (about the year 287,000) is stored
 * rounded to the nearest double, so TTL, PTTL and (P)EXPIRETIME report it
 * up to a few hundred milliseconds off.
 */
import { command, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { notifyKeyspaceEvent } from '../engine/notify';
import { toBigInt64 } from './arguments';
import { lookupRead } from './lookup';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** The conditions EXPIRE and friends accept, as Redis 7.0 defines them. */
interface ExpireConditions {
  /** Only when the key has no expiry. */
  nx: boolean;
  /** Only when the key has an expiry. */
  xx: boolean;
  /** Only when the new time is later; no expiry counts as infinitely late. */
  gt: boolean;
  /** Only when the new time is earlier; no expiry counts as infinitely late. */
  lt: boolean;
}

function parseConditions(args: string[]): ExpireConditions {
  const conditions = { nx: false, xx: false, gt: false, lt: false };
  for (let i = 3; i < args.length; i++) {
    const option = args[i].toLowerCase();
    if (option === 'nx' || option === 'xx' || option === 'gt' || option === 'lt') {
      conditions[option] = true;
    } else {
      throw new CommandError(ERR.expireUnsupportedOption(args[i]));
    }
  }
  if (conditions.nx && (conditions.xx || conditions.gt || conditions.lt)) {
    throw new CommandError(ERR.expireNxConflict);
  }
  if (conditions.gt && conditions.lt) throw new CommandError(ERR.expireGtLtConflict);
  return conditions;
}

/**
 * Converts the time argument to absolute Unix ms, rejecting what would
 * overflow a signed 64-bit integer, as Redis does. `base` is the current time
 * for relative commands and 0 for absolute ones.
 */
function absoluteTime(text: string, seconds: boolean, base: bigint, name: string): bigint {
  let when = toBigInt64(text);
  if (when === null) throw new CommandError(ERR.notInteger);
  if (seconds) {
    if (when > INT64_MAX / 1000n || when < INT64_MIN / 1000n) {
      throw new CommandError(ERR.invalidExpire(name));
    }
    when *= 1000n;
  }
  if (when > INT64_MAX - base) throw new CommandError(ERR.invalidExpire(name));
  return when + base;
}

/** Returns whether the conditions allow replacing `current` (-1: none) with `when`. */
function conditionsAllow(conditions: ExpireConditions, current: number, when: bigint): boolean {
  if (conditions.nx && current !== -1) return false;
  if (conditions.xx && current === -1) return false;
  if (conditions.gt && (current === -1 || when <= BigInt(current))) return false;
  if (conditions.lt && current !== -1 && when >= BigInt(current)) return false;
  return true;
}

/**
 * Sets a key's expiry: 1 when set, 0 when the key is missing or a condition
 * stopped it. A time already past deletes the key, sends `del` and journals
 * DEL. Any other time sends `expire` and journals PEXPIREAT with the absolute
 * time and the same conditions.
 */
function expireGeneric(client: Client, args: string[], seconds: boolean, relative: boolean): void {
  const conditions = parseConditions(args);
  const now = Date.now();
  const name = args[0].toLowerCase();
  const when = absoluteTime(args[2], seconds, relative ? BigInt(now) : 0n, name);
  const key = args[1];
  const db = client.db;
  if (db.get(key) === undefined || !conditionsAllow(conditions, db.getExpire(key), when)) {
    client.reply.int(0);
    return;
  }
  const server = client.server;
  server.dirty++;
  if (when <= BigInt(now)) {
    db.delete(key);
    client.propagateAs = [['DEL', key]];
    notifyKeyspaceEvent(server, 'g', 'del', key, db.id);
  } else {
    db.setExpire(key, Number(when));
    client.propagateAs = [['PEXPIREAT', key, String(when), ...args.slice(3)]];
    notifyKeyspaceEvent(server, 'g', 'expire', key, db.id);
  }
  client.reply.int(1);
}

/** EXPIRE key seconds [NX|XX|GT|LT]: see expireGeneric. */
function expire(client: Client, args: string[]): void {
  expireGeneric(client, args, true, true);
}

/** PEXPIRE key milliseconds [NX|XX|GT|LT]: see expireGeneric. */
function pexpire(client: Client, args: string[]): void {
  expireGeneric(client, args, false, true);
}

/** EXPIREAT key unix-seconds [NX|XX|GT|LT]: see expireGeneric. */
function expireat(client: Client, args: string[]): void {
  expireGeneric(client, args, true, false);
}

/** PEXPIREAT key unix-ms [NX|XX|GT|LT]: see expireGeneric. */
function pexpireat(client: Client, args: string[]): void {
  expireGeneric(client, args, false, false);
}

/** Converts a stored expiry time to an exact 64-bit integer, capped at INT64_MAX. */
function storedTime(when: number): bigint {
  const exact = BigInt(when);
  return exact > INT64_MAX ? INT64_MAX : exact;
}

/** Milliseconds to seconds, rounded half up as Redis does. */
function toSeconds(milliseconds: bigint): bigint {
  return (milliseconds + 500n) / 1000n;
}

/**
 * Replies a key's expiry for TTL-style commands: -2 when the key is missing,
 * -1 when it has no expiry, else the time left (or the absolute time) in
 * seconds or milliseconds.
 */
function replyExpiry(client: Client, key: string, inSeconds: boolean, absolute: boolean): void {
  if (lookupRead(client, key) === undefined) {
    client.reply.int(-2);
    return;
  }
  const when = client.db.getExpire(key);
  if (when === -1) {
    client.reply.int(-1);
    return;
  }
  let result = storedTime(when);
  if (!absolute) {
    const now = BigInt(Date.now());
    result = result > now ? result - now : 0n;
  }
  client.reply.int(inSeconds ? toSeconds(result) : result);
}

/** TTL key: seconds left (rounded), -1 without expiry, -2 when missing. */
function ttl(client: Client, args: string[]): void {
  replyExpiry(client, args[1], true, false);
}

/** PTTL key: milliseconds left, -1 without expiry, -2 when missing. */
function pttl(client: Client, args: string[]): void {
  replyExpiry(client, args[1], false, false);
}

/** EXPIRETIME key: the expiry as Unix seconds (rounded), -1 without expiry, -2 when missing. */
function expiretime(client: Client, args: string[]): void {
  replyExpiry(client, args[1], true, true);
}

/** PEXPIRETIME key: the expiry as Unix ms, -1 without expiry, -2 when missing. */
function pexpiretime(client: Client, args: string[]): void {
  replyExpiry(client, args[1], false, true);
}

/** PERSIST key: 1 when an expiry was removed (a `persist` event), else 0. */
function persist(client: Client, args: string[]): void {
  const key = args[1];
  const db = client.db;
  if (db.get(key) === undefined || !db.persist(key)) {
    client.reply.int(0);
    return;
  }
  client.server.dirty++;
  notifyKeyspaceEvent(client.server, 'g', 'persist', key, db.id);
  client.reply.int(1);
}

export const expireCommands: RegisteredCommand[] = [
  command({
    name: 'expire',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['keyspace'],
    group: 'generic',
    since: '1.0.0',
    summary: 'Sets the time to live of a key in seconds.',
    handler: expire,
  }),
  command({
    name: 'pexpire',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['keyspace'],
    group: 'generic',
    since: '2.6.0',
    summary: 'Sets the time to live of a key in milliseconds.',
    handler: pexpire,
  }),
  command({
    name: 'expireat',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['keyspace'],
    group: 'generic',
    since: '1.2.0',
    summary: 'Sets the expiry of a key as a Unix time in seconds.',
    handler: expireat,
  }),
  command({
    name: 'pexpireat',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['keyspace'],
    group: 'generic',
    since: '2.6.0',
    summary: 'Sets the expiry of a key as a Unix time in milliseconds.',
    handler: pexpireat,
  }),
  command({
    name: 'ttl',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['keyspace'],
    group: 'generic',
    since: '1.0.0',
    summary: 'Returns the time to live of a key in seconds.',
    handler: ttl,
  }),
  command({
    name: 'pttl',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['keyspace'],
    group: 'generic',
    since: '2.6.0',
    summary: 'Returns the time to live of a key in milliseconds.',
    handler: pttl,
  }),
  command({
    name: 'expiretime',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['keyspace'],
    group: 'generic',
    since: '7.0.0',
    summary: 'Returns the expiry of a key as a Unix time in seconds.',
    handler: expiretime,
  }),
  command({
    name: 'pexpiretime',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['keyspace'],
    group: 'generic',
    since: '7.0.0',
    summary: 'Returns the expiry of a key as a Unix time in milliseconds.',
    handler: pexpiretime,
  }),
  command({
    name: 'persist',
    arity: 2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['keyspace'],
    group: 'generic',
    since: '2.2.0',
    summary: 'Removes the expiry of a key.',
    handler: persist,
  }),
];
