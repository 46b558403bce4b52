/** The count argument of HRANDFIELD and SRANDMEMBER, checked as Redis 7.0 checks it. */
import { CommandError, ERR } from '../engine/errors';
import { toBigInt64 } from './arguments';

const LONG_MAX = 2n ** 63n - 1n;

/**
 * Most elements a reply with repeats (a negative count) may hold.
 * NOTE: Redis has no such limit and builds any reply until memory runs out;
 * Damselfly refuses larger counts so that one reply cannot exhaust the heap.
 */
export const MAX_REPEATED_PICKS = 2 ** 24;

/** Parses a count in -LONG_MAX..LONG_MAX, as Redis's getRangeLongFromObjectOrReply. */
export function parseRandomCount(text: string): bigint {
  const count = toBigInt64(text);
  if (count === null) throw new CommandError(ERR.notInteger);
  if (count < -LONG_MAX) throw new CommandError(ERR.longOutOfRange);
  return count;
}

/** Returns the number of picks a negative count requests; raises above MAX_REPEATED_PICKS. */
export function repeatedPicks(count: bigint): number {
  if (-count > BigInt(MAX_REPEATED_PICKS)) {
    throw new CommandError(ERR.randomCountTooLarge(MAX_REPEATED_PICKS));
  }
  return Number(-count);
}
