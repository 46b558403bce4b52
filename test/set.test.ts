/**
 * Set commands compared byte for byte with redis-server 7.0: replies and
 * errors, SPOP and SRANDMEMBER, SMOVE, the set algebra, SSCAN, RESP3
 * shapes, events, change counts and the journal, plus a property test of
 * random command sequences. Sets of integers have the same order on both
 * servers because an intset is sorted. Other sets are compared sorted:
 * Redis 7.0 keeps them in a hash table, while Damselfly keeps small ones in
 * insertion order (Redis 7.2's listpack layout, reported as 'hashtable' like
 * Redis 7.0). A few calls go through ioredis and node-redis.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import fc from 'fast-check';
import Redis from 'ioredis';
import { createClient } from 'redis';

import {
  collectChanges,
  collectEvents,
  decodeBulkArray,
  journalOf,
  sortElements,
  sortScanElements,
} from './collection-support';
import {
  assertDifferential,
  findMismatches,
  runDifferential,
  type Normalizer,
  type Step,
} from './support/differential';
import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

const sorted = sortElements();

/** SADD steps adding `count` members made by `member`, in batches of 100. */
function fillSet(key: string, count: number, member = (i: number) => String(i)): Step[] {
  const steps: Step[] = [];
  for (let start = 0; start < count; start += 100) {
    const args = ['SADD', key];
    for (let i = start; i < Math.min(count, start + 100); i++) args.push(member(i));
    steps.push(args);
  }
  return steps;
}

