/**
 * Scores and range bounds of the sorted set commands, parsed as Redis 7.0
 * parses them. Redis reads numbers with C's strtod, so this module mimics
 * glibc's strtod in the C locale: leading white space, hexadecimal floats
 * ("0x1p3"), "inf" and "infinity" in any letter case, and an embedded NUL
 * byte that ends the number as it ends a C string.
 */
import { CommandError, ERR } from '../engine/errors';
import type { LexBound, LexRange, ScoreRange } from '../store/zset';

/** The result of strtod on a byte string. */
export interface ParsedNumber {
  value: number;
  /** Index of the first character not consumed; the start index when nothing was parsed. */
  end: number;
  /** strtod would set ERANGE: the number overflowed or a nonzero number underflowed to 0. */
  outOfRange: boolean;
}

const DECIMAL_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)/;
const EXPONENT_PATTERN = /^[eE][+-]?\d+/;
const HEX_PATTERN = /^[+-]?0[xX]([0-9a-fA-F]*)(\.([0-9a-fA-F]*))?/;
const BINARY_EXPONENT_PATTERN = /^[pP][+-]?\d+/;
const NAN_ARGUMENT_PATTERN = /^\([0-9A-Za-z_]*\)/;
/** Binary exponents beyond this only ever mean 0 or infinity. */
const EXPONENT_CLAMP = 100_000;

function isSpace(code: number): boolean {
  return code === 0x20 || (code >= 0x09 && code <= 0x0d);
}

/** Parses a double at `start` like glibc's strtod. */
export function strtod(text: string, start = 0): ParsedNumber {
  let i = start;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  const signed = text[i] === '+' || text[i] === '-' ? 1 : 0;
  const word = text.slice(i + signed, i + signed + 8).toLowerCase();
  const negative = text[i] === '-';
  if (word.startsWith('inf')) {
    const end = i + signed + (word === 'infinity' ? 8 : 3);
    return { value: negative ? -Infinity : Infinity, end, outOfRange: false };
  }
  if (word.startsWith('nan')) {
    const after = i + signed + 3;
    const argument = NAN_ARGUMENT_PATTERN.exec(text.slice(after));
    return { value: NaN, end: after + (argument?.[0].length ?? 0), outOfRange: false };
  }
  const rest = text.slice(i);
  return parseHexadecimal(rest, i) ?? parseDecimal(rest, i, start);
}

function parseDecimal(text: string, offset: number, start: number): ParsedNumber {
  const mantissa = DECIMAL_PATTERN.exec(text);
  if (mantissa === null) return { value: 0, end: start, outOfRange: false };
  const exponent = EXPONENT_PATTERN.exec(text.slice(mantissa[0].length));
  const literal = mantissa[0] + (exponent?.[0] ?? '');
  const value = Number(literal);
  const nonZero = /[1-9]/.test(mantissa[0]);
  const outOfRange = !Number.isFinite(value) || (value === 0 && nonZero);
  return { value, end: offset + literal.length, outOfRange };
}

/** Parses "0x..." with an optional fraction and binary exponent; null when it is not hex. */
function parseHexadecimal(text: string, offset: number): ParsedNumber | null {
  const match = HEX_PATTERN.exec(text);
  if (match === null) return null;
  const whole = match[1];
  const fraction = match[3] ?? '';
  if (whole === '' && fraction === '') return null;
  const exponent = BINARY_EXPONENT_PATTERN.exec(text.slice(match[0].length));
  let power = exponent === null ? 0 : Number(exponent[0].slice(1));
  power = Math.max(-EXPONENT_CLAMP, Math.min(EXPONENT_CLAMP, power)) - 4 * fraction.length;
  const digits = BigInt(`0x${whole}${fraction}`);
  const magnitude = scaleByPowerOfTwo(digits, power);
  const value = text[0] === '-' ? -magnitude : magnitude;
  const outOfRange = !Number.isFinite(value) || (value === 0 && digits !== 0n);
  const end = offset + match[0].length + (exponent?.[0].length ?? 0);
  return { value, end, outOfRange };
}

