/**
 * A TCP client for byte-level protocol tests. It sends exact bytes and reads
 * raw replies, so a test sees what the server wrote, byte for byte, including
 * protocol errors and closed connections that client libraries hide.
 */

import net from 'node:net';

import { formatBytes, toBuffer } from './bytes';
import { encodeCommand, findReplyEnd } from './resp';

export { encodeCommand } from './resp';

const DEFAULT_TIMEOUT_MS = 5000;

export interface ConnectOptions {
  host?: string;
  /** Maximum time in ms to wait for the TCP connection. */
  timeoutMs?: number;
}

/**
 * One TCP connection. Reads consume bytes from an internal buffer in order,
 * and only one read may be pending at a time.
 */
export class RawClient {
  #socket: net.Socket;
  #received: Buffer = Buffer.alloc(0);
  #closed = false;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  #reading = false;

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#notify();
    });
    socket.on('error', (error) => {
      this.#error = error;
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#notify();
    });
  }

  /** Opens a connection to `port` (on 127.0.0.1 unless `options.host` is set). */
  static connect(port: number, options: ConnectOptions = {}): Promise<RawClient> {
    const host = options.host ?? '127.0.0.1';
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;

    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connecting to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);

      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RawClient(socket));
      });
    });
  }

  /** True once the connection has closed, from either side. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes received and not yet consumed by a read. */
  get buffered(): Buffer {
    return this.#received;
  }

  /** Writes bytes and resolves once they are flushed. A string is sent as latin1 bytes. */
  send(data: Buffer | string): Promise<void> {
    if (this.#closed) {
      return Promise.reject(new Error('cannot send: the connection is closed'));
    }

    return new Promise((resolve, reject) => {
      this.#socket.write(toBuffer(data), (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Sends one command as RESP multibulk and returns its raw reply. */
  async call(args: ReadonlyArray<string | Buffer>, timeoutMs?: number): Promise<Buffer> {
    await this.send(encodeCommand(args));
    return this.readReply(timeoutMs);
  }

  /**
   * Returns exactly one complete RESP reply as raw bytes and keeps any bytes
   * after it for the next read. Rejects when the connection closes or the
   * timeout passes first, naming the bytes received so far.
   */
  readReply(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    return this.#read('a RESP reply', timeoutMs, () => {
      const end = findReplyEnd(this.#received);
      return end === -1 ? null : end;
    });
  }

  /** Returns `count` consecutive replies as separate buffers. */
  async readReplies(count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    const replies: Buffer[] = [];

    while (replies.length < count) {
      replies.push(await this.readReply(Math.max(0, deadline - Date.now())));
    }

    return replies;
  }

  /** Returns the bytes up to and including the first `delimiter`, such as "\r\n". */
  readUntil(delimiter: Buffer | string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    const marker = toBuffer(delimiter);

    return this.#read(`bytes ending in ${formatBytes(marker)}`, timeoutMs, () => {
      const index = this.#received.indexOf(marker);
      return index === -1 ? null : index + marker.length;
    });
  }

  /** Returns exactly `length` bytes. */
  readBytes(length: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    return this.#read(`${length} bytes`, timeoutMs, () =>
      this.#received.length >= length ? length : null,
    );
  }

  /**
   * Returns every byte that arrives until the connection has been silent for
   * `quietMs` or has closed. Rejects if data still flows after `timeoutMs`.
   */
  async readUntilQuiet(quietMs = 100, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;

    for (;;) {
      const waitMs = Math.min(quietMs, deadline - Date.now());
      const before = this.#received.length;
      const event = await this.#nextEvent(waitMs);
      if (this.#closed) break;

      const silent = event === 'timeout' && this.#received.length === before;
      if (silent && waitMs >= quietMs) break;
      if (Date.now() >= deadline) {
        throw new Error(`data still arriving after ${timeoutMs} ms; ${this.#describeBuffer()}`);
      }
    }

    return this.#take(this.#received.length);
  }

  /** Resolves when the server closes the connection; rejects after `timeoutMs`. */
  async waitForClose(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;

    while (!this.#closed) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || (await this.#nextEvent(remaining)) === 'timeout') {
        if (this.#closed) break;
        throw new Error(`connection still open after ${timeoutMs} ms; ${this.#describeBuffer()}`);
      }
    }
  }

  /** Half-closes the connection (sends FIN) and waits for the server to close its side. */
  async end(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    this.#socket.end();
    await this.waitForClose(timeoutMs);
  }

  /** Closes the connection at once, resetting it if bytes are still unsent. */
  destroy(): void {
    this.#socket.destroy();
  }

  /** Runs `extract` after every event until it returns an end offset, then consumes that much. */
  async #read(expected: string, timeoutMs: number, extract: () => number | null): Promise<Buffer> {
    if (this.#reading) throw new Error('another read is already pending on this connection');
    this.#reading = true;

    try {
      const deadline = Date.now() + timeoutMs;

      for (;;) {
        const end = extract();
        if (end !== null) return this.#take(end);

        if (this.#closed) {
          throw new Error(
            `connection closed before ${expected} arrived; ${this.#describeBuffer()}`,
          );
        }

        const remaining = deadline - Date.now();
        if (remaining <= 0 || (await this.#nextEvent(remaining)) === 'timeout') {
          if (extract() !== null) continue;
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${expected}; ${this.#describeBuffer()}`,
          );
        }
      }
    } finally {
      this.#reading = false;
    }
  }

  #take(length: number): Buffer {
    const taken = this.#received.subarray(0, length);
    this.#received = this.#received.subarray(length);
    return Buffer.from(taken);
  }

  /** Waits for new data or a close, whichever comes first, or for the timeout. */
  #nextEvent(timeoutMs: number): Promise<'event' | 'timeout'> {
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.#wake = null;
          resolve('timeout');
        },
        Math.max(0, timeoutMs),
      );

      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve('event');
      };
    });
  }

  #notify(): void {
    this.#wake?.();
  }

  #describeBuffer(): string {
    const error = this.#error ? ` (socket error: ${this.#error.message})` : '';
    return `received so far: ${formatBytes(this.#received)}${error}`;
  }
}
