/**
 * A map from stream IDs to values, kept in ID order: the pending entries
 * lists of consumer groups. Entries sit in sorted chunks of at most
 * CHUNK_CAPACITY, so lookups take O(log n) steps, and inserts and removals
 * move at most one chunk's worth of slots. Deliveries mostly append at the
 * end and acknowledgements mostly remove near the front.
 */
import { compareIds, type StreamId } from './stream-id';

const CHUNK_CAPACITY = 128;

interface Chunk<V> {
  ids: StreamId[];
  values: V[];
}

/** Returns the index of the first ID in `ids` that is >= `id` (ids.length if none). */
export function lowerBound(ids: readonly StreamId[], id: StreamId): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareIds(ids[middle], id) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

export class IdMap<V> {
  #chunks: Chunk<V>[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  get(id: StreamId): V | undefined {
    const chunk = this.#chunks[this.#chunkIndex(id)];
    if (chunk === undefined) return undefined;
    const index = lowerBound(chunk.ids, id);
    if (index === chunk.ids.length || compareIds(chunk.ids[index], id) !== 0) return undefined;
    return chunk.values[index];
  }

  has(id: StreamId): boolean {
    return this.get(id) !== undefined;
  }

  /** Stores a value under `id`, replacing any; returns true when the ID is new. */
  set(id: StreamId, value: V): boolean {
    if (this.#chunks.length === 0) {
      this.#chunks.push({ ids: [id], values: [value] });
      this.#size++;
      return true;
    }
    const chunkIndex = this.#chunkIndex(id);
    const chunk = this.#chunks[Math.max(0, chunkIndex)];
    const index = lowerBound(chunk.ids, id);
    if (index < chunk.ids.length && compareIds(chunk.ids[index], id) === 0) {
      chunk.values[index] = value;
      return false;
    }
    chunk.ids.splice(index, 0, id);
    chunk.values.splice(index, 0, value);
    this.#size++;
    if (chunk.ids.length > CHUNK_CAPACITY) this.#split(Math.max(0, chunkIndex));
    return true;
  }

  /** Removes `id` and returns its value, or undefined when absent. */
  delete(id: StreamId): V | undefined {
    const chunkIndex = this.#chunkIndex(id);
    const chunk = this.#chunks[chunkIndex];
    if (chunk === undefined) return undefined;
    const index = lowerBound(chunk.ids, id);
    if (index === chunk.ids.length || compareIds(chunk.ids[index], id) !== 0) return undefined;
    const [value] = chunk.values.splice(index, 1);
    chunk.ids.splice(index, 1);
    this.#size--;
    if (chunk.ids.length === 0) this.#chunks.splice(chunkIndex, 1);
    return value;
  }

  /**
   * Returns up to `count` (0: all) entries with IDs in [start, end] in
   * ascending order.
   */
  range(start: StreamId, end: StreamId, count = 0): [StreamId, V][] {
    const found: [StreamId, V][] = [];
    let chunkIndex = Math.max(0, this.#chunkIndex(start));
    let index = -1;
    for (; chunkIndex < this.#chunks.length; chunkIndex++) {
      const chunk = this.#chunks[chunkIndex];
      index = index < 0 ? lowerBound(chunk.ids, start) : 0;
      for (; index < chunk.ids.length; index++) {
        if (compareIds(chunk.ids[index], end) > 0) return found;
        found.push([chunk.ids[index], chunk.values[index]]);
        if (found.length === count) return found;
      }
    }
    return found;
  }

  /** Iterates over every entry in ascending ID order. Do not change the map meanwhile. */
  *entries(): IterableIterator<[StreamId, V]> {
    for (const chunk of this.#chunks) {
      for (let i = 0; i < chunk.ids.length; i++) yield [chunk.ids[i], chunk.values[i]];
    }
  }

  first(): [StreamId, V] | undefined {
    const chunk = this.#chunks[0];
    return chunk === undefined ? undefined : [chunk.ids[0], chunk.values[0]];
  }

  last(): [StreamId, V] | undefined {
    const chunk = this.#chunks[this.#chunks.length - 1];
    if (chunk === undefined) return undefined;
    const index = chunk.ids.length - 1;
    return [chunk.ids[index], chunk.values[index]];
  }

  /** Returns the index of the last chunk whose first ID is <= `id`, -1 when none is. */
  #chunkIndex(id: StreamId): number {
    const chunks = this.#chunks;
    let low = 0;
    let high = chunks.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareIds(chunks[middle].ids[0], id) <= 0) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }

  #split(chunkIndex: number): void {
    const chunk = this.#chunks[chunkIndex];
    const half = chunk.ids.length >>> 1;
    const right = { ids: chunk.ids.splice(half), values: chunk.values.splice(half) };
    this.#chunks.splice(chunkIndex + 1, 0, right);
  }
}
