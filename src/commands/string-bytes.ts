/**
 * Byte access and in-place editing of string values, shared by the string
 * and bitmap commands.
 *
 * APPEND, SETRANGE, SETBIT and BITFIELD store their result as a Buffer view
 * over a backing store that this module allocated with spare room. The next
 * edit of the same key writes into that room instead of copying the whole
 * value. Only backing stores allocated here are ever edited in place:
 * any other Buffer (one decoded from a snapshot, one built by another
 * command) is copied on its first edit, so no Buffer that other code still
 * holds changes under it.
 */
import { constants } from 'node:buffer';
import type { Server } from '../engine/server';
import { CommandError, ERR } from '../engine/errors';
import type { StringValue } from '../store/types';

/** Backing stores allocated by `allocate`, which this module may edit in place. */
const ownedStores = new WeakSet<ArrayBufferLike>();

/** Spare room doubles the length up to 1 MiB, then adds 1 MiB, as Redis's sds strings do. */
const MAX_PREALLOCATION = 1024 * 1024;

/**
 * Returns the longest string value a command may build: `proto-max-bulk-len`,
 * or the largest Buffer Node.js can allocate when that is smaller.
 */
export function maxStringLength(server: Server): number {
  return Math.min(server.config.number('proto-max-bulk-len'), constants.MAX_LENGTH);
}

/**
 * Raises Redis's "string exceeds maximum allowed size" error when a value of
 * `size` bytes grown by `added` bytes would pass the limit.
 */
export function checkStringLength(server: Server, size: number, added: number): void {
  if (size + added > maxStringLength(server)) throw new CommandError(ERR.stringTooLong);
}

/** Returns the byte at `index`, or 0 past the end (bitmaps read as zero-padded). */
export function byteAt(value: StringValue, index: number): number {
  if (index >= value.length) return 0;
  return typeof value === 'string' ? value.charCodeAt(index) : value[index];
}

/** Returns the bytes of a value as a Buffer, without copying one that already is. */
export function asBuffer(value: StringValue): Buffer {
  return typeof value === 'string' ? Buffer.from(value, 'latin1') : value;
}

/** Returns bytes `start` to `end` (exclusive) of a value, as a string or a Buffer view. */
export function sliceBytes(value: StringValue, start: number, end: number): StringValue {
  return typeof value === 'string' ? value.slice(start, end) : value.subarray(start, end);
}

function allocate(length: number, server: Server): Buffer {
  const limit = Math.max(length, maxStringLength(server));
  const wanted = length < MAX_PREALLOCATION ? length * 2 : length + MAX_PREALLOCATION;
  const store = new ArrayBuffer(Math.max(Math.min(wanted, limit), 1));
  ownedStores.add(store);
  return Buffer.from(store, 0, length);
}

function isEditable(value: Buffer, length: number): boolean {
  return (
    value.byteOffset === 0 && ownedStores.has(value.buffer) && value.buffer.byteLength >= length
  );
}

/**
 * Returns an editable Buffer with the bytes of `value` (none when undefined),
 * zero-padded to at least `length` bytes. It reuses the current backing store
 * when this module owns it and it has room, and otherwise copies into a new
 * one with spare room. The caller stores the result under the key, because
 * the returned view may be a new object even when the bytes did not move.
 */
export function editableBytes(
  value: StringValue | undefined,
  length: number,
  server: Server,
): Buffer {
  const current = value?.length ?? 0;
  const size = Math.max(current, length);
  if (value instanceof Buffer && isEditable(value, size)) {
    if (size === current) return value;
    const grown = Buffer.from(value.buffer, 0, size);
    grown.fill(0, current, size);
    return grown;
  }
  const bytes = allocate(size, server);
  if (typeof value === 'string') bytes.latin1Write(value, 0);
  else if (value !== undefined) value.copy(bytes, 0);
  return bytes;
}

/** Writes a byte string into `bytes` at `offset`; the caller made room for it. */
export function writeBytes(bytes: Buffer, offset: number, text: string): void {
  bytes.latin1Write(text, offset);
}
