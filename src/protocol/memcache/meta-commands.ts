/**
 * Meta protocol commands as memcached 1.6.18 implements them: mg (get), ms
 * (set), md (delete), ma (arithmetic), me (debug) and mn (no-op). Replies
 * are a two-letter code (VA, HD, EN, NS, EX, NF, MN, ME) followed by the
 * requested return flags in request order. The `q` flag hides only the
 * nominal reply (EN for mg, HD for ms, md and ma); errors always show.
 */
import { MEMCACHE_ERR } from '../../engine/errors';
import type { ItemMeta } from './items';
import { encodeBase64Key, isValidKey, MAX_KEY_LENGTH } from './keys';
import { MAX_META_TOKENS, MAX_OPAQUE_LENGTH, parseMetaFlags, type MetaFlags } from './meta-flags';
import { expiryFromExptime, parseInt32, secondsLeft } from './numbers';
import type { MemcacheSession } from './session';
import { casMatches, itemSize, storeItem, type StoreMode, type StoreResult } from './storage';
import { changeCounter, type TextHandler } from './text-commands';

const INT_MAX = 2147483647;
const CR = 0x0d;
const LF = 0x0a;

const SET_MODES: ReadonlyMap<string, StoreMode> = new Map([
  ['E', 'add'],
  ['A', 'append'],
  ['P', 'prepend'],
  ['R', 'replace'],
  ['S', 'set'],
]);

const SET_CODES: Readonly<Record<StoreResult, string>> = {
  STORED: 'HD',
  NOT_STORED: 'NS',
  EXISTS: 'EX',
  NOT_FOUND: 'NF',
};

/** The ` k<key>` return flag; a base64 key is sent in base64 and followed by ` b`. */
function keyFlag(key: string, base64: boolean): string {
  return base64 ? ` k${encodeBase64Key(key)} b` : ` k${key}`;
}

/** The ` t<seconds>` return flag: seconds left, or -1 for an item that never expires. */
function ttlFlag(expireAt: number | null, now: number): string {
  return expireAt === null ? ' t-1' : ` t${secondsLeft(expireAt, now)}`;
}

/**
 * Appends the O and k return flags, the only ones a reply without an item
 * carries. Returns null when an opaque token is too long.
 */
function opaqueAndKey(tokens: readonly string[], start: number, key: string, base64: boolean) {
  let text = '';
  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i];
    if (token[0] === 'O') {
      if (token.length > MAX_OPAQUE_LENGTH) return null;
      text += ` ${token}`;
    } else if (token[0] === 'k') {
      text += keyFlag(key, base64);
    }
  }
  return text;
}

/**
 * Checks what every meta command with a key checks first: enough tokens, the
 * key, and the token count. Writes the error and returns false when one fails.
 */
function checkMetaLine(session: MemcacheSession, tokens: string[], tooManyText: string): boolean {
  if (tokens.length < 2) {
    session.writer.line(MEMCACHE_ERR.unknownCommand);
    return false;
  }
  session.stats.cmdMeta++;
  if (tokens[1].length > MAX_KEY_LENGTH || !isValidKey(tokens[1])) {
    session.writer.line(MEMCACHE_ERR.badFormat);
    return false;
  }
  if (tokens.length > MAX_META_TOKENS) {
    session.writer.line(tooManyText);
    return false;
  }
  return true;
}

/**
 * Parses the flags from `start` on, or writes the error and returns null.
 * md and ma report every flag error with one text (`flagErrorText`).
 */
function parseFlagsOrReply(
  session: MemcacheSession,
  tokens: string[],
  start: number,
  flagErrorText: string | null,
): MetaFlags | null {
  const parsed = parseMetaFlags(tokens, start);
  if (parsed.flags === null) {
    session.writer.line(flagErrorText ?? parsed.error);
    return null;
  }
  return parsed.flags;
}

/** Runs the line checks and flag parsing of mg, md and ma. */
function metaPrelude(
  session: MemcacheSession,
  tokens: string[],
  tooManyText: string,
  flagErrorText: string | null,
): MetaFlags | null {
  if (!checkMetaLine(session, tokens, tooManyText)) return null;
  return parseFlagsOrReply(session, tokens, 2, flagErrorText);
}

