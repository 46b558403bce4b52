/**
 * Writes a file so that readers see either the old or the whole new content:
 * a temporary file in the same directory, fsync, rename over the target, then
 * fsync of the directory so the rename itself survives a crash. Files are
 * created with mode 0600.
 */
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { RecordEncryptor, type Keyring } from './encryption';

export const FILE_MODE = 0o600;

function temporaryName(target: string): string {
  return join(dirname(target), `temp-${process.pid}-${Date.now()}-${basename(target)}`);
}

function fsyncDirectory(path: string): void {
  const fd = openSync(dirname(path), 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A file being written in chunks, installed under its final name by `commit`. */
export class AtomicFileWriter {
  readonly target: string;
  readonly temporary: string;
  #fd: number | null = null;
  #written = 0;
  readonly #encryptor: RecordEncryptor | null;

  /** With a keyring, every chunk becomes an encrypted record. */
  constructor(target: string, keyring: Keyring | null = null) {
    this.target = target;
    this.temporary = temporaryName(target);
    this.#encryptor = keyring === null ? null : new RecordEncryptor(keyring);
  }

  get bytesWritten(): number {
    return this.#written;
  }

  openSync(): void {
    this.#fd = openSync(this.temporary, 'w', FILE_MODE);
    if (this.#encryptor !== null) this.#writeAllSync(this.#encryptor.header());
  }

  writeSync(plain: Buffer): void {
    this.#writeAllSync(this.#encryptor === null ? plain : this.#encryptor.encryptNext(plain));
  }

  #writeAllSync(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) offset += writeSync(this.#fd as number, chunk, offset);
    this.#written += chunk.length;
  }

  commitSync(): void {
    const fd = this.#fd as number;
    fsyncSync(fd);
    closeSync(fd);
    this.#fd = null;
    renameSync(this.temporary, this.target);
    fsyncDirectory(this.target);
  }

  /** Removes the temporary file after a failure; never touches the target. */
  abortSync(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
    try {
      unlinkSync(this.temporary);
    } catch {
      // Already gone: nothing to clean up.
    }
  }
}

/** The same steps without blocking the event loop, for background saves. */
export class AsyncAtomicFileWriter {
  readonly target: string;
  readonly temporary: string;
  #handle: FileHandle | null = null;
  #written = 0;
  readonly #encryptor: RecordEncryptor | null;

  constructor(target: string, keyring: Keyring | null = null) {
    this.target = target;
    this.temporary = temporaryName(target);
    this.#encryptor = keyring === null ? null : new RecordEncryptor(keyring);
  }

  get bytesWritten(): number {
    return this.#written;
  }

  async open(): Promise<void> {
    this.#handle = await open(this.temporary, 'w', FILE_MODE);
    if (this.#encryptor !== null) await this.#writeAll(this.#encryptor.header());
  }

  async write(plain: Buffer): Promise<void> {
    await this.#writeAll(this.#encryptor === null ? plain : this.#encryptor.encryptNext(plain));
  }

  async #writeAll(chunk: Buffer): Promise<void> {
    const handle = this.#handle;
    if (handle === null) throw new Error('write before open');
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await handle.write(chunk, offset);
      offset += bytesWritten;
    }
    this.#written += chunk.length;
  }

  async commit(): Promise<void> {
    const handle = this.#handle;
    if (handle === null) throw new Error('commit before open');
    await handle.sync();
    await handle.close();
    this.#handle = null;
    await rename(this.temporary, this.target);
    fsyncDirectory(this.target);
  }

  async abort(): Promise<void> {
    if (this.#handle !== null) await this.#handle.close().catch(() => undefined);
    this.#handle = null;
    await unlink(this.temporary).catch(() => undefined);
  }
}