/** Returns digits * 2^power rounded to the nearest double, ties to even. */
function scaleByPowerOfTwo(digits: bigint, power: number): number {
  if (digits === 0n) return 0;
  const length = digits.toString(2).length;
  const topExponent = length - 1 + power;
  if (topExponent >= 1024) return Infinity;
  const precision = topExponent >= -1022 ? 53 : 53 - (-1022 - topExponent);
  if (precision <= 0) return precision === 0 && digits > 1n << BigInt(length - 1) ? 2 ** -1074 : 0;
  let kept = digits;
  let shift = length - precision;
  if (shift > 0) {
    const dropped = digits & ((1n << BigInt(shift)) - 1n);
    const half = 1n << BigInt(shift - 1);
    kept = digits >> BigInt(shift);
    if (dropped > half || (dropped === half && (kept & 1n) === 1n)) kept += 1n;
  } else {
    shift = 0;
  }
  let result = Number(kept);
  let remaining = power + shift;
  while (remaining !== 0) {
    const step = Math.max(-1000, Math.min(1000, remaining));
    result *= 2 ** step;
    remaining -= step;
  }
  return result;
}

/** The maximum length of text that plainDecimal reads: too short to overflow or underflow. */
const PLAIN_DECIMAL_MAX_LENGTH = 20;
/** Integers of up to this many digits are exact in a double, so summing digits is exact. */
const EXACT_DIGITS = 15;

/**
 * Returns the value of short plain decimal text: an optional "-", then
 * digits with at most one ".". Returns undefined for any other text, which
 * then takes the full strtod path. Short integers are summed digit by digit,
 * which is exact. Other text goes to Number(), which rounds to the nearest
 * double exactly as strtod does. Both read "-0" as -0 and "5." as 5.
 */
function plainDecimal(text: string): number | undefined {
  const length = text.length;
  if (length > PLAIN_DECIMAL_MAX_LENGTH) return undefined;
  const negative = text.charCodeAt(0) === 0x2d;
  let digits = 0;
  let dots = 0;
  let value = 0;
  for (let i = negative ? 1 : 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x30 && code <= 0x39) {
      digits++;
      value = value * 10 + (code - 0x30);
    } else if (code === 0x2e && dots === 0) {
      dots++;
    } else {
      return undefined;
    }
  }
  if (digits === 0) return undefined;
  if (dots === 0 && digits <= EXACT_DIGITS) return negative ? -value : value;
  return Number(text);
}

/**
 * Parses a score or increment as Redis's getDoubleFromObject does: the whole
 * argument must be a number, with no leading white space, no NaN, and no
 * overflow or underflow to zero. Raises `message` otherwise.
 */
export function parseScore(text: string, message: string = ERR.notFloat): number {
  const plain = plainDecimal(text);
  if (plain !== undefined) return plain;
  if (text.length === 0 || isSpace(text.charCodeAt(0))) throw new CommandError(message);
  const parsed = strtod(text);
  if (parsed.end !== text.length || parsed.outOfRange || Number.isNaN(parsed.value)) {
    throw new CommandError(message);
  }
  return parsed.value;
}

/** Whether strtod stopped at the end of the C string: the text's end or a NUL byte. */
function endsCString(text: string, end: number): boolean {
  return end === text.length || text.charCodeAt(end) === 0;
}

/**
 * Parses one end of a score range: a number, or "(" and a number for an
 * exclusive bound. A bare "(" and the empty string are errors. Redis 7.0
 * reads them as 0 (strtod reads nothing and stops at the end), a bug fixed
 * in later releases; Damselfly follows the fix.
 */
function parseScoreBound(text: string): { value: number; exclusive: boolean } {
  const exclusive = text[0] === '(';
  const start = exclusive ? 1 : 0;
  const parsed = strtod(text, start);
  const empty = parsed.end === start;
  if (empty || !endsCString(text, parsed.end) || Number.isNaN(parsed.value)) {
    throw new CommandError(ERR.minMaxNotFloat);
  }
  return { value: parsed.value, exclusive };
}

/** Parses the min and max of ZRANGEBYSCORE and friends. */
export function parseScoreRange(minText: string, maxText: string): ScoreRange {
  const min = parseScoreBound(minText);
  const max = parseScoreBound(maxText);
  return {
    min: min.value,
    max: max.value,
    minExclusive: min.exclusive,
    maxExclusive: max.exclusive,
  };
}

function parseLexBound(text: string): LexBound {
  if (text === '-') return { infinity: -1, value: '', exclusive: false };
  if (text === '+') return { infinity: 1, value: '', exclusive: false };
  if (text[0] === '[' || text[0] === '(') {
    return { infinity: 0, value: text.slice(1), exclusive: text[0] === '(' };
  }
  throw new CommandError(ERR.minMaxNotLex);
}

/** Parses the min and max of ZRANGEBYLEX and friends: `-`, `+`, `[member` or `(member`. */
export function parseLexRange(minText: string, maxText: string): LexRange {
  return { min: parseLexBound(minText), max: parseLexBound(maxText) };
}
