/**
 * CONFIG subcommands: reading and changing settings at run time (GET, SET),
 * resetting statistics (RESETSTAT), and writing the settings in force back
 * to the config file (REWRITE).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import {
  formatSettingValue,
  InvalidSettingError,
  parseSettingValue,
  type Config,
} from '../config/config';
import { findSetting, SETTINGS, type Setting } from '../config/settings';
import { command, type CommandFlag, type RegisteredCommand } from '../engine/command';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { parseNotifySettings } from '../engine/notify';
import { resetInfoSamples } from '../observability/info';
import { splitInlineArguments } from '../protocol/resp/parser';
import { globMatch } from '../store/glob';
import { isLocalClient } from './client';
import { writeSubcommandHelp } from './command-info';

/**
 * Checks whether CONFIG GET may show a setting.
 * NOTE: `requirepass` is marked secret, but Redis shows it to CONFIG GET, and
 * clients and tools rely on that, so it is shown too. Every other secret
 * setting stays hidden.
 */
function isShown(setting: Setting): boolean {
  return setting.secret !== true || setting.name === 'requirepass';
}

/** Returns the value CONFIG GET shows. For `dir` that is the working directory, as in Redis. */
export function shownValue(client: Client, setting: Setting): string {
  if (setting.name === 'dir') return process.cwd();
  return client.server.config.text(setting);
}

/** Returns every name of a setting: its own and its aliases. */
function namesOf(setting: Setting): string[] {
  return [setting.name, ...(setting.aliases ?? [])];
}

function isGlobPattern(text: string): boolean {
  return /[*?[]/.test(text);
}

/**
 * CONFIG GET pattern [pattern ...]: name/value pairs of the settings that
 * match any pattern. An exact name is shown as written; a pattern also
 * matches alias names. Each name appears once.
 */
function configGet(client: Client, args: string[]): void {
  const found = new Map<string, [string, Setting]>();
  const add = (name: string, setting: Setting): void => {
    const key = name.toLowerCase();
    if (!found.has(key) && isShown(setting)) found.set(key, [name, setting]);
  };
  for (const pattern of args.slice(2)) {
    if (!isGlobPattern(pattern)) {
      const setting = findSetting(pattern);
      if (setting !== undefined) add(pattern, setting);
      continue;
    }
    for (const setting of SETTINGS) {
      for (const name of namesOf(setting)) {
        if (globMatch(pattern, name, true)) add(name, setting);
      }
    }
  }
  const reply = client.reply;
  reply.map(found.size);
  for (const [name, setting] of found.values()) {
    reply.bulk(name);
    reply.bulk(shownValue(client, setting));
  }
}

/** One `name value` pair of CONFIG SET, after the checks of its name. */
interface PendingChange {
  setting: Setting;
  /** The name as written, lowercased: the setting's own name or an alias. */
  name: string;
  text: string;
}

/** Checks whether `enable-protected-configs` lets the client change protected settings. */
function allowsProtected(client: Client): boolean {
  const mode = client.server.config.string('enable-protected-configs');
  return mode === 'yes' || (mode === 'local' && isLocalClient(client));
}

/**
 * Checks the names of CONFIG SET; the first failure in argument order wins,
 * as in Redis: unknown name, immutable, protected, or given twice.
 */
function checkNames(client: Client, args: string[]): PendingChange[] {
  const changes: PendingChange[] = [];
  for (let i = 2; i < args.length; i += 2) {
    const name = args[i];
    const setting = findSetting(name);
    if (setting === undefined) throw new CommandError(ERR.unknownConfig(name));
    if (!setting.mutable)
      throw new CommandError(ERR.configSetFailed(name, "can't set immutable config"));
    if (setting.protected === true && !allowsProtected(client)) {
      throw new CommandError(ERR.configSetFailed(name, "can't set protected config"));
    }
    const lower = name.toLowerCase();
    if (changes.some((change) => change.name === lower)) {
      throw new CommandError(ERR.configSetFailed(name, 'duplicate parameter'));
    }
    changes.push({ setting, name: lower, text: args[i + 1] });
  }
  return changes;
}

/**
 * Orders the letters of a `notify-keyspace-events` value as Redis shows
 * them: `A` (or the class letters), then K, E, m and n.
 */
function normalizeNotifyEvents(text: string): string {
  const settings = parseNotifySettings(text);
  if (settings === null) {
    throw new InvalidSettingError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  }
  const classes = settings.classes;
  const all = [...'g$lshzxetd'].every((letter) => classes.has(letter));
  let result = all ? 'A' : [...'g$lshzxetd'].filter((letter) => classes.has(letter)).join('');
  if (settings.keyspace) result += 'K';
  if (settings.keyevent) result += 'E';
  if (classes.has('m')) result += 'm';
  if (classes.has('n')) result += 'n';
  return result;
}

/** Raises when `dir` names no directory, with the error chdir would give. */
function checkDirectory(path: string): void {
  if (!statSync(path).isDirectory()) {
    throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  }
}

/** Checks a value beyond its type; returns the text to store. */
function checkValue(change: PendingChange): string {
  parseSettingValue(change.setting, change.text);
  if (change.setting.name === 'notify-keyspace-events') return normalizeNotifyEvents(change.text);
  if (change.setting.name === 'dir') checkDirectory(change.text);
  return change.text;
}

const SYSTEM_ERRORS: Record<string, string> = {
  ENOENT: 'No such file or directory',
  ENOTDIR: 'Not a directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EROFS: 'Read-only file system',
  ENOSPC: 'No space left on device',
  EISDIR: 'Is a directory',
};

/** Describes a failed system call the way C's strerror does, without any path. */
function describeSystemError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return SYSTEM_ERRORS[code] ?? 'Input/output error';
}

