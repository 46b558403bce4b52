/**
 * Counts failed authentications per client address and computes how long the
 * next failure reply waits, so that guessing passwords gets slower and slower.
 * The wait happens on a timer while the failing connection stays paused;
 * other clients are served meanwhile.
 */

/**
 * The failure count of an address drops by one per this many ms without a
 * failure, so an occasional typo costs nothing while guessing in bulk is
 * slowed down.
 */
const DECAY_MS = 10_000;
/** A record is dropped once this long has passed since its last failure. */
const FORGET_AFTER_MS = 10 * 60 * 1000;
/** Most addresses tracked at once, so a flood of addresses cannot grow the map without bound. */
const MAX_TRACKED_ADDRESSES = 100_000;

interface FailureRecord {
  count: number;
  lastAt: number;
}

export interface DelaySettings {
  /** Failures per address answered at once before delays start. */
  grace: number;
  /** Delay of the first delayed failure, in ms; it doubles with each further failure. */
  baseMs: number;
  /** Longest delay, in ms. */
  maxMs: number;
}

export class AuthFailures {
  readonly #records = new Map<string, FailureRecord>();

  /** Records a failure from an address; returns how long to delay its reply, in ms. */
  recordFailure(host: string, now: number, settings: DelaySettings): number {
    let record = this.#records.get(host);
    if (record === undefined || now - record.lastAt > FORGET_AFTER_MS) {
      if (this.#records.size >= MAX_TRACKED_ADDRESSES) this.#prune(now);
      record = { count: 0, lastAt: now };
      this.#records.set(host, record);
    }
    const decayed = Math.floor((now - record.lastAt) / DECAY_MS);
    record.count = Math.max(0, record.count - decayed) + 1;
    record.lastAt = now;
    return delayFor(record.count, settings);
  }

  /** Failures counted for an address, for tests and logs. */
  failuresOf(host: string): number {
    return this.#records.get(host)?.count ?? 0;
  }

  #prune(now: number): void {
    for (const [host, record] of this.#records) {
      if (now - record.lastAt > FORGET_AFTER_MS) this.#records.delete(host);
    }
    // Under a flood of fresh addresses nothing is old enough: drop the oldest half.
    if (this.#records.size >= MAX_TRACKED_ADDRESSES) {
      let drop = this.#records.size / 2;
      for (const host of this.#records.keys()) {
        if (drop-- <= 0) break;
        this.#records.delete(host);
      }
    }
  }
}

/** Returns the delay for the given failure count: none within the grace, then doubling. */
export function delayFor(count: number, settings: DelaySettings): number {
  if (settings.baseMs <= 0 || count <= settings.grace) return 0;
  const doublings = Math.min(count - settings.grace - 1, 30);
  return Math.min(settings.maxMs, settings.baseMs * 2 ** doublings);
}
