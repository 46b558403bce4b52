/** Persistence commands: SAVE, BGSAVE, DUMP, RESTORE. */
import { command, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { signalKeyReady } from '../engine/blocking';
import { notifyKeyspaceEvent } from '../engine/notify';
import { crc64 } from '../persistence/crc64';
import { fromPlain, toPlain, valueStored } from '../persistence/plain';
import { RdbDecoder, RdbFormatError } from '../persistence/rdb-decoder';
import { RDB_VERSION, RdbEncoder } from '../persistence/rdb-encoder';
import { MAX_READABLE_VERSION } from '../persistence/rdb-file';
import { decodeValue, encodeValue, isEmptyValue } from '../persistence/rdb-values';
import { saveNow, startBackgroundSave } from '../persistence/snapshots';
import { parseInteger } from './arguments';
import { lookupRead } from './lookup';

/** SAVE: writes the snapshot before replying OK. */
function save(client: Client): void {
  if (client.server.persistence.bgsaveInProgress) throw new CommandError(ERR.bgsaveInProgress);
  try {
    saveNow(client.server);
  } catch {
    throw new CommandError('ERR');
  }
  client.reply.ok();
}

/**
 * BGSAVE [SCHEDULE]: starts a background save. While a save runs, it is an
 * error, even with SCHEDULE; while the log is rewritten, SCHEDULE starts the
 * save after the rewrite.
 */
function bgsave(client: Client, args: string[]): void {
  const schedule = args.length === 2;
  if (args.length > 2 || (schedule && args[1].toUpperCase() !== 'SCHEDULE')) {
    throw new CommandError(ERR.syntax);
  }
  const state = client.server.persistence;
  if (state.bgsaveInProgress) throw new CommandError(ERR.bgsaveInProgress);
  if (state.aofRewriteInProgress) {
    if (!schedule) throw new CommandError(ERR.bgsaveWhileRewriting);
    state.bgsaveScheduled = true;
    client.reply.simple('Background saving scheduled');
    return;
  }
  startBackgroundSave(client.server);
  client.reply.simple('Background saving started');
}

/** BGREWRITEAOF: compacts the append-only log in the background. */
function bgrewriteaof(client: Client): void {
  const server = client.server;
  const state = server.persistence;
  if (server.aof === null) throw new CommandError(ERR.aofOff);
  if (state.aofRewriteInProgress) throw new CommandError(ERR.aofRewriteInProgress);
  if (state.bgsaveInProgress) {
    state.aofRewriteScheduled = true;
    client.reply.simple('Background append only file rewriting scheduled');
    return;
  }
  void server.aof.rewrite();
  client.reply.simple('Background append only file rewriting started');
}

/** Serializes a value in DUMP's layout: RDB value, RDB version, CRC-64. */
export function dumpPayload(plain: Parameters<typeof encodeValue>[1]): Buffer {
  const encoder = new RdbEncoder(true);
  encodeValue(encoder, plain);
  encoder.byte(RDB_VERSION & 0xff);
  encoder.byte(RDB_VERSION >> 8);
  const body = encoder.take();
  const checksum = Buffer.alloc(8);
  checksum.writeBigUInt64LE(crc64(body));
  return Buffer.concat([body, checksum]);
}

/** DUMP key: the serialized value, or nil when the key does not exist. */
function dump(client: Client, args: string[]): void {
  const value = lookupRead(client, args[1]);
  if (value === undefined) {
    client.reply.nil();
    return;
  }
  client.reply.bulk(dumpPayload(toPlain(value)));
}

interface RestoreOptions {
  replace: boolean;
  absoluteTtl: boolean;
  /** IDLETIME seconds, or null. */
  idleSeconds: number | null;
  /** FREQ counter, or null. */
  frequency: number | null;
}

function parseRestoreOptions(args: string[]): RestoreOptions {
  const options: RestoreOptions = {
    replace: false,
    absoluteTtl: false,
    idleSeconds: null,
    frequency: null,
  };
  for (let i = 4; i < args.length; i++) {
    const option = args[i].toUpperCase();
    if (option === 'REPLACE') options.replace = true;
    else if (option === 'ABSTTL') options.absoluteTtl = true;
    // As in Redis, IDLETIME and FREQ exclude each other: the second is a syntax error.
    else if (option === 'IDLETIME' && i + 1 < args.length && options.frequency === null) {
      const seconds = parseInteger(args[++i]);
      if (seconds < 0) throw new CommandError(ERR.invalidIdletime);
      options.idleSeconds = seconds;
    } else if (option === 'FREQ' && i + 1 < args.length && options.idleSeconds === null) {
      const frequency = parseInteger(args[++i]);
      if (frequency < 0 || frequency > 255) throw new CommandError(ERR.invalidFrequency);
      options.frequency = frequency;
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return options;
}

/** Checks the version and checksum of a DUMP payload and decodes its value. */
function decodePayload(client: Client, payload: string) {
  const bytes = Buffer.from(payload, 'latin1');
  if (bytes.length < 10) throw new CommandError(ERR.badDumpPayload);
  const footer = bytes.length - 10;
  const version = bytes.readUInt16LE(footer);
  const checksum = bytes.readBigUInt64LE(footer + 2);
  if (version > MAX_READABLE_VERSION || crc64(bytes.subarray(0, footer + 2)) !== checksum) {
    throw new CommandError(ERR.badDumpPayload);
  }
  try {
    const decoder = new RdbDecoder(bytes.subarray(0, footer));
    const plain = decodeValue(decoder, decoder.byte());
    if (decoder.remaining !== 0 || isEmptyValue(plain)) throw new CommandError(ERR.badDataFormat);
    return fromPlain(plain, client.server.config);
  } catch (error) {
    if (error instanceof RdbFormatError) throw new CommandError(ERR.badDataFormat);
    throw error;
  }
}

/**
 * RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f]: OK; BUSYKEY
 * when the key exists without REPLACE. Journals the TTL as absolute.
 */
function restore(client: Client, args: string[]): void {
  const key = args[1];
  const ttl = parseInteger(args[2]);
  if (ttl < 0) throw new CommandError(ERR.invalidTtl);
  const options = parseRestoreOptions(args);
  const db = client.db;
  const exists = db.get(key) !== undefined;
  if (exists && !options.replace) throw new CommandError(ERR.busyKey);
  const value = decodePayload(client, args[3]);
  const expiresAt = ttl === 0 ? -1 : options.absoluteTtl ? ttl : Date.now() + ttl;
  const server = client.server;
  if (expiresAt >= 0 && expiresAt <= Date.now()) {
    if (exists) {
      db.delete(key);
      server.dirty++;
      client.propagateAs = [['DEL', key]];
      notifyKeyspaceEvent(server, 'g', 'del', key, db.id);
    }
    client.reply.ok();
    return;
  }
  db.set(key, value);
  if (expiresAt >= 0) db.setExpire(key, expiresAt);
  db.restoreAccess(key, options.idleSeconds, options.frequency);
  valueStored(server, db, key, value);
  signalKeyReady(server, db, key);
  server.dirty++;
  const journal = ['RESTORE', key, expiresAt >= 0 ? String(expiresAt) : '0', args[3], 'REPLACE'];
  if (expiresAt >= 0) journal.push('ABSTTL');
  if (options.idleSeconds !== null) journal.push('IDLETIME', String(options.idleSeconds));
  if (options.frequency !== null) journal.push('FREQ', String(options.frequency));
  client.propagateAs = [journal];
  notifyKeyspaceEvent(server, 'g', 'restore', key, db.id);
  client.reply.ok();
}

export const persistenceCommands: RegisteredCommand[] = [
  command({
    name: 'save',
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading', 'no_multi'],
    group: 'server',
    summary: 'Writes the snapshot to disk, blocking until done.',
    complexity: 'O(N) keys',
    handler: save,
  }),
  command({
    name: 'bgsave',
    arity: -1,
    flags: ['admin', 'noscript', 'no_async_loading'],
    group: 'server',
    summary: 'Writes the snapshot to disk in the background.',
    complexity: 'O(1) to start',
    handler: bgsave,
  }),
  command({
    name: 'bgrewriteaof',
    arity: 1,
    flags: ['admin', 'noscript', 'no_async_loading'],
    group: 'server',
    summary: 'Rewrites the append-only log in the background.',
    complexity: 'O(1) to start',
    handler: bgrewriteaof,
  }),
  command({
    name: 'dump',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['keyspace'],
    group: 'generic',
    since: '2.6.0',
    summary: 'Returns a serialized copy of the value of a key.',
    complexity: 'O(N) elements',
    handler: dump,
  }),
  command({
    name: 'restore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    keyFlags: [['OW', 'update']],
    categories: ['keyspace', 'dangerous'],
    group: 'generic',
    since: '2.6.0',
    summary: 'Creates a key from a DUMP payload.',
    complexity: 'O(N) elements',
    handler: restore,
  }),
];
