/**
 * Server commands: INFO (sections, field names, counters), TIME, LASTSAVE,
 * SHUTDOWN and DEBUG, compared with redis-server where the replies can be.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { assertDifferential, type Normalizer } from './support/differential';
import { RawClient } from './support/raw-client';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** Splits INFO text into sections: header name to the field names in order. */
function parseInfo(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  for (const line of text.split('\r\n')) {
    if (line.startsWith('# ')) {
      current = new Map();
      sections.set(line.slice(2), current);
    } else if (line !== '' && current !== null) {
      const colon = line.indexOf(':');
      current.set(line.slice(0, colon), line.slice(colon + 1));
    }
  }
  return sections;
}

async function info(client: Redis, ...sections: string[]): Promise<string> {
  return String(await client.call('INFO', ...sections));
}

/** Sorts the lines of an INFO bulk reply, for sections whose line order is Redis's hash order. */
const sortInfoLines: Normalizer = (text) => {
  const match = /^(\$\w+\r\n# \w+\r\n)([\s\S]*?)(\r\n)$/.exec(text);
  if (match === null) return text;
  const lines = match[2].split('\r\n').filter(Boolean).sort();
  return `${match[1]}${lines.map((line) => `${line}\r\n`).join('')}${match[3]}`;
};

/** Masks the timings in cmdstat lines and the bulk length that depends on them. */
const maskTimings: Normalizer[] = [
  [/usec=\d+,usec_per_call=[\d.]+/g, 'usec=N,usec_per_call=N'],
  [/^\$\d+\r\n/, '$LEN\r\n'],
];

describe('INFO against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  let ours: Redis;
  let theirs: Redis;

  before(async () => {
    damselfly = await startDamselfly();
    const reference = await startRedisServer();
    assert.ok(reference);
    redis = reference;
    ours = new Redis(damselfly.port);
    theirs = new Redis(redis.port);
  });

  after(async () => {
    ours.disconnect();
    theirs.disconnect();
    await stopAllServers();
  });

  test('sections of INFO, default, all and everything', async () => {
    const headers = (text: string): string[] => [...parseInfo(text).keys()];
    for (const args of [[], ['default'], ['all'], ['everything'], ['ALL']]) {
      const expected = headers(await info(theirs, ...args));
      assert.deepEqual(headers(await info(ours, ...args)), expected, `INFO ${args.join(' ')}`);
    }
  });

  /** Fields Damselfly adds for its own limits and security; Redis has none of them. */
  const DAMSELFLY_FIELDS = new Set([
    'damselfly_version',
    'client_query_buffer_limit_disconnections',
    'client_output_buffer_limit_disconnections',
    'acl_access_denied_auth',
    'acl_access_denied_cmd',
    'acl_access_denied_key',
    'acl_access_denied_channel',
    'rejected_connections_per_address',
    'rejected_connections_protected_mode',
    'idle_timeout_disconnections',
    'request_timeout_disconnections',
    'ratelimited_commands',
    'auth_failures_delayed',
    'tls_handshake_failures',
  ]);

  test('every section has the same field names as Redis', async () => {
    for (const client of [ours, theirs]) {
      await client.call('SET', 'key', 'value');
      await client.call('SET', 'ttl', 'value', 'EX', '100');
      await client.call('SELECT', '3');
      await client.call('SET', 'other', 'value');
      await client.call('SELECT', '0');
      await client.call('CONFIG', 'RESETSTAT');
      await client.call('GET', 'key').catch(() => undefined);
      await client.call('NOSUCHCOMMAND').catch(() => undefined);
      await client.call('INCR', 'key').catch(() => undefined);
    }
    const ourSections = parseInfo(await info(ours, 'everything'));
    const theirSections = parseInfo(await info(theirs, 'everything'));
    for (const [name, fields] of ourSections) {
      const expected = [...(theirSections.get(name) ?? new Map()).keys()].filter(
        (field) => !DAMSELFLY_FIELDS.has(field),
      );
      const actual = [...fields.keys()].filter((field) => !DAMSELFLY_FIELDS.has(field));
      if (name === 'Commandstats' || name === 'Latencystats') {
        assert.deepEqual(actual.sort(), expected.sort(), name);
      } else {
        assert.deepEqual(actual, expected, name);
      }
    }
  });

  test('values clients parse', async () => {
    const server = parseInfo(await info(ours, 'server')).get('Server');
    assert.ok(server);
    assert.equal(server.get('redis_version'), '7.0.15');
    assert.equal(server.get('redis_mode'), 'standalone');
    assert.equal(server.get('tcp_port'), String(damselfly.port));
    assert.equal(server.get('process_id'), String(damselfly.pid));
    assert.equal(server.get('arch_bits'), '64');
    assert.match(server.get('run_id') ?? '', /^[0-9a-f]{40}$/);
    assert.match(server.get('damselfly_version') ?? '', /^\d+\.\d+\.\d+/);
    assert.doesNotMatch(server.get('executable') ?? '', /redis-server/);
    const memory = parseInfo(await info(ours, 'memory')).get('Memory');
    assert.ok(memory);
    assert.ok(Number(memory.get('used_memory')) > 0);
    assert.ok(Number(memory.get('used_memory_rss')) > 0);
    assert.match(memory.get('used_memory_human') ?? '', /^\d+(\.\d\d[KMGTP])?B?$/);
    assert.match(memory.get('mem_fragmentation_ratio') ?? '', /^\d+\.\d\d$/);
    assert.equal(memory.get('maxmemory_policy'), 'noeviction');
    const replication = parseInfo(await info(ours, 'replication')).get('Replication');
    assert.equal(replication?.get('role'), 'master');
    const cpu = parseInfo(await info(ours, 'cpu')).get('CPU');
    assert.match(cpu?.get('used_cpu_user') ?? '', /^\d+\.\d{6}$/);
  });

  test('counters follow the commands', async () => {
    const client = new Redis(damselfly.port);
    try {
      await client.call('CONFIG', 'RESETSTAT');
      await client.call('SET', 'counted', '1');
      await client.call('GET', 'counted');
      await client.call('GET', 'counted');
      await client.call('GET', 'missing');
      const stats = parseInfo(await info(client, 'stats')).get('Stats');
      assert.equal(stats?.get('keyspace_hits'), '2');
      assert.equal(stats?.get('keyspace_misses'), '1');
      assert.equal(stats?.get('total_error_replies'), '0');
      const clients = parseInfo(await info(client, 'clients')).get('Clients');
      assert.ok(Number(clients?.get('connected_clients')) >= 2);
      const persistence = parseInfo(await info(client, 'persistence')).get('Persistence');
      assert.ok(Number(persistence?.get('rdb_changes_since_last_save')) >= 1);
    } finally {
      client.disconnect();
    }
  });

  test('raw replies of small sections', async () => {
    await assertDifferential(
      damselfly,
      redis,
      [
        ['ROLE'],
        ['ROLE', 'x'],
        ['INFO', 'nosuch'],
        ['INFO', 'modules'],
        ['INFO', 'MODULES', 'nosuch'],
        ['INFO', 'cluster'],
        ['INFO', 'keyspace'],
        ['SET', 'a', '1'],
        ['SELECT', '5'],
        ['SET', 'b', '1'],
        ['SET', 'c', '1'],
        ['INFO', 'keyspace'],
        ['FLUSHALL'],
        ['CONFIG', 'RESETSTAT'],
        ['NOSUCH'],
        ['INCR', 'b'],
        ['SET', 'b', 'x'],
        ['INCR', 'b'],
        ['HELLO', '4'],
        ['EXEC'],
        ['INFO', 'errorstats'],
        ['HELLO', '3'],
        ['INFO', 'ERRORSTATS'],
        ['HELLO', '2'],
      ],
      { normalize: [[/\$2\r\nid\r\n:\d+\r\n/, 'id']] },
    );
  });

  test('commandstats lines', async () => {
    await assertDifferential(damselfly, redis, [
      ['CONFIG', 'RESETSTAT'],
      ['SET', 'a', '1'],
      ['GET', 'a'],
      ['GET', 'a'],
      ['SET', 'b', 'x'],
      ['INCR', 'b'],
      ['HELLO', '4'],
      { command: ['INFO', 'commandstats'], normalize: [...maskTimings, sortInfoLines] },
    ]);
  });
});

