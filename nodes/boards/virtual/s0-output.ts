import type { Clock, TimerHandle } from '../../../core/clock';
import type { LoadProfile } from './load-profile';

/**
 * The meter's S0 output (EN 62053-31): one pulse per 1/pulsesPerKWh kWh consumed, at least 30 ms
 * wide. Energy is integrated step by step over the load profile, so pulse times follow the load
 * exactly; `level` is what the board's S0 input sees.
 */
export class S0Output {
  /** Pulses emitted so far. */
  pulses = 0;
  level: 0 | 1 = 0;
  private readonly pulseWh: number;
  private remainingWh: number;
  private timer: TimerHandle | undefined;
  private fall: TimerHandle | undefined;
  private lastPulseAt = -Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly load: LoadProfile,
    pulsesPerKWh: number,
    private readonly pulseMs: number,
    private readonly onLevel: (level: 0 | 1) => void,
  ) {
    this.pulseWh = 1000 / pulsesPerKWh;
    this.remainingWh = this.pulseWh;
  }

  start(): void {
    if (!this.timer) this.scheduleNext();
  }

  stop(): void {
    this.timer?.cancel();
    this.fall?.cancel();
    this.timer = this.fall = undefined;
    if (this.level) this.setLevel(0);
  }

  private scheduleNext(): void {
    const now = this.clock.now();
    const watts = this.load.powerAt(now);
    const stepEnd = this.load.stepEnd(now);
    const toPulseMs = watts > 0 ? (this.remainingWh / watts) * 3_600_000 : Infinity;
    if (now + toPulseMs <= stepEnd) {
      this.timer = this.clock.setTimer(toPulseMs, () => this.pulse());
    } else {
      this.timer = this.clock.setTimer(stepEnd - now, () => {
        this.remainingWh -= (watts * (stepEnd - now)) / 3_600_000;
        this.scheduleNext();
      });
    }
  }

  private pulse(): void {
    const now = this.clock.now();
    const spacing = now - this.lastPulseAt;
    this.lastPulseAt = now;
    this.remainingWh = this.pulseWh;
    this.pulses++;
    this.setLevel(1);
    // At very high load a pulse is cut to half the spacing from the previous one, so edges stay distinct.
    this.fall = this.clock.setTimer(Math.min(this.pulseMs, spacing / 2), () => this.setLevel(0));
    this.scheduleNext();
  }

  private setLevel(level: 0 | 1): void {
    this.level = level;
    this.onLevel(level);
  }
}
