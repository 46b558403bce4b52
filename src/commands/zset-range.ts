/**
 * Sorted set ranges: ZRANGE with BYSCORE, BYLEX, REV and LIMIT, its older
 * forms (ZREVRANGE, ZRANGEBYSCORE, ...), ZRANGESTORE and the ZREMRANGEBY*
 * removals. Arguments are parsed in Redis's order, so the same error wins.
 */
import {
  FIRST_KEY_WRITTEN,
  command,
  type RegisteredCommand,
  DESTINATION_THEN_SOURCES,
  KEYS_REMOVED,
} from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import {
  aboveLexMin,
  belowLexMax,
  type LexRange,
  type ScoreRange,
  type ScoredMember,
  type SortedSet,
} from '../store/zset';
import { isOption, parseInteger } from './arguments';
import { parseLexRange, parseScoreRange } from './score';
import {
  afterRemoval,
  readZset,
  replyScoredMembers,
  storeResult,
  writableZset,
} from './zset-shared';

type RangeKind = 'rank' | 'score' | 'lex';

/** A parsed range request. Only the bounds of its kind are set. */
interface RangeRequest {
  kind: RangeKind;
  reverse: boolean;
  withScores: boolean;
  offset: number;
  /** Entries to return at most; -1 for no limit. */
  limit: number;
  start: number;
  end: number;
  scores: ScoreRange | null;
  members: LexRange | null;
}

/** The parts of the syntax a command fixes: ZRANGEBYSCORE is by score, ZREVRANGE reversed. */
interface RangeSyntax {
  kind?: RangeKind;
  reverse?: boolean;
  /** ZRANGESTORE: WITHSCORES is not an option. */
  store?: boolean;
}

