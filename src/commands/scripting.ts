/** Lua scripting: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT. */
import type { Client } from '../engine/client';
import { command, type RegisteredCommand } from '../engine/command';
import { CommandError, ERR, SCRIPT_ERR } from '../engine/errors';
import { scriptingOf, type ScriptingEngine } from '../scripting/engine';
import { writeLuaValue } from '../scripting/lua-values';
import { NO_WRITES, type CachedScript } from '../scripting/script-cache';
import { ScriptRun, type Outcome, type RunOptions } from '../scripting/script-run';
import { parseInteger } from './arguments';
import { numkeysKeys } from './list-ops';
import { replyHelp } from './object';

/**
 * Reads numkeys at args[2] with Redis's checks; `notInteger` is the error
 * for a value that is not an integer (EVAL and FCALL word it differently).
 */
export function parseNumkeys(args: string[], notInteger: string): number {
  const numkeys = parseInteger(args[2], notInteger);
  if (numkeys > args.length - 3) throw new CommandError(SCRIPT_ERR.tooManyKeys);
  if (numkeys < 0) throw new CommandError(SCRIPT_ERR.negativeKeys);
  return numkeys;
}

/** Writes a finished run's result, or its error, as the caller's reply. */
export function replyOutcome(engine: ScriptingEngine, run: ScriptRun, outcome: Outcome): void {
  const reply = run.caller.reply;
  if (outcome.ok) {
    const mode = {
      resp3: run.resp === 3,
      countError: (text: string) => engine.server.countError(text),
    };
    writeLuaValue(engine.lua, engine.fields, engine.runner.thread, 2, reply, mode);
    return;
  }
  if (!outcome.alreadyCounted) engine.server.countError(outcome.error);
  reply.error(outcome.error);
}

/**
 * Starts a script or function for a client: it replies at once, or, if it
 * runs past busy-reply-threshold, once it ends (the client waits blocked).
 */
export function startRun(
  engine: ScriptingEngine,
  options: Omit<RunOptions, 'settle' | 'canPause'>,
  functionRef: number,
): void {
  if (engine.runner.current !== null) throw new CommandError(engine.runner.current.busyError);
  const caller = options.caller;
  // Listed field by field: an object spread here cost microseconds per call in V8.
  const run: ScriptRun = new ScriptRun({
    caller,
    kind: options.kind,
    name: options.name,
    command: options.command,
    keys: options.keys,
    args: options.args,
    readOnly: options.readOnly,
    // Inside EXEC the transaction must finish in one go, so the script cannot pause.
    canPause: !caller.inTransaction && !caller.internal,
    settle: (outcome) => replyOutcome(engine, run, outcome),
  });
  engine.runner.start(run, functionRef);
}

/** Finds the script of EVAL (compiling it) or EVALSHA. Raises NOSCRIPT or a compile error. */
function findScript(engine: ScriptingEngine, args: string[], bySha: boolean): CachedScript {
  if (!bySha) {
    const script = engine.scripts.add(args[1]);
    if (typeof script === 'string') throw new CommandError(script);
    return script;
  }
  const script = engine.scripts.get(args[1]);
  if (script === undefined) throw new CommandError(SCRIPT_ERR.noScript);
  return script;
}

function evalGeneric(client: Client, args: string[], bySha: boolean, readOnly: boolean): void {
  const engine = scriptingOf(client.server);
  // A SHA1 of another length cannot match, so Redis replies NOSCRIPT before anything else.
  if (bySha && args[1].length !== 40) throw new CommandError(SCRIPT_ERR.noScript);
  const numkeys = parseNumkeys(args, ERR.notInteger);
  const script = findScript(engine, args, bySha);
  const declaresNoWrites = script.flags !== null && (script.flags & NO_WRITES) !== 0;
  if (readOnly && script.flags !== null && !declaresNoWrites) {
    throw new CommandError(SCRIPT_ERR.writeFlagReadOnly);
  }
  const options = {
    caller: client,
    kind: 'eval' as const,
    name: script.sha,
    command: args,
    keys: args.slice(3, 3 + numkeys),
    args: args.slice(3 + numkeys),
    readOnly: readOnly || declaresNoWrites,
  };
  startRun(engine, options, script.ref);
}

/**
 * EVAL script numkeys key... arg...: runs the script (caching it) and
 * replies what it returns, converted as Redis does; the script's write
 * commands are journaled inside MULTI/EXEC.
 */
function evalCommand(client: Client, args: string[]): void {
  evalGeneric(client, args, false, false);
}

/** EVALSHA sha1 numkeys key... arg...: EVAL of a cached script; NOSCRIPT when not cached. */
function evalSha(client: Client, args: string[]): void {
  evalGeneric(client, args, true, false);
}

/** EVAL_RO: EVAL whose write commands are refused. */
function evalReadOnly(client: Client, args: string[]): void {
  evalGeneric(client, args, false, true);
}

/** EVALSHA_RO: EVALSHA whose write commands are refused. */
function evalShaReadOnly(client: Client, args: string[]): void {
  evalGeneric(client, args, true, true);
}

