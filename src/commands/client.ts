/**
 * CLIENT subcommands: the connection's identity (ID, SETNAME, GETNAME,
 * SETINFO), inspection of every connection (LIST, INFO) and closing them
 * (KILL).
 */
import { command, type CommandFlag, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { clientPause } from '../engine/dispatch';
import { CommandError, ERR } from '../engine/errors';
import type { Server } from '../engine/server';
import { toBigInt64 } from './arguments';
import { writeSubcommandHelp } from './command-info';
import { clientUnblockSubcommands } from './client-unblock';
import { clientTrackingSubcommands, trackingRedirect } from './client-tracking';
import { isValidClientName } from './connection';

/** The client types CLIENT LIST TYPE and CLIENT KILL TYPE select by. */
export type ClientType = 'normal' | 'replica' | 'pubsub' | 'master';

const CLIENT_TYPE_NAMES: Record<string, ClientType> = {
  normal: 'normal',
  slave: 'replica',
  replica: 'replica',
  pubsub: 'pubsub',
  master: 'master',
};

/** Reads a client type name; raises Redis's error for an unknown one. */
export function parseClientType(name: string): ClientType {
  const type = CLIENT_TYPE_NAMES[name.toLowerCase()];
  if (type === undefined) throw new CommandError(ERR.unknownClientType(name));
  return type;
}

/**
 * Returns the type of a client: pubsub while it has a subscription, else normal.
 * NOTE: replication is not implemented, so no client is a replica or master.
 */
export function clientTypeOf(client: Client): ClientType {
  return client.subscriptionCount > 0 ? 'pubsub' : 'normal';
}

/** Checks whether a client came over loopback or a unix socket, for the `local` modes. */
export function isLocalClient(client: Client): boolean {
  const address = client.transport.remoteAddress;
  if (address.startsWith('/')) return true;
  const host = address.slice(0, address.lastIndexOf(':'));
  return host.startsWith('127.') || host === '::1' || host === '[::1]';
}

/** Returns the `flags=` letters of CLIENT LIST in Redis's order, or N when none applies. */
function clientFlags(client: Client): string {
  let flags = '';
  if (client.subscriptionCount > 0) flags += 'P';
  if (client.transaction !== null) flags += 'x';
  if (client.blocked) flags += 'b';
  if (client.tracking !== null) flags += 't';
  if (client.tracking?.brokenRedirect) flags += 'R';
  if (client.tracking?.bcast) flags += 'B';
  if (client.watching !== null && client.watchedKeyChanged) flags += 'd';
  if (client.closing) flags += 'c';
  if (client.transport.localAddress.startsWith('/')) flags += 'U';
  if (client.noEvict) flags += 'e';
  if (client.noTouch) flags += 'T';
  return flags === '' ? 'N' : flags;
}

function argumentBytes(args: readonly string[]): number {
  let total = 0;
  for (const arg of args) total += arg.length;
  return total;
}

function queuedBytes(client: Client): number {
  let total = 0;
  for (const queued of client.transaction?.queued ?? []) total += argumentBytes(queued.args);
  return total;
}

/**
 * Formats one CLIENT LIST line with Redis 7.0's fields, in its order.
 * `currentArgs` are the arguments of the request running for `client`, if any.
 * NOTE: buffer fields are estimates: `qbuf`, `fd` and `omem` come from the
 * connection when it reports them (0 or -1 otherwise), `qbuf-free` and `oll`
 * are always 0, and `rbp` is the reply buffer's current use, not its peak.
 */
export function clientInfoLine(client: Client, currentArgs: readonly string[] = []): string {
  const now = Date.now();
  const transport = client.transport;
  const queryBuffer = transport.queryBufferLength ?? 0;
  const argvMemory = argumentBytes(currentArgs);
  const multiMemory = queuedBytes(client);
  const replyBufferSize = client.writer.buffer.length;
  const outputMemory = transport.pendingOutputBytes ?? 0;
  const fields: [string, string | number][] = [
    ['id', client.id],
    ['addr', transport.remoteAddress],
    ['laddr', transport.localAddress],
    ['fd', transport.fd ?? -1],
    ['name', client.name],
    ['age', Math.floor((now - client.createdAt) / 1000)],
    ['idle', Math.floor((now - client.lastInteraction) / 1000)],
    ['flags', clientFlags(client)],
    ['db', client.db.id],
    ['sub', client.channels?.size ?? 0],
    ['psub', client.patterns?.size ?? 0],
    ['ssub', client.shardChannels?.size ?? 0],
    ['multi', client.transaction === null ? -1 : client.transaction.queued.length],
    ['qbuf', queryBuffer],
    ['qbuf-free', 0],
    ['argv-mem', argvMemory],
    ['multi-mem', multiMemory],
    ['rbs', replyBufferSize],
    ['rbp', client.writer.length],
    ['obl', client.writer.length],
    ['oll', 0],
    ['omem', outputMemory],
    ['tot-mem', queryBuffer + argvMemory + multiMemory + replyBufferSize + outputMemory],
    ['events', outputMemory > 0 ? 'rw' : 'r'],
    ['cmd', client.lastCommand],
    ['user', client.user],
    ['redir', trackingRedirect(client)],
    ['resp', client.resp],
  ];
  return fields.map(([name, value]) => `${name}=${value}`).join(' ');
}

/** CLIENT ID: the connection's unique id. */
function clientId(client: Client): void {
  client.reply.int(client.id);
}

/** CLIENT SETNAME name: names the connection; an empty name removes it. */
function clientSetName(client: Client, args: string[]): void {
  if (!isValidClientName(args[2]) && args[2] !== '') {
    throw new CommandError(ERR.clientNameSpaces);
  }
  client.name = args[2];
  client.reply.ok();
}

/** CLIENT GETNAME: the connection's name, or nil when it has none. */
function clientGetName(client: Client): void {
  if (client.name === '') client.reply.nil();
  else client.reply.bulk(client.name);
}

/**
 * CLIENT SETINFO LIB-NAME|LIB-VER value: records the client library's name
 * or version (an empty value removes it). Redis 7.2 added this command;
 * ioredis and node-redis send it on connect.
 */
function clientSetInfo(client: Client, args: string[]): void {
  const attribute = args[2].toLowerCase();
  if (attribute !== 'lib-name' && attribute !== 'lib-ver') {
    throw new CommandError(ERR.unrecognizedOption(args[2]));
  }
  const value = args[3];
  if (value !== '' && !isValidClientName(value)) {
    throw new CommandError(ERR.clientAttributeSpaces(args[2]));
  }
  if (attribute === 'lib-name') client.libraryName = value;
  else client.libraryVersion = value;
  client.reply.ok();
}

/** Reads the ON|OFF argument of NO-EVICT and NO-TOUCH. */
function parseOnOff(text: string): boolean {
  const lower = text.toLowerCase();
  if (lower === 'on') return true;
  if (lower === 'off') return false;
  throw new CommandError(ERR.syntax);
}

/** CLIENT NO-EVICT ON|OFF: exempts the connection from client eviction. */
function clientNoEvict(client: Client, args: string[]): void {
  client.noEvict = parseOnOff(args[2]);
  client.reply.ok();
}

/** CLIENT NO-TOUCH ON|OFF (Redis 7.2): the connection's reads leave keys' access time alone. */
function clientNoTouch(client: Client, args: string[]): void {
  client.noTouch = parseOnOff(args[2]);
  client.reply.ok();
}

/** CLIENT INFO: the CLIENT LIST line of this connection. */
function clientInfo(client: Client, args: string[]): void {
  client.reply.verbatim(`${clientInfoLine(client, args)}\n`);
}

/** Reads the options of CLIENT LIST: `TYPE type`, or `ID id...`, or none. */
function selectListedClients(client: Client, args: string[]): Client[] {
  const server = client.server;
  if (args.length === 2) return [...server.clients.values()];
  const option = args[2].toLowerCase();
  if (option === 'type' && args.length === 4) {
    const type = parseClientType(args[3]);
    return [...server.clients.values()].filter((other) => clientTypeOf(other) === type);
  }
  if (option !== 'id' || args.length < 4) throw new CommandError(ERR.syntax);
  const ids: bigint[] = [];
  for (const text of args.slice(3)) {
    const id = toBigInt64(text);
    if (id === null) throw new CommandError(ERR.invalidClientId);
    ids.push(id);
  }
  const listed: Client[] = [];
  for (const id of ids) {
    const found =
      id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) && server.clients.get(Number(id));
    if (found) listed.push(found);
  }
  return listed;
}

