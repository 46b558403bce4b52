/** Helpers shared by the sorted set tests. */
import type { Step } from './support/differential';

/** ZADD steps adding `count` members named by `member` with scores from `score`, 100 a step. */
export function fillZset(
  key: string,
  count: number,
  member = (i: number) => `m${i}`,
  score = (i: number) => String(i),
): Step[] {
  const steps: Step[] = [];
  for (let start = 0; start < count; start += 100) {
    const args = ['ZADD', key];
    for (let i = start; i < Math.min(count, start + 100); i++) args.push(score(i), member(i));
    steps.push(args);
  }
  return steps;
}
