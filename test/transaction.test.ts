import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { assertDifferential, type Step } from './support/differential';
import { RawClient } from './support/raw-client';
import type { ServerProcess } from './support/server-process';
import { stopAllServers } from './support/server-process';
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

/** Runs the same two-connection script on a server and returns everything each step read. */
async function twoClients(port: number, script: [1 | 2, string[]][]): Promise<string[]> {
  const first = await RawClient.connect(port);
  const second = await RawClient.connect(port);
  await first.call(['FLUSHALL']);
  const outputs: string[] = [];
  for (const [which, command] of script) {
    const connection = which === 1 ? first : second;
    outputs.push((await connection.call(command)).toString('latin1'));
  }
  first.destroy();
  second.destroy();
  return outputs;
}

async function sameWithTwoClients(script: [1 | 2, string[]][]): Promise<void> {
  assert.ok(redis);
  const ours = await twoClients(damselfly.port, script);
  const theirs = await twoClients(redis.port, script);
  assert.deepEqual(ours, theirs);
}

describe('MULTI and EXEC', { skip }, () => {
  test('queue, run, and reply per command', () =>
    same([['MULTI'], ['SET', 'k', 'v'], ['GET', 'k'], ['INCR', 'k'], ['EXEC'], ['GET', 'k']]));

  test('queue-time errors abort EXEC', () =>
    same([
      ['MULTI'],
      ['MGET'],
      ['SET', 'k1', 'v1'],
      ['NOSUCHCMD', 'a'],
      ['MULTI'],
      ['EXEC'],
      ['EXISTS', 'k1'],
      ['DISCARD'],
    ]));

  test('DISCARD, nesting and control errors', () =>
    same([
      ['EXEC'],
      ['DISCARD'],
      ['MULTI'],
      ['SET', 'k', 'v'],
      ['DISCARD'],
      ['EXISTS', 'k'],
      ['MULTI'],
      ['WATCH', 'k'],
      ['EXEC'],
      ['MULTI'],
      ['EXEC'],
    ]));

  test('EXEC with arguments aborts the transaction', () =>
    same([
      ['WATCH', 'k'],
      ['MULTI'],
      ['SET', 'k', 'v'],
      ['EXEC', 'extra'],
      ['EXEC'],
      ['EXISTS', 'k'],
      ['EXEC', 'extra'],
      ['SET', 'k', 'other'],
      ['MULTI'],
      ['GET', 'k'],
      ['EXEC'],
    ]));

  test('runtime errors stay per command', () =>
    same([
      ['SET', 'text', 'abc'],
      ['MULTI'],
      ['INCR', 'text'],
      ['SET', 'other', ''],
      ['GET', 'other'],
      ['EXEC'],
    ]));

  test('RESP3 replies inside EXEC', () =>
    same([
      { command: ['HELLO', '3'], ignore: true },
      ['MULTI'],
      ['SET', 'k', '1'],
      ['GET', 'missing'],
      ['EXEC'],
    ]));
});