/** CLIENT LIST [TYPE type | ID id...]: one line per selected connection. */
function clientList(client: Client, args: string[]): void {
  const lines = selectListedClients(client, args).map((listed) => {
    const current = listed === client ? args : [];
    return `${clientInfoLine(listed, current)}\n`;
  });
  client.reply.verbatim(lines.join(''));
}

/** The filters of the CLIENT KILL option form; undefined fields match any client. */
interface KillFilter {
  id?: number;
  type?: ClientType;
  addr?: string;
  laddr?: string;
  user?: string;
  skipMe: boolean;
}

/** Checks whether an ACL user exists, for CLIENT KILL USER. */
function userExists(server: Server, name: string): boolean {
  return server.security.acl.users.has(name);
}

function parseKillId(text: string): number {
  const id = toBigInt64(text);
  if (id === null || id <= 0n) throw new CommandError(ERR.clientIdNotPositive);
  return id > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(id);
}

/** Applies one `option value` pair of CLIENT KILL to the filter. */
function applyKillOption(server: Server, filter: KillFilter, option: string, value: string): void {
  switch (option.toLowerCase()) {
    case 'id':
      filter.id = parseKillId(value);
      return;
    case 'type':
      filter.type = parseClientType(value);
      return;
    case 'addr':
      filter.addr = value;
      return;
    case 'laddr':
      filter.laddr = value;
      return;
    case 'user':
      if (!userExists(server, value)) throw new CommandError(ERR.noSuchUser(value));
      filter.user = value;
      return;
    case 'skipme': {
      const lower = value.toLowerCase();
      if (lower !== 'yes' && lower !== 'no') throw new CommandError(ERR.syntax);
      filter.skipMe = lower === 'yes';
      return;
    }
    default:
      throw new CommandError(ERR.syntax);
  }
}

