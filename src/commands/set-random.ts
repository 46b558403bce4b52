/** SPOP and SRANDMEMBER: random members of a set. */
import { command, type RegisteredCommand, KEYS_POPPED } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import type { SetValue } from '../store/set';
import { toBigInt64 } from './arguments';
import { deleteEmptiedKey } from './collection-keys';
import { parseRandomCount, repeatedPicks } from './random-count';
import { lookupSet, notifySet } from './set-lookup';

/** Members per journaled SREM, as Redis batches the SREMs it propagates for SPOP. */
const SREM_BATCH = 1024;

/** Sends the events of a pop and journals it as SREM of the members taken. */
function finishPop(client: Client, key: string, set: SetValue, members: string[]): void {
  notifySet(client, 'spop', key);
  if (set.size() === 0) deleteEmptiedKey(client, key);
  client.server.dirty += members.length;
  client.propagateAs = [];
  for (let i = 0; i < members.length; i += SREM_BATCH) {
    client.propagateAs.push(['SREM', key, ...members.slice(i, i + SREM_BATCH)]);
  }
}

/**
 * SPOP key [count]: without a count, removes and replies one random member
 * (nil for a missing key). With a count, removes and replies up to that many
 * distinct members, as a set in RESP3. Deletes the key once empty.
 */
function spop(client: Client, args: string[]): void {
  if (args.length > 3) throw new CommandError(ERR.syntax);
  if (args.length === 3) {
    spopCount(client, args);
    return;
  }
  const key = args[1];
  const set = lookupSet(client, key, false);
  if (set === undefined) {
    client.reply.nil();
    return;
  }
  const member = set.randomMember();
  set.delete(member);
  finishPop(client, key, set, [member]);
  client.reply.bulk(member);
}

function spopCount(client: Client, args: string[]): void {
  const key = args[1];
  const count = toBigInt64(args[2]);
  if (count === null || count < 0n) throw new CommandError(ERR.notPositive);
  const set = lookupSet(client, key, false);
  let members: string[] = [];
  if (set !== undefined && count > 0n) {
    const size = set.size();
    members =
      count >= BigInt(size) ? Array.from(set.members()) : set.randomDistinctMembers(Number(count));
    for (const member of members) set.delete(member);
    finishPop(client, key, set, members);
  }
  client.reply.set(members.length);
  for (const member of members) client.reply.bulk(member);
}

/**
 * SRANDMEMBER key [count]: without a count, one random member or nil. With
 * a count, up to that many distinct members, or with a negative count
 * exactly -count members that may repeat.
 */
function srandmember(client: Client, args: string[]): void {
  if (args.length > 3) throw new CommandError(ERR.syntax);
  if (args.length === 2) {
    const set = lookupSet(client, args[1], true);
    if (set === undefined) client.reply.nil();
    else client.reply.bulk(set.randomMember());
    return;
  }
  const count = parseRandomCount(args[2]);
  const set = lookupSet(client, args[1], true);
  if (set === undefined || count === 0n) {
    client.reply.array(0);
  } else if (count < 0n) {
    const picks = repeatedPicks(count);
    client.reply.array(picks);
    for (let i = 0; i < picks; i++) client.reply.bulk(set.randomMember());
  } else if (count >= BigInt(set.size())) {
    client.reply.array(set.size());
    for (const member of set.members()) client.reply.bulk(member);
  } else {
    client.reply.bulkArray(set.randomDistinctMembers(Number(count)));
  }
}

export const setRandomCommands: RegisteredCommand[] = [
  command({
    name: 'spop',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_POPPED,
    categories: ['set'],
    group: 'set',
    complexity:
      'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.',
    summary: 'Returns one or more random members from a set after removing them.',
    handler: spop,
  }),
  command({
    name: 'srandmember',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['set'],
    group: 'set',
    complexity:
      'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.',
    summary: 'Get one or multiple random members from a set',
    handler: srandmember,
  }),
];
