/**
 * XINFO STREAM, GROUPS, CONSUMERS and HELP: a stream's counters, groups,
 * consumers and pending entries, with Redis 7.0's field names and order.
 */
import type { Client } from '../engine/client';
import { command, type RegisteredCommand } from '../engine/command';
import { CommandError, ERR, STREAM_ERR } from '../engine/errors';
import type { Reply } from '../protocol/resp/reply';
import type { StreamValue } from '../store/stream';
import type { Consumer, ConsumerGroup } from '../store/stream-group';
import { MAX_ID, ZERO_ID } from '../store/stream-id';
import { groupLag } from '../store/stream-lag';
import { toInteger } from './arguments';
import { replyHelp } from './object';
import { lookupStream, replyEntries, replyEntry, replyId } from './stream-shared';

/** Redis 7.0's XINFO HELP lines, replied verbatim for compatibility. */
const XINFO_HELP = [
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
];

/** Entries and pending entries XINFO STREAM FULL lists per part by default. */
const FULL_DEFAULT_COUNT = 10;

/**
 * Returns the stream under args[2], raising "no such key" when it is
 * missing, as every XINFO subcommand but HELP does first.
 */
function requireStream(client: Client, args: readonly string[]): StreamValue {
  const stream = lookupStream(client, args[2], true);
  if (stream === undefined) throw new CommandError(ERR.noSuchKey);
  return stream;
}

function replyCounter(reply: Reply, value: bigint | null): void {
  if (value === null) reply.nil();
  else reply.int(value);
}

/** Writes the fields that both forms of XINFO STREAM start with. */
function replyStreamHeader(reply: Reply, stream: StreamValue): void {
  reply.bulk('length');
  reply.int(stream.size());
  reply.bulk('radix-tree-keys');
  reply.int(stream.nodeCount);
  reply.bulk('radix-tree-nodes');
  reply.int(radixTreeNodes(stream));
  reply.bulk('last-generated-id');
  replyId(reply, stream.lastId);
  reply.bulk('max-deleted-entry-id');
  replyId(reply, stream.maxDeletedId);
  reply.bulk('entries-added');
  // Redis keeps the counter unsigned and prints it signed, so values past 2^63 wrap.
  reply.int(BigInt.asIntN(64, BigInt(stream.entriesAdded)));
  reply.bulk('recorded-first-entry-id');
  replyId(reply, stream.firstId());
}

/**
 * Returns the radix-tree-nodes figure.
 * NOTE: Redis counts the nodes of its radix tree, which depend on how the
 * node keys (first IDs) share byte prefixes. Damselfly has no radix tree
 * and reports one more than the number of stream nodes, which is Redis's
 * figure for a stream of one node and an estimate otherwise.
 */
function radixTreeNodes(stream: StreamValue): number {
  return stream.nodeCount + 1;
}

function replyEdgeEntry(reply: Reply, stream: StreamValue, last: boolean): void {
  const entry = last ? stream.lastEntry() : stream.firstEntry();
  if (entry === undefined) reply.nil();
  else replyEntry(reply, entry);
}

/** XINFO STREAM key: the counters, the number of groups and the first and last entries. */
function replyStreamSummary(reply: Reply, stream: StreamValue): void {
  reply.map(10);
  replyStreamHeader(reply, stream);
  reply.bulk('groups');
  reply.int(stream.groups.size);
  reply.bulk('first-entry');
  replyEdgeEntry(reply, stream, false);
  reply.bulk('last-entry');
  replyEdgeEntry(reply, stream, true);
}

function replyGroupPending(reply: Reply, group: ConsumerGroup, count: number): void {
  const pending = group.pending.range(ZERO_ID, MAX_ID, count);
  reply.array(pending.length);
  for (const [id, entry] of pending) {
    reply.array(4);
    replyId(reply, id);
    reply.bulk(entry.consumer.name);
    reply.int(entry.deliveryTime);
    reply.int(entry.deliveryCount);
  }
}

function replyFullConsumer(reply: Reply, consumer: Consumer, count: number): void {
  reply.map(4);
  reply.bulk('name');
  reply.bulk(consumer.name);
  reply.bulk('seen-time');
  reply.int(consumer.seenTime);
  reply.bulk('pel-count');
  reply.int(consumer.pending.size);
  reply.bulk('pending');
  const pending = consumer.pending.range(ZERO_ID, MAX_ID, count);
  reply.array(pending.length);
  for (const [, entry] of pending) {
    reply.array(3);
    replyId(reply, entry.id);
    reply.int(entry.deliveryTime);
    reply.int(entry.deliveryCount);
  }
}

function replyFullGroup(reply: Reply, stream: StreamValue, group: ConsumerGroup, count: number) {
  reply.map(7);
  reply.bulk('name');
  reply.bulk(group.name);
  reply.bulk('last-delivered-id');
  replyId(reply, group.lastId);
  reply.bulk('entries-read');
  replyCounter(reply, group.entriesRead < 0n ? null : group.entriesRead);
  reply.bulk('lag');
  replyCounter(reply, groupLag(stream, group));
  reply.bulk('pel-count');
  reply.int(group.pending.size);
  reply.bulk('pending');
  replyGroupPending(reply, group, count);
  reply.bulk('consumers');
  const consumers = group.sortedConsumers();
  reply.array(consumers.length);
  for (const consumer of consumers) replyFullConsumer(reply, consumer, count);
}

