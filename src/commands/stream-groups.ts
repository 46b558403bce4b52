/**
 * Consumer group management: XGROUP CREATE, SETID, DESTROY, CREATECONSUMER,
 * DELCONSUMER and HELP, and XACK. The XGROUP subcommands share Redis 7.0's
 * checks in its order: options, key type, then the key and group.
 */
import { signalKeyReady } from '../engine/blocking';
import type { Client } from '../engine/client';
import {
  command,
  type CommandFlag,
  type RegisteredCommand,
  type KeyFlagList,
  KEYS_INSERTED,
  KEYS_REMOVED,
} from '../engine/command';
import { CommandError, ERR, STREAM_ERR } from '../engine/errors';
import { StreamValue } from '../store/stream';
import { ConsumerGroup, UNKNOWN_ENTRIES_READ } from '../store/stream-group';
import { ZERO_ID, type StreamId } from '../store/stream-id';
import { toBigInt64 } from './arguments';
import { storeNewKey } from './collection-keys';
import { replyHelp } from './object';
import { lookupStream, notifyStream, parseId } from './stream-shared';

/** Redis 7.0's XGROUP HELP lines, replied verbatim for compatibility. */
const XGROUP_HELP = [
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
];

interface GroupOptions {
  mkStream: boolean;
  entriesRead: bigint;
}

/** Parses CREATE's and SETID's options from args[5]. */
function parseGroupOptions(args: readonly string[], create: boolean): GroupOptions {
  const options: GroupOptions = { mkStream: false, entriesRead: UNKNOWN_ENTRIES_READ };
  for (let i = 5; i < args.length; i++) {
    const option = args[i].toUpperCase();
    if (create && option === 'MKSTREAM') {
      options.mkStream = true;
    } else if (option === 'ENTRIESREAD' && i + 1 < args.length) {
      const value = toBigInt64(args[++i]);
      if (value === null) throw new CommandError(ERR.notInteger);
      if (value < 0n && value !== UNKNOWN_ENTRIES_READ) {
        throw new CommandError(STREAM_ERR.entriesReadNegative);
      }
      options.entriesRead = value;
    } else {
      throw new CommandError(ERR.subcommandSyntax('XGROUP', args[1]));
    }
  }
  return options;
}

/** Returns the stream of an XGROUP subcommand, raising Redis's error when it is missing. */
function existingStream(client: Client, key: string): StreamValue {
  const stream = lookupStream(client, key, false);
  if (stream === undefined) throw new CommandError(STREAM_ERR.xgroupWithoutKey);
  return stream;
}

/** Returns the key's group for SETID, CREATECONSUMER and DELCONSUMER, or raises NOGROUP. */
function existingGroup(client: Client, args: readonly string[]): [StreamValue, ConsumerGroup] {
  const stream = existingStream(client, args[2]);
  const group = stream.groups.get(args[3]);
  if (group === undefined) throw new CommandError(STREAM_ERR.noGroupForKey(args[3], args[2]));
  return [stream, group];
}

/** Parses the ID of CREATE (strict) or SETID (also `-` and `+`); `$` is the last ID. */
function groupId(text: string, stream: StreamValue | undefined, strict: boolean): StreamId {
  if (text === '$') return stream?.lastId ?? ZERO_ID;
  return parseId(text, 0, !strict);
}

/**
 * XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]: creates a group
 * whose last delivered ID is `id`; replies OK, or BUSYGROUP when it exists.
 * MKSTREAM creates a missing stream. Sends 'xgroup-create'.
 */
function xgroupCreate(client: Client, args: string[]): void {
  const options = parseGroupOptions(args, true);
  const [, , key, name] = args;
  let stream = lookupStream(client, key, false);
  if (stream === undefined && !options.mkStream) {
    throw new CommandError(STREAM_ERR.xgroupWithoutKey);
  }
  if (args.length > 8) throw new CommandError(ERR.subcommandSyntax('XGROUP', args[1]));
  const id = groupId(args[4], stream, true);
  if (stream === undefined) {
    stream = new StreamValue();
    storeNewKey(client, key, stream);
  }
  if (stream.groups.has(name)) throw new CommandError(STREAM_ERR.busyGroup);
  stream.groups.set(name, new ConsumerGroup(name, id, options.entriesRead));
  client.reply.ok();
  client.server.dirty++;
  notifyStream(client, 'xgroup-create', key);
}

/**
 * XGROUP SETID key group id|$ [ENTRIESREAD n]: moves the group's last
 * delivered ID and sets its read counter (unknown unless given). Replies
 * OK. Sends 'xgroup-setid'.
 */
function xgroupSetid(client: Client, args: string[]): void {
  const options = parseGroupOptions(args, false);
  const [stream, group] = existingGroup(client, args);
  if (args.length !== 5 && args.length !== 7) {
    throw new CommandError(ERR.subcommandSyntax('XGROUP', args[1]));
  }
  group.lastId = groupId(args[4], stream, false);
  group.entriesRead = options.entriesRead;
  client.reply.ok();
  client.server.dirty++;
  notifyStream(client, 'xgroup-setid', args[2]);
}

