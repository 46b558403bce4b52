/** Arguments of the SCAN family (SCAN, HSCAN, SSCAN, ZSCAN): the cursor and the options. */
import { CommandError, ERR } from '../engine/errors';
import { parseInteger } from './arguments';

const ULONG_MAX = 2n ** 64n - 1n;
const CURSOR_PATTERN = /^[+-]?\d*$/;

/**
 * Parses a cursor as Redis does with strtoul: an unsigned decimal with an
 * optional sign (a negative one wraps around modulo 2^64), no surrounding
 * spaces, and the empty string counting as 0. Raises "invalid cursor" otherwise.
 */
export function parseCursor(text: string): bigint {
  if (!CURSOR_PATTERN.test(text) || text === '+' || text === '-') {
    throw new CommandError(ERR.invalidCursor);
  }
  if (text === '') return 0n;
  const negative = text[0] === '-';
  const magnitude = BigInt(negative || text[0] === '+' ? text.slice(1) : text);
  if (magnitude > ULONG_MAX) throw new CommandError(ERR.invalidCursor);
  return negative && magnitude !== 0n ? ULONG_MAX + 1n - magnitude : magnitude;
}

/** The options of a SCAN-family command. */
export interface ScanOptions {
  /** Entries to step over per call, a hint like Redis's COUNT. */
  count: number;
  /** The MATCH pattern, or null when absent or "*". */
  pattern: string | null;
  /** The TYPE filter (SCAN only), lowercase, or null. */
  type: string | null;
}

/**
 * Parses COUNT, MATCH and, when `allowType`, TYPE from `args[start]` on. A
 * non-integer COUNT raises "not an integer". A COUNT below 1, an unknown
 * option or an option without its value raises a syntax error, as in Redis.
 */
export function parseScanOptions(args: string[], start: number, allowType: boolean): ScanOptions {
  const options: ScanOptions = { count: 10, pattern: null, type: null };
  for (let i = start; i < args.length; i += 2) {
    const option = args[i].toUpperCase();
    const hasValue = i + 1 < args.length;
    if (option === 'COUNT' && hasValue) {
      options.count = parseInteger(args[i + 1]);
      if (options.count < 1) throw new CommandError(ERR.syntax);
    } else if (option === 'MATCH' && hasValue) {
      options.pattern = args[i + 1] === '*' ? null : args[i + 1];
    } else if (option === 'TYPE' && allowType && hasValue) {
      options.type = args[i + 1].toLowerCase();
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return options;
}
