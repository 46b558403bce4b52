/**
 * BITFIELD and BITFIELD_RO: signed and unsigned integers of 1 to 64 bits
 * (unsigned up to 63) stored at any bit offset of a string value, most
 * significant bit first.
 */
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import type { StringValue } from '../store/types';
import { isOption, toBigInt64 } from './arguments';
import { lookupRead } from './lookup';
import { isString } from '../store/types';
import { growForBits, parseBitOffset } from './string-bits';
import { byteAt } from './string-bytes';
import { notifyString } from './string-events';

type Overflow = 'WRAP' | 'SAT' | 'FAIL';

interface FieldType {
  signed: boolean;
  bits: number;
}

interface FieldOperation extends FieldType {
  kind: 'GET' | 'SET' | 'INCRBY';
  offset: number;
  /** The SET value or INCRBY increment. */
  argument: bigint;
  overflow: Overflow;
}

/** Parses "i<bits>" (1 to 64) or "u<bits>" (1 to 63); like Redis, the text ends at a NUL byte. */
function parseFieldType(text: string): FieldType {
  const signed = text.startsWith('i');
  if (!signed && !text.startsWith('u')) throw new CommandError(ERR.bitfieldType);
  const end = text.indexOf('\0');
  const bits = toBigInt64(text.slice(1, end < 0 ? undefined : end));
  if (bits === null || bits < 1n || bits > (signed ? 64n : 63n)) {
    throw new CommandError(ERR.bitfieldType);
  }
  return { signed, bits: Number(bits) };
}

function parseOverflow(text: string): Overflow {
  for (const overflow of ['WRAP', 'SAT', 'FAIL'] as const) {
    if (isOption(text, overflow)) return overflow;
  }
  throw new CommandError(ERR.bitfieldOverflowType);
}

function operationKind(args: string[], i: number): FieldOperation['kind'] | null {
  const left = args.length - i - 1;
  if (isOption(args[i], 'GET') && left >= 2) return 'GET';
  if (isOption(args[i], 'SET') && left >= 3) return 'SET';
  if (isOption(args[i], 'INCRBY') && left >= 3) return 'INCRBY';
  return null;
}

/** Parses every operation before anything runs, so a bad one changes nothing. */
function parseOperations(client: Client, args: string[]): FieldOperation[] {
  const operations: FieldOperation[] = [];
  let overflow: Overflow = 'WRAP';
  for (let i = 2; i < args.length; i++) {
    if (isOption(args[i], 'OVERFLOW') && i + 1 < args.length) {
      overflow = parseOverflow(args[++i]);
      continue;
    }
    const kind = operationKind(args, i);
    if (kind === null) throw new CommandError(ERR.syntax);
    const type = parseFieldType(args[i + 1]);
    const offset = parseBitOffset(client.server, args[i + 2], type.bits);
    let argument = 0n;
    if (kind !== 'GET') {
      const parsed = toBigInt64(args[i + 3]);
      if (parsed === null) throw new CommandError(ERR.notInteger);
      argument = parsed;
    }
    operations.push({ ...type, kind, offset, argument, overflow });
    i += kind === 'GET' ? 2 : 3;
  }
  return operations;
}

/** Reads `bits` bits at `offset` as an unsigned integer; bits past the end read as 0. */
function readField(value: StringValue, offset: number, bits: number): bigint {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  let word = 0n;
  for (let i = first; i <= last; i++) word = (word << 8n) | BigInt(byteAt(value, i));
  const trailing = BigInt((last + 1) * 8 - (offset + bits));
  return (word >> trailing) & ((1n << BigInt(bits)) - 1n);
}

