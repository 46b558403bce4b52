import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Redis from 'ioredis';
import { makeTempDir, sleep, stopAllServers } from './support/server-process';
import { redisServerSkipReason, startDamselfly, startRedisServer } from './support/servers';

after(stopAllServers);

const KEY_HEX = 'a'.repeat(64);
const OTHER_KEY_HEX = 'b'.repeat(64);

function client(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
}

function fileHash(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Writes string keys in three databases, some with a TTL. */
async function fillStrings(redis: Redis): Promise<void> {
  await redis.set('plain', 'value');
  await redis.set('number', '12345');
  await redis.set('negative', '-7');
  await redis.set('long', 'x'.repeat(5000));
  await redis.set('binary', Buffer.from([0, 255, 13, 10, 128]));
  await redis.set('ttl', 'soon', 'EX', 1000);
  await redis.select(3);
  await redis.set('in-db-3', 'three');
  await redis.select(0);
}

async function checkStrings(redis: Redis): Promise<void> {
  assert.equal(await redis.get('plain'), 'value');
  assert.equal(await redis.get('number'), '12345');
  assert.equal(await redis.get('negative'), '-7');
  assert.equal(await redis.get('long'), 'x'.repeat(5000));
  assert.deepEqual(await redis.getBuffer('binary'), Buffer.from([0, 255, 13, 10, 128]));
  const ttl = await redis.ttl('ttl');
  assert.ok(ttl > 990 && ttl <= 1000, `ttl ${ttl}`);
  await redis.select(3);
  assert.equal(await redis.get('in-db-3'), 'three');
  await redis.select(0);
}

describe('snapshots', () => {
  test('Damselfly saves and loads its own snapshot', async () => {
    const dir = makeTempDir();
    const first = await startDamselfly({ dir });
    const redis = client(first.port);
    await fillStrings(redis);
    assert.equal(await redis.save(), 'OK');
    redis.disconnect();
    await first.stop();
    const mode = fs.statSync(path.join(dir, 'dump.rdb')).mode & 0o777;
    assert.equal(mode, 0o600);

    const second = await startDamselfly({ dir });
    const reader = client(second.port);
    await checkStrings(reader);
    reader.disconnect();
  });

  test('snapshot saved on SIGTERM when save rules exist', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir, args: ['--save', '3600 1'] });
    const redis = client(server.port);
    await redis.set('k', 'v');
    redis.disconnect();
    const status = await server.stop();
    assert.equal(status.code, 0);
    const restarted = await startDamselfly({ dir });
    const reader = client(restarted.port);
    assert.equal(await reader.get('k'), 'v');
    reader.disconnect();
  });

  test('BGSAVE writes a point-in-time snapshot while writes go on', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir });
    const redis = client(server.port);
    const pipeline = redis.pipeline();
    for (let i = 0; i < 50_000; i++) pipeline.set(`key:${i}`, `before:${i}`);
    await pipeline.exec();
    assert.equal(await redis.bgsave(), 'Background saving started');
    const changes = redis.pipeline();
    for (let i = 0; i < 50_000; i += 7) changes.set(`key:${i}`, 'after');
    for (let i = 0; i < 1000; i++) changes.set(`new:${i}`, 'after');
    await changes.exec();
    for (
      let i = 0;
      i < 200 && (await redis.info('persistence')).includes('rdb_bgsave_in_progress:1');
      i++
    ) {
      await sleep(50);
    }
    redis.disconnect();
    await server.stop();
    fs.renameSync(path.join(dir, 'dump.rdb'), path.join(dir, 'snap.rdb'));
    const loaded = await startDamselfly({ dir, args: ['--dbfilename', 'snap.rdb'] });
    const reader = client(loaded.port);
    assert.equal(await reader.dbsize(), 50_000);
    assert.equal(await reader.get('key:0'), 'before:0');
    assert.equal(await reader.get('key:49994'), 'before:49994');
    assert.equal(await reader.exists('new:0'), 0);
    reader.disconnect();
  });

  test('a truncated snapshot stops start-up and stays untouched', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir });
    const redis = client(server.port);
    await fillStrings(redis);
    await redis.save();
    redis.disconnect();
    await server.stop();
    const file = path.join(dir, 'dump.rdb');
    fs.truncateSync(file, fs.statSync(file).size - 20);
    const before = fileHash(file);
    const broken = await startDamselfly({ dir, waitUntilReady: false });
    const status = await broken.exited;
    assert.equal(status.code, 1);
    assert.match(broken.stdout(), /dump\.rdb is corrupt: .*byte offset \d+/);
    assert.equal(fileHash(file), before);
  });

  test('a flipped bit fails the checksum', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir });
    const redis = client(server.port);
    await redis.set('key', 'a value long enough to be somewhere in the middle');
    await redis.save();
    redis.disconnect();
    await server.stop();
    const file = path.join(dir, 'dump.rdb');
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 30] ^= 0x01;
    fs.writeFileSync(file, bytes);
    const broken = await startDamselfly({ dir, waitUntilReady: false });
    assert.equal((await broken.exited).code, 1);
    assert.match(broken.stdout(), /corrupt/);
  });
});

