/**
 * ACL key permissions per key against redis-server. Users with %R~ on some
 * keys and %W~ on others run commands whose keys Redis 7.0 flags
 * differently: a read-only source beside a written destination, an
 * overwritten key, or a key only probed for existence. Replies, ACL DRYRUN
 * texts and ACL LOG entries are compared byte for byte.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertDifferential, type Normalizer, type Step } from './support/differential';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** The first user reads r:* and writes w:*, and the second has the permissions reversed. */
const USERS: Step[] = [
  ['ACL', 'SETUSER', 'split', 'reset', 'on', '>pw', '%R~r:*', '%W~w:*', '+@all'],
  ['ACL', 'SETUSER', 'reverse', 'reset', 'on', '>pw', '%W~r:*', '%R~w:*', '+@all'],
];

/** One value of each type under both prefixes, so the commands do real work. */
const DATA: Step[] = ['r', 'w'].flatMap((prefix) => [
  ['SADD', `${prefix}:set`, 'a', 'b'],
  ['SADD', `${prefix}:set2`, 'b', 'c'],
  ['ZADD', `${prefix}:zset`, '1', 'a', '2', 'b'],
  ['RPUSH', `${prefix}:list`, 'x', 'y'],
  ['SET', `${prefix}:str`, '7'],
  ['HSET', `${prefix}:hash`, 'f', 'v'],
  ['XADD', `${prefix}:stream`, '1-1', 'f', 'v'],
  ['XGROUP', 'CREATE', `${prefix}:stream`, 'g', '0'],
]);

/** Requests whose keys Redis 7.0 flags differently from one another or from the default. */
const REQUESTS: string[][] = [
  ['SUNIONSTORE', 'w:dest', 'r:set', 'r:set2'],
  ['SUNIONSTORE', 'r:dest', 'w:set'],
  ['SINTERSTORE', 'w:dest', 'r:set', 'r:set2'],
  ['SDIFFSTORE', 'w:dest', 'r:set', 'r:set2'],
  ['ZUNIONSTORE', 'w:dest', '1', 'r:zset'],
  ['ZUNIONSTORE', 'w:dest', '2', 'r:zset', 'w:zset'],
  ['ZINTERSTORE', 'w:dest', '1', 'r:zset'],
  ['ZDIFFSTORE', 'w:dest', '1', 'r:zset'],
  ['ZRANGESTORE', 'w:dest', 'r:zset', '0', '-1'],
  ['COPY', 'r:str', 'w:copy'],
  ['COPY', 'w:str', 'r:copy'],
  ['BITOP', 'OR', 'w:bits', 'r:str'],
  ['BITOP', 'OR', 'r:bits', 'w:str'],
  ['SMOVE', 'r:set', 'w:set', 'a'],
  ['SMOVE', 'w:set', 'r:set', 'a'],
  ['LMOVE', 'r:list', 'w:list', 'LEFT', 'RIGHT'],
  ['LMOVE', 'w:list', 'r:list', 'LEFT', 'RIGHT'],
  ['BLMOVE', 'w:list', 'r:list', 'LEFT', 'RIGHT', '0.01'],
  ['RPOPLPUSH', 'r:list', 'w:list'],
  ['BRPOPLPUSH', 'w:list', 'r:list', '0.01'],
  ['RENAME', 'r:str', 'w:renamed'],
  ['RENAMENX', 'w:hash', 'r:renamed'],
  ['MSET', 'w:a', '1', 'w:b', '2'],
  ['MSET', 'w:a', '1', 'r:b', '2'],
  ['MSETNX', 'w:c', '1', 'w:d', '2'],
  ['SET', 'w:str', 'v'],
  ['SET', 'w:str', 'v', 'GET'],
  ['SET', 'w:str', 'v', 'EX', '100', 'get'],
  ['SET', 'r:str', 'v'],
  ['GETDEL', 'w:str'],
  ['GETEX', 'w:str', 'PERSIST'],
  ['GETSET', 'w:str', '1'],
  ['INCR', 'w:str'],
  ['INCRBYFLOAT', 'w:str', '1.5'],
  ['SETBIT', 'w:str', '1', '1'],
  ['BITFIELD', 'w:str', 'GET', 'u8', '0'],
  ['BITFIELD', 'r:str', 'GET', 'u8', '0', 'OVERFLOW', 'SAT'],
  ['BITFIELD', 'r:str', 'GET', 'u8'],
  ['BITFIELD', 'r:str', 'INCRBY', 'u8', '0', '1'],
  ['DEL', 'w:str'],
  ['DEL', 'r:str'],
  ['UNLINK', 'w:a', 'w:b'],
  ['LPUSH', 'w:list', 'z'],
  ['LINSERT', 'w:list', 'BEFORE', 'x', 'z'],
  ['LTRIM', 'w:list', '0', '0'],
  ['SADD', 'w:set', 'z'],
  ['SREM', 'w:set', 'a'],
  ['HDEL', 'w:hash', 'f'],
  ['ZREM', 'w:zset', 'a'],
  ['APPEND', 'w:str', 'x'],
  ['SETNX', 'w:new', '1'],
  ['SETEX', 'w:str', '100', 'v'],
  ['XDEL', 'w:stream', '1-1'],
  ['XGROUP', 'CREATECONSUMER', 'w:stream', 'g', 'c2'],
  ['XGROUP', 'DESTROY', 'r:stream', 'g'],
  ['SPUBLISH', 'w:channel', 'hello'],
  ['LPOP', 'w:list'],
  ['RPOP', 'r:list'],
  ['SPOP', 'w:set'],
  ['ZPOPMIN', 'w:zset'],
  ['BZPOPMAX', 'w:zset', '0.01'],
  ['BLPOP', 'w:list', '0.01'],
  ['LMPOP', '1', 'w:list', 'LEFT'],
  ['ZMPOP', '1', 'r:zset', 'MIN'],
  ['BLMPOP', '0.01', '1', 'w:list', 'LEFT'],
  ['BZMPOP', '0.01', '1', 'w:zset', 'MIN'],
  ['HINCRBY', 'w:hash', 'n', '1'],
  ['ZINCRBY', 'w:zset', '1', 'a'],
  ['MOVE', 'w:str', '1'],
  ['EXISTS', 'w:str', 'r:str'],
  ['TOUCH', 'w:str'],
  ['TYPE', 'w:str'],
  ['STRLEN', 'w:str'],
  ['HLEN', 'w:hash'],
  ['HEXISTS', 'w:hash', 'f'],
  ['HSTRLEN', 'w:hash', 'f'],
  ['LLEN', 'w:list'],
  ['SCARD', 'w:set'],
  ['SISMEMBER', 'w:set', 'a'],
  ['ZCARD', 'w:zset'],
  ['XLEN', 'w:stream'],
  ['OBJECT', 'ENCODING', 'w:str'],
  ['MEMORY', 'USAGE', 'w:str'],
  ['GET', 'w:str'],
  ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'r:stream', '>'],
  ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'w:stream', '>'],
  ['EVAL', 'return 1', '1', 'w:str'],
  ['EVAL', 'return 1', '1', 'r:str'],
  ['EVAL_RO', 'return 1', '1', 'r:str'],
];

