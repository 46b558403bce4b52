import { performance } from 'node:perf_hooks';
import { observeCommand, observeCommandStart } from '../observability/command-observer';
import { evictorOf, touchKeys } from '../store/eviction';
import { anyPause, clientPauseOf, type ClientPause } from './client-pause';
import type { Server } from './server';
import { auditCommand } from '../security/command-audit';
import { unwatchAll } from '../commands/transaction';
import type { Client } from './client';
import { arityMatches, keyIndexes, type RegisteredCommand } from './command';
import { dispatchWithReplyMode, settleReplyMode } from './reply-mode';
import {
  CommandError,
  ERR,
  unknownCommand,
  unknownSubcommand,
  wrongArity,
  wrongSubcommandArity,
} from './errors';

/** Commands that run at once inside MULTI instead of being queued. */
const TRANSACTION_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/** Commands a RESP2 client may send while it has subscriptions. */
const SUBSCRIBED_ALLOWED = new Set([
  'subscribe',
  'ssubscribe',
  'unsubscribe',
  'sunsubscribe',
  'psubscribe',
  'punsubscribe',
  'ping',
  'quit',
  'reset',
]);

/** Maximum number of command name spellings remembered per command table. */
const MAX_SPELLINGS = 1024;

type CommandTable = Map<string, RegisteredCommand>;

/**
 * Table rows by the exact spelling clients sent (`SET`, `set`, `Set`), per
 * command table, so that a request's name is looked up without lowercasing
 * it first. The table must not change once requests are served, which holds
 * because renames happen only at start-up.
 */
const rowsBySpelling = new WeakMap<CommandTable, CommandTable>();
let lastTable: CommandTable | null = null;
let lastSpellings: CommandTable = new Map();

/** Returns the table row for a command name as sent, in any letter case. */
function findRow(table: CommandTable, name: string): RegisteredCommand | undefined {
  if (table !== lastTable) {
    let spellings = rowsBySpelling.get(table);
    if (spellings === undefined) {
      spellings = new Map();
      rowsBySpelling.set(table, spellings);
    }
    lastTable = table;
    lastSpellings = spellings;
  }
  const known = lastSpellings.get(name);
  if (known !== undefined) return known;
  const spec = table.get(name.toLowerCase());
  if (spec !== undefined && lastSpellings.size < MAX_SPELLINGS) lastSpellings.set(name, spec);
  return spec;
}

/**
 * Finds the table row for a request, resolving `CONFIG GET`-style
 * subcommands. Returns an error text when there is none or the argument count
 * does not fit.
 */
export function resolveCommand(client: Client, args: string[]): RegisteredCommand | string {
  const name = args[0];
  const spec = findRow(client.server.commands, name);
  if (spec === undefined) return unknownCommand(name, args);
  if (!arityMatches(spec.arity, args.length)) return wrongArity(spec.name);
  // A container called alone (COMMAND) runs its own handler, as in Redis.
  if (spec.subcommands === undefined || args.length === 1) return spec;
  const sub = spec.subcommands.get(args[1].toLowerCase()) as RegisteredCommand | undefined;
  if (sub === undefined) return unknownSubcommand(spec.name, args[1]);
  if (!arityMatches(sub.arity, args.length)) return wrongSubcommandArity(spec.name, args[1]);
  return sub;
}

function reject(client: Client, text: string, spec?: RegisteredCommand): void {
  if (spec !== undefined) spec.stats.rejectedCalls++;
  if (spec?.name === 'exec') {
    rejectExec(client, text);
    return;
  }
  if (client.transaction !== null) client.transaction.failed = true;
  client.server.countError(text);
  client.reply.error(text);
}

/**
 * Rejects EXEC itself (wrong arity, ACL, memory, ...) as Redis does. The
 * transaction and the watched keys are discarded, in MULTI or not, and the
 * reply is EXECABORT with the rejection as its reason.
 */
function rejectExec(client: Client, text: string): void {
  client.transaction = null;
  unwatchAll(client);
  const reason = text.startsWith('ERR ') ? text.slice('ERR '.length) : text;
  const abort = ERR.execAbortBecause(reason);
  client.server.countError(abort);
  client.reply.error(abort);
}

/**
 * Runs one request through the gate, in Redis's order so that the same error
 * wins: unknown command, arity, authentication, ACL permissions, memory,
 * loading, persistence errors, pub/sub context, a busy script, pause, rate
 * limits, transaction queuing; then executes it.
 */
