/**
 * Argument parsing shared by every command family, with Redis's strictness:
 * integers are signed 64-bit decimals with no sign `+`, no spaces and no
 * leading zeros; floats follow C's strtod without spaces and refuse NaN.
 */
import { CommandError, ERR } from '../engine/errors';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const INTEGER_PATTERN = /^(0|-?[1-9][0-9]{0,19})$/;

/** Parses a signed 64-bit integer exactly, or returns null. */
export function toBigInt64(text: string): bigint | null {
  if (!INTEGER_PATTERN.test(text)) return null;
  const value = BigInt(text);
  if (value < INT64_MIN || value > INT64_MAX) return null;
  return value;
}

/**
 * Parses a signed 64-bit integer as a number, or returns null. Values beyond
 * 2^53 lose precision, which is harmless for indexes, counts and times.
 */
export function toInteger(text: string): number | null {
  if (text.length < 16) {
    if (!INTEGER_PATTERN.test(text)) return null;
    return Number(text);
  }
  const value = toBigInt64(text);
  return value === null ? null : Number(value);
}

/** Parses an integer argument or raises Redis's "not an integer" error (or `message`). */
export function parseInteger(text: string, message: string = ERR.notInteger): number {
  const value = toInteger(text);
  if (value === null) throw new CommandError(message);
  return value;
}

/** Parses a non-negative integer argument; a negative one raises `message`. */
export function parseNonNegative(text: string, message: string): number {
  const value = parseInteger(text);
  if (value < 0) throw new CommandError(message);
  return value;
}

const FLOAT_PATTERN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITY_PATTERN = /^([+-]?)(inf|infinity)$/i;

/** Parses a double as Redis does (`inf`, `-inf` allowed, NaN and spaces refused), or null. */
export function toDouble(text: string): number | null {
  if (FLOAT_PATTERN.test(text)) return Number(text);
  const infinity = INFINITY_PATTERN.exec(text);
  if (infinity !== null) return infinity[1] === '-' ? -Infinity : Infinity;
  return null;
}

export function parseDouble(text: string, message: string = ERR.notFloat): number {
  const value = toDouble(text);
  if (value === null) throw new CommandError(message);
  return value;
}

/** Compares an argument with an option name, ignoring letter case. */
export function isOption(text: string, option: string): boolean {
  return text.length === option.length && text.toUpperCase() === option;
}
