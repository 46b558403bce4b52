import type { Socket } from 'node:net';
import { RespParser, UNAUTHENTICATED_LIMITS, type ParserLimits } from '../protocol/resp/parser';
import { Client, type Transport } from '../engine/client';
import { dispatch } from '../engine/dispatch';
import { ERR } from '../engine/errors';
import { loginAs } from '../security/authentication';
import type { Server } from '../engine/server';
import { OutputLimitCheck, parseOutputLimits, type OutputLimits } from './output-limits';
import { readSocket } from './static-read';

/**
 * Reply bytes one read batch may produce before the connection stops running
 * further requests until the socket has sent them. It bounds the memory a
 * client that pipelines requests but never reads its replies can take.
 */
const BATCH_OUTPUT_LIMIT = 4 * 1024 * 1024;

/** Clients whose replies were produced outside their own read batch, flushed together. */
const pendingFlush = new Set<Connection>();
let flushScheduled = false;

function flushPending(): void {
  flushScheduled = false;
  for (const connection of pendingFlush) connection.flush();
  pendingFlush.clear();
}

let cachedLimitsText = '';
let cachedLimits: OutputLimits | null = null;

/** Parses `client-output-buffer-limit`, reusing the result while the setting is unchanged. */
function outputLimits(text: string): OutputLimits {
  if (cachedLimits === null || text !== cachedLimitsText) {
    cachedLimits = parseOutputLimits(text) as OutputLimits;
    cachedLimitsText = text;
  }
  return cachedLimits;
}

/** Reads the parser limits from the settings in force. */
export function parserLimits(server: Server): ParserLimits {
  return {
    maxBulkLength: server.config.number('proto-max-bulk-len'),
    maxArguments: server.config.number('proto-max-multibulk-len'),
    maxInlineLength: server.config.number('proto-inline-max-size'),
  };
}

/**
 * One Redis-protocol client connection. It parses every complete request in
 * what the socket delivered, runs them in order, and sends all their replies
 * with one socket write.
 */
export class Connection implements Transport {
  readonly client: Client;
  readonly #socket: Socket;
  readonly #server: Server;
  readonly #parser: RespParser;
  #closed = false;
  #processing = false;
  readonly #outputCheck = new OutputLimitCheck();
  /** Replies wait for the append-only file's fsync (`appendfsync always`). */
  #holding = false;
  /** The socket refused more output (write returned false); requests wait for 'drain'. */
  #outputBlocked = false;
  /** When the unfinished request in the parser started arriving (ms), or 0 when there is none. */
  #partialSince = 0;

