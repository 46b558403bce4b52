/**
 * CONFIG GET, SET, RESETSTAT and REWRITE: error texts and replies compared
 * byte for byte with redis-server, plus all-or-nothing changes, protected
 * settings and the rewritten config file.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { assertDifferential, type Step } from './support/differential';
import {
  DAMSELFLY_ENTRY,
  makeTempDir,
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** Runs one command through ioredis and returns the decoded reply. */
async function call(port: number, ...args: string[]): Promise<unknown> {
  const client = new Redis(port, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await client.connect();
  try {
    return await client.call(args[0], ...args.slice(1));
  } finally {
    client.disconnect();
  }
}

/** Turns a flat CONFIG GET reply into a Map from name to value. */
function toMap(reply: unknown): Map<string, string> {
  const flat = reply as string[];
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
  return map;
}

describe('CONFIG against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('CONFIG SET error texts', async () => {
    const steps: Step[] = [
      ['CONFIG', 'SET', 'maxmemory', 'abc'],
      ['CONFIG', 'SET', 'MAXMEMORY', 'abc'],
      ['CONFIG', 'SET', 'maxmemory', '1.5gb'],
      ['CONFIG', 'SET', 'foo', 'bar'],
      ['CONFIG', 'SET', 'databases', '4'],
      ['CONFIG', 'SET', 'DATABASES', '4'],
      ['CONFIG', 'SET', 'enable-debug-command', 'yes'],
      ['CONFIG', 'SET', 'dir', '/tmp'],
      ['CONFIG', 'SET', 'dbfilename', 'other.rdb'],
      ['CONFIG', 'SET', 'appendonly', 'maybe'],
      ['CONFIG', 'SET', 'hz', 'x'],
      ['CONFIG', 'SET', 'tcp-keepalive', '1.5'],
      ['CONFIG', 'SET', 'timeout', '-1'],
      ['CONFIG', 'SET', 'active-expire-effort', '11'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'bogus'],
      ['CONFIG', 'SET', 'appendfsync', 'sometimes'],
      ['CONFIG', 'SET', 'save', 'x'],
      ['CONFIG', 'SET', 'save', '1 2 3'],
      ['CONFIG', 'SET', 'hash-max-ziplist-entries', 'x'],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'Q'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '1'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '-1'],
      ['CONFIG', 'SET', 'proto-max-bulk-len', '99999999999999999999'],
      ['CONFIG', 'SET', 'client-query-buffer-limit', '1'],
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '-5'],
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '99999999999999999999'],
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '9223372036854775807'],
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '10000'],
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '-1'],
      ['CONFIG', 'SET', 'maxmemory', '-1'],
      ['CONFIG', 'SET', 'maxmemory', ' 1gb'],
      ['CONFIG', 'SET', 'hz', '-5'],
      ['CONFIG', 'SET', 'hz', '1000'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '0'],
      ['CONFIG', 'GET', 'hz'],
      ['CONFIG', 'SET', 'hz', '10'],
      ['CONFIG', 'SET', 'maxmemory', '1', 'MAXMEMORY', '2'],
      ['CONFIG', 'SET', 'maxmemory', '1', 'maxmemory'],
      ['CONFIG', 'SET', 'maxmemory'],
      ['CONFIG', 'SET'],
      ['CONFIG', 'SET', 'foo', 'bar', 'databases', '4'],
      ['CONFIG', 'SET', 'databases', '4', 'foo', 'bar'],
      ['CONFIG', 'SET', 'maxmemory', 'x', 'foo', 'bar'],
      ['CONFIG', 'SET', 'maxmemory', '1', 'maxmemory-policy', 'x', 'databases', '3'],
      ['CONFIG', 'SET', 'maxmemory', 'x', 'maxmemory-policy', 'y'],
      ['CONFIG', 'GET'],
      ['CONFIG', 'RESETSTAT', 'x'],
      ['CONFIG', 'REWRITE', 'x'],
      ['CONFIG', 'HELP', 'x'],
      ['CONFIG', 'foo'],
      ['CONFIG'],
    ];
    await assertDifferential(damselfly, redis, steps);
  });

  test('CONFIG SET changes all settings or none', async () => {
    await assertDifferential(damselfly, redis, [
      ['CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory-policy', 'bogus'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'maxmemory-policy'],
      ['CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory-policy', 'allkeys-lru'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'maxmemory-policy'],
      ['CONFIG', 'SET', 'maxmemory', '2GB', 'appendonly', 'NO'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'SET', 'maxmemory', '1k'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction'],
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'SET', 'loglevel', 'WARNING'],
      ['CONFIG', 'GET', 'loglevel'],
      ['CONFIG', 'SET', 'loglevel', 'notice'],
    ]);
  });

  test('CONFIG GET names and aliases', async () => {
    await assertDifferential(damselfly, redis, [
      ['CONFIG', 'GET', 'maxmemory'],
      ['CONFIG', 'GET', 'MAXMEMORY'],
      ['CONFIG', 'GET', 'maxmemory', 'MAXMEMORY'],
      ['CONFIG', 'GET', 'nosuch'],
      ['CONFIG', 'GET', 'nosuch', 'other'],
      ['CONFIG', 'GET', 'maxmemor[y]'],
      ['CONFIG', 'GET', 'zset-max-ziplist-value'],
      ['CONFIG', 'GET', 'requirepass'],
      ['CONFIG', 'GET', 'appendonly'],
      ['CONFIG', 'GET', 'save'],
      ['CONFIG', 'GET', 'databases'],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'KEA'],
      ['CONFIG', 'GET', 'notify-keyspace-events'],
      ['CONFIG', 'SET', 'notify-keyspace-events', 'lgxE'],
      ['CONFIG', 'GET', 'notify-keyspace-events'],
      ['CONFIG', 'SET', 'notify-keyspace-events', ''],
      ['CONFIG', 'GET', 'notify-keyspace-events'],
    ]);
  });

  test('CONFIG GET patterns match the same settings', async () => {
    const known = new Set(toMap(await call(damselfly.port, 'CONFIG', 'GET', '*')).keys());
    const redisKnown = new Set(toMap(await call(redis.port, 'CONFIG', 'GET', '*')).keys());
    const patterns = ['*maxmemory*', 'hash-max-*', 'ZSET-*', 'a*', 'l?st-*', 'notify*'];
    for (const pattern of patterns) {
      const ours = [...toMap(await call(damselfly.port, 'CONFIG', 'GET', pattern)).keys()];
      const theirs = [...toMap(await call(redis.port, 'CONFIG', 'GET', pattern)).keys()];
      assert.ok(ours.length > 0, `no setting matches ${pattern}`);
      const expected = theirs.filter((name) => known.has(name));
      const extra = ours.filter((name) => !redisKnown.has(name));
      assert.deepEqual(ours.sort(), [...expected, ...extra].sort(), pattern);
    }
  });

  test('CONFIG GET shows the same values for settings both have', async () => {
    const ours = toMap(await call(damselfly.port, 'CONFIG', 'GET', '*'));
    const theirs = toMap(await call(redis.port, 'CONFIG', 'GET', '*'));
    // Start-up flags and known default differences of the test setup.
    const differing = new Set([
      'port',
      'dir',
      'pidfile',
      'hash-max-listpack-entries',
      'hash-max-ziplist-entries',
    ]);
    const mismatches: string[] = [];
    for (const [name, value] of ours) {
      if (!theirs.has(name) || differing.has(name)) continue;
      if (theirs.get(name) !== value) {
        mismatches.push(`${name}: damselfly ${value}, redis-server ${theirs.get(name)}`);
      }
    }
    assert.deepEqual(mismatches, []);
  });

  test('CONFIG REWRITE without a config file', async () => {
    await assertDifferential(damselfly, redis, [['CONFIG', 'REWRITE']]);
  });

  test('CONFIG RESETSTAT zeroes INFO counters', async () => {
    await assertDifferential(damselfly, redis, [
      ['GET', 'missing'],
      ['CONFIG', 'RESETSTAT'],
    ]);
    const stats = String(await call(damselfly.port, 'INFO', 'stats'));
    assert.match(stats, /\r\nkeyspace_misses:0\r\n/);
    assert.match(stats, /\r\ntotal_error_replies:0\r\n/);
    const commandStats = String(await call(damselfly.port, 'INFO', 'commandstats'));
    assert.doesNotMatch(commandStats, /cmdstat_get:/);
  });
});

