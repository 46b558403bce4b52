/**
 * Encryption at rest for snapshot and append-only files: AES-256-GCM in
 * independently authenticated records, so large files stream and a flipped
 * bit anywhere is detected.
 *
 * File layout: "DFLYENC1", a 16-byte random file id, then records:
 *
 *     u32 LE ciphertext length | 8-byte key id | 12-byte nonce | ciphertext | 16-byte tag
 *
 * The associated data of record n is the file id and n (u64 LE), so records
 * cannot be moved within a file or between files. The key id is the first 8
 * bytes of the key's SHA-256: it names the key without revealing it, and lets
 * a keyring read files written with retired keys.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

export const ENCRYPTED_MAGIC = Buffer.from('DFLYENC1', 'latin1');
const FILE_ID_BYTES = 16;
export const ENCRYPTED_HEADER_BYTES = ENCRYPTED_MAGIC.length + FILE_ID_BYTES;
const KEY_ID_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const RECORD_OVERHEAD = 4 + KEY_ID_BYTES + NONCE_BYTES + TAG_BYTES;
/** Largest record accepted when reading; writers make records of at most a few MiB. */
const MAX_RECORD_BYTES = 512 * 1024 * 1024;

/** Thrown for a key that cannot be used or a file that cannot be decrypted. */
export class EncryptionError extends Error {}

interface Key {
  id: Buffer;
  secret: Buffer;
}

function keyFromHex(hex: string, source: string): Key {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new EncryptionError(`${source}: a key must be 64 hex characters (openssl rand -hex 32)`);
  }
  const secret = Buffer.from(hex, 'hex');
  return { id: createHash('sha256').update(secret).digest().subarray(0, KEY_ID_BYTES), secret };
}

/** The current key, which encrypts new files, and retired keys, which only decrypt. */
export class Keyring {
  readonly #keys: Key[];

  constructor(keys: Key[]) {
    if (keys.length === 0) throw new EncryptionError('the keyring is empty');
    this.#keys = keys;
  }

  /**
   * Reads keys from text: one key per line as 64 hex characters, `#` comments
   * allowed. The first key is the current one; the others are retired.
   */
  static parse(text: string, source: string): Keyring {
    const keys = text
      .split(/[\n,]/)
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => keyFromHex(line, source));
    return new Keyring(keys);
  }

  static fromFile(path: string): Keyring {
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (error) {
      throw new EncryptionError(
        `cannot read encryption key file ${path}: ${(error as Error).message}`,
      );
    }
    return Keyring.parse(text, `encryption key file ${path}`);
  }

  get current(): Key {
    return this.#keys[0];
  }

  /** Hex id of the current key, safe to log. */
  get currentId(): string {
    return this.current.id.toString('hex');
  }

  find(id: Buffer): Key | undefined {
    return this.#keys.find((key) => key.id.equals(id));
  }
}

/** Returns whether a key file can be read by users other than its owner. */
export function isKeyFileShared(path: string): boolean {
  return (statSync(path).mode & 0o077) !== 0;
}

export function isEncrypted(file: Buffer): boolean {
  return file.length >= ENCRYPTED_MAGIC.length && file.subarray(0, 8).equals(ENCRYPTED_MAGIC);
}

function associatedData(fileId: Buffer, index: number): Buffer {
  const data = Buffer.alloc(FILE_ID_BYTES + 8);
  fileId.copy(data, 0);
  data.writeBigUInt64LE(BigInt(index), FILE_ID_BYTES);
  return data;
}

/** Encrypts a file's contents record by record. */
export class RecordEncryptor {
  readonly #keyring: Keyring;
  readonly #fileId: Buffer;
  #index: number;

  /** Starts a new file (`header` must be written first) or continues one with `records` in it. */
  constructor(keyring: Keyring, fileId: Buffer = randomBytes(FILE_ID_BYTES), records = 0) {
    this.#keyring = keyring;
    this.#fileId = fileId;
    this.#index = records;
  }

