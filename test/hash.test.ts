/**
 * Hash commands compared byte for byte with redis-server 7.0: replies and
 * errors, counters, encodings, RESP3 shapes, HRANDFIELD and HSCAN, events,
 * change counts and the journal, plus a property test of random command
 * sequences. Field expiry (HEXPIRE and its family, Redis 7.4) is checked
 * against the documented behaviour, since the reference server lacks it.
 * A few calls go through ioredis and node-redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';
import Redis from 'ioredis';
import { createClient } from 'redis';

import {
  collectChanges,
  collectEvents,
  decodeBulkArray,
  journalOf,
  sortElements,
  sortScanElements,
} from './collection-support';
import {
  assertDifferential,
  findMismatches,
  runDifferential,
  type Normalizer,
  type Step,
} from './support/differential';
import { RawClient } from './support/raw-client';
import { sleep } from './support/server-process';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

const LONG = 'x'.repeat(65);

/** HSET steps adding fields f0..f(count-1) with values v0.., in batches. */
function fillHash(key: string, count: number, prefix = 'f'): Step[] {
  const steps: Step[] = [];
  for (let start = 0; start < count; start += 100) {
    const args = ['HSET', key];
    for (let i = start; i < Math.min(count, start + 100); i++) args.push(`${prefix}${i}`, `v${i}`);
    steps.push(args);
  }
  return steps;
}

