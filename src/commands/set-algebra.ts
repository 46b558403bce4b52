/**
 * Set algebra: SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF
 * and SDIFFSTORE. Every source key is type-checked before any work, and a
 * missing key counts as an empty set.
 */
import {
  FIRST_KEY_WRITTEN,
  command,
  type RegisteredCommand,
  DESTINATION_THEN_SOURCES,
  type KeyFlagList,
} from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { SetValue, setFromMembers, setLimits } from '../store/set';
import { MAX_MAP_ENTRIES } from '../store/types';
import { toBigInt64, toInteger, isOption } from './arguments';
import { notifyFamily } from './collection-keys';
import { lookupSet, notifySet } from './set-lookup';

type Operation = 'inter' | 'union' | 'diff';

function lookupSources(client: Client, keys: string[], read: boolean): (SetValue | undefined)[] {
  return keys.map((key) => lookupSet(client, key, read));
}

/**
 * Returns the members in every set, in the order of the smallest set
 * (ascending when it is an intset), as Redis iterates it. Stops after
 * `limit` members when limit > 0.
 */
function intersect(sources: (SetValue | undefined)[], limit = 0): string[] {
  if (sources.some((set) => set === undefined)) return [];
  const sets = (sources as SetValue[]).slice().sort((a, b) => a.size() - b.size());
  const [smallest, ...others] = sets;
  const result: string[] = [];
  for (const member of smallest.members()) {
    if (!others.every((set) => set.has(member))) continue;
    result.push(member);
    if (result.length === limit) break;
  }
  return result;
}

/** Builds the union or difference as a new set value, adding members in Redis's order. */
function combine(
  client: Client,
  sources: (SetValue | undefined)[],
  operation: Operation,
): SetValue {
  const limits = setLimits(client.server.config);
  if (operation === 'inter') return setFromMembers(intersect(sources), limits);
  const result = new SetValue();
  if (operation === 'union') {
    for (const set of sources) {
      for (const member of set?.members() ?? []) {
        if (result.lacksRoomFor(1) && !result.has(member)) {
          throw new CommandError(ERR.resultTooLarge(MAX_MAP_ENTRIES));
        }
        result.add(member, limits);
      }
    }
    return result;
  }
  const [first, ...others] = sources;
  for (const member of first?.members() ?? []) {
    if (!others.some((set) => set?.has(member))) result.add(member, limits);
  }
  return result;
}

function replyMembers(client: Client, members: string[]): void {
  client.reply.set(members.length);
  for (const member of members) client.reply.bulk(member);
}

/** Builds SINTER, SUNION or SDIFF key [key ...]: the resulting members, as a set in RESP3. */
function readHandler(operation: Operation) {
  return (client: Client, args: string[]): void => {
    const sources = lookupSources(client, args.slice(1), true);
    if (operation === 'inter') {
      replyMembers(client, intersect(sources));
      return;
    }
    replyMembers(client, Array.from(combine(client, sources, operation).members()));
  };
}

/**
 * Builds SINTERSTORE, SUNIONSTORE or SDIFFSTORE destination key [key ...]:
 * the size of the result, stored at destination whatever it held before (and
 * without a time to live). An empty result deletes destination.
 */
function storeHandler(operation: Operation) {
  return (client: Client, args: string[]): void => {
    const destination = args[1];
    const sources = lookupSources(client, args.slice(2), false);
    const result = combine(client, sources, operation);
    const db = client.db;
    if (result.size() === 0) {
      if (db.delete(destination)) {
        notifyFamily(client, 'g', 'del', destination);
        client.server.dirty++;
      }
      client.reply.int(0);
      return;
    }
    const created = db.get(destination) === undefined;
    db.set(destination, result);
    if (created) notifyFamily(client, 'n', 'new', destination);
    notifySet(client, `s${operation}store`, destination);
    client.server.dirty++;
    client.reply.int(result.size());
  };
}

