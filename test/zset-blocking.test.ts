/**
 * Blocking sorted set pops (BZPOPMIN, BZPOPMAX, BZMPOP): waits woken by
 * ZADD, ZINCRBY and the STORE commands, timeouts, the order of waiters,
 * keys of other types, and the journal of a served pop. Raw replies are
 * compared with redis-server 7.0; ioredis and node-redis run the same waits.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';
import { createClient } from 'redis';

import { journalOf } from './collection-support';
import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until INFO reports `count` blocked clients, so a wake-up cannot overtake a wait. */
async function waitForBlocked(port: number, count: number): Promise<void> {
  const probe = await RawClient.connect(port);
  try {
    const deadline = Date.now() + 5000;
    for (;;) {
      const info = (await probe.call(['INFO', 'clients'])).toString('latin1');
      if (info.includes(`blocked_clients:${count}\r\n`)) return;
      assert.ok(Date.now() < deadline, `expected ${count} blocked clients; INFO says ${info}`);
      await sleep(10);
    }
  } finally {
    probe.destroy();
  }
}

/**
 * Sends `wait` on one connection, then `wake` commands on another, and
 * returns the waiting connection's reply followed by the wake replies.
 */
async function blockAndWake(port: number, wait: string[], wake: string[][]): Promise<string[]> {
  const waiter = await RawClient.connect(port);
  const other = await RawClient.connect(port);
  try {
    await other.call(['FLUSHALL']);
    await waiter.send(encode(wait));
    await waitForBlocked(port, 1);
    const replies: string[] = [];
    for (const args of wake) replies.push((await other.call(args)).toString('latin1'));
    const served = (await waiter.readReply(2000)).toString('latin1');
    return [served, ...replies];
  } finally {
    waiter.destroy();
    other.destroy();
  }
}

