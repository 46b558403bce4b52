/**
 * The Lua 5.4 virtual machine, compiled to WebAssembly by the `wasmoon`
 * package. Damselfly uses only its raw C API (`lua_*` and `luaL_*` exports
 * of the Emscripten module), not wasmoon's JavaScript wrappers, so that
 * strings cross as bytes and no hidden conversions run.
 *
 * Pointers into WebAssembly memory are plain numbers. `lua_Integer` values
 * (64-bit) cross as bigint. A Lua error raised inside the VM unwinds by
 * throwing a JavaScript number (Emscripten's longjmp), which must never be
 * caught by code between the VM and the protected call that expects it.
 */
import { LuaFactory } from 'wasmoon';

export type LuaPointer = number;

/** The C API functions Damselfly calls, as the Emscripten module exports them. */
export interface LuaApi {
  _malloc(size: number): LuaPointer;
  _free(pointer: LuaPointer): void;
  _realloc(pointer: LuaPointer, size: number): LuaPointer;
  _lua_newstate(allocator: LuaPointer, userData: LuaPointer): LuaPointer;
  _lua_close(L: LuaPointer): void;
  _lua_newthread(L: LuaPointer): LuaPointer;
  _lua_resetthread(L: LuaPointer): number;
  _lua_atpanic(L: LuaPointer, panic: LuaPointer): LuaPointer;
  _lua_gettop(L: LuaPointer): number;
  _lua_settop(L: LuaPointer, index: number): void;
  _lua_pushvalue(L: LuaPointer, index: number): void;
  _lua_rotate(L: LuaPointer, index: number, n: number): void;
  _lua_checkstack(L: LuaPointer, n: number): number;
  _lua_xmove(from: LuaPointer, to: LuaPointer, n: number): void;
  _lua_type(L: LuaPointer, index: number): number;
  _lua_isinteger(L: LuaPointer, index: number): number;
  _lua_tonumberx(L: LuaPointer, index: number, isNumber: LuaPointer): number;
  _lua_tointegerx(L: LuaPointer, index: number, isNumber: LuaPointer): bigint;
  _lua_toboolean(L: LuaPointer, index: number): number;
  _lua_tolstring(L: LuaPointer, index: number, length: LuaPointer): LuaPointer;
  _lua_rawlen(L: LuaPointer, index: number): number;
  _lua_topointer(L: LuaPointer, index: number): LuaPointer;
  _lua_tothread(L: LuaPointer, index: number): LuaPointer;
  _lua_tocfunction(L: LuaPointer, index: number): LuaPointer;
  _lua_copy(L: LuaPointer, from: number, to: number): void;
  _lua_pushnil(L: LuaPointer): void;
  _lua_pushnumber(L: LuaPointer, value: number): void;
  _lua_pushinteger(L: LuaPointer, value: bigint): void;
  _lua_pushlstring(L: LuaPointer, bytes: LuaPointer, length: number): LuaPointer;
  _lua_pushcclosure(L: LuaPointer, fn: LuaPointer, upvalues: number): void;
  _lua_pushboolean(L: LuaPointer, value: number): void;
  _lua_pushlightuserdata(L: LuaPointer, pointer: LuaPointer): void;
  _lua_rawget(L: LuaPointer, index: number): number;
  _lua_rawgeti(L: LuaPointer, index: number, n: bigint): number;
  _lua_createtable(L: LuaPointer, arraySize: number, hashSize: number): void;
  _lua_rawset(L: LuaPointer, index: number): void;
  _lua_rawseti(L: LuaPointer, index: number, n: bigint): void;
  _lua_setupvalue(L: LuaPointer, funcIndex: number, n: number): LuaPointer;
  _lua_pcallk(
    L: LuaPointer,
    nargs: number,
    nresults: number,
    handler: number,
    context: number,
    continuation: LuaPointer,
  ): number;
  _lua_yieldk(L: LuaPointer, nresults: number, context: number, continuation: LuaPointer): number;
  _lua_resume(L: LuaPointer, from: LuaPointer, nargs: number, nresults: LuaPointer): number;
  _lua_status(L: LuaPointer): number;
  _lua_isyieldable(L: LuaPointer): number;
  _lua_error(L: LuaPointer): number;
  _lua_next(L: LuaPointer, index: number): number;
  _lua_concat(L: LuaPointer, n: number): void;
  _lua_getinfo(L: LuaPointer, what: LuaPointer, debugInfo: LuaPointer): number;
  _lua_sethook(L: LuaPointer, hook: LuaPointer, mask: number, count: number): void;
  _luaL_loadbufferx(
    L: LuaPointer,
    bytes: LuaPointer,
    length: number,
    name: LuaPointer,
    mode: LuaPointer,
  ): number;
  _luaL_ref(L: LuaPointer, table: number): number;
  _luaL_unref(L: LuaPointer, table: number, ref: number): void;
  _luaL_openlibs(L: LuaPointer): void;
  _luaL_where(L: LuaPointer, level: number): void;
  _luaL_checklstring(L: LuaPointer, index: number, length: LuaPointer): LuaPointer;
  HEAPU8: Uint8Array;
  addFunction(fn: (...args: number[]) => number | void, signature: string): LuaPointer;
  /**
   * The module's function table, where a C function pointer is an index.
   * Present only when the raw exports are in use.
   */
  functionTable?: FunctionTable;
}

