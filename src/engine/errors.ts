/**
 * The error replies clients see, with Redis 7's exact texts. Handlers raise
 * them through `CommandError` or write them with `Reply.error`; no other
 * module spells an error text.
 */

export const ERR = {
  syntax: 'ERR syntax error',
  notInteger: 'ERR value is not an integer or out of range',
  notFloat: 'ERR value is not a valid float',
  overflow: 'ERR increment or decrement would overflow',
  incrNanOrInf: 'ERR increment would produce NaN or Infinity',
  wrongType: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  noSuchKey: 'ERR no such key',
  dbIndexOutOfRange: 'ERR DB index is out of range',
  invalidDbIndex: 'ERR invalid DB index',
  sameObject: 'ERR source and destination objects are the same',
  invalidExpire: (cmd: string) => `ERR invalid expire time in '${cmd}' command`,
  intOutOfRange: 'ERR value is out of range, value must between -2147483648 and 2147483647',
  invalidFirstDbIndex: 'ERR invalid first DB index',
  invalidSecondDbIndex: 'ERR invalid second DB index',
  invalidCursor: 'ERR invalid cursor',
  expireUnsupportedOption: (option: string) =>
    `ERR Unsupported option ${quoteForError(option, Infinity)}`,
  expireNxConflict: 'ERR NX and XX, GT or LT options at the same time are not compatible',
  expireGtLtConflict: 'ERR GT and LT options at the same time are not compatible',
  lfuNotSelected:
    'ERR An LFU maxmemory policy is not selected, access frequency not tracked. ' +
    'Please note that when switching between policies at runtime LRU and LFU data ' +
    'will take some time to adjust.',
  lfuSelected:
    'ERR An LFU maxmemory policy is selected, idle time not tracked. ' +
    'Please note that when switching between policies at runtime LRU and LFU data ' +
    'will take some time to adjust.',
  stringTooLong: 'ERR string exceeds maximum allowed size (proto-max-bulk-len)',
  bitOffset: 'ERR bit offset is not an integer or out of range',
  bitValue: 'ERR bit is not an integer or out of range',
  offsetOutOfRange: 'ERR offset is out of range',
  decrementOverflow: 'ERR decrement would overflow',
  bitArgument: 'ERR The bit argument must be 1 or 0.',
  bitopNotArity: 'ERR BITOP NOT must be called with a single source key.',
  bitfieldOverflowType: 'ERR Invalid OVERFLOW type specified',
  bitfieldType:
    'ERR Invalid bitfield type. Use something like i16 u8. ' +
    'Note that u64 is not supported but i64 is.',
  bitfieldReadOnly: 'ERR BITFIELD_RO only supports the GET subcommand',
  lcsWrongType: 'ERR The specified keys must contain string values',
  lcsLenAndIdx: 'ERR If you want both the length and indexes, please just use IDX.',
  lcsTooLong: 'ERR String too long for LCS',
  lcsTooMuchMemory: 'ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
  noAuth: 'NOAUTH Authentication required.',
  wrongPass: 'WRONGPASS invalid username-password pair or user is disabled.',
  authNotConfigured:
    'ERR AUTH <password> called without any password configured for the default user. ' +
    'Are you sure your configuration is correct?',
  protocolVersion: 'NOPROTO unsupported protocol version',
  loading: 'LOADING Redis is loading the dataset in memory',
  oom: "OOM command not allowed when used memory > 'maxmemory'.",
  pauseTimeoutNotInteger: 'ERR timeout is not an integer or out of range',
  pauseTimeoutNegative: 'ERR timeout is negative',
  pauseMode: 'ERR CLIENT PAUSE mode must be WRITE or ALL',
  debugReloadOptions: 'ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.',
  debugReloadSave: 'ERR Error trying to save the DB',
  debugReloadLoad: 'ERR Error trying to load the RDB dump',
  subcommandSyntax: (command: string, sub: string) =>
    `ERR unknown subcommand or wrong number of arguments for '${quoteForError(sub)}'. ` +
    `Try ${command} HELP.`,
  slowlogCount: 'ERR count should be greater than or equal to -1',
  latencyNoSamples: (event: string) => `ERR No samples available for event '${event}'`,
  monitorDenyBlocking: "ERR MONITOR isn't allowed for DENY BLOCKING client",
  readonlyReplica: "READONLY You can't write against a read only replica.",
  multiNested: 'ERR MULTI calls can not be nested',
  execWithoutMulti: 'ERR EXEC without MULTI',
  discardWithoutMulti: 'ERR DISCARD without MULTI',
  execAbort: 'EXECABORT Transaction discarded because of previous errors.',
  execAbortBecause: (reason: string) => `EXECABORT Transaction discarded because of: ${reason}`,
  notAllowedInMulti: 'ERR Command not allowed inside a transaction',
  watchInMulti: 'ERR WATCH inside MULTI is not allowed',
  internal: 'ERR internal error',
  clientNameSpaces: 'ERR Client names cannot contain spaces, newlines or special characters.',
  noSuchClient: 'ERR No such client',
  trackingRedirectTwice: 'ERR A client can only redirect to a single other client',
  trackingRedirectMissing: 'ERR The client ID you want redirect to does not exist',
  trackingPrefixNeedsBcast: 'ERR PREFIX option requires BCAST mode to be enabled',
  trackingBcastSwitch:
    "ERR You can't switch BCAST mode on/off before disabling tracking for this client, " +
    'and then re-enabling it with a different mode.',
  trackingBcastWithOptIn: 'ERR OPTIN and OPTOUT are not compatible with BCAST',
  trackingOptInWithOptOut: "ERR You can't specify both OPTIN mode and OPTOUT mode",
  trackingOptModeSwitch:
    "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, " +
    'and then re-enabling it with a different mode.',
  trackingPrefixOverlapsExisting: (prefix: string, existing: string) =>
    `ERR Prefix '${prefix}' overlaps with an existing prefix '${existing}'. ` +
    'Prefixes for a single client must not overlap.',
  trackingPrefixOverlapsGiven: (prefix: string, other: string) =>
    `ERR Prefix '${prefix}' overlaps with another provided prefix '${other}'. ` +
    'Prefixes for a single client must not overlap.',
  cachingWithoutTracking:
    'ERR CLIENT CACHING can be called only when the client is in tracking mode ' +
    'with OPTIN or OPTOUT mode enabled',
  cachingYesWithoutOptIn:
    'ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.',
  cachingNoWithoutOptOut:
    'ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.',
  unknownConfig: (name: string) =>
    `ERR Unknown option or number of arguments for CONFIG SET - '${name}'`,
  configSetFailed: (name: string, reason: string) =>
    `ERR CONFIG SET failed (possibly related to argument '${name}') - ${reason}`,
  noConfigFile: 'ERR The server is running without a config file',
  rewriteFailed: (reason: string) => `ERR Rewriting config file: ${reason}`,
  unknownClientType: (name: string) => `ERR Unknown client type '${name}'`,
  invalidClientId: 'ERR Invalid client ID',
  clientIdNotPositive: 'ERR client-id should be greater than 0',
  noSuchUser: (name: string) => `ERR No such user '${name}'`,
  unrecognizedOption: (name: string) => `ERR Unrecognized option '${name}'`,
  clientAttributeSpaces: (attribute: string) =>
    `ERR ${attribute} cannot contain spaces, newlines or special characters.`,
  invalidCommandSpecified: 'ERR Invalid command specified',
  commandHasNoKeys: 'ERR The command has no key arguments',
  invalidArgumentCount: 'ERR Invalid number of arguments specified for command',
  invalidArguments: 'ERR Invalid arguments specified for command',
  debugNotAllowed:
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", ' +
    'you can run it from a local connection, otherwise you need to set this option in the ' +
    'configuration file, and then restart the server.',
  debugUnknownSubcommand: (name: string) =>
    `ERR unknown subcommand or wrong number of arguments for '${name}'. Try DEBUG HELP.`,
  noShutdownInProgress: 'ERR No shutdown in progress.',
  shutdownFailed: 'ERR Errors trying to SHUTDOWN. Check logs.',
  bgsaveInProgress: 'ERR Background save already in progress',
  invalidIdletime: 'ERR Invalid IDLETIME value, must be >= 0',
  invalidFrequency: 'ERR Invalid FREQ value, must be >= 0 and <= 255',
  badDumpPayload: 'ERR DUMP payload version or checksum are wrong',
  badDataFormat: 'ERR Bad data format',
  invalidTtl: 'ERR Invalid TTL value, must be >= 0',
  busyKey: 'BUSYKEY Target key name already exists.',
  misconfSnapshot:
    'MISCONF The last snapshot could not be written to disk, so commands that change data ' +
    'are refused (stop-writes-on-bgsave-error is yes). See the server log for the cause.',
  aofRewriteInProgress: 'ERR Background append only file rewriting already in progress',
  aofOff: 'ERR the append-only log is off (appendonly no); nothing to rewrite',
  bgsaveWhileRewriting:
    "ERR Another child process is active (AOF?): can't BGSAVE right now. " +
    'Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.',
  minMaxNotFloat: 'ERR min or max is not a float',
  minMaxNotLex: 'ERR min or max not valid string range item',
  zaddXxNx: 'ERR XX and NX options at the same time are not compatible',
  zaddGtLtNx: 'ERR GT, LT, and/or NX options at the same time are not compatible',
  zaddIncrPairs: 'ERR INCR option supports a single increment-element pair',
  scoreNaN: 'ERR resulting score is not a number (NaN)',
  zrangeLimit:
    'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
  zrangeWithScoresLex: 'ERR syntax error, WITHSCORES not supported in combination with BYLEX',
  weightNotFloat: 'ERR weight value is not a float',
  noInputKeys: (cmd: string) => `ERR at least 1 input key is needed for '${cmd}' command`,
  numkeysNotPositive: 'ERR numkeys should be greater than 0',
  countNotPositive: 'ERR count should be greater than 0',
  notPositive: 'ERR value is out of range, must be positive',
  limitNegative: "ERR LIMIT can't be negative",
  longOutOfRange:
    'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
  replyTooLarge: 'ERR value is out of range',
  hashNotInteger: 'ERR hash value is not an integer',
  hashNotFloat: 'ERR hash value is not a float',
  incrementNanOrInf: 'ERR value is NaN or Infinity',
  numkeysAboveArgs: "ERR Number of keys can't be greater than number of args",
  fieldsMissing: 'ERR Mandatory argument FIELDS is missing or not at the right position',
  numFieldsNotPositive: 'ERR Parameter `numFields` should be greater than 0',
  fieldCountNotPositive: 'ERR Number of fields must be a positive integer',
  numFieldsMismatch: 'ERR The `numfields` parameter must match the number of arguments',
  negativeExpire: 'ERR invalid expire time, must be >= 0',
  collectionFull: (max: number) =>
    `ERR the key holds the most elements a hash, set or sorted set can have (${max})`,
  databaseFull: (max: number) => `ERR the database would hold more keys than it can (${max})`,
  resultTooLarge: (max: number) =>
    `ERR the result would hold more elements than a set or sorted set can have (${max})`,
  randomCountTooLarge: (max: number) =>
    `ERR count is out of range: a reply with repeated elements holds at most ${max}`,
  indexOutOfRange: 'ERR index out of range',
  lposRankZero:
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... " +
    'or use negative to start from the end of the list',
  lposCountNegative: "ERR COUNT can't be negative",
  lposMaxlenNegative: "ERR MAXLEN can't be negative",
  timeoutNotFloat: 'ERR timeout is not a float or out of range',
  timeoutNegative: 'ERR timeout is negative',
  unblockReason: 'ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR',
  unblockedByClient: 'UNBLOCKED client unblocked via CLIENT UNBLOCK',
  clientSubcommandSyntax: (name: string) =>
    `ERR unknown subcommand or wrong number of arguments for '${quoteForError(name)}'. ` +
    'Try CLIENT HELP.',
  noPermCommand: (name: string) =>
    `NOPERM this user has no permissions to run the '${name}' command`,
  noPermKey: 'NOPERM this user has no permissions to access one of the keys used as arguments',
  noPermChannel:
    'NOPERM this user has no permissions to access one of the channels used as arguments',
  aclChangedBeforeExec: (reason: string) =>
    'NOPERM ACLs rules changed between the moment the transaction was accumulated and ' +
    `the EXEC call. This command is no longer allowed for the following reason: ${reason}`,
  adminPortOnly:
    'NOPERM this command is only allowed on connections to the admin port (admin-commands)',
  adminUsersOnly:
    'NOPERM this command is only allowed for users holding the admin role (admin-commands)',
  aclUsernameSpaces: "ERR Usernames can't contain spaces or null characters",
  aclUnmatchedParenthesis: (word: string) =>
    `ERR Unmatched parenthesis in acl selector starting at '${quoteForError(word)}'.`,
  aclBadRule: (verb: string, rule: string, reason: string) =>
    `ERR Error in ACL ${verb} modifier '${quoteForError(rule)}': ${reason}`,
  aclRoleName: 'ERR role names may contain only letters, digits, dots, dashes and underscores',
  aclBuiltInRole: (name: string) =>
    `ERR role '${quoteForError(name)}' is built in and cannot be changed or deleted`,
  aclDeleteDefault: "ERR The 'default' user cannot be removed",
  aclNoFile:
    'ERR This Redis instance is not configured to use an ACL file. You may want to specify ' +
    'users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a ' +
    'Redis configuration file set) in order to store users in the Redis configuration.',
  aclSaveFailed:
    'ERR There was an error trying to save the ACLs. Please check the server logs for more ' +
    'information',
  aclLoadFailed: (details: string) =>
    `ERR ${details}WARNING: ACL errors detected, no change to the previously active ACL rules ` +
    'was performed',
  aclGenpassBits:
    'ERR ACL GENPASS argument must be the number of bits for the output password, a positive ' +
    'number up to 4096',
  aclUnknownCategory: (name: string) => `ERR Unknown category '${quoteForError(name)}'`,
  aclUserNotFound: (name: string) => `ERR User '${quoteForError(name)}' not found`,
  aclCommandNotFound: (name: string) => `ERR Command '${quoteForError(name)}' not found`,
  rateLimitedUser: (user: string, rate: number, burst: number) =>
    `RATELIMIT too many commands for user '${quoteForError(user)}': the limit is ${rate} per ` +
    `second with bursts of ${burst}; retry later`,
  rateLimitedAddress: (rate: number, burst: number) =>
    `RATELIMIT too many commands from this client address: the limit is ${rate} per second ` +
    `with bursts of ${burst}; retry later`,
  throttleRange:
    'ERR CL.THROTTLE rate or burst is out of range: at most one request per microsecond, ' +
    'and the burst times the emission interval within 2^52 microseconds',
  throttleArguments:
    'ERR CL.THROTTLE needs count_per_period and period of at least 1, and max_burst and ' +
    'quantity of at least 0',
  maxClients: 'ERR max number of clients reached',
  maxClientsPerAddress:
    'ERR too many connections from this address (maxclients-per-address); close some first',
  protectedMode:
    'DENIED Damselfly is in protected mode: the default user has no password, so only ' +
    'loopback clients may connect. To let this client in, either set a password (from a ' +
    'loopback connection: CONFIG SET requirepass <password>, or ACL SETUSER default ' +
    '><password>, and put it in the config file), or bind only to trusted networks and ' +
    "start the server with 'protected-mode no'. Then connect again.",
  requestTimeout: 'ERR the request did not arrive completely within client-request-timeout seconds',
  aclSubcommandSyntax: (name: string) =>
    `ERR unknown subcommand or wrong number of arguments for '${quoteForError(name)}'. ` +
    'Try ACL HELP.',
} as const;

