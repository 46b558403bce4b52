/**
 * The timeout argument of blocking commands (BLPOP, BLMOVE, BZPOPMIN, ...):
 * seconds as a float, parsed and converted exactly as Redis 7.0 does on
 * x86-64. Redis reads the text as a C `long double`, multiplies it by 1000
 * in that format, rounds up with ceill(), and casts to a 64-bit integer,
 * where an out-of-range value becomes the most negative integer. So "0.0001"
 * waits 1 ms, "-0.0005" waits forever (it rounds up to 0), and "inf" or
 * "1e20" are "negative".
 */
import { CommandError, ERR } from '../engine/errors';
import { parseLongDouble, type LongDouble } from './string-long-double';

const SIGNIFICAND_BITS = 64;
const INT64_LIMIT = 2n ** 63n;

/**
 * Parses a timeout in seconds. Returns the wait in milliseconds, 0 for no
 * timeout; raises Redis's errors for text that is not a float and for
 * negative waits.
 */
export function parseTimeout(text: string): number {
  const value = parseLongDouble(text);
  if (value === null) throw new CommandError(ERR.timeoutNotFloat);
  if (value.infinite) throw new CommandError(ERR.timeoutNegative);
  const milliseconds = ceilMilliseconds(value);
  if (milliseconds < 0n || milliseconds >= INT64_LIMIT) {
    throw new CommandError(ERR.timeoutNegative);
  }
  // Redis adds the current time, and a sum past 2^63 wraps so the wait never ends.
  if (milliseconds > BigInt(Number.MAX_SAFE_INTEGER - Date.now())) return 0;
  return Number(milliseconds);
}

/** Returns ceil(value * 1000), with the product rounded to a 64-bit significand first. */
function ceilMilliseconds(value: LongDouble): bigint {
  let mantissa = value.significand * 1000n;
  let exponent = value.exponent;
  const excess = mantissa.toString(2).length - SIGNIFICAND_BITS;
  if (excess > 0) {
    mantissa = roundHalfEven(mantissa, excess);
    exponent += excess;
  }
  if (exponent >= 0) return signed(value.negative, mantissa << BigInt(exponent));
  const shift = BigInt(-exponent);
  const whole = mantissa >> shift;
  const hasFraction = whole << shift !== mantissa;
  if (value.negative) return signed(true, whole);
  return hasFraction ? whole + 1n : whole;
}

function roundHalfEven(value: bigint, bits: number): bigint {
  const shift = BigInt(bits);
  const kept = value >> shift;
  const dropped = value - (kept << shift);
  const half = 1n << (shift - 1n);
  if (dropped > half || (dropped === half && (kept & 1n) === 1n)) return kept + 1n;
  return kept;
}

function signed(negative: boolean, magnitude: bigint): bigint {
  return negative ? -magnitude : magnitude;
}
