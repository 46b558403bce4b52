import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { RawClient } from './raw-client';
import { findReplyEnd } from './resp';
import { ServerProcess, redisServerSkipReason, startRedisServer } from './servers';

/** The first byte of each reply type from Redis 7's DEBUG PROTOCOL command in RESP3. */
const DEBUG_PROTOCOL_TYPES: Record<string, string> = {
  string: '$',
  integer: ':',
  double: ',',
  bignum: '(',
  null: '_',
  array: '*',
  set: '~',
  map: '%',
  attrib: '|',
  verbatim: '=',
  true: '#',
  false: '#',
};

describe('RESP reader against redis-server', { skip: redisServerSkipReason() }, () => {
  let redis: ServerProcess;
  let client: RawClient;

  before(async () => {
    const server = await startRedisServer({ args: ['--enable-debug-command', 'yes'] });
    assert.ok(server);
    redis = server;
    client = await RawClient.connect(redis.port);

    const hello = await client.call(['HELLO', '3']);
    assert.equal(hello.subarray(0, 1).toString(), '%');
  });

  after(() => client?.destroy());

  for (const [type, firstByte] of Object.entries(DEBUG_PROTOCOL_TYPES)) {
    test(`reads a RESP3 ${type} reply whole`, async () => {
      const reply = await client.call(['DEBUG', 'PROTOCOL', type]);

      assert.equal(reply.subarray(0, 1).toString(), firstByte);
      assert.equal(findReplyEnd(reply), reply.length);
      assert.equal((await client.readUntilQuiet(30)).length, 0, 'bytes left after the reply');
    });
  }

  test('reads a push message and the reply after it', async () => {
    await client.send(Buffer.from('*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$4\r\npush\r\n'));
    const [push, reply] = await client.readReplies(2);

    assert.equal(push.subarray(0, 1).toString(), '>');
    assert.equal(reply.subarray(0, 1).toString(), '$');
    assert.equal((await client.readUntilQuiet(30)).length, 0, 'bytes left after the replies');
  });

  test('waits on every prefix of a large nested reply', async () => {
    const reply = await client.call(['COMMAND', 'DOCS', 'SET', 'ZADD', 'XADD']);
    assert.ok(reply.length > 1000, `reply is only ${reply.length} bytes`);

    for (let length = 0; length < reply.length; length++) {
      assert.equal(findReplyEnd(reply.subarray(0, length)), -1, `prefix of ${length} bytes`);
    }
    assert.equal(findReplyEnd(reply), reply.length);
  });
});
