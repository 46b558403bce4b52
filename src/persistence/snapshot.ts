/**
 * Point-in-time snapshots without fork(). A snapshot walks every database in
 * slices between other clients' commands. Before a command changes or deletes
 * a key the walk has not reached yet, `preserve` writes that key's current
 * value out first, so the file holds the keyspace as it was when the snapshot
 * began. Every key written is remembered, so that neither the walk nor a later
 * change writes it twice (Redis refuses files with duplicate keys). Keys
 * created after the start are remembered while absent, so the walk skips them.
 * The cost is one Set entry per key while the snapshot runs.
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

/** Bytes gathered before a chunk goes to the file. */
const CHUNK_BYTES = 1024 * 1024;
/** How long one slice of a background save may hold the event loop. */
const SLICE_MS = 4;

/**
 * What a snapshot file holds: an RDB file, or the commands that rebuild
 * each key (an append-only base file with `aof-use-rdb-preamble no`).
 */
export type SnapshotFormat = 'rdb' | 'commands';

/** One database as it was when the snapshot started. */
interface DatabaseWalk {
  index: number;
  data: Map<string, Value>;
  expires: Map<string, number>;
  iterator: IterableIterator<[string, Value]>;
  /** Keys already written, or created after the start (absent). */
  done: Set<string>;
  resizeWritten: boolean;
}

export class Snapshot {
  readonly #walks: DatabaseWalk[];
  readonly #encoder: RdbEncoder;
  readonly #crc = new Crc64();
  readonly #format: SnapshotFormat;
  #current = 0;
  #selectedDb = -1;
  keysWritten = 0;
  readonly startedAt = Date.now();

  constructor(server: Server, format: SnapshotFormat = 'rdb') {
    this.#format = format;
    this.#encoder = new RdbEncoder(true);
    this.#walks = server.databases.map((db) => ({
      index: db.id,
      data: db.data,
      expires: db.expires,
      iterator: db.data.entries(),
      done: new Set<string>(),
      resizeWritten: false,
    }));
    const aux: [string, string][] = [
      ['redis-ver', REDIS_COMPATIBLE_VERSION],
      ['redis-bits', '64'],
      ['ctime', String(Math.floor(Date.now() / 1000))],
      ['used-mem', String(process.memoryUsage().rss)],
      ['aof-base', '0'],
    ];
    const libraries = functionLibraryCodes(server);
    if (format === 'rdb') encodeHeader(this.#encoder, aux, libraries);
    else for (const code of libraries) this.#encoder.raw(encodeCommand(['FUNCTION', 'LOAD', code]));
  }

  /**
   * Writes a key's value as it is now, if the walk has not reached it yet.
   * Called before a command changes or deletes the key.
   */
  preserve(db: Database, key: string): void {
    const walk = this.#walks.find((candidate) => candidate.data === db.data);
    if (walk === undefined || walk.done.has(key)) return;
    walk.done.add(key);
    const value = walk.data.get(key);
    if (value === undefined) return;
    this.#writeEntry(walk, key, value);
  }

  #writeEntry(walk: DatabaseWalk, key: string, value: Value): void {
    const expiresAt = walk.expires.get(key) ?? -1;
    if (expiresAt >= 0 && expiresAt <= Date.now()) return;
    if (this.#format === 'commands') {
      this.#writeCommands(walk, key, value, expiresAt);
      return;
    }
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
    this.keysWritten++;
  }

  #writeCommands(walk: DatabaseWalk, key: string, value: Value, expiresAt: number): void {
    const encoder = this.#encoder;
    if (this.#selectedDb !== walk.index) {
      encoder.raw(encodeCommand(['SELECT', String(walk.index)]));
      this.#selectedDb = walk.index;
    }
    emitKeyCommands(key, value, expiresAt, (args) => encoder.raw(encodeCommand(args)));
    this.keysWritten++;
  }

  /**
   * Advances the walk until `deadline` (performance.now() ms) or the end.
   * Returns true when every key has been written.
   */
  advance(deadline: number): boolean {
    let counter = 0;
    while (this.#current < this.#walks.length) {
      const walk = this.#walks[this.#current];
      const step = walk.iterator.next();
      if (step.done) {
        this.#current++;
        continue;
      }
      const [key, value] = step.value;
      if (!walk.done.has(key)) {
        walk.done.add(key);
        this.#writeEntry(walk, key, value);
      }
      if (++counter % 64 === 0 && performance.now() > deadline) return false;
    }
    return true;
  }

  /** Bytes ready for the file, once enough have gathered (or all of them when `all`). */
  takeChunk(all: boolean): Buffer | null {
    if (this.#encoder.size === 0 || (!all && this.#encoder.size < CHUNK_BYTES)) return null;
    const chunk = this.#encoder.take();
    this.#crc.update(chunk);
    return chunk;
  }

  /** Ends the file: EOF opcode and checksum (nothing for commands). */
  finish(): Buffer {
    if (this.#format === 'commands') return this.#encoder.take();
    encodeEof(this.#encoder);
    const tail = this.#encoder.take();
    this.#crc.update(tail);
    return Buffer.concat([tail, this.#crc.digest()]);
  }
}

/** The snapshot file, relative to the working directory, which is always `dir`. */
export function snapshotPath(server: Server): string {
  return server.config.string('dbfilename');
}

/** Saves synchronously (SAVE, SHUTDOWN): blocks the event loop until the file is on disk. */
export function saveSnapshotSync(server: Server, path = snapshotPath(server)): void {
  const snapshot = new Snapshot(server);
  const file = new AtomicFileWriter(path, server.keyring);
  file.openSync();
  try {
    snapshot.advance(Infinity);
    const chunk = snapshot.takeChunk(true);
    if (chunk !== null) file.writeSync(chunk);
    file.writeSync(snapshot.finish());
    file.commitSync();
  } catch (error) {
    file.abortSync();
    throw error;
  }
}

/**
 * Saves in the background: slices of the walk alternate with other work, and
 * file writes go to the thread pool. `server.snapshot` is set while it runs
 * so that writes call `preserve` first.
 */
export async function saveSnapshotInBackground(
  server: Server,
  path = snapshotPath(server),
  started: Snapshot = new Snapshot(server),
): Promise<number> {
  const snapshot = started;
  const file = new AsyncAtomicFileWriter(path, server.keyring);
  server.snapshot = snapshot;
  try {
    await file.open();
    let finished = false;
    while (!finished) {
      finished = snapshot.advance(performance.now() + SLICE_MS);
      const chunk = snapshot.takeChunk(finished);
      if (chunk !== null) await file.write(chunk);
      else await new Promise((resolve) => setImmediate(resolve));
    }
    server.snapshot = null;
    await file.write(snapshot.finish());
    await file.commit();
    return snapshot.keysWritten;
  } catch (error) {
    server.snapshot = null;
    await file.abort();
    throw error;
  }
}
