/**
 * Client-side caching (CLIENT TRACKING): the table of keys that tracking
 * clients read, the BCAST prefixes, and the invalidation messages sent when
 * those keys change. As in Redis 7.0, keys are remembered by name alone, so a
 * change in any database invalidates a key read in another one.
 */
import type { Client } from './client';
import type { RegisteredCommand } from './command';
import { keyIndexes } from './command';
import type { Server } from './server';

/** The tracking settings of one client, set by CLIENT TRACKING ON. */
export interface ClientTracking {
  bcast: boolean;
  optIn: boolean;
  optOut: boolean;
  noLoop: boolean;
  /** Set by CLIENT CACHING YES (OPTIN) or NO (OPTOUT) for the next command. */
  caching: boolean;
  /** Set when an invalidation found the redirect client disconnected. */
  brokenRedirect: boolean;
  /** The client id that receives the invalidations, or 0 for the client itself. */
  redirect: number;
  /** BCAST prefixes. The empty prefix matches every key. */
  readonly prefixes: Set<string>;
}

/** Keys changed under one BCAST prefix since the last broadcast, and who tracks it. */
interface PrefixState {
  readonly clients: Set<Client>;
  /** Each changed key and the client that changed it, or null when several or none did. */
  readonly changed: Map<string, Client | null>;
}

/** Read-only commands whose keys are not remembered, as in Redis 7.0. */
const UNTRACKED_READS = new Set(['eval_ro', 'evalsha_ro', 'fcall_ro']);

const INVALIDATE = 'invalidate';
const CHANNEL = '__redis__:invalidate';

/** The invalidation table and the message delivery of one server. */
export class Tracking {
  readonly #server: Server;
  /** Clients with tracking on. */
  readonly clients = new Set<Client>();
  /** Default mode: each remembered key and the ids of the clients that read it. */
  readonly #keys = new Map<string, Set<number>>();
  /** Client ids over all remembered keys (INFO tracking_total_items). */
  #items = 0;
  readonly #prefixes = new Map<string, PrefixState>();
  #broadcastScheduled = false;
  /** The tracking client whose request is running; its own invalidations wait until the reply. */
  #current: Client | null = null;
  /** The arguments of `#current`'s request, whose keys a script's reads make it remember. */
  #currentArgs: readonly string[] = [];
  /** Invalidations for `#current`: key names, or null for a flush. */
  #pending: (string | null)[] = [];
  /** The command running while clients track, so FLUSHALL sends one flush message. */
  #command: RegisteredCommand | null = null;
  #flushSent = false;

  constructor(server: Server) {
    this.#server = server;
    server.clientGoneHooks.push((client) => this.disable(client));
    server.config.watch('tracking-table-max-keys', () => this.#limitKeys());
  }

  /** Whether any key or prefix is tracked, so key changes must be looked up. */
  get watchesKeys(): boolean {
    return this.#keys.size > 0 || this.#prefixes.size > 0;
  }

  get totalKeys(): number {
    return this.#keys.size;
  }

  get totalItems(): number {
    return this.#items;
  }

  get totalPrefixes(): number {
    return this.#prefixes.size;
  }

  /** Turns tracking on (or changes its options) with prefixes already checked. */
  enable(client: Client, settings: ClientTracking, prefixes: readonly string[]): void {
    const previous = client.tracking;
    for (const prefix of previous?.prefixes ?? []) settings.prefixes.add(prefix);
    client.tracking = settings;
    this.clients.add(client);
    if (!settings.bcast) return;
    if (prefixes.length === 0) prefixes = [''];
    for (const prefix of prefixes) {
      settings.prefixes.add(prefix);
      let state = this.#prefixes.get(prefix);
      if (state === undefined) {
        state = { clients: new Set(), changed: new Map() };
        this.#prefixes.set(prefix, state);
      }
      state.clients.add(client);
    }
  }

  /** Turns tracking off. Keys the client read stay in the table until they change. */
  disable(client: Client): void {
    const settings = client.tracking;
    if (settings === null) return;
    for (const prefix of settings.prefixes) {
      const state = this.#prefixes.get(prefix);
      if (state === undefined) continue;
      state.clients.delete(client);
      if (state.clients.size === 0) this.#prefixes.delete(prefix);
    }
    client.tracking = null;
    this.clients.delete(client);
  }

  /** Notes the command about to run, while any client tracks. */
  beforeExecute(spec: RegisteredCommand): void {
    this.#command = spec;
  }

  /**
   * Remembers the keys a tracking client read with a read-only command. A
   * read inside a script makes the calling client remember the keys the
   * script declared, as in Redis 7.0.
   * NOTE: that holds for EVAL and FCALL sent directly, not queued in MULTI.
   */
  afterExecute(client: Client, spec: RegisteredCommand, args: string[]): void {
    this.#command = null;
    this.#flushSent = false;
    if (!spec.flags.includes('readonly')) return;
    if (client.internal) {
      this.#rememberDeclaredKeys();
      return;
    }
    if (!rememberingReads(client) || UNTRACKED_READS.has(spec.name)) return;
    for (const index of keyIndexes(spec, args)) this.#remember(client, args[index]);
    this.#limitKeys();
  }

  /** Remembers the keys of the running script's request for the client that sent it. */
  #rememberDeclaredKeys(): void {
    const caller = this.#current;
    if (caller === null || !rememberingReads(caller)) return;
    const request = this.#server.commands.get(caller.lastCommand);
    if (request === undefined) return;
    const args = this.#currentArgs;
    for (const index of keyIndexes(request, args)) this.#remember(caller, args[index]);
    this.#limitKeys();
  }