describe(
  'TIME, LASTSAVE, SHUTDOWN and DEBUG against redis-server',
  {
    skip: redisServerSkipReason(),
  },
  () => {
    let damselfly: ServerProcess;
    let redis: ServerProcess;

    before(async () => {
      damselfly = await startDamselfly();
      const reference = await startRedisServer();
      assert.ok(reference);
      redis = reference;
    });

    after(stopAllServers);

    test('TIME and LASTSAVE shapes', async () => {
      await assertDifferential(damselfly, redis, [
        { command: ['TIME'], normalize: [/\$\d+\r\n\d+\r\n\$\d+\r\n\d+\r\n/, 'TIME'] },
        { command: ['LASTSAVE'], normalize: [/^:\d+\r\n$/, 'INT'] },
        ['TIME', 'x'],
        ['LASTSAVE', 'x'],
      ]);
      const client = new Redis(damselfly.port);
      try {
        const [seconds, micros] = (await client.call('TIME')) as string[];
        assert.ok(Math.abs(Number(seconds) - Date.now() / 1000) < 5);
        assert.ok(Number(micros) >= 0);
        assert.ok(Number(micros) < 1e6);
        const lastSave = Number(await client.call('LASTSAVE'));
        assert.ok(lastSave <= Date.now() / 1000 + 1);
      } finally {
        client.disconnect();
      }
    });

    test('SHUTDOWN argument errors', async () => {
      await assertDifferential(damselfly, redis, [
        ['SHUTDOWN', 'foo'],
        ['SHUTDOWN', 'NOSAVE', 'SAVE'],
        ['SHUTDOWN', 'save', 'nosave', 'now'],
        ['SHUTDOWN', 'ABORT'],
        ['SHUTDOWN', 'abort', 'abort'],
        ['SHUTDOWN', 'ABORT', 'NOW'],
        ['SHUTDOWN', 'NOSAVE', 'ABORT'],
        ['MULTI'],
        ['SHUTDOWN'],
        ['DISCARD'],
      ]);
    });

    test('DEBUG while enable-debug-command is off', async () => {
      await assertDifferential(damselfly, redis, [
        ['DEBUG', 'SLEEP', '0'],
        ['DEBUG', 'OBJECT', 'a'],
        ['DEBUG', 'HELP'],
        ['DEBUG'],
      ]);
    });
  },
);

