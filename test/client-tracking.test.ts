import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { exchange, startDamselflyWithMemcached } from './memcache-support';
import { assertDifferential, type Step } from './support/differential';
import { encodeCommand, RawClient } from './support/raw-client';
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
 * One step of a scenario over several connections. `$ID0`, `$ID1`, ... in
 * arguments become the connection ids on the server under test.
 */
interface ScenarioStep {
  /** Index of the connection that sends the command. */
  on: number;
  command: string[];
  /**
   * Whether the sender also sends the PING that marks the end of its output.
   * False inside MULTI and for CLIENT CACHING, whose effect a PING would end.
   */
  sync?: boolean;
  /** Shows connection ids as `<idN>`, for replies that contain them. */
  ids?: boolean;
  /** Time to wait before the step, for expiry. */
  waitMs?: number;
}

/**
 * Runs a scenario on connections to one server and returns what each
 * connection received at each step. The sender's first reply is read, then
 * each open connection, the sender first, sends `PING sync-N` and its output
 * is read up to that reply, so pushes are attributed to the step that caused
 * them. A connection that sent QUIT is left out from then on.
 */
async function runScenario(
  port: number,
  connections: number,
  steps: readonly ScenarioStep[],
): Promise<string[]> {
  const clients: RawClient[] = [];
  const ids: string[] = [];
  for (let i = 0; i < connections; i++) {
    const client = await RawClient.connect(port);
    clients.push(client);
    ids.push((await client.call(['CLIENT', 'ID'])).toString('latin1').slice(1, -2));
  }
  await clients[0].call(['FLUSHALL']);
  const transcript: string[] = [];
  try {
    for (const [index, step] of steps.entries()) {
      if (step.waitMs !== undefined) await sleep(step.waitMs);
      const args = step.command.map((arg) => arg.replace(/\$ID(\d)/g, (_, n) => ids[Number(n)]));
      const sender = clients[step.on];
      await sender.send(encodeCommand(args));
      const marker = `sync-${index}`;
      let line = `${step.command.join(' ')} (client ${step.on})`;
      line += ` -> ${(await sender.readReply()).toString('latin1')}`;
      if (args[0] === 'QUIT') await sender.waitForClose();
      const order = [step.on, ...clients.keys()].filter((i, n) => n === 0 || i !== step.on);
      for (const i of order) {
        const client = clients[i];
        if (client.closed || (i === step.on && step.sync === false)) continue;
        await client.send(encodeCommand(['PING', marker]));
        const output = (await client.readUntil(`${marker}\r\n`)).toString('latin1');
        line += `\n  client ${i}: ${JSON.stringify(output)}`;
      }
      if (step.ids) ids.forEach((id, n) => (line = line.split(`:${id}\r\n`).join(`<id${n}>`)));
      transcript.push(line);
    }
  } finally {
    for (const client of clients) client.destroy();
  }
  return transcript;
}

/** Runs a scenario on both servers and compares the transcripts step by step. */
async function sameScenario(connections: number, steps: ScenarioStep[]): Promise<void> {
  assert.ok(redis);
  const [ours, theirs] = await Promise.all([
    runScenario(damselfly.port, connections, steps),
    runScenario(redis.port, connections, steps),
  ]);
  for (let i = 0; i < steps.length; i++) assert.equal(ours[i], theirs[i]);
}

function on(client: number, ...command: string[]): ScenarioStep {
  return { on: client, command };
}

/** Builds a step whose sender sends no PING after it: a command queued by MULTI, or CLIENT CACHING. */
function unsynced(client: number, ...command: string[]): ScenarioStep {
  return { on: client, command, sync: false };
}