/**
 * mg <key> <flags>*: VA <size> <flags> and the value (with v), HD <flags>
 * (without v), or EN on a miss. N creates an empty item on a miss and wins
 * its recache token (W); T sets the expiry; R wins the token when less time
 * remains. Z shows a token already handed out, X a stale item.
 */
function metaGet(session: MemcacheSession, tokens: string[]): void {
  const flags = metaPrelude(session, tokens, MEMCACHE_ERR.getFlagsTooLong, null);
  if (flags === null) return;
  session.noreply = flags.quiet;
  const now = Date.now();
  const key = flags.key;
  let meta = session.store.find(key, now);
  const created = meta === undefined && flags.vivify !== null;
  if (created) meta = session.store.store(key, '', 0, null, now);
  if (meta === undefined) {
    metaGetMiss(session, tokens, flags);
    return;
  }
  const header = metaGetHeader(session, tokens, flags, meta, created, now);
  if (header === null) {
    session.writer.line(MEMCACHE_ERR.opaqueTooLong);
    return;
  }
  countGet(session, flags);
  session.writer.line(header);
  if (flags.returnValue) {
    session.writer.value(meta.value);
    session.writer.crlf();
  }
  if (!flags.noUpdate) session.store.access(meta, now);
}

function metaGetMiss(session: MemcacheSession, tokens: string[], flags: MetaFlags): void {
  const stats = session.stats;
  if (flags.ttl !== null) {
    stats.cmdTouch++;
    stats.touchMisses++;
  } else {
    stats.cmdGet++;
    stats.getMisses++;
  }
  const rest = opaqueAndKey(tokens, 2, flags.key, flags.base64);
  if (rest === null) session.writer.line(MEMCACHE_ERR.opaqueTooLong);
  else session.reply(`EN${rest}`);
}

/** Builds the reply line of an mg hit and applies T, N and R; null for a long opaque. */
function metaGetHeader(
  session: MemcacheSession,
  tokens: string[],
  flags: MetaFlags,
  meta: ItemMeta,
  created: boolean,
  now: number,
): string | null {
  const store = session.store;
  const key = flags.key;
  let expireAt = store.expiryOf(key);
  let won = false;
  let line = flags.returnValue ? `VA ${meta.value.length}` : 'HD';
  for (let i = 2; i < tokens.length; i++) {
    const token = tokens[i];
    switch (token[0]) {
      case 'T':
        expireAt = expiryFromExptime(flags.ttl ?? 0, now);
        store.setExpiry(key, expireAt, now);
        break;
      case 'N':
        if (!created) break;
        expireAt = expiryFromExptime(flags.vivify ?? 0, now);
        store.setExpiry(key, expireAt, now);
        won = true;
        break;
      case 'R':
        won ||= winsRecache(meta, created, expireAt, flags.recache ?? 0, now);
        break;
      case 'O':
        if (token.length > MAX_OPAQUE_LENGTH) return null;
        line += ` ${token}`;
        break;
      default:
        line += returnFlag(token[0], meta, key, expireAt, now);
    }
  }
  return line + tokenFlags(meta, won);
}

/** Checks whether an R flag wins the recache token: less time remains than its token. */
function winsRecache(
  meta: ItemMeta,
  created: boolean,
  expireAt: number | null,
  recache: number,
  now: number,
): boolean {
  const threshold = expiryFromExptime(recache, now);
  if (meta.tokenSent || created || expireAt === null || threshold === null) return false;
  return expireAt < threshold;
}

/** The s, t, c, f, l, h and k return flags of an mg hit; '' for other flags. */
function returnFlag(
  flag: string,
  meta: ItemMeta,
  key: string,
  expireAt: number | null,
  now: number,
): string {
  switch (flag) {
    case 's':
      return ` s${meta.value.length}`;
    case 't':
      return ttlFlag(expireAt, now);
    case 'c':
      return ` c${meta.cas}`;
    case 'f':
      return ` f${meta.flags}`;
    case 'l':
      return ` l${Math.floor((now - meta.lastAccess) / 1000)}`;
    case 'h':
      return meta.fetched ? ' h1' : ' h0';
    case 'k':
      return keyFlag(key, meta.binaryKey);
    default:
      return '';
  }
}

