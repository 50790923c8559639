import type { Random } from '../../../core/random';

/**
 * A household's electrical load as the meter sees it: constant within steps of `stepMs`, a daily
 * swing peaking in the evening, and log-normal noise per step drawn from a seeded stream. Clock
 * time 0 is midnight (a VirtualClock; a RealClock's epoch time lands on UTC midnight too).
 */
export interface LoadProfileSpec {
  /** Mean power in W. */
  readonly meanW: number;
  /** Relative amplitude of the daily swing, 0..1. */
  readonly dailySwing?: number;
  /** Hour of the day of the peak. */
  readonly peakHour?: number;
  /** Sigma of the log-normal noise per step. */
  readonly noise?: number;
  readonly stepMs?: number;
}

export const DEFAULT_LOAD: LoadProfileSpec = { meanW: 500, dailySwing: 0.5, peakHour: 19, noise: 0.3, stepMs: 60_000 };

const DAY_MS = 86_400_000;

export class LoadProfile {
  readonly stepMs: number;
  private step = Number.NaN;
  private watts = 0;

  constructor(
    private readonly spec: LoadProfileSpec,
    private readonly random: Random,
  ) {
    if (!(spec.meanW >= 0)) throw new Error(`load meanW must be >= 0, got ${spec.meanW}`);
    this.stepMs = spec.stepMs ?? DEFAULT_LOAD.stepMs!;
    if (!(this.stepMs > 0)) throw new Error(`load stepMs must be > 0, got ${this.stepMs}`);
  }

  /** Power in W at clock time t; t must not go backwards by more than a step. */
  powerAt(t: number): number {
    const step = Math.floor(t / this.stepMs);
    if (step !== this.step) {
      this.step = step;
      this.watts = this.draw(step * this.stepMs);
    }
    return this.watts;
  }

  /** Clock time at which the step containing t ends. */
  stepEnd(t: number): number {
    return (Math.floor(t / this.stepMs) + 1) * this.stepMs;
  }

  private draw(t: number): number {
    const swing = this.spec.dailySwing ?? DEFAULT_LOAD.dailySwing!;
    const peak = this.spec.peakHour ?? DEFAULT_LOAD.peakHour!;
    const sigma = this.spec.noise ?? DEFAULT_LOAD.noise!;
    const hours = (((t % DAY_MS) + DAY_MS) % DAY_MS) / 3_600_000;
    const daily = 1 + swing * Math.cos((2 * Math.PI * (hours - peak)) / 24);
    // Mean-preserving log-normal factor.
    const noise = Math.exp(sigma * this.random.normal() - (sigma * sigma) / 2);
    return Math.max(0, this.spec.meanW * daily * noise);
  }
}
