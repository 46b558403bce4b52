/** Key lookups shared by command families: hit and miss counting, and type checks. */
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { isString, type CollectionValue, type StringValue, type Value } from '../store/types';

/** Looks a key up for reading, counting a keyspace hit or miss. */
export function lookupRead(client: Client, key: string): Value | undefined {
  const value = client.db.get(key);
  if (value === undefined) client.server.stats.keyspaceMisses++;
  else client.server.stats.keyspaceHits++;
  return value;
}

/** Looks up a string for reading; raises WRONGTYPE for any other type. */
export function readString(client: Client, key: string): StringValue | undefined {
  const value = lookupRead(client, key);
  if (value !== undefined && !isString(value)) throw new CommandError(ERR.wrongType);
  return value;
}

/** Looks up a string for writing (no hit counting); raises WRONGTYPE for any other type. */
export function writableString(client: Client, key: string): StringValue | undefined {
  const value = client.db.get(key);
  if (value !== undefined && !isString(value)) throw new CommandError(ERR.wrongType);
  return value;
}

/**
 * Looks up a collection of one type: undefined when the key is missing,
 * WRONGTYPE when it holds something else. `read` counts hits and misses.
 */
export function lookupCollection<T extends CollectionValue>(
  client: Client,
  key: string,
  type: T['type'],
  read: boolean,
): T | undefined {
  const value = read ? lookupRead(client, key) : client.db.get(key);
  if (value === undefined) return undefined;
  if (isString(value) || value.type !== type) throw new CommandError(ERR.wrongType);
  return value as T;
}
