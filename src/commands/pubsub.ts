/** Pub/Sub: SUBSCRIBE, PSUBSCRIBE, SSUBSCRIBE and their UNSUBSCRIBEs, PUBLISH, SPUBLISH, PUBSUB. */
import { command, type KeyFlagList, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, unknownSubcommand } from '../engine/errors';
import type { SubscriptionKind } from '../engine/pubsub';
import { globMatch } from '../store/glob';
import { resetHooks } from './connection';

/** Writes one subscription confirmation: [kind, name, subscription count]. */
function confirm(client: Client, kind: string, name: string | null): void {
  const reply = client.reply;
  reply.push(3);
  reply.bulk(kind);
  if (name === null) reply.nil();
  else reply.bulk(name);
  const shard = kind === 'ssubscribe' || kind === 'sunsubscribe';
  reply.int(shard ? (client.shardChannels?.size ?? 0) : client.subscriptionCount);
}

function subscriber(kind: SubscriptionKind, event: string) {
  return (client: Client, args: string[]): void => {
    for (let i = 1; i < args.length; i++) {
      client.server.pubsub.subscribe(client, kind, args[i]);
      confirm(client, event, args[i]);
    }
  };
}

function unsubscriber(kind: SubscriptionKind, event: string) {
  return (client: Client, args: string[]): void => {
    const names = args.length > 1 ? args.slice(1) : [...(client[kind] ?? [])];
    if (names.length === 0) {
      confirm(client, event, null);
      return;
    }
    for (const name of names) {
      client.server.pubsub.unsubscribe(client, kind, name);
      confirm(client, event, name);
    }
  };
}

/** PUBLISH channel message: the number of clients that received it. */
function publish(client: Client, args: string[]): void {
  client.reply.int(client.server.publish(args[1], args[2]));
}

/** SPUBLISH shardchannel message: the number of shard subscribers that received it. */
function spublish(client: Client, args: string[]): void {
  client.reply.int(client.server.pubsub.publishShard(args[1], args[2]));
}

function listNames(client: Client, table: Map<string, Set<Client>>, pattern?: string): void {
  const names = [...table.keys()].filter(
    (name) => pattern === undefined || globMatch(pattern, name),
  );
  client.reply.bulkArray(names);
}

/** Replies name, count pairs as a flat array, in RESP3 too, as Redis 7.0 does. */
function countSubscribers(client: Client, table: Map<string, Set<Client>>, names: string[]): void {
  client.reply.array(names.length * 2);
  for (const name of names) {
    client.reply.bulk(name);
    client.reply.int(table.get(name)?.size ?? 0);
  }
}

const PUBSUB_HELP = [
  'PUBSUB <subcommand> [<argument> ...]. Subcommands:',
  'CHANNELS [<pattern>]',
  '    List channels that have subscribers, optionally only those matching <pattern>.',
  'NUMPAT',
  '    Count pattern subscriptions.',
  'NUMSUB [<channel> ...]',
  '    Count the subscribers of each channel (pattern subscribers not included).',
  'SHARDCHANNELS [<pattern>]',
  '    List shard channels that have subscribers, optionally matching <pattern>.',
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Count the subscribers of each shard channel.',
  'HELP',
  '    Print this help.',
];

function pubsubSubcommand(
  name: string,
  arity: number,
  since: string,
  handler: (c: Client, a: string[]) => void,
) {
  const flags =
    name === 'help' ? (['loading', 'stale'] as const) : (['pubsub', 'loading', 'stale'] as const);
  return command({
    name: `pubsub|${name}`,
    arity,
    flags: [...flags],
    group: 'pubsub',
    summary: `PUBSUB ${name.toUpperCase()}.`,
    since,
    handler,
  });
}

