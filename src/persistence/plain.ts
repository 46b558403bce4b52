/**
 * Conversions between stored values and their `PlainValue` form used by the
 * snapshot, DUMP and AOF rewrite. Each collection type registers its pair of
 * conversions here, next to its value class.
 */
import type { Config } from '../config/config';
import type { Server } from '../engine/server';
import type { Database } from '../store/database';
import { isString, type CollectionValue, type RedisType, type Value } from '../store/types';
import type { PlainValue } from './rdb-values';

export interface PlainCodec {
  toPlain(value: CollectionValue): PlainValue;
  /** Builds the value, choosing its encoding from the settings in force. */
  fromPlain(plain: PlainValue, config: Config): CollectionValue;
}

const codecs = new Map<RedisType, PlainCodec>();

export function registerPlainCodec(type: Exclude<RedisType, 'string'>, codec: PlainCodec): void {
  codecs.set(type, codec);
}

function codecFor(type: RedisType): PlainCodec {
  const codec = codecs.get(type);
  if (codec === undefined) throw new Error(`no persistence codec registered for type ${type}`);
  return codec;
}

export function toPlain(value: Value): PlainValue {
  if (isString(value)) return { type: 'string', value };
  return codecFor(value.type).toPlain(value);
}

export function fromPlain(plain: PlainValue, config: Config): Value {
  if (plain.type === 'string') {
    return typeof plain.value === 'string' ? plain.value : plain.value.toString('latin1');
  }
  return codecFor(plain.type).fromPlain(plain, config);
}

/** A function called with each key that loading or RESTORE stored. */
export type StoredValueHook = (server: Server, db: Database, key: string, value: Value) => void;

/** Hooks run by `valueStored`; a type registers one when its values need follow-up. */
export const storedValueHooks: StoredValueHook[] = [];

/** Runs the stored-value hooks after a snapshot, base file or RESTORE stored `key`. */
export function valueStored(server: Server, db: Database, key: string, value: Value): void {
  for (const hook of storedValueHooks) hook(server, db, key, value);
}
