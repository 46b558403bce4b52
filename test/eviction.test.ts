/**
 * maxmemory and the eviction policies: which keys each policy removes, that
 * used memory stays under the limit, evicted-key events and counters, the
 * OOM error compared with redis-server, and OBJECT IDLETIME and FREQ.
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

const VALUE = 'v'.repeat(1000);
/** Room for data above the memory in use when a case starts. */
const ROOM = 2 * 1024 * 1024;
const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

async function infoField(client: Redis, section: string, field: string): Promise<number> {
  const text = String(await client.call('INFO', section));
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  assert.ok(match, `INFO ${section} has no ${field}`);
  return Number(match[1]);
}

/** Returns the used memory that maxmemory limits: used_memory less mem_not_counted_for_evict. */
async function evictable(client: Redis): Promise<number> {
  const used = await infoField(client, 'memory', 'used_memory');
  return used - (await infoField(client, 'memory', 'mem_not_counted_for_evict'));
}

/** Empties the server, sets the policy and a limit ROOM bytes above current use. */
async function limitTo(client: Redis, policy: string): Promise<number> {
  await client.config('SET', 'maxmemory', '0');
  await client.flushall();
  await client.config('SET', 'maxmemory-policy', policy);
  const limit = (await evictable(client)) + ROOM;
  await client.config('SET', 'maxmemory', String(limit));
  return limit;
}

/**
 * Writes `count` keys named prefix:i, in pipelined batches, with an optional
 * TTL in seconds. Rejects with the first error reply.
 */
async function fill(client: Redis, prefix: string, count: number, ttl = 0): Promise<void> {
  for (let start = 0; start < count; start += 100) {
    const pipeline = client.pipeline();
    for (let i = start; i < Math.min(count, start + 100); i++) {
      if (ttl > 0) pipeline.set(`${prefix}:${i}`, VALUE, 'EX', ttl);
      else pipeline.set(`${prefix}:${i}`, VALUE);
    }
    const failed = ((await pipeline.exec()) ?? []).find(([error]) => error !== null);
    if (failed !== undefined) throw failed[0];
  }
}

async function countExisting(client: Redis, prefix: string, count: number): Promise<number> {
  const pipeline = client.pipeline();
  for (let i = 0; i < count; i++) pipeline.exists(`${prefix}:${i}`);
  const results = (await pipeline.exec()) ?? [];
  return results.filter(([, exists]) => exists === 1).length;
}