  #remember(client: Client, key: string): void {
    let readers = this.#keys.get(key);
    if (readers === undefined) {
      readers = new Set();
      this.#keys.set(key, readers);
    }
    if (readers.has(client.id)) return;
    readers.add(client.id);
    this.#items++;
  }

  /**
   * Invalidates the oldest keys past tracking-table-max-keys. Redis 7.0
   * picks random keys instead, and either way their readers get an invalidation.
   */
  #limitKeys(): void {
    const max = this.#server.config.number('tracking-table-max-keys');
    if (max === 0) return;
    for (const key of this.#keys.keys()) {
      if (this.#keys.size <= max) return;
      this.#invalidate(key, null);
    }
  }

  /** Marks the start of a top-level request of a tracking client. */
  beginRequest(client: Client, args: readonly string[]): boolean {
    if (this.#current !== null) return false;
    this.#current = client;
    this.#currentArgs = args;
    return true;
  }

  /**
   * Ends a request begun by `beginRequest`: sends the invalidations the client
   * caused for itself after its reply, and ends CLIENT CACHING's one-command
   * effect (kept through MULTI and CLIENT subcommands, as in Redis).
   */
  endRequest(client: Client): void {
    const args = this.#currentArgs;
    this.#current = null;
    this.#currentArgs = [];
    const pending = this.#pending;
    if (pending.length > 0) {
      this.#pending = [];
      for (const key of pending) this.#send(client, key);
    }
    const settings = client.tracking;
    if (settings === null || !settings.caching || client.transaction !== null) return;
    if (!this.#isClientCommand(args)) settings.caching = false;
  }

  /**
   * Checks whether a request names CLIENT or one of its subcommands, even
   * with the wrong argument count, which is when Redis keeps CLIENT CACHING.
   */
  #isClientCommand(args: readonly string[]): boolean {
    if (args[0].toLowerCase() !== 'client') return false;
    const subcommands = this.#server.commands.get('client')?.subcommands;
    return args.length === 1 || subcommands?.has(args[1].toLowerCase()) === true;
  }

  /**
   * Sends invalidations for a changed key: to its readers, and to BCAST
   * prefixes later.
   * NOTE: a multi-key write signals every key it names, so `DEL a b` also
   * invalidates a missing `a`, which Redis leaves alone.
   */
  keyModified(key: string): void {
    if (this.#keys.size > 0) this.#invalidate(key, this.#current);
    if (this.#prefixes.size > 0) this.#noteForBroadcast(key);
  }

  #invalidate(key: string, writer: Client | null): void {
    const readers = this.#keys.get(key);
    if (readers === undefined) return;
    this.#keys.delete(key);
    this.#items -= readers.size;
    for (const id of readers) {
      const target = this.#server.clients.get(id);
      const settings = target?.tracking;
      if (target === undefined || settings === null || settings === undefined) continue;
      if (settings.bcast || (settings.noLoop && target === writer)) continue;
      if (target === this.#current) this.#pending.push(key);
      else this.#send(target, key);
    }
  }

  #noteForBroadcast(key: string): void {
    const writer = this.#current;
    for (const [prefix, state] of this.#prefixes) {
      if (!key.startsWith(prefix)) continue;
      const earlier = state.changed.get(key);
      state.changed.set(key, earlier === undefined || earlier === writer ? writer : null);
    }
    if (this.#broadcastScheduled) return;
    this.#broadcastScheduled = true;
    // Like Redis, which broadcasts once per event loop turn, after the requests that were read.
    setImmediate(() => this.#broadcast());
  }

  /** Sends each BCAST client the keys changed under its prefixes, in prefix order. */
  #broadcast(): void {
    this.#broadcastScheduled = false;
    const prefixes = [...this.#prefixes.keys()].sort();
    for (const prefix of prefixes) {
      const state = this.#prefixes.get(prefix);
      if (state === undefined || state.changed.size === 0) continue;
      const keys = [...state.changed.keys()].sort();
      for (const client of state.clients) {
        const settings = client.tracking;
        const own = settings?.noLoop
          ? keys.filter((key) => state.changed.get(key) !== client)
          : keys;
        if (own.length > 0) this.#send(client, own);
      }
      state.changed.clear();
    }
  }

  /**
   * Sends every tracking client a flush message and clears the key table, once
   * per FLUSHDB or FLUSHALL. SWAPDB changes no key name, so it sends nothing.
   */
  databaseModified(): void {
    if (this.clients.size === 0 || this.#flushSent) return;
    if (this.#command?.name === 'swapdb') return;
    this.#flushSent = true;
    if (this.#command === null) queueMicrotask(() => (this.#flushSent = false));
    for (const client of this.clients) {
      if (client === this.#current) this.#pending.push(null);
      else this.#send(client, null);
    }
    this.#keys.clear();
    this.#items = 0;
  }

  /**
   * Writes one invalidation for `target`: a RESP3 push to it or its redirect
   * client, or a pub/sub message on __redis__:invalidate to a RESP2 redirect
   * client that has a subscription. A RESP2 client without one gets nothing.
   */
  #send(target: Client, keys: string | string[] | null): void {
    const settings = target.tracking;
    if (settings === null) return;
    let receiver = target;
    if (settings.redirect !== 0) {
      const found = this.#server.clients.get(settings.redirect);
      if (found === undefined) {
        settings.brokenRedirect = true;
        if (target.resp === 3) deliver(target, brokenRedirectFrame(settings.redirect));
        return;
      }
      receiver = found;
    }
    let header: string;
    if (receiver.resp === 3) header = `>2\r\n${bulk(INVALIDATE)}`;
    else if (settings.redirect !== 0 && receiver.subscriptionCount > 0) {
      header = `*3\r\n${bulk('message')}${bulk(CHANNEL)}`;
    } else return;
    deliver(receiver, Buffer.from(header + payload(keys, target.resp), 'latin1'));
  }
}

/** Checks whether a client's next reads are remembered, by its mode and CLIENT CACHING. */
function rememberingReads(client: Client): boolean {
  const settings = client.tracking;
  if (settings === null || settings.bcast) return false;
  if (settings.optIn) return settings.caching;
  if (settings.optOut) return !settings.caching;
  return true;
}

function bulk(text: string): string {
  return `$${text.length}\r\n${text}\r\n`;
}

/**
 * Encodes the invalidated keys as an array, or a null for a flush. The null takes
 * the tracking client's protocol even when a redirect client receives it,
 * as Redis 7.0 does.
 */
function payload(keys: string | string[] | null, resp: 2 | 3): string {
  if (keys === null) return resp === 3 ? '_\r\n' : '$-1\r\n';
  if (typeof keys === 'string') return `*1\r\n${bulk(keys)}`;
  let text = `*${keys.length}\r\n`;
  for (const key of keys) text += bulk(key);
  return text;
}

function brokenRedirectFrame(redirect: number): Buffer {
  return Buffer.from(`>2\r\n${bulk('tracking-redir-broken')}:${redirect}\r\n`, 'latin1');
}

function deliver(client: Client, frame: Buffer): void {
  client.writer.raw(frame);
  client.transport.flushSoon();
}
