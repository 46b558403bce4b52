/**
 * SLOWLOG and LATENCY compared with redis-server: entry shapes with long
 * arguments cut, errors, the length limit, redacted secrets, the latency
 * monitor's events and the shape of LATENCY HISTOGRAM and INFO latencystats.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { assertDifferential, type Normalizer } from './support/differential';
import {
  redisServerSkipReason,
  startDamselfly,
  startRedisServer,
  stopAllServers,
  type ServerProcess,
} from './support/servers';

/** Masks the time and duration of each slow log entry and the client's port. */
const maskEntries: Normalizer[] = [
  [/\*6\r\n:(\d+)\r\n:\d+\r\n:\d+\r\n/g, '*6\r\n:$1\r\n:TIME\r\n:MICROS\r\n'],
  [/\$\d+\r\n127\.0\.0\.1:\d+\r\n/g, '$ADDR\r\n127.0.0.1:PORT\r\n'],
];

const LONG_VALUE = 'a'.repeat(200);
const MANY_KEYS = Array.from({ length: 40 }, (_, i) => `key${i}`);

describe('SLOWLOG and LATENCY against redis-server', { skip: redisServerSkipReason() }, () => {
  let damselfly: ServerProcess;
  let redis: ServerProcess;
  const endpoints = (): [{ port: number }, { port: number }] => [
    { port: damselfly.port },
    { port: redis.port },
  ];

  before(async () => {
    const started = await Promise.all([
      startDamselfly({ args: ['--enable-debug-command', 'yes'] }),
      startRedisServer({ args: ['--enable-debug-command', 'yes'] }),
    ]);
    damselfly = started[0];
    redis = started[1] as ServerProcess;
  });

  after(stopAllServers);

  test('entries cut long arguments and many arguments', async () => {
    await assertDifferential(
      ...endpoints(),
      [
        ['CONFIG', 'SET', 'slowlog-log-slower-than', '0'],
        ['CLIENT', 'SETNAME', 'tester'],
        ['SLOWLOG', 'RESET'],
        ['SET', 'k', LONG_VALUE],
        ['DEL', ...MANY_KEYS],
        ['SLOWLOG', 'GET', '2'],
        ['SLOWLOG', 'GET', '-1'],
        ['SLOWLOG', 'LEN'],
        ['CONFIG', 'SET', 'slowlog-log-slower-than', '-1'],
        ['SLOWLOG', 'RESET'],
        ['GET', 'k'],
        ['SLOWLOG', 'LEN'],
      ],
      { normalize: maskEntries },
    );
  });

  test('secrets are redacted', async () => {
    await assertDifferential(
      ...endpoints(),
      [
        ['CONFIG', 'SET', 'slowlog-log-slower-than', '0'],
        ['SLOWLOG', 'RESET'],
        ['AUTH', 'not-the-password'],
        ['AUTH', 'someone', 'secret'],
        ['CONFIG', 'SET', 'requirepass', 'TopSecret9'],
        ['CONFIG', 'SET', 'requirepass', ''],
        ['SLOWLOG', 'GET', '4'],
        ['CONFIG', 'SET', 'slowlog-log-slower-than', '10000'],
      ],
      { normalize: maskEntries },
    );
  });

  test('the length limit and argument errors', async () => {
    await assertDifferential(
      ...endpoints(),
      [
        ['CONFIG', 'SET', 'slowlog-log-slower-than', '0'],
        ['CONFIG', 'SET', 'slowlog-max-len', '2'],
        ['PING'],
        ['PING'],
        ['PING'],
        ['SLOWLOG', 'LEN'],
        ['SLOWLOG', 'GET', 'abc'],
        ['SLOWLOG', 'GET', '-2'],
        ['SLOWLOG', 'GET', '1', '2'],
        ['SLOWLOG', 'GET', '99999999999999999999'],
        ['SLOWLOG', 'NOSUCH'],
        ['SLOWLOG'],
        ['CONFIG', 'SET', 'slowlog-max-len', '128'],
        ['CONFIG', 'SET', 'slowlog-log-slower-than', '10000'],
      ],
      { normalize: maskEntries },
    );
  });

  test('the latency monitor records slow events', async () => {
    await assertDifferential(
      ...endpoints(),
      [
        ['LATENCY', 'RESET'],
        ['CONFIG', 'SET', 'latency-monitor-threshold', '5'],
        ['DEBUG', 'SLEEP', '0.02'],
        { command: ['LATENCY', 'LATEST'], normalize: [/:\d+\r\n/g, ':N\r\n'] },
        { command: ['LATENCY', 'HISTORY', 'command'], normalize: [/:\d+\r\n/g, ':N\r\n'] },
        ['LATENCY', 'HISTORY', 'nosuch'],
        ['LATENCY', 'GRAPH', 'nosuch'],
        ['LATENCY', 'RESET', 'command', 'nosuch'],
        ['LATENCY', 'LATEST'],
        ['LATENCY', 'HISTORY'],
        ['CONFIG', 'SET', 'latency-monitor-threshold', '0'],
      ],
      { flush: false },
    );
  });

  test('LATENCY HISTOGRAM has the same shape', async () => {
    const shapes = await Promise.all(
      [damselfly.port, redis.port].map(async (port) => {
        const client = new Redis(port);
        await client.call('CONFIG', 'RESETSTAT');
        for (let i = 0; i < 20; i++) await client.set('k', 'v');
        const reply = (await client.call('LATENCY', 'HISTOGRAM', 'set', 'nosuch')) as unknown[];
        client.disconnect();
        const details = reply[1] as unknown[];
        const buckets = details[3] as number[];
        return {
          names: [reply[0], details[0], details[2]],
          calls: details[1],
          total: buckets[buckets.length - 1],
          ascending: buckets.every((value, i) => i < 2 || value >= buckets[i - 2]),
        };
      }),
    );
    assert.deepEqual(shapes[0], shapes[1]);
  });

  test('INFO latencystats lists percentiles per command', async () => {
    for (const port of [damselfly.port, redis.port]) {
      const client = new Redis(port);
      await client.set('k', 'v');
      const text = String(await client.call('INFO', 'latencystats'));
      const defaultText = String(await client.call('INFO'));
      client.disconnect();
      assert.match(text, /^# Latencystats\r\n/);
      assert.match(
        text,
        /^latency_percentiles_usec_set:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}\r$/m,
      );
      assert.doesNotMatch(defaultText, /Latencystats/);
    }
  });
});
