/** Keyspace notifications sent by the string and bitmap commands, with Redis's event names. */
import type { Client } from '../engine/client';
import { notifyKeyspaceEvent } from '../engine/notify';

/** Sends a string-class ('$') event such as 'set', 'append' or 'setbit'. */
export function notifyString(client: Client, event: string, key: string): void {
  notifyKeyspaceEvent(client.server, '$', event, key, client.db.id);
}

/** Sends a generic-class ('g') event such as 'del', 'expire' or 'persist'. */
export function notifyGeneric(client: Client, event: string, key: string): void {
  notifyKeyspaceEvent(client.server, 'g', event, key, client.db.id);
}

/** Sends Redis's 'new' event for a key about to be created. */
export function notifyNewKey(client: Client, key: string): void {
  notifyKeyspaceEvent(client.server, 'n', 'new', key, client.db.id);
}

/**
 * Sends 'new' when `key` does not exist yet. Call it before storing the key.
 * It looks the key up only while notifications are on.
 */
export function notifyIfNew(client: Client, key: string): void {
  if (client.server.notifySettings === null) return;
  if (client.db.get(key) === undefined) notifyNewKey(client, key);
}
