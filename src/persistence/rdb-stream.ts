/**
 * Streams in RDB files and DUMP payloads. After the entry nodes (see
 * rdb-stream-nodes.ts), a stream record contains these fields. Counts and
 * IDs are RDB lengths, and times are 8-byte little-endian milliseconds.
 *
 *   entry count, last ID (ms, seq),
 *   [first ID, max deleted ID, entries added]           form 2 and later
 *   group count, then per group:
 *     name, last delivered ID, [entries read]           form 2 and later
 *     pending count, per pending entry: 16-byte big-endian ID,
 *       delivery time, delivery count
 *     consumer count, per consumer: name, seen time,
 *       [active time]                                   form 3
 *       pending count, per pending entry: 16-byte ID
 *
 * Form 1 is RDB type 15 (Redis 5 to 6.2), form 2 type 19 (Redis 7.0), form 3
 * type 21 (Redis 7.2 and later). Damselfly writes form 2, which Redis 7.0
 * loads; it reads all three.
 */
import type { RdbDecoder } from './rdb-decoder';
import { TYPE, type RdbEncoder } from './rdb-encoder';
import { compareIds, decodeNodes, encodeNodes } from './rdb-stream-nodes';
import type {
  PlainStream,
  PlainStreamConsumer,
  PlainStreamGroup,
  PlainStreamId,
  PlainStreamPending,
} from './plain-stream';

export type StreamForm = 1 | 2 | 3;

const ZERO_ID: PlainStreamId = { ms: 0n, seq: 0n };
/** Entries read of -1 (unknown), as Redis writes it: the signed value cast to 64 unsigned bits. */
const UNKNOWN_ENTRIES_READ = 0xffffffffffffffffn;
const RAW_ID_BYTES = 16;

/** Returns the stream form an RDB type byte holds. */
export function streamFormOf(type: number): StreamForm {
  if (type === TYPE.streamListpacks) return 1;
  return type === TYPE.streamListpacks2 ? 2 : 3;
}

/** Writes a stream record; `form` other than 2 is for tests of the other Redis versions. */
export function encodeStream(encoder: RdbEncoder, stream: PlainStream, form: StreamForm = 2): void {
  encodeNodes(encoder, stream.entries);
  encoder.length(stream.entries.length);
  writeId(encoder, stream.lastId);
  if (form >= 2) {
    writeId(encoder, stream.entries.length > 0 ? stream.entries[0].id : ZERO_ID);
    writeId(encoder, stream.maxDeletedId);
    writeCounter(encoder, stream.entriesAdded);
  }
  encoder.length(stream.groups.length);
  for (const group of stream.groups) encodeGroup(encoder, group, form);
}

function writeId(encoder: RdbEncoder, id: PlainStreamId): void {
  encoder.length64(id.ms);
  encoder.length64(id.seq);
}

const U64_MAX = 2n ** 64n - 1n;

/**
 * Writes a counter. The plain form holds counters as numbers, which near
 * 2^64 can round up past the largest 64-bit value, so they are capped there.
 */
function writeCounter(encoder: RdbEncoder, value: number): void {
  if (value <= 0xffffffff) encoder.length(value);
  else encoder.length64(BigInt(value) > U64_MAX ? U64_MAX : BigInt(value));
}

function rawId(id: PlainStreamId): Buffer {
  const raw = Buffer.allocUnsafe(RAW_ID_BYTES);
  raw.writeBigUInt64BE(id.ms, 0);
  raw.writeBigUInt64BE(id.seq, 8);
  return raw;
}

function encodeGroup(encoder: RdbEncoder, group: PlainStreamGroup, form: StreamForm): void {
  encoder.string(group.name);
  writeId(encoder, group.lastDeliveredId);
  if (form >= 2) {
    if (group.entriesRead < 0) encoder.length64(UNKNOWN_ENTRIES_READ);
    else writeCounter(encoder, group.entriesRead);
  }
  encoder.length(group.pending.length);
  const owned = new Map<string, PlainStreamPending[]>();
  for (const pending of group.pending) {
    encoder.raw(rawId(pending.id));
    encoder.int64(pending.deliveryTime);
    writeCounter(encoder, pending.deliveryCount);
    const list = owned.get(pending.consumer);
    if (list === undefined) owned.set(pending.consumer, [pending]);
    else list.push(pending);
  }
  encoder.length(group.consumers.length);
  for (const consumer of group.consumers) {
    encoder.string(consumer.name);
    encoder.int64(consumer.seenTime);
    if (form >= 3) encoder.int64(consumer.activeTime);
    const list = owned.get(consumer.name) ?? [];
    encoder.length(list.length);
    for (const pending of list) encoder.raw(rawId(pending.id));
  }
}

/** Reads a stream record of the given RDB type byte. */
export function decodeStream(d: RdbDecoder, type: number): PlainStream {
  const form = streamFormOf(type);
  const stream = decodeEntriesAndIds(d, form);

  const groupCount = d.length();
  const names = new Set<string>();
  for (let i = 0; i < groupCount; i++) {
    const group = decodeGroup(d, stream, form);
    if (names.has(group.name)) d.fail('duplicate consumer group name');
    names.add(group.name);
    stream.groups.push(group);
  }
  return stream;
}

