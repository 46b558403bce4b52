import type { Logger } from 'pino';
import { Config } from '../config/config';
import { Database } from '../store/database';
import { Security } from '../security/security';
import { BlockingState } from './blocking';
import type { Client } from './client';
import type { RegisteredCommand } from './command';
import { notifyKeyspaceEvent, parseNotifySettings, type NotifySettings } from './notify';
import { PubSub } from './pubsub';
import { Tracking } from './tracking';
import type { Snapshot } from '../persistence/snapshot';
import type { AppendOnlyLog } from '../persistence/aof';
import type { Keyring } from '../persistence/encryption';
import { initialPersistenceState, type PersistenceState } from '../persistence/state';

/** Receives every write that changed data, in a form that replays deterministically. */
export type JournalListener = (dbIndex: number, args: readonly string[]) => void;

/**
 * A script that ran past busy-reply-threshold and now runs in slices between
 * event loop turns (see scripting/). Other clients get its BUSY error.
 */
export interface BusyScript {
  /** The BUSY error reply for this kind of script (EVAL or FCALL). */
  readonly busyError: string;
  /** Stops the script from being resumed, for SHUTDOWN NOSAVE. */
  abandon(): void;
}

/** Counters INFO stats reports. */
export interface ServerStats {
  totalConnections: number;
  rejectedConnections: number;
  totalCommands: number;
  expiredKeys: number;
  /** Keys removed to stay under maxmemory. */
  evictedKeys: number;
  keyspaceHits: number;
  keyspaceMisses: number;
  netInputBytes: number;
  netOutputBytes: number;
  errorReplies: number;
  /** Error replies by their first word (ERR, WRONGTYPE, ...), for INFO errorstats. */
  errorsByCode: Map<string, number>;
  protocolErrors: number;
  /** Clients disconnected for passing client-output-buffer-limit. */
  outputLimitDisconnections: number;
  /** Clients disconnected for passing client-query-buffer-limit. */
  queryLimitDisconnections: number;
  /** Connections refused by maxclients-per-address. */
  perAddressRejections: number;
  /** Connections from beyond loopback refused by protected mode. */
  protectedModeRejections: number;
  /** Clients closed by the idle `timeout`. */
  idleDisconnections: number;
  /** Clients closed because a started request did not arrive within client-request-timeout. */
  requestTimeoutDisconnections: number;
  /** Commands refused by a rate limit. */
  rateLimitedCommands: number;
  /** Failed authentications whose reply was delayed. */
  authFailuresDelayed: number;
  /** ACL denials by reason. */
  aclDeniedAuth: number;
  aclDeniedCommand: number;
  aclDeniedKey: number;
  aclDeniedChannel: number;
  /** TLS connections that failed their handshake. */
  tlsHandshakeFailures: number;
}

function emptyStats(): ServerStats {
  return {
    totalConnections: 0,
    rejectedConnections: 0,
    totalCommands: 0,
    expiredKeys: 0,
    evictedKeys: 0,
    keyspaceHits: 0,
    keyspaceMisses: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    errorReplies: 0,
    errorsByCode: new Map(),
    protocolErrors: 0,
    outputLimitDisconnections: 0,
    queryLimitDisconnections: 0,
    perAddressRejections: 0,
    protectedModeRejections: 0,
    idleDisconnections: 0,
    requestTimeoutDisconnections: 0,
    rateLimitedCommands: 0,
    authFailuresDelayed: 0,
    aclDeniedAuth: 0,
    aclDeniedCommand: 0,
    aclDeniedKey: 0,
    aclDeniedChannel: 0,
    tlsHandshakeFailures: 0,
  };
}

/** The state one process owns: settings, databases, clients, commands and counters. */
export class Server {
  readonly config: Config;
  readonly logger: Logger;
  readonly databases: Database[] = [];
  readonly clients = new Map<number, Client>();
  readonly commands = new Map<string, RegisteredCommand>();
  readonly startedAt = Date.now();
  readonly runId: string;
  stats: ServerStats = emptyStats();
  /** Changes since the last snapshot, as Redis counts them for `save` rules. */
  dirty = 0;
  lastSaveTime = Math.floor(Date.now() / 1000);
  nextClientId = 1;
  /** Clients watching each key, by `watchKey(db, key)`. */
  readonly watchers = new Map<string, Set<Client>>();
  readonly journal: JournalListener[] = [];
  /**
   * Stops the server, saving first when `save` is true, or when null and save
   * rules exist. Returns false, and keeps running, when that save failed.
   * Installed by the process entry point.
   */
  onShutdown: (save: boolean | null) => boolean = () => true;
  tcpPort = 0;
  /** Absolute path of the config file given at start-up, or '' (CONFIG REWRITE writes it). */
  configFile = '';
  readonly pubsub = new PubSub();
  /** The background snapshot in progress; writes must call its `preserve` first. */
  snapshot: Snapshot | null = null;
  readonly persistence: PersistenceState = initialPersistenceState();
  /** Keys for encryption at rest, or null when files are written in the clear. */
  keyring: Keyring | null = null;
  /** The append-only log while `appendonly` is on. */
  aof: AppendOnlyLog | null = null;
  /** Journal entries emitted so far; connections compare it to see if a batch wrote. */
  journalCount = 0;
  /** Enabled keyspace notification classes, or null when notifications are off. */
  notifySettings: NotifySettings | null = null;
  /** Cleanups of per-client state (watched keys, subscriptions, blocking) on disconnect. */
  readonly clientGoneHooks: ((client: Client) => void)[] = [];
  /** Clients waiting in blocking commands (BLPOP, BZPOPMIN, ...), and the keys made ready. */
  readonly blocking = new BlockingState(this);
  /** ACL users and roles, rate limits, failed-authentication delays and the audit log. */
  readonly security: Security;
  /** The script running in slices past busy-reply-threshold, or null. */
  busyScript: BusyScript | null = null;
  /** Client-side caching: the keys tracking clients read, and their invalidations. */
  readonly tracking: Tracking;