describe('hash commands against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const compare = (steps: Step[]) => assertDifferential(damselfly, redis, steps);

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('HSET, HGET, HMGET, HSETNX and HMSET', async () => {
    await compare([
      ['HSET', 'h', 'f1', 'v1', 'f2', 'v2'],
      ['HSET', 'h', 'f1', 'new', 'f3', 'v3'],
      ['HSET', 'h', 'f4', 'a', 'f4', 'b'],
      ['HGET', 'h', 'f1'],
      ['HGET', 'h', 'f4'],
      ['HGET', 'h', 'missing'],
      ['HGET', 'missing', 'f'],
      ['HMGET', 'h', 'f1', 'missing', 'f3', 'f1'],
      ['HMGET', 'missing', 'a', 'b'],
      ['HSETNX', 'h', 'f1', 'x'],
      ['HSETNX', 'h', 'f5', 'v5'],
      ['HSETNX', 'other', 'f', 'v'],
      ['HMSET', 'h', 'a', '1', 'b', '2'],
      ['HGETALL', 'h'],
      ['HGETALL', 'other'],
      ['HLEN', 'h'],
      ['HSET', 'h'],
      ['HSET', 'h', 'f'],
      ['HSET', 'h', 'f', 'v', 'g'],
      ['HMSET', 'h', 'f', 'v', 'g'],
      ['HMSET', 'h', 'f'],
      ['HSETNX', 'h', 'f'],
      ['HSETNX', 'h', 'f', 'v', 'x'],
      ['HGET', 'h'],
      ['HGET', 'h', 'f', 'g'],
      ['HMGET', 'h'],
      ['hset', 'h', 'lower', 'case'],
      ['HGET', 'h', 'lower'],
    ]);
  });

  test('HDEL, HEXISTS, HLEN, HKEYS, HVALS and HSTRLEN', async () => {
    await compare([
      ['HSET', 'h', 'a', '1', 'b', '22', 'c', '333', 'empty', ''],
      ['HEXISTS', 'h', 'a'],
      ['HEXISTS', 'h', 'z'],
      ['HEXISTS', 'missing', 'a'],
      ['HSTRLEN', 'h', 'c'],
      ['HSTRLEN', 'h', 'empty'],
      ['HSTRLEN', 'h', 'z'],
      ['HSTRLEN', 'missing', 'a'],
      ['HKEYS', 'h'],
      ['HVALS', 'h'],
      ['HKEYS', 'missing'],
      ['HVALS', 'missing'],
      ['HGETALL', 'missing'],
      ['HLEN', 'missing'],
      ['HDEL', 'h', 'a', 'a', 'z'],
      ['HDEL', 'missing', 'a'],
      ['HGETALL', 'h'],
      ['HDEL', 'h', 'b', 'c', 'empty'],
      ['EXISTS', 'h'],
      ['HLEN', 'h'],
      ['HDEL', 'h'],
      ['HEXISTS', 'h'],
      ['HLEN'],
      ['HKEYS', 'h', 'x'],
      ['HVALS'],
      ['HSTRLEN', 'h'],
      ['HGETALL'],
    ]);
  });

  test('binary fields and values', async () => {
    const field = Buffer.from([0, 255, 13, 10, 128]);
    const value = Buffer.from('caf\u00e9\r\n\u0000', 'utf8');
    await compare([
      ['HSET', 'bin', field, value, '', ''],
      ['HGET', 'bin', field],
      ['HGET', 'bin', ''],
      ['HSTRLEN', 'bin', field],
      ['HGETALL', 'bin'],
      ['HEXISTS', 'bin', Buffer.from([0, 255, 13, 10])],
      ['HINCRBY', 'bin', Buffer.from([1, 2]), '7'],
      ['HKEYS', 'bin'],
      ['HDEL', 'bin', field],
      ['HVALS', 'bin'],
    ]);
  });

  test('WRONGTYPE from every hash command', async () => {
    const steps: Step[] = [['SET', 'str', 'v']];
    const commands = [
      ['HSET', 'str', 'f', 'v'],
      ['HMSET', 'str', 'f', 'v'],
      ['HSETNX', 'str', 'f', 'v'],
      ['HGET', 'str', 'f'],
      ['HMGET', 'str', 'f'],
      ['HGETALL', 'str'],
      ['HDEL', 'str', 'f'],
      ['HEXISTS', 'str', 'f'],
      ['HLEN', 'str'],
      ['HKEYS', 'str'],
      ['HVALS', 'str'],
      ['HSTRLEN', 'str', 'f'],
      ['HINCRBY', 'str', 'f', '1'],
      ['HINCRBYFLOAT', 'str', 'f', '1'],
      ['HRANDFIELD', 'str'],
      ['HRANDFIELD', 'str', '2'],
      ['HSCAN', 'str', '0'],
    ];
    for (const command of commands) steps.push(command);
    steps.push(['GET', 'str'], ['HINCRBY', 'str', 'f', 'x'], ['HINCRBYFLOAT', 'str', 'f', 'x']);
    await compare(steps);
  });

  test('HINCRBY limits and errors', async () => {
    await compare([
      ['HSET', 'h1', 'f1', '-9223372036854775484'],
      ['HINCRBY', 'h1', 'f1', '-10000'],
      ['HGET', 'h1', 'f1'],
      ['HINCRBY', 'h1', 'f1', '-308'],
      ['HINCRBY', 'h1', 'f1', '-1'],
      ['HGET', 'h1', 'f1'],
      ['HINCRBY', 'h1', 'new', '9223372036854775807'],
      ['HINCRBY', 'h1', 'new', '1'],
      ['HINCRBY', 'h1', 'new', '-9223372036854775808'],
      ['HINCRBY', 'h1', 'n', '0'],
      ['HINCRBY', 'h1', 'n', '9223372036854775808'],
      ['HINCRBY', 'h1', 'n', '1.5'],
      ['HINCRBY', 'h1', 'n', '+1'],
      ['HINCRBY', 'h1', 'n', ' 1'],
      ['HINCRBY', 'h1', 'n', ''],
      ['HINCRBY', 'h1', 'n', '-0'],
      ['HSET', 'h1', 's', 'foo', 'p', '+5', 'z', '05', 'm', '-0', 'sp', ' 5', 'fl', '5.0'],
      ['HINCRBY', 'h1', 's', '1'],
      ['HINCRBY', 'h1', 'p', '1'],
      ['HINCRBY', 'h1', 'z', '1'],
      ['HINCRBY', 'h1', 'm', '1'],
      ['HINCRBY', 'h1', 'sp', '1'],
      ['HINCRBY', 'h1', 'fl', '1'],
      ['HSET', 'h1', 'min', '-9223372036854775808', 'big', '9223372036854775808'],
      ['HINCRBY', 'h1', 'min', '1'],
      ['HINCRBY', 'h1', 'big', '1'],
      ['HINCRBY', 'missing', 'f', '-5'],
      ['HGETALL', 'h1'],
      ['HINCRBY', 'h1', 'f'],
      ['HINCRBY', 'h1', 'f', '1', '2'],
    ]);
  });

  test('HINCRBYFLOAT formats like long double', async () => {
    const steps: Step[] = [
      ['HINCRBYFLOAT', 'h', 'n', '10.5'],
      ['HINCRBYFLOAT', 'h', 'n', '0.1'],
      ['HINCRBYFLOAT', 'h', 'e', '0.1'],
      ['HINCRBYFLOAT', 'h', 'e', '0.2'],
      ['HINCRBYFLOAT', 'h', 'e', '-0.3'],
      ['HSET', 'h', 'int', '5', 'hex', '0x10', 'sci', '5.0e0', 'inf', 'inf', 'nan', 'nan'],
      ['HINCRBYFLOAT', 'h', 'int', '1.5'],
      ['HINCRBYFLOAT', 'h', 'hex', '1'],
      ['HINCRBYFLOAT', 'h', 'sci', '1'],
      ['HINCRBYFLOAT', 'h', 'inf', '1'],
      ['HINCRBYFLOAT', 'h', 'nan', '1'],
      ['HSET', 'h', 'sp', ' 1', 'tail', '1 ', 'txt', 'abc'],
      ['HINCRBYFLOAT', 'h', 'sp', '1'],
      ['HINCRBYFLOAT', 'h', 'tail', '1'],
      ['HINCRBYFLOAT', 'h', 'txt', '1'],
    ];
    const increments = [
      '1e308',
      '1e308',
      '1e4932',
      '1e-5',
      '1e-20',
      '1e20',
      '-0',
      '+.5',
      '5.',
      '0x1p3',
      '1.0000000000000000001',
      '0.1234567890123456789',
      '-1.5',
      '1e-4950',
      '1e-4960',
      '1e400',
      '1.5e',
      '0x',
      'inf',
      '-inf',
      'infinity',
      'nan',
      ' 1',
      '1 ',
      '',
      'abc',
      '3.0000000000000000000000000000000001',
      '-123456789012345678901234567890.5',
    ];
    increments.forEach((increment, i) => steps.push(['HINCRBYFLOAT', 'f', `k${i}`, increment]));
    steps.push(['HINCRBYFLOAT', 'f', 'k2', '1e4932']);
    steps.push({ command: ['HGETALL', 'f'], normalize: sortElements(2) });
    steps.push(['HINCRBYFLOAT', 'f', 'x'], ['HINCRBYFLOAT', 'f', 'x', '1', '2']);
    await compare(steps);
  });

  test('encodings follow the listpack limits', async () => {
    await compare([
      ['HSET', 'small', 'a', '1'],
      ['OBJECT', 'ENCODING', 'small'],
      ...fillHash('edge', 512),
      ['OBJECT', 'ENCODING', 'edge'],
      ['HSET', 'edge', 'one', 'more'],
      ['OBJECT', 'ENCODING', 'edge'],
      ['HDEL', 'edge', 'one', 'f0', 'f1'],
      ['OBJECT', 'ENCODING', 'edge'],
      ['HSET', 'value', 'a', 'x'.repeat(64)],
      ['OBJECT', 'ENCODING', 'value'],
      ['HSET', 'value', 'b', LONG],
      ['OBJECT', 'ENCODING', 'value'],
      ['HSET', 'field', LONG, '1'],
      ['OBJECT', 'ENCODING', 'field'],
      ['HINCRBY', 'incr', LONG, '1'],
      ['OBJECT', 'ENCODING', 'incr'],
      ['HSET', 'nx', 'a', '1'],
      ['HSETNX', 'nx', 'a', LONG],
      ['OBJECT', 'ENCODING', 'nx'],
      ['HSETNX', 'nx', 'b', LONG],
      ['OBJECT', 'ENCODING', 'nx'],
      ['HSET', 'float', 'a', '1.5'],
      ['HINCRBYFLOAT', 'float', 'a', '1e60'],
      ['OBJECT', 'ENCODING', 'float'],
      ['HINCRBYFLOAT', 'float', 'a', '1e70'],
      ['OBJECT', 'ENCODING', 'float'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '2'],
      ['HSET', 'dup', 'a', '1', 'b', '2', 'a', '3', 'b', '4'],
      ['OBJECT', 'ENCODING', 'dup'],
      ['HSET', 'dup', 'c', '3'],
      ['OBJECT', 'ENCODING', 'dup'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '0'],
      ['HSET', 'zero', 'a', '1'],
      ['OBJECT', 'ENCODING', 'zero'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '512'],
      ['CONFIG', 'SET', 'hash-max-listpack-value', '0'],
      ['HSET', 'empty', '', ''],
      ['OBJECT', 'ENCODING', 'empty'],
      ['HSET', 'empty', 'a', ''],
      ['OBJECT', 'ENCODING', 'empty'],
      ['CONFIG', 'SET', 'hash-max-listpack-value', '64'],
    ]);
  });

  test('large hashes reply the same fields', async () => {
    const sorted = sortElements();
    const pairs = sortElements(2);
    await compare([
      ...fillHash('big', 1000),
      { command: ['HGETALL', 'big'], normalize: pairs },
      { command: ['HKEYS', 'big'], normalize: sorted },
      { command: ['HVALS', 'big'], normalize: sorted },
      ['HLEN', 'big'],
      ['HGET', 'big', 'f999'],
      ['HDEL', 'big', 'f1', 'f2', 'nope'],
      ['HMGET', 'big', 'f1', 'f3'],
      ['HRANDFIELD', 'big', '0'],
      { command: ['HRANDFIELD', 'big', '1000'], normalize: sorted },
      { command: ['HRANDFIELD', 'big', '5000', 'WITHVALUES'], normalize: pairs },
      ['OBJECT', 'ENCODING', 'big'],
    ]);
  });

  test('RESP3 replies', async () => {
    await compare([
      { command: ['HELLO', '3'], ignore: true },
      ['HSET', 'h', 'a', '1', 'b', '2'],
      ['HGETALL', 'h'],
      ['HGETALL', 'missing'],
      ['HMGET', 'h', 'a', 'missing'],
      ['HKEYS', 'h'],
      ['HGET', 'h', 'missing'],
      ['HRANDFIELD', 'missing'],
      ['HRANDFIELD', 'missing', '3'],
      ['HRANDFIELD', 'missing', '3', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '5'],
      ['HRANDFIELD', 'h', '5', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '0', 'WITHVALUES'],
      ['HSET', 'one', 'f', 'v'],
      ['HRANDFIELD', 'one', '-3', 'WITHVALUES'],
      ['HRANDFIELD', 'one', '-2'],
      ['HRANDFIELD', 'one'],
      ['HSCAN', 'h', '0'],
      ['HINCRBYFLOAT', 'h', 'a', '0.5'],
      ['HINCRBY', 'h', 'b', '5'],
      ['HSCAN', 'missing', '0'],
    ]);
  });

  test('HRANDFIELD arguments and fixed results', async () => {
    await compare([
      ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
      ['HRANDFIELD', 'h', '-9223372036854775808'],
      ['HRANDFIELD', 'h', '9223372036854775807', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '9223372036854775808'],
      ['HRANDFIELD', 'h', '1', 'WITHVALUE'],
      ['HRANDFIELD', 'h', '1', 'withvalues', 'x'],
      ['HRANDFIELD', 'h', 'x'],
      ['HRANDFIELD', 'h', 'x', 'foo'],
      ['HRANDFIELD', 'missing', 'x'],
      ['HRANDFIELD', 'missing', '5'],
      ['HRANDFIELD', 'missing', '-5', 'WITHVALUES'],
      ['HRANDFIELD', 'missing'],
      ['HRANDFIELD', 'h', '0'],
      ['HRANDFIELD', 'h', '3'],
      ['HRANDFIELD', 'h', '4611686018427387903', 'withvalues'],
      ['HSET', 'one', 'only', 'value'],
      ['HRANDFIELD', 'one'],
      ['HRANDFIELD', 'one', '-4'],
      ['HRANDFIELD', 'one', '-2', 'WITHVALUES'],
      ['HRANDFIELD', 'one', '1'],
      ['HRANDFIELD'],
    ]);
  });

  test('HRANDFIELD random picks have the right shape', async () => {
    for (const server of [damselfly, redis]) {
      const client = await RawClient.connect(server.port);
      try {
        await client.call(['FLUSHALL']);
        const fields = Array.from({ length: 600 }, (_, i) => `f${i}`);
        await client.call(['HSET', 'h', ...fields.flatMap((field) => [field, `v-${field}`])]);
        await client.call(['HSET', 's', 'a', '1', 'b', '2', 'c', '3', 'd', '4']);
        for (const key of ['h', 's']) await checkRandomFields(client, key, server.name);
      } finally {
        client.destroy();
      }
    }
  });

  test('HSCAN of a small hash and its errors', async () => {
    await compare([
      ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'ab', '4'],
      ['HSET', 'ints', '1', '10', '2', '20'],
      ['HSCAN', 'h', '0'],
      ['HSCAN', 'h', '5', 'COUNT', '1'],
      ['HSCAN', 'h', '0', 'MATCH', 'a*'],
      ['HSCAN', 'h', '0', 'match', '[', 'count', '100'],
      ['HSCAN', 'h', '0', 'MATCH', '*', 'MATCH', 'b'],
      ['HSCAN', 'ints', '0'],
      ['HSCAN', 'h', 'x'],
      ['HSCAN', 'h', '-1'],
      ['HSCAN', 'h', '+1'],
      ['HSCAN', 'h', '01'],
      ['HSCAN', 'h', ''],
      ['HSCAN', 'h', ' 1'],
      ['HSCAN', 'h', '18446744073709551615'],
      ['HSCAN', 'h', '18446744073709551616'],
      ['HSCAN', 'h', '0', 'COUNT', '0'],
      ['HSCAN', 'h', '0', 'COUNT', '-1'],
      ['HSCAN', 'h', '0', 'COUNT', 'x'],
      ['HSCAN', 'h', '0', 'COUNT'],
      ['HSCAN', 'h', '0', 'MATCH'],
      ['HSCAN', 'h', '0', 'TYPE', 'string'],
      ['HSCAN', 'h', '0', 'foo'],
      ['HSCAN', 'missing', '0', 'foo'],
      ['HSCAN', 'missing', 'x'],
      ['HSCAN', 'h'],
    ]);
  });

  test('HSCAN of a large hash visits every field once', async () => {
    for (const server of [damselfly, redis]) {
      const client = await RawClient.connect(server.port);
      try {
        await client.call(['FLUSHALL']);
        for (const step of fillHash('big', 1000)) await client.call(step as string[]);
        const all = await hscanAll(client, 'big', ['COUNT', '50']);
        const fields = all.filter((_, i) => i % 2 === 0);
        assert.equal(new Set(fields).size, 1000, `${server.name}: distinct fields`);
        assert.equal(all[all.indexOf('f7') + 1], 'v7', `${server.name}: value after field`);
        const matched = await hscanAll(client, 'big', ['MATCH', 'f9?', 'COUNT', '7']);
        const matchedFields = matched.filter((_, i) => i % 2 === 0).sort();
        assert.deepEqual(
          new Set(matchedFields),
          new Set(Array.from({ length: 10 }, (_, i) => `f9${i}`)),
        );
      } finally {
        client.destroy();
      }
    }
    await compare([
      ...fillHash('big', 300),
      { command: ['HSCAN', 'big', '0', 'COUNT', '1000'], normalize: sortScanElements(2) },
    ]);
  });

  test('keyspace events', async () => {
    const commands = [
      ['HSET', 'h', 'a', '1', 'b', '2'],
      ['HSET', 'h', 'a', '1'],
      ['HMSET', 'h', 'c', '3'],
      ['HSETNX', 'h', 'c', '3'],
      ['HSETNX', 'h', 'd', '4'],
      ['HINCRBY', 'h', 'n', '1'],
      ['HINCRBYFLOAT', 'h', 'x', '1.5'],
      ['HDEL', 'h', 'missing'],
      ['HDEL', 'h', 'a', 'b'],
      ['HINCRBY', 'h', 'c', 'x'],
      ['HDEL', 'h', 'c', 'd', 'n', 'x'],
      ['HSETNX', 'new', 'f', 'v'],
      ['HINCRBYFLOAT', 'newer', 'f', '1'],
    ];
    const [ours, theirs] = await Promise.all([
      collectEvents(damselfly.port, commands),
      collectEvents(redis.port, commands),
    ]);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes('del h'));
  });

  test('change counts', async () => {
    const commands = [
      ['HSET', 'h', 'a', '1', 'b', '2'],
      ['HSET', 'h', 'a', '1', 'a', '2'],
      ['HMSET', 'h', 'c', '3'],
      ['HSETNX', 'h', 'c', '3'],
      ['HSETNX', 'h', 'd', '4'],
      ['HINCRBY', 'h', 'n', '1'],
      ['HINCRBY', 'h', 'a', 'x'],
      ['HINCRBYFLOAT', 'h', 'x', '1.5'],
      ['HDEL', 'h', 'missing'],
      ['HDEL', 'h', 'a', 'b', 'c'],
      ['HGET', 'h', 'd'],
      ['HGETALL', 'h'],
      ['HDEL', 'h', 'd', 'n', 'x'],
    ];
    const [ours, theirs] = await Promise.all([
      collectChanges(damselfly.port, commands),
      collectChanges(redis.port, commands),
    ]);
    assert.deepEqual(ours, theirs);
  });
});