/** Returns the groups sorted by name, as Redis lists them. */
function sortedGroups(stream: StreamValue): ConsumerGroup[] {
  return [...stream.groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** XINFO STREAM key FULL [COUNT n]: the counters, entries, groups, consumers and PELs. */
function replyStreamFull(reply: Reply, stream: StreamValue, count: number): void {
  reply.map(9);
  replyStreamHeader(reply, stream);
  reply.bulk('entries');
  replyEntries(reply, stream.range(ZERO_ID, MAX_ID, count, false));
  reply.bulk('groups');
  const groups = sortedGroups(stream);
  reply.array(groups.length);
  for (const group of groups) replyFullGroup(reply, stream, group, count);
}

/** Parses `FULL [COUNT n]` after the key; returns the count, or null without FULL. */
function parseFullOption(args: readonly string[]): number | null {
  if (args.length === 3) return null;
  if (args[3].toUpperCase() !== 'FULL') throw new CommandError(subcommandSyntax(args));
  if (args.length === 4) return FULL_DEFAULT_COUNT;
  if (args.length !== 6 || args[4].toUpperCase() !== 'COUNT') {
    throw new CommandError(subcommandSyntax(args));
  }
  const count = toInteger(args[5]);
  if (count === null) throw new CommandError(ERR.notInteger);
  return count < 0 ? FULL_DEFAULT_COUNT : count;
}

function subcommandSyntax(args: readonly string[]): string {
  return ERR.subcommandSyntax('XINFO', args[1]);
}

/**
 * XINFO STREAM key [FULL [COUNT n]]: a map of the stream's counters and its
 * first and last entries. With FULL, the map lists its entries, groups,
 * consumers and pending entries instead: up to n of each, 10 when n is
 * missing or negative, all when n is 0.
 */
function xinfoStream(client: Client, args: string[]): void {
  const stream = requireStream(client, args);
  const count = parseFullOption(args);
  if (count === null) replyStreamSummary(client.reply, stream);
  else replyStreamFull(client.reply, stream, count);
}

/** XINFO GROUPS key: one map per group with its consumers, pending count, last ID and lag. */
function xinfoGroups(client: Client, args: string[]): void {
  const stream = requireStream(client, args);
  const reply = client.reply;
  const groups = sortedGroups(stream);
  reply.array(groups.length);
  for (const group of groups) {
    reply.map(6);
    reply.bulk('name');
    reply.bulk(group.name);
    reply.bulk('consumers');
    reply.int(group.consumers.size);
    reply.bulk('pending');
    reply.int(group.pending.size);
    reply.bulk('last-delivered-id');
    replyId(reply, group.lastId);
    reply.bulk('entries-read');
    replyCounter(reply, group.entriesRead < 0n ? null : group.entriesRead);
    reply.bulk('lag');
    replyCounter(reply, groupLag(stream, group));
  }
}

/** XINFO CONSUMERS key group: one map per consumer with its pending count and idle ms. */
function xinfoConsumers(client: Client, args: string[]): void {
  const stream = requireStream(client, args);
  const group = stream.groups.get(args[3]);
  if (group === undefined) throw new CommandError(STREAM_ERR.noGroupForKey(args[3], args[2]));
  const reply = client.reply;
  const now = Date.now();
  const consumers = group.sortedConsumers();
  reply.array(consumers.length);
  for (const consumer of consumers) {
    reply.map(3);
    reply.bulk('name');
    reply.bulk(consumer.name);
    reply.bulk('pending');
    reply.int(consumer.pending.size);
    reply.bulk('idle');
    reply.int(Math.max(0, now - consumer.seenTime));
  }
}

/** XINFO HELP: the subcommands, one status reply per line. */
function xinfoHelp(client: Client, args: string[]): void {
  replyHelp(client, args[0], XINFO_HELP);
}

/** Never called: dispatch runs the subcommand rows. */
function xinfoParent(): void {
  throw new CommandError(ERR.syntax);
}

function infoSubcommand(
  name: string,
  arity: number,
  summary: string,
  handler: (client: Client, args: string[]) => void,
): RegisteredCommand {
  return command({
    name: `xinfo|${name}`,
    arity,
    flags: ['readonly'],
    keys: [2, 2, 1],
    categories: ['stream'],
    group: 'stream',
    summary,
    since: '5.0.0',
    complexity: 'O(N) with N the number of items returned',
    handler,
  });
}

export const streamInfoCommands: RegisteredCommand[] = [
  command({
    name: 'xinfo',
    arity: -2,
    group: 'stream',
    since: '5.0.0',
    summary: 'Returns information about streams, their groups and consumers.',
    complexity: 'Depends on subcommand.',
    handler: xinfoParent,
    subcommands: [
      infoSubcommand('stream', -3, 'Returns information about a stream.', xinfoStream),
      infoSubcommand('groups', 3, 'Returns the consumer groups of a stream.', xinfoGroups),
      infoSubcommand('consumers', 4, 'Returns the consumers of a group.', xinfoConsumers),
      command({
        name: 'xinfo|help',
        arity: 2,
        flags: ['loading', 'stale'],
        categories: ['stream'],
        group: 'stream',
        since: '5.0.0',
        summary: 'Returns help for the XINFO subcommands.',
        handler: xinfoHelp,
      }),
    ],
  }),
];