/** Reads SINTERCARD's numkeys, with Redis's errors. */
function parseNumkeys(args: readonly string[]): number {
  const numkeys = toInteger(args[1]);
  if (numkeys === null || numkeys < 1) throw new CommandError(ERR.numkeysNotPositive);
  if (numkeys > args.length - 2) throw new CommandError(ERR.numkeysAboveArgs);
  return numkeys;
}

/** Parses SINTERCARD's options after the keys: LIMIT limit (0 for none); the last one wins. */
function parseLimit(args: string[], start: number): number {
  let limit = 0;
  for (let i = start; i < args.length; i++) {
    if (!isOption(args[i], 'LIMIT') || i + 1 >= args.length) throw new CommandError(ERR.syntax);
    const value = toBigInt64(args[++i]);
    if (value === null || value < 0n) throw new CommandError(ERR.limitNegative);
    limit = Number(value);
  }
  return limit;
}

/**
 * SINTERCARD numkeys key [key ...] [LIMIT limit]: the size of the
 * intersection, counting at most `limit` members when limit > 0.
 */
function sintercard(client: Client, args: string[]): void {
  const numkeys = parseNumkeys(args);
  const limit = parseLimit(args, 2 + numkeys);
  const sources = lookupSources(client, args.slice(2, 2 + numkeys), true);
  client.reply.int(intersect(sources, limit).length);
}

/** SINTERCARD's key positions, or none when numkeys is invalid. */
function sintercardKeys(args: readonly string[]): number[] {
  const numkeys = toInteger(args[1] ?? '');
  if (numkeys === null || numkeys < 1 || numkeys > args.length - 2) return [];
  return Array.from({ length: numkeys }, (_, i) => i + 2);
}

const ORDER_COMPLEXITY = 'O(N) where N is the total number of elements in all given sets.';

function readCommand(name: string, operation: Operation, summary: string): RegisteredCommand {
  return command({
    name,
    arity: -2,
    flags: ['readonly'],
    keys: [1, -1, 1],
    categories: ['set'],
    group: 'set',
    complexity: ORDER_COMPLEXITY,
    summary,
    handler: readHandler(operation),
  });
}

/** SINTERSTORE's destination is RW in Redis 7.0, where SUNIONSTORE's and SDIFFSTORE's are OW. */
const INTERSECT_STORE_KEYS: KeyFlagList = [
  ['RW', 'update'],
  ['RO', 'access'],
];

function storeCommand(
  name: string,
  operation: Operation,
  summary: string,
  keyFlags = DESTINATION_THEN_SOURCES,
): RegisteredCommand {
  return command({
    name,
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 1],
    writtenKeys: FIRST_KEY_WRITTEN,
    keyFlags,
    categories: ['set'],
    group: 'set',
    complexity: ORDER_COMPLEXITY,
    summary,
    handler: storeHandler(operation),
  });
}

export const setAlgebraCommands: RegisteredCommand[] = [
  readCommand('sinter', 'inter', 'Returns the intersect of multiple sets.'),
  readCommand('sunion', 'union', 'Returns the union of multiple sets.'),
  readCommand('sdiff', 'diff', 'Returns the difference of multiple sets.'),
  storeCommand(
    'sinterstore',
    'inter',
    'Stores the intersect of multiple sets in a key.',
    INTERSECT_STORE_KEYS,
  ),
  storeCommand('sunionstore', 'union', 'Stores the union of multiple sets in a key.'),
  storeCommand('sdiffstore', 'diff', 'Stores the difference of multiple sets in a key.'),
  command({
    name: 'sintercard',
    arity: -3,
    flags: ['readonly'],
    categories: ['set'],
    group: 'set',
    since: '7.0.0',
    findKeys: sintercardKeys,
    complexity:
      'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    summary: 'Returns the number of members of the intersect of multiple sets.',
    handler: sintercard,
  }),
];
