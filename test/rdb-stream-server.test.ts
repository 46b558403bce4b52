/**
 * Stream persistence across Damselfly and redis-server 7.0 processes. The
 * golden RDB written by redis-server loads into both with the same replies.
 * Damselfly's snapshots load into redis-server and into Damselfly. DUMP
 * payloads of either server RESTORE on both with the same result. Damaged
 * payloads and snapshots are rejected cleanly.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { crc64 } from '../src/persistence/crc64';
import { RdbEncoder, TYPE } from '../src/persistence/rdb-encoder';
import { ListpackWriter } from '../src/persistence/rdb-stream-listpack';
import { SCENARIOS, type Command } from './rdb-stream-scenarios';
import { RawClient } from './support/raw-client';
import {
  makeTempDir,
  redisServerSkipReason,
  sleep,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

const FIXTURES = path.resolve(__dirname, '..', '..', 'test', 'fixtures');
const GOLDEN = path.join(FIXTURES, 'redis-7.0-streams.rdb');
const skip = redisServerSkipReason();

after(stopAllServers);

/** The golden file's keys: database, key, whether entries were deleted. */
const GOLDEN_KEYS: [number, string, boolean][] = [
  [0, 'stream:small', true],
  [0, 'stream:big', true],
  [0, 'stream:wide', false],
  [0, 'stream:emptied', true],
  [0, 'stream:fresh', false],
  [0, 'stream:limits', false],
  [0, 'stream:expiring', false],
  [3, 'stream:db3', false],
];

async function call(client: RawClient, ...args: string[]): Promise<Buffer> {
  return client.call(args.map((arg) => Buffer.from(arg, 'latin1')));
}

/** Returns the text of a reply, with figures that legitimately differ replaced. */
function normalize(reply: Buffer, deletions: boolean): string {
  let text = reply.toString('latin1');
  // Idle times count from now; XPENDING's extended entries are ID, consumer, idle, count.
  text = text.replace(/(idle\r\n):\d+/g, '$1:T');
  text = text.replace(/(\*4\r\n\$\d+\r\n[\d-]+\r\n\$\d+\r\n[^\r]*\r\n):\d+/g, '$1:T');
  // Damselfly does not reproduce Redis's radix tree, and rebuilds nodes without deleted entries.
  text = text.replace(/(radix-tree-nodes\r\n):\d+/g, '$1:N');
  if (deletions) text = text.replace(/(radix-tree-keys\r\n):\d+/g, '$1:N');
  return text;
}

/** Returns the group names of a stream, from XINFO GROUPS. */
async function groupNames(client: RawClient, key: string): Promise<string[]> {
  const reply = (await call(client, 'XINFO', 'GROUPS', key)).toString('latin1');
  return [...reply.matchAll(/\$4\r\nname\r\n\$\d+\r\n([^\r]*)\r\n/g)].map((match) => match[1]);
}

/** Returns the normalized replies of the commands that inspect a stream. */
async function inspect(client: RawClient, key: string, deletions: boolean): Promise<string[]> {
  const commands: Command[] = [
    ['TYPE', key],
    ['PEXPIRETIME', key],
    ['XLEN', key],
    ['XINFO', 'STREAM', key],
    ['XINFO', 'STREAM', key, 'FULL', 'COUNT', '0'],
    ['XRANGE', key, '-', '+'],
    ['XREVRANGE', key, '+', '-', 'COUNT', '3'],
    ['XINFO', 'GROUPS', key],
  ];
  for (const group of await groupNames(client, key)) {
    commands.push(['XINFO', 'CONSUMERS', key, group]);
    commands.push(['XPENDING', key, group]);
    commands.push(['XPENDING', key, group, '-', '+', '10000']);
  }
  const replies: string[] = [];
  for (const command of commands) {
    const reply = normalize(await call(client, ...command), deletions);
    const label = command.map((arg) => (arg === key ? 'KEY' : arg)).join(' ');
    replies.push(`${label}\n${reply}`);
  }
  return replies;
}

