/**
 * The plain form of a stream, shared by the stream type (which converts to
 * and from it) and the snapshot, DUMP and append-only rewrite code (which
 * write and read it). It holds everything Redis's RDB stream records hold.
 */

/** A stream entry ID: milliseconds and sequence number, each unsigned 64-bit. */
export interface PlainStreamId {
  ms: bigint;
  seq: bigint;
}

export interface PlainStreamEntry {
  id: PlainStreamId;
  /** Field, value, field, value, ... as byte strings. */
  fields: string[];
}

/** One entry delivered to a consumer of a group and not yet acknowledged. */
export interface PlainStreamPending {
  id: PlainStreamId;
  consumer: string;
  /** Unix time in milliseconds of the last delivery. */
  deliveryTime: number;
  deliveryCount: number;
}

export interface PlainStreamConsumer {
  name: string;
  /** Unix time in milliseconds of the consumer's last attempted interaction. */
  seenTime: number;
  /** Unix time in milliseconds of the last successful interaction, -1 if none. */
  activeTime: number;
}

export interface PlainStreamGroup {
  name: string;
  lastDeliveredId: PlainStreamId;
  /** Entries read by the group so far; -1 when unknown. */
  entriesRead: number;
  /** In ID order. */
  pending: PlainStreamPending[];
  consumers: PlainStreamConsumer[];
}

export interface PlainStream {
  type: 'stream';
  /** In ID order. */
  entries: PlainStreamEntry[];
  lastId: PlainStreamId;
  /** Largest ID ever removed by XDEL or trimming; 0-0 when none. */
  maxDeletedId: PlainStreamId;
  /** Entries ever added, counting deleted ones. */
  entriesAdded: number;
  groups: PlainStreamGroup[];
}
