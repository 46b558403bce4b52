/**
 * Pending entries of consumer groups: XPENDING lists them, XCLAIM and
 * XAUTOCLAIM move them to another consumer. A claim journals as one XCLAIM
 * ... FORCE JUSTID per changed entry with its exact delivery time and
 * count (and XGROUP SETID when only LASTID moved the group), so a replay
 * rebuilds the same pending entries lists.
 */
import type { Client } from '../engine/client';
import { command, type RegisteredCommand, KEYS_REMOVED } from '../engine/command';
import { CommandError, ERR, STREAM_ERR } from '../engine/errors';
import type { StreamValue } from '../store/stream';
import type { Consumer, ConsumerGroup, PendingEntry } from '../store/stream-group';
import { compareIds, formatId, MAX_ID, parseIdText, type StreamId } from '../store/stream-id';
import { toBigInt64, toInteger } from './arguments';
import { claimJournal, consumerFor, setIdJournal } from './stream-delivery';
import { lookupGroup, parseId, parseRangeBound, replyEntry, replyId } from './stream-shared';

/** XAUTOCLAIM scans at most this many pending entries per entry it may claim (Redis 7.0). */
const AUTOCLAIM_ATTEMPTS_FACTOR = 10;
/** XAUTOCLAIM's largest COUNT in Redis 7.0: LONG_MAX / 16. */
const AUTOCLAIM_MAX_COUNT = 576460752303423487n;
/**
 * The largest COUNT XAUTOCLAIM serves. Redis allocates 16 bytes per COUNT up
 * front and fails when the allocator cannot reserve them, which depends on
 * the machine (3 * 2^40 was the limit on a 64-bit Linux host with 23 GiB).
 * NOTE: Damselfly allocates nothing per COUNT and rejects counts above 2^40
 * with Redis's error, so the cutoff may differ from a given Redis host's.
 */
const AUTOCLAIM_MAX_SERVED_COUNT = 2 ** 40;
const AUTOCLAIM_DEFAULT_COUNT = 100;

/** Returns the stream and group, or raises Redis's NOGROUP error naming both. */
function requireGroup(client: Client, key: string, name: string): [StreamValue, ConsumerGroup] {
  const { stream, group } = lookupGroup(client, key, name);
  if (stream === undefined || group === undefined) {
    throw new CommandError(STREAM_ERR.noKeyOrGroup(key, name));
  }
  return [stream, group];
}

function parseSigned(text: string, message: string = ERR.notInteger): number {
  const value = toInteger(text);
  if (value === null) throw new CommandError(message);
  return value;
}

/** XPENDING key group: [count, smallest ID, largest ID, [[consumer, count], ...]]. */
function replyPendingSummary(client: Client, group: ConsumerGroup): void {
  const reply = client.reply;
  reply.array(4);
  reply.int(group.pending.size);
  const first = group.pending.first();
  const last = group.pending.last();
  if (first === undefined || last === undefined) {
    reply.nil();
    reply.nil();
    reply.nilArray();
    return;
  }
  replyId(reply, first[0]);
  replyId(reply, last[0]);
  const owners = group.sortedConsumers().filter((consumer) => consumer.pending.size > 0);
  reply.array(owners.length);
  for (const consumer of owners) {
    reply.array(2);
    reply.bulk(consumer.name);
    reply.bulk(String(consumer.pending.size));
  }
}

interface PendingQuery {
  minIdle: number;
  start: StreamId;
  end: StreamId;
  count: number;
  consumer: string | null;
}

/** Parses XPENDING's extended form: [IDLE ms] start end count [consumer]. */
function parsePendingQuery(args: readonly string[]): PendingQuery {
  let at = 3;
  let minIdle = 0;
  if (args[3].toUpperCase() === 'IDLE') {
    minIdle = parseSigned(args[4]);
    if (args.length < 8) throw new CommandError(ERR.syntax);
    at = 5;
  }
  const count = Math.max(0, parseSigned(args[at + 2]));
  const start = parseRangeBound(args[at], true);
  const end = parseRangeBound(args[at + 1], false);
  const consumer = at + 3 < args.length ? args[at + 3] : null;
  return { minIdle, start, end, count, consumer };
}

