import type { Clock, TimerHandle } from '../core/clock';
import { NO_METRICS, type Metrics } from '../core/metrics';
import { counterDelta, hasActivity, zeroCounters, type DirectionCounters } from './counters';
import type { LinkState, Links } from './links';

/**
 * The `channel` measurement: every intervalMs, one sample per link direction that saw activity,
 * with the deltas of its counters. It ticks only while something happens, so a virtual clock's
 * run() still ends when the traffic does.
 */
export class ChannelMeasurement {
  private ticker: TimerHandle | undefined;
  private closed = false;
  private readonly lastReported = new Map<LinkState, { up: DirectionCounters; down: DirectionCounters }>();

  constructor(
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly intervalMs: number,
    private readonly links: Links,
  ) {}

  /** Something happened on a link: makes sure a sample follows. */
  arm(): void {
    if (this.ticker || this.closed || this.intervalMs <= 0 || this.metrics === NO_METRICS) return;
    this.ticker = this.clock.setTimer(this.intervalMs, () => {
      this.ticker = undefined;
      if (this.report()) this.arm();
    });
  }

  /** Stops ticking after one last sample. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ticker?.cancel();
    this.ticker = undefined;
    this.report();
  }

  /** Emits one sample per link direction that saw activity; true if any did. */
  private report(): boolean {
    let any = false;
    for (const link of this.links.all()) {
      let last = this.lastReported.get(link);
      if (!last) this.lastReported.set(link, (last = { up: zeroCounters(), down: zeroCounters() }));
      for (const direction of ['up', 'down'] as const) {
        const now = link.counters[direction];
        const d = counterDelta(now, last[direction]);
        last[direction] = { ...now };
        if (!hasActivity(d)) continue;
        any = true;
        this.metrics.emit(
          'channel',
          {
            frames_offered: d.framesOffered,
            bytes_offered: d.bytesOffered,
            frames_delivered: d.framesDelivered,
            bytes_delivered: d.bytesDelivered,
            drops_loss: d.dropsLoss,
            drops_queue: d.dropsQueue,
            drops_attack: d.dropsAttack,
            queue_delay_ms: d.queueDelayCount > 0 ? d.queueDelaySumMs / d.queueDelayCount : 0,
            utilization: Math.min(1, d.busyMs / this.intervalMs),
          },
          { link: link.name, segment: link.id.dc, direction, kind: link.id.kind },
        );
      }
    }
    return any;
  }
}
