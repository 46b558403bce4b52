/** Key creation and removal shared by the hash and set commands, with Redis's events. */
import type { Client } from '../engine/client';
import { notifyKeyspaceEvent, type EventClass } from '../engine/notify';
import type { Value } from '../store/types';

/** Sends an event of a command family's class, such as 'hset' (h) or 'sadd' (s). */
export function notifyFamily(
  client: Client,
  eventClass: EventClass,
  event: string,
  key: string,
): void {
  notifyKeyspaceEvent(client.server, eventClass, event, key, client.db.id);
}

/** Stores a newly created collection under `key` and sends Redis's 'new' event. */
export function storeNewKey(client: Client, key: string, value: Value): void {
  client.db.set(key, value);
  notifyKeyspaceEvent(client.server, 'n', 'new', key, client.db.id);
}

/** Deletes a key that its command left empty, with the 'del' event Redis sends. */
export function deleteEmptiedKey(client: Client, key: string): void {
  client.db.delete(key);
  notifyKeyspaceEvent(client.server, 'g', 'del', key, client.db.id);
}