const MAX_QUOTED_NAME = 128;
const MAX_QUOTED_ARGS = 128;

/**
 * Keeps a client-supplied text short and on one line inside an error reply.
 * Redis formats such texts with %s, which ends at the first NUL byte, so the
 * text is cut there too.
 */
export function quoteForError(text: string, max = MAX_QUOTED_NAME): string {
  const nul = text.indexOf('\0');
  const end = nul >= 0 && nul < max ? nul : max;
  const cut = text.length > end ? text.slice(0, end) : text;
  return cut.replace(/[\r\n]/g, ' ');
}

/** Builds Redis's reply for an unknown command: the name and up to 128 bytes of arguments. */
export function unknownCommand(name: string, args: readonly string[]): string {
  let quoted = '';
  for (let i = 1; i < args.length && quoted.length < MAX_QUOTED_ARGS; i++) {
    const room = MAX_QUOTED_ARGS - quoted.length;
    quoted += `'${quoteForError(args[i], room)}' `;
  }
  return `ERR unknown command '${quoteForError(name)}', with args beginning with: ${quoted}`;
}

export function wrongArity(name: string): string {
  return `ERR wrong number of arguments for '${quoteForError(name.toLowerCase())}' command`;
}

export function unknownSubcommand(command: string, sub: string): string {
  return `ERR unknown subcommand '${quoteForError(sub)}'. ` + `Try ${command.toUpperCase()} HELP.`;
}

