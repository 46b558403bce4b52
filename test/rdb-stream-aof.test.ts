/**
 * Append-only rewrites in command form (`aof-use-rdb-preamble no`). The
 * commands Damselfly emits for a stream must be the commands redis-server
 * 7.0 writes to its own base file for the same stream. A Damselfly rewrite
 * of every type must reload to the same data.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Redis from 'ioredis';
import { emitStreamCommands } from '../src/persistence/aof-rewrite-stream';
import type { PlainStream } from '../src/persistence/plain-stream';
import { RdbDecoder } from '../src/persistence/rdb-decoder';
import { decodeValue } from '../src/persistence/rdb-values';
import { RespParser } from '../src/protocol/resp/parser';
import { SCENARIOS } from './rdb-stream-scenarios';
import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  sleep,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

const skip = redisServerSkipReason();

after(stopAllServers);

/** Parses every RESP command in an append-only file. */
function parseCommands(file: Buffer): string[][] {
  const limits = { maxBulkLength: 1 << 30, maxArguments: 1 << 20, maxInlineLength: 1 << 16 };
  const parser = new RespParser(limits);
  parser.feed(file);
  const commands: string[][] = [];
  for (let args = parser.next(); args !== null; args = parser.next()) commands.push(args);
  assert.equal(parser.buffered, 0, 'the file ends inside a command');
  return commands;
}

/** Returns the base file of an append-only directory, as its manifest names it. */
function baseFile(dir: string): string {
  const directory = path.join(dir, 'appendonlydir');
  const manifest = fs.readFileSync(path.join(directory, 'appendonly.aof.manifest'), 'latin1');
  const match = /^file (\S+) seq \d+ type b$/m.exec(manifest);
  assert.ok(match, `no base file in the manifest:\n${manifest}`);
  return path.join(directory, match[1]);
}

async function call(client: RawClient, ...args: string[]): Promise<Buffer> {
  return client.call(args.map((arg) => Buffer.from(arg, 'latin1')));
}

/** Starts a rewrite and waits until it is over. */
async function rewrite(client: RawClient): Promise<void> {
  const reply = (await call(client, 'BGREWRITEAOF')).toString('latin1');
  assert.match(reply, /^\+Background append only file rewriting/);
  for (let i = 0; i < 200; i++) {
    const info = (await call(client, 'INFO', 'persistence')).toString('latin1');
    const busy = /aof_rewrite_in_progress:1|aof_rewrite_scheduled:1/.test(info);
    if (!busy && /aof_last_bgrewrite_status:ok/.test(info)) return;
    await sleep(50);
  }
  assert.fail('the rewrite did not finish');
}

function decodeDump(reply: Buffer): PlainStream {
  const headerEnd = reply.indexOf('\r\n');
  const payload = reply.subarray(headerEnd + 2, reply.length - 2);
  const d = new RdbDecoder(payload.subarray(0, payload.length - 10));
  return decodeValue(d, d.byte()) as PlainStream;
}

describe('stream rewrite commands match redis-server 7.0', { skip }, () => {
  let server: ServerProcess;
  let redis: RawClient;

  before(async () => {
    const started = await startRedisServer({
      args: ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no'],
    });
    assert.ok(started);
    server = started;
    redis = await RawClient.connect(server.port);
  });

  after(() => redis?.destroy());

  for (const scenario of SCENARIOS) {
    test(scenario.name, async () => {
      await call(redis, 'FLUSHALL');
      for (const command of scenario.commands) await call(redis, ...command);
      const stream = decodeDump(await call(redis, 'DUMP', 's'));
      await rewrite(redis);

      const written = parseCommands(fs.readFileSync(baseFile(server.dir)));
      const emitted: string[][] = [['SELECT', '0']];
      emitStreamCommands('s', stream, (args) => emitted.push(args));
      assert.deepEqual(emitted, written);
    });
  }
});

/** Returns the normalized replies of the commands that inspect a stream and its groups. */
async function inspect(client: RawClient, key: string): Promise<string[]> {
  const groups = (await call(client, 'XINFO', 'GROUPS', key)).toString('latin1');
  const names = [...groups.matchAll(/\$4\r\nname\r\n\$\d+\r\n([^\r]*)\r\n/g)].map((m) => m[1]);
  const commands = [
    ['XINFO', 'STREAM', key, 'FULL'],
    ['XRANGE', key, '-', '+'],
    ...names.map((group) => ['XPENDING', key, group, '-', '+', '10000']),
  ];
  const replies: string[] = [];
  for (const command of commands) {
    let text = (await call(client, ...command)).toString('latin1');
    text = text.replace(/(idle\r\n):\d+/g, '$1:T');
    text = text.replace(/(\*4\r\n\$\d+\r\n[\d-]+\r\n\$\d+\r\n[^\r]*\r\n):\d+/g, '$1:T');
    // A rewrite rebuilds nodes without deleted entries, and Damselfly's radix tree is its own.
    text = text.replace(/(radix-tree-(keys|nodes)\r\n):\d+/g, '$1:N');
    replies.push(`${command[0]} ${command[1]}\n${text}`);
  }
  return replies;
}

/** Replaces every absolute time, and consumers' seen times, which a replay resets. */
function withoutTimes(replies: string[]): string[] {
  return replies.map((reply) =>
    reply.replace(/:\d{13}\r\n/g, ':T\r\n').replace(/(seen-time\r\n):\d+/g, '$1:T'),
  );
}

