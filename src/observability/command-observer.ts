/**
 * What the server records about each executed command besides INFO
 * commandstats: the latency histogram, the slow log, the latency monitor's
 * command events and the MONITOR feed. `observeCommand` runs after every
 * command that passed the gate.
 */
import type { Client } from '../engine/client';
import type { RegisteredCommand } from '../engine/command';
import type { Server } from '../engine/server';
import { onStatsReset, setInfoSection, type InfoField } from './info';
import { LatencyRecords } from './latency';
import { MonitorFeed, redactArguments } from './monitor';
import { Slowlog } from './slowlog';

/** The observation state of one server. */
export interface Observers {
  slowlog: Slowlog;
  latency: LatencyRecords;
  monitor: MonitorFeed;
}

const observersByServer = new WeakMap<Server, Observers>();
/** The server of the last call, whose observers are returned without a WeakMap lookup. */
let lastServer: Server | null = null;
let lastObservers: Observers | null = null;

/** Returns the observers of a server, creating them on first use. */
export function observersOf(server: Server): Observers {
  if (server === lastServer) return lastObservers as Observers;
  let observers = observersByServer.get(server);
  if (observers === undefined) {
    const monitor = new MonitorFeed();
    server.clientGoneHooks.push((client) => monitor.clients.delete(client));
    observers = { slowlog: new Slowlog(server), latency: new LatencyRecords(server), monitor };
    observersByServer.set(server, observers);
  }
  lastServer = server;
  lastObservers = observers;
  return observers;
}

/** Records one executed command that took `milliseconds` to run. */
export function observeCommand(
  client: Client,
  spec: RegisteredCommand,
  args: string[],
  milliseconds: number,
): void {
  const observers = observersOf(client.server);
  const latency = observers.latency;
  if (latency.tracking) latency.recordCommand(spec.name, milliseconds * 1e6);
  if (latency.threshold > 0) {
    latency.recordEvent(spec.flags.includes('fast') ? 'fast-command' : 'command', milliseconds);
  }
  const micros = milliseconds * 1000;
  const slowlog = observers.slowlog;
  if (slowlog.isSlow(micros) && !client.internal && !spec.flags.includes('skip_slowlog')) {
    slowlog.record(client, redactArguments(spec, args), micros);
  }
  const monitor = observers.monitor;
  if (monitor.clients.size > 0 && !spec.flags.includes('skip_monitor')) {
    monitor.feed(client, spec, args);
  }
}

/**
 * Feeds MONITOR before a command runs, for the script commands (flagged
 * skip_monitor), so that their line comes before those of the commands the
 * script calls, as in Redis.
 */
export function observeCommandStart(client: Client, spec: RegisteredCommand, args: string[]): void {
  const monitor = observersOf(client.server).monitor;
  if (monitor.clients.size > 0 && spec.flags.includes('skip_monitor')) {
    monitor.feed(client, spec, args);
  }
}

/** Formats a percentile as Redis names it in INFO: p50, p99, p99.9. */
function percentileLabel(percentile: number): string {
  return `p${Number(percentile.toFixed(3))}`;
}

/** Builds INFO latencystats: the configured percentiles of each command's latency, in µs. */
function latencyStatsSection(server: Server): InfoField[] {
  const text = server.config.string('latency-tracking-info-percentiles');
  const percentiles = text
    .split(' ')
    .filter((word) => word !== '')
    .map(Number);
  const fields: InfoField[] = [];
  for (const [name, histogram] of observersOf(server).latency.histograms) {
    const values = percentiles.map((percentile) => {
      const micros = histogram.valueAtPercentile(percentile) / 1000;
      return `${percentileLabel(percentile)}=${micros.toFixed(3)}`;
    });
    fields.push([`latency_percentiles_usec_${name}`, values.join(',')]);
  }
  return fields;
}

setInfoSection('latencystats', latencyStatsSection);
onStatsReset((server) => observersOf(server).latency.histograms.clear());
