/**
 * Memcached writes and the append-only file: with `appendfsync always`, a
 * reply is sent only once the write it reports is on disk, so everything a
 * memcached client saw acknowledged survives kill -9.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import Redis from 'ioredis';

import { MemcacheLineClient, waitForPort } from './memcache-support';
import { makeTempDir, sleep, stopAllServers } from './support/server-process';
import { findFreePort, startDamselfly, type ServerProcess } from './support/servers';

after(() => stopAllServers());

async function startWithLog(dir: string, memcachedPort: number): Promise<ServerProcess> {
  const server = await startDamselfly({
    dir,
    args: [
      '--memcached-port',
      String(memcachedPort),
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
    ],
  });
  await waitForPort(memcachedPort);
  return server;
}

/** Sends `incr counter 1` one at a time until the connection fails; returns how many were acknowledged. */
async function incrementUntilClosed(port: number): Promise<number> {
  const client = await MemcacheLineClient.connect(port);
  let acknowledged = 0;
  try {
    for (;;) {
      const reply = await client.call('incr counter 1\r\n');
      assert.match(reply, /^\d+$/);
      acknowledged++;
    }
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
  } finally {
    client.close();
  }
  return acknowledged;
}

async function readCounter(port: number): Promise<number> {
  const redis = new Redis({ port, lazyConnect: true });
  await redis.connect();
  try {
    return Number(await redis.get('counter'));
  } finally {
    redis.disconnect();
  }
}

describe('memcached writes with appendfsync always', () => {
  test('acknowledged increments survive kill -9', async () => {
    const dir = makeTempDir();
    const memcachedPort = await findFreePort();
    const server = await startWithLog(dir, memcachedPort);
    const setup = await MemcacheLineClient.connect(memcachedPort);
    assert.equal(await setup.call('set counter 0 0 1\r\n0\r\n'), 'STORED');
    setup.close();

    const writer = incrementUntilClosed(memcachedPort);
    await sleep(500);
    server.child.kill('SIGKILL');
    const acknowledged = await writer;
    await server.exited;
    assert.ok(acknowledged > 0, 'no increment was acknowledged before the kill');

    const restarted = await startWithLog(dir, await findFreePort());
    const counter = await readCounter(restarted.port);
    assert.ok(counter >= acknowledged, `${counter} < ${acknowledged}`);
    await restarted.stop();
  });

  test('pipelined sets all get their replies', async () => {
    const memcachedPort = await findFreePort();
    const server = await startWithLog(makeTempDir(), memcachedPort);
    const client = await MemcacheLineClient.connect(memcachedPort);
    let batch = '';
    for (let i = 0; i < 200; i++) batch += `set key:${i} 0 0 5\r\nvalue\r\n`;
    assert.equal(await client.call(batch), 'STORED');
    for (let i = 1; i < 200; i++) assert.equal(await client.line(), 'STORED');
    assert.equal(await client.call('get key:199\r\n'), 'VALUE key:199 0 5');
    client.close();
    await server.stop();
  });
});
