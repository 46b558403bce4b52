/**
 * List commands: pushes, pops, reads, in-place edits and moves. The
 * blocking forms are in list-blocking.ts; shared steps in list-ops.ts.
 */
import {
  command,
  type CommandFlag,
  type CommandOptions,
  type RegisteredCommand,
  KEYS_POPPED,
  KEYS_PROBED,
  SOURCE_TO_DESTINATION,
  KEYS_INSERTED,
  KEYS_REMOVED,
} from '../engine/command';
import type { Client } from '../engine/client';
import { RespWriter } from '../protocol/resp/reply';
import { CommandError, ERR, wrongArity } from '../engine/errors';
import { parseInteger, toBigInt64, toInteger } from './arguments';
import { blockingListCommands } from './list-blocking';
import { deleteEmptiedKey } from './collection-keys';
import {
  listFill,
  moveValue,
  notifyList,
  numkeysKeys,
  parseListPop,
  parseSide,
  popValues,
  pushValues,
  readList,
  replyKeyAndValues,
  writableList,
  type Side,
} from './list-ops';

/** Pushes, or with `onlyExisting` (LPUSHX, RPUSHX) pushes only onto an existing list. */
function push(client: Client, args: string[], side: Side, onlyExisting: boolean): void {
  const key = args[1];
  const list = writableList(client, key);
  if (onlyExisting && list === undefined) {
    client.reply.int(0);
    return;
  }
  client.reply.int(pushValues(client, key, list, args.slice(2), side));
}

/** LPUSH key element...: pushes each element at the head in turn; replies the new length. */
function lpush(client: Client, args: string[]): void {
  push(client, args, 'left', false);
}

/** RPUSH key element...: appends each element; replies the new length. */
function rpush(client: Client, args: string[]): void {
  push(client, args, 'right', false);
}

/** LPUSHX key element...: LPUSH on an existing list only; replies 0 when the key is missing. */
function lpushx(client: Client, args: string[]): void {
  push(client, args, 'left', true);
}

/** RPUSHX key element...: RPUSH on an existing list only; replies 0 when the key is missing. */
function rpushx(client: Client, args: string[]): void {
  push(client, args, 'right', true);
}

/** Parses a non-negative count; anything else is "value is out of range, must be positive". */
function parsePositiveCount(text: string): number {
  const value = toInteger(text);
  if (value === null || value < 0) throw new CommandError(ERR.notPositive);
  return value;
}

/**
 * LPOP and RPOP key [count]: without a count, the popped element or nil.
 * With a count, an array of up to count elements, or a nil array when the
 * key is missing. Deletes the key when the list empties.
 */
function pop(client: Client, args: string[], side: Side): void {
  if (args.length > 3) throw new CommandError(wrongArity(side === 'left' ? 'lpop' : 'rpop'));
  const key = args[1];
  const hasCount = args.length === 3;
  const count = hasCount ? parsePositiveCount(args[2]) : 1;
  const list = writableList(client, key);
  if (list === undefined) {
    if (hasCount) client.reply.nilArray();
    else client.reply.nil();
    return;
  }
  if (!hasCount) {
    client.reply.bulk(popValues(client, key, list, 1, side)[0]);
    return;
  }
  client.reply.bulkArray(count === 0 ? [] : popValues(client, key, list, count, side));
}

function lpop(client: Client, args: string[]): void {
  pop(client, args, 'left');
}

function rpop(client: Client, args: string[]): void {
  pop(client, args, 'right');
}

/** LLEN key: the list's length, 0 when the key is missing. */
function llen(client: Client, args: string[]): void {
  client.reply.int(readList(client, args[1])?.size() ?? 0);
}

/** Converts a possibly negative index to a position from the head (may be out of range). */
function fromHead(index: number, length: number): number {
  return index < 0 ? length + index : index;
}

/** LINDEX key index: the element at index (negative counts from the tail), or nil. */
function lindex(client: Client, args: string[]): void {
  const list = readList(client, args[1]);
  if (list === undefined) {
    client.reply.nil();
    return;
  }
  const index = fromHead(parseInteger(args[2]), list.size());
  const value = list.at(index);
  if (value === undefined) client.reply.nil();
  else client.reply.bulk(value);
}

