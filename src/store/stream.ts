/**
 * The stream value type: entries in ID order in a list of nodes (see
 * stream-node.ts), plus the stream's counters and consumer groups. Finding
 * an ID takes a binary search over the nodes and one inside a node.
 * Appending touches only the last node, and trimming only the first ones.
 * Unlike other collections, an empty stream stays in the keyspace.
 */
import type { Config } from '../config/config';
import { registerPlainCodec } from '../persistence/plain';
import type {
  PlainStream,
  PlainStreamEntry,
  PlainStreamGroup,
  PlainStreamId,
  PlainStreamPending,
} from '../persistence/plain-stream';
import type { PlainValue } from '../persistence/rdb-values';
import { Consumer, ConsumerGroup } from './stream-group';
import {
  compareIds,
  incrementU64,
  MAX_ID,
  nextId,
  toU64,
  ZERO_ID,
  type StreamId,
  type U64,
} from './stream-id';
import { StreamNode, type StreamEntry, type StreamLimits } from './stream-node';
import type { CollectionValue } from './types';

export type { StreamEntry, StreamLimits } from './stream-node';

export function streamLimits(config: Config): StreamLimits {
  return {
    maxBytes: config.number('stream-node-max-bytes'),
    maxEntries: config.number('stream-node-max-entries'),
  };
}

/** A trimming rule of XADD and XTRIM: keep `maxLength` entries, or drop IDs below `minId`. */
export interface TrimRule {
  strategy: 'maxlen' | 'minid';
  maxLength: number;
  minId: StreamId;
  /** `~`: remove whole nodes only. */
  approx: boolean;
  /** With `approx`, the most entries to remove (0: no limit). */
  limit: number;
}

export class StreamValue implements CollectionValue {
  readonly type = 'stream' as const;
  #nodes: StreamNode[] = [];
  #length = 0;
  /** The ID of the newest entry ever added (or set by XSETID). */
  lastId: StreamId = ZERO_ID;
  /** The largest ID removed by XDEL (or set by XSETID); 0-0 when none. */
  maxDeletedId: StreamId = ZERO_ID;
  /** Entries ever added, counting removed ones. */
  entriesAdded: U64 = 0;
  readonly groups = new Map<string, ConsumerGroup>();
  #removals = 0;

  encoding(): string {
    return 'stream';
  }

  size(): number {
    return this.#length;
  }

  /** Number of nodes, which XINFO STREAM reports as radix-tree-keys. */
  get nodeCount(): number {
    return this.#nodes.length;
  }

  clone(): StreamValue {
    const copy = new StreamValue();
    copy.#nodes = this.#nodes.map((node) => node.clone());
    copy.#length = this.#length;
    copy.lastId = this.lastId;
    copy.maxDeletedId = this.maxDeletedId;
    copy.entriesAdded = this.entriesAdded;
    for (const [name, group] of this.groups) copy.groups.set(name, group.clone());
    return copy;
  }

  /** Returns the first `count` entries, for memory estimates. */
  firstEntries(count: number): StreamEntry[] {
    const found: StreamEntry[] = [];
    for (const node of this.#nodes) {
      for (let index = 0; index < node.size; index++) {
        if (found.length >= count) return found;
        found.push(node.entryAt(index));
      }
    }
    return found;
  }

  /** Counts XDELs and trims, so memory estimates know when their sample may have changed. */
  get removals(): number {
    return this.#removals;
  }

  /** Returns the number of pending entries and consumers over all groups, for memory estimates. */
  groupItemCount(): number {
    let count = 0;
    for (const group of this.groups.values()) count += group.pending.size + group.consumers.size;
    return count;
  }

  firstEntry(): StreamEntry | undefined {
    return this.#nodes[0]?.entryAt(0);
  }

  lastEntry(): StreamEntry | undefined {
    const node = this.#nodes[this.#nodes.length - 1];
    return node?.entryAt(node.size - 1);
  }

  /** Returns the ID of the last entry, or undefined when the stream is empty. */
  lastEntryId(): StreamId | undefined {
    const node = this.#nodes[this.#nodes.length - 1];
    return node?.idAt(node.size - 1);
  }

  /** Returns the first entry's ID, 0-0 when empty: XINFO's recorded-first-entry-id. */
  firstId(): StreamId {
    return this.#nodes[0]?.idAt(0) ?? ZERO_ID;
  }

