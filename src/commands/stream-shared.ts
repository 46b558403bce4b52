/**
 * Pieces shared by the stream command files: key lookups, ID arguments in
 * Redis 7.0's forms, entry replies and keyspace events.
 */
import type { Client } from '../engine/client';
import { CommandError, STREAM_ERR } from '../engine/errors';
import { notifyKeyspaceEvent } from '../engine/notify';
import type { Reply } from '../protocol/resp/reply';
import type { StreamValue, StreamEntry } from '../store/stream';
import type { ConsumerGroup } from '../store/stream-group';
import {
  formatId,
  MAX_ID,
  nextId,
  parseIdText,
  previousId,
  U64_MAX,
  ZERO_ID,
  type StreamId,
  type U64,
} from '../store/stream-id';
import { lookupCollection } from './lookup';

export const SEQ_MAX: U64 = U64_MAX;

/** Looks up a stream: undefined when missing, WRONGTYPE for another type. */
export function lookupStream(client: Client, key: string, read: boolean): StreamValue | undefined {
  return lookupCollection<StreamValue>(client, key, 'stream', read);
}

/** Looks up a key's stream and one of its groups; either may be missing. */
export function lookupGroup(
  client: Client,
  key: string,
  name: string,
): { stream: StreamValue | undefined; group: ConsumerGroup | undefined } {
  const stream = lookupStream(client, key, true);
  return { stream, group: stream?.groups.get(name) };
}

/**
 * Parses `ms-seq` or `ms` (the sequence then is `missingSeq`); `-` and `+`
 * only when `allowEdges`. Raises Redis's invalid ID error otherwise.
 */
export function parseId(text: string, missingSeq: U64 = 0, allowEdges = false): StreamId {
  if (text === '-' || text === '+') {
    if (!allowEdges) throw new CommandError(STREAM_ERR.invalidId);
    return text === '-' ? ZERO_ID : MAX_ID;
  }
  const parsed = parseIdText(text, missingSeq);
  if (parsed === null) throw new CommandError(STREAM_ERR.invalidId);
  return parsed.id;
}

/**
 * Parses a range start (`missingSeq` 0) or end (`missingSeq` SEQ_MAX): an
 * ID, `-`, `+`, or `(` before an ID to exclude it. An excluded bound is
 * moved one ID inwards; past the last or first possible ID it raises
 * Redis's "invalid start/end ID for the interval".
 */
export function parseRangeBound(text: string, isStart: boolean): StreamId {
  const missingSeq = isStart ? 0 : SEQ_MAX;
  if (text.length < 2 || text[0] !== '(') return parseId(text, missingSeq, true);
  const id = parseId(text.slice(1), missingSeq);
  const moved = isStart ? nextId(id) : previousId(id);
  if (moved === null) {
    throw new CommandError(isStart ? STREAM_ERR.invalidStartId : STREAM_ERR.invalidEndId);
  }
  return moved;
}

export function replyId(reply: Reply, id: StreamId): void {
  reply.bulk(formatId(id));
}

/** Replies one entry as [id, [field, value, ...]]. */
export function replyEntry(reply: Reply, entry: StreamEntry): void {
  reply.array(2);
  reply.bulk(formatId(entry.id));
  reply.bulkArray(entry.fields);
}

export function replyEntries(reply: Reply, entries: readonly StreamEntry[]): void {
  reply.array(entries.length);
  for (const entry of entries) replyEntry(reply, entry);
}

/** Sends a stream-class ('t') keyspace event such as 'xadd' or 'xgroup-create'. */
export function notifyStream(client: Client, event: string, key: string): void {
  notifyKeyspaceEvent(client.server, 't', event, key, client.db.id);
}
