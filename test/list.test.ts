/**
 * List commands compared byte for byte with redis-server: every command
 * with its edge cases and error texts, large lists that span many nodes,
 * RESP3 replies, keyspace events, change counts and the journal. Then a
 * property test of random command sequences against redis-server,
 * OBJECT ENCODING (which follows Redis 7.2, so it is checked on Damselfly
 * alone), and a few calls through ioredis and node-redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';
import Redis from 'ioredis';
import { createClient } from 'redis';

import { collectChanges, collectEvents, journalOf } from './collection-support';
import {
  assertDifferential,
  findMismatches,
  runDifferential,
  type Step,
} from './support/differential';
import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** Builds a list of `count` elements "e0", "e1", ... with RPUSH calls of 100 elements each. */
function fillList(key: string, count: number, prefix = 'e'): string[][] {
  const commands: string[][] = [];
  for (let start = 0; start < count; start += 100) {
    const values = [];
    for (let i = start; i < Math.min(count, start + 100); i++) values.push(`${prefix}${i}`);
    commands.push(['RPUSH', key, ...values]);
  }
  return commands;
}

describe('list commands against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('LPUSH, RPUSH, LPUSHX, RPUSHX and LLEN', async () => {
    await assertDifferential(damselfly, redis, [
      ['LPUSH', 'l', 'a', 'b', 'c'],
      ['RPUSH', 'l', 'x', 'y'],
      ['LRANGE', 'l', '0', '-1'],
      ['LLEN', 'l'],
      ['LLEN', 'missing'],
      ['LPUSHX', 'missing', 'a'],
      ['RPUSHX', 'missing', 'a', 'b'],
      ['EXISTS', 'missing'],
      ['LPUSHX', 'l', 'h1', 'h2'],
      ['RPUSHX', 'l', 't1'],
      ['LRANGE', 'l', '0', '-1'],
      ['RPUSH', 'l', ''],
      ['LINDEX', 'l', '-1'],
      ['LPUSH', 'l'],
      ['RPUSH'],
      ['LPUSHX', 'l'],
      ['LLEN'],
      ['LLEN', 'l', 'extra'],
    ]);
  });

  test('LPOP and RPOP with and without a count', async () => {
    await assertDifferential(damselfly, redis, [
      ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e'],
      ['LPOP', 'l'],
      ['RPOP', 'l'],
      ['LPOP', 'l', '0'],
      ['RPOP', 'l', '0'],
      ['LPOP', 'l', '2'],
      ['RPOP', 'l', '5'],
      ['EXISTS', 'l'],
      ['LPOP', 'l'],
      ['RPOP', 'l', '1'],
      ['LPOP', 'l', '0'],
      ['RPUSH', 'l', 'a'],
      ['LPOP', 'l', '-1'],
      ['RPOP', 'l', 'x'],
      ['LPOP', 'l', '1.5'],
      ['LPOP', 'l', '9223372036854775807'],
      ['LPOP', 'missing', '-1'],
      ['LPOP', 'l', '1', '2'],
      ['RPOP', 'l', '1', '2'],
      ['LPOP'],
    ]);
  });

  test('LINDEX and LSET with negative and out-of-range indexes', async () => {
    await assertDifferential(damselfly, redis, [
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['LINDEX', 'l', '0'],
      ['LINDEX', 'l', '2'],
      ['LINDEX', 'l', '3'],
      ['LINDEX', 'l', '-1'],
      ['LINDEX', 'l', '-3'],
      ['LINDEX', 'l', '-4'],
      ['LINDEX', 'l', '9223372036854775807'],
      ['LINDEX', 'l', '-9223372036854775808'],
      ['LINDEX', 'l', '9223372036854775808'],
      ['LINDEX', 'l', 'x'],
      ['LINDEX', 'missing', 'x'],
      ['LINDEX', 'missing', '0'],
      ['LSET', 'l', '0', 'A'],
      ['LSET', 'l', '-1', 'C'],
      ['LSET', 'l', '-3', 'first'],
      ['LSET', 'l', '3', 'x'],
      ['LSET', 'l', '-4', 'x'],
      ['LSET', 'l', 'x', 'x'],
      ['LSET', 'missing', '0', 'x'],
      ['LSET', 'missing', 'x', 'x'],
      ['LRANGE', 'l', '0', '-1'],
      ['LSET', 'l', '1', 'a much longer value than before '.repeat(20)],
      ['LRANGE', 'l', '0', '-1'],
    ]);
  });

  test('LRANGE and LTRIM ranges', async () => {
    const steps: Step[] = [['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e']];
    const ranges = [
      ['0', '-1'],
      ['1', '3'],
      ['-2', '-1'],
      ['3', '1'],
      ['-100', '100'],
      ['5', '10'],
      ['-1', '-2'],
      ['0', '0'],
      ['-5', '-5'],
      ['-6', '0'],
      ['4', '4'],
      ['2', '-3'],
      ['9223372036854775807', '-9223372036854775808'],
      ['-9223372036854775808', '1'],
    ];
    for (const [start, stop] of ranges) steps.push(['LRANGE', 'l', start, stop]);
    steps.push(
      ['LRANGE', 'l', 'a', '1'],
      ['LRANGE', 'l', '0', 'b'],
      ['LRANGE', 'missing', '0', '-1'],
    );
    steps.push(['LRANGE', 'missing', 'x', '1']);
    for (const [start, stop] of [
      ['1', '-2'],
      ['0', '100'],
      ['-2', '-1'],
      ['1', '0'],
    ]) {
      steps.push(['LTRIM', 'l', start, stop], ['LRANGE', 'l', '0', '-1'], ['EXISTS', 'l']);
    }
    steps.push(
      ['LTRIM', 'missing', '0', '1'],
      ['LTRIM', 'l', 'x', '1'],
      ['LTRIM', 'missing', 'x', '1'],
    );
    steps.push(['RPUSH', 'm', '1', '2', '3'], ['LTRIM', 'm', '5', '10'], ['EXISTS', 'm']);
    await assertDifferential(damselfly, redis, steps);
  });

  test('LREM from the head, the tail and everywhere', async () => {
    await assertDifferential(damselfly, redis, [
      ['RPUSH', 'l', 'a', 'b', 'a', 'c', 'a', 'b', 'a'],
      ['LREM', 'l', '1', 'a'],
      ['LRANGE', 'l', '0', '-1'],
      ['LREM', 'l', '-2', 'a'],
      ['LRANGE', 'l', '0', '-1'],
      ['LREM', 'l', '0', 'b'],
      ['LRANGE', 'l', '0', '-1'],
      ['LREM', 'l', '5', 'zz'],
      ['LREM', 'l', '0', 'a'],
      ['LREM', 'l', '0', 'c'],
      ['EXISTS', 'l'],
      ['LREM', 'missing', '0', 'a'],
      ['LREM', 'l', 'x', 'a'],
      ['LREM', 'missing', 'x', 'a'],
      ['RPUSH', 'l', 'x', 'x', 'x'],
      ['LREM', 'l', '-9223372036854775808', 'x'],
      ['EXISTS', 'l'],
    ]);
  });

  test('LINSERT before and after', async () => {
    await assertDifferential(damselfly, redis, [
      ['RPUSH', 'l', 'a', 'b', 'a'],
      ['LINSERT', 'l', 'BEFORE', 'a', 'x'],
      ['LINSERT', 'l', 'after', 'a', 'y'],
      ['LINSERT', 'l', 'After', 'b', 'z'],
      ['LRANGE', 'l', '0', '-1'],
      ['LINSERT', 'l', 'BEFORE', 'missing-pivot', 'x'],
      ['LINSERT', 'missing', 'BEFORE', 'a', 'x'],
      ['EXISTS', 'missing'],
      ['LINSERT', 'l', 'MIDDLE', 'a', 'x'],
      ['LINSERT', 'missing', 'MIDDLE', 'a', 'x'],
      ['LINSERT', 'l', 'BEFORE', 'a'],
      ['LINSERT', 'l', 'AFTER', 'z', ''],
      ['LRANGE', 'l', '0', '-1'],
    ]);
  });

  test('LPOS with RANK, COUNT and MAXLEN', async () => {
    const steps: Step[] = [['RPUSH', 'l', 'a', 'b', 'c', 'a', 'b', 'a', 'c']];
    const options = [
      [],
      ['RANK', '1'],
      ['RANK', '2'],
      ['RANK', '3'],
      ['RANK', '4'],
      ['RANK', '-1'],
      ['RANK', '-3'],
      ['RANK', '-4'],
      ['COUNT', '0'],
      ['COUNT', '2'],
      ['COUNT', '0', 'RANK', '2'],
      ['COUNT', '0', 'RANK', '-1'],
      ['MAXLEN', '1'],
      ['MAXLEN', '4', 'COUNT', '0'],
      ['RANK', '-1', 'MAXLEN', '2', 'COUNT', '0'],
      ['RANK', '9223372036854775807'],
      ['RANK', '-9223372036854775808'],
      ['RANK', '-9223372036854775807'],
      ['RANK', '-9223372036854775808', 'COUNT', '0'],
      ['rank', '2', 'count', '1', 'maxlen', '0'],
      ['RANK', '1', 'RANK', '2'],
      ['RANK', '0'],
      ['RANK', 'x'],
      ['RANK'],
      ['COUNT', '-1'],
      ['COUNT', 'x'],
      ['MAXLEN', '-1'],
      ['MAXLEN', 'x'],
      ['FOO'],
      ['RANK', '0', 'COUNT', '-1'],
    ];
    for (const option of options) steps.push(['LPOS', 'l', 'a', ...option]);
    steps.push(['LPOS', 'l', 'zz'], ['LPOS', 'l', 'zz', 'COUNT', '0'], ['LPOS', 'missing', 'a']);
    steps.push(['LPOS', 'missing', 'a', 'COUNT', '1'], ['LPOS', 'missing', 'a', 'RANK', '0']);
    await assertDifferential(damselfly, redis, steps);
  });

  test('LMOVE and RPOPLPUSH', async () => {
    await assertDifferential(damselfly, redis, [
      ['RPUSH', 'src', 'a', 'b', 'c'],
      ['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'],
      ['LMOVE', 'src', 'dst', 'right', 'left'],
      ['LRANGE', 'dst', '0', '-1'],
      ['RPOPLPUSH', 'src', 'dst'],
      ['EXISTS', 'src'],
      ['LMOVE', 'src', 'dst', 'LEFT', 'LEFT'],
      ['RPOPLPUSH', 'src', 'dst'],
      ['LMOVE', 'dst', 'dst', 'LEFT', 'RIGHT'],
      ['LRANGE', 'dst', '0', '-1'],
      ['RPOPLPUSH', 'dst', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['RPUSH', 'one', 'x'],
      ['LMOVE', 'one', 'one', 'LEFT', 'LEFT'],
      ['LRANGE', 'one', '0', '-1'],
      ['LMOVE', 'src', 'dst', 'UP', 'LEFT'],
      ['LMOVE', 'src', 'dst', 'LEFT', 'DOWN'],
      ['LMOVE', 'missing', 'dst', 'UP', 'LEFT'],
      ['SET', 'str', 'v'],
      ['LMOVE', 'dst', 'str', 'LEFT', 'LEFT'],
      ['RPOPLPUSH', 'dst', 'str'],
      ['LRANGE', 'dst', '0', '-1'],
      ['LMOVE', 'str', 'dst', 'LEFT', 'LEFT'],
      ['LMOVE', 'missing', 'str', 'LEFT', 'LEFT'],
    ]);
  });

  test('LMPOP arguments and replies', async () => {
    await assertDifferential(damselfly, redis, [
      ['RPUSH', 'b', '1', '2', '3'],
      ['RPUSH', 'c', 'x'],
      ['LMPOP', '2', 'a', 'b', 'LEFT'],
      ['LMPOP', '2', 'a', 'b', 'RIGHT', 'COUNT', '5'],
      ['EXISTS', 'b'],
      ['LMPOP', '3', 'a', 'b', 'c', 'left', 'count', '1'],
      ['LMPOP', '1', 'a', 'LEFT'],
      ['LMPOP', '0', 'a', 'LEFT'],
      ['LMPOP', '-1', 'a', 'LEFT'],
      ['LMPOP', 'x', 'a', 'LEFT'],
      ['LMPOP', '2', 'a', 'LEFT'],
      ['LMPOP', '9223372036854775807', 'a', 'LEFT'],
      ['LMPOP', '1', 'a', 'MIDDLE'],
      ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '0'],
      ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '-1'],
      ['LMPOP', '1', 'a', 'LEFT', 'COUNT', 'x'],
      ['LMPOP', '1', 'a', 'LEFT', 'COUNT'],
      ['LMPOP', '1', 'a', 'LEFT', 'COUNT', '1', 'COUNT', '1'],
      ['LMPOP', '1', 'a', 'LEFT', 'FOO'],
      ['SET', 's', 'v'],
      ['RPUSH', 'd', 'y'],
      ['LMPOP', '2', 's', 'd', 'LEFT'],
      ['LMPOP', '2', 'd', 's', 'LEFT'],
      ['LMPOP', '1', 'a'],
    ]);
  });

  test('WRONGTYPE from every list command', async () => {
    const commands = [
      ['LPUSH', 's', 'a'],
      ['RPUSH', 's', 'a'],
      ['LPUSHX', 's', 'a'],
      ['RPUSHX', 's', 'a'],
      ['LPOP', 's'],
      ['RPOP', 's', '2'],
      ['LLEN', 's'],
      ['LINDEX', 's', '0'],
      ['LINDEX', 's', 'x'],
      ['LSET', 's', '0', 'a'],
      ['LINSERT', 's', 'BEFORE', 'a', 'b'],
      ['LRANGE', 's', '0', '-1'],
      ['LTRIM', 's', '0', '1'],
      ['LREM', 's', '0', 'a'],
      ['LPOS', 's', 'a'],
      ['LMOVE', 's', 'l', 'LEFT', 'LEFT'],
      ['RPOPLPUSH', 's', 'l'],
      ['LMPOP', '1', 's', 'LEFT'],
      ['BLPOP', 's', '0'],
      ['BRPOP', 'missing', 's', '0'],
      ['BLMOVE', 's', 'l', 'LEFT', 'LEFT', '0'],
      ['BRPOPLPUSH', 's', 'l', '0'],
      ['BLMPOP', '0', '1', 's', 'LEFT'],
      ['BLMOVE', 'l', 's', 'LEFT', 'LEFT', '0'],
    ];
    await assertDifferential(damselfly, redis, [
      ['SET', 's', 'string'],
      ['RPUSH', 'l', 'x'],
      ...commands,
      ['GET', 's'],
      ['LRANGE', 'l', '0', '-1'],
    ]);
  });

  test('binary elements', async () => {
    const binary = Buffer.from([0, 1, 2, 13, 10, 255, 128, 0]);
    const long = Buffer.alloc(20000, 0xab);
    await assertDifferential(damselfly, redis, [
      ['RPUSH', 'l', binary, long, Buffer.from('tail')],
      ['LPOS', 'l', binary],
      ['LPOS', 'l', long],
      ['LINDEX', 'l', '1'],
      ['LINSERT', 'l', 'AFTER', binary, long],
      ['LREM', 'l', '0', long],
      ['LRANGE', 'l', '0', '-1'],
      ['LSET', 'l', '0', long],
      ['RPOP', 'l', '3'],
    ]);
  });

  for (const fill of ['-2', '-1', '3', '0']) {
    test(`large lists with list-max-listpack-size ${fill}`, async () => {
      const setup = [['CONFIG', 'SET', 'list-max-listpack-size', fill], ...fillList('big', 3000)];
      const steps: Step[] = [...setup];
      for (const index of ['0', '1', '1499', '1500', '2999', '-1', '-1500', '-3000', '3000']) {
        steps.push(['LINDEX', 'big', index]);
      }
      steps.push(
        ['LSET', 'big', '1000', 'changed'.repeat(50)],
        ['LSET', 'big', '-1000', 'x'],
        ['LINSERT', 'big', 'BEFORE', 'e1500', 'before1500'],
        ['LINSERT', 'big', 'AFTER', 'e2999', 'after2999'],
        ['LINSERT', 'big', 'AFTER', 'e0', 'v'.repeat(10000)],
        ['LRANGE', 'big', '990', '1010'],
        ['LRANGE', 'big', '-20', '-1'],
        ['LPOS', 'big', 'e2500'],
        ['LPOS', 'big', 'e2500', 'RANK', '-1', 'MAXLEN', '600'],
        ['LPOS', 'big', 'e2500', 'RANK', '-1', 'MAXLEN', '400'],
        ['RPUSH', 'big', 'e5', 'e5', 'e5'],
        ['LREM', 'big', '-2', 'e5'],
        ['LPOS', 'big', 'e5', 'COUNT', '0'],
        ['LREM', 'big', '0', 'e5'],
        ['LTRIM', 'big', '100', '-100'],
        ['LLEN', 'big'],
        ['LRANGE', 'big', '0', '5'],
        ['LRANGE', 'big', '-5', '-1'],
        ['LPOP', 'big', '700'],
        ['RPOP', 'big', '700'],
        ['LMPOP', '1', 'big', 'RIGHT', 'COUNT', '10'],
        ['LRANGE', 'big', '0', '-1'],
        ['LTRIM', 'big', '1', '0'],
        ['EXISTS', 'big'],
        ['CONFIG', 'SET', 'list-max-listpack-size', '-2'],
      );
      await assertDifferential(damselfly, redis, steps, { timeoutMs: 10000 });
    });
  }

  test('RESP3 replies', async () => {
    await assertDifferential(damselfly, redis, [
      { command: ['HELLO', '3'], ignore: true },
      ['RPUSH', 'l', 'a', 'b'],
      ['LPOP', 'missing'],
      ['LPOP', 'missing', '2'],
      ['LINDEX', 'l', '5'],
      ['LPOS', 'l', 'zz'],
      ['LMOVE', 'missing', 'l', 'LEFT', 'LEFT'],
      ['LMPOP', '1', 'missing', 'LEFT'],
      ['BLPOP', 'missing', '0.01'],
      ['BLMOVE', 'missing', 'l', 'LEFT', 'LEFT', '0.01'],
      ['LRANGE', 'l', '0', '-1'],
      ['LMPOP', '1', 'l', 'LEFT', 'COUNT', '9'],
    ]);
  });

  test('keyspace events', async () => {
    const commands = [
      ['RPUSH', 'l', 'a', 'b', 'c', 'd'],
      ['LPUSH', 'l', 'z'],
      ['LPUSHX', 'l', 'y'],
      ['RPUSHX', 'missing', 'y'],
      ['LPOP', 'l'],
      ['RPOP', 'l', '2'],
      ['LINSERT', 'l', 'BEFORE', 'a', 'x'],
      ['LINSERT', 'l', 'BEFORE', 'nope', 'x'],
      ['LSET', 'l', '0', 'q'],
      ['LREM', 'l', '0', 'nope'],
      ['LREM', 'l', '1', 'q'],
      ['LTRIM', 'l', '0', '-1'],
      ['LMOVE', 'l', 'm', 'LEFT', 'RIGHT'],
      ['RPOPLPUSH', 'l', 'm'],
      ['LMPOP', '1', 'm', 'LEFT', 'COUNT', '5'],
      ['RPUSH', 'n', '1', '2'],
      ['LTRIM', 'n', '5', '6'],
      ['RPUSH', 'n', '1'],
      ['LREM', 'n', '0', '1'],
      ['RPUSH', 'n', '1'],
      ['BLPOP', 'n', '0'],
      ['RPUSH', 'n', '1'],
      ['BLMOVE', 'n', 'n2', 'RIGHT', 'LEFT', '0'],
      ['BLMPOP', '0', '1', 'n2', 'RIGHT'],
    ];
    assert.deepEqual(
      await collectEvents(damselfly.port, commands),
      await collectEvents(redis.port, commands),
    );
  });

  test('change counts', async () => {
    const commands = [
      ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e', 'f'],
      ['LPUSHX', 'missing', 'a'],
      ['LPOP', 'l', '2'],
      ['LPOP', 'l', '0'],
      ['RPOP', 'missing'],
      ['LSET', 'l', '0', 'x'],
      ['LINSERT', 'l', 'AFTER', 'x', 'y'],
      ['LINSERT', 'l', 'AFTER', 'nope', 'y'],
      ['LREM', 'l', '0', 'y'],
      ['LREM', 'l', '0', 'nope'],
      ['LTRIM', 'l', '0', '-1'],
      ['LTRIM', 'l', '1', '-2'],
      ['LMOVE', 'l', 'm', 'LEFT', 'LEFT'],
      ['LMPOP', '1', 'l', 'LEFT', 'COUNT', '3'],
      ['BLPOP', 'm', '0'],
      ['LRANGE', 'l', '0', '-1'],
    ];
    assert.deepEqual(
      await collectChanges(damselfly.port, commands),
      await collectChanges(redis.port, commands),
    );
  });
});

