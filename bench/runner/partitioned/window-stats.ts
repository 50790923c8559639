/**
 * The per-window measurement of a partitioned run, logged at its end (perf:scale shows it): wall
 * time from sending a window to its last answer; work, the busiest worker's time in its
 * partitions' windows (what a window cannot be shorter than); the rest is the barrier's overhead
 * (messages, structured clone, merging); the HES partition's share of all work; and how many
 * partitions fired a timer in a window, on average: the parallelism there was to have.
 */
import type { PartitionReport } from './messages';

export class WindowStats {
  private windows = 0;
  private wallMs = 0;
  private workMs = 0;
  private hesWorkMs = 0;
  private allWorkMs = 0;
  private busy = 0;
  private readonly fired = new Map<number, number>();

  add(wallMs: number, answers: readonly { reports: readonly PartitionReport[] }[]): void {
    this.windows++;
    this.wallMs += wallMs;
    this.workMs += Math.max(...answers.map((a) => a.reports.reduce((n, r) => n + r.workMs, 0)));
    for (const r of answers.flatMap((a) => a.reports)) {
      this.allWorkMs += r.workMs;
      if (r.partition === 0) this.hesWorkMs += r.workMs;
      if (r.fired > (this.fired.get(r.partition) ?? 0)) this.busy++;
      this.fired.set(r.partition, r.fired);
    }
  }

  line(partitions: number): string {
    const per = (x: number, digits = 3) => (this.windows ? (x / this.windows).toFixed(digits) : '0');
    const share = this.allWorkMs ? ((100 * this.hesWorkMs) / this.allWorkMs).toFixed(1) : '0';
    return (
      `partitioned: ${this.windows} windows of ${partitions} partitions; per window ${per(this.wallMs)} ms wall, ` +
      `${per(this.workMs)} ms work on the busiest worker of ${per(this.allWorkMs)} ms on all, ${per(this.wallMs - this.workMs)} ms overhead, ` +
      `${per(this.busy, 2)} partitions firing a timer; the HES's partition did ${share} % of the work`
    );
  }
}
