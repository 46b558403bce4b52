/**
 * Rewrites a stream as the commands Redis 7.0 writes for it in an
 * append-only base file without the RDB preamble. Each entry gets an XADD.
 * An empty stream gets an XADD with MAXLEN 0, which creates the key and
 * removes the entry at once. XSETID then sets the last ID, entries added
 * and max deleted ID. Each group gets XGROUP CREATE with ENTRIESREAD, and
 * each of its consumers gets one XCLAIM ... JUSTID FORCE per pending entry
 * (keeping the delivery time and count) or XGROUP CREATECONSUMER when it
 * has none.
 *
 * NOTE: replaying the commands sets every consumer's seen time to the replay
 * time, and drops pending entries whose stream entry was deleted (XCLAIM
 * skips IDs missing from the stream), as with Redis 7.0's rewrite. A
 * snapshot base file (aof-use-rdb-preamble yes, the default) keeps both.
 */
import type {
  PlainStream,
  PlainStreamGroup,
  PlainStreamId,
  PlainStreamPending,
} from './plain-stream';

export type EmitCommand = (args: string[]) => void;

function formatId(id: PlainStreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** Emits the commands that rebuild `stream` under `key`. */
export function emitStreamCommands(key: string, stream: PlainStream, emit: EmitCommand): void {
  if (stream.entries.length === 0) {
    emit(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
  }
  for (const entry of stream.entries) emit(['XADD', key, formatId(entry.id), ...entry.fields]);
  emit([
    'XSETID',
    key,
    formatId(stream.lastId),
    'ENTRIESADDED',
    String(stream.entriesAdded),
    'MAXDELETEDID',
    formatId(stream.maxDeletedId),
  ]);
  for (const group of stream.groups) emitGroupCommands(key, group, emit);
}

function emitGroupCommands(key: string, group: PlainStreamGroup, emit: EmitCommand): void {
  emit([
    'XGROUP',
    'CREATE',
    key,
    group.name,
    formatId(group.lastDeliveredId),
    'ENTRIESREAD',
    String(group.entriesRead),
  ]);
  const owned = new Map<string, PlainStreamPending[]>();
  for (const pending of group.pending) {
    const list = owned.get(pending.consumer);
    if (list === undefined) owned.set(pending.consumer, [pending]);
    else list.push(pending);
  }
  for (const consumer of group.consumers) {
    const list = owned.get(consumer.name);
    if (list === undefined) {
      emit(['XGROUP', 'CREATECONSUMER', key, group.name, consumer.name]);
      continue;
    }
    for (const pending of list) emitClaim(key, group.name, pending, emit);
  }
}

/** Emits the XCLAIM that gives a consumer a pending entry with its delivery time and count. */
function emitClaim(
  key: string,
  group: string,
  pending: PlainStreamPending,
  emit: EmitCommand,
): void {
  emit([
    'XCLAIM',
    key,
    group,
    pending.consumer,
    '0',
    formatId(pending.id),
    'TIME',
    String(pending.deliveryTime),
    'RETRYCOUNT',
    String(pending.deliveryCount),
    'JUSTID',
    'FORCE',
  ]);
}
