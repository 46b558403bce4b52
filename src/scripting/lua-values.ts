/**
 * Conversions between Lua values and replies, as Redis 7.0 documents them.
 *
 * Reply to Lua (what redis.call returns): integer to number, bulk string to
 * string, nil to false (nil with RESP3), array to table, status to {ok=...},
 * error to {err=...}; with RESP3 also map to {map=...}, set to {set=...},
 * double to {double=...}, boolean to boolean, verbatim string to
 * {verbatim_string={format=..., string=...}}.
 *
 * Lua to reply (what a script returns): number to integer (truncated),
 * string to bulk string, true to 1, false and nil to nil, a table array to
 * an array (up to the first nil), {ok=...} to status, {err=...} to error,
 * and {double=...}, {map=...}, {set=...}, {big_number=...},
 * {verbatim_string=...} to their RESP3 types.
 */
import { formatDoubleG17, RespWriter, type Reply } from '../protocol/resp/reply';
import type { LuaState } from './lua-state';
import {
  LUA_TBOOLEAN,
  LUA_TNIL,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  type LuaPointer,
} from './lua-wasm';
import {
  DoubleValue,
  ErrorValue,
  MapValue,
  SetValue,
  StatusValue,
  VerbatimValue,
  type ReplyValue,
} from './value-reply';

/** Field names the conversions look up, kept in the registry so pushing them never allocates. */
export const FIELD_NAMES = [
  'err',
  'ok',
  'double',
  'big_number',
  'map',
  'set',
  'verbatim_string',
  'format',
  'string',
  'source',
  'line',
  'ignore_error_stats_update',
] as const;

export type FieldName = (typeof FIELD_NAMES)[number];

/** Registry references of the field names, created once per Lua state. */
export class LuaFields {
  readonly #refs = new Map<FieldName, number>();
  readonly #lua: LuaState;

  constructor(lua: LuaState) {
    this.#lua = lua;
    const failure = lua.protect((L) => {
      for (const name of FIELD_NAMES) {
        lua.pushName(L, name);
        this.#refs.set(name, lua.ref());
      }
    });
    if (failure !== null) throw new Error(`cannot intern Lua field names: ${failure}`);
  }

  push(L: LuaPointer, name: FieldName): void {
    this.#lua.pushRef(L, this.#refs.get(name) as number);
  }

  /** Pushes `table[name]` for the table at `index` (a negative index is taken before the push). */
  get(L: LuaPointer, index: number, name: FieldName): number {
    const api = this.#lua.api;
    const table = index < 0 ? api._lua_gettop(L) + index + 1 : index;
    this.push(L, name);
    return api._lua_rawget(L, table);
  }
}

/** Deepest nesting a conversion follows, in either direction. */
const MAX_DEPTH = 1000;
const LLONG_MIN = -9223372036854775808n;
const TWO_POW_63 = 9223372036854775808;

/** Formats a Lua float argument as Redis 7.0 does (C's %.17g). */
export function formatLuaFloat(value: number): string {
  if (Number.isNaN(value)) return '-nan';
  return formatDoubleG17(value);
}

/** Converts a Lua float to a reply integer as C's cast does on x86: truncated, LLONG_MIN when out of range. */
export function truncateToInteger(value: number): number | bigint {
  if (Number.isNaN(value) || value >= TWO_POW_63 || value < -TWO_POW_63) return LLONG_MIN;
  const truncated = Math.trunc(value);
  if (Number.isSafeInteger(truncated)) return truncated === 0 ? 0 : truncated;
  return BigInt(truncated);
}

/** Pushes a captured reply as a Lua value. Runs inside a protected call: it may raise. */
export function pushReplyValue(
  lua: LuaState,
  fields: LuaFields,
  L: LuaPointer,
  value: ReplyValue,
  depth = 0,
): void {
  const api = lua.api;
  if (typeof value === 'string') lua.pushString(L, value);
  else if (typeof value === 'number') api._lua_pushinteger(L, BigInt(value));
  else if (typeof value === 'bigint') api._lua_pushinteger(L, value);
  else if (typeof value === 'boolean') api._lua_pushboolean(L, value ? 1 : 0);
  else if (value === null) api._lua_pushnil(L);
  else {
    if (depth >= MAX_DEPTH || api._lua_checkstack(L, 4) === 0) {
      lua.pushErrorTable(L, 'ERR reached lua stack limit');
      return;
    }
    pushStructured(lua, fields, L, value, depth);
  }
}

