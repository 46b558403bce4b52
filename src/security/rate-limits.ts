/**
 * The gate's rate limit check: one token bucket per user and one per client
 * address. A refused command gets an error reply; nothing else is dropped.
 */
import type { Client } from '../engine/client';
import { ERR } from '../engine/errors';
import type { Server } from '../engine/server';
import { AddressBuckets, parseRateLimit, TokenBucket, type RateLimit } from './rate-limit';
import type { User } from './user';

export class RateLimits {
  readonly #server: Server;
  /** False while no limit is configured anywhere, so the gate skips the check. */
  active = false;
  #perUser: RateLimit | null = null;
  readonly #addresses = new AddressBuckets();
  readonly #userBuckets = new WeakMap<User, TokenBucket>();
  readonly #clientBuckets = new WeakMap<Client, TokenBucket>();

  constructor(server: Server) {
    this.#server = server;
  }

  /** Re-reads the settings and the users' rules; called after any change of either. */
  refresh(users: Iterable<User>): void {
    const config = this.#server.config;
    this.#perUser = parseRateLimit(config.string('ratelimit-per-user'));
    this.#addresses.limit = parseRateLimit(config.string('ratelimit-per-address'));
    let active = this.#perUser !== null || this.#addresses.limit !== null;
    for (const user of users) {
      if (user.effectiveRateLimit() !== null) active = true;
    }
    this.active = active;
  }

  /** Takes a token for the client's user and address; returns the error reply when either is out. */
  check(client: Client, now: number): string | null {
    const user = this.#server.security.acl.users.get(client.user);
    if (user !== undefined) {
      const bucket = this.#userBucket(user, now);
      if (bucket !== null && !this.#take(bucket, now, client, 'user')) {
        return ERR.rateLimitedUser(user.name, bucket.limit.rate, bucket.limit.burst);
      }
    }
    const bucket = this.#addressBucket(client, now);
    if (bucket !== null && !this.#take(bucket, now, client, 'address')) {
      return ERR.rateLimitedAddress(bucket.limit.rate, bucket.limit.burst);
    }
    return null;
  }

  #userBucket(user: User, now: number): TokenBucket | null {
    const limit = user.effectiveRateLimit() ?? this.#perUser;
    if (limit === null) return null;
    let bucket = this.#userBuckets.get(user);
    if (bucket === undefined || bucket.limit !== limit) {
      bucket = new TokenBucket(limit, now);
      this.#userBuckets.set(user, bucket);
    }
    return bucket;
  }

  #addressBucket(client: Client, now: number): TokenBucket | null {
    const limit = this.#addresses.limit;
    if (limit === null) return null;
    const bucket = this.#clientBuckets.get(client);
    if (bucket !== undefined && bucket.limit === limit) return bucket;
    const shared = this.#addresses.bucketFor(hostOf(client.transport.remoteAddress), now);
    if (shared !== null) this.#clientBuckets.set(client, shared);
    return shared;
  }

  #take(bucket: TokenBucket, now: number, client: Client, scope: string): boolean {
    if (bucket.take(now)) {
      bucket.tripped = false;
      return true;
    }
    this.#server.stats.rateLimitedCommands++;
    if (!bucket.tripped) {
      bucket.tripped = true;
      this.#server.security.audit?.record('ratelimit.tripped', {
        scope,
        user: client.user,
        addr: client.transport.remoteAddress,
        rate: bucket.limit.rate,
        burst: bucket.limit.burst,
      });
    }
    return false;
  }
}

/** The host part of `host:port`, `[v6]:port` or a unix socket path. */
export function hostOf(address: string): string {
  if (address.startsWith('/')) return address;
  const colon = address.lastIndexOf(':');
  return colon < 0 ? address : address.slice(0, colon);
}
