/**
 * The Prometheus metrics of /metrics, built with prom-client. Every value is
 * read from the server's counters when scraped, so commands pay nothing for
 * them.
 */
import client from 'prom-client';
import type { Server } from '../engine/server';
import { evictableMemory, usedMemory } from '../store/memory';
import { observersOf } from './command-observer';
import { buildInfo, peakMemory } from './info';

/** Bucket limits of the command latency histogram, in seconds: 1 µs doubling to about 1 s. */
const LATENCY_BUCKETS = Array.from({ length: 21 }, (_, i) => 2 ** i / 1e6);

/**
 * INFO stats fields that count refused or dropped clients and requests, by
 * name pattern, so fields added by other subsystems are exported too.
 */
const REFUSAL_FIELD = /rejected|denied|ratelimited|disconnections|failures|delayed/;

function gauge(registry: client.Registry, name: string, help: string, read: () => number): void {
  new client.Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

function labelledGauge(
  registry: client.Registry,
  name: string,
  help: string,
  labelNames: string[],
  fill: (set: (labels: Record<string, string>, value: number) => void) => void,
): void {
  new client.Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      fill((labels, value) => this.set(labels, value));
    },
  });
}

/** A counter whose value comes from a server counter at scrape time. */
function counter(
  registry: client.Registry,
  name: string,
  help: string,
  labelNames: string[],
  fill: (add: (labels: Record<string, string>, value: number) => void) => void,
): void {
  new client.Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      fill((labels, value) => {
        if (value >= 0) this.inc(labels, value);
      });
    },
  });
}

function addCommandMetrics(registry: client.Registry, server: Server): void {
  const eachCommand = (
    visit: (name: string, stats: { calls: number; failed: number; rejected: number }) => void,
  ) => {
    for (const spec of server.commands.values()) {
      const rows = [spec, ...(spec.subcommands?.values() ?? [])];
      for (const row of rows) {
        const stats = (row as typeof spec).stats;
        if (stats.calls + stats.failedCalls + stats.rejectedCalls === 0) continue;
        visit(row.name, {
          calls: stats.calls,
          failed: stats.failedCalls,
          rejected: stats.rejectedCalls,
        });
      }
    }
  };
  counter(
    registry,
    'damselfly_commands_total',
    'Commands executed, by command.',
    ['command'],
    (add) => eachCommand((name, stats) => add({ command: name }, stats.calls)),
  );
  counter(
    registry,
    'damselfly_command_errors_total',
    'Commands that failed (error reply while running) or were rejected (before running).',
    ['command', 'kind'],
    (add) =>
      eachCommand((name, stats) => {
        add({ command: name, kind: 'failed' }, stats.failed);
        add({ command: name, kind: 'rejected' }, stats.rejected);
      }),
  );
  counter(
    registry,
    'damselfly_error_replies_total',
    'Error replies, by error code.',
    ['code'],
    (add) => {
      for (const [code, count] of server.stats.errorsByCode) add({ code }, count);
    },
  );
  registry.registerMetric(latencyHistogramMetric(server) as unknown as client.Metric);
}

/**
 * The per-command latency histograms as a Prometheus histogram. prom-client
 * cannot take precomputed buckets, so this object provides `get()` in the
 * shape its registry formats.
 */
function latencyHistogramMetric(server: Server): object {
  const name = 'damselfly_command_duration_seconds';
  return {
    name,
    help: 'Time spent executing commands, by command.',
    type: 'histogram',
    aggregator: 'sum',
    collect: () => undefined,
    get: async () => {
      const values: {
        metricName: string;
        labels: Record<string, string | number>;
        value: number;
      }[] = [];
      const limits = LATENCY_BUCKETS.map((seconds) => seconds * 1e9);
      for (const [command, histogram] of observersOf(server).latency.histograms) {
        const counts = histogram.countsUpTo(limits);
        LATENCY_BUCKETS.forEach((le, i) => {
          values.push({ metricName: `${name}_bucket`, labels: { le, command }, value: counts[i] });
        });
        values.push({
          metricName: `${name}_bucket`,
          labels: { le: '+Inf', command },
          value: histogram.total,
        });
        values.push({ metricName: `${name}_sum`, labels: { command }, value: histogram.sum / 1e9 });
        values.push({ metricName: `${name}_count`, labels: { command }, value: histogram.total });
      }
      return {
        name,
        help: 'Time spent executing commands, by command.',
        type: 'histogram',
        aggregator: 'sum',
        values,
      };
    },
  };
}

function addMemoryMetrics(registry: client.Registry, server: Server): void {
  gauge(
    registry,
    'damselfly_memory_used_bytes',
    'Used memory as INFO used_memory reports it.',
    () => usedMemory(server),
  );
  gauge(registry, 'damselfly_memory_evictable_bytes', 'Used memory that maxmemory limits.', () =>
    evictableMemory(server),
  );
  gauge(registry, 'damselfly_memory_peak_bytes', 'Highest used memory seen.', () =>
    peakMemory(server),
  );
  gauge(registry, 'damselfly_memory_max_bytes', 'The maxmemory setting (0: no limit).', () =>
    server.config.number('maxmemory'),
  );
}