describe('eviction policies', () => {
  let server: ServerProcess;
  let client: Redis;

  before(async () => {
    server = await startDamselfly({ args: ['--enable-debug-command', 'yes'] });
    client = new Redis(server.port);
  });

  after(async () => {
    client.disconnect();
    await stopAllServers();
  });

  test('noeviction refuses writes and serves reads', async () => {
    await limitTo(client, 'noeviction');
    await client.set('kept', 'yes');
    await assert.rejects(
      fill(client, 'k', 5000).then(() => client.set('more', VALUE)),
      {
        message: OOM,
      },
    );
    assert.equal(await client.get('kept'), 'yes');
    assert.equal(await client.del('kept'), 1);
    assert.equal(await infoField(client, 'stats', 'evicted_keys'), 0);
  });

  test('allkeys-lru keeps recently read keys', async () => {
    const limit = await limitTo(client, 'allkeys-lru');
    await fill(client, 'hot', 100);
    for (let round = 0; round < 30; round++) {
      await fill(client, `cold${round}`, 100);
      const pipeline = client.pipeline();
      for (let i = 0; i < 100; i++) pipeline.get(`hot:${i}`);
      await pipeline.exec();
    }
    assert.equal(await countExisting(client, 'hot', 100), 100);
    assert.ok((await countExisting(client, 'cold0', 100)) < 100, 'old cold keys were evicted');
    assert.ok((await infoField(client, 'stats', 'evicted_keys')) > 0);
    assert.ok((await evictable(client)) <= limit, 'used memory is under maxmemory');
  });

  test('allkeys-lfu keeps often read keys', async () => {
    const limit = await limitTo(client, 'allkeys-lfu');
    await client.config('SET', 'lfu-log-factor', '0');
    await fill(client, 'hot', 100);
    for (let read = 0; read < 20; read++) {
      const pipeline = client.pipeline();
      for (let i = 0; i < 100; i++) pipeline.get(`hot:${i}`);
      await pipeline.exec();
    }
    await fill(client, 'cold', 3000);
    assert.ok((await countExisting(client, 'hot', 100)) >= 95, 'most hot keys survive');
    assert.ok((await countExisting(client, 'cold', 3000)) < 3000);
    assert.ok((await evictable(client)) <= limit);
    await client.config('SET', 'lfu-log-factor', '10');
  });

  test('allkeys-random stays under the limit', async () => {
    const limit = await limitTo(client, 'allkeys-random');
    await fill(client, 'k', 4000);
    assert.ok((await countExisting(client, 'k', 4000)) < 4000);
    assert.ok((await evictable(client)) <= limit);
  });

  for (const policy of ['volatile-lru', 'volatile-lfu', 'volatile-random']) {
    test(`${policy} evicts only keys with a TTL`, async () => {
      await limitTo(client, policy);
      await fill(client, 'persistent', 600);
      await fill(client, 'volatile', 3000, 1000);
      assert.equal(await countExisting(client, 'persistent', 600), 600);
      assert.ok((await countExisting(client, 'volatile', 3000)) < 3000);
      await assert.rejects(fill(client, 'more-persistent', 3000), { message: OOM });
    });
  }

  test('volatile-ttl evicts the soonest expiring keys first', async () => {
    await limitTo(client, 'volatile-ttl');
    await fill(client, 'late', 400, 100000);
    await fill(client, 'soon', 400, 1000);
    await fill(client, 'filler', 2500, 50000);
    // Sampling is approximate, as in Redis: a few late keys may go too.
    assert.ok((await countExisting(client, 'late', 400)) >= 380, 'late-expiring keys stay');
    assert.ok((await countExisting(client, 'soon', 400)) < 100, 'soon-expiring keys went first');
  });

  test('evicted keys raise keyspace events', async () => {
    await limitTo(client, 'allkeys-random');
    await client.config('SET', 'notify-keyspace-events', 'Ee');
    const subscriber = new Redis(server.port);
    const evicted: string[] = [];
    subscriber.on('message', (_channel: string, key: string) => evicted.push(key));
    await subscriber.subscribe('__keyevent@0__:evicted');
    const before = await infoField(client, 'stats', 'evicted_keys');
    await fill(client, 'k', 4000);
    // Client buffers count in used memory, so even the INFO replies here may evict a key
    // more: wait until the events have caught up with the counter.
    let count = 0;
    for (let attempt = 0; attempt < 40; attempt++) {
      await sleep(50);
      count = (await infoField(client, 'stats', 'evicted_keys')) - before;
      if (attempt >= 3 && evicted.length === count) break;
    }
    subscriber.disconnect();
    await client.config('SET', 'notify-keyspace-events', '');
    assert.ok(count > 0);
    assert.equal(evicted.length, count);
    assert.equal(await client.exists(evicted[0]), 0);
  });

  test('lowering maxmemory evicts at once', async () => {
    await limitTo(client, 'allkeys-lru');
    await fill(client, 'k', 1500);
    const lower = (await evictable(client)) - ROOM / 2;
    await client.config('SET', 'maxmemory', String(lower));
    await sleep(100);
    assert.ok((await evictable(client)) <= lower);
  });

  test('OBJECT IDLETIME counts seconds since the last access under an LRU policy', async () => {
    await client.config('SET', 'maxmemory', '0');
    await client.config('SET', 'maxmemory-policy', 'volatile-lru');
    await client.set('idle', 'x');
    await client.set('busy', 'x');
    await sleep(2100);
    await client.get('busy');
    assert.ok(Number(await client.object('IDLETIME', 'idle')) >= 2);
    assert.equal(await client.object('IDLETIME', 'busy'), 0);
    assert.ok(Number(await client.object('IDLETIME', 'idle')) >= 2, 'OBJECT is not an access');
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    assert.equal(await client.object('IDLETIME', 'idle'), 0, 'no access times without LRU');
  });

  test('RESTORE sets the idle time or frequency it is given', async () => {
    await client.config('SET', 'maxmemory', '0');
    await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await client.set('source', 'x');
    const payload = await client.dumpBuffer('source');
    await client.call('RESTORE', 'restored:idle', '0', payload, 'IDLETIME', '1000');
    const idle = Number(await client.object('IDLETIME', 'restored:idle'));
    assert.ok(idle >= 1000, `idle ${idle}`);
    assert.ok(idle <= 1001, `idle ${idle}`);
    await client.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    await client.call('RESTORE', 'restored:frequent', '0', payload, 'FREQ', '200');
    assert.equal(await client.object('FREQ', 'restored:frequent'), 200);
    await client.config('SET', 'maxmemory-policy', 'noeviction');
  });

  test('OBJECT FREQ counts accesses under an LFU policy', async () => {
    await client.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    await client.config('SET', 'lfu-log-factor', '0');
    await client.set('counted', 'x');
    assert.equal(await client.object('FREQ', 'counted'), 5);
    for (let i = 0; i < 10; i++) await client.get('counted');
    assert.equal(await client.object('FREQ', 'counted'), 15);
    await client.config('SET', 'lfu-log-factor', '10');
    await client.config('SET', 'maxmemory-policy', 'noeviction');
  });
});

describe('OOM against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    [damselfly, redis] = await Promise.all([startDamselfly(), startRedisServer()]).then(
      ([ours, theirs]) => [ours, theirs as ServerProcess],
    );
  });

  after(stopAllServers);

  /** Sets a limit of 1 byte under noeviction, so every server is over it. */
  async function goOverLimit(port: number): Promise<void> {
    const client = new Redis(port);
    await client.flushall();
    await client.set('kept', 'value');
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    await client.config('SET', 'maxmemory', '1');
    client.disconnect();
  }

  test('same replies once over the limit', async () => {
    await goOverLimit(damselfly.port);
    await goOverLimit(redis.port);
    await assertDifferential(
      { port: damselfly.port },
      { port: redis.port },
      [
        ['SET', 'new', 'value'],
        ['GET', 'kept'],
        ['APPEND', 'kept', 'more'],
        ['LPUSH', 'list', 'a'],
        ['EXISTS', 'kept'],
        ['MULTI'],
        ['GET', 'kept'],
        ['DISCARD'],
        ['MULTI'],
        ['SET', 'x', 'y'],
        ['EXEC'],
        ['INCR', 'counter'],
      ],
      { flush: false },
    );
  });
});