/** Checks HRANDFIELD replies for a key: sizes, membership, values and distinctness. */
async function checkRandomFields(client: RawClient, key: string, name: string): Promise<void> {
  const all = decodeBulkArray(await client.call(['HGETALL', key])) as string[];
  const values = new Map<string, string>();
  for (let i = 0; i < all.length; i += 2) values.set(all[i], all[i + 1]);
  const single = (await client.call(['HRANDFIELD', key])).toString('latin1');
  assert.ok(values.has(single.split('\r\n')[1]), `${name}: single field is a field`);

  for (const count of [1, 3, values.size - 1, values.size, values.size + 5]) {
    const picked = decodeBulkArray(
      await client.call(['HRANDFIELD', key, String(count)]),
    ) as string[];
    assert.equal(picked.length, Math.min(count, values.size), `${name}: size for ${count}`);
    assert.equal(new Set(picked).size, picked.length, `${name}: distinct for ${count}`);
    assert.ok(
      picked.every((field) => values.has(field)),
      `${name}: members for ${count}`,
    );
  }

  for (const count of [-1, -5, -(values.size * 3)]) {
    const pairs = decodeBulkArray(
      await client.call(['HRANDFIELD', key, String(count), 'WITHVALUES']),
    ) as string[];
    assert.equal(pairs.length, -count * 2, `${name}: size for ${count}`);
    for (let i = 0; i < pairs.length; i += 2) {
      assert.equal(values.get(pairs[i]), pairs[i + 1], `${name}: value of ${pairs[i]}`);
    }
  }
}

