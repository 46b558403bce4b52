/** Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH. */
import { command, type RegisteredCommand, KEYS_PROBED } from '../engine/command';
import type { Client } from '../engine/client';
import { execute } from '../engine/dispatch';
import { CommandError, ERR } from '../engine/errors';
import { watchKey } from '../engine/server';
import { resetHooks } from './connection';

/** MULTI: starts queuing; replies OK. */
function multi(client: Client): void {
  if (client.transaction !== null) throw new CommandError(ERR.multiNested);
  client.transaction = { queued: [], failed: false };
  client.reply.ok();
}

/** Forgets every key the client watches. */
export function unwatchAll(client: Client): void {
  const watching = client.watching;
  if (watching === null) return;
  const watchers = client.server.watchers;
  for (const name of watching.keys()) {
    const clients = watchers.get(name);
    if (clients === undefined) continue;
    clients.delete(client);
    if (clients.size === 0) watchers.delete(name);
  }
  client.watching = null;
  client.watchedKeyChanged = false;
}

/**
 * Returns whether a watched key that was alive when watched has since reached its
 * expiry time. Such a key counts as changed even before anything removes it.
 */
function watchedKeyExpired(client: Client): boolean {
  const now = Date.now();
  for (const entry of client.watching?.values() ?? []) {
    if (!entry.aliveWhenWatched) continue;
    const db = client.server.databases[entry.dbIndex];
    const expiresAt = db.getExpire(entry.key);
    if (expiresAt >= 0 && expiresAt <= now && db.data.has(entry.key)) return true;
  }
  return false;
}

/**
 * EXEC: runs the queued commands and replies an array of their replies. It
 * replies nil when a watched key changed, and EXECABORT when a command was
 * rejected while queuing.
 */
function exec(client: Client): void {
  const transaction = client.transaction;
  if (transaction === null) throw new CommandError(ERR.execWithoutMulti);
  client.transaction = null;
  if (transaction.failed) {
    unwatchAll(client);
    throw new CommandError(ERR.execAbort);
  }
  const aborted = client.watchedKeyChanged || watchedKeyExpired(client);
  unwatchAll(client);
  if (aborted) {
    client.reply.nilArray();
    return;
  }
  client.reply.array(transaction.queued.length);
  client.inTransaction = true;
  const server = client.server;
  // The journal gets MULTI and EXEC around the writes so they replay atomically.
  if (server.journal.length > 0) server.propagate(client.db.id, ['MULTI']);
  try {
    for (const { command: spec, args } of transaction.queued) {
      const denied = server.security.acl.check(client, spec, args);
      if (denied === null) execute(client, spec, args);
      else rejectChangedPermission(client, denied);
    }
  } finally {
    client.inTransaction = false;
    if (server.journal.length > 0) server.propagate(client.db.id, ['EXEC']);
  }
}

/**
 * Replies to a queued command that the user's ACL rules, changed since it was
 * queued, no longer allow. Redis checks again at EXEC and explains the same way.
 */
function rejectChangedPermission(client: Client, denied: string): void {
  let reason = 'no permission to execute the command or subcommand';
  if (denied === ERR.noPermKey) reason = 'no permission to touch the specified keys';
  else if (denied === ERR.noPermChannel) {
    reason = 'no permission to access one of the channels used as arguments';
  } else if (denied === ERR.adminPortOnly || denied === ERR.adminUsersOnly) {
    reason = denied.slice('NOPERM '.length);
  }
  const text = ERR.aclChangedBeforeExec(reason);
  client.server.countError(text);
  client.reply.error(text);
}

/** DISCARD: drops the queued commands and the watched keys; replies OK. */
function discard(client: Client): void {
  if (client.transaction === null) throw new CommandError(ERR.discardWithoutMulti);
  client.transaction = null;
  unwatchAll(client);
  client.reply.ok();
}

/** WATCH key...: EXEC will fail if any of the keys changes first; replies OK. */
function watch(client: Client, args: string[]): void {
  if (client.transaction !== null) throw new CommandError(ERR.watchInMulti);
  const watchers = client.server.watchers;
  const watching = (client.watching ??= new Map());
  const db = client.db;
  for (let i = 1; i < args.length; i++) {
    const key = args[i];
    const name = watchKey(db.id, key);
    if (watching.has(name)) continue;
    const alive = db.get(key) !== undefined;
    watching.set(name, { dbIndex: db.id, key, aliveWhenWatched: alive });
    let clients = watchers.get(name);
    if (clients === undefined) {
      clients = new Set();
      watchers.set(name, clients);
    }
    clients.add(client);
  }
  client.reply.ok();
}

/** UNWATCH: stops watching every key; replies OK. */
function unwatch(client: Client): void {
  unwatchAll(client);
  client.reply.ok();
}

/** Drops transaction state when a client disconnects or sends RESET. */
export function installTransactionHooks(hooks: ((client: Client) => void)[]): void {
  hooks.push(unwatchAll);
}

installTransactionHooks(resetHooks);

const FLAGS = ['noscript', 'loading', 'stale', 'fast', 'allow_busy'] as const;

export const transactionCommands: RegisteredCommand[] = [
  command({
    name: 'multi',
    arity: 1,
    flags: [...FLAGS],
    categories: ['transaction'],
    group: 'transactions',
    summary: 'Starts a transaction.',
    since: '1.2.0',
    handler: multi,
  }),
  command({
    name: 'exec',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    categories: ['transaction'],
    group: 'transactions',
    since: '1.2.0',
    summary: 'Runs the commands queued since MULTI.',
    complexity: 'O(N) queued commands',
    handler: exec,
  }),
  command({
    name: 'discard',
    arity: 1,
    flags: [...FLAGS],
    categories: ['transaction'],
    group: 'transactions',
    summary: 'Discards a transaction.',
    since: '2.0.0',
    handler: discard,
  }),
  command({
    name: 'watch',
    arity: -2,
    flags: [...FLAGS],
    keys: [1, -1, 1],
    keyFlags: KEYS_PROBED,
    categories: ['transaction'],
    group: 'transactions',
    since: '2.2.0',
    summary: 'Makes EXEC fail if any of the keys changes before it.',
    handler: watch,
  }),
  command({
    name: 'unwatch',
    arity: 1,
    flags: [...FLAGS],
    categories: ['transaction'],
    group: 'transactions',
    summary: 'Forgets all watched keys.',
    since: '2.2.0',
    handler: unwatch,
  }),
];
