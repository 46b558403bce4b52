import type { Server } from '../engine/server';
import { aclCommands } from './acl';
import { bitmapCommands } from './bitmap';
import { clientCommands } from './client';
import { commandInfoCommands } from './command-info';
import { configCommands } from './config';
import { connectionCommands } from './connection';
import { expireCommands } from './expire';
import { hashCommands } from './hash';
import { keyCommands } from './keys';
import { listCommands } from './list';
import { objectCommands } from './object';
import { persistenceCommands } from './persistence';
import { pubsubCommands } from './pubsub';
import { serverCommands } from './server';
import { setCommands } from './set';
import { stringCommands } from './string';
import { throttleCommands } from './throttle';
import { transactionCommands, unwatchAll } from './transaction';
import { zsetCommands } from './zset';

/** Adds every command family to the server's table. */
export function registerAllCommands(server: Server): void {
  server.register(connectionCommands);
  server.register(stringCommands);
  server.register(bitmapCommands);
  server.register(serverCommands);
  server.register(commandInfoCommands);
  server.register(clientCommands);
  server.register(configCommands);
  server.register(aclCommands);
  server.register(throttleCommands);
  server.register(transactionCommands);
  server.register(pubsubCommands);
  server.register(persistenceCommands);
  server.register(keyCommands);
  server.register(expireCommands);
  server.register(objectCommands);
  server.register(hashCommands);
  server.register(setCommands);
  server.register(listCommands);
  server.register(zsetCommands);
  server.clientGoneHooks.push(unwatchAll, (client) => server.pubsub.forget(client));
}
