/** Persistence status shown by INFO persistence, with Redis's field meanings. */
export interface PersistenceState {
  loading: boolean;
  loadingStartedAt: number;
  loadingTotalBytes: number;
  loadingLoadedBytes: number;
  loadingLoadedKeys: number;
  bgsaveInProgress: boolean;
  bgsaveStartedAt: number;
  /** A BGSAVE SCHEDULE waiting for the running save to end. */
  bgsaveScheduled: boolean;
  lastBgsaveOk: boolean;
  lastBgsaveSeconds: number;
  lastSaveOk: boolean;
  /** Set after a failed save while save rules are active: writes get MISCONF. */
  writesRefused: boolean;
  savesCompleted: number;
  /** The last append-only write error, while writes keep failing. */
  aofWriteError: string | null;
  aofRewriteInProgress: boolean;
  aofRewriteScheduled: boolean;
  aofLastRewriteOk: boolean;
  /** Size of the log right after the last rewrite, for auto-aof-rewrite-percentage. */
  aofBaseSize: number;
}

export function initialPersistenceState(): PersistenceState {
  return {
    loading: false,
    loadingStartedAt: 0,
    loadingTotalBytes: 0,
    loadingLoadedBytes: 0,
    loadingLoadedKeys: 0,
    bgsaveInProgress: false,
    bgsaveStartedAt: 0,
    bgsaveScheduled: false,
    lastBgsaveOk: true,
    lastBgsaveSeconds: -1,
    lastSaveOk: true,
    writesRefused: false,
    savesCompleted: 0,
    aofWriteError: null,
    aofRewriteInProgress: false,
    aofRewriteScheduled: false,
    aofLastRewriteOk: true,
    aofBaseSize: 0,
  };
}
