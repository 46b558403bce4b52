/** Redis 7 functions: FUNCTION LOAD, DELETE, FLUSH, LIST, DUMP, RESTORE, STATS, KILL, FCALL. */
import type { Client } from '../engine/client';
import { command, type CommandFlag, type RegisteredCommand } from '../engine/command';
import { CommandError, ERR, SCRIPT_ERR } from '../engine/errors';
import { globMatch } from '../store/glob';
import { scriptingOf } from '../scripting/engine';
import { FUNCTION_FLAGS, type Library, type RestorePolicy } from '../scripting/function-libraries';
import { NO_WRITES } from '../scripting/script-cache';
import { numkeysKeys } from './list-ops';
import { replyHelp } from './object';
import { parseNumkeys, startRun } from './scripting';

function fcallGeneric(client: Client, args: string[], readOnly: boolean): void {
  const engine = scriptingOf(client.server);
  const fn = engine.functions.find(args[1]);
  if (fn === undefined) throw new CommandError(SCRIPT_ERR.functionNotFound);
  const numkeys = parseNumkeys(args, SCRIPT_ERR.badKeyCount);
  const declaresNoWrites = (fn.flags & NO_WRITES) !== 0;
  if (readOnly && !declaresNoWrites) throw new CommandError(SCRIPT_ERR.writeFlagReadOnly);
  const options = {
    caller: client,
    kind: 'function' as const,
    name: fn.name,
    command: args,
    keys: args.slice(3, 3 + numkeys),
    args: args.slice(3 + numkeys),
    readOnly: readOnly || declaresNoWrites,
  };
  startRun(engine, options, fn.ref);
}

/**
 * FCALL function numkeys key... arg...: runs a library function with the
 * keys and arguments as its two tables; replies what it returns. Its write
 * commands are journaled inside MULTI/EXEC.
 */
function fcall(client: Client, args: string[]): void {
  fcallGeneric(client, args, false);
}

/** FCALL_RO: FCALL of a function flagged no-writes; others are refused. */
function fcallReadOnly(client: Client, args: string[]): void {
  fcallGeneric(client, args, true);
}

/** FUNCTION LOAD [REPLACE] code: creates (or replaces) a library; replies its name. */
function functionLoad(client: Client, args: string[]): void {
  let replace = false;
  for (let i = 2; i < args.length - 1; i++) {
    if (args[i].toLowerCase() !== 'replace') throw new CommandError(SCRIPT_ERR.loadOption(args[i]));
    replace = true;
  }
  const name = scriptingOf(client.server).functions.load(client, args[args.length - 1], replace);
  client.server.dirty++;
  client.reply.bulk(name);
}

/** FUNCTION DELETE library: removes the library and its functions; replies OK. */
function functionDelete(client: Client, args: string[]): void {
  scriptingOf(client.server).functions.delete(args[2]);
  client.server.dirty++;
  client.reply.ok();
}

/** FUNCTION FLUSH [ASYNC|SYNC]: removes every library (both modes at once); replies OK. */
function functionFlush(client: Client, args: string[]): void {
  if (args.length > 3) throw new CommandError(SCRIPT_ERR.functionSyntax(args[1]));
  const mode = args[2]?.toLowerCase();
  if (mode !== undefined && mode !== 'async' && mode !== 'sync') {
    throw new CommandError(SCRIPT_ERR.functionFlushOption);
  }
  scriptingOf(client.server).functions.flush();
  client.server.dirty++;
  client.reply.ok();
}

/** Reads FUNCTION LIST's options as Redis does: each at most once, in any order. */
function parseListOptions(args: string[]): { pattern: string | null; withCode: boolean } {
  let pattern: string | null = null;
  let withCode = false;
  for (let i = 2; i < args.length; i++) {
    const option = args[i].toLowerCase();
    if (!withCode && option === 'withcode') {
      withCode = true;
    } else if (pattern === null && option === 'libraryname') {
      if (i >= args.length - 1) throw new CommandError(SCRIPT_ERR.listLibraryName);
      pattern = args[++i];
    } else {
      throw new CommandError(SCRIPT_ERR.listArgument(args[i]));
    }
  }
  return { pattern, withCode };
}

function replyLibrary(client: Client, library: Library, withCode: boolean): void {
  const reply = client.reply;
  reply.map(withCode ? 4 : 3);
  reply.bulk('library_name');
  reply.bulk(library.name);
  reply.bulk('engine');
  reply.bulk('LUA');
  reply.bulk('functions');
  reply.array(library.functions.size);
  for (const fn of library.functions.values()) {
    reply.map(3);
    reply.bulk('name');
    reply.bulk(fn.name);
    reply.bulk('description');
    if (fn.description === null) reply.nil();
    else reply.bulk(fn.description);
    reply.bulk('flags');
    const flags = FUNCTION_FLAGS.filter(([, bit]) => (fn.flags & bit) !== 0);
    reply.set(flags.length);
    for (const [name] of flags) reply.simple(name);
  }
  if (withCode) {
    reply.bulk('library_code');
    reply.bulk(library.code);
  }
}

/**
 * FUNCTION LIST [LIBRARYNAME pattern] [WITHCODE]: one map per library
 * (name, engine, functions with their description and flags, and the code
 * when asked); the pattern matches library names without regard to case.
 */
function functionList(client: Client, args: string[]): void {
  const { pattern, withCode } = parseListOptions(args);
  const libraries = [...scriptingOf(client.server).functions.libraries()].filter(
    (library) => pattern === null || globMatch(pattern, library.name, true),
  );
  client.reply.array(libraries.length);
  for (const library of libraries) replyLibrary(client, library, withCode);
}

