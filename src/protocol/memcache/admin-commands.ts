/** Text protocol commands about the server: flush_all, version, verbosity, stats, quit. */
import { MEMCACHE_ERR } from '../../engine/errors';
import { expiryFromExptime, parseFlags, parseInt32 } from './numbers';
import type { MemcacheSession } from './session';
import { writeGeneralStats, writeItemStats, writeSettingsStats, writeSlabStats } from './stats';
import type { TextHandler } from './text-commands';

/** The memcached release whose behaviour Damselfly follows, as `version` reports it. */
export const MEMCACHED_COMPATIBLE_VERSION = '1.6.18';

/**
 * flush_all [delay] [noreply]: OK. Empties database 0 now, or after `delay`
 * seconds (or at that Unix time beyond 30 days), replacing a flush scheduled
 * earlier. A delay of 0 or less flushes now.
 */
function flushAll(session: MemcacheSession, tokens: string[]): void {
  if (tokens.length > 3) {
    session.writer.line(MEMCACHE_ERR.unknownCommand);
    return;
  }
  session.noreply = tokens[tokens.length - 1] === 'noreply';
  session.stats.cmdFlush++;
  let delay = 0;
  if (tokens.length !== (session.noreply ? 2 : 1)) {
    const parsed = parseInt32(tokens[1]);
    if (parsed === null) {
      session.reply(MEMCACHE_ERR.invalidExptime);
      return;
    }
    delay = parsed;
  }
  const now = Date.now();
  const when = delay > 0 ? expiryFromExptime(delay, now) : null;
  if (when === null || when <= now) session.store.flush();
  else session.store.scheduleFlush(when, now);
  session.reply('OK');
}

/** version: VERSION and the memcached release Damselfly follows. */
function version(session: MemcacheSession): void {
  session.writer.line(`VERSION ${MEMCACHED_COMPATIBLE_VERSION}`);
}

/** verbosity <level> [noreply]: OK; the level is only shown by `stats settings`. */
function verbosity(session: MemcacheSession, tokens: string[]): void {
  if (tokens.length !== 2 && tokens.length !== 3) {
    session.writer.line(MEMCACHE_ERR.unknownCommand);
    return;
  }
  session.noreply = tokens[tokens.length - 1] === 'noreply';
  const level = parseFlags(tokens[1]);
  if (level === null) {
    session.reply(MEMCACHE_ERR.badFormat);
    return;
  }
  session.host.verbosity = Math.min(level, 2);
  session.reply('OK');
}

/** quit: closes the connection once earlier replies are sent. */
function quit(session: MemcacheSession): void {
  session.closing = true;
}

/**
 * stats [settings|items|slabs|sizes|reset|detail ...]: STAT lines then END;
 * `stats reset` replies RESET. An unknown group replies ERROR.
 */
function stats(session: MemcacheSession, tokens: string[]): void {
  const source = session.host.statsSource;
  const writer = session.writer;
  const group = tokens[1];
  if (group === undefined) writeGeneralStats(writer, source);
  else if (group === 'settings') writeSettingsStats(writer, source);
  else if (group === 'items') writeItemStats(writer, source);
  else if (group === 'slabs') writeSlabStats(writer, source);
  else if (group === 'sizes') writer.line('STAT sizes_status disabled\r\nEND');
  else if (group === 'reset') resetStats(session);
  else if (group === 'detail') statsDetail(session, tokens[2]);
  else if (group === 'cachedump') writer.line('CLIENT_ERROR stats cachedump not allowed');
  // NOTE: `stats conns` lists no connections; memcached lists each socket.
  else if (group === 'conns') writer.line('END');
  else writer.line(MEMCACHE_ERR.unknownCommand);
}

function resetStats(session: MemcacheSession): void {
  session.stats.reset();
  session.writer.line('RESET');
}

/** stats detail on|off|dump: accepted, but per-prefix statistics are not kept. */
function statsDetail(session: MemcacheSession, mode: string | undefined): void {
  if (mode === 'on' || mode === 'off') session.writer.line('OK');
  else if (mode === 'dump') session.writer.line('END');
  else session.writer.line(MEMCACHE_ERR.statsDetailUsage);
}

/** shutdown: refused, as memcached does without --enable-shutdown. */
function shutdown(session: MemcacheSession): void {
  session.writer.line(MEMCACHE_ERR.shutdownDisabled);
}

export const ADMIN_COMMANDS: ReadonlyArray<readonly [string, TextHandler]> = [
  ['flush_all', flushAll],
  ['version', version],
  ['verbosity', verbosity],
  ['quit', quit],
  ['stats', stats],
  ['shutdown', shutdown],
];
