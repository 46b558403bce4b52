/**
 * Used-memory accounting. Node.js offers no allocator statistics per object,
 * and the V8 heap's totals include garbage that the next collection frees, so
 * they swing too much to steer eviction. Instead every key is charged an
 * estimate of what it costs in V8: its Map entries, its key string and its
 * value. Each database keeps the running sum (see Database). The server's
 * used memory is that sum plus client buffers plus the resident memory at
 * start-up, and maxmemory limits the sum and the client buffers.
 *
 * The figures are for 64-bit V8 without pointer compression (Node.js 20 on
 * x86-64 and arm64). They were checked by loading one million keys and
 * comparing the sum with the growth of the process's RSS.
 */
import type { Server } from '../engine/server';
import { isString, type CollectionValue, type Value } from './types';

/*
 * The parts of each collection class that the estimates read. They are
 * declared here, not imported, so that this module depends on no collection.
 */
interface HashLike extends CollectionValue {
  entries(): Iterable<[string, string]>;
}
interface SetLike extends CollectionValue {
  members(): Iterable<string>;
}
interface ListLike extends CollectionValue {
  forEach(index: number, count: number, reverse: boolean, visit: (value: string) => void): void;
}
interface SortedSetLike extends CollectionValue {
  entriesFrom(start: number, count: number, reverse: boolean): { member: string }[];
}
interface StreamLike extends CollectionValue {
  firstEntries(count: number): { fields: string[] }[];
  groupItemCount(): number;
  readonly removals: number;
}

/** Header of a V8 sequential one-byte string: map, hash and length. */
const STRING_HEADER = 16;
/** A Buffer: its JavaScript object, its ArrayBuffer and the backing store's record. */
const BUFFER_OVERHEAD = 96;
/**
 * One entry of a V8 Map (key, value and chain slots) with its share of the
 * bucket array, averaged over the table's fill between two doublings.
 */
export const MAP_ENTRY_BYTES = 48;
/**
 * How much more resident memory the V8 heap takes than its live data: the
 * old generation grows ahead of the data and keeps free space. An estimate:
 * RSS grew 1.25 to 1.3 times the live heap after DEBUG POPULATE 1000000
 * (Node.js 20, x86-64), and charges are multiplied by it so that used_memory
 * follows RSS.
 */
const HEAP_SLACK = 1.3;
/** The charge of an expiry time: a Map entry whose value is a boxed double. */
export const EXPIRE_ENTRY_BYTES = Math.round((MAP_ENTRY_BYTES + 16) * HEAP_SLACK);
/** The charge of an access record (LRU clock or LFU counter), a small integer. */
export const ACCESS_ENTRY_BYTES = Math.round(MAP_ENTRY_BYTES * HEAP_SLACK);
/** A collection's object and its fixed fields. */
const COLLECTION_OVERHEAD = 96;
/** Extra bytes per element of a compact (listpack-like) encoding. */
const COMPACT_ELEMENT_OVERHEAD = 8;
/** A sorted-set member's rank-tree node and its score. */
const RANKED_ENTRY_OVERHEAD = 80;
/**
 * A stream entry's share of its node: its milliseconds, sequence number and
 * first element (8 bytes each), about a quarter more for the arrays' spare
 * capacity, and its part of the node's objects. Measured as about 74 bytes
 * per entry of one short field and a 14-byte value, 80 with a second 1-byte
 * field (Node.js 20, x86-64, stream-node-max-entries 100).
 */
const STREAM_ENTRY_OVERHEAD = 45;
/** An element's end offset in its node, with its share of spare capacity. */
const STREAM_SLOT_BYTES = 10;
/** A node's byte store doubles as it fills, so its bytes carry about half again as spare. */
const STREAM_STORE_SPARE = 1.5;
/** A pending entry or consumer of a group: its object and its slots in the ID-ordered lists. */
const STREAM_GROUP_ITEM_BYTES = 120;
/** A guess for the elements of a type without an estimate of its own. */
const UNKNOWN_ELEMENT_BYTES = 32;
/** Elements sampled by default, as MEMORY USAGE's SAMPLES default. */
export const DEFAULT_SAMPLES = 5;

