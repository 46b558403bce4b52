/**
 * The ACL command: users (SETUSER, GETUSER, DELUSER, LIST, USERS, WHOAMI),
 * categories (CAT), denials (LOG, DRYRUN), passwords (GENPASS), the ACL file
 * (SAVE, LOAD) and Damselfly's roles (ROLE SET, ROLE DEL, ROLE LIST).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { command, type CommandFlag, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { arityMatches } from '../engine/command';
import { CommandError, ERR, wrongArity } from '../engine/errors';
import { AclError } from '../security/acl';
import { buildDefinitions, byName, formatAclFile, splitAclText } from '../security/acl-file';
import { ACL_CATEGORIES } from '../security/command-index';
import { describeChannels, describeCommands, describeKeys } from '../security/describe';
import { formatRateLimit } from '../security/rate-limit';
import {
  ACL_OK,
  DENIED_CHANNEL,
  DENIED_KEY,
  lastDeniedIndex,
  type Selector,
} from '../security/selector';
import type { User } from '../security/user';
import { parseInteger } from './arguments';
import { writeSubcommandHelp } from './command-info';
import { aclRoleCommand } from './acl-role';

/** Runs an ACL change, turning a rejected rule into its error reply. */
export function applyAclChange(change: () => void): void {
  try {
    change();
  } catch (error) {
    if (error instanceof AclError) throw new CommandError(error.message);
    throw error;
  }
}

