/**
 * Stream commands that add, read by range and remove entries: XADD, XLEN,
 * XRANGE, XREVRANGE, XDEL, XTRIM and XSETID, and the command table of the
 * whole stream family (the other handlers live in the stream-*.ts files).
 */
import { signalKeyReady } from '../engine/blocking';
import type { Client } from '../engine/client';
import {
  command,
  type CommandFlag,
  type RegisteredCommand,
  KEYS_PROBED,
  type KeyFlagList,
  KEYS_REMOVED,
} from '../engine/command';
import { CommandError, ERR, STREAM_ERR, wrongArity } from '../engine/errors';
import { streamLimits, StreamValue } from '../store/stream';
import {
  compareIds,
  formatId,
  idsEqual,
  incrementU64,
  isZeroId,
  MAX_ID,
  toU64,
  ZERO_ID,
  type StreamId,
} from '../store/stream-id';
import { totalLength } from '../store/stream-node';
import { toBigInt64, toInteger } from './arguments';
import { storeNewKey } from './collection-keys';
import { streamGroupCommands } from './stream-groups';
import { streamInfoCommands } from './stream-info';
import { streamClaimCommands } from './stream-claim';
import { streamReadCommands } from './stream-read';
import { exactTrimArguments, parseAddOrTrim, type AddOrTrimArguments } from './stream-trim';
import {
  lookupStream,
  notifyStream,
  parseId,
  parseRangeBound,
  replyEntries,
  replyId,
} from './stream-shared';

/** The largest total of field and value bytes Redis stores in one entry (a listpack's limit). */
const MAX_ENTRY_BYTES = 2 ** 30;

/**
 * Returns the ID an XADD adds: generated for `*`, the next sequence number
 * for `ms-*`, or the explicit one. Raises Redis's errors when it would not
 * be greater than the stream's last ID.
 */
function chooseId(stream: StreamValue, parsed: AddOrTrimArguments): StreamId {
  const last = stream.lastId;
  if (idsEqual(last, MAX_ID)) throw new CommandError(STREAM_ERR.exhausted);
  let id: StreamId;
  if (parsed.id === null) {
    id = stream.autoId(Date.now()) as StreamId;
  } else if (!parsed.id.seqGiven && parsed.id.id.ms === last.ms) {
    const seq = incrementU64(last.seq);
    // Redis 7.0 reports an exhausted sequence number with this text.
    if (seq === null) throw new CommandError(STREAM_ERR.elementsTooLarge);
    id = { ms: last.ms, seq };
  } else {
    id = parsed.id.id;
  }
  if (compareIds(id, last) <= 0) throw new CommandError(STREAM_ERR.idNotGreater);
  return id;
}

/** Returns the stream under `key`, creating it unless NOMKSTREAM; undefined when not created. */
function streamForAdd(client: Client, key: string, noMkStream: boolean): StreamValue | undefined {
  const stream = lookupStream(client, key, false);
  if (stream !== undefined || noMkStream) return stream;
  const created = new StreamValue();
  storeNewKey(client, key, created);
  return created;
}

/** Records the XADD the journal replays: the concrete ID and an exact trim. */
function journalAdd(client: Client, args: string[], parsed: AddOrTrimArguments, id: StreamId) {
  if (client.server.journal.length === 0) return;
  const rule = parsed.trim;
  if (parsed.id?.seqGiven === true && (rule === null || !rule.approx)) return;
  const journal = ['XADD', args[1]];
  if (parsed.noMkStream) journal.push('NOMKSTREAM');
  const stream = client.db.get(args[1]) as StreamValue;
  if (rule !== null) journal.push(...exactTrimArguments(rule, stream));
  journal.push(formatId(id), ...args.slice(parsed.idIndex + 1));
  client.propagateAs = [journal];
}

/**
 * XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id
 * field value ...: appends an entry and replies its ID (nil with NOMKSTREAM
 * on a missing key), then trims. Sends 'xadd' (and 'xtrim'), wakes blocked
 * readers, and journals the concrete ID with an exact trim.
 */
