/** ZRANDMEMBER and ZSCAN: random picks from a sorted set, and cursor iteration over it. */
import { command, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { formatDouble } from '../protocol/resp/reply';
import { scanMap } from '../store/scan';
import { globMatch } from '../store/glob';
import type { ScoredMember, SortedSet } from '../store/zset';
import { isOption } from './arguments';
import { parseRandomCount, repeatedPicks } from './random-count';
import { parseCursor, parseScanOptions } from './scan-arguments';
import { readZset, replyScoredMembers } from './zset-shared';

/** Counts beyond this cannot be doubled into a reply length with scores (LONG_MAX / 2). */
const HALF_LONG_MAX = (2n ** 63n - 1n) / 2n;

function randomIndex(size: number): number {
  return Math.floor(Math.random() * size);
}

function entryAt(zset: SortedSet, rank: number): ScoredMember {
  return { member: zset.memberAt(rank), score: zset.scoreAt(rank) };
}

/** Picks `count` distinct ranks below `size` (count < size), in random order. */
function distinctRanks(size: number, count: number): number[] {
  if (count * 3 > size) {
    const ranks = Array.from({ length: size }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + randomIndex(size - i);
      [ranks[i], ranks[j]] = [ranks[j], ranks[i]];
    }
    return ranks.slice(0, count);
  }
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(randomIndex(size));
  return [...chosen];
}

/** Chooses the entries for a count: repeats when negative, distinct otherwise. */
function pickEntries(zset: SortedSet, count: bigint): ScoredMember[] {
  const size = zset.size();
  if (count < 0n) {
    const picks = repeatedPicks(count);
    return Array.from({ length: picks }, () => entryAt(zset, randomIndex(size)));
  }
  // Redis replies the whole set from the highest score down.
  if (count >= BigInt(size)) return zset.entriesFrom(size - 1, size, true);
  return distinctRanks(size, Number(count)).map((rank) => entryAt(zset, rank));
}

/**
 * ZRANDMEMBER key [count [WITHSCORES]]: one random member, or nil for a
 * missing key. A positive count returns up to count distinct members, and a
 * negative count exactly -count members that may repeat, with their scores
 * when WITHSCORES is given.
 */
function zrandmember(client: Client, args: string[]): void {
  if (args.length === 2) {
    const zset = readZset(client, args[1]);
    if (zset === undefined) client.reply.nil();
    else client.reply.bulk(zset.memberAt(randomIndex(zset.size())));
    return;
  }
  const count = parseRandomCount(args[2]);
  if (args.length > 4 || (args.length === 4 && !isOption(args[3], 'WITHSCORES'))) {
    throw new CommandError(ERR.syntax);
  }
  const withScores = args.length === 4;
  if (withScores && (count < -HALF_LONG_MAX || count > HALF_LONG_MAX)) {
    throw new CommandError(ERR.replyTooLarge);
  }
  const zset = readZset(client, args[1]);
  const entries = zset === undefined || count === 0n ? [] : pickEntries(zset, count);
  replyScoredMembers(client, entries, withScores);
}

/**
 * ZSCAN key cursor [MATCH pattern] [COUNT count]: [next cursor, member,
 * score, ...], scores as strings. A listpack set is returned whole with
 * cursor 0, as Redis does; a larger set follows the shared scan cursors.
 */
function zscan(client: Client, args: string[]): void {
  const cursor = parseCursor(args[2]);
  const zset = readZset(client, args[1]);
  if (zset === undefined) {
    client.reply.array(2);
    client.reply.bulk('0');
    client.reply.array(0);
    return;
  }
  const options = parseScanOptions(args, 3, false);
  const scores = zset.scoreMap();
  let page: { cursor: string; items: [string, number][] };
  if (scores === null) {
    const items = zset
      .entriesFrom(0, zset.size(), false)
      .map((entry): [string, number] => [entry.member, entry.score]);
    page = { cursor: '0', items };
  } else {
    page = scanMap(scores as Map<string, number>, cursor, options.count);
  }
  const pattern = options.pattern;
  const items =
    pattern === null ? page.items : page.items.filter(([member]) => globMatch(pattern, member));
  client.reply.array(2);
  client.reply.bulk(page.cursor);
  client.reply.array(items.length * 2);
  for (const [member, score] of items) {
    client.reply.bulk(member);
    client.reply.bulk(formatDouble(score));
  }
}

export const zsetRandomCommands: RegisteredCommand[] = [
  command({
    name: 'zrandmember',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['sortedset'],
    group: 'sorted-set',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of members returned',
    handler: zrandmember,
    summary: 'Returns one or more random members from a sorted set.',
  }),
  command({
    name: 'zscan',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['sortedset'],
    group: 'sorted-set',
    since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration.',
    handler: zscan,
    summary: 'Iterates over members and scores of a sorted set.',
  }),
];