describe('WATCH', { skip }, () => {
  test('a change by another client fails EXEC', () =>
    sameWithTwoClients([
      [1, ['WATCH', 'k']],
      [2, ['SET', 'k', 'changed']],
      [1, ['MULTI']],
      [1, ['SET', 'k', 'mine']],
      [1, ['EXEC']],
      [1, ['GET', 'k']],
    ]));

  test('an unchanged key lets EXEC run', () =>
    sameWithTwoClients([
      [1, ['SET', 'k', 'v']],
      [1, ['WATCH', 'k']],
      [2, ['GET', 'k']],
      [1, ['MULTI']],
      [1, ['SET', 'k', 'mine']],
      [1, ['EXEC']],
    ]));

  test('UNWATCH forgets the keys', () =>
    sameWithTwoClients([
      [1, ['WATCH', 'k']],
      [2, ['SET', 'k', 'changed']],
      [1, ['UNWATCH']],
      [1, ['MULTI']],
      [1, ['SET', 'k', 'mine']],
      [1, ['EXEC']],
    ]));

  test('FLUSHALL and deletes of watched keys fail EXEC', () =>
    sameWithTwoClients([
      [1, ['SET', 'k', 'v']],
      [1, ['WATCH', 'k']],
      [2, ['FLUSHALL']],
      [1, ['MULTI']],
      [1, ['PING']],
      [1, ['EXEC']],
      [1, ['SET', 'j', 'v']],
      [1, ['WATCH', 'j']],
      [2, ['DEL', 'j']],
      [1, ['MULTI']],
      [1, ['EXEC']],
    ]));

  test('reading a watched key as a source does not fail EXEC', () =>
    sameWithTwoClients([
      [1, ['SET', 'src', 'v']],
      [1, ['SADD', 'set', 'm']],
      [1, ['WATCH', 'src', 'set']],
      [2, ['COPY', 'src', 'dst']],
      [2, ['SUNIONSTORE', 'out', 'set']],
      [2, ['BITOP', 'OR', 'bits', 'src']],
      [1, ['MULTI']],
      [1, ['PING']],
      [1, ['EXEC']],
    ]));

  test('a watched key that expires fails EXEC', async () => {
    const client = new Redis({ port: damselfly.port, retryStrategy: () => null });
    await client.set('short', 'v', 'PX', 50);
    await client.watch('short');
    await new Promise((resolve) => setTimeout(resolve, 120));
    const result = await client.multi().set('other', '1').exec();
    assert.equal(result, null);
    client.disconnect();
  });
});

describe('ACL rules changed before EXEC', { skip }, () => {
  const changed: [1 | 2, string[]][] = [
    [2, ['ACL', 'SETUSER', 'queuer', 'reset', 'on', '>pw', '~*', 'allchannels', '+@all']],
    [1, ['AUTH', 'queuer', 'pw']],
    [1, ['MULTI']],
    [1, ['GET', 'k']],
    [1, ['SET', 'k', 'v']],
    [1, ['PING']],
    [1, ['PUBLISH', 'news', 'hello']],
    [2, ['ACL', 'SETUSER', 'queuer', '-get', 'resetkeys', '~x*', 'resetchannels', '&x*']],
    [1, ['EXEC']],
  ];

  test('denied commands get NOPERM', () => sameWithTwoClients(changed));

  test('denied EXEC aborts the transaction', () =>
    sameWithTwoClients([
      [2, ['ACL', 'SETUSER', 'execer', 'reset', 'on', '>pw', '~*', '+@all']],
      [1, ['AUTH', 'execer', 'pw']],
      [1, ['WATCH', 'w']],
      [1, ['MULTI']],
      [1, ['SET', 'k', 'v']],
      [2, ['ACL', 'SETUSER', 'execer', '-exec']],
      [1, ['EXEC']],
      [1, ['DISCARD']],
      [1, ['EXEC']],
      [2, ['EXISTS', 'k']],
      [2, ['ACL', 'SETUSER', 'execer', '+exec']],
      [2, ['SET', 'w', 'changed']],
      [1, ['MULTI']],
      [1, ['GET', 'w']],
      [1, ['EXEC']],
      [2, ['ACL', 'DELUSER', 'execer']],
    ]));

  test('ACL LOG records the multi context', async () => {
    await twoClients(damselfly.port, [[2, ['ACL', 'LOG', 'RESET']], ...changed]);
    const admin = new Redis({ port: damselfly.port, host: '127.0.0.1' });
    const entries = (await admin.call('ACL', 'LOG')) as unknown[][];
    admin.disconnect();
    const summary = entries.map((entry) => [entry[3], entry[5], entry[7]]);
    assert.deepEqual(summary, [
      ['channel', 'multi', 'news'],
      ['key', 'multi', 'k'],
      ['command', 'multi', 'get'],
    ]);
  });
});

describe('transactions through clients', () => {
  test('ioredis multi and pipeline', async () => {
    const client = new Redis({ port: damselfly.port, retryStrategy: () => null });
    const result = await client.multi().set('a', '1').incr('a').get('a').exec();
    assert.deepEqual(result, [
      [null, 'OK'],
      [null, 2],
      [null, '2'],
    ]);
    client.disconnect();
  });
});
