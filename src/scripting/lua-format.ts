/**
 * string.format with Lua 5.1's integer conversions. Lua 5.4's %d, %i, %o,
 * %u, %x, %X and %c raise "number has no integer representation" for 3.5.
 * Redis 7.0's Lua 5.1 casts the number to a C integer instead: truncated
 * toward zero, and out of range as x86-64 casts it. The host function
 * replaces such arguments with that integer. Then it runs Lua 5.4's own
 * string.format in its own call frame, so error messages keep the name and
 * position that the script's call gives them.
 *
 * NOTE: other Lua 5.1 differences stay. There, a %c that yields a NUL byte
 * adds nothing, a %s shorter than 100 bytes ends at its first NUL byte, and
 * %s rejects tables, booleans and nil, which Lua 5.4 prints.
 */
import type { LuaState } from './lua-state';
import { LUA_TNUMBER, LUA_TSTRING, upvalueIndex, type LuaPointer } from './lua-wasm';

const LLONG_MIN = -(2n ** 63n);
const TWO_POW_63 = 2 ** 63;
const INT_MIN = -(2 ** 31);
const TWO_POW_31 = 2 ** 31;

/** Flag, width and precision characters that may precede a conversion letter. */
const SPEC_CHARACTERS = new Set('-+ #0123456789.');

/** Casts a double to a signed 64-bit integer as x86-64's cvttsd2si: LLONG_MIN when out of range. */
function castToLong(value: number): bigint {
  if (Number.isNaN(value) || value >= TWO_POW_63 || value < -TWO_POW_63) return LLONG_MIN;
  return BigInt(Math.trunc(value));
}

/**
 * Casts a double to an unsigned 64-bit integer as GCC does on x86-64, and
 * returns the same 64 bits as a signed integer. From 2^63 on, it subtracts
 * 2^63 before the signed cast and sets the top bit again afterwards.
 */
function castToUnsignedLong(value: number): bigint {
  if (!(value >= TWO_POW_63)) return castToLong(value);
  return BigInt.asIntN(64, castToLong(value - TWO_POW_63) ^ LLONG_MIN);
}

/** Casts a double to a C int as x86-64 does: INT_MIN when out of range. */
function castToInt(value: number): bigint {
  if (Number.isNaN(value) || value >= TWO_POW_31 || value < INT_MIN) return BigInt(INT_MIN);
  return BigInt(Math.trunc(value));
}

/** Returns the argument positions (from 2) of the integer conversions in a format, with their letters. */
function integerConversions(format: string): Map<number, string> {
  const found = new Map<number, string>();
  let argument = 1;
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== '%') continue;
    i++;
    if (format[i] === '%') continue;
    while (i < format.length && SPEC_CHARACTERS.has(format[i])) i++;
    argument++;
    if ('diouxXc'.includes(format[i] ?? '')) found.set(argument, format[i]);
  }
  return found;
}

/**
 * Returns Lua 5.1's integer for the argument at `index`, or null when Lua
 * 5.4 converts it the same way (or raises the same error for it).
 */
function lua51Integer(lua: LuaState, L: LuaPointer, index: number, letter: string): bigint | null {
  const api = lua.api;
  const type = api._lua_type(L, index);
  if (type !== LUA_TNUMBER && type !== LUA_TSTRING) return null;
  const value = lua.toNumber(L, index);
  if (value === null) return null;
  if (letter === 'c') {
    const exact = type === LUA_TNUMBER && api._lua_isinteger(L, index) !== 0;
    if (exact && value >= INT_MIN && value < TWO_POW_31) return null;
    return castToInt(value);
  }
  if (type === LUA_TNUMBER && api._lua_isinteger(L, index) !== 0) return null;
  if (Number.isInteger(value) && value >= -TWO_POW_63 && value < TWO_POW_63) return null;
  return letter === 'd' || letter === 'i' ? castToLong(value) : castToUnsignedLong(value);
}

/** Replaces the arguments of integer conversions that Lua 5.4 would reject. */
function convertIntegerArguments(lua: LuaState, L: LuaPointer): void {
  const api = lua.api;
  const format = lua.readStringValue(L, 1);
  if (format === null || !format.includes('%')) return;
  const count = api._lua_gettop(L);
  for (const [index, letter] of integerConversions(format)) {
    if (index > count) break;
    const integer = lua51Integer(lua, L, index, letter);
    if (integer === null) continue;
    api._lua_pushinteger(L, integer);
    api._lua_copy(L, -1, index);
    api._lua_settop(L, -2);
  }
}

/**
 * Creates the host function behind the scripts' string.format, a C closure
 * whose upvalue is Lua 5.4's string.format. Returns null when the module's
 * function table is unavailable, so the sandbox keeps Lua 5.4's function.
 */
export function createLua51Format(lua: LuaState): ((L: LuaPointer) => number) | null {
  const table = lua.api.functionTable;
  if (table === undefined) return null;
  return (L) => {
    const api = lua.api;
    convertIntegerArguments(lua, L);
    return table.get(api._lua_tocfunction(L, upvalueIndex(1)))(L);
  };
}
