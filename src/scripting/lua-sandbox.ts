/**
 * The Lua side of the sandbox. This chunk runs once per Lua state, with the
 * full standard library, and builds what scripts may see:
 *
 * - EVAL scripts run with `eval_env` and functions with `function_env` as
 *   their `_ENV`. Both are empty read-only tables that look up a globals
 *   table, which raises "Script attempted to access nonexistent global
 *   variable" for names it lacks. Writes raise "Attempt to modify a readonly
 *   table", as Redis 7.0 does.
 * - Library tables (string, math, redis, cjson, bit, ...) are read-only
 *   views; rawset and setmetatable refuse them too.
 * - Redis 5.1 names are provided: unpack, loadstring, gcinfo, math.pow,
 *   table.getn and a few more. os, io, package, require, dofile, loadfile,
 *   print, debug and string.dump are absent, and load only takes text.
 * - FUNCTION LOAD runs library code with `load_globals` (only
 *   redis.register_function, redis.log and constants); the library's
 *   functions see `function_globals` once loading ends.
 *
 * It receives the host's JavaScript functions and returns the entry points
 * the host keeps. Its chunk name is INTERNAL_CHUNK, which the error handler
 * skips when it looks for the script line that raised an error.
 */
export const INTERNAL_CHUNK = '=damselfly';

