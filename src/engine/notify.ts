/**
 * Keyspace notifications: `notify-keyspace-events` selects classes of events,
 * each published on `__keyspace@<db>__:<key>` (K) and `__keyevent@<db>__:<event>` (E).
 */
import type { Server } from './server';

/** Event classes, with Redis's letters. */
export type EventClass =
  | 'g' // generic: DEL, EXPIRE, RENAME, ...
  | '$' // string commands
  | 'l' // list commands
  | 's' // set commands
  | 'h' // hash commands
  | 'z' // sorted set commands
  | 'x' // expired events
  | 'e' // evicted events
  | 't' // stream commands
  | 'm' // key miss events
  | 'n' // new key events
  | 'd'; // module key type events

const ALL_CLASSES = 'g$lshzxetd';

export interface NotifySettings {
  keyspace: boolean;
  keyevent: boolean;
  classes: Set<string>;
}

/**
 * Parses a `notify-keyspace-events` value. Returns null for an unknown letter.
 * `A` means every class except `m` and `n`, as in Redis.
 */
export function parseNotifySettings(text: string): NotifySettings | null {
  const settings: NotifySettings = { keyspace: false, keyevent: false, classes: new Set() };
  for (const letter of text) {
    if (letter === 'K') settings.keyspace = true;
    else if (letter === 'E') settings.keyevent = true;
    else if (letter === 'A') for (const each of ALL_CLASSES) settings.classes.add(each);
    else if ('g$lshzxetmnd'.includes(letter)) settings.classes.add(letter);
    else return null;
  }
  return settings;
}

/** Formats settings back to letters in Redis's order, as CONFIG GET shows them. */
export function formatNotifySettings(settings: NotifySettings): string {
  let text = '';
  const all = [...ALL_CLASSES].every((letter) => settings.classes.has(letter));
  if (all) text += 'A';
  for (const letter of 'g$lshzxetd') {
    if (!all && settings.classes.has(letter)) text += letter;
  }
  if (settings.classes.has('m')) text += 'm';
  if (settings.classes.has('n')) text += 'n';
  if (settings.keyspace) text += 'K';
  if (settings.keyevent) text += 'E';
  return text;
}

/** Publishes an event about `key` when its class is enabled. Cheap when notifications are off. */
export function notifyKeyspaceEvent(
  server: Server,
  eventClass: EventClass,
  event: string,
  key: string,
  dbIndex: number,
): void {
  const settings = server.notifySettings;
  if (settings === null || !settings.classes.has(eventClass)) return;
  if (settings.keyspace) server.publish(`__keyspace@${dbIndex}__:${key}`, event);
  if (settings.keyevent) server.publish(`__keyevent@${dbIndex}__:${event}`, key);
}
