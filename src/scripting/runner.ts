/**
 * Runs scripts on one Lua thread, atomically, and keeps a runaway script
 * stoppable.
 *
 * A script runs as a coroutine with an instruction-count hook. Until it has
 * run for busy-reply-threshold ms it runs to the end without returning to
 * the event loop, as in Redis: other clients' requests wait unread. Past the
 * threshold the hook yields every SLICE_MS, the caller is blocked, and the
 * event loop serves sockets between slices: other clients get BUSY (dispatch
 * checks `server.busyScript`), and SCRIPT KILL, FUNCTION KILL or SHUTDOWN
 * NOSAVE can end the script. Nothing else runs commands in between, so the
 * script stays atomic.
 */
import { performance } from 'node:perf_hooks';
import { SCRIPT_ERR } from '../engine/errors';
import type { ScriptingEngine } from './engine';
import { readInteger } from './lua-values';
import { INTERNAL_CHUNK } from './lua-sandbox';
import {
  LUA_DEBUG_SOURCE_OFFSET,
  LUA_MASKCOUNT,
  LUA_OK,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  LUA_YIELD,
  type LuaPointer,
} from './lua-wasm';
import type { Outcome, RunKind, ScriptRun } from './script-run';

/** Registry references of what the sandbox chunk exports. */
export interface SandboxEntries {
  runEval: number;
  runFunction: number;
  runLibrary: number;
  evalEnv: number;
  functionEnv: number;
  collect: number;
}

/** Instructions between two calls of the count hook (a few tens of microseconds). */
const HOOK_INSTRUCTIONS = 10_000;
/** How long a script past the threshold runs before it lets the event loop turn. */
const SLICE_MS = 10;
/**
 * How long a script past the threshold may run without a chance to pause
 * (inside MULTI/EXEC, or in a callback that Lua cannot yield from) before it
 * is stopped, since SCRIPT KILL cannot reach it there.
 */
const UNPAUSABLE_LIMIT_MS = 5_000;

export class ScriptRunner {
  readonly #engine: ScriptingEngine;
  /** The thread scripts run on, anchored in the registry by #threadRef. */
  thread: LuaPointer = 0;
  #threadRef = 0;
  readonly #hook: LuaPointer;
  readonly #resultCount: LuaPointer;
  /** The C string "S", for lua_getinfo. */
  readonly #sourceQuery: LuaPointer;
  /** Threads the hook yielded; the sandbox's coroutine.resume passes their pause up. */
  readonly #pausedThreads = new Set<LuaPointer>();
  #entries: SandboxEntries | null = null;
  /** The run in progress, also while it pauses between slices. */
  current: ScriptRun | null = null;

  constructor(engine: ScriptingEngine) {
    this.#engine = engine;
    const lua = engine.lua;
    const api = lua.api;
    this.#resultCount = api._malloc(4);
    this.#sourceQuery = api._malloc(2);
    api.HEAPU8.set([0x53, 0], this.#sourceQuery);
    this.#hook = api.addFunction(
      (L: number, debugInfo: number) => this.#guardedHook(L, debugInfo),
      'vii',
    );
    this.#newThread();
  }

  /**
   * Creates the script thread. A thread that an error left mid-run is
   * replaced instead of reset: an error raised by the hook leaves Lua's
   * "hooks allowed" state off on that thread, so its hook would never run again.
   */
  #newThread(): void {
    const lua = this.#engine.lua;
    const api = lua.api;
    const previous = this.#threadRef;
    let thread = 0;
    const failure = lua.protect((L) => {
      thread = api._lua_newthread(L);
      this.#threadRef = lua.ref();
    });
    if (failure !== null || thread === 0) {
      throw new Error(`cannot create the script thread: ${failure}`);
    }
    if (previous !== 0) lua.unref(previous);
    this.thread = thread;
    api._lua_sethook(thread, this.#hook, LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
  }

  attach(entries: SandboxEntries): void {
    this.#entries = entries;
  }

  /** Whether the hook paused `thread` since the last call; clears the mark. */
  takePaused(thread: LuaPointer): boolean {
    return this.#pausedThreads.delete(thread);
  }

  /** Marks a thread as paused by the host (a resumer passing an inner pause up). */
  markPaused(thread: LuaPointer): void {
    this.#pausedThreads.add(thread);
  }

