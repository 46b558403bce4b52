/**
 * Random picks from a Map or Set, which offer no random access. The keys are
 * copied into an array when the first pick is asked for; the owner appends
 * the keys it adds later. A deleted key stays in the array until a pick lands
 * on it and finds it gone, and the owner rebuilds the sampler once the array
 * is more than twice as long as the collection (see `isWasteful`).
 * NOTE: a key deleted and added back before the next rebuild sits in the
 * array twice, so until then it is picked twice as often as the others.
 */
export class KeySampler {
  #keys: string[];

  constructor(keys: Iterable<string>) {
    this.#keys = Array.from(keys);
  }

  /** Records a key the collection has just gained. */
  added(key: string): void {
    this.#keys.push(key);
  }

  /** Whether the array has grown far beyond `size` live keys and should be rebuilt. */
  isWasteful(size: number): boolean {
    return this.#keys.length > 2 * size + 16;
  }

  /**
   * Returns a random key that `isLive` accepts, dropping the dead ones it
   * meets. The collection must hold at least one live key, and every live
   * key must have been given to the constructor or to `added`.
   */
  pick(isLive: (key: string) => boolean): string {
    for (;;) {
      const index = Math.floor(Math.random() * this.#keys.length);
      const key = this.#keys[index];
      if (isLive(key)) return key;
      const last = this.#keys.pop() as string;
      if (index < this.#keys.length) this.#keys[index] = last;
    }
  }
}

/** Returns `count` distinct indexes below `size` in random order (count <= size). */
export function randomDistinctIndexes(size: number, count: number): number[] {
  if (count * 3 > size) return partialShuffle(size, count);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(Math.random() * size));
  return Array.from(chosen);
}

/** Returns the first `count` entries of a Fisher-Yates shuffle of 0..size-1. */
function partialShuffle(size: number, count: number): number[] {
  const indexes = Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (size - i));
    const swap = indexes[i];
    indexes[i] = indexes[j];
    indexes[j] = swap;
  }
  indexes.length = count;
  return indexes;
}
