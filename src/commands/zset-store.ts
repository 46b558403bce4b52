/**
 * Set operations over sorted sets: ZUNION, ZINTER and ZDIFF, their STORE
 * forms, and ZINTERCARD. Plain sets are accepted as inputs, each member
 * with score 1. Weighted scores are combined in Redis's order (inputs from
 * the smallest to the largest), so sums round exactly as Redis's do.
 */
import {
  FIRST_KEY_WRITTEN,
  command,
  type RegisteredCommand,
  DESTINATION_THEN_SOURCES,
} from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { SetValue } from '../store/set';
import { compareEntries } from '../store/ranked-entries';
import { isString, MAX_MAP_ENTRIES, type Value } from '../store/types';
import { SortedSet, type ScoredMember } from '../store/zset';
import { isOption, parseInteger, toInteger } from './arguments';
import { lookupRead } from './lookup';
import { numkeysKeys } from './list-ops';
import { parseScore } from './score';
import { replyScoredMembers, storeResult } from './zset-shared';

type Operation = 'union' | 'inter' | 'diff';
type Aggregate = 'sum' | 'min' | 'max';
/** The use of the result: replied, stored, or only counted (ZINTERCARD). */
type Mode = 'reply' | 'store' | 'card';

interface Source {
  value: SortedSet | SetValue | undefined;
  weight: number;
}

interface OperationRequest {
  sources: Source[];
  aggregate: Aggregate;
  withScores: boolean;
  /** ZINTERCARD's LIMIT; 0 counts everything. */
  limit: number;
}

function sourceSize(source: Source): number {
  return source.value?.size() ?? 0;
}

/** Visits every member of an input with its weighted score; a NaN product counts as 0. */
function forEachWeighted(source: Source, visit: (member: string, score: number) => void): void {
  const { value, weight } = source;
  if (value instanceof SortedSet) {
    value.walk(0, false, (member, score) => {
      visit(member, weighted(score, weight));
      return true;
    });
  } else if (value !== undefined) {
    for (const member of value.members()) visit(member, weighted(1, weight));
  }
}

function weighted(score: number, weight: number): number {
  const product = score * weight;
  return Number.isNaN(product) ? 0 : product;
}

/** Returns the score of a member in an input (1 for a plain set member), or undefined. */
function scoreIn(source: Source, member: string): number | undefined {
  const value = source.value;
  if (value instanceof SortedSet) return value.score(member);
  return value?.has(member) ? 1 : undefined;
}

/** Combines two scores as AGGREGATE requests; a NaN sum (inf + -inf) counts as 0. */
function combine(aggregate: Aggregate, current: number, next: number): number {
  if (aggregate === 'min') return next < current ? next : current;
  if (aggregate === 'max') return next > current ? next : current;
  const total = current + next;
  return Number.isNaN(total) ? 0 : total;
}

/**
 * Looks up one input key (counting a keyspace hit or miss, as Redis does for
 * every form): a sorted set, a plain set, or missing; WRONGTYPE otherwise.
 */
function lookupSource(client: Client, key: string): Source {
  const value: Value | undefined = lookupRead(client, key);
  if (value === undefined) return { value: undefined, weight: 1 };
  if (isString(value) || !(value instanceof SortedSet || value instanceof SetValue)) {
    throw new CommandError(ERR.wrongType);
  }
  return { value, weight: 1 };
}

