/**
 * Numbers on the Memcached port, read the way memcached 1.6 reads them with
 * C's strtol and strtoull: optional leading white space, an optional `+`,
 * decimal digits, then the end of the token or a white space character.
 * Unlike memcached, a `-` sign is always rejected (memcached wraps some
 * negative numbers modulo 2^64 and accepts them).
 */

const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MASK = UINT64_MAX;
/** Digits that always fit a double exactly, so the BigInt path can be skipped. */
const SAFE_DIGITS = 15;
const MAX_UINT64_DIGITS = 20;

/** memcached's REALTIME_MAXDELTA: expiry times above 30 days are absolute Unix times. */
export const MAX_RELATIVE_EXPTIME = 60 * 60 * 24 * 30;

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

interface Scanned {
  negative: boolean;
  /** Significant digits, without leading zeros ('' for zero). */
  digits: string;
}

/**
 * Scans a decimal number as strtoull does. Returns null without digits, or
 * when anything but white space or NUL follows them.
 */
function scanDecimal(text: string): Scanned | null {
  const length = text.length;
  let i = 0;
  while (i < length && isSpace(text.charCodeAt(i))) i++;
  let negative = false;
  const sign = text.charCodeAt(i);
  if (sign === 0x2b || sign === 0x2d) {
    negative = sign === 0x2d;
    i++;
  }
  const start = i;
  while (i < length && text.charCodeAt(i) === 0x30) i++;
  const significant = i;
  while (i < length && isDigit(text.charCodeAt(i))) i++;
  if (i === start) return null;
  if (i < length && !isSpace(text.charCodeAt(i)) && text.charCodeAt(i) !== 0) return null;
  return { negative, digits: text.slice(significant, i) };
}

/**
 * Returns the value of a token of 1 to 9 plain decimal digits, the usual
 * form of flags, exptime and sizes, or -1 for any other token. It needs no
 * scan object, and its results are the same as the full parsers' below.
 */
function shortDecimal(text: string): number {
  const length = text.length;
  if (length === 0 || length > 9) return -1;
  let value = 0;
  for (let i = 0; i < length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Parses an unsigned 64-bit number (a delta, a CAS value); null when invalid or negative. */
export function parseUint64(text: string): bigint | null {
  const scanned = scanDecimal(text);
  if (scanned === null || scanned.negative) return null;
  if (scanned.digits.length > MAX_UINT64_DIGITS) return null;
  const value = BigInt(scanned.digits === '' ? '0' : scanned.digits);
  return value > UINT64_MAX ? null : value;
}

/**
 * Parses client flags as memcached does: an unsigned 64-bit number cut to
 * its low 32 bits (4294967296 becomes 0). Null when invalid or negative.
 */
export function parseFlags(text: string): number | null {
  const short = shortDecimal(text);
  if (short >= 0) return short;
  const scanned = scanDecimal(text);
  if (scanned === null || scanned.negative) return null;
  if (scanned.digits.length <= SAFE_DIGITS) return Number(scanned.digits) % 2 ** 32;
  const value = parseUint64(text);
  return value === null ? null : Number(value & 0xffffffffn);
}

/**
 * Parses a signed number as memcached's safe_strtol does into an int32: any
 * signed 64-bit value is accepted, then cut to 32 bits (so 4294967297 is 1).
 * Returns null when invalid or beyond 64 bits.
 */
export function parseInt32(text: string): number | null {
  const short = shortDecimal(text);
  if (short >= 0) return short;
  const scanned = scanDecimal(text);
  if (scanned === null) return null;
  const sign = scanned.negative ? -1 : 1;
  if (scanned.digits.length <= SAFE_DIGITS) return (sign * Number(scanned.digits)) | 0;
  if (scanned.digits.length > MAX_UINT64_DIGITS - 1) return null;
  const magnitude = BigInt(scanned.digits);
  if (magnitude > INT64_MAX + (scanned.negative ? 1n : 0n)) return null;
  return Number(BigInt.asIntN(32, scanned.negative ? -magnitude : magnitude));
}

/**
 * Reads a stored value as an unsigned 64-bit counter for incr, decr and ma.
 * Text after the digits is allowed once a white space character ends them
 * ("5 abc" is 5), as in memcached. Null when the value is not a number.
 */
export function parseCounter(value: string): bigint | null {
  if (value.length === 0) return null;
  return parseUint64(value);
}

/** Adds or subtracts a delta as memcached does: incr wraps at 2^64, decr stops at 0. */
export function applyDelta(value: bigint, delta: bigint, increment: boolean): bigint {
  if (increment) return (value + delta) & UINT64_MASK;
  return value > delta ? value - delta : 0n;
}

/**
 * Converts a memcached expiry time to an absolute time in Unix ms. 0 gives
 * null (never expires) and a negative value a past time (already expired).
 * Up to 30 days it counts seconds from now, and above it is a Unix time.
 */
export function expiryFromExptime(exptime: number, nowMs: number): number | null {
  if (exptime === 0) return null;
  if (exptime < 0) return 0;
  if (exptime <= MAX_RELATIVE_EXPTIME) return nowMs + exptime * 1000;
  return exptime * 1000;
}

/** Seconds left until `expireAt` (Unix ms), rounded up as memcached's per-second clock shows it. */
export function secondsLeft(expireAt: number, nowMs: number): number {
  return Math.max(0, Math.ceil((expireAt - nowMs) / 1000));
}
