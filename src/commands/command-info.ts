/**
 * COMMAND and its subcommands: the command table as clients see it. Every
 * reply is built from the table rows (flags, arity, key positions,
 * categories, docs), so a family that registers a row shows up here at once.
 */
import {
  categoriesOf,
  command,
  defaultKeyFlags,
  hasKeyArguments,
  keyIndexes,
  requestKeyFlagsOf,
  arityMatches,
  type CommandFlag,
  type CommandSpec,
  type RegisteredCommand,
} from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import type { Server } from '../engine/server';
import type { Reply } from '../protocol/resp/reply';
import { globMatch } from '../store/glob';

/** The flags COMMAND INFO shows, in Redis 7.0's order. */
const FLAG_ORDER: readonly CommandFlag[] = [
  'write',
  'readonly',
  'denyoom',
  'admin',
  'pubsub',
  'noscript',
  'blocking',
  'loading',
  'stale',
  'skip_monitor',
  'skip_slowlog',
  'fast',
  'no_auth',
  'no_mandatory_keys',
  'no_async_loading',
  'no_multi',
  'movablekeys',
  'allow_busy',
];

/** Redis 7.0's ACL categories, in the order COMMAND INFO lists them. */
export const ACL_CATEGORIES: readonly string[] = [
  'keyspace',
  'read',
  'write',
  'set',
  'sortedset',
  'list',
  'hash',
  'string',
  'bitmap',
  'hyperloglog',
  'geo',
  'stream',
  'pubsub',
  'admin',
  'fast',
  'slow',
  'blocking',
  'dangerous',
  'connection',
  'transaction',
  'scripting',
];

/** A key specification as COMMAND INFO reports it. */
export interface KeySpec {
  flags: string[];
  /** Index of the first key, or null when only a key finder can locate the keys. */
  beginIndex: number | null;
  /** Last key relative to the first (negative: from the end), and the step between keys. */
  range: { lastKey: number; keyStep: number } | null;
}

/** Flags Redis 7.0 keeps out of COMMAND INFO. */
const HIDDEN_FLAGS: readonly CommandFlag[] = ['may_replicate'];

/** Returns the flags COMMAND INFO shows for a row, in Redis's order, then any Redis lacks. */
export function reportedFlags(spec: CommandSpec): string[] {
  const known = FLAG_ORDER.filter((flag) => spec.flags.includes(flag));
  const others = spec.flags.filter(
    (flag) => !FLAG_ORDER.includes(flag) && !HIDDEN_FLAGS.includes(flag),
  );
  return [...known, ...others];
}

/** Returns the ACL categories of a row in Redis's order, with unknown names last. */
export function orderedCategories(spec: CommandSpec): string[] {
  const categories = categoriesOf(spec);
  const rank = (name: string): number => {
    const index = ACL_CATEGORIES.indexOf(name);
    return index < 0 ? ACL_CATEGORIES.length : index;
  };
  return categories.sort((a, b) => rank(a) - rank(b));
}

/**
 * Derives the key specifications from the first/last/step key positions and
 * the row's key flags. Each key flag entry but the last gets a one-key
 * specification, and the last covers the remaining keys, as Redis splits
 * COPY or BITOP. A command whose keys move (a key finder) gets one more
 * specification of unknown shape, flagged INCOMPLETE, because the table does
 * not describe how its finder works.
 */
export function keySpecsOf(spec: CommandSpec): KeySpec[] {
  const list = spec.keyFlags ?? defaultKeyFlags(spec.flags);
  const specs: KeySpec[] = [];
  let ordinal = 0;
  if (spec.firstKey > 0) {
    let begin = spec.firstKey;
    const fixedLast = spec.lastKey >= 0;
    for (; ordinal < list.length - 1 && (!fixedLast || begin < spec.lastKey); ordinal++) {
      specs.push({
        flags: [...list[ordinal]],
        beginIndex: begin,
        range: { lastKey: 0, keyStep: 1 },
      });
      begin += spec.keyStep;
    }
    const lastKey = fixedLast ? spec.lastKey - begin : spec.lastKey;
    specs.push({
      flags: [...list[ordinal]],
      beginIndex: begin,
      range: { lastKey, keyStep: spec.keyStep },
    });
    ordinal = Math.min(ordinal + 1, list.length - 1);
  }
  if (spec.findKeys !== undefined) {
    specs.push({ flags: [...list[ordinal], 'INCOMPLETE'], beginIndex: null, range: null });
  }
  return specs;
}

