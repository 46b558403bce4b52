/**
 * One Lua state with a bounded heap, and the helpers every other scripting
 * module uses to move byte strings and values across the C API.
 */
import { LUA_OK, LUA_REGISTRYINDEX, LUA_TSTRING, type LuaApi, type LuaPointer } from './lua-wasm';

/** A JavaScript function called by Lua as a C function: returns its number of results. */
export type HostFunction = (L: LuaPointer) => number;

const INITIAL_SCRATCH = 64 * 1024;

/** Thrown when the Lua runtime cannot continue (a panic or a failed start). */
export class LuaFailure extends Error {}

/**
 * A Lua state whose allocations go through a JavaScript allocator that
 * refuses to grow the heap past `limit()` bytes, so a runaway script gets a
 * "not enough memory" error instead of exhausting the process.
 */
export class LuaState {
  readonly api: LuaApi;
  readonly L: LuaPointer;
  /** Bytes currently allocated by the Lua heap. */
  used = 0;
  readonly #limit: () => number;
  #heap: Buffer;
  #scratch: LuaPointer;
  #scratchSize = INITIAL_SCRATCH;
  readonly #lengthSlot: LuaPointer;
  readonly #trampoline: LuaPointer;
  #protectedWork: ((L: LuaPointer) => void) | null = null;
  /** Registry references as the bigint lua_rawgeti takes, converted once. */
  readonly #refKeys = new Map<number, bigint>();

  /** Receives JavaScript exceptions that host functions did not handle. */
  onFault: (error: unknown) => void = () => {};

