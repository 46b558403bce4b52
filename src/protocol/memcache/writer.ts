/**
 * The reply bytes of one Memcached connection, encoded into one growing
 * buffer so that the connection sends all replies of a read batch with one
 * socket write. Strings are byte strings (latin1, one character per byte).
 */
import type { StringValue } from '../../store/types';
import { copyBytes, putBytes, putDecimal, putText, viewOf } from '../byte-output';

const INITIAL_SIZE = 16 * 1024;
/** A buffer grown past this size is dropped after its bytes are taken. */
const KEPT_SIZE = 1024 * 1024;
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;
/** `VALUE `, the start of a retrieval entry. */
const VALUE_PREFIX = Buffer.from('VALUE ', 'latin1');
/** Room for the numbers and separators of a `VALUE` line: flags, length and CAS. */
const ENTRY_NUMBERS_ROOM = 64;

export class MemcacheWriter {
  #buffer = Buffer.allocUnsafe(INITIAL_SIZE);
  #view = viewOf(this.#buffer);
  #length = 0;

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.#length;
  }

  /** Writes a line and its CRLF. */
  line(text: string): void {
    this.#reserve(text.length + 2);
    this.#length = putText(this.#buffer, this.#length, text);
    this.#crlf();
  }

  /** Writes text without a line end. */
  text(text: string): void {
    this.#reserve(text.length);
    this.#length = putText(this.#buffer, this.#length, text);
  }

  crlf(): void {
    this.#reserve(2);
    this.#crlf();
  }

  /** Writes a stored value's bytes, without a line end. */
  value(value: StringValue): void {
    this.#reserve(value.length);
    this.#put(value);
  }

  /**
   * Writes one retrieval entry: `VALUE <key> <flags> <bytes>[ <cas>]`, CRLF,
   * the value and CRLF. A CAS value below 0 is left out.
   */
  entry(key: string, flags: number, value: StringValue, cas: number): void {
    this.#reserve(VALUE_PREFIX.length + key.length + ENTRY_NUMBERS_ROOM + value.length);
    const buffer = this.#buffer;
    let at = putBytes(buffer, this.#length, VALUE_PREFIX);
    at = putText(buffer, at, key);
    buffer[at++] = SPACE;
    at = putDecimal(buffer, at, flags);
    buffer[at++] = SPACE;
    at = putDecimal(buffer, at, value.length);
    if (cas >= 0) {
      buffer[at++] = SPACE;
      at = putDecimal(buffer, at, cas);
    }
    buffer[at++] = CR;
    buffer[at++] = LF;
    this.#length = at;
    this.#put(value);
    this.#crlf();
  }

  /** Appends `length` bytes read through `sourceView` from `start`. */
  copy(sourceView: DataView, start: number, length: number): void {
    this.#reserve(length);
    copyBytes(sourceView, start, this.#buffer, this.#view, this.#length, length);
    this.#length += length;
  }

  /** Copies what was written after `mark` to `target` (seen through `targetView`) at `at`. */
  copyOut(mark: number, target: Buffer, targetView: DataView, at: number): void {
    copyBytes(this.#view, mark, target, targetView, at, this.#length - mark);
  }

  /** Drops everything written after `mark` (an earlier `length`). */
  truncate(mark: number): void {
    this.#length = mark;
  }

  /**
   * Returns the pending bytes and empties the writer. The bytes are a view of
   * the writer's buffer: they stay valid until the next write, unless the
   * caller calls `handOff` to keep them longer.
   */
  take(): Buffer {
    const bytes = this.#buffer.subarray(0, this.#length);
    this.#length = 0;
    if (this.#buffer.length > KEPT_SIZE) this.handOff();
    return bytes;
  }

  /** Gives the buffer of the last `take` to the caller; later writes go to a new one. */
  handOff(): void {
    this.#buffer = Buffer.allocUnsafe(INITIAL_SIZE);
    this.#view = viewOf(this.#buffer);
  }

  #put(value: StringValue): void {
    const buffer = this.#buffer;
    const at = this.#length;
    this.#length =
      typeof value === 'string' ? putText(buffer, at, value) : putBytes(buffer, at, value);
  }

  #crlf(): void {
    const buffer = this.#buffer;
    buffer[this.#length++] = CR;
    buffer[this.#length++] = LF;
  }

  #reserve(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
    this.#view = viewOf(grown);
  }
}
