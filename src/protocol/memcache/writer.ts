/**
 * The reply bytes of one Memcached connection, gathered as byte strings
 * (latin1, one character per byte) so that the connection sends all replies
 * of a read batch with one socket write. Node.js (src/stream_base.cc) copies
 * a latin1 string of up to 16 KiB to a stack buffer and writes it at once,
 * so a reply needs no Buffer of its own. Joining strings in V8 copies
 * nothing until that write.
 */
import type { StringValue } from '../../store/types';

/**
 * The pending text is closed off as a part at this length, so that a large
 * multi-get stays far below V8's maximum string length (2^29 - 24 characters
 * in 64-bit builds).
 */
const PART_SIZE = 1024 * 1024;

export class MemcacheWriter {
  /** Text written after the last closed part. */
  #text = '';
  /** Closed parts, each about PART_SIZE characters; usually empty. */
  #parts: string[] = [];
  #partsLength = 0;

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.#partsLength + this.#text.length;
  }

  /** Writes a line and its CRLF. */
  line(text: string): void {
    this.text(text + '\r\n');
  }

  /** Writes text without a line end. */
  text(text: string): void {
    this.#text += text;
    if (this.#text.length >= PART_SIZE) this.#closePart();
  }

  crlf(): void {
    this.#text += '\r\n';
  }

  /**
   * Writes a stored value's bytes, without a line end. A Buffer value is
   * copied, because a Redis command may change it in place while the reply
   * is still queued on the socket.
   */
  value(value: StringValue): void {
    this.text(typeof value === 'string' ? value : value.latin1Slice(0, value.length));
  }

  /** Drops everything written after `mark` (an earlier `length`). */
  truncate(mark: number): void {
    while (mark < this.#partsLength) {
      const last = this.#parts.pop() as string;
      this.#partsLength -= last.length;
      this.#text = last;
    }
    this.#text = this.#text.slice(0, mark - this.#partsLength);
  }

  /** Returns the pending text in parts (one, unless it is large) and empties the writer. */
  take(): string[] {
    const parts = this.#parts;
    if (this.#text.length > 0) parts.push(this.#text);
    this.#text = '';
    this.#parts = [];
    this.#partsLength = 0;
    return parts;
  }

  #closePart(): void {
    this.#parts.push(this.#text);
    this.#partsLength += this.#text.length;
    this.#text = '';
  }
}
