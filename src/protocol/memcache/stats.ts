/**
 * Counters of the Memcached port and the replies of `stats`, `stats
 * settings`, `stats items` and `stats slabs`. Field names and their order
 * follow memcached 1.6.18, so that clients and monitoring agents find what
 * they read. The figures are Damselfly's own (one thread, no slabs).
 */
import os from 'node:os';
import type { MemcacheWriter } from './writer';

/** Memcached-style counters, kept per server since start or `stats reset`. */
export class MemcacheStats {
  cmdGet = 0;
  cmdSet = 0;
  cmdFlush = 0;
  cmdTouch = 0;
  cmdMeta = 0;
  getHits = 0;
  getMisses = 0;
  deleteHits = 0;
  deleteMisses = 0;
  incrHits = 0;
  incrMisses = 0;
  decrHits = 0;
  decrMisses = 0;
  casHits = 0;
  casMisses = 0;
  casBadval = 0;
  touchHits = 0;
  touchMisses = 0;
  storeTooLarge = 0;
  authCmds = 0;
  authErrors = 0;
  bytesRead = 0;
  bytesWritten = 0;
  totalItems = 0;
  totalConnections = 0;
  rejectedConnections = 0;

  reset(): void {
    for (const name of Object.keys(this) as (keyof MemcacheStats)[]) {
      if (typeof this[name] === 'number') (this[name] as number) = 0;
    }
  }
}

/** Server facts the stats replies show beyond the counters. */
export interface StatsSource {
  readonly stats: MemcacheStats;
  readonly version: string;
  readonly startedAt: number;
  readonly currentConnections: number;
  readonly maxConnections: number;
  readonly port: number;
  readonly bindAddresses: string;
  readonly itemSizeMax: number;
  /** Memory limit in bytes, 0 for none. */
  readonly maxMemory: number;
  readonly evictions: boolean;
  readonly authEnabled: boolean;
  readonly verbosity: number;
  /** Number of keys in database 0 and the bytes of their string values and keys. */
  itemFigures(): { count: number; bytes: number };
}

type StatLine = readonly [name: string, value: string | number];

function writeLines(writer: MemcacheWriter, lines: readonly StatLine[]): void {
  for (const [name, value] of lines) writer.line(`STAT ${name} ${value}`);
  writer.line('END');
}

function formatRusage(microseconds: number): string {
  const seconds = Math.floor(microseconds / 1e6);
  return `${seconds}.${String(microseconds % 1e6).padStart(6, '0')}`;
}

function memoryLimit(source: StatsSource): number {
  return source.maxMemory > 0 ? source.maxMemory : os.totalmem();
}

/** Writes the reply of `stats` without arguments. */
export function writeGeneralStats(writer: MemcacheWriter, source: StatsSource): void {
  const stats = source.stats;
  const now = Date.now();
  const cpu = process.cpuUsage();
  const items = source.itemFigures();
  writeLines(writer, [
    ['pid', process.pid],
    ['uptime', Math.floor((now - source.startedAt) / 1000)],
    ['time', Math.floor(now / 1000)],
    ['version', source.version],
    ['pointer_size', 64],
    ['rusage_user', formatRusage(cpu.user)],
    ['rusage_system', formatRusage(cpu.system)],
    ['max_connections', source.maxConnections],
    ['curr_connections', source.currentConnections],
    ['total_connections', stats.totalConnections],
    ['rejected_connections', stats.rejectedConnections],
    ['connection_structures', source.currentConnections],
    ['cmd_get', stats.cmdGet],
    ['cmd_set', stats.cmdSet],
    ['cmd_flush', stats.cmdFlush],
    ['cmd_touch', stats.cmdTouch],
    ['cmd_meta', stats.cmdMeta],
    ['get_hits', stats.getHits],
    ['get_misses', stats.getMisses],
    ['get_expired', 0],
    ['get_flushed', 0],
    ['delete_misses', stats.deleteMisses],
    ['delete_hits', stats.deleteHits],
    ['incr_misses', stats.incrMisses],
    ['incr_hits', stats.incrHits],
    ['decr_misses', stats.decrMisses],
    ['decr_hits', stats.decrHits],
    ['cas_misses', stats.casMisses],
    ['cas_hits', stats.casHits],
    ['cas_badval', stats.casBadval],
    ['touch_hits', stats.touchHits],
    ['touch_misses', stats.touchMisses],
    ['store_too_large', stats.storeTooLarge],
    ['store_no_memory', 0],
    ['auth_cmds', stats.authCmds],
    ['auth_errors', stats.authErrors],
    ['bytes_read', stats.bytesRead],
    ['bytes_written', stats.bytesWritten],
    ['limit_maxbytes', memoryLimit(source)],
    ['accepting_conns', 1],
    ['listen_disabled_num', 0],
    ['threads', 1],
    ['conn_yields', 0],
    ['bytes', items.bytes],
    ['curr_items', items.count],
    ['total_items', stats.totalItems],
    ['evictions', 0],
    ['reclaimed', 0],
  ]);
}

