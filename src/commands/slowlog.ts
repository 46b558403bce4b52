/** SLOWLOG GET, LEN, RESET and HELP: the commands that took longest to run. */
import type { Client } from '../engine/client';
import { command, type RegisteredCommand } from '../engine/command';
import { CommandError, ERR } from '../engine/errors';
import { observersOf } from '../observability/command-observer';
import { writeSubcommandHelp } from './command-info';

const DEFAULT_COUNT = 10;

/** Reads SLOWLOG GET's count: -1 (all) or more, at most a signed 64-bit integer. */
function parseCount(text: string): number {
  if (!/^-?\d+$/.test(text)) throw new CommandError(ERR.slowlogCount);
  const count = BigInt(text);
  if (count < -1n || count > 2n ** 63n - 1n) throw new CommandError(ERR.slowlogCount);
  return count > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(count);
}

/**
 * SLOWLOG GET [count]: the newest `count` entries (10 by default, all for
 * -1), each [id, unix time, microseconds, arguments, client address, client name].
 */
function slowlogGet(client: Client, args: string[]): void {
  if (args.length > 3) throw new CommandError(ERR.subcommandSyntax('SLOWLOG', args[1]));
  const count = args.length === 3 ? parseCount(args[2]) : DEFAULT_COUNT;
  const entries = observersOf(client.server).slowlog.latest(count);
  const reply = client.reply;
  reply.array(entries.length);
  for (const entry of entries) {
    reply.array(6);
    reply.int(entry.id);
    reply.int(entry.time);
    reply.int(entry.durationMicros);
    reply.bulkArray(entry.args);
    reply.bulk(entry.clientAddress);
    reply.bulk(entry.clientName);
  }
}

/** SLOWLOG LEN: the number of entries. */
function slowlogLen(client: Client): void {
  client.reply.int(observersOf(client.server).slowlog.length);
}

/** SLOWLOG RESET: empties the log; OK. */
function slowlogReset(client: Client): void {
  observersOf(client.server).slowlog.reset();
  client.reply.ok();
}

const HELP = [
  'GET [<count>]',
  '    Reply with the newest <count> entries (default 10, -1 for all). Each entry',
  '    is: id, unix time, duration in microseconds, arguments, client address,',
  '    client name.',
  'LEN',
  '    Reply with the number of entries.',
  'RESET',
  '    Remove every entry.',
];

function row(
  name: string,
  arity: number,
  summary: string,
  handler: (client: Client, args: string[]) => void,
  complexity = 'O(1)',
): RegisteredCommand {
  const help = name === 'help';
  return command({
    name: `slowlog|${name}`,
    arity,
    flags: help ? ['loading', 'stale'] : ['admin', 'loading', 'stale'],
    group: 'server',
    since: help ? '6.2.0' : '2.2.12',
    summary,
    complexity,
    handler,
  });
}

export const slowlogCommands: RegisteredCommand[] = [
  command({
    name: 'slowlog',
    arity: -2,
    group: 'server',
    since: '2.2.12',
    summary: 'Inspects the log of slow commands.',
    complexity: 'Depends on subcommand.',
    handler: () => undefined,
    subcommands: [
      row('get', -2, 'Returns the newest slow log entries.', slowlogGet, 'O(N) where N is count'),
      row('len', 2, 'Returns the number of slow log entries.', slowlogLen),
      row('reset', 2, 'Empties the slow log.', slowlogReset, 'O(N) where N is the entries'),
      row('help', 2, 'Describes the SLOWLOG subcommands.', (client) =>
        writeSubcommandHelp(client, 'SLOWLOG', HELP),
      ),
    ],
  }),
];
