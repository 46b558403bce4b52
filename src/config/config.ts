import { findSetting, SETTINGS, type Setting } from './settings';

export type SettingValue = number | boolean | string;

import { InvalidSettingError } from './errors';
import { parseMemory } from './memory';

export { InvalidSettingError, parseMemory };

function checkBounds(setting: Setting, value: number): void {
  const min = setting.min ?? -Infinity;
  const max = setting.max ?? Infinity;
  if (value < min || value > max) {
    throw new InvalidSettingError(`argument must be between ${min} and ${max} inclusive`);
  }
}

function parseSaveRules(text: string): string {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  if (words.length % 2 !== 0) throw new InvalidSettingError('Invalid save parameters');
  for (const word of words) {
    if (!/^\d+$/.test(word)) throw new InvalidSettingError('Invalid save parameters');
  }
  return words.join(' ');
}

/** Converts the text form of a setting to its typed value, or throws InvalidSettingError. */
export function parseSettingValue(setting: Setting, text: string): SettingValue {
  switch (setting.type) {
    case 'bool': {
      const lower = text.toLowerCase();
      if (lower !== 'yes' && lower !== 'no') {
        throw new InvalidSettingError("argument must be 'yes' or 'no'");
      }
      return lower === 'yes';
    }
    case 'int': {
      if (!/^-?\d+$/.test(text)) {
        throw new InvalidSettingError("argument couldn't be parsed into an integer");
      }
      const value = Number(text);
      checkBounds(setting, value);
      return value;
    }
    case 'memory': {
      const value = parseMemory(text);
      if (Number.isNaN(value)) throw new InvalidSettingError('argument must be a memory value');
      checkBounds(setting, value);
      return value;
    }
    case 'enum': {
      const lower = text.toLowerCase();
      if (!(setting.values ?? []).includes(lower)) {
        const list = (setting.values ?? []).join(', ');
        throw new InvalidSettingError(`argument(s) must be one of the following: ${list}`);
      }
      return lower;
    }
    case 'save':
      return parseSaveRules(text);
    case 'string':
      return setting.normalize ? setting.normalize(text) : text;
  }
}

/** Formats a typed value the way CONFIG GET shows it. */
export function formatSettingValue(setting: Setting, value: SettingValue): string {
  if (setting.type === 'bool') return value ? 'yes' : 'no';
  return String(value);
}

type Listener = (value: SettingValue) => void;

/** The settings in force, typed, with listeners for run-time changes. */
export class Config {
  readonly #values = new Map<string, SettingValue>();
  readonly #listeners = new Map<string, Listener[]>();

  constructor() {
    for (const setting of SETTINGS) {
      this.#values.set(setting.name, parseSettingValue(setting, setting.default));
    }
  }

  /** Sets a setting from its text form; throws InvalidSettingError for a bad value. */
  set(name: string, text: string): void {
    const setting = findSetting(name);
    if (setting === undefined) throw new InvalidSettingError(`unknown setting '${name}'`);
    const value = parseSettingValue(setting, text);
    this.#values.set(setting.name, value);
    for (const listener of this.#listeners.get(setting.name) ?? []) listener(value);
  }

  get(name: string): SettingValue {
    const value = this.#values.get(name);
    if (value === undefined) throw new Error(`setting ${name} is not in the settings table`);
    return value;
  }

  number(name: string): number {
    return this.get(name) as number;
  }

  bool(name: string): boolean {
    return this.get(name) as boolean;
  }

  string(name: string): string {
    return this.get(name) as string;
  }

  /** The text CONFIG GET shows for a setting. */
  text(setting: Setting): string {
    return formatSettingValue(setting, this.get(setting.name));
  }

  /** Calls `listener` now and on every later change of the setting. */
  watch(name: string, listener: Listener): void {
    const list = this.#listeners.get(name) ?? [];
    list.push(listener);
    this.#listeners.set(name, list);
    listener(this.get(name));
  }
}
