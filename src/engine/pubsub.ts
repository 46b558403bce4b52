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
      for (const client of subscribers) {
        const reply = client.writer;
        reply.push(3);
        reply.bulk('message');
        reply.bulk(channel);
        reply.bulk(message);
        client.transport.flushSoon();
        receivers++;
      }
    }
    for (const [pattern, clients] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      for (const client of clients) {
        const reply = client.writer;
        reply.push(4);
        reply.bulk('pmessage');
        reply.bulk(pattern);
        reply.bulk(channel);
        reply.bulk(message);
        client.transport.flushSoon();
        receivers++;
      }
    }
    return receivers;
  }

  /** Delivers a message to shard channel subscribers (SPUBLISH). */
  publishShard(channel: string, message: string): number {
    const subscribers = this.shardChannels.get(channel);
    if (subscribers === undefined) return 0;
    for (const client of subscribers) {
      client.writer.push(3);
      client.writer.bulk('smessage');
      client.writer.bulk(channel);
      client.writer.bulk(message);
      client.transport.flushSoon();
    }
    return subscribers.size;
  }
}