/** Checks every value in order; the first failure names the setting as written, lowercased. */
function checkValues(changes: PendingChange[]): string[] {
  return changes.map((change) => {
    try {
      return checkValue(change);
    } catch (error) {
      const reason =
        error instanceof InvalidSettingError ? error.message : describeSystemError(error);
      throw new CommandError(ERR.configSetFailed(change.name, reason));
    }
  });
}

/** Moves to the new `dir` before any setting changes, so a failure changes nothing. */
function changeDirectory(change: PendingChange, path: string): void {
  try {
    process.chdir(path);
  } catch (error) {
    throw new CommandError(ERR.configSetFailed(change.name, describeSystemError(error)));
  }
}

/**
 * CONFIG SET name value [name value ...]: changes every named setting, or
 * none when any name or value is rejected.
 */
function configSet(client: Client, args: string[]): void {
  if (args.length % 2 !== 0) throw new CommandError(ERR.syntax);
  const changes = checkNames(client, args);
  const texts = checkValues(changes);
  const dir = changes.findIndex((change) => change.setting.name === 'dir');
  if (dir >= 0) changeDirectory(changes[dir], texts[dir]);
  const config = client.server.config;
  changes.forEach((change, index) => config.set(change.setting.name, texts[index]));
  client.server.logger.info(
    { settings: changes.map((change) => change.setting.name), client: client.id },
    'settings changed by CONFIG SET',
  );
  client.reply.ok();
}

/** CONFIG RESETSTAT: zeroes the INFO statistics and the command and error counters. */
function configResetStat(client: Client): void {
  client.server.resetStats();
  resetInfoSamples(client.server);
  client.reply.ok();
}

/** CONFIG REWRITE: writes the settings in force to the config file given at start-up. */
function configRewrite(client: Client): void {
  const server = client.server;
  if (server.configFile === '') throw new CommandError(ERR.noConfigFile);
  try {
    rewriteConfigFile(server.configFile, server.config);
  } catch (error) {
    server.logger.warn(
      { err: (error as Error).message, file: server.configFile },
      'CONFIG REWRITE failed',
    );
    throw new CommandError(ERR.rewriteFailed(describeSystemError(error)));
  }
  server.logger.info({ file: server.configFile }, 'config file rewritten by CONFIG REWRITE');
  client.reply.ok();
}

/** The comment line after which CONFIG REWRITE appends settings, as Redis marks it. */
const REWRITE_MARKER = '# Generated by CONFIG REWRITE';
const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;

/** Formats bytes with the largest unit that divides them exactly, as redis.conf writes them. */
function formatMemoryForFile(bytes: number): string {
  if (bytes !== 0 && bytes % GB === 0) return `${bytes / GB}gb`;
  if (bytes !== 0 && bytes % MB === 0) return `${bytes / MB}mb`;
  if (bytes !== 0 && bytes % KB === 0) return `${bytes / KB}kb`;
  return String(bytes);
}

const FILE_ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  '"': '\\"',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\x07': '\\a',
  '\b': '\\b',
};

/** Quotes a byte string so that the config file reader gets it back unchanged. */
function quoteForFile(text: string): string {
  let quoted = '"';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (FILE_ESCAPES[char] !== undefined) quoted += FILE_ESCAPES[char];
    else if (code >= 0x20 && code <= 0x7e) quoted += char;
    else quoted += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  return `${quoted}"`;
}

/** Formats the config file lines of a setting's value in force. */
function settingLines(setting: Setting, config: Config): string[] {
  const name = setting.name;
  const value = config.get(name);
  switch (setting.type) {
    case 'save': {
      const words = String(value)
        .split(' ')
        .filter((word) => word !== '');
      if (words.length === 0) return ['save ""'];
      const lines: string[] = [];
      for (let i = 0; i + 1 < words.length; i += 2) lines.push(`save ${words[i]} ${words[i + 1]}`);
      return lines;
    }
    case 'memory':
      return [`${name} ${formatMemoryForFile(Number(value))}`];
    case 'string':
      return [`${name} ${quoteForFile(name === 'dir' ? process.cwd() : String(value))}`];
    default:
      return [`${name} ${formatSettingValue(setting, value)}`];
  }
}

