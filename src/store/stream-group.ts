/**
 * Consumer groups of a stream: the last delivered ID, the logical read
 * counter, the consumers, and the pending entries list (PEL) of entries
 * delivered and not yet acknowledged. Each pending entry is in the group's
 * PEL and in its consumer's, both in ID order.
 */
import { IdMap } from './stream-index';
import type { StreamId } from './stream-id';

/** The value of `entriesRead` when the group's read counter is unknown. */
export const UNKNOWN_ENTRIES_READ = -1n;

export interface PendingEntry {
  readonly id: StreamId;
  consumer: Consumer;
  /** Unix time in ms of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
}

export class Consumer {
  readonly name: string;
  /** Unix time in ms of the consumer's last attempted interaction. */
  seenTime: number;
  /** Unix time in ms of the last successful interaction, -1 if none. */
  activeTime = -1;
  readonly pending = new IdMap<PendingEntry>();

  constructor(name: string, seenTime: number) {
    this.name = name;
    this.seenTime = seenTime;
  }
}

export class ConsumerGroup {
  readonly name: string;
  lastId: StreamId;
  /** Entries the group has read, as Redis counts them; UNKNOWN_ENTRIES_READ when unknown. */
  entriesRead: bigint;
  readonly pending = new IdMap<PendingEntry>();
  readonly consumers = new Map<string, Consumer>();

  constructor(name: string, lastId: StreamId, entriesRead: bigint) {
    this.name = name;
    this.lastId = lastId;
    this.entriesRead = entriesRead;
  }

  /** Returns the named consumer, creating it when `create` (seen now) or else undefined. */
  consumer(name: string, create: boolean, now: number): Consumer | undefined {
    let consumer = this.consumers.get(name);
    if (consumer === undefined && create) {
      consumer = new Consumer(name, now);
      this.consumers.set(name, consumer);
    }
    return consumer;
  }

  /** Removes a consumer and its pending entries; returns how many entries it had pending. */
  deleteConsumer(name: string): number | undefined {
    const consumer = this.consumers.get(name);
    if (consumer === undefined) return undefined;
    const count = consumer.pending.size;
    for (const [id] of consumer.pending.entries()) this.pending.delete(id);
    this.consumers.delete(name);
    return count;
  }

  /** Records a delivery of `id` to `consumer` at `now`, creating or moving its pending entry. */
  deliver(id: StreamId, consumer: Consumer, now: number, countDelivery: boolean): PendingEntry {
    let entry = this.pending.get(id);
    if (entry === undefined) {
      entry = { id, consumer, deliveryTime: now, deliveryCount: countDelivery ? 1 : 0 };
      this.pending.set(id, entry);
      consumer.pending.set(id, entry);
      return entry;
    }
    this.assign(entry, consumer);
    entry.deliveryTime = now;
    if (countDelivery) entry.deliveryCount++;
    return entry;
  }

  /** Moves a pending entry to another consumer's PEL. */
  assign(entry: PendingEntry, consumer: Consumer): void {
    if (entry.consumer === consumer) return;
    entry.consumer.pending.delete(entry.id);
    entry.consumer = consumer;
    consumer.pending.set(entry.id, entry);
  }

  /** Acknowledges `id`: removes it from both PELs; returns whether it was pending. */
  acknowledge(id: StreamId): boolean {
    const entry = this.pending.delete(id);
    if (entry === undefined) return false;
    entry.consumer.pending.delete(id);
    return true;
  }

  /** Returns the consumers sorted by name, as Redis lists them (byte order). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => compareBytes(a.name, b.name));
  }

  clone(): ConsumerGroup {
    const copy = new ConsumerGroup(this.name, this.lastId, this.entriesRead);
    for (const consumer of this.consumers.values()) {
      const twin = new Consumer(consumer.name, consumer.seenTime);
      twin.activeTime = consumer.activeTime;
      copy.consumers.set(twin.name, twin);
    }
    for (const [id, entry] of this.pending.entries()) {
      const owner = copy.consumers.get(entry.consumer.name) as Consumer;
      const twin = { ...entry, consumer: owner };
      copy.pending.set(id, twin);
      owner.pending.set(id, twin);
    }
    return copy;
  }
}

/** Compares two byte strings as memcmp does, shorter first on a common prefix. */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}
