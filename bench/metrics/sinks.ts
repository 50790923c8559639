/**
 * Metric sinks, k6's way (metrics/sink.go): samples are folded into a sink as they arrive instead
 * of being kept, so the summary and the thresholds hold what they report and nothing more.
 * Counters, gauges and rates keep a few numbers; a trend keeps its values once (a percentile
 * needs them all), sorted in place when a percentile is asked for.
 */
import { ascending, percentileOfSorted } from '../../core/statistics';

export type SinkKind = 'counter' | 'gauge' | 'rate' | 'trend';

/** Sums what is added (k6 CounterSink: count is the sum of the values). */
export class CounterSink {
  readonly kind = 'counter';
  value = 0;
  /** Samples added: a counter whose samples summed to 0 still has samples. */
  count = 0;

  add(value: number): void {
    this.value += value;
    this.count++;
  }
}

/** The last value, and the smallest and largest seen (k6 GaugeSink). */
export class GaugeSink {
  readonly kind = 'gauge';
  value = 0;
  min = 0;
  max = 0;
  count = 0;

  add(value: number): void {
    // k6 starts max at 0, so a gauge of negative values would report max 0; here the first value sets both
    if (this.count === 0 || value < this.min) this.min = value;
    if (this.count === 0 || value > this.max) this.max = value;
    this.value = value;
    this.count++;
  }
}

/** The share of values that are not zero (k6 RateSink). */
export class RateSink {
  readonly kind = 'rate';
  trues = 0;
  count = 0;

  add(value: number): void {
    this.count++;
    if (value !== 0) this.trues++;
  }

  /** trues / count; 0 when empty, as k6 formats an empty rate. */
  get rate(): number {
    return this.count ? this.trues / this.count : 0;
  }
}

/** Every value, for percentiles, with min, max and sum kept as they come (k6 TrendSink). */
export class TrendSink {
  readonly kind = 'trend';
  private readonly values: number[] = [];
  private sorted = true;
  count = 0;
  sum = 0;
  private low = 0;
  private high = 0;

  add(value: number): void {
    if (this.count === 0 || value < this.low) this.low = value;
    if (this.count === 0 || value > this.high) this.high = value;
    if (this.count > 0 && value < this.values[this.count - 1]!) this.sorted = false;
    this.values.push(value);
    this.count++;
    this.sum += value;
  }

  /** 0 when empty, as in k6. */
  get min(): number {
    return this.low;
  }

  get max(): number {
    return this.high;
  }

  get avg(): number {
    return this.count ? this.sum / this.count : 0;
  }

  /** k6's TrendSink.P with p in [0, 100]: 0 when empty, the value itself for one, else interpolated. */
  percentile(p: number): number {
    return this.count === 0 ? 0 : percentileOfSorted(this.sortedValues(), p);
  }

  /** The values in ascending order (sorted in place: the sink keeps no second copy). */
  sortedValues(): readonly number[] {
    if (!this.sorted) {
      this.values.sort(ascending);
      this.sorted = true;
    }
    return this.values;
  }
}

export type Sink = CounterSink | GaugeSink | RateSink | TrendSink;

export function createSink(kind: SinkKind): Sink {
  switch (kind) {
    case 'counter':
      return new CounterSink();
    case 'gauge':
      return new GaugeSink();
    case 'rate':
      return new RateSink();
    case 'trend':
      return new TrendSink();
  }
}