/**
 * Checks whether a setting missing from the file gets appended, which
 * happens when its value is not the default. `dir` is always written, as an absolute path, as Redis
 * does. Secret settings other than requirepass are never appended, so that
 * a secret given by flag or environment does not land in the file.
 */
function shouldAppend(setting: Setting, config: Config): boolean {
  if (setting.name === 'dir') return true;
  if (setting.secret === true && setting.name !== 'requirepass') return false;
  const byDefault = formatSettingValue(setting, parseSettingValue(setting, setting.default));
  return config.text(setting) !== byDefault;
}

/**
 * Rewrites the text of a config file. Each setting's first line gets the
 * value in force and its later lines are dropped. Comments and other lines
 * (include, ...) stay as they are. Settings missing from the file that differ
 * from their default are appended after a marker comment.
 */
export function rewriteConfigText(original: string, config: Config): string {
  const lines = original.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const written = new Set<Setting>();
  const output: string[] = [];
  for (const line of lines) {
    const trimmed = line.trim();
    const words = trimmed === '' || trimmed.startsWith('#') ? null : splitInlineArguments(trimmed);
    const setting = words && words.length > 0 ? findSetting(words[0]) : undefined;
    if (setting === undefined) {
      output.push(line);
    } else if (!written.has(setting)) {
      written.add(setting);
      output.push(...settingLines(setting, config));
    }
  }
  const missing = SETTINGS.filter(
    (setting) => !written.has(setting) && shouldAppend(setting, config),
  );
  if (missing.length > 0 && !output.includes(REWRITE_MARKER)) output.push(REWRITE_MARKER);
  for (const setting of missing) output.push(...settingLines(setting, config));
  return `${output.join('\n')}\n`;
}

/**
 * Writes the settings in force to a config file: a temporary file beside it,
 * flushed to disk, then renamed over it, so a crash leaves the old or the
 * new file whole. A symbolic link is followed, and the file keeps its mode.
 * A file deleted since start-up is created again, as Redis does.
 */
function rewriteConfigFile(path: string, config: Config): void {
  const existing = existsSync(path);
  const target = existing ? realpathSync(path) : path;
  const original = existing ? readFileSync(target, 'latin1') : '';
  const text = rewriteConfigText(original, config);
  const temporary = `${target}.rewrite-${process.pid}`;
  const fd = openSync(temporary, 'w', existing ? statSync(target).mode : 0o644);
  try {
    writeSync(fd, Buffer.from(text, 'latin1'));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, target);
}

const CONFIG_HELP = [
  'GET <pattern> [<pattern> ...]',
  '    Reply with the settings whose names match a glob-style <pattern>, and their values.',
  'SET <name> <value> [<name> <value> ...]',
  '    Change settings; either all of them change or, on any error, none does.',
  'RESETSTAT',
  '    Zero the statistics that INFO reports.',
  'REWRITE',
  '    Write the settings in force to the config file given at start-up.',
];

const ADMIN: CommandFlag[] = ['admin', 'noscript', 'loading', 'stale'];
const PER_SETTING = 'O(N) when N is the number of settings given';

function sub(
  name: string,
  arity: number,
  flags: CommandFlag[],
  since: string,
  summary: string,
  handler: (client: Client, args: string[]) => void,
  complexity = 'O(1)',
): RegisteredCommand {
  return command({
    name: `config|${name}`,
    arity,
    flags,
    group: 'server',
    since,
    summary,
    complexity,
    handler,
  });
}

export const configCommands: RegisteredCommand[] = [
  command({
    name: 'config',
    arity: -2,
    group: 'server',
    since: '2.0.0',
    summary: "Reads and changes the server's settings.",
    complexity: 'Depends on subcommand.',
    handler: () => undefined,
    subcommands: [
      sub('get', -3, ADMIN, '2.0.0', 'Returns the values of settings.', configGet, PER_SETTING),
      sub('set', -4, ADMIN, '2.0.0', 'Changes settings, all or none.', configSet, PER_SETTING),
      sub('resetstat', 2, ADMIN, '2.0.0', 'Zeroes the statistics INFO reports.', configResetStat),
      sub(
        'rewrite',
        2,
        ADMIN,
        '2.8.0',
        'Writes the settings in force to the config file.',
        configRewrite,
      ),
      sub('help', 2, ['loading', 'stale'], '5.0.0', 'Describes the CONFIG subcommands.', (client) =>
        writeSubcommandHelp(client, 'CONFIG', CONFIG_HELP),
      ),
    ],
  }),
];