export const SANDBOX = `
local bit, cmsgpack, host = ...
local INTERNAL_SOURCE = '${INTERNAL_CHUNK}'

local type, error, tostring, tonumber, select, next, pairs, ipairs =
  type, error, tostring, tonumber, select, next, pairs, ipairs
local raw_setmetatable, raw_getmetatable, rawget, rawset, rawequal, rawlen =
  setmetatable, getmetatable, rawget, rawset, rawequal, rawlen
local raw_load, pcall, xpcall, assert, collectgarbage = load, pcall, xpcall, assert, collectgarbage
local string, table, math, coroutine, utf8 = string, table, math, coroutine, utf8
local getinfo = debug.getinfo
local format = string.format

local READONLY = 'Attempt to modify a readonly table'

-- Tables scripts may read but not change: read-only views, by identity.
local readonly = raw_setmetatable({}, {__mode = 'k'})
-- The table behind each view, and the globals table each environment shows. The host's
-- rawget and next read these, because Redis 7.0's globals and library tables are real
-- tables that scripts can read raw.
local view_tables = raw_setmetatable({}, {__mode = 'k'})
host.register_views(view_tables)

local function refuse_write()
  error(READONLY, 2)
end

local function missing_global(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end

-- A read-only view of a table. When strict, reading a missing name raises
-- the nonexistent global error, as Redis's globals and load-time redis table do.
local function readonly_view(real, strict)
  if strict then raw_setmetatable(real, {__index = missing_global}) end
  local view = {}
  readonly[view] = true
  view_tables[view] = real
  return raw_setmetatable(view, {
    __index = real,
    __newindex = refuse_write,
    __pairs = function() return next, real, nil end,
    __len = function() return #real end,
    __metatable = false,
  })
end

local function type_name(value, present)
  if not present then return 'no value' end
  return type(value)
end

local function argument_error(position, name, expected, value, present)
  error(format("bad argument #%d to '%s' (%s expected, got %s)",
    position, name, expected, type_name(value, present)), 3)
end

local function setmetatable(...)
  local t, meta = ...
  if type(t) ~= 'table' then argument_error(1, 'setmetatable', 'table', t, select('#', ...) > 0) end
  if readonly[t] then error(READONLY, 0) end
  if meta ~= nil and type(meta) ~= 'table' then
    argument_error(2, 'setmetatable', 'nil or table', meta, select('#', ...) > 1)
  end
  return raw_setmetatable(t, meta)
end

local function getmetatable(value)
  if readonly[value] then return nil end
  return raw_getmetatable(value)
end

local function checked_rawset(...)
  local t, key, value = ...
  if type(t) ~= 'table' then argument_error(1, 'rawset', 'table', t, select('#', ...) > 0) end
  if readonly[t] then error(READONLY, 0) end
  return rawset(t, key, value)
end

-- collectgarbage with the options that cannot harm the server; others do nothing.
local SAFE_GC = {collect = true, count = true, step = true, isrunning = true}
local function checked_collectgarbage(option, ...)
  option = option or 'collect'
  if SAFE_GC[option] then return collectgarbage(option, ...) end
  return 0
end

local function gcinfo()
  return math.floor(collectgarbage('count'))
end

-- Library tables. The real string table stays the strings' method table, so it loses dump.
string.dump = nil
string.gfind = string.gmatch
string.format = host.lua51_format(string.format)

local math_compat = {}
for name, value in pairs(math) do math_compat[name] = value end
math_compat.pow = function(x, y) return x ^ y end
math_compat.mod = math.fmod
math_compat.log10 = function(x) return math.log(x, 10) end
math_compat.atan2 = function(y, x) return math.atan(y, x) end
math_compat.ldexp = function(m, e) return m * 2.0 ^ e end
math_compat.cosh = function(x) return (math.exp(x) + math.exp(-x)) / 2 end
math_compat.sinh = function(x) return (math.exp(x) - math.exp(-x)) / 2 end
math_compat.tanh = function(x)
  if x > 20 then return 1.0 elseif x < -20 then return -1.0 end
  local a, b = math.exp(x), math.exp(-x)
  return (a - b) / (a + b)
end
math_compat.frexp = function(x)
  if x == 0 or x ~= x or x == math.huge or x == -math.huge then return x, 0 end
  local exponent = math.floor(math.log(math.abs(x), 2)) + 1
  local mantissa = x / 2.0 ^ exponent
  if math.abs(mantissa) >= 1 then mantissa, exponent = mantissa / 2, exponent + 1 end
  if math.abs(mantissa) < 0.5 then mantissa, exponent = mantissa * 2, exponent - 1 end
  return mantissa, exponent
end

local table_compat = {}
for name, value in pairs(table) do table_compat[name] = value end
table_compat.getn = function(t) return #t end
table_compat.maxn = function(t)
  local max = 0
  for key in next, t do
    if type(key) == 'number' and key > max then max = key end
  end
  return max
end
table_compat.foreach = function(t, fn)
  for key, value in next, t do
    local result = fn(key, value)
    if result ~= nil then return result end
  end
end
table_compat.foreachi = function(t, fn)
  for i = 1, #t do
    local result = fn(i, t[i])
    if result ~= nil then return result end
  end
end

-- Coroutines. The host pauses a long script by yielding the running thread
-- from its count hook. A script's own coroutine that the host paused passes
-- the pause up to its resumer, so the host can return to the event loop.
local raw_resume, raw_yield, raw_running = coroutine.resume, coroutine.yield, coroutine.running
local isyieldable, table_pack, table_unpack = coroutine.isyieldable, table.pack, table.unpack
local script_thread = nil

local function resume(co, ...)
  local results = table_pack(raw_resume(co, ...))
  while results[1] and host.paused(co) do
    if isyieldable() then
      host.mark_paused()
      raw_yield()
    end
    results = table_pack(raw_resume(co))
  end
  return table_unpack(results, 1, results.n)
end

local function yield(...)
  if raw_running() == script_thread then error('attempt to yield from outside a coroutine', 2) end
  return raw_yield(...)
end

local function wrap(fn)
  local co = coroutine.create(fn)
  return function(...)
    local results = table_pack(resume(co, ...))
    if results[1] then return table_unpack(results, 2, results.n) end
    local err = results[2]
    if type(err) == 'string' then error(err, 2) end
    error(err, 0)
  end
end

local coroutine_view = readonly_view({
  create = coroutine.create, resume = resume, yield = yield, wrap = wrap,
  status = coroutine.status, running = coroutine.running,
  isyieldable = coroutine.isyieldable, close = coroutine.close,
})

-- The redis table.
local function is_string(value)
  local kind = type(value)
  return kind == 'string' or kind == 'number'
end

-- redis.error_reply: the first word is the error code, unless there is only one word.
local function error_reply(...)
  local message = ...
  if select('#', ...) ~= 1 or type(message) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  if message:sub(1, 1) == '-' then message = message:sub(2) end
  if message:find(' ', 1, true) then return {err = message} end
  return {err = 'ERR ' .. message}
end

local function status_reply(...)
  local message = ...
  if select('#', ...) ~= 1 or type(message) ~= 'string' then
    return {err = 'ERR wrong number or type of arguments'}
  end
  return {ok = message}
end

local function constants(into)
  into.LOG_DEBUG, into.LOG_VERBOSE, into.LOG_NOTICE, into.LOG_WARNING = 0, 1, 2, 3
  into.REDIS_VERSION = host.version
  into.REDIS_VERSION_NUM = host.version_number
  return into
end

local redis_runtime = constants({
  call = host.call,
  pcall = host.pcall,
  sha1hex = host.sha1hex,
  error_reply = error_reply,
  status_reply = status_reply,
  log = host.log,
  setresp = host.setresp,
  set_repl = host.set_repl,
  replicate_commands = function() return true end,
  breakpoint = function() return false end,
  debug = function() return false end,
  acl_check_cmd = host.acl_check_cmd,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
})

local cjson_real = {
  encode = host.json_encode,
  decode = host.json_decode,
  null = host.json_null,
  _NAME = 'cjson',
  _VERSION = '2.1.0',
}
for _, name in ipairs({'encode_keep_buffer', 'encode_max_depth', 'decode_max_depth',
    'encode_number_precision', 'encode_invalid_numbers', 'decode_invalid_numbers',
    'encode_sparse_array'}) do
  -- NOTE: cjson's tuning functions are accepted but change nothing.
  cjson_real[name] = function() return nil end
end
local cjson_view = readonly_view(cjson_real)
cjson_real.new = function() return cjson_view end

-- Library functions written in Lua run through a C wrapper, so their errors name
-- the caller's line even when called as a tail call, as a C library's would.
local function wrap_library(library)
  local wrapped = {}
  for name, fn in pairs(library) do wrapped[name] = host.wrap(fn) end
  return wrapped
end

local string_view = readonly_view(string)
local libraries = {
  string = string_view,
  table = readonly_view(table_compat),
  math = readonly_view(math_compat),
  utf8 = readonly_view(utf8),
  coroutine = coroutine_view,
  bit = readonly_view(wrap_library(bit)),
  cjson = cjson_view,
  cmsgpack = readonly_view(wrap_library(cmsgpack)),
}

-- The strings' metatable stays real (methods are looked up in it) but is hidden behind a view.
local string_meta = raw_getmetatable('')
string_meta.__metatable = readonly_view({__index = string_view})

-- The scripts' pcall, as in Redis 7.0: a caught error table is returned as its err field
-- when that is a string or number, so pcall(redis.call, ...) gives the error text. xpcall
-- passes the table on. Called with no argument, Redis 7.0 calls its own result placeholder,
-- so the message names a boolean.
local function pcall_result(ok, ...)
  if ok then return ok, ... end
  local err = ...
  if type(err) == 'table' then
    local text = err.err
    if is_string(text) then return false, text end
  end
  return false, err
end

local function script_pcall(...)
  if select('#', ...) == 0 then return false, 'attempt to call a boolean value' end
  return pcall_result(pcall(...))
end

-- Builds the globals table of one environment; env is the view scripts get as _ENV and _G.
local function make_globals(env, redis)
  local function load(chunk, name, mode, custom_env)
    return raw_load(chunk, name, 't', custom_env or env)
  end
  local globals = {
    _G = env,
    _VERSION = _VERSION,
    assert = assert, error = host.error, ipairs = ipairs, next = host.next,
    pairs = pairs, pcall = script_pcall, xpcall = xpcall, rawequal = rawequal,
    rawget = host.rawget,
    rawlen = rawlen,
    rawset = checked_rawset, select = select, setmetatable = setmetatable,
    getmetatable = getmetatable, tonumber = tonumber, tostring = tostring, type = type,
    unpack = table.unpack, collectgarbage = checked_collectgarbage, gcinfo = gcinfo,
    load = load,
    loadstring = function(chunk, name) return load(chunk, name) end,
    redis = redis,
  }
  for name, value in pairs(libraries) do globals[name] = value end
  raw_setmetatable(globals, {__index = missing_global})
  return globals
end

local function make_env()
  local meta = {__newindex = refuse_write, __metatable = false}
  meta.__pairs = function() return next, meta.__index, nil end
  local env = raw_setmetatable({}, meta)
  readonly[env] = true
  return env, meta
end

-- Redis 7.0 gives nil for a missing field of the runtime redis table; only the one
-- FUNCTION LOAD code sees raises the nonexistent global error.
local redis_view = readonly_view(redis_runtime, false)

local eval_env, eval_meta = make_env()
local eval_globals = make_globals(eval_env, redis_view)
eval_meta.__index = eval_globals
view_tables[eval_env] = eval_globals

local function_env, function_meta = make_env()
local function_globals = make_globals(function_env, redis_view)

local function show_function_globals(globals)
  function_meta.__index = globals
  view_tables[function_env] = globals
end
show_function_globals(function_globals)

-- redis.register_function, as FUNCTION LOAD offers it.
local FUNCTION_FLAGS = {
  ['no-writes'] = 1, ['allow-oom'] = 2, ['allow-stale'] = 4, ['no-cluster'] = 8,
  ['allow-cross-slot-keys'] = 16,
}

local function registration_error(text)
  error({err = 'ERR ' .. text}, 0)
end

local function read_flags(flags)
  local bits = 0
  for _, flag in next, flags do
    local bit_value = type(flag) == 'string' and FUNCTION_FLAGS[flag]
    if not bit_value then registration_error('unknown flag given') end
    bits = bits | bit_value
  end
  return bits
end

local function read_named_arguments(args)
  if type(args) ~= 'table' then
    registration_error('calling redis.register_function with a single argument is only ' ..
      'applicable to Lua table (representing named arguments).')
  end
  local name, callback, flags, description = nil, nil, 0, nil
  for key, value in next, args do
    if not is_string(key) then
      registration_error('named argument key given to redis.register_function is not a string')
    end
    local option = string.lower(tostring(key))
    if option == 'function_name' then
      if not is_string(value) then
        registration_error('function_name argument given to redis.register_function must be a string')
      end
      name = value
    elseif option == 'description' then
      if not is_string(value) then
        registration_error('description argument given to redis.register_function must be a string')
      end
      description = value
    elseif option == 'callback' then
      if type(value) ~= 'function' then
        registration_error('callback argument given to redis.register_function must be a function')
      end
      callback = value
    elseif option == 'flags' then
      if type(value) ~= 'table' then
        registration_error('flags argument to redis.register_function must be a table ' ..
          'representing function flags')
      end
      flags = read_flags(value)
    else
      registration_error('unknown argument given to redis.register_function')
    end
  end
  if name == nil then registration_error('redis.register_function must get a function name argument') end
  if callback == nil then registration_error('redis.register_function must get a callback argument') end
  return name, callback, flags, description
end

local function register_function(...)
  local count = select('#', ...)
  if count < 1 or count > 2 then
    registration_error('wrong number of arguments to redis.register_function')
  end
  local name, callback, flags, description
  if count == 2 then
    name, callback = ...
    flags = 0
    if not is_string(name) then
      registration_error('first argument to redis.register_function must be a string')
    end
    if type(callback) ~= 'function' then
      registration_error('second argument to redis.register_function must be a function')
    end
  else
    name, callback, flags, description = read_named_arguments((...))
  end
  host.register(tostring(name), callback, flags, description and tostring(description))
end

local load_globals = raw_setmetatable({
  redis = readonly_view(constants({register_function = register_function, log = host.log}), true),
}, {__index = missing_global})

-- The message handler of every run: turns any error into Redis's error
-- object {err = text, source = chunk, line = n}, located at the script line
-- that raised it (C functions and this chunk are skipped).
local function locate()
  local level = 3
  while true do
    local info = getinfo(level, 'Sl')
    if info == nil then return nil end
    if info.what ~= 'C' and info.source ~= INTERNAL_SOURCE then return info end
    level = level + 1
  end
end

local function on_error(err)
  local result
  if type(err) == 'table' then
    result = {err = rawget(err, 'err'), ignore_error_stats_update = rawget(err, 'ignore_error_stats_update')}
  else
    result = {err = 'ERR ' .. tostring(err)}
  end
  local where = locate()
  if where then
    result.source = where.source
    result.line = where.currentline
  end
  return result
end

local function run_eval(fn)
  script_thread = raw_running()
  show_function_globals(function_globals)
  local keys, argv = host.arguments()
  rawset(eval_globals, 'KEYS', keys)
  rawset(eval_globals, 'ARGV', argv)
  return xpcall(fn, on_error)
end

local function run_function(fn)
  script_thread = raw_running()
  show_function_globals(function_globals)
  local keys, argv = host.arguments()
  return xpcall(fn, on_error, keys, argv)
end

local function run_library(chunk)
  script_thread = raw_running()
  show_function_globals(load_globals)
  local ok, err = xpcall(chunk, on_error)
  show_function_globals(function_globals)
  return ok, err
end

return {
  run_eval = run_eval,
  run_function = run_function,
  run_library = run_library,
  eval_env = eval_env,
  function_env = function_env,
  collect = function() collectgarbage('collect') end,
}
`;