const pubsubSubcommands = [
  pubsubSubcommand('channels', -2, '2.8.0', (c, a) => listNames(c, c.server.pubsub.channels, a[2])),
  pubsubSubcommand('numsub', -2, '2.8.0', (c, a) =>
    countSubscribers(c, c.server.pubsub.channels, a.slice(2)),
  ),
  pubsubSubcommand('numpat', 2, '2.8.0', (c) => c.reply.int(c.server.pubsub.patterns.size)),
  pubsubSubcommand('shardchannels', -2, '7.0.0', (c, a) =>
    listNames(c, c.server.pubsub.shardChannels, a[2]),
  ),
  pubsubSubcommand('shardnumsub', -2, '7.0.0', (c, a) =>
    countSubscribers(c, c.server.pubsub.shardChannels, a.slice(2)),
  ),
  pubsubSubcommand('help', 2, '6.2.0', (c) => {
    c.reply.array(PUBSUB_HELP.length);
    for (const line of PUBSUB_HELP) c.reply.simple(line);
  }),
];

resetHooks.push((client) => client.server.pubsub.forget(client));

const SUBSCRIBE_FLAGS = ['pubsub', 'noscript', 'loading', 'stale'] as const;

/**
 * The shard channels of SPUBLISH, SSUBSCRIBE and SUNSUBSCRIBE sit where keys
 * do (for cluster slots), but ACL checks them as channels, not keys.
 */
const SHARD_CHANNELS: KeyFlagList = [['not_key']];

export const pubsubCommands: RegisteredCommand[] = [
  command({
    name: 'subscribe',
    arity: -2,
    flags: [...SUBSCRIBE_FLAGS],
    group: 'pubsub',
    summary: 'Listens for messages on channels.',
    since: '2.0.0',
    handler: subscriber('channels', 'subscribe'),
  }),
  command({
    name: 'unsubscribe',
    arity: -1,
    flags: [...SUBSCRIBE_FLAGS],
    group: 'pubsub',
    summary: 'Stops listening on channels.',
    since: '2.0.0',
    handler: unsubscriber('channels', 'unsubscribe'),
  }),
  command({
    name: 'psubscribe',
    arity: -2,
    flags: [...SUBSCRIBE_FLAGS],
    group: 'pubsub',
    summary: 'Listens for messages on channels matching patterns.',
    since: '2.0.0',
    handler: subscriber('patterns', 'psubscribe'),
  }),
  command({
    name: 'punsubscribe',
    arity: -1,
    flags: [...SUBSCRIBE_FLAGS],
    group: 'pubsub',
    summary: 'Stops listening on patterns.',
    since: '2.0.0',
    handler: unsubscriber('patterns', 'punsubscribe'),
  }),
  command({
    name: 'ssubscribe',
    arity: -2,
    flags: [...SUBSCRIBE_FLAGS],
    keys: [1, -1, 1],
    keyFlags: SHARD_CHANNELS,
    group: 'pubsub',
    summary: 'Listens for messages on shard channels.',
    since: '7.0.0',
    handler: subscriber('shardChannels', 'ssubscribe'),
  }),
  command({
    name: 'sunsubscribe',
    arity: -1,
    flags: [...SUBSCRIBE_FLAGS],
    keys: [1, -1, 1],
    keyFlags: SHARD_CHANNELS,
    group: 'pubsub',
    summary: 'Stops listening on shard channels.',
    since: '7.0.0',
    handler: unsubscriber('shardChannels', 'sunsubscribe'),
  }),
  command({
    name: 'publish',
    arity: 3,
    flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'],
    group: 'pubsub',
    summary: 'Posts a message to a channel.',
    since: '2.0.0',
    handler: publish,
  }),
  command({
    name: 'spublish',
    arity: 3,
    flags: ['pubsub', 'loading', 'stale', 'fast', 'may_replicate'],
    keys: [1, 1, 1],
    keyFlags: SHARD_CHANNELS,
    group: 'pubsub',
    summary: 'Posts a message to a shard channel.',
    since: '7.0.0',
    handler: spublish,
  }),
  command({
    name: 'pubsub',
    arity: -2,
    group: 'pubsub',
    summary: 'Inspects Pub/Sub state.',
    since: '2.8.0',
    subcommands: pubsubSubcommands,
    handler: (client, args) => {
      throw new CommandError(unknownSubcommand('pubsub', args[1]));
    },
  }),
];