/** Returns the bytes of a V8 string of `length` one-byte characters, 8-byte aligned. */
export function stringBytes(length: number): number {
  return STRING_HEADER + ((length + 7) & ~7);
}

/** Returns the estimated bytes of one string value. */
function stringValueBytes(value: string | Buffer): number {
  if (typeof value === 'string') return stringBytes(value.length);
  return BUFFER_OVERHEAD + value.length;
}

/** Averages `measure` over at most `samples` items (all when `samples` is 0). */
function averageOf<T>(items: Iterable<T>, samples: number, measure: (item: T) => number): number {
  let total = 0;
  let count = 0;
  for (const item of items) {
    total += measure(item);
    if (++count === samples) break;
  }
  return count === 0 ? 0 : total / count;
}

/** Per-element bytes of a hash: two strings, plus a Map entry in the hashtable encoding. */
function hashBytes(hash: HashLike, samples: number): number {
  const compact = hash.encoding() === 'listpack';
  const slot = compact ? 2 * COMPACT_ELEMENT_OVERHEAD : MAP_ENTRY_BYTES;
  const average = averageOf(hash.entries(), samples, ([field, value]) => {
    return stringBytes(field.length) + stringBytes(value.length);
  });
  return hash.size() * (average + slot);
}

function setBytes(set: SetLike, samples: number): number {
  const encoding = set.encoding();
  if (encoding === 'intset') return set.size() * 8;
  const slot = encoding === 'listpack' ? COMPACT_ELEMENT_OVERHEAD : MAP_ENTRY_BYTES;
  const average = averageOf(set.members(), samples, (member) => stringBytes(member.length));
  return set.size() * (average + slot);
}

function listBytes(list: ListLike, samples: number): number {
  const count = samples === 0 ? list.size() : Math.min(samples, list.size());
  let total = 0;
  list.forEach(0, count, false, (element) => {
    total += element.length + COMPACT_ELEMENT_OVERHEAD;
  });
  return count === 0 ? 0 : (total / count) * list.size();
}

function sortedSetBytes(zset: SortedSetLike, samples: number): number {
  const count = samples === 0 ? zset.size() : Math.min(samples, zset.size());
  let total = 0;
  for (const entry of zset.entriesFrom(0, count, false)) total += stringBytes(entry.member.length);
  const slot =
    zset.encoding() === 'listpack' ? 2 * COMPACT_ELEMENT_OVERHEAD : RANKED_ENTRY_OVERHEAD;
  return count === 0 ? 0 : (total / count + slot) * zset.size();
}

/**
 * The last sampled average entry size of each stream, with the sample size
 * and the stream's removal count when it was taken.
 */
const streamSamples = new WeakMap<
  StreamLike,
  { count: number; removals: number; perEntry: number }
>();

/** Returns the average bytes of a stream entry, from its first `samples` entries (0: all). */
function streamEntryBytes(stream: StreamLike, samples: number): number {
  const count = samples === 0 ? stream.size() : Math.min(samples, stream.size());
  const cached = streamSamples.get(stream);
  const removals = stream.removals;
  // Entries never change and new ones go at the end, so the first `count` entries stay the
  // same until an entry is removed.
  if (cached !== undefined && cached.count === count && cached.removals === removals) {
    return cached.perEntry;
  }
  let total = 0;
  for (const entry of stream.firstEntries(count)) {
    // Entries usually repeat their node's first field names, which are then not stored.
    for (let i = 1; i < entry.fields.length; i += 2) {
      total += entry.fields[i].length * STREAM_STORE_SPARE + STREAM_SLOT_BYTES;
    }
  }
  const perEntry = count === 0 ? 0 : total / count + STREAM_ENTRY_OVERHEAD;
  if (samples !== 0) streamSamples.set(stream, { count, removals, perEntry });
  return perEntry;
}

