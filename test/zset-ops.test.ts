/**
 * Sorted set operations, pops, random picks and scans compared with
 * redis-server 7.0. The operations are ZUNION, ZINTER, ZDIFF and their
 * STORE forms (with WEIGHTS, AGGREGATE and plain sets as inputs) and
 * ZINTERCARD. The pops are ZPOPMIN, ZPOPMAX, ZMPOP and the paths of BZPOPMIN
 * and BZMPOP that need not wait. Random replies are checked for shape and
 * membership.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { decodeBulkArray, sortScanElements } from './collection-support';
import { assertDifferential, type Step } from './support/differential';
import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';
import { fillZset } from './zset-support';

describe('sorted set operations against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const compare = (steps: Step[]) => assertDifferential(damselfly, redis, steps);

  before(async () => {
    const [ours, reference] = await Promise.all([startDamselfly(), startRedisServer()]);
    assert.ok(reference);
    damselfly = ours;
    redis = reference;
  });

  after(stopAllServers);

  const inputs: Step[] = [
    ['ZADD', 'a', '1', 'x', '2', 'y', '3', 'z', 'inf', 'i', '0.1', 'f'],
    ['ZADD', 'b', '10', 'y', '20', 'z', '30', 'w', '-inf', 'i', '0.2', 'f'],
    ['ZADD', 'c', '0.3', 'f', '5', 'y'],
    ['SADD', 's', 'x', 'w', 'f', 'only'],
    ['SADD', 'ints', '1', '2', '3'],
  ];

  test('ZUNION, ZINTER and ZDIFF', async () => {
    const steps: Step[] = [...inputs];
    for (const name of ['ZUNION', 'ZINTER']) {
      for (const keys of [
        ['a'],
        ['a', 'b'],
        ['a', 'b', 'c'],
        ['a', 's'],
        ['s', 'ints', 'a'],
        ['a', 'missing'],
        ['missing'],
      ]) {
        const head = [name, String(keys.length), ...keys];
        steps.push([...head, 'WITHSCORES']);
        steps.push([...head, 'AGGREGATE', 'MIN', 'WITHSCORES']);
        steps.push([...head, 'AGGREGATE', 'max', 'WITHSCORES']);
        steps.push([...head, 'WEIGHTS', ...keys.map((_, i) => String(i * 2 - 1)), 'WITHSCORES']);
        steps.push([...head, 'WEIGHTS', ...keys.map(() => '0'), 'WITHSCORES']);
        steps.push([...head, 'WEIGHTS', ...keys.map(() => '-inf'), 'AGGREGATE', 'SUM']);
        steps.push(head);
      }
    }
    const diffInputs = [
      ['a'],
      ['a', 'b'],
      ['b', 'a', 'c'],
      ['a', 's'],
      ['s', 'a'],
      ['missing', 'a'],
      ['a', 'missing'],
    ];
    for (const keys of diffInputs) {
      steps.push(['ZDIFF', String(keys.length), ...keys, 'WITHSCORES']);
      steps.push(['ZDIFF', String(keys.length), ...keys]);
    }
    await compare(steps);
  });

  test('sums round in Redis order', async () => {
    await compare([
      ['ZADD', 'p', '0.1', 'm', '1', 'only'],
      ['ZADD', 'q', '0.2', 'm', '1', 'n', '2', 'o'],
      ['ZADD', 'r', '0.3', 'm'],
      ['ZUNION', '3', 'p', 'q', 'r', 'WITHSCORES'],
      ['ZUNION', '3', 'q', 'r', 'p', 'WITHSCORES'],
      ['ZINTER', '3', 'q', 'p', 'r', 'WITHSCORES'],
      ['ZINTER', '3', 'q', 'p', 'r', 'WEIGHTS', '0.7', '1.1', '3.3', 'WITHSCORES'],
    ]);
  });

  test('STORE forms', async () => {
    await compare([
      ...inputs,
      ['ZUNIONSTORE', 'dst', '3', 'a', 'b', 's', 'WEIGHTS', '1', '2', '3'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZINTERSTORE', 'dst', '2', 'a', 'b', 'AGGREGATE', 'MAX'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZDIFFSTORE', 'dst', '2', 'a', 'b'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZINTERSTORE', 'dst', '2', 'a', 'missing'],
      ['EXISTS', 'dst'],
      ['ZUNIONSTORE', 'a', '2', 'a', 'b'],
      ['ZRANGE', 'a', '0', '-1', 'WITHSCORES'],
      ['ZDIFFSTORE', 'd2', '1', 's'],
      ['ZRANGE', 'd2', '0', '-1', 'WITHSCORES'],
      ['SET', 'ttl', 'v', 'EX', '100'],
      ['ZUNIONSTORE', 'ttl', '1', 'b'],
      ['TTL', 'ttl'],
      ['TYPE', 'ttl'],
      ['ZUNIONSTORE', 'big', '1', 'ints'],
      ...fillZset('large', 250),
      ['ZINTERSTORE', 'big', '2', 'large', 'large', 'WEIGHTS', '1', '0.5'],
      ['ZRANGE', 'big', '0', '4', 'WITHSCORES'],
      ['OBJECT', 'ENCODING', 'big'],
    ]);
  });

  test('operation errors', async () => {
    await compare([
      ...inputs,
      ['SET', 'str', 'v'],
      ['LPUSH', 'list', 'v'],
      ['ZUNION', '0', 'a'],
      ['ZUNION', '-1', 'a'],
      ['ZUNION', 'x', 'a'],
      ['ZUNION', '3', 'a', 'b'],
      ['ZUNION', '1', 'str'],
      ['ZUNION', '2', 'a', 'list'],
      ['ZUNION', '1', 'str', 'WEIGHTS', 'x'],
      ['ZUNION', '1', 'a', 'WEIGHTS', 'x'],
      ['ZUNION', '1', 'a', 'WEIGHTS', 'nan'],
      ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '1'],
      ['ZUNION', '1', 'a', 'WEIGHTS', '1', '2'],
      ['ZUNION', '1', 'a', 'AGGREGATE'],
      ['ZUNION', '1', 'a', 'AGGREGATE', 'AVG'],
      ['ZUNION', '1', 'a', 'WITHSCORES', 'WITHSCORES'],
      ['ZUNION', '1', 'a', 'LIMIT', '1'],
      ['ZINTER', '0', 'a'],
      ['ZDIFF', '0', 'a'],
      ['ZDIFF', '1', 'a', 'WEIGHTS', '1'],
      ['ZDIFF', '1', 'a', 'AGGREGATE', 'SUM'],
      ['ZUNIONSTORE', 'd', '0', 'a'],
      ['ZINTERSTORE', 'd', '0', 'a'],
      ['ZDIFFSTORE', 'd', '0', 'a'],
      ['ZUNIONSTORE', 'd', '1', 'a', 'WITHSCORES'],
      ['ZUNIONSTORE', 'd', '2', 'a'],
      ['ZUNIONSTORE', 'd', '1', 'str'],
      ['ZDIFFSTORE', 'd', '1', 'a', 'WEIGHTS', '2'],
      ['ZUNIONSTORE', 'd', 'x', 'a'],
      ['ZUNIONSTORE', 'd'],
      ['ZINTERCARD', '0', 'a'],
      ['ZINTERCARD', '-1', 'a'],
      ['ZINTERCARD', 'x', 'a'],
      ['ZINTERCARD', '2', 'a'],
      ['ZINTERCARD', '1', 'a', 'LIMIT', '-1'],
      ['ZINTERCARD', '1', 'a', 'LIMIT', 'x'],
      ['ZINTERCARD', '1', 'a', 'LIMIT'],
      ['ZINTERCARD', '1', 'a', 'WITHSCORES'],
      ['ZINTERCARD', '1', 'a', 'WEIGHTS', '1'],
      ['ZINTERCARD', '1', 'str'],
    ]);
  });

  test('ZINTERCARD', async () => {
    await compare([
      ...inputs,
      ['ZINTERCARD', '1', 'a'],
      ['ZINTERCARD', '2', 'a', 'b'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '2'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '0'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1', 'LIMIT', '0'],
      ['ZINTERCARD', '2', 'a', 's'],
      ['ZINTERCARD', '2', 'a', 'missing'],
      ['ZINTERCARD', '3', 'a', 'b', 'c'],
    ]);
  });

  test('ZPOPMIN, ZPOPMAX and ZMPOP', async () => {
    await compare([
      ...fillZset('z', 200),
      ['ZPOPMIN', 'z'],
      ['ZPOPMAX', 'z'],
      ['ZPOPMIN', 'z', '3'],
      ['ZPOPMAX', 'z', '2'],
      ['ZPOPMIN', 'z', '0'],
      ['ZPOPMIN', 'z', '-1'],
      ['ZPOPMIN', 'z', 'x'],
      ['ZPOPMIN', 'z', '1', '2'],
      ['ZPOPMIN', 'missing'],
      ['ZPOPMIN', 'missing', '3'],
      ['ZPOPMIN', 'missing', '0'],
      ['ZPOPMAX', 'z', '1000'],
      ['EXISTS', 'z'],
      ['ZADD', 'y', '1', 'a', '2', 'b', '3', 'c'],
      ['ZMPOP', '2', 'missing', 'y', 'MIN'],
      ['ZMPOP', '2', 'missing', 'y', 'max', 'count', '5'],
      ['ZMPOP', '1', 'y', 'MIN'],
      ['ZADD', 'y', '1', 'a', '2', 'b', '3', 'c'],
      ['SET', 'str', 'v'],
      ['ZMPOP', '2', 'y', 'str', 'MIN'],
      ['ZMPOP', '2', 'str', 'y', 'MIN'],
      ['ZMPOP', '2', 'missing', 'str', 'MIN'],
      ['ZMPOP', '0', 'y', 'MIN'],
      ['ZMPOP', '-1', 'y', 'MIN'],
      ['ZMPOP', 'x', 'y', 'MIN'],
      ['ZMPOP', '1', 'y'],
      ['ZMPOP', '1', 'y', 'FOO'],
      ['ZMPOP', '1', 'y', 'MIN', 'COUNT', '0'],
      ['ZMPOP', '1', 'y', 'MIN', 'COUNT', '-1'],
      ['ZMPOP', '1', 'y', 'MIN', 'COUNT', 'x'],
      ['ZMPOP', '1', 'y', 'MIN', 'COUNT'],
      ['ZMPOP', '1', 'y', 'MIN', 'COUNT', '1', 'COUNT', '2'],
      ['ZMPOP', '2', 'y', 'MIN'],
      ['ZMPOP', '5', 'y', 'MIN'],
      ['ZMPOP', '1', 'y', 'MIN', 'FOO'],
      ['ZPOPMIN', 'str'],
      ['ZPOPMIN', 'str', '0'],
      ['ZPOPMIN', 'str', '-1'],
    ]);
  });

  test('blocking pops that need not wait', async () => {
    await compare([
      ['ZADD', 'y', '1', 'a', '2', 'b', '3', 'c', '4', 'd'],
      ['BZPOPMIN', 'missing', 'y', '0'],
      ['BZPOPMAX', 'y', '0'],
      ['BZMPOP', '0', '2', 'missing', 'y', 'MAX', 'COUNT', '10'],
      ['EXISTS', 'y'],
      ['SET', 'str', 'v'],
      ['BZPOPMIN', 'missing', 'str', '0'],
      ['BZMPOP', '0', '1', 'str', 'MIN'],
      ['BZPOPMIN', 'y', '-1'],
      ['BZPOPMIN', 'y', 'x'],
      ['BZPOPMIN', 'y', '1e400'],
      ['BZPOPMIN', 'y', 'inf'],
      ['BZMPOP', '-1', '1', 'y', 'MIN'],
      ['BZMPOP', 'x', '1', 'y', 'MIN'],
      ['BZMPOP', '1', '0', 'y', 'MIN'],
      ['BZMPOP', 'x', '0', 'y', 'MIN'],
      ['BZMPOP', 'x', '1', 'y', 'FOO'],
      ['BZMPOP', '0', '1', 'y'],
      ['BZPOPMIN', 'y'],
      ['MULTI'],
      ['BZPOPMIN', 'missing', '0'],
      ['BZMPOP', '0', '1', 'missing', 'MIN'],
      ['ZADD', 'y', '1', 'a'],
      ['BZPOPMAX', 'y', '0'],
      ['EXEC'],
    ]);
  });

  test('ZRANDMEMBER without randomness in the reply', async () => {
    await compare([
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZRANDMEMBER', 'z', '3'],
      ['ZRANDMEMBER', 'z', '5', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '0'],
      ['ZRANDMEMBER', 'z', '0', 'WITHSCORES'],
      ['ZRANDMEMBER', 'missing'],
      ['ZRANDMEMBER', 'missing', '0'],
      ['ZRANDMEMBER', 'missing', '-5', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '1.5'],
      ['ZRANDMEMBER', 'z', '1', 'WITHSCORE'],
      ['ZRANDMEMBER', 'z', '1', 'WITHSCORES', 'x'],
      ['ZRANDMEMBER', 'z', '-9223372036854775808'],
      ['ZRANDMEMBER', 'z', '-4611686018427387904', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '4611686018427387904', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '4611686018427387903', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '9223372036854775807'],
      ...fillZset('big', 200),
      ['ZRANDMEMBER', 'big', '200'],
      ['SET', 'str', 'v'],
      ['ZRANDMEMBER', 'str'],
      ['ZRANDMEMBER', 'str', '1'],
    ]);
  });

  test('ZSCAN', async () => {
    const sortedScan = sortScanElements(2);
    await compare([
      ['ZADD', 'z', '1', 'a', '2.5', 'b', '-0', 'c', 'inf', 'd', '3', 'ab'],
      ['ZSCAN', 'z', '0'],
      ['ZSCAN', 'z', '0', 'MATCH', 'a*'],
      ['ZSCAN', 'z', '0', 'COUNT', '1'],
      ['ZSCAN', 'z', '0', 'COUNT', '0'],
      ['ZSCAN', 'z', '0', 'COUNT', 'x'],
      ['ZSCAN', 'z', '0', 'MATCH'],
      ['ZSCAN', 'z', '0', 'TYPE', 'string'],
      ['ZSCAN', 'z', 'x'],
      ['ZSCAN', 'z', '-1'],
      ['ZSCAN', 'missing', '0', 'COUNT', '0'],
      ['ZSCAN', 'missing', 'x'],
      ['SET', 'str', 'v'],
      ['ZSCAN', 'str', '0'],
      ['ZSCAN', 'str', '0', 'COUNT', '0'],
      ...fillZset(
        'big',
        300,
        (i) => `m${i}`,
        (i) => String(i / 4),
      ),
      { command: ['ZSCAN', 'big', '0', 'COUNT', '1000'], normalize: sortedScan },
      { command: ['ZSCAN', 'big', '0', 'MATCH', '*7', 'COUNT', '1000'], normalize: sortedScan },
    ]);
  });
});

describe('random sorted set picks', () => {
  let damselfly: ServerProcess;
  let client: RawClient;
  const call = (...args: string[]) => client.call(args);

  before(async () => {
    damselfly = await startDamselfly();
    client = await RawClient.connect(damselfly.port);
  });

  after(async () => {
    client.destroy();
    await stopAllServers();
  });

  test('ZRANDMEMBER counts and repeats', async () => {
    const members = Array.from({ length: 300 }, (_, i) => `m${i}`);
    await call('ZADD', 'z', ...members.flatMap((member, i) => [String(i), member]));
    for (const count of [1, 50, 150, 299]) {
      const picked = decodeBulkArray(await call('ZRANDMEMBER', 'z', String(count))) as string[];
      assert.equal(picked.length, count);
      assert.equal(new Set(picked).size, count);
      for (const member of picked) assert.ok(members.includes(member));
    }
    const repeated = decodeBulkArray(await call('ZRANDMEMBER', 'z', '-1000')) as string[];
    assert.equal(repeated.length, 1000);
    assert.ok(new Set(repeated).size < 1000);
    const scored = decodeBulkArray(await call('ZRANDMEMBER', 'z', '-20', 'WITHSCORES'));
    assert.equal(scored.length, 40);
    for (let i = 0; i < scored.length; i += 2) {
      assert.equal(scored[i], `m${scored[i + 1]}`);
    }
    const one = (await call('ZRANDMEMBER', 'z')).toString('latin1');
    assert.match(one, /^\$\d+\r\nm\d+\r\n$/);
  });

  test('ZRANDMEMBER refuses a huge negative count', async () => {
    await call('ZADD', 'small', '1', 'a');
    const reply = (await call('ZRANDMEMBER', 'small', '-1000000000')).toString('latin1');
    assert.match(reply, /^-ERR count is out of range/);
  });

  test('ZSCAN walks a large set with cursors', async () => {
    const members = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    await call('ZADD', 'scan', ...members.flatMap((member, i) => [String(i), member]));
    const seen = new Map<string, string>();
    let cursor = '0';
    do {
      const reply = (await call('ZSCAN', 'scan', cursor, 'COUNT', '37')).toString('latin1');
      const [, next, body] = /^\*2\r\n\$\d+\r\n(\d+)\r\n([\s\S]*)$/.exec(reply) ?? [];
      assert.ok(next !== undefined);
      const items = decodeBulkArray(Buffer.from(body, 'latin1')) as string[];
      for (let i = 0; i < items.length; i += 2) seen.set(items[i], items[i + 1]);
      cursor = next;
    } while (cursor !== '0');
    assert.equal(seen.size, 1000);
    assert.equal(seen.get('k999'), '999');
  });
});
