import { InvalidSettingError } from './errors';
import { formatOutputLimits, parseOutputLimits } from '../net/output-limits';
import { formatRateLimit, parseRateLimit, RateLimitSyntaxError } from '../security/rate-limit';
import { normalizeReadableFile, normalizeTlsProtocols } from '../security/tls-context';
/**
 * Every setting Damselfly reads, in one table: its type, default, bounds,
 * whether CONFIG SET may change it, and whether it is protected (changes the
 * file system or weakens security, so CONFIG SET refuses it unless
 * `enable-protected-configs` is `yes`).
 */

export type SettingType = 'int' | 'memory' | 'bool' | 'enum' | 'string' | 'save';

export interface Setting {
  readonly name: string;
  readonly type: SettingType;
  readonly default: string;
  readonly min?: number;
  readonly max?: number;
  /** Accepted values of an `enum` setting, in the order Redis lists them in errors. */
  readonly values?: readonly string[];
  /** False when the setting is read once at start-up. */
  readonly mutable: boolean;
  /** True when CONFIG SET needs `enable-protected-configs yes`. */
  readonly protected?: boolean;
  /** True when CONFIG GET must never show the value. */
  readonly secret?: boolean;
  readonly aliases?: readonly string[];
  /**
   * For `string` settings with a syntax of their own: returns the value in
   * the form CONFIG GET shows, or throws InvalidSettingError.
   */
  readonly normalize?: (text: string) => string;
  /**
   * For `int` settings that Redis accepts in [min, max] but keeps within a
   * narrower range: the range the value is moved into when outside it.
   */
  readonly clamp?: readonly [number, number];
  /** Help text for `--help`: what the setting controls, with its unit. */
  readonly help: string;
}

function normalizeOutputLimits(text: string): string {
  const limits = parseOutputLimits(text, parseOutputLimits(DEFAULT_OUTPUT_LIMITS) ?? undefined);
  if (limits === null)
    throw new InvalidSettingError('Wrong number of arguments in buffer limit configuration.');
  return formatOutputLimits(limits);
}

/** Checks `latency-tracking-info-percentiles`: numbers from 0 to 100, space-separated. */
function normalizePercentiles(text: string): string {
  const words = text.split(' ').filter((word) => word !== '');
  for (const word of words) {
    const value = Number(word);
    if (word.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) {
      throw new InvalidSettingError('Invalid latency-tracking-info-percentiles parameters');
    }
  }
  return words.join(' ');
}

/** Checks a rate limit setting: RATE, RATE/BURST, or 0 for none. */
function normalizeRateLimit(text: string): string {
  try {
    return formatRateLimit(parseRateLimit(text));
  } catch (error) {
    if (error instanceof RateLimitSyntaxError) throw new InvalidSettingError(error.message);
    throw error;
  }
}

const DEFAULT_OUTPUT_LIMITS = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';

const GB = 1024 * 1024 * 1024;
const MB = 1024 * 1024;
const INT_MAX = 2147483647;
/**
 * The upper bound of settings that Redis keeps as 64-bit integers. Values are
 * JavaScript numbers here, exact up to 2^53 - 1, so that is the largest kept;
 * errors show Redis's bound (see config.ts).
 */
export const LLONG_MAX = Number.MAX_SAFE_INTEGER;

export const LOG_LEVELS = ['debug', 'verbose', 'notice', 'warning', 'nothing'] as const;