describe('snapshot compatibility with Redis', { skip: redisServerSkipReason() }, () => {
  test('Redis loads a Damselfly snapshot', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir });
    const redis = client(server.port);
    await fillStrings(redis);
    await redis.save();
    redis.disconnect();
    await server.stop();
    const reference = await startRedisServer({ dir });
    assert.ok(reference);
    const reader = client(reference.port);
    await checkStrings(reader);
    reader.disconnect();
  });

  test('Damselfly loads a Redis snapshot', async () => {
    const dir = makeTempDir();
    const reference = await startRedisServer({ dir });
    assert.ok(reference);
    const redis = client(reference.port);
    await fillStrings(redis);
    await redis.save();
    redis.disconnect();
    await reference.stop();
    const server = await startDamselfly({ dir });
    const reader = client(server.port);
    await checkStrings(reader);
    reader.disconnect();
  });

  test('DUMP payloads move both ways', async () => {
    const reference = await startRedisServer();
    const server = await startDamselfly();
    assert.ok(reference);
    const theirs = client(reference.port);
    const ours = client(server.port);
    for (const value of ['text', '42', 'y'.repeat(3000)]) {
      await theirs.set('k', value);
      const payload = await theirs.dumpBuffer('k');
      assert.equal(await ours.restore('k', 0, payload, 'REPLACE'), 'OK');
      assert.equal(await ours.get('k'), value);
      const back = await ours.dumpBuffer('k');
      await theirs.del('k');
      assert.equal(await theirs.restore('k', 0, back), 'OK');
      assert.equal(await theirs.get('k'), value);
    }
    theirs.disconnect();
    ours.disconnect();
  });
});

describe('DUMP and RESTORE', () => {
  test('errors match Redis', async () => {
    const server = await startDamselfly();
    const redis = client(server.port);
    await redis.set('k', 'v');
    const payload = await redis.dumpBuffer('k');
    await assert.rejects(
      redis.restore('k', 0, payload),
      /^ReplyError: BUSYKEY Target key name already exists\.$/,
    );
    const damaged = Buffer.from(payload);
    damaged[1] ^= 0xff;
    await assert.rejects(
      redis.restore('k2', 0, damaged),
      /ERR DUMP payload version or checksum are wrong/,
    );
    await assert.rejects(redis.restore('k2', -1, payload), /ERR Invalid TTL value, must be >= 0/);
    assert.equal(await redis.dump('missing'), null);
    assert.equal(await redis.restore('k3', 5000, payload), 'OK');
    const ttl = await redis.pttl('k3');
    assert.ok(ttl > 4000 && ttl <= 5000, `pttl ${ttl}`);
    const syntax = { message: 'ERR syntax error' };
    const both = ['IDLETIME', '5', 'FREQ', '3'];
    await assert.rejects(redis.call('RESTORE', 'k4', '0', payload, ...both), syntax);
    const reversed = ['FREQ', '3', 'IDLETIME', '5'];
    await assert.rejects(redis.call('RESTORE', 'k4', '0', payload, ...reversed), syntax);
    assert.equal(await redis.exists('k4'), 0);
    await assert.rejects(redis.call('BGSAVE', 'SCHEDULE', 'x'), syntax);
    await assert.rejects(redis.call('BGSAVE', 'x'), syntax);
    redis.disconnect();
  });
});