/** Reads the options after `source min max`: WITHSCORES, LIMIT, REV, BYSCORE and BYLEX. */
function parseRangeOptions(
  args: readonly string[],
  sourceIndex: number,
  syntax: RangeSyntax,
): Omit<RangeRequest, 'start' | 'end' | 'scores' | 'members'> {
  let kind: RangeKind | null = syntax.kind ?? null;
  let reverse: boolean | null = syntax.reverse ?? null;
  const request = { withScores: false, offset: 0, limit: -1 };
  for (let i = sourceIndex + 3; i < args.length; i++) {
    const remaining = args.length - i - 1;
    if (!syntax.store && isOption(args[i], 'WITHSCORES')) {
      request.withScores = true;
    } else if (isOption(args[i], 'LIMIT') && remaining >= 2) {
      request.offset = parseInteger(args[i + 1]);
      request.limit = parseInteger(args[i + 2]);
      i += 2;
    } else if (reverse === null && isOption(args[i], 'REV')) {
      reverse = true;
    } else if (kind === null && isOption(args[i], 'BYLEX')) {
      kind = 'lex';
    } else if (kind === null && isOption(args[i], 'BYSCORE')) {
      kind = 'score';
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return { ...request, kind: kind ?? 'rank', reverse: reverse ?? false };
}

/** Parses a whole range request whose source key is at `sourceIndex`. */
function parseRangeRequest(
  args: readonly string[],
  sourceIndex: number,
  syntax: RangeSyntax,
): RangeRequest {
  const options = parseRangeOptions(args, sourceIndex, syntax);
  if (options.limit !== -1 && options.kind === 'rank') throw new CommandError(ERR.zrangeLimit);
  if (options.withScores && options.kind === 'lex') {
    throw new CommandError(ERR.zrangeWithScoresLex);
  }
  const request: RangeRequest = { ...options, start: 0, end: 0, scores: null, members: null };
  let min = args[sourceIndex + 1];
  let max = args[sourceIndex + 2];
  // BYSCORE and BYLEX with REV take the range as max, then min.
  if (request.reverse && request.kind !== 'rank') [min, max] = [max, min];
  if (request.kind === 'rank') {
    request.start = parseInteger(min);
    request.end = parseInteger(max);
  } else if (request.kind === 'score') {
    request.scores = parseScoreRange(min, max);
  } else {
    request.members = parseLexRange(min, max);
  }
  return request;
}

/**
 * Clamps a rank range as Redis does: negative indexes count from the end.
 * Returns null when it selects nothing.
 */
export function clampRanks(start: number, end: number, length: number): [number, number] | null {
  let first = start < 0 ? start + length : start;
  let last = end < 0 ? end + length : end;
  if (first < 0) first = 0;
  if (first > last || first >= length) return null;
  if (last >= length) last = length - 1;
  return [first, last];
}

function collectRanks(zset: SortedSet, request: RangeRequest): ScoredMember[] {
  const length = zset.size();
  const ranks = clampRanks(request.start, request.end, length);
  if (ranks === null) return [];
  const [first, last] = ranks;
  const from = request.reverse ? length - 1 - first : first;
  return zset.entriesFrom(from, last - first + 1, request.reverse);
}

/**
 * Walks from the first entry of a score or member range (the last when
 * reversed), skipping `offset` entries and stopping at `limit` or at the
 * first entry outside the range, like Redis's loops.
 */
function collectBounded(
  zset: SortedSet,
  request: RangeRequest,
  first: number,
  inRange: (member: string, score: number) => boolean,
): ScoredMember[] {
  const { offset, limit, reverse } = request;
  const result: ScoredMember[] = [];
  if (first < 0 || offset < 0 || limit === 0) return result;
  const from = reverse ? first - offset : first + offset;
  zset.walk(from, reverse, (member, score) => {
    if (!inRange(member, score)) return false;
    result.push({ member, score });
    return limit < 0 || result.length < limit;
  });
  return result;
}

function collectScores(zset: SortedSet, request: RangeRequest): ScoredMember[] {
  const range = request.scores as ScoreRange;
  if (request.reverse) {
    const inRange = (_: string, score: number) =>
      range.minExclusive ? score > range.min : score >= range.min;
    return collectBounded(zset, request, zset.lastInScoreRange(range), inRange);
  }
  const inRange = (_: string, score: number) =>
    range.maxExclusive ? score < range.max : score <= range.max;
  return collectBounded(zset, request, zset.firstInScoreRange(range), inRange);
}

function collectMembers(zset: SortedSet, request: RangeRequest): ScoredMember[] {
  const range = request.members as LexRange;
  if (request.reverse) {
    const inRange = (member: string) => aboveLexMin(member, range.min);
    return collectBounded(zset, request, zset.lastInLexRange(range), inRange);
  }
  const inRange = (member: string) => belowLexMax(member, range.max);
  return collectBounded(zset, request, zset.firstInLexRange(range), inRange);
}

function collectRange(zset: SortedSet, request: RangeRequest): ScoredMember[] {
  if (request.kind === 'rank') return collectRanks(zset, request);
  if (request.kind === 'score') return collectScores(zset, request);
  return collectMembers(zset, request);
}

/** Runs a reading range command whose source key is args[1]. */
function rangeCommand(client: Client, args: string[], syntax: RangeSyntax): void {
  const request = parseRangeRequest(args, 1, syntax);
  const zset = readZset(client, args[1]);
  const entries = zset === undefined ? [] : collectRange(zset, request);
  replyScoredMembers(client, entries, request.withScores);
}

/**
 * ZRANGE key min max [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]:
 * the members in a rank, score or member range, lowest first unless REV.
 */
function zrange(client: Client, args: string[]): void {
  rangeCommand(client, args, {});
}

/** ZREVRANGE key start stop [WITHSCORES]: members by rank, highest score first. */
function zrevrange(client: Client, args: string[]): void {
  rangeCommand(client, args, { kind: 'rank', reverse: true });
}

/** ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]: members in a score range. */
function zrangebyscore(client: Client, args: string[]): void {
  rangeCommand(client, args, { kind: 'score', reverse: false });
}

/** ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]: highest first. */
function zrevrangebyscore(client: Client, args: string[]): void {
  rangeCommand(client, args, { kind: 'score', reverse: true });
}

/** ZRANGEBYLEX key min max [LIMIT offset count]: members in a member range. */
function zrangebylex(client: Client, args: string[]): void {
  rangeCommand(client, args, { kind: 'lex', reverse: false });
}

/** ZREVRANGEBYLEX key max min [LIMIT offset count]: highest first. */
function zrevrangebylex(client: Client, args: string[]): void {
  rangeCommand(client, args, { kind: 'lex', reverse: true });
}

/**
 * ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]:
 * stores the range as dst (deleting dst when it is empty); the number stored.
 */
function zrangestore(client: Client, args: string[]): void {
  const request = parseRangeRequest(args, 2, { store: true });
  const zset = readZset(client, args[2]);
  const entries = zset === undefined ? [] : collectRange(zset, request);
  client.reply.int(storeResult(client, args[1], entries, 'zrangestore'));
}

/** ZREMRANGEBYRANK key start stop: removes members by rank; the number removed. */
function zremrangebyrank(client: Client, args: string[]): void {
  const start = parseInteger(args[2]);
  const end = parseInteger(args[3]);
  const zset = writableZset(client, args[1]);
  const ranks = zset === undefined ? null : clampRanks(start, end, zset.size());
  removeRanks(client, args[1], zset, ranks, 'zremrangebyrank');
}

/** ZREMRANGEBYSCORE key min max: removes members in a score range; the number removed. */
function zremrangebyscore(client: Client, args: string[]): void {
  const range = parseScoreRange(args[2], args[3]);
  const zset = writableZset(client, args[1]);
  const first = zset?.firstInScoreRange(range) ?? -1;
  const ranks: [number, number] | null =
    first < 0 ? null : [first, (zset as SortedSet).lastInScoreRange(range)];
  removeRanks(client, args[1], zset, ranks, 'zremrangebyscore');
}

/** ZREMRANGEBYLEX key min max: removes members in a member range; the number removed. */
function zremrangebylex(client: Client, args: string[]): void {
  const range = parseLexRange(args[2], args[3]);
  const zset = writableZset(client, args[1]);
  removeRanks(client, args[1], zset, zset?.lexRangeRanks(range) ?? null, 'zremrangebylex');
}

function removeRanks(
  client: Client,
  key: string,
  zset: SortedSet | undefined,
  ranks: [number, number] | null,
  event: string,
): void {
  if (zset === undefined || ranks === null) {
    client.reply.int(0);
    return;
  }
  const removed = zset.removeRanks(ranks[0], ranks[1]);
  afterRemoval(client, key, zset, removed, event);
  client.reply.int(removed);
}

const READ = { flags: ['readonly'] as const, keys: [1, 1, 1] as [number, number, number] };
const WRITE = { flags: ['write'] as const, keys: [1, 1, 1] as [number, number, number] };
const SHARED = { categories: ['sortedset'], group: 'sorted-set' };

export const zsetRangeCommands: RegisteredCommand[] = [
  command({
    name: 'zrange',
    arity: -4,
    ...SHARED,
    flags: [...READ.flags],
    keys: READ.keys,
    since: '1.2.0',
    complexity: 'O(log(N)+M)',
    handler: zrange,
    summary: 'Returns members in a sorted set within a range of indexes, scores or members.',
  }),
  command({
    name: 'zrevrange',
    arity: -4,
    ...SHARED,
    flags: [...READ.flags],
    keys: READ.keys,
    since: '1.2.0',
    complexity: 'O(log(N)+M)',
    handler: zrevrange,
    summary: 'Returns members in a sorted set within a range of indexes, highest first.',
  }),
  command({
    name: 'zrangebyscore',
    arity: -4,
    ...SHARED,
    flags: [...READ.flags],
    keys: READ.keys,
    since: '1.0.5',
    complexity: 'O(log(N)+M)',
    handler: zrangebyscore,
    summary: 'Returns members in a sorted set within a range of scores.',
  }),
  command({
    name: 'zrevrangebyscore',
    arity: -4,
    ...SHARED,
    flags: [...READ.flags],
    keys: READ.keys,
    since: '2.2.0',
    complexity: 'O(log(N)+M)',
    handler: zrevrangebyscore,
    summary: 'Returns members in a sorted set within a range of scores, highest first.',
  }),
  command({
    name: 'zrangebylex',
    arity: -4,
    ...SHARED,
    flags: [...READ.flags],
    keys: READ.keys,
    since: '2.8.9',
    complexity: 'O(log(N)+M)',
    handler: zrangebylex,
    summary: 'Returns members in a sorted set within a lexicographical range.',
  }),
  command({
    name: 'zrevrangebylex',
    arity: -4,
    ...SHARED,
    flags: [...READ.flags],
    keys: READ.keys,
    since: '2.8.9',
    complexity: 'O(log(N)+M)',
    handler: zrevrangebylex,
    summary: 'Returns members in a sorted set within a lexicographical range, highest first.',
  }),
  command({
    name: 'zrangestore',
    arity: -5,
    ...SHARED,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    writtenKeys: FIRST_KEY_WRITTEN,
    keyFlags: DESTINATION_THEN_SOURCES,
    since: '6.2.0',
    complexity: 'O(log(N)+M)',
    handler: zrangestore,
    summary: 'Stores a range of members from a sorted set in a key.',
  }),
  command({
    name: 'zremrangebyrank',
    arity: 4,
    ...SHARED,
    flags: [...WRITE.flags],
    keys: WRITE.keys,
    keyFlags: KEYS_REMOVED,
    since: '2.0.0',
    complexity: 'O(log(N)+M)',
    handler: zremrangebyrank,
    summary: 'Removes members in a sorted set within a range of indexes.',
  }),
  command({
    name: 'zremrangebyscore',
    arity: 4,
    ...SHARED,
    flags: [...WRITE.flags],
    keys: WRITE.keys,
    keyFlags: KEYS_REMOVED,
    since: '1.2.0',
    complexity: 'O(log(N)+M)',
    handler: zremrangebyscore,
    summary: 'Removes members in a sorted set within a range of scores.',
  }),
  command({
    name: 'zremrangebylex',
    arity: 4,
    ...SHARED,
    flags: [...WRITE.flags],
    keys: WRITE.keys,
    keyFlags: KEYS_REMOVED,
    since: '2.8.9',
    complexity: 'O(log(N)+M)',
    handler: zremrangebylex,
    summary: 'Removes members in a sorted set within a lexicographical range.',
  }),
];
