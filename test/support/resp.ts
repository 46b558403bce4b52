/**
 * RESP helpers for byte-level tests: an encoder for commands and a reader that
 * finds where one RESP2 or RESP3 reply ends without decoding it. The reader
 * covers every type Redis 7 sends: + - : $ * _ , # ! = ( % ~ > and attributes
 * (|). Streamed strings and aggregates (`$?`, `*?`) are rejected because Redis
 * never sends them.
 */

import { formatBytes } from './bytes';

/** Malformed RESP input, with the offset of the offending byte. */
export class RespSyntaxError extends Error {
  readonly offset: number;

  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'RespSyntaxError';
    this.offset = offset;
  }
}

/**
 * Encodes a command as a RESP multibulk request. String arguments are sent as
 * UTF-8, as client libraries do. Pass a Buffer for exact bytes.
 */
export function encodeCommand(args: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];

  for (const arg of args) {
    const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }

  return Buffer.concat(parts);
}

/**
 * Returns the offset just past the complete reply that starts at `start`, or
 * -1 when `data` ends first. An attribute (`|`) and the reply it annotates
 * count as one reply. Throws RespSyntaxError on bytes that are not RESP.
 */
export function findReplyEnd(data: Buffer, start = 0): number {
  let offset = start;
  let remaining = 1;

  while (remaining > 0) {
    const value = scanValueHeader(data, offset);
    if (value === null) return -1;

    remaining += value.children - 1;
    offset = value.end;
  }

  return offset;
}

/** Splits `data` into complete replies and the unfinished bytes after them. */
export function splitReplies(data: Buffer): { replies: Buffer[]; rest: Buffer } {
  const replies: Buffer[] = [];
  let offset = 0;

  for (;;) {
    const end = findReplyEnd(data, offset);
    if (end === -1) break;

    replies.push(data.subarray(offset, end));
    offset = end;
  }

  return { replies, rest: data.subarray(offset) };
}

interface ValueHeader {
  /** Offset after the value's own bytes: its line, or its line and bulk payload. */
  end: number;
  /** Values that must follow to complete this one (elements of an aggregate). */
  children: number;
}

/** Reads one value's header line, or returns null when the bytes end first. */
function scanValueHeader(data: Buffer, offset: number): ValueHeader | null {
  if (offset >= data.length) return null;

  const lineEnd = data.indexOf('\r\n', offset + 1);
  if (lineEnd === -1) return null;

  const type = String.fromCharCode(data[offset]);
  const line = data.toString('latin1', offset + 1, lineEnd);
  const afterLine = lineEnd + 2;

  switch (type) {
    case '+':
    case '-':
    case ',':
      return { end: afterLine, children: 0 };
    case ':':
    case '(':
      checkLine(/^[+-]?\d+$/, line, 'integer', offset);
      return { end: afterLine, children: 0 };
    case '#':
      checkLine(/^[tf]$/, line, 'boolean', offset);
      return { end: afterLine, children: 0 };
    case '_':
      checkLine(/^$/, line, 'null', offset);
      return { end: afterLine, children: 0 };
    case '$':
    case '!':
    case '=':
      return scanBlob(data, type, line, offset, afterLine);
    case '*':
    case '~':
    case '>':
      return { end: afterLine, children: parseCount(type, line, offset, 1) };
    case '%':
      return { end: afterLine, children: parseCount(type, line, offset, 2) };
    case '|':
      // The attribute's pairs, then the reply it annotates.
      return { end: afterLine, children: parseCount(type, line, offset, 2) + 1 };
    default:
      throw new RespSyntaxError(`invalid RESP type byte ${formatBytes(type)}`, offset);
  }
}

function scanBlob(
  data: Buffer,
  type: string,
  line: string,
  offset: number,
  afterLine: number,
): ValueHeader | null {
  if (type === '$' && line === '-1') return { end: afterLine, children: 0 };

  const length = parseLength(type, line, offset);
  const payloadEnd = afterLine + length;
  if (payloadEnd + 2 > data.length) return null;

  if (data[payloadEnd] !== 0x0d || data[payloadEnd + 1] !== 0x0a) {
    throw new RespSyntaxError(`missing CRLF after ${length}-byte '${type}' payload`, payloadEnd);
  }

  if (type === '=' && (length < 4 || data[afterLine + 3] !== 0x3a)) {
    throw new RespSyntaxError("verbatim string without a 'xxx:' format prefix", afterLine);
  }

  return { end: payloadEnd + 2, children: 0 };
}

function parseCount(type: string, line: string, offset: number, perElement: number): number {
  if (type === '*' && line === '-1') return 0;
  return parseLength(type, line, offset) * perElement;
}

function parseLength(type: string, line: string, offset: number): number {
  if (line === '?') {
    throw new RespSyntaxError(`streamed '${type}' values are not supported`, offset);
  }

  checkLine(/^\d{1,10}$/, line, `'${type}' length`, offset);
  return Number(line);
}

function checkLine(pattern: RegExp, line: string, kind: string, offset: number): void {
  if (!pattern.test(line)) {
    throw new RespSyntaxError(`invalid ${kind} ${formatBytes(line)}`, offset);
  }
}
