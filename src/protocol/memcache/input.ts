/**
 * Received bytes waiting to be parsed, kept as the chunks the socket
 * delivered. Reads inside the first chunk return views without copying. A
 * read that spans chunks copies exactly the bytes it returns, so no buffer
 * is ever sized from a length the client merely announced.
 */

const LF = 0x0a;

export class InputQueue {
  #chunks: Buffer[] = [];
  /** Read position inside the first chunk. */
  #offset = 0;
  /** Bytes already searched for a line feed, counted from the read position. */
  #scanned = 0;
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Returns the position of the next line feed from the read position, or -1. */
  indexOfLineFeed(): number {
    let base = 0;
    for (let i = 0; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i];
      const start = i === 0 ? this.#offset : 0;
      const size = chunk.length - start;
      if (base + size > this.#scanned) {
        const from = start + Math.max(0, this.#scanned - base);
        const found = chunk.indexOf(LF, from);
        if (found >= 0) return base + found - start;
      }
      base += size;
    }
    this.#scanned = base;
    return -1;
  }

  /** Returns the byte at `index` of the unread input, or -1 past its end. */
  peek(index: number): number {
    let position = index;
    for (let i = 0; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i];
      const start = i === 0 ? this.#offset : 0;
      if (position < chunk.length - start) return chunk[start + position];
      position -= chunk.length - start;
    }
    return -1;
  }

  /**
   * Returns the chunk that contains the next `count` bytes, from `offset` on.
   * When those bytes span several chunks, the chunks they touch are first
   * merged into one. The caller checks `length` first; nothing is read.
   */
  front(count: number): Buffer {
    const chunks = this.#chunks;
    const first = chunks[0];
    let size = first.length - this.#offset;
    if (size >= count) return first;
    let spanned = 1;
    while (size < count) size += chunks[spanned++].length;
    const merged = Buffer.allocUnsafe(size);
    let at = first.copy(merged, 0, this.#offset);
    for (let i = 1; i < spanned; i++) at += chunks[i].copy(merged, at);
    chunks.splice(0, spanned, merged);
    this.#offset = 0;
    return merged;
  }

  /** The read position inside the chunk that `front` returns. */
  get offset(): number {
    return this.#offset;
  }

  /** Removes and returns the next `count` bytes; the caller checks `length` first. */
  read(count: number): Buffer {
    const first = this.#chunks[0];
    if (first !== undefined && first.length - this.#offset >= count) {
      const view = first.subarray(this.#offset, this.#offset + count);
      this.#advance(count);
      return view;
    }
    const out = Buffer.allocUnsafe(count);
    let copied = 0;
    while (copied < count) {
      const chunk = this.#chunks[0];
      const take = Math.min(count - copied, chunk.length - this.#offset);
      chunk.copy(out, copied, this.#offset, this.#offset + take);
      copied += take;
      this.#advance(take);
    }
    return out;
  }

  /** Discards up to `count` bytes; returns how many were discarded. */
  skip(count: number): number {
    const first = this.#chunks[0];
    if (first !== undefined && first.length - this.#offset > count) {
      this.#advance(count);
      return count;
    }
    let skipped = 0;
    while (skipped < count && this.#chunks.length > 0) {
      const chunk = this.#chunks[0];
      const take = Math.min(count - skipped, chunk.length - this.#offset);
      skipped += take;
      this.#advance(take);
    }
    return skipped;
  }

  clear(): void {
    this.#chunks = [];
    this.#offset = 0;
    this.#scanned = 0;
    this.length = 0;
  }

  /** Moves the read position forward within the first chunk, dropping it once consumed. */
  #advance(count: number): void {
    this.#offset += count;
    this.length -= count;
    this.#scanned = Math.max(0, this.#scanned - count);
    if (this.#offset === this.#chunks[0].length) {
      this.#chunks.shift();
      this.#offset = 0;
    }
  }
}
