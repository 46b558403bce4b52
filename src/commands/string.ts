/**
 * String commands: GET and SET with their variants, and the command table
 * of the whole string family (handlers of the other string commands live
 * in the string-*.ts files).
 */
import {
  command,
  type RegisteredCommand,
  KEYS_READ_AND_UPDATED,
  KEYS_POPPED,
  KEYS_PROBED,
  type KeyFlagList,
  KEYS_INSERTED,
} from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR, wrongArity } from '../engine/errors';
import { isOption, toBigInt64 } from './arguments';
import { lookupRead, readString } from './lookup';
import { isString } from '../store/types';
import { incr, incrby, incrbyfloat, decr, decrby } from './string-counters';
import { notifyGeneric, notifyIfNew, notifyString } from './string-events';
import { lcs } from './string-lcs';
import { append, getrange, setrange, strlen } from './string-ranges';

const INT64_MAX = 2n ** 63n - 1n;
/**
 * The largest absolute expiry in Unix ms that Damselfly stores. Redis takes
 * any that fits a signed 64-bit integer.
 */
const MAX_EXPIRE_MS = BigInt(Number.MAX_SAFE_INTEGER);

type ExpireUnit = 'EX' | 'PX' | 'EXAT' | 'PXAT';
const EXPIRE_UNITS: readonly ExpireUnit[] = ['EX', 'PX', 'EXAT', 'PXAT'];

/**
 * Converts an EX/PX/EXAT/PXAT argument to an absolute time in Unix ms, with
 * Redis's errors: "not an integer", or "invalid expire time" for a value
 * that is not positive or whose absolute time passes 2^63 - 1 ms.
 */
export function expireArgument(unit: string, text: string, command: string, now: number): number {
  const amount = toBigInt64(text);
  if (amount === null) throw new CommandError(ERR.notInteger);
  const seconds = unit === 'EX' || unit === 'EXAT';
  if (amount <= 0n || (seconds && amount > INT64_MAX / 1000n)) {
    throw new CommandError(ERR.invalidExpire(command));
  }
  let when = seconds ? amount * 1000n : amount;
  if (unit === 'EX' || unit === 'PX') when += BigInt(now);
  // NOTE: Redis accepts absolute times up to 2^63 - 1 ms. Damselfly keeps
  // expiry times as JavaScript numbers, so it rejects those past 2^53 - 1 ms
  // (year 285,000 and later) with the same "invalid expire time" error.
  if (when > INT64_MAX || when > MAX_EXPIRE_MS) throw new CommandError(ERR.invalidExpire(command));
  return Number(when);
}

interface StringOptions {
  nx: boolean;
  xx: boolean;
  get: boolean;
  keepTtl: boolean;
  persist: boolean;
  expireUnit: ExpireUnit | null;
  expireText: string;
}

function expireUnitOf(option: string): ExpireUnit | null {
  if (option.length < 2 || option.length > 4) return null;
  const upper = option.toUpperCase();
  return EXPIRE_UNITS.find((unit) => unit === upper) ?? null;
}

/**
 * Parses the options of SET (from index 3) or GETEX (from index 2) as
 * Redis does: an option may repeat, but conflicting ones (NX with XX, two
 * different expiry units, an expiry with KEEPTTL or PERSIST) are a syntax
 * error. Expiry values are only checked later.
 */