/** Writes the low `bits` bits of `field` at `offset`; the caller made the buffer long enough. */
function writeField(bytes: Buffer, offset: number, bits: number, field: bigint): void {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  const trailing = BigInt((last + 1) * 8 - (offset + bits));
  const mask = ((1n << BigInt(bits)) - 1n) << trailing;
  let word = 0n;
  for (let i = first; i <= last; i++) word = (word << 8n) | BigInt(bytes[i]);
  word = (word & ~mask) | ((BigInt.asUintN(bits, field) << trailing) & mask);
  for (let i = last; i >= first; i--) {
    bytes[i] = Number(word & 0xffn);
    word >>= 8n;
  }
}

function readTyped(value: StringValue, operation: FieldOperation): bigint {
  const raw = readField(value, operation.offset, operation.bits);
  return operation.signed ? BigInt.asIntN(operation.bits, raw) : raw;
}

/**
 * Fits `wanted` into the field's range by the overflow rule. Returns null
 * for FAIL when it does not fit.
 */
function fitField(wanted: bigint, operation: FieldOperation): bigint | null {
  const { bits, signed } = operation;
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  if (wanted >= min && wanted <= max) return wanted;
  if (operation.overflow === 'FAIL') return null;
  if (operation.overflow === 'SAT') return wanted > max ? max : min;
  return signed ? BigInt.asIntN(bits, wanted) : BigInt.asUintN(bits, wanted);
}

/**
 * Computes the value a SET or INCRBY stores. An unsigned SET reads its
 * argument as a 64-bit unsigned number, as Redis does, so SET u8 0 -1 with
 * SAT stores 255.
 */
function targetOf(operation: FieldOperation, old: bigint): bigint {
  if (operation.kind === 'INCRBY') return old + operation.argument;
  return operation.signed ? operation.argument : BigInt.asUintN(64, operation.argument);
}

/** Runs the write operations on `bytes`; returns how many stored a value. */
function runOperations(client: Client, bytes: StringValue, operations: FieldOperation[]): number {
  let changes = 0;
  client.reply.array(operations.length);
  for (const operation of operations) {
    const old = readTyped(bytes, operation);
    if (operation.kind === 'GET') {
      client.reply.int(old);
      continue;
    }
    const stored = fitField(targetOf(operation, old), operation);
    if (stored === null) {
      client.reply.nil();
      continue;
    }
    writeField(bytes as Buffer, operation.offset, operation.bits, stored);
    client.reply.int(operation.kind === 'SET' ? old : stored);
    changes++;
  }
  return changes;
}

function highestWrittenBit(operations: FieldOperation[]): number {
  let highest = -1;
  for (const operation of operations) {
    if (operation.kind === 'GET') continue;
    highest = Math.max(highest, operation.offset + operation.bits - 1);
  }
  return highest;
}

function runBitfield(client: Client, args: string[], readOnly: boolean): void {
  const key = args[1];
  const operations = parseOperations(client, args);
  const highest = highestWrittenBit(operations);
  if (highest < 0) {
    const value = lookupRead(client, key);
    if (value !== undefined && !isString(value)) throw new CommandError(ERR.wrongType);
    runOperations(client, value ?? '', operations);
    return;
  }
  if (readOnly) throw new CommandError(ERR.bitfieldReadOnly);
  const { bytes } = growForBits(client, key, highest);
  const changes = runOperations(client, bytes, operations);
  if (changes === 0) return;
  notifyString(client, 'setbit', key);
  client.server.dirty += changes;
}

/**
 * BITFIELD key [GET type offset] [SET type offset value] [INCRBY type offset
 * increment] [OVERFLOW WRAP|SAT|FAIL] ...: one reply per GET/SET/INCRBY, in
 * order: GET the value, SET the old value, INCRBY the new value, nil when
 * OVERFLOW FAIL stopped a write. OVERFLOW applies to the operations after
 * it. Writes pad the string with zero bytes. "#n" offsets count in fields.
 */
export function bitfield(client: Client, args: string[]): void {
  runBitfield(client, args, false);
}

/** BITFIELD_RO key [GET type offset] ...: like BITFIELD, but only GET is allowed. */
export function bitfieldRo(client: Client, args: string[]): void {
  runBitfield(client, args, true);
}
