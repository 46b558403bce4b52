/**
 * The x87 80-bit extended double, which is C's `long double` on x86-64
 * Linux and what Redis computes INCRBYFLOAT with: a 64-bit significand and
 * exponents down to 2^-16445 (subnormal) and up to just below 2^16384.
 *
 * A value is an exact BigInt significand times a power of two, so parsing
 * (glibc's strtold), addition and printing (glibc's "%.17Lf") round exactly
 * as they do on that hardware: to nearest, ties to even. JavaScript's
 * doubles would print 10.5 + 0.1 as 10.59999999999999964 where Redis prints
 * 10.6.
 */

export interface LongDouble {
  readonly negative: boolean;
  /** Absolute value is significand * 2^exponent; zero has significand 0n. */
  readonly significand: bigint;
  readonly exponent: number;
  readonly infinite: boolean;
}

const PRECISION = 64;
/** Exponent of the lowest bit of the smallest subnormal, 2^-16445. */
const MIN_EXPONENT = -16445;
/** Values of 2^16384 or more overflow to infinity. */
const OVERFLOW_BITS = 16384;
/** Decimal exponents past these certainly overflow or underflow. */
const MAX_DECIMAL_EXPONENT = 4933;
const MIN_DECIMAL_EXPONENT = -4952;
/** Redis refuses to read a long double from this many characters or more. */
export const MAX_LONG_DOUBLE_TEXT = 5 * 1024;
/** Digits after the point that "%.17Lf" prints. */
const FRACTION_DIGITS = 17;
const FRACTION_SCALE = 10n ** BigInt(FRACTION_DIGITS);

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEXADECIMAL = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)(inf|infinity)$/i;

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

function zero(negative: boolean): LongDouble {
  return { negative, significand: 0n, exponent: 0, infinite: false };
}

function infinity(negative: boolean): LongDouble {
  return { negative, significand: 0n, exponent: 0, infinite: true };
}

/**
 * Rounds `magnitude * 2^exponent` to a long double. `sticky` means the true
 * value is slightly above that, because nonzero bits were cut below it.
 * Callers pass a magnitude of at least 66 bits whenever they set it.
 */
function round(
  negative: boolean,
  magnitude: bigint,
  exponent: number,
  sticky: boolean,
): LongDouble {
  if (magnitude === 0n) return zero(negative);
  const shift = Math.max(bitLength(magnitude) - PRECISION, MIN_EXPONENT - exponent);
  let significand = magnitude;
  let scale = exponent;
  if (shift > 0) {
    const bits = BigInt(shift);
    significand = magnitude >> bits;
    const remainder = magnitude - (significand << bits);
    const half = 1n << (bits - 1n);
    const odd = (significand & 1n) === 1n;
    if (remainder > half || (remainder === half && (sticky || odd))) significand += 1n;
    scale += shift;
  }
  if (significand === 0n) return zero(negative);
  if (bitLength(significand) + scale > OVERFLOW_BITS) return infinity(negative);
  return { negative, significand, exponent: scale, infinite: false };
}

/** Rounds `numerator / denominator * 2^exponent` (both positive) to a long double. */
function roundQuotient(
  negative: boolean,
  numerator: bigint,
  denominator: bigint,
  exponent: number,
): LongDouble {
  const extra = Math.max(0, bitLength(denominator) - bitLength(numerator) + PRECISION + 2);
  const scaled = numerator << BigInt(extra);
  const quotient = scaled / denominator;
  const sticky = quotient * denominator !== scaled;
  return round(negative, quotient, exponent - extra, sticky);
}

/**
 * Parses text as glibc's strtold does for Redis (string2ld): decimal or
 * hexadecimal floats and inf/infinity, with nothing before or after. Returns
 * null for what Redis rejects: NaN, a value that overflows, a nonzero value
 * that underflows to zero, and texts of 5120 characters or more.
 */
export function parseLongDouble(text: string): LongDouble | null {
  if (text.length === 0 || text.length >= MAX_LONG_DOUBLE_TEXT) return null;
  const infinite = INFINITY.exec(text);
  if (infinite !== null) return infinity(infinite[1] === '-');
  const hex = HEXADECIMAL.exec(text);
  if (hex !== null) return parseHexadecimal(hex);
  const decimal = DECIMAL.exec(text);
  if (decimal !== null) return parseDecimal(decimal);
  return null;
}