export const SETTINGS: readonly Setting[] = [
  {
    name: 'port',
    type: 'int',
    default: '6379',
    min: 0,
    max: 65535,
    mutable: false,
    help: 'TCP port for Redis clients; 0 disables the TCP listener',
  },
  {
    name: 'bind',
    type: 'string',
    default: '127.0.0.1',
    mutable: false,
    help: 'space-separated addresses to listen on',
  },
  {
    name: 'unixsocket',
    type: 'string',
    default: '',
    mutable: false,
    protected: true,
    help: 'path of a unix socket to listen on as well (empty: none)',
  },
  {
    name: 'unixsocketperm',
    type: 'int',
    default: '0',
    min: 0,
    max: 0o777,
    mutable: false,
    help: 'permission bits of the unix socket, in octal (0: leave as created)',
  },
  {
    name: 'dir',
    type: 'string',
    default: '.',
    mutable: true,
    protected: true,
    help: 'working directory for snapshot and append-only files',
  },
  {
    name: 'dbfilename',
    type: 'string',
    default: 'dump.rdb',
    mutable: true,
    protected: true,
    help: 'file name of the snapshot inside dir',
  },
  {
    name: 'databases',
    type: 'int',
    default: '16',
    min: 1,
    max: INT_MAX,
    mutable: false,
    help: 'number of databases',
  },
  {
    name: 'loglevel',
    type: 'enum',
    default: 'notice',
    values: LOG_LEVELS,
    mutable: true,
    help: 'log level: debug, verbose, notice, warning or nothing',
  },
  {
    name: 'logfile',
    type: 'string',
    default: '',
    mutable: false,
    protected: true,
    help: 'file to write logs to (empty: standard output)',
  },
  {
    name: 'save',
    type: 'save',
    default: '3600 1 300 100 60 10000',
    mutable: true,
    help: 'snapshot rules as "seconds changes" pairs; "" disables snapshots',
  },
  {
    name: 'appendonly',
    type: 'bool',
    default: 'no',
    mutable: true,
    help: 'keep an append-only file of every write',
  },
  {
    name: 'appendfsync',
    type: 'enum',
    default: 'everysec',
    values: ['everysec', 'always', 'no'],
    mutable: true,
    help: 'when the append-only file is fsynced',
  },
  {
    name: 'appenddirname',
    type: 'string',
    default: 'appendonlydir',
    mutable: false,
    protected: true,
    help: 'directory inside dir that holds the append-only files',
  },
  {
    name: 'appendfilename',
    type: 'string',
    default: 'appendonly.aof',
    mutable: false,
    protected: true,
    help: 'base name of the append-only files',
  },
  {
    name: 'aof-load-truncated',
    type: 'bool',
    default: 'yes',
    mutable: true,
    help: 'on start-up, cut an append-only file whose last command is incomplete',
  },
  {
    name: 'aof-use-rdb-preamble',
    type: 'bool',
    default: 'yes',
    mutable: true,
    help: 'write the base file of a rewrite as a snapshot instead of commands',
  },
  {
    name: 'auto-aof-rewrite-percentage',
    type: 'int',
    default: '100',
    min: 0,
    max: INT_MAX,
    mutable: true,
    help: 'rewrite when the log grew by this percent since the last rewrite (0: never)',
  },
  {
    name: 'auto-aof-rewrite-min-size',
    type: 'memory',
    default: String(64 * MB),
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'no automatic rewrite below this log size, in bytes',
  },
  {
    name: 'stop-writes-on-bgsave-error',
    type: 'bool',
    default: 'yes',
    mutable: true,
    help: 'refuse writes with MISCONF while the last snapshot save failed',
  },
  {
    name: 'rdbcompression',
    type: 'bool',
    default: 'yes',
    mutable: true,
    help: 'compress long strings in snapshots with LZF',
  },
  {
    name: 'rdbchecksum',
    type: 'bool',
    default: 'yes',
    mutable: true,
    help: 'accepted for redis.conf compatibility; snapshots always carry a checksum',
  },
  {
    // NOTE: Redis 7.0 leaves this setting out of CONFIG GET pattern matches such as
    // `CONFIG GET *`; Damselfly lists it there too.
    name: 'rdb-key-save-delay',
    type: 'int',
    default: '0',
    min: -INT_MAX - 1,
    max: INT_MAX,
    mutable: true,
    help:
      'for tests: microseconds a snapshot waits after each key; -N waits 1 microsecond ' +
      'after one key in N on average',
  },
  {
    name: 'encryption-key-file',
    type: 'string',
    default: '',
    mutable: false,
    protected: true,
    help:
      'file with the AES-256 key(s) for snapshots and append-only files, 64 hex ' +
      'characters per line, current key first (empty: files are not encrypted)',
  },
  {
    name: 'client-output-buffer-limit',
    type: 'string',
    default: DEFAULT_OUTPUT_LIMITS,
    mutable: true,
    normalize: normalizeOutputLimits,
    help:
      'per class (normal, replica, pubsub): hard limit, soft limit and soft seconds ' +
      'for replies waiting to be sent; a client past them is disconnected (0: no limit)',
  },
  {
    name: 'requirepass',
    type: 'string',
    default: '',
    mutable: true,
    secret: true,
    help: 'password of the default user (empty: no password)',
  },
  {
    name: 'protected-mode',
    type: 'bool',
    default: 'yes',
    mutable: true,
    help: 'without a password, accept only loopback clients',
  },
  {
    name: 'maxclients',
    type: 'int',
    default: '10000',
    min: 1,
    max: INT_MAX,
    mutable: true,
    help: 'maximum number of connected clients',
  },
  {
    name: 'timeout',
    type: 'int',
    default: '0',
    min: 0,
    max: INT_MAX,
    mutable: true,
    help: 'close a client after this many idle seconds (0: never)',
  },
  {
    name: 'tcp-keepalive',
    type: 'int',
    default: '300',
    min: 0,
    max: INT_MAX,
    mutable: true,
    help: 'TCP keepalive interval in seconds (0: off)',
  },
  {
    name: 'proto-max-bulk-len',
    type: 'memory',
    default: String(512 * MB),
    min: 1024 * 1024,
    max: LLONG_MAX,
    mutable: true,
    help: 'largest bulk string a request may carry, in bytes',
  },
  {
    name: 'proto-max-multibulk-len',
    type: 'int',
    default: '1048576',
    min: 1,
    max: INT_MAX,
    mutable: true,
    help: 'most arguments one request may carry',
  },
  {
    name: 'proto-inline-max-size',
    type: 'memory',
    default: String(64 * 1024),
    min: 1024,
    max: 16 * MB,
    mutable: true,
    help: 'longest inline request line, in bytes',
  },
  {
    name: 'client-query-buffer-limit',
    type: 'memory',
    default: String(GB),
    min: 1024 * 1024,
    max: LLONG_MAX,
    mutable: true,
    help: 'most unparsed bytes held for one client',
  },
  {
    name: 'maxmemory',
    type: 'memory',
    default: '0',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'memory limit for data in bytes (0: no limit)',
  },
  {
    name: 'maxmemory-policy',
    type: 'enum',
    default: 'noeviction',
    mutable: true,
    values: [
      'volatile-lru',
      'volatile-lfu',
      'volatile-random',
      'volatile-ttl',
      'allkeys-lru',
      'allkeys-lfu',
      'allkeys-random',
      'noeviction',
    ],
    help: 'what to do when maxmemory is reached',
  },
  {
    name: 'maxmemory-samples',
    type: 'int',
    default: '5',
    min: 1,
    max: INT_MAX,
    mutable: true,
    help: 'keys sampled per eviction by the approximate LRU, LFU and TTL policies',
  },
  {
    name: 'maxmemory-eviction-tenacity',
    type: 'int',
    default: '10',
    min: 0,
    max: 100,
    mutable: true,
    help: 'how long one command may spend evicting, 0 (about 0.5 ms) to 100 (no limit)',
  },
  {
    name: 'lfu-log-factor',
    type: 'int',
    default: '10',
    min: 0,
    max: INT_MAX,
    mutable: true,
    help: 'how slowly the LFU access counter grows (higher: more accesses per step)',
  },
  {
    name: 'lfu-decay-time',
    type: 'int',
    default: '1',
    min: 0,
    max: INT_MAX,
    mutable: true,
    help: 'minutes without access that lower the LFU counter by one (0: never)',
  },
  {
    name: 'hz',
    type: 'int',
    default: '10',
    min: 0,
    max: INT_MAX,
    clamp: [1, 500],
    mutable: true,
    help: 'background task frequency per second (active expiry)',
  },
  {
    name: 'active-expire-effort',
    type: 'int',
    default: '1',
    min: 1,
    max: 10,
    mutable: true,
    help: 'how much time active expiry may take per cycle, 1 (least) to 10',
  },
  {
    name: 'notify-keyspace-events',
    type: 'string',
    default: '',
    mutable: true,
    help: 'keyspace event classes to publish (Redis letters K E g $ l s h z x e t m n d A)',
  },
  {
    name: 'pidfile',
    type: 'string',
    default: '',
    mutable: false,
    protected: true,
    help: 'file to write the process id to (empty: none)',
  },
  {
    name: 'daemonize',
    type: 'bool',
    default: 'no',
    mutable: false,
    help: 'accepted for redis.conf compatibility; only "no" is supported',
  },
  {
    name: 'enable-protected-configs',
    type: 'enum',
    default: 'no',
    values: ['yes', 'no', 'local'],
    mutable: false,
    help: 'allow CONFIG SET of protected settings',
  },
  {
    name: 'enable-debug-command',
    type: 'enum',
    default: 'no',
    values: ['yes', 'no', 'local'],
    mutable: false,
    help: 'allow the DEBUG command',
  },
  {
    name: 'slowlog-log-slower-than',
    type: 'int',
    default: '10000',
    min: -1,
    max: LLONG_MAX,
    mutable: true,
    help: 'log commands slower than this many microseconds (-1: never)',
  },
  {
    name: 'slowlog-max-len',
    type: 'int',
    default: '128',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'entries kept in the slow log',
  },
  {
    name: 'latency-monitor-threshold',
    type: 'int',
    default: '0',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'record events that take at least this many milliseconds for LATENCY (0: off)',
  },
  {
    name: 'latency-tracking',
    type: 'bool',
    default: 'yes',
    mutable: true,
    help: 'keep per-command latency histograms (LATENCY HISTOGRAM, INFO latencystats)',
  },
  {
    name: 'latency-tracking-info-percentiles',
    type: 'string',
    default: '50 99 99.9',
    mutable: true,
    normalize: normalizePercentiles,
    help: 'percentiles that INFO latencystats reports, space-separated, each 0 to 100',
  },
  {
    name: 'metrics-port',
    type: 'int',
    default: '0',
    min: 0,
    max: 65535,
    mutable: false,
    help: 'TCP port of the HTTP endpoint for /metrics, /healthz and the console (0: off)',
  },
  {
    name: 'metrics-bind',
    type: 'string',
    default: '127.0.0.1',
    mutable: false,
    help: 'space-separated addresses for the metrics port',
  },
  {
    name: 'metrics-open',
    type: 'bool',
    default: 'no',
    mutable: false,
    help: 'serve /metrics and /healthz without authentication (the console still needs it)',
  },
  {
    name: 'list-max-listpack-size',
    type: 'int',
    default: '-2',
    min: -INT_MAX - 1,
    max: INT_MAX,
    mutable: true,
    aliases: ['list-max-ziplist-size'],
    help:
      'largest list node: a positive number of entries (within 8 KiB), ' +
      'or -1..-5 for 4, 8, 16, 32 or 64 KiB (lower values act as -5)',
  },
  {
    name: 'hash-max-listpack-entries',
    type: 'int',
    default: '512',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    aliases: ['hash-max-ziplist-entries'],
    help: 'hashes with more fields use a hash table',
  },
  {
    name: 'hash-max-listpack-value',
    type: 'int',
    default: '64',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    aliases: ['hash-max-ziplist-value'],
    help: 'hashes with a longer field or value use a hash table',
  },
  {
    name: 'set-max-intset-entries',
    type: 'int',
    default: '512',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'integer sets with more members use a hash table',
  },
  {
    name: 'set-max-listpack-entries',
    type: 'int',
    default: '128',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'small sets with more members use a hash table',
  },
  {
    name: 'set-max-listpack-value',
    type: 'int',
    default: '64',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'small sets with a longer member use a hash table',
  },
  {
    name: 'zset-max-listpack-entries',
    type: 'int',
    default: '128',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    aliases: ['zset-max-ziplist-entries'],
    help: 'sorted sets with more members use a skip list',
  },
  {
    name: 'zset-max-listpack-value',
    type: 'int',
    default: '64',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    aliases: ['zset-max-ziplist-value'],
    help: 'sorted sets with a longer member use a skip list',
  },
  {
    name: 'stream-node-max-bytes',
    type: 'memory',
    default: '4096',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'largest stream node in bytes, as Redis sizes its listpack (0: no limit)',
  },
  {
    name: 'stream-node-max-entries',
    type: 'int',
    default: '100',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'most entries, removed ones included, in a stream node (0: no limit)',
  },
  {
    name: 'tracking-table-max-keys',
    type: 'int',
    default: '1000000',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'keys remembered for client-side caching before the oldest are invalidated (0: no limit)',
  },
  {
    name: 'lua-time-limit',
    type: 'int',
    default: '5000',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    aliases: ['busy-reply-threshold'],
    help: 'milliseconds a script may run before other clients get BUSY',
  },
  {
    name: 'lua-memory-limit',
    type: 'memory',
    default: String(64 * MB),
    min: 1 * MB,
    max: 2 * GB,
    mutable: true,
    help: 'bytes the Lua heap of scripts and functions may use; past it a script gets an error',
  },
  {
    name: 'memcached-port',
    type: 'int',
    default: '0',
    min: 0,
    max: 65535,
    mutable: false,
    help: 'TCP port for Memcached clients (text and meta protocol); 0 disables it',
  },
  {
    name: 'memcached-bind',
    type: 'string',
    default: '',
    mutable: false,
    help: 'space-separated addresses for the Memcached port (empty: those of bind)',
  },
  {
    name: 'item-size-max',
    type: 'memory',
    default: String(MB),
    min: 1024,
    max: GB,
    mutable: true,
    help: 'largest Memcached item in bytes, its key and item header included',
  },
  {
    name: 'memcached-reply-cache',
    type: 'memory',
    default: String(8 * MB),
    min: 0,
    max: GB,
    mutable: true,
    help: 'bytes of the ring buffer of ready-made Memcached get replies; 0 disables it',
  },
  // Security: ACL, limits, rate limits, audit log, TLS. See the README's security guide.
  {
    name: 'aclfile',
    type: 'string',
    default: '',
    mutable: false,
    protected: true,
    help: 'file of ACL users and roles for ACL LOAD and ACL SAVE (empty: none)',
  },
  {
    name: 'acllog-max-len',
    type: 'int',
    default: '128',
    min: 0,
    max: LLONG_MAX,
    mutable: true,
    help: 'entries kept in ACL LOG',
  },
  {
    name: 'admin-commands',
    type: 'enum',
    default: 'any',
    values: ['any', 'admin-port', 'admin-users'],
    mutable: true,
    protected: true,
    help:
      'who may run KEYS, FLUSHALL, FLUSHDB, CONFIG, DEBUG, SHUTDOWN, ACL, MONITOR and ' +
      'SCRIPT: any user ACL allows, only connections on admin-port, or only users with the ' +
      'admin role',
  },
  {
    name: 'admin-port',
    type: 'int',
    default: '0',
    min: 0,
    max: 65535,
    mutable: false,
    help: 'TCP port for administration connections, exempt from maxclients (0: none)',
  },
  {
    name: 'admin-bind',
    type: 'string',
    default: '127.0.0.1',
    mutable: false,
    help: 'space-separated addresses for the admin port',
  },
  {
    name: 'maxclients-per-address',
    type: 'int',
    default: '1000',
    min: 0,
    max: INT_MAX,
    mutable: true,
    help: 'maximum connected clients from one IP address (0: no limit)',
  },
  {
    name: 'client-request-timeout',
    type: 'int',
    default: '60',
    min: 0,
    max: INT_MAX,
    mutable: true,
    help:
      'close a client whose started request has not fully arrived after this many ' +
      'seconds (0: never)',
  },
  {
    name: 'ratelimit-per-user',
    type: 'string',
    default: '0',
    mutable: true,
    normalize: normalizeRateLimit,
    help:
      'commands per second for each user without a ratelimit rule, as RATE or ' +
      'RATE/BURST (0: no limit)',
  },
  {
    name: 'ratelimit-per-address',
    type: 'string',
    default: '0',
    mutable: true,
    normalize: normalizeRateLimit,
    help: 'commands per second for each client IP address, as RATE or RATE/BURST (0: no limit)',
  },
  {
    name: 'auth-failure-grace',
    type: 'int',
    default: '3',
    min: 0,
    max: INT_MAX,
    mutable: true,
    help: 'failed authentications per address answered at once before replies are delayed',
  },
  {
    name: 'auth-failure-delay',
    type: 'int',
    default: '100',
    min: 0,
    max: 60000,
    mutable: true,
    help: 'delay of the first delayed failure reply in ms, doubled per further failure (0: off)',
  },
  {
    name: 'auth-failure-delay-max',
    type: 'int',
    default: '10000',
    min: 0,
    max: 600000,
    mutable: true,
    help: 'longest delay of a failed authentication reply, in ms',
  },
  {
    name: 'audit-log-file',
    type: 'string',
    default: '',
    mutable: false,
    protected: true,
    help: 'file for the hash-chained JSON audit log (empty: no audit log)',
  },
  {
    name: 'tls-port',
    type: 'int',
    default: '0',
    min: 0,
    max: 65535,
    mutable: false,
    help: 'TCP port for TLS clients (0: no TLS listener)',
  },
  {
    name: 'tls-cert-file',
    type: 'string',
    default: '',
    mutable: true,
    protected: true,
    normalize: normalizeReadableFile,
    help: 'server certificate (PEM); CONFIG SET reloads it',
  },
  {
    name: 'tls-key-file',
    type: 'string',
    default: '',
    mutable: true,
    protected: true,
    normalize: normalizeReadableFile,
    help: 'private key of the server certificate (PEM)',
  },
  {
    name: 'tls-key-file-pass',
    type: 'string',
    default: '',
    mutable: true,
    secret: true,
    protected: true,
    help: 'passphrase of tls-key-file (empty: the key is not encrypted)',
  },
  {
    name: 'tls-ca-cert-file',
    type: 'string',
    default: '',
    mutable: true,
    protected: true,
    normalize: normalizeReadableFile,
    help: 'CA certificates (PEM) that client certificates must chain to',
  },
  {
    name: 'tls-auth-clients',
    type: 'enum',
    default: 'yes',
    values: ['no', 'yes', 'optional'],
    mutable: true,
    help: 'whether TLS clients must present a certificate signed by the CA',
  },
  {
    name: 'tls-auth-clients-user',
    type: 'enum',
    default: 'off',
    values: ['off', 'cn'],
    mutable: true,
    protected: true,
    help: 'cn: a verified client certificate logs in as the ACL user named by its CN',
  },
  {
    name: 'tls-protocols',
    type: 'string',
    default: '',
    mutable: true,
    normalize: normalizeTlsProtocols,
    help: 'accepted TLS versions: TLSv1.2 and/or TLSv1.3 (empty: both)',
  },
  {
    name: 'tls-ciphers',
    type: 'string',
    default: '',
    mutable: true,
    help: 'OpenSSL cipher list for TLSv1.2 (empty: Node.js defaults)',
  },
  {
    name: 'tls-ciphersuites',
    type: 'string',
    default: '',
    mutable: true,
    help: 'OpenSSL cipher suites for TLSv1.3 (empty: Node.js defaults)',
  },
];

const BY_NAME = new Map<string, Setting>();
for (const setting of SETTINGS) {
  BY_NAME.set(setting.name, setting);
  for (const alias of setting.aliases ?? []) BY_NAME.set(alias, setting);
}

export function findSetting(name: string): Setting | undefined {
  return BY_NAME.get(name.toLowerCase());
}
