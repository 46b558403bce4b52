/**
 * cjson.encode and cjson.decode for scripts, following lua-cjson 2.1 as
 * Redis bundles it: numbers with 14 significant digits, "/" escaped, an
 * empty table encoded as an object, sparse arrays refused, JSON null decoded
 * as cjson.null (a NULL light userdata), and the same error texts.
 *
 * Errors are raised with the caller's position, as lua-cjson's luaL_error
 * does.
 */
import type { LuaState } from './lua-state';
import {
  LUA_TBOOLEAN,
  LUA_TLIGHTUSERDATA,
  LUA_TNIL,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TTABLE,
  type LuaPointer,
} from './lua-wasm';

const MAX_DEPTH = 1000;
const SPARSE_RATIO = 2;
const SPARSE_SAFE = 10;

const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function'];

function typeName(type: number): string {
  return TYPE_NAMES[type] ?? (type === 7 ? 'userdata' : 'thread');
}

class JsonError extends Error {}

/** Formats a finite float as C's `%.<precision>g`; lua-cjson uses a precision of 14. */
export function formatG(value: number, precision: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, power] = value.toExponential(precision - 1).split('e');
  const exponent = Number(power);
  if (exponent < -4 || exponent >= precision) {
    const sign = exponent < 0 ? '-' : '+';
    return `${trimFraction(mantissa)}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return trimFraction(value.toFixed(precision - 1 - exponent));
}

function trimFraction(text: string): string {
  if (!text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}

const ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x2f: '\\/',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x7f: '\\u007f',
};

function escapeString(text: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const escape =
      ESCAPES[code] ?? (code < 0x20 ? `\\u${code.toString(16).padStart(4, '0')}` : null);
    if (escape === null) continue;
    out += text.slice(start, i) + escape;
    start = i + 1;
  }
  return `${out}${text.slice(start)}"`;
}

/** Walks a Lua value into JSON text. */
class Encoder {
  readonly #lua: LuaState;
  readonly #L: LuaPointer;

  constructor(lua: LuaState, L: LuaPointer) {
    this.#lua = lua;
    this.#L = L;
  }

