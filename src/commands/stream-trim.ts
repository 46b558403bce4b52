/**
 * The options XADD and XTRIM share (MAXLEN or MINID, `=` or `~`, LIMIT, and
 * XADD's NOMKSTREAM and ID), parsed in Redis 7.0's order with its errors,
 * and the exact trimming form the journal records for an approximate trim.
 */
import { CommandError, ERR, STREAM_ERR } from '../engine/errors';
import type { StreamValue, TrimRule } from '../store/stream';
import { formatId, parseIdText, ZERO_ID, type ParsedId } from '../store/stream-id';
import { toInteger } from './arguments';
import { parseId } from './stream-shared';

/** Trimming work per approximate trim without LIMIT, in node sizes (Redis 7.0: 100). */
const DEFAULT_LIMIT_NODES = 100;
/** The approximate trim's default LIMIT when stream-node-max-entries is 0. */
const DEFAULT_LIMIT_ENTRIES = 10000;

export interface AddOrTrimArguments {
  trim: TrimRule | null;
  noMkStream: boolean;
  /** XADD's explicit ID; null for `*`. */
  id: ParsedId | null;
  /** Index of XADD's ID argument (args.length when missing). */
  idIndex: number;
}

interface ParseState {
  strategy: 'maxlen' | 'minid' | null;
  approx: boolean;
  maxLength: number;
  minId: TrimRule['minId'];
  limit: number;
  limitGiven: boolean;
}

function parseSigned(text: string): number {
  const value = toInteger(text);
  if (value === null) throw new CommandError(ERR.notInteger);
  return value;
}

/** Consumes `=` or `~` after MAXLEN/MINID when a value follows; returns the value's index. */
function takeOperator(args: readonly string[], index: number, state: ParseState): number {
  const more = args.length - 1 - index;
  const next = args[index + 1];
  state.approx = false;
  if (more >= 2 && next === '~') {
    state.approx = true;
    return index + 2;
  }
  return more >= 2 && next === '=' ? index + 2 : index + 1;
}

function parseStrategy(args: readonly string[], index: number, state: ParseState): number {
  const maxlen = args[index].toUpperCase() === 'MAXLEN';
  if (state.strategy === (maxlen ? 'minid' : 'maxlen')) {
    throw new CommandError(STREAM_ERR.maxlenWithMinid);
  }
  const valueIndex = takeOperator(args, index, state);
  if (maxlen) {
    state.maxLength = parseSigned(args[valueIndex]);
    if (state.maxLength < 0) throw new CommandError(STREAM_ERR.maxlenNegative);
  } else {
    state.minId = parseId(args[valueIndex]);
  }
  state.strategy = maxlen ? 'maxlen' : 'minid';
  return valueIndex;
}

function parseLimit(args: readonly string[], index: number, state: ParseState): number {
  state.limit = parseSigned(args[index + 1]);
  if (state.limit < 0) throw new CommandError(STREAM_ERR.limitNegative);
  state.limitGiven = true;
  return index + 1;
}

/** Checks the combination of options and fills in the default LIMIT of `~`. */
function finishRule(state: ParseState, forXadd: boolean, maxEntries: number): TrimRule | null {
  if (state.limit !== 0 && state.strategy === null) {
    throw new CommandError(STREAM_ERR.limitWithoutStrategy);
  }
  if (!forXadd && state.strategy === null) throw new CommandError(STREAM_ERR.trimWithoutStrategy);
  if (state.limitGiven && !state.approx) throw new CommandError(STREAM_ERR.limitWithoutApprox);
  if (state.strategy === null) return null;
  let limit = state.limit;
  if (!state.limitGiven && state.approx) {
    limit = maxEntries * DEFAULT_LIMIT_NODES;
    if (limit <= 0 || !Number.isSafeInteger(limit)) limit = DEFAULT_LIMIT_ENTRIES;
  }
  const { strategy, approx, maxLength, minId } = state;
  return { strategy, approx, maxLength, minId, limit };
}

/**
 * Parses the options from args[2]. For XADD it stops at the ID (`*` or an
 * explicit one); for XTRIM every argument must be an option.
 * `maxEntries` is stream-node-max-entries, which sizes `~`'s default LIMIT.
 */
export function parseAddOrTrim(
  args: readonly string[],
  forXadd: boolean,
  maxEntries: number,
): AddOrTrimArguments {
  const state: ParseState = {
    strategy: null,
    approx: false,
    maxLength: 0,
    minId: ZERO_ID,
    limit: 0,
    limitGiven: false,
  };
  let noMkStream = false;
  let id: ParsedId | null = null;
  let index = 2;
  for (; index < args.length; index++) {
    const option = args[index];
    const hasValue = index < args.length - 1;
    if (forXadd && option === '*') break;
    const upper = option.toUpperCase();
    if ((upper === 'MAXLEN' || upper === 'MINID') && hasValue) {
      index = parseStrategy(args, index, state);
    } else if (upper === 'LIMIT' && hasValue) {
      index = parseLimit(args, index, state);
    } else if (forXadd && upper === 'NOMKSTREAM') {
      noMkStream = true;
    } else if (forXadd) {
      id = parseIdText(option, 0, true);
      if (id === null) throw new CommandError(STREAM_ERR.invalidId);
      break;
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return { trim: finishRule(state, forXadd, maxEntries), noMkStream, id, idIndex: index };
}

/**
 * Returns the trimming arguments that replay `rule` exactly on the stream
 * as it is after the trim: `~` becomes `=` with the length or first ID that
 * the approximate trim left, so a replay removes the same entries.
 */
export function exactTrimArguments(rule: TrimRule, stream: StreamValue): string[] {
  if (rule.strategy === 'maxlen') {
    return ['MAXLEN', '=', String(rule.approx ? stream.size() : rule.maxLength)];
  }
  if (!rule.approx) return ['MINID', '=', formatId(rule.minId)];
  if (stream.size() === 0) return ['MAXLEN', '=', '0'];
  return ['MINID', '=', formatId(stream.firstId())];
}
