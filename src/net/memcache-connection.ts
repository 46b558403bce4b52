import type { Socket } from 'node:net';
import { MemcacheSession, type SessionHost } from '../protocol/memcache/session';
import { readSocket } from './static-read';

const INTERNAL_ERROR = Buffer.from('SERVER_ERROR internal error\r\n');

/**
 * One Memcached client connection. It feeds what the socket delivers to the
 * session, which runs every complete command, and sends all their replies
 * with one socket write. Reading pauses while the socket is backed up, and
 * while replies wait for the append-only file's fsync (`appendfsync always`).
 */
export class MemcacheConnection {
  readonly #socket: Socket;
  readonly #session: MemcacheSession;
  #closed = false;
  /** The socket refused more output (write returned false); reading waits for 'drain'. */
  #outputBlocked = false;
  /** Replies wait for the append-only file's fsync; reading waits too. */
  #holding = false;

  constructor(host: SessionHost, socket: Socket) {
    this.#socket = socket;
    this.#session = new MemcacheSession(host);
    socket.setNoDelay(true);
    readSocket(socket, (chunk) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    socket.on('error', (error) => this.#onSocketError(error));
    socket.on('close', () => {
      this.#closed = true;
    });
  }

  #onData(chunk: Buffer): void {
    const server = this.#session.store.server;
    const journalBefore = server.journalCount;
    try {
      this.#session.feed(chunk);
    } catch (error) {
      this.#internalError(error);
      return;
    }
    if (server.journalCount !== journalBefore && this.#holdForSync()) return;
    this.#flush();
    if (this.#session.closing) this.#end();
  }

  /** Holds the replies until the writes they report are durable; returns true when holding. */
  #holdForSync(): boolean {
    const aof = this.#session.store.server.aof;
    if (aof === null || !aof.writer.mustHoldReplies()) return false;
    this.#holding = true;
    this.#socket.pause();
    aof.writer.whenSynced(() => {
      this.#holding = false;
      this.#flush();
      if (this.#session.closing) this.#end();
      else this.#resumeReading();
    });
    return true;
  }

  /** Sends pending replies; pauses reading while the socket is backed up. */
  #flush(): void {
    const writer = this.#session.writer;
    if (writer.length === 0 || this.#closed) return;
    this.#session.stats.bytesWritten += writer.length;
    const socket = this.#socket;
    const flowing = socket.write(writer.take());
    // Bytes still queued on the socket belong to it now, not to the writer.
    if (socket.writableLength > 0) writer.handOff();
    if (!flowing) {
      this.#outputBlocked = true;
      socket.pause();
    }
  }

  #onDrain(): void {
    this.#outputBlocked = false;
    this.#resumeReading();
  }

  #resumeReading(): void {
    if (!this.#closed && !this.#holding && !this.#outputBlocked) this.#socket.resume();
  }

  /** Handles a bug, not bad input: logs it, replies SERVER_ERROR as memcached does, and closes. */
  #internalError(error: unknown): void {
    const logger = this.#session.store.server.logger;
    logger.error({ err: error }, 'memcached command failed with an internal error');
    this.#session.writer.truncate(0);
    if (!this.#closed) this.#socket.write(INTERNAL_ERROR);
    this.#end();
  }

  #onSocketError(error: Error): void {
    const logger = this.#session.store.server.logger;
    logger.debug({ err: error.message }, 'memcached socket error');
  }

  /** Sends what is pending and closes the connection. */
  close(): void {
    this.#flush();
    this.#end();
  }

  #end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#socket.end();
  }
}
