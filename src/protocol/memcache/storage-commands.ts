/**
 * Text protocol storage commands: set, add, replace, append, prepend and cas.
 * Each reads a command line, then a data block of the announced length and
 * its CRLF, and replies STORED, NOT_STORED, EXISTS or NOT_FOUND (nothing with
 * `noreply`).
 */
import { MEMCACHE_ERR } from '../../engine/errors';
import { isValidKey } from './keys';
import { parseFlags, parseInt32, parseUint64 } from './numbers';
import type { MemcacheSession } from './session';
import { itemSize, storeItem, type StoreMode, type StoreRequest } from './storage';
import type { TextHandler } from './text-commands';

const INT_MAX = 2147483647;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Parses `<cmd> <key> <flags> <exptime> <bytes> [<cas>] [noreply]` and waits
 * for the data block. Malformed lines reply CLIENT_ERROR without reading a
 * data block, as memcached does. An item over item-size-max replies
 * SERVER_ERROR and its data is discarded (for set, the old item is deleted).
 */
function storageLine(session: MemcacheSession, tokens: string[], mode: StoreMode): void {
  const extra = mode === 'cas' ? 1 : 0;
  if (tokens.length !== 5 + extra && tokens.length !== 6 + extra) {
    session.writer.line(MEMCACHE_ERR.unknownCommand);
    return;
  }
  session.noreply = tokens[tokens.length - 1] === 'noreply';
  const request = parseStorageLine(tokens, mode);
  const length = parseInt32(tokens[4]);
  if (request === null || length === null || length < 0 || length > INT_MAX - 2) {
    session.reply(MEMCACHE_ERR.badFormat);
    return;
  }
  session.stats.cmdSet++;
  if (itemSize(request.key.length, request.flags, length) > session.itemSizeMax) {
    session.stats.storeTooLarge++;
    session.reply(MEMCACHE_ERR.tooLarge);
    session.swallow(length + 2);
    if (mode === 'set') session.store.remove(request.key);
    return;
  }
  session.expectData(length + 2, (block) => completeStorage(session, request, block, length));
}

/** Reads key, flags, exptime and the cas value; null when one is invalid. */
function parseStorageLine(tokens: string[], mode: StoreMode): StoreRequest | null {
  const key = tokens[1];
  if (!isValidKey(key)) return null;
  const flags = parseFlags(tokens[2]);
  const exptime = parseInt32(tokens[3]);
  if (flags === null || exptime === null || parseInt32(tokens[4]) === null) return null;
  let cas: bigint | null = null;
  if (mode === 'cas') {
    cas = parseUint64(tokens[5]);
    if (cas === null) return null;
  }
  return { key, mode, flags, exptime, data: '', cas, staleIfOlder: false, binaryKey: false };
}

/** Stores the data block once it has arrived; a block not ending in CRLF stores nothing. */
function completeStorage(
  session: MemcacheSession,
  request: StoreRequest,
  block: Buffer,
  length: number,
): void {
  if (block[length] !== CR || block[length + 1] !== LF) {
    session.reply(MEMCACHE_ERR.badDataChunk);
    return;
  }
  request.data = block.latin1Slice(0, length);
  const { result } = storeItem(session.store, request, Date.now());
  if (request.mode === 'cas') countCas(session, result);
  session.reply(result);
}

function countCas(session: MemcacheSession, result: string): void {
  if (result === 'STORED') session.stats.casHits++;
  else if (result === 'EXISTS') session.stats.casBadval++;
  else if (result === 'NOT_FOUND') session.stats.casMisses++;
}

function storageHandler(mode: StoreMode): TextHandler {
  return (session, tokens) => storageLine(session, tokens, mode);
}

export const STORAGE_COMMANDS: ReadonlyArray<readonly [string, TextHandler]> = [
  ['set', storageHandler('set')],
  ['add', storageHandler('add')],
  ['replace', storageHandler('replace')],
  ['append', storageHandler('append')],
  ['prepend', storageHandler('prepend')],
  ['cas', storageHandler('cas')],
];
