/** Bit offsets and bitmap growth shared by SETBIT and BITFIELD. */
import { constants } from 'node:buffer';
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import type { Server } from '../engine/server';
import { toBigInt64, toInteger } from './arguments';
import { writableString } from './lookup';
import { editableBytes } from './string-bytes';
import { notifyNewKey } from './string-events';

/**
 * Parses a bit offset as Redis does: a non-negative 64-bit integer whose
 * byte (offset / 8) is below proto-max-bulk-len. With `fieldBits` (BITFIELD),
 * "#n" means n * fieldBits, multiplied with 64-bit wrap-around like Redis's C.
 */
export function parseBitOffset(server: Server, text: string, fieldBits = 0): number {
  const limit = server.config.number('proto-max-bulk-len');
  if (fieldBits > 0 && text.startsWith('#')) {
    const index = toBigInt64(text.slice(1));
    if (index === null) throw new CommandError(ERR.bitOffset);
    const offset = BigInt.asIntN(64, index * BigInt(fieldBits));
    if (offset < 0n || offset >> 3n >= BigInt(limit)) throw new CommandError(ERR.bitOffset);
    return Number(offset);
  }
  const offset = toInteger(text);
  if (offset === null || offset < 0 || Math.floor(offset / 8) >= limit) {
    throw new CommandError(ERR.bitOffset);
  }
  return offset;
}

/** The editable bytes of a bitmap, and whether the key was created or grew. */
export interface GrownBitmap {
  bytes: Buffer;
  changed: boolean;
}

/**
 * Looks up a string for a bit write (WRONGTYPE for another type), creates it
 * or pads it with zero bytes so that bit `highestBit` exists, and stores the
 * editable result under the key, keeping its TTL.
 */
export function growForBits(client: Client, key: string, highestBit: number): GrownBitmap {
  const current = writableString(client, key);
  const length = Math.floor(highestBit / 8) + 1;
  // NOTE: a Buffer cannot exceed 4 GiB in Node.js 20, so with proto-max-bulk-len
  // set above that, bits past 2^35 are rejected where Redis would accept them.
  if (length > constants.MAX_LENGTH) throw new CommandError(ERR.stringTooLong);
  const bytes = editableBytes(current, length, client.server);
  if (current === undefined) {
    notifyNewKey(client, key);
    client.db.set(key, bytes);
  } else {
    client.db.replace(key, bytes);
  }
  return { bytes, changed: current === undefined || current.length !== bytes.length };
}
