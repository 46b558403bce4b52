/**
 * A streaming parser for client requests: RESP multibulk (`*2\r\n$3\r\nGET...`)
 * and inline commands (`GET key\r\n`). It accepts any split of the bytes across
 * reads, keeps its place inside a half-read request, and checks every length
 * against its limits before it waits for, or allocates, the announced bytes.
 */

export interface ParserLimits {
  /** Largest bulk argument in bytes (`proto-max-bulk-len`). */
  maxBulkLength: number;
  /** Most arguments in one request. */
  maxArguments: number;
  /** Longest inline request, and longest `*` or `$` header line, in bytes. */
  maxInlineLength: number;
}

/** Redis's limits for a client that has not authenticated while a password is set. */
export const UNAUTHENTICATED_LIMITS: ParserLimits = {
  maxBulkLength: 16 * 1024,
  maxArguments: 10,
  maxInlineLength: 64 * 1024,
};

/** V8 cannot build a string longer than this, so no argument may be longer. */
const MAX_STRING_LENGTH = 0x1fffffe8;

const PROTOCOL = 'ERR Protocol error: ';
/** Command names up to this length are kept for reuse by the next requests. */
const MAX_REUSED_NAME = 32;
/** How many recent command names each parser keeps. */
const REUSED_NAMES = 4;
/**
 * Requests with up to this many arguments get an array of their size at once.
 * Longer ones get an array that grows as arguments arrive, so that a large
 * announced count allocates nothing up front.
 */
const MAX_PRESIZED_ARGUMENTS = 64;
const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
const CR = 0x0d;

export class RespParser {
  limits: ParserLimits;
  /** Set once the input broke the protocol; the connection must reply and close. */
  error: string | null = null;
  /**
   * False while a password is set and the client has not authenticated. It
   * selects Redis's "unauthenticated ..." texts for length errors.
   */
  authenticated = true;

  #buf: Buffer = EMPTY;
  #pos = 0;
  #pending: Buffer[] = [];
  #pendingLength = 0;
  /** Unread bytes needed before parsing can make progress. */
  #want = 0;

  #args: string[] | null = null;
  #argCount = 0;
  #argsLeft = 0;
  #bulkLength = -1;
  /**
   * Recent command names. A request whose name has the same bytes gets the
   * same string back, which saves building a string per request and lets
   * lookups use the hash the string already carries.
   */
  #names: string[] = [];
  #nextName = 0;

  constructor(limits: ParserLimits) {
    this.limits = limits;
  }

  /** Bytes received but not yet returned as requests. */
  get buffered(): number {
    return this.#buf.length - this.#pos + this.#pendingLength;
  }

  /** True while part of a request has arrived and the rest has not. */
  get midRequest(): boolean {
    return this.#args !== null || this.buffered > 0;
  }

  feed(chunk: Buffer): void {
    if (this.#pos >= this.#buf.length && this.#pendingLength === 0) {
      this.#buf = chunk;
      this.#pos = 0;
      return;
    }
    this.#pending.push(chunk);
    this.#pendingLength += chunk.length;
    if (this.#buf.length - this.#pos + this.#pendingLength >= this.#want) this.#merge();
  }

  #merge(): void {
    const parts = [this.#buf.subarray(this.#pos), ...this.#pending];
    this.#buf = Buffer.concat(parts);
    this.#pos = 0;
    this.#pending = [];
    this.#pendingLength = 0;
  }

  #needMore(bytes: number): null {
    this.#want = bytes;
    return null;
  }