/** LSET key index element: replaces the element at index; OK, or an error when out of range. */
function lset(client: Client, args: string[]): void {
  const key = args[1];
  const list = writableList(client, key);
  if (list === undefined) throw new CommandError(ERR.noSuchKey);
  const position = fromHead(parseInteger(args[2]), list.size());
  if (position < 0 || position >= list.size()) throw new CommandError(ERR.indexOutOfRange);
  list.set(position, args[3], listFill(client));
  client.server.dirty++;
  notifyList(client, 'lset', key);
  client.reply.ok();
}

/** Clamps LRANGE/LTRIM indexes to the list; returns [first, count], count 0 when empty. */
function clampRange(start: number, stop: number, length: number): [number, number] {
  const first = Math.max(0, fromHead(start, length));
  const last = Math.min(fromHead(stop, length), length - 1);
  if (first > last || first >= length) return [0, 0];
  return [first, last - first + 1];
}

/** LRANGE key start stop: the elements from start to stop inclusive (negative from the tail). */
function lrange(client: Client, args: string[]): void {
  const start = parseInteger(args[2]);
  const stop = parseInteger(args[3]);
  const list = readList(client, args[1]);
  if (list === undefined) {
    client.reply.array(0);
    return;
  }
  const [first, count] = clampRange(start, stop, list.size());
  const reply = client.reply;
  reply.array(count);
  if (reply instanceof RespWriter) list.writeBulks(first, count, reply);
  else list.forEach(first, count, false, (value) => reply.bulk(value));
}

/**
 * LTRIM key start stop: keeps only the elements from start to stop; OK.
 * Sends 'ltrim' even when nothing goes, and deletes an emptied key.
 */
function ltrim(client: Client, args: string[]): void {
  const start = parseInteger(args[2]);
  const stop = parseInteger(args[3]);
  const key = args[1];
  const list = writableList(client, key);
  if (list === undefined) {
    client.reply.ok();
    return;
  }
  const length = list.size();
  const [first, count] = clampRange(start, stop, length);
  if (count === 0) list.clear();
  else list.trim(first, first + count - 1, listFill(client));
  client.server.dirty += length - count;
  notifyList(client, 'ltrim', key);
  if (list.size() === 0) deleteEmptiedKey(client, key);
  client.server.keyModified(client.db, key);
  client.reply.ok();
}

/**
 * LREM key count element: removes up to count matches from the head
 * (from the tail when negative, all when 0); replies how many went.
 */
function lrem(client: Client, args: string[]): void {
  const count = parseInteger(args[2]);
  const key = args[1];
  const list = writableList(client, key);
  if (list === undefined) {
    client.reply.int(0);
    return;
  }
  const removed = list.remove(args[3], count, listFill(client));
  if (removed > 0) {
    client.server.dirty += removed;
    notifyList(client, 'lrem', key);
  }
  if (list.size() === 0) deleteEmptiedKey(client, key);
  client.reply.int(removed);
}

/**
 * LINSERT key BEFORE|AFTER pivot element: inserts next to the first pivot;
 * replies the new length, -1 when the pivot is missing, 0 when the key is.
 */
function linsert(client: Client, args: string[]): void {
  const where = args[2].toUpperCase();
  if (where !== 'BEFORE' && where !== 'AFTER') throw new CommandError(ERR.syntax);
  const key = args[1];
  const list = writableList(client, key);
  if (list === undefined) {
    client.reply.int(0);
    return;
  }
  if (!list.insert(args[3], args[4], where === 'AFTER', listFill(client))) {
    client.reply.int(-1);
    return;
  }
  client.server.dirty++;
  notifyList(client, 'linsert', key);
  client.reply.int(list.size());
}

interface LposOptions {
  /** Matches to skip before the first one reported. */
  skip: number;
  reverse: boolean;
  /** COUNT, or null when not given (then the reply is one index or nil). */
  count: number | null;
  maxLength: number;
}

const INT64_MIN = -(2n ** 63n);

