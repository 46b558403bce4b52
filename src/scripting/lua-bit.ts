/**
 * The `bit` library Redis scripts use (LuaBitOp's API), written in Lua 5.4
 * on its native integer operators. Every result is a signed 32-bit integer,
 * as LuaBitOp returns; numbers are first rounded to an integer and reduced
 * modulo 2^32, as LuaBitOp does for its 5.1 doubles. Errors are raised
 * without a position: the sandbox calls these functions through a C wrapper
 * that adds the caller's position, as a C library would.
 */
export const BIT_LIBRARY = `
local math_type, tointeger, fmod, huge = math.type, math.tointeger, math.fmod, math.huge
local tonumber, type, select, error, format = tonumber, type, select, error, string.format

local function argument_error(position, name, value)
  local got = value == nil and 'no value' or type(value)
  error(format("bad argument #%d to '%s' (number expected, got %s)", position, name, got), 0)
end

-- Returns the low 32 bits of a number as an integer in [0, 2^32).
local function to_u32(value, position, name)
  local number = tonumber(value)
  if number == nil then argument_error(position, name, value) end
  if math_type(number) == 'float' then
    if number ~= number or number == huge or number == -huge then return 0 end
    if number >= 2^51 or number <= -2^51 then number = fmod(number, 4294967296.0) end
    -- Adding and removing 1.5 * 2^52 rounds to the nearest integer, ties to even.
    number = (number + 6755399441055744.0) - 6755399441055744.0
    number = tointeger(number)
  end
  return number & 0xffffffff
end

local function signed(value)
  if value >= 0x80000000 then return value - 0x100000000 end
  return value
end

local function fold(name, operation)
  return function(first, ...)
    local result = to_u32(first, 1, name)
    for i = 1, select('#', ...) do
      result = operation(result, to_u32((select(i, ...)), i + 1, name))
    end
    return signed(result)
  end
end

local bit = {}

function bit.tobit(value) return signed(to_u32(value, 1, 'tobit')) end
function bit.bnot(value) return signed(~to_u32(value, 1, 'bnot') & 0xffffffff) end
bit.band = fold('band', function(a, b) return a & b end)
bit.bor = fold('bor', function(a, b) return a | b end)
bit.bxor = fold('bxor', function(a, b) return a ~ b end)

function bit.lshift(value, count)
  return signed((to_u32(value, 1, 'lshift') << (to_u32(count, 2, 'lshift') & 31)) & 0xffffffff)
end

function bit.rshift(value, count)
  return signed(to_u32(value, 1, 'rshift') >> (to_u32(count, 2, 'rshift') & 31))
end

function bit.arshift(value, count)
  local x = signed(to_u32(value, 1, 'arshift'))
  local n = to_u32(count, 2, 'arshift') & 31
  -- Floor division by 2^n is an arithmetic shift of a signed integer.
  return signed((x // (1 << n)) & 0xffffffff)
end

function bit.rol(value, count)
  local x, n = to_u32(value, 1, 'rol'), to_u32(count, 2, 'rol') & 31
  return signed(((x << n) | (x >> (32 - n))) & 0xffffffff)
end

function bit.ror(value, count)
  local x, n = to_u32(value, 1, 'ror'), to_u32(count, 2, 'ror') & 31
  return signed(((x >> n) | (x << (32 - n))) & 0xffffffff)
end

function bit.bswap(value)
  local x = to_u32(value, 1, 'bswap')
  local swapped = ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >> 8) & 0xff00) | (x >> 24)
  return signed(swapped)
end

function bit.tohex(value, digits)
  local x = to_u32(value, 1, 'tohex')
  local n = digits == nil and 8 or signed(to_u32(digits, 2, 'tohex'))
  local conversion = 'x'
  if n < 0 then
    conversion = 'X'
    n = -n
  end
  if n > 8 then n = 8 end
  if n == 0 then return '' end
  if n < 8 then x = x & ((1 << (4 * n)) - 1) end
  return format('%0' .. n .. conversion, x)
end

return bit
`;
