/**
 * Sorted set ranges compared byte for byte with redis-server 7.0: ZRANGE in
 * every form, the older range commands, ZRANGESTORE and the ZREMRANGEBY*
 * removals, on both encodings, with their option errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertDifferential, type Step } from './support/differential';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';
import { fillZset } from './zset-support';

/** Range queries to run on a set with scores 0..n-1 (and equal scores for the lex ones). */
function rangeQueries(key: string): Step[] {
  const steps: Step[] = [];
  for (const [start, stop] of [
    ['0', '-1'],
    ['1', '3'],
    ['-3', '-1'],
    ['-100', '2'],
    ['5', '2'],
    ['2', '100'],
    ['1000', '2000'],
    ['-1', '-1'],
    ['0', '0'],
    ['-1000', '-999'],
  ]) {
    steps.push(['ZRANGE', key, start, stop]);
    steps.push(['ZRANGE', key, start, stop, 'REV', 'WITHSCORES']);
    steps.push(['ZREVRANGE', key, start, stop, 'WITHSCORES']);
  }
  for (const [min, max] of [
    ['-inf', '+inf'],
    ['(1', '3'],
    ['2', '(4'],
    ['(2', '(2'],
    ['2', '2'],
    ['5', '1'],
    ['100', '200'],
    ['-inf', '(0'],
    ['(0', '150'],
  ]) {
    steps.push(['ZRANGEBYSCORE', key, min, max, 'WITHSCORES']);
    steps.push(['ZREVRANGEBYSCORE', key, max, min]);
    steps.push(['ZRANGE', key, min, max, 'BYSCORE', 'LIMIT', '1', '2']);
    steps.push(['ZRANGE', key, max, min, 'BYSCORE', 'REV', 'LIMIT', '2', '3', 'WITHSCORES']);
    steps.push(['ZRANGEBYSCORE', key, min, max, 'LIMIT', '0', '-1']);
    steps.push(['ZRANGEBYSCORE', key, min, max, 'LIMIT', '-1', '5']);
    steps.push(['ZREVRANGEBYSCORE', key, max, min, 'LIMIT', '1', '0']);
    steps.push(['ZCOUNT', key, min, max]);
  }
  return steps;
}

function lexQueries(key: string): Step[] {
  const steps: Step[] = [];
  for (const [min, max] of [
    ['-', '+'],
    ['[m1', '(m3'],
    ['(m1', '[m3'],
    ['+', '-'],
    ['-', '-'],
    ['[m5', '[m5'],
    ['(m5', '[m5'],
    ['[zz', '+'],
    ['-', '[a'],
    ['[m10', '(m2'],
  ]) {
    steps.push(['ZRANGEBYLEX', key, min, max]);
    steps.push(['ZREVRANGEBYLEX', key, max, min]);
    steps.push(['ZRANGE', key, min, max, 'BYLEX', 'LIMIT', '1', '3']);
    steps.push(['ZRANGE', key, max, min, 'BYLEX', 'REV', 'LIMIT', '0', '2']);
    steps.push(['ZRANGEBYLEX', key, min, max, 'LIMIT', '2', '-1']);
    steps.push(['ZLEXCOUNT', key, min, max]);
  }
  return steps;
}

