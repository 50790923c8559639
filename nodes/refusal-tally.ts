/**
 * Counts the refusals a mode's nodes report (`frame_rejected` samples), by reason, for the mode's
 * stats(): the metrics hook the nodes get goes through it, so no node needs a counter of its own
 * and both modes count the same thing.
 */
import type { Metrics } from '../core/metrics';

export class RefusalTally {
  private readonly counts: Record<string, number> = {};

  /** `metrics`, counting every frame_rejected that goes through it (and through the hooks `with` makes of it). */
  counting(metrics: Metrics): Metrics {
    return {
      emit: (measurement, fields, tags) => {
        if (measurement === 'frame_rejected') {
          const reason = tags?.reason ?? 'unknown';
          this.counts[reason] = (this.counts[reason] ?? 0) + 1;
        }
        metrics.emit(measurement, fields, tags);
      },
      with: (tags) => this.counting(metrics.with(tags)),
    };
  }

  /** A copy of the counts so far. */
  byReason(): Record<string, number> {
    return { ...this.counts };
  }
}
