/**
 * Turns the scenario's "at" / "every" times into timers on the run's clock. Times count from the
 * run's start (the end of bootstrapping); nothing is scheduled at or after the run's end.
 */
import type { Clock, TimerHandle } from '../../core/clock';

export interface When {
  readonly at?: number | undefined;
  readonly every?: number | undefined;
  readonly first?: number | undefined;
  readonly until?: number | undefined;
}

/** The run-relative times a `when` fires at, within [0, durationMs). */
export function firingTimes(when: When, durationMs: number): number[] {
  if (when.at !== undefined) return when.at < durationMs ? [when.at] : [];
  const every = when.every!;
  if (!(every > 0)) throw new Error(`schedule: "every" must be a positive duration, got ${every}`);
  const end = Math.min(durationMs, when.until ?? Number.POSITIVE_INFINITY);
  const times: number[] = [];
  for (let t = when.first ?? every; t < end; t += every) times.push(t);
  return times;
}

export class Schedule {
  private readonly timers = new Set<TimerHandle>();

  constructor(
    private readonly clock: Clock,
    /** Clock time of the run's start. */
    private readonly startedAt: number,
  ) {}

  /** Calls fn(i) at each firing time of `when`; i counts the firings from 0. */
  add(when: When, durationMs: number, fn: (i: number) => void): void {
    firingTimes(when, durationMs).forEach((t, i) => this.at(t, () => fn(i)));
  }

  at(runTimeMs: number, fn: () => void): void {
    const timer = this.clock.setTimer(this.startedAt + runTimeMs - this.clock.now(), () => {
      this.timers.delete(timer);
      fn();
    });
    this.timers.add(timer);
  }

  cancel(): void {
    for (const t of this.timers) t.cancel();
    this.timers.clear();
  }
}

/** How often the runner and node hosts report crypto operation counts (clock time). */
export const CRYPTO_REPORT_MS = 10_000;

/** Calls fn every periodMs of clock time until cancelled. */
export function every(clock: Clock, periodMs: number, fn: () => void): { cancel(): void } {
  let timer = clock.setTimer(periodMs, function tick() {
    fn();
    timer = clock.setTimer(periodMs, tick);
  });
  return { cancel: () => timer.cancel() };
}
