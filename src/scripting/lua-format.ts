/**
 * string.format with Lua 5.1's treatment of arguments. Lua 5.4's %d, %i,
 * %o, %u, %x, %X and %c raise "number has no integer representation" for
 * 3.5. Redis 7.0's Lua 5.1 casts the number to a C integer instead:
 * truncated toward zero, and out of range as x86-64 casts it. Lua 5.1's %s
 * also rejects values other than strings and numbers and ends a short
 * string at a NUL byte. A %c of a NUL byte adds nothing there. The host
 * function replaces or checks such arguments. Then it runs Lua 5.4's own
 * string.format in its own call frame, so error messages keep the name and
 * position that the script's call gives them.
 *
 * NOTE: %q keeps Lua 5.4's behaviour, and so do conversion specs that Lua
 * 5.4 rejects but Lua 5.1 accepted, such as %05c.
 */
import type { LuaState } from './lua-state';
import { LUA_TNUMBER, LUA_TSTRING, upvalueIndex, type LuaPointer } from './lua-wasm';

const LLONG_MIN = -(2n ** 63n);
const TWO_POW_63 = 2 ** 63;
const INT_MIN = -(2 ** 31);
const TWO_POW_31 = 2 ** 31;

/** Flag, width and precision characters that may precede a conversion letter. */
const SPEC_CHARACTERS = new Set('-+ #0123456789.');
const INTEGER_LETTERS = 'diouxXc';
const FLOAT_LETTERS = 'aAeEfFgG';

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

/** One conversion of a format: its argument's stack index, its letter and the flags before it. */
interface Conversion {
  index: number;
  letter: string;
  spec: string;
  /** Offsets of the '%' and just past the letter in the format. */
  start: number;
  end: number;
}

/** Lists the conversions of a format in order. A "%%" takes no argument. */
function conversions(format: string): Conversion[] {
  const found: Conversion[] = [];
  let index = 1;
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== '%') continue;
    i++;
    if (format[i] === '%') continue;
    const start = i;
    while (i < format.length && SPEC_CHARACTERS.has(format[i])) i++;
    const spec = format.slice(start, i);
    found.push({ index: ++index, letter: format[i] ?? '', spec, start: start - 1, end: i + 1 });
  }
  return found;
}

/**
 * Returns Lua 5.1's integer for a number or numeric string argument, or
 * null when Lua 5.4 converts it the same way.
 */
function lua51Integer(lua: LuaState, L: LuaPointer, index: number, letter: string): bigint | null {
  const api = lua.api;
  const value = lua.toNumber(L, index) as number;
  const exact = api._lua_type(L, index) === LUA_TNUMBER && api._lua_isinteger(L, index) !== 0;
  if (letter === 'c') {
    if (exact && value >= INT_MIN && value < TWO_POW_31) return null;
    return castToInt(value);
  }
  if (exact) return null;
  if (Number.isInteger(value) && value >= -TWO_POW_63 && value < TWO_POW_63) return null;
  return letter === 'd' || letter === 'i' ? castToLong(value) : castToUnsignedLong(value);
}

function replaceArgument(
  lua: LuaState,
  L: LuaPointer,
  index: number,
  value: bigint | string,
): void {
  const api = lua.api;
  if (typeof value === 'bigint') api._lua_pushinteger(L, value);
  else lua.pushString(L, value);
  api._lua_copy(L, -1, index);
  api._lua_settop(L, -2);
}

/**
 * Gives a %s argument Lua 5.1's treatment. Only strings and numbers are
 * accepted, so luaL_checklstring raises Lua 5.1's error for other values.
 * A string shorter than 100 bytes, or one printed with a precision, went
 * through C's sprintf in Lua 5.1 and so ends at its first NUL byte.
 */
function prepareString(lua: LuaState, L: LuaPointer, conversion: Conversion): void {
  const api = lua.api;
  const type = api._lua_type(L, conversion.index);
  if (type === LUA_TNUMBER) return;
  if (type !== LUA_TSTRING) api._luaL_checklstring(L, conversion.index, 0);
  if (api._lua_rawlen(L, conversion.index) >= 100 && !conversion.spec.includes('.')) return;
  const text = lua.readString(L, conversion.index) as string;
  const end = text.indexOf('\0');
  if (end >= 0) replaceArgument(lua, L, conversion.index, text.slice(0, end));
}

/**
 * Prepares one argument; returns false when Lua 5.4's string.format will
 * raise an error for it, so later arguments must be left as they are.
 */
function prepareArgument(
  lua: LuaState,
  L: LuaPointer,
  conversion: Conversion,
  nulCharacters: Conversion[],
): boolean {
  const { index, letter } = conversion;
  if (letter === 's') {
    prepareString(lua, L, conversion);
    return true;
  }
  const isNumber = lua.toNumber(L, index) !== null;
  if (INTEGER_LETTERS.includes(letter)) {
    if (!isNumber) return false;
    const integer = lua51Integer(lua, L, index, letter);
    if (integer !== null) replaceArgument(lua, L, index, integer);
    const value = integer ?? lua.api._lua_tointegerx(L, index, 0);
    if (letter === 'c' && BigInt.asUintN(8, value) === 0n) nulCharacters.push(conversion);
    return true;
  }
  return isNumber && FLOAT_LETTERS.includes(letter);
}

/**
 * Rewrites each %c that prints a NUL byte as the %s of an empty string,
 * because Lua 5.1 kept a converted item only up to its first NUL byte. So
 * a width of w leaves w - 1 spaces, or none when left-aligned. Specs that
 * Lua 5.4 rejects for %c stay, so it still raises.
 */
function dropNulCharacters(
  lua: LuaState,
  L: LuaPointer,
  format: string,
  found: Conversion[],
): void {
  let rewritten = format;
  for (const conversion of found.reverse()) {
    const match = /^(-?)(\d{0,2})$/.exec(conversion.spec);
    if (match === null) continue;
    const width = match[1] === '' ? Math.max(Number(match[2]) - 1, 0) : 0;
    const spec = width > 0 ? `%${width}s` : '%s';
    rewritten = rewritten.slice(0, conversion.start) + spec + rewritten.slice(conversion.end);
    replaceArgument(lua, L, conversion.index, '');
  }
  replaceArgument(lua, L, 1, rewritten);
}

/** Replaces the arguments that Lua 5.4 would format or check differently from Lua 5.1. */
function prepareArguments(lua: LuaState, L: LuaPointer): void {
  const format = lua.readStringValue(L, 1);
  if (format === null || !format.includes('%')) return;
  const count = lua.api._lua_gettop(L);
  const nulCharacters: Conversion[] = [];
  for (const conversion of conversions(format)) {
    if (conversion.index > count || !prepareArgument(lua, L, conversion, nulCharacters)) break;
  }
  if (nulCharacters.length > 0) dropNulCharacters(lua, L, format, nulCharacters);
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
    prepareArguments(lua, L);
    return table.get(api._lua_tocfunction(L, upvalueIndex(1)))(L);
  };
}
