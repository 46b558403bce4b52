/**
 * One ACL selector: the commands, keys and channels it allows. A user has a
 * root selector, optional further selectors in parentheses, and the selectors
 * of its roles. A request is allowed when any of them allows it.
 */
import { keyIndexes, requestKeyFlagsOf, type RegisteredCommand } from '../engine/command';
import {
  CHANNELS_FIRST,
  CHANNELS_NONE,
  CHANNELS_PATTERNS,
  KEY_READ,
  KEY_WRITE,
  keyAccessList,
  type CommandIndex,
} from './command-index';
import { compilePattern, type Matcher } from './patterns';

/** Outcomes of a permission check, ordered so that the most relevant denial is the largest. */
export const ACL_OK = 0;
export const DENIED_COMMAND = 1;
export const DENIED_KEY = 2;
export const DENIED_AUTH = 3;
export const DENIED_CHANNEL = 4;

/** A rule that cannot be applied; the message is Redis's reason text. */
export class RuleError extends Error {}

export const RULE_REASONS = {
  syntax: 'Syntax error',
  unknownCommand: 'Unknown command or category name in ACL',
  firstArgOfSubcommand: 'Allowing first-arg of a subcommand is not supported',
  keyAfterAll:
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not " +
    "have any effect. Try 'resetkeys' to start with an empty list of patterns",
  channelAfterAll:
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does " +
    "not have any effect. Try 'resetchannels' to start with an empty list of channels",
} as const;

export interface KeyPattern {
  readonly text: string;
  /** KEY_READ and/or KEY_WRITE. */
  flags: number;
  readonly match: Matcher;
}

export interface ChannelPattern {
  readonly text: string;
  readonly match: Matcher;
}

/** Argument index of the key or channel that the last failed check rejected. */
let deniedIndex = 0;

/** Returns the argument index of the key or channel behind the last denial. */
export function lastDeniedIndex(): number {
  return deniedIndex;
}

export class Selector {
  readonly index: CommandIndex;
  /** One byte per command-table row: 1 when allowed. */
  commands: Uint8Array;
  /** Set by +@all: commands added to the table later are allowed too. */
  allowsFuture = false;
  /** First arguments allowed for commands whose bit is off (`+select|0`), by row id. */
  firstArgs: Map<number, string[]> | null = null;
  keys: KeyPattern[] = [];
  allKeys = false;
  channels: ChannelPattern[] = [];
  allChannels = false;

  constructor(index: CommandIndex) {
    this.index = index;
    this.commands = new Uint8Array(index.size);
  }

  clone(): Selector {
    const copy = new Selector(this.index);
    copy.commands.set(this.commands);
    copy.allowsFuture = this.allowsFuture;
    if (this.firstArgs !== null) {
      copy.firstArgs = new Map([...this.firstArgs].map(([id, args]) => [id, [...args]]));
    }
    copy.keys = this.keys.map((pattern) => ({ ...pattern }));
    copy.allKeys = this.allKeys;
    copy.channels = [...this.channels];
    copy.allChannels = this.allChannels;
    return copy;
  }

  /** True when the selector allows every command on every key and channel. */
  get unrestricted(): boolean {
    return this.allKeys && this.allChannels && this.commands.every((bit) => bit === 1);
  }

  /** Applies one selector rule; throws RuleError with Redis's reason when it is invalid. */
  apply(rule: string): void {
    const lower = rule.toLowerCase();
    if (this.#applyWord(lower)) return;
    const first = rule[0];
    if (first === '~' || first === '%') this.#addKeyPattern(rule);
    else if (first === '&') this.#addChannelPattern(rule.slice(1));
    else if (first === '+' || first === '-') this.#applyCommandRule(rule);
    else throw new RuleError(RULE_REASONS.syntax);
  }

  /** Applies a rule that is a fixed word; returns false for any other rule. */
  #applyWord(lower: string): boolean {
    switch (lower) {
      case 'allkeys':
        this.#setAllKeys();
        return true;
      case 'resetkeys':
        this.allKeys = false;
        this.keys = [];
        return true;
      case 'allchannels':
        this.#setAllChannels();
        return true;
      case 'resetchannels':
        this.allChannels = false;
        this.channels = [];
        return true;
      case 'allcommands':
      case '+@all':
        this.setAllCommands(true);
        return true;
      case 'nocommands':
      case '-@all':
        this.setAllCommands(false);
        return true;
      default:
        return false;
    }
  }