describe('CLIENT TRACKING arguments', { skip }, () => {
  test('option errors match Redis', () =>
    same([
      ['CLIENT', 'TRACKING'],
      ['CLIENT', 'TRACKING', 'maybe'],
      ['CLIENT', 'TRACKING', 'on', 'bogus'],
      ['CLIENT', 'TRACKING', 'on', 'redirect'],
      ['CLIENT', 'TRACKING', 'on', 'prefix'],
      ['CLIENT', 'TRACKING', 'on', 'prefix', 'a'],
      ['CLIENT', 'TRACKING', 'on', 'optin', 'optout'],
      ['CLIENT', 'TRACKING', 'on', 'bcast', 'optin'],
      ['CLIENT', 'TRACKING', 'on', 'optout', 'bcast', 'prefix', 'a'],
      ['CLIENT', 'TRACKING', 'on', 'redirect', 'x'],
      ['CLIENT', 'TRACKING', 'on', 'redirect', '0'],
      ['CLIENT', 'TRACKING', 'on', 'redirect', '-5'],
      ['CLIENT', 'TRACKING', 'on', 'redirect', '999999'],
      ['CLIENT', 'TRACKING', 'on', 'redirect', '99999999999999999999'],
      ['CLIENT', 'TRACKING', 'off', 'redirect', '999999'],
      ['CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'ab', 'prefix', 'a'],
      ['CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'a', 'prefix', 'a'],
      ['CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', '', 'prefix', 'x'],
      ['CLIENT', 'TRACKING', 'off', 'bcast', 'prefix', 'x'],
    ]));

  test('mode changes while on are rejected', () =>
    same([
      ['CLIENT', 'TRACKING', 'on', 'optin'],
      ['CLIENT', 'TRACKING', 'on', 'optout'],
      ['CLIENT', 'TRACKING', 'on', 'bcast'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'on', 'noloop'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'a', 'prefix', 'b'],
      ['CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'ab'],
      ['CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'd', 'PREFIX', 'c'],
      ['CLIENT', 'TRACKING', 'on'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'on', 'bcast'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'e'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKINGINFO'],
    ]));

  test('CLIENT CACHING errors and flags', () =>
    same([
      ['CLIENT', 'CACHING', 'yes'],
      ['CLIENT', 'CACHING'],
      ['CLIENT', 'CACHING', 'yes', 'no'],
      ['CLIENT', 'TRACKING', 'on'],
      ['CLIENT', 'CACHING', 'yes'],
      ['CLIENT', 'CACHING', 'no'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKING', 'on', 'optin', 'noloop'],
      ['CLIENT', 'CACHING', 'maybe'],
      ['CLIENT', 'CACHING', 'no'],
      ['CLIENT', 'CACHING', 'YES'],
      ['CLIENT', 'TRACKINGINFO'],
      ['PING'],
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'TRACKING', 'on', 'optout'],
      ['CLIENT', 'CACHING', 'no'],
      { command: ['HELLO', '3'], ignore: true },
      ['CLIENT', 'TRACKINGINFO'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'TRACKING', 'off'],
      ['CLIENT', 'GETREDIR'],
      ['CLIENT', 'TRACKINGINFO'],
    ]));

  test('GETREDIR, TRACKINGINFO and CLIENT LIST show the redirect', () =>
    sameScenario(2, [
      on(0, 'CLIENT', 'GETREDIR'),
      on(0, 'CLIENT', 'TRACKING', 'on', 'redirect', '$ID1', 'redirect', '$ID1'),
      { ...on(0, 'CLIENT', 'TRACKING', 'on', 'redirect', '$ID1', 'optin'), ids: true },
      { ...on(0, 'CLIENT', 'GETREDIR'), ids: true },
      { ...on(0, 'CLIENT', 'TRACKINGINFO'), ids: true },
      on(0, 'CLIENT', 'TRACKING', 'off'),
      on(0, 'CLIENT', 'GETREDIR'),
    ]));

  test('CLIENT LIST flags and redir', async () => {
    const client = await RawClient.connect(damselfly.port);
    const other = await RawClient.connect(damselfly.port);
    const otherId = (await other.call(['CLIENT', 'ID'])).toString().slice(1, -2);
    await client.call(['CLIENT', 'TRACKING', 'on', 'redirect', otherId]);
    const tracked = (await client.call(['CLIENT', 'INFO'])).toString();
    assert.match(tracked, / flags=t /);
    assert.match(tracked, new RegExp(` redir=${otherId} `));
    other.destroy();
    await client.call(['CLIENT', 'TRACKING', 'off']);
    await client.call(['CLIENT', 'TRACKING', 'on', 'bcast']);
    const bcast = (await client.call(['CLIENT', 'INFO'])).toString();
    assert.match(bcast, / flags=tB /);
    assert.match(bcast, / redir=0 /);
    client.destroy();
  });

  test('tracking-table-max-keys setting', () =>
    same([
      ['CONFIG', 'GET', 'tracking-table-max-keys'],
      ['CONFIG', 'SET', 'tracking-table-max-keys', '-1'],
      ['CONFIG', 'SET', 'tracking-table-max-keys', 'x'],
    ]));
});

describe('invalidation messages', { skip }, () => {
  test('RESP3 push to the reader', () =>
    sameScenario(2, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on'),
      on(0, 'GET', 'a'),
      on(0, 'MGET', 'a', 'b'),
      on(1, 'SET', 'a', '1'),
      on(1, 'SET', 'a', '2'),
      on(1, 'SET', 'b', '2'),
      on(0, 'GET', 'a'),
      on(0, 'SET', 'a', '3'),
      on(0, 'STRLEN', 'a'),
      on(1, 'APPEND', 'a', 'x'),
      on(0, 'LPUSH', 'list', 'x'),
      on(0, 'GET', 'list'),
      on(1, 'RPUSH', 'list', 'y'),
      on(1, 'DEL', 'list'),
    ]));

  test('keys are tracked by name in every database', () =>
    sameScenario(2, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on'),
      on(0, 'GET', 'a'),
      on(1, 'SELECT', '1'),
      on(1, 'SET', 'a', '1'),
      on(0, 'GET', 'a'),
      on(1, 'SWAPDB', '0', '1'),
      on(1, 'SET', 'a', '2'),
    ]));

  test('tracking off and on again', () =>
    sameScenario(2, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on'),
      on(0, 'GET', 'kept'),
      on(0, 'CLIENT', 'TRACKING', 'off'),
      on(0, 'GET', 'untracked'),
      on(1, 'SET', 'untracked', '1'),
      on(0, 'CLIENT', 'TRACKING', 'on'),
      on(1, 'SET', 'kept', '1'),
    ]));

  test('MULTI/EXEC sends after the EXEC reply', () =>
    sameScenario(2, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on'),
      on(0, 'GET', 'b'),
      unsynced(0, 'MULTI'),
      unsynced(0, 'SET', 'b', '1'),
      unsynced(0, 'GET', 'c'),
      unsynced(0, 'SET', 'c', '2'),
      on(0, 'EXEC'),
      on(0, 'GET', 'd'),
      unsynced(1, 'MULTI'),
      unsynced(1, 'SET', 'd', '1'),
      unsynced(1, 'INCR', 'n'),
      on(1, 'EXEC'),
    ]));

  test('RESP2 redirect to a subscriber', () =>
    sameScenario(3, [
      on(1, 'SUBSCRIBE', '__redis__:invalidate'),
      on(0, 'CLIENT', 'TRACKING', 'on', 'redirect', '$ID1'),
      on(0, 'GET', 'q'),
      on(2, 'SET', 'q', '1'),
      on(0, 'GET', 'q'),
      on(0, 'SET', 'q', '2'),
      on(0, 'GET', 'q'),
      on(2, 'FLUSHDB'),
      on(1, 'UNSUBSCRIBE'),
      on(0, 'GET', 'w'),
      on(2, 'SET', 'w', '1'),
      on(1, 'SUBSCRIBE', 'other'),
      on(0, 'GET', 'w'),
      on(2, 'SET', 'w', '2'),
    ]));

  test('RESP2 without redirect gets nothing', () =>
    sameScenario(2, [
      on(0, 'CLIENT', 'TRACKING', 'on'),
      on(0, 'GET', 'a'),
      on(1, 'SET', 'a', '1'),
      on(0, 'FLUSHALL'),
    ]));

  test('FLUSHALL and FLUSHDB send a null', () =>
    sameScenario(3, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on'),
      on(2, 'CLIENT', 'TRACKING', 'on', 'bcast'),
      on(1, 'FLUSHDB'),
      on(1, 'FLUSHALL'),
      on(0, 'FLUSHALL', 'ASYNC'),
      on(0, 'GET', 'a'),
      on(1, 'SELECT', '3'),
      on(1, 'FLUSHDB', 'SYNC'),
      on(1, 'SET', 'a', '1'),
      unsynced(0, 'MULTI'),
      unsynced(0, 'FLUSHDB'),
      unsynced(0, 'FLUSHALL'),
      on(0, 'EXEC'),
    ]));

  test('BCAST with prefixes', () =>
    sameScenario(3, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'p:', 'prefix', 'q:'),
      on(1, 'SUBSCRIBE', '__redis__:invalidate'),
      on(2, 'CLIENT', 'TRACKING', 'on', 'bcast', 'redirect', '$ID1', 'prefix', 'q:'),
      on(2, 'MSET', 'p:1', 'a', 'q:2', 'b', 'r:3', 'c', 'p:0', 'd'),
      on(2, 'SET', 'p:9', 'x'),
      on(2, 'DEL', 'nothing'),
      on(2, 'DEL', 'p:9', 'q:2'),
      on(0, 'SET', 'q:5', 'own'),
      on(0, 'GET', 'p:1'),
      on(2, 'INCR', 'q:n'),
    ]));

  test('BCAST pipelined writes are batched', async () => {
    assert.ok(redis);
    const [ours, theirs] = await Promise.all([
      pipelinedBroadcast(damselfly.port),
      pipelinedBroadcast(redis.port),
    ]);
    assert.equal(ours, theirs);
  });

  test('OPTIN tracks after CACHING yes only', () =>
    sameScenario(2, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on', 'optin'),
      on(0, 'GET', 'a'),
      unsynced(0, 'CLIENT', 'CACHING', 'yes'),
      unsynced(0, 'CLIENT', 'GETREDIR'),
      on(0, 'GET', 'b'),
      on(0, 'GET', 'c'),
      unsynced(0, 'CLIENT', 'CACHING', 'yes'),
      on(0, 'MGET', 'd', 'e'),
      unsynced(0, 'CLIENT', 'CACHING', 'yes'),
      unsynced(0, 'NOSUCHCOMMAND'),
      on(0, 'GET', 'f'),
      unsynced(0, 'CLIENT', 'CACHING', 'yes'),
      unsynced(0, 'CLIENT', 'CACHING'),
      unsynced(0, 'CLIENT', 'GETNAME', 'extra'),
      on(0, 'GET', 'g'),
      unsynced(0, 'CLIENT', 'CACHING', 'yes'),
      unsynced(0, 'CLIENT', 'NOSUCHSUBCOMMAND'),
      on(0, 'GET', 'h'),
      on(1, 'MSET', 'a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5', 'f', '6', 'g', '7', 'h', '8'),
    ]));

  test('OPTOUT and NOLOOP', () =>
    sameScenario(2, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on', 'optout', 'noloop'),
      on(0, 'GET', 'a'),
      unsynced(0, 'CLIENT', 'CACHING', 'no'),
      on(0, 'GET', 'b'),
      on(0, 'GET', 'c'),
      on(0, 'SET', 'a', '5'),
      on(1, 'MSET', 'a', '1', 'b', '2', 'c', '3'),
      on(0, 'GET', 'c'),
      on(0, 'DEL', 'c'),
      on(1, 'SET', 'c', '4'),
    ]));

  test('script reads track declared keys', () =>
    sameScenario(2, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on'),
      on(0, 'EVAL', "return redis.call('get', KEYS[1])", '2', 'k1', 'k2'),
      on(0, 'EVAL', 'return 1', '1', 'k3'),
      on(0, 'EVAL_RO', "return redis.call('get', 'k4')", '1', 'k5'),
      on(1, 'MSET', 'k1', '1', 'k2', '2', 'k3', '3', 'k4', '4', 'k5', '5'),
      on(0, 'EVAL', "return redis.call('get', KEYS[1])", '1', 'k6'),
      on(0, 'EVAL', "return redis.call('set', KEYS[1], 'x')", '1', 'k6'),
      on(0, 'CLIENT', 'TRACKING', 'off'),
      on(0, 'CLIENT', 'TRACKING', 'on', 'optin'),
      on(0, 'EVAL', "return redis.call('get', KEYS[1])", '1', 'k7'),
      unsynced(0, 'CLIENT', 'CACHING', 'yes'),
      on(0, 'EVAL', "return redis.call('get', KEYS[1])", '1', 'k8'),
      on(1, 'MSET', 'k7', '1', 'k8', '2'),
    ]));

  test('expired key is invalidated', () =>
    sameScenario(2, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on'),
      on(1, 'SET', 'k', 'v', 'PX', '100'),
      on(0, 'GET', 'k'),
      { ...on(1, 'GET', 'k'), waitMs: 300 },
    ]));

  test('evicted key is invalidated', () =>
    sameScenario(2, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on'),
      on(1, 'SET', 'ev:a', '1'),
      on(0, 'GET', 'ev:a'),
      on(1, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random'),
      on(1, 'CONFIG', 'SET', 'maxmemory', '1'),
      on(1, 'CONFIG', 'SET', 'maxmemory', '0'),
      on(1, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction'),
    ]));

  test('broken redirect is reported', () =>
    sameScenario(3, [
      on(0, 'HELLO', '3'),
      on(0, 'CLIENT', 'TRACKING', 'on', 'redirect', '$ID2'),
      on(0, 'GET', 'a'),
      on(2, 'QUIT'),
      { ...on(1, 'SET', 'a', '1'), ids: true },
      { ...on(0, 'CLIENT', 'TRACKINGINFO'), ids: true },
      on(0, 'GET', 'a'),
      { ...on(1, 'SET', 'a', '2'), ids: true },
    ]));

  test('INFO tracking fields', async () => {
    assert.ok(redis);
    const [ours, theirs] = await Promise.all([
      trackingInfo(damselfly.port),
      trackingInfo(redis.port),
    ]);
    assert.equal(ours, theirs);
  });

  test('table bound invalidates keys', async () => {
    assert.ok(redis);
    for (const port of [damselfly.port, redis.port]) {
      const result = await overfillTable(port);
      assert.equal(result.pushes, 1, `port ${port}`);
      assert.equal(result.totalKeys, 'tracking_total_keys:2', `port ${port}`);
    }
  });
});