describe('list journal against redis-server', { skip: redisServerSkipReason() }, () => {
  const aof = ['--appendonly', 'yes', '--appendfsync', 'always'];

  after(stopAllServers);

  test('append-only files match', async () => {
    const damselfly = await startDamselfly({ args: aof });
    const redis = await startRedisServer({ args: aof });
    assert.ok(redis);
    const commands = [
      ['RPUSH', 'l', 'a', 'b', 'c', 'd'],
      ['LPOP', 'l'],
      ['LPOP', 'missing'],
      ['LMPOP', '2', 'missing', 'l', 'RIGHT', 'COUNT', '10'],
      ['RPUSH', 'l', 'a', 'b'],
      ['BLPOP', 'missing', 'l', '0'],
      ['BRPOP', 'l', '1'],
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['BLMPOP', '0', '1', 'l', 'LEFT', 'COUNT', '2'],
      ['BLMOVE', 'l', 'm', 'LEFT', 'RIGHT', '0'],
      ['RPUSH', 'l', 'x'],
      ['BRPOPLPUSH', 'l', 'm', '0'],
      ['LTRIM', 'm', '0', '-1'],
      ['LREM', 'm', '0', 'nope'],
      ['LSET', 'm', '0', 'y'],
    ];
    const mine = await journalOf(damselfly, commands);
    const theirs = await journalOf(redis, commands);
    assert.deepEqual(mine.replies, theirs.replies);
    assert.deepEqual(mine.journal, theirs.journal);
  });
});

