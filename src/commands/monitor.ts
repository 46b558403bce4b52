/** MONITOR: streams every command the server runs to this connection. */
import type { Client } from '../engine/client';
import { command, type RegisteredCommand } from '../engine/command';
import { CommandError, ERR } from '../engine/errors';
import { observersOf } from '../observability/command-observer';

/**
 * MONITOR: OK, then one status line per command any client runs, admin
 * commands excepted (see observability/monitor.ts). A second MONITOR on the
 * same connection is ignored and replies nothing, as in Redis.
 */
function monitor(client: Client): void {
  if (client.inTransaction) throw new CommandError(ERR.monitorDenyBlocking);
  const clients = observersOf(client.server).monitor.clients;
  if (clients.has(client)) return;
  clients.add(client);
  client.reply.ok();
}

export const monitorCommands: RegisteredCommand[] = [
  command({
    name: 'monitor',
    arity: 1,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    group: 'server',
    since: '1.0.0',
    summary: 'Streams every command the server runs.',
    handler: monitor,
  }),
];
