/**
 * Sorted set pops: ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms
 * BZPOPMIN, BZPOPMAX and BZMPOP, which wait (engine/blocking.ts) until a
 * key contains a sorted set, except inside MULTI/EXEC or a script. ZMPOP and
 * served blocking pops journal as ZPOPMIN or ZPOPMAX, as Redis propagates them.
 */
import { blockClient, mayBlock } from '../engine/blocking';
import { command, type RegisteredCommand, KEYS_POPPED } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { SortedSet, type ScoredMember } from '../store/zset';
import { isOption, toBigInt64, toInteger } from './arguments';
import { parseTimeout } from './blocking-timeout';
import { numkeysKeys } from './list-ops';
import { afterRemoval, replyPairs, replyScoredMembers, writableZset } from './zset-shared';

/** The end a pop takes from: the lowest scores (MIN) or the highest (MAX). */
type End = 'min' | 'max';

interface MultiPop {
  keys: string[];
  end: End;
  count: number;
}

function popName(end: End): string {
  return end === 'min' ? 'ZPOPMIN' : 'ZPOPMAX';
}

/** Removes and returns up to `count` entries from one end, with events and dirty counts. */
function popEntries(
  client: Client,
  key: string,
  zset: SortedSet,
  count: number,
  end: End,
): ScoredMember[] {
  const size = zset.size();
  const popped = Math.min(count, size);
  const fromMax = end === 'max';
  const entries = zset.entriesFrom(fromMax ? size - 1 : 0, popped, fromMax);
  if (fromMax) zset.removeRanks(size - popped, size - 1);
  else zset.removeRanks(0, popped - 1);
  afterRemoval(client, key, zset, popped, end === 'min' ? 'zpopmin' : 'zpopmax');
  return entries;
}

/**
 * ZPOPMIN and ZPOPMAX key [count]: removes the members with the lowest or
 * highest scores. Without a count, a flat [member, score]; with one, up to
 * count members with scores (pairs in RESP3). An empty array for a missing key.
 */
function popCommand(client: Client, args: string[], end: End): void {
  if (args.length > 3) throw new CommandError(ERR.syntax);
  const withCount = args.length === 3;
  const count = withCount ? toBigInt64(args[2]) : 1n;
  if (count === null || count < 0n) throw new CommandError(ERR.notPositive);
  const zset = writableZset(client, args[1]);
  const entries =
    zset === undefined || count === 0n ? [] : popEntries(client, args[1], zset, Number(count), end);
  if (withCount) {
    replyScoredMembers(client, entries, true);
    return;
  }
  client.reply.array(entries.length * 2);
  for (const entry of entries) {
    client.reply.bulk(entry.member);
    client.reply.double(entry.score);
  }
}

function zpopmin(client: Client, args: string[]): void {
  popCommand(client, args, 'min');
}

function zpopmax(client: Client, args: string[]): void {
  popCommand(client, args, 'max');
}

/** Parses `numkeys key... MIN|MAX [COUNT count]` starting at `index`. */
function parseMultiPop(args: readonly string[], index: number): MultiPop {
  const numkeys = toInteger(args[index]);
  if (numkeys === null || numkeys < 1) throw new CommandError(ERR.numkeysNotPositive);
  const endIndex = index + numkeys + 1;
  if (endIndex >= args.length) throw new CommandError(ERR.syntax);
  let end: End;
  if (isOption(args[endIndex], 'MIN')) end = 'min';
  else if (isOption(args[endIndex], 'MAX')) end = 'max';
  else throw new CommandError(ERR.syntax);
  let count: number | null = null;
  for (let i = endIndex + 1; i < args.length; i++) {
    if (count !== null || !isOption(args[i], 'COUNT') || i + 1 >= args.length) {
      throw new CommandError(ERR.syntax);
    }
    count = toInteger(args[++i]);
    if (count === null || count < 1) throw new CommandError(ERR.countNotPositive);
  }
  return { keys: args.slice(index + 1, endIndex), end, count: count ?? 1 };
}

/** Pops for ZMPOP and BZMPOP; replies [key, [[member, score], ...]] and journals ZPOPMIN/MAX. */
function popMany(client: Client, key: string, zset: SortedSet, pop: MultiPop): void {
  const entries = popEntries(client, key, zset, pop.count, pop.end);
  client.propagateAs = [[popName(pop.end), key, String(entries.length)]];
  client.reply.array(2);
  client.reply.bulk(key);
  replyPairs(client, entries);
}

/** Returns the first of `keys` holding a sorted set; WRONGTYPE stops at a key of another type. */
function firstZset(client: Client, keys: readonly string[]): [string, SortedSet] | null {
  for (const key of keys) {
    const zset = writableZset(client, key);
    if (zset !== undefined) return [key, zset];
  }
  return null;
}

/**
 * ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]: pops up to count
 * members from the first non-empty sorted set; [key, pairs], or a nil array.
 */
function zmpop(client: Client, args: string[]): void {
  const pop = parseMultiPop(args, 1);
  const found = firstZset(client, pop.keys);
  if (found === null) client.reply.nilArray();
  else popMany(client, found[0], found[1], pop);
}

