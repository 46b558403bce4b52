/**
 * Persistence at start-up, once a second, and at shutdown. At start-up the
 * append-only log wins over the snapshot when `appendonly` is yes and its
 * manifest exists, as in Redis.
 */
import type { Server } from '../engine/server';
import { AppendOnlyLog } from './aof';
import { loadAppendOnlyFiles } from './aof-loader';
import { checkSaveRules, loadSnapshot, saveNow, shouldSaveOnShutdown } from './snapshots';

export async function startPersistence(server: Server): Promise<void> {
  const appendOnly = server.config.bool('appendonly');
  const state = server.persistence;
  if (appendOnly) {
    state.loading = true;
    try {
      if (!loadAppendOnlyFiles(server)) await loadSnapshot(server);
    } finally {
      state.loading = false;
    }
    server.aof = new AppendOnlyLog(server);
    await server.aof.enable();
  } else {
    await loadSnapshot(server);
  }
  watchAppendOnlySetting(server);
}

/** CONFIG SET appendonly yes|no starts or stops the log while running. */
function watchAppendOnlySetting(server: Server): void {
  let first = true;
  server.config.watch('appendonly', (value) => {
    if (first) {
      first = false;
      return;
    }
    if (value === true && server.aof === null) {
      server.aof = new AppendOnlyLog(server);
      void server.aof.enable();
    } else if (value === false && server.aof !== null) {
      const log = server.aof;
      server.aof = null;
      void log.disable();
    }
  });
}

export function persistenceCron(server: Server): void {
  checkSaveRules(server);
  server.aof?.checkAutomaticRewrite();
}

/**
 * Saves before exit when asked to (or when save rules exist) and closes the
 * log. Returns false when the snapshot could not be saved: the caller keeps
 * running, as Redis does, so no data is lost.
 */
export function savePersistenceBeforeExit(server: Server, save: boolean | null): boolean {
  if (!shouldSaveOnShutdown(server, save) || server.persistence.loading) return true;
  try {
    saveNow(server);
    server.logger.info('snapshot saved before exit');
    return true;
  } catch {
    return false;
  }
}

export async function closePersistence(server: Server): Promise<void> {
  const log = server.aof;
  server.aof = null;
  if (log !== null) await log.disable();
}