function replyPendingEntries(client: Client, group: ConsumerGroup, query: PendingQuery): void {
  let source = group.pending;
  if (query.consumer !== null) {
    const consumer = group.consumers.get(query.consumer);
    if (consumer === undefined) {
      client.reply.array(0);
      return;
    }
    source = consumer.pending;
  }
  const now = Date.now();
  const found: PendingEntry[] = [];
  for (const [, entry] of source.range(query.start, query.end)) {
    if (found.length === query.count) break;
    if (query.minIdle !== 0 && now - entry.deliveryTime < query.minIdle) continue;
    found.push(entry);
  }
  client.reply.array(found.length);
  for (const entry of found) {
    client.reply.array(4);
    replyId(client.reply, entry.id);
    client.reply.bulk(entry.consumer.name);
    client.reply.int(Math.max(0, now - entry.deliveryTime));
    client.reply.int(entry.deliveryCount);
  }
}

/**
 * XPENDING key group [[IDLE ms] start end count [consumer]]: the summary of
 * the group's pending entries, or the entries in a range with their owner,
 * idle time and delivery count. Changes nothing.
 */
function xpending(client: Client, args: string[]): void {
  if (args.length !== 3 && (args.length < 6 || args.length > 9)) {
    throw new CommandError(ERR.syntax);
  }
  const query = args.length === 3 ? null : parsePendingQuery(args);
  const [, group] = requireGroup(client, args[1], args[2]);
  if (query === null) replyPendingSummary(client, group);
  else replyPendingEntries(client, group, query);
}

interface ClaimOptions {
  force: boolean;
  justId: boolean;
  /** Delivery time to set; null for now. */
  deliveryTime: number | null;
  /** Delivery count to set; null to add one (unless JUSTID). */
  retryCount: number | null;
  lastId: StreamId | null;
}

/** Parses XCLAIM's options, which follow its IDs; `now` turns IDLE into a time. */
function parseClaimOptions(args: readonly string[], from: number, now: number): ClaimOptions {
  const options: ClaimOptions = {
    force: false,
    justId: false,
    deliveryTime: null,
    retryCount: null,
    lastId: null,
  };
  for (let i = from; i < args.length; i++) {
    const option = args[i].toUpperCase();
    const hasValue = i < args.length - 1;
    if (option === 'FORCE') options.force = true;
    else if (option === 'JUSTID') options.justId = true;
    else if (option === 'IDLE' && hasValue) {
      options.deliveryTime = now - parseSigned(args[++i], STREAM_ERR.claimIdle);
    } else if (option === 'TIME' && hasValue) {
      options.deliveryTime = parseSigned(args[++i], STREAM_ERR.claimTime);
    } else if (option === 'RETRYCOUNT' && hasValue) {
      options.retryCount = parseSigned(args[++i], STREAM_ERR.claimRetryCount);
    } else if (option === 'LASTID' && hasValue) {
      options.lastId = parseId(args[++i]);
    } else {
      throw new CommandError(STREAM_ERR.claimOption(args[i]));
    }
  }
  return options;
}

/** A claim in progress: the consumer is created on the first entry it takes. */
interface Claim {
  client: Client;
  key: string;
  group: ConsumerGroup;
  consumerName: string;
  consumer: Consumer | null;
  journal: string[][];
}

/** Gives a pending entry to the claiming consumer and journals its new state. */
function takeEntry(claim: Claim, entry: PendingEntry, time: number, count: number | null): void {
  const { client, key, group } = claim;
  claim.consumer ??= consumerFor(client, key, group, claim.consumerName, claim.journal);
  group.assign(entry, claim.consumer);
  entry.deliveryTime = time;
  if (count !== null) entry.deliveryCount = count;
  claim.journal.push(claimJournal(key, group.name, entry, group.lastId));
  client.server.dirty++;
}

/** Drops a pending entry whose stream entry is gone, journaling the drop as Redis does. */
function dropDeleted(claim: Claim, entry: PendingEntry): void {
  claim.journal.push(claimJournal(claim.key, claim.group.name, entry, claim.group.lastId));
  claim.group.acknowledge(entry.id);
  claim.client.server.dirty++;
}

