/**
 * XREAD and XREADGROUP: read entries after given IDs from one or more
 * streams, optionally as a consumer of a group, and optionally waiting
 * (BLOCK) until entries arrive. Inside MULTI/EXEC they do not wait, and in
 * scripts BLOCK is an error, as in Redis 7.0.
 */
import { blockClient, mayBlock } from '../engine/blocking';
import type { Client } from '../engine/client';
import { command, type RegisteredCommand, KEYS_READ } from '../engine/command';
import { CommandError, ERR, STREAM_ERR } from '../engine/errors';
import { StreamValue } from '../store/stream';
import { compareIds, idsEqual, MAX_ID, nextId, ZERO_ID, type StreamId } from '../store/stream-id';
import { toInteger } from './arguments';
import {
  deliverEntries,
  readHistory,
  replyReadOutcomes,
  type Delivery,
  type ReadOutcome,
} from './stream-delivery';
import { lookupStream, parseId } from './stream-shared';

/** Entries a blocked read without COUNT gets at most, as in Redis 7.0. */
const BLOCKED_READ_COUNT = 1000;

/** `>`: entries never delivered to the group. */
const NEW_ENTRIES = 'new';

interface ReadRequest {
  group: { name: string; consumer: string } | null;
  noAck: boolean;
  /** 0: no limit. */
  count: number;
  /** null without BLOCK; 0 waits forever. */
  timeoutMs: number | null;
  keys: string[];
  idTexts: string[];
}

/** Parses BLOCK's milliseconds as Redis does; a wait too long for a timer never ends. */
function parseBlockTimeout(text: string): number {
  const value = toInteger(text);
  if (value === null) throw new CommandError(ERR.pauseTimeoutNotInteger);
  if (value < 0) throw new CommandError(ERR.pauseTimeoutNegative);
  return value > Number.MAX_SAFE_INTEGER - Date.now() ? 0 : value;
}

function emptyRequest(): ReadRequest {
  return { group: null, noAck: false, count: 0, timeoutMs: null, keys: [], idTexts: [] };
}