function parseKillFilter(server: Server, args: string[]): KillFilter {
  const filter: KillFilter = { skipMe: true };
  for (let i = 2; i < args.length; i += 2) {
    if (i + 1 >= args.length) throw new CommandError(ERR.syntax);
    applyKillOption(server, filter, args[i], args[i + 1]);
  }
  return filter;
}

function matchesKillFilter(filter: KillFilter, target: Client, self: Client): boolean {
  if (filter.skipMe && target === self) return false;
  if (filter.id !== undefined && target.id !== filter.id) return false;
  if (filter.type !== undefined && clientTypeOf(target) !== filter.type) return false;
  if (filter.addr !== undefined && target.transport.remoteAddress !== filter.addr) return false;
  if (filter.laddr !== undefined && target.transport.localAddress !== filter.laddr) return false;
  return filter.user === undefined || target.user === filter.user;
}

/** Closes a connection once its pending replies are sent. */
function killClient(server: Server, target: Client): void {
  server.logger.info({ client: target.id, addr: target.transport.remoteAddress }, 'client killed');
  target.transport.close();
}

/**
 * CLIENT KILL addr: closes the connection from that address; OK, or an
 * error when there is none.
 * CLIENT KILL option value [...]: closes every matching connection (but the
 * caller's unless SKIPME no); replies how many.
 */
function clientKill(client: Client, args: string[]): void {
  const server = client.server;
  if (args.length === 3) {
    const target = [...server.clients.values()].find(
      (other) => other.transport.remoteAddress === args[2],
    );
    if (target === undefined) throw new CommandError(ERR.noSuchClient);
    client.reply.ok();
    killClient(server, target);
    return;
  }
  const filter = parseKillFilter(server, args);
  const targets = [...server.clients.values()].filter((other) =>
    matchesKillFilter(filter, other, client),
  );
  client.reply.int(targets.length);
  for (const target of targets) killClient(server, target);
}

/**
 * CLIENT PAUSE timeout [WRITE|ALL]: holds other requests (those that may
 * write, or all) for `timeout` milliseconds; OK. The caller is held too.
 */
function clientPauseCommand(client: Client, args: string[]): void {
  if (args.length > 4) throw new CommandError(ERR.clientSubcommandSyntax(args[1]));
  const timeout = toBigInt64(args[2]);
  if (timeout === null) throw new CommandError(ERR.pauseTimeoutNotInteger);
  if (timeout < 0n) throw new CommandError(ERR.pauseTimeoutNegative);
  let mode: 'write' | 'all' = 'all';
  if (args.length === 4) {
    const word = args[3].toLowerCase();
    if (word !== 'write' && word !== 'all') throw new CommandError(ERR.pauseMode);
    mode = word;
  }
  const endsAt = Date.now() + Number(timeout < 2n ** 52n ? timeout : 2n ** 52n);
  clientPause(client.server).pause(mode, Math.min(endsAt, Number.MAX_SAFE_INTEGER));
  client.reply.ok();
}

/** CLIENT UNPAUSE: ends a pause; the held requests run in arrival order. OK. */
function clientUnpause(client: Client): void {
  clientPause(client.server).unpause();
  client.reply.ok();
}