function withoutSeenTimes(replies: string[]): string[] {
  return replies.map((reply) => reply.replace(/(seen-time\r\n):\d+/g, '$1:T'));
}

/** Runs every scenario, with its key `s` renamed to s0, s1, ... */
async function runScenarios(client: RawClient): Promise<string[]> {
  const keys: string[] = [];
  for (const [i, scenario] of SCENARIOS.entries()) {
    const key = `s${i}`;
    keys.push(key);
    for (const command of scenario.commands) {
      const reply = await call(client, ...command.map((arg) => (arg === 's' ? key : arg)));
      assert.notEqual(reply[0], 0x2d, reply.toString('latin1'));
    }
  }
  return keys;
}

describe('stream rewrites reload', { skip }, () => {
  const preambleOff = ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no'];

  test('command form, as redis-server reloads it', async () => {
    const started = await Promise.all([
      startDamselfly({ args: preambleOff }),
      startRedisServer({ args: preambleOff }),
    ]);
    const servers = started as ServerProcess[];
    const before: string[][][] = [];
    let keys: string[] = [];
    for (const server of servers) {
      const client = await RawClient.connect(server.port);
      keys = await runScenarios(client);
      const replies: string[][] = [];
      for (const key of keys) replies.push(await inspect(client, key));
      before.push(replies);
      await rewrite(client);
      client.destroy();
      await server.stop();
    }

    const reloaded: string[][][] = [];
    for (const server of servers) {
      const restarted =
        server.name === 'damselfly'
          ? await startDamselfly({ dir: server.dir, args: preambleOff })
          : await startRedisServer({ dir: server.dir, args: preambleOff });
      assert.ok(restarted);
      const client = await RawClient.connect(restarted.port);
      const replies: string[][] = [];
      for (const key of keys) replies.push(await inspect(client, key));
      reloaded.push(replies);
      client.destroy();
    }

    for (const [i, scenario] of SCENARIOS.entries()) {
      assert.deepEqual(withoutTimes(reloaded[0][i]), withoutTimes(reloaded[1][i]), scenario.name);
      // Replaying XCLAIM drops pending entries whose stream entry was deleted.
      if (scenario.name === 'an empty stream with pending entries') continue;
      assert.deepEqual(
        withoutSeenTimes(reloaded[0][i]),
        withoutSeenTimes(before[0][i]),
        scenario.name,
      );
    }
  });

  test('snapshot form keeps every field', async () => {
    const args = ['--appendonly', 'yes'];
    const server = await startDamselfly({ args });
    const client = await RawClient.connect(server.port);
    const keys = await runScenarios(client);
    const before: string[][] = [];
    for (const key of keys) before.push(await inspect(client, key));
    await rewrite(client);
    assert.match(baseFile(server.dir), /\.base\.rdb$/);
    client.destroy();
    await server.stop();

    const restarted = await startDamselfly({ dir: server.dir, args });
    const reader = await RawClient.connect(restarted.port);
    for (const [i, key] of keys.entries()) {
      assert.deepEqual(await inspect(reader, key), before[i], SCENARIOS[i].name);
    }
    reader.destroy();
  });
});

describe('command-form rewrite of every type', () => {
  test('reloads strings, collections and expiry times', async () => {
    const first = await startDamselfly({
      args: ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no'],
    });
    const client = new Redis({ port: first.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    try {
      await client.set('string', 'value\r\n\x00');
      await client.set('counter', '12345');
      await client.pexpireat('counter', 4102444800000);
      await client.rpush('list', ...Array.from({ length: 150 }, (_, i) => `e${i}`));
      await client.hset('hash', ...Array.from({ length: 140 }, (_, i) => `f${i}`));
      await client.sadd('set', 'a', 'b', '3');
      await client.zadd('zset', '0.1', 'a', '-inf', 'b', '1e300', 'c', '2', 'd');
      await client.select(4);
      await client.set('in-db-4', 'x');
      const raw = await RawClient.connect(first.port);
      await rewrite(raw);
      raw.destroy();

      const base = baseFile(first.dir);
      assert.match(base, /\.base\.aof$/);
      const commands = parseCommands(fs.readFileSync(base));
      assert.ok(commands.some((args) => args[0] === 'ZADD'));
    } finally {
      client.disconnect();
    }
    await first.stop();

    const second = await startDamselfly({
      dir: first.dir,
      args: ['--appendonly', 'yes', '--aof-use-rdb-preamble', 'no'],
    });
    const reloaded = new Redis({ port: second.port, maxRetriesPerRequest: 0 });
    try {
      assert.equal(await reloaded.get('string'), 'value\r\n\x00');
      assert.equal(await reloaded.pexpiretime('counter'), 4102444800000);
      assert.equal(await reloaded.llen('list'), 150);
      assert.equal(await reloaded.lindex('list', 149), 'e149');
      assert.equal(await reloaded.hlen('hash'), 70);
      assert.equal(await reloaded.hget('hash', 'f138'), 'f139');
      assert.deepEqual((await reloaded.smembers('set')).sort(), ['3', 'a', 'b']);
      assert.deepEqual(await reloaded.zrange('zset', 0, -1, 'WITHSCORES'), [
        'b',
        '-inf',
        'a',
        '0.10000000000000001',
        'd',
        '2',
        'c',
        '1.0000000000000001e+300',
      ]);
      await reloaded.select(4);
      assert.equal(await reloaded.get('in-db-4'), 'x');
    } finally {
      reloaded.disconnect();
    }
  });
});
