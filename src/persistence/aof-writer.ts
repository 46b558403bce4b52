/**
 * Appends every journaled write to the current increment file, as RESP
 * commands with a SELECT whenever the database changes.
 *
 * fsync policies:
 * - `always`: a connection whose requests journaled anything keeps its replies
 *   until those bytes are written and fsynced. One write and one fsync serve
 *   every connection waiting at that moment (group commit).
 * - `everysec`: writes go out at the end of each event-loop turn and an fsync
 *   runs once a second in the thread pool, so a crash loses about a second.
 * - `no`: writes go out at the end of each turn; the OS decides when to flush.
 *
 * A failed write (a full disk, say) keeps the data in memory, truncates the
 * file back to its last good length, refuses further writes with MISCONF, and
 * retries every second until it succeeds.
 */
import { existsSync, fdatasyncSync, readFileSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Server } from '../engine/server';
import { FILE_MODE } from './atomic-file';
import { decryptFile, isEncrypted, RecordEncryptor } from './encryption';

const RETRY_MS = 1000;
const EVERYSEC_MS = 1000;

/** Encodes one command as a RESP multibulk request. */
export function encodeCommand(args: readonly string[]): Buffer {
  let size = 1 + String(args.length).length + 2;
  for (const arg of args) size += 1 + String(arg.length).length + 2 + arg.length + 2;
  const out = Buffer.allocUnsafe(size);
  let offset = out.latin1Write(`*${args.length}\r\n`, 0);
  for (const arg of args) {
    offset += out.latin1Write(`$${arg.length}\r\n`, offset);
    offset += out.latin1Write(arg, offset);
    offset += out.latin1Write('\r\n', offset);
  }
  return out;
}

export class AofWriter {
  readonly #server: Server;
  #handle: FileHandle | null = null;
  path = '';
  /** Bytes encoded but not yet handed to the file. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Length of the file up to the last successful write. */
  size = 0;
  #selectedDb = -1;
  /** Entries of a MULTI block, held until EXEC so an empty block writes nothing. */
  #transaction: Buffer[] | null = null;
  #writing = false;
  #encryptor: RecordEncryptor | null = null;
  /** Set while switching files: no new write may start. */
  #paused = false;
  #flushScheduled = false;
  #waiters: (() => void)[] = [];
  #unsynced = false;
  #everysecTimer: NodeJS.Timeout | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  lastError: string | null = null;
  lastFsyncAt = Date.now();

  constructor(server: Server) {
    this.#server = server;
  }

  get policy(): string {
    return this.#server.config.string('appendfsync');
  }

  get bufferedBytes(): number {
    return this.#pendingBytes;
  }

  /**
   * Opens a file for appending. Returns false, opening nothing, when the file
   * contains data whose encryption does not match the configuration (plain data
   * while a key is set, or the reverse): the caller starts a new file instead.
   */
  async open(path: string): Promise<boolean> {
    const encryptor = this.#encryptorFor(path);
    if (encryptor === false) return false;
    this.#encryptor = encryptor;
    this.path = path;
    this.#handle = await open(path, 'a', FILE_MODE);
    this.size = (await this.#handle.stat()).size;
    if (encryptor !== null && this.size === 0) {
      const header = encryptor.header();
      await this.#handle.write(header);
      this.size = header.length;
    }
    this.#selectedDb = -1;
    this.#everysecTimer ??= setInterval(() => this.#everysecTick(), EVERYSEC_MS);
    return true;
  }

  #encryptorFor(path: string): RecordEncryptor | null | false {
    const keyring = this.#server.keyring;
    const existing = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
    if (existing.length === 0) return keyring === null ? null : new RecordEncryptor(keyring);
    if (isEncrypted(existing) !== (keyring !== null)) return false;
    if (keyring === null) return null;
    const decrypted = decryptFile(existing, keyring, path);
    if (decrypted.validLength !== existing.length) return false;
    return new RecordEncryptor(keyring, decrypted.fileId, decrypted.records);
  }