const CLIENT_HELP = [
  'GETNAME',
  '    Reply with the name of this connection.',
  'CACHING (YES|NO)',
  "    In OPTIN mode, track the keys of the next command (YES); in OPTOUT mode, don't (NO).",
  'GETREDIR',
  '    Reply with the client id that tracking messages go to (0: this client, -1: none).',
  'ID',
  '    Reply with the id of this connection.',
  'INFO',
  '    Reply with the CLIENT LIST line of this connection.',
  'KILL <ip:port>',
  '    Close the connection from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Close every connection that matches all the options:',
  '    * ID <client-id>',
  '    * ADDR <ip:port>: the connection comes from this address.',
  '    * LADDR <ip:port>: the connection goes to this local address.',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '    * USER <username>: the connection is logged in as this user.',
  '    * SKIPME (YES|NO): leave this connection open (default: yes).',
  'LIST [TYPE (NORMAL|MASTER|REPLICA|PUBSUB) | ID <client-id> [...]]',
  '    Reply with one line about each connection, or each selected one.',
  'REPLY (ON|OFF|SKIP)',
  '    Turn replies on (ON), off until turned on (OFF), or off for the next command (SKIP).',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Hold requests for <timeout> milliseconds: those that may write (WRITE),',
  '    or all of them (ALL, the default).',
  'UNPAUSE',
  '    End a pause; the held requests run.',
  'NO-EVICT (ON|OFF)',
  '    Exempt this connection from client eviction, or stop exempting it.',
  'NO-TOUCH (ON|OFF)',
  "    Keep the commands of this connection from updating keys' access time.",
  'SETINFO <LIB-NAME|LIB-VER> <value>',
  '    Record the name or version of the client library.',
  'SETNAME <name>',
  '    Name this connection; an empty name removes the name.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]] [OPTIN] [OPTOUT] [NOLOOP]',
  '    Turn client-side caching on or off. Invalidations go to the client <id> with',
  '    REDIRECT; BCAST sends them for every key under the prefixes; OPTIN and OPTOUT',
  '    track keys only after CLIENT CACHING YES, or except after CLIENT CACHING NO;',
  '    NOLOOP leaves out the keys this connection changed itself.',
  'TRACKINGINFO',
  '    Reply with the tracking flags, redirect id and prefixes of this connection.',
];

const ADMIN: CommandFlag[] = ['admin', 'noscript', 'loading', 'stale'];
const PLAIN: CommandFlag[] = ['noscript', 'loading', 'stale'];

function sub(
  name: string,
  arity: number,
  flags: CommandFlag[],
  since: string,
  summary: string,
  handler: (client: Client, args: string[]) => void,
  complexity = 'O(1)',
): RegisteredCommand {
  return command({
    name: `client|${name}`,
    arity,
    flags,
    categories: ['connection'],
    group: 'connection',
    since,
    summary,
    complexity,
    handler,
  });
}

const PER_CLIENT = 'O(N) where N is the number of client connections';

export const clientCommands: RegisteredCommand[] = [
  command({
    name: 'client',
    arity: -2,
    group: 'connection',
    since: '2.4.0',
    summary: 'Inspects and manages client connections.',
    complexity: 'Depends on subcommand.',
    handler: () => undefined,
    subcommands: [
      ...clientUnblockSubcommands,
      sub('id', 2, PLAIN, '5.0.0', 'Returns the id of the connection.', clientId),
      sub('setname', 3, PLAIN, '2.6.9', 'Names the connection.', clientSetName),
      sub('getname', 2, PLAIN, '2.6.9', 'Returns the name of the connection.', clientGetName),
      sub(
        'setinfo',
        4,
        PLAIN,
        '7.2.0',
        'Records the client library name or version.',
        clientSetInfo,
      ),
      sub('info', 2, PLAIN, '6.2.0', 'Describes the connection.', clientInfo),
      sub('list', -2, ADMIN, '2.4.0', 'Describes every client connection.', clientList, PER_CLIENT),
      sub('kill', -3, ADMIN, '2.4.0', 'Closes client connections.', clientKill, PER_CLIENT),
      sub(
        'no-evict',
        3,
        ADMIN,
        '7.0.0',
        'Exempts the connection from client eviction.',
        clientNoEvict,
      ),
      sub(
        'no-touch',
        3,
        PLAIN,
        '7.2.0',
        "Keeps the connection's commands from updating " + 'key access times.',
        clientNoTouch,
      ),
      sub('pause', -3, ADMIN, '2.9.50', 'Holds requests for a time.', clientPauseCommand),
      sub(
        'unpause',
        2,
        ADMIN,
        '6.2.0',
        'Ends a pause.',
        clientUnpause,
        'O(N) where N is the number of paused clients',
      ),
      ...clientTrackingSubcommands,
      sub('help', 2, ['loading', 'stale'], '5.0.0', 'Describes the CLIENT subcommands.', (client) =>
        writeSubcommandHelp(client, 'CLIENT', CLIENT_HELP),
      ),
    ],
  }),
];
