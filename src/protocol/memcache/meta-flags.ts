/**
 * Flags of the meta commands (mg, ms, md, ma), parsed once before a command
 * runs, as memcached 1.6.18 does: every command accepts every known flag and
 * ignores those it has no use for, an unknown or repeated flag fails at
 * once, and a flag with a bad token records an error while parsing goes on
 * (the last one recorded is the reply).
 */
import { MEMCACHE_ERR } from '../../engine/errors';
import { decodeBase64Key } from './keys';
import { parseFlags, parseInt32, parseUint64 } from './numbers';

/** memcached's MFLAG_MAX_OPAQUE_LENGTH. */
export const MAX_OPAQUE_LENGTH = 32;
/** memcached refuses a meta command of 20 or more tokens (MFLAG_MAX_OPT_LENGTH). */
export const MAX_META_TOKENS = 19;

export interface MetaFlags {
  /** The key, decoded when `b` was given. */
  key: string;
  base64: boolean;
  returnValue: boolean;
  quiet: boolean;
  noUpdate: boolean;
  /** `N`: create the item on a miss, with this expiry time as sent. */
  vivify: number | null;
  /** `T`: new expiry time as sent. */
  ttl: number | null;
  /** `R`: win the recache token when less than this many seconds remain. */
  recache: number | null;
  /** `F`: client flags for ms. */
  clientFlags: number;
  /** `C`: the CAS value to compare. */
  cas: bigint | null;
  /** `M`: the mode character. */
  mode: string | null;
  /** `J`: ma's initial value on a miss with N. */
  initial: bigint;
  /** `D`: ma's delta. */
  delta: bigint;
  /** `I`: invalidate (md) or store as stale (ms with a lower CAS). */
  invalidate: boolean;
}

export type FlagParse = { flags: MetaFlags; error: null } | { flags: null; error: string };

/** Flags that take no token, or whose token is ignored (O, P, L are copied or skipped). */
const PLAIN_FLAGS = new Set(['O', 'P', 'L', 'k', 's', 't', 'c', 'f', 'h', 'l']);

function emptyFlags(key: string): MetaFlags {
  return {
    key,
    base64: false,
    returnValue: false,
    quiet: false,
    noUpdate: false,
    vivify: null,
    ttl: null,
    recache: null,
    clientFlags: 0,
    cas: null,
    mode: null,
    initial: 0n,
    delta: 1n,
    invalidate: false,
  };
}

/** Parses the flag tokens from `start` on; the key is tokens[1]. */
export function parseMetaFlags(tokens: readonly string[], start: number): FlagParse {
  const flags = emptyFlags(tokens[1]);
  const seen = new Set<number>();
  let error: string | null = null;
  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i];
    const code = token.charCodeAt(0);
    if (code >= 127 || seen.has(code)) return { flags: null, error: MEMCACHE_ERR.duplicateFlag };
    seen.add(code);
    const outcome = applyFlag(flags, token);
    if (outcome === INVALID) return { flags: null, error: MEMCACHE_ERR.invalidFlag };
    if (outcome === UNNAMED_ERROR) error ??= MEMCACHE_ERR.badFormat;
    else if (outcome !== null) error = outcome;
  }
  return error === null ? { flags, error: null } : { flags: null, error };
}

const INVALID = Symbol('invalid flag');
/** A bad token for which memcached keeps the error text recorded so far. */
const UNNAMED_ERROR = Symbol('error without a text');

type FlagOutcome = string | null | typeof INVALID | typeof UNNAMED_ERROR;

/** Records one flag; returns an error text for a bad token, INVALID for an unknown flag. */
function applyFlag(flags: MetaFlags, token: string): FlagOutcome {
  const flag = token[0];
  const argument = token.slice(1);
  switch (flag) {
    case 'b':
      return decodeKey(flags);
    case 'N':
      flags.vivify = parseInt32(argument);
      return flags.vivify === null ? MEMCACHE_ERR.badToken : null;
    case 'T':
      flags.ttl = parseInt32(argument);
      return flags.ttl === null ? MEMCACHE_ERR.badToken : null;
    case 'R':
      flags.recache = parseInt32(argument);
      return flags.recache === null ? MEMCACHE_ERR.badToken : null;
    case 'F':
      return parseClientFlags(flags, argument);
    case 'C':
      flags.cas = parseUint64(argument);
      return flags.cas === null ? MEMCACHE_ERR.badToken : null;
    case 'M':
      if (token.length !== 2) return MEMCACHE_ERR.modeLength;
      flags.mode = token[1];
      return null;
    case 'J':
      return parseCounterFlag(flags, 'initial', argument, MEMCACHE_ERR.invalidInitial);
    case 'D':
      return parseCounterFlag(flags, 'delta', argument, MEMCACHE_ERR.invalidDeltaToken);
    default:
      return applySwitch(flags, flag);
  }
}

/** Records a flag without a token. */
function applySwitch(flags: MetaFlags, flag: string): null | typeof INVALID {
  if (flag === 'v') flags.returnValue = true;
  else if (flag === 'q') flags.quiet = true;
  else if (flag === 'u') flags.noUpdate = true;
  else if (flag === 'I') flags.invalidate = true;
  else if (!PLAIN_FLAGS.has(flag)) return INVALID;
  return null;
}

function decodeKey(flags: MetaFlags): string | null {
  flags.base64 = true;
  const decoded = decodeBase64Key(flags.key);
  if (decoded === null) return MEMCACHE_ERR.keyDecoding;
  flags.key = decoded;
  return null;
}

/** F: memcached records a bad value without a text of its own. */
function parseClientFlags(flags: MetaFlags, argument: string): typeof UNNAMED_ERROR | null {
  const value = parseFlags(argument);
  if (value === null) return UNNAMED_ERROR;
  flags.clientFlags = value;
  return null;
}

function parseCounterFlag(
  flags: MetaFlags,
  field: 'initial' | 'delta',
  argument: string,
  error: string,
): string | null {
  const value = parseUint64(argument);
  if (value === null) return error;
  flags[field] = value;
  return null;
}