/** Parses WEIGHTS, AGGREGATE, WITHSCORES and LIMIT from `index` on, as each mode allows. */
function parseOperationOptions(
  args: readonly string[],
  index: number,
  request: OperationRequest,
  operation: Operation,
  mode: Mode,
): void {
  const scored = operation !== 'diff' && mode !== 'card';
  const count = request.sources.length;
  for (let i = index; i < args.length; i++) {
    const remaining = args.length - i;
    if (scored && remaining >= count + 1 && isOption(args[i], 'WEIGHTS')) {
      for (const source of request.sources) {
        source.weight = parseScore(args[++i], ERR.weightNotFloat);
      }
    } else if (scored && remaining >= 2 && isOption(args[i], 'AGGREGATE')) {
      request.aggregate = parseAggregate(args[++i]);
    } else if (mode === 'reply' && isOption(args[i], 'WITHSCORES')) {
      request.withScores = true;
    } else if (mode === 'card' && remaining >= 2 && isOption(args[i], 'LIMIT')) {
      const limit = toInteger(args[++i]);
      if (limit === null || limit < 0) throw new CommandError(ERR.limitNegative);
      request.limit = limit;
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
}

function parseAggregate(text: string): Aggregate {
  if (isOption(text, 'SUM')) return 'sum';
  if (isOption(text, 'MIN')) return 'min';
  if (isOption(text, 'MAX')) return 'max';
  throw new CommandError(ERR.syntax);
}

/**
 * Parses `numkeys key [key ...] [options]` starting at `index`. Input keys
 * are looked up (and type-checked) before the options, as Redis does.
 */
function parseOperation(
  client: Client,
  args: readonly string[],
  index: number,
  operation: Operation,
  mode: Mode,
): OperationRequest {
  const numkeys = parseInteger(args[index]);
  if (numkeys < 1) throw new CommandError(ERR.noInputKeys(args[0].toLowerCase()));
  if (numkeys > args.length - index - 1) throw new CommandError(ERR.syntax);
  const sources: Source[] = [];
  for (let i = 0; i < numkeys; i++) sources.push(lookupSource(client, args[index + 1 + i]));
  const request = { sources, aggregate: 'sum' as Aggregate, withScores: false, limit: 0 };
  parseOperationOptions(args, index + 1 + numkeys, request, operation, mode);
  return request;
}

function union(request: OperationRequest): Map<string, number> {
  const result = new Map<string, number>();
  for (const source of request.sources) {
    forEachWeighted(source, (member, score) => {
      const current = result.get(member);
      if (current === undefined && result.size === MAX_MAP_ENTRIES) {
        throw new CommandError(ERR.resultTooLarge(MAX_MAP_ENTRIES));
      }
      const combined = current === undefined ? score : combine(request.aggregate, current, score);
      result.set(member, combined);
    });
  }
  return result;
}

/** Intersects the inputs, smallest first; stops once `limit` members are found (0: no limit). */
function intersect(request: OperationRequest, limit = 0): Map<string, number> {
  const result = new Map<string, number>();
  const [smallest, ...others] = request.sources;
  if (others.some((source) => sourceSize(source) === 0)) return result;
  forEachWeighted(smallest, (member, score) => {
    if (limit > 0 && result.size >= limit) return;
    let total = score;
    for (const source of others) {
      const other = scoreIn(source, member);
      if (other === undefined) return;
      total = combine(request.aggregate, total, weighted(other, source.weight));
    }
    result.set(member, total);
  });
  return result;
}

function difference(request: OperationRequest): Map<string, number> {
  const result = new Map<string, number>();
  const [first, ...others] = request.sources;
  forEachWeighted(first, (member, score) => {
    if (others.every((source) => scoreIn(source, member) === undefined)) result.set(member, score);
  });
  return result;
}

/** Runs the operation; union and intersection take their inputs from the smallest up. */
function compute(request: OperationRequest, operation: Operation): ScoredMember[] {
  if (operation !== 'diff') request.sources.sort((a, b) => sourceSize(a) - sourceSize(b));
  let result: Map<string, number>;
  if (operation === 'union') result = union(request);
  else if (operation === 'inter') result = intersect(request);
  else result = difference(request);
  const entries = Array.from(result, ([member, score]) => ({ member, score }));
  return entries.sort((a, b) => compareEntries(a.score, a.member, b.score, b.member));
}

/** ZUNION, ZINTER and ZDIFF numkeys key [key ...] [options] [WITHSCORES]: the result's members. */
function replyOperation(client: Client, args: string[], operation: Operation): void {
  const request = parseOperation(client, args, 1, operation, 'reply');
  replyScoredMembers(client, compute(request, operation), request.withScores);
}

/**
 * ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE destination numkeys key [key ...]
 * [options]: stores the result (deleting destination when it is empty);
 * the number of members stored.
 */
function storeOperation(client: Client, args: string[], operation: Operation): void {
  const request = parseOperation(client, args, 2, operation, 'store');
  const entries = compute(request, operation);
  client.reply.int(storeResult(client, args[1], entries, `z${operation}store`));
}

/** ZINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the intersection, at most limit. */
function zintercard(client: Client, args: string[]): void {
  const request = parseOperation(client, args, 1, 'inter', 'card');
  request.sources.sort((a, b) => sourceSize(a) - sourceSize(b));
  client.reply.int(intersect(request, request.limit).size);
}

const SHARED = { categories: ['sortedset'], group: 'sorted-set' };
const READ_KEYS = (args: readonly string[]) => numkeysKeys(args, 1);
const STORE_KEYS = (args: readonly string[]) => [1, ...numkeysKeys(args, 2)];

export const zsetStoreCommands: RegisteredCommand[] = [
  command({
    name: 'zunion',
    arity: -3,
    ...SHARED,
    flags: ['readonly'],
    since: '6.2.0',
    complexity: 'O(N)+O(M*log(M))',
    findKeys: READ_KEYS,
    handler: (client, args) => replyOperation(client, args, 'union'),
    summary: 'Returns the union of multiple sorted sets.',
  }),
  command({
    name: 'zinter',
    arity: -3,
    ...SHARED,
    flags: ['readonly'],
    since: '6.2.0',
    complexity: 'O(N*K)+O(M*log(M))',
    findKeys: READ_KEYS,
    handler: (client, args) => replyOperation(client, args, 'inter'),
    summary: 'Returns the intersection of multiple sorted sets.',
  }),
  command({
    name: 'zdiff',
    arity: -3,
    ...SHARED,
    flags: ['readonly'],
    since: '6.2.0',
    complexity: 'O(L + (N-K)log(N))',
    findKeys: READ_KEYS,
    handler: (client, args) => replyOperation(client, args, 'diff'),
    summary: 'Returns the difference between multiple sorted sets.',
  }),
  command({
    name: 'zunionstore',
    arity: -4,
    ...SHARED,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    keyFlags: DESTINATION_THEN_SOURCES,
    since: '2.0.0',
    complexity: 'O(N)+O(M log(M))',
    findKeys: STORE_KEYS,
    writtenKeys: FIRST_KEY_WRITTEN,
    handler: (client, args) => storeOperation(client, args, 'union'),
    summary: 'Stores the union of multiple sorted sets in a key.',
  }),
  command({
    name: 'zinterstore',
    arity: -4,
    ...SHARED,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    keyFlags: DESTINATION_THEN_SOURCES,
    since: '2.0.0',
    complexity: 'O(N*K)+O(M*log(M))',
    findKeys: STORE_KEYS,
    writtenKeys: FIRST_KEY_WRITTEN,
    handler: (client, args) => storeOperation(client, args, 'inter'),
    summary: 'Stores the intersection of multiple sorted sets in a key.',
  }),
  command({
    name: 'zdiffstore',
    arity: -4,
    ...SHARED,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    keyFlags: DESTINATION_THEN_SOURCES,
    since: '6.2.0',
    complexity: 'O(L + (N-K)log(N))',
    findKeys: STORE_KEYS,
    writtenKeys: FIRST_KEY_WRITTEN,
    handler: (client, args) => storeOperation(client, args, 'diff'),
    summary: 'Stores the difference of multiple sorted sets in a key.',
  }),
  command({
    name: 'zintercard',
    arity: -3,
    ...SHARED,
    flags: ['readonly'],
    since: '7.0.0',
    complexity: 'O(N*K)',
    findKeys: READ_KEYS,
    handler: zintercard,
    summary: 'Returns the number of members of the intersection of multiple sorted sets.',
  }),
];
