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
/** V8's shortest sliced string (SlicedString::kMinLength); shorter substrings are copies. */
const SLICE_MIN_LENGTH = 13;
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
      const bytes = input.front(lineFeed + 1);
      const start = input.offset;
      input.skip(lineFeed + 1);
      this.#runLine(bytes, start, start + lineFeed);
    }
  }

  /** Runs the command line `bytes[start..end)`; `end` is the index of its line feed. */
  #runLine(bytes: Buffer, start: number, end: number): void {
    const length = end - start > 1 && bytes[end - 1] === CR ? end - 1 - start : end - start;
    const tokens = tokenize(bytes, start, start + length);
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

/**
 * Splits the command line `bytes[start..end)` at spaces, as memcached's
 * tokenizer does (tabs stay in tokens). The line is decoded once and cut
 * into substrings, which is cheaper than decoding each token. A token of
 * SLICE_MIN_LENGTH bytes or more is decoded on its own instead, because V8
 * makes such a substring a view that keeps the whole line alive, and a key
 * token may be stored.
 */
function tokenize(bytes: Buffer, start: number, end: number): string[] {
  const line = bytes.latin1Slice(start, end);
  const tokens: string[] = [];
  let from = 0;
  while (from < line.length) {
    let space = line.indexOf(' ', from);
    if (space < 0) space = line.length;
    if (space - from >= SLICE_MIN_LENGTH) {
      tokens.push(bytes.latin1Slice(start + from, start + space));
    } else if (space > from) {
      tokens.push(line.slice(from, space));
    }
    from = space + 1;
  }
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
