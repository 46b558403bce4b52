/**
 * Snapshot lifecycle: loading at start-up, SAVE and BGSAVE, the `save` rules
 * checked once a second, and the save at shutdown.
 */
import { existsSync } from 'node:fs';
import type { Server } from '../engine/server';
import { EncryptionError, readStoredFile } from './encryption';
import { fromPlain, valueStored } from './plain';
import { RdbFormatError } from './rdb-decoder';
import { RdbReader } from './rdb-file';
import { CommandError } from '../engine/errors';
import { restoreFunctionLibraries } from '../scripting/engine';
import { saveSnapshotInBackground, saveSnapshotSync, snapshotPath } from './snapshot';

/** How long one loading slice may hold the event loop, so clients get LOADING replies. */
const LOAD_SLICE_MS = 20;

/** Thrown when a snapshot cannot be loaded; start-up stops and the file is left as it is. */
export class SnapshotLoadError extends Error {}

/** Parses save rules ("3600 1 300 100") into [seconds, changes] pairs. */
export function parseSaveRules(text: string): [number, number][] {
  const words = text.split(' ').filter((word) => word !== '');
  const rules: [number, number][] = [];
  for (let i = 0; i + 1 < words.length; i += 2)
    rules.push([Number(words[i]), Number(words[i + 1])]);
  return rules;
}

/**
 * Loads the snapshot file, if there is one, in slices between which clients
 * are served (and get LOADING). Rejects with SnapshotLoadError naming the
 * file and byte offset when the file is corrupt.
 */
