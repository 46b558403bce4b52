/**
 * ACL checks for the Memcached port. Each memcached command is checked as the
 * Redis command with the same effect (get as GET, set as SET, delete as DEL,
 * incr as INCRBY, touch as EXPIRE, flush_all as FLUSHDB), on the same keys, for
 * the user the connection authenticated as, so key patterns, command rules and
 * roles apply to memcached clients as they do on the Redis port.
 */
import { Client, type Transport } from '../../engine/client';
import type { RegisteredCommand } from '../../engine/command';
import type { Server } from '../../engine/server';
import { parseFlags } from './numbers';

const NO_SOCKET: Transport = {
  flushSoon: () => undefined,
  close: () => undefined,
  resume: () => undefined,
  remoteAddress: '',
  localAddress: '',
};

interface Mapping {
  /** The Redis command whose permission the memcached command needs. */
  command: string;
  /** Index of the first key among the tokens; every later token is a key when `allKeys`. */
  firstKey: number;
  allKeys?: boolean;
  /** Index of the data block length, for commands followed by a data block. */
  dataLength?: number;
}

const MAPPINGS: ReadonlyMap<string, Mapping> = new Map([
  ['get', { command: 'get', firstKey: 1, allKeys: true }],
  ['gets', { command: 'get', firstKey: 1, allKeys: true }],
  ['gat', { command: 'getex', firstKey: 2, allKeys: true }],
  ['gats', { command: 'getex', firstKey: 2, allKeys: true }],
  ['mg', { command: 'get', firstKey: 1 }],
  ['me', { command: 'get', firstKey: 1 }],
  ['set', { command: 'set', firstKey: 1, dataLength: 4 }],
  ['add', { command: 'set', firstKey: 1, dataLength: 4 }],
  ['replace', { command: 'set', firstKey: 1, dataLength: 4 }],
  ['append', { command: 'set', firstKey: 1, dataLength: 4 }],
  ['prepend', { command: 'set', firstKey: 1, dataLength: 4 }],
  ['cas', { command: 'set', firstKey: 1, dataLength: 4 }],
  ['ms', { command: 'set', firstKey: 1, dataLength: 2 }],
  ['delete', { command: 'del', firstKey: 1 }],
  ['md', { command: 'del', firstKey: 1 }],
  ['incr', { command: 'incrby', firstKey: 1 }],
  ['decr', { command: 'incrby', firstKey: 1 }],
  ['ma', { command: 'incrby', firstKey: 1 }],
  ['touch', { command: 'expire', firstKey: 1 }],
  ['flush_all', { command: 'flushdb', firstKey: 0 }],
]);

/** The outcome of a check: allowed, or the bytes of data to skip after refusing. */
export type PermissionResult = { allowed: true } | { allowed: false; dataLength: number };

const ALLOWED: PermissionResult = { allowed: true };

/** Arguments in the shape the Redis command's key positions expect. */
function redisArgs(command: string, key: string): string[] {
  if (command === 'set' || command === 'incrby' || command === 'expire') {
    return [command, key, '0'];
  }
  return [command, key];
}

/** Checks memcached commands against one user's ACL rules. */
export class MemcachePermissions {
  readonly #server: Server;
  readonly #client: Client;

  constructor(server: Server, user: string, remoteAddress: string) {
    this.#server = server;
    const transport = { ...NO_SOCKET, remoteAddress };
    this.#client = new Client(server, transport, 0, true);
    this.#client.user = user;
    this.#client.authenticated = true;
  }

  /** Checks one command line; any key the user may not touch denies the whole command. */
  check(tokens: readonly string[]): PermissionResult {
    if (!this.#server.security.acl.restricted) return ALLOWED;
    const mapping = MAPPINGS.get(tokens[0]);
    if (mapping === undefined) return ALLOWED;
    const spec = this.#server.commands.get(mapping.command) as RegisteredCommand | undefined;
    if (spec === undefined) return ALLOWED;
    if (!this.#allows(tokens, mapping, spec)) return denial(tokens, mapping);
    return ALLOWED;
  }

  #allows(tokens: readonly string[], mapping: Mapping, spec: RegisteredCommand): boolean {
    const acl = this.#server.security.acl;
    const command = mapping.command;
    const first = mapping.firstKey;
    if (first === 0 || tokens.length <= first) {
      return acl.check(this.#client, spec, [command]) === null;
    }
    const last = mapping.allKeys ? tokens.length - 1 : first;
    let allowed = true;
    // Every key is checked, even after a denial, so ACL LOG records each denied key.
    for (let i = first; i <= last; i++) {
      if (acl.check(this.#client, spec, redisArgs(command, tokens[i])) !== null) allowed = false;
    }
    return allowed;
  }
}

/** Builds the refusal of a command, with the size of the data block that follows it, if any. */
function denial(tokens: readonly string[], mapping: Mapping): PermissionResult {
  const length =
    mapping.dataLength === undefined ? null : parseFlags(tokens[mapping.dataLength] ?? '');
  return { allowed: false, dataLength: length === null ? 0 : length + 2 };
}
