import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import {
  DifferentialResult,
  assertDifferential,
  assertSameReplies,
  findMismatches,
  runDifferential,
} from './differential';
import { ServerProcess, redisServerSkipReason, startRedisServer } from './servers';

/** Builds a result as if `left` and `right` were the two servers' outputs. */
function fakeResult(steps: string[][], left: string[], right: string[]): DifferentialResult {
  const toOutput = (text: string) => ({ bytes: Buffer.from(text, 'latin1'), closed: false });

  return {
    steps: steps.map((command) => ({
      label: command.join(' '),
      bytes: Buffer.alloc(0),
      read: 1,
    })),
    damselfly: left.map(toOutput),
    redis: right.map(toOutput),
    options: {},
  };
}

describe('assertSameReplies', () => {
  test('passes when every step matches', () => {
    const result = fakeResult([['PING']], ['+PONG\r\n'], ['+PONG\r\n']);

    assert.doesNotThrow(() => assertSameReplies(result));
  });

  test('names each differing step with escaped replies', () => {
    const result = fakeResult(
      [
        ['SET', 'k', '1'],
        ['GET', 'k'],
        ['INCR', 'k'],
      ],
      ['+OK\r\n', '$1\r\n1\r\n', ':3\r\n'],
      ['+OK\r\n', '$1\r\n1\r\n', ':2\r\n'],
    );

    assert.throws(
      () => assertSameReplies(result),
      (error: Error) => {
        assert.equal(error.name, 'AssertionError');
        assert.equal(
          error.message,
          [
            'damselfly and redis-server differ at 1 of 3 steps:',
            'step 3: INCR k',
            '  damselfly:    ":3\\r\\n"',
            '  redis-server: ":2\\r\\n"',
          ].join('\n'),
        );
        return true;
      },
    );
  });

  test('shows a closed connection as a difference', () => {
    const result = fakeResult([['QUIT']], ['+OK\r\n'], ['+OK\r\n']);
    result.redis[0].closed = true;

    assert.match(findMismatches(result)[0], /redis-server: "\+OK\\r\\n" \[connection closed\]/);
  });
});

describe('runDifferential against two redis-servers', { skip: redisServerSkipReason() }, () => {
  let left: ServerProcess;
  let right: ServerProcess;

  before(async () => {
    const [first, second] = await Promise.all([startRedisServer(), startRedisServer()]);
    assert.ok(first);
    assert.ok(second);
    left = first;
    right = second;
  });

  test('matches commands, raw bytes and pipelines', async () => {
    await assertDifferential(left, right, [
      ['SET', 'counter', '10'],
      ['INCR', 'counter'],
      'GET counter\r\n',
      Buffer.from('*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$2\r\n\xff\x00\r\n', 'latin1'),
      { command: ['SUBSCRIBE', 'a', 'b'], read: 2 },
    ]);
  });

  test('starts with an empty keyspace', async () => {
    const result = await assertDifferential(left, right, [['DBSIZE']]);

    assert.equal(result.redis[0].bytes.toString(), ':0\r\n');
  });

  test('detects differing replies', async () => {
    const result = await runDifferential(left, right, [['CONFIG', 'GET', 'port']]);

    assert.equal(findMismatches(result).length, 1);
  });

  test('applies per-step normalizers and ignore', async () => {
    const result = await runDifferential(left, right, [
      { command: ['CONFIG', 'GET', 'port'], normalize: [/\d+\r\n$/, 'PORT\r\n'] },
      { command: ['CLIENT', 'INFO'], ignore: true },
    ]);

    assert.deepEqual(findMismatches(result), []);
  });

  test('applies normalizers given for every step', async () => {
    const result = await runDifferential(left, right, [['CONFIG', 'GET', 'port']], {
      normalize: [(text) => text.replace(/\d{2,}/g, 'N')],
    });

    assert.deepEqual(findMismatches(result), []);
  });

  test('reconnects after the server closes the connection', async () => {
    const result = await assertDifferential(left, right, ['*1\r\n$-5\r\n', ['PING']]);

    assert.match(result.redis[0].bytes.toString(), /^-ERR Protocol error/);
    assert.equal(result.redis[0].closed, true);
    assert.equal(result.redis[1].bytes.toString(), '+PONG\r\n');
  });

  test('records a missing reply instead of throwing', async () => {
    const result = await runDifferential(left, right, [{ command: ['BLPOP', 'none', '0'] }], {
      timeoutMs: 200,
    });

    assert.match(String(result.redis[0].failure), /timed out after 200 ms/);
    assert.equal(findMismatches(result).length, 0);
  });
});
