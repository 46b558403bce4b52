/**
 * MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP: how much memory
 * the data and the server use, from the estimates of store/memory.ts.
 */
import v8 from 'node:v8';
import type { Client } from '../engine/client';
import { command, type RegisteredCommand, KEYS_PROBED } from '../engine/command';
import { CommandError, ERR } from '../engine/errors';
import type { Server } from '../engine/server';
import { peakMemory } from '../observability/info';
import {
  clientBufferBytes,
  datasetBytes,
  DEFAULT_SAMPLES,
  entryBytes,
  EXPIRE_ENTRY_BYTES,
  MAP_ENTRY_BYTES,
  startupBytes,
  usedMemory,
} from '../store/memory';
import { toBigInt64 } from './arguments';
import { writeSubcommandHelp } from './command-info';

/** Reads MEMORY USAGE's options: `SAMPLES count` (0: every element). */
function parseSamples(args: string[]): number {
  let samples = DEFAULT_SAMPLES;
  for (let i = 3; i < args.length; i += 2) {
    if (args[i].toLowerCase() !== 'samples' || i + 1 >= args.length) {
      throw new CommandError(ERR.syntax);
    }
    const value = toBigInt64(args[i + 1]);
    if (value === null) throw new CommandError(ERR.notInteger);
    if (value < 0n) throw new CommandError(ERR.syntax);
    samples = value > 1_000_000_000n ? 0 : Number(value);
  }
  return samples;
}

/**
 * MEMORY USAGE key [SAMPLES count]: the estimated bytes of the key, its
 * value and its keyspace entry; nil for a missing key. Collections are
 * estimated from `count` sampled elements (5 by default, 0 for all).
 * Does not count as an access to the key.
 */
function memoryUsage(client: Client, args: string[]): void {
  const samples = parseSamples(args);
  const value = client.db.get(args[2]);
  if (value === undefined) client.reply.nil();
  else client.reply.int(entryBytes(args[2], value, samples));
}

/** The figures MEMORY STATS and MEMORY DOCTOR read. */
interface MemoryFigures {
  used: number;
  peak: number;
  startup: number;
  clients: number;
  dataset: number;
  keys: number;
  heap: NodeJS.MemoryUsage;
}

function measure(server: Server): MemoryFigures {
  let keys = 0;
  for (const db of server.databases) keys += db.size;
  return {
    used: usedMemory(server),
    peak: peakMemory(server),
    startup: startupBytes(),
    clients: clientBufferBytes(server),
    dataset: datasetBytes(server),
    keys,
    heap: process.memoryUsage(),
  };
}