function writeSimpleSet(reply: Reply, values: readonly string[]): void {
  reply.set(values.length);
  for (const value of values) reply.simple(value);
}

function writeBeginSearch(reply: Reply, keySpec: KeySpec): void {
  reply.map(2);
  reply.bulk('type');
  if (keySpec.beginIndex === null) {
    reply.bulk('unknown');
    reply.bulk('spec');
    reply.map(0);
    return;
  }
  reply.bulk('index');
  reply.bulk('spec');
  reply.map(1);
  reply.bulk('index');
  reply.int(keySpec.beginIndex);
}

function writeFindKeys(reply: Reply, keySpec: KeySpec): void {
  reply.map(2);
  reply.bulk('type');
  if (keySpec.range === null) {
    reply.bulk('unknown');
    reply.bulk('spec');
    reply.map(0);
    return;
  }
  reply.bulk('range');
  reply.bulk('spec');
  reply.map(3);
  reply.bulk('lastkey');
  reply.int(keySpec.range.lastKey);
  reply.bulk('keystep');
  reply.int(keySpec.range.keyStep);
  reply.bulk('limit');
  reply.int(0);
}

function writeKeySpec(reply: Reply, keySpec: KeySpec): void {
  reply.map(3);
  reply.bulk('flags');
  writeSimpleSet(reply, keySpec.flags);
  reply.bulk('begin_search');
  writeBeginSearch(reply, keySpec);
  reply.bulk('find_keys');
  writeFindKeys(reply, keySpec);
}

/**
 * Writes one COMMAND INFO entry in Redis 7.0's shape: name, arity, flags,
 * first key, last key, step, ACL categories, tips, key specifications and
 * subcommands.
 * NOTE: the table has no command tips (such as nondeterministic_output), so
 * the tips are always empty.
 */
export function writeCommandInfo(reply: Reply, spec: CommandSpec): void {
  reply.array(10);
  reply.bulk(spec.name);
  reply.int(spec.arity);
  writeSimpleSet(reply, reportedFlags(spec));
  reply.int(spec.firstKey);
  reply.int(spec.lastKey);
  reply.int(spec.keyStep);
  writeSimpleSet(
    reply,
    orderedCategories(spec).map((category) => `@${category}`),
  );
  reply.set(0);
  const keySpecs = keySpecsOf(spec);
  reply.set(keySpecs.length);
  for (const keySpec of keySpecs) writeKeySpec(reply, keySpec);
  if (spec.subcommands === undefined) {
    reply.set(0);
    return;
  }
  reply.array(spec.subcommands.size);
  for (const sub of spec.subcommands.values()) writeCommandInfo(reply, sub);
}

/**
 * Writes the COMMAND DOCS map of one row: summary, since, group, complexity
 * and, for a container, the docs of its subcommands.
 * NOTE: the table has no argument descriptions or history, so `arguments`
 * and `history` are never sent.
 */
export function writeCommandDocs(reply: Reply, spec: CommandSpec): void {
  const subcommands = spec.subcommands;
  reply.map(subcommands === undefined ? 4 : 5);
  reply.bulk('summary');
  reply.bulk(spec.summary);
  reply.bulk('since');
  reply.bulk(spec.since);
  reply.bulk('group');
  reply.bulk(spec.group);
  reply.bulk('complexity');
  reply.bulk(spec.complexity);
  if (subcommands === undefined) return;
  reply.bulk('subcommands');
  reply.map(subcommands.size);
  for (const sub of subcommands.values()) {
    reply.bulk(sub.name);
    writeCommandDocs(reply, sub);
  }
}

/** Finds a row by its full name: `get`, or `config|get` for a subcommand. */
export function findCommandByFullName(server: Server, name: string): CommandSpec | undefined {
  const parts = name.toLowerCase().split('|');
  if (parts.length > 2) return undefined;
  const parent = server.commands.get(parts[0]);
  if (parts.length === 1 || parent === undefined) return parent;
  return parent.subcommands?.get(parts[1]);
}

