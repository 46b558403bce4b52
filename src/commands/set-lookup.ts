/** Set lookups and events shared by the set command files. */
import type { Client } from '../engine/client';
import type { SetValue } from '../store/set';
import { notifyFamily } from './collection-keys';
import { lookupCollection } from './lookup';

/** Looks up a set: undefined when missing, WRONGTYPE for another type. */
export function lookupSet(client: Client, key: string, read: boolean): SetValue | undefined {
  return lookupCollection<SetValue>(client, key, 'set', read);
}

/** Sends a set-class ('s') event such as 'sadd' or 'srem'. */
export function notifySet(client: Client, event: string, key: string): void {
  notifyFamily(client, 's', event, key);
}
