/**
 * The memcached port and the Redis port share database 0: values written by
 * one protocol are read by the other, client flags and CAS values behave as
 * the README states, and the wrong protocol on either port breaks nothing.
 * Also pins where Damselfly deliberately differs from memcached 1.6.18.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';

import {
  CLOSED,
  exchange,
  MemcacheLineClient,
  startDamselflyWithMemcached,
  type MemcacheServer,
} from './memcache-support';
import { RawClient } from './support/raw-client';

let server: MemcacheServer;
let redis: Redis;
let memcache: MemcacheLineClient;

before(async () => {
  server = await startDamselflyWithMemcached();
  redis = new Redis({ port: server.port, lazyConnect: true });
  await redis.connect();
  memcache = await MemcacheLineClient.connect(server.memcachedPort);
});

after(() => {
  memcache.close();
  redis.disconnect();
});

/** Returns [flags, cas] of a key from `gets`, or null on a miss. */
async function flagsAndCas(key: string): Promise<[number, bigint] | null> {
  const reply = await memcache.retrieve(`gets ${key}\r\n`);
  const match = /^VALUE \S+ (\d+) \d+ (\d+)\r\n/.exec(reply);
  return match === null ? null : [Number(match[1]), BigInt(match[2])];
}

describe('values across protocols', () => {
  test('memcached set, redis get', async () => {
    assert.equal(await memcache.call('set shared 5 0 5\r\nhello\r\n'), 'STORED');
    assert.equal(await redis.get('shared'), 'hello');
    assert.equal(await redis.type('shared'), 'string');
  });

  test('redis set, memcached get', async () => {
    await redis.set('from-redis', 'value');
    assert.equal(
      await memcache.retrieve('get from-redis\r\n'),
      'VALUE from-redis 0 5\r\nvalue\r\nEND\r\n',
    );
  });

  test('binary values round trip', async () => {
    const bytes = Buffer.from([0, 13, 10, 255, 128, 32]);
    await redis.set('binary', bytes);
    const reply = await memcache.retrieve('get binary\r\n');
    assert.equal(reply, `VALUE binary 0 6\r\n${bytes.toString('latin1')}\r\nEND\r\n`);
  });

  test('incr on a redis number', async () => {
    await redis.set('counter', '10');
    assert.equal(await memcache.call('incr counter 5\r\n'), '15');
    assert.equal(await redis.incr('counter'), 16);
    assert.equal(await memcache.call('decr counter 20\r\n'), '0');
    assert.equal(await redis.get('counter'), '0');
  });

  test('redis del, memcached miss', async () => {
    await memcache.call('set gone 0 0 1\r\nx\r\n');
    await redis.del('gone');
    assert.equal(await memcache.retrieve('get gone\r\n'), 'END\r\n');
  });

  test('memcached delete, redis miss', async () => {
    await redis.set('removed', 'x');
    assert.equal(await memcache.call('delete removed\r\n'), 'DELETED');
    assert.equal(await redis.exists('removed'), 0);
  });
});

describe('flags and cas across protocols', () => {
  test('redis set resets flags and cas', async () => {
    await memcache.call('set item 7 0 1\r\na\r\n');
    const before = await flagsAndCas('item');
    await redis.set('item', 'b');
    const after = await flagsAndCas('item');
    assert.deepEqual(before?.[0], 7);
    assert.equal(after?.[0], 0);
    assert.notEqual(after?.[1], before?.[1]);
    assert.equal(await memcache.call(`cas item 1 0 1 ${before?.[1]}\r\nc\r\n`), 'EXISTS');
  });

  test('redis set of the same value resets flags', async () => {
    await memcache.call('set same 9 0 1\r\na\r\n');
    await redis.set('same', 'a');
    assert.equal((await flagsAndCas('same'))?.[0], 0);
  });

  test('redis append resets flags', async () => {
    await memcache.call('set appended 3 0 1\r\na\r\n');
    await redis.append('appended', 'b');
    assert.deepEqual(
      await memcache.retrieve('get appended\r\n'),
      'VALUE appended 0 2\r\nab\r\nEND\r\n',
    );
  });

  test('cas of a redis value is stable until written', async () => {
    await redis.set('stable', 'v');
    const first = await flagsAndCas('stable');
    const second = await flagsAndCas('stable');
    assert.equal(first?.[1], second?.[1]);
    assert.equal(await memcache.call(`cas stable 4 0 1 ${first?.[1]}\r\nw\r\n`), 'STORED');
    assert.equal(await redis.get('stable'), 'w');
    assert.equal((await flagsAndCas('stable'))?.[0], 4);
  });

  test('redis expire resets flags', async () => {
    await memcache.call('set ttl 6 0 1\r\nx\r\n');
    await redis.expire('ttl', 100);
    assert.equal((await flagsAndCas('ttl'))?.[0], 0);
  });

  test('flushall forgets flags', async () => {
    await memcache.call('set flushed 8 0 1\r\nx\r\n');
    await redis.flushall();
    await redis.set('flushed', 'x');
    assert.equal((await flagsAndCas('flushed'))?.[0], 0);
  });

  test('memcached writes keep redis watch honest', async () => {
    await redis.set('watched', '1');
    const watcher = new Redis({ port: server.port });
    await watcher.watch('watched');
    await memcache.call('set watched 0 0 1\r\n2\r\n');
    const result = await watcher.multi().set('watched', '3').exec();
    watcher.disconnect();
    assert.equal(result, null);
    assert.equal(await redis.get('watched'), '2');
  });
});