/** Parses an exponent, clamped to a range that already overflows or underflows any value. */
function parseExponent(text: string | undefined): number {
  if (text === undefined) return 0;
  const value = Number(text);
  return Math.max(-1e9, Math.min(1e9, value));
}

function parseDecimal(match: RegExpExecArray): LongDouble | null {
  const [, sign, whole, fraction = ''] = match;
  if (whole.length === 0 && fraction.length === 0) return null;
  const negative = sign === '-';
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits.length === 0) return zero(negative);
  const exponent = parseExponent(match[4]) - fraction.length;
  const magnitude = digits.length + exponent;
  if (magnitude > MAX_DECIMAL_EXPONENT + 1) return null;
  if (magnitude < MIN_DECIMAL_EXPONENT) return null;
  const value = BigInt(digits);
  const result =
    exponent >= 0
      ? round(negative, value * 10n ** BigInt(exponent), 0, false)
      : roundQuotient(negative, value, 10n ** BigInt(-exponent), 0);
  return isRangeError(result) ? null : result;
}

function parseHexadecimal(match: RegExpExecArray): LongDouble | null {
  const [, sign, whole, fraction = ''] = match;
  if (whole.length === 0 && fraction.length === 0) return null;
  const negative = sign === '-';
  const value = BigInt(`0x${whole}${fraction}`);
  if (value === 0n) return zero(negative);
  const exponent = parseExponent(match[4]) - 4 * fraction.length;
  const top = bitLength(value) + exponent;
  if (top > OVERFLOW_BITS + 1 || top < MIN_EXPONENT - 2) return null;
  const result = round(negative, value, exponent, false);
  return isRangeError(result) ? null : result;
}

/** Tells whether a parsed value overflowed or underflowed (ERANGE, which Redis rejects). */
function isRangeError(value: LongDouble): boolean {
  return value.infinite || value.significand === 0n;
}

function signedScaled(value: LongDouble, exponent: number): bigint {
  const scaled = value.significand << BigInt(value.exponent - exponent);
  return value.negative ? -scaled : scaled;
}

/** Adds two long doubles with one rounding, as the FPU does. Returns null for NaN (inf - inf). */
export function addLongDouble(left: LongDouble, right: LongDouble): LongDouble | null {
  if (left.infinite || right.infinite) {
    if (left.infinite && right.infinite && left.negative !== right.negative) return null;
    return left.infinite ? left : right;
  }
  if (left.significand === 0n) return right.significand === 0n ? zero(false) : right;
  if (right.significand === 0n) return left;
  const exponent = Math.min(left.exponent, right.exponent);
  const sum = signedScaled(left, exponent) + signedScaled(right, exponent);
  return round(sum < 0n, sum < 0n ? -sum : sum, exponent, false);
}

/**
 * Formats a finite value as Redis stores an INCRBYFLOAT result: "%.17Lf",
 * then trailing zeros and a trailing point removed, and "-0" written "0".
 */
export function formatLongDouble(value: LongDouble): string {
  const scaled = scaleToFraction(value);
  const digits = scaled.toString().padStart(FRACTION_DIGITS + 1, '0');
  const whole = digits.slice(0, -FRACTION_DIGITS);
  const fraction = digits.slice(-FRACTION_DIGITS).replace(/0+$/, '');
  const text = fraction.length === 0 ? whole : `${whole}.${fraction}`;
  return value.negative && text !== '0' ? `-${text}` : text;
}

/** Returns |value| * 10^17 rounded to an integer, ties to even. */
function scaleToFraction(value: LongDouble): bigint {
  if (value.exponent >= 0) return (value.significand << BigInt(value.exponent)) * FRACTION_SCALE;
  const shift = BigInt(-value.exponent);
  const numerator = value.significand * FRACTION_SCALE;
  const quotient = numerator >> shift;
  const remainder = numerator - (quotient << shift);
  const half = 1n << (shift - 1n);
  const odd = (quotient & 1n) === 1n;
  return remainder > half || (remainder === half && odd) ? quotient + 1n : quotient;
}
