/**
 * The DEBUG subcommands that operations and memory tests lean on, compared
 * with redis-server: POPULATE, RELOAD and SET-ACTIVE-EXPIRE.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { assertDifferential } from './support/differential';
import {
  redisServerSkipReason,
  sleep,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

const DEBUG_ON = ['--enable-debug-command', 'yes'];

describe('DEBUG against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const endpoints = (): [{ port: number }, { port: number }] => [
    { port: damselfly.port },
    { port: redis.port },
  ];

  before(async () => {
    const started = await Promise.all([
      startDamselfly({ args: DEBUG_ON }),
      startRedisServer({ args: DEBUG_ON }),
    ]);
    damselfly = started[0];
    redis = started[1] as ServerProcess;
  });

  after(stopAllServers);

  test('POPULATE creates keys and leaves existing ones', async () => {
    await assertDifferential(...endpoints(), [
      ['SET', 'key:1', 'mine'],
      ['DEBUG', 'POPULATE', '3'],
      ['MGET', 'key:0', 'key:1', 'key:2', 'key:3'],
      ['DEBUG', 'POPULATE', '2', 'padded', '10'],
      ['GET', 'padded:0'],
      ['DEBUG', 'POPULATE', '2', 'cut', '3'],
      ['GET', 'cut:1'],
      ['DEBUG', 'POPULATE', '1', 'zero', '0'],
      ['GET', 'zero:0'],
      ['DEBUG', 'POPULATE', '0'],
      ['DBSIZE'],
      ['DEBUG', 'POPULATE', '-1'],
      ['DEBUG', 'POPULATE', 'abc'],
      ['DEBUG', 'POPULATE', '1', 'p', '-5'],
      ['DEBUG', 'POPULATE', '1', 'p', 'abc'],
      ['DEBUG', 'POPULATE', '1', 'p', '1', 'extra'],
      ['DEBUG', 'POPULATE'],
    ]);
  });

  test('RELOAD keeps keys, values and TTLs', async () => {
    await assertDifferential(...endpoints(), [
      ['SET', 'plain', 'value'],
      ['SET', 'expiring', 'value', 'EX', '1000'],
      ['HSET', 'hash', 'field', 'value'],
      ['RPUSH', 'list', 'a', 'b'],
      ['DEBUG', 'RELOAD'],
      ['DBSIZE'],
      ['GET', 'plain'],
      { command: ['TTL', 'expiring'], normalize: [/:(99\d|1000)\r\n/, ':TTL\r\n'] },
      ['HGETALL', 'hash'],
      ['LRANGE', 'list', '0', '-1'],
      ['DEBUG', 'RELOAD', 'NOSAVE'],
      ['DBSIZE'],
      ['DEBUG', 'RELOAD', 'FOO'],
    ]);
  });

  test('SET-ACTIVE-EXPIRE 0 keeps expired keys until read', async () => {
    const counts = await Promise.all(
      [damselfly.port, redis.port].map(async (port) => {
        const client = new Redis(port);
        await client.flushall();
        await client.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
        await client.set('short', 'v', 'PX', 50);
        await sleep(400);
        const whileOff = await client.dbsize();
        await client.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
        await sleep(400);
        const afterOn = await client.dbsize();
        client.disconnect();
        return [whileOff, afterOn];
      }),
    );
    assert.deepEqual(counts[0], [1, 0]);
    assert.deepEqual(counts[0], counts[1]);
  });
});
