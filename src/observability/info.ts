/**
 * The text of INFO: sections of `name:value` lines with Redis 7.0's section
 * and field names, so that clients and tools that parse INFO (ioredis's ready
 * check, redis-benchmark, monitoring agents) read Damselfly like Redis.
 * Fields Damselfly has no counterpart for (forks, replication backlog,
 * defragmentation) are reported with the values an idle Redis shows.
 */
import os from 'node:os';
import type { RegisteredCommand } from '../engine/command';
import type { Server } from '../engine/server';
import {
  clientBufferBytes,
  notCountedForEviction,
  startupBytes,
  usedMemory as usedMemoryOf,
} from '../store/memory';
import { DAMSELFLY_VERSION, REDIS_COMPATIBLE_VERSION } from '../version';

export type InfoField = readonly [name: string, value: string | number];
export type SectionBuilder = (server: Server) => InfoField[];

/** Section names in the order INFO prints them, with their headers. */
const SECTION_TITLES: ReadonlyMap<string, string> = new Map([
  ['server', 'Server'],
  ['clients', 'Clients'],
  ['memory', 'Memory'],
  ['persistence', 'Persistence'],
  ['stats', 'Stats'],
  ['replication', 'Replication'],
  ['cpu', 'CPU'],
  ['modules', 'Modules'],
  ['commandstats', 'Commandstats'],
  ['errorstats', 'Errorstats'],
  ['latencystats', 'Latencystats'],
  ['cluster', 'Cluster'],
  ['keyspace', 'Keyspace'],
]);

/** The sections INFO prints without arguments, or with `default`. */
const DEFAULT_SECTIONS = [...SECTION_TITLES.keys()].filter(
  (name) => name !== 'commandstats' && name !== 'latencystats',
);

const SAMPLE_INTERVAL_MS = 100;
const SAMPLE_COUNT = 16;
const LRU_CLOCK_MAX = (1 << 24) - 1;
const AVG_TTL_SAMPLE = 10_000;

/** One rate, averaged over the last SAMPLE_COUNT intervals, as Redis does. */
class RateSampler {
  readonly #samples: number[] = [];
  #lastValue = 0;
  #lastTime = 0;