export function wrongSubcommandArity(command: string, sub: string): string {
  return (
    `ERR wrong number of arguments for '${command.toLowerCase()}|` +
    `${quoteForError(sub.toLowerCase())}' command`
  );
}

/**
 * An error reply raised from inside a handler. The message is the full reply
 * text, starting with its code (ERR, WRONGTYPE, ...).
 */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
  }
}

/**
 * Reply lines of the Memcached port (text and meta protocol), spelled as
 * memcached 1.6.18 sends them, without the trailing CRLF.
 */
export const MEMCACHE_ERR = {
  permissionDenied: 'CLIENT_ERROR permission denied by ACL rules',
  unknownCommand: 'ERROR',
  badFormat: 'CLIENT_ERROR bad command line format',
  deleteUsage: 'CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]',
  badDataChunk: 'CLIENT_ERROR bad data chunk',
  tooLarge: 'SERVER_ERROR object too large for cache',
  nonNumeric: 'CLIENT_ERROR cannot increment or decrement non-numeric value',
  invalidDelta: 'CLIENT_ERROR invalid numeric delta argument',
  invalidExptime: 'CLIENT_ERROR invalid exptime argument',
  unauthenticated: 'CLIENT_ERROR unauthenticated',
  authFailure: 'CLIENT_ERROR authentication failure',
  authTokenFormat: 'CLIENT_ERROR bad authentication token format',
  authTermination: 'CLIENT_ERROR bad command line termination',
  invalidFlag: 'CLIENT_ERROR invalid flag',
  duplicateFlag: 'CLIENT_ERROR duplicate flag',
  invalidOrDuplicateFlag: 'CLIENT_ERROR invalid or duplicate flag',
  badToken: 'CLIENT_ERROR bad token in command line format',
  keyDecoding: 'CLIENT_ERROR error decoding key',
  opaqueTooLong: 'CLIENT_ERROR opaque token too long',
  getFlagsTooLong: 'CLIENT_ERROR options flags are too long',
  flagsTooLong: 'CLIENT_ERROR options flags too long',
  modeLength: 'CLIENT_ERROR incorrect length for M token',
  setMode: 'CLIENT_ERROR invalid mode for ms M token',
  arithmeticMode: 'CLIENT_ERROR invalid mode for ma M token',
  invalidInitial: 'CLIENT_ERROR invalid numeric initial value',
  invalidDeltaToken: 'CLIENT_ERROR invalid numeric delta value',
  statsDetailUsage: 'CLIENT_ERROR usage: stats detail on|off|dump',
  shutdownDisabled: 'ERROR: shutdown not enabled',
  tooManyConnections: 'ERROR Too many open connections',
} as const;