/** Replaces password rules with a placeholder, so that the audit log holds no secret. */
export function redactRules(rules: readonly string[]): string[] {
  return rules.map((rule) => (/^[<>#!]/.test(rule) ? `${rule[0]}<redacted>` : rule));
}

/** ACL SETUSER name [rule ...]: creates or changes a user, all rules or none; OK. */
function aclSetUser(client: Client, args: string[]): void {
  const name = args[2];
  applyAclChange(() => client.server.security.acl.setUser(name, args.slice(3)));
  client.server.security.audit?.record('acl.setuser', {
    by: client.user,
    addr: client.transport.remoteAddress,
    user: name,
    rules: redactRules(args.slice(3)),
  });
  client.reply.ok();
}

function writeSelectorMap(client: Client, selector: Selector): void {
  const reply = client.reply;
  reply.map(3);
  reply.bulk('commands');
  reply.bulk(describeCommands(selector));
  reply.bulk('keys');
  reply.bulk(describeKeys(selector));
  reply.bulk('channels');
  reply.bulk(describeChannels(selector));
}

/**
 * ACL GETUSER name: the user's flags, password hashes, commands, keys,
 * channels and selectors, as Redis 7.0 shows them; `roles` and `ratelimit`
 * are added only for users that have them. Nil for an unknown user.
 */
function aclGetUser(client: Client, args: string[]): void {
  const user = client.server.security.acl.users.get(args[2]);
  const reply = client.reply;
  if (user === undefined) {
    reply.nil();
    return;
  }
  const extras = (user.roles.length > 0 ? 1 : 0) + (user.rateLimit !== null ? 1 : 0);
  reply.map(6 + extras);
  reply.bulk('flags');
  const flags = user.flags();
  reply.set(flags.length);
  for (const flag of flags) reply.bulk(flag);
  reply.bulk('passwords');
  reply.bulkArray(user.passwords);
  reply.bulk('commands');
  reply.bulk(describeCommands(user.root));
  reply.bulk('keys');
  reply.bulk(describeKeys(user.root));
  reply.bulk('channels');
  reply.bulk(describeChannels(user.root));
  reply.bulk('selectors');
  reply.array(user.selectors.length);
  for (const selector of user.selectors) writeSelectorMap(client, selector);
  if (user.roles.length > 0) {
    reply.bulk('roles');
    reply.bulkArray(user.roles.map((role) => role.name));
  }
  if (user.rateLimit !== null) {
    reply.bulk('ratelimit');
    reply.bulk(formatRateLimit(user.rateLimit));
  }
}

/** ACL DELUSER name [name ...]: deletes users and disconnects their clients; the count. */
function aclDelUser(client: Client, args: string[]): void {
  const names = args.slice(2);
  if (names.includes('default')) throw new CommandError(ERR.aclDeleteDefault);
  const acl = client.server.security.acl;
  let deleted = 0;
  for (const name of names) if (acl.deleteUser(name)) deleted++;
  client.server.security.audit?.record('acl.deluser', {
    by: client.user,
    addr: client.transport.remoteAddress,
    users: names,
    deleted,
  });
  client.reply.int(deleted);
}

function sortedUsers(client: Client): User[] {
  return [...client.server.security.acl.users.values()].sort(byName);
}

/** ACL LIST: one `user NAME rules...` line per user, sorted by name. */
function aclList(client: Client): void {
  client.reply.bulkArray(sortedUsers(client).map((user) => `user ${user.name} ${user.describe()}`));
}

/** ACL USERS: the user names, sorted. */
function aclUsers(client: Client): void {
  client.reply.bulkArray(sortedUsers(client).map((user) => user.name));
}

/** ACL CAT [category]: the categories, or the commands in one. */
function aclCat(client: Client, args: string[]): void {
  if (args.length === 2) {
    client.reply.bulkArray([...ACL_CATEGORIES]);
    return;
  }
  const index = client.server.security.acl.index;
  const ids = index.category(args[2]);
  if (ids === undefined) throw new CommandError(ERR.aclUnknownCategory(args[2]));
  client.reply.bulkArray(ids.map((id) => index.row(id).name));
}

const DEFAULT_LOG_COUNT = 10;

/** ACL LOG [count | RESET]: the newest denials, or OK after clearing them. */
function aclLog(client: Client, args: string[]): void {
  const log = client.server.security.acl.log;
  if (args.length > 3) throw new CommandError(ERR.aclSubcommandSyntax(args[1]));
  if (args.length === 3 && args[2].toLowerCase() === 'reset') {
    log.reset();
    client.reply.ok();
    return;
  }
  const count = args.length === 3 ? parseInteger(args[2]) : DEFAULT_LOG_COUNT;
  const entries = log.entries.slice(0, Math.max(0, count));
  const reply = client.reply;
  const now = Date.now();
  reply.array(entries.length);
  for (const entry of entries) {
    reply.map(10);
    reply.bulk('count');
    reply.int(entry.count);
    reply.bulk('reason');
    reply.bulk(entry.reason);
    reply.bulk('context');
    reply.bulk(entry.context);
    reply.bulk('object');
    reply.bulk(entry.object);
    reply.bulk('username');
    reply.bulk(entry.username);
    reply.bulk('age-seconds');
    reply.double((now - entry.updatedAt) / 1000);
    reply.bulk('client-info');
    reply.bulk(entry.clientInfo);
    reply.bulk('entry-id');
    reply.int(entry.entryId);
    reply.bulk('timestamp-created');
    reply.int(entry.createdAt);
    reply.bulk('timestamp-last-updated');
    reply.int(entry.updatedAt);
  }
}

/**
 * ACL DRYRUN user command [arg ...]: OK when the user may run the request,
 * else a bulk string saying what it may not access. Logs nothing.
 */
function aclDryRun(client: Client, args: string[]): void {
  const server = client.server;
  const acl = server.security.acl;
  const user = acl.users.get(args[2]);
  if (user === undefined) throw new CommandError(ERR.aclUserNotFound(args[2]));
  const request = args.slice(3);
  let spec = server.commands.get(request[0].toLowerCase());
  if (spec === undefined) throw new CommandError(ERR.aclCommandNotFound(request[0]));
  if (!arityMatches(spec.arity, request.length)) throw new CommandError(wrongArity(spec.name));
  if (spec.subcommands !== undefined && request.length > 1) {
    const sub = spec.subcommands.get(request[1].toLowerCase()) as RegisteredCommand | undefined;
    if (sub === undefined) throw new CommandError(ERR.aclCommandNotFound(request[0]));
    if (!arityMatches(sub.arity, request.length)) throw new CommandError(wrongArity(sub.name));
    spec = sub;
  }
  const id = acl.index.idOf(spec);
  let reason = ACL_OK;
  let position = 0;
  for (const selector of user.allSelectors()) {
    const result = selector.check(spec, id, request);
    if (result === ACL_OK) {
      client.reply.ok();
      return;
    }
    if (result > reason || (result === reason && lastDeniedIndex() > position)) {
      reason = result;
      position = lastDeniedIndex();
    }
  }
  client.reply.bulk(dryRunText(reason, spec.name, request[position]));
}

function dryRunText(reason: number, name: string, object: string): string {
  if (reason === DENIED_KEY) return `This user has no permissions to access the '${object}' key`;
  if (reason === DENIED_CHANNEL) {
    return `This user has no permissions to access the '${object}' channel`;
  }
  return `This user has no permissions to run the '${name}' command`;
}

const DEFAULT_PASSWORD_BITS = 256;
const MAX_PASSWORD_BITS = 4096;

/** ACL GENPASS [bits]: a random password of hex digits, 4 bits each (256 bits by default). */
function aclGenPass(client: Client, args: string[]): void {
  const bits = args.length > 2 ? parseInteger(args[2]) : DEFAULT_PASSWORD_BITS;
  if (bits <= 0 || bits > MAX_PASSWORD_BITS) throw new CommandError(ERR.aclGenpassBits);
  const digits = Math.ceil(bits / 4);
  client.reply.bulk(
    randomBytes(Math.ceil(digits / 2))
      .toString('hex')
      .slice(0, digits),
  );
}

/** ACL SAVE: writes every role and user to `aclfile` (mode 0600, replaced atomically); OK. */
function aclSave(client: Client): void {
  const server = client.server;
  const path = server.config.string('aclfile');
  if (path === '') throw new CommandError(ERR.aclNoFile);
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, Buffer.from(formatAclFile(server.security.acl), 'latin1'));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    server.logger.warn({ err: (error as Error).message, file: path }, 'ACL SAVE failed');
    throw new CommandError(ERR.aclSaveFailed);
  }
  client.reply.ok();
}

/**
 * ACL LOAD: replaces every user and role with those of `aclfile`, or changes
 * nothing when any line is invalid. Clients of users that are gone are
 * disconnected.
 */
function aclLoad(client: Client): void {
  const server = client.server;
  const path = server.config.string('aclfile');
  if (path === '') throw new CommandError(ERR.aclNoFile);
  loadAclFile(client, path);
  server.security.audit?.record('acl.load', {
    by: client.user,
    addr: client.transport.remoteAddress,
  });
  client.reply.ok();
}

/** Reads and applies an ACL file; error texts name the file but not its directory. */
export function loadAclFile(client: Client, path: string): void {
  const server = client.server;
  const acl = server.security.acl;
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    server.logger.warn({ err: (error as Error).message, file: path }, 'cannot read the ACL file');
    throw new CommandError(ERR.aclLoadFailed(`Error loading ACLs, opening file failed. `));
  }
  const errors: string[] = [];
  const lines = splitAclText(text, basename(path), errors);
  const definitions = buildDefinitions(acl, lines, errors);
  if (errors.length > 0) throw new CommandError(ERR.aclLoadFailed(`${errors.join(' ')} `));
  acl.replaceAll(definitions.users, definitions.roles);
}

