/**
 * Helpers shared by the hash and set tests: a normalizer for replies whose
 * order depends on each server's hash table, and collectors of keyspace
 * events, change counts and journaled commands.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { RawClient } from './support/raw-client';
import { findReplyEnd } from './support/resp';
import type { ServerProcess } from './support/servers';

/**
 * Sorts the elements of a top-level array, set or map reply in groups of
 * `groupSize` (2 keeps HGETALL's field/value pairs together). Other replies
 * pass unchanged. For replies whose order is each server's hash order.
 */
export function sortElements(groupSize = 1): (text: string) => string {
  return (text) => {
    const header = /^([*~%])(\d+)\r\n/.exec(text);
    if (header === null) return text;
    const count = Number(header[2]) * (header[1] === '%' ? 2 : 1);
    const items = splitReplies(text, header[0].length, count);
    if (items === null) return text;
    const groups: string[] = [];
    for (let i = 0; i < items.length; i += groupSize) {
      groups.push(items.slice(i, i + groupSize).join(''));
    }
    return header[0] + groups.sort().join('');
  };
}

/** Sorts the element list of a SCAN-family reply ([cursor, elements]) in groups. */
export function sortScanElements(groupSize = 1): (text: string) => string {
  const sortList = sortElements(groupSize);
  return (text) => {
    const prefix = /^\*2\r\n\$\d+\r\n\d+\r\n/.exec(text);
    if (prefix === null) return text;
    return prefix[0] + sortList(text.slice(prefix[0].length));
  };
}

/** Splits `count` consecutive replies starting at `offset`, or null when incomplete. */
export function splitReplies(text: string, offset: number, count: number): string[] | null {
  const bytes = Buffer.from(text, 'latin1');
  const items: string[] = [];
  let position = offset;
  for (let i = 0; i < count; i++) {
    const end = findReplyEnd(bytes, position);
    if (end < 0) return null;
    items.push(text.slice(position, end));
    position = end;
  }
  return items;
}

/** Decodes a flat RESP2 array of bulk strings (or nils, as null). */
export function decodeBulkArray(reply: Buffer): (string | null)[] {
  const text = reply.toString('latin1');
  const header = /^\*(\d+)\r\n/.exec(text);
  assert.ok(header, `expected an array, got ${JSON.stringify(text)}`);
  const items = splitReplies(text, header[0].length, Number(header[1]));
  assert.ok(items, `incomplete array ${JSON.stringify(text)}`);
  return items.map((item) =>
    item === '$-1\r\n' ? null : item.slice(item.indexOf('\r\n') + 2, -2),
  );
}

/** Splits pmessage pushes into "event key" lines. */
function parseEvents(data: Buffer): string[] {
  const lines: string[] = [];
  let offset = 0;
  while (offset < data.length) {
    const end = findReplyEnd(data, offset);
    assert.ok(end > 0, 'incomplete pmessage');
    const parts = data.subarray(offset, end).toString('latin1').split('\r\n');
    // *4, $8, pmessage, $n, pattern, $n, channel, $n, message
    lines.push(`${parts[6].replace(/^__keyevent@\d+__:/, '')} ${parts[8]}`);
    offset = end;
  }
  return lines;
}

/** Runs `commands` while a subscriber listens to every keyevent channel; returns the events. */
export async function collectEvents(port: number, commands: string[][]): Promise<string[]> {
  const subscriber = await RawClient.connect(port);
  const client = await RawClient.connect(port);
  try {
    await client.call(['FLUSHALL']);
    await client.call(['CONFIG', 'SET', 'notify-keyspace-events', 'KEAn']);
    await subscriber.call(['PSUBSCRIBE', '__keyevent@*__:*']);
    for (const args of commands) await client.call(args);
    return parseEvents(await subscriber.readUntilQuiet(150));
  } finally {
    await client.call(['CONFIG', 'SET', 'notify-keyspace-events', '']);
    subscriber.destroy();
    client.destroy();
  }
}

/** Runs `commands` and returns how much each one raised rdb_changes_since_last_save. */
export async function collectChanges(port: number, commands: string[][]): Promise<number[]> {
  const client = await RawClient.connect(port);
  const changes = async () => {
    const info = (await client.call(['INFO', 'persistence'])).toString('latin1');
    const match = /rdb_changes_since_last_save:(\d+)/.exec(info);
    assert.ok(match, 'INFO persistence lacks rdb_changes_since_last_save');
    return Number(match[1]);
  };
  try {
    await client.call(['FLUSHALL']);
    const deltas: number[] = [];
    for (const args of commands) {
      const before = await changes();
      await client.call(args);
      deltas.push((await changes()) - before);
    }
    return deltas;
  } finally {
    client.destroy();
  }
}

/** Splits an append-only file into one "ARG ARG ..." line per command (no argument has CRLF). */
function journalCommands(text: string): string[] {
  const lines = text.split('\r\n');
  const commands: string[] = [];
  let i = 0;
  while (i < lines.length && lines[i].startsWith('*')) {
    const count = Number(lines[i].slice(1));
    const args = [];
    for (let j = 0; j < count; j++) args.push(lines[i + 2 + 2 * j]);
    commands.push(args.join(' '));
    i += 1 + 2 * count;
  }
  return commands;
}

/**
 * Runs `commands` on a server started with appendonly yes and appendfsync
 * always, and returns the commands of its increment file, names in upper
 * case and 13-digit times (absolute expiries) replaced by T. Also returns
 * each command's raw reply.
 */
export async function journalOf(
  server: ServerProcess,
  commands: string[][],
): Promise<{ journal: string[]; replies: Buffer[] }> {
  const client = await RawClient.connect(server.port);
  const replies: Buffer[] = [];
  try {
    for (const args of commands) replies.push(await client.call(args));
  } finally {
    client.destroy();
  }
  const file = path.join(server.dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
  const journal = journalCommands(fs.readFileSync(file, 'latin1')).map((line) => {
    const [name, ...rest] = line.replace(/\b\d{13}\b/g, 'T').split(' ');
    return [name.toUpperCase(), ...rest].join(' ');
  });
  return { journal, replies };
}
