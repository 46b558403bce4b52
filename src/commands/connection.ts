/** Connection commands: PING, ECHO, QUIT, RESET, SELECT, AUTH, HELLO. */
import { command, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR, wrongArity } from '../engine/errors';
import { authenticate } from '../security/authentication';
import { REDIS_COMPATIBLE_VERSION } from '../version';
import { parseInteger } from './arguments';

/** PING [message]: PONG, or the message; in RESP2 pub/sub mode a `pong` push. */
function ping(client: Client, args: string[]): void {
  if (args.length > 2) throw new CommandError(wrongArity('ping'));
  const reply = client.reply;
  if (client.resp === 2 && client.subscriptionCount > 0) {
    reply.array(2);
    reply.bulk('pong');
    reply.bulk(args[1] ?? '');
    return;
  }
  if (args.length === 2) reply.bulk(args[1]);
  else reply.simple('PONG');
}

/** QUIT: OK, then the connection closes once the reply is sent. */
function quit(client: Client): void {
  client.reply.ok();
  client.closing = true;
}

/** SELECT index: switches the client's database. */
function select(client: Client, args: string[]): void {
  const index = parseInteger(args[1]);
  if (index < 0 || index >= client.server.databases.length) {
    throw new CommandError(ERR.dbIndexOutOfRange);
  }
  client.db = client.server.databases[index];
  client.reply.ok();
}

/**
 * AUTH [username] password: logs the client in as an ACL user; OK, or
 * WRONGPASS (delayed after repeated failures from the same address).
 */
function auth(client: Client, args: string[]): void {
  const server = client.server;
  const user = args.length === 3 ? args[1] : 'default';
  const password = args[args.length - 1];
  if (args.length === 2 && server.security.acl.users.get('default')?.nopass === true) {
    throw new CommandError(ERR.authNotConfigured);
  }
  if (authenticate(client, user, password, args[0])) client.reply.ok();
}

/** Writes HELLO's map describing the server and this connection. */
function writeHelloMap(client: Client): void {
  const reply = client.reply;
  reply.map(7);
  reply.bulk('server');
  reply.bulk('redis');
  reply.bulk('version');
  reply.bulk(REDIS_COMPATIBLE_VERSION);
  reply.bulk('proto');
  reply.int(client.resp);
  reply.bulk('id');
  reply.int(client.id);
  reply.bulk('mode');
  reply.bulk('standalone');
  reply.bulk('role');
  reply.bulk('master');
  reply.bulk('modules');
  reply.array(0);
}

interface HelloOptions {
  version: 2 | 3 | null;
  auth: [string, string] | null;
  name: string | null;
}

function parseHello(args: string[]): HelloOptions {
  const options: HelloOptions = { version: null, auth: null, name: null };
  let i = 1;
  if (args.length > 1) {
    const version = parseInteger(args[1], 'ERR Protocol version is not an integer or out of range');
    if (version !== 2 && version !== 3) throw new CommandError(ERR.protocolVersion);
    options.version = version;
    i = 2;
  }
  for (; i < args.length; i++) {
    const option = args[i].toUpperCase();
    const left = args.length - i - 1;
    if (option === 'AUTH' && left >= 2) {
      options.auth = [args[i + 1], args[i + 2]];
      i += 2;
    } else if (option === 'SETNAME' && left >= 1) {
      options.name = args[i + 1];
      i += 1;
    } else {
      throw new CommandError(`ERR Syntax error in HELLO option '${args[i]}'`);
    }
  }
  return options;
}

/** HELLO [protover [AUTH user pass] [SETNAME name]]: switches protocol, replies server info. */
function hello(client: Client, args: string[]): void {
  const options = parseHello(args);
  if (options.auth !== null) {
    const [user, password] = options.auth;
    // A failure reply that waits out the brute-force delay is sent by authenticate.
    if (!authenticate(client, user, password, args[0])) return;
  }
  if (!client.authenticated) {
    throw new CommandError(
      'NOAUTH HELLO must be called with the client already authenticated, ' +
        'otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the ' +
        'client and select the RESP protocol version at the same time',
    );
  }
  if (options.name !== null) {
    if (!isValidClientName(options.name)) throw new CommandError(ERR.clientNameSpaces);
    client.name = options.name;
  }
  if (options.version !== null) client.resp = options.version;
  writeHelloMap(client);
}

/** Whether a client name has only printable characters other than the space. */
export function isValidClientName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const code = name.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}

/** Hooks run by RESET to drop per-client state kept by other command families. */
export const resetHooks: ((client: Client) => void)[] = [];

/** RESET: back to a fresh connection's state (db 0, RESP2, no name, not in MULTI). */
function reset(client: Client): void {
  for (const hook of resetHooks) hook(client);
  client.transaction = null;
  client.db = client.server.databases[0];
  client.resp = 2;
  client.name = '';
  client.authenticated = !client.server.requiresAuthentication();
  client.user = 'default';
  client.reply.simple('RESET');
}

export const connectionCommands: RegisteredCommand[] = [
  command({
    name: 'ping',
    arity: -1,
    flags: ['fast'],
    categories: ['connection'],
    group: 'connection',
    summary: 'Returns PONG, or the given message.',
    handler: ping,
  }),
  command({
    name: 'echo',
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    categories: ['connection'],
    group: 'connection',
    summary: 'Returns the given string.',
    handler: (client, args) => client.reply.bulk(args[1]),
  }),
  command({
    name: 'quit',
    arity: -1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    categories: ['connection'],
    group: 'connection',
    summary: 'Closes the connection.',
    handler: quit,
  }),
  command({
    name: 'select',
    arity: 2,
    flags: ['loading', 'stale', 'fast'],
    categories: ['connection'],
    group: 'connection',
    summary: 'Changes the selected database.',
    handler: select,
  }),
  command({
    name: 'auth',
    arity: -2,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    categories: ['connection'],
    group: 'connection',
    since: '1.0.0',
    summary: 'Authenticates the connection.',
    handler: (client, args) => {
      if (args.length > 3) throw new CommandError(ERR.syntax);
      auth(client, args);
    },
  }),
  command({
    name: 'hello',
    arity: -1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    categories: ['connection'],
    group: 'connection',
    since: '6.0.0',
    summary: 'Handshakes with the server: protocol version, authentication, name.',
    handler: hello,
  }),
  command({
    name: 'reset',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast', 'no_auth', 'allow_busy'],
    categories: ['connection'],
    group: 'connection',
    since: '6.2.0',
    summary: 'Resets the connection to its initial state.',
    handler: reset,
  }),
];
