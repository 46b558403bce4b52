import { isPaused } from '../engine/client-pause';
import type { Server } from '../engine/server';

/** Servers whose active expiry DEBUG SET-ACTIVE-EXPIRE 0 turned off. */
const disabled = new WeakSet<Server>();

/** Turns the active expiry cycle on or off (DEBUG SET-ACTIVE-EXPIRE). */
export function setActiveExpiry(server: Server, enabled: boolean): void {
  if (enabled) disabled.delete(server);
  else disabled.add(server);
}

/** Keys checked between two looks at the clock. */
const KEYS_PER_STEP = 64;

/**
 * Removes expired keys in the background, `hz` times a second. Each cycle
 * walks the keys that have a time to live, continuing where the last cycle
 * stopped, and stops after a share of the cycle's time (25% at effort 1, up
 * to 70% at effort 10), so a mass expiry is spread over many cycles instead
 * of stalling other clients.
 */
export function runExpiryCycle(server: Server): void {
  // Keys stay while CLIENT PAUSE holds the dataset still, as in Redis.
  if (disabled.has(server) || isPaused(server)) return;
  const periodMs = 1000 / server.config.number('hz');
  const effort = server.config.number('active-expire-effort');
  const budgetMs = periodMs * (0.25 + (effort - 1) * 0.05);
  const started = performance.now();
  const now = Date.now();
  for (const db of server.databases) {
    if (db.expires.size === 0) continue;
    for (;;) {
      const { checked, expired } = db.expireSome(KEYS_PER_STEP, now);
      if (checked < KEYS_PER_STEP || expired * 4 < checked) break;
      if (performance.now() - started > budgetMs) return;
    }
    if (performance.now() - started > budgetMs) return;
  }
}

/** Starts the cycle on a timer that follows changes of `hz`; returns a function that stops it. */
export function startActiveExpiry(server: Server): () => void {
  let timer: NodeJS.Timeout | undefined;
  server.config.watch('hz', (hz) => {
    clearInterval(timer);
    timer = setInterval(() => runExpiryCycle(server), 1000 / Number(hz));
  });
  return () => clearInterval(timer);
}
