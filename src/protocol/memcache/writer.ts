/**
 * The reply bytes of one Memcached connection, gathered in one growing
 * buffer so that the connection sends all replies of a read batch with one
 * socket write. Strings are byte strings (latin1).
 */
import type { StringValue } from '../../store/types';

const INITIAL_SIZE = 16 * 1024;
/** Batches up to this size are copied out so that the buffer is reused. */
const COPY_LIMIT = 4096;
const CR = 0x0d;
const LF = 0x0a;

export class MemcacheWriter {
  #buffer: Buffer = Buffer.allocUnsafe(INITIAL_SIZE);
  length = 0;

  /** Writes a line and its CRLF. */
  line(text: string): void {
    this.text(text);
    this.crlf();
  }

  /** Writes text without a line end. */
  text(text: string): void {
    this.#reserve(text.length);
    this.length += this.#buffer.latin1Write(text, this.length);
  }

  crlf(): void {
    this.#reserve(2);
    this.#buffer[this.length++] = CR;
    this.#buffer[this.length++] = LF;
  }

  /** Writes a stored value's bytes, without a line end. */
  value(value: StringValue): void {
    if (typeof value === 'string') {
      this.text(value);
      return;
    }
    this.#reserve(value.length);
    value.copy(this.#buffer, this.length);
    this.length += value.length;
  }

  /** Drops everything written after `mark` (an earlier `length`). */
  truncate(mark: number): void {
    this.length = mark;
  }

  /** Returns the pending bytes and empties the writer. */
  take(): Buffer {
    const size = this.length;
    this.length = 0;
    if (size <= COPY_LIMIT) return Buffer.from(this.#buffer.subarray(0, size));
    const out = this.#buffer.subarray(0, size);
    this.#buffer = Buffer.allocUnsafe(INITIAL_SIZE);
    return out;
  }

  #reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.#buffer.copy(grown, 0, 0, this.length);
    this.#buffer = grown;
  }
}