function parseLposOptions(args: string[]): LposOptions {
  let rank = 1n;
  let count: number | null = null;
  let maxLength = 0;
  for (let i = 3; i < args.length; i++) {
    const option = args[i].toUpperCase();
    const hasValue = i + 1 < args.length;
    if (option === 'RANK' && hasValue) {
      rank = toBigInt64(args[++i]) ?? raise(ERR.notInteger);
      if (rank === 0n) throw new CommandError(ERR.lposRankZero);
    } else if (option === 'COUNT' && hasValue) {
      count = nonNegative(args[++i], ERR.lposCountNegative);
    } else if (option === 'MAXLEN' && hasValue) {
      maxLength = nonNegative(args[++i], ERR.lposMaxlenNegative);
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  // Redis negates the rank in 64 bits, so the lowest one stays negative and matches at once.
  const skip = rank === INT64_MIN ? 0 : Number(rank < 0n ? -rank : rank) - 1;
  return { skip, reverse: rank < 0n, count, maxLength };
}

function raise(text: string): never {
  throw new CommandError(text);
}

function nonNegative(text: string, message: string): number {
  const value = toInteger(text);
  if (value === null || value < 0) throw new CommandError(message);
  return value;
}

/**
 * LPOS key element [RANK rank] [COUNT n] [MAXLEN len]: the index of the
 * rank-th match (a negative rank counts from the tail), or nil. With COUNT,
 * an array of up to n indexes (0: all of them).
 */
function lpos(client: Client, args: string[]): void {
  const options = parseLposOptions(args);
  const list = readList(client, args[1]);
  let limit = options.count ?? 1;
  if (limit === 0) limit = Infinity;
  const found =
    list === undefined
      ? []
      : list.positions(args[2], options.skip, limit, options.reverse, options.maxLength);
  if (options.count !== null) {
    client.reply.array(found.length);
    for (const index of found) client.reply.int(index);
  } else if (found.length === 0) {
    client.reply.nil();
  } else {
    client.reply.int(found[0]);
  }
}

/**
 * LMPOP numkeys key... LEFT|RIGHT [COUNT count]: pops up to count elements
 * from the first non-empty list; replies [key, elements], or a nil array.
 * Journals as LPOP/RPOP key count.
 */
function lmpop(client: Client, args: string[]): void {
  const { keys, side, count } = parseListPop(args, 1);
  for (const key of keys) {
    const list = writableList(client, key);
    if (list === undefined) continue;
    const values = popValues(client, key, list, count, side);
    client.propagateAs = [[side === 'left' ? 'LPOP' : 'RPOP', key, String(values.length)]];
    replyKeyAndValues(client, key, values);
    return;
  }
  client.reply.nilArray();
}

/**
 * LMOVE source destination LEFT|RIGHT LEFT|RIGHT: moves one element and
 * replies it; nil when the source is missing. The source and destination
 * may be the same list (a rotation).
 */
function lmove(client: Client, args: string[]): void {
  const from = parseSide(args[3]);
  const to = parseSide(args[4]);
  moveOrNil(client, args[1], args[2], from, to);
}

/** RPOPLPUSH source destination: LMOVE source destination RIGHT LEFT. */
function rpoplpush(client: Client, args: string[]): void {
  moveOrNil(client, args[1], args[2], 'right', 'left');
}

function moveOrNil(
  client: Client,
  source: string,
  destination: string,
  from: Side,
  to: Side,
): void {
  const list = writableList(client, source);
  if (list === undefined) {
    client.reply.nil();
    return;
  }
  client.reply.bulk(moveValue(client, source, list, destination, from, to));
}

const WRITE_FAST: CommandFlag[] = ['write', 'denyoom', 'fast'];

/** Builds a row of the list group, with one key at index 1 unless `extra` sets others. */
function listCommand(
  name: string,
  arity: number,
  flags: CommandFlag[],
  summary: string,
  handler: CommandOptions['handler'],
  extra: Partial<CommandOptions> = {},
): RegisteredCommand {
  return command({
    name,
    arity,
    flags,
    keys: [1, 1, 1],
    categories: ['list'],
    group: 'list',
    summary,
    handler,
    ...extra,
  });
}

export const listCommands: RegisteredCommand[] = [
  listCommand('lpush', -3, WRITE_FAST, 'Prepends one or more elements to a list.', lpush, {
    complexity: 'O(1) for each element added',
    keyFlags: KEYS_INSERTED,
  }),
  listCommand('rpush', -3, WRITE_FAST, 'Appends one or more elements to a list.', rpush, {
    complexity: 'O(1) for each element added',
    keyFlags: KEYS_INSERTED,
  }),
  listCommand(
    'lpushx',
    -3,
    WRITE_FAST,
    'Prepends elements to a list only when it exists.',
    lpushx,
    { since: '2.2.0', complexity: 'O(1) for each element added', keyFlags: KEYS_INSERTED },
  ),
  listCommand('rpushx', -3, WRITE_FAST, 'Appends elements to a list only when it exists.', rpushx, {
    since: '2.2.0',
    keyFlags: KEYS_INSERTED,
    complexity: 'O(1) for each element added',
  }),
  listCommand(
    'lpop',
    -2,
    ['write', 'fast'],
    'Removes and returns the first elements of a list.',
    lpop,
    { complexity: 'O(N) where N is the number of elements returned', keyFlags: KEYS_POPPED },
  ),
  listCommand(
    'rpop',
    -2,
    ['write', 'fast'],
    'Removes and returns the last elements of a list.',
    rpop,
    { complexity: 'O(N) where N is the number of elements returned', keyFlags: KEYS_POPPED },
  ),
  listCommand('llen', 2, ['readonly', 'fast'], 'Returns the length of a list.', llen, {
    keyFlags: KEYS_PROBED,
  }),
  listCommand('lindex', 3, ['readonly'], 'Returns an element of a list by its index.', lindex, {
    complexity: 'O(N) where N is the number of elements to traverse to get to the index',
  }),
  listCommand('lset', 4, ['write', 'denyoom'], 'Sets the value of an element by its index.', lset, {
    complexity: 'O(N) where N is the length of the list',
  }),
  listCommand(
    'linsert',
    5,
    ['write', 'denyoom'],
    'Inserts an element before or after another element in a list.',
    linsert,
    {
      since: '2.2.0',
      complexity: 'O(N) where N is the number of elements to traverse',
      keyFlags: KEYS_INSERTED,
    },
  ),
  listCommand('lrange', 4, ['readonly'], 'Returns a range of elements from a list.', lrange, {
    complexity: 'O(S+N) where S is the distance of start from the head and N the range size',
  }),
  listCommand('ltrim', 4, ['write'], 'Removes elements from both ends of a list.', ltrim, {
    complexity: 'O(N) where N is the number of elements removed',
    keyFlags: KEYS_REMOVED,
  }),
  listCommand('lrem', 4, ['write'], 'Removes elements equal to a value from a list.', lrem, {
    complexity: 'O(N+M) where N is the length of the list and M the number removed',
    keyFlags: KEYS_REMOVED,
  }),
  listCommand('lpos', -3, ['readonly'], 'Returns the index of matching elements in a list.', lpos, {
    since: '6.0.6',
    complexity: 'O(N) where N is the number of elements scanned',
  }),
  listCommand(
    'lmove',
    5,
    ['write', 'denyoom'],
    'Moves an element from one list to another and returns it.',
    lmove,
    { since: '6.2.0', keys: [1, 2, 1], keyFlags: SOURCE_TO_DESTINATION },
  ),
  listCommand(
    'rpoplpush',
    3,
    ['write', 'denyoom'],
    'Moves the last element of a list to the head of another and returns it.',
    rpoplpush,
    { since: '1.2.0', keys: [1, 2, 1], keyFlags: SOURCE_TO_DESTINATION },
  ),
  listCommand('lmpop', -4, ['write'], 'Pops elements from the first non-empty list.', lmpop, {
    since: '7.0.0',
    keys: [0, 0, 0],
    findKeys: (args) => numkeysKeys(args, 1),
    keyFlags: KEYS_POPPED,
    complexity: 'O(N+M) where N is the number of keys and M the number of elements returned',
  }),
  ...blockingListCommands,
];
