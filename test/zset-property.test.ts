/**
 * A property test: random sequences of sorted set commands (fast-check)
 * sent to Damselfly and redis-server 7.0, whose replies must match byte for
 * byte. A listpack limit of 3 entries makes sets change encoding often.
 * Member ranges only run on a key whose scores are all 0, since Redis leaves
 * them undefined otherwise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';

import { sortScanElements } from './collection-support';
import {
  findMismatches,
  runDifferential,
  type Normalizer,
  type Step,
} from './support/differential';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

const KEYS = ['z1', 'z2', 'z3', 'str'];

function commandArbitrary(): fc.Arbitrary<string[]> {
  const key = fc.constantFrom(...KEYS);
  const anyKey = fc.constantFrom(...KEYS, 'lex');
  const member = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'aa', '', 'x'.repeat(70));

  const score = fc.oneof(
    fc.integer({ min: -5, max: 5 }).map(String),
    fc.constantFrom('0.5', '-inf', 'inf', '(1', '1e400', 'nan', 'x', '-0', '0.1'),
  );
  const pairs = fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 4 });
  const flags = fc.subarray(['NX', 'XX', 'GT', 'LT', 'CH', 'INCR']);
  const bound = fc.constantFrom('-inf', '+inf', '(1', '2', '0', '(-1', '5', 'x');
  const lexBound = fc.constantFrom('-', '+', '[a', '(b', '[c', '(aa', 'x');

  const index = fc.integer({ min: -4, max: 4 }).map(String);
  const count = fc.constantFrom('0', '1', '2', '10', '-1');
  const keys = fc.array(anyKey, { minLength: 1, maxLength: 3 });
  const aggregate = fc.constantFrom(
    [],
    ['AGGREGATE', 'MIN'],
    ['AGGREGATE', 'MAX'],
    ['WEIGHTS', '2', '0.5', '-1'],
  );

  return fc.oneof(
    fc.tuple(key, flags, pairs).map(([k, f, p]) => ['ZADD', k, ...f, ...p.flat()]),
    fc.tuple(member).map(([m]) => ['ZADD', 'lex', '0', m]),
    fc.tuple(key, score, member).map(([k, s, m]) => ['ZINCRBY', k, s, m]),
    fc.tuple(anyKey, member, member).map(([k, a, b]) => ['ZREM', k, a, b]),
    fc.tuple(anyKey, member).map(([k, m]) => ['ZSCORE', k, m]),
    fc.tuple(anyKey, member, member).map(([k, a, b]) => ['ZMSCORE', k, a, b]),
    fc.tuple(anyKey, member).map(([k, m]) => ['ZRANK', k, m]),
    fc.tuple(anyKey, member).map(([k, m]) => ['ZREVRANK', k, m]),
    anyKey.map((k) => ['ZCARD', k]),
    fc.tuple(anyKey, bound, bound).map(([k, a, b]) => ['ZCOUNT', k, a, b]),
    fc.tuple(anyKey, index, index).map(([k, a, b]) => ['ZRANGE', k, a, b, 'WITHSCORES']),
    fc
      .tuple(anyKey, bound, bound, count)
      .map(([k, a, b, c]) => ['ZRANGE', k, a, b, 'BYSCORE', 'REV', 'LIMIT', '0', c, 'WITHSCORES']),
    fc.tuple(anyKey, bound, bound).map(([k, a, b]) => ['ZRANGEBYSCORE', k, a, b]),
    fc.tuple(lexBound, lexBound).map(([a, b]) => ['ZRANGEBYLEX', 'lex', a, b]),
    fc.tuple(lexBound, lexBound).map(([a, b]) => ['ZREVRANGEBYLEX', 'lex', a, b]),
    fc.tuple(lexBound, lexBound).map(([a, b]) => ['ZLEXCOUNT', 'lex', a, b]),
    fc.tuple(lexBound, lexBound).map(([a, b]) => ['ZREMRANGEBYLEX', 'lex', a, b]),
    fc.tuple(key, anyKey, index, index).map(([d, s, a, b]) => ['ZRANGESTORE', d, s, a, b]),
    fc.tuple(anyKey, index, index).map(([k, a, b]) => ['ZREMRANGEBYRANK', k, a, b]),
    fc.tuple(key, bound, bound).map(([k, a, b]) => ['ZREMRANGEBYSCORE', k, a, b]),
    fc.tuple(anyKey, count).map(([k, c]) => ['ZPOPMIN', k, c]),
    anyKey.map((k) => ['ZPOPMAX', k]),
    fc.tuple(keys, count).map(([k, c]) => ['ZMPOP', String(k.length), ...k, 'MAX', 'COUNT', c]),
    fc
      .tuple(keys, aggregate)
      .map(([k, a]) => [
        'ZUNION',
        String(k.length),
        ...k,
        ...(a[0] === 'WEIGHTS' ? [] : a),
        'WITHSCORES',
      ]),
    fc.tuple(keys).map(([k]) => ['ZINTER', String(k.length), ...k, 'WITHSCORES']),
    fc.tuple(keys).map(([k]) => ['ZDIFF', String(k.length), ...k, 'WITHSCORES']),
    fc
      .tuple(key, keys, aggregate)
      .map(([d, k, a]) => [
        'ZUNIONSTORE',
        d,
        String(k.length),
        ...k,
        ...(a[0] === 'WEIGHTS' ? ['WEIGHTS', ...a.slice(1, 1 + k.length)] : a),
      ]),
    fc.tuple(key, keys).map(([d, k]) => ['ZINTERSTORE', d, String(k.length), ...k]),
    fc.tuple(key, keys).map(([d, k]) => ['ZDIFFSTORE', d, String(k.length), ...k]),
    keys.map((k) => ['ZINTERCARD', String(k.length), ...k, 'LIMIT', '2']),
    anyKey.map((k) => ['ZSCAN', k, '0', 'COUNT', '1000']),
    anyKey.map((k) => ['OBJECT', 'ENCODING', k]),
    anyKey.map((k) => ['ZRANDMEMBER', k, '100', 'WITHSCORES']),
    key.map((k) => ['SET', k, 'plain']),
    anyKey.map((k) => ['DEL', k]),
  );
}

const NORMALIZERS: Record<string, Normalizer> = {
  ZSCAN: sortScanElements(2),
};

describe('sorted set property test against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    const [ours, reference] = await Promise.all([startDamselfly(), startRedisServer()]);
    assert.ok(reference);
    damselfly = ours;
    redis = reference;
  });

  after(stopAllServers);

  test('random command sequences reply the same', async () => {
    const prelude = [['CONFIG', 'SET', 'zset-max-listpack-entries', '3']];
    await fc.assert(
      fc.asyncProperty(
        fc.array(commandArbitrary(), { minLength: 1, maxLength: 50 }),
        async (commands) => {
          const steps: Step[] = commands.map((command) => ({
            command,
            normalize: NORMALIZERS[command[0]] ?? [],
          }));
          const result = await runDifferential(damselfly, redis, steps, { prelude });
          assert.deepEqual(findMismatches(result), []);
        },
      ),
      { numRuns: 80 },
    );
  });
});