  /**
   * Starts a run of the compiled function `functionRef`. The run settles
   * before this returns unless it pauses past the threshold; then the caller
   * is blocked until it settles.
   */
  start(run: ScriptRun, functionRef: number): void {
    const engine = this.#engine;
    const api = engine.lua.api;
    this.current = run;
    const client = engine.client;
    client.db = run.caller.db;
    client.user = run.caller.user;
    client.resp = 2;
    api._lua_settop(this.thread, 0);
    engine.lua.pushRef(this.thread, this.#entryFor(run.kind));
    engine.lua.pushRef(this.thread, functionRef);
    this.#resume(run, 1);
  }

  #entryFor(kind: RunKind): number {
    const entries = this.#entries as SandboxEntries;
    if (kind === 'eval') return entries.runEval;
    if (kind === 'function') return entries.runFunction;
    return entries.runLibrary;
  }

  #resume(run: ScriptRun, argumentCount: number): void {
    if (run.abandoned) return;
    // Slices matter once the run pauses; the first one starts with the run.
    if (run.paused) run.sliceStartedAt = performance.now();
    const api = this.#engine.lua.api;
    const status = api._lua_resume(this.thread, 0, argumentCount, this.#resultCount);
    if (status === LUA_YIELD && this.#pausedThreads.delete(this.thread)) {
      this.#pause(run);
      return;
    }
    this.#finish(run, status);
  }

  #pause(run: ScriptRun): void {
    if (!run.paused) {
      run.paused = true;
      run.caller.blocked = true;
      this.#engine.server.busyScript = run;
    }
    setImmediate(() => this.#resume(run, 0));
  }

