/**
 * Point-in-time snapshots without fork(). A snapshot walks every database in
 * slices between other clients' commands. Before a command changes or deletes
 * a key, `preserve` makes sure the file gets the value the key had when the
 * snapshot began, and keys added later are left out (snapshot-walk.ts tells
 * how). The bytes go to the file in chunks from two buffers that take turns,
 * so one can be written while the walk fills the other.
 */
import type { Server } from '../engine/server';
import type { Database } from '../store/database';
import { isString, type Value } from '../store/types';
import { REDIS_COMPATIBLE_VERSION } from '../version';
import { AsyncAtomicFileWriter, AtomicFileWriter } from './atomic-file';
import { Crc64 } from './crc64';
import { RdbEncoder } from './rdb-encoder';
import {
  encodeEntry,
  encodeEof,
  encodeHeader,
  encodeSelectDb,
  encodeStringEntry,
} from './rdb-file';
import { toPlain } from './plain';
import { emitKeyCommands } from './aof-rewrite';
import { encodeCommand } from './aof-writer';
import { functionLibraryCodes } from '../scripting/engine';
import { DatabaseWalk, type EntryWriter } from './snapshot-walk';

/** Bytes gathered before a chunk goes to the file. */
const CHUNK_BYTES = 1024 * 1024;
/** Size of each output buffer: a chunk, plus room for what a slice writes past it. */
const BUFFER_BYTES = CHUNK_BYTES + 256 * 1024;
/** How long one slice of a background save may hold the event loop. */
const SLICE_MS = 0.5;

/**
 * The format of a snapshot file: RDB, or the commands that rebuild each key
 * (an append-only base file with `aof-use-rdb-preamble no`).
 */
export type SnapshotFormat = 'rdb' | 'commands';

export class Snapshot {
  readonly #server: Server;
  readonly #walks: DatabaseWalk[];
  readonly #encoder: RdbEncoder;
  readonly #crc = new Crc64();
  /** Bytes at the start of the encoder's buffer that are in the checksum already. */
  #checksummed = 0;
  /** The buffer the encoder continues in when a chunk is taken; null while a chunk is out. */
  #spare: Buffer | null = Buffer.allocUnsafe(BUFFER_BYTES);
  #chunkOut: Buffer | null = null;
  readonly #format: SnapshotFormat;
  #current = 0;
  #selectedDb = -1;
  #deadline = 0;
  /** `rdb-key-save-delay` when the snapshot started: see `#delayAfterKey`. */
  readonly #keyDelay: number;
  keysWritten = 0;
  readonly startedAt = Date.now();
  readonly #write: EntryWriter = (walk, key, value, expiresAt) =>
    this.#writeEntry(walk, key, value, expiresAt);
  readonly #shouldStop = (): boolean =>
    this.#encoder.size >= CHUNK_BYTES || performance.now() > this.#deadline;
  readonly #keyAdded = (db: Database, key: string): void => {
    // A snapshot that failed before its save began is never closed: it stops listening here.
    if (this.#server.snapshot === this) this.#walkOf(db)?.keyAdded(key);
    else this.close();
  };

  /**
   * Starts a snapshot. With `background`, commands may change keys while it
   * runs: they must call `preserve` first, and `close` must follow the end.
   */
  constructor(server: Server, format: SnapshotFormat = 'rdb', background = true) {
    this.#server = server;
    this.#format = format;
    this.#keyDelay = server.config.number('rdb-key-save-delay');
    this.#encoder = new RdbEncoder(true, BUFFER_BYTES);
    this.#walks = server.databases.map(
      (db) => new DatabaseWalk(db.id, db.data, db.expires, background),
    );
    if (background) for (const db of server.databases) db.keyAdded = this.#keyAdded;
    const aux: [string, string][] = [
      ['redis-ver', REDIS_COMPATIBLE_VERSION],
      ['redis-bits', '64'],
      ['ctime', String(Math.floor(Date.now() / 1000))],
      ['used-mem', String(process.memoryUsage.rss())],
      ['aof-base', '0'],
    ];
    const libraries = functionLibraryCodes(server);
    if (format === 'rdb') encodeHeader(this.#encoder, aux, libraries);
    else for (const code of libraries) this.#encoder.raw(encodeCommand(['FUNCTION', 'LOAD', code]));
  }

  /**
   * Makes sure the file gets the value `key` had at the start, if it had one.
   * Called before a command changes or deletes the key.
   */
  preserve(db: Database, key: string): void {
    this.#walkOf(db)?.preserve(this.#write, key);
  }

  /** Stops listening for added keys; call it once the snapshot has ended or failed. */
  close(): void {
    for (const db of this.#server.databases) {
      if (db.keyAdded === this.#keyAdded) db.keyAdded = null;
    }
  }

  #walkOf(db: Database): DatabaseWalk | undefined {
    // Found by Map, not by number: SWAPDB swaps the Maps, FLUSHALL replaces them.
    return this.#walks.find((walk) => walk.data === db.data);
  }

