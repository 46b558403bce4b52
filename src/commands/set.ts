/**
 * Set commands: SADD, SREM, SISMEMBER, SMISMEMBER, SMEMBERS, SCARD, SMOVE
 * and SSCAN. SPOP and SRANDMEMBER are in set-random.ts, the set algebra
 * (SINTER, SUNION, SDIFF and their STORE forms, SINTERCARD) in
 * set-algebra.ts; `setCommands` registers them all.
 */
import {
  command,
  type RegisteredCommand,
  KEYS_PROBED,
  SOURCE_TO_DESTINATION,
  KEYS_INSERTED,
  KEYS_REMOVED,
} from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { globMatch } from '../store/glob';
import { SetValue, setLimits } from '../store/set';
import { isString, MAX_MAP_ENTRIES } from '../store/types';
import { deleteEmptiedKey, storeNewKey } from './collection-keys';
import { parseCursor, parseScanOptions } from './scan-arguments';
import { setAlgebraCommands } from './set-algebra';
import { lookupSet, notifySet } from './set-lookup';
import { setRandomCommands } from './set-random';

/** Raises an error when `members` would add more members than a Set can hold. */
function ensureRoomForMembers(set: SetValue, members: string[]): void {
  if (!set.lacksRoomFor(members.length)) return;
  const added = new Set(members.filter((member) => !set.has(member))).size;
  if (set.lacksRoomFor(added)) throw new CommandError(ERR.collectionFull(MAX_MAP_ENTRIES));
}

/** SADD key member [member ...]: the number of members added. */
function sadd(client: Client, args: string[]): void {
  const key = args[1];
  const existing = lookupSet(client, key, false);
  const set = existing ?? new SetValue();
  const members = args.slice(2);
  ensureRoomForMembers(set, members);
  const limits = setLimits(client.server.config);
  let added = 0;
  for (const member of members) if (set.add(member, limits)) added++;
  if (existing === undefined) storeNewKey(client, key, set);
  if (added > 0) {
    notifySet(client, 'sadd', key);
    client.server.dirty += added;
  }
  client.reply.int(added);
}

/** SREM key member [member ...]: the number of members removed. Deletes the key once empty. */
function srem(client: Client, args: string[]): void {
  const key = args[1];
  const set = lookupSet(client, key, false);
  let removed = 0;
  for (let i = 2; set !== undefined && i < args.length; i++) {
    if (set.delete(args[i])) removed++;
  }
  if (set !== undefined && removed > 0) {
    notifySet(client, 'srem', key);
    if (set.size() === 0) deleteEmptiedKey(client, key);
    client.server.dirty += removed;
  }
  client.reply.int(removed);
}

/** SISMEMBER key member: 1 when the member is in the set, else 0. */
function sismember(client: Client, args: string[]): void {
  client.reply.int(lookupSet(client, args[1], true)?.has(args[2]) ? 1 : 0);
}

/** SMISMEMBER key member [member ...]: 1 or 0 per member. */
function smismember(client: Client, args: string[]): void {
  const set = lookupSet(client, args[1], true);
  client.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) client.reply.int(set?.has(args[i]) ? 1 : 0);
}

/** SMEMBERS key: every member (ascending for an intset), as a set in RESP3. */
function smembers(client: Client, args: string[]): void {
  const set = lookupSet(client, args[1], true);
  client.reply.set(set?.size() ?? 0);
  if (set === undefined) return;
  for (const member of set.members()) client.reply.bulk(member);
}

/** SCARD key: the number of members, 0 for a missing key. */
function scard(client: Client, args: string[]): void {
  client.reply.int(lookupSet(client, args[1], true)?.size() ?? 0);
}

/** Returns the set at `key` for SMOVE, or undefined; WRONGTYPE for another type. */
function checkedSet(value: ReturnType<Client['db']['get']>): SetValue | undefined {
  if (value === undefined) return undefined;
  if (isString(value) || value.type !== 'set') throw new CommandError(ERR.wrongType);
  return value as SetValue;
}

/**
 * SMOVE source destination member: 1 when the member moved (or source and
 * destination are the same set holding it), 0 when the source lacks it.
 * Deletes the source once empty and creates the destination when missing.
 */
