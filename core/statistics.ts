/**
 * The bench's statistics, one definition each: the summary, the thresholds, `gridbench compare`
 * and the perf scripts all compute percentiles, medians and means here.
 *
 * Percentiles follow k6, since the README says thresholds follow k6 (k6's TrendSink.P in
 * metrics/sink.go): sort the values, take the fractional rank i = p/100 * (count - 1) and
 * interpolate linearly between the values at floor(i) and ceil(i). One value is its own
 * percentile; the median is p(50), the mean of the two middle values of an even count.
 */

export const ascending = (a: number, b: number): number => a - b;

/** k6's percentile of values already sorted ascending, p in [0, 100]; NaN for no values. */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const below = sorted[Math.floor(rank)]!;
  const above = sorted[Math.ceil(rank)]!;
  return below + (above - below) * (rank - Math.floor(rank));
}

/** k6's percentile, p in [0, 100]; NaN for no values (a list of nothing has no percentile). */
export function percentile(values: readonly number[], p: number): number {
  return percentileOfSorted([...values].sort(ascending), p);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** The arithmetic mean; NaN for no values. */
export function mean(values: readonly number[]): number {
  return values.length ? sum(values) / values.length : Number.NaN;
}

/**
 * Nearest-rank percentile, p in [0, 100]: always one of the measured values, never a value
 * between two. The perf scripts (bench/perf/) report latencies this way because the figures they
 * published in the README were measured so; switching them to interpolation would move those
 * figures without anything having changed. Everything else uses `percentile` (k6).
 */
export function nearestRankPercentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort(ascending);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
