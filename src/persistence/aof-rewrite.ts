/**
 * The commands an append-only base file contains when `aof-use-rdb-preamble`
 * is no, per key, as Redis 7.0 writes them. Strings get SET. Lists, hashes,
 * sets and sorted sets get RPUSH, HMSET, SADD and ZADD with up to 64
 * elements per command, and streams the commands of aof-rewrite-stream.ts.
 * A key with an expiry time then gets PEXPIREAT.
 */
import { formatDoubleG17 } from '../protocol/resp/reply';
import { isString, type Value } from '../store/types';
import { emitStreamCommands, type EmitCommand } from './aof-rewrite-stream';
import { toPlain } from './plain';

/** Elements per command, as Redis's AOF_REWRITE_ITEMS_PER_CMD. */
const ITEMS_PER_COMMAND = 64;

/** Emits `prefix` followed by the items, in commands of up to 64 items (of `width` arguments). */
function emitBatches(prefix: string[], items: string[], width: number, emit: EmitCommand): void {
  const perCommand = ITEMS_PER_COMMAND * width;
  for (let start = 0; start < items.length; start += perCommand) {
    emit([...prefix, ...items.slice(start, start + perCommand)]);
  }
}

/** Emits the commands that rebuild one key, its expiry time (absolute Unix ms, -1 for none) last. */
export function emitKeyCommands(
  key: string,
  value: Value,
  expiresAt: number,
  emit: EmitCommand,
): void {
  if (isString(value)) {
    emit(['SET', key, typeof value === 'string' ? value : value.toString('latin1')]);
  } else {
    emitCollectionCommands(key, value, emit);
  }
  if (expiresAt >= 0) emit(['PEXPIREAT', key, String(expiresAt)]);
}

function emitCollectionCommands(key: string, value: Value, emit: EmitCommand): void {
  const plain = toPlain(value);
  switch (plain.type) {
    case 'string':
      emit([
        'SET',
        key,
        typeof plain.value === 'string' ? plain.value : plain.value.toString('latin1'),
      ]);
      return;
    case 'list':
      emitBatches(['RPUSH', key], plain.elements, 1, emit);
      return;
    case 'hash':
      emitBatches(['HMSET', key], plain.entries.flat(), 2, emit);
      for (const [field, when] of plain.fieldExpiries ?? []) {
        emit(['HPEXPIREAT', key, String(when), 'FIELDS', '1', field]);
      }
      return;
    case 'set':
      emitBatches(['SADD', key], plain.members, 1, emit);
      return;
    case 'zset': {
      const items = plain.entries.flatMap(([member, score]) => [formatDoubleG17(score), member]);
      emitBatches(['ZADD', key], items, 2, emit);
      return;
    }
    case 'stream':
      emitStreamCommands(key, plain, emit);
      return;
  }
}
