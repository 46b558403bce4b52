/** HRANDFIELD: random fields of a hash. */
import { command, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import type { HashEntry, HashValue } from '../store/hash';
import { isOption } from './arguments';
import { lookupHash } from './hash-lookup';
import { parseRandomCount, repeatedPicks } from './random-count';

/** With WITHVALUES, Redis limits the count to half the range so that the reply length fits. */
const HALF_LONG_MAX = (2n ** 63n - 1n) / 2n;

function replyHeader(client: Client, entries: number, withValues: boolean): void {
  const nested = withValues && client.reply.resp === 3;
  client.reply.array(withValues && !nested ? entries * 2 : entries);
}

function replyEntry(client: Client, [field, value]: HashEntry, withValues: boolean): void {
  if (withValues && client.reply.resp === 3) client.reply.array(2);
  client.reply.bulk(field);
  if (withValues) client.reply.bulk(value);
}

/** Replies with `picks` random entries that may repeat, written as they are picked. */
function replyRepeated(client: Client, hash: HashValue, picks: number, withValues: boolean): void {
  replyHeader(client, picks, withValues);
  for (let i = 0; i < picks; i++) replyEntry(client, hash.randomEntry() as HashEntry, withValues);
}

/**
 * HRANDFIELD key [count [WITHVALUES]]: without a count, one random field or
 * nil. With a count, up to that many distinct fields, or with a negative
 * count exactly -count fields that may repeat; WITHVALUES adds each value
 * (as [field, value] pairs in RESP3).
 */
function hrandfield(client: Client, args: string[]): void {
  if (args.length === 2) {
    const entry = lookupHash(client, args[1], true)?.randomEntry();
    if (entry === undefined) client.reply.nil();
    else client.reply.bulk(entry[0]);
    return;
  }
  const count = parseRandomCount(args[2]);
  if (args.length > 4 || (args.length === 4 && !isOption(args[3], 'WITHVALUES'))) {
    throw new CommandError(ERR.syntax);
  }
  const withValues = args.length === 4;
  if (withValues && (count < -HALF_LONG_MAX || count > HALF_LONG_MAX)) {
    throw new CommandError(ERR.replyTooLarge);
  }
  const hash = lookupHash(client, args[1], true);
  if (hash !== undefined && count < 0n) {
    replyRepeated(client, hash, repeatedPicks(count), withValues);
    return;
  }
  let entries: HashEntry[] = [];
  if (hash !== undefined && count >= BigInt(hash.size())) entries = Array.from(hash.entries());
  else if (hash !== undefined && count > 0n) entries = hash.randomDistinctEntries(Number(count));
  replyHeader(client, entries.length, withValues);
  for (const entry of entries) replyEntry(client, entry, withValues);
}

export const hashRandomCommands: RegisteredCommand[] = [
  command({
    name: 'hrandfield',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['hash'],
    group: 'hash',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of fields returned',
    summary: 'Returns one or more random fields from a hash.',
    handler: hrandfield,
  }),
];
