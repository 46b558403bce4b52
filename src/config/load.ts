import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { splitInlineArguments } from '../protocol/resp/parser';
import { Config, InvalidSettingError } from './config';
import { findSetting } from './settings';

/** A setting and the words given for it, with where they came from for error messages. */
export interface Directive {
  name: string;
  values: string[];
  source: string;
}

/** Thrown for a configuration that cannot be used; the message is meant for the operator. */
export class ConfigurationError extends Error {}

const MAX_INCLUDE_DEPTH = 16;

/** Reads a redis.conf-style file: one `name value...` per line, `#` comments, `include`. */
export function readConfigFile(path: string, depth = 0): Directive[] {
  if (depth > MAX_INCLUDE_DEPTH) {
    throw new ConfigurationError(
      `config file ${path}: include nesting is deeper than ${MAX_INCLUDE_DEPTH}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    throw new ConfigurationError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  const directives: Directive[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const words = splitInlineArguments(line);
    const source = `${path}:${i + 1}`;
    if (words === null) throw new ConfigurationError(`${source}: unbalanced quotes`);
    const name = words[0].toLowerCase();
    if (name === 'include') {
      for (const file of words.slice(1)) {
        directives.push(...readConfigFile(resolve(dirname(path), file), depth + 1));
      }
      continue;
    }
    directives.push({ name, values: words.slice(1), source });
  }
  return directives;
}

/**
 * Reads command-line words after the optional config file: `--name value...`,
 * where a setting takes every word up to the next `--name`, as redis-server
 * does (`--save 60 100 300 10`, `--save ""`).
 */
export function parseFlags(words: readonly string[]): Directive[] {
  const directives: Directive[] = [];
  let current: Directive | null = null;
  for (const word of words) {
    if (word.startsWith('--') && word.length > 2) {
      current = { name: word.slice(2).toLowerCase(), values: [], source: `flag ${word}` };
      directives.push(current);
      continue;
    }
    if (current === null) {
      throw new ConfigurationError(
        `unexpected argument '${word}': settings are given as --name value`,
      );
    }
    current.values.push(word);
  }
  return directives;
}

/** Reads `DAMSELFLY_<NAME>` variables, where NAME is the setting with `-` as `_`. */
export function readEnvironment(env: NodeJS.ProcessEnv): Directive[] {
  const directives: Directive[] = [];
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith('DAMSELFLY_') || value === undefined) continue;
    const name = variable.slice('DAMSELFLY_'.length).toLowerCase().replace(/_/g, '-');
    if (findSetting(name) === undefined) continue;
    directives.push({ name, values: [value], source: `environment ${variable}` });
  }
  return directives;
}

/** Applies directives in order; later ones win. Throws ConfigurationError naming the bad one. */
export function applyDirectives(config: Config, directives: readonly Directive[]): void {
  for (const directive of directives) {
    const setting = findSetting(directive.name);
    if (setting === undefined) {
      throw new ConfigurationError(`${directive.source}: unknown setting '${directive.name}'`);
    }
    const text = directive.values.join(' ');
    try {
      config.set(setting.name, text);
    } catch (error) {
      if (!(error instanceof InvalidSettingError)) throw error;
      throw new ConfigurationError(
        `${directive.source}: invalid value '${text}' for '${setting.name}': ${error.message}`,
      );
    }
  }
}