/** HSCANs a key until the cursor returns to 0; returns every element of every page. */
async function hscanAll(client: RawClient, key: string, options: string[]): Promise<string[]> {
  const elements: string[] = [];
  let cursor = '0';
  do {
    const reply = (await client.call(['HSCAN', key, cursor, ...options])).toString('latin1');
    const cursorMatch = /^\*2\r\n\$\d+\r\n(\d+)\r\n/.exec(reply);
    assert.ok(cursorMatch, `unexpected HSCAN reply ${JSON.stringify(reply)}`);
    cursor = cursorMatch[1];
    const page = decodeBulkArray(Buffer.from(reply.slice(cursorMatch[0].length), 'latin1'));
    elements.push(...(page as string[]));
  } while (cursor !== '0');
  return elements;
}

describe('hash journal against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const args = ['--appendonly', 'yes', '--appendfsync', 'always'];

  before(async () => {
    damselfly = await startDamselfly({ args });
    const reference = await startRedisServer({ args });
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('append-only files match', async () => {
    const commands = [
      ['HSET', 'h', 'a', '1', 'b', '2'],
      ['HSET', 'h', 'a', '1'],
      ['HMSET', 'h', 'c', '3'],
      ['HSETNX', 'h', 'c', '3'],
      ['HSETNX', 'h', 'd', '4'],
      ['HINCRBY', 'h', 'n', '5'],
      ['HINCRBYFLOAT', 'h', 'x', '10.5'],
      ['HINCRBYFLOAT', 'h', 'x', '0.1'],
      ['HDEL', 'h', 'missing'],
      ['HDEL', 'h', 'a', 'b'],
      ['HGET', 'h', 'c'],
      ['HRANDFIELD', 'h', '2'],
    ];
    const [ours, theirs] = await Promise.all([
      journalOf(damselfly, commands),
      journalOf(redis, commands),
    ]);
    assert.deepEqual(ours.journal, theirs.journal);
    assert.ok(ours.journal.includes('HSET h x 10.6'));
  });
});

describe('hash field expiry and NOVALUES (Redis 7.4)', () => {
  let damselfly: ServerProcess;
  let client: RawClient;
  const call = async (...args: string[]) => (await client.call(args)).toString('latin1');
  const ints = (...values: number[]) =>
    `*${values.length}\r\n${values.map((v) => `:${v}\r\n`).join('')}`;

  // With appendfsync everysec, removals journaled between requests reach the file at once.
  before(async () => {
    damselfly = await startDamselfly({
      args: ['--hz', '100', '--appendonly', 'yes', '--appendfsync', 'everysec'],
    });
    client = await RawClient.connect(damselfly.port);
  });

  after(async () => {
    client.destroy();
    await stopAllServers();
  });

  test('HEXPIRE replies per field', async () => {
    await call('FLUSHALL');
    await call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    assert.equal(await call('HEXPIRE', 'h', '100', 'FIELDS', '2', 'a', 'missing'), ints(1, -2));
    assert.equal(await call('HEXPIRE', 'missing', '100', 'FIELDS', '2', 'a', 'b'), ints(-2, -2));
    assert.equal(await call('HTTL', 'h', 'FIELDS', '3', 'a', 'b', 'missing'), ints(100, -1, -2));
    assert.equal(await call('HEXPIRE', 'h', '0', 'FIELDS', '1', 'b'), ints(2));
    assert.equal(await call('HEXISTS', 'h', 'b'), ':0\r\n');
    assert.equal(await call('HLEN', 'h'), ':2\r\n');
    assert.equal(await call('HEXPIREAT', 'h', '1', 'FIELDS', '2', 'c', 'a'), ints(2, 2));
    assert.equal(await call('EXISTS', 'h'), ':0\r\n');
  });

  test('NX, XX, GT and LT conditions', async () => {
    await call('FLUSHALL');
    await call('HSET', 'h', 'a', '1', 'b', '2');
    const base = Date.now() + 1_000_000;
    const at = (offset: number) => String(base + offset);
    assert.equal(await call('HPEXPIREAT', 'h', at(100), 'XX', 'FIELDS', '1', 'a'), ints(0));
    assert.equal(await call('HPEXPIREAT', 'h', at(100), 'GT', 'FIELDS', '1', 'a'), ints(0));
    assert.equal(await call('HPEXPIREAT', 'h', at(100), 'LT', 'FIELDS', '1', 'a'), ints(1));
    assert.equal(await call('HPEXPIREAT', 'h', at(50), 'NX', 'FIELDS', '2', 'a', 'b'), ints(0, 1));
    assert.equal(await call('HPEXPIREAT', 'h', at(200), 'gt', 'FIELDS', '2', 'a', 'b'), ints(1, 1));
    assert.equal(await call('HPEXPIREAT', 'h', at(200), 'GT', 'FIELDS', '1', 'a'), ints(0));
    assert.equal(await call('HPEXPIREAT', 'h', at(300), 'LT', 'FIELDS', '1', 'a'), ints(0));
    assert.equal(await call('HPEXPIREAT', 'h', at(200), 'LT', 'FIELDS', '1', 'a'), ints(0));
    assert.equal(await call('HPEXPIREAT', 'h', at(150), 'lt', 'FIELDS', '1', 'a'), ints(1));
    assert.equal(await call('HPEXPIREAT', 'h', at(120), 'XX', 'FIELDS', '1', 'b'), ints(1));
    assert.equal(
      await call('HPEXPIRETIME', 'h', 'FIELDS', '2', 'a', 'b'),
      ints(base + 150, base + 120),
    );
    assert.equal(await call('HEXPIRE', 'h', '0', 'XX', 'FIELDS', '1', 'a'), ints(2));
    assert.equal(await call('HEXPIRE', 'h', '0', 'NX', 'FIELDS', '1', 'b'), ints(0));
  });

  test('HPEXPIRE, HPTTL, HEXPIRETIME and HPEXPIRETIME', async () => {
    await call('FLUSHALL');
    await call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    const at = Date.now() + 100_000;
    assert.equal(await call('HPEXPIREAT', 'h', String(at), 'FIELDS', '1', 'a'), ints(1));
    assert.equal(await call('HPEXPIRETIME', 'h', 'FIELDS', '2', 'a', 'b'), ints(at, -1));
    assert.equal(await call('HEXPIRETIME', 'h', 'FIELDS', '1', 'a'), ints(Math.ceil(at / 1000)));
    const pttl = Number(/:(\d+)/.exec(await call('HPTTL', 'h', 'FIELDS', '1', 'a'))?.[1]);
    assert.ok(pttl <= 100_000, `HPTTL ${pttl} at most 100000`);
    assert.ok(pttl > 99_000, `HPTTL ${pttl} above 99000`);
    assert.equal(await call('HPEXPIRE', 'h', '5000', 'FIELDS', '1', 'b'), ints(1));
    assert.equal(await call('HTTL', 'h', 'FIELDS', '1', 'b'), ints(5));
    assert.equal(
      await call('HEXPIREAT', 'h', String(Math.floor(at / 1000) + 10), 'FIELDS', '1', 'c'),
      ints(1),
    );
    assert.equal(
      await call('HEXPIRETIME', 'h', 'FIELDS', '1', 'c'),
      ints(Math.floor(at / 1000) + 10),
    );
    assert.equal(await call('HTTL', 'missing', 'FIELDS', '2', 'a', 'b'), ints(-2, -2));
  });

  test('HPERSIST and writes that drop or keep expiry times', async () => {
    await call('FLUSHALL');
    await call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3', 'd', '4');
    await call('HEXPIRE', 'h', '100', 'FIELDS', '4', 'a', 'b', 'c', 'd');
    assert.equal(await call('HPERSIST', 'h', 'FIELDS', '3', 'a', 'a', 'missing'), ints(1, -1, -2));
    assert.equal(await call('HPERSIST', 'missing', 'FIELDS', '1', 'a'), ints(-2));
    await call('HSET', 'h', 'b', 'new');
    await call('HINCRBY', 'h', 'c', '1');
    await call('HINCRBYFLOAT', 'h', 'd', '1.5');
    assert.equal(await call('HSETNX', 'h', 'd', 'x'), ':0\r\n');
    assert.equal(
      await call('HTTL', 'h', 'FIELDS', '4', 'a', 'b', 'c', 'd'),
      ints(-1, -1, 100, 100),
    );
    await call('HDEL', 'h', 'c');
    await call('HSET', 'h', 'c', 'again');
    assert.equal(await call('HTTL', 'h', 'FIELDS', '1', 'c'), ints(-1));
  });

  test('argument errors', async () => {
    await call('FLUSHALL');
    await call('HSET', 'h', 'a', '1');
    await call('SET', 'str', 'v');
    const errors: [string[], string][] = [
      [
        ['HEXPIRE', 'h', '10', 'FIELDS', 'abc', 'a'],
        '-ERR Parameter `numFields` should be greater than 0',
      ],
      [
        ['HEXPIRE', 'h', '10', 'FIELDS', '0', 'a'],
        '-ERR Parameter `numFields` should be greater than 0',
      ],
      [
        ['HEXPIRE', 'h', '10', 'FIELDS', '2', 'a'],
        '-ERR The `numfields` parameter must match the number of arguments',
      ],
      [
        ['HEXPIRE', 'h', '10', 'NX', 'XX', 'FIELDS', '1', 'a'],
        '-ERR Mandatory argument FIELDS is missing or not at the right position',
      ],
      [
        ['HEXPIRE', 'h', '10', 'FIELD', '1', 'a'],
        '-ERR Mandatory argument FIELDS is missing or not at the right position',
      ],
      [['HEXPIRE', 'h', 'x', 'FIELDS', '1', 'a'], '-ERR value is not an integer or out of range'],
      [['HEXPIRE', 'h', '-1', 'FIELDS', '1', 'a'], '-ERR invalid expire time, must be >= 0'],
      [
        ['HEXPIRE', 'h', '70368744177664', 'FIELDS', '1', 'a'],
        "-ERR invalid expire time in 'hexpire' command",
      ],
      [
        ['HPEXPIREAT', 'h', '70368744177664', 'FIELDS', '1', 'a'],
        "-ERR invalid expire time in 'hpexpireat' command",
      ],
      [
        ['HEXPIRE', 'str', '10', 'FIELDS', '1', 'a'],
        '-WRONGTYPE Operation against a key holding the wrong kind of value',
      ],
      [
        ['HEXPIRE', 'h', '10', 'FIELDS', '1'],
        "-ERR wrong number of arguments for 'hexpire' command",
      ],
      [['HTTL', 'h', 'FIELDS', '0', 'a'], '-ERR Number of fields must be a positive integer'],
      [
        ['HTTL', 'h', 'FIELDS', '2', 'a'],
        '-ERR The `numfields` parameter must match the number of arguments',
      ],
      [
        ['HTTL', 'h', 'NOPE', '1', 'a'],
        '-ERR Mandatory argument FIELDS is missing or not at the right position',
      ],
      [
        ['HTTL', 'str', 'FIELDS', '1', 'a'],
        '-WRONGTYPE Operation against a key holding the wrong kind of value',
      ],
      [['HPERSIST', 'h', 'FIELDS', 'x', 'a'], '-ERR Number of fields must be a positive integer'],
      [
        ['HPEXPIRETIME', 'h', 'FIELDS', '1'],
        "-ERR wrong number of arguments for 'hpexpiretime' command",
      ],
    ];
    for (const [args, expected] of errors)
      assert.equal(await call(...args), `${expected}\r\n`, args.join(' '));
  });

  test('expired fields vanish on access and in the background', async () => {
    await call('FLUSHALL');
    await call('HSET', 'lazy', 'a', '1', 'b', '2');
    await call('HSET', 'swept', 'a', '1');
    await call('HPEXPIRE', 'lazy', '30', 'FIELDS', '1', 'a');
    await call('HPEXPIRE', 'swept', '30', 'FIELDS', '1', 'a');
    await sleep(80);
    assert.equal(await call('HGETALL', 'lazy'), '*2\r\n$1\r\nb\r\n$1\r\n2\r\n');
    assert.equal(await call('HLEN', 'lazy'), ':1\r\n');
    assert.equal(await call('EXISTS', 'swept'), ':0\r\n');
    assert.equal(await call('DBSIZE'), ':1\r\n');
  });

  test('HSCAN NOVALUES returns fields only', async () => {
    await call('FLUSHALL');
    await call('HSET', 'small', 'a', '1', 'b', '2');
    const small = await call('HSCAN', 'small', '0', 'NOVALUES');
    assert.equal(small, '*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n');
    const matched = await call('HSCAN', 'small', '0', 'novalues', 'MATCH', 'b', 'NOVALUES');
    assert.equal(matched, '*2\r\n$1\r\n0\r\n*1\r\n$1\r\nb\r\n');
    const fields = Array.from({ length: 600 }, (_, i) => `f${i}`);
    await call('HSET', 'big', ...fields.flatMap((field) => [field, 'value']));
    assert.equal(await call('OBJECT', 'ENCODING', 'big'), '$9\r\nhashtable\r\n');
    const seen = await hscanAll(client, 'big', ['NOVALUES', 'COUNT', '40']);
    assert.equal(seen.length, 600);
    assert.deepEqual(new Set(seen), new Set(fields));
    assert.equal(await call('HSCAN', 'small', '0', 'NOVALUES', 'x'), '-ERR syntax error\r\n');
  });

  test('events and the journal of expiring fields', async () => {
    await call('FLUSHALL');
    await call('HSET', 'h', 'a', '1', 'b', '2', 'c', '3');
    const subscriber = await RawClient.connect(damselfly.port);
    await call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    try {
      await subscriber.call(['PSUBSCRIBE', '__keyevent@0__:*']);
      await call('HEXPIRE', 'h', '100', 'FIELDS', '1', 'a');
      await call('HPERSIST', 'h', 'FIELDS', '1', 'a');
      await call('HEXPIRE', 'h', '0', 'FIELDS', '1', 'a');
      await call('HPEXPIRE', 'h', '20', 'FIELDS', '2', 'b', 'c');
      await sleep(60);
      await call('HGET', 'h', 'b');
      const events = (await subscriber.readUntilQuiet(100)).toString('latin1');
      const names = [...events.matchAll(/__keyevent@0__:(\w+)/g)].map((match) => match[1]);
      assert.deepEqual(names, ['hexpire', 'hpersist', 'hdel', 'hexpire', 'hexpired', 'del']);
    } finally {
      await call('CONFIG', 'SET', 'notify-keyspace-events', '');
      subscriber.destroy();
    }
    await sleep(50);
    const { journal } = await journalOf(damselfly, []);
    const tail = journal.slice(journal.lastIndexOf('HSET h a 1 b 2 c 3'));
    assert.deepEqual(tail.slice(0, 5), [
      'HSET h a 1 b 2 c 3',
      'HPEXPIREAT h T FIELDS 1 a',
      'HPERSIST h FIELDS 1 a',
      'HDEL h a',
      'HPEXPIREAT h T FIELDS 2 b c',
    ]);
    assert.deepEqual(tail.slice(5).sort(), ['HDEL h b', 'HDEL h c']);
  });
});

/** Commands for the property test: a few keys and fields, so that operations collide. */
function hashCommandArbitrary(): fc.Arbitrary<string[]> {
  const key = fc.constantFrom('h1', 'h2', 'str');
  const field = fc.constantFrom('a', 'b', 'c', 'd', '1', '-5', '');
  const value = fc.oneof(
    fc.constantFrom('1', '-2', '3.5', 'x', '', '9223372036854775807', '1e3'),
    fc.string({ maxLength: 70 }),
  );
  const increment = fc.constantFrom('1', '-1', '100', '2.5', '-0.1', 'x', '9223372036854775807');
  return fc.oneof(
    fc.tuple(key, field, value).map(([k, f, v]) => ['HSET', k, f, v]),
    fc.tuple(key, field, value, field, value).map(([k, f, v, g, w]) => ['HSET', k, f, v, g, w]),
    fc.tuple(key, field, value).map(([k, f, v]) => ['HSETNX', k, f, v]),
    fc.tuple(key, field).map(([k, f]) => ['HGET', k, f]),
    fc.tuple(key, field, field).map(([k, f, g]) => ['HMGET', k, f, g]),
    fc.tuple(key, field, field).map(([k, f, g]) => ['HDEL', k, f, g]),
    fc.tuple(key, field).map(([k, f]) => ['HEXISTS', k, f]),
    fc.tuple(key, field).map(([k, f]) => ['HSTRLEN', k, f]),
    fc.tuple(key, field, increment).map(([k, f, i]) => ['HINCRBY', k, f, i]),
    fc.tuple(key, field, increment).map(([k, f, i]) => ['HINCRBYFLOAT', k, f, i]),
    key.map((k) => ['HGETALL', k]),
    key.map((k) => ['HKEYS', k]),
    key.map((k) => ['HVALS', k]),
    key.map((k) => ['HLEN', k]),
    key.map((k) => ['HSCAN', k, '0']),
    key.map((k) => ['OBJECT', 'ENCODING', k]),
    key.map((k) => ['HRANDFIELD', k, '-3']),
    key.map((k) => ['SET', k, 'plain']),
    key.map((k) => ['DEL', k]),
  );
}

describe('hash property test against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('random command sequences reply the same', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(hashCommandArbitrary(), { minLength: 1, maxLength: 40 }),
        async (commands) => {
          const steps: Step[] = commands.map((command) => ({
            command,
            normalize: PROPERTY_NORMALIZERS[command[0]] ?? [],
          }));
          const result = await runDifferential(damselfly, redis, steps);
          assert.deepEqual(findMismatches(result), []);
        },
      ),
      { numRuns: 60 },
    );
  });
});