  value(index: number, depth: number, out: string[]): void {
    const api = this.#lua.api;
    const L = this.#L;
    const type = api._lua_type(L, index);
    if (type === LUA_TSTRING) out.push(escapeString(this.#lua.readString(L, index) as string));
    else if (type === LUA_TNUMBER) out.push(this.#number(index));
    else if (type === LUA_TBOOLEAN) out.push(api._lua_toboolean(L, index) ? 'true' : 'false');
    else if (type === LUA_TNIL) out.push('null');
    else if (type === LUA_TLIGHTUSERDATA && api._lua_topointer(L, index) === 0) out.push('null');
    else if (type === LUA_TTABLE) this.#table(index, depth + 1, out);
    else throw new JsonError(`Cannot serialise ${typeName(type)}: type not supported`);
  }

  #number(index: number): string {
    const api = this.#lua.api;
    if (api._lua_isinteger(this.#L, index))
      return api._lua_tointegerx(this.#L, index, 0).toString();
    const value = api._lua_tonumberx(this.#L, index, 0);
    if (!Number.isFinite(value))
      throw new JsonError('Cannot serialise number: must not be NaN or Inf');
    return formatG(value, 14);
  }

  #table(index: number, depth: number, out: string[]): void {
    const api = this.#lua.api;
    if (depth > MAX_DEPTH || api._lua_checkstack(this.#L, 3) === 0) {
      throw new JsonError(`Cannot serialise, excessive nesting (${depth})`);
    }
    const length = this.#arrayLength(index);
    if (length > 0) this.#array(index, length, depth, out);
    else this.#object(index, depth, out);
  }

  /** The array length when every key is a positive integer, else -1; refuses sparse arrays. */
  #arrayLength(index: number): number {
    const api = this.#lua.api;
    const L = this.#L;
    let max = 0;
    let items = 0;
    api._lua_pushnil(L);
    while (api._lua_next(L, index) !== 0) {
      api._lua_settop(L, -2);
      const key = api._lua_type(L, -1) === LUA_TNUMBER ? api._lua_tonumberx(L, -1, 0) : 0;
      if (!Number.isInteger(key) || key < 1) {
        api._lua_settop(L, -2);
        return -1;
      }
      max = Math.max(max, key);
      items++;
    }
    if (max > items * SPARSE_RATIO && max > SPARSE_SAFE) {
      throw new JsonError('Cannot serialise table: excessively sparse array');
    }
    return max;
  }

  #array(index: number, length: number, depth: number, out: string[]): void {
    const api = this.#lua.api;
    out.push('[');
    for (let i = 1; i <= length; i++) {
      if (i > 1) out.push(',');
      api._lua_rawgeti(this.#L, index, BigInt(i));
      this.value(api._lua_gettop(this.#L), depth, out);
      api._lua_settop(this.#L, -2);
    }
    out.push(']');
  }

  #object(index: number, depth: number, out: string[]): void {
    const api = this.#lua.api;
    const L = this.#L;
    out.push('{');
    let first = true;
    api._lua_pushnil(L);
    while (api._lua_next(L, index) !== 0) {
      if (!first) out.push(',');
      first = false;
      const keyType = api._lua_type(L, -2);
      if (keyType === LUA_TSTRING) out.push(escapeString(this.#lua.readString(L, -2) as string));
      else if (keyType === LUA_TNUMBER) out.push(`"${this.#number(api._lua_gettop(L) - 1)}"`);
      else {
        throw new JsonError(
          `Cannot serialise ${typeName(keyType)}: table key must be a number or string`,
        );
      }
      out.push(':');
      this.value(api._lua_gettop(L), depth, out);
      api._lua_settop(L, -2);
    }
    out.push('}');
  }
}

/** Host function cjson.encode(value): returns the JSON text. */
export function jsonEncode(lua: LuaState, L: LuaPointer): number {
  if (lua.api._lua_gettop(L) !== 1) {
    lua.raiseWithPosition(L, "bad argument #1 to 'encode' (expected 1 argument)");
  }
  const out: string[] = [];
  let failure: string | null = null;
  try {
    new Encoder(lua, L).value(1, 0, out);
  } catch (error) {
    if (!(error instanceof JsonError)) throw error;
    failure = error.message;
  }
  if (failure !== null) lua.raiseWithPosition(L, failure);
  lua.api._lua_settop(L, 0);
  lua.pushString(L, out.join(''));
  return 1;
}

const enum Token {
  ObjectBegin = 'T_OBJ_BEGIN',
  ObjectEnd = 'T_OBJ_END',
  ArrayBegin = 'T_ARR_BEGIN',
  ArrayEnd = 'T_ARR_END',
  String = 'T_STRING',
  Number = 'T_NUMBER',
  Boolean = 'T_BOOLEAN',
  Null = 'T_NULL',
  Colon = 'T_COLON',
  Comma = 'T_COMMA',
  End = 'T_END',
  Error = 'T_ERROR',
}

interface Lexeme {
  type: Token;
  /** 0-based offset where the token starts. */
  at: number;
  text: string;
  number: number | bigint;
  /** For T_ERROR: what went wrong. */
  problem: string;
}

/**
 * The numbers C's strtod reads at the start of a text: decimal and
 * hexadecimal numbers, inf, infinity and nan. lua-cjson hands numbers to
 * strtod and resumes after what it read, and Redis keeps cjson's
 * acceptance of such non-JSON numbers (decode_invalid_numbers) on.
 */
const STRTOD_PATTERN =
  /^[+-]?(0[xX][0-9a-fA-F]+|inf(inity)?|nan|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/i;
const DECIMAL_INTEGER = /^-?\d+$/;
/** Starts of numbers that are not JSON but that strtod reads. */
const NON_JSON_NUMBER = /^(\+|inf|nan)/i;

/** Reads JSON text token by token, with lua-cjson's token names and messages. */
class Lexer {
  readonly #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  next(): Lexeme {
    const text = this.#text;
    while (this.#at < text.length && ' \t\n\r'.includes(text[this.#at])) this.#at++;
    const at = this.#at;
    const lexeme: Lexeme = { type: Token.End, at, text: '', number: 0, problem: '' };
    if (at >= text.length) return lexeme;
    const ch = text[at];
    const single: Record<string, Token> = {
      '{': Token.ObjectBegin,
      '}': Token.ObjectEnd,
      '[': Token.ArrayBegin,
      ']': Token.ArrayEnd,
      ':': Token.Colon,
      ',': Token.Comma,
    };
    if (single[ch] !== undefined) {
      this.#at++;
      lexeme.type = single[ch];
      return lexeme;
    }
    if (ch === '"') return this.#string(lexeme);
    if (ch === '-' || (ch >= '0' && ch <= '9')) return this.#number(lexeme);
    return this.#word(lexeme);
  }

  /** Turns the lexeme into an error at `at` (where the problem is, for strings). */
  #fail(lexeme: Lexeme, problem: string, at = lexeme.at): Lexeme {
    lexeme.type = Token.Error;
    lexeme.problem = problem;
    lexeme.at = at;
    return lexeme;
  }

  #word(lexeme: Lexeme): Lexeme {
    for (const [word, type, value] of [
      ['true', Token.Boolean, 'true'],
      ['false', Token.Boolean, 'false'],
      ['null', Token.Null, ''],
    ] as const) {
      if (this.#text.startsWith(word, lexeme.at)) {
        this.#at += word.length;
        lexeme.type = type;
        lexeme.text = value;
        return lexeme;
      }
    }
    if (NON_JSON_NUMBER.test(this.#text.slice(lexeme.at, lexeme.at + 3)))
      return this.#number(lexeme);
    return this.#fail(lexeme, 'invalid token');
  }

  #number(lexeme: Lexeme): Lexeme {
    const match = STRTOD_PATTERN.exec(this.#text.slice(lexeme.at, lexeme.at + 400));
    if (match === null) return this.#fail(lexeme, 'invalid number');
    this.#at += match[0].length;
    lexeme.type = Token.Number;
    lexeme.number = parseNumber(match[0]);
    return lexeme;
  }

  #string(lexeme: Lexeme): Lexeme {
    const text = this.#text;
    let i = lexeme.at + 1;
    let out = '';
    for (;;) {
      if (i >= text.length) return this.#fail(lexeme, 'unexpected end of string', i);
      const ch = text[i];
      if (ch === '"') break;
      if (ch !== '\\') {
        out += ch;
        i++;
        continue;
      }
      const escaped = this.#escape(i);
      if (escaped === null) {
        const problem = text[i + 1] === 'u' ? 'invalid unicode escape code' : 'invalid escape code';
        return this.#fail(lexeme, problem, i);
      }
      out += escaped.bytes;
      i = escaped.next;
    }
    this.#at = i + 1;
    lexeme.type = Token.String;
    lexeme.text = out;
    return lexeme;
  }

  /** Decodes the escape at `i` (a backslash) into bytes; \u escapes become UTF-8. */
  #escape(i: number): { bytes: string; next: number } | null {
    const text = this.#text;
    const simple: Record<string, string> = {
      '"': '"',
      '\\': '\\',
      '/': '/',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
    };
    const kind = text[i + 1];
    if (simple[kind] !== undefined) return { bytes: simple[kind], next: i + 2 };
    if (kind !== 'u') return null;
    let code = readHex4(text, i + 2);
    let next = i + 6;
    if (code < 0 || (code >= 0xdc00 && code <= 0xdfff)) return null;
    if (code >= 0xd800 && code <= 0xdbff) {
      const low = text[next] === '\\' && text[next + 1] === 'u' ? readHex4(text, next + 2) : -1;
      if (low < 0xdc00 || low > 0xdfff) return null;
      code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
      next += 6;
    }
    return { bytes: Buffer.from(String.fromCodePoint(code), 'utf8').toString('latin1'), next };
  }
}

function readHex4(text: string, at: number): number {
  const digits = text.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? parseInt(digits, 16) : -1;
}

/** Parses a number token: a decimal integer within 64 bits stays an integer, others are floats. */
function parseNumber(text: string): number | bigint {
  if (DECIMAL_INTEGER.test(text)) {
    const value = BigInt(text);
    if (value >= -(2n ** 63n) && value < 2n ** 63n) return value;
  }
  const unsigned = text.replace(/^[+-]/, '');
  const sign = text.startsWith('-') ? -1 : 1;
  if (/^0x/i.test(unsigned)) return sign * parseInt(unsigned.slice(2), 16);
  if (/^inf/i.test(unsigned)) return sign * Infinity;
  if (/^nan/i.test(unsigned)) return NaN;
  return sign * Number(unsigned);
}

/** Builds Lua values from JSON tokens, pushing them on the stack. */
class Decoder {
  readonly #lua: LuaState;
  readonly #L: LuaPointer;
  readonly #lexer: Lexer;

  constructor(lua: LuaState, L: LuaPointer, text: string) {
    this.#lua = lua;
    this.#L = L;
    this.#lexer = new Lexer(text);
  }

  document(): void {
    this.#value(this.#lexer.next(), 0);
    const end = this.#lexer.next();
    if (end.type !== Token.End) this.#unexpected('the end', end);
  }

  #unexpected(expected: string, lexeme: Lexeme): never {
    const found = lexeme.type === Token.Error ? lexeme.problem : lexeme.type;
    throw new JsonError(`Expected ${expected} but found ${found} at character ${lexeme.at + 1}`);
  }

  #value(lexeme: Lexeme, depth: number): void {
    const api = this.#lua.api;
    const L = this.#L;
    switch (lexeme.type) {
      case Token.String:
        this.#lua.pushString(L, lexeme.text);
        return;
      case Token.Number:
        if (typeof lexeme.number === 'bigint') api._lua_pushinteger(L, lexeme.number);
        else api._lua_pushnumber(L, lexeme.number);
        return;
      case Token.Boolean:
        api._lua_pushboolean(L, lexeme.text === 'true' ? 1 : 0);
        return;
      case Token.Null:
        api._lua_pushlightuserdata(L, 0);
        return;
      case Token.ObjectBegin:
      case Token.ArrayBegin:
        this.#nested(lexeme, depth + 1);
        return;
      default:
        this.#unexpected('value', lexeme);
    }
  }

  #nested(lexeme: Lexeme, depth: number): void {
    if (depth > MAX_DEPTH || this.#lua.api._lua_checkstack(this.#L, 3) === 0) {
      throw new JsonError(
        `Found too many nested data structures (${depth}) at character ${lexeme.at + 1}`,
      );
    }
    if (lexeme.type === Token.ObjectBegin) this.#object(depth);
    else this.#array(depth);
  }

  #array(depth: number): void {
    const api = this.#lua.api;
    api._lua_createtable(this.#L, 0, 0);
    let lexeme = this.#lexer.next();
    if (lexeme.type === Token.ArrayEnd) return;
    for (let i = 1; ; i++) {
      this.#value(lexeme, depth);
      api._lua_rawseti(this.#L, -2, BigInt(i));
      lexeme = this.#lexer.next();
      if (lexeme.type === Token.ArrayEnd) return;
      if (lexeme.type !== Token.Comma) this.#unexpected('comma or array end', lexeme);
      lexeme = this.#lexer.next();
    }
  }

  #object(depth: number): void {
    const api = this.#lua.api;
    api._lua_createtable(this.#L, 0, 0);
    let lexeme = this.#lexer.next();
    if (lexeme.type === Token.ObjectEnd) return;
    for (;;) {
      if (lexeme.type !== Token.String) this.#unexpected('object key string', lexeme);
      this.#lua.pushString(this.#L, lexeme.text);
      const colon = this.#lexer.next();
      if (colon.type !== Token.Colon) this.#unexpected('colon', colon);
      this.#value(this.#lexer.next(), depth);
      api._lua_rawset(this.#L, -3);
      lexeme = this.#lexer.next();
      if (lexeme.type === Token.ObjectEnd) return;
      if (lexeme.type !== Token.Comma) this.#unexpected('comma or object end', lexeme);
      lexeme = this.#lexer.next();
    }
  }
}

/** Host function cjson.decode(text): returns the decoded value. */
export function jsonDecode(lua: LuaState, L: LuaPointer): number {
  const api = lua.api;
  if (api._lua_gettop(L) !== 1) {
    lua.raiseWithPosition(L, "bad argument #1 to 'decode' (expected 1 argument)");
  }
  const text = lua.readString(L, 1);
  if (text === null) {
    const got = typeName(api._lua_type(L, 1));
    lua.raiseWithPosition(L, `bad argument #1 to 'decode' (string expected, got ${got})`);
  }
  api._lua_settop(L, 0);
  let failure: string | null = null;
  try {
    new Decoder(lua, L, text).document();
  } catch (error) {
    if (!(error instanceof JsonError)) throw error;
    failure = error.message;
  }
  if (failure !== null) lua.raiseWithPosition(L, failure);
  return 1;
}
