/**
 * Reply sinks. Handlers write replies through the `Reply` interface and never
 * see sockets or protocol versions: `RespWriter` encodes RESP2 or RESP3 bytes
 * into one growing buffer per connection, and `ValueReply` (in value-reply.ts)
 * builds JavaScript values for scripts and transactions.
 *
 * Strings are byte strings: one JavaScript character per byte (latin1).
 */
import { putBytes, putDecimal, putText } from '../byte-output';

export interface Reply {
  readonly resp: 2 | 3;
  ok(): void;
  simple(text: string): void;
  error(text: string): void;
  int(value: number | bigint): void;
  bulk(value: string | Buffer): void;
  /** A nil bulk string in RESP2, null in RESP3. */
  nil(): void;
  /** A nil array in RESP2 (`*-1`), null in RESP3. */
  nilArray(): void;
  array(length: number): void;
  /** A map header: a flat array of 2 * length items in RESP2. */
  map(length: number): void;
  /** A set header: an array in RESP2. */
  set(length: number): void;
  /** A double: a bulk string in RESP2. */
  double(value: number): void;
  /** A boolean: the integer 1 or 0 in RESP2. */
  bool(value: boolean): void;
  /** A verbatim string (`=` in RESP3, a bulk string in RESP2). */
  verbatim(text: string): void;
  /** A push message header (`>` in RESP3, an array in RESP2). */
  push(length: number): void;
  /** An array of bulk strings. */
  bulkArray(values: readonly string[]): void;
}

const INITIAL_SIZE = 16 * 1024;
const OK = Buffer.from('+OK\r\n');
const NIL2 = Buffer.from('$-1\r\n');
const NIL_ARRAY2 = Buffer.from('*-1\r\n');
const NULL3 = Buffer.from('_\r\n');
/** Preencoded `:n\r\n` for small integers, the most common integer replies. */
const SMALL_INTS: Buffer[] = [];
for (let i = -1; i <= 256; i++) SMALL_INTS.push(Buffer.from(`:${i}\r\n`));

/**
 * Formats a double as Redis 7.0 does for replies (its addReplyDouble): C's
 * `%.17g`, with "inf" and "-inf" spelled out. Zero keeps its sign ("-0").
 */
export function formatDouble(value: number): string {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isNaN(value)) return 'nan';
  // Below 2^53 an integer prints exactly; above, %.17g can show more digits than String().
  if (Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value);
  return formatDoubleG17(value);
}

const G17_DIGITS = 17;

/**
 * Matches glibc's `%.17g`: 17 significant digits rounded half to even on the
 * exact binary value, trailing zeros dropped, exponent form below 1e-4 and
 * from 1e17 on.
 */
