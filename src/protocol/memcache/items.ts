/**
 * Memcached items on top of database 0. An item's value is an ordinary
 * string key that Redis clients read and write with GET and SET. Its
 * memcached-only metadata (client flags, CAS value, last access, the meta
 * protocol's stale and win-token marks) is kept in a side map by key.
 *
 * Metadata belongs to one exact stored value. A Redis write to the key
 * (seen through the journal) drops it, and so does any change of the value
 * object that the journal missed, so the next Memcached read sees flags 0
 * and a new CAS value. Memcached writes are journaled as Redis commands
 * (SET ... PXAT, DEL, PEXPIREAT, PERSIST, FLUSHDB), so the append-only file
 * replays them; the metadata itself is not persisted.
 */
import type { Server } from '../../engine/server';
import { keyIndexes } from '../../engine/command';
import { notifyKeyspaceEvent, type EventClass } from '../../engine/notify';
import type { Database } from '../../store/database';
import { isString, type StringValue } from '../../store/types';
import { MAX_CACHED_VALUE, ReplyCache } from './reply-cache';
import { MemcacheStats } from './stats';
import type { MemcacheWriter } from './writer';

/** Memcached-only state of one stored value. */
export class ItemMeta {
  // These four are created by the constructor (`declare` emits no class field). A class
  // field would start as undefined, and V8 would then store each new `lastAccess` as a
  // pointer to a newly allocated number instead of updating a double in place.
  declare value: StringValue;
  declare flags: number;
  declare cas: number;
  /** Unix ms of the last fetch or store. */
  declare lastAccess: number;
  /** Fetched at least once since it was stored (meta `h`, `me` fetch=yes). */
  fetched = false;
  /** Marked stale by `md ... I` or a stale `ms ... I` store. */
  stale = false;
  /** A client has been handed the win token (`W`) for recaching it. */
  tokenSent = false;
  /** Stored by `ms` with a base64 key (`b`), so keys are shown in base64. */
  binaryKey = false;
  /** Position of this item's retrieval entry in the reply cache, or -1 (reply-cache.ts). */
  replyAt = -1;

  constructor(value: StringValue, flags: number, cas: number, now: number) {
    this.value = value;
    this.flags = flags;
    this.cas = cas;
    this.lastAccess = now;
  }
}

/** The expiry argument of `store` that keeps the key's current time to live. */
export const KEEP_TTL = 'keep';
export type Expiry = number | null | typeof KEEP_TTL;

export class ItemStore {
  readonly stats = new MemcacheStats();
  readonly replies: ReplyCache;
  readonly server: Server;
  readonly #meta = new Map<string, ItemMeta>();
  #nextCas = 1;
  /** True while this store journals its own write, which must not drop metadata. */
  #journaling = false;
  #flushTimer: NodeJS.Timeout | null = null;
  readonly #journalListener = (dbIndex: number, args: readonly string[]): void =>
    this.#onJournal(dbIndex, args);

