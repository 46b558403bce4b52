/**
 * Stream entry IDs: two unsigned 64-bit integers, milliseconds and sequence
 * number. Each part is a number while it is at most 2^53 - 1 (every ID that
 * `*` generates) and a bigint above, never a bigint for a smaller value. So
 * equal parts are `===`, and `<` compares a number with a bigint exactly.
 */

/** An unsigned 64-bit integer: a number up to 2^53 - 1, a bigint above. */
export type U64 = number | bigint;

export interface StreamId {
  readonly ms: U64;
  readonly seq: U64;
}

export const U64_MAX = 2n ** 64n - 1n;

export const ZERO_ID: StreamId = { ms: 0, seq: 0 };
export const MAX_ID: StreamId = { ms: U64_MAX, seq: U64_MAX };

/** Returns the canonical form of an integer in [0, 2^64). */
export function toU64(value: bigint | number): U64 {
  if (typeof value === 'number') return value;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Returns `value + 1`, or null when `value` is 2^64 - 1. */
export function incrementU64(value: U64): U64 | null {
  if (typeof value === 'number') return value < Number.MAX_SAFE_INTEGER ? value + 1 : 2n ** 53n;
  return value === U64_MAX ? null : value + 1n;
}

/** Returns `value - 1`, or null when `value` is 0. */
export function decrementU64(value: U64): U64 | null {
  if (typeof value === 'number') return value === 0 ? null : value - 1;
  return toU64(value - 1n);
}

/** Returns a negative number, zero or a positive number as `a` sorts before, with or after `b`. */
export function compareIds(a: StreamId, b: StreamId): number {
  if (a.ms !== b.ms) return a.ms < b.ms ? -1 : 1;
  if (a.seq === b.seq) return 0;
  return a.seq < b.seq ? -1 : 1;
}

export function idsEqual(a: StreamId, b: StreamId): boolean {
  return a.ms === b.ms && a.seq === b.seq;
}

export function isZeroId(id: StreamId): boolean {
  return id.ms === 0 && id.seq === 0;
}

export function formatId(id: StreamId): string {
  return `${id.ms}-${id.seq}`;
}

/** Returns the next ID in order, or null after 2^64-1-2^64-1. */
export function nextId(id: StreamId): StreamId | null {
  const seq = incrementU64(id.seq);
  if (seq !== null) return { ms: id.ms, seq };
  const ms = incrementU64(id.ms);
  return ms === null ? null : { ms, seq: 0 };
}

/** Returns the previous ID in order, or null before 0-0. */
export function previousId(id: StreamId): StreamId | null {
  const seq = decrementU64(id.seq);
  if (seq !== null) return { ms: id.ms, seq };
  const ms = decrementU64(id.ms);
  return ms === null ? null : { ms, seq: toU64(U64_MAX) };
}

const STRICT_DECIMAL = /^(0|-?[1-9][0-9]{0,19})$/;
/** The text C's strtoull accepts in base 10: leading white space, a sign, then digits. */
const LOOSE_DECIMAL = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Parses one part of an ID as Redis 7.0 does (string2ull). A strict signed
 * 64-bit decimal is taken as is, and rejected when negative. Anything else
 * goes to C's strtoull, which skips leading white space, takes a sign and
 * leading zeros, and negates modulo 2^64 after a '-' ("-05" is 2^64 - 5).
 * Returns null for text neither accepts.
 */
export function parseU64(text: string): U64 | null {
  if (text.length < 16 && /^(0|[1-9][0-9]*)$/.test(text)) return Number(text);
  if (STRICT_DECIMAL.test(text)) {
    const value = BigInt(text);
    if (value >= INT64_MIN && value <= INT64_MAX) return value < 0n ? null : toU64(value);
  }
  const loose = LOOSE_DECIMAL.exec(text);
  if (loose === null) return null;
  const magnitude = BigInt(loose[2]);
  if (magnitude > U64_MAX) return null;
  if (loose[1] !== '-' || magnitude === 0n) return toU64(magnitude);
  return toU64(U64_MAX + 1n - magnitude);
}

/** Longest ID argument Redis parses; a longer one is invalid. */
const MAX_ID_TEXT = 127;

export interface ParsedId {
  id: StreamId;
  /** False for the `ms-*` form, whose sequence number the stream chooses. */
  seqGiven: boolean;
}

/**
 * Parses `ms-seq`, `ms` (with `missingSeq` as the sequence), or, when
 * `allowAutoSeq`, `ms-*`. Like Redis, the text ends at a NUL byte. Returns
 * null for anything else, including `-` and `+`, which callers handle.
 */
export function parseIdText(text: string, missingSeq: U64, allowAutoSeq = false): ParsedId | null {
  if (text.length > MAX_ID_TEXT) return null;
  const nul = text.indexOf('\0');
  const body = nul < 0 ? text : text.slice(0, nul);
  const dash = body.indexOf('-');
  const ms = parseU64(dash < 0 ? body : body.slice(0, dash));
  if (ms === null) return null;
  if (dash < 0) return { id: { ms, seq: missingSeq }, seqGiven: true };
  const seqText = body.slice(dash + 1);
  if (allowAutoSeq && seqText === '*') return { id: { ms, seq: 0 }, seqGiven: false };
  const seq = parseU64(seqText);
  return seq === null ? null : { id: { ms, seq }, seqGiven: true };
}
