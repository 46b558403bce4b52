/** The state of one script execution: EVAL, FCALL, or the code of FUNCTION LOAD. */
import { performance } from 'node:perf_hooks';
import type { Client } from '../engine/client';
import { SCRIPT_ERR } from '../engine/errors';
import type { BusyScript } from '../engine/server';

export type RunKind = 'eval' | 'function' | 'load';

/**
 * What a run produced: a value left on the script thread's stack, or an
 * error. `error` is the reply (with the script location) and `message` the
 * bare error text. `alreadyCounted` is true when the command that failed
 * inside the script already counted the error in the statistics.
 */
export type Outcome =
  { ok: true } | { ok: false; error: string; message: string; alreadyCounted: boolean };

export interface RunOptions {
  caller: Client;
  kind: RunKind;
  /** The SHA1 of an EVAL script, or the function name; errors and FUNCTION STATS show it. */
  name: string;
  /** The request that started the run, for FUNCTION STATS. */
  command: readonly string[];
  keys?: readonly string[];
  args?: readonly string[];
  /** Write commands are refused (EVAL_RO, FCALL_RO, a no-writes flag). */
  readOnly?: boolean;
  /** The run may return to the event loop once past busy-reply-threshold. */
  canPause?: boolean;
  /** A hard time limit in ms (FUNCTION LOAD's), or 0 for none. */
  timeLimitMs?: number;
  /** Called when the run ends, while a successful run's value is still on the stack. */
  settle: (outcome: Outcome) => void;
}

export class ScriptRun implements BusyScript {
  readonly caller: Client;
  readonly kind: RunKind;
  readonly name: string;
  readonly command: readonly string[];
  readonly keys: readonly string[];
  readonly args: readonly string[];
  readonly readOnly: boolean;
  readonly canPause: boolean;
  readonly timeLimitMs: number;
  readonly settle: (outcome: Outcome) => void;
  readonly startedAt = performance.now();
  /** The caller's database index when the run began; MULTI and EXEC are journaled there. */
  readonly dbIndex: number;
  /** When the current slice of execution began (a run resumes in slices once it paused). */
  sliceStartedAt = this.startedAt;
  /** When the run last returned to the event loop, or passed the threshold. */
  lastPauseAt = this.startedAt;
  /** The protocol redis.call replies in, chosen with redis.setresp. */
  resp: 2 | 3 = 2;
  /** Ran longer than busy-reply-threshold. */
  timedOut = false;
  /** SCRIPT KILL or FUNCTION KILL asked it to stop. */
  killed = false;
  /** Ran a write command, so it can no longer be killed. */
  wrote = false;
  /** MULTI was journaled before its first write; EXEC follows at the end. */
  multiJournaled = false;
  /** Returned to the event loop at least once; the caller then waits for its reply. */
  paused = false;
  /** The server is stopping; the run is never resumed. */
  abandoned = false;

  constructor(options: RunOptions) {
    this.caller = options.caller;
    this.kind = options.kind;
    this.name = options.name;
    this.command = options.command;
    this.keys = options.keys ?? [];
    this.args = options.args ?? [];
    this.readOnly = options.readOnly ?? false;
    this.canPause = options.canPause ?? false;
    this.timeLimitMs = options.timeLimitMs ?? 0;
    this.settle = options.settle;
    this.dbIndex = options.caller.db.id;
  }

  get busyError(): string {
    return this.kind === 'eval' ? SCRIPT_ERR.busyEval : SCRIPT_ERR.busyFunction;
  }

  abandon(): void {
    this.abandoned = true;
  }

  /** Milliseconds since the run began. */
  elapsedMs(now = performance.now()): number {
    return now - this.startedAt;
  }
}
