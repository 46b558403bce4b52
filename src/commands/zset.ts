/**
 * Sorted set commands: adding, scoring, removing and counting members. The
 * range, pop, random and set-operation commands live in the zset-*.ts files
 * beside this one; `zsetCommands` gathers all of them.
 */
import { signalKeyReady } from '../engine/blocking';
import {
  command,
  type RegisteredCommand,
  KEYS_READ,
  KEYS_READ_AND_UPDATED,
  KEYS_PROBED,
  type KeyFlagList,
  KEYS_REMOVED,
} from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { MAX_MAP_ENTRIES } from '../store/types';
import { SortedSet, type ListpackLimits } from '../store/zset';
import { isOption } from './arguments';
import { deleteEmptiedKey, storeNewKey } from './collection-keys';
import { parseLexRange, parseScore, parseScoreRange } from './score';
import { zsetPopCommands } from './zset-pop';
import { zsetRandomCommands } from './zset-random';
import { zsetRangeCommands } from './zset-range';
import { listpackLimits, notifyZset, readZset, writableZset } from './zset-shared';
import { zsetStoreCommands } from './zset-store';

/** The flags of ZADD (ZINCRBY is ZADD INCR). */
interface AddFlags {
  nx: boolean;
  xx: boolean;
  gt: boolean;
  lt: boolean;
  ch: boolean;
  incr: boolean;
}

/** The outcome totals of one ZADD or ZINCRBY. */
interface AddTotals {
  added: number;
  updated: number;
  /** Pairs that NX, XX, GT and LT did not skip. */
  processed: number;
  /** The score of the last processed pair. */
  score: number;
}

/** Returns flags with none set; a literal, which allocates faster than copying a constant. */
function noFlags(): AddFlags {
  return { nx: false, xx: false, gt: false, lt: false, ch: false, incr: false };
}

const FLAG_NAMES = ['NX', 'XX', 'GT', 'LT', 'CH', 'INCR'] as const;

/** Reads ZADD's leading flags; returns them with the index of the first score. */
function parseAddFlags(args: readonly string[]): { flags: AddFlags; start: number } {
  const flags = noFlags();
  let index = 2;
  for (; index < args.length; index++) {
    const name = FLAG_NAMES.find((flag) => isOption(args[index], flag));
    if (name === undefined) break;
    flags[name.toLowerCase() as keyof AddFlags] = true;
  }
  return { flags, start: index };
}

/** Checks ZADD's argument shape and flag combinations in Redis's order. */
function validateAddFlags(flags: AddFlags, pairArguments: number): void {
  if (pairArguments === 0 || pairArguments % 2 !== 0) throw new CommandError(ERR.syntax);
  if (flags.nx && flags.xx) throw new CommandError(ERR.zaddXxNx);
  if ((flags.gt && flags.nx) || (flags.lt && flags.nx) || (flags.gt && flags.lt)) {
    throw new CommandError(ERR.zaddGtLtNx);
  }
  if (flags.incr && pairArguments > 2) throw new CommandError(ERR.zaddIncrPairs);
}

/**
 * Applies one score (or increment) to a member under the flags, as Redis's
 * zsetAdd does, and counts the outcome in `totals`. NX skips existing members
 * and XX skips new ones. GT and LT skip updates that do not raise or lower
 * the score, but a new member is always added.
 */
function addMember(
  zset: SortedSet,
  member: string,
  score: number,
  flags: AddFlags,
  limits: ListpackLimits,
  totals: AddTotals,
): void {
  const current = zset.score(member);
  if (current === undefined) {
    if (flags.xx) return;
    zset.addNew(member, score, limits);
    totals.added++;
    totals.processed++;
    totals.score = score;
    return;
  }
  if (flags.nx) return;
  const next = flags.incr ? current + score : score;
  if (Number.isNaN(next)) throw new CommandError(ERR.scoreNaN);
  if ((flags.lt && next >= current) || (flags.gt && next <= current)) return;
  if (next !== current) {
    zset.changeScore(member, current, next);
    totals.updated++;
  }
  totals.processed++;
  totals.score = next;
}

/** Parses the score of every pair that starts at args[start], before anything changes. */
function parseScores(args: readonly string[], start: number): number[] {
  const scores = [parseScore(args[start])];
  for (let i = start + 2; i < args.length; i += 2) scores.push(parseScore(args[i]));
  return scores;
}