function smove(client: Client, args: string[]): void {
  const [, sourceKey, destinationKey, member] = args;
  const sourceValue = client.db.get(sourceKey);
  const destinationValue = client.db.get(destinationKey);
  if (sourceValue === undefined) {
    client.reply.int(0);
    return;
  }
  const source = checkedSet(sourceValue) as SetValue;
  const destination = checkedSet(destinationValue);
  if (source === destination) {
    client.reply.int(source.has(member) ? 1 : 0);
    return;
  }
  if (destination !== undefined) ensureRoomForMembers(destination, [member]);
  if (!source.delete(member)) {
    client.reply.int(0);
    return;
  }
  moveInto(client, args, source, destination);
  client.reply.int(1);
}

function moveInto(client: Client, args: string[], source: SetValue, target?: SetValue): void {
  const [, sourceKey, destinationKey, member] = args;
  notifySet(client, 'srem', sourceKey);
  if (source.size() === 0) deleteEmptiedKey(client, sourceKey);
  const destination = target ?? new SetValue();
  if (target === undefined) storeNewKey(client, destinationKey, destination);
  client.server.dirty++;
  if (destination.add(member, setLimits(client.server.config))) {
    client.server.dirty++;
    notifySet(client, 'sadd', destinationKey);
  }
}

/**
 * SSCAN key cursor [MATCH pattern] [COUNT count]: the next cursor and a page
 * of members. An intset or listpack set comes back whole with cursor 0, as
 * in Redis. A missing key replies an empty page before the options are
 * checked, as Redis does.
 */
function sscan(client: Client, args: string[]): void {
  const cursor = parseCursor(args[2]);
  const set = lookupSet(client, args[1], true);
  let nextCursor = '0';
  let members: string[] = [];
  if (set !== undefined) {
    const options = parseScanOptions(args, 3, false);
    const page = set.scan(cursor, options.count);
    const pattern = options.pattern;
    nextCursor = page.cursor;
    members = pattern === null ? page.items : page.items.filter((item) => globMatch(pattern, item));
  }
  client.reply.array(2);
  client.reply.bulk(nextCursor);
  client.reply.bulkArray(members);
}

const GROUP = 'set';

const basicCommands: RegisteredCommand[] = [
  command({
    name: 'sadd',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_INSERTED,
    categories: ['set'],
    group: GROUP,
    complexity: 'O(1) for each element added, so O(N) to add N elements',
    summary: 'Adds one or more members to a set.',
    handler: sadd,
  }),
  command({
    name: 'srem',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_REMOVED,
    categories: ['set'],
    group: GROUP,
    complexity: 'O(N) where N is the number of members to be removed.',
    summary: 'Removes one or more members from a set.',
    handler: srem,
  }),
  command({
    name: 'sismember',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_PROBED,
    categories: ['set'],
    group: GROUP,
    summary: 'Determines whether a member belongs to a set.',
    handler: sismember,
  }),
  command({
    name: 'smismember',
    arity: -3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    categories: ['set'],
    group: GROUP,
    since: '6.2.0',
    complexity: 'O(N) where N is the number of elements being checked for membership',
    summary: 'Determines whether multiple members belong to a set.',
    handler: smismember,
  }),
  command({
    name: 'smembers',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['set'],
    group: GROUP,
    complexity: 'O(N) where N is the set cardinality.',
    summary: 'Returns all members of a set.',
    handler: smembers,
  }),
  command({
    name: 'scard',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_PROBED,
    categories: ['set'],
    group: GROUP,
    summary: 'Returns the number of members in a set.',
    handler: scard,
  }),
  command({
    name: 'smove',
    arity: 4,
    flags: ['write', 'fast'],
    keys: [1, 2, 1],
    keyFlags: SOURCE_TO_DESTINATION,
    categories: ['set'],
    group: GROUP,
    summary: 'Moves a member from one set to another.',
    handler: smove,
  }),
  command({
    name: 'sscan',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['set'],
    group: GROUP,
    since: '2.8.0',
    complexity: 'O(1) for every call. O(N) for a complete iteration.',
    summary: 'Iterates over members of a set.',
    handler: sscan,
  }),
];

export const setCommands: RegisteredCommand[] = [
  ...basicCommands,
  ...setRandomCommands,
  ...setAlgebraCommands,
];
