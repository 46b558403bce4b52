/**
 * Redis 7 function libraries: FUNCTION LOAD runs a library's code once, with
 * only redis.register_function and redis.log available, and keeps the
 * functions it registered. Library names are case-sensitive, function
 * names are not, and a function name is unique across libraries.
 */
import type { Client } from '../engine/client';
import { CommandError, ERR, SCRIPT_ERR } from '../engine/errors';
import { crc64 } from '../persistence/crc64';
import { MAX_READABLE_VERSION } from '../persistence/rdb-file';
import { OPCODE, RDB_VERSION, RdbEncoder } from '../persistence/rdb-encoder';
import { RdbDecoder, RdbFormatError } from '../persistence/rdb-decoder';
import { splitInlineArguments } from '../protocol/resp/parser';
import type { ScriptingEngine } from './engine';
import { readInteger } from './lua-values';
import { LUA_REGISTRYINDEX, type LuaPointer } from './lua-wasm';
import { raiseError } from './script-call';
import { quoteEndOfFile } from './script-cache';
import { ScriptRun } from './script-run';

/** How long FUNCTION LOAD lets library code run, as in Redis 7.0. */
const LOAD_TIME_LIMIT_MS = 500;

const NAME_PATTERN = /^[A-Za-z0-9_]+$/;

/** Function flags in the order FUNCTION LIST shows them, with their bits. */
export const FUNCTION_FLAGS: readonly (readonly [string, number])[] = [
  ['no-writes', 1],
  ['allow-oom', 2],
  ['allow-stale', 4],
  ['no-cluster', 8],
  ['allow-cross-slot-keys', 16],
];

export interface LuaFunction {
  readonly name: string;
  /** The callback in the Lua registry. */
  readonly ref: number;
  readonly flags: number;
  readonly description: string | null;
  readonly library: string;
}

export interface Library {
  readonly name: string;
  readonly code: string;
  /** Functions by lowercase name. */
  readonly functions: Map<string, LuaFunction>;
}

export type RestorePolicy = 'flush' | 'append' | 'replace';

/** Reads the `#!lua name=<name>` first line; returns the name and the line's length. */
export function parseLibraryMetadata(code: string): { name: string; length: number } {
  if (!code.startsWith('#!')) throw new CommandError(SCRIPT_ERR.missingMetadata);
  const end = code.indexOf('\n');
  if (end < 0) throw new CommandError(SCRIPT_ERR.invalidMetadata);
  const parts = splitInlineArguments(code.slice(0, end));
  if (parts === null || parts.length === 0) throw new CommandError(SCRIPT_ERR.invalidMetadata);
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (const part of parts.slice(1)) {
    if (part.slice(0, 5).toLowerCase() !== 'name=') {
      throw new CommandError(SCRIPT_ERR.metadataValue(part));
    }
    if (name !== null) throw new CommandError(SCRIPT_ERR.metadataNameTwice);
    name = part.slice(5);
  }
  if (name === null) throw new CommandError(SCRIPT_ERR.libraryNameMissing);
  if (!NAME_PATTERN.test(name)) throw new CommandError(SCRIPT_ERR.invalidName);
  if (engine.toLowerCase() !== 'lua') throw new CommandError(SCRIPT_ERR.engineNotFound(engine));
  return { name, length: end };
}

export class FunctionLibraries {
  readonly #engine: ScriptingEngine;
  readonly #libraries = new Map<string, Library>();
  readonly #functions = new Map<string, LuaFunction>();
  /** Functions registered by the library being loaded, by lowercase name. */
  #pending: Map<string, LuaFunction> | null = null;
  #pendingLibrary = '';

  constructor(engine: ScriptingEngine) {
    this.#engine = engine;
  }

  get libraryCount(): number {
    return this.#libraries.size;
  }

  get functionCount(): number {
    return this.#functions.size;
  }

  /** Returns the libraries in load order. */
  libraries(): IterableIterator<Library> {
    return this.#libraries.values();
  }

  find(name: string): LuaFunction | undefined {
    return this.#functions.get(name.toLowerCase());
  }

  /**
   * Host function behind redis.register_function, after the sandbox checked
   * its arguments: (name, callback, flags, description) are on the stack.
   */
  register(L: LuaPointer): number {
    const lua = this.#engine.lua;
    const pending = this.#pending;
    if (pending === null) return raiseError(lua, L, ERR.internal);
    const name = lua.readString(L, 1) ?? '';
    if (!NAME_PATTERN.test(name)) return raiseError(lua, L, SCRIPT_ERR.invalidName);
    const key = name.toLowerCase();
    if (pending.has(key)) return raiseError(lua, L, SCRIPT_ERR.functionExistsInLibrary);
    const flags = Number(readInteger(lua, L, 3));
    const description = lua.readStringValue(L, 4);
    lua.api._lua_settop(L, 2);
    const ref = lua.api._luaL_ref(L, LUA_REGISTRYINDEX);
    pending.set(key, { name, ref, flags, description, library: this.#pendingLibrary });
    return 0;
  }

  /** Compiles and runs library code; returns the library it registers. Raises CommandError. */
  #build(caller: Client, code: string): Library {
    const { name, length } = parseLibraryMetadata(code);
    const engine = this.#engine;
    // The metadata line is cut but its newline kept, so line numbers stay right.
    const compiled = engine.compile(code.slice(length), '@user_function', 'function');
    if ('error' in compiled) {
      throw new CommandError(SCRIPT_ERR.functionCompile(quoteEndOfFile(compiled.error)));
    }
    const functions = new Map<string, LuaFunction>();
    this.#pending = functions;
    this.#pendingLibrary = name;
    let failure: string | null = null;
    const run = new ScriptRun({
      caller,
      kind: 'load',
      name,
      command: [],
      timeLimitMs: LOAD_TIME_LIMIT_MS,
      settle: (outcome) => {
        if (!outcome.ok) failure = SCRIPT_ERR.functionRegister(outcome.message);
      },
    });
    try {
      engine.runner.start(run, compiled.ref);
    } finally {
      this.#pending = null;
      engine.release(compiled.ref);
    }
    const library = { name, code, functions };
    if (failure !== null || functions.size === 0) {
      this.#release(library);
      throw new CommandError(failure ?? SCRIPT_ERR.noFunctions);
    }
    return library;
  }

  #release(library: Library): void {
    for (const fn of library.functions.values()) this.#engine.release(fn.ref);
  }

