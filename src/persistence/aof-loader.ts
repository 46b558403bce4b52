/**
 * Loads the append-only files at start-up: the base file (a snapshot, or
 * commands) and then every increment file, replaying their commands through
 * the command table as an internal client.
 *
 * A last command cut short by a crash is removed with a warning when
 * `aof-load-truncated` is yes (the file is truncated to its last complete
 * command); otherwise start-up stops. Anything else that does not parse stops
 * start-up with the file name and byte offset, and no file is changed.
 */
import { existsSync, readFileSync, truncateSync } from 'node:fs';
import { EncryptionError, readStoredFile, type StoredFile } from './encryption';
import { join } from 'node:path';
import { Client, type Transport } from '../engine/client';
import { execute, resolveCommand } from '../engine/dispatch';
import type { Server } from '../engine/server';
import { RespParser } from '../protocol/resp/parser';
import { parseManifest, manifestName, type AofManifest } from './aof-manifest';
import { fromPlain, valueStored } from './plain';
import { RdbFormatError } from './rdb-decoder';
import { RdbReader } from './rdb-file';
import { loadLibraries, logEmptyKeysSkipped, SnapshotLoadError } from './snapshots';

const NO_SOCKET: Transport = {
  flushSoon: () => undefined,
  close: () => undefined,
  resume: () => undefined,
  remoteAddress: '',
  localAddress: '',
};

const REPLAY_LIMITS = {
  maxBulkLength: Number.MAX_SAFE_INTEGER,
  maxArguments: Number.MAX_SAFE_INTEGER,
  maxInlineLength: 64 * 1024,
};

/** A client that replays commands from files; its replies are discarded. */
export function createReplayClient(server: Server): Client {
  const client = new Client(server, NO_SOCKET, 0, true);
  client.authenticated = true;
  return client;
}

export function appendOnlyDirectory(server: Server): string {
  return server.config.string('appenddirname');
}

/** Reads the manifest, or returns null when there is no append-only directory yet. */
export function readManifest(server: Server): AofManifest | null {
  const path = join(
    appendOnlyDirectory(server),
    manifestName(server.config.string('appendfilename')),
  );
  if (!existsSync(path)) return null;
  try {
    return parseManifest(readFileSync(path, 'latin1'));
  } catch (error) {
    throw new SnapshotLoadError(
      `append-only manifest ${path} is invalid: ${(error as Error).message}`,
    );
  }
}

/** Loads every file the manifest names; returns false when there is no manifest. */
export function loadAppendOnlyFiles(server: Server): boolean {
  const manifest = readManifest(server);
  if (manifest === null) return false;
  const directory = appendOnlyDirectory(server);
  const client = createReplayClient(server);
  if (manifest.base !== null) loadFile(server, client, join(directory, manifest.base.name), false);
  const increments = manifest.increments;
  for (let i = 0; i < increments.length; i++) {
    const last = i === increments.length - 1;
    loadFile(server, client, join(directory, increments[i].name), last);
  }
  server.logger.info({ directory, files: increments.length + 1 }, 'append-only files loaded');
  return true;
}

function loadFile(server: Server, client: Client, path: string, last: boolean): void {
  if (!existsSync(path)) throw new SnapshotLoadError(`append-only file ${path} is missing`);
  let stored: StoredFile;
  try {
    stored = readStoredFile(path, server.keyring);
  } catch (error) {
    if (error instanceof EncryptionError) throw new SnapshotLoadError(error.message);
    throw error;
  }
  const file = stored.data;
  if (file.subarray(0, 5).toString('latin1') === 'REDIS') {
    if (stored.validLength < stored.size) {
      throw new SnapshotLoadError(
        `append-only base file ${path} is truncated at byte offset ${stored.validLength}`,
      );
    }
    loadSnapshotBase(server, file, path);
    return;
  }
  const valid = replayCommands(client, file, path);
  if (stored.encrypted && valid < file.length) {
    throw new SnapshotLoadError(
      `append-only file ${path} has an incomplete command inside a record`,
    );
  }
  const validBytes = stored.encrypted ? stored.validLength : valid;
  if (validBytes < stored.size) handleTruncation(server, path, validBytes, stored.size, last);
}

function loadSnapshotBase(server: Server, file: Buffer, path: string): void {
  try {
    const reader = new RdbReader(file);
    const now = Date.now();
    for (let entry = reader.next(); entry !== null; entry = reader.next()) {
      if (entry.expiresAt >= 0 && entry.expiresAt <= now) continue;
      const db = server.databases[entry.dbIndex];
      if (db === undefined)
        throw new RdbFormatError('database index beyond databases', reader.offset);
      const value = fromPlain(entry.value, server.config);
      db.set(entry.key, value);
      if (entry.expiresAt >= 0) db.setExpire(entry.key, entry.expiresAt);
      valueStored(server, db, entry.key, value);
    }
    loadLibraries(server, reader, path);
    logEmptyKeysSkipped(server, reader, path);
  } catch (error) {
    if (error instanceof RdbFormatError) {
      throw new SnapshotLoadError(`append-only base file ${path} is corrupt: ${error.message}`);
    }
    throw error;
  }
}

/** Replays RESP commands; MULTI blocks run only when their EXEC is in the file. */
/** Returns how many bytes held complete commands (and complete MULTI blocks). */
function replayCommands(client: Client, file: Buffer, path: string): number {
  const parser = new RespParser(REPLAY_LIMITS);
  parser.feed(file);
  let transaction: string[][] | null = null;
  let transactionStart = 0;
  let complete = 0;
  for (;;) {
    const args = parser.next();
    if (args === null) break;
    const end = file.length - parser.buffered;
    const name = args.length > 0 ? args[0].toUpperCase() : '';
    if (name === 'MULTI') {
      transaction = [];
      transactionStart = complete;
    } else if (name === 'EXEC') {
      for (const queued of transaction ?? []) run(client, queued, path, complete);
      transaction = null;
    } else if (transaction !== null) {
      transaction.push(args);
    } else if (args.length > 0) {
      run(client, args, path, complete);
    }
    client.writer.truncate(0);
    complete = end;
  }
  if (parser.error !== null) {
    throw new SnapshotLoadError(`append-only file ${path} is corrupt near byte offset ${complete}`);
  }
  return transaction === null ? complete : transactionStart;
}

function run(client: Client, args: string[], path: string, offset: number): void {
  const spec = resolveCommand(client, args);
  if (typeof spec === 'string') {
    throw new SnapshotLoadError(
      `append-only file ${path} has an invalid command near byte offset ${offset}: ${spec}`,
    );
  }
  execute(client, spec, args);
}

function handleTruncation(
  server: Server,
  path: string,
  valid: number,
  size: number,
  last: boolean,
): void {
  if (!last || !server.config.bool('aof-load-truncated')) {
    throw new SnapshotLoadError(
      `append-only file ${path} ends with an incomplete command at byte offset ${valid}` +
        (last ? ' (aof-load-truncated is no)' : ''),
    );
  }
  server.logger.warn(
    { file: path, validBytes: valid, size },
    'append-only file was truncated; cutting it',
  );
  truncateSync(path, valid);
}
