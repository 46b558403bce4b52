/**
 * Sorted set commands compared byte for byte with redis-server 7.0: ZADD and
 * its flags, ZINCRBY, ZREM, scores, ranks and counts, score and member
 * range parsing, encodings, RESP3 shapes, keyspace events, change counts
 * and the journal. Ranges, pops, random picks and set operations have their
 * own files (zset-range, zset-ops).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { collectChanges, collectEvents, journalOf } from './collection-support';
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

describe('sorted set commands against redis-server', { skip: redisServerSkipReason() }, () => {
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

  test('ZADD adds, updates and counts', async () => {
    await compare([
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZADD', 'z', '1', 'a', '5', 'b', '4', 'd'],
      ['ZADD', 'z', 'CH', '1', 'a', '6', 'b', '7', 'e'],
      ['ZADD', 'z', '9', 'x', '8', 'x'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZCARD', 'z'],
      ['ZCARD', 'missing'],
      ['ZADD', 'z', 'nx', '100', 'a', '100', 'new'],
      ['ZADD', 'z', 'xx', '100', 'a', '100', 'new2'],
      ['ZADD', 'z', 'XX', 'CH', '101', 'a', '100', 'new3'],
      ['ZSCORE', 'z', 'a'],
      ['ZSCORE', 'z', 'new2'],
      ['ZADD', 'xxmissing', 'XX', '1', 'a'],
      ['EXISTS', 'xxmissing'],
      ['ZADD', 'xxmissing', 'XX', 'INCR', '1', 'a'],
      ['EXISTS', 'xxmissing'],
    ]);
  });

  test('ZADD GT, LT and INCR', async () => {
    await compare([
      ['ZADD', 'z1', '1', 'm1'],
      ['ZADD', 'z1', 'LT', 'INCR', '1', 'm1'],
      ['ZADD', 'z1', 'GT', 'INCR', '-1', 'm1'],
      ['ZADD', 'z1', 'GT', 'INCR', '2', 'm1'],
      ['ZADD', 'z1', 'GT', 'INCR', '0', 'm1'],
      ['ZADD', 'z1', 'INCR', '0', 'm1'],
      ['ZADD', 'z1', 'GT', '0', 'm2'],
      ['ZADD', 'z1', 'LT', '5', 'm3'],
      ['ZADD', 'z1', 'GT', 'CH', '10', 'm2', '-1', 'm3', '0', 'm4', '3', 'm1'],
      ['ZADD', 'z1', 'LT', 'CH', '10', 'm2', '-1', 'm3', '3', 'm1'],
      ['ZADD', 'z1', 'XX', 'GT', 'CH', '11', 'm2', '1', 'm9'],
      ['ZADD', 'z1', 'NX', 'INCR', '5', 'm2'],
      ['ZADD', 'z1', 'NX', 'INCR', '5', 'm5'],
      ['ZADD', 'z1', 'XX', 'INCR', '5', 'm6'],
      ['ZADD', 'z1', 'incr', 'ch', 'gt', 'xx', '1', 'm2'],
      ['ZRANGE', 'z1', '0', '-1', 'WITHSCORES'],
      ['ZADD', 'fresh', 'GT', '5', 'a'],
      ['ZADD', 'fresh', 'LT', 'INCR', '5', 'b'],
      ['ZRANGE', 'fresh', '0', '-1', 'WITHSCORES'],
    ]);
  });

  test('ZADD option and argument errors', async () => {
    await compare([
      ['ZADD', 'z', 'XX', 'NX', '1', 'a'],
      ['ZADD', 'z', 'GT', 'NX', '1', 'a'],
      ['ZADD', 'z', 'LT', 'NX', '1', 'a'],
      ['ZADD', 'z', 'LT', 'GT', '1', 'a'],
      ['ZADD', 'z', 'XX', 'NX', 'GT', '1', 'a'],
      ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'],
      ['ZADD', 'z', 'GT', 'LT', 'INCR', '1', 'a', '2', 'b'],
      ['ZADD', 'z', 'XX', 'NX', '1', 'a', '2'],
      ['ZADD', 'z', '1', 'a', '2'],
      ['ZADD', 'z', 'NX', 'XX'],
      ['ZADD', 'z', 'NX', 'XX', 'GT', 'LT'],
      ['ZADD', 'z'],
      ['ZADD', 'z', '1'],
      ['ZADD', 'z', 'nx'],
      ['ZADD', 'z', 'NaN', 'a'],
      ['ZADD', 'z', '1', 'a', 'nan', 'b'],
      ['ZADD', 'z', 'INCR', 'XX', 'x', 'a'],
      ['ZADD', 'z', 'FOO', '1', 'a'],
      ['EXISTS', 'z'],
      ['SET', 'str', 'v'],
      ['ZADD', 'str', '1', 'a'],
      ['ZADD', 'str', 'x', 'a'],
      ['ZADD', 'str', 'XX', 'NX', '1', 'a'],
      ['ZINCRBY', 'str', '1', 'a'],
      ['ZINCRBY', 'str', 'x', 'a'],
      ['ZINCRBY', 'z', 'XX', 'm'],
      ['ZINCRBY', 'z', 'LT', 'GT'],
      ['ZINCRBY', 'z', 'INCR', 'm'],
      ['ZINCRBY', 'z', '5', 'XX'],
      ['ZSCORE', 'z', 'XX'],
    ]);
  });

  test('score parsing like strtod', async () => {
    const scores = [
      '0x10',
      ' 1',
      '1 ',
      '1e400',
      '-1e400',
      '1e-400',
      '0e-400',
      '1e-310',
      'infinity',
      '-INFINITY',
      '+inf',
      '-Inf',
      'iNf',
      '.5',
      '5.',
      '-.5',
      '+.5',
      '0x1p3',
      '0x1.8',
      '0x',
      '',
      '+',
      '-',
      '1e',
      '1e+',
      'nan',
      '-nan',
      'NAN(123)',
      '0X1P-2',
      '0x1p-1074',
      '0x1p-1075',
      '0x1p1024',
      '0x.8p1',
      '1_000',
      '00012',
      '1.5e3',
      '1E-2',
      '0x1.fffffffffffff8p0',
      '4.9e-324',
      '2.4e-324',
      '\t1',
      '1\x00',
      '1.7976931348623159e308',
      '-0x10',
      '0xg',
      'inf1',
      'infinit',
      'infinityx',
      '-0',
      '1.',
      '1e3',
      '000000012345',
      '-000000012345',
      '999999999999999',
      '9007199254740993',
      '99999999999999999999',
      '1'.repeat(21),
      '9'.repeat(308),
      '9'.repeat(309),
      `0.${'0'.repeat(30)}1`,
      '-.',
      '.',
      '1.2.3',
      '--1',
    ];
    await compare(scores.flatMap((score, i) => [['ZADD', 'z', score, `m${i}`]]));
    await compare([['ZRANGE', 'z', '0', '-1', 'WITHSCORES']]);
  });

  test('score formatting as %.17g', async () => {
    const scores = [
      '0.1',
      '1e20',
      '1125899906842624.25',
      '1125899906842624.75',
      'inf',
      '-inf',
      '123456789012345678',
      '1e17',
      '1e16',
      '99999999999999999',
      '0.00001',
      '0.0001',
      '1.5e-7',
      '3.0000000000000004',
      '-1e-7',
      '5e-324',
      '1.7976931348623157e308',
      '-2.5',
      '1e21',
      '1e15',
      '4503599627370496.5',
      '0.30000000000000004',
      '-0.0',
      '1e-5',
      '123.456',
      '-1e300',
    ];
    await compare([
      ...scores.map((score, i) => ['ZADD', 'z', score, `m${i}`]),
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ...scores.map((_, i) => ['ZSCORE', 'z', `m${i}`]),
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '0'],
      ...scores.map((score, i) => ['ZADD', 'big', score, `m${i}`]),
      ['ZRANGE', 'big', '0', '-1', 'WITHSCORES'],
      ['ZINCRBY', 'big', '-0', 'm22'],
      ['ZSCORE', 'big', 'm22'],
      ['ZINCRBY', 'new', '-0', 'a'],
      ['ZSCORE', 'new', 'a'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
      ['ZINCRBY', 'small', '-0', 'a'],
      ['ZSCORE', 'small', 'a'],
      ['ZADD', 'small2', 'INCR', '-0', 'a'],
      ['ZSCORE', 'small2', 'a'],
    ]);
  });

  test('ZINCRBY and NaN results', async () => {
    await compare([
      ['ZINCRBY', 'z', '1.5', 'a'],
      ['ZINCRBY', 'z', '-0.25', 'a'],
      ['ZINCRBY', 'z', 'inf', 'a'],
      ['ZINCRBY', 'z', '-inf', 'a'],
      ['ZADD', 'z', 'INCR', '-inf', 'a'],
      ['ZSCORE', 'z', 'a'],
      ['ZINCRBY', 'z', '1e400', 'a'],
      ['ZINCRBY', 'z', 'abc', 'a'],
      ['ZINCRBY', 'missing', '-inf', 'a'],
      ['ZINCRBY', 'z'],
      ['ZINCRBY', 'z', '1', 'a', 'b'],
    ]);
  });

  test('ZREM removes and deletes the emptied key', async () => {
    await compare([
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZREM', 'z', 'a', 'a', 'x'],
      ['ZREM', 'z', 'x'],
      ['ZREM', 'missing', 'a'],
      ['ZREM', 'z', 'b', 'c', 'd'],
      ['EXISTS', 'z'],
      ['ZREM', 'z'],
      ...fillZset('big', 300),
      ['ZREM', 'big', 'm1', 'm299', 'm150', 'nope'],
      ['ZCARD', 'big'],
      ['ZRANGE', 'big', '0', '3'],
    ]);
  });

  test('ZSCORE, ZMSCORE, ZRANK and ZREVRANK', async () => {
    await compare([
      ['ZADD', 'z', '1', 'a', '2', 'b', '2', 'c', '-5', 'd'],
      ['ZSCORE', 'z', 'b'],
      ['ZSCORE', 'z', 'x'],
      ['ZSCORE', 'missing', 'x'],
      ['ZMSCORE', 'z', 'a', 'x', 'd', 'a'],
      ['ZMSCORE', 'missing', 'a', 'b'],
      ['ZRANK', 'z', 'd'],
      ['ZRANK', 'z', 'c'],
      ['ZRANK', 'z', 'x'],
      ['ZRANK', 'missing', 'x'],
      ['ZREVRANK', 'z', 'd'],
      ['ZREVRANK', 'z', 'a'],
      ['ZREVRANK', 'z', 'x'],
      ...fillZset(
        'big',
        1000,
        (i) => `m${i}`,
        (i) => String(i % 10),
      ),
      ['ZRANK', 'big', 'm0'],
      ['ZRANK', 'big', 'm999'],
      ['ZRANK', 'big', 'm555'],
      ['ZREVRANK', 'big', 'm555'],
      ['ZMSCORE', 'big', 'm7', 'm8', 'nope'],
    ]);
  });

  test('ZRANK and ZREVRANK WITHSCORE, as Redis 7.2 documents', async () => {
    const client = await RawClient.connect(damselfly.port);
    const call = async (...args: string[]) => (await client.call(args)).toString('latin1');
    await call('ZADD', 'ranked', '1.5', 'a', '2', 'b');
    assert.equal(await call('ZRANK', 'ranked', 'b', 'WITHSCORE'), '*2\r\n:1\r\n$1\r\n2\r\n');
    assert.equal(await call('ZREVRANK', 'ranked', 'b', 'withscore'), '*2\r\n:0\r\n$1\r\n2\r\n');
    assert.equal(await call('ZRANK', 'ranked', 'x', 'WITHSCORE'), '*-1\r\n');
    assert.equal(await call('ZRANK', 'ranked', 'a', 'WITHSCORES'), '-ERR syntax error\r\n');
    assert.equal(await call('ZRANK', 'ranked', 'a', 'WITHSCORE', 'x'), '-ERR syntax error\r\n');
    await call('HELLO', '3');
    assert.equal(await call('ZRANK', 'ranked', 'a', 'WITHSCORE'), '*2\r\n:0\r\n,1.5\r\n');
    client.destroy();
  });

  test('ZCOUNT and ZLEXCOUNT', async () => {
    await compare([
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'],
      ['ZCOUNT', 'z', '-inf', '+inf'],
      ['ZCOUNT', 'z', '(1', '(5'],
      ['ZCOUNT', 'z', '2', '2'],
      ['ZCOUNT', 'z', '(2', '2'],
      ['ZCOUNT', 'z', '3', '1'],
      ['ZCOUNT', 'z', 'a', '1'],
      ['ZCOUNT', 'z', '1', 'nan'],
      ['ZCOUNT', 'missing', '1', '2'],
      ['ZCOUNT', 'missing', 'x', '2'],
      ['ZADD', 'l', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e'],
      ['ZLEXCOUNT', 'l', '-', '+'],
      ['ZLEXCOUNT', 'l', '[b', '(d'],
      ['ZLEXCOUNT', 'l', '(b', '[d'],
      ['ZLEXCOUNT', 'l', '+', '-'],
      ['ZLEXCOUNT', 'l', '-', '-'],
      ['ZLEXCOUNT', 'l', '[c', '[c'],
      ['ZLEXCOUNT', 'l', '(c', '[c'],
      ['ZLEXCOUNT', 'l', 'a', '+'],
      ['ZLEXCOUNT', 'l', '[a', '+x'],
      ['ZLEXCOUNT', 'l', '', '+'],
      ['ZLEXCOUNT', 'missing', '-', '+'],
      ['ZLEXCOUNT', 'missing', 'x', '+'],
      ['ZLEXCOUNT', 'z', '[b', '[d'],
    ]);
  });

  test('score and member ranges parse like Redis', async () => {
    // A bare "(" and "" are left out: Redis 7.0 reads them as 0, a bug that
    // Damselfly does not copy (see the range bound tests in zset-score).
    const bounds = [
      ' 1',
      '( 1',
      '  (2',
      '((1',
      '(nan',
      '1 ',
      '0x1p1',
      '(0x11',
      '1e400',
      '-1e400',
      '(-1e-400',
      '+inf',
      '(-inf',
      'inf',
      'abc',
      '1\x00junk',
    ];
    const steps: Step[] = [['ZADD', 'z', '-1', 'n', '0', 'zero', '1', 'a', '2', 'b', '16', 'c']];
    for (const bound of bounds) {
      steps.push(['ZRANGEBYSCORE', 'z', bound, '+inf']);
      steps.push(['ZRANGEBYSCORE', 'z', '-inf', bound]);
    }
    const lexBounds = ['-', '+', '[', '(', '[a', '(a', 'a', '', '--', '++', '+a', '-a', '[\x00'];
    steps.push(['ZADD', 'l', '0', 'a', '0', 'b', '0', '']);
    for (const bound of lexBounds) {
      steps.push(['ZRANGEBYLEX', 'l', bound, '+']);
      steps.push(['ZRANGEBYLEX', 'l', '-', bound]);
    }
    await compare(steps);
  });

  test('encodings and their conversion', async () => {
    await compare([
      ...fillZset('z', 128),
      ['OBJECT', 'ENCODING', 'z'],
      ['ZADD', 'z', '5', 'm5'],
      ['OBJECT', 'ENCODING', 'z'],
      ['ZADD', 'z', '500', 'm500'],
      ['OBJECT', 'ENCODING', 'z'],
      ['ZREMRANGEBYRANK', 'z', '0', '-10'],
      ['OBJECT', 'ENCODING', 'z'],
      ['ZADD', 'long', '1', 'x'.repeat(64)],
      ['OBJECT', 'ENCODING', 'long'],
      ['ZADD', 'long', '1', 'y'.repeat(65)],
      ['OBJECT', 'ENCODING', 'long'],
      ['ZADD', 'first', '1', 'y'.repeat(65)],
      ['OBJECT', 'ENCODING', 'first'],
      ['ZINCRBY', 'incr', '1', 'y'.repeat(65)],
      ['OBJECT', 'ENCODING', 'incr'],
      ['ZADD', 'twice', '1', 'short', '2', 'y'.repeat(65)],
      ['OBJECT', 'ENCODING', 'twice'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '2'],
      ['ZADD', 'small', '1', 'a', '2', 'b'],
      ['OBJECT', 'ENCODING', 'small'],
      ['ZADD', 'small', '3', 'c'],
      ['OBJECT', 'ENCODING', 'small'],
      ['ZRANGESTORE', 'copy', 'small', '0', '1'],
      ['OBJECT', 'ENCODING', 'copy'],
      ['ZRANGESTORE', 'copy', 'small', '0', '2'],
      ['OBJECT', 'ENCODING', 'copy'],
      ['ZUNIONSTORE', 'u', '1', 'small'],
      ['OBJECT', 'ENCODING', 'u'],
      ['ZINTERSTORE', 'i', '2', 'small', 'copy'],
      ['OBJECT', 'ENCODING', 'i'],
      ['ZDIFFSTORE', 'd', '2', 'small', 'nothing'],
      ['OBJECT', 'ENCODING', 'd'],
      ['ZREM', 'small', 'a'],
      ['ZUNIONSTORE', 'u2', '1', 'small'],
      ['OBJECT', 'ENCODING', 'u2'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '0'],
      ['ZADD', 'none', '1', 'a'],
      ['OBJECT', 'ENCODING', 'none'],
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
      ['CONFIG', 'SET', 'zset-max-listpack-value', '3'],
      ['ZUNIONSTORE', 'u3', '1', 'twice'],
      ['OBJECT', 'ENCODING', 'u3'],
      ['ZADD', 'v', '1', 'abc', '2', 'abcd'],
      ['OBJECT', 'ENCODING', 'v'],
      ['CONFIG', 'SET', 'zset-max-listpack-value', '64'],
      ['COPY', 'z', 'zcopy'],
      ['OBJECT', 'ENCODING', 'zcopy'],
      ['ZADD', 'zcopy', '1', 'only-in-copy'],
      ['ZCARD', 'z'],
      ['ZRANGE', 'zcopy', '0', '-1', 'WITHSCORES'],
      ['COPY', 'long', 'longcopy'],
      ['ZRANGE', 'longcopy', '0', '-1'],
      ['OBJECT', 'ENCODING', 'longcopy'],
    ]);
  });

  test('RESP3 replies', async () => {
    await compare([
      { command: ['HELLO', '3'], ignore: true },
      ['ZADD', 'z', '1.5', 'a', '2', 'b', 'inf', 'c'],
      ['ZADD', 'z', 'INCR', '1', 'a'],
      ['ZADD', 'z', 'NX', 'INCR', '1', 'a'],
      ['ZINCRBY', 'z', '0.5', 'b'],
      ['ZSCORE', 'z', 'a'],
      ['ZSCORE', 'z', 'x'],
      ['ZMSCORE', 'z', 'a', 'x', 'c'],
      ['ZRANK', 'z', 'x'],
      ['ZRANK', 'z', 'b'],
      ['ZRANGE', 'z', '0', '-1'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'WITHSCORES'],
      ['ZREVRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZRANGE', 'missing', '0', '-1', 'WITHSCORES'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMIN', 'z', '1'],
      ['ZPOPMAX', 'missing'],
      ['ZADD', 'y', '1', 'a', '2', 'b', '3', 'c'],
      ['ZMPOP', '1', 'y', 'MAX', 'COUNT', '2'],
      ['ZMPOP', '1', 'missing', 'MIN'],
      ['BZPOPMIN', 'y', '0'],
      ['BZMPOP', '0.01', '1', 'missing', 'MIN'],
      ['BZPOPMAX', 'missing', '0.01'],
      ['ZADD', 'x', '1', 'a', '2', 'b'],
      ['ZUNION', '1', 'x', 'WITHSCORES'],
      ['ZINTER', '1', 'x', 'WITHSCORES'],
      ['ZDIFF', '1', 'x', 'WITHSCORES'],
      ['ZRANDMEMBER', 'x', '5', 'WITHSCORES'],
      ['ZRANDMEMBER', 'missing'],
      ['ZSCAN', 'x', '0'],
      ['ZADD', 'x', 'XX', 'INCR', '1', 'nope'],
    ]);
  });

  test('keyspace events', async () => {
    const commands = [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZADD', 'z', '1', 'a'],
      ['ZADD', 'z', 'INCR', '1', 'a'],
      ['ZINCRBY', 'z', '1', 'b'],
      ['ZREM', 'z', 'nope'],
      ['ZREM', 'z', 'a'],
      ['ZREMRANGEBYSCORE', 'z', '100', '200'],
      ['ZREMRANGEBYSCORE', 'z', '0', '2'],
      ['ZREMRANGEBYSCORE', 'z', '3', '3'],
      ['ZADD', 'z', '1', 'a', '5', 'd', '6', 'e'],
      ['ZADD', 'z', '1', 'a', '5', 'd'],
      ['ZREMRANGEBYRANK', 'z', '0', '0'],
      ['ZADD', 'l', '0', 'a', '0', 'b'],
      ['ZREMRANGEBYLEX', 'l', '-', '+'],
      ['ZADD', 'p', '1', 'a', '2', 'b', '3', 'c'],
      ['ZPOPMIN', 'p'],
      ['ZPOPMAX', 'p', '5'],
      ['ZADD', 'p', '1', 'a', '2', 'b', '3', 'c'],
      ['ZMPOP', '1', 'p', 'MIN', 'COUNT', '3'],
      ['ZADD', 'p', '1', 'a'],
      ['BZPOPMAX', 'p', '0'],
      ['ZADD', 'u', '1', 'a'],
      ['ZUNIONSTORE', 'dst', '1', 'u'],
      ['ZINTERSTORE', 'dst', '1', 'u'],
      ['ZDIFFSTORE', 'dst', '1', 'u'],
      ['ZDIFFSTORE', 'dst', '2', 'u', 'u'],
      ['ZDIFFSTORE', 'dst', '2', 'u', 'u'],
      ['ZRANGESTORE', 'dst', 'u', '0', '-1'],
      ['ZRANGESTORE', 'dst', 'u', '5', '6'],
      ['ZREMRANGEBYRANK', 'z', '0', '-1'],
    ];
    const [ours, theirs] = await Promise.all([
      collectEvents(damselfly.port, commands),
      collectEvents(redis.port, commands),
    ]);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes('zincr z'));
  });

  test('keyspace hits and misses', async () => {
    const commands = [
      ['ZADD', 'a', '1', 'x'],
      ['ZUNIONSTORE', 'd', '2', 'a', 'nokey'],
      ['ZUNION', '2', 'a', 'nokey'],
      ['ZRANGESTORE', 'd2', 'a', '0', '-1'],
      ['ZINTERSTORE', 'd', '1', 'a'],
      ['ZINTERCARD', '2', 'a', 'nokey'],
      ['ZMPOP', '2', 'nokey', 'a', 'MIN'],
      ['BZPOPMIN', 'nokey2', '0.01'],
      ['ZADD', 'a', '1', 'x', '2', 'y'],
      ['ZSCORE', 'a', 'x'],
      ['ZMSCORE', 'nokey', 'x'],
      ['ZRANK', 'a', 'y'],
      ['ZREM', 'a', 'nope'],
      ['ZPOPMIN', 'nokey'],
      ['ZRANDMEMBER', 'a'],
      ['ZSCAN', 'a', '0'],
      ['ZCARD', 'nokey'],
      ['ZRANGE', 'a', '0', '-1'],
      ['ZCOUNT', 'nokey', '0', '1'],
      ['ZINCRBY', 'a', '1', 'x'],
      ['ZREMRANGEBYRANK', 'a', '5', '6'],
    ];
    const counters = async (port: number): Promise<string[]> => {
      const client = await RawClient.connect(port);
      const lines: string[] = [];
      try {
        await client.call(['FLUSHALL']);
        await client.call(['CONFIG', 'RESETSTAT']);
        for (const args of commands) {
          await client.call(args);
          const info = (await client.call(['INFO', 'stats'])).toString('latin1');
          const counts = info.match(/keyspace_(hits|misses):\d+/g) ?? [];
          lines.push(`${args[0]} ${counts.join(' ')}`);
        }
      } finally {
        client.destroy();
      }
      return lines;
    };
    const [ours, theirs] = await Promise.all([counters(damselfly.port), counters(redis.port)]);
    assert.deepEqual(ours, theirs);
  });

  test('change counts', async () => {
    const commands = [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e', '6', 'f'],
      ['ZADD', 'z', 'CH', '10', 'a', '2', 'b', '7', 'g'],
      ['ZADD', 'z', 'INCR', '0', 'a'],
      ['ZADD', 'z', 'NX', '0', 'a'],
      ['ZPOPMIN', 'z', '3'],
      ['ZPOPMAX', 'z'],
      ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '2'],
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'],
      ['BZPOPMIN', 'z', '0'],
      ['BZMPOP', '0', '1', 'z', 'MAX', 'COUNT', '2'],
      ['ZADD', 's', '1', 'x', '2', 'y'],
      ['ZUNIONSTORE', 'd', '1', 's'],
      ['ZUNIONSTORE', 'd', '1', 'missing'],
      ['ZUNIONSTORE', 'd', '1', 'missing'],
      ['ZRANGESTORE', 'd2', 's', '0', '-1'],
      ['ZRANGESTORE', 'd2', 's', '5', '6'],
      ['ZREM', 's', 'x', 'nope'],
      ['ZREMRANGEBYRANK', 's', '0', '-1'],
      ['ZADD', 's', '1', 'x', '2', 'y', '3', 'z'],
      ['ZREMRANGEBYSCORE', 's', '1', '2'],
      ['ZREMRANGEBYLEX', 's', '-', '+'],
      ['ZINCRBY', 's', '0', 'z'],
      ['ZADD', 's', '3', 'z'],
      ['ZINCRBY', 's', '1', 'z'],
    ];
    const [ours, theirs] = await Promise.all([
      collectChanges(damselfly.port, commands),
      collectChanges(redis.port, commands),
    ]);
    assert.deepEqual(ours, theirs);
  });
});

describe('sorted set journal against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const args = ['--appendonly', 'yes', '--appendfsync', 'always'];

  before(async () => {
    const [ours, reference] = await Promise.all([
      startDamselfly({ args }),
      startRedisServer({ args }),
    ]);
    assert.ok(reference);
    damselfly = ours;
    redis = reference;
  });

  after(stopAllServers);

  test('append-only files match', async () => {
    const commands = [
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd'],
      ['ZADD', 'z', 'NX', '1', 'a'],
      ['ZINCRBY', 'z', '1.5', 'a'],
      ['ZREM', 'z', 'nope'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMAX', 'z', '1'],
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZMPOP', '1', 'z', 'MIN', 'COUNT', '2'],
      ['ZMPOP', '1', 'z', 'MAX'],
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['BZPOPMIN', 'z', '0'],
      ['BZPOPMAX', 'missing', 'z', '0'],
      ['BZMPOP', '0', '1', 'z', 'MIN', 'COUNT', '5'],
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZUNIONSTORE', 'u', '1', 'z'],
      ['ZRANGESTORE', 'r', 'z', '0', '0'],
      ['ZREMRANGEBYSCORE', 'z', '5', '6'],
      ['ZREMRANGEBYRANK', 'z', '0', '0'],
      ['ZRANDMEMBER', 'z', '2'],
    ];
    const [ours, theirs] = await Promise.all([
      journalOf(damselfly, commands),
      journalOf(redis, commands),
    ]);
    assert.deepEqual(ours.journal, theirs.journal);
    assert.ok(ours.journal.includes('ZPOPMIN z 2'));
  });
});

describe('sorted set persistence', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  let ours: RawClient;
  let theirs: RawClient;

  before(async () => {
    const [server, reference] = await Promise.all([
      startDamselfly({ args: ['--enable-debug-command', 'yes'] }),
      startRedisServer(),
    ]);
    assert.ok(reference);
    damselfly = server;
    redis = reference;
    [ours, theirs] = await Promise.all([
      RawClient.connect(damselfly.port),
      RawClient.connect(redis.port),
    ]);
  });

  after(async () => {
    ours.destroy();
    theirs.destroy();
    await stopAllServers();
  });

  /** Adds the same small and large sorted sets to a server. */
  async function fill(client: RawClient): Promise<void> {
    await client.call(['FLUSHALL']);
    await client.call(['ZADD', 'small', '1.5', 'a', '-inf', 'b', '0.1', 'c']);
    const members = Array.from({ length: 300 }, (_, i) => [String(i / 3), `m${i}`]).flat();
    await client.call(['ZADD', 'large', ...members]);
  }

  async function contents(client: RawClient, key: string): Promise<string[]> {
    const range = await client.call(['ZRANGE', key, '0', '-1', 'WITHSCORES']);
    const encoding = await client.call(['OBJECT', 'ENCODING', key]);
    return [range.toString('latin1'), encoding.toString('latin1')];
  }

  test('RESTORE of the other server DUMP', async () => {
    await Promise.all([fill(ours), fill(theirs)]);
    for (const key of ['small', 'large']) {
      const [ourDump, theirDump] = await Promise.all([
        ours.call(['DUMP', key]),
        theirs.call(['DUMP', key]),
      ]);
      const payload = (reply: Buffer) => reply.subarray(reply.indexOf('\r\n') + 2, -2);
      assert.equal(
        (await ours.call(['RESTORE', `${key}-copy`, '0', payload(theirDump)])).toString(),
        '+OK\r\n',
      );
      assert.equal(
        (await theirs.call(['RESTORE', `${key}-copy`, '0', payload(ourDump)])).toString(),
        '+OK\r\n',
      );
      assert.deepEqual(await contents(ours, `${key}-copy`), await contents(theirs, key));
      assert.deepEqual(await contents(theirs, `${key}-copy`), await contents(theirs, key));
    }
  });

  test('snapshot reload keeps scores and encodings', async () => {
    await fill(ours);
    const before = [await contents(ours, 'small'), await contents(ours, 'large')];
    assert.equal((await ours.call(['DEBUG', 'RELOAD'])).toString(), '+OK\r\n');
    assert.deepEqual([await contents(ours, 'small'), await contents(ours, 'large')], before);
  });
});
