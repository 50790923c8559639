import type { Clock, TimerHandle } from '../../core/clock';
import type { Metrics } from '../../core/metrics';
import type { NodeId } from '../../core/transport';
import type { BoardKind, CommandTiming, RelayChange, RelayTimeout } from './board';

/** Switches awaiting their feedback; older ones are dropped if more pile up behind a broken wire. */
const MAX_PENDING = 16;

interface PendingSwitch {
  readonly closed: boolean;
  readonly issuedAt: number;
  readonly timing?: CommandTiming;
  readonly deadline: TimerHandle;
}

export interface RelayFeedbackConfig {
  readonly tn: NodeId;
  readonly kind: Exclude<BoardKind, 'none'>;
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** Clock ms a switch may wait for its feedback before it counts as failed. */
  readonly timeoutMs: number;
}

/**
 * What the board's feedback input says about the relay: the state it last reported, which issued
 * switch each reported change answers (a `relay_switch` sample and the onRelayChange listeners),
 * and the switches whose change never came within the timeout (a `relay_timeout` sample and the
 * onRelayTimeout listeners). A switch is a success only once its feedback is in.
 */
export class RelayFeedback {
  private reported: boolean | undefined;
  private pending: PendingSwitch[] = [];
  private readonly changeListeners = new Set<(change: RelayChange) => void>();
  private readonly timeoutListeners = new Set<(timeout: RelayTimeout) => void>();

  constructor(private readonly config: RelayFeedbackConfig) {}

  /** Relay state last reported by the feedback input; undefined until the first report. */
  state(): boolean | undefined {
    return this.reported;
  }

  onChange(listener: (change: RelayChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  onTimeout(listener: (timeout: RelayTimeout) => void): () => void {
    this.timeoutListeners.add(listener);
    return () => this.timeoutListeners.delete(listener);
  }

  /**
   * A relay write just went out. It awaits feedback unless the relay already reports that state
   * with nothing in flight (then no pin changes and nothing is recorded).
   */
  issued(closed: boolean, issuedAt: number, timing?: CommandTiming): void {
    if (this.reported === closed && this.pending.length === 0) return;
    const deadline = this.config.clock.setTimer(this.config.timeoutMs, () => this.expire(entry));
    const entry: PendingSwitch = timing ? { closed, issuedAt, timing, deadline } : { closed, issuedAt, deadline };
    this.pending.push(entry);
    if (this.pending.length > MAX_PENDING) this.pending.shift()!.deadline.cancel();
  }

  /** A report of the feedback input (1 = relay closed). */
  report(value: number): void {
    const closed = value === 1;
    const seenAt = this.config.clock.now();
    if (this.reported === undefined) {
      // The first report after (re)configuring is the state the relay is in, not a switch; a
      // lone pending switch that state already satisfies will bring no change, so it is dropped.
      this.reported = closed;
      if (this.pending.length === 1 && this.pending[0]!.closed === closed) this.pending.shift()!.deadline.cancel();
      return;
    }
    if (closed === this.reported) return;
    this.reported = closed;
    const match = this.dropPendingUpTo(closed);
    const change: RelayChange = match
      ? { closed, seenAt, command: match.timing ? { issuedAt: match.issuedAt, timing: match.timing } : { issuedAt: match.issuedAt } }
      : { closed, seenAt };
    if (match?.timing) {
      this.config.metrics.emit(
        'relay_switch',
        { latency_ms: seenAt - match.timing.sentAt, processing_ms: match.issuedAt - match.timing.receivedAt, state: closed },
        { tn: this.config.tn, board: this.config.kind },
      );
    }
    for (const listener of this.changeListeners) safely(() => listener(change));
  }

  /** The board went away or reset: what the input said and what was in flight no longer holds. */
  forget(): void {
    this.reported = undefined;
    for (const entry of this.pending) entry.deadline.cancel();
    this.pending = [];
  }

  /** Removes pending switches up to the first one asking for `closed` and returns it. */
  private dropPendingUpTo(closed: boolean): PendingSwitch | undefined {
    while (this.pending.length > 0) {
      const next = this.pending.shift()!;
      next.deadline.cancel();
      if (next.closed === closed) return next;
    }
    return undefined;
  }

  private expire(entry: PendingSwitch): void {
    const at = this.pending.indexOf(entry);
    if (at < 0) return;
    this.pending.splice(at, 1);
    const timeout: RelayTimeout = {
      closed: entry.closed,
      issuedAt: entry.issuedAt,
      detectedAt: this.config.clock.now(),
      ...(entry.timing ? { timing: entry.timing } : {}),
    };
    this.config.metrics.emit(
      'relay_timeout',
      { count: 1, state: entry.closed, timeout_ms: this.config.timeoutMs },
      { tn: this.config.tn, board: this.config.kind },
    );
    for (const listener of this.timeoutListeners) safely(() => listener(timeout));
  }
}

/** Listener code must not break the board (or the message loop that called it). */
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // A listener's own bug is its own; the board keeps going.
  }
}