describe('set commands against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const compare = (steps: Step[]) => assertDifferential(damselfly, redis, steps);

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('SADD, SREM and membership of integers', async () => {
    await compare([
      ['SADD', 's', '3', '1', '2', '3', '-5', '9223372036854775807'],
      ['SADD', 's', '1'],
      ['SMEMBERS', 's'],
      ['SCARD', 's'],
      ['SISMEMBER', 's', '2'],
      ['SISMEMBER', 's', '02'],
      ['SISMEMBER', 's', '4'],
      ['SISMEMBER', 'missing', '1'],
      ['SMISMEMBER', 's', '1', 'x', '-5', '1'],
      ['SMISMEMBER', 'missing', '1', '2'],
      ['SREM', 's', '1', '1', '7', 'x'],
      ['SREM', 'missing', '1'],
      ['SMEMBERS', 's'],
      ['SREM', 's', '2', '3', '-5', '9223372036854775807'],
      ['EXISTS', 's'],
      ['SCARD', 's'],
      ['SMEMBERS', 'missing'],
      ['SADD', 's'],
      ['SREM', 's'],
      ['SISMEMBER', 's'],
      ['SISMEMBER', 's', 'a', 'b'],
      ['SMISMEMBER', 's'],
      ['SCARD'],
      ['SMEMBERS', 's', 'x'],
      ['sadd', 'lower', '1'],
    ]);
  });

  test('strings, binary members and mixed sets', async () => {
    const binary = Buffer.from([0, 255, 13, 10]);
    await compare([
      ['SADD', 's', 'b', 'a', 'c', '', binary],
      { command: ['SMEMBERS', 's'], normalize: sorted },
      ['SISMEMBER', 's', ''],
      ['SISMEMBER', 's', binary],
      ['SISMEMBER', 's', 'd'],
      ['SADD', 's', '1', '+1', '01', '-0', ' 1'],
      ['SCARD', 's'],
      ['SISMEMBER', 's', '+1'],
      ['SREM', 's', binary, '01'],
      { command: ['SMEMBERS', 's'], normalize: sorted },
      ['SADD', 'mix', '5', '3'],
      ['SADD', 'mix', 'x'],
      { command: ['SMEMBERS', 'mix'], normalize: sorted },
      ['SREM', 'mix', '5', 'x'],
      ['SMEMBERS', 'mix'],
    ]);
  });

  test('WRONGTYPE from every set command', async () => {
    await compare([
      ['SET', 'str', 'v'],
      ['SADD', 'set', '1'],
      ['SADD', 'str', 'a'],
      ['SREM', 'str', 'a'],
      ['SISMEMBER', 'str', 'a'],
      ['SMISMEMBER', 'str', 'a'],
      ['SMEMBERS', 'str'],
      ['SCARD', 'str'],
      ['SPOP', 'str'],
      ['SPOP', 'str', '1'],
      ['SPOP', 'str', '0'],
      ['SPOP', 'str', '-1'],
      ['SRANDMEMBER', 'str'],
      ['SRANDMEMBER', 'str', '-1'],
      ['SRANDMEMBER', 'str', 'x'],
      ['SMOVE', 'str', 'set', '1'],
      ['SMOVE', 'set', 'str', '1'],
      ['SMOVE', 'set', 'str', 'nope'],
      ['SMOVE', 'missing', 'str', '1'],
      ['SINTER', 'set', 'str'],
      ['SINTER', 'missing', 'str'],
      ['SUNION', 'str', 'missing'],
      ['SDIFF', 'missing', 'str'],
      ['SDIFF', 'str', 'missing'],
      ['SINTERSTORE', 'dst', 'missing', 'str'],
      ['SUNIONSTORE', 'dst', 'set', 'str'],
      ['SDIFFSTORE', 'dst', 'str'],
      ['SINTERCARD', '2', 'missing', 'str'],
      ['SSCAN', 'str', '0'],
      ['EXISTS', 'dst'],
      ['GET', 'str'],
    ]);
  });

  test('intset encoding and its limit', async () => {
    await compare([
      ['SADD', 'ints', '1', '-9223372036854775808', '9223372036854775807'],
      ['OBJECT', 'ENCODING', 'ints'],
      ...fillSet('edge', 512),
      ['OBJECT', 'ENCODING', 'edge'],
      ['SADD', 'edge', '512'],
      ['OBJECT', 'ENCODING', 'edge'],
      ['SREM', 'edge', '512', '0', '1'],
      ['OBJECT', 'ENCODING', 'edge'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '2'],
      ['SADD', 'small', '1', '2'],
      ['OBJECT', 'ENCODING', 'small'],
      ['SADD', 'small', '3'],
      ['OBJECT', 'ENCODING', 'small'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
      ['SINTERSTORE', 'copy', 'ints'],
      ['OBJECT', 'ENCODING', 'copy'],
      ['SMEMBERS', 'copy'],
    ]);
  });

  test('SPOP and SRANDMEMBER arguments and fixed results', async () => {
    await compare([
      ['SADD', 's', '5', '1', '3'],
      ['SRANDMEMBER', 's', '-9223372036854775808'],
      ['SRANDMEMBER', 's', '9223372036854775808'],
      ['SRANDMEMBER', 's', 'x'],
      ['SRANDMEMBER', 's', '1', '2'],
      ['SRANDMEMBER', 'missing', '3'],
      ['SRANDMEMBER', 'missing', '-3'],
      ['SRANDMEMBER', 'missing'],
      ['SRANDMEMBER', 'missing', 'x'],
      ['SRANDMEMBER', 's', '0'],
      ['SRANDMEMBER', 's', '3'],
      ['SRANDMEMBER', 's', '9223372036854775807'],
      ['SPOP', 's', '-1'],
      ['SPOP', 's', 'x'],
      ['SPOP', 's', '-9223372036854775808'],
      ['SPOP', 's', '1', '2'],
      ['SPOP', 'missing', '2'],
      ['SPOP', 'missing', 'x'],
      ['SPOP', 'missing'],
      ['SPOP', 'missing', '0'],
      ['SPOP', 's', '0'],
      ['SADD', 'one', 'only'],
      ['SRANDMEMBER', 'one'],
      ['SRANDMEMBER', 'one', '-3'],
      ['SRANDMEMBER', 'one', '1'],
      ['SPOP', 'one'],
      ['EXISTS', 'one'],
      ['SADD', 'one', '7'],
      ['SPOP', 'one', '1'],
      ['EXISTS', 'one'],
      ['SPOP', 's', '9223372036854775807'],
      ['EXISTS', 's'],
      ['SPOP'],
      ['SRANDMEMBER'],
    ]);
  });

  test('SPOP and SRANDMEMBER random picks have the right shape', async () => {
    for (const server of [damselfly, redis]) {
      const client = await RawClient.connect(server.port);
      try {
        await client.call(['FLUSHALL']);
        const members = Array.from({ length: 300 }, (_, i) => `m${i}`);
        await client.call(['SADD', 'big', ...members]);
        await client.call(['SADD', 'ints', '1', '2', '3', '4', '5', '6']);
        await client.call(['SADD', 'small', 'a', 'b', 'c', 'd']);
        for (const key of ['big', 'ints', 'small'])
          await checkRandomMembers(client, key, server.name);
      } finally {
        client.destroy();
      }
    }
  });

  test('SMOVE between sets', async () => {
    await compare([
      ['SADD', 'a', '1', '2', '3'],
      ['SADD', 'b', '3', '4'],
      ['SMOVE', 'a', 'b', '1'],
      ['SMOVE', 'a', 'b', '3'],
      ['SMOVE', 'a', 'b', '9'],
      ['SMOVE', 'a', 'a', '2'],
      ['SMOVE', 'a', 'a', '9'],
      ['SMOVE', 'missing', 'a', '1'],
      ['SMOVE', 'a', 'new', '2'],
      ['EXISTS', 'a'],
      ['SMEMBERS', 'new'],
      ['SMEMBERS', 'b'],
      ['SMOVE', 'b', 'new', 'x'],
      ['SADD', 'c', 'x'],
      ['SMOVE', 'c', 'b', 'x'],
      { command: ['SMEMBERS', 'b'], normalize: sorted },
      ['OBJECT', 'ENCODING', 'new'],
      ['SMOVE', 'a', 'b'],
      ['SMOVE', 'a', 'b', 'c', 'd'],
    ]);
  });

  test('SINTER, SUNION and SDIFF', async () => {
    await compare([
      ['SADD', 'a', '1', '2', '3', '4', '5'],
      ['SADD', 'b', '4', '5', '6'],
      ['SADD', 'c', '5', '7', '4', '1'],
      ['SINTER', 'a', 'b', 'c'],
      ['SINTER', 'c', 'a'],
      ['SINTER', 'a'],
      ['SINTER', 'a', 'missing'],
      ['SINTER', 'a', 'a'],
      ['SUNION', 'a', 'b', 'c'],
      ['SUNION', 'missing', 'b'],
      ['SUNION', 'missing'],
      ['SDIFF', 'a', 'b', 'c'],
      ['SDIFF', 'a', 'missing'],
      ['SDIFF', 'missing', 'a'],
      ['SDIFF', 'a', 'a'],
      ['SADD', 'w', 'x', 'y', '1'],
      { command: ['SUNION', 'a', 'w'], normalize: sorted },
      ['SINTER', 'a', 'w'],
      { command: ['SDIFF', 'w', 'a'], normalize: sorted },
      ['SINTER'],
      ['SUNION'],
      ['SDIFF'],
    ]);
  });

  test('STORE forms and SINTERCARD', async () => {
    await compare([
      ['SADD', 'a', '1', '2', '3', '4'],
      ['SADD', 'b', '3', '4', '5'],
      ['SADD', 'w', 'x', '3'],
      ['SET', 'dst', 'string', 'EX', '100'],
      ['SINTERSTORE', 'dst', 'a', 'b'],
      ['TYPE', 'dst'],
      ['TTL', 'dst'],
      ['SMEMBERS', 'dst'],
      ['SUNIONSTORE', 'dst', 'a', 'b'],
      ['SMEMBERS', 'dst'],
      ['SDIFFSTORE', 'dst', 'a', 'b'],
      ['SMEMBERS', 'dst'],
      ['SDIFFSTORE', 'dst', 'a', 'a'],
      ['EXISTS', 'dst'],
      ['SINTERSTORE', 'dst', 'a', 'missing'],
      ['SUNIONSTORE', 'a', 'a', 'w'],
      { command: ['SMEMBERS', 'a'], normalize: sorted },
      ['OBJECT', 'ENCODING', 'b'],
      ['SINTERSTORE', 'dst'],
      ['SUNIONSTORE', 'dst'],
      ['SINTERCARD', '2', 'a', 'b'],
      ['SINTERCARD', '1', 'a'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '1'],
      ['SINTERCARD', '2', 'a', 'b', 'limit', '0'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '1', 'LIMIT', '5'],
      ['SINTERCARD', '2', 'a', 'missing'],
      ['SINTERCARD', '0', 'a'],
      ['SINTERCARD', '-1', 'a'],
      ['SINTERCARD', 'x', 'a'],
      ['SINTERCARD', '3', 'a', 'b'],
      ['SINTERCARD', '9223372036854775807', 'a'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '-1'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', 'x'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT'],
      ['SINTERCARD', '2', 'a', 'b', 'foo', '1'],
      ['SINTERCARD', '1', 'a', 'b'],
      ['SINTERCARD', '1'],
    ]);
  });

  test('SSCAN of small sets and its errors', async () => {
    await compare([
      ['SADD', 'ints', '10', '2', '33', '4'],
      ['SADD', 'strs', 'a', 'b', 'ab'],
      ['SSCAN', 'ints', '0'],
      ['SSCAN', 'ints', '7', 'COUNT', '1'],
      ['SSCAN', 'ints', '0', 'MATCH', '3*'],
      ['SSCAN', 'ints', '0', 'MATCH', '[', 'COUNT', '5'],
      { command: ['SSCAN', 'strs', '0'], normalize: sortScanElements() },
      { command: ['SSCAN', 'strs', '0', 'MATCH', 'a*'], normalize: sortScanElements() },
      ['SSCAN', 'ints', 'x'],
      ['SSCAN', 'ints', '-1'],
      ['SSCAN', 'ints', '18446744073709551616'],
      ['SSCAN', 'ints', '0', 'COUNT', '0'],
      ['SSCAN', 'ints', '0', 'COUNT', 'x'],
      ['SSCAN', 'ints', '0', 'MATCH'],
      ['SSCAN', 'ints', '0', 'NOVALUES'],
      ['SSCAN', 'ints', '0', 'TYPE', 'set'],
      ['SSCAN', 'missing', '0', 'foo'],
      ['SSCAN', 'missing', 'x'],
      ['SSCAN', 'ints'],
    ]);
  });

  test('SSCAN of a large set visits every member once', async () => {
    for (const server of [damselfly, redis]) {
      const client = await RawClient.connect(server.port);
      try {
        await client.call(['FLUSHALL']);
        for (const step of fillSet('big', 1000, (i) => `m${i}`)) {
          await client.call(step as string[]);
        }
        const all = await sscanAll(client, 'big', ['COUNT', '30']);
        assert.equal(all.length, 1000, `${server.name}: members returned`);
        assert.equal(new Set(all).size, 1000, `${server.name}: distinct members`);
        const matched = await sscanAll(client, 'big', ['MATCH', 'm99*']);
        assert.deepEqual(
          new Set(matched),
          new Set(['m99', ...Array.from({ length: 10 }, (_, i) => `m99${i}`)]),
        );
      } finally {
        client.destroy();
      }
    }
  });

  test('RESP3 replies', async () => {
    await compare([
      { command: ['HELLO', '3'], ignore: true },
      ['SADD', 's', '3', '1', '2'],
      ['SMEMBERS', 's'],
      ['SMEMBERS', 'missing'],
      ['SINTER', 's', 's'],
      ['SINTER', 's', 'missing'],
      ['SUNION', 's'],
      ['SDIFF', 's', 'missing'],
      ['SMISMEMBER', 's', '1', '9'],
      ['SISMEMBER', 's', '1'],
      ['SRANDMEMBER', 's', '5'],
      ['SRANDMEMBER', 's', '0'],
      ['SRANDMEMBER', 'missing', '2'],
      ['SRANDMEMBER', 'missing'],
      ['SADD', 'one', 'x'],
      ['SRANDMEMBER', 'one', '-2'],
      ['SRANDMEMBER', 'one', '1'],
      ['SPOP', 'missing'],
      ['SPOP', 'missing', '2'],
      ['SPOP', 's', '0'],
      ['SPOP', 'one', '1'],
      ['SPOP', 's', '10'],
      ['SSCAN', 'missing', '0'],
      ['SINTERCARD', '1', 's'],
    ]);
  });

  test('keyspace events', async () => {
    const commands = [
      ['SADD', 's', '1', '2', '3'],
      ['SADD', 's', '1'],
      ['SREM', 's', '9'],
      ['SREM', 's', '1'],
      ['SADD', 'one', 'x'],
      ['SPOP', 'one'],
      ['SADD', 'one', 'y'],
      ['SPOP', 'one', '5'],
      ['SPOP', 'missing'],
      ['SMOVE', 's', 'other', '2'],
      ['SMOVE', 's', 'other', '9'],
      ['SMOVE', 's', 'other', '3'],
      ['SADD', 'a', '1', '2'],
      ['SADD', 'b', '2', '3'],
      ['SINTERSTORE', 'i', 'a', 'b'],
      ['SUNIONSTORE', 'u', 'a', 'b'],
      ['SDIFFSTORE', 'd', 'a', 'b'],
      ['SDIFFSTORE', 'd', 'a', 'a'],
      ['SDIFFSTORE', 'd', 'a', 'a'],
      ['SINTERSTORE', 'u', 'missing'],
      ['SREM', 'a', '1', '2'],
    ];
    const [ours, theirs] = await Promise.all([
      collectEvents(damselfly.port, commands),
      collectEvents(redis.port, commands),
    ]);
    assert.deepEqual(ours, theirs);
    assert.ok(ours.includes('spop one'));
  });

  test('change counts', async () => {
    const commands = [
      ['SADD', 's', '1', '2', '3'],
      ['SADD', 's', '1', '4'],
      ['SREM', 's', '9'],
      ['SREM', 's', '1', '2'],
      ['SADD', 'one', 'x'],
      ['SPOP', 'one'],
      ['SADD', 'many', '1', '2', '3'],
      ['SPOP', 'many', '5'],
      ['SMOVE', 's', 'other', '3'],
      ['SMOVE', 's', 'other', '9'],
      ['SADD', 'other', '4'],
      ['SMOVE', 's', 'other', '4'],
      ['SADD', 'a', '1', '2'],
      ['SINTERSTORE', 'i', 'a', 'a'],
      ['SUNIONSTORE', 'i', 'a', 'missing'],
      ['SDIFFSTORE', 'i', 'a', 'a'],
      ['SDIFFSTORE', 'i', 'a', 'a'],
      ['SMEMBERS', 'a'],
      ['SINTERCARD', '1', 'a'],
    ];
    const [ours, theirs] = await Promise.all([
      collectChanges(damselfly.port, commands),
      collectChanges(redis.port, commands),
    ]);
    assert.deepEqual(ours, theirs);
  });
});

