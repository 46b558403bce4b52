import type { Database } from '../store/database';
import { RespWriter, type Reply } from '../protocol/resp/reply';
import type { RegisteredCommand } from './command';
import type { Server } from './server';
import type { ClientTracking } from './tracking';

/** What a client needs from the connection that carries it. */
export interface Transport {
  /** Sends pending reply bytes now (outside a read batch, e.g. for pub/sub). */
  flushSoon(): void;
  /** Closes the connection once pending replies are sent. */
  close(): void;
  /** Runs the requests that waited while the client was blocked. */
  resume(): void;
  readonly remoteAddress: string;
  readonly localAddress: string;
  /** The socket's file descriptor, when known (CLIENT LIST `fd`). */
  readonly fd?: number;
  /** Bytes received and not yet parsed into requests (CLIENT LIST `qbuf`). */
  readonly queryBufferLength?: number;
  /** Reply bytes waiting in the socket's write queue (CLIENT LIST `omem`). */
  readonly pendingOutputBytes?: number;
}

export interface QueuedCommand {
  command: RegisteredCommand;
  args: string[];
}

/** A key named by WATCH. */
export interface WatchedKey {
  dbIndex: number;
  key: string;
  /** Whether the key existed and had not expired when it was watched. */
  aliveWhenWatched: boolean;
}

/** A MULTI block being queued. */
export interface Transaction {
  queued: QueuedCommand[];
  /** Set when a queued command was rejected; EXEC then replies EXECABORT. */
  failed: boolean;
}

/** The state of one connected client, shared by every command it runs. */
export class Client {
  readonly id: number;
  readonly server: Server;
  readonly transport: Transport;
  readonly writer = new RespWriter();
  /** Where handlers write; the connection's writer unless a script or EXEC captures replies. */
  reply: Reply = this.writer;
  db: Database;
  name = '';
  libraryName = '';
  libraryVersion = '';
  user = 'default';
  authenticated: boolean;
  readonly createdAt = Date.now();
  /** When the client's latest requests arrived (Unix ms), for CLIENT LIST idle and `timeout`. */
  lastInteraction = Date.now();
  lastCommand = 'NULL';
  transaction: Transaction | null = null;
  /** True while EXEC runs the queued commands: blocking commands must not block then. */
  inTransaction = false;
  /**
   * Set by a write handler whose request does not replay the same way (a
   * relative expiry, a random pick): the requests to journal instead.
   */
  propagateAs: string[][] | null = null;
  /** Keys watched by WATCH, by `watchKey(db, key)`; the flag is set once one changes. */
  watching: Map<string, WatchedKey> | null = null;
  watchedKeyChanged = false;
  /** While true, the connection runs none of the client's further requests. */
  blocked = false;
  /** True once QUIT or a protocol error asked for the connection to end after the reply. */
  closing = false;
  /** The client is a Lua script's or another internal caller, not a socket. */
  readonly internal: boolean;
  /** Subscribed channels and patterns; pub/sub mode while either is non-empty. */
  channels: Set<string> | null = null;
  patterns: Set<string> | null = null;
  shardChannels: Set<string> | null = null;
  /** Set by CLIENT NO-EVICT: the client is never closed to free memory. */
  noEvict = false;
  /** Set by CLIENT NO-TOUCH: the client's reads do not update keys' access time. */
  noTouch = false;
  /** CLIENT TRACKING settings, or null while tracking is off. */
  tracking: ClientTracking | null = null;
  /** CLIENT REPLY state: REPLY_OFF, REPLY_SKIP_NEXT and REPLY_SKIP bits (reply-mode.ts). */
  replyMode = 0;

  constructor(server: Server, transport: Transport, id: number, internal = false) {
    this.server = server;
    this.transport = transport;
    this.id = id;
    this.db = server.databases[0];
    this.authenticated = !server.requiresAuthentication();
    this.internal = internal;
  }

  get resp(): 2 | 3 {
    return this.writer.resp;
  }

  set resp(version: 2 | 3) {
    this.writer.resp = version;
  }

  get subscriptionCount(): number {
    return (
      (this.channels?.size ?? 0) + (this.patterns?.size ?? 0) + (this.shardChannels?.size ?? 0)
    );
  }
}