/** Increments a counter as fast as replies come; returns how many INCRs were acknowledged. */
function hammer(
  port: number,
  stopAfterMs: number,
): Promise<{ acknowledged: number; times: number[] }> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  const times: number[] = [];
  let acknowledged = 0;
  const started = Date.now();
  return new Promise((resolve) => {
    const loop = (): void => {
      if (Date.now() - started > stopAfterMs) {
        redis.disconnect();
        resolve({ acknowledged, times });
        return;
      }
      const batch = [];
      for (let i = 0; i < 20; i++) batch.push(redis.incr('counter'));
      Promise.all(batch).then(
        () => {
          acknowledged += 20;
          times.push(Date.now());
          loop();
        },
        () => resolve({ acknowledged, times }),
      );
    };
    loop();
  });
}

describe('append-only file', () => {
  test('with always, every acknowledged write survives kill -9', async () => {
    const dir = makeTempDir();
    for (let round = 0; round < 3; round++) {
      const server = await startDamselfly({
        dir,
        args: ['--appendonly', 'yes', '--appendfsync', 'always'],
      });
      const probe = client(server.port);
      const before = Number((await probe.get('counter')) ?? 0);
      probe.disconnect();
      const writer = hammer(server.port, 10_000);
      await sleep(300 + Math.random() * 700);
      server.child.kill('SIGKILL');
      const { acknowledged } = await writer;
      await server.exited;
      const restarted = await startDamselfly({ dir, args: ['--appendonly', 'yes'] });
      const reader = client(restarted.port);
      const after = Number(await reader.get('counter'));
      assert.ok(
        after >= before + acknowledged,
        `round ${round}: ${after} < ${before} + ${acknowledged}`,
      );
      reader.disconnect();
      await restarted.stop();
    }
  });

  test('with everysec, a crash loses at most about a second', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({
      dir,
      args: ['--appendonly', 'yes', '--appendfsync', 'everysec'],
    });
    const writer = hammer(server.port, 10_000);
    await sleep(2500);
    const killedAt = Date.now();
    server.child.kill('SIGKILL');
    const { acknowledged, times } = await writer;
    await server.exited;
    const restarted = await startDamselfly({ dir, args: ['--appendonly', 'yes'] });
    const reader = client(restarted.port);
    const after = Number(await reader.get('counter'));
    const safeBatches = times.filter((time) => time <= killedAt - 2000).length;
    assert.ok(
      after >= safeBatches * 20,
      `${after} < ${safeBatches * 20} (acknowledged ${acknowledged})`,
    );
    reader.disconnect();
  });

  test('a cut-off last command is removed when aof-load-truncated is yes', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({
      dir,
      args: ['--appendonly', 'yes', '--appendfsync', 'always'],
    });
    const redis = client(server.port);
    await redis.set('a', '1');
    await redis.set('b', '2');
    redis.disconnect();
    await server.stop();
    const increment = path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof');
    fs.truncateSync(increment, fs.statSync(increment).size - 3);

    const strict = await startDamselfly({
      dir,
      args: ['--appendonly', 'yes', '--aof-load-truncated', 'no'],
      waitUntilReady: false,
    });
    assert.equal((await strict.exited).code, 1);
    assert.match(strict.stdout(), /incomplete command at byte offset \d+/);

    const lenient = await startDamselfly({ dir, args: ['--appendonly', 'yes'] });
    const reader = client(lenient.port);
    assert.equal(await reader.get('a'), '1');
    assert.equal(await reader.get('b'), null);
    assert.match(lenient.stdout(), /truncated/);
    reader.disconnect();
  });

  test('BGREWRITEAOF compacts the log and keeps the data', async () => {
    const dir = makeTempDir();
    const server = await startDamselfly({ dir, args: ['--appendonly', 'yes'] });
    const redis = client(server.port);
    for (let i = 0; i < 100; i++) await redis.incr('n');
    assert.equal(await redis.bgrewriteaof(), 'Background append only file rewriting started');
    await redis.set('after', 'rewrite');
    const manifestFile = path.join(dir, 'appendonlydir', 'appendonly.aof.manifest');
    let manifest = '';
    for (let i = 0; i < 100 && !/seq 2 type b/.test(manifest); i++) {
      await sleep(100);
      manifest = fs.readFileSync(manifestFile, 'latin1');
    }
    assert.match(manifest, /seq 2 type b/);
    redis.disconnect();
    server.child.kill('SIGKILL');
    await server.exited;
    const restarted = await startDamselfly({ dir, args: ['--appendonly', 'yes'] });
    const reader = client(restarted.port);
    assert.equal(await reader.get('n'), '100');
    assert.equal(await reader.get('after'), 'rewrite');
    reader.disconnect();
  });

  test(
    'Redis loads a Damselfly append-only directory',
    { skip: redisServerSkipReason() },
    async () => {
      const dir = makeTempDir();
      const server = await startDamselfly({ dir, args: ['--appendonly', 'yes'] });
      const redis = client(server.port);
      await fillStrings(redis);
      await redis.bgrewriteaof();
      await redis.set('later', 'yes');
      redis.disconnect();
      await server.stop();
      fs.rmSync(path.join(dir, 'dump.rdb'), { force: true });
      const reference = await startRedisServer({ dir, args: ['--appendonly', 'yes'] });
      assert.ok(reference);
      const reader = client(reference.port);
      await checkStrings(reader);
      assert.equal(await reader.get('later'), 'yes');
      reader.disconnect();
    },
  );
});

