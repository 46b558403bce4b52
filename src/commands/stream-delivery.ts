/**
 * Delivering entries to a consumer of a group (XREADGROUP, served at once
 * or after a wait): moving the group's last delivered ID, filling the
 * pending entries lists, and the journal entries that replay it. A delivery
 * journals as XGROUP CREATECONSUMER for a new consumer, one XCLAIM ... FORCE
 * JUSTID per pending entry with its exact time and count, and XGROUP SETID
 * with ENTRIESREAD when the group moved, as Redis propagates it.
 */
import type { Client } from '../engine/client';
import type { Reply } from '../protocol/resp/reply';
import type { StreamValue } from '../store/stream';
import type { Consumer, ConsumerGroup, PendingEntry } from '../store/stream-group';
import { formatId, MAX_ID, nextId, ZERO_ID, type StreamId } from '../store/stream-id';
import { advanceGroup } from '../store/stream-lag';
import { notifyStream, replyEntry } from './stream-shared';

/** An entry in a read reply; `fields` is null for a pending entry XDEL removed. */
export interface ReadEntry {
  id: StreamId;
  fields: string[] | null;
}

/** The entries read from one stream. */
export interface ReadOutcome {
  key: string;
  entries: ReadEntry[];
}

/** One XREADGROUP delivery from one stream. */
export interface Delivery {
  client: Client;
  key: string;
  stream: StreamValue;
  group: ConsumerGroup;
  consumerName: string;
  noAck: boolean;
  /** 0: no limit. */
  count: number;
  /** Receives the requests that replay the delivery. */
  journal: string[][];
}

/**
 * Returns the journal entry that recreates a pending entry exactly: its
 * owner, delivery time and count, and the group's last delivered ID.
 */
export function claimJournal(
  key: string,
  groupName: string,
  entry: PendingEntry,
  lastId: StreamId,
): string[] {
  return [
    'XCLAIM',
    key,
    groupName,
    entry.consumer.name,
    '0',
    formatId(entry.id),
    'TIME',
    String(entry.deliveryTime),
    'RETRYCOUNT',
    String(entry.deliveryCount),
    'FORCE',
    'JUSTID',
    'LASTID',
    formatId(lastId),
  ];
}

/** Returns the journal entry that sets a group's last delivered ID and read counter. */
export function setIdJournal(key: string, group: ConsumerGroup): string[] {
  return [
    'XGROUP',
    'SETID',
    key,
    group.name,
    formatId(group.lastId),
    'ENTRIESREAD',
    String(group.entriesRead),
  ];
}

/**
 * Returns the named consumer of the group, marking it seen now, or creates
 * it with Redis's 'xgroup-createconsumer' event and a journal entry.
 */
export function consumerFor(
  client: Client,
  key: string,
  group: ConsumerGroup,
  name: string,
  journal: string[][],
): Consumer {
  const now = Date.now();
  const existing = group.consumers.get(name);
  if (existing !== undefined) {
    existing.seenTime = now;
    return existing;
  }
  const created = group.consumer(name, true, now) as Consumer;
  client.server.dirty++;
  notifyStream(client, 'xgroup-createconsumer', key);
  journal.push(['XGROUP', 'CREATECONSUMER', key, group.name, name]);
  return created;
}

/** Makes `consumer` the owner of a fresh delivery of `id`: delivered now, once. */
function recordDelivery(group: ConsumerGroup, id: StreamId, consumer: Consumer): PendingEntry {
  const now = Date.now();
  const existing = group.pending.get(id);
  if (existing === undefined) return group.deliver(id, consumer, now, true);
  group.assign(existing, consumer);
  existing.deliveryTime = now;
  existing.deliveryCount = 1;
  return existing;
}

/** Delivers the entries after `after` that the group has not seen yet (the `>` ID). */
export function deliverEntries(delivery: Delivery, after: StreamId): ReadOutcome {
  const { client, key, stream, group, journal } = delivery;
  const consumer = consumerFor(client, key, group, delivery.consumerName, journal);
  const start = nextId(after) ?? ZERO_ID;
  const entries = stream.range(start, MAX_ID, delivery.count, false);
  let moved = false;
  for (const entry of entries) {
    if (advanceGroup(stream, group, entry.id)) moved = true;
    if (delivery.noAck) continue;
    const pending = recordDelivery(group, entry.id, consumer);
    journal.push(claimJournal(key, group.name, pending, group.lastId));
  }
  if (moved) journal.push(setIdJournal(key, group));
  client.server.dirty++;
  return { key, entries };
}

/**
 * Delivers again the consumer's pending entries after `after` (a history
 * read), counting one more delivery for each entry that still exists.
 */
export function readHistory(delivery: Delivery, after: StreamId): ReadOutcome {
  const { client, key, stream, group, journal } = delivery;
  const consumer = consumerFor(client, key, group, delivery.consumerName, journal);
  // Like Redis, a start past the last possible ID wraps around to 0-0.
  const start = nextId(after) ?? ZERO_ID;
  const now = Date.now();
  const entries: ReadEntry[] = [];
  for (const [id, pending] of consumer.pending.range(start, MAX_ID, delivery.count)) {
    const entry = stream.get(id);
    if (entry === undefined) {
      entries.push({ id, fields: null });
      continue;
    }
    entries.push(entry);
    pending.deliveryTime = now;
    pending.deliveryCount++;
    journal.push(claimJournal(key, group.name, pending, group.lastId));
  }
  client.server.dirty++;
  return { key, entries };
}

function replyReadEntry(reply: Reply, entry: ReadEntry): void {
  if (entry.fields !== null) {
    replyEntry(reply, { id: entry.id, fields: entry.fields });
    return;
  }
  reply.array(2);
  reply.bulk(formatId(entry.id));
  reply.nilArray();
}

/** Replies read results: an array of [key, entries] in RESP2, a map in RESP3. */
export function replyReadOutcomes(client: Client, outcomes: readonly ReadOutcome[]): void {
  const reply = client.reply;
  const resp3 = reply.resp === 3;
  if (resp3) reply.map(outcomes.length);
  else reply.array(outcomes.length);
  for (const outcome of outcomes) {
    if (!resp3) reply.array(2);
    reply.bulk(outcome.key);
    reply.array(outcome.entries.length);
    for (const entry of outcome.entries) replyReadEntry(reply, entry);
  }
}
