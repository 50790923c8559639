import type { Clock } from '../../core/clock';

/**
 * Maps a run's clock time to epoch time for the outputs. A RealClock already reads epoch ms. A
 * VirtualClock starts at 0 and runs far ahead of the wall clock, so where its samples go is a
 * choice, and the outputs say which one was made:
 *
 *   from the start   virtual time 0 at a given epoch (tests, tools that place samples themselves);
 *   at the run's end the run's timeline ends when the run ended: virtual time 0 is placed
 *                    `lastClockMs` before that moment, so all of a run is in the past once it
 *                    ends, and a dashboard's "last 15 minutes" shows its last 15 minutes (a
 *                    48-hour run spans the 48 hours before it ended). Known only when the run
 *                    ends: until then the timebase is pending (HeldSamples keeps the samples).
 *
 * Which clock it was travels with the results, because timings mean different things on each.
 */
export type ClockKind = Clock['kind'];

export interface TimebaseInfo {
  readonly clock: ClockKind;
  /** Epoch ms that virtual time 0 maps to (for a real clock: when the run started). */
  readonly startEpochMs: number;
  readonly startIso: string;
  /** Placed at the run's end: the moment the run ended, where its last sample is. */
  readonly endEpochMs?: number;
  readonly endIso?: string;
}

export class Timebase {
  private offsetMs: number | undefined;
  private start: number | undefined;
  private end: number | undefined;

  constructor(
    readonly clock: ClockKind,
    startEpochMs?: number,
  ) {
    if (startEpochMs !== undefined) this.placeStart(startEpochMs);
  }

  /** The timebase of a run on `clock` that starts now (or at `startEpochMs`). */
  static of(clock: Pick<Clock, 'kind'>, startEpochMs: number = Date.now()): Timebase {
    return new Timebase(clock.kind, startEpochMs);
  }

  /** A virtual-clock run placed once it ends (placeEnd), so that it ends at that moment. */
  static atRunEnd(): Timebase {
    return new Timebase('virtual');
  }

  get placed(): boolean {
    return this.offsetMs !== undefined;
  }

  get startEpochMs(): number {
    return this.checked(this.start);
  }

  /**
   * Places a pending timebase: the sample at clock time `lastClockMs` (the run's last) lands at
   * `endEpochMs` (when the run ended), and virtual time 0 that much earlier.
   */
  placeEnd(lastClockMs: number, endEpochMs: number): void {
    if (this.placed) throw new Error('timebase: already placed');
    this.placeStart(endEpochMs - Math.max(0, lastClockMs));
    this.end = endEpochMs;
  }

  /** Epoch ms of a sample taken at clock time `clockMs`. */
  toEpochMs(clockMs: number): number {
    return clockMs + this.checked(this.offsetMs);
  }

  /** For summary.json and the line-protocol header. */
  info(): TimebaseInfo {
    const start = this.startEpochMs;
    const base = { clock: this.clock, startEpochMs: start, startIso: new Date(start).toISOString() };
    return this.end === undefined ? base : { ...base, endEpochMs: this.end, endIso: new Date(this.end).toISOString() };
  }

  /** One line for metrics.lp's header and the run's output: which placement, and where. */
  describe(): string {
    const info = this.info();
    if (info.clock === 'real') return `clock=real start=${info.startIso}`;
    if (info.endIso === undefined) return `clock=virtual start=${info.startIso} (virtual time 0 is placed at start)`;
    return (
      `clock=virtual start=${info.startIso} placement=run-end (virtual time 0 is placed at start, ` +
      `so that the run's last sample is at ${info.endIso}, when the run ended)`
    );
  }

  private placeStart(startEpochMs: number): void {
    if (!Number.isFinite(startEpochMs) || startEpochMs < 0)
      throw new Error(`timebase: startEpochMs must be a non-negative epoch time in ms, got ${startEpochMs}`);
    this.start = startEpochMs;
    this.offsetMs = this.clock === 'virtual' ? startEpochMs : 0;
  }

  private checked(value: number | undefined): number {
    if (value === undefined) throw new Error('timebase: not placed yet (a virtual-clock run is placed when it ends)');
    return value;
  }
}