/**
 * Quotes a key, group or option name inside a stream error as Redis prints it
 * with %s: up to the first NUL byte, with CR and LF turned into spaces.
 */
function streamName(text: string): string {
  const nul = text.indexOf('\0');
  return quoteForError(nul < 0 ? text : text.slice(0, nul), Infinity);
}

/** Error replies of the stream commands (XADD, XREAD, XGROUP, XCLAIM, ...). */
export const STREAM_ERR = {
  invalidId: 'ERR Invalid stream ID specified as stream command argument',
  idNotGreater: 'ERR The ID specified in XADD is equal or smaller than the target stream top item',
  idZero: 'ERR The ID specified in XADD must be greater than 0-0',
  exhausted: 'ERR The stream has exhausted the last possible ID, unable to add more items',
  elementsTooLarge: 'ERR Elements are too large to be stored',
  maxlenNegative: 'ERR The MAXLEN argument must be >= 0.',
  limitNegative: 'ERR The LIMIT argument must be >= 0.',
  limitWithoutApprox: 'ERR syntax error, LIMIT cannot be used without the special ~ option',
  limitWithoutStrategy:
    'ERR syntax error, LIMIT cannot be used without specifying a trimming strategy',
  maxlenWithMinid: 'ERR syntax error, MAXLEN and MINID options at the same time are not compatible',
  trimWithoutStrategy: 'ERR syntax error, XTRIM must be called with a trimming strategy',
  invalidStartId: 'ERR invalid start ID for the interval',
  invalidEndId: 'ERR invalid end ID for the interval',
  unbalancedStreams:
    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
  groupInXread: 'ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.',
  noackInXread: 'ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.',
  missingGroup: 'ERR Missing GROUP option for XREADGROUP',
  dollarInXreadgroup:
    'ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history ' +
    'of this consumer by specifying a proper ID, or use the > ID to get new messages. ' +
    'The $ ID would just return an empty result set.',
  greaterInXread:
    'ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> ' +
    '<consumer> option.',
  blockInScript: (command: string) =>
    `ERR ${streamName(command)} command is not allowed with BLOCK option from scripts`,
  noGroupToRead: (key: string, group: string) =>
    `NOGROUP No such key '${streamName(key)}' or consumer group '${streamName(group)}' ` +
    'in XREADGROUP with GROUP option',
  noKeyOrGroup: (key: string, group: string) =>
    `NOGROUP No such key '${streamName(key)}' or consumer group '${streamName(group)}'`,
  noGroupForKey: (group: string, key: string) =>
    `NOGROUP No such consumer group '${streamName(group)}' for key name '${streamName(key)}'`,
  busyGroup: 'BUSYGROUP Consumer Group name already exists',
  xgroupWithoutKey:
    'ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want ' +
    'to use the MKSTREAM option to create an empty stream automatically.',
  entriesReadNegative: 'ERR value for ENTRIESREAD must be positive or -1',
  blockedGroupGone: 'NOGROUP the consumer group this client was blocked on no longer exists',
  blockedKeyGone: 'UNBLOCKED the stream key no longer exists',
  claimMinIdle: 'ERR Invalid min-idle-time argument for XCLAIM',
  autoclaimMinIdle: 'ERR Invalid min-idle-time argument for XAUTOCLAIM',
  claimIdle: 'ERR Invalid IDLE option argument for XCLAIM',
  claimTime: 'ERR Invalid TIME option argument for XCLAIM',
  claimRetryCount: 'ERR Invalid RETRYCOUNT option argument for XCLAIM',
  claimOption: (option: string) => `ERR Unrecognized XCLAIM option '${streamName(option)}'`,
  autoclaimCount: 'ERR COUNT must be > 0',
  autoclaimTooHigh: 'ERR Insufficient memory, failed allocating transient memory, COUNT too high.',
  entriesAddedNegative: 'ERR entries_added must be positive',
  setidBelowGivenMaxDeleted:
    'ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id',
  setidBelowTop: 'ERR The ID specified in XSETID is smaller than the target stream top item',
  setidEntriesAddedBelowLength:
    'ERR The entries_added specified in XSETID is smaller than the target stream length',
} as const;

