/**
 * Text protocol commands that read or change existing items: get, gets,
 * gat, gats, touch, delete, incr and decr. Token counts include the command
 * name; a count memcached does not accept gets ERROR.
 */
import { MEMCACHE_ERR } from '../../engine/errors';
import { asBinary } from '../../store/types';
import type { ItemMeta } from './items';
import { isValidKey } from './keys';
import { applyDelta, expiryFromExptime, parseCounter, parseInt32, parseUint64 } from './numbers';
import type { MemcacheSession } from './session';

/**
 * get|gets <key>*, gat|gats <exptime> <key>*: a VALUE entry for each live
 * item, then END. gat and gats also set each found item's expiry. An invalid
 * key drops the entries written so far and replies CLIENT_ERROR.
 */
function retrieve(session: MemcacheSession, tokens: string[], withCas: boolean, touch: boolean) {
  if (tokens.length < 2) {
    session.writer.line(MEMCACHE_ERR.unknownCommand);
    return;
  }
  const now = Date.now();
  let first = 1;
  let expireAt: number | null = null;
  if (touch) {
    const exptime = parseInt32(tokens[1]);
    if (exptime === null) {
      session.writer.line(MEMCACHE_ERR.invalidExptime);
      return;
    }
    expireAt = expiryFromExptime(exptime, now);
    first = 2;
  }
  const writer = session.writer;
  const mark = writer.length;
  for (let i = first; i < tokens.length; i++) {
    if (!retrieveOne(session, tokens[i], withCas, touch, expireAt, now)) {
      writer.truncate(mark);
      writer.line(MEMCACHE_ERR.badFormat);
      return;
    }
  }
  writer.line('END');
}

/** Looks up one key of a retrieval and writes its entry, if any; false for an invalid key. */
function retrieveOne(
  session: MemcacheSession,
  key: string,
  withCas: boolean,
  touch: boolean,
  expireAt: number | null,
  now: number,
): boolean {
  if (!isValidKey(key)) return false;
  const stats = session.stats;
  const meta = session.store.find(key, now);
  if (touch) stats.cmdTouch++;
  else stats.cmdGet++;
  if (meta === undefined) {
    if (touch) stats.touchMisses++;
    else stats.getMisses++;
    return true;
  }
  if (touch) stats.touchHits++;
  else stats.getHits++;
  if (withCas) session.writer.entry(key, meta.flags, meta.value, meta.cas);
  else session.store.writeEntry(session.writer, key, meta);
  session.store.access(meta, now);
  if (touch) session.store.setExpiry(key, expireAt, now);
  return true;
}

/** touch <key> <exptime> [noreply]: TOUCHED after setting the item's expiry, or NOT_FOUND. */
function touch(session: MemcacheSession, tokens: string[]): void {
  if (tokens.length !== 3 && tokens.length !== 4) {
    session.writer.line(MEMCACHE_ERR.unknownCommand);
    return;
  }
  session.noreply = tokens[tokens.length - 1] === 'noreply';
  const key = tokens[1];
  if (!isValidKey(key)) {
    session.reply(MEMCACHE_ERR.badFormat);
    return;
  }
  const exptime = parseInt32(tokens[2]);
  if (exptime === null) {
    session.reply(MEMCACHE_ERR.invalidExptime);
    return;
  }
  const now = Date.now();
  const meta = session.store.find(key, now);
  session.stats.cmdTouch++;
  if (meta === undefined) {
    session.stats.touchMisses++;
    session.reply('NOT_FOUND');
    return;
  }
  session.stats.touchHits++;
  session.store.access(meta, now);
  session.store.setExpiry(key, expiryFromExptime(exptime, now), now);
  session.reply('TOUCHED');
}

/**
 * delete <key> [0] [noreply]: DELETED after removing the item, or NOT_FOUND.
 * The old hold time is accepted only as 0. A key holding another Redis type
 * is left alone (NOT_FOUND).
 */
function deleteCommand(session: MemcacheSession, tokens: string[]): void {
  const count = tokens.length;
  if (count < 2 || count > 4) {
    session.writer.line(MEMCACHE_ERR.unknownCommand);
    return;
  }
  if (count > 2) {
    const holdIsZero = tokens[2] === '0';
    session.noreply = tokens[count - 1] === 'noreply';
    const valid =
      (count === 3 && (holdIsZero || session.noreply)) ||
      (count === 4 && holdIsZero && session.noreply);
    if (!valid) {
      session.reply(MEMCACHE_ERR.deleteUsage);
      return;
    }
  }
  const key = tokens[1];
  if (!isValidKey(key)) {
    session.reply(MEMCACHE_ERR.badFormat);
    return;
  }
  if (session.store.find(key, Date.now()) === undefined) {
    session.stats.deleteMisses++;
    session.reply('NOT_FOUND');
    return;
  }
  session.store.remove(key);
  session.stats.deleteHits++;
  session.reply('DELETED');
}

/**
 * incr|decr <key> <delta> [noreply]: the new value after adding or
 * subtracting an unsigned 64-bit delta (incr wraps at 2^64, decr stops at
 * 0), NOT_FOUND, or CLIENT_ERROR for a non-numeric value or delta. Keeps the
 * item's flags and expiry, gives it a new CAS value.
 */
function arithmetic(session: MemcacheSession, tokens: string[], increment: boolean): void {
  if (tokens.length !== 3 && tokens.length !== 4) {
    session.writer.line(MEMCACHE_ERR.unknownCommand);
    return;
  }
  session.noreply = tokens[tokens.length - 1] === 'noreply';
  const key = tokens[1];
  if (!isValidKey(key)) {
    session.reply(MEMCACHE_ERR.badFormat);
    return;
  }
  const delta = parseUint64(tokens[2]);
  if (delta === null) {
    session.reply(MEMCACHE_ERR.invalidDelta);
    return;
  }
  const meta = session.store.find(key, Date.now());
  if (meta === undefined) {
    if (increment) session.stats.incrMisses++;
    else session.stats.decrMisses++;
    session.reply('NOT_FOUND');
    return;
  }
  session.reply(changeCounter(session, key, meta, delta, increment) ?? MEMCACHE_ERR.nonNumeric);
}

/**
 * Applies a delta to an item's value read as an unsigned 64-bit counter and
 * returns the new value, or null when the value is not a number.
 */
export function changeCounter(
  session: MemcacheSession,
  key: string,
  meta: ItemMeta,
  delta: bigint,
  increment: boolean,
): string | null {
  const current = parseCounter(asBinary(meta.value));
  if (current === null) return null;
  const next = String(applyDelta(current, delta, increment));
  session.store.update(key, meta, next, increment ? 'incrby' : 'decrby', Date.now());
  if (increment) session.stats.incrHits++;
  else session.stats.decrHits++;
  return next;
}

export type TextHandler = (session: MemcacheSession, tokens: string[]) => void;

export const TEXT_COMMANDS: ReadonlyArray<readonly [string, TextHandler]> = [
  ['get', (session, tokens) => retrieve(session, tokens, false, false)],
  ['gets', (session, tokens) => retrieve(session, tokens, true, false)],
  ['gat', (session, tokens) => retrieve(session, tokens, false, true)],
  ['gats', (session, tokens) => retrieve(session, tokens, true, true)],
  ['touch', touch],
  ['delete', deleteCommand],
  ['incr', (session, tokens) => arithmetic(session, tokens, true)],
  ['decr', (session, tokens) => arithmetic(session, tokens, false)],
];
