/**
 * Blocking list commands: BLPOP, BRPOP, BLMPOP, BLMOVE and BRPOPLPUSH. Each
 * serves at once from the first non-empty list, and otherwise waits
 * (engine/blocking.ts). Inside MULTI/EXEC or a script it does not wait but
 * replies as its non-blocking form does on empty lists. A served command
 * journals as that non-blocking form.
 */
import {
  command,
  type CommandFlag,
  type RegisteredCommand,
  KEYS_POPPED,
  SOURCE_TO_DESTINATION,
  type KeyFlagList,
} from '../engine/command';
import type { Client } from '../engine/client';
import { blockClient, mayBlock } from '../engine/blocking';
import { ListValue } from '../store/list';
import { parseTimeout } from './blocking-timeout';
import {
  moveValue,
  numkeysKeys,
  parseListPop,
  parseSide,
  popValues,
  replyKeyAndValues,
  writableList,
  type Side,
} from './list-ops';

/** Returns the list under `key`, or undefined for any other value (the waiter keeps waiting). */
function waitedList(client: Client, key: string): ListValue | undefined {
  const value = client.db.get(key);
  return value instanceof ListValue ? value : undefined;
}

function popName(side: Side): string {
  return side === 'left' ? 'LPOP' : 'RPOP';
}

/** Pops one element for BLPOP/BRPOP; replies [key, element] and journals LPOP/RPOP key. */
function popOne(client: Client, key: string, list: ListValue, side: Side): void {
  const [value] = popValues(client, key, list, 1, side);
  client.propagateAs = [[popName(side), key]];
  client.reply.array(2);
  client.reply.bulk(key);
  client.reply.bulk(value);
}

/**
 * BLPOP and BRPOP key... timeout: pops from the first non-empty list and
 * replies [key, element]; otherwise blocks until a list gets an element
 * (nil array on timeout).
 */
function blockingPop(client: Client, args: string[], side: Side): void {
  const timeoutMs = parseTimeout(args[args.length - 1]);
  const keys = args.slice(1, -1);
  for (const key of keys) {
    const list = writableList(client, key);
    if (list === undefined) continue;
    popOne(client, key, list, side);
    return;
  }
  if (!mayBlock(client)) {
    client.reply.nilArray();
    return;
  }
  blockClient(client, keys, timeoutMs, (waiting, key) => {
    const list = waitedList(waiting, key);
    if (list === undefined) return false;
    popOne(waiting, key, list, side);
    return true;
  });
}

function blpop(client: Client, args: string[]): void {
  blockingPop(client, args, 'left');
}

function brpop(client: Client, args: string[]): void {
  blockingPop(client, args, 'right');
}

/** Pops up to `count` for BLMPOP; replies [key, elements] and journals LPOP/RPOP key n. */
function popMany(client: Client, key: string, list: ListValue, side: Side, count: number): void {
  const values = popValues(client, key, list, count, side);
  client.propagateAs = [[popName(side), key, String(values.length)]];
  replyKeyAndValues(client, key, values);
}

/**
 * BLMPOP timeout numkeys key... LEFT|RIGHT [COUNT count]: LMPOP, or blocks
 * until one of the lists gets elements (nil array on timeout).
 */
function blmpop(client: Client, args: string[]): void {
  const { keys, side, count } = parseListPop(args, 2);
  const timeoutMs = parseTimeout(args[1]);
  for (const key of keys) {
    const list = writableList(client, key);
    if (list === undefined) continue;
    popMany(client, key, list, side, count);
    return;
  }
  if (!mayBlock(client)) {
    client.reply.nilArray();
    return;
  }
  blockClient(client, keys, timeoutMs, (waiting, key) => {
    const list = waitedList(waiting, key);
    if (list === undefined) return false;
    popMany(waiting, key, list, side, count);
    return true;
  });
}

interface Move {
  source: string;
  destination: string;
  from: Side;
  to: Side;
  /** True for BRPOPLPUSH, which journals as RPOPLPUSH instead of LMOVE. */
  rpoplpush: boolean;
}

/**
 * Moves one element and replies it; WRONGTYPE (nothing moved) when the
 * destination is not a list. `sides` are the LEFT/RIGHT words to journal.
 */