/** Raises an error when the members of the pairs from args[start] would overfill the set. */
function ensureRoomForMembers(zset: SortedSet, args: readonly string[], start: number): void {
  const pairs = (args.length - start) / 2;
  if (!zset.lacksRoomFor(pairs)) return;
  const added = new Set<string>();
  for (let i = start + 1; i < args.length; i += 2) {
    if (zset.score(args[i]) === undefined) added.add(args[i]);
  }
  if (zset.lacksRoomFor(added.size)) throw new CommandError(ERR.collectionFull(MAX_MAP_ENTRIES));
}

/**
 * Applies the pairs (scores[i], args[start + 2i + 1]) to the set under the
 * key args[1], creating the key when it is missing (unless XX). Sends 'zadd'
 * or 'zincr', counts dirty changes and wakes blocked clients. Returns the
 * outcome totals.
 */
function addPairs(
  client: Client,
  args: readonly string[],
  start: number,
  scores: readonly number[],
  flags: AddFlags,
): AddTotals {
  const key = args[1];
  const totals = { added: 0, updated: 0, processed: 0, score: 0 };
  let zset = writableZset(client, key);
  if (zset === undefined && flags.xx) return totals;
  const limits = listpackLimits(client);
  const created = zset === undefined;
  zset ??= SortedSet.forFirstMember(args[start + 1], limits);
  if (!flags.xx) ensureRoomForMembers(zset, args, start);
  for (let i = 0; i < scores.length; i++) {
    addMember(zset, args[start + 2 * i + 1], scores[i], flags, limits, totals);
  }
  if (created && zset.size() > 0) storeNewKey(client, key, zset);
  if (totals.added + totals.updated === 0) return totals;
  notifyZset(client, flags.incr ? 'zincr' : 'zadd', key);
  client.server.dirty += totals.added + totals.updated;
  if (totals.added > 0) signalKeyReady(client.server, client.db, key);
  return totals;
}

/**
 * ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]:
 * the number of members added (with CH, added or changed); with INCR, the
 * new score, or nil when a flag stopped the increment.
 */
function zadd(client: Client, args: string[]): void {
  const { flags, start } = parseAddFlags(args);
  validateAddFlags(flags, args.length - start);
  const totals = addPairs(client, args, start, parseScores(args, start), flags);
  if (!flags.incr) {
    client.reply.int(flags.ch ? totals.added + totals.updated : totals.added);
  } else if (totals.processed > 0) {
    client.reply.double(totals.score);
  } else {
    client.reply.nil();
  }
}

/**
 * ZINCRBY key increment member: adds to the member's score (from 0 when new);
 * the new score. Like Redis, it first reads ZADD's flags, so a flag word in
 * place of the increment leaves no whole pair: a syntax error.
 */
function zincrby(client: Client, args: string[]): void {
  const { flags, start } = parseAddFlags(args);
  flags.incr = true;
  validateAddFlags(flags, args.length - start);
  const increment = parseScore(args[2]);
  const totals = addPairs(client, args, 2, [increment], flags);
  client.reply.double(totals.score);
}

/** ZREM key member [member ...]: removes members; the number removed. Deletes an emptied key. */
function zrem(client: Client, args: string[]): void {
  const key = args[1];
  const zset = writableZset(client, key);
  let removed = 0;
  for (let i = 2; zset !== undefined && i < args.length && zset.size() > 0; i++) {
    if (zset.delete(args[i])) removed++;
  }
  if (zset !== undefined && removed > 0) {
    notifyZset(client, 'zrem', key);
    if (zset.size() === 0) deleteEmptiedKey(client, key);
    client.server.dirty += removed;
  }
  client.reply.int(removed);
}

/** ZCARD key: the number of members, 0 for a missing key. */
function zcard(client: Client, args: string[]): void {
  client.reply.int(readZset(client, args[1])?.size() ?? 0);
}

/** ZSCORE key member: the member's score, or nil. */
function zscore(client: Client, args: string[]): void {
  const score = readZset(client, args[1])?.score(args[2]);
  if (score === undefined) client.reply.nil();
  else client.reply.double(score);
}

/** ZMSCORE key member [member ...]: each member's score or nil. */
function zmscore(client: Client, args: string[]): void {
  const zset = readZset(client, args[1]);
  client.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) {
    const score = zset?.score(args[i]);
    if (score === undefined) client.reply.nil();
    else client.reply.double(score);
  }
}

/**
 * ZRANK and ZREVRANK key member [WITHSCORE]: the 0-based rank from the lowest
 * (ZRANK) or highest (ZREVRANK) score, or nil. WITHSCORE (Redis 7.2) replies
 * [rank, score], or a nil array when the member is missing.
 */