/** Error replies of scripting: EVAL, SCRIPT, FUNCTION, FCALL and redis.call inside scripts. */
export const SCRIPT_ERR = {
  busyEval:
    'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
  busyFunction:
    'BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.',
  noScript: 'NOSCRIPT No matching script. Please use EVAL.',
  notBusy: 'NOTBUSY No scripts in execution right now.',
  unkillable:
    'UNKILLABLE Sorry the script already executed write commands against the dataset. You can ' +
    'either wait the script termination or kill the server in a hard way using the SHUTDOWN ' +
    'NOSAVE command.',
  killed: 'ERR Script killed by user with SCRIPT KILL...',
  loadTimeout: 'ERR FUNCTION LOAD timeout',
  unpausable: (limitMs: number) =>
    `ERR Script stopped: it ran ${limitMs} ms past busy-reply-threshold inside a section that ` +
    'cannot pause (a MULTI/EXEC block, or a callback of table.sort or string.gsub), so ' +
    'SCRIPT KILL could not reach it',
  unavailable: 'ERR scripting is not available: the Lua engine failed to load (see the server log)',
  negativeKeys: "ERR Number of keys can't be negative",
  tooManyKeys: "ERR Number of keys can't be greater than number of args",
  badKeyCount: 'ERR Bad number of keys provided',
  compile: (message: string) => `ERR Error compiling script (new function): ${message}`,
  running: (name: string, message: string) => `ERR Error running script ${name}, ${message}`,
  outOfMemory: 'not enough memory (the Lua heap reached lua-memory-limit)',
  invalidShebang: 'ERR Invalid script shebang',
  shebangEngine: (shebang: string) => `ERR Unexpected engine in script shebang: ${shebang}`,
  shebangOption: (option: string) => `ERR Unknown lua shebang option: ${option}`,
  shebangFlag: (flag: string) => `ERR Unexpected flag in script shebang: ${flag}`,
  writeFlagReadOnly: 'ERR Can not execute a script with write flag using *_ro command.',
  flushOption: 'ERR SCRIPT FLUSH only support SYNC|ASYNC option',
  debugOption: 'ERR Use SCRIPT DEBUG YES/SYNC/NO',
  debugUnsupported:
    'ERR SCRIPT DEBUG YES and SYNC are not supported: Damselfly has no Lua debugger',
  unknownCommand: 'ERR Unknown Redis command called from script',
  wrongArity: 'ERR Wrong number of args calling Redis command from script',
  notAllowed: 'ERR This Redis command is not allowed from script',
  writeInReadOnly: 'ERR Write commands are not allowed from read-only scripts.',
  noArguments: 'ERR Please specify at least one argument for this redis lib call',
  badArgument: 'ERR Lua redis lib command arguments must be strings or integers',
  aclCommand: "ERR The user executing the script can't run this command or subcommand",
  aclKey:
    "ERR The user executing the script can't access at least one of the keys mentioned in " +
    'the command arguments',
  aclChannel:
    "ERR The user executing the script can't publish to the channel mentioned in the command",
  aclCheckCommand: 'ERR Invalid command passed to redis.acl_check_cmd()',
  sha1Arguments: 'ERR wrong number of arguments',
  logArguments: 'ERR redis.log() requires two arguments or more.',
  logLevel: 'ERR Invalid debug level.',
  logLevelType: 'ERR First argument must be a number (log level).',
  setrespArguments: 'ERR redis.setresp() requires one argument.',
  setrespVersion: 'ERR RESP version must be 2 or 3.',
  setReplArguments: 'ERR redis.set_repl() requires two arguments.',
  setReplFlags: 'ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.',
  functionNotFound: 'ERR Function not found',
  libraryNotFound: 'ERR Library not found',
  functionFlushOption: 'ERR FUNCTION FLUSH only supports SYNC|ASYNC option',
  functionSyntax: (subcommand: string) =>
    `ERR unknown subcommand or wrong number of arguments for '${quoteForError(subcommand)}'. ` +
    'Try FUNCTION HELP.',
  missingMetadata: 'ERR Missing library metadata',
  invalidMetadata: 'ERR Invalid library metadata',
  metadataValue: (part: string) => `ERR Invalid metadata value given: ${part}`,
  metadataNameTwice: 'ERR Invalid metadata value, name argument was given multiple times',
  libraryNameMissing: 'ERR Library name was not given',
  invalidName:
    'ERR Library names can only contain letters, numbers, or underscores(_) and must be at ' +
    'least one character long',
  engineNotFound: (engine: string) => `ERR Engine '${engine}' not found`,
  libraryExists: (name: string) => `ERR Library '${name}' already exists`,
  libraryExistsOnRestore: (name: string) => `ERR Library ${name} already exists`,
  noFunctions: 'ERR No functions registered',
  functionExists: (name: string) => `ERR Function ${name} already exists`,
  functionExistsInLibrary: 'ERR Function already exists in the library',
  functionCompile: (message: string) => `ERR Error compiling function: ${message}`,
  functionRegister: (message: string) => `ERR Error registering functions: ${message}`,
  loadOption: (option: string) => `ERR Unknown option given: ${option}`,
  listArgument: (argument: string) => `ERR Unknown argument ${argument}`,
  listLibraryName: 'ERR library name argument was not given',
  restoreNotFunction: 'ERR given type is not a function',
  restoreUnreadable: 'ERR failed loading the given functions payload',
  restorePolicy: 'ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.',
} as const;
