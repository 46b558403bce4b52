/**
 * Generic key commands: DEL, UNLINK, EXISTS, TOUCH, TYPE, RENAME, RENAMENX,
 * COPY, MOVE, KEYS, SCAN, RANDOMKEY; and the database-wide DBSIZE, FLUSHDB,
 * FLUSHALL and SWAPDB. Expiry commands are in expire.ts, OBJECT in object.ts.
 */
import { signalDatabaseReady, signalKeyReady } from '../engine/blocking';
import {
  command,
  type RegisteredCommand,
  KEYS_READ_AND_UPDATED,
  KEYS_PROBED,
  type KeyFlagList,
} from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { notifyKeyspaceEvent } from '../engine/notify';
import type { Server } from '../engine/server';
import type { Database } from '../store/database';
import { globMatch } from '../store/glob';
import { forgetCursors, scanIterable } from '../store/scan';
import { isString, typeOf, type Value } from '../store/types';
import { isOption, toInteger } from './arguments';
import { lookupRead } from './lookup';
import { parseCursor, parseScanOptions, type ScanOptions } from './scan-arguments';

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * Parses a 32-bit integer as Redis's getIntFromObjectOrReply does: "not an
 * integer" for a non-integer, "out of range" for a 64-bit one beyond 32 bits.
 * `message`, when given, replaces both errors.
 */
function parseInt32(text: string, message?: string): number {
  const value = toInteger(text);
  if (value === null) throw new CommandError(message ?? ERR.notInteger);
  if (value < INT32_MIN || value > INT32_MAX) throw new CommandError(message ?? ERR.intOutOfRange);
  return value;
}

/** Returns the database an index argument names, or raises "DB index is out of range". */
function databaseArgument(server: Server, text: string): Database {
  const index = parseInt32(text);
  if (index < 0 || index >= server.databases.length) {
    throw new CommandError(ERR.dbIndexOutOfRange);
  }
  return server.databases[index];
}

/** Copies a value for COPY, so that the copy shares no mutable state with the original. */
function cloneValue(value: Value): Value {
  if (typeof value === 'string') return value;
  if (isString(value)) return Buffer.from(value);
  return value.clone();
}

/**
 * DEL key [key ...] and UNLINK key [key ...]: the number of keys removed.
 * Sends a `del` event per key. UNLINK is the same, because dropping a value
 * leaves its memory to the garbage collector either way.
 */
function del(client: Client, args: string[]): void {
  const db = client.db;
  let removed = 0;
  for (let i = 1; i < args.length; i++) {
    const key = args[i];
    if (db.get(key) === undefined || !db.delete(key)) continue;
    removed++;
    notifyKeyspaceEvent(client.server, 'g', 'del', key, db.id);
  }
  client.server.dirty += removed;
  client.reply.int(removed);
}

/**
 * EXISTS key [key ...] and TOUCH key [key ...]: how many of the keys exist,
 * counting a repeated key each time. Changes nothing.
 */
function exists(client: Client, args: string[]): void {
  let found = 0;
  for (let i = 1; i < args.length; i++) {
    if (lookupRead(client, args[i]) !== undefined) found++;
  }
  client.reply.int(found);
}

/** TYPE key: the type name as a status reply, `none` for a missing key. */
function typeOfKey(client: Client, args: string[]): void {
  const value = lookupRead(client, args[1]);
  client.reply.simple(value === undefined ? 'none' : typeOf(value));
}

/**
 * RENAME key newkey: OK; RENAMENX: 1, or 0 when newkey exists. Moves the
 * value with its time to live, replacing newkey. A missing key is an error;
 * a key renamed onto itself changes nothing. Sends rename_from and rename_to,
 * and serves clients blocked on newkey.
 */
function rename(client: Client, args: string[]): void {
  renameKey(client, args[1], args[2], false);
}

function renamenx(client: Client, args: string[]): void {
  renameKey(client, args[1], args[2], true);
}

function renameKey(
  client: Client,
  source: string,
  destination: string,
  onlyIfAbsent: boolean,
): void {
  const db = client.db;
  const value = db.get(source);
  if (value === undefined) throw new CommandError(ERR.noSuchKey);
  if (source === destination || (onlyIfAbsent && db.get(destination) !== undefined)) {
    if (onlyIfAbsent) client.reply.int(0);
    else client.reply.ok();
    return;
  }
  const expireAt = db.getExpire(source);
  db.delete(source);
  db.set(destination, value);
  if (expireAt !== -1) db.setExpire(destination, expireAt);
  signalKeyReady(client.server, db, destination);
  client.server.dirty++;
  notifyKeyspaceEvent(client.server, 'g', 'rename_from', source, db.id);
  notifyKeyspaceEvent(client.server, 'g', 'rename_to', destination, db.id);
  if (onlyIfAbsent) client.reply.int(1);
  else client.reply.ok();
}

