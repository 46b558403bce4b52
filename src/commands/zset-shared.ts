/**
 * Steps shared by the sorted set command files: lookups, the listpack
 * limits in force, replies of members with scores, and key removal with
 * Redis's keyspace events.
 */
import { signalKeyReady } from '../engine/blocking';
import type { Client } from '../engine/client';
import { notifyKeyspaceEvent } from '../engine/notify';
import {
  zsetFromEntries,
  zsetLimits,
  type ListpackLimits,
  type ScoredMember,
  type SortedSet,
} from '../store/zset';
import { deleteEmptiedKey, storeNewKey } from './collection-keys';
import { lookupCollection } from './lookup';

/** Returns the zset-max-listpack-entries and zset-max-listpack-value settings in force. */
export function listpackLimits(client: Client): ListpackLimits {
  return zsetLimits(client.server.config);
}

/** Looks up a sorted set for reading (counting hits and misses); WRONGTYPE for another type. */
export function readZset(client: Client, key: string): SortedSet | undefined {
  return lookupCollection<SortedSet>(client, key, 'zset', true);
}

/** Looks up a sorted set for writing; WRONGTYPE for another type. */
export function writableZset(client: Client, key: string): SortedSet | undefined {
  return lookupCollection<SortedSet>(client, key, 'zset', false);
}

/** Sends a sorted-set-class ('z') keyspace event such as 'zadd' or 'zrem'. */
export function notifyZset(client: Client, event: string, key: string): void {
  notifyKeyspaceEvent(client.server, 'z', event, key, client.db.id);
}

/**
 * Records a removal of `count` entries: the event, the 'del' event and key
 * removal when the set is empty, and the dirty count. Nothing when count is 0.
 */
export function afterRemoval(
  client: Client,
  key: string,
  zset: SortedSet,
  count: number,
  event: string,
): void {
  if (count === 0) return;
  notifyZset(client, event, key);
  if (zset.size() === 0) deleteEmptiedKey(client, key);
  client.server.dirty += count;
}

/** Writes one member and its score: a RESP3 double, or a bulk string in RESP2. */
function replyScore(client: Client, entry: ScoredMember): void {
  client.reply.bulk(entry.member);
  client.reply.double(entry.score);
}

/**
 * Writes members, with their scores when `withScores`: a flat array in
 * RESP2, an array of [member, score] pairs in RESP3, as Redis 7.0 does for
 * ZRANGE WITHSCORES and friends.
 */
export function replyScoredMembers(
  client: Client,
  entries: readonly ScoredMember[],
  withScores: boolean,
): void {
  const reply = client.reply;
  if (!withScores) {
    reply.array(entries.length);
    for (const entry of entries) reply.bulk(entry.member);
    return;
  }
  const nested = client.resp === 3;
  reply.array(nested ? entries.length : entries.length * 2);
  for (const entry of entries) {
    if (nested) reply.array(2);
    replyScore(client, entry);
  }
}

/** Writes [member, score] pairs as nested arrays in both protocols (ZMPOP, BZMPOP). */
export function replyPairs(client: Client, entries: readonly ScoredMember[]): void {
  client.reply.array(entries.length);
  for (const entry of entries) {
    client.reply.array(2);
    replyScore(client, entry);
  }
}

/**
 * Stores `entries` as a new sorted set under `key`, replacing any value
 * there and sending `event`, or deletes `key` when there are no entries.
 * Counts one dirty change when the key was written or deleted, as Redis
 * does. Returns the number of entries stored.
 */
export function storeResult(
  client: Client,
  key: string,
  entries: readonly ScoredMember[],
  event: string,
): number {
  const db = client.db;
  const exists = db.get(key) !== undefined;
  if (entries.length === 0) {
    if (!exists) return 0;
    deleteEmptiedKey(client, key);
    client.server.dirty++;
    return 0;
  }
  const pairs = entries.map((entry): [string, number] => [entry.member, entry.score]);
  const zset = zsetFromEntries(pairs, listpackLimits(client));
  if (exists) db.set(key, zset);
  else storeNewKey(client, key, zset);
  notifyZset(client, event, key);
  client.server.dirty++;
  signalKeyReady(client.server, db, key);
  return entries.length;
}
