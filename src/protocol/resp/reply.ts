/**
 * Reply sinks. Handlers write replies through the `Reply` interface and never
 * see sockets or protocol versions: `RespWriter` encodes RESP2 or RESP3 bytes
 * into one growing buffer per connection, and `ValueReply` (in value-reply.ts)
 * builds JavaScript values for scripts and transactions.
 *
 * Strings are byte strings: one JavaScript character per byte (latin1).
 */
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
const CRLF = 0x0d0a;

/** Preencoded `:n\r\n` for small integers, the most common integer replies. */
const SMALL_INTS: Buffer[] = [];
for (let i = -1; i <= 256; i++) SMALL_INTS.push(Buffer.from(`:${i}\r\n`));

/** Formats a double as Redis does for replies: integers without a fraction, inf as "inf". */
export function formatDouble(value: number): string {
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Number.isNaN(value)) return 'nan';
  if (Number.isInteger(value) && Math.abs(value) < 1e17) return String(value);
  return formatDoubleG17(value);
}

/** Matches C's `%.17g`, which Redis uses for scores and INCRBYFLOAT-free doubles. */
export function formatDoubleG17(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const exp = Math.floor(Math.log10(Math.abs(value)));
  if (exp < -4 || exp >= 17) {
    const [mantissa, e] = value.toExponential(16).split('e');
    const trimmed = trimFraction(mantissa);
    const sign = e[0] === '-' ? '-' : '+';
    const digits = e.slice(1).padStart(2, '0');
    return `${trimmed}e${sign}${digits}`;
  }
  return trimFraction(value.toPrecision(17));
}

function trimFraction(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/\.?0+$/, '');
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
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
  }

  #line(prefix: string, text: string): void {
    this.#reserve(text.length + 3);
    const b = this.buffer;
    b[this.length++] = prefix.charCodeAt(0);
    this.length += b.latin1Write(text, this.length);
    b.writeUInt16BE(CRLF, this.length);
    this.length += 2;
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
    const header = String(size);
    this.#reserve(size + header.length + 5);
    const b = this.buffer;
    b[this.length++] = 0x24;
    this.length += b.latin1Write(header, this.length);
    b.writeUInt16BE(CRLF, this.length);
    this.length += 2;
    if (typeof value === 'string') this.length += b.latin1Write(value, this.length);
    else this.length += value.copy(b, this.length);
    b.writeUInt16BE(CRLF, this.length);
    this.length += 2;
  }

  nil(): void {
    this.raw(this.resp === 3 ? NULL3 : NIL2);
  }

  nilArray(): void {
    this.raw(this.resp === 3 ? NULL3 : NIL_ARRAY2);
  }

  array(length: number): void {
    this.#line('*', String(length));
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
    this.length += this.buffer.latin1Write(body, this.length);
    this.buffer.writeUInt16BE(CRLF, this.length);
    this.length += 2;
  }

  push(length: number): void {
    this.#line(this.resp === 3 ? '>' : '*', String(length));
  }

  bulkArray(values: readonly string[]): void {
    this.array(values.length);
    for (const value of values) this.bulk(value);
  }
}