const ACL_HELP = [
  'CAT [<category>]',
  '    Reply with the ACL categories, or with the commands in <category>.',
  'DELUSER <username> [<username> ...]',
  '    Delete users and disconnect their clients.',
  'DRYRUN <username> <command> [<arg> ...]',
  '    Check whether the user may run the command, without running it.',
  'GETUSER <username>',
  "    Reply with the user's flags, password hashes, permissions, roles and rate limit.",
  'GENPASS [<bits>]',
  '    Reply with a random password of <bits> bits (default 256) as hex digits.',
  'LIST',
  '    Reply with every user as a rule line, as the ACL file stores it.',
  'LOAD',
  '    Replace all users and roles with those in the ACL file.',
  'LOG [<count> | RESET]',
  '    Reply with the latest <count> denials (default 10), or clear them.',
  'ROLE SET <name> [<rule> ...] | ROLE DEL <name> [<name> ...] | ROLE LIST',
  '    Define, delete or list roles: named rule sets users hold with role:<name>.',
  'SAVE',
  '    Write all users and roles to the ACL file.',
  'SETUSER <username> [<rule> ...]',
  '    Create or change a user; either every rule applies or none does.',
  'USERS',
  '    Reply with the user names.',
  'WHOAMI',
  '    Reply with the user name of this connection.',
];

const ADMIN: CommandFlag[] = ['admin', 'noscript', 'loading', 'stale'];
const OPEN: CommandFlag[] = ['noscript', 'loading', 'stale'];

function sub(
  name: string,
  arity: number,
  flags: CommandFlag[],
  summary: string,
  handler: (client: Client, args: string[]) => void,
  since = '6.0.0',
): RegisteredCommand {
  return command({ name: `acl|${name}`, arity, flags, group: 'server', since, summary, handler });
}

export const aclCommands: RegisteredCommand[] = [
  command({
    name: 'acl',
    arity: -2,
    group: 'server',
    since: '6.0.0',
    summary: 'Manages ACL users, roles and permissions.',
    complexity: 'Depends on subcommand.',
    handler: () => undefined,
    subcommands: [
      sub('cat', -2, OPEN, 'Lists the ACL categories or the commands in one.', aclCat),
      sub('deluser', -3, ADMIN, 'Deletes users.', aclDelUser),
      sub('dryrun', -4, ADMIN, 'Checks a request against a user.', aclDryRun, '7.0.0'),
      sub('genpass', -2, OPEN, 'Generates a random password.', aclGenPass),
      sub('getuser', 3, ADMIN, "Describes a user's rules.", aclGetUser),
      sub('list', 2, ADMIN, 'Lists users as rule lines.', aclList),
      sub('load', 2, ADMIN, 'Reloads users and roles from the ACL file.', aclLoad),
      sub('log', -2, ADMIN, 'Lists recent denials.', aclLog),
      sub('role', -3, ADMIN, 'Defines, deletes and lists roles.', aclRoleCommand, '7.0.0'),
      sub('save', 2, ADMIN, 'Writes users and roles to the ACL file.', aclSave),
      sub('setuser', -3, ADMIN, 'Creates or changes a user.', aclSetUser),
      sub('users', 2, ADMIN, 'Lists user names.', aclUsers),
      sub('whoami', 2, OPEN, 'Returns the user of this connection.', (client) =>
        client.reply.bulk(client.user),
      ),
      sub('help', 2, ['loading', 'stale'], 'Describes the ACL subcommands.', (client) =>
        writeSubcommandHelp(client, 'ACL', ACL_HELP),
      ),
    ],
  }),
];