export function dispatch(client: Client, args: string[]): void {
  if (client.replyMode !== 0 || client.tracking !== null) {
    dispatchWithReplyMode(client, args, dispatchRequest);
    return;
  }
  dispatchRequest(client, args);
  // After CLIENT REPLY OFF or SKIP, which take effect from the next request.
  if (client.replyMode !== 0) settleReplyMode(client, client.writer.length);
}

function dispatchRequest(client: Client, args: string[]): void {
  const server = client.server;
  server.stats.totalCommands++;
  const spec = resolveCommand(client, args);
  if (typeof spec === 'string') {
    // EXEC with extra arguments still aborts the transaction, so its row goes along.
    const exec = args[0].toLowerCase() === 'exec' ? server.commands.get('exec') : undefined;
    reject(client, spec, exec);
    return;
  }
  client.lastCommand = spec.name;

  const refusal = gateRefusal(client, spec, args);
  if (refusal !== null) {
    reject(client, refusal, spec);
    return;
  }
  if (anyPause() && clientPauseOf(server, dispatchAgain).holds(client, spec, args)) return;

  if (client.transaction !== null && !TRANSACTION_CONTROL.has(spec.name)) {
    queueInTransaction(client, spec, args);
    return;
  }
  execute(client, spec, args);
  // Clients that a script's commands made ready are served once the whole script has run.
  if (!client.internal && server.busyScript === null) server.blocking.serveReadyKeys();
}

/** Returns the error that refuses a request, checked in Redis's order, or null to let it run. */
function gateRefusal(client: Client, spec: RegisteredCommand, args: string[]): string | null {
  const server = client.server;
  if (!client.authenticated && !spec.flags.includes('no_auth')) return ERR.noAuth;
  const denied = server.security.acl.check(client, spec, args);
  if (denied !== null) return denied;
  if (outOfMemory(client, spec)) return ERR.oom;
  if (server.persistence.loading && !spec.flags.includes('loading')) return ERR.loading;
  if (spec.isWrite && writesRefused(client)) return misconfText(client);
  if (client.resp === 2 && client.subscriptionCount > 0 && !SUBSCRIBED_ALLOWED.has(spec.name)) {
    return (
      `ERR Can't execute '${spec.name}': only (P|S)SUBSCRIBE / ` +
      '(P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context'
    );
  }
  const busy = server.busyScript;
  if (busy !== null) {
    if (!allowedWhileBusy(spec, args)) return busy.busyError;
    if (spec.name === 'shutdown') busy.abandon();
  }
  if (server.security.rateLimits.active && !client.internal) {
    return server.security.rateLimits.check(client, Date.now());
  }
  return null;
}

/** Queues a request inside MULTI (replying QUEUED), or rejects a command MULTI does not take. */
function queueInTransaction(client: Client, spec: RegisteredCommand, args: string[]): void {
  if (spec.flags.includes('no_multi')) {
    reject(client, ERR.notAllowedInMulti, spec);
    return;
  }
  client.transaction?.queued.push({ command: spec, args });
  client.reply.simple('QUEUED');
}

/**
 * While a script runs past busy-reply-threshold only commands flagged
 * allow_busy run, and SHUTDOWN only with NOSAVE, as in Redis.
 */
function allowedWhileBusy(spec: RegisteredCommand, args: string[]): boolean {
  if (!spec.flags.includes('allow_busy')) return false;
  if (spec.name !== 'shutdown') return true;
  const flags = args.slice(1).map((arg) => arg.toLowerCase());
  return flags.includes('nosave') && !flags.includes('abort');
}

/** Commands that run in MULTI even when out of memory, unless EXEC contains a denyoom command. */
const OOM_EXEMPT_IN_MULTI = new Set(['exec', 'discard', 'quit', 'reset']);

/**
 * Evicts keys as `maxmemory` requires, then returns whether the command must be
 * rejected with OOM: a denyoom command (or an EXEC queuing one), or anything
 * queued inside MULTI, while used memory stays over the limit.
 */
function outOfMemory(client: Client, spec: RegisteredCommand): boolean {
  const evictor = evictorOf(client.server);
  if (evictor.limit === 0 || evictor.perform() !== 'fail') return false;
  if (spec.flags.includes('denyoom')) return true;
  const transaction = client.transaction;
  if (transaction === null) return false;
  if (spec.name === 'exec') {
    return transaction.queued.some((queued) => queued.command.flags.includes('denyoom'));
  }
  return !OOM_EXEMPT_IN_MULTI.has(spec.name);
}