/** FUNCTION DUMP: a payload holding every library, for FUNCTION RESTORE. */
function functionDump(client: Client): void {
  client.reply.bulk(scriptingOf(client.server).functions.dump());
}

function parsePolicy(args: string[]): RestorePolicy {
  if (args.length > 4) throw new CommandError(SCRIPT_ERR.functionSyntax(args[1]));
  if (args.length === 3) return 'append';
  const policy = args[3].toLowerCase();
  if (policy === 'flush' || policy === 'append' || policy === 'replace') return policy;
  throw new CommandError(SCRIPT_ERR.restorePolicy);
}

/**
 * FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE]: loads the libraries of a
 * FUNCTION DUMP payload; APPEND (the default) fails on an existing library,
 * REPLACE replaces it, FLUSH drops every library first. Replies OK.
 */
function functionRestore(client: Client, args: string[]): void {
  const policy = parsePolicy(args);
  const payload = Buffer.from(args[2], 'latin1');
  scriptingOf(client.server).functions.restore(client, payload, policy);
  client.server.dirty++;
  client.reply.ok();
}

/**
 * FUNCTION STATS: the script running now (its name, request and duration,
 * or nil) and the engine's library and function counts.
 */
function functionStats(client: Client): void {
  const engine = scriptingOf(client.server);
  const reply = client.reply;
  const run = engine.runner.current;
  reply.map(2);
  reply.bulk('running_script');
  if (run === null || run.kind === 'load') {
    reply.nil();
  } else {
    reply.map(3);
    reply.bulk('name');
    reply.bulk(run.name);
    reply.bulk('command');
    reply.bulkArray(run.command);
    reply.bulk('duration_ms');
    reply.int(Math.floor(run.elapsedMs()));
  }
  reply.bulk('engines');
  reply.map(1);
  reply.bulk('LUA');
  reply.map(2);
  reply.bulk('libraries_count');
  reply.int(engine.functions.libraryCount);
  reply.bulk('functions_count');
  reply.int(engine.functions.functionCount);
}

/**
 * FUNCTION KILL: stops the function running past busy-reply-threshold; OK,
 * NOTBUSY when none runs, UNKILLABLE once it has written.
 */
function functionKill(client: Client): void {
  const failure = scriptingOf(client.server).runner.kill('function');
  if (failure !== null) throw new CommandError(failure);
  client.reply.ok();
}

/** Redis 7.0's FUNCTION HELP lines. */
const FUNCTION_HELP = [
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using ' +
    'FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a ' +
    'restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, ' +
    'replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance ' +
    'of failure',
  '      in case of functions name collision with another library).',
];

/** FUNCTION HELP: the subcommands, one status reply per line. */
function functionHelp(client: Client, args: string[]): void {
  replyHelp(client, args[0], FUNCTION_HELP);
}

/** Never called: dispatch runs the subcommand rows. */
function functionParent(): void {
  throw new CommandError(ERR.syntax);
}

function functionRow(
  name: string,
  arity: number,
  flags: CommandFlag[],
  summary: string,
  handler: (client: Client, args: string[]) => void,
  complexity = 'O(1)',
): RegisteredCommand {
  return command({
    name: `function|${name}`,
    arity,
    flags,
    categories: ['scripting'],
    group: 'scripting',
    since: '7.0.0',
    summary,
    complexity,
    handler,
  });
}

function fcallRow(
  name: string,
  readOnly: boolean,
  handler: (client: Client, args: string[]) => void,
): RegisteredCommand {
  const flags: CommandFlag[] = ['noscript', 'stale', 'skip_monitor', 'no_mandatory_keys'];
  return command({
    name,
    arity: -3,
    flags: readOnly ? ['readonly', ...flags] : flags,
    categories: ['scripting'],
    group: 'scripting',
    since: '7.0.0',
    summary: readOnly ? 'Invokes a read-only function.' : 'Invokes a function.',
    complexity: 'Depends on the function that is executed.',
    handler,
    findKeys: (args) => numkeysKeys(args, 2),
  });
}

export const functionCommands: RegisteredCommand[] = [
  fcallRow('fcall', false, fcall),
  fcallRow('fcall_ro', true, fcallReadOnly),
  command({
    name: 'function',
    arity: -2,
    group: 'scripting',
    since: '7.0.0',
    summary: 'A container for function commands.',
    complexity: 'Depends on subcommand.',
    handler: functionParent,
    subcommands: [
      functionRow('load', -3, ['write', 'denyoom', 'noscript'], 'Creates a library.', functionLoad),
      functionRow('delete', 3, ['write', 'noscript'], 'Deletes a library.', functionDelete),
      functionRow(
        'flush',
        -2,
        ['write', 'noscript'],
        'Deletes all libraries.',
        functionFlush,
        'O(N)',
      ),
      functionRow(
        'list',
        -2,
        ['noscript'],
        'Returns information about libraries.',
        functionList,
        'O(N)',
      ),
      functionRow(
        'dump',
        2,
        ['noscript'],
        'Dumps all libraries into a payload.',
        functionDump,
        'O(N)',
      ),
      functionRow(
        'restore',
        -3,
        ['write', 'denyoom', 'noscript'],
        'Restores libraries from a payload.',
        functionRestore,
        'O(N)',
      ),
      functionRow(
        'stats',
        2,
        ['noscript', 'allow_busy'],
        'Returns information about a function during execution.',
        functionStats,
      ),
      functionRow(
        'kill',
        2,
        ['noscript', 'allow_busy'],
        'Terminates a function during execution.',
        functionKill,
      ),
      functionRow(
        'help',
        2,
        ['loading', 'stale'],
        'Returns help for the FUNCTION subcommands.',
        functionHelp,
      ),
    ],
  }),
];