  /** Returns the ID `*` generates at `now`, or null once the last possible ID is taken. */
  autoId(now: number): StreamId | null {
    if (this.lastId.ms < now) return { ms: now, seq: 0 };
    return nextId(this.lastId);
  }

  /** Appends an entry whose ID is greater than `lastId`. */
  append(id: StreamId, fields: string[], limits: StreamLimits): void {
    const last = this.#nodes[this.#nodes.length - 1];
    if (last !== undefined && last.accepts(fields, limits)) last.append(id, fields);
    else this.#nodes.push(StreamNode.withFirstEntry(id, fields));
    this.#length++;
    const added = this.entriesAdded;
    this.entriesAdded =
      typeof added === 'number' && added < Number.MAX_SAFE_INTEGER
        ? added + 1
        : (incrementU64(added) ?? added);
    this.lastId = id;
  }

  get(id: StreamId): StreamEntry | undefined {
    const node = this.#nodes[this.#nodeIndex(id)];
    const index = node === undefined ? -1 : node.indexOf(id);
    return index < 0 ? undefined : node.entryAt(index);
  }

  has(id: StreamId): boolean {
    const node = this.#nodes[this.#nodeIndex(id)];
    return node !== undefined && node.indexOf(id) >= 0;
  }

  /** Removes one entry as XDEL does; returns whether it existed. */
  delete(id: StreamId): boolean {
    const nodeIndex = this.#nodeIndex(id);
    const node = this.#nodes[nodeIndex];
    const index = node === undefined ? -1 : node.indexOf(id);
    if (index < 0) return false;
    node.removeAt(index);
    if (node.size === 0) this.#nodes.splice(nodeIndex, 1);
    this.#length--;
    this.#removals++;
    if (compareIds(id, this.maxDeletedId) > 0) this.maxDeletedId = id;
    return true;
  }

  /**
   * Returns up to `count` (0: all) entries with IDs in [start, end], in
   * ascending order, or descending from `end` when `reverse`.
   */
  range(start: StreamId, end: StreamId, count: number, reverse: boolean): StreamEntry[] {
    if (compareIds(start, end) > 0) return [];
    return reverse ? this.#rangeDown(start, end, count) : this.#rangeUp(start, end, count);
  }

  /** Removes old entries by `rule` as Redis 7.0 does; returns how many it removed. */
  trim(rule: TrimRule): number {
    let removed = 0;
    while (this.#nodes.length > 0) {
      const node = this.#nodes[0];
      const live = node.size;
      if (rule.limit !== 0 && removed + live > rule.limit) break;
      if (this.#wholeNodeGoes(node, rule)) {
        this.#nodes.shift();
        this.#length -= live;
        removed += live;
        continue;
      }
      if (!rule.approx) removed += this.#trimInside(node, rule);
      break;
    }
    if (removed > 0) this.#removals++;
    return removed;
  }

  #wholeNodeGoes(node: StreamNode, rule: TrimRule): boolean {
    if (rule.strategy === 'maxlen') return this.#length - node.size >= rule.maxLength;
    return compareIds(node.lastAddedId, rule.minId) < 0;
  }

  /** Removes the first entries of `node` that `rule` drops, as an exact trim does. */
  #trimInside(node: StreamNode, rule: TrimRule): number {
    let count = 0;
    for (; count < node.size; count++) {
      if (rule.strategy === 'maxlen' && this.#length - count <= rule.maxLength) break;
      if (rule.strategy === 'minid' && node.compareAt(count, rule.minId) >= 0) break;
    }
    node.removeFirst(count);
    this.#length -= count;
    // NOTE: Redis keeps a node whose live entries are all gone while its last
    // added ID is at or above MINID. Dropping it here lets a later MAXLEN ~
    // trim a different number of entries than Redis would.
    if (node.size === 0) this.#nodes.shift();
    return count;
  }

  #rangeUp(start: StreamId, end: StreamId, count: number): StreamEntry[] {
    const found: StreamEntry[] = [];
    const first = Math.max(0, this.#nodeIndex(start));
    for (let nodeIndex = first; nodeIndex < this.#nodes.length; nodeIndex++) {
      const node = this.#nodes[nodeIndex];
      let index = nodeIndex === first ? node.lowerBound(start) : 0;
      for (; index < node.size; index++) {
        if (node.compareAt(index, end) > 0) return found;
        found.push(node.entryAt(index));
        if (found.length === count) return found;
      }
    }
    return found;
  }

  #rangeDown(start: StreamId, end: StreamId, count: number): StreamEntry[] {
    const found: StreamEntry[] = [];
    const first = this.#nodeIndex(end);
    for (let nodeIndex = first; nodeIndex >= 0; nodeIndex--) {
      const node = this.#nodes[nodeIndex];
      let index = node.size - 1;
      if (nodeIndex === first) {
        index = node.lowerBound(end);
        if (index === node.size || node.compareAt(index, end) !== 0) index--;
      }
      for (; index >= 0; index--) {
        if (node.compareAt(index, start) < 0) return found;
        found.push(node.entryAt(index));
        if (found.length === count) return found;
      }
    }
    return found;
  }

  /** Returns the index of the last node whose first entry is <= `id`, -1 when none is. */
  #nodeIndex(id: StreamId): number {
    const nodes = this.#nodes;
    let low = 0;
    let high = nodes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (nodes[middle].compareAt(0, id) <= 0) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }
}

