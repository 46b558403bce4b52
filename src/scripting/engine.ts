/**
 * The scripting engine of one server: a sandboxed Lua state shared by EVAL
 * scripts and function libraries (each sees its own globals), the client
 * that runs their commands, the script cache and the function libraries.
 */
import { Client, type Transport } from '../engine/client';
import { CommandError, SCRIPT_ERR } from '../engine/errors';
import type { Server } from '../engine/server';
import { FunctionLibraries } from './function-libraries';
import { createHostFunctions } from './host-functions';
import { LuaState } from './lua-state';
import { LuaFields } from './lua-values';
import { BIT_LIBRARY } from './lua-bit';
import { MSGPACK_LIBRARY } from './lua-msgpack';
import { INTERNAL_CHUNK, SANDBOX } from './lua-sandbox';
import { LUA_OK, loadLuaApi, luaApi, type LuaApi, type LuaPointer } from './lua-wasm';
import { ScriptRunner, type SandboxEntries } from './runner';
import { ScriptCache } from './script-cache';
import { ValueReply } from './value-reply';

/** The transport of the script client: it has no connection. */
const NO_TRANSPORT: Transport = {
  flushSoon: () => {},
  close: () => {},
  resume: () => {},
  remoteAddress: '',
  localAddress: '',
};

/** The globals table a compiled chunk reads: EVAL's or the functions'. */
export type Environment = 'eval' | 'function';

/** A compiled chunk kept in the Lua registry, or the compiler's message. */
export type Compiled = { ref: number } | { error: string };

export class ScriptingEngine {
  readonly server: Server;
  readonly lua: LuaState;
  readonly fields: LuaFields;
  /** The client whose commands scripts run, with the caller's database and user. */
  readonly client: Client;
  /** Captures the reply of each command a script runs. */
  readonly capture = new ValueReply();
  readonly runner: ScriptRunner;
  readonly scripts: ScriptCache;
  readonly functions: FunctionLibraries;
  readonly #entries: SandboxEntries;

  constructor(server: Server, api: LuaApi) {
    this.server = server;
    this.lua = new LuaState(api, () => server.config.number('lua-memory-limit'));
    this.lua.onFault = (error) =>
      server.logger.error({ err: error }, 'a Lua host function failed with an internal error');
    this.fields = new LuaFields(this.lua);
    this.client = new Client(server, NO_TRANSPORT, 0, true);
    this.client.authenticated = true;
    this.client.reply = this.capture;
    this.runner = new ScriptRunner(this);
    this.#entries = this.#buildSandbox();
    this.runner.attach(this.#entries);
    this.scripts = new ScriptCache(this);
    this.functions = new FunctionLibraries(this);
  }

  /** Runs the sandbox chunk with the host functions and keeps its entry points. */
  #buildSandbox(): SandboxEntries {
    const lua = this.lua;
    const api = lua.api;
    const host = createHostFunctions(this);
    let entries: SandboxEntries | null = null;
    let failure: string | null = null;
    const fault = lua.protect((L) => {
      api._luaL_openlibs(L);
      const bit = this.#runChunk(L, BIT_LIBRARY, 0);
      const msgpack = bit === null ? null : this.#runChunk(L, MSGPACK_LIBRARY, 0);
      if (bit === null || msgpack === null) {
        failure = 'cannot load the bit or cmsgpack library';
        return;
      }
      api._lua_createtable(L, 0, 16);
      for (const [name, fn] of Object.entries(host.functions)) {
        lua.pushName(L, name);
        api._lua_pushcclosure(L, fn, 0);
        api._lua_rawset(L, -3);
      }
      this.#setConstants(L, host.constants);
      const exported = this.#runChunk(L, SANDBOX, 3);
      if (exported === null) {
        failure = 'cannot build the sandbox';
        return;
      }
      entries = this.#exportEntries(L);
    });
    if (fault !== null || failure !== null || entries === null) {
      throw new Error(`cannot start the Lua sandbox: ${failure ?? fault}`);
    }
    return entries;
  }