/** Checks SRANDMEMBER and SPOP replies for a key: sizes, membership and distinctness. */
async function checkRandomMembers(client: RawClient, key: string, name: string): Promise<void> {
  const members = new Set(decodeBulkArray(await client.call(['SMEMBERS', key])) as string[]);
  const single = (await client.call(['SRANDMEMBER', key])).toString('latin1').split('\r\n')[1];
  assert.ok(members.has(single), `${name}: SRANDMEMBER ${key} picks a member`);

  for (const count of [1, 2, members.size - 1, members.size, members.size + 3]) {
    const reply = await client.call(['SRANDMEMBER', key, String(count)]);
    const picked = decodeBulkArray(reply) as string[];
    assert.equal(picked.length, Math.min(count, members.size), `${name}: size for ${count}`);
    assert.equal(new Set(picked).size, picked.length, `${name}: distinct for ${count}`);
    assert.ok(
      picked.every((member) => members.has(member)),
      `${name}: members for ${count}`,
    );
  }

  const repeated = decodeBulkArray(
    await client.call(['SRANDMEMBER', key, String(-members.size * 4)]),
  );
  assert.equal(repeated.length, members.size * 4, `${name}: repeated picks`);
  assert.ok(
    repeated.every((member) => members.has(member as string)),
    `${name}: repeated members`,
  );

  const popped = decodeBulkArray(await client.call(['SPOP', key, '2'])) as string[];
  assert.equal(new Set(popped).size, 2, `${name}: SPOP 2 distinct`);
  assert.ok(
    popped.every((member) => members.has(member)),
    `${name}: SPOP members`,
  );
  const left = decodeBulkArray(await client.call(['SMEMBERS', key])) as string[];
  assert.equal(left.length, members.size - 2, `${name}: SPOP removed two`);
  assert.ok(
    popped.every((member) => !left.includes(member)),
    `${name}: popped members are gone`,
  );
}