/** Yields every row of the table: each command, then its subcommands. */
export function* allCommandRows(server: Server): Generator<CommandSpec> {
  for (const spec of server.commands.values()) {
    yield spec;
    if (spec.subcommands !== undefined) yield* spec.subcommands.values();
  }
}

/** COMMAND: the COMMAND INFO entry of every command. */
function commandAll(client: Client): void {
  const reply = client.reply;
  reply.array(client.server.commands.size);
  for (const spec of client.server.commands.values()) writeCommandInfo(reply, spec);
}

/** COMMAND COUNT: the number of top-level commands. */
function commandCount(client: Client): void {
  client.reply.int(client.server.commands.size);
}

/** COMMAND INFO [name ...]: one entry per name, nil for an unknown one; all when none given. */
function commandInfo(client: Client, args: string[]): void {
  if (args.length === 2) {
    commandAll(client);
    return;
  }
  const reply = client.reply;
  reply.array(args.length - 2);
  for (const name of args.slice(2)) {
    const spec = findCommandByFullName(client.server, name);
    if (spec === undefined) reply.nil();
    else writeCommandInfo(reply, spec);
  }
}

/** COMMAND DOCS [name ...]: a map from name to docs; unknown names are left out. */
function commandDocs(client: Client, args: string[]): void {
  const reply = client.reply;
  const server = client.server;
  const specs: CommandSpec[] = [];
  if (args.length === 2) specs.push(...server.commands.values());
  for (const name of args.slice(2)) {
    const spec = findCommandByFullName(server, name);
    if (spec !== undefined) specs.push(spec);
  }
  reply.map(specs.length);
  for (const spec of specs) {
    reply.bulk(spec.name);
    writeCommandDocs(reply, spec);
  }
}

type RowFilter = (spec: CommandSpec) => boolean;

/** Reads `FILTERBY MODULE|ACLCAT|PATTERN value`; raises a syntax error for anything else. */
function parseListFilter(args: string[]): RowFilter {
  if (args.length === 2) return () => true;
  if (args.length !== 5 || args[2].toLowerCase() !== 'filterby') {
    throw new CommandError(ERR.syntax);
  }
  const value = args[4];
  switch (args[3].toLowerCase()) {
    case 'module':
      // No modules can be loaded, so no command belongs to one.
      return () => false;
    case 'aclcat': {
      const category = value.toLowerCase();
      return (spec) => categoriesOf(spec).includes(category);
    }
    case 'pattern':
      return (spec) => globMatch(value, spec.name, true);
    default:
      throw new CommandError(ERR.syntax);
  }
}

/** COMMAND LIST [FILTERBY ...]: the names of the matching commands and subcommands. */
function commandList(client: Client, args: string[]): void {
  const filter = parseListFilter(args);
  const names: string[] = [];
  for (const spec of allCommandRows(client.server)) {
    if (filter(spec)) names.push(spec.name);
  }
  client.reply.bulkArray(names);
}

/** Resolves the command of a COMMAND GETKEYS request, as dispatch would. */
function resolveForKeys(server: Server, commandArgs: string[]): CommandSpec {
  const parent = server.commands.get(commandArgs[0].toLowerCase());
  let spec: CommandSpec | undefined = parent;
  if (parent?.subcommands !== undefined && commandArgs.length >= 2) {
    spec = parent.subcommands.get(commandArgs[1].toLowerCase());
  }
  if (spec === undefined) throw new CommandError(ERR.invalidCommandSpecified);
  if (!hasKeyArguments(spec)) throw new CommandError(ERR.commandHasNoKeys);
  if (!arityMatches(spec.arity, commandArgs.length)) {
    throw new CommandError(ERR.invalidArgumentCount);
  }
  return spec;
}

/** Finds the key indexes of a command, or raises Redis's error when there are none. */
function keysOf(server: Server, commandArgs: string[]): [CommandSpec, number[]] {
  const spec = resolveForKeys(server, commandArgs);
  const indexes = keyIndexes(spec, commandArgs);
  if (indexes.length === 0 && !spec.flags.includes('no_mandatory_keys')) {
    throw new CommandError(ERR.invalidArguments);
  }
  return [spec, indexes];
}

