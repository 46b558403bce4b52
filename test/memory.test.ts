/**
 * Used-memory accounting and the MEMORY command: used_memory follows the
 * data and agrees with the process's RSS after a large load, MEMORY STATS
 * has Redis's fields, and MEMORY USAGE's replies and errors match
 * redis-server.
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

async function memoryField(client: Redis, field: string): Promise<number> {
  const text = String(await client.call('INFO', 'memory'));
  const match = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  assert.ok(match, `INFO memory has no ${field}`);
  return Number(match[1]);
}

/** Decodes MEMORY STATS into [name, kind] pairs: kind is 'int', 'text' or 'map'. */
function statsShape(reply: unknown[]): [string, string][] {
  const shape: [string, string][] = [];
  for (let i = 0; i < reply.length; i += 2) {
    const value = reply[i + 1];
    const kind = Array.isArray(value) ? 'map' : typeof value === 'number' ? 'int' : 'text';
    shape.push([String(reply[i]), kind]);
  }
  return shape;
}

describe('used memory', () => {
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

  // The dataset part of used_memory: the rest also counts client buffers, which move
  // with whatever the connections have in flight.
  const DATASET = 'used_memory_dataset';

  test('grows with the data and shrinks back', async () => {
    await client.flushall();
    const empty = await memoryField(client, DATASET);
    await client.set('big', 'x'.repeat(100000));
    const withString = await memoryField(client, DATASET);
    assert.ok(withString - empty >= 100000, 'a 100 kB value adds at least 100 kB');
    assert.ok(withString - empty < 140000, 'and at most the heap slack more');
    await client.del('big');
    assert.equal(await memoryField(client, DATASET), empty);
  });

  test('counts collections changed in place', async () => {
    await client.flushall();
    const empty = await memoryField(client, DATASET);
    const pipeline = client.pipeline();
    for (let i = 0; i < 2000; i++) pipeline.hset('hash', `field:${i}`, 'v'.repeat(50));
    await pipeline.exec();
    const grown = await memoryField(client, DATASET);
    assert.ok(grown - empty > 2000 * 100, 'each field and value is counted');
    await client.hdel('hash', ...Array.from({ length: 1000 }, (_, i) => `field:${i}`));
    const halved = await memoryField(client, DATASET);
    assert.ok(halved < grown && halved > empty, 'removing fields gives memory back');
    await client.flushall();
    assert.equal(await memoryField(client, DATASET), empty);
  });

  test('agrees with RSS within 15% after loading a million keys', async () => {
    await client.flushall();
    await client.call('DEBUG', 'POPULATE', '1000000');
    assert.equal(await client.dbsize(), 1000000);
    // RSS moves with garbage collection, so it is read for up to 3 s until they agree.
    let difference = Infinity;
    let readings = '';
    for (let attempt = 0; attempt < 7 && difference > 0.15; attempt++) {
      if (attempt > 0) await sleep(500);
      const used = await memoryField(client, 'used_memory');
      const rss = await memoryField(client, 'used_memory_rss');
      difference = Math.abs(rss - used) / rss;
      readings += ` used_memory ${used} RSS ${rss};`;
    }
    assert.ok(difference <= 0.15, `used memory and RSS differ by over 15%:${readings}`);
    await client.flushall();
  });

  test('MEMORY USAGE estimates collections by sampling', async () => {
    await client.flushall();
    const pipeline = client.pipeline();
    for (let i = 0; i < 500; i++) pipeline.rpush('list', i < 5 ? 'short' : 'x'.repeat(100));
    await pipeline.exec();
    const sampled = Number(await client.call('MEMORY', 'USAGE', 'list'));
    const exact = Number(await client.call('MEMORY', 'USAGE', 'list', 'SAMPLES', '0'));
    assert.ok(exact > sampled, 'sampling the first five short elements underestimates');
    assert.ok(exact > 500 * 100, 'every element is counted with SAMPLES 0');
  });

  test('MEMORY DOCTOR, MALLOC-STATS and PURGE reply', async () => {
    assert.match(String(await client.call('MEMORY', 'DOCTOR')), /\w/);
    assert.match(String(await client.call('MEMORY', 'MALLOC-STATS')), /total_heap_size: \d+/);
    assert.equal(await client.call('MEMORY', 'PURGE'), 'OK');
  });
});

describe('MEMORY against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    const started = await Promise.all([startDamselfly(), startRedisServer()]);
    damselfly = started[0];
    redis = started[1] as ServerProcess;
  });

  after(stopAllServers);

  test('MEMORY USAGE replies and errors', async () => {
    await assertDifferential({ port: damselfly.port }, { port: redis.port }, [
      ['SET', 'k', 'v'],
      ['MEMORY', 'USAGE', 'missing'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES', '-1'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES', 'abc'],
      ['MEMORY', 'USAGE', 'k', 'FOO', '1'],
      ['MEMORY', 'USAGE', 'k', 'SAMPLES'],
      ['MEMORY', 'USAGE'],
      ['MEMORY', 'NOSUCH'],
    ]);
  });

  test('MEMORY STATS has the same fields', async () => {
    const ours = new Redis(damselfly.port);
    const theirs = new Redis(redis.port);
    await ours.set('k', 'v');
    await theirs.set('k', 'v');
    const oursShape = statsShape((await ours.call('MEMORY', 'STATS')) as unknown[]);
    const theirsShape = statsShape((await theirs.call('MEMORY', 'STATS')) as unknown[]);
    ours.disconnect();
    theirs.disconnect();
    assert.deepEqual(oursShape, theirsShape);
  });
});