/**
 * Makes ACL LOG entries comparable: Damselfly adds the entry-id and
 * timestamp fields of Redis 7.2, and ages and client details vary.
 */
const normalizeLog: Normalizer[] = [
  [/\*20\r\n\$5\r\ncount/g, '*14\r\n$5\r\ncount'],
  [/\$8\r\nentry-id\r\n:\d+\r\n\$17\r\ntimestamp-created\r\n:\d+\r\n/g, ''],
  [/\$22\r\ntimestamp-last-updated\r\n:\d+\r\n/g, ''],
  [/(\$11\r\nage-seconds\r\n)\$\d+\r\n[^\r]*\r\n/g, '$1AGE\r\n'],
  [/\$\d+\r\nid=\d+ addr=[^\r]*cmd=([^ ]+) user=([^ ]+)[^\r]*\r\n/g, 'CLIENT cmd=$1 user=$2\r\n'],
];

describe('ACL key access against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly({ args: ['--auth-failure-delay', '0'] });
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  const compare = async (steps: Step[]): Promise<void> => {
    await assertDifferential(damselfly, redis, steps, { normalize: normalizeLog });
  };

  /** Runs one request as `user` on fresh data, then reads the ACL LOG entry it left. */
  const runAs = (user: string, request: string[]) =>
    compare([
      ...USERS,
      ...DATA,
      ['ACL', 'LOG', 'RESET'],
      ['AUTH', user, 'pw'],
      // MEMORY USAGE sizes differ between the servers; only allowed or denied matters here.
      request[0] === 'MEMORY' ? { command: request, normalize: [/^:\d+/, ':N'] } : request,
      ['AUTH', 'default', 'x'],
      ['ACL', 'LOG', '1'],
      ['SCAN', '0', 'COUNT', '100', 'MATCH', '*dest*'],
    ]);

  for (const request of REQUESTS) {
    const text = request.join(' ');
    test(`split user runs ${text}`, () => runAs('split', request));
    test(`reverse user runs ${text}`, () => runAs('reverse', request));
  }

  test('DRYRUN for both users', () =>
    compare([
      ...USERS,
      ...REQUESTS.flatMap((request): Step[] => [
        ['ACL', 'DRYRUN', 'split', ...request],
        ['ACL', 'DRYRUN', 'reverse', ...request],
      ]),
    ]));

  test('COMMAND GETKEYSANDFLAGS per key', () =>
    compare(REQUESTS.map((request): Step => ['COMMAND', 'GETKEYSANDFLAGS', ...request])));

  test('transaction checks each key', () =>
    compare([
      ...USERS,
      ...DATA,
      ['AUTH', 'split', 'pw'],
      ['MULTI'],
      ['SUNIONSTORE', 'w:dest', 'r:set'],
      ['ZUNIONSTORE', 'w:zdest', '1', 'r:zset'],
      ['COPY', 'r:str', 'w:copy'],
      ['SUNIONSTORE', 'r:dest', 'r:set'],
      ['EXEC'],
    ]));

  test('script calls check each key', () =>
    compare([
      ...USERS,
      ...DATA,
      ['AUTH', 'split', 'pw'],
      ['EVAL', "return redis.call('sunionstore', 'w:dest', 'r:set')", '0'],
      ['EVAL', "return redis.call('copy', 'r:str', 'w:copy')", '0'],
      ['EVAL', "return redis.call('set', 'w:str', 'v')", '0'],
      ['EVAL', "return redis.pcall('sunionstore', 'r:dest', 'r:set')", '0'],
      ['EVAL', "return redis.pcall('set', 'w:str', 'v', 'get')", '0'],
    ]));
});
