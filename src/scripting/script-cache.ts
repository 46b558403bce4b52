/**
 * The EVAL script cache: every script EVAL or SCRIPT LOAD compiled, by the
 * SHA1 of its body, until SCRIPT FLUSH. As in Redis 7.0 nothing is evicted.
 */
import { createHash } from 'node:crypto';
import { SCRIPT_ERR } from '../engine/errors';
import { splitInlineArguments } from '../protocol/resp/parser';
import type { ScriptingEngine } from './engine';

/** Flags a `#!lua flags=...` first line may declare. */
export const SCRIPT_FLAGS = {
  'no-writes': 1,
  'allow-oom': 2,
  'allow-stale': 4,
  'no-cluster': 8,
  'allow-cross-slot-keys': 16,
} as const;

export const NO_WRITES = SCRIPT_FLAGS['no-writes'];

export interface CachedScript {
  readonly sha: string;
  readonly body: string;
  /** The compiled function in the Lua registry. */
  readonly ref: number;
  /** Flags from the shebang line, or null for a script without one (Redis's compatibility mode). */
  readonly flags: number | null;
}

export function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'latin1').digest('hex');
}

/**
 * Reads a `#!lua [flags=a,b]` first line. Returns its flags and length, or
 * the error text; a body without "#!" has flags null and length 0.
 */
export function parseShebang(body: string): { flags: number | null; length: number } | string {
  if (!body.startsWith('#!')) return { flags: null, length: 0 };
  const end = body.indexOf('\n');
  if (end < 0) return SCRIPT_ERR.invalidShebang;
  const parts = splitInlineArguments(body.slice(0, end));
  if (parts === null || parts.length === 0) return SCRIPT_ERR.invalidShebang;
  if (parts[0] !== '#!lua') return SCRIPT_ERR.shebangEngine(parts[0]);
  let flags = 0;
  for (const part of parts.slice(1)) {
    if (!part.startsWith('flags=')) return SCRIPT_ERR.shebangOption(part);
    const names = part.slice(6);
    if (names === '') continue;
    for (const name of names.split(',')) {
      const flag = SCRIPT_FLAGS[name as keyof typeof SCRIPT_FLAGS];
      if (flag === undefined) return SCRIPT_ERR.shebangFlag(name);
      flags |= flag;
    }
  }
  return { flags, length: end };
}

/**
 * Quotes token names in a syntax error as Lua 5.1 did ("near '<eof>'").
 * Lua 5.4 leaves <eof>, <name>, <string>, <number> and <integer> bare.
 */
export function quoteEndOfFile(message: string): string {
  return message.replace(/(^|[^'])(<(?:eof|name|string|number|integer)>)(?!')/g, "$1'$2'");
}

export class ScriptCache {
  readonly #engine: ScriptingEngine;
  readonly #scripts = new Map<string, CachedScript>();
  #bodyBytes = 0;

  constructor(engine: ScriptingEngine) {
    this.#engine = engine;
  }

  get size(): number {
    return this.#scripts.size;
  }

  /** Bytes of script source held, for INFO's used_memory_scripts. */
  get bodyBytes(): number {
    return this.#bodyBytes;
  }

  get(sha: string): CachedScript | undefined {
    return this.#scripts.get(sha.toLowerCase());
  }

  /** Compiles and caches a body (or finds it cached); returns it, or the error reply. */
  add(body: string, sha = sha1Hex(body)): CachedScript | string {
    const cached = this.#scripts.get(sha);
    if (cached !== undefined) return cached;
    const shebang = parseShebang(body);
    if (typeof shebang === 'string') return shebang;
    // The shebang line is cut but its newline kept, so line numbers stay right.
    const code = body.slice(shebang.length);
    const compiled = this.#engine.compile(code, '@user_script', 'eval');
    if ('error' in compiled) return SCRIPT_ERR.compile(quoteEndOfFile(compiled.error));
    const script = { sha, body, ref: compiled.ref, flags: shebang.flags };
    this.#scripts.set(sha, script);
    this.#bodyBytes += body.length;
    return script;
  }

  /** SCRIPT FLUSH: drops every script and frees their memory. */
  flush(): void {
    for (const script of this.#scripts.values()) this.#engine.release(script.ref);
    this.#scripts.clear();
    this.#bodyBytes = 0;
    this.#engine.collectGarbage();
  }
}