/** Runs a scenario with its key `s` renamed. */
async function runScenario(client: RawClient, commands: Command[], key: string): Promise<void> {
  for (const command of commands) {
    const renamed = command.map((arg) => (arg === 's' ? key : arg));
    const reply = await call(client, ...renamed);
    assert.notEqual(reply[0], 0x2d, `${renamed.join(' ')}: ${reply.toString('latin1')}`);
  }
}

async function waitForBackgroundSave(client: RawClient): Promise<void> {
  for (let i = 0; i < 400; i++) {
    const info = (await call(client, 'INFO', 'persistence')).toString('latin1');
    if (info.includes('rdb_bgsave_in_progress:0')) {
      assert.match(info, /rdb_last_bgsave_status:ok/);
      return;
    }
    await sleep(25);
  }
  assert.fail('the background save did not finish');
}

function bulkBytes(reply: Buffer): Buffer {
  const headerEnd = reply.indexOf('\r\n');
  assert.equal(reply[0], 0x24, `expected a bulk string, got ${reply.toString('latin1')}`);
  return reply.subarray(headerEnd + 2, reply.length - 2);
}

describe('golden snapshot of redis-server 7.0', { skip }, () => {
  let damselfly: RawClient;
  let redis: RawClient;

  before(async () => {
    const damselflyDir = makeTempDir();
    const redisDir = makeTempDir();
    fs.copyFileSync(GOLDEN, path.join(damselflyDir, 'dump.rdb'));
    fs.copyFileSync(GOLDEN, path.join(redisDir, 'dump.rdb'));
    const started = await Promise.all([
      startDamselfly({ dir: damselflyDir }),
      startRedisServer({ dir: redisDir }),
    ]);
    assert.ok(started[1]);
    damselfly = await RawClient.connect(started[0].port);
    redis = await RawClient.connect(started[1].port);
  });

  after(() => {
    damselfly?.destroy();
    redis?.destroy();
  });

  for (const [db, key, deletions] of GOLDEN_KEYS) {
    test(`${key} loads as in redis-server`, async () => {
      await call(damselfly, 'SELECT', String(db));
      await call(redis, 'SELECT', String(db));
      assert.deepEqual(
        await inspect(damselfly, key, deletions),
        await inspect(redis, key, deletions),
      );
    });
  }

  test('same keys in every database', async () => {
    for (const db of [0, 3]) {
      await call(damselfly, 'SELECT', String(db));
      await call(redis, 'SELECT', String(db));
      assert.equal(
        (await call(damselfly, 'DBSIZE')).toString(),
        (await call(redis, 'DBSIZE')).toString(),
      );
    }
  });
});