  #finish(run: ScriptRun, status: number): void {
    const outcome = this.#outcome(run, status);
    try {
      run.settle(outcome);
    } finally {
      this.#cleanUp(run, status);
    }
  }

  /** Reads the result the sandbox's runner returned: xpcall's status and first value. */
  #outcome(run: ScriptRun, status: number): Outcome {
    const lua = this.#engine.lua;
    const api = lua.api;
    const thread = this.thread;
    if (status !== LUA_OK) {
      if (api._lua_type(thread, -1) === LUA_TTABLE) return this.#tableError(run, thread, -1);
      const message =
        lua.readStringValue(thread, -1) ?? 'attempt to yield from outside a coroutine';
      return this.#stringError(run, message);
    }
    if (api._lua_toboolean(thread, 1) !== 0) {
      if (api._lua_gettop(thread) < 2) api._lua_settop(thread, 2);
      return { ok: true };
    }
    if (api._lua_type(thread, 2) === LUA_TTABLE) return this.#tableError(run, thread, 2);
    return this.#stringError(run, lua.readStringValue(thread, 2) ?? 'error object is not a string');
  }

  #stringError(run: ScriptRun, message: string): Outcome {
    const text = message === 'not enough memory' ? SCRIPT_ERR.outOfMemory : message;
    return {
      ok: false,
      error: SCRIPT_ERR.running(run.name, text),
      message: text,
      alreadyCounted: false,
    };
  }

  /** Builds the reply for an error object {err=..., source=..., line=...}. */
  #tableError(run: ScriptRun, L: LuaPointer, at: number): Outcome {
    const lua = this.#engine.lua;
    const fields = this.#engine.fields;
    const api = lua.api;
    const pop = (): void => api._lua_settop(L, -2);
    const message = fields.get(L, at, 'err') === LUA_TSTRING ? lua.readString(L, -1) : null;
    pop();
    const source = fields.get(L, at, 'source') === LUA_TSTRING ? lua.readString(L, -1) : null;
    pop();
    const line = fields.get(L, at, 'line') === LUA_TNUMBER ? readInteger(lua, L, -1) : null;
    pop();
    fields.get(L, at, 'ignore_error_stats_update');
    const alreadyCounted = api._lua_toboolean(L, -1) !== 0;
    pop();
    const text = message ?? 'ERR unknown error';
    const error =
      source !== null && line !== null
        ? `${text} script: ${run.name}, on ${source}:${line}.`
        : text;
    return { ok: false, error, message: text, alreadyCounted };
  }

  #cleanUp(run: ScriptRun, status: number): void {
    const engine = this.#engine;
    const api = engine.lua.api;
    const server = engine.server;
    api._lua_settop(this.thread, 0);
    if (status !== LUA_OK) this.#newThread();
    else if (run.killed)
      api._lua_sethook(this.thread, this.#hook, LUA_MASKCOUNT, HOOK_INSTRUCTIONS);
    this.#pausedThreads.clear();
    this.current = null;
    engine.client.reply = engine.capture;
    engine.lua.trimScratch();
    if (run.multiJournaled) server.propagate(run.dbIndex, ['EXEC']);
    if (!run.paused) return;
    server.busyScript = null;
    run.caller.blocked = false;
    run.caller.transport.resume();
    server.blocking.serveReadyKeys();
  }

  /**
   * SCRIPT KILL (`eval`) or FUNCTION KILL (`function`): returns null when the
   * running script will stop, else the error reply.
   */
  kill(kind: 'eval' | 'function'): string | null {
    const run = this.current;
    if (run === null || run.kind === 'load' || !run.paused) return SCRIPT_ERR.notBusy;
    if (run.wrote) return SCRIPT_ERR.unkillable;
    if (kind === 'eval' && run.kind !== 'eval') return SCRIPT_ERR.busyFunction;
    if (kind === 'function' && run.kind === 'eval') return SCRIPT_ERR.busyEval;
    run.killed = true;
    return null;
  }

  /** The count hook. A JavaScript exception must not escape into the VM, so it becomes a Lua error. */
  #guardedHook(L: LuaPointer, debugInfo: LuaPointer): void {
    let fault: unknown;
    try {
      this.#onHook(L, debugInfo);
      return;
    } catch (error) {
      if (typeof error === 'number') throw error;
      fault = error;
    }
    this.#engine.lua.onFault(fault);
    this.#raise(L, 'ERR internal error');
  }

  #onHook(L: LuaPointer, debugInfo: LuaPointer): void {
    const run = this.current;
    if (run === null) return;
    const api = this.#engine.lua.api;
    if (run.killed) {
      // Raise again at every instruction, so pcall cannot keep the script alive.
      api._lua_sethook(L, this.#hook, LUA_MASKCOUNT, 1);
      this.#raiseInScript(L, debugInfo, SCRIPT_ERR.killed);
    }
    const now = performance.now();
    if (run.timeLimitMs > 0 && run.elapsedMs(now) > run.timeLimitMs) {
      this.#raiseInScript(L, debugInfo, SCRIPT_ERR.loadTimeout);
    }
    if (!run.timedOut) {
      if (run.elapsedMs(now) < this.#engine.server.config.number('lua-time-limit')) return;
      this.#markTimedOut(run, now);
    }
    if (now - run.sliceStartedAt < SLICE_MS) return;
    if (run.canPause && api._lua_isyieldable(L) !== 0) {
      run.lastPauseAt = now;
      this.#pausedThreads.add(L);
      api._lua_yieldk(L, 0, 0, 0);
      return;
    }
    if (now - run.lastPauseAt > UNPAUSABLE_LIMIT_MS) {
      this.#raiseInScript(L, debugInfo, SCRIPT_ERR.unpausable(UNPAUSABLE_LIMIT_MS));
    }
  }

  /**
   * Raises an error from the hook, unless the running function belongs to the
   * sandbox. An error there would escape the runner's xpcall, because the
   * sandbox's own code runs after the script's error was caught. The hook
   * then raises at the next instruction of the script instead.
   */
  #raiseInScript(L: LuaPointer, debugInfo: LuaPointer, text: string): void {
    const lua = this.#engine.lua;
    lua.api._lua_getinfo(L, this.#sourceQuery, debugInfo);
    const heap = lua.heap;
    const source = heap.readUInt32LE(debugInfo + LUA_DEBUG_SOURCE_OFFSET);
    const name = source === 0 ? '' : heap.latin1Slice(source, source + INTERNAL_CHUNK.length + 1);
    if (name === `${INTERNAL_CHUNK}\0`) return;
    this.#raise(L, text);
  }

  #markTimedOut(run: ScriptRun, now: number): void {
    run.timedOut = true;
    run.lastPauseAt = now;
    this.#engine.server.logger.warn(
      { script: run.name, elapsedMs: Math.round(run.elapsedMs(now)), client: run.caller.id },
      'slow script detected: still running past busy-reply-threshold; ' +
        'SCRIPT KILL or FUNCTION KILL can stop it unless it has written',
    );
  }

  /** Raises Redis's error object {err = text} on `L`. Never returns. */
  #raise(L: LuaPointer, text: string): never {
    const lua = this.#engine.lua;
    lua.pushErrorTable(L, text);
    lua.api._lua_error(L);
    throw new Error('lua_error returned');
  }
}