/** The sorted set under `key`, if any; a waiter keeps waiting on any other value. */
function waitedZset(client: Client, key: string): SortedSet | undefined {
  const value = client.db.get(key);
  return value instanceof SortedSet ? value : undefined;
}

/** Pops one member for BZPOPMIN/BZPOPMAX; replies [key, member, score]. */
function popOne(client: Client, key: string, zset: SortedSet, end: End): void {
  const [entry] = popEntries(client, key, zset, 1, end);
  client.propagateAs = [[popName(end), key]];
  client.reply.array(3);
  client.reply.bulk(key);
  client.reply.bulk(entry.member);
  client.reply.double(entry.score);
}

/**
 * BZPOPMIN and BZPOPMAX key [key ...] timeout: pops from the first non-empty
 * sorted set and replies [key, member, score]; otherwise waits until one of
 * the keys contains a sorted set (a nil array on timeout).
 */
function blockingPop(client: Client, args: string[], end: End): void {
  const timeoutMs = parseTimeout(args[args.length - 1]);
  const keys = args.slice(1, -1);
  const found = firstZset(client, keys);
  if (found !== null) {
    popOne(client, found[0], found[1], end);
    return;
  }
  if (!mayBlock(client)) {
    client.reply.nilArray();
    return;
  }
  blockClient(client, keys, timeoutMs, (waiting, key) => {
    const zset = waitedZset(waiting, key);
    if (zset === undefined) return false;
    popOne(waiting, key, zset, end);
    return true;
  });
}

function bzpopmin(client: Client, args: string[]): void {
  blockingPop(client, args, 'min');
}

function bzpopmax(client: Client, args: string[]): void {
  blockingPop(client, args, 'max');
}

/**
 * BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: ZMPOP that
 * waits until one of the keys contains a sorted set (a nil array on timeout).
 */
function bzmpop(client: Client, args: string[]): void {
  const pop = parseMultiPop(args, 2);
  const timeoutMs = parseTimeout(args[1]);
  const found = firstZset(client, pop.keys);
  if (found !== null) {
    popMany(client, found[0], found[1], pop);
    return;
  }
  if (!mayBlock(client)) {
    client.reply.nilArray();
    return;
  }
  blockClient(client, pop.keys, timeoutMs, (waiting, key) => {
    const zset = waitedZset(waiting, key);
    if (zset === undefined) return false;
    popMany(waiting, key, zset, pop);
    return true;
  });
}

const SHARED = { categories: ['sortedset'], group: 'sorted-set' };

export const zsetPopCommands: RegisteredCommand[] = [
  command({
    name: 'zpopmin',
    arity: -2,
    ...SHARED,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_POPPED,
    since: '5.0.0',
    complexity: 'O(log(N)*M)',
    handler: zpopmin,
    summary: 'Removes and returns the members with the lowest scores in a sorted set.',
  }),
  command({
    name: 'zpopmax',
    arity: -2,
    ...SHARED,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_POPPED,
    since: '5.0.0',
    complexity: 'O(log(N)*M)',
    handler: zpopmax,
    summary: 'Removes and returns the members with the highest scores in a sorted set.',
  }),
  command({
    name: 'zmpop',
    arity: -4,
    ...SHARED,
    flags: ['write'],
    since: '7.0.0',
    complexity: 'O(K) + O(M*log(N))',
    handler: zmpop,
    findKeys: (args) => numkeysKeys(args, 1),
    keyFlags: KEYS_POPPED,
    summary:
      'Removes and returns members with the lowest or highest scores from the first ' +
      'non-empty sorted set.',
  }),
  command({
    name: 'bzpopmin',
    arity: -3,
    ...SHARED,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    keys: [1, -2, 1],
    keyFlags: KEYS_POPPED,
    since: '5.0.0',
    complexity: 'O(log(N))',
    handler: bzpopmin,
    summary:
      'Removes and returns the member with the lowest score from one of several ' +
      'sorted sets, or blocks until one is available.',
  }),
  command({
    name: 'bzpopmax',
    arity: -3,
    ...SHARED,
    flags: ['write', 'noscript', 'blocking', 'fast'],
    keys: [1, -2, 1],
    keyFlags: KEYS_POPPED,
    since: '5.0.0',
    complexity: 'O(log(N))',
    handler: bzpopmax,
    summary:
      'Removes and returns the member with the highest score from one of several ' +
      'sorted sets, or blocks until one is available.',
  }),
  command({
    name: 'bzmpop',
    arity: -5,
    ...SHARED,
    flags: ['write', 'blocking'],
    since: '7.0.0',
    complexity: 'O(K) + O(M*log(N))',
    handler: bzmpop,
    findKeys: (args) => numkeysKeys(args, 2),
    keyFlags: KEYS_POPPED,
    summary:
      'Removes and returns members with the lowest or highest scores from the first ' +
      'non-empty sorted set, or blocks until one is available.',
  }),
];