/** SCRIPT LOAD script: compiles and caches the script; replies its SHA1. */
function scriptLoad(client: Client, args: string[]): void {
  const script = scriptingOf(client.server).scripts.add(args[2]);
  if (typeof script === 'string') throw new CommandError(script);
  client.reply.bulk(script.sha);
}

/** SCRIPT EXISTS sha1...: an array of 1 or 0, one per SHA1. */
function scriptExists(client: Client, args: string[]): void {
  const scripts = scriptingOf(client.server).scripts;
  client.reply.array(args.length - 2);
  for (let i = 2; i < args.length; i++) client.reply.int(scripts.get(args[i]) ? 1 : 0);
}

/** SCRIPT FLUSH [ASYNC|SYNC]: empties the script cache (both modes at once); replies OK. */
function scriptFlush(client: Client, args: string[]): void {
  const mode = args[2]?.toLowerCase();
  if (args.length > 3 || (mode !== undefined && mode !== 'async' && mode !== 'sync')) {
    throw new CommandError(SCRIPT_ERR.flushOption);
  }
  scriptingOf(client.server).scripts.flush();
  client.reply.ok();
}

/**
 * SCRIPT KILL: stops the EVAL script running past busy-reply-threshold;
 * OK, NOTBUSY when none runs, UNKILLABLE once it has written.
 */
function scriptKill(client: Client): void {
  const failure = scriptingOf(client.server).runner.kill('eval');
  if (failure !== null) throw new CommandError(failure);
  client.reply.ok();
}

/**
 * SCRIPT DEBUG YES|SYNC|NO: NO replies OK. NOTE: there is no Lua debugger,
 * so YES and SYNC reply an error instead of starting a debugging session.
 */
function scriptDebug(client: Client, args: string[]): void {
  const mode = args[2].toLowerCase();
  if (mode === 'no') {
    client.reply.ok();
    return;
  }
  if (mode === 'yes' || mode === 'sync') throw new CommandError(SCRIPT_ERR.debugUnsupported);
  throw new CommandError(SCRIPT_ERR.debugOption);
}

/** Redis 7.0's SCRIPT HELP lines. */
const SCRIPT_HELP = [
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
];

/** SCRIPT HELP: the subcommands, one status reply per line. */
function scriptHelp(client: Client, args: string[]): void {
  replyHelp(client, args[0], SCRIPT_HELP);
}

/** Never called: dispatch runs the subcommand rows. */
function scriptParent(): void {
  throw new CommandError(ERR.syntax);
}

const EVAL_FLAGS = ['noscript', 'stale', 'skip_monitor', 'no_mandatory_keys'] as const;

function evalRow(
  name: string,
  readOnly: boolean,
  summary: string,
  handler: (client: Client, args: string[]) => void,
): RegisteredCommand {
  return command({
    name,
    arity: -3,
    flags: readOnly ? ['readonly', ...EVAL_FLAGS] : [...EVAL_FLAGS],
    categories: ['scripting'],
    group: 'scripting',
    since: readOnly ? '7.0.0' : '2.6.0',
    summary,
    complexity: 'Depends on the script that is executed.',
    handler,
    findKeys: (args) => numkeysKeys(args, 2),
  });
}

function scriptRow(
  name: string,
  arity: number,
  flags: ('noscript' | 'stale' | 'loading' | 'allow_busy')[],
  summary: string,
  handler: (client: Client, args: string[]) => void,
  since = '2.6.0',
): RegisteredCommand {
  return command({
    name: `script|${name}`,
    arity,
    flags,
    categories: ['scripting'],
    group: 'scripting',
    since,
    summary,
    complexity: name === 'exists' || name === 'flush' ? 'O(N)' : 'O(1)',
    handler,
  });
}

export const scriptingCommands: RegisteredCommand[] = [
  evalRow('eval', false, 'Executes a server-side Lua script.', evalCommand),
  evalRow('evalsha', false, 'Executes a server-side Lua script by SHA1 digest.', evalSha),
  evalRow('eval_ro', true, 'Executes a read-only server-side Lua script.', evalReadOnly),
  evalRow(
    'evalsha_ro',
    true,
    'Executes a read-only server-side Lua script by SHA1 digest.',
    evalShaReadOnly,
  ),
  command({
    name: 'script',
    arity: -2,
    group: 'scripting',
    since: '2.6.0',
    summary: 'A container for Lua scripts management commands.',
    complexity: 'Depends on subcommand.',
    handler: scriptParent,
    subcommands: [
      scriptRow('load', 3, ['noscript', 'stale'], 'Loads a Lua script into the cache.', scriptLoad),
      scriptRow('exists', -3, ['noscript'], 'Tells whether scripts are cached.', scriptExists),
      scriptRow('flush', -2, ['noscript'], 'Removes all scripts from the cache.', scriptFlush),
      scriptRow(
        'kill',
        2,
        ['noscript', 'allow_busy'],
        'Stops the script that is running.',
        scriptKill,
      ),
      scriptRow('debug', 3, ['noscript'], 'Sets the debug mode of scripts.', scriptDebug, '3.2.0'),
      scriptRow(
        'help',
        2,
        ['loading', 'stale'],
        'Returns help for the SCRIPT subcommands.',
        scriptHelp,
        '5.0.0',
      ),
    ],
  }),
];