  #setConstants(L: LuaPointer, constants: Record<string, string | number | null>): void {
    const api = this.lua.api;
    for (const [name, value] of Object.entries(constants)) {
      this.lua.pushName(L, name);
      if (value === null) api._lua_pushlightuserdata(L, 0);
      else if (typeof value === 'number') api._lua_pushinteger(L, BigInt(value));
      else this.lua.pushString(L, value);
      api._lua_rawset(L, -3);
    }
  }

  /**
   * Loads and calls an internal chunk with the `argumentCount` values on top
   * of the stack; leaves its first result there. Returns null on failure.
   */
  #runChunk(L: LuaPointer, code: string, argumentCount: number): true | null {
    const api = this.lua.api;
    if (this.lua.load(L, code, INTERNAL_CHUNK) !== LUA_OK) {
      this.server.logger.error(
        { err: this.lua.readString(L, -1) },
        'internal Lua chunk failed to load',
      );
      return null;
    }
    if (argumentCount > 0) api._lua_rotate(L, -1 - argumentCount, 1);
    if (api._lua_pcallk(L, argumentCount, 1, 0, 0, 0) !== LUA_OK) {
      this.server.logger.error({ err: this.lua.readString(L, -1) }, 'internal Lua chunk failed');
      return null;
    }
    return true;
  }

  /** Stores the sandbox's exported functions and environments in the registry. */
  #exportEntries(L: LuaPointer): SandboxEntries {
    const api = this.lua.api;
    const table = api._lua_gettop(L);
    const ref = (name: string): number => {
      this.lua.pushName(L, name);
      api._lua_rawget(L, table);
      return this.lua.ref();
    };
    return {
      runEval: ref('run_eval'),
      runFunction: ref('run_function'),
      runLibrary: ref('run_library'),
      evalEnv: ref('eval_env'),
      functionEnv: ref('function_env'),
      collect: ref('collect'),
    };
  }

  /**
   * Compiles a text chunk with `_ENV` set to the environment's globals and
   * keeps the function in the registry.
   */
  compile(code: string, chunkName: string, environment: Environment): Compiled {
    const lua = this.lua;
    const api = lua.api;
    let result: Compiled = { error: 'not enough memory' };
    const fault = lua.protect((L) => {
      if (lua.load(L, code, chunkName) !== LUA_OK) {
        result = { error: lua.readString(L, -1) ?? 'unknown compile error' };
        return;
      }
      const env = environment === 'eval' ? this.#entries.evalEnv : this.#entries.functionEnv;
      lua.pushRef(L, env);
      api._lua_setupvalue(L, -2, 1);
      result = { ref: lua.ref() };
    });
    if (fault !== null && 'ref' in result) return { error: fault };
    return result;
  }

  /** Drops a compiled function. */
  release(ref: number): void {
    this.lua.unref(ref);
  }

  /** Runs a full garbage collection, after scripts or libraries were dropped. */
  collectGarbage(): void {
    const lua = this.lua;
    lua.protect((L) => {
      lua.pushRef(L, this.#entries.collect);
      lua.api._lua_pcallk(L, 0, 0, 0, 0, 0);
    });
  }
}

const engines = new WeakMap<Server, ScriptingEngine | null>();

/** Loads the Lua runtime; the server awaits this once before it serves clients. */
export async function prepareScripting(): Promise<void> {
  await loadLuaApi();
}

/**
 * Returns the source code of every function library, in load order. Empty
 * when no script has run yet, so a save does not start the Lua engine.
 */
export function functionLibraryCodes(server: Server): string[] {
  const engine = engines.get(server);
  if (engine === undefined || engine === null) return [];
  return [...engine.functions.libraries()].map((library) => library.code);
}

/**
 * Loads function libraries read from a snapshot or an append-only base file,
 * replacing libraries of the same name. Raises CommandError on a library
 * that does not compile or register.
 */
export function restoreFunctionLibraries(server: Server, codes: readonly string[]): void {
  if (codes.length === 0) return;
  const engine = scriptingOf(server);
  for (const code of codes) engine.functions.load(engine.client, code, true);
}

/** Returns the scripting engine of a server, creating it on first use. */
export function scriptingOf(server: Server): ScriptingEngine {
  const existing = engines.get(server);
  if (existing !== undefined && existing !== null) return existing;
  const api = luaApi();
  if (api === null || existing === null) throw new CommandError(SCRIPT_ERR.unavailable);
  try {
    const engine = new ScriptingEngine(server, api);
    engines.set(server, engine);
    return engine;
  } catch (error) {
    // Remembered, so the failure is logged once and later requests fail fast.
    engines.set(server, null);
    server.logger.error({ err: error }, 'cannot start the Lua engine; scripts will fail');
    throw new CommandError(SCRIPT_ERR.unavailable);
  }
}

/** Returns the engine if one was created, without creating it. */
export function existingScriptingOf(server: Server): ScriptingEngine | undefined {
  return engines.get(server) ?? undefined;
}