describe('encryption at rest', () => {
  function keyFile(dir: string, ...keys: string[]): string {
    const file = path.join(dir, `keys-${keys.length}-${keys[0].slice(0, 4)}`);
    fs.writeFileSync(file, keys.join('\n') + '\n', { mode: 0o600 });
    return file;
  }

  function allFiles(dir: string): string[] {
    return fs
      .readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && !entry.name.startsWith('keys-'))
      .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name));
  }

  test('no plaintext reaches the files, and data loads back', async () => {
    const dir = makeTempDir();
    const key = keyFile(dir, KEY_HEX);
    const args = ['--appendonly', 'yes', '--encryption-key-file', key];
    const server = await startDamselfly({ dir, args });
    const redis = client(server.port);
    await redis.set('secret-name', 'secret-value-1234');
    await redis.save();
    redis.disconnect();
    await server.stop();
    for (const file of allFiles(dir)) {
      const text = fs.readFileSync(file, 'latin1');
      assert.ok(!text.includes('secret-name'), `${file} holds the key name`);
      assert.ok(!text.includes('secret-value'), `${file} holds the value`);
    }
    const restarted = await startDamselfly({ dir, args });
    const reader = client(restarted.port);
    assert.equal(await reader.get('secret-name'), 'secret-value-1234');
    reader.disconnect();
  });

  test('a wrong key is refused and the files stay untouched', async () => {
    const dir = makeTempDir();
    const right = keyFile(dir, KEY_HEX);
    const server = await startDamselfly({ dir, args: ['--encryption-key-file', right] });
    const redis = client(server.port);
    await redis.set('k', 'v');
    await redis.save();
    redis.disconnect();
    await server.stop();
    const file = path.join(dir, 'dump.rdb');
    const before = fileHash(file);
    const wrong = keyFile(dir, OTHER_KEY_HEX);
    const refused = await startDamselfly({
      dir,
      args: ['--encryption-key-file', wrong],
      waitUntilReady: false,
    });
    assert.equal((await refused.exited).code, 1);
    assert.match(refused.stdout(), /not in the keyring/);
    const missing = await startDamselfly({ dir, waitUntilReady: false });
    assert.equal((await missing.exited).code, 1);
    assert.match(missing.stdout(), /encrypted but no encryption key is configured/);
    assert.equal(fileHash(file), before);
  });

  test('a tampered record is refused', async () => {
    const dir = makeTempDir();
    const key = keyFile(dir, KEY_HEX);
    const server = await startDamselfly({ dir, args: ['--encryption-key-file', key] });
    const redis = client(server.port);
    await redis.set('k', 'v'.repeat(100));
    await redis.save();
    redis.disconnect();
    await server.stop();
    const file = path.join(dir, 'dump.rdb');
    const bytes = fs.readFileSync(file);
    // Past the file header (24 bytes) and the first record's length, key id and nonce (24).
    bytes[60] ^= 0x04;
    fs.writeFileSync(file, bytes);
    const refused = await startDamselfly({
      dir,
      args: ['--encryption-key-file', key],
      waitUntilReady: false,
    });
    assert.equal((await refused.exited).code, 1);
    assert.match(refused.stdout(), /failed authentication/);
  });

  test('rotation: retired keys read old files, new files use the current key', async () => {
    const dir = makeTempDir();
    const oldOnly = keyFile(dir, KEY_HEX);
    const first = await startDamselfly({ dir, args: ['--encryption-key-file', oldOnly] });
    const redis = client(first.port);
    await redis.set('k', 'v');
    await redis.save();
    redis.disconnect();
    await first.stop();
    const rotated = keyFile(dir, OTHER_KEY_HEX, KEY_HEX);
    const second = await startDamselfly({ dir, args: ['--encryption-key-file', rotated] });
    const reader = client(second.port);
    assert.equal(await reader.get('k'), 'v');
    await reader.save();
    reader.disconnect();
    await second.stop();
    const newOnly = keyFile(dir, OTHER_KEY_HEX);
    const third = await startDamselfly({ dir, args: ['--encryption-key-file', newOnly] });
    const last = client(third.port);
    assert.equal(await last.get('k'), 'v');
    last.disconnect();
  });
});