/**
 * XGROUP DESTROY key group: removes the group and its pending entries;
 * replies 1, or 0 when there was none. Sends 'xgroup-destroy', and blocked
 * readers of the group get NOGROUP.
 */
function xgroupDestroy(client: Client, args: string[]): void {
  const stream = existingStream(client, args[2]);
  if (!stream.groups.delete(args[3])) {
    client.reply.int(0);
    return;
  }
  client.reply.int(1);
  client.server.dirty++;
  notifyStream(client, 'xgroup-destroy', args[2]);
  signalKeyReady(client.server, client.db, args[2]);
}

/**
 * XGROUP CREATECONSUMER key group consumer: creates the consumer; replies
 * 1, or 0 when it exists. Sends 'xgroup-createconsumer'.
 */
function xgroupCreateConsumer(client: Client, args: string[]): void {
  const [, group] = existingGroup(client, args);
  if (group.consumers.has(args[4])) {
    client.reply.int(0);
    return;
  }
  group.consumer(args[4], true, Date.now());
  client.reply.int(1);
  client.server.dirty++;
  notifyStream(client, 'xgroup-createconsumer', args[2]);
}

/**
 * XGROUP DELCONSUMER key group consumer: removes the consumer and its
 * pending entries; replies how many it had pending. Sends
 * 'xgroup-delconsumer' when the consumer existed.
 */
function xgroupDelConsumer(client: Client, args: string[]): void {
  const [, group] = existingGroup(client, args);
  const pending = group.deleteConsumer(args[4]);
  client.reply.int(pending ?? 0);
  if (pending === undefined) return;
  client.server.dirty++;
  notifyStream(client, 'xgroup-delconsumer', args[2]);
}

/** XGROUP HELP: the subcommands, one status reply per line. */
function xgroupHelp(client: Client, args: string[]): void {
  replyHelp(client, args[0], XGROUP_HELP);
}

/** Never called: dispatch runs the subcommand rows. */
function xgroupParent(): void {
  throw new CommandError(ERR.syntax);
}

/**
 * XACK key group id...: removes the IDs from the group's pending entries
 * lists and replies how many were pending. A missing key or group replies
 * 0 before the IDs are checked; otherwise all IDs are checked first.
 */
function xack(client: Client, args: string[]): void {
  const stream = lookupStream(client, args[1], true);
  const group = stream?.groups.get(args[2]);
  if (group === undefined) {
    client.reply.int(0);
    return;
  }
  const ids = args.slice(3).map((text) => parseId(text));
  let acknowledged = 0;
  for (const id of ids) if (group.acknowledge(id)) acknowledged++;
  client.server.dirty += acknowledged;
  client.reply.int(acknowledged);
}

function groupSubcommand(
  name: string,
  arity: number,
  flags: CommandFlag[],
  summary: string,
  handler: (client: Client, args: string[]) => void,
  since: string,
  keyFlags?: KeyFlagList,
): RegisteredCommand {
  return command({
    name: `xgroup|${name}`,
    arity,
    flags,
    keys: [2, 2, 1],
    keyFlags,
    categories: ['stream'],
    group: 'stream',
    summary,
    since,
    complexity: 'O(1)',
    handler,
  });
}

export const streamGroupCommands: RegisteredCommand[] = [
  command({
    name: 'xgroup',
    arity: -2,
    group: 'stream',
    since: '5.0.0',
    summary: 'Manages the consumer groups of a stream.',
    complexity: 'Depends on subcommand.',
    handler: xgroupParent,
    subcommands: [
      groupSubcommand(
        'create',
        -5,
        ['write', 'denyoom'],
        'Creates a consumer group.',
        xgroupCreate,
        '5.0.0',
        KEYS_INSERTED,
      ),
      groupSubcommand(
        'setid',
        -5,
        ['write'],
        'Sets the last delivered ID of a consumer group.',
        xgroupSetid,
        '5.0.0',
      ),
      groupSubcommand(
        'destroy',
        4,
        ['write'],
        'Destroys a consumer group.',
        xgroupDestroy,
        '5.0.0',
        KEYS_REMOVED,
      ),
      groupSubcommand(
        'createconsumer',
        5,
        ['write', 'denyoom'],
        'Creates a consumer in a consumer group.',
        xgroupCreateConsumer,
        '6.2.0',
        KEYS_INSERTED,
      ),
      groupSubcommand(
        'delconsumer',
        5,
        ['write'],
        'Deletes a consumer from a consumer group.',
        xgroupDelConsumer,
        '5.0.0',
        KEYS_REMOVED,
      ),
      command({
        name: 'xgroup|help',
        arity: 2,
        flags: ['loading', 'stale'],
        categories: ['stream'],
        group: 'stream',
        since: '5.0.0',
        summary: 'Returns help for the XGROUP subcommands.',
        handler: xgroupHelp,
      }),
    ],
  }),
  command({
    name: 'xack',
    arity: -4,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    categories: ['stream'],
    group: 'stream',
    summary: 'Acknowledges stream entries delivered to a consumer group.',
    since: '5.0.0',
    complexity: 'O(1) for each message ID processed.',
    handler: xack,
  }),
];
