/**
 * The metric sinks follow k6's (grafana/k6 metrics/sink.go, the version whose TrendSink keeps its
 * values), clause by clause; each example is worked out by hand. core/statistics.ts computes the
 * same percentile for the summary, the thresholds and `gridbench compare`.
 */
import { describe, expect, it } from 'vitest';
import { CounterSink, GaugeSink, RateSink, TrendSink, createSink } from '../../bench/metrics/sinks';
import { mean, median, nearestRankPercentile, percentile } from '../../core/statistics';

const fill = <S extends { add(v: number): void }>(sink: S, values: readonly number[]): S => {
  for (const v of values) sink.add(v);
  return sink;
};

describe('CounterSink (k6 CounterSink.Add: Value += s.Value)', () => {
  it('sums 3 + 0 + 4 = 7 over 3 samples; empty is 0 over 0 samples', () => {
    expect(fill(new CounterSink(), [3, 0, 4])).toMatchObject({ value: 7, count: 3 });
    expect(new CounterSink()).toMatchObject({ value: 0, count: 0 });
  });
});

describe('GaugeSink (k6 GaugeSink.Add: Value = s.Value, Min and Max tracked)', () => {
  it('keeps the last value and the extremes: 5, 2, 9, 4 -> value 4, min 2, max 9', () => {
    expect(fill(new GaugeSink(), [5, 2, 9, 4])).toMatchObject({ value: 4, min: 2, max: 9, count: 4 });
  });

  it('lets the first value set both extremes (k6 starts Max at 0): -3, -1 -> max -1', () => {
    expect(fill(new GaugeSink(), [-3, -1])).toMatchObject({ value: -1, min: -3, max: -1 });
  });
});

describe('RateSink (k6 RateSink.Add: Total++, Trues++ when s.Value != 0; Format: Trues / Total, 0 when empty)', () => {
  it('1, 0, 0, 2 -> 2 of 4 are not zero -> 0.5; empty -> 0', () => {
    expect(fill(new RateSink(), [1, 0, 0, 2])).toMatchObject({ trues: 2, count: 4, rate: 0.5 });
    expect(new RateSink().rate).toBe(0);
  });
});

describe('TrendSink (k6 TrendSink.P, Min, Max, Avg)', () => {
  it('P with count 0 is 0, with count 1 the value itself', () => {
    expect(new TrendSink().percentile(99)).toBe(0);
    const one = fill(new TrendSink(), [7]);
    expect([one.percentile(1), one.percentile(50), one.percentile(99)]).toEqual([7, 7, 7]);
  });

  it('P sorts, then i = pct * (count - 1), v[floor(i)] + (v[ceil(i)] - v[floor(i)]) * (i - floor(i))', () => {
    const t = fill(new TrendSink(), [40, 10, 30, 20]); // sorted 10 20 30 40, count - 1 = 3
    expect(t.percentile(90)).toBeCloseTo(37); // i = 2.7: 30 + (40 - 30) * 0.7
    expect(t.percentile(50)).toBe(25); // i = 1.5: 20 + 10 * 0.5
    expect(t.percentile(25)).toBe(17.5); // i = 0.75: 10 + 10 * 0.75
    expect(t.percentile(100)).toBe(40); // i = 3: the largest
    expect(t.percentile(0)).toBe(10); // i = 0: the smallest
  });

  it('Min, Max, Avg = sum / count (0 when empty), Count', () => {
    expect(fill(new TrendSink(), [40, 10, 30, 20])).toMatchObject({ min: 10, max: 40, avg: 25, count: 4, sum: 100 });
    expect(new TrendSink()).toMatchObject({ min: 0, max: 0, avg: 0, count: 0 });
  });

  it('keeps its values once, sorted in place, and sorts again when a smaller value comes later', () => {
    const t = fill(new TrendSink(), [40, 10]);
    expect(t.percentile(50)).toBe(25);
    expect(t.sortedValues()).toBe(t.sortedValues());
    t.add(20);
    expect(t.percentile(50)).toBe(20); // 10 20 40: i = 1
    expect(t.sortedValues()).toEqual([10, 20, 40]);
  });

  it('is what createSink makes for a trend, as each other kind gets its own sink', () => {
    const kinds = ['counter', 'gauge', 'rate', 'trend'] as const;
    expect(kinds.map((k) => createSink(k).kind)).toEqual(kinds);
  });
});

describe('core/statistics.ts', () => {
  it("percentile is k6's over a list, NaN for an empty list (a list of nothing has no percentile)", () => {
    expect(percentile([40, 10, 30, 20], 90)).toBeCloseTo(37);
    expect(percentile([500, 1500, 2500], 99)).toBe(2480); // i = 1.98: 1500 + 1000 * 0.98
    expect(percentile([], 50)).toBeNaN();
  });

  it('median is p(50): the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(mean([1, 2, 6])).toBe(3);
    expect(mean([])).toBeNaN();
  });

  it("nearestRankPercentile, the perf scripts' percentile, is always a measured value: p(90) of 10 20 30 40 is 40", () => {
    expect(nearestRankPercentile([40, 10, 30, 20], 90)).toBe(40); // rank ceil(0.9 * 4) = 4
    expect(nearestRankPercentile([40, 10, 30, 20], 50)).toBe(20); // rank ceil(0.5 * 4) = 2
  });
});