function rankCommand(client: Client, args: string[], reverse: boolean): void {
  if (args.length > 4 || (args.length === 4 && args[3].toUpperCase() !== 'WITHSCORE')) {
    throw new CommandError(ERR.syntax);
  }
  const withScore = args.length === 4;
  const zset = readZset(client, args[1]);
  const rank = zset?.rank(args[2]) ?? -1;
  if (zset === undefined || rank < 0) {
    if (withScore) client.reply.nilArray();
    else client.reply.nil();
    return;
  }
  const position = reverse ? zset.size() - 1 - rank : rank;
  if (!withScore) {
    client.reply.int(position);
    return;
  }
  client.reply.array(2);
  client.reply.int(position);
  client.reply.double(zset.score(args[2]) as number);
}

function zrank(client: Client, args: string[]): void {
  rankCommand(client, args, false);
}

function zrevrank(client: Client, args: string[]): void {
  rankCommand(client, args, true);
}

/** ZCOUNT key min max: the number of members with a score in the range. */
function zcount(client: Client, args: string[]): void {
  const range = parseScoreRange(args[2], args[3]);
  const zset = readZset(client, args[1]);
  const first = zset?.firstInScoreRange(range) ?? -1;
  if (zset === undefined || first < 0) {
    client.reply.int(0);
    return;
  }
  client.reply.int(zset.lastInScoreRange(range) - first + 1);
}

/** ZLEXCOUNT key min max: the number of members in the member range. */
function zlexcount(client: Client, args: string[]): void {
  const range = parseLexRange(args[2], args[3]);
  const zset = readZset(client, args[1]);
  const bounds = zset?.lexRangeRanks(range) ?? null;
  client.reply.int(bounds === null ? 0 : bounds[1] - bounds[0] + 1);
}

/** Builds the row of a fast read-only command whose key is args[1]. */
function readFast(
  name: string,
  arity: number,
  since: string,
  summary: string,
  handler: (client: Client, args: string[]) => void,
  complexity = 'O(1)',
  keyFlags: KeyFlagList = KEYS_READ,
): RegisteredCommand {
  return command({
    name,
    arity,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    keyFlags,
    categories: ['sortedset'],
    group: 'sorted-set',
    since,
    summary,
    complexity,
    handler,
  });
}

const coreCommands: RegisteredCommand[] = [
  command({
    name: 'zadd',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    categories: ['sortedset'],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Adds members to a sorted set, or updates their scores.',
    complexity: 'O(log(N)) for each item added',
    handler: zadd,
  }),
  command({
    name: 'zincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_READ_AND_UPDATED,
    categories: ['sortedset'],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Increments the score of a member in a sorted set.',
    complexity: 'O(log(N))',
    handler: zincrby,
  }),
  command({
    name: 'zrem',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_REMOVED,
    categories: ['sortedset'],
    group: 'sorted-set',
    since: '1.2.0',
    summary: 'Removes members from a sorted set.',
    complexity: 'O(M*log(N))',
    handler: zrem,
  }),
  readFast(
    'zcard',
    2,
    '1.2.0',
    'Returns the number of members in a sorted set.',
    zcard,
    'O(1)',
    KEYS_PROBED,
  ),
  readFast('zscore', 3, '1.2.0', 'Returns the score of a member in a sorted set.', zscore),
  readFast(
    'zmscore',
    -3,
    '6.2.0',
    'Returns the scores of members in a sorted set.',
    zmscore,
    'O(N)',
  ),
  readFast(
    'zrank',
    -3,
    '2.0.0',
    'Returns the index of a member in a sorted set ordered by ascending scores.',
    zrank,
    'O(log(N))',
  ),
  readFast(
    'zrevrank',
    -3,
    '2.0.0',
    'Returns the index of a member in a sorted set ordered by descending scores.',
    zrevrank,
    'O(log(N))',
  ),
  readFast(
    'zcount',
    4,
    '2.0.0',
    'Returns the count of members in a sorted set that have scores within a range.',
    zcount,
    'O(log(N))',
  ),
  readFast(
    'zlexcount',
    4,
    '2.8.9',
    'Returns the number of members in a sorted set within a lexicographical range.',
    zlexcount,
    'O(log(N))',
  ),
];

export const zsetCommands: RegisteredCommand[] = [
  ...coreCommands,
  ...zsetRangeCommands,
  ...zsetPopCommands,
  ...zsetRandomCommands,
  ...zsetStoreCommands,
];
