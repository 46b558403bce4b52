/**
 * The `cmsgpack` library Redis scripts use (lua-cmsgpack's pack and
 * unpack), written in Lua 5.4 on string.pack. Encoding follows
 * lua-cmsgpack: integral numbers take the smallest integer form, other
 * numbers a float32 when that is exact, else a float64; a table whose keys
 * are exactly 1..n is an array, any other table a map; nesting deeper than
 * 16 levels encodes nil. Errors are raised without a position; the sandbox
 * calls these functions through a C wrapper that adds the caller's position.
 */
export const MSGPACK_LIBRARY = `
local spack, sunpack, char, byte, concat = string.pack, string.unpack, string.char, string.byte, table.concat
local type, error, select, next, math_type, tointeger, floor = type, error, select, next, math.type, math.tointeger, math.floor
local table_unpack = table.unpack

local MAX_NESTING = 16

local encode

local function encode_integer(n, out)
  if n >= 0 then
    if n <= 0x7f then out[#out + 1] = char(n)
    elseif n <= 0xff then out[#out + 1] = spack('>BB', 0xcc, n)
    elseif n <= 0xffff then out[#out + 1] = spack('>BI2', 0xcd, n)
    elseif n <= 0xffffffff then out[#out + 1] = spack('>BI4', 0xce, n)
    else out[#out + 1] = spack('>Bi8', 0xcf, n) end
  else
    if n >= -32 then out[#out + 1] = char(n & 0xff)
    elseif n >= -128 then out[#out + 1] = spack('>Bi1', 0xd0, n)
    elseif n >= -32768 then out[#out + 1] = spack('>Bi2', 0xd1, n)
    elseif n >= -2147483648 then out[#out + 1] = spack('>Bi4', 0xd2, n)
    else out[#out + 1] = spack('>Bi8', 0xd3, n) end
  end
end

local function encode_number(n, out)
  local integer = math_type(n) == 'integer' and n or (floor(n) == n and tointeger(n))
  if integer then return encode_integer(integer, out) end
  if sunpack('f', spack('f', n)) == n then
    out[#out + 1] = spack('>Bf', 0xca, n)
  else
    out[#out + 1] = spack('>Bd', 0xcb, n)
  end
end

local function encode_string(s, out)
  local n = #s
  if n < 32 then out[#out + 1] = char(0xa0 | n)
  elseif n <= 0xff then out[#out + 1] = spack('>BB', 0xd9, n)
  elseif n <= 0xffff then out[#out + 1] = spack('>BI2', 0xda, n)
  else out[#out + 1] = spack('>BI4', 0xdb, n) end
  out[#out + 1] = s
end

-- Returns the length when the table's keys are exactly the integers 1..n, else nil.
local function array_length(t)
  local count, max = 0, 0
  for key in next, t do
    if math_type(key) ~= 'integer' or key < 1 then return nil end
    count = count + 1
    if key > max then max = key end
  end
  if count ~= max then return nil end
  return max
end

local function encode_header(n, fix, fix_limit, code16, out)
  if n < fix_limit then out[#out + 1] = char(fix | n)
  elseif n <= 0xffff then out[#out + 1] = spack('>BI2', code16, n)
  else out[#out + 1] = spack('>BI4', code16 + 1, n) end
end

local function encode_table(t, depth, out)
  local length = array_length(t)
  if length then
    encode_header(length, 0x90, 16, 0xdc, out)
    for i = 1, length do encode(t[i], depth + 1, out) end
    return
  end
  local count = 0
  for _ in next, t do count = count + 1 end
  encode_header(count, 0x80, 16, 0xde, out)
  for key, value in next, t do
    encode(key, depth + 1, out)
    encode(value, depth + 1, out)
  end
end

function encode(value, depth, out)
  local kind = type(value)
  if kind == 'number' then encode_number(value, out)
  elseif kind == 'string' then encode_string(value, out)
  elseif kind == 'boolean' then out[#out + 1] = value and '\\xc3' or '\\xc2'
  elseif kind == 'table' and depth < MAX_NESTING then encode_table(value, depth, out)
  else out[#out + 1] = '\\xc0' end
end

local cmsgpack = {}

function cmsgpack.pack(...)
  local count = select('#', ...)
  if count == 0 then error("bad argument #0 to 'pack' (MessagePack pack needs input.)", 0) end
  local out = {}
  for i = 1, count do encode((select(i, ...)), 0, out) end
  return concat(out)
end

local decode

local function need(s, position, size)
  if position + size - 1 > #s then error('Missing bytes in input.', 0) end
end

local function read(s, position, format, size)
  need(s, position, size)
  return sunpack(format, s, position)
end

local function decode_string(s, position, size)
  need(s, position, size)
  return s:sub(position, position + size - 1), position + size
end

local function decode_array(s, position, count, depth)
  local t = {}
  for i = 1, count do t[i], position = decode(s, position, depth + 1) end
  return t, position
end

local function decode_map(s, position, count, depth)
  local t = {}
  for _ = 1, count do
    local key, value
    key, position = decode(s, position, depth + 1)
    value, position = decode(s, position, depth + 1)
    if key == nil then error('Bad data format in input.', 0) end
    t[key] = value
  end
  return t, position
end

local fixed = {
  [0xc0] = function(_, position) return nil, position end,
  [0xc2] = function(_, position) return false, position end,
  [0xc3] = function(_, position) return true, position end,
  [0xc4] = function(s, position) local n, p = read(s, position, '>B', 1) return decode_string(s, p, n) end,
  [0xc5] = function(s, position) local n, p = read(s, position, '>I2', 2) return decode_string(s, p, n) end,
  [0xc6] = function(s, position) local n, p = read(s, position, '>I4', 4) return decode_string(s, p, n) end,
  [0xca] = function(s, position) return read(s, position, '>f', 4) end,
  [0xcb] = function(s, position) return read(s, position, '>d', 8) end,
  [0xcc] = function(s, position) return read(s, position, '>B', 1) end,
  [0xcd] = function(s, position) return read(s, position, '>I2', 2) end,
  [0xce] = function(s, position) return read(s, position, '>I4', 4) end,
  [0xcf] = function(s, position)
    local n, p = read(s, position, '>i8', 8)
    if n < 0 then n = n + 18446744073709551616.0 end
    return n, p
  end,
  [0xd0] = function(s, position) return read(s, position, '>i1', 1) end,
  [0xd1] = function(s, position) return read(s, position, '>i2', 2) end,
  [0xd2] = function(s, position) return read(s, position, '>i4', 4) end,
  [0xd3] = function(s, position) return read(s, position, '>i8', 8) end,
  [0xd9] = function(s, position) local n, p = read(s, position, '>B', 1) return decode_string(s, p, n) end,
  [0xda] = function(s, position) local n, p = read(s, position, '>I2', 2) return decode_string(s, p, n) end,
  [0xdb] = function(s, position) local n, p = read(s, position, '>I4', 4) return decode_string(s, p, n) end,
  [0xdc] = function(s, position, depth)
    local n, p = read(s, position, '>I2', 2) return decode_array(s, p, n, depth)
  end,
  [0xdd] = function(s, position, depth)
    local n, p = read(s, position, '>I4', 4) return decode_array(s, p, n, depth)
  end,
  [0xde] = function(s, position, depth)
    local n, p = read(s, position, '>I2', 2) return decode_map(s, p, n, depth)
  end,
  [0xdf] = function(s, position, depth)
    local n, p = read(s, position, '>I4', 4) return decode_map(s, p, n, depth)
  end,
}

function decode(s, position, depth)
  need(s, position, 1)
  local code = byte(s, position)
  position = position + 1
  if code <= 0x7f then return code, position end
  if code >= 0xe0 then return code - 0x100, position end
  if code >= 0xa0 and code <= 0xbf then return decode_string(s, position, code & 0x1f) end
  if code >= 0x90 and code <= 0x9f then return decode_array(s, position, code & 0x0f, depth) end
  if code >= 0x80 and code <= 0x8f then return decode_map(s, position, code & 0x0f, depth) end
  local decoder = fixed[code]
  if decoder == nil then error('Bad data format in input.', 0) end
  return decoder(s, position, depth)
end

local function unpack_some(s, limit, offset)
  if type(s) ~= 'string' then
    error("bad argument #1 to 'unpack' (string expected, got " .. type(s) .. ')', 0)
  end
  local values, count, position = {}, 0, offset + 1
  while position <= #s and (limit <= 0 or count < limit) do
    count = count + 1
    values[count], position = decode(s, position, 0)
  end
  return values, count, position
end

function cmsgpack.unpack(s)
  local values, count = unpack_some(s, 0, 0)
  return table_unpack(values, 1, count)
end

-- Returns the offset after the decoded values (-1 at the end) and up to limit values.
function cmsgpack.unpack_limit(s, limit, offset)
  local values, count, position = unpack_some(s, limit or 0, offset or 0)
  local next_offset = position > #s and -1 or position - 1
  return next_offset, table_unpack(values, 1, count)
end

function cmsgpack.unpack_one(s, offset)
  return cmsgpack.unpack_limit(s, 1, offset)
end

return cmsgpack
`;
