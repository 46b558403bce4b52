/** OBJECT ENCODING, REFCOUNT, IDLETIME, FREQ and HELP: how a key's value is stored. */
import { command, type RegisteredCommand, KEYS_PROBED } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import type { Server } from '../engine/server';
import { lfuDecayed, lruClock } from '../store/eviction';
import { isIntegerEncodable, isString, stringEncoding, type Value } from '../store/types';
import { lookupRead } from './lookup';

/** Redis shares one object per integer in [0, 10000); OBJECT REFCOUNT shows INT_MAX for them. */
const SHARED_INTEGERS = 10000;
const SHARED_REFCOUNT = 2147483647;

function usesLfu(server: Server): boolean {
  return server.config.string('maxmemory-policy').endsWith('-lfu');
}

/** Returns whether Redis would store this value as a shared integer object. */
function isSharedInteger(server: Server, value: Value): boolean {
  if (typeof value !== 'string' || !isIntegerEncodable(value)) return false;
  const number = Number(value);
  if (number < 0 || number >= SHARED_INTEGERS) return false;
  // With maxmemory and an LRU or LFU policy, Redis gives each value its own
  // object so that access times stay per key.
  const policy = server.config.string('maxmemory-policy');
  const perKeyAccess = policy.endsWith('-lru') || policy.endsWith('-lfu');
  return server.config.number('maxmemory') === 0 || !perKeyAccess;
}

/** OBJECT ENCODING key: the encoding name (int, embstr, raw, listpack, ...), or nil. */
function objectEncoding(client: Client, args: string[]): void {
  const value = lookupRead(client, args[2]);
  if (value === undefined) client.reply.nil();
  else client.reply.bulk(isString(value) ? stringEncoding(value) : value.encoding());
}

/**
 * OBJECT REFCOUNT key: 2147483647 for a small integer string that Redis
 * would share, otherwise 1; nil for a missing key.
 */
function objectRefcount(client: Client, args: string[]): void {
  const value = lookupRead(client, args[2]);
  if (value === undefined) client.reply.nil();
  else client.reply.int(isSharedInteger(client.server, value) ? SHARED_REFCOUNT : 1);
}

/**
 * OBJECT IDLETIME key: seconds since the key was last accessed; nil for a
 * missing key; an error under an LFU policy. Does not count as an access.
 * Access times are kept only under the LRU policies: under the others it
 * replies 0.
 */
function objectIdletime(client: Client, args: string[]): void {
  if (lookupRead(client, args[2]) === undefined) {
    client.reply.nil();
    return;
  }
  if (usesLfu(client.server)) throw new CommandError(ERR.lfuSelected);
  const clock = client.db.access?.get(args[2]);
  client.reply.int(clock === undefined ? 0 : Math.max(0, lruClock() - clock));
}

/**
 * OBJECT FREQ key: the key's logarithmic access counter under an LFU
 * policy, after the decay for the time since its last access; nil for a
 * missing key; an error under any other policy. Does not count as an access.
 */
function objectFreq(client: Client, args: string[]): void {
  if (lookupRead(client, args[2]) === undefined) {
    client.reply.nil();
    return;
  }
  if (!usesLfu(client.server)) throw new CommandError(ERR.lfuNotSelected);
  const record = client.db.access?.get(args[2]);
  client.reply.int(record === undefined || client.db.accessMode !== 'lfu' ? 0 : lfuDecayed(record));
}

/** Redis 7.0's OBJECT HELP lines, replied verbatim for compatibility. */
const HELP_LINES = [
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
];

/**
 * Replies a subcommand help as Redis does: a status line naming the command,
 * the given lines, then the HELP entry, each as a status reply.
 */
export function replyHelp(client: Client, name: string, lines: readonly string[]): void {
  const reply = client.reply;
  reply.array(lines.length + 3);
  reply.simple(`${name.toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`);
  for (const line of lines) reply.simple(line);
  reply.simple('HELP');
  reply.simple('    Prints this help.');
}

/** OBJECT HELP: the subcommands, one status reply per line. */
function objectHelp(client: Client, args: string[]): void {
  replyHelp(client, args[0], HELP_LINES);
}

/** Never called: dispatch runs the subcommand rows. */
function objectParent(): void {
  throw new CommandError(ERR.syntax);
}

function keyedSubcommand(
  name: string,
  since: string,
  summary: string,
  handler: typeof objectHelp,
): RegisteredCommand {
  return command({
    name: `object|${name}`,
    arity: 3,
    flags: ['readonly'],
    keys: [2, 2, 1],
    keyFlags: KEYS_PROBED,
    categories: ['keyspace'],
    group: 'generic',
    since,
    summary,
    handler,
  });
}

export const objectCommands: RegisteredCommand[] = [
  command({
    name: 'object',
    arity: -2,
    group: 'generic',
    since: '2.2.3',
    summary: 'Inspects how the value of a key is stored.',
    complexity: 'Depends on subcommand.',
    handler: objectParent,
    subcommands: [
      keyedSubcommand(
        'encoding',
        '2.2.3',
        'Returns the internal encoding of a value.',
        objectEncoding,
      ),
      keyedSubcommand(
        'refcount',
        '2.2.3',
        'Returns the reference count of a value.',
        objectRefcount,
      ),
      keyedSubcommand(
        'idletime',
        '2.2.3',
        'Returns the seconds since a key was last accessed.',
        objectIdletime,
      ),
      keyedSubcommand(
        'freq',
        '4.0.0',
        'Returns the access frequency counter of a key.',
        objectFreq,
      ),
      command({
        name: 'object|help',
        arity: 2,
        flags: ['loading', 'stale'],
        categories: ['keyspace'],
        group: 'generic',
        since: '6.2.0',
        summary: 'Returns help for the OBJECT subcommands.',
        handler: objectHelp,
      }),
    ],
  }),
];