describe('Damselfly snapshots with streams', { skip }, () => {
  test('load into redis-server and Damselfly', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir });
    const client = await RawClient.connect(server.port);
    const keys = SCENARIOS.map((_, i) => `s${i}`);
    for (const [i, scenario] of SCENARIOS.entries()) {
      await runScenario(client, scenario.commands, keys[i]);
    }
    await call(client, 'PEXPIREAT', 's0', '4102444800000');
    const expected = new Map<string, string[]>();
    for (const [i, key] of keys.entries()) {
      expected.set(key, await inspect(client, key, SCENARIOS[i].deletions === true));
    }
    assert.equal((await call(client, 'BGSAVE')).toString(), '+Background saving started\r\n');
    await waitForBackgroundSave(client);
    client.destroy();
    await server.stop();

    const redisDir = makeTempDir();
    fs.copyFileSync(path.join(dir, 'dump.rdb'), path.join(redisDir, 'dump.rdb'));
    const loaded = await Promise.all([
      startRedisServer({ dir: redisDir }),
      startDamselfly({ dir }),
    ]);
    assert.ok(loaded[0]);
    for (const loadedServer of loaded as ServerProcess[]) {
      const reader = await RawClient.connect(loadedServer.port);
      for (const [i, key] of keys.entries()) {
        const actual = await inspect(reader, key, SCENARIOS[i].deletions === true);
        assert.deepEqual(actual, expected.get(key), `${loadedServer.name}: ${SCENARIOS[i].name}`);
      }
      reader.destroy();
    }
  });

  test('BGSAVE keeps streams as they were at its start', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir });
    const client = await RawClient.connect(server.port);
    const fill: Buffer[] = [];
    for (let i = 0; i < 3000; i++) {
      for (let j = 1; j <= 10; j++)
        fill.push(encode(['XADD', `k${i}`, `${j}-0`, 'f', 'x'.repeat(40)]));
    }
    await client.send(Buffer.concat(fill));
    await client.readReplies(fill.length, 30_000);
    await call(client, 'XGROUP', 'CREATE', 'k2999', 'g', '0');
    const before = await inspect(client, 'k2999', false);

    await call(client, 'BGSAVE');
    // Changes while the save runs: the walk reaches k2999 last, after these.
    await call(client, 'XADD', 'k2999', '11-0', 'f', 'after');
    await call(client, 'XDEL', 'k2999', '1-0');
    await call(client, 'XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'k2999', '>');
    await call(client, 'XADD', 'new-during-save', '1-0', 'f', 'v');
    const busy = (await call(client, 'INFO', 'persistence')).toString('latin1');
    await waitForBackgroundSave(client);
    client.destroy();
    await server.stop();
    assert.match(busy, /rdb_bgsave_in_progress:1/, 'the save ended before the changes');

    const loaded = await startDamselfly({ dir });
    const reader = await RawClient.connect(loaded.port);
    assert.deepEqual(await inspect(reader, 'k2999', false), before);
    assert.equal((await call(reader, 'EXISTS', 'new-during-save')).toString(), ':0\r\n');
    assert.equal((await call(reader, 'DBSIZE')).toString(), ':3000\r\n');
    reader.destroy();
  });
});

function encode(args: string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${arg.length}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(''), 'latin1');
}