describe('CONFIG SET of protected settings', () => {
  let damselfly: ServerProcess;

  before(async () => {
    damselfly = await startDamselfly({ args: ['--enable-protected-configs', 'yes'] });
  });

  after(stopAllServers);

  test('dir changes the working directory', async () => {
    const target = makeTempDir('damselfly-config-dir-');
    assert.equal(await call(damselfly.port, 'CONFIG', 'SET', 'dir', target), 'OK');
    assert.deepEqual(await call(damselfly.port, 'CONFIG', 'GET', 'dir'), ['dir', target]);
  });

  test('--help marks protected settings', () => {
    const help = execFileSync(process.execPath, [DAMSELFLY_ENTRY, '--help'], { encoding: 'utf8' });
    assert.match(help, /^ {2}--dir .*\[protected\]$/m);
    assert.match(help, /^ {2}--maxmemory .*\(default: "0"\)$/m);
  });

  test('dir naming no directory is rejected', async () => {
    const missing = path.join(makeTempDir('damselfly-config-dir-'), 'missing');
    await assert.rejects(
      call(damselfly.port, 'CONFIG', 'SET', 'dir', missing, 'maxmemory', '5mb'),
      {
        message:
          "ERR CONFIG SET failed (possibly related to argument 'dir') - " +
          'No such file or directory',
      },
    );
    assert.deepEqual(await call(damselfly.port, 'CONFIG', 'GET', 'maxmemory'), ['maxmemory', '0']);
  });
});

