/**
 * Hash field expiry times (HEXPIRE and its family) survive snapshots, DUMP
 * and RESTORE, and append-only rewrites in both base file forms. Payloads
 * in the listpack form Redis 7.4 writes for small hashes load too.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Redis from 'ioredis';
import { crc64 } from '../src/persistence/crc64';
import { RdbEncoder } from '../src/persistence/rdb-encoder';
import { encodeListpack } from '../src/persistence/rdb-values';
import { makeTempDir, sleep, stopAllServers } from './support/server-process';
import { startDamselfly } from './support/servers';

after(stopAllServers);

function client(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
}

/** Stores hash `hx` with field a expiring in 1000 s and field b without an expiry time. */
async function fillHash(redis: Redis): Promise<void> {
  await redis.hset('hx', 'a', '1', 'b', '2');
  await redis.call('HEXPIRE', 'hx', '1000', 'FIELDS', '1', 'a');
}

async function checkHash(redis: Redis): Promise<void> {
  assert.deepEqual(await redis.hgetall('hx'), { a: '1', b: '2' });
  const ttl = (await redis.call('HTTL', 'hx', 'FIELDS', '2', 'a', 'b')) as number[];
  assert.ok(ttl[0] > 990, `HTTL of a: ${ttl[0]}`);
  assert.ok(ttl[0] <= 1000, `HTTL of a: ${ttl[0]}`);
  assert.equal(ttl[1], -1);
}

/** Waits until `check` returns true, for up to five seconds. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    if (await check()) return;
    await sleep(100);
  }
  assert.fail(`${what} did not happen within 5 s`);
}

describe('hash field expiry in snapshots', () => {
  test('a snapshot keeps expiry times', async () => {
    const dir = makeTempDir();
    const first = await startDamselfly({ dir });
    const redis = client(first.port);
    await fillHash(redis);
    await redis.save();
    redis.disconnect();
    await first.stop();

    const second = await startDamselfly({ dir });
    const reader = client(second.port);
    await checkHash(reader);
    reader.disconnect();
  });

  test('fields that expired while stopped are removed', async () => {
    const dir = makeTempDir();
    const first = await startDamselfly({ dir });
    const redis = client(first.port);
    await fillHash(redis);
    await redis.hset('gone', 'x', '1');
    await redis.call('HPEXPIRE', 'gone', '300', 'FIELDS', '1', 'x');
    await redis.call('HPEXPIRE', 'hx', '300', 'FIELDS', '1', 'b');
    await redis.save();
    redis.disconnect();
    await first.stop();
    await sleep(400);

    const second = await startDamselfly({ dir });
    const reader = client(second.port);
    assert.deepEqual(await reader.hgetall('hx'), { a: '1' });
    await eventually(async () => (await reader.exists('gone')) === 0, 'removing key gone');
    reader.disconnect();
  });
});

describe('hash field expiry in DUMP payloads', () => {
  test('RESTORE keeps expiry times', async () => {
    const server = await startDamselfly();
    const redis = client(server.port);
    await fillHash(redis);
    const payload = await redis.dumpBuffer('hx');
    await redis.del('hx');
    await redis.restore('hx', 0, payload);
    await checkHash(redis);
    redis.disconnect();
  });

  test('the listpack form loads', async () => {
    const server = await startDamselfly();
    const redis = client(server.port);
    const when = Date.now() + 1_000_000;
    const encoder = new RdbEncoder();
    encoder.byte(25);
    encoder.uint64(when);
    encoder.string(encodeListpack(['a', '1', String(when), 'b', '2', '0']));
    encoder.byte(10);
    encoder.byte(0);
    const body = encoder.take();
    const checksum = Buffer.alloc(8);
    checksum.writeBigUInt64LE(crc64(body));
    await redis.restore('hx', 0, Buffer.concat([body, checksum]));
    await checkHash(redis);
    redis.disconnect();
  });
});

describe('hash field expiry in append-only rewrites', () => {
  for (const preamble of ['yes', 'no']) {
    test(`a rewrite keeps expiry times with aof-use-rdb-preamble ${preamble}`, async () => {
      const dir = makeTempDir();
      const args = ['--appendonly', 'yes', '--aof-use-rdb-preamble', preamble];
      const first = await startDamselfly({ dir, args });
      const redis = client(first.port);
      await fillHash(redis);
      await redis.bgrewriteaof();
      const manifest = path.join(dir, 'appendonlydir', 'appendonly.aof.manifest');
      await eventually(
        async () => fs.readFileSync(manifest, 'latin1').includes('seq 2 type b'),
        'the rewrite',
      );
      redis.disconnect();
      first.child.kill('SIGKILL');
      await first.exited;

      const second = await startDamselfly({ dir, args });
      const reader = client(second.port);
      await checkHash(reader);
      reader.disconnect();
    });
  }
});
