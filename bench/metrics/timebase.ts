import type { Clock } from '../../core/clock';

/**
 * Maps a run's clock time to epoch time for the outputs. A RealClock already reads epoch ms; a
 * VirtualClock starts at 0, so its samples are placed after the run's start epoch (a 48-hour
 * virtual run therefore spans 48 hours from the moment it started, wherever it is viewed).
 * Which clock it was travels with the results, because timings mean different things on each.
 */
export type ClockKind = Clock['kind'];

export interface TimebaseInfo {
  readonly clock: ClockKind;
  /** Epoch ms that virtual time 0 maps to (for a real clock: when the run started). */
  readonly startEpochMs: number;
  readonly startIso: string;
}

export class Timebase {
  private readonly offsetMs: number;

  constructor(
    readonly clock: ClockKind,
    readonly startEpochMs: number,
  ) {
    if (!Number.isFinite(startEpochMs) || startEpochMs < 0)
      throw new Error(`timebase: startEpochMs must be a non-negative epoch time in ms, got ${startEpochMs}`);
    this.offsetMs = clock === 'virtual' ? startEpochMs : 0;
  }

  /** The timebase of a run on `clock` that starts now (or at `startEpochMs`). */
  static of(clock: Pick<Clock, 'kind'>, startEpochMs: number = Date.now()): Timebase {
    return new Timebase(clock.kind, startEpochMs);
  }

  /** Epoch ms of a sample taken at clock time `clockMs`. */
  toEpochMs(clockMs: number): number {
    return clockMs + this.offsetMs;
  }

  /** For summary.json and the line-protocol header. */
  info(): TimebaseInfo {
    return { clock: this.clock, startEpochMs: this.startEpochMs, startIso: new Date(this.startEpochMs).toISOString() };
  }
}