/** Writes one key of every type, in a small (compact) and a large form each. */
async function fillAllTypes(redis: Redis): Promise<void> {
  await redis.rpush('list:small', 'a', 'b', '3');
  await redis.rpush('list:big', ...Array.from({ length: 2000 }, (_, i) => `element-${i}`));
  await redis.hset('hash:small', 'f1', 'v1', 'f2', '2');
  const fields: string[] = [];
  for (let i = 0; i < 1000; i++) fields.push(`field-${i}`, `value-${i}`);
  await redis.hset('hash:big', ...fields);
  await redis.sadd('set:ints', '1', '2', '300000');
  await redis.sadd('set:small', 'x', 'y');
  await redis.sadd('set:big', ...Array.from({ length: 1000 }, (_, i) => `member-${i}`));
  await redis.zadd('zset:small', 1.5, 'one', -2, 'two', 'inf', 'top');
  const scores: (string | number)[] = [];
  for (let i = 0; i < 1000; i++) scores.push(i / 3, `m-${i}`);
  await redis.zadd('zset:big', ...scores);
  await redis.expire('list:small', 5000);
}

async function checkAllTypes(redis: Redis): Promise<void> {
  assert.deepEqual(await redis.lrange('list:small', 0, -1), ['a', 'b', '3']);
  assert.equal(await redis.llen('list:big'), 2000);
  assert.equal(await redis.lindex('list:big', 1999), 'element-1999');
  assert.deepEqual(await redis.hgetall('hash:small'), { f1: 'v1', f2: '2' });
  assert.equal(await redis.hlen('hash:big'), 1000);
  assert.equal(await redis.hget('hash:big', 'field-999'), 'value-999');
  assert.deepEqual((await redis.smembers('set:ints')).sort(), ['1', '2', '300000']);
  assert.deepEqual((await redis.smembers('set:small')).sort(), ['x', 'y']);
  assert.equal(await redis.scard('set:big'), 1000);
  assert.deepEqual(await redis.zrange('zset:small', 0, -1, 'WITHSCORES'), [
    'two',
    '-2',
    'one',
    '1.5',
    'top',
    'inf',
  ]);
  assert.equal(await redis.zcard('zset:big'), 1000);
  assert.equal(await redis.zscore('zset:big', 'm-999'), '333');
  const ttl = await redis.ttl('list:small');
  assert.ok(ttl > 4900 && ttl <= 5000, `ttl ${ttl}`);
}