/** Bytes of a stream: its entries, from a sample, and its groups' pending entries and consumers. */
function streamBytes(stream: StreamLike, samples: number): number {
  const perEntry = streamEntryBytes(stream, samples);
  return perEntry * stream.size() + stream.groupItemCount() * STREAM_GROUP_ITEM_BYTES;
}

/**
 * Estimates the bytes of a value. Collections are estimated from the average
 * of their first `samples` elements (every element when `samples` is 0),
 * as Redis's MEMORY USAGE samples nested values.
 */
export function valueBytes(value: Value, samples = DEFAULT_SAMPLES): number {
  if (isString(value)) return stringValueBytes(value);
  let elements = 0;
  switch (value.type) {
    case 'hash':
      elements = hashBytes(value as HashLike, samples);
      break;
    case 'set':
      elements = setBytes(value as SetLike, samples);
      break;
    case 'list':
      elements = listBytes(value as ListLike, samples);
      break;
    case 'zset':
      elements = sortedSetBytes(value as SortedSetLike, samples);
      break;
    case 'stream':
      elements = streamBytes(value as StreamLike, samples);
      break;
    default:
      elements = value.size() * UNKNOWN_ELEMENT_BYTES;
  }
  return COLLECTION_OVERHEAD + Math.round(elements);
}

/**
 * Estimates the bytes a key costs in the keyspace: its Map entry, its name
 * and its value, with the heap's slack.
 */
export function entryBytes(key: string, value: Value, samples = DEFAULT_SAMPLES): number {
  const live = MAP_ENTRY_BYTES + stringBytes(key.length) + valueBytes(value, samples);
  return Math.round(live * HEAP_SLACK);
}

/** Whether a value may grow or shrink in place, so its charge must be stored and refreshed. */
export function isMutable(value: Value): boolean {
  return typeof value !== 'string';
}

/** The process's resident set at start-up, before any data: the runtime, heap and modules. */
let startupResident = 0;
markStartup();

/**
 * Measures the start-up memory again; the entry point calls it once the
 * modules are loaded and before any key exists.
 */
export function markStartup(): void {
  startupResident = process.memoryUsage.rss();
}

/** Returns used_memory_startup: the process's resident memory before any data existed. */
export function startupBytes(): number {
  return startupResident;
}

/**
 * Returns mem_not_counted_for_evict: the memory at start-up (the Node.js
 * runtime, its heap and the loaded modules), which is part of used memory
 * but not of what maxmemory limits. Counting it would leave a limit of a
 * few tens of megabytes with little room for data, where Redis's own
 * start-up memory is about 1 MB.
 */
export function notCountedForEviction(): number {
  return startupResident;
}

/** Returns the estimated bytes of every database's keys, values and bookkeeping. */
export function datasetBytes(server: Server): number {
  let total = 0;
  for (const db of server.databases) total += db.usedBytes;
  return total;
}

const CLIENT_BYTES_TTL_MS = 100;
let clientBytesAt = 0;
let clientBytesCached = 0;

/**
 * Returns the bytes held in client buffers: unparsed input and unsent
 * replies. Summed over all clients at most every 100 ms, so the gate stays
 * cheap with many connections.
 */
export function clientBufferBytes(server: Server): number {
  const now = Date.now();
  if (now - clientBytesAt < CLIENT_BYTES_TTL_MS) return clientBytesCached;
  let total = 0;
  for (const client of server.clients.values()) {
    const transport = client.transport;
    total += (transport.queryBufferLength ?? 0) + (transport.pendingOutputBytes ?? 0);
    total += client.writer.length;
  }
  clientBytesAt = now;
  clientBytesCached = total;
  return total;
}

/**
 * Returns used_memory: start-up memory, data and client buffers. It tracks
 * the process's resident memory, less what the garbage collector has yet to
 * free and what the heap holds in reserve.
 */
export function usedMemory(server: Server): number {
  return startupResident + datasetBytes(server) + clientBufferBytes(server);
}

/** Returns the used memory that maxmemory limits: the data and client buffers. */
export function evictableMemory(server: Server): number {
  return datasetBytes(server) + clientBufferBytes(server);
}