/** Parses the options and the STREAMS list; `grouped` is true for XREADGROUP. */
function parseRequest(client: Client, args: string[], grouped: boolean): ReadRequest {
  const request = emptyRequest();
  let streamsAt = 0;
  for (let i = 1; i < args.length && streamsAt === 0; i++) {
    const more = args.length - 1 - i;
    const option = args[i].toUpperCase();
    if (option === 'BLOCK' && more > 0) {
      if (client.internal) throw new CommandError(STREAM_ERR.blockInScript(args[0]));
      request.timeoutMs = parseBlockTimeout(args[++i]);
    } else if (option === 'COUNT' && more > 0) {
      const count = toInteger(args[++i]);
      if (count === null) throw new CommandError(ERR.notInteger);
      request.count = Math.max(0, count);
    } else if (option === 'STREAMS' && more > 0) {
      streamsAt = i + 1;
    } else if (option === 'GROUP' && more >= 2) {
      if (!grouped) throw new CommandError(STREAM_ERR.groupInXread);
      request.group = { name: args[i + 1], consumer: args[i + 2] };
      i += 2;
    } else if (option === 'NOACK') {
      if (!grouped) throw new CommandError(STREAM_ERR.noackInXread);
      request.noAck = true;
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  if (streamsAt === 0) throw new CommandError(ERR.syntax);
  const listed = args.length - streamsAt;
  if (listed % 2 !== 0) throw new CommandError(STREAM_ERR.unbalancedStreams);
  if (grouped && request.group === null) throw new CommandError(STREAM_ERR.missingGroup);
  request.keys = args.slice(streamsAt, streamsAt + listed / 2);
  request.idTexts = args.slice(streamsAt + listed / 2);
  return request;
}

/**
 * Resolves each key's ID argument: `$` becomes the stream's last ID at this
 * moment, `>` stays NEW_ENTRIES. Checks types and, for XREADGROUP, that
 * each key has the group.
 */
function resolveIds(client: Client, request: ReadRequest): (StreamId | typeof NEW_ENTRIES)[] {
  const grouped = request.group !== null;
  return request.keys.map((key, index) => {
    const stream = lookupStream(client, key, true);
    const group = request.group;
    if (group !== null && stream?.groups.get(group.name) === undefined) {
      throw new CommandError(STREAM_ERR.noGroupToRead(key, group.name));
    }
    const text = request.idTexts[index];
    if (text === '$') {
      if (grouped) throw new CommandError(STREAM_ERR.dollarInXreadgroup);
      return stream?.lastId ?? ZERO_ID;
    }
    if (text === '>') {
      if (!grouped) throw new CommandError(STREAM_ERR.greaterInXread);
      return NEW_ENTRIES;
    }
    const id = parseId(text);
    // Redis stands for `>` with the last possible ID, so that ID reads new entries too.
    return grouped && idsEqual(id, MAX_ID) ? NEW_ENTRIES : id;
  });
}

/** Returns whether the stream has an entry after `after`. */
function hasEntryAfter(stream: StreamValue, after: StreamId): boolean {
  const last = stream.lastEntryId();
  return last !== undefined && compareIds(last, after) > 0;
}

/** Returns the entries after `after`, at most `count` (0: all). */
function entriesAfter(stream: StreamValue, after: StreamId, count: number): ReadOutcome['entries'] {
  return stream.range(nextId(after) ?? ZERO_ID, MAX_ID, count, false);
}

/** Serves one stream at once when it can; returns null when it has nothing to give now. */
function serveNow(
  client: Client,
  request: ReadRequest,
  index: number,
  id: StreamId | typeof NEW_ENTRIES,
  journal: string[][],
): ReadOutcome | null {
  const key = request.keys[index];
  const stream = lookupStream(client, key, true);
  if (stream === undefined) return null;
  const reader = request.group;
  if (reader === null) {
    if (id === NEW_ENTRIES || !hasEntryAfter(stream, id)) return null;
    return { key, entries: entriesAfter(stream, id, request.count) };
  }
  const group = stream.groups.get(reader.name);
  if (group === undefined) return null;
  const delivery: Delivery = {
    client,
    key,
    stream,
    group,
    consumerName: reader.consumer,
    noAck: request.noAck,
    count: request.count,
    journal,
  };
  if (id !== NEW_ENTRIES) return readHistory(delivery, id);
  if (!hasEntryAfter(stream, group.lastId)) return null;
  return deliverEntries(delivery, group.lastId);
}

/** Serves an XREAD that waits: entries after the ID it blocked with, once there are some. */
function serveBlockedRead(request: ReadRequest, after: Map<string, StreamId>) {
  const count = request.count === 0 ? BLOCKED_READ_COUNT : request.count;
  return (client: Client, key: string): boolean => {
    const stream = client.db.get(key);
    const since = after.get(key) as StreamId;
    if (!(stream instanceof StreamValue) || compareIds(stream.lastId, since) <= 0) return false;
    replyReadOutcomes(client, [{ key, entries: entriesAfter(stream, since, count) }]);
    return true;
  };
}

/**
 * Serves an XREADGROUP that waits for new entries. A deleted key or group
 * ends the wait with Redis's UNBLOCKED or NOGROUP error.
 */
function serveBlockedGroupRead(request: ReadRequest) {
  const reader = request.group as NonNullable<ReadRequest['group']>;
  const count = request.count === 0 ? BLOCKED_READ_COUNT : request.count;
  return (client: Client, key: string): boolean => {
    const stream = client.db.get(key);
    if (!(stream instanceof StreamValue)) throw new CommandError(STREAM_ERR.blockedKeyGone);
    const group = stream.groups.get(reader.name);
    if (group === undefined) throw new CommandError(STREAM_ERR.blockedGroupGone);
    if (compareIds(stream.lastId, group.lastId) <= 0) return false;
    const journal: string[][] = [];
    const delivery: Delivery = {
      client,
      key,
      stream,
      group,
      consumerName: reader.consumer,
      noAck: request.noAck,
      count,
      journal,
    };
    replyReadOutcomes(client, [deliverEntries(delivery, group.lastId)]);
    client.propagateAs = journal;
    return true;
  };
}

/**
 * Ends a blocked XREADGROUP with Redis's error once a waited key is deleted
 * or holds another type.
 * NOTE: it runs after each command, so a key that the active expiry cycle
 * removes ends the wait only when some client runs its next command.
 */
function endIfKeyGone(client: Client, key: string): boolean {
  if (!(client.db.get(key) instanceof StreamValue)) {
    throw new CommandError(STREAM_ERR.blockedKeyGone);
  }
  return false;
}

/** Blocks the client until one of the streams gets entries after its ID. */
function block(client: Client, request: ReadRequest, ids: (StreamId | typeof NEW_ENTRIES)[]) {
  const timeoutMs = request.timeoutMs as number;
  if (request.group !== null) {
    const serve = serveBlockedGroupRead(request);
    blockClient(client, request.keys, timeoutMs, serve, undefined, endIfKeyGone);
    return;
  }
  const after = new Map<string, StreamId>();
  request.keys.forEach((key, index) => {
    if (!after.has(key)) after.set(key, ids[index] as StreamId);
  });
  blockClient(client, request.keys, timeoutMs, serveBlockedRead(request, after));
}

/** Runs XREAD (`grouped` false) or XREADGROUP. */
function read(client: Client, args: string[], grouped: boolean): void {
  const request = parseRequest(client, args, grouped);
  const ids = resolveIds(client, request);
  const journal: string[][] = [];
  if (grouped) client.propagateAs = journal;
  const outcomes: ReadOutcome[] = [];
  for (let i = 0; i < ids.length; i++) {
    const outcome = serveNow(client, request, i, ids[i], journal);
    if (outcome !== null) outcomes.push(outcome);
  }
  if (outcomes.length > 0) {
    replyReadOutcomes(client, outcomes);
    return;
  }
  if (request.timeoutMs === null || !mayBlock(client)) {
    client.reply.nilArray();
    return;
  }
  block(client, request, ids);
}

/**
 * XREAD [COUNT n] [BLOCK ms] STREAMS key... id...: the entries after each
 * ID (`$`: the stream's last ID now), per stream that has some; nil when
 * none has. With BLOCK, waits for entries (nil on timeout). Changes nothing.
 */
function xread(client: Client, args: string[]): void {
  read(client, args, false);
}

/**
 * XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS
 * key... id...: with `>`, delivers entries the group has not seen. They go
 * to the consumer's pending list unless NOACK. With an ID, delivers the
 * consumer's pending entries after it again. Creates the consumer when it
 * reads, and journals as XGROUP CREATECONSUMER, XCLAIM and XGROUP SETID.
 */
function xreadgroup(client: Client, args: string[]): void {
  read(client, args, true);
}

/**
 * Returns the key indexes of a request whose STREAMS keyword is searched
 * from index `from` (1 for XREAD, 4 for XREADGROUP, after GROUP's names):
 * the first half of the arguments after it.
 */
function streamsKeys(args: readonly string[], from: number): number[] {
  for (let i = from; i < args.length; i++) {
    if (args[i].toUpperCase() !== 'STREAMS') continue;
    const count = Math.floor((args.length - i - 1) / 2);
    return Array.from({ length: count }, (_, offset) => i + 1 + offset);
  }
  return [];
}

export const streamReadCommands: RegisteredCommand[] = [
  command({
    name: 'xread',
    arity: -4,
    flags: ['readonly', 'blocking'],
    findKeys: (args) => streamsKeys(args, 1),
    categories: ['stream'],
    group: 'stream',
    summary: 'Returns entries from streams after the given IDs, or blocks until there are some.',
    since: '5.0.0',
    complexity: 'For each stream mentioned: O(N) with N the number of elements returned.',
    handler: xread,
  }),
  command({
    name: 'xreadgroup',
    arity: -7,
    flags: ['write', 'blocking'],
    findKeys: (args) => streamsKeys(args, 4),
    keyFlags: KEYS_READ,
    categories: ['stream'],
    group: 'stream',
    summary: 'Delivers stream entries to a consumer of a group, or blocks until there are some.',
    since: '5.0.0',
    complexity: 'For each stream mentioned: O(M) with M the number of elements returned.',
    handler: xreadgroup,
  }),
];
