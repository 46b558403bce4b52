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
  };
}