  #fail(message: string): null {
    this.error = PROTOCOL + message;
    this.#buf = EMPTY;
    this.#pending = [];
    this.#pendingLength = 0;
    return null;
  }

  /**
   * Returns the next complete request, or null when more bytes are needed or
   * the input is invalid (then `error` is set). An empty inline line or a
   * `*0` request returns an empty array, which callers skip.
   */
  next(): string[] | null {
    if (this.error !== null) return null;
    if (this.#pendingLength > 0 && this.#buf.length - this.#pos < this.#want) return null;
    if (this.#pendingLength > 0) this.#merge();
    if (this.#args !== null) return this.#continueMultibulk();
    if (this.#pos >= this.#buf.length) return this.#needMore(1);
    if (this.#buf[this.#pos] === 0x2a) return this.#startMultibulk();
    return this.#inline();
  }

  /** Finds the next LF at or after `from`, or -1. */
  #findLineEnd(from: number): number {
    return this.#buf.indexOf(LF, from);
  }

  #inline(): string[] | null {
    const end = this.#findLineEnd(this.#pos);
    const unread = this.#buf.length - this.#pos;
    if (end < 0) {
      if (unread > this.limits.maxInlineLength) return this.#fail('too big inline request');
      return this.#needMore(unread + 1);
    }
    // As in Redis, a line that arrived whole is served whatever its length:
    // the limit is on bytes held while waiting for the end of a line.
    let lineEnd = end;
    if (lineEnd > this.#pos && this.#buf[lineEnd - 1] === CR) lineEnd--;
    const line = this.#buf.toString('latin1', this.#pos, lineEnd);
    this.#pos = end + 1;
    const args = splitInlineArguments(line);
    if (args === null) return this.#fail('unbalanced quotes in request');
    if (args.length > this.limits.maxArguments) return this.#fail('invalid multibulk length');
    return args;
  }

  /**
   * Reads a `*N` or `$N` header line; returns the number, null to wait, or
   * NaN if invalid. As in Redis, the line ends at its CR, and the byte after
   * the CR is skipped unread, so a bare LF does not end a header.
   */
  #readHeader(tooBig: string): number | null {
    const cr = this.#buf.indexOf(CR, this.#pos);
    const unread = this.#buf.length - this.#pos;
    if (cr < 0 || cr + 1 >= this.#buf.length) {
      if (unread > this.limits.maxInlineLength) {
        this.#fail(tooBig);
        return NaN;
      }
      return this.#needMore(unread + 1);
    }
    if (cr - this.#pos > this.limits.maxInlineLength) {
      this.#fail(tooBig);
      return NaN;
    }
    const value = parseHeaderNumber(this.#buf, this.#pos + 1, cr);
    this.#pos = cr + 2;
    return value;
  }

  #startMultibulk(): string[] | null {
    let count: number | null = this.#readSimpleHeader();
    if (count < 0) count = this.#readHeader('too big mbulk count string');
    if (count === null || this.error !== null) return null;
    if (Number.isNaN(count) || count > this.limits.maxArguments) {
      return this.#fail(
        this.authenticated ? 'invalid multibulk length' : 'unauthenticated multibulk length',
      );
    }
    if (count <= 0) return [];
    this.#args = count <= MAX_PRESIZED_ARGUMENTS ? new Array<string>(count) : [];
    this.#argCount = 0;
    this.#argsLeft = count;
    this.#bulkLength = -1;
    return this.#continueMultibulk();
  }

  #continueMultibulk(): string[] | null {
    const args = this.#args as string[];
    while (this.#argsLeft > 0) {
      if (this.#bulkLength < 0) {
        if (this.#pos >= this.#buf.length) return this.#needMore(1);
        const marker = this.#buf[this.#pos];
        if (marker !== 0x24) {
          return this.#fail(`expected '$', got '${String.fromCharCode(marker)}'`);
        }
        let length = this.#readSimpleHeader();
        if (length < 0) {
          const slow = this.#readHeader('too big bulk count string');
          if (slow === null || this.error !== null) return null;
          length = slow;
        }
        if (Number.isNaN(length) || length < 0 || length > this.#maxBulk()) {
          return this.#fail(
            this.authenticated ? 'invalid bulk length' : 'unauthenticated bulk length',
          );
        }
        this.#bulkLength = length;
      }
      const needed = this.#bulkLength + 2;
      if (this.#buf.length - this.#pos < needed) return this.#needMore(needed);
      const start = this.#pos;
      const end = start + this.#bulkLength;
      const index = this.#argCount++;
      args[index] = index === 0 ? this.#commandName(start, end) : this.#buf.latin1Slice(start, end);
      this.#pos += needed;
      this.#argsLeft--;
      this.#bulkLength = -1;
    }
    this.#args = null;
    this.#want = 0;
    return args;
  }

  /**
   * The common case of a header, `$` or `*` then digits then CRLF, read
   * without searching for the line end. Returns -1 for anything else
   * (a sign, too many digits, a line not complete yet): the caller then
   * takes the general path, which also reports errors.
   */
  #readSimpleHeader(): number {
    const buf = this.#buf;
    const first = this.#pos + 1;
    const limit = Math.min(buf.length, first + 15);
    let value = 0;
    let i = first;
    for (; i < limit; i++) {
      const digit = buf[i] - 0x30;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    if (i === first || i + 1 >= buf.length || buf[i] !== CR || buf[i + 1] !== LF) return -1;
    if (buf[first] === 0x30 && i > first + 1) return -1;
    this.#pos = i + 2;
    return value;
  }

  /** Returns the command name between `start` and `end`, reusing a recent string when equal. */
  #commandName(start: number, end: number): string {
    const names = this.#names;
    for (let i = 0; i < names.length; i++) {
      if (sameBytes(names[i], this.#buf, start, end)) return names[i];
    }
    const name = this.#buf.latin1Slice(start, end);
    if (end - start <= MAX_REUSED_NAME) {
      names[this.#nextName] = name;
      this.#nextName = (this.#nextName + 1) % REUSED_NAMES;
    }
    return name;
  }

  #maxBulk(): number {
    return Math.min(this.limits.maxBulkLength, MAX_STRING_LENGTH);
  }
}

/** Checks whether a byte string has exactly the bytes of `buf` from `start` to `end`. */
function sameBytes(text: string, buf: Buffer, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== buf[start + i]) return false;
  }
  return true;
}

