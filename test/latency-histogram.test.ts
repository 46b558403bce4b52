/**
 * The log-linear latency histogram behind LATENCY HISTOGRAM and INFO
 * latencystats: every duration lands in a slot whose upper bound is within
 * 1% above it, including durations longer than 2^32 ns.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Histogram } from '../src/observability/latency';

describe('latency histogram', () => {
  const durations = [1, 255, 256, 1_000, 123_456, 2 ** 31 + 5, 3e9, 2 ** 35 + 1];

  for (const duration of durations) {
    test(`${duration} ns lands in a close slot`, () => {
      const histogram = new Histogram();
      histogram.record(duration);
      const reported = histogram.valueAtPercentile(100);
      assert.ok(reported >= duration, `reported ${reported} below ${duration}`);
      assert.ok(reported <= duration * 1.01, `reported ${reported} too far above ${duration}`);
    });
  }

  test('percentiles split short and long durations', () => {
    const histogram = new Histogram();
    for (let i = 0; i < 99; i++) histogram.record(1_000);
    histogram.record(5e9);
    assert.ok(histogram.valueAtPercentile(50) < 1_010);
    assert.ok(histogram.valueAtPercentile(100) >= 5e9);
  });
});
