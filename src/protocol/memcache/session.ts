/**
 * The protocol state of one Memcached connection: it splits the received
 * bytes into command lines and data blocks, runs each command, and gathers
 * the replies in one writer for the connection to send. It never touches a
 * socket, so it runs the same over TCP and in unit tests.
 */
import { MEMCACHE_ERR } from '../../engine/errors';
import { authenticationLine } from './authentication';
import { COMMANDS } from './command-table';
import { MemcachePermissions } from './permissions';
import { InputQueue } from './input';
import type { ItemStore } from './items';
import type { MemcacheStats, StatsSource } from './stats';
import { MemcacheWriter } from './writer';

/**
 * memcached closes a connection whose buffered input reaches this many bytes
 * without a line feed, unless the line starts with `get ` or `gets `.
 */
const MAX_PARTIAL_LINE = 2048;
/** memcached looks at most this far past leading spaces for the `get ` of a long line. */
const MAX_LEADING_SPACES = 100;
const CR = 0x0d;
const SPACE = 0x20;

/** State and settings shared by every session of a listener. */
export interface SessionHost {
  readonly store: ItemStore;
  readonly statsSource: StatsSource;
  /** Level set by `verbosity`; shown by `stats settings`, it changes no logging. */
  verbosity: number;
}

export type DataHandler = (block: Buffer) => void;

export class MemcacheSession {
  readonly host: SessionHost;
  readonly store: ItemStore;
  readonly stats: MemcacheStats;
  readonly writer = new MemcacheWriter();
  /** False until a client authenticates while the server has a password. */
  authenticated: boolean;
  /** ACL checks for the user the connection acts as ('default' until it logs in). */
  permissions: MemcachePermissions;
  /** Set once the connection must close after sending the pending replies. */
  closing = false;
  /** Set by a command's `noreply` (or meta `q`): `reply` writes nothing. */
  noreply = false;
  readonly #input = new InputQueue();
  #dataLength = 0;
  #dataHandler: DataHandler | null = null;
  #swallowLeft = 0;

  constructor(host: SessionHost) {
    this.host = host;
    this.store = host.store;
    this.stats = host.store.stats;
    this.authenticated = !host.store.server.requiresAuthentication();
    this.permissions = new MemcachePermissions(host.store.server, 'default', '');
  }

  /** The item size limit in force (`item-size-max`). */
  get itemSizeMax(): number {
    return this.store.server.config.number('item-size-max');
  }

  /** Bytes received and not yet processed. */
  get buffered(): number {
    return this.#input.length;
  }

  /** Processes received bytes; replies accumulate in `writer`. */
  feed(chunk: Buffer): void {
    this.stats.bytesRead += chunk.length;
    this.#input.push(chunk);
    this.#run();
    if (this.closing) this.#input.clear();
  }

  /** Writes a reply line unless the command asked for no reply. */
  reply(text: string): void {
    if (!this.noreply) this.writer.line(text);
  }

  /** Runs `handler` with the next `length` bytes once they have arrived. */
  expectData(length: number, handler: DataHandler): void {
    this.#dataLength = length;
    this.#dataHandler = handler;
  }

  /** Drops every byte received and not yet processed. */
  discardInput(): void {
    this.#input.clear();
  }

  /** Discards the next `length` bytes, such as the data of a refused item. */
  swallow(length: number): void {
    this.#swallowLeft = length;
  }

  #run(): void {
    const input = this.#input;
    while (!this.closing) {
      if (this.#swallowLeft > 0) {
        this.#swallowLeft -= input.skip(this.#swallowLeft);
        if (this.#swallowLeft > 0) return;
        continue;
      }
      const handler = this.#dataHandler;
      if (handler !== null) {
        if (input.length < this.#dataLength) return;
        this.#dataHandler = null;
        handler(input.read(this.#dataLength));
        continue;
      }
      const lineFeed = input.indexOfLineFeed();
      if (lineFeed < 0) {
        this.#checkPartialLine();
        return;
      }
      this.#runLine(input.read(lineFeed + 1), lineFeed);
    }
  }

  /** Runs one command line; `end` is the index of its line feed. */
  #runLine(line: Buffer, end: number): void {
    let length = end;
    if (length > 1 && line[length - 1] === CR) length--;
    const tokens = tokenize(line, length);
    this.noreply = false;
    if (!this.authenticated) {
      authenticationLine(this, tokens);
      return;
    }
    if (tokens.length === 0 || tokens[0].length < 2) {
      this.writer.line(MEMCACHE_ERR.unknownCommand);
      return;
    }
    const handler = COMMANDS.get(tokens[0]);
    const permission = handler === undefined ? null : this.permissions.check(tokens);
    if (permission !== null && !permission.allowed) {
      this.writer.line(MEMCACHE_ERR.permissionDenied);
      if (permission.dataLength > 0) this.swallow(permission.dataLength);
    } else if (handler !== undefined) {
      handler(this, tokens);
    } else if (tokens[tokens.length - 1].startsWith('HTTP/')) {
      // memcached drops connections that speak HTTP instead of replying.
      this.closing = true;
    } else {
      this.writer.line(MEMCACHE_ERR.unknownCommand);
    }
  }

  /**
   * Closes the connection, as memcached does, when a long line has no line
   * feed yet. A `get`/`gets` line may grow (a large multiget) up to
   * client-query-buffer-limit, where memcached has no limit.
   */
  #checkPartialLine(): void {
    const input = this.#input;
    if (input.length <= MAX_PARTIAL_LINE) return;
    if (this.authenticated && startsWithGet(input)) {
      const limit = this.store.server.config.number('client-query-buffer-limit');
      if (input.length <= limit) return;
    }
    this.store.server.logger.debug({ buffered: input.length }, 'memcached line too long, closing');
    this.closing = true;
  }
}

/** Splits a command line at spaces, as memcached's tokenizer does (tabs stay in tokens). */
function tokenize(line: Buffer, length: number): string[] {
  const tokens: string[] = [];
  let start = 0;
  for (let i = 0; i < length; i++) {
    if (line[i] !== SPACE) continue;
    if (i > start) tokens.push(line.latin1Slice(start, i));
    start = i + 1;
  }
  if (length > start) tokens.push(line.latin1Slice(start, length));
  return tokens;
}

/** Checks whether the buffered line starts with `get ` or `gets ` after at most 100 spaces. */
function startsWithGet(input: InputQueue): boolean {
  let i = 0;
  while (input.peek(i) === SPACE) i++;
  if (i > MAX_LEADING_SPACES) return false;
  const word = [0, 1, 2, 3, 4].map((offset) => input.peek(i + offset));
  const text = String.fromCharCode(...word.filter((code) => code >= 0));
  return text.startsWith('get ') || text === 'gets ';
}