function addKeyspaceMetrics(registry: client.Registry, server: Server): void {
  labelledGauge(
    registry,
    'damselfly_db_keys',
    'Keys in each non-empty database.',
    ['db'],
    (set) => {
      for (const db of server.databases) if (db.size > 0) set({ db: String(db.id) }, db.size);
    },
  );
  labelledGauge(
    registry,
    'damselfly_db_expiring_keys',
    'Keys with a time to live in each non-empty database.',
    ['db'],
    (set) => {
      for (const db of server.databases)
        if (db.size > 0) set({ db: String(db.id) }, db.expires.size);
    },
  );
  const stats = server.stats;
  const simple: [string, string, () => number][] = [
    [
      'damselfly_evicted_keys_total',
      'Keys evicted to stay under maxmemory.',
      () => stats.evictedKeys,
    ],
    [
      'damselfly_expired_keys_total',
      'Keys removed because their time to live ran out.',
      () => stats.expiredKeys,
    ],
    ['damselfly_keyspace_hits_total', 'Reads that found their key.', () => stats.keyspaceHits],
    [
      'damselfly_keyspace_misses_total',
      'Reads that did not find their key.',
      () => stats.keyspaceMisses,
    ],
    [
      'damselfly_connections_received_total',
      'Client connections accepted.',
      () => stats.totalConnections,
    ],
    ['damselfly_net_input_bytes_total', 'Bytes received from clients.', () => stats.netInputBytes],
    ['damselfly_net_output_bytes_total', 'Bytes sent to clients.', () => stats.netOutputBytes],
  ];
  for (const [name, help, read] of simple)
    counter(registry, name, help, [], (add) => add({}, read()));
}

/** Reads the numeric fields of an INFO section into a map. */
function infoFields(server: Server, section: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of buildInfo(server, [section]).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0 || line.startsWith('#')) continue;
    const value = Number(line.slice(colon + 1));
    if (Number.isFinite(value)) fields.set(line.slice(0, colon), value);
  }
  return fields;
}

function addClientMetrics(registry: client.Registry, server: Server): void {
  gauge(
    registry,
    'damselfly_connected_clients',
    'Client connections open now.',
    () => server.clients.size,
  );
  gauge(registry, 'damselfly_blocked_clients', 'Clients waiting in blocking commands.', () => {
    let blocked = 0;
    for (const each of server.clients.values()) if (each.blocked) blocked++;
    return blocked;
  });
  counter(
    registry,
    'damselfly_refusals_total',
    'Connections and requests refused or dropped, by kind (the INFO stats field name).',
    ['kind'],
    (add) => {
      for (const [field, value] of infoFields(server, 'stats')) {
        if (REFUSAL_FIELD.test(field)) add({ kind: field }, value);
      }
    },
  );
}

function addPersistenceMetrics(registry: client.Registry, server: Server): void {
  const state = server.persistence;
  const flags: [string, string, () => number][] = [
    [
      'damselfly_loading',
      '1 while a snapshot or log is being loaded.',
      () => Number(state.loading),
    ],
    [
      'damselfly_rdb_bgsave_in_progress',
      '1 while a background save runs.',
      () => Number(state.bgsaveInProgress),
    ],
    [
      'damselfly_rdb_changes_since_last_save',
      'Changes since the last snapshot.',
      () => server.dirty,
    ],
    [
      'damselfly_rdb_last_save_timestamp_seconds',
      'Unix time of the last successful save.',
      () => server.lastSaveTime,
    ],
    [
      'damselfly_rdb_last_bgsave_ok',
      '1 when the last background save succeeded.',
      () => Number(state.lastBgsaveOk),
    ],
    [
      'damselfly_aof_enabled',
      '1 when the append-only log is on.',
      () => Number(server.config.bool('appendonly')),
    ],
    [
      'damselfly_aof_rewrite_in_progress',
      '1 while the log is rewritten.',
      () => Number(state.aofRewriteInProgress),
    ],
    [
      'damselfly_aof_last_write_ok',
      '1 when the last log write succeeded.',
      () => Number(state.aofWriteError === null),
    ],
  ];
  for (const [name, help, read] of flags) gauge(registry, name, help, read);
}

/** Builds the registry of a server's metrics, with Node.js process metrics. */
export function createMetricsRegistry(server: Server): client.Registry {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  addCommandMetrics(registry, server);
  addMemoryMetrics(registry, server);
  addKeyspaceMetrics(registry, server);
  addClientMetrics(registry, server);
  addPersistenceMetrics(registry, server);
  gauge(registry, 'damselfly_uptime_seconds', 'Seconds since the server started.', () =>
    Math.floor((Date.now() - server.startedAt) / 1000),
  );
  return registry;
}