/**
 * Normalizers for the property test. A hash that converted to a hash table
 * lists its fields in each server's own order, and HRANDFIELD with a
 * negative count picks at random, so only its length is compared.
 */
const PROPERTY_NORMALIZERS: Record<string, Normalizer> = {
  HGETALL: sortElements(2),
  HKEYS: sortElements(),
  HVALS: sortElements(),
  HSCAN: sortScanElements(2),
  HRANDFIELD: (text) => text.replace(/^(\*\d+\r\n)[\s\S]*$/, '$1'),
};

describe('hashes through client libraries', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  test('ioredis fields, counters and expiry', async () => {
    const client = new Redis({ port: damselfly.port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    try {
      await client.flushall();
      assert.equal(await client.hset('user', { name: 'ada', visits: '1' }), 2);
      assert.equal(await client.hincrby('user', 'visits', 4), 5);
      assert.equal(await client.hincrbyfloat('user', 'score', 10.5), '10.5');
      assert.equal(await client.hincrbyfloat('user', 'score', 0.1), '10.6');
      assert.deepEqual(await client.hgetall('user'), { name: 'ada', visits: '5', score: '10.6' });
      assert.deepEqual(await client.hmget('user', 'name', 'nope'), ['ada', null]);
      assert.equal(await client.hexists('user', 'name'), 1);
      assert.deepEqual(await client.call('HEXPIRE', 'user', '60', 'FIELDS', '1', 'name'), [1]);
      assert.deepEqual(await client.call('HTTL', 'user', 'FIELDS', '1', 'name'), [60]);
      const [cursor, page] = await client.hscan('user', '0', 'MATCH', 'v*');
      assert.deepEqual([cursor, page], ['0', ['visits', '5']]);
      await assert.rejects(client.hincrby('user', 'name', 1), /ERR hash value is not an integer/);
      const binary = Buffer.from([0, 255, 10]);
      await client.hset('bin', binary, binary);
      assert.deepEqual(await client.hgetBuffer('bin', binary), binary);
    } finally {
      client.disconnect();
    }
  });

  test('node-redis maps and random fields', async () => {
    const client = createClient({ socket: { port: damselfly.port, host: '127.0.0.1' } });
    await client.connect();
    try {
      await client.flushAll();
      assert.equal(await client.hSet('h', { a: '1', b: '2', c: '3' }), 3);
      assert.deepEqual({ ...(await client.hGetAll('h')) }, { a: '1', b: '2', c: '3' });
      assert.deepEqual((await client.hKeys('h')).sort(), ['a', 'b', 'c']);
      assert.equal(await client.hLen('h'), 3);
      const picked = await client.hRandFieldCount('h', 2);
      assert.equal(new Set(picked).size, 2);
      assert.ok(picked.every((field) => ['a', 'b', 'c'].includes(field)));
      assert.equal(await client.hDel('h', ['a', 'b', 'c']), 3);
      assert.equal(await client.exists('h'), 0);
    } finally {
      await client.quit();
    }
  });
});
