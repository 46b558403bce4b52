import type { Client } from './client';

/** Redis's command flags, as COMMAND INFO reports them. */
export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'skip_monitor'
  | 'skip_slowlog'
  | 'fast'
  | 'no_auth'
  | 'may_replicate'
  | 'no_mandatory_keys'
  | 'no_multi'
  | 'allow_busy'
  | 'no_async_loading'
  | 'movablekeys';

/**
 * A command handler. It reads `args` (args[0] is the command name as sent),
 * writes exactly one reply to `client.reply` (or blocks the client), and
 * raises CommandError for an error reply.
 */
export type Handler = (client: Client, args: string[]) => void;

/** Returns the argument indexes that are keys, for commands whose keys move. */
export type KeyFinder = (args: readonly string[]) => number[];

/**
 * Redis 7.0's key-spec flags of one key: how the key is used (RO, RW, OW,
 * RM) and what happens to its data (access, update, insert, delete).
 * variable_flags marks a row whose flags depend on the arguments, and
 * not_key an argument that names a shard channel, not a key (SPUBLISH).
 */
export type KeyFlag =
  | 'RW'
  | 'RO'
  | 'OW'
  | 'RM'
  | 'access'
  | 'update'
  | 'insert'
  | 'delete'
  | 'not_key'
  | 'variable_flags';

/**
 * The key-spec flags of a request's keys in key order. The last entry applies
 * to every later key, so a single entry covers all keys.
 */
export type KeyFlagList = readonly (readonly KeyFlag[])[];

export interface CommandSpec {
  /** Lowercase name; `parent|sub` for a subcommand. */
  readonly name: string;
  /** Argument count including the name; negative means "at least". */
  readonly arity: number;
  readonly flags: readonly CommandFlag[];
  /** Index of the first key argument, 0 when the command takes no keys. */
  readonly firstKey: number;
  /** Index of the last key; negative counts from the end (-1: the last argument). */
  readonly lastKey: number;
  readonly keyStep: number;
  /** ACL categories beyond those derived from flags, without the '@'. */
  readonly categories: readonly string[];
  /** COMMAND DOCS group: string, generic, connection, server, list, ... */
  readonly group: string;
  readonly summary: string;
  readonly since: string;
  readonly complexity: string;
  readonly handler: Handler;
  readonly findKeys?: KeyFinder;
  /**
   * The key arguments a write changes, when not all of them are (COPY and the
   * STORE commands only read their sources); WATCH and memory accounting use it.
   */
  readonly writtenKeys?: KeyFinder;
  /** Redis's key-spec flags when they differ from the default of the row's flags. */
  readonly keyFlags?: KeyFlagList;
  /** Returns the key flags of one request, for rows whose flags depend on arguments (SET). */
  readonly requestKeyFlags?: (args: readonly string[]) => KeyFlagList;
  readonly subcommands?: ReadonlyMap<string, CommandSpec>;
}

export interface CommandOptions {
  name: string;
  arity: number;
  flags?: CommandFlag[];
  keys?: [first: number, last: number, step: number];
  categories?: string[];
  group: string;
  summary: string;
  since?: string;
  complexity?: string;
  handler: Handler;
  findKeys?: KeyFinder;
  writtenKeys?: KeyFinder;
  keyFlags?: KeyFlagList;
  requestKeyFlags?: (args: readonly string[]) => KeyFlagList;
  subcommands?: CommandSpec[];
}

/** Usage counters of one command, for INFO commandstats. */
export interface CommandStats {
  calls: number;
  microseconds: number;
  rejectedCalls: number;
  failedCalls: number;
}

export interface RegisteredCommand extends CommandSpec {
  readonly stats: CommandStats;
  readonly isWrite: boolean;
}

/** Builds a table row with defaults: no keys, no flags, no extra categories. */
export function command(options: CommandOptions): RegisteredCommand {
  const [firstKey, lastKey, keyStep] = options.keys ?? [0, 0, 0];
  const flags = options.flags ?? [];
  const subcommands = options.subcommands
    ? new Map(options.subcommands.map((sub) => [sub.name.split('|')[1], sub]))
    : undefined;
  return {
    name: options.name.toLowerCase(),
    arity: options.arity,
    flags: options.findKeys ? [...flags, 'movablekeys'] : flags,
    firstKey,
    lastKey,
    keyStep,
    categories: options.categories ?? [],
    group: options.group,
    summary: options.summary,
    since: options.since ?? '1.0.0',
    complexity: options.complexity ?? 'O(1)',
    handler: options.handler,
    findKeys: options.findKeys,
    writtenKeys: options.writtenKeys,
    keyFlags: options.keyFlags ?? defaultKeyFlags(flags),
    requestKeyFlags: options.requestKeyFlags,
    subcommands,
    stats: { calls: 0, microseconds: 0, rejectedCalls: 0, failedCalls: 0 },
    isWrite: flags.includes('write'),
  };
}