describe('sorted set ranges against redis-server', { skip: redisServerSkipReason() }, () => {
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

  test('ranges of a listpack', async () => {
    await compare([...fillZset('z', 20), ...rangeQueries('z'), ...rangeQueries('missing')]);
  });

  test('ranges of a skiplist', async () => {
    await compare([...fillZset('z', 300), ['OBJECT', 'ENCODING', 'z'], ...rangeQueries('z')]);
  });

  test('member ranges of both encodings', async () => {
    const equal = () => '0';
    await compare([
      ...fillZset('small', 20, (i) => `m${i}`, equal),
      ...lexQueries('small'),
      ...fillZset('big', 300, (i) => `m${i}`, equal),
      ['OBJECT', 'ENCODING', 'big'],
      ...lexQueries('big'),
      ...lexQueries('missing'),
    ]);
  });

  test('member ranges of a listpack with different scores', async () => {
    await compare([
      ['ZADD', 'mixed', '1', 'd', '2', 'a', '3', 'c', '4', 'b', '5', 'e'],
      ...lexQueries('mixed'),
      ['ZRANGEBYLEX', 'mixed', '[b', '[d'],
      ['ZREVRANGEBYLEX', 'mixed', '[d', '[b'],
      ['ZLEXCOUNT', 'mixed', '[b', '[d'],
      ['ZREMRANGEBYLEX', 'mixed', '[b', '[d'],
      ['ZRANGE', 'mixed', '0', '-1'],
    ]);
  });

  test('equal scores order by member bytes', async () => {
    await compare([
      ['ZADD', 'z', '1', 'b', '1', 'a', '1', 'B', '1', '\xff', '1', '', '1', 'aa', '0', 'zz'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZRANGE', 'z', '(a', '+', 'BYLEX'],
      ['ZRANK', 'z', 'aa'],
      ['ZREVRANK', 'z', ''],
    ]);
  });

  test('range option errors', async () => {
    await compare([
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '-1'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', '5', '-1'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '1'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT'],
      ['ZRANGE', 'z', '(1', '2', 'BYSCORE', 'LIMIT', 'x', '1'],
      ['ZRANGE', 'z', '(1', '2', 'BYSCORE', 'LIMIT', '1', 'x'],
      ['ZRANGE', 'z', '(1', '2', 'BYSCORE', 'LIMIT', '1'],
      ['ZRANGE', 'z', '(1', '2', 'BYSCORE', 'LIMIT', '0', '1', 'LIMIT', '1', '1'],
      ['ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES'],
      ['ZRANGE', 'z', '-', '+', 'BYLEX', 'REV', 'WITHSCORES'],
      ['ZRANGE', 'z', '0', '-1', 'BYSCORE', 'BYSCORE'],
      ['ZRANGE', 'z', '0', '-1', 'BYSCORE', 'BYLEX'],
      ['ZRANGE', 'z', '0', '-1', 'REV', 'REV'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES', 'WITHSCORES'],
      ['ZRANGE', 'z', '0', '-1', 'FOO'],
      ['ZRANGE', 'z', 'a', '-1'],
      ['ZRANGE', 'z', '0', '1.5'],
      ['ZRANGE', 'z', 'a', 'b', 'BYSCORE'],
      ['ZRANGE', 'z', 'a', 'b', 'BYLEX'],
      ['ZRANGE', 'z', '0', '-1', 'BYLEX', 'LIMIT', 'x', '1'],
      ['ZRANGE', 'z', 'x', 'y', 'BYLEX', 'FOO'],
      ['ZRANGEBYSCORE', 'z', '0', '10', 'REV'],
      ['ZRANGEBYSCORE', 'z', '0', '10', 'BYSCORE'],
      ['ZRANGEBYSCORE', 'z', '0', '10', 'WITHSCORES', 'LIMIT', '0', '1', 'WITHSCORES'],
      ['ZREVRANGE', 'z', '0', '-1', 'LIMIT', '0', '1'],
      ['ZREVRANGE', 'z', '0', '-1', 'REV'],
      ['ZRANGEBYLEX', 'z', '-', '+', 'LIMIT', '0', '1', 'WITHSCORES'],
      ['ZRANGEBYLEX', 'z', '-', '+', 'BYLEX'],
      ['ZREVRANGEBYLEX', 'z', '+', '-', 'WITHSCORES'],
      ['ZRANGE', 'z', '0'],
      ['SET', 'str', 'v'],
      ['ZRANGE', 'str', '0', '-1'],
      ['ZRANGE', 'str', 'a', 'b'],
      ['ZRANGE', 'str', '0', '-1', 'FOO'],
      ['ZRANGEBYSCORE', 'str', '1', '2'],
      ['ZRANGEBYLEX', 'str', '-', '+'],
    ]);
  });

  test('ZRANGESTORE', async () => {
    await compare([
      ...fillZset('src', 200),
      ['ZRANGESTORE', 'dst', 'src', '0', '9'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'src', '(10', '20', 'BYSCORE', 'LIMIT', '2', '3'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'src', '20', '(10', 'BYSCORE', 'REV'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'src', '[m1', '(m2', 'BYLEX'],
      ['ZRANGESTORE', 'dst', 'src', '0', '-1'],
      ['ZCARD', 'dst'],
      ['OBJECT', 'ENCODING', 'dst'],
      ['ZRANGESTORE', 'dst', 'src', '500', '600'],
      ['EXISTS', 'dst'],
      ['ZRANGESTORE', 'dst', 'missing', '0', '-1'],
      ['SET', 'str', 'v'],
      ['ZRANGESTORE', 'str', 'src', '0', '0'],
      ['TYPE', 'str'],
      ['ZRANGESTORE', 'dst', 'str', '0', '0'],
      ['ZRANGESTORE', 'dst', 'src', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'src', '0', '-1', 'LIMIT', '0', '1'],
      ['ZRANGESTORE', 'dst', 'src', '-', '+', 'BYLEX', 'REV'],
      ['ZRANGESTORE', 'dst', 'src', '0'],
      ['SET', 'ttl', 'v', 'EX', '100'],
      ['ZRANGESTORE', 'ttl', 'src', '0', '0'],
      ['TTL', 'ttl'],
      ['ZRANGESTORE', 'src', 'src', '0', '4'],
      ['ZRANGE', 'src', '0', '-1'],
    ]);
  });

  test('ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX', async () => {
    const equal = () => '0';
    await compare([
      ...fillZset('z', 300),
      ['ZREMRANGEBYRANK', 'z', '0', '9'],
      ['ZREMRANGEBYRANK', 'z', '-10', '-1'],
      ['ZREMRANGEBYRANK', 'z', '5', '2'],
      ['ZREMRANGEBYRANK', 'z', '1000', '2000'],
      ['ZREMRANGEBYRANK', 'z', '-1000', '0'],
      ['ZREMRANGEBYRANK', 'z', 'x', '1'],
      ['ZREMRANGEBYRANK', 'missing', '0', '1'],
      ['ZCARD', 'z'],
      ['ZREMRANGEBYSCORE', 'z', '(100', '150'],
      ['ZREMRANGEBYSCORE', 'z', '100', '150'],
      ['ZREMRANGEBYSCORE', 'z', '-inf', '(20'],
      ['ZREMRANGEBYSCORE', 'z', '5', '1'],
      ['ZREMRANGEBYSCORE', 'z', 'x', '1'],
      ['ZREMRANGEBYSCORE', 'missing', 'x', '1'],
      ['ZRANGE', 'z', '0', '5', 'WITHSCORES'],
      ['ZREMRANGEBYSCORE', 'z', '-inf', '+inf'],
      ['EXISTS', 'z'],
      ...fillZset('l', 200, (i) => `m${i}`, equal),
      ['ZREMRANGEBYLEX', 'l', '[m1', '(m2'],
      ['ZREMRANGEBYLEX', 'l', '(m5', '+'],
      ['ZREMRANGEBYLEX', 'l', 'm5', '+'],
      ['ZREMRANGEBYLEX', 'missing', 'm5', '+'],
      ['ZRANGE', 'l', '0', '-1'],
      ['ZREMRANGEBYLEX', 'l', '-', '+'],
      ['EXISTS', 'l'],
      ['SET', 'str', 'v'],
      ['ZREMRANGEBYRANK', 'str', '0', '1'],
      ['ZREMRANGEBYSCORE', 'str', '0', '1'],
      ['ZREMRANGEBYLEX', 'str', '-', '+'],
    ]);
  });
});