/**
 * COPY source destination [DB index] [REPLACE]: 1 when copied, 0 when the
 * source is missing or the destination exists without REPLACE. The copy keeps
 * the time to live. Sends copy_to in the destination's database and serves
 * clients blocked on the destination.
 */
function copy(client: Client, args: string[]): void {
  const [, source, destination] = args;
  let target = client.db;
  let replace = false;
  for (let i = 3; i < args.length; i++) {
    if (isOption(args[i], 'REPLACE')) {
      replace = true;
    } else if (isOption(args[i], 'DB') && i + 1 < args.length) {
      target = databaseArgument(client.server, args[++i]);
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  if (target === client.db && source === destination) throw new CommandError(ERR.sameObject);
  const value = lookupRead(client, source);
  if (value === undefined || (!replace && target.get(destination) !== undefined)) {
    client.reply.int(0);
    return;
  }
  const expireAt = client.db.getExpire(source);
  target.set(destination, cloneValue(value));
  if (expireAt !== -1) target.setExpire(destination, expireAt);
  // Dispatch signals WATCH for the arguments in the client's database only.
  if (target !== client.db) client.server.keyModified(target, destination);
  signalKeyReady(client.server, target, destination);
  client.server.dirty++;
  notifyKeyspaceEvent(client.server, 'g', 'copy_to', destination, target.id);
  client.reply.int(1);
}

/**
 * MOVE key db: 1 when the key moved with its time to live to the other
 * database, 0 when it is missing here or exists there. Sends move_from and
 * move_to, each in its own database, and serves clients blocked on the key
 * there.
 */
function move(client: Client, args: string[]): void {
  const key = args[1];
  const source = client.db;
  const target = databaseArgument(client.server, args[2]);
  if (target === source) throw new CommandError(ERR.sameObject);
  const value = source.get(key);
  if (value === undefined || target.get(key) !== undefined) {
    client.reply.int(0);
    return;
  }
  const expireAt = source.getExpire(key);
  target.set(key, value);
  if (expireAt !== -1) target.setExpire(key, expireAt);
  source.delete(key);
  client.server.keyModified(target, key);
  signalKeyReady(client.server, target, key);
  client.server.dirty++;
  notifyKeyspaceEvent(client.server, 'g', 'move_from', key, source.id);
  notifyKeyspaceEvent(client.server, 'g', 'move_to', key, target.id);
  client.reply.int(1);
}

/** Returns whether a pattern has no glob syntax, so that it can only match itself. */
function isLiteralPattern(pattern: string): boolean {
  return !/[*?[\\]/.test(pattern);
}

/** Returns whether a key is still in the Map but past its expiry time. */
function hasExpired(db: Database, key: string, now: number): boolean {
  if (db.expires.size === 0) return false;
  const when = db.expires.get(key);
  return when !== undefined && when <= now;
}

/**
 * KEYS pattern: every live key matching the glob pattern, in no set order.
 * O(n) in the number of keys like Redis, except a pattern without glob
 * syntax, which is one lookup.
 */
function keys(client: Client, args: string[]): void {
  const pattern = args[1];
  const db = client.db;
  const now = Date.now();
  const found: string[] = [];
  if (isLiteralPattern(pattern)) {
    if (db.data.has(pattern) && !hasExpired(db, pattern, now)) found.push(pattern);
  } else {
    const all = pattern === '*';
    for (const key of db.data.keys()) {
      if ((all || globMatch(pattern, key)) && !hasExpired(db, key, now)) found.push(key);
    }
  }
  client.reply.bulkArray(found);
}

/** Returns whether SCAN replies a key it stepped over: it matches, has the type, and is live. */
function passesScanFilters(client: Client, key: string, options: ScanOptions): boolean {
  if (options.pattern !== null && !globMatch(options.pattern, key)) return false;
  if (options.type !== null) {
    // Redis looks the key up as a read here, so it counts a keyspace hit or miss.
    const value = lookupRead(client, key);
    if (value === undefined || typeOf(value) !== options.type) return false;
  }
  return client.db.get(key) !== undefined;
}

/**
 * SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: [next cursor, keys].
 * Steps over COUNT keys per call (default 10), then filters them, so a page
 * may be empty before the end; cursor "0" ends the scan. Removes expired keys
 * it steps over. See store/scan.ts for what a cursor guarantees.
 */
function scan(client: Client, args: string[]): void {
  const cursor = parseCursor(args[1]);
  const options = parseScanOptions(args, 2, true);
  const db = client.db;
  const data = db.data;
  const page = scanIterable(data, () => data.keys(), data.size, cursor, options.count);
  const found = page.items.filter((key) => passesScanFilters(client, key, options));
  client.reply.array(2);
  client.reply.bulk(page.cursor);
  client.reply.bulkArray(found);
}

/** RANDOMKEY: a live key chosen at random (not uniformly, see Database.randomKey), or nil. */
function randomkey(client: Client): void {
  const key = client.db.randomKey();
  if (key === undefined) client.reply.nil();
  else client.reply.bulk(key);
}

/** DBSIZE: the number of keys in the selected database, including expired ones not yet removed. */
function dbsize(client: Client): void {
  client.reply.int(client.db.size);
}

/** Checks FLUSHDB / FLUSHALL's optional ASYNC or SYNC argument. */
function checkFlushMode(args: string[]): void {
  if (args.length > 2) throw new CommandError(ERR.syntax);
  if (args.length === 2 && !isOption(args[1], 'ASYNC') && !isOption(args[1], 'SYNC')) {
    throw new CommandError(ERR.syntax);
  }
}

/** Empties one database, invalidating WATCH and saved scan cursors; returns the keys removed. */
function emptyDatabase(server: Server, db: Database): number {
  const removed = db.size;
  server.databaseModified(db);
  forgetCursors(db.data);
  db.clear();
  return removed;
}

/**
 * FLUSHDB [ASYNC|SYNC]: OK after removing every key of the selected database.
 * Both modes drop the contents at once and leave the memory to the garbage
 * collector.
 */
function flushdb(client: Client, args: string[]): void {
  checkFlushMode(args);
  const removed = emptyDatabase(client.server, client.db);
  // Counting at least one change makes dispatch journal a flush of an empty
  // database too, as Redis forces it to propagate.
  client.server.dirty += Math.max(removed, 1);
  client.reply.ok();
}

/**
 * FLUSHALL [ASYNC|SYNC]: OK after removing every key of every database.
 * NOTE: unlike Redis, it does not also write an empty snapshot when save
 * rules are set, nor remove Lua functions.
 */
function flushall(client: Client, args: string[]): void {
  checkFlushMode(args);
  let removed = 0;
  for (const db of client.server.databases) removed += emptyDatabase(client.server, db);
  client.server.dirty += removed + 1;
  client.reply.ok();
}

/**
 * SWAPDB index1 index2: OK after exchanging the contents of two databases,
 * so clients see the other data at once. Fails WATCH for watched keys that
 * exist in either database, and serves clients blocked on keys of either.
 */
function swapdb(client: Client, args: string[]): void {
  const server = client.server;
  const first = parseInt32(args[1], ERR.invalidFirstDbIndex);
  const second = parseInt32(args[2], ERR.invalidSecondDbIndex);
  const count = server.databases.length;
  if (first < 0 || first >= count || second < 0 || second >= count) {
    throw new CommandError(ERR.dbIndexOutOfRange);
  }
  if (first !== second) {
    const [a, b] = [server.databases[first], server.databases[second]];
    server.databaseModified(a);
    server.databaseModified(b);
    a.swapWith(b);
    server.databaseModified(a);
    server.databaseModified(b);
    signalDatabaseReady(server, a);
    signalDatabaseReady(server, b);
  }
  server.dirty++;
  client.reply.ok();
}

const GROUP = 'generic';

/** DEL and UNLINK only remove their keys, so ACL needs write alone. */
const KEYS_DELETED: KeyFlagList = [['RM', 'delete']];
/** RENAME reads and removes its source and overwrites its destination. */
const RENAME_KEYS: KeyFlagList = [
  ['RW', 'access', 'delete'],
  ['OW', 'update'],
];
/** RENAMENX writes its destination only when that key is new. */
const RENAMENX_KEYS: KeyFlagList = [
  ['RW', 'access', 'delete'],
  ['OW', 'insert'],
];
/** COPY only reads its source. */
const COPY_KEYS: KeyFlagList = [
  ['RO', 'access'],
  ['OW', 'update'],
];

export const keyCommands: RegisteredCommand[] = [
  command({
    name: 'del',
    arity: -2,
    flags: ['write'],
    keys: [1, -1, 1],
    keyFlags: KEYS_DELETED,
    categories: ['keyspace'],
    group: GROUP,
    summary: 'Removes one or more keys.',
    complexity: 'O(N) in the number of keys, plus the size of each removed value.',
    handler: del,
  }),
  command({
    name: 'unlink',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, -1, 1],
    keyFlags: KEYS_DELETED,
    categories: ['keyspace'],
    group: GROUP,
    since: '4.0.0',
    summary: 'Removes one or more keys, leaving their memory to be reclaimed later.',
    complexity: 'O(1) for each key removed.',
    handler: del,
  }),
  command({
    name: 'exists',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
    keyFlags: KEYS_PROBED,
    categories: ['keyspace'],
    group: GROUP,
    summary: 'Counts how many of the keys exist.',
    complexity: 'O(N) in the number of keys.',
    handler: exists,
  }),
  command({
    name: 'touch',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
    keyFlags: KEYS_PROBED,
    categories: ['keyspace'],
    group: GROUP,
    since: '3.2.1',
    summary: 'Marks keys as accessed; returns how many of them exist.',
    complexity: 'O(N) in the number of keys.',
    handler: exists,
  }),
  command({
    name: 'type',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_PROBED,
    categories: ['keyspace'],
    group: GROUP,
    summary: 'Returns the type of the value at a key.',
    handler: typeOfKey,
  }),
  command({
    name: 'rename',
    arity: 3,
    flags: ['write'],
    keys: [1, 2, 1],
    keyFlags: RENAME_KEYS,
    categories: ['keyspace'],
    group: GROUP,
    summary: 'Renames a key, replacing the destination.',
    handler: rename,
  }),
  command({
    name: 'renamenx',
    arity: 3,
    flags: ['write', 'fast'],
    keys: [1, 2, 1],
    keyFlags: RENAMENX_KEYS,
    categories: ['keyspace'],
    group: GROUP,
    summary: 'Renames a key when the new name does not exist yet.',
    handler: renamenx,
  }),
  command({
    name: 'copy',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    writtenKeys: () => [2],
    keyFlags: COPY_KEYS,
    categories: ['keyspace'],
    group: GROUP,
    since: '6.2.0',
    summary: 'Copies the value of a key to another key, possibly in another database.',
    complexity: 'O(N) in the number of elements of the copied value.',
    handler: copy,
  }),
  command({
    name: 'move',
    arity: 3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['keyspace'],
    group: GROUP,
    summary: 'Moves a key to another database.',
    handler: move,
  }),
  command({
    name: 'keys',
    arity: 2,
    flags: ['readonly'],
    categories: ['keyspace', 'dangerous'],
    group: GROUP,
    summary: 'Returns every key that matches a glob pattern.',
    complexity: 'O(N) in the number of keys in the database.',
    handler: keys,
  }),
  command({
    name: 'scan',
    arity: -2,
    flags: ['readonly'],
    categories: ['keyspace'],
    group: GROUP,
    since: '2.8.0',
    summary: 'Iterates over the keys of the database with a cursor.',
    complexity: 'O(1) per call; O(N) for a whole iteration.',
    handler: scan,
  }),
  command({
    name: 'randomkey',
    arity: 1,
    flags: ['readonly'],
    categories: ['keyspace'],
    group: GROUP,
    summary: 'Returns a random key of the database.',
    handler: randomkey,
  }),
  command({
    name: 'dbsize',
    arity: 1,
    flags: ['readonly', 'fast'],
    categories: ['keyspace'],
    group: 'server',
    summary: 'Returns the number of keys in the selected database.',
    handler: dbsize,
  }),
  command({
    name: 'flushdb',
    arity: -1,
    flags: ['write'],
    categories: ['keyspace', 'dangerous'],
    group: 'server',
    summary: 'Removes every key of the selected database.',
    complexity: 'O(1); the memory is reclaimed later.',
    handler: flushdb,
  }),
  command({
    name: 'flushall',
    arity: -1,
    flags: ['write'],
    categories: ['keyspace', 'dangerous'],
    group: 'server',
    summary: 'Removes every key of every database.',
    complexity: 'O(number of databases); the memory is reclaimed later.',
    handler: flushall,
  }),
  command({
    name: 'swapdb',
    arity: 3,
    flags: ['write', 'fast'],
    categories: ['keyspace', 'dangerous'],
    group: 'server',
    since: '4.0.0',
    summary: 'Exchanges the contents of two databases.',
    complexity: 'O(N) in the number of keys watched by clients.',
    handler: swapdb,
  }),
];