/**
 * Parses the digits of a header line between `start` and its CR at `stop`.
 * Returns NaN for anything but an optional minus sign followed by at most 18
 * digits without leading zeros.
 */
function parseHeaderNumber(buf: Buffer, start: number, stop: number): number {
  let i = start;
  let negative = false;
  if (buf[i] === 0x2d) {
    negative = true;
    i++;
  }
  if (i >= stop || stop - i > 18) return NaN;
  // Like Redis's string2ll: no leading zeros, and no "-0".
  if (buf[i] === 0x30 && (stop - i > 1 || negative)) return NaN;
  let value = 0;
  for (; i < stop; i++) {
    const digit = buf[i] - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', a: '\x07' };

function isHexDigit(ch: string | undefined): boolean {
  return ch !== undefined && /^[0-9a-fA-F]$/.test(ch);
}

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === '\n' || ch === '\r' || ch === '\t' || ch === '\v' || ch === '\f';
}

/**
 * Splits an inline request into arguments the way redis-cli and Redis do:
 * blanks separate words, `"..."` takes `\n \r \t \b \a \xHH` escapes, `'...'`
 * takes only `\'`. Returns null for unbalanced quotes, or for a closing quote
 * not followed by a blank.
 */
export function splitInlineArguments(line: string): string[] | null {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return args;
    let current = '';
    const quote = line[i] === '"' || line[i] === "'" ? line[i] : '';
    if (quote !== '') i++;
    for (;;) {
      if (i >= n) {
        if (quote !== '') return null;
        break;
      }
      const ch = line[i];
      if (quote === '') {
        if (isSpace(ch)) break;
        current += ch;
        i++;
        continue;
      }
      if (
        quote === '"' &&
        ch === '\\' &&
        line[i + 1] === 'x' &&
        isHexDigit(line[i + 2]) &&
        isHexDigit(line[i + 3])
      ) {
        current += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
        i += 4;
      } else if (quote === '"' && ch === '\\' && i + 1 < n) {
        const next = line[i + 1];
        current += ESCAPES[next] ?? next;
        i += 2;
      } else if (quote === "'" && ch === '\\' && line[i + 1] === "'") {
        current += "'";
        i += 2;
      } else if (ch === quote) {
        i++;
        if (i < n && !isSpace(line[i])) return null;
        break;
      } else {
        current += ch;
        i++;
      }
    }
    args.push(current);
  }
}
