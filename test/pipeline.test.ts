/**
 * Pipelined requests: many requests in one write, whose replies Damselfly
 * sends once every readable client has been served. Replies must come in
 * request order, byte for byte as redis-server sends them, and a client
 * that half-closes right after its pipeline must still get every reply.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertDifferential, type Command } from './support/differential';
import { RawClient, encodeCommand } from './support/raw-client';
import { splitReplies } from './support/resp';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

after(stopAllServers);

/** Node.js reads a socket in chunks of this many bytes. */
const READ_CHUNK = 64 * 1024;

function setRequest(index: number, valueLength: number): Buffer {
  return encodeCommand(['SET', `key:${index}`, 'v'.repeat(valueLength)]);
}

/**
 * Builds SET requests of exactly `size` bytes in all. The last value fills
 * the rest, which the loop leaves between 280 and 400 bytes, so its length
 * header has three digits whatever the size.
 */
function setRequestsOfSize(size: number): Buffer[] {
  const requests: Buffer[] = [];
  let total = 0;
  while (size - total >= 400) {
    const request = setRequest(requests.length, 100);
    requests.push(request);
    total += request.length;
  }
  const overhead = setRequest(requests.length, 0).length + 2;
  requests.push(setRequest(requests.length, size - total - overhead));
  assert.equal(Buffer.concat(requests).length, size);
  return requests;
}

/** Sends `bytes` in one write, half-closes, and returns the replies sent until the server closed. */
async function repliesBeforeClose(port: number, bytes: Buffer): Promise<Buffer[]> {
  const client = await RawClient.connect(port);
  await client.send(bytes);
  await client.end();
  const { replies, rest } = splitReplies(client.buffered);
  assert.equal(rest.length, 0, `a partial reply: ${rest.toString('latin1')}`);
  return replies;
}

/** A pipeline that mixes several reply types, errors included. */
const MIXED: Command[] = [
  ['SET', 'counter', '10'],
  ['INCR', 'counter'],
  ['GET', 'counter'],
  ['GET', 'missing'],
  ['NOSUCHCOMMAND', 'x'],
  ['GET'],
  ['RPUSH', 'list', 'a', 'b', 'c'],
  ['LRANGE', 'list', '0', '-1'],
  ['INCR', 'list'],
  ['MULTI'],
  ['INCR', 'counter'],
  ['LPOP', 'list'],
  ['EXEC'],
  ['BLPOP', 'list', '0'],
  ['HSET', 'hash', 'field', 'value'],
  ['HGETALL', 'hash'],
  ['DEL', 'counter', 'list', 'hash'],
  ['PING'],
];

describe('pipelines against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  test('mixed pipeline replies in order', async () => {
    const bytes = Buffer.concat(MIXED.map((command) => encodeCommand(command)));
    await assertDifferential(damselfly, redis, [{ raw: bytes, read: MIXED.length }]);
  });

  test('pipelines repeated in one write', async () => {
    const round = Buffer.concat(MIXED.map((command) => encodeCommand(command)));
    const bytes = Buffer.concat(Array.from({ length: 50 }, () => round));
    await assertDifferential(damselfly, redis, [{ raw: bytes, read: MIXED.length * 50 }]);
  });

  test('half-closed pipelines get every reply', async () => {
    for (const size of [READ_CHUNK - 1, READ_CHUNK, READ_CHUNK + 1, 2 * READ_CHUNK]) {
      const requests = setRequestsOfSize(size);
      const bytes = Buffer.concat(requests);
      const [ours, theirs] = await Promise.all([
        repliesBeforeClose(damselfly.port, bytes),
        repliesBeforeClose(redis.port, bytes),
      ]);
      assert.equal(theirs.length, requests.length, `redis-server replies for ${size} bytes`);
      assert.equal(ours.length, requests.length, `damselfly replies for ${size} bytes`);
      assert.ok(
        ours.every((reply) => reply.toString() === '+OK\r\n'),
        `every reply is +OK for ${size} bytes`,
      );
    }
  });
});