describe('expiry across protocols', () => {
  test('memcached exptime is a redis ttl', async () => {
    await memcache.call('set expiring 0 100 1\r\nx\r\n');
    const ttl = await redis.ttl('expiring');
    assert.ok(ttl > 95, `ttl ${ttl}`);
    assert.ok(ttl <= 100, `ttl ${ttl}`);
  });

  test('redis expire is a memcached ttl', async () => {
    await redis.set('redis-ttl', 'x', 'EX', 50);
    assert.match(await memcache.call('mg redis-ttl t\r\n'), /^HD t(49|50)$/);
  });

  test('touch 0 persists', async () => {
    await memcache.call('set persisted 0 100 1\r\nx\r\n');
    assert.equal(await memcache.call('touch persisted 0\r\n'), 'TOUCHED');
    assert.equal(await redis.ttl('persisted'), -1);
  });

  test('absolute exptime', async () => {
    const when = Math.floor(Date.now() / 1000) + 1000;
    await memcache.call(`set absolute 0 ${when} 1\r\nx\r\n`);
    const ttl = await redis.ttl('absolute');
    assert.ok(ttl > 990, `ttl ${ttl}`);
    assert.ok(ttl <= 1000, `ttl ${ttl}`);
  });
});

describe('other redis types', () => {
  test('get misses a list', async () => {
    await redis.rpush('list', 'a');
    assert.equal(await memcache.retrieve('get list\r\n'), 'END\r\n');
    assert.equal(await memcache.call('mg list v\r\n'), 'EN');
  });

  test('add and delete leave a list alone', async () => {
    await redis.rpush('list2', 'a');
    assert.equal(await memcache.call('add list2 0 0 1\r\nx\r\n'), 'NOT_STORED');
    assert.equal(await memcache.call('delete list2\r\n'), 'NOT_FOUND');
    assert.equal(await memcache.call('incr list2 1\r\n'), 'NOT_FOUND');
    assert.equal(await redis.type('list2'), 'list');
  });

  test('set replaces a list', async () => {
    await redis.rpush('list3', 'a');
    assert.equal(await memcache.call('set list3 0 0 1\r\nx\r\n'), 'STORED');
    assert.equal(await redis.type('list3'), 'string');
  });

  test('flush_all empties database 0 only', async () => {
    await redis.set('in-zero', 'x');
    await redis.select(1);
    await redis.set('in-one', 'x');
    assert.equal(await memcache.call('flush_all\r\n'), 'OK');
    assert.equal(await redis.exists('in-one'), 1);
    await redis.select(0);
    assert.equal(await redis.dbsize(), 0);
  });

  test('delayed flush_all', async () => {
    await redis.set('later', 'x');
    assert.equal(await memcache.call('flush_all 1\r\n'), 'OK');
    assert.equal(await redis.exists('later'), 1);
    await new Promise((resolve) => setTimeout(resolve, 1300));
    assert.equal(await redis.exists('later'), 0);
  });
});

describe('wrong protocol on each port', () => {
  test('redis commands on the memcached port', async () => {
    const reply = await exchange(server.memcachedPort, '*1\r\n$4\r\nPING\r\nPING\r\n');
    assert.equal(reply, 'ERROR\r\nERROR\r\nERROR\r\nERROR\r\n');
    assert.equal(await redis.ping(), 'PONG');
  });

  test('memcached commands on the redis port', async () => {
    const client = await RawClient.connect(server.port);
    await client.send('set k 0 0 1\r\nx\r\nget k\r\nversion\r\n');
    const reply = (await client.readUntilQuiet(150)).toString('latin1');
    client.destroy();
    assert.match(reply, /^-ERR /);
    assert.equal(await redis.ping(), 'PONG');
  });

  test('ioredis on the memcached port', async () => {
    const wrong = new Redis({
      port: server.memcachedPort,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    wrong.on('error', () => undefined);
    await assert.rejects(async () => {
      await wrong.connect();
      await wrong.ping();
    });
    wrong.disconnect();
    assert.equal(await memcache.call('version\r\n'), 'VERSION 1.6.18');
  });
});

describe('deliberate differences from memcached', () => {
  test('negative deltas are invalid', async () => {
    await memcache.call('set n 0 0 2\r\n10\r\n');
    for (const delta of ['-1', '-0', '-18446744073709551610', '-9223372036854775809']) {
      const reply = await memcache.call(`incr n ${delta}\r\n`);
      assert.equal(reply, 'CLIENT_ERROR invalid numeric delta argument', delta);
    }
  });

  test('control characters in keys', async () => {
    for (const key of ['a\tb', 'a\x01', 'a\x7f']) {
      assert.equal(await memcache.call(`get ${key}\r\n`), 'CLIENT_ERROR bad command line format');
    }
    assert.equal(
      await memcache.call('set a\tb 0 0 1\r\nx\r\n'),
      'CLIENT_ERROR bad command line format',
    );
    assert.equal(await memcache.line(), 'ERROR');
  });

  test('decr does not pad', async () => {
    await memcache.call('set p 0 0 3\r\n100\r\n');
    assert.equal(await memcache.call('decr p 1\r\n'), '99');
    assert.equal(await redis.get('p'), '99');
  });

  test('large announced length sends no reply', async () => {
    const reply = await exchange(server.memcachedPort, 'set big 0 0 2147483645 noreply\r\nabc');
    assert.equal(reply, '');
    assert.notEqual(reply, CLOSED);
  });
});