function replyClaimed(client: Client, stream: StreamValue, ids: StreamId[], justId: boolean) {
  client.reply.array(ids.length);
  for (const id of ids) {
    if (justId) replyId(client.reply, id);
    else replyEntry(client.reply, stream.get(id) as NonNullable<ReturnType<StreamValue['get']>>);
  }
}

/** Returns the delivery time XCLAIM sets: now unless a valid IDLE or TIME was given. */
function claimTime(options: ClaimOptions, now: number): number {
  const time = options.deliveryTime;
  return time === null || time < 0 || time > now ? now : time;
}

/** Claims one ID for XCLAIM; returns whether it was claimed. */
function claimOne(claim: Claim, stream: StreamValue, id: StreamId, run: ClaimRun): boolean {
  let entry = claim.group.pending.get(id);
  if (!stream.has(id)) {
    if (entry !== undefined) dropDeleted(claim, entry);
    return false;
  }
  if (entry === undefined) {
    if (!run.options.force) return false;
    // Like Redis, a forced entry starts as delivered once, then counts this claim.
    claim.consumer ??= consumerFor(
      claim.client,
      claim.key,
      claim.group,
      claim.consumerName,
      claim.journal,
    );
    entry = claim.group.deliver(id, claim.consumer, run.now, true);
  } else if (run.minIdle !== 0 && run.now - entry.deliveryTime < run.minIdle) {
    return false;
  }
  const count = run.options.retryCount;
  const next = count !== null && count >= 0 ? count : null;
  if (next === null && !run.options.justId) entry.deliveryCount++;
  takeEntry(claim, entry, claimTime(run.options, run.now), next);
  return true;
}

interface ClaimRun {
  options: ClaimOptions;
  minIdle: number;
  now: number;
}

/**
 * XCLAIM key group consumer min-idle id... [IDLE ms] [TIME ms] [RETRYCOUNT
 * n] [FORCE] [JUSTID] [LASTID id]: gives the listed pending entries that
 * are idle for at least min-idle to the consumer. Replies them, or their
 * IDs with JUSTID. Pending entries whose stream entry is gone are dropped.
 */
function xclaim(client: Client, args: string[]): void {
  const [, key, groupName, consumerName] = args;
  const [stream, group] = requireGroup(client, key, groupName);
  const minIdle = Math.max(0, parseSigned(args[4], STREAM_ERR.claimMinIdle));
  let optionsAt = 5;
  while (optionsAt < args.length && parseIdText(args[optionsAt], 0) !== null) optionsAt++;
  const ids = args.slice(5, optionsAt).map((text) => parseId(text));
  const now = Date.now();
  const options = parseClaimOptions(args, optionsAt, now);
  const journal: string[][] = [];
  client.propagateAs = journal;
  let lastIdMoved = false;
  if (options.lastId !== null && compareIds(options.lastId, group.lastId) > 0) {
    group.lastId = options.lastId;
    lastIdMoved = true;
  }
  const claim: Claim = { client, key, group, consumerName, consumer: null, journal };
  const run = { options, minIdle, now };
  const claimed = ids.filter((id) => claimOne(claim, stream, id, run));
  if (lastIdMoved && journal.length === 0) {
    journal.push(setIdJournal(key, group));
    client.server.dirty++;
  }
  replyClaimed(client, stream, claimed, options.justId);
}

interface AutoclaimArguments {
  minIdle: number;
  start: StreamId;
  count: number;
  justId: boolean;
}