  /** Returns the name of a function of `library` that another library already has. */
  #collision(library: Library, replacing: ReadonlySet<string>): string | null {
    for (const [key, fn] of library.functions) {
      const other = this.#functions.get(key);
      if (other !== undefined && !replacing.has(other.library)) return fn.name;
    }
    return null;
  }

  #add(library: Library): void {
    this.#libraries.set(library.name, library);
    for (const [key, fn] of library.functions) this.#functions.set(key, fn);
  }

  #remove(library: Library): void {
    for (const key of library.functions.keys()) this.#functions.delete(key);
    this.#libraries.delete(library.name);
    this.#release(library);
  }

  /** FUNCTION LOAD: returns the library name. Raises CommandError. */
  load(caller: Client, code: string, replace: boolean): string {
    const { name } = parseLibraryMetadata(code);
    const existing = this.#libraries.get(name);
    if (existing !== undefined && !replace) throw new CommandError(SCRIPT_ERR.libraryExists(name));
    const library = this.#build(caller, code);
    const collision = this.#collision(library, new Set([name]));
    if (collision !== null) {
      this.#release(library);
      throw new CommandError(SCRIPT_ERR.functionExists(collision));
    }
    if (existing !== undefined) this.#remove(existing);
    this.#add(library);
    return name;
  }

  /** FUNCTION DELETE: raises CommandError when the library does not exist. */
  delete(name: string): void {
    const library = this.#libraries.get(name);
    if (library === undefined) throw new CommandError(SCRIPT_ERR.libraryNotFound);
    this.#remove(library);
  }

  /** FUNCTION FLUSH: drops every library. */
  flush(): void {
    for (const library of [...this.#libraries.values()]) this.#remove(library);
    this.#engine.collectGarbage();
  }

  /** FUNCTION DUMP: Redis's payload, one RDB function record per library, version and CRC64. */
  dump(): Buffer {
    const encoder = new RdbEncoder(true);
    for (const library of this.#libraries.values()) {
      encoder.byte(OPCODE.function2);
      encoder.string(library.code);
    }
    encoder.byte(RDB_VERSION & 0xff);
    encoder.byte(RDB_VERSION >> 8);
    const body = encoder.take();
    const checksum = Buffer.alloc(8);
    checksum.writeBigUInt64LE(crc64(body));
    return Buffer.concat([body, checksum]);
  }

  /** FUNCTION RESTORE: loads every library of a payload, then applies the policy. */
  restore(caller: Client, payload: Buffer, policy: RestorePolicy): void {
    const codes = readPayload(payload);
    const built: Library[] = [];
    try {
      for (const code of codes) built.push(this.#build(caller, code));
      this.#checkRestore(built, policy);
    } catch (error) {
      for (const library of built) this.#release(library);
      throw error;
    }
    if (policy === 'flush') {
      for (const library of [...this.#libraries.values()]) this.#remove(library);
    }
    for (const library of built) {
      const existing = this.#libraries.get(library.name);
      if (existing !== undefined) this.#remove(existing);
      this.#add(library);
    }
  }

  /** Refuses a restore whose libraries or functions collide, as the policy defines. */
  #checkRestore(built: Library[], policy: RestorePolicy): void {
    const names = new Set<string>();
    const functions = new Set<string>();
    for (const library of built) {
      if (names.has(library.name))
        throw new CommandError(SCRIPT_ERR.libraryExistsOnRestore(library.name));
      names.add(library.name);
      for (const [key, fn] of library.functions) {
        if (functions.has(key)) throw new CommandError(SCRIPT_ERR.functionExists(fn.name));
        functions.add(key);
      }
    }
    if (policy === 'flush') return;
    for (const library of built) {
      if (policy === 'append' && this.#libraries.has(library.name)) {
        throw new CommandError(SCRIPT_ERR.libraryExistsOnRestore(library.name));
      }
      const replacing = new Set(policy === 'replace' ? names : []);
      const collision = this.#collision(library, replacing);
      if (collision !== null) throw new CommandError(SCRIPT_ERR.functionExists(collision));
    }
  }
}

/** Checks a FUNCTION DUMP payload's footer and returns the library codes it holds. */
function readPayload(payload: Buffer): string[] {
  if (payload.length < 10) throw new CommandError(ERR.badDumpPayload);
  const footer = payload.length - 10;
  const version = payload.readUInt16LE(footer);
  const checksum = payload.readBigUInt64LE(footer + 2);
  if (version > MAX_READABLE_VERSION || crc64(payload.subarray(0, footer + 2)) !== checksum) {
    throw new CommandError(ERR.badDumpPayload);
  }
  const decoder = new RdbDecoder(payload.subarray(0, footer));
  const codes: string[] = [];
  try {
    while (decoder.remaining > 0) {
      if (decoder.byte() !== OPCODE.function2) {
        throw new CommandError(SCRIPT_ERR.restoreNotFunction);
      }
      codes.push(decoder.string());
    }
  } catch (error) {
    if (error instanceof RdbFormatError) throw new CommandError(SCRIPT_ERR.restoreUnreadable);
    throw error;
  }
  return codes;
}
