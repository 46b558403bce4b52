/**
 * The HTTP endpoint on metrics-port: basic authentication against the
 * server's users, /metrics read by a Prometheus text-format parser,
 * /healthz, /api/stats, and metrics-open.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import Redis from 'ioredis';

import { findFreePort, sleep, startDamselfly, stopAllServers } from './support/servers';

interface MetricFamily {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string> }[];
}

// The package ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => MetricFamily[];

const PASSWORD = 'metrics-secret';

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

async function get(port: number, path: string, authorization?: string): Promise<Response> {
  const headers: Record<string, string> = authorization ? { authorization } : {};
  return fetch(`http://127.0.0.1:${port}${path}`, { headers });
}

function family(families: MetricFamily[], name: string): MetricFamily {
  const found = families.find((each) => each.name === name);
  assert.ok(found, `/metrics has no ${name}`);
  return found;
}

function valueOf(families: MetricFamily[], name: string, labels: Record<string, string> = {}) {
  const metric = family(families, name).metrics.find((each) =>
    Object.entries(labels).every(([key, value]) => each.labels?.[key] === value),
  );
  assert.ok(metric, `${name} has no series ${JSON.stringify(labels)}`);
  return Number(metric.value);
}

describe('metrics endpoint with authentication', () => {
  let metricsPort: number;
  let client: Redis;

  before(async () => {
    metricsPort = await findFreePort();
    const server = await startDamselfly({
      args: ['--requirepass', PASSWORD, '--metrics-port', String(metricsPort)],
    });
    client = new Redis(server.port, { password: PASSWORD });
  });

  after(async () => {
    client.disconnect();
    await stopAllServers();
  });

  test('every path asks for credentials', async () => {
    for (const path of ['/metrics', '/healthz', '/', '/api/stats']) {
      const response = await get(metricsPort, path);
      assert.equal(response.status, 401, path);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm=/);
    }
    const wrong = await get(metricsPort, '/metrics', basic('default', 'wrong'));
    assert.equal(wrong.status, 401);
    const unknownUser = await get(metricsPort, '/metrics', basic('nobody', PASSWORD));
    assert.equal(unknownUser.status, 401);
  });

  test('a user needs INFO for /metrics and SLOWLOG for the console data', async () => {
    await client.call('ACL', 'SETUSER', 'weak', 'on', '>weak-pw', '~none', '-@all', '+ping');
    await client.call('ACL', 'SETUSER', 'watcher', 'on', '>watch-pw', '-@all', '+info');
    assert.equal((await get(metricsPort, '/metrics', basic('weak', 'weak-pw'))).status, 403);
    assert.equal((await get(metricsPort, '/api/stats', basic('weak', 'weak-pw'))).status, 403);
    assert.equal((await get(metricsPort, '/metrics', basic('watcher', 'watch-pw'))).status, 200);
    assert.equal((await get(metricsPort, '/api/stats', basic('watcher', 'watch-pw'))).status, 403);
  });

  test('/metrics parses as Prometheus text', async () => {
    await client.set('a', '1');
    await client.set('b', '2', 'EX', 100);
    await client.get('a');
    await client.call('NOSUCHCOMMAND').catch(() => undefined);
    const response = await get(metricsPort, '/metrics', basic('default', PASSWORD));
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const families = parsePrometheus(text);
    assert.ok(valueOf(families, 'damselfly_commands_total', { command: 'set' }) >= 2);
    assert.equal(family(families, 'damselfly_commands_total').type, 'COUNTER');
    assert.equal(valueOf(families, 'damselfly_db_keys', { db: '0' }), 2);
    assert.equal(valueOf(families, 'damselfly_db_expiring_keys', { db: '0' }), 1);
    assert.ok(valueOf(families, 'damselfly_error_replies_total', { code: 'ERR' }) >= 1);
    assert.ok(valueOf(families, 'damselfly_memory_used_bytes') > 0);
    assert.equal(valueOf(families, 'damselfly_connected_clients'), 1);
    assert.equal(valueOf(families, 'damselfly_loading'), 0);
    assert.equal(valueOf(families, 'damselfly_evicted_keys_total'), 0);
    const refusals = family(families, 'damselfly_refusals_total');
    assert.ok(refusals.metrics.some((each) => each.labels?.kind === 'rejected_connections'));
    const latency = family(families, 'damselfly_command_duration_seconds');
    assert.equal(latency.type, 'HISTOGRAM');
    // The parser drops the labels, sum and count of histogram series, so those are read as text.
    assert.ok(latency.metrics.every((each) => each.buckets?.['+Inf'] !== undefined));
    assert.match(text, /^damselfly_command_duration_seconds_count\{command="set"\} 2$/m);
    assert.match(
      text,
      /^damselfly_command_duration_seconds_bucket\{le="\+Inf",command="set"\} 2$/m,
    );
    assert.ok(family(families, 'process_resident_memory_bytes'));
  });

  test('/healthz, /api/stats and the console files', async () => {
    const auth = basic('default', PASSWORD);
    const health = await get(metricsPort, '/healthz', auth);
    assert.equal(health.status, 200);
    assert.equal(await health.text(), 'ok\n');
    const stats = (await (await get(metricsPort, '/api/stats', auth)).json()) as {
      keys: number;
      clients: { connected: number };
      memory: { used: number };
    };
    assert.equal(stats.keys, await client.dbsize());
    assert.equal(stats.clients.connected, 1);
    assert.ok(stats.memory.used > 0);
    const page = await get(metricsPort, '/', auth);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<canvas id="ops-chart"/);
    const script = await get(metricsPort, '/console.js', auth);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.equal((await get(metricsPort, '/nosuch', auth)).status, 404);
  });

  test('other methods are refused', async () => {
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { method: 'POST' });
    assert.equal(response.status, 405);
  });
});

describe('metrics-open yes', () => {
  let metricsPort: number;

  before(async () => {
    metricsPort = await findFreePort();
    await startDamselfly({
      args: [
        '--requirepass',
        PASSWORD,
        '--metrics-port',
        String(metricsPort),
        '--metrics-open',
        'yes',
      ],
    });
  });

  after(stopAllServers);

  test('serves /metrics and /healthz without credentials, not the console', async () => {
    const metrics = await get(metricsPort, '/metrics');
    assert.equal(metrics.status, 200);
    assert.ok(parsePrometheus(await metrics.text()).length > 0);
    assert.equal((await get(metricsPort, '/healthz')).status, 200);
    assert.equal((await get(metricsPort, '/')).status, 401);
    assert.equal((await get(metricsPort, '/api/stats')).status, 401);
  });
});

describe('/healthz while loading', () => {
  after(stopAllServers);

  test('is 503 until the snapshot is loaded, then 200', async () => {
    const metricsPort = await findFreePort();
    const args = ['--metrics-port', String(metricsPort), '--metrics-open', 'yes'];
    const first = await startDamselfly({ args: [...args, '--enable-debug-command', 'yes'] });
    const writer = new Redis(first.port);
    await writer.call('DEBUG', 'POPULATE', '1500000', 'key', '20');
    await writer.call('SAVE');
    writer.disconnect();
    await first.stop();

    await startDamselfly({ dir: first.dir, args, waitUntilReady: false });
    const statuses: number[] = [];
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline && statuses[statuses.length - 1] !== 200) {
      const response = await get(metricsPort, '/healthz').catch(() => null);
      if (response !== null) statuses.push(response.status);
      await sleep(20);
    }
    assert.ok(statuses.includes(503), `503 while loading: ${statuses.join(' ')}`);
    assert.equal(statuses[statuses.length - 1], 200);
  });
});