  constructor(server: Server, socket: Socket) {
    this.#server = server;
    this.#socket = socket;
    this.client = new Client(server, this, server.nextClientId++);
    this.#parser = new RespParser(this.#limitsFor(this.client));
    this.#parser.authenticated = this.client.authenticated;
    socket.setNoDelay(true);
    readSocket(socket, (chunk) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    // Node.js ends the socket soon after the client's FIN, so replies still
    // waiting for the end of the event loop turn must go out now.
    socket.on('end', () => this.flush());
    socket.on('error', (error) => this.#onSocketError(error));
    socket.on('close', () => this.#onClose());
    server.clients.set(this.client.id, this.client);
  }

  get remoteAddress(): string {
    return formatAddress(this.#socket.remoteAddress, this.#socket.remotePort);
  }

  get localAddress(): string {
    return formatAddress(this.#socket.localAddress, this.#socket.localPort);
  }

  get queryBufferLength(): number {
    return this.#parser.buffered;
  }

  get pendingOutputBytes(): number {
    return this.#socket.writableLength;
  }

  #limitsFor(client: Client): ParserLimits {
    return client.authenticated ? parserLimits(this.#server) : UNAUTHENTICATED_LIMITS;
  }

  #onData(chunk: Buffer): void {
    // As in Redis, the client's last interaction is when its requests arrived.
    this.client.lastInteraction = Date.now();
    this.#server.stats.netInputBytes += chunk.length;
    this.#parser.feed(chunk);
    this.#process();
  }

  /** Runs parsed requests until input runs out, the client blocks, or it is closing. */
  #process(): void {
    if (this.#processing || this.#holding || this.#outputBlocked) return;
    this.#processing = true;
    const client = this.client;
    const parser = this.#parser;
    const journalBefore = this.#server.journalCount;
    let requests = 0;
    let partial = false;
    let outputFull = false;
    while (!client.blocked && !client.closing && !this.#closed) {
      // Requests that would add to unsent output wait until the client reads.
      if (client.writer.length > BATCH_OUTPUT_LIMIT) {
        outputFull = true;
        break;
      }
      const args = parser.next();
      if (args === null) {
        partial = parser.midRequest;
        break;
      }
      requests++;
      if (args.length === 0) continue;
      dispatch(client, args);
      if (parser.authenticated !== client.authenticated) this.#refreshLimits();
    }
    this.#processing = false;
    this.#trackPartialRequest(requests > 0, partial);
    if (this.#server.journalCount !== journalBefore && this.#holdForSync()) return;
    if (parser.error !== null && !client.blocked) this.#protocolError(parser.error);
    else if (parser.buffered > this.#server.config.number('client-query-buffer-limit')) {
      this.#server.stats.queryLimitDisconnections++;
      this.#server.logger.warn({ client: client.id }, 'query buffer limit reached, closing client');
      this.#destroy();
      return;
    }
    this.#sendReplies(requests, outputFull);
  }

  /**
   * Sends the replies of a batch of `requests`. The replies to a pipelined
   * batch wait until the event loop has served every readable socket, so that
   * the batches of many clients are written back to back. A lone request gets
   * its reply at once, because its client sends nothing more until it has the
   * reply. Measured with redis-benchmark, 50 clients, on 2 cores: waiting
   * took about 10% less CPU per request and gave 10-25% more throughput with
   * 16 requests per batch, but cost 10-15% of the throughput with one.
   */
  #sendReplies(requests: number, outputFull: boolean): void {
    if (this.client.closing) {
      this.flush();
      this.#end();
    } else if (outputFull) {
      this.flush();
      // The socket took the output without backing up, so go on with the waiting requests.
      if (!this.#outputBlocked) setImmediate(() => this.#process());
    } else if (requests > 1) {
      this.flushSoon();
    } else {
      this.flush();
    }
  }

  /** Holds this batch's replies until its writes are durable; returns true when holding. */
  #holdForSync(): boolean {
    const aof = this.#server.aof;
    if (aof === null || !aof.writer.mustHoldReplies()) return false;
    this.#holding = true;
    aof.writer.whenSynced(() => {
      this.#holding = false;
      this.flush();
      if (this.client.closing) this.#end();
      else this.#process();
    });
    return true;
  }

  /** Starts the request deadline when a request is left half-read, and clears it when none is. */
  #trackPartialRequest(parsed: boolean, partial: boolean): void {
    if (!partial) this.#partialSince = 0;
    else if (parsed || this.#partialSince === 0) this.#partialSince = Date.now();
  }

  /**
   * Closes the client when it has been idle longer than `timeout` (blocked
   * and subscribed clients excepted, as in Redis), or when a request it
   * started has not fully arrived within client-request-timeout.
   */
  checkTimeouts(now: number, idleMs: number, requestMs: number): void {
    const client = this.client;
    if (this.#closed || client.closing) return;
    if (requestMs > 0 && this.#partialSince !== 0 && now - this.#partialSince > requestMs) {
      this.#server.stats.requestTimeoutDisconnections++;
      this.#server.logger.info(
        { client: client.id, addr: this.remoteAddress },
        'request not completed within client-request-timeout, closing client',
      );
      client.writer.error(ERR.requestTimeout);
      this.close();
      return;
    }
    const idle = idleMs > 0 && now - client.lastInteraction > idleMs;
    if (!idle || client.blocked || client.subscriptionCount > 0) return;
    this.#server.stats.idleDisconnections++;
    this.#server.logger.debug({ client: client.id }, 'idle timeout, closing client');
    this.#destroy();
  }

  /** Logs the client in as an ACL user (a verified TLS client certificate). */
  loginAs(user: string): void {
    loginAs(this.client, user, 'tls');
    this.#refreshLimits();
  }

  #refreshLimits(): void {
    this.#parser.authenticated = this.client.authenticated;
    this.#parser.limits = this.#limitsFor(this.client);
  }

  #protocolError(message: string): void {
    this.#server.stats.protocolErrors++;
    this.#server.logger.debug({ client: this.client.id, message }, 'protocol error');
    this.client.writer.error(message);
    this.client.closing = true;
  }

  /** Writes pending replies to the socket; pauses reading while the socket is backed up. */
  flush(): void {
    const writer = this.client.writer;
    if (writer.length === 0 || this.#closed || this.#holding) return;
    const bytes = writer.take();
    this.#server.stats.netOutputBytes += bytes.length;
    if (!this.#socket.write(bytes)) {
      this.#outputBlocked = true;
      this.#socket.pause();
    }
    if (this.#socket.writableLength > 0) this.#checkOutputLimit();
  }

  /** Disconnects a client whose unsent replies passed `client-output-buffer-limit`. */
  #checkOutputLimit(): void {
    const limits = outputLimits(this.#server.config.string('client-output-buffer-limit'));
    const kind = this.client.subscriptionCount > 0 ? 'pubsub' : 'normal';
    const pending = this.#socket.writableLength;
    if (!this.#outputCheck.exceeded(limits[kind], pending, Date.now())) return;
    this.#server.stats.outputLimitDisconnections++;
    this.#server.logger.warn(
      { client: this.client.id, addr: this.remoteAddress, class: kind, pending },
      'client output buffer limit reached, closing client',
    );
    this.#destroy();
  }

  flushSoon(): void {
    pendingFlush.add(this);
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(flushPending);
  }

  /** Continues with buffered requests after the client was unblocked. */
  resume(): void {
    this.#process();
  }

  close(): void {
    this.client.closing = true;
    if (!this.#processing) {
      this.flush();
      this.#end();
    }
  }

  #onDrain(): void {
    if (this.#closed) return;
    this.#outputBlocked = false;
    this.#socket.resume();
    this.#process();
  }

  #end(): void {
    if (this.#closed) return;
    this.#socket.end();
    this.#forget();
  }

  #destroy(): void {
    this.#socket.destroy();
    this.#forget();
  }

  #forget(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.clients.delete(this.client.id);
    this.#server.onClientGone(this.client);
  }

  #onSocketError(error: Error): void {
    this.#server.logger.debug({ client: this.client.id, err: error.message }, 'socket error');
  }

  #onClose(): void {
    this.#forget();
  }
}

function formatAddress(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return '?:0';
  const host = address.startsWith('::ffff:') ? address.slice(7) : address;
  return `${host}:${port ?? 0}`;
}