function moveOne(client: Client, list: ListValue, move: Move, sides: [string, string]): void {
  const { source, destination } = move;
  const value = moveValue(client, source, list, destination, move.from, move.to);
  client.propagateAs = [
    move.rpoplpush ? ['RPOPLPUSH', source, destination] : ['LMOVE', source, destination, ...sides],
  ];
  client.reply.bulk(value);
}

/**
 * LMOVE when the source has elements, journaled with the side words as
 * sent; otherwise blocks on the source (nil array on timeout). A served
 * move journals the sides in lower case, as Redis does.
 */
function blockingMove(
  client: Client,
  move: Move,
  sides: [string, string],
  timeoutMs: number,
): void {
  const list = writableList(client, move.source);
  if (list !== undefined) {
    moveOne(client, list, move, sides);
    return;
  }
  if (!mayBlock(client)) {
    client.reply.nil();
    return;
  }
  blockClient(client, [move.source], timeoutMs, (waiting, key) => {
    const source = waitedList(waiting, key);
    if (source === undefined) return false;
    // The write that woke this client kept the source for a background save, not the destination.
    waiting.server.snapshot?.preserve(waiting.db, move.destination);
    moveOne(waiting, source, move, [move.from, move.to]);
    return true;
  });
}

/**
 * BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout: LMOVE, or waits
 * for the source to get an element. Journals as LMOVE.
 */
function blmove(client: Client, args: string[]): void {
  const [, source, destination] = args;
  const from = parseSide(args[3]);
  const to = parseSide(args[4]);
  const timeoutMs = parseTimeout(args[5]);
  const move = { source, destination, from, to, rpoplpush: false };
  blockingMove(client, move, [args[3], args[4]], timeoutMs);
}

/** BRPOPLPUSH source destination timeout: BLMOVE source destination RIGHT LEFT. */
function brpoplpush(client: Client, args: string[]): void {
  const [, source, destination] = args;
  const timeoutMs = parseTimeout(args[3]);
  const move: Move = { source, destination, from: 'right', to: 'left', rpoplpush: true };
  blockingMove(client, move, ['RIGHT', 'LEFT'], timeoutMs);
}

function blockingCommand(
  name: string,
  arity: number,
  flags: CommandFlag[],
  keys: [number, number, number],
  summary: string,
  handler: (client: Client, args: string[]) => void,
  since: string,
  keyFlags: KeyFlagList,
): RegisteredCommand {
  return command({
    name,
    arity,
    flags,
    keys,
    keyFlags,
    categories: ['list'],
    group: 'list',
    summary,
    since,
    complexity: 'O(N) where N is the number of keys',
    handler,
  });
}

export const blockingListCommands: RegisteredCommand[] = [
  blockingCommand(
    'blpop',
    -3,
    ['write', 'noscript', 'blocking'],
    [1, -2, 1],
    'Removes and returns the first element of the first non-empty list, or blocks.',
    blpop,
    '2.0.0',
    KEYS_POPPED,
  ),
  blockingCommand(
    'brpop',
    -3,
    ['write', 'noscript', 'blocking'],
    [1, -2, 1],
    'Removes and returns the last element of the first non-empty list, or blocks.',
    brpop,
    '2.0.0',
    KEYS_POPPED,
  ),
  blockingCommand(
    'blmove',
    6,
    ['write', 'denyoom', 'noscript', 'blocking'],
    [1, 2, 1],
    'Moves an element from one list to another and returns it, or blocks.',
    blmove,
    '6.2.0',
    SOURCE_TO_DESTINATION,
  ),
  blockingCommand(
    'brpoplpush',
    4,
    ['write', 'denyoom', 'noscript', 'blocking'],
    [1, 2, 1],
    'Moves the last element of a list to the head of another, or blocks.',
    brpoplpush,
    '2.2.0',
    SOURCE_TO_DESTINATION,
  ),
  command({
    name: 'blmpop',
    arity: -5,
    flags: ['write', 'blocking'],
    keys: [0, 0, 0],
    findKeys: (args) => numkeysKeys(args, 2),
    keyFlags: KEYS_POPPED,
    categories: ['list'],
    group: 'list',
    summary: 'Pops elements from the first non-empty list, or blocks until one has some.',
    since: '7.0.0',
    complexity: 'O(N+M) where N is the number of keys and M the number of elements returned',
    handler: blmpop,
  }),
];