describe('CONFIG REWRITE', () => {
  const password = 'a b"c';
  let damselfly: ServerProcess;
  let file: string;
  let dir: string;
  let configDir: string;

  before(async () => {
    dir = makeTempDir('damselfly-rewrite-');
    configDir = path.join(dir, 'conf');
    fs.mkdirSync(configDir);
    file = path.join(configDir, 'damselfly.conf');
    fs.writeFileSync(path.join(configDir, 'extra.conf'), 'timeout 5\n');
    fs.writeFileSync(
      file,
      [
        '# Damselfly test configuration',
        '',
        '# memory',
        'maxmemory 1mb',
        'save 60 1',
        'save 300 10',
        'hash-max-ziplist-entries 100',
        'include extra.conf',
        'loglevel notice',
        '',
      ].join('\n'),
    );
    damselfly = await startDamselfly({ configFile: file, dir, args: ['--save', '60 1 300 10'] });
  });

  after(stopAllServers);

  test('keeps comments and order and appends changed settings', async () => {
    await call(damselfly.port, 'CONFIG', 'SET', 'maxmemory', '2mb', 'hz', '20');
    await call(damselfly.port, 'CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
    await call(damselfly.port, 'CONFIG', 'SET', 'requirepass', password);

    const client = new Redis(damselfly.port, { password });
    try {
      assert.equal(await client.call('CONFIG', 'REWRITE'), 'OK');
      const first = fs.readFileSync(file, 'latin1');
      assert.equal(await client.call('CONFIG', 'REWRITE'), 'OK');
      assert.equal(fs.readFileSync(file, 'latin1'), first, 'a second rewrite changed the file');
    } finally {
      client.disconnect();
    }

    const written = fs.readFileSync(file, 'latin1').split('\n');
    assert.deepEqual(written.slice(0, 10), [
      '# Damselfly test configuration',
      '',
      '# memory',
      'maxmemory 2mb',
      'save 60 1',
      'save 300 10',
      'hash-max-listpack-entries 100',
      'include extra.conf',
      'loglevel notice',
      '# Generated by CONFIG REWRITE',
    ]);

    const appended = written.slice(10);
    const shown = appended.join('\n');
    assert.ok(appended.includes(`dir "${fs.realpathSync(dir)}"`), shown);
    assert.ok(appended.includes('requirepass "a b\\"c"'), shown);
    assert.ok(appended.includes('hz 20'), shown);
    assert.ok(appended.includes('timeout 5'), shown);
    assert.ok(appended.includes('notify-keyspace-events "AKE"'), shown);
    assert.ok(appended.includes(`port ${damselfly.port}`), shown);
    assert.equal(appended[appended.length - 1], '', 'the file ends with a newline');
  });

  test('rewritten file starts a server with the same settings', async () => {
    const restarted = await startDamselfly({ configFile: file, dir });
    const client = new Redis(restarted.port, { password });
    try {
      const names = [
        'maxmemory',
        'hz',
        'timeout',
        'hash-max-listpack-entries',
        'notify-keyspace-events',
        'requirepass',
      ];
      assert.deepEqual(
        toMap(await client.call('CONFIG', 'GET', ...names)),
        new Map([
          ['maxmemory', '2097152'],
          ['hz', '20'],
          ['timeout', '5'],
          ['hash-max-listpack-entries', '100'],
          ['notify-keyspace-events', 'AKE'],
          ['requirepass', password],
        ]),
      );
    } finally {
      client.disconnect();
    }
  });

  test('deleted file is written again', async () => {
    const client = new Redis(damselfly.port, { password });
    try {
      fs.rmSync(file);
      assert.equal(await client.call('CONFIG', 'REWRITE'), 'OK');
      assert.match(fs.readFileSync(file, 'latin1'), /^maxmemory 2mb$/m);
    } finally {
      client.disconnect();
    }
  });

  test('write failure is reported without the path', async () => {
    const client = new Redis(damselfly.port, { password });
    try {
      fs.rmSync(configDir, { recursive: true });
      await assert.rejects(client.call('CONFIG', 'REWRITE'), {
        message: 'ERR Rewriting config file: No such file or directory',
      });
    } finally {
      client.disconnect();
    }
  });
});
