import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { createClient } from 'redis';
import { assertDifferential, type Step } from './support/differential';
import { RawClient } from './support/raw-client';
import type { ServerProcess } from './support/server-process';
import { sleep, stopAllServers } from './support/server-process';
import { redisServerSkipReason, startDamselfly, startRedisServer } from './support/servers';

let damselfly: ServerProcess;
let redis: ServerProcess | null;

before(async () => {
  damselfly = await startDamselfly();
  redis = await startRedisServer();
});
after(stopAllServers);

const skip = redisServerSkipReason();

async function same(steps: Step[]): Promise<void> {
  assert.ok(redis);
  await assertDifferential({ port: damselfly.port }, { port: redis.port }, steps);
}

/**
 * Subscribes one connection, publishes from another, and returns the bytes
 * the subscriber received, so both servers' message formats can be compared.
 */
async function deliveries(port: number, resp3: boolean): Promise<string> {
  const subscriber = await RawClient.connect(port);
  const publisher = await RawClient.connect(port);
  if (resp3) await subscriber.call(['HELLO', '3']);
  await subscriber.send('*3\r\n$9\r\nSUBSCRIBE\r\n$2\r\nc1\r\n$2\r\nc2\r\n');
  await subscriber.readReplies(2);
  await subscriber.call(['PSUBSCRIBE', 'c*']);
  const counts = [
    await publisher.call(['PUBLISH', 'c1', 'hello']),
    await publisher.call(['PUBLISH', 'other', 'nobody']),
    await publisher.call(['PUBSUB', 'NUMSUB', 'c1', 'c9']),
    await publisher.call(['PUBSUB', 'NUMPAT']),
  ];
  const messages = await subscriber.readReplies(2);
  // Named, because without arguments Redis goes through channels in hash-table order.
  const unsubscribe = await subscriber.call(['UNSUBSCRIBE', 'c2', 'c1']);
  const rest = await subscriber.readReplies(1);
  subscriber.destroy();
  publisher.destroy();
  return Buffer.concat([...counts, ...messages, unsubscribe, ...rest]).toString('latin1');
}

describe('pub/sub replies', { skip }, () => {
  test('subscribe mode allows only its commands in RESP2', () =>
    same([
      { command: ['SUBSCRIBE', 'a', 'b'], read: 2 },
      ['GET', 'k'],
      ['PING'],
      ['PING', 'x'],
      { command: ['PSUBSCRIBE', 'p*'], read: 1 },
      // Without arguments Redis goes through channels in hash-table order, so name them.
      { command: ['UNSUBSCRIBE', 'b', 'a'], read: 2 },
      { command: ['PUNSUBSCRIBE'], read: 1 },
      ['GET', 'k'],
      { command: ['UNSUBSCRIBE'], read: 1 },
    ]));

  test('RESP3 keeps normal commands available', () =>
    same([
      { command: ['HELLO', '3'], ignore: true },
      { command: ['SUBSCRIBE', 'a'], read: 1 },
      ['SET', 'k', 'v'],
      ['GET', 'k'],
      ['PING'],
    ]));

  test('PUBSUB NUMSUB is a flat array in RESP3 too', () =>
    same([
      { command: ['HELLO', '3'], ignore: true },
      ['PUBSUB', 'NUMSUB', 'a', 'b'],
      ['PUBSUB', 'SHARDNUMSUB', 'x'],
    ]));

  test('PUBSUB introspection', () =>
    same([
      ['PUBSUB', 'CHANNELS'],
      ['PUBSUB', 'NUMSUB', 'a'],
      ['PUBSUB', 'NUMPAT'],
      ['PUBSUB', 'SHARDCHANNELS'],
      ['PUBSUB', 'SHARDNUMSUB', 'x'],
      ['PUBSUB', 'NOPE'],
      ['PUBSUB'],
      ['PUBLISH', 'nobody', 'm'],
      ['SPUBLISH', 'nobody', 'm'],
    ]));

  test('messages and pattern messages in RESP2', async () => {
    assert.ok(redis);
    assert.equal(await deliveries(damselfly.port, false), await deliveries(redis.port, false));
  });

  test('messages and pattern messages in RESP3', async () => {
    assert.ok(redis);
    assert.equal(await deliveries(damselfly.port, true), await deliveries(redis.port, true));
  });
});

describe('pub/sub through clients', () => {
  test('ioredis subscriber gets messages in order', async () => {
    const subscriber = new Redis({ port: damselfly.port, retryStrategy: () => null });
    const publisher = new Redis({ port: damselfly.port, retryStrategy: () => null });
    const received: string[] = [];
    subscriber.on('message', (_channel, message) => received.push(message));
    await subscriber.subscribe('news');
    for (let i = 0; i < 100; i++) await publisher.publish('news', `m${i}`);
    for (let i = 0; i < 50 && received.length < 100; i++) await sleep(20);
    assert.deepEqual(
      received,
      Array.from({ length: 100 }, (_, i) => `m${i}`),
    );
    subscriber.disconnect();
    publisher.disconnect();
  });

  test('node-redis RESP2 pattern subscriber', async () => {
    const subscriber = createClient({ socket: { port: damselfly.port } });
    const publisher = createClient({ socket: { port: damselfly.port } });
    await subscriber.connect();
    await publisher.connect();
    const received: string[] = [];
    await subscriber.pSubscribe('room:*', (message, channel) =>
      received.push(`${channel}=${message}`),
    );
    assert.equal(await publisher.publish('room:1', 'hi'), 1);
    for (let i = 0; i < 50 && received.length === 0; i++) await sleep(20);
    assert.deepEqual(received, ['room:1=hi']);
    await subscriber.quit();
    await publisher.quit();
  });

  test('a disconnected subscriber is forgotten', async () => {
    const subscriber = await RawClient.connect(damselfly.port);
    await subscriber.call(['SUBSCRIBE', 'gone']);
    subscriber.destroy();
    await sleep(100);
    const publisher = new Redis({ port: damselfly.port, retryStrategy: () => null });
    assert.equal(await publisher.publish('gone', 'x'), 0);
    publisher.disconnect();
  });
});

describe('slow subscribers', () => {
  test('a subscriber that does not read is disconnected at the pubsub limit', async () => {
    const server = await startDamselfly({
      args: ['--client-output-buffer-limit', 'pubsub 4mb 1mb 60'],
    });
    const socket = net.connect(server.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('SUBSCRIBE flood\r\n');
    await sleep(100);
    socket.pause();
    let closed = false;
    socket.on('close', () => {
      closed = true;
    });
    const publisher = new Redis({ port: server.port, retryStrategy: () => null });
    const message = 'x'.repeat(256 * 1024);
    let receivers = 1;
    for (let i = 0; i < 400 && receivers > 0; i++)
      receivers = await publisher.publish('flood', message);
    assert.equal(receivers, 0, 'the subscriber was never cut off');
    const info = await publisher.info('clients');
    assert.match(info, /connected_clients:1\r\n/);
    publisher.disconnect();
    socket.destroy();
    assert.ok(closed || socket.destroyed);
  });
});