function ratio(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/** Writes the overhead of each non-empty database's key and expiry tables. */
function writeDatabaseOverheads(client: Client): void {
  for (const db of client.server.databases) {
    if (db.size === 0) continue;
    client.reply.bulk(`db.${db.id}`);
    client.reply.map(3);
    client.reply.bulk('overhead.hashtable.main');
    client.reply.int(db.size * MAP_ENTRY_BYTES);
    client.reply.bulk('overhead.hashtable.expires');
    client.reply.int(db.expires.size * EXPIRE_ENTRY_BYTES);
    client.reply.bulk('overhead.hashtable.slot-to-keys');
    client.reply.int(0);
  }
}

/**
 * MEMORY STATS: a map with Redis 7.0's field names. Allocator fields come
 * from the V8 heap: allocated is the heap in use, active the heap reserved,
 * resident the process's RSS.
 */
function memoryStats(client: Client): void {
  const figures = measure(client.server);
  const { heap } = figures;
  const overhead = figures.startup + figures.clients;
  const allocated = heap.heapUsed + heap.external;
  const active = heap.heapTotal + heap.external;
  const databases = client.server.databases.filter((db) => db.size > 0).length;
  const fields: [string, number, 'int' | 'double'][] = [
    ['peak.allocated', figures.peak, 'int'],
    ['total.allocated', figures.used, 'int'],
    ['startup.allocated', figures.startup, 'int'],
    ['replication.backlog', 0, 'int'],
    ['clients.slaves', 0, 'int'],
    ['clients.normal', figures.clients, 'int'],
    ['cluster.links', 0, 'int'],
    ['aof.buffer', 0, 'int'],
    ['lua.caches', 0, 'int'],
    ['functions.caches', 0, 'int'],
  ];
  const tail: [string, number, 'int' | 'double'][] = [
    ['overhead.total', overhead, 'int'],
    ['keys.count', figures.keys, 'int'],
    [
      'keys.bytes-per-key',
      figures.keys > 0 ? Math.floor(figures.dataset / figures.keys) : 0,
      'int',
    ],
    ['dataset.bytes', figures.dataset, 'int'],
    ['dataset.percentage', ratio(figures.dataset, figures.used - figures.startup) * 100, 'double'],
    ['peak.percentage', ratio(figures.used, figures.peak) * 100, 'double'],
    ['allocator.allocated', allocated, 'int'],
    ['allocator.active', active, 'int'],
    ['allocator.resident', heap.rss, 'int'],
    ['allocator-fragmentation.ratio', ratio(active, allocated), 'double'],
    ['allocator-fragmentation.bytes', active - allocated, 'int'],
    ['allocator-rss.ratio', ratio(heap.rss, active), 'double'],
    ['allocator-rss.bytes', heap.rss - active, 'int'],
    ['rss-overhead.ratio', 1, 'double'],
    ['rss-overhead.bytes', 0, 'int'],
    ['fragmentation', ratio(heap.rss, figures.used), 'double'],
    ['fragmentation.bytes', heap.rss - figures.used, 'int'],
  ];
  client.reply.map(fields.length + databases + tail.length);
  const write = ([name, value, kind]: [string, number, 'int' | 'double']): void => {
    client.reply.bulk(name);
    if (kind === 'int') client.reply.int(Math.round(value));
    else client.reply.double(value);
  };
  fields.forEach(write);
  writeDatabaseOverheads(client);
  tail.forEach(write);
}

const MB = 1024 * 1024;

/** Lists the memory problems that the figures show, in plain words. */
function memoryProblems(server: Server, figures: MemoryFigures): string[] {
  const problems: string[] = [];
  const limit = server.config.number('maxmemory');
  if (figures.peak > figures.used * 1.5 && figures.peak - figures.used > 16 * MB) {
    problems.push(
      `Peak memory (${figures.peak} bytes) is over 1.5 times the memory used now ` +
        `(${figures.used} bytes): the heap may keep the difference until it shrinks.`,
    );
  }
  if (figures.heap.rss > figures.used * 1.5 && figures.heap.rss - figures.used > 32 * MB) {
    problems.push(
      `The resident set (${figures.heap.rss} bytes) is over 1.5 times the used memory: ` +
        'garbage waiting for collection, or a heap that grew for a peak.',
    );
  }
  if (figures.clients > 64 * MB) {
    problems.push(`Client buffers hold ${figures.clients} bytes: look for slow readers.`);
  }
  if (limit > 0 && figures.used - figures.startup > limit * 0.9) {
    problems.push('Data uses over 90% of maxmemory: keys are evicted or writes refused soon.');
  }
  return problems;
}

/** MEMORY DOCTOR: a plain-language report of memory problems, if any. */
function memoryDoctor(client: Client): void {
  const figures = measure(client.server);
  if (figures.used - figures.startup < 5 * MB) {
    client.reply.verbatim('The data set is under 5 MB, too small for a useful report.\n');
    return;
  }
  const problems = memoryProblems(client.server, figures);
  if (problems.length === 0) {
    client.reply.verbatim('No memory problem found.\n');
    return;
  }
  const lines = ['Memory problems found:', '', ...problems.map((problem) => `* ${problem}`)];
  client.reply.verbatim(`${lines.join('\n')}\n`);
}

/** MEMORY MALLOC-STATS: the V8 heap's statistics, one `name: value` per line. */
function memoryMallocStats(client: Client): void {
  const stats = v8.getHeapStatistics() as unknown as Record<string, number>;
  const lines = Object.entries(stats).map(([name, value]) => `${name}: ${value}`);
  client.reply.verbatim(`${lines.join('\n')}\n`);
}

/**
 * MEMORY PURGE: OK.
 * NOTE: the garbage collector decides when to return memory; this does nothing.
 */
function memoryPurge(client: Client): void {
  client.reply.ok();
}

const HELP = [
  'DOCTOR',
  '    Reply with a plain-language report of memory problems.',
  'MALLOC-STATS',
  '    Reply with the V8 heap statistics.',
  'PURGE',
  '    Accepted for compatibility; does nothing.',
  'STATS',
  '    Reply with the memory use of the server, by part.',
  'USAGE <key> [SAMPLES <count>]',
  '    Reply with the estimated bytes of <key> and its value. Collections are',
  '    estimated from <count> sampled elements (default 5, 0 for all).',
];

function row(
  name: string,
  arity: number,
  summary: string,
  handler: (client: Client, args: string[]) => void,
): RegisteredCommand {
  const usage = name === 'usage';
  return command({
    name: `memory|${name}`,
    arity,
    flags: usage ? ['readonly'] : name === 'help' ? ['loading', 'stale'] : [],
    keys: usage ? [2, 2, 1] : undefined,
    keyFlags: usage ? KEYS_PROBED : undefined,
    group: 'server',
    since: '4.0.0',
    summary,
    complexity: usage ? 'O(N) where N is the number of samples.' : 'O(1)',
    handler,
  });
}

export const memoryCommands: RegisteredCommand[] = [
  command({
    name: 'memory',
    arity: -2,
    group: 'server',
    since: '4.0.0',
    summary: 'Reports how the server uses memory.',
    complexity: 'Depends on subcommand.',
    handler: () => undefined,
    subcommands: [
      row('doctor', 2, 'Reports memory problems.', memoryDoctor),
      row('malloc-stats', 2, 'Returns the V8 heap statistics.', memoryMallocStats),
      row('purge', 2, 'Accepted for compatibility; does nothing.', memoryPurge),
      row('stats', 2, 'Returns memory use by part.', memoryStats),
      row('usage', -3, 'Estimates the memory of a key and its value.', memoryUsage),
      row('help', 2, 'Describes the MEMORY subcommands.', (client) =>
        writeSubcommandHelp(client, 'MEMORY', HELP),
      ),
    ],
  }),
];
