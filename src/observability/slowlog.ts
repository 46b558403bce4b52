/**
 * The slow log: commands whose execution took at least
 * `slowlog-log-slower-than` microseconds, newest first, at most
 * `slowlog-max-len` of them, in Redis 7.0's entry shape.
 */
import type { Client } from '../engine/client';
import type { Server } from '../engine/server';

/** Arguments kept per entry; the last slot says how many more there were. */
const MAX_ARGUMENTS = 32;
/** Bytes kept per argument; the rest is replaced by a note of how many were cut. */
const MAX_ARGUMENT_BYTES = 128;

export interface SlowlogEntry {
  id: number;
  /** Unix time in seconds when the command ran. */
  time: number;
  durationMicros: number;
  args: string[];
  clientAddress: string;
  clientName: string;
}

/** Shortens the arguments as Redis stores them: 32 at most, each 128 bytes at most. */
export function trimArguments(args: readonly string[]): string[] {
  const kept = args.length > MAX_ARGUMENTS ? MAX_ARGUMENTS - 1 : args.length;
  const trimmed: string[] = [];
  for (let i = 0; i < kept; i++) {
    const arg = args[i];
    if (arg.length <= MAX_ARGUMENT_BYTES) trimmed.push(arg);
    else {
      const extra = arg.length - MAX_ARGUMENT_BYTES;
      trimmed.push(`${arg.slice(0, MAX_ARGUMENT_BYTES)}... (${extra} more bytes)`);
    }
  }
  if (kept < args.length) trimmed.push(`... (${args.length - kept} more arguments)`);
  return trimmed;
}

/** The slow log of one server. */
export class Slowlog {
  #entries: SlowlogEntry[] = [];
  #nextId = 0;
  #threshold = 10000;
  #maxLength = 128;

  constructor(server: Server) {
    server.config.watch('slowlog-log-slower-than', (value) => (this.#threshold = Number(value)));
    server.config.watch('slowlog-max-len', (value) => {
      this.#maxLength = Number(value);
      this.#trim();
    });
  }

  /** Whether a command that took `micros` belongs in the log. */
  isSlow(micros: number): boolean {
    return this.#threshold >= 0 && micros >= this.#threshold;
  }

  /** Adds an entry for a command that ran for `micros` microseconds. */
  record(client: Client, args: readonly string[], micros: number): void {
    this.#entries.unshift({
      id: this.#nextId++,
      time: Math.floor(Date.now() / 1000),
      durationMicros: Math.floor(micros),
      args: trimArguments(args),
      clientAddress: client.transport.remoteAddress,
      clientName: client.name,
    });
    this.#trim();
  }

  /** Returns the newest `count` entries (all when count is negative). */
  latest(count: number): readonly SlowlogEntry[] {
    return count < 0 ? this.#entries : this.#entries.slice(0, count);
  }

  get length(): number {
    return this.#entries.length;
  }

  reset(): void {
    this.#entries = [];
  }

  #trim(): void {
    if (this.#entries.length > this.#maxLength) this.#entries.length = this.#maxLength;
  }
}
