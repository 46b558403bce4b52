/**
 * Token buckets for command rate limits: per user (from a `ratelimit:` rule,
 * a role, or the `ratelimit-per-user` setting) and per client address
 * (`ratelimit-per-address`). A bucket holds up to `burst` tokens, refills at
 * `rate` tokens per second, and each command takes one.
 */

/** A limit of `rate` commands per second, with bursts of up to `burst`. */
export interface RateLimit {
  readonly rate: number;
  readonly burst: number;
}

/** Raised for a rate limit text that cannot be read. */
export class RateLimitSyntaxError extends Error {}

const MAX_RATE = 1_000_000_000;

/**
 * Reads `RATE` or `RATE/BURST` (commands per second, positive integers);
 * `0` or `none` means no limit and returns null.
 */
export function parseRateLimit(text: string): RateLimit | null {
  const lower = text.trim().toLowerCase();
  if (lower === '0' || lower === 'none' || lower === '') return null;
  const match = /^(\d+)(?:\/(\d+))?$/.exec(lower);
  if (match === null) {
    throw new RateLimitSyntaxError(`invalid rate limit '${text}': expected RATE or RATE/BURST`);
  }
  const rate = Number(match[1]);
  const burst = match[2] === undefined ? rate : Number(match[2]);
  if (rate < 1 || rate > MAX_RATE || burst < 1 || burst > MAX_RATE) {
    throw new RateLimitSyntaxError(
      `invalid rate limit '${text}': rate and burst must be between 1 and ${MAX_RATE}`,
    );
  }
  return { rate, burst };
}

export function formatRateLimit(limit: RateLimit | null): string {
  if (limit === null) return '0';
  return limit.burst === limit.rate ? String(limit.rate) : `${limit.rate}/${limit.burst}`;
}

export class TokenBucket {
  readonly limit: RateLimit;
  #tokens: number;
  #updatedAt: number;
  /** True from the first refused command until the bucket allows one again. */
  tripped = false;

  constructor(limit: RateLimit, now: number) {
    this.limit = limit;
    this.#tokens = limit.burst;
    this.#updatedAt = now;
  }

  /** Takes one token; returns false, taking none, when the bucket is empty. */
  take(now: number): boolean {
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      const refill = (elapsed * this.limit.rate) / 1000;
      this.#tokens = Math.min(this.limit.burst, this.#tokens + refill);
      this.#updatedAt = now;
    }
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Whether the bucket is full again, so forgetting it loses nothing. */
  isFull(now: number): boolean {
    const refill = ((now - this.#updatedAt) * this.limit.rate) / 1000;
    return this.#tokens + refill >= this.limit.burst;
  }
}

/** Most client addresses tracked at once; the bucket map is pruned past this. */
const MAX_TRACKED_ADDRESSES = 100_000;

/** One bucket per client address (host without port), shared by its connections. */
export class AddressBuckets {
  readonly #buckets = new Map<string, TokenBucket>();
  limit: RateLimit | null = null;

  bucketFor(host: string, now: number): TokenBucket | null {
    const limit = this.limit;
    if (limit === null) return null;
    let bucket = this.#buckets.get(host);
    if (bucket === undefined || bucket.limit !== limit) {
      if (this.#buckets.size >= MAX_TRACKED_ADDRESSES) this.prune(now);
      bucket = new TokenBucket(limit, now);
      this.#buckets.set(host, bucket);
    }
    return bucket;
  }

  /** Drops full buckets, which hold no state worth keeping. */
  prune(now: number): void {
    for (const [host, bucket] of this.#buckets) {
      if (bucket.isFull(now)) this.#buckets.delete(host);
    }
  }

  clear(): void {
    this.#buckets.clear();
  }
}