/** SSCANs a key until the cursor returns to 0; returns every member of every page. */
async function sscanAll(client: RawClient, key: string, options: string[]): Promise<string[]> {
  const members: string[] = [];
  let cursor = '0';
  do {
    const reply = (await client.call(['SSCAN', key, cursor, ...options])).toString('latin1');
    const cursorMatch = /^\*2\r\n\$\d+\r\n(\d+)\r\n/.exec(reply);
    assert.ok(cursorMatch, `unexpected SSCAN reply ${JSON.stringify(reply)}`);
    cursor = cursorMatch[1];
    const page = decodeBulkArray(Buffer.from(reply.slice(cursorMatch[0].length), 'latin1'));
    members.push(...(page as string[]));
  } while (cursor !== '0');
  return members;
}

describe('set encodings (Redis 7.2 rules)', () => {
  let damselfly: ServerProcess;
  let client: RawClient;
  const encoding = async (key: string) =>
    (await client.call(['OBJECT', 'ENCODING', key])).toString('latin1').split('\r\n')[1];
  const call = (...args: string[]) => client.call(args);

  before(async () => {
    damselfly = await startDamselfly();
    client = await RawClient.connect(damselfly.port);
  });

  after(async () => {
    client.destroy();
    await stopAllServers();
  });

  test('small sets of strings report hashtable, as in Redis 7.0', async () => {
    await call('FLUSHALL');
    await call('SADD', 'small', 'b', 'a', 'c');
    assert.equal(await encoding('small'), 'hashtable');
    assert.deepEqual(decodeBulkArray(await call('SMEMBERS', 'small')), ['b', 'a', 'c']);
    await call('SADD', 'long', 'x'.repeat(64));
    assert.equal(await encoding('long'), 'hashtable');
    await call('SADD', 'long', 'y'.repeat(65));
    assert.equal(await encoding('long'), 'hashtable');
    await call('SADD', 'many', ...Array.from({ length: 128 }, (_, i) => `m${i}`));
    assert.equal(await encoding('many'), 'hashtable');
    await call('SADD', 'many', 'one-more');
    assert.equal(await encoding('many'), 'hashtable');
    await call('SREM', 'many', 'one-more', 'm0', 'm1');
    assert.equal(await encoding('many'), 'hashtable');
  });

  test('intset converts to hashtable', async () => {
    await call('FLUSHALL');
    await call('SADD', 'mixed', '3', '1', '2');
    await call('SADD', 'mixed', 'a');
    assert.equal(await encoding('mixed'), 'hashtable');
    assert.deepEqual(decodeBulkArray(await call('SMEMBERS', 'mixed')), ['1', '2', '3', 'a']);
    await call('SADD', 'wide', ...Array.from({ length: 128 }, (_, i) => String(i)));
    assert.equal(await encoding('wide'), 'intset');
    await call('SADD', 'wide', 'a');
    assert.equal(await encoding('wide'), 'hashtable');
    await call('SADD', 'narrow', ...Array.from({ length: 127 }, (_, i) => String(i)));
    await call('SADD', 'narrow', 'a');
    assert.equal(await encoding('narrow'), 'hashtable');
    await call('SADD', 'toobig', '9223372036854775808');
    assert.equal(await encoding('toobig'), 'hashtable');
    await call('SADD', 'longmember', '1');
    await call('SADD', 'longmember', 'z'.repeat(65));
    assert.equal(await encoding('longmember'), 'hashtable');
  });

  test('thresholds follow CONFIG SET', async () => {
    await call('FLUSHALL');
    await call('CONFIG', 'SET', 'set-max-listpack-entries', '2', 'set-max-listpack-value', '3');
    try {
      await call('SADD', 'a', 'x', 'y');
      assert.equal(await encoding('a'), 'hashtable');
      await call('SADD', 'a', 'z');
      assert.equal(await encoding('a'), 'hashtable');
      await call('SADD', 'b', 'abcd');
      assert.equal(await encoding('b'), 'hashtable');
      await call('SADD', 'c', '1000');
      await call('SADD', 'c', 'x');
      assert.equal(await encoding('c'), 'hashtable');
      await call('CONFIG', 'SET', 'set-max-listpack-entries', '0');
      await call('SADD', 'd', 'x');
      assert.equal(await encoding('d'), 'hashtable');
    } finally {
      await call(
        'CONFIG',
        'SET',
        'set-max-listpack-entries',
        '128',
        'set-max-listpack-value',
        '64',
      );
    }
  });

  test('SUNIONSTORE result encodings', async () => {
    await call('FLUSHALL');
    await call('SADD', 'ints', '5', '1');
    await call('SADD', 'strs', 'b', 'a');
    await call('SUNIONSTORE', 'u1', 'ints', 'ints');
    assert.equal(await encoding('u1'), 'intset');
    await call('SUNIONSTORE', 'u2', 'ints', 'strs');
    assert.equal(await encoding('u2'), 'hashtable');
    assert.deepEqual(decodeBulkArray(await call('SMEMBERS', 'u2')), ['1', '5', 'b', 'a']);
  });
});

