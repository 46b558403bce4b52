/**
 * C's `long double` as Redis uses it on x86-64: the 80-bit extended format,
 * with a 64-bit significand and exponents down to 2^-16445 (subnormal) and
 * up to 2^16384 (overflow). This module emulates it exactly with BigInt:
 * parsing as glibc's strtold, addition with round-half-even, and printing as
 * Redis's human-readable "%.17Lf" with trailing zeros removed.
 * NOTE: string-long-double.ts implements the same format (INCRBYFLOAT and
 * HINCRBYFLOAT use it); the two should become one module.
 */

/** A finite value `(negative ? -1 : 1) * mantissa * 2^exponent`, mantissa below 2^64. */
export interface LongDouble {
  negative: boolean;
  mantissa: bigint;
  exponent: number;
}

/** The result of parsing: a finite value, an infinity, or null for invalid text. */
export type ParsedLongDouble = LongDouble | 'inf' | '-inf' | null;

const SIGNIFICAND_BITS = 64;
/** Exponent of the least significant bit of the smallest subnormal, 2^-16445. */
const MIN_EXPONENT = -16445;
/** Values at or above 2^16384 overflow to infinity. */
const OVERFLOW_BITS = 16384;
/** Redis rejects texts of this many bytes or more (MAX_LONG_DOUBLE_CHARS). */
const MAX_TEXT_LENGTH = 5 * 1024;
/** Decimal exponents beyond these cannot yield a finite, non-zero extended value. */
const MAX_DECIMAL_EXPONENT = 4933;
const MIN_DECIMAL_EXPONENT = -4952;
const FRACTION_DIGITS = 17;
const SCALE = 10n ** BigInt(FRACTION_DIGITS);

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INFINITY = /^([+-]?)(inf|infinity)$/i;

/**
 * Parses text as Redis's string2ld does: strtold must consume all of it,
 * with no leading space, and NaN, overflow and underflow to zero are
 * refused. Returns null when invalid.
 */
export function parseLongDouble(text: string): ParsedLongDouble {
  if (text.length === 0 || text.length >= MAX_TEXT_LENGTH) return null;
  const infinity = INFINITY.exec(text);
  if (infinity !== null) return infinity[1] === '-' ? '-inf' : 'inf';
  const hex = HEX.exec(text);
  if (hex !== null && (hex[2] !== '' || (hex[3] ?? '') !== '')) return parseHex(hex);
  const decimal = DECIMAL.exec(text);
  if (decimal !== null && (decimal[2] !== '' || (decimal[3] ?? '') !== '')) {
    return parseDecimal(decimal);
  }
  return null;
}

function parseDecimal(match: RegExpExecArray): LongDouble | null {
  const negative = match[1] === '-';
  const fraction = match[3] ?? '';
  const digits = (match[2] + fraction).replace(/^0+/, '');
  if (digits === '') return zero(negative);
  const exponent = Number(match[4] ?? '0') - fraction.length;
  const leading = exponent + digits.length - 1;
  if (leading > MAX_DECIMAL_EXPONENT || leading < MIN_DECIMAL_EXPONENT) return null;
  const integer = BigInt(digits);
  const value =
    exponent >= 0
      ? roundRatio(integer * 10n ** BigInt(exponent), 1n, negative)
      : roundRatio(integer, 10n ** BigInt(-exponent), negative);
  return checkRange(value);
}

function parseHex(match: RegExpExecArray): LongDouble | null {
  const negative = match[1] === '-';
  const fraction = match[3] ?? '';
  const integer = BigInt(`0x${match[2]}${fraction}`);
  if (integer === 0n) return zero(negative);
  const exponent = Number(match[4] ?? '0') - 4 * fraction.length;
  const bits = integer.toString(2).length;
  if (bits + exponent > OVERFLOW_BITS + 1 || bits + exponent < MIN_EXPONENT - 1) return null;
  return checkRange(roundScaled(integer, exponent, negative));
}

/** Refuses overflow to infinity and underflow to zero, as strtold reports them with ERANGE. */
function checkRange(value: LongDouble | 'overflow'): LongDouble | null {
  if (value === 'overflow' || value.mantissa === 0n) return null;
  return value;
}