describe('DEBUG enabled, against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;

  before(async () => {
    const args = ['--enable-debug-command', 'yes'];
    damselfly = await startDamselfly({ args });
    const reference = await startRedisServer({ args });
    assert.ok(reference);
    redis = reference;
  });

  after(stopAllServers);

  test('subcommand errors and SLEEP', async () => {
    await assertDifferential(damselfly, redis, [
      ['DEBUG', 'foo'],
      ['DEBUG', 'SLEEP'],
      ['DEBUG', 'SLEEP', '0', 'extra'],
      ['DEBUG', 'sleep', '0'],
      ['DEBUG', 'SLEEP', 'x'],
      ['DEBUG', 'SLEEP', '-1'],
      ['DEBUG', 'SLEEP', '0.01'],
      ['DEBUG', 'OBJECT'],
      ['DEBUG', 'OBJECT', 'a', 'b'],
      ['DEBUG', 'OBJECT', 'missing'],
    ]);
  });

  test('POPULATE refuses what it cannot build', async () => {
    // Redis crashes on these, so Damselfly's replies are checked on their own.
    const client = await RawClient.connect(damselfly.port);
    const tooLong = await client.call(['DEBUG', 'POPULATE', '10', 'p', '99999999999']);
    assert.equal(
      tooLong.toString(),
      '-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n',
    );
    const tooMany = await client.call(['DEBUG', 'POPULATE', '99999999999']);
    assert.equal(
      tooMany.toString(),
      '-ERR the database would hold more keys than it can (16777216)\r\n',
    );
    assert.equal((await client.call(['DBSIZE'])).toString(), ':0\r\n');
    client.destroy();
  });

  test('OBJECT encodings and serialized lengths of strings', async () => {
    // Redis's address, refcount and LRU fields have no meaning here.
    const keepEncoding: Normalizer = [
      /^\+Value at:\S+ refcount:\d+ (encoding:\S+ serializedlength:\d+) lru:\d+ \S+/,
      '+$1',
    ];
    await assertDifferential(damselfly, redis, [
      ['SET', 'small', '123'],
      ['SET', 'medium', '70000'],
      ['SET', 'large', '5000000000'],
      ['SET', 'short', 'hello'],
      ['SET', 'long', 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRST'],
      ...['small', 'medium', 'large', 'short', 'long'].map((key) => ({
        command: ['DEBUG', 'OBJECT', key],
        normalize: keepEncoding,
      })),
    ]);
  });

  test('SLEEP holds every client', async () => {
    const sleeper = await RawClient.connect(damselfly.port);
    const other = await RawClient.connect(damselfly.port);
    try {
      const started = Date.now();
      await sleeper.send('*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.2\r\n');
      await new Promise((resolve) => setTimeout(resolve, 20));
      const pong = await other.call(['PING']);
      assert.equal(pong.toString('latin1'), '+PONG\r\n');
      assert.ok(Date.now() - started >= 190, 'PING was answered during DEBUG SLEEP');
      assert.equal((await sleeper.readReply()).toString('latin1'), '+OK\r\n');
    } finally {
      sleeper.destroy();
      other.destroy();
    }
  });
});

describe('DEBUG in local mode', () => {
  test('runs for a loopback client', async () => {
    const damselfly = await startDamselfly({ args: ['--enable-debug-command', 'local'] });
    const client = new Redis(damselfly.port);
    try {
      assert.equal(await client.call('DEBUG', 'SLEEP', '0'), 'OK');
    } finally {
      client.disconnect();
      await stopAllServers();
    }
  });
});

describe('SHUTDOWN', () => {
  test('stops the server and closes the connection', async () => {
    const damselfly = await startDamselfly();
    const client = await RawClient.connect(damselfly.port);
    try {
      await client.send('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
      await client.waitForClose();
      const status = await damselfly.exited;
      assert.equal(status.code, 0);
    } finally {
      client.destroy();
      await stopAllServers();
    }
  });
});