  constructor(api: LuaApi, limit: () => number) {
    this.api = api;
    this.#limit = limit;
    this.#heap = Buffer.from(api.HEAPU8.buffer);
    this.#scratch = api._malloc(INITIAL_SCRATCH);
    this.#lengthSlot = api._malloc(8);
    const allocator = api.addFunction(
      (_ud: number, pointer: number, oldSize: number, newSize: number) =>
        this.#allocate(pointer, oldSize, newSize),
      'iiiii',
    );
    this.L = api._lua_newstate(allocator, 0);
    if (this.L === 0) throw new LuaFailure('cannot create a Lua state');
    const panic = api.addFunction((L: number) => {
      throw new LuaFailure(`Lua panic: ${this.readString(L, -1) ?? 'unknown error'}`);
    }, 'ii');
    api._lua_atpanic(this.L, panic);
    this.#trampoline = this.hostFunction((L) => {
      const work = this.#protectedWork;
      this.#protectedWork = null;
      if (work !== null) work(L);
      return 0;
    });
  }

  /**
   * The allocator of the Lua heap: realloc semantics. Lua passes a type tag
   * instead of a size when `pointer` is 0, so the old size counts only for
   * an existing block.
   */
  #allocate(pointer: number, oldSize: number, newSize: number): number {
    const api = this.api;
    const previous = pointer === 0 ? 0 : oldSize;
    if (newSize === 0) {
      if (pointer !== 0) api._free(pointer);
      this.used -= previous;
      return 0;
    }
    if (newSize > previous && this.used + newSize - previous > this.#limit()) return 0;
    const block = api._realloc(pointer, newSize);
    if (block !== 0) this.used += newSize - previous;
    return block;
  }

  /**
   * Registers a JavaScript function that Lua can call; returns its C function
   * pointer. A JavaScript exception must not cross the VM (it would skip
   * Lua's own unwinding), so one escaping `fn` is logged through `onFault`
   * and raised as a Lua error instead. Lua errors (numbers) pass through.
   */
  hostFunction(fn: HostFunction): LuaPointer {
    return this.api.addFunction((L: number) => {
      let fault: unknown;
      try {
        return fn(L);
      } catch (error) {
        if (typeof error === 'number') throw error;
        fault = error;
      }
      this.onFault(fault);
      this.pushErrorTable(L, 'ERR internal error');
      return this.api._lua_error(L);
    }, 'ii');
  }

  /**
   * Runs `work` inside a protected call on the main thread, so that a Lua
   * error (such as running out of memory) in the API calls it makes is
   * caught. Returns null, or the error value converted to a string.
   */
  protect(work: (L: LuaPointer) => void): string | null {
    const api = this.api;
    const L = this.L;
    const top = api._lua_gettop(L);
    this.#protectedWork = work;
    api._lua_pushcclosure(L, this.#trampoline, 0);
    const status = api._lua_pcallk(L, 0, 0, 0, 0, 0);
    this.#protectedWork = null;
    const failure =
      status === LUA_OK ? null : (this.readString(L, -1) ?? 'error object is not a string');
    api._lua_settop(L, top);
    return failure;
  }

  /** A Node Buffer over the WebAssembly memory, renewed when the memory grows. */
  get heap(): Buffer {
    // Growing WebAssembly memory detaches the old buffer, and views over it then have length 0.
    if (this.#heap.length === 0) this.#heap = Buffer.from(this.api.HEAPU8.buffer);
    return this.#heap;
  }

  /** Copies a byte string into scratch memory; returns its address. */
  #stage(text: string): LuaPointer {
    if (text.length > this.#scratchSize) this.#growScratch(text.length);
    this.heap.latin1Write(text, this.#scratch);
    return this.#scratch;
  }

  #growScratch(size: number): void {
    const api = this.api;
    const next = api._realloc(this.#scratch, size);
    if (next === 0) throw new LuaFailure(`cannot allocate ${size} bytes of scratch memory`);
    this.#scratch = next;
    this.#scratchSize = size;
  }

  /** Shrinks the scratch area after a large string passed through it. */
  trimScratch(): void {
    if (this.#scratchSize <= INITIAL_SCRATCH * 16) return;
    this.api._free(this.#scratch);
    this.#scratch = this.api._malloc(INITIAL_SCRATCH);
    this.#scratchSize = INITIAL_SCRATCH;
  }

  /** Pushes a byte string (one character per byte). May raise a Lua memory error. */
  pushString(L: LuaPointer, text: string): void {
    // Larger than the whole heap may grow: fail as the allocator would, without copying.
    if (text.length > this.#limit()) this.raiseMemoryError(L);
    this.api._lua_pushlstring(L, this.#stage(text), text.length);
  }

  /** Raises Lua's "not enough memory" error on `L`. Never returns. */
  raiseMemoryError(L: LuaPointer): never {
    this.api._lua_pushlstring(L, this.#stage('not enough memory'), 17);
    this.api._lua_error(L);
    throw new LuaFailure('lua_error returned');
  }

  /**
   * Raises `message` prefixed with the position of the Lua code that called
   * the running C function, as luaL_error does. Never returns.
   */
  raiseWithPosition(L: LuaPointer, message: string): never {
    const api = this.api;
    api._lua_settop(L, 0);
    api._luaL_where(L, 1);
    this.pushString(L, message);
    api._lua_concat(L, 2);
    api._lua_error(L);
    throw new LuaFailure('lua_error returned');
  }

  /** Pushes Redis's error object, `{err = text}`. May raise a Lua memory error. */
  pushErrorTable(L: LuaPointer, text: string): void {
    const api = this.api;
    api._lua_createtable(L, 0, 1);
    this.pushName(L, 'err');
    this.pushString(L, text);
    api._lua_rawset(L, -3);
  }

  /** Pushes a NUL-free ASCII name. */
  pushName(L: LuaPointer, name: string): void {
    this.api._lua_pushlstring(L, this.#stage(name), name.length);
  }

  /**
   * Reads the string at `index` as a byte string. Numbers are converted in
   * place, as lua_tolstring does; other types give null.
   */
  readString(L: LuaPointer, index: number): string | null {
    const api = this.api;
    const pointer = api._lua_tolstring(L, index, this.#lengthSlot);
    if (pointer === 0) return null;
    const heap = this.heap;
    const length = heap.readUInt32LE(this.#lengthSlot);
    return heap.latin1Slice(pointer, pointer + length);
  }

  /** Converts the value at `index` as lua_tonumber does: numbers and numeric strings, else null. */
  toNumber(L: LuaPointer, index: number): number | null {
    const value = this.api._lua_tonumberx(L, index, this.#lengthSlot);
    return this.heap.readInt32LE(this.#lengthSlot) !== 0 ? value : null;
  }

  /** Reads a string value without converting numbers; other types give null. */
  readStringValue(L: LuaPointer, index: number): string | null {
    if (this.api._lua_type(L, index) !== LUA_TSTRING) return null;
    return this.readString(L, index);
  }

  /**
   * Loads a text chunk (binary chunks are refused) and leaves the function,
   * or the error message, on the stack. Returns the load status.
   */
  load(L: LuaPointer, code: string, chunkName: string): number {
    const api = this.api;
    const heap = this.heap;
    const namePointer = api._malloc(chunkName.length + 1);
    const modePointer = api._malloc(2);
    heap.latin1Write(chunkName, namePointer);
    heap[namePointer + chunkName.length] = 0;
    heap[modePointer] = 0x74; // "t": text chunks only
    heap[modePointer + 1] = 0;
    const status = api._luaL_loadbufferx(
      L,
      this.#stage(code),
      code.length,
      namePointer,
      modePointer,
    );
    api._free(namePointer);
    api._free(modePointer);
    return status;
  }

  /** Stores the value on top of the main stack in the registry; returns its reference. */
  ref(): number {
    return this.api._luaL_ref(this.L, LUA_REGISTRYINDEX);
  }

  unref(reference: number): void {
    this.api._luaL_unref(this.L, LUA_REGISTRYINDEX, reference);
  }

  /** Pushes a value stored with `ref`. */
  pushRef(L: LuaPointer, reference: number): void {
    let key = this.#refKeys.get(reference);
    if (key === undefined) {
      key = BigInt(reference);
      this.#refKeys.set(reference, key);
    }
    this.api._lua_rawgeti(L, LUA_REGISTRYINDEX, key);
  }
}