/** Z, X and W: a token already handed out, a stale item, and a token won now. */
function tokenFlags(meta: ItemMeta, wonByFlag: boolean): string {
  let text = '';
  let won = wonByFlag;
  if (meta.tokenSent) text += ' Z';
  if (meta.stale) {
    text += ' X';
    if (!meta.tokenSent) won = true;
  }
  if (won) {
    text += ' W';
    meta.tokenSent = true;
  }
  return text;
}

function countGet(session: MemcacheSession, flags: MetaFlags): void {
  if (flags.ttl !== null) {
    session.stats.cmdTouch++;
    session.stats.touchHits++;
  } else {
    session.stats.cmdGet++;
    session.stats.getHits++;
  }
}

/**
 * ms <key> <datalen> <flags>*, then the data block: HD when stored, NS, EX
 * or NF when a mode (M: E add, A append, P prepend, R replace, S set) or a
 * CAS value (C) stopped it. F sets client flags, T the expiry, I stores a
 * value whose CAS value is older than the item's as stale. Bad flags reply
 * CLIENT_ERROR and the data block is discarded.
 */
function metaSet(session: MemcacheSession, tokens: string[]): void {
  if (!checkMetaLine(session, tokens, MEMCACHE_ERR.flagsTooLong)) return;
  const length = tokens.length > 2 ? parseInt32(tokens[2]) : null;
  if (length === null || length < 0 || length > INT_MAX - 2) {
    session.writer.line(MEMCACHE_ERR.badFormat);
    return;
  }
  const flags = parseFlagsOrReply(session, tokens, 3, null);
  if (flags === null) {
    session.swallow(length + 2);
    return;
  }
  startMetaSet(session, tokens, flags, length);
}

/** Checks the mode, the opaque and the size, then waits for the data block. */
function startMetaSet(
  session: MemcacheSession,
  tokens: string[],
  flags: MetaFlags,
  length: number,
) {
  session.noreply = flags.quiet;
  let mode = flags.mode === null ? 'set' : SET_MODES.get(flags.mode);
  let error: string | null = null;
  if (mode === undefined) error = MEMCACHE_ERR.setMode;
  else if (opaqueAndKey(tokens, 3, flags.key, flags.base64) === null) {
    error = MEMCACHE_ERR.opaqueTooLong;
  } else if (itemSize(flags.key.length, flags.clientFlags, length) > session.itemSizeMax) {
    error = MEMCACHE_ERR.tooLarge;
    session.stats.storeTooLarge++;
    session.store.remove(flags.key);
  }
  if (error !== null || mode === undefined) {
    session.writer.line(error ?? MEMCACHE_ERR.setMode);
    session.swallow(length + 2);
    return;
  }
  if (flags.cas !== null && (mode === 'set' || mode === 'replace')) mode = 'cas';
  session.stats.cmdSet++;
  const storeMode = mode;
  session.expectData(length + 2, (block) => {
    completeMetaSet(session, tokens, flags, storeMode, block, length);
  });
}

function completeMetaSet(
  session: MemcacheSession,
  tokens: string[],
  flags: MetaFlags,
  mode: StoreMode,
  block: Buffer,
  length: number,
): void {
  if (block[length] !== CR || block[length + 1] !== LF) {
    session.writer.line(MEMCACHE_ERR.badDataChunk);
    return;
  }
  const outcome = storeItem(
    session.store,
    {
      key: flags.key,
      mode,
      flags: flags.clientFlags,
      exptime: flags.ttl ?? 0,
      data: block.latin1Slice(0, length),
      cas: flags.cas,
      staleIfOlder: flags.invalidate && mode === 'cas',
      binaryKey: flags.base64,
    },
    Date.now(),
  );
  const code = SET_CODES[outcome.result];
  if (code === 'HD' && flags.quiet) return;
  let line = code;
  for (let i = 3; i < tokens.length; i++) {
    const token = tokens[i];
    if (token[0] === 'O') line += ` ${token}`;
    else if (token[0] === 'k') line += keyFlag(flags.key, flags.base64);
    else if (token[0] === 'c') line += ` c${outcome.meta?.cas ?? 0}`;
  }
  session.writer.line(line);
}

