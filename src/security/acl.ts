/**
 * The ACL registry: users, roles and the ACL log, and the permission check
 * that the dispatch gate runs for every request.
 */
import type { Client } from '../engine/client';
import type { RegisteredCommand } from '../engine/command';
import { ERR } from '../engine/errors';
import type { Server } from '../engine/server';
import { clientInfoLine } from '../commands/client';
import { AclLog, type DenialContext, type DenialReason } from './acl-log';
import { CommandIndex } from './command-index';
import { passwordMatches } from './passwords';
import {
  ACL_OK,
  DENIED_CHANNEL,
  DENIED_COMMAND,
  DENIED_KEY,
  lastDeniedIndex,
  RuleError,
  type Selector,
} from './selector';
import { mergeSelectorWords, Role, UnmatchedParenthesisError, User } from './user';

/** A rejected ACL SETUSER or ACL ROLE SET; the message is the full error reply. */
export class AclError extends Error {}

/** Commands that `admin-commands` can restrict to the admin port or to admin users. */
const ADMIN_COMMANDS = new Set([
  'keys',
  'flushall',
  'flushdb',
  'config',
  'debug',
  'shutdown',
  'acl',
  'monitor',
  'script',
]);

/** ACL subcommands that stay open to everyone under `admin-commands`. */
const HARMLESS_ACL = new Set(['acl|whoami', 'acl|cat', 'acl|genpass', 'acl|help']);

/** Built-in roles: name and rules. They cannot be changed or deleted. */
const BUILT_IN_ROLES: readonly [string, string][] = [
  ['readonly', '~* &* -@all +@read +@connection +@transaction -@dangerous'],
  ['readwrite', '~* &* +@all -@admin -@dangerous'],
  ['admin', '~* &* +@all'],
];

const DEFAULT_USER_RULES = ['on', 'nopass', '~*', '&*', '+@all'];

export class Acl {
  readonly #server: Server;
  #index: CommandIndex | null = null;
  #users = new Map<string, User>();
  #roles = new Map<string, Role>();
  readonly log = new AclLog();
  /** Bumped by every change of users or roles. */
  #version = 0;
  /** False while every user may run everything and no admin restriction is set. */
  #restricted = false;
  /** Password of the default user from `requirepass` ('' for none), applied once built. */
  #requirepass = '';
  /** Row ids of the commands `admin-commands` restricts. */
  #adminRows = new Uint8Array(0);

  constructor(server: Server) {
    this.#server = server;
  }

  /** The command index, built on first use, once every command is registered. */
  get index(): CommandIndex {
    if (this.#index === null) this.#build();
    return this.#index as CommandIndex;
  }

  #build(): void {
    const index = new CommandIndex(this.#server.commands.values());
    this.#index = index;
    this.#adminRows = new Uint8Array(index.size);
    for (const command of index.commands) {
      if (!ADMIN_COMMANDS.has(command.spec.name)) continue;
      this.#adminRows[command.id] = 1;
      for (const sub of command.subcommands.values()) {
        if (!HARMLESS_ACL.has(sub.spec.name)) this.#adminRows[sub.id] = 1;
      }
    }
    for (const [name, rules] of BUILT_IN_ROLES) {
      const role = new Role(name, index, true);
      for (const rule of rules.split(' ')) role.apply(rule);
      this.#roles.set(name, role);
    }
    this.#users.set('default', this.#newDefaultUser());
    this.changed();
  }

  #newDefaultUser(): User {
    const user = new User('default', this.index);
    for (const rule of DEFAULT_USER_RULES) user.apply(rule, () => undefined);
    if (this.#requirepass !== '') {
      user.apply('resetpass', () => undefined);
      user.apply(`>${this.#requirepass}`, () => undefined);
    }
    return user;
  }

