/**
 * The scripts' rawget and next. Scripts see globals and library tables
 * through empty read-only views, but Redis 7.0's are real tables that
 * rawget and next read directly. These host functions read the table
 * behind a view instead, from the sandbox's weak table of views. They are
 * C functions, so an argument error names the script's line even when the
 * script calls them in a tail call.
 */
import type { LuaState } from './lua-state';
import { LUA_REGISTRYINDEX, LUA_TNIL, LUA_TTABLE, type LuaPointer } from './lua-wasm';

/** Lua 5.1's type names by lua_type code (light and full userdata print alike). */
const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function'];
const OTHER_TYPE_NAMES = new Map([
  [7, 'userdata'],
  [8, 'thread'],
]);

export class RawAccess {
  readonly #lua: LuaState;
  /** Registry reference of the sandbox's table from view to real table, or null before it registers. */
  #views: number | null = null;

  constructor(lua: LuaState) {
    this.#lua = lua;
  }

  /** Stores the sandbox's table of views (host.register_views). */
  registerViews(L: LuaPointer): number {
    const api = this.#lua.api;
    api._lua_settop(L, 1);
    this.#views = api._luaL_ref(L, LUA_REGISTRYINDEX);
    return 0;
  }

  /** rawget(table, key) */
  rawget(L: LuaPointer): number {
    const api = this.#lua.api;
    this.#checkTable(L, 'rawget');
    if (api._lua_gettop(L) < 2)
      this.#lua.raiseWithPosition(L, argumentError(2, 'rawget', 'value expected'));
    api._lua_settop(L, 2);
    this.#resolveView(L);
    api._lua_rawget(L, 1);
    return 1;
  }

  /** next(table [, key]) */
  next(L: LuaPointer): number {
    const api = this.#lua.api;
    this.#checkTable(L, 'next');
    api._lua_settop(L, 2);
    this.#resolveView(L);
    if (api._lua_next(L, 1) !== 0) return 2;
    api._lua_pushnil(L);
    return 1;
  }

  #checkTable(L: LuaPointer, name: string): void {
    const api = this.#lua.api;
    const type = api._lua_gettop(L) === 0 ? null : api._lua_type(L, 1);
    if (type === LUA_TTABLE) return;
    const got = type === null ? 'no value' : (TYPE_NAMES[type] ?? OTHER_TYPE_NAMES.get(type));
    this.#lua.raiseWithPosition(L, argumentError(1, name, `table expected, got ${got}`));
  }

  /** Replaces the table at index 1 with the one behind it when it is a view. */
  #resolveView(L: LuaPointer): void {
    if (this.#views === null) return;
    const api = this.#lua.api;
    this.#lua.pushRef(L, this.#views);
    api._lua_pushvalue(L, 1);
    if (api._lua_rawget(L, -2) !== LUA_TNIL) api._lua_copy(L, -1, 1);
    api._lua_settop(L, 2);
  }
}

function argumentError(position: number, name: string, detail: string): string {
  return `bad argument #${position} to '${name}' (${detail})`;
}