function parseAutoclaim(args: readonly string[]): AutoclaimArguments {
  const minIdle = Math.max(0, parseSigned(args[4], STREAM_ERR.autoclaimMinIdle));
  const start = parseRangeBound(args[5], true);
  let count = AUTOCLAIM_DEFAULT_COUNT;
  let justId = false;
  for (let i = 6; i < args.length; i++) {
    const option = args[i].toUpperCase();
    if (option === 'COUNT' && i < args.length - 1) {
      const value = toBigInt64(args[++i]);
      if (value === null || value < 1n || value > AUTOCLAIM_MAX_COUNT) {
        throw new CommandError(STREAM_ERR.autoclaimCount);
      }
      count = Number(value);
    } else if (option === 'JUSTID') {
      justId = true;
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return { minIdle, start, count, justId };
}

/** What an XAUTOCLAIM scan did: the entries it claimed and dropped, and where to go on. */
interface AutoclaimScan {
  claimed: StreamId[];
  deleted: StreamId[];
  /** The first pending entry not scanned, or null at the end of the list. */
  next: StreamId | null;
}

/**
 * Scans pending entries from the request's start as Redis 7.0 does: at most
 * COUNT entries claimed or dropped, and at most 10 times COUNT looked at.
 */
function scanPending(claim: Claim, stream: StreamValue, request: AutoclaimArguments) {
  const attempts = request.count * AUTOCLAIM_ATTEMPTS_FACTOR;
  const scan = claim.group.pending.range(request.start, MAX_ID, attempts + 1);
  const result: AutoclaimScan = { claimed: [], deleted: [], next: null };
  const now = Date.now();
  let budget = request.count;
  let scanned = 0;
  for (; scanned < scan.length && scanned < attempts && budget > 0; scanned++) {
    const entry = scan[scanned][1];
    if (!stream.has(entry.id)) {
      dropDeleted(claim, entry);
      result.deleted.push(entry.id);
      budget--;
      continue;
    }
    if (request.minIdle !== 0 && now - entry.deliveryTime < request.minIdle) continue;
    if (!request.justId) entry.deliveryCount++;
    takeEntry(claim, entry, now, null);
    result.claimed.push(entry.id);
    budget--;
  }
  if (scanned < scan.length) result.next = scan[scanned][0];
  return result;
}

/**
 * XAUTOCLAIM key group consumer min-idle start [COUNT n] [JUSTID]: gives the
 * pending entries idle for at least min-idle, scanned from `start`, to the
 * consumer. Replies [next start ID, claimed entries, dropped IDs]; a pending
 * entry is dropped when its stream entry is gone.
 */
function xautoclaim(client: Client, args: string[]): void {
  const [, key, groupName, consumerName] = args;
  const request = parseAutoclaim(args);
  const [stream, group] = requireGroup(client, key, groupName);
  if (request.count > AUTOCLAIM_MAX_SERVED_COUNT) {
    throw new CommandError(STREAM_ERR.autoclaimTooHigh);
  }
  const journal: string[][] = [];
  client.propagateAs = journal;
  const claim: Claim = { client, key, group, consumerName, consumer: null, journal };
  const { claimed, deleted, next } = scanPending(claim, stream, request);
  replyAutoclaim(client, stream, next, claimed, deleted, request.justId);
}

function replyAutoclaim(
  client: Client,
  stream: StreamValue,
  next: StreamId | null,
  claimed: StreamId[],
  deleted: StreamId[],
  justId: boolean,
): void {
  const reply = client.reply;
  reply.array(3);
  reply.bulk(next === null ? '0-0' : formatId(next));
  replyClaimed(client, stream, claimed, justId);
  reply.array(deleted.length);
  for (const id of deleted) replyId(reply, id);
}

export const streamClaimCommands: RegisteredCommand[] = [
  command({
    name: 'xpending',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    categories: ['stream'],
    group: 'stream',
    summary: 'Returns the pending entries of a consumer group.',
    since: '5.0.0',
    complexity:
      'O(N) with N being the number of elements returned, so asking for a small fixed number ' +
      'of entries per call is O(1). O(M), where M is the total number of entries scanned when ' +
      'used with the IDLE filter. When the command returns just the summary and the list of ' +
      'consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for ' +
      'iterating every consumer.',
    handler: xpending,
  }),
  command({
    name: 'xclaim',
    arity: -6,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['stream'],
    group: 'stream',
    summary: 'Changes the owner of pending entries of a consumer group.',
    since: '5.0.0',
    complexity: 'O(log N) with N being the number of messages in the PEL of the consumer group.',
    handler: xclaim,
  }),
  command({
    name: 'xautoclaim',
    arity: -6,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    keyFlags: KEYS_REMOVED,
    categories: ['stream'],
    group: 'stream',
    summary: 'Claims the idle pending entries of a consumer group, scanning from an ID.',
    since: '6.2.0',
    complexity: 'O(1) if COUNT is small.',
    handler: xautoclaim,
  }),
];
