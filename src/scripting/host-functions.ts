/**
 * The JavaScript functions the Lua sandbox calls (its `host` table): the
 * redis.* functions implemented in the server, cjson, and the hooks the
 * sandbox's own Lua code needs.
 */
import { createHash } from 'node:crypto';
import { SCRIPT_ERR } from '../engine/errors';
import { REDIS_COMPATIBLE_VERSION } from '../version';
import type { ScriptingEngine } from './engine';
import { createLua51Format } from './lua-format';
import { jsonDecode, jsonEncode } from './lua-json';
import { RawAccess } from './raw-access';
import {
  LUA_MULTRET,
  LUA_OK,
  LUA_TNUMBER,
  LUA_TSTRING,
  upvalueIndex,
  type LuaPointer,
} from './lua-wasm';
import { aclCheckCommand, raiseError, redisCall } from './script-call';

export interface HostTable {
  functions: Record<string, LuaPointer>;
  /** Values the sandbox reads once; null stands for a NULL light userdata (cjson.null). */
  constants: Record<string, string | number | null>;
}

/** Redis log levels of redis.log, as pino levels. */
const LOG_LEVELS = ['debug', 'debug', 'info', 'warn'] as const;

/** REDIS_VERSION_NUM: 0x00MMmmpp. */
function versionNumber(version: string): number {
  const [major, minor, patch] = version.split('.').map(Number);
  return (major << 16) | (minor << 8) | patch;
}

export function createHostFunctions(engine: ScriptingEngine): HostTable {
  const lua = engine.lua;
  const api = lua.api;
  const define = (fn: (L: LuaPointer) => number): LuaPointer => lua.hostFunction(fn);
  const libraryCall = define((L) => callLibraryFunction(engine, L));
  const lua51Format = createLua51Format(lua);
  const formatCall = lua51Format === null ? null : define(lua51Format);
  const rawAccess = new RawAccess(lua);
  const functions: Record<string, LuaPointer> = {
    call: define((L) => redisCall(engine, L, true)),
    pcall: define((L) => redisCall(engine, L, false)),
    acl_check_cmd: define((L) => aclCheckCommand(engine, L)),
    sha1hex: define((L) => sha1hex(engine, L)),
    log: define((L) => log(engine, L)),
    setresp: define((L) => setResp(engine, L)),
    set_repl: define((L) => setRepl(engine, L)),
    error: define((L) => raiseLuaError(engine, L)),
    wrap: define((L) => {
      api._lua_settop(L, 1);
      api._lua_pushcclosure(L, libraryCall, 1);
      return 1;
    }),
    // Returns string.format with Lua 5.1's argument handling, or the argument unchanged.
    lua51_format: define((L) => {
      api._lua_settop(L, 1);
      if (formatCall !== null) api._lua_pushcclosure(L, formatCall, 1);
      return 1;
    }),
    register_views: define((L) => rawAccess.registerViews(L)),
    rawget: define((L) => rawAccess.rawget(L)),
    next: define((L) => rawAccess.next(L)),
    json_encode: define((L) => jsonEncode(lua, L)),
    json_decode: define((L) => jsonDecode(lua, L)),
    arguments: define((L) => pushArguments(engine, L)),
    register: define((L) => engine.functions.register(L)),
    paused: define((L) => {
      const paused = engine.runner.takePaused(api._lua_tothread(L, 1));
      api._lua_settop(L, 0);
      api._lua_pushboolean(L, paused ? 1 : 0);
      return 1;
    }),
    mark_paused: define((L) => {
      engine.runner.markPaused(L);
      return 0;
    }),
  };
  const constants = {
    version: REDIS_COMPATIBLE_VERSION,
    version_number: versionNumber(REDIS_COMPATIBLE_VERSION),
    json_null: null,
  };
  return { functions, constants };
}

/**
 * The scripts' error(message [, level]), with Lua 5.1's rule: a string or
 * number message gets the position of the code `level` calls up.
 */
function raiseLuaError(engine: ScriptingEngine, L: LuaPointer): number {
  const lua = engine.lua;
  const api = lua.api;
  const level = api._lua_gettop(L) >= 2 ? Math.trunc(lua.toNumber(L, 2) ?? 1) : 1;
  api._lua_settop(L, 1);
  const type = api._lua_type(L, 1);
  if ((type === LUA_TSTRING || type === LUA_TNUMBER) && level > 0) {
    api._luaL_where(L, level);
    api._lua_pushvalue(L, 1);
    api._lua_concat(L, 2);
  }
  return api._lua_error(L);
}