  record(value: number, now: number): void {
    if (this.#lastTime !== 0 && now > this.#lastTime) {
      const perSecond = ((value - this.#lastValue) * 1000) / (now - this.#lastTime);
      this.#samples.push(Math.max(0, perSecond));
      if (this.#samples.length > SAMPLE_COUNT) this.#samples.shift();
    }
    this.#lastValue = value;
    this.#lastTime = now;
  }

  average(): number {
    if (this.#samples.length === 0) return 0;
    return this.#samples.reduce((sum, sample) => sum + sample, 0) / this.#samples.length;
  }
}

interface Samples {
  ops: RateSampler;
  input: RateSampler;
  output: RateSampler;
  peakMemory: number;
}

const samplesByServer = new WeakMap<Server, Samples>();

function takeSample(server: Server, samples: Samples): void {
  const now = Date.now();
  samples.ops.record(server.stats.totalCommands, now);
  samples.input.record(server.stats.netInputBytes, now);
  samples.output.record(server.stats.netOutputBytes, now);
  samples.peakMemory = Math.max(samples.peakMemory, usedMemoryOf(server));
}

/** Returns the highest used memory seen, sampling it now too (MEMORY STATS peak.allocated). */
export function peakMemory(server: Server): number {
  const samples = samplesOf(server);
  samples.peakMemory = Math.max(samples.peakMemory, usedMemoryOf(server));
  return samples.peakMemory;
}

/**
 * Returns the rate samples of a server, starting the sampling timer on
 * first use.
 * NOTE: sampling starts with the first INFO request, so the instantaneous_*
 * fields read 0 in the first INFO after start-up.
 */
function samplesOf(server: Server): Samples {
  let samples = samplesByServer.get(server);
  if (samples === undefined) {
    const created: Samples = {
      ops: new RateSampler(),
      input: new RateSampler(),
      output: new RateSampler(),
      peakMemory: 0,
    };
    samplesByServer.set(server, created);
    takeSample(server, created);
    setInterval(() => takeSample(server, created), SAMPLE_INTERVAL_MS).unref();
    samples = created;
  }
  return samples;
}

const resetHooks: ((server: Server) => void)[] = [];

/** Registers a function that CONFIG RESETSTAT calls, for statistics kept outside INFO. */
export function onStatsReset(hook: (server: Server) => void): void {
  resetHooks.push(hook);
}

/** Restarts the rates and the memory peak, for CONFIG RESETSTAT. */
export function resetInfoSamples(server: Server): void {
  for (const hook of resetHooks) hook(server);
  const samples = samplesByServer.get(server);
  if (samples === undefined) return;
  samples.ops = new RateSampler();
  samples.input = new RateSampler();
  samples.output = new RateSampler();
  samples.peakMemory = usedMemoryOf(server);
}

/** Formats bytes as Redis's INFO does: 512B, 1.50K, 3.20M, ... */
export function bytesToHuman(bytes: number): string {
  const units = ['K', 'M', 'G', 'T', 'P'];
  if (bytes < 1024) return `${bytes}B`;
  let value = bytes / 1024;
  for (const unit of units) {
    if (value < 1024 || unit === 'P') return `${value.toFixed(2)}${unit}`;
    value /= 1024;
  }
  return `${bytes}B`;
}

function multiplexingApi(): string {
  if (process.platform === 'linux') return 'epoll';
  if (process.platform === 'win32') return 'iocp';
  return 'kqueue';
}

function serverSection(server: Server): InfoField[] {
  const config = server.config;
  const uptime = Math.floor((Date.now() - server.startedAt) / 1000);
  return [
    ['redis_version', REDIS_COMPATIBLE_VERSION],
    ['damselfly_version', DAMSELFLY_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', '0'],
    ['redis_mode', 'standalone'],
    ['os', `${os.type()} ${os.release()} ${os.machine()}`],
    ['arch_bits', process.arch.endsWith('64') ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', multiplexingApi()],
    ['atomicvar_api', 'none'],
    ['gcc_version', '0.0.0'],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', server.runId],
    ['tcp_port', server.tcpPort || config.number('port')],
    ['server_time_usec', Math.floor((performance.timeOrigin + performance.now()) * 1000)],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', config.number('hz')],
    ['configured_hz', config.number('hz')],
    ['lru_clock', Math.floor(Date.now() / 1000) & LRU_CLOCK_MAX],
    // The entry script, never redis-server: test runners tell real Redis apart by this.
    ['executable', process.argv[1] ?? ''],
    ['config_file', server.configFile],
    ['io_threads_active', 0],
  ];
}

function clientsSection(server: Server): InfoField[] {
  let blocked = 0;
  let maxInput = 0;
  let maxOutput = 0;
  for (const client of server.clients.values()) {
    if (client.blocked) blocked++;
    maxInput = Math.max(maxInput, client.transport.queryBufferLength ?? 0);
    maxOutput = Math.max(maxOutput, client.transport.pendingOutputBytes ?? 0);
  }
  return [
    ['connected_clients', server.clients.size],
    ['cluster_connections', 0],
    ['maxclients', server.config.number('maxclients')],
    ['client_recent_max_input_buffer', maxInput],
    ['client_recent_max_output_buffer', maxOutput],
    ['blocked_clients', blocked],
    ['tracking_clients', server.tracking.clients.size],
    ['clients_in_timeout_table', 0],
  ];
}

function percent(part: number, whole: number): string {
  return `${(whole > 0 ? (part * 100) / whole : 0).toFixed(2)}%`;
}

function ratio(part: number, whole: number): string {
  return (whole > 0 ? part / whole : 0).toFixed(2);
}

/**
 * NOTE: Node.js does not expose allocator statistics, so the memory fields
 * are estimates. used_memory is the resident memory at start-up, plus the
 * estimated cost of every key (store/memory.ts), plus client buffers.
 * maxmemory applies to it less mem_not_counted_for_evict, the memory at
 * start-up. The allocator_* fields come from the V8 heap's totals, which
 * include garbage not yet collected.
 */
function memorySection(server: Server): InfoField[] {
  const usage = process.memoryUsage();
  const used = usedMemoryOf(server);
  const peak = peakMemory(server);
  const startup = startupBytes();
  const clients = clientBufferBytes(server);
  const dataset = used - startup - clients;
  const allocated = usage.heapTotal + usage.external;
  const maxmemory = server.config.number('maxmemory');
  return [
    ['used_memory', used],
    ['used_memory_human', bytesToHuman(used)],
    ['used_memory_rss', usage.rss],
    ['used_memory_rss_human', bytesToHuman(usage.rss)],
    ['used_memory_peak', peak],
    ['used_memory_peak_human', bytesToHuman(peak)],
    ['used_memory_peak_perc', percent(used, peak)],
    ['used_memory_overhead', startup + clients],
    ['used_memory_startup', startup],
    ['used_memory_dataset', dataset],
    ['used_memory_dataset_perc', percent(dataset, used - startup)],
    ['allocator_allocated', usage.heapUsed + usage.external],
    ['allocator_active', allocated],
    ['allocator_resident', usage.rss],
    ['total_system_memory', os.totalmem()],
    ['total_system_memory_human', bytesToHuman(os.totalmem())],
    ['used_memory_lua', 0],
    ['used_memory_vm_eval', 0],
    ['used_memory_lua_human', '0B'],
    ['used_memory_scripts_eval', 0],
    ['number_of_cached_scripts', 0],
    ['number_of_functions', 0],
    ['number_of_libraries', 0],
    ['used_memory_vm_functions', 0],
    ['used_memory_vm_total', 0],
    ['used_memory_vm_total_human', '0B'],
    ['used_memory_functions', 0],
    ['used_memory_scripts', 0],
    ['used_memory_scripts_human', '0B'],
    ['maxmemory', maxmemory],
    ['maxmemory_human', bytesToHuman(maxmemory)],
    ['maxmemory_policy', server.config.string('maxmemory-policy')],
    ['allocator_frag_ratio', ratio(allocated, used)],
    ['allocator_frag_bytes', allocated - used],
    ['allocator_rss_ratio', ratio(usage.rss, allocated)],
    ['allocator_rss_bytes', usage.rss - allocated],
    ['rss_overhead_ratio', '1.00'],
    ['rss_overhead_bytes', 0],
    ['mem_fragmentation_ratio', ratio(usage.rss, used)],
    ['mem_fragmentation_bytes', usage.rss - used],
    ['mem_not_counted_for_evict', notCountedForEviction()],
    ['mem_replication_backlog', 0],
    ['mem_total_replication_buffers', 0],
    ['mem_clients_slaves', 0],
    ['mem_clients_normal', clients],
    ['mem_cluster_links', 0],
    ['mem_aof_buffer', 0],
    ['mem_allocator', `v8-${process.versions.v8}`],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', 0],
  ];
}

function okOrErr(ok: boolean): string {
  return ok ? 'ok' : 'err';
}

/** Returns the loading_* fields Redis adds while a snapshot or log is being loaded. */
function loadingFields(server: Server): InfoField[] {
  const state = server.persistence;
  if (!state.loading) return [];
  const elapsed = Math.max(1, Math.floor((Date.now() - state.loadingStartedAt) / 1000));
  const fraction =
    state.loadingTotalBytes > 0 ? state.loadingLoadedBytes / state.loadingTotalBytes : 0;
  const rate = state.loadingLoadedBytes / elapsed;
  const remaining = state.loadingTotalBytes - state.loadingLoadedBytes;
  return [
    ['loading_start_time', Math.floor(state.loadingStartedAt / 1000)],
    ['loading_total_bytes', state.loadingTotalBytes],
    ['loading_rdb_used_mem', 0],
    ['loading_loaded_bytes', state.loadingLoadedBytes],
    ['loading_loaded_perc', (fraction * 100).toFixed(2)],
    ['loading_eta_seconds', rate > 0 ? Math.floor(remaining / rate) : 1],
  ];
}

function persistenceSection(server: Server): InfoField[] {
  const state = server.persistence;
  const now = Date.now();
  const bgsaveSeconds = state.bgsaveInProgress
    ? Math.floor((now - state.bgsaveStartedAt) / 1000)
    : -1;
  return [
    ['loading', state.loading ? 1 : 0],
    ['async_loading', 0],
    ...loadingFields(server),
    ['current_cow_peak', 0],
    ['current_cow_size', 0],
    ['current_cow_size_age', 0],
    ['current_fork_perc', '0.00'],
    ['current_save_keys_processed', 0],
    ['current_save_keys_total', 0],
    ['rdb_changes_since_last_save', server.dirty],
    ['rdb_bgsave_in_progress', state.bgsaveInProgress ? 1 : 0],
    ['rdb_last_save_time', server.lastSaveTime],
    ['rdb_last_bgsave_status', okOrErr(state.lastBgsaveOk)],
    ['rdb_last_bgsave_time_sec', state.lastBgsaveSeconds],
    ['rdb_current_bgsave_time_sec', bgsaveSeconds],
    ['rdb_saves', state.savesCompleted],
    ['rdb_last_cow_size', 0],
    ['rdb_last_load_keys_expired', 0],
    ['rdb_last_load_keys_loaded', state.loadingLoadedKeys],
    ['aof_enabled', server.config.bool('appendonly') ? 1 : 0],
    ['aof_rewrite_in_progress', state.aofRewriteInProgress ? 1 : 0],
    ['aof_rewrite_scheduled', state.aofRewriteScheduled ? 1 : 0],
    ['aof_last_rewrite_time_sec', -1],
    ['aof_current_rewrite_time_sec', -1],
    ['aof_last_bgrewrite_status', okOrErr(state.aofLastRewriteOk)],
    ['aof_rewrites', 0],
    ['aof_rewrites_consecutive_failures', 0],
    ['aof_last_write_status', okOrErr(state.aofWriteError === null)],
    ['aof_last_cow_size', 0],
    ['module_fork_in_progress', 0],
    ['module_fork_last_cow_size', 0],
  ];
}

function statsSection(server: Server): InfoField[] {
  const stats = server.stats;
  const samples = samplesOf(server);
  const pubsub = server.pubsub;
  return [
    ['total_connections_received', stats.totalConnections],
    ['total_commands_processed', stats.totalCommands],
    ['instantaneous_ops_per_sec', Math.round(samples.ops.average())],
    ['total_net_input_bytes', stats.netInputBytes],
    ['total_net_output_bytes', stats.netOutputBytes],
    ['total_net_repl_input_bytes', 0],
    ['total_net_repl_output_bytes', 0],
    ['instantaneous_input_kbps', (samples.input.average() / 1024).toFixed(2)],
    ['instantaneous_output_kbps', (samples.output.average() / 1024).toFixed(2)],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', stats.rejectedConnections],
    ['sync_full', 0],
    ['sync_partial_ok', 0],
    ['sync_partial_err', 0],
    ['expired_keys', stats.expiredKeys],
    ['expired_stale_perc', '0.00'],
    ['expired_time_cap_reached_count', 0],
    ['expire_cycle_cpu_milliseconds', 0],
    ['evicted_keys', stats.evictedKeys],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', 0],
    ['current_eviction_exceeded_time', 0],
    ['keyspace_hits', stats.keyspaceHits],
    ['keyspace_misses', stats.keyspaceMisses],
    ['pubsub_channels', pubsub.channels.size],
    ['pubsub_patterns', pubsub.patterns.size],
    ['pubsubshard_channels', pubsub.shardChannels.size],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', server.tracking.totalKeys],
    ['tracking_total_items', server.tracking.totalItems],
    ['tracking_total_prefixes', server.tracking.totalPrefixes],
    ['unexpected_error_replies', 0],
    ['total_error_replies', stats.errorReplies],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', 0],
    ['total_writes_processed', 0],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
    ...securityStats(server),
  ];
}

/**
 * Damselfly's counters of refused work: connection limits, timeouts, rate
 * limits, authentication delays and ACL denials. The buffer limit and
 * acl_access_denied_* names are those of Redis 7.2.
 */
function securityStats(server: Server): InfoField[] {
  const stats = server.stats;
  return [
    ['client_query_buffer_limit_disconnections', stats.queryLimitDisconnections],
    ['client_output_buffer_limit_disconnections', stats.outputLimitDisconnections],
    ['acl_access_denied_auth', stats.aclDeniedAuth],
    ['acl_access_denied_cmd', stats.aclDeniedCommand],
    ['acl_access_denied_key', stats.aclDeniedKey],
    ['acl_access_denied_channel', stats.aclDeniedChannel],
    ['rejected_connections_per_address', stats.perAddressRejections],
    ['rejected_connections_protected_mode', stats.protectedModeRejections],
    ['idle_timeout_disconnections', stats.idleDisconnections],
    ['request_timeout_disconnections', stats.requestTimeoutDisconnections],
    ['ratelimited_commands', stats.rateLimitedCommands],
    ['auth_failures_delayed', stats.authFailuresDelayed],
    ['tls_handshake_failures', stats.tlsHandshakeFailures],
  ];
}

const replicationIds = new WeakMap<Server, string>();

/** Returns a replication id of 40 hex digits, fixed for the life of the server. */
function replicationIdOf(server: Server): string {
  let id = replicationIds.get(server);
  if (id === undefined) {
    id = [...Array(40)].map(() => Math.floor(Math.random() * 16).toString(16)).join('');
    replicationIds.set(server, id);
  }
  return id;
}

/** NOTE: replication is not implemented; the server always reports itself as a lone master. */
function replicationSection(server: Server): InfoField[] {
  return [
    ['role', 'master'],
    ['connected_slaves', 0],
    ['master_failover_state', 'no-failover'],
    ['master_replid', replicationIdOf(server)],
    ['master_replid2', '0'.repeat(40)],
    ['master_repl_offset', 0],
    ['second_repl_offset', -1],
    ['repl_backlog_active', 0],
    ['repl_backlog_size', 1048576],
    ['repl_backlog_first_byte_offset', 0],
    ['repl_backlog_histlen', 0],
  ];
}

function seconds(microseconds: number): string {
  return (microseconds / 1e6).toFixed(6);
}

/**
 * NOTE: Node.js 20 reports CPU time for the whole process only, so the
 * main-thread fields repeat the process totals (they include libuv's
 * worker threads).
 */
function cpuSection(): InfoField[] {
  const usage = process.cpuUsage();
  return [
    ['used_cpu_sys', seconds(usage.system)],
    ['used_cpu_user', seconds(usage.user)],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', seconds(usage.system)],
    ['used_cpu_user_main_thread', seconds(usage.user)],
  ];
}

function commandStatsLine(spec: RegisteredCommand): InfoField {
  const stats = spec.stats;
  const usec = Math.floor(stats.microseconds);
  const perCall = stats.calls === 0 ? 0 : usec / stats.calls;
  const value =
    `calls=${stats.calls},usec=${usec},usec_per_call=${perCall.toFixed(2)},` +
    `rejected_calls=${stats.rejectedCalls},failed_calls=${stats.failedCalls}`;
  return [`cmdstat_${spec.name}`, value];
}

function commandStatsSection(server: Server): InfoField[] {
  const fields: InfoField[] = [];
  const add = (spec: RegisteredCommand): void => {
    const stats = spec.stats;
    if (stats.calls > 0 || stats.rejectedCalls > 0 || stats.failedCalls > 0) {
      fields.push(commandStatsLine(spec));
    }
  };
  for (const spec of server.commands.values()) {
    add(spec);
    for (const sub of spec.subcommands?.values() ?? []) add(sub as RegisteredCommand);
  }
  return fields;
}

function errorStatsSection(server: Server): InfoField[] {
  const codes = [...server.stats.errorsByCode.keys()].sort();
  return codes.map((code) => [`errorstat_${code}`, `count=${server.stats.errorsByCode.get(code)}`]);
}

/**
 * Computes the average remaining time to live, in ms, of the keys that have one.
 * NOTE: only the first 10,000 keys with a TTL are looked at, so for larger
 * databases this is an estimate (Redis estimates it too, by sampling).
 */
function averageTtl(expires: ReadonlyMap<string, number>, now: number): number {
  let total = 0;
  let counted = 0;
  for (const when of expires.values()) {
    if (counted >= AVG_TTL_SAMPLE) break;
    if (when > now) {
      total += when - now;
      counted++;
    }
  }
  return counted === 0 ? 0 : Math.floor(total / counted);
}

function keyspaceSection(server: Server): InfoField[] {
  const now = Date.now();
  const fields: InfoField[] = [];
  for (const db of server.databases) {
    if (db.size === 0) continue;
    const averageTtlMs = averageTtl(db.expires, now);
    const value = `keys=${db.size},expires=${db.expires.size},avg_ttl=${averageTtlMs}`;
    fields.push([`db${db.id}`, value]);
  }
  return fields;
}

const builders = new Map<string, SectionBuilder>([
  ['server', serverSection],
  ['clients', clientsSection],
  ['memory', memorySection],
  ['persistence', persistenceSection],
  ['stats', statsSection],
  ['replication', replicationSection],
  ['cpu', cpuSection],
  ['modules', () => []],
  ['commandstats', commandStatsSection],
  ['errorstats', errorStatsSection],
  ['latencystats', () => []],
  ['cluster', () => [['cluster_enabled', 0]]],
  ['keyspace', keyspaceSection],
]);

/**
 * Replaces the builder of one section, for a subsystem that owns its fields
 * (persistence, replication) and reports them better than the defaults here.
 */
export function setInfoSection(name: string, builder: SectionBuilder): void {
  if (!SECTION_TITLES.has(name)) throw new Error(`unknown INFO section ${name}`);
  builders.set(name, builder);
}

/**
 * Resolves INFO's arguments to section names: none or `default` for the
 * default sections, `all` or `everything` for all of them, or section names
 * (case-insensitive). Unknown names are ignored, as in Redis.
 */
export function selectSections(requested: readonly string[]): Set<string> {
  if (requested.length === 0) return new Set(DEFAULT_SECTIONS);
  const selected = new Set<string>();
  for (const word of requested) {
    const name = word.toLowerCase();
    if (name === 'all' || name === 'everything')
      SECTION_TITLES.forEach((_, key) => selected.add(key));
    else if (name === 'default') DEFAULT_SECTIONS.forEach((key) => selected.add(key));
    else if (SECTION_TITLES.has(name)) selected.add(name);
  }
  return selected;
}

/** Builds the INFO text of the selected sections, in Redis's section order. */
export function buildInfo(server: Server, requested: readonly string[]): string {
  const selected = selectSections(requested);
  const parts: string[] = [];
  for (const [name, title] of SECTION_TITLES) {
    if (!selected.has(name)) continue;
    const builder = builders.get(name) as SectionBuilder;
    const lines = builder(server).map(([field, value]) => `${field}:${value}\r\n`);
    parts.push(`# ${title}\r\n${lines.join('')}`);
  }
  return parts.join('\r\n');
}
