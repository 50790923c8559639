/**
 * The bootstrap loop of a DC or a TN: send the registration, and again with doubling delays
 * (registration frames get lost on the PLC, or the other side is not up yet) until the unit is
 * enrolled. Whoever waits for it is released on enrolment, or when the unit is taken out of
 * service, since it then never will be.
 *
 * A segment's TNs power up together, so the loop desynchronises them (docs/DESIGN.md 2.1,
 * "Bootstrapping"): the first registration goes at a random time within the policy's spread, each
 * wait is jittered, and a wait runs from when the registration left the node (its transport says
 * so), not from when it was queued behind the segment's other frames. The draws come from the
 * node's own seeded stream, so they do not depend on any other node's events.
 */
import type { Clock, TimerHandle } from '../../core/clock';
import type { Random } from '../../core/random';
import type { DepartureListener } from '../../core/transport';
import { DEFAULT_RETRY, type RetryPolicy } from './node-deps';

export interface Enrolled {
  /** From the start of this attempt (run()) to enrolment, the start spread included. */
  readonly durationMs: number;
  /** Registrations sent in this attempt. */
  readonly registrations: number;
}

export class EnrolmentLoop {
  private timer: TimerHandle | undefined;
  private waiters: Array<() => void> = [];
  /** Clock time of the start of this attempt; undefined when no attempt runs. */
  private startedAt: number | undefined;
  private sent = 0;
  /** Bumped by stop(): a departure of an earlier attempt's registration then arms nothing. */
  private attemptId = 0;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly send: (departed: DepartureListener) => void,
    private readonly policy: RetryPolicy = DEFAULT_RETRY,
  ) {}

  /** Starts sending (unless already started); resolves on done() or stop(). */
  run(): Promise<void> {
    const waiting = new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.startedAt === undefined) {
      this.startedAt = this.clock.now();
      const spreadMs = this.policy.spreadMs ?? 0;
      const first = () => this.attempt(this.policy.firstMs);
      if (spreadMs > 0) this.timer = this.clock.setTimer(this.random.float() * spreadMs, first);
      else first();
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
    this.attemptId++;
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Sends a registration; once it has left, waits delayMs jittered to [0.5, 1.5) of itself, then the next with the delay doubled. */
  private attempt(delayMs: number): void {
    this.timer = undefined;
    this.sent++;
    const attemptId = this.attemptId;
    this.send((leftAt) => {
      if (attemptId !== this.attemptId) return;
      const waitMs = this.random.jittered(delayMs);
      const sinceLeft = this.clock.now() - leftAt;
      this.timer = this.clock.setTimer(Math.max(0, waitMs - sinceLeft), () => this.attempt(Math.min(delayMs * 2, this.policy.maxMs)));
    });
  }
}