describe('set journal against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const args = ['--appendonly', 'yes', '--appendfsync', 'always'];

  before(async () => {
    damselfly = await startDamselfly({ args });
    const reference = await startRedisServer({ args });
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('append-only files match', async () => {
    const commands = [
      ['SADD', 's', '1', '2', '3'],
      ['SADD', 's', '1'],
      ['SREM', 's', '1', '9'],
      ['SADD', 'one', 'x'],
      ['SPOP', 'one'],
      ['SPOP', 'missing'],
      ['SMOVE', 's', 't', '2'],
      ['SMOVE', 's', 't', '9'],
      ['SINTERSTORE', 'i', 's', 't'],
      ['SUNIONSTORE', 'u', 's', 't'],
      ['SDIFFSTORE', 'd', 's', 't'],
      ['SRANDMEMBER', 's', '2'],
      ['SINTERCARD', '1', 's'],
    ];
    const [ours, theirs] = await Promise.all([
      journalOf(damselfly, commands),
      journalOf(redis, commands),
    ]);
    assert.deepEqual(ours.journal, theirs.journal);
    assert.ok(ours.journal.includes('SREM one x'));
  });

  test('SPOP with a count is journaled as SREM of the members taken', async () => {
    const members = Array.from({ length: 2000 }, (_, i) => `m${i}`);
    const { journal, replies } = await journalOf(damselfly, [
      ['SADD', 'pop', ...members],
      ['SPOP', 'pop', '1500'],
      ['SADD', 'pop2', 'a', 'b', 'c'],
      ['SPOP', 'pop2', '5'],
    ]);
    const popped = decodeBulkArray(replies[1]) as string[];
    const removals = journal.filter((line) => line.startsWith('SREM pop '));
    assert.deepEqual(
      removals.map((line) => line.split(' ').length - 2),
      [1024, 476],
    );
    assert.deepEqual(removals.flatMap((line) => line.split(' ').slice(2)).sort(), popped.sort());
    const last = journal.filter((line) => line.startsWith('SREM pop2 '));
    assert.deepEqual(
      last.map((line) => line.split(' ').slice(2).sort()),
      [['a', 'b', 'c']],
    );
  });
});

/** Commands for the property test: a few keys and members, so that operations collide. */
function setCommandArbitrary(): fc.Arbitrary<string[]> {
  const key = fc.constantFrom('s1', 's2', 's3', 'str');
  const member = fc.oneof(
    fc.constantFrom('1', '2', '-3', '10', '9223372036854775807', 'a', 'b', '', '01'),
    fc.string({ maxLength: 70 }),
  );
  const members = fc.array(member, { minLength: 1, maxLength: 4 });
  const count = fc.constantFrom('-3', '0', '1', '2', '50', 'x');
  const keys = fc.array(key, { minLength: 1, maxLength: 3 });
  return fc.oneof(
    fc.tuple(key, members).map(([k, m]) => ['SADD', k, ...m]),
    fc.tuple(key, members).map(([k, m]) => ['SREM', k, ...m]),
    fc.tuple(key, member).map(([k, m]) => ['SISMEMBER', k, m]),
    fc.tuple(key, members).map(([k, m]) => ['SMISMEMBER', k, ...m]),
    fc.tuple(key, key, member).map(([k, d, m]) => ['SMOVE', k, d, m]),
    fc.tuple(key, count).map(([k, c]) => ['SRANDMEMBER', k, c]),
    key.map((k) => ['SPOP', k, '100']),
    key.map((k) => ['SMEMBERS', k]),
    key.map((k) => ['SCARD', k]),
    key.map((k) => ['SSCAN', k, '0', 'COUNT', '1000']),
    key.map((k) => ['OBJECT', 'ENCODING', k]),
    keys.map((k) => ['SINTER', ...k]),
    keys.map((k) => ['SUNION', ...k]),
    keys.map((k) => ['SDIFF', ...k]),
    fc.tuple(key, keys).map(([d, k]) => ['SINTERSTORE', d, ...k]),
    fc.tuple(key, keys).map(([d, k]) => ['SUNIONSTORE', d, ...k]),
    fc.tuple(key, keys).map(([d, k]) => ['SDIFFSTORE', d, ...k]),
    keys.map((k) => ['SINTERCARD', String(k.length), ...k, 'LIMIT', '2']),
    key.map((k) => ['SET', k, 'plain']),
    key.map((k) => ['DEL', k]),
  );
}

/** Keeps only the length of a reply whose elements are random. */
const lengthOnly: Normalizer = (text) => text.replace(/^([*~]\d+\r\n)[\s\S]*$/, '$1');

/**
 * Normalizers for the property test. Sets that are not intsets list their
 * members in each server's own order, and SRANDMEMBER with a count picks at
 * random.
 */
const PROPERTY_NORMALIZERS: Record<string, Normalizer> = {
  SMEMBERS: sorted,
  SINTER: sorted,
  SUNION: sorted,
  SDIFF: sorted,
  SPOP: sorted,
  SSCAN: sortScanElements(),
  SRANDMEMBER: lengthOnly,
};

describe('set property test against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('random command sequences reply the same', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(setCommandArbitrary(), { minLength: 1, maxLength: 40 }),
        async (commands) => {
          const steps: Step[] = commands.map((command) => ({
            command,
            normalize: PROPERTY_NORMALIZERS[command[0]] ?? [],
          }));
          const result = await runDifferential(damselfly, redis, steps);
          assert.deepEqual(findMismatches(result), []);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('sets through client libraries', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
  });

  after(stopAllServers);

  test('ioredis membership and algebra', async () => {
    const client = new Redis({ port: damselfly.port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    try {
      await client.flushall();
      assert.equal(await client.sadd('a', 1, 2, 3), 3);
      assert.equal(await client.sadd('b', '3', '4'), 2);
      assert.deepEqual(await client.smembers('a'), ['1', '2', '3']);
      assert.equal(await client.sismember('a', 2), 1);
      assert.deepEqual(await client.smismember('a', 1, 9), [1, 0]);
      assert.deepEqual(await client.sinter('a', 'b'), ['3']);
      assert.deepEqual(await client.sunion('a', 'b'), ['1', '2', '3', '4']);
      assert.deepEqual(await client.sdiff('a', 'b'), ['1', '2']);
      assert.equal(await client.sintercard(2, 'a', 'b'), 1);
      assert.equal(await client.smove('a', 'b', '1'), 1);
      assert.equal(await client.scard('b'), 3);
      const popped = await client.spop('a', 5);
      assert.deepEqual(popped.sort(), ['2', '3']);
      assert.equal(await client.exists('a'), 0);
      await assert.rejects(client.sintercard(0, 'a'), /ERR numkeys should be greater than 0/);
    } finally {
      client.disconnect();
    }
  });

  test('node-redis scans and random members', async () => {
    const client = createClient({ socket: { port: damselfly.port, host: '127.0.0.1' } });
    await client.connect();
    try {
      await client.flushAll();
      const members = Array.from({ length: 500 }, (_, i) => `member:${i}`);
      assert.equal(await client.sAdd('big', members), 500);
      const seen = new Set<string>();
      for await (const member of client.sScanIterator('big', { COUNT: 50 })) seen.add(member);
      assert.equal(seen.size, 500);
      const random = await client.sRandMemberCount('big', 10);
      assert.equal(new Set(random).size, 10);
      assert.ok(random.every((member) => seen.has(member)));
      assert.equal(await client.sRem('big', members), 500);
      assert.equal(await client.exists('big'), 0);
    } finally {
      await client.quit();
    }
  });
});