function encode(args: string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`;
}

describe('blocking pops against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    const [ours, reference] = await Promise.all([startDamselfly(), startRedisServer()]);
    assert.ok(reference);
    damselfly = ours;
    redis = reference;
  });

  after(stopAllServers);

  const cases: [string, string[], string[][]][] = [
    [
      'BZPOPMIN woken by ZADD',
      ['BZPOPMIN', 'a', 'z', '0'],
      [
        ['ZADD', 'z', '2', 'x', '1', 'y'],
        ['ZRANGE', 'z', '0', '-1'],
      ],
    ],
    [
      'BZPOPMAX woken by ZINCRBY',
      ['BZPOPMAX', 'z', '0'],
      [
        ['ZINCRBY', 'z', '2.5', 'x'],
        ['EXISTS', 'z'],
      ],
    ],
    [
      'BZMPOP woken by ZADD',
      ['BZMPOP', '0', '2', 'a', 'z', 'MAX', 'COUNT', '2'],
      [
        ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
        ['ZCARD', 'z'],
      ],
    ],
    [
      'BZPOPMIN woken by ZUNIONSTORE',
      ['BZPOPMIN', 'dst', '0'],
      [
        ['ZADD', 'src', '1', 'a', '2', 'b'],
        ['ZUNIONSTORE', 'dst', '1', 'src'],
        ['ZRANGE', 'dst', '0', '-1'],
      ],
    ],
    [
      'BZPOPMIN woken by ZRANGESTORE',
      ['BZPOPMIN', 'dst', '0'],
      [
        ['ZADD', 'src', '1', 'a', '2', 'b'],
        ['ZRANGESTORE', 'dst', 'src', '1', '1'],
      ],
    ],
    [
      'BZPOPMIN ignores a list under the key',
      ['BZPOPMIN', 'k', '0'],
      [
        ['LPUSH', 'k', 'v'],
        ['DEL', 'k'],
        ['ZADD', 'k', '7', 'm'],
      ],
    ],
  ];

  for (const [name, wait, wake] of cases) {
    test(name, async () => {
      const [ours, theirs] = await Promise.all([
        blockAndWake(damselfly.port, wait, wake),
        blockAndWake(redis.port, wait, wake),
      ]);
      assert.deepEqual(ours, theirs);
    });
  }

  test('timeouts reply a nil array', async () => {
    for (const server of [damselfly, redis]) {
      const client = await RawClient.connect(server.port);
      try {
        const started = Date.now();
        assert.equal((await client.call(['BZPOPMIN', 'none', '0.1'])).toString(), '*-1\r\n');
        assert.equal(
          (await client.call(['BZMPOP', '0.05', '1', 'none', 'MIN'])).toString(),
          '*-1\r\n',
        );
        assert.ok(Date.now() - started >= 140);
      } finally {
        client.destroy();
      }
    }
  });

  test('waiters are served in the order they blocked', async () => {
    const first = await RawClient.connect(damselfly.port);
    const second = await RawClient.connect(damselfly.port);
    const writer = await RawClient.connect(damselfly.port);
    try {
      await first.send(encode(['BZPOPMIN', 'q', '0']));
      await waitForBlocked(damselfly.port, 1);
      await second.send(encode(['BZPOPMAX', 'q', '0']));
      await waitForBlocked(damselfly.port, 2);
      await writer.call(['ZADD', 'q', '1', 'low', '2', 'mid', '3', 'high']);
      assert.equal(
        (await first.readReply()).toString(),
        '*3\r\n$1\r\nq\r\n$3\r\nlow\r\n$1\r\n1\r\n',
      );
      assert.equal(
        (await second.readReply()).toString(),
        '*3\r\n$1\r\nq\r\n$4\r\nhigh\r\n$1\r\n3\r\n',
      );
      assert.equal(
        (await writer.call(['ZRANGE', 'q', '0', '-1'])).toString(),
        '*1\r\n$3\r\nmid\r\n',
      );
    } finally {
      first.destroy();
      second.destroy();
      writer.destroy();
    }
  });
});

describe('blocking pop journal against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const args = ['--appendonly', 'yes', '--appendfsync', 'always'];

  before(async () => {
    const [ours, reference] = await Promise.all([
      startDamselfly({ args }),
      startRedisServer({ args }),
    ]);
    assert.ok(reference);
    damselfly = ours;
    redis = reference;
  });

  after(stopAllServers);

  test('a served wait journals ZPOPMIN or ZPOPMAX', async () => {
    for (const server of [damselfly, redis]) {
      await blockAndWake(
        server.port,
        ['BZMPOP', '0', '1', 'w', 'MIN', 'COUNT', '2'],
        [['ZADD', 'w', '1', 'a', '2', 'b', '3', 'c']],
      );
      await blockAndWake(server.port, ['BZPOPMAX', 'w', '0'], [['ZADD', 'w', '1', 'a']]);
    }
    const [ours, theirs] = await Promise.all([
      journalOf(damselfly, [['PING']]),
      journalOf(redis, [['PING']]),
    ]);
    assert.deepEqual(ours.journal, theirs.journal);
    assert.ok(ours.journal.includes('ZPOPMIN w 2'));
    assert.ok(ours.journal.includes('ZPOPMAX w'));
  });
});

describe('blocking pops through client libraries', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  test('ioredis BZPOPMIN, BZPOPMAX and BZMPOP', async () => {
    const waiter = new Redis({ port: damselfly.port, host: '127.0.0.1' });
    const writer = new Redis({ port: damselfly.port, host: '127.0.0.1' });
    try {
      await writer.flushall();
      const popped = waiter.bzpopmin('lib', 0);
      await waitForBlocked(damselfly.port, 1);
      await writer.zadd('lib', 5, 'five', 1, 'one');
      assert.deepEqual(await popped, ['lib', 'one', '1']);
      assert.deepEqual(await waiter.bzpopmax('lib', 0), ['lib', 'five', '5']);
      assert.equal(await writer.exists('lib'), 0);
      assert.equal(await waiter.bzpopmin('lib', 0.05), null);
      const many = waiter.bzmpop(0, 1, 'lib', 'MAX', 'COUNT', 2);
      await waitForBlocked(damselfly.port, 1);
      await writer.zadd('lib', 1, 'a', 2, 'b', 3, 'c');
      assert.deepEqual(await many, [
        'lib',
        [
          ['c', '3'],
          ['b', '2'],
        ],
      ]);
      await writer.set('str', 'v');
      await assert.rejects(waiter.bzpopmin('str', 0), /WRONGTYPE/);
    } finally {
      waiter.disconnect();
      writer.disconnect();
    }
  });

  test('node-redis BZPOPMIN and BZMPOP over RESP2', async () => {
    const waiter = createClient({ socket: { port: damselfly.port, host: '127.0.0.1' } });
    const writer = createClient({ socket: { port: damselfly.port, host: '127.0.0.1' } });
    await Promise.all([waiter.connect(), writer.connect()]);
    try {
      await writer.flushAll();
      const popped = waiter.bzPopMin('nr', 0);
      await waitForBlocked(damselfly.port, 1);
      await writer.zAdd('nr', [
        { score: 2.5, value: 'x' },
        { score: 3, value: 'y' },
      ]);
      assert.deepEqual(await popped, { key: 'nr', value: 'x', score: 2.5 });
      const timedOut = await waiter.bzPopMax('none', 0.05);
      assert.equal(timedOut, null);
      const many = waiter.bzmPop(0, ['empty', 'nr2'], 'MIN', { COUNT: 5 });
      await waitForBlocked(damselfly.port, 1);
      await writer.zAdd('nr2', [
        { score: 3, value: 'y' },
        { score: 1, value: 'z' },
      ]);
      const served = await many;
      assert.deepEqual(served, {
        key: 'nr2',
        elements: [
          { value: 'z', score: 1 },
          { value: 'y', score: 3 },
        ],
      });
    } finally {
      await Promise.all([waiter.quit(), writer.quit()]);
    }
  });
});
