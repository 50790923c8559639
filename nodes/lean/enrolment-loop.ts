/**
 * The bootstrap loop of a DC or a TN: send the registration, and again with doubling delays
 * (registration frames get lost on the PLC, or the other side is not up yet) until the unit is
 * enrolled. Whoever waits for it is released on enrolment, or when the unit is taken out of
 * service, since it then never will be.
 */
import type { Clock, TimerHandle } from '../../core/clock';
import { DEFAULT_RETRY, type RetryPolicy } from './node-deps';

export interface Enrolled {
  /** From the first registration of this attempt to enrolment. */
  readonly durationMs: number;
  /** Registrations sent in this attempt. */
  readonly registrations: number;
}

export class EnrolmentLoop {
  private timer: TimerHandle | undefined;
  private waiters: Array<() => void> = [];
  /** Clock time of the first registration of this attempt. */
  startedAt: number | undefined;
  private sent = 0;

  constructor(
    private readonly clock: Clock,
    private readonly send: () => void,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {}

  /** Starts sending (unless already started); resolves on done() or stop(). */
  run(): Promise<void> {
    const waiting = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (!this.timer) {
      this.startedAt ??= this.clock.now();
      this.attempt(this.policy.firstMs);
    }
    return waiting;
  }

  /** Enrolled: no more registrations; returns how long it took and how many were sent. */
  done(): Enrolled {
    const enrolled = { durationMs: this.clock.now() - (this.startedAt ?? this.clock.now()), registrations: this.sent };
    this.stop();
    return enrolled;
  }

  /** Stops sending and releases every waiter; a later run() starts a new attempt. */
  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.startedAt = undefined;
    this.sent = 0;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  private attempt(delayMs: number): void {
    this.send();
    this.sent++;
    this.timer = this.clock.setTimer(delayMs, () => this.attempt(Math.min(delayMs * 2, this.policy.maxMs)));
  }
}
