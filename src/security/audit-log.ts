/**
 * The audit log: one JSON object per line, appended to `audit-log-file`
 * (created with mode 0600). Each line's `prev` field is the SHA-256 (hex) of
 * the line before it, and the first line's is 64 zeros, so removing, changing
 * or reordering lines breaks the chain; `damselfly audit verify FILE` checks it.
 * Lines are queued and appended by asynchronous writes, so recording an event
 * never waits for the disk.
 */
import { createHash } from 'node:crypto';
import { chmodSync, fstatSync, openSync, readSync, write, close } from 'node:fs';
import type { Logger } from 'pino';

export const GENESIS_HASH = '0'.repeat(64);

/** How many bytes from the end of an existing file are read to find its last line. */
const TAIL_BYTES = 64 * 1024;

export function hashLine(line: string): string {
  return createHash('sha256').update(line, 'utf8').digest('hex');
}

export class AuditLog {
  readonly #fd: number;
  readonly #logger: Logger;
  #previous: string;
  #pending: string[] = [];
  #writing = false;
  #failed = false;
  #closed = false;
  #drained: (() => void)[] = [];

  /** Opens (or creates) the file and continues the chain from its last line. */
  constructor(path: string, logger: Logger) {
    this.#fd = openSync(path, 'a+', 0o600);
    chmodSync(path, 0o600);
    this.#logger = logger;
    this.#previous = lastLineHash(this.#fd);
  }

  /** Queues one event; `fields` must hold no secret (passwords are never passed here). */
  record(event: string, fields: Record<string, unknown> = {}): void {
    if (this.#closed) return;
    const line = JSON.stringify({
      prev: this.#previous,
      time: new Date().toISOString(),
      event,
      ...fields,
    });
    this.#previous = hashLine(line);
    this.#pending.push(`${line}\n`);
    if (!this.#writing) this.#writeNext();
  }

  #writeNext(): void {
    if (this.#pending.length === 0) {
      this.#writing = false;
      for (const resolve of this.#drained.splice(0)) resolve();
      return;
    }
    this.#writing = true;
    const bytes = Buffer.from(this.#pending.join(''), 'utf8');
    this.#pending = [];
    write(this.#fd, bytes, (error) => {
      if (error !== null) this.#reportFailure(error);
      this.#writeNext();
    });
  }

  #reportFailure(error: Error): void {
    // Logged once per run of failures, so a full disk does not flood the log.
    if (this.#failed) return;
    this.#failed = true;
    this.#logger.error({ err: error.message }, 'cannot append to the audit log');
  }

  /** Waits until every queued line is written, then closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#writing) await new Promise<void>((resolve) => this.#drained.push(resolve));
    await new Promise<void>((resolve) => close(this.#fd, () => resolve()));
  }

  /** Waits until every queued line is written (for tests and orderly shutdown). */
  flushed(): Promise<void> {
    if (!this.#writing) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }
}

/** Returns the hash of the last line of an open file, or the genesis hash when it is empty. */
function lastLineHash(fd: number): string {
  const size = fstatSync(fd).size;
  if (size === 0) return GENESIS_HASH;
  const length = Math.min(size, TAIL_BYTES);
  const buffer = Buffer.alloc(length);
  readSync(fd, buffer, 0, length, size - length);
  const lines = buffer
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '');
  return lines.length === 0 ? GENESIS_HASH : hashLine(lines[lines.length - 1]);
}

/** The outcome of checking an audit log's hash chain. */
export interface VerifyResult {
  lines: number;
  /** 1-based number of the first bad line, or 0 when the chain is intact. */
  brokenLine: number;
  reason: string;
}

/** Checks every line's `prev` against the hash of the line before it. */
export function verifyAuditText(text: string): VerifyResult {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let expected = GENESIS_HASH;
  for (let i = 0; i < lines.length; i++) {
    const reason = checkLine(lines[i], expected);
    if (reason !== '') return { lines: lines.length, brokenLine: i + 1, reason };
    expected = hashLine(lines[i]);
  }
  return { lines: lines.length, brokenLine: 0, reason: '' };
}

function checkLine(line: string, expected: string): string {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return 'not a JSON object';
  }
  if (typeof entry !== 'object' || entry === null) return 'not a JSON object';
  const prev = (entry as { prev?: unknown }).prev;
  if (typeof prev !== 'string') return 'missing the "prev" field';
  if (prev !== expected) return 'its "prev" hash does not match the line before it';
  return '';
}
