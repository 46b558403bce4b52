/**
 * Function libraries survive restarts: they are written into snapshots and
 * append-only base files (in RDB form and as commands) and loaded back, and
 * snapshots with libraries move between Damselfly and redis-server 7.0.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Redis from 'ioredis';
import { buildRdb } from '../src/persistence/rdb-file';
import { makeTempDir, sleep, stopAllServers } from './support/server-process';
import { redisServerSkipReason, startDamselfly, startRedisServer } from './support/servers';

after(stopAllServers);

const LIBRARY = [
  '#!lua name=greetings',
  "redis.register_function('hello', function(keys, args) return 'hello ' .. args[1] end)",
].join('\n');

function client(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** Checks that the library is loaded and its function runs. */
async function checkLibrary(port: number): Promise<void> {
  const redis = client(port);
  assert.equal(await redis.fcall('hello', 0, 'world'), 'hello world');
  const listed = (await redis.call('FUNCTION', 'LIST', 'WITHCODE')) as unknown[][];
  assert.equal(listed.length, 1);
  assert.ok(listed[0].includes(LIBRARY));
  redis.disconnect();
}

/** Waits until an append-only rewrite has produced base file number `seq`. */
async function waitForBase(dir: string, seq: number): Promise<void> {
  const manifest = path.join(dir, 'appendonlydir', 'appendonly.aof.manifest');
  for (let i = 0; i < 100; i++) {
    if (fs.readFileSync(manifest, 'latin1').includes(`seq ${seq} type b`)) return;
    await sleep(100);
  }
  assert.fail(`no base file ${seq} after 10 s`);
}

describe('function libraries in snapshots', () => {
  test('a snapshot keeps libraries', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir });
    const redis = client(server.port);
    await redis.call('FUNCTION', 'LOAD', LIBRARY);
    await redis.save();
    redis.disconnect();
    await server.stop();

    const restarted = await startDamselfly({ dir });
    await checkLibrary(restarted.port);
  });

  test('a library that does not compile stops start-up', async () => {
    const dir = makeTempDir();
    const broken = '#!lua name=broken\nthis is not lua';
    fs.writeFileSync(path.join(dir, 'dump.rdb'), buildRdb([], [], [broken]));
    const server = await startDamselfly({ dir, waitUntilReady: false });
    const status = await server.exited;
    assert.notEqual(status.code, 0);
    assert.match(server.stderr() + server.stdout(), /function library in .* failed to load/);
  });
});

describe('function libraries in append-only files', () => {
  for (const preamble of ['yes', 'no']) {
    test(`a rewrite keeps libraries with aof-use-rdb-preamble ${preamble}`, async () => {
      const dir = makeTempDir();
      const args = ['--appendonly', 'yes', '--aof-use-rdb-preamble', preamble];
      const server = await startDamselfly({ dir, args });
      const redis = client(server.port);
      await redis.call('FUNCTION', 'LOAD', LIBRARY);
      await redis.bgrewriteaof();
      await waitForBase(dir, 2);
      redis.disconnect();
      server.child.kill('SIGKILL');
      await server.exited;

      const restarted = await startDamselfly({ dir, args });
      await checkLibrary(restarted.port);
    });
  }
});

describe('function libraries across servers', { skip: redisServerSkipReason() }, () => {
  test('Redis loads libraries from a Damselfly snapshot', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir });
    const redis = client(server.port);
    await redis.call('FUNCTION', 'LOAD', LIBRARY);
    await redis.set('key', 'value');
    await redis.save();
    redis.disconnect();
    await server.stop();

    const reference = await startRedisServer({ dir });
    assert.ok(reference);
    await checkLibrary(reference.port);
  });

  test('Damselfly loads libraries from a Redis snapshot', async () => {
    const dir = makeTempDir();
    const reference = await startRedisServer({ dir });
    assert.ok(reference);
    const redis = client(reference.port);
    await redis.call('FUNCTION', 'LOAD', LIBRARY);
    await redis.save();
    redis.disconnect();
    await reference.stop();

    const server = await startDamselfly({ dir });
    await checkLibrary(server.port);
  });
});
