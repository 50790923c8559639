/**
 * Counts the refusals a mode's nodes report (`frame_rejected` samples), by reason, for the mode's
 * stats(): the metrics hook the nodes get goes through it, so no node needs a counter of its own
 * and both modes count the same thing.
 */
import type { Fields, Metrics, Tags } from '../core/metrics';
import type { MeasurementName } from '../core/measurements';

export class RefusalTally {
  private readonly counts: Record<string, number> = {};

  /** `metrics`, counting every frame_rejected that goes through it (and through the hooks `with` makes of it). */
  counting(metrics: Metrics): Metrics {
    return new CountingMetrics(this.counts, metrics);
  }

  /** A copy of the counts so far. */
  byReason(): Record<string, number> {
    return { ...this.counts };
  }
}

/**
 * A node's hook: an instance per node (each TN's `with` makes one), so its methods are on the
 * prototype, not closures of its own (a million TNs, issue 13).
 */
class CountingMetrics implements Metrics {
  constructor(
    private readonly counts: Record<string, number>,
    private readonly metrics: Metrics,
  ) {}

  emit(measurement: MeasurementName, fields: Fields, tags?: Tags): void {
    if (measurement === 'frame_rejected') {
      const reason = tags?.reason ?? 'unknown';
      this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    }
    this.metrics.emit(measurement, fields, tags);
  }

  with(tags: Tags): Metrics {
    return new CountingMetrics(this.counts, this.metrics.with(tags));
  }
}