describe('DUMP and RESTORE of streams between the servers', { skip }, () => {
  let damselfly: RawClient;
  let redis: RawClient;

  before(async () => {
    const started = await Promise.all([startDamselfly(), startRedisServer()]);
    assert.ok(started[1]);
    damselfly = await RawClient.connect(started[0].port);
    redis = await RawClient.connect(started[1].port);
    for (const client of [damselfly, redis]) {
      for (const [i, scenario] of SCENARIOS.entries()) {
        await runScenario(client, scenario.commands, `s${i}`);
      }
    }
  });

  after(() => {
    damselfly?.destroy();
    redis?.destroy();
  });

  for (const [i, scenario] of SCENARIOS.entries()) {
    test(scenario.name, async () => {
      const deletions = scenario.deletions === true;
      const payloads = [
        ['from-damselfly', bulkBytes(await call(damselfly, 'DUMP', `s${i}`))],
        ['from-redis', bulkBytes(await call(redis, 'DUMP', `s${i}`))],
      ] as const;
      for (const [prefix, payload] of payloads) {
        const key = `${prefix}:${i}`;
        const arg = payload.toString('latin1');
        assert.equal((await call(damselfly, 'RESTORE', key, '0', arg)).toString(), '+OK\r\n');
        assert.equal((await call(redis, 'RESTORE', key, '0', arg)).toString(), '+OK\r\n');
        assert.deepEqual(await inspect(damselfly, key, true), await inspect(redis, key, true));
      }
      // Both servers ran the same commands, so apart from times their streams are the same.
      const withoutTimes = (replies: string[]) =>
        replies.map((reply) => reply.replace(/:\d{13}\r\n/g, ':T\r\n'));
      assert.deepEqual(
        withoutTimes(await inspect(redis, `from-damselfly:${i}`, deletions)),
        withoutTimes(await inspect(redis, `s${i}`, deletions)),
      );
    });
  }

  /** Builds a DUMP payload (version 10) around the given record bytes. */
  function seal(record: Buffer): string {
    const body = Buffer.concat([record, Buffer.from([10, 0])]);
    const checksum = Buffer.alloc(8);
    checksum.writeBigUInt64LE(crc64(body));
    return Buffer.concat([body, checksum]).toString('latin1');
  }

  /** Returns a stream record (type byte first) with one node holding the given listpack. */
  function recordWithNode(key: Buffer, listpack: Buffer): Buffer {
    const encoder = new RdbEncoder(false);
    encoder.byte(TYPE.streamListpacks2);
    encoder.length(1);
    encoder.string(key);
    encoder.string(listpack);
    for (const length of [1, 1, 1, 1, 1, 0, 0, 1, 0]) encoder.length(length);
    return encoder.take();
  }

  test('damaged payloads reply Bad data format', async () => {
    const good = bulkBytes(await call(redis, 'DUMP', 's5'));
    const writer = new ListpackWriter();
    for (const element of [1, 0, 1, 'f', 0, 2, 0, 0, 'v', 4]) {
      if (typeof element === 'number') writer.integer(element);
      else writer.string(element);
    }
    const listpack = writer.finish();

    const wrongSize = Buffer.from(listpack);
    wrongSize.writeUInt32LE(listpack.length + 1, 0);
    const emptyListpack = Buffer.from([7, 0, 0, 0, 0, 0, 0xff]);
    const nodeKey = Buffer.alloc(16);
    nodeKey[15] = 1;
    const cases: [string, Buffer][] = [
      ['valid', recordWithNode(nodeKey, listpack)],
      ['cut short', good.subarray(0, good.length - 13)],
      ['listpack size wrong', recordWithNode(nodeKey, wrongSize)],
      ['empty listpack', recordWithNode(nodeKey, emptyListpack)],
      ['node key of 15 bytes', recordWithNode(nodeKey.subarray(1), listpack)],
    ];

    for (const [name, bytes] of cases) {
      const payload = seal(bytes);
      const replies = [];
      for (const client of [damselfly, redis]) {
        replies.push((await call(client, 'RESTORE', 'broken', '0', payload)).toString('latin1'));
      }
      const expected = name === 'valid' ? '+OK\r\n' : '-ERR Bad data format\r\n';
      assert.equal(replies[0], expected, name);
      assert.equal(replies[1], expected, name);
      await call(damselfly, 'DEL', 'broken');
      await call(redis, 'DEL', 'broken');
    }
    assert.equal((await call(damselfly, 'PING')).toString(), '+PONG\r\n');
    assert.equal((await call(damselfly, 'EXISTS', 'broken')).toString(), ':0\r\n');
  });
});

describe('damaged stream in a snapshot', () => {
  test('stops start-up with the byte offset', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir });
    const client = await RawClient.connect(server.port);
    await call(client, 'XADD', 'stream', '1-1', 'field', 'value');
    await call(client, 'SAVE');
    client.destroy();
    await server.stop();

    // Turn the stream node key of 16 bytes into one of 15, with the checksum fixed up.
    const file = path.join(dir, 'dump.rdb');
    const bytes = fs.readFileSync(file);
    const keyAt = bytes.indexOf(Buffer.from('\x06stream\x01\x10', 'latin1'));
    assert.ok(keyAt > 0);
    bytes[keyAt + 8] = 15;
    bytes.writeBigUInt64LE(crc64(bytes.subarray(0, bytes.length - 8)), bytes.length - 8);
    fs.writeFileSync(file, bytes);

    const broken = await startDamselfly({ dir, waitUntilReady: false });
    const status = await broken.exited;
    assert.equal(status.code, 1);
    assert.match(broken.stdout(), /dump\.rdb is corrupt: .*byte offset \d+/);
    assert.doesNotMatch(broken.stdout() + broken.stderr(), /\n\s+at /);
  });
});
