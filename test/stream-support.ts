/** Helpers shared by the stream tests. */
import type { Normalizer, Step } from './support/differential';

/** XADD steps adding entries `first`-1 .. `first + count - 1`-1 with one field each. */
export function fillStream(key: string, count: number, first = 1, field = 'f'): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < count; i++) {
    steps.push(['XADD', key, `${first + i}-1`, field, String(first + i)]);
  }
  return steps;
}

/**
 * Replaces XINFO's radix-tree-nodes figure, which depends on Redis's radix
 * tree layout that Damselfly does not reproduce.
 */
export const hideRadixNodes: Normalizer = [/(radix-tree-nodes\r\n):\d+/g, '$1:N'];

/**
 * Replaces times and idle times (milliseconds) in XINFO, XPENDING and
 * XCLAIM replies: any integer of 13 digits, and the integers that follow
 * an "idle" or "seen-time" field.
 */
export const hideTimes: Normalizer[] = [
  [/:\d{13}\r\n/g, ':T\r\n'],
  [/(idle\r\n):\d+/g, '$1:T'],
];

/** Replaces the idle time (third field) of XPENDING's extended entries. */
export const hidePendingIdle: Normalizer = [
  /(\*4\r\n\$\d+\r\n[\d-]+\r\n\$\d+\r\n[^\r]*\r\n):\d+/g,
  '$1:T',
];
