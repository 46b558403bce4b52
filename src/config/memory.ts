/** Memory sizes in redis.conf syntax. */
const MEMORY_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 * 1000,
  mb: 1024 * 1024,
  g: 1000 * 1000 * 1000,
  gb: 1024 * 1024 * 1024,
};

/** Returns the bytes of a memory unit suffix such as `mb` (`''` is bytes), or undefined. */
export function memoryUnit(suffix: string): number | undefined {
  return MEMORY_UNITS[suffix.toLowerCase()];
}

/** Parses a redis.conf memory value such as `100mb` or `1gb`; NaN when invalid. */
export function parseMemory(text: string): number {
  const match = /^(-?\d+)([a-z]*)$/i.exec(text.trim());
  if (match === null) return NaN;
  const unit = memoryUnit(match[2]);
  if (unit === undefined) return NaN;
  return Number(match[1]) * unit;
}
