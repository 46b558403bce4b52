/**
 * The append-only log as a whole: its directory and manifest, the writer of
 * the current increment file, and rewrites (BGREWRITEAOF and automatic ones).
 *
 * A rewrite cuts over to a new increment file and, at that same instant,
 * starts a point-in-time snapshot that becomes the new base file (an RDB
 * file, or commands when `aof-use-rdb-preamble` is no). The
 * manifest lists the new increment file before the rewrite starts, so a crash
 * at any moment leaves a manifest whose files hold every write.
 */
import { closeSync, existsSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from '../engine/server';
import { AtomicFileWriter, FILE_MODE } from './atomic-file';
import {
  baseFileName,
  formatManifest,
  incrementFileName,
  manifestName,
  type AofManifest,
} from './aof-manifest';
import { appendOnlyDirectory, readManifest } from './aof-loader';
import { AofWriter } from './aof-writer';
import { saveSnapshotInBackground, saveSnapshotSync, Snapshot } from './snapshot';
import { startBackgroundSave } from './snapshots';

export class AppendOnlyLog {
  readonly #server: Server;
  readonly writer: AofWriter;
  #manifest: AofManifest = { base: null, increments: [], history: [] };
  readonly #listener = (dbIndex: number, args: readonly string[]): void =>
    this.writer.append(dbIndex, args);

  constructor(server: Server) {
    this.#server = server;
    this.writer = new AofWriter(server);
  }

  get #directory(): string {
    return appendOnlyDirectory(this.#server);
  }

  get #baseName(): string {
    return this.#server.config.string('appendfilename');
  }

  /**
   * Starts logging. With an existing manifest (already loaded) it appends to
   * its last increment file; otherwise it writes a base file from the data in
   * memory first.
   */
  async enable(): Promise<void> {
    mkdirSync(this.#directory, { recursive: true, mode: 0o700 });
    const existing = readManifest(this.#server);
    this.#server.journal.push(this.#listener);
    if (existing !== null && existing.increments.length > 0) {
      this.#manifest = existing;
      const last = existing.increments[existing.increments.length - 1];
      if (await this.writer.open(join(this.#directory, last.name))) {
        this.#server.persistence.aofBaseSize = this.#totalSize();
        return;
      }
    }
    if (existing !== null) this.#manifest = existing;
    if (this.#server.databases.every((db) => db.size === 0)) await this.#createEmpty();
    else await this.rewrite();
  }

  /** Starts a log for an empty keyspace at once: an empty base file and increment file. */
  async #createEmpty(): Promise<void> {
    const seq = this.#nextSeq();
    const increment = { name: incrementFileName(this.#baseName, seq), seq, type: 'i' as const };
    const base = { name: baseFileName(this.#baseName, seq, true), seq, type: 'b' as const };
    saveSnapshotSync(this.#server, join(this.#directory, base.name));
    const old = [
      ...(this.#manifest.base ? [this.#manifest.base] : []),
      ...this.#manifest.increments,
    ];
    this.#manifest = { base, increments: [increment], history: [] };
    const incrementPath = join(this.#directory, increment.name);
    await this.writer.switchTo(incrementPath, () => {
      closeSync(openSync(incrementPath, 'a', FILE_MODE));
      this.#writeManifest();
    });
    this.#removeFiles(old);
  }

  /** Stops logging (CONFIG SET appendonly no, shutdown). */
  async disable(): Promise<void> {
    const index = this.#server.journal.indexOf(this.#listener);
    if (index >= 0) this.#server.journal.splice(index, 1);
    await this.writer.close();
  }

  #nextSeq(): number {
    const seqs = [
      this.#manifest.base?.seq ?? 0,
      ...this.#manifest.increments.map((entry) => entry.seq),
    ];
    return Math.max(...seqs) + 1;
  }

  #writeManifest(): void {
    const file = new AtomicFileWriter(join(this.#directory, manifestName(this.#baseName)));
    file.openSync();
    try {
      file.writeSync(Buffer.from(formatManifest(this.#manifest), 'latin1'));
      file.commitSync();
    } catch (error) {
      file.abortSync();
      throw error;
    }
  }

  #totalSize(): number {
    let size = 0;
    const entries = [
      ...(this.#manifest.base ? [this.#manifest.base] : []),
      ...this.#manifest.increments,
    ];
    for (const entry of entries) {
      const path = join(this.#directory, entry.name);
      if (existsSync(path)) size += statSync(path).size;
    }
    return size;
  }

  /** Current size of the log in bytes: base file and increment files. */
  currentSize(): number {
    return this.#server.persistence.aofBaseSize + this.writer.size;
  }

  /** Rewrites the log: a new base from a snapshot and a fresh increment file. */
  async rewrite(): Promise<void> {
    const server = this.#server;
    const state = server.persistence;
    state.aofRewriteInProgress = true;
    const seq = this.#nextSeq();
    const increment = { name: incrementFileName(this.#baseName, seq), seq, type: 'i' as const };
    const preamble = server.config.bool('aof-use-rdb-preamble');
    const base = { name: baseFileName(this.#baseName, seq, preamble), seq, type: 'b' as const };
    let snapshot: Snapshot | null = null;
    try {
      const incrementPath = join(this.#directory, increment.name);
      await this.writer.switchTo(incrementPath, () => {
        // Before any write can reach the new file, it exists and the manifest
        // lists it, so a crash from here on still loads every write.
        closeSync(openSync(incrementPath, 'a', FILE_MODE));
        this.#manifest.increments.push(increment);
        this.#writeManifest();
        snapshot = new Snapshot(server, preamble ? 'rdb' : 'commands');
        server.snapshot = snapshot;
      });
      await saveSnapshotInBackground(server, join(this.#directory, base.name), snapshot as never);
      const old = [
        ...(this.#manifest.base ? [this.#manifest.base] : []),
        ...this.#manifest.increments,
      ];
      this.#manifest = { base, increments: [increment], history: [] };
      this.#writeManifest();
      this.#removeFiles(old.filter((entry) => entry.name !== increment.name));
      state.aofLastRewriteOk = true;
      state.aofBaseSize = statSync(join(this.#directory, base.name)).size;
      server.logger.info({ base: base.name }, 'append-only log rewritten');
    } catch (error) {
      if (server.snapshot === snapshot) server.snapshot = null;
      state.aofLastRewriteOk = false;
      server.logger.error({ err: (error as Error).message }, 'append-only log rewrite failed');
    } finally {
      state.aofRewriteInProgress = false;
      if (state.bgsaveScheduled) {
        state.bgsaveScheduled = false;
        startBackgroundSave(server);
      }
    }
  }

  #removeFiles(entries: { name: string }[]): void {
    for (const entry of entries) {
      try {
        unlinkSync(join(this.#directory, entry.name));
      } catch (error) {
        this.#server.logger.warn(
          { file: entry.name, err: (error as Error).message },
          'cannot remove old append-only file',
        );
      }
    }
  }

  /** Starts a rewrite when the log grew past `auto-aof-rewrite-percentage`; called once a second. */
  checkAutomaticRewrite(): void {
    const server = this.#server;
    const state = server.persistence;
    const percentage = server.config.number('auto-aof-rewrite-percentage');
    if (percentage === 0 || state.aofRewriteInProgress || state.bgsaveInProgress) return;
    const size = this.currentSize();
    if (size < server.config.number('auto-aof-rewrite-min-size')) return;
    const base = Math.max(state.aofBaseSize, 1);
    if (((size - base) * 100) / base >= percentage) void this.rewrite();
  }
}