export async function loadSnapshot(server: Server): Promise<boolean> {
  const path = snapshotPath(server);
  if (!existsSync(path)) return false;
  const state = server.persistence;
  const file = readSnapshotFile(server, path);
  state.loading = true;
  state.loadingStartedAt = Date.now();
  state.loadingTotalBytes = file.length;
  try {
    const reader = new RdbReader(file);
    for (;;) {
      const deadline = performance.now() + LOAD_SLICE_MS;
      const finished = loadSlice(server, reader, deadline);
      state.loadingLoadedBytes = reader.offset;
      if (finished) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    loadLibraries(server, reader, path);
    logEmptyKeysSkipped(server, reader, path);
  } catch (error) {
    if (error instanceof RdbFormatError) {
      throw new SnapshotLoadError(`snapshot ${path} is corrupt: ${error.message}`);
    }
    throw error;
  } finally {
    state.loading = false;
  }
  server.logger.info(
    { file: path, keys: state.loadingLoadedKeys, ms: Date.now() - state.loadingStartedAt },
    'snapshot loaded',
  );
  return true;
}

/** Warns about empty collections in a file, which loading leaves out as Redis does. */
export function logEmptyKeysSkipped(server: Server, reader: RdbReader, path: string): void {
  if (reader.emptyKeysSkipped === 0) return;
  server.logger.warn({ file: path, keys: reader.emptyKeysSkipped }, 'skipped empty keys');
}

/** Reads and, if needed, decrypts the snapshot; a cut-off encrypted record makes it corrupt. */
function readSnapshotFile(server: Server, path: string): Buffer {
  try {
    const stored = readStoredFile(path, server.keyring);
    if (stored.validLength < stored.size) {
      throw new SnapshotLoadError(
        `snapshot ${path} is truncated at byte offset ${stored.validLength}`,
      );
    }
    return stored.data;
  } catch (error) {
    if (error instanceof EncryptionError) throw new SnapshotLoadError(error.message);
    throw error;
  }
}

/** Loads the function libraries a snapshot file contains; a failing one makes it corrupt. */
export function loadLibraries(server: Server, reader: RdbReader, path: string): void {
  try {
    restoreFunctionLibraries(server, reader.libraries);
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    throw new SnapshotLoadError(`function library in ${path} failed to load: ${error.message}`);
  }
}

/** Loads keys until the deadline; returns true at the end of the file. */
function loadSlice(server: Server, reader: RdbReader, deadline: number): boolean {
  const now = Date.now();
  for (let count = 1; ; count++) {
    const entry = reader.next();
    if (entry === null) return true;
    const db = server.databases[entry.dbIndex];
    if (db === undefined) {
      throw new RdbFormatError(`database ${entry.dbIndex} is beyond 'databases'`, reader.offset);
    }
    if (entry.expiresAt < 0 || entry.expiresAt > now) {
      const value = fromPlain(entry.value, server.config);
      db.set(entry.key, value);
      if (entry.expiresAt >= 0) db.setExpire(entry.key, entry.expiresAt);
      valueStored(server, db, entry.key, value);
      server.persistence.loadingLoadedKeys++;
    }
    if (count % 128 === 0 && performance.now() > deadline) return false;
  }
}

/** Records a save's outcome; `dirtyAtStart` changes are now on disk. */
function recordSave(server: Server, ok: boolean, dirtyAtStart: number): void {
  server.persistence.lastSaveOk = ok;
  if (!ok) return;
  server.dirty -= Math.min(server.dirty, dirtyAtStart);
  server.lastSaveTime = Math.floor(Date.now() / 1000);
  server.persistence.savesCompleted++;
}

/** SAVE: writes the snapshot now, blocking. Throws when it fails. */
export function saveNow(server: Server): void {
  try {
    saveSnapshotSync(server);
    recordSave(server, true, server.dirty);
    server.persistence.writesRefused = false;
  } catch (error) {
    recordSave(server, false, 0);
    server.logger.error({ err: (error as Error).message }, 'snapshot save failed');
    throw error;
  }
}

/** Starts a background save; returns false when one is already running. */
export function startBackgroundSave(server: Server): boolean {
  const state = server.persistence;
  if (state.bgsaveInProgress || state.aofRewriteInProgress) return false;
  state.bgsaveInProgress = true;
  state.bgsaveStartedAt = Date.now();
  const dirtyAtStart = server.dirty;
  server.logger.info('background save started');
  saveSnapshotInBackground(server).then(
    (keys) => {
      finishBackgroundSave(server, true, dirtyAtStart);
      server.logger.info({ keys, ms: Date.now() - state.bgsaveStartedAt }, 'background save done');
    },
    (error: Error) => {
      finishBackgroundSave(server, false, 0);
      server.logger.error({ err: error.message }, 'background save failed');
    },
  );
  return true;
}

function finishBackgroundSave(server: Server, ok: boolean, dirtyAtStart: number): void {
  const state = server.persistence;
  state.bgsaveInProgress = false;
  state.lastBgsaveOk = ok;
  state.lastBgsaveSeconds = Math.round((Date.now() - state.bgsaveStartedAt) / 1000);
  recordSave(server, ok, dirtyAtStart);
  state.writesRefused = !ok && parseSaveRules(server.config.string('save')).length > 0;
  if (state.aofRewriteScheduled && server.aof !== null) {
    state.aofRewriteScheduled = false;
    void server.aof.rewrite();
  } else if (state.bgsaveScheduled) {
    state.bgsaveScheduled = false;
    startBackgroundSave(server);
  }
}

/** Checks the `save` rules; called once a second. */
export function checkSaveRules(server: Server): void {
  const state = server.persistence;
  if (state.bgsaveInProgress || state.loading) return;
  const elapsed = Math.floor(Date.now() / 1000) - server.lastSaveTime;
  for (const [seconds, changes] of parseSaveRules(server.config.string('save'))) {
    if (server.dirty >= changes && elapsed >= seconds) {
      startBackgroundSave(server);
      return;
    }
  }
}

/** Whether a shutdown should save: SAVE/NOSAVE decide, otherwise whether save rules exist. */
export function shouldSaveOnShutdown(server: Server, save: boolean | null): boolean {
  if (save !== null) return save;
  return parseSaveRules(server.config.string('save')).length > 0;
}