function pushStructured(
  lua: LuaState,
  fields: LuaFields,
  L: LuaPointer,
  value: Exclude<ReplyValue, string | number | bigint | boolean | null>,
  depth: number,
): void {
  const api = lua.api;
  if (Array.isArray(value)) {
    pushArray(lua, fields, L, value, depth);
  } else if (value instanceof StatusValue || value instanceof ErrorValue) {
    api._lua_createtable(L, 0, 1);
    fields.push(L, value instanceof StatusValue ? 'ok' : 'err');
    lua.pushString(L, value.text);
    api._lua_rawset(L, -3);
  } else if (value instanceof DoubleValue) {
    api._lua_createtable(L, 0, 1);
    fields.push(L, 'double');
    api._lua_pushnumber(L, value.value);
    api._lua_rawset(L, -3);
  } else if (value instanceof MapValue || value instanceof SetValue) {
    pushKeyed(lua, fields, L, value, depth);
  } else {
    pushVerbatim(lua, fields, L, value);
  }
}

function pushArray(
  lua: LuaState,
  fields: LuaFields,
  L: LuaPointer,
  items: ReplyValue[],
  depth: number,
): void {
  const api = lua.api;
  api._lua_createtable(L, items.length, 0);
  for (let i = 0; i < items.length; i++) {
    pushReplyValue(lua, fields, L, items[i], depth + 1);
    api._lua_rawseti(L, -2, BigInt(i + 1));
  }
}

/** Pushes {map = {key = value, ...}} or {set = {member = true, ...}}. */
function pushKeyed(
  lua: LuaState,
  fields: LuaFields,
  L: LuaPointer,
  value: MapValue | SetValue,
  depth: number,
): void {
  const api = lua.api;
  const isMap = value instanceof MapValue;
  const items = value.items;
  api._lua_createtable(L, 0, 1);
  fields.push(L, isMap ? 'map' : 'set');
  api._lua_createtable(L, 0, isMap ? items.length / 2 : items.length);
  for (let i = 0; i < items.length; i += isMap ? 2 : 1) {
    pushReplyValue(lua, fields, L, items[i], depth + 1);
    if (isMap) pushReplyValue(lua, fields, L, items[i + 1], depth + 1);
    else api._lua_pushboolean(L, 1);
    // A nil key (a RESP3 null) cannot index a table; such an entry is dropped.
    if (api._lua_type(L, -2) === LUA_TNIL) api._lua_settop(L, -3);
    else api._lua_rawset(L, -3);
  }
  api._lua_rawset(L, -3);
}

function pushVerbatim(lua: LuaState, fields: LuaFields, L: LuaPointer, value: VerbatimValue): void {
  const api = lua.api;
  api._lua_createtable(L, 0, 1);
  fields.push(L, 'verbatim_string');
  api._lua_createtable(L, 0, 2);
  fields.push(L, 'format');
  lua.pushName(L, 'txt');
  api._lua_rawset(L, -3);
  fields.push(L, 'string');
  lua.pushString(L, value.text);
  api._lua_rawset(L, -3);
  api._lua_rawset(L, -3);
}

const STACK_LIMIT_ERROR = 'ERR reached lua stack limit';

/** The settings for writing a script's result. */
export interface WriteMode {
  /** The protocol the script chose with redis.setresp: it decides how booleans convert. */
  resp3: boolean;
  /** Counts an error reply in the server's error statistics; null counts nothing. */
  countError: ((text: string) => void) | null;
}

/**
 * Writes the Lua value at `index` as a reply. Makes no allocating API call,
 * so it may run outside a protected call.
 */