/**
 * The C wrapper of a library function written in Lua (its upvalue): calls
 * it and re-raises a string error with the caller's position.
 */
function callLibraryFunction(engine: ScriptingEngine, L: LuaPointer): number {
  const api = engine.lua.api;
  const argumentCount = api._lua_gettop(L);
  api._lua_pushvalue(L, upvalueIndex(1));
  api._lua_rotate(L, 1, 1);
  if (api._lua_pcallk(L, argumentCount, LUA_MULTRET, 0, 0, 0) === LUA_OK) return api._lua_gettop(L);
  if (api._lua_type(L, -1) === LUA_TSTRING) {
    api._luaL_where(L, 1);
    api._lua_rotate(L, -2, 1);
    api._lua_concat(L, 2);
  }
  return api._lua_error(L);
}

function sha1hex(engine: ScriptingEngine, L: LuaPointer): number {
  const lua = engine.lua;
  if (lua.api._lua_gettop(L) !== 1) return raiseError(lua, L, SCRIPT_ERR.sha1Arguments);
  const text = lua.readString(L, 1) ?? '';
  lua.api._lua_settop(L, 0);
  lua.pushName(L, createHash('sha1').update(text, 'latin1').digest('hex'));
  return 1;
}

/** redis.log(level, message...): writes the words, separated by spaces, to the server log. */
function log(engine: ScriptingEngine, L: LuaPointer): number {
  const lua = engine.lua;
  const api = lua.api;
  const count = api._lua_gettop(L);
  if (count < 2) return raiseError(lua, L, SCRIPT_ERR.logArguments);
  const number = lua.toNumber(L, 1);
  if (number === null) return raiseError(lua, L, SCRIPT_ERR.logLevelType);
  const level = Math.trunc(number);
  if (level < 0 || level >= LOG_LEVELS.length) {
    return raiseError(lua, L, SCRIPT_ERR.logLevel);
  }
  const words: string[] = [];
  for (let i = 2; i <= count; i++) {
    const word = lua.readString(L, i);
    if (word !== null) words.push(word);
  }
  const run = engine.runner.current;
  engine.server.logger[LOG_LEVELS[level]]({ script: run?.name }, words.join(' '));
  api._lua_settop(L, 0);
  return 0;
}

/** redis.setresp(2|3): the protocol the following redis.call replies convert from. */
function setResp(engine: ScriptingEngine, L: LuaPointer): number {
  const lua = engine.lua;
  const api = lua.api;
  if (api._lua_gettop(L) !== 1) return raiseError(lua, L, SCRIPT_ERR.setrespArguments);
  const version = Math.trunc(api._lua_tonumberx(L, 1, 0));
  if (version !== 2 && version !== 3) return raiseError(lua, L, SCRIPT_ERR.setrespVersion);
  const run = engine.runner.current;
  if (run !== null) run.resp = version;
  engine.client.resp = version;
  api._lua_settop(L, 0);
  return 0;
}

const PROPAGATE_AOF = 1;
const PROPAGATE_REPLICA = 2;

/**
 * redis.set_repl(flags): accepted and checked. Damselfly journals a
 * script's effects, every write command it ran, so the flags change nothing.
 */
function setRepl(engine: ScriptingEngine, L: LuaPointer): number {
  const lua = engine.lua;
  const api = lua.api;
  if (api._lua_gettop(L) !== 1) return raiseError(lua, L, SCRIPT_ERR.setReplArguments);
  const flags = Math.trunc(api._lua_tonumberx(L, 1, 0));
  if ((flags & ~(PROPAGATE_AOF | PROPAGATE_REPLICA)) !== 0) {
    return raiseError(lua, L, SCRIPT_ERR.setReplFlags);
  }
  api._lua_settop(L, 0);
  return 0;
}

/** Pushes the KEYS and ARGV tables of the current run. */
function pushArguments(engine: ScriptingEngine, L: LuaPointer): number {
  const run = engine.runner.current;
  pushStrings(engine, L, run?.keys ?? []);
  pushStrings(engine, L, run?.args ?? []);
  return 2;
}

function pushStrings(engine: ScriptingEngine, L: LuaPointer, values: readonly string[]): void {
  const lua = engine.lua;
  const api = lua.api;
  api._lua_createtable(L, values.length, 0);
  for (let i = 0; i < values.length; i++) {
    lua.pushString(L, values[i]);
    api._lua_rawseti(L, -2, BigInt(i + 1));
  }
}
