import { findSetting, LLONG_MAX, SETTINGS, type Setting } from './settings';

export type SettingValue = number | boolean | string;

import { InvalidSettingError } from './errors';
import { memoryUnit, parseMemory } from './memory';

export { InvalidSettingError, parseMemory };

/** Redis's 64-bit bounds: what it can parse, and the largest value it shows in errors. */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** Shows a bound as Redis does: LLONG_MAX stands for Redis's 9223372036854775807. */
function boundText(bound: number): string {
  return bound === LLONG_MAX ? String(INT64_MAX) : String(bound);
}

/**
 * Returns the value to keep, or throws when it is out of the setting's range.
 * A value that Redis accepts beyond 2^53 - 1, in a setting bounded by Redis's
 * 64-bit maximum, is kept as 2^53 - 1: such limits never come into play.
 */
function checkBounds(setting: Setting, value: bigint): number {
  const min = setting.min ?? -Infinity;
  const max = setting.max ?? Infinity;
  if (max === LLONG_MAX && value > BigInt(max) && value <= INT64_MAX) return max;
  const number = Number(value);
  if (number < min || number > max) {
    const range = `${boundText(min)} and ${boundText(max)}`;
    throw new InvalidSettingError(`argument must be between ${range} inclusive`);
  }
  return number;
}

/** Parses a 64-bit integer as Redis's string2ll does; null when it is not one. */
function parseInt64(text: string): bigint | null {
  if (!/^-?\d+$/.test(text)) return null;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? null : value;
}

/** Parses a memory value as Redis's memtoull does: digits and a unit, no sign. */
function parseMemorySetting(text: string): bigint {
  const match = /^(\d+)([a-z]*)$/i.exec(text);
  const unit = match === null ? undefined : memoryUnit(match[2]);
  if (match === null || unit === undefined) {
    throw new InvalidSettingError('argument must be a memory value');
  }
  // Like strtoull, a number past the unsigned 64-bit range stops at its largest value.
  const value = BigInt(match[1]) * BigInt(unit);
  return value > UINT64_MAX ? UINT64_MAX : value;
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
      const value = parseInt64(text);
      if (value === null) {
        throw new InvalidSettingError("argument couldn't be parsed into an integer");
      }
      const bounded = checkBounds(setting, value);
      const clamp = setting.clamp;
      return clamp === undefined ? bounded : Math.min(Math.max(bounded, clamp[0]), clamp[1]);
    }
    case 'memory':
      return checkBounds(setting, parseMemorySetting(text));
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
