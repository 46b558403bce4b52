/**
 * LATENCY LATEST, HISTORY, RESET, GRAPH, HISTOGRAM, DOCTOR and HELP: the
 * latency monitor's events and the per-command latency histograms.
 */
import type { Client } from '../engine/client';
import { command, type RegisteredCommand } from '../engine/command';
import { CommandError, ERR } from '../engine/errors';
import { observersOf } from '../observability/command-observer';
import type { LatencyEvent, LatencyRecords } from '../observability/latency';
import { writeSubcommandHelp } from './command-info';

function recordsOf(client: Client): LatencyRecords {
  return observersOf(client.server).latency;
}

/** LATENCY LATEST: per event [name, unix time of the latest sample, its ms, the highest ms]. */
function latencyLatest(client: Client): void {
  const events = recordsOf(client).events;
  client.reply.array(events.size);
  for (const [name, event] of events) {
    const latest = event.samples[event.samples.length - 1];
    client.reply.array(4);
    client.reply.bulk(name);
    client.reply.int(latest.time);
    client.reply.int(latest.milliseconds);
    client.reply.int(event.max);
  }
}

/** LATENCY HISTORY event: the event's samples as [unix time, ms]; empty for an unknown event. */
function latencyHistory(client: Client, args: string[]): void {
  const samples = recordsOf(client).events.get(args[2])?.samples ?? [];
  client.reply.array(samples.length);
  for (const sample of samples) {
    client.reply.array(2);
    client.reply.int(sample.time);
    client.reply.int(sample.milliseconds);
  }
}

/** LATENCY RESET [event ...]: forgets the named events, or all; replies how many were forgotten. */
function latencyReset(client: Client, args: string[]): void {
  client.reply.int(recordsOf(client).resetEvents(args.slice(2)));
}

const GRAPH_ROWS = 4;

/** Draws an event's samples as columns of '#', oldest on the left, tallest at the maximum. */
function drawGraph(name: string, event: LatencyEvent): string {
  const values = event.samples.map((sample) => sample.milliseconds);
  const high = Math.max(...values);
  const low = Math.min(...values);
  const lines = [`${name} - high ${high} ms, low ${low} ms (all time high ${event.max} ms)`];
  lines.push('-'.repeat(Math.max(values.length, 20)));
  for (let row = GRAPH_ROWS; row >= 1; row--) {
    const threshold = (high * row) / GRAPH_ROWS;
    lines.push(values.map((value) => (value >= threshold ? '#' : ' ')).join(''));
  }
  const now = Math.floor(Date.now() / 1000);
  lines.push(event.samples.map((sample) => ((now - sample.time) % 10).toString()).join(''));
  lines.push('(bottom row: seconds ago, last digit)');
  return `${lines.join('\n')}\n`;
}

/** LATENCY GRAPH event: an ASCII chart of the event's samples; an error when it has none. */
function latencyGraph(client: Client, args: string[]): void {
  const event = recordsOf(client).events.get(args[2]);
  if (event === undefined || event.samples.length === 0) {
    throw new CommandError(ERR.latencyNoSamples(args[2]));
  }
  client.reply.verbatim(drawGraph(args[2], event));
}

/**
 * LATENCY HISTOGRAM [command ...]: for each command that ran (all, or those
 * named), a map of `calls` and `histogram_usec`, the cumulative count of
 * calls at 1, 2, 4, ... microseconds.
 */
function latencyHistogram(client: Client, args: string[]): void {
  const histograms = recordsOf(client).histograms;
  const names =
    args.length > 2
      ? [...new Set(args.slice(2).map((arg) => arg.toLowerCase()))]
      : [...histograms.keys()];
  const selected = names.filter((name) => histograms.has(name));
  const reply = client.reply;
  reply.map(selected.length);
  for (const name of selected) {
    const histogram = histograms.get(name);
    if (histogram === undefined) continue;
    const levels = histogram.cumulative();
    reply.bulk(name);
    reply.map(2);
    reply.bulk('calls');
    reply.int(histogram.total);
    reply.bulk('histogram_usec');
    reply.map(levels.length);
    for (const [micros, count] of levels) {
      reply.int(micros);
      reply.int(count);
    }
  }
}

/** Writes a plain-language report of the recorded latency events. */
function doctorReport(records: LatencyRecords): string {
  if (records.threshold === 0) {
    return (
      'The latency monitor is off, so no latency events were recorded. Turn it on with\n' +
      'CONFIG SET latency-monitor-threshold <milliseconds>.\n'
    );
  }
  if (records.events.size === 0) {
    return `No operation took ${records.threshold} ms or more since the monitor was turned on.\n`;
  }
  const lines = [`Events that took ${records.threshold} ms or more:`, ''];
  for (const [name, event] of records.events) {
    const values = event.samples.map((sample) => sample.milliseconds);
    const average = Math.round(values.reduce((sum, value) => sum + value, 0) / values.length);
    lines.push(
      `- ${name}: ${values.length} samples, average ${average} ms, highest ${event.max} ms.`,
    );
  }
  lines.push('');
  lines.push('Check SLOWLOG GET for the slow commands, and DEBUG SLEEP or large KEYS calls.');
  return `${lines.join('\n')}\n`;
}

/** LATENCY DOCTOR: a plain-language report of the latency events. */
function latencyDoctor(client: Client): void {
  client.reply.verbatim(doctorReport(recordsOf(client)));
}

const HELP = [
  'DOCTOR',
  '    Reply with a plain-language report of the latency events.',
  'GRAPH <event>',
  '    Reply with an ASCII chart of the samples of <event>.',
  'HISTORY <event>',
  '    Reply with the samples of <event> as (unix time, milliseconds) pairs.',
  'LATEST',
  '    Reply with the latest and the highest sample of every event.',
  'RESET [<event> ...]',
  '    Forget the samples of the named events, or of all events.',
  'HISTOGRAM [<command> ...]',
  '    Reply with the cumulative latency distribution of the named commands,',
  '    or of every command that ran.',
];

function row(
  name: string,
  arity: number,
  summary: string,
  handler: (client: Client, args: string[]) => void,
  complexity = 'O(1)',
): RegisteredCommand {
  const help = name === 'help';
  return command({
    name: `latency|${name}`,
    arity,
    flags: help ? ['loading', 'stale'] : ['admin', 'noscript', 'loading', 'stale'],
    group: 'server',
    since: name === 'histogram' ? '7.0.0' : '2.8.13',
    summary,
    complexity,
    handler,
  });
}

export const latencyCommands: RegisteredCommand[] = [
  command({
    name: 'latency',
    arity: -2,
    group: 'server',
    since: '2.8.13',
    summary: 'Inspects the latency monitor and the latency histograms.',
    complexity: 'Depends on subcommand.',
    handler: () => undefined,
    subcommands: [
      row('doctor', 2, 'Reports on the recorded latency events.', latencyDoctor),
      row('graph', 3, 'Charts the samples of a latency event.', latencyGraph),
      row('history', 3, 'Returns the samples of a latency event.', latencyHistory),
      row('latest', 2, 'Returns the latest sample of every latency event.', latencyLatest),
      row('reset', -2, 'Forgets latency events.', latencyReset),
      row(
        'histogram',
        -2,
        'Returns the latency distribution of commands.',
        latencyHistogram,
        'O(N) where N is the number of commands with latency information.',
      ),
      row('help', 2, 'Describes the LATENCY subcommands.', (client) =>
        writeSubcommandHelp(client, 'LATENCY', HELP),
      ),
    ],
  }),
];
