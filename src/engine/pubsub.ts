/** Channel and pattern subscriptions, and message delivery to subscribed clients. */
import { globMatch } from '../store/glob';
import type { Client } from './client';

export type SubscriptionKind = 'channels' | 'patterns' | 'shardChannels';

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();

  /** Adds a subscription; returns false when the client already had it. */
  subscribe(client: Client, kind: SubscriptionKind, name: string): boolean {
    const own = (client[kind] ??= new Set());
    if (own.has(name)) return false;
    own.add(name);
    const table = this[kind];
    let subscribers = table.get(name);
    if (subscribers === undefined) {
      subscribers = new Set();
      table.set(name, subscribers);
    }
    subscribers.add(client);
    return true;
  }

  /** Removes a subscription; returns false when the client did not have it. */
  unsubscribe(client: Client, kind: SubscriptionKind, name: string): boolean {
    const own = client[kind];
    if (own === null || !own.delete(name)) return false;
    const table = this[kind];
    const subscribers = table.get(name);
    if (subscribers !== undefined) {
      subscribers.delete(client);
      if (subscribers.size === 0) table.delete(name);
    }
    return true;
  }

  /** Drops every subscription of a client that disconnected or was reset. */
  forget(client: Client): void {
    for (const kind of ['channels', 'patterns', 'shardChannels'] as const) {
      for (const name of [...(client[kind] ?? [])]) this.unsubscribe(client, kind, name);
    }
  }

  /** Delivers a message to channel and pattern subscribers; returns how many received it. */
  publish(channel: string, message: string): number {
    let receivers = 0;
    const subscribers = this.channels.get(channel);
    if (subscribers !== undefined) {
      deliver(subscribers, new PushFrame(['message', channel, message]));
      receivers += subscribers.size;
    }
    for (const [pattern, clients] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      deliver(clients, new PushFrame(['pmessage', pattern, channel, message]));
      receivers += clients.size;
    }
    return receivers;
  }

  /** Delivers a message to shard channel subscribers (SPUBLISH). */
  publishShard(channel: string, message: string): number {
    const subscribers = this.shardChannels.get(channel);
    if (subscribers === undefined) return 0;
    deliver(subscribers, new PushFrame(['smessage', channel, message]));
    return subscribers.size;
  }
}

/**
 * One push message, encoded on first use and cached per protocol version, so
 * it is encoded at most twice however many clients receive it. The frame is
 * `*` in RESP2 or `>` in RESP3, then the bulk strings.
 */
class PushFrame {
  readonly #parts: readonly string[];
  #resp2: Buffer | null = null;
  #resp3: Buffer | null = null;

  constructor(parts: readonly string[]) {
    this.#parts = parts;
  }

  bytes(resp: 2 | 3): Buffer {
    if (resp === 3) return (this.#resp3 ??= this.#encode('>'));
    return (this.#resp2 ??= this.#encode('*'));
  }

  #encode(type: string): Buffer {
    let text = `${type}${this.#parts.length}\r\n`;
    for (const part of this.#parts) text += `$${part.length}\r\n${part}\r\n`;
    return Buffer.from(text, 'latin1');
  }
}

function deliver(clients: Set<Client>, frame: PushFrame): void {
  for (const client of clients) {
    client.writer.raw(frame.bytes(client.writer.resp));
    client.transport.flushSoon();
  }
}