export function writeLuaValue(
  lua: LuaState,
  fields: LuaFields,
  L: LuaPointer,
  index: number,
  reply: Reply,
  mode: WriteMode,
  depth = 0,
): void {
  const api = lua.api;
  const at = index < 0 ? api._lua_gettop(L) + index + 1 : index;
  switch (api._lua_type(L, at)) {
    case LUA_TSTRING:
      reply.bulk(lua.readString(L, at) as string);
      return;
    case LUA_TNUMBER:
      reply.int(readInteger(lua, L, at));
      return;
    case LUA_TBOOLEAN:
      writeBoolean(reply, api._lua_toboolean(L, at) !== 0, mode.resp3);
      return;
    case LUA_TTABLE:
      if (depth >= MAX_DEPTH || api._lua_checkstack(L, 4) === 0) {
        reply.error(STACK_LIMIT_ERROR);
        mode.countError?.(STACK_LIMIT_ERROR);
        return;
      }
      writeTable(lua, fields, L, at, reply, mode, depth);
      return;
    default:
      reply.nil();
  }
}

function writeBoolean(reply: Reply, value: boolean, resp3: boolean): void {
  if (resp3) reply.bool(value);
  else if (value) reply.int(1);
  else reply.nil();
}

/** Reads a Lua number as a reply integer: integers exactly, floats truncated. */
export function readInteger(lua: LuaState, L: LuaPointer, index: number): number | bigint {
  const api = lua.api;
  if (api._lua_isinteger(L, index) === 0) return truncateToInteger(api._lua_tonumberx(L, index, 0));
  const value = api._lua_tointegerx(L, index, 0);
  const small = Number(value);
  return Number.isSafeInteger(small) ? small : value;
}

function writeTable(
  lua: LuaState,
  fields: LuaFields,
  L: LuaPointer,
  at: number,
  reply: Reply,
  mode: WriteMode,
  depth: number,
): void {
  if (writeTagged(lua, fields, L, at, reply, mode, depth)) return;
  const api = lua.api;
  let count = 0;
  while (api._lua_rawgeti(L, at, BigInt(count + 1)) !== LUA_TNIL) {
    api._lua_settop(L, -2);
    count++;
  }
  api._lua_settop(L, -2);
  reply.array(count);
  for (let i = 1; i <= count; i++) {
    api._lua_rawgeti(L, at, BigInt(i));
    writeLuaValue(lua, fields, L, -1, reply, mode, depth + 1);
    api._lua_settop(L, -2);
  }
}

/** Writes a table carrying one of Redis's type fields; returns false for a plain array. */
function writeTagged(
  lua: LuaState,
  fields: LuaFields,
  L: LuaPointer,
  at: number,
  reply: Reply,
  mode: WriteMode,
  depth: number,
): boolean {
  const api = lua.api;
  const pop = (): void => api._lua_settop(L, -2);
  if (fields.get(L, at, 'err') === LUA_TSTRING) {
    const text = lua.readString(L, -1) as string;
    pop();
    reply.error(text);
    // As in Redis, an error counts in errorstats unless the call that raised it counted it.
    fields.get(L, at, 'ignore_error_stats_update');
    const counted = api._lua_toboolean(L, -1) !== 0;
    pop();
    if (!counted) mode.countError?.(text);
    return true;
  }
  pop();
  if (fields.get(L, at, 'ok') === LUA_TSTRING) {
    reply.simple(oneLine(lua.readString(L, -1) as string));
    pop();
    return true;
  }
  pop();
  if (fields.get(L, at, 'double') === LUA_TNUMBER) {
    writeDouble(reply, api._lua_tonumberx(L, -1, 0));
    pop();
    return true;
  }
  pop();
  if (fields.get(L, at, 'big_number') === LUA_TSTRING) {
    writeBigNumber(reply, lua.readString(L, -1) as string);
    pop();
    return true;
  }
  pop();
  return writeContainer(lua, fields, L, at, reply, mode, depth);
}