  header(): Buffer {
    return Buffer.concat([ENCRYPTED_MAGIC, this.#fileId]);
  }

  /**
   * Encrypts the next record. The record number advances only through
   * `recordWritten`, so a record whose write failed can be encrypted again.
   */
  encrypt(plaintext: Buffer): Buffer {
    const key = this.#keyring.current;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.secret, nonce);
    cipher.setAAD(associatedData(this.#fileId, this.#index));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const length = Buffer.alloc(4);
    length.writeUInt32LE(body.length);
    return Buffer.concat([length, key.id, nonce, body, cipher.getAuthTag()]);
  }

  recordWritten(): void {
    this.#index++;
  }

  /** Encrypts a record and counts it as written, for writers that write it at once. */
  encryptNext(plaintext: Buffer): Buffer {
    const record = this.encrypt(plaintext);
    this.recordWritten();
    return record;
  }
}

export interface DecryptedFile {
  plaintext: Buffer;
  fileId: Buffer;
  records: number;
  /** Bytes of the file that held whole records (the rest is a cut-off record). */
  validLength: number;
}

/**
 * Decrypts a whole file. A record cut off at the end is left out and
 * reported through `validLength`. A record that fails authentication, or was
 * written with a key the keyring lacks, raises EncryptionError naming the
 * byte offset.
 */
export function decryptFile(file: Buffer, keyring: Keyring | null, path: string): DecryptedFile {
  if (keyring === null) {
    throw new EncryptionError(
      `${path} is encrypted but no encryption key is configured (encryption-key-file)`,
    );
  }
  if (file.length < ENCRYPTED_HEADER_BYTES)
    throw new EncryptionError(`${path} has a truncated header`);
  const fileId = Buffer.from(file.subarray(ENCRYPTED_MAGIC.length, ENCRYPTED_HEADER_BYTES));
  const parts: Buffer[] = [];
  let offset = ENCRYPTED_HEADER_BYTES;
  let index = 0;
  while (file.length - offset >= RECORD_OVERHEAD) {
    const length = file.readUInt32LE(offset);
    if (length > MAX_RECORD_BYTES)
      throw new EncryptionError(`${path}: invalid record length at byte offset ${offset}`);
    if (file.length - offset < RECORD_OVERHEAD + length) break;
    parts.push(decryptRecord(file, offset, length, keyring, fileId, index, path));
    offset += RECORD_OVERHEAD + length;
    index++;
  }
  return { plaintext: Buffer.concat(parts), fileId, records: index, validLength: offset };
}

function decryptRecord(
  file: Buffer,
  offset: number,
  length: number,
  keyring: Keyring,
  fileId: Buffer,
  index: number,
  path: string,
): Buffer {
  const keyId = file.subarray(offset + 4, offset + 4 + KEY_ID_BYTES);
  const key = keyring.find(keyId);
  if (key === undefined) {
    throw new EncryptionError(
      `${path} was encrypted with key id ${keyId.toString('hex')}, which is not in the keyring ` +
        `(a wrong or missing key, or a damaged file at byte offset ${offset}); ` +
        'the file is left untouched',
    );
  }
  const nonceAt = offset + 4 + KEY_ID_BYTES;
  const bodyAt = nonceAt + NONCE_BYTES;
  const decipher = createDecipheriv('aes-256-gcm', key.secret, file.subarray(nonceAt, bodyAt));
  decipher.setAAD(associatedData(fileId, index));
  decipher.setAuthTag(file.subarray(bodyAt + length, bodyAt + length + TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(file.subarray(bodyAt, bodyAt + length)),
      decipher.final(),
    ]);
  } catch {
    throw new EncryptionError(
      `${path}: record at byte offset ${offset} failed authentication (tampered or corrupt)`,
    );
  }
}

export interface StoredFile {
  /** The file's contents, decrypted when it was encrypted. */
  data: Buffer;
  encrypted: boolean;
  /** For an encrypted file: bytes holding whole records; a cut-off record follows. */
  validLength: number;
  size: number;
}

/** Reads a snapshot or append-only file, decrypting it when it is encrypted. */
export function readStoredFile(path: string, keyring: Keyring | null): StoredFile {
  const file = readFileSync(path);
  if (!isEncrypted(file)) {
    return { data: file, encrypted: false, validLength: file.length, size: file.length };
  }
  const decrypted = decryptFile(file, keyring, path);
  return {
    data: decrypted.plaintext,
    encrypted: true,
    validLength: decrypted.validLength,
    size: file.length,
  };
}

/** The variable that may hold the keys instead of a key file (same text format). */
export const KEY_VARIABLE = 'DAMSELFLY_ENCRYPTION_KEY';

/** Builds the keyring from `encryption-key-file` or the environment; null when neither is set. */
export function loadKeyring(keyFile: string, env: NodeJS.ProcessEnv): Keyring | null {
  if (keyFile !== '') return Keyring.fromFile(keyFile);
  const fromEnvironment = env[KEY_VARIABLE];
  if (fromEnvironment !== undefined && fromEnvironment.trim() !== '') {
    return Keyring.parse(fromEnvironment, `environment variable ${KEY_VARIABLE}`);
  }
  return null;
}
