/** Commands that read or write part of a string: APPEND, STRLEN, GETRANGE (SUBSTR), SETRANGE. */
import type { Client } from '../engine/client';
import { CommandError, ERR } from '../engine/errors';
import { parseInteger } from './arguments';
import { readString, writableString } from './lookup';
import { checkStringLength, editableBytes, sliceBytes, writeBytes } from './string-bytes';
import { notifyNewKey, notifyString } from './string-events';

/**
 * APPEND key value: the length after appending. A missing key is created
 * with the value. An existing value grows in place (see string-bytes) and
 * keeps its TTL.
 */
export function append(client: Client, args: string[]): void {
  const key = args[1];
  const suffix = args[2];
  const current = writableString(client, key);
  let length = suffix.length;
  if (current === undefined) {
    notifyNewKey(client, key);
    client.db.set(key, suffix);
  } else {
    checkStringLength(client.server, current.length, suffix.length);
    length = current.length + suffix.length;
    const bytes = editableBytes(current, length, client.server);
    writeBytes(bytes, current.length, suffix);
    client.db.replace(key, bytes);
  }
  notifyString(client, 'append', key);
  client.server.dirty++;
  client.reply.int(length);
}

/** STRLEN key: the length of the value in bytes, 0 for a missing key. */
export function strlen(client: Client, args: string[]): void {
  const value = readString(client, args[1]);
  client.reply.int(value === undefined ? 0 : value.length);
}

/**
 * GETRANGE key start end (and SUBSTR): the bytes from start to end
 * inclusive. Negative indexes count from the end. Redis 7.0 clamps a
 * negative end to 0, so GETRANGE k 0 -100 returns the first byte.
 */
export function getrange(client: Client, args: string[]): void {
  let start = parseInteger(args[2]);
  let end = parseInteger(args[3]);
  const value = readString(client, args[1]);
  const length = value?.length ?? 0;
  if (value === undefined || (start < 0 && end < 0 && start > end)) {
    client.reply.bulk('');
    return;
  }
  if (start < 0) start = Math.max(length + start, 0);
  if (end < 0) end = Math.max(length + end, 0);
  end = Math.min(end, length - 1);
  if (start > end || length === 0) client.reply.bulk('');
  else client.reply.bulk(sliceBytes(value, start, end + 1));
}

/**
 * SETRANGE key offset value: the length after writing value at offset,
 * zero-padding a shorter string. An empty value changes nothing (and does
 * not create the key). Keeps the TTL.
 */
export function setrange(client: Client, args: string[]): void {
  const key = args[1];
  const offset = parseInteger(args[2]);
  const text = args[3];
  if (offset < 0) throw new CommandError(ERR.offsetOutOfRange);
  const current = writableString(client, key);
  if (text.length === 0) {
    client.reply.int(current?.length ?? 0);
    return;
  }
  checkStringLength(client.server, offset, text.length);
  const bytes = editableBytes(current, offset + text.length, client.server);
  writeBytes(bytes, offset, text);
  if (current === undefined) {
    notifyNewKey(client, key);
    client.db.set(key, bytes);
  } else {
    client.db.replace(key, bytes);
  }
  notifyString(client, 'setrange', key);
  client.server.dirty++;
  client.reply.int(bytes.length);
}