/** Reads the nodes, the length, the last ID and (form 2 and later) the deletion record. */
function decodeEntriesAndIds(d: RdbDecoder, form: StreamForm): PlainStream {
  const entries = decodeNodes(d);
  if (d.length() !== entries.length) d.fail('stream length does not match its entries');
  const lastId = readId(d);
  const last = entries[entries.length - 1];
  if (last !== undefined && compareIds(lastId, last.id) < 0) {
    d.fail('stream last ID is smaller than its last entry');
  }

  let maxDeletedId = ZERO_ID;
  let entriesAdded = entries.length;
  if (form >= 2) {
    readId(d); // The first ID, which the entries already give.
    maxDeletedId = readId(d);
    entriesAdded = readCounter(d);
    if (entriesAdded < entries.length) d.fail('stream entries added is below its length');
  }
  return { type: 'stream', entries, lastId, maxDeletedId, entriesAdded, groups: [] };
}

function readId(d: RdbDecoder): PlainStreamId {
  const ms = d.length64();
  return { ms, seq: d.length64() };
}

function readRawId(d: RdbDecoder): { id: PlainStreamId; key: string } {
  const raw = d.bytes(RAW_ID_BYTES);
  return {
    id: { ms: raw.readBigUInt64BE(0), seq: raw.readBigUInt64BE(8) },
    key: raw.toString('latin1'),
  };
}

function decodeGroup(d: RdbDecoder, stream: PlainStream, form: StreamForm): PlainStreamGroup {
  const name = d.string();
  const lastDeliveredId = readId(d);
  const entriesRead = form >= 2 ? readEntriesRead(d) : estimateEntriesRead(stream, lastDeliveredId);
  const pending = new Map<string, PlainStreamPending>();
  const pendingCount = d.length();
  let previousKey = '';
  for (let i = 0; i < pendingCount; i++) {
    const { id, key } = readRawId(d);
    if (key <= previousKey && i > 0) d.fail('group pending entries are not in ascending ID order');
    previousKey = key;
    const deliveryTime = d.int64();
    pending.set(key, { id, consumer: '', deliveryTime, deliveryCount: readCounter(d) });
  }
  const consumers = decodeConsumers(d, pending, form);
  return { name, lastDeliveredId, entriesRead, pending: [...pending.values()], consumers };
}

/**
 * Reads a group's consumers and assigns each of the group's pending entries
 * (created with an empty consumer name) to the consumer that lists it.
 */
function decodeConsumers(
  d: RdbDecoder,
  pending: Map<string, PlainStreamPending>,
  form: StreamForm,
): PlainStreamConsumer[] {
  const count = d.length();
  const list: PlainStreamConsumer[] = [];
  const names = new Set<string>();
  const owned = new Set<string>();
  for (let i = 0; i < count; i++) {
    const name = d.string();
    if (names.has(name)) d.fail('duplicate consumer name');
    names.add(name);
    const seenTime = d.int64();
    const activeTime = form >= 3 ? d.int64() : -1;
    list.push({ name, seenTime, activeTime });
    const ownedCount = d.length();
    for (let j = 0; j < ownedCount; j++) {
      const { key } = readRawId(d);
      const entry = pending.get(key);
      if (entry === undefined) d.fail('consumer pending entry missing from the group');
      if (owned.has(key)) d.fail('pending entry owned by two consumers');
      owned.add(key);
      entry.consumer = name;
    }
  }
  if (owned.size !== pending.size) d.fail('group pending entry without a consumer');
  return list;
}

/** Reads entries read: -1 (unknown) or a count. */
function readEntriesRead(d: RdbDecoder): number {
  const value = d.length64();
  return value === UNKNOWN_ENTRIES_READ ? -1 : Number(value);
}

/**
 * Reads a 64-bit counter.
 * NOTE: the plain form holds counters as numbers, so counters above 2^53
 * (which only XSETID, XGROUP SETID and XCLAIM RETRYCOUNT set) load rounded.
 */
function readCounter(d: RdbDecoder): number {
  return Number(d.length64());
}

/**
 * Estimates a group's entries read from its last delivered ID, for files
 * without the counter (form 1), as Redis 7 does when it loads them. The
 * count is exact when the ID is before the first entry, the first entry or
 * the last entry, and -1 (unknown) otherwise. Form 1 streams have no
 * deletion record, so entries added equals the length.
 */
function estimateEntriesRead(stream: PlainStream, id: PlainStreamId): number {
  const length = stream.entries.length;
  if (length === 0) return 0;
  const versusLast = compareIds(id, stream.lastId);
  if (versusLast === 0) return length;
  if (versusLast > 0) return -1;
  const versusFirst = compareIds(id, stream.entries[0].id);
  if (versusFirst < 0) return 0;
  return versusFirst === 0 ? 1 : -1;
}