function parseStringOptions(args: string[], forSet: boolean): StringOptions {
  const options: StringOptions = {
    nx: false,
    xx: false,
    get: false,
    keepTtl: false,
    persist: false,
    expireUnit: null,
    expireText: '',
  };
  for (let i = forSet ? 3 : 2; i < args.length; i++) {
    const option = args[i];
    const unit = expireUnitOf(option);
    if (forSet && isOption(option, 'NX') && !options.xx) {
      options.nx = true;
    } else if (forSet && isOption(option, 'XX') && !options.nx) {
      options.xx = true;
    } else if (forSet && isOption(option, 'GET')) {
      options.get = true;
    } else if (forSet && isOption(option, 'KEEPTTL') && options.expireUnit === null) {
      options.keepTtl = true;
    } else if (!forSet && isOption(option, 'PERSIST') && options.expireUnit === null) {
      options.persist = true;
    } else if (unit !== null && acceptsExpiry(options, unit) && i + 1 < args.length) {
      options.expireUnit = unit;
      options.expireText = args[++i];
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return options;
}

function acceptsExpiry(options: StringOptions, unit: ExpireUnit): boolean {
  if (options.keepTtl || options.persist) return false;
  return options.expireUnit === null || options.expireUnit === unit;
}

function expireOf(options: StringOptions, command: string, now: number): number | null {
  if (options.expireUnit === null) return null;
  return expireArgument(options.expireUnit, options.expireText, command, now);
}

/**
 * Stores a string as Redis's SET does: drops the TTL unless keepTtl, sets
 * `expireAt` when given, sends 'new', 'set' and 'expire' events, and counts
 * one change.
 */
function storeString(
  client: Client,
  key: string,
  value: string,
  expireAt: number | null,
  keepTtl = false,
): void {
  notifyIfNew(client, key);
  if (keepTtl) client.db.replace(key, value);
  else client.db.set(key, value);
  client.server.dirty++;
  notifyString(client, 'set', key);
  if (expireAt === null) return;
  client.db.setExpire(key, expireAt);
  notifyGeneric(client, 'expire', key);
}

/**
 * SET key value [NX|XX] [GET] [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL]: OK, nil
 * when NX/XX stopped it, or with GET the old value (nil if none). GET on a
 * non-string raises WRONGTYPE and sets nothing. Journals a relative expiry
 * as PXAT.
 */
function set(client: Client, args: string[]): void {
  const key = args[1];
  const value = args[2];
  if (args.length === 3) {
    storeString(client, key, value, null);
    client.reply.ok();
    return;
  }
  const options = parseStringOptions(args, true);
  const expireAt = expireOf(options, 'set', Date.now());
  const old = options.get ? readString(client, key) : undefined;
  const exists = options.get ? old !== undefined : client.db.get(key) !== undefined;
  const blocked = (options.nx && exists) || (options.xx && !exists);
  if (!blocked) {
    storeString(client, key, value, expireAt, options.keepTtl);
    client.propagateAs = [journalForm(args, expireAt)];
  }
  if (options.get) {
    if (old === undefined) client.reply.nil();
    else client.reply.bulk(old);
  } else if (blocked) {
    client.reply.nil();
  } else {
    client.reply.ok();
  }
}

/**
 * Returns what SET journals, as Redis does: SET key value PXAT ms when it
 * set an expiry, else the request without its GET options.
 */
function journalForm(args: string[], expireAt: number | null): string[] {
  if (expireAt !== null) return ['SET', args[1], args[2], 'PXAT', String(expireAt)];
  return args.filter((arg, index) => index < 3 || !isOption(arg, 'GET'));
}

/** SETNX key value: 1 when the key was missing and is now set, else 0. */
function setnx(client: Client, args: string[]): void {
  if (client.db.get(args[1]) !== undefined) {
    client.reply.int(0);
    return;
  }
  storeString(client, args[1], args[2], null);
  client.reply.int(1);
}

/** SETEX key seconds value and PSETEX key ms value: OK. Journals SET key value PXAT ms. */
function setWithExpiry(client: Client, args: string[], unit: ExpireUnit): void {
  const key = args[1];
  const value = args[3];
  const expireAt = expireArgument(unit, args[2], args[0].toLowerCase(), Date.now());
  storeString(client, key, value, expireAt);
  client.propagateAs = [['SET', key, value, 'PXAT', String(expireAt)]];
  client.reply.ok();
}

function setex(client: Client, args: string[]): void {
  setWithExpiry(client, args, 'EX');
}

function psetex(client: Client, args: string[]): void {
  setWithExpiry(client, args, 'PX');
}

/** GETSET key value: the old value or nil; stores value and drops the TTL. Journals SET. */
function getset(client: Client, args: string[]): void {
  const key = args[1];
  const old = readString(client, key);
  storeString(client, key, args[2], null);
  client.propagateAs = [['SET', key, args[2]]];
  if (old === undefined) client.reply.nil();
  else client.reply.bulk(old);
}

/** GETDEL key: the value or nil, and deletes the key. Journals DEL. */
function getdel(client: Client, args: string[]): void {
  const key = args[1];
  const value = readString(client, key);
  if (value === undefined) {
    client.reply.nil();
    return;
  }
  client.db.delete(key);
  notifyGeneric(client, 'del', key);
  client.server.dirty++;
  client.propagateAs = [['DEL', key]];
  client.reply.bulk(value);
}

/**
 * GETEX key [EX s|PX ms|EXAT s|PXAT ms|PERSIST]: the value or nil, and
 * changes the TTL. An EXAT/PXAT time already past deletes the key. Journals
 * PEXPIREAT, DEL or PERSIST. A missing key replies nil before the expiry
 * value is checked, as in Redis.
 */
function getex(client: Client, args: string[]): void {
  const key = args[1];
  const options = parseStringOptions(args, false);
  const value = readString(client, key);
  if (value === undefined) {
    client.reply.nil();
    return;
  }
  const now = Date.now();
  const expireAt = expireOf(options, 'getex', now);
  client.reply.bulk(value);
  const absolute = options.expireUnit === 'EXAT' || options.expireUnit === 'PXAT';
  if (expireAt !== null && absolute && expireAt <= now) {
    client.db.delete(key);
    changeTtl(client, key, 'del', ['DEL', key]);
  } else if (expireAt !== null) {
    client.db.setExpire(key, expireAt);
    changeTtl(client, key, 'expire', ['PEXPIREAT', key, String(expireAt)]);
  } else if (options.persist && client.db.persist(key)) {
    changeTtl(client, key, 'persist', ['PERSIST', key]);
  }
}

function changeTtl(client: Client, key: string, event: string, journal: string[]): void {
  notifyGeneric(client, event, key);
  client.server.dirty++;
  client.propagateAs = [journal];
}

/** GET key: the value, or nil. */
function get(client: Client, args: string[]): void {
  const value = readString(client, args[1]);
  if (value === undefined) client.reply.nil();
  else client.reply.bulk(value);
}

/** MGET key [key ...]: each value, nil for a missing key or one that is not a string. */
function mget(client: Client, args: string[]): void {
  client.reply.array(args.length - 1);
  for (let i = 1; i < args.length; i++) {
    const value = lookupRead(client, args[i]);
    if (value === undefined || !isString(value)) client.reply.nil();
    else client.reply.bulk(value);
  }
}

function storePairs(client: Client, args: string[]): void {
  for (let i = 1; i < args.length; i += 2) {
    notifyIfNew(client, args[i]);
    client.db.set(args[i], args[i + 1]);
    notifyString(client, 'set', args[i]);
  }
  client.server.dirty += (args.length - 1) / 2;
}

/** MSET key value [key value ...]: OK; drops the TTL of each key set. */
function mset(client: Client, args: string[]): void {
  if (args.length % 2 === 0) throw new CommandError(wrongArity(args[0]));
  storePairs(client, args);
  client.reply.ok();
}

/** MSETNX key value [key value ...]: 1 after setting every pair, or 0 if any key exists. */
function msetnx(client: Client, args: string[]): void {
  if (args.length % 2 === 0) throw new CommandError(wrongArity(args[0]));
  for (let i = 1; i < args.length; i += 2) {
    if (client.db.get(args[i]) !== undefined) {
      client.reply.int(0);
      return;
    }
  }
  storePairs(client, args);
  client.reply.int(1);
}

const WRITE: ['write', 'denyoom'] = ['write', 'denyoom'];
const WRITE_FAST: ['write', 'denyoom', 'fast'] = ['write', 'denyoom', 'fast'];
const ONE_KEY: [number, number, number] = [1, 1, 1];

/** SET's key flags as COMMAND INFO shows them. setKeyFlags returns those of one request. */
const SET_KEY_FLAGS: KeyFlagList = [['RW', 'access', 'update', 'variable_flags']];
/** SET without GET, SETEX, PSETEX and MSET replace their keys without reading them. */
const SET_OVERWRITES: KeyFlagList = [['OW', 'update']];
/** SETNX and MSETNX write their keys only when none exists yet. */
const NEW_KEYS_WRITTEN: KeyFlagList = [['OW', 'insert']];

/**
 * Returns SET's key flags for one request: like Redis 7.0, a GET argument
 * anywhere after the value makes the key read and updated (so ACL needs read
 * and write), and otherwise the key is only overwritten (write alone).
 */
function setKeyFlags(args: readonly string[]): KeyFlagList {
  for (let i = 3; i < args.length; i++) {
    if (args[i].toLowerCase() === 'get') return KEYS_READ_AND_UPDATED;
  }
  return SET_OVERWRITES;
}

export const stringCommands: RegisteredCommand[] = [
  command({
    name: 'get',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: ONE_KEY,
    categories: ['string'],
    group: 'string',
    summary: 'Returns the string value of a key.',
    handler: get,
  }),
  command({
    name: 'set',
    arity: -3,
    flags: WRITE,
    keys: ONE_KEY,
    keyFlags: SET_KEY_FLAGS,
    requestKeyFlags: setKeyFlags,
    categories: ['string'],
    group: 'string',
    summary: 'Sets the string value of a key, with optional condition and expiry.',
    complexity: 'O(1)',
    handler: set,
  }),
  command({
    name: 'setnx',
    arity: 3,
    flags: WRITE_FAST,
    keys: ONE_KEY,
    keyFlags: NEW_KEYS_WRITTEN,
    categories: ['string'],
    group: 'string',
    summary: 'Sets a key only when it does not exist.',
    handler: setnx,
  }),
  command({
    name: 'setex',
    arity: 4,
    flags: WRITE,
    keys: ONE_KEY,
    keyFlags: SET_OVERWRITES,
    categories: ['string'],
    group: 'string',
    since: '2.0.0',
    summary: 'Sets a key with a time to live in seconds.',
    handler: setex,
  }),
  command({
    name: 'psetex',
    arity: 4,
    flags: WRITE,
    keys: ONE_KEY,
    keyFlags: SET_OVERWRITES,
    categories: ['string'],
    group: 'string',
    since: '2.6.0',
    summary: 'Sets a key with a time to live in milliseconds.',
    handler: psetex,
  }),
  command({
    name: 'getset',
    arity: 3,
    flags: WRITE_FAST,
    keys: ONE_KEY,
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['string'],
    group: 'string',
    summary: 'Sets a key and returns its previous value.',
    handler: getset,
  }),
  command({
    name: 'getdel',
    arity: 2,
    flags: ['write', 'fast'],
    keys: ONE_KEY,
    keyFlags: KEYS_POPPED,
    categories: ['string'],
    group: 'string',
    since: '6.2.0',
    summary: 'Returns the value of a key and deletes the key.',
    handler: getdel,
  }),
  command({
    name: 'getex',
    arity: -2,
    flags: ['write', 'fast'],
    keys: ONE_KEY,
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['string'],
    group: 'string',
    since: '6.2.0',
    summary: 'Returns the value of a key and changes or removes its expiry.',
    handler: getex,
  }),
  command({
    name: 'mget',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
    categories: ['string'],
    group: 'string',
    complexity: 'O(N) for N keys',
    summary: 'Returns the values of several keys.',
    handler: mget,
  }),
  command({
    name: 'mset',
    arity: -3,
    flags: WRITE,
    keys: [1, -1, 2],
    keyFlags: SET_OVERWRITES,
    categories: ['string'],
    group: 'string',
    since: '1.0.1',
    complexity: 'O(N) for N keys',
    summary: 'Sets several keys.',
    handler: mset,
  }),
  command({
    name: 'msetnx',
    arity: -3,
    flags: WRITE,
    keys: [1, -1, 2],
    keyFlags: NEW_KEYS_WRITTEN,
    categories: ['string'],
    group: 'string',
    since: '1.0.1',
    complexity: 'O(N) for N keys',
    summary: 'Sets several keys only when none of them exists.',
    handler: msetnx,
  }),
  command({
    name: 'append',
    arity: 3,
    flags: WRITE_FAST,
    keys: ONE_KEY,
    keyFlags: KEYS_INSERTED,
    categories: ['string'],
    group: 'string',
    since: '2.0.0',
    complexity: 'O(1) amortized',
    summary: 'Appends a string to the value of a key.',
    handler: append,
  }),
  command({
    name: 'strlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: ONE_KEY,
    keyFlags: KEYS_PROBED,
    categories: ['string'],
    group: 'string',
    since: '2.2.0',
    summary: 'Returns the length of a string value in bytes.',
    handler: strlen,
  }),
  command({
    name: 'incr',
    arity: 2,
    flags: WRITE_FAST,
    keys: ONE_KEY,
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['string'],
    group: 'string',
    summary: 'Adds 1 to the integer value of a key.',
    handler: incr,
  }),
  command({
    name: 'decr',
    arity: 2,
    flags: WRITE_FAST,
    keys: ONE_KEY,
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['string'],
    group: 'string',
    summary: 'Subtracts 1 from the integer value of a key.',
    handler: decr,
  }),
  command({
    name: 'incrby',
    arity: 3,
    flags: WRITE_FAST,
    keys: ONE_KEY,
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['string'],
    group: 'string',
    summary: 'Adds an integer to the integer value of a key.',
    handler: incrby,
  }),
  command({
    name: 'decrby',
    arity: 3,
    flags: WRITE_FAST,
    keys: ONE_KEY,
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['string'],
    group: 'string',
    summary: 'Subtracts an integer from the integer value of a key.',
    handler: decrby,
  }),
  command({
    name: 'incrbyfloat',
    arity: 3,
    flags: WRITE_FAST,
    keys: ONE_KEY,
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['string'],
    group: 'string',
    since: '2.6.0',
    summary: 'Adds a floating point number to the value of a key.',
    handler: incrbyfloat,
  }),
  command({
    name: 'getrange',
    arity: 4,
    flags: ['readonly'],
    keys: ONE_KEY,
    categories: ['string'],
    group: 'string',
    since: '2.4.0',
    complexity: 'O(N) for N returned bytes',
    summary: 'Returns a range of bytes of a string value.',
    handler: getrange,
  }),
  command({
    name: 'substr',
    arity: 4,
    flags: ['readonly'],
    keys: ONE_KEY,
    categories: ['string'],
    group: 'string',
    complexity: 'O(N) for N returned bytes',
    summary: 'Returns a range of bytes of a string value (old name of GETRANGE).',
    handler: getrange,
  }),
  command({
    name: 'setrange',
    arity: 4,
    flags: WRITE,
    keys: ONE_KEY,
    categories: ['string'],
    group: 'string',
    since: '2.2.0',
    complexity: 'O(M) for M written bytes, amortized',
    summary: 'Overwrites part of a string value at an offset.',
    handler: setrange,
  }),
  command({
    name: 'lcs',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 2, 1],
    categories: ['string'],
    group: 'string',
    since: '7.0.0',
    complexity: 'O(N*M) for strings of N and M bytes',
    summary: 'Finds the longest common subsequence of two string values.',
    handler: lcs,
  }),
];