/**
 * md <key> <flags>*: HD after deleting the item, NF when it is missing, EX
 * when a CAS value (C) differs. With I the item stays, marked stale with a
 * new CAS value (and T sets its expiry).
 */
function metaDelete(session: MemcacheSession, tokens: string[]): void {
  const flagError = MEMCACHE_ERR.invalidOrDuplicateFlag;
  const flags = metaPrelude(session, tokens, MEMCACHE_ERR.flagsTooLong, flagError);
  if (flags === null) return;
  session.noreply = flags.quiet;
  const rest = opaqueAndKey(tokens, 2, flags.key, flags.base64);
  if (rest === null) {
    session.writer.line(MEMCACHE_ERR.opaqueTooLong);
    return;
  }
  const code = deleteOrInvalidate(session, flags);
  if (code === 'HD') session.reply(code + rest);
  else session.writer.line(code + rest);
}

function deleteOrInvalidate(session: MemcacheSession, flags: MetaFlags): string {
  const store = session.store;
  const now = Date.now();
  const meta = store.find(flags.key, now);
  if (meta === undefined || (flags.cas !== null && !casMatches(meta, flags.cas))) {
    session.stats.deleteMisses++;
    return meta === undefined ? 'NF' : 'EX';
  }
  if (!flags.invalidate) {
    store.remove(flags.key);
    session.stats.deleteHits++;
    return 'HD';
  }
  if (flags.ttl !== null) store.setExpiry(flags.key, expiryFromExptime(flags.ttl, now), now);
  meta.stale = true;
  meta.tokenSent = false;
  meta.cas = store.newCas();
  return 'HD';
}

/**
 * ma <key> <flags>*: HD (or VA with the new value, with v) after adding D
 * (default 1) to the item's unsigned 64-bit counter, or subtracting it in
 * mode MD/M-. NF on a miss unless N creates the item with J (default 0), EX
 * when a CAS value (C, 0 means none) differs.
 */
function metaArithmetic(session: MemcacheSession, tokens: string[]): void {
  const flagError = MEMCACHE_ERR.invalidOrDuplicateFlag;
  const flags = metaPrelude(session, tokens, MEMCACHE_ERR.flagsTooLong, flagError);
  if (flags === null) return;
  session.noreply = flags.quiet;
  const mode = flags.mode;
  if (mode !== null && !['I', '+', 'D', '-'].includes(mode)) {
    session.writer.line(MEMCACHE_ERR.arithmeticMode);
    return;
  }
  const increment = mode !== 'D' && mode !== '-';
  const now = Date.now();
  const meta = session.store.find(flags.key, now);
  if (meta === undefined) {
    arithmeticMiss(session, tokens, flags, increment, now);
    return;
  }
  if (flags.cas !== null && flags.cas !== 0n && !casMatches(meta, flags.cas)) {
    writeWithoutItem(session, tokens, flags, 'EX');
    return;
  }
  const value = changeCounter(session, flags.key, meta, flags.delta, increment);
  if (value === null) {
    session.writer.line(MEMCACHE_ERR.nonNumeric);
    return;
  }
  writeArithmetic(session, tokens, flags, meta, value, false, now);
}

function arithmeticMiss(
  session: MemcacheSession,
  tokens: string[],
  flags: MetaFlags,
  increment: boolean,
  now: number,
): void {
  if (flags.vivify === null) {
    if (increment) session.stats.incrMisses++;
    else session.stats.decrMisses++;
    writeWithoutItem(session, tokens, flags, 'NF');
    return;
  }
  const value = String(flags.initial);
  const meta = session.store.store(flags.key, value, 0, null, now);
  writeArithmetic(session, tokens, flags, meta, value, true, now);
}