/** Writes the reply of `stats settings`. */
export function writeSettingsStats(writer: MemcacheWriter, source: StatsSource): void {
  writeLines(writer, [
    ['maxbytes', memoryLimit(source)],
    ['maxconns', source.maxConnections],
    ['tcpport', source.port],
    ['udpport', 0],
    ['inter', source.bindAddresses],
    ['verbosity', source.verbosity],
    ['oldest', 0],
    ['evictions', source.evictions ? 'on' : 'off'],
    ['domain_socket', 'NULL'],
    ['umask', 700],
    ['shutdown_command', 'no'],
    ['growth_factor', '1.25'],
    ['chunk_size', 48],
    ['num_threads', 1],
    ['stat_key_prefix', ':'],
    ['detail_enabled', 'no'],
    ['reqs_per_event', 20],
    ['cas_enabled', 'yes'],
    ['tcp_backlog', 511],
    ['binding_protocol', 'ascii'],
    ['auth_enabled_sasl', 'no'],
    ['auth_enabled_ascii', source.authEnabled ? 'yes' : 'no'],
    ['item_size_max', source.itemSizeMax],
    ['maxconns_fast', 'yes'],
    ['flush_enabled', 'yes'],
    ['dump_enabled', 'no'],
    ['idle_timeout', 0],
  ]);
}

/**
 * Writes the reply of `stats items`: one class (1) holding every item, or
 * nothing when database 0 is empty, as memcached shows only used classes.
 */
export function writeItemStats(writer: MemcacheWriter, source: StatsSource): void {
  const items = source.itemFigures();
  if (items.count === 0) {
    writeLines(writer, []);
    return;
  }
  const lines: StatLine[] = [
    ['number', items.count],
    ['number_hot', 0],
    ['number_warm', 0],
    ['number_cold', items.count],
    ['age_hot', 0],
    ['age_warm', 0],
    ['age', 0],
    ['mem_requested', items.bytes],
    ['evicted', 0],
    ['evicted_nonzero', 0],
    ['evicted_time', 0],
    ['outofmemory', 0],
    ['tailrepairs', 0],
    ['reclaimed', 0],
    ['expired_unfetched', 0],
    ['evicted_unfetched', 0],
  ];
  writeLines(
    writer,
    lines.map(([name, value]) => [`items:1:${name}`, value]),
  );
}

/** Writes the reply of `stats slabs`: one class of item-size-max chunks. */
export function writeSlabStats(writer: MemcacheWriter, source: StatsSource): void {
  const stats = source.stats;
  const items = source.itemFigures();
  const lines: StatLine[] = [];
  if (items.count > 0) {
    const perClass: StatLine[] = [
      ['chunk_size', source.itemSizeMax],
      ['chunks_per_page', 1],
      ['total_pages', items.count],
      ['total_chunks', items.count],
      ['used_chunks', items.count],
      ['free_chunks', 0],
      ['free_chunks_end', 0],
      ['get_hits', stats.getHits],
      ['cmd_set', stats.cmdSet],
      ['delete_hits', stats.deleteHits],
      ['incr_hits', stats.incrHits],
      ['decr_hits', stats.decrHits],
      ['cas_hits', stats.casHits],
      ['cas_badval', stats.casBadval],
      ['touch_hits', stats.touchHits],
    ];
    for (const [name, value] of perClass) lines.push([`1:${name}`, value]);
  }
  lines.push(['active_slabs', items.count > 0 ? 1 : 0], ['total_malloced', items.bytes]);
  writeLines(writer, lines);
}