function writeContainer(
  lua: LuaState,
  fields: LuaFields,
  L: LuaPointer,
  at: number,
  reply: Reply,
  mode: WriteMode,
  depth: number,
): boolean {
  const api = lua.api;
  if (fields.get(L, at, 'map') === LUA_TTABLE) {
    writePairs(lua, fields, L, reply, mode, depth, true);
    api._lua_settop(L, -2);
    return true;
  }
  api._lua_settop(L, -2);
  if (fields.get(L, at, 'set') === LUA_TTABLE) {
    writePairs(lua, fields, L, reply, mode, depth, false);
    api._lua_settop(L, -2);
    return true;
  }
  api._lua_settop(L, -2);
  if (fields.get(L, at, 'verbatim_string') === LUA_TTABLE) {
    const written = writeVerbatim(lua, fields, L, reply);
    api._lua_settop(L, -2);
    return written;
  }
  api._lua_settop(L, -2);
  return false;
}

/** Writes the table on top of the stack as a map (keys and values) or a set (keys). */
function writePairs(
  lua: LuaState,
  fields: LuaFields,
  L: LuaPointer,
  reply: Reply,
  mode: WriteMode,
  depth: number,
  isMap: boolean,
): void {
  const api = lua.api;
  const table = api._lua_gettop(L);
  let count = 0;
  api._lua_pushnil(L);
  while (api._lua_next(L, table) !== 0) {
    count++;
    api._lua_settop(L, -2);
  }
  if (isMap) reply.map(count);
  else reply.set(count);
  api._lua_pushnil(L);
  while (api._lua_next(L, table) !== 0) {
    writeLuaValue(lua, fields, L, -2, reply, mode, depth + 1);
    if (isMap) writeLuaValue(lua, fields, L, -1, reply, mode, depth + 1);
    api._lua_settop(L, -2);
  }
}

function writeVerbatim(lua: LuaState, fields: LuaFields, L: LuaPointer, reply: Reply): boolean {
  const api = lua.api;
  const format = fields.get(L, -1, 'format') === LUA_TSTRING ? lua.readString(L, -1) : null;
  api._lua_settop(L, -2);
  const hasString = fields.get(L, -1, 'string') === LUA_TSTRING;
  if (format !== null && hasString)
    writeVerbatimText(reply, format, lua.readString(L, -1) as string);
  api._lua_settop(L, -2);
  return format !== null && hasString;
}

const doubleBits = new Float64Array(1);
const doubleWords = new BigUint64Array(doubleBits.buffer);

/**
 * Writes a script's double. Redis 7.0 prints a NaN with its sign, as glibc
 * does ("-nan" for 0/0 on x86), while the Reply interface always writes "nan".
 */
function writeDouble(reply: Reply, value: number): void {
  if (!Number.isNaN(value)) {
    reply.double(value);
    return;
  }
  doubleBits[0] = value;
  const text = doubleWords[0] >> 63n === 1n ? '-nan' : 'nan';
  if (reply.resp === 3 && reply instanceof RespWriter) reply.raw(Buffer.from(`,${text}\r\n`));
  else if (reply.resp === 3) reply.double(value);
  else reply.bulk(text);
}

/**
 * Writes a RESP3 big number (`(digits`) as Redis 7.0 does: the text goes
 * out as it is, unchecked, even with CR or LF in it. RESP2 clients get a
 * bulk string.
 */
function writeBigNumber(reply: Reply, number: string): void {
  const text = oneLine(number);
  if (reply.resp === 3 && reply instanceof RespWriter)
    reply.raw(Buffer.from(`(${text}\r\n`, 'latin1'));
  else reply.bulk(text);
}

/**
 * Replaces each CR and LF with a space, as Redis does to a script's status
 * reply and big number, which are sent as one line.
 */
function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}

/**
 * Writes a verbatim string with the script's format, cut or padded with
 * spaces to three bytes, as Redis 7.0 does. The Reply interface only writes
 * "txt", so a RESP3 connection gets the bytes directly. RESP2 clients get a
 * bulk string.
 */
function writeVerbatimText(reply: Reply, format: string, text: string): void {
  if (reply.resp !== 3 || !(reply instanceof RespWriter)) {
    reply.verbatim(text);
    return;
  }
  // Redis reads the format as a C string, so it also ends at a NUL byte.
  const prefix = format.split('\0')[0].slice(0, 3).padEnd(3, ' ');
  const header = `=${text.length + 4}\r\n${prefix}:`;
  reply.raw(Buffer.from(`${header}${text}\r\n`, 'latin1'));
}