function xadd(client: Client, args: string[]): void {
  const limits = streamLimits(client.server.config);
  const parsed = parseAddOrTrim(args, true, limits.maxEntries);
  const fields = args.slice(parsed.idIndex + 1);
  if (fields.length < 2 || fields.length % 2 === 1) throw new CommandError(wrongArity(args[0]));
  if (parsed.id?.seqGiven === true && isZeroId(parsed.id.id)) {
    throw new CommandError(STREAM_ERR.idZero);
  }
  const key = args[1];
  const stream = streamForAdd(client, key, parsed.noMkStream);
  if (stream === undefined) {
    client.reply.nil();
    return;
  }
  const id = chooseId(stream, parsed);
  if (totalLength(fields) > MAX_ENTRY_BYTES) throw new CommandError(STREAM_ERR.elementsTooLarge);
  stream.append(id, fields, limits);
  replyId(client.reply, id);
  notifyStream(client, 'xadd', key);
  client.server.dirty++;
  if (parsed.trim !== null && stream.trim(parsed.trim) > 0) notifyStream(client, 'xtrim', key);
  signalKeyReady(client.server, client.db, key);
  journalAdd(client, args, parsed, id);
}

/** XLEN key: the number of entries, 0 for a missing key. */
function xlen(client: Client, args: string[]): void {
  client.reply.int(lookupStream(client, args[1], true)?.size() ?? 0);
}

/** Parses COUNT options from args[4]; the last one wins. Returns -1 when none is given. */
function parseRangeCount(args: readonly string[]): number {
  let count = -1;
  for (let i = 4; i < args.length; i++) {
    if (args[i].toUpperCase() !== 'COUNT' || i === args.length - 1) {
      throw new CommandError(ERR.syntax);
    }
    const value = toInteger(args[++i]);
    if (value === null) throw new CommandError(ERR.notInteger);
    count = Math.max(0, value);
  }
  return count;
}

/**
 * XRANGE key start end [COUNT n] and XREVRANGE key end start [COUNT n]: the
 * entries between the bounds (inclusive unless `(`), in ascending or
 * descending order. Changes nothing.
 */
function rangeCommand(client: Client, args: string[], reverse: boolean): void {
  const start = parseRangeBound(reverse ? args[3] : args[2], true);
  const end = parseRangeBound(reverse ? args[2] : args[3], false);
  const count = parseRangeCount(args);
  const stream = lookupStream(client, args[1], true);
  if (stream === undefined) {
    client.reply.array(0);
    return;
  }
  if (count === 0) {
    client.reply.nilArray();
    return;
  }
  replyEntries(client.reply, stream.range(start, end, Math.max(0, count), reverse));
}

function xrange(client: Client, args: string[]): void {
  rangeCommand(client, args, false);
}

function xrevrange(client: Client, args: string[]): void {
  rangeCommand(client, args, true);
}

/**
 * XDEL key id...: removes the entries and replies how many existed. Sends
 * 'xdel' when any did. IDs are all checked before anything is removed.
 */
function xdel(client: Client, args: string[]): void {
  const stream = lookupStream(client, args[1], false);
  if (stream === undefined) {
    client.reply.int(0);
    return;
  }
  const ids = args.slice(2).map((text) => parseId(text));
  let deleted = 0;
  for (const id of ids) if (stream.delete(id)) deleted++;
  if (deleted > 0) {
    notifyStream(client, 'xdel', args[1]);
    client.server.dirty += deleted;
  }
  client.reply.int(deleted);
}

/**
 * XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]: removes old entries
 * and replies how many. Sends 'xtrim' when any went; an approximate trim
 * journals as the exact trim that removes the same entries.
 */
function xtrim(client: Client, args: string[]): void {
  const limits = streamLimits(client.server.config);
  const rule = parseAddOrTrim(args, false, limits.maxEntries).trim;
  const stream = lookupStream(client, args[1], false);
  if (stream === undefined) {
    client.reply.int(0);
    return;
  }
  const removed = rule === null ? 0 : stream.trim(rule);
  if (rule !== null && removed > 0) {
    notifyStream(client, 'xtrim', args[1]);
    client.server.dirty += removed;
    if (rule.approx) client.propagateAs = [['XTRIM', args[1], ...exactTrimArguments(rule, stream)]];
  }
  client.reply.int(removed);
}

interface SetIdOptions {
  entriesAdded: bigint | null;
  maxDeletedId: StreamId;
}

