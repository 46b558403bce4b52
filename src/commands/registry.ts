import type { Server } from '../engine/server';
import { connectionCommands } from './connection';
import { stringCommands } from './string';

/** Adds every command family to the server's table. */
export function registerAllCommands(server: Server): void {
  server.register(connectionCommands);
  server.register(stringCommands);
}
