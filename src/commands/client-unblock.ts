/** CLIENT UNBLOCK, as a subcommand row for the CLIENT command's table. */
import { command, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { unblockClient } from '../engine/blocking';
import { CommandError, ERR } from '../engine/errors';
import { parseInteger } from './arguments';

/**
 * CLIENT UNBLOCK id [TIMEOUT|ERROR]: ends the wait of a client blocked in
 * a blocking command, which then gets its timeout reply, or with ERROR an
 * UNBLOCKED error. Replies 1, or 0 when that client is not blocked.
 */
function clientUnblock(client: Client, args: string[]): void {
  if (args.length > 4) throw new CommandError(ERR.clientSubcommandSyntax(args[1]));
  let withError = false;
  if (args.length === 4) {
    const reason = args[3].toUpperCase();
    if (reason !== 'TIMEOUT' && reason !== 'ERROR') throw new CommandError(ERR.unblockReason);
    withError = reason === 'ERROR';
  }
  const id = parseInteger(args[2]);
  client.reply.int(unblockClient(client.server, id, withError) ? 1 : 0);
}

/** Rows to add to the `subcommands` of the CLIENT command. */
export const clientUnblockSubcommands: RegisteredCommand[] = [
  command({
    name: 'client|unblock',
    arity: -3,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    categories: ['connection'],
    group: 'connection',
    since: '5.0.0',
    summary: 'Unblocks a client blocked in a blocking command from another connection.',
    complexity: 'O(log N) where N is the number of client connections',
    handler: clientUnblock,
  }),
];
