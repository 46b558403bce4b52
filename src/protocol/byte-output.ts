/**
 * Helpers that write byte strings and decimal numbers into reply buffers,
 * shared by the RESP and Memcached writers. Strings are byte strings: one
 * character per byte (latin1). The caller makes sure the buffer has room.
 */

/**
 * Strings up to this length are copied byte by byte in JavaScript, because
 * entering Node.js's Buffer code (latin1Write) costs more than such a short
 * copy. Measured on Node.js 20, x86-64: a 3-byte string took about 30 ns by
 * loop and 120 ns by latin1Write, and the two were about even at 32 bytes.
 */
export const SHORT_COPY = 16;

/** Copies a byte string to `buffer` at `at`; returns the position after it. */
export function putText(buffer: Buffer, at: number, text: string): number {
  const size = text.length;
  if (size > SHORT_COPY) return at + buffer.latin1Write(text, at);
  // A Uint8Array keeps the low byte of each code, as latin1Write does.
  for (let i = 0; i < size; i++) buffer[at + i] = text.charCodeAt(i);
  return at + size;
}

/** Copies bytes to `buffer` at `at`; returns the position after them. */
export function putBytes(buffer: Buffer, at: number, bytes: Buffer): number {
  const size = bytes.length;
  if (size > SHORT_COPY) return at + bytes.copy(buffer, at);
  for (let i = 0; i < size; i++) buffer[at + i] = bytes[i];
  return at + size;
}

/** Returns a DataView of exactly the bytes of `buffer`. */
export function viewOf(buffer: Buffer): DataView {
  return new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
}

/**
 * Copies `length` bytes read through `sourceView` from `start` to `target`
 * at `at`, four at a time through DataViews of the two buffers. Unlike `Buffer.copy` it
 * creates no view objects: 55 bytes took about 23 ns against 40 ns.
 */
export function copyBytes(
  sourceView: DataView,
  start: number,
  target: Buffer,
  targetView: DataView,
  at: number,
  length: number,
): void {
  let i = 0;
  for (; i + 4 <= length; i += 4) targetView.setInt32(at + i, sourceView.getInt32(start + i));
  for (; i < length; i++) target[at + i] = sourceView.getUint8(start + i);
}

/** Counts the decimal digits of a non-negative integer of 10 or more. */
function decimalDigits(value: number): number {
  if (value < 100) return 2;
  if (value < 1000) return 3;
  return String(value).length;
}

/**
 * Writes a non-negative safe integer in decimal without building a string
 * (at most 16 bytes); returns the position after it.
 */
export function putDecimal(buffer: Buffer, at: number, value: number): number {
  if (value < 10) {
    buffer[at] = 0x30 + value;
    return at + 1;
  }
  const digits = decimalDigits(value);
  let position = at + digits - 1;
  for (let rest = value; rest > 0; rest = Math.floor(rest / 10)) {
    buffer[position--] = 0x30 + (rest % 10);
  }
  return at + digits;
}
