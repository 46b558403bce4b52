/**
 * Steps shared by the list commands and their blocking forms: lookups,
 * pops and moves with Redis's keyspace events, dirty counts and the
 * wake-up of clients blocked on a key that receives elements.
 */
import type { Client } from '../engine/client';
import { signalKeyReady } from '../engine/blocking';
import { CommandError, ERR } from '../engine/errors';
import { notifyKeyspaceEvent } from '../engine/notify';
import { ListValue } from '../store/list';
import { toInteger } from './arguments';
import { deleteEmptiedKey, storeNewKey } from './collection-keys';
import { lookupCollection } from './lookup';

export type Side = 'left' | 'right';

/** Returns the `list-max-listpack-size` setting in force. */
export function listFill(client: Client): number {
  return client.server.config.number('list-max-listpack-size');
}

/** Parses LEFT or RIGHT, ignoring case; anything else is a syntax error. */
export function parseSide(text: string): Side {
  const upper = text.toUpperCase();
  if (upper === 'LEFT') return 'left';
  if (upper === 'RIGHT') return 'right';
  throw new CommandError(ERR.syntax);
}

/** Looks up a list for reading (counting hits and misses); WRONGTYPE for another type. */
export function readList(client: Client, key: string): ListValue | undefined {
  return lookupCollection<ListValue>(client, key, 'list', true);
}

/** Looks up a list for writing; WRONGTYPE for another type. */
export function writableList(client: Client, key: string): ListValue | undefined {
  return lookupCollection<ListValue>(client, key, 'list', false);
}

export function notifyList(client: Client, event: string, key: string): void {
  notifyKeyspaceEvent(client.server, 'l', event, key, client.db.id);
}

/**
 * Pushes values one by one at one end of the list under `key`, creating it
 * when missing, with the 'lpush' or 'rpush' event. Wakes clients blocked on
 * the key. Returns the new length.
 */
export function pushValues(
  client: Client,
  key: string,
  list: ListValue | undefined,
  values: readonly string[],
  side: Side,
): number {
  const fill = listFill(client);
  let target = list;
  if (target === undefined) {
    target = new ListValue();
    storeNewKey(client, key, target);
  }
  for (const value of values) {
    if (side === 'left') target.pushHead(value, fill);
    else target.pushTail(value, fill);
  }
  client.server.dirty += values.length;
  notifyList(client, side === 'left' ? 'lpush' : 'rpush', key);
  signalKeyReady(client.server, client.db, key);
  return target.size();
}

/**
 * Pops up to `count` elements from one end, in pop order, with the 'lpop'
 * or 'rpop' event, and deletes the key when the list empties.
 */
export function popValues(
  client: Client,
  key: string,
  list: ListValue,
  count: number,
  side: Side,
): string[] {
  const fill = listFill(client);
  const taken = Math.min(count, list.size());
  const values: string[] = [];
  for (let i = 0; i < taken; i++) {
    const value = side === 'left' ? list.popHead(fill) : list.popTail(fill);
    values.push(value as string);
  }
  client.server.dirty += taken;
  afterRemoval(client, key, list, side === 'left' ? 'lpop' : 'rpop');
  return values;
}

/** Sends a removal's event, then deletes the key with a 'del' event once the list is empty. */
export function afterRemoval(client: Client, key: string, list: ListValue, event: string): void {
  notifyList(client, event, key);
  if (list.size() === 0) deleteEmptiedKey(client, key);
}

/** Writes LMPOP's reply: the key, then the popped elements. */
export function replyKeyAndValues(client: Client, key: string, values: readonly string[]): void {
  client.reply.array(2);
  client.reply.bulk(key);
  client.reply.bulkArray(values);
}

/**
 * Moves one element from `source` (an existing, non-empty list) to
 * `destination`, as LMOVE does: WRONGTYPE when the destination holds
 * another type, otherwise the element is pushed (creating the destination,
 * waking its blocked clients) and returned. Events follow Redis: the push
 * event, then the pop event, then 'del' when the source empties.
 */
export function moveValue(
  client: Client,
  source: string,
  list: ListValue,
  destination: string,
  from: Side,
  to: Side,
): string {
  const target = writableList(client, destination);
  const fill = listFill(client);
  const value = (from === 'left' ? list.popHead(fill) : list.popTail(fill)) as string;
  pushValues(client, destination, target, [value], to);
  afterRemoval(client, source, list, from === 'left' ? 'lpop' : 'rpop');
  client.server.keyModified(client.db, destination);
  return value;
}

/** The parsed arguments of LMPOP and BLMPOP. */
export interface ListPopArguments {
  keys: string[];
  side: Side;
  count: number;
}

/**
 * Parses `numkeys key... LEFT|RIGHT [COUNT count]` starting at `index`, in
 * Redis's order: numkeys, then the side, then COUNT.
 */
export function parseListPop(args: readonly string[], index: number): ListPopArguments {
  const numkeys = toInteger(args[index]);
  if (numkeys === null || numkeys < 1) throw new CommandError(ERR.numkeysNotPositive);
  const sideIndex = index + numkeys + 1;
  if (sideIndex >= args.length) throw new CommandError(ERR.syntax);
  const side = parseSide(args[sideIndex]);
  let count = -1;
  for (let i = sideIndex + 1; i < args.length; i++) {
    if (count === -1 && args[i].toUpperCase() === 'COUNT' && i + 1 < args.length) {
      const value = toInteger(args[++i]);
      if (value === null || value < 1) throw new CommandError(ERR.countNotPositive);
      count = value;
    } else {
      throw new CommandError(ERR.syntax);
    }
  }
  return { keys: args.slice(index + 1, sideIndex), side, count: count === -1 ? 1 : count };
}

/** Returns the key indexes of a command whose numkeys is at `index`; none if it is invalid. */
export function numkeysKeys(args: readonly string[], index: number): number[] {
  const numkeys = toInteger(args[index] ?? '');
  if (numkeys === null || numkeys < 1 || numkeys > args.length - index - 1) return [];
  return Array.from({ length: numkeys }, (_, i) => index + 1 + i);
}