function toPlainId(id: StreamId): PlainStreamId {
  return { ms: BigInt(id.ms), seq: BigInt(id.seq) };
}

function fromPlainId(id: PlainStreamId): StreamId {
  return { ms: toU64(id.ms), seq: toU64(id.seq) };
}

function groupToPlain(group: ConsumerGroup): PlainStreamGroup {
  const pending: PlainStreamPending[] = [];
  for (const [id, entry] of group.pending.entries()) {
    pending.push({
      id: toPlainId(id),
      consumer: entry.consumer.name,
      deliveryTime: entry.deliveryTime,
      deliveryCount: entry.deliveryCount,
    });
  }
  const consumers = group.sortedConsumers().map((consumer) => ({
    name: consumer.name,
    seenTime: consumer.seenTime,
    activeTime: consumer.activeTime,
  }));
  return {
    name: group.name,
    lastDeliveredId: toPlainId(group.lastId),
    entriesRead: Number(group.entriesRead),
    pending,
    consumers,
  };
}

/*
 * NOTE: the plain form stores counters as JavaScript numbers, so entries-added
 * and entries-read values above 2^53 (only XSETID and XGROUP SETID set such
 * values) lose precision when saved.
 */
export function streamToPlain(stream: StreamValue): PlainStream {
  const entries: PlainStreamEntry[] = [];
  for (const entry of stream.range(ZERO_ID, MAX_ID, 0, false)) {
    entries.push({ id: toPlainId(entry.id), fields: entry.fields });
  }
  return {
    type: 'stream',
    entries,
    lastId: toPlainId(stream.lastId),
    maxDeletedId: toPlainId(stream.maxDeletedId),
    entriesAdded: Number(stream.entriesAdded),
    groups: [...stream.groups.values()].map(groupToPlain),
  };
}

function groupFromPlain(plain: PlainStreamGroup): ConsumerGroup {
  const group = new ConsumerGroup(
    plain.name,
    fromPlainId(plain.lastDeliveredId),
    BigInt(plain.entriesRead),
  );
  for (const each of plain.consumers) {
    const consumer = group.consumer(each.name, true, each.seenTime) as Consumer;
    consumer.activeTime = each.activeTime;
  }
  for (const each of plain.pending) {
    const consumer = group.consumer(each.consumer, true, 0) as Consumer;
    const entry = group.deliver(fromPlainId(each.id), consumer, each.deliveryTime, false);
    entry.deliveryCount = each.deliveryCount;
  }
  return group;
}

/**
 * Builds a stream from its plain form, grouping entries into nodes by the
 * settings in force.
 * NOTE: the entries XDEL removed are not in the plain form, so rebuilt nodes
 * hold no tombstones and may be packed more densely than before the save.
 */
export function streamFromPlain(plain: PlainStream, limits: StreamLimits): StreamValue {
  const stream = new StreamValue();
  for (const entry of plain.entries) stream.append(fromPlainId(entry.id), entry.fields, limits);
  stream.lastId = fromPlainId(plain.lastId);
  stream.maxDeletedId = fromPlainId(plain.maxDeletedId);
  stream.entriesAdded = plain.entriesAdded;
  for (const group of plain.groups) stream.groups.set(group.name, groupFromPlain(group));
  return stream;
}

registerPlainCodec('stream', {
  toPlain: (value): PlainValue => streamToPlain(value as StreamValue),
  fromPlain: (plain, config) => {
    if (plain.type !== 'stream') throw new Error(`expected a stream, got ${plain.type}`);
    return streamFromPlain(plain, streamLimits(config));
  },
});