/** The parts of a WebAssembly.Table of functions used here. */
export interface FunctionTable {
  get(index: number): (L: LuaPointer) => number;
}

/** Status codes of lua_pcall and lua_resume. */
export const LUA_OK = 0;
export const LUA_YIELD = 1;
export const LUA_ERRRUN = 2;
export const LUA_ERRMEM = 4;

/** Value types of lua_type. */
export const LUA_TNIL = 0;
export const LUA_TBOOLEAN = 1;
export const LUA_TLIGHTUSERDATA = 2;
export const LUA_TNUMBER = 3;
export const LUA_TSTRING = 4;
export const LUA_TTABLE = 5;
export const LUA_TFUNCTION = 6;

export const LUA_REGISTRYINDEX = -1001000;
export const LUA_MASKCOUNT = 8;
export const LUA_MULTRET = -1;

/** Byte offset of `source` in struct lua_Debug on wasm32 (after an int and three pointers). */
export const LUA_DEBUG_SOURCE_OFFSET = 16;

/** Returns the pseudo-index of upvalue `n` (1-based) of the running C closure. */
export function upvalueIndex(n: number): number {
  return LUA_REGISTRYINDEX - n;
}

let loading: Promise<LuaApi> | null = null;
let loaded: LuaApi | null = null;

/**
 * Instantiates the WebAssembly module once per process. WebAssembly
 * compiles asynchronously, so the server awaits this before it serves
 * clients or loads data (function libraries are part of snapshots).
 */
export function loadLuaApi(): Promise<LuaApi> {
  loading ??= instantiate().then((api) => {
    loaded = api;
    return api;
  });
  return loading;
}

/** The parts of the global WebAssembly object used here (TypeScript's ES2022 lib lacks it). */
interface WebAssemblyRuntime {
  instantiate: (...args: unknown[]) => Promise<unknown>;
}

type Exports = Record<string, unknown>;

/**
 * Loads wasmoon's module and keeps the WebAssembly instance's own exports.
 * wasmoon's build wraps each export in a checking function (an assertions
 * build) that costs more than the call itself, so the instance is taken
 * while wasmoon instantiates it, and the raw exports are used when found.
 */
async function instantiate(): Promise<LuaApi> {
  const runtime = (globalThis as unknown as { WebAssembly: WebAssemblyRuntime }).WebAssembly;
  const original = runtime.instantiate;
  let exports: Exports | null = null;
  runtime.instantiate = async (...args: unknown[]) => {
    const result = (await original.apply(runtime, args)) as { instance?: { exports: Exports } };
    exports = result.instance?.exports ?? (result as { exports: Exports }).exports ?? null;
    return result;
  };
  let module: LuaApi;
  try {
    module = (await new LuaFactory().getLuaModule()).module as unknown as LuaApi;
  } finally {
    runtime.instantiate = original;
  }
  return exports === null ? module : rawApi(exports, module);
}

/** The C API straight from the instance's exports, with memory and function table from the module. */
function rawApi(exports: Exports, module: LuaApi): LuaApi {
  const api: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === 'function') api[`_${name}`] = value;
  }
  for (const name of Object.keys(module) as (keyof LuaApi)[]) {
    if (name.startsWith('_lua') && api[name] === undefined) return module;
  }
  Object.defineProperty(api, 'HEAPU8', { get: () => module.HEAPU8 });
  const table = exports.__indirect_function_table as FunctionTable | undefined;
  if (table !== undefined && typeof table.get === 'function') api.functionTable = table;
  api.addFunction = module.addFunction.bind(module);
  return api as unknown as LuaApi;
}

/** Returns the module once loadLuaApi has resolved, else null. */
export function luaApi(): LuaApi | null {
  return loaded;
}