/**
 * Key flags Redis gives most commands of a kind: a write command updates its
 * keys, a read-only command reads them, and any other (EVAL, FCALL) may do both.
 */
export function defaultKeyFlags(flags: readonly CommandFlag[]): KeyFlagList {
  if (flags.includes('write')) return KEYS_UPDATED;
  if (flags.includes('readonly')) return KEYS_READ;
  return KEYS_READ_AND_UPDATED;
}

/** Key flags shared by many rows: every key is read (GET, LRANGE). */
export const KEYS_READ: KeyFlagList = [['RO', 'access']];
/** Every key is updated without its value being returned (HSET, EXPIRE). */
export const KEYS_UPDATED: KeyFlagList = [['RW', 'update']];
/** Every key is read and updated (INCR, EVAL). */
export const KEYS_READ_AND_UPDATED: KeyFlagList = [['RW', 'access', 'update']];
/** Every key gains elements without being read (LPUSH, SADD, APPEND). */
export const KEYS_INSERTED: KeyFlagList = [['RW', 'insert']];
/** Every key loses elements without being read (SREM, LTRIM, XDEL). */
export const KEYS_REMOVED: KeyFlagList = [['RW', 'delete']];
/** Every key is read and has elements removed (LPOP, BLMPOP, GETDEL). */
export const KEYS_POPPED: KeyFlagList = [['RW', 'access', 'delete']];
/** Only the existence, type or size of every key is looked at (EXISTS, TYPE, HLEN). */
export const KEYS_PROBED: KeyFlagList = [['RO']];
/** The first key is overwritten and the later keys are read (SUNIONSTORE, BITOP). */
export const DESTINATION_THEN_SOURCES: KeyFlagList = [
  ['OW', 'update'],
  ['RO', 'access'],
];
/** The first key loses an element and the second gains it (LMOVE, SMOVE). */
export const SOURCE_TO_DESTINATION: KeyFlagList = [
  ['RW', 'access', 'delete'],
  ['RW', 'insert'],
];

/** Returns the key flags of one request: the row's, or those its arguments select. */
export function requestKeyFlagsOf(spec: CommandSpec, args: readonly string[]): KeyFlagList {
  return spec.requestKeyFlags?.(args) ?? spec.keyFlags ?? defaultKeyFlags(spec.flags);
}

/** Key finder for commands that write only their first key argument (the STORE forms). */
export const FIRST_KEY_WRITTEN: KeyFinder = () => [1];

/** Whether an argument count satisfies an arity (negative: at least). */
export function arityMatches(arity: number, count: number): boolean {
  return arity >= 0 ? count === arity : count >= -arity;
}

/**
 * Reports whether a row has key arguments. Sharded pub/sub rows name a
 * channel where the table has a key (for cluster slots), flagged not_key,
 * so like Redis they have none for ACL key checks and COMMAND GETKEYS.
 */
export function hasKeyArguments(spec: CommandSpec): boolean {
  if (spec.keyFlags?.every((flags) => flags.includes('not_key')) === true) return false;
  return spec.firstKey !== 0 || spec.findKeys !== undefined;
}

/** Returns the indexes of the key arguments of a request. */
export function keyIndexes(spec: CommandSpec, args: readonly string[]): number[] {
  if (spec.findKeys) return spec.findKeys(args);
  if (spec.firstKey === 0) return [];
  const last = spec.lastKey < 0 ? args.length + spec.lastKey : spec.lastKey;
  const indexes: number[] = [];
  for (let i = spec.firstKey; i <= last && i < args.length; i += spec.keyStep) indexes.push(i);
  return indexes;
}

/** ACL categories of a command: its own plus those Redis derives from its flags. */
export function categoriesOf(spec: CommandSpec): string[] {
  const result = new Set(spec.categories);
  const flags = spec.flags;
  if (flags.includes('write')) result.add('write');
  // Like Redis, read-only scripting commands (EVAL_RO, FCALL_RO) are not @read.
  if (flags.includes('readonly') && !result.has('scripting')) result.add('read');
  if (flags.includes('admin')) {
    result.add('admin');
    result.add('dangerous');
  }
  if (flags.includes('pubsub')) result.add('pubsub');
  if (flags.includes('fast')) result.add('fast');
  if (flags.includes('blocking')) result.add('blocking');
  if (!flags.includes('fast')) result.add('slow');
  return [...result];
}
