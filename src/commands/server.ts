/** Server commands: INFO, TIME, LASTSAVE, SHUTDOWN and DEBUG. */
import { constants } from 'node:buffer';
import { command, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { buildInfo } from '../observability/info';
import { loadSnapshot, saveNow } from '../persistence/snapshots';
import { setActiveExpiry } from '../store/active-expiry';
import { lruClock } from '../store/eviction';
import { isString, MAX_MAP_ENTRIES, stringEncoding, type Value } from '../store/types';
import { isLocalClient } from './client';
import { writeSubcommandHelp } from './command-info';

/** INFO [section ...]: the server's statistics as `name:value` lines, grouped in sections. */
function info(client: Client, args: string[]): void {
  client.reply.verbatim(buildInfo(client.server, args.slice(1)));
}

/** TIME: the wall clock as [unix seconds, microseconds], both bulk strings. */
function time(client: Client): void {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  client.reply.bulkArray([String(Math.floor(micros / 1e6)), String(micros % 1e6)]);
}

/**
 * ROLE: the server's replication role. Damselfly has no replication, so it is
 * always a master at offset 0 with no replicas.
 */
function role(client: Client): void {
  client.reply.array(3);
  client.reply.bulk('master');
  client.reply.int(0);
  client.reply.array(0);
}

/** LASTSAVE: the unix time of the last successful snapshot. */
function lastSave(client: Client): void {
  client.reply.int(client.server.lastSaveTime);
}

interface ShutdownOptions {
  /** True for SAVE, false for NOSAVE, null to follow the save settings. */
  save: boolean | null;
  abort: boolean;
}

/** Reads SHUTDOWN's flags; NOW and FORCE are accepted and change nothing here. */
function parseShutdown(args: string[]): ShutdownOptions {
  let save = false;
  let noSave = false;
  let abort = false;
  let other = false;
  for (const arg of args.slice(1)) {
    const flag = arg.toLowerCase();
    if (flag === 'save') save = true;
    else if (flag === 'nosave') noSave = true;
    else if (flag === 'abort') abort = true;
    else if (flag === 'now' || flag === 'force') other = true;
    else throw new CommandError(ERR.syntax);
  }
  if ((save && noSave) || (abort && (save || noSave || other))) {
    throw new CommandError(ERR.syntax);
  }
  if (save) return { save: true, abort };
  return { save: noSave ? false : null, abort };
}

/**
 * SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]: stops the server; the
 * process entry point saves (per the flags and settings) and exits, so the
 * caller gets no reply, only a closed connection. When the save fails it
 * replies an error and the server keeps running. ABORT replies an error,
 * because a shutdown never waits for replicas here and so is never pending.
 */
function shutdown(client: Client, args: string[]): void {
  const options = parseShutdown(args);
  if (options.abort) throw new CommandError(ERR.noShutdownInProgress);
  client.server.logger.info({ client: client.id, save: options.save }, 'SHUTDOWN requested');
  if (!client.server.onShutdown(options.save)) throw new CommandError(ERR.shutdownFailed);
}

/** Checks whether `enable-debug-command` lets this client run DEBUG. */
function debugAllowed(client: Client): boolean {
  const mode = client.server.config.string('enable-debug-command');
  return mode === 'yes' || (mode === 'local' && isLocalClient(client));
}

/** Reads a number the way C's atof does: the longest numeric prefix, 0 when there is none. */
function parseLeadingFloat(text: string): number {
  const value = Number.parseFloat(text);
  return Number.isNaN(value) ? 0 : value;
}

/** Blocks the whole process, as Redis's DEBUG SLEEP blocks its event loop. */
function sleepBlocking(milliseconds: number): void {
  if (!(milliseconds > 0)) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

/** Bytes an RDB length prefix takes. */
function lengthPrefixSize(length: number): number {
  if (length < 64) return 1;
  if (length < 16384) return 2;
  return length <= 0xffffffff ? 5 : 9;
}

/** Bytes an RDB integer-encoded string takes, or 0 when it does not fit in 32 bits. */
function integerSize(text: string): number {
  const value = Number(text);
  if (value >= -128 && value <= 127) return 2;
  if (value >= -32768 && value <= 32767) return 3;
  return value >= -2147483648 && value <= 2147483647 ? 5 : 0;
}

/**
 * Computes the serialized length DEBUG OBJECT reports: the size of the value
 * in an RDB file.
 * NOTE: this is exact only for strings that are stored uncompressed.
 * Collections report 0 because their serialized form is not computed here.
 */
function serializedLength(value: Value): number {
  if (!isString(value)) return 0;
  const text = typeof value === 'string' ? value : '';
  if (stringEncoding(value) === 'int' && integerSize(text) > 0) return integerSize(text);
  return lengthPrefixSize(value.length) + value.length;
}

/**
 * DEBUG OBJECT key: low-level facts about a value on one line.
 * NOTE: there is no object address or reference count here, so `Value at`
 * is 0x0 and `refcount` is 1. Under an LFU policy `lru_seconds_idle` is 0.
 */
function debugObject(client: Client, key: string): void {
  const value = client.db.get(key);
  if (value === undefined) throw new CommandError(ERR.noSuchKey);
  const encoding = isString(value) ? stringEncoding(value) : value.encoding();
  const now = lruClock();
  const clock = client.db.accessMode === 'lru' ? (client.db.access?.get(key) ?? now) : now;
  client.reply.simple(
    `Value at:0x0 refcount:1 encoding:${encoding} serializedlength:${serializedLength(value)} ` +
      `lru:${clock & ((1 << 24) - 1)} lru_seconds_idle:${Math.max(0, now - clock)}`,
  );
}

/** Reads a count or size of DEBUG POPULATE: a non-negative integer. */
function parsePopulateNumber(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : -1;
  if (!Number.isSafeInteger(value) || value < 0) throw new CommandError(ERR.notPositive);
  return value;
}

/**
 * DEBUG POPULATE count [prefix] [size]: creates string keys prefix:0 ...
 * prefix:<count-1> (prefix "key") holding "value:<n>", zero-padded or cut to
 * `size` bytes when a size is given; existing keys are left alone. OK.
 * Like Redis, the keys are not journaled.
 */
function debugPopulate(client: Client, args: string[]): void {
  if (args.length > 5) throw new CommandError(ERR.debugUnknownSubcommand(args[1]));
  const count = parsePopulateNumber(args[2]);
  const prefix = args.length > 3 ? args[3] : 'key';
  const size = args.length > 4 ? parsePopulateNumber(args[4]) : 0;
  const db = client.db;
  // Redis itself crashes on such sizes; Damselfly refuses them before building anything.
  if (size > constants.MAX_STRING_LENGTH) throw new CommandError(ERR.stringTooLong);
  if (count > MAX_MAP_ENTRIES - db.size) throw new CommandError(ERR.databaseFull(MAX_MAP_ENTRIES));
  for (let i = 0; i < count; i++) {
    const key = `${prefix}:${i}`;
    if (db.has(key)) continue;
    let value = `value:${i}`;
    if (size > 0) value = size <= value.length ? value.slice(0, size) : value.padEnd(size, '\0');
    db.set(key, value);
  }
  client.reply.ok();
}

/** DEBUG SET-ACTIVE-EXPIRE 0|1: turns the active expiry cycle off (0) or on (any other number). */
function debugSetActiveExpire(client: Client, args: string[]): void {
  setActiveExpiry(client.server, parseLeadingFloat(args[2]) !== 0);
  client.reply.ok();
}

const RELOAD_OPTIONS = new Set(['merge', 'noflush', 'nosave']);

/**
 * DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves the snapshot (unless
 * NOSAVE), empties the databases (unless NOFLUSH), and loads the snapshot
 * back; OK once loaded. The caller waits meanwhile; other clients get
 * LOADING.
 * NOTE: with NOFLUSH, a loaded key replaces an existing one whether or not
 * MERGE is given; Redis stops the server on such a conflict without MERGE.
 */
function debugReload(client: Client, args: string[]): void {
  const options = new Set(args.slice(2).map((arg) => arg.toLowerCase()));
  for (const option of options) {
    if (!RELOAD_OPTIONS.has(option)) throw new CommandError(ERR.debugReloadOptions);
  }
  const server = client.server;
  if (!options.has('nosave')) {
    try {
      saveNow(server);
    } catch {
      throw new CommandError(ERR.debugReloadSave);
    }
  }
  if (!options.has('noflush')) {
    for (const db of server.databases) {
      server.databaseModified(db);
      db.clear();
    }
  }
  client.blocked = true;
  loadSnapshot(server).then(
    (loaded) => finishReload(client, loaded ? null : ERR.debugReloadLoad),
    (error: Error) => {
      server.logger.error({ err: error.message }, 'DEBUG RELOAD could not load the snapshot');
      finishReload(client, ERR.debugReloadLoad);
    },
  );
}

/** Replies to a waiting DEBUG RELOAD and lets its connection go on. */
function finishReload(client: Client, error: string | null): void {
  client.blocked = false;
  if (error === null) client.reply.ok();
  else {
    client.server.countError(error);
    client.reply.error(error);
  }
  client.transport.flushSoon();
  client.transport.resume();
}

const DEBUG_HELP = [
  'LOG <message>',
  '    Write <message> to the server log.',
  'OBJECT <key>',
  '    Reply with low-level facts about the value of <key>.',
  'POPULATE <count> [<prefix>] [<size>]',
  '    Create <count> string keys named <prefix>:<num> (prefix "key"), holding',
  '    "value:<num>", zero-padded or cut to <size> bytes when given.',
  'RELOAD [MERGE] [NOFLUSH] [NOSAVE]',
  '    Save the snapshot, empty the databases and load the snapshot back.',
  '    NOSAVE loads the file as it is, NOFLUSH keeps the current keys.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Turn the background removal of expired keys off (0) or on (1).',
  'SLEEP <seconds>',
  '    Stop the whole server for <seconds> (decimals allowed).',
];

type DebugHandler = (client: Client, args: string[]) => void;

/** DEBUG subcommands with their allowed argument counts (the whole request). */
const DEBUG_SUBCOMMANDS = new Map<string, [min: number, max: number, handler: DebugHandler]>([
  ['populate', [3, Infinity, debugPopulate]],
  ['reload', [2, Infinity, debugReload]],
  ['set-active-expire', [3, 3, debugSetActiveExpire]],
]);

/**
 * DEBUG SLEEP seconds | OBJECT key | LOG message | HELP. Refused unless
 * `enable-debug-command` allows it.
 * NOTE: Redis refuses DEBUG before it checks authentication or queues it in
 * MULTI; here the check runs when DEBUG executes, so inside MULTI the refusal
 * comes from EXEC.
 */
function debug(client: Client, args: string[]): void {
  if (!debugAllowed(client)) throw new CommandError(ERR.debugNotAllowed);
  const subcommand = args[1].toLowerCase();
  if (subcommand === 'help' && args.length === 2) {
    writeSubcommandHelp(client, 'DEBUG', DEBUG_HELP);
  } else if (subcommand === 'sleep' && args.length === 3) {
    sleepBlocking(parseLeadingFloat(args[2]) * 1000);
    client.reply.ok();
  } else if (subcommand === 'object' && args.length === 3) {
    debugObject(client, args[2]);
  } else if (subcommand === 'log' && args.length === 3) {
    client.server.logger.warn({ client: client.id, message: args[2] }, 'DEBUG LOG');
    client.reply.ok();
  } else {
    const entry = DEBUG_SUBCOMMANDS.get(subcommand);
    if (entry === undefined || args.length < entry[0] || args.length > entry[1]) {
      throw new CommandError(ERR.debugUnknownSubcommand(args[1]));
    }
    entry[2](client, args);
  }
}

export const serverCommands: RegisteredCommand[] = [
  command({
    name: 'info',
    arity: -1,
    flags: ['loading', 'stale'],
    categories: ['dangerous'],
    group: 'server',
    since: '1.0.0',
    summary: 'Reports statistics and facts about the server.',
    complexity: 'O(1)',
    handler: info,
  }),
  command({
    name: 'time',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    group: 'server',
    since: '2.6.0',
    summary: "Returns the server's clock.",
    handler: time,
  }),
  command({
    name: 'lastsave',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    categories: ['admin', 'dangerous'],
    group: 'server',
    since: '1.0.0',
    summary: 'Returns the unix time of the last successful snapshot.',
    handler: lastSave,
  }),
  command({
    name: 'role',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast'],
    categories: ['admin', 'dangerous'],
    group: 'server',
    since: '2.8.12',
    summary: 'Returns the replication role of the server.',
    handler: role,
  }),
  command({
    name: 'shutdown',
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
    group: 'server',
    since: '1.0.0',
    summary: 'Saves (as configured) and stops the server.',
    complexity: 'O(N) when saving, where N is the number of keys',
    handler: shutdown,
  }),
  command({
    name: 'debug',
    arity: -2,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    group: 'server',
    since: '1.0.0',
    summary: 'Runs debugging and inspection helpers.',
    complexity: 'Depends on subcommand.',
    handler: debug,
  }),
];
