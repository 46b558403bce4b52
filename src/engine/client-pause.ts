/**
 * CLIENT PAUSE: while a pause lasts, requests it covers wait in their
 * connection (the request and everything after it) and run, in arrival
 * order, once it ends by timeout or CLIENT UNPAUSE. WRITE covers commands
 * that may change data or replicate (the write and may_replicate flags, and
 * EXEC of such commands); ALL covers every command. Eviction and active
 * expiry wait too, so the dataset holds still.
 */
import type { Client } from './client';
import type { RegisteredCommand } from './command';
import type { Server } from './server';

export type PauseMode = 'write' | 'all';

interface PausedRequest {
  client: Client;
  args: string[];
}

function changesData(spec: RegisteredCommand): boolean {
  return spec.isWrite || spec.flags.includes('may_replicate');
}

/** The pause state of one server. */
export class ClientPause {
  #mode: PauseMode | null = null;
  #endsAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #waiting: PausedRequest[] = [];
  readonly #rerun: (client: Client, args: string[]) => void;

  constructor(server: Server, rerun: (client: Client, args: string[]) => void) {
    this.#rerun = rerun;
    server.clientGoneHooks.push((client) => {
      this.#waiting = this.#waiting.filter((request) => request.client !== client);
    });
  }

  /** Whether a pause is in force now. */
  get active(): boolean {
    return this.#mode !== null && Date.now() < this.#endsAt;
  }

  /**
   * Starts or extends a pause until `endsAt` (Unix ms). As in Redis, when
   * pauses overlap the stricter mode and the later end win.
   */
  pause(mode: PauseMode, endsAt: number): void {
    if (this.#mode === null) pausedServers++;
    if (this.#mode !== 'all') this.#mode = mode;
    this.#endsAt = Math.max(endsAt, this.#endsAt);
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.unpause(), Math.max(0, this.#endsAt - Date.now()));
  }

  /** Ends the pause and runs the requests that waited, in arrival order. */
  unpause(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#mode !== null) pausedServers--;
    this.#mode = null;
    this.#endsAt = 0;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const { client, args } of waiting) {
      client.blocked = false;
      this.#rerun(client, args);
      if (!client.blocked) client.transport.resume();
    }
  }

  /**
   * Holds a request when the pause covers it: the client stops running
   * requests until the pause ends. Returns whether it was held.
   */
  holds(client: Client, spec: RegisteredCommand, args: string[]): boolean {
    if (this.#mode === null || client.internal) return false;
    if (Date.now() >= this.#endsAt) {
      this.unpause();
      return false;
    }
    if (this.#mode === 'write' && !this.#writes(client, spec)) return false;
    client.blocked = true;
    this.#waiting.push({ client, args });
    return true;
  }

  #writes(client: Client, spec: RegisteredCommand): boolean {
    if (changesData(spec)) return true;
    if (spec.name !== 'exec' || client.transaction === null) return false;
    return client.transaction.queued.some((queued) => changesData(queued.command));
  }
}

const pauses = new WeakMap<Server, ClientPause>();
/** Servers with a pause in force; while 0 the gate skips the pause check. */
let pausedServers = 0;

/** Whether any server in this process is paused: a cheap test before `holds`. */
export function anyPause(): boolean {
  return pausedServers > 0;
}

/** Returns the pause state of a server, creating it on first use. */
export function clientPauseOf(
  server: Server,
  rerun: (client: Client, args: string[]) => void,
): ClientPause {
  let pause = pauses.get(server);
  if (pause === undefined) {
    pause = new ClientPause(server, rerun);
    pauses.set(server, pause);
  }
  return pause;
}

/** Whether a server has a pause in force, for eviction and active expiry to wait. */
export function isPaused(server: Server): boolean {
  return pauses.get(server)?.active ?? false;
}