  get users(): ReadonlyMap<string, User> {
    if (this.#index === null) this.#build();
    return this.#users;
  }

  get roles(): ReadonlyMap<string, Role> {
    if (this.#index === null) this.#build();
    return this.#roles;
  }

  get version(): number {
    return this.#version;
  }

  /** False while every user may run everything, so that no check can deny. */
  get restricted(): boolean {
    return this.#restricted;
  }

  /** Recomputes what the fast path relies on after users, roles or settings changed. */
  changed(): void {
    this.#version++;
    const adminMode = this.#server.config.string('admin-commands');
    let restricted = adminMode !== 'any';
    for (const user of this.#users.values()) {
      if (!this.#isUnrestricted(user)) restricted = true;
    }
    this.#restricted = restricted;
    this.#server.security.rateLimits.refresh(this.#users.values());
    if (restricted) this.#dropRevokedSubscribers();
  }

  /**
   * Disconnects subscribed clients whose user may no longer listen on one of
   * their channels or patterns, as Redis does after a user change.
   */
  #dropRevokedSubscribers(): void {
    const checks: [keyof Client & ('channels' | 'patterns' | 'shardChannels'), string][] = [
      ['channels', 'subscribe'],
      ['patterns', 'psubscribe'],
      ['shardChannels', 'ssubscribe'],
    ];
    for (const client of this.#server.clients.values()) {
      if (client.subscriptionCount === 0) continue;
      const revoked = checks.some(([kind, name]) => {
        const spec = this.#server.commands.get(name);
        if (spec === undefined) return false;
        for (const channel of client[kind] ?? []) {
          if (this.#channelRevoked(client, spec, name, channel)) return true;
        }
        return false;
      });
      if (revoked) client.transport.close();
    }
  }

  #channelRevoked(client: Client, spec: RegisteredCommand, name: string, channel: string): boolean {
    const user = this.#users.get(client.user);
    if (user === undefined) return true;
    if (this.#isUnrestricted(user)) return false;
    const id = this.index.idOf(spec);
    const allowed = (selector: Selector): boolean =>
      selector.check(spec, id, [name, channel]) === ACL_OK;
    return !(
      allowed(user.root) ||
      user.selectors.some(allowed) ||
      user.roles.some((role) => allowed(role.selector))
    );
  }

  #isUnrestricted(user: User): boolean {
    if (user.checkedVersion !== this.#version) {
      user.unrestricted =
        user.root.unrestricted ||
        user.selectors.some((selector) => selector.unrestricted) ||
        user.roles.some((role) => role.selector.unrestricted);
      user.checkedVersion = this.#version;
    }
    return user.unrestricted;
  }

  /** Sets the default user's password from `requirepass`; '' makes it nopass. */
  setRequirepass(password: string): void {
    this.#requirepass = password;
    if (this.#index === null) return;
    const user = this.#users.get('default');
    if (user === undefined) return;
    const updated = user.clone();
    if (password === '') updated.apply('nopass', () => undefined);
    else for (const rule of ['resetpass', `>${password}`]) updated.apply(rule, () => undefined);
    this.#users.set('default', updated);
    this.changed();
  }

  /** Checks whether new connections start unauthenticated: the default user has a password or is off. */
  requiresAuthentication(): boolean {
    const user = this.users.get('default');
    return user === undefined || !user.enabled || !user.nopass;
  }

  /** Checks a user name and password; returns the user when they match and it is enabled. */
  authenticate(name: string, password: string): User | null {
    const user = this.users.get(name);
    if (user === undefined || !user.enabled) return null;
    if (user.nopass) return user;
    let matched = false;
    // Every hash is compared, so the time taken does not tell which one matched.
    for (const hash of user.passwords) matched = passwordMatches(password, hash) || matched;
    return matched ? user : null;
  }

  /**
   * ACL SETUSER: applies rules to a copy of the user (or a new user) and
   * stores it only when every rule is valid, so a bad rule changes nothing.
   */
  setUser(name: string, words: readonly string[]): void {
    if (/[ \0]/.test(name)) throw new AclError(ERR.aclUsernameSpaces);
    const existing = this.users.get(name);
    const user = existing?.clone() ?? new User(name, this.index);
    this.#applyRules(words, (rule) => user.apply(rule, (role) => this.#roles.get(role)), 'SETUSER');
    this.#users.set(name, user);
    this.changed();
  }

  /** ACL ROLE SET: applies rules to a copy of the role (or a new role), as setUser does. */
  setRole(name: string, words: readonly string[]): void {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new AclError(ERR.aclRoleName);
    const existing = this.roles.get(name);
    if (existing?.builtIn === true) throw new AclError(ERR.aclBuiltInRole(name));
    const role = existing?.clone() ?? new Role(name, this.index);
    this.#applyRules(words, (rule) => role.apply(rule), 'ROLE SET');
    if (existing === undefined) {
      this.#roles.set(name, role);
    } else {
      // Users hold the role object itself, so the new rules apply to them at once.
      existing.selector = role.selector;
      existing.rateLimit = role.rateLimit;
    }
    this.changed();
  }

  #applyRules(words: readonly string[], apply: (rule: string) => void, verb: string): void {
    let rules: string[];
    try {
      rules = mergeSelectorWords(words);
    } catch (error) {
      if (!(error instanceof UnmatchedParenthesisError)) throw error;
      throw new AclError(ERR.aclUnmatchedParenthesis(error.word));
    }
    for (const rule of rules) {
      try {
        apply(rule);
      } catch (error) {
        if (!(error instanceof RuleError)) throw error;
        throw new AclError(ERR.aclBadRule(verb, rule, error.message));
      }
    }
  }

  /** ACL DELUSER: removes a user and disconnects its clients; returns whether it existed. */
  deleteUser(name: string): boolean {
    if (!this.users.has(name)) return false;
    this.#users.delete(name);
    this.changed();
    this.disconnectClientsOf(new Set([name]));
    return true;
  }

  /** ACL ROLE DEL: removes a role from every user holding it; returns whether it existed. */
  deleteRole(name: string): boolean {
    const role = this.roles.get(name);
    if (role === undefined) return false;
    if (role.builtIn) throw new AclError(ERR.aclBuiltInRole(name));
    this.#roles.delete(name);
    for (const user of this.#users.values()) {
      user.roles = user.roles.filter((held) => held !== role);
    }
    this.changed();
    return true;
  }

  /** Closes, after their pending replies, the connections authenticated as these users. */
  disconnectClientsOf(names: ReadonlySet<string>): void {
    for (const client of this.#server.clients.values()) {
      if (names.has(client.user)) client.transport.close();
    }
  }

  /**
   * Replaces every user and role at once (ACL LOAD, start-up). A missing
   * default user is created as Redis creates it. Clients of users that no
   * longer exist are disconnected.
   */
  replaceAll(users: Map<string, User>, roles: Map<string, Role>): void {
    if (!users.has('default')) users.set('default', this.#newDefaultUser());
    const gone = new Set([...this.#users.keys()].filter((name) => !users.has(name)));
    this.#users = users;
    this.#roles = roles;
    this.changed();
    this.disconnectClientsOf(gone);
  }

  /**
   * Checks a request for the dispatch gate. Returns null when it may run.
   * Otherwise it logs the denial in ACL LOG and returns the error reply.
   */
  check(client: Client, spec: RegisteredCommand, args: readonly string[]): string | null {
    if (!this.#restricted) return null;
    const user = this.#users.get(client.user);
    if (user === undefined) return this.#deny(client, DENIED_COMMAND, spec, args, 0);
    const id = this.index.idOf(spec);
    if (this.#adminRows[id] === 1 && !this.#adminAllowed(client, user)) {
      this.#logDenial(client, 'command', spec.name);
      return this.#server.config.string('admin-commands') === 'admin-port'
        ? ERR.adminPortOnly
        : ERR.adminUsersOnly;
    }
    if (this.#isUnrestricted(user)) return null;
    this.#reason = DENIED_COMMAND;
    this.#position = 0;
    if (this.#allows(user.root, spec, id, args)) return null;
    for (const selector of user.selectors) if (this.#allows(selector, spec, id, args)) return null;
    for (const role of user.roles) if (this.#allows(role.selector, spec, id, args)) return null;
    return this.#deny(client, this.#reason, spec, args, this.#position);
  }

  /** Most relevant denial of the check in progress, as Redis picks it among selectors. */
  #reason = DENIED_COMMAND;
  #position = 0;

  /** Checks one selector; on a denial, keeps it when it is more relevant than the last. */
  #allows(
    selector: Selector,
    spec: RegisteredCommand,
    id: number,
    args: readonly string[],
  ): boolean {
    const result = selector.check(spec, id, args);
    if (result === ACL_OK) return true;
    const index = lastDeniedIndex();
    if (result > this.#reason || (result === this.#reason && index > this.#position)) {
      this.#reason = result;
      this.#position = index;
    }
    return false;
  }

  #adminAllowed(client: Client, user: User): boolean {
    const mode = this.#server.config.string('admin-commands');
    if (mode === 'admin-users') return user.roles.some((role) => role.name === 'admin');
    if (mode !== 'admin-port') return true;
    const port = this.#server.config.number('admin-port');
    const local = client.transport.localAddress;
    return port !== 0 && local.endsWith(`:${port}`);
  }

  #deny(
    client: Client,
    reason: number,
    spec: RegisteredCommand,
    args: readonly string[],
    position: number,
  ): string {
    if (reason === DENIED_KEY) {
      this.#logDenial(client, 'key', args[position]);
      return ERR.noPermKey;
    }
    if (reason === DENIED_CHANNEL) {
      this.#logDenial(client, 'channel', args[position]);
      return ERR.noPermChannel;
    }
    this.#logDenial(client, 'command', spec.name);
    return ERR.noPermCommand(spec.name);
  }

  #logDenial(client: Client, reason: DenialReason, object: string): void {
    this.logDenial(client, reason, object, client.user);
  }

  /** Adds an entry to ACL LOG for a denial by, or a failed authentication of, `username`. */
  logDenial(client: Client, reason: DenialReason, object: string, username: string): void {
    let context: DenialContext = 'toplevel';
    if (client.transaction !== null || client.inTransaction) context = 'multi';
    else if (client.internal) context = 'lua';
    const maxLength = this.#server.config.number('acllog-max-len');
    const clientInfo = clientInfoLine(client);
    this.log.add({ reason, context, object, username, clientInfo }, Date.now(), maxLength);
    this.#server.security.countDenial(reason);
  }
}
