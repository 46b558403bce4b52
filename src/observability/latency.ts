/**
 * Latency records: per-command histograms (LATENCY HISTOGRAM, INFO
 * latencystats) and the latency monitor's events (LATENCY LATEST, HISTORY),
 * which record operations slower than `latency-monitor-threshold` ms.
 */
import type { Server } from '../engine/server';

/**
 * Sub-buckets per power of two. 256 keeps two significant decimal digits, as
 * the HDR histograms Redis 7 uses with a precision of 2, so reported
 * percentiles have the same granularity (1.003, 2.007, ... microseconds).
 */
const SUB_BUCKETS = 256;
const HALF_BUCKETS = SUB_BUCKETS / 2;
const SUB_BUCKET_BITS = 8;
/** Largest recorded value in ns (about 68 s); longer durations count as this. */
const MAX_VALUE_NS = 2 ** 36;
const BUCKET_COUNT = 36 - SUB_BUCKET_BITS + 2;
/** The first level of LATENCY HISTOGRAM's cumulative distribution, in ns; levels double. */
const FIRST_LEVEL_NS = 1024;

/** Returns the number of bits of a non-negative integer below 2^53. */
function bitLength(value: number): number {
  if (value < 2 ** 32) return 32 - Math.clz32(value);
  return 64 - Math.clz32(Math.floor(value / 2 ** 32));
}

/** A log-linear histogram of durations in nanoseconds. */
export class Histogram {
  readonly #counts = new Float64Array(BUCKET_COUNT * HALF_BUCKETS + HALF_BUCKETS);
  total = 0;
  /** Sum of the recorded durations in ns. */
  sum = 0;

  record(nanoseconds: number): void {
    const value = Math.min(Math.max(1, Math.floor(nanoseconds)), MAX_VALUE_NS);
    this.#counts[Histogram.#indexOf(value)]++;
    this.total++;
    this.sum += nanoseconds;
  }

  /** Returns, for each limit in ascending order (ns), how many records are at most that. */
  countsUpTo(limits: readonly number[]): number[] {
    const result: number[] = [];
    let seen = 0;
    let index = 0;
    for (const limit of limits) {
      const last = Histogram.#indexOf(Math.min(Math.max(1, Math.floor(limit)), MAX_VALUE_NS));
      for (; index <= last; index++) seen += this.#counts[index];
      result.push(seen);
    }
    return result;
  }

  static #indexOf(value: number): number {
    // Bitwise OR would cut values at 32 bits, so the minimum is taken on bit lengths.
    const bucket = Math.max(bitLength(value), SUB_BUCKET_BITS) - SUB_BUCKET_BITS;
    const sub = Math.floor(value / 2 ** bucket);
    return bucket * HALF_BUCKETS + sub;
  }

  /** Returns the largest value that falls in the same slot as the slot at `index`. */
  static #highestAt(index: number): number {
    const bucket = index < SUB_BUCKETS ? 0 : Math.floor((index - HALF_BUCKETS) / HALF_BUCKETS);
    const sub = index - bucket * HALF_BUCKETS;
    return sub * 2 ** bucket + 2 ** bucket - 1;
  }

  /** Returns the value (ns) below which `percentile` percent of the records fall. */
  valueAtPercentile(percentile: number): number {
    const wanted = Math.max(1, Math.floor((percentile / 100) * this.total + 0.5));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i];
      if (seen >= wanted) return Histogram.#highestAt(i);
    }
    return 0;
  }

  /**
   * Returns the cumulative distribution at levels 1024 ns, 2048 ns, ...: pairs of
   * [level in µs, records up to it], only where the count grew, until all are counted.
   */
  cumulative(): [number, number][] {
    const result: [number, number][] = [];
    let seen = 0;
    let index = 0;
    for (let level = FIRST_LEVEL_NS; seen < this.total && level <= MAX_VALUE_NS * 2; level *= 2) {
      const limit = Histogram.#indexOf(Math.min(level, MAX_VALUE_NS));
      const before = seen;
      for (; index <= limit; index++) seen += this.#counts[index];
      if (seen > before) result.push([Math.floor(Histogram.#highestAt(limit) / 1000), seen]);
    }
    return result;
  }
}

/** Samples kept per latency event, one per second, as Redis's LATENCY_TS_LEN. */
const HISTORY_LENGTH = 160;

export interface LatencySample {
  /** Unix time in seconds. */
  time: number;
  milliseconds: number;
}

export interface LatencyEvent {
  samples: LatencySample[];
  max: number;
}

/** The per-command histograms and the latency monitor of one server. */
export class LatencyRecords {
  readonly histograms = new Map<string, Histogram>();
  readonly events = new Map<string, LatencyEvent>();
  tracking = true;
  /** latency-monitor-threshold in ms; 0 turns the monitor off. */
  threshold = 0;

  constructor(server: Server) {
    server.config.watch('latency-tracking', (value) => (this.tracking = Boolean(value)));
    server.config.watch('latency-monitor-threshold', (value) => (this.threshold = Number(value)));
  }

  recordCommand(name: string, nanoseconds: number): void {
    let histogram = this.histograms.get(name);
    if (histogram === undefined) {
      histogram = new Histogram();
      this.histograms.set(name, histogram);
    }
    histogram.record(nanoseconds);
  }

  /** Records an event that took `milliseconds` when the monitor is on and it passes the threshold. */
  recordEvent(name: string, milliseconds: number): void {
    if (this.threshold === 0 || milliseconds < this.threshold) return;
    const rounded = Math.floor(milliseconds);
    const now = Math.floor(Date.now() / 1000);
    let event = this.events.get(name);
    if (event === undefined) {
      event = { samples: [], max: 0 };
      this.events.set(name, event);
    }
    event.max = Math.max(event.max, rounded);
    const last = event.samples[event.samples.length - 1];
    if (last !== undefined && last.time === now) {
      last.milliseconds = Math.max(last.milliseconds, rounded);
      return;
    }
    event.samples.push({ time: now, milliseconds: rounded });
    if (event.samples.length > HISTORY_LENGTH) event.samples.shift();
  }

  /** Forgets the named events (all when none are named); returns how many existed. */
  resetEvents(names: readonly string[]): number {
    if (names.length === 0) {
      const count = this.events.size;
      this.events.clear();
      return count;
    }
    let count = 0;
    for (const name of names) if (this.events.delete(name)) count++;
    return count;
  }
}
