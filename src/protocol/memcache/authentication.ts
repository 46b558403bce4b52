/**
 * memcached 1.6's text-protocol authentication, used while Damselfly has a
 * password: the first command must be a `set` whose data is "username
 * password" (key, flags and exptime are ignored). It checks them with the
 * server's users (the default user takes `requirepass`). Until it succeeds,
 * every other line gets CLIENT_ERROR unauthenticated.
 */
import { MEMCACHE_ERR } from '../../engine/errors';
import { parseFlags } from './numbers';
import { MemcachePermissions } from './permissions';
import type { MemcacheSession } from './session';

const CR = 0x0d;
const LF = 0x0a;

/** Handles one command line of a client that has not authenticated. */
export function authenticationLine(session: MemcacheSession, tokens: string[]): void {
  const size = tokens.length >= 5 && tokens[0] === 'set' ? parseFlags(tokens[4]) : null;
  if (size === null) {
    // memcached 1.6.18 also drops the rest of the input it has buffered.
    session.writer.line(MEMCACHE_ERR.unauthenticated);
    session.discardInput();
    return;
  }
  session.stats.authCmds++;
  if (size + 2 > session.itemSizeMax) {
    // memcached has no limit here; Damselfly does not buffer more than an item.
    session.stats.authErrors++;
    session.writer.line(MEMCACHE_ERR.authTokenFormat);
    session.swallow(size + 2);
    return;
  }
  session.expectData(size + 2, (block) => checkCredentials(session, block, size));
}

function checkCredentials(session: MemcacheSession, block: Buffer, size: number): void {
  if (block[size] !== CR || block[size + 1] !== LF) {
    session.stats.authErrors++;
    session.writer.line(MEMCACHE_ERR.authTermination);
    return;
  }
  const words = block
    .latin1Slice(0, size)
    .split(' ')
    .filter((word) => word !== '');
  if (words.length < 2) {
    session.stats.authErrors++;
    session.writer.line(MEMCACHE_ERR.authTokenFormat);
    return;
  }
  const [user, password] = words;
  const server = session.store.server;
  if (!server.authenticate(user, password)) {
    session.stats.authErrors++;
    server.logger.info({ user }, 'memcached authentication failed');
    session.writer.line(MEMCACHE_ERR.authFailure);
    return;
  }
  session.authenticated = true;
  session.permissions = new MemcachePermissions(server, user, '');
  session.writer.line('STORED');
}