/** Writes NF or EX with the O and k flags. */
function writeWithoutItem(
  session: MemcacheSession,
  tokens: string[],
  flags: MetaFlags,
  code: string,
) {
  const rest = opaqueAndKey(tokens, 2, flags.key, flags.base64);
  session.writer.line(rest === null ? MEMCACHE_ERR.opaqueTooLong : code + rest);
}

/**
 * Applies T and N in flag order and writes HD or VA. The q flag hides the
 * reply of an update, not of a creation.
 */
function writeArithmetic(
  session: MemcacheSession,
  tokens: string[],
  flags: MetaFlags,
  meta: ItemMeta,
  value: string,
  created: boolean,
  now: number,
): void {
  const store = session.store;
  let expireAt = store.expiryOf(flags.key);
  let line = flags.returnValue ? `VA ${value.length}` : 'HD';
  for (let i = 2; i < tokens.length; i++) {
    const token = tokens[i];
    const flag = token[0];
    if (flag === 'T' || (flag === 'N' && created)) {
      expireAt = expiryFromExptime((flag === 'T' ? flags.ttl : flags.vivify) ?? 0, now);
      store.setExpiry(flags.key, expireAt, now);
    } else if (flag === 'c') line += ` c${meta.cas}`;
    else if (flag === 't') line += ttlFlag(expireAt, now);
    else if (flag === 'k') line += keyFlag(flags.key, flags.base64);
    else if (flag === 'O') {
      if (token.length > MAX_OPAQUE_LENGTH) {
        session.writer.line(MEMCACHE_ERR.opaqueTooLong);
        return;
      }
      line += ` ${token}`;
    }
  }
  if (flags.quiet && !created) return;
  session.writer.line(line);
  if (flags.returnValue) session.writer.line(value);
}

/**
 * me <key> [b]: ME <key> exp=<-seconds left|-1> la=<idle seconds> cas=<cas>
 * fetch=<yes|no> cls=1 size=<item bytes>, or EN. `exp` is negative like
 * memcached 1.6.18's; `cls` is always 1 (Damselfly has no slab classes).
 */
function metaDebug(session: MemcacheSession, tokens: string[]): void {
  session.stats.cmdMeta++;
  if (tokens.length < 2 || tokens[1].length > MAX_KEY_LENGTH || !isValidKey(tokens[1])) {
    session.writer.line(MEMCACHE_ERR.badFormat);
    return;
  }
  const base64 = tokens.length >= 3 && tokens[2] === 'b';
  const key = base64 ? decodeKey(tokens[1]) : tokens[1];
  if (key === null) {
    session.writer.line(MEMCACHE_ERR.badFormat);
    return;
  }
  const now = Date.now();
  const meta = session.store.find(key, now);
  if (meta === undefined) {
    session.writer.line('EN');
    return;
  }
  session.writer.line(debugLine(session, key, meta, now));
}

function decodeKey(token: string): string | null {
  const flags = parseMetaFlags(['me', token, 'b'], 2);
  return flags.flags === null ? null : flags.flags.key;
}

function debugLine(session: MemcacheSession, key: string, meta: ItemMeta, now: number): string {
  const expireAt = session.store.expiryOf(key);
  const exp = expireAt === null ? -1 : -secondsLeft(expireAt, now);
  const idle = Math.floor((now - meta.lastAccess) / 1000);
  const shown = meta.binaryKey ? encodeBase64Key(key) : key;
  const size = itemSize(key.length, meta.flags, meta.value.length);
  const fetched = meta.fetched ? 'yes' : 'no';
  return `ME ${shown} exp=${exp} la=${idle} cas=${meta.cas} fetch=${fetched} cls=1 size=${size}`;
}

/** mn: MN, marking the end of a pipeline of quiet commands. */
function metaNoop(session: MemcacheSession): void {
  session.stats.cmdMeta++;
  session.writer.line('MN');
}

export const META_COMMANDS: ReadonlyArray<readonly [string, TextHandler]> = [
  ['mg', metaGet],
  ['ms', metaSet],
  ['md', metaDelete],
  ['ma', metaArithmetic],
  ['me', metaDebug],
  ['mn', metaNoop],
];