export function formatDoubleG17(value: number): string {
  if (!Number.isFinite(value)) return formatDouble(value);
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const sign = value < 0 ? '-' : '';
  const { digits, exponent } = roundToSignificant(Math.abs(value));
  if (exponent < -4 || exponent >= G17_DIGITS) {
    const fraction = trimZeros(digits.slice(1));
    const mantissa = fraction === '' ? digits[0] : `${digits[0]}.${fraction}`;
    const power = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${power}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${trimZeros(digits)}`;
  const fraction = trimZeros(digits.slice(exponent + 1));
  const whole = digits.slice(0, exponent + 1);
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}

function trimZeros(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === '0') end--;
  return text.slice(0, end);
}

/**
 * Rounds a positive finite double to 17 significant digits, as glibc does:
 * to nearest, ties to even. toExponential rounds correctly but breaks exact
 * ties upward, so the digits past the 17th decide: from an 18-digit form
 * when they are clear, from a 21-digit form near a half, and from the exact
 * decimal expansion at a possible tie.
 */
function roundToSignificant(value: number): { digits: string; exponent: number } {
  const near = splitExponential(value.toExponential(G17_DIGITS));
  const dropped = near.digits[G17_DIGITS];
  if (dropped !== '5') return roundDigits(near.digits, near.exponent, dropped > '5');
  const wide = splitExponential(value.toExponential(G17_DIGITS + 3));
  const tail = wide.digits.slice(G17_DIGITS);
  if (tail === '5000') return roundExactly(value);
  return roundDigits(wide.digits, wide.exponent, tail > '5000');
}

/** Splits toExponential's "d.ddde+x" into its digits and exponent. */
function splitExponential(text: string): { digits: string; exponent: number } {
  const e = text.indexOf('e');
  return { digits: text[0] + text.substring(2, e), exponent: Number(text.substring(e + 1)) };
}

/** Keeps 17 digits, adding one when `up`; a carry past the first digit raises the exponent. */
function roundDigits(
  digits: string,
  exponent: number,
  up: boolean,
): { digits: string; exponent: number } {
  let head = digits.slice(0, G17_DIGITS);
  if (up) head = incrementDigits(head);
  if (head.length > G17_DIGITS)
    return { digits: head.slice(0, G17_DIGITS), exponent: exponent + 1 };
  return { digits: head, exponent };
}

/** Adds one to a string of decimal digits; "999" becomes "1000". */
function incrementDigits(digits: string): string {
  let i = digits.length - 1;
  while (i >= 0 && digits[i] === '9') i--;
  const zeros = '0'.repeat(digits.length - i - 1);
  if (i < 0) return `1${zeros}`;
  return `${digits.slice(0, i)}${String.fromCharCode(digits.charCodeAt(i) + 1)}${zeros}`;
}

function roundExactly(value: number): { digits: string; exponent: number } {
  const { digits, pointPosition } = exactDecimal(value);
  const significantStart = digits.search(/[1-9]/);
  const significant = digits.slice(significantStart);
  let exponent = pointPosition - significantStart - 1;
  let head = BigInt(significant.slice(0, G17_DIGITS).padEnd(G17_DIGITS, '0'));
  const tail = significant.slice(G17_DIGITS);
  const firstDropped = tail === '' ? 0 : Number(tail[0]);
  const restNonZero = /[1-9]/.test(tail.slice(1));
  const tie = firstDropped === 5 && !restNonZero;
  if (firstDropped > 5 || (firstDropped === 5 && restNonZero) || (tie && head % 2n === 1n)) {
    head += 1n;
  }
  let text = head.toString();
  if (text.length > G17_DIGITS) {
    text = text.slice(0, G17_DIGITS);
    exponent++;
  }
  return { digits: text, exponent };
}

/** Returns the exact decimal digits of a positive finite double and the decimal point's index. */
function exactDecimal(value: number): { digits: string; pointPosition: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const power = (biased === 0 ? 1 : biased) - 1075;
  if (power >= 0) {
    const digits = (mantissa << BigInt(power)).toString();
    return { digits, pointPosition: digits.length };
  }
  const digits = (mantissa * 5n ** BigInt(-power)).toString().padStart(-power + 1, '0');
  return { digits, pointPosition: digits.length + power };
}

/** Encodes replies as RESP bytes into one buffer, flushed by the connection. */
export class RespWriter implements Reply {
  resp: 2 | 3 = 2;
  buffer: Buffer = Buffer.allocUnsafe(INITIAL_SIZE);
  length = 0;

  /** Takes the bytes written so far and starts an empty buffer. */
  take(): Buffer {
    const out = Buffer.from(this.buffer.subarray(0, this.length));
    this.length = 0;
    if (this.buffer.length > INITIAL_SIZE * 64) this.buffer = Buffer.allocUnsafe(INITIAL_SIZE);
    return out;
  }

  /** Truncates back to a mark, dropping replies written after it. */
  truncate(mark: number): void {
    this.length = mark;
  }

  #reserve(bytes: number): void {
    const needed = this.length + bytes;
    if (needed <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  raw(bytes: Buffer): void {
    this.#reserve(bytes.length);
    this.length = putBytes(this.buffer, this.length, bytes);
  }

  /** Writes a byte string, one byte per character. The caller reserves the room. */
  #text(text: string): void {
    this.length = putText(this.buffer, this.length, text);
  }

  /** Writes CRLF. The caller reserves the room. */
  #crlf(): void {
    const b = this.buffer;
    b[this.length++] = 0x0d;
    b[this.length++] = 0x0a;
  }

  #line(prefix: string, text: string): void {
    this.#reserve(text.length + 3);
    this.buffer[this.length++] = prefix.charCodeAt(0);
    this.#text(text);
    this.#crlf();
  }

  ok(): void {
    this.raw(OK);
  }

  simple(text: string): void {
    this.#line('+', text);
  }

  error(text: string): void {
    this.#line('-', text.replace(/[\r\n]/g, ' '));
  }

  int(value: number | bigint): void {
    if (typeof value === 'number' && value >= -1 && value <= 256 && Number.isInteger(value)) {
      this.raw(SMALL_INTS[value + 1]);
      return;
    }
    this.#line(':', String(value));
  }

  bulk(value: string | Buffer): void {
    const size = value.length;
    this.#reserve(size + 25);
    this.#header(0x24, size);
    if (typeof value === 'string') this.#text(value);
    else this.length += value.copy(this.buffer, this.length);
    this.#crlf();
  }

  /** Writes a bulk string copied from a range of a buffer, with no intermediate string or view. */
  bulkBytes(source: Buffer, start: number, end: number): void {
    const size = end - start;
    this.#reserve(size + 25);
    this.#header(0x24, size);
    const b = this.buffer;
    this.length += source.copy(b, this.length, start, end);
    this.#crlf();
  }

  nil(): void {
    this.raw(this.resp === 3 ? NULL3 : NIL2);
  }

  nilArray(): void {
    this.raw(this.resp === 3 ? NULL3 : NIL_ARRAY2);
  }

  array(length: number): void {
    if (length < 0) {
      this.#line('*', String(length));
      return;
    }
    this.#reserve(22);
    this.#header(0x2a, length);
  }

  /**
   * Writes a type byte, a non-negative integer in decimal and CRLF, without
   * building a string. The caller reserves the room (at most 22 bytes).
   */
  #header(type: number, value: number): void {
    const b = this.buffer;
    b[this.length++] = type;
    this.length = putDecimal(b, this.length, value);
    b[this.length++] = 0x0d;
    b[this.length++] = 0x0a;
  }

  map(length: number): void {
    if (this.resp === 3) this.#line('%', String(length));
    else this.#line('*', String(length * 2));
  }

  set(length: number): void {
    this.#line(this.resp === 3 ? '~' : '*', String(length));
  }

  double(value: number): void {
    if (this.resp === 3) this.#line(',', formatDouble(value));
    else this.bulk(formatDouble(value));
  }

  bool(value: boolean): void {
    if (this.resp === 3) this.#line('#', value ? 't' : 'f');
    else this.int(value ? 1 : 0);
  }

  verbatim(text: string): void {
    if (this.resp !== 3) {
      this.bulk(text);
      return;
    }
    const body = `txt:${text}`;
    this.#line('=', String(body.length));
    this.#reserve(body.length + 2);
    this.#text(body);
    this.#crlf();
  }

  push(length: number): void {
    this.#line(this.resp === 3 ? '>' : '*', String(length));
  }

  bulkArray(values: readonly string[]): void {
    this.array(values.length);
    for (const value of values) this.bulk(value);
  }
}
