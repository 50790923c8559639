import type { Clock } from '../../core/clock';
import type { NodeId } from '../../core/transport';
import type { BoardStatus, CommandTiming, MeterReading, RelayChange, RelayTimeout, StatusChange, TnBoard } from './board';

/**
 * No board: protocol-only TNs for mass emulation. The relay is a variable that follows commands at
 * once, listeners hear of it synchronously, and nothing is timed, sampled or scheduled.
 */
export class NoBoard implements TnBoard {
  readonly kind = 'none' as const;
  readonly port = 'none';
  private closed: boolean | undefined;
  private isClosed = false;
  private readonly listeners = new Set<(change: RelayChange) => void>();

  constructor(
    readonly tn: NodeId,
    private readonly clock: Clock,
  ) {}

  status(): BoardStatus {
    return this.isClosed ? 'closed' : 'attached';
  }

  lastError(): undefined {
    return undefined;
  }

  ready(): Promise<BoardStatus> {
    return Promise.resolve(this.status());
  }

  onStatus(_listener: (change: StatusChange) => void): () => void {
    return () => {};
  }

  switchRelay(closed: boolean, timing?: CommandTiming): boolean {
    if (this.isClosed) return false;
    if (this.closed === closed) return true;
    this.closed = closed;
    if (this.listeners.size > 0) {
      const issuedAt = this.clock.now();
      const change: RelayChange = { closed, seenAt: issuedAt, command: timing ? { issuedAt, timing } : { issuedAt } };
      for (const listener of this.listeners) listener(change);
    }
    return true;
  }

  relayState(): boolean | undefined {
    return this.closed;
  }

  onRelayChange(listener: (change: RelayChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The relay is a variable: a switch cannot go without feedback. */
  onRelayTimeout(_listener: (timeout: RelayTimeout) => void): () => void {
    return () => {};
  }

  readMeter(): MeterReading {
    return { pulses: 0, pulsesPerKWh: 1000, energyWh: 0, at: this.clock.now() };
  }

  async close(): Promise<void> {
    this.isClosed = true;
    this.listeners.clear();
  }
}
