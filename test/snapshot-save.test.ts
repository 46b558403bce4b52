/**
 * BGSAVE while clients change keys: the file must hold every key as it was
 * when the save began, each key once (redis-server 7.0 refuses duplicates),
 * and nothing created later. `rdb-key-save-delay` keeps each save running
 * while the changes arrive, so they land before, during and after the walk
 * passes the keys they touch.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import Redis from 'ioredis';

import { RdbReader } from '../src/persistence/rdb-file';
import type { PlainValue } from '../src/persistence/rdb-values';
import { MemcacheLineClient, startDamselflyWithMemcached } from './memcache-support';
import { assertDifferential } from './support/differential';
import { makeTempDir, sleep } from './support/server-process';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
} from './support/servers';

after(stopAllServers);

const STRINGS = 2000;
const COLLECTIONS = 200;
/** Microseconds per key: about 0.6 s of waiting per save for the keys these tests write. */
const KEY_DELAY = '250';

function client(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** Describes a key's value for comparison, as it was written or as it is read back. */
function describePlain(value: PlainValue, expiresAt: number): string {
  let text: string;
  switch (value.type) {
    case 'string':
      text = `string ${Buffer.isBuffer(value.value) ? value.value.toString('latin1') : value.value}`;
      break;
    case 'list':
      text = `list ${value.elements.join(',')}`;
      break;
    case 'hash':
      text = `hash ${value.entries.map(([field, v]) => `${field}=${v}`).join(',')}`;
      break;
    default:
      text = value.type;
  }
  return expiresAt < 0 ? text : `${text} expires ${expiresAt}`;
}

/** Reads a snapshot into "db key" -> descriptions; more than one description is a duplicate. */
function readSnapshot(file: string): Map<string, string[]> {
  const reader = new RdbReader(fs.readFileSync(file));
  const keys = new Map<string, string[]>();
  for (let entry = reader.next(); entry !== null; entry = reader.next()) {
    const name = `${entry.dbIndex} ${entry.key}`;
    const list = keys.get(name) ?? [];
    list.push(describePlain(entry.value, entry.expiresAt));
    keys.set(name, list);
  }
  return keys;
}

function assertSameKeys(saved: Map<string, string[]>, expected: Map<string, string>): void {
  for (const [name, values] of saved) {
    assert.equal(values.length, 1, `${name} is in the file ${values.length} times`);
    assert.ok(expected.has(name), `${name} did not exist when the save began`);
    assert.equal(values[0], expected.get(name), `${name} has a value from after the start`);
  }
  for (const name of expected.keys()) assert.ok(saved.has(name), `${name} is missing`);
}

/**
 * Writes the keys the tests start from and returns their descriptions. The
 * collections come first in the key order, so the walk passes them early.
 */
async function fill(redis: Redis): Promise<Map<string, string>> {
  const expected = new Map<string, string>();
  const expiresAt = Date.now() + 3_600_000;
  const pipeline = redis.pipeline();
  for (let i = 0; i < COLLECTIONS; i++) {
    pipeline.rpush(`l:${i}`, 'a', 'b', String(i));
    expected.set(`0 l:${i}`, `list a,b,${i}`);
    pipeline.hset(`h:${i}`, 'f', String(i));
    expected.set(`0 h:${i}`, `hash f=${i}`);
  }
  for (let i = 0; i < STRINGS; i++) {
    pipeline.set(`s:${i}`, `v:${i}`);
    const volatile = i % 10 === 0;
    if (volatile) pipeline.pexpireat(`s:${i}`, expiresAt);
    expected.set(`0 s:${i}`, `string v:${i}${volatile ? ` expires ${expiresAt}` : ''}`);
  }
  pipeline.select(1);
  for (let i = 0; i < 100; i++) {
    pipeline.set(`one:${i}`, `1:${i}`);
    expected.set(`1 one:${i}`, `string 1:${i}`);
  }
  pipeline.select(0);
  await pipeline.exec();
  return expected;
}

/** Sends BGSAVE and returns once the save has begun. */
async function startSave(redis: Redis): Promise<void> {
  await redis.config('SET', 'rdb-key-save-delay', KEY_DELAY);
  assert.equal(await redis.bgsave(), 'Background saving started');
}

async function saveRunning(redis: Redis): Promise<boolean> {
  return (await redis.info('persistence')).includes('rdb_bgsave_in_progress:1');
}

async function waitForSave(redis: Redis): Promise<void> {
  for (let i = 0; i < 600 && (await saveRunning(redis)); i++) await sleep(50);
  assert.match(await redis.info('persistence'), /rdb_last_bgsave_status:ok/);
}

/** Sends `batches` of commands with pauses between them, so the walk moves on meanwhile. */
async function sendInBatches(redis: Redis, batches: (string | number)[][][]): Promise<void> {
  for (const batch of batches) {
    const pipeline = redis.pipeline();
    for (const [name, ...args] of batch) pipeline.call(String(name), ...args);
    const results = await pipeline.exec();
    for (const [error] of results ?? []) assert.equal(error, null);
    await sleep(40);
  }
}

/** The change each string key gets; keys below COLLECTIONS are only overwritten by RENAME. */
const STRING_CHANGES = [
  (key: string) => [['SET', key, 'changed']],
  (key: string) => [['DEL', key]],
  (key: string) => [
    ['DEL', key],
    ['SET', key, 'added again'],
  ],
  (key: string) => [['APPEND', key, '+']],
  (key: string) => [['PERSIST', key]],
  (key: string) => [['PEXPIRE', key, 5_000_000]],
  (key: string) => [['SET', `created:${key}`, 'new']],
];
const LIST_CHANGES = [
  (i: number) => [['RPUSH', `l:${i}`, 'pushed']],
  (i: number) => [['DEL', `l:${i}`]],
  (i: number) => [['RENAME', `l:${i}`, `renamed:l:${i}`]],
  (i: number) => [['RENAME', `l:${i}`, `s:${i}`]],
];
const HASH_CHANGES = [
  (i: number) => [['HSET', `h:${i}`, 'f', 'changed']],
  (i: number) => [['RENAME', `h:${i}`, `renamed:h:${i}`]],
  (i: number) => [['HDEL', `h:${i}`, 'f']],
];

/**
 * Builds every kind of change, each key changed once, in `count` batches. Batch b
 * changes the keys whose number leaves b when divided by `count`, so each
 * batch reaches across the whole keyspace.
 */
function changeBatches(count: number): (string | number)[][][] {
  const batches: (string | number)[][][] = [];
  for (let batch = 0; batch < count; batch++) {
    const commands: (string | number)[][] = [];
    for (let i = COLLECTIONS + batch; i < STRINGS; i += count) {
      const change = STRING_CHANGES[Math.floor(i / count) % STRING_CHANGES.length];
      commands.push(...change(`s:${i}`));
    }
    for (let i = batch; i < COLLECTIONS; i += count) {
      commands.push(...LIST_CHANGES[Math.floor(i / count) % LIST_CHANGES.length](i));
      commands.push(...HASH_CHANGES[Math.floor(i / count) % HASH_CHANGES.length](i));
    }
    commands.push(['SELECT', 1], ['DEL', `one:${batch}`], ['SET', `one:${batch + 50}`, 'x']);
    commands.push(['SELECT', 0]);
    batches.push(commands);
  }
  return batches;
}

describe('BGSAVE during changes', () => {
  test('keeps every key as it was at the start', async () => {
    const server = await startDamselfly();
    const redis = client(server.port);
    const expected = await fill(redis);
    await startSave(redis);
    await sendInBatches(redis, changeBatches(6));
    assert.ok(await saveRunning(redis), 'the save ended before the changes: raise KEY_DELAY');
    await waitForSave(redis);
    redis.disconnect();
    assertSameKeys(readSnapshot(path.join(server.dir, 'dump.rdb')), expected);
  });

  test('a second BGSAVE is refused, with or without SCHEDULE', async () => {
    const server = await startDamselfly();
    const redis = client(server.port);
    await fill(redis);
    await startSave(redis);
    const alreadyRunning = { message: 'ERR Background save already in progress' };
    await assert.rejects(redis.bgsave(), alreadyRunning);
    await assert.rejects(redis.call('BGSAVE', 'SCHEDULE'), alreadyRunning);
    assert.ok(await saveRunning(redis), 'the save ended before the second BGSAVE: raise KEY_DELAY');
    await waitForSave(redis);
    assert.doesNotMatch(await redis.info('persistence'), /rdb_bgsave_in_progress:1/);
    redis.disconnect();
  });

  test('keeps both databases through SWAPDB', async () => {
    const server = await startDamselfly();
    const redis = client(server.port);
    const expected = await fill(redis);
    await startSave(redis);
    await sendInBatches(redis, [
      [
        ['SWAPDB', 0, 1],
        ['SET', 's:1', 'after swap'],
        ['DEL', 'one:1'],
      ],
      [
        ['SELECT', 1],
        ['DEL', 's:2', 'l:3'],
        ['SET', 'one:2', 'in 1 after swap'],
        ['SELECT', 0],
      ],
      [
        ['SWAPDB', 1, 0],
        ['DEL', 's:4'],
        ['SET', 'one:5', 'back in 1'],
      ],
    ]);
    assert.ok(await saveRunning(redis), 'the save ended before the changes: raise KEY_DELAY');
    await waitForSave(redis);
    redis.disconnect();
    assertSameKeys(readSnapshot(path.join(server.dir, 'dump.rdb')), expected);
  });

  test('keeps every key as it was when memcached commands change keys', async () => {
    const dir = makeTempDir();
    const server = await startDamselflyWithMemcached(['--dir', dir]);
    const redis = client(server.port);
    const expected = await fill(redis);
    const memcache = await MemcacheLineClient.connect(server.memcachedPort);
    await startSave(redis);
    for (let batch = 0; batch < 6; batch++) {
      let requests = '';
      const replies: string[] = [];
      for (let i = batch; i < STRINGS; i += 30) {
        requests += `delete s:${i}\r\nset s:${i} 0 0 5\r\nagain\r\nset m:${i} 0 0 3\r\nnew\r\n`;
        replies.push('DELETED', 'STORED', 'STORED');
      }
      // A list replaced by a string, then changed by a command that calls `preserve`.
      const lists = Array.from({ length: 10 }, (_, n) => `l:${batch + 6 * n * 3}`);
      for (const key of lists) {
        requests += `set ${key} 0 0 5\r\nagain\r\n`;
        replies.push('STORED');
      }
      assert.equal(await memcache.call(requests), replies[0]);
      for (const reply of replies.slice(1)) assert.equal(await memcache.line(), reply);
      for (const key of lists) assert.equal(await redis.append(key, '+'), 6);
      await sleep(40);
    }
    assert.ok(await saveRunning(redis), 'the save ended before the changes: raise KEY_DELAY');
    await waitForSave(redis);
    memcache.close();
    redis.disconnect();
    assertSameKeys(readSnapshot(path.join(dir, 'dump.rdb')), expected);
  });

  test('keeps the destination of a BLMOVE woken during the save', async () => {
    const server = await startDamselfly();
    const redis = client(server.port);
    const expected = await fill(redis);
    // Added last, so the walk reaches these keys after the move.
    await redis.rpush('zz:destination', 'old');
    expected.set('0 zz:destination', 'list old');
    const mover = client(server.port);
    const moved = mover.blmove('zz:source', 'zz:destination', 'LEFT', 'LEFT', 0);
    await sleep(100);
    await startSave(redis);
    await redis.rpush('zz:source', 'new');
    assert.equal(await moved, 'new');
    assert.deepEqual(await redis.lrange('zz:destination', 0, -1), ['new', 'old']);
    assert.ok(await saveRunning(redis), 'the save ended before the move: raise KEY_DELAY');
    await waitForSave(redis);
    mover.disconnect();
    redis.disconnect();
    assertSameKeys(readSnapshot(path.join(server.dir, 'dump.rdb')), expected);
  });
});

describe('BGSAVE during changes, loaded by Redis', { skip: redisServerSkipReason() }, () => {
  test('rdb-key-save-delay accepts what Redis does', async () => {
    const damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference !== null);
    const steps = ['100', '-5', '0', '2147483647', '-2147483648', '2147483648', 'abc', '1.5'];
    await assertDifferential(damselfly, reference, [
      ...steps.flatMap((value) => [
        ['CONFIG', 'SET', 'rdb-key-save-delay', value],
        ['CONFIG', 'GET', 'rdb-key-save-delay'],
      ]),
    ]);
  });

  test('redis-server loads the file', async () => {
    const server = await startDamselfly();
    const redis = client(server.port);
    const expected = await fill(redis);
    await startSave(redis);
    await sendInBatches(redis, changeBatches(4));
    await waitForSave(redis);
    redis.disconnect();

    const dir = makeTempDir();
    fs.copyFileSync(path.join(server.dir, 'dump.rdb'), path.join(dir, 'dump.rdb'));
    const reference = await startRedisServer({ dir, args: ['--dbfilename', 'dump.rdb'] });
    assert.ok(reference !== null);
    const loaded = client(reference.port);
    assert.equal(await loaded.dbsize(), STRINGS + 2 * COLLECTIONS);
    assert.equal(await loaded.get('s:0'), 'v:0');
    assert.deepEqual(await loaded.lrange('l:1', 0, -1), ['a', 'b', '1']);
    await loaded.select(1);
    assert.equal(await loaded.dbsize(), 100);
    assert.equal(expected.size, STRINGS + 2 * COLLECTIONS + 100);
    loaded.disconnect();
  });
});