  constructor(server: Server, replies = new ReplyCache()) {
    this.server = server;
    this.replies = replies;
    server.journal.push(this.#journalListener);
    server.config.watch('memcached-reply-cache', (limit) => {
      // The ring is made on first use; one in use takes the new size at once.
      if (this.replies.capacity !== 0) this.#restartReplies(Number(limit));
    });
  }

  /** Database 0, looked up on each use because loading a snapshot may replace it. */
  get database(): Database {
    return this.server.databases[0];
  }

  /** Stops the delayed flush timer and the journal listener. */
  close(): void {
    this.cancelFlush();
    const index = this.server.journal.indexOf(this.#journalListener);
    if (index >= 0) this.server.journal.splice(index, 1);
  }

  newCas(): number {
    return this.#nextCas++;
  }

  /**
   * Returns the metadata of a live string item, creating it (flags 0, a new
   * CAS value) for a value that Redis wrote. Undefined for a missing key or
   * a key of another Redis type.
   */
  find(key: string, now: number): ItemMeta | undefined {
    const value = this.database.get(key);
    if (value === undefined || !isString(value)) return undefined;
    const meta = this.#meta.get(key);
    if (meta !== undefined && meta.value === value) return meta;
    const fresh = new ItemMeta(value, 0, this.newCas(), now);
    this.#meta.set(key, fresh);
    return fresh;
  }

  /** Whether the key exists with any Redis type (add must not replace it). */
  occupied(key: string): boolean {
    return this.database.get(key) !== undefined;
  }

  /**
   * Removes (and announces) the key if its time to live has run out, as a
   * Redis write does before it replaces a value. Without any key with a
   * time to live in the database, there is nothing to look up.
   */
  expireIfDue(key: string): void {
    const db = this.database;
    if (db.expires.size !== 0) db.get(key);
  }

  /** Marks an item fetched now, as a get or a touch does. */
  access(meta: ItemMeta, now: number): void {
    meta.fetched = true;
    meta.lastAccess = now;
  }

  /**
   * Writes an item's retrieval entry without its CAS value, from the reply
   * cache when it contains the entry, and caches an entry it had to encode.
   */
  writeEntry(writer: MemcacheWriter, key: string, meta: ItemMeta): void {
    if (this.replies.writeTo(writer, meta)) return;
    const mark = writer.length;
    const value = meta.value;
    writer.entry(key, meta.flags, value, -1);
    if (typeof value !== 'string' || value.length > MAX_CACHED_VALUE) return;
    const limit = this.server.config.number('memcached-reply-cache');
    if (limit === 0 || !this.replies.admit()) return;
    // No item has a position while there is no ring, so a first ring needs no forgetting.
    if (this.replies.capacity === 0) this.replies.restart(limit);
    this.replies.remember(meta, writer, mark);
    if (this.replies.exhausted) this.#restartReplies(limit);
  }

  /** Drops every item's cached entry and starts the reply cache over with `limit` bytes. */
  #restartReplies(limit: number): void {
    for (const meta of this.#meta.values()) this.replies.forget(meta);
    this.replies.restart(limit);
  }

  /**
   * Stores a value with fresh metadata and returns the metadata. An expiry
   * already in the past deletes the key instead, because memcached stores
   * such an item but never returns it. The metadata returned is then not kept.
   */
  store(key: string, value: string, flags: number, expiry: Expiry, now: number): ItemMeta {
    if (typeof expiry === 'number' && expiry <= now) {
      this.remove(key);
      return new ItemMeta(value, flags, this.newCas(), now);
    }
    const db = this.database;
    this.#preserve(key);
    if (expiry === KEEP_TTL) db.replace(key, value);
    else db.set(key, value);
    if (typeof expiry === 'number') db.setExpire(key, expiry);
    this.#changed(key, 'set', '$', journalOfStore(key, value, expiry));
    this.stats.totalItems++;
    const meta = new ItemMeta(value, flags, this.newCas(), now);
    this.#meta.set(key, meta);
    return meta;
  }

  /**
   * Replaces an item's value, keeping its flags and time to live. Gives a new
   * CAS value and, as memcached does, marks the item not yet fetched.
   */
  update(key: string, meta: ItemMeta, value: string, event: string, now: number): void {
    this.#preserve(key);
    this.database.replace(key, value);
    this.#changed(key, event, '$', ['SET', key, value, 'KEEPTTL']);
    this.replies.forget(meta);
    meta.fetched = false;
    meta.value = value;
    meta.cas = this.newCas();
    meta.lastAccess = now;
    this.#meta.set(key, meta);
  }

  /** Deletes a key; returns whether it existed. */
  remove(key: string): boolean {
    this.#meta.delete(key);
    this.#preserve(key);
    if (!this.database.delete(key)) return false;
    this.#changed(key, 'del', 'g', ['DEL', key]);
    return true;
  }

  /** Sets or clears an item's expiry (Unix ms, or null for none); a past time deletes it. */
  setExpiry(key: string, expireAt: number | null, now: number): void {
    if (expireAt !== null && expireAt <= now) {
      this.remove(key);
      return;
    }
    this.#preserve(key);
    if (expireAt === null) {
      if (this.database.persist(key)) this.#changed(key, 'persist', 'g', ['PERSIST', key]);
      return;
    }
    this.database.setExpire(key, expireAt);
    this.#changed(key, 'expire', 'g', ['PEXPIREAT', key, String(expireAt)]);
  }

  /** Returns the expiry of a key in Unix ms, or null when it has none. */
  expiryOf(key: string): number | null {
    const when = this.database.getExpire(key);
    return when < 0 ? null : when;
  }

  /** Empties database 0, as FLUSHDB does, and cancels a delayed flush. */
  flush(): void {
    this.cancelFlush();
    const server = this.server;
    server.databaseModified(this.database);
    server.dirty += Math.max(1, this.database.size);
    this.database.clear();
    this.#meta.clear();
    this.replies.restart(this.replies.capacity);
    this.#journal(['FLUSHDB']);
  }

  /** Flushes at `when` (Unix ms), replacing any flush scheduled before. */
  scheduleFlush(when: number, now: number): void {
    this.cancelFlush();
    const timer = setTimeout(() => this.flush(), Math.max(0, when - now));
    timer.unref();
    this.#flushTimer = timer;
  }

  cancelFlush(): void {
    if (this.#flushTimer === null) return;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
  }

  /** Keeps the key as it is for a background save in progress; called before a change. */
  #preserve(key: string): void {
    this.server.snapshot?.preserve(this.database, key);
  }

  /** Counts, journals and announces a change to one key. */
  #changed(key: string, event: string, eventClass: EventClass, journal: string[]): void {
    const server = this.server;
    server.dirty++;
    server.keyModified(this.database, key);
    notifyKeyspaceEvent(server, eventClass, event, key, 0);
    this.#journal(journal);
  }

  #journal(args: string[]): void {
    this.#journaling = true;
    try {
      this.server.propagate(0, args);
    } finally {
      this.#journaling = false;
    }
  }

  /** Drops the metadata of every key that a Redis write changed. */
  #onJournal(dbIndex: number, args: readonly string[]): void {
    if (this.#journaling || this.#meta.size === 0) return;
    const name = args[0].toLowerCase();
    if (name === 'flushall' || name === 'swapdb' || (name === 'flushdb' && dbIndex === 0)) {
      this.#meta.clear();
      this.replies.restart(this.replies.capacity);
      return;
    }
    if (name === 'copy' && dbIndex !== 0) {
      // COPY ... DB 0 is journaled under its source database but writes database 0.
      if (copyTarget(args) === 0) this.#meta.delete(args[2]);
      return;
    }
    if (dbIndex !== 0) return;
    const spec = this.server.commands.get(name);
    if (spec === undefined) return;
    for (const index of keyIndexes(spec, args)) this.#meta.delete(args[index]);
  }
}

/** Returns the database that `COPY source destination [DB n] [REPLACE]` writes to, or null. */
function copyTarget(args: readonly string[]): number | null {
  for (let i = 3; i + 1 < args.length; i++) {
    if (args[i].toLowerCase() === 'db') return Number(args[i + 1]);
  }
  return null;
}

function journalOfStore(key: string, value: string, expiry: Expiry): string[] {
  if (expiry === KEEP_TTL) return ['SET', key, value, 'KEEPTTL'];
  if (expiry === null) return ['SET', key, value];
  return ['SET', key, value, 'PXAT', String(expiry)];
}