const ELEMENTS = ['a', 'b', 'c', '', 'long-element-'.repeat(12)];
const INDEXES = ['0', '1', '2', '-1', '-2', '5', '-7', '100'];

/** Generates list commands on two keys, with few distinct elements so that matches are common. */
function listCommandArbitrary(): fc.Arbitrary<string[]> {
  const key = fc.constantFrom('k1', 'k2');
  const element = fc.constantFrom(...ELEMENTS);
  const index = fc.constantFrom(...INDEXES);
  const elements = fc.array(element, { minLength: 1, maxLength: 6 });
  const side = fc.constantFrom('LEFT', 'RIGHT');
  const push = fc
    .tuple(fc.constantFrom('LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX'), key, elements)
    .map(([name, k, values]) => [name, k, ...values]);
  const lpos = fc
    .tuple(key, element, fc.constantFrom('1', '-1', '2', '-2'))
    .map(([k, value, rank]) => ['LPOS', k, value, 'RANK', rank, 'COUNT', '0']);
  return fc.oneof(
    { arbitrary: push, weight: 6 },
    fc.tuple(fc.constantFrom('LPOP', 'RPOP'), key).map((parts) => [...parts]),
    fc
      .tuple(fc.constantFrom('LPOP', 'RPOP'), key, fc.constantFrom('0', '1', '3'))
      .map((t) => [...t]),
    fc
      .tuple(key, fc.constantFrom('BEFORE', 'AFTER'), element, element)
      .map((t) => ['LINSERT', ...t]),
    fc.tuple(key, index, element).map((t) => ['LSET', ...t]),
    fc.tuple(key, index, index).map((t) => ['LTRIM', ...t]),
    {
      arbitrary: fc
        .tuple(key, fc.constantFrom('0', '1', '-1', '2', '-2'), element)
        .map((t) => ['LREM', ...t]),
      weight: 2,
    },
    { arbitrary: fc.tuple(key, index, index).map((t) => ['LRANGE', ...t]), weight: 2 },
    fc.tuple(key, index).map((t) => ['LINDEX', ...t]),
    lpos,
    fc.tuple(key, key, side, side).map((t) => ['LMOVE', ...t]),
    key.map((k) => ['LLEN', k]),
  );
}

