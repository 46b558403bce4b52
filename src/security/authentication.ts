/**
 * Logging a client in as an ACL user, for AUTH, HELLO AUTH and TLS client
 * certificates, with the failure handling they share: ACL LOG, audit log,
 * and the growing delay before a failure reply.
 */
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { hostOf } from './rate-limits';

/** Marks the client as authenticated as `user` and records the success (method: auth, tls, ...). */
export function loginAs(client: Client, user: string, method: string): void {
  client.user = user;
  client.authenticated = true;
  client.server.security.audit?.record('auth.success', {
    user,
    addr: client.transport.remoteAddress,
    method,
  });
}

/**
 * Authenticates a client with a user name and password. On success returns
 * true. On failure it logs the attempt and throws WRONGPASS at once, unless
 * this address failed too often. Then it pauses the client, sends WRONGPASS
 * after a delay and returns false, and the caller must write no reply.
 * `command` is the command name as sent, which ACL LOG shows as the object.
 */
export function authenticate(
  client: Client,
  user: string,
  password: string,
  command: string,
): boolean {
  const method = command.toLowerCase();
  const server = client.server;
  if (server.security.acl.authenticate(user, password) !== null) {
    loginAs(client, user, method);
    return true;
  }
  const address = client.transport.remoteAddress;
  server.logger.info({ client: client.id, user, addr: address }, 'authentication failed');
  server.security.acl.logDenial(client, 'auth', command, user);
  server.security.audit?.record('auth.failure', { user, addr: address, method });
  const settings = server.security.delaySettings();
  const delay = server.security.authFailures.recordFailure(hostOf(address), Date.now(), settings);
  // Replies captured by EXEC or a script cannot wait, so those fail at once.
  if (delay === 0 || client.reply !== client.writer || client.inTransaction || client.internal) {
    throw new CommandError(ERR.wrongPass);
  }
  server.stats.authFailuresDelayed++;
  pauseThenReject(client, delay);
  return false;
}

/** Holds the client's further requests and sends WRONGPASS once `delay` ms have passed. */
function pauseThenReject(client: Client, delay: number): void {
  client.blocked = true;
  const timer = setTimeout(() => {
    client.blocked = false;
    client.server.countError(ERR.wrongPass);
    client.writer.error(ERR.wrongPass);
    client.transport.flushSoon();
    client.transport.resume();
  }, delay);
  timer.unref();
}