describe('every type through files', () => {
  test('Damselfly round trip of every type', async () => {
    const dir = makeTempDir();
    const first = await startDamselfly({ dir });
    const redis = client(first.port);
    await fillAllTypes(redis);
    await redis.save();
    redis.disconnect();
    await first.stop();
    const second = await startDamselfly({ dir });
    const reader = client(second.port);
    await checkAllTypes(reader);
    reader.disconnect();
  });

  test('every type through the append-only log and a rewrite', async () => {
    const dir = makeTempDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    const first = await startDamselfly({ dir, args });
    const redis = client(first.port);
    await fillAllTypes(redis);
    redis.disconnect();
    first.kill();
    await first.exited;
    const second = await startDamselfly({ dir, args });
    const again = client(second.port);
    await checkAllTypes(again);
    await again.bgrewriteaof();
    for (
      let i = 0;
      i < 100 && (await again.info('persistence')).includes('aof_rewrite_in_progress:1');
      i++
    ) {
      await sleep(50);
    }
    again.disconnect();
    second.kill();
    await second.exited;
    const third = await startDamselfly({ dir, args });
    const reader = client(third.port);
    await checkAllTypes(reader);
    reader.disconnect();
  });

  test(
    'every type moves between Redis and Damselfly',
    { skip: redisServerSkipReason() },
    async () => {
      const theirsDir = makeTempDir();
      const reference = await startRedisServer({ dir: theirsDir });
      assert.ok(reference);
      const theirs = client(reference.port);
      await fillAllTypes(theirs);
      await theirs.save();
      theirs.disconnect();
      await reference.stop();
      const ours = await startDamselfly({ dir: theirsDir });
      const reader = client(ours.port);
      await checkAllTypes(reader);
      await reader.save();
      reader.disconnect();
      await ours.stop();
      const back = await startRedisServer({ dir: theirsDir });
      assert.ok(back);
      const last = client(back.port);
      await checkAllTypes(last);
      last.disconnect();
    },
  );

  test(
    'DUMP of every type restores in Redis and back',
    { skip: redisServerSkipReason() },
    async () => {
      const reference = await startRedisServer();
      const server = await startDamselfly();
      assert.ok(reference);
      const theirs = client(reference.port);
      const ours = client(server.port);
      await fillAllTypes(ours);
      for (const key of await ours.keys('*')) {
        const payload = await ours.dumpBuffer(key);
        assert.equal(await theirs.restore(key, 0, payload, 'REPLACE'), 'OK', key);
        const back = await theirs.dumpBuffer(key);
        assert.equal(await ours.restore(key, 0, back, 'REPLACE'), 'OK', key);
      }
      await theirs.expire('list:small', 5000);
      await ours.expire('list:small', 5000);
      await checkAllTypes(theirs);
      await checkAllTypes(ours);
      theirs.disconnect();
      ours.disconnect();
    },
  );
});

describe('hash field expiry on disk', () => {
  test('an append-only rewrite keeps field expiry times', async () => {
    const dir = makeTempDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    const first = await startDamselfly({ dir, args });
    const redis = client(first.port);
    await redis.hset('hx', 'a', '1', 'b', '2');
    await redis.call('HEXPIRE', 'hx', '1000', 'FIELDS', '1', 'a');
    await redis.bgrewriteaof();
    const manifestFile = path.join(dir, 'appendonlydir', 'appendonly.aof.manifest');
    for (let i = 0; i < 100 && !/seq 2 type b/.test(fs.readFileSync(manifestFile, 'latin1')); i++) {
      await sleep(50);
    }
    redis.disconnect();
    first.kill();
    await first.exited;
    const second = await startDamselfly({ dir, args });
    const reader = client(second.port);
    const ttl = (await reader.call('HTTL', 'hx', 'FIELDS', '2', 'a', 'b')) as number[];
    assert.ok(ttl[0] > 990 && ttl[0] <= 1000, `HTTL of a: ${ttl[0]}`);
    assert.equal(ttl[1], -1);
    reader.disconnect();
  });
});
