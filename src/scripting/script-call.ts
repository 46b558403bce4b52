/**
 * redis.call and redis.pcall: the gate a command passes inside a script, in
 * Redis 7.0's order (unknown command, arity, noscript, ACL, writes in a
 * read-only script, persistence errors), then its execution through the
 * command table on the script client with the reply captured as a value.
 * Scripts may touch keys they did not declare.
 */
import { resolveCommand, execute, writeRefusal } from '../engine/dispatch';
import type { RegisteredCommand } from '../engine/command';
import { ERR, SCRIPT_ERR } from '../engine/errors';
import type { ScriptingEngine } from './engine';
import type { LuaState } from './lua-state';
import { formatLuaFloat, pushReplyValue } from './lua-values';
import { LUA_TNUMBER, LUA_TSTRING, type LuaPointer } from './lua-wasm';
import type { ScriptRun } from './script-run';
import { ErrorValue, type ReplyValue } from './value-reply';

/**
 * Reads the arguments of a redis.call-like function: strings as they are,
 * numbers as Redis formats them (integers exactly, floats with %.17g).
 * Returns the error text for a missing or unsupported argument.
 */
export function readCommandArguments(lua: LuaState, L: LuaPointer): string[] | string {
  const api = lua.api;
  const count = api._lua_gettop(L);
  if (count === 0) return SCRIPT_ERR.noArguments;
  const args: string[] = new Array(count);
  for (let i = 1; i <= count; i++) {
    const type = api._lua_type(L, i);
    if (type === LUA_TSTRING) args[i - 1] = lua.readString(L, i) as string;
    else if (type !== LUA_TNUMBER) return SCRIPT_ERR.badArgument;
    else if (api._lua_isinteger(L, i) !== 0) args[i - 1] = api._lua_tointegerx(L, i, 0).toString();
    else args[i - 1] = formatLuaFloat(api._lua_tonumberx(L, i, 0));
  }
  return args;
}

/** Returns the script-specific text of an ACL denial. */
function aclError(denial: string): string {
  if (denial === ERR.noPermKey) return SCRIPT_ERR.aclKey;
  if (denial === ERR.noPermChannel) return SCRIPT_ERR.aclChannel;
  return SCRIPT_ERR.aclCommand;
}

/** Runs the gate; returns the command's table row or the error text. */
function admit(
  engine: ScriptingEngine,
  run: ScriptRun,
  args: string[],
): RegisteredCommand | string {
  const client = engine.client;
  const spec = resolveCommand(client, args);
  if (typeof spec === 'string') {
    return spec.startsWith('ERR wrong number of arguments')
      ? SCRIPT_ERR.wrongArity
      : SCRIPT_ERR.unknownCommand;
  }
  if (spec.flags.includes('noscript')) return SCRIPT_ERR.notAllowed;
  const denied = engine.server.security.acl.check(client, spec, args);
  if (denied !== null) return aclError(denied);
  if (!spec.isWrite) return spec;
  if (run.readOnly) return SCRIPT_ERR.writeInReadOnly;
  return writeRefusal(client) ?? spec;
}

/** Journals MULTI before a script's first write, so its effects replay atomically. */
function beforeWrite(engine: ScriptingEngine, run: ScriptRun): void {
  run.wrote = true;
  const server = engine.server;
  // Inside EXEC the transaction's own MULTI already wraps the script.
  if (run.multiJournaled || server.journal.length === 0 || run.caller.inTransaction) return;
  server.propagate(run.dbIndex, ['MULTI']);
  run.multiJournaled = true;
}

/** Runs one command for a script; returns its reply (an error reply is counted in the statistics). */
export function runScriptCommand(
  engine: ScriptingEngine,
  run: ScriptRun,
  args: string[],
): { value: ReplyValue } {
  const spec = admit(engine, run, args);
  if (typeof spec === 'string') {
    engine.server.countError(spec);
    return { value: new ErrorValue(spec) };
  }
  if (spec.isWrite) beforeWrite(engine, run);
  const client = engine.client;
  engine.server.stats.totalCommands++;
  client.reply = engine.capture;
  engine.capture.resp = run.resp;
  execute(client, spec, args);
  const value = engine.capture.take();
  return { value: value === undefined ? new ErrorValue(ERR.internal) : value };
}

/**
 * Host function behind redis.call (`raise` true) and redis.pcall: an error
 * reply is raised as an error object, or returned by pcall.
 */
export function redisCall(engine: ScriptingEngine, L: LuaPointer, raise: boolean): number {
  const lua = engine.lua;
  const api = lua.api;
  const run = engine.runner.current;
  const args = readCommandArguments(lua, L);
  let value: ReplyValue;
  if (run === null) value = new ErrorValue(ERR.internal);
  else if (typeof args === 'string') {
    engine.server.countError(args);
    value = new ErrorValue(args);
  } else value = runScriptCommand(engine, run, args).value;
  api._lua_settop(L, 0);
  if (!(value instanceof ErrorValue)) {
    pushReplyValue(lua, engine.fields, L, value);
    return 1;
  }
  // The error was counted when it happened, so returning it from the script does not count it again.
  lua.pushErrorTable(L, value.text);
  engine.fields.push(L, 'ignore_error_stats_update');
  api._lua_pushboolean(L, 1);
  api._lua_rawset(L, -3);
  return raise ? api._lua_error(L) : 1;
}

/**
 * Host function behind redis.acl_check_cmd: whether the caller's user may
 * run the command with these arguments. Raises for an unknown command.
 */
export function aclCheckCommand(engine: ScriptingEngine, L: LuaPointer): number {
  const lua = engine.lua;
  const args = readCommandArguments(lua, L);
  if (typeof args === 'string') return raiseError(lua, L, args);
  const server = engine.server;
  const base = server.commands.get(args[0].toLowerCase());
  const spec =
    base?.subcommands !== undefined && args.length > 1
      ? (base.subcommands.get(args[1].toLowerCase()) as RegisteredCommand | undefined)
      : base;
  if (spec === undefined) return raiseError(lua, L, SCRIPT_ERR.aclCheckCommand);
  const allowed = server.security.acl.check(engine.client, spec, args) === null;
  lua.api._lua_settop(L, 0);
  lua.api._lua_pushboolean(L, allowed ? 1 : 0);
  return 1;
}

/** Raises Redis's error object {err = text}. */
export function raiseError(lua: LuaState, L: LuaPointer, text: string): number {
  lua.api._lua_settop(L, 0);
  lua.pushErrorTable(L, text);
  return lua.api._lua_error(L);
}