/** COMMAND GETKEYS command [arg ...]: the key arguments of a full command. */
function commandGetKeys(client: Client, args: string[]): void {
  const commandArgs = args.slice(2);
  const [, indexes] = keysOf(client.server, commandArgs);
  client.reply.bulkArray(indexes.map((index) => commandArgs[index]));
}

/** COMMAND GETKEYSANDFLAGS command [arg ...]: each key argument with its access flags. */
function commandGetKeysAndFlags(client: Client, args: string[]): void {
  const commandArgs = args.slice(2);
  const [spec, indexes] = keysOf(client.server, commandArgs);
  const list = requestKeyFlagsOf(spec, commandArgs);
  const reply = client.reply;
  reply.array(indexes.length);
  for (let k = 0; k < indexes.length; k++) {
    reply.array(2);
    reply.bulk(commandArgs[indexes[k]]);
    writeSimpleSet(reply, list[Math.min(k, list.length - 1)]);
  }
}

const COMMAND_HELP = [
  '(no subcommand)',
  '    Reply with the details of every command.',
  'COUNT',
  '    Reply with the number of commands.',
  'LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]',
  '    Reply with the names of the commands, optionally only the matching ones.',
  'INFO [<command-name> ...]',
  '    Reply with the details of the named commands, or of every command.',
  'DOCS [<command-name> ...]',
  '    Reply with the documentation of the named commands, or of every command.',
  'GETKEYS <full-command>',
  '    Reply with the key arguments of a full command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Reply with the key arguments of a full command and their access flags.',
];

/**
 * Writes the reply of a `<COMMAND> HELP` subcommand: a usage line, the given
 * lines, and the HELP entry itself, as an array of simple strings.
 */
export function writeSubcommandHelp(client: Client, name: string, lines: readonly string[]): void {
  const all = [
    `${name} <subcommand> [<arg> ...], where the subcommands are:`,
    ...lines,
    'HELP',
    '    Reply with this help text.',
  ];
  client.reply.array(all.length);
  for (const line of all) client.reply.simple(line);
}

const PER_COMMAND = 'O(N) where N is the number of commands';
const PER_ARGUMENT = 'O(N) where N is the number of arguments of the command';

function sub(
  name: string,
  arity: number,
  since: string,
  complexity: string,
  summary: string,
  handler: (client: Client, args: string[]) => void,
): RegisteredCommand {
  return command({
    name: `command|${name}`,
    arity,
    flags: ['loading', 'stale'],
    categories: ['connection'],
    group: 'server',
    since,
    summary,
    complexity,
    handler,
  });
}

export const commandInfoCommands: RegisteredCommand[] = [
  command({
    name: 'command',
    arity: -1,
    flags: ['loading', 'stale'],
    categories: ['connection'],
    group: 'server',
    since: '2.8.13',
    summary: 'Describes every command of the server.',
    complexity: PER_COMMAND,
    handler: commandAll,
    subcommands: [
      sub('count', 2, '2.8.13', 'O(1)', 'Counts the commands of the server.', commandCount),
      sub(
        'info',
        -2,
        '2.8.13',
        PER_COMMAND,
        'Describes the given commands, or all of them.',
        commandInfo,
      ),
      sub(
        'docs',
        -2,
        '7.0.0',
        PER_COMMAND,
        'Documents the given commands, or all of them.',
        commandDocs,
      ),
      sub(
        'list',
        -2,
        '7.0.0',
        PER_COMMAND,
        'Lists the names of the commands, optionally ' + 'filtered.',
        commandList,
      ),
      sub(
        'getkeys',
        -4,
        '2.8.13',
        PER_ARGUMENT,
        'Extracts the key arguments of a full ' + 'command.',
        commandGetKeys,
      ),
      sub(
        'getkeysandflags',
        -4,
        '7.0.0',
        PER_ARGUMENT,
        'Extracts the key arguments of a ' + 'full command and their access flags.',
        commandGetKeysAndFlags,
      ),
      sub('help', 2, '5.0.0', 'O(1)', 'Describes the COMMAND subcommands.', (client) =>
        writeSubcommandHelp(client, 'COMMAND', COMMAND_HELP),
      ),
    ],
  }),
];