  #writeEntry(walk: DatabaseWalk, key: string, value: Value, expiresAt: number): void {
    if (expiresAt >= 0 && expiresAt <= Date.now()) return;
    if (this.#format === 'commands') this.#writeCommands(walk, key, value, expiresAt);
    else this.#writeRdbEntry(walk, key, value, expiresAt);
    this.keysWritten++;
    if (this.#keyDelay !== 0) this.#delayAfterKey();
  }

  #writeRdbEntry(walk: DatabaseWalk, key: string, value: Value, expiresAt: number): void {
    if (this.#selectedDb !== walk.index) {
      const sizes = walk.resizeWritten
        ? null
        : { keys: walk.data.size, expires: walk.expires.size };
      encodeSelectDb(this.#encoder, walk.index, sizes);
      walk.resizeWritten = true;
      this.#selectedDb = walk.index;
    }
    if (isString(value)) encodeStringEntry(this.#encoder, key, value, expiresAt);
    else encodeEntry(this.#encoder, key, toPlain(value), expiresAt);
  }

  /**
   * Waits after a key for `rdb-key-save-delay`, as Redis does, so tests can
   * keep a save running: N microseconds, or for -N one microsecond with a
   * chance of 1 in N. It busy-waits, so the wait counts towards the slice.
   */
  #delayAfterKey(): void {
    const delay = this.#keyDelay;
    if (delay < 0 && Math.random() * -delay >= 1) return;
    const until = performance.now() + Math.max(delay, 1) / 1000;
    while (performance.now() < until);
  }

  #writeCommands(walk: DatabaseWalk, key: string, value: Value, expiresAt: number): void {
    const encoder = this.#encoder;
    if (this.#selectedDb !== walk.index) {
      encoder.raw(encodeCommand(['SELECT', String(walk.index)]));
      this.#selectedDb = walk.index;
    }
    emitKeyCommands(key, value, expiresAt, (args) => encoder.raw(encodeCommand(args)));
  }

  /**
   * Advances the walk until `deadline` (performance.now() ms), until a chunk
   * is ready, or to the end. Returns true when every key has been written.
   */
  advance(deadline: number): boolean {
    this.#deadline = deadline;
    let finished = true;
    while (this.#current < this.#walks.length) {
      if (!this.#walks[this.#current].advance(this.#write, this.#shouldStop)) {
        finished = false;
        break;
      }
      this.#current++;
    }
    this.#updateChecksum();
    return finished;
  }

  /** Returns whether a chunk is ready: enough bytes have gathered, or any at all when `all`. */
  hasChunk(all: boolean): boolean {
    const size = this.#encoder.size;
    return size >= CHUNK_BYTES || (all && size > 0);
  }

  /**
   * Returns the bytes gathered so far as a view of an output buffer, and
   * continues in the other buffer. Call `release` once the chunk is written.
   */
  takeChunk(): Buffer {
    if (this.#spare === null) throw new Error('snapshot chunk taken before the last was released');
    const size = this.#encoder.size;
    this.#updateChecksum();
    this.#chunkOut = this.#encoder.swap(this.#spare);
    this.#spare = null;
    this.#checksummed = 0;
    return this.#chunkOut.subarray(0, size);
  }

  /** Lets the encoder reuse the buffer of the chunk last taken. */
  release(): void {
    const buffer = this.#chunkOut;
    this.#chunkOut = null;
    // A buffer that grew for a large value is dropped rather than kept for the whole save.
    const reusable = buffer !== null && buffer.length <= 2 * BUFFER_BYTES;
    this.#spare = reusable ? buffer : Buffer.allocUnsafe(BUFFER_BYTES);
  }

  /** Ends the file: the EOF opcode and the checksum (nothing for commands). */
  finish(): void {
    if (this.#format === 'commands') return;
    encodeEof(this.#encoder);
    this.#updateChecksum();
    this.#encoder.raw(this.#crc.digest());
    // The checksum does not cover itself.
    this.#checksummed = this.#encoder.size;
  }

  #updateChecksum(): void {
    const size = this.#encoder.size;
    if (this.#format === 'rdb' && size > this.#checksummed) {
      this.#crc.update(this.#encoder.view(this.#checksummed));
    }
    this.#checksummed = size;
  }
}

/** The snapshot file, relative to the working directory, which is always `dir`. */
export function snapshotPath(server: Server): string {
  return server.config.string('dbfilename');
}

/** Saves synchronously (SAVE, SHUTDOWN): blocks the event loop until the file is on disk. */
export function saveSnapshotSync(server: Server, path = snapshotPath(server)): void {
  const snapshot = new Snapshot(server, 'rdb', false);
  const file = new AtomicFileWriter(path, server.keyring);
  file.openSync();
  try {
    let finished = false;
    while (!finished) {
      finished = snapshot.advance(Infinity);
      if (finished) snapshot.finish();
      if (!snapshot.hasChunk(finished)) continue;
      file.writeSync(snapshot.takeChunk());
      snapshot.release();
    }
    file.commitSync();
  } catch (error) {
    file.abortSync();
    throw error;
  }
}

/**
 * Saves in the background: slices of the walk alternate with other work, and
 * each chunk is written by the thread pool while the walk fills the other
 * buffer. `server.snapshot` is set while the walk runs so that writes call
 * `preserve` first.
 */
export async function saveSnapshotInBackground(
  server: Server,
  path = snapshotPath(server),
  started: Snapshot = new Snapshot(server),
): Promise<number> {
  const snapshot = started;
  const file = new AsyncAtomicFileWriter(path, server.keyring);
  server.snapshot = snapshot;
  let writing: Promise<void> | null = null;
  try {
    await file.open();
    let finished = false;
    while (!finished) {
      finished = snapshot.advance(performance.now() + SLICE_MS);
      if (finished) {
        server.snapshot = null;
        snapshot.finish();
      }
      if (snapshot.hasChunk(finished)) {
        if (writing !== null) {
          await writing;
          snapshot.release();
        }
        writing = file.write(snapshot.takeChunk());
        // Awaited before the next chunk or at the end; until then a failure must not go unhandled.
        writing.catch(() => undefined);
      }
      if (!finished) await new Promise((resolve) => setImmediate(resolve));
    }
    await writing;
    await file.commit();
    return snapshot.keysWritten;
  } catch (error) {
    server.snapshot = null;
    await writing?.catch(() => undefined);
    await file.abort();
    throw error;
  } finally {
    snapshot.close();
  }
}