/** Sends four pipelined writes under two prefixes; returns what the BCAST client received. */
async function pipelinedBroadcast(port: number): Promise<string> {
  const reader = await RawClient.connect(port);
  const writer = await RawClient.connect(port);
  await reader.call(['HELLO', '3']);
  await reader.call(['CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'b:', 'prefix', 'a:']);
  const batch = [
    ['SET', 'b:2', '1'],
    ['SET', 'a:1', '1'],
    ['SET', 'b:1', '1'],
    ['SET', 'b:2', '2'],
  ];
  await writer.send(Buffer.concat(batch.map((args) => encodeCommand(args))));
  await writer.readReplies(batch.length);
  await reader.send(encodeCommand(['PING', 'end']));
  const output = (await reader.readUntil('end\r\n')).toString('latin1');
  reader.destroy();
  writer.destroy();
  return output;
}

/** Tracks keys and prefixes on two connections; returns INFO's tracking lines. */
async function trackingInfo(port: number): Promise<string> {
  const first = await RawClient.connect(port);
  const second = await RawClient.connect(port);
  await first.call(['FLUSHALL']);
  await first.call(['CLIENT', 'TRACKING', 'on']);
  await first.call(['MGET', 'x', 'y', 'z']);
  await second.call(['CLIENT', 'TRACKING', 'on']);
  await second.call(['GET', 'x']);
  await second.call(['CLIENT', 'TRACKING', 'off']);
  await second.call(['CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'p', 'prefix', 'q']);
  const info = (await first.call(['INFO'])).toString('latin1');
  first.destroy();
  second.destroy();
  return info
    .split('\r\n')
    .filter((line) => line.startsWith('tracking_'))
    .join('\n');
}

/** Reads three keys with tracking-table-max-keys 2; counts the invalidations that follow. */
async function overfillTable(port: number): Promise<{ pushes: number; totalKeys: string }> {
  const client = await RawClient.connect(port);
  await client.call(['FLUSHALL']);
  await client.call(['CONFIG', 'SET', 'tracking-table-max-keys', '2']);
  await client.call(['HELLO', '3']);
  await client.call(['CLIENT', 'TRACKING', 'on']);
  await client.send(encodeCommand(['MGET', 'k1', 'k2', 'k3']));
  await sleep(200);
  await client.send(encodeCommand(['PING', 'end']));
  const output = (await client.readUntil('end\r\n')).toString('latin1');
  const pushes = output.split('>2\r\n$10\r\ninvalidate\r\n').length - 1;
  await client.call(['CLIENT', 'TRACKING', 'off']);
  const info = (await client.call(['INFO', 'stats'])).toString('latin1');
  await client.call(['CONFIG', 'SET', 'tracking-table-max-keys', '1000000']);
  client.destroy();
  const totalKeys = info.split('\r\n').find((line) => line.startsWith('tracking_total_keys:'));
  return { pushes, totalKeys: totalKeys ?? '' };
}

describe('CLIENT REPLY', { skip }, () => {
  test('OFF, SKIP and ON in a pipeline', () =>
    same([
      {
        raw: Buffer.concat(
          [
            ['CLIENT', 'REPLY', 'OFF'],
            ['SET', 'a', '1'],
            ['GET', 'a'],
            ['NOSUCHCOMMAND'],
            ['CLIENT', 'REPLY', 'SKIP'],
            ['CLIENT', 'REPLY', 'ON'],
            ['CLIENT', 'REPLY', 'SKIP'],
            ['GET', 'a'],
            ['GET', 'a'],
            ['CLIENT', 'REPLY', 'SKIP'],
            ['CLIENT', 'REPLY', 'SKIP'],
            ['INCR', 'a'],
            ['INCR', 'a'],
            ['CLIENT', 'REPLY', 'SKIP'],
            ['CLIENT', 'REPLY', 'ON'],
            ['CLIENT', 'REPLY', 'SKIP'],
            ['NOSUCHCOMMAND'],
            ['CLIENT', 'REPLY', 'SKIP'],
            ['CLIENT', 'REPLY', 'OFF'],
            ['GET', 'a'],
            ['CLIENT', 'REPLY', 'ON'],
            ['PING'],
          ].map((args) => encodeCommand(args)),
        ),
      },
      ['CLIENT', 'REPLY', 'maybe'],
      ['CLIENT', 'REPLY'],
      ['CLIENT', 'REPLY', 'on', 'off'],
      ['GET', 'a'],
    ]));

  test('one request at a time', () =>
    same([
      { command: ['CLIENT', 'REPLY', 'SKIP'], read: 0 },
      { command: ['SET', 'b', '1'], read: 0 },
      ['GET', 'b'],
      { command: ['CLIENT', 'REPLY', 'OFF'], read: 0 },
      { command: ['DEL', 'b'], read: 0 },
      ['CLIENT', 'REPLY', 'ON'],
      ['EXISTS', 'b'],
      { command: ['CLIENT', 'REPLY', 'SKIP'], read: 0 },
      { command: ['RESET'], read: 0 },
      { command: ['CLIENT', 'REPLY', 'OFF'], read: 0 },
      ['RESET'],
      ['PING'],
    ]));

  test('subscription confirmations while off', () =>
    same([
      {
        raw: Buffer.concat(
          [
            ['CLIENT', 'REPLY', 'OFF'],
            ['SUBSCRIBE', 'a', 'b'],
            ['UNSUBSCRIBE', 'a'],
            ['SUBSCRIBE'],
            ['PING'],
            ['PSUBSCRIBE', 'p*'],
            ['UNSUBSCRIBE'],
            ['PUNSUBSCRIBE'],
            ['PUBLISH', 'a', 'x'],
            ['CLIENT', 'REPLY', 'ON'],
          ].map((args) => encodeCommand(args)),
        ),
      },
    ]));

  test('invalidations arrive while replies are off', async () => {
    assert.ok(redis);
    const [ours, theirs] = await Promise.all([
      pushWhileRepliesOff(damselfly.port),
      pushWhileRepliesOff(redis.port),
    ]);
    assert.equal(ours, theirs);
  });
});

/** Turns replies off on a tracking client, changes a key it read, and returns what it got. */
async function pushWhileRepliesOff(port: number): Promise<string> {
  const reader = await RawClient.connect(port);
  const writer = await RawClient.connect(port);
  await reader.call(['HELLO', '3']);
  await reader.call(['CLIENT', 'TRACKING', 'on']);
  await reader.call(['GET', 'off:key']);
  await reader.send(encodeCommand(['CLIENT', 'REPLY', 'OFF']));
  await reader.send(encodeCommand(['GET', 'off:key']));
  await writer.call(['SET', 'off:key', '1']);
  await reader.send(encodeCommand(['CLIENT', 'REPLY', 'ON']));
  await reader.send(encodeCommand(['PING', 'end']));
  const output = (await reader.readUntil('end\r\n')).toString('latin1');
  reader.destroy();
  writer.destroy();
  return output;
}

/**
 * A small client-side cache on ioredis, in the RESP2 way Redis documents:
 * a second connection subscribes to __redis__:invalidate and the data
 * connection redirects its invalidations there. (ioredis and node-redis 4
 * have no built-in client-side caching.)
 */
describe('ioredis client-side cache', () => {
  test('invalidates a cached value', async () => {
    const data = new Redis({ port: damselfly.port, lazyConnect: true });
    const invalidations = new Redis({ port: damselfly.port, lazyConnect: true });
    const writer = new Redis({ port: damselfly.port, lazyConnect: true });
    await Promise.all([data.connect(), invalidations.connect(), writer.connect()]);
    try {
      const cache = new Map<string, string | null>();
      const invalidated: (string[] | null)[] = [];
      invalidations.on('messageBuffer', (_channel: Buffer, message: unknown) => {
        const keys = Array.isArray(message) ? message.map((key) => String(key)) : null;
        invalidated.push(keys);
        if (keys === null) cache.clear();
        else for (const key of keys) cache.delete(key);
      });
      const redirect = await invalidations.call('CLIENT', 'ID');
      await invalidations.subscribe('__redis__:invalidate');
      await data.call('CLIENT', 'TRACKING', 'on', 'REDIRECT', String(redirect));
      await writer.set('user:1', 'ann');
      cache.set('user:1', await data.get('user:1'));
      assert.equal(cache.get('user:1'), 'ann');

      await writer.set('user:1', 'bob');
      await waitFor(() => invalidated.length === 1);
      assert.deepEqual(invalidated[0], ['user:1']);
      assert.equal(cache.has('user:1'), false);

      cache.set('user:1', await data.get('user:1'));
      await writer.flushall();
      await waitFor(() => invalidated.length === 2);
      assert.equal(invalidated[1], null);
      assert.equal(cache.size, 0);
    } finally {
      data.disconnect();
      invalidations.disconnect();
      writer.disconnect();
    }
  });
});

describe('memcached writes', () => {
  test('invalidate keys read over RESP', async () => {
    const server = await startDamselflyWithMemcached();
    const reader = await RawClient.connect(server.port);
    await reader.call(['HELLO', '3']);
    await reader.call(['CLIENT', 'TRACKING', 'on']);
    await reader.call(['MGET', 'mc:a', 'mc:b']);

    assert.equal(await exchange(server.memcachedPort, 'set mc:a 0 0 1\r\nx\r\n'), 'STORED\r\n');
    await reader.send(encodeCommand(['PING', 'set']));
    const afterSet = (await reader.readUntil('set\r\n')).toString('latin1');
    assert.equal(afterSet, '>2\r\n$10\r\ninvalidate\r\n*1\r\n$4\r\nmc:a\r\n$3\r\nset\r\n');

    assert.equal(await exchange(server.memcachedPort, 'flush_all\r\n'), 'OK\r\n');
    await reader.send(encodeCommand(['PING', 'flush']));
    const afterFlush = (await reader.readUntil('flush\r\n')).toString('latin1');
    assert.equal(afterFlush, '>2\r\n$10\r\ninvalidate\r\n_\r\n$5\r\nflush\r\n');
    reader.destroy();
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await sleep(20);
  assert.ok(condition(), 'condition not reached within 2 s');
}
