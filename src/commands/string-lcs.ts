/** LCS: the longest common subsequence of two strings, by dynamic programming as Redis does. */
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { isString, type StringValue } from '../store/types';
import { isOption, parseInteger } from './arguments';
import { lookupRead } from './lookup';
import { asBuffer } from './string-bytes';

interface LcsOptions {
  length: boolean;
  indexes: boolean;
  withMatchLength: boolean;
  minMatchLength: number;
}

/** One run of matching bytes: positions in the first and the second string, inclusive. */
interface Match {
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

/** Redis refuses strings whose lengths do not fit its 32-bit table cells. */
const MAX_LCS_LENGTH = 2 ** 32 - 2;
/** Each table cell is a 32-bit count, as in Redis, whose limit is stated in bytes. */
const CELL_BYTES = 4;

function parseLcsOptions(args: string[]): LcsOptions {
  const options: LcsOptions = {
    length: false,
    indexes: false,
    withMatchLength: false,
    minMatchLength: 0,
  };
  for (let i = 3; i < args.length; i++) {
    const option = args[i];
    if (isOption(option, 'IDX')) options.indexes = true;
    else if (isOption(option, 'LEN')) options.length = true;
    else if (isOption(option, 'WITHMATCHLEN')) options.withMatchLength = true;
    else if (isOption(option, 'MINMATCHLEN') && i + 1 < args.length) {
      options.minMatchLength = Math.max(0, parseInteger(args[++i]));
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  if (options.length && options.indexes) throw new CommandError(ERR.lcsLenAndIdx);
  return options;
}

function lcsOperand(client: Client, key: string): StringValue | undefined {
  const value = lookupRead(client, key);
  if (value !== undefined && !isString(value)) throw new CommandError(ERR.lcsWrongType);
  return value;
}

/**
 * Fills the table of LCS lengths: cell (i, j), at i * (b.length + 1) + j,
 * is the LCS length of the first i bytes of `a` and the first j of `b`.
 */
function buildTable(a: Buffer, b: Buffer): Uint32Array {
  const width = b.length + 1;
  const table = new Uint32Array((a.length + 1) * width);
  for (let i = 1; i <= a.length; i++) {
    const row = i * width;
    const above = row - width;
    const byte = a[i - 1];
    for (let j = 1; j <= b.length; j++) {
      if (byte === b[j - 1]) table[row + j] = table[above + j - 1] + 1;
      else table[row + j] = Math.max(table[above + j], table[row + j - 1]);
    }
  }
  return table;
}

/**
 * Walks the table back from the end, collecting the common bytes and the
 * runs of consecutive matches, last run first, as Redis reports them.
 * Going up is preferred only when it keeps a strictly longer LCS.
 */
function traceBack(a: Buffer, b: Buffer, table: Uint32Array): { text: Buffer; matches: Match[] } {
  const width = b.length + 1;
  let i = a.length;
  let j = b.length;
  let left = table[i * width + j];
  const text = Buffer.alloc(left);
  const matches: Match[] = [];
  let run: Match | null = null;
  while (i > 0 && j > 0) {
    if (a[i - 1] === b[j - 1]) {
      text[--left] = a[i - 1];
      if (run === null) run = { aStart: i - 1, aEnd: i - 1, bStart: j - 1, bEnd: j - 1 };
      run.aStart = i - 1;
      run.bStart = j - 1;
      i--;
      j--;
      if (i > 0 && j > 0) continue;
    } else {
      if (table[(i - 1) * width + j] > table[i * width + j - 1]) i--;
      else j--;
      if (run === null) continue;
    }
    matches.push(run);
    run = null;
  }
  return { text, matches };
}

function replyMatches(client: Client, matches: Match[], length: number, options: LcsOptions): void {
  const reply = client.reply;
  const kept = matches.filter((match) => match.aEnd - match.aStart + 1 >= options.minMatchLength);
  reply.map(2);
  reply.bulk('matches');
  reply.array(kept.length);
  for (const match of kept) {
    reply.array(options.withMatchLength ? 3 : 2);
    reply.array(2);
    reply.int(match.aStart);
    reply.int(match.aEnd);
    reply.array(2);
    reply.int(match.bStart);
    reply.int(match.bEnd);
    if (options.withMatchLength) reply.int(match.aEnd - match.aStart + 1);
  }
  reply.bulk('len');
  reply.int(length);
}

/**
 * LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the common
 * subsequence, its length (LEN), or the matching runs and the length (IDX).
 * Missing keys are empty strings. The O(N*M) table may take at most
 * proto-max-bulk-len bytes.
 */
export function lcs(client: Client, args: string[]): void {
  const first = lcsOperand(client, args[1]);
  const second = lcsOperand(client, args[2]);
  const options = parseLcsOptions(args);
  const a = asBuffer(first ?? '');
  const b = asBuffer(second ?? '');
  if (a.length >= MAX_LCS_LENGTH || b.length >= MAX_LCS_LENGTH) {
    throw new CommandError(ERR.lcsTooLong);
  }
  const tableBytes = (a.length + 1) * (b.length + 1) * CELL_BYTES;
  if (tableBytes > client.server.config.number('proto-max-bulk-len')) {
    throw new CommandError(ERR.lcsTooMuchMemory);
  }
  const table = buildTable(a, b);
  const length = table[table.length - 1];
  if (options.length) {
    client.reply.int(length);
    return;
  }
  const { text, matches } = traceBack(a, b, table);
  if (options.indexes) replyMatches(client, matches, length, options);
  else client.reply.bulk(text);
}
