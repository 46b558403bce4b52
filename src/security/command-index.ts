/**
 * Numbers every row of the command table (parents and subcommands) so that
 * ACL selectors can keep their command permissions as one byte per row, and
 * lists the rows of each ACL category.
 */
import {
  categoriesOf,
  defaultKeyFlags,
  hasKeyArguments,
  type KeyFlag,
  type KeyFlagList,
  type RegisteredCommand,
} from '../engine/command';

/** ACL categories in the order Redis 7.0 lists them (ACL CAT) and describes rules with. */
export const ACL_CATEGORIES = [
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
] as const;

/** One top-level command with the ids of its own row and of its subcommand rows. */
export interface IndexedCommand {
  readonly spec: RegisteredCommand;
  readonly id: number;
  /** Subcommand rows by lowercase subcommand name. */
  readonly subcommands: ReadonlyMap<string, { spec: RegisteredCommand; id: number }>;
}

/** The command table numbered for ACL checks; built once all commands are registered. */
export class CommandIndex {
  /** Top-level commands in table order. */
  readonly commands: IndexedCommand[] = [];
  readonly #byName = new Map<string, IndexedCommand>();
  readonly #ids = new Map<RegisteredCommand, number>();
  readonly #rows: RegisteredCommand[] = [];
  readonly #categories = new Map<string, number[]>();
  /**
   * Key permissions (KEY_READ, KEY_WRITE) of each row's keys in key order,
   * by id; the last entry applies to every later key. Rows whose flags depend
   * on the arguments (SET ... GET) are worked out per request instead.
   */
  keyAccess: Uint8Array[] = [];
  /** The channel arguments of each row (CHANNELS_*), by id. */
  channelArguments = new Uint8Array(0);
  /** 1 for rows that every user may run (no_auth: AUTH, HELLO, QUIT, RESET), by id. */
  alwaysAllowed = new Uint8Array(0);
  /** 1 for rows whose key arguments are checked against key patterns, by id. */
  checksKeys = new Uint8Array(0);

  constructor(table: Iterable<RegisteredCommand>) {
    for (const category of ACL_CATEGORIES) this.#categories.set(category, []);
    for (const spec of table) this.#addCommand(spec);
    this.keyAccess = this.#rows.map((row) =>
      keyAccessList(row.keyFlags ?? defaultKeyFlags(row.flags)),
    );
    this.channelArguments = Uint8Array.from(this.#rows, channelArgumentsOf);
    this.alwaysAllowed = Uint8Array.from(this.#rows, (row) =>
      row.flags.includes('no_auth') ? 1 : 0,
    );
    this.checksKeys = Uint8Array.from(this.#rows, (row) => (hasKeyArguments(row) ? 1 : 0));
  }

  #addCommand(spec: RegisteredCommand): void {
    if (this.#ids.has(spec)) return;
    const subcommands = new Map<string, { spec: RegisteredCommand; id: number }>();
    const entry: IndexedCommand = { spec, id: this.#addRow(spec), subcommands };
    for (const [name, sub] of spec.subcommands ?? []) {
      const row = sub as RegisteredCommand;
      subcommands.set(name, { spec: row, id: this.#addRow(row) });
    }
    this.commands.push(entry);
    this.#byName.set(spec.name, entry);
  }

  #addRow(spec: RegisteredCommand): number {
    const id = this.#rows.length;
    this.#rows.push(spec);
    this.#ids.set(spec, id);
    for (const category of categoriesOf(spec)) this.#categories.get(category)?.push(id);
    return id;
  }

  /** Number of rows, parents and subcommands together. */
  get size(): number {
    return this.#rows.length;
  }

  /** Returns the id of a row, or -1 for a row added after the index was built. */
  idOf(spec: RegisteredCommand): number {
    return this.#ids.get(spec) ?? -1;
  }

  row(id: number): RegisteredCommand {
    return this.#rows[id];
  }

  /** Finds a top-level command by its original name (renames do not apply to ACL rules). */
  find(name: string): IndexedCommand | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  /** Returns the row ids in a category, or undefined for an unknown category. */
  category(name: string): readonly number[] | undefined {
    return this.#categories.get(name.toLowerCase());
  }
}

/** Key permissions a row needs for each of its keys: read, write, or both. */
export const KEY_READ = 1;
export const KEY_WRITE = 2;

/** Kinds of channel arguments, for channel permission checks. */
export const CHANNELS_NONE = 0;
/** The first argument is a channel (PUBLISH, SPUBLISH). */
export const CHANNELS_FIRST = 1;
/** Every argument after the name is a channel (SUBSCRIBE, SSUBSCRIBE). */
export const CHANNELS_ALL = 2;
/** Every argument after the name is a pattern, matched literally (PSUBSCRIBE). */
export const CHANNELS_PATTERNS = 3;

const CHANNEL_ARGUMENTS: Record<string, number> = {
  publish: CHANNELS_FIRST,
  spublish: CHANNELS_FIRST,
  subscribe: CHANNELS_ALL,
  ssubscribe: CHANNELS_ALL,
  psubscribe: CHANNELS_PATTERNS,
};

/**
 * Returns the key permissions that a key's flags need, by Redis 7.0's rule:
 * access needs read, and insert, update or delete need write. A key with
 * neither (EXISTS, TYPE) only has to match a pattern of either kind.
 */
export function keyAccessOf(flags: readonly KeyFlag[]): number {
  let access = 0;
  if (flags.includes('access')) access |= KEY_READ;
  if (flags.includes('insert') || flags.includes('update') || flags.includes('delete')) {
    access |= KEY_WRITE;
  }
  return access;
}

/** Returns the key permissions of each entry of a key flag list. */
export function keyAccessList(list: KeyFlagList): Uint8Array {
  return Uint8Array.from(list, keyAccessOf);
}

export function channelArgumentsOf(spec: RegisteredCommand): number {
  return CHANNEL_ARGUMENTS[spec.name] ?? CHANNELS_NONE;
}