function zero(negative: boolean): LongDouble {
  return { negative, mantissa: 0n, exponent: 0 };
}

/** Adds two values with one rounding, as the FPU does; 'overflow' when the sum is infinite. */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | 'overflow' {
  const exponent = Math.min(a.exponent, b.exponent);
  const left = signed(a) << BigInt(a.exponent - exponent);
  const right = signed(b) << BigInt(b.exponent - exponent);
  const sum = left + right;
  if (sum === 0n) return zero(a.negative && b.negative);
  return roundScaled(sum < 0n ? -sum : sum, exponent, sum < 0n);
}

function signed(value: LongDouble): bigint {
  return value.negative ? -value.mantissa : value.mantissa;
}

/** Rounds `magnitude * 2^exponent` to the extended format. */
function roundScaled(
  magnitude: bigint,
  exponent: number,
  negative: boolean,
): LongDouble | 'overflow' {
  if (exponent >= 0) return roundRatio(magnitude << BigInt(exponent), 1n, negative);
  return roundRatio(magnitude, 1n << BigInt(-exponent), negative);
}

/**
 * Rounds the exact ratio `numerator / denominator` (both positive) to a
 * 64-bit significand, half to even, with subnormals below 2^-16382.
 */
function roundRatio(
  numerator: bigint,
  denominator: bigint,
  negative: boolean,
): LongDouble | 'overflow' {
  if (numerator === 0n) return zero(negative);
  const magnitudeBits = bitLength(numerator) - bitLength(denominator);
  const start = Math.max(magnitudeBits - SIGNIFICAND_BITS - 2, MIN_EXPONENT);
  const scaledNumerator = start < 0 ? numerator << BigInt(-start) : numerator;
  const scaledDenominator = start > 0 ? denominator << BigInt(start) : denominator;
  const quotient = scaledNumerator / scaledDenominator;
  const remainder = scaledNumerator % scaledDenominator;
  const shift = Math.max(0, bitLength(quotient) - SIGNIFICAND_BITS);
  let mantissa = quotient >> BigInt(shift);
  const dropped = quotient - (mantissa << BigInt(shift));
  // Compare the discarded part (dropped + remainder / denominator) / 2^shift with one half.
  const twiceDiscarded = 2n * (dropped * scaledDenominator + remainder);
  const unit = scaledDenominator << BigInt(shift);
  if (twiceDiscarded > unit || (twiceDiscarded === unit && (mantissa & 1n) === 1n)) mantissa++;
  let exponent = start + shift;
  if (bitLength(mantissa) > SIGNIFICAND_BITS) {
    mantissa >>= 1n;
    exponent++;
  }
  if (exponent + bitLength(mantissa) > OVERFLOW_BITS) return 'overflow';
  return { negative, mantissa, exponent };
}

function bitLength(value: bigint): number {
  return value === 0n ? 0 : value.toString(2).length;
}

/**
 * Formats as Redis's ld2string in human mode: "%.17Lf" (17 decimals, round
 * half to even), then trailing zeros and a trailing dot removed, and "-0"
 * turned into "0".
 */
export function formatLongDouble(value: LongDouble): string {
  const digits = scaledDigits(value).toString().padStart(FRACTION_DIGITS + 1, '0');
  const integer = digits.slice(0, -FRACTION_DIGITS);
  const fraction = digits.slice(-FRACTION_DIGITS).replace(/0+$/, '');
  const text = (value.negative ? '-' : '') + integer + (fraction === '' ? '' : `.${fraction}`);
  return text === '-0' ? '0' : text;
}

/** Returns round(|value| * 10^17), half to even. */
function scaledDigits(value: LongDouble): bigint {
  const scaled = value.mantissa * SCALE;
  if (value.exponent >= 0) return scaled << BigInt(value.exponent);
  const shift = BigInt(-value.exponent);
  let quotient = scaled >> shift;
  const twiceRemainder = 2n * (scaled - (quotient << shift));
  const unit = 1n << shift;
  if (twiceRemainder > unit || (twiceRemainder === unit && (quotient & 1n) === 1n)) quotient++;
  return quotient;
}
