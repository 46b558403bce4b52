/**
 * The logical read counter of consumer groups (entries-read) and the lag
 * derived from it, as Redis 7.0 keeps them. The counter is exact while no
 * entry after the group's position was removed by XDEL. Otherwise it is
 * estimated from the stream's counters when possible, and else unknown.
 */
import type { StreamValue } from './stream';
import { UNKNOWN_ENTRIES_READ, type ConsumerGroup } from './stream-group';
import { compareIds, isZeroId, MAX_ID, type StreamId } from './stream-id';

/** Returns whether an entry XDEL removed may lie in [start, end]. */
export function hasTombstones(
  stream: StreamValue,
  start: StreamId,
  end: StreamId = MAX_ID,
): boolean {
  const deleted = stream.maxDeletedId;
  if (stream.size() === 0 || isZeroId(deleted)) return false;
  if (compareIds(stream.firstId(), deleted) > 0) return false;
  return compareIds(start, deleted) <= 0 && compareIds(deleted, end) <= 0;
}

/**
 * Returns how many entries were added up to and including `id`, or
 * UNKNOWN_ENTRIES_READ when removed entries make that unknowable.
 */
export function estimateEntriesRead(stream: StreamValue, id: StreamId): bigint {
  // Redis returns the unsigned counter as a signed 64-bit integer.
  const added = BigInt.asIntN(64, BigInt(stream.entriesAdded));
  if (added === 0n) return 0n;
  const length = BigInt(stream.size());
  const toLast = compareIds(id, stream.lastId);
  if (length === 0n && toLast <= 0) return added;
  if (toLast === 0) return added;
  if (toLast > 0) return UNKNOWN_ENTRIES_READ;
  const first = stream.firstId();
  const deleted = stream.maxDeletedId;
  if (isZeroId(deleted) || compareIds(deleted, first) < 0) {
    const toFirst = compareIds(id, first);
    if (toFirst < 0) return added - length;
    if (toFirst === 0) return added - length + 1n;
  }
  return UNKNOWN_ENTRIES_READ;
}

/**
 * Returns the group's lag (entries not yet delivered), or null when
 * unknown. Like Redis, the difference wraps as a signed 64-bit integer.
 */
export function groupLag(stream: StreamValue, group: ConsumerGroup): bigint | null {
  const added = BigInt(stream.entriesAdded);
  if (added === 0n) return 0n;
  if (group.entriesRead !== UNKNOWN_ENTRIES_READ && !hasTombstones(stream, group.lastId)) {
    return BigInt.asIntN(64, added - group.entriesRead);
  }
  const read = estimateEntriesRead(stream, group.lastId);
  return read === UNKNOWN_ENTRIES_READ ? null : BigInt.asIntN(64, added - read);
}

/** Moves the group's last delivered ID to `id` when it is newer, updating entries-read. */
export function advanceGroup(stream: StreamValue, group: ConsumerGroup, id: StreamId): boolean {
  if (compareIds(id, group.lastId) <= 0) return false;
  if (group.entriesRead !== UNKNOWN_ENTRIES_READ && !hasTombstones(stream, id)) {
    group.entriesRead++;
  } else if (stream.entriesAdded !== 0) {
    group.entriesRead = estimateEntriesRead(stream, id);
  }
  group.lastId = id;
  return true;
}