/** Returns the CLIENT PAUSE state of a server. */
export function clientPause(server: Server): ClientPause {
  return clientPauseOf(server, dispatchAgain);
}

/** Runs a request that waited for CLIENT PAUSE to end; it was counted when it arrived. */
function dispatchAgain(client: Client, args: string[]): void {
  client.server.stats.totalCommands--;
  dispatch(client, args);
}

/** Returns whether persistence failures currently reject writes (Redis's MISCONF state). */
function writesRefused(client: Client): boolean {
  const state = client.server.persistence;
  if (state.aofWriteError !== null) return true;
  return state.writesRefused && client.server.config.bool('stop-writes-on-bgsave-error');
}

/** Returns the MISCONF error while persistence failures reject writes, else null. */
export function writeRefusal(client: Client): string | null {
  return writesRefused(client) ? misconfText(client) : null;
}

function misconfText(client: Client): string {
  const aofError = client.server.persistence.aofWriteError;
  if (aofError !== null) return `MISCONF Errors writing to the AOF file: ${aofError}`;
  return ERR.misconfSnapshot;
}

/** Executes a command that passed the gate, with its statistics and side effects. */
export function execute(client: Client, spec: RegisteredCommand, args: string[]): void {
  const server = client.server;
  const dirtyBefore = server.dirty;
  const started = performance.now();
  const mark = client.reply === client.writer ? client.writer.length : -1;
  const errorsBefore = server.security.audit !== null ? server.stats.errorReplies : -1;
  if (spec.isWrite && server.snapshot !== null) preserveForSnapshot(client, spec, args);
  client.propagateAs = null;
  const tracked = server.tracking.clients.size > 0;
  if (tracked) server.tracking.beforeExecute(spec);
  observeCommandStart(client, spec, args);
  // Before the handler, as Redis updates access times at lookup: a key the command creates
  // starts with a fresh record instead of one already counting this access.
  touchKeys(client, spec, args);
  try {
    spec.handler(client, args);
  } catch (error) {
    if (mark >= 0) client.writer.truncate(mark);
    handleFailure(client, spec, error);
  }
  const elapsed = performance.now() - started;
  if (tracked || client.tracking !== null) server.tracking.afterExecute(client, spec, args);
  spec.stats.calls++;
  spec.stats.microseconds += elapsed * 1000;
  observeCommand(client, spec, args, elapsed);
  if (spec.isWrite && server.dirty !== dirtyBefore) afterWrite(client, spec, args);
  if (errorsBefore >= 0 && !client.internal) {
    auditCommand(client, spec, args, server.stats.errorReplies !== errorsBefore);
  }
}

/** Keys that a command may change in a database other than the selected one. */
const CROSS_DATABASE = new Set(['move', 'copy']);

/** Lets a running snapshot write out keys this command is about to change. */
function preserveForSnapshot(client: Client, spec: RegisteredCommand, args: string[]): void {
  const server = client.server;
  const snapshot = server.snapshot;
  if (snapshot === null) return;
  const databases = CROSS_DATABASE.has(spec.name) ? server.databases : [client.db];
  for (const index of keyIndexes(spec, args)) {
    for (const db of databases) snapshot.preserve(db, args[index]);
  }
}

function handleFailure(client: Client, spec: RegisteredCommand, error: unknown): void {
  spec.stats.failedCalls++;
  if (error instanceof CommandError) {
    client.server.countError(error.message);
    client.reply.error(error.message);
    return;
  }
  client.server.logger.error(
    { err: error, command: spec.name, client: client.id },
    'command failed with an internal error',
  );
  client.server.countError(ERR.internal);
  client.reply.error(ERR.internal);
}

function afterWrite(client: Client, spec: RegisteredCommand, args: string[]): void {
  const server = client.server;
  const db = client.db;
  const signal = server.watchers.size > 0 || server.tracking.watchesKeys;
  if (db.hasMutableValues || signal) {
    const indexes = spec.writtenKeys ? spec.writtenKeys(args) : keyIndexes(spec, args);
    for (const index of indexes) db.recount(args[index]);
    if (signal) {
      for (const index of indexes) server.keyModified(db, args[index]);
    }
  }
  if (server.journal.length === 0) return;
  if (client.propagateAs === null) {
    server.propagate(client.db.id, args);
    return;
  }
  for (const entry of client.propagateAs) server.propagate(client.db.id, entry);
  client.propagateAs = null;
}