describe('list property test against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  for (const fill of ['-2', '2']) {
    test(`random command sequences reply the same, node size ${fill}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(listCommandArbitrary(), { minLength: 10, maxLength: 80, size: 'max' }),
          async (commands) => {
            const steps: Step[] = [
              { command: ['CONFIG', 'SET', 'list-max-listpack-size', fill], ignore: true },
              ...commands,
              ['LRANGE', 'k1', '0', '-1'],
              ['LRANGE', 'k2', '0', '-1'],
            ];
            const result = await runDifferential(damselfly, redis, steps);
            assert.deepEqual(findMismatches(result), []);
          },
        ),
        { numRuns: 50 },
      );
    });
  }
});

describe('list encodings on Damselfly', () => {
  let damselfly: ServerProcess;
  let client: RawClient;

  before(async () => {
    damselfly = await startDamselfly();
    client = await RawClient.connect(damselfly.port);
  });

  after(async () => {
    client.destroy();
    await stopAllServers();
  });

  async function call(...args: string[]): Promise<string> {
    return (await client.call(args)).toString('latin1');
  }

  async function encoding(key: string): Promise<string> {
    return call('OBJECT', 'ENCODING', key);
  }

  test('every list reports quicklist, as Redis 7.0 does', async () => {
    await call('FLUSHALL');
    await call('RPUSH', 'small', 'a');
    assert.equal(await encoding('small'), '$9\r\nquicklist\r\n');
    for (let i = 0; i < 100; i++) await call('RPUSH', 'big', 'b'.repeat(100));
    assert.equal(await encoding('big'), '$9\r\nquicklist\r\n');
    await call('RPUSH', 'huge', 'x'.repeat(9000));
    assert.equal(await encoding('huge'), '$9\r\nquicklist\r\n');
    await call('CONFIG', 'SET', 'list-max-listpack-size', '4');
    try {
      await call('RPUSH', 'counted', 'a', 'b', 'c', 'd', 'e');
      assert.equal(await encoding('counted'), '$9\r\nquicklist\r\n');
      assert.equal(
        await call('LRANGE', 'counted', '0', '-1'),
        '*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n',
      );
    } finally {
      await call('CONFIG', 'SET', 'list-max-listpack-size', '-2');
    }
  });

  test('COPY and DUMP/RESTORE keep the elements', async () => {
    await call('FLUSHALL');
    await call('RPUSH', 'l', 'a', 'b', 'x'.repeat(9000));
    assert.equal(await call('COPY', 'l', 'copy'), ':1\r\n');
    await call('RPUSH', 'copy', 'only-in-copy');
    assert.equal(await call('LLEN', 'l'), ':3\r\n');
    assert.equal(await call('LLEN', 'copy'), ':4\r\n');
    const dump = await client.call(['DUMP', 'l']);
    const payload = dump.subarray(dump.indexOf('\r\n') + 2, dump.length - 2);
    assert.equal((await client.call(['RESTORE', 'r', '0', payload])).toString(), '+OK\r\n');
    assert.equal(await call('LINDEX', 'r', '-1'), `$9000\r\n${'x'.repeat(9000)}\r\n`);
    assert.equal(await encoding('r'), '$9\r\nquicklist\r\n');
  });
});

describe('lists through client libraries', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  test('ioredis pushes, ranges and moves', async () => {
    const client = new Redis({ port: damselfly.port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    try {
      await client.flushall();
      assert.equal(await client.rpush('queue', 'a', 'b', 'c'), 3);
      assert.equal(await client.lpush('queue', 'z'), 4);
      assert.deepEqual(await client.lrange('queue', 0, -1), ['z', 'a', 'b', 'c']);
      assert.equal(await client.lmove('queue', 'done', 'RIGHT', 'LEFT'), 'c');
      assert.deepEqual(await client.lpop('queue', 2), ['z', 'a']);
      assert.equal(await client.lpos('queue', 'b'), 0);
      assert.deepEqual(await client.lmpop(2, 'none', 'queue', 'LEFT'), ['queue', ['b']]);
      assert.equal(await client.exists('queue'), 0);
      await assert.rejects(client.lset('done', 5, 'x'), /ERR index out of range/);
      const binary = Buffer.from([0, 255, 10]);
      await client.rpush('bin', binary);
      assert.deepEqual(await client.lindexBuffer('bin', 0), binary);
    } finally {
      client.disconnect();
    }
  });

  test('node-redis inserts, removals and trims', async () => {
    const client = createClient({ socket: { port: damselfly.port, host: '127.0.0.1' } });
    await client.connect();
    try {
      await client.flushAll();
      assert.equal(await client.rPush('l', ['a', 'b', 'a', 'c']), 4);
      assert.equal(await client.lInsert('l', 'BEFORE', 'c', 'x'), 5);
      assert.equal(await client.lRem('l', 0, 'a'), 2);
      assert.deepEqual(await client.lRange('l', 0, -1), ['b', 'x', 'c']);
      assert.equal(await client.lTrim('l', 1, -1), 'OK');
      assert.deepEqual(await client.lPosCount('l', 'c', 0), [1]);
      assert.equal(await client.lLen('l'), 2);
    } finally {
      await client.quit();
    }
  });
});
