/**
 * LZF compression, the format RDB files use for long strings. A stream is a
 * sequence of items, each led by a control byte:
 * - below 32: a literal run of (control + 1) bytes follows;
 * - otherwise a back reference: length (control >> 5) + 2, extended by one
 *   more byte when the 3-bit length is 7, and a distance of
 *   ((control & 31) << 8) + next byte + 1 back from the output position.
 */

const MAX_LITERAL = 32;
const MAX_DISTANCE = 8192;
const MAX_MATCH = 264;
const HASH_BITS = 14;

/** Decompresses `input` into exactly `outputLength` bytes, or returns null if it is corrupt. */
export function lzfDecompress(input: Uint8Array, outputLength: number): Buffer | null {
  const output = Buffer.allocUnsafe(outputLength);
  let ip = 0;
  let op = 0;
  while (ip < input.length) {
    const control = input[ip++];
    if (control < MAX_LITERAL) {
      const length = control + 1;
      if (op + length > outputLength || ip + length > input.length) return null;
      output.set(input.subarray(ip, ip + length), op);
      ip += length;
      op += length;
      continue;
    }
    let length = control >> 5;
    if (length === 7) {
      if (ip >= input.length) return null;
      length += input[ip++];
    }
    length += 2;
    if (ip >= input.length) return null;
    const ref = op - ((control & 0x1f) << 8) - input[ip++] - 1;
    if (ref < 0 || op + length > outputLength) return null;
    for (let i = 0; i < length; i++) output[op++] = output[ref + i];
  }
  return op === outputLength ? output : null;
}

/**
 * Last input position seen per 3-byte hash, shared by every call so that a
 * save does not allocate and clear a table per string. Each call stores
 * positions offset by its own base, above every earlier call's, so entries
 * below the base are from earlier inputs and count as empty.
 */
const positions = new Int32Array(1 << HASH_BITS);
let nextBase = 1;

/** Returns the base for a call compressing `length` bytes. */
function claimPositions(length: number): number {
  if (nextBase + length >= 0x7fffffff) {
    positions.fill(0);
    nextBase = 1;
  }
  const base = nextBase;
  nextBase += length + 1;
  return base;
}

/**
 * Compresses `input`; returns null when the result would not be smaller,
 * in which case callers store the bytes as they are.
 */
export function lzfCompress(input: Uint8Array): Buffer | null {
  if (input.length < 4) return null;
  const output = Buffer.allocUnsafe(input.length + 2);
  const base = claimPositions(input.length);
  // A control byte is reserved at `controlAt` before each literal run.
  let controlAt = 0;
  let literalLength = 0;
  let op = 1;
  let ip = 0;
  while (ip < input.length) {
    const match = ip < input.length - 2 ? findMatch(input, ip, base) : null;
    if (match === null) {
      if (op >= output.length) return null;
      output[op++] = input[ip++];
      if (++literalLength === MAX_LITERAL) {
        output[controlAt] = MAX_LITERAL - 1;
        controlAt = op++;
        literalLength = 0;
      }
      continue;
    }
    if (op + 4 >= output.length) return null;
    if (literalLength > 0) output[controlAt] = literalLength - 1;
    else op--;
    op = writeReference(output, op, match.length, match.distance);
    ip += match.length;
    controlAt = op++;
    literalLength = 0;
  }
  if (literalLength > 0) output[controlAt] = literalLength - 1;
  else op--;
  return op < input.length ? output.subarray(0, op) : null;
}

/** Looks for an earlier copy of the 3 bytes at `ip`, and extends it as far as it goes. */
function findMatch(
  input: Uint8Array,
  ip: number,
  base: number,
): { length: number; distance: number } | null {
  const hash = Math.imul((input[ip] << 16) | (input[ip + 1] << 8) | input[ip + 2], 2654435761);
  const slot = hash >>> (32 - HASH_BITS);
  const stored = positions[slot];
  positions[slot] = base + ip;
  if (stored < base) return null;
  const ref = stored - base;
  const distance = ip - ref - 1;
  if (distance >= MAX_DISTANCE) return null;
  const maxLength = Math.min(MAX_MATCH, input.length - ip);
  let length = 0;
  while (length < maxLength && input[ref + length] === input[ip + length]) length++;
  return length >= 3 ? { length, distance } : null;
}

function writeReference(output: Buffer, op: number, length: number, distance: number): number {
  const encoded = length - 2;
  if (encoded < 7) {
    output[op++] = (encoded << 5) | (distance >> 8);
  } else {
    output[op++] = (7 << 5) | (distance >> 8);
    output[op++] = encoded - 7;
  }
  output[op++] = distance & 0xff;
  return op;
}