  /**
   * Switches to a new increment file. Waits for a write in flight, then in one
   * synchronous step writes and fsyncs what is pending to the old file and
   * calls `atSwitch`, so nothing is journaled in between: later writes wait in
   * memory until the new file is open.
   */
  async switchTo(path: string, atSwitch: () => void): Promise<void> {
    this.#paused = true;
    while (this.#writing) await new Promise((resolve) => setImmediate(resolve));
    try {
      const old = this.#handle;
      const plain = Buffer.concat(this.#pending);
      const chunk =
        this.#encryptor === null || plain.length === 0 ? plain : this.#encryptor.encryptNext(plain);
      if (old !== null) {
        let offset = 0;
        while (offset < chunk.length) offset += writeSync(old.fd, chunk, offset);
        fdatasyncSync(old.fd);
        this.size += chunk.length;
      }
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#unsynced = false;
      this.#selectedDb = -1;
      atSwitch();
      this.#handle = null;
      if (old !== null) await old.close();
      await this.open(path);
    } finally {
      this.#paused = false;
    }
    // Waiters are released by the next flush: writes journaled during the
    // switch are still pending and must reach the new file first.
    this.#scheduleFlush();
  }

  /** Encodes a write that changed data (the journal listener). */
  append(dbIndex: number, args: readonly string[]): void {
    const name = args[0].toUpperCase();
    if (name === 'MULTI') {
      this.#transaction = [];
      return;
    }
    if (name === 'EXEC') {
      const entries = this.#transaction ?? [];
      this.#transaction = null;
      if (entries.length === 0) return;
      this.#push(encodeCommand(['MULTI']));
      for (const entry of entries) this.#push(entry);
      this.#push(encodeCommand(['EXEC']));
      return;
    }
    const parts: Buffer[] = [];
    if (dbIndex !== this.#selectedDb) {
      parts.push(encodeCommand(['SELECT', String(dbIndex)]));
      this.#selectedDb = dbIndex;
    }
    parts.push(encodeCommand(args));
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts);
    if (this.#transaction !== null) this.#transaction.push(bytes);
    else this.#push(bytes);
  }

  #push(bytes: Buffer): void {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    this.#unsynced = true;
    // With `always`, a connection's group commit usually flushes first; this
    // covers writes no client waits for (active expiry, field sweeps).
    this.#scheduleFlush();
  }

  /** Whether replies must wait for a sync before they may be sent (`always` only). */
  mustHoldReplies(): boolean {
    return this.policy === 'always' && (this.#pendingBytes > 0 || this.#writing);
  }

  /** Runs `callback` once everything journaled so far is written and fsynced. */
  whenSynced(callback: () => void): void {
    this.#waiters.push(callback);
    this.#scheduleFlush();
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#writing || this.#paused || this.#handle === null || this.#retryTimer !== null) return;
    this.#writing = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    const chunk = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    const ok = await this.#writeAndMaybeSync(chunk, this.policy === 'always' || waiters.length > 0);
    this.#writing = false;
    if (!ok) {
      this.#pending.unshift(chunk);
      this.#pendingBytes += chunk.length;
      this.#waiters.unshift(...waiters);
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = null;
        void this.#flush();
      }, RETRY_MS);
      return;
    }
    for (const waiter of waiters) waiter();
    if (this.#pendingBytes > 0 || this.#waiters.length > 0) this.#scheduleFlush();
  }

  async #writeAndMaybeSync(plain: Buffer, sync: boolean): Promise<boolean> {
    const handle = this.#handle as FileHandle;
    const encryptor = this.#encryptor;
    const chunk = encryptor === null || plain.length === 0 ? plain : encryptor.encrypt(plain);
    try {
      let offset = 0;
      while (offset < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, offset);
        offset += bytesWritten;
      }
      if (sync) {
        await handle.datasync();
        this.#unsynced = false;
        this.lastFsyncAt = Date.now();
      }
      this.size += chunk.length;
      if (encryptor !== null && plain.length > 0) encryptor.recordWritten();
      this.#recovered();
      return true;
    } catch (error) {
      await handle.truncate(this.size).catch(() => undefined);
      this.#failed(error as NodeJS.ErrnoException);
      return false;
    }
  }

  #failed(error: NodeJS.ErrnoException): void {
    const message = error.code === 'ENOSPC' ? 'No space left on device' : error.message;
    if (this.lastError === null) {
      this.#server.logger.error(
        { file: this.path, err: message },
        'writing the append-only file failed',
      );
    }
    this.lastError = message;
    this.#server.persistence.aofWriteError = message;
  }

  #recovered(): void {
    if (this.lastError === null) return;
    this.#server.logger.warn({ file: this.path }, 'writing the append-only file works again');
    this.lastError = null;
    this.#server.persistence.aofWriteError = null;
  }

  #everysecTick(): void {
    if (this.policy !== 'everysec' || !this.#unsynced || this.#handle === null) return;
    if (this.#writing || this.#pendingBytes > 0) {
      this.whenSynced(() => undefined);
      return;
    }
    const handle = this.#handle;
    this.#unsynced = false;
    handle.datasync().then(
      () => {
        this.lastFsyncAt = Date.now();
      },
      (error: NodeJS.ErrnoException) => {
        this.#unsynced = true;
        this.#failed(error);
      },
    );
  }

  /** Writes and fsyncs everything pending; resolves when done (or rejects after a failure). */
  drain(): Promise<void> {
    if (this.#pendingBytes === 0 && !this.#writing && !this.#unsynced) return Promise.resolve();
    return new Promise((resolve) => this.whenSynced(resolve));
  }

  async close(): Promise<void> {
    if (this.#everysecTimer !== null) clearInterval(this.#everysecTimer);
    this.#everysecTimer = null;
    if (this.#retryTimer === null) await this.drain();
    const handle = this.#handle;
    this.#handle = null;
    if (handle !== null) await handle.close();
  }
}