  #setAllKeys(): void {
    this.allKeys = true;
    this.keys = [];
  }

  #setAllChannels(): void {
    this.allChannels = true;
    this.channels = [];
  }

  setAllCommands(allowed: boolean): void {
    this.commands.fill(allowed ? 1 : 0);
    this.allowsFuture = allowed;
    this.firstArgs = null;
  }

  /** `~pattern`, or `%R~`, `%W~`, `%RW~` for read-only or write-only patterns. */
  #addKeyPattern(rule: string): void {
    let flags = KEY_READ | KEY_WRITE;
    let offset = 1;
    if (rule[0] === '%') {
      flags = 0;
      for (; offset < rule.length && rule[offset] !== '~'; offset++) {
        const letter = rule[offset].toUpperCase();
        let bit = 0;
        if (letter === 'R') bit = KEY_READ;
        else if (letter === 'W') bit = KEY_WRITE;
        if (bit === 0 || (flags & bit) !== 0) throw new RuleError(RULE_REASONS.syntax);
        flags |= bit;
      }
      if (flags === 0 || offset >= rule.length) throw new RuleError(RULE_REASONS.syntax);
      offset++;
    }
    const text = rule.slice(offset);
    if (text === '*' && rule[0] === '~') {
      this.#setAllKeys();
      return;
    }
    if (this.allKeys) throw new RuleError(RULE_REASONS.keyAfterAll);
    if (text.includes(' ')) throw new RuleError(RULE_REASONS.syntax);
    const existing = this.keys.find((pattern) => pattern.text === text);
    if (existing !== undefined) existing.flags |= flags;
    else this.keys.push({ text, flags, match: compilePattern(text) });
  }

  #addChannelPattern(text: string): void {
    if (text === '*') {
      this.#setAllChannels();
      return;
    }
    if (this.allChannels) throw new RuleError(RULE_REASONS.channelAfterAll);
    if (text.includes(' ')) throw new RuleError(RULE_REASONS.syntax);
    if (this.channels.some((pattern) => pattern.text === text)) return;
    this.channels.push({ text, match: compilePattern(text) });
  }

  /** `+cmd`, `-cmd`, `+@category`, `-@category`, `+cmd|sub`, `-cmd|sub`, `+cmd|firstarg`. */
  #applyCommandRule(rule: string): void {
    const allow = rule[0] === '+';
    const name = rule.slice(1);
    if (name.startsWith('@')) {
      const ids = this.index.category(name.slice(1));
      if (ids === undefined) throw new RuleError(RULE_REASONS.unknownCommand);
      for (const id of ids) this.#setCommand(id, allow);
      return;
    }
    const bar = name.lastIndexOf('|');
    if (bar < 0) {
      const command = this.index.find(name);
      if (command === undefined) throw new RuleError(RULE_REASONS.unknownCommand);
      this.#setCommand(command.id, allow);
      for (const sub of command.subcommands.values()) this.#setCommand(sub.id, allow);
      return;
    }
    const [parentName, subName] = name.split('|');
    const command = this.index.find(parentName);
    if (command === undefined) throw new RuleError(RULE_REASONS.unknownCommand);
    const sub = command.subcommands.get(subName.toLowerCase());
    if (name.indexOf('|') !== bar) {
      // `+cmd|sub|arg`: a first argument of a subcommand.
      const reason = sub === undefined ? 'unknownCommand' : 'firstArgOfSubcommand';
      throw new RuleError(RULE_REASONS[reason]);
    }
    if (command.subcommands.size > 0) {
      if (sub === undefined) throw new RuleError(RULE_REASONS.unknownCommand);
      this.#setCommand(sub.id, allow);
      return;
    }
    if (!allow) throw new RuleError(RULE_REASONS.unknownCommand);
    if (subName === '') throw new RuleError(RULE_REASONS.syntax);
    this.#addFirstArg(command.id, subName);
  }

  #setCommand(id: number, allow: boolean): void {
    this.commands[id] = allow ? 1 : 0;
    this.firstArgs?.delete(id);
  }

  #addFirstArg(id: number, arg: string): void {
    if (this.commands[id] === 1) return;
    this.firstArgs ??= new Map();
    const args = this.firstArgs.get(id) ?? [];
    if (!args.some((each) => each.toLowerCase() === arg.toLowerCase())) args.push(arg);
    this.firstArgs.set(id, args);
  }

  /**
   * Checks a request against this selector: command, then keys, then
   * channels. Returns ACL_OK or the DENIED_* reason; for keys and channels
   * the offending argument index is kept for `lastDeniedIndex`.
   */
  check(spec: RegisteredCommand, id: number, args: readonly string[]): number {
    const index = this.index;
    if (this.commands[id] !== 1 && index.alwaysAllowed[id] !== 1) {
      if (!this.#firstArgAllowed(id, args)) return DENIED_COMMAND;
    }
    if (!this.allKeys && index.checksKeys[id] === 1) {
      if (!this.#keysAllowed(spec, id, args)) return DENIED_KEY;
    }
    const channels = index.channelArguments[id];
    if (channels !== CHANNELS_NONE && !this.allChannels) {
      if (!this.#channelsAllowed(channels, args)) return DENIED_CHANNEL;
    }
    return ACL_OK;
  }

  #firstArgAllowed(id: number, args: readonly string[]): boolean {
    const allowed = this.firstArgs?.get(id);
    if (allowed === undefined || args.length < 2) return false;
    const first = args[1].toLowerCase();
    return allowed.some((arg) => arg.toLowerCase() === first);
  }

  /**
   * Checks each key against the permissions its own key flags need, so that
   * SUNIONSTORE needs write on its destination and only read on its sources.
   */
  #keysAllowed(spec: RegisteredCommand, id: number, args: readonly string[]): boolean {
    const accessList =
      spec.requestKeyFlags === undefined && id >= 0
        ? this.index.keyAccess[id]
        : keyAccessList(requestKeyFlagsOf(spec, args));
    const lastEntry = accessList.length - 1;
    if (spec.findKeys !== undefined) {
      const indexes = keyIndexes(spec, args);
      for (let k = 0; k < indexes.length; k++) {
        const access = accessList[Math.min(k, lastEntry)];
        if (!this.keyAllowed(args[indexes[k]], access)) return fail(indexes[k]);
      }
      return true;
    }
    const last = spec.lastKey < 0 ? args.length + spec.lastKey : spec.lastKey;
    let k = 0;
    for (let i = spec.firstKey; i <= last && i < args.length; i += spec.keyStep, k++) {
      if (!this.keyAllowed(args[i], accessList[Math.min(k, lastEntry)])) return fail(i);
    }
    return true;
  }

  /**
   * Checks one key against the patterns that grant every permission in
   * `access`; with no permission needed, any pattern matching the key will do.
   */
  keyAllowed(key: string, access: number): boolean {
    if (this.allKeys) return true;
    for (const pattern of this.keys) {
      if ((pattern.flags & access) === access && pattern.match(key)) return true;
    }
    return false;
  }

  #channelsAllowed(kind: number, args: readonly string[]): boolean {
    const end = kind === CHANNELS_FIRST ? Math.min(2, args.length) : args.length;
    for (let i = 1; i < end; i++) {
      const allowed =
        kind === CHANNELS_PATTERNS ? this.#patternAllowed(args[i]) : this.channelAllowed(args[i]);
      if (!allowed) return fail(i);
    }
    return true;
  }

  channelAllowed(channel: string): boolean {
    return this.allChannels || this.channels.some((pattern) => pattern.match(channel));
  }

  /** A PSUBSCRIBE pattern must be one of the allowed patterns, letter for letter. */
  #patternAllowed(pattern: string): boolean {
    return this.allChannels || this.channels.some((allowed) => allowed.text === pattern);
  }
}

function fail(index: number): false {
  deniedIndex = index;
  return false;
}

/** Splits a selector's text (without its parentheses) into rules and applies them. */
export function applySelectorText(selector: Selector, text: string): void {
  for (const rule of text.split(' ')) {
    if (rule !== '') selector.apply(rule);
  }
}