function parseSetIdOptions(args: readonly string[], id: StreamId): SetIdOptions {
  const options: SetIdOptions = { entriesAdded: null, maxDeletedId: ZERO_ID };
  for (let i = 3; i < args.length; i += 2) {
    const option = args[i].toUpperCase();
    if (option === 'ENTRIESADDED' && i + 1 < args.length) {
      const value = toBigInt64(args[i + 1]);
      if (value === null) throw new CommandError(ERR.notInteger);
      if (value < 0n) throw new CommandError(STREAM_ERR.entriesAddedNegative);
      options.entriesAdded = value;
    } else if (option === 'MAXDELETEDID' && i + 1 < args.length) {
      options.maxDeletedId = parseId(args[i + 1]);
      if (compareIds(id, options.maxDeletedId) < 0) {
        throw new CommandError(STREAM_ERR.setidBelowGivenMaxDeleted);
      }
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return options;
}

function checkSetId(stream: StreamValue, id: StreamId, options: SetIdOptions): void {
  const last = stream.lastEntryId();
  if (last === undefined) return;
  if (compareIds(id, last) < 0) throw new CommandError(STREAM_ERR.setidBelowTop);
  if (options.entriesAdded !== null && BigInt(stream.size()) > options.entriesAdded) {
    throw new CommandError(STREAM_ERR.setidEntriesAddedBelowLength);
  }
}

/**
 * XSETID key last-id [ENTRIESADDED n] [MAXDELETEDID id]: sets the stream's
 * last ID and counters; replies OK, or "no such key". Sends 'xsetid'.
 */
function xsetid(client: Client, args: string[]): void {
  const id = parseId(args[2]);
  const options = parseSetIdOptions(args, id);
  const stream = lookupStream(client, args[1], false);
  if (stream === undefined) throw new CommandError(ERR.noSuchKey);
  checkSetId(stream, id, options);
  stream.lastId = id;
  if (options.entriesAdded !== null) stream.entriesAdded = toU64(options.entriesAdded);
  if (!isZeroId(options.maxDeletedId)) stream.maxDeletedId = options.maxDeletedId;
  client.reply.ok();
  client.server.dirty++;
  notifyStream(client, 'xsetid', args[1]);
}

function streamCommand(
  name: string,
  arity: number,
  flags: CommandFlag[],
  summary: string,
  handler: (client: Client, args: string[]) => void,
  since: string,
  complexity: string,
  keyFlags?: KeyFlagList,
): RegisteredCommand {
  return command({
    name,
    arity,
    flags,
    keys: [1, 1, 1],
    keyFlags,
    categories: ['stream'],
    group: 'stream',
    summary,
    since,
    complexity,
    handler,
  });
}

const streamEntryCommands: RegisteredCommand[] = [
  streamCommand(
    'xadd',
    -5,
    ['write', 'denyoom', 'fast'],
    'Appends a new entry to a stream, creating it if needed.',
    xadd,
    '5.0.0',
    'O(1) when adding a new entry, O(N) when trimming where N is the number of entries evicted.',
  ),
  streamCommand(
    'xlen',
    2,
    ['readonly', 'fast'],
    'Returns the number of entries in a stream.',
    xlen,
    '5.0.0',
    'O(1)',
    KEYS_PROBED,
  ),
  streamCommand(
    'xrange',
    -4,
    ['readonly'],
    'Returns the entries of a stream within a range of IDs.',
    xrange,
    '5.0.0',
    'O(N) with N being the number of elements being returned.',
  ),
  streamCommand(
    'xrevrange',
    -4,
    ['readonly'],
    'Returns the entries of a stream within a range of IDs, in reverse order.',
    xrevrange,
    '5.0.0',
    'O(N) with N being the number of elements returned.',
  ),
  streamCommand(
    'xdel',
    -3,
    ['write', 'fast'],
    'Removes entries from a stream and returns how many were removed.',
    xdel,
    '5.0.0',
    'O(1) for each single item to delete in the stream',
    KEYS_REMOVED,
  ),
  streamCommand(
    'xtrim',
    -4,
    ['write'],
    'Removes the oldest entries of a stream by length or minimum ID.',
    xtrim,
    '5.0.0',
    'O(N), with N being the number of evicted entries.',
    KEYS_REMOVED,
  ),
  streamCommand(
    'xsetid',
    -3,
    ['write', 'denyoom', 'fast'],
    "Sets a stream's last ID and its counters (used by replication).",
    xsetid,
    '5.0.0',
    'O(1)',
  ),
];

export const streamCommands: RegisteredCommand[] = [
  ...streamEntryCommands,
  ...streamReadCommands,
  ...streamGroupCommands,
  ...streamClaimCommands,
  ...streamInfoCommands,
];