  constructor(config: Config, logger: Logger, runId: string) {
    this.config = config;
    this.logger = logger;
    this.runId = runId;
    config.watch('notify-keyspace-events', (value) => {
      const settings = parseNotifySettings(String(value));
      const active = settings !== null && (settings.keyspace || settings.keyevent);
      this.notifySettings = active && settings.classes.size > 0 ? settings : null;
    });
    this.security = new Security(this);
    this.tracking = new Tracking(this);
    config.watch('requirepass', (value) => this.security.acl.setRequirepass(String(value)));
    for (const name of ['ratelimit-per-user', 'ratelimit-per-address', 'admin-commands']) {
      config.watch(name, () => this.security.acl.changed());
    }
    const listener = { expired: (db: Database, key: string) => this.#keyExpired(db, key) };
    const count = config.number('databases');
    for (let i = 0; i < count; i++) this.databases.push(new Database(i, listener));
  }

  register(commands: readonly RegisteredCommand[]): void {
    for (const spec of commands) {
      if (this.commands.has(spec.name)) throw new Error(`command ${spec.name} registered twice`);
      this.commands.set(spec.name, spec);
    }
  }

  /** Whether new clients start unauthenticated: the default user has a password or is off. */
  requiresAuthentication(): boolean {
    return this.security.acl.requiresAuthentication();
  }

  /** Checks an ACL user name and password (the user must be enabled). */
  authenticate(user: string, password: string): boolean {
    return this.security.acl.authenticate(user, password) !== null;
  }

  /** Zeroes the INFO counters, including those of every subcommand (CONFIG RESETSTAT). */
  resetStats(): void {
    this.stats = emptyStats();
    for (const spec of this.commands.values()) {
      const rows = [spec, ...((spec.subcommands?.values() ?? []) as Iterable<RegisteredCommand>)];
      for (const row of rows) {
        row.stats.calls = 0;
        row.stats.microseconds = 0;
        row.stats.rejectedCalls = 0;
        row.stats.failedCalls = 0;
      }
    }
  }

  countError(text: string): void {
    this.stats.errorReplies++;
    const space = text.indexOf(' ');
    const code = space < 0 ? text : text.slice(0, space);
    this.stats.errorsByCode.set(code, (this.stats.errorsByCode.get(code) ?? 0) + 1);
  }

  /** Tells watchers that a key changed, so their EXEC fails, and tracking clients. */
  keyModified(db: Database, key: string): void {
    if (this.tracking.watchesKeys) this.tracking.keyModified(key);
    if (this.watchers.size === 0) return;
    const watching = this.watchers.get(watchKey(db.id, key));
    if (watching === undefined) return;
    for (const client of watching) client.watchedKeyChanged = true;
  }

  /**
   * Tells the watchers of every key that exists in a database that it
   * changed, and tracking clients that every key changed. Called before
   * FLUSHDB empties it, and around SWAPDB.
   */
  databaseModified(db: Database): void {
    this.tracking.databaseModified();
    if (this.watchers.size === 0) return;
    const prefix = `${db.id}:`;
    for (const [name, watching] of this.watchers) {
      if (!name.startsWith(prefix) || !db.data.has(name.slice(prefix.length))) continue;
      for (const client of watching) client.watchedKeyChanged = true;
    }
  }

  /** Publishes a message to subscribers; returns how many received it. */
  publish(channel: string, message: string): number {
    return this.pubsub.publish(channel, message);
  }

  onClientGone(client: Client): void {
    for (const hook of this.clientGoneHooks) hook(client);
  }

  propagate(dbIndex: number, args: readonly string[]): void {
    this.journalCount++;
    for (const listener of this.journal) listener(dbIndex, args);
  }

  #keyExpired(db: Database, key: string): void {
    this.stats.expiredKeys++;
    this.keyModified(db, key);
    this.propagate(db.id, ['DEL', key]);
    notifyKeyspaceEvent(this, 'x', 'expired', key, db.id);
  }
}

export function watchKey(dbIndex: number, key: string): string {
  return `${dbIndex}:${key}`;
}
